"""SageMaker's invocation metrics as CloudWatch stores them, and what an alarm can see.

Every request emits (aws-model.md#invocation-metrics): ``Invocations`` = 1; ``Invocation4XXErrors``,
``Invocation5XXErrors`` and ``InvocationModelErrors`` = 1 or 0 (so Average is a fraction and Sum a
count); ``ModelLatency`` and ``OverheadLatency`` in microseconds; ``InvocationsPerInstance`` =
1 / the number of active instances at request time. SageMaker metrics are standard resolution:
each sample's timestamp falls in a one-minute bucket, published ``metric_publish_delay`` after
the minute ends (undocumented; see aws-model.md#metric-publish-delay). A minute with no requests
publishes nothing (see aws-model.md#invocation-metrics).

Storage is per fleet (blue = the old endpoint config, green = the new one) and per minute; the
two dimension sets are views over it: ``EndpointName+VariantName`` (blended) adds both fleets,
``...+EndpointConfigName`` selects one (see aws-model.md#invocation-metrics, #alarm-guidance,
#exclusions).
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Sequence
from typing import Any, NamedTuple

import numpy as np
import numpy.typing as npt
from numpy.random.bit_generator import ISeedSequence

from guardsim.cloudwatch.statistics import (
    SampleSummary,
    StatisticKind,
    StatisticSpec,
    Stats,
    basic_of_sets,
    ceil_rank,
    compute_from_histogram,
    compute_from_samples,
    compute_rows_from_sorted,
    merge_stats,
    percent_range_count,
)
from guardsim.model.arrays import reduce_last
from guardsim.model.custom_metrics import minute_stats, name_of, request_stats
from guardsim.model.instance_metrics import (
    InstanceType,
    busy_requests,
    instance_values,
    published,
)
from guardsim.model.latency import (
    cdf_scalar,
    draw_stats,
    mixture_quantile,
    mixture_quantile_scalar,
    moments_scalar,
    quantile_scalar,
)
from guardsim.model.metrics import ERROR_METRICS as COUNT_METRICS
from guardsim.model.metrics import INSTANCE_METRICS, RAW_METRICS
from guardsim.scenarios.models import CustomMetric, InstanceMetrics

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

BASIC_STATISTICS = ("SampleCount", "Sum", "Average", "Minimum", "Maximum")
FLEETS = ("blue", "green")
_EMPTY = np.empty(0, dtype=np.float64)


_NO_RNG = np.random.default_rng(0)  # never drawn from: constant components need no randomness
#: Fast mode: extended statistics other than percentiles are computed from a resample of at
#: most this many values drawn from the window's latency mixture (an approximation; percentiles
#: are drawn exactly).
RESAMPLE_SIZE = 2000


class LatencyComponent(NamedTuple):
    """Fast mode: ``n`` samples of ``exp(mu + sigma * Z) * scale + add`` (Z standard normal).

    A batch of requests of one fleet in one routing state shares one distribution, so it is kept
    as its parameters and count, not as values. ``scale == 0`` is a constant ``add``. (A named
    tuple, not a frozen dataclass: a run builds one per batch and metric, in the hot path, and a
    tuple is several times cheaper to build.)
    """

    n: int
    mu: float
    sigma: float
    scale: float
    add: float

    @property
    def constant(self) -> bool:
        return self.scale == 0.0 or self.sigma == 0.0

    def quantile(self, u: float) -> float:
        return quantile_scalar(u, self.mu, self.sigma, self.scale, self.add)

    def cdf(self, x: float) -> float:
        return cdf_scalar(x, self.mu, self.sigma, self.scale, self.add)

    def mean_var(self) -> tuple[float, float]:
        if self.constant:
            return self.quantile(0.5), 0.0
        return moments_scalar(self.mu, self.sigma, self.scale, self.add)

    def draw_summary(self, rng: np.random.Generator, threshold: int) -> SampleSummary:
        """Sum, Minimum and Maximum of the ``n`` samples, from their sampling distributions
        (:func:`guardsim.model.latency.draw_stats`)."""
        return SampleSummary(*self.draw_stats(rng, threshold))

    def draw_stats(self, rng: np.random.Generator, threshold: int) -> Stats:
        """:meth:`draw_summary` as a plain :data:`Stats` tuple (the hot path)."""
        n, mu, sigma, scale, add = self
        return draw_stats(rng, n, mu, sigma, scale, add, threshold)


def _merge(components: Sequence[LatencyComponent]) -> list[LatencyComponent]:
    """Components with equal parameters pooled into one (their samples are exchangeable)."""
    pooled: dict[tuple[float, float, float, float], int] = {}
    for c in components:
        if c.n > 0:
            key = (c.mu, c.sigma, c.scale, c.add)
            pooled[key] = pooled.get(key, 0) + c.n
    return [LatencyComponent(n, *key) for key, n in pooled.items()]


class _Key(ISeedSequence):
    """A seed sequence that hands a bit generator a key as it is (the key is already a hash).

    numpy's :class:`~numpy.random.SeedSequence` would hash it again, at several times the cost
    of the draw; :class:`~numpy.random.bit_generator.ISeedSequence` is numpy's documented
    interface for a custom one.
    """

    __slots__ = ("digest",)

    def __init__(self, digest: bytes) -> None:
        self.digest = digest

    def generate_state(
        self, n_words: int, dtype: Any = np.uint32
    ) -> npt.NDArray[np.uint32] | npt.NDArray[np.uint64]:
        # Philox asks for 2 uint64 words: the common case, without building a dtype
        little = _LITTLE_U64 if dtype is np.uint64 else np.dtype(dtype).newbyteorder("<")
        words = np.frombuffer(self.digest, dtype=little)
        if len(words) < n_words:
            raise ValueError(f"a key of {len(self.digest)} bytes has fewer than {n_words} words")
        out: npt.NDArray[np.uint32] | npt.NDArray[np.uint64] = words[:n_words].astype(dtype)
        return out


_LITTLE_U64 = np.dtype("<u8")


def key_rng(run_key: Sequence[int], *parts: object) -> np.random.Generator:
    """A generator determined by the run's key and ``parts`` alone (not by evaluation order).

    Fast mode draws a window's percentile once per (run, metric, fleets, statistic, window),
    whoever reads it first and whatever else was drawn before: the value depends on the key
    alone. ``run_key`` comes from the run's own SeedSequence (so replications differ); ``parts``
    name what is drawn (metric, fleets, statistic, window), so every reader of it sees one
    value. The generator is numpy's counter-based Philox4x64 keyed by a 128-bit BLAKE2b hash
    of ``parts`` keyed with ``run_key`` (distinct keys give independent streams;
    ``benchmarks/keyed_draws.py`` measures the cost against the alternatives).
    """
    secret = b"".join(int(w).to_bytes(8, "little") for w in run_key)
    digest = hashlib.blake2b(repr(parts).encode(), digest_size=16, key=secret[:64]).digest()
    # numpy's stubs name SeedSequence, its code takes any ISeedSequence (documented)
    return np.random.Generator(np.random.Philox(_Key(digest)))  # type: ignore[arg-type]


def components_statistic(
    components: Sequence[LatencyComponent], spec: StatisticSpec, rng: np.random.Generator
) -> float | None:
    """Fast mode: an extended statistic of the pooled samples of ``components``.

    Percentiles are drawn exactly: CloudWatch's pNN is the r-th smallest of the N samples,
    r = max(1, ceil(p N)) (see aws-model.md#low-sample-percentiles), and the r-th order statistic of
    N draws from a distribution G is
    G^-1(U) with U ~ Beta(r, N - r + 1). Treating the pooled batches as N draws from their
    count-weighted mixture ignores that each batch's count is fixed, a negligible difference.
    Other extended statistics use a resample of at most :data:`RESAMPLE_SIZE` values (trimmed
    counts and sums then scaled to the window's N samples), drawn by
    :func:`components_statistic_rows` (the one definition; this is its one-row case).
    """
    comps = _merge(components)
    n = sum(c.n for c in comps)
    if n == 0:
        return None
    if spec.kind is StatisticKind.PERCENTILE and spec.upper is not None:
        r = ceil_rank(spec.upper, n)
        u = float(rng.beta(r, n - r + 1))
        # one distribution (the common case): its own quantile, no search needed
        return comps[0].quantile(u) if len(comps) == 1 else mixture_quantile_scalar(comps, u)
    c = np.array(comps, dtype=np.float64)  # [K, 5]: n, mu, sigma, scale, add
    counts = np.array([[k.n for k in comps]], dtype=np.int64)
    value = components_statistic_rows(counts, c[:, 1], c[:, 2], c[:, 3], c[:, 4], spec, rng)
    return None if math.isnan(value[0]) else float(value[0])


#: :func:`components_statistic_rows` draws the resamples of at most this many rows at a time
#: (a fixed number: the draws do not depend on it beyond the row order; it bounds the memory
#: to about 16 MB of resampled values).
RESAMPLE_ROWS = 1024


def components_statistic_rows(
    counts: npt.NDArray[np.int64],
    mu: npt.ArrayLike,
    sigma: npt.ArrayLike,
    scale: npt.ArrayLike,
    add: npt.ArrayLike,
    spec: StatisticSpec,
    rng: np.random.Generator,
) -> FloatArray:
    """:func:`components_statistic` of many windows at once, NaN where it gives ``None``.

    Row ``i`` is one window: ``counts[i, j]`` samples of ``exp(mu + sigma * Z) * scale + add``
    for each component ``j`` (the parameters broadcast to ``counts``' shape [R, K]; components
    of count 0 are ignored). A percentile is the order statistic drawn as in
    :func:`components_statistic` (with the vectorised
    :func:`~guardsim.model.latency.mixture_quantile`); any other extended statistic is computed
    (:func:`~guardsim.cloudwatch.statistics.compute_rows_from_sorted`) from a resample of
    ``m = min(n, RESAMPLE_SIZE)`` values of the row's mixture: a multinomial split of ``m``
    over the components by count, then that many draws of each; a trimmed count or sum is
    then the window's, not the resample's (:func:`_to_window`). For one row the draws are
    those :func:`components_statistic` makes (the same generator calls in the same order).
    """
    counts = np.asarray(counts, dtype=np.int64)
    shape = counts.shape
    mu_a, sg, sc, ad = (
        np.broadcast_to(np.asarray(v, dtype=np.float64), shape) for v in (mu, sigma, scale, add)
    )
    n = reduce_last(np.add, counts)
    out = np.full(shape[0], math.nan)
    has = np.nonzero(n > 0)[0]
    if not len(has):
        return out
    if spec.kind is StatisticKind.PERCENTILE and spec.upper is not None:
        r = ceil_rank(spec.upper, n[has])
        u = rng.beta(r.astype(np.float64), (n[has] - r + 1).astype(np.float64))
        out[has] = mixture_quantile(
            counts[has].astype(np.float64), mu_a[has], sg[has], sc[has], ad[has], u
        )
        return out
    if spec.kind is StatisticKind.TRIMMED_COUNT and spec.percent_bounds:
        used = counts > 0
        if not ((used & (sc < 0)).any() or (used & (ad < 0)).any()):
            # no sample can be negative: the count a percent range keeps is known, no draw
            out[has] = percent_range_count(spec, n[has])
            return out
    for lo in range(0, len(has), RESAMPLE_ROWS):
        rows = has[lo : lo + RESAMPLE_ROWS]
        x, m = _resample(counts[rows], mu_a[rows], sg[rows], sc[rows], ad[rows], rng)
        out[rows] = _to_window(spec, compute_rows_from_sorted(spec, x, m), n[rows], m)
    return out


def _to_window(spec: StatisticSpec, value: FloatArray, n: IntArray, m: IntArray) -> FloatArray:
    """A resample's trimmed count or sum as the window's: the resample holds ``m`` of the
    window's ``n`` samples. A percent range keeps a known number of the ``n`` samples (exact,
    as CloudWatch counts them); an absolute range about ``n / m`` times the resample's count;
    a trimmed sum is the mean of the resample's kept samples times the window's count. Means,
    percentile ranks and percentiles of the resample already estimate the window's."""
    if spec.kind not in (StatisticKind.TRIMMED_COUNT, StatisticKind.TRIMMED_SUM):
        return value
    if not spec.percent_bounds:
        return value * (n / m)
    count = percent_range_count(spec, n).astype(np.float64)
    if spec.kind is StatisticKind.TRIMMED_COUNT:
        return np.where(np.isnan(value), value, count)
    resample_count = percent_range_count(spec, m).astype(np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        scaled = value / resample_count * count
    return np.where(resample_count > 0, scaled, value)


def _per_draw(param: FloatArray, k: npt.NDArray[np.int64]) -> FloatArray | float:
    """A component parameter for each of the draws ``k`` makes (one number when every
    component shares it, the common case: no copy)."""
    flat = param.ravel()
    if flat.size and bool((flat == flat[0]).all()):
        return float(flat[0])
    return np.repeat(flat, k)


def _resample(
    counts: npt.NDArray[np.int64],
    mu: FloatArray,
    sigma: FloatArray,
    scale: FloatArray,
    add: FloatArray,
    rng: np.random.Generator,
) -> tuple[FloatArray, npt.NDArray[np.int64]]:
    """Each row's resample ([R, max m], sorted, padded with +inf) and its size ``m``."""
    n = reduce_last(np.add, counts)
    m = np.minimum(n, RESAMPLE_SIZE)
    k = rng.multinomial(m, counts / n[:, None]).ravel()  # how many of each component
    z = rng.standard_normal(int(m.sum()))  # row by row, component by component
    values = z * _per_draw(sigma, k)
    values += _per_draw(mu, k)
    np.exp(values, out=values)
    values *= _per_draw(scale, k)
    values += _per_draw(add, k)
    rows, width = len(m), int(m.max())
    if bool((m == width).all()):  # every row full (the common case): a reshape
        x = values.reshape(rows, width)
    else:  # a boolean mask fills row by row, as the values come
        x = np.full((rows, width), math.inf)
        x[np.arange(width)[None, :] < m[:, None]] = values
    x.sort(axis=1)
    return x, m


class MinuteBucket:
    """One fleet's samples of one minute: counts, summaries and (while needed) raw values.

    Complete once its minute has ended; nothing is added after it is published.
    """

    # A plain class with slots: a run creates one per fleet and minute, in the hot path.
    __slots__ = (
        "components",
        "errors",
        "instances",
        "minute",
        "n",
        "published_at",
        "raw",
        "stats",
    )

    def __init__(self, minute: float) -> None:
        self.minute = minute
        self.n = 0
        #: The most instances of the fleet that served a request in the minute (each
        #: publishes one sample of every instance metric).
        self.instances = 0
        self.errors: dict[str, int] = dict.fromkeys(COUNT_METRICS, 0)
        #: Statistic sets by metric (see :meth:`summary`), as plain tuples.
        self.stats: dict[str, Stats] = {}
        #: Raw values by metric (exact mode), made on the first add: fast mode keeps none.
        self.raw: dict[str, list[FloatArray]] = {}
        self.components: dict[str, list[LatencyComponent]] = {}
        self.published_at: float | None = None

    def add_components(
        self,
        count: int,
        errors_4xx: int,
        errors_5xx: int,
        model_errors: int,
        comps: dict[str, LatencyComponent],
        rngs: dict[str, np.random.Generator],
        threshold: int,
        needed: frozenset[str] | None = None,
    ) -> None:
        """Fast mode: ``count`` requests given by their latency distributions.

        ``needed``: the metrics anyone will read (None: all); the others' summaries are not
        drawn, which saves time in Monte Carlo runs and changes no metric that is read.
        """
        self.n += count
        self.errors["Invocation4XXErrors"] += errors_4xx
        self.errors["Invocation5XXErrors"] += errors_5xx
        self.errors["InvocationModelErrors"] += model_errors
        for metric, comp in comps.items():
            if needed is not None and metric not in needed:
                continue
            n, mu, sigma, scale, add = comp
            s = draw_stats(rngs.get(metric, _NO_RNG), n, mu, sigma, scale, add, threshold)
            old = self.stats.get(metric)
            self.stats[metric] = s if old is None else merge_stats(old, s)
            self.components.setdefault(metric, []).append(comp)

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
            s = (len(arr), float(arr.sum()), float(arr.min()), float(arr.max()))
            old = self.stats.get(metric)
            self.stats[metric] = s if old is None else merge_stats(old, s)
            if keep_raw:
                self.raw.setdefault(metric, []).append(arr)

    def raw_values(self, metric: str) -> FloatArray:
        parts = self.raw.get(metric)
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

    def summary_values(self, metric: str) -> Stats:
        """:meth:`summary` as plain :data:`Stats` (the hot path)."""
        s = self.stats.get(metric)
        if s is not None:
            return s
        k = self.errors.get(metric)
        if k is None:
            summary = self.summary(metric)
            return summary.sample_count, summary.sum, summary.minimum, summary.maximum
        return self.n, float(k), 0.0 if k < self.n else 1.0, 1.0 if k else 0.0  # as summary()

    def summary(self, metric: str) -> SampleSummary:
        if metric in self.stats:
            return SampleSummary(*self.stats[metric])
        if metric == "Invocations":
            return SampleSummary(self.n, float(self.n), 1.0, 1.0)
        if metric in self.errors:  # 0/1 per request: Sum is the count (no numpy needed)
            k = self.errors[metric]
            return SampleSummary(self.n, float(k), 0.0 if k < self.n else 1.0, 1.0 if k else 0.0)
        values, counts = self.histogram(metric)
        present = counts > 0
        v = values[present]
        c = counts[present]
        return SampleSummary(int(c.sum()), float((v * c).sum()), float(v.min()), float(v.max()))


class InstancePublisher:
    """Fills a published bucket's instance metrics (:mod:`guardsim.model.instance_metrics`):
    one sample per instance, from the bucket's ModelLatency Sum and instance count.

    The noise of (fleet, minute, metric) is keyed by the run's key (:func:`key_rng`), so it
    does not depend on which metrics are read or in which order.
    """

    def __init__(
        self,
        run_key: Sequence[int],
        settings: dict[str, InstanceMetrics],
        types: dict[str, InstanceType | None],
        metrics: frozenset[str],
    ) -> None:
        self.run_key = run_key
        self.settings = settings
        self.metrics = {
            f: tuple(m for m in published(t) if m in metrics) if t is not None else ()
            for f, t in types.items()
        }
        self.types = types
        #: The instance metrics filled, in catalogue order (the run record lists them).
        self.read = tuple(
            m for m in INSTANCE_METRICS if any(m in ms for ms in self.metrics.values())
        )

    def fill(self, fleet: str, bucket: MinuteBucket, keep_raw: bool) -> None:
        metrics = self.metrics[fleet]
        itype = self.types[fleet]
        k = bucket.instances
        if not metrics or itype is None or k == 0:
            return
        latency = bucket.stats.get("ModelLatency")
        busy = busy_requests(latency[1] if latency is not None else 0.0, k)
        for metric in metrics:
            z = key_rng(self.run_key, "instance", fleet, bucket.minute, metric).standard_normal(k)
            values = instance_values(metric, self.settings[fleet], itype, busy, z)
            bucket.stats[metric] = (
                k,
                float(values.sum()),
                float(values.min()),
                float(values.max()),
            )
            if keep_raw:
                bucket.raw[metric] = [values]


class CustomPublisher:
    """Fills a published bucket's custom metrics (:mod:`guardsim.model.custom_metrics`) from its
    requests, errors and ModelLatency set; a per-minute metric's draw is keyed by the run's key,
    the fleet, the minute and the series (:func:`key_rng`)."""

    def __init__(self, run_key: Sequence[int], metrics: dict[str, tuple[CustomMetric, ...]]):
        self.run_key = run_key
        self.metrics = {f: [(name_of(m), m) for m in ms] for f, ms in metrics.items()}
        #: The series filled, in the models' order (the run record lists them).
        self.read = tuple(dict.fromkeys(k for ms in self.metrics.values() for k, _ in ms))

    def fill(self, fleet: str, bucket: MinuteBucket) -> None:
        for name, metric in self.metrics[fleet]:
            if metric.per == "minute":
                x = metric.constant
                if metric.distribution is not None:
                    rng = key_rng(self.run_key, "custom", fleet, bucket.minute, name)
                    x = float(metric.distribution.sample(rng, 1)[0])
                stats = minute_stats(x)
            else:
                lat = bucket.stats.get("ModelLatency")
                errors = bucket.errors
                stats = request_stats(
                    metric,
                    bucket.n,
                    errors["Invocation4XXErrors"],
                    errors["Invocation5XXErrors"],
                    None if lat is None else (lat[1], lat[2], lat[3]),
                )
            count, total, low, high = (float(v) for v in stats)
            bucket.stats[name] = (int(count), total, low, high)


class MetricStore:
    """Per-fleet, per-minute buckets, with the publish time of each finished minute."""

    def __init__(self, keep_raw: bool, start: float = 0.0, neighbours: Sequence[str] = ()) -> None:
        self.keep_raw = keep_raw
        #: The fleets stored: blue, green and an inference component's neighbours with traffic
        #: (:func:`guardsim.scenarios.components.neighbour_fleet`), which publish the invocation
        #: metrics only (no instance or custom metrics).
        self.fleets = (*FLEETS, *neighbours)
        #: Fills the instance metrics of each published bucket (None: no alarm reads any).
        self.instance_metrics: InstancePublisher | None = None
        #: Fills the custom metrics of each published bucket (None: no alarm reads any).
        self.custom_metrics: CustomPublisher | None = None
        self.buckets: dict[str, dict[float, MinuteBucket]] = {f: {} for f in self.fleets}
        #: The first minute that can hold samples; earlier minutes stay empty for good.
        self.first_minute = float(np.floor(start / 60.0) * 60.0)
        self.raw_dropped_until = self.first_minute
        self.forgotten_until = self.first_minute
        #: Publish time of every published minute, empty ones included: all of a minute's
        #: buckets are published together, so one lookup tells whether they are visible.
        self.published: dict[float, float] = {}

    def bucket(self, fleet: str, minute: float) -> MinuteBucket:
        b = self.buckets[fleet].get(minute)
        if b is None:
            b = self.buckets[fleet][minute] = MinuteBucket(minute)
        return b

    def publish(self, minute: float, published_at: float) -> list[tuple[str, MinuteBucket]]:
        """Mark ``minute`` published; the non-empty buckets, by fleet.

        Call it once per minute, once the minute has ended (nothing is added to a minute's
        buckets after it is published).
        """
        self.published[minute] = published_at
        out = []
        for fleet in self.fleets:
            b = self.buckets[fleet].get(minute)
            if b is not None and b.n > 0:
                b.published_at = published_at
                if self.instance_metrics is not None and fleet in FLEETS:
                    self.instance_metrics.fill(fleet, b, self.keep_raw)
                if self.custom_metrics is not None and fleet in FLEETS:
                    self.custom_metrics.fill(fleet, b)
                out.append((fleet, b))
            elif b is not None:
                del self.buckets[fleet][minute]
        return out

    def visible(
        self, fleets: Sequence[str], start: float, end: float, t: float, since: float | None = None
    ) -> list[MinuteBucket]:
        """Buckets of ``fleets`` whose minute lies in [start, end) and are published by ``t``."""
        return self.window(fleets, start, end, t, since)[0]

    def window(
        self, fleets: Sequence[str], start: float, end: float, t: float, since: float | None = None
    ) -> tuple[list[MinuteBucket], float]:
        """:meth:`visible`, and until when that holds: the first publish time after ``t`` of
        the window's minutes (``inf`` if every minute that can hold samples is visible by
        ``t``; ``-inf`` if one is not even published yet, so nothing can be said).

        Minutes before ``since`` are left out (as by :meth:`visible`).
        """
        out = []
        until = math.inf
        published = self.published
        buckets = self.buckets
        rem = start % 60.0
        m = start - rem if rem else start
        while m < end:
            if m >= start and (since is None or m >= since):
                at = published.get(m)
                if at is None:
                    if m >= self.first_minute:  # not published yet: may still get samples
                        until = -math.inf
                elif at <= t:
                    for fleet in fleets:
                        b = buckets[fleet].get(m)
                        if b is not None:  # published buckets are never empty
                            out.append(b)
                elif at < until:
                    until = at
            m += 60.0
        return out, until

    def forget_before(self, minute: float) -> None:
        """Forget the buckets of minutes before ``minute``, which no alarm window reaches any
        more (memory, and fewer live objects for the garbage collector to go through)."""
        m = self.forgotten_until
        while m < minute:
            for fleet in self.fleets:
                self.buckets[fleet].pop(m, None)
            m += 60.0
        self.forgotten_until = max(self.forgotten_until, m)

    def drop_raw_before(self, minute: float) -> None:
        """Forget raw samples of minutes no alarm window can reach any more (memory)."""
        if not self.keep_raw:
            return
        m = self.raw_dropped_until
        while m < minute:
            for fleet in self.fleets:
                b = self.buckets[fleet].get(m)
                if b is not None:
                    b.raw = {}
            m += 60.0
        self.raw_dropped_until = max(self.raw_dropped_until, m)


def basic_statistic_of(
    buckets: Sequence[MinuteBucket], metric: str, kind: StatisticKind
) -> float | None:
    """A basic statistic (``kind``) over the samples of ``buckets`` (at least one)."""
    if len(buckets) == 1:  # a one-minute window (the common case): no list to build
        return basic_of_sets(kind, (buckets[0].summary_values(metric),))
    return basic_of_sets(kind, [b.summary_values(metric) for b in buckets])


def statistic_of(
    buckets: Sequence[MinuteBucket],
    metric: str,
    spec: StatisticSpec,
    rng: np.random.Generator | None = None,
) -> tuple[float | None, int]:
    """(value, sample count) of ``spec`` over the samples of ``buckets``; None if no samples.

    Extended statistics of latency metrics need raw values (exact mode) or latency components
    and ``rng`` (fast mode, :func:`components_statistic`).
    """
    if not buckets:
        return None, 0
    n = 0
    for b in buckets:
        n += b.n
    if n == 0:
        return None, 0
    if spec.is_basic:
        return basic_statistic_of(buckets, metric, spec.kind), n
    if metric in RAW_METRICS:
        if any(b.components for b in buckets):
            assert rng is not None, "fast-mode extended statistics need an rng"
            comps = [c for b in buckets for c in b.components.get(metric, ())]
            return components_statistic(comps, spec, rng), n
        arr = np.concatenate([b.raw_values(metric) for b in buckets])
        return compute_from_samples(spec, arr), n
    values = np.array([0.0, 1.0]) if metric != "Invocations" else np.array([1.0])
    counts = np.zeros(len(values), dtype=np.int64)
    for b in buckets:
        _, c = b.histogram(metric)
        counts += c
    return compute_from_histogram(spec, values, counts), n
