"""An inference component's neighbours with traffic: their requests dilute the endpoint-wide
series, not the component's own.

The scenario is the built-in ``component-extra-instance-success`` with the fixed durations of
``tests/deployment/test_components_timeline.py`` (provisioning 600 s, copy start 300 s,
activation 10 s, termination 60 s, restore 15 s, publish delay 60 s), evenly spaced arrivals
(2 requests/s for the component) and a neighbour component (2 CPU-only copies) beside it. The
new copies fail every request from t = 1100 (after batch 1's bake, 910-970, with half of the
component's traffic on the new copy).

* **The component's own series** (``InferenceComponentName``): the minute [1080, 1140) holds
  about 40 failures of 120 requests (the new copy's half of 40 s), over the 0.2 threshold (a
  binomial spread of about 0.04), so the alarm is in ALARM at 1200 and batch 2's bake (from
  1340) trips at its first poll, whatever the neighbour does: the timeline of
  ``test_a_rollback_during_the_second_batch``.
* **The endpoint-wide series** (``EndpointName, VariantName``) with the neighbour idle
  (``rate_per_second: 0``): the same requests, the same timeline.
* **The endpoint-wide series with the neighbour at 10 requests/s** (600 a minute, evenly
  spaced, none failing): a minute holds at most 120 component failures of 720 requests,
  0.167 < 0.2, so the alarm can never trip (a bound, not a chance): SUCCEEDED. This is the
  dilution guardsim lint's ``component-alarm-dimension`` warns of.

The batch engine is held to the same outcomes (every replication), and the neighbour's own
``InferenceComponentName`` series binds to its requests alone.
"""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from guardsim.batch.engine import run_batch
from guardsim.cloudwatch.binding import bind_source
from guardsim.errors import ScenarioError
from guardsim.scenarios import library
from guardsim.scenarios.components import neighbour_fleet
from guardsim.scenarios.loading import check_scenario_dict, scenario_from_dict
from guardsim.simulator import simulate

FIXED = {
    "provisioning_seconds": {"kind": "fixed", "value": 600},
    "copy_start_seconds": {"kind": "fixed", "value": 300},
    "activation_seconds": {"kind": "fixed", "value": 10},
    "termination_seconds": {"kind": "fixed", "value": 60},
    "rollback_seconds": {"kind": "fixed", "value": 15},
    "metric_publish_delay_seconds": {"kind": "fixed", "value": 60},
}
COMPONENT = "chat-assistant-llm"
NEIGHBOUR = "chat-assistant-embedder"
ENDPOINT_WIDE = [
    {"Name": "EndpointName", "Value": "chat-assistant"},
    {"Name": "VariantName", "Value": "AllTraffic"},
]
OWN = [{"Name": "InferenceComponentName", "Value": COMPONENT}]


def _raw(dimensions: list[dict[str, str]], neighbour_rate: float | None) -> dict[str, Any]:
    raw: dict[str, Any] = yaml.safe_load(library.text("component-extra-instance-success"))
    neighbour: dict[str, Any] = {
        "InferenceComponentName": NEIGHBOUR,
        "EndpointName": "chat-assistant",
        "VariantName": "AllTraffic",
        "Specification": {
            "ModelName": "embedder-v3",
            "ComputeResourceRequirements": {
                "NumberOfCpuCoresRequired": 2,
                "MinMemoryRequiredInMb": 4096,
            },
        },
        "RuntimeConfig": {"CopyCount": 2},
    }
    if neighbour_rate is not None:
        neighbour["traffic"] = {"rate_per_second": neighbour_rate, "arrivals": "uniform"}
        neighbour["model"] = {"latency": {"median_ms": 20, "p99_ms": 60}}
    raw["inference_component"]["neighbours"] = [neighbour]
    raw["environment"] = dict(FIXED)
    raw["traffic"] = {"rate_per_second": 2, "arrivals": "uniform"}
    raw["simulation"] = {"seed": 1, "warmup_seconds": 300, "cooldown_seconds": 60}
    raw["alarms"] = [
        {
            "AlarmName": "errors",
            "Namespace": "AWS/SageMaker",
            "MetricName": "Invocation5XXErrors",
            "Statistic": "Average",
            "Dimensions": dimensions,
            "Period": 60,
            "EvaluationPeriods": 1,
            "Threshold": 0.2,
            "ComparisonOperator": "GreaterThanThreshold",
            "TreatMissingData": "notBreaching",
        }
    ]
    raw["deployment_config"]["AutoRollbackConfiguration"] = {"Alarms": [{"AlarmName": "errors"}]}
    raw["models"] = {
        "blue": {"latency": {"median_ms": 50, "p99_ms": 150}},
        "green": {
            "latency": {"median_ms": 50, "p99_ms": 150},
            "faults": [{"kind": "errors", "after_seconds": 1100, "rate_5xx": 1.0}],
        },
    }
    return raw


def _timeline(dimensions: list[dict[str, str]], neighbour_rate: float | None) -> Any:
    record = simulate(scenario_from_dict(_raw(dimensions, neighbour_rate)), mode="exact")
    return record.outcome, [(t["t"], t["to"], t["trigger"]) for t in record.transitions]


ROLLED_BACK_AT_BATCH_2 = [
    (0.0, "Creating", "update"),
    (900.0, "ActivatingTraffic", "fleet_ready"),
    (910.0, "Baking", "traffic_shifted"),
    (970.0, "Deleting", "batch_bake_done"),
    (1030.0, "Creating", "batch_deleted"),
    (1330.0, "ActivatingTraffic", "fleet_ready"),
    (1340.0, "Baking", "traffic_shifted"),
    (1340.0, "RollingBack", "alarm_tripped"),
    (1355.0, "RollbackCreating", "rollback_provision"),
    (1655.0, "RollingBack", "rollback_ready"),
    (1665.0, "RollbackDeleting", "traffic_restored"),
    (1725.0, "InService", "rollback_done"),
]
SUCCEEDED = [
    (0.0, "Creating", "update"),
    (900.0, "ActivatingTraffic", "fleet_ready"),
    (910.0, "Baking", "traffic_shifted"),
    (970.0, "Deleting", "batch_bake_done"),
    (1030.0, "Creating", "batch_deleted"),
    (1330.0, "ActivatingTraffic", "fleet_ready"),
    (1340.0, "Baking", "traffic_shifted"),
    (1400.0, "Deleting", "batch_bake_done"),
    (1460.0, "InService", "cleanup_done"),
]


@pytest.mark.parametrize("rate", [0.0, 10.0])
def test_the_components_own_alarm_trips_whatever_the_neighbour_serves(rate: float) -> None:
    assert _timeline(OWN, rate) == ("ROLLED_BACK", ROLLED_BACK_AT_BATCH_2)


def test_the_endpoint_wide_alarm_trips_while_the_neighbour_is_idle() -> None:
    assert _timeline(ENDPOINT_WIDE, 0.0) == ("ROLLED_BACK", ROLLED_BACK_AT_BATCH_2)


def test_the_neighbours_requests_dilute_the_endpoint_wide_alarm() -> None:
    assert _timeline(ENDPOINT_WIDE, 10.0) == ("SUCCEEDED", SUCCEEDED)


@pytest.mark.parametrize(
    ("dimensions", "rate", "outcome"),
    [
        (OWN, 10.0, "ROLLED_BACK"),
        (ENDPOINT_WIDE, 0.0, "ROLLED_BACK"),
        (ENDPOINT_WIDE, 10.0, "SUCCEEDED"),
    ],
)
def test_batch_and_fast_agree_with_the_exact_outcomes(
    dimensions: list[dict[str, str]], rate: float, outcome: str
) -> None:
    scenario = scenario_from_dict(_raw(dimensions, rate))
    rows = run_batch(scenario, seed=5, start=0, stop=64)
    assert {r[1] for r in rows} == {outcome}
    fast = {simulate(scenario, seed=5, mode="fast", replication=i).outcome for i in range(8)}
    assert fast == {outcome}


def test_the_neighbour_changes_nothing_the_component_draws() -> None:
    # its own streams: the component's requests and errors are those of an idle neighbour's run
    busy = simulate(scenario_from_dict(_raw(OWN, 10.0)), mode="exact").summary
    idle = simulate(scenario_from_dict(_raw(OWN, 0.0)), mode="exact").summary
    assert busy == idle


def test_each_series_binds_to_the_requests_it_counts() -> None:
    endpoint = scenario_from_dict(_raw(OWN, 10.0)).endpoint
    fleet = neighbour_fleet(NEIGHBOUR)

    def fleets(dims: list[dict[str, str]], metric: str = "Invocations") -> tuple[str, ...]:
        named = {d["Name"]: d["Value"] for d in dims}
        return bind_source("AWS/SageMaker", metric, named, "Sum", endpoint, None).fleets

    assert fleets(OWN) == ("blue", "green")
    assert fleets([{"Name": "InferenceComponentName", "Value": NEIGHBOUR}]) == (fleet,)
    assert fleets(ENDPOINT_WIDE) == ("blue", "green", fleet)
    # an idle neighbour (no traffic section) is no fleet
    idle = scenario_from_dict(_raw(OWN, None)).endpoint
    named = {d["Name"]: d["Value"] for d in ENDPOINT_WIDE}
    assert bind_source("AWS/SageMaker", "Invocations", named, "Sum", idle, None).fleets == (
        "blue",
        "green",
    )


def test_an_endpoint_wide_alarm_is_refused_while_a_neighbour_has_no_traffic() -> None:
    result = check_scenario_dict(_raw(ENDPOINT_WIDE, None))
    assert result.scenario is None
    [problem] = [p for p in result.errors if p.path.startswith("alarms[0]")]
    assert problem.path == "alarms[0].Dimensions"
    assert NEIGHBOUR in problem.message and "traffic" in problem.message


def _with(neighbour: dict[str, Any]) -> list[tuple[str, str]]:
    raw = _raw(OWN, 1.0)
    raw["inference_component"]["neighbours"][0].update(neighbour)
    return [(p.path, p.message) for p in check_scenario_dict(raw).errors]


N0 = "inference_component.neighbours[0]"


@pytest.mark.parametrize(
    ("neighbour", "path", "words"),
    [
        ({"traffic": {"rate_per_second": -1}}, f"{N0}.traffic.rate_per_second", ">= 0"),
        ({"traffic": {"rate": 1}}, f"{N0}.traffic.rate", "unknown key"),
        ({"model": {"error_rate_5xx": 2}}, f"{N0}.model.error_rate_5xx", "1"),
        ({"traffic": {"replay_file": "x.csv"}}, f"{N0}.traffic.replay_file", "neighbour"),
        (
            {"traffic": {"arrivals": "uniform", "profile": "daily"}},
            f"{N0}.traffic.arrivals",
            "constant rate",
        ),
        (
            {"model": {"faults": [{"kind": "warmup", "duration_seconds": 60}]}},
            f"{N0}.model.faults[0]",
            "warm-up",
        ),
        ({"traffic": None}, f"{N0}.traffic", "null"),
        ({"InferenceComponentName": COMPONENT}, f"{N0}.InferenceComponentName", "another"),
    ],
)
def test_bad_neighbour_fields_are_refused_with_their_paths(
    neighbour: dict[str, Any], path: str, words: str
) -> None:
    problems = _with(neighbour)
    assert any(p == path and words in m for p, m in problems), problems


def test_a_model_without_traffic_is_refused() -> None:
    raw = _raw(OWN, None)
    raw["inference_component"]["neighbours"][0]["model"] = {"error_rate_5xx": 0.1}
    with pytest.raises(ScenarioError, match=r"neighbours\[0\]\.model"):
        scenario_from_dict(raw)


def test_a_scenario_with_neighbour_traffic_round_trips() -> None:
    scenario = scenario_from_dict(_raw(ENDPOINT_WIDE, 10.0))
    data = scenario.to_dict()
    assert data["inference_component"]["neighbours"][0]["traffic"]["rate_per_second"] == 10.0
    assert scenario_from_dict(data) == scenario
