"""Dimension binding: which of the endpoint's fleets a CloudWatch metric query reads.

SageMaker publishes its invocation metrics under ``EndpointName, VariantName`` (both fleets'
requests, blended; each production variant its own series) and, during an update, also with
``EndpointConfigName`` of the old or of the new endpoint configuration (that fleet alone)
(https://docs.aws.amazon.com/sagemaker/latest/dg/monitoring-cloudwatch.html,
https://docs.aws.amazon.com/sagemaker/latest/dg/deployment-guardrails-configuration.html).
A CloudWatch query matches a metric only if its dimensions are exactly one of those sets
(https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/cloudwatch_concepts.html#Dimension):
any other namespace, metric, endpoint, variant, config or extra dimension reads no data at all.

The instance metrics (``CPUUtilization``, ``MemoryUtilization``, ``DiskUtilization``, and on GPU
instance types ``GPUUtilization``, ``GPUMemoryUtilization``) are in ``/aws/sagemaker/Endpoints``
under the same dimension sets (same page); a GPU metric reads only the fleets whose instance
type has GPUs (:mod:`guardsim.model.instance_metrics`). A custom metric (the models'
``custom_metrics``, published with PutMetricData) is read by a query of exactly its namespace,
name and dimensions (:mod:`guardsim.model.custom_metrics`).

Pure: the simulator's alarm monitor, the batch engine and lint all bind through
:func:`bind_source`.
"""

from __future__ import annotations

from dataclasses import dataclass

from guardsim.cloudwatch.statistics import StatisticSpec, parse_statistic
from guardsim.model.custom_metrics import matching, series_name
from guardsim.model.instance_metrics import published, resolve
from guardsim.model.metrics import (
    CONFIG_DIMENSION,
    DIMENSION_NAMES,
    INSTANCE_METRICS,
    INSTANCE_NAMESPACE,
    METRICS,
    NAMESPACE,
)
from guardsim.model.setup_time import METRIC, is_setup_time
from guardsim.scenarios.components import COMPONENT_DIMENSION, neighbour_fleet
from guardsim.scenarios.models import Models
from guardsim.scenarios.scenario import Endpoint


@dataclass(frozen=True)
class Source:
    """One metric an alarm reads: which metric, which fleets, which statistic."""

    metric: str
    fleets: tuple[str, ...]
    spec: StatisticSpec
    blue_from: float | None = None  # blue's per-config series starts here (None: always)


def bind_source(
    namespace: str | None,
    metric: str | None,
    dims: dict[str, str],
    stat: str,
    endpoint: Endpoint,
    blue_per_config_from: float | None,
    models: Models | None = None,
    setup_time: bool = False,
) -> Source:
    """The fleets ``namespace``/``metric`` with dimensions ``dims`` reads on ``endpoint``
    (none if it matches no published series); ``blue_per_config_from`` is when the old
    config's own series starts (None: it always exists). ``models`` (None: the defaults)
    gives each fleet's instance-type overrides, for which fleets publish GPU metrics.
    ``setup_time``: whether launched instances publish ModelSetupTime
    (``environment.model_setup_time``, :mod:`guardsim.model.setup_time`): then it binds by its
    dimensions as an invocation metric does; else it reads no data."""
    spec = parse_statistic(stat)
    if setup_time and is_setup_time(namespace, metric) and endpoint.component is None:
        return bind_dimensions(METRIC, dims, spec, endpoint, blue_per_config_from)
    instance = namespace == INSTANCE_NAMESPACE and metric in INSTANCE_METRICS
    if not instance and (namespace != NAMESPACE or metric not in METRICS):
        return _bind_custom(namespace, metric, dims, spec, models)
    assert metric is not None
    source = bind_dimensions(metric, dims, spec, endpoint, blue_per_config_from)
    if instance:  # only the fleets whose instance type publishes the metric (GPU types)
        models = models or Models()
        gpu = tuple(f for f in source.fleets if _publishes(endpoint, models, f, metric))
        return Source(metric, gpu, spec, source.blue_from)
    return source


def _bind_custom(
    namespace: str | None,
    metric: str | None,
    dims: dict[str, str],
    spec: StatisticSpec,
    models: Models | None,
) -> Source:
    """A custom metric's series: the fleets whose model publishes exactly it (none: no data).
    Its Source names the series (:func:`guardsim.model.custom_metrics.series_name`)."""
    if models is None or namespace is None or metric is None:
        return Source(metric or "", (), spec)
    fleets = tuple(
        f
        for f in ("blue", "green")
        if matching(getattr(models, f).custom_metrics, namespace, metric, dims) is not None
    )
    if not fleets:
        return Source(metric, (), spec)
    return Source(series_name(namespace, metric, dims), fleets, spec)


def _publishes(endpoint: Endpoint, models: Models, fleet: str, metric: str) -> bool:
    """Whether ``fleet``'s instances publish instance metric ``metric`` (GPU metrics: GPU
    types only; an instance type guardsim does not know, without ``vcpus``, publishes none:
    validation refuses an alarm on it)."""
    config = getattr(endpoint, fleet)
    itype = resolve(config.instance_type, getattr(models, fleet).instance_metrics)
    return itype is not None and metric in published(itype)


def bind_dimensions(
    metric: str,
    dims: dict[str, str],
    spec: StatisticSpec,
    endpoint: Endpoint,
    blue_per_config_from: float | None,
) -> Source:
    """The fleets a SageMaker metric with dimensions ``dims`` reads on ``endpoint``, by its
    dimensions alone (whatever fleet publishes it)."""
    if endpoint.component is not None:
        return _bind_component(metric, dims, spec, endpoint)
    # each variant publishes its own series (a multi-variant endpoint's engines bind an alarm
    # in the lane of the variant it names, guardsim.scenarios.variants; elsewhere, a series of
    # any of the endpoint's variants matches)
    variants = [v.variant_name for v in endpoint.blue.variants] or [endpoint.variant_name]
    if dims.get("EndpointName") != endpoint.name or dims.get("VariantName") not in variants:
        return Source(metric, (), spec)
    extra = set(dims) - set(DIMENSION_NAMES)
    if extra:
        return Source(metric, (), spec)
    config = dims.get(CONFIG_DIMENSION)
    if config is None:
        return Source(metric, ("blue", "green"), spec)
    if config == endpoint.blue.name:
        return Source(metric, ("blue",), spec, blue_from=blue_per_config_from)
    if config == endpoint.green.name:
        return Source(metric, ("green",), spec)
    return Source(metric, (), spec)


def _bind_component(
    metric: str, dims: dict[str, str], spec: StatisticSpec, endpoint: Endpoint
) -> Source:
    """An inference component's update (inference components: see aws-model.md#inference-
    components): its invocation metrics are published under ``InferenceComponentName``
    (https://docs.aws.amazon.com/sagemaker/latest/dg/monitoring-cloudwatch.html), old and new
    copies alike (one component, one series), and each neighbour's with traffic under its own
    name; the endpoint-wide ``EndpointName, VariantName`` series counts every component's
    requests: the updated one's and the simulated neighbours' (validation refuses it while a
    neighbour's requests are not simulated). The endpoint config does not change, so no
    per-config series tells the copies apart: one reads no data here. Invocation metrics only:
    an instance metric reads the updated component's fleets (the neighbours publish none)."""
    neighbours = tuple(neighbour_fleet(n) for n in endpoint.neighbours)
    if dims == {COMPONENT_DIMENSION: endpoint.component}:
        return Source(metric, ("blue", "green"), spec)
    name = dims.get(COMPONENT_DIMENSION)
    if len(dims) == 1 and name in endpoint.neighbours and metric in METRICS:
        return Source(metric, (neighbour_fleet(name),), spec)
    if dims == {"EndpointName": endpoint.name, "VariantName": endpoint.variant_name}:
        extra = neighbours if metric in METRICS else ()
        return Source(metric, ("blue", "green", *extra), spec)
    return Source(metric, (), spec)
