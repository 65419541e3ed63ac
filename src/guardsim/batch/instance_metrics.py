"""The batch engine's instance metrics: the load model of :mod:`guardsim.model.instance_metrics`
on arrays, one row per replication.

Per fleet and minute, the engine keeps the most instances that served a request in the minute
(as the SimPy data planes count them) and the minute's ModelLatency Sum; from those this module
fills, for every instance metric an alarm reads, the minute's statistic set (SampleCount = the
instances, Sum, Minimum, Maximum of one sample per instance) with the same kernel the exact and
fast engines call. The per-instance noise is drawn from the block's own stream (so, as for
every other quantity, the batch engine agrees with the others in distribution, not draw by
draw). The engine calls :meth:`InstanceMetricArrays.seen`, :meth:`~InstanceMetricArrays.fill`
and :meth:`~InstanceMetricArrays.counts` for the (replication, minute) pairs it samples.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

from guardsim.model.instance_metrics import (
    InstanceType,
    busy_requests,
    instance_values,
    published,
    resolve,
    sample_stats,
)
from guardsim.model.metrics import INSTANCE_METRICS
from guardsim.scenarios.scenario import Scenario

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

FLEETS = ("blue", "green")


def read_instance_metrics(scenario: Scenario, read: set[str]) -> dict[str, tuple[str, ...]]:
    """Per fleet, the instance metrics in ``read`` its instance type publishes."""
    out: dict[str, tuple[str, ...]] = {}
    for fleet in FLEETS:
        itype = _type(scenario, fleet)
        out[fleet] = tuple(m for m in published(itype) if m in read) if itype else ()
    return out


def _type(scenario: Scenario, fleet: str) -> InstanceType | None:
    return resolve(
        getattr(scenario.endpoint, fleet).instance_type,
        getattr(scenario.models, fleet).instance_metrics,
    )


class InstanceMetricArrays:
    """Instance counts and instance-metric statistic sets of one block, [R, minutes]."""

    def __init__(
        self,
        scenario: Scenario,
        metrics: dict[str, tuple[str, ...]],
        rng: np.random.Generator,
        R: int,
        minutes: int,
        lat: dict[tuple[str, str], tuple[FloatArray, FloatArray, FloatArray]],
    ) -> None:
        self.scenario = scenario
        self.metrics = metrics
        self.rng = rng
        self.types = {f: _type(scenario, f) for f in FLEETS}
        self.instances = {f: np.zeros((R, minutes), dtype=np.int64) for f in FLEETS}
        self.lat = lat
        # the statistic sets live beside the latency metrics' (Sum, Minimum, Maximum): the
        # engine's basic statistics read them the same way
        for fleet, names in metrics.items():
            for metric in names:
                lat[(fleet, metric)] = (
                    np.zeros((R, minutes)),
                    np.full((R, minutes), math.inf),
                    np.full((R, minutes), -math.inf),
                )

    def seen(self, fleet: str, vr: IntArray, vj: IntArray, n: IntArray, active: IntArray) -> None:
        """The (replication ``vr``, minute ``vj``) pairs' segments: ``n`` requests [P, W]
        served by ``active`` instances."""
        if self.metrics[fleet]:
            self.instances[fleet][vr, vj] = np.where(n > 0, active, 0).max(axis=1)

    def fill(self, fleet: str, vr: IntArray, vj: IntArray) -> None:
        """The pairs' statistic sets of the fleet's instance metrics (their ModelLatency sets
        already drawn)."""
        names = self.metrics[fleet]
        itype = self.types[fleet]
        if not names or itype is None or not len(vr):
            return
        k = self.instances[fleet][vr, vj]
        width = int(k.max(initial=0))
        if width == 0:
            return
        latency = self.lat[(fleet, "ModelLatency")][0][vr, vj]
        busy = busy_requests(latency, k.astype(np.float64))
        present = np.arange(width)[None, :] < k[:, None]
        settings = getattr(self.scenario.models, fleet).instance_metrics
        for metric in names:
            z = self.rng.standard_normal((len(k), width))
            values = instance_values(metric, settings, itype, busy, z)
            _, total, low, high = sample_stats(values, present)
            s_, mn_, mx_ = self.lat[(fleet, metric)]
            s_[vr, vj], mn_[vr, vj], mx_[vr, vj] = total, low, high

    def counts(self, fleet: str, metric: str) -> IntArray | None:
        """The SampleCount [R, minutes] of an instance metric (None: not one)."""
        if metric not in INSTANCE_METRICS:
            return None
        return self.instances[fleet]
