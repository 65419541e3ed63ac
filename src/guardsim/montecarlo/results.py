"""Monte Carlo results: the runs table, its summary and its text; pure, no engine.

What :func:`~guardsim.montecarlo.monte_carlo.monte_carlo` returns (:class:`MonteCarloResult`), and
the pure functions it is made with: reports and comparisons read these without importing the
engines (see ``tests/test_layering.py``).

**The summary** (:class:`MonteCarloSummary`):

* ``p_rollback`` with a 95 % **Wilson score interval** (:func:`wilson_interval`). Replications
  are independent Bernoulli trials of "this deployment rolls back"; the Wilson interval inverts
  the score test, and unlike the textbook Wald interval ``p +- 1.96 sqrt(p(1-p)/n)`` it stays
  honest near 0 and 1 (Wald collapses to ``[1, 1]`` when every run rolled back, exactly the
  regime of clearly bad and clearly healthy models) and has close to nominal coverage even for
  small ``n`` (Brown, Cai and DasGupta, *Interval Estimation for a Binomial Proportion*, 2001);
* ``p_failed``, ``p_succeeded``; how often each rollback alarm was among the tripped ones;
* for ``detected_at_seconds`` (over the runs that detected something), ``green_errors``,
  ``green_requests``, ``user_errors``, ``deployment_seconds`` and ``cost_usd``: the mean and the
  5th, 50th and 95th percentiles (numpy's default linear interpolation between order
  statistics).
"""

from __future__ import annotations

import dataclasses
import json
import math
import typing
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from guardsim import __version__
from guardsim.errors import MonteCarloError
from guardsim.intervals import Z95 as Z95
from guardsim.intervals import wilson_interval as wilson_interval
from guardsim.record import Outcome, Summary
from guardsim.scenarios.scenario import Scenario

FORMAT = "guardsim.monte-carlo/1"

#: The summary's quantiles (percent) and the run columns they are taken of.
QUANTILES = (5, 50, 95)
QUANTILE_METRICS = (
    "detected_at_seconds",
    "green_errors",
    "green_requests",
    "user_errors",
    "deployment_seconds",
    "cost_usd",
)

SUMMARY_FIELDS = tuple(f.name for f in dataclasses.fields(Summary))

#: One replication as a worker returns it: (replication, outcome, *Summary fields).
RunRow = tuple[Any, ...]


# --------------------------------------------------------------------------- statistics


@dataclass(frozen=True)
class Quantiles:
    """Mean and 5th/50th/95th percentiles of one column over ``n`` runs (all None if n = 0)."""

    n: int
    mean: float | None
    p5: float | None
    p50: float | None
    p95: float | None

    @classmethod
    def of(cls, values: np.ndarray) -> Quantiles:
        values = values[~np.isnan(values)] if values.dtype.kind == "f" else values
        if len(values) == 0:
            return cls(0, None, None, None, None)
        p5, p50, p95 = (float(q) for q in np.percentile(values, QUANTILES))
        return cls(len(values), float(np.mean(values)), p5, p50, p95)

    def to_data(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


@dataclass(frozen=True)
class MonteCarloSummary:
    """What ``n`` replications say (see the module docstring for the statistics).

    ``alarm_trips`` maps every rollback alarm (in AutoRollbackConfiguration order) to the number
    of runs in which it was among the tripped alarms; ``alarm_frequency`` gives the fractions.
    ``quantiles`` maps each of :data:`QUANTILE_METRICS` to its :class:`Quantiles`
    (``detected_at_seconds`` over the runs that detected, the others over all runs).
    """

    n: int
    rolled_back: int
    p_rollback: float
    p_rollback_ci: tuple[float, float]
    failed: int
    p_failed: float
    succeeded: int
    p_succeeded: float
    alarm_trips: dict[str, int]
    quantiles: dict[str, Quantiles]

    @property
    def alarm_frequency(self) -> dict[str, float]:
        return {name: k / self.n for name, k in self.alarm_trips.items()}

    def to_data(self) -> dict[str, Any]:
        return {
            "n": self.n,
            "rolled_back": self.rolled_back,
            "p_rollback": self.p_rollback,
            "p_rollback_ci95": list(self.p_rollback_ci),
            "failed": self.failed,
            "p_failed": self.p_failed,
            "succeeded": self.succeeded,
            "p_succeeded": self.p_succeeded,
            "alarm_trips": {
                name: {"count": k, "frequency": k / self.n} for name, k in self.alarm_trips.items()
            },
            "quantiles": {m: q.to_data() for m, q in self.quantiles.items()},
        }

    def to_row(self) -> dict[str, Any]:
        """Flat columns for a sweep table (see :data:`SUMMARY_COLUMNS`)."""
        row: dict[str, Any] = {
            "n": self.n,
            "rolled_back": self.rolled_back,
            "p_rollback": self.p_rollback,
            "p_rollback_low": self.p_rollback_ci[0],
            "p_rollback_high": self.p_rollback_ci[1],
            "failed": self.failed,
            "p_failed": self.p_failed,
            "succeeded": self.succeeded,
            "p_succeeded": self.p_succeeded,
            "detected_runs": self.quantiles["detected_at_seconds"].n,
        }
        for metric in QUANTILE_METRICS:
            q = self.quantiles[metric]
            for stat in ("mean", "p5", "p50", "p95"):
                row[f"{metric}_{stat}"] = getattr(q, stat)
        for name, k in self.alarm_trips.items():
            row[f"p_tripped[{name}]"] = k / self.n
        return row


#: The summary columns of a sweep table, in order (plus one ``p_tripped[<alarm>]`` per alarm).
SUMMARY_COLUMNS: tuple[str, ...] = (
    "n",
    "rolled_back",
    "p_rollback",
    "p_rollback_low",
    "p_rollback_high",
    "failed",
    "p_failed",
    "succeeded",
    "p_succeeded",
    "detected_runs",
    *(f"{m}_{s}" for m in QUANTILE_METRICS for s in ("mean", "p5", "p50", "p95")),
)


def summarize(runs: pd.DataFrame, alarm_names: Sequence[str]) -> MonteCarloSummary:
    """The :class:`MonteCarloSummary` of a runs table (one row per replication)."""
    n = len(runs)
    if n == 0:
        raise MonteCarloError("cannot summarise zero runs")
    rolled_back = int(runs["rolled_back"].sum())
    failed = int(runs["failed"].sum())
    succeeded = int(runs["succeeded"].sum())
    trips = {name: int(runs[f"tripped[{name}]"].sum()) for name in alarm_names}
    quantiles = {m: Quantiles.of(runs[m].to_numpy(dtype=float)) for m in QUANTILE_METRICS}
    return MonteCarloSummary(
        n=n,
        rolled_back=rolled_back,
        p_rollback=rolled_back / n,
        p_rollback_ci=wilson_interval(rolled_back, n),
        failed=failed,
        p_failed=failed / n,
        succeeded=succeeded,
        p_succeeded=succeeded / n,
        alarm_trips=trips,
        quantiles=quantiles,
    )


# --------------------------------------------------------------------------- runs table


def _summary_kinds() -> dict[str, str]:
    """Per Summary field, the column kind: 'float' (NaN for None), 'int' or 'alarms'."""
    hints = typing.get_type_hints(Summary)
    kinds = {}
    for name in SUMMARY_FIELDS:
        hint = str(hints[name])
        if name == "tripped_alarms" or "tuple" in hint:
            kinds[name] = "alarms"
        elif "float" in hint:
            kinds[name] = "float"
        elif "int" in hint:
            kinds[name] = "int"
        else:
            kinds[name] = "object"
    return kinds


_KINDS = _summary_kinds()


#: The outcomes, in the order of their codes in :class:`RunColumns` and of the categories of
#: the runs table's ``outcome`` column.
OUTCOMES: tuple[str, ...] = typing.get_args(Outcome)

#: ``tripped_alarms`` is a categorical column over every ordered subset of the rollback alarms
#: when there are at most this many alarms (2**8 categories); beyond that, plain strings.
MAX_CATEGORICAL_ALARMS = 8


@dataclass(frozen=True, eq=False)
class RunColumns:
    """A block of replications as numpy columns: what workers send back, with no Python object
    per replication (about 95 bytes per replication).

    ``replication`` (int64); ``outcome``: int8 codes into :data:`OUTCOMES`; ``values``: one
    array per numeric :class:`~guardsim.record.Summary` field (float64 with NaN for null, or
    int64); ``tripped``: int32 codes into ``tripped_sets``, the distinct ``tripped_alarms``
    tuples of the block. :meth:`concat` joins blocks; :func:`runs_frame` makes the table.
    """

    replication: np.ndarray
    outcome: np.ndarray
    values: dict[str, np.ndarray]
    tripped: np.ndarray
    tripped_sets: tuple[tuple[str, ...], ...]

    def __len__(self) -> int:
        return len(self.replication)

    @property
    def nbytes(self) -> int:
        """The bytes its arrays hold."""
        arrays = (self.replication, self.outcome, self.tripped, *self.values.values())
        return sum(a.nbytes for a in arrays)

    @classmethod
    def from_rows(cls, rows: Sequence[RunRow]) -> RunColumns:
        """Columns of ``(replication, outcome, *Summary fields)`` rows, in the given order."""
        codes = {o: k for k, o in enumerate(OUTCOMES)}
        sets: dict[tuple[str, ...], int] = {}
        tripped_at = 2 + SUMMARY_FIELDS.index("tripped_alarms")
        tripped = np.array(
            [sets.setdefault(tuple(r[tripped_at]), len(sets)) for r in rows], dtype=np.int32
        )
        values: dict[str, np.ndarray] = {}
        for j, name in enumerate(SUMMARY_FIELDS, start=2):
            kind = _KINDS[name]
            if kind == "float":
                values[name] = np.array(
                    [np.nan if r[j] is None else r[j] for r in rows], dtype=np.float64
                )
            elif kind == "int":
                values[name] = np.array([r[j] for r in rows], dtype=np.int64)
            elif kind != "alarms":
                values[name] = np.array([r[j] for r in rows], dtype=object)
        return cls(
            replication=np.array([r[0] for r in rows], dtype=np.int64),
            outcome=np.array([codes[r[1]] for r in rows], dtype=np.int8),
            values=values,
            tripped=tripped,
            tripped_sets=tuple(sets),
        )

    @classmethod
    def concat(cls, parts: Sequence[RunColumns]) -> RunColumns:
        """The blocks one after the other (their ``tripped_sets`` merged, codes renumbered)."""
        if not parts:
            return cls.from_rows([])
        sets: dict[tuple[str, ...], int] = {}
        tripped = []
        for part in parts:
            remap = np.array(
                [sets.setdefault(t, len(sets)) for t in part.tripped_sets], dtype=np.int32
            )
            tripped.append(remap[part.tripped] if len(part) else part.tripped)
        return cls(
            replication=np.concatenate([p.replication for p in parts]),
            outcome=np.concatenate([p.outcome for p in parts]),
            values={
                name: np.concatenate([p.values[name] for p in parts]) for name in parts[0].values
            },
            tripped=np.concatenate(tripped),
            tripped_sets=tuple(sets),
        )

    def summaries(self) -> list[tuple[int, str, Summary]]:
        """The replications as (replication, outcome, :class:`~guardsim.record.Summary`)
        rows: one Python object per replication (tests and one-off use)."""
        fields: list[list[Any]] = []
        for name in SUMMARY_FIELDS:
            kind = _KINDS[name]
            if kind == "alarms":
                fields.append([self.tripped_sets[c] for c in self.tripped.tolist()])
            elif kind == "float":
                fields.append([None if math.isnan(v) else v for v in self.values[name].tolist()])
            else:
                fields.append(self.values[name].tolist())
        return [
            (i, OUTCOMES[o], Summary(*row))
            for i, o, *row in zip(
                self.replication.tolist(), self.outcome.tolist(), *fields, strict=True
            )
        ]

    def take(self, order: np.ndarray) -> RunColumns:
        """The replications at positions ``order``."""
        return RunColumns(
            self.replication[order],
            self.outcome[order],
            {name: v[order] for name, v in self.values.items()},
            self.tripped[order],
            self.tripped_sets,
        )


class RunColumnsBuffer:
    """Blocks of ``n`` replications put together as they arrive, in place: the arrays of the
    whole run are allocated once and every block is copied in (its own arrays can then be
    freed), so the parent never holds the blocks and their concatenation at once.

    ``put(offset, block)`` copies ``block`` to rows ``offset ...``; :meth:`columns` gives the
    :class:`RunColumns` (rows never put are left as allocated: put all of them).
    """

    def __init__(self, n: int) -> None:
        self.n = n
        self._arrays: RunColumns | None = None
        self._sets: dict[tuple[str, ...], int] = {}

    def put(self, offset: int, block: RunColumns) -> None:
        k = len(block)
        if self._arrays is None:
            self._arrays = RunColumns(
                np.empty(self.n, dtype=np.int64),
                np.empty(self.n, dtype=np.int8),
                {name: np.empty(self.n, dtype=v.dtype) for name, v in block.values.items()},
                np.empty(self.n, dtype=np.int32),
                (),
            )
        a = self._arrays
        end = offset + k
        a.replication[offset:end] = block.replication
        a.outcome[offset:end] = block.outcome
        for name, v in block.values.items():
            a.values[name][offset:end] = v
        remap = np.array(
            [self._sets.setdefault(t, len(self._sets)) for t in block.tripped_sets], dtype=np.int32
        )
        if k:
            a.tripped[offset:end] = remap[block.tripped]

    def columns(self) -> RunColumns:
        if self._arrays is None:
            return RunColumns.from_rows([])
        a = self._arrays
        return RunColumns(a.replication, a.outcome, a.values, a.tripped, tuple(self._sets))


def _ordered_subsets(names: Sequence[str]) -> list[tuple[str, ...]]:
    """Every subset of ``names`` in their order (by bit mask: (), (a,), (b,), (a, b), ...)."""
    k = len(names)
    return [tuple(names[i] for i in range(k) if mask >> i & 1) for mask in range(1 << k)]


def _tripped_column(cols: RunColumns, alarm_names: Sequence[str]) -> Any:
    """``tripped_alarms`` as ``;``-joined text: categorical over every ordered subset of the
    alarms (the same categories whatever ran, so tables of the same scenario compare equal), or
    plain strings when there are too many alarms or a set is not an ordered subset."""
    if len(alarm_names) <= MAX_CATEGORICAL_ALARMS:
        subsets = _ordered_subsets(alarm_names)
        index = {t: k for k, t in enumerate(subsets)}
        if all(t in index for t in cols.tripped_sets):
            remap = np.array([index[t] for t in cols.tripped_sets], dtype=np.int16)
            codes = remap[cols.tripped] if len(cols) else np.zeros(0, dtype=np.int16)
            return pd.Categorical.from_codes(codes, categories=[";".join(t) for t in subsets])
    texts = np.array([";".join(t) for t in cols.tripped_sets], dtype=object)
    return texts[cols.tripped] if len(cols) else np.array([], dtype=object)


def runs_frame(
    runs: RunColumns | Sequence[RunRow], seed: int, alarm_names: Sequence[str]
) -> pd.DataFrame:
    """The runs table: one row per replication, sorted by replication.

    ``runs``: the :class:`RunColumns` of the replications (or their rows). Columns:
    ``replication``, ``seed`` (the base seed, the same in every row: a sparse column that
    holds no memory per row; in fast and exact mode
    ``simulate(scenario, seed=seed, replication=replication)`` reproduces the row),
    ``outcome`` (categorical over :data:`OUTCOMES`), ``rolled_back``, ``succeeded``,
    ``failed``, every :class:`~guardsim.record.Summary` field (times as float seconds, NaN where
    the summary has null; ``tripped_alarms`` joined with ``;``, categorical for up to
    :data:`MAX_CATEGORICAL_ALARMS` alarms), and one boolean ``tripped[<alarm>]`` per rollback
    alarm. About 100 bytes per replication.
    """
    cols = runs if isinstance(runs, RunColumns) else RunColumns.from_rows(runs)
    if len(cols) > 1 and bool(np.any(np.diff(cols.replication) < 0)):
        cols = cols.take(np.argsort(cols.replication, kind="stable"))
    n = len(cols)
    frame: dict[str, Any] = {
        "replication": cols.replication,
        "seed": pd.arrays.SparseArray(np.full(n, seed, dtype=np.int64), fill_value=seed),
        "outcome": pd.Categorical.from_codes(cols.outcome, categories=list(OUTCOMES)),
    }
    for flag, outcome in (("rolled_back", "ROLLED_BACK"), ("succeeded", "SUCCEEDED")):
        frame[flag] = cols.outcome == OUTCOMES.index(outcome)
    frame["failed"] = cols.outcome == OUTCOMES.index("FAILED")
    for name in SUMMARY_FIELDS:
        frame[name] = (
            _tripped_column(cols, alarm_names) if _KINDS[name] == "alarms" else cols.values[name]
        )
    for name in alarm_names:
        member = np.array([name in t for t in cols.tripped_sets], dtype=bool)
        frame[f"tripped[{name}]"] = member[cols.tripped] if n else np.zeros(0, dtype=bool)
    return pd.DataFrame(frame)


def _json_value(v: Any) -> Any:
    if isinstance(v, float | np.floating):
        f = float(v)
        return None if math.isnan(f) else f
    if isinstance(v, np.bool_):
        return bool(v)
    if isinstance(v, np.integer):
        return int(v)
    return v


# --------------------------------------------------------------------------- result


@dataclass(frozen=True, eq=False)
class MonteCarloResult:
    """``runs``: one row per replication (see :func:`runs_frame`); ``summary``: the statistics."""

    scenario: Scenario
    seed: int
    mode: str
    runs: pd.DataFrame
    summary: MonteCarloSummary

    @property
    def alarm_names(self) -> tuple[str, ...]:
        return tuple(a.name for a in self.scenario.rollback_alarms)

    def to_data(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "guardsim_version": __version__,
            "scenario": self.scenario.name,
            "seed": self.seed,
            "mode": self.mode,
            "n": self.summary.n,
            "summary": self.summary.to_data(),
            "runs": {
                col: [_json_value(v) for v in self.runs[col].tolist()] for col in self.runs.columns
            },
            "scenario_definition": self.scenario.to_dict(),
        }

    def to_json(self) -> str:
        """Stable JSON (sorted keys, no NaN: null), one line per top-level key; identical for
        the same scenario, seed, n and mode whatever executor or worker count ran it."""
        data = self.to_data()
        parts = [
            f"{json.dumps(k)}: {json.dumps(data[k], sort_keys=True, allow_nan=False)}"
            for k in sorted(data)
        ]
        return "{\n" + ",\n".join(parts) + "\n}\n"

    def text(self) -> str:
        """The summary in plain words (what ``guardsim mc`` prints)."""
        return summary_text(self)

    def __repr__(self) -> str:
        s = self.summary
        low, high = s.p_rollback_ci
        return (
            f"<MonteCarloResult {self.scenario.name}: {s.n} replications (base seed "
            f"{self.seed}, {self.mode} mode); rolled back in {s.rolled_back} "
            f"({s.p_rollback:.1%}, 95% CI {low:.1%}-{high:.1%})>"
        )

    def _repr_html_(self) -> str:
        """In Jupyter: the rollback probability, the alarm trips and the quantiles."""
        from guardsim._display import card

        s = self.summary
        low, high = s.p_rollback_ci
        rows = [
            ("succeeded", f"{s.succeeded} ({s.p_succeeded:.1%})"),
            ("failed", f"{s.failed} ({s.p_failed:.1%})"),
        ]
        rows += [(f"alarm {name} tripped", f"in {k} runs") for name, k in s.alarm_trips.items()]
        for metric, q in s.quantiles.items():
            if q.n:
                rows.append(
                    (metric, f"mean {q.mean:.4g}, p5 {q.p5:.4g}, p50 {q.p50:.4g}, p95 {q.p95:.4g}")
                )
        return card(
            f"Monte Carlo of {self.scenario.name}: {s.n} replications "
            f"(base seed {self.seed}, {self.mode} mode)",
            f"rolled back in {s.rolled_back} of {s.n} runs ({s.p_rollback:.1%}, "
            f"95% CI {low:.1%}-{high:.1%})",
            rows,
        )


# --------------------------------------------------------------------------- text


def _pct(p: float) -> str:
    """Percent with one decimal, without claiming 100.0 % or 0.0 % for values just short of it."""
    x = 100.0 * p
    text = f"{x:.1f}%"
    if text == "100.0%" and p < 1.0:
        return ">99.9%"
    if text == "0.0%" and p > 0.0:
        return "<0.1%"
    return text


def _clock(t: float | None) -> str:
    if t is None:
        return "-"
    total = round(t)
    h, rest = divmod(total, 3600)
    m, s = divmod(rest, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


def _number(v: float | None, *, money: bool = False) -> str:
    if v is None:
        return "-"
    if money:
        return f"${v:,.2f}"
    return f"{v:,.0f}" if abs(v) >= 100 or float(v).is_integer() else f"{v:,.1f}"


def rollback_sentence(s: MonteCarloSummary) -> str:
    """``rolled back in 997 of 1000 runs (99.7%, 95% CI 99.1%-99.9%)``."""
    low, high = s.p_rollback_ci
    return (
        f"rolled back in {s.rolled_back} of {s.n} runs ({_pct(s.p_rollback)}, "
        f"95% CI {_pct(low)}-{_pct(high)})"
    )


def summary_text(result: MonteCarloResult) -> str:
    s = result.summary
    lines = [
        f"Monte Carlo of {result.scenario.name}: {s.n} replications "
        f"(base seed {result.seed}, {result.mode} mode)",
        f"  {rollback_sentence(s)}",
        f"  succeeded in {s.succeeded} ({_pct(s.p_succeeded)}), "
        f"failed in {s.failed} ({_pct(s.p_failed)})",
    ]
    if s.alarm_trips:
        lines.append("  rollback alarms tripped:")
        width = max(len(name) for name in s.alarm_trips)
        for name, k in s.alarm_trips.items():
            lines.append(f"    {name:<{width}}  in {k} runs ({_pct(k / s.n)})")
    else:
        lines.append("  no rollback alarms configured")
    header = f"  {'':36s} {'mean':>10s} {'p5':>10s} {'p50':>10s} {'p95':>10s}"
    lines.append(header)
    q = s.quantiles
    det = q["detected_at_seconds"]
    labelled = [
        (f"detected at (over {det.n} runs)", det, "clock"),
        ("deployment time", q["deployment_seconds"], "clock"),
        ("green errors (blast radius)", q["green_errors"], "number"),
        ("green requests", q["green_requests"], "number"),
        ("errors users saw", q["user_errors"], "number"),
        ("cost", q["cost_usd"], "money"),
    ]
    for label, quant, kind in labelled:
        cells = []
        for v in (quant.mean, quant.p5, quant.p50, quant.p95):
            if kind == "clock":
                cells.append(_clock(v))
            else:
                cells.append(_number(v, money=kind == "money"))
        lines.append(f"  {label:36s} " + " ".join(f"{c:>10s}" for c in cells))
    return "\n".join(lines)
