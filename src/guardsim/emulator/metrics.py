"""The emulator's CloudWatch metric store: every sample, by series and minute, and when it is
visible.

A series is ``(namespace, metric name, dimensions)``, the dimensions as sorted ``(Name, Value)``
pairs (CloudWatch treats each combination of dimensions as its own metric:
https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/cloudwatch_concepts.html#Dimension).
Samples fall in one-minute buckets (standard resolution). SageMaker's samples of a minute become
visible when the minute is *published*: at its end plus the world's
``environment.metric_publish_delay_seconds``, drawn once per minute (the same rule as the
simulator, :func:`guardsim.cloudwatch.schedule.publish_time`). Custom metrics from
``PutMetricData`` are visible from the moment they are put (the emulator's choice: CloudWatch
documents no delay for them).

Statistics come from :mod:`guardsim.cloudwatch.statistics`: the basic ones merge the raw
samples and any ``StatisticValues`` sets exactly, the others (percentiles, trimmed means) are
computed from the raw samples.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

import numpy as np

from guardsim.cloudwatch.schedule import publish_time
from guardsim.cloudwatch.statistics import (
    StatisticSpec,
    basic_of_sets,
    compute_from_samples,
)

Dimensions = tuple[tuple[str, str], ...]
SeriesKey = tuple[str, str, Dimensions]
#: (sample count, sum, minimum, maximum) of a set of samples.
StatSet = tuple[int, float, float, float]

MINUTE = 60.0


def series_key(namespace: str, metric: str, dimensions: Mapping[str, str]) -> SeriesKey:
    return (namespace, metric, tuple(sorted((str(k), str(v)) for k, v in dimensions.items())))


@dataclass
class _Bucket:
    """One series' samples of one minute."""

    #: raw samples (SageMaker's: visible when the minute is published)
    values: list[float] = field(default_factory=list)
    #: PutMetricData entries: (visible from, raw values, stat set or None)
    put: list[tuple[float, list[float], StatSet | None]] = field(default_factory=list)
    unit: str | None = None


class MetricStore:
    """Every datapoint of the emulated account (see the module doc)."""

    def __init__(self, publish_delay: Callable[[float], float]) -> None:
        #: ``publish_delay(minute)``: the publish delay of a SageMaker minute (drawn by the
        #: emulator, deterministic per minute)
        self._publish_delay = publish_delay
        self._published: dict[float, float] = {}
        self.series: dict[SeriesKey, dict[float, _Bucket]] = {}

    # ---------------------------------------------------------------- writing

    def _bucket(self, key: SeriesKey, t: float) -> _Bucket:
        minute = math.floor(t / MINUTE) * MINUTE
        buckets = self.series.setdefault(key, {})
        bucket = buckets.get(minute)
        if bucket is None:
            bucket = buckets[minute] = _Bucket()
        return bucket

    def add(self, key: SeriesKey, t: float, value: float, unit: str | None = None) -> None:
        """One SageMaker sample taken at ``t``."""
        bucket = self._bucket(key, t)
        bucket.values.append(value)
        if unit is not None:
            bucket.unit = unit

    def discard(self, key: SeriesKey, t: float, value: float) -> None:
        """Take back one SageMaker sample :meth:`add` put at ``t`` before it is published (an
        instance terminated before it became ready: guardsim.emulator.setup_time)."""
        bucket = self.series.get(key, {}).get(math.floor(t / MINUTE) * MINUTE)
        if bucket is not None and value in bucket.values:
            bucket.values.remove(value)

    def put(
        self,
        key: SeriesKey,
        t: float,
        visible_at: float,
        values: list[float],
        stats: StatSet | None = None,
        unit: str | None = None,
    ) -> None:
        """PutMetricData: values (or a statistic set) timestamped ``t``, visible from
        ``visible_at``."""
        bucket = self._bucket(key, t)
        bucket.put.append((visible_at, list(values), stats))
        if unit is not None:
            bucket.unit = unit

    # ---------------------------------------------------------------- reading

    def published_at(self, minute: float) -> float:
        """When SageMaker's samples of ``minute`` become visible."""
        at = self._published.get(minute)
        if at is None:
            at = self._published[minute] = float(publish_time(minute, self._publish_delay(minute)))
        return at

    def samples(
        self, key: SeriesKey, start: float, end: float, at: float
    ) -> tuple[list[float], list[StatSet], str | None]:
        """The samples of ``[start, end)`` visible at ``at``: raw values, statistic sets and
        the unit."""
        buckets = self.series.get(key)
        raw: list[float] = []
        sets: list[StatSet] = []
        unit = None
        if not buckets:
            return raw, sets, unit
        first = math.ceil(start / MINUTE) * MINUTE
        m = first
        while m < end:
            b = buckets.get(m)
            if b is not None:
                if b.values and self.published_at(m) <= at:
                    raw.extend(b.values)
                    unit = unit or b.unit
                for visible, values, stats in b.put:
                    if visible <= at:
                        raw.extend(values)
                        if stats is not None:
                            sets.append(stats)
                        unit = unit or b.unit
            m += MINUTE
        return raw, sets, unit

    def periods(self, key: SeriesKey, start: float, end: float, period: int) -> list[float]:
        """The starts of the periods (aligned to multiples of ``period``) covering
        ``[start, end)`` that hold any sample of ``key``, ascending. Only periods with data are
        visited, so a query from 1970 to now costs what the series holds, not 29 million
        empty periods."""
        buckets = self.series.get(key)
        if not buckets:
            return []
        first = math.floor(start / period) * period
        return sorted(
            {lo for m in buckets if first <= (lo := math.floor(m / period) * period) < end}
        )

    def statistic(
        self, key: SeriesKey, spec: StatisticSpec, start: float, end: float, at: float
    ) -> tuple[float | None, float]:
        """(value, sample count) of one statistic over ``[start, end)`` as visible at ``at``;
        value None when there is no datapoint."""
        raw, sets, _ = self.samples(key, start, end, at)
        return value_of(spec, raw, sets)

    def keys(self) -> Iterable[SeriesKey]:
        return self.series.keys()


def value_of(
    spec: StatisticSpec, raw: list[float], sets: list[StatSet]
) -> tuple[float | None, float]:
    """One statistic of raw samples plus statistic sets, and the sample count."""
    all_sets = list(sets)
    if raw:
        arr = np.asarray(raw, dtype=np.float64)
        all_sets.append((int(arr.size), float(arr.sum()), float(arr.min()), float(arr.max())))
    count = sum(s[0] for s in all_sets)
    if not count:
        return None, 0.0
    if spec.is_basic:
        value = basic_of_sets(spec.kind, all_sets)
    elif raw:
        value = compute_from_samples(spec, raw)
    else:
        value = None  # a percentile of statistic sets alone: CloudWatch has no value either
    return (None if value is None else float(value)), float(count)


__all__ = ["MINUTE", "MetricStore", "SeriesKey", "series_key", "value_of"]
