"""Instance metrics: CPU, memory, disk and GPU utilisation of a fleet's instances from its load.

SageMaker publishes, for real-time endpoints, utilisation metrics of the instances behind each
production variant in the ``/aws/sagemaker/Endpoints`` namespace, under ``EndpointName,
VariantName`` (https://docs.aws.amazon.com/sagemaker/latest/dg/monitoring-cloudwatch.html), in
percent:

* ``CPUUtilization``: the sum of each vCPU's utilisation, each 0 to 100, so 0 to 400 on four
  vCPUs; ``MemoryUtilization`` and ``DiskUtilization``: 0 to 100;
* ``GPUUtilization`` and ``GPUMemoryUtilization``: 0 to 100 multiplied by the number of GPUs,
  published only on GPU instance types.

They are published every ``MetricsConfig.MetricPublishFrequencyInSeconds`` (default 60 s,
https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_MetricsConfig.html); guardsim
publishes them every minute, one sample per instance (so a variant's Average is the mean over
its instances, Maximum the busiest instance and SampleCount the number of instances; an
``InstanceId`` dimension exists only with enhanced metrics,
https://docs.aws.amazon.com/sagemaker/latest/dg/monitoring-cloudwatch-enhanced-metrics.html,
which guardsim does not simulate).

AWS does not say how a model loads an instance; guardsim's model (every knob a field of
``models.<fleet>.instance_metrics``, :class:`guardsim.scenarios.models.InstanceMetrics`):

* the **busy requests** per instance in a minute is the fleet's request-seconds over the minute
  and its instances (Little's law: arrival rate x time in service), i.e. the minute's Sum of
  ModelLatency / (60 s x instances);
* each metric of instance ``i`` is ``idle + per_busy_request x busy + noise_sd x Z_i`` with
  ``Z_i`` standard normal, clipped to the metric's documented range. Disk does not follow load.

So whatever raises latency (a latency fault, load near ``capacity_rps_per_instance``) raises
CPU through the model: written once, scalar or array alike, for every engine.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import NamedTuple

import numpy as np
import numpy.typing as npt

from guardsim.model.metrics import CPU_INSTANCE_METRICS, GPU_INSTANCE_METRICS
from guardsim.scenarios.models import InstanceMetrics

FloatArray = npt.NDArray[np.float64]

#: Seconds per published sample (the default MetricPublishFrequencyInSeconds, see above).
PUBLISH_SECONDS = 60.0


class InstanceType(NamedTuple):
    """What the instance metrics' ranges depend on."""

    vcpus: int
    memory_gib: float
    gpus: int


#: vCPUs, memory and GPUs of the instance types guardsim knows (the instance types of its
#: price table), from https://aws.amazon.com/sagemaker/pricing/ (instance details) and
#: https://aws.amazon.com/ec2/instance-types/. Other types: set
#: ``models.<fleet>.instance_metrics.vcpus`` (and ``gpus``).
INSTANCE_TYPES: Mapping[str, InstanceType] = MappingProxyType(
    {
        "ml.t2.medium": InstanceType(2, 4.0, 0),
        "ml.t2.large": InstanceType(2, 8.0, 0),
        "ml.m5.large": InstanceType(2, 8.0, 0),
        "ml.m5.xlarge": InstanceType(4, 16.0, 0),
        "ml.m5.2xlarge": InstanceType(8, 32.0, 0),
        "ml.m5.4xlarge": InstanceType(16, 64.0, 0),
        "ml.m5.12xlarge": InstanceType(48, 192.0, 0),
        "ml.c5.large": InstanceType(2, 4.0, 0),
        "ml.c5.xlarge": InstanceType(4, 8.0, 0),
        "ml.c5.2xlarge": InstanceType(8, 16.0, 0),
        "ml.c5.4xlarge": InstanceType(16, 32.0, 0),
        "ml.r5.large": InstanceType(2, 16.0, 0),
        "ml.r5.xlarge": InstanceType(4, 32.0, 0),
        "ml.g4dn.xlarge": InstanceType(4, 16.0, 1),
        "ml.g4dn.2xlarge": InstanceType(8, 32.0, 1),
        "ml.g5.xlarge": InstanceType(4, 16.0, 1),
        "ml.g5.2xlarge": InstanceType(8, 32.0, 1),
        "ml.p3.2xlarge": InstanceType(8, 61.0, 1),
    }
)


def resolve(instance_type: str, settings: InstanceMetrics) -> InstanceType | None:
    """The instance type's counts, with the scenario's overrides; None if unknown."""
    known = INSTANCE_TYPES.get(instance_type)
    if known is None and settings.vcpus is None:
        return None
    base = known or InstanceType(1, 0.0, 0)
    return InstanceType(
        settings.vcpus if settings.vcpus is not None else base.vcpus,
        base.memory_gib,
        settings.gpus if settings.gpus is not None else base.gpus,
    )


def published(itype: InstanceType) -> tuple[str, ...]:
    """The instance metrics SageMaker publishes for instances of ``itype``."""
    return CPU_INSTANCE_METRICS + (GPU_INSTANCE_METRICS if itype.gpus > 0 else ())


def busy_requests(
    latency_sum_us: float | FloatArray, instances: float | FloatArray
) -> float | FloatArray:
    """Requests in service per instance, on average over a minute: request-seconds (the
    minute's Sum of ModelLatency, in microseconds) / (60 s x instances); 0 without instances."""
    with np.errstate(invalid="ignore", divide="ignore"):
        busy = np.where(
            np.asarray(instances) > 0,
            np.asarray(latency_sum_us) / 1e6 / (PUBLISH_SECONDS * np.asarray(instances)),
            0.0,
        )
    return float(busy) if busy.ndim == 0 else busy


def level(
    metric: str, settings: InstanceMetrics, itype: InstanceType, busy: float | FloatArray
) -> tuple[float | FloatArray, float]:
    """(expected value before noise and clipping, the metric's upper bound) at ``busy``."""
    s = settings
    if metric == "CPUUtilization":
        return s.cpu_idle_percent + s.cpu_percent_per_busy_request * busy, 100.0 * itype.vcpus
    if metric == "MemoryUtilization":
        return s.memory_idle_percent + s.memory_percent_per_busy_request * busy, 100.0
    if metric == "DiskUtilization":
        return s.disk_percent + 0.0 * busy, 100.0
    if metric == "GPUUtilization":
        return s.gpu_idle_percent + s.gpu_percent_per_busy_request * busy, 100.0 * itype.gpus
    if metric == "GPUMemoryUtilization":
        return (
            s.gpu_memory_idle_percent + s.gpu_memory_percent_per_busy_request * busy,
            100.0 * itype.gpus,
        )
    raise KeyError(f"{metric!r} is not an instance metric")


def instance_values(
    metric: str,
    settings: InstanceMetrics,
    itype: InstanceType,
    busy: float | FloatArray,
    z: FloatArray,
) -> FloatArray:
    """Each instance's sample: ``busy`` of shape S (or a float), ``z`` standard normals of
    shape S + (instances,); returns that shape, clipped to [0, the metric's bound]."""
    mean, cap = level(metric, settings, itype, busy)
    centre = np.asarray(mean, dtype=np.float64)[..., None]
    return np.clip(centre + settings.noise_sd_percent * z, 0.0, cap)


def sample_stats(
    values: FloatArray, present: npt.NDArray[np.bool_] | None = None
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
    """(SampleCount, Sum, Minimum, Maximum) over the last axis (the instances), counting only
    ``present`` entries (None: all); count 0 gives Sum 0, Minimum inf and Maximum -inf."""
    if present is None:
        present = np.ones(values.shape, dtype=bool)
    count = present.sum(axis=-1).astype(np.float64)
    total = np.where(present, values, 0.0).sum(axis=-1)
    low = np.where(present, values, np.inf).min(axis=-1, initial=np.inf)
    high = np.where(present, values, -np.inf).max(axis=-1, initial=-np.inf)
    return count, total, low, high


def steady_value(
    metric: str,
    settings: InstanceMetrics,
    itype: InstanceType,
    rate_per_instance: float,
    mean_latency_ms: float,
) -> float:
    """The expected sample, before noise, of an instance serving ``rate_per_instance``
    requests/s that take ``mean_latency_ms`` on average (busy = rate x latency), clipped to the
    metric's range: what lint compares with a threshold."""
    mean, cap = level(metric, settings, itype, rate_per_instance * mean_latency_ms / 1000.0)
    return float(np.clip(mean, 0.0, cap))
