"""The data plane: requests, their fleet, outcome and latency, filed into per-minute metrics.

Two samplers share everything but the sampling itself:

* :class:`ExactDataPlane` (``simulation.mode: exact``, the reference) samples every request:
  its arrival time, fleet, instance, outcome and latency;
* :class:`FastDataPlane` (``mode: fast``) samples each batch in aggregate: counts from Poisson
  and binomial draws, latency sums, minima, maxima and percentiles from their exact (or, for
  large sums, normal) sampling distributions. Its cost grows with simulated time, not with the
  request rate.

Batches lie within one minute and one routing state: the controller calls :meth:`advance`
before every routing change, a minute clock calls it at every minute boundary, and batches are
also cut where a warming instance stops warming. Per request (spec 2.2, 3.1, 3.2):

* **arrival**: Poisson (or evenly spaced) at the traffic model's rate, or a replay file's
  per-minute counts;
* **fleet**: green with probability active green / active instances (traffic follows active
  instance counts), else blue; each request is served by exactly one fleet;
* **instance**: uniform among the fleet's active instances (it matters for warm-up faults);
* **outcome**: 5XX with the fleet's 5XX probability, else 4XX with its 4XX probability, else
  success; both count in InvocationModelErrors;
* **latency**: lognormal ModelLatency and OverheadLatency, scaled by faults and by load: with
  ``capacity_rps_per_instance`` set, an instance at utilisation rho (its requests/s over its
  capacity) has latency x 1 / (1 - min(rho, 0.95)), the M/M/1 sojourn-time factor, capped at
  x20 (an overloaded instance's queue would otherwise grow without bound) [guardsim's model].
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from guardsim.model import latency as latency_kernels
from guardsim.scenarios.models import (
    ErrorFault,
    Latency,
    LatencyFault,
    LoadErrorFault,
    ModelBehaviour,
    WarmupFault,
)
from guardsim.scenarios.traffic import Traffic
from guardsim.simulator.metrics import LatencyComponent, MetricStore, MinuteBucket

FloatArray = npt.NDArray[np.float64]

#: Utilisation at which the load-latency factor stops growing (x20).
MAX_UTILISATION = 0.95
#: Fast mode: batches of at least this many requests get a normal-approximated latency Sum
#: (defined with the summary draws, :data:`guardsim.model.latency.NORMAL_SUM_THRESHOLD`).
NORMAL_SUM_THRESHOLD = latency_kernels.NORMAL_SUM_THRESHOLD


@dataclass
class Routing:
    """Which instances serve traffic: activation times of the active instances per fleet.

    A snapshot: the run makes a new one at every routing change and never changes one, so the
    counts and the green share are worked out once, here (every batch reads them).
    """

    blue: list[float]
    green: list[float]
    active_blue: int = field(init=False)
    active_green: int = field(init=False)
    #: Green's share of the traffic: active green / all active instances (0 if none).
    green_fraction: float = field(init=False)

    def __post_init__(self) -> None:
        self.active_blue = len(self.blue)
        self.active_green = len(self.green)
        total = self.active_blue + self.active_green
        self.green_fraction = self.active_green / total if total else 0.0


@dataclass
class Counters:
    """Running totals for the run summary, counted between UpdateEndpoint and the end."""

    green_requests: int = 0
    green_errors: int = 0
    user_errors: int = 0
    requests: int = 0


def lognormal_params(latency: Latency) -> tuple[float, float]:
    """(mu, sigma) of a lognormal with the given median and p99 (in ms)."""
    return latency_kernels.lognormal_params(float(latency.median_ms), float(latency.p99_ms))


@dataclass(frozen=True)
class Behaviour:
    """A fleet's behaviour for one batch: error probabilities and latency scaling."""

    p5: float
    p4: float
    mult: float
    add_ms: float


class DataPlane:
    """Arrival rates, batching and the model's behaviour at a time; subclasses sample."""

    mode = "base"

    def __init__(
        self,
        traffic: Traffic,
        replay: tuple[float, ...] | None,
        models: dict[str, ModelBehaviour],
        store: MetricStore,
        rng: np.random.Generator,
        start: float,
    ) -> None:
        self.traffic = traffic
        self.replay = replay
        self.models = models
        self.store = store
        self.rng = rng
        self.t = start
        self.next_uniform = start
        self.counters = Counters()
        self.counting = False  # True between UpdateEndpoint and the end of the deployment
        self.params = {f: lognormal_params(m.latency) for f, m in models.items()}
        self.overhead = {f: lognormal_params(m.overhead_latency) for f, m in models.items()}
        self.warmups = {
            f: [x for x in m.faults if isinstance(x, WarmupFault)] for f, m in models.items()
        }
        self.any_warmup = any(self.warmups.values())
        self.varying_rate = bool(traffic.bursts) or traffic.profile == "daily"
        #: The arrival rate when it never changes (no replay file, bursts or daily profile).
        self.constant_rate = (
            traffic.rate_at(start) if replay is None and not self.varying_rate else None
        )
        #: Fleets whose behaviour does not depend on time (no error or latency fault), so it
        #: is a function of the utilisation alone and is worked out once per value.
        self.timeless = {
            f: not any(isinstance(x, ErrorFault | LatencyFault) for x in m.faults)
            for f, m in models.items()
        }
        self._behaviours: dict[tuple[str, float], Behaviour] = {}
        #: Metrics anyone reads (None: all); set by the run when it knows its alarms.
        self.needed: frozenset[str] | None = None

    # ------------------------------------------------------------------ arrivals

    def rate(self, t: float) -> float:
        if self.replay is not None:
            minute = math.floor(t / 60.0)
            if minute < 0:
                minute_count = self.replay[0]
            elif minute < len(self.replay):
                minute_count = self.replay[minute]
            else:
                minute_count = self.replay[-1]
            return minute_count / 60.0
        return self.traffic.rate_at(t)

    def mean_rate(self, t0: float, t1: float) -> float:
        """The mean arrival rate over [t0, t1) (bursts and the daily profile vary within it)."""
        if self.constant_rate is not None:
            return self.constant_rate
        if not self.varying_rate:
            return self.rate(t0)
        edges = np.arange(t0, t1, 1.0)
        rates = np.array([self.rate(float(e)) for e in edges])
        widths = np.minimum(edges + 1.0, t1) - edges
        return float((rates * widths).sum()) / (t1 - t0)

    def uniform_count(self, t0: float, t1: float, rate: float) -> tuple[float, int]:
        """Evenly spaced arrivals in [t0, t1): (first arrival, count); advances the phase."""
        if rate <= 0:
            self.next_uniform = t1
            return t1, 0
        first = max(self.next_uniform, t0)
        n = max(0, math.ceil((t1 - first) * rate - 1e-9))
        while n > 0 and first + (n - 1) / rate >= t1:
            n -= 1
        self.next_uniform = first + n / rate if n else first
        return first, n

    # ------------------------------------------------------------------ behaviour

    def behaviour(self, fleet: str, t: float, rho: float) -> Behaviour:
        if not self.timeless[fleet]:
            return self._behaviour(fleet, t, rho)
        cache = self._behaviours
        b = cache.get((fleet, rho))
        if b is None:
            if len(cache) > 1024:  # a varying rate with capacity set: utilisation varies
                cache.clear()
            b = cache[(fleet, rho)] = self._behaviour(fleet, t, rho)
        return b

    def _behaviour(self, fleet: str, t: float, rho: float) -> Behaviour:
        model = self.models[fleet]
        p5, p4 = model.error_rate_5xx, model.error_rate_4xx
        mult, add = 1.0, 0.0
        for f in model.faults:
            active = (
                isinstance(f, ErrorFault | LatencyFault)
                and f.after_seconds <= t
                and (f.until_seconds is None or t < f.until_seconds)
            )
            if isinstance(f, ErrorFault) and active:
                p5 += f.rate_5xx
                p4 += f.rate_4xx
            elif isinstance(f, LatencyFault) and active:
                mult *= f.multiplier
                add += f.add_ms
            elif isinstance(f, LoadErrorFault) and rho > f.above_utilization:
                p5 += f.rate_5xx
                p4 += f.rate_4xx
        if model.capacity_rps_per_instance is not None:
            mult *= 1.0 / (1.0 - min(rho, MAX_UTILISATION))
        p5 = min(p5, 1.0)
        return Behaviour(p5, min(p4, 1.0 - p5), mult, add)

    @staticmethod
    def warming(
        behaviour: Behaviour, faults: list[WarmupFault], ages: list[float]
    ) -> list[tuple[float, Behaviour]]:
        """(share of the fleet's instances, behaviour) for each warm-up state of the instances."""
        groups: dict[tuple[bool, ...], int] = {}
        for age in ages:
            key = tuple(age < f.duration_seconds for f in faults)
            groups[key] = groups.get(key, 0) + 1
        out = []
        for key, count in sorted(groups.items()):
            b = behaviour
            for on, f in zip(key, faults, strict=True):
                if on:
                    p5 = min(b.p5 + f.rate_5xx, 1.0)
                    b = Behaviour(
                        p5,
                        min(b.p4 + f.rate_4xx, 1.0 - p5),
                        b.mult * f.latency_multiplier,
                        b.add_ms,
                    )
            out.append((count / len(ages), b))
        return out

    def _count(self, fleet: str, n: int, errors: int) -> None:
        if self.counting:
            self.counters.requests += n
            self.counters.user_errors += errors
            if fleet == "green":
                self.counters.green_requests += n
                self.counters.green_errors += errors

    # ------------------------------------------------------------------ driving

    def advance(self, to: float, routing: Routing) -> None:
        """Sample every request in [self.t, to) with ``routing``, in batches."""
        cuts = (
            sorted(
                t
                for fleet in ("blue", "green")
                for f in self.warmups[fleet]
                for a in (routing.blue if fleet == "blue" else routing.green)
                if self.t < (t := a + f.duration_seconds) < to
            )
            if self.any_warmup
            else []
        )
        while self.t < to:
            minute = math.floor(self.t / 60.0) * 60.0
            end = min(to, minute + 60.0)
            while cuts and cuts[0] <= self.t:
                cuts.pop(0)
            if cuts and cuts[0] < end:
                end = cuts[0]
            self.batch(self.t, end, routing, minute)
            self.t = end

    def batch(self, t0: float, t1: float, routing: Routing, minute: float) -> None:
        raise NotImplementedError


class ExactDataPlane(DataPlane):
    """Every request sampled individually (vectorised per batch)."""

    mode = "exact"

    def _arrivals(self, t0: float, t1: float) -> FloatArray:
        rate = self.mean_rate(t0, t1)
        if self.traffic.arrivals == "uniform":
            first, n = self.uniform_count(t0, t1, rate)
            return first + np.arange(n) / rate if n else np.empty(0)
        n = int(self.rng.poisson(rate * (t1 - t0)))
        return np.sort(self.rng.uniform(t0, t1, n))

    def batch(self, t0: float, t1: float, routing: Routing, minute: float) -> None:
        times = self._arrivals(t0, t1)
        total_active = routing.active_blue + routing.active_green
        if len(times) == 0 or total_active == 0:
            return
        total_rate = self.mean_rate(t0, t1)
        frac = routing.green_fraction
        if frac <= 0.0:
            self._serve("blue", times, routing.blue, total_rate, total_active, minute)
        elif frac >= 1.0:
            self._serve("green", times, routing.green, total_rate, total_active, minute)
        else:
            to_green = self.rng.random(len(times)) < frac
            self._serve("blue", times[~to_green], routing.blue, total_rate, total_active, minute)
            self._serve("green", times[to_green], routing.green, total_rate, total_active, minute)

    def _serve(
        self,
        fleet: str,
        times: FloatArray,
        activations: list[float],
        total_rate: float,
        total_active: int,
        minute: float,
    ) -> None:
        n = len(times)
        if n == 0:
            return
        model = self.models[fleet]
        rng = self.rng
        rho = (
            total_rate / total_active / model.capacity_rps_per_instance
            if model.capacity_rps_per_instance
            else 0.0
        )
        b = self.behaviour(fleet, float(times[0]), rho)
        p5: FloatArray | float = b.p5
        p4: FloatArray | float = b.p4
        mult: FloatArray | float = b.mult
        warm = self.warmups[fleet]
        if warm:
            idx = rng.integers(0, len(activations), n)
            age = times - np.asarray(activations, dtype=np.float64)[idx]
            p5_a, p4_a, m_a = np.full(n, b.p5), np.full(n, b.p4), np.full(n, b.mult)
            for f in warm:
                on = age < f.duration_seconds
                p5_a = np.where(on, np.minimum(p5_a + f.rate_5xx, 1.0), p5_a)
                p4_a = np.where(on, np.minimum(p4_a + f.rate_4xx, 1.0 - p5_a), p4_a)
                m_a = np.where(on, m_a * f.latency_multiplier, m_a)
            p5, p4, mult = p5_a, p4_a, m_a
        u = rng.random(n)
        is5 = u < p5
        is4 = (~is5) & (u < np.add(p5, p4))
        mu, sigma = self.params[fleet]
        model_ms = np.exp(mu + sigma * rng.standard_normal(n)) * mult + b.add_ms
        mu2, sigma2 = self.overhead[fleet]
        overhead_ms = np.exp(mu2 + sigma2 * rng.standard_normal(n))
        e5, e4 = int(is5.sum()), int(is4.sum())
        values = {
            "ModelLatency": model_ms * 1000.0,  # SageMaker publishes microseconds (spec 3.1)
            "OverheadLatency": overhead_ms * 1000.0,
            "InvocationsPerInstance": np.full(n, 1.0 / total_active),
        }
        self.store.bucket(fleet, minute).add(e4, e5, e4 + e5, values, self.store.keep_raw)
        self._count(fleet, n, e4 + e5)


class FastDataPlane(DataPlane):
    """Each batch sampled in aggregate: cost per batch is independent of its size."""

    mode = "fast"

    def __init__(
        self, *args: Any, metric_rngs: dict[str, np.random.Generator], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.metric_rngs = metric_rngs

    def batch(self, t0: float, t1: float, routing: Routing, minute: float) -> None:
        total_active = routing.active_blue + routing.active_green
        if total_active == 0:
            return
        rate = self.mean_rate(t0, t1)
        if self.traffic.arrivals == "uniform":
            _, n = self.uniform_count(t0, t1, rate)
        else:
            n = int(self.rng.poisson(rate * (t1 - t0)))
        if n == 0:
            return
        frac = routing.green_fraction
        n_green = n if frac >= 1.0 else 0 if frac <= 0.0 else int(self.rng.binomial(n, frac))
        if n - n_green:
            self._serve("blue", n - n_green, t0, routing.blue, rate, total_active, minute)
        if n_green:
            self._serve("green", n_green, t0, routing.green, rate, total_active, minute)

    def _serve(
        self,
        fleet: str,
        n: int,
        t0: float,
        activations: list[float],
        rate: float,
        total_active: int,
        minute: float,
    ) -> None:
        model = self.models[fleet]
        capacity = model.capacity_rps_per_instance
        rho = rate / total_active / capacity if capacity else 0.0
        b = self.behaviour(fleet, t0, rho)
        bucket = self.store.bucket(fleet, minute)
        warm = self.warmups[fleet]
        if not warm:  # the common case: one behaviour for the whole fleet
            self._serve_group(fleet, bucket, n, b, total_active)
            return
        groups = self.warming(b, warm, [t0 - a for a in activations])
        counts = (
            [n]
            if len(groups) == 1
            else [int(c) for c in self.rng.multinomial(n, [g[0] for g in groups])]
        )
        for (_, g), k in zip(groups, counts, strict=True):
            if k:
                self._serve_group(fleet, bucket, k, g, total_active)

    def _serve_group(
        self, fleet: str, bucket: MinuteBucket, k: int, g: Behaviour, total_active: int
    ) -> None:
        """``k`` requests of ``fleet`` that all behave as ``g``."""
        rng = self.rng
        e5 = int(rng.binomial(k, g.p5)) if g.p5 > 0 else 0
        rest = k - e5
        q4 = g.p4 / (1.0 - g.p5) if g.p5 < 1.0 else 0.0
        e4 = int(rng.binomial(rest, q4)) if rest and q4 > 0 else 0
        # Only the metrics someone reads (add_components would skip the others anyway).
        needed = self.needed
        comps: dict[str, LatencyComponent] = {}
        if needed is None or "ModelLatency" in needed:
            mu, sigma = self.params[fleet]
            # in microseconds: exp(mu + sigma Z) * mult + add, all x 1000
            comps["ModelLatency"] = LatencyComponent(
                k, mu, sigma, g.mult * 1000.0, g.add_ms * 1000.0
            )
        if needed is None or "OverheadLatency" in needed:
            mu2, sigma2 = self.overhead[fleet]
            comps["OverheadLatency"] = LatencyComponent(k, mu2, sigma2, 1000.0, 0.0)
        if needed is None or "InvocationsPerInstance" in needed:
            comps["InvocationsPerInstance"] = LatencyComponent(k, 0.0, 0.0, 0.0, 1.0 / total_active)
        bucket.add_components(
            k, e4, e5, e4 + e5, comps, self.metric_rngs, NORMAL_SUM_THRESHOLD, needed
        )
        self._count(fleet, k, e4 + e5)
