"""A small inference component scenario for the real backend's tests: 2 copies of a 1-GPU
model on 4 ml.g5.xlarge instances, batches of 1 copy, a 5XX alarm on the component's own
series, fixed times (the emulator's virtual clock runs it in well under a second)."""

from __future__ import annotations

import contextlib
import copy
from pathlib import Path
from typing import Any

from real_helpers import BAD_IMAGE, IMAGE, MODEL, ROLE

from guardsim.scenarios import Scenario, check_scenario_dict

#: The rollback alarm: any 5XX on the component's own series in a minute
CHAT_ALARM: dict[str, Any] = {
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


#: The update: batches of 1 copy, 5 minutes' wait, the rollback alarm above
CHAT_DEPLOYMENT_CONFIG: dict[str, Any] = {
    "RollingUpdatePolicy": {
        "MaximumBatchSize": {"Type": "COPY_COUNT", "Value": 1},
        "WaitIntervalInSeconds": 300,
        "MaximumExecutionTimeoutInSeconds": 3600,
    },
    "AutoRollbackConfiguration": {"Alarms": [{"AlarmName": "chat-5xx"}]},
}


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
        "deployment_config": copy.deepcopy(CHAT_DEPLOYMENT_CONFIG),
        "alarms": [dict(CHAT_ALARM)],
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


def start_component_update_elsewhere(
    aws: Any, scenario: Scenario, *, warmup_seconds: float = 300.0, invokes: int = 0
) -> str:
    """Do what a team's own pipeline would: create the scenario's models, endpoint config,
    alarms, endpoint and components under their own names (untagged), wait until they are
    InService plus ``warmup_seconds`` (virtually; ``invokes`` requests to the component spread
    over it), and call UpdateInferenceComponent. Returns the component's name."""
    from guardsim.scenarios.boto import thaw

    ic = scenario.inference_component
    assert ic is not None
    sm, cw, rt = aws("sagemaker"), aws("cloudwatch"), aws("sagemaker-runtime")
    models = {ic.component.model_name, ic.new_model_name, *(n.model_name for n in ic.neighbours)}
    for model in sorted(models):
        sm.create_model(
            ModelName=model,
            ExecutionRoleArn="arn:aws:iam::123456789012:role/pipeline",
            PrimaryContainer={"Image": "123456789012.dkr.ecr.us-east-1.amazonaws.com/m:1"},
        )
    sm.create_endpoint_config(**ic.endpoint.to_boto(), ExecutionRoleArn=ROLE)
    for alarm in scenario.alarms:
        cw.put_metric_alarm(**alarm.to_boto())
    endpoint = scenario.endpoint.name
    sm.create_endpoint(EndpointName=endpoint, EndpointConfigName=ic.endpoint.name)
    ready = aws.emulator.endpoints[endpoint].ready_at
    aws.clock.sleep(ready - aws.clock.now())
    for c in (*ic.neighbours, ic.component):
        sm.create_inference_component(**thaw(c.raw))
    name = ic.component.name
    for _ in range(1000):
        status = sm.describe_inference_component(InferenceComponentName=name)
        if status["InferenceComponentStatus"] != "Creating":
            break
        aws.clock.sleep(10.0)
    step = warmup_seconds / max(1, invokes)
    for _ in range(invokes):
        rt.invoke_endpoint(
            EndpointName=endpoint, InferenceComponentName=name, Body=b"1", ContentType="text/csv"
        )
        aws.clock.sleep(step)
    if not invokes:
        aws.clock.sleep(warmup_seconds)
    spec = {**thaw(ic.component.raw["Specification"]), "ModelName": ic.new_model_name}
    sm.update_inference_component(
        InferenceComponentName=name,
        Specification=spec,
        DeploymentConfig=thaw(ic.raw_deployment_config),
    )
    return name


class InvokingClients:
    """A client factory whose DescribeInferenceComponent first sends ``per_poll`` requests to
    the component, as the endpoint's other callers would between two polls (a test stand-in
    for live traffic while a read-only command follows an update)."""

    def __init__(self, aws: Any, endpoint: str, component: str, per_poll: int = 1) -> None:
        self.aws = aws
        self.endpoint = endpoint
        self.component = component
        self.per_poll = per_poll

    def __call__(self, service: str) -> Any:
        client = self.aws(service)
        if service != "sagemaker":
            return client
        outer = self

        class Proxy:
            def __getattr__(self, name: str) -> Any:
                return getattr(client, name)

            def describe_inference_component(self, **kwargs: Any) -> Any:
                from botocore.exceptions import ClientError

                rt = outer.aws("sagemaker-runtime")
                for _ in range(outer.per_poll):
                    # a ModelError is the new copies' error: what the alarm counts
                    with contextlib.suppress(ClientError):
                        rt.invoke_endpoint(
                            EndpointName=outer.endpoint,
                            InferenceComponentName=outer.component,
                            Body=b"1",
                            ContentType="text/csv",
                        )
                return client.describe_inference_component(**kwargs)

        return Proxy()
