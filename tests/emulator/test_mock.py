"""mock_aws: which clients it answers, and the virtual clock user code follows."""

from __future__ import annotations

import datetime as dt
import os
import time

import boto3
import botocore.session
import moto  # guardsim's test extra; optional for users of mock_aws
import pytest
from emulator_helpers import START, WORLD, in_service

from guardsim.testing import NotEmulated, mock_aws


def test_sleep_time_datetime_and_monotonic_follow_the_virtual_clock() -> None:
    wall0 = time.perf_counter()
    with mock_aws(start=START) as aws:
        m0 = time.monotonic()
        assert time.time() == START
        assert dt.datetime.now(dt.UTC).timestamp() == START
        time.sleep(3600)
        assert aws.now() == START + 3600
        assert time.time() == START + 3600
        assert dt.datetime.now(dt.UTC) == dt.datetime.fromtimestamp(START + 3600, dt.UTC)
        assert time.monotonic() - m0 == pytest.approx(3600)
    # an hour of virtual sleep is not an hour of wall time (a bound far above any machine's
    # cost of the block, so not a timing claim: only that the sleep did not really sleep)
    assert time.perf_counter() - wall0 < 600
    assert abs(time.time() - START) > 3600  # the real clock is back


def test_clients_made_every_way_inside_the_block_are_answered() -> None:
    with mock_aws(world=WORLD, start=START):
        for sm in (
            boto3.client("sagemaker"),
            boto3.Session().client("sagemaker"),
            botocore.session.get_session().create_client("sagemaker", region_name="us-east-1"),
        ):
            assert sm.list_models()["Models"] == []


def test_a_describe_and_sleep_loop_and_the_waiter_finish_on_virtual_time() -> None:
    with mock_aws(world=WORLD, start=START) as aws:
        sm = boto3.client("sagemaker")
        in_service(sm, "waited")  # botocore's endpoint_in_service waiter
        assert aws.now() >= START + 60  # provisioning took its (virtual) minute
        sm.create_endpoint(EndpointName="polled", EndpointConfigName="waited-c")
        polls = 0
        while sm.describe_endpoint(EndpointName="polled")["EndpointStatus"] != "InService":
            polls += 1
            time.sleep(30)
        assert polls == 2  # 60 s of provisioning, polled every 30 s


def test_credentials_and_region_are_dummies_inside_and_restored_after(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAREALLOOKING00000")
    monkeypatch.setenv("AWS_PROFILE", "production")
    with mock_aws(start=START):
        assert os.environ["AWS_ACCESS_KEY_ID"] != "AKIAREALLOOKING00000"
        assert "AWS_PROFILE" not in os.environ
        assert boto3.Session().region_name == "us-east-1"
    assert os.environ["AWS_ACCESS_KEY_ID"] == "AKIAREALLOOKING00000"
    assert os.environ["AWS_PROFILE"] == "production"


def test_a_service_guardsim_does_not_emulate_never_reaches_aws() -> None:
    with mock_aws(start=START):
        s3 = boto3.client("s3")
        with pytest.raises(NotEmulated, match="'s3'"):
            s3.list_buckets()


def test_one_block_at_a_time_and_clients_from_before_are_not_answered() -> None:
    with (
        mock_aws(start=START),
        pytest.raises(RuntimeError, match="already active"),
        mock_aws(start=START),
    ):
        pass
    with mock_aws(start=START):
        pass  # the lock was released by the failed entry above


@pytest.mark.guardsim_world(WORLD)
def test_the_pytest_fixture_uses_the_marked_world(mock_aws) -> None:  # type: ignore[no-untyped-def]
    sm = boto3.client("sagemaker")
    in_service(sm, "fixture")
    assert mock_aws.emulator.world.environment.provisioning_seconds.value == 60
    assert sm.describe_endpoint(EndpointName="fixture")["EndpointStatus"] == "InService"


def test_it_composes_with_motos_mock_aws_for_the_other_services() -> None:
    with moto.mock_aws(), mock_aws(world=WORLD, start=START) as aws:
        s3 = boto3.client("s3")
        s3.create_bucket(Bucket="artifacts")  # moto's
        assert [b["Name"] for b in s3.list_buckets()["Buckets"]] == ["artifacts"]
        role = boto3.client("iam").create_role(RoleName="r", AssumeRolePolicyDocument="{}")
        sm = boto3.client("sagemaker")  # guardsim's, even inside moto's block
        sm.create_model(
            ModelName="m", ExecutionRoleArn=role["Role"]["Arn"], PrimaryContainer={"Image": "i"}
        )
        assert list(aws.emulator.models) == ["m"]
        time.sleep(120)
        assert aws.now() == START + 120
