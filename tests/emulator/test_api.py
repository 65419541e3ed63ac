"""The emulated APIs: AWS's shapes and errors, as botocore parses them."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta

import boto3
import pytest
from botocore.exceptions import ClientError
from emulator_helpers import ROLE, START, clients, in_service, make_config, make_model

from guardsim.emulator import Emulator, VirtualClock, load_world, service_for
from guardsim.testing.mock import MockAWS


def _code(exc: pytest.ExceptionInfo[ClientError]) -> str:
    return str(exc.value.response["Error"]["Code"])


def test_service_for_tells_the_three_services_from_the_wire() -> None:
    assert service_for({"X-Amz-Target": b"SageMaker.ListModels"}, "http://h/") == "sagemaker"
    assert (
        service_for({"X-Amz-Target": "GraniteServiceVersion20100801.DescribeAlarms"}, "http://h/")
        == "cloudwatch"
    )
    assert (
        service_for({}, "http://h/service/GraniteServiceVersion20100801/operation/DescribeAlarms")
        == "cloudwatch"
    )
    assert service_for({}, "http://h/endpoints/my-ep/invocations") == "sagemaker-runtime"
    assert service_for({}, "http://h/2015-03-31/functions") is None


def test_models_keep_their_containers_and_list_with_filters(aws: MockAWS) -> None:
    sm, _, _ = clients()
    sm.create_model(
        ModelName="alpha",
        ExecutionRoleArn=ROLE,
        Containers=[{"Image": "img:1", "ModelDataUrl": "s3://b/alpha.tar.gz"}],
    )
    time.sleep(1)
    make_model(sm, "beta")
    described = sm.describe_model(ModelName="alpha")
    assert described["Containers"] == [{"Image": "img:1", "ModelDataUrl": "s3://b/alpha.tar.gz"}]
    assert described["CreationTime"] == datetime.fromtimestamp(START, UTC)
    names = [m["ModelName"] for m in sm.list_models()["Models"]]
    assert names == ["beta", "alpha"]  # newest first, AWS's default order
    assert [m["ModelName"] for m in sm.list_models(NameContains="ALP")["Models"]] == ["alpha"]
    page = sm.list_models(MaxResults=1)
    assert len(page["Models"]) == 1 and "NextToken" in page
    rest = sm.list_models(MaxResults=1, NextToken=page["NextToken"])
    assert [m["ModelName"] for m in rest["Models"]] == ["alpha"] and "NextToken" not in rest


def test_existing_and_missing_names_get_awss_errors(aws: MockAWS) -> None:
    sm, rt, cw = clients()
    make_model(sm, "m")
    with pytest.raises(ClientError) as exc:
        make_model(sm, "m")
    assert _code(exc) == "ValidationException"
    assert "Cannot create already existing model" in str(exc.value)
    with pytest.raises(ClientError) as exc:
        sm.describe_endpoint(EndpointName="nope")
    assert _code(exc) == "ValidationException"
    assert (
        'Could not find endpoint "arn:aws:sagemaker:us-east-1:123456789012:endpoint/nope"'
        in str(exc.value)
    )
    with pytest.raises(ClientError) as exc:
        make_config(sm, "c", "no-such-model")
    assert "Could not find model" in str(exc.value)
    with pytest.raises(ClientError) as exc:
        rt.invoke_endpoint(EndpointName="nope", Body=b"1")
    assert _code(exc) == "ValidationError"
    with pytest.raises(ClientError) as exc:
        cw.delete_alarms(AlarmNames=["nope"])
    assert _code(exc) == "ResourceNotFound"


def test_an_endpoint_goes_creating_then_in_service_and_lists(aws: MockAWS) -> None:
    sm, _, _ = clients()
    make_model(sm, "m", image="123.dkr.ecr.us-east-1.amazonaws.com/repo:7")
    make_config(sm, "c", "m", count=3)
    sm.create_endpoint(EndpointName="ep", EndpointConfigName="c")
    creating = sm.describe_endpoint(EndpointName="ep")
    assert creating["EndpointStatus"] == "Creating"
    assert creating["ProductionVariants"][0]["VariantStatus"][0]["Status"] == "Creating"
    assert sm.list_endpoints(StatusEquals="Creating")["Endpoints"][0]["EndpointName"] == "ep"
    sm.get_waiter("endpoint_in_service").wait(EndpointName="ep")
    ready = sm.describe_endpoint(EndpointName="ep")
    variant = ready["ProductionVariants"][0]
    assert variant["CurrentInstanceCount"] == 3
    (image,) = variant["DeployedImages"]
    assert image["SpecifiedImage"] == "123.dkr.ecr.us-east-1.amazonaws.com/repo:7"
    assert image["ResolvedImage"].startswith("123.dkr.ecr.us-east-1.amazonaws.com/repo@sha256:")
    assert "LastDeploymentConfig" not in ready and "PendingDeploymentSummary" not in ready
    assert sm.list_endpoints(StatusEquals="InService")["Endpoints"][0]["EndpointName"] == "ep"
    sm.delete_endpoint(EndpointName="ep")
    assert sm.describe_endpoint(EndpointName="ep")["EndpointStatus"] == "Deleting"
    sm.get_waiter("endpoint_deleted").wait(EndpointName="ep")
    assert sm.list_endpoints()["Endpoints"] == []


def test_updating_to_the_current_config_and_during_an_update_are_refused(aws: MockAWS) -> None:
    sm, _, _ = clients()
    in_service(sm, "ep")
    with pytest.raises(ClientError) as exc:
        sm.update_endpoint(EndpointName="ep", EndpointConfigName="ep-c")
    message = str(exc.value)
    assert _code(exc) == "ValidationException"
    assert "already in use by the endpoint" in message
    assert "endpoint.green" not in message and "deployment_config" not in message
    make_model(sm, "m2")
    make_config(sm, "c2", "m2")
    sm.update_endpoint(EndpointName="ep", EndpointConfigName="c2")
    with pytest.raises(ClientError) as exc:
        sm.update_endpoint(EndpointName="ep", EndpointConfigName="ep-c")
    assert "Cannot update in-progress endpoint" in str(exc.value)


def test_an_invalid_deployment_config_is_named_in_awss_terms(aws: MockAWS) -> None:
    sm, _, _ = clients()
    in_service(sm, "ep")
    make_model(sm, "m2")
    make_config(sm, "c2", "m2")
    with pytest.raises(ClientError) as exc:
        sm.update_endpoint(
            EndpointName="ep",
            EndpointConfigName="c2",
            DeploymentConfig={
                "BlueGreenUpdatePolicy": {
                    "TrafficRoutingConfiguration": {
                        "Type": "CANARY",
                        "CanarySize": {"Type": "INSTANCE_COUNT", "Value": 2},
                        "WaitIntervalInSeconds": 60,
                    }
                }
            },
        )
    message = str(exc.value)
    assert _code(exc) == "ValidationException"
    assert "DeploymentConfig.BlueGreenUpdatePolicy" in message
    assert "deployment_config." not in message


def test_invoke_answers_from_the_models_behaviour_without_guardsim_attributes(
    aws: MockAWS,
) -> None:
    sm, rt, _ = clients()
    in_service(sm, "good")
    in_service(sm, "bad", model_image="bad:1")
    ok = rt.invoke_endpoint(EndpointName="good", Body=b"1,2,3", ContentType="text/csv")
    assert ok["InvokedProductionVariant"] == "AllTraffic"
    assert "CustomAttributes" not in ok
    float(ok["Body"].read())
    with pytest.raises(ClientError) as exc:
        rt.invoke_endpoint(EndpointName="bad", Body=b"1,2,3", ContentType="text/csv")
    assert _code(exc) == "ModelError"
    assert exc.value.response["OriginalStatusCode"] == 500


def test_no_invocations_means_no_invocation_datapoints(aws: MockAWS) -> None:
    sm, _, cw = clients()
    in_service(sm, "idle")
    time.sleep(600)
    now = datetime.now(UTC)
    got = cw.get_metric_statistics(
        Namespace="AWS/SageMaker",
        MetricName="Invocations",
        Dimensions=[
            {"Name": "EndpointName", "Value": "idle"},
            {"Name": "VariantName", "Value": "AllTraffic"},
        ],
        StartTime=now - timedelta(hours=1),
        EndTime=now,
        Period=60,
        Statistics=["Sum"],
    )
    assert got["Datapoints"] == []


def test_metrics_count_the_clients_requests_once_published(aws: MockAWS) -> None:
    sm, rt, cw = clients()
    in_service(sm, "ep")
    time.sleep(60 - time.time() % 60)  # to the next minute boundary
    minute = time.time()
    for _ in range(30):
        rt.invoke_endpoint(EndpointName="ep", Body=b"1")
        time.sleep(2)  # 30 requests within the minute
    dims = [
        {"Name": "EndpointName", "Value": "ep"},
        {"Name": "VariantName", "Value": "AllTraffic"},
    ]

    def invocations() -> list[float]:
        now = datetime.now(UTC)
        points = cw.get_metric_statistics(
            Namespace="AWS/SageMaker",
            MetricName="Invocations",
            Dimensions=dims,
            StartTime=now - timedelta(hours=1),
            EndTime=now,
            Period=60,
            Statistics=["Sum", "SampleCount"],
        )["Datapoints"]
        return [p["Sum"] for p in points]

    assert invocations() == []  # the minute ended just now: published 30 s later
    time.sleep(30)
    assert invocations() == [30.0]
    data = cw.get_metric_data(
        MetricDataQueries=[
            {
                "Id": "e",
                "MetricStat": {
                    "Metric": {
                        "Namespace": "AWS/SageMaker",
                        "MetricName": "Invocation5XXErrors",
                        "Dimensions": dims,
                    },
                    "Period": 60,
                    "Stat": "Sum",
                },
            },
            {"Id": "rate", "Expression": "e * 2"},
        ],
        StartTime=datetime.fromtimestamp(minute - 60, UTC),
        EndTime=datetime.fromtimestamp(minute + 120, UTC),
    )
    by_id = {r["Id"]: r for r in data["MetricDataResults"]}
    assert by_id["e"]["Values"] == [0.0]
    assert by_id["e"]["Timestamps"] == [datetime.fromtimestamp(minute, UTC)]
    assert by_id["rate"]["Values"] == [0.0]
    names = {m["MetricName"] for m in cw.list_metrics(Namespace="AWS/SageMaker")["Metrics"]}
    assert {"Invocations", "ModelLatency", "Invocation5XXErrors"} <= names


def test_a_new_alarm_is_insufficient_data_until_its_first_evaluation(aws: MockAWS) -> None:
    _, _, cw = clients()
    time.sleep(60 - time.time() % 60 + 15)  # 15 s past a minute
    created = time.time()
    cw.put_metric_alarm(
        AlarmName="a",
        Namespace="AWS/SageMaker",
        MetricName="Invocations",
        Dimensions=[{"Name": "EndpointName", "Value": "x"}, {"Name": "VariantName", "Value": "v"}],
        Statistic="Sum",
        Period=60,
        EvaluationPeriods=1,
        Threshold=1,
        ComparisonOperator="GreaterThanOrEqualToThreshold",
        TreatMissingData="notBreaching",
    )
    (alarm,) = cw.describe_alarms(AlarmNames=["a"])["MetricAlarms"]
    assert alarm["StateValue"] == "INSUFFICIENT_DATA"
    assert alarm["StateReason"] == "Unchecked: Initial alarm creation"
    time.sleep(44)  # 1 s before the next minute
    assert cw.describe_alarms(AlarmNames=["a"])["MetricAlarms"][0]["StateValue"] == (
        "INSUFFICIENT_DATA"
    )
    time.sleep(1)
    (alarm,) = cw.describe_alarms(AlarmNames=["a"])["MetricAlarms"]
    assert alarm["StateValue"] == "OK"  # notBreaching: missing data is good
    assert alarm["StateTransitionedTimestamp"] == datetime.fromtimestamp(created + 45, UTC)
    history = cw.describe_alarm_history(AlarmName="a", HistoryItemType="StateUpdate")
    (item,) = history["AlarmHistoryItems"]
    assert item["Timestamp"] >= datetime.fromtimestamp(created, UTC)  # never back-dated
    assert json.loads(item["HistoryData"])["newState"]["stateValue"] == "OK"
    assert [
        a["AlarmName"]
        for a in cw.describe_alarms_for_metric(Namespace="AWS/SageMaker", MetricName="Invocations")[
            "MetricAlarms"
        ]
    ] == ["a"]
    cw.set_alarm_state(AlarmName="a", StateValue="ALARM", StateReason="testing")
    assert cw.describe_alarms(StateValue="ALARM")["MetricAlarms"][0]["StateReason"] == "testing"


def test_custom_metrics_count_in_alarms(aws: MockAWS) -> None:
    _, _, cw = clients()
    cw.put_metric_alarm(
        AlarmName="custom",
        Namespace="MyApp",
        MetricName="Failures",
        Statistic="Sum",
        Period=60,
        EvaluationPeriods=1,
        Threshold=5,
        ComparisonOperator="GreaterThanOrEqualToThreshold",
    )
    time.sleep(60 - time.time() % 60 + 1)
    cw.put_metric_data(Namespace="MyApp", MetricData=[{"MetricName": "Failures", "Value": 7.0}])
    time.sleep(60)
    assert cw.describe_alarms(AlarmNames=["custom"])["MetricAlarms"][0]["StateValue"] == "ALARM"
    with pytest.raises(ClientError) as exc:
        cw.put_metric_data(Namespace="AWS/SageMaker", MetricData=[{"MetricName": "X", "Value": 1}])
    assert _code(exc) == "InvalidParameterValue"


def test_tags_on_sagemaker_and_cloudwatch_resources(aws: MockAWS) -> None:
    sm, _, cw = clients()
    arn = sm.create_model(
        ModelName="m",
        ExecutionRoleArn=ROLE,
        PrimaryContainer={"Image": "i"},
        Tags=[{"Key": "k", "Value": "v"}],
    )["ModelArn"]
    sm.add_tags(ResourceArn=arn, Tags=[{"Key": "team", "Value": "ml"}])
    assert {t["Key"] for t in sm.list_tags(ResourceArn=arn)["Tags"]} == {"k", "team"}
    sm.delete_tags(ResourceArn=arn, TagKeys=["k"])
    assert sm.list_tags(ResourceArn=arn)["Tags"] == [{"Key": "team", "Value": "ml"}]
    cw.put_metric_alarm(
        AlarmName="a",
        Namespace="N",
        MetricName="M",
        Statistic="Sum",
        Period=60,
        EvaluationPeriods=1,
        Threshold=1,
        ComparisonOperator="GreaterThanThreshold",
        Tags=[{"Key": "k", "Value": "v"}],
    )
    alarm_arn = cw.describe_alarms()["MetricAlarms"][0]["AlarmArn"]
    assert cw.list_tags_for_resource(ResourceARN=alarm_arn)["Tags"] == [{"Key": "k", "Value": "v"}]


def test_raw_requests_get_aws_shaped_errors() -> None:
    """What a client other than botocore may send: an unknown operation, a body that is not
    JSON, a request without a required member."""
    em = Emulator(load_world(None), VirtualClock(START))
    url = "http://localhost/"
    status, _, body = em.respond(
        "sagemaker", "POST", url, {"X-Amz-Target": "SageMaker.FlyToTheMoon"}, b"{}"
    )
    assert status == 400 and json.loads(body)["__type"] == "UnknownOperationException"
    status, _, body = em.respond(
        "sagemaker", "POST", url, {"X-Amz-Target": "SageMaker.ListModels"}, b"{not json"
    )
    assert status == 400 and json.loads(body)["__type"] == "SerializationException"
    status, _, body = em.respond(
        "sagemaker", "POST", url, {"X-Amz-Target": "SageMaker.DescribeModel"}, b"{}"
    )
    assert status == 400 and json.loads(body)["__type"] == "ValidationException"
    assert "modelName" in json.loads(body)["message"]


def test_a_session_created_outside_any_mock_reads_the_emulator_directly() -> None:
    """Emulator.call: the same handlers, for Python callers without a wire format."""
    em = Emulator(load_world(None), VirtualClock(START))
    em.call("CreateModel", {"ModelName": "m", "PrimaryContainer": {"Image": "i"}})
    assert em.call("ListModels", {})["Models"][0]["ModelName"] == "m"
    assert boto3  # the module imports boto3 for the other tests


def test_members_of_the_wrong_type_are_the_clients_error_not_a_crash() -> None:
    em = Emulator(load_world(None), VirtualClock(START))
    headers = {"X-Amz-Target": "SageMaker.CreateModel"}
    body = json.dumps({"ModelName": "m", "PrimaryContainer": "not-a-structure"}).encode()
    status, _, out = em.respond("sagemaker", "POST", "http://localhost/", headers, body)
    assert status == 400 and json.loads(out)["__type"] == "ValidationException"
    cw = {"X-Amz-Target": "GraniteServiceVersion20100801.PutMetricData"}
    body = json.dumps({"Namespace": "N", "MetricData": [{"MetricName": "M", "Value": "x"}]})
    status, headers, out = em.respond("cloudwatch", "POST", "http://localhost/", cw, body.encode())
    assert status == 400 and headers["x-amzn-query-error"].startswith("InvalidParameterValue")
