"""Injected faults through ``mock_aws``, and the world's ``role: update`` rules (what a truth
scenario's world is made of)."""

from __future__ import annotations

import time
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from emulator_helpers import FAST, START, canary, in_service, make_config, make_model

from guardsim.emulator import InjectedFaults, WorldError, load_world, world_from_scenario
from guardsim.scenarios import load_scenario
from guardsim.testing import mock_aws

#: Whatever an update deploys fails every request; everything else is healthy.
ROLE_WORLD: dict[str, Any] = {
    "models": [
        {"match": {"role": "update"}, "behaviour": {"error_rate_5xx": 1.0}},
        {"match": {}, "behaviour": {"latency": {"median_ms": 3, "p99_ms": 10}}},
    ],
    "environment": FAST,
}
CANARY = canary("e-5xx")


def _alarm(cw: Any, endpoint: str) -> None:
    cw.put_metric_alarm(
        AlarmName="e-5xx",
        Namespace="AWS/SageMaker",
        MetricName="Invocation5XXErrors",
        Statistic="Sum",
        Dimensions=[
            {"Name": "EndpointName", "Value": endpoint},
            {"Name": "VariantName", "Value": "AllTraffic"},
        ],
        Period=60,
        EvaluationPeriods=1,
        Threshold=1,
        ComparisonOperator="GreaterThanOrEqualToThreshold",
        TreatMissingData="notBreaching",
    )


def _update_and_invoke(endpoint: str, seconds: float) -> list[str]:
    """Update ``endpoint`` to a second model of the same image, send a request every 5 s for
    ``seconds``; the endpoint's statuses seen."""
    sm, rt = boto3.client("sagemaker"), boto3.client("sagemaker-runtime")
    make_model(sm, f"{endpoint}-m2")
    make_config(sm, f"{endpoint}-c2", f"{endpoint}-m2")
    sm.update_endpoint(
        EndpointName=endpoint, EndpointConfigName=f"{endpoint}-c2", DeploymentConfig=CANARY
    )
    statuses = []
    for _ in range(int(seconds / 5)):
        try:
            rt.invoke_endpoint(EndpointName=endpoint, Body=b"1", ContentType="text/csv")
        except ClientError as exc:
            assert exc.response["Error"]["Code"] in ("ModelError", "ValidationError")
        statuses.append(sm.describe_endpoint(EndpointName=endpoint)["EndpointStatus"])
        time.sleep(5)
    return statuses


def test_a_role_update_rule_gives_the_deployed_model_its_behaviour() -> None:
    """Both models have the same image and no name in the rules: the one the update deploys
    fails (and is rolled back), the one the endpoint was created with stays healthy."""
    with mock_aws(world=ROLE_WORLD, start=START) as aws:
        sm = boto3.client("sagemaker")
        in_service(sm, "e")
        _alarm(boto3.client("cloudwatch"), "e")
        models = aws.emulator.models
        assert models["e-m"].behaviour.error_rate_5xx == 0.0
        statuses = _update_and_invoke("e", 600)
        assert models["e-m2"].behaviour.error_rate_5xx == 1.0
        assert models["e-m"].behaviour.error_rate_5xx == 0.0
        assert statuses[-1] == "InService"
        described = sm.describe_endpoint(EndpointName="e")
        assert described["EndpointConfigName"] == "e-c"  # rolled back
        assert described["FailureReason"].startswith("Deployment rolled back")


def test_a_bad_role_is_refused_with_its_path() -> None:
    with pytest.raises(WorldError, match=r"models\[0\]\.match\.role"):
        load_world({"models": [{"match": {"role": "create"}, "behaviour": {}}]})


def test_a_truth_world_has_the_scenarios_models_environment_and_traffic() -> None:
    truth = load_scenario("seed-canary-rollback")
    world = world_from_scenario(truth)
    assert world.behaviour_of({"ModelName": "anything"}) == truth.models.blue
    assert world.behaviour_on_update({"ModelName": "anything"}) == truth.models.green
    assert world.environment == truth.environment and world.seed == truth.simulation.seed
    assert world.traffic_for("any-endpoint") == truth.traffic
    assert world_from_scenario(truth, background_traffic=False).traffic_for("e") is None


@pytest.mark.parametrize(
    ("faults", "final"),
    [
        (InjectedFaults(rollback_fails=True), "UpdateRollbackFailed"),
        (InjectedFaults(endpoint_fails="update", update_fails_at=90.0), "Failed"),
    ],
)
def test_injected_update_faults_through_mock_aws(faults: InjectedFaults, final: str) -> None:
    with mock_aws(world=ROLE_WORLD, start=START, faults=faults) as aws:
        in_service(boto3.client("sagemaker"), "e")
        _alarm(boto3.client("cloudwatch"), "e")
        statuses = _update_and_invoke("e", 600)
        assert statuses[-1] == final
        (record,) = aws.emulator.update_records()
        assert record.transitions[-1]["to"] == final
        assert "injected fault" in record.transitions[-1]["reason"]


def test_injected_send_faults_through_mock_aws() -> None:
    faults = InjectedFaults(
        throttle={"ListModels": 2}, fail_call=("DescribeModel", 1), endpoint_fails="create"
    )
    with mock_aws(world=ROLE_WORLD, start=START, faults=faults) as aws:
        sm = boto3.client("sagemaker")
        assert sm.list_models()["Models"] == []  # two throttled sends, retried by botocore
        assert [c.result for c in aws.emulator.calls] == []  # the log is EmulatedAWS's option
        make_model(sm, "m")
        with pytest.raises(ClientError) as info:
            sm.describe_model(ModelName="m")
        assert info.value.response["Error"]["Code"] == "AccessDeniedException"
        assert sm.describe_model(ModelName="m")["ModelName"] == "m"  # the second send is fine
        make_config(sm, "c", "m")
        sm.create_endpoint(EndpointName="e", EndpointConfigName="c")
        time.sleep(120)
        described = sm.describe_endpoint(EndpointName="e")
        assert described["EndpointStatus"] == "Failed"
        assert "injected fault" in described["FailureReason"]
