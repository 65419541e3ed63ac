"""Where a scenario read from infrastructure as code came from: file, line and IaC path.

A scenario built from a CloudFormation template or Terraform configuration carries an
:class:`IacOrigin`: for every scenario field path it was built from (``alarms[0].Threshold``)
the :class:`Location` in the source file (``template.yaml``, line 42,
``Resources.Errors.Properties.Threshold``), the defaults the reader chose (said in the output),
and the IaC-only facts the ``iac-*`` lint rules read (inference components, parameter ranges,
which tool will apply it). It is plain data: the simulator never reads it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from guardsim.errors import Problem

#: ``cloudformation`` (a template, CDK synth output included), ``terraform`` (``.tf`` files)
#: or ``terraform-plan`` (the JSON of ``terraform show -json PLANFILE``).
IacFormat = Literal["cloudformation", "terraform", "terraform-plan"]


@dataclass(frozen=True)
class Location:
    """A place in an IaC file: the file as given, a 1-based line (None if unknown), the path."""

    file: str
    line: int | None
    iac_path: str

    def __str__(self) -> str:
        at = f"{self.file}:{self.line}" if self.line is not None else self.file
        return f"{at} {self.iac_path}" if self.iac_path else at


@dataclass(frozen=True)
class ParameterRange:
    """A CloudFormation parameter feeding a scenario field, with the values it admits.

    ``allowed`` is the parameter's ``AllowedValues`` (None if not given); ``minimum`` /
    ``maximum`` its ``MinValue`` / ``MaxValue``.
    """

    name: str
    resource: str
    #: the API path below the resource (``DeploymentConfig...CanarySize.Value``)
    field: str
    location: Location
    allowed: tuple[float, ...] | None
    minimum: float | None
    maximum: float | None
    #: the scenario field it feeds (set by the builder; "" if none)
    scenario_path: str = ""


@dataclass(frozen=True)
class InferenceComponent:
    """An inference component's DeploymentConfig as declared (API names), with locations.

    guardsim does not simulate inference components; lint checks their declaration.
    ``config`` is None when the resource declares no DeploymentConfig. ``fields`` maps the
    API path below DeploymentConfig (``RollingUpdatePolicy.MaximumBatchSize.Type``) to where it
    is written.
    """

    resource: str
    location: Location
    config: Mapping[str, Any] | None
    fields: Mapping[str, Location] = field(default_factory=dict)


#: Lint paths of inference components: ``inference_components.<id>.DeploymentConfig...``
IC_PREFIX = "inference_components."


@dataclass(frozen=True)
class IacOrigin:
    """Where a scenario read from IaC came from (see the module docstring)."""

    format: IacFormat
    file: str
    resource: str
    locations: Mapping[str, Location]
    notes: tuple[str, ...] = ()
    inference_components: tuple[InferenceComponent, ...] = ()
    parameters: tuple[ParameterRange, ...] = ()
    #: the endpoint resource's own location (its ``Type`` line / ``resource`` block)
    resource_location: Location | None = None

    @property
    def tool(self) -> Literal["cloudformation", "terraform"]:
        return "cloudformation" if self.format == "cloudformation" else "terraform"

    def locate(self, scenario_path: str) -> Location | None:
        """The location of ``scenario_path``, or of its nearest ancestor that has one.

        ``alarms[0].Dimensions`` falls back to ``alarms[0]``; a path outside anything read
        from the file falls back to the endpoint resource.
        """
        if scenario_path.startswith(IC_PREFIX):
            return self._locate_ic(scenario_path[len(IC_PREFIX) :])
        path = scenario_path
        while path:
            hit = self.locations.get(path)
            if hit is not None:
                return hit
            cut = max(path.rfind("."), path.rfind("["))
            path = path[:cut] if cut > 0 else ""
        return self.resource_location

    def _locate_ic(self, rest: str) -> Location | None:
        for ic in self.inference_components:
            head = f"{ic.resource}.DeploymentConfig"
            if rest == head or rest.startswith(head + "."):
                api = rest[len(head) :].lstrip(".")
                while api:
                    if api in ic.fields:
                        return ic.fields[api]
                    cut = max(api.rfind("."), api.rfind("["))
                    api = api[:cut] if cut > 0 else ""
                return ic.location
        return self.resource_location

    def given(self, scenario_path: str) -> bool:
        """Whether the IaC file itself sets ``scenario_path`` (not a default)."""
        return scenario_path in self.locations


def relocate(problem: Problem, origin: IacOrigin) -> Problem:
    """``problem`` with its scenario field path replaced by the IaC file, line and path.

    The scenario path stays in brackets, so the message still names guardsim's field.
    """
    loc = origin.locate(problem.path) if problem.path else None
    if loc is None:
        return problem
    return Problem(located_path(loc, problem.path), problem.message, problem.severity)


def located_path(loc: Location, scenario_path: str) -> str:
    """``line 42, Resources.X.Properties.Threshold [alarms[0].Threshold]`` (the file is the
    scenario's source, which every message already names)."""
    at = f"line {loc.line}, " if loc.line is not None else ""
    suffix = f" [{scenario_path}]" if scenario_path else ""
    return f"{at}{loc.iac_path}{suffix}"
