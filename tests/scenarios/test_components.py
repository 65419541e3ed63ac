"""The ``inference_component`` section: loading, every documented limit rejected with its path,
the round trip, and the copy placement plan (:mod:`guardsim.deployment.components`)."""

from __future__ import annotations

import copy
from typing import Any

import numpy as np
import pytest
import yaml

from guardsim.deployment.components import (
    copy_ready_seconds,
    expected_seconds,
    initial_placement,
    plan_component,
)
from guardsim.deployment.machine import Phase
from guardsim.scenarios import library
from guardsim.scenarios.loading import check_scenario_dict, scenario_from_dict

SUCCESS = "component-extra-instance-success"
ROLLBACK = "component-llm-latency-rollback"
RUP = "deployment_config.RollingUpdatePolicy"


def _raw(name: str = SUCCESS) -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(library.text(name))
    return data


def _errors(raw: dict[str, Any]) -> list[str]:
    return [str(p) for p in check_scenario_dict(raw).errors]


def _set(raw: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    out = copy.deepcopy(raw)
    node = out
    keys = path.split(".")
    for k in keys[:-1]:
        node = node[int(k)] if isinstance(node, list) else node[k]
    if value is None:
        del node[keys[-1]]
    else:
        node[keys[-1]] = value
    return out


@pytest.mark.parametrize("name", [SUCCESS, ROLLBACK])
def test_the_built_ins_load_and_round_trip(name: str) -> None:
    scenario = scenario_from_dict(_raw(name))
    assert scenario.inference_component is not None
    again = scenario_from_dict(scenario.to_dict())
    assert again == scenario
    assert again.to_dict() == scenario.to_dict()
    # written back as given: the endpoint's own config and the IC-shaped DeploymentConfig
    assert scenario.to_dict()["deployment_config"] == _raw(name)["deployment_config"]
    assert "green" not in scenario.to_dict()["endpoint"]


def test_the_unit_view_runs_copies() -> None:
    s = scenario_from_dict(_raw(ROLLBACK))
    assert s.endpoint.blue.instance_count == 4  # copies, not instances
    assert s.endpoint.component == "support-bot-llm"
    rolling = s.deployment_config.rolling
    assert rolling is not None
    assert rolling.maximum_batch_size.type == "INSTANCE_COUNT"  # COPY_COUNT, in units
    assert rolling.maximum_batch_size.value == 2


LIMITS = [
    # (path set, value, expected "path: message" fragment)
    (
        f"{RUP}.MaximumBatchSize",
        {"Type": "COPY_COUNT", "Value": 2},
        f"{RUP}.MaximumBatchSize.Value: 2 of 2 copies is over the 50% limit",
    ),
    (
        f"{RUP}.MaximumBatchSize",
        {"Type": "CAPACITY_PERCENT", "Value": 60},
        f"{RUP}.MaximumBatchSize.Value: 60% is over the 50% limit",
    ),
    (
        f"{RUP}.MaximumBatchSize",
        {"Type": "CAPACITY_PERCENT", "Value": 4},
        f"{RUP}.MaximumBatchSize.Value: 4% is under the 5% minimum",
    ),
    (
        f"{RUP}.MaximumBatchSize",
        {"Type": "INSTANCE_COUNT", "Value": 1},
        f"{RUP}.MaximumBatchSize.Type: must be one of COPY_COUNT, CAPACITY_PERCENT",
    ),
    (
        f"{RUP}.MaximumBatchSize",
        {"Type": "COPY_COUNT", "Value": 0},
        f"{RUP}.MaximumBatchSize.Value: must be >= 1",
    ),
    (
        f"{RUP}.WaitIntervalInSeconds",
        3601,
        f"{RUP}.WaitIntervalInSeconds: must be between 0 and 3600",
    ),
    (
        f"{RUP}.WaitIntervalInSeconds",
        -1,
        f"{RUP}.WaitIntervalInSeconds: must be between 0 and 3600",
    ),
    (
        f"{RUP}.WaitIntervalInSeconds",
        None,
        f"{RUP}.WaitIntervalInSeconds: required field is missing",
    ),
    (
        f"{RUP}.MaximumExecutionTimeoutInSeconds",
        599,
        f"{RUP}.MaximumExecutionTimeoutInSeconds: must be between 600 and 28800",
    ),
    (
        f"{RUP}.MaximumExecutionTimeoutInSeconds",
        28801,
        f"{RUP}.MaximumExecutionTimeoutInSeconds: must be between 600 and 28800",
    ),
    (
        f"{RUP}.RollbackMaximumBatchSize",
        {"Type": "COPY_COUNT", "Value": 3},
        f"{RUP}.RollbackMaximumBatchSize.Value: 3 copies is more than the component's 2",
    ),
    (
        f"{RUP}.RollbackMaximumBatchSize",
        {"Type": "CAPACITY_PERCENT", "Value": 101},
        f"{RUP}.RollbackMaximumBatchSize.Value: 101% is over 100%",
    ),
    (
        "deployment_config.RollingUpdatePolicy",
        None,
        "deployment_config.RollingUpdatePolicy: required field is missing",
    ),
    (
        "deployment_config.AutoRollbackConfiguration.Alarms",
        [],
        "deployment_config.AutoRollbackConfiguration.Alarms: must have at least 1 item(s)",
    ),
    (
        "deployment_config.AutoRollbackConfiguration.Alarms",
        [{"AlarmName": f"a{i}"} for i in range(11)],
        "deployment_config.AutoRollbackConfiguration.Alarms: must have at most 10 item(s)",
    ),
    (
        "inference_component.component.RuntimeConfig.CopyCount",
        0,
        "RuntimeConfig.CopyCount: a rolling update needs at least 1 copy",
    ),
    (
        "inference_component.component.EndpointName",
        "other",
        "inference_component.component.EndpointName: 'other' is not the scenario's endpoint",
    ),
    (
        "inference_component.component.Specification.ComputeResourceRequirements.MinMemoryRequiredInMb",
        64,
        "MinMemoryRequiredInMb: must be >= 128",
    ),
    (
        "inference_component.component.Specification.ComputeResourceRequirements.NumberOfAcceleratorDevicesRequired",
        2,
        "inference_component.component: 2 copies and the neighbours' copies do not fit",
    ),
    (
        "inference_component.new_model_name",
        None,
        "inference_component.new_model_name: required field is missing",
    ),
    ("inference_component.colour", "blue", "inference_component.colour: unknown key"),
]


@pytest.mark.parametrize(("path", "value", "expected"), LIMITS, ids=[x[2][:60] for x in LIMITS])
def test_every_documented_limit_is_rejected_with_its_path(
    path: str, value: Any, expected: str
) -> None:
    errors = _errors(_set(_raw(), path, value))
    assert any(expected in e for e in errors), errors


def test_one_copy_has_no_valid_batch_size() -> None:
    raw = _set(_raw(), "inference_component.component.RuntimeConfig.CopyCount", 1)
    errors = _errors(raw)
    assert any("(no batch size is valid for 1 copy)" in e for e in errors), errors


def test_a_green_config_is_refused() -> None:
    raw = _raw()
    raw["endpoint"]["green"] = raw["endpoint"]["blue"]
    assert any(e.startswith("endpoint.green:") for e in _errors(raw))


def test_an_endpoint_wide_alarm_is_refused_beside_neighbours() -> None:
    raw = _raw(ROLLBACK)
    raw["alarms"][0]["Dimensions"] = [
        {"Name": "EndpointName", "Value": "support-bot"},
        {"Name": "VariantName", "Value": "AllTraffic"},
    ]
    errors = _errors(raw)
    assert any(e.startswith("alarms[0].Dimensions: reads the endpoint-wide series") for e in errors)


def test_an_unknown_instance_type_needs_its_capacity() -> None:
    raw = _set(_raw(), "endpoint.blue.ProductionVariants.0.InstanceType", "ml.g7e.2xlarge")
    assert any(e.startswith("inference_component.instance_capacity:") for e in _errors(raw))
    raw["inference_component"]["instance_capacity"] = {
        "NumberOfCpuCores": 8,
        "NumberOfAcceleratorDevices": 1,
        "MemoryInMb": 65536,
    }
    assert _errors(raw) == []


# --------------------------------------------------------------------------- the plan


def test_the_plan_adds_an_instance_only_where_room_is_short() -> None:
    s = scenario_from_dict(_raw())
    assert s.inference_component is not None
    plan = plan_component(s.inference_component, s.environment)
    assert [(b.copies, b.instances_added, b.on_added) for b in plan.batches] == [
        (1, 1, (0,)),  # both GPUs taken: an instance for the new copy
        (1, 0, (-1,)),  # the first batch's old copy freed a GPU
    ]
    assert plan.peak_instances == 3 and not plan.stalls


def test_a_batch_stalls_when_scaling_cannot_add_an_instance() -> None:
    raw = _set(
        _raw(), "endpoint.blue.ProductionVariants.0.ManagedInstanceScaling.MaxInstanceCount", 2
    )
    s = scenario_from_dict(raw)
    assert s.inference_component is not None
    plan = plan_component(s.inference_component, s.environment)
    assert plan.stalls and plan.first_stall is not None and plan.first_stall.index == 0
    assert expected_seconds(s.inference_component, s.environment) == float("inf")


def test_placement_rules_differ_where_room_is_uneven() -> None:
    # 2 instances of 8 cores; a 6-core neighbour goes to the first. SPREAD puts the two 1-core
    # copies on the instances with fewest of them (one each), BINPACK on the fullest that fits
    # (both beside the neighbour).
    raw = _raw()
    variant = raw["endpoint"]["blue"]["ProductionVariants"][0]
    variant["InstanceType"] = "ml.m5.2xlarge"
    spec = raw["inference_component"]["component"]["Specification"]
    spec["ComputeResourceRequirements"] = {
        "NumberOfCpuCoresRequired": 1,
        "MinMemoryRequiredInMb": 1024,
    }
    raw["inference_component"]["neighbours"] = [
        {
            "InferenceComponentName": "side",
            "EndpointName": raw["endpoint"]["name"],
            "Specification": {
                "ComputeResourceRequirements": {
                    "NumberOfCpuCoresRequired": 6,
                    "MinMemoryRequiredInMb": 1024,
                }
            },
            "RuntimeConfig": {"CopyCount": 1},
        }
    ]
    raw["alarms"][0]["Dimensions"] = [
        {"Name": "InferenceComponentName", "Value": "chat-assistant-llm"}
    ]
    placed = {}
    for rule in ("SPREAD", "BINPACK"):
        raw.setdefault("environment", {})["component_placement"] = rule
        s = scenario_from_dict(raw)
        assert s.inference_component is not None
        hosts = initial_placement(s.inference_component, rule)
        assert hosts is not None
        placed[rule] = [h.copies.get("chat-assistant-llm", 0) for h in hosts]
    assert placed == {"SPREAD": [1, 1], "BINPACK": [2, 0]}


def test_copy_ready_seconds_is_one_kernel_for_scalars_and_arrays() -> None:
    s = scenario_from_dict(_raw())
    assert s.inference_component is not None
    batch = plan_component(s.inference_component, s.environment).batches[0]
    assert copy_ready_seconds(batch, [300.0], [600.0]).tolist() == [900.0]
    rows = copy_ready_seconds(batch, np.array([[300.0], [100.0]]), np.array([[600.0], [50.0]]))
    assert rows.tolist() == [[900.0], [150.0]]


def test_component_statuses_have_no_rolling_back() -> None:
    assert Phase.ROLLING_BACK.component_status == "Updating"
    assert Phase.ROLLBACK_DELETING.component_status == "Updating"
    assert Phase.IN_SERVICE.component_status == "InService"
    assert Phase.UPDATE_ROLLBACK_FAILED.component_status == "Failed"
