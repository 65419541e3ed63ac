"""The Monte Carlo evidence: its numbers are what a direct Monte Carlo of the same question
gives (identical with the same seeds, within a tolerance derived from N with other seeds), and
the variants are what lint says they are."""

from __future__ import annotations

import math

import pytest
from lint_helpers import N, build, data, edited, good

from guardsim.lint import Evidence, lint
from guardsim.lint.evidence import (
    FAILING_LATENCY_FACTOR,
    Replication,
    failing_model,
    wilson_interval,
)
from guardsim.lint.report import to_json
from guardsim.montecarlo.monte_carlo import monte_carlo
from guardsim.scenarios import Scenario, load_scenario

ALARM = "TEST-DEMO-Deployment-Guardrails-Canary-5XX-Errors"
RUNS = 100  # enough for a tolerance that means something


def noisy() -> Scenario:
    """The seed canary with a blended 5 % error alarm over an old fleet at 3 % errors: a
    healthy model is rolled back by noise in a good fraction of runs (neither 0 nor 1)."""
    raw = data("seed-canary-success")
    raw["alarms"][0]["Threshold"] = 0.05
    raw["alarms"][0]["ComparisonOperator"] = "GreaterThanThreshold"
    raw["models"]["blue"]["error_rate_5xx"] = 0.03
    raw["models"]["green"]["error_rate_5xx"] = 0.03
    return build(raw)


def healthy_directly(scenario: Scenario) -> Scenario:
    """The healthy-model question, asked independently of lint: green's model := blue's."""
    raw = scenario.to_dict()
    raw["models"]["green"] = raw["models"]["blue"]
    return build(raw)


def tolerance(p1: float, p2: float, n1: int, n2: int) -> float:
    """Four standard errors of a difference of two binomial proportions (pooled), plus the
    granularity of one run: a false alarm about 1 time in 15,000."""
    p = (p1 * n1 + p2 * n2) / (n1 + n2)
    return 4 * math.sqrt(max(p * (1 - p), 1 / (n1 + n2)) * (1 / n1 + 1 / n2)) + 1 / min(n1, n2)


@pytest.fixture(scope="module")
def finding_and_mc() -> tuple[dict, object]:
    scenario = noisy()
    (f,) = lint(scenario, replications=RUNS, seed=11, rules=["false-rollback"]).findings
    mc = monte_carlo(healthy_directly(scenario), RUNS, seed=11, mode="fast", workers=1)
    return f.evidence["simulated"], mc


def test_false_rollback_evidence_equals_a_direct_monte_carlo(finding_and_mc: tuple) -> None:
    sim, mc = finding_and_mc
    s = mc.summary
    assert 0 < s.rolled_back < RUNS  # a question with a non-trivial answer
    assert sim["runs"] == s.n == RUNS
    assert sim["rolled_back_by_an_alarm"] == s.rolled_back
    assert sim["tripped"] == s.alarm_trips
    assert sim["p"] == round(s.p_rollback, 4)
    assert sim["p_ci95"] == [round(x, 4) for x in s.p_rollback_ci]


def test_other_seeds_agree_within_the_sampling_error(finding_and_mc: tuple) -> None:
    sim, _ = finding_and_mc
    other = monte_carlo(healthy_directly(noisy()), RUNS, seed=12345, mode="fast", workers=1)
    p_lint = sim["p"]
    p_mc = other.summary.p_rollback
    assert abs(p_lint - p_mc) <= tolerance(p_lint, p_mc, RUNS, RUNS)


def test_failing_model_blast_radius_equals_a_direct_monte_carlo() -> None:
    scenario = load_scenario("seed-canary-rollback")
    (f,) = lint(scenario, replications=N, rules=["failing-model-rollback"]).findings
    raw = scenario.to_dict()
    blue = raw["models"]["blue"]
    raw["models"]["green"] = {
        **blue,
        "latency": {
            "median_ms": blue["latency"]["median_ms"] * 10,
            "p99_ms": blue["latency"]["p99_ms"] * 10,
        },
        "error_rate_5xx": 1.0,
        "error_rate_4xx": 0.0,
        "faults": [],
    }
    mc = monte_carlo(build(raw), N, seed=scenario.simulation.seed, mode="fast", workers=1)
    sim = f.evidence["simulated"]
    assert sim["tripped"] == mc.summary.alarm_trips
    assert sim["rolled_back_by_an_alarm"] == mc.summary.rolled_back
    q = mc.summary.quantiles["green_errors"]
    assert sim["green_errors"] == {
        "p5": round(q.p5, 1),
        "p50": round(q.p50, 1),
        "p95": round(q.p95, 1),
    }
    assert sim["detected_at_s"]["p50"] == round(mc.summary.quantiles["detected_at_seconds"].p50, 1)


def test_the_same_seed_gives_the_same_report() -> None:
    scenario = load_scenario("seed-canary-rollback")
    one = to_json(lint(scenario, replications=10, seed=5))
    two = to_json(lint(scenario, replications=10, seed=5))
    assert one == two
    assert to_json(lint(scenario, replications=10, seed=6)) != one


def test_the_failing_model() -> None:
    blue = load_scenario("seed-canary-success").models.blue
    bad = failing_model(blue)
    assert bad.error_rate_5xx == 1.0 and bad.error_rate_4xx == 0.0
    assert bad.latency.median_ms == blue.latency.median_ms * FAILING_LATENCY_FACTOR
    assert bad.latency.p99_ms == blue.latency.p99_ms * FAILING_LATENCY_FACTOR
    assert bad.faults == ()


def test_variants_are_computed_once_and_shared() -> None:
    calls: list[tuple[int, str]] = []

    def runner(i: int, scenario: Scenario, seed: int) -> Replication:
        calls.append((i, scenario.models.green.error_rate_5xx.__repr__()))
        return Replication(i, "SUCCEEDED", (), None, None, False, 10, 0, 600.0)

    # seed-canary-success: the as-configured green is the healthy one, simulated once
    scenario = load_scenario("seed-canary-success")
    ev = Evidence(scenario, replications=3, runner=runner)
    assert ev.healthy is ev.healthy
    ev.as_configured  # noqa: B018 - the same scenario as healthy: no new runs
    assert ev.simulated_runs == 3
    ev.failing  # noqa: B018
    assert ev.simulated_runs == 6
    assert len(calls) == 6
    assert list(ev.computed()) == ["as-configured", "failing", "healthy"]


def test_replications_must_be_positive() -> None:
    with pytest.raises(ValueError, match="replications"):
        Evidence(load_scenario("seed-canary-success"), replications=0)


def test_wilson_interval_matches_the_monte_carlo_module() -> None:
    from guardsim.montecarlo.monte_carlo import wilson_interval as mc_wilson

    for k, n in [(0, 20), (3, 20), (20, 20), (37, 100)]:
        assert wilson_interval(k, n) == pytest.approx(mc_wilson(k, n))


def test_good_canary_is_quiet() -> None:
    result = lint(edited("seed-canary-success", good), replications=N)
    assert result.worst == "info"
    assert result.exit_status() == 0
