"""The Monte Carlo report: what ``n`` replications of one scenario say, as one page.

:func:`mc_figure` is a pure function of a
:class:`~guardsim.montecarlo.monte_carlo.MonteCarloResult` (its runs table and summary). Its panels:

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

:func:`mc_report` adds a header and a few **representative runs**, each drawn with
:func:`~guardsim.reports.run.run_figure`: the fastest and the slowest detection, and a *false
rollback* (a rollback of a healthy model) if there is one. A Monte Carlo result keeps no
timelines (its replications run with ``detail=False``), so :func:`mc_report` **re-simulates**
those few replications with ``detail=True``: replication ``i`` with the same base seed and mode
reproduces the row of the runs table exactly (see :mod:`guardsim.montecarlo.monte_carlo`). This is
the one place a report calls the simulator; :func:`mc_figure` and :func:`representative_runs`
stay pure. A **batch-mode** result (:mod:`guardsim.batch.engine`) cannot be re-simulated row
by row (a batch replication's draws are shared with its block), so its representative runs are
picked from a companion fast-mode Monte Carlo of :data:`EXAMPLE_RUNS` replications with the same
base seed (:func:`example_source`), and the page says so. The green model is **healthy** when
it is identical to the blue one (``scenario.models.green == scenario.models.blue``): then every
rollback is a false one.
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
    from guardsim.montecarlo.monte_carlo import MonteCarloResult
    from guardsim.record import RunRecord
    from guardsim.scenarios.scenario import Scenario

#: The panels, in order: (panel id, subplot title).
MC_PANELS: tuple[tuple[str, str], ...] = (
    ("detection", "When SageMaker saw a rollback alarm (minutes after UpdateEndpoint)"),
    ("blast-radius", "Blast radius: errors served by the new (green) fleet"),
    ("duration", "Deployment duration (minutes)"),
    ("outcomes", "Outcome probability, with 95% Wilson interval"),
    ("alarms", "How often each rollback alarm tripped, with 95% Wilson interval"),
)
OUTCOME_COLOURS = {"rolled back": "#d62728", "failed": "#8b0000", "succeeded": "#2ca02c"}
_HIST_COLOUR = "#4c72b0"
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


def mc_figure(result: MonteCarloResult) -> go.Figure:
    """The Monte Carlo figure: distributions, outcome probabilities and alarm trip frequency.

    A pure function of ``result`` (its ``runs`` table and ``summary``); nothing is simulated.
    """
    s = result.summary
    detected = _values(result, "detected_at_seconds", 1 / 60)
    errors = _values(result, "green_errors")
    durations = _values(result, "deployment_seconds", 1 / 60)
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
    hists = (
        ("detection", "detected-hist", "detected_at_seconds", detected, "minutes", 1, 1),
        ("blast-radius", "green-errors-hist", "green_errors", errors, "errors", 1, 2),
        ("duration", "deployment-hist", "deployment_seconds", durations, "minutes", 2, 1),
    )
    for panel, uid, column, values, unit, row, col in hists:
        fig.add_trace(
            go.Histogram(
                x=values,
                nbinsx=min(40, max(5, len(values) // 3)),
                marker={"color": _HIST_COLOUR, "line": {"color": "#ffffff", "width": 0.5}},
                hovertemplate=f"%{{x}} {unit}: %{{y}} run(s)<extra></extra>",
                name=f"{column} ({len(values)} runs)",
                uid=uid,
                meta={"panel": panel, "kind": "histogram", "column": column},
                showlegend=False,
            ),
            row=row,
            col=col,
        )
        fig.update_xaxes(title_text=unit, row=row, col=col)
        fig.update_yaxes(title_text="runs", rangemode="tozero", row=row, col=col)

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


# --------------------------------------------------------------------------- representative runs


@dataclass(frozen=True)
class Representative:
    """A replication worth drawing, and why."""

    kind: str  # "fastest-detection", "slowest-detection", "false-rollback" or "first-run"
    replication: int
    label: str


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


def representative_records(
    result: MonteCarloResult, picks: Sequence[Representative], scenario: Scenario | None = None
) -> list[tuple[Representative, RunRecord]]:
    """Re-simulate the picked replications with ``detail=True`` (this calls the simulator).

    Same scenario, base seed, mode and replication index as the Monte Carlo run, so each record's
    outcome and summary are those of its row in ``result.runs``.
    """
    from guardsim.simulator.engine import simulate

    scen = result.scenario if scenario is None else scenario
    return [
        (
            pick,
            simulate(
                scen, seed=result.seed, mode=result.mode, replication=pick.replication, detail=True
            ),
        )
        for pick in picks
    ]


#: Batch mode: how many fast-mode replications the representative runs are picked from.
EXAMPLE_RUNS = 200


def example_source(result: MonteCarloResult, scenario: Scenario | None = None) -> MonteCarloResult:
    """The result whose replications the representative runs re-simulate: ``result`` itself,
    or for a batch-mode result a fast-mode Monte Carlo of ``min(n, EXAMPLE_RUNS)`` replications
    with the same base seed (run here, in this process)."""
    if result.mode != "batch":
        return result
    from guardsim.montecarlo.monte_carlo import monte_carlo

    scen = result.scenario if scenario is None else scenario
    n = min(result.summary.n, EXAMPLE_RUNS)
    return monte_carlo(scen, n, seed=result.seed, mode="fast", executor="serial")


def mc_header(result: MonteCarloResult, examples: MonteCarloResult | None = None) -> Html:
    """The page header: what ran, and the summary ``guardsim mc`` prints; ``examples`` is
    where the representative runs come from if not from ``result``."""
    if examples is None or examples is result:
        where = (
            f"replication i is <code>simulate(scenario, seed={result.seed}, replication=i)</code>"
        )
    else:
        where = (
            "replications simulated in lockstep blocks by the batch engine (fast mode's model); "
            "a batch replication cannot be re-simulated on its own, so the runs drawn below are "
            f"picked from {examples.summary.n} fast-mode replications with the same base seed, "
            f"replication i being <code>simulate(scenario, seed={result.seed}, "
            'mode="fast", replication=i)</code>'
        )
    return Html(
        '<header id="guardsim-header">'
        f"<h1>Monte Carlo report: {html.escape(result.scenario.name)}</h1>"
        f'<p class="meta">{result.summary.n} replications, base seed {result.seed}, '
        f"{html.escape(result.mode)} mode; {where}</p>"
        f'<pre class="summary">{html.escape(result.text())}</pre>'
        "</header>"
    )


def mc_report(result: MonteCarloResult, scenario: Scenario | None = None) -> list[Section]:
    """The Monte Carlo report's page: header, :func:`mc_figure`, then representative runs.

    ``scenario`` defaults to ``result.scenario``. **Re-simulates** the representative
    replications (see the module docstring); everything else is a pure function of ``result``.
    """
    scen = result.scenario if scenario is None else scenario
    examples = example_source(result, scen)
    sections: list[Section] = [mc_header(result, examples), mc_figure(result)]
    picks = representative_runs(examples, healthy=is_healthy(scen))
    for pick, record in representative_records(examples, picks, scen):
        sections.append(
            Html(
                f'<h2 class="representative" data-kind="{pick.kind}" '
                f'data-replication="{pick.replication}">{html.escape(pick.label)}</h2>'
            )
        )
        figure = run_figure(record)
        figure.update_layout(meta={**figure.layout.meta, "representative": pick.kind})
        sections.append(figure)
    return sections


def write_mc_report(
    result: MonteCarloResult, path: str | Path, scenario: Scenario | None = None
) -> None:
    """Write the Monte Carlo report as one standalone HTML file (re-simulates a few runs)."""
    write_html(
        mc_report(result, scenario),
        path,
        title=f"guardsim Monte Carlo report: {result.scenario.name}",
    )


__all__ = [
    "EXAMPLE_RUNS",
    "MC_PANELS",
    "Representative",
    "example_source",
    "is_healthy",
    "mc_figure",
    "mc_header",
    "mc_report",
    "representative_records",
    "representative_runs",
    "write_mc_report",
]
