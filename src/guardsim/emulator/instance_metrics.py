"""The emulator's instance metrics: ``/aws/sagemaker/Endpoints`` utilisation from the same load
model as the simulator (:mod:`guardsim.model.instance_metrics`).

Each request the emulator serves is counted for its fleet (endpoint, variant, endpoint config)
and minute: its ModelLatency and the fleet's active instances. Once the minute has ended, every
instance that served in it publishes one sample of each instance metric its instance type has
(the minute's request-seconds over 60 s and the instances, through the kernel), under the same
dimension sets as that fleet's invocation metrics; the samples become visible when SageMaker's
minute is published (:meth:`guardsim.emulator.metrics.MetricStore.published_at`), as the
invocation metrics do. The per-instance noise comes from the world's seed (its own stream).

The models' custom metrics (:mod:`guardsim.model.custom_metrics`) go the same way: a per-request
one gets each request's sample (:func:`request_sample`), a per-minute one a sample per minute in
which the fleet served a request, under the metric's own namespace, name and dimensions, visible
when the minute is published (as in the simulator).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from guardsim.emulator.metrics import MINUTE, MetricStore, SeriesKey, series_key
from guardsim.model.custom_metrics import request_stats
from guardsim.model.instance_metrics import busy_requests, instance_values, published, resolve
from guardsim.model.metrics import INSTANCE_NAMESPACE, INSTANCE_UNITS
from guardsim.scenarios.models import CustomMetric, InstanceMetrics

#: Tells the instance metrics' noise stream apart from the emulator's others.
INSTANCE_STREAM = 0x696E7374

Dims = tuple[tuple[str, str], ...]


@dataclass
class _Fleet:
    """One fleet's requests of one minute."""

    instance_type: str
    settings: InstanceMetrics
    latency_sum_us: float = 0.0
    instances: int = 0
    dim_sets: set[Dims] = field(default_factory=set)
    custom: tuple[CustomMetric, ...] = ()


class InstanceMetricFeed:
    """Counts requests per fleet and minute, and publishes the instance metrics of the minutes
    that have ended (see the module docstring)."""

    def __init__(self, seed: int) -> None:
        self.rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(INSTANCE_STREAM,)))
        self.minutes: dict[float, dict[tuple[str, str, str], _Fleet]] = {}

    def served(
        self,
        t: float,
        dim_sets: list[dict[str, str]],
        config_name: str,
        model_latency_us: float,
        instances: int,
        instance_type: str,
        settings: InstanceMetrics,
        custom: tuple[CustomMetric, ...] = (),
    ) -> None:
        """One request at ``t`` served by a fleet of ``instances`` (its ``dim_sets``: the
        dimensions its invocation metrics were published under)."""
        minute = math.floor(t / MINUTE) * MINUTE
        blended = dim_sets[0]
        key = (blended["EndpointName"], blended["VariantName"], config_name)
        fleets = self.minutes.setdefault(minute, {})
        fleet = fleets.get(key)
        if fleet is None:
            fleet = fleets[key] = _Fleet(instance_type, settings, custom=custom)
        fleet.latency_sum_us += model_latency_us
        fleet.instances = max(fleet.instances, instances)
        fleet.dim_sets.update(tuple(sorted(d.items())) for d in dim_sets)

    def flush(self, t: float, store: MetricStore) -> None:
        """Publish the samples of every minute that has ended by ``t`` into ``store``."""
        for minute in sorted(m for m in self.minutes if m + MINUTE <= t):
            for fleet in self.minutes.pop(minute).values():
                for custom in fleet.custom:
                    if custom.per == "minute":
                        x = custom.constant
                        if custom.distribution is not None:
                            x = float(custom.distribution.sample(self.rng, 1)[0])
                        store.add(custom_key(custom), minute, x, custom.unit)
                itype = resolve(fleet.instance_type, fleet.settings)
                if itype is None or fleet.instances == 0:
                    continue  # an instance type without vCPUs: no samples (validate says so)
                busy = busy_requests(fleet.latency_sum_us, fleet.instances)
                for metric in published(itype):
                    z = self.rng.standard_normal(fleet.instances)
                    values = instance_values(metric, fleet.settings, itype, busy, z)
                    for dims in sorted(fleet.dim_sets):
                        key = series_key(INSTANCE_NAMESPACE, metric, dict(dims))
                        for v in values:
                            store.add(key, minute, float(v), INSTANCE_UNITS[metric])


def custom_key(metric: CustomMetric) -> SeriesKey:
    """The series a custom metric is published to (its namespace, name and dimensions)."""
    return series_key(metric.namespace, metric.metric_name, metric.dimension_map())


def request_sample(metric: CustomMetric, status: int, model_ms: float) -> float:
    """One request's sample of a per-request custom metric (the kernel's statistic set of a
    single request: its Sum)."""
    latency = (model_ms * 1000.0, model_ms * 1000.0, model_ms * 1000.0)
    stats = request_stats(metric, 1, float(status == 400), float(status == 500), latency)
    return float(stats[1])
