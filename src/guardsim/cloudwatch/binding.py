"""Dimension binding: which of the endpoint's fleets a CloudWatch metric query reads.

SageMaker publishes its invocation metrics under ``EndpointName, VariantName`` (both fleets'
requests, blended) and, during an update, also with ``EndpointConfigName`` of the old or of the
new endpoint configuration (that fleet alone)
(https://docs.aws.amazon.com/sagemaker/latest/dg/monitoring-cloudwatch.html,
https://docs.aws.amazon.com/sagemaker/latest/dg/deployment-guardrails-configuration.html).
A CloudWatch query matches a metric only if its dimensions are exactly one of those sets
(https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/cloudwatch_concepts.html#Dimension):
any other namespace, metric, endpoint, variant, config or extra dimension reads no data at all.

Pure: the simulator's alarm monitor, the batch engine and lint all bind through
:func:`bind_source`.
"""

from __future__ import annotations

from dataclasses import dataclass

from guardsim.cloudwatch.statistics import StatisticSpec, parse_statistic
from guardsim.model.metrics import CONFIG_DIMENSION, DIMENSION_NAMES, METRICS, NAMESPACE
from guardsim.scenarios.components import COMPONENT_DIMENSION
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
) -> Source:
    """The fleets ``namespace``/``metric`` with dimensions ``dims`` reads on ``endpoint``
    (none if it matches no published series); ``blue_per_config_from`` is when the old
    config's own series starts (None: it always exists)."""
    spec = parse_statistic(stat)
    if namespace != NAMESPACE or metric not in METRICS:
        return Source(metric or "", (), spec)
    if endpoint.component is not None:
        return _bind_component(metric, dims, spec, endpoint)
    if (
        dims.get("EndpointName") != endpoint.name
        or dims.get("VariantName") != endpoint.variant_name
    ):
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
    copies alike (one component, one series); the endpoint-wide ``EndpointName, VariantName``
    series counts the same requests when the component has no neighbours (validation refuses it
    when it has). The endpoint config does not change, so no per-config series tells the copies
    apart: one reads no data here."""
    if dims == {COMPONENT_DIMENSION: endpoint.component}:
        return Source(metric, ("blue", "green"), spec)
    if dims == {"EndpointName": endpoint.name, "VariantName": endpoint.variant_name}:
        return Source(metric, ("blue", "green"), spec)
    return Source(metric, (), spec)
