"""The run report's figure is a pure function of a run record (saved or fresh)."""

from __future__ import annotations

import dataclasses
import itertools
import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from report_expectations import expected_uids

from guardsim.errors import ReportError
from guardsim.record import RunRecord, Summary
from guardsim.reports import render_html, run_figure, run_report_sections, write_html
from guardsim.reports.run import PANELS, run_events, run_headline
from guardsim.reports.series import DatapointTable, Series, alarm_series, alarm_state_intervals
from guardsim.reports.text import summary_headline
from guardsim.scenarios import library

FIXED_PANELS = [pid for pid, _ in PANELS]
CANARY_RECORD = Path(__file__).parent / "data" / "seed-canary-rollback.json"


def by_uid(fig: Any) -> dict[str, Any]:
    return {t.uid: t for t in fig.data}


def order_of_events(fig: Any, record: RunRecord) -> tuple[float, float, float]:
    """From the figure's data alone: canary flip, tripped alarm's ALARM, traffic back on blue."""
    traces = by_uid(fig)
    traffic = traces["traffic-green"]
    points = list(zip(traffic.x, traffic.y, strict=True))
    flip = next(x for x, y in points if y > 0)
    back = next(x for x, y in points if x > flip and y == 0)
    tripped = record.summary.tripped_alarms[0]
    alarm = next(
        t for t in fig.data if t.meta.get("alarm") == tripped and t.meta.get("state") == "ALARM"
    )
    alarm_start = min(x - w / 2 for x, w in zip(alarm.x, alarm.width, strict=True))
    return flip, alarm_start, back


def test_figure_from_a_saved_record(tmp_path: Path) -> None:
    from guardsim.scenarios.loading import load_scenario
    from guardsim.simulator import simulate

    path = tmp_path / "run.json"
    path.write_text(simulate(load_scenario("all-at-once-final-bake")).to_json())
    record = RunRecord.load(path)
    fig = run_figure(record)

    n_alarms = len(record.scenario_definition["alarms"])
    assert fig.layout.meta["panels"] == FIXED_PANELS + [f"alarm{i + 1}" for i in range(n_alarms)]
    assert set(by_uid(fig)) == expected_uids(record)
    assert len(fig.data) == len(by_uid(fig)), "every trace has its own uid"
    assert all(t.name and t.meta.get("panel") for t in fig.data)
    # one subplot title per panel
    titles = [a.text for a in fig.layout.annotations]
    assert sum(t.startswith("Alarm ") for t in titles) == n_alarms
    # the header in plain words
    title = fig.layout.title.text
    assert summary_headline(record) in title.replace("<br>", " ")
    for word in ("Blast radius:", "Duration:", "Cost: $"):
        assert word in title
    # the metric-math alarm's datapoints are its expression: 100 * errors / invocations
    datapoints = by_uid(fig)["alarm1-datapoints"]
    assert "5XX error rate (%)" in datapoints.name
    assert max(y for y in datapoints.y if y is not None) > 2.0


@pytest.mark.parametrize("scenario", library.names())
def test_every_builtin_scenario_has_its_full_report(scenario: str) -> None:
    from guardsim.scenarios.loading import load_scenario
    from guardsim.simulator import simulate

    record = simulate(load_scenario(scenario))
    fig = run_figure(record)
    assert set(by_uid(fig)) == expected_uids(record)
    for trace in fig.data:
        if trace.meta["kind"] in ("alarm-datapoints", "traffic", "Invocations"):
            assert any(y is not None for y in trace.y), trace.uid
    if record.outcome == "ROLLED_BACK":
        flip, alarm, back = order_of_events(fig, record)
        assert flip < alarm < back


def test_committed_record_builds_with_no_simulator_at_all() -> None:
    """In a fresh interpreter whose ``guardsim.simulator`` is a stub that refuses every use."""
    code = f"""
import json, sys, time, types

def refuse(*args, **kwargs):
    raise AssertionError("a report reached into the simulator")

stub = types.ModuleType("guardsim.simulator")
stub.__path__ = []  # a package with no submodules: importing one fails
stub.__getattr__ = lambda name: refuse
sys.modules["guardsim.simulator"] = stub

from guardsim.record import RunRecord
from guardsim.reports import run_figure, render_html
record = RunRecord.load({str(CANARY_RECORD)!r})
t0 = time.perf_counter()
fig = run_figure(record)
elapsed = time.perf_counter() - t0
render_html([fig], title="t")
loaded = sorted(m for m in sys.modules if m.startswith("guardsim.simulator."))
print(json.dumps({{"uids": [t.uid for t in fig.data], "loaded": loaded, "seconds": elapsed}}))
"""
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["loaded"] == []
    record = RunRecord.load(CANARY_RECORD)
    assert set(result["uids"]) == expected_uids(record)


def test_canary_rollback_shows_flip_then_alarm_then_return_to_blue(
    canary_record: RunRecord,
) -> None:
    fig = run_figure(canary_record)
    flip, alarm, back = order_of_events(fig, canary_record)
    assert flip < alarm < back
    events = by_uid(fig)["events"].meta["events"]
    assert events == ["UpdateEndpoint", "detected", "rollback started", "rollback ended", "done"]


def test_header_words(canary_record: RunRecord) -> None:
    head = run_headline(canary_record)
    assert head.outcome.startswith("ROLLED_BACK: TEST-DEMO-Deployment-Guardrails-Canary-Model")
    assert head.facts == (
        "Blast radius: 37 requests served by the new fleet, 37 errors. Duration: 11:18. "
        "Cost: $0.26 (both fleets bill for the whole update)."
    )


def test_markers_come_from_the_summary(canary_record: RunRecord) -> None:
    s = canary_record.summary
    times = {short: t for t, short, _ in run_events(canary_record)}
    assert times["detected"] == s.detected_at_seconds
    assert times["rollback started"] == s.rollback_started_seconds
    assert times["rollback ended"] == s.rollback_completed_seconds
    assert times["done"] == s.deployment_seconds
    fig = run_figure(canary_record)
    lines = sorted({shape.x0 for shape in fig.layout.shapes if shape.type == "line"})
    assert lines == sorted({t / 60 for t in times.values()})


@pytest.mark.parametrize("scenario", ["all-at-once-final-bake", "rolling-batch-rollback"])
def test_alarm_datapoints_are_the_values_the_alarm_quoted(scenario: str) -> None:
    """Every datapoint an alarm's state-change reason quotes is in the rebuilt series."""
    from guardsim.scenarios.loading import load_scenario
    from guardsim.simulator import simulate

    record = simulate(load_scenario(scenario))
    _check_quoted_values(record)


def test_alarm_datapoints_of_the_committed_record(canary_record: RunRecord) -> None:
    _check_quoted_values(canary_record)


def _check_quoted_values(record: RunRecord) -> None:
    table = DatapointTable(record)
    checked = 0
    for alarm in record.scenario_definition["alarms"]:
        values = {repr(v) for v in alarm_series(record, alarm, table).series.value}
        for change in record.alarm_history:
            quoted = re.search(r"\[(.*?)\]", change["reason"])
            if change["alarm"] != alarm["AlarmName"] or not quoted:
                continue
            numbers = re.findall(r"-?\d+\.\d+(?:e[-+]?\d+)?", quoted.group(1))
            assert set(numbers) <= values, change
            checked += len(numbers)
    assert checked > 0


def test_alarm_states_are_back_to_back(canary_record: RunRecord) -> None:
    name = "TEST-DEMO-Deployment-Guardrails-Canary-Model-Latency"
    intervals = alarm_state_intervals(canary_record, name, -900.0, 1000.0)
    assert [iv.label for iv in intervals] == ["INSUFFICIENT_DATA", "OK", "ALARM", "OK"]
    assert all(a.end == b.start for a, b in itertools.pairwise(intervals))
    assert intervals[2].reason.startswith("1 of 1 datapoint [")


def test_missing_minutes_break_the_line(canary_record: RunRecord) -> None:
    fig = run_figure(canary_record)
    green = by_uid(fig)["invocations-green"]
    assert None not in green.x  # three consecutive minutes: no gap
    blue = by_uid(fig)["invocations-blue"]
    assert len(blue.x) == len(DatapointTable(canary_record).series("Invocations", "blue", "Sum"))


def test_gap_in_a_series() -> None:
    from guardsim.reports.run import _Builder

    record = RunRecord.load(CANARY_RECORD)
    builder = _Builder(record)
    series = Series((0.0, 60.0, 240.0), (1.0, 2.0, 3.0), (90.0, 150.0, 330.0), (1.0, 1.0, 1.0))
    builder.datapoints(series, row=2, uid="x", name="x", meta={}, colour="#000")
    assert list(builder.fig.data[-1].x) == [0.0, 1.0, None, 4.0]


def test_html_is_standalone_and_deterministic(canary_record: RunRecord) -> None:
    fig = run_figure(canary_record)
    page = render_html([fig], title="t")
    assert page == render_html([run_figure(canary_record)], title="t")
    assert re.search(r"<script[^>]*\bsrc=", page) is None, "plotly.js must be inline"
    assert page.count("guardsim-figure-1") >= 2
    assert len(page) > 1_000_000  # plotly.js itself is in the page


def test_write_html_reports_a_missing_folder(tmp_path: Path, canary_record: RunRecord) -> None:
    with pytest.raises(ReportError, match="does not exist"):
        write_html([run_figure(canary_record)], tmp_path / "no" / "r.html")
    with pytest.raises(ReportError, match="is a directory"):
        write_html([run_figure(canary_record)], tmp_path)


def test_a_record_with_nothing_in_it_still_draws() -> None:
    """A deployment that never got going: no transitions, traffic, datapoints or alarms."""
    empty = RunRecord(
        scenario="empty",
        seed=0,
        mode="real",
        guardsim_version="0",
        outcome="FAILED",
        summary=Summary(120.0, None, None, None, (), 0, 0, 0, 0.0, 0.0, 0.0),
        notes=("UpdateEndpoint was refused",),
    )
    fig = run_figure(empty)
    assert fig.layout.meta["panels"] == FIXED_PANELS
    assert "FAILED after 2:00 (UpdateEndpoint was refused)" in fig.layout.title.text
    assert "UpdateEndpoint was refused" in render_html(run_report_sections(empty), title="t")


def test_an_alarm_on_a_metric_sagemaker_does_not_publish(canary_record: RunRecord) -> None:
    definition = dict(canary_record.scenario_definition)
    other = dict(definition["alarms"][0], MetricName="CPUUtilization", AlarmName="cpu")
    definition["alarms"] = [other]
    record = dataclasses.replace(canary_record, scenario_definition=definition, alarm_history=())
    fig = run_figure(record)
    assert list(by_uid(fig)["alarm1-datapoints"].x) == []
    notes = [a.text for a in fig.layout.annotations if "sees no data" in a.text]
    assert notes and "CPUUtilization" in notes[0]
