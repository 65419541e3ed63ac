"""ModelSetupTime in the emulator (:mod:`guardsim.model.setup_time`), when the world's
``environment.model_setup_time`` is per-instance.

The instances an update's controller launches (the new fleet, each rolling batch, a rolling
rollback's old instances) publish one sample each, their provisioning time in microseconds,
taken at the instant they become ready, into the emulator's metric store under the endpoint's
``EndpointName, VariantName`` series and its config's ``EndpointConfigName`` one (as the
invocation metrics are published during an update); the store makes it visible with the
minute's publish delay and GetMetricStatistics / GetMetricData read it like any other
SageMaker metric. An instance terminated before it was ready publishes nothing.
"""

from __future__ import annotations

from guardsim.emulator.metrics import MetricStore, SeriesKey, series_key
from guardsim.model.metrics import NAMESPACE
from guardsim.model.setup_time import METRIC, sample_of
from guardsim.simulator.fleet import Instance, SetupTimes

#: ModelSetupTime's unit (https://docs.aws.amazon.com/sagemaker/latest/dg/serverless-endpoints-monitoring.html)
UNIT = "Microseconds"


class PublishedSetupTimes(SetupTimes):
    """:class:`~guardsim.simulator.fleet.SetupTimes` that writes each sample into the
    emulator's metric store as the instance launches (it is invisible until its minute is
    published)."""

    def __init__(
        self, store: MetricStore, endpoint: str, variant: str, configs: dict[str, str]
    ) -> None:
        """``configs``: the endpoint config name of each fleet (blue: old, green: new)."""
        super().__init__()
        self.store = store
        self.keys: dict[str, tuple[SeriesKey, ...]] = {
            fleet: (
                series_key(NAMESPACE, METRIC, {"EndpointName": endpoint, "VariantName": variant}),
                series_key(
                    NAMESPACE,
                    METRIC,
                    {"EndpointName": endpoint, "VariantName": variant, "EndpointConfigName": name},
                ),
            )
            for fleet, name in configs.items()
        }

    def add(self, inst: Instance, seconds: float) -> None:
        super().add(inst, seconds)
        for key in self.keys[inst.fleet]:
            self.store.add(key, inst.ready_at, float(sample_of(seconds)), UNIT)

    def remove(self, inst: Instance) -> float | None:
        value = super().remove(inst)
        if value is not None:
            for key in self.keys[inst.fleet]:
                self.store.discard(key, inst.ready_at, value)
        return value
