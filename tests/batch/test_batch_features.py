"""Identical timelines for the features the batch engine gained with issue 14.

As in ``test_batch_engine.py``: where a scenario leaves nothing to chance in the timeline (fixed
durations and publish delay, a green model that fails every request or none, evenly spaced
arrivals), the batch engine and the per-replication engine must give the same times and bills,
replication by replication. One table row per feature: rolling updates (a rollback in the
first batch's bake, in a later batch with old instances re-provisioned in
``RollbackMaximumBatchSize`` batches, during a termination wait), metric-math alarms,
high-resolution alarms, extended statistics, a warm-up fault, evenly spaced arrivals under a
daily profile and a burst, and a replay file.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import pytest
from test_batch_engine import FIXED, GREEN_ALARM, TIMING, deterministic

from guardsim.batch.engine import _Block, _memoryless, _Prepared, run_batch
from guardsim.record import Summary
from guardsim.scenarios import check_scenario_dict
from guardsim.scenarios.scenario import Scenario
from guardsim.simulator import simulate

DIMENSIONS = [
    {"Name": "EndpointName", "Value": "DEMO-Deployment-Guardrails-Canary"},
    {"Name": "VariantName", "Value": "AllTraffic"},
    {"Name": "EndpointConfigName", "Value": "DEMO-EpConfig-2"},
]


def _with(scenario: Scenario, edit: dict[str, Any]) -> Scenario:
    """``scenario`` with top-level parts of its definition replaced or edited."""
    data = scenario.to_dict()
    for path, value in edit.items():
        node = data
        *parents, last = path.split(".")
        for key in parents:
            node = node[int(key)] if isinstance(node, list) else node[key]
        key: Any = int(last) if isinstance(node, list) else last
        if value is None:
            del node[key]
        else:
            node[key] = value
    result = check_scenario_dict(data)
    assert result.scenario is not None, result.errors
    return result.scenario


def _rolling(base: dict[str, Any], rollback_batch: int | None) -> dict[str, Any]:
    policy: dict[str, Any] = {
        "MaximumBatchSize": {"Type": "INSTANCE_COUNT", "Value": 1},
        "WaitIntervalInSeconds": 240,
        "MaximumExecutionTimeoutInSeconds": 7200,
    }
    if rollback_batch is not None:
        policy["RollbackMaximumBatchSize"] = {"Type": "INSTANCE_COUNT", "Value": rollback_batch}
    return {
        **base,
        "deployment_config.BlueGreenUpdatePolicy": None,
        "deployment_config.RollingUpdatePolicy": policy,
    }


def _metric(name: str, stat: str) -> dict[str, Any]:
    return {
        "Metric": {"Namespace": "AWS/SageMaker", "MetricName": name, "Dimensions": DIMENSIONS},
        "Period": 60,
        "Stat": stat,
    }


METRIC_MATH = {
    "alarms.2": {
        "AlarmName": GREEN_ALARM,
        "EvaluationPeriods": 1,
        "Threshold": 50.0,
        "ComparisonOperator": "GreaterThanOrEqualToThreshold",
        "TreatMissingData": "notBreaching",
        "Metrics": [
            {"Id": "e", "ReturnData": False, "MetricStat": _metric("Invocation5XXErrors", "Sum")},
            {"Id": "n", "ReturnData": False, "MetricStat": _metric("Invocations", "Sum")},
            {"Id": "rate", "Expression": "100 * e / n", "ReturnData": True},
        ],
    }
}

#: green errors on every request from 700 s: in the second batch of a rolling update
LATE_FAULT = {"models.green.faults": [{"kind": "errors", "rate_5xx": 1.0, "after_seconds": 700}]}

CASES: dict[str, tuple[dict[str, Any], dict[str, Any]]] = {
    # (overrides of `deterministic`, edits of its definition)
    "rolling": ({}, _rolling({}, None)),
    "rolling, a later batch, rollback batches of 1": (
        {**LATE_FAULT, "models.green.error_rate_5xx": 0.0},
        _rolling({}, 1),
    ),
    "rolling, a later batch, rollback batches of 2": (
        {**LATE_FAULT, "models.green.error_rate_5xx": 0.0},
        _rolling({}, 2),
    ),
    "rolling, the alarm trips in a termination wait": (
        {
            # the first batch's old instance terminates over 450-850 s, watched
            "models.green.faults": [{"kind": "errors", "rate_5xx": 1.0, "after_seconds": 480}],
            "models.green.error_rate_5xx": 0.0,
            "environment.watch_alarms_outside_bakes": True,
            "environment.termination_seconds": {**FIXED, "value": 400},
        },
        _rolling({}, 1),
    ),
    "metric math": ({}, METRIC_MATH),
    # 10 s windows: one holds a minute's datapoint only if the minute starts in it, and the
    # range must reach back past the publish delay (70 s) to see one
    "period 10": (
        {
            "alarms.2.Period": 10,
            "alarms.2.EvaluationPeriods": 12,
            "alarms.2.DatapointsToAlarm": 1,
        },
        {},
    ),
    "period 30, offset": (
        {
            "alarms.2.Period": 30,
            "alarms.2.EvaluationPeriods": 4,
            "alarms.2.DatapointsToAlarm": 1,
            "environment.alarm_evaluation_offset_seconds": 17,
        },
        {},
    ),
    "extended statistic of errors": (
        {},
        {"alarms.2.Statistic": None, "alarms.2.ExtendedStatistic": "p90"},
    ),
    "warm-up": (
        {
            "models.green.error_rate_5xx": 0.0,
            "models.green.faults": [{"kind": "warmup", "duration_seconds": 90, "rate_5xx": 1.0}],
        },
        {},
    ),
    "rolling, warm-up": (
        {
            "models.green.error_rate_5xx": 0.0,
            "models.green.faults": [{"kind": "warmup", "duration_seconds": 90, "rate_5xx": 1.0}],
        },
        _rolling({}, 1),
    ),
    "uniform arrivals, daily profile and a burst": (
        {
            "traffic.profile": "daily",
            "traffic.daily_amplitude": 0.7,
            "traffic.start_hour": 8.0,
            "traffic.bursts": [{"at_seconds": 250, "duration_seconds": 95, "multiplier": 3}],
        },
        {},
    ),
}


def _scenario(case: str, fails: bool) -> Scenario:
    overrides, edits = CASES[case]
    if not fails:
        overrides = {**overrides, "models.green.error_rate_5xx": 0.0}
        overrides.pop("models.green.faults", None)
    scenario = deterministic(overrides, fails=fails)
    return _with(scenario, edits) if edits else scenario


@functools.cache
def _rows(case: str, fails: bool) -> list[tuple[int, str, Summary]]:
    return run_batch(_scenario(case, fails), seed=3, start=0, stop=3)


def _same(scenario: Scenario, rows: list[tuple[int, str, Summary]], case: str) -> None:
    assert len(rows) == 3, case
    for i, outcome, summary in rows:
        record = simulate(scenario, seed=3, mode="fast", replication=i, detail=False)
        assert outcome == record.outcome, (case, i)
        for name in TIMING:  # (request counts are not compared: the fleet split is random)
            assert getattr(summary, name) == getattr(record.summary, name), (case, name, i)


@pytest.mark.parametrize("fails", [True, False], ids=["failing green", "healthy green"])
@pytest.mark.parametrize("case", list(CASES))
def test_new_features_give_the_per_replication_timeline(case: str, fails: bool) -> None:
    rows = _rows(case, fails)
    _same(_scenario(case, fails), rows, case)
    # not degenerate: a failing green rolls back, a healthy one succeeds
    assert rows[0][1] == ("ROLLED_BACK" if fails else "SUCCEEDED"), case


def test_a_replay_file_gives_the_per_replication_timeline(tmp_path: Path) -> None:
    replay = tmp_path / "traffic.csv"
    replay.write_text("count\n" + "".join(f"{600 + 240 * (k % 3)}\n" for k in range(40)))
    scenario = deterministic({"traffic.replay_file": str(replay)})
    _same(scenario, run_batch(scenario, seed=3, start=0, stop=3), "replay")


def test_a_rollback_in_a_later_batch_re_provisions_old_instances() -> None:
    """The later-batch rolling case's rollback outlasts the first-batch case's by at least
    one old instance's provisioning (200 s): it re-provisions what the update terminated."""
    first = _rows("rolling", True)[0][2]
    later = _rows("rolling, a later batch, rollback batches of 1", True)[0][2]
    assert first.rollback_started_seconds is not None
    assert first.rollback_completed_seconds is not None
    assert later.rollback_started_seconds is not None
    assert later.rollback_completed_seconds is not None
    took_first = first.rollback_completed_seconds - first.rollback_started_seconds
    took_later = later.rollback_completed_seconds - later.rollback_started_seconds
    assert took_later > took_first + 200


def test_the_rolling_cases_leave_where_they_say() -> None:
    """Each rolling case trips in the wait its name gives (stage = 4 * batch + phase)."""
    wants = {
        "rolling": (0, _Block.BAKE),
        "rolling, a later batch, rollback batches of 1": (1, _Block.BAKE),
        "rolling, the alarm trips in a termination wait": (0, _Block.TERMINATE),
    }
    for case, (step, phase) in wants.items():
        block = _Block(_Prepared(_scenario(case, True)), 3, 0)
        block.run()
        assert set(block.leave_stage.tolist()) == {4 * step + phase}, case


def test_only_a_rule_that_forgets_its_state_lets_minutes_be_skipped() -> None:
    """TreatMissingData=ignore keeps the state through missing data: such an alarm's state
    depends on every earlier evaluation, so nothing is skipped; notBreaching forgets."""
    forgets = _Prepared(deterministic())
    keeps = _Prepared(deterministic({"alarms.2.TreatMissingData": "ignore"}))
    assert [_memoryless(a) for a in forgets.alarms] == [True, True, True]
    assert _memoryless(keeps.alarms[2]) is False
    assert forgets.forgetful and not keeps.forgetful


def test_minutes_no_poll_can_read_are_not_simulated() -> None:
    """The warm-up (300 s) is read by no poll: its minutes are not sampled (the block's arrays
    start after them) when the alarms forget, and are when one does not; the timelines above
    show the result is the same."""
    for overrides, skipped in (({}, True), ({"alarms.2.TreatMissingData": "ignore"}, False)):
        prep = _Prepared(deterministic(overrides))
        block = _Block(prep, 3, 0)
        block.run()
        assert (block.origin > prep.first_minute) is skipped, overrides
        first = block.n["blue"][:, 0]  # the first minute simulated: blue serves every request
        assert bool((first > 0).all()), overrides
