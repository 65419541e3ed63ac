"""The emulator, as the real backend's tests use it, is a faithful stand-in at the wire level:
real botocore clients, responses in the service's protocol that botocore parses and that pass
botocore's response validation, AWS's error codes, and CloudWatch in any protocol botocore may
choose (JSON 1.0, RPCv2 CBOR or query)."""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime
from pathlib import Path

import botocore.session
import pytest
from botocore.exceptions import ClientError
from real_helpers import ROLE, emulated, sleep_until, start_update_elsewhere, tiny

from guardsim.emulator.clock import VirtualClock
from guardsim.emulator.wire import (
    WireError,
    cbor_decode,
    cbor_encode,
    protocol_of,
    validate_output,
)
from guardsim.real_backend.run import run_real


def test_clients_are_real_botocore_clients_that_never_leave_the_process(payload: Path) -> None:
    fake = emulated(tiny(payload))
    sm = fake("sagemaker")
    assert type(sm).__module__ == "botocore.client"
    assert sm.meta.endpoint_url.endswith(".emulated-aws.invalid")
    assert {protocol_of(fake(s).meta.service_model) for s in ("sagemaker", "sagemaker-runtime")}
    with pytest.raises(ClientError) as info:
        sm.describe_endpoint(EndpointName="nope")
    assert info.value.response["Error"]["Code"] == "ValidationException"
    assert "Could not find endpoint" in info.value.response["Error"]["Message"]


def test_every_answer_passed_botocores_response_validation(payload: Path) -> None:
    scenario = tiny(payload)
    fake = emulated(scenario)
    result = run_real(scenario, clients=fake, clock=fake.clock, run_id="wire0001")
    assert result.record is not None
    ok = {c.operation for c in fake.calls if c.result == "ok"}
    assert {
        "DescribeEndpoint",
        "GetMetricData",
        "DescribeAlarmHistory",
        "InvokeEndpoint",
        "DescribeAlarms",
        "ListTagsForResource",
        "ListTags",
    } <= ok


def test_an_invalid_response_is_refused() -> None:
    model = botocore.session.get_session().get_service_model("sagemaker")
    op = model.operation_model("DescribeEndpoint")
    with pytest.raises(WireError, match="EndpointArn"):
        validate_output(
            {
                "EndpointName": "x",
                "EndpointStatus": "InService",
                "CreationTime": datetime.now(UTC),
                "LastModifiedTime": datetime.now(UTC),
            },
            op,
        )
    with pytest.raises(WireError):
        validate_output({"EndpointName": 3}, op)


def test_cbor_round_trips_and_reads_botocores_own_encoding() -> None:
    from botocore.serialize import RpcV2CBORSerializer

    value = {"a": [1, -2, 3.5, "x", b"\x00", True, None], "b": {"c": 2**40}}
    assert cbor_decode(cbor_encode(value)) == value
    model = botocore.session.get_session().get_service_model("cloudwatch")
    op = model.operation_model("DescribeAlarmHistory")
    start = datetime(2026, 1, 1, tzinfo=UTC)
    request = RpcV2CBORSerializer().serialize_to_request(
        {"AlarmName": "a", "StartDate": start, "MaxRecords": 5}, op
    )
    decoded = cbor_decode(request["body"])
    assert decoded == {"AlarmName": "a", "StartDate": start, "MaxRecords": 5}


@pytest.fixture
def cbor_session(tmp_path: Path) -> botocore.session.Session:
    """A botocore session whose CloudWatch model offers only RPCv2 CBOR (what a botocore that
    prefers it would speak)."""
    loader = botocore.session.get_session().get_component("data_loader")
    model = loader.load_service_model("cloudwatch", "service-2")
    model["metadata"]["protocols"] = ["smithy-rpc-v2-cbor"]
    model["metadata"]["protocol"] = "smithy-rpc-v2-cbor"
    folder = tmp_path / "cloudwatch" / model["metadata"]["apiVersion"]
    folder.mkdir(parents=True)
    (folder / "service-2.json").write_text(json.dumps(model), encoding="utf-8")
    session = botocore.session.Session()
    session.set_config_variable("data_path", str(tmp_path))
    return session


def test_a_run_works_with_cloudwatch_over_cbor(
    payload: Path, cbor_session: botocore.session.Session
) -> None:
    scenario = tiny(payload)
    fake = emulated(scenario, botocore_session=cbor_session)
    assert protocol_of(fake("cloudwatch").meta.service_model) == "smithy-rpc-v2-cbor"
    result = run_real(scenario, clients=fake, clock=fake.clock, run_id="cbor0001")
    assert result.record is not None and result.record.outcome == "ROLLED_BACK"
    assert result.record.alarm_history and result.record.datapoints["metric"]
    assert fake.leftovers() == []
    cw = fake("cloudwatch")
    with pytest.raises(ClientError) as info:
        cw.delete_alarms(AlarmNames=["missing"])
    assert info.value.response["Error"]["Code"] == "ResourceNotFound"


def test_invocations_follow_the_traffic_split(payload: Path) -> None:
    """During the canary bake a share ``f`` of the traffic goes to green, which fails half of
    its requests (models.green.error_rate_5xx: 0.5): p = f / 2 per request. Of n = 300, the
    errors are binomial: within 4 sd of n p, sd = sqrt(n p (1 - p))."""
    scenario = tiny(payload)
    fake = emulated(scenario)
    sm, rt, cw = fake("sagemaker"), fake("sagemaker-runtime"), fake("cloudwatch")
    start_update_elsewhere(fake, scenario, warmup_seconds=60)
    sleep_until(fake, "tiny", "Baking")  # the canary bakes: every invocation is at this instant
    up = fake.emulator.endpoints["tiny"].current
    assert up is not None and up.run.routing.active_green == 1
    frac = up.run.routing.green_fraction
    assert 0 < frac < 1
    n, errors = 300, 0
    for _ in range(n):
        try:
            r = rt.invoke_endpoint(EndpointName="tiny", Body=b"1", ContentType="text/csv")
            assert r["InvokedProductionVariant"] == "AllTraffic"
            assert "CustomAttributes" not in r  # AWS's own header only, guardsim adds none
        except ClientError as exc:
            assert exc.response["Error"]["Code"] == "ModelError"
            assert exc.response["OriginalStatusCode"] == 500
            errors += 1
    p = frac / 2
    assert abs(errors - n * p) <= 4 * math.sqrt(n * p * (1 - p))
    status = sm.describe_endpoint(EndpointName="tiny")["PendingDeploymentSummary"]
    assert status["ProductionVariants"][0]["VariantStatus"][0]["Status"] == "Baking"
    # both fleets served requests: each config's own Invocations metric has data (once the
    # minute is published: the metric publish delay is 60 s)
    fake.clock.sleep(180.0)
    now = datetime.fromtimestamp(fake.clock.now(), UTC)
    for config in ("tiny-v1", "tiny-v2"):
        points = cw.get_metric_statistics(
            Namespace="AWS/SageMaker",
            MetricName="Invocations",
            Dimensions=[
                {"Name": "EndpointName", "Value": "tiny"},
                {"Name": "VariantName", "Value": "AllTraffic"},
                {"Name": "EndpointConfigName", "Value": config},
            ],
            StartTime=datetime.fromtimestamp(fake.clock.now() - 3600, UTC),
            EndTime=now,
            Period=3600,
            Statistics=["Sum"],
        )["Datapoints"]
        assert points and points[0]["Sum"] > 0, config


def test_the_virtual_clock_only_moves_when_slept() -> None:
    clock = VirtualClock(100.0)
    assert clock.now() == 100.0
    clock.sleep(-5)
    clock.sleep(2.5)
    assert clock.now() == 102.5 and clock.virtual


def test_create_endpoint_config_needs_its_model(payload: Path) -> None:
    fake = emulated(tiny(payload))
    with pytest.raises(ClientError, match="Could not find model"):
        fake("sagemaker").create_endpoint_config(
            EndpointConfigName="c",
            ProductionVariants=[
                {
                    "VariantName": "v",
                    "ModelName": "missing",
                    "InstanceType": "ml.m5.large",
                    "InitialInstanceCount": 1,
                }
            ],
        )
    sm = fake("sagemaker")
    sm.create_model(ModelName="m", ExecutionRoleArn=ROLE, PrimaryContainer={"Image": "i"})
    with pytest.raises(ClientError, match="already existing"):
        sm.create_model(ModelName="m", ExecutionRoleArn=ROLE, PrimaryContainer={"Image": "i"})
