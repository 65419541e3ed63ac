"""SageMaker's invocation metrics as CloudWatch stores them, and what an alarm can see.

Every request emits (spec 3.1, source D10): ``Invocations`` = 1; ``Invocation4XXErrors``,
``Invocation5XXErrors`` and ``InvocationModelErrors`` = 1 or 0 (so Average is a fraction and Sum a
count); ``ModelLatency`` and ``OverheadLatency`` in microseconds; ``InvocationsPerInstance`` =
1 / the number of active instances at request time. SageMaker metrics are standard resolution:
each sample's timestamp falls in a one-minute bucket, published ``metric_publish_delay`` after
the minute ends (spec 4.7 [INF]). A minute with no requests publishes nothing (spec 3.1).

Storage is per fleet (blue = the old endpoint config, green = the new one) and per minute; the
two dimension sets are views over it: ``EndpointName+VariantName`` (blended) adds both fleets,
``...+EndpointConfigName`` selects one (spec 3.1, D7/D8).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from guardsim.cloudwatch.statistics import (
    SampleSummary,
    StatisticSpec,
    compute_from_histogram,
    compute_from_samples,
    compute_from_summary,
)

FloatArray = npt.NDArray[np.float64]

METRICS = (
    "Invocations",
    "Invocation4XXErrors",
    "Invocation5XXErrors",
    "InvocationModelErrors",
    "ModelLatency",
    "OverheadLatency",
    "InvocationsPerInstance",
)
#: Metrics whose raw samples vary (the others are constant 1 or 0/1 and need only counts).
RAW_METRICS = ("ModelLatency", "OverheadLatency", "InvocationsPerInstance")
COUNT_METRICS = ("Invocation4XXErrors", "Invocation5XXErrors", "InvocationModelErrors")
BASIC_STATISTICS = ("SampleCount", "Sum", "Average", "Minimum", "Maximum")
FLEETS = ("blue", "green")
_EMPTY = np.empty(0, dtype=np.float64)


@dataclass
class MinuteBucket:
    """One fleet's samples of one minute: counts, summaries and (while needed) raw values."""

    minute: float
    n: int = 0
    errors: dict[str, int] = field(default_factory=lambda: dict.fromkeys(COUNT_METRICS, 0))
    summaries: dict[str, SampleSummary] = field(default_factory=dict)
    raw: dict[str, list[FloatArray]] = field(default_factory=lambda: {m: [] for m in RAW_METRICS})
    published_at: float | None = None

    def add(
        self,
        errors_4xx: int,
        errors_5xx: int,
        model_errors: int,
        values: dict[str, FloatArray],
        keep_raw: bool,
    ) -> None:
        count = len(values["ModelLatency"])
        if count == 0:
            return
        self.n += count
        self.errors["Invocation4XXErrors"] += errors_4xx
        self.errors["Invocation5XXErrors"] += errors_5xx
        self.errors["InvocationModelErrors"] += model_errors
        for metric, arr in values.items():
            # count/sum/min/max straight from numpy: no sort needed for a statistic set
            s = SampleSummary(len(arr), float(arr.sum()), float(arr.min()), float(arr.max()))
            old = self.summaries.get(metric)
            self.summaries[metric] = s if old is None else old.merge(s)
            if keep_raw:
                self.raw[metric].append(arr)

    def raw_values(self, metric: str) -> FloatArray:
        parts = self.raw[metric]
        if not parts:
            return _EMPTY
        if len(parts) > 1:
            self.raw[metric] = [np.concatenate(parts)]
        return self.raw[metric][0]

    def histogram(self, metric: str) -> tuple[FloatArray, npt.NDArray[np.int64]]:
        """(values, counts) of a constant or 0/1 metric."""
        if metric == "Invocations":
            return np.array([1.0]), np.array([self.n], dtype=np.int64)
        k = self.errors[metric]
        return np.array([0.0, 1.0]), np.array([self.n - k, k], dtype=np.int64)

    def summary(self, metric: str) -> SampleSummary:
        if metric in self.summaries:
            return self.summaries[metric]
        values, counts = self.histogram(metric)
        present = counts > 0
        v = values[present]
        c = counts[present]
        return SampleSummary(int(c.sum()), float((v * c).sum()), float(v.min()), float(v.max()))


class MetricStore:
    """Per-fleet, per-minute buckets, with the publish time of each finished minute."""

    def __init__(self, keep_raw: bool) -> None:
        self.keep_raw = keep_raw
        self.buckets: dict[str, dict[float, MinuteBucket]] = {f: {} for f in FLEETS}

    def bucket(self, fleet: str, minute: float) -> MinuteBucket:
        b = self.buckets[fleet].get(minute)
        if b is None:
            b = self.buckets[fleet][minute] = MinuteBucket(minute)
        return b

    def publish(self, minute: float, published_at: float) -> list[tuple[str, MinuteBucket]]:
        """Mark ``minute`` published; the non-empty buckets, by fleet."""
        out = []
        for fleet in FLEETS:
            b = self.buckets[fleet].get(minute)
            if b is not None and b.n > 0:
                b.published_at = published_at
                out.append((fleet, b))
            elif b is not None:
                del self.buckets[fleet][minute]
        return out

    def visible(
        self, fleets: Sequence[str], start: float, end: float, t: float, since: float | None = None
    ) -> list[MinuteBucket]:
        """Buckets of ``fleets`` whose minute lies in [start, end) and are published by ``t``."""
        out = []
        m = start - (start % 60.0) if start % 60.0 else start
        while m < end:
            if m >= start and (since is None or m >= since):
                for fleet in fleets:
                    b = self.buckets[fleet].get(m)
                    if b is not None and b.published_at is not None and b.published_at <= t:
                        out.append(b)
            m += 60.0
        return out

    def drop_raw_before(self, minute: float) -> None:
        """Forget raw samples of minutes no alarm window can reach any more (memory)."""
        for fleet in FLEETS:
            for m, b in self.buckets[fleet].items():
                if m < minute and any(b.raw[k] for k in RAW_METRICS):
                    b.raw = {k: [] for k in RAW_METRICS}


def statistic_of(
    buckets: Sequence[MinuteBucket], metric: str, spec: StatisticSpec
) -> tuple[float | None, int]:
    """(value, sample count) of ``spec`` over the samples of ``buckets``; None if no samples."""
    if not buckets:
        return None, 0
    n = sum(b.n for b in buckets)
    if n == 0:
        return None, 0
    if spec.name in BASIC_STATISTICS:
        total = buckets[0].summary(metric)
        for b in buckets[1:]:
            total = total.merge(b.summary(metric))
        return compute_from_summary(spec, total), n
    if metric in RAW_METRICS:
        arr = np.concatenate([b.raw_values(metric) for b in buckets])
        return compute_from_samples(spec, arr), n
    values = np.array([0.0, 1.0]) if metric != "Invocations" else np.array([1.0])
    counts = np.zeros(len(values), dtype=np.int64)
    for b in buckets:
        _, c = b.histogram(metric)
        counts += c
    return compute_from_histogram(spec, values, counts), n
