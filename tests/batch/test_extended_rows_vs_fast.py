"""The batch engine's vectorised extended statistics match per-replication fast mode.

The batch engine draws a window's tm, wm, tc, ts, PR and IQM for every row of a block at once
(:func:`guardsim.simulator.metrics.components_statistic_rows`); fast mode draws one window at a
time with the same kernel's one-row case, from its own keyed generators. So the two engines
consume their generators differently and must agree in distribution. The method of
``test_batch_vs_fast_features`` (whose helpers this reuses): one scenario per statistic, an
alarm on green's ModelLatency (or its trimmed count) with a threshold where the rollback
probability is between 0.2 and 0.6 (a latency fault of x1.4 from 400 s, 8 requests/s),
N_FAST fast-mode and N_BATCH batch replications with different base seeds, compared on the
outcome frequencies and the alarm's tripped frequency (chi-square) and with two-sample
Kolmogorov-Smirnov tests on ``detected_at_seconds`` (the detection time),
``rollback_completed_seconds``, ``green_errors``, ``green_requests``, ``user_errors``,
``deployment_seconds`` and ``cost_usd``.

**False alarms.** N_COMPARISONS = 6 statistics x (1 outcome + 1 tripped + 7 KS) = 54 tests,
each at ALPHA = 0.05 / 54 = 9.3e-4: by Bonferroni the family-wise false-alarm rate is below
5 %. The seeds are fixed, so the suite is deterministic.

**Power.** N_FAST = 250 and N_BATCH = 1024 (two blocks). At ALPHA the KS test rejects when
the empirical CDFs differ by more than c * sqrt((250 + 1024) / (250 * 1024)) = 1.96 * 0.0705 =
0.138 (c = sqrt(-ln(ALPHA / 2) / 2)); a rollback probability near 1/2 is told apart when the
estimates differ by more than z * sqrt(0.25 (1/250 + 1/1024)) = 3.31 * 0.0353 = 0.117 (z the
two-sided normal quantile of ALPHA). ``test_the_comparison_has_power`` checks that a tm99
threshold 5 % lower (P(rollback) about 0.75 instead of 0.5) is rejected at these sizes.
"""

from __future__ import annotations

import functools
import math

import numpy as np
import pytest
import test_batch_vs_fast as vs
from scipy import stats
from test_fast_vs_exact import _alarm, _scenario

from guardsim.scenarios.scenario import Scenario

N_FAST = 250
N_BATCH = 1024
FAST_SEED, BATCH_SEED = 6_000, 7_000

#: statistic -> (threshold, comparison): thresholds found where P(rollback) is 0.2-0.6
STATISTICS: dict[str, tuple[float, str]] = {
    "tm99": (9200, "GreaterThanThreshold"),
    "wm99": (9500, "GreaterThanThreshold"),
    "tc99": (170, "GreaterThanThreshold"),  # a count: high when green serves more requests
    "ts99": (1.5e6, "GreaterThanThreshold"),
    "PR(:10000)": (67, "LessThanOrEqualToThreshold"),  # percent of samples at most 10 ms
    "IQM": (7500, "GreaterThanThreshold"),
}
N_COMPARISONS = len(STATISTICS) * (len(vs.MEASURES) - 1 + 1)
ALPHA = 0.05 / N_COMPARISONS


def _extended(stat: str, threshold: float | None = None) -> Scenario:
    default, op = STATISTICS[stat]
    return _scenario(
        {
            "traffic.rate_per_second": 8,
            "traffic.arrivals": "poisson",
            "models.green.latency": {"median_ms": 5, "p99_ms": 30},
            "models.green.faults": [{"kind": "latency", "multiplier": 1.4, "after_seconds": 400}],
        },
        _alarm(
            "ModelLatency",
            {"ExtendedStatistic": stat},
            default if threshold is None else threshold,
            op,
            n=2,
        ),
    )


@functools.cache
def _samples(stat: str) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """(batch, fast) measures of one statistic's scenario, drawn once per session."""
    scenario = _extended(stat)
    alarms = vs._alarm_names(scenario)
    return (
        vs._measures(vs._batch_rows(scenario, N_BATCH, BATCH_SEED), alarms),
        vs._measures(vs._fast_rows(scenario, N_FAST, FAST_SEED), alarms),
    )


@pytest.mark.slow
@pytest.mark.parametrize("stat", list(STATISTICS))
def test_extended_statistics_match_fast_mode(stat: str) -> None:
    batch, fast = _samples(stat)
    # not degenerate: mixed outcomes, enough detections for the KS test of the detection time
    rolled = float(np.mean(fast["outcome"] == "ROLLED_BACK"))
    assert 0.15 < rolled < 0.7, f"{stat}: rolls back in {rolled:.0%} of fast runs"
    assert len(fast["detected_at_seconds"]) >= 30
    failures = [line for m in vs.MEASURES for line in vs._failures(stat, m, batch, fast, ALPHA)]
    assert not failures, "\n".join(failures)


def test_the_arithmetic_of_the_docstring() -> None:
    assert N_COMPARISONS == 54
    assert math.isclose(ALPHA, 9.3e-4, rel_tol=0.01)
    c = math.sqrt(-math.log(ALPHA / 2) / 2)
    assert round(c, 2) == 1.96
    assert round(c * math.sqrt((N_FAST + N_BATCH) / (N_FAST * N_BATCH)), 3) == 0.138
    z = float(stats.norm.isf(ALPHA / 2))
    assert round(z, 2) == 3.31
    assert round(z * math.sqrt(0.25 * (1 / N_FAST + 1 / N_BATCH)), 3) == 0.117


@pytest.mark.slow
def test_the_comparison_has_power() -> None:
    """A tm99 threshold 5 % lower in the batch runs is rejected by the outcome test."""
    _, fast = _samples("tm99")
    wrong = _extended("tm99", threshold=0.95 * STATISTICS["tm99"][0])
    batch = vs._measures(vs._batch_rows(wrong, N_BATCH, BATCH_SEED), vs._alarm_names(wrong))
    ((_, p),) = vs._comparisons("outcome", batch, fast)
    assert p < ALPHA, f"outcome p = {p:.3g}"
