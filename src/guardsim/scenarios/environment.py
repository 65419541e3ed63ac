"""Everything AWS does not document, as named settings with documented defaults.

They are listed in docs/explanation/aws-model.md#undocumented. guardsim never hides a guess in
the code: each one is a field here, with its default and the reason for it. Calibrate
them from real runs (``guardsim calibrate``) when you can.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Literal

from guardsim.scenarios.boto import Rounding
from guardsim.scenarios.distributions import (
    DISTRIBUTION_DOC,
    Distribution,
    Fixed,
    LogNormal,
    Uniform,
)
from guardsim.scenarios.fields import doc

if TYPE_CHECKING:
    from guardsim.cloudwatch.alarm import AlarmRule

#: Approximate on-demand prices (USD per instance-hour) of real-time inference instances in
#: us-east-1, for cost estimates only. Override or extend them per scenario with
#: ``environment.instance_prices_usd_per_hour``.
INSTANCE_PRICES_USD_PER_HOUR: Mapping[str, float] = MappingProxyType(
    {
        "ml.t2.medium": 0.056,
        "ml.t2.large": 0.111,
        "ml.m5.large": 0.115,
        "ml.m5.xlarge": 0.23,
        "ml.m5.2xlarge": 0.461,
        "ml.m5.4xlarge": 0.922,
        "ml.m5.12xlarge": 2.765,
        "ml.c5.large": 0.102,
        "ml.c5.xlarge": 0.204,
        "ml.c5.2xlarge": 0.408,
        "ml.c5.4xlarge": 0.816,
        "ml.r5.large": 0.151,
        "ml.r5.xlarge": 0.302,
        "ml.g4dn.xlarge": 0.736,
        "ml.g4dn.2xlarge": 0.94,
        "ml.g5.xlarge": 1.408,
        "ml.g5.2xlarge": 1.515,
        "ml.p3.2xlarge": 3.825,
    }
)


@dataclass(frozen=True)
class Environment:
    """Undocumented SageMaker / CloudWatch behaviour (see aws-model.md#undocumented)."""

    provisioning_seconds: Distribution = field(
        default_factory=lambda: LogNormal(kind="lognormal", median=240.0, p99=480.0),
        metadata={
            **DISTRIBUTION_DOC,
            "doc": "time to launch one instance (Creating), drawn per "
            "instance; a fleet is ready when its slowest instance is. Default: median 4 min "
            "(small CPU endpoints come up in about 3-4 min, see aws-model.md#timings)",
        },
    )
    activation_seconds: Distribution = field(
        default_factory=lambda: Fixed(kind="fixed", value=10.0),
        metadata={
            **DISTRIBUTION_DOC,
            "doc": "time one ActivatingTraffic step takes before its "
            "bake starts (undocumented; default 10 s)",
        },
    )
    termination_seconds: Distribution = field(
        default_factory=lambda: Fixed(kind="fixed", value=60.0),
        metadata={
            **DISTRIBUTION_DOC,
            "doc": "time to terminate a fleet or batch (Deleting; "
            "instances bill until it ends). Default 60 s",
        },
    )
    rollback_seconds: Distribution = field(
        default_factory=lambda: Fixed(kind="fixed", value=15.0),
        metadata={
            **DISTRIBUTION_DOC,
            "doc": "blue/green rollback: time from the rollback decision "
            "until all traffic is back on blue (blue is warm, so it is short; see "
            "aws-model.md#blue-green-rollback). "
            "Default 15 s",
        },
    )
    metric_publish_delay_seconds: Distribution = field(
        default_factory=lambda: Uniform(kind="uniform", low=30.0, high=120.0),
        metadata={
            **DISTRIBUTION_DOC,
            "doc": "delay after a minute ends before its datapoint is "
            "visible to alarms, drawn per minute (see aws-model.md#metric-publish-delay: about 2 "
            "min reported by third "
            "parties). Default uniform 30-120 s",
        },
    )
    evaluation_range_extra_periods: int = field(
        default=2,
        metadata=doc(
            "CloudWatch's evaluation range is EvaluationPeriods + this many periods "
            "(undocumented; the docs' examples use 5 for N=3, see aws-model.md#missing-data)",
            min=0,
            max=100,
        ),
    )
    premature_alarm_reading: Literal["newer", "whole-window"] = field(
        default="newer",
        metadata=doc(
            "which datapoints CloudWatch's premature-alarm rule constrains (undocumented, see "
            "aws-model.md#missing-data): newer: only those more recent than the oldest breach, "
            "as the user guide words it; whole-window: any real non-breaching datapoint of the "
            "window blocks the early ALARM, as a knowledge-center article explains it"
        ),
    )
    anomaly_band_model: Literal["old-model-steady-state"] = field(
        default="old-model-steady-state",
        metadata=doc(
            "the band of an anomaly-detection alarm (CloudWatch trains an undocumented model on "
            "up to two weeks of the metric's history, see "
            "https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/"
            "CloudWatch_Anomaly_Detection.html): old-model-steady-state: a static band "
            "centred on the old model's expected per-period value at the scenario's warmup "
            "traffic, k standard deviations of that value wide (see aws-model.md#anomaly-alarms)"
        ),
    )
    rollback_sees_composite_alarms: bool = field(
        default=False,
        metadata=doc(
            "whether SageMaker's auto-rollback reads a composite alarm named in "
            "AutoRollbackConfiguration (undocumented, see aws-model.md#composite-alarms): "
            "false: never, since DescribeAlarms returns composite alarms only when AlarmTypes "
            "asks for them; true: it trips on the composite's state like a metric alarm's"
        ),
    )
    low_sample_scope: Literal["newest", "any"] = field(
        default="newest",
        metadata=doc(
            "with EvaluateLowSampleCountPercentile=ignore, whose sample count keeps the state "
            "(undocumented, see aws-model.md#low-sample-percentiles): newest: the newest real "
            "datapoint of the window; any: any real datapoint of the window"
        ),
    )
    alarm_evaluation_offset_seconds: float = field(
        default=0.0,
        metadata=doc(
            "where in the minute CloudWatch evaluates alarms, relative to the "
            "UpdateEndpoint call's minute boundary",
            min=0.0,
            max=59.999,
        ),
    )
    alarm_poll_interval_seconds: float = field(
        default=30.0,
        metadata=doc(
            "how often SageMaker reads the rollback alarms' state (undocumented, see "
            "aws-model.md#alarm-polling). Default 30 s",
            exclusive_min=0.0,
            max=3600.0,
        ),
    )
    alarm_reaction_seconds: float = field(
        default=0.0,
        metadata=doc(
            "extra delay from SageMaker seeing a tripped alarm to starting the rollback",
            min=0.0,
            max=3600.0,
        ),
    )
    trip_on_insufficient_data: bool = field(
        default=False,
        metadata=doc(
            "whether INSUFFICIENT_DATA counts as tripped (the docs never define 'trip'; "
            "ALARM only is the plain reading, see aws-model.md#blue-green-rollback)"
        ),
    )
    poll_at_bake_end: bool = field(
        default=False,
        metadata=doc(
            "whether SageMaker reads the alarms once more as a bake ends, so an alarm that went "
            "to ALARM after the last poll still rolls back (undocumented, see "
            "aws-model.md#alarm-polling); "
            "default: no, the bake ends at its last regular poll"
        ),
    )
    trip_if_in_alarm_at_bake_start: bool = field(
        default=True,
        metadata=doc(
            "whether an alarm already in ALARM when a bake starts trips it (level "
            "trigger), or only a transition during the bake does (see "
            "aws-model.md#alarm-at-bake-start)"
        ),
    )
    watch_alarms_outside_bakes: bool = field(
        default=False,
        metadata=doc(
            "whether SageMaker also watches alarms while provisioning, activating "
            "traffic and cleaning up (the docs say 'during a baking period', see "
            "aws-model.md#blue-green-rollback)"
        ),
    )
    model_setup_time: Literal["none", "per-instance"] = field(
        default="none",
        metadata=doc(
            "whether an instance-backed endpoint publishes ModelSetupTime (AWS/SageMaker, "
            "microseconds) for the instances a deployment launches: SageMaker documents it for "
            "serverless endpoints only (https://docs.aws.amazon.com/sagemaker/latest/dg/"
            "serverless-endpoints-monitoring.html), so the default is none: no datapoint "
            "ever; per-instance: every instance launched (new fleet, rolling batch, rolling "
            "rollback's old instances) publishes one sample, its provisioning time, in the "
            "minute it becomes ready (see aws-model.md#model-setup-time)"
        ),
    )
    percent_rounding: Rounding = field(
        default="ceil",
        metadata=doc(
            "how CAPACITY_PERCENT becomes instances: ceil, round_half_up or floor "
            "(undocumented; '33% of 3 = 1 instance' rules out floor, see "
            "aws-model.md#percent-rounding)"
        ),
    )
    multi_variant_steps: Literal["per-variant"] = field(
        default="per-variant",
        metadata=doc(
            "how a canary or linear step applies to a multi-variant endpoint (undocumented, "
            "see aws-model.md#multi-variant): per-variant: every variant's green fleet takes "
            "the step at the same instant, its CapacitySize resolved against that variant's "
            "own instance count, and the step's wait starts when every variant is ready"
        ),
    )
    all_at_once_bakes_wait_interval: bool = field(
        default=False,
        metadata=doc(
            "whether ALL_AT_ONCE bakes WaitIntervalInSeconds before its final bake "
            "(the API requires the value but never says what it does for ALL_AT_ONCE, "
            "see aws-model.md#all-at-once-wait-interval; default: ignored, the bake is "
            "TerminationWaitInSeconds)"
        ),
    )
    timeout_action: Literal["rollback", "fail"] = field(
        default="rollback",
        metadata=doc(
            "what exceeding MaximumExecutionTimeoutInSeconds does (undocumented, see "
            "aws-model.md#timeout-behaviour): roll back to blue, or end Failed"
        ),
    )
    timeout_includes_provisioning: bool = field(
        default=True,
        metadata=doc("whether provisioning counts toward MaximumExecutionTimeoutInSeconds"),
    )
    per_config_metrics_for_blue: bool = field(
        default=True,
        metadata=doc(
            "whether the blue fleet's metrics carry the EndpointConfigName dimension before the "
            "update too (the AWS notebooks assume so; see aws-model.md#per-config-metrics); false: "
            "only from the "
            "UpdateEndpoint call on"
        ),
    )
    copy_start_seconds: Distribution = field(
        default_factory=lambda: LogNormal(kind="lognormal", median=300.0, p99=600.0),
        metadata={
            **DISTRIBUTION_DOC,
            "doc": "inference components: time to start one copy on an instance with room "
            "(model download and load; undocumented), drawn per copy; a copy placed on an "
            "instance that managed instance scaling adds waits for provisioning_seconds first. "
            "Default: median 5 min (see aws-model.md#inference-components)",
        },
    )
    component_placement: Literal["SPREAD", "BINPACK"] = field(
        default="SPREAD",
        metadata=doc(
            "inference components: how copies are placed on instances when the component's "
            "Specification.SchedulingConfig.PlacementStrategy is not given (AWS does not "
            "document the default; see aws-model.md#inference-components)"
        ),
    )
    instance_prices_usd_per_hour: Mapping[str, float] = field(
        default_factory=lambda: MappingProxyType({}),
        metadata=doc(
            "price overrides per instance type; built-in table: approximate us-east-1 "
            "on-demand prices",
            min=0.0,
        ),
    )
    default_instance_price_usd_per_hour: float = field(
        default=1.0,
        metadata=doc("price used for instance types with no known price", min=0.0),
    )
    billing_granularity_seconds: float = field(
        default=1.0,
        metadata=doc(
            "instance billing granularity (per-second billing is only claimed by third "
            "parties, see aws-model.md#billing)",
            exclusive_min=0.0,
        ),
    )

    def price_per_hour(self, instance_type: str) -> float:
        if instance_type in self.instance_prices_usd_per_hour:
            return self.instance_prices_usd_per_hour[instance_type]
        return INSTANCE_PRICES_USD_PER_HOUR.get(
            instance_type, self.default_instance_price_usd_per_hour
        )

    def has_price(self, instance_type: str) -> bool:
        return (
            instance_type in self.instance_prices_usd_per_hour
            or instance_type in INSTANCE_PRICES_USD_PER_HOUR
        )

    def alarm_rule(
        self, kwargs: Mapping[str, Any], band: tuple[float, float] | None = None
    ) -> AlarmRule:
        """The alarm of ``put_metric_alarm`` keyword arguments ``kwargs`` as CloudWatch
        evaluates it under these settings (evaluation range, low-sample scope, premature-alarm
        reading): every engine, the emulator and compare build their rules here. ``band``: an
        anomaly-detection alarm's bounds (:func:`guardsim.model.anomaly.anomaly_band`)."""
        from guardsim.cloudwatch.alarm import AlarmRule

        n = kwargs.get("EvaluationPeriods")
        return AlarmRule.from_kwargs(
            kwargs,
            evaluation_range=(
                n + self.evaluation_range_extra_periods if isinstance(n, int) else None
            ),
            low_sample_scope=self.low_sample_scope,
            premature_reading=self.premature_alarm_reading,
            band=band,
        )


@dataclass(frozen=True)
class Simulation:
    """How to run the simulation."""

    seed: int = field(
        default=0,
        # 2**63 - 1: the largest seed (guardsim.inputs.SEED_MAX): seeds sit in int64 columns
        metadata=doc("seed of the run's random streams", min=0, max=2**63 - 1),
    )
    warmup_seconds: float = field(
        default=900.0,
        metadata=doc(
            "traffic, metrics and alarm evaluation before UpdateEndpoint (t=0), so alarms "
            "start from a settled state",
            min=0.0,
            max=86400.0,
        ),
    )
    cooldown_seconds: float = field(
        default=300.0,
        metadata=doc(
            "time simulated after the deployment ends, to record its last metrics",
            min=0.0,
            max=86400.0,
        ),
    )
    horizon_seconds: float = field(
        default=6 * 3600.0,
        metadata=doc(
            "hard stop after UpdateEndpoint: a deployment still running then is "
            "reported as FAILED (horizon reached)",
            exclusive_min=0.0,
            max=7 * 86400.0,
        ),
    )
    mode: Literal["exact", "fast"] = field(
        default="exact",
        metadata=doc("exact: every request simulated; fast: per-tick aggregate sampling"),
    )
