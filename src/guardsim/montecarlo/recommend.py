"""Pick a guardrail configuration from a sweep table: least blast radius within the user's limits.

A sweep that varies the guardrail settings *and* the model's fault (for example
``models.green.error_rate_5xx=0,0.05``) has, for every guardrail configuration, a row for the bad
model and a row for the healthy one. :func:`recommend` pairs them up:

* the **fault columns** are the columns named in ``bad`` and ``healthy``; the **configuration
  columns** are every other swept column (everything that is not a summary column);
* the bad model's row gives the **blast radius**: the mean number of errors the new fleet served
  (``green_errors_mean``), and how often the bad model was rolled back at all;
* the healthy model's row gives the **false-rollback probability** (its ``p_rollback``, with the
  95 % Wilson interval) and the **deployment time**: the mean ``deployment_seconds`` of a healthy
  deployment, which is what every good release pays. (A bad model's deployment ends at its
  rollback, so its duration mostly mirrors the blast radius; ``duration_of="bad"`` uses it
  anyway.)

The recommendation is the configuration with the smallest blast radius among those within
``max_false_rollback`` and ``max_duration`` (ties: shorter deployment, then fewer false
rollbacks, then grid order). ``conservative=True`` holds the *upper* end of the false-rollback
interval to the limit instead of the estimate. ``min_catch`` is a third limit: the bad model must
be rolled back with probability at least ``min_catch``, judged by the *lower* end of its 95 %
Wilson interval (a guardrail that catches the bad model "often" in 20 runs has not shown it).

A false-rollback limit is **met trivially** when the healthy model trips no rollback alarm in
any run of any configuration (``p_tripped[<alarm>]`` is 0 everywhere): then the table says
nothing about noise (a healthy model without the old model's error rate cannot trip an error
alarm), and :attr:`Recommendation.warnings` says so. The **Pareto front** is every
configuration that no other configuration beats on all of blast radius, deployment time and
false-rollback rate at once (at least as good on all three, better on one), whether within the
limits or not.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd

from guardsim.errors import RecommendError
from guardsim.montecarlo.results import SUMMARY_COLUMNS

#: Columns of a sweep table that are not swept settings.
NON_CONFIG_COLUMNS = frozenset((*SUMMARY_COLUMNS, "config_key"))

#: Columns of :attr:`Recommendation.candidates` after the configuration columns.
METRIC_COLUMNS = (
    "blast_radius",
    "bad_p_rollback",
    "bad_p_rollback_low",
    "deployment_seconds",
    "bad_deployment_seconds",
    "false_rollback",
    "false_rollback_low",
    "false_rollback_high",
    "healthy_n",
    "feasible",
    "pareto",
)


@dataclass(frozen=True, eq=False)
class Recommendation:
    """``candidates``: one row per configuration (configuration columns, then
    :data:`METRIC_COLUMNS`); ``best``: the chosen row (None if no configuration is within the
    limits); ``pareto``: the Pareto-optimal rows, by blast radius."""

    candidates: pd.DataFrame
    best: dict[str, Any] | None
    pareto: pd.DataFrame
    config_columns: tuple[str, ...]
    bad: dict[str, Any]
    healthy: dict[str, Any]
    max_false_rollback: float | None
    max_duration: float | None
    conservative: bool
    duration_of: str
    min_catch: float | None = None
    #: what the user must know about the answer (e.g. a limit met trivially)
    warnings: tuple[str, ...] = ()

    def text(self) -> str:
        """The choice and the Pareto front in plain words (what ``guardsim recommend`` prints)."""
        return recommendation_text(self)

    def __repr__(self) -> str:
        return f"<Recommendation\n{self.text()}\n>"

    def _repr_html_(self) -> str:
        """In Jupyter: the chosen configuration with its numbers, and the Pareto front."""
        from guardsim._display import card, frame_html

        text = self.text().splitlines()
        best = next((line.strip() for line in text if line.strip().startswith("best:")), None)
        return card(
            text[0],
            best or "no configuration is within the limits",
            [
                (line.strip().split(":", 1)[0], line.strip().split(":", 1)[1].strip())
                for line in text[1:2]
                if ":" in line
            ],
            [
                (
                    "Pareto front (blast radius, deployment time, false rollback)",
                    frame_html(self.pareto),
                )
            ],
        )


def config_columns(table: pd.DataFrame, fault_columns: Sequence[str]) -> tuple[str, ...]:
    """The swept guardrail settings: every column that is neither a summary nor a fault column."""
    return tuple(
        c
        for c in table.columns
        if c not in NON_CONFIG_COLUMNS
        and not str(c).startswith("p_tripped[")
        and c not in fault_columns
    )


def column_matches(column: pd.Series, value: Any) -> pd.Series:
    """Cells equal to ``value``: numbers numerically (0 matches 0.0), else as text."""
    if isinstance(value, bool) or value is None:
        if value is None:
            return column.isna()
        return column.astype(str).str.lower() == str(value).lower()
    if isinstance(value, int | float):
        numeric = pd.to_numeric(column, errors="coerce")
        return numeric == float(value)
    return column.astype(str) == str(value)


def _select(table: pd.DataFrame, condition: Mapping[str, Any], role: str) -> pd.DataFrame:
    mask = pd.Series(True, index=table.index)
    for col, value in condition.items():
        if col not in table.columns:
            swept = [
                c
                for c in table.columns
                if c not in NON_CONFIG_COLUMNS and not str(c).startswith("p_tripped[")
            ]
            raise RecommendError(
                f"--{role} {col}={value}: the table has no column {col!r}; "
                f"swept columns: {', '.join(map(str, swept)) or '(none)'}"
            )
        hit = column_matches(table[col], value)
        if not hit.any():
            present = ", ".join(str(v) for v in pd.unique(table[col]))
            raise RecommendError(
                f"--{role} {col}={value}: no row has {col} = {value}; values in the table: "
                f"{present}"
            )
        mask &= hit
    rows = table[mask]
    if rows.empty:
        raise RecommendError(f"no row matches every --{role} condition at once")
    return rows


def _key(row: pd.Series, columns: Sequence[str]) -> tuple[Any, ...]:
    out = []
    for c in columns:
        v = row[c]
        out.append(None if isinstance(v, float) and math.isnan(v) else v)
    return tuple(out)


def pareto_mask(points: np.ndarray) -> np.ndarray:
    """Rows of ``points`` (to minimise, column-wise) that no other row dominates."""
    n = len(points)
    keep = np.ones(n, dtype=bool)
    for i in range(n):
        p = points[i]
        dominated = np.all(points <= p, axis=1) & np.any(points < p, axis=1)
        keep[i] = not dominated.any()
    return keep


def recommend(
    table: pd.DataFrame,
    *,
    bad: Mapping[str, Any],
    healthy: Mapping[str, Any],
    max_false_rollback: float | None = None,
    max_duration: float | None = None,
    conservative: bool = False,
    duration_of: Literal["healthy", "bad"] = "healthy",
    min_catch: float | None = None,
) -> Recommendation:
    """The configuration with the least expected blast radius within the limits, and the Pareto
    front (see the module docstring). ``bad`` / ``healthy``: ``{column: value}`` picking the
    bad-model and healthy-model rows (e.g. ``{"models.green.error_rate_5xx": 0.05}``)."""
    if not bad or not healthy:
        raise RecommendError("recommend needs both a bad-model and a healthy-model condition")
    if duration_of not in ("healthy", "bad"):
        raise RecommendError(f"duration_of must be 'healthy' or 'bad', got {duration_of!r}")
    faults = list(dict.fromkeys([*bad, *healthy]))
    columns = config_columns(table, faults)
    bad_rows = _select(table, bad, "bad")
    healthy_rows = _select(table, healthy, "healthy")

    def by_config(rows: pd.DataFrame, role: str) -> dict[tuple[Any, ...], pd.Series]:
        out: dict[tuple[Any, ...], pd.Series] = {}
        for _, row in rows.iterrows():
            key = _key(row, columns)
            if key in out:
                shown = ", ".join(f"{c}={v}" for c, v in zip(columns, key, strict=True))
                raise RecommendError(
                    f"several {role}-model rows for the configuration {shown or '(the only one)'}"
                    ": is a swept fault column missing from --bad/--healthy?"
                )
            out[key] = row
        return out

    bad_by = by_config(bad_rows, "bad")
    healthy_by = by_config(healthy_rows, "healthy")
    records = []
    for key, b in bad_by.items():
        h = healthy_by.get(key)
        if h is None:
            continue
        dur_row = h if duration_of == "healthy" else b
        records.append(
            {
                **dict(zip(columns, key, strict=True)),
                "blast_radius": float(b["green_errors_mean"]),
                "bad_p_rollback": float(b["p_rollback"]),
                "bad_p_rollback_low": float(b["p_rollback_low"]),
                "deployment_seconds": float(dur_row["deployment_seconds_mean"]),
                "bad_deployment_seconds": float(b["deployment_seconds_mean"]),
                "false_rollback": float(h["p_rollback"]),
                "false_rollback_low": float(h["p_rollback_low"]),
                "false_rollback_high": float(h["p_rollback_high"]),
                "healthy_n": int(h["n"]),
            }
        )
    if not records:
        raise RecommendError("no configuration has both a bad-model and a healthy-model row")
    cand = pd.DataFrame.from_records(records)
    fr = cand["false_rollback_high" if conservative else "false_rollback"]
    feasible = pd.Series(True, index=cand.index)
    if max_false_rollback is not None:
        feasible &= fr <= max_false_rollback
    if max_duration is not None:
        feasible &= cand["deployment_seconds"] <= max_duration
    if min_catch is not None:
        feasible &= cand["bad_p_rollback_low"] >= min_catch
    cand["feasible"] = feasible.astype(bool)
    points = cand[["blast_radius", "deployment_seconds", "false_rollback"]].to_numpy(float)
    cand["pareto"] = pareto_mask(points)
    order = cand.assign(_grid=range(len(cand))).sort_values(
        ["blast_radius", "deployment_seconds", "false_rollback", "_grid"], kind="stable"
    )
    chosen = order[order["feasible"]]
    best = None
    if not chosen.empty:
        best = {k: v for k, v in chosen.iloc[0].to_dict().items() if k != "_grid"}
    pareto = order[order["pareto"]].drop(columns="_grid").reset_index(drop=True)
    warnings = []
    trip_columns = [c for c in healthy_rows.columns if str(c).startswith("p_tripped[")]
    if (
        max_false_rollback is not None
        and trip_columns
        and not (healthy_rows[trip_columns].to_numpy(float) > 0).any()
    ):
        warnings.append(
            "the healthy model tripped no rollback alarm in any run of any configuration, so "
            "the false-rollback limit is met trivially: give the healthy model the noise a "
            "real one has (e.g. the old model's error rate) to test it"
        )
    return Recommendation(
        candidates=cand,
        best=best,
        pareto=pareto,
        config_columns=columns,
        bad=dict(bad),
        healthy=dict(healthy),
        max_false_rollback=max_false_rollback,
        max_duration=max_duration,
        conservative=conservative,
        duration_of=duration_of,
        min_catch=min_catch,
        warnings=tuple(warnings),
    )


# --------------------------------------------------------------------------- text


def _pct(p: float) -> str:
    return f"{100.0 * p:.1f}%"


def _clock(t: float) -> str:
    total = round(t)
    h, rest = divmod(total, 3600)
    m, s = divmod(rest, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


def _value(v: Any) -> str:
    if isinstance(v, float) and v.is_integer():
        return str(int(v)) if abs(v) < 1e15 else str(v)
    return str(v)


def format_table(rows: Sequence[Sequence[str]], header: Sequence[str]) -> list[str]:
    """Columns padded to their widest cell; numbers right-aligned, text left-aligned."""
    widths = [
        max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(header)
    ]

    def numeric(cell: str) -> bool:
        return bool(cell) and (cell[0].isdigit() or cell[0] in "-+$.") and cell != "-"

    def line(cells: Sequence[str]) -> str:
        return "  ".join(
            c.rjust(w) if numeric(c) else c.ljust(w) for c, w in zip(cells, widths, strict=True)
        ).rstrip()

    return [line(header), *(line(r) for r in rows)]


def short_labels(paths: Sequence[str]) -> list[str]:
    """The shortest dotted suffix of each path that tells it apart from the others
    (``...TrafficRoutingConfiguration.WaitIntervalInSeconds`` -> ``WaitIntervalInSeconds``)."""
    parts = [p.split(".") for p in paths]
    labels = []
    for i, segs in enumerate(parts):
        for k in range(1, len(segs) + 1):
            label = ".".join(segs[-k:])
            others = [".".join(o[-k:]) for j, o in enumerate(parts) if j != i]
            if label not in others:
                break
        labels.append(label)
    return labels


def _describe(conf: Mapping[str, Any], columns: Sequence[str]) -> str:
    if not columns:
        return "the only configuration in the table"
    return ", ".join(f"{c}={_value(conf[c])}" for c in columns)


def limit_phrases(
    rec: Recommendation,
    pct: Callable[[float], str] = _pct,
    clock: Callable[[float], str] = _clock,
    at_most: str = "<=",
    at_least: str = ">=",
) -> list[str]:
    """The recommendation's limits in words, one phrase each (the text prints them with
    ``<=``/``>=``, the sweep report's header with "at most"/"at least" and its own number
    formats)."""
    limits = []
    if rec.max_false_rollback is not None:
        which = "upper 95% bound of " if rec.conservative else ""
        limits.append(f"{which}false-rollback probability {at_most} {pct(rec.max_false_rollback)}")
    if rec.max_duration is not None:
        limits.append(
            f"{rec.duration_of}-model deployment time {at_most} {clock(rec.max_duration)}"
        )
    if rec.min_catch is not None:
        limits.append(
            f"the bad model rolled back with probability {at_least} {pct(rec.min_catch)} "
            "(lower 95% bound)"
        )
    return limits


def recommendation_text(rec: Recommendation) -> str:
    cond = "; ".join(
        f"{role} model: " + ", ".join(f"{c} = {_value(v)}" for c, v in where.items())
        for role, where in (("bad", rec.bad), ("healthy", rec.healthy))
    )
    limits = limit_phrases(rec)
    lines = [f"Recommendation ({cond})", f"  limits: {', '.join(limits) or 'none'}"]
    lines.extend(f"  warning: {w}" for w in rec.warnings)
    n_feasible = int(rec.candidates["feasible"].sum())
    lines.append(f"  {n_feasible} of {len(rec.candidates)} configurations are within the limits")
    b = rec.best
    if b is None:
        lines.append(
            "  no configuration is within the limits; the Pareto front below shows "
            "the best trade-offs available"
        )
    else:
        lines.append(f"  best: {_describe(b, rec.config_columns)}")
        lines.append(
            f"    blast radius {b['blast_radius']:.1f} errors on average (bad model rolled back "
            f"in {_pct(b['bad_p_rollback'])} of runs)"
        )
        lines.append(
            f"    false rollback {_pct(b['false_rollback'])} of healthy deployments (95% CI "
            f"{_pct(b['false_rollback_low'])}-{_pct(b['false_rollback_high'])}, "
            f"{b['healthy_n']} runs); {rec.duration_of}-model deployment time "
            f"{_clock(b['deployment_seconds'])} on average"
        )
    lines.append("")
    lines.append(
        f"Pareto front (blast radius, deployment time, false rollback): {len(rec.pareto)} of "
        f"{len(rec.candidates)} configurations"
    )
    header = [
        *short_labels(rec.config_columns),
        "blast radius",
        "deploy time",
        "false rollback",
        "ok",
    ]
    rows = []
    for _, r in rec.pareto.iterrows():
        chosen = b is not None and all(
            _key(r, rec.config_columns)[i] == b[c] for i, c in enumerate(rec.config_columns)
        )
        mark = "best" if chosen else ("yes" if r["feasible"] else "no")
        rows.append(
            [
                *(_value(r[c]) for c in rec.config_columns),
                f"{r['blast_radius']:.1f}",
                _clock(r["deployment_seconds"]),
                _pct(r["false_rollback"]),
                mark,
            ]
        )
    lines.extend("  " + line for line in format_table(rows, header))
    return "\n".join(lines)
