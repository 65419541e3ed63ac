"""Anomaly-detection alarms give the same results in every engine (exact, fast, batch).

The alarm: ``ANOMALY_DETECTION_BAND(m1, k)`` on the endpoint-wide Average ModelLatency, with the
two-sided operator, on a canary at 5 req/s Poisson (300 requests a minute) whose old model has
median 3 ms, p99 10 ms. Its band is the old model's steady state
(``environment.anomaly_band_model: old-model-steady-state``; guardsim.model.anomaly), computed
once per alarm by the function every engine calls.

* A regressed new model (median 6 ms, p99 20 ms: twice as slow) is caught by a k = 3, 2-of-2 band in
  every replication of every engine; a healthy one (the old model itself) passes that band in
  every replication (a breach needs two 1-minute averages > 3 sd out in a row: about
  (2.7e-3)^2 per pair of minutes). Outcomes are exact, so the test could fail either way.
* Equivalence on a borderline case, a 10 % slower model (median 3.3 ms) and a k = 2, 1-of-1 band,
  which rolls back about half the time: the method of ``test_composite_engines.py``. Exact vs
  fast, N = 200 each (different seeds): outcome (chi-square), detected_at_seconds (KS), each at
  ALPHA = 0.001. Batch vs fast: N_BATCH = 1024, N_FAST = 300, the MEASURES of
  ``test_batch_vs_fast.py`` at ALPHA_B = 0.05 / 9 (Bonferroni). Seeds are fixed: deterministic.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from test_batch_vs_fast import MEASURES, _batch_rows, _failures, _fast_rows, _measures
from test_fast_vs_exact import _ks_p, _outcome_p, _runs, _scenario

from guardsim.model.anomaly import anomaly_bands
from guardsim.scenarios.scenario import Scenario
from guardsim.simulator import simulate

sys.path.insert(0, str(Path(__file__).parent.parent / "cloudwatch"))
from test_anomaly_alarms import band_alarm

N_FAST, N_BATCH = 300, 1024
FAST_SEED, BATCH_SEED, EXACT_SEED, FAST_E_SEED = 8_100, 8_200, 8_300, 8_400
ALPHA = 0.001
ALPHA_B = 0.05 / len(MEASURES)
HEALTHY = {"median_ms": 3, "p99_ms": 10}


def band_scenario(green: dict[str, float], **alarm: Any) -> Scenario:
    overrides = {
        "traffic.rate_per_second": 5,
        "traffic.arrivals": "poisson",
        "models.blue.latency": HEALTHY,
        "models.green.latency": green,
    }
    return _scenario(overrides, band_alarm(**alarm))


def _outcomes(scenario: Scenario, mode: str, n: int) -> list[str]:
    if mode == "batch":
        return [o for _, o, _ in _batch_rows(scenario, n, BATCH_SEED)]
    return [
        simulate(scenario, seed=1, mode=mode, replication=i, detail=False).outcome for i in range(n)
    ]


@pytest.mark.parametrize(("mode", "n"), [("exact", 20), ("fast", 60), ("batch", 256)])
def test_a_band_alarm_catches_a_latency_regression(mode: str, n: int) -> None:
    bad = band_scenario({"median_ms": 6, "p99_ms": 20}, k=3, n=2, m=2)
    assert set(_outcomes(bad, mode, n)) == {"ROLLED_BACK"}


@pytest.mark.parametrize(("mode", "n"), [("exact", 20), ("fast", 60), ("batch", 256)])
def test_a_healthy_model_stays_inside_the_band(mode: str, n: int) -> None:
    good = band_scenario(HEALTHY, k=3, n=2, m=2)
    assert set(_outcomes(good, mode, n)) == {"SUCCEEDED"}


def test_the_band_sits_around_the_old_models_average() -> None:
    """Centre: the lognormal mean of median 3 ms, p99 10 ms (3.43 ms, in microseconds)."""
    ((lo, hi),) = anomaly_bands(band_scenario(HEALTHY, k=3)).values()
    assert lo < 3430 < hi and (lo + hi) / 2 == pytest.approx(3429.9, abs=0.5)


BORDERLINE = band_scenario({"median_ms": 3.3, "p99_ms": 11}, k=2, n=1, m=1)


@pytest.mark.slow
@pytest.mark.parametrize("measure", ["outcome", "detected_at_seconds"])
def test_fast_matches_exact(measure: str) -> None:
    exact, fast = _runs(BORDERLINE, "exact", EXACT_SEED), _runs(BORDERLINE, "fast", FAST_E_SEED)
    share = float(np.mean(exact["outcome"] == "ROLLED_BACK"))
    assert 0.2 < share < 0.8, f"degenerate: {share:.0%} of exact runs roll back"
    test = _outcome_p if measure == "outcome" else _ks_p
    p = test(exact[measure], fast[measure])
    assert p > ALPHA, f"{measure} differs between exact and fast mode (p = {p:.2g})"


@pytest.mark.slow
@pytest.mark.parametrize("measure", MEASURES)
def test_batch_matches_fast(measure: str) -> None:
    batch = _measures(_batch_rows(BORDERLINE, N_BATCH, BATCH_SEED), ("band",))
    fast = _measures(_fast_rows(BORDERLINE, N_FAST, FAST_SEED), ("band",))
    share = float(np.mean(batch["tripped[band]"]))
    assert 0.2 < share < 0.8, f"degenerate: the band alarm trips in {share:.0%} of batch runs"
    failures = _failures("anomaly", measure, batch, fast, ALPHA_B)
    assert not failures, "\n".join(failures)
