"""The exact data plane: every request's arrival, fleet, outcome and latency.

Requests are sampled with numpy in batches between control events: the routing (which instances
are active) only changes at control events, so the controller calls :meth:`ExactDataPlane.advance`
before every change and a minute clock calls it at every minute boundary. Each batch therefore
lies within one minute and one routing state; its cost is one vectorised draw per quantity, not a
SimPy process per request.

Per request (spec 2.2, 3.1, 3.2):

* **arrival**: Poisson (or evenly spaced) at the traffic model's rate, or a replay file's
  per-minute counts;
* **fleet**: green with probability active green / active instances (traffic follows active
  instance counts), else blue; each request is served by exactly one fleet;
* **instance**: uniform among the fleet's active instances (only drawn when a warm-up fault needs
  it);
* **outcome**: 5XX with the fleet's 5XX probability, else 4XX with its 4XX probability, else
  success; both count in InvocationModelErrors;
* **latency**: lognormal ModelLatency and OverheadLatency, scaled by faults and by load: with
  ``capacity_rps_per_instance`` set, an instance at utilisation rho (its requests/s over its
  capacity) has latency x 1 / (1 - min(rho, 0.95)), the M/M/1 sojourn-time factor, capped at
  x20 (an overloaded instance's queue would otherwise grow without bound) [guardsim's model].
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from guardsim.scenarios.distributions import Z99
from guardsim.scenarios.models import (
    ErrorFault,
    LatencyFault,
    LoadErrorFault,
    ModelBehaviour,
    WarmupFault,
)
from guardsim.scenarios.traffic import Traffic
from guardsim.simulator.metrics import MetricStore

FloatArray = npt.NDArray[np.float64]

#: Utilisation at which the load-latency factor stops growing (x20).
MAX_UTILISATION = 0.95


@dataclass
class Routing:
    """Which instances serve traffic: activation times of the active instances per fleet."""

    blue: list[float]
    green: list[float]

    @property
    def active_blue(self) -> int:
        return len(self.blue)

    @property
    def active_green(self) -> int:
        return len(self.green)

    @property
    def green_fraction(self) -> float:
        total = len(self.blue) + len(self.green)
        return len(self.green) / total if total else 0.0


@dataclass
class Counters:
    """Running totals for the run summary, split at the deployment's start and end."""

    green_requests: int = 0
    green_errors: int = 0
    user_errors: int = 0
    requests: int = 0


class ExactDataPlane:
    """Samples every request in [t, to) for the current routing and files it into metrics."""

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

    # ------------------------------------------------------------------ arrivals

    def _rate(self, t: float) -> float:
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

    def _arrivals(self, t0: float, t1: float) -> FloatArray:
        span = t1 - t0
        if span <= 0:
            return np.empty(0)
        rate = self._rate(t0)
        if self.traffic.bursts or self.traffic.profile == "daily":
            # Bursts and the daily profile vary within a batch: integrate the rate per second.
            edges = np.arange(t0, t1, 1.0)
            rates = np.array([self._rate(float(e)) for e in edges])
            widths = np.minimum(edges + 1.0, t1) - edges
            mean = float((rates * widths).sum())
            rate = mean / span if span else 0.0
        if self.traffic.arrivals == "uniform":
            if rate <= 0:
                self.next_uniform = t1
                return np.empty(0)
            first = max(self.next_uniform, t0)
            n = max(0, math.ceil((t1 - first) * rate - 1e-9))
            times = first + np.arange(n) / rate
            times = times[times < t1]
            self.next_uniform = (float(times[-1]) + 1.0 / rate) if len(times) else first
            return times
        n = int(self.rng.poisson(rate * span))
        return np.sort(self.rng.uniform(t0, t1, n))

    # ------------------------------------------------------------------ behaviour

    def _error_probs(self, model: ModelBehaviour, t: float, rho: float) -> tuple[float, float]:
        p5, p4 = model.error_rate_5xx, model.error_rate_4xx
        for f in model.faults:
            if (
                isinstance(f, ErrorFault)
                and f.after_seconds <= t
                and (f.until_seconds is None or t < f.until_seconds)
            ) or (isinstance(f, LoadErrorFault) and rho > f.above_utilization):
                p5 += f.rate_5xx
                p4 += f.rate_4xx
        p5 = min(p5, 1.0)
        return p5, min(p4, 1.0 - p5)

    def _latency_factor(self, model: ModelBehaviour, t: float, rho: float) -> tuple[float, float]:
        mult, add = 1.0, 0.0
        for f in model.faults:
            if (
                isinstance(f, LatencyFault)
                and f.after_seconds <= t
                and (f.until_seconds is None or t < f.until_seconds)
            ):
                mult *= f.multiplier
                add += f.add_ms
        if model.capacity_rps_per_instance is not None:
            mult *= 1.0 / (1.0 - min(rho, MAX_UTILISATION))
        return mult, add

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
        t_mid = float(times[0])
        per_instance = total_rate / total_active if total_active else 0.0
        rho = (
            per_instance / model.capacity_rps_per_instance
            if model.capacity_rps_per_instance
            else 0.0
        )
        p5, p4 = self._error_probs(model, t_mid, rho)
        mult, add = self._latency_factor(model, t_mid, rho)
        p5_arr: FloatArray | float = p5
        p4_arr: FloatArray | float = p4
        lat_mult: FloatArray | float = mult
        warm = [f for f in model.faults if isinstance(f, WarmupFault)]
        if warm:
            idx = rng.integers(0, len(activations), n)
            age = times - np.asarray(activations, dtype=np.float64)[idx]
            p5_a = np.full(n, p5)
            p4_a = np.full(n, p4)
            m_a = np.full(n, mult)
            for f in warm:
                warming = age < f.duration_seconds
                p5_a = np.where(warming, np.minimum(p5_a + f.rate_5xx, 1.0), p5_a)
                p4_a = np.where(warming, np.minimum(p4_a + f.rate_4xx, 1.0 - p5_a), p4_a)
                m_a = np.where(warming, m_a * f.latency_multiplier, m_a)
            p5_arr, p4_arr, lat_mult = p5_a, p4_a, m_a
        u = rng.random(n)
        is5 = u < p5_arr
        is4 = (~is5) & (u < np.add(p5_arr, p4_arr))
        lat = model.latency
        z = rng.standard_normal(n)
        sigma = (math.log(lat.p99_ms) - math.log(lat.median_ms)) / Z99
        model_ms = np.exp(math.log(lat.median_ms) + sigma * z) * lat_mult + add
        ov = model.overhead_latency
        z2 = rng.standard_normal(n)
        sigma2 = (math.log(ov.p99_ms) - math.log(ov.median_ms)) / Z99
        overhead_ms = np.exp(math.log(ov.median_ms) + sigma2 * z2)
        e5 = int(is5.sum())
        e4 = int(is4.sum())
        values = {
            "ModelLatency": model_ms * 1000.0,  # SageMaker publishes microseconds (spec 3.1)
            "OverheadLatency": overhead_ms * 1000.0,
            "InvocationsPerInstance": np.full(n, 1.0 / total_active),
        }
        self.store.bucket(fleet, minute).add(e4, e5, e4 + e5, values, self.store.keep_raw)
        if self.counting:
            self.counters.requests += n
            self.counters.user_errors += e4 + e5
            if fleet == "green":
                self.counters.green_requests += n
                self.counters.green_errors += e4 + e5

    # ------------------------------------------------------------------ driving

    def advance(self, to: float, routing: Routing) -> None:
        """Sample every request in [self.t, to) with ``routing``, minute by minute."""
        while self.t < to:
            minute = math.floor(self.t / 60.0) * 60.0
            end = min(to, minute + 60.0)
            self._batch(self.t, end, routing, minute)
            self.t = end

    def _batch(self, t0: float, t1: float, routing: Routing, minute: float) -> None:
        times = self._arrivals(t0, t1)
        total_active = routing.active_blue + routing.active_green
        if len(times) == 0 or total_active == 0:
            return
        total_rate = (
            len(times) / (t1 - t0) if self.traffic.arrivals == "uniform" else self._rate(t0)
        )
        frac = routing.green_fraction
        if frac <= 0.0:
            self._serve("blue", times, routing.blue, total_rate, total_active, minute)
        elif frac >= 1.0:
            self._serve("green", times, routing.green, total_rate, total_active, minute)
        else:
            to_green = self.rng.random(len(times)) < frac
            self._serve("blue", times[~to_green], routing.blue, total_rate, total_active, minute)
            self._serve("green", times[to_green], routing.green, total_rate, total_active, minute)
