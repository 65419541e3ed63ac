"""Helpers for the real backend's tests: scenarios made runnable against guardsim's emulator."""

from __future__ import annotations

import dataclasses
import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

from guardsim.cli import main
from guardsim.emulator.clients import EmulatedAWS
from guardsim.emulator.world import world_from_scenario
from guardsim.scenarios import Scenario, check_scenario_dict, load_scenario

ROLE = "arn:aws:iam::123456789012:role/guardsim-test"
#: The ``fake_cli`` fixture: ``fake_cli(truth, **emulator options)`` returns the fake it installs.
FakeCLI = Callable[..., EmulatedAWS]
#: The calls a read-only command (observe, import) of an endpoint may make.
READ_ONLY = frozenset(
    {
        "DescribeEndpoint",
        "DescribeEndpointConfig",
        "DescribeAlarms",
        "GetMetricData",
        "DescribeAlarmHistory",
    }
)
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


def emulated(truth: Scenario | None = None, **kwargs: Any) -> EmulatedAWS:
    """guardsim's emulator in the world of a truth scenario (default: the scenario defaults),
    as a client factory and clock for the real backend."""
    world = world_from_scenario(truth) if truth is not None else None
    return EmulatedAWS(world, **kwargs)


def start_update_elsewhere(
    aws: EmulatedAWS, scenario: Scenario, *, warmup_seconds: float = 600.0
) -> str:
    """Do what a team's own pipeline would: create the scenario's models, configs, alarms and
    endpoint under their own names (untagged), wait until it is InService plus
    ``warmup_seconds`` (virtually), and call UpdateEndpoint; the update then runs on the
    emulator's clock. Returns the endpoint name."""
    sm, cw = aws("sagemaker"), aws("cloudwatch")
    ep = scenario.endpoint
    for config in (ep.blue, ep.green):
        model = str(config.variant.extra.get("ModelName") or f"{config.name}-model")
        if model not in aws.emulator.models:
            sm.create_model(
                ModelName=model,
                ExecutionRoleArn="arn:aws:iam::123456789012:role/pipeline",
                PrimaryContainer={"Image": "123456789012.dkr.ecr.us-east-1.amazonaws.com/m:1"},
            )
        raw = config.to_boto()
        raw["ProductionVariants"] = [{**v, "ModelName": model} for v in raw["ProductionVariants"]]
        sm.create_endpoint_config(**raw)
    for alarm in scenario.alarms:
        cw.put_metric_alarm(**alarm.to_boto())
    sm.create_endpoint(EndpointName=ep.name, EndpointConfigName=ep.blue.name)
    ready = aws.emulator.endpoints[ep.name].ready_at
    aws.clock.sleep(ready - aws.clock.now() + warmup_seconds)
    sm.update_endpoint(
        EndpointName=ep.name,
        EndpointConfigName=ep.green.name,
        DeploymentConfig=scenario.deployment_config.to_boto(),
    )
    return ep.name


def sleep_until(aws: EmulatedAWS, endpoint: str, phase: str, step: float = 5.0) -> float:
    """Sleep the emulator's clock in ``step`` s until the endpoint's update is in ``phase``
    (a :class:`~guardsim.deployment.machine.Phase` value); returns the clock's time. The
    emulator draws its own provisioning times, so tests wait for a phase, not a fixed time."""
    for _ in range(100_000):
        aws.emulator.advance()
        up = aws.emulator.endpoints[endpoint].current
        if up is not None and up.run.phase.value == phase:
            return aws.clock.now()
        aws.clock.sleep(step)
    raise AssertionError(f"{endpoint} never reached {phase}")


def run_cli(*argv: str) -> tuple[int, str, str]:
    """``guardsim ARGV``: exit status, standard output and standard error."""
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), out, err)
    return code, out.getvalue(), err.getvalue()
