"""CloudWatch alarms inside the simulation: what each alarm reads, and its state over time.

Each alarm is bound once to its sources: for a single-metric alarm, the metric and the fleets its
dimensions select (``EndpointName+VariantName``: both fleets, blended; with ``EndpointConfigName``:
that config's fleet; anything else: no data at all). Metric-math alarms bind every MetricStat
query the same way and evaluate the expression per period (:mod:`guardsim.cloudwatch.metric_math`).

At every evaluation instant (:mod:`guardsim.cloudwatch.schedule`) the monitor builds the
evaluation range's datapoints from the buckets *published by then* (late minutes are simply not
there yet) and hands them to the pure :class:`~guardsim.cloudwatch.alarm.AlarmRule`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import ClassVar, Final

import numpy as np

from guardsim.cloudwatch.alarm import AlarmEvaluation, AlarmRule, AlarmState
from guardsim.cloudwatch.anomaly import evaluated_metrics
from guardsim.cloudwatch.binding import Source, bind_source
from guardsim.cloudwatch.composite import CompositeRule, parse_rule, reevaluate
from guardsim.cloudwatch.metric_math import MetricMathProgram, compile_metrics
from guardsim.cloudwatch.schedule import evaluation_interval, range_windows
from guardsim.model.setup_time import METRIC as SETUP_METRIC
from guardsim.model.setup_time import window_statistic
from guardsim.scenarios.boto import CompositeAlarm, MetricAlarm
from guardsim.scenarios.environment import Environment
from guardsim.scenarios.models import Models
from guardsim.scenarios.scenario import Endpoint
from guardsim.simulator.fleet import SetupTimes
from guardsim.simulator.metrics import (
    MetricStore,
    MinuteBucket,
    basic_statistic_of,
    key_rng,
    statistic_of,
)


@dataclass
class _Tracked:
    """An alarm's state as SageMaker reads it (``name``, ``state``, ``entered_at``,
    ``reason``), and its state changes."""

    state: AlarmState = field(default=AlarmState.INSUFFICIENT_DATA, kw_only=True)
    entered_at: float = field(default=float("-inf"), kw_only=True)
    reason: str = field(default="Unchecked: Initial alarm creation", kw_only=True)
    history: list[dict[str, object]] = field(default_factory=list, kw_only=True)


@dataclass
class BoundAlarm(_Tracked):
    """An alarm, its compiled rule and sources, and its current state."""

    alarm: MetricAlarm
    rule: AlarmRule
    sources: dict[str, Source]
    program: MetricMathProgram | None

    @property
    def name(self) -> str:
        return self.alarm.name


@dataclass
class BoundComposite(_Tracked):
    """A composite alarm, its parsed rule, and its current state (see
    :mod:`guardsim.cloudwatch.composite`): INSUFFICIENT_DATA until a child first changes."""

    is_composite: ClassVar[bool] = True

    alarm: CompositeAlarm
    rule: CompositeRule

    @property
    def name(self) -> str:
        return self.alarm.name


class _Reader:
    """How the monitor reads one :class:`Source` for one alarm: what is fixed for the run,
    worked out once."""

    __slots__ = (
        "basic",
        "by_fleet",
        "fleets",
        "id",
        "kind",
        "metric",
        "minutes",
        "since",
        "source",
        "spec",
    )

    def __init__(self, source: Source, ident: int, period: int, store: MetricStore) -> None:
        self.source = source
        #: Equal sources share an id, and so their cached window values.
        self.id = ident
        self.fleets = source.fleets
        #: The store's buckets of each of the fleets, by minute.
        self.by_fleet = [store.buckets[f] for f in source.fleets]
        self.metric = source.metric
        self.spec = source.spec
        self.basic = source.spec.is_basic
        self.kind = source.spec.kind
        self.since = source.blue_from if source.fleets == ("blue",) else None
        #: A basic statistic over one-minute periods (the common case) is read minute by
        #: minute: the value of a window of one minute is that of the minute, fixed once the
        #: minute is visible, kept here by minute. (Extended statistics draw by window, fast
        #: mode: see AlarmMonitor._value.)
        self.minutes: dict[float, tuple[float | None, float | None]] | None = (
            {} if self.basic and period == 60 else None
        )


@dataclass
class _Plan:
    """An alarm's evaluation interval, its windows relative to the evaluation instant (the
    ``(k * period, (k - 1) * period)`` of :func:`range_windows`), its readers by query id, and
    (single-metric alarms) its recent evaluations by their inputs.

    The rule is a pure function of (datapoints, previous state, and the sample counts if its
    low-sample rule can apply), and alarms often see the same inputs again (an error rate of
    0.0 minute after minute), so those evaluations are looked up, not redone. The datapoints of
    a SageMaker metric are never -0.0 (sums and averages of values >= 0), so equal keys mean
    equal inputs (a NaN equals only itself: the same object). Metric-math alarms are not
    memoised (an expression can give -0.0), nor alarms whose inputs turn out never to repeat
    (a latency average): ``memo`` is then None.
    """

    interval: int
    offsets: tuple[tuple[int, int], ...]
    readers: dict[str, _Reader]
    memo: dict[tuple[object, ...], AlarmEvaluation] | None
    memo_counts: bool  # whether the sample counts are part of the inputs
    memo_hits: int = 0  # since the memo was last emptied


#: A window with no visible datapoint: (value, sample count).
_NO_DATA: Final[tuple[float | None, float | None]] = (None, None)
#: Bound on the cache of window values (old windows are never read again).
_CACHE_SIZE = 256
#: Bound on each alarm's memo of evaluations.
_MEMO_SIZE = 32


class AlarmMonitor:
    """Evaluates every alarm of a scenario against the metric store."""

    def __init__(
        self,
        alarms: tuple[MetricAlarm, ...],
        endpoint: Endpoint,
        store: MetricStore,
        environment: Environment,
        blue_per_config_from: float | None,
        run_key: tuple[int, ...] = (0,),
        evaluation_offset: float = 0.0,
        record_evaluations: bool = True,
        composites: tuple[CompositeAlarm, ...] = (),
        models: Models | None = None,
        bands: Mapping[str, tuple[float, float]] | None = None,
        setup_times: SetupTimes | None = None,
    ) -> None:
        self.store = store
        #: The launched instances' ModelSetupTime samples (None: not published, see
        #: environment.model_setup_time).
        self.setup_times = setup_times
        setup = setup_times is not None
        #: Whether :attr:`evaluations` is kept (a run without detail does not report it).
        self.record_evaluations = record_evaluations
        self.run_key = run_key
        self.evaluation_offset = evaluation_offset
        self.bound: list[BoundAlarm] = []
        for alarm in alarms:
            # an anomaly alarm's band (guardsim.model.anomaly.anomaly_bands), else None
            rule = environment.alarm_rule(alarm.to_boto(), (bands or {}).get(alarm.name))
            program = None
            if alarm.metrics is not None:
                program = compile_metrics(evaluated_metrics(alarm.to_boto()["Metrics"]))
                sources = {
                    q.id: bind_source(
                        q.namespace,
                        q.metric_name,
                        dict(q.dimensions),
                        q.stat,
                        endpoint,
                        blue_per_config_from,
                        models,
                        setup,
                    )
                    for q in program.metric_stats.values()
                }
            else:
                stat = alarm.statistic_name
                assert stat is not None and alarm.metric_name is not None
                sources = {
                    "m": bind_source(
                        alarm.namespace,
                        alarm.metric_name,
                        alarm.dimension_map(),
                        stat,
                        endpoint,
                        blue_per_config_from,
                        models,
                        setup,
                    )
                }
            self.bound.append(BoundAlarm(alarm, rule, sources, program))
        #: Composite alarms, children first (:meth:`Scenario.evaluated_alarms` orders them).
        self.composites = [
            BoundComposite(c, parse_rule(c.rule, alarm_name=c.name)) for c in composites
        ]
        self.evaluations: list[dict[str, object]] = []
        #: How many state changes there have been (readers compare it to notice a change).
        self.changes = 0
        ids: dict[Source, int] = {}
        self._plans: list[_Plan] = []
        for b in self.bound:
            rule = b.rule
            range_windows(0.0, rule.period, rule.range_length)  # the same checks, up front
            offsets = tuple(
                (k * rule.period, (k - 1) * rule.period) for k in range(rule.range_length, 0, -1)
            )
            readers = {
                qid: _Reader(src, ids.setdefault(src, len(ids)), rule.period, store)
                for qid, src in b.sources.items()
            }
            interval = evaluation_interval(rule.period, rule.evaluation_periods)
            memo_counts = rule.low_sample_threshold is not None
            memo: dict[tuple[object, ...], AlarmEvaluation] | None = (
                {} if b.program is None else None
            )
            self._plans.append(_Plan(interval, offsets, readers, memo, memo_counts))
        # Window values by (reader id, start, end), with the time until which they hold (see
        # MetricStore.window): published buckets never change, so a window's value only
        # changes when another of its buckets becomes visible.
        self._windows: dict[tuple[int, float, float], tuple[float | None, float | None, float]] = {}
        self.max_window_seconds = max(
            (b.rule.period * b.rule.range_length for b in self.bound), default=0
        )

    def needs_raw(self) -> bool:
        return any(not s.spec.is_basic for b in self.bound for s in b.sources.values())

    def _series(
        self, reader: _Reader, offsets: tuple[tuple[int, int], ...], t: float
    ) -> tuple[list[float | None], list[float | None]]:
        """The values and sample counts ``reader`` sees at ``t`` in the windows
        ``(t - a, t - z)`` of ``offsets`` (range_windows, from offsets worked out once)."""
        if not reader.fleets:
            return [None] * len(offsets), [None] * len(offsets)
        if reader.metric == SETUP_METRIC:
            return self._setup_series(reader, offsets, t)
        if reader.minutes is not None:
            return self._minute_series(reader, reader.minutes, offsets, t)
        return self._window_series(reader, [(t - a, t - z) for a, z in offsets], t)

    def _window_series(
        self, reader: _Reader, windows: list[tuple[float, float]], t: float
    ) -> tuple[list[float | None], list[float | None]]:
        """:meth:`_series`, window by window."""
        values: list[float | None] = []
        counts: list[float | None] = []
        cache = self._windows
        ident = reader.id
        for start, end in windows:
            key = (ident, start, end)
            hit = cache.get(key)
            if hit is None or t >= hit[2]:
                buckets, until = self.store.window(reader.fleets, start, end, t, reader.since)
                value, count = self._value(reader, buckets, start, end) if buckets else _NO_DATA
                hit = (value, count, until)
                if until > t:
                    if len(cache) > _CACHE_SIZE:
                        cache.clear()
                    cache[key] = hit
            values.append(hit[0])
            counts.append(hit[1])
        return values, counts

    def _setup_series(
        self, reader: _Reader, offsets: tuple[tuple[int, int], ...], t: float
    ) -> tuple[list[float | None], list[float | None]]:
        """:meth:`_series` of ModelSetupTime: each window's statistic of the samples of the
        instances that became ready in its minutes, those published by ``t``
        (:func:`guardsim.model.setup_time.window_statistic`); no sample: no datapoint."""
        assert self.setup_times is not None
        setup = self.setup_times
        published = self.store.published
        values: list[float | None] = []
        counts: list[float | None] = []
        for a, z in offsets:
            end = t - z
            m = math.ceil((t - a) / 60.0) * 60.0  # the first minute starting in the window
            samples: list[float] = []
            while m < end:  # the minutes that start in the window (as MetricStore.window)
                at = published.get(m)
                if at is not None and at <= t and (reader.since is None or m >= reader.since):
                    for fleet in reader.fleets:
                        samples.extend(setup.samples(fleet, m))
                m += 60.0
            value = window_statistic(reader.spec, np.asarray(samples)) if samples else None
            values.append(value)
            counts.append(float(len(samples)) if value is not None else None)
        return values, counts

    def _minute_series(
        self,
        reader: _Reader,
        minutes: dict[float, tuple[float | None, float | None]],
        offsets: tuple[tuple[int, int], ...],
        t: float,
    ) -> tuple[list[float | None], list[float | None]]:
        """:meth:`_series` for windows of one minute: each window's value is its minute's, once
        the minute is visible (MetricStore.window reads the same buckets)."""
        values: list[float | None] = []
        counts: list[float | None] = []
        published = self.store.published
        by_fleet = reader.by_fleet
        since = reader.since
        for a, z in offsets:
            start, end = t - a, t - z
            # The minutes MetricStore.window reads: from the first one starting in the window,
            # by 60 s, while before its end. Exactly one, unless float rounding says otherwise.
            rem = start % 60.0
            m = start - rem if rem else start
            if m < start:
                m += 60.0
            if not (m < end and m + 60.0 >= end):
                value, count = self._window_series(reader, [(start, end)], t)
                values.append(value[0])
                counts.append(count[0])
                continue
            at = published.get(m)
            if at is None or at > t or (since is not None and m < since):  # nothing visible
                values.append(None)
                counts.append(None)
                continue
            hit = minutes.get(m)
            if hit is None:
                buckets = [b for fb in by_fleet if (b := fb.get(m)) is not None]
                hit = self._value(reader, buckets, start, end) if buckets else _NO_DATA
                if len(minutes) >= _CACHE_SIZE:  # old minutes are never read again
                    minutes.clear()
                minutes[m] = hit
            values.append(hit[0])
            counts.append(hit[1])
        return values, counts

    def _value(
        self, reader: _Reader, buckets: list[MinuteBucket], start: float, end: float
    ) -> tuple[float | None, float | None]:
        """(value, sample count) of one window from its visible buckets (statistic_of)."""
        if reader.basic:  # the common case, without statistic_of's dispatch
            n = 0
            for b in buckets:
                n += b.n
            value = basic_statistic_of(buckets, reader.metric, reader.kind) if n else None
            return value, float(n) if value is not None else None
        rng = None
        if any(b.components for b in buckets):
            # fast mode: one draw per (metric, fleets, statistic, window), whoever reads it
            rng = key_rng(self.run_key, reader.metric, reader.fleets, reader.spec.name, start, end)
        value, n = statistic_of(buckets, reader.metric, reader.spec, rng)
        return value, float(n) if value is not None else None

    def is_due(self, rule: AlarmRule, t: float) -> bool:
        """Whether ``t`` is on the alarm's own evaluation schedule (see
        aws-model.md#evaluation-schedule): every minute for a Period of 60 s or more, every 10 s for
        10, 20 or 30 s, hourly past one day, all shifted by the evaluation offset."""
        interval = evaluation_interval(rule.period, rule.evaluation_periods)
        k = round((t - self.evaluation_offset) / interval)
        return abs(t - self.evaluation_offset - k * interval) < 1e-6

    def evaluate(self, t: float) -> None:
        """Evaluate every alarm whose schedule includes ``t``. The engine calls this on the
        finest schedule of its alarms (every 10 s if one is high-resolution), so each alarm
        skips the instants that are not its own."""
        offset = self.evaluation_offset
        before = self.changes
        changed: dict[str, bool] = {}
        for b, plan in zip(self.bound, self._plans, strict=True):
            interval = plan.interval
            k = round((t - offset) / interval)
            if not abs(t - offset - k * interval) < 1e-6:  # not due (as is_due has it)
                continue
            counts: list[float | None] | None
            if b.program is not None:
                inputs = {
                    qid: self._series(r, plan.offsets, t)[0] for qid, r in plan.readers.items()
                }
                values = b.program.evaluate(inputs)
                counts = None  # an expression's value has no sample count of its own
                result = b.rule.evaluate(values, b.state, sample_counts=counts)
            else:
                values, counts = self._series(plan.readers["m"], plan.offsets, t)
                memo = plan.memo
                if memo is None:
                    result = b.rule.evaluate(values, b.state, sample_counts=counts)
                else:
                    key = (b.state, *values, *counts) if plan.memo_counts else (b.state, *values)
                    hit = memo.get(key)
                    if hit is None:
                        hit = b.rule.evaluate(values, b.state, sample_counts=counts)
                        if len(memo) >= _MEMO_SIZE:
                            if not plan.memo_hits:  # nothing repeated: stop looking
                                plan.memo = None
                            plan.memo_hits = 0
                            memo.clear()
                        memo[key] = hit
                    else:
                        plan.memo_hits += 1
                    result = hit
            if self.record_evaluations:
                # The newest window is usually not published yet: record the newest datapoint
                # the alarm actually had, and the N values it evaluated (None: a missing one).
                newest = next((v for v in reversed(values) if v is not None), None)
                self.evaluations.append(
                    {
                        "t": t,
                        "alarm": b.name,
                        "state": result.state.value,
                        "value": newest,
                        "evaluated": list(result.evaluated),
                    }
                )
            if result.state != b.state:
                b.history.append(
                    {
                        "t": t,
                        "alarm": b.name,
                        "from": b.state.value,
                        "to": result.state.value,
                        "reason": result.reason,
                    }
                )
                b.state = result.state
                b.entered_at = t
                self.changes += 1
                changed[b.name] = True
            b.reason = result.reason
        if self.composites and self.changes != before:
            self._composites(t, changed)

    def _composites(self, t: float, changed: dict[str, bool]) -> None:
        """Re-evaluate the composites after the metric alarms changed at ``t``
        (:func:`guardsim.cloudwatch.composite.reevaluate`)."""
        states: dict[str, AlarmState] = {b.name: b.state for b in self.bound}
        states.update((c.name, c.state) for c in self.composites)
        reevaluate([(c.name, c.rule) for c in self.composites], states, changed)
        for c in self.composites:
            if changed.get(c.name):
                reason = c.rule.reason(states)
                c.history.append(
                    {
                        "t": t,
                        "alarm": c.name,
                        "from": c.state.value,
                        "to": states[c.name].value,
                        "reason": reason,
                    }
                )
                c.state = states[c.name]
                c.entered_at = t
                c.reason = reason
                self.changes += 1

    def history(self) -> list[dict[str, object]]:
        out = [h for b in self.bound for h in b.history]
        out += [h for c in self.composites for h in c.history]
        out.sort(key=lambda h: (h["t"], h["alarm"]))
        return out

    def by_name(self, name: str) -> BoundAlarm | BoundComposite | None:
        for b in self.bound:
            if b.name == name:
                return b
        for c in self.composites:
            if c.name == name:
                return c
        return None
