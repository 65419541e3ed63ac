"""The comparison report: predicted and real overlaid on shared axes, as standalone HTML.

Pure functions from comparisons to Plotly figures and page sections, built like the run report
(:mod:`guardsim.reports.run`): one shared time axis in minutes after the ``UpdateEndpoint``
call, the same fleet, phase and alarm-state colours, a stable ``uid`` and a ``meta`` dict
(``panel``, ``kind``, ``side``: ``predicted`` or ``real``, ``fleet`` / ``alarm``) on every
trace. The **prediction is dashed** and the **real run solid**; in the band panels (phases,
alarm states) the prediction fills the upper half of the panel and the real run the lower half.
:func:`guardsim.reports.html.write_html` writes the page (plotly.js inline, works offline).

* :func:`comparison_figure` / :func:`comparison_sections`: one run against one run;
* :func:`distribution_figure` / :func:`distribution_sections`: one run against a predicted
  distribution: a histogram per measure with the real run's value marked.
"""

from __future__ import annotations

import html
import math
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import plotly.graph_objects as go
from plotly.subplots import make_subplots

from guardsim.compare.comparison import Comparison
from guardsim.compare.delay import readable
from guardsim.compare.distribution import MEASURES, DistributionComparison
from guardsim.compare.text import TOLERANCE_TEXT, distribution_text
from guardsim.compare.timeline import scenario_name
from guardsim.record import RunRecord
from guardsim.reports.html import Html, Section, write_html
from guardsim.reports.run import FLEET_COLOURS, FLEET_NAMES, PHASE_COLOURS, STATE_COLOURS
from guardsim.reports.series import (
    DIMENSION_SETS,
    DatapointTable,
    Interval,
    alarm_state_intervals,
    phase_intervals,
    time_span,
    traffic_steps,
)
from guardsim.reports.text import format_seconds

SIDES = ("predicted", "real")
_DASH = {"predicted": "dash", "real": "solid"}
#: Band panels: (base, height) of each side's half, on the hidden secondary axis (0 to 1).
_HALF = {"predicted": (0.5, 0.5), "real": (0.0, 0.5)}
_ROW_PX = 220


def _minutes(values: Sequence[float]) -> list[float]:
    return [v / 60.0 for v in values]


def _alarm_names(c: Comparison) -> list[str]:
    names: list[str] = []
    for r in (c.predicted, c.real):
        for a in r.scenario_definition.get("alarms", []) or []:
            n = scenario_name(str(a.get("AlarmName", "")))
            if n and n not in names:
                names.append(n)
        for h in r.alarm_history:
            n = scenario_name(str(h["alarm"]))
            if n not in names:
                names.append(n)
    return names


def _renamed_history(record: RunRecord) -> RunRecord:
    """The record with the real backend's name prefix taken off its alarm names."""
    return replace(
        record,
        alarm_history=tuple(
            {**h, "alarm": scenario_name(str(h["alarm"]))} for h in record.alarm_history
        ),
    )


class _Figure:
    def __init__(self, c: Comparison) -> None:
        self.c = c
        # a real record has no publication times: the report functions get a readable view
        self.records = {"predicted": readable(c.predicted), "real": readable(c.real)}
        spans = [time_span(r) for r in self.records.values()]
        self.start = min(s for s, _ in spans)
        self.end = max(e for _, e in spans)
        self.tables = {side: DatapointTable(r) for side, r in self.records.items()}
        self.alarms = _alarm_names(c)
        self.panels: list[tuple[str, str]] = [
            (
                "traffic",
                "Traffic to the new (green) fleet, and the phases (upper: predicted, lower: real)",
            ),
            ("invocations", "Invocations per minute (Sum)"),
            ("errors", "5XX errors per minute (Sum)"),
            ("latency", "ModelLatency per minute, average, in ms"),
        ]
        self.panels += [
            (
                f"alarm{i}",
                f"Alarm {html.escape(name, quote=False)}: state (upper: predicted, lower: real)",
            )
            for i, name in enumerate(self.alarms, 1)
        ]
        n = len(self.panels)
        self.height = 150 + n * _ROW_PX
        self.fig = make_subplots(
            rows=n,
            cols=1,
            shared_xaxes=True,
            vertical_spacing=min(0.06, 0.3 / n),
            subplot_titles=[t for _, t in self.panels],
            specs=[[{"secondary_y": pid == "traffic"}] for pid, _ in self.panels],
        )

    def add(self, trace: Any, row: int, *, secondary: bool = False) -> None:
        # Only the traffic panel has a second y axis (its bands under the traffic line). An alarm
        # panel draws its bands on its only axis: an overlaying axis over an empty one is drawn
        # across the whole page by plotly.js.
        has_secondary = self.panels[row - 1][0] == "traffic"
        self.fig.add_trace(trace, row=row, col=1, secondary_y=secondary if has_secondary else None)

    def bands(
        self,
        intervals: Sequence[Interval],
        side: str,
        row: int,
        *,
        uid: str,
        colours: Sequence[str],
        meta: dict[str, Any],
        text: bool,
        opacity: float = 0.6,
    ) -> None:
        shown = [iv for iv in intervals if iv.end > iv.start]
        base, height = _HALF[side]
        self.add(
            go.Bar(
                x=[(iv.start + iv.end) / 120.0 for iv in shown],
                y=[height] * len(shown),
                base=base,
                width=[(iv.end - iv.start) / 60.0 for iv in shown],
                marker={"color": list(colours), "line": {"width": 0.5, "color": "#ffffff"}},
                opacity=opacity,
                text=[iv.label for iv in shown] if text else None,
                textposition="inside" if text else None,
                insidetextanchor="middle" if text else None,
                textangle=0 if text else None,
                customdata=[
                    [
                        side,
                        iv.label,
                        format_seconds(iv.start),
                        format_seconds(iv.end),
                        html.escape(iv.reason),
                    ]
                    for iv in shown
                ],
                hovertemplate=(
                    "<b>%{customdata[0]}: %{customdata[1]}</b> from %{customdata[2]}"
                    " to %{customdata[3]}<br>%{customdata[4]}<extra></extra>"
                ),
                name=f"{meta['kind']} ({side})",
                uid=uid,
                meta={**meta, "side": side},
                showlegend=False,
            ),
            row,
            secondary=True,
        )

    def traffic(self, row: int) -> None:
        for side, r in self.records.items():
            phases = phase_intervals(r, self.start, self.end)
            self.bands(
                phases,
                side,
                row,
                uid=f"phases-{side}",
                colours=[PHASE_COLOURS.get(iv.label, "#eeeeee") for iv in phases],
                meta={"panel": "traffic", "kind": "phases"},
                text=True,
            )
            xs, ys = traffic_steps(r, self.end)
            self.add(
                go.Scatter(
                    x=_minutes(xs),
                    y=[100.0 * y for y in ys],
                    mode="lines",
                    line={
                        "color": FLEET_COLOURS["green"],
                        "shape": "hv",
                        "width": 2.5,
                        "dash": _DASH[side],
                    },
                    name=f"traffic to green, {side} (%)",
                    uid=f"traffic-green-{side}",
                    meta={"panel": "traffic", "kind": "traffic", "fleet": "green", "side": side},
                    hovertemplate=f"<b>{side}</b>: %{{y:.0f}}% to green<extra></extra>",
                ),
                row,
            )
        self.fig.update_yaxes(
            title_text="% to green", range=[0, 105], row=row, col=1, secondary_y=False
        )

    def metric(
        self, row: int, pid: str, metric: str, statistic: str, scale: float, unit: str
    ) -> None:
        for dims in DIMENSION_SETS:
            for side in SIDES:
                table = self.tables[side]
                if not table.has(metric, dims):
                    continue
                s = table.series(metric, dims, statistic)
                self.add(
                    go.Scatter(
                        x=_minutes(s.t),
                        y=[None if v is None else v * scale for v in s.value],
                        mode="lines+markers",
                        line={"color": FLEET_COLOURS[dims], "dash": _DASH[side], "width": 1.6},
                        marker={"size": 4, "color": FLEET_COLOURS[dims]},
                        name=f"{FLEET_NAMES[dims]}, {side}",
                        uid=f"{pid}-{dims}-{side}",
                        legendgroup=f"{dims}-{side}",
                        showlegend=pid == "invocations",
                        meta={"panel": pid, "kind": metric, "fleet": dims, "side": side},
                        hovertemplate=(
                            f"<b>{html.escape(FLEET_NAMES[dims])}, {side}</b><br>"
                            f"minute at %{{x:.0f}} min: %{{y:,.4~g}} {unit}"
                            "<extra></extra>"
                        ),
                        connectgaps=False,
                    ),
                    row,
                )
        self.fig.update_yaxes(title_text=unit, rangemode="tozero", row=row, col=1)

    def alarm(self, row: int, k: int, name: str) -> None:
        for side, r in self.records.items():
            states = alarm_state_intervals(_renamed_history(r), name, self.start, self.end)
            self.bands(
                states,
                side,
                row,
                uid=f"alarm{k}-{side}",
                colours=[STATE_COLOURS.get(iv.label, "#9e9e9e") for iv in states],
                meta={"panel": f"alarm{k}", "kind": "alarm-state", "alarm": name},
                text=True,
                opacity=0.35,
            )
        self.fig.update_yaxes(range=[0, 1], visible=False, fixedrange=True, row=row, col=1)

    def build(self) -> go.Figure:
        for row, (pid, _) in enumerate(self.panels, 1):
            if pid == "traffic":
                self.traffic(row)
            elif pid == "invocations":
                self.metric(row, pid, "Invocations", "Sum", 1.0, "requests / min")
            elif pid == "errors":
                self.metric(row, pid, "Invocation5XXErrors", "Sum", 1.0, "errors / min")
            elif pid == "latency":
                self.metric(row, pid, "ModelLatency", "Average", 1e-3, "ms")
            else:
                k = int(pid.removeprefix("alarm"))
                self.alarm(row, k, self.alarms[k - 1])
            if pid == "traffic":
                self.fig.update_yaxes(
                    range=[0, 1], visible=False, fixedrange=True, row=row, col=1, secondary_y=True
                )
        # the earlier end is labelled left of its line, the later right of its own: the two
        # labels never overlap, however close the ends are
        ends = sorted(self.records.items(), key=lambda kv: kv[1].summary.deployment_seconds)
        for k, (side, r) in enumerate(ends):
            self.fig.add_vline(
                x=r.summary.deployment_seconds / 60.0,
                line={"color": "#555555", "width": 1, "dash": _DASH[side]},
                annotation_text=f"{side} done",
                annotation_position="top left" if k == 0 else "top right",
                annotation_font_size=10,
                annotation_name="event-label",
            )
        c = self.c
        self.fig.update_layout(
            title={
                "text": (
                    f"<b>Predicted vs real: {html.escape(c.real.scenario, quote=False)}</b>"
                    f"<br>predicted {c.predicted.outcome} (dashed), real {c.real.outcome} "
                    f"(solid); {len(c.mismatches)} mismatch(es)"
                ),
                "x": 0.01,
                "xanchor": "left",
                "font": {"size": 15},
            },
            height=self.height,
            margin={"t": 110, "b": 60, "l": 80, "r": 240},
            barmode="overlay",
            bargap=0,
            hovermode="closest",
            uniformtext={"minsize": 8, "mode": "hide"},
            plot_bgcolor="#ffffff",
            paper_bgcolor="#ffffff",
            legend={"x": 1.01, "xanchor": "left", "y": 1.0, "font": {"size": 11}},
            meta={
                "guardsim": "comparison-report",
                "scenario": c.real.scenario,
                "predicted_outcome": c.predicted.outcome,
                "real_outcome": c.real.outcome,
                "panels": [pid for pid, _ in self.panels],
            },
        )
        self.fig.update_xaxes(
            range=[self.start / 60.0, self.end / 60.0],
            showticklabels=True,
            showgrid=True,
            gridcolor="#eeeeee",
            zeroline=False,
        )
        self.fig.update_yaxes(showgrid=True, gridcolor="#eeeeee", zeroline=False)
        self.fig.update_xaxes(
            title_text="minutes after the UpdateEndpoint call", row=len(self.panels), col=1
        )
        return self.fig


def comparison_figure(c: Comparison) -> go.Figure:
    """Predicted (dashed, upper bands) and real (solid, lower bands) on shared axes."""
    return _Figure(c).build()


def _table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in header)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(v)}</td>" for v in row) + "</tr>" for row in rows
    )
    # a grid with padded cells that keep to their column, in a box that scrolls sideways when
    # the window is narrower than the table
    return f'<div class="scroll"><table class="grid"><tr>{head}</tr>{body}</table></div>'


def comparison_header(c: Comparison) -> Html:
    """Outcome agreement, the mismatches, and the phase table."""
    p, r = c.predicted, c.real
    verdict = "agree" if c.outcome_agrees else "differ"
    mism = "".join(f"<li>{html.escape(m.message)}</li>" for m in c.mismatches)
    rows = [
        [
            pc.label,
            format_seconds(pc.predicted.start),
            format_seconds(pc.real.start),
            format_seconds(pc.start_difference),
            format_seconds(pc.predicted.duration, signed=False),
            format_seconds(pc.real.duration, signed=False),
            format_seconds(pc.duration_difference),
            "mismatch" if pc.duration_differs else "",
        ]
        for pc in c.phases
    ]
    rows += [
        [
            c.label(s),
            format_seconds(s.start),
            "-",
            "-",
            format_seconds(s.duration, signed=False),
            "-",
            "-",
            "predicted only",
        ]
        for s in c.only_predicted
    ]
    rows += [
        [
            c.label(s),
            "-",
            format_seconds(s.start),
            "-",
            "-",
            format_seconds(s.duration, signed=False),
            "-",
            "real only",
        ]
        for s in c.only_real
    ]
    return Html(
        '<header id="guardsim-header">'
        f"<h1>Predicted vs real: {html.escape(r.scenario)}</h1>"
        f'<p class="meta">predicted: seed {p.seed}, {html.escape(p.mode)} mode; real: seed '
        f"{r.seed}, {html.escape(r.mode)} mode; times are after the UpdateEndpoint call</p>"
        f'<p class="outcome {html.escape(r.outcome)}">Outcome: predicted {p.outcome}, real '
        f"{r.outcome}: they {verdict}.</p>"
        f"<p>{len(c.mismatches)} mismatch(es) (tolerances: {html.escape(TOLERANCE_TEXT)}):</p>"
        f"<ul>{mism}</ul>"
        + _table(
            [
                "phase",
                "predicted start",
                "real start",
                "difference",
                "predicted duration",
                "real duration",
                "difference",
                "",
            ],
            rows,
        )
        + "</header>"
    )


def comparison_sections(c: Comparison) -> list[Section]:
    return [comparison_header(c), comparison_figure(c)]


def distribution_figure(d: DistributionComparison) -> go.Figure:
    """One histogram per measure of the predicted runs, with the real run's value marked."""
    fig = make_subplots(rows=1, cols=len(MEASURES), subplot_titles=[label for _, label in MEASURES])
    for col, (m, label) in enumerate(MEASURES, 1):
        values = d.predicted.values[m]
        finite = [float(v) for v in values if math.isfinite(v)]
        minutes = m.endswith("_seconds")
        xs = [v / 60.0 for v in finite] if minutes else finite
        fig.add_trace(
            go.Histogram(
                x=xs,
                nbinsx=40,
                marker={"color": "#9ecae1"},
                name=f"predicted: {label}",
                uid=f"predicted-{m}",
                meta={"kind": "histogram", "measure": m, "side": "predicted"},
                showlegend=False,
            ),
            row=1,
            col=col,
        )
        never = len(values) - len(finite)
        note = f"; {never} predicted run(s) never" if never and minutes else ""
        missing = next((why for n, _, why in d.not_observable if n == m), None)
        if missing is not None:
            fig.add_annotation(
                x=0.5,
                y=0.95,
                xref=f"x{'' if col == 1 else col} domain",
                yref=f"y{'' if col == 1 else col} domain",
                text="real: " + missing.split(" (")[0],
                showarrow=False,
                font={"color": "#d62728"},
            )
            fig.update_xaxes(title_text="errors", row=1, col=col)
            continue
        result = d.measure(m)
        real = result.real
        if isinstance(real, float) and math.isfinite(real):
            x = real / 60.0 if minutes else real
            fig.add_vline(x=x, line={"color": "#d62728", "width": 2}, row=1, col=col)
            lo, hi = min([*xs, x]), max([*xs, x])
            pad = 0.05 * (hi - lo) or 1.0
            fig.update_xaxes(range=[lo - pad, hi + pad], row=1, col=col)
            fig.add_annotation(
                x=x,
                y=0.97,
                yref=f"y{'' if col == 1 else col} domain",
                text=f"real: percentile {result.percentile:.1f} ",
                showarrow=False,
                yanchor="top",
                xanchor="right",
                font={"color": "#d62728"},
                row=1,
                col=col,
            )
        else:
            fig.add_annotation(
                x=0.5,
                y=0.95,
                xref=f"x{'' if col == 1 else col} domain",
                yref=f"y{'' if col == 1 else col} domain",
                text="real: never",
                showarrow=False,
                font={"color": "#d62728"},
            )
        fig.update_xaxes(title_text=("minutes" if minutes else "errors") + note, row=1, col=col)
    fig.update_layout(
        title={
            "text": (
                f"<b>Real run against {d.predicted.n} predicted runs</b><br>verdict: "
                f"{d.verdict} (conformal p = {d.p_value:.3f})"
            ),
            "x": 0.01,
        },
        height=420,
        margin={"t": 110, "b": 60, "l": 60, "r": 40},
        bargap=0.05,
        plot_bgcolor="#ffffff",
        paper_bgcolor="#ffffff",
        meta={"guardsim": "distribution-comparison", "verdict": d.verdict, "p_value": d.p_value},
    )
    return fig


def distribution_header(d: DistributionComparison) -> Html:
    return Html(
        '<header id="guardsim-header">'
        f"<h1>Real run against a predicted distribution: {html.escape(d.real.scenario)}</h1>"
        f"<pre>{html.escape(distribution_text(d))}</pre></header>"
    )


def distribution_sections(d: DistributionComparison) -> list[Section]:
    return [distribution_header(d), distribution_figure(d)]


def write_compare_report(
    result: Comparison | DistributionComparison, path: str | Path, *, plotly_js: str = "inline"
) -> None:
    """Write the comparison report as one HTML file; ``plotly_js`` as for
    :func:`~guardsim.reports.html.write_html` (inline, the default: standalone, works offline)."""
    if isinstance(result, Comparison):
        write_html(
            comparison_sections(result),
            path,
            title=f"guardsim: predicted vs real, {result.real.scenario}",
            plotly_js=plotly_js,
        )
    else:
        write_html(
            distribution_sections(result),
            path,
            title=f"guardsim: real run vs predicted distribution, {result.real.scenario}",
            plotly_js=plotly_js,
        )
