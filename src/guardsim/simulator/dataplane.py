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
also cut where a fault starts or ends and where a warming instance stops warming, so every
batch has one behaviour per instance and a fault's onset is exact. The model itself (arrival
rates, fault behaviour, the load-latency factor) is :mod:`guardsim.model`; this module samples
it. Per request (see aws-model.md#fleet-sizes, #invocation-metrics, #invoke-errors):

* **arrival**: Poisson (or evenly spaced) at the traffic model's rate, or a replay file's
  per-minute counts (:mod:`guardsim.model.traffic`);
* **fleet**: green with probability active green / active instances (traffic follows active
  instance counts), else blue; each request is served by exactly one fleet;
* **instance**: uniform among the fleet's active instances (it matters for warm-up faults);
* **outcome**: 5XX with the fleet's 5XX probability, else 4XX with its 4XX probability, else
  success; both count in InvocationModelErrors;
* **latency**: lognormal ModelLatency and OverheadLatency, scaled by faults and by load
  (:mod:`guardsim.model.faults`: the fold of the fleet's faults and the load-latency factor).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from guardsim.model import latency as latency_kernels
from guardsim.model import traffic as arrivals
from guardsim.model.faults import (
    OLD_FLEET_WARM_SECONDS,
    Behaviour,
    FleetFaults,
    clamp,
    warm_groups,
)
from guardsim.scenarios.models import Latency, ModelBehaviour
from guardsim.scenarios.traffic import Traffic
from guardsim.simulator.metrics import LatencyComponent, MetricStore, MinuteBucket

FloatArray = npt.NDArray[np.float64]

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
        faults: dict[str, FleetFaults] | None = None,
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
        #: Each fleet's faults compiled (raises for a fault kind without a kernel); the run
        #: passes them when it binds a recorded history (:mod:`guardsim.model.history`).
        self.faults = faults or {f: FleetFaults(m, f"models.{f}") for f, m in models.items()}
        self.any_warmup = any(ff.instance for ff in self.faults.values())
        #: Where either fleet's behaviour may change (fault onsets and ends): batches cut there.
        self.time_cuts = sorted({c for ff in self.faults.values() for c in ff.time_cuts})
        #: The arrival rate when it never changes (no replay file, bursts or daily profile).
        self.constant_rate = (
            arrivals.rate_scalar(traffic, start) if arrivals.is_constant(traffic, replay) else None
        )
        #: Fleets whose behaviour does not depend on time (no error or latency fault), so it
        #: is a function of the utilisation alone and is worked out once per value.
        self.timeless = {f: ff.timeless for f, ff in self.faults.items()}
        self._behaviours: dict[tuple[str, float], Behaviour] = {}
        #: Metrics anyone reads (None: all); set by the run when it knows its alarms.
        self.needed: frozenset[str] | None = None
        #: An inference component's neighbours with traffic: each a data plane of its own
        #: (:func:`neighbour_plane`) with its routing, advanced with this one.
        self.neighbours: list[tuple[DataPlane, Routing]] = []

    # ------------------------------------------------------------------ arrivals

    def rate(self, t: float) -> float:
        """The arrival rate at ``t`` (:func:`guardsim.model.traffic.rate`)."""
        return arrivals.rate_scalar(self.traffic, t, self.replay)

    def mean_rate(self, t0: float, t1: float) -> float:
        """The mean arrival rate over [t0, t1) (bursts and the daily profile vary within it)."""
        if self.constant_rate is not None:
            return self.constant_rate
        return arrivals.mean_rate(self.traffic, t0, t1, self.replay)

    def uniform_count(self, t0: float, t1: float, rate: float) -> tuple[float, int]:
        """Evenly spaced arrivals in [t0, t1): (first arrival, count); advances the phase."""
        first, n, self.next_uniform = arrivals.uniform_arrivals(self.next_uniform, t0, t1, rate)
        return first, n

    # ------------------------------------------------------------------ behaviour

    def behaviour(self, fleet: str, t: float, rho: float) -> Behaviour:
        """The fleet-wide behaviour at ``t`` and utilisation ``rho`` (clamped; warm-up faults
        are applied per instance on top of it)."""
        if not self.timeless[fleet]:
            return clamp(self.faults[fleet].fleet_wide(t, rho))
        cache = self._behaviours
        b = cache.get((fleet, rho))
        if b is None:
            if len(cache) > 1024:  # a varying rate with capacity set: utilisation varies
                cache.clear()
            b = cache[(fleet, rho)] = clamp(self.faults[fleet].fleet_wide(t, rho))
        return b

    def warming(
        self, fleet: str, behaviour: Behaviour, t: float, rho: float, ages: list[float]
    ) -> list[tuple[float, Behaviour]]:
        """(share of the fleet's instances, behaviour) for each warm-up state of the instances."""
        ff = self.faults[fleet]
        return [
            (share, clamp(ff.on_instance(behaviour, t, rho, age)))
            for share, age in warm_groups(ages, ff.age_cuts)
        ]

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
        cuts = [c for c in self.time_cuts if self.t < c < to] if self.time_cuts else []
        if self.any_warmup:
            cuts = sorted(
                cuts
                + [
                    t
                    for fleet in ("blue", "green")
                    for c in self.faults[fleet].age_cuts
                    for a in (routing.blue if fleet == "blue" else routing.green)
                    if self.t < (t := a + c) < to
                ]
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
        for plane, fixed in self.neighbours:
            plane.advance(to, fixed)

    def batch(self, t0: float, t1: float, routing: Routing, minute: float) -> None:
        raise NotImplementedError


class _FleetStore:
    """A metric store seen by a neighbour's data plane: its one fleet (``blue``, which serves
    all of its requests) filed under the neighbour's own fleet."""

    def __init__(self, store: MetricStore, fleet: str) -> None:
        self.store = store
        self.fleet = fleet
        self.keep_raw = store.keep_raw

    def bucket(self, fleet: str, minute: float) -> MinuteBucket:
        return self.store.bucket(self.fleet, minute)


def neighbour_plane(
    cls: type[DataPlane],
    fleet: str,
    traffic: Traffic,
    model: ModelBehaviour,
    path: str,
    copies: int,
    store: MetricStore,
    rng: np.random.Generator,
    start: float,
    **kwargs: Any,
) -> tuple[DataPlane, Routing]:
    """An inference component's neighbour as a data plane of the same kind (``cls``): its own
    traffic and model (the same kernels: arrivals, faults, latency), all of its requests served
    by its ``copies`` (one unit each, warm since long before the run, as the old copies are)
    and filed under ``fleet`` in ``store``; never counted in the run's summary (the update's
    blast radius is the updated component's). Returned with its routing, which never changes
    (the update does not move a neighbour's copies)."""
    faults = FleetFaults(model, path)
    plane = cls(
        traffic,
        None,
        {"blue": model, "green": model},
        _FleetStore(store, fleet),  # type: ignore[arg-type]
        rng,
        start,
        faults={"blue": faults, "green": faults},
        **kwargs,
    )
    return plane, Routing([start - OLD_FLEET_WARM_SECONDS] * copies, [])


class ExactDataPlane(DataPlane):
    """Every request sampled individually (vectorised per batch)."""

    mode = "exact"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        #: Set to a list to keep every request: (fleet, arrival times, status codes 200, 400 or
        #: 500) per batch and fleet (for tests and per-request inspection; None: not kept).
        self.request_log: list[tuple[str, FloatArray, npt.NDArray[np.int64]]] | None = None

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
        t0 = float(times[0])
        b = self.behaviour(fleet, t0, rho)
        ff = self.faults[fleet]
        if ff.instance:  # per-request instance, and its age, for warm-up faults
            idx = rng.integers(0, len(activations), n)
            age = times - np.asarray(activations, dtype=np.float64)[idx]
            b = clamp(ff.on_instance(b, t0, rho, age))
        p5, p4, mult, add_ms = b
        u = rng.random(n)
        is5 = u < p5
        is4 = (~is5) & (u < np.add(p5, p4))
        mu, sigma = self.params[fleet]
        model_ms = np.exp(mu + sigma * rng.standard_normal(n)) * mult + add_ms
        mu2, sigma2 = self.overhead[fleet]
        overhead_ms = np.exp(mu2 + sigma2 * rng.standard_normal(n))
        e5, e4 = int(is5.sum()), int(is4.sum())
        if self.request_log is not None:
            status = np.where(is5, 500, np.where(is4, 400, 200)).astype(np.int64)
            self.request_log.append((fleet, times.copy(), status))
        values = {
            "ModelLatency": model_ms * 1000.0,  # microseconds: see aws-model.md#invocation-metrics
            "OverheadLatency": overhead_ms * 1000.0,
            "InvocationsPerInstance": np.full(n, 1.0 / total_active),
        }
        bucket = self.store.bucket(fleet, minute)
        bucket.instances = max(bucket.instances, len(activations))  # for instance metrics
        bucket.add(e4, e5, e4 + e5, values, self.store.keep_raw)
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
        bucket.instances = max(bucket.instances, len(activations))  # for instance metrics
        if not self.faults[fleet].instance:  # the common case: one behaviour for the fleet
            self._serve_group(fleet, bucket, n, b, total_active)
            return
        groups = self.warming(fleet, b, t0, rho, [t0 - a for a in activations])
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
        p5, p4 = float(g.p5), float(g.p4)
        e5 = int(rng.binomial(k, p5)) if p5 > 0 else 0
        rest = k - e5
        q4 = p4 / (1.0 - p5) if p5 < 1.0 else 0.0
        e4 = int(rng.binomial(rest, q4)) if rest and q4 > 0 else 0
        # Only the metrics someone reads (add_components would skip the others anyway).
        needed = self.needed
        comps: dict[str, LatencyComponent] = {}
        if needed is None or "ModelLatency" in needed:
            mu, sigma = self.params[fleet]
            # in microseconds: exp(mu + sigma Z) * mult + add, all x 1000
            comps["ModelLatency"] = LatencyComponent(
                k, mu, sigma, float(g.mult) * 1000.0, float(g.add_ms) * 1000.0
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
