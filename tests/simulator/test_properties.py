"""Conservation properties of simulated deployments, over generated scenarios (Hypothesis).

Scenarios come from :mod:`guardsim.testing` (every policy kind, alarms on both dimension sets,
single-metric and metric math, faults, every environment setting) and run in exact and fast
mode. Each property is checked on the run record alone:

* every request is served by exactly one fleet: per minute, the blended datapoint is the sum
  of the per-config ones, and the summary's counts agree with them;
* the green traffic fraction is 0 before the first flip and after a rollback completes, never
  exceeds the planned fraction of the current step, and the fleet never loses capacity;
* no bake ends before its configured length unless an alarm or the timeout ends it;
* blue is never terminated before the final bake ends without a trip (blue/green), and an old
  instance only after the bake of the batch that replaced it (rolling);
* a rolled-back deployment ends InService on the old config with no green traffic;
* the transitions chain legally through the state machine's table and the outcome matches the
  final phase; the summary agrees with the transitions;
* every alarm is evaluated exactly on its CloudWatch schedule (aws-model.md #evaluation-schedule).

Each property is a parametrization of one test per policy kind; all of them draw the same
scenarios (one strategy per policy, one fixed seed, so CI is stable), and ``_run`` simulates
each scenario once. A second family gives the new model a 100 % 5XX rate and a per-fleet alarm
that catches it, so the rollback paths are exercised often.
"""

from __future__ import annotations

import itertools
import json
import math
from collections.abc import Callable
from functools import cache
from typing import Any

import pytest
from hypothesis import HealthCheck, given, seed, settings
from hypothesis import strategies as st

from guardsim.cloudwatch.schedule import evaluation_interval
from guardsim.deployment.machine import Phase, Trigger, next_phase
from guardsim.deployment.plan import Step, plan_steps
from guardsim.record import DATAPOINT_COLUMNS, RunRecord
from guardsim.scenarios import check_scenario_dict
from guardsim.scenarios.scenario import Scenario
from guardsim.simulator import simulate
from guardsim.testing import POLICY_KINDS, EndpointNames, alarm_kwargs, scenarios

EPS = 1e-6
COUNT_METRICS = (
    "Invocations",
    "Invocation4XXErrors",
    "Invocation5XXErrors",
    "InvocationModelErrors",
)

Case = tuple[Scenario, str]
MODES = st.sampled_from(["exact", "fast"])


@st.composite
def _alarms_with_a_green_error_alarm(draw: st.DrawFn, names: EndpointNames) -> list[dict[str, Any]]:
    """A per-fleet 5XX alarm on the new config that trips on a failing model, then 0-2 more."""
    green_5xx = {
        "AlarmName": f"{names.endpoint}-green-5xx",
        "Namespace": "AWS/SageMaker",
        "MetricName": "Invocation5XXErrors",
        "Statistic": "Average",
        "Dimensions": [
            {"Name": "EndpointName", "Value": names.endpoint},
            {"Name": "VariantName", "Value": names.variant},
            {"Name": "EndpointConfigName", "Value": names.green_config},
        ],
        "Period": 60,
        "EvaluationPeriods": 1,
        "Threshold": 0.5,
        "ComparisonOperator": "GreaterThanOrEqualToThreshold",
        "TreatMissingData": "notBreaching",
    }
    more = draw(st.integers(0, 2))
    return [
        green_5xx,
        *(draw(alarm_kwargs(names, name=f"{names.endpoint}-alarm-{i}")) for i in range(more)),
    ]


#: Drawn scenarios of each policy kind, each run in exact or fast mode.
CASES: dict[str, st.SearchStrategy[Case]] = {
    kind: st.tuples(scenarios(policy=kind), MODES) for kind in POLICY_KINDS
}
#: The same with a green model that fails every request, watched by a per-fleet 5XX alarm:
#: most of these roll back (unless the bakes are too short for the alarm to see a datapoint).
BAD_GREEN: dict[str, st.SearchStrategy[Case]] = {
    kind: st.tuples(
        scenarios(
            policy=kind,
            green_error_rate=1.0,
            alarms=_alarms_with_a_green_error_alarm,
            rollback_alarms=lambda names: st.just(list(names)),
        ),
        MODES,
    )
    for kind in POLICY_KINDS
}

PROPERTY = settings(
    max_examples=25, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow]
)
SEED = 20261124


@cache
def _run_json(scenario_json: str, mode: str) -> RunRecord:
    scenario = check_scenario_dict(json.loads(scenario_json)).scenario
    assert scenario is not None
    return simulate(scenario, mode=mode)


def _run(case: Case) -> RunRecord:
    scenario, mode = case
    return _run_json(json.dumps(scenario.to_dict(), sort_keys=True), mode)


def _steps(s: Scenario) -> tuple[Step, ...]:
    env = s.environment
    return plan_steps(
        s.deployment_config,
        s.endpoint.green.instance_count,
        env.percent_rounding,
        all_at_once_bakes_wait_interval=env.all_at_once_bakes_wait_interval,
    )


def _shifts(record: RunRecord) -> list[dict[str, Any]]:
    """The traffic flips: ActivatingTraffic -> Baking / FinalBake, one per planned step."""
    return [
        t
        for t in record.transitions
        if t["from"] == "ActivatingTraffic" and t["to"] in ("Baking", "FinalBake")
    ]


def _datapoints(record: RunRecord) -> dict[tuple[str, float], dict[str, dict[str, Any]]]:
    """(metric, minute) -> dimension set -> datapoint."""
    out: dict[tuple[str, float], dict[str, dict[str, Any]]] = {}
    columns = [record.datapoints[c] for c in DATAPOINT_COLUMNS]
    for row in zip(*columns, strict=True):
        point = dict(zip(DATAPOINT_COLUMNS, row, strict=True))
        out.setdefault((point["metric"], point["timestamp"]), {})[point["dimensions"]] = point
    return out


def check_every_request_is_served_by_exactly_one_fleet(s: Scenario, r: RunRecord) -> None:
    points = _datapoints(r)  # none at all if the traffic never sent a request
    green_total = 0
    for (metric, minute), views in points.items():
        blended = views["blended"]
        fleets = [views[f] for f in ("blue", "green") if f in views]
        assert fleets, (metric, minute)
        assert blended["sample_count"] == sum(p["sample_count"] for p in fleets), (metric, minute)
        if metric in COUNT_METRICS:
            assert blended["sum"] == sum(p["sum"] for p in fleets), (metric, minute)
        if metric == "Invocations":
            assert blended["sum"] == blended["sample_count"], minute
            green_total += views["green"]["sample_count"] if "green" in views else 0
            if minute + 60 <= 0:  # before UpdateEndpoint only blue serves
                assert "green" not in views, minute
    summary = r.summary
    assert 0 <= summary.green_errors <= summary.green_requests
    assert summary.green_errors <= summary.user_errors
    if r.outcome == "ROLLED_BACK":  # green serves nothing after the rollback: all counted
        assert green_total == summary.green_requests
    else:  # a new fleet keeps serving after the deployment ends (not counted)
        assert green_total >= summary.green_requests


def check_green_traffic_follows_the_plan(s: Scenario, r: RunRecord) -> None:
    steps = _steps(s)
    shifts = _shifts(r)
    assert len(shifts) <= len(steps)
    first_flip = shifts[0]["t"] if shifts else math.inf
    n = s.endpoint.green.instance_count  # the drawn blue and green fleets have the same size
    for row in r.traffic:
        assert row["active_blue"] + row["active_green"] == n, row  # no capacity lost
        if row["t"] < first_flip:
            assert row["green_fraction"] == 0.0, row
        current = sum(1 for t in shifts if t["t"] <= row["t"])
        if current:
            assert row["green_fraction"] <= steps[current - 1].green_fraction + EPS, (row, steps)
    assert r.summary.peak_green_traffic_fraction >= max(row["green_fraction"] for row in r.traffic)
    done = r.summary.rollback_completed_seconds
    if done is not None:
        after = [row for row in r.traffic if row["t"] >= done]
        assert after and after[0]["t"] == done, (done, r.traffic)
        assert all(row["green_fraction"] == 0.0 for row in after), r.traffic


def check_no_bake_is_cut_short(s: Scenario, r: RunRecord) -> None:
    steps = _steps(s)
    transitions = r.transitions
    shifts = 0
    for i, t in enumerate(transitions):
        if t["to"] not in ("Baking", "FinalBake"):
            continue
        step = steps[shifts]
        shifts += 1
        if i + 1 == len(transitions):  # only if the horizon stopped the run mid-bake
            assert r.notes
            continue
        leave = transitions[i + 1]
        length = leave["t"] - t["t"]
        if leave["trigger"] in (Trigger.ALARM_TRIPPED, Trigger.TIMEOUT, Trigger.TIMEOUT_FAILED):
            continue
        assert leave["to"] not in ("RollingBack", "Failed"), leave
        assert abs(length - step.bake_seconds) < EPS, (t, leave, step)


def check_old_instances_outlive_their_bakes(s: Scenario, r: RunRecord) -> None:
    terminated = sorted(
        i["terminated_at"]
        for i in r.instances
        if i["fleet"] == "blue" and i["terminated_at"] is not None and i["launched_at"] <= 0
    )  # the blue fleet in service before the update
    if s.deployment_config.policy_kind != "ROLLING":
        final_bake_ends = [
            t["t"] for t in r.transitions if t["from"] == "FinalBake" and t["to"] == "Deleting"
        ]
        if not final_bake_ends:
            assert terminated == [], "blue terminated without a final bake ending"
        else:
            assert all(at >= final_bake_ends[0] for at in terminated), (terminated, final_bake_ends)
        if r.outcome == "SUCCEEDED":
            assert terminated == [r.summary.deployment_seconds] * s.endpoint.blue.instance_count
        return
    # rolling: the k-th old instance goes only after the bake of the batch that replaced it
    bake_ends = [t["t"] for t in r.transitions if t["trigger"] == Trigger.BATCH_BAKE_DONE]
    covered = [step.green_instances for step in _steps(s)]
    for k, at in enumerate(terminated, start=1):
        batch = next(i for i, c in enumerate(covered) if c >= k)
        assert batch < len(bake_ends) and at >= bake_ends[batch], (k, at, bake_ends)


def check_a_rollback_ends_in_service_on_the_old_config(s: Scenario, r: RunRecord) -> None:
    if r.outcome != "ROLLED_BACK":
        return
    last = r.transitions[-1]
    assert last["to"] == "InService" and last["trigger"] == Trigger.ROLLBACK_DONE
    assert last["reason"] == f"Rolled back: InService on {s.endpoint.blue.name}"
    final = r.traffic[-1]
    assert (final["green_fraction"], final["active_green"]) == (0.0, 0)
    assert final["active_blue"] == s.endpoint.blue.instance_count
    end = r.summary.deployment_seconds
    for inst in r.instances:
        if inst["fleet"] == "green":
            assert inst["terminated_at"] is not None and inst["terminated_at"] <= end + EPS
    assert (
        sum(1 for i in r.instances if i["fleet"] == "blue" and i["terminated_at"] is None)
        == s.endpoint.blue.instance_count
    )


def check_transitions_chain_legally(s: Scenario, r: RunRecord) -> None:
    transitions = r.transitions
    assert transitions[0]["from"] == "InService" and transitions[0]["t"] == 0.0
    for before, after in itertools.pairwise(transitions):
        assert before["to"] == after["from"], (before, after)
        assert before["t"] <= after["t"], (before, after)
    for t in transitions:
        assert next_phase(Phase(t["from"]), Trigger(t["trigger"])) is Phase(t["to"]), t
    last = transitions[-1]
    if r.outcome == "SUCCEEDED":
        assert last["to"] == "InService" and last["trigger"] == Trigger.CLEANUP_DONE
        assert last["reason"].endswith(f"InService on {s.endpoint.green.name}")
    elif r.outcome == "ROLLED_BACK":
        assert last["to"] == "InService" and last["trigger"] == Trigger.ROLLBACK_DONE
    else:
        assert last["to"] in ("Failed", "UpdateRollbackFailed") or r.notes, (last, r.notes)
    assert r.summary.deployment_seconds == last["t"] or r.notes


def check_the_summary_agrees_with_the_transitions(s: Scenario, r: RunRecord) -> None:
    summary = r.summary
    rollbacks = [
        t for t in r.transitions if t["to"] == "RollingBack" and t["from"] != "RollbackCreating"
    ]
    if rollbacks:
        assert summary.rollback_started_seconds == rollbacks[0]["t"]
        assert summary.rollback_started_seconds is not None
        assert summary.rollback_completed_seconds is not None
        assert summary.rollback_started_seconds <= summary.rollback_completed_seconds
        assert summary.rollback_completed_seconds <= summary.deployment_seconds
    else:
        assert summary.rollback_started_seconds is None
        assert summary.rollback_completed_seconds is None
    tripped = rollbacks and rollbacks[0]["trigger"] == Trigger.ALARM_TRIPPED
    if tripped:
        assert summary.detected_at_seconds is not None
        assert summary.rollback_started_seconds is not None
        assert summary.detected_at_seconds <= summary.rollback_started_seconds
        assert summary.tripped_alarms
        assert set(summary.tripped_alarms) <= set(s.deployment_config.rollback_alarm_names)
    else:
        assert summary.detected_at_seconds is None and summary.tripped_alarms == ()


def check_alarms_are_evaluated_on_their_schedule(s: Scenario, r: RunRecord) -> None:
    offset = s.environment.alarm_evaluation_offset_seconds
    for alarm in s.alarms:
        times = [e["t"] for e in r.alarm_evaluations if e["alarm"] == alarm.name]
        rule_period = alarm.period or next(
            q["MetricStat"]["Period"] for q in alarm.metrics or () if "MetricStat" in q
        )
        interval = evaluation_interval(rule_period, alarm.evaluation_periods)
        assert times, alarm.name
        for t in times:
            k = round((t - offset) / interval)
            assert abs(t - offset - k * interval) < EPS, (alarm.name, t, interval, offset)
        gaps = {round(b - a, 6) for a, b in itertools.pairwise(times)}
        assert gaps <= {float(interval)}, (alarm.name, gaps)


CHECKS = [
    check_every_request_is_served_by_exactly_one_fleet,
    check_green_traffic_follows_the_plan,
    check_no_bake_is_cut_short,
    check_old_instances_outlive_their_bakes,
    check_a_rollback_ends_in_service_on_the_old_config,
    check_transitions_chain_legally,
    check_the_summary_agrees_with_the_transitions,
    check_alarms_are_evaluated_on_their_schedule,
]


def _name(check: Callable[[Scenario, RunRecord], None]) -> str:
    return check.__name__.removeprefix("check_")


# Every (property, policy) pair draws the same scenarios (one strategy per policy, one seed), so
# each scenario is simulated once and checked by every property.
@pytest.mark.parametrize("policy", POLICY_KINDS)
@pytest.mark.parametrize("check", CHECKS, ids=_name)
@PROPERTY
@seed(SEED)
@given(data=st.data())
def test_property(
    check: Callable[[Scenario, RunRecord], None], policy: str, data: st.DataObject
) -> None:
    scenario, mode = data.draw(CASES[policy], label="scenario, mode")
    check(scenario, _run((scenario, mode)))


@pytest.mark.parametrize("policy", POLICY_KINDS)
@settings(PROPERTY, max_examples=40)
@seed(SEED)
@given(data=st.data())
def test_every_property_when_the_new_model_fails_every_request(
    policy: str, data: st.DataObject
) -> None:
    scenario, mode = data.draw(BAD_GREEN[policy], label="scenario, mode")
    record = _run((scenario, mode))
    for check in CHECKS:
        check(scenario, record)
