"""guardsim.testing.guardrail: scenario variants, estimates and the assertions' statistical rule.

The assertions pass only when the replications demonstrate the claim (the whole 95 % Wilson
interval on the claimed side; an order-statistic upper confidence bound of a quantile below the
limit). These tests pin that rule at its edges and check that a failure states the numbers.
"""

from __future__ import annotations

import math

import pytest
from scipy import stats

from guardsim import ScenarioError, load_scenario
from guardsim.montecarlo.monte_carlo import monte_carlo, wilson_interval
from guardsim.scenarios import Scenario
from guardsim.testing import (
    GuardrailAssertionError,
    assert_blast_radius_below,
    assert_false_rollback_at_most,
    assert_rolls_back,
    blast_radius,
    healthy,
    replications_needed,
    rollback_probability,
    with_green,
    with_traffic,
)
from guardsim.testing.guardrail import CONFIDENCE, quantile_upper_bound_index


@pytest.fixture(scope="module")
def final_bake() -> Scenario:
    """ALL_AT_ONCE with a final bake and a green-fleet 5XX-rate alarm (> 2 %), at 20 req/s."""
    return with_traffic(load_scenario("all-at-once-final-bake"), rate_per_second=20)


# --------------------------------------------------------------------------- variants


def test_with_green_changes_only_what_is_given(final_bake: Scenario) -> None:
    bad = with_green(final_bake, error_rate_5xx=0.3, latency_ms=24)
    green, old = bad.models.green, final_bake.models.green
    assert green.error_rate_5xx == 0.3
    assert green.latency.median_ms == 24
    # the 99th percentile keeps its ratio to the median
    assert green.latency.p99_ms == pytest.approx(24 * old.latency.p99_ms / old.latency.median_ms)
    assert green.error_rate_4xx == old.error_rate_4xx
    assert bad.models.blue == final_bake.models.blue
    assert bad.deployment_config == final_bake.deployment_config
    assert bad.alarms == final_bake.alarms


def test_with_green_faults_and_explicit_p99(final_bake: Scenario) -> None:
    fault = {"kind": "errors", "rate_5xx": 1.0, "after_seconds": 600.0}
    bad = with_green(final_bake, latency_p99_ms=99.0, faults=[fault])
    assert bad.models.green.latency.p99_ms == 99.0
    assert len(bad.models.green.faults) == 1


def test_an_invalid_variant_raises_with_the_field_path(final_bake: Scenario) -> None:
    with pytest.raises(ScenarioError, match=r"models\.green\.error_rate_5xx"):
        with_green(final_bake, error_rate_5xx=1.5)
    with pytest.raises(ScenarioError, match=r"traffic\.rate_per_second"):
        with_traffic(final_bake, rate_per_second=-1)


def test_healthy_copies_blue_and_with_traffic_sets_the_rate(final_bake: Scenario) -> None:
    assert healthy(final_bake).models.green == final_bake.models.blue
    assert final_bake.traffic.rate_per_second == 20


# --------------------------------------------------------------------------- the rule's edges


@pytest.mark.parametrize("bound", [0.5, 0.9, 0.95, 0.99, 0.999])
def test_replications_needed_is_the_smallest_n_that_can_show_a_lower_bound(bound: float) -> None:
    n = replications_needed(bound)
    assert wilson_interval(n, n)[0] >= bound
    assert n == 1 or wilson_interval(n - 1, n - 1)[0] < bound


@pytest.mark.parametrize("bound", [0.001, 0.01, 0.05, 0.1, 0.5])
def test_replications_needed_is_the_smallest_n_that_can_show_an_upper_bound(bound: float) -> None:
    n = replications_needed(bound, upper=True)
    assert wilson_interval(0, n)[1] <= bound
    assert n == 1 or wilson_interval(0, n - 1)[1] > bound


def test_the_documented_minimums() -> None:
    assert replications_needed(0.99) == 381
    assert replications_needed(0.05, upper=True) == 73
    assert quantile_upper_bound_index(72, 0.95) == 72
    assert quantile_upper_bound_index(71, 0.95) is None


@pytest.mark.parametrize("n", [72, 100, 200, 1000])
@pytest.mark.parametrize("q", [0.5, 0.9, 0.95])
def test_the_quantile_bound_is_the_binomial_order_statistic(n: int, q: float) -> None:
    u = quantile_upper_bound_index(n, q)
    assert u is not None
    # P(X(u) >= q-quantile) = P(Binomial(n, q) <= u - 1): the smallest u reaching CONFIDENCE
    assert stats.binom.cdf(u - 1, n, q) >= CONFIDENCE
    assert stats.binom.cdf(u - 2, n, q) < CONFIDENCE


# --------------------------------------------------------------------------- estimates


def test_estimates_agree_with_monte_carlo_and_are_deterministic(final_bake: Scenario) -> None:
    bad = with_green(final_bake, error_rate_5xx=0.05)
    est = rollback_probability(bad, 40, seed=3)
    # the helpers run fast mode; auto means batch for this scenario since issue 14
    mc = monte_carlo(bad, 40, seed=3, mode="fast", workers=1)
    assert (est.k, est.n, est.p) == (mc.summary.rolled_back, 40, mc.summary.p_rollback)
    assert (est.low, est.high) == mc.summary.p_rollback_ci
    assert rollback_probability(bad, 40, seed=3) == est
    radius = blast_radius(bad, 80, seed=3, quantile=0.95)
    values = sorted(monte_carlo(bad, 80, seed=3, mode="fast", workers=1).runs["green_errors"])
    assert radius.upper == values[quantile_upper_bound_index(80, 0.95) - 1]  # type: ignore[operator]
    assert radius.value <= radius.upper <= radius.maximum == values[-1]


def test_blast_radius_rejects_an_unknown_metric(final_bake: Scenario) -> None:
    with pytest.raises(ValueError, match="green_errors"):
        blast_radius(final_bake, 10, metric="errors")


# --------------------------------------------------------------------------- assertions


def test_a_bad_model_passes_every_assertion(final_bake: Scenario) -> None:
    bad = with_green(final_bake, error_rate_5xx=1.0)
    est = assert_rolls_back(bad, at_least=0.99, n=400)
    assert (est.k, est.n) == (400, 400) and est.low >= 0.99
    radius = assert_blast_radius_below(bad, 6000, n=100)
    assert radius.upper is not None and radius.upper < 6000


def test_a_healthy_model_passes_the_false_rollback_assertion(final_bake: Scenario) -> None:
    est = assert_false_rollback_at_most(healthy(final_bake), 0.05)
    assert est.n == 2 * 73 and est.high <= 0.05


def test_a_failing_rollback_assertion_states_the_numbers(final_bake: Scenario) -> None:
    with pytest.raises(GuardrailAssertionError) as info:
        assert_rolls_back(healthy(final_bake), at_least=0.9, n=50, seed=1)
    message = str(info.value)
    assert "0 of 50 runs = 0" in message
    assert "95% Wilson interval 0-0.07135" in message
    assert ">= 0.9" in message and "base seed 1" in message
    assert info.value.estimate.k == 0


def test_too_few_replications_fail_and_say_how_many_are_needed(final_bake: Scenario) -> None:
    bad = with_green(final_bake, error_rate_5xx=1.0)
    with pytest.raises(GuardrailAssertionError) as info:
        assert_rolls_back(bad, at_least=0.99, n=100)
    low = wilson_interval(100, 100)[0]
    assert "100 of 100 runs = 1" in str(info.value)
    assert f"lower end {low:.4g}" in str(info.value)
    assert "use n >= 381" in str(info.value)


def test_a_failing_false_rollback_assertion_states_the_numbers(final_bake: Scenario) -> None:
    bad = with_green(final_bake, error_rate_5xx=1.0)
    with pytest.raises(GuardrailAssertionError, match=r"<= 0\.05.*50 of 50 runs = 1"):
        assert_false_rollback_at_most(bad, 0.05, n=50)


def test_a_failing_blast_radius_assertion_states_the_numbers(final_bake: Scenario) -> None:
    bad = with_green(final_bake, error_rate_5xx=1.0)
    radius = blast_radius(bad, 100)
    assert radius.upper is not None
    with pytest.raises(GuardrailAssertionError) as info:
        assert_blast_radius_below(bad, radius.upper, n=100)
    message = str(info.value)
    assert f"upper confidence bound {radius.upper:g} is not below it" in message
    assert f"p95 of green_errors over 100 runs: {radius.value:g}" in message
    with pytest.raises(GuardrailAssertionError, match=r"too few to bound it: use n >= 72"):
        assert_blast_radius_below(bad, 10**9, n=50)
    assert math.ceil(math.log(1 - CONFIDENCE) / math.log(0.95)) == 72
