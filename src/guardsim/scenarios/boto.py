"""Typed, frozen mirrors of the boto3 shapes a user pastes into a scenario.

* :class:`DeploymentConfig` — the ``DeploymentConfig`` argument of SageMaker ``UpdateEndpoint``
  (see aws-model.md#deployment-config).
* :class:`MetricAlarm` — the keyword arguments of CloudWatch ``put_metric_alarm`` (see
  aws-model.md#put-metric-alarm).
* :class:`EndpointConfig` — the arguments of SageMaker ``create_endpoint_config`` (the blue and
  the green config of the update).

Each is built with ``from_boto`` from data whose shape has already been checked against
botocore's service model (:mod:`guardsim.scenarios.boto_shapes`), and ``to_boto`` gives back
exactly what was given: optional members the user left out stay out (``None`` here means "not
given"; the ``effective_*`` properties apply AWS's documented defaults).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Literal

from guardsim.errors import Problem

PolicyKind = Literal["ALL_AT_ONCE", "CANARY", "LINEAR", "ROLLING"]
Rounding = Literal["ceil", "round_half_up", "floor"]


def freeze(value: Any) -> Any:
    """Deep-freeze parsed JSON: mappings become read-only, lists become tuples."""
    if isinstance(value, Mapping):
        return MappingProxyType({k: freeze(v) for k, v in value.items()})
    if isinstance(value, list | tuple):
        return tuple(freeze(v) for v in value)
    return value


def thaw(value: Any) -> Any:
    """The inverse of :func:`freeze`: plain dicts and lists, as boto3 takes them."""
    if isinstance(value, Mapping):
        return {k: thaw(v) for k, v in value.items()}
    if isinstance(value, tuple | list):
        return [thaw(v) for v in value]
    return value


def _put(out: dict[str, Any], key: str, value: Any) -> None:
    if value is not None:
        out[key] = value


# --------------------------------------------------------------------------- DeploymentConfig


@dataclass(frozen=True)
class CapacitySize:
    """``CapacitySize``: a number of instances or a percentage of the variant's instances
    (``COPY_COUNT``: an ``InferenceComponentCapacitySize`` of copies, see
    :mod:`guardsim.scenarios.components`, which gives the rolling path INSTANCE_COUNT units)."""

    type: Literal["INSTANCE_COUNT", "CAPACITY_PERCENT", "COPY_COUNT"]
    value: int

    @classmethod
    def from_boto(cls, raw: Mapping[str, Any]) -> CapacitySize:
        return cls(type=raw["Type"], value=int(raw["Value"]))

    def to_boto(self) -> dict[str, Any]:
        return {"Type": self.type, "Value": self.value}

    def fraction_of(self, total: int) -> float:
        """This size as a fraction of ``total`` instances (before any rounding)."""
        if self.type == "CAPACITY_PERCENT":
            return self.value / 100.0
        return self.value / total

    def instances(self, total: int, rounding: Rounding = "ceil") -> int:
        """The instance count this size means for a variant of ``total`` instances.

        ``INSTANCE_COUNT`` is taken as is. How AWS turns ``CAPACITY_PERCENT`` into instances is
        undocumented (see aws-model.md#percent-rounding); the example notebooks say "33% of 3 = 1
        instance", so it is ceil or round, not floor. ``rounding`` is the scenario's
        ``environment.percent_rounding`` setting. The result is clamped to [1, total].
        """
        if self.type == "INSTANCE_COUNT":
            count = self.value
        else:
            exact = self.value * total / 100.0
            if rounding == "ceil":
                count = math.ceil(round(exact, 9))
            elif rounding == "floor":
                count = math.floor(round(exact, 9))
            else:
                count = math.floor(exact + 0.5)
        return max(1, min(total, count))

    def describe(self) -> str:
        return f"{self.value}%" if self.type == "CAPACITY_PERCENT" else f"{self.value} instance(s)"


@dataclass(frozen=True)
class TrafficRoutingConfig:
    """``TrafficRoutingConfig`` (see aws-model.md#deployment-config)."""

    type: Literal["ALL_AT_ONCE", "CANARY", "LINEAR"]
    wait_interval_seconds: int
    canary_size: CapacitySize | None = None
    linear_step_size: CapacitySize | None = None

    @classmethod
    def from_boto(cls, raw: Mapping[str, Any]) -> TrafficRoutingConfig:
        canary = raw.get("CanarySize")
        linear = raw.get("LinearStepSize")
        return cls(
            type=raw["Type"],
            wait_interval_seconds=int(raw["WaitIntervalInSeconds"]),
            canary_size=CapacitySize.from_boto(canary) if canary is not None else None,
            linear_step_size=CapacitySize.from_boto(linear) if linear is not None else None,
        )

    def to_boto(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "Type": self.type,
            "WaitIntervalInSeconds": self.wait_interval_seconds,
        }
        if self.canary_size is not None:
            out["CanarySize"] = self.canary_size.to_boto()
        if self.linear_step_size is not None:
            out["LinearStepSize"] = self.linear_step_size.to_boto()
        return out


@dataclass(frozen=True)
class BlueGreenUpdatePolicy:
    """``BlueGreenUpdatePolicy`` (see aws-model.md#deployment-config). ``None`` members were not
    given."""

    traffic_routing: TrafficRoutingConfig
    termination_wait_seconds: int | None = None
    maximum_execution_timeout_seconds: int | None = None

    @classmethod
    def from_boto(cls, raw: Mapping[str, Any]) -> BlueGreenUpdatePolicy:
        return cls(
            traffic_routing=TrafficRoutingConfig.from_boto(raw["TrafficRoutingConfiguration"]),
            termination_wait_seconds=raw.get("TerminationWaitInSeconds"),
            maximum_execution_timeout_seconds=raw.get("MaximumExecutionTimeoutInSeconds"),
        )

    def to_boto(self) -> dict[str, Any]:
        out: dict[str, Any] = {"TrafficRoutingConfiguration": self.traffic_routing.to_boto()}
        _put(out, "TerminationWaitInSeconds", self.termination_wait_seconds)
        _put(out, "MaximumExecutionTimeoutInSeconds", self.maximum_execution_timeout_seconds)
        return out

    @property
    def effective_termination_wait_seconds(self) -> int:
        """``TerminationWaitInSeconds`` defaults to 0 (see aws-model.md#deployment-config)."""
        return self.termination_wait_seconds or 0


@dataclass(frozen=True)
class RollingUpdatePolicy:
    """``RollingUpdatePolicy`` (see aws-model.md#rolling)."""

    maximum_batch_size: CapacitySize
    wait_interval_seconds: int
    maximum_execution_timeout_seconds: int | None = None
    rollback_maximum_batch_size: CapacitySize | None = None

    @classmethod
    def from_boto(cls, raw: Mapping[str, Any]) -> RollingUpdatePolicy:
        rb = raw.get("RollbackMaximumBatchSize")
        return cls(
            maximum_batch_size=CapacitySize.from_boto(raw["MaximumBatchSize"]),
            wait_interval_seconds=int(raw["WaitIntervalInSeconds"]),
            maximum_execution_timeout_seconds=raw.get("MaximumExecutionTimeoutInSeconds"),
            rollback_maximum_batch_size=CapacitySize.from_boto(rb) if rb is not None else None,
        )

    def to_boto(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "MaximumBatchSize": self.maximum_batch_size.to_boto(),
            "WaitIntervalInSeconds": self.wait_interval_seconds,
        }
        _put(out, "MaximumExecutionTimeoutInSeconds", self.maximum_execution_timeout_seconds)
        if self.rollback_maximum_batch_size is not None:
            out["RollbackMaximumBatchSize"] = self.rollback_maximum_batch_size.to_boto()
        return out


@dataclass(frozen=True)
class AutoRollbackConfig:
    """``AutoRollbackConfig`` (see aws-model.md#deployment-config): the names of the alarms
    SageMaker watches."""

    alarms: tuple[str, ...] | None = None

    @classmethod
    def from_boto(cls, raw: Mapping[str, Any]) -> AutoRollbackConfig:
        alarms = raw.get("Alarms")
        return cls(tuple(a["AlarmName"] for a in alarms) if alarms is not None else None)

    def to_boto(self) -> dict[str, Any]:
        if self.alarms is None:
            return {}
        return {"Alarms": [{"AlarmName": name} for name in self.alarms]}

    @staticmethod
    def unnamed_alarms(deployment_config: object, path: str) -> list[Problem]:
        """``AlarmName`` is optional in the service model, but a rollback alarm without one
        names nothing: one problem per such entry of ``AutoRollbackConfiguration.Alarms`` (of
        an endpoint's or an inference component's deployment config, at ``path``)."""
        arc = (
            deployment_config.get("AutoRollbackConfiguration")
            if isinstance(deployment_config, Mapping)
            else None
        )
        alarms = arc.get("Alarms") if isinstance(arc, Mapping) else None
        return [
            Problem(
                f"{path}.AutoRollbackConfiguration.Alarms[{i}].AlarmName",
                "required field is missing",
            )
            for i, item in enumerate(alarms if isinstance(alarms, list) else ())
            if isinstance(item, Mapping) and "AlarmName" not in item
        ]


@dataclass(frozen=True)
class DeploymentConfig:
    """The ``DeploymentConfig`` of ``UpdateEndpoint``.

    With no update policy SageMaker does a blue/green ALL_AT_ONCE update (see
    aws-model.md#deployment-config); see
    :attr:`policy_kind`.
    """

    blue_green: BlueGreenUpdatePolicy | None = None
    rolling: RollingUpdatePolicy | None = None
    auto_rollback: AutoRollbackConfig | None = None

    @classmethod
    def from_boto(cls, raw: Mapping[str, Any]) -> DeploymentConfig:
        bg = raw.get("BlueGreenUpdatePolicy")
        rolling = raw.get("RollingUpdatePolicy")
        arc = raw.get("AutoRollbackConfiguration")
        return cls(
            blue_green=BlueGreenUpdatePolicy.from_boto(bg) if bg is not None else None,
            rolling=RollingUpdatePolicy.from_boto(rolling) if rolling is not None else None,
            auto_rollback=AutoRollbackConfig.from_boto(arc) if arc is not None else None,
        )

    def to_boto(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if self.blue_green is not None:
            out["BlueGreenUpdatePolicy"] = self.blue_green.to_boto()
        if self.rolling is not None:
            out["RollingUpdatePolicy"] = self.rolling.to_boto()
        if self.auto_rollback is not None:
            out["AutoRollbackConfiguration"] = self.auto_rollback.to_boto()
        return out

    @property
    def policy_kind(self) -> PolicyKind:
        """ALL_AT_ONCE, CANARY, LINEAR or ROLLING; no policy means blue/green ALL_AT_ONCE."""
        if self.rolling is not None:
            return "ROLLING"
        if self.blue_green is not None:
            return self.blue_green.traffic_routing.type
        return "ALL_AT_ONCE"

    @property
    def rollback_alarm_names(self) -> tuple[str, ...]:
        """The alarms named in AutoRollbackConfiguration (empty: auto-rollback does nothing)."""
        if self.auto_rollback is None or self.auto_rollback.alarms is None:
            return ()
        return self.auto_rollback.alarms

    @property
    def wait_interval_seconds(self) -> int:
        """The bake between traffic steps (or per rolling batch); 0 with no policy."""
        if self.rolling is not None:
            return self.rolling.wait_interval_seconds
        if self.blue_green is not None:
            return self.blue_green.traffic_routing.wait_interval_seconds
        return 0

    @property
    def termination_wait_seconds(self) -> int:
        """The final bake of a blue/green update (``TerminationWaitInSeconds``, default 0)."""
        if self.blue_green is not None:
            return self.blue_green.effective_termination_wait_seconds
        return 0

    @property
    def maximum_execution_timeout_seconds(self) -> int | None:
        if self.rolling is not None:
            return self.rolling.maximum_execution_timeout_seconds
        if self.blue_green is not None:
            return self.blue_green.maximum_execution_timeout_seconds
        return None


# --------------------------------------------------------------------------- PutMetricAlarm


@dataclass(frozen=True)
class Dimension:
    name: str
    value: str


#: PutMetricAlarm members guardsim keeps but that do not change what the alarm evaluates.
PASSTHROUGH_ALARM_KEYS = (
    "AlarmDescription",
    "ActionsEnabled",
    "OKActions",
    "AlarmActions",
    "InsufficientDataActions",
    "Unit",
    "Tags",
)


#: PutMetricAlarm members guardsim reads.
EVALUATED_ALARM_KEYS = (
    "AlarmName",
    "EvaluationPeriods",
    "ComparisonOperator",
    "Threshold",
    "Namespace",
    "MetricName",
    "Dimensions",
    "Statistic",
    "ExtendedStatistic",
    "Period",
    "DatapointsToAlarm",
    "TreatMissingData",
    "EvaluateLowSampleCountPercentile",
    "Metrics",
    "ThresholdMetricId",
)


@dataclass(frozen=True)
class MetricAlarm:
    """The keyword arguments of CloudWatch ``put_metric_alarm`` for one alarm (see
    aws-model.md#put-metric-alarm).

    Either a single metric (``namespace``, ``metric_name``, ``dimensions``, ``statistic`` or
    ``extended_statistic``, ``period``) or metric math (``metrics``: the MetricDataQuery list,
    kept as given). ``extra`` holds the members that do not affect evaluation (description,
    actions, unit, tags), so :meth:`to_boto` gives back exactly what was given.
    """

    name: str
    evaluation_periods: int
    comparison_operator: str
    threshold: float | None = None
    namespace: str | None = None
    metric_name: str | None = None
    dimensions: tuple[Dimension, ...] | None = None
    statistic: str | None = None
    extended_statistic: str | None = None
    period: int | None = None
    datapoints_to_alarm: int | None = None
    treat_missing_data: str | None = None
    evaluate_low_sample_count_percentile: str | None = None
    metrics: tuple[Mapping[str, Any], ...] | None = None
    #: an anomaly-detection alarm's ``ThresholdMetricId`` (the band expression's Id)
    threshold_metric_id: str | None = None
    extra: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))

    @classmethod
    def from_boto(cls, raw: Mapping[str, Any]) -> MetricAlarm:
        dims = raw.get("Dimensions")
        threshold = raw.get("Threshold")
        return cls(
            name=raw["AlarmName"],
            evaluation_periods=raw["EvaluationPeriods"],
            comparison_operator=raw["ComparisonOperator"],
            threshold=float(threshold) if threshold is not None else None,
            namespace=raw.get("Namespace"),
            metric_name=raw.get("MetricName"),
            dimensions=(
                tuple(Dimension(d["Name"], d["Value"]) for d in dims) if dims is not None else None
            ),
            statistic=raw.get("Statistic"),
            extended_statistic=raw.get("ExtendedStatistic"),
            period=raw.get("Period"),
            datapoints_to_alarm=raw.get("DatapointsToAlarm"),
            treat_missing_data=raw.get("TreatMissingData"),
            evaluate_low_sample_count_percentile=raw.get("EvaluateLowSampleCountPercentile"),
            metrics=freeze(raw["Metrics"]) if raw.get("Metrics") is not None else None,
            threshold_metric_id=raw.get("ThresholdMetricId"),
            extra=MappingProxyType({k: freeze(raw[k]) for k in PASSTHROUGH_ALARM_KEYS if k in raw}),
        )

    def to_boto(self) -> dict[str, Any]:
        """The ``put_metric_alarm`` keyword arguments, exactly as given."""
        out: dict[str, Any] = {"AlarmName": self.name}
        for key in (
            "AlarmDescription",
            "ActionsEnabled",
            "OKActions",
            "AlarmActions",
            "InsufficientDataActions",
        ):
            if key in self.extra:
                out[key] = thaw(self.extra[key])
        _put(out, "MetricName", self.metric_name)
        _put(out, "Namespace", self.namespace)
        _put(out, "Statistic", self.statistic)
        _put(out, "ExtendedStatistic", self.extended_statistic)
        if self.dimensions is not None:
            out["Dimensions"] = [{"Name": d.name, "Value": d.value} for d in self.dimensions]
        _put(out, "Period", self.period)
        if "Unit" in self.extra:
            out["Unit"] = self.extra["Unit"]
        out["EvaluationPeriods"] = self.evaluation_periods
        _put(out, "DatapointsToAlarm", self.datapoints_to_alarm)
        _put(out, "Threshold", self.threshold)
        out["ComparisonOperator"] = self.comparison_operator
        _put(out, "TreatMissingData", self.treat_missing_data)
        _put(out, "EvaluateLowSampleCountPercentile", self.evaluate_low_sample_count_percentile)
        if self.metrics is not None:
            out["Metrics"] = thaw(self.metrics)
        _put(out, "ThresholdMetricId", self.threshold_metric_id)
        if "Tags" in self.extra:
            out["Tags"] = thaw(self.extra["Tags"])
        return out

    @property
    def effective_datapoints_to_alarm(self) -> int:
        """M of "M out of N"; defaults to N (``EvaluationPeriods``)."""
        return (
            self.datapoints_to_alarm
            if self.datapoints_to_alarm is not None
            else self.evaluation_periods
        )

    @property
    def effective_treat_missing_data(self) -> str:
        """``TreatMissingData`` defaults to ``missing`` (see aws-model.md#put-metric-alarm)."""
        return self.treat_missing_data or "missing"

    @property
    def statistic_name(self) -> str | None:
        """``Statistic`` or ``ExtendedStatistic``, whichever is set (None for metric math)."""
        return self.statistic or self.extended_statistic

    def dimension_map(self) -> dict[str, str]:
        return {d.name: d.value for d in self.dimensions or ()}

    def dimension_sets(self) -> list[tuple[str, dict[str, str]]]:
        """(path, dimensions) of each metric the alarm reads (its own, or each MetricStat's),
        the path relative to the alarm."""
        if self.metrics is None:
            return [("Dimensions", self.dimension_map())]
        out = []
        for i, q in enumerate(self.metrics):
            stat = q.get("MetricStat") if isinstance(q, Mapping) else None
            metric = stat.get("Metric") if isinstance(stat, Mapping) else None
            if isinstance(metric, Mapping):
                dims = {d["Name"]: d["Value"] for d in metric.get("Dimensions", ())}
                out.append((f"Metrics[{i}].MetricStat.Metric.Dimensions", dims))
        return out


@dataclass(frozen=True)
class CompositeAlarm:
    """The keyword arguments of CloudWatch ``put_composite_alarm`` for one composite alarm (see
    aws-model.md#composite-alarms): an entry of the scenario's ``alarms`` with ``AlarmRule``.

    Only ``AlarmName`` and ``AlarmRule`` affect its state; the rest (description, actions, the
    ``ActionsSuppressor`` fields, tags) act on alarm *actions*, which SageMaker does not use (it
    reads alarm states), and are kept in ``extra`` so :meth:`to_boto` gives back what was given.
    """

    name: str
    rule: str
    extra: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))

    @classmethod
    def from_boto(cls, raw: Mapping[str, Any]) -> CompositeAlarm:
        known = ("AlarmName", "AlarmRule")
        return cls(
            name=raw["AlarmName"],
            rule=raw["AlarmRule"],
            extra=MappingProxyType({k: freeze(v) for k, v in raw.items() if k not in known}),
        )

    def to_boto(self) -> dict[str, Any]:
        """The ``put_composite_alarm`` keyword arguments, exactly as given."""
        out: dict[str, Any] = {"AlarmName": self.name, "AlarmRule": self.rule}
        out.update(thaw(self.extra))
        return out

    @property
    def children(self) -> tuple[str, ...]:
        """The alarms its rule names (the rule must parse: validation checks it first)."""
        from guardsim.cloudwatch.composite import parse_rule

        return parse_rule(self.rule, alarm_name=self.name).children


# --------------------------------------------------------------------------- endpoint configs


PASSTHROUGH_VARIANT_KEYS: tuple[str, ...] = ()

#: guardsim's own limits, not SageMaker's (whose instance limits are account quotas): every
#: instance and every copy is simulated, so a fleet of a billion instances would exhaust memory.
#: A scenario over them is refused at validation, with the field's path.
MAX_SIMULATED_INSTANCES = 1000
MAX_SIMULATED_COPIES = 10_000


@dataclass(frozen=True)
class ProductionVariant:
    """One ``ProductionVariants`` entry of ``create_endpoint_config``."""

    variant_name: str
    instance_type: str | None = None
    initial_instance_count: int | None = None
    extra: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))

    @classmethod
    def from_boto(cls, raw: Mapping[str, Any]) -> ProductionVariant:
        known = ("VariantName", "InstanceType", "InitialInstanceCount")
        return cls(
            variant_name=raw["VariantName"],
            instance_type=raw.get("InstanceType"),
            initial_instance_count=raw.get("InitialInstanceCount"),
            extra=MappingProxyType({k: freeze(v) for k, v in raw.items() if k not in known}),
        )

    def to_boto(self) -> dict[str, Any]:
        out: dict[str, Any] = {"VariantName": self.variant_name}
        _put(out, "InstanceType", self.instance_type)
        _put(out, "InitialInstanceCount", self.initial_instance_count)
        out.update(thaw(self.extra))
        return out

    @property
    def weight(self) -> float:
        """``InitialVariantWeight``, default 1.0: the variant's share of the endpoint's traffic
        is its weight over the sum of all variants' weights
        (https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_ProductionVariant.html)."""
        raw = self.extra.get("InitialVariantWeight")
        return 1.0 if raw is None else float(raw)


@dataclass(frozen=True)
class EndpointConfig:
    """The arguments of ``create_endpoint_config`` for the blue or the green config."""

    name: str
    variants: tuple[ProductionVariant, ...]
    extra: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))

    @classmethod
    def from_boto(cls, raw: Mapping[str, Any]) -> EndpointConfig:
        known = ("EndpointConfigName", "ProductionVariants")
        return cls(
            name=raw["EndpointConfigName"],
            variants=tuple(ProductionVariant.from_boto(v) for v in raw["ProductionVariants"]),
            extra=MappingProxyType({k: freeze(v) for k, v in raw.items() if k not in known}),
        )

    def to_boto(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "EndpointConfigName": self.name,
            "ProductionVariants": [v.to_boto() for v in self.variants],
        }
        out.update(thaw(self.extra))
        return out

    @property
    def variant(self) -> ProductionVariant:
        """The first production variant: the only one of a single-variant endpoint (a
        multi-variant endpoint is simulated one variant at a time, see
        :meth:`guardsim.scenarios.scenario.Scenario.lanes`)."""
        return self.variants[0]

    def only(self, variant_name: str) -> EndpointConfig:
        """This config with only the variant ``variant_name`` (same config name)."""
        kept = tuple(v for v in self.variants if v.variant_name == variant_name)
        return EndpointConfig(self.name, kept, self.extra)

    @property
    def instance_count(self) -> int:
        return self.variant.initial_instance_count or 1

    @property
    def instance_type(self) -> str:
        return self.variant.instance_type or "ml.m5.xlarge"


def alarm_names(alarms: Sequence[MetricAlarm]) -> list[str]:
    return [a.name for a in alarms]
