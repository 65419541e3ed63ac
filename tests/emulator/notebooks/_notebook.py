"""The cells the three deployment-guardrail sample notebooks of aws/amazon-sagemaker-examples
(sagemaker-inference-deployment-guardrails/: canary, linear and rolling "Update SageMaker
Inference endpoint") share, in their order, as boto3 code: create three models (baseline, an
incompatible XGBoost image, the correct one) and their endpoint configs, create the endpoint,
wait with ``describe_endpoint`` + ``time.sleep(30)``, invoke it, read the metrics, create the two
rollback alarms, update with the notebook's DeploymentConfig (the rollback case), invoke during
the update, wait, read the metrics, update again with ``RetainDeploymentConfig=True`` (the
success case), and clean up. The SageMaker SDK helpers are replaced by constants
(:mod:`._common`) and the pandas plots by the datapoints they would plot. Nothing here knows
it runs against guardsim.

:func:`run` runs a notebook and returns what a reader of it would look at.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3

from ._common import IMAGE_URI, IMAGE_URI2, IMAGE_URI3, MODEL_URL, MODEL_URL2, ROLE, TEST_ROWS


def run(
    endpoint_prefix: str, deployment_config: Callable[[str, str], dict[str, Any]]
) -> dict[str, Any]:
    """One notebook: ``endpoint_prefix`` names its endpoint, ``deployment_config(error_alarm,
    latency_alarm)`` is its Step 4 DeploymentConfig."""
    seen: dict[str, Any] = {"metrics": {}}
    region = boto3.Session().region_name
    role = ROLE
    sm = boto3.Session().client("sagemaker")
    sm_runtime = boto3.Session().client("sagemaker-runtime")

    # Step 1: create the models, endpoint configs and endpoint
    image_uri, image_uri2, image_uri3 = IMAGE_URI, IMAGE_URI2, IMAGE_URI3
    model_url, model_url2 = MODEL_URL, MODEL_URL2
    model_name = f"DEMO-xgb-churn-pred-{datetime.now():%Y-%m-%d-%H-%M-%S}"
    model_name2 = f"DEMO-xgb-churn-pred2-{datetime.now():%Y-%m-%d-%H-%M-%S}"
    model_name3 = f"DEMO-xgb-churn-pred3-{datetime.now():%Y-%m-%d-%H-%M-%S}"
    for name, image, url in (
        (model_name, image_uri, model_url),
        (model_name2, image_uri2, model_url2),
        (model_name3, image_uri3, model_url2),
    ):
        resp = sm.create_model(
            ModelName=name,
            ExecutionRoleArn=role,
            Containers=[{"Image": image, "ModelDataUrl": url}],
        )
        print(f"Created Model: {resp}")

    ep_config_name = f"DEMO-EpConfig-1-{datetime.now():%Y-%m-%d-%H-%M-%S}"
    ep_config_name2 = f"DEMO-EpConfig-2-{datetime.now():%Y-%m-%d-%H-%M-%S}"
    ep_config_name3 = f"DEMO-EpConfig-3-{datetime.now():%Y-%m-%d-%H-%M-%S}"
    for config, model in (
        (ep_config_name, model_name),
        (ep_config_name2, model_name2),
        (ep_config_name3, model_name3),
    ):
        resp = sm.create_endpoint_config(
            EndpointConfigName=config,
            ProductionVariants=[
                {
                    "VariantName": "AllTraffic",
                    "ModelName": model,
                    "InstanceType": "ml.m5.xlarge",
                    "InitialInstanceCount": 3,
                }
            ],
        )
        print(f"Created Endpoint Config: {resp}")
        time.sleep(5)

    endpoint_name = f"{endpoint_prefix}-{datetime.now():%Y-%m-%d-%H-%M-%S}"
    resp = sm.create_endpoint(EndpointName=endpoint_name, EndpointConfigName=ep_config_name)
    print(f"\nCreated Endpoint: {resp}")

    def wait_for_endpoint_in_service(endpoint_name: str) -> None:
        print("Waiting for endpoint in service")
        while True:
            details = sm.describe_endpoint(EndpointName=endpoint_name)
            status = details["EndpointStatus"]
            if status in ["InService", "Failed"]:
                print("\nDone!")
                break
            print(".", end="", flush=True)
            time.sleep(30)

    wait_for_endpoint_in_service(endpoint_name)
    sm.describe_endpoint(EndpointName=endpoint_name)

    # Step 2: invoke the endpoint
    def invoke_endpoint(
        endpoint_name: str,
        max_invocations: int = 600,
        wait_interval_sec: float = 1,
        should_raise_exp: bool = False,
    ) -> None:
        print(f"Sending test traffic to the endpoint {endpoint_name}. \nPlease wait...")
        count = 0
        for row in TEST_ROWS:
            payload = row.rstrip("\n")
            try:
                response = sm_runtime.invoke_endpoint(
                    EndpointName=endpoint_name, ContentType="text/csv", Body=payload
                )
                response["Body"].read()
                print(".", end="", flush=True)
            except Exception as e:
                print("E", end="", flush=True)
                seen["errors"] = seen.get("errors", 0) + 1
                if should_raise_exp:
                    raise e
            count += 1  # noqa: SIM113 - the notebook's own loop, kept as it is
            if count > max_invocations:
                break
            time.sleep(wait_interval_sec)
        print("\nDone!")

    invoke_endpoint(endpoint_name, max_invocations=100)

    cw = boto3.Session().client("cloudwatch", region_name=region)

    def get_sagemaker_metrics(
        endpoint_name: str,
        endpoint_config_name: str | None,
        variant_name: str,
        metric_name: str,
        statistic: str,
        start_time: datetime,
        end_time: datetime,
    ) -> list[dict[str, Any]] | None:
        dimensions = [
            {"Name": "EndpointName", "Value": endpoint_name},
            {"Name": "VariantName", "Value": variant_name},
        ]
        if endpoint_config_name is not None:
            dimensions.append({"Name": "EndpointConfigName", "Value": endpoint_config_name})
        metrics = cw.get_metric_statistics(
            Namespace="AWS/SageMaker",
            MetricName=metric_name,
            StartTime=start_time,
            EndTime=end_time,
            Period=60,
            Statistics=[statistic],
            Dimensions=dimensions,
        )
        if len(metrics["Datapoints"]) == 0:
            return None
        return sorted(metrics["Datapoints"], key=lambda d: d["Timestamp"])

    def plot_endpoint_invocation_metrics(
        endpoint_name: str,
        endpoint_config_name: str | None,
        variant_name: str,
        metric_name: str,
        statistic: str,
        start_time: datetime | None = None,
    ) -> list[dict[str, Any]] | None:
        start_time = start_time or datetime.now(UTC) - timedelta(minutes=60)
        end_time = datetime.now(UTC)
        points = get_sagemaker_metrics(
            endpoint_name,
            endpoint_config_name,
            variant_name,
            metric_name,
            statistic,
            start_time,
            end_time,
        )
        seen["metrics"].setdefault(f"{metric_name}-{statistic}", []).append(points)
        return points

    def metrics_cell(step: str, configs: list[str | None]) -> None:
        cell = {
            f"{c or 'ALL'}-Invocations": plot_endpoint_invocation_metrics(
                endpoint_name, c, "AllTraffic", "Invocations", "Sum"
            )
            for c in configs
        }
        cell["5xx"] = plot_endpoint_invocation_metrics(
            endpoint_name, None, "AllTraffic", "Invocation5XXErrors", "Sum"
        )
        cell["latency"] = plot_endpoint_invocation_metrics(
            endpoint_name, None, "AllTraffic", "ModelLatency", "Average"
        )
        seen.setdefault("cells", {})[step] = cell

    metrics_cell("baseline", [ep_config_name])
    seen["cells"]["baseline"]["4xx"] = plot_endpoint_invocation_metrics(
        endpoint_name, None, "AllTraffic", "Invocation4XXErrors", "Sum"
    )
    seen["cells"]["baseline"]["overhead"] = plot_endpoint_invocation_metrics(
        endpoint_name, None, "AllTraffic", "OverheadLatency", "Average"
    )

    # Step 3: the auto-rollback alarms
    def create_auto_rollback_alarm(
        alarm_name: str,
        endpoint_name: str,
        variant_name: str,
        metric_name: str,
        statistic: str,
        threshold: float,
    ) -> None:
        cw.put_metric_alarm(
            AlarmName=alarm_name,
            AlarmDescription="Test SageMaker endpoint deployment auto-rollback alarm",
            ActionsEnabled=False,
            Namespace="AWS/SageMaker",
            MetricName=metric_name,
            Statistic=statistic,
            Dimensions=[
                {"Name": "EndpointName", "Value": endpoint_name},
                {"Name": "VariantName", "Value": variant_name},
            ],
            Period=60,
            EvaluationPeriods=1,
            Threshold=threshold,
            ComparisonOperator="GreaterThanOrEqualToThreshold",
            TreatMissingData="notBreaching",
        )

    error_alarm = f"TestAlarm-5XXErrors-{endpoint_name}"
    latency_alarm = f"TestAlarm-ModelLatency-{endpoint_name}"
    # alarm on 1% 5xx error rate for 1 minute
    create_auto_rollback_alarm(
        error_alarm, endpoint_name, "AllTraffic", "Invocation5XXErrors", "Average", 1
    )
    # alarm on model latency >= 10 ms for 1 minute
    create_auto_rollback_alarm(
        latency_alarm, endpoint_name, "AllTraffic", "ModelLatency", "Average", 10000
    )
    seen["alarms_at_creation"] = [
        a["StateValue"]
        for a in cw.describe_alarms(AlarmNames=[error_alarm, latency_alarm])["MetricAlarms"]
    ]
    time.sleep(60)

    # Step 4: the rollback case
    # update endpoint request with new DeploymentConfig parameter
    sm.update_endpoint(
        EndpointName=endpoint_name,
        EndpointConfigName=ep_config_name2,
        DeploymentConfig=deployment_config(error_alarm, latency_alarm),
    )
    seen["rollback_updating"] = sm.describe_endpoint(EndpointName=endpoint_name)
    invoke_endpoint(endpoint_name)
    wait_for_endpoint_in_service(endpoint_name)
    seen["rollback_final"] = sm.describe_endpoint(EndpointName=endpoint_name)
    metrics_cell("rollback", [None, ep_config_name, ep_config_name2])

    # Step 4: the success case, with the same (retained) deployment configuration
    sm.update_endpoint(
        EndpointName=endpoint_name,
        EndpointConfigName=ep_config_name3,
        RetainDeploymentConfig=True,
    )
    seen["success_updating"] = sm.describe_endpoint(EndpointName=endpoint_name)
    invoke_endpoint(endpoint_name, max_invocations=500)
    wait_for_endpoint_in_service(endpoint_name)
    seen["success_final"] = sm.describe_endpoint(EndpointName=endpoint_name)
    metrics_cell("success", [None, ep_config_name2, ep_config_name3])

    seen["alarm_history"] = cw.describe_alarm_history(AlarmName=latency_alarm)["AlarmHistoryItems"]
    seen["names"] = {
        "endpoint": endpoint_name,
        "configs": [ep_config_name, ep_config_name2, ep_config_name3],
        "alarms": [error_alarm, latency_alarm],
    }

    # Cleanup
    sm.delete_endpoint(EndpointName=endpoint_name)
    for config in (ep_config_name, ep_config_name2, ep_config_name3):
        sm.delete_endpoint_config(EndpointConfigName=config)
    for name in (model_name, model_name2, model_name3):
        sm.delete_model(ModelName=name)
    cw.delete_alarms(AlarmNames=[error_alarm, latency_alarm])
    return seen
