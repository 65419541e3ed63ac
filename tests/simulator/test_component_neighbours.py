"""An inference component's neighbours with traffic: what each series binds to, what is
refused (with paths), and the round trip. Their timelines (the dilution of the endpoint-wide
alarm, in every engine) are in ``tests/deployment/test_components_timeline.py``; their
statistical equivalence in ``tests/batch/test_components_equivalence.py``.

The scenario is the built-in ``component-llm-latency-rollback``, whose embedding neighbour is
given traffic here."""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from guardsim.cloudwatch.binding import bind_source
from guardsim.errors import ScenarioError
from guardsim.scenarios import library
from guardsim.scenarios.components import neighbour_fleet
from guardsim.scenarios.loading import check_scenario_dict, scenario_from_dict

COMPONENT = "support-bot-llm"
NEIGHBOUR = "support-bot-embedder"
ENDPOINT_WIDE = {"EndpointName": "support-bot", "VariantName": "AllTraffic"}
N0 = "inference_component.neighbours[0]"


def _raw(neighbour: dict[str, Any] | None, endpoint_wide: bool = False) -> dict[str, Any]:
    """The built-in with ``neighbour`` merged into its neighbour (None: as it is, no traffic),
    its alarm on the endpoint-wide series if ``endpoint_wide``."""
    raw: dict[str, Any] = yaml.safe_load(library.text("component-llm-latency-rollback"))
    if neighbour is not None:
        raw["inference_component"]["neighbours"][0].update(neighbour)
    if endpoint_wide:
        dims = [{"Name": k, "Value": v} for k, v in ENDPOINT_WIDE.items()]
        raw["alarms"][0]["Dimensions"] = dims
    return raw


BUSY = {"traffic": {"rate_per_second": 3}, "model": {"error_rate_5xx": 0.01}}


def test_each_series_binds_to_the_requests_it_counts() -> None:
    endpoint = scenario_from_dict(_raw(BUSY)).endpoint
    fleet = neighbour_fleet(NEIGHBOUR)

    def fleets(dims: dict[str, str], metric: str = "Invocations") -> tuple[str, ...]:
        return bind_source("AWS/SageMaker", metric, dims, "Sum", endpoint, None).fleets

    assert fleets({"InferenceComponentName": COMPONENT}) == ("blue", "green")
    assert fleets({"InferenceComponentName": NEIGHBOUR}) == (fleet,)
    assert fleets(ENDPOINT_WIDE) == ("blue", "green", fleet)
    assert fleets(ENDPOINT_WIDE, "ModelLatency") == ("blue", "green", fleet)
    assert fleets({"InferenceComponentName": "someone-else"}) == ()
    # a neighbour without traffic is no fleet: nothing of it is simulated
    idle = scenario_from_dict(_raw(None)).endpoint
    assert bind_source("AWS/SageMaker", "Invocations", ENDPOINT_WIDE, "Sum", idle, None).fleets == (
        "blue",
        "green",
    )


def test_an_endpoint_wide_alarm_is_refused_while_a_neighbour_has_no_traffic() -> None:
    result = check_scenario_dict(_raw(None, endpoint_wide=True))
    assert result.scenario is None
    [problem] = result.errors
    assert problem.path == "alarms[0].Dimensions"
    assert NEIGHBOUR in problem.message and "traffic" in problem.message
    # given traffic (even none: rate 0), the alarm is accepted
    assert check_scenario_dict(_raw({"traffic": {"rate_per_second": 0}}, True)).errors == ()


@pytest.mark.parametrize(
    ("neighbour", "path", "words"),
    [
        ({"traffic": {"rate_per_second": -1}}, f"{N0}.traffic.rate_per_second", ">= 0"),
        ({"traffic": {"rate": 1}}, f"{N0}.traffic.rate", "unknown key"),
        ({**BUSY, "model": {"error_rate_5xx": 2}}, f"{N0}.model.error_rate_5xx", "1"),
        ({"traffic": {"replay_file": "x.csv"}}, f"{N0}.traffic.replay_file", "neighbour"),
        (
            {"traffic": {"arrivals": "uniform", "profile": "daily"}},
            f"{N0}.traffic.arrivals",
            "constant rate",
        ),
        (
            {**BUSY, "model": {"faults": [{"kind": "warmup", "duration_seconds": 60}]}},
            f"{N0}.model.faults[0]",
            "warm-up",
        ),
        ({"traffic": None}, f"{N0}.traffic", "null"),
        ({"model": {"error_rate_5xx": 0.1}}, f"{N0}.model", "give its traffic too"),
        ({"InferenceComponentName": COMPONENT}, f"{N0}.InferenceComponentName", "another"),
    ],
)
def test_bad_neighbour_fields_are_refused_with_their_paths(
    neighbour: dict[str, Any], path: str, words: str
) -> None:
    problems = [(p.path, p.message) for p in check_scenario_dict(_raw(neighbour)).errors]
    assert any(p == path and words in m for p, m in problems), problems


def test_a_refused_neighbour_is_a_scenario_error() -> None:
    with pytest.raises(ScenarioError, match=r"neighbours\[0\]\.model"):
        scenario_from_dict(_raw({"model": {"error_rate_5xx": 0.1}}))


def test_a_scenario_with_neighbour_traffic_round_trips() -> None:
    scenario = scenario_from_dict(_raw(BUSY, endpoint_wide=True))
    data = scenario.to_dict()
    assert data["inference_component"]["neighbours"][0]["traffic"]["rate_per_second"] == 3.0
    assert data["inference_component"]["neighbours"][0]["model"]["error_rate_5xx"] == 0.01
    assert scenario_from_dict(data) == scenario
    # without traffic, the neighbour is written as given (no guardsim keys added)
    plain = scenario_from_dict(_raw(None)).to_dict()["inference_component"]["neighbours"][0]
    assert "traffic" not in plain and "model" not in plain


def test_a_report_shows_no_component_series_for_the_endpoint_wide_alarm() -> None:
    # the record keeps the component's datapoints, not its neighbours': the endpoint-wide series
    # cannot be rebuilt from it, and the report says so rather than showing the component's
    from guardsim.reports.series import alarm_series
    from guardsim.simulator import simulate

    raw = _raw(BUSY, endpoint_wide=True)
    raw["simulation"] = {"warmup_seconds": 300, "cooldown_seconds": 60}
    record = simulate(scenario_from_dict(raw), seed=1, mode="fast")
    shown = alarm_series(record, raw["alarms"][0])
    assert shown.note is not None and NEIGHBOUR in shown.note
    own = dict(
        raw["alarms"][0], Dimensions=[{"Name": "InferenceComponentName", "Value": COMPONENT}]
    )
    assert alarm_series(record, own).note is None
