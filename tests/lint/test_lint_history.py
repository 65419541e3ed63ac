"""Lint's static rules read a recording-driven old model (``models.blue.history``) at the
recording's mean rates (guardsim.lint.derived.steady_fleet), not at its unused
``error_rate_5xx``.

The shipped recording's 5XX rate averages about 1.4 %. The seed canary's error alarm (on the
endpoint-wide series, Average) set to 2 % is then at about 70 % of the old fleet's own level:
rule blue-errors-trip-blended warns, with the recording's mean as its evidence. The same alarm at
10 % (the old fleet at 14 % of it, never tripped by it in the healthy runs) is left alone; at 5 %
the recording's drift still trips it in some healthy runs, so that is warned too. The
recording-free model of the same scenario (error_rate_5xx 0) gets no finding at 2 %.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from lint_helpers import Data, alarm, edited, findings

from guardsim.model.history import recording_of, steady_model
from guardsim.scenarios.models import History

RECORDING = Path(__file__).parents[2] / "docs" / "examples" / "history" / "recorded-history.csv"
RULE = "blue-errors-trip-blended"


def _recorded(raw: Data) -> None:
    raw["models"]["blue"]["history"] = {"file": str(RECORDING)}
    raw["models"]["green"]["history_transform"] = {}
    raw["models"]["blue"]["error_rate_5xx"] = raw["models"]["green"]["error_rate_5xx"] = 0.0


def _threshold(t: float):  # type: ignore[no-untyped-def]
    def edit(raw: Data) -> None:
        a = alarm(raw, 0)
        a["Threshold"], a["ComparisonOperator"] = t, "GreaterThanThreshold"

    return edit


MEAN = float(np.mean(recording_of(History(str(RECORDING))).p5))


def test_the_steady_model_is_the_recordings_mean() -> None:
    assert 0.01 < MEAN < 0.02
    scenario = edited("seed-canary-success", _recorded)
    models = {"blue": scenario.models.blue, "green": scenario.models.green}
    blue, green = steady_model(models, "blue"), steady_model(models, "green")
    assert blue.error_rate_5xx == pytest.approx(MEAN) and blue.history is None
    assert green.error_rate_5xx == pytest.approx(MEAN) and green.history_transform is None


def test_a_threshold_near_the_recorded_level_is_flagged_with_it() -> None:
    (f,) = findings(edited("seed-canary-success", _recorded, _threshold(0.02)), RULE)
    assert f.severity == "warning"
    assert f.evidence["config"]["blue_error_fraction"] == pytest.approx(MEAN, rel=5e-3)  # rounded


def test_far_thresholds_and_recording_free_models_are_left_alone() -> None:
    assert findings(edited("seed-canary-success", _recorded, _threshold(0.1)), RULE) == []
    assert findings(edited("seed-canary-success", _threshold(0.02)), RULE) == []


def test_instance_metric_load_reads_the_recorded_latency() -> None:
    """The CPU rule's Little's-law load uses the recording's mean median (about 4 ms, against
    the seed model's 30 ms) with the model's spread (p99 / median 2); it used to stop with
    UnsupportedError on a recording-driven model."""
    from lint_helpers import good
    from test_lint_rules import cpu_alarm

    (f,) = findings(
        edited("seed-canary-success", _recorded, good, cpu_alarm(5.0)), "instance-metric-load"
    )
    median = float(np.mean(recording_of(History(str(RECORDING))).latency_ms))
    sigma = math.log(2.0) / 2.3263478740408408
    got = f.evidence["config"]["steps"][0]["mean_model_latency_ms"]
    assert got == pytest.approx(median * math.exp(sigma**2 / 2), rel=1e-3)
