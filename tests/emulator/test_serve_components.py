"""``guardsim serve`` and inference components over real HTTP on 127.0.0.1: boto3 drives a
component's rolling update and its rollback (which ends InService: there is no RollingBack
status), the server writes the update's run record, and ``guardsim real run`` of a component
scenario runs end to end against it through boto3's default chain."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import yaml
from botocore.exceptions import ClientError
from serve_helpers import (
    BAD_IMAGE,
    GOOD_IMAGE,
    MODEL_DATA,
    ROLE,
    WORLD,
    client,
    create_model,
    serving,
    wait_for,
)

# the real backend tests' component scenario and alarm (tests/real_backend/component_helpers.py)
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "real_backend"))
from component_helpers import CHAT_ALARM, CHAT_DEPLOYMENT_CONFIG, component_data
from real_helpers import run_cli

from guardsim.record import RunRecord

#: The serve tests' world with fixed times: instances and copies start in 120 s, go in 30 s.
COMPONENT_WORLD: dict[str, Any] = {
    **WORLD,
    "environment": {
        "provisioning_seconds": {"kind": "fixed", "value": 120},
        "copy_start_seconds": {"kind": "fixed", "value": 120},
        "termination_seconds": {"kind": "fixed", "value": 30},
    },
}
SPEED = 1200.0


def _status(sm: Any, name: str) -> str:
    return str(
        sm.describe_inference_component(InferenceComponentName=name)["InferenceComponentStatus"]
    )


def test_boto3_drives_a_component_update_and_its_rollback_over_http(tmp_path: Path) -> None:
    records = tmp_path / "records"
    with serving(COMPONENT_WORLD, speed=SPEED, records=records) as server:
        sm, rt, cw = (
            client(s, server.url) for s in ("sagemaker", "sagemaker-runtime", "cloudwatch")
        )
        create_model(sm, "chat-v1", GOOD_IMAGE)
        create_model(sm, "chat-v2", BAD_IMAGE)  # the world: every request to it a 5xx
        sm.create_endpoint_config(
            EndpointConfigName="llm-g5",
            ExecutionRoleArn=ROLE,
            ProductionVariants=[
                {
                    "VariantName": "AllTraffic",
                    "InstanceType": "ml.g5.xlarge",
                    "InitialInstanceCount": 4,
                }
            ],
        )
        sm.create_endpoint(EndpointName="llm", EndpointConfigName="llm-g5")
        wait_for(
            lambda: sm.describe_endpoint(EndpointName="llm")["EndpointStatus"] == "InService", 20.0
        )
        spec = {
            "ModelName": "chat-v1",
            "ComputeResourceRequirements": {
                "NumberOfAcceleratorDevicesRequired": 1,
                "MinMemoryRequiredInMb": 8192,
            },
        }
        sm.create_inference_component(
            InferenceComponentName="chat",
            EndpointName="llm",
            VariantName="AllTraffic",
            Specification=spec,
            RuntimeConfig={"CopyCount": 2},
        )
        assert _status(sm, "chat") == "Creating"
        wait_for(lambda: _status(sm, "chat") == "InService", 20.0)
        cw.put_metric_alarm(**CHAT_ALARM)
        sm.update_inference_component(
            InferenceComponentName="chat",
            Specification={**spec, "ModelName": "chat-v2"},
            DeploymentConfig=CHAT_DEPLOYMENT_CONFIG,
        )
        seen, errors = [], 0
        deadline = time.monotonic() + 30.0
        while time.monotonic() < deadline:
            status = _status(sm, "chat")
            if not seen or seen[-1] != status:
                seen.append(status)
            if status != "Updating":
                break
            try:
                rt.invoke_endpoint(
                    EndpointName="llm",
                    InferenceComponentName="chat",
                    Body=b"1",
                    ContentType="text/csv",
                )
            except ClientError as exc:
                assert exc.response["Error"]["Code"] == "ModelError"
                errors += 1
            time.sleep(0.01)  # about 12 s of emulated time
        assert seen == ["Updating", "InService"]  # no RollingBack status: it ends InService
        assert errors > 0
        described = sm.describe_inference_component(InferenceComponentName="chat")
        assert described["Specification"]["ModelName"] == "chat-v1"  # rolled back
        assert described["LastDeploymentConfig"] == CHAT_DEPLOYMENT_CONFIG
        history = cw.describe_alarm_history(AlarmName="chat-5xx", HistoryItemType="StateUpdate")
        assert any("to ALARM" in h["HistorySummary"] for h in history["AlarmHistoryItems"])
        # the server wrote the update's run record
        path = wait_for(lambda: next(iter(records.glob("chat-update-*.json")), None), 10.0)
    record = RunRecord.load(path)
    assert record.mode == "emulated" and record.outcome == "ROLLED_BACK"
    assert record.summary.tripped_alarms == ("chat-5xx",)
    assert record.summary.green_errors > 0
    assert record.summary.green_errors <= record.summary.user_errors
    assert [t["to"] for t in record.transitions][-2:] == ["RollbackDeleting", "InService"]
    assert set(record.datapoints["dimensions"]) == {"blended"}
    assert json.loads(record.to_json())["scenario"] == "chat"


def test_real_run_of_a_component_scenario_against_guardsim_serve(
    tmp_path: Path, aws_env: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    payload = tmp_path / "payload.csv"
    payload.write_text("1\n", encoding="utf-8")
    data = component_data(payload)
    data["real"].update(
        execution_role_arn=ROLE,
        blue={"image": GOOD_IMAGE, "model_data_url": MODEL_DATA},
        green={"image": BAD_IMAGE, "model_data_url": MODEL_DATA},
    )
    scenario = tmp_path / "chat.yaml"
    scenario.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    record_path = tmp_path / "record.json"
    with serving(COMPONENT_WORLD, speed=300.0) as server:
        monkeypatch.setenv("AWS_ENDPOINT_URL", server.url)
        status, _, err = run_cli(
            "real",
            "run",
            str(scenario),
            "--yes",
            "--run-id",
            "serveic1",
            "--json",
            str(record_path),
        )
        assert status == 0, err
        sm = client("sagemaker", server.url)
        assert sm.list_inference_components()["InferenceComponents"] == []
        assert sm.list_endpoints()["Endpoints"] == []
        assert sm.list_models()["Models"] == []
    record = RunRecord.load(record_path)
    assert record.mode == "real" and record.outcome == "ROLLED_BACK"
    assert record.summary.tripped_alarms == ("chat-5xx",)
    assert record.notes[0] == "InService on the old model guardsim-serveic1-chat-v1"
