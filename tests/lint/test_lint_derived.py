"""The configuration-only arithmetic behind lint's findings, as table tests of pure functions."""

from __future__ import annotations

import itertools
import math

import pytest
from lint_helpers import edited, good

from guardsim.deployment.plan import plan_steps
from guardsim.lint.derived import (
    alarm_facts,
    breaches,
    detection_latency,
    execution_estimate,
    fraction_can_breach,
    latency_statistic_us,
    low_sample_count,
    p_at_least,
    p_period_has_data,
    period_for,
    required_green_value,
    slowest_of,
    step_label,
    step_timeline,
)
from guardsim.scenarios import load_scenario
from guardsim.scenarios.distributions import Fixed, LogNormal, Uniform


@pytest.mark.parametrize(
    ("threshold", "share", "blue", "required"),
    [
        (1.0, 1 / 3, 0.0, 3.0),  # the seed post: 1 of 3 instances, Average >= 1
        (0.01, 0.25, 0.0, 0.04),
        (0.01, 0.1, 0.005, 0.055),  # the old fleet's 0.5 % helps a little
        (0.02, 0.5, 0.03, 0.01),  # the old fleet alone is over: green may even be better
        (0.5, 1.0, 0.2, 0.5),  # full traffic: no dilution
    ],
)
def test_required_green_value(threshold: float, share: float, blue: float, required: float) -> None:
    assert required_green_value(threshold, share, blue) == pytest.approx(required)


def test_required_green_value_with_no_green_traffic_is_infinite() -> None:
    assert required_green_value(0.01, 0.0, 0.0) == math.inf


@pytest.mark.parametrize(
    ("operator", "threshold", "can"),
    [
        ("GreaterThanOrEqualToThreshold", 1.0, True),  # only at 100 %
        ("GreaterThanThreshold", 1.0, False),
        ("GreaterThanOrEqualToThreshold", 1.5, False),
        ("GreaterThanThreshold", 0.01, True),
        ("LessThanThreshold", 0.0, False),
        ("LessThanOrEqualToThreshold", 0.0, True),
    ],
)
def test_fraction_can_breach(operator: str, threshold: float, can: bool) -> None:
    assert fraction_can_breach(operator, threshold) is can


def test_breaches_follows_the_operator() -> None:
    assert breaches("GreaterThanOrEqualToThreshold", 1.0, 1.0)
    assert not breaches("GreaterThanThreshold", 1.0, 1.0)
    assert breaches("LessThanThreshold", 0.5, 1.0)
    assert not breaches("LessThanOrEqualToThreshold", 1.5, 1.0)


def test_detection_latency_of_the_seed_alarms() -> None:
    scenario = load_scenario("seed-canary-rollback")
    facts = alarm_facts(scenario)
    d = detection_latency(facts[0], scenario)
    # Period 60 x 1, publish delay uniform 30-120 (mean 75), evaluation every 60 s, poll 30 s
    assert d.expected == pytest.approx(30 + 60 + 75 + 30 + 15)
    assert d.worst == pytest.approx(60 + 60 + 120 + 60 + 30)
    assert d.to_data()["period_x_datapoints_to_alarm_s"] == 60


def test_alarm_facts_bind_fleets_like_the_simulator() -> None:
    seed = alarm_facts(load_scenario("seed-canary-rollback"))
    assert [a.fleets for a in seed] == [frozenset({"blue", "green"})] * 2
    assert all(a.single is not None and a.single.blended for a in seed)
    fixed = alarm_facts(edited("seed-canary-success", good))
    assert [a.fleets for a in fixed] == [frozenset({"green"})] * 2
    math_alarm = alarm_facts(load_scenario("all-at-once-final-bake"))[0]
    assert math_alarm.is_math and math_alarm.single is None
    assert [s.metric for s in math_alarm.sources] == ["Invocation5XXErrors", "Invocations"]
    assert math_alarm.fleets == frozenset({"green"}) and math_alarm.period == 60


@pytest.mark.parametrize(
    ("requests", "arrivals", "p"),
    [
        (0.0, "poisson", 0.0),
        (1.0, "poisson", 1 - math.exp(-1)),
        (20.0, "poisson", 1 - math.exp(-20)),
        (0.2, "uniform", 0.2),
        (3.0, "uniform", 1.0),
    ],
)
def test_p_period_has_data(requests: float, arrivals: str, p: float) -> None:
    assert p_period_has_data(requests, arrivals) == pytest.approx(p)


def test_p_at_least() -> None:
    assert p_at_least(0, 3, 0.1) == 1.0
    assert p_at_least(3, 3, 0.5) == pytest.approx(0.125)
    assert p_at_least(2, 3, 0.5) == pytest.approx(0.5)
    assert p_at_least(1, 1, 0.3) == pytest.approx(0.3)


@pytest.mark.parametrize(
    ("statistic", "count"),
    [
        ("p99", 1000.0),
        ("p95", 200.0),
        ("p90", 100.0),
        ("p50", 20.0),
        ("p10", 100.0),
        ("Average", None),
        ("p100", None),
    ],
)
def test_low_sample_count(statistic: str, count: float | None) -> None:
    assert low_sample_count(statistic) == (pytest.approx(count) if count else None)


def test_period_for() -> None:
    assert period_for(10, 1.0) == 60
    assert period_for(1000, 1.0) == 1020
    assert period_for(10, 0.0) == 3600


def test_slowest_of_a_fleet() -> None:
    assert slowest_of(Fixed(kind="fixed", value=100.0), 5, 0.5) == 100.0
    assert slowest_of(Uniform(kind="uniform", low=0.0, high=100.0), 1, 0.5) == pytest.approx(50)
    # the median of the slowest of n: F(x)^n = 1/2
    assert slowest_of(Uniform(kind="uniform", low=0.0, high=100.0), 2, 0.5) == pytest.approx(
        100 * 0.5**0.5
    )
    lognormal = LogNormal(kind="lognormal", median=240.0, p99=480.0)
    assert slowest_of(lognormal, 1, 0.5) == pytest.approx(240.0)
    assert slowest_of(lognormal, 3, 0.5) > 240.0


def test_latency_statistics_in_microseconds() -> None:
    blue = load_scenario("seed-canary-success").models.blue  # median 3 ms, p99 10 ms
    assert latency_statistic_us(blue, "ModelLatency", "p99") == pytest.approx(10_000)
    assert latency_statistic_us(blue, "ModelLatency", "p50") == pytest.approx(3_000)
    mean = latency_statistic_us(blue, "ModelLatency", "Average")
    assert mean is not None and 3_000 < mean < 10_000
    assert latency_statistic_us(blue, "ModelLatency", "Maximum") is None


def test_steps_labels_and_timeline() -> None:
    scenario = load_scenario("seed-linear-success")
    steps = plan_steps(scenario.deployment_config, 3)
    assert [step_label(s) for s in steps] == [
        "linear step 1 bake (33% on green)",
        "linear step 2 bake (67% on green)",
        "final bake (100% on green)",
    ]
    timeline = step_timeline(scenario, steps)
    assert [round(t.bake_end - t.bake_start) for t in timeline] == [180, 180, 120]
    assert all(a.bake_end <= b.bake_start for a, b in itertools.pairwise(timeline))


def test_execution_estimate() -> None:
    scenario = load_scenario("seed-canary-success")
    steps = plan_steps(scenario.deployment_config, 3)
    est = execution_estimate(scenario, steps)
    assert est.bakes == 300 + 120
    assert est.activation == 2 * 10
    assert est.provisioning_median == pytest.approx(
        slowest_of(scenario.environment.provisioning_seconds, 3, 0.5)
    )
    assert est.median < est.p95 < 1800
