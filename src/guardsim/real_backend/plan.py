"""What a real run will do, as data: every AWS call in order with its parameters, and its cost.

:func:`plan_run` is pure: it needs no credentials and no network, so ``guardsim real plan``
works anywhere. ``guardsim real run`` executes the very same setup and update calls (it reads
them from the plan), so what the plan shows is what runs.

The scenario's boto3 shapes are used as they are, with two changes, both shown in the plan:
every name gets the run's prefix (``guardsim-<run id>-``) and every resource the run's tag
(``guardsim:run-id=<run id>``); alarm dimensions and ``AutoRollbackConfiguration`` follow the
renamed endpoint, configs and alarms.

Cost (see aws-model.md#billing, #blue-green-rollback): blue/green deployments bill **both fleets for
the whole update**; the estimate adds the setup (creating the blue endpoint, the warm-up) and the
cool-down, at the scenario's instance prices (``environment.instance_prices_usd_per_hour`` or the
built-in table of approximate us-east-1 on-demand prices).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields, replace
from typing import Any, Literal

from guardsim.deployment.plan import plan_steps
from guardsim.errors import UnsupportedError
from guardsim.real_backend.naming import ResourceNames, run_tags
from guardsim.real_backend.teardown import CREATES, Resource, lookup_call
from guardsim.scenarios.boto import MetricAlarm, freeze, thaw
from guardsim.scenarios.real import Real
from guardsim.scenarios.scenario import Scenario

Stage = Literal["check", "setup", "warm-up", "update", "follow", "collect", "teardown"]

#: Time allowed beyond MaximumExecutionTimeoutInSeconds before a run stops following the update
#: and tears down anyway (provisioning and the rollback may come on top of the timeout).
FOLLOW_MARGIN_SECONDS = 1800.0
#: Used when the DeploymentConfig sets no MaximumExecutionTimeoutInSeconds.
DEFAULT_UPDATE_LIMIT_SECONDS = 3600.0


@dataclass(frozen=True)
class PlannedCall:
    """One AWS call (or a repeated one) of a real run."""

    stage: Stage
    service: str
    method: str
    params: Mapping[str, Any]
    note: str = ""

    def kwargs(self) -> dict[str, Any]:
        """The parameters as plain boto3 keyword arguments."""
        return dict(thaw(self.params))


@dataclass(frozen=True)
class CostEstimate:
    """Instance cost of a real run: expected, and at most (the update runs to its limit)."""

    expected_usd: float
    max_usd: float
    expected_instance_hours: float
    max_instance_hours: float
    expected_seconds: float
    max_seconds: float
    invocations: int
    lines: tuple[str, ...]

    @classmethod
    def of(
        cls,
        expected: tuple[float, float, float],
        most: tuple[float, float, float],
        invocations: int,
        lines: list[str],
    ) -> CostEstimate:
        """From ``(seconds, usd, instance-hours)`` expected and at most."""
        (exp_s, exp_usd, exp_h), (max_s, max_usd, max_h) = expected, most
        return cls(
            expected_usd=round(exp_usd, 2),
            max_usd=round(max_usd, 2),
            expected_instance_hours=exp_h,
            max_instance_hours=max_h,
            expected_seconds=exp_s,
            max_seconds=max_s,
            invocations=invocations,
            lines=tuple(lines),
        )


def cost_footnotes(scenario: Scenario, unpriced: Sequence[str]) -> list[str]:
    """The cost lines every plan ends with: CloudWatch's share, and the instance types with no
    known price (``unpriced``)."""
    env = scenario.environment
    lines = [
        f"plus CloudWatch: {len(scenario.alarms)} alarm(s) for under an hour (well under $0.01) "
        "and one GetMetricData request (about $0.01 per 1,000 metrics)"
    ]
    if unpriced:
        lines.append(
            f"no known price for {', '.join(sorted(unpriced))}: "
            f"${env.default_instance_price_usd_per_hour:.2f}/h assumed "
            "(set environment.instance_prices_usd_per_hour)"
        )
    return lines


def pacing(scenario: Scenario) -> tuple[float, float, float, float, str]:
    """``(rate, poll, warm-up, cool-down, content type)`` of a run: the ``real`` section's, or
    its defaults for a scenario without one (a plan shown before the section is written)."""
    real = scenario.real
    if real is None:
        d: dict[str, Any] = {f.name: f.default for f in fields(Real)}
        return (
            scenario.traffic.rate_per_second,
            float(d["poll_interval_seconds"]),
            float(d["warmup_seconds"]),
            float(d["cooldown_seconds"]),
            str(d["content_type"]),
        )
    return (
        real.rate_per_second or scenario.traffic.rate_per_second,
        real.poll_interval_seconds,
        real.warmup_seconds,
        real.cooldown_seconds,
        real.content_type,
    )


@dataclass(frozen=True)
class RunPlan:
    scenario: Scenario
    real: Real | None
    names: ResourceNames
    region: str | None
    calls: tuple[PlannedCall, ...]
    cost: CostEstimate
    follow_timeout_seconds: float

    def created(self) -> list[Resource]:
        """What the setup stage creates, in order."""
        out = []
        for c in self.stage("setup"):
            if c.method in CREATES:
                kind, key = CREATES[c.method]
                out.append(Resource(kind, str(c.params[key])))
        return out

    def stage(self, stage: Stage) -> tuple[PlannedCall, ...]:
        return tuple(c for c in self.calls if c.stage == stage)

    @property
    def placeholders(self) -> tuple[tuple[str, str], ...]:
        return self.real.placeholders if self.real is not None else ()


# --------------------------------------------------------------------------- shapes


def _with_tags(existing: Any, run_id: str) -> list[dict[str, Any]]:
    tags = [dict(t) for t in thaw(existing or [])]
    return tags + run_tags(run_id)


def real_alarm_kwargs(alarm: MetricAlarm, names: ResourceNames) -> dict[str, Any]:
    """``put_metric_alarm`` arguments of a scenario alarm, renamed and tagged for the run."""
    kwargs = alarm.to_boto()
    kwargs["AlarmName"] = names.alarm(alarm.name)
    if "Dimensions" in kwargs:
        kwargs["Dimensions"] = [
            {"Name": d["Name"], "Value": names.dimension_value(d["Name"], d["Value"])}
            for d in kwargs["Dimensions"]
        ]
    for query in kwargs.get("Metrics", []):
        metric = query.get("MetricStat", {}).get("Metric", {})
        if "Dimensions" in metric:
            metric["Dimensions"] = [
                {"Name": d["Name"], "Value": names.dimension_value(d["Name"], d["Value"])}
                for d in metric["Dimensions"]
            ]
    kwargs["Tags"] = _with_tags(kwargs.get("Tags"), names.run_id)
    return kwargs


def real_deployment_config(scenario: Scenario, names: ResourceNames) -> dict[str, Any]:
    """The scenario's DeploymentConfig with the rollback alarms' real names."""
    config = scenario.deployment_config.to_boto()
    arc = config.get("AutoRollbackConfiguration")
    if arc and "Alarms" in arc:
        arc["Alarms"] = [{"AlarmName": names.alarm(a["AlarmName"])} for a in arc["Alarms"]]
    return config


def _endpoint_config_kwargs(
    raw: dict[str, Any], name: str, model: str, run_id: str
) -> dict[str, Any]:
    kwargs = dict(raw)
    kwargs["EndpointConfigName"] = name
    kwargs["ProductionVariants"] = [{**v, "ModelName": model} for v in raw["ProductionVariants"]]
    kwargs["Tags"] = _with_tags(raw.get("Tags"), run_id)
    return kwargs


def _model_kwargs(name: str, real: Real | None, fleet: str, run_id: str) -> dict[str, Any]:
    model = None if real is None else (real.blue if fleet == "blue" else real.green)
    container: dict[str, Any] = {
        "Image": model.image if model is not None else f"${{{fleet.upper()}_IMAGE_URI}}"
    }
    if model is None:
        container["ModelDataUrl"] = f"${{{fleet.upper()}_MODEL_DATA_URL}}"
    elif model.model_data_url is not None:
        container["ModelDataUrl"] = model.model_data_url
    return {
        "ModelName": name,
        "ExecutionRoleArn": real.execution_role_arn if real else "${EXECUTION_ROLE_ARN}",
        "PrimaryContainer": container,
        "Tags": run_tags(run_id),
    }


# --------------------------------------------------------------------------- timing and cost


def _update_seconds(scenario: Scenario) -> float:
    """Expected length of the update: provisioning, every step's activation and bake, cleanup."""
    env = scenario.environment
    dc = scenario.deployment_config
    steps = plan_steps(
        dc,
        scenario.endpoint.green.instance_count,
        env.percent_rounding,
        all_at_once_bakes_wait_interval=env.all_at_once_bakes_wait_interval,
    )
    provisioning = env.provisioning_seconds.mean * (len(steps) if dc.rolling else 1)
    per_step = sum(env.activation_seconds.mean + s.bake_seconds for s in steps)
    cleanup = env.termination_seconds.mean * (len(steps) if dc.rolling else 1)
    return provisioning + per_step + cleanup


def update_limit_seconds(scenario: Scenario) -> float:
    """The longest the update may take before SageMaker's own timeout acts."""
    limit = scenario.deployment_config.maximum_execution_timeout_seconds
    base = float(limit) if limit is not None else DEFAULT_UPDATE_LIMIT_SECONDS
    if not scenario.environment.timeout_includes_provisioning:
        base += scenario.environment.provisioning_seconds.mean
    return base


def follow_timeout_seconds(scenario: Scenario) -> float:
    """How long a run follows the update before it gives up and tears down."""
    return update_limit_seconds(scenario) + FOLLOW_MARGIN_SECONDS


def estimate_cost(scenario: Scenario, real: Real | None) -> CostEstimate:
    env = scenario.environment
    ep = scenario.endpoint
    blue_n, green_n = ep.blue.instance_count, ep.green.instance_count
    blue_price = env.price_per_hour(ep.blue.instance_type)
    green_price = env.price_per_hour(ep.green.instance_type)
    rate, _, warmup, cooldown, _ = pacing(scenario)
    create = env.provisioning_seconds.mean
    delete = env.termination_seconds.mean
    dc = scenario.deployment_config
    if dc.rolling is not None:
        batch = dc.rolling.maximum_batch_size.instances(green_n, env.percent_rounding)
        update_fleet_price = blue_n * blue_price + batch * green_price
        update_fleet_n = blue_n + batch
    else:  # blue/green: both fleets bill for the whole update (see aws-model.md#billing)
        update_fleet_price = blue_n * blue_price + green_n * green_price
        update_fleet_n = blue_n + green_n
    after_price = max(blue_n * blue_price, green_n * green_price)
    after_n = max(blue_n, green_n)

    def total(update: float) -> tuple[float, float, float]:
        seconds = create + warmup + update + cooldown + delete
        usd = (
            blue_n * blue_price * (create + warmup)
            + update_fleet_price * update
            + after_price * (cooldown + delete)
        ) / 3600.0
        hours = (
            blue_n * (create + warmup) + update_fleet_n * update + after_n * (cooldown + delete)
        ) / 3600.0
        return seconds, usd, hours

    expected_update = _update_seconds(scenario)
    max_update = follow_timeout_seconds(scenario)
    expected, most = total(expected_update), total(max_update)
    (exp_s, exp_usd, exp_h), (_, max_usd, max_h) = expected, most
    priced = [t for t in {ep.blue.instance_type, ep.green.instance_type} if not env.has_price(t)]
    lines = [
        f"blue fleet {blue_n} x {ep.blue.instance_type} at ${blue_price:.3f}/h, green fleet "
        f"{green_n} x {ep.green.instance_type} at ${green_price:.3f}/h",
        f"expected: ~{exp_s / 60:.0f} min in all (endpoint creation ~{create / 60:.0f} min, "
        f"warm-up {warmup / 60:.0f} min, update ~{expected_update / 60:.0f} min with both "
        f"fleets billed, cool-down {cooldown / 60:.0f} min, teardown ~{delete / 60:.0f} min): "
        f"{exp_h:.2f} instance-hours, about ${exp_usd:.2f}",
        f"at most: the update runs to its limit ({max_update / 60:.0f} min) before guardsim "
        f"tears down: {max_h:.2f} instance-hours, about ${max_usd:.2f}",
    ]
    lines += cost_footnotes(scenario, priced)
    invocations = round(rate * (warmup + expected_update + cooldown))
    return CostEstimate.of(expected, most, invocations, lines)


# --------------------------------------------------------------------------- the plan


def plan_run(scenario: Scenario, run_id: str, region: str | None = None) -> RunPlan:
    """Every AWS call a real run of ``scenario`` makes, in order, and its cost estimate.

    A scenario with composite alarms is refused (:class:`~guardsim.errors.UnsupportedError`):
    the real backend does not create them yet (its renaming of alarms would have to rewrite
    each AlarmRule), and leaving them out would run a different guardrail."""
    if scenario.composite_alarms:
        shown = ", ".join(repr(c.name) for c in scenario.composite_alarms)
        raise UnsupportedError(
            f"scenario {scenario.name!r}: guardsim real does not create composite alarms yet "
            f"({shown}); simulate it instead, or name the metric alarms in "
            "AutoRollbackConfiguration"
        )
    real = scenario.real
    names = ResourceNames.for_scenario(scenario, run_id)
    ep = scenario.endpoint
    rate, poll, warmup, cooldown, content_type = pacing(scenario)
    tags = run_tags(run_id)
    alarm_kwargs = [real_alarm_kwargs(a, names) for a in scenario.alarms]
    real_alarms = [k["AlarmName"] for k in alarm_kwargs]

    calls: list[PlannedCall] = []

    def add(stage: Stage, service: str, method: str, note: str = "", **params: Any) -> None:
        calls.append(PlannedCall(stage, service, method, freeze(params), note))

    if scenario.inference_component is not None:
        return _component_plan(scenario, names, region, calls, add)

    add(
        "setup",
        "sagemaker",
        "create_model",
        "the current (blue) model",
        **_model_kwargs(names.blue_model, real, "blue", run_id),
    )
    add(
        "setup",
        "sagemaker",
        "create_model",
        "the new (green) model",
        **_model_kwargs(names.green_model, real, "green", run_id),
    )
    add(
        "setup",
        "sagemaker",
        "create_endpoint_config",
        "endpoint.blue",
        **_endpoint_config_kwargs(ep.blue.to_boto(), names.blue_config, names.blue_model, run_id),
    )
    add(
        "setup",
        "sagemaker",
        "create_endpoint_config",
        "endpoint.green",
        **_endpoint_config_kwargs(
            ep.green.to_boto(), names.green_config, names.green_model, run_id
        ),
    )
    for kwargs in alarm_kwargs:
        add("setup", "cloudwatch", "put_metric_alarm", "alarms[]", **kwargs)
    add(
        "setup",
        "sagemaker",
        "create_endpoint",
        "on the blue config",
        EndpointName=names.endpoint,
        EndpointConfigName=names.blue_config,
        Tags=tags,
    )
    add(
        "setup",
        "sagemaker",
        "describe_endpoint",
        f"every {poll:g} s until InService (Failed stops the run)",
        EndpointName=names.endpoint,
    )
    add(
        "warm-up",
        "sagemaker-runtime",
        "invoke_endpoint",
        f"{rate:g} request(s)/s for {warmup:g} s (real.warmup_seconds), bodies from "
        "real.payload_file in turn",
        EndpointName=names.endpoint,
        ContentType=content_type,
        Body="<a line of real.payload_file>",
    )
    add(
        "update",
        "sagemaker",
        "list_tags",
        f"refuse to update unless tagged guardsim:run-id={run_id}",
        ResourceArn="<EndpointArn>",
    )
    add(
        "update",
        "sagemaker",
        "update_endpoint",
        "the deployment under test",
        EndpointName=names.endpoint,
        EndpointConfigName=names.green_config,
        DeploymentConfig=real_deployment_config(scenario, names),
    )
    add(
        "follow",
        "sagemaker",
        "describe_endpoint",
        f"every {poll:g} s until the update ends; every EndpointStatus and VariantStatus "
        "change is recorded with its StartTime",
        EndpointName=names.endpoint,
    )
    add(
        "follow",
        "sagemaker-runtime",
        "invoke_endpoint",
        f"{rate:g} request(s)/s all along, then {cooldown:g} s more (real.cooldown_seconds)",
        EndpointName=names.endpoint,
        ContentType=content_type,
        Body="<a line of real.payload_file>",
    )
    add(
        "collect",
        "cloudwatch",
        "get_metric_data",
        "7 invocation metrics x {EndpointName+VariantName, +EndpointConfigName blue, "
        "+EndpointConfigName green}, Period 60, from the setup to the end",
        MetricDataQueries="<one query per metric, dimension set and statistic>",
        StartTime="<setup start>",
        EndTime="<end>",
    )
    alarm_history_calls(add, real_alarms, "state changes")
    # Teardown: reverse creation order, each resource checked for the run's tag first.
    teardown_calls(
        add,
        names,
        real_alarms,
        (names.green_config, names.blue_config),
        (names.green_model, names.blue_model),
    )
    return _plan(
        scenario,
        names,
        region,
        calls,
        estimate_cost(scenario, real),
        follow_timeout_seconds(scenario),
    )


def _plan(
    scenario: Scenario,
    names: ResourceNames,
    region: str | None,
    calls: list[PlannedCall],
    cost: CostEstimate,
    follow_timeout: float,
) -> RunPlan:
    real = scenario.real
    plan = RunPlan(
        scenario=scenario,
        real=real,
        names=names,
        region=region or (real.region if real else None),
        calls=tuple(calls),
        cost=cost,
        follow_timeout_seconds=follow_timeout,
    )
    checks = []
    for resource in plan.created():
        service, method, params = lookup_call(resource)
        checks.append(
            PlannedCall(
                "check",
                service,
                method,
                freeze(params),
                "before any create: if it exists, it is not this run's, and the run stops",
            )
        )
    return replace(plan, calls=(*checks, *plan.calls))


def alarm_history_calls(add: Any, real_alarms: list[str], note: str) -> None:
    """The collect stage's DescribeAlarmHistory, one per alarm."""
    for name in real_alarms:
        add(
            "collect",
            "cloudwatch",
            "describe_alarm_history",
            note,
            AlarmName=name,
            HistoryItemType="StateUpdate",
            StartDate="<setup start>",
            EndDate="<end>",
        )


def teardown_calls(
    add: Any,
    names: ResourceNames,
    real_alarms: list[str],
    configs: tuple[str, ...],
    models: tuple[str, ...],
) -> None:
    """The endpoint's teardown: the endpoint (until gone), the alarms, configs and models."""
    add(
        "teardown",
        "sagemaker",
        "delete_endpoint",
        "after describe_endpoint + list_tags show the run tag",
        EndpointName=names.endpoint,
    )
    add(
        "teardown",
        "sagemaker",
        "describe_endpoint",
        "until the endpoint is gone",
        EndpointName=names.endpoint,
    )
    if real_alarms:
        add(
            "teardown",
            "cloudwatch",
            "delete_alarms",
            "after describe_alarms + list_tags_for_resource show the run tag",
            AlarmNames=real_alarms,
        )
    for config in configs:
        add(
            "teardown",
            "sagemaker",
            "delete_endpoint_config",
            "after describe_endpoint_config + list_tags",
            EndpointConfigName=config,
        )
    for model in models:
        add(
            "teardown",
            "sagemaker",
            "delete_model",
            "after describe_model + list_tags",
            ModelName=model,
        )


def _component_plan(
    scenario: Scenario,
    names: ResourceNames,
    region: str | None,
    calls: list[PlannedCall],
    add: Any,
) -> RunPlan:
    """The plan of an inference component update (:mod:`.component_plan`)."""
    from guardsim.real_backend import component_plan as cp

    ic = scenario.inference_component
    assert ic is not None
    cp.component_calls(scenario, names, add)
    return _plan(
        scenario, names, region, calls, cp.component_cost(scenario), cp.follow_timeout_seconds(ic)
    )


def format_plan(plan: RunPlan) -> str:
    """The plan as text: one call per block, one ``Name=<JSON>`` line per parameter."""
    names = plan.names
    lines = [
        f"Plan of a real run of {plan.scenario.name} (run id {names.run_id}, region "
        f"{plan.region or '<default>'})",
        f"Every resource is named {names.prefix}* and tagged guardsim:run-id={names.run_id}; "
        "teardown deletes only what carries that tag, on success, failure, timeout and Ctrl-C.",
        "",
    ]
    stage = None
    for i, c in enumerate(plan.calls, start=1):
        if c.stage != stage:
            stage = c.stage
            lines.append(f"[{stage}]")
        note = f"    # {c.note}" if c.note else ""
        lines.append(f"{i:3d}. {c.service}.{c.method}{note}")
        for key, value in c.kwargs().items():
            lines.append(f"       {key}={json.dumps(value)}")
    billing = (
        "the endpoint's instances run from its creation to its deletion, with the instances "
        "managed scaling adds for the new copies"
        if plan.scenario.inference_component is not None
        else "the old fleet and one extra batch run for the whole rolling update"
        if plan.scenario.deployment_config.rolling is not None
        else "both fleets run for the whole blue/green update"
    )
    lines += ["", f"Estimated instance cost ({billing}):"]
    lines += [f"  {line}" for line in plan.cost.lines]
    lines.append(f"  about {plan.cost.invocations:,} invoke_endpoint requests")
    if plan.placeholders:
        lines += ["", "Placeholders to fill before 'guardsim real run' (--set NAME=VALUE):"]
        seen: dict[str, list[str]] = {}
        for path, name in plan.placeholders:
            seen.setdefault(name, []).append(path)
        lines += [f"  {name}: {', '.join(paths)}" for name, paths in seen.items()]
    if plan.real is None:
        lines += [
            "",
            "This scenario has no 'real' section: images, model data, role and payload are "
            "shown as placeholders; add one to run it (docs/how-to/real-sagemaker.md).",
        ]
    return "\n".join(lines)


def plan_data(plan: RunPlan) -> dict[str, Any]:
    """The plan as JSON-ready data (``guardsim real plan --json``)."""
    c = plan.cost
    return {
        "scenario": plan.scenario.name,
        "run_id": plan.names.run_id,
        "region": plan.region,
        "calls": [
            {
                "stage": x.stage,
                "service": x.service,
                "method": x.method,
                "note": x.note,
                "params": x.kwargs(),
            }
            for x in plan.calls
        ],
        "cost": {
            "expected_usd": c.expected_usd,
            "max_usd": c.max_usd,
            "expected_instance_hours": round(c.expected_instance_hours, 4),
            "max_instance_hours": round(c.max_instance_hours, 4),
            "invocations": c.invocations,
        },
        "placeholders": [{"path": p, "name": n} for p, n in plan.placeholders],
    }
