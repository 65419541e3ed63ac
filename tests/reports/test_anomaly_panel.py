"""A run report draws an anomaly-detection alarm's band: a dashed line at each bound, the bounds
the run's engines used (guardsim.model.anomaly.anomaly_bands)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent.parent / "simulator"))
sys.path.insert(0, str(Path(__file__).parent.parent / "cloudwatch"))
from test_anomaly_alarms import band_alarm
from test_fast_vs_exact import _scenario

from guardsim.model.anomaly import anomaly_bands
from guardsim.reports.run import run_figure
from guardsim.simulator import simulate


@pytest.mark.slow
def test_the_band_is_drawn_at_both_bounds() -> None:
    scenario = _scenario({"traffic.rate_per_second": 5}, band_alarm())
    record = simulate(scenario, seed=1, mode="fast", detail=True)
    figure = run_figure(record)
    lines = [t for t in figure.data if (t.meta or {}).get("kind") == "alarm-threshold"]
    (band,) = anomaly_bands(scenario).values()
    assert sorted(t.y[0] for t in lines) == sorted(band)
    assert "outside the band" in lines[0].hovertemplate
