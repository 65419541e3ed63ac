"""Custom metrics: what a model's own code publishes with PutMetricData, per fleet and minute.

A custom metric (:class:`guardsim.scenarios.models.CustomMetric`) is a series of its own,
``(namespace, metric name, dimensions)`` exactly as PutMetricData names it
(https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutMetricData.html; a
query matches a series only with exactly its dimensions,
https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/cloudwatch_concepts.html#Dimension).
Both fleets publishing the same series add their samples to it.

What one fleet's minute holds, as a statistic set (SampleCount, Sum, Minimum, Maximum), from what
every engine already has for the minute (requests, errors, the ModelLatency set):

* per request: one sample per request, ``error`` / ``error_4xx`` / ``error_5xx`` / ``success``
  (1 or 0, so Average is a fraction, as for SageMaker's error metrics), ``latency_ms`` (the
  request's ModelLatency in ms) or ``constant``;
* per minute: one sample, ``constant`` or drawn from the metric's distribution.

Written once, scalar or array alike (the SimPy engines pass one fleet's minute, the batch engine
a column of replications).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import numpy.typing as npt

from guardsim.scenarios.models import CustomMetric

FloatArray = npt.NDArray[np.float64]
Num = float | npt.NDArray[np.float64] | npt.NDArray[np.int64]
Stats4 = tuple[Num, Num, Num, Num]

#: Internal names of custom series start with this (no SageMaker metric does).
PREFIX = "custom:"


def series_name(namespace: str, metric: str, dims: Mapping[str, str]) -> str:
    """The internal name of a custom series: namespace, metric and sorted dimensions."""
    inner = ",".join(f"{k}={v}" for k, v in sorted(dims.items()))
    return f"{PREFIX}{namespace}/{metric}{{{inner}}}"


def name_of(metric: CustomMetric) -> str:
    return series_name(metric.namespace, metric.metric_name, metric.dimension_map())


def matching(
    metrics: tuple[CustomMetric, ...],
    namespace: str | None,
    name: str | None,
    dims: Mapping[str, str],
) -> CustomMetric | None:
    """The custom metric of ``metrics`` a query of ``namespace``/``name``/``dims`` reads."""
    for m in metrics:
        if m.namespace == namespace and m.metric_name == name and m.dimension_map() == dict(dims):
            return m
    return None


def needs_latency(metric: CustomMetric) -> bool:
    """Whether the metric's samples are built from the minute's ModelLatency set."""
    return metric.per == "request" and metric.value == "latency_ms"


def request_stats(
    metric: CustomMetric,
    n: Num,
    errors_4xx: Num,
    errors_5xx: Num,
    latency_us: tuple[Num, Num, Num] | None,
) -> Stats4:
    """A per-request metric's statistic set over ``n`` requests (``latency_us``: the minute's
    ModelLatency Sum, Minimum and Maximum, for ``latency_ms``)."""
    value = metric.value
    count = np.asarray(n, dtype=np.float64)
    if value == "latency_ms":
        assert latency_us is not None, "latency_ms needs the minute's ModelLatency"
        total, low, high = (np.asarray(v, dtype=np.float64) / 1000.0 for v in latency_us)
        return _out(count, total, low, high)
    if value == "constant":
        c = float(metric.constant)
        return _out(count, count * c, np.full(count.shape, c), np.full(count.shape, c))
    e4 = np.asarray(errors_4xx, dtype=np.float64)
    e5 = np.asarray(errors_5xx, dtype=np.float64)
    k = {"error": e4 + e5, "error_4xx": e4, "error_5xx": e5, "success": count - e4 - e5}[value]
    return _out(count, k, np.where(k < count, 0.0, 1.0), np.where(k > 0, 1.0, 0.0))


def minute_stats(sample: Num) -> Stats4:
    """A per-minute metric's statistic set: its one sample."""
    x = np.asarray(sample, dtype=np.float64)
    return _out(np.ones(x.shape), x, x, x)


def _out(count: FloatArray, total: FloatArray, low: FloatArray, high: FloatArray) -> Stats4:
    if count.ndim == 0:
        return float(count), float(total), float(low), float(high)
    return count, total, low, high
