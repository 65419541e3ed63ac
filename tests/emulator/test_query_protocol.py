"""CloudWatch over its query protocol (form-encoded POST, XML responses): what older botocores,
the AWS CLI v1 and other SDKs speak. A botocore client forced to ``query`` (its CloudWatch model
offering only that protocol) gets the same answers as one speaking JSON, in process and through
``guardsim serve``; a raw form POST gets XML that botocore's own query parser reads."""

from __future__ import annotations

import json
import urllib.request
from datetime import UTC, datetime
from typing import Any

import botocore.session
import pytest
from botocore.exceptions import ClientError
from botocore.parsers import QueryParser
from serve_helpers import serving

from guardsim.emulator import EmulatedAWS
from guardsim.emulator.clients import EPOCH
from guardsim.emulator.core import service_for
from guardsim.emulator.wire import protocol_of, read_query

ALARM: dict[str, Any] = {
    "AlarmName": "q-5xx",
    "Namespace": "Custom/Q",
    "MetricName": "Errors",
    "Statistic": "Sum",
    "Dimensions": [{"Name": "Service", "Value": "checkout"}],
    "Period": 60,
    "EvaluationPeriods": 2,
    "DatapointsToAlarm": 1,
    "Threshold": 5.0,
    "ComparisonOperator": "GreaterThanOrEqualToThreshold",
    "TreatMissingData": "notBreaching",
    "AlarmActions": [],
    "Tags": [{"Key": "team", "Value": "q"}],
}


@pytest.fixture(scope="module")
def query_session(tmp_path_factory: pytest.TempPathFactory) -> botocore.session.Session:
    """A botocore session whose CloudWatch model offers only the query protocol."""
    loader = botocore.session.get_session().get_component("data_loader")
    model = loader.load_service_model("cloudwatch", "service-2")
    model["metadata"]["protocols"] = ["query"]
    model["metadata"]["protocol"] = "query"
    root = tmp_path_factory.mktemp("query-model")
    folder = root / "cloudwatch" / model["metadata"]["apiVersion"]
    folder.mkdir(parents=True)
    (folder / "service-2.json").write_text(json.dumps(model), encoding="utf-8")
    session = botocore.session.Session()
    session.set_config_variable("data_path", str(root))
    session.set_config_variable("profile", None)
    return session


def _story(cw: Any, clock_sleep: Any) -> dict[str, Any]:
    """Custom metrics, an alarm that trips on them, and every read CloudWatch answers."""
    t0 = datetime.fromtimestamp(EPOCH, UTC)
    out: dict[str, Any] = {}
    cw.put_metric_alarm(**ALARM)
    dims = [{"Name": "Service", "Value": "checkout"}]
    cw.put_metric_data(
        Namespace="Custom/Q",
        MetricData=[
            {"MetricName": "Errors", "Dimensions": dims, "Values": [1.0, 2.0], "Counts": [3, 1]},
            {
                "MetricName": "Errors",
                "Dimensions": dims,
                "StatisticValues": {"SampleCount": 2, "Sum": 4.0, "Minimum": 1.0, "Maximum": 3.0},
            },
            {"MetricName": "Latency", "Dimensions": dims, "Value": 12.5, "Unit": "Milliseconds"},
        ],
    )
    clock_sleep(600.0)
    end = datetime.fromtimestamp(EPOCH + 600, UTC)
    out["alarms"] = cw.describe_alarms(AlarmNames=["q-5xx"])["MetricAlarms"]
    out["for_metric"] = cw.describe_alarms_for_metric(
        Namespace="Custom/Q", MetricName="Errors", Dimensions=dims
    )["MetricAlarms"]
    out["history"] = cw.describe_alarm_history(AlarmName="q-5xx", ScanBy="TimestampAscending")[
        "AlarmHistoryItems"
    ]
    errors = {"Namespace": "Custom/Q", "MetricName": "Errors", "Dimensions": dims}
    window = {"StartTime": t0, "EndTime": end}
    out["stats"] = cw.get_metric_statistics(
        **errors, **window, Period=60, Statistics=["Sum", "SampleCount", "Maximum"]
    )["Datapoints"]
    out["p99"] = cw.get_metric_statistics(
        **errors, **window, Period=600, ExtendedStatistics=["p99"]
    )["Datapoints"]
    out["data"] = cw.get_metric_data(
        MetricDataQueries=[
            {
                "Id": "e",
                "MetricStat": {
                    "Metric": {"Namespace": "Custom/Q", "MetricName": "Errors", "Dimensions": dims},
                    "Period": 60,
                    "Stat": "Sum",
                },
            },
            {"Id": "twice", "Expression": "e * 2"},
        ],
        StartTime=t0,
        EndTime=end,
    )["MetricDataResults"]
    out["metrics"] = cw.list_metrics(Namespace="Custom/Q")["Metrics"]
    out["tags"] = cw.list_tags_for_resource(ResourceARN=out["alarms"][0]["AlarmArn"])["Tags"]
    cw.set_alarm_state(AlarmName="q-5xx", StateValue="OK", StateReason="by hand")
    out["after_set"] = cw.describe_alarms(StateValue="OK")["MetricAlarms"][0]["StateReason"]
    with pytest.raises(ClientError) as info:
        cw.delete_alarms(AlarmNames=["missing"])
    out["error"] = info.value.response["Error"]["Code"]
    with pytest.raises(ClientError) as info:
        cw.put_metric_data(Namespace="AWS/SageMaker", MetricData=[{"MetricName": "x", "Value": 1}])
    out["error_namespace"] = info.value.response["Error"]["Code"]
    cw.delete_alarms(AlarmNames=["q-5xx"])
    out["empty"] = cw.describe_alarms()["MetricAlarms"]
    return out


def _same(value: Any) -> Any:
    """Datetimes to the millisecond (the query protocol's ISO 8601 precision)."""
    if isinstance(value, datetime):
        return round(value.timestamp(), 3)
    if isinstance(value, dict):
        return {k: _same(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_same(v) for v in value]
    return value


def test_a_query_client_gets_the_answers_a_json_client_gets(
    query_session: botocore.session.Session,
) -> None:
    by_query = EmulatedAWS(botocore_session=query_session)
    by_json = EmulatedAWS()
    assert protocol_of(by_query("cloudwatch").meta.service_model) == "query"
    assert protocol_of(by_json("cloudwatch").meta.service_model) == "json"
    answers = _story(by_query("cloudwatch"), by_query.clock.sleep)
    assert _same(answers) == _same(_story(by_json("cloudwatch"), by_json.clock.sleep))
    calls = by_query.calls
    assert {c.operation for c in calls if c.result == "ok"} >= {
        "PutMetricAlarm",
        "PutMetricData",
        "DescribeAlarms",
        "DescribeAlarmsForMetric",
        "DescribeAlarmHistory",
        "GetMetricStatistics",
        "GetMetricData",
        "ListMetrics",
        "ListTagsForResource",
        "SetAlarmState",
        "DeleteAlarms",
    }
    # and what the answers say: the alarm tripped on the custom metric, its history, the stats
    # the one breaching minute tripped the alarm; ten minutes on it has left the window
    assert answers["alarms"][0]["StateValue"] == "OK"
    assert answers["alarms"][0]["Dimensions"] == ALARM["Dimensions"]
    assert answers["alarms"][0]["Threshold"] == 5.0
    assert [h["HistoryItemType"] for h in answers["history"]][:1] == ["ConfigurationUpdate"]
    assert any("to ALARM" in h["HistorySummary"] for h in answers["history"])
    (point,) = answers["stats"]
    assert (point["Sum"], point["SampleCount"], point["Maximum"]) == (9.0, 6.0, 3.0)
    assert set(answers["p99"][0]["ExtendedStatistics"]) == {"p99"}
    assert answers["data"][1]["Values"] == [18.0]
    assert {m["MetricName"] for m in answers["metrics"]} == {"Errors", "Latency"}
    assert answers["tags"] == ALARM["Tags"]
    assert answers["after_set"] == "by hand"
    assert (answers["error"], answers["error_namespace"]) == (
        "ResourceNotFound",
        "InvalidParameterValue",
    )
    assert answers["empty"] == []


def test_guardsim_serve_answers_a_query_client(query_session: botocore.session.Session) -> None:
    import boto3

    with serving() as server:
        session = boto3.session.Session(
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
            region_name="us-east-1",
            botocore_session=query_session,
        )
        cw = session.client("cloudwatch", endpoint_url=server.url)
        assert protocol_of(cw.meta.service_model) == "query"
        cw.put_metric_alarm(**ALARM)
        (alarm,) = cw.describe_alarms(AlarmNamePrefix="q-")["MetricAlarms"]
        # at 600x real time its first evaluation (no data: OK) may already have run
        assert alarm["AlarmName"] == "q-5xx"
        assert alarm["StateValue"] in ("INSUFFICIENT_DATA", "OK")
        with pytest.raises(ClientError) as info:
            cw.delete_alarms(AlarmNames=["missing"])
        assert info.value.response["Error"]["Code"] == "ResourceNotFound"
        assert info.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404


def _post(url: str, form: bytes) -> tuple[int, bytes]:
    request = urllib.request.Request(
        url, data=form, headers={"Content-Type": "application/x-www-form-urlencoded"}
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def test_a_raw_form_post_gets_xml_that_botocores_parser_reads() -> None:
    model = botocore.session.get_session().get_service_model("cloudwatch")
    form = (
        b"Action=PutMetricAlarm&Version=2010-08-01&AlarmName=raw&Namespace=Custom%2FQ"
        b"&MetricName=Errors&Statistic=Sum&Period=60&EvaluationPeriods=1&Threshold=1"
        b"&ComparisonOperator=GreaterThanOrEqualToThreshold"
        b"&Dimensions.member.1.Name=Service&Dimensions.member.1.Value=checkout"
    )
    assert service_for({}, "/", form) == "cloudwatch"
    assert read_query(form, model).params["Dimensions"] == [
        {"Name": "Service", "Value": "checkout"}
    ]
    with serving() as server:
        status, _ = _post(server.url, form)
        assert status == 200
        status, body = _post(server.url, b"Action=DescribeAlarms&Version=2010-08-01")
        assert status == 200 and body.startswith(b"<?xml")
        op = model.operation_model("DescribeAlarms")
        parsed = QueryParser().parse(
            {"status_code": 200, "headers": {}, "body": body}, op.output_shape
        )
        (alarm,) = parsed["MetricAlarms"]
        assert alarm["AlarmName"] == "raw" and alarm["Threshold"] == 1.0
        assert alarm["Dimensions"] == [{"Name": "Service", "Value": "checkout"}]
        status, body = _post(server.url, b"Action=NoSuchThing&Version=2010-08-01")
        error = QueryParser().parse({"status_code": status, "headers": {}, "body": body}, None)
        assert status == 400 and error["Error"]["Code"] == "InvalidAction"
        status, body = _post(
            server.url, b"Action=DescribeAlarmHistory&Version=2010-08-01&MaxRecords=x"
        )
        error = QueryParser().parse({"status_code": status, "headers": {}, "body": body}, None)
        assert status == 400 and error["Error"]["Code"] in (
            "InvalidParameterValue",
            "SerializationException",
        )


def test_errors_found_before_the_emulator_are_xml_for_a_form_body() -> None:
    """The server's own refusals (no service recognised, a body over the limit) reach a query
    client as the query protocol's ErrorResponse, with the code."""
    from guardsim.emulator.server import Limits

    with serving(limits=Limits(max_body_bytes=1024)) as server:
        status, body = _post(server.url, b"Action=DescribeAlarms&Version=1999-01-01")
        error = QueryParser().parse({"status_code": status, "headers": {}, "body": body}, None)
        assert status == 400 and error["Error"]["Code"] == "UnknownOperationException"
        status, body = _post(server.url, b"Action=DescribeAlarms&x=" + b"y" * 2048)
        error = QueryParser().parse({"status_code": status, "headers": {}, "body": body}, None)
        assert status == 413 and error["Error"]["Code"] == "RequestEntityTooLarge"
