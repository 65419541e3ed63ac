"""From the declared resources (:class:`IacModel`) to a scenario of one endpoint.

The endpoint is the file's only ``AWS::SageMaker::Endpoint`` / ``aws_sagemaker_endpoint``, or the
one named with ``--resource``. Its EndpointConfig (the config being deployed: guardsim's
``endpoint.green``) is the resource its ``EndpointConfigName`` refers to. Its DeploymentConfig is
the scenario's ``deployment_config``; every alarm resource becomes a scenario alarm. Values are
converted to the types of the API's shapes (CloudFormation writes numbers as strings:
``Period: '60'``). The result goes through the same validation as a scenario file
(:func:`guardsim.scenarios.loading.scenario_from_dict`); each problem's path is then replaced by
the file, line and IaC path it came from.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping
from typing import Any

from guardsim.errors import Problem
from guardsim.scenarios.boto_shapes import input_shape, shape
from guardsim.scenarios.fields import did_you_mean, join
from guardsim.scenarios.iac.model import IacModel, Interpolated, Resource, ResourceRef
from guardsim.scenarios.iac.source import (
    IacOrigin,
    InferenceComponent,
    Location,
    ParameterRange,
    located_path,
)

#: HyperPod's spelling of the capacity type; endpoints and inference components use
#: CAPACITY_PERCENT (SageMaker API: CapacitySizeType, InferenceComponentCapacitySizeType).
HYPERPOD_PERCENT = "CAPACITY_PERCENTAGE"


def _coerce(value: Any, shp: Any) -> Any:
    """``value`` with strings that the shape types as numbers or booleans converted."""
    kind = shp.type_name
    if kind == "structure" and isinstance(value, Mapping):
        return {k: _coerce(v, shp.members[k]) if k in shp.members else v for k, v in value.items()}
    if kind == "list" and isinstance(value, list):
        return [_coerce(v, shp.member) for v in value]
    if kind in ("integer", "long") and isinstance(value, str) and re.fullmatch(r"-?\d+", value):
        return int(value)
    if kind in ("integer", "long") and isinstance(value, float) and value.is_integer():
        return int(value)
    if kind in ("double", "float") and isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return value
    if kind == "boolean" and isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    return value


class _Builder:
    def __init__(self, model: IacModel) -> None:
        self.model = model
        self.problems: list[Problem] = []
        self.notes: list[str] = list(model.notes)
        self.locations: dict[str, Location] = {}
        self.named: dict[str, str] = {}  # resource id -> the name guardsim uses

    def name(self, res: Resource) -> str:
        if res.id not in self.named:
            own = res.name
            if own is None:
                own = res.id.split(".")[-1]
                self.notes.append(
                    f"{res.id} sets no {res.name_property}; guardsim calls it {own!r} "
                    "(AWS generates a name on deployment)"
                )
            self.named[res.id] = own
        return self.named[res.id]

    def deref(self, value: Any) -> Any:
        """Every reference to a resource replaced by that resource's name."""
        if isinstance(value, ResourceRef):
            target = self.model.resources.get(value.resource)
            return self.name(target) if target is not None else value.resource
        if isinstance(value, Interpolated):
            return "".join(str(self.deref(p)) for p in value.parts)
        if isinstance(value, Mapping):
            return {k: self.deref(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self.deref(v) for v in value]
        return value

    def place(self, res: Resource, prefix: str, api_prefix: str = "") -> None:
        """Record where each field of ``res`` below ``api_prefix`` is, as ``prefix`` paths."""
        for api, loc in res.fields.items():
            if api_prefix and not (api == api_prefix or api.startswith(api_prefix + ".")):
                continue
            rest = api[len(api_prefix) :].lstrip(".") if api_prefix else api
            self.locations[join(prefix, rest) if rest else prefix] = loc

    def referenced(self, value: Any, kind: str) -> Resource | None:
        if isinstance(value, ResourceRef):
            res = self.model.resources.get(value.resource)
            return res if res is not None and res.kind == kind else None
        if isinstance(value, str):
            for res in self.model.of_kind(kind):  # type: ignore[arg-type]
                if res.name == value:
                    return res
        return None


def choose_endpoint(model: IacModel, resource: str | None) -> tuple[Resource | None, list[Problem]]:
    endpoints = model.of_kind("endpoint")
    ids = [r.id for r in endpoints]
    if resource is not None:
        if resource in model.resources and model.resources[resource].kind == "endpoint":
            return model.resources[resource], []
        hint = did_you_mean(resource, ids)
        return None, [
            Problem(
                "",
                f"--resource {resource}: no endpoint resource of that id{hint}; "
                f"endpoints: {', '.join(ids) or 'none'}",
            )
        ]
    if len(endpoints) == 1:
        return endpoints[0], []
    if not endpoints:
        kinds = "AWS::SageMaker::Endpoint / aws_sagemaker_endpoint"
        return None, [Problem("", f"no endpoint resource ({kinds}) in the file")]
    return None, [
        Problem(
            "",
            f"the file declares {len(ids)} endpoints; choose one with --resource "
            f"({', '.join(ids)})",
        )
    ]


def build_raw(
    model: IacModel, resource: str | None, overlay: Mapping[str, Any]
) -> tuple[dict[str, Any] | None, IacOrigin | None, list[Problem]]:
    """The scenario data of the chosen endpoint, its origin, and the problems found so far."""
    b = _Builder(model)
    endpoint, problems = choose_endpoint(model, resource)
    problems = list(model.problems) + problems
    if endpoint is None:
        return None, None, problems
    props = endpoint.properties
    ep_name = b.name(endpoint)
    b.place(endpoint, "endpoint.name", "EndpointName")
    config_ref = props.get("EndpointConfigName")
    config = b.referenced(config_ref, "endpoint_config")
    green: Any = None
    if config is None:
        loc = endpoint.fields.get("EndpointConfigName", endpoint.location)
        where = located_path(loc, "endpoint.green")
        shown = config_ref.resource if isinstance(config_ref, ResourceRef) else config_ref
        problems.append(
            Problem(
                str(where),
                f"EndpointConfigName {shown!r} is not an endpoint config declared in the file; "
                "guardsim needs its ProductionVariants",
            )
        )
    else:
        cfg_shape = input_shape("sagemaker", "CreateEndpointConfig")
        raw_cfg = {k: v for k, v in config.properties.items() if k in cfg_shape.members}
        raw_cfg.pop("Tags", None)
        raw_cfg["EndpointConfigName"] = b.name(config)
        green = _coerce(b.deref(raw_cfg), cfg_shape)
        b.locations["endpoint.green"] = config.location
        b.place(config, "endpoint.green")
    dc_raw = props.get("DeploymentConfig")
    deployment_config = (
        _coerce(b.deref(dc_raw), shape("sagemaker", "DeploymentConfig"))
        if isinstance(dc_raw, Mapping)
        else {}
    )
    if isinstance(dc_raw, Mapping):
        b.place(endpoint, "deployment_config", "DeploymentConfig")
    elif props.get("RetainDeploymentConfig") in (True, "true", "True"):
        b.notes.append(
            f"{endpoint.id} declares no DeploymentConfig but RetainDeploymentConfig: the update "
            "uses the endpoint's last DeploymentConfig, which is not in the file (simulated: "
            "none; give it in the template to lint it)"
        )
    else:
        b.notes.append(f"{endpoint.id} declares no DeploymentConfig (no guardrails)")
    problems.extend(_hyperpod_spelling(deployment_config, "deployment_config", b.locations))

    alarm_shape = input_shape("cloudwatch", "PutMetricAlarm")
    composite_shape = input_shape("cloudwatch", "PutCompositeAlarm")
    alarms: list[Any] = []
    for res in model.of_kind("alarm"):
        raw_alarm = {k: v for k, v in res.properties.items() if k in alarm_shape.members}
        for key in ("Tags", "AlarmActions", "OKActions", "InsufficientDataActions"):
            raw_alarm.pop(key, None)
        raw_alarm["AlarmName"] = b.name(res)
        i = len(alarms)
        alarms.append(_coerce(b.deref(raw_alarm), alarm_shape))
        b.locations[join("alarms", i)] = res.location
        b.place(res, join("alarms", i))
    # composite alarms: AlarmName and AlarmRule decide their state; actions, their suppressor
    # and tags act on notifications only (see aws-model.md#composite-alarms)
    for res in model.of_kind("composite_alarm"):
        if "AlarmRule" not in res.properties:
            continue  # its rule could not be resolved: that problem is reported already
        raw_alarm = {
            k: v for k, v in res.properties.items() if k in ("AlarmRule", "AlarmDescription")
        }
        raw_alarm["AlarmName"] = b.name(res)
        i = len(alarms)
        alarms.append(_coerce(b.deref(raw_alarm), composite_shape))
        b.locations[join("alarms", i)] = res.location
        b.place(res, join("alarms", i))

    data: dict[str, Any] = {
        "name": overlay.get("name", ep_name),
        "endpoint": {"name": ep_name},
        "deployment_config": deployment_config,
        "alarms": alarms,
    }
    if green is not None:
        data["endpoint"]["green"] = green
        overlay_endpoint = overlay.get("endpoint") or {}
        blue = overlay_endpoint.get("blue") if isinstance(overlay_endpoint, Mapping) else None
        if blue is None:
            blue = {**green, "EndpointConfigName": f"{green['EndpointConfigName']}-previous"[:63]}
            b.notes.append(
                f"the config the endpoint serves today is not in the file: assumed a copy of "
                f"{green['EndpointConfigName']!r} named {blue['EndpointConfigName']!r} "
                "(give endpoint.blue in --with OVERLAY)"
            )
        data["endpoint"]["blue"] = blue
    for key in ("description", "models", "traffic", "environment", "simulation", "real"):
        if key in overlay:
            data[key] = overlay[key]
    if "models" not in overlay:
        b.notes.append(
            "model behaviour, traffic and environment: scenario defaults "
            "(give them in --with OVERLAY)"
        )

    ics = tuple(_inference_component(b, r) for r in model.of_kind("inference_component"))
    params = tuple(_parameter(p, endpoint, model, b) for p in model.parameters)
    origin = IacOrigin(
        format=model.format,
        file=model.file,
        resource=endpoint.id,
        locations=dict(b.locations),
        notes=tuple(b.notes),
        inference_components=ics,
        parameters=params,
        resource_location=endpoint.location,
    )
    return data, origin, problems


def _parameter(
    p: ParameterRange, endpoint: Resource, model: IacModel, b: _Builder
) -> ParameterRange:
    path = ""
    if p.resource == endpoint.id and p.field.startswith("DeploymentConfig"):
        path = "deployment_config" + p.field[len("DeploymentConfig") :]
    elif p.resource == endpoint.id and p.field == "EndpointName":
        path = "endpoint.name"
    else:
        for prefix, loc in b.locations.items():
            if loc == p.location:
                path = prefix
                break
    return dataclasses.replace(p, scenario_path=path)


def _inference_component(b: _Builder, res: Resource) -> InferenceComponent:
    dc = res.properties.get("DeploymentConfig")
    fields = {
        api[len("DeploymentConfig.") :]: loc
        for api, loc in res.fields.items()
        if api.startswith("DeploymentConfig.")
    }
    config = (
        _coerce(b.deref(dc), shape("sagemaker", "InferenceComponentDeploymentConfig"))
        if isinstance(dc, Mapping)
        else None
    )
    return InferenceComponent(res.id, res.location, config, fields)


def _hyperpod_spelling(node: Any, path: str, locations: Mapping[str, Location]) -> list[Problem]:
    out: list[Problem] = []
    if isinstance(node, Mapping):
        for k, v in node.items():
            sub = join(path, k)
            if k == "Type" and v == HYPERPOD_PERCENT:
                loc = locations.get(sub)
                out.append(
                    Problem(
                        located_path(loc, sub) if loc else sub,
                        f"{HYPERPOD_PERCENT} is HyperPod's spelling (UpdateClusterSoftware); "
                        "endpoints take CAPACITY_PERCENT "
                        "(https://docs.aws.amazon.com/sagemaker/latest/APIReference/"
                        "API_CapacitySize.html)",
                    )
                )
            else:
                out.extend(_hyperpod_spelling(v, sub, locations))
    return out
