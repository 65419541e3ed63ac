"""Monte Carlo and sweep reports in a real headless Chromium: every panel and trace drawn, no
JavaScript errors, nothing fetched from the network.

The same approach as test_run_report_browser.py: each report is written as the CLI writes it,
opened from disk with every other request aborted and counted, and read back from the DOM and
Plotly's state once every figure is marked ``data-guardsim-rendered``. The Chromium and
Playwright fixtures, and the rule that these tests fail (not skip) under CI, are in conftest.py.

Small on purpose (a few seconds of simulation): 30 replications of a healthy canary whose
latency alarm sits close to the healthy latency (so some rollbacks are false ones), and a 2x2
guardrail grid x {bad, healthy} model with 20 replications each, fast mode.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from report_browser import (
    EVENT_LABEL_OVERLAPS,
    TITLE_OVERLAPS,
    open_report,
    resize,
    wait_rendered,
)

from guardsim.montecarlo.examples import write_report
from guardsim.montecarlo.monte_carlo import MonteCarloResult, monte_carlo
from guardsim.montecarlo.recommend import Recommendation, recommend
from guardsim.montecarlo.sweep import sweep
from guardsim.reports.montecarlo import (
    HISTOGRAMS,
    MC_PANELS,
    ExampleRuns,
    is_healthy,
    representative_runs,
)
from guardsim.reports.sweep import write_sweep_report
from guardsim.scenarios.loading import check_scenario_dict, load_scenario
from guardsim.scenarios.scenario import Scenario

WAIT = "deployment_config.BlueGreenUpdatePolicy.TrafficRoutingConfiguration.WaitIntervalInSeconds"
THRESHOLD = "alarms[1].Threshold"
FAULT = "models.green.error_rate_5xx"

#: Every figure of the page: its meta, its traces, and what of each trace the DOM holds.
READ_PAGE = """() => [...document.querySelectorAll('.js-plotly-plot')].map(gd => {
  const traces = gd._fullData.map(t => ({
    uid: t.uid, name: t.name, type: t.type, visible: t.visible, meta: t.meta,
    subplot: (t.xaxis || 'x') + (t.yaxis || 'y'),
    x: t.type === 'histogram' || t.type === 'scatter' ? [...(t.x || [])] : null,
  }));
  const drawn = {};
  for (const g of gd.querySelectorAll('g.trace, g.hm')) {
    const cd = g.__data__;
    const uid = cd && cd[0] && cd[0].trace && cd[0].trace.uid;
    if (!uid) continue;
    const paths = [...g.querySelectorAll('path')]
      .filter(p => (p.getAttribute('d') || '').length > 2).length;
    const images = [...g.querySelectorAll('image')].filter(i => i.getAttribute('href')).length;
    drawn[uid] = {paths, images, errorbars: g.querySelectorAll('g.errorbar path').length};
  }
  return {
    meta: gd.layout.meta, traces, drawn,
    subplots: [...gd.querySelectorAll('g.subplot')].map(g => g.classList[1]),
    annotations: [...gd.querySelectorAll('.annotation-text')].map(e => e.textContent),
    colorbars: gd.querySelectorAll('g.colorbar').length,
  };
})"""


#: The page's layout at its current width: the recommendation block's box (if any), whether
#: the page scrolls sideways, and every colour bar's tick labels.
READ_LAYOUT = """() => {
  const block = document.querySelector('#guardsim-recommendation');
  const box = block && block.getBoundingClientRect();
  const root = document.documentElement;
  return {
    width: window.innerWidth,
    recommendation: box && {left: box.left, right: box.right,
                            scrollWidth: block.scrollWidth, clientWidth: block.clientWidth},
    sideways: root.scrollWidth > root.clientWidth,
    colorbars: [...document.querySelectorAll('g.colorbar')].map(g =>
      [...g.querySelectorAll('text')]
        .filter(t => (t.parentNode.getAttribute('class') || '').endsWith('tick'))
        .map(t => t.textContent)),
  };
}"""
#: Widths of the window the layout is checked at: a laptop and a narrow window.
WIDTHS = (1400, 900)


@dataclass
class Opened:
    """A report as the browser showed it."""

    figures: list[dict[str, Any]] = field(default_factory=list)
    headings: list[dict[str, str]] = field(default_factory=list)
    layout: dict[int, dict[str, Any]] = field(default_factory=dict)  # per window width
    labels: dict[int, list[dict[str, Any]]] = field(default_factory=dict)  # per window width
    titles: dict[int, list[dict[str, Any]]] = field(default_factory=dict)  # per window width
    errors: list[str] = field(default_factory=list)  # console errors and uncaught exceptions
    requests: list[str] = field(default_factory=list)  # anything but the file itself
    failure: str | None = None


def noisy_healthy_canary() -> Scenario:
    """The healthy canary with its latency alarm just above the healthy latency: false rollbacks."""
    data = load_scenario("seed-canary-success").to_dict()
    data["alarms"][1]["Threshold"] = 4000  # microseconds; the model's median is 3 ms
    scenario = check_scenario_dict(data).scenario
    assert scenario is not None
    return scenario


@dataclass(frozen=True)
class Reports:
    mc: MonteCarloResult
    examples: ExampleRuns
    table: pd.DataFrame
    recommendation: Recommendation
    quiet: Recommendation  # of the sweep with the high latency threshold only
    pages: dict[str, Opened]
    batch: MonteCarloResult
    batch_examples: ExampleRuns


def open_pages(browser: Any, paths: dict[str, Path]) -> dict[str, Opened]:
    """Open every page in its own tab (all loading at once), then read each back."""
    tabs: list[tuple[Opened, Any]] = []
    results: dict[str, Opened] = {}
    for key, path in paths.items():
        item = results[key] = Opened()
        page = open_report(browser, path, item.errors, item.requests)
        tabs.append((item, page))
    for item, page in tabs:
        try:
            wait_rendered(page)
            item.figures = page.evaluate(READ_PAGE)
            item.headings = page.evaluate(
                "() => [...document.querySelectorAll('h2.representative')]"
                ".map(h => ({kind: h.dataset.kind, replication: h.dataset.replication}))"
            )
            for width in WIDTHS:
                resize(page, width)
                item.layout[width] = page.evaluate(READ_LAYOUT)
                item.labels[width] = page.evaluate(EVENT_LABEL_OVERLAPS)
                item.titles[width] = page.evaluate(TITLE_OVERLAPS)
        except Exception as exc:  # reported by the test of this page, not here
            item.failure = f"{type(exc).__name__}: {exc}"
        finally:
            page.close()
    return results


@pytest.fixture(scope="module")
def reports(browser: Any, tmp_path_factory: pytest.TempPathFactory) -> Reports:
    folder = tmp_path_factory.mktemp("mc-sweep-reports")
    scenario = noisy_healthy_canary()
    mc = monte_carlo(scenario, 30, seed=1, mode="fast", workers=1)
    result = sweep(
        load_scenario("seed-canary-success"),
        {WAIT: [60, 300], THRESHOLD: [4000, 10000], FAULT: [0, 0.05]},
        20,
        seed=1,
        mode="fast",
        workers=1,
    )
    rec = recommend(result.table, bad={FAULT: 0.05}, healthy={FAULT: 0}, max_false_rollback=0.2)
    # the latency threshold far above the healthy latency: (almost) no false rollbacks, so the
    # false-rollback colour bar spans 0 to 1%, where whole-percent ticks repeat
    quiet_table = result.table[result.table[THRESHOLD] == 10000].drop(columns=THRESHOLD)
    quiet = recommend(quiet_table, bad={FAULT: 0.05}, healthy={FAULT: 0}, max_false_rollback=0.2)
    batch = monte_carlo(load_scenario("seed-canary-rollback"), 60, seed=3, workers=1)
    assert batch.mode == "batch"
    names = ("mc", "sweep", "sweep-plain", "sweep-quiet", "mc-batch")
    paths = {k: folder / f"{k}.html" for k in names}
    examples = write_report(mc, paths["mc"])
    batch_examples = write_report(batch, paths["mc-batch"])
    write_sweep_report(result.table, paths["sweep"], x=WAIT, y=THRESHOLD, recommendation=rec)
    one_model = result.table[result.table[FAULT] == 0.05].drop(columns=FAULT)
    write_sweep_report(one_model, paths["sweep-plain"], x=WAIT, y=THRESHOLD)
    write_sweep_report(quiet_table, paths["sweep-quiet"], x=WAIT, recommendation=quiet)
    pages = open_pages(browser, paths)
    return Reports(mc, examples, result.table, rec, quiet, pages, batch, batch_examples)


def check_drawn(figure: dict[str, Any], expected: set[str]) -> None:
    """Every expected trace (and no other) is visible, on a drawn subplot, and draws something."""
    traces = {t["uid"]: t for t in figure["traces"]}
    assert set(traces) == expected
    for uid, t in traces.items():
        assert t["visible"] is True, uid
        assert t["name"], uid
        assert t["meta"]["panel"] in figure["meta"]["panels"], uid
        assert t["subplot"] in figure["subplots"], f"{uid} has no drawn subplot"
        drawn = figure["drawn"].get(uid)
        assert drawn is not None, f"{uid} ({t['name']}) is not in the DOM"
        if t["type"] == "heatmap":
            assert drawn["images"] == 1, f"{uid}: the heatmap image is not drawn"
        else:
            assert drawn["paths"] > 0, f"{uid} ({t['name']}) draws nothing"


def check_clean(item: Opened) -> None:
    assert item.failure is None, item.failure
    assert item.errors == [], "the page logged JavaScript errors"
    assert item.requests == [], "the report reached for the network"


def test_mc_report_draws_every_panel_and_trace(reports: Reports) -> None:
    item = reports.pages["mc"]
    check_clean(item)
    mc = reports.mc
    first = item.figures[0]
    assert first["meta"]["guardsim"] == "mc-report"
    assert first["meta"]["panels"] == [pid for pid, _ in MC_PANELS]
    for _, title in MC_PANELS:
        assert any(a.startswith(title) for a in first["annotations"]), title
    # a marker on each histogram for each representative run (all detected, so all three)
    examples = reports.examples.examples
    markers = {f"example-{e.pick.kind}-{h.uid}" for e in examples for h in HISTOGRAMS}
    check_drawn(
        first,
        {"detected-hist", "green-errors-hist", "deployment-hist", "outcomes", "alarm-trips"}
        | markers,
    )
    check_markers(first, markers)
    # the Wilson intervals are drawn as error bars: one per outcome, one per alarm
    assert first["drawn"]["outcomes"]["errorbars"] == 3
    assert first["drawn"]["alarm-trips"]["errorbars"] == len(mc.alarm_names)

    # then one run report per representative run, in the order representative_runs gives
    picks = representative_runs(mc, healthy=is_healthy(mc.scenario))
    kinds = [p.kind for p in picks]
    assert kinds == ["fastest-detection", "slowest-detection", "false-rollback"]
    assert item.headings == [{"kind": p.kind, "replication": str(p.replication)} for p in picks]
    runs = item.figures[1:]
    assert [f["meta"]["representative"] for f in runs] == kinds
    for figure in runs:
        assert figure["meta"]["guardsim"] == "run-report"
        assert figure["meta"]["outcome"] == "ROLLED_BACK"  # each one detected, then rolled back
        uids = {t["uid"] for t in figure["traces"]}
        assert {"phases", "traffic-green", "events", "alarm2-state-ALARM"} <= uids
        for uid in ("traffic-green", "events", "alarm2-state-ALARM", "alarm2-datapoints"):
            assert figure["drawn"][uid]["paths"] > 0, uid


def check_markers(figure: dict[str, Any], markers: set[str]) -> None:
    """Every marker, as Plotly holds it, lies within the range of the histogram it marks."""
    traces = {t["uid"]: t for t in figure["traces"]}
    for uid in markers:
        hist = traces[traces[uid]["meta"]["histogram"]]
        (x,) = traces[uid]["x"]
        assert min(hist["x"]) <= x <= max(hist["x"]), f"{uid} at {x} is outside its histogram"


def test_batch_mc_report_draws_fast_mode_runs_within_the_histograms(reports: Reports) -> None:
    """A batch-mode report: each run drawn is a fast-mode replication like a batch row, and its
    markers lie within the batch histograms."""
    item = reports.pages["mc-batch"]
    check_clean(item)
    examples = reports.batch_examples.examples
    assert examples, "the fastest detection of the batch run has a fast-mode run like it"
    first = item.figures[0]
    markers = {
        f"example-{e.pick.kind}-{h.uid}"
        for e in examples
        for h in HISTOGRAMS
        if getattr(e.record.summary, h.column) is not None
    }
    check_drawn(
        first,
        {"detected-hist", "green-errors-hist", "deployment-hist", "outcomes", "alarm-trips"}
        | markers,
    )
    check_markers(first, markers)
    assert item.headings == [
        {"kind": e.pick.kind, "replication": str(e.replication)} for e in examples
    ]
    assert [f["meta"]["representative"] for f in item.figures[1:]] == [
        e.pick.kind for e in examples
    ]


def test_sweep_report_draws_every_panel_and_trace(reports: Reports) -> None:
    item = reports.pages["sweep"]
    check_clean(item)
    assert len(item.figures) == 1
    figure = item.figures[0]
    panels = ["rollback", "false-rollback", "blast-radius", "pareto"]
    assert figure["meta"]["panels"] == panels
    best = reports.recommendation.best
    assert best is not None
    assert figure["meta"]["recommended"] == {WAIT: str(best[WAIT]), THRESHOLD: str(best[THRESHOLD])}
    heatmaps = {f"heatmap-{p}" for p in panels[:3]}
    stars = {f"recommended-{p}" for p in panels[:3]}
    check_drawn(figure, heatmaps | stars | {"pareto-all", "pareto-front", "recommended"})
    assert figure["colorbars"] == 4  # one per heatmap, and the false-rollback scale
    for title in (
        "Bad model: rollback probability",
        "Healthy model: false-rollback probability",
        "Bad model: expected blast radius",
        "Pareto front: blast radius vs deployment time",
    ):
        assert any(a.startswith(title) for a in figure["annotations"]), title
    assert any(a.startswith("recommended: WaitIntervalInSeconds=") for a in figure["annotations"])
    n_front = len(reports.recommendation.pareto)
    assert figure["drawn"]["pareto-front"]["paths"] >= n_front  # a marker per point


def test_one_model_sweep_report(reports: Reports) -> None:
    item = reports.pages["sweep-plain"]
    check_clean(item)
    figure = item.figures[0]
    assert figure["meta"]["panels"] == ["p-rollback", "blast-radius", "duration"]
    check_drawn(figure, {"heatmap-p-rollback", "heatmap-blast-radius", "heatmap-duration"})
    assert figure["colorbars"] == 3


@pytest.mark.parametrize("width", WIDTHS)
def test_sweep_recommendation_reads_inside_the_window(reports: Reports, width: int) -> None:
    """The recommendation block wraps: all of it inside the window, nothing scrolls sideways."""
    for key in ("sweep", "sweep-quiet"):
        item = reports.pages[key]
        check_clean(item)
        layout = item.layout[width]
        assert layout["width"] == width
        block = layout["recommendation"]
        assert block is not None, f"{key}: no recommendation block"
        assert 0 <= block["left"] < block["right"] <= width, (key, block)
        assert block["scrollWidth"] <= block["clientWidth"], (key, block)
        assert not layout["sideways"], f"{key} scrolls sideways at {width} px"
    assert not reports.pages["sweep-plain"].layout[width]["sideways"]


@pytest.mark.parametrize("width", WIDTHS)
def test_sweep_colour_bar_ticks_are_distinct(reports: Reports, width: int) -> None:
    """Every colour bar of every sweep report: tick labels that differ from one another, also
    where the false-rollback rates span less than 1% (whole percents would read 0%, 0%, 1%)."""
    assert float(reports.quiet.candidates["false_rollback"].max()) < 0.01
    for key, n_bars in (("sweep", 4), ("sweep-plain", 3), ("sweep-quiet", 4)):
        item = reports.pages[key]
        check_clean(item)
        bars = item.layout[width]["colorbars"]
        assert len(bars) == n_bars, key
        for ticks in bars:
            assert len(ticks) >= 2, (key, ticks)
            assert len(set(ticks)) == len(ticks), f"{key}: repeated tick labels {ticks}"


@pytest.mark.parametrize("width", WIDTHS)
def test_mc_report_event_labels_never_overlap(reports: Reports, width: int) -> None:
    """The run reports inside the Monte Carlo report: event labels whose boxes do not meet."""
    item = reports.pages["mc"]
    check_clean(item)
    figures = item.labels[width]
    assert len(figures) == len(item.figures)
    for figure in figures[1:]:  # the first is the distributions, without a time axis
        assert "UpdateEndpoint" in figure["labels"]
        assert figure["overlaps"] == [], f"labels overlap at {width} px: {figure['overlaps']}"


@pytest.mark.parametrize("key", ["mc", "mc-batch"])
@pytest.mark.parametrize("width", WIDTHS)
def test_mc_report_panel_titles_fit(reports: Reports, key: str, width: int) -> None:
    """The distributions figure's panel titles neither run into each other nor off the window."""
    item = reports.pages[key]
    check_clean(item)
    first = item.titles[width][0]
    for _, title in MC_PANELS:
        assert any(t.startswith(title) for t in first["titles"]), title
    assert first["overlaps"] == [], f"titles overlap at {width} px: {first['overlaps']}"
    assert first["outside"] == [], f"titles cut off at {width} px: {first['outside']}"
