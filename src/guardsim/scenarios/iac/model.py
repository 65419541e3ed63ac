"""What the IaC readers produce: the declared SageMaker and CloudWatch resources, API-named.

Each reader (CloudFormation, Terraform ``.tf``, Terraform plan JSON) turns its file into an
:class:`IacModel`: resources by logical id (CloudFormation) or address (Terraform), their
properties resolved and renamed to the AWS API's names (``DeploymentConfig``, ``PutMetricAlarm``
arguments), and the :class:`Location` of every field. :mod:`guardsim.scenarios.iac.build` then
makes a scenario of one endpoint. A reference between resources stays a :class:`ResourceRef`
until the builder knows what it names.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from guardsim.errors import Problem
from guardsim.scenarios.iac.source import IacFormat, Location, ParameterRange

Kind = Literal[
    "endpoint", "endpoint_config", "model", "alarm", "composite_alarm", "inference_component"
]


@dataclass(frozen=True)
class ResourceRef:
    """A reference to another resource of the same file (``!Ref X``, ``!GetAtt X.Name``,
    ``aws_cloudwatch_metric_alarm.x.alarm_name``)."""

    resource: str
    attribute: str | None = None


@dataclass(frozen=True)
class Interpolated:
    """A string with other resources' names inside it (Terraform's
    ``"ALARM(${aws_cloudwatch_metric_alarm.x.alarm_name})"``), joined once the names are known."""

    parts: tuple[str | ResourceRef, ...]


@dataclass
class Resource:
    """One declared resource: its id, kind, API-named properties and where each one is."""

    id: str
    kind: Kind
    properties: dict[str, Any]
    location: Location
    #: API path below the resource (``DeploymentConfig.AutoRollbackConfiguration``) -> where
    fields: dict[str, Location] = field(default_factory=dict)
    #: the name AWS gives the resource (its EndpointName/AlarmName/... or None if unnamed)
    name_property: str | None = None

    @property
    def name(self) -> str | None:
        if self.name_property is None:
            return None
        value = self.properties.get(self.name_property)
        return value if isinstance(value, str) else None


@dataclass
class IacModel:
    """Every resource guardsim reads from one file, and what could not be read."""

    format: IacFormat
    file: str
    resources: dict[str, Resource] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    parameters: list[ParameterRange] = field(default_factory=list)

    def of_kind(self, kind: Kind) -> list[Resource]:
        return [r for r in self.resources.values() if r.kind == kind]
