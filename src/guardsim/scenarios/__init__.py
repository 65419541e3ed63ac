"""What a scenario is: typed, frozen dataclasses, strict loading, validation, the library.

A scenario file has these sections (every one optional but ``deployment_config`` in practice):
``name``, ``description``, ``endpoint`` (blue and green ``create_endpoint_config`` arguments),
``deployment_config`` (the ``UpdateEndpoint`` DeploymentConfig, as in boto3), ``alarms`` (a list
of ``put_metric_alarm`` keyword arguments), ``models``, ``traffic``, ``environment`` and
``simulation``.

Loading and validation (:mod:`~guardsim.scenarios.loading`) load on first use: validation
plans the deployment steps (:mod:`guardsim.deployment.plan`), which itself needs the scenario
types, so importing either package first works.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from guardsim._lazy import lazy_attributes
from guardsim.scenarios.boto import (
    AutoRollbackConfig,
    BlueGreenUpdatePolicy,
    CapacitySize,
    DeploymentConfig,
    Dimension,
    EndpointConfig,
    MetricAlarm,
    ProductionVariant,
    RollingUpdatePolicy,
    TrafficRoutingConfig,
)
from guardsim.scenarios.environment import Environment, Simulation
from guardsim.scenarios.models import (
    ErrorFault,
    LatencyFault,
    LoadErrorFault,
    ModelBehaviour,
    Models,
    WarmupFault,
)
from guardsim.scenarios.scenario import Endpoint, Scenario
from guardsim.scenarios.traffic import Burst, Traffic

if TYPE_CHECKING:
    from guardsim.scenarios.loading import (
        LoadResult,
        check_scenario_dict,
        load_scenario,
        read_scenario,
        scenario_from_dict,
    )

_LAZY = {
    name: "guardsim.scenarios.loading"
    for name in (
        "LoadResult",
        "check_scenario_dict",
        "check_scenario_dict",
        "load_scenario",
        "read_scenario",
        "scenario_from_dict",
    )
}

__all__ = [
    "AutoRollbackConfig",
    "BlueGreenUpdatePolicy",
    "Burst",
    "CapacitySize",
    "DeploymentConfig",
    "Dimension",
    "Endpoint",
    "EndpointConfig",
    "Environment",
    "ErrorFault",
    "LatencyFault",
    "LoadErrorFault",
    "LoadResult",
    "MetricAlarm",
    "ModelBehaviour",
    "Models",
    "ProductionVariant",
    "RollingUpdatePolicy",
    "Scenario",
    "Simulation",
    "Traffic",
    "TrafficRoutingConfig",
    "WarmupFault",
    "check_scenario_dict",
    "load_scenario",
    "read_scenario",
    "scenario_from_dict",
]


__getattr__, __dir__ = lazy_attributes("guardsim.scenarios", globals(), _LAZY)
