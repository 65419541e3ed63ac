"""Helpers of the emulator tests: a small world, and an endpoint made InService."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import boto3

ROLE = "arn:aws:iam::123456789012:role/test"
#: Provisioning 60 s and publishing 30 s after the minute, fixed: exact timelines.
FAST = {
    "provisioning_seconds": {"kind": "fixed", "value": 60},
    "metric_publish_delay_seconds": {"kind": "fixed", "value": 30},
}
WORLD: dict[str, Any] = {
    "models": [
        {"match": {"image": "bad"}, "behaviour": {"error_rate_5xx": 1.0}},
        {"match": {}, "behaviour": {"latency": {"median_ms": 3, "p99_ms": 10}}},
    ],
    "environment": FAST,
}
#: 2026-01-01T00:00:00Z
START = 1767225600.0


def canary(*alarms: str) -> dict[str, Any]:
    """A canary DeploymentConfig: 1 instance, a 300 s bake, a 60 s final bake, rolled back by
    ``alarms``."""
    config: dict[str, Any] = {
        "BlueGreenUpdatePolicy": {
            "TrafficRoutingConfiguration": {
                "Type": "CANARY",
                "CanarySize": {"Type": "INSTANCE_COUNT", "Value": 1},
                "WaitIntervalInSeconds": 300,
            },
            "TerminationWaitInSeconds": 60,
        }
    }
    if alarms:
        config["AutoRollbackConfiguration"] = {"Alarms": [{"AlarmName": a} for a in alarms]}
    return config


#: An ALL_AT_ONCE DeploymentConfig with no bake and no termination wait: the quickest update.
ALL_AT_ONCE: dict[str, Any] = {
    "BlueGreenUpdatePolicy": {
        "TrafficRoutingConfiguration": {"Type": "ALL_AT_ONCE", "WaitIntervalInSeconds": 0},
        "TerminationWaitInSeconds": 0,
    }
}


def put_errors_alarm(cw: Any, name: str, endpoint: str, variant: str = "AllTraffic") -> None:
    """An alarm on a variant's 5XX errors that any 5XX in a minute trips (missing: OK)."""
    cw.put_metric_alarm(
        AlarmName=name,
        Namespace="AWS/SageMaker",
        MetricName="Invocation5XXErrors",
        Dimensions=variant_dims(endpoint, variant),
        Statistic="Sum",
        Period=60,
        EvaluationPeriods=1,
        Threshold=1,
        ComparisonOperator="GreaterThanOrEqualToThreshold",
        TreatMissingData="notBreaching",
    )


def make_model(sm: Any, name: str, image: str = "good:1") -> None:
    sm.create_model(ModelName=name, ExecutionRoleArn=ROLE, PrimaryContainer={"Image": image})


def make_config(sm: Any, name: str, model: str, count: int = 2) -> None:
    sm.create_endpoint_config(
        EndpointConfigName=name,
        ProductionVariants=[
            {
                "VariantName": "AllTraffic",
                "ModelName": model,
                "InstanceType": "ml.m5.xlarge",
                "InitialInstanceCount": count,
            }
        ],
    )


def in_service(sm: Any, endpoint: str, model_image: str = "good:1") -> None:
    """A model, a config and an endpoint, waited InService with botocore's waiter."""
    make_model(sm, f"{endpoint}-m", model_image)
    make_config(sm, f"{endpoint}-c", f"{endpoint}-m")
    sm.create_endpoint(EndpointName=endpoint, EndpointConfigName=f"{endpoint}-c")
    sm.get_waiter("endpoint_in_service").wait(EndpointName=endpoint)


def clients() -> tuple[Any, Any, Any]:
    return boto3.client("sagemaker"), boto3.client("sagemaker-runtime"), boto3.client("cloudwatch")


def variant_dims(endpoint: str, variant: str = "AllTraffic") -> list[dict[str, str]]:
    """The EndpointName + VariantName dimensions SageMaker publishes a variant's metrics under."""
    return [{"Name": "EndpointName", "Value": endpoint}, {"Name": "VariantName", "Value": variant}]


def minute_points(
    cw: Any,
    metric: str,
    *stats: str,
    dims: list[dict[str, str]],
    namespace: str = "AWS/SageMaker",
    hours: float = 2.0,
) -> list[dict[str, Any]]:
    """The last ``hours`` of one series' one-minute datapoints (GetMetricStatistics), oldest
    first."""
    now = datetime.now(UTC)
    points: list[dict[str, Any]] = cw.get_metric_statistics(
        Namespace=namespace,
        MetricName=metric,
        Dimensions=dims,
        StartTime=now - timedelta(hours=hours),
        EndTime=now,
        Period=60,
        Statistics=list(stats),
    )["Datapoints"]
    return sorted(points, key=lambda p: p["Timestamp"])
