"""The batch engine's parts, and its timelines against the per-replication engine.

The batch engine draws its random numbers differently (test_batch_vs_fast.py compares the
distributions), but where a scenario leaves nothing to chance in the timeline (fixed durations,
a fixed publish delay, a green model that fails every request, evenly spaced arrivals), both
engines must give the *same* times: detection, rollback, the end, the billed seconds. That pins
the controller's semantics (polls, timeouts, bakes, every environment setting) draw for draw.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from guardsim.batch.engine import BLOCK, run_batch
from guardsim.cloudwatch.alarm import AlarmRule, AlarmState
from guardsim.model.latency import (
    NORMAL_SUM_THRESHOLD,
    draw_summaries,
    mixture_quantile,
    mixture_quantile_scalar,
)
from guardsim.scenarios import check_scenario_dict, load_scenario
from guardsim.scenarios.scenario import Scenario
from guardsim.simulator import simulate
from guardsim.simulator.metrics import LatencyComponent

FIXED = {"kind": "fixed"}
GREEN_ALARM = "green-5xx"


def deterministic(overrides: dict[str, Any] | None = None, *, fails: bool = True) -> Scenario:
    """seed-canary-rollback with nothing random in its timeline."""
    data = load_scenario("seed-canary-rollback").to_dict()
    data["name"] = "deterministic"
    data["models"]["green"] = {
        "latency": {"median_ms": 3, "p99_ms": 10},
        "error_rate_5xx": 1.0 if fails else 0.0,
    }
    data["traffic"] = {"rate_per_second": 20.0, "arrivals": "uniform"}
    data["simulation"] = {"warmup_seconds": 300, "cooldown_seconds": 0, "seed": 1}
    data["environment"] = {
        "provisioning_seconds": {**FIXED, "value": 200},
        "activation_seconds": {**FIXED, "value": 10},
        "termination_seconds": {**FIXED, "value": 60},
        "rollback_seconds": {**FIXED, "value": 15},
        "metric_publish_delay_seconds": {**FIXED, "value": 70},
    }
    data["alarms"].append(
        {
            "AlarmName": GREEN_ALARM,
            "Namespace": "AWS/SageMaker",
            "MetricName": "Invocation5XXErrors",
            "Statistic": "Average",
            "Dimensions": [
                {"Name": "EndpointName", "Value": "DEMO-Deployment-Guardrails-Canary"},
                {"Name": "VariantName", "Value": "AllTraffic"},
                {"Name": "EndpointConfigName", "Value": "DEMO-EpConfig-2"},
            ],
            "Period": 60,
            "EvaluationPeriods": 1,
            "Threshold": 0.5,
            "ComparisonOperator": "GreaterThanOrEqualToThreshold",
            "TreatMissingData": "notBreaching",
        }
    )
    data["deployment_config"]["AutoRollbackConfiguration"]["Alarms"].append(
        {"AlarmName": GREEN_ALARM}
    )
    for path, value in (overrides or {}).items():
        node = data
        *parents, last = path.split(".")
        for key in parents:
            node = node[int(key)] if isinstance(node, list) else node.setdefault(key, {})
        node[last] = value
    result = check_scenario_dict(data)
    assert result.scenario is not None, result.errors
    return result.scenario


TIMING = (
    "deployment_seconds",
    "detected_at_seconds",
    "rollback_started_seconds",
    "rollback_completed_seconds",
    "tripped_alarms",
    "peak_green_traffic_fraction",
    "instance_seconds",
    "cost_usd",
)

LINEAR = {
    "Type": "LINEAR",
    "LinearStepSize": {"Type": "INSTANCE_COUNT", "Value": 1},
    "WaitIntervalInSeconds": 240,
}
ROUTING = "deployment_config.BlueGreenUpdatePolicy.TrafficRoutingConfiguration"
POLICY = "deployment_config.BlueGreenUpdatePolicy"

CASES: dict[str, dict[str, Any]] = {
    "defaults": {},
    "poll every 60 s": {"environment.alarm_poll_interval_seconds": 60},
    "poll every 45 s": {"environment.alarm_poll_interval_seconds": 45},
    # polls whose repeated addition is not start + k * interval to the last bit
    "poll every 0.7 s": {"environment.alarm_poll_interval_seconds": 0.7},
    "poll every 7.3 s": {"environment.alarm_poll_interval_seconds": 7.3},
    "reaction delay": {"environment.alarm_reaction_seconds": 20},
    "evaluation offset": {"environment.alarm_evaluation_offset_seconds": 25},
    "publish delay 0": {"environment.metric_publish_delay_seconds": {**FIXED, "value": 0}},
    "publish delay 200": {"environment.metric_publish_delay_seconds": {**FIXED, "value": 200}},
    "alarm at bake start trips": {"environment.trip_if_in_alarm_at_bake_start": True},
    "poll at bake end": {"environment.poll_at_bake_end": True},
    "watch outside bakes": {"environment.watch_alarms_outside_bakes": True},
    "insufficient data trips": {"environment.trip_on_insufficient_data": True},
    "M of N": {"alarms.2.EvaluationPeriods": 3, "alarms.2.DatapointsToAlarm": 2},
    "period 300": {"alarms.2.Period": 300},
    "sum threshold": {"alarms.2.Statistic": "Sum", "alarms.2.Threshold": 100},
    "linear": {ROUTING: LINEAR},
    "all at once": {ROUTING: {"Type": "ALL_AT_ONCE", "WaitIntervalInSeconds": 0}},
    "all at once bakes the wait": {
        ROUTING: {"Type": "ALL_AT_ONCE", "WaitIntervalInSeconds": 200},
        "environment.all_at_once_bakes_wait_interval": True,
    },
    "timeout fails": {
        f"{POLICY}.MaximumExecutionTimeoutInSeconds": 1030,
        f"{ROUTING}.WaitIntervalInSeconds": 900,
        "environment.timeout_action": "fail",
        "models.green.error_rate_5xx": 0.0,
    },
    "timeout rolls back": {
        f"{POLICY}.MaximumExecutionTimeoutInSeconds": 1030,
        f"{ROUTING}.WaitIntervalInSeconds": 900,
        "models.green.error_rate_5xx": 0.0,
    },
    "timeout counts provisioning": {
        f"{POLICY}.MaximumExecutionTimeoutInSeconds": 600,
        "environment.timeout_includes_provisioning": True,
        "environment.provisioning_seconds": {**FIXED, "value": 650},
    },
    "inf1 falls back to all at once": {
        "endpoint.green.ProductionVariants.0.InstanceType": "ml.inf1.xlarge",
        "models.green.error_rate_5xx": 0.0,
    },
    "bake ends as the alarm trips": {f"{ROUTING}.WaitIntervalInSeconds": 150},
    "... with a poll at its end": {
        f"{ROUTING}.WaitIntervalInSeconds": 150,
        "environment.poll_at_bake_end": True,
    },
    "... and an alarm at bake start trips": {
        f"{ROUTING}.WaitIntervalInSeconds": 150,
        "environment.trip_if_in_alarm_at_bake_start": True,
    },
    "... and a long activation, watched": {
        f"{ROUTING}.WaitIntervalInSeconds": 150,
        "environment.activation_seconds": {**FIXED, "value": 100},
        "environment.watch_alarms_outside_bakes": True,
    },
    "insufficient data trips at bake start": {
        "alarms.2.TreatMissingData": "missing",
        "environment.trip_on_insufficient_data": True,
        "environment.trip_if_in_alarm_at_bake_start": True,
    },
    "... and outside bakes": {
        "alarms.2.TreatMissingData": "missing",
        "environment.trip_on_insufficient_data": True,
        "environment.trip_if_in_alarm_at_bake_start": True,
        "environment.watch_alarms_outside_bakes": True,
    },
    "horizon": {"simulation.horizon_seconds": 400},
    "billing per hour": {"environment.billing_granularity_seconds": 3600},
}


@pytest.mark.parametrize("fails", [True, False], ids=["failing green", "healthy green"])
@pytest.mark.parametrize("case", list(CASES))
def test_timelines_match_the_per_replication_engine(case: str, fails: bool) -> None:
    overrides = dict(CASES[case])
    if not fails:
        overrides["models.green.error_rate_5xx"] = 0.0
    scenario = deterministic(overrides, fails=fails)
    rows = run_batch(scenario, seed=3, start=0, stop=4)
    for i, outcome, summary in rows:
        record = simulate(scenario, seed=3, mode="fast", replication=i, detail=False)
        assert outcome == record.outcome, (case, i)
        for name in TIMING:
            assert getattr(summary, name) == getattr(record.summary, name), (case, name, i)


def test_the_cases_cover_every_outcome() -> None:
    """The table above is not degenerate: it rolls back, succeeds and fails."""
    outcomes = {run_batch(deterministic(CASES[c]), seed=3, start=0, stop=1)[0][1] for c in CASES}
    assert outcomes == {"ROLLED_BACK", "SUCCEEDED", "FAILED"}


def test_a_replication_does_not_depend_on_the_range_asked_for() -> None:
    scenario = load_scenario("seed-canary-success")
    whole = run_batch(scenario, seed=9, start=0, stop=BLOCK + 20)
    part = run_batch(scenario, seed=9, start=BLOCK - 5, stop=BLOCK + 5)
    assert part == whole[BLOCK - 5 : BLOCK + 5]
    assert [r[0] for r in part] == list(range(BLOCK - 5, BLOCK + 5))
    other_seed = run_batch(scenario, seed=10, start=0, stop=20)
    assert [r[2] for r in other_seed] != [r[2] for r in whole[:20]]


def test_formerly_unsupported_scenarios_run() -> None:
    """What the batch engine refused before issue 14 (rolling updates, metric math, warm-up
    faults, evenly spaced arrivals under a profile) it runs now."""
    rolling = load_scenario("rolling-batch-rollback")
    math_alarm = load_scenario("all-at-once-final-bake")
    warm = deterministic(
        {"models.green.faults": [{"kind": "warmup", "duration_seconds": 60, "rate_5xx": 0.5}]}
    )
    varying = deterministic({"traffic.profile": "daily"})
    for scenario in (rolling, math_alarm, warm, varying):
        assert len(run_batch(scenario, seed=1, start=0, stop=1)) == 1


# --------------------------------------------------------------------------- the alarm rule premise

CLASSES = st.sampled_from(["missing", "ok", "breach"])


@settings(max_examples=400, deadline=None)
@given(
    n=st.integers(1, 5),
    m_minus=st.integers(0, 4),
    extra=st.integers(0, 3),
    op=st.sampled_from(
        [
            "GreaterThanOrEqualToThreshold",
            "GreaterThanThreshold",
            "LessThanThreshold",
            "LessThanOrEqualToThreshold",
        ]
    ),
    missing=st.sampled_from(["missing", "ignore", "breaching", "notBreaching"]),
    previous=st.sampled_from(list(AlarmState)),
    data=st.data(),
)
def test_the_rule_reads_only_each_datapoints_class(
    n: int,
    m_minus: int,
    extra: int,
    op: str,
    missing: str,
    previous: AlarmState,
    data: st.DataObject,
) -> None:
    """The batch engine's premise: two ranges whose datapoints are missing, breaching or not
    at the same positions give the same next state (it evaluates one per pattern)."""
    m = max(1, n - m_minus)
    rule = AlarmRule.from_kwargs(
        {
            "AlarmName": "a",
            "MetricName": "ModelLatency",
            "Namespace": "AWS/SageMaker",
            "Statistic": "Average",
            "Period": 60,
            "EvaluationPeriods": n,
            "DatapointsToAlarm": m,
            "Threshold": 10.0,
            "ComparisonOperator": op,
            "TreatMissingData": missing,
        },
        evaluation_range=n + extra,
    )
    classes = data.draw(st.lists(CLASSES, min_size=n + extra, max_size=n + extra))
    upper = op.startswith("Greater")

    def value(cls: str) -> float | None:
        if cls == "missing":
            return None
        breach = cls == "breach"
        # above the threshold breaches a Greater alarm; the threshold itself only the OrEqual ones
        lo, hi = (10.0, 1e6) if breach == upper else (-1e6, 10.0)
        x = data.draw(st.floats(lo, hi, allow_nan=False))
        if rule.breaches(x) != breach:  # the boundary value: nudge it to the intended side
            x = 10.0 + (1.0 if breach == upper else -1.0)
        return x

    first = [value(c) for c in classes]
    second = [value(c) for c in classes]
    assert rule.evaluate(first, previous).state == rule.evaluate(second, previous).state


# --------------------------------------------------------------------------- sampling helpers


def test_the_mixture_quantile_is_the_per_replication_engines() -> None:
    comps = [
        LatencyComponent(700, 1.1, 0.5, 1000.0, 0.0),
        LatencyComponent(300, 3.7, 0.4, 1000.0, 5.0),
    ]
    for u in (1e-6, 0.01, 0.5, 0.9, 0.99, 0.999999):
        expected = mixture_quantile_scalar(comps, u)
        got = mixture_quantile(
            np.array([[c.n for c in comps]], dtype=float),
            np.array([[c.mu for c in comps]]),
            np.array([[c.sigma for c in comps]]),
            np.array([[c.scale for c in comps]]),
            np.array([[c.add for c in comps]]),
            np.array([u]),
        )[0]
        assert got == pytest.approx(expected, rel=1e-8)


def test_summaries_are_consistent_and_exact_below_the_threshold() -> None:
    rng = np.random.default_rng(5)
    n = np.array([[0, 1, 5, 29, 30, 1000]])
    scale = np.full(n.shape, 1000.0)
    add = np.zeros(n.shape)
    total, lo, hi = draw_summaries(rng, n, 1.0, 0.6, scale, add, NORMAL_SUM_THRESHOLD)
    assert total[0, 0] == 0.0 and lo[0, 0] == np.inf and hi[0, 0] == -np.inf
    assert total[0, 1] == lo[0, 1] == hi[0, 1]  # one sample: sum, min and max are that sample
    k = n[0, 1:]
    assert np.all(lo[0, 1:] <= total[0, 1:] / k) and np.all(total[0, 1:] / k <= hi[0, 1:])


def test_large_sums_have_the_right_mean() -> None:
    """Above the threshold the Sum is normal with the exact mean: over 20,000 segments of 1000
    samples, the mean of Sum/n is within 4 standard errors of the lognormal's mean."""
    rng = np.random.default_rng(6)
    n = np.full((1, 20_000), 1000)
    mu, sigma = 1.0, 0.6
    total, _, _ = draw_summaries(
        rng, n, mu, sigma, np.ones(n.shape), np.zeros(n.shape), NORMAL_SUM_THRESHOLD
    )
    mean = np.exp(mu + sigma**2 / 2)
    sd = np.sqrt(np.expm1(sigma**2)) * mean / np.sqrt(1000)
    assert abs(np.mean(total / 1000) - mean) < 4 * sd / np.sqrt(n.size)
