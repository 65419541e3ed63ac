"""One UpdateEndpoint in the emulator: the simulator's own controller, driven live.

SageMaker's side of an update is :class:`guardsim.simulator.controller.Controller`, the same
SimPy process the simulator runs, with the same decision logic (:mod:`guardsim.deployment`:
the state machine, the step plan, the trip check and the waits). Here it runs in the
emulator's SimPy environment, whose clock is the emulated epoch time, and reads the emulator's
live alarms. What it needs from a "run" (:class:`LiveRun`) is small: the environment, the
scenario it deploys (built from the endpoint configs and the DeploymentConfig the client gave),
a random stream, the fleets, the routing and the alarms by name.

The controller's "sleep through polls that cannot find anything" shortcut is switched off
(``next_evaluation`` is -inf): the alarms change state at instants the controller cannot lay
out in advance here, since the traffic is the client's. It then polls every
``alarm_poll_interval_seconds``, which is what the shortcut is proven equal to.

A multi-variant endpoint's update is one run per production variant (its **lanes**, as the
simulator's engines have them: :func:`guardsim.scenarios.variants.lanes`), the first one
driving the one controller: every variant takes each step at once, and a tripped alarm rolls
every variant back.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Generator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import simpy

from guardsim.deployment.machine import DeploymentMachine, Phase, Transition, Trigger
from guardsim.emulator.alarms import LiveAlarm, LiveComposite
from guardsim.errors import Problem
from guardsim.scenarios.environment import Environment
from guardsim.scenarios.scenario import Scenario
from guardsim.scenarios.variants import lanes
from guardsim.simulator.controller import Controller
from guardsim.simulator.dataplane import Routing
from guardsim.simulator.fleet import Fleets, Instance


class AlarmsByName:
    """The emulator's alarms by name, as the controller asks for them (its "monitor")."""

    changes = 0

    def __init__(self, alarms: Mapping[str, LiveAlarm | LiveComposite]) -> None:
        self._alarms = alarms

    def by_name(self, name: str) -> LiveAlarm | LiveComposite | None:
        return self._alarms.get(name)


@dataclass
class _DataPlane:
    counting: bool = False


class _Machine(DeploymentMachine):
    """The state machine, telling the emulator of every transition as it happens."""

    def __init__(self, on_fire: Callable[[Transition], None]) -> None:
        super().__init__()
        self._on_fire = on_fire

    def fire(self, time: float, trigger: Trigger, reason: str) -> Transition:
        transition = super().fire(time, trigger, reason)
        self._on_fire(transition)
        return transition


@dataclass
class LiveRun:
    """What the controller reads and changes; one per UpdateEndpoint."""

    env: simpy.Environment
    scenario: Scenario
    rng_control: np.random.Generator
    monitor: AlarmsByName
    start: float
    on_transition: Callable[[LiveRun, Transition], None]
    on_routing: Callable[[LiveRun, str], None]
    fleets: Fleets = field(default_factory=Fleets)
    notes: list[str] = field(default_factory=list)
    dataplane: _DataPlane = field(default_factory=_DataPlane)
    #: the routing after every change: {t, green_fraction, active_blue, active_green}
    traffic: list[dict[str, Any]] = field(default_factory=list)
    #: switches the controller's sleep-through shortcut off (see the module doc)
    next_evaluation: float = -math.inf
    evaluation_interval: float = 60.0
    routing: Routing = field(default_factory=lambda: Routing([], []))
    controller: Controller | None = None
    #: the judges' per-minute recorder the controller feeds (``simulator/looks.py``): the
    #: emulation records none
    looks: None = None
    #: this lane's variant, its share of the endpoint's requests and its single-variant
    #: scenario (the whole scenario's, for a single-variant endpoint)
    variant_name: str = "AllTraffic"
    share: float = 1.0
    lane_scenario: Scenario | None = None
    #: every variant's run, this one first (one for a single-variant endpoint)
    lanes: list[LiveRun] = field(default_factory=list, repr=False, compare=False)
    _process: simpy.Process | None = None

    def __post_init__(self) -> None:
        if self.lanes:  # a lane of another run (below): the first run made it
            return
        split = lanes(self.scenario)
        self.variant_name, self.share = split[0].variant_name, split[0].share
        self.lane_scenario = split[0].scenario
        self.lanes = [self]
        for lane in split[1:]:
            other = LiveRun(
                env=self.env,
                scenario=lane.scenario,
                rng_control=self.rng_control,
                monitor=self.monitor,
                start=self.start,
                on_transition=self.on_transition,
                on_routing=self.on_routing,
                variant_name=lane.variant_name,
                share=lane.share,
                lane_scenario=lane.scenario,
                lanes=self.lanes,
            )
            self.lanes.append(other)

    def begin(self, blue_count: int) -> Controller:
        """Put the blue fleets in service (``blue_count`` instances for a single variant, each
        variant's InitialInstanceCount for several) and start the controller's process."""
        for lane in self.lanes:
            assert lane.lane_scenario is not None
            n = (
                blue_count
                if len(self.lanes) == 1
                else lane.lane_scenario.endpoint.blue.instance_count
            )
            blue = lane.fleets.launch("blue", self.start, [0.0] * n)
            lane.fleets.activate(blue, self.start)
        for lane in self.lanes[1:]:
            lane.after_routing_change()
        self.after_routing_change()
        controller = Controller(self)  # type: ignore[arg-type]  # the run interface, duck-typed
        controller.machine = _Machine(lambda t: self.on_transition(self, t))
        self.controller = controller
        self._process = self.env.process(self._drive(controller))
        return controller

    def _drive(self, controller: Controller) -> Generator[simpy.Event, Any, None]:
        """The controller's process, which :meth:`stop` may cut short."""
        try:
            yield from controller.process()
        except simpy.Interrupt as stop:
            trigger, reason = stop.cause  # type: ignore[misc]  # (Trigger, str) from stop()
            controller.fire(trigger, reason)
            controller.finish("FAILED")

    def stop(self, trigger: Trigger, reason: str) -> None:
        """End the update now with ``trigger`` (``TIMEOUT_FAILED`` or ``ROLLBACK_FAILED``): an
        injected fault (:mod:`guardsim.emulator.faults`). Called from another process."""
        if self._process is not None and self._process.is_alive:
            self._process.interrupt((trigger, reason))

    def before_routing_change(self) -> None:
        self.on_routing(self, "before")

    def after_routing_change(self) -> None:
        """This lane's routing from its active instances; the first lane (called last, see
        :meth:`Controller.set_lane_routing`) logs the endpoint's traffic."""
        active = self.fleets.active
        self.routing = Routing(
            [i.activated_at or 0.0 for i in active["blue"]],
            [i.activated_at or 0.0 for i in active["green"]],
        )
        if self.lanes[0] is not self:
            return
        self.traffic.append(
            {
                "t": self.env.now - self.start,
                "green_fraction": self.green_fraction,
                "active_blue": sum(lane.routing.active_blue for lane in self.lanes),
                "active_green": sum(lane.routing.active_green for lane in self.lanes),
            }
        )
        self.on_routing(self, "after")

    @property
    def green_fraction(self) -> float:
        """The endpoint's share of requests that green serves: each variant's share times its
        green fraction."""
        return float(sum(lane.share * lane.routing.green_fraction for lane in self.lanes))

    def lane(self, variant_name: str) -> LiveRun | None:
        """The run of the variant ``variant_name`` (None: not a variant of the endpoint)."""
        return next((r for r in self.lanes if r.variant_name == variant_name), None)

    # ------------------------------------------------------------ reading the state

    @property
    def phase(self) -> Phase:
        return self.controller.phase if self.controller is not None else Phase.IN_SERVICE

    @property
    def finished(self) -> bool:
        return self.controller is not None and self.controller.outcome is not None

    def pick(self, fleet: str, u: float) -> Instance | None:
        """An active instance of the fleet (``u`` uniform in [0, 1))."""
        active = self.fleets.active[fleet]
        if not active:
            return None
        return active[min(int(u * len(active)), len(active) - 1)]


def _alarm_stubs(
    deployment_config: Mapping[str, Any], dimensions: list[dict[str, str]]
) -> list[dict[str, Any]]:
    """The rollback alarms are the emulator's live ones; the scenario only needs their names
    to exist, so each is given as a plain alarm on ``dimensions`` (never evaluated)."""
    names = [
        str(a.get("AlarmName"))
        for a in (deployment_config.get("AutoRollbackConfiguration") or {}).get("Alarms", [])
    ]
    return [
        {
            "AlarmName": n,
            "Namespace": "AWS/SageMaker",
            "MetricName": "Invocation5XXErrors",
            "Statistic": "Average",
            "Period": 60,
            "EvaluationPeriods": 1,
            "Threshold": 1.0,
            "ComparisonOperator": "GreaterThanOrEqualToThreshold",
            "Dimensions": dimensions,
        }
        for n in dict.fromkeys(names)
    ]


def _checked(
    raw: dict[str, Any], environment: Environment
) -> tuple[Scenario | None, list[Problem]]:
    from dataclasses import replace

    from guardsim.scenarios.loading import check_scenario_dict

    result = check_scenario_dict(raw, source="emulator")
    errors = [p for p in result.problems if p.severity == "error"]
    if result.scenario is None:
        return None, errors
    return replace(result.scenario, environment=environment), []


def deployment_scenario(
    name: str,
    endpoint: str,
    blue: Mapping[str, Any],
    green: Mapping[str, Any],
    deployment_config: Mapping[str, Any],
    environment: Environment,
) -> tuple[Scenario | None, list[Problem]]:
    """The scenario the controller deploys: the endpoint's current and new config and the
    DeploymentConfig, checked as guardsim checks a scenario's (the errors returned)."""
    first = (blue.get("ProductionVariants") or [{}])[0]
    dims = [
        {"Name": "EndpointName", "Value": endpoint},
        {"Name": "VariantName", "Value": str(first.get("VariantName", "AllTraffic"))},
    ]
    raw = {
        "name": name,
        "endpoint": {"name": endpoint, "blue": dict(blue), "green": dict(green)},
        "deployment_config": dict(deployment_config),
        "alarms": _alarm_stubs(deployment_config, dims),
    }
    return _checked(raw, environment)


def component_scenario(
    endpoint: str,
    endpoint_config: Mapping[str, Any],
    component: Mapping[str, Any],
    new_model: str,
    neighbours: Sequence[Mapping[str, Any]],
    deployment_config: Mapping[str, Any],
    environment: Environment,
) -> tuple[Scenario | None, list[Problem]]:
    """The scenario the controller runs for one UpdateInferenceComponent: the endpoint's
    config, the component (``create_inference_component`` arguments) and its neighbours, the
    new model and the InferenceComponentDeploymentConfig, checked as a scenario's
    ``inference_component`` section is (the errors returned)."""
    name = str(component["InferenceComponentName"])
    section: dict[str, Any] = {"component": dict(component), "new_model_name": new_model}
    if neighbours:
        section["neighbours"] = [dict(n) for n in neighbours]
    raw = {
        "name": name,
        "endpoint": {"name": endpoint, "blue": dict(endpoint_config)},
        "inference_component": section,
        "deployment_config": dict(deployment_config),
        "alarms": _alarm_stubs(
            deployment_config, [{"Name": "InferenceComponentName", "Value": name}]
        ),
    }
    return _checked(raw, environment)


__all__ = ["AlarmsByName", "LiveRun", "component_scenario", "deployment_scenario"]
