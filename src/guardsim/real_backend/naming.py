"""Names and tags of what a real run creates (pure).

Every resource a run creates is named ``guardsim-<run id>-<name in the scenario>`` and tagged
``guardsim:run-id=<run id>``; teardown deletes only resources that carry that exact tag. Names
keep SageMaker's limits (63 characters, letters, digits and hyphens): a name too long for the
prefix is shortened and given a hash of the full name, so it stays unique.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from guardsim.errors import ArgumentError
from guardsim.scenarios.scenario import Scenario

TAG_KEY = "guardsim:run-id"
RUN_ID = re.compile(r"^[a-z0-9]{4,12}$")
#: SageMaker's limit for model, endpoint config and endpoint names.
SAGEMAKER_NAME_MAX = 63
#: CloudWatch's limit for alarm names.
ALARM_NAME_MAX = 255


def new_run_id() -> str:
    """A fresh run id: 8 lowercase hex digits."""
    return secrets.token_hex(4)


def check_run_id(run_id: str) -> str:
    if not RUN_ID.match(run_id):
        raise ArgumentError(f"invalid run id {run_id!r}: use 4 to 12 lowercase letters and digits")
    return run_id


def prefix(run_id: str) -> str:
    return f"guardsim-{run_id}-"


def run_tags(run_id: str) -> list[dict[str, str]]:
    """The tags every created resource carries (boto3 ``Tags`` shape)."""
    return [{"Key": TAG_KEY, "Value": run_id}]


def has_run_tag(tags: Sequence[Mapping[str, Any]], run_id: str) -> bool:
    """True when ``tags`` (boto3 ``Tags``) include ``guardsim:run-id=<run_id>``."""
    return any(t.get("Key") == TAG_KEY and t.get("Value") == run_id for t in tags)


def prefixed(name: str, run_id: str, max_len: int = SAGEMAKER_NAME_MAX) -> str:
    """``guardsim-<run id>-<name>``, shortened (with a hash of ``name``) to ``max_len``."""
    full = prefix(run_id) + name
    if len(full) <= max_len:
        return full
    digest = hashlib.sha256(name.encode("utf-8")).hexdigest()[:8]
    keep = max_len - len(prefix(run_id)) - len(digest) - 1
    return f"{prefix(run_id)}{name[:keep].rstrip('-')}-{digest}"


@dataclass(frozen=True)
class ResourceNames:
    """The real names of one run's resources, and the way back to the scenario's names."""

    run_id: str
    endpoint: str
    blue_config: str
    green_config: str
    blue_model: str
    green_model: str
    #: scenario alarm name -> real alarm name
    alarms: Mapping[str, str]
    #: scenario names of the endpoint and its configs (to rename dimension values)
    scenario_endpoint: str
    scenario_blue_config: str
    scenario_green_config: str
    #: an inference component update: the component's real name ("" for an endpoint update)
    component: str = ""
    scenario_component: str = ""
    #: scenario name -> real name of the neighbour components and of every component's model
    neighbours: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    models: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))

    @classmethod
    def for_scenario(cls, scenario: Scenario, run_id: str) -> ResourceNames:
        check_run_id(run_id)
        if scenario.inference_component is not None:
            return cls._for_component(scenario, run_id)
        ep = scenario.endpoint
        blue_model = ep.blue.variant.extra.get("ModelName") or f"{ep.blue.name}-model"
        green_model = ep.green.variant.extra.get("ModelName") or f"{ep.green.name}-model"
        if green_model == blue_model:  # one model per fleet: the real section gives two
            green_model = f"{green_model}-green"
        return cls(
            run_id=run_id,
            endpoint=prefixed(ep.name, run_id),
            blue_config=prefixed(ep.blue.name, run_id),
            green_config=prefixed(ep.green.name, run_id),
            blue_model=prefixed(str(blue_model), run_id),
            green_model=prefixed(str(green_model), run_id),
            alarms=MappingProxyType(
                {a.name: prefixed(a.name, run_id, ALARM_NAME_MAX) for a in scenario.alarms}
            ),
            scenario_endpoint=ep.name,
            scenario_blue_config=ep.blue.name,
            scenario_green_config=ep.green.name,
        )

    @classmethod
    def _for_component(cls, scenario: Scenario, run_id: str) -> ResourceNames:
        """An inference component update: one endpoint config (the endpoint's own), the old
        and the new model of the component, the neighbours and their models."""
        ic = scenario.inference_component
        assert ic is not None
        old, new = ic.component.model_name, ic.new_model_name
        models = {
            m: prefixed(m, run_id) for m in (old, new, *(n.model_name for n in ic.neighbours))
        }
        config = prefixed(ic.endpoint.name, run_id)
        return cls(
            run_id=run_id,
            endpoint=prefixed(scenario.endpoint.name, run_id),
            blue_config=config,
            green_config=config,
            blue_model=models[old],
            green_model=models[new],
            alarms=MappingProxyType(
                {a.name: prefixed(a.name, run_id, ALARM_NAME_MAX) for a in scenario.alarms}
            ),
            scenario_endpoint=scenario.endpoint.name,
            scenario_blue_config=ic.endpoint.name,
            scenario_green_config=ic.endpoint.name,
            component=prefixed(ic.name, run_id),
            scenario_component=ic.name,
            neighbours=MappingProxyType({n.name: prefixed(n.name, run_id) for n in ic.neighbours}),
            models=MappingProxyType(models),
        )

    @property
    def prefix(self) -> str:
        return prefix(self.run_id)

    def alarm(self, scenario_name: str) -> str:
        """The real name of a scenario alarm (names not in the scenario are prefixed too)."""
        return self.alarms.get(scenario_name) or prefixed(scenario_name, self.run_id, 255)

    def scenario_alarm(self, real_name: str) -> str:
        """The scenario's name of a real alarm (unknown names are returned as they are)."""
        for scenario_name, real in self.alarms.items():
            if real == real_name:
                return scenario_name
        return real_name

    def dimension_value(self, name: str, value: str) -> str:
        """A metric dimension value with the scenario's endpoint and config names made real."""
        if name == "EndpointName" and value == self.scenario_endpoint:
            return self.endpoint
        if name == "InferenceComponentName":
            if value == self.scenario_component:
                return self.component
            return self.neighbours.get(value, value)
        if name == "EndpointConfigName":
            if value == self.scenario_blue_config:
                return self.blue_config
            if value == self.scenario_green_config:
                return self.green_config
        return value
