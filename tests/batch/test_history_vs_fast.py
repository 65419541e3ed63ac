"""A recording-driven scenario in every engine: exact, fast and batch agree in distribution,
and the recording's autocorrelation shows in the false-rollback rate.

The scenario: the shipped recording (docs/examples/history/recorded-history.csv, made through
the emulator by ``guardsim real import --history``: a drifting 5XX rate, lag-1 autocorrelation
about 0.7 per minute) drives the old model; the new one follows it (``history_transform``), and
a canary's alarm on the new fleet's 5XX Average (> 0.04, 2 of 3 datapoints) watches it.

**Equivalence** (the method of test_batch_vs_fast): exact (N_EXACT runs), fast (N_FAST) and
batch (N_BATCH), each with its own seed, compared on the outcome frequencies (chi-square) and,
with two-sample KS tests, on green_errors, green_requests and deployment_seconds: 3 pairs x 4
measures = 12 tests at ALPHA = 0.001 each, a family-wise false-alarm rate below 1.2 %.

**Autocorrelation.** Positively autocorrelated error rates come in runs of high minutes, so an
M-of-N alarm whose threshold is above the mean trips more often than under independent minutes
with the same distribution: M high minutes among N consecutive ones are far likelier when high
minutes cluster. The i.i.d. counterpart is the same recording with its minutes shuffled (same
values, so the same mean and marginal distribution; no autocorrelation). With a healthy new model
(the identity transform) the false-rollback rate of the recording must exceed the shuffle's by
more than Z = 3.29 standard errors of the difference (one-sided, 5e-4), the standard error
sqrt(p1 (1 - p1) / n + p2 (1 - p2) / n) from the two estimates at n = N_BATCH each.
"""

from __future__ import annotations

import functools
from pathlib import Path

import numpy as np
import pytest
from scipy import stats
from test_fast_vs_exact import _alarm, _scenario

from guardsim.batch.engine import run_batch
from guardsim.scenarios.scenario import Scenario
from guardsim.simulator import simulate

RECORDING = Path(__file__).parents[2] / "docs" / "examples" / "history" / "recorded-history.csv"
N_EXACT, N_FAST, N_BATCH = 150, 300, 2048
ALPHA = 0.001
Z = 3.29
MEASURES = ("green_errors", "green_requests", "deployment_seconds")


def _replayed(recording: Path, transform: dict[str, object]) -> Scenario:
    return _scenario(
        {
            "models.blue.history": {"file": str(recording)},
            "models.green.history_transform": transform,
            "traffic.rate_per_second": 20,
        },
        _alarm(
            "Invocation5XXErrors", {"Statistic": "Average"}, 0.04, "GreaterThanThreshold", n=3, m=2
        ),
    )


#: A regressed new model: 1.5 x the recorded 5XX rate (rollbacks in a good share of runs).
WORSE = _replayed(RECORDING, {"error_rate": {"scale": 1.5}})


def _measures(rows: list[tuple[str, object]]) -> dict[str, np.ndarray]:
    out = {"outcome": np.array([o for o, _ in rows])}
    for m in MEASURES:
        out[m] = np.array([float(getattr(s, m)) for _, s in rows])
    return out


@functools.cache
def _engine(engine: str) -> dict[str, np.ndarray]:
    if engine == "batch":
        return _measures(
            [(o, s) for _, o, s in run_batch(WORSE, seed=3_000, start=0, stop=N_BATCH)]
        )
    n, seed = (N_EXACT, 1_000) if engine == "exact" else (N_FAST, 2_000)
    runs = [simulate(WORSE, seed=seed, mode=engine, replication=i, detail=False) for i in range(n)]
    return _measures([(r.outcome, r.summary) for r in runs])


def _outcome_p(a: np.ndarray, b: np.ndarray) -> float:
    labels = sorted(set(a) | set(b))
    table = np.array([[np.sum(a == k) for k in labels], [np.sum(b == k) for k in labels]])
    return 1.0 if table.shape[1] < 2 else float(stats.chi2_contingency(table)[1])


@pytest.mark.slow
@pytest.mark.parametrize("pair", [("exact", "fast"), ("fast", "batch"), ("exact", "batch")])
@pytest.mark.parametrize("measure", ["outcome", *MEASURES])
def test_the_engines_agree_on_a_recording_driven_scenario(
    pair: tuple[str, str], measure: str
) -> None:
    a, b = (_engine(e)[measure] for e in pair)
    p = _outcome_p(a, b) if measure == "outcome" else float(stats.ks_2samp(a, b).pvalue)
    assert p > ALPHA, f"{measure} differs between {pair[0]} and {pair[1]} (p = {p:.2g})"


def test_the_scenario_is_not_degenerate() -> None:
    share = float(np.mean(_engine("batch")["outcome"] == "ROLLED_BACK"))
    assert 0.1 < share < 0.9, share


def _shuffled(tmp: Path) -> Path:
    """The recording with its minutes' values permuted (timestamps kept), one view."""
    lines = RECORDING.read_text().splitlines()
    rows = [r for r in lines[1:] if r.split(",")[1] == "blue"]
    head = [r.split(",", 3)[:3] for r in rows]
    values = [r.split(",", 3)[3] for r in rows]
    order = np.random.default_rng(0).permutation(len(rows))
    text = [",".join([*head[i], values[j]]) for i, j in enumerate(order)]
    path = tmp / "shuffled.csv"
    path.write_text("\n".join([lines[0], *text]) + "\n")
    return path


def test_autocorrelated_noise_rolls_back_a_healthy_model_more_than_iid_noise(
    tmp_path: Path,
) -> None:
    from guardsim.model.history import read_history

    recorded = read_history(RECORDING)["blue"].p5
    shuffled_path = _shuffled(tmp_path)
    shuffled = read_history(shuffled_path)["blue"].p5
    assert recorded.mean() == pytest.approx(shuffled.mean())  # the same mean ...
    lag1 = np.corrcoef(recorded[:-1], recorded[1:])[0, 1]
    lag1_shuffled = np.corrcoef(shuffled[:-1], shuffled[1:])[0, 1]
    assert lag1 > 0.5 and abs(lag1_shuffled) < 0.2  # ... positive autocorrelation, or none
    rates = []
    for path in (RECORDING, shuffled_path):
        rows = run_batch(_replayed(path, {}), seed=11, start=0, stop=N_BATCH)
        rates.append(float(np.mean([o == "ROLLED_BACK" for _, o, _ in rows])))
    p1, p2 = rates
    se = np.sqrt(p1 * (1 - p1) / N_BATCH + p2 * (1 - p2) / N_BATCH)
    assert p1 - p2 > Z * se, (p1, p2, se)


@pytest.mark.parametrize("mode", ["exact", "fast"])
def test_the_per_replication_engines_run_it_and_vary_the_start(mode: str) -> None:
    """Each replication starts at its own recording minute: the new fleet's error counts vary
    far more than one start minute would make them."""
    runs = [simulate(WORSE, seed=5, mode=mode, replication=i, detail=False) for i in range(30)]
    errors = [r.summary.green_errors for r in runs]
    assert len(set(errors)) > 10
    again = simulate(WORSE, seed=5, mode=mode, replication=3, detail=False)
    assert again.to_json() == runs[3].to_json()  # deterministic per (seed, replication)


def test_the_comparison_tells_an_engine_that_ignored_the_recording_apart() -> None:
    """Power: an engine that used the recording's mean rates instead of the recording (what
    ignoring ``history`` would amount to) is told apart from fast mode at these sizes."""
    from guardsim.model.history import read_history

    mean = float(read_history(RECORDING)["blue"].p5.mean())
    static = _scenario(
        {
            "models.blue.error_rate_5xx": mean,
            "models.green.error_rate_5xx": 1.5 * mean,
            "traffic.rate_per_second": 20,
        },
        WORSE.alarms[0].to_boto(),
    )
    rows = run_batch(static, seed=3_000, start=0, stop=N_BATCH)
    ignored = _measures([(o, s) for _, o, s in rows])
    assert _outcome_p(ignored["outcome"], _engine("fast")["outcome"]) < ALPHA
