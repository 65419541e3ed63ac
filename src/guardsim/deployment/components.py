"""An inference component's rolling update, planned: where copies go and what each batch needs.

Pure functions of the ``inference_component`` section and the ``environment`` settings
(see aws-model.md#inference-components; the API:
https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_InferenceComponentRollingUpdatePolicy.html):

* **Placement.** Each copy needs its ``ComputeResourceRequirements`` (cores, accelerators,
  memory) free on one instance. The neighbours' copies are placed first, then the component's
  old copies, each with its ``SchedulingConfig.PlacementStrategy`` (SPREAD: the fitting instance
  with the fewest copies of that component; BINPACK: the fitting instance with the least room
  left), or ``environment.component_placement`` when it is not given (the default is
  undocumented).
* **Batches.** A batch of ``MaximumBatchSize`` new copies is started while that batch's old
  copies still run ("for each step, SageMaker AI provisions capacity on the new endpoint fleet,
  routes traffic to that fleet, and terminates capacity on the old endpoint fleet"); a copy that
  fits on no instance gets a new one when managed instance scaling allows (``MaxInstanceCount``),
  and the batch **stalls** otherwise: its copies never start and the update can only run into
  ``MaximumExecutionTimeoutInSeconds``. After the bake the batch's old copies are removed and
  their room is free for the next batch. Added instances stay until the update ends (AWS's
  sample went from 2 to 3 to 2 instances; the scale-in after the update is not simulated).
* **Readiness.** A copy on an instance with room starts in ``environment.copy_start_seconds``;
  one on an added instance waits for ``environment.provisioning_seconds`` first
  (:func:`copy_ready_seconds`, scalar or array: the SimPy controller and the batch engine both
  call it).
* **Rollback.** Old copies are re-created in ``RollbackMaximumBatchSize`` batches, each in
  ``copy_start_seconds`` (the rolling path's rollback, in copies); the room is the new copies'
  (still on their instances until each rollback batch turns them off), so no instance is added.

The rolling path itself (batches, traffic by copy counts, bakes, the timeout, the rollback) is
the endpoint rolling update's: :mod:`guardsim.deployment.plan` and the controllers run it with
one unit per copy.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from guardsim.scenarios.components import Capacity, Component, InferenceComponent

if TYPE_CHECKING:
    from guardsim.scenarios.environment import Environment
    from guardsim.scenarios.scenario import Scenario

#: The statuses DescribeInferenceComponent reports
#: (https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_DescribeInferenceComponent.html):
#: there is no RollingBack, so a rolled-back update ends InService.
COMPONENT_STATUSES = ("InService", "Creating", "Updating", "Failed", "Deleting")


class Host:
    """One instance's free room and the copies on it, per component name."""

    def __init__(self, capacity: Capacity) -> None:
        self.cpus = capacity.cpus
        self.accelerators = capacity.accelerators
        self.memory = capacity.memory_mb
        self.copies: dict[str, int] = {}

    def fits(self, c: Component) -> bool:
        r = c.requirements
        eps = 1e-9
        return (
            r.cpus <= self.cpus + eps
            and r.accelerators <= self.accelerators + eps
            and r.memory_mb <= self.memory + eps
        )

    def add(self, c: Component, sign: int = 1) -> None:
        r = c.requirements
        self.cpus -= sign * r.cpus
        self.accelerators -= sign * r.accelerators
        self.memory -= sign * r.memory_mb
        self.copies[c.name] = self.copies.get(c.name, 0) + sign

    def room(self) -> tuple[float, float, float]:
        return (self.accelerators, self.memory, self.cpus)


def choose_host(hosts: list[Host], c: Component, rule: str) -> int | None:
    """The instance a copy of ``c`` goes to under ``rule``, or None if none has room."""
    fitting = [i for i, h in enumerate(hosts) if h.fits(c)]
    if not fitting:
        return None
    if rule == "BINPACK":
        return min(fitting, key=lambda i: (hosts[i].room(), i))
    return min(fitting, key=lambda i: (hosts[i].copies.get(c.name, 0), i))


def _rule(c: Component, default: str) -> str:
    return c.placement or default


def initial_placement(ic: InferenceComponent, default_rule: str = "SPREAD") -> list[Host] | None:
    """The endpoint's instances with the neighbours' and the old copies placed, or None if they
    do not fit on ``InitialInstanceCount`` instances."""
    capacity = ic.instance_capacity()
    if capacity is None:
        return None
    hosts = [Host(capacity) for _ in range(ic.instance_count)]
    for c in (*ic.neighbours, ic.component):
        for _ in range(c.copies):
            i = choose_host(hosts, c, _rule(c, default_rule))
            if i is None:
                return None
            hosts[i].add(c)
    return hosts


@dataclass(frozen=True)
class ComponentBatch:
    """One batch of the update: ``copies`` new copies, on which instances."""

    index: int
    copies: int
    #: per new copy: the index of the instance added for it in this batch (0 = the batch's
    #: first added instance), or -1 for a copy placed on an existing instance
    on_added: tuple[int, ...]
    instances_before: int
    instances_added: int
    stalled: bool

    @property
    def instances_after(self) -> int:
        return self.instances_before + self.instances_added


@dataclass(frozen=True)
class ComponentPlan:
    """The batches of a component update, and the instance counts they lead to."""

    batches: tuple[ComponentBatch, ...]
    initial_instances: int
    max_instances: int
    #: the copy's share of one instance (its largest requirement over the instance's room):
    #: what one unit of the rolling path bills (see :func:`unit_price`)
    copy_share: float

    @property
    def peak_instances(self) -> int:
        return max((b.instances_after for b in self.batches), default=self.initial_instances)

    @property
    def stalls(self) -> bool:
        return any(b.stalled for b in self.batches)

    @property
    def first_stall(self) -> ComponentBatch | None:
        return next((b for b in self.batches if b.stalled), None)


def batch_sizes(ic: InferenceComponent, rounding: str = "ceil") -> list[int]:
    """The new copies of each batch: ``MaximumBatchSize`` copies (``CAPACITY_PERCENT`` of the
    copy count rounded by ``environment.percent_rounding``), the last carrying the remainder."""
    policy = ic.deployment_config.rolling
    assert policy is not None
    from guardsim.scenarios.components import to_unit_size

    size = to_unit_size(policy.maximum_batch_size).instances(ic.copies, rounding)  # type: ignore[arg-type]
    out, done = [], 0
    while done < ic.copies:
        k = min(size, ic.copies - done)
        out.append(k)
        done += k
    return out


def plan_component(ic: InferenceComponent, env: Environment) -> ComponentPlan:
    """The batches of ``ic``'s rolling update under ``env`` (placement rule, rounding)."""
    default = env.component_placement
    hosts = initial_placement(ic, default)
    capacity = ic.instance_capacity()
    assert hosts is not None and capacity is not None, "validated: the copies fit"
    comp = ic.component
    rule = _rule(comp, default)
    new_name = f"{comp.name}\0new"  # the new copies, told apart from the old ones
    new = Component(new_name, comp.model_name, comp.requirements, comp.copies, comp.placement)
    batches: list[ComponentBatch] = []
    stalled = False
    for s, k in enumerate(batch_sizes(ic, env.percent_rounding)):
        before = len(hosts)
        on_added: list[int] = []
        if not stalled:
            for _ in range(k):
                i = choose_host(hosts, new, rule)
                if i is None and len(hosts) < ic.max_instances:
                    hosts.append(Host(capacity))
                    i = choose_host(hosts, new, rule)
                if i is None:
                    stalled = True
                    break
                hosts[i].add(new)
                on_added.append(i - before if i >= before else -1)
        if stalled:
            batches.append(ComponentBatch(s, k, (), before, len(hosts) - before, True))
            continue
        batches.append(ComponentBatch(s, k, tuple(on_added), before, len(hosts) - before, False))
        # the batch's old copies go once it has baked: from the instance with most of them
        for _ in range(k):
            i = max(range(len(hosts)), key=lambda j: (hosts[j].copies.get(comp.name, 0), -j))
            hosts[i].add(comp, -1)
    r = comp.requirements
    share = max(
        r.cpus / capacity.cpus if capacity.cpus else 0.0,
        r.accelerators / capacity.accelerators if capacity.accelerators else 0.0,
        r.memory_mb / capacity.memory_mb if capacity.memory_mb else 0.0,
    )
    return ComponentPlan(tuple(batches), ic.instance_count, ic.max_instances, min(1.0, share))


def copy_ready_seconds(batch: ComponentBatch, copy_start: Any, provisioning: Any) -> Any:
    """How long each new copy of ``batch`` takes to be ready, from the batch's start.

    ``copy_start`` has one draw of ``copy_start_seconds`` per copy in its last axis,
    ``provisioning`` one draw of ``provisioning_seconds`` per added instance (scalar rows or
    arrays of rows). A copy on an added instance waits for it; a stalled batch never starts
    (``inf``).
    """
    start = np.asarray(copy_start, dtype=np.float64)
    if batch.stalled:
        return np.full_like(start, math.inf)
    prov = np.asarray(provisioning, dtype=np.float64)
    wait = np.zeros_like(start)
    for j, a in enumerate(batch.on_added):
        if a >= 0:
            wait[..., j] = prov[..., a]
    return start + wait


def unit_price(plan: ComponentPlan, instance_price: float) -> float:
    """What one copy bills per hour: its share of an instance (departure: an added instance's
    room no copy uses is not billed, and neither are the neighbours)."""
    return instance_price * plan.copy_share


def component_of(scenario: Scenario) -> tuple[InferenceComponent, ComponentPlan] | None:
    """The scenario's inference component and its plan, or None for an endpoint update."""
    ic = scenario.inference_component
    if ic is None:
        return None
    return ic, plan_component(ic, scenario.environment)


def expected_seconds(ic: InferenceComponent, env: Environment) -> float:
    """The update's expected duration on its success path, from the settings' means: per
    batch, provisioning (if it adds instances), copy start, activation, the bake and the old
    copies' removal. A stalled update has no end (``inf``)."""
    plan = plan_component(ic, env)
    if plan.stalls:
        return math.inf
    policy = ic.deployment_config.rolling
    assert policy is not None
    total = 0.0
    for b in plan.batches:
        total += env.provisioning_seconds.mean if b.instances_added else 0.0
        total += env.copy_start_seconds.mean
        total += env.activation_seconds.mean + policy.wait_interval_seconds
        total += env.termination_seconds.mean
    return total


def component_status(phase_value: str) -> str:
    """The ``InferenceComponentStatus`` DescribeInferenceComponent reports in a phase:
    ``Updating`` during the update and its rollback, ``InService`` after either (no RollingBack
    state exists), ``Failed`` after a failure."""
    if phase_value == "InService":
        return "InService"
    if phase_value in ("Failed", "UpdateRollbackFailed"):
        return "Failed"
    return "Updating"
