"""Run reports in a real headless Chromium: every panel and trace drawn, no JavaScript errors.

Each report is written as the CLI writes it (one standalone HTML file), opened from disk with
the network cut off (any request that is not the file itself is aborted and counted), and read
back from the DOM and from Plotly's own state once Plotly says it has finished drawing (the
writer marks each figure ``data-guardsim-rendered`` when ``Plotly.newPlot`` resolves).

Chromium is the system one (Debian package ``chromium``), driven by Playwright; see conftest.py
for the launch flags and the no-skip-under-CI rule.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from report_browser import EVENT_LABEL_OVERLAPS, open_report, resize, wait_rendered
from report_expectations import expected_uids

from guardsim.record import RunRecord
from guardsim.reports import run_figure, write_png, write_run_report
from guardsim.reports.html import PLOTLY_JS_FILE
from guardsim.reports.run import event_labels
from guardsim.reports.series import time_span
from guardsim.reports.text import summary_headline
from guardsim.scenarios import library

CANARY_RECORD = Path(__file__).parent / "data" / "seed-canary-rollback.json"

#: Everything the test reads back from the page, in one round trip.
READ_PAGE = """() => {
  const gd = document.querySelector('.js-plotly-plot');
  const traces = gd._fullData.map(t => ({
    uid: t.uid, name: t.name, type: t.type, visible: t.visible, meta: t.meta,
    showlegend: t.showlegend, legend: t.legend || 'legend',
    subplot: (t.xaxis || 'x') + (t.yaxis || 'y'),
    n: (t.x || []).filter(v => v !== null).length,
  }));
  const drawn = {};
  for (const g of gd.querySelectorAll('g.trace')) {
    const cd = g.__data__;
    const uid = cd && cd[0] && cd[0].trace && cd[0].trace.uid;
    if (!uid) continue;
    const lines = [...g.querySelectorAll('path.js-line')]
      .filter(p => (p.getAttribute('d') || '').length > 2).length;
    // scatter markers are path.point; a bar is g.point holding its path
    const points = [...g.querySelectorAll('.point')]
      .filter(p => p.tagName === 'path' ? p.getAttribute('d') : p.querySelector('path[d]'))
      .length;
    drawn[uid] = {lines, points};
  }
  const legends = {};
  for (const g of gd.querySelectorAll('.infolayer > g[class^=legend]')) {
    legends[g.getAttribute('class')] = [...g.querySelectorAll('text[class$=text]')]
      .map(e => e.textContent);
  }
  const traffic = gd.data.find(t => t.uid === 'traffic-green');
  const bands = gd.data.filter(t => t.meta && t.meta.kind === 'alarm-state')
    .map(t => ({alarm: t.meta.alarm, state: t.meta.state, x: t.x, width: t.width}));
  return {
    traces, drawn, legends, bands,
    traffic: {x: traffic.x, y: traffic.y},
    subplots: [...gd.querySelectorAll('g.subplot')].map(g => g.classList[1]),
    annotations: [...gd.querySelectorAll('.annotation-text')].map(e => e.textContent),
    panels: gd.layout.meta.panels,
    header: {
      outcome: document.querySelector('#guardsim-header .outcome').textContent,
      facts: document.querySelector('#guardsim-header .facts').textContent,
    },
    figures: document.querySelectorAll('.js-plotly-plot').length,
  };
}"""


#: A page position inside an alarm's ALARM band, as far as possible from every point drawn in
#: that panel (Plotly's hover prefers a point within 20 px to the band under the mouse).
ALARM_BAND_POSITION = """(alarm) => {
  const gd = document.querySelector('.js-plotly-plot');
  const L = gd._fullLayout;
  const axis = (id) => L[id.replace(/^([xy])/, '$1axis')];
  const t = gd._fullData.find(t => t.meta && t.meta.alarm === alarm && t.meta.state === 'ALARM');
  const xa = axis(t.xaxis), band = axis(t.yaxis);
  const points = [];
  for (const s of gd._fullData) {
    if (s.type !== 'scatter' || s.xaxis !== t.xaxis) continue;
    const ya = axis(s.yaxis);
    s.x.forEach((x, i) => {
      if (x !== null && s.y[i] !== null) points.push([xa.l2p(x), ya.l2p(s.y[i])]);
    });
  }
  let best = null;
  const x0 = t.x[0] - t.width[0] / 2;
  for (let i = 1; i < 20; i++) {
    for (let j = 1; j < 10; j++) {
      const px = xa.l2p(x0 + t.width[0] * i / 20), py = band.l2p(j / 10);
      const d = Math.min(...points.map(([qx, qy]) => Math.hypot(px - qx, py - qy)), 1e9);
      if (!best || d > best.d) best = {px, py, d};
    }
  }
  const box = gd.getBoundingClientRect();
  return {x: box.left + xa._offset + best.px, y: box.top + band._offset + best.py};
}"""


def hover_alarm_band(page: Any, alarm: str) -> str:
    """Move the mouse over the alarm's ALARM band; return the hover label Plotly shows."""
    page.mouse.move(0, 0)
    position = page.evaluate(ALARM_BAND_POSITION, alarm)
    page.evaluate("(y) => window.scrollBy(0, y - window.innerHeight / 2)", position["y"])
    position = page.evaluate(ALARM_BAND_POSITION, alarm)  # where it is now, in the viewport
    page.mouse.move(position["x"], position["y"])
    label = page.wait_for_selector(".hoverlayer .hovertext", timeout=10_000)
    return str(label.text_content()) if label is not None else ""


@dataclass
class Opened:
    """A report as the browser showed it."""

    record: RunRecord
    shown: dict[str, Any] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)  # console errors and uncaught exceptions
    requests: list[str] = field(default_factory=list)  # anything but the file itself
    hover: str | None = None  # the hover label over the tripped alarm's ALARM band
    failure: str | None = None


def record_for(source: str) -> RunRecord:
    if source == SAVED:
        return RunRecord.load(CANARY_RECORD)  # no simulator involved
    from guardsim.scenarios.loading import load_scenario
    from guardsim.simulator import simulate

    return simulate(load_scenario(source))


SAVED = "saved seed-canary-rollback record"
#: The saved record, and built-ins that between them cover every kind of panel: a metric-math
#: alarm (all-at-once), a rolling update with a p99 alarm and a rolling rollback, and a success
#: (no rollback markers). Each tab costs seconds of CPU (plotly.js is 4.8 MB of JavaScript), so
#: the other built-ins are checked without a browser, in test_run_figure.py.
BROWSER_SCENARIOS = ("all-at-once-final-bake", "rolling-batch-rollback", "seed-canary-success")
SOURCES = [SAVED, *BROWSER_SCENARIOS]


@pytest.fixture(scope="module")
def opened(browser: Any, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Opened]:
    """Every report written, then opened in its own tab, all loading at once (it is faster)."""
    folder = tmp_path_factory.mktemp("reports")
    tabs: list[tuple[Opened, Any]] = []
    results: dict[str, Opened] = {}
    paths: dict[str, Path] = {}
    for k, source in enumerate(SOURCES):
        results[source] = Opened(record_for(source))
        paths[source] = folder / f"report-{k}.html"
        write_run_report(results[source].record, html_path=paths[source])
    for source, item in results.items():
        path = paths[source]
        page = open_report(browser, path, item.errors, item.requests)
        tabs.append((item, page))
    for item, page in tabs:
        try:
            wait_rendered(page)
            item.shown = page.evaluate(READ_PAGE)
        except Exception as exc:  # reported by the test of this report, not here
            item.failure = f"{type(exc).__name__}: {exc}"
        try:
            if item.failure is None and item.record.summary.tripped_alarms:
                item.hover = hover_alarm_band(page, item.record.summary.tripped_alarms[0])
        except Exception as exc:
            item.hover = f"no hover label: {type(exc).__name__}: {exc}"
        finally:
            page.close()
    return results


@pytest.mark.parametrize("source", SOURCES)
def test_run_report_draws_every_panel_and_trace(source: str, opened: dict[str, Opened]) -> None:
    item = opened[source]
    assert item.failure is None, item.failure
    record, shown = item.record, item.shown

    assert item.errors == [], "the page logged JavaScript errors"
    assert item.requests == [], "the report reached for the network"
    assert shown["figures"] == 1

    # every panel: its subplot title and its axes are drawn
    n_alarms = len(record.scenario_definition["alarms"])
    assert shown["panels"][:4] == ["traffic", "invocations", "errors", "latency"]
    assert len(shown["panels"]) == 4 + n_alarms
    for title in ("Traffic to the new (green) fleet", "Invocations per minute", "4XX and 5XX"):
        assert any(a.startswith(title) for a in shown["annotations"]), title
    assert any(a.startswith("ModelLatency per minute") for a in shown["annotations"])
    for alarm in record.scenario_definition["alarms"]:
        assert any(a.startswith(f"Alarm {alarm['AlarmName']}:") for a in shown["annotations"])
    traces = {t["uid"]: t for t in shown["traces"]}
    for t in traces.values():
        assert t["subplot"] in shown["subplots"], f"{t['uid']} has no drawn subplot"

    # every expected trace is there, visible, drawn, and named in its panel's legend
    assert set(traces) == expected_uids(record)
    for uid, t in traces.items():
        assert t["visible"] is True, uid
        assert t["name"], uid
        if t["n"] == 0:
            continue
        drawn = shown["drawn"].get(uid)
        assert drawn is not None, f"{uid} ({t['name']}) is not in the DOM"
        assert drawn["lines"] + drawn["points"] > 0, f"{uid} ({t['name']}) draws nothing"
        if t["showlegend"]:
            assert t["name"] in shown["legends"][t["legend"]], f"{uid} is not in its legend"

    # the header, in plain words
    assert shown["header"]["outcome"] == summary_headline(record)
    for word in ("Blast radius:", "Duration:", "Cost: $"):
        assert word in shown["header"]["facts"]


def test_canary_rollback_in_order_in_the_browser(opened: dict[str, Opened]) -> None:
    """The seed's canary rollback: flip, then ALARM, then all traffic back on blue."""
    item = opened[SAVED]
    assert item.failure is None, item.failure
    shown = item.shown

    points = list(zip(shown["traffic"]["x"], shown["traffic"]["y"], strict=True))
    flip = next(x for x, y in points if y > 0)
    back = next(x for x, y in points if x > flip and y == 0)
    tripped = item.record.summary.tripped_alarms[0]
    band = next(b for b in shown["bands"] if b["alarm"] == tripped and b["state"] == "ALARM")
    alarm = min(x - w / 2 for x, w in zip(band["x"], band["width"], strict=True))
    assert flip < alarm < back, (flip, alarm, back)
    assert "alarm1-state-ALARM" not in shown["drawn"], "the 5XX alarm never fired"
    assert shown["drawn"]["alarm2-state-ALARM"]["points"] == 1

    # hovering the ALARM band shows CloudWatch's reason for the change
    reason = next(h["reason"] for h in item.record.alarm_history if h["to"] == "ALARM")
    assert item.hover is not None and item.hover.startswith("ALARM from +10:00 to +13:00")
    assert reason.split(" [")[0] in item.hover  # "1 of 1 datapoint"


def test_png_export(chromium_path: str, tmp_path: Path) -> None:
    figure = run_figure(RunRecord.load(CANARY_RECORD))
    path = tmp_path / "canary.png"
    write_png(figure, path, browser=chromium_path)
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    assert (width, height) == (1400, figure.layout.height)


# ------------------------------------------------------------ many reports, one plotly.min.js

#: At least ten run reports: every built-in, then built-ins with seed 2 until there are ten.
TEN_REPORTS = [(name, None) for name in library.names()]
TEN_REPORTS += [(name, 2) for name in library.names()][: max(0, 10 - len(TEN_REPORTS))]
#: Widths of the window the labels are checked at: a laptop and a narrow window.
WIDTHS = (1400, 900)


@dataclass
class Shown:
    """One report of the folder, as the browser showed it at each width."""

    record: RunRecord
    labels: dict[int, dict[str, Any]] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)
    failure: str | None = None


@pytest.fixture(scope="module")
def folder_of_reports(browser: Any, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Ten run reports written with plotly_js="directory" into one folder, each opened offline
    (only the report and the folder's plotly.min.js may load) and read at every width."""
    from guardsim.scenarios.loading import load_scenario
    from guardsim.simulator import simulate

    assert len(TEN_REPORTS) >= 10
    folder = tmp_path_factory.mktemp("ten-reports")
    shown: dict[str, Shown] = {}
    for name, seed in TEN_REPORTS:
        key = f"{name}-seed{seed or 'default'}"
        record = simulate(load_scenario(name), seed=seed)
        write_run_report(record, html_path=folder / f"{key}.html", plotly_js="directory")
        shown[key] = Shown(record)
    plotly_js = folder / PLOTLY_JS_FILE
    for key, item in shown.items():
        page = open_report(
            browser, folder / f"{key}.html", item.errors, item.requests, also=[plotly_js]
        )
        try:
            wait_rendered(page)
            for width in WIDTHS:
                resize(page, width)
                item.labels[width] = page.evaluate(EVENT_LABEL_OVERLAPS)[0]
        except Exception as exc:  # reported by the test, not here
            item.failure = f"{type(exc).__name__}: {exc}"
        finally:
            page.close()
    files = sorted(p.name for p in folder.iterdir())
    pages = sorted((p.stat().st_size for p in folder.glob("*.html")), reverse=True)
    size = plotly_js.stat().st_size + sum(pages[:10])  # the ten largest reports, and the library
    return {"shown": shown, "files": files, "bytes": size}


def test_ten_reports_share_one_plotly_js_and_open_offline(
    folder_of_reports: dict[str, Any],
) -> None:
    files = folder_of_reports["files"]
    assert files.count(PLOTLY_JS_FILE) == 1, files
    assert len(files) == len(TEN_REPORTS) + 1, files  # nothing else written there
    assert folder_of_reports["bytes"] < 6_000_000, folder_of_reports["bytes"]
    for key, item in folder_of_reports["shown"].items():
        assert item.failure is None, f"{key}: {item.failure}"
        assert item.errors == [], f"{key}: the page logged JavaScript errors"
        assert item.requests == [], f"{key}: the report reached for the network"


@pytest.mark.parametrize("width", WIDTHS)
def test_event_labels_never_overlap(folder_of_reports: dict[str, Any], width: int) -> None:
    """Every built-in's run report (and four more rollbacks): its event labels, read back from
    the rendered page, one per moment and no two boxes intersecting."""
    for key, item in folder_of_reports["shown"].items():
        assert item.failure is None, f"{key}: {item.failure}"
        start, end = time_span(item.record)
        expected = [label.text for label in event_labels(item.record, start, end)]
        got = item.labels[width]
        assert got["labels"] == expected, key
        assert got["overlaps"] == [], f"{key} at {width} px: labels overlap"
