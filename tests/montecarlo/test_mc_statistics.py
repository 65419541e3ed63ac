"""The summary's statistics: the Wilson interval, quantiles, and what bad and healthy models do.

Tolerances for the simulated probabilities come from the sample size: with N independent runs,
if the true rollback probability of the bad model were 0.85 or less, seeing N - 1 or more
rollbacks in N = 60 runs would have probability below 0.001 (binomial tail), and likewise for a
healthy model whose true false-rollback probability were 0.15 or more, seeing at most one in 60.
The seeds are fixed, so the test is deterministic; the bounds say what it would take to fail.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from mc_helpers import LATENCY_ALARM
from scipy import stats

from guardsim.montecarlo.monte_carlo import (
    QUANTILE_METRICS,
    SUMMARY_COLUMNS,
    Quantiles,
    monte_carlo,
    rollback_sentence,
    summarize,
    wilson_interval,
)
from guardsim.scenarios import Scenario

N = 60


@pytest.mark.parametrize(
    ("k", "n", "low", "high"),
    [
        # hand-computed from the closed form, to 4 decimals
        (0, 10, 0.0, 0.2775),
        (10, 10, 0.7225, 1.0),
        (5, 10, 0.2366, 0.7634),
        (1, 100, 0.0018, 0.0545),
        (997, 1000, 0.9912, 0.9990),
        (0, 1000, 0.0, 0.0038),
    ],
)
def test_wilson_known_values(k: int, n: int, low: float, high: float) -> None:
    got = wilson_interval(k, n)
    assert got == pytest.approx((low, high), abs=5e-5)


@pytest.mark.parametrize(("k", "n"), [(0, 1), (1, 1), (3, 7), (40, 60), (59, 60), (123, 4567)])
def test_wilson_matches_scipy(k: int, n: int) -> None:
    ci = stats.binomtest(k, n).proportion_ci(confidence_level=0.95, method="wilson")
    assert wilson_interval(k, n) == pytest.approx((ci.low, ci.high), abs=1e-9)


def test_wilson_contains_the_estimate_and_shrinks_with_n() -> None:
    widths = []
    for n in (10, 100, 1000, 10000):
        low, high = wilson_interval(n // 4, n)
        assert low <= 0.25 <= high
        widths.append(high - low)
    assert widths == sorted(widths, reverse=True)
    # about 1.96 * 2 * sqrt(p(1-p)/n) for large n
    assert widths[-1] == pytest.approx(2 * 1.96 * math.sqrt(0.25 * 0.75 / 10000), rel=0.01)
    with pytest.raises(ValueError):
        wilson_interval(1, 0)
    with pytest.raises(ValueError):
        wilson_interval(5, 4)


def test_quantiles_of_known_values() -> None:
    q = Quantiles.of(np.arange(101, dtype=float))
    assert (q.n, q.mean, q.p5, q.p50, q.p95) == (101, 50.0, 5.0, 50.0, 95.0)
    nan = Quantiles.of(np.array([np.nan, 1.0, 3.0]))
    assert (nan.n, nan.mean, nan.p50) == (2, 2.0, 2.0)
    assert Quantiles.of(np.array([], dtype=float)) == Quantiles(0, None, None, None, None)


def _runs(outcomes: list[str], detected: list[float | None]) -> pd.DataFrame:
    n = len(outcomes)
    return pd.DataFrame(
        {
            "outcome": outcomes,
            "rolled_back": [o == "ROLLED_BACK" for o in outcomes],
            "succeeded": [o == "SUCCEEDED" for o in outcomes],
            "failed": [o == "FAILED" for o in outcomes],
            "detected_at_seconds": [np.nan if d is None else d for d in detected],
            "green_errors": np.arange(n),
            "green_requests": np.arange(n) * 10,
            "user_errors": np.arange(n),
            "deployment_seconds": np.full(n, 600.0),
            "cost_usd": np.full(n, 1.5),
            "tripped[a]": [o == "ROLLED_BACK" for o in outcomes],
            "tripped[b]": [False] * n,
        }
    )


def test_summarize_hand_built_runs() -> None:
    runs = _runs(["ROLLED_BACK", "ROLLED_BACK", "SUCCEEDED", "FAILED"], [100.0, 300.0, None, None])
    s = summarize(runs, ["a", "b"])
    assert (s.n, s.rolled_back, s.failed, s.succeeded) == (4, 2, 1, 1)
    assert s.p_rollback == 0.5 and s.p_failed == 0.25
    assert s.p_rollback_ci == wilson_interval(2, 4)
    assert s.alarm_trips == {"a": 2, "b": 0}
    assert s.alarm_frequency == {"a": 0.5, "b": 0.0}
    det = s.quantiles["detected_at_seconds"]
    assert (det.n, det.mean, det.p50) == (2, 200.0, 200.0)
    assert s.quantiles["green_errors"].mean == 1.5
    row = s.to_row()
    assert list(row)[: len(SUMMARY_COLUMNS)] == list(SUMMARY_COLUMNS)
    assert row["p_tripped[a]"] == 0.5 and row["detected_runs"] == 2
    assert rollback_sentence(s) == "rolled back in 2 of 4 runs (50.0%, 95% CI 15.0%-85.0%)"


def test_sentence_never_rounds_to_certainty() -> None:
    s = summarize(_runs(["ROLLED_BACK"] * 999 + ["SUCCEEDED"], [1.0] * 999 + [None]), ["a"])
    assert rollback_sentence(s).startswith("rolled back in 999 of 1000 runs (99.9%, 95% CI 99.4%-")
    s = summarize(_runs(["ROLLED_BACK"] * 9999 + ["SUCCEEDED"], [1.0] * 9999 + [None]), ["a"])
    assert "(>99.9%," in rollback_sentence(s)


def test_bad_model_is_rolled_back_almost_always(bad: Scenario) -> None:
    result = monte_carlo(bad, N, seed=11, workers=1)
    s = result.summary
    assert stats.binom.sf(N - 2, N, 0.85) < 0.001  # the tolerance in the module docstring
    assert s.rolled_back >= N - 1
    assert s.p_rollback_ci[0] > 0.9  # and the interval says so
    # the blog post's error alarm (Average >= 1 on the blended metric) never fires: only the
    # latency alarm rolls it back
    assert s.alarm_frequency[LATENCY_ALARM] == s.p_rollback
    assert sum(s.alarm_trips.values()) == s.alarm_trips[LATENCY_ALARM]
    det = s.quantiles["detected_at_seconds"]
    assert det.n == s.rolled_back
    assert det.p5 is not None and det.p95 is not None and 0 < det.p5 <= det.p50 <= det.p95
    assert s.quantiles["green_errors"].mean == s.quantiles["green_requests"].mean  # all fail
    assert set(s.quantiles) == set(QUANTILE_METRICS)


def test_healthy_model_is_almost_never_rolled_back(healthy: Scenario) -> None:
    result = monte_carlo(healthy, N, seed=11, workers=1)
    s = result.summary
    assert stats.binom.cdf(1, N, 0.15) < 0.001  # the tolerance in the module docstring
    assert s.rolled_back <= 1
    assert s.p_rollback_ci[1] < 0.1
    assert s.quantiles["green_errors"].mean == 0
    assert s.quantiles["detected_at_seconds"].n == s.rolled_back
