"""The Monte Carlo report: what ``n`` replications of one scenario say, as one page.

:func:`mc_figure` is a pure function of a
:class:`~guardsim.montecarlo.results.MonteCarloResult` (its runs table and summary). Its panels:

1. **detection**: a histogram of ``detected_at_seconds`` (minutes after the UpdateEndpoint call,
   over the runs that detected something);
2. **blast radius**: a histogram of ``green_errors`` (4XX + 5XX the new fleet served);
3. **duration**: a histogram of ``deployment_seconds`` (minutes);
4. **outcomes**: the probability of each outcome (rolled back, failed, succeeded), each with
   its 95 % Wilson score interval as the error bar (the interval of
   :func:`~guardsim.intervals.wilson_interval`, the one ``guardsim mc`` prints);
5. **alarms**: how often each rollback alarm was among the tripped ones, with the same interval.

Each trace has a stable ``uid`` (``detected-hist``, ``green-errors-hist``, ``deployment-hist``,
``outcomes``, ``alarm-trips``) and a ``meta`` dict (``panel``, ``kind``), as in the run report.

**Example markers.** Given the representative runs (:class:`Example`), each histogram marks
where each of them lies (a triangle under the bars: uid ``example-<kind>-<histogram uid>``,
``meta`` ``{"kind": "example", "histogram": <uid>, ...}``). Every marker lies within its
histogram's range: an example is a row of the distributions drawn (fast and exact mode), or a
fast-mode run chosen to lie within every histogram's range (batch mode, below).

:func:`mc_report` adds a header and the **representative runs**, each drawn with
:func:`~guardsim.reports.run.run_figure`: the fastest and the slowest detection, and a *false
rollback* (a rollback of a healthy model) if there is one (:func:`representative_runs`, a pure
function of the runs table). A Monte Carlo result keeps no timelines (its replications run with
``detail=False``), so the records to draw are **given**: this module simulates nothing. They are
made by :func:`guardsim.montecarlo.examples.example_runs` (used by ``guardsim mc --report``):

* fast and exact mode: replication ``i`` re-simulated with ``detail=True`` reproduces row ``i``
  of the runs table exactly (same scenario, base seed and mode);
* **batch** mode (:mod:`guardsim.batch.engine`): a batch replication cannot be re-simulated on
  its own (its draws are shared with its block). The target (say, the fastest detection) is
  taken from the batch result's own runs table, and the run drawn is *a fast-mode run like it*:
  among the first :data:`~guardsim.montecarlo.examples.EXAMPLE_SEARCH` fast-mode replications with
  the same base seed, the one with the same outcome whose detection time, blast radius and
  duration all lie within the histograms' ranges (:func:`histogram_ranges`), closest to the
  target (:func:`closest_like`). The heading says which batch row it stands for and which
  fast-mode replication it is; a target with no such run is named and not drawn.

The green model is **healthy** when it is identical to the blue one
(``scenario.models.green == scenario.models.blue``): then every rollback is a false one.
"""

from __future__ import annotations

import html
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from guardsim.intervals import wilson_interval
from guardsim.reports.html import Html, Section, write_html
from guardsim.reports.run import run_figure
from guardsim.reports.text import format_seconds

if TYPE_CHECKING:
    import pandas as pd

    from guardsim.montecarlo.results import MonteCarloResult
    from guardsim.record import RunRecord
    from guardsim.scenarios.scenario import Scenario

#: The panels, in order: (panel id, subplot title).
MC_PANELS: tuple[tuple[str, str], ...] = (
    ("detection", "Rollback alarm seen, minutes after UpdateEndpoint"),
    ("blast-radius", "Blast radius: errors served by the new fleet"),
    ("duration", "Deployment duration (minutes)"),
    ("outcomes", "Outcome probability, with 95% Wilson interval"),
    ("alarms", "How often each rollback alarm tripped, with 95% Wilson interval"),
)
OUTCOME_COLOURS = {"rolled back": "#d62728", "failed": "#8b0000", "succeeded": "#2ca02c"}
_HIST_COLOUR = "#4c72b0"


@dataclass(frozen=True)
class Histogram:
    """One histogram panel: a runs-table column (a :class:`~guardsim.record.Summary` field)."""

    panel: str
    uid: str
    column: str
    scale: float  #: drawn value = column value * scale
    unit: str
    row: int
    col: int


#: The histograms, in panel order.
HISTOGRAMS: tuple[Histogram, ...] = (
    Histogram("detection", "detected-hist", "detected_at_seconds", 1 / 60, "minutes", 1, 1),
    Histogram("blast-radius", "green-errors-hist", "green_errors", 1.0, "errors", 1, 2),
    Histogram("duration", "deployment-hist", "deployment_seconds", 1 / 60, "minutes", 2, 1),
)
#: Example markers, per representative kind.
EXAMPLE_COLOURS = {
    "fastest-detection": "#ff7f0e",
    "slowest-detection": "#8c564b",
    "false-rollback": "#d62728",
    "first-run": "#7f7f7f",
}
_HEIGHT = 1050


def _percent(p: float) -> str:
    return f"{100.0 * p:.1f}%"


def _interval(k: int, n: int) -> tuple[float, float]:
    return wilson_interval(k, n)


def _values(result: MonteCarloResult, column: str, scale: float = 1.0) -> list[float]:
    values = result.runs[column].to_numpy(dtype=float)
    return [float(v) * scale for v in values if not math.isnan(v)]


def _quantile_note(values: Sequence[float], fmt: str) -> str:
    if not values:
        return "none"
    p5, p50, p95 = (float(q) for q in np.percentile(values, (5, 50, 95)))
    return f"median {p50:{fmt}}, 5-95%: {p5:{fmt}} to {p95:{fmt}}"


def mc_figure(result: MonteCarloResult, examples: Sequence[Example] = ()) -> go.Figure:
    """The Monte Carlo figure: distributions, outcome probabilities and alarm trip frequency,
    with a marker on each histogram for each of the ``examples`` (representative runs).

    A pure function of ``result`` (its ``runs`` table and ``summary``) and ``examples``; nothing
    is simulated.
    """
    s = result.summary
    values = {h.uid: _values(result, h.column, h.scale) for h in HISTOGRAMS}
    detected = values["detected-hist"]
    errors = values["green-errors-hist"]
    durations = values["deployment-hist"]
    titles = [
        f"{MC_PANELS[0][1]}<br><sup>{len(detected)} of {s.n} runs detected; "
        f"{_quantile_note(detected, '.1f')}</sup>",
        f"{MC_PANELS[1][1]}<br><sup>{_quantile_note(errors, ',.0f')}</sup>",
        f"{MC_PANELS[2][1]}<br><sup>{_quantile_note(durations, '.1f')}</sup>",
        MC_PANELS[3][1],
        MC_PANELS[4][1],
    ]
    fig = make_subplots(
        rows=3,
        cols=2,
        specs=[[{}, {}], [{}, {}], [{"colspan": 2}, None]],
        subplot_titles=titles,
        vertical_spacing=0.13,
        horizontal_spacing=0.1,
    )
    for h in HISTOGRAMS:
        xs = values[h.uid]
        fig.add_trace(
            go.Histogram(
                x=xs,
                nbinsx=min(40, max(5, len(xs) // 3)),
                marker={"color": _HIST_COLOUR, "line": {"color": "#ffffff", "width": 0.5}},
                hovertemplate=f"%{{x}} {h.unit}: %{{y}} run(s)<extra></extra>",
                name=f"{h.column} ({len(xs)} runs)",
                uid=h.uid,
                meta={"panel": h.panel, "kind": "histogram", "column": h.column},
                showlegend=False,
            ),
            row=h.row,
            col=h.col,
        )
        for example in examples:
            _example_marker(fig, h, example)
        fig.update_xaxes(title_text=h.unit, row=h.row, col=h.col)
        fig.update_yaxes(title_text="runs", rangemode="tozero", row=h.row, col=h.col)

    outcomes = (
        ("rolled back", s.rolled_back),
        ("failed", s.failed),
        ("succeeded", s.succeeded),
    )
    _probability_bars(
        fig,
        [(label, k) for label, k in outcomes],
        s.n,
        row=2,
        col=2,
        uid="outcomes",
        meta={"panel": "outcomes", "kind": "probability", "outcomes": [o for o, _ in outcomes]},
        colours=[OUTCOME_COLOURS[label] for label, _ in outcomes],
        name="outcome probability",
    )
    trips = list(s.alarm_trips.items())
    _probability_bars(
        fig,
        trips,
        s.n,
        row=3,
        col=1,
        uid="alarm-trips",
        meta={"panel": "alarms", "kind": "trip-frequency", "alarms": [a for a, _ in trips]},
        colours=["#9467bd"] * len(trips),
        name="alarm trip frequency",
    )
    if not trips:
        fig.add_annotation(
            text="no rollback alarms configured",
            xref="x5 domain",
            yref="y5 domain",
            x=0.5,
            y=0.5,
            showarrow=False,
        )
    low, high = s.p_rollback_ci
    fig.update_layout(
        title={
            "text": (
                f"<b>Monte Carlo: {html.escape(result.scenario.name, quote=False)}</b> "
                f"({s.n} replications, base seed {result.seed}, {result.mode} mode)<br>"
                f"<span style='font-size:13px'>rolled back in {s.rolled_back} of {s.n} runs "
                f"({_percent(s.p_rollback)}, 95% CI {_percent(low)}-{_percent(high)})</span>"
            ),
            "x": 0.01,
            "xanchor": "left",
        },
        height=_HEIGHT,
        margin={"t": 130, "b": 60, "l": 70, "r": 40},
        bargap=0.05,
        plot_bgcolor="#ffffff",
        paper_bgcolor="#ffffff",
        meta={
            "guardsim": "mc-report",
            "scenario": result.scenario.name,
            "seed": result.seed,
            "n": s.n,
            "panels": [pid for pid, _ in MC_PANELS],
        },
    )
    fig.update_xaxes(showgrid=True, gridcolor="#eeeeee", zeroline=False)
    fig.update_yaxes(showgrid=True, gridcolor="#eeeeee", zeroline=False)
    return fig


def _probability_bars(
    fig: go.Figure,
    counts: Sequence[tuple[str, int]],
    n: int,
    *,
    row: int,
    col: int,
    uid: str,
    meta: dict[str, Any],
    colours: Sequence[str],
    name: str,
) -> None:
    """Bars of ``k / n`` per label, each with its 95 % Wilson interval as an error bar."""
    ps = [k / n for _, k in counts]
    intervals = [_interval(k, n) for _, k in counts]
    fig.add_trace(
        go.Bar(
            x=[html.escape(label, quote=False) for label, _ in counts],
            y=ps,
            error_y={
                "type": "data",
                "symmetric": False,
                "array": [hi - p for p, (_, hi) in zip(ps, intervals, strict=True)],
                "arrayminus": [p - lo for p, (lo, _) in zip(ps, intervals, strict=True)],
                "color": "#222222",
                "thickness": 1.5,
                "width": 8,
            },
            marker={"color": list(colours)},
            customdata=[
                [k, n, _percent(lo), _percent(hi)]
                for (_, k), (lo, hi) in zip(counts, intervals, strict=True)
            ],
            hovertemplate=(
                "<b>%{x}</b>: %{customdata[0]} of %{customdata[1]} runs (%{y:.1%})"
                "<br>95% Wilson interval %{customdata[2]} to %{customdata[3]}<extra></extra>"
            ),
            text=[_percent(p) for p in ps],
            textposition="outside",
            cliponaxis=False,
            name=name,
            uid=uid,
            meta=meta,
            showlegend=False,
        ),
        row=row,
        col=col,
    )
    fig.update_yaxes(title_text="probability", range=[0, 1.12], tickformat=".0%", row=row, col=col)


# --------------------------------------------------------------------------- example markers


def _example_marker(fig: go.Figure, h: Histogram, example: Example) -> None:
    """A triangle under histogram ``h`` where ``example``'s run lies (none if it has no value,
    e.g. no detection)."""
    value = getattr(example.record.summary, h.column)
    if value is None:
        return
    x = float(value) * h.scale
    kind = example.pick.kind
    fig.add_trace(
        go.Scatter(
            x=[x],
            y=[0],
            mode="markers",
            marker={
                "symbol": "triangle-up",
                "size": 13,
                "color": EXAMPLE_COLOURS.get(kind, "#000000"),
                "line": {"color": "#ffffff", "width": 1},
            },
            cliponaxis=False,
            hovertemplate=(
                f"<b>{html.escape(example.title, quote=False)}</b>"
                f"<br>%{{x}} {h.unit}<extra></extra>"
            ),
            name=f"{example.title} ({h.column})",
            uid=f"example-{kind}-{h.uid}",
            meta={
                "panel": h.panel,
                "kind": "example",
                "representative": kind,
                "histogram": h.uid,
                "column": h.column,
                "replication": example.replication,
                "mode": example.mode,
            },
            showlegend=False,
        ),
        row=h.row,
        col=h.col,
    )


# --------------------------------------------------------------------------- representative runs


#: What each kind of representative run is called in a heading.
KIND_TITLES = {
    "fastest-detection": "Fastest detection",
    "slowest-detection": "Slowest detection",
    "false-rollback": "False rollback",
    "first-run": "A typical run",
}


@dataclass(frozen=True)
class Representative:
    """A replication worth drawing, and why."""

    kind: str  # "fastest-detection", "slowest-detection", "false-rollback" or "first-run"
    replication: int
    label: str


@dataclass(frozen=True)
class Example:
    """A representative run to draw: the ``pick`` (a row of the result's runs table), the
    ``record`` drawn for it, and where that record comes from: ``replication`` in ``mode``
    (the pick's own replication, re-simulated, unless the result is a batch-mode one)."""

    pick: Representative
    record: RunRecord
    replication: int
    mode: str
    label: str

    @property
    def title(self) -> str:
        return KIND_TITLES.get(self.pick.kind, self.pick.kind)


@dataclass(frozen=True)
class ExampleRuns:
    """The representative runs of a Monte Carlo report, as
    :func:`guardsim.montecarlo.examples.example_runs` makes them: the ``examples`` drawn, the
    picks with no run to draw (``unmatched``, batch mode) and how many fast-mode replications
    were searched for them (``searched``; 0 when the rows were re-simulated themselves)."""

    examples: tuple[Example, ...] = ()
    unmatched: tuple[Representative, ...] = ()
    searched: int = 0


def is_healthy(scenario: Scenario) -> bool:
    """A healthy green model: identical to the blue one, so any rollback is a false one."""
    return scenario.models.green == scenario.models.blue


def representative_runs(result: MonteCarloResult, *, healthy: bool) -> list[Representative]:
    """The replications a Monte Carlo report draws (pure: reads the runs table only).

    The fastest and the slowest detection (one run if they are the same), and, when the green
    model is ``healthy``, the first rollback (a false one). If none of these exist (nothing was
    detected and nothing rolled back), the first replication, as a typical run.
    """
    runs = result.runs
    out: list[Representative] = []
    detected = runs[runs["detected_at_seconds"].notna()]
    if not detected.empty:
        order = detected.sort_values(["detected_at_seconds", "replication"], kind="stable")
        first, last = order.iloc[0], order.iloc[-1]
        out.append(
            Representative(
                "fastest-detection",
                int(first["replication"]),
                f"Fastest detection: replication {int(first['replication'])}, detected at "
                f"{format_seconds(float(first['detected_at_seconds']))}",
            )
        )
        if int(last["replication"]) != int(first["replication"]):
            out.append(
                Representative(
                    "slowest-detection",
                    int(last["replication"]),
                    f"Slowest detection: replication {int(last['replication'])}, detected at "
                    f"{format_seconds(float(last['detected_at_seconds']))}",
                )
            )
    if healthy:
        rolled = runs[runs["rolled_back"]]
        if not rolled.empty:
            i = int(rolled.iloc[0]["replication"])
            out.append(
                Representative(
                    "false-rollback",
                    i,
                    f"False rollback: replication {i} rolled back a healthy model "
                    "(the green model is identical to the blue one)",
                )
            )
    if not out and len(runs):
        i = int(runs.iloc[0]["replication"])
        out.append(
            Representative("first-run", i, f"A typical run: replication {i} (nothing detected)")
        )
    return out


def histogram_ranges(result: MonteCarloResult) -> dict[str, tuple[float, float] | None]:
    """Per histogram column, the ``(min, max)`` of the values :func:`mc_figure` draws, in the
    column's own unit (seconds, errors); None for an empty histogram."""
    out: dict[str, tuple[float, float] | None] = {}
    for h in HISTOGRAMS:
        values = _values(result, h.column)
        out[h.column] = (min(values), max(values)) if values else None
    return out


def _in_range(value: float, bounds: tuple[float, float] | None) -> bool:
    if math.isnan(value):
        return True  # not drawn: no marker
    return bounds is not None and bounds[0] <= value <= bounds[1]


def closest_like(
    candidates: pd.DataFrame,
    target: pd.Series,
    ranges: dict[str, tuple[float, float] | None],
    kind: str,
) -> int | None:
    """The replication of the ``candidates`` runs table most like the ``target`` row (pure).

    Candidates qualify if they have the target's outcome, detected iff the target did, and every
    histogram value (:data:`HISTOGRAMS`) lies within ``ranges`` (:func:`histogram_ranges`), so
    each of their markers lies within its histogram. Among those, the closest: on detection time
    first for a detection kind, then on the sum of the distances in every histogram column, each
    over its range's width; ties go to the lower replication. None if no candidate qualifies.
    """
    widths = {c: (b[1] - b[0]) or 1.0 if b is not None else 1.0 for c, b in ranges.items()}
    detected = not math.isnan(float(target["detected_at_seconds"]))
    best: tuple[float, float, int] | None = None
    for _, row in candidates.iterrows():
        if row["outcome"] != target["outcome"]:
            continue
        if (not math.isnan(float(row["detected_at_seconds"]))) != detected:
            continue
        if not all(_in_range(float(row[c]), ranges[c]) for c in ranges):
            continue
        distances = {
            c: abs(float(row[c]) - float(target[c])) / widths[c]
            for c in ranges
            if not math.isnan(float(target[c])) and not math.isnan(float(row[c]))
        }
        primary = distances.get("detected_at_seconds", 0.0) if "detection" in kind else 0.0
        key = (primary, sum(distances.values()), int(row["replication"]))
        if best is None or key < best:
            best = key
    return None if best is None else best[2]


def like_label(pick: Representative, target: pd.Series, replication: int, record: RunRecord) -> str:
    """The heading of a fast-mode run drawn for a batch row: what it stands for, what it is."""

    def said(detected: Any, errors: Any, seconds: Any) -> str:
        parts = []
        if detected is not None and not math.isnan(float(detected)):
            parts.append(f"detected at {format_seconds(float(detected))}")
        parts.append(f"{float(errors):,.0f} green errors")
        parts.append(f"{format_seconds(float(seconds), signed=False)} long")
        return ", ".join(parts)

    s = record.summary
    stands_for = said(
        target["detected_at_seconds"], target["green_errors"], target["deployment_seconds"]
    )
    return (
        f"{KIND_TITLES.get(pick.kind, pick.kind)}: a fast-mode run like replication "
        f"{pick.replication} of the batch run ({stands_for}): fast-mode replication "
        f"{replication} ("
        f"{said(s.detected_at_seconds, s.green_errors, s.deployment_seconds)})"
    )


# --------------------------------------------------------------------------- the page


def mc_header(result: MonteCarloResult, examples: ExampleRuns | None = None) -> Html:
    """The page header: what ran, the summary ``guardsim mc`` prints, and where the runs drawn
    below come from."""
    if result.mode != "batch":
        where = (
            f"replication i is <code>simulate(scenario, seed={result.seed}, "
            f'mode="{html.escape(result.mode)}", replication=i)</code>'
        )
    else:
        searched = examples.searched if examples is not None else 0
        where = (
            "replications simulated in lockstep blocks by the batch engine (fast mode's model); "
            "a batch replication cannot be re-simulated on its own, so each run drawn below is "
            "a fast-mode run like the batch replication it stands for: among "
            f"{searched} fast-mode replications with the same base seed, the closest one with "
            "the same outcome whose detection time, blast radius and duration lie within the "
            f"histograms' ranges, replication i being <code>simulate(scenario, "
            f'seed={result.seed}, mode="fast", replication=i)</code>'
        )
    unmatched = ""
    if examples is not None and examples.unmatched:
        names = "; ".join(html.escape(p.label) for p in examples.unmatched)
        unmatched = (
            f'<p class="unmatched">Not drawn (no fast-mode run among {examples.searched} is '
            f"like it within the histograms' ranges): {names}</p>"
        )
    return Html(
        '<header id="guardsim-header">'
        f"<h1>Monte Carlo report: {html.escape(result.scenario.name)}</h1>"
        f'<p class="meta">{result.summary.n} replications, base seed {result.seed}, '
        f"{html.escape(result.mode)} mode; {where}</p>"
        f'<pre class="summary">{html.escape(result.text())}</pre>'
        f"{unmatched}"
        "</header>"
    )


def mc_report(result: MonteCarloResult, examples: ExampleRuns | None = None) -> list[Section]:
    """The Monte Carlo report's page: header, :func:`mc_figure` (with a marker per example),
    then each example run drawn with :func:`~guardsim.reports.run.run_figure`.

    A pure function of ``result`` and ``examples``; make the examples with
    :func:`guardsim.montecarlo.examples.example_runs`.
    """
    runs = examples.examples if examples is not None else ()
    sections: list[Section] = [mc_header(result, examples), mc_figure(result, runs)]
    for example in runs:
        sections.append(
            Html(
                f'<h2 class="representative" data-kind="{example.pick.kind}" '
                f'data-replication="{example.replication}" '
                f'data-mode="{html.escape(example.mode)}" '
                f'data-like="{example.pick.replication}">{html.escape(example.label)}</h2>'
            )
        )
        figure = run_figure(example.record)
        figure.update_layout(meta={**figure.layout.meta, "representative": example.pick.kind})
        sections.append(figure)
    return sections


def write_mc_report(
    result: MonteCarloResult,
    path: str | Path,
    examples: ExampleRuns | None = None,
    *,
    plotly_js: str = "inline",
) -> None:
    """Write the Monte Carlo report as one HTML file (see :func:`mc_report`); ``plotly_js`` as
    for :func:`~guardsim.reports.html.write_html` (inline: standalone, works offline)."""
    write_html(
        mc_report(result, examples),
        path,
        title=f"guardsim Monte Carlo report: {result.scenario.name}",
        plotly_js=plotly_js,
    )


__all__ = [
    "EXAMPLE_COLOURS",
    "HISTOGRAMS",
    "KIND_TITLES",
    "MC_PANELS",
    "Example",
    "ExampleRuns",
    "Histogram",
    "Representative",
    "closest_like",
    "histogram_ranges",
    "is_healthy",
    "like_label",
    "mc_figure",
    "mc_header",
    "mc_report",
    "representative_runs",
    "write_mc_report",
]
