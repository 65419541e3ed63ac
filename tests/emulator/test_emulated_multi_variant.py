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
from emulator_helpers import ALL_AT_ONCE, FAST, START, make_model, put_errors_alarm
from serve_helpers import WORLD as SERVE_WORLD
from serve_helpers import client, create_model, serving

from guardsim.testing import mock_aws
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


def test_the_split_is_the_seeded_streams() -> None:
    """The same world and seed: the same variant for every request, in order."""

    def sequence() -> list[str]:
        with mock_aws(world={"environment": FAST, "seed": 5}, start=START):
            sm, rt = boto3.client("sagemaker"), boto3.client("sagemaker-runtime")
            _two_variant_endpoint(sm, "ab", weights=(1.0, 1.0))
            return [
                rt.invoke_endpoint(EndpointName="ab", Body=b"1", ContentType="text/csv")[
                    "InvokedProductionVariant"
                ]
                for _ in range(60)
            ]

    first = sequence()
    assert first == sequence()
    assert set(first) == {"A", "B"}  # both, at even weights (each missing: p = 2 * 2**-60)


#: B's new model fails every request; background traffic of 4 requests/s on every endpoint.
UPDATE_WORLD: dict[str, Any] = {
    "models": [
        {"match": {"image": "bad"}, "behaviour": {"error_rate_5xx": 1.0}},
        {"match": {}, "behaviour": {"latency": {"median_ms": 3, "p99_ms": 10}}},
    ],
    "environment": FAST,
    "traffic": {"*": {"rate_per_second": 4.0}},
    "seed": 11,
}


def _b_alarm(cw: Any) -> None:
    """An alarm on variant B's 5XX errors (any 5XX in a minute trips it)."""
    put_errors_alarm(cw, "b-errors", "ab", "B")


def _new_config(sm: Any, name: str, image_b: str, **changes: Any) -> None:
    """A new config of both variants (2 instances each, the same weights): A a good new model,
    B one of ``image_b``."""
    make_model(sm, f"{name}-a", "good:2")
    make_model(sm, f"{name}-b", image_b)
    weight_b = changes.get("weight_b", 1.0)
    sm.create_endpoint_config(
        EndpointConfigName=name,
        ProductionVariants=[
            _variant("A", f"{name}-a", 1.0, 2),
            _variant("B", f"{name}-b", weight_b, 2),
        ],
    )


#: A canary of half of each variant's fleet (1 of its 2 instances), a 300 s bake, a 60 s final
#: bake, rolled back by B's alarm.
CANARY = {
    "BlueGreenUpdatePolicy": {
        "TrafficRoutingConfiguration": {
            "Type": "CANARY",
            "CanarySize": {"Type": "CAPACITY_PERCENT", "Value": 50},
            "WaitIntervalInSeconds": 300,
        },
        "TerminationWaitInSeconds": 60,
    },
    "AutoRollbackConfiguration": {"Alarms": [{"AlarmName": "b-errors"}]},
}


def _variants_of(sm: Any, endpoint: str) -> list[tuple[str, str]]:
    """(variant, its deployed image) of the endpoint's current config."""
    out = sm.describe_endpoint(EndpointName=endpoint)
    return [
        (v["VariantName"], v["DeployedImages"][0]["SpecifiedImage"])
        for v in out["ProductionVariants"]
    ]


def _update_from_two_variants(
    new: str, image_b: str, config: dict[str, Any] = CANARY
) -> tuple[Any, Any]:
    """A two-variant endpoint "ab" (2 instances each, equal weights), B's alarm, and the update
    (``config``, the canary by default) to the config ``new`` (B's new model of ``image_b``)
    started; the SageMaker and CloudWatch clients."""
    sm, cw = boto3.client("sagemaker"), boto3.client("cloudwatch")
    _two_variant_endpoint(sm, "ab", weights=(1.0, 1.0), counts=(2, 2))
    _b_alarm(cw)
    _new_config(sm, new, image_b)
    sm.update_endpoint(EndpointName="ab", EndpointConfigName=new, DeploymentConfig=config)
    return sm, cw


def test_a_canary_update_rolls_every_variant_back_when_bs_alarm_trips() -> None:
    with mock_aws(world=UPDATE_WORLD, start=START) as aws:
        sm, cw = _update_from_two_variants("ab-bad", "bad:2")
        time.sleep(90)  # green launched (60 s) and the canary's traffic on
        out = sm.describe_endpoint(EndpointName="ab")
        assert out["EndpointStatus"] == "Updating"
        pending = out["PendingDeploymentSummary"]["ProductionVariants"]
        # each variant's canary is 1 of its 2 new instances (the ones serving)
        assert [(v["VariantName"], v["CurrentInstanceCount"]) for v in pending] == [
            ("A", 1),
            ("B", 1),
        ]
        assert [v["DesiredInstanceCount"] for v in pending] == [2, 2]
        assert all(v["VariantStatus"][0]["Status"] == "Baking" for v in pending)
        # and each variant's old fleet serves with its other instance
        assert [v["CurrentInstanceCount"] for v in out["ProductionVariants"]] == [1, 1]
        sm.get_waiter("endpoint_in_service").wait(EndpointName="ab")
        out = sm.describe_endpoint(EndpointName="ab")
        assert out["EndpointConfigName"] == "ab-c"
        assert "b-errors" in out["FailureReason"]
        assert _variants_of(sm, "ab") == [("A", "good:1"), ("B", "good:1")]
        texts = [e.text for e in aws.events]
        assert any(t.startswith("RollingBack: alarm 'b-errors' ALARM") for t in texts)
        assert any("over 2 variants" in t for t in texts)
        # the green fleets' requests were published with the new config's name, per variant:
        # B's failed, A's did not
        time.sleep(120)
        green_b = {"EndpointName": "ab", "VariantName": "B", "EndpointConfigName": "ab-bad"}
        green_a = {**green_b, "VariantName": "A"}
        assert _sum(cw, "Invocation5XXErrors", green_b) == _sum(cw, "Invocations", green_b) > 0
        assert _sum(cw, "Invocations", green_a) > 0
        assert _sum(cw, "Invocation5XXErrors", green_a) == 0.0
        # and the rolled-back endpoint serves the old models only: B's requests go on, its
        # errors do not
        blue_b = {"EndpointName": "ab", "VariantName": "B"}
        before = (_sum(cw, "Invocations", blue_b), _sum(cw, "Invocation5XXErrors", blue_b))
        time.sleep(180)
        assert _sum(cw, "Invocations", blue_b) > before[0] + 200  # ~2/s for 3 minutes
        assert _sum(cw, "Invocation5XXErrors", blue_b) == before[1]


def test_a_canary_update_of_good_models_moves_every_variant_to_the_new_config() -> None:
    with mock_aws(world=UPDATE_WORLD, start=START) as aws:
        sm, cw = _update_from_two_variants("ab-good", "good:3")
        sm.get_waiter("endpoint_in_service").wait(EndpointName="ab")
        (alarm,) = cw.describe_alarms(AlarmNames=["b-errors"])["MetricAlarms"]
        assert alarm["StateValue"] == "OK"  # B's new model is good: its alarm never tripped
        out = sm.describe_endpoint(EndpointName="ab")
        assert out["EndpointConfigName"] == "ab-good"
        assert "FailureReason" not in out
        assert _variants_of(sm, "ab") == [("A", "good:2"), ("B", "good:3")]
        assert [v["CurrentInstanceCount"] for v in out["ProductionVariants"]] == [2, 2]
        texts = [e.text for e in aws.events]
        assert texts[-1].startswith("InService: Terminated 4 blue instance(s)")
        (record,) = aws.emulator.update_records()
        assert record.outcome == "SUCCEEDED"
        # every variant's fleets in the record (2 old and 2 new instances each), its
        # datapoints labelled by variant as the engines' records are
        assert [i["fleet"] for i in record.instances].count("green") == 4
        assert len(record.instances) == 8
        labels = set(record.datapoints["dimensions"])
        assert {"A:green", "B:green", "A:blended", "B:blue"} <= labels
        assert record.summary.peak_green_traffic_fraction == 1.0


def test_a_linear_update_steps_every_variant_at_once() -> None:
    """Linear steps of 50 %: each variant's new fleet takes 1 of its 2 instances, then both, at
    the same instants (environment.multi_variant_steps per-variant), so half of the endpoint's
    traffic is on green after the first step."""
    linear = {
        "BlueGreenUpdatePolicy": {
            "TrafficRoutingConfiguration": {
                "Type": "LINEAR",
                "LinearStepSize": {"Type": "CAPACITY_PERCENT", "Value": 50},
                "WaitIntervalInSeconds": 120,
            },
            "TerminationWaitInSeconds": 0,
        },
        "AutoRollbackConfiguration": {"Alarms": [{"AlarmName": "b-errors"}]},
    }
    with mock_aws(world=UPDATE_WORLD, start=START) as aws:
        sm, _ = _update_from_two_variants("ab-lin", "good:3", linear)
        sm.get_waiter("endpoint_in_service").wait(EndpointName="ab")
        assert sm.describe_endpoint(EndpointName="ab")["EndpointConfigName"] == "ab-lin"
        (record,) = aws.emulator.update_records()
        assert record.outcome == "SUCCEEDED"
        shifts = [(r["green_fraction"], r["active_green"]) for r in record.traffic]
        assert (0.5, 2) in shifts  # one new instance per variant
        assert shifts[-1] == (1.0, 4)
        steps = [t for t in record.transitions if "linear step capacity of 2" in t["reason"]]
        assert len(steps) == 1


@pytest.mark.parametrize(
    ("config", "weight_b", "expected"),
    [
        (
            {
                "RollingUpdatePolicy": {
                    "MaximumBatchSize": {"Type": "INSTANCE_COUNT", "Value": 1},
                    "WaitIntervalInSeconds": 60,
                }
            },
            1.0,
            "DeploymentConfig.RollingUpdatePolicy: rolling deployments exclude multi-variant "
            "endpoints (2 variants: A, B)",
        ),
        ({}, 2.0, "InitialVariantWeight: changes variant 'B''s weight (1 -> 2)"),
    ],
)
def test_a_rolling_update_or_a_changed_weight_is_refused(
    aws: MockAWS, config: dict[str, Any], weight_b: float, expected: str
) -> None:
    sm = boto3.client("sagemaker")
    _two_variant_endpoint(sm, "ab", weights=(1.0, 1.0), counts=(2, 2))
    _new_config(sm, "ab-2", "good:2", weight_b=weight_b)
    with pytest.raises(ClientError) as info:
        sm.update_endpoint(EndpointName="ab", EndpointConfigName="ab-2", DeploymentConfig=config)
    error = info.value.response["Error"]
    assert error["Code"] == "ValidationException"
    assert expected in error["Message"]
    assert sm.describe_endpoint(EndpointName="ab")["EndpointStatus"] == "InService"


def test_guardsim_serve_answers_a_two_variant_endpoint_over_http() -> None:
    """The same over real HTTP: the variants in DescribeEndpoint's JSON, TargetVariant and
    InvokedProductionVariant as the runtime's REST headers, an update of both variants."""
    with serving(SERVE_WORLD, speed=600.0) as server:
        sm = client("sagemaker", server.url)
        runtime = client("sagemaker-runtime", server.url)
        for name in ("a1", "b1", "a2", "b2"):
            create_model(sm, name)
        for config, models in (("c1", ("a1", "b1")), ("c2", ("a2", "b2"))):
            sm.create_endpoint_config(
                EndpointConfigName=config,
                ProductionVariants=[_variant("A", models[0]), _variant("B", models[1])],
            )
        sm.create_endpoint(EndpointName="ep", EndpointConfigName="c1")
        sm.get_waiter("endpoint_in_service").wait(
            EndpointName="ep", WaiterConfig={"Delay": 0.2, "MaxAttempts": 200}
        )
        rows = sm.describe_endpoint(EndpointName="ep")["ProductionVariants"]
        assert [(r["VariantName"], r["CurrentInstanceCount"]) for r in rows] == [("A", 1), ("B", 1)]
        reply = runtime.invoke_endpoint(
            EndpointName="ep", Body=b"1", ContentType="text/csv", TargetVariant="B"
        )
        assert reply["InvokedProductionVariant"] == "B"
        sm.update_endpoint(
            EndpointName="ep",
            EndpointConfigName="c2",
            DeploymentConfig=ALL_AT_ONCE,
        )
        pending = sm.describe_endpoint(EndpointName="ep")["PendingDeploymentSummary"]
        assert [v["VariantName"] for v in pending["ProductionVariants"]] == ["A", "B"]
        sm.get_waiter("endpoint_in_service").wait(
            EndpointName="ep", WaiterConfig={"Delay": 0.2, "MaxAttempts": 200}
        )
        described = sm.describe_endpoint(EndpointName="ep")
        assert described["EndpointConfigName"] == "c2"
        assert len(described["ProductionVariants"]) == 2


def test_an_anomaly_band_on_a_variant_is_its_own_models() -> None:
    """B's model is ten times slower than A's: a band alarm on B's ModelLatency, trained on B's
    model, stays OK on B's own traffic (a band from A's model would put every minute of B's out
    of it)."""
    world = {
        "models": [
            {"match": {"image": "slow"}, "behaviour": {"latency": {"median_ms": 30, "p99_ms": 60}}},
            {"match": {}, "behaviour": {"latency": {"median_ms": 3, "p99_ms": 6}}},
        ],
        "environment": FAST,
        "traffic": {"ab": {"rate_per_second": 5.0}},
    }
    with mock_aws(world=world, start=START):
        sm, cw = boto3.client("sagemaker"), boto3.client("cloudwatch")
        make_model(sm, "fast", "good:1")
        make_model(sm, "slow", "slow:1")
        sm.create_endpoint_config(
            EndpointConfigName="c",
            ProductionVariants=[_variant("A", "fast"), _variant("B", "slow")],
        )
        sm.create_endpoint(EndpointName="ab", EndpointConfigName="c")
        sm.get_waiter("endpoint_in_service").wait(EndpointName="ab")
        metric = {
            "Namespace": "AWS/SageMaker",
            "MetricName": "ModelLatency",
            "Dimensions": [
                {"Name": "EndpointName", "Value": "ab"},
                {"Name": "VariantName", "Value": "B"},
            ],
        }
        cw.put_metric_alarm(
            AlarmName="b-band",
            Metrics=[
                {"Id": "m1", "MetricStat": {"Metric": metric, "Period": 60, "Stat": "Average"}},
                {"Id": "ad1", "Expression": "ANOMALY_DETECTION_BAND(m1, 3)"},
            ],
            ThresholdMetricId="ad1",
            ComparisonOperator="LessThanLowerOrGreaterThanUpperThreshold",
            EvaluationPeriods=1,
            TreatMissingData="notBreaching",
        )
        time.sleep(6 * 60)
        (alarm,) = cw.describe_alarms(AlarmNames=["b-band"])["MetricAlarms"]
        assert alarm["StateValue"] == "OK"
        assert _sum(cw, "Invocations", {"EndpointName": "ab", "VariantName": "B"}) > 0
