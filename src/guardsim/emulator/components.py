"""The emulator's inference components: CreateInferenceComponent, DescribeInferenceComponent,
ListInferenceComponents and DeleteInferenceComponent
(https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_CreateInferenceComponent.html,
https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_DescribeInferenceComponent.html).

* **Placement.** Each copy is placed on one of the endpoint's instances with the shared
  placement kernel of :mod:`guardsim.deployment.components` (the copy's
  ``ComputeResourceRequirements`` against what the instance type offers, the component's
  ``SchedulingConfig.PlacementStrategy`` or ``environment.component_placement``), after the
  copies of the endpoint's other components, in the order they were created.
* **Statuses.** ``Creating`` for ``environment.copy_start_seconds``, then ``InService``;
  ``Deleting`` for ``environment.termination_seconds``, then gone (the statuses AWS lists:
  :data:`~guardsim.deployment.components.COMPONENT_STATUSES`).
* **Departures from AWS**, said here: copies that fit on none of the endpoint's instances end
  the component ``Failed`` with a FailureReason (AWS's behaviour when capacity is short is not
  documented; managed instance scaling does not add instances at creation in the emulator); an
  instance type guardsim has no capacity for is refused (ValidationException). The error
  messages follow the emulator's other "Could not find" / "Cannot create already existing"
  answers; AWS documents the codes, not the words.
* **Updates.** ``UpdateInferenceComponent`` with a new ``Specification.ModelName`` and
  ``DeploymentConfig``
  (https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_UpdateInferenceComponent.html)
  runs the simulator's :class:`~guardsim.simulator.controller.Controller` live on the
  component's scenario (the unit view, one unit per copy, as every engine runs it); requests
  with ``InferenceComponentName`` go to the old or new copies by its routing. Other updates
  (copy count, container) are refused: a departure, said in the docs.
* **Background traffic.** A world ``traffic`` entry keyed by a component's
  ``InferenceComponentName`` is that component's background traffic (other callers invoking
  it, as a scenario's neighbour with ``traffic`` is simulated): requests served by its copies,
  published under its name and in the endpoint-wide series, from when it is InService
  (:meth:`InferenceComponents.flush`, on CloudWatch's clock with the endpoints' own).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from guardsim.deployment.components import Host, choose_host
from guardsim.emulator.deployment import LiveRun, component_scenario
from guardsim.emulator.records import Served
from guardsim.scenarios.components import INSTANCE_CAPACITY, Capacity, Component

if TYPE_CHECKING:
    from guardsim.deployment.machine import Transition
    from guardsim.emulator.core import Emulator


@dataclass
class ComponentUpdate(Served):
    """One UpdateInferenceComponent: the models, the controller's run and what it served
    (the run record's counts: :func:`guardsim.emulator.records.build_component_record`)."""

    number: int
    start: float
    old_model: str
    new_model: str
    deployment_config: dict[str, Any]
    run: LiveRun


@dataclass
class LiveComponent:
    """One inference component of the emulated account."""

    name: str
    arn: str
    endpoint: str
    endpoint_arn: str
    variant: str
    params: dict[str, Any]
    component: Component
    created_at: float
    tags: list[dict[str, str]]
    status: str = "Creating"
    last_modified: float = 0.0
    failure_reason: str | None = None
    #: per copy, the index of the endpoint instance it runs on
    hosts: tuple[int, ...] = ()
    deleting_since: float | None = None
    last_deployment_config: dict[str, Any] | None = None
    #: the running UpdateInferenceComponent (the controller's run) and the model it deploys
    run: LiveRun | None = None
    new_model: str = ""
    #: when faults count from: the last update's start, else the creation
    origin: float = 0.0
    updates: list[ComponentUpdate] = field(default_factory=list)
    #: background traffic (the world's entry for the component) is drawn up to here
    traffic_until: float = 0.0

    @property
    def model(self) -> str:
        return self.component.model_name

    def served(self, fleet: str, status: int) -> None:
        """Count one request in the running update (the run record's blast radius)."""
        up = self.updates[-1] if self.updates else None
        if up is None or up.run.finished:
            return
        if fleet == "green":
            up.green_requests += 1
            up.green_errors += status != 200
        up.user_errors += status != 200

    def fleet_of(self, u: float) -> tuple[str, str, LiveRun | None]:
        """(fleet, model, run) serving a request (``u`` uniform in [0, 1)): the new copies'
        share of the traffic is the run's routing, one unit per copy."""
        run = self.run
        if run is None or run.finished:
            return "blue", self.model, None
        if u < run.routing.green_fraction:
            return "green", self.new_model, run
        return "blue", self.model, run


class InferenceComponents:
    """The inference components of one :class:`~guardsim.emulator.core.Emulator`."""

    def __init__(self, emulator: Emulator) -> None:
        self.em = emulator
        self.items: dict[str, LiveComponent] = {}
        self.updates = 0  # UpdateInferenceComponent calls so far (each run's seed)
        #: every UpdateInferenceComponent so far, with its component (kept when it is deleted)
        self.log: list[tuple[LiveComponent, ComponentUpdate]] = []

    def handlers(self) -> dict[str, Any]:
        return {
            "CreateInferenceComponent": self.create,
            "DescribeInferenceComponent": self.describe,
            "ListInferenceComponents": self.list,
            "DeleteInferenceComponent": self.delete,
            "UpdateInferenceComponent": self.update,
        }

    # ------------------------------------------------------------------ helpers

    def _expire(self) -> None:
        now = self.em.now()
        for name in [
            n
            for n, c in self.items.items()
            if c.deleting_since is not None and now >= c.deleting_since
        ]:
            del self.items[name]

    def get(self, name: str) -> LiveComponent:
        from guardsim.emulator.core import _validation

        self._expire()
        if name not in self.items:
            arn = self.em._arn("inference-component", name)
            raise _validation(f'Could not find inference component "{arn}".')
        return self.items[name]

    def _place(self, ep_name: str, variant: dict[str, Any], c: Component) -> tuple[int, ...]:
        """The instance of each copy of ``c`` on the endpoint's instances, after the copies
        already there (the shared placement kernel); raises when the instance type is unknown,
        returns fewer hosts than copies when they do not fit."""
        from guardsim.emulator.core import _validation

        instance_type = str(variant.get("InstanceType", ""))
        known = INSTANCE_CAPACITY.get(instance_type)
        if known is None:
            raise _validation(
                f"guardsim knows no instance capacity for {instance_type!r} (the endpoint's "
                "InstanceType); the emulator cannot place inference component copies on it"
            )
        count = max(1, int(variant.get("InitialInstanceCount", 1)))
        hosts = [Host(Capacity(*known)) for _ in range(count)]
        for other in self.items.values():
            if other.endpoint == ep_name and other.deleting_since is None:
                for host in other.hosts:
                    hosts[host].add(other.component)
        default = self.em.world.environment.component_placement
        placed = []
        for _ in range(c.copies):
            i = choose_host(hosts, c, c.placement or default)
            if i is None:
                break
            hosts[i].add(c)
            placed.append(i)
        return tuple(placed)

    def flush(self, t: float) -> None:
        """Each component's background traffic (the world's ``traffic`` entry keyed by its
        name) from where it stopped up to ``t``, while it serves (InService or Updating):
        Poisson or evenly spaced arrivals at the traffic's expected count
        (:func:`guardsim.model.traffic.expected`, from the component's creation), as the
        endpoints' background traffic is drawn."""
        from guardsim.model.traffic import expected

        em = self.em
        for c in self.items.values():
            traffic = em.world.traffic.get(c.name)
            if traffic is None or t <= c.traffic_until:
                continue
            t0, c.traffic_until = max(c.traffic_until, c.created_at), t
            if t0 >= t or c.status not in ("InService", "Updating"):
                continue
            ep = em.endpoints.get(c.endpoint)
            if ep is None:
                continue
            mean = float(expected(traffic, t0 - c.created_at, t - c.created_at))
            rng = em.rng_traffic
            n = int(rng.poisson(mean)) if traffic.arrivals == "poisson" else round(mean)
            for at in np.sort(rng.uniform(t0, t, n)):
                em._serve(ep, float(at), rng, component=c)

    # ------------------------------------------------------------------ operations

    def create(self, p: dict[str, Any]) -> dict[str, Any]:
        from guardsim.emulator.core import _validation, _variant

        em = self.em
        self._expire()
        name = p["InferenceComponentName"]
        arn = em._arn("inference-component", name)
        if name in self.items:
            raise _validation(f'Cannot create already existing inference component "{arn}".')
        ep = em._endpoint(p["EndpointName"])
        if ep.status != "InService":
            raise _validation(
                f"The endpoint {ep.name} is in {ep.status} status; an inference component can "
                "only be created on an InService endpoint."
            )
        spec = p.get("Specification")
        if not spec or "ComputeResourceRequirements" not in spec:
            raise _validation("Specification.ComputeResourceRequirements must be specified.")
        if "RuntimeConfig" not in p:
            raise _validation("RuntimeConfig must be specified.")
        if spec.get("ModelName"):
            em._model(spec["ModelName"])
        config = em.endpoint_configs.get(ep.config_name)
        variant = _variant(config.params if config else {})
        variant_name = str(p.get("VariantName") or variant.get("VariantName", "AllTraffic"))
        if variant_name != str(variant.get("VariantName", "AllTraffic")):
            raise _validation(f"Could not find variant {variant_name} on endpoint {ep.name}.")
        params = {k: v for k, v in p.items() if k != "Tags"}
        component = Component.from_boto(params)
        placed = self._place(ep.name, variant, component)
        now = em.now()
        live = LiveComponent(
            name,
            arn,
            ep.name,
            ep.arn,
            variant_name,
            params,
            component,
            now,
            list(p.get("Tags", [])),
            last_modified=now,
            hosts=placed,
            origin=now,
        )
        self.items[name] = live
        (start,) = em.world.environment.copy_start_seconds.sample(em.rng_control, 1)
        ready = now + float(start)
        em._emit(now, ep.name, "phase", f"{name}: Creating {component.copies} copy(ies)")

        def come_up() -> Any:
            yield em.env.timeout(ready - em.env.now)
            if live.status != "Creating":
                return
            live.last_modified = ready
            if len(live.hosts) < component.copies:
                live.status = "Failed"
                live.failure_reason = (
                    f"Insufficient capacity: {len(live.hosts)} of {component.copies} copies "
                    f"fit on the endpoint's instances."
                )
                em._emit(ready, ep.name, "phase", f"{name}: Failed: {live.failure_reason}")
            else:
                live.status = "InService"
                em._emit(ready, ep.name, "phase", f"{name}: InService")

        em.env.process(come_up())
        return {"InferenceComponentArn": arn}

    def describe(self, p: dict[str, Any]) -> dict[str, Any]:
        from guardsim.emulator.core import _dt

        c = self.get(p["InferenceComponentName"])
        spec = c.params.get("Specification", {})
        running = len(c.hosts) if c.status in ("InService", "Updating", "Deleting") else 0
        if c.run is not None and not c.run.finished:
            running = c.run.routing.active_blue + c.run.routing.active_green
        out: dict[str, Any] = {
            "InferenceComponentName": c.name,
            "InferenceComponentArn": c.arn,
            "EndpointName": c.endpoint,
            "EndpointArn": c.endpoint_arn,
            "VariantName": c.variant,
            "Specification": {
                k: spec[k]
                for k in (
                    "ModelName",
                    "Container",
                    "StartupParameters",
                    "ComputeResourceRequirements",
                    "BaseInferenceComponentName",
                    "SchedulingConfig",
                )
                if k in spec
            },
            "RuntimeConfig": {
                "DesiredCopyCount": c.component.copies,
                "CurrentCopyCount": running,
            },
            "CreationTime": _dt(c.created_at),
            "LastModifiedTime": _dt(c.last_modified),
            "InferenceComponentStatus": c.status,
        }
        if c.failure_reason and c.status == "Failed":
            out["FailureReason"] = c.failure_reason
        if c.last_deployment_config is not None:
            out["LastDeploymentConfig"] = c.last_deployment_config
        return out

    def list(self, p: dict[str, Any]) -> dict[str, Any]:
        from guardsim.emulator.core import _epoch, _list_response

        self._expire()
        rows = list(self.items.values())
        for key, attr in (("StatusEquals", "status"), ("EndpointNameEquals", "endpoint")):
            if p.get(key):
                rows = [c for c in rows if getattr(c, attr) == p[key]]
        if p.get("VariantNameEquals"):
            rows = [c for c in rows if c.variant == p["VariantNameEquals"]]
        if "LastModifiedTimeAfter" in p:
            rows = [c for c in rows if c.last_modified > _epoch(p["LastModifiedTimeAfter"])]
        if "LastModifiedTimeBefore" in p:
            rows = [c for c in rows if c.last_modified < _epoch(p["LastModifiedTimeBefore"])]
        return _list_response(
            rows,
            p,
            "InferenceComponents",
            lambda c: {
                "InferenceComponentName": c.name,
                "InferenceComponentArn": c.arn,
                "EndpointName": c.endpoint,
                "EndpointArn": c.endpoint_arn,
                "VariantName": c.variant,
                "InferenceComponentStatus": c.status,
                "LastModifiedTime": c.last_modified,
            },
            times=("CreationTime", "LastModifiedTime"),
        )

    def update(self, p: dict[str, Any]) -> dict[str, Any]:
        """A rolling update to a new model (``Specification.ModelName``) with
        ``DeploymentConfig``, run by the simulator's controller on the unit view (one unit per
        copy) of the component, as every engine runs it."""
        from guardsim.emulator.core import _aws_problem, _validation

        em = self.em
        c = self.get(p["InferenceComponentName"])
        if c.status != "InService":
            raise _validation(f'Cannot update in-progress inference component "{c.arn}".')
        new_model = str((p.get("Specification") or {}).get("ModelName") or "")
        dc = p.get("DeploymentConfig")
        if dc is None or not new_model or new_model == c.model:
            raise _validation(
                "The emulator runs UpdateInferenceComponent as a rolling update only: give "
                "DeploymentConfig and a new Specification.ModelName."
            )
        runtime = p.get("RuntimeConfig") or {}
        if runtime.get("CopyCount", c.component.copies) != c.component.copies:
            raise _validation(
                "The emulator does not change RuntimeConfig.CopyCount in a rolling update."
            )
        model = em._model(new_model)
        names = [a["AlarmName"] for a in dc.get("AutoRollbackConfiguration", {}).get("Alarms", [])]
        missing = [n for n in names if n not in em.alarms]
        if missing:
            raise _validation(f"Alarm(s) not found: {', '.join(missing)}")
        ep = em._endpoint(c.endpoint)
        config = em._config(ep.config_name)
        neighbours = [
            o.params
            for o in self.items.values()
            if o.endpoint == c.endpoint and o is not c and o.deleting_since is None
        ]
        scenario, problems = component_scenario(
            ep.name, config.params, c.params, new_model, neighbours, dict(dc), em.world.environment
        )
        if scenario is None:
            raise _validation("; ".join(_aws_problem(x.path, x.message) for x in problems[:3]))
        behaviour = em.world.behaviour_on_update(model.params)
        if behaviour is not None:  # a `role: update` rule (world.py)
            model.behaviour, model.faults = behaviour, em._faults_of(behaviour)
        now = em.now()
        self.updates += 1
        run = em.live_run(
            scenario,
            [em._seed, 0, self.updates],  # 0: a component's, apart from the endpoints' updates
            lambda _run, t: self._on_transition(c, t),
            lambda run, when: self._on_routing(c, run, when),
        )
        up = ComponentUpdate(self.updates, now, c.model, new_model, dict(dc), run)
        c.updates.append(up)
        self.log.append((c, up))
        c.run, c.new_model, c.origin = run, new_model, now
        c.status, c.last_modified, c.failure_reason = "Updating", now, None
        c.last_deployment_config = dict(dc)
        controller = run.begin(c.component.copies)
        controller.done.callbacks.append(lambda _: self._finish(c))
        return {"InferenceComponentArn": c.arn}

    def _on_transition(self, c: LiveComponent, transition: Transition) -> None:
        self.em._emit(
            self.em.now(),
            c.endpoint,
            "phase",
            f"{c.name}: {transition.target.value}: {transition.reason}",
        )

    def _on_routing(self, c: LiveComponent, run: LiveRun, when: str) -> None:
        if when == "after" and c.updates and c.updates[-1].run is run:
            up = c.updates[-1]
            up.peak_green = max(up.peak_green, run.routing.green_fraction)

    def _finish(self, c: LiveComponent) -> None:
        """The update's end: InService on the new model, InService on the old one after a
        rollback (there is no RollingBack status, so a rollback ends InService), or Failed."""
        run = c.run
        assert run is not None and run.controller is not None
        controller = run.controller
        c.last_modified = self.em.now()
        if controller.outcome == "SUCCEEDED":
            spec = {**c.params.get("Specification", {}), "ModelName": c.new_model}
            c.params = {**c.params, "Specification": spec}
            c.component = Component.from_boto(c.params)
            c.status = "InService"
        elif controller.outcome == "ROLLED_BACK":
            c.status = "InService"
        else:
            c.status = "Failed"
            c.failure_reason = "The update failed: " + "; ".join(
                t.reason for t in controller.machine.transitions[-1:]
            )
        if self.em.records_dir is not None and c.updates:
            from guardsim.emulator.records import write_component_record

            write_component_record(self.em, c, c.updates[-1], self.em.records_dir)

    def delete(self, p: dict[str, Any]) -> dict[str, Any]:
        em = self.em
        c = self.get(p["InferenceComponentName"])
        if c.deleting_since is None:
            (seconds,) = em.world.environment.termination_seconds.sample(em.rng_control, 1)
            c.deleting_since = em.now() + float(seconds)
            c.status = "Deleting"
            c.last_modified = em.now()
            em._emit(em.now(), c.endpoint, "phase", f"{c.name}: Deleting")
        return {}


__all__ = ["ComponentUpdate", "InferenceComponents", "LiveComponent"]
