"""The Scenario: one deployment to simulate, as a typed, frozen tree."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from guardsim.scenarios.boto import (
    CompositeAlarm,
    DeploymentConfig,
    EndpointConfig,
    MetricAlarm,
    thaw,
)
from guardsim.scenarios.components import InferenceComponent
from guardsim.scenarios.environment import Environment, Simulation
from guardsim.scenarios.fields import dump_dataclass, dump_value
from guardsim.scenarios.models import Models
from guardsim.scenarios.real import Real
from guardsim.scenarios.traffic import Traffic

if TYPE_CHECKING:
    from guardsim.scenarios.iac.source import IacOrigin


@dataclass(frozen=True)
class Endpoint:
    """The endpoint being updated: its name and the blue (current) and green (new) configs."""

    name: str
    blue: EndpointConfig
    green: EndpointConfig
    #: The inference component being updated (its name), when the update is a component's
    #: rolling update: then blue and green are the old and new copies (one unit per copy, see
    #: :func:`guardsim.scenarios.components.unit_view`), on one endpoint config.
    component: str | None = None
    #: The neighbour components whose requests are simulated (their names): each is a fleet of
    #: its own in the engines (:func:`guardsim.scenarios.components.neighbour_fleet`).
    neighbours: tuple[str, ...] = ()

    @property
    def variant_name(self) -> str:
        return self.blue.variant.variant_name

    def to_data(self) -> dict[str, Any]:
        return {"name": self.name, "blue": self.blue.to_boto(), "green": self.green.to_boto()}


@dataclass(frozen=True)
class Scenario:
    """A deployment to simulate: endpoint, DeploymentConfig, alarms, models, traffic, settings."""

    name: str
    endpoint: Endpoint
    deployment_config: DeploymentConfig
    alarms: tuple[MetricAlarm, ...] = ()
    models: Models = field(default_factory=Models)
    traffic: Traffic = field(default_factory=Traffic)
    environment: Environment = field(default_factory=Environment)
    simulation: Simulation = field(default_factory=Simulation)
    description: str = ""
    #: The composite alarms (``alarms`` entries with ``AlarmRule``; see
    #: aws-model.md#composite-alarms). In ``to_dict`` they follow the metric alarms.
    composite_alarms: tuple[CompositeAlarm, ...] = ()
    #: How to run it on real SageMaker (``guardsim real``); the simulator never reads it.
    real: Real | None = None
    #: An inference component's rolling update (``UpdateInferenceComponent``): the section as
    #: given. ``endpoint`` and ``deployment_config`` are then its unit view (one unit per copy).
    inference_component: InferenceComponent | None = None
    #: Where a scenario read from infrastructure as code came from (file, lines, IaC paths);
    #: None for scenario files. Not part of the scenario's data: ``to_dict`` leaves it out.
    origin: IacOrigin | None = field(default=None, compare=False, repr=False)

    def to_dict(self) -> dict[str, Any]:
        """Plain data in the scenario file format; ``scenario_from_dict`` inverts it exactly."""
        data: dict[str, Any] = {
            "name": self.name,
            "description": self.description,
            "endpoint": self.endpoint.to_data(),
            "deployment_config": self.deployment_config.to_boto(),
            "alarms": [a.to_boto() for a in self.alarms]
            + [c.to_boto() for c in self.composite_alarms],
            "models": dump_value(self.models),
            "traffic": dump_dataclass(self.traffic),
            "environment": dump_dataclass(self.environment),
            "simulation": dump_dataclass(self.simulation),
        }
        if self.real is not None:  # left out when absent, so existing records do not change
            data["real"] = dump_dataclass(self.real)
        ic = self.inference_component
        if ic is not None:  # written as given: the endpoint's own config, the IC shapes
            data["endpoint"] = {"name": self.endpoint.name, "blue": ic.endpoint.to_boto()}
            data["deployment_config"] = thaw(ic.raw_deployment_config)
            data["inference_component"] = ic.to_data()
        return data

    def alarm(self, name: str) -> MetricAlarm:
        for a in self.alarms:
            if a.name == name:
                return a
        raise KeyError(name)

    @property
    def rollback_alarms(self) -> tuple[MetricAlarm, ...]:
        """The alarms SageMaker watches (named in AutoRollbackConfiguration), in that order."""
        by_name = {a.name: a for a in self.alarms}
        return tuple(
            by_name[n] for n in self.deployment_config.rollback_alarm_names if n in by_name
        )

    @property
    def rollback_composites(self) -> tuple[CompositeAlarm, ...]:
        """The composite alarms named in AutoRollbackConfiguration, in that order (SageMaker
        reads them only with ``environment.rollback_sees_composite_alarms``)."""
        by_name = {a.name: a for a in self.composite_alarms}
        return tuple(
            by_name[n] for n in self.deployment_config.rollback_alarm_names if n in by_name
        )

    @property
    def seen_rollback_alarm_names(self) -> tuple[str, ...]:
        """The AutoRollbackConfiguration alarms SageMaker reads, in that order: the metric
        alarms, and the composites too with ``environment.rollback_sees_composite_alarms``."""
        seen = {a.name for a in self.rollback_alarms}
        if self.environment.rollback_sees_composite_alarms:
            seen |= {c.name for c in self.rollback_composites}
        return tuple(n for n in self.deployment_config.rollback_alarm_names if n in seen)

    def evaluated_alarms(
        self, everything: bool
    ) -> tuple[tuple[MetricAlarm, ...], tuple[CompositeAlarm, ...]]:
        """(metric alarms, composite alarms) an engine evaluates: every alarm when
        ``everything`` (a detailed run), else those SageMaker's rollback can read: the rollback
        metric alarms and, with ``environment.rollback_sees_composite_alarms``, the rollback
        composites and every alarm beneath them. Composites come children first (the order
        they are re-evaluated in at an instant)."""
        from guardsim.cloudwatch.composite import descendants, evaluation_order

        kids = {c.name: c.children for c in self.composite_alarms}
        if everything:
            metrics: tuple[MetricAlarm, ...] = self.alarms
            names = list(kids)
        else:
            roots = (
                [c.name for c in self.rollback_composites]
                if self.environment.rollback_sees_composite_alarms
                else []
            )
            names, below = descendants(roots, kids.get)
            first = self.rollback_alarms
            taken = {a.name for a in first}
            metrics = first + tuple(
                a for a in self.alarms if a.name in below and a.name not in taken
            )
        order = evaluation_order({n: kids[n] for n in names})
        by_name = {c.name: c for c in self.composite_alarms}
        return metrics, tuple(by_name[n] for n in order)

    def with_seed(self, seed: int) -> Scenario:
        return dataclasses.replace(self, simulation=dataclasses.replace(self.simulation, seed=seed))
