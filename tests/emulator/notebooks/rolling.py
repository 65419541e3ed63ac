"""AWS's sample notebook "Update SageMaker Inference endpoint using rolling deployment"
(aws/amazon-sagemaker-examples, sagemaker-inference-deployment-guardrails/): its shared cells
(:mod:`._notebook`) with its endpoint name and its rolling DeploymentConfig."""

from __future__ import annotations

from typing import Any

from ._notebook import run


def rolling_deployment_config(error_alarm: str, latency_alarm: str) -> dict[str, Any]:
    return {
        "RollingUpdatePolicy": {
            "MaximumBatchSize": {
                "Type": "CAPACITY_PERCENT",
                "Value": 33,  # 33% of whole fleet capacity (33% * 3 = 1 instance)
            },
            "WaitIntervalInSeconds": 180,  # wait 3 minutes between the batches
            "MaximumExecutionTimeoutInSeconds": 1800,  # maximum timeout for deployment
        },
        "AutoRollbackConfiguration": {
            "Alarms": [{"AlarmName": error_alarm}, {"AlarmName": latency_alarm}],
        },
    }


def main() -> dict[str, Any]:
    return run("DEMO-Deployment-Guardrails-Rolling", rolling_deployment_config)
