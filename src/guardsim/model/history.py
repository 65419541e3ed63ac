"""Replayed history: the old model's error rates and latency follow a recorded metric file.

``guardsim real import --history DAYS`` writes an endpoint's recorded per-minute metrics
(``GetMetricData``) to a **history file**; a scenario's ``models.blue.history`` points at it,
and ``models.green.history_transform`` makes the new model a transformation of the same
recording. This module is the one definition of both, used by every engine (exact, fast and
batch) through :class:`~guardsim.model.faults.FleetFaults`.

**The file** is CSV with a header (:data:`COLUMNS`): one row per period and view, the columns
named by CloudWatch metric and statistic (``Invocation5XXErrors.Sum``, ``ModelLatency.p50``,
...), latency in microseconds as SageMaker publishes it, an empty cell where CloudWatch had no
datapoint. CSV rather than JSON lines: the rows are flat and all alike (JSON lines would repeat
every key on every row), and it opens in a spreadsheet like the traffic replay file the same
import writes. ``view`` is ``blended`` (``EndpointName, VariantName``: both fleets together) or
``blue``/``green`` (with the config's ``EndpointConfigName``), ``period`` 60 or 300 (CloudWatch
keeps 1-minute data 15 days and 5-minute data 63 days:
https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/cloudwatch_concepts.html#metrics-retention).
A view's rows are consecutive periods; a 300-second row stands for its five minutes alike.

**The kernel** (:class:`HistoryDriver`), for minute ``m`` of the run and the replication's start
minute ``s`` in the recording, reads recording minute ``k = (s + m) mod L`` (``L`` minutes
recorded; a run longer than the recording wraps around):

* 5XX and 4XX probabilities per request: the minute's ``Sum / Invocations.Sum`` (its
  ``Average`` if the sums are missing); they replace the model's ``error_rate_5xx`` and
  ``error_rate_4xx``; a minute without requests repeats the last minute that had some (the
  first such minute for the ones before it);
* ModelLatency: multiplied by ``p50 / latency.median_ms``, so the minute's median is the
  recording's and the spread (``p99 / median``) is the model's ``latency``, which the import sets
  from the whole window's p50 and p99. OverheadLatency is the model's (not replayed);
* the new model (``history_transform``): ``rate x scale + add`` clamped to [0, 1] per rate,
  ``latency x scale + add_ms``; its own ``faults`` apply on top, as on any baseline.

Request counts are not replayed from this file: they follow ``traffic`` (its
``replay_file``, which the same import writes, or its rate), so the history drives the
*probabilities* and the traffic the *volume*. The recorded rate of a minute is itself a ratio
of counts, so at a low recorded volume it carries the recording's own sampling noise, which the
simulation's binomial draws then add to [guardsim's choice; documented in the how-to].

**Start minutes.** ``history.start_minute`` null (the default) draws each replication's start
uniformly from the recording's minutes, from its own stream (:func:`start_minutes`): a block
bootstrap whose block is the whole simulated window (warm-up and deployment), so the noise
inside a run keeps its real autocorrelation and replications differ in where they fall. An
integer starts every replication there.
"""

from __future__ import annotations

import csv
import functools
import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from guardsim.errors import BadInputError, Problem, ScenarioError, UnsupportedError
from guardsim.scenarios.fields import join
from guardsim.scenarios.models import History, HistoryTransform, ModelBehaviour

if TYPE_CHECKING:
    from guardsim.model.faults import Behaviour, FleetFaults

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
Value = float | FloatArray
Offset = int | IntArray

#: (metric, statistic) per value column, in the file's order.
STATISTICS: tuple[tuple[str, str], ...] = (
    ("Invocations", "Sum"),
    ("Invocation5XXErrors", "Sum"),
    ("Invocation5XXErrors", "Average"),
    ("Invocation4XXErrors", "Sum"),
    ("Invocation4XXErrors", "Average"),
    *(
        (metric, stat)
        for metric in ("ModelLatency", "OverheadLatency")
        for stat in ("Average", "p50", "p90", "p99", "SampleCount")
    ),
)
#: The header of a history file.
COLUMNS: tuple[str, ...] = ("timestamp", "view", "period", *(f"{m}.{s}" for m, s in STATISTICS))
VIEWS = ("blended", "blue", "green")
PERIODS = (60, 300)
#: Tells the start-minute stream apart from an engine's other streams (``spawn_key`` suffix).
HISTORY_STREAM = 0x68697374


# --------------------------------------------------------------------------- the recording


@dataclass(frozen=True)
class Recording:
    """One view of a history file, per minute (5-minute rows expanded)."""

    view: str
    invocations: FloatArray
    p5: FloatArray  # 5XX probability per request
    p4: FloatArray  # 4XX probability per request
    latency_ms: FloatArray  # ModelLatency p50 in ms (nan: never recorded)

    @property
    def minutes(self) -> int:
        return len(self.p5)


def _timestamp(text: str) -> float | None:
    try:
        stamp = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    if stamp.tzinfo is None:
        stamp = stamp.replace(tzinfo=UTC)
    return stamp.timestamp()


def _filled(values: list[float | None]) -> FloatArray:
    """Missing entries repeat the last present one (the first present one before it; nan if
    none is present)."""
    out = np.full(len(values), math.nan)
    last = next((v for v in values if v is not None), math.nan)
    for i, v in enumerate(values):
        if v is not None:
            last = v
        out[i] = last
    return out


def _rate(row: Mapping[str, float | None], metric: str) -> float | None:
    n, errors = row["Invocations.Sum"], row[f"{metric}.Sum"]
    if n is not None and n > 0:
        return min(1.0, (errors or 0.0) / n)
    if n is None:
        avg = row[f"{metric}.Average"]
        return None if avg is None else min(1.0, avg)
    return None  # no requests this minute


def parse_history(text: str, source: str) -> dict[str, Recording]:
    """The views of a history file's text; :class:`BadInputError` naming ``source`` and the
    line of the first problem."""
    reader = csv.reader(text.splitlines())
    header = next(reader, None)
    if header is None or [c.strip() for c in header] != list(COLUMNS):
        raise BadInputError(
            f"{source} line 1: expected the history header {','.join(COLUMNS)!r}"
            " (written by guardsim real import --history)"
        )
    rows: dict[str, list[tuple[float, int, dict[str, float | None]]]] = {}
    for lineno, cells in enumerate(reader, start=2):
        if not cells or not any(c.strip() for c in cells):
            continue
        where = f"{source} line {lineno}"
        if len(cells) != len(COLUMNS):
            raise BadInputError(f"{where}: expected {len(COLUMNS)} cells, got {len(cells)}")
        stamp = _timestamp(cells[0].strip())
        if stamp is None:
            raise BadInputError(f"{where}: timestamp: expected ISO 8601, got {cells[0]!r}")
        view = cells[1].strip()
        if view not in VIEWS:
            raise BadInputError(f"{where}: view: expected one of {', '.join(VIEWS)}, got {view!r}")
        try:
            period = int(cells[2])
        except ValueError:
            period = 0
        if period not in PERIODS:
            raise BadInputError(f"{where}: period: expected 60 or 300, got {cells[2]!r}")
        values: dict[str, float | None] = {}
        for name, cell in zip(COLUMNS[3:], cells[3:], strict=True):
            cell = cell.strip()
            if not cell:
                values[name] = None
                continue
            try:
                v = float(cell)
            except ValueError:
                v = math.nan
            if not math.isfinite(v) or v < 0:
                raise BadInputError(f"{where}: {name}: expected a number >= 0, got {cell!r}")
            values[name] = v
        seen = rows.setdefault(view, [])
        if seen:
            last, last_period, _ = seen[-1]
            if period != last_period or stamp != last + last_period:
                expected = datetime.fromtimestamp(last + last_period, UTC)
                raise BadInputError(
                    f"{where}: the {view} view's rows must be consecutive {last_period}-second "
                    f"periods: expected {expected:%Y-%m-%dT%H:%M:%SZ} with period {last_period}"
                )
        seen.append((stamp, period, values))
    if not rows:
        raise BadInputError(f"{source}: no rows")
    out = {}
    for view, items in rows.items():
        per: list[dict[str, float | None]] = []
        for _, period, values in items:
            k = period // 60
            n = values["Invocations.Sum"]
            minute = dict(values)
            minute["Invocations.Sum"] = None if n is None else n / k
            for metric in ("Invocation5XXErrors", "Invocation4XXErrors"):
                s = values[f"{metric}.Sum"]
                minute[f"{metric}.Sum"] = None if s is None else s / k
            per.extend([minute] * k)
        p50 = [None if (us := r["ModelLatency.p50"]) is None else us / 1000.0 for r in per]
        p5 = _filled([_rate(r, "Invocation5XXErrors") for r in per])
        p4 = _filled([_rate(r, "Invocation4XXErrors") for r in per])
        p5, p4 = np.nan_to_num(p5), np.nan_to_num(p4)
        out[view] = Recording(
            view,
            np.asarray([r["Invocations.Sum"] or 0.0 for r in per]),
            p5,
            np.minimum(p4, 1.0 - p5),
            _filled(p50),
        )
    return out


@functools.lru_cache(maxsize=8)
def _read_cached(path: str, mtime_ns: int, size: int) -> dict[str, Recording]:
    from guardsim.inputs import read_text

    return parse_history(read_text(Path(path), "history"), path)


def read_history(path: Path) -> dict[str, Recording]:
    """The views of a history file (read once per file version: every replication of a Monte
    Carlo run asks); :class:`BadInputError` naming the file (and line)."""
    from guardsim.inputs import file_problem

    reason = file_problem(path, "history")
    if reason is not None:
        raise BadInputError(f"{path}: {reason}")
    st = path.stat()
    return _read_cached(str(path), st.st_mtime_ns, st.st_size)


def recording_of(history: History, path: str = "models.blue.history") -> Recording:
    """The view a scenario's ``history`` names (``auto``: blue, else blended)."""
    try:
        views = read_history(Path(history.file))
    except BadInputError as exc:
        raise ScenarioError([Problem(join(path, "file"), str(exc))]) from None
    view = history.view
    if view == "auto":
        view = "blue" if "blue" in views else "blended"
    if view not in views:
        raise ScenarioError(
            [
                Problem(
                    join(path, "view"),
                    f"{history.file} has no {view!r} view (it has {', '.join(sorted(views))})",
                )
            ]
        )
    rec = views[view]
    if history.start_minute is not None and history.start_minute >= rec.minutes:
        raise ScenarioError(
            [
                Problem(
                    join(path, "start_minute"),
                    f"must be < {rec.minutes} (the minutes recorded), got {history.start_minute}",
                )
            ]
        )
    return rec


def history_problems(history: History, path: str) -> list[Problem]:
    """What :func:`recording_of` would refuse, as problems (the scenario validator's check)."""
    try:
        recording_of(history, path)
    except ScenarioError as exc:
        return list(exc.problems)
    return []


# --------------------------------------------------------------------------- the kernel


def minute_index(t: Value, start: float, offset: Offset, minutes: int) -> Any:
    """Recording minute of time ``t`` (s after UpdateEndpoint) in a run that starts at
    ``start``, for a replication whose first minute is recording minute ``offset``."""
    if isinstance(t, float | int) and isinstance(offset, int | np.integer):
        return (math.floor(t / 60.0) - math.floor(start / 60.0) + int(offset)) % minutes
    m = np.floor(np.asarray(t, dtype=np.float64) / 60.0).astype(np.int64)
    return (m - math.floor(start / 60.0) + np.asarray(offset, dtype=np.int64)) % minutes


def _transformed(p: Value, scale: float, add: float) -> Value:
    if isinstance(p, float):
        return min(1.0, max(0.0, p * scale + add))
    out: FloatArray = np.clip(p * scale + add, 0.0, 1.0)
    return out


class HistoryDriver:
    """One fleet's baseline behaviour from a recording, for replications starting at
    ``offset`` (one start minute, or an array that broadcasts against the times asked)."""

    def __init__(
        self,
        recording: Recording,
        median_ms: float,
        start: float,
        offset: Offset,
        transform: HistoryTransform | None = None,
    ) -> None:
        self.recording = recording
        self.start = start
        self.offset = offset
        self.transform = transform
        r = recording
        p5, p4 = r.p5, r.p4
        # the model's median where the recording has no latency at all (multiplier 1)
        latency = np.where(np.isnan(r.latency_ms), median_ms, r.latency_ms)
        add_ms = 0.0
        if transform is not None:
            e5, e4, lat = transform.error_rate, transform.error_rate_4xx, transform.latency
            p5 = np.clip(p5 * e5.scale + e5.add, 0.0, 1.0)
            p4 = np.minimum(np.clip(p4 * e4.scale + e4.add, 0.0, 1.0), 1.0 - p5)
            latency = latency * lat.scale
            add_ms = lat.add_ms
        #: Per recording minute: (p5, p4, ModelLatency multiplier); the added ms is constant.
        self.p5, self.p4 = p5, p4
        self.mult = latency / median_ms
        self.add_ms = add_ms
        self._lists = (p5.tolist(), p4.tolist(), self.mult.tolist())  # the scalar path

    def base(self, t: Value) -> Behaviour:
        """The baseline behaviour at ``t``: scalar for a scalar ``t`` and offset, else arrays."""
        from guardsim.model.faults import Behaviour

        k = minute_index(t, self.start, self.offset, self.recording.minutes)
        if isinstance(k, int):
            p5, p4, mult = self._lists
            return Behaviour(p5[k], p4[k], mult[k], self.add_ms)
        return Behaviour(self.p5[k], self.p4[k], self.mult[k], self.add_ms)


# --------------------------------------------------------------------------- engines' entry


def start_minutes(
    models: Mapping[str, ModelBehaviour], seed: np.random.SeedSequence, size: int | None = None
) -> Offset | None:
    """Each replication's start minute in the recording (None: no history): ``start_minute``
    if set, else uniform over the recorded minutes from the stream ``seed`` extended by
    :data:`HISTORY_STREAM` (so the engine's other draws are unchanged)."""
    history = models["blue"].history
    if history is None:
        return None
    if history.start_minute is not None:
        return (
            history.start_minute
            if size is None
            else np.full(size, history.start_minute, dtype=np.int64)
        )
    rec = recording_of(history)
    stream = np.random.SeedSequence(seed.entropy, spawn_key=(*seed.spawn_key, HISTORY_STREAM))
    rng = np.random.default_rng(stream)
    if size is None:
        return int(rng.integers(0, rec.minutes))
    return rng.integers(0, rec.minutes, size=size).astype(np.int64)


def drivers(
    models: Mapping[str, ModelBehaviour], start: float, offset: Offset | None
) -> dict[str, HistoryDriver]:
    """Each recording-driven fleet's driver (none without ``models.blue.history``)."""
    blue, green = models["blue"], models["green"]
    if blue.history is None:
        return {}
    rec = recording_of(blue.history)
    at = 0 if offset is None else offset
    out = {"blue": HistoryDriver(rec, blue.latency.median_ms, start, at)}
    if green.history_transform is not None:
        out["green"] = HistoryDriver(
            rec, green.latency.median_ms, start, at, green.history_transform
        )
    return out


def steady_model(models: Mapping[str, ModelBehaviour], fleet: str) -> ModelBehaviour:
    """``models[fleet]`` as a steady-state reading sees it (lint's static rules): a
    recording-driven fleet's error rates are the recording's mean rates (transformed for the new
    model), and its latency median and p99 are scaled by the mean latency multiplier, plus the
    transform's ``add_ms``; the history fields are dropped. A fleet without a recording is its
    model, unchanged. The mean over minutes stands for the recording's level; its variation is
    what the simulation (and an anomaly band, :mod:`guardsim.model.anomaly`) takes into account."""
    from dataclasses import replace

    from guardsim.scenarios.models import Latency

    model = models[fleet]
    driver = drivers(models, 0.0, None).get(fleet)
    if driver is None:
        return model
    mult = float(np.mean(driver.mult))
    lat = model.latency
    return replace(
        model,
        error_rate_5xx=float(np.mean(driver.p5)),
        error_rate_4xx=float(np.mean(driver.p4)),
        latency=Latency(lat.median_ms * mult + driver.add_ms, lat.p99_ms * mult + driver.add_ms),
        history=None,
        history_transform=None,
    )


def fleet_faults(
    models: Mapping[str, ModelBehaviour], start: float = 0.0, offset: Offset | None = None
) -> dict[str, FleetFaults]:
    """Each fleet's model compiled (:class:`~guardsim.model.faults.FleetFaults`), recording-
    driven where the scenario says, for replications starting at ``offset`` (0 if None)."""
    from guardsim.model.faults import FleetFaults

    driven = drivers(models, start, offset)
    return {f: FleetFaults(m, f"models.{f}", driven.get(f)) for f, m in models.items()}


def played_from_start(model: ModelBehaviour, path: str) -> HistoryDriver | None:
    """The driver of a model that replays a recording by itself, from its ``start_minute`` (0
    if null) with its own ``history_transform`` on top (None without ``history``): the
    emulator's, which has one run to play, not replications to draw start minutes for.
    :class:`ScenarioError` naming ``path`` for a file that cannot be read."""
    if model.history is None:
        return None
    rec = recording_of(model.history, join(path, "history"))
    start = model.history.start_minute or 0
    return HistoryDriver(rec, model.latency.median_ms, 0.0, start, model.history_transform)


def refuse_unreplayed(model: ModelBehaviour, path: str) -> None:
    """Raise :class:`UnsupportedError` for a recording-driven model compiled without its
    driver (a part of guardsim that does not replay history: refused, never ignored)."""
    if model.history is not None or model.history_transform is not None:
        field_ = "history" if model.history is not None else "history_transform"
        raise UnsupportedError(
            f"{path}.{field_}: this part of guardsim does not replay a recorded history "
            "(the exact, fast and batch engines do)"
        )
