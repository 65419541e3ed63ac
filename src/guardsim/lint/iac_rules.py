"""Lint rules about how a guardrail is declared, and about count alarms on the blended metric.

The ``iac-*`` rules read the :class:`~guardsim.scenarios.iac.source.IacOrigin` of a scenario
read from CloudFormation or Terraform (they find nothing for a scenario file); each names the
IaC path and line through the finding's location. ``percent-rounding``, ``blended-count`` and
``error-sample-count`` apply to every scenario. Sources:

* Terraform's ``aws_sagemaker_endpoint`` validates both execution timeouts to 600-14400 s while
  the API allows 28800 s, and ``auto_rollback_configuration`` is ForceNew; its
  ``aws_sagemaker_inference_component`` never reads ``deployment_config`` back and sends it only
  when that block changes; the in-service waiter's default timeout is 30 minutes
  (https://registry.terraform.io/providers/hashicorp/aws/latest/docs/resources/sagemaker_endpoint,
  https://registry.terraform.io/providers/hashicorp/aws/latest/docs/resources/sagemaker_inference_component);
  an endpoint's create or update waits a fixed 60 minutes for InService (``waitEndpointInService``
  in https://github.com/hashicorp/terraform-provider-aws/blob/main/internal/service/sagemaker/endpoint.go;
  the resource has no ``timeouts`` block);
* CloudFormation waits on the endpoint itself, but the command that drives it gives up: the AWS
  CLI's ``aws cloudformation deploy`` polls 720 x 5 s and ``aws cloudformation wait
  stack-update-complete`` uses botocore's ``StackUpdateComplete`` waiter, 120 x 30 s: both 60
  minutes (https://docs.aws.amazon.com/cli/latest/reference/cloudformation/wait/stack-update-complete.html).
  A pipeline with another limit states it with ``guardsim lint --tool-wait-seconds``;
* CloudFormation marks the inference component's ``MaximumBatchSize`` and
  ``WaitIntervalInSeconds`` "Required: No"
  (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-properties-sagemaker-inferencecomponent-inferencecomponentrollingupdatepolicy.html)
  while the API requires both
  (https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_InferenceComponentRollingUpdatePolicy.html);
* SageMaker's invocation error metrics are 1 or 0 per request, so their SampleCount is the
  request count (https://docs.aws.amazon.com/sagemaker/latest/dg/monitoring-cloudwatch.html);
* CloudWatch treats missing data as ``missing`` when ``TreatMissingData`` is not set
  (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/AlarmThatSendsEmail.html#alarms-and-missing-data).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Mapping
from typing import Any

from guardsim.cloudwatch.statistics import StatisticKind
from guardsim.lint.context import LintContext
from guardsim.lint.derived import AlarmFacts, error_fraction, requests_per_period, steady_fleet
from guardsim.lint.evidence import FAILING, HEALTHY
from guardsim.lint.findings import Finding, Severity
from guardsim.lint.rules import (
    _SYMBOL,
    ARC,
    BG,
    RP,
    TRC,
    Rule,
    _deployment_quantiles,
    _finding,
    _of,
    _pct,
    _simulated,
)
from guardsim.scenarios.boto import Dimension, MetricAlarm
from guardsim.scenarios.iac.build import HYPERPOD_PERCENT
from guardsim.scenarios.iac.source import IC_PREFIX
from guardsim.scenarios.scenario import Scenario
from guardsim.scenarios.validation import PERCENT_LIMITS

#: Terraform's validation of both endpoint execution timeouts (the API allows 28800 s).
TERRAFORM_TIMEOUT_MAX = 14400
#: The provider's default create/update timeout of an inference component (30 minutes).
TERRAFORM_IC_WAIT_SECONDS = 1800
#: How long each tool waits for an endpoint update before it reports failure (the update goes on
#: in SageMaker): Terraform's fixed 60-minute in-service wait; the AWS CLI's 60-minute stack waits.
ENDPOINT_TOOL_WAIT_SECONDS = {"terraform": 3600, "cloudformation": 3600}
_TOOL_WAITER = {
    "terraform": "terraform apply (the AWS provider waits a fixed 60 minutes for InService)",
    "cloudformation": "aws cloudformation deploy / wait stack-update-complete (60 minutes)",
}


def _tf(scenario: Scenario) -> bool:
    return scenario.origin is not None and scenario.origin.tool == "terraform"


# --------------------------------------------------------------------------- Terraform


def check_terraform_timeout_cap(scenario: Scenario, ctx: LintContext) -> list[Finding]:
    if not _tf(scenario):
        return []
    dc = scenario.deployment_config
    out = []
    for path, value in (
        (
            f"{BG}.MaximumExecutionTimeoutInSeconds",
            dc.blue_green.maximum_execution_timeout_seconds if dc.blue_green else None,
        ),
        (
            f"{RP}.MaximumExecutionTimeoutInSeconds",
            dc.rolling.maximum_execution_timeout_seconds if dc.rolling else None,
        ),
    ):
        if value is not None and value > TERRAFORM_TIMEOUT_MAX:
            out.append(
                _finding(
                    "iac-terraform-timeout-cap",
                    "error",
                    path,
                    f"maximum_execution_timeout_in_seconds = {value}: the AWS provider accepts "
                    f"600-{TERRAFORM_TIMEOUT_MAX} s, so terraform plan rejects it, although "
                    "the SageMaker API allows up to 28800 s",
                    config={
                        "value": value,
                        "provider_max": TERRAFORM_TIMEOUT_MAX,
                        "api_max": 28800,
                    },
                    fix=f"use at most {TERRAFORM_TIMEOUT_MAX} s in Terraform, or set the timeout "
                    "outside Terraform (UpdateEndpoint)",
                )
            )
    return out


def check_rollback_alarms_force_new(scenario: Scenario, ctx: LintContext) -> list[Finding]:
    if not _tf(scenario) or not scenario.deployment_config.rollback_alarm_names:
        return []
    names = list(scenario.deployment_config.rollback_alarm_names)
    return [
        _finding(
            "iac-rollback-alarms-force-new",
            "warning",
            ARC,
            "auto_rollback_configuration is ForceNew in the AWS provider: adding, removing or "
            "renaming a rollback alarm plans a replacement of the endpoint (a new endpoint, no "
            "guardrail for that change), not a guarded update",
            config={"rollback_alarms": names},
            fix="keep the alarm names stable (change thresholds on the alarm resources, which "
            "update in place); when the list must change, expect and review the replacement "
            "in the plan",
        )
    ]


def _ic_path(resource: str, api: str) -> str:
    return f"{IC_PREFIX}{resource}.DeploymentConfig" + (f".{api}" if api else "")


def check_ic_config_not_resent(scenario: Scenario, ctx: LintContext) -> list[Finding]:
    if not _tf(scenario) or scenario.origin is None:
        return []
    return [
        _finding(
            "iac-ic-config-not-resent",
            "warning",
            _ic_path(ic.resource, ""),
            f"{ic.resource}: the AWS provider never reads deployment_config back and sends it "
            "only when that block itself changes: a later change to the specification alone "
            "is applied without this rolling policy or its rollback alarms, and drift is "
            "never detected",
            config={"resource": ic.resource},
            fix="change something in deployment_config together with every specification "
            "change (or taint the block), and check the update with "
            "'guardsim real verify' afterwards",
        )
        for ic in scenario.origin.inference_components
        if ic.config is not None
    ]


# --------------------------------------------------------------------------- inference components


def check_ic_required_by_api(scenario: Scenario, ctx: LintContext) -> list[Finding]:
    if scenario.origin is None:
        return []
    out = []
    for ic in scenario.origin.inference_components:
        if ic.config is None:
            continue
        rolling = ic.config.get("RollingUpdatePolicy")
        missing = (
            ["RollingUpdatePolicy"]
            if not isinstance(rolling, Mapping)
            else [k for k in ("MaximumBatchSize", "WaitIntervalInSeconds") if k not in rolling]
        )
        for key in missing:
            api = key if key == "RollingUpdatePolicy" else f"RollingUpdatePolicy.{key}"
            out.append(
                _finding(
                    "iac-required-by-api",
                    "error",
                    _ic_path(ic.resource, api),
                    f"{ic.resource}: {api} is missing; the IaC schema accepts that (CloudFormation "
                    "marks it Required: No) but UpdateInferenceComponent rejects a "
                    "DeploymentConfig without it",
                    config={"resource": ic.resource, "missing": api},
                    fix=f"set {api} (e.g. MaximumBatchSize {{Type: COPY_COUNT, Value: 1}}, "
                    "WaitIntervalInSeconds 300)",
                )
            )
    return out


def _types(node: Any, path: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    if isinstance(node, Mapping):
        for k, v in node.items():
            sub = f"{path}.{k}" if path else k
            if k == "Type" and isinstance(v, str):
                out.append((sub, v))
            else:
                out.extend(_types(v, sub))
    return out


def check_capacity_percentage(scenario: Scenario, ctx: LintContext) -> list[Finding]:
    if scenario.origin is None:
        return []
    out = []
    for ic in scenario.origin.inference_components:
        for api, value in _types(ic.config or {}, ""):
            if value == HYPERPOD_PERCENT:
                out.append(
                    _finding(
                        "iac-capacity-percentage",
                        "error",
                        _ic_path(ic.resource, api),
                        f"{ic.resource}: {api} = {HYPERPOD_PERCENT} is HyperPod's spelling "
                        "(UpdateClusterSoftware); inference components take CAPACITY_PERCENT "
                        "or COPY_COUNT, so the update is rejected",
                        config={"resource": ic.resource, "value": value},
                        fix="use CAPACITY_PERCENT",
                    )
                )
    return out


def _both(
    *checks: Callable[[Scenario, LintContext], list[Finding]],
) -> Callable[[Scenario, LintContext], list[Finding]]:
    """One rule id checked by several functions (their findings, in order)."""

    def check(scenario: Scenario, ctx: LintContext) -> list[Finding]:
        return [f for c in checks for f in c(scenario, ctx)]

    return check


def check_ic_timeout_vs_wait(scenario: Scenario, ctx: LintContext) -> list[Finding]:
    if not _tf(scenario) or scenario.origin is None:
        return []
    out = []
    for ic in scenario.origin.inference_components:
        rolling = (ic.config or {}).get("RollingUpdatePolicy")
        if not isinstance(rolling, Mapping):
            continue
        timeout = rolling.get("MaximumExecutionTimeoutInSeconds")
        wait = rolling.get("WaitIntervalInSeconds")
        if isinstance(timeout, int) and timeout > TERRAFORM_IC_WAIT_SECONDS:
            out.append(
                _finding(
                    "iac-timeout-vs-tool-wait",
                    "warning",
                    _ic_path(ic.resource, "RollingUpdatePolicy.MaximumExecutionTimeoutInSeconds"),
                    f"{ic.resource}: the rolling update may run {timeout} s, longer than the "
                    f"provider's default wait of {TERRAFORM_IC_WAIT_SECONDS} s: terraform apply "
                    "gives up while SageMaker is still updating (or rolling back)",
                    config={"timeout": timeout, "terraform_wait": TERRAFORM_IC_WAIT_SECONDS},
                    fix=f'set timeouts {{ update = "{math.ceil(timeout / 60) + 10}m" }} on '
                    "the resource",
                )
            )
        if isinstance(timeout, int) and isinstance(wait, int) and timeout < wait:
            out.append(
                _finding(
                    "iac-timeout-vs-tool-wait",
                    "error",
                    _ic_path(ic.resource, "RollingUpdatePolicy.MaximumExecutionTimeoutInSeconds"),
                    f"{ic.resource}: MaximumExecutionTimeoutInSeconds {timeout} is shorter "
                    f"than one WaitIntervalInSeconds {wait}: every update times out",
                    config={"timeout": timeout, "wait": wait},
                    fix=f"raise the timeout above the waits (at least {wait + 600} s)",
                )
            )
    return out


def _minutes(seconds: float) -> str:
    return f"{seconds / 60:.0f} min"


def check_endpoint_timeout_vs_tool_wait(scenario: Scenario, ctx: LintContext) -> list[Finding]:
    """The endpoint update against the wait of the tool that applies it: the tool gives up (and
    the pipeline fails) while SageMaker goes on updating or rolling back."""
    origin = scenario.origin
    if origin is None:
        return []
    tool = origin.tool
    given = ctx.tool_wait_seconds
    wait = given if given is not None else ENDPOINT_TOOL_WAIT_SECONDS[tool]
    waiter = (
        f"the pipeline's wait of {wait} s (--tool-wait-seconds)"
        if given is not None
        else _TOOL_WAITER[tool]
    )
    timeout = ctx.config.maximum_execution_timeout_seconds
    h, f = ctx.evidence.healthy, ctx.evidence.failing
    healthy = _deployment_quantiles(h)
    failing = _deployment_quantiles(f)
    median, p95 = healthy.get("p50"), healthy.get("p95")
    longest = max((v for v in (p95, failing.get("p95")) if v is not None), default=None)
    rolling = ctx.config.rolling is not None
    path = f"{RP if rolling else BG}.MaximumExecutionTimeoutInSeconds"
    severity: Severity
    if median is not None and median > wait:
        severity = "error"
        why = (
            f"a healthy update takes about {_minutes(median)} (median of {h.n} simulated "
            f"runs), longer than {waiter}: most applies report failure while the update is "
            "still running"
        )
    elif longest is not None and longest > wait:
        severity = "warning"
        why = (
            f"the slowest updates (p95 {_minutes(longest)}, healthy or rolling back) outlast "
            f"{waiter}"
        )
    elif timeout is not None and timeout > wait:
        severity = "warning"
        why = (
            f"MaximumExecutionTimeoutInSeconds {timeout} s lets the update run longer than {waiter}"
        )
    else:
        return []
    need = max(v for v in (timeout, longest, median) if v is not None)
    return [
        _finding(
            "iac-timeout-vs-tool-wait",
            severity,
            path,
            f"{why}; the tool then reports the update as failed (or times out) while SageMaker "
            "goes on and may still succeed or roll back, so the pipeline's view and the "
            "endpoint disagree",
            config={"tool": tool, "tool_wait_s": wait, "timeout_s": timeout},
            simulated=_simulated(h, runs=h.n, healthy_s=healthy, failing_s=failing),
            fix=(
                f"keep the update within {wait} s (a shorter bake or larger steps), or wait "
                f"longer outside the tool: e.g. guardsim real verify after the apply, with a "
                f"wait of at least {math.ceil(need / 60) + 10} minutes"
            ),
        )
    ]


# --------------------------------------------------------------------------- declarations


def check_treat_missing_data_unset(scenario: Scenario, ctx: LintContext) -> list[Finding]:
    origin = scenario.origin
    if origin is None:
        return []
    out = []
    first = ctx.first
    for a in ctx.alarms:
        if origin.given(f"{a.path}.TreatMissingData"):
            continue
        per_period = ctx.requests(a, first) if first is not None else None
        out.append(
            _finding(
                "iac-treat-missing-data-unset",
                "warning",
                a.path,
                f"alarm {a.name!r} leaves TreatMissingData unset, so CloudWatch treats a "
                "period without data as 'missing': the alarm keeps its state through silent "
                "periods and the choice is left to a default nobody wrote down",
                config={
                    "treat_missing_data": "missing (default)",
                    "requests_per_period_first_bake": per_period,
                },
                fix="set TreatMissingData explicitly: notBreaching for an error alarm (no "
                "requests, no errors), or breaching only where silence itself is a failure",
            )
        )
    return out


def check_parameter_range(scenario: Scenario, ctx: LintContext) -> list[Finding]:
    origin = scenario.origin
    if origin is None:
        return []
    out = []
    for p in origin.parameters:
        limits = next(
            (
                lim
                for size, lim in PERCENT_LIMITS.items()
                if p.scenario_path.endswith(f"{size}.Value")
            ),
            None,
        )
        if limits is None:
            continue
        type_path = p.scenario_path.rsplit(".", 1)[0] + ".Type"
        if _value_at(scenario, type_path) != "CAPACITY_PERCENT":
            continue
        low, high = max(limits[0], 1.0), limits[1]  # Value is a whole number >= 1
        if p.allowed is not None:
            bad = [v for v in p.allowed if not low <= v <= high]
        else:
            bad = []
            if p.maximum is None or p.maximum > high:
                bad.append(p.maximum if p.maximum is not None else math.inf)
            if p.minimum is None or p.minimum < low:
                bad.append(p.minimum if p.minimum is not None else -math.inf)
        if not bad:
            continue
        admitted = (
            f"AllowedValues {list(p.allowed)}"
            if p.allowed is not None
            else f"MinValue {p.minimum}, MaxValue {p.maximum}"
        )
        out.append(
            _finding(
                "iac-parameter-range",
                "warning",
                p.scenario_path,
                f"parameter {p.name} feeds {p.scenario_path.split('.')[-2]}.Value but admits "
                f"values SageMaker rejects ({admitted}; valid: {low:g}-{high:g}%): a stack "
                "update with such a value fails only at deployment",
                config={
                    "parameter": p.name,
                    "valid": [low, high],
                    "allowed": list(p.allowed) if p.allowed is not None else None,
                    "min": p.minimum,
                    "max": p.maximum,
                },
                fix=f"give {p.name} MinValue {low:g} and MaxValue {high:g} (or AllowedValues "
                "inside that range)",
            )
        )
    return out


def _value_at(scenario: Scenario, path: str) -> Any:
    node: Any = scenario.to_dict()
    for part in path.split("."):
        if not isinstance(node, Mapping) or part not in node:
            return None
        node = node[part]
    return node


def check_percent_rounding(scenario: Scenario, ctx: LintContext) -> list[Finding]:
    bg = ctx.config.blue_green
    n = scenario.endpoint.green.instance_count
    sizes = []
    if bg is not None and bg.traffic_routing.canary_size is not None:
        sizes.append((f"{TRC}.CanarySize", bg.traffic_routing.canary_size))
    if bg is not None and bg.traffic_routing.linear_step_size is not None:
        sizes.append((f"{TRC}.LinearStepSize", bg.traffic_routing.linear_step_size))
    if ctx.config.rolling is not None:
        sizes.append((f"{RP}.MaximumBatchSize", ctx.config.rolling.maximum_batch_size))
    first = next((s for s in ctx.steps if not s.is_final), None)
    if first is None:
        return []
    out = []
    for path, size in sizes[:1]:
        if size.type != "CAPACITY_PERCENT":
            continue
        asked = size.value / 100.0
        got = first.green_instances / first.total
        if got < 1.5 * asked and got > asked / 1.5:
            continue
        out.append(
            _finding(
                "percent-rounding",
                "warning",
                f"{path}.Value",
                f"{size.value}% of {n} instances is {first.green_instances} instance(s) "
                f"(environment.percent_rounding={scenario.environment.percent_rounding}): the "
                f"first step puts {_pct(got)} of the traffic on the new fleet, not "
                f"{size.value}%",
                config={
                    "percent": size.value,
                    "instances": n,
                    "green_instances": first.green_instances,
                    "traffic_share": got,
                },
                fix=f"use INSTANCE_COUNT {first.green_instances} to say what happens, or more "
                f"instances so that {size.value}% is a whole number of them",
            )
        )
    return out


# --------------------------------------------------------------------------- count alarms


def _fixed_alarm(alarm: MetricAlarm, green: str) -> MetricAlarm:
    dims = tuple(d for d in alarm.dimensions or () if d.name != "EndpointConfigName")
    return dataclasses.replace(alarm, dimensions=(*dims, Dimension("EndpointConfigName", green)))


def _with_alarm(scenario: Scenario, index: int, alarm: MetricAlarm) -> Scenario:
    alarms = list(scenario.alarms)
    alarms[index] = alarm
    return dataclasses.replace(scenario, alarms=tuple(alarms))


def _count_threshold(a: AlarmFacts) -> int | None:
    """The smallest whole count that breaches a Greater alarm (None for other operators)."""
    if a.operator == "GreaterThanOrEqualToThreshold":
        return max(0, math.ceil(a.threshold))
    if a.operator == "GreaterThanThreshold":
        return max(0, math.floor(a.threshold) + 1)
    return None


def _p_poisson_at_least(k: int, mean: float) -> float:
    if k <= 0:
        return 1.0
    term = math.exp(-mean)
    below = term
    for i in range(1, k):
        term *= mean / i
        below += term
    return max(0.0, 1.0 - below)


def check_blended_count(scenario: Scenario, ctx: LintContext) -> list[Finding]:
    out = []
    first = ctx.first
    for a in ctx.alarms:
        src = a.single
        if (
            src is None
            or not src.blended
            or src.kind is not StatisticKind.SUM
            or src.metric
            not in ("Invocation5XXErrors", "Invocation4XXErrors", "InvocationModelErrors")
            or first is None
        ):
            continue
        k = _count_threshold(a)
        if k is None:
            continue
        b = error_fraction(steady_fleet(scenario), src.metric)
        blue_requests = requests_per_period(scenario, ("blue",), first, a.period)
        green_requests = requests_per_period(scenario, ("green",), first, a.period)
        blue_errors = b * blue_requests
        p_period = _p_poisson_at_least(k, blue_errors)
        green_name = scenario.endpoint.green.name
        fixed = _with_alarm(scenario, a.index, _fixed_alarm(a.alarm, green_name))
        h = ctx.evidence.healthy
        tripped = h.trips().get(a.name, 0)
        h_fixed = ctx.evidence.custom(f"fixed:{HEALTHY}:{a.name}", fixed, HEALTHY)
        f_fixed = ctx.evidence.custom(f"fixed:{FAILING}:{a.name}", fixed, FAILING)
        tripped_fixed = h_fixed.trips().get(a.name, 0)
        caught_fixed = f_fixed.alarm_rollbacks
        # dilution of a count: a model failing every request adds at most green's requests
        diluted = green_requests < k
        if b > 0 and tripped * 2 >= h.n:
            severity: Severity = "error"
        elif (b > 0 and (tripped > 0 or p_period >= 0.01)) or k <= 1 or diluted:
            severity = "warning"
        else:
            continue
        if b > 0:
            head = (
                f"alarm {a.name!r} counts {src.metric} (Sum {_SYMBOL[a.operator]} "
                f"{a.threshold:g}) on the blended EndpointName+VariantName metric, so the old "
                f"fleet's own errors count: at its error rate {b:.3g} it serves about "
                f"{blue_requests:.3g} requests per {a.period} s period during the "
                f"{first.label}, {blue_errors:.3g} errors on average, and a period reaches "
                f"{k} error(s) with probability {_pct(p_period)}; a healthy model was rolled "
                f"back by it in {_of(tripped, h.n)} runs"
            )
        else:
            head = (
                f"alarm {a.name!r} trips on {k} {src.metric} in one period of the blended "
                "EndpointName+VariantName metric: a single error from either fleet, the old "
                "one included, rolls the deployment back (the scenario's old model has no "
                "errors, so the evidence shows none; give models.blue.error_rate_5xx)"
            )
        if diluted:
            head += (
                f". During the {first.label} the new fleet serves about {green_requests:.3g} "
                f"requests per period, fewer than the {k} errors the alarm needs: even a model "
                "failing every request trips it there only with the old fleet's errors"
            )
        message = (
            f"{head}. With the fix (EndpointConfigName = {green_name}) a healthy model was "
            f"rolled back in {_of(tripped_fixed, h_fixed.n)} runs and the failing model was "
            f"still rolled back in {_of(caught_fixed, f_fixed.n)}."
        )
        out.append(
            _finding(
                "blended-count",
                severity,
                f"{a.path}.Dimensions",
                message,
                config={
                    "statistic": "Sum",
                    "breaching_count": k,
                    "blue_error_fraction": b,
                    "blue_requests_per_period_first_bake": blue_requests,
                    "green_requests_per_period_first_bake": green_requests,
                    "p_period_breaches_from_old_fleet": p_period,
                },
                simulated=_simulated(
                    h,
                    runs=h.n,
                    healthy_tripped_this_alarm=tripped,
                    fixed_alarm={
                        "dimensions": f"EndpointName+VariantName+EndpointConfigName={green_name}",
                        "healthy": h_fixed.alarm_rollback_data(),
                        "failing": f_fixed.alarm_rollback_data(),
                    },
                ),
                fix=f"add {{Name: EndpointConfigName, Value: {green_name}}} to the alarm's "
                "Dimensions so the old fleet's errors do not count (SageMaker publishes "
                "per-config metrics for each fleet)",
            )
        )
    return out


def check_error_sample_count(scenario: Scenario, ctx: LintContext) -> list[Finding]:
    out = []
    for a in ctx.alarms:
        src = a.single
        if src is None or src.kind is not StatisticKind.SAMPLE_COUNT:
            continue
        if src.metric not in (
            "Invocation5XXErrors",
            "Invocation4XXErrors",
            "InvocationModelErrors",
        ):
            continue
        out.append(
            _finding(
                "error-sample-count",
                "error",
                f"{a.path}.Statistic",
                f"alarm {a.name!r} uses SampleCount of {src.metric}: SageMaker publishes a 0 or "
                "1 for every request, so SampleCount counts requests, errors or not; the alarm "
                "watches traffic, not errors",
                config={"statistic": "SampleCount", "metric": src.metric},
                fix=f"use Statistic Sum (errors per period) or Average (the error fraction) of "
                f"{src.metric}",
            )
        )
    return out


IAC_RULES: tuple[Rule, ...] = (
    Rule(
        "percent-rounding",
        "a percentage canary/linear/batch size that rounds to a different share of a small "
        "fleet (10% of 3 instances is 1 instance, 33% of traffic)",
        "warning: the first step's traffic share is 1.5x off the percentage or more",
        check_percent_rounding,
    ),
    Rule(
        "blended-count",
        "a Sum (count) alarm of errors on the blended EndpointName+VariantName metric: the old "
        "fleet's errors count, and one error may trip it",
        "error: the old fleet alone rolls back half of the healthy runs; warning: it trips "
        "sometimes, or a single error trips it",
        check_blended_count,
    ),
    Rule(
        "error-sample-count",
        "SampleCount of a 0/1 error metric, which counts requests rather than errors",
        "error",
        check_error_sample_count,
    ),
    Rule(
        "iac-terraform-timeout-cap",
        "a MaximumExecutionTimeoutInSeconds above 14400 s, which Terraform's provider rejects",
        "error",
        check_terraform_timeout_cap,
    ),
    Rule(
        "iac-rollback-alarms-force-new",
        "Terraform replaces the endpoint when its rollback alarm list changes (ForceNew)",
        "warning",
        check_rollback_alarms_force_new,
    ),
    Rule(
        "iac-ic-config-not-resent",
        "Terraform sends an inference component's deployment_config only when that block changes",
        "warning",
        check_ic_config_not_resent,
    ),
    Rule(
        "iac-required-by-api",
        "an inference component's rolling policy without fields the API requires "
        "(optional in the IaC schema)",
        "error",
        check_ic_required_by_api,
    ),
    Rule(
        "iac-capacity-percentage",
        "CAPACITY_PERCENTAGE (HyperPod's spelling) where SageMaker takes CAPACITY_PERCENT",
        "error",
        check_capacity_percentage,
    ),
    Rule(
        "iac-treat-missing-data-unset",
        "a rollback alarm declared without TreatMissingData",
        "warning",
        check_treat_missing_data_unset,
    ),
    Rule(
        "iac-parameter-range",
        "a CloudFormation parameter feeding a canary/linear/batch percentage whose allowed "
        "range admits values SageMaker rejects",
        "warning",
        check_parameter_range,
    ),
    Rule(
        "iac-timeout-vs-tool-wait",
        "an endpoint update or inference component that can outlast the wait of the tool "
        "applying it (Terraform, the AWS CLI's CloudFormation waits, or --tool-wait-seconds), "
        "or a component's timeout shorter than its wait",
        "error: a healthy update outlasts the wait, or a component's timeout is shorter than "
        "one wait; warning: the slowest updates or the timeout outlast the wait",
        _both(check_ic_timeout_vs_wait, check_endpoint_timeout_vs_tool_wait),
    ),
)
