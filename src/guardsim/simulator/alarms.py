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

from dataclasses import dataclass, field

from guardsim.cloudwatch.alarm import AlarmRule, AlarmState
from guardsim.cloudwatch.metric_math import MetricMathProgram, compile_metrics
from guardsim.cloudwatch.schedule import evaluation_interval, range_windows
from guardsim.cloudwatch.statistics import StatisticSpec, parse_statistic
from guardsim.scenarios.boto import MetricAlarm
from guardsim.scenarios.scenario import Endpoint
from guardsim.simulator.metrics import METRICS, MetricStore, key_rng, statistic_of


@dataclass(frozen=True)
class Source:
    """One metric an alarm reads: which metric, which fleets, which statistic."""

    metric: str
    fleets: tuple[str, ...]
    spec: StatisticSpec
    blue_from: float | None = None  # blue's per-config series starts here (None: always)


def bind_source(
    namespace: str | None,
    metric: str | None,
    dims: dict[str, str],
    stat: str,
    endpoint: Endpoint,
    blue_per_config_from: float | None,
) -> Source:
    spec = parse_statistic(stat)
    if namespace != "AWS/SageMaker" or metric not in METRICS:
        return Source(metric or "", (), spec)
    if (
        dims.get("EndpointName") != endpoint.name
        or dims.get("VariantName") != endpoint.variant_name
    ):
        return Source(metric, (), spec)
    extra = set(dims) - {"EndpointName", "VariantName", "EndpointConfigName"}
    if extra:
        return Source(metric, (), spec)
    config = dims.get("EndpointConfigName")
    if config is None:
        return Source(metric, ("blue", "green"), spec)
    if config == endpoint.blue.name:
        return Source(metric, ("blue",), spec, blue_from=blue_per_config_from)
    if config == endpoint.green.name:
        return Source(metric, ("green",), spec)
    return Source(metric, (), spec)


@dataclass
class BoundAlarm:
    """An alarm, its compiled rule and sources, and its current state."""

    alarm: MetricAlarm
    rule: AlarmRule
    sources: dict[str, Source]
    program: MetricMathProgram | None
    state: AlarmState = AlarmState.INSUFFICIENT_DATA
    entered_at: float = float("-inf")
    reason: str = "Unchecked: Initial alarm creation"
    history: list[dict[str, object]] = field(default_factory=list)

    @property
    def name(self) -> str:
        return self.alarm.name


class AlarmMonitor:
    """Evaluates every alarm of a scenario against the metric store."""

    def __init__(
        self,
        alarms: tuple[MetricAlarm, ...],
        endpoint: Endpoint,
        store: MetricStore,
        extra_periods: int,
        blue_per_config_from: float | None,
        run_key: tuple[int, ...] = (0,),
        evaluation_offset: float = 0.0,
    ) -> None:
        self.store = store
        self.run_key = run_key
        self.evaluation_offset = evaluation_offset
        self.bound: list[BoundAlarm] = []
        for alarm in alarms:
            rng_len = alarm.evaluation_periods + extra_periods
            rule = AlarmRule.from_kwargs(alarm.to_boto(), evaluation_range=rng_len)
            program = None
            if alarm.metrics is not None:
                program = compile_metrics(alarm.to_boto()["Metrics"])
                sources = {
                    q.id: bind_source(
                        q.namespace,
                        q.metric_name,
                        dict(q.dimensions),
                        q.stat,
                        endpoint,
                        blue_per_config_from,
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
                    )
                }
            self.bound.append(BoundAlarm(alarm, rule, sources, program))
        self.evaluations: list[dict[str, object]] = []
        self._window_cache: dict[
            tuple[Source, float, float, int], tuple[float | None, float | None]
        ] = {}
        self.max_window_seconds = max(
            (b.rule.period * b.rule.range_length for b in self.bound), default=0
        )

    def needs_raw(self) -> bool:
        return any(not s.spec.is_basic for b in self.bound for s in b.sources.values())

    def _series(
        self, source: Source, windows: tuple[tuple[float, float], ...], t: float
    ) -> tuple[list[float | None], list[float | None]]:
        values: list[float | None] = []
        counts: list[float | None] = []
        cache = self._window_cache
        for start, end in windows:
            if not source.fleets:
                values.append(None)
                counts.append(None)
                continue
            buckets = self.store.visible(
                source.fleets,
                start,
                end,
                t,
                since=source.blue_from if source.fleets == ("blue",) else None,
            )
            # Published buckets never change, so a window's value only changes when another of
            # its buckets becomes visible: cache it by the number of visible buckets.
            key = (source, start, end, len(buckets))
            hit = cache.get(key)
            if hit is not None:
                values.append(hit[0])
                counts.append(hit[1])
                continue
            rng = None
            if not source.spec.is_basic and any(b.components for b in buckets):
                # fast mode: one draw per (metric, fleets, statistic, window), whoever reads it
                rng = key_rng(
                    self.run_key, source.metric, source.fleets, source.spec.name, start, end
                )
            value, n = statistic_of(buckets, source.metric, source.spec, rng)
            count = float(n) if value is not None else None
            if len(cache) > 4096:  # old windows are never read again; keep memory flat
                cache.clear()
            cache[key] = (value, count)
            values.append(value)
            counts.append(count)
        return values, counts

    def is_due(self, rule: AlarmRule, t: float) -> bool:
        """Whether ``t`` is on the alarm's own evaluation schedule (spec 4.3): every minute for
        a Period of 60 s or more, every 10 s for 10, 20 or 30 s, hourly past one day, all
        shifted by the evaluation offset."""
        interval = evaluation_interval(rule.period, rule.evaluation_periods)
        k = round((t - self.evaluation_offset) / interval)
        return abs(t - self.evaluation_offset - k * interval) < 1e-6

    def evaluate(self, t: float) -> None:
        """Evaluate every alarm whose schedule includes ``t``. The engine calls this on the
        finest schedule of its alarms (every 10 s if one is high-resolution), so each alarm
        skips the instants that are not its own."""
        for b in self.bound:
            rule = b.rule
            if not self.is_due(rule, t):
                continue
            windows = range_windows(t, rule.period, rule.range_length)
            counts: list[float | None] | None
            if b.program is None:
                values, counts = self._series(b.sources["m"], windows, t)
            else:
                inputs = {qid: self._series(src, windows, t)[0] for qid, src in b.sources.items()}
                values = b.program.evaluate(inputs)
                counts = None  # an expression's value has no sample count of its own
            result = rule.evaluate(values, b.state, sample_counts=counts)
            # The newest window is usually not published yet: record the newest datapoint the
            # alarm actually had, and the N values it evaluated (None: a missing one).
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
            b.reason = result.reason

    def history(self) -> list[dict[str, object]]:
        out = [h for b in self.bound for h in b.history]
        out.sort(key=lambda h: (h["t"], h["alarm"]))
        return out

    def by_name(self, name: str) -> BoundAlarm | None:
        for b in self.bound:
            if b.name == name:
                return b
        return None
