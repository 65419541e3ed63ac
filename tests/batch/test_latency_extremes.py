"""Latency Minimum and Maximum are worked out only where someone reads them.

``draw_summaries(extremes=False)`` skips a small segment's Minimum and Maximum (the reductions
over its samples) and draws exactly what it draws with them; the batch engine asks for them for
the (fleet, metric) pairs an alarm reads as Minimum or Maximum, or a custom metric of the
latency reads. The tests: the draws and Sums are the same either way; the engine's set holds
what the alarms read; and alarms on ModelLatency Minimum and Maximum give, in the batch
engine, the rollback frequency fast mode gives.

**The frequency test.** N_FAST fast and N_BATCH batch replications (fixed seeds) of the seed
canary with its latency alarm as Maximum >= 16 ms (3 ms median, 10 ms p99: about 19 % roll
back) or Minimum <= 0.56 ms (about 20 %); blue's segments are above the normal-sum threshold
(order statistics from Beta draws), the canary's below it (every sample drawn). Two-sample
z-test of the two frequencies at ALPHA = 1e-3 for each of the two (family-wise below 0.2 %).
Power: at p = 0.2 the test tells frequencies apart that differ by more than
z sqrt(0.16 (1/N_FAST + 1/N_BATCH)) = 3.29 x 0.022 = 0.072; an engine that left the extremes
unset would give 0 (a Maximum of -inf never breaches, a Minimum of +inf neither).
"""

from __future__ import annotations

import copy
import math

import numpy as np
import pytest
from scipy import stats

from guardsim.batch.engine import _Prepared, run_batch_columns
from guardsim.model.latency import NORMAL_SUM_THRESHOLD, draw_summaries
from guardsim.scenarios import check_scenario_dict, load_scenario
from guardsim.scenarios.scenario import Scenario
from guardsim.simulator import simulate

N_FAST, N_BATCH = 400, 2000
ALPHA = 1e-3
LATENCY = 1  # the seed canary's latency alarm


def _variant(statistic: str, threshold: float, operator: str) -> Scenario:
    data = copy.deepcopy(load_scenario("seed-canary-success").to_dict())
    alarm = data["alarms"][LATENCY]
    alarm.update(Statistic=statistic, Threshold=threshold, ComparisonOperator=operator)
    result = check_scenario_dict(data, source="<latency extremes>")
    assert result.scenario is not None, result.errors
    return result.scenario


EXTREMES = {
    "Maximum": ("Maximum", 16_000.0, "GreaterThanOrEqualToThreshold"),
    "Minimum": ("Minimum", 560.0, "LessThanOrEqualToThreshold"),
}


@pytest.mark.parametrize("sigma", [0.6, 3.0])
def test_skipping_the_extremes_draws_the_same(sigma: float) -> None:
    """The Sums bit for bit and the generator left in the same state; Minimum and Maximum not
    worked out. At sigma 3 the normal Sum of 30 or 40 samples is clipped to n x Minimum or
    n x Maximum for most segments (the case where a large segment's extremes are worked out
    after all)."""
    n = np.tile(np.array([[0, 1, 5, 29, 30, 1000], [7, 0, 12, 40, 3, 2]]), (200, 1))
    scale = np.full(n.shape, 1000.0)
    add = np.full(n.shape, 250.0)
    rng_on, rng_off = np.random.default_rng(4), np.random.default_rng(4)
    on = draw_summaries(rng_on, n, 1.0, sigma, scale, add, NORMAL_SUM_THRESHOLD, True)
    off = draw_summaries(rng_off, n, 1.0, sigma, scale, add, NORMAL_SUM_THRESHOLD, False)
    assert np.array_equal(on[0], off[0])  # the Sums, bit for bit
    assert rng_on.random() == rng_off.random()  # the same draws were made
    big = n >= NORMAL_SUM_THRESHOLD
    k, total = n[big], on[0][big]
    clipped = (total == k * on[1][big]) | (total == k * on[2][big])
    assert clipped.sum() > (0.3 * big.sum() if sigma == 3.0 else -1)
    drawn = n > 0
    assert np.all(np.isfinite(on[1][drawn]))
    assert np.all(off[1][drawn] == math.inf) and np.all(off[2][drawn] == -math.inf)


def test_the_engine_works_out_the_extremes_an_alarm_reads() -> None:
    assert _Prepared(load_scenario("seed-canary-success")).extremes == set()  # Average only
    for label, (stat, threshold, op) in EXTREMES.items():
        prep = _Prepared(_variant(stat, threshold, op))
        assert prep.extremes == {("blue", "ModelLatency"), ("green", "ModelLatency")}, label


def rollback_frequencies(
    scenario: Scenario, n_fast: int, n_batch: int, seeds: tuple[int, int]
) -> tuple[float, float, float]:
    """(fast mode's, the batch engine's rollback frequency, the two-sided p-value of the
    two-sample z-test that they are equal), from ``n_fast`` and ``n_batch`` replications with
    base seeds ``seeds``."""
    fast = sum(
        simulate(scenario, seed=seeds[0], mode="fast", replication=i, detail=False).outcome
        == "ROLLED_BACK"
        for i in range(n_fast)
    )
    columns = run_batch_columns(scenario, seed=seeds[1], start=0, stop=n_batch)
    batch = int((columns.outcome == 1).sum())
    pooled = (fast + batch) / (n_fast + n_batch)
    se = math.sqrt(pooled * (1 - pooled) * (1 / n_fast + 1 / n_batch))
    p_fast, p_batch = fast / n_fast, batch / n_batch
    return p_fast, p_batch, float(2 * stats.norm.sf(abs(p_fast - p_batch) / se))


@pytest.mark.parametrize("label", list(EXTREMES))
def test_minimum_and_maximum_alarms_roll_back_as_in_fast_mode(label: str) -> None:
    p_fast, p_batch, p_value = rollback_frequencies(
        _variant(*EXTREMES[label]), N_FAST, N_BATCH, (41, 42)
    )
    assert 0.1 < p_batch < 0.3, (label, p_batch)  # the alarm decides something
    assert p_value > ALPHA, (label, p_fast, p_batch)
