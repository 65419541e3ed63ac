"""An anomaly band trained on a recording (guardsim.model.anomaly, ``models.blue.history``).

CloudWatch trains its band on the metric's history; guardsim's static stand-in, for an old model
that replays a recording, is the law of total variance over the recording's period windows: the
centre is the mean of the windows' expected values, the variance that of the windows' expected
values plus the mean sampling variance within a window.

* A recording whose rate never changes gives exactly the recording-free model's band.
* On a drifting recording the formula matches a fixed-seed simulation of the per-period statistic
  (Poisson counts, binomial errors, every window R times): the centre within 4 standard errors
  (sd / sqrt(N), N = R x windows), the sd within 4 standard errors of an sd (sd / sqrt(2 N)).
* In the engines: a scenario with such a band validates and runs in exact, fast and batch mode;
  with a healthy new model, the recording-trained band rolls back fewer batch runs than the band a
  recording-free model of the recording's mean rate would draw (too narrow: it ignores the drift),
  by more than 3.29 standard errors of the difference (one-sided, 5e-4) at N_BATCH runs each.
"""

from __future__ import annotations

import math
import sys
from pathlib import Path

import numpy as np
import pytest
from history_data import drifting, write

from guardsim.batch.engine import run_batch
from guardsim.model.anomaly import anomaly_bands, recorded_minutes, steady_state
from guardsim.scenarios import check_scenario_dict, scenario_from_dict
from guardsim.scenarios.models import History, Latency, ModelBehaviour
from guardsim.scenarios.scenario import Scenario
from guardsim.simulator import simulate

sys.path.insert(0, str(Path(__file__).parent.parent / "simulator"))
sys.path.insert(0, str(Path(__file__).parent.parent / "cloudwatch"))
from test_anomaly_alarms import band_alarm
from test_fast_vs_exact import _scenario

RECORDING = Path(__file__).parents[2] / "docs" / "examples" / "history" / "recorded-history.csv"
N_BATCH = 2048
Z = 3.29


def _model(path: Path) -> ModelBehaviour:
    return ModelBehaviour(latency=Latency(median_ms=5.0, p99_ms=20.0), history=History(str(path)))


@pytest.mark.parametrize(
    ("metric", "stat"),
    [
        ("Invocation5XXErrors", "Average"),
        ("Invocation5XXErrors", "Sum"),
        ("InvocationModelErrors", "Average"),
        ("ModelLatency", "Average"),
    ],
)
@pytest.mark.parametrize("period_minutes", [1, 5])
def test_a_constant_recording_gives_the_models_own_band(
    tmp_path: Path, metric: str, stat: str, period_minutes: int
) -> None:
    """600 requests and 12 5XX a minute, p50 5 ms: the model with rate 0.02 and median 5 ms."""
    model = _model(write(tmp_path / "h.csv", np.full(60, 0.02)))
    plain = ModelBehaviour(latency=model.latency, error_rate_5xx=0.02)
    n = 600.0 * period_minutes
    got = steady_state(metric, stat, model, n, "poisson", recorded_minutes(model), period_minutes)
    want = steady_state(metric, stat, plain, n, "poisson")
    assert got == pytest.approx(want, rel=1e-12)


def test_the_band_of_a_drifting_recording_matches_a_simulation(tmp_path: Path) -> None:
    rates = drifting(600, seed=11, mean=0.03, phi=0.95, sigma=0.15)
    model = _model(write(tmp_path / "h.csv", rates))
    m, per_minute = 5, 240.0  # Period 300, 4 requests a second
    minutes = recorded_minutes(model)
    assert minutes is not None
    centre, sd = steady_state(
        "Invocation5XXErrors", "Average", model, m * per_minute, "poisson", minutes, m
    )
    rng = np.random.default_rng(7)
    p = minutes[0].reshape(-1, m)  # 120 windows of 5 minutes
    reps = 200
    counts = rng.poisson(per_minute, size=(reps, *p.shape))
    errors = rng.binomial(counts, p)
    values = (errors.sum(axis=2) / counts.sum(axis=2)).ravel()
    n = values.size
    assert abs(values.mean() - centre) < 4 * sd / math.sqrt(n)
    assert abs(values.std() - sd) < 4 * sd / math.sqrt(2 * n)
    # the drift matters: the band is much wider than the sampling noise at the mean rate alone
    pbar = float(p.mean())
    assert sd > 1.5 * math.sqrt(pbar * (1 - pbar) / (m * per_minute))


def _band_scenario(blue: dict[str, object], green: dict[str, object]) -> Scenario:
    return _scenario(
        {**blue, **green, "traffic.rate_per_second": 20},
        band_alarm(k=2, metric="Invocation5XXErrors", stat="Average", n=3, m=2),
    )


RECORDED = _band_scenario(
    {"models.blue.history": {"file": str(RECORDING)}}, {"models.green.history_transform": {}}
)


def test_a_recorded_old_model_gets_a_band_and_validates() -> None:
    assert check_scenario_dict(RECORDED.to_dict()).errors == ()
    ((lo, hi),) = anomaly_bands(RECORDED).values()
    assert lo < 0.014 < hi


@pytest.mark.parametrize(("mode", "n"), [("exact", 3), ("fast", 20)])
def test_the_simpler_engines_run_it(mode: str, n: int) -> None:
    outcomes = {
        simulate(RECORDED, seed=1, mode=mode, replication=i, detail=False).outcome for i in range(n)
    }
    assert outcomes <= {"SUCCEEDED", "ROLLED_BACK"} and outcomes


def _rolled_back(scenario: Scenario) -> float:
    runs = run_batch(scenario, seed=4_000, start=0, stop=N_BATCH)
    return float(np.mean([o == "ROLLED_BACK" for _, o, _ in runs]))


@pytest.mark.slow
def test_a_band_trained_on_the_recording_false_rolls_back_less() -> None:
    minutes = recorded_minutes(RECORDED.models.blue)
    assert minutes is not None
    mean_rate = float(np.mean(minutes[0]))
    # a recording-free old model at the recording's mean rate draws a narrower band around the
    # same centre; judge the recorded scenario by that band (k scaled to its half-width)
    naive = _band_scenario(
        {"models.blue.error_rate_5xx": mean_rate, "models.green.error_rate_5xx": mean_rate}, {}
    )
    trained, narrow = anomaly_bands(RECORDED)["band"], anomaly_bands(naive)["band"]
    assert sum(narrow) / 2 == pytest.approx(sum(trained) / 2, rel=0.05)
    assert trained[1] - trained[0] > narrow[1] - narrow[0]
    data = RECORDED.to_dict()
    k = 2 * (narrow[1] - narrow[0]) / (trained[1] - trained[0])
    data["alarms"][0]["Metrics"][1]["Expression"] = f"ANOMALY_DETECTION_BAND(m1, {k})"
    p1, p2 = _rolled_back(RECORDED), _rolled_back(scenario_from_dict(data))
    se = math.sqrt(p1 * (1 - p1) / N_BATCH + p2 * (1 - p2) / N_BATCH)
    assert p2 - p1 > Z * se, f"trained {p1:.3f} vs narrow {p2:.3f} (se {se:.4f})"
