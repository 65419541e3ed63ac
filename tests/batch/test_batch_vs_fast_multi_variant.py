"""Batch, fast and exact agree on a multi-variant endpoint (each variant a lane, one controller).

The method of ``test_batch_vs_fast.py`` (whose helpers this reuses) on one scenario: the
built-in two-variant canary (``multi-variant-canary-rollback``: ModelA 3 instances at weight 3,
ModelB 2 instances at weight 1) at 4 requests/s (3/s to A, 1/s to B), ModelB's new model at 10 %
5XX and each variant's alarm at an Average >= 0.2 over one minute on its new config: about 30 of
B's green requests a minute, so noise trips B's alarm in some runs and not in others (checked),
and A's never.

N_FAST fast-mode, N_BATCH batch and N_EXACT exact replications with different base seeds; batch
and exact are each compared with fast mode on the outcome and each alarm's tripped frequency
(chi-square) and, with two-sample Kolmogorov-Smirnov tests, the seven per-replication measures
of ``MEASURES``.

**False alarms.** 2 pairs x (1 outcome + 2 tripped + 7 measures) = 20 tests, each at
ALPHA = 0.05 / 20 = 2.5e-3: by Bonferroni the family-wise false-alarm rate is below 5 %. The
seeds are fixed, so the test is deterministic.

**Power.** Batch vs fast (1024, 300): a rollback frequency near 0.25 is told apart when the
estimates differ by more than z sqrt(0.19 (1/300 + 1/1024)) = 3.02 x 0.029 = 0.087 (z the
two-sided normal quantile of ALPHA); ``test_the_comparison_has_power`` checks that batch runs
of B at 13 % errors (rollback frequency about 0.55) are told from fast runs at 10 %.

Where nothing is random (fixed durations, evenly spaced arrivals, B's new model failing every
request), batch and fast give the same timeline to the second.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
from scipy import stats
from test_batch_engine import TIMING
from test_batch_vs_fast import (
    MEASURES,
    _alarm_names,
    _batch_rows,
    _comparisons,
    _describe,
    _fast_rows,
    _measures,
)
from test_multi_variant_timelines import _scenario as _deterministic

from guardsim.batch import run_batch
from guardsim.scenarios import check_scenario_dict, load_scenario
from guardsim.scenarios.scenario import Scenario
from guardsim.simulator import simulate

N_FAST, N_BATCH, N_EXACT = 300, 1024, 150
N_TESTS = 2 * (1 + 2 + 7)
ALPHA = 0.05 / N_TESTS
FAST_SEED, BATCH_SEED, EXACT_SEED = 2_000, 3_000, 4_000


def _scenario(b_error_rate: float) -> Scenario:
    data: dict[str, Any] = load_scenario("multi-variant-canary-rollback").to_dict()
    data["simulation"] = {"warmup_seconds": 300, "cooldown_seconds": 0, "seed": 0}
    data["environment"] = {"provisioning_seconds": {"kind": "uniform", "low": 120, "high": 240}}
    data["traffic"]["rate_per_second"] = 4
    data["models"]["variants"]["ModelB"]["green"]["error_rate_5xx"] = b_error_rate
    for alarm in data["alarms"]:
        alarm.update({"EvaluationPeriods": 1, "Threshold": 0.2})
    result = check_scenario_dict(data)
    assert result.scenario is not None, result.errors
    return result.scenario


SCENARIO = _scenario(0.10)
ALARMS = _alarm_names(SCENARIO)


def _exact_rows(scenario: Scenario, n: int, seed: int) -> list[Any]:
    return [
        (i, r.outcome, r.summary)
        for i in range(n)
        for r in [simulate(scenario, seed=seed, mode="exact", replication=i, detail=False)]
    ]


def _failures(other: str, a: dict[str, np.ndarray], fast: dict[str, np.ndarray]) -> list[str]:
    return [
        f"{other} vs fast: {column} differs (p = {p:.3g} < {ALPHA:.2g});\n"
        f"  {other}: {_describe(a[column])}\n  fast: {_describe(fast[column])}"
        for measure in MEASURES
        for column, p in _comparisons(measure, a, fast)
        if not p > ALPHA
    ]


@pytest.mark.slow
def test_batch_and_exact_match_fast_on_two_variants() -> None:
    fast = _measures(_fast_rows(SCENARIO, N_FAST, FAST_SEED), ALARMS)
    batch = _measures(_batch_rows(SCENARIO, N_BATCH, BATCH_SEED), ALARMS)
    exact = _measures(_exact_rows(SCENARIO, N_EXACT, EXACT_SEED), ALARMS)
    # not degenerate: B's alarm trips in some runs and not in others; A's never
    share = float(np.mean(fast["outcome"] == "ROLLED_BACK"))
    assert 0.1 < share < 0.9, share
    assert not fast["tripped[model-a-new-5xx]"].any()
    failures = _failures("batch", batch, fast) + _failures("exact", exact, fast)
    assert not failures, "\n".join(failures)


@pytest.mark.slow
def test_the_comparison_has_power() -> None:
    fast = _measures(_fast_rows(SCENARIO, N_FAST, FAST_SEED), ALARMS)
    wrong = _measures(_batch_rows(_scenario(0.13), N_BATCH, BATCH_SEED), ALARMS)
    assert _failures("batch", wrong, fast)


def test_the_arithmetic_of_the_docstring() -> None:
    assert math.isclose(ALPHA, 2.5e-3)
    z = float(stats.norm.isf(ALPHA / 2))
    assert round(z, 2) == 3.02
    assert round(math.sqrt(0.19 * (1 / N_FAST + 1 / N_BATCH)), 3) == 0.029


@pytest.mark.parametrize("b_error_rate", [1.0, 0.0])
def test_batch_gives_fast_modes_timeline_where_nothing_is_random(b_error_rate: float) -> None:
    scenario = _deterministic(b_error_rate)
    fast = simulate(scenario, mode="fast", detail=False).summary
    for _, outcome, s in run_batch(scenario, seed=0, start=0, stop=4):
        assert outcome == ("ROLLED_BACK" if b_error_rate else "SUCCEEDED")
        for field in TIMING:
            assert getattr(s, field) == getattr(fast, field), field
        # B's errors only: every error of the run is one of its green requests
        assert s.green_errors == s.user_errors
        if not b_error_rate:
            assert s.green_errors == 0
