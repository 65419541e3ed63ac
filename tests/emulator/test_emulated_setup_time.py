"""ModelSetupTime in the emulator (guardsim.emulator.setup_time), read with a real botocore
client through mock_aws.

The helpers' world: provisioning 60 s and a 30 s publish delay, fixed. A canary update to a
2-instance config launches both new instances at once: each publishes 60e6 microseconds in the
minute it becomes ready, under the endpoint's series and the new config's; nothing before, and
nothing at all with the default model_setup_time none.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
from emulator_helpers import FAST, START, WORLD, canary, in_service, make_config, make_model

from guardsim.testing import mock_aws


def _setup_times(cw: Any, p50: bool = False, **dims: str) -> list[dict[str, Any]]:
    """The series' datapoints (CloudWatch takes Statistics or ExtendedStatistics, not both)."""
    now = datetime.now(UTC)
    stats: dict[str, Any] = (
        {"ExtendedStatistics": ["p50"]}
        if p50
        else {"Statistics": ["SampleCount", "Maximum", "Minimum"]}
    )
    points = cw.get_metric_statistics(
        Namespace="AWS/SageMaker",
        MetricName="ModelSetupTime",
        Dimensions=[{"Name": k, "Value": v} for k, v in dims.items()],
        StartTime=now - timedelta(hours=1),
        EndTime=now,
        Period=60,
        **stats,
    )["Datapoints"]
    return sorted(points, key=lambda p: p["Timestamp"])


def _update(setting: str | None) -> tuple[list[dict[str, Any]], list[dict[str, Any]], float]:
    environment = dict(FAST) if setting is None else {**FAST, "model_setup_time": setting}
    with mock_aws(world={**WORLD, "environment": environment}, start=START):
        sm, cw = boto3.client("sagemaker"), boto3.client("cloudwatch")
        in_service(sm, "ep")
        make_model(sm, "m2")
        make_config(sm, "c2", "m2")
        assert _setup_times(cw, EndpointName="ep", VariantName="AllTraffic") == []
        began = time.time()
        sm.update_endpoint(EndpointName="ep", EndpointConfigName="c2", DeploymentConfig=canary())
        sm.get_waiter("endpoint_in_service").wait(EndpointName="ep")
        time.sleep(120)  # the ready minute is published
        blended = _setup_times(cw, EndpointName="ep", VariantName="AllTraffic")
        green = _setup_times(
            cw, EndpointName="ep", VariantName="AllTraffic", EndpointConfigName="c2"
        )
        (p50,) = _setup_times(cw, True, EndpointName="ep", VariantName="AllTraffic") or [{}]
        if green:
            green[0]["p50"] = p50["ExtendedStatistics"]["p50"]
        return blended, green, began


def test_launched_instances_publish_their_provisioning_time() -> None:
    blended, green, began = _update("per-instance")
    (point,) = green
    assert blended[0]["SampleCount"] == 2.0  # only the new config's instances were launched
    assert point["SampleCount"] == 2.0
    assert point["Maximum"] == point["Minimum"] == 60e6
    assert point["p50"] == 60e6
    assert point["Unit"] == "Microseconds"
    ready = began + 60.0
    assert point["Timestamp"].timestamp() == ready - ready % 60.0  # the minute it became ready


def test_with_the_default_no_instance_publishes() -> None:
    blended, green, _ = _update(None)
    assert blended == [] and green == []
