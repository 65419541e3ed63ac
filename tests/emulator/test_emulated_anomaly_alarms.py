"""The emulator's anomaly-detection alarms: PutMetricAlarm with ThresholdMetricId is accepted
when guardsim can give it a band (the endpoint's serving model at the world's background
traffic; guardsim.model.anomaly), DescribeAlarms echoes its fields, and it is refused with a
ValidationError when the band cannot be computed or is malformed."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError
from emulator_helpers import START, WORLD, clients, in_service

from guardsim.testing.mock import mock_aws


def _band_kwargs(endpoint: str, k: float = 3) -> dict[str, Any]:
    return {
        "AlarmName": "latency-band",
        "Metrics": [
            {
                "Id": "m1",
                "ReturnData": True,
                "MetricStat": {
                    "Metric": {
                        "Namespace": "AWS/SageMaker",
                        "MetricName": "ModelLatency",
                        "Dimensions": [
                            {"Name": "EndpointName", "Value": endpoint},
                            {"Name": "VariantName", "Value": "AllTraffic"},
                        ],
                    },
                    "Period": 60,
                    "Stat": "Average",
                },
            },
            {"Id": "ad1", "Expression": f"ANOMALY_DETECTION_BAND(m1, {k})", "ReturnData": True},
        ],
        "ThresholdMetricId": "ad1",
        "ComparisonOperator": "LessThanLowerOrGreaterThanUpperThreshold",
        "EvaluationPeriods": 2,
        "DatapointsToAlarm": 2,
        "TreatMissingData": "notBreaching",
    }


def test_describe_alarms_echoes_an_anomaly_alarm() -> None:
    world = {**WORLD, "traffic": {"ep": {"rate_per_second": 5}}}
    with mock_aws(world=world, start=START):
        sm, _, cw = clients()
        in_service(sm, "ep")
        kwargs = _band_kwargs("ep")
        cw.put_metric_alarm(**kwargs)
        (alarm,) = cw.describe_alarms(AlarmNames=["latency-band"])["MetricAlarms"]
        assert alarm["ThresholdMetricId"] == "ad1"
        assert alarm["ComparisonOperator"] == "LessThanLowerOrGreaterThanUpperThreshold"
        assert [q["Id"] for q in alarm["Metrics"]] == ["m1", "ad1"]
        assert alarm["Metrics"][1]["Expression"] == "ANOMALY_DETECTION_BAND(m1, 3)"
        assert "Threshold" not in alarm


def test_an_anomaly_alarm_without_background_traffic_is_refused() -> None:
    with mock_aws(world=WORLD, start=START):
        sm, _, cw = clients()
        in_service(sm, "ep")
        with pytest.raises(ClientError, match="background traffic") as info:
            cw.put_metric_alarm(**_band_kwargs("ep"))
        assert info.value.response["Error"]["Code"] == "ValidationError"


def test_a_malformed_band_is_a_validation_error() -> None:
    world = {**WORLD, "traffic": {"ep": {"rate_per_second": 5}}}
    with mock_aws(world=world, start=START):
        sm, _, cw = clients()
        in_service(sm, "ep")
        with pytest.raises(ClientError, match="must be > 0") as info:
            cw.put_metric_alarm(**_band_kwargs("ep", k=0))
        assert info.value.response["Error"]["Code"] == "ValidationError"
