"""Exact timelines of the built-in scenarios (aws-model.md #canary, #linear), SimPy style.

The four seed-post scenarios are run with every duration fixed, so each phase change happens at
a time that can be worked out by hand from the spec and the controller:

* provisioning 240 s per instance (the fleet is ready when its slowest instance is: t = 240);
* ActivatingTraffic 10 s per step; Deleting (termination) 60 s; a blue/green rollback moves all
  traffic back to blue in 15 s;
* each minute's datapoint is published 60 s after the minute ends, so minute [m, m + 60) is
  visible to alarms from m + 120; alarms are evaluated on the minute (CloudWatch's clock runs
  first at equal times); SageMaker polls the rollback alarms every 30 s from the start of a
  bake, and only during bakes.

The ALL_AT_ONCE and rolling built-ins are run as shipped (their own random durations) and only
their outcomes and phase sequences are checked.
"""

from __future__ import annotations

from typing import Any

import pytest

from guardsim.record import DATAPOINT_COLUMNS, RunRecord
from guardsim.scenarios import check_scenario_dict, load_scenario
from guardsim.scenarios.scenario import Scenario
from guardsim.simulator import simulate

DETERMINISTIC = {
    "provisioning_seconds": {"kind": "fixed", "value": 240},
    "activation_seconds": {"kind": "fixed", "value": 10},
    "termination_seconds": {"kind": "fixed", "value": 60},
    "rollback_seconds": {"kind": "fixed", "value": 15},
    "metric_publish_delay_seconds": {"kind": "fixed", "value": 60},
    "alarm_poll_interval_seconds": 30,
}
THIRD, TWO_THIRDS = 1 / 3, 2 / 3


def deterministic(name: str) -> Scenario:
    data = load_scenario(name).to_dict()
    data["environment"].update(DETERMINISTIC)
    result = check_scenario_dict(data)
    assert result.errors == ()
    assert result.scenario is not None
    return result.scenario


def timeline(record: RunRecord) -> list[tuple[float, str, str]]:
    return [(t["t"], t["from"], t["to"]) for t in record.transitions]


def green_fractions(record: RunRecord) -> list[tuple[float, float]]:
    return [(row["t"], row["green_fraction"]) for row in record.traffic]


def blended_datapoint(record: RunRecord, metric: str, minute: float) -> dict[str, Any]:
    rows = [
        dict(zip(DATAPOINT_COLUMNS, row, strict=True))
        for row in zip(*(record.datapoints[c] for c in DATAPOINT_COLUMNS), strict=True)
    ]
    (row,) = [
        r
        for r in rows
        if r["metric"] == metric and r["dimensions"] == "blended" and r["timestamp"] == minute
    ]
    return row


# --------------------------------------------------------------------------- successes


def test_canary_success_timeline() -> None:
    # 0     UpdateEndpoint: provision the full green fleet (3 x 240 s, in parallel)
    # 240   fleet ready -> ActivatingTraffic (10 s)
    # 250   canary of 1 instance of 3 active (33 %) -> Baking for WaitIntervalInSeconds = 300 s
    # 550   bake over, no alarm -> ActivatingTraffic (10 s)
    # 560   all 3 green active, all blue deactivated -> FinalBake for TerminationWait = 120 s
    # 680   final bake over -> Deleting: blue terminated in 60 s
    # 740   InService on the new config
    record = simulate(deterministic("seed-canary-success"))
    assert timeline(record) == [
        (0.0, "InService", "Creating"),
        (240.0, "Creating", "ActivatingTraffic"),
        (250.0, "ActivatingTraffic", "Baking"),
        (550.0, "Baking", "ActivatingTraffic"),
        (560.0, "ActivatingTraffic", "FinalBake"),
        (680.0, "FinalBake", "Deleting"),
        (740.0, "Deleting", "InService"),
    ]
    assert record.outcome == "SUCCEEDED"
    assert green_fractions(record) == [(-900.0, 0.0), (250.0, THIRD), (560.0, 1.0)]
    assert record.summary.deployment_seconds == 740.0
    assert record.summary.detected_at_seconds is None
    assert record.summary.rollback_started_seconds is None
    assert record.summary.tripped_alarms == ()
    assert all(h["to"] != "ALARM" for h in record.alarm_history)
    blue_ends = {i["terminated_at"] for i in record.instances if i["fleet"] == "blue"}
    green = [i for i in record.instances if i["fleet"] == "green"]
    assert blue_ends == {740.0}
    assert [
        (i["launched_at"], i["ready_at"], i["activated_at"], i["terminated_at"]) for i in green
    ] == [(0.0, 240.0, 250.0, None), (0.0, 240.0, 560.0, None), (0.0, 240.0, 560.0, None)]


def test_linear_success_timeline() -> None:
    # LINEAR, 33 % of 3 = 1 instance per step (aws-model.md #fleet-sizes), three steps: the first
    # two are
    # followed by a 180 s step bake, the last by the 120 s final bake (aws-model.md #linear).
    # 0 Creating; 240 ActivatingTraffic; 250 Baking (1 of 3); 430 ActivatingTraffic;
    # 440 Baking (2 of 3); 620 ActivatingTraffic; 630 FinalBake (3 of 3); 750 Deleting;
    # 810 InService.
    record = simulate(deterministic("seed-linear-success"))
    assert timeline(record) == [
        (0.0, "InService", "Creating"),
        (240.0, "Creating", "ActivatingTraffic"),
        (250.0, "ActivatingTraffic", "Baking"),
        (430.0, "Baking", "ActivatingTraffic"),
        (440.0, "ActivatingTraffic", "Baking"),
        (620.0, "Baking", "ActivatingTraffic"),
        (630.0, "ActivatingTraffic", "FinalBake"),
        (750.0, "FinalBake", "Deleting"),
        (810.0, "Deleting", "InService"),
    ]
    assert record.outcome == "SUCCEEDED"
    assert green_fractions(record) == [
        (-900.0, 0.0),
        (250.0, THIRD),
        (440.0, TWO_THIRDS),
        (630.0, 1.0),
    ]
    assert record.summary.deployment_seconds == 810.0
    assert record.summary.detected_at_seconds is None


# --------------------------------------------------------------------------- rollbacks

# Both rollback scenarios shift 1 instance of 3 (a third of the traffic) to a green model that
# fails every request and answers in ~45 ms on average (lognormal, median 40 ms, p99 120 ms),
# while blue answers in ~3.4 ms (median 3 ms, p99 10 ms). Traffic is one request a second.
#
# The latency alarm (blended Average ModelLatency >= 10000 us, Period 60, 1 of 1, notBreaching):
# * minutes up to [180, 240) carry blue traffic only: ~3.4 ms, OK;
# * minute [240, 300) has 10 s of blue only, then 50 s with a third of the requests on green:
#   about 17 of 60 requests at ~45 ms -> ~15 ms >= 10 ms, breaching. It is published at
#   300 + 60 = 360;
# * the evaluation at 360 reads it (the newest real datapoint; [300, 360) is not published until
#   420) and the alarm goes to ALARM at 360;
# * SageMaker polls every 30 s from the bake's start at 250: 250, 280, 310, 340, 370. The poll at
#   370 sees ALARM: detected at 370, inside both the 300 s canary bake and the 180 s linear bake.
# Then: 370 RollingBack; 385 (+15 s) all traffic back on blue, green being terminated;
# 445 (+60 s) InService on the old config.
#
# The error alarm (blended Average Invocation5XXErrors >= 1) never trips: the blended error
# fraction is at most the green share of traffic, a third, and >= 1 needs every request of a
# minute to fail (aws-model.md #alarm-guidance).

ROLLBACK_TIMELINE = [
    (0.0, "InService", "Creating"),
    (240.0, "Creating", "ActivatingTraffic"),
    (250.0, "ActivatingTraffic", "Baking"),
    (370.0, "Baking", "RollingBack"),
    (385.0, "RollingBack", "RollbackDeleting"),
    (445.0, "RollbackDeleting", "InService"),
]


@pytest.mark.parametrize(
    ("name", "prefix"),
    [
        ("seed-canary-rollback", "TEST-DEMO-Deployment-Guardrails-Canary"),
        ("seed-linear-rollback", "TEST-DEMO-Deployment-Guardrails-Linear"),
    ],
)
def test_rollback_timeline(name: str, prefix: str) -> None:
    scenario = deterministic(name)
    record = simulate(scenario)
    latency_alarm, error_alarm = f"{prefix}-Model-Latency", f"{prefix}-5XX-Errors"

    assert timeline(record) == ROLLBACK_TIMELINE
    assert record.outcome == "ROLLED_BACK"
    assert record.transitions[3]["trigger"] == "alarm_tripped"
    assert record.transitions[3]["reason"].startswith(f"alarm {latency_alarm!r} ALARM")
    blue_name = scenario.endpoint.blue.name
    assert record.transitions[-1]["reason"] == f"Rolled back: InService on {blue_name}"

    # the datapoint that tripped it, and the one before
    breaching = blended_datapoint(record, "ModelLatency", 240.0)
    assert breaching["published_at"] == 360.0
    assert breaching["sum"] / breaching["sample_count"] >= 10000
    before = blended_datapoint(record, "ModelLatency", 180.0)
    assert before["sum"] / before["sample_count"] < 10000
    assert next(
        (h["t"], h["to"])
        for h in record.alarm_history
        if h["alarm"] == latency_alarm and h["t"] >= 0
    ) == (360.0, "ALARM")
    assert all(h["to"] != "ALARM" for h in record.alarm_history if h["alarm"] == error_alarm)

    summary = record.summary
    assert summary.tripped_alarms == (latency_alarm,)
    assert summary.detected_at_seconds == 370.0
    assert summary.rollback_started_seconds == 370.0
    assert summary.rollback_completed_seconds == summary.rollback_started_seconds + 15
    assert summary.deployment_seconds == summary.rollback_completed_seconds + 60
    assert summary.peak_green_traffic_fraction == THIRD
    assert 0 < summary.green_errors == summary.green_requests == summary.user_errors
    assert green_fractions(record) == [(-900.0, 0.0), (250.0, THIRD), (385.0, 0.0)]
    assert record.traffic[-1]["active_blue"] == 3
    # the green fleet is terminated when the rollback ends; blue is never terminated
    assert {i["terminated_at"] for i in record.instances if i["fleet"] == "green"} == {445.0}
    assert {i["terminated_at"] for i in record.instances if i["fleet"] == "blue"} == {None}


# --------------------------------------------------------------------------- other built-ins


def phases(record: RunRecord) -> list[str]:
    return [t["to"] for t in record.transitions]


def test_all_at_once_built_in_rolls_back_during_its_final_bake() -> None:
    # aws-model.md #all-at-once: one flip of all traffic, the final bake is the only protection;
    # the 5 % error
    # rate of the new fleet trips the per-fleet error-rate alarm during it.
    record = simulate(load_scenario("all-at-once-final-bake"))
    assert record.outcome == "ROLLED_BACK"
    assert phases(record) == [
        "Creating",
        "ActivatingTraffic",
        "FinalBake",
        "RollingBack",
        "RollbackDeleting",
        "InService",
    ]
    assert record.summary.tripped_alarms == ("fraud-scorer-v42-5xx-rate",)
    assert [row["green_fraction"] for row in record.traffic] == [0.0, 1.0, 0.0]


def test_rolling_built_in_rolls_back_in_its_third_batch() -> None:
    # aws-model.md #rolling: batch by batch (create, flip, bake, delete old); the slowed-down new
    # model trips
    # the p99 alarm in batch 3; the rollback reactivates the kept old instance and provisions the
    # two old instances already terminated in one RollbackMaximumBatchSize batch of 2.
    record = simulate(load_scenario("rolling-batch-rollback"))
    assert record.outcome == "ROLLED_BACK"
    batch = ["Creating", "ActivatingTraffic", "Baking"]
    assert phases(record) == [
        *batch,
        "Deleting",
        *batch,
        "Deleting",
        *batch,
        "RollingBack",
        "RollbackCreating",
        "RollingBack",
        "RollbackDeleting",
        "InService",
    ]
    assert [row["green_fraction"] for row in record.traffic] == [0.0, 0.25, 0.5, 0.75, 0.5, 0.0]
    relaunched = [i for i in record.instances if i["fleet"] == "blue" and i["launched_at"] >= 0]
    assert len(relaunched) == 2


# --------------------------------------------------------------------------- alarm schedule


@pytest.mark.parametrize("offset", [0.0, 15.0])
def test_each_alarm_is_evaluated_on_its_own_schedule(offset: float) -> None:
    # aws-model.md #evaluation-schedule: a Period of 60 s or more is evaluated every minute,
    # 10/20/30 s every 10 s. A
    # high-resolution alarm next to a standard one must not make the standard one evaluate every
    # 10 s, and an evaluation offset that is not a multiple of 10 s must not stop the
    # high-resolution one (both did, before the monitor checked each alarm's own schedule).
    data = load_scenario("seed-canary-success").to_dict()
    fast = {**data["alarms"][1], "AlarmName": "high-resolution", "Period": 10}
    data["alarms"].append(fast)
    data["deployment_config"]["AutoRollbackConfiguration"]["Alarms"].append(
        {"AlarmName": "high-resolution"}
    )
    data["environment"] = {**DETERMINISTIC, "alarm_evaluation_offset_seconds": offset}
    scenario = check_scenario_dict(data).scenario
    assert scenario is not None
    record = simulate(scenario)

    def times(alarm: str) -> list[float]:
        return [
            e["t"] for e in record.alarm_evaluations if e["alarm"] == alarm and 0 <= e["t"] < 130
        ]

    assert times("TEST-DEMO-Deployment-Guardrails-Canary-Model-Latency") == [
        t + offset for t in (0.0, 60.0, 120.0) if t + offset < 130
    ]
    assert times("high-resolution") == [
        t + offset % 10 for t in range(0, 130, 10) if t + offset % 10 < 130
    ]
