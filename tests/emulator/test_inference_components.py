"""Inference components in the emulator, through real botocore clients inside mock_aws:
create, describe, list and delete with the status progression, copies placed by the shared
placement kernel, and AWS's error codes."""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from emulator_helpers import ROLE, START, WORLD, make_model

from guardsim.testing import mock_aws

# the real backend tests' component alarm and update (tests/real_backend/component_helpers.py)
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "real_backend"))
from component_helpers import CHAT_ALARM, CHAT_DEPLOYMENT_CONFIG

#: copy start 120 s and termination 30 s, fixed: exact timelines
COMPONENT_WORLD: dict[str, Any] = {
    **WORLD,
    "environment": {
        **WORLD["environment"],
        "copy_start_seconds": {"kind": "fixed", "value": 120},
        "termination_seconds": {"kind": "fixed", "value": 30},
    },
}


def component_endpoint(sm: Any, name: str, count: int = 2) -> None:
    """An endpoint of ``count`` ml.g5.xlarge instances (4 vCPU, 1 GPU, 16 GiB each) hosting
    inference components (its variant names no model), waited InService."""
    sm.create_endpoint_config(
        EndpointConfigName=f"{name}-c",
        ExecutionRoleArn=ROLE,
        ProductionVariants=[
            {
                "VariantName": "AllTraffic",
                "InstanceType": "ml.g5.xlarge",
                "InitialInstanceCount": count,
            }
        ],
    )
    sm.create_endpoint(EndpointName=name, EndpointConfigName=f"{name}-c")
    sm.get_waiter("endpoint_in_service").wait(EndpointName=name)


def create_component(sm: Any, name: str, endpoint: str, model: str, copies: int) -> None:
    sm.create_inference_component(
        InferenceComponentName=name,
        EndpointName=endpoint,
        VariantName="AllTraffic",
        Specification={
            "ModelName": model,
            "ComputeResourceRequirements": {
                "NumberOfAcceleratorDevicesRequired": 1,
                "MinMemoryRequiredInMb": 8192,
            },
        },
        RuntimeConfig={"CopyCount": copies},
    )


def status(sm: Any, name: str) -> str:
    return str(
        sm.describe_inference_component(InferenceComponentName=name)["InferenceComponentStatus"]
    )


def test_a_component_is_created_in_service_listed_and_deleted() -> None:
    with mock_aws(world=COMPONENT_WORLD, start=START) as aws:
        sm = boto3.client("sagemaker")
        component_endpoint(sm, "llm")
        make_model(sm, "llm-v1")
        t0 = aws.now()
        create_component(sm, "chat", "llm", "llm-v1", copies=2)
        first = sm.describe_inference_component(InferenceComponentName="chat")
        assert first["InferenceComponentStatus"] == "Creating"
        assert first["RuntimeConfig"] == {"DesiredCopyCount": 2, "CurrentCopyCount": 0}
        assert first["EndpointName"] == "llm" and first["VariantName"] == "AllTraffic"
        assert first["InferenceComponentArn"].endswith(":inference-component/chat")
        time.sleep(119)
        assert status(sm, "chat") == "Creating"
        time.sleep(1)  # copy_start_seconds = 120
        d = sm.describe_inference_component(InferenceComponentName="chat")
        assert d["InferenceComponentStatus"] == "InService"
        assert d["RuntimeConfig"]["CurrentCopyCount"] == 2
        assert d["Specification"]["ModelName"] == "llm-v1"
        assert d["LastModifiedTime"].timestamp() == t0 + 120
        listed = sm.list_inference_components(EndpointNameEquals="llm")["InferenceComponents"]
        assert [c["InferenceComponentName"] for c in listed] == ["chat"]
        assert listed[0]["InferenceComponentStatus"] == "InService"
        assert sm.list_inference_components(EndpointNameEquals="other")["InferenceComponents"] == []
        sm.delete_inference_component(InferenceComponentName="chat")
        assert status(sm, "chat") == "Deleting"
        time.sleep(30)  # termination_seconds = 30
        with pytest.raises(ClientError) as gone:
            sm.describe_inference_component(InferenceComponentName="chat")
        assert gone.value.response["Error"]["Code"] == "ValidationException"
        assert sm.list_inference_components()["InferenceComponents"] == []


def test_copies_that_do_not_fit_beside_a_neighbour_fail_the_component() -> None:
    # 2 instances with 1 GPU each: a neighbour's copy takes one, so 2 more 1-GPU copies
    # cannot all be placed (the shared placement kernel), and the second component fails
    with mock_aws(world=COMPONENT_WORLD, start=START):
        sm = boto3.client("sagemaker")
        component_endpoint(sm, "shared")
        make_model(sm, "m")
        create_component(sm, "neighbour", "shared", "m", copies=1)
        create_component(sm, "big", "shared", "m", copies=2)
        time.sleep(120)
        assert status(sm, "neighbour") == "InService"
        big = sm.describe_inference_component(InferenceComponentName="big")
        assert big["InferenceComponentStatus"] == "Failed"
        assert big["RuntimeConfig"]["CurrentCopyCount"] == 0
        assert "1 of 2 copies" in big["FailureReason"]
        # deleting the failed one frees nothing it did not hold; a 1-copy component fits
        sm.delete_inference_component(InferenceComponentName="big")
        time.sleep(30)
        create_component(sm, "small", "shared", "m", copies=1)
        time.sleep(120)
        assert status(sm, "small") == "InService"


def test_missing_endpoint_component_model_and_duplicate_name_are_aws_errors() -> None:
    with mock_aws(world=COMPONENT_WORLD, start=START):
        sm = boto3.client("sagemaker")

        def code(call: Any, **kw: Any) -> str:
            with pytest.raises(ClientError) as err:
                call(**kw)
            return str(err.value.response["Error"]["Code"])

        assert code(sm.describe_inference_component, InferenceComponentName="none") == (
            "ValidationException"
        )
        assert code(sm.delete_inference_component, InferenceComponentName="none") == (
            "ValidationException"
        )
        with pytest.raises(ClientError) as no_endpoint:
            create_component(sm, "c", "no-such-endpoint", "m", copies=1)
        assert no_endpoint.value.response["Error"]["Code"] == "ValidationException"
        assert "no-such-endpoint" in no_endpoint.value.response["Error"]["Message"]
        component_endpoint(sm, "ep")
        with pytest.raises(ClientError) as no_model:
            create_component(sm, "c", "ep", "no-such-model", copies=1)
        assert "no-such-model" in no_model.value.response["Error"]["Message"]
        make_model(sm, "m")
        create_component(sm, "c", "ep", "m", copies=1)
        with pytest.raises(ClientError) as dup:
            create_component(sm, "c", "ep", "m", copies=1)
        assert dup.value.response["Error"]["Code"] == "ValidationException"
        assert "already existing" in dup.value.response["Error"]["Message"]


def drive(sm: Any, rt: Any, name: str, endpoint: str) -> tuple[list[str], int, int]:
    """Invoke the component every 10 s while it updates: (statuses seen, requests, errors)."""
    seen, sent, errors = [], 0, 0
    for _ in range(2000):  # far above the update's length in 10 s steps
        now = status(sm, name)
        seen.append(now)
        if now != "Updating":
            break
        sent += 1
        try:
            rt.invoke_endpoint(
                EndpointName=endpoint,
                InferenceComponentName=name,
                Body=b"1",
                ContentType="text/csv",
            )
        except ClientError as exc:
            assert exc.response["Error"]["Code"] == "ModelError"
            errors += 1
        time.sleep(10)
    return seen, sent, errors


def test_a_bad_update_rolls_back_on_its_component_alarm_and_a_good_one_succeeds() -> None:
    with mock_aws(world=COMPONENT_WORLD, start=START):
        sm, rt, cw = (boto3.client(s) for s in ("sagemaker", "sagemaker-runtime", "cloudwatch"))
        component_endpoint(sm, "llm", count=4)  # 2 GPUs free for the new copies
        make_model(sm, "v1")
        make_model(sm, "v2", image="bad")  # the world rule: every request a 5xx
        make_model(sm, "v3")
        create_component(sm, "chat", "llm", "v1", copies=2)
        time.sleep(120)
        cw.put_metric_alarm(**CHAT_ALARM)
        dc = CHAT_DEPLOYMENT_CONFIG
        sm.update_inference_component(
            InferenceComponentName="chat", Specification={"ModelName": "v2"}, DeploymentConfig=dc
        )
        seen, sent, errors = drive(sm, rt, "chat", "llm")
        assert seen[0] == "Updating" and seen[-1] == "InService"
        assert "RollingBack" not in seen  # no such status: a rollback ends InService
        assert errors > 0  # the bad copies served some of the traffic
        assert errors < sent  # and the old ones the rest
        d = sm.describe_inference_component(InferenceComponentName="chat")
        assert d["Specification"]["ModelName"] == "v1"  # rolled back
        assert d["LastDeploymentConfig"] == dc
        assert d["RuntimeConfig"] == {"DesiredCopyCount": 2, "CurrentCopyCount": 2}
        history = cw.describe_alarm_history(AlarmName="chat-5xx", HistoryItemType="StateUpdate")
        assert any("to ALARM" in h["HistorySummary"] for h in history["AlarmHistoryItems"])
        # the published series carries the component's name
        metrics = cw.list_metrics(
            Namespace="AWS/SageMaker",
            MetricName="Invocations",
            Dimensions=[{"Name": "InferenceComponentName", "Value": "chat"}],
        )["Metrics"]
        assert metrics

        time.sleep(120)  # the alarm back to OK on notBreaching minutes
        sm.update_inference_component(
            InferenceComponentName="chat", Specification={"ModelName": "v3"}, DeploymentConfig=dc
        )
        seen, sent, errors = drive(sm, rt, "chat", "llm")
        assert seen[-1] == "InService" and errors == 0 and sent > 0
        after = sm.describe_inference_component(InferenceComponentName="chat")
        assert after["Specification"]["ModelName"] == "v3"


def test_updates_the_emulator_cannot_run_or_aws_refuses_are_validation_errors() -> None:
    with mock_aws(world=COMPONENT_WORLD, start=START):
        sm = boto3.client("sagemaker")
        component_endpoint(sm, "ep", count=4)
        make_model(sm, "m1")
        make_model(sm, "m2")
        create_component(sm, "c", "ep", "m1", copies=1)
        rolling = {
            "RollingUpdatePolicy": {
                "MaximumBatchSize": {"Type": "COPY_COUNT", "Value": 1},
                "WaitIntervalInSeconds": 60,
            }
        }

        def refused(**kw: Any) -> str:
            with pytest.raises(ClientError) as err:
                sm.update_inference_component(InferenceComponentName="c", **kw)
            assert err.value.response["Error"]["Code"] == "ValidationException"
            return str(err.value.response["Error"]["Message"])

        # still Creating
        assert "in-progress" in refused(Specification={"ModelName": "m2"}, DeploymentConfig=rolling)
        time.sleep(120)
        assert "DeploymentConfig" in refused(Specification={"ModelName": "m2"})
        missing = {**rolling, "AutoRollbackConfiguration": {"Alarms": [{"AlarmName": "nope"}]}}
        assert "nope" in refused(Specification={"ModelName": "m2"}, DeploymentConfig=missing)
        assert "no-model" in refused(
            Specification={"ModelName": "no-model"}, DeploymentConfig=rolling
        )
        assert status(sm, "c") == "InService"  # nothing started
