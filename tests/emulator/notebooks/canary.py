"""AWS's sample notebook "Update SageMaker Inference endpoint using canary traffic shifting"
(aws/amazon-sagemaker-examples, sagemaker-inference-deployment-guardrails/): its shared cells
(:mod:`._notebook`) with its endpoint name and its canary DeploymentConfig."""

from __future__ import annotations

from typing import Any

from ._notebook import run


def canary_deployment_config(error_alarm: str, latency_alarm: str) -> dict[str, Any]:
    return {
        "BlueGreenUpdatePolicy": {
            "TrafficRoutingConfiguration": {
                "Type": "CANARY",
                "CanarySize": {
                    "Type": "INSTANCE_COUNT",  # or use "CAPACITY_PERCENT" as 30%, 50%
                    "Value": 1,
                },
                "WaitIntervalInSeconds": 300,  # wait 5 minutes before the rest of the fleet
            },
            "TerminationWaitInSeconds": 120,  # wait 2 minutes before terminating the old stack
            "MaximumExecutionTimeoutInSeconds": 1800,  # maximum timeout for deployment
        },
        "AutoRollbackConfiguration": {
            "Alarms": [{"AlarmName": error_alarm}, {"AlarmName": latency_alarm}],
        },
    }


def main() -> dict[str, Any]:
    return run("DEMO-Deployment-Guardrails-Canary", canary_deployment_config)
