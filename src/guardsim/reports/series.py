"""A run record as plain series over time: what every run report draws.

Pure functions of a :class:`~guardsim.record.RunRecord`: nothing here runs a simulation or
reaches back into the simulator. Times are seconds after the ``UpdateEndpoint`` call.

* :func:`time_span`: the stretch of time a record covers, warm-up included;
* :func:`phase_intervals` and :func:`alarm_state_intervals`: the phase timeline and each alarm's
  state, as back-to-back intervals with the reason that started each one;
* :func:`traffic_steps`: the green traffic fraction as a step function;
* :class:`DatapointTable`: the per-minute datapoints by metric and dimension set, and a
  statistic of them (``Sum``, ``Average``, ``p99``, ...);
* :func:`alarm_series`: the datapoints one alarm read, rebuilt from the record's datapoints and
  the alarm's definition (its metric, dimensions and statistic, or its metric-math expression),
  each with the time it was published.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from guardsim.cloudwatch.anomaly import evaluated_metrics
from guardsim.cloudwatch.metric_math import compile_metrics
from guardsim.model.custom_metrics import series_name
from guardsim.model.metrics import INSTANCE_METRICS, INSTANCE_NAMESPACE, NAMESPACE
from guardsim.record import RunRecord

#: The dimension sets a run record keeps: EndpointName+VariantName (both fleets), and the same
#: with the old (blue) or new (green) EndpointConfigName.
DIMENSION_SETS = ("blended", "blue", "green")

#: Statistics a record's per-minute columns answer directly (the rest need the raw samples).
_COLUMN_OF = {
    "SampleCount": "sample_count",
    "Sum": "sum",
    "Minimum": "minimum",
    "Maximum": "maximum",
    "p50": "p50",
    "p99": "p99",
}
#: Statistics that stay exact when minutes are merged into a longer period.
_MERGEABLE = frozenset({"SampleCount", "Sum", "Average", "Minimum", "Maximum"})


@dataclass(frozen=True)
class Interval:
    """A stretch of time in one state: a phase or an alarm state, and why it began."""

    start: float
    end: float
    label: str
    reason: str


@dataclass(frozen=True)
class Series:
    """A per-period series: ``t`` is each period's start, ``published_at`` when it was visible
    (``None`` when the record does not know: real records, CloudWatch does not expose it).

    ``value`` is ``None`` where the statistic has no value (no samples, or an expression that
    yields none). ``sample_count`` is the number of samples behind each value (``None`` for a
    metric-math result, which has no sample count of its own).
    """

    t: tuple[float, ...]
    value: tuple[float | None, ...]
    published_at: tuple[float | None, ...]
    sample_count: tuple[float | None, ...]

    def __len__(self) -> int:
        return len(self.t)


EMPTY_SERIES = Series((), (), (), ())


@dataclass(frozen=True)
class AlarmSeries:
    """What one alarm read: its series, a label for it, and whether the record could rebuild it.

    ``note`` says in words why the series is empty when it is (an alarm on a metric or
    dimension set guardsim does not publish sees no data; a statistic the record keeps no column
    for cannot be rebuilt).
    """

    series: Series
    label: str
    note: str | None = None
    unit: str | None = None


def time_span(record: RunRecord) -> tuple[float, float]:
    """From the start of the warm-up to the last thing the record saw (at least the deployment)."""
    dp = record.datapoints
    starts: list[float] = [0.0]
    ends: list[float] = [0.0, record.summary.deployment_seconds]
    starts += [row["t"] for row in record.traffic]
    starts += [row["t"] for row in record.transitions]
    if dp.get("timestamp"):
        starts.append(min(dp["timestamp"]))
        ends.append(max(dp["timestamp"]) + 60.0)
    published = [p for p in dp.get("published_at", ()) if p is not None]
    if published:
        ends.append(max(published))
    for rows in (record.alarm_evaluations, record.alarm_history, record.transitions):
        ends += [row["t"] for row in rows]
    return min(starts), max(ends)


def phase_intervals(record: RunRecord, start: float, end: float) -> list[Interval]:
    """The phases back to back, from ``start`` to ``end``, each with its transition's reason."""
    if not record.transitions:
        return [Interval(start, end, "InService", "no update recorded")]
    first = record.transitions[0]
    out = [Interval(start, first["t"], first["from"], "before the UpdateEndpoint call")]
    for tr, nxt in zip(record.transitions, [*record.transitions[1:], None], strict=True):
        stop = end if nxt is None else nxt["t"]
        out.append(Interval(tr["t"], max(stop, tr["t"]), tr["to"], tr["reason"]))
    return out


def alarm_state_intervals(
    record: RunRecord, alarm: str, start: float, end: float
) -> list[Interval]:
    """One alarm's states back to back; it starts INSUFFICIENT_DATA, as a new alarm does."""
    changes = [h for h in record.alarm_history if h["alarm"] == alarm]
    out: list[Interval] = []
    state, since, reason = "INSUFFICIENT_DATA", start, "Unchecked: Initial alarm creation"
    for h in changes:
        if h["t"] > since:
            out.append(Interval(since, h["t"], state, reason))
        state, since, reason = h["to"], max(h["t"], start), h["reason"]
    out.append(Interval(since, max(end, since), state, reason))
    return out


def traffic_steps(record: RunRecord, end: float) -> tuple[list[float], list[float]]:
    """The green traffic fraction after every change, held until ``end`` (for a step line)."""
    xs = [row["t"] for row in record.traffic]
    ys = [float(row["green_fraction"]) for row in record.traffic]
    if xs and end > xs[-1]:
        xs.append(end)
        ys.append(ys[-1])
    return xs, ys


class DatapointTable:
    """The record's datapoint columns, indexed by ``(metric, dimensions)``, oldest first."""

    def __init__(self, record: RunRecord) -> None:
        self.columns: Mapping[str, Sequence[Any]] = record.datapoints
        metrics = self.columns.get("metric", [])
        dims = self.columns.get("dimensions", [])
        times = self.columns.get("timestamp", [])
        index: dict[tuple[str, str], list[int]] = {}
        for i, key in enumerate(zip(metrics, dims, strict=True)):
            index.setdefault(key, []).append(i)
        for rows in index.values():
            rows.sort(key=lambda i: times[i])
        self._index = index

    @property
    def metrics(self) -> set[str]:
        return {m for m, _ in self._index}

    def has(self, metric: str, dimensions: str) -> bool:
        return (metric, dimensions) in self._index

    def series(self, metric: str, dimensions: str, statistic: str, period: int = 60) -> Series:
        """A statistic of one metric on one dimension set, per ``period`` seconds.

        ``statistic`` is one of ``SampleCount``, ``Sum``, ``Average``, ``Minimum``, ``Maximum``,
        ``p50``, ``p99`` (raises ``KeyError`` for others; see :func:`statistic_available`).
        Periods longer than a minute merge whole minutes (exact for all but percentiles).
        """
        if not statistic_available(statistic, period):
            raise KeyError(statistic)
        rows = self._index.get((metric, dimensions), [])
        col = self.columns
        if period == 60:
            ts = tuple(float(col["timestamp"][i]) for i in rows)
            pub = tuple(_published(col, [i]) for i in rows)
            counts = tuple(float(col["sample_count"][i]) for i in rows)
            return Series(ts, tuple(_stat(col, [i], statistic) for i in rows), pub, counts)
        groups: dict[float, list[int]] = {}
        for i in rows:
            ts0 = float(col["timestamp"][i])
            groups.setdefault(ts0 - ts0 % period, []).append(i)
        keys = sorted(groups)
        return Series(
            tuple(keys),
            tuple(_stat(col, groups[k], statistic) for k in keys),
            tuple(_published(col, groups[k]) for k in keys),
            tuple(float(sum(col["sample_count"][i] for i in groups[k])) for k in keys),
        )


def _published(col: Mapping[str, Sequence[Any]], rows: list[int]) -> float | None:
    """When the last of ``rows`` was published, or None if the record does not say."""
    times = [col["published_at"][i] for i in rows if col["published_at"][i] is not None]
    return float(max(times)) if times else None


def statistic_available(statistic: str, period: int = 60) -> bool:
    """Whether a record's per-minute columns give this statistic for this period exactly."""
    if period == 60:
        return statistic in _COLUMN_OF or statistic == "Average"
    return period % 60 == 0 and statistic in _MERGEABLE


def _stat(col: Mapping[str, Sequence[Any]], rows: list[int], statistic: str) -> float | None:
    n = float(sum(col["sample_count"][i] for i in rows))
    if statistic == "SampleCount":
        return n
    if not n:
        return None
    if statistic == "Average":
        return float(sum(col["sum"][i] for i in rows)) / n
    column = col[_COLUMN_OF[statistic]]
    values = [float(column[i]) for i in rows if column[i] is not None]
    if not values:
        return None
    if statistic == "Sum":
        return sum(values)
    if statistic == "Minimum":
        return min(values)
    if statistic == "Maximum":
        return max(values)
    return float(values[0])  # a percentile, only ever of a single minute (statistic_available)


@dataclass(frozen=True)
class EndpointNames:
    """The names an alarm's dimensions must carry to select one of the record's series."""

    endpoint: str | None
    variant: str | None
    blue_config: str | None
    green_config: str | None
    #: an inference component's update (issue 19): the component's name
    component: str | None = None
    #: its neighbours whose requests were simulated (given ``traffic``): the endpoint-wide
    #: series counts them, and the record keeps no datapoints of theirs
    busy_neighbours: tuple[str, ...] = ()
    #: a multi-variant endpoint's variant names: its record labels each variant's series
    #: ``VARIANT:blended|blue|green`` (empty: one variant, unlabelled)
    variants: tuple[str, ...] = ()

    @classmethod
    def of(cls, record: RunRecord) -> EndpointNames:
        ep = record.scenario_definition.get("endpoint", {}) or {}
        ic = record.scenario_definition.get("inference_component") or {}
        component = (ic.get("component") or {}).get("InferenceComponentName")
        busy = tuple(
            str(n.get("InferenceComponentName"))
            for n in ic.get("neighbours") or ()
            if isinstance(n, Mapping) and n.get("traffic") is not None
        )

        def config(side: str) -> tuple[str | None, str | None]:
            c = ep.get(side) or {}
            variants = c.get("ProductionVariants") or [{}]
            return c.get("EndpointConfigName"), variants[0].get("VariantName")

        blue, variant = config("blue")
        green, _ = config("green")
        listed = (ep.get("blue") or {}).get("ProductionVariants") or []
        names = tuple(str(v.get("VariantName")) for v in listed) if len(listed) > 1 else ()
        return cls(ep.get("name"), variant, blue, green, component, busy, names)

    def dimension_set(self, namespace: str | None, dims: Mapping[str, str]) -> str | None:
        """``blended``, ``blue`` or ``green``; ``None`` if SageMaker publishes no such series
        (the instance metrics' namespace has the same dimension sets).

        An inference component's series (``InferenceComponentName``) is its old and new copies
        together: the record's ``blended``; it has no per-config series
        (:mod:`guardsim.cloudwatch.binding`)."""
        if self.component is not None:
            if namespace == NAMESPACE and dims == {"InferenceComponentName": self.component}:
                return "blended"
            if "EndpointConfigName" in dims:
                return None
        if namespace not in (NAMESPACE, INSTANCE_NAMESPACE) or set(dims) - {
            "EndpointName",
            "VariantName",
            "EndpointConfigName",
        }:
            return None
        if dims.get("EndpointName") != self.endpoint:
            return None
        variant = dims.get("VariantName")
        if variant not in (self.variants or (self.variant,)):
            return None
        config = dims.get("EndpointConfigName")
        label = (
            "blended"
            if config is None
            else {self.blue_config: "blue", self.green_config: "green"}.get(config)
        )
        if label is None or not self.variants:
            return label
        return f"{variant}:{label}"


def _dims(items: Any) -> dict[str, str]:
    if isinstance(items, Mapping):
        return {str(k): str(v) for k, v in items.items()}
    return {str(d["Name"]): str(d["Value"]) for d in items or ()}


def _single(
    table: DatapointTable,
    names: EndpointNames,
    namespace: str | None,
    metric: str,
    dims: Mapping[str, str],
    statistic: str,
    period: int,
) -> tuple[Series, str | None]:
    custom = series_name(namespace or "", metric, dims)
    if namespace not in (NAMESPACE, INSTANCE_NAMESPACE) and table.has(custom, "blended"):
        # a model's custom metric: the record keeps it under its series name (both fleets)
        if not statistic_available(statistic, period):
            return EMPTY_SERIES, f"the run record keeps no per-minute {statistic} over {period} s"
        return table.series(custom, "blended", statistic, period), None
    where = names.dimension_set(namespace, dims)
    if where == "blended" and names.busy_neighbours and "InferenceComponentName" not in dims:
        return EMPTY_SERIES, (
            "the endpoint-wide series also counts the neighbour components' requests "
            f"({', '.join(names.busy_neighbours)}), of which the run record keeps no "
            "datapoints, so they are not shown (the alarm's state is)"
        )
    # the record has no namespace column: each metric name belongs to one namespace
    own = INSTANCE_NAMESPACE if metric in INSTANCE_METRICS else NAMESPACE
    if where is None or metric not in table.metrics or namespace != own:
        return EMPTY_SERIES, (
            f"SageMaker publishes no {namespace}/{metric} series with these dimensions, "
            "so this alarm sees no data"
        )
    if not statistic_available(statistic, period):
        return EMPTY_SERIES, (
            f"the run record keeps no per-minute {statistic} over {period} s, "
            "so the datapoints are not shown (the alarm's state is)"
        )
    return table.series(metric, where, statistic, period), None


def alarm_series(
    record: RunRecord, alarm: Mapping[str, Any], table: DatapointTable | None = None
) -> AlarmSeries:
    """The datapoints ``alarm`` (``put_metric_alarm`` keyword arguments) read during the run.

    Each value sits at the start of its period, with the time its last minute was published: an
    alarm evaluation at time t saw exactly the values published by t. A metric-math alarm's
    values are its expression evaluated per period on the MetricStat queries' values
    (:mod:`guardsim.cloudwatch.metric_math`).
    """
    table = table or DatapointTable(record)
    names = EndpointNames.of(record)
    if "Metrics" not in alarm:
        statistic = str(alarm.get("Statistic") or alarm.get("ExtendedStatistic") or "")
        metric = str(alarm.get("MetricName", ""))
        label = f"{statistic} of {metric}"
        # CloudWatch keeps SageMaker's latency metrics in microseconds, and so do the alarms
        unit = "µs" if metric.endswith("Latency") and statistic != "SampleCount" else None
        if metric in INSTANCE_METRICS and statistic != "SampleCount":
            unit = "%"
        series, note = _single(
            table,
            names,
            alarm.get("Namespace"),
            metric,
            _dims(alarm.get("Dimensions")),
            statistic,
            int(alarm.get("Period", 60)),
        )
        return AlarmSeries(series, label, note, unit)

    queries = evaluated_metrics(alarm["Metrics"])  # an anomaly alarm's series is its band's mX
    program = compile_metrics(queries)
    returned: Mapping[str, Any] = next((q for q in queries if q.get("Id") == program.return_id), {})
    label = str(returned.get("Label") or program.expression or program.return_id)
    inputs: dict[str, Series] = {}
    for qid, q in program.metric_stats.items():
        series, note = _single(
            table, names, q.namespace, q.metric_name, dict(q.dimensions), q.stat, q.period
        )
        if note is not None:
            return AlarmSeries(EMPTY_SERIES, label, f"query {qid!r}: {note}")
        inputs[qid] = series
    grid = sorted({t for s in inputs.values() for t in s.t})
    if not grid:
        return AlarmSeries(EMPTY_SERIES, label, None)
    aligned: dict[str, list[float | None]] = {}
    published: list[float | None] = [None] * len(grid)
    pos = {t: k for k, t in enumerate(grid)}
    for qid, s in inputs.items():
        column: list[float | None] = [None] * len(grid)
        for t, v, p in zip(s.t, s.value, s.published_at, strict=True):
            column[pos[t]] = v
            if p is not None:
                known = published[pos[t]]
                published[pos[t]] = p if known is None else max(known, p)
        aligned[qid] = column
    values = program.evaluate(aligned)
    keep = [k for k, v in enumerate(values) if v is not None]
    return AlarmSeries(
        Series(
            tuple(grid[k] for k in keep),
            tuple(values[k] for k in keep),
            tuple(published[k] for k in keep),
            tuple(None for _ in keep),
        ),
        label,
        None,
    )


__all__ = [
    "DIMENSION_SETS",
    "AlarmSeries",
    "DatapointTable",
    "EndpointNames",
    "Interval",
    "Series",
    "alarm_series",
    "alarm_state_intervals",
    "phase_intervals",
    "statistic_available",
    "time_span",
    "traffic_steps",
]
