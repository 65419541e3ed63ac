"""Collecting what CloudWatch recorded: metric datapoints and alarm state changes.

* :func:`collect_datapoints`: ``GetMetricData`` for the seven ``AWS/SageMaker`` invocation
  metrics the simulator publishes, under both dimension sets (``EndpointName+VariantName``, the
  blend of both fleets, and ``+EndpointConfigName`` of the blue and of the green config; see
  aws-model.md#invocation-metrics), Period 60, with SampleCount, Sum, Minimum, Maximum and, for the
  latency metrics, p50 and p99: the columns of the run record's ``datapoints``. CloudWatch does not
  say when a datapoint became visible, so ``published_at`` is null in a real record.
* :func:`collect_alarm_history`: ``DescribeAlarmHistory`` (``StateUpdate`` items) of each alarm,
  as the record's ``alarm_history`` rows. CloudWatch keeps state *changes* only, not every
  evaluation, so a real record's ``alarm_evaluations`` is empty.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from guardsim.model.metrics import (
    CONFIG_DIMENSION,
    LATENCY_METRICS,
    METRICS,
    NAMESPACE,
    VARIANT_DIMENSIONS,
)
from guardsim.real_backend.clients import call
from guardsim.real_backend.observations import epoch
from guardsim.record import DATAPOINT_COLUMNS

#: record column -> CloudWatch statistic
STATISTICS = {
    "sample_count": "SampleCount",
    "sum": "Sum",
    "minimum": "Minimum",
    "maximum": "Maximum",
}
PERCENTILES = {"p50": "p50", "p99": "p99"}
#: GetMetricData takes at most 500 queries per request.
MAX_QUERIES = 500


@dataclass(frozen=True)
class DimensionSet:
    """One way to look at the endpoint's metrics: ``blended``, ``blue`` or ``green``."""

    label: str
    dimensions: tuple[tuple[str, str], ...]

    def boto(self) -> list[dict[str, str]]:
        return [{"Name": n, "Value": v} for n, v in self.dimensions]


def dimension_sets(
    endpoint: str, variant: str, blue_config: str, green_config: str
) -> tuple[DimensionSet, ...]:
    base = tuple(zip(VARIANT_DIMENSIONS, (endpoint, variant), strict=True))
    return (
        DimensionSet("blended", base),
        DimensionSet("blue", (*base, (CONFIG_DIMENSION, blue_config))),
        DimensionSet("green", (*base, (CONFIG_DIMENSION, green_config))),
    )


@dataclass(frozen=True)
class Query:
    id: str
    metric: str
    label: str
    column: str
    statistic: str
    dimensions: DimensionSet

    def boto(self, period: int) -> dict[str, Any]:
        return {
            "Id": self.id,
            "MetricStat": {
                "Metric": {
                    "Namespace": NAMESPACE,
                    "MetricName": self.metric,
                    "Dimensions": self.dimensions.boto(),
                },
                "Period": period,
                "Stat": self.statistic,
            },
            "ReturnData": True,
        }


def metric_queries(sets: Sequence[DimensionSet]) -> tuple[Query, ...]:
    """One query per dimension set, metric and statistic (the record's columns)."""
    queries: list[Query] = []
    for ds in sets:
        for metric in METRICS:
            columns = dict(STATISTICS)
            if metric in LATENCY_METRICS:
                columns.update(PERCENTILES)
            for column, stat in columns.items():
                queries.append(Query(f"q{len(queries)}", metric, ds.label, column, stat, ds))
    return tuple(queries)


def get_metric_data(
    cw: Any,
    queries: Sequence[dict[str, Any]],
    start: float,
    end: float,
) -> dict[str, list[tuple[float, float]]]:
    """``{query id: [(timestamp, value), ...]}`` over [start, end), every page of every batch."""
    out: dict[str, list[tuple[float, float]]] = {}
    for i in range(0, len(queries), MAX_QUERIES):
        batch = list(queries[i : i + MAX_QUERIES])
        token: str | None = None
        while True:
            params: dict[str, Any] = {
                "MetricDataQueries": batch,
                "StartTime": datetime.fromtimestamp(start, UTC),
                "EndTime": datetime.fromtimestamp(end, UTC),
                "ScanBy": "TimestampAscending",
            }
            if token:
                params["NextToken"] = token
            response = call(cw, "get_metric_data", **params)
            for result in response.get("MetricDataResults", []):
                points = out.setdefault(str(result["Id"]), [])
                for ts, value in zip(
                    result.get("Timestamps", []), result.get("Values", []), strict=False
                ):
                    stamp = epoch(ts)
                    if stamp is not None:
                        points.append((stamp, float(value)))
            token = response.get("NextToken")
            if not token:
                break
    return out


def minute_window(start: float, end: float) -> tuple[float, float]:
    """[start, end) widened to whole minutes (CloudWatch's 1-minute periods)."""
    return math.floor(start / 60.0) * 60.0, math.ceil(end / 60.0) * 60.0


def collect_datapoints(
    cw: Any,
    sets: Sequence[DimensionSet],
    start: float,
    end: float,
    t0: float,
) -> dict[str, list[Any]]:
    """The record's ``datapoints`` columns for [start, end) (epoch), times relative to ``t0``."""
    queries = metric_queries(sets)
    lo, hi = minute_window(start, end)
    results = get_metric_data(cw, [q.boto(60) for q in queries], lo, hi)
    return datapoint_columns(queries, results, t0)


def datapoint_columns(
    queries: Sequence[Query], results: Mapping[str, Sequence[tuple[float, float]]], t0: float
) -> dict[str, list[Any]]:
    """Pure: query results -> the record's column layout, ordered by minute, view, metric."""
    rows: dict[tuple[float, str, str], dict[str, Any]] = {}
    for q in queries:
        for ts, value in results.get(q.id, ()):
            row = rows.setdefault((ts, q.label, q.metric), {})
            row[q.column] = round(value) if q.column == "sample_count" else value
    labels = {"blended": 0, "blue": 1, "green": 2}
    order = sorted(rows, key=lambda k: (k[0], labels.get(k[1], 3), METRICS.index(k[2])))
    cols: dict[str, list[Any]] = {c: [] for c in DATAPOINT_COLUMNS}
    for key in order:
        ts, label, metric = key
        row = rows[key]
        values = {
            "metric": metric,
            "dimensions": label,
            "timestamp": ts - t0,
            "published_at": None,  # CloudWatch does not say when a datapoint became visible
            "sample_count": row.get("sample_count"),
            "sum": row.get("sum"),
            "minimum": row.get("minimum"),
            "maximum": row.get("maximum"),
            "p50": row.get("p50"),
            "p99": row.get("p99"),
        }
        for c in DATAPOINT_COLUMNS:
            cols[c].append(values[c])
    return cols


# --------------------------------------------------------------------------- alarm history


def _mapping(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


_SUMMARY = re.compile(r"from (\w+) to (\w+)")


def parse_history_item(item: Mapping[str, Any]) -> tuple[str, str, str] | None:
    """``(from, to, reason)`` of a ``StateUpdate`` history item, or None if it is not one.

    ``HistoryData`` is a JSON document with ``oldState``/``newState`` (``stateValue``,
    ``stateReason``); ``HistorySummary`` ("Alarm updated from OK to ALARM") is the fallback.
    """
    try:
        data = json.loads(item.get("HistoryData") or "{}")
    except (TypeError, ValueError):
        data = {}
    if not isinstance(data, dict):
        data = {}
    old_state = _mapping(data.get("oldState"))
    new_state = _mapping(data.get("newState"))
    old, new = old_state.get("stateValue"), new_state.get("stateValue")
    summary = str(item.get("HistorySummary") or "")
    if not old or not new:
        m = _SUMMARY.search(summary)
        if m is None:
            return None
        old, new = m.group(1), m.group(2)
    return str(old), str(new), str(new_state.get("stateReason") or summary)


def collect_alarm_history(
    cw: Any,
    alarm_names: Sequence[str],
    start: float,
    end: float,
    t0: float,
    rename: Callable[[str], str] = lambda n: n,
) -> list[dict[str, Any]]:
    """Every state change of the alarms in [start, end], as record rows, in time order."""
    rows: list[dict[str, Any]] = []
    for name in alarm_names:
        token: str | None = None
        while True:
            params: dict[str, Any] = {
                "AlarmName": name,
                "HistoryItemType": "StateUpdate",
                "StartDate": datetime.fromtimestamp(start, UTC),
                "EndDate": datetime.fromtimestamp(end, UTC),
                "ScanBy": "TimestampAscending",
                "MaxRecords": 100,
            }
            if token:
                params["NextToken"] = token
            response = call(cw, "describe_alarm_history", **params)
            for item in response.get("AlarmHistoryItems", []):
                parsed = parse_history_item(item)
                stamp = epoch(item.get("Timestamp"))
                if parsed is None or stamp is None:
                    continue
                old, new, reason = parsed
                rows.append(
                    {
                        "t": stamp - t0,
                        "alarm": rename(name),
                        "from": old,
                        "to": new,
                        "reason": reason,
                    }
                )
            token = response.get("NextToken")
            if not token:
                break
    rows.sort(key=lambda r: (r["t"], r["alarm"]))
    return rows


def alarm_state_at(history: Sequence[Mapping[str, Any]], alarm: str, t: float) -> str | None:
    """The state ``alarm`` was in at record time ``t`` according to ``history`` (None: unknown)."""
    state = None
    for row in history:
        if row["alarm"] == alarm and row["t"] <= t:
            state = row["to"]
    return state
