"""``guardsim serve`` answers boto3 over real HTTP on 127.0.0.1: the control plane, the runtime
and CloudWatch on one port, AWS-shaped errors that botocore raises as ``ClientError`` with
AWS's code, and timestamps on the emulated clock."""

from __future__ import annotations

import http.client
import json
import time
from datetime import UTC, datetime
from typing import Any

import pytest
from botocore.exceptions import ClientError
from emulator_helpers import ALL_AT_ONCE
from serve_helpers import (
    BAD_IMAGE,
    WORLD,
    client,
    create_config,
    create_model,
    error_code,
    serving,
    wait_for,
)

from guardsim.emulator.server import CLOCK_PATH, emulator_clock

START = datetime(2030, 6, 1, tzinfo=UTC).timestamp()


def _in_service(sm: Any, name: str) -> None:
    sm.get_waiter("endpoint_in_service").wait(
        EndpointName=name, WaiterConfig={"Delay": 0.2, "MaxAttempts": 200}
    )


def test_boto3_creates_updates_describes_and_invokes_through_the_server() -> None:
    with serving(WORLD, speed=600.0) as server:
        sm = client("sagemaker", server.url)
        runtime = client("sagemaker-runtime", server.url)
        create_model(sm, "m-v1")
        create_model(sm, "m-v2")
        create_config(sm, "c-v1", "m-v1")
        create_config(sm, "c-v2", "m-v2")
        sm.create_endpoint(EndpointName="ep", EndpointConfigName="c-v1")
        assert sm.describe_endpoint(EndpointName="ep")["EndpointStatus"] == "Creating"
        _in_service(sm, "ep")
        reply = runtime.invoke_endpoint(EndpointName="ep", Body=b"1,2,3", ContentType="text/csv")
        assert reply["ResponseMetadata"]["HTTPStatusCode"] == 200
        assert reply["Body"].read()
        sm.update_endpoint(
            EndpointName="ep",
            EndpointConfigName="c-v2",
            DeploymentConfig=ALL_AT_ONCE,
        )
        assert sm.describe_endpoint(EndpointName="ep")["EndpointStatus"] == "Updating"
        _in_service(sm, "ep")
        described = sm.describe_endpoint(EndpointName="ep")
        assert described["EndpointConfigName"] == "c-v2"
        names = [e["EndpointName"] for e in sm.list_endpoints()["Endpoints"]]
        assert names == ["ep"]


def test_timestamps_follow_the_emulated_clock() -> None:
    with serving(None, speed=600.0, start=START) as server:
        assert server.clock is not None
        sm = client("sagemaker", server.url)
        before = server.clock()
        create_model(sm, "m")
        after = server.clock()
        created = sm.describe_model(ModelName="m")["CreationTime"].timestamp()
        # the emulated clock's time (it started at START, 2030), not the wall clock's
        assert START <= before <= created <= after
        time.sleep(0.2)  # 120 emulated seconds at 600x
        create_model(sm, "m2")
        later = sm.describe_model(ModelName="m2")["CreationTime"].timestamp()
        assert later - created >= 120.0


def test_cloudwatch_alarms_through_the_same_port() -> None:
    with serving(None) as server:
        cw = client("cloudwatch", server.url)
        cw.put_metric_alarm(
            AlarmName="ep-5xx",
            Namespace="AWS/SageMaker",
            MetricName="Invocation5XXErrors",
            Dimensions=[{"Name": "EndpointName", "Value": "ep"}],
            Statistic="Sum",
            Period=60,
            EvaluationPeriods=1,
            Threshold=1.0,
            ComparisonOperator="GreaterThanOrEqualToThreshold",
        )
        alarms = cw.describe_alarms(AlarmNames=["ep-5xx"])["MetricAlarms"]
        assert [a["AlarmName"] for a in alarms] == ["ep-5xx"]
        cw.delete_alarms(AlarmNames=["ep-5xx"])
        assert cw.describe_alarms(AlarmNames=["ep-5xx"])["MetricAlarms"] == []


def test_aws_endpoint_url_in_the_environment_is_enough(monkeypatch: pytest.MonkeyPatch) -> None:
    import boto3

    with serving(None) as server:
        monkeypatch.setenv("AWS_ENDPOINT_URL", server.url)
        for key, value in {
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": "us-east-1",
        }.items():
            monkeypatch.setenv(key, value)
        sm = boto3.client("sagemaker")
        assert sm.meta.endpoint_url == server.url
        create_model(sm, "via-env")
        assert [m["ModelName"] for m in sm.list_models()["Models"]] == ["via-env"]
        cw = boto3.client("cloudwatch")
        assert cw.describe_alarms()["MetricAlarms"] == []


# --------------------------------------------------------------------------- errors


def test_a_name_that_exists_is_a_validation_exception() -> None:
    with serving(None) as server:
        sm = client("sagemaker", server.url)
        create_model(sm, "twice")
        with pytest.raises(ClientError) as caught:
            create_model(sm, "twice")
        assert caught.value.response["Error"]["Code"] == "ValidationException"
        assert "already existing" in caught.value.response["Error"]["Message"]
        assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400


def test_missing_fields_are_a_validation_exception_from_the_server() -> None:
    with serving(None) as server:
        # botocore checks parameters before sending; switched off, the server must say it
        sm = client("sagemaker", server.url, parameter_validation=False)
        with pytest.raises(ClientError) as caught:
            sm.describe_endpoint()
        assert caught.value.response["Error"]["Code"] == "ValidationException"
        with pytest.raises(ClientError) as caught:
            sm.create_endpoint(EndpointName="no-config")
        assert caught.value.response["Error"]["Code"] == "ValidationException"


def test_a_missing_resource_is_aws_s_error() -> None:
    with serving(None) as server:
        sm = client("sagemaker", server.url)
        with pytest.raises(ClientError) as caught:
            sm.describe_endpoint(EndpointName="nowhere")
        assert caught.value.response["Error"]["Code"] == "ValidationException"
        assert "Could not find endpoint" in caught.value.response["Error"]["Message"]
        cw = client("cloudwatch", server.url)
        with pytest.raises(ClientError) as caught:
            cw.set_alarm_state(AlarmName="nowhere", StateValue="OK", StateReason="test")
        assert caught.value.response["Error"]["Code"] == "ResourceNotFound"


def _post(
    port: int, headers: dict[str, str], body: bytes, path: str = "/"
) -> tuple[int, dict[str, str], bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request("POST", path, body=body, headers=headers)
        response = conn.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        conn.close()


SAGEMAKER_JSON = {"Content-Type": "application/x-amz-json-1.1"}


def test_an_unknown_operation_is_unknown_operation_exception() -> None:
    with serving(None) as server:
        status, headers, body = _post(
            server.port, {**SAGEMAKER_JSON, "X-Amz-Target": "SageMaker.DescribeNothing"}, b"{}"
        )
        assert 400 <= status < 500
        assert error_code("sagemaker", status, headers, body) == "UnknownOperationException"
        # and a request that names no service the server has
        status, headers, body = _post(server.port, {"X-Amz-Target": "AmazonS3.ListBuckets"}, b"{}")
        assert status == 400
        assert error_code("sagemaker", status, headers, body) == "UnknownOperationException"


def test_a_malformed_body_is_a_serialization_exception() -> None:
    with serving(None) as server:
        status, headers, body = _post(
            server.port,
            {**SAGEMAKER_JSON, "X-Amz-Target": "SageMaker.DescribeEndpoint"},
            b'{"EndpointName": ',
        )
        assert status == 400
        assert error_code("sagemaker", status, headers, body) == "SerializationException"


def test_the_clock_path_and_emulator_clock_keep_time_with_the_server() -> None:
    with serving(None, speed=600.0, start=START) as server:
        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
        conn.request("GET", CLOCK_PATH)
        data = json.loads(conn.getresponse().read())
        conn.close()
        assert data["guardsim"] == 1 and data["speed"] == 600.0
        assert 0 <= data["now"] - START < 600.0
        clock = emulator_clock(server.url)
        assert clock is not None and clock.speed == 600.0
        sm = client("sagemaker", server.url)
        create_model(sm, "m")
        created = sm.describe_model(ModelName="m")["CreationTime"].timestamp()
        # the client's clock and the server's agree to within a real second's worth (600 s)
        assert abs(clock.now() - created) < 600.0
    # real AWS is never asked, nor a loopback port where nothing listens
    assert emulator_clock("https://api.sagemaker.us-east-1.amazonaws.com") is None
    assert emulator_clock(server.url) is None


def test_a_model_of_the_incompatible_image_keeps_its_behaviour() -> None:
    with serving(WORLD, speed=600.0) as server:
        sm = client("sagemaker", server.url)
        runtime = client("sagemaker-runtime", server.url, retries={"max_attempts": 1})
        create_model(sm, "bad", BAD_IMAGE)
        create_config(sm, "bad-c", "bad")
        sm.create_endpoint(EndpointName="bad-ep", EndpointConfigName="bad-c")
        _in_service(sm, "bad-ep")

        def failed() -> bool:
            try:
                runtime.invoke_endpoint(EndpointName="bad-ep", Body=b"1", ContentType="text/csv")
            except ClientError as exc:
                return exc.response["ResponseMetadata"]["HTTPStatusCode"] >= 400
            return False

        assert wait_for(failed, timeout=5.0)
