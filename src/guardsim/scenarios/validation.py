"""The rules SageMaker and CloudWatch enforce on the server, and likely mistakes, with paths.

Shapes (types, enums, ranges and patterns from the service model) are checked while loading
(:mod:`guardsim.scenarios.boto_shapes`). This module adds what only the documentation's prose
states (see aws-model.md#deployment-config, #size-limits, #put-metric-alarm) and what guardsim
itself needs:

Errors (the real service would reject the request, or guardsim cannot simulate it):
  * only one update policy; CANARY needs CanarySize; LINEAR needs LinearStepSize;
  * canary <= 50 %, linear step 10-50 %, rolling batch 5-50 % of the variant's instances, and
    sizes an instance count cannot meet (a canary of a 1-instance fleet);
  * MaximumExecutionTimeoutInSeconds larger than the sum of all bakes;
  * every alarm named in AutoRollbackConfiguration defined in ``alarms``;
  * Period 10, 20, 30 or a multiple of 60; Period x EvaluationPeriods <= 1 day (Period < 1 h)
    or 7 days; DatapointsToAlarm <= EvaluationPeriods; exactly one of Statistic and
    ExtendedStatistic; a well-formed ExtendedStatistic; TreatMissingData and
    EvaluateLowSampleCountPercentile values; metric math that guardsim can evaluate;
  * the same variant names in the blue and green configs; on a multi-variant endpoint the same
    weights, no rolling update, and alarms that read one variant each (see
    :func:`check_variants`).

Warnings (legal, but probably not what the user meant):
  * an Average of a 0/1 error metric with Threshold >= 1 (it can fire only when every request
    fails, or never: see aws-model.md#alarm-guidance);
  * a ModelLatency / OverheadLatency threshold that looks like milliseconds (the metric is in
    microseconds);
  * alarms whose dimensions or metric can never see this deployment's data;
  * no rollback alarms at all (auto-rollback then does nothing, see aws-model.md#deployment-config).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence

from guardsim.cloudwatch.anomaly import (
    ANOMALY_OPERATOR_NAMES,
    band_index,
    band_problems,
    evaluated_metrics,
    is_anomaly_alarm,
)
from guardsim.cloudwatch.composite import evaluation_order
from guardsim.cloudwatch.metric_math import check_metric_queries
from guardsim.cloudwatch.statistics import parse_statistic
from guardsim.deployment.plan import plan_steps, total_wait_seconds
from guardsim.errors import AlarmError, Problem, StatisticError
from guardsim.model.metrics import (
    DIMENSION_NAMES,
    ERROR_METRICS,
    INSTANCE_METRICS,
    INSTANCE_NAMESPACE,
    LATENCY_METRICS,
    METRICS,
    NAMESPACE,
    VARIANT_DIMENSIONS,
)
from guardsim.model.setup_time import is_setup_time, publishes
from guardsim.scenarios.boto import (
    MAX_SIMULATED_INSTANCES,
    CapacitySize,
    CompositeAlarm,
    DeploymentConfig,
    MetricAlarm,
    ProductionVariant,
    thaw,
)
from guardsim.scenarios.components import COMPONENT_DIMENSION, InferenceComponent, too_many
from guardsim.scenarios.environment import Environment
from guardsim.scenarios.fields import did_you_mean, join
from guardsim.scenarios.models import Models
from guardsim.scenarios.scenario import Endpoint
from guardsim.scenarios.variants import alarm_variants

DC = "deployment_config"
BG = f"{DC}.BlueGreenUpdatePolicy"
TRC = f"{BG}.TrafficRoutingConfiguration"
RP = f"{DC}.RollingUpdatePolicy"

STATIC_OPERATORS = (
    "GreaterThanOrEqualToThreshold",
    "GreaterThanThreshold",
    "LessThanThreshold",
    "LessThanOrEqualToThreshold",
)
TREAT_MISSING = ("breaching", "notBreaching", "ignore", "missing")
LOW_SAMPLE = ("evaluate", "ignore")
#: The documented share of the variant's instances (percent): a canary at most 50, a linear
#: step 10-50, a rolling batch 5-50 (see aws-model.md#size-limits).
PERCENT_LIMITS = {
    "CanarySize": (0.0, 50.0),
    "LinearStepSize": (10.0, 50.0),
    "MaximumBatchSize": (5.0, 50.0),
}


def _warn(path: str, message: str) -> Problem:
    return Problem(path, message, "warning")


def check_scenario(
    *,
    endpoint: Endpoint | None,
    deployment_config: DeploymentConfig | None,
    alarms: Sequence[MetricAlarm],
    all_alarm_names: Iterable[str],
    environment: Environment | None,
    alarm_positions: Sequence[int] | None = None,
    composites: Sequence[tuple[int, CompositeAlarm]] = (),
    inference_component: InferenceComponent | None = None,
) -> list[Problem]:
    """Every semantic problem of the parts that loaded (a part that failed to load is None).

    For an inference component's update (``endpoint`` and ``deployment_config`` are then its
    unit view) the component's own rules apply
    (:func:`guardsim.scenarios.components.check_inference_component`, run as it loads) instead
    of the endpoint's fleet and DeploymentConfig rules."""
    problems: list[Problem] = []
    ic = inference_component
    setup_time = environment is not None and publishes(environment.model_setup_time)
    problems += _check_setup_time(setup_time, endpoint, ic)
    if endpoint is not None and ic is None:
        problems += check_endpoint(endpoint, environment)
    if deployment_config is not None:
        problems += check_rollback_alarm_names(deployment_config, set(all_alarm_names))
        if endpoint is not None and ic is None:
            counts = sorted({v.initial_instance_count or 1 for v in endpoint.green.variants})
            for count in counts or [endpoint.green.instance_count]:
                for p in check_deployment_config(
                    deployment_config, count, environment or Environment()
                ):
                    if p not in problems:  # variants of one size give the same problems
                        problems.append(p)
    # alarms that failed to load are left out of ``alarms``: report at each one's own index
    positions = list(alarm_positions) if alarm_positions is not None else list(range(len(alarms)))
    for i, alarm in zip(positions, alarms, strict=True):
        problems += check_alarm(alarm, join("alarms", i), endpoint, setup_time)
        if ic is not None:
            problems += check_component_alarm(alarm, join("alarms", i), ic)
    problems += check_composites(composites, set(all_alarm_names))
    seen: dict[str, int] = {}
    named: list[tuple[int, MetricAlarm | CompositeAlarm]] = [
        *zip(positions, alarms, strict=True),
        *composites,
    ]
    for i, entry in sorted(named, key=lambda p: p[0]):
        if entry.name in seen:
            problems.append(
                Problem(
                    join(join("alarms", i), "AlarmName"),
                    f"alarm {entry.name!r} is defined twice (also alarms[{seen[entry.name]}])",
                )
            )
        seen.setdefault(entry.name, i)
    return problems


def _check_setup_time(
    setup_time: bool, endpoint: Endpoint | None, ic: InferenceComponent | None
) -> list[Problem]:
    """environment.model_setup_time per-instance where guardsim does not simulate it: refused,
    never ignored (:mod:`guardsim.model.setup_time`)."""
    path = "environment.model_setup_time"
    if not setup_time:
        return []
    if ic is not None:
        return [
            Problem(
                path,
                "per-instance is not simulated for an inference component's update (the "
                "instances managed instance scaling adds publish no ModelSetupTime here); use none",
            )
        ]
    if endpoint is not None and len(endpoint.blue.variants) > 1:
        return [
            Problem(
                path,
                "per-instance is not simulated for a multi-variant endpoint; use none",
            )
        ]
    return []


def check_variants(
    endpoint: Endpoint | None,
    deployment_config: DeploymentConfig | None,
    alarms: Sequence[MetricAlarm],
    alarm_positions: Sequence[int] | None,
    composites: Sequence[tuple[int, CompositeAlarm]],
    models: Models | None,
    environment: Environment | None,
) -> list[Problem]:
    """A multi-variant endpoint (see aws-model.md#multi-variant): no rolling update (AWS
    excludes it), per-variant models that name variants of the endpoint, and what guardsim
    simulates one variant at a time: alarms (and composites) that read one variant each, equal
    step counts per variant, no recorded history and no custom metrics."""
    if endpoint is None or endpoint.component is not None:
        return []
    names = [v.variant_name for v in endpoint.blue.variants]
    problems: list[Problem] = []
    if models is not None:
        for key in models.variants:
            if key not in names:
                problems.append(
                    Problem(
                        f"models.variants.{key}",
                        f"{key!r} is not a variant of the endpoint "
                        f"({', '.join(repr(n) for n in names)}){did_you_mean(key, names)}",
                    )
                )
    if len(names) < 2:
        return problems
    exclusions = (
        "https://docs.aws.amazon.com/sagemaker/latest/dg/deployment-guardrails-exclusions.html"
    )
    if deployment_config is not None and deployment_config.rolling is not None:
        problems.append(
            Problem(
                RP,
                f"rolling deployments exclude multi-variant endpoints ({len(names)} variants: "
                f"{', '.join(names)}); use a BlueGreenUpdatePolicy (see {exclusions})",
            )
        )
    elif (
        deployment_config is not None
        and environment is not None
        and deployment_config.policy_kind == "LINEAR"
        and deployment_config.blue_green is not None
        and deployment_config.blue_green.traffic_routing.linear_step_size is not None
    ):
        counts = {v.variant_name: v.initial_instance_count or 1 for v in endpoint.green.variants}
        plans = {
            n: len(plan_steps(deployment_config, c, environment.percent_rounding))
            for n, c in counts.items()
        }
        if len(set(plans.values())) > 1:
            shown = ", ".join(f"{n}: {k}" for n, k in plans.items())
            problems.append(
                Problem(
                    f"{TRC}.LinearStepSize",
                    f"gives the variants different numbers of steps ({shown}); with "
                    "environment.multi_variant_steps per-variant every variant takes each step "
                    "at once, so guardsim needs the same number: use CAPACITY_PERCENT sizes "
                    "that divide every variant alike",
                )
            )
    positions = list(alarm_positions) if alarm_positions is not None else list(range(len(alarms)))
    lane_of: dict[str, str | None] = {}
    for i, alarm in zip(positions, alarms, strict=True):
        own = [v for v in alarm_variants(alarm) if v in names]
        lane_of[alarm.name] = own[0] if own else None
        if len(own) > 1:
            problems.append(
                Problem(
                    join(join("alarms", i), "Metrics"),
                    f"reads several variants' metrics ({', '.join(own)}); guardsim simulates "
                    "each variant on its own: an alarm must read one variant",
                )
            )
    for i, c in composites:
        kid_lanes = {v for k in c.children if (v := lane_of.get(k)) is not None}
        if len(kid_lanes) > 1:
            problems.append(
                Problem(
                    join(join("alarms", i), "AlarmRule"),
                    f"combines alarms of several variants ({', '.join(sorted(kid_lanes))}); "
                    "guardsim evaluates each variant's alarms on their own",
                )
            )
        for k in c.children:
            lane_of.setdefault(k, next(iter(kid_lanes), None))
    if models is not None:
        every = [("blue", models.blue), ("green", models.green)] + [
            (f"variants.{n}.{color}", m)
            for n, vm in models.variants.items()
            for color in ("blue", "green")
            if (m := getattr(vm, color)) is not None
        ]
        for where, m in every:
            if m.history is not None:
                problems.append(
                    Problem(
                        f"models.{where}.history",
                        "a recorded history is not simulated on a multi-variant endpoint",
                    )
                )
            if m.custom_metrics:
                problems.append(
                    Problem(
                        f"models.{where}.custom_metrics",
                        "custom metrics are not simulated on a multi-variant endpoint (their "
                        "dimensions need not name a variant)",
                    )
                )
    return problems


def check_composites(
    composites: Sequence[tuple[int, CompositeAlarm]], defined: set[str]
) -> list[Problem]:
    """Every child a composite's AlarmRule names is an alarm of the scenario, and composites
    form no cycle (PutCompositeAlarm refuses both; see aws-model.md#composite-alarms). The rule's
    grammar and limits were checked when it loaded."""
    problems: list[Problem] = []
    kids: dict[str, tuple[str, ...]] = {}
    where: dict[str, int] = {}
    for i, c in composites:
        path = join(join("alarms", i), "AlarmRule")
        kids.setdefault(c.name, c.children)
        where.setdefault(c.name, i)
        for child in c.children:
            if child == c.name:
                problems.append(Problem(path, f"the rule names its own alarm {child!r}"))
            elif child not in defined:
                hint = did_you_mean(child, defined)
                problems.append(
                    Problem(path, f"child alarm {child!r} is not defined in alarms{hint}")
                )
    if not problems:
        try:
            evaluation_order(kids)
        except AlarmError as e:
            at = where.get(e.alarm_name or "", 0)
            problems.append(Problem(join(join("alarms", at), "AlarmRule"), e.message))
    return problems


# --------------------------------------------------------------------------- endpoint


def check_endpoint(endpoint: Endpoint, environment: Environment | None) -> list[Problem]:
    problems: list[Problem] = []
    for color in ("blue", "green"):
        config = getattr(endpoint, color)
        path = f"endpoint.{color}.ProductionVariants"
        if not config.variants:
            problems.append(Problem(path, "needs at least one production variant"))
        seen: set[str] = set()
        for i, variant in enumerate(config.variants):
            if variant.variant_name in seen:
                problems.append(
                    Problem(
                        join(join(path, i), "VariantName"),
                        f"variant {variant.variant_name!r} is listed twice",
                    )
                )
            seen.add(variant.variant_name)
            problems += _check_variant(variant, join(path, i), environment)
    problems += _check_variant_names(endpoint)
    if endpoint.blue.name == endpoint.green.name:
        problems.append(
            Problem(
                "endpoint.green.EndpointConfigName",
                "must differ from the blue config's name: an update deploys a new endpoint config",
            )
        )
    return problems


def _check_variant(
    variant: ProductionVariant, vpath: str, environment: Environment | None
) -> list[Problem]:
    problems: list[Problem] = []
    if "ServerlessConfig" in variant.extra:
        problems.append(
            Problem(
                join(vpath, "ServerlessConfig"),
                "deployment guardrails apply to real-time and asynchronous "
                "endpoints only; guardsim does not simulate serverless",
            )
        )
    if variant.instance_type is None:
        problems.append(
            Problem(
                join(vpath, "InstanceType"),
                "required: guardsim simulates instance-backed variants",
            )
        )
    elif variant.instance_type.startswith("ml.inf1."):
        problems.append(
            _warn(
                join(vpath, "InstanceType"),
                "Inf1 instances cannot use deployment guardrails: SageMaker "
                "falls back to blue/green all at once with no final bake (see "
                "https://docs.aws.amazon.com/sagemaker/latest/dg/deployment-guardrails-exclusions.html)",
            )
        )
    elif environment is not None and not environment.has_price(variant.instance_type):
        problems.append(
            _warn(
                join(vpath, "InstanceType"),
                f"no price known for {variant.instance_type}; cost estimates use "
                f"environment.default_instance_price_usd_per_hour "
                f"({environment.default_instance_price_usd_per_hour:g} USD/h) "
                "unless environment.instance_prices_usd_per_hour names it",
            )
        )
    count = variant.initial_instance_count
    if count is None:
        problems.append(
            Problem(join(vpath, "InitialInstanceCount"), "required: guardsim needs the fleet size")
        )
    elif isinstance(count, int) and count > MAX_SIMULATED_INSTANCES:
        problems.append(
            Problem(
                join(vpath, "InitialInstanceCount"),
                too_many("instances", count, MAX_SIMULATED_INSTANCES),
            )
        )
    return problems


def _check_variant_names(endpoint: Endpoint) -> list[Problem]:
    """The new config keeps the old config's variant names (see
    https://docs.aws.amazon.com/sagemaker/latest/dg/deployment-guardrails-exclusions.html), and,
    on a multi-variant endpoint, each variant's weight (guardsim's departure: when a changed
    weight takes effect is not documented, see aws-model.md#multi-variant)."""
    blue, green = endpoint.blue.variants, endpoint.green.variants
    if not blue or not green:
        return []
    if len(blue) == 1 and len(green) == 1:
        if blue[0].variant_name != green[0].variant_name:
            return [
                Problem(
                    "endpoint.green.ProductionVariants[0].VariantName",
                    f"must equal the blue config's variant name {blue[0].variant_name!r} for "
                    "a blue/green or rolling update (see "
                    "https://docs.aws.amazon.com/sagemaker/latest/dg/deployment-guardrails-exclusions.html);"
                    f" got {green[0].variant_name!r}",
                )
            ]
        return []
    problems: list[Problem] = []
    blue_by_name = {v.variant_name: v for v in blue}
    green_names = {v.variant_name for v in green}
    for i, v in enumerate(green):
        path = f"endpoint.green.ProductionVariants[{i}]"
        old = blue_by_name.get(v.variant_name)
        if old is None:
            problems.append(
                Problem(
                    join(path, "VariantName"),
                    f"{v.variant_name!r} is not a variant of the blue config "
                    f"({', '.join(repr(n) for n in blue_by_name)}): a blue/green update keeps "
                    "the variant names (see "
                    "https://docs.aws.amazon.com/sagemaker/latest/dg/deployment-guardrails-exclusions.html)",
                )
            )
        elif old.weight != v.weight:
            problems.append(
                Problem(
                    join(path, "InitialVariantWeight"),
                    f"changes variant {v.variant_name!r}'s weight ({old.weight:g} -> "
                    f"{v.weight:g}); guardsim keeps each variant's weight through the update "
                    "(when a new weight takes effect is not documented)",
                )
            )
    missing = [n for n in blue_by_name if n not in green_names]
    if missing:
        problems.append(
            Problem(
                "endpoint.green.ProductionVariants",
                f"lacks the blue config's variant(s) {', '.join(repr(n) for n in missing)}: a "
                "blue/green update replaces every variant by its new version under the same name",
            )
        )
    if sum(v.weight for v in blue) <= 0:
        problems.append(
            Problem(
                "endpoint.blue.ProductionVariants",
                "the variants' InitialVariantWeight sum to 0: no variant gets traffic",
            )
        )
    return problems


# --------------------------------------------------------------------------- deployment config


def check_rollback_alarm_names(config: DeploymentConfig, defined: set[str]) -> list[Problem]:
    problems: list[Problem] = []
    names = config.rollback_alarm_names
    if not names:
        problems.append(
            _warn(
                f"{DC}.AutoRollbackConfiguration",
                "no rollback alarms: without a CloudWatch alarm, auto-rollback does "
                "nothing (see "
                "https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_AutoRollbackConfig.html)",
            )
        )
    seen: set[str] = set()
    for i, name in enumerate(names):
        path = f"{DC}.AutoRollbackConfiguration.Alarms[{i}].AlarmName"
        if name not in defined:
            hint = did_you_mean(name, defined)
            shown = ", ".join(sorted(defined)) or "none"
            problems.append(
                Problem(path, f"alarm {name!r} is not defined in alarms{hint}; defined: {shown}")
            )
        if name in seen:
            problems.append(Problem(path, f"alarm {name!r} is listed twice"))
        seen.add(name)
    return problems


def _size_problems(
    size: CapacitySize, n: int, path: str, what: str, lo_pct: float, hi_pct: float
) -> list[Problem]:
    """The documented size limits (percent of the variant's instances), checked on the value."""
    if size.type == "CAPACITY_PERCENT":
        if size.value > hi_pct:
            return [
                Problem(f"{path}.Value", f"{size.value}% is over the {hi_pct:g}% limit for {what}")
            ]
        if size.value < lo_pct:
            return [
                Problem(
                    f"{path}.Value", f"{size.value}% is under the {lo_pct:g}% minimum for {what}"
                )
            ]
        if n * size.value / 100.0 < 1.0 and n * hi_pct / 100.0 < 1.0:
            return [
                Problem(
                    f"{path}.Value",
                    f"{what} cannot be met with {n} instance(s): at most "
                    f"{hi_pct:g}% of {n} is less than one instance",
                )
            ]
        return []
    pct = 100.0 * size.value / n
    if size.value > n:
        return [
            Problem(
                f"{path}.Value",
                f"{size.value} instances is more than the {n} instance(s) of the green fleet",
            )
        ]
    if pct > hi_pct:
        extra = f"; {what} cannot be met with {n} instance(s)" if n * hi_pct / 100.0 < 1.0 else ""
        return [
            Problem(
                f"{path}.Value",
                f"{size.value} of {n} instances is over the {hi_pct:g}% limit for {what}{extra}",
            )
        ]
    if pct < lo_pct:
        return [
            Problem(
                f"{path}.Value",
                f"{size.value} of {n} instances is under the {lo_pct:g}% minimum for {what}",
            )
        ]
    return []


def _rounding_warning(
    size: CapacitySize, n: int, path: str, hi_pct: float, env: Environment
) -> list[Problem]:
    if size.type != "CAPACITY_PERCENT":
        return []
    k = size.instances(n, env.percent_rounding)
    if 100.0 * k / n > hi_pct + 1e-9:
        return [
            _warn(
                f"{path}.Value",
                f"{size.value}% of {n} instances becomes {k} instance(s) "
                f"({100.0 * k / n:.0f}% of traffic) with environment.percent_rounding="
                f"{env.percent_rounding}; AWS does not document the rounding",
            )
        ]
    return []


def check_deployment_config(config: DeploymentConfig, n: int, env: Environment) -> list[Problem]:
    """Server-side rules (see aws-model.md#deployment-config, #size-limits) for a green fleet of
    ``n`` instances."""
    problems: list[Problem] = []
    if config.blue_green is not None and config.rolling is not None:
        return [
            Problem(
                DC,
                "set only one of BlueGreenUpdatePolicy and RollingUpdatePolicy "
                "(SageMaker: only one update policy should be used)",
            )
        ]
    if config.blue_green is not None:
        routing = config.blue_green.traffic_routing
        if routing.type == "CANARY":
            if routing.canary_size is None:
                problems.append(Problem(f"{TRC}.CanarySize", "required when Type is CANARY"))
            else:
                problems += _size_problems(
                    routing.canary_size,
                    n,
                    f"{TRC}.CanarySize",
                    "a canary",
                    *PERCENT_LIMITS["CanarySize"],
                )
                problems += _rounding_warning(
                    routing.canary_size, n, f"{TRC}.CanarySize", 50.0, env
                )
        elif routing.canary_size is not None:
            problems.append(
                _warn(f"{TRC}.CanarySize", f"ignored: Type is {routing.type}, not CANARY")
            )
        if routing.type == "LINEAR":
            if routing.linear_step_size is None:
                problems.append(Problem(f"{TRC}.LinearStepSize", "required when Type is LINEAR"))
            else:
                problems += _size_problems(
                    routing.linear_step_size,
                    n,
                    f"{TRC}.LinearStepSize",
                    "a linear step",
                    *PERCENT_LIMITS["LinearStepSize"],
                )
                problems += _rounding_warning(
                    routing.linear_step_size, n, f"{TRC}.LinearStepSize", 50.0, env
                )
        elif routing.linear_step_size is not None:
            problems.append(
                _warn(f"{TRC}.LinearStepSize", f"ignored: Type is {routing.type}, not LINEAR")
            )
        if (
            routing.type == "ALL_AT_ONCE"
            and config.blue_green.effective_termination_wait_seconds == 0
            and config.rollback_alarm_names
        ):
            problems.append(
                _warn(
                    f"{BG}.TerminationWaitInSeconds",
                    "ALL_AT_ONCE with no TerminationWaitInSeconds has no bake, so the "
                    "rollback alarms never get a chance to act (see "
                    "https://docs.aws.amazon.com/sagemaker/latest/dg/deployment-guardrails-blue-green-all-at-once.html)",
                )
            )
    if config.rolling is not None:
        problems += _size_problems(
            config.rolling.maximum_batch_size,
            n,
            f"{RP}.MaximumBatchSize",
            "a rolling batch",
            *PERCENT_LIMITS["MaximumBatchSize"],
        )
        rb = config.rolling.rollback_maximum_batch_size
        if rb is not None:
            if rb.type == "CAPACITY_PERCENT" and rb.value > 100:
                problems.append(
                    Problem(f"{RP}.RollbackMaximumBatchSize.Value", f"{rb.value}% is over 100%")
                )
            elif rb.type == "INSTANCE_COUNT" and rb.value > n:
                problems.append(
                    Problem(
                        f"{RP}.RollbackMaximumBatchSize.Value",
                        f"{rb.value} instances is more than the {n} instance(s) of the fleet",
                    )
                )
    if any(p.severity == "error" for p in problems):
        return problems
    timeout = config.maximum_execution_timeout_seconds
    if timeout is not None:
        steps = plan_steps(
            config,
            n,
            env.percent_rounding,
            all_at_once_bakes_wait_interval=env.all_at_once_bakes_wait_interval,
        )
        total = total_wait_seconds(steps)
        if timeout <= total:
            path = (
                f"{RP}.MaximumExecutionTimeoutInSeconds"
                if config.rolling is not None
                else f"{BG}.MaximumExecutionTimeoutInSeconds"
            )
            bakes = " + ".join(str(s.bake_seconds) for s in steps)
            problems.append(
                Problem(
                    path,
                    f"must be larger than the total wait of {total} s "
                    f"({bakes} over {len(steps)} step(s)); got {timeout}",
                )
            )
    return problems


# --------------------------------------------------------------------------- alarms


def check_alarm(
    alarm: MetricAlarm, path: str, endpoint: Endpoint | None, setup_time: bool = False
) -> list[Problem]:
    """The problems of one alarm; ``setup_time``: whether launched instances publish
    ModelSetupTime (``environment.model_setup_time``, :mod:`guardsim.model.setup_time`)."""
    problems: list[Problem] = []
    boto = alarm.to_boto()
    if is_anomaly_alarm(boto):
        # ThresholdMetricId, the band expression, k, no Threshold (guardsim.cloudwatch.anomaly)
        problems += [Problem(join(path, rel), message) for rel, message in band_problems(boto)]
    elif alarm.comparison_operator not in STATIC_OPERATORS:
        problems.append(
            Problem(
                join(path, "ComparisonOperator"),
                f"unknown operator {alarm.comparison_operator!r}; expected one of "
                f"{', '.join(STATIC_OPERATORS + ANOMALY_OPERATOR_NAMES)}",
            )
        )
    elif alarm.threshold is None:
        problems.append(Problem(join(path, "Threshold"), "required for a static-threshold alarm"))
    n = alarm.evaluation_periods
    m = alarm.datapoints_to_alarm
    if m is not None and m > n:
        problems.append(
            Problem(join(path, "DatapointsToAlarm"), f"must be <= EvaluationPeriods ({n}), got {m}")
        )
    tmd = alarm.treat_missing_data
    if tmd is not None and tmd not in TREAT_MISSING:
        problems.append(
            Problem(
                join(path, "TreatMissingData"),
                f"must be one of {', '.join(TREAT_MISSING)}; got {tmd!r}"
                f"{did_you_mean(tmd, TREAT_MISSING)}",
            )
        )
    low = alarm.evaluate_low_sample_count_percentile
    if low is not None and low not in LOW_SAMPLE:
        problems.append(
            Problem(
                join(path, "EvaluateLowSampleCountPercentile"),
                f"must be one of {', '.join(LOW_SAMPLE)}; got {low!r}",
            )
        )
    if alarm.metrics is not None:
        problems += _check_metric_math_alarm(alarm, path, endpoint, setup_time)
        # check_metric_queries has reported every MetricStat Period that is not allowed or not
        # the same as the others; what is left is the span, at the first MetricStat's Period.
        periods = _metric_math_periods(alarm)
        if periods and _allowed_period(periods[0][1]):
            i, period = periods[0]
            period_path = f"{join(join(path, 'Metrics'), i)}.MetricStat.Period"
            problems += _check_period(period, n, period_path)
    else:
        problems += _check_single_metric_alarm(alarm, path, endpoint, setup_time)
        if alarm.period is not None:
            problems += _check_period(alarm.period, n, join(path, "Period"))
    return problems


def _allowed_period(period: int) -> bool:
    return period in (10, 20, 30) or period % 60 == 0


def _check_period(period: int, n: int, path: str) -> list[Problem]:
    if not _allowed_period(period):
        return [Problem(path, f"Period must be 10, 20, 30 or a multiple of 60; got {period}")]
    span = period * n
    if period < 3600 and span > 86400:
        return [
            Problem(
                path,
                f"Period x EvaluationPeriods must be <= 86400 s (1 day) when Period "
                f"< 3600; got {period} x {n} = {span}",
            )
        ]
    if span > 604800:
        return [
            Problem(
                path,
                f"Period x EvaluationPeriods must be <= 604800 s (7 days); got "
                f"{period} x {n} = {span}",
            )
        ]
    return []


def _check_single_metric_alarm(
    alarm: MetricAlarm, path: str, endpoint: Endpoint | None, setup_time: bool
) -> list[Problem]:
    problems: list[Problem] = []
    for key, value in (
        ("MetricName", alarm.metric_name),
        ("Namespace", alarm.namespace),
        ("Period", alarm.period),
    ):
        if value is None:
            problems.append(Problem(join(path, key), "required unless the alarm uses Metrics"))
    if (alarm.statistic is None) == (alarm.extended_statistic is None):
        problems.append(
            Problem(join(path, "Statistic"), "set exactly one of Statistic and ExtendedStatistic")
        )
    spec = None
    if alarm.extended_statistic is not None:
        try:
            spec = parse_statistic(alarm.extended_statistic)
        except StatisticError as exc:
            problems.append(Problem(join(path, "ExtendedStatistic"), exc.message))
    if (
        alarm.evaluate_low_sample_count_percentile is not None
        and (spec is None or spec.percentile is None)
        and alarm.statistic is not None
    ):
        problems.append(
            _warn(
                join(path, "EvaluateLowSampleCountPercentile"),
                "only applies to percentile statistics; ignored",
            )
        )
    problems += _metric_warnings(
        path,
        alarm.namespace,
        alarm.metric_name,
        alarm.dimension_map(),
        endpoint,
        "Dimensions",
        setup_time,
    )
    if (
        alarm.metric_name in ERROR_METRICS
        and alarm.statistic == "Average"
        and alarm.threshold is not None
    ):
        op = alarm.comparison_operator
        if op == "GreaterThanOrEqualToThreshold" and alarm.threshold >= 1:
            problems.append(
                _warn(
                    join(path, "Threshold"),
                    f"Average of {alarm.metric_name} is the error fraction (0 to 1), so "
                    f">= {alarm.threshold:g} can fire only when every request in a "
                    "period fails; for a 1% error rate use 0.01 (see "
                    "https://docs.aws.amazon.com/sagemaker/latest/dg/deployment-guardrails-configuration.html)",
                )
            )
        elif op == "GreaterThanThreshold" and alarm.threshold >= 1:
            problems.append(
                _warn(
                    join(path, "Threshold"),
                    f"Average of {alarm.metric_name} is the error fraction (0 to 1), so "
                    f"> {alarm.threshold:g} can never fire (see "
                    f"https://docs.aws.amazon.com/sagemaker/latest/dg/deployment-guardrails-configuration.html)",
                )
            )
    if (
        alarm.metric_name in LATENCY_METRICS
        and alarm.threshold is not None
        and alarm.comparison_operator.startswith("Greater")
        and 0 < alarm.threshold < 1000
    ):
        problems.append(
            _warn(
                join(path, "Threshold"),
                f"{alarm.metric_name} is in microseconds: {alarm.threshold:g} is "
                f"{alarm.threshold / 1000:g} ms; did you mean {alarm.threshold * 1000:g}?",
            )
        )
    return problems


#: ModelSetupTime: SageMaker documents it for serverless endpoints only, "the time it takes to
#: launch new compute resources for a serverless endpoint"
#: (https://docs.aws.amazon.com/sagemaker/latest/dg/serverless-endpoints-monitoring.html,
#: https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_RecommendationMetrics.html);
#: guardsim simulates instance-backed endpoints (a ServerlessConfig is refused); whether they
#: publish it for the instances a deployment launches is undocumented, and with
#: environment.model_setup_time none (the default) they publish none, so the alarm has no data.
SETUP_TIME_TEXT = (
    "SageMaker documents ModelSetupTime for serverless endpoints only (the time to launch new "
    "compute for one); this endpoint is instance-backed and environment.model_setup_time is "
    "none, so the alarm sees no data and never trips a rollback (per-instance: every launched "
    "instance publishes its provisioning time)"
)


def _metric_warnings(
    path: str,
    namespace: str | None,
    metric: str | None,
    dims: dict[str, str],
    endpoint: Endpoint | None,
    dims_key: str,
    setup_time: bool = False,
) -> list[Problem]:
    problems: list[Problem] = []
    # the instance metrics' namespace too (guardsim.model.instance_metrics)
    simulated = {NAMESPACE: METRICS, INSTANCE_NAMESPACE: INSTANCE_METRICS}
    if namespace is not None and namespace not in simulated:
        problems.append(
            _warn(
                join(path, "Namespace"),
                f"guardsim simulates the {NAMESPACE} invocation metrics and the "
                f"{INSTANCE_NAMESPACE} instance metrics only; an alarm on {namespace} sees no data",
            )
        )
        return problems
    names = simulated.get(namespace or NAMESPACE, METRICS)
    if is_setup_time(namespace, metric):
        if not setup_time:
            problems.append(_warn(join(path, "MetricName"), SETUP_TIME_TEXT))
    elif metric is not None and metric not in names:
        problems.append(
            _warn(
                join(path, "MetricName"),
                f"{metric} is not simulated (simulated: "
                f"{', '.join(names)}); the alarm sees no data",
            )
        )
    components = () if endpoint is None else (endpoint.component, *endpoint.neighbours)
    if set(dims) == {COMPONENT_DIMENSION} and dims[COMPONENT_DIMENSION] in components:
        return problems  # a component's own series (see check_component_alarm)
    for name in dims:
        if name not in DIMENSION_NAMES:
            problems.append(
                _warn(
                    join(path, dims_key),
                    f"dimension {name!r}: SageMaker publishes "
                    "invocation metrics under EndpointName+VariantName and "
                    "EndpointName+VariantName+EndpointConfigName; the alarm sees no data",
                )
            )
    if dims and not set(VARIANT_DIMENSIONS) <= set(dims):
        problems.append(
            _warn(
                join(path, dims_key),
                "needs both EndpointName and VariantName "
                "dimensions to match a SageMaker metric; the alarm sees no data",
            )
        )
    if endpoint is not None:
        if "EndpointName" in dims and dims["EndpointName"] != endpoint.name:
            problems.append(
                _warn(
                    join(path, dims_key),
                    f"EndpointName {dims['EndpointName']!r} is "
                    f"not the scenario's endpoint {endpoint.name!r}; the alarm sees no data",
                )
            )
        own = [v.variant_name for v in endpoint.blue.variants] or [endpoint.variant_name]
        if "VariantName" in dims and dims["VariantName"] not in own:
            shown = (
                f"the endpoint's variant {own[0]!r}"
                if len(own) == 1
                else f"a variant of the endpoint ({', '.join(repr(n) for n in own)})"
            )
            problems.append(
                _warn(
                    join(path, dims_key),
                    f"VariantName {dims['VariantName']!r} is not {shown}; the alarm sees no data",
                )
            )
        config = dims.get("EndpointConfigName")
        if config is not None and config not in (endpoint.blue.name, endpoint.green.name):
            problems.append(
                _warn(
                    join(path, dims_key),
                    f"EndpointConfigName {config!r} is neither the "
                    f"blue ({endpoint.blue.name!r}) nor the green ({endpoint.green.name!r}) "
                    "config; the alarm sees no data",
                )
            )
    return problems


def _metric_math_periods(alarm: MetricAlarm) -> list[tuple[int, int]]:
    """(index, Period) of each MetricStat query with an integer Period."""
    periods: list[tuple[int, int]] = []
    for i, q in enumerate(alarm.metrics or ()):
        stat = q.get("MetricStat")
        if isinstance(stat, Mapping) and isinstance(stat.get("Period"), int):
            periods.append((i, stat["Period"]))
    return periods


def _check_metric_math_alarm(
    alarm: MetricAlarm, path: str, endpoint: Endpoint | None, setup_time: bool
) -> list[Problem]:
    problems: list[Problem] = []
    for key, value in (
        ("MetricName", alarm.metric_name),
        ("Namespace", alarm.namespace),
        ("Dimensions", alarm.dimensions),
        ("Period", alarm.period),
        ("Statistic", alarm.statistic),
        ("ExtendedStatistic", alarm.extended_statistic),
    ):
        if value is not None:
            problems.append(
                Problem(
                    join(path, key),
                    "must not be set when the alarm uses Metrics "
                    "(metric math takes them from each MetricStat)",
                )
            )
    mpath = join(path, "Metrics")
    queries = thaw(alarm.metrics or ())
    # an anomaly alarm's datapoints come from its band's metric: check those queries, at their
    # own indices (the band expression itself is checked by check_alarm)
    band = (
        band_index(queries)
        if isinstance(queries, list) and is_anomaly_alarm(alarm.to_boto())
        else None
    )
    index_of = None if band is None else [i for i in range(len(queries)) if i != band]
    for rel, message in check_metric_queries(
        queries if band is None else evaluated_metrics(queries)
    ):
        if index_of is not None:
            rel = re.sub(r"^\[(\d+)\]", lambda m: f"[{index_of[int(m.group(1))]}]", rel)
        problems.append(Problem(f"{mpath}{rel}", message))
    for i, q in enumerate(alarm.metrics or ()):
        stat = q.get("MetricStat")
        if not isinstance(stat, Mapping):
            continue
        metric = stat.get("Metric")
        if not isinstance(metric, Mapping):
            continue
        dims = {
            d.get("Name"): d.get("Value")
            for d in metric.get("Dimensions") or ()
            if hasattr(d, "get")
        }
        problems += _metric_warnings(
            join(join(mpath, i), "MetricStat.Metric"),
            metric.get("Namespace"),
            metric.get("MetricName"),
            dims,
            endpoint,
            "Dimensions",
            setup_time,
        )
    return problems


# --------------------------------------------------------------------------- inference components


def check_component_alarm(alarm: MetricAlarm, path: str, ic: InferenceComponent) -> list[Problem]:
    """An alarm of an inference component's update: the endpoint-wide series
    (EndpointName+VariantName) blends every component's requests, so it is refused while a
    neighbour's requests are not simulated (a neighbour without ``traffic``: guardsim would
    have to invent them); a per-config series does not tell the old copies from the new ones
    (one endpoint config), so it reads no data here."""
    problems: list[Problem] = []
    idle = [n.name for n in ic.neighbours if n.traffic is None]
    for sub, dims in alarm.dimension_sets():
        if COMPONENT_DIMENSION in dims:
            continue
        if "EndpointConfigName" in dims:
            problems.append(
                _warn(
                    join(path, sub),
                    "an inference component's copies are not told apart by "
                    "EndpointConfigName (the update keeps the endpoint config); guardsim binds "
                    f"no data to it: use {COMPONENT_DIMENSION}={ic.name}",
                )
            )
        elif dims and idle:
            problems.append(
                Problem(
                    join(path, sub),
                    "reads the endpoint-wide series, which also counts the neighbour "
                    f"components' requests ({', '.join(idle)}), and guardsim simulates a "
                    "neighbour's requests only when inference_component.neighbours[*].traffic "
                    f"is given: give it (rate_per_second: 0 for an idle one), or use "
                    f"{COMPONENT_DIMENSION}={ic.name} (see guardsim lint: "
                    "component-alarm-dimension)",
                )
            )
    return problems
