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

import math
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from statistics import NormalDist

import numpy as np
import numpy.typing as npt

from guardsim.cloudwatch.statistics import (
    SampleSummary,
    StatisticKind,
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


_STD_NORMAL = NormalDist()
_NO_RNG = np.random.default_rng(0)  # never drawn from: constant components need no randomness
#: Fast mode: extended statistics other than percentiles are computed from a resample of at
#: most this many values drawn from the window's latency mixture (an approximation; percentiles
#: are drawn exactly).
RESAMPLE_SIZE = 2000


@dataclass(frozen=True)
class LatencyComponent:
    """Fast mode: ``n`` samples of ``exp(mu + sigma * Z) * scale + add`` (Z standard normal).

    A batch of requests of one fleet in one routing state shares one distribution, so it is kept
    as its parameters and count, not as values. ``scale == 0`` is a constant ``add``.
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
        if self.scale == 0.0:
            return self.add
        if self.sigma == 0.0:
            return math.exp(self.mu) * self.scale + self.add
        u = min(max(u, 1e-300), 1.0 - 1e-16)
        return math.exp(self.mu + self.sigma * _STD_NORMAL.inv_cdf(u)) * self.scale + self.add

    def cdf(self, x: float) -> float:
        if self.constant:
            return 1.0 if x >= self.quantile(0.5) else 0.0
        if x <= self.add:
            return 0.0
        z = (math.log((x - self.add) / self.scale) - self.mu) / self.sigma
        return 0.5 * math.erfc(-z / math.sqrt(2.0))

    def mean_var(self) -> tuple[float, float]:
        if self.constant:
            return self.quantile(0.5), 0.0
        s2 = self.sigma * self.sigma
        mean = self.scale * math.exp(self.mu + s2 / 2) + self.add
        var = self.scale * self.scale * math.expm1(s2) * math.exp(2 * self.mu + s2)
        return mean, var

    def draw_summary(self, rng: np.random.Generator, threshold: int) -> SampleSummary:
        """Sum, Minimum and Maximum of the ``n`` samples, from their sampling distributions.

        Below ``threshold`` samples every value is drawn (exact, consistent). Above it: Minimum
        and Maximum are exact order statistics (U ~ Beta(1, n) and Beta(n, 1) through the
        quantile function) and the Sum is normal with the exact mean and variance (central limit
        theorem), floored at n x Minimum; the three are drawn independently.
        """
        n = self.n
        if self.constant:
            v = self.quantile(0.5)
            return SampleSummary(n, v * n, v, v)
        if n < threshold:
            x = np.exp(self.mu + self.sigma * rng.standard_normal(n)) * self.scale + self.add
            return SampleSummary(n, float(x.sum()), float(x.min()), float(x.max()))
        u_min, u_max = rng.beta(1.0, n), rng.beta(n, 1.0)
        lo, hi = self.quantile(float(u_min)), self.quantile(float(u_max))
        mean, var = self.mean_var()
        total = float(rng.normal(n * mean, math.sqrt(n * var)))
        return SampleSummary(n, min(max(total, n * lo), n * hi), lo, hi)


def mixture_quantile(components: Sequence[LatencyComponent], u: float) -> float:
    """x with G(x) = u, G the count-weighted mixture CDF of ``components`` (bisection)."""
    total = sum(c.n for c in components)
    lo = min(c.quantile(1e-12) for c in components)
    hi = max(c.quantile(1.0 - 1e-12) for c in components)
    if lo >= hi:
        return lo
    for _ in range(60):
        mid = 0.5 * (lo + hi)
        g = sum(c.n * c.cdf(mid) for c in components) / total
        if g < u:
            lo = mid
        else:
            hi = mid
        if hi - lo <= 1e-9 * max(1.0, abs(hi)):
            break
    return 0.5 * (lo + hi)


def _merge(components: Sequence[LatencyComponent]) -> list[LatencyComponent]:
    """Components with equal parameters pooled into one (their samples are exchangeable)."""
    pooled: dict[tuple[float, float, float, float], int] = {}
    for c in components:
        if c.n > 0:
            key = (c.mu, c.sigma, c.scale, c.add)
            pooled[key] = pooled.get(key, 0) + c.n
    return [LatencyComponent(n, *key) for key, n in pooled.items()]


_MASK64 = (1 << 64) - 1


class KeyedRandom:
    """A small counter-based generator (SplitMix64) for draws that are keyed, not sequential.

    Fast mode draws a window's percentile once per (run, metric, fleets, statistic, window),
    whoever reads it first and whatever else was drawn before: the value depends on the key
    alone. Building a numpy Generator per key costs ~100 us; this costs ~2 us per draw.
    """

    __slots__ = ("state",)

    def __init__(self, key: int) -> None:
        self.state = key & _MASK64

    def next_u64(self) -> int:
        self.state = (self.state + 0x9E3779B97F4A7C15) & _MASK64
        z = self.state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _MASK64
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _MASK64
        return z ^ (z >> 31)

    def random(self) -> float:
        """Uniform on the open interval (0, 1)."""
        return ((self.next_u64() >> 11) + 0.5) * 2.0**-53

    def normal(self) -> float:
        """Standard normal (Box-Muller; one of the pair is used)."""
        return math.sqrt(-2.0 * math.log(self.random())) * math.cos(2.0 * math.pi * self.random())

    def gamma(self, shape: float) -> float:
        """Gamma(shape, 1) for shape >= 1 (Marsaglia and Tsang, 2000)."""
        d = shape - 1.0 / 3.0
        c = 1.0 / math.sqrt(9.0 * d)
        while True:
            x = self.normal()
            v = (1.0 + c * x) ** 3
            if v > 0 and math.log(self.random()) < 0.5 * x * x + d - d * v + d * math.log(v):
                return d * v

    def beta(self, a: float, b: float) -> float:
        """Beta(a, b) for a, b >= 1 (as order statistics need: Beta(r, N - r + 1))."""
        x = self.gamma(a)
        return x / (x + self.gamma(b))

    def numpy(self) -> np.random.Generator:
        """A numpy generator seeded from this key (for the rare resampling path)."""
        return np.random.default_rng(self.next_u64())


def key_rng(run_key: Sequence[int], *parts: object) -> KeyedRandom:
    """A generator determined by the run's key and ``parts`` alone (not by evaluation order).

    ``run_key`` comes from the run's own SeedSequence (so replications differ); ``parts`` name
    what is drawn (metric, fleets, statistic, window), so every reader of it sees one value.
    """
    key = 0
    for word in (*run_key, *(zlib.crc32(repr(p).encode()) for p in parts)):
        key = KeyedRandom((key ^ int(word)) & _MASK64).next_u64()
    return KeyedRandom(key)


def components_statistic(
    components: Sequence[LatencyComponent], spec: StatisticSpec, rng: KeyedRandom
) -> float | None:
    """Fast mode: an extended statistic of the pooled samples of ``components``.

    Percentiles are drawn exactly: CloudWatch's pNN is the r-th smallest of the N samples,
    r = max(1, ceil(p N)) (CW6), and the r-th order statistic of N draws from a distribution G is
    G^-1(U) with U ~ Beta(r, N - r + 1). Treating the pooled batches as N draws from their
    count-weighted mixture ignores that each batch's count is fixed, a negligible difference.
    Other extended statistics use a resample of at most :data:`RESAMPLE_SIZE` values.
    """
    comps = _merge(components)
    n = sum(c.n for c in comps)
    if n == 0:
        return None
    if spec.kind is StatisticKind.PERCENTILE and spec.upper is not None:
        r = max(1, -((-spec.upper.numerator * n) // (spec.upper.denominator * 100)))
        u = float(rng.beta(r, n - r + 1))
        # one distribution (the common case): its own quantile, no search needed
        return comps[0].quantile(u) if len(comps) == 1 else mixture_quantile(comps, u)
    m = min(n, RESAMPLE_SIZE)
    gen = rng.numpy()
    counts = gen.multinomial(m, [c.n / n for c in comps])
    parts = []
    for c, k in zip(comps, counts, strict=True):
        if k:
            parts.append(np.exp(c.mu + c.sigma * gen.standard_normal(int(k))) * c.scale + c.add)
    return compute_from_samples(spec, np.concatenate(parts))


class MinuteBucket:
    """One fleet's samples of one minute: counts, summaries and (while needed) raw values.

    Complete once its minute has ended; nothing is added after it is published.
    """

    # A plain class with slots: a run creates one per fleet and minute, in the hot path.
    __slots__ = ("components", "errors", "minute", "n", "published_at", "raw", "summaries")

    def __init__(self, minute: float) -> None:
        self.minute = minute
        self.n = 0
        self.errors: dict[str, int] = {m: 0 for m in COUNT_METRICS}
        self.summaries: dict[str, SampleSummary] = {}
        self.raw: dict[str, list[FloatArray]] = {m: [] for m in RAW_METRICS}
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
            s = comp.draw_summary(rngs.get(metric, _NO_RNG), threshold)
            old = self.summaries.get(metric)
            self.summaries[metric] = s if old is None else old.merge(s)
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


class MetricStore:
    """Per-fleet, per-minute buckets, with the publish time of each finished minute."""

    def __init__(self, keep_raw: bool, start: float = 0.0) -> None:
        self.keep_raw = keep_raw
        self.buckets: dict[str, dict[float, MinuteBucket]] = {f: {} for f in FLEETS}
        self.raw_dropped_until = float(np.floor(start / 60.0) * 60.0)

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
        if not self.keep_raw:
            return
        m = self.raw_dropped_until
        while m < minute:
            for fleet in FLEETS:
                b = self.buckets[fleet].get(m)
                if b is not None:
                    b.raw = {k: [] for k in RAW_METRICS}
            m += 60.0
        self.raw_dropped_until = max(self.raw_dropped_until, m)


def statistic_of(
    buckets: Sequence[MinuteBucket],
    metric: str,
    spec: StatisticSpec,
    rng: KeyedRandom | None = None,
) -> tuple[float | None, int]:
    """(value, sample count) of ``spec`` over the samples of ``buckets``; None if no samples.

    Extended statistics of latency metrics need raw values (exact mode) or latency components
    and ``rng`` (fast mode, :func:`components_statistic`).
    """
    if not buckets:
        return None, 0
    n = sum(b.n for b in buckets)
    if n == 0:
        return None, 0
    if spec.is_basic:
        total = buckets[0].summary(metric)
        for b in buckets[1:]:
            total = total.merge(b.summary(metric))
        return compute_from_summary(spec, total), n
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
