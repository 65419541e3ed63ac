"""Lint rules for an inference component's rolling update (the ``inference_component`` section).

Each is a pure function ``(scenario, context) -> list[Finding]`` that finds nothing for an
endpoint update; :data:`COMPONENT_RULES` gives ``(id, title, severities, check)`` for
:data:`guardsim.lint.rules.RULES`. Sources: the API
(https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_InferenceComponentRollingUpdatePolicy.html,
https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_DescribeInferenceComponent.html),
the metrics (https://docs.aws.amazon.com/sagemaker/latest/dg/monitoring-cloudwatch.html) and
Terraform's ``aws_sagemaker_inference_component``, whose create and update wait for InService
30 minutes unless its ``timeouts`` block says otherwise
(https://registry.terraform.io/providers/hashicorp/aws/latest/docs/resources/sagemaker_inference_component).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable
from typing import Any

from guardsim.deployment.components import expected_seconds, plan_component
from guardsim.lint.context import LintContext
from guardsim.lint.derived import rounded
from guardsim.lint.evidence import FAILING, FIXED, only_alarm
from guardsim.lint.findings import Finding, Severity
from guardsim.scenarios.boto import Dimension
from guardsim.scenarios.components import COMPONENT_DIMENSION
from guardsim.scenarios.scenario import Scenario

RUP = "deployment_config.RollingUpdatePolicy"
ARC = "deployment_config.AutoRollbackConfiguration"
#: Terraform's default wait for an inference component to be InService after an update.
TERRAFORM_WAIT_SECONDS = 30 * 60


def _finding(
    rule: str, severity: Severity, path: str, message: str, config: dict[str, Any], fix: str
) -> Finding:
    return Finding(rule, severity, path, message, {"config": rounded(config)}, fix)


def check_batch_stalls(scenario: Scenario, ctx: LintContext) -> list[Finding]:
    """A batch whose new copies fit on no instance and cannot get one: the update can only
    stall until MaximumExecutionTimeoutInSeconds (or forever)."""
    ic = scenario.inference_component
    if ic is None:
        return []
    plan = plan_component(ic, scenario.environment)
    stall = plan.first_stall
    if stall is None:
        return []
    scaling = ic.scaling
    limit = (
        f"managed instance scaling allows at most {ic.max_instances} instance(s)"
        if scaling
        else "managed instance scaling is off, so no instance is added"
    )
    timeout = ic.deployment_config.maximum_execution_timeout_seconds
    end = f"it times out after {timeout} s" if timeout is not None else "it never ends on its own"
    return [
        _finding(
            "component-batch-stalls",
            "error",
            f"{RUP}.MaximumBatchSize",
            f"batch {stall.index + 1} of {len(plan.batches)} needs room for {stall.copies} new "
            f"cop{'y' if stall.copies == 1 else 'ies'} of {ic.name} next to the old ones, "
            f"and {limit} of {ic.instance_type}: the update stalls and {end}",
            {
                "copies": ic.copies,
                "batch_copies": stall.copies,
                "instances": stall.instances_before,
                "max_instances": ic.max_instances,
                "managed_instance_scaling": scaling is not None,
            },
            "lower MaximumBatchSize, or enable ManagedInstanceScaling with a MaxInstanceCount "
            "that leaves room for one batch of new copies",
        )
    ]


def _dims(alarm: Any) -> list[dict[str, str]]:
    if alarm.metrics is None:
        return [alarm.dimension_map()]
    out = []
    for q in alarm.metrics:
        metric = (q.get("MetricStat") or {}).get("Metric") or {}
        if metric:
            out.append({d["Name"]: d["Value"] for d in metric.get("Dimensions", ())})
    return out


def check_alarm_dimension(scenario: Scenario, ctx: LintContext) -> list[Finding]:
    """A rollback alarm without the ``InferenceComponentName`` dimension reads the endpoint-wide
    series: every component's requests, so the neighbours' healthy traffic dilutes the new
    copies' errors (validation refuses it while a neighbour's requests are not simulated).

    With neighbours' traffic in the scenario the finding carries evidence: the failing model
    watched by that alarm alone, as configured and with the fix (its dimensions replaced by
    ``InferenceComponentName``), on the same seeds: how often each rolls it back, how often in
    the first batch, and the errors the new copies serve. It is an error when the alarm as
    configured rolls the failing model back in fewer than half the runs the fix does."""
    ic = scenario.inference_component
    if ic is None:
        return []
    out = []
    for i, alarm in enumerate(scenario.alarms):
        if alarm.name not in scenario.deployment_config.rollback_alarm_names:
            continue
        if all(COMPONENT_DIMENSION in d for d in _dims(alarm) if d):
            continue
        evidence: dict[str, Any] = {
            "config": rounded({"component": ic.name, "neighbours": len(ic.neighbours)})
        }
        message = (
            f"rollback alarm {alarm.name!r} has no {COMPONENT_DIMENSION} dimension, so it "
            "reads the endpoint's series, which counts every inference component on the "
            "endpoint: a neighbour added later dilutes the new copies' errors with its own "
            "healthy requests"
        )
        busy = ic.busy_neighbours
        severity: Severity = "warning"
        if busy and alarm.metrics is None:
            message, more = _dilution_evidence(scenario, ctx, i, alarm, busy)
            evidence |= more
            caught, caught_fixed = (
                more[k]["rolled_back_by_an_alarm"] for k in ("as_configured", "with_fix")
            )
            if 2 * caught < caught_fixed:  # the neighbours hide most of what the fix catches
                severity = "error"
        out.append(
            Finding(
                "component-alarm-dimension",
                severity,
                f"alarms[{i}].Dimensions",
                message,
                evidence,
                f"add the dimension {COMPONENT_DIMENSION}={ic.name} (and nothing else)",
            )
        )
    return out


def _dilution_evidence(
    scenario: Scenario, ctx: LintContext, index: int, alarm: Any, busy: tuple[Any, ...]
) -> tuple[str, dict[str, Any]]:
    """The message and evidence of :func:`check_alarm_dimension` when neighbours have traffic:
    the failing model against the alarm as configured and against its fix."""
    ic = scenario.inference_component
    assert ic is not None
    fixed_alarm = dataclasses.replace(alarm, dimensions=(Dimension(COMPONENT_DIMENSION, ic.name),))
    alarms = list(scenario.alarms)
    alarms[index] = fixed_alarm
    fixed = only_alarm(dataclasses.replace(scenario, alarms=tuple(alarms)), alarm.name)
    as_is = ctx.evidence.failing_only(alarm.name)
    with_fix = ctx.evidence.custom(
        f"{FIXED}{FAILING}:{alarm.name} ({COMPONENT_DIMENSION})", fixed, FAILING
    )
    own = scenario.traffic.rate_per_second
    others = sum(n.traffic.rate_per_second for n in busy if n.traffic is not None)
    share = others / (own + others) if own + others > 0 else 0.0

    def caught(r: Any) -> str:
        return (
            f"{r.alarm_rollbacks}/{r.n} runs ({r.detected_by_step(0)} in the first batch, "
            f"median {_median(r, 'green_errors')} errors served by new copies)"
        )

    names = ", ".join(n.name for n in busy)
    message = (
        f"rollback alarm {alarm.name!r} has no {COMPONENT_DIMENSION} dimension, so it reads "
        f"the endpoint's series, where the neighbours' requests ({names}: {share:.0%} of the "
        "endpoint's mean rate) dilute the new copies' errors: a model failing every request, "
        f"watched by this alarm alone, was rolled back in {caught(as_is)}; with "
        f"{COMPONENT_DIMENSION}={ic.name} in {caught(with_fix)}"
    )
    return message, {
        "config": rounded(
            {
                "component": ic.name,
                "neighbours": len(ic.neighbours),
                "neighbour_share_of_requests": share,
            }
        ),
        "as_configured": as_is.alarm_rollback_data(),
        "with_fix": with_fix.alarm_rollback_data(),
    }


def _median(result: Any, field: str) -> str:
    value = result.blast_radius_data()[field]["p50"]
    return "-" if value is None else f"{value:g}"


def check_timeout_vs_duration(scenario: Scenario, ctx: LintContext) -> list[Finding]:
    """The expected duration against MaximumExecutionTimeoutInSeconds (error) and against the
    30-minute wait of Terraform's aws_sagemaker_inference_component (warning: the apply fails
    while the update goes on)."""
    ic = scenario.inference_component
    if ic is None:
        return []
    env = scenario.environment
    expected = expected_seconds(ic, env)
    if math.isinf(expected):
        return []  # component-batch-stalls says why
    out = []
    timeout = ic.deployment_config.maximum_execution_timeout_seconds
    config = {"expected_s": expected, "timeout_s": timeout}
    if timeout is not None and expected >= timeout:
        out.append(
            _finding(
                "component-timeout",
                "error",
                f"{RUP}.MaximumExecutionTimeoutInSeconds",
                f"{timeout} s is shorter than the update's expected {expected:.0f} s "
                "(per batch: instances added, copy start, activation, the bake, old copies "
                "removed, from the environment's mean times): it times out and rolls back",
                config,
                f"raise MaximumExecutionTimeoutInSeconds to at least "
                f"{min(28800, 60 * math.ceil((expected + 300) / 60))} s",
            )
        )
    wait = ctx.tool_wait_seconds or TERRAFORM_WAIT_SECONDS  # --tool-wait-seconds, if given
    if expected > wait:
        out.append(
            _finding(
                "component-timeout",
                "warning",
                RUP,
                f"the update is expected to take {expected / 60:.0f} min; the tool applying it "
                f"waits {wait / 60:.0f} min (Terraform's aws_sagemaker_inference_component "
                "waits 30 min for InService by default), so an apply fails while SageMaker goes "
                "on updating (AWS's sample took about 31 min for 2 copies)",
                {**config, "tool_wait_s": wait},
                f'set timeouts {{ update = "{math.ceil(expected / 60) + 10}m" }} on the '
                "aws_sagemaker_inference_component",
            )
        )
    return out


def check_rollback_looks_like_success(scenario: Scenario, ctx: LintContext) -> list[Finding]:
    """InferenceComponentStatus has no RollingBack state: a rolled-back update ends InService,
    exactly as a successful one does, so a waiter (Terraform's, the SDK's) reports success."""
    ic = scenario.inference_component
    if ic is None or not scenario.deployment_config.rollback_alarm_names:
        return []
    return [
        _finding(
            "component-rollback-looks-like-success",
            "warning",
            ARC,
            f"if {ic.name}'s update rolls back it ends InService, the status a success "
            "ends in (InferenceComponentStatus has no RollingBack): a waiter or "
            "`terraform apply` reports success while every copy still runs "
            f"{ic.component.model_name}",
            {"component": ic.name, "old_model": ic.component.model_name},
            "after the update, check DescribeInferenceComponent's Specification.ModelName "
            f"(expect {ic.new_model_name}) rather than the status alone",
        )
    ]


Check = Callable[[Scenario, LintContext], list[Finding]]

COMPONENT_RULES: tuple[tuple[str, str, str, Check], ...] = (
    (
        "component-batch-stalls",
        "an inference component batch that fits on no instance and cannot get one from managed "
        "instance scaling (the update can only stall)",
        "error",
        check_batch_stalls,
    ),
    (
        "component-alarm-dimension",
        "an inference component's rollback alarm without the InferenceComponentName dimension "
        "(the neighbours' requests dilute the new copies' errors)",
        "warning; error when the simulated neighbours' traffic hides most of what the fix catches",
        check_alarm_dimension,
    ),
    (
        "component-timeout",
        "an inference component update expected to outlast MaximumExecutionTimeoutInSeconds or "
        "Terraform's 30-minute wait",
        "error: past the timeout; warning: past Terraform's wait",
        check_timeout_vs_duration,
    ),
    (
        "component-rollback-looks-like-success",
        "an inference component rollback ends InService, the status a success ends in",
        "warning",
        check_rollback_looks_like_success,
    ),
)
