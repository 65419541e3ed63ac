"""``guardsim real plan`` and ``real run`` of an inference component update: the exact AWS
calls, tagged and renamed, with a cost estimate; the run against guardsim's emulator through
real botocore clients, its rollback detected although the component ends InService, and
everything torn down on every path."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from component_helpers import component_scenario
from real_helpers import emulated

from guardsim.cli import main
from guardsim.emulator.faults import InjectedFaults
from guardsim.real_backend.naming import TAG_KEY
from guardsim.real_backend.plan import plan_run
from guardsim.real_backend.run import run_real
from guardsim.record import RunRecord
from guardsim.scenarios import load_scenario
from guardsim.simulator import simulate

RUN = "ic0001"
P = f"guardsim-{RUN}-"


def test_the_plan_is_every_component_call_in_order_renamed_and_tagged(payload: Path) -> None:
    scenario = component_scenario(payload)
    plan = plan_run(scenario, RUN)
    assert [(c.stage, c.method) for c in plan.calls] == [
        # every name the setup creates is looked up first (a clash stops the run untouched)
        ("check", "describe_model"),
        ("check", "describe_model"),
        ("check", "describe_model"),
        ("check", "describe_endpoint_config"),
        ("check", "describe_alarms"),
        ("check", "describe_endpoint"),
        ("check", "describe_inference_component"),
        ("check", "describe_inference_component"),
        ("setup", "create_model"),
        ("setup", "create_model"),
        ("setup", "create_model"),
        ("setup", "create_endpoint_config"),
        ("setup", "put_metric_alarm"),
        ("setup", "create_endpoint"),
        ("setup", "describe_endpoint"),
        ("setup", "create_inference_component"),  # the neighbour first: it takes capacity
        ("setup", "create_inference_component"),
        ("setup", "describe_inference_component"),
        ("warm-up", "invoke_endpoint"),
        ("update", "list_tags"),
        ("update", "update_inference_component"),
        ("follow", "describe_inference_component"),
        ("follow", "invoke_endpoint"),
        ("collect", "get_metric_data"),
        ("collect", "describe_alarm_history"),
        ("teardown", "delete_inference_component"),
        ("teardown", "delete_inference_component"),
        ("teardown", "delete_endpoint"),
        ("teardown", "describe_endpoint"),
        ("teardown", "delete_alarms"),
        ("teardown", "delete_endpoint_config"),
        ("teardown", "delete_model"),
        ("teardown", "delete_model"),
        ("teardown", "delete_model"),
    ]
    creates = [c.kwargs() for c in plan.calls if c.method.startswith(("create_", "put_"))]
    for kwargs in creates:
        assert {"Key": TAG_KEY, "Value": RUN} in kwargs["Tags"]
    assert [k["ModelName"] for k in creates[:3]] == [f"{P}chat-v1", f"{P}chat-v2", f"{P}embed-v1"]
    config = creates[3]
    assert config["ProductionVariants"] == [
        {"VariantName": "AllTraffic", "InstanceType": "ml.g5.xlarge", "InitialInstanceCount": 4}
    ]
    assert config["ExecutionRoleArn"] == scenario.real.execution_role_arn  # type: ignore[union-attr]
    alarm = creates[4]
    assert alarm["AlarmName"] == f"{P}chat-5xx"
    assert alarm["Dimensions"] == [{"Name": "InferenceComponentName", "Value": f"{P}chat"}]
    neighbour, component = creates[6], creates[7]
    assert neighbour["InferenceComponentName"] == f"{P}embed"
    assert component["InferenceComponentName"] == f"{P}chat"
    assert component["EndpointName"] == f"{P}llm"
    assert component["Specification"]["ModelName"] == f"{P}chat-v1"
    assert component["RuntimeConfig"] == {"CopyCount": 2}
    (update,) = [c.kwargs() for c in plan.stage("update") if c.method != "list_tags"]
    assert update["InferenceComponentName"] == f"{P}chat"
    assert update["Specification"]["ModelName"] == f"{P}chat-v2"
    # the InferenceComponentDeploymentConfig as written (COPY_COUNT, not the unit view)
    assert update["DeploymentConfig"] == {
        "RollingUpdatePolicy": {
            "MaximumBatchSize": {"Type": "COPY_COUNT", "Value": 1},
            "WaitIntervalInSeconds": 300,
            "MaximumExecutionTimeoutInSeconds": 3600,
        },
        "AutoRollbackConfiguration": {"Alarms": [{"AlarmName": f"{P}chat-5xx"}]},
    }
    teardown = [c.kwargs() for c in plan.stage("teardown")]
    assert [t.get("InferenceComponentName") for t in teardown[:2]] == [f"{P}chat", f"{P}embed"]
    # cost: 4 instances the whole time; the update's limit bounds it
    cost = plan.cost
    assert 0 < cost.expected_usd < cost.max_usd
    assert cost.expected_instance_hours > 4 * cost.expected_seconds / 3600 - 1e-9
    assert plan.follow_timeout_seconds == 3600 + 1800


def test_the_built_in_llm_plan_prices_the_instances_managed_scaling_adds() -> None:
    scenario = load_scenario("component-llm-latency-rollback")
    out = io.StringIO()
    assert main(["real", "plan", "component-llm-latency-rollback", "--run-id", RUN], out) == 0
    text = out.getvalue()
    assert "update_inference_component" in text and "update_endpoint" not in text
    assert "managed instance scaling up to 6" in text
    data = json.loads(_plan_json(["component-llm-latency-rollback"]))
    # the expected update runs on the 6 instances the first batch needs (no GPU is free)
    assert "on up to 6 instance(s)" in text
    assert data["cost"]["expected_usd"] < data["cost"]["max_usd"]
    methods = [c["method"] for c in data["calls"]]
    assert methods.count("create_inference_component") == 1 + len(
        scenario.inference_component.neighbours  # type: ignore[union-attr]
    )


def _plan_json(args: list[str]) -> str:
    out = io.StringIO()
    assert main(["real", "plan", *args, "--run-id", RUN, "--json", "-"], out) == 0
    return out.getvalue()


@pytest.mark.parametrize(("green_5xx", "outcome"), [(1.0, "ROLLED_BACK"), (0.0, "SUCCEEDED")])
def test_a_component_update_runs_on_the_emulator_with_the_predicted_outcome(
    payload: Path, green_5xx: float, outcome: str
) -> None:
    """The emulator runs the same controller on the same fixed times as the simulator, so the
    deployment's length is the prediction's, to the second; the rollback is detected from
    the component's model (it ends InService either way) and its start from the alarm's
    history."""
    scenario = component_scenario(payload, green_5xx=green_5xx)
    predicted = simulate(scenario)
    assert predicted.outcome == outcome
    fake = emulated(scenario)
    result = run_real(scenario, clients=fake, clock=fake.clock, run_id=RUN)
    assert result.error is None and not result.interrupted
    record = result.record
    assert record is not None and record.mode == "real"
    assert record.outcome == outcome
    assert record.summary.deployment_seconds == pytest.approx(
        predicted.summary.deployment_seconds, abs=1e-6
    )
    assert record.summary.tripped_alarms == predicted.summary.tripped_alarms
    assert record.transitions[0]["trigger"] == "update"
    assert record.transitions[-1]["to"] == "InService"
    statuses = [
        c.params.get("InferenceComponentName")
        for c in fake.calls
        if c.operation == "DescribeInferenceComponent"
    ]
    assert statuses and set(statuses) <= {f"{P}chat", f"{P}embed"}
    # the emulator's own record of the update (emulator/records.py) says the same
    (truth,) = fake.emulator.component_update_records()
    assert truth.mode == "emulated" and truth.outcome == outcome
    assert truth.summary.deployment_seconds == record.summary.deployment_seconds
    assert truth.transitions[-1]["to"] == record.transitions[-1]["to"] == "InService"
    if outcome == "ROLLED_BACK":
        # the alarm went to ALARM at the record's rollback start; SageMaker saw it at its
        # next poll of the alarms
        detected = truth.summary.detected_at_seconds
        started = record.summary.rollback_started_seconds
        assert detected is not None and started is not None
        assert 0 <= detected - started <= scenario.environment.alarm_poll_interval_seconds
        assert truth.summary.green_errors > 0  # what the component's series cannot tell
        assert record.notes[0] == f"InService on the old model {P}chat-v1"
        rollback = next(t for t in record.transitions if t["to"] == "RollingBack")
        assert "chat-5xx" in rollback["reason"] and "DescribeAlarmHistory" in rollback["reason"]
        alarmed = next(h["t"] for h in record.alarm_history if h["to"] == "ALARM")
        assert record.summary.rollback_started_seconds == alarmed
        assert record.summary.user_errors > 0
    else:
        assert record.notes[0] == f"InService on the new model {P}chat-v2"
        assert record.summary.user_errors == 0
    assert set(record.datapoints["dimensions"]) == {"blended"}
    assert "Invocations" in record.datapoints["metric"]
    assert fake.leftovers() == []
    assert result.teardown.clean
    assert len(result.teardown.items) == 8  # 2 components, endpoint, alarm, config, 3 models
    again = RunRecord.from_data(json.loads(record.to_json()))
    assert again.to_json() == record.to_json()


@pytest.mark.parametrize(
    "faults",
    [
        InjectedFaults(fail_call=("UpdateInferenceComponent", 1)),
        InjectedFaults(fail_call=("CreateInferenceComponent", 2)),
        InjectedFaults(interrupt_call=("DescribeInferenceComponent", 8)),
    ],
    ids=["update-refused", "component-create-refused", "ctrl-c-while-following"],
)
def test_a_failure_mid_run_tears_everything_down(payload: Path, faults: InjectedFaults) -> None:
    scenario = component_scenario(payload)
    fake = emulated(scenario, faults=faults)
    result = run_real(scenario, clients=fake, clock=fake.clock, run_id=RUN)
    assert result.record is None
    if faults.interrupt_call is not None:
        assert result.interrupted
    else:
        assert result.error is not None and "AccessDenied" in str(result.error)
    assert result.teardown.clean
    assert fake.leftovers() == []
    deleted = {i.resource.kind for i in result.teardown.items if i.status == "deleted"}
    assert {"inference_component", "endpoint", "alarm", "model"} <= deleted


def test_a_component_that_fails_to_create_stops_the_run_before_the_update(
    payload: Path,
) -> None:
    """The scenario says an instance has 2 GPUs (``instance_capacity``), so 5 copies fit; the
    emulator knows ml.g5.xlarge has 1, so the component ends Failed (Insufficient capacity)."""
    from guardsim.scenarios import check_scenario_dict

    data = component_scenario(payload).to_dict()
    data["inference_component"]["component"]["RuntimeConfig"]["CopyCount"] = 5
    data["inference_component"]["instance_capacity"] = {
        "NumberOfCpuCores": 4,
        "NumberOfAcceleratorDevices": 2,
        "MemoryInMb": 65536,
    }
    checked = check_scenario_dict(data, source="two-gpus")
    assert checked.scenario is not None, checked.errors
    fake = emulated(checked.scenario)
    run = run_real(checked.scenario, clients=fake, clock=fake.clock, run_id=RUN)
    assert run.error is not None
    assert "Failed, not InService, after CreateInferenceComponent" in str(run.error)
    assert "Insufficient capacity" in str(run.error)
    assert "UpdateInferenceComponent" not in fake.operations()
    assert run.teardown.clean and fake.leftovers() == []
