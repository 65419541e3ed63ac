"""The ``inference_component`` section: a rolling update of an inference component's copies.

An inference component is one model hosted on an endpoint's instances with its own compute
requirements and copy count; several components can share an endpoint's instances
(https://docs.aws.amazon.com/sagemaker/latest/dg/realtime-endpoints-deploy-models.html).
``UpdateInferenceComponent`` replaces its copies in rolling batches under a
``DeploymentConfig`` of shape ``InferenceComponentDeploymentConfig``
(https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_UpdateInferenceComponent.html,
https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_InferenceComponentRollingUpdatePolicy.html).

The section holds:

* ``component``: the ``create_inference_component`` keyword arguments of the component being
  updated (``InferenceComponentName``, ``EndpointName``, ``Specification`` with ``ModelName`` and
  ``ComputeResourceRequirements``, ``RuntimeConfig.CopyCount``), checked against botocore's
  model;
* ``new_model_name``: the ``ModelName`` the update's new ``Specification`` names (the old and new
  model behaviours per copy are the scenario's ``models.blue`` and ``models.green``);
* ``neighbours``: other components on the same endpoint (the same keyword arguments), whose
  copies take instance capacity; each may also carry guardsim's own keys ``traffic`` (the shape
  of the scenario's ``traffic`` section: the requests its copies serve) and ``model`` (the shape
  of a ``models.*`` entry: how it answers them, unchanged by the update). A neighbour with
  ``traffic`` publishes its invocation metrics under its own ``InferenceComponentName``, and its
  requests count in the endpoint-wide ``EndpointName, VariantName`` series, blended with the
  updated component's (:func:`neighbour_fleet`). Without ``traffic`` (the default) a
  neighbour's requests are not simulated: it only takes room, and an alarm on the endpoint-wide
  series is refused (it would read the neighbour's requests, which guardsim would have to
  invent). ``model`` defaults to a ``models.*`` entry's defaults;
* ``instance_capacity``: what one instance offers (cores, accelerators, memory), when the
  endpoint's instance type is not in guardsim's table.

The endpoint's instance type, instance count and ``ManagedInstanceScaling`` (min/max) are the
``endpoint.blue`` production variant's, as ``create_endpoint_config`` takes them. The scenario's
``deployment_config`` is then the ``InferenceComponentDeploymentConfig``.

Inside guardsim a component update is a rolling update whose units are copies: the loaded
:class:`~guardsim.scenarios.scenario.Scenario` has an ``endpoint`` of ``CopyCount`` units and a
``RollingUpdatePolicy`` in copies (:func:`unit_view`), so every engine runs it on its rolling
path; :attr:`Scenario.inference_component` keeps what was given, and ``to_dict`` writes it back.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from guardsim.errors import Problem
from guardsim.scenarios.boto import (
    MAX_SIMULATED_COPIES as MAX_COPIES,
)
from guardsim.scenarios.boto import (
    MAX_SIMULATED_INSTANCES as MAX_INSTANCES,
)
from guardsim.scenarios.boto import (
    AutoRollbackConfig,
    CapacitySize,
    DeploymentConfig,
    EndpointConfig,
    ProductionVariant,
    RollingUpdatePolicy,
    freeze,
    thaw,
)
from guardsim.scenarios.boto_shapes import check_shape, input_shape, shape
from guardsim.scenarios.fields import (
    dump_dataclass,
    join,
    load_dataclass,
    type_name,
    unknown_key_problem,
)
from guardsim.scenarios.models import ModelBehaviour
from guardsim.scenarios.traffic import Traffic

#: The dimension SageMaker publishes an inference component's invocation metrics under
#: (https://docs.aws.amazon.com/sagemaker/latest/dg/monitoring-cloudwatch.html).
COMPONENT_DIMENSION = "InferenceComponentName"

SECTION = "inference_component"
SECTION_KEYS = ("component", "new_model_name", "neighbours", "instance_capacity")
#: guardsim's own keys of a neighbour, beside the ``create_inference_component`` arguments
NEIGHBOUR_KEYS = ("traffic", "model")
#: The prefix of a neighbour's fleet in the engines' metric stores (see :func:`neighbour_fleet`).
NEIGHBOUR_FLEET = "neighbour:"


def neighbour_fleet(name: str) -> str:
    """The engines' name for a neighbour component's requests (beside ``blue`` and ``green``,
    the updated component's old and new copies): what :mod:`guardsim.cloudwatch.binding` binds
    its ``InferenceComponentName`` series, and the endpoint-wide one, to."""
    return NEIGHBOUR_FLEET + name


CAPACITY_KEYS = ("NumberOfCpuCores", "NumberOfAcceleratorDevices", "MemoryInMb")

#: What one instance offers copies: (vCPUs, accelerator devices, memory MiB), from the
#: instance tables of https://aws.amazon.com/sagemaker/pricing/ and
#: https://aws.amazon.com/ec2/instance-types/ (accelerated computing). SageMaker keeps some of
#: an instance for itself; how much is undocumented, so the whole instance is offered (override
#: per scenario with ``inference_component.instance_capacity``).
INSTANCE_CAPACITY: Mapping[str, tuple[float, int, int]] = MappingProxyType(
    {
        "ml.m5.xlarge": (4, 0, 16384),
        "ml.m5.2xlarge": (8, 0, 32768),
        "ml.m5.4xlarge": (16, 0, 65536),
        "ml.c5.2xlarge": (8, 0, 16384),
        "ml.g4dn.xlarge": (4, 1, 16384),
        "ml.g4dn.12xlarge": (48, 4, 196608),
        "ml.g5.xlarge": (4, 1, 16384),
        "ml.g5.2xlarge": (8, 1, 32768),
        "ml.g5.12xlarge": (48, 4, 196608),
        "ml.g5.48xlarge": (192, 8, 786432),
        "ml.g6.xlarge": (4, 1, 16384),
        "ml.g6.12xlarge": (48, 4, 196608),
        "ml.g6e.xlarge": (4, 1, 32768),
        "ml.g6e.2xlarge": (8, 1, 65536),
        "ml.g6e.4xlarge": (16, 1, 131072),
        "ml.g6e.12xlarge": (48, 4, 393216),
        "ml.g6e.48xlarge": (192, 8, 1572864),
        "ml.p4d.24xlarge": (96, 8, 1179648),
        "ml.p5.48xlarge": (192, 8, 2097152),
    }
)


@dataclass(frozen=True)
class Requirements:
    """``ComputeResourceRequirements`` of one copy (cores and accelerators 0 when not given)."""

    cpus: float
    accelerators: float
    memory_mb: int

    @classmethod
    def from_boto(cls, raw: Mapping[str, Any]) -> Requirements:
        return cls(
            cpus=float(raw.get("NumberOfCpuCoresRequired", 0.0)),
            accelerators=float(raw.get("NumberOfAcceleratorDevicesRequired", 0.0)),
            memory_mb=int(raw["MinMemoryRequiredInMb"]),
        )


@dataclass(frozen=True)
class Capacity:
    """What one instance offers copies."""

    cpus: float
    accelerators: float
    memory_mb: float


@dataclass(frozen=True)
class Component:
    """One ``create_inference_component`` call, as given (``raw``), with what guardsim reads."""

    name: str
    model_name: str
    requirements: Requirements
    copies: int
    placement: str | None  # Specification.SchedulingConfig.PlacementStrategy, if given
    raw: Mapping[str, Any] = field(repr=False, compare=False, default_factory=dict)
    #: A neighbour's requests (None: not simulated) and its model (see the module docstring)
    traffic: Traffic | None = None
    model: ModelBehaviour | None = None

    @classmethod
    def from_boto(
        cls,
        raw: Mapping[str, Any],
        traffic: Traffic | None = None,
        model: ModelBehaviour | None = None,
    ) -> Component:
        spec = raw.get("Specification", {})
        scheduling = spec.get("SchedulingConfig") or {}
        return cls(
            name=raw["InferenceComponentName"],
            model_name=spec.get("ModelName", ""),
            requirements=Requirements.from_boto(spec["ComputeResourceRequirements"]),
            copies=int(raw["RuntimeConfig"]["CopyCount"]),
            placement=scheduling.get("PlacementStrategy"),
            raw=freeze(raw),
            traffic=traffic,
            model=model,
        )

    @property
    def behaviour(self) -> ModelBehaviour:
        """A neighbour's model (a ``models.*`` entry's defaults when not given)."""
        return self.model if self.model is not None else ModelBehaviour()

    def to_data(self) -> dict[str, Any]:
        """The arguments as given, with a neighbour's ``traffic`` and ``model`` when set."""
        out: dict[str, Any] = thaw(self.raw)
        if self.traffic is not None:
            out["traffic"] = dump_dataclass(self.traffic)
        if self.model is not None:
            out["model"] = self.model.to_data()
        return out


@dataclass(frozen=True)
class InferenceComponent:
    """The ``inference_component`` section, loaded (see the module docstring)."""

    component: Component
    new_model_name: str
    deployment_config: DeploymentConfig  # as given, in copies (COPY_COUNT / CAPACITY_PERCENT)
    raw_deployment_config: Mapping[str, Any]
    endpoint: EndpointConfig  # the endpoint's config, as given (instances, managed scaling)
    neighbours: tuple[Component, ...] = ()
    capacity: Capacity | None = None
    raw_capacity: Mapping[str, Any] | None = None

    @property
    def name(self) -> str:
        return self.component.name

    @property
    def busy_neighbours(self) -> tuple[Component, ...]:
        """The neighbours whose requests are simulated (those given ``traffic``)."""
        return tuple(n for n in self.neighbours if n.traffic is not None)

    @property
    def copies(self) -> int:
        return self.component.copies

    @property
    def instance_type(self) -> str:
        return self.endpoint.instance_type

    @property
    def instance_count(self) -> int:
        return self.endpoint.instance_count

    @property
    def scaling(self) -> tuple[int, int] | None:
        """Managed instance scaling (min, max) if ENABLED, else None (no instances added)."""
        mis = self.endpoint.variant.extra.get("ManagedInstanceScaling")
        if not mis or mis.get("Status") != "ENABLED":
            return None
        n = self.instance_count
        return int(mis.get("MinInstanceCount", n)), int(mis.get("MaxInstanceCount", n))

    @property
    def max_instances(self) -> int:
        scaling = self.scaling
        return max(self.instance_count, scaling[1]) if scaling else self.instance_count

    def instance_capacity(self) -> Capacity | None:
        if self.capacity is not None:
            return self.capacity
        known = INSTANCE_CAPACITY.get(self.instance_type)
        return Capacity(*known) if known is not None else None

    def to_data(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "component": thaw(self.component.raw),
            "new_model_name": self.new_model_name,
        }
        if self.neighbours:
            out["neighbours"] = [n.to_data() for n in self.neighbours]
        if self.raw_capacity is not None:
            out["instance_capacity"] = thaw(self.raw_capacity)
        return out


# --------------------------------------------------------------------------- the unit view


def to_unit_size(size: CapacitySize) -> CapacitySize:
    """An ``InferenceComponentCapacitySize`` as the rolling path's size of units (copies)."""
    if size.type == "COPY_COUNT":
        return CapacitySize("INSTANCE_COUNT", size.value)
    return size


def unit_view(ic: InferenceComponent) -> tuple[EndpointConfig, DeploymentConfig]:
    """The endpoint config and DeploymentConfig of the rolling update guardsim runs: one unit
    per copy of the component (``InitialInstanceCount`` = ``CopyCount``) and the component's
    RollingUpdatePolicy in those units."""
    variant = ic.endpoint.variant
    units = ProductionVariant(
        variant_name=variant.variant_name,
        instance_type=variant.instance_type,
        initial_instance_count=ic.copies,
    )
    config = EndpointConfig(ic.endpoint.name, (units,))
    policy = ic.deployment_config.rolling
    assert policy is not None
    rolling = RollingUpdatePolicy(
        maximum_batch_size=to_unit_size(policy.maximum_batch_size),
        wait_interval_seconds=policy.wait_interval_seconds,
        maximum_execution_timeout_seconds=policy.maximum_execution_timeout_seconds,
        rollback_maximum_batch_size=(
            to_unit_size(policy.rollback_maximum_batch_size)
            if policy.rollback_maximum_batch_size is not None
            else None
        ),
    )
    return config, DeploymentConfig(
        rolling=rolling, auto_rollback=ic.deployment_config.auto_rollback
    )


def _ic_size(raw: Mapping[str, Any]) -> CapacitySize:
    return CapacitySize(type=raw["Type"], value=int(raw["Value"]))


def ic_deployment_config(raw: Mapping[str, Any]) -> DeploymentConfig:
    """An ``InferenceComponentDeploymentConfig`` (already shape-checked), sizes as given."""
    rup = raw["RollingUpdatePolicy"]
    rb = rup.get("RollbackMaximumBatchSize")
    arc = raw.get("AutoRollbackConfiguration")
    return DeploymentConfig(
        rolling=RollingUpdatePolicy(
            maximum_batch_size=_ic_size(rup["MaximumBatchSize"]),
            wait_interval_seconds=int(rup["WaitIntervalInSeconds"]),
            maximum_execution_timeout_seconds=rup.get("MaximumExecutionTimeoutInSeconds"),
            rollback_maximum_batch_size=_ic_size(rb) if rb is not None else None,
        ),
        auto_rollback=AutoRollbackConfig.from_boto(arc) if arc is not None else None,
    )


# --------------------------------------------------------------------------- loading


def _load_neighbour(raw: object, path: str, problems: list[Problem]) -> Component | None:
    """A neighbour: ``create_inference_component`` arguments and guardsim's ``traffic`` and
    ``model`` (each checked as its section is, with paths, and for what guardsim simulates of
    a neighbour: :func:`neighbour_problems`)."""
    if not isinstance(raw, Mapping):
        return _load_component(raw, path, problems)
    before = len(problems)
    traffic = model = None
    if raw.get("traffic") is not None:
        traffic = load_dataclass(Traffic, raw["traffic"], join(path, "traffic"), problems)
    if raw.get("model") is not None:
        model = load_dataclass(ModelBehaviour, raw["model"], join(path, "model"), problems)
    for key in NEIGHBOUR_KEYS:
        if key in raw and raw[key] is None:
            problems.append(Problem(join(path, key), "expected a mapping, got null"))
    if model is not None and "traffic" not in raw:
        problems.append(
            Problem(
                join(path, "model"),
                "a neighbour's model answers its requests: give its traffic too",
            )
        )
    problems.extend(neighbour_problems(traffic, model, path))
    boto = {k: v for k, v in raw.items() if k not in NEIGHBOUR_KEYS}
    component = _load_component(boto, path, problems)
    if component is None or len(problems) > before:
        return None
    return Component.from_boto(boto, traffic, model)


def neighbour_problems(
    traffic: Traffic | None, model: ModelBehaviour | None, path: str
) -> list[Problem]:
    """What guardsim does not simulate of a neighbour's requests, refused with the path: a
    replay file, evenly spaced arrivals at a varying rate (their lattice's phase would be one
    more state per neighbour), and of its model, per-instance (warm-up) faults, a recorded
    history and custom metrics (its copies are not instances of a fleet, and it publishes only
    the invocation metrics)."""
    out: list[Problem] = []
    if traffic is not None:
        tpath = join(path, "traffic")
        if traffic.replay_file is not None:
            out.append(
                Problem(join(tpath, "replay_file"), "not simulated for a neighbour: give a rate")
            )
        if traffic.arrivals == "uniform" and (traffic.profile != "constant" or traffic.bursts):
            out.append(
                Problem(
                    join(tpath, "arrivals"),
                    "a neighbour's evenly spaced arrivals need a constant rate (no daily "
                    "profile or bursts): use poisson",
                )
            )
    if model is not None:
        mpath = join(path, "model")
        for i, fault in enumerate(model.faults):
            if fault.kind == "warmup":
                out.append(
                    Problem(
                        join(join(mpath, "faults"), i),
                        "warm-up faults are not simulated for a neighbour (its copies are not "
                        "re-created by the update)",
                    )
                )
        for key in ("history", "history_transform"):
            if getattr(model, key) is not None:
                out.append(Problem(join(mpath, key), "not simulated for a neighbour"))
        if model.custom_metrics:
            out.append(
                Problem(
                    join(mpath, "custom_metrics"),
                    "not simulated for a neighbour (it publishes the invocation metrics only)",
                )
            )
    return out


def _load_component(raw: object, path: str, problems: list[Problem]) -> Component | None:
    before = len(problems)
    check_shape(raw, input_shape("sagemaker", "CreateInferenceComponent"), path, problems)
    if len(problems) > before:
        return None
    assert isinstance(raw, Mapping)
    spec = raw.get("Specification")
    if spec is None or "ComputeResourceRequirements" not in spec:
        problems.append(
            Problem(
                join(join(path, "Specification"), "ComputeResourceRequirements"),
                "required here: guardsim places copies on instances by their compute requirements",
            )
        )
    if "RuntimeConfig" not in raw:
        problems.append(
            Problem(join(path, "RuntimeConfig"), "required field is missing (CopyCount)")
        )
    if len(problems) > before:
        return None
    return Component.from_boto(raw)


def load_inference_component(
    raw: object,
    raw_deployment_config: object,
    endpoint: EndpointConfig | None,
    endpoint_name: str | None,
    problems: list[Problem],
) -> InferenceComponent | None:
    """The section and the scenario's ``deployment_config`` (an
    ``InferenceComponentDeploymentConfig``), every problem collected with its path."""
    if not isinstance(raw, Mapping):
        problems.append(Problem(SECTION, f"expected a mapping, got {type_name(raw)}"))
        return None
    before = len(problems)
    for key in raw:
        if key not in SECTION_KEYS:
            problems.append(unknown_key_problem(SECTION, key, SECTION_KEYS))
    for key in ("component", "new_model_name"):
        if raw.get(key) is None:  # an empty value (``new_model_name:``) is missing too
            problems.append(Problem(join(SECTION, key), "required field is missing"))
    component = (
        _load_component(raw["component"], join(SECTION, "component"), problems)
        if "component" in raw
        else None
    )
    new_model = raw.get("new_model_name")
    if new_model is not None:
        model_shape = shape("sagemaker", "InferenceComponentSpecification").members["ModelName"]
        check_shape(new_model, model_shape, join(SECTION, "new_model_name"), problems)
    neighbours: list[Component] = []
    raw_neighbours = raw.get("neighbours", [])
    if not isinstance(raw_neighbours, list):
        problems.append(
            Problem(
                join(SECTION, "neighbours"), f"expected a list, got {type_name(raw_neighbours)}"
            )
        )
        raw_neighbours = []
    for i, item in enumerate(raw_neighbours):
        n = _load_neighbour(item, join(join(SECTION, "neighbours"), i), problems)
        if n is not None:
            neighbours.append(n)
    capacity, raw_capacity = _load_capacity(raw.get("instance_capacity"), problems)
    dc_path = "deployment_config"
    dc_raw = {} if raw_deployment_config is None else raw_deployment_config
    dc_before = len(problems)
    check_shape(dc_raw, shape("sagemaker", "InferenceComponentDeploymentConfig"), dc_path, problems)
    problems += AutoRollbackConfig.unnamed_alarms(dc_raw, dc_path)
    dc = ic_deployment_config(dc_raw) if len(problems) == dc_before else None  # type: ignore[arg-type]
    if len(problems) > before or component is None or dc is None or endpoint is None:
        return None
    assert isinstance(new_model, str) and isinstance(dc_raw, Mapping)
    ic = InferenceComponent(
        component=component,
        new_model_name=new_model,
        deployment_config=dc,
        raw_deployment_config=freeze(dc_raw),
        endpoint=endpoint,
        neighbours=tuple(neighbours),
        capacity=capacity,
        raw_capacity=freeze(raw_capacity) if raw_capacity is not None else None,
    )
    problems.extend(check_inference_component(ic, endpoint_name))
    return ic


def _load_capacity(
    raw: object, problems: list[Problem]
) -> tuple[Capacity | None, Mapping[str, Any] | None]:
    if raw is None:
        return None, None
    path = join(SECTION, "instance_capacity")
    if not isinstance(raw, Mapping):
        problems.append(Problem(path, f"expected a mapping, got {type_name(raw)}"))
        return None, None
    ok = True
    for key in raw:
        if key not in CAPACITY_KEYS:
            problems.append(unknown_key_problem(path, key, CAPACITY_KEYS))
            ok = False
    for key in CAPACITY_KEYS:
        value = raw.get(key)
        if value is None:
            problems.append(Problem(join(path, key), "required field is missing"))
            ok = False
        elif isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
            problems.append(Problem(join(path, key), f"expected a number >= 0, got {value!r}"))
            ok = False
    if not ok:
        return None, None
    return Capacity(
        float(raw["NumberOfCpuCores"]),
        float(raw["NumberOfAcceleratorDevices"]),
        float(raw["MemoryInMb"]),
    ), raw


# --------------------------------------------------------------------------- server rules


def too_many(what: str, n: int, limit: int) -> str:
    """The refusal of a count over guardsim's own limits (MAX_SIMULATED_INSTANCES/COPIES)."""
    return (
        f"guardsim simulates at most {limit:,} {what} (its own limit, not SageMaker's: each one "
        f"is simulated); got {n:,}"
    )


RUP = "deployment_config.RollingUpdatePolicy"
VARIANT = "endpoint.blue.ProductionVariants[0]"


def check_inference_component(ic: InferenceComponent, endpoint_name: str | None) -> list[Problem]:
    """The documented rules that live only in prose, with the path to each field:

    * ``MaximumBatchSize`` "must be between 5% to 50% of the copy count of the inference
      component" (API_InferenceComponentRollingUpdatePolicy), as ``COPY_COUNT`` copies or as
      ``CAPACITY_PERCENT``;
    * ``RollbackMaximumBatchSize``: at most the copy count (COPY_COUNT) or 100 %
      (CAPACITY_PERCENT), the documented default being 100 % of the capacity;
    * the endpoint and the component agree (``EndpointName``, ``VariantName``), the copies fit
      on the endpoint's instances, and ``AutoRollbackConfiguration`` names 1-10 alarms (the
      botocore model's own limit, checked with the shape).
    """
    problems: list[Problem] = []
    copies = ic.copies
    comp_path = join(SECTION, "component")
    if copies < 1:
        problems.append(
            Problem(
                join(join(comp_path, "RuntimeConfig"), "CopyCount"),
                "a rolling update needs at least 1 copy, got 0",
            )
        )
        return problems
    raw = ic.component.raw
    if endpoint_name is not None and raw.get("EndpointName") != endpoint_name:
        problems.append(
            Problem(
                join(comp_path, "EndpointName"),
                f"{raw.get('EndpointName')!r} is not the scenario's endpoint {endpoint_name!r}",
            )
        )
    seen = {ic.name}
    for i, n in enumerate(ic.neighbours):
        if n.name in seen:
            problems.append(
                Problem(
                    f"{SECTION}.neighbours[{i}].InferenceComponentName",
                    f"{n.name!r} is the name of another component on the endpoint",
                )
            )
        seen.add(n.name)
    variant = raw.get("VariantName")
    if variant is not None and variant != ic.endpoint.variant.variant_name:
        problems.append(
            Problem(
                join(comp_path, "VariantName"),
                f"{variant!r} is not the endpoint's variant {ic.endpoint.variant.variant_name!r}",
            )
        )
    policy = ic.deployment_config.rolling
    assert policy is not None
    size = policy.maximum_batch_size
    path = f"{RUP}.MaximumBatchSize.Value"
    pct = size.value if size.type == "CAPACITY_PERCENT" else 100.0 * size.value / copies
    what = (
        f"{size.value}%" if size.type == "CAPACITY_PERCENT" else f"{size.value} of {copies} copies"
    )
    if pct > 50.0:
        extra = " (no batch size is valid for 1 copy)" if copies == 1 else ""
        problems.append(Problem(path, f"{what} is over the 50% limit of the copy count{extra}"))
    elif pct < 5.0:
        problems.append(Problem(path, f"{what} is under the 5% minimum of the copy count"))
    rb = policy.rollback_maximum_batch_size
    if rb is not None:
        rb_path = f"{RUP}.RollbackMaximumBatchSize.Value"
        if rb.type == "CAPACITY_PERCENT" and rb.value > 100:
            problems.append(Problem(rb_path, f"{rb.value}% is over 100% of the capacity"))
        if rb.type == "COPY_COUNT" and rb.value > copies:
            problems.append(
                Problem(rb_path, f"{rb.value} copies is more than the component's {copies}")
            )
    timeout = policy.maximum_execution_timeout_seconds
    if timeout is not None and timeout <= policy.wait_interval_seconds:
        problems.append(
            Problem(
                f"{RUP}.MaximumExecutionTimeoutInSeconds",
                f"{timeout} s leaves no time beyond one WaitIntervalInSeconds "
                f"({policy.wait_interval_seconds} s)",
            )
        )
    copy_counts = [(join(join(comp_path, "RuntimeConfig"), "CopyCount"), copies)] + [
        (f"{SECTION}.neighbours[{i}].RuntimeConfig.CopyCount", c.copies)
        for i, c in enumerate(ic.neighbours)
    ]
    instance_counts = [
        (f"{VARIANT}.InitialInstanceCount", ic.instance_count),
        (f"{VARIANT}.ManagedInstanceScaling.MaxInstanceCount", (ic.scaling or (0, 0))[1]),
    ]
    oversized = [
        Problem(path, too_many(what, n, limit))
        for what, limit, counts in (
            ("copies", MAX_COPIES, copy_counts),
            ("instances", MAX_INSTANCES, instance_counts),
        )
        for path, n in counts
        if n > limit
    ]
    if oversized:  # nothing is placed: placing them would exhaust memory
        problems.extend(oversized)
        return problems
    capacity = ic.instance_capacity()
    if capacity is None:
        problems.append(
            Problem(
                join(SECTION, "instance_capacity"),
                f"guardsim does not know what a {ic.instance_type} offers: give "
                "NumberOfCpuCores, NumberOfAcceleratorDevices and MemoryInMb",
            )
        )
        return problems
    # imported here: the plan is deployment/'s, which imports scenarios
    from guardsim.deployment.components import initial_placement

    placed = initial_placement(ic)
    if placed is None:
        problems.append(
            Problem(
                comp_path,
                f"{copies} copies and the neighbours' copies do not fit on "
                f"{ic.instance_count} {ic.instance_type} instance(s)",
            )
        )
    return problems
