"""What a real run of an inference component update will do, as data (pure).

A scenario with an ``inference_component`` section is run the way AWS documents a component's
rolling update
(https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_UpdateInferenceComponent.html,
https://docs.aws.amazon.com/sagemaker/latest/dg/realtime-endpoints-deploy-models.html):

* setup: ``CreateModel`` for the component's current model and for the new one (and one per
  neighbour's model), ``CreateEndpointConfig`` with the endpoint's own production variant (no
  ``ModelName``: it hosts components), the alarms (their ``InferenceComponentName`` dimensions
  renamed to the run's components), ``CreateEndpoint``, then ``CreateInferenceComponent`` for the
  neighbours and the component, each followed until ``InService``;
* the update: ``UpdateInferenceComponent`` with the new ``Specification.ModelName`` and the
  scenario's ``InferenceComponentDeploymentConfig`` as it is written (``COPY_COUNT`` /
  ``CAPACITY_PERCENT``), its rollback alarms renamed;
* follow ``DescribeInferenceComponent``; collect the component's metrics
  (``InferenceComponentName`` dimension) and the alarms' history;
* teardown: the components first (an endpoint's components go before it), then the endpoint,
  the alarms, the endpoint config and the models.

The real section names two containers (``real.blue``, ``real.green``); a neighbour's model runs
``real.blue``'s container (a departure from the scenario, said in the plan: the neighbours are
there for the instance capacity they take, not for what they answer).

Cost: the endpoint's instances bill from its creation to its deletion, whatever the components
do; during the update at the peak instance count the shared placement plan reaches (managed
instance scaling adding instances for the new copies), at most the scaling maximum.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from guardsim.deployment.components import expected_seconds, plan_component
from guardsim.real_backend.naming import ResourceNames, run_tags
from guardsim.scenarios.boto import thaw
from guardsim.scenarios.components import COMPONENT_DIMENSION, InferenceComponent
from guardsim.scenarios.real import Real
from guardsim.scenarios.scenario import Scenario

if TYPE_CHECKING:
    from guardsim.real_backend.plan import CostEstimate

#: Used when the DeploymentConfig sets no MaximumExecutionTimeoutInSeconds.
DEFAULT_UPDATE_LIMIT_SECONDS = 3600.0
#: Time allowed beyond MaximumExecutionTimeoutInSeconds before a run stops following the update
#: (instances added by managed scaling and the rollback may come on top of the timeout).
FOLLOW_MARGIN_SECONDS = 1800.0


def component_kwargs(raw: Any, names: ResourceNames, model: str | None = None) -> dict[str, Any]:
    """``create_inference_component`` arguments of a scenario component, renamed for the run."""
    kwargs = dict(thaw(raw))
    scenario_name = str(kwargs["InferenceComponentName"])
    kwargs["InferenceComponentName"] = names.dimension_value(COMPONENT_DIMENSION, scenario_name)
    kwargs["EndpointName"] = names.endpoint
    spec = dict(kwargs.get("Specification") or {})
    if spec.get("ModelName"):
        spec["ModelName"] = model or names.models.get(spec["ModelName"], spec["ModelName"])
    kwargs["Specification"] = spec
    kwargs["Tags"] = [*(dict(t) for t in kwargs.get("Tags") or ()), *run_tags(names.run_id)]
    return kwargs


def component_deployment_config(ic: InferenceComponent, names: ResourceNames) -> dict[str, Any]:
    """The scenario's InferenceComponentDeploymentConfig with the rollback alarms' real names."""
    config = dict(thaw(ic.raw_deployment_config))
    arc = config.get("AutoRollbackConfiguration")
    if arc and "Alarms" in arc:
        config["AutoRollbackConfiguration"] = {
            **arc,
            "Alarms": [{"AlarmName": names.alarm(a["AlarmName"])} for a in arc["Alarms"]],
        }
    return config


def update_kwargs(ic: InferenceComponent, names: ResourceNames) -> dict[str, Any]:
    """``update_inference_component`` arguments: the component's specification on the new
    model, and the DeploymentConfig."""
    spec = component_kwargs(ic.component.raw, names, names.green_model)["Specification"]
    return {
        "InferenceComponentName": names.component,
        "Specification": spec,
        "DeploymentConfig": component_deployment_config(ic, names),
    }


def endpoint_config_kwargs(ic: InferenceComponent, names: ResourceNames, real: Real | None) -> Any:
    """The endpoint's config: its production variant as written (instance type and count,
    ManagedInstanceScaling), without ``ModelName``, and an ``ExecutionRoleArn``, which an
    endpoint that hosts inference components needs
    (https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_CreateEndpointConfig.html)."""
    kwargs = ic.endpoint.to_boto()
    kwargs["EndpointConfigName"] = names.blue_config
    kwargs["ProductionVariants"] = [
        {k: v for k, v in variant.items() if k != "ModelName"}
        for variant in kwargs["ProductionVariants"]
    ]
    if "ExecutionRoleArn" not in kwargs:
        kwargs["ExecutionRoleArn"] = real.execution_role_arn if real else "${EXECUTION_ROLE_ARN}"
    kwargs["Tags"] = [*(dict(t) for t in kwargs.get("Tags") or ()), *run_tags(names.run_id)]
    return kwargs


def update_limit_seconds(ic: InferenceComponent) -> float:
    """The longest the update may take before SageMaker's own timeout acts."""
    policy = ic.deployment_config.rolling
    assert policy is not None
    limit = policy.maximum_execution_timeout_seconds
    return float(limit) if limit is not None else DEFAULT_UPDATE_LIMIT_SECONDS


def follow_timeout_seconds(ic: InferenceComponent) -> float:
    return update_limit_seconds(ic) + FOLLOW_MARGIN_SECONDS


def component_cost(scenario: Scenario) -> CostEstimate:
    """The instance cost of a component run, expected and at most."""
    from guardsim.real_backend.plan import CostEstimate, cost_footnotes, pacing

    ic = scenario.inference_component
    assert ic is not None
    env = scenario.environment
    price = env.price_per_hour(ic.instance_type)
    plan = plan_component(ic, env)
    n, peak, most = ic.instance_count, plan.peak_instances, ic.max_instances
    rate, _, warmup, cooldown, _ = pacing(scenario)
    create = env.provisioning_seconds.mean + env.copy_start_seconds.mean
    delete = 2 * env.termination_seconds.mean  # the components, then the endpoint
    expected_update = expected_seconds(ic, env)
    max_update = follow_timeout_seconds(ic)
    stalls = math.isinf(expected_update)
    if stalls:  # the update can only stall: it runs to its limit
        expected_update = max_update

    def total(update: float, during: int) -> tuple[float, float, float]:
        seconds = create + warmup + update + cooldown + delete
        hours = (n * (create + warmup + cooldown + delete) + during * update) / 3600.0
        return seconds, hours * price, hours

    expected, at_most = total(expected_update, peak), total(max_update, most)
    (exp_s, exp_usd, exp_h), (_, max_usd, max_h) = expected, at_most
    lines = [
        f"endpoint {n} x {ic.instance_type} at ${price:.3f}/h, "
        + (
            f"managed instance scaling up to {most}"
            if ic.scaling is not None
            else "no managed instance scaling"
        )
        + f"; component {ic.name}: {ic.copies} copy(ies)",
        f"expected: ~{exp_s / 60:.0f} min in all (endpoint and copies ~{create / 60:.0f} min, "
        f"warm-up {warmup / 60:.0f} min, update ~{expected_update / 60:.0f} min on up to "
        f"{peak} instance(s), cool-down {cooldown / 60:.0f} min, teardown "
        f"~{delete / 60:.0f} min): {exp_h:.2f} instance-hours, about ${exp_usd:.2f}",
        f"at most: the update runs to its limit ({max_update / 60:.0f} min) on {most} "
        f"instance(s) before guardsim tears down: {max_h:.2f} instance-hours, about "
        f"${max_usd:.2f}",
    ]
    if stalls:
        lines.append(
            "the placement plan says the update stalls (no room for a batch's new copies even "
            "with managed scaling): expected = at most"
        )
    lines += cost_footnotes(scenario, [] if env.has_price(ic.instance_type) else [ic.instance_type])
    invocations = round(rate * (warmup + expected_update + cooldown))
    return CostEstimate.of(expected, at_most, invocations, lines)


def component_calls(scenario: Scenario, names: ResourceNames, add: Any) -> None:
    """Every AWS call of a component run, in order, through ``add(stage, service, method,
    note, **params)`` (:func:`guardsim.real_backend.plan.plan_run`'s)."""
    from guardsim.real_backend.plan import (
        _model_kwargs,
        alarm_history_calls,
        pacing,
        real_alarm_kwargs,
        teardown_calls,
    )

    ic = scenario.inference_component
    assert ic is not None
    real = scenario.real
    run_id = names.run_id
    rate, poll, warmup, cooldown, content_type = pacing(scenario)
    alarm_kwargs = [real_alarm_kwargs(a, names) for a in scenario.alarms]
    real_alarms = [k["AlarmName"] for k in alarm_kwargs]
    old, new = ic.component.model_name, ic.new_model_name

    add(
        "setup",
        "sagemaker",
        "create_model",
        f"the component's current model ({old})",
        **_model_kwargs(names.blue_model, real, "blue", run_id),
    )
    add(
        "setup",
        "sagemaker",
        "create_model",
        f"the new model ({new})",
        **_model_kwargs(names.green_model, real, "green", run_id),
    )
    done = {names.blue_model, names.green_model}
    for n in ic.neighbours:
        model = names.models[n.model_name]
        if model not in done:
            done.add(model)
            add(
                "setup",
                "sagemaker",
                "create_model",
                f"neighbour {n.name}'s model ({n.model_name}), on real.blue's container",
                **_model_kwargs(model, real, "blue", run_id),
            )
    add(
        "setup",
        "sagemaker",
        "create_endpoint_config",
        "endpoint.blue (hosts the components)",
        **endpoint_config_kwargs(ic, names, real),
    )
    for kwargs in alarm_kwargs:
        add("setup", "cloudwatch", "put_metric_alarm", "alarms[]", **kwargs)
    add(
        "setup",
        "sagemaker",
        "create_endpoint",
        "on the endpoint's config",
        EndpointName=names.endpoint,
        EndpointConfigName=names.blue_config,
        Tags=run_tags(run_id),
    )
    add(
        "setup",
        "sagemaker",
        "describe_endpoint",
        f"every {poll:g} s until InService (Failed stops the run)",
        EndpointName=names.endpoint,
    )
    for n in ic.neighbours:
        add(
            "setup",
            "sagemaker",
            "create_inference_component",
            "inference_component.neighbours[] (their copies take instance capacity)",
            **component_kwargs(n.raw, names),
        )
    add(
        "setup",
        "sagemaker",
        "create_inference_component",
        "inference_component.component",
        **component_kwargs(ic.component.raw, names),
    )
    add(
        "setup",
        "sagemaker",
        "describe_inference_component",
        f"each component every {poll:g} s until InService (Failed stops the run)",
        InferenceComponentName=names.component,
    )
    invoke = {
        "EndpointName": names.endpoint,
        "InferenceComponentName": names.component,
        "ContentType": content_type,
        "Body": "<a line of real.payload_file>",
    }
    add(
        "warm-up",
        "sagemaker-runtime",
        "invoke_endpoint",
        f"{rate:g} request(s)/s for {warmup:g} s (real.warmup_seconds), bodies from "
        "real.payload_file in turn",
        **invoke,
    )
    add(
        "update",
        "sagemaker",
        "list_tags",
        f"refuse to update unless tagged guardsim:run-id={run_id}",
        ResourceArn="<InferenceComponentArn>",
    )
    add(
        "update",
        "sagemaker",
        "update_inference_component",
        "the deployment under test",
        **update_kwargs(ic, names),
    )
    add(
        "follow",
        "sagemaker",
        "describe_inference_component",
        f"every {poll:g} s until the update ends; InferenceComponentStatus, "
        "Specification.ModelName, RuntimeConfig copy counts and FailureReason are recorded "
        "(a rollback ends InService on the old model: there is no RollingBack status)",
        InferenceComponentName=names.component,
    )
    add(
        "follow",
        "sagemaker-runtime",
        "invoke_endpoint",
        f"{rate:g} request(s)/s all along, then {cooldown:g} s more (real.cooldown_seconds)",
        **invoke,
    )
    add(
        "collect",
        "cloudwatch",
        "get_metric_data",
        f"7 invocation metrics x {{{COMPONENT_DIMENSION}}}, Period 60, from the setup to the end",
        MetricDataQueries="<one query per metric and statistic>",
        StartTime="<setup start>",
        EndTime="<end>",
    )
    alarm_history_calls(
        add,
        real_alarms,
        "state changes (when a rollback alarm went to ALARM: the rollback's start)",
    )
    for component in (names.component, *names.neighbours.values()):
        add(
            "teardown",
            "sagemaker",
            "delete_inference_component",
            "after describe_inference_component + list_tags show the run tag; then until "
            "it is gone",
            InferenceComponentName=component,
        )
    teardown_calls(
        add,
        names,
        real_alarms,
        (names.blue_config,),
        tuple(reversed(list(dict.fromkeys(names.models.values())))),
    )


__all__ = [
    "component_calls",
    "component_cost",
    "component_deployment_config",
    "component_kwargs",
    "follow_timeout_seconds",
    "update_kwargs",
]
