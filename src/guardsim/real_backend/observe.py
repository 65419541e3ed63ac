"""``guardsim real observe``: follow an update someone else started, and record it (read-only).

For teams whose deployments are started by their own pipelines: attach to the endpoint while
its update is in progress (or wait for one to start), follow it to the end with
``DescribeEndpoint`` (the ``VariantStatus`` list keeps up to five past statuses with their
``StartTime``, so stages that ended before guardsim attached are still on the timeline), wait
for the last minutes of metrics, collect them and the alarm history, and write the run record.
No traffic is driven and nothing is created, changed or deleted: the calls are
DescribeEndpoint, DescribeEndpointConfig, DescribeAlarms, GetMetricData and
DescribeAlarmHistory. Time 0 of the record is ``PendingDeploymentSummary.StartTime``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from guardsim.deployment.plan import plan_steps
from guardsim.errors import ExternalError
from guardsim.real_backend.assemble import Fleet, RecordInputs, assemble_record
from guardsim.real_backend.clients import ClientFactory
from guardsim.real_backend.clock import Clock
from guardsim.real_backend.collect import (
    collect_alarm_history,
    collect_datapoints,
    dimension_sets,
)
from guardsim.real_backend.follow import describe, follow_update
from guardsim.real_backend.importer import read_live_endpoint, scenario_data
from guardsim.real_backend.observations import Observation
from guardsim.real_backend.plan import DEFAULT_UPDATE_LIMIT_SECONDS, FOLLOW_MARGIN_SECONDS
from guardsim.real_backend.transitions import Context, translate
from guardsim.record import RunRecord
from guardsim.scenarios.environment import Environment
from guardsim.scenarios.loading import check_scenario_dict

Progress = Callable[[str], None]

#: Metrics and alarm history are collected from this long before the update.
LOOKBACK_SECONDS = 900.0


def _quiet(_: str) -> None:
    pass


def wait_for_update(
    sm: Any,
    endpoint: str,
    clock: Clock,
    poll: float,
    wait: float,
    progress: Progress,
    component: str | None = None,
) -> Observation:
    """The first observation of the update in progress on ``endpoint`` (or on its inference
    ``component``: ``Updating``), waiting up to ``wait`` seconds for one to start."""
    what = f"inference component {component}" if component else f"endpoint {endpoint}"

    def started(o: Observation) -> bool:
        return o.endpoint_status == "Updating" if component else o.pending_config is not None

    first = describe(sm, endpoint, clock, component)
    deadline = clock.now() + wait
    if not started(first) and wait > 0:
        progress(
            f"{what} is {first.endpoint_status}: waiting up to {wait:g} s for an update to start"
        )
    while not started(first):
        if clock.now() >= deadline:
            state = (
                f"InferenceComponentStatus {first.endpoint_status}, model {first.config_name}"
                if component
                else f"EndpointStatus {first.endpoint_status}, config {first.config_name}"
            )
            raise ExternalError(
                f"{what} has no update in progress ({state}); start one, or pass "
                "--wait SECONDS to wait for it"
            )
        clock.sleep(min(poll, deadline - clock.now()))
        first = describe(sm, endpoint, clock, component)
    return first


def observe_endpoint(
    endpoint: str,
    *,
    clients: ClientFactory,
    clock: Clock,
    poll_seconds: float = 15.0,
    cooldown_seconds: float = 240.0,
    wait_seconds: float = 0.0,
    timeout_seconds: float | None = None,
    region: str | None = None,
    progress: Progress = _quiet,
) -> RunRecord:
    """Follow the update in progress on ``endpoint`` to its end; its run record."""
    sm, cw = clients("sagemaker"), clients("cloudwatch")
    first = wait_for_update(sm, endpoint, clock, poll_seconds, wait_seconds, progress)
    assert first.pending_config is not None
    t0 = first.pending_start or first.last_modified or first.at
    live = read_live_endpoint(clients, endpoint)
    data, notes = scenario_data(
        live,
        name=f"observed-{endpoint}",
        description=f"An update of {endpoint} observed by guardsim real observe.",
    )
    loaded = check_scenario_dict(data, source=f"endpoint {endpoint}")
    scenario = loaded.scenario
    if scenario is None:
        notes.append(
            "the endpoint's settings are not a valid guardsim scenario ("
            + "; ".join(str(p) for p in loaded.errors[:3])
            + "); the timeline is read without a step plan"
        )
    old, new = first.config_name, first.pending_config
    blue_desc, green_desc = live.current_config, live.pending_config or live.current_config
    blue_v = blue_desc["ProductionVariants"][0]
    green_v = green_desc["ProductionVariants"][0]
    env = scenario.environment if scenario is not None else Environment()
    policy = scenario.deployment_config.policy_kind if scenario is not None else "ALL_AT_ONCE"
    green_n = int(green_v.get("InitialInstanceCount", 1))
    planned: tuple[int, ...] = ()
    limit = float(DEFAULT_UPDATE_LIMIT_SECONDS)
    if scenario is not None:
        steps = plan_steps(
            scenario.deployment_config,
            green_n,
            env.percent_rounding,
            all_at_once_bakes_wait_interval=env.all_at_once_bakes_wait_interval,
        )
        planned = tuple(s.green_instances for s in steps)
        limit = float(scenario.deployment_config.maximum_execution_timeout_seconds or limit)
    timeout = timeout_seconds if timeout_seconds is not None else limit + FOLLOW_MARGIN_SECONDS
    progress(f"following the update of {endpoint}: {old} -> {new}")
    followed = follow_update(
        sm,
        endpoint,
        clock,
        t0=t0,
        new_config=new,
        poll=poll_seconds,
        deadline=clock.now() + timeout,
        progress=progress,
        first=first,
    )
    if not followed.timed_out and cooldown_seconds > 0:
        progress(f"waiting {cooldown_seconds:g} s for the last minutes of metrics")
        clock.sleep(cooldown_seconds)
    ctx = Context(
        t0=t0,
        old_config=old,
        new_config=new,
        policy=policy,
        blue_instances=int(blue_v.get("InitialInstanceCount", 1)),
        green_instances=green_n,
        planned_green=planned,
        update_reason=f"UpdateEndpoint to {new} ({policy}), started elsewhere "
        "(PendingDeploymentSummary.StartTime)",
        traffic_start=-LOOKBACK_SECONDS,
    )
    translation = translate(followed.observations, ctx)
    start, end = t0 - LOOKBACK_SECONDS, clock.now()
    variant = str(blue_v.get("VariantName", "AllTraffic"))
    datapoints = collect_datapoints(cw, dimension_sets(endpoint, variant, old, new), start, end, t0)
    alarm_names = live.rollback_alarm_names
    history = collect_alarm_history(cw, alarm_names, start, end, t0)
    notes += [
        f"observed endpoint {endpoint} in {region or 'the default region'}; no traffic driven",
        "alarm_evaluations is empty and datapoints.published_at is null: CloudWatch keeps "
        "alarm state changes only and does not say when a datapoint became visible",
    ]
    return assemble_record(
        RecordInputs(
            scenario_name=str(data["name"]),
            scenario_definition=scenario.to_dict() if scenario is not None else data,
            seed=scenario.simulation.seed if scenario is not None else 0,
            t0=t0,
            translation=translation,
            blue=Fleet(
                str(blue_v.get("InstanceType", "")),
                ctx.blue_instances,
                env.price_per_hour(str(blue_v.get("InstanceType", ""))),
            ),
            green=Fleet(
                str(green_v.get("InstanceType", "")),
                green_n,
                env.price_per_hour(str(green_v.get("InstanceType", ""))),
            ),
            rollback_alarms=alarm_names,
            alarm_history=tuple(history),
            datapoints=datapoints,
            requests=None,
            blue_launched_at=-LOOKBACK_SECONDS,
            blue_ready_at=-LOOKBACK_SECONDS,
            billing_granularity_seconds=env.billing_granularity_seconds,
            notes=tuple(notes),
        )
    )
