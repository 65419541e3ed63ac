"""``guardsim real observe --component``: follow an inference component update someone else
started, and record it (read-only).

Attach while the component is ``Updating`` (or wait for it), follow
``DescribeInferenceComponent`` to the end, wait for the last minutes of metrics, collect the
component's series (``InferenceComponentName``) and the rollback alarms' history, and write the
run record (:func:`~.component_run.component_record`). No traffic is driven and nothing is
created, changed or deleted: the calls are DescribeInferenceComponent,
ListInferenceComponents, DescribeEndpoint, DescribeEndpointConfig, DescribeAlarms,
GetMetricData and DescribeAlarmHistory. Time 0 of the record is the component's
``LastModifiedTime`` when it was first seen ``Updating`` (the UpdateInferenceComponent call).

Which model the update deploys is not in DescribeInferenceComponent while it runs [INF: AWS does
not document whether ``Specification`` shows the old or the new one then; guardsim assumes the
serving one, as its emulator answers]: ``--new-model`` names it; without it the model the
component ends on is the new one when it differs from the one at the start, and an update that
ends on the model it started from is a rollback.
"""

from __future__ import annotations

from guardsim.errors import ExternalError
from guardsim.real_backend.clients import ClientFactory, call
from guardsim.real_backend.clock import Clock
from guardsim.real_backend.collect import DimensionSet, collect_alarm_history, collect_datapoints
from guardsim.real_backend.component_import import component_scenario_data, read_components
from guardsim.real_backend.component_plan import FOLLOW_MARGIN_SECONDS, update_limit_seconds
from guardsim.real_backend.component_run import component_record
from guardsim.real_backend.follow import follow_update
from guardsim.real_backend.importer import endpoint_config_args
from guardsim.real_backend.observe import LOOKBACK_SECONDS, Progress, _quiet, wait_for_update
from guardsim.record import RunRecord
from guardsim.scenarios.components import COMPONENT_DIMENSION
from guardsim.scenarios.loading import check_scenario_dict


def observe_component(
    component: str,
    *,
    endpoint: str | None = None,
    clients: ClientFactory,
    clock: Clock,
    new_model: str | None = None,
    poll_seconds: float = 15.0,
    cooldown_seconds: float = 240.0,
    wait_seconds: float = 0.0,
    timeout_seconds: float | None = None,
    region: str | None = None,
    progress: Progress = _quiet,
) -> RunRecord:
    """Follow the update in progress on inference component ``component`` (of ``endpoint``,
    when given) to its end; its run record."""
    sm, cw = clients("sagemaker"), clients("cloudwatch")
    described = call(sm, "describe_inference_component", InferenceComponentName=component)
    if endpoint is not None and described["EndpointName"] != endpoint:
        raise ExternalError(
            f"inference component {component} is on endpoint {described['EndpointName']}, "
            f"not {endpoint}"
        )
    endpoint = str(described["EndpointName"])
    first = wait_for_update(
        sm, endpoint, clock, poll_seconds, wait_seconds, progress, component=component
    )
    t0 = first.last_modified if first.last_modified is not None else first.at
    old = first.config_name
    desc = call(sm, "describe_endpoint", EndpointName=endpoint)
    config = call(sm, "describe_endpoint_config", EndpointConfigName=desc["EndpointConfigName"])
    target, neighbours, alarms, missing = read_components(clients, endpoint, component)
    endpoint_config = endpoint_config_args(config)
    data, notes = component_scenario_data(
        endpoint,
        endpoint_config,
        target,
        neighbours,
        alarms,
        missing,
        name=f"observed-{component}",
        description=f"An update of inference component {component} observed by guardsim real "
        "observe.",
    )
    if new_model is not None:
        data["inference_component"]["new_model_name"] = new_model
    loaded = check_scenario_dict(data, source=f"inference component {component}")
    scenario = loaded.scenario
    if scenario is None:
        raise ExternalError(
            f"inference component {component}: its settings are not a scenario guardsim can "
            "record (" + "; ".join(str(p) for p in loaded.errors[:3]) + ")"
        )
    assert scenario.inference_component is not None
    limit = update_limit_seconds(scenario.inference_component)
    timeout = timeout_seconds if timeout_seconds is not None else limit + FOLLOW_MARGIN_SECONDS
    progress(f"following the update of inference component {component} (model {old})")
    followed = follow_update(
        sm,
        endpoint,
        clock,
        t0=t0,
        new_config=new_model or "",
        poll=poll_seconds,
        deadline=clock.now() + timeout,
        progress=progress,
        first=first,
        component=component,
    )
    if not followed.timed_out and cooldown_seconds > 0:
        progress(f"waiting {cooldown_seconds:g} s for the last minutes of metrics")
        clock.sleep(cooldown_seconds)
    last = followed.observations[-1]
    new = new_model or (last.config_name if last.config_name != old else "")
    if not new:
        notes.append(
            f"the component ended on the model it started from ({old}): a rollback (the new "
            "model's name is not shown; pass --new-model to name it)"
        )
        new = f"{old} (the new model)"
    start, end = t0 - LOOKBACK_SECONDS, clock.now()
    sets = (DimensionSet("blended", ((COMPONENT_DIMENSION, component),)),)
    datapoints = collect_datapoints(cw, sets, start, end, t0)
    history = collect_alarm_history(
        cw, list(scenario.deployment_config.rollback_alarm_names), start, end, t0
    )
    notes.append(
        f"observed inference component {component} on endpoint {endpoint} in "
        f"{region or 'the default region'}; no traffic driven"
    )
    return component_record(
        scenario,
        followed,
        component=component,
        old_model=old,
        new_model=new,
        t0=t0,
        history=history,
        datapoints=datapoints,
        requests=None,
        launched_at=-LOOKBACK_SECONDS,
        ready_at=-LOOKBACK_SECONDS,
        update_reason=f"UpdateInferenceComponent {component} (ROLLING), started elsewhere "
        "(LastModifiedTime)",
        notes=notes,
    )


__all__ = ["observe_component"]
