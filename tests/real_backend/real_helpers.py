"""Helpers for the real backend's tests: scenarios made runnable against the fake AWS."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

from guardsim.scenarios import Scenario, check_scenario_dict, load_scenario

ROLE = "arn:aws:iam::123456789012:role/guardsim-test"
IMAGE = "123456789012.dkr.ecr.us-east-1.amazonaws.com/xgboost:1.7-1"
BAD_IMAGE = "123456789012.dkr.ecr.us-east-1.amazonaws.com/xgboost:0.90-2"
MODEL = "s3://guardsim-test-bucket/model.tar.gz"


def placeholder_values(payload: Path) -> dict[str, str]:
    return {
        "EXECUTION_ROLE_ARN": ROLE,
        "XGBOOST_IMAGE_URI": IMAGE,
        "INCOMPATIBLE_IMAGE_URI": BAD_IMAGE,
        "MODEL_DATA_URL": MODEL,
        "PAYLOAD_FILE": str(payload),
    }


def runnable(scenario: Scenario, payload: Path, **real_overrides: Any) -> Scenario:
    """A scenario with its placeholders filled and its real section adjusted (fast traffic)."""
    assert scenario.real is not None
    real = scenario.real.filled(placeholder_values(payload))
    real = dataclasses.replace(real, **real_overrides)
    return dataclasses.replace(scenario, real=real)


def quick_seed(name: str, payload: Path) -> Scenario:
    """A seed scenario with little traffic, so the fake runs it in well under a second."""
    return runnable(
        load_scenario(name),
        payload,
        rate_per_second=0.1,
        warmup_seconds=120.0,
        cooldown_seconds=120.0,
        poll_interval_seconds=20.0,
    )


#: A short canary (fixed times, fast mode traffic) for sweeps that run it many times.
TINY: dict[str, Any] = {
    "name": "tiny-canary",
    "endpoint": {
        "name": "tiny",
        "blue": {
            "EndpointConfigName": "tiny-v1",
            "ProductionVariants": [
                {
                    "VariantName": "AllTraffic",
                    "ModelName": "tiny-m1",
                    "InstanceType": "ml.m5.large",
                    "InitialInstanceCount": 2,
                }
            ],
        },
        "green": {
            "EndpointConfigName": "tiny-v2",
            "ProductionVariants": [
                {
                    "VariantName": "AllTraffic",
                    "ModelName": "tiny-m2",
                    "InstanceType": "ml.m5.large",
                    "InitialInstanceCount": 2,
                }
            ],
        },
    },
    "deployment_config": {
        "BlueGreenUpdatePolicy": {
            "TrafficRoutingConfiguration": {
                "Type": "CANARY",
                "CanarySize": {"Type": "INSTANCE_COUNT", "Value": 1},
                "WaitIntervalInSeconds": 120,
            },
            "TerminationWaitInSeconds": 60,
            "MaximumExecutionTimeoutInSeconds": 900,
        },
        "AutoRollbackConfiguration": {"Alarms": [{"AlarmName": "tiny-5xx"}]},
    },
    "alarms": [
        {
            "AlarmName": "tiny-5xx",
            "Namespace": "AWS/SageMaker",
            "MetricName": "Invocation5XXErrors",
            "Statistic": "Sum",
            "Period": 60,
            "EvaluationPeriods": 1,
            "Threshold": 1.0,
            "ComparisonOperator": "GreaterThanOrEqualToThreshold",
            "TreatMissingData": "notBreaching",
            "Dimensions": [
                {"Name": "EndpointName", "Value": "tiny"},
                {"Name": "VariantName", "Value": "AllTraffic"},
                {"Name": "EndpointConfigName", "Value": "tiny-v2"},
            ],
        }
    ],
    "models": {"green": {"error_rate_5xx": 0.5}},
    "traffic": {"rate_per_second": 0.5, "arrivals": "uniform"},
    "environment": {
        "provisioning_seconds": {"kind": "fixed", "value": 120},
        "metric_publish_delay_seconds": {"kind": "fixed", "value": 60},
    },
    "simulation": {"seed": 3, "warmup_seconds": 300, "cooldown_seconds": 120, "mode": "fast"},
    "real": {
        "execution_role_arn": ROLE,
        "blue": {"image": IMAGE, "model_data_url": MODEL},
        "green": {"image": BAD_IMAGE, "model_data_url": MODEL},
        "payload_file": "PAYLOAD",
        "rate_per_second": 0.05,
        "warmup_seconds": 60,
        "cooldown_seconds": 60,
        "poll_interval_seconds": 30,
        "max_concurrency": 2,
    },
}


def tiny(payload: Path, **changes: Any) -> Scenario:
    data = {**TINY, **changes}
    data["real"] = {**TINY["real"], "payload_file": str(payload), **changes.get("real", {})}
    result = check_scenario_dict(data, source="tiny")
    assert result.scenario is not None, result.errors
    return result.scenario
