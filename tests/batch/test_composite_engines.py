"""Composite alarms give the same results in every engine (exact, fast, batch).

One scenario: a healthy canary near two alarms' thresholds (3 req/s Poisson, 3 % 5XX against an
Average >= 0.07 per-fleet error alarm; a 2-of-2 Average ModelLatency alarm over 6 ms), and two
nested composites: ``either = ALARM(errors) OR ALARM(latency)`` and the rollback alarm
``guarded = ALARM("either") AND NOT INSUFFICIENT_DATA(errors)``, with
``environment.rollback_sees_composite_alarms: true``. About half the runs roll back.

Exact vs fast: N_EXACT = N_FAST_E = 200 replications each (different base seeds), the method of
``tests/simulator/test_fast_vs_exact.py``: outcome (chi-square), detected_at_seconds,
green_errors, deployment_seconds (KS), each at ALPHA = 0.001 (4 tests). At N = 200 a KS test at
ALPHA rejects when the CDFs differ by more than 1.95 * sqrt(2 / 200) = 0.195.

Batch vs fast: the method of ``tests/batch/test_batch_vs_fast.py`` with N_FAST = 300 and
N_BATCH = 1024: its MEASURES (outcome, tripped frequency of ``guarded``, and seven KS measures),
each at ALPHA_B = 0.05 / 9 = 5.6e-3 (Bonferroni: family-wise false-alarm rate below 5 %). KS
rejects at c * sqrt((300 + 1024) / (300 * 1024)) = 1.72 * 0.0656 = 0.113, c =
sqrt(-ln(ALPHA_B / 2) / 2).

``test_the_comparison_has_power``: a composite evaluated wrongly in a way an engine could (the
inner rule's ``OR`` read as ``AND``) is detected by the same machinery at these sizes. The
seeds are fixed: the tests are deterministic.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
from test_batch_vs_fast import MEASURES, _batch_rows, _failures, _fast_rows, _measures
from test_fast_vs_exact import _alarm, _ks_p, _outcome_p, _runs, _scenario

from guardsim.scenarios import check_scenario_dict
from guardsim.scenarios.scenario import Scenario

N_FAST, N_BATCH = 300, 1024
FAST_SEED, BATCH_SEED, EXACT_SEED, FAST_E_SEED = 7_100, 7_200, 7_300, 7_400
ALPHA = 0.001
ALPHA_B = 0.05 / len(MEASURES)
NAMES = ("guarded",)


def composite_scenario(
    *, rule: str = "ALARM(errors) OR ALARM(latency)", sees: bool = True
) -> Scenario:
    errors = {
        **_alarm(
            "Invocation5XXErrors", {"Statistic": "Average"}, 0.07, "GreaterThanOrEqualToThreshold"
        ),
        "AlarmName": "errors",
    }
    latency = {
        **_alarm("ModelLatency", {"Statistic": "Average"}, 6000, "GreaterThanThreshold", n=2, m=2),
        "AlarmName": "latency",
    }
    overrides: dict[str, Any] = {
        "traffic.rate_per_second": 3,
        "traffic.arrivals": "poisson",
        "models.green.error_rate_5xx": 0.03,
        "models.green.latency": {"median_ms": 4, "p99_ms": 30},
        "environment.rollback_sees_composite_alarms": sees,
    }
    base = _scenario(overrides, errors).to_dict()
    base["alarms"] = [
        errors,
        latency,
        {"AlarmName": "either", "AlarmRule": rule},
        {"AlarmName": "guarded", "AlarmRule": 'ALARM("either") AND NOT INSUFFICIENT_DATA(errors)'},
    ]
    base["deployment_config"]["AutoRollbackConfiguration"] = {"Alarms": [{"AlarmName": "guarded"}]}
    result = check_scenario_dict(base)
    assert result.scenario is not None, result.errors
    return result.scenario


SCENARIO = composite_scenario()


@pytest.fixture(scope="module")
def exact_fast() -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    return _runs(SCENARIO, "exact", EXACT_SEED), _runs(SCENARIO, "fast", FAST_E_SEED)


@pytest.mark.slow
@pytest.mark.parametrize(
    "measure", ["outcome", "detected_at_seconds", "green_errors", "deployment_seconds"]
)
def test_fast_matches_exact(
    exact_fast: tuple[dict[str, np.ndarray], dict[str, np.ndarray]], measure: str
) -> None:
    exact, fast = exact_fast
    share = float(np.mean(exact["outcome"] == "ROLLED_BACK"))
    assert 0.2 < share < 0.8, f"degenerate: {share:.0%} of exact runs roll back"
    p = (
        _outcome_p(exact[measure], fast[measure])
        if measure == "outcome"
        else _ks_p(exact[measure], fast[measure])
    )
    assert p > ALPHA, f"{measure} differs between exact and fast mode (p = {p:.2g})"


_SAMPLES: dict[str, tuple[dict[str, np.ndarray], dict[str, np.ndarray]]] = {}


def _samples(scenario: Scenario, key: str) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    if key not in _SAMPLES:
        _SAMPLES[key] = (
            _measures(_batch_rows(scenario, N_BATCH, BATCH_SEED), NAMES),
            _measures(_fast_rows(scenario, N_FAST, FAST_SEED), NAMES),
        )
    return _SAMPLES[key]


@pytest.mark.slow
@pytest.mark.parametrize("measure", MEASURES)
def test_batch_matches_fast(measure: str) -> None:
    batch, fast = _samples(SCENARIO, "composite")
    share = float(np.mean(batch["tripped[guarded]"]))
    assert 0.2 < share < 0.8, f"degenerate: the composite trips in {share:.0%} of batch runs"
    failures = _failures("composite", measure, batch, fast, ALPHA_B)
    assert not failures, "\n".join(failures)


@pytest.mark.slow
def test_the_comparison_has_power() -> None:
    """AND instead of OR in the inner composite, in the batch engine only, is detected."""
    wrong = composite_scenario(rule="ALARM(errors) AND ALARM(latency)")
    batch, _ = _samples(wrong, "wrong")
    _, fast = _samples(SCENARIO, "composite")
    p = _outcome_p(batch["outcome"], fast["outcome"])
    assert p < ALPHA_B, f"a wrong composite rule went unnoticed (p = {p:.3g})"


@pytest.mark.parametrize("mode", ["exact", "fast", "batch"])
def test_an_unseen_composite_never_rolls_back(mode: str) -> None:
    """With the default ``rollback_sees_composite_alarms: false`` the composite named in
    AutoRollbackConfiguration is invisible to SageMaker in every engine: no rollback, although
    the same scenario with the setting on rolls back about half the time."""
    unseen = composite_scenario(sees=False)
    if mode == "batch":
        rows = _batch_rows(unseen, 512, BATCH_SEED)
        outcomes = [o for _, o, _ in rows]
        tripped = [s.tripped_alarms for _, _, s in rows]
    else:
        from guardsim.simulator import simulate

        records = [
            simulate(unseen, seed=1, mode=mode, replication=i, detail=False) for i in range(40)
        ]
        outcomes = [r.outcome for r in records]
        tripped = [r.summary.tripped_alarms for r in records]
    assert set(outcomes) == {"SUCCEEDED"}
    assert not any(tripped)


def test_the_arithmetic_of_the_docstring() -> None:
    c = math.sqrt(-math.log(ALPHA_B / 2) / 2)
    assert round(c, 2) == 1.72
    assert round(math.sqrt((N_FAST + N_BATCH) / (N_FAST * N_BATCH)), 4) == 0.0656
    assert len(MEASURES) == 9
    assert round(1.95 * math.sqrt(2 / 200), 3) == 0.195
    assert round(math.sqrt(-math.log(ALPHA / 2) / 2), 2) == 1.95
