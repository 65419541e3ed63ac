"""The emulator publishes the instance metrics from the load model, and the models' custom
metrics, like the simulator."""

from __future__ import annotations

import time
from typing import Any

import boto3
import pytest
from emulator_helpers import FAST, START, in_service, minute_points

from guardsim.testing import mock_aws

BUSY = [
    {"Name": "EndpointName", "Value": "busy"},
    {"Name": "VariantName", "Value": "AllTraffic"},
]


def _points(
    cw: Any,
    metric: str,
    *stats: str,
    namespace: str = "/aws/sagemaker/Endpoints",
    dims: list[dict[str, str]] = BUSY,
) -> list[dict[str, Any]]:
    """The last hour's minutes of one series, oldest first."""
    return minute_points(cw, metric, *stats, dims=dims, namespace=namespace, hours=1.0)


def test_cpu_follows_the_load_and_gpu_metrics_exist_only_on_gpu_types() -> None:
    # 6 requests/s evenly spaced, a constant 50 ms, 2 x ml.m5.xlarge, no noise: each whole
    # minute's 360 requests keep 360 x 0.05 s / (60 s x 2) = 0.15 requests busy per instance,
    # so every instance reports CPUUtilization 5 + 100 x 0.15 = 20 %
    world = {
        "environment": FAST,
        "traffic": {"busy": {"rate_per_second": 6.0, "arrivals": "uniform"}},
        "models": [
            {
                "match": {},
                "behaviour": {
                    "latency": {"median_ms": 50, "p99_ms": 50},
                    "instance_metrics": {"noise_sd_percent": 0.0},
                },
            }
        ],
    }
    with mock_aws(world=world, start=START):
        sm, cw = boto3.client("sagemaker"), boto3.client("cloudwatch")
        in_service(sm, "busy")
        time.sleep(60 - time.time() % 60)
        time.sleep(5 * 60 + 31)  # five whole minutes, published
        cpu = _points(cw, "CPUUtilization", "Average", "SampleCount", "Maximum")
        whole = cpu[1:-1]  # the first and last minute may be partial
        assert len(whole) >= 3
        for p in whole:
            assert p["SampleCount"] == 2.0  # one sample per instance
            assert p["Average"] == pytest.approx(20.0, abs=0.05)
            assert p["Maximum"] == pytest.approx(p["Average"])
            assert p["Unit"] == "Percent"
        assert _points(cw, "GPUUtilization", "Average") == []
        disk = _points(cw, "DiskUtilization", "Average")
        assert {p["Average"] for p in disk} == {20.0}  # the default, whatever the load


def test_the_models_custom_metrics_are_published_per_request_and_per_minute() -> None:
    # every request fails; the model's code publishes MyApp/Failed (1 per failed request) and
    # MyApp/Queue (a constant 3 once a minute)
    dims = [{"Name": "Model", "Value": "v1"}]
    world = {
        "environment": FAST,
        "traffic": {"busy": {"rate_per_second": 2.0, "arrivals": "uniform"}},
        "models": [
            {
                "match": {},
                "behaviour": {
                    "error_rate_5xx": 1.0,
                    "custom_metrics": [
                        {"namespace": "MyApp", "metric_name": "Failed", "dimensions": dims},
                        {
                            "namespace": "MyApp",
                            "metric_name": "Queue",
                            "per": "minute",
                            "value": "constant",
                            "constant": 3.0,
                            "unit": "Count",
                        },
                    ],
                },
            }
        ],
    }
    with mock_aws(world=world, start=START):
        sm, cw = boto3.client("sagemaker"), boto3.client("cloudwatch")
        in_service(sm, "busy")
        time.sleep(60 - time.time() % 60)
        time.sleep(3 * 60 + 31)
        failed = _points(cw, "Failed", "Average", "SampleCount", namespace="MyApp", dims=dims)
        whole = failed[1:-1]
        assert whole and all(p["Average"] == 1.0 and p["SampleCount"] == 120.0 for p in whole)
        queue = _points(cw, "Queue", "Sum", "SampleCount", namespace="MyApp", dims=[])
        assert queue and all(p["Sum"] == 3.0 and p["SampleCount"] == 1.0 for p in queue)
        assert all(p["Unit"] == "Count" for p in queue)
