"""Multi-variant endpoints in the emulator, through real botocore clients in mock_aws: each
production variant its own fleet and model, requests split by weight (or sent to TargetVariant),
metrics per variant, and blue/green updates of every variant by the simulator's controller."""

from __future__ import annotations

import math
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from emulator_helpers import make_model

from guardsim.testing.mock import MockAWS


def _variant(name: str, model: str, weight: float = 1.0, count: int = 1) -> dict[str, Any]:
    return {
        "VariantName": name,
        "ModelName": model,
        "InstanceType": "ml.m5.xlarge",
        "InitialInstanceCount": count,
        "InitialVariantWeight": weight,
    }


def _two_variant_endpoint(
    sm: Any,
    endpoint: str,
    weights: tuple[float, float] = (3.0, 1.0),
    counts: tuple[int, int] = (2, 1),
) -> None:
    make_model(sm, f"{endpoint}-a")
    make_model(sm, f"{endpoint}-b")
    sm.create_endpoint_config(
        EndpointConfigName=f"{endpoint}-c",
        ProductionVariants=[
            _variant("A", f"{endpoint}-a", weights[0], counts[0]),
            _variant("B", f"{endpoint}-b", weights[1], counts[1]),
        ],
    )
    sm.create_endpoint(EndpointName=endpoint, EndpointConfigName=f"{endpoint}-c")
    sm.get_waiter("endpoint_in_service").wait(EndpointName=endpoint)


def _sum(cw: Any, metric: str, dims: dict[str, str]) -> float:
    now = datetime.now(UTC)
    points = cw.get_metric_statistics(
        Namespace="AWS/SageMaker",
        MetricName=metric,
        Dimensions=[{"Name": k, "Value": v} for k, v in dims.items()],
        StartTime=now - timedelta(hours=2),
        EndTime=now,
        Period=60,
        Statistics=["Sum"],
    )["Datapoints"]
    return float(sum(p["Sum"] for p in points))


def test_a_two_variant_endpoint_describes_every_variant(aws: MockAWS) -> None:
    sm = boto3.client("sagemaker")
    _two_variant_endpoint(sm, "ab")
    config = sm.describe_endpoint_config(EndpointConfigName="ab-c")
    assert [v["VariantName"] for v in config["ProductionVariants"]] == ["A", "B"]
    rows = sm.describe_endpoint(EndpointName="ab")["ProductionVariants"]
    assert [
        (r["VariantName"], r["CurrentWeight"], r["DesiredWeight"], r["CurrentInstanceCount"])
        for r in rows
    ] == [("A", 3.0, 3.0, 2), ("B", 1.0, 1.0, 1)]
    assert all(r["DeployedImages"][0]["SpecifiedImage"] == "good:1" for r in rows)
    # a duplicate variant name is refused
    with pytest.raises(ClientError) as info:
        sm.create_endpoint_config(
            EndpointConfigName="aa", ProductionVariants=[_variant("A", "ab-a")] * 2
        )
    assert "A appear more than once" in info.value.response["Error"]["Message"]


def test_invocations_split_by_weight_and_count_per_variant(aws: MockAWS) -> None:
    sm, rt, cw = (boto3.client(s) for s in ("sagemaker", "sagemaker-runtime", "cloudwatch"))
    _two_variant_endpoint(sm, "ab")
    n = 800
    seen = {"A": 0, "B": 0}
    for _ in range(n):
        out = rt.invoke_endpoint(EndpointName="ab", Body=b"1", ContentType="text/csv")
        seen[out["InvokedProductionVariant"]] += 1
    # B's share is 1 / (3 + 1): binomial(n, 1/4), sd = sqrt(n p (1 - p)) ~ 12.2; 4 sd either way
    p = 0.25
    sd = math.sqrt(n * p * (1 - p))
    assert abs(seen["B"] - n * p) < 4 * sd
    assert seen["A"] + seen["B"] == n
    # TargetVariant sends every request to that variant
    for _ in range(20):
        out = rt.invoke_endpoint(
            EndpointName="ab", Body=b"1", ContentType="text/csv", TargetVariant="B"
        )
        assert out["InvokedProductionVariant"] == "B"
    seen["B"] += 20
    with pytest.raises(ClientError) as info:
        rt.invoke_endpoint(EndpointName="ab", Body=b"1", ContentType="text/csv", TargetVariant="C")
    assert info.value.response["Error"]["Code"] == "ValidationError"
    assert "TargetVariant C is not a production variant" in info.value.response["Error"]["Message"]
    # each variant's requests in its own series, once published
    time.sleep(180)
    for name, count in seen.items():
        dims = {"EndpointName": "ab", "VariantName": name}
        assert _sum(cw, "Invocations", dims) == count
        assert _sum(cw, "Invocation5XXErrors", dims) == 0.0
    # and each variant's instance metrics (its own fleet's load) under its own VariantName
    listed = cw.list_metrics(Namespace="/aws/sagemaker/Endpoints", MetricName="CPUUtilization")
    variants = {
        d["Value"] for m in listed["Metrics"] for d in m["Dimensions"] if d["Name"] == "VariantName"
    }
    assert variants == {"A", "B"}
    # the same through GetMetricData
    now = datetime.now(UTC)
    result = cw.get_metric_data(
        MetricDataQueries=[
            {
                "Id": f"v{name.lower()}",
                "MetricStat": {
                    "Metric": {
                        "Namespace": "AWS/SageMaker",
                        "MetricName": "Invocations",
                        "Dimensions": [
                            {"Name": "EndpointName", "Value": "ab"},
                            {"Name": "VariantName", "Value": name},
                        ],
                    },
                    "Period": 60,
                    "Stat": "Sum",
                },
            }
            for name in ("A", "B")
        ],
        StartTime=now - timedelta(hours=1),
        EndTime=now,
    )["MetricDataResults"]
    assert [sum(r["Values"]) for r in result] == [seen["A"], seen["B"]]
