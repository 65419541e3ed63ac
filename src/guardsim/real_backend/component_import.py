"""``guardsim real import`` of an endpoint that hosts inference components (read-only).

An endpoint whose production variant names no ``ModelName`` hosts inference components
(https://docs.aws.amazon.com/sagemaker/latest/dg/realtime-endpoints-deploy-models.html). Its
scenario has an ``inference_component`` section:

* ``ListInferenceComponents`` (``EndpointNameEquals``) and ``DescribeInferenceComponent`` of
  each: the component to update (``--component``, or the only one) as
  ``create_inference_component`` arguments (its ``Specification`` without ``Container``, whose
  described shape is a summary, not what ``CreateInferenceComponent`` takes;
  ``RuntimeConfig.CopyCount`` from ``DesiredCopyCount``), the others as ``neighbours``;
* ``deployment_config``: the component's ``LastDeploymentConfig``; a component never updated
  with one has none, and the section then holds a placeholder rolling policy (one copy per
  batch, a 300 s wait), said in the notes;
* ``new_model_name``: DescribeInferenceComponent does not say what a next update deploys, so it
  is ``<ModelName>-next``, said in the notes (name the model your update deploys);
* ``alarms``: the rollback alarms ``LastDeploymentConfig`` names (DescribeAlarms);
* ``models.blue`` (and ``models.green``, the same until edited) and the traffic replay: the
  component's own series (``InferenceComponentName``) over the last ``days`` days.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from guardsim.errors import ArgumentError
from guardsim.real_backend.clients import ClientFactory, call
from guardsim.real_backend.clock import Clock
from guardsim.real_backend.importer import (
    _STATS,
    _stat_query,
    alarm_args,
    endpoint_config_args,
    fetch_statistics,
    import_window,
    model_from_stats,
    replay_counts,
    scenario_name,
    with_behaviour,
    without_alarms,
)
from guardsim.scenarios.boto_shapes import shape
from guardsim.scenarios.components import COMPONENT_DIMENSION

#: DescribeInferenceComponent's Specification members CreateInferenceComponent takes as they
#: are (Container's described shape is ContainerSummary, not the input's specification).
_SPEC_DROPPED = ("Container",)
#: Used when the component has no LastDeploymentConfig (a placeholder: edit it).
PLACEHOLDER_DEPLOYMENT_CONFIG: Mapping[str, Any] = {
    "RollingUpdatePolicy": {
        "MaximumBatchSize": {"Type": "COPY_COUNT", "Value": 1},
        "WaitIntervalInSeconds": 300,
    }
}


def hosts_components(config: Mapping[str, Any]) -> bool:
    """Whether a described endpoint config hosts inference components (no ModelName)."""
    variants = config.get("ProductionVariants") or [{}]
    return not variants[0].get("ModelName")


def list_components(sm: Any, endpoint: str) -> list[str]:
    """The names of the endpoint's inference components (every page)."""
    names: list[str] = []
    token: str | None = None
    while True:
        params: dict[str, Any] = {"EndpointNameEquals": endpoint, "MaxResults": 100}
        if token:
            params["NextToken"] = token
        page = call(sm, "list_inference_components", **params)
        names += [str(c["InferenceComponentName"]) for c in page.get("InferenceComponents", [])]
        token = page.get("NextToken")
        if not token:
            return names


def choose_component(names: Sequence[str], endpoint: str, wanted: str | None) -> str:
    """The component to import: ``wanted``, or the endpoint's only one."""
    if wanted is not None:
        if wanted not in names:
            raise ArgumentError(
                f"--component {wanted}: endpoint {endpoint} has no such inference component "
                f"(it has: {', '.join(names) or 'none'})"
            )
        return wanted
    if len(names) != 1:
        raise ArgumentError(
            f"endpoint {endpoint} hosts {len(names)} inference components "
            f"({', '.join(names) or 'none'}); name the one to update with --component NAME"
        )
    return names[0]


def create_args(described: Mapping[str, Any]) -> dict[str, Any]:
    """``create_inference_component`` arguments from a DescribeInferenceComponent response."""
    members = shape("sagemaker", "InferenceComponentSpecification").members
    spec = {
        k: v
        for k, v in (described.get("Specification") or {}).items()
        if k in members and k not in _SPEC_DROPPED
    }
    runtime = described.get("RuntimeConfig") or {}
    return {
        "InferenceComponentName": described["InferenceComponentName"],
        "EndpointName": described["EndpointName"],
        "VariantName": described.get("VariantName", "AllTraffic"),
        "Specification": spec,
        "RuntimeConfig": {"CopyCount": int(runtime.get("DesiredCopyCount", 1))},
    }


def deployment_config(described: Mapping[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """The component's LastDeploymentConfig (InferenceComponentDeploymentConfig members), or
    the placeholder; and notes."""
    dc = described.get("LastDeploymentConfig")
    if not dc:
        return dict(PLACEHOLDER_DEPLOYMENT_CONFIG), [
            "the component has no LastDeploymentConfig: deployment_config is a placeholder "
            "rolling policy (1 copy per batch, 300 s wait); edit it"
        ]
    members = shape("sagemaker", "InferenceComponentDeploymentConfig").members
    return {k: v for k, v in dc.items() if k in members}, []


def rollback_alarm_names(dc: Mapping[str, Any]) -> tuple[str, ...]:
    alarms = (dc.get("AutoRollbackConfiguration") or {}).get("Alarms") or []
    return tuple(str(a["AlarmName"]) for a in alarms if "AlarmName" in a)


def component_section(
    target: Mapping[str, Any], neighbours: Sequence[Mapping[str, Any]]
) -> tuple[dict[str, Any], list[str]]:
    """The ``inference_component`` section from the described components (pure)."""
    component = create_args(target)
    model = str(component["Specification"].get("ModelName") or "model")
    section: dict[str, Any] = {"component": component, "new_model_name": f"{model}-next"}
    if neighbours:
        section["neighbours"] = [create_args(n) for n in neighbours]
    notes = [
        f"new_model_name is {model}-next: DescribeInferenceComponent does not say what the "
        "next update deploys; name your model"
    ]
    if (target.get("Specification") or {}).get("Container"):
        notes.append(
            "the component's Container is left out (DescribeInferenceComponent returns a "
            "summary of it, not CreateInferenceComponent's specification)"
        )
    return section, notes


def component_scenario_data(
    endpoint: str,
    config: dict[str, Any],
    target: Mapping[str, Any],
    neighbours: Sequence[Mapping[str, Any]],
    alarms: Sequence[dict[str, Any]],
    missing: Sequence[str],
    *,
    name: str,
    description: str,
    traffic: Mapping[str, Any] | None = None,
    models: Mapping[str, Any] | None = None,
) -> tuple[dict[str, Any], list[str]]:
    """Scenario file data for a component update (pure), and notes."""
    section, notes = component_section(target, neighbours)
    dc, more = deployment_config(target)
    notes += more
    for n in missing:
        notes.append(f"rollback alarm {n} was not found as a metric alarm; left out")
    data: dict[str, Any] = {
        "name": name,
        "description": description,
        "endpoint": {"name": endpoint, "blue": config},
        "inference_component": section,
        "deployment_config": without_alarms(dc, set(missing)),
        "alarms": list(alarms),
    }
    return with_behaviour(data, models, traffic), notes


def read_components(
    clients: ClientFactory, endpoint: str, wanted: str | None
) -> tuple[dict[str, Any], list[dict[str, Any]], list[dict[str, Any]], list[str]]:
    """(the component, its neighbours, its rollback alarms as put_metric_alarm arguments, the
    rollback alarms not found), read-only."""
    sm, cw = clients("sagemaker"), clients("cloudwatch")
    names = list_components(sm, endpoint)
    chosen = choose_component(names, endpoint, wanted)
    described = {
        n: dict(call(sm, "describe_inference_component", InferenceComponentName=n)) for n in names
    }
    target = described[chosen]
    neighbours = [d for n, d in described.items() if n != chosen]
    wanted_alarms = rollback_alarm_names(target.get("LastDeploymentConfig") or {})
    alarms: list[dict[str, Any]] = []
    if wanted_alarms:
        found = call(cw, "describe_alarms", AlarmNames=list(wanted_alarms))
        for a in found.get("MetricAlarms", []):
            args = alarm_args(a) if a.get("AlarmName") in wanted_alarms else None
            if args is not None:
                alarms.append(args)
    got = {a["AlarmName"] for a in alarms}
    return target, neighbours, alarms, [n for n in wanted_alarms if n not in got]


def import_components(
    endpoint: str,
    current_config: Mapping[str, Any],
    *,
    clients: ClientFactory,
    clock: Clock,
    component: str | None,
    days: float,
    replay_file: str,
    region: str | None,
) -> tuple[dict[str, Any], tuple[float, ...], list[str]]:
    """The scenario data, traffic replay and notes of a component endpoint (read-only)."""
    target, neighbours, alarms, missing = read_components(clients, endpoint, component)
    name = str(target["InferenceComponentName"])
    cw = clients("cloudwatch")
    start, end, period_minutes = import_window(clock, days)
    dims = ((COMPONENT_DIMENSION, name),)
    queries = [_stat_query("invocations", "Invocations", dims, "Sum", 60 * period_minutes)]
    window = int(end - start)
    for i, (metric, stat) in enumerate(_STATS):
        queries.append(_stat_query(f"c{i}", metric, dims, stat, window))
    results, notes = fetch_statistics(cw, queries, start, end)
    stats: dict[str, float | None] = {}
    for i, (metric, stat) in enumerate(_STATS):
        values = [v for _, v in results.get(f"c{i}", [])]
        stats[f"{metric}.{stat}"] = values[0] if values else None
    model = model_from_stats(stats)
    replay = replay_counts(results.get("invocations", []), start, end, 60 * period_minutes)
    if not replay:
        notes.append("no Invocations data in the window: traffic left at its default rate")
    stamp = datetime.fromtimestamp(clock.now(), UTC).strftime("%Y-%m-%d %H:%M UTC")
    where = f" in {region}" if region else ""
    config = endpoint_config_args(current_config)
    config["ProductionVariants"] = [
        {k: v for k, v in variant.items() if k != "ModelName"}
        for variant in config["ProductionVariants"]
    ]
    data, more = component_scenario_data(
        endpoint,
        config,
        target,
        neighbours,
        alarms,
        missing,
        name=scenario_name(endpoint),
        description=(
            f"Imported from SageMaker endpoint {endpoint}{where} on {stamp} by guardsim real "
            f"import: inference component {name} (and its neighbours), its LastDeploymentConfig "
            f"and rollback alarms as they are, traffic and model behaviour from the last "
            f"{days:g} day(s) of its CloudWatch data ({COMPONENT_DIMENSION})."
        ),
        traffic={"replay_file": replay_file} if replay else None,
        models={"blue": model, "green": model} if model else None,
    )
    notes = more + notes
    data["description"] += " Notes: " + "; ".join(notes) + "."
    return data, replay, notes


__all__ = [
    "component_scenario_data",
    "component_section",
    "create_args",
    "hosts_components",
    "import_components",
    "read_components",
]
