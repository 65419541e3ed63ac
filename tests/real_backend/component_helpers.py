"""A small inference component scenario for the real backend's tests: 2 copies of a 1-GPU
model on 4 ml.g5.xlarge instances, batches of 1 copy, a 5XX alarm on the component's own
series, fixed times (the emulator's virtual clock runs it in well under a second)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from real_helpers import BAD_IMAGE, IMAGE, MODEL, ROLE

from guardsim.scenarios import Scenario, check_scenario_dict


def component_data(payload: Path, *, green_5xx: float = 1.0) -> dict[str, Any]:
    return {
        "name": "chat-rolling",
        "endpoint": {
            "name": "llm",
            "blue": {
                "EndpointConfigName": "llm-g5",
                "ProductionVariants": [
                    {
                        "VariantName": "AllTraffic",
                        "InstanceType": "ml.g5.xlarge",
                        "InitialInstanceCount": 4,
                    }
                ],
            },
        },
        "inference_component": {
            "component": {
                "InferenceComponentName": "chat",
                "EndpointName": "llm",
                "VariantName": "AllTraffic",
                "Specification": {
                    "ModelName": "chat-v1",
                    "ComputeResourceRequirements": {
                        "NumberOfAcceleratorDevicesRequired": 1,
                        "MinMemoryRequiredInMb": 8192,
                    },
                },
                "RuntimeConfig": {"CopyCount": 2},
            },
            "new_model_name": "chat-v2",
            "neighbours": [
                {
                    "InferenceComponentName": "embed",
                    "EndpointName": "llm",
                    "VariantName": "AllTraffic",
                    "Specification": {
                        "ModelName": "embed-v1",
                        "ComputeResourceRequirements": {
                            "NumberOfCpuCoresRequired": 1,
                            "MinMemoryRequiredInMb": 2048,
                        },
                    },
                    "RuntimeConfig": {"CopyCount": 1},
                }
            ],
        },
        "deployment_config": {
            "RollingUpdatePolicy": {
                "MaximumBatchSize": {"Type": "COPY_COUNT", "Value": 1},
                "WaitIntervalInSeconds": 300,
                "MaximumExecutionTimeoutInSeconds": 3600,
            },
            "AutoRollbackConfiguration": {"Alarms": [{"AlarmName": "chat-5xx"}]},
        },
        "alarms": [
            {
                "AlarmName": "chat-5xx",
                "Namespace": "AWS/SageMaker",
                "MetricName": "Invocation5XXErrors",
                "Statistic": "Sum",
                "Period": 60,
                "EvaluationPeriods": 1,
                "Threshold": 0,
                "ComparisonOperator": "GreaterThanThreshold",
                "TreatMissingData": "notBreaching",
                "Dimensions": [{"Name": "InferenceComponentName", "Value": "chat"}],
            }
        ],
        "models": {"green": {"error_rate_5xx": green_5xx}},
        "traffic": {"rate_per_second": 0.5, "arrivals": "uniform"},
        "environment": {
            "provisioning_seconds": {"kind": "fixed", "value": 120},
            "copy_start_seconds": {"kind": "fixed", "value": 120},
            "termination_seconds": {"kind": "fixed", "value": 30},
            "metric_publish_delay_seconds": {"kind": "fixed", "value": 60},
        },
        "simulation": {"seed": 5, "mode": "fast"},
        "real": {
            "execution_role_arn": ROLE,
            "blue": {"image": IMAGE, "model_data_url": MODEL},
            "green": {"image": BAD_IMAGE, "model_data_url": MODEL},
            "payload_file": str(payload),
            "rate_per_second": 0.2,
            "warmup_seconds": 120,
            "cooldown_seconds": 120,
            "poll_interval_seconds": 20,
            "max_concurrency": 2,
        },
    }


def component_scenario(payload: Path, **changes: Any) -> Scenario:
    result = check_scenario_dict(component_data(payload, **changes), source="chat-rolling")
    assert result.scenario is not None, result.errors
    return result.scenario
