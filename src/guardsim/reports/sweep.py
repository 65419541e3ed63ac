"""The sweep report: a sweep table over two swept settings, and the trade-offs between them.

:func:`sweep_figure` is a pure function of a sweep table (one row per configuration, see
:mod:`guardsim.montecarlo.sweep`) and, optionally, a
:class:`~guardsim.montecarlo.recommend.Recommendation` of it. ``x`` and ``y`` name two swept
columns (``y`` may be None for a one-dimensional sweep).

**With a fault split** (``bad`` and ``healthy`` conditions, as for
:func:`~guardsim.montecarlo.recommend.recommend`, or taken from ``recommendation``), every
configuration has a bad-model row and a healthy-model row, and the figure has four panels:

1. **rollback**: heatmap of the bad model's ``p_rollback`` (how often the guardrail catches it);
2. **false-rollback**: heatmap of the healthy model's ``p_rollback`` (a rollback of a good model);
3. **blast-radius**: heatmap of the bad model's ``green_errors_mean`` (expected blast radius);
4. **pareto**: blast radius against (healthy) deployment time, coloured by false-rollback rate:
   every configuration, the Pareto front (no configuration better on all three at once) joined
   by a line, and the recommended configuration as a star with an annotation.

**Without a fault split** (a sweep of one model), three heatmaps: ``p_rollback``,
``green_errors_mean`` and ``deployment_seconds_mean``; a false rollback cannot be told from a
caught bad model there, so there is no Pareto panel.

The recommended configuration (if any) is also marked on every heatmap. The other swept
columns (neither ``x``, ``y`` nor a fault column) must take a single value in the table: filter
the table first otherwise (:class:`~guardsim.errors.ReportError` says which).

Traces have stable ``uid`` s (``heatmap-rollback``, ``heatmap-false-rollback``,
``heatmap-blast-radius``, ``heatmap-p-rollback``, ``heatmap-duration``, ``pareto-all``,
``pareto-front``, ``recommended``, ``recommended-<panel>``) and ``meta`` dicts (``panel``,
``kind``).
"""

from __future__ import annotations

import html
import math
import textwrap
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import plotly.graph_objects as go
from plotly.subplots import make_subplots

from guardsim.errors import RecommendError, ReportError
from guardsim.reports.html import Html, Section, write_html, write_png

if TYPE_CHECKING:  # pandas is imported where a sweep table is read: `guardsim.reports` stays light
    import pandas as pd

    from guardsim.montecarlo.recommend import Recommendation
    from guardsim.scenarios.scenario import Scenario

#: Heatmap panels: (panel id, title, colourbar title, value format, colourscale).
_SPLIT_HEATMAPS = (
    ("rollback", "Bad model: rollback probability", "P(rollback)", ".0%", "Reds"),
    ("false-rollback", "Healthy model: false-rollback probability", "P(false)", ".0%", "Oranges"),
    ("blast-radius", "Bad model: expected blast radius (errors)", "errors", ",.0f", "Purples"),
)
_PLAIN_HEATMAPS = (
    ("p-rollback", "Rollback probability", "P(rollback)", ".0%", "Reds"),
    ("blast-radius", "Expected blast radius (green errors)", "errors", ",.0f", "Purples"),
    ("duration", "Mean deployment time (minutes)", "minutes", ".1f", "Blues"),
)
_STAR = "#ffd700"
#: The recommended cell of a heatmap: an open square around its value, which stays readable.
_CELL_MARK = "#000000"

#: Capacity sizes whose ``Value`` is read per their ``Type`` (CapacitySize:
#: https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_CapacitySize.html).
_CAPACITY_UNITS = {"INSTANCE_COUNT": "instances", "CAPACITY_PERCENT": "% of instances"}


def _label(column: str) -> str:
    """The name of a swept setting, for axis titles and hover: the field, not a generic last
    part (``...CanarySize.Value`` -> ``CanarySize``; ``alarms[1].Threshold`` stays whole, since
    "Threshold" alone does not say which alarm)."""
    parts = column.split(".")
    if len(parts) > 1 and parts[-1] == "Value":
        parts = parts[:-1]
    if len(parts) > 1 and parts[-2].endswith("]"):
        return ".".join(parts[-2:])
    return parts[-1]


def _capacity_type(column: str, table: pd.DataFrame, scenario: Scenario | None) -> str | None:
    """The ``Type`` beside a swept ``CapacitySize.Value``: from the table if it is a swept
    column with one value, else from the scenario, else unknown."""
    sibling = column.removesuffix(".Value") + ".Type"
    if sibling in table.columns:
        values = table[sibling].astype(str).unique().tolist()
        return values[0] if len(values) == 1 else None
    if scenario is None:
        return None
    from guardsim.errors import GuardsimError
    from guardsim.montecarlo.grid import Vary, locate

    try:
        node, key, _ = locate(scenario.to_dict(), Vary(sibling, ("?",)))
        value = node[key]
    except (GuardsimError, KeyError, IndexError, TypeError):
        return None
    return str(value)


def setting_title(column: str, table: pd.DataFrame, scenario: Scenario | None = None) -> str:
    """An axis title that names the swept setting, with its unit where guardsim knows it."""
    name = _label(column)
    field_name = name.rsplit(".", 1)[-1]
    unit = ""
    if column.endswith(".Value") and field_name.endswith(("Size", "BatchSize")):
        kind = _capacity_type(column, table, scenario)
        unit = _CAPACITY_UNITS.get(kind or "", "instances or % of instances, per its Type")
    elif field_name.endswith("Seconds") or field_name == "Period":
        unit = "seconds"
    elif field_name.startswith("error_rate"):
        unit = "fraction of requests"
    return f"{name} ({unit})" if unit else name


def percent(value: float, *, against: Sequence[float] = (), digits: int = 1) -> str:
    """``value`` (a probability) as a percentage with at least ``digits`` decimals and two
    significant digits, and more (up to 4 decimals) while it would print the same as a
    different number in ``against`` (a limit, the other end of an interval): 0.0095 is
    ``0.95%`` (not ``1.0%``, which reads as a tie with a 1% limit)."""
    shown = abs(100 * value)
    if 0 < shown < 1:
        digits = max(digits, 1 - math.floor(math.log10(shown)))
    for d in range(min(digits, 4), 5):
        text = f"{100 * value:.{d}f}%"
        if all(text != f"{100 * a:.{d}f}%" for a in against if a != value):
            return text
    return f"{100 * value:.4f}%"


def percent_ticks(top: float, n: int = 5) -> tuple[list[float], list[str]]:
    """Colour-bar ticks from 0 to ``top`` (a probability): round steps, each label distinct."""
    raw = max(top, 1e-6) / (n - 1)
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    values = [k * step for k in range(n + 1) if k * step <= top * (1 + 1e-9)]
    for d in range(0, 6):
        texts = [f"{100 * v:.{d}f}%" for v in values]
        if len(set(texts)) == len(texts):
            return values, texts
    return values, [f"{100 * v:g}%" for v in values]


def _text(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "null"
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return str(value)


def _categories(column: pd.Series) -> list[str]:
    """The column's values as category labels, in grid order (first appearance)."""
    return list(dict.fromkeys(_text(v) for v in column.tolist()))


def _rows(table: pd.DataFrame, condition: Mapping[str, Any]) -> pd.DataFrame:
    """The rows matching every ``{column: value}`` (numbers numerically, as recommend does)."""
    from guardsim.montecarlo.recommend import column_matches

    keep = [True] * len(table)
    for col, value in condition.items():
        hit = column_matches(table[col], value).tolist()
        keep = [a and bool(b) for a, b in zip(keep, hit, strict=True)]
    return table[keep]


def _check(table: pd.DataFrame, x: str, y: str | None, faults: Sequence[str]) -> tuple[str, ...]:
    from guardsim.montecarlo.recommend import config_columns

    configs = config_columns(table, faults)
    for axis, col in (("x", x), ("y", y)):
        if col is None:
            continue
        if col not in table.columns:
            raise ReportError(
                f"sweep report: {axis}={col!r} is not a column of the table; swept columns: "
                f"{', '.join(configs) or '(none)'}"
            )
        if col in faults:
            raise ReportError(f"sweep report: {axis}={col!r} is a fault (bad/healthy) column")
    if y is not None and y == x:
        raise ReportError(f"sweep report: x and y are the same column {x!r}")
    others = [c for c in configs if c not in (x, y)]
    varying = [c for c in others if table[c].astype(str).nunique() > 1]
    if varying:
        raise ReportError(
            "sweep report: these swept columns take several values but are not on an axis: "
            f"{', '.join(varying)}; filter the table to one value of each first"
        )
    return configs


def _grid(
    rows: pd.DataFrame, x: str, y: str | None, xs: list[str], ys: list[str], column: str
) -> list[list[float | None]]:
    z: list[list[float | None]] = [[None] * len(xs) for _ in ys]
    for _, row in rows.iterrows():
        i = ys.index(_text(row[y])) if y is not None else 0
        j = xs.index(_text(row[x]))
        v = row[column]
        z[i][j] = None if v is None or (isinstance(v, float) and math.isnan(v)) else float(v)
    return z


def _best_cell(
    recommendation: Recommendation | None, x: str, y: str | None
) -> tuple[str, str] | None:
    if recommendation is None or recommendation.best is None:
        return None
    best = recommendation.best
    if x not in best or (y is not None and y not in best):
        return None
    return _text(best[x]), (_text(best[y]) if y is not None else "")


def _describe(best: Mapping[str, Any], columns: Sequence[str]) -> str:
    return ", ".join(f"{_label(c)}={_text(best[c])}" for c in columns) or "the only one"


def sweep_figure(
    table: pd.DataFrame,
    *,
    x: str,
    y: str | None = None,
    recommendation: Recommendation | None = None,
    bad: Mapping[str, Any] | None = None,
    healthy: Mapping[str, Any] | None = None,
    scenario: Scenario | None = None,
) -> go.Figure:
    """The sweep figure: heatmaps over ``x`` and ``y``, and the Pareto front (see the module
    docstring). Pure: reads ``table`` (and ``recommendation``) only; ``scenario``, the swept
    one, only tells the unit of a swept capacity size (instances or percent).

    ``bad`` / ``healthy`` default to the recommendation's conditions; given without a
    recommendation, the Pareto front comes from :func:`~guardsim.montecarlo.recommend.recommend`
    with no limits (so nothing is highlighted as recommended).
    """
    from guardsim.montecarlo.recommend import recommend

    if recommendation is not None:
        bad = recommendation.bad if bad is None else bad
        healthy = recommendation.healthy if healthy is None else healthy
    split = bool(bad) and bool(healthy)
    if bool(bad) != bool(healthy):
        raise ReportError("sweep report: give both bad and healthy conditions, or neither")
    faults = list(dict.fromkeys([*(bad or {}), *(healthy or {})]))
    for fault in faults:
        if fault not in table.columns:
            raise ReportError(f"sweep report: the table has no fault column {fault!r}")
    if table.empty:
        raise ReportError("sweep report: the sweep table has no rows")
    _check(table, x, y, faults)
    rec = recommendation
    if split and rec is None:
        try:
            rec = recommend(table, bad=dict(bad or {}), healthy=dict(healthy or {}))
        except RecommendError as exc:
            raise ReportError(f"sweep report: {exc}") from None
        highlight = None
    else:
        highlight = rec
    xs = _categories(table[x])
    ys = _categories(table[y]) if y is not None else [""]
    x_title = setting_title(x, table, scenario)
    y_title = setting_title(y, table, scenario) if y is not None else ""

    if split:
        bad_rows, healthy_rows = _rows(table, bad or {}), _rows(table, healthy or {})
        heatmaps = [
            (spec, rows, col)
            for spec, rows, col in zip(
                _SPLIT_HEATMAPS,
                (bad_rows, healthy_rows, bad_rows),
                ("p_rollback", "p_rollback", "green_errors_mean"),
                strict=True,
            )
        ]
        titles = [spec[1] for spec, _, _ in heatmaps] + [
            "Pareto front: blast radius vs deployment time<br>(colour: false-rollback rate)"
        ]
        fig = make_subplots(
            rows=2,
            cols=2,
            subplot_titles=titles,
            vertical_spacing=0.16,
            # room for a colour bar and the next panel's tick labels in a 900 px window
            horizontal_spacing=0.2,
        )
        cells = [(1, 1), (1, 2), (2, 1)]
        panels = [spec[0] for spec in _SPLIT_HEATMAPS] + ["pareto"]
        height = 980
    else:
        heatmaps = [
            (spec, table, col)
            for spec, col in zip(
                _PLAIN_HEATMAPS,
                ("p_rollback", "green_errors_mean", "deployment_seconds_mean"),
                strict=True,
            )
        ]
        fig = make_subplots(
            rows=1,
            cols=3,
            subplot_titles=[spec[1] for spec, _, _ in heatmaps],
            horizontal_spacing=0.14,
        )
        cells = [(1, 1), (1, 2), (1, 3)]
        panels = [spec[0] for spec in _PLAIN_HEATMAPS]
        height = 520

    best_cell = _best_cell(highlight, x, y)
    for (spec, rows, column), (row, col) in zip(heatmaps, cells, strict=True):
        panel, _, bar_title, fmt, scale = spec
        z = _grid(rows, x, y, xs, ys, column)
        if column == "deployment_seconds_mean":
            z = [[None if v is None else v / 60.0 for v in line] for line in z]
        sub = fig.get_subplot(row, col)
        x1 = sub.xaxis.domain[1]
        y0, y1 = sub.yaxis.domain
        fig.add_trace(
            go.Heatmap(
                x=xs,
                y=ys,
                z=z,
                colorscale=scale,
                zmin=0.0 if fmt == ".0%" else None,
                zmax=1.0 if fmt == ".0%" else None,
                texttemplate=f"%{{z:{fmt}}}",
                hovertemplate=(
                    f"{html.escape(_label(x))} = %{{x}}"
                    + (f"<br>{html.escape(_label(y))} = %{{y}}" if y is not None else "")
                    + f"<br>{html.escape(bar_title)}: %{{z:{fmt}}}<extra></extra>"
                ),
                colorbar={
                    "title": {"text": bar_title, "side": "right"},
                    "x": x1 + 0.005,
                    "xanchor": "left",
                    "y": (y0 + y1) / 2,
                    "len": (y1 - y0),
                    "thickness": 12,
                    "tickformat": fmt if fmt.endswith("%") else None,
                },
                name=bar_title,
                uid=f"heatmap-{panel}",
                meta={"panel": panel, "kind": "heatmap", "column": column},
            ),
            row=row,
            col=col,
        )
        fig.update_xaxes(title_text=html.escape(x_title), type="category", row=row, col=col)
        fig.update_yaxes(
            # the y title once per row: the panels of a row share it, and it needs the room
            title_text=html.escape(y_title) if col == 1 else "",
            type="category",
            row=row,
            col=col,
        )
        if best_cell is not None:
            fig.add_trace(
                go.Scatter(
                    x=[best_cell[0]],
                    y=[best_cell[1]],
                    mode="markers",
                    # an open square around the cell's value: marks it, hides nothing
                    marker={
                        "symbol": "square-open",
                        "size": 46,
                        "color": _CELL_MARK,
                        "line": {"width": 3},
                    },
                    hovertemplate="<b>recommended configuration</b><extra></extra>",
                    name="recommended",
                    uid=f"recommended-{panel}",
                    meta={"panel": panel, "kind": "recommended"},
                    showlegend=False,
                ),
                row=row,
                col=col,
            )

    if split and rec is not None:
        _pareto_panel(fig, rec, highlight)

    title = "<b>Sweep report</b>"
    if highlight is not None and highlight.best is not None:
        # wrapped: a Plotly title does not wrap on its own, and must fit a 900 px window
        text = "recommended: " + _describe(highlight.best, highlight.config_columns)
        title += (
            "<br><span style='font-size:13px'>"
            + "<br>".join(html.escape(line, quote=False) for line in textwrap.wrap(text, 100))
            + "</span>"
        )
    fig.update_layout(
        title={"text": title, "x": 0.01, "xanchor": "left"},
        height=height,
        margin={"t": 120, "b": 70, "l": 80, "r": 90},
        plot_bgcolor="#ffffff",
        paper_bgcolor="#ffffff",
        showlegend=False,
        meta={
            "guardsim": "sweep-report",
            "x": x,
            "y": y,
            "panels": panels,
            "split": split,
            "recommended": None
            if highlight is None or highlight.best is None
            else {c: _text(highlight.best[c]) for c in highlight.config_columns},
        },
    )
    return fig


def _pareto_panel(
    fig: go.Figure,
    rec: Recommendation,
    highlight: Recommendation | None,
) -> None:
    cand = rec.candidates
    columns = rec.config_columns

    def labels(frame: pd.DataFrame) -> list[str]:
        return [
            html.escape(", ".join(f"{_label(c)}={_text(r[c])}" for c in columns) or "-")
            for _, r in frame.iterrows()
        ]

    limit = [] if rec.max_false_rollback is None else [rec.max_false_rollback]

    def custom(frame: pd.DataFrame) -> list[list[Any]]:
        return [
            [
                lab,
                percent(fr, against=limit),
                f"{percent(lo, against=[hi, *limit])} to {percent(hi, against=[lo, *limit])}",
                "yes" if ok else "no",
            ]
            for lab, fr, lo, hi, ok in zip(
                labels(frame),
                frame["false_rollback"],
                frame["false_rollback_low"],
                frame["false_rollback_high"],
                frame["feasible"],
                strict=True,
            )
        ]

    hover = (
        "<b>%{customdata[0]}</b><br>blast radius %{y:,.1f} errors<br>"
        "deployment time %{x:.1f} min<br>false rollback %{customdata[1]} "
        "(95% CI %{customdata[2]})<br>within the limits: %{customdata[3]}<extra></extra>"
    )
    fmax = max(float(cand["false_rollback"].max()), 0.01)
    tickvals, ticktext = percent_ticks(fmax)
    fig.add_trace(
        go.Scatter(
            x=(cand["deployment_seconds"] / 60.0).tolist(),
            y=cand["blast_radius"].tolist(),
            mode="markers",
            marker={
                "size": 9,
                "color": cand["false_rollback"].tolist(),
                "colorscale": "Oranges",
                "cmin": 0.0,
                "cmax": fmax,
                "opacity": 0.45,
                "line": {"color": "#888888", "width": 0.5},
            },
            customdata=custom(cand),
            hovertemplate=hover,
            name="every configuration",
            uid="pareto-all",
            meta={"panel": "pareto", "kind": "candidates"},
        ),
        row=2,
        col=2,
    )
    front = rec.pareto.sort_values("deployment_seconds", kind="stable")
    sub = fig.get_subplot(2, 2)
    x1 = sub.xaxis.domain[1]
    y0, y1 = sub.yaxis.domain
    fig.add_trace(
        go.Scatter(
            x=(front["deployment_seconds"] / 60.0).tolist(),
            y=front["blast_radius"].tolist(),
            mode="lines+markers",
            line={"color": "#555555", "width": 1, "dash": "dot"},
            marker={
                "size": 13,
                "color": front["false_rollback"].tolist(),
                "colorscale": "Oranges",
                "cmin": 0.0,
                "cmax": fmax,
                "line": {"color": "#000000", "width": 1},
                "colorbar": {
                    "title": {"text": "false rollback", "side": "right"},
                    "x": x1 + 0.005,
                    "xanchor": "left",
                    "y": (y0 + y1) / 2,
                    "len": y1 - y0,
                    "thickness": 12,
                    "tickvals": tickvals,
                    "ticktext": ticktext,
                },
            },
            customdata=custom(front),
            hovertemplate=hover,
            name="Pareto front",
            uid="pareto-front",
            meta={"panel": "pareto", "kind": "pareto-front", "n": len(front)},
        ),
        row=2,
        col=2,
    )
    fig.update_xaxes(title_text="deployment time (minutes, healthy model)", row=2, col=2)
    fig.update_yaxes(title_text="blast radius (errors)", rangemode="tozero", row=2, col=2)
    if highlight is None or highlight.best is None:
        return
    best = highlight.best
    bx, by = float(best["deployment_seconds"]) / 60.0, float(best["blast_radius"])
    fig.add_trace(
        go.Scatter(
            x=[bx],
            y=[by],
            mode="markers",
            marker={
                "symbol": "star",
                "size": 22,
                "color": _STAR,
                "line": {"color": "#000000", "width": 1.5},
            },
            hovertemplate="<b>recommended</b>: "
            + html.escape(_describe(best, columns))
            + "<extra></extra>",
            name="recommended",
            uid="recommended",
            meta={"panel": "pareto", "kind": "recommended"},
        ),
        row=2,
        col=2,
    )
    # the label points in from the star towards the middle of the panel (away from its edges
    # and the colour bar), its text wrapped to stay narrow
    times = cand["deployment_seconds"] / 60.0
    radii = cand["blast_radius"]
    right = bx > (float(times.min()) + float(times.max())) / 2
    high = by > float(radii.max()) / 2
    text = "recommended: " + _describe(best, columns)
    fig.add_annotation(
        x=bx,
        y=by,
        text="<br>".join(html.escape(line, quote=False) for line in textwrap.wrap(text, 44))
        + f"<br>false rollback {percent(float(best['false_rollback']), against=limit)}",
        showarrow=True,
        arrowhead=2,
        ax=-40 if right else 40,
        ay=45 if high else -45,
        bgcolor="rgba(255,255,255,0.85)",
        bordercolor="#000000",
        font={"size": 11},
        row=2,
        col=2,
    )


def sweep_header(
    table: pd.DataFrame,
    recommendation: Recommendation | None,
    scenario: Scenario | None = None,
) -> Html:
    """The page header: the table's size and, with a recommendation, a block that reads at a
    glance (and wraps): the recommended settings, what they cost, against the limits."""
    n = int(table["n"].iloc[0]) if len(table) and "n" in table.columns else 0
    block = "" if recommendation is None else _recommendation_block(recommendation, table, scenario)
    return Html(
        '<header id="guardsim-header">'
        "<h1>Sweep report</h1>"
        f'<p class="meta">{len(table)} row(s) of the sweep table, {n} replications each</p>'
        f"{block}</header>"
    )


def _recommendation_block(
    rec: Recommendation, table: pd.DataFrame, scenario: Scenario | None
) -> str:
    from guardsim.montecarlo.recommend import limit_phrases
    from guardsim.reports.text import format_seconds

    def esc(text: str) -> str:
        return html.escape(text, quote=False)

    def clock(seconds: float) -> str:
        return format_seconds(seconds, signed=False)

    limit = [] if rec.max_false_rollback is None else [rec.max_false_rollback]
    cond = "; ".join(
        f"{role} model: " + ", ".join(f"{_label(c)} = {_text(v)}" for c, v in where.items())
        for role, where in (("bad", rec.bad), ("healthy", rec.healthy))
    )
    limits = limit_phrases(rec, percent, clock, "at most", "at least")
    n_ok = int(rec.candidates["feasible"].sum())
    facts = [
        f"Limits: {', '.join(limits) or 'none'}; {n_ok} of {len(rec.candidates)} "
        "configurations are within them.",
        f"Conditions: {cond}.",
        *(f"Warning: {w}" for w in rec.warnings),
    ]
    b = rec.best
    if b is None:
        best = (
            "<p class='best'><b>No configuration is within the limits.</b> The Pareto front "
            "below shows the best trade-offs available.</p>"
        )
        details = ""
    else:
        settings = ", ".join(
            f"<b>{esc(setting_title(c, table, scenario))} = {esc(_text(b[c]))}</b>"
            for c in rec.config_columns
        )
        fr, lo, hi = (
            float(b[k]) for k in ("false_rollback", "false_rollback_low", "false_rollback_high")
        )
        best = f"<p class='best'>Recommended: {settings or 'the only configuration'}</p>"
        details = (
            "<ul>"
            f"<li>blast radius {float(b['blast_radius']):,.1f} errors on average (the bad model "
            f"was rolled back in {percent(float(b['bad_p_rollback']))} of runs)</li>"
            f"<li>false rollback in {percent(fr, against=limit)} of healthy deployments (95% "
            f"interval {percent(lo, against=[hi, *limit])} to "
            f"{percent(hi, against=[lo, *limit])}, {int(b['healthy_n'])} runs)</li>"
            f"<li>{esc(rec.duration_of)}-model deployment time "
            f"{clock(float(b['deployment_seconds']))} on average</li>"
            "</ul>"
        )
    return (
        '<section class="recommendation" id="guardsim-recommendation">'
        f"{best}{details}"
        + "".join(f"<p>{esc(f)}</p>" for f in facts)
        + "<details><summary>The recommendation and the Pareto front, as "
        "<code>guardsim recommend</code> prints them</summary>"
        f'<div class="scroll"><pre>{esc(rec.text())}</pre></div></details>'
        "</section>"
    )


def sweep_report(
    table: pd.DataFrame,
    *,
    x: str,
    y: str | None = None,
    recommendation: Recommendation | None = None,
    bad: Mapping[str, Any] | None = None,
    healthy: Mapping[str, Any] | None = None,
    scenario: Scenario | None = None,
) -> list[Section]:
    """The sweep report's page: the header, then :func:`sweep_figure`."""
    return [
        sweep_header(table, recommendation, scenario),
        sweep_figure(
            table,
            x=x,
            y=y,
            recommendation=recommendation,
            bad=bad,
            healthy=healthy,
            scenario=scenario,
        ),
    ]


def default_axes(table: pd.DataFrame, faults: Sequence[str] = ()) -> tuple[str, str | None]:
    """The first two swept (non-fault) columns, for ``x`` and ``y``."""
    from guardsim.montecarlo.recommend import config_columns

    configs = config_columns(table, faults)
    if not configs:
        raise ReportError("sweep report: the table has no swept column besides the fault ones")
    return configs[0], (configs[1] if len(configs) > 1 else None)


def write_sweep_report(
    table: pd.DataFrame,
    path: str | Path | None,
    *,
    x: str | None = None,
    y: str | None = None,
    recommendation: Recommendation | None = None,
    bad: Mapping[str, Any] | None = None,
    healthy: Mapping[str, Any] | None = None,
    scenario: Scenario | None = None,
    plotly_js: str = "inline",
    png_path: str | Path | None = None,
) -> None:
    """Write the sweep report as one HTML file (``path``; ``plotly_js`` as for
    :func:`~guardsim.reports.html.write_html`) and/or its figure as PNG (``png_path``).
    ``x`` / ``y`` default to the first two swept columns that are not fault columns."""
    if x is None:
        faults = [
            *(bad or (recommendation.bad if recommendation else {})),
            *(healthy or (recommendation.healthy if recommendation else {})),
        ]
        x, auto_y = default_axes(table, faults)
        y = auto_y if y is None else y
    kwargs: dict[str, Any] = {
        "recommendation": recommendation,
        "bad": bad,
        "healthy": healthy,
        "scenario": scenario,
    }
    sections = sweep_report(table, x=x, y=y, **kwargs)
    if path is not None:
        write_html(
            sections,
            path,
            title=f"guardsim sweep report: {_label(x)}" + (f" x {_label(y)}" if y else ""),
            plotly_js=plotly_js,
        )
    if png_path is not None:
        figure = next(item for item in sections if isinstance(item, go.Figure))
        write_png(figure, png_path)


__all__ = [
    "default_axes",
    "percent",
    "percent_ticks",
    "setting_title",
    "sweep_figure",
    "sweep_header",
    "sweep_report",
    "write_sweep_report",
]
