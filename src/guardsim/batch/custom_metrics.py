"""The batch engine's custom metrics: :mod:`guardsim.model.custom_metrics` on arrays.

Per fleet and minute, a custom series' statistic set is built from the minute's request and
error counts and ModelLatency set (per-request metrics), or from one draw of its distribution
per replication (per-minute metrics, from the block's own stream), by the same kernel as the
exact and fast engines; the sets live beside the latency metrics' (``lat``) and per-minute
metrics count one sample per minute with requests.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

from guardsim.model.custom_metrics import PREFIX, minute_stats, name_of, request_stats
from guardsim.scenarios.models import CustomMetric
from guardsim.scenarios.scenario import Scenario

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
Lat = dict[tuple[str, str], tuple[FloatArray, FloatArray, FloatArray]]

FLEETS = ("blue", "green")


def read_custom_metrics(scenario: Scenario, read: set[str]) -> dict[str, tuple[CustomMetric, ...]]:
    """Per fleet, its custom metrics some alarm reads."""
    return {
        f: tuple(m for m in getattr(scenario.models, f).custom_metrics if name_of(m) in read)
        for f in FLEETS
    }


class CustomMetricArrays:
    """Custom metrics' statistic sets of one block, [R, minutes] (into ``lat``)."""

    def __init__(
        self,
        metrics: dict[str, tuple[CustomMetric, ...]],
        rng: np.random.Generator,
        R: int,
        minutes: int,
        lat: Lat,
    ) -> None:
        self.metrics = {f: [(name_of(m), m) for m in ms] for f, ms in metrics.items()}
        self.rng = rng
        self.lat = lat
        for fleet, named in self.metrics.items():
            for name, _ in named:
                lat[(fleet, name)] = (
                    np.zeros((R, minutes)),
                    np.full((R, minutes), math.inf),
                    np.full((R, minutes), -math.inf),
                )

    def fill(
        self,
        fleet: str,
        vr: IntArray,
        vj: IntArray,
        n: IntArray,
        errors_4xx: IntArray,
        errors_5xx: IntArray,
    ) -> None:
        """The (replication ``vr``, minute ``vj``) pairs' sets of the fleet's custom metrics
        (``n``, errors: [P], their ModelLatency sets already drawn)."""
        for name, metric in self.metrics[fleet]:
            if metric.per == "minute":
                x = np.full(len(n), float(metric.constant))
                if metric.distribution is not None:
                    x = np.asarray(metric.distribution.sample(self.rng, len(n)), dtype=np.float64)
                _, total, low, high = minute_stats(x)
            else:
                latency = None
                if metric.value == "latency_ms":
                    s_, mn_, mx_ = self.lat[(fleet, "ModelLatency")]
                    latency = (s_[vr, vj], mn_[vr, vj], mx_[vr, vj])
                _, total, low, high = request_stats(metric, n, errors_4xx, errors_5xx, latency)
            s_, mn_, mx_ = self.lat[(fleet, name)]
            s_[vr, vj], mn_[vr, vj], mx_[vr, vj] = total, low, high

    def counts(self, fleet: str, metric: str, requests: IntArray) -> IntArray | None:
        """SampleCount of a custom series' minutes (None: not a custom series): the requests,
        or one sample per minute with requests."""
        if not metric.startswith(PREFIX):
            return None
        for name, m in self.metrics[fleet]:
            if name == metric and m.per == "minute":
                return (requests > 0).astype(np.int64)
        return requests
