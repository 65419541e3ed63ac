"""``guardsim real observe --component`` and ``real import`` of an endpoint with inference
components, through real botocore clients against guardsim's emulator: read-only, the rollback
told apart from a success although both end InService, and an imported scenario that validates
and runs."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml
from component_helpers import InvokingClients, component_scenario, start_component_update_elsewhere
from real_helpers import READ_ONLY as BASE_READ_ONLY
from real_helpers import FakeCLI, emulated, run_cli

from guardsim.real_backend.component_observe import observe_component
from guardsim.scenarios import Scenario, read_scenario
from guardsim.scenarios.boto import thaw

READ_ONLY = BASE_READ_ONLY | {"DescribeInferenceComponent", "ListInferenceComponents"}


def raw_config(scenario: Scenario) -> Any:
    """The scenario's InferenceComponentDeploymentConfig as written."""
    assert scenario.inference_component is not None
    return thaw(scenario.inference_component.raw_deployment_config)


def test_observe_reads_a_component_rollback_that_ends_in_service(payload: Path) -> None:
    scenario = component_scenario(payload, green_5xx=1.0)
    fake = emulated(scenario)
    name = start_component_update_elsewhere(fake, scenario)
    before = len(fake.calls)
    clients = InvokingClients(fake, scenario.endpoint.name, name)
    record = observe_component(
        name, clients=clients, clock=fake.clock, poll_seconds=20.0, new_model="chat-v2"
    )
    operations = {c.operation for c in fake.calls[before:]} - {"InvokeEndpoint"}
    assert operations <= READ_ONLY
    assert record.outcome == "ROLLED_BACK"
    assert record.summary.tripped_alarms == ("chat-5xx",)
    assert record.notes[0] == "InService on the old model chat-v1"
    rollback = next(t for t in record.transitions if t["to"] == "RollingBack")
    assert "DescribeAlarmHistory" in rollback["reason"]
    assert record.summary.rollback_started_seconds == next(
        h["t"] for h in record.alarm_history if h["to"] == "ALARM" and h["t"] >= 0
    )
    assert record.summary.user_errors > 0  # from the component's own 5XX series
    # which of those the new copies served is not observable: no figure, and the reason
    assert record.summary.green_errors is None and record.summary.green_requests is None
    assert any("not observable for component updates" in n for n in record.notes)
    definition = record.scenario_definition
    assert definition["inference_component"]["new_model_name"] == "chat-v2"
    assert definition["deployment_config"] == raw_config(scenario)
    assert fake.emulator.components.items[name].model == "chat-v1"


def test_observe_without_new_model_reads_a_success_from_the_model_it_ends_on(
    payload: Path,
) -> None:
    scenario = component_scenario(payload, green_5xx=0.0)
    fake = emulated(scenario)
    name = start_component_update_elsewhere(fake, scenario)
    record = observe_component(name, clients=fake, clock=fake.clock, poll_seconds=20.0)
    assert record.outcome == "SUCCEEDED"
    assert record.notes[0] == "InService on the new model chat-v2"
    assert record.summary.deployment_seconds > 0


def test_observe_through_the_cli_refuses_a_component_with_no_update(
    fake_cli: FakeCLI, payload: Path
) -> None:
    scenario = component_scenario(payload, green_5xx=0.0)
    fake = fake_cli(scenario)
    name = start_component_update_elsewhere(fake, scenario)
    fake.clock.sleep(7200.0)  # long done
    code, _, err = run_cli("real", "observe", "--endpoint", "llm", "--component", name)
    assert code == 2 and "no update in progress" in err and "--wait" in err
    code, _, err = run_cli("real", "observe", "--endpoint", "other", "--component", name)
    assert code == 2 and "not other" in err
    code, _, err = run_cli("real", "observe", "--endpoint", "llm", "--new-model", "x")
    assert code == 2 and "--new-model needs --component" in err


def test_import_of_an_endpoint_with_components_validates_and_runs(
    fake_cli: FakeCLI, payload: Path, tmp_path: Path
) -> None:
    scenario = component_scenario(payload, green_5xx=1.0)
    fake = fake_cli(scenario)
    start_component_update_elsewhere(fake, scenario, invokes=30)
    # no requests during the update, so the alarm saw no error: it succeeded long ago, and
    # LastDeploymentConfig is set
    fake.clock.sleep(3600.0)
    output = tmp_path / "imported.yaml"
    # two components on the endpoint: which one is being updated must be said
    code, out, err = run_cli("real", "import", "--endpoint", "llm", "--output", str(output))
    assert code == 2 and "(embed, chat)" in err and "--component" in err
    before = len(fake.calls)
    code, out, err = run_cli(
        "real", "import", "--endpoint", "llm", "--component", "chat", "--output", str(output)
    )
    assert code == 0, err + out
    assert {c.operation for c in fake.calls[before:]} <= READ_ONLY
    assert "valid" in out
    data = yaml.safe_load(output.read_text())
    section = data["inference_component"]
    assert section["component"]["InferenceComponentName"] == "chat"
    assert section["component"]["RuntimeConfig"] == {"CopyCount": 2}
    assert section["component"]["Specification"]["ComputeResourceRequirements"] == {
        "NumberOfAcceleratorDevicesRequired": 1,
        "MinMemoryRequiredInMb": 8192,
    }
    assert [n["InferenceComponentName"] for n in section["neighbours"]] == ["embed"]
    assert section["component"]["Specification"]["ModelName"] == "chat-v2"
    assert section["new_model_name"] == "chat-v2-next"
    assert data["deployment_config"] == raw_config(scenario)
    assert [a["AlarmName"] for a in data["alarms"]] == ["chat-5xx"]
    assert data["alarms"][0]["Dimensions"] == [{"Name": "InferenceComponentName", "Value": "chat"}]
    assert "ModelName" not in data["endpoint"]["blue"]["ProductionVariants"][0]
    assert data["traffic"]["replay_file"] == "imported-traffic.csv"
    assert (tmp_path / "imported-traffic.csv").is_file()
    loaded = read_scenario(output)
    assert loaded.scenario is not None, loaded.errors
    assert loaded.scenario.inference_component is not None
    code, out, err = run_cli("validate", str(output))
    assert code == 0, err + out
    code, out, err = run_cli("run", str(output), "--json", "-")
    assert code == 0, err
    assert json.loads(out)["outcome"] in ("SUCCEEDED", "ROLLED_BACK")
