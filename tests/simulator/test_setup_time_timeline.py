"""Exact timelines of a ModelSetupTime alarm (environment.model_setup_time, guardsim.model.
setup_time): every engine, nothing random.

Every duration fixed (test_timelines.DETERMINISTIC), but provisioning 400 s: each launched
instance publishes one sample of 400e6 microseconds in the minute it becomes ready, [360, 420),
published at 480 (60 s delay). The alarm: Maximum > 300e6, 1 of 1, TreatMissingData missing.

* rolling (rolling-batch-rollback, batches of 1): batch 1 ready at 400, traffic at 410, the bake
  polled every 30 s from 410; the alarm goes to ALARM at the evaluation at 480 and SageMaker's
  poll at 500 rolls back.
* ALL_AT_ONCE (all-at-once-final-bake): the same instants, the FinalBake (600 s) from 410
  sees the ALARM at 500. With a 60 s final bake (410-470) the datapoint is published after the
  bake ends, and provisioning is not watched (environment.watch_alarms_outside_bakes false):
  the update succeeds although its instances were slow.
* with the default none, no instance publishes: the alarm never sees a datapoint.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_timelines import DETERMINISTIC, timeline

from guardsim.batch.engine import run_batch
from guardsim.cloudwatch.statistics import parse_statistic
from guardsim.model.setup_time import window_rows, window_statistic
from guardsim.record import DATAPOINT_COLUMNS
from guardsim.scenarios import check_scenario_dict, load_scenario
from guardsim.scenarios.scenario import Scenario
from guardsim.simulator import simulate

ALARM = "setup-time"
TRIPPED = [
    (0.0, "InService", "Creating"),
    (400.0, "Creating", "ActivatingTraffic"),
    (410.0, "ActivatingTraffic", "{bake}"),
    (500.0, "{bake}", "RollingBack"),
    (515.0, "RollingBack", "RollbackDeleting"),
    (575.0, "RollbackDeleting", "InService"),
]


def _data(
    name: str, setting: str = "per-instance", stat: dict[str, Any] | None = None
) -> dict[str, Any]:
    data: dict[str, Any] = load_scenario(name).to_dict()
    data["environment"].update(DETERMINISTIC)
    data["environment"]["provisioning_seconds"] = {"kind": "fixed", "value": 400}
    data["environment"]["model_setup_time"] = setting
    setup_time_alarm(data, stat or {"Statistic": "Maximum"}, 300.0)
    return data


def setup_time_alarm(data: dict[str, Any], stat: dict[str, Any], seconds: float) -> None:
    """Make ``data``'s only alarm, and its only rollback alarm, one on the endpoint's blended
    ModelSetupTime ``stat`` > ``seconds``, 1 of 1, TreatMissingData missing."""
    data["alarms"] = [
        {
            "AlarmName": ALARM,
            "Namespace": "AWS/SageMaker",
            "MetricName": "ModelSetupTime",
            **stat,
            "Dimensions": [
                {"Name": "EndpointName", "Value": data["endpoint"]["name"]},
                {"Name": "VariantName", "Value": "AllTraffic"},
            ],
            "Period": 60,
            "EvaluationPeriods": 1,
            "Threshold": seconds * 1e6,
            "ComparisonOperator": "GreaterThanThreshold",
            "TreatMissingData": "missing",
        }
    ]
    data["deployment_config"]["AutoRollbackConfiguration"] = {"Alarms": [{"AlarmName": ALARM}]}


def _scenario(data: dict[str, Any]) -> Scenario:
    result = check_scenario_dict(data)
    assert result.errors == (), result.errors
    assert result.scenario is not None
    return result.scenario


def _expected(bake: str) -> list[tuple[float, str, str]]:
    return [(t, a.format(bake=bake), b.format(bake=bake)) for t, a, b in TRIPPED]


@pytest.mark.parametrize(
    ("name", "bake"),
    [("rolling-batch-rollback", "Baking"), ("all-at-once-final-bake", "FinalBake")],
)
@pytest.mark.parametrize("mode", ["exact", "fast"])
def test_slow_instances_trip_the_alarm(name: str, bake: str, mode: str) -> None:
    record = simulate(_scenario(_data(name)), mode=mode)
    assert timeline(record) == _expected(bake)
    values = [(e["t"], e["value"]) for e in record.alarm_evaluations if e["value"] is not None]
    # only the ready minute [360, 420) has a datapoint: visible from 480, in the range
    # (1 + 2 periods) until 600
    assert values == [(480.0, 400e6), (540.0, 400e6)]
    assert record.summary.tripped_alarms == (ALARM,)
    # the run record's datapoints (reports draw the alarm's panel from them)
    rows = zip(*(record.datapoints[c] for c in DATAPOINT_COLUMNS), strict=True)
    setup = [r[1:6] for r in rows if r[0] == "ModelSetupTime"]
    k = 1 if bake == "Baking" else 2  # a rolling batch of 1; the new fleet of 2 at once
    assert setup == [(view, 360.0, 480.0, k, k * 400e6) for view in ("blended", "green")]


@pytest.mark.parametrize("name", ["rolling-batch-rollback", "all-at-once-final-bake"])
@pytest.mark.parametrize("stat", [{"Statistic": "Maximum"}, {"ExtendedStatistic": "p50"}])
def test_the_batch_engine_has_the_same_timeline(name: str, stat: dict[str, Any]) -> None:
    rows = run_batch(_scenario(_data(name, stat=stat)), seed=0, start=0, stop=3)
    for _, outcome, summary in rows:
        assert outcome == "ROLLED_BACK"
        assert summary.detected_at_seconds == 500.0
        assert summary.tripped_alarms == (ALARM,)


def test_a_final_bake_that_ends_before_the_datapoint_is_published_succeeds() -> None:
    data = _data("all-at-once-final-bake")
    data["deployment_config"]["BlueGreenUpdatePolicy"]["TerminationWaitInSeconds"] = 60
    scenario = _scenario(data)
    assert not scenario.environment.watch_alarms_outside_bakes
    for mode in ("exact", "fast"):
        record = simulate(scenario, mode=mode)
        assert record.outcome == "SUCCEEDED"
        # the bake ended at 470; the ALARM came at 480, after it
        changes = [(h["t"], h["to"]) for h in record.alarm_history if h["alarm"] == ALARM]
        assert (480.0, "ALARM") in changes
    for _, outcome, summary in run_batch(scenario, seed=0, start=0, stop=3):
        assert outcome == "SUCCEEDED" and summary.detected_at_seconds is None


@pytest.mark.parametrize("mode", ["exact", "fast"])
def test_with_the_default_no_instance_publishes(mode: str) -> None:
    data = _data("rolling-batch-rollback", setting="none")
    result = check_scenario_dict(data)
    assert any("model_setup_time is" in p.message for p in result.problems)
    record = simulate(_scenario(data), mode=mode)
    assert record.outcome == "SUCCEEDED"
    assert all(e["value"] is None for e in record.alarm_evaluations if e["alarm"] == ALARM)
    for _, outcome, _summary in run_batch(_scenario(data), seed=0, start=0, stop=2):
        assert outcome == "SUCCEEDED"


def test_per_instance_silences_the_warning() -> None:
    result = check_scenario_dict(_data("rolling-batch-rollback"))
    assert not any("ModelSetupTime" in p.message for p in result.problems)


def test_a_rolling_rollback_re_provisions_old_instances_that_publish_under_the_old_config() -> None:
    """The shipped rolling rollback (latency fault in a later batch, provisioning 400 s): the
    old instances it re-launches publish their samples under the old config's series."""
    data: dict[str, Any] = load_scenario("rolling-batch-rollback").to_dict()
    data["environment"].update(DETERMINISTIC)
    data["environment"]["model_setup_time"] = "per-instance"
    blue = data["endpoint"]["blue"]["EndpointConfigName"]
    data["alarms"].append(
        {
            "AlarmName": "old-config-setup",
            "Namespace": "AWS/SageMaker",
            "MetricName": "ModelSetupTime",
            "Statistic": "SampleCount",
            "Dimensions": [
                {"Name": "EndpointName", "Value": data["endpoint"]["name"]},
                {"Name": "VariantName", "Value": "AllTraffic"},
                {"Name": "EndpointConfigName", "Value": blue},
            ],
            "Period": 60,
            "EvaluationPeriods": 1,
            "Threshold": 0,
            "ComparisonOperator": "GreaterThanThreshold",
        }
    )
    record = simulate(_scenario(data), mode="fast")
    assert record.outcome == "ROLLED_BACK"
    launched = [
        (t["t"], int(t["reason"].split()[1]))
        for t in record.transitions
        if t["reason"].startswith("Launching") and blue in t["reason"]
    ]
    assert launched, "the rollback re-provisions old instances"
    counts = [
        (e["t"], e["value"])
        for e in record.alarm_evaluations
        if e["alarm"] == "old-config-setup" and e["value"] is not None
    ]
    # (the batch failed in batch 2: one old instance terminated, so one re-launched at 1115,
    # ready at 1355 in minute [1320, 1380), published at 1440)
    assert launched == [(1115.0, 1)]
    assert counts == [(1440.0, 1.0), (1500.0, 1.0)]  # in the range (3 periods) twice


@pytest.mark.parametrize(
    ("patch", "words"),
    [
        (("multi-variant-canary-rollback", {}), "multi-variant"),
        (("component-extra-instance-success", {}), "inference component"),
    ],
)
def test_refused_where_not_simulated(patch: tuple[str, dict[str, Any]], words: str) -> None:
    data: dict[str, Any] = load_scenario(patch[0]).to_dict()
    data["environment"]["model_setup_time"] = "per-instance"
    errors = check_scenario_dict(data).errors
    assert [e.path for e in errors] == ["environment.model_setup_time"]
    assert words in errors[0].message


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.lists(st.floats(0, 1e9, allow_nan=False), max_size=6), min_size=1, max_size=8),
    st.sampled_from(
        ["p50", "p99", "TM(10%:90%)", "IQM", "WM(20%:80%)", "TC(:50%)", "PR(:200000000)"]
    ),
)
def test_rows_equal_one_window_at_a_time(windows: list[list[float]], stat: str) -> None:
    """The arrays' kernel equals the scalar one window by window (to rounding: a row sums in
    its own order)."""
    spec = parse_statistic(stat)
    width = max(1, max(len(w) for w in windows))
    x = np.zeros((len(windows), width))
    present = np.zeros((len(windows), width), dtype=bool)
    for i, w in enumerate(windows):
        x[i, : len(w)] = w
        present[i, : len(w)] = True
    rows = window_rows(spec, x, present)
    for i, w in enumerate(windows):
        one = window_statistic(spec, np.asarray(w)) if w else None
        if one is None:
            assert np.isnan(rows[i])
        else:
            assert rows[i] == pytest.approx(one, rel=1e-9, abs=1e-6)
