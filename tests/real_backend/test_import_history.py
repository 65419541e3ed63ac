"""``guardsim real import --history``: the recorded metrics of an endpoint, end to end through
the emulator, and the GetMetricData slicing and paging."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest
from history_helpers import record

from guardsim.model.history import COLUMNS, STATISTICS, read_history
from guardsim.real_backend.importer import (
    MAX_DATAPOINTS,
    fetch_history,
    history_period,
    import_endpoint,
)
from guardsim.scenarios import read_scenario
from guardsim.simulator import simulate

SHIPPED = Path(__file__).parents[2] / "docs" / "examples" / "history" / "recorded-history.csv"


def _rows_by_view(text: str) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for line in text.splitlines()[1:]:
        out.setdefault(line.split(",")[1], []).append(line)
    return out


def test_an_hour_recorded_through_the_emulator_is_the_start_of_the_shipped_recording(
    tmp_path: Path,
) -> None:
    code, output, scenario_path = record(tmp_path, hours=1.0)
    assert code == 0, output
    history = tmp_path / "recorded-history.csv"
    assert f"metric history written to {history}" in output
    loaded = read_scenario(scenario_path)
    assert loaded.scenario is not None, loaded.errors
    blue, green = loaded.scenario.models.blue, loaded.scenario.models.green
    assert blue.history is not None and Path(blue.history.file) == history.resolve()
    assert green.history_transform is not None  # the identity: the new model follows it
    assert simulate(loaded.scenario).outcome == "SUCCEEDED"  # no rollback alarm imported
    # the shipped copy was made the same way over six hours: the same world and seeds give the
    # same first hour (the last minutes of the short run are cut off by its import)
    made, shipped = _rows_by_view(history.read_text()), _rows_by_view(SHIPPED.read_text())
    assert set(made) == set(shipped) == {"blended", "blue"}
    for view, rows in made.items():
        assert len(rows) >= 55
        assert rows[:-2] == shipped[view][: len(rows) - 2], view


def test_the_shipped_recording_drifts() -> None:
    """The drift the world file writes shows in the recorded per-minute 5XX rate."""
    rate = read_history(SHIPPED)["blue"].p5
    assert len(rate) == 359
    lag = {k: float(np.corrcoef(rate[:-k], rate[k:])[0, 1]) for k in (1, 10, 60)}
    # per-minute binomial noise alone (about 240 requests a minute) would give lag-1 near 0
    assert lag[1] > 0.5 and lag[10] > 0.3 and lag[60] < lag[10], lag


class _CloudWatch:
    """GetMetricData over a constant series, answered a page at a time (NextToken), which
    checks AWS's limits: at most 500 queries and 100,800 datapoints per call."""

    page = 1000

    def __init__(self) -> None:
        # what guardsim's call() reads of a botocore client
        self.meta = SimpleNamespace(method_to_api_mapping={"get_metric_data": "GetMetricData"})
        self.calls: list[tuple[int, int]] = []

    def get_metric_data(self, **params: Any) -> dict[str, Any]:
        queries = params["MetricDataQueries"]
        assert len(queries) <= 500
        start = params["StartTime"].timestamp()
        end = params["EndTime"].timestamp()
        period = queries[0]["MetricStat"]["Period"]
        stamps = np.arange(start, end, period)
        assert len(queries) * len(stamps) <= MAX_DATAPOINTS
        skip = int(params.get("NextToken") or 0)
        shown = stamps[skip : skip + self.page]
        self.calls.append((len(queries), len(shown)))
        results = [
            {
                "Id": q["Id"],
                "Timestamps": [datetime.fromtimestamp(float(t)).astimezone() for t in shown],
                "Values": [10.0 if q["MetricStat"]["Stat"] == "Sum" else 0.5] * len(shown),
            }
            for q in queries
        ]
        out: dict[str, Any] = {"MetricDataResults": results}
        if skip + self.page < len(stamps):
            out["NextToken"] = str(skip + self.page)
        return out


def test_a_long_window_is_read_in_slices_and_pages() -> None:
    cw = _CloudWatch()
    views = {
        "blended": (("EndpointName", "e"), ("VariantName", "v")),
        "blue": (("EndpointName", "e"), ("VariantName", "v"), ("EndpointConfigName", "c")),
    }
    days = 3.0
    period = history_period(days)
    assert period == 60 and history_period(15.5) == 300
    end = 1767225600.0
    text = fetch_history(cw, views, end - days * 86400, end, period)
    assert text is not None
    rows = _rows_by_view(text)
    assert {v: len(r) for v, r in rows.items()} == {"blended": 4320, "blue": 4320}
    assert text.splitlines()[0] == ",".join(COLUMNS)
    assert len(cw.calls) > 4 and all(n == 2 * len(STATISTICS) for n, _ in cw.calls)


def test_a_history_longer_than_cloudwatch_keeps_is_refused() -> None:
    with pytest.raises(Exception, match="--history must be more than 0 and at most 63"):
        import_endpoint("e", clients=None, clock=None, history_days=64)  # type: ignore[arg-type]
