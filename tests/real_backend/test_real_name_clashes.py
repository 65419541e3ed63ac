"""The real backend never touches what it did not create: when a name the plan would create
already exists (someone else's inference component, endpoint or alarm, untagged),
``guardsim real run --yes`` stops before its first create, with exit status 2 and a message
naming the resource, and the resource is neither updated nor deleted. Against the fake AWS
(guardsim's emulator through real botocore clients)."""

from __future__ import annotations

from pathlib import Path

import yaml
from component_helpers import CHAT_ALARM, component_scenario
from real_helpers import ROLE, FakeCLI, run_cli, tiny

from guardsim.emulator.clients import EmulatedAWS
from guardsim.real_backend.plan import plan_run
from guardsim.scenarios import Scenario
from guardsim.scenarios.boto import thaw

#: the calls that create, change or delete something
WRITES = ("Create", "Update", "Delete", "Put", "Tag", "Invoke")


def _run_cli(scenario: Scenario, tmp_path: Path, run_id: str) -> tuple[int, str, str]:
    path = tmp_path / "scenario.yaml"
    path.write_text(yaml.safe_dump(scenario.to_dict()), encoding="utf-8")
    return run_cli("real", "run", str(path), "--yes", "--run-id", run_id)


def _their_endpoint(fake: EmulatedAWS, name: str, instance_type: str, count: int) -> None:
    """An endpoint of someone else's (untagged), InService."""
    sm = fake("sagemaker")
    sm.create_endpoint_config(
        EndpointConfigName=f"{name}-config",
        ExecutionRoleArn=ROLE,
        ProductionVariants=[
            {
                "VariantName": "AllTraffic",
                "InstanceType": instance_type,
                "InitialInstanceCount": count,
            }
        ],
    )
    sm.create_endpoint(EndpointName=name, EndpointConfigName=f"{name}-config")
    fake.clock.sleep(fake.emulator.endpoints[name].ready_at - fake.clock.now())


def botocore_name(method: str) -> str:
    """``describe_model`` -> ``DescribeModel``."""
    return "".join(part.capitalize() for part in method.split("_"))


def _writes_since(fake: EmulatedAWS, start: int) -> list[str]:
    return [c.operation for c in fake.calls[start:] if c.operation.startswith(WRITES)]


def test_an_existing_untagged_component_of_the_planned_name_stops_the_run_untouched(
    fake_cli: FakeCLI, payload: Path, tmp_path: Path
) -> None:
    scenario = component_scenario(payload)
    assert scenario.inference_component is not None
    fake = fake_cli(scenario)
    sm = fake("sagemaker")
    _their_endpoint(fake, "theirs", "ml.g5.xlarge", 1)
    sm.create_model(ModelName="their-model", ExecutionRoleArn=ROLE, PrimaryContainer={"Image": "i"})
    spec = {**thaw(scenario.inference_component.component.raw["Specification"])}
    spec["ModelName"] = "their-model"
    theirs = "guardsim-clash02-chat"  # the name the plan gives the scenario's component
    sm.create_inference_component(
        InferenceComponentName=theirs,
        EndpointName="theirs",
        VariantName="AllTraffic",
        Specification=spec,
        RuntimeConfig={"CopyCount": 1},
    )
    fake.clock.sleep(600.0)
    before = sm.describe_inference_component(InferenceComponentName=theirs)
    assert before["InferenceComponentStatus"] == "InService"
    start = len(fake.calls)

    code, out, err = _run_cli(scenario, tmp_path, "clash02")

    assert code == 2
    assert f"inference component {theirs} already exists" in err
    assert "nothing was created" in err and "Traceback" not in err + out
    assert _writes_since(fake, start) == []  # not one create, update, delete or request
    # the look-ups are the plan's check stage, in its order, up to the clash
    checks = [c.method for c in plan_run(scenario, "clash02").stage("check")]
    seen = [c.operation for c in fake.calls[start:]]
    assert seen == [botocore_name(m) for m in checks][: len(seen)]
    assert seen[-1] == "DescribeInferenceComponent"
    after = sm.describe_inference_component(InferenceComponentName=theirs)
    assert after["InferenceComponentStatus"] == "InService"
    assert after["Specification"]["ModelName"] == "their-model"
    assert after["LastModifiedTime"] == before["LastModifiedTime"]
    assert fake.leftovers("guardsim-clash02-") == [theirs]  # theirs, kept; nothing of ours


def test_an_existing_untagged_endpoint_of_the_planned_name_stops_the_run_untouched(
    fake_cli: FakeCLI, payload: Path, tmp_path: Path
) -> None:
    scenario = tiny(payload)
    fake = fake_cli(scenario)
    theirs = "guardsim-clash03-tiny"
    _their_endpoint(fake, theirs, "ml.m5.large", 1)
    start = len(fake.calls)

    code, _, err = _run_cli(scenario, tmp_path, "clash03")

    assert code == 2 and f"endpoint {theirs} already exists" in err
    assert _writes_since(fake, start) == []
    assert fake("sagemaker").describe_endpoint(EndpointName=theirs)["EndpointStatus"] == (
        "InService"
    )


def test_an_existing_alarm_of_the_planned_name_is_not_overwritten(
    fake_cli: FakeCLI, payload: Path, tmp_path: Path
) -> None:
    """PutMetricAlarm overwrites an alarm of the same name without an error, so only the
    look-up before any create keeps someone else's alarm as it was."""
    scenario = component_scenario(payload)
    fake = fake_cli(scenario)
    cw = fake("cloudwatch")
    theirs = "guardsim-clash04-chat-5xx"
    cw.put_metric_alarm(**{**CHAT_ALARM, "AlarmName": theirs, "Threshold": 99.0})
    start = len(fake.calls)

    code, _, err = _run_cli(scenario, tmp_path, "clash04")

    assert code == 2 and f"alarm {theirs} already exists" in err
    assert _writes_since(fake, start) == []
    (alarm,) = cw.describe_alarms(AlarmNames=[theirs])["MetricAlarms"]
    assert alarm["Threshold"] == 99.0
