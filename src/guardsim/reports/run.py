"""The run report: one deployment over time, as a Plotly figure built from its run record alone.

:func:`run_figure` is a pure function of a :class:`~guardsim.record.RunRecord` (use it in a
notebook: ``guardsim.reports.run_figure(record)``); :mod:`guardsim.reports.html` writes it out.
Every panel shares one time axis, in minutes after the ``UpdateEndpoint`` call (negative: the
simulated warm-up before it):

1. **traffic**: the fraction of traffic on the new (green) fleet, a step line, over the
   deployment's phases drawn as labelled bands (hover: the reason of the transition), with
   markers for the UpdateEndpoint call, detection, rollback start and rollback end;
2. **invocations**: ``Invocations`` per minute (Sum) per fleet and blended;
3. **errors**: ``Invocation4XXErrors`` and ``Invocation5XXErrors`` per minute (Sum), the error
   fraction on hover;
4. **latency**: ``ModelLatency`` per minute, average and p99, in milliseconds (CloudWatch keeps
   it in microseconds);
5. one **alarm** panel per alarm: the datapoints the alarm read, in the alarm's own units, with
   its threshold and its state (OK / ALARM / INSUFFICIENT_DATA) as bands, the reason on hover;
6. one **composite** panel per composite alarm (an ``alarms`` entry with ``AlarmRule``): its
   rule in the title, and one lane of state bands for it and one for each child it names.

Datapoints sit at the start of their minute, as CloudWatch timestamps them; the hover says when
each was published (an alarm sees a minute only after its publish delay), and each alarm panel
also marks the publication times.

Each trace has a stable ``uid`` (``traffic-green``, ``invocations-blue``, ``alarm1-state-ALARM``,
...) and a ``meta`` dict (``panel``, ``kind``, and ``fleet`` / ``alarm`` where they apply), so
code and tests can find it.
"""

from __future__ import annotations

import html
import textwrap
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import plotly.graph_objects as go
from plotly.subplots import make_subplots

from guardsim.cloudwatch.alarm import AlarmRule
from guardsim.record import RunRecord
from guardsim.reports.html import Html, Section, write_html, write_png
from guardsim.reports.series import (
    DIMENSION_SETS,
    DatapointTable,
    Interval,
    Series,
    alarm_series,
    alarm_state_intervals,
    phase_intervals,
    time_span,
    traffic_steps,
)
from guardsim.reports.text import format_seconds, summary_headline, summary_rows

FLEET_NAMES = {"blended": "both fleets", "blue": "old fleet (blue)", "green": "new fleet (green)"}
FLEET_COLOURS = {"blended": "#555555", "blue": "#1f77b4", "green": "#2ca02c"}
STATE_COLOURS = {"OK": "#2ca02c", "ALARM": "#d62728", "INSUFFICIENT_DATA": "#9e9e9e"}
STATES = ("OK", "ALARM", "INSUFFICIENT_DATA")
PHASE_COLOURS = {
    "InService": "#c7e9c0",
    "Creating": "#dadaeb",
    "ActivatingTraffic": "#fdd0a2",
    "Baking": "#c6dbef",
    "FinalBake": "#9ecae1",
    "Deleting": "#d9d9d9",
    "RollingBack": "#fcbba1",
    "RollbackCreating": "#fcbba1",
    "RollbackDeleting": "#fc9272",
    "Failed": "#ef3b2c",
    "UpdateRollbackFailed": "#ef3b2c",
}
_BREACHING_COLOUR = "#d62728"
_ROW_PX = 230
_GAP_PX = 62
_TOP_PX = 175
_BOTTOM_PX = 70
#: The figure title's lines, in characters: short enough for a 900 px window (a Plotly title
#: does not wrap on its own), and the height of one line.
_TITLE_CHARS = 95
_FACTS_CHARS = 115
_TITLE_LINE_PX = 18

#: The fixed panels, in order: (panel id, subplot title).
PANELS: tuple[tuple[str, str], ...] = (
    ("traffic", "Traffic to the new (green) fleet, and the deployment phases"),
    ("invocations", "Invocations per minute (Sum)"),
    ("errors", "4XX and 5XX errors per minute (Sum; the error fraction on hover)"),
    ("latency", "ModelLatency per minute, in ms: average (solid) and p99 (dotted)"),
)


@dataclass(frozen=True)
class Headline:
    """The run in plain words: the outcome sentence, and blast radius, duration and cost."""

    outcome: str
    blast_radius: str
    duration: str
    cost: str

    @property
    def facts(self) -> str:
        return f"Blast radius: {self.blast_radius}. Duration: {self.duration}. Cost: {self.cost}."


def run_headline(record: RunRecord) -> Headline:
    """The header of a run report, in the words of :mod:`guardsim.reports.text`."""
    rows = dict(summary_rows(record))
    return Headline(
        outcome=summary_headline(record),
        blast_radius=rows["blast radius"],
        duration=rows["deployment duration"],
        cost=rows["cost"],
    )


def run_title(record: RunRecord) -> str:
    """A one-line title: scenario, seed and mode."""
    return f"{record.scenario} (seed {record.seed}, {record.mode} mode)"


def _minutes(values: Sequence[float | None]) -> list[float | None]:
    return [None if v is None else v / 60.0 for v in values]


def _wrap(text: str, width: int = 110) -> str:
    """Escape for Plotly's pseudo-HTML and break long lines (hover labels do not wrap)."""
    return "<br>".join(html.escape(line, quote=False) for line in textwrap.wrap(text, width))


def _delay(t: float, published: float | None, period: float) -> str:
    return "?" if published is None else f"{published - (t + period):.0f}"


class _Builder:
    """Builds the run figure panel by panel (the figure is the only state it keeps)."""

    def __init__(self, record: RunRecord) -> None:
        self.record = record
        self.start, self.end = time_span(record)
        self.table = DatapointTable(record)
        every: list[Mapping[str, Any]] = list(record.scenario_definition.get("alarms", []) or [])
        #: metric alarms, and composite alarms (entries with AlarmRule), each with their panels
        self.alarms = [a for a in every if "AlarmRule" not in a]
        self.composites = [a for a in every if "AlarmRule" in a]
        self.panels: list[tuple[str, str]] = list(PANELS)
        bands = _bands(record, self.alarms)
        self.rules = [
            AlarmRule.from_kwargs(alarm, band=bands.get(str(alarm.get("AlarmName"))))
            for alarm in self.alarms
        ]
        for i, (alarm, rule) in enumerate(zip(self.alarms, self.rules, strict=True), 1):
            self.panels.append((f"alarm{i}", self._alarm_title(alarm, rule)))
        for i, alarm in enumerate(self.composites, 1):
            title = (
                f"Composite alarm {alarm.get('AlarmName', '?')}: ALARM when {alarm['AlarmRule']}"
            )
            self.panels.append((f"composite{i}", _wrap(title, 100)))
        n = len(self.panels)
        self.labels = event_labels(record, self.start, self.end)
        rows = max(stagger_labels(self.labels), default=0) + 1
        # four lines of title and three rows of labels fit in _TOP_PX; more add their height
        head = run_headline(record)
        self.title_lines = [_wrap(head.outcome, _TITLE_CHARS), _wrap(head.facts, _FACTS_CHARS)]
        lines = 1 + sum(t.count("<br>") + 1 for t in self.title_lines)
        self.top = _TOP_PX + _LABEL_ROW_PX * max(0, rows - 3) + _TITLE_LINE_PX * max(0, lines - 4)
        self.height = self.top + _BOTTOM_PX + n * _ROW_PX + (n - 1) * _GAP_PX
        plot_px = self.height - self.top - _BOTTOM_PX
        self.fig = make_subplots(
            rows=n,
            cols=1,
            shared_xaxes=True,
            vertical_spacing=_GAP_PX / plot_px if n > 1 else 0.0,
            subplot_titles=[title for _, title in self.panels],
            specs=[
                [{"secondary_y": pid == "traffic" or pid.startswith("alarm")}]
                for pid, _ in self.panels
            ],
        )

    # -- helpers ------------------------------------------------------------------------------

    def _alarm_title(self, alarm: Mapping[str, Any], rule: AlarmRule) -> str:
        name = html.escape(str(alarm.get("AlarmName", "?")), quote=False)
        m, n = rule.datapoints_to_alarm, rule.evaluation_periods
        return f"Alarm {name}: ALARM when {m} of {n} datapoint(s) {_compared(rule)}"

    def _legend(self, row: int) -> str:
        return "legend" if row == 1 else f"legend{row}"

    def add(self, trace: go.Scatter | go.Bar, row: int, *, secondary: bool = False) -> None:
        trace.legend = self._legend(row)
        self.fig.add_trace(
            trace, row=row, col=1, secondary_y=secondary if self._has_secondary(row) else None
        )

    def _has_secondary(self, row: int) -> bool:
        pid = self.panels[row - 1][0]
        return pid == "traffic" or pid.startswith("alarm")

    def bands(
        self,
        intervals: Sequence[Interval],
        *,
        row: int,
        uid: str,
        name: str,
        colour: str | Sequence[str],
        meta: dict[str, Any],
        text: bool,
        opacity: float,
    ) -> None:
        """Intervals as bars spanning the panel's height, on its hidden secondary axis."""
        shown = [iv for iv in intervals if iv.end > iv.start]
        self.add(
            go.Bar(
                x=[(iv.start + iv.end) / 120.0 for iv in shown],
                y=[1.0] * len(shown),
                base=0.0,
                width=[(iv.end - iv.start) / 60.0 for iv in shown],
                marker={"color": colour, "line": {"width": 0}},
                opacity=opacity,
                text=[iv.label for iv in shown] if text else None,
                textposition="inside" if text else None,
                insidetextanchor="middle" if text else None,
                textangle=0 if text else None,
                customdata=[
                    [
                        iv.label,
                        format_seconds(iv.start),
                        format_seconds(iv.end),
                        _wrap(iv.reason),
                        iv.start,
                        iv.end,
                    ]
                    for iv in shown
                ],
                hovertemplate=(
                    "<b>%{customdata[0]}</b> from %{customdata[1]} to %{customdata[2]}"
                    "<br>%{customdata[3]}<extra></extra>"
                ),
                name=name,
                uid=uid,
                meta=meta,
            ),
            row,
            secondary=True,
        )

    def datapoints(
        self,
        series: Series,
        *,
        row: int,
        uid: str,
        name: str,
        meta: dict[str, Any],
        colour: str,
        scale: float = 1.0,
        dash: str = "solid",
        extra: Sequence[str] | None = None,
        value_format: str = ",.4~g",
        marker_colours: Sequence[str] | None = None,
        legendgroup: str | None = None,
        period: float = 60.0,
    ) -> None:
        """A per-period series at each period's start; the hover says when it was published.

        Where a period has no datapoint (no requests reached that fleet), the line breaks:
        CloudWatch has nothing there, not zero and not the neighbours' average.
        """
        xs: list[float | None] = []
        ys: list[float | None] = []
        custom: list[list[str]] = []
        colours: list[str] = []
        prev: float | None = None
        for k, (t, v, p) in enumerate(
            zip(series.t, series.value, series.published_at, strict=True)
        ):
            if prev is not None and t - prev > period:
                xs.append(None)
                ys.append(None)
                custom.append(["", "", "", ""])
                colours.append(colour)
            prev = t
            xs.append(t / 60.0)
            ys.append(None if v is None else v * scale)
            custom.append(
                [
                    format_seconds(t),
                    format_seconds(p),
                    _delay(t, p, period),
                    extra[k] if extra is not None else "",
                ]
            )
            colours.append(marker_colours[k] if marker_colours is not None else colour)
        what = "minute" if period == 60 else f"{period:g}-second period"
        self.add(
            go.Scatter(
                x=xs,
                y=ys,
                mode="lines+markers",
                line={"color": colour, "dash": dash, "width": 1.6},
                marker={"size": 5, "color": colours if marker_colours is not None else colour},
                customdata=custom,
                hovertemplate=(
                    f"<b>{html.escape(name, quote=False)}</b><br>"
                    f"{what} from %{{customdata[0]}}: %{{y:{value_format}}}%{{customdata[3]}}"
                    f"<br>published %{{customdata[1]}}, %{{customdata[2]}} s after the {what} ended"
                    "<extra></extra>"
                ),
                name=name,
                uid=uid,
                meta=meta,
                legendgroup=legendgroup,
                connectgaps=False,
            ),
            row,
        )

    # -- panels -------------------------------------------------------------------------------

    def traffic_panel(self, row: int) -> None:
        r = self.record
        phases = [iv for iv in phase_intervals(r, self.start, self.end) if iv.end > iv.start]
        self.bands(
            phases,
            row=row,
            uid="phases",
            name="deployment phases",
            colour=[PHASE_COLOURS.get(iv.label, "#eeeeee") for iv in phases],
            meta={"panel": "traffic", "kind": "phases"},
            text=True,
            opacity=0.55,
        )
        xs, ys = traffic_steps(r, self.end)
        rows = list(r.traffic) + ([r.traffic[-1]] if len(xs) > len(r.traffic) else [])
        self.add(
            go.Scatter(
                x=_minutes(xs),
                y=[100.0 * y for y in ys],
                mode="lines",
                line={"color": FLEET_COLOURS["green"], "shape": "hv", "width": 2.5},
                customdata=[
                    [format_seconds(t), row_["active_green"], row_["active_blue"]]
                    for t, row_ in zip(xs, rows, strict=True)
                ],
                hovertemplate=(
                    "<b>traffic to green</b><br>from %{customdata[0]}: %{y:.0f}% "
                    "(%{customdata[1]} green, %{customdata[2]} blue instance(s) active)"
                    "<extra></extra>"
                ),
                name="traffic to green (%)",
                uid="traffic-green",
                meta={"panel": "traffic", "kind": "traffic", "fleet": "green"},
            ),
            row,
        )
        events = self.events()
        self.add(
            go.Scatter(
                x=[t / 60.0 for t, _, _ in events],
                y=[106.0] * len(events),
                mode="markers",
                marker={"symbol": "triangle-down", "size": 11, "color": "#222222"},
                customdata=[[format_seconds(t), html.escape(what)] for t, _, what in events],
                hovertemplate="<b>%{customdata[1]}</b> at %{customdata[0]}<extra></extra>",
                name="deployment events",
                uid="events",
                meta={"panel": "traffic", "kind": "events", "events": [k for _, k, _ in events]},
            ),
            row,
        )
        self.fig.update_yaxes(
            title_text="% to green",
            range=[0, 112],
            tickvals=[0, 25, 50, 75, 100],
            row=row,
            col=1,
            secondary_y=False,
        )

    def events(self) -> list[tuple[float, str, str]]:
        """The moments marked on every panel: the call, detection, rollback, the end.

        Each as ``(t, short label, what happened)``.
        """
        return run_events(self.record)

    def invocations_panel(self, row: int) -> None:
        for dims in DIMENSION_SETS:
            if not self.table.has("Invocations", dims):
                continue
            self.datapoints(
                self.table.series("Invocations", dims, "Sum"),
                row=row,
                uid=f"invocations-{dims}",
                name=FLEET_NAMES[dims],
                meta={"panel": "invocations", "kind": "Invocations", "fleet": dims},
                colour=FLEET_COLOURS[dims],
                value_format=",.0f",
                legendgroup=dims,
            )
        self.fig.update_yaxes(title_text="requests / min", rangemode="tozero", row=row, col=1)

    def errors_panel(self, row: int) -> None:
        for metric, code, dash in (
            ("Invocation5XXErrors", "5XX", "solid"),
            ("Invocation4XXErrors", "4XX", "dash"),
        ):
            for dims in DIMENSION_SETS:
                if not self.table.has(metric, dims):
                    continue
                series = self.table.series(metric, dims, "Sum")
                fractions = [
                    f" ({100 * (v or 0.0) / n:.2f}% of {n:,.0f} requests)" if n else ""
                    for v, n in zip(series.value, series.sample_count, strict=True)
                ]
                self.datapoints(
                    series,
                    row=row,
                    uid=f"errors-{code}-{dims}",
                    name=f"{code}, {FLEET_NAMES[dims]}",
                    meta={"panel": "errors", "kind": metric, "fleet": dims},
                    colour=FLEET_COLOURS[dims],
                    dash=dash,
                    extra=fractions,
                    value_format=",.0f",
                    legendgroup=dims,
                )
        self.fig.update_yaxes(title_text="errors / min", rangemode="tozero", row=row, col=1)

    def latency_panel(self, row: int) -> None:
        for stat, kind, dash in (("Average", "average", "solid"), ("p99", "p99", "dot")):
            for dims in DIMENSION_SETS:
                if not self.table.has("ModelLatency", dims):
                    continue
                series = self.table.series("ModelLatency", dims, stat)
                counts = [f" from {n:,.0f} requests" for n in series.sample_count if n is not None]
                self.datapoints(
                    series,
                    row=row,
                    uid=f"latency-{kind}-{dims}",
                    name=f"{kind}, {FLEET_NAMES[dims]}",
                    meta={"panel": "latency", "kind": f"ModelLatency {stat}", "fleet": dims},
                    colour=FLEET_COLOURS[dims],
                    dash=dash,
                    scale=1e-3,  # CloudWatch's ModelLatency is in microseconds
                    extra=counts if len(counts) == len(series) else None,
                    value_format=",.2f",
                    legendgroup=dims,
                )
        self.fig.update_yaxes(title_text="ms", rangemode="tozero", row=row, col=1)

    def alarm_panel(self, row: int, index: int, alarm: Mapping[str, Any], rule: AlarmRule) -> None:
        name = str(alarm.get("AlarmName", "?"))
        pid = f"alarm{index}"
        got = alarm_series(self.record, alarm, self.table)
        intervals = alarm_state_intervals(self.record, name, self.start, self.end)
        for state in STATES:
            mine = [iv for iv in intervals if iv.label == state]
            if not mine:
                continue
            self.bands(
                mine,
                row=row,
                uid=f"{pid}-state-{state}",
                name=state,
                colour=STATE_COLOURS[state],
                meta={"panel": pid, "kind": "alarm-state", "alarm": name, "state": state},
                text=False,
                opacity=0.16,
            )
        # an anomaly alarm's band: a line per bound (guardsim's static band)
        bounds = rule.band if rule.band is not None else (rule.threshold,)
        text = html.escape(_compared(rule))
        for j, bound in enumerate(bounds):
            self.add(
                go.Scatter(
                    x=[self.start / 60.0, self.end / 60.0],
                    y=[bound, bound],
                    mode="lines",
                    line={"color": _BREACHING_COLOUR, "dash": "dash", "width": 1.5},
                    hovertemplate=(
                        f"<b>threshold</b>: breaching when the value {text} "
                        f"({rule.comparison_operator.value})<extra></extra>"
                    ),
                    name=f"threshold {_compared(rule)}",
                    uid=f"{pid}-threshold" + (f"-{j}" if j else ""),
                    meta={"panel": pid, "kind": "alarm-threshold", "alarm": name},
                    showlegend=j == 0,
                ),
                row,
            )
        series = got.series
        breaching = [v is not None and rule.breaches(v) for v in series.value]
        self.datapoints(
            series,
            row=row,
            uid=f"{pid}-datapoints",
            name=f"{got.label} (what the alarm read)",
            meta={"panel": pid, "kind": "alarm-datapoints", "alarm": name},
            colour="#444444",
            extra=[" (breaching)" if b else "" for b in breaching],
            marker_colours=[_BREACHING_COLOUR if b else "#444444" for b in breaching],
            period=float(rule.period),
        )
        # a real record does not know when a datapoint became visible: no such markers
        if any(p is not None for p in series.published_at):
            self.add(
                go.Scatter(
                    x=_minutes(series.published_at),
                    y=list(series.value),
                    mode="markers",
                    marker={"symbol": "circle-open", "size": 6, "color": "#999999"},
                    customdata=[
                        [format_seconds(p), format_seconds(t)]
                        for t, p in zip(series.t, series.published_at, strict=True)
                    ],
                    hovertemplate=(
                        "<b>published</b> at %{customdata[0]}: the minute from %{customdata[1]}, "
                        "%{y:,.4~g}<extra></extra>"
                    ),
                    name="when published",
                    uid=f"{pid}-published",
                    meta={"panel": pid, "kind": "alarm-published", "alarm": name},
                ),
                row,
            )
        evaluated = [
            e
            for e in self.record.alarm_evaluations
            if e["alarm"] == name and e["value"] is not None
        ]
        if evaluated:
            self.add(
                go.Scatter(
                    x=[e["t"] / 60.0 for e in evaluated],
                    y=[e["value"] for e in evaluated],
                    mode="markers",
                    marker={"symbol": "x-thin-open", "size": 8, "color": "#000000"},
                    customdata=[[format_seconds(e["t"]), e["state"]] for e in evaluated],
                    hovertemplate=(
                        "<b>evaluated</b> at %{customdata[0]}: newest datapoint %{y:,.4~g}, "
                        "state %{customdata[1]}<extra></extra>"
                    ),
                    name="newest value at evaluation",
                    uid=f"{pid}-evaluations",
                    meta={"panel": pid, "kind": "alarm-evaluations", "alarm": name},
                ),
                row,
            )
        unit = f" ({got.unit})" if got.unit else ""
        self.fig.update_yaxes(
            title_text=_wrap(got.label + unit, 28), row=row, col=1, secondary_y=False
        )
        if got.note:
            self.fig.add_annotation(
                text=_wrap(got.note, 120),
                xref="x domain",
                yref="y domain",
                x=0.5,
                y=0.5,
                showarrow=False,
                font={"size": 11, "color": "#666666"},
                row=row,
                col=1,
            )

    def composite_panel(self, row: int, index: int, alarm: Mapping[str, Any]) -> None:
        """The composite's states on the top lane, each child's on a lane below it (children
        in the order the rule first names them), the reason of each state on hover."""
        from guardsim.cloudwatch.composite import parse_rule

        name = str(alarm.get("AlarmName", "?"))
        pid = f"composite{index}"
        lanes = [name, *parse_rule(str(alarm["AlarmRule"])).children]
        for k, lane in enumerate(lanes):
            y = len(lanes) - 1 - k  # the composite on top
            intervals = [
                iv
                for iv in alarm_state_intervals(self.record, lane, self.start, self.end)
                if iv.end > iv.start
            ]
            for state in STATES:
                mine = [iv for iv in intervals if iv.label == state]
                if not mine:
                    continue
                self.add(
                    go.Bar(
                        x=[(iv.start + iv.end) / 120.0 for iv in mine],
                        y=[0.8] * len(mine),
                        base=[y - 0.4] * len(mine),
                        width=[(iv.end - iv.start) / 60.0 for iv in mine],
                        marker={"color": STATE_COLOURS[state], "line": {"width": 0}},
                        opacity=0.6 if k == 0 else 0.35,
                        customdata=[
                            [
                                lane,
                                state,
                                format_seconds(iv.start),
                                format_seconds(iv.end),
                                _wrap(iv.reason),
                            ]
                            for iv in mine
                        ],
                        hovertemplate=(
                            "<b>%{customdata[0]}</b> %{customdata[1]} from %{customdata[2]} to "
                            "%{customdata[3]}<br>%{customdata[4]}<extra></extra>"
                        ),
                        name=f"{lane}: {state}",
                        showlegend=False,
                        uid=f"{pid}-lane{k}-state-{state}",
                        meta={
                            "panel": pid,
                            "kind": "composite-state" if k == 0 else "child-state",
                            "alarm": lane,
                            "state": state,
                        },
                    ),
                    row,
                )
        self.fig.update_yaxes(
            tickmode="array",
            tickvals=list(range(len(lanes))),
            ticktext=[_wrap(n, 28) for n in reversed(lanes)],
            range=[-0.6, len(lanes) - 0.4],
            fixedrange=True,
            row=row,
            col=1,
        )

    # -- the whole figure ---------------------------------------------------------------------

    def build(self) -> go.Figure:
        fig = self.fig
        for row, (pid, _) in enumerate(self.panels, 1):
            if pid == "traffic":
                self.traffic_panel(row)
            elif pid == "invocations":
                self.invocations_panel(row)
            elif pid == "errors":
                self.errors_panel(row)
            elif pid == "latency":
                self.latency_panel(row)
            elif pid.startswith("composite"):
                k = int(pid.removeprefix("composite"))
                self.composite_panel(row, k, self.composites[k - 1])
            else:
                k = int(pid.removeprefix("alarm"))
                self.alarm_panel(row, k, self.alarms[k - 1], self.rules[k - 1])
            if self._has_secondary(row):
                fig.update_yaxes(
                    range=[0, 1],
                    visible=False,
                    fixedrange=True,
                    row=row,
                    col=1,
                    secondary_y=True,
                )
        self.legends()
        self.markers()
        fig.update_layout(
            title={
                "text": (
                    f"<b>{html.escape(run_title(self.record), quote=False)}</b><br>"
                    f"{self.title_lines[0]}<br>"
                    f"<span style='font-size:13px'>{self.title_lines[1]}</span>"
                ),
                "x": 0.01,
                "xanchor": "left",
                "y": 1.0 - 28 / self.height,
                "yanchor": "top",
                "font": {"size": 15},
            },
            height=self.height,
            margin={"t": self.top, "b": _BOTTOM_PX, "l": 80, "r": 260},
            barmode="overlay",
            bargap=0,
            hovermode="closest",
            uniformtext={"minsize": 9, "mode": "hide"},
            plot_bgcolor="#ffffff",
            paper_bgcolor="#ffffff",
            meta={
                "guardsim": "run-report",
                "scenario": self.record.scenario,
                "seed": self.record.seed,
                "outcome": self.record.outcome,
                "panels": [pid for pid, _ in self.panels],
            },
        )
        fig.update_xaxes(
            range=[self.start / 60.0, self.end / 60.0],
            showticklabels=True,  # every panel: a tall figure scrolls past the bottom axis
            showgrid=True,
            gridcolor="#eeeeee",
            zeroline=False,
        )
        fig.update_yaxes(showgrid=True, gridcolor="#eeeeee", zeroline=False)
        fig.update_xaxes(
            title_text="minutes after the UpdateEndpoint call (before 0: the warm-up)",
            row=len(self.panels),
            col=1,
        )
        return fig

    def legends(self) -> None:
        layout: dict[str, Any] = {}
        for row in range(1, len(self.panels) + 1):
            axis = self.fig.get_subplot(row, 1).yaxis
            top = axis.domain[1] if axis.domain else 1.0
            layout[self._legend(row)] = {
                "x": 1.01,
                "xanchor": "left",
                "y": top,
                "yanchor": "top",
                "font": {"size": 11},
                "tracegroupgap": 2,
                "bgcolor": "rgba(255,255,255,0)",
            }
        self.fig.update_layout(layout)

    def markers(self) -> None:
        """Vertical lines through every panel for the call, detection and the rollback, each
        labelled above the top panel; labels that would touch go on rows of their own."""
        for label, row in zip(self.labels, stagger_labels(self.labels), strict=True):
            colour = "#d62728" if label.rollback else "#555555"
            self.fig.add_shape(
                type="line",
                xref="x",
                yref="paper",
                x0=label.t / 60.0,
                x1=label.t / 60.0,
                y0=0.0,
                y1=1.0,
                line={"color": colour, "width": 1, "dash": "dot"},
                layer="above",
            )
            self.fig.add_annotation(
                x=label.t / 60.0,
                xref="x",
                y=1.0,
                yref="paper",
                yanchor="bottom",
                yshift=_LABEL_BASE_PX + _LABEL_ROW_PX * row,
                text=html.escape(label.text, quote=False),
                showarrow=False,
                font={"size": _LABEL_FONT_PX, "color": colour},
                name="event-label",
            )


@dataclass(frozen=True)
class EventLabel:
    """One label over the time axis: at ``t`` seconds, as a fraction ``x`` of the axis."""

    t: float
    x: float
    text: str
    rollback: bool


#: Event labels: font size, the gap above the plot (clear of the top panel's title), the
#: height of a row of labels, and the narrowest plot area (px) at which labels are guaranteed
#: not to touch: a 900 px wide window leaves about 400 px between the axis titles and the
#: legends; a wider plot only moves labels further apart.
_LABEL_FONT_PX = 10
_LABEL_BASE_PX = 24
_LABEL_ROW_PX = 14
LABEL_MIN_PLOT_PX = 360
#: An upper bound on the width of one character of a label (Plotly's default font at 10 px
#: averages under 6 px), and the space kept between two labels on one row.
_LABEL_CHAR_PX = 6.5
_LABEL_GAP_PX = 8.0


def event_labels(record: RunRecord, start: float, end: float) -> list[EventLabel]:
    """The run's events (:func:`run_events`) as labels, one per moment, in time order."""
    by_time: dict[float, list[str]] = {}
    for t, short, _ in run_events(record):
        by_time.setdefault(t, []).append(short)
    span = max(end - start, 1e-9)
    return [
        EventLabel(
            t=t,
            x=(t - start) / span,
            text=" · ".join(dict.fromkeys(whats)),
            rollback=any(w in ("detected", "rollback started", "rollback ended") for w in whats),
        )
        for t, whats in sorted(by_time.items())
    ]


def stagger_labels(labels: Sequence[EventLabel], plot_px: float = LABEL_MIN_PLOT_PX) -> list[int]:
    """The row of each label (0: nearest the plot), so that no two labels on one row overlap
    in a plot ``plot_px`` wide or wider: each goes on the lowest row where it clears every
    label already there. Labels are centred on their time."""
    placed: list[list[tuple[float, float]]] = []  # per row: (centre px, half width px)
    rows: list[int] = []
    for label in labels:
        centre = label.x * plot_px
        half = len(label.text) * _LABEL_CHAR_PX / 2.0
        for row, others in enumerate(placed):
            if all(abs(centre - c) >= half + h + _LABEL_GAP_PX for c, h in others):
                others.append((centre, half))
                rows.append(row)
                break
        else:
            placed.append([(centre, half)])
            rows.append(len(placed) - 1)
    return rows


def run_events(record: RunRecord) -> list[tuple[float, str, str]]:
    """The moments a run report marks, ``(t, short label, what happened)``, in time order."""
    s = record.summary
    marks: list[tuple[float | None, str, str]] = [
        (0.0, "UpdateEndpoint", "UpdateEndpoint called"),
        (s.detected_at_seconds, "detected", "SageMaker saw a rollback alarm tripped"),
        (s.rollback_started_seconds, "rollback started", "rollback started"),
        (
            s.rollback_completed_seconds,
            "rollback ended",
            "rollback completed: all traffic back on the old config",
        ),
        (s.deployment_seconds, "done", f"deployment over: {record.outcome}"),
    ]
    out = [(t, short, what) for t, short, what in marks if t is not None]
    return sorted(out, key=lambda e: e[0])


def run_figure(record: RunRecord) -> go.Figure:
    """The run report's figure: every panel of one deployment on a shared time axis.

    A pure function of ``record`` (a saved record works as well as a fresh one). Needs only
    Plotly; :func:`guardsim.reports.html.write_html` and ``write_png`` write it out.
    """
    return _Builder(record).build()


def run_header(record: RunRecord) -> Html:
    """The report's header: the outcome in plain words, then every number of the summary."""
    head = run_headline(record)
    description = str(record.scenario_definition.get("description") or "").strip()
    rows = "".join(
        f"<tr><th>{html.escape(k)}</th><td>{html.escape(v)}</td></tr>"
        for k, v in summary_rows(record)
    )
    notes = "".join(f'<p class="notes">{html.escape(n)}</p>' for n in record.notes)
    about = f"<p>{html.escape(description)}</p>" if description else ""
    return Html(
        '<header id="guardsim-header">'
        f"<h1>Run report: {html.escape(record.scenario)}</h1>"
        f'<p class="meta">seed {record.seed}, {html.escape(record.mode)} mode, '
        f"guardsim {html.escape(record.guardsim_version)}; times are minutes after the "
        "UpdateEndpoint call</p>"
        f'<p class="outcome {html.escape(record.outcome)}">{html.escape(head.outcome)}</p>'
        f'<p class="facts">{html.escape(head.facts)}</p>'
        f'<table class="summary">{rows}</table>{notes}'
        "<details><summary>About this scenario, and how to read the figure</summary>"
        f"{about}<p>{_HOW_TO_READ}</p></details>"
        "</header>"
    )


_HOW_TO_READ = html.escape(
    "Every panel shares the time axis. The top panel shows the share of traffic on the new "
    "(green) fleet over the deployment's phases. The metric panels show the per-minute "
    "datapoints SageMaker published to CloudWatch, at the start of their minute; hover a point "
    "for when it was published (an alarm sees a minute only after that). Each alarm panel "
    "shows the datapoints that alarm read, its threshold, and its state as coloured bands "
    "(green OK, red ALARM, grey INSUFFICIENT_DATA; hover for CloudWatch's reason). Dotted "
    "vertical lines mark the UpdateEndpoint call, detection, the rollback and the end."
)


def run_report_sections(record: RunRecord) -> list[Section]:
    """The run report's page: the header, then the figure."""
    return [run_header(record), run_figure(record)]


def write_run_report(
    record: RunRecord,
    *,
    html_path: str | Path | None = None,
    png_path: str | Path | None = None,
    plotly_js: str = "inline",
) -> None:
    """Write the run report as HTML and/or PNG (builds the figure once); ``plotly_js`` as for
    :func:`~guardsim.reports.html.write_html` (inline: standalone, works offline)."""
    figure = run_figure(record)
    if html_path is not None:
        write_html(
            [run_header(record), figure],
            html_path,
            title=f"guardsim run report: {run_title(record)}",
            plotly_js=plotly_js,
        )
    if png_path is not None:
        write_png(figure, png_path)


__all__ = [
    "LABEL_MIN_PLOT_PX",
    "PANELS",
    "EventLabel",
    "Headline",
    "event_labels",
    "run_events",
    "run_figure",
    "run_header",
    "run_headline",
    "run_report_sections",
    "run_title",
    "stagger_labels",
    "write_run_report",
]


def _compared(rule: AlarmRule) -> str:
    """``>= 10000``, or ``is outside the band [3100.0, 3760.0]`` for an anomaly alarm."""
    if rule.band is not None:
        return f"is {rule.threshold_text}"
    return f"{rule.comparison_operator.symbol} {rule.threshold:g}"


def _bands(record: RunRecord, alarms: list[Mapping[str, Any]]) -> dict[str, tuple[float, float]]:
    """The anomaly alarms' bands of the record's scenario, as its run computed them
    (:func:`guardsim.model.anomaly.anomaly_bands`); none when it has no anomaly alarm."""
    from guardsim.cloudwatch.anomaly import is_anomaly_alarm

    if not any(is_anomaly_alarm(a) for a in alarms):
        return {}
    from guardsim.model.anomaly import anomaly_bands
    from guardsim.scenarios import scenario_from_dict
    from guardsim.scenarios.traffic import read_replay

    scenario = scenario_from_dict(dict(record.scenario_definition))
    replay_file = scenario.traffic.replay_file
    replay = read_replay(Path(replay_file))[0] if replay_file is not None else None
    return anomaly_bands(scenario, replay)
