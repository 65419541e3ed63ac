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
* Not answered yet: ``UpdateInferenceComponent`` (the rolling update) and invocations with
  ``InferenceComponentName``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from guardsim.deployment.components import _choose, _Host
from guardsim.scenarios.components import INSTANCE_CAPACITY, Capacity, Component

if TYPE_CHECKING:
    from guardsim.emulator.core import Emulator


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


class InferenceComponents:
    """The inference components of one :class:`~guardsim.emulator.core.Emulator`."""

    def __init__(self, emulator: Emulator) -> None:
        self.em = emulator
        self.items: dict[str, LiveComponent] = {}

    def handlers(self) -> dict[str, Any]:
        return {
            "CreateInferenceComponent": self.create,
            "DescribeInferenceComponent": self.describe,
            "ListInferenceComponents": self.list,
            "DeleteInferenceComponent": self.delete,
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
        hosts = [_Host(Capacity(*known)) for _ in range(count)]
        for other in self.items.values():
            if other.endpoint == ep_name and other.deleting_since is None:
                for host in other.hosts:
                    hosts[host].add(other.component)
        default = self.em.world.environment.component_placement
        placed = []
        for _ in range(c.copies):
            i = _choose(hosts, c, c.placement or default)
            if i is None:
                break
            hosts[i].add(c)
            placed.append(i)
        return tuple(placed)

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


__all__ = ["InferenceComponents", "LiveComponent"]
