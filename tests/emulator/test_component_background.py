"""An inference component's background traffic in the emulator (a world ``traffic`` entry
keyed by its ``InferenceComponentName``), through real botocore clients inside mock_aws: its
requests are served by its copies once it is InService, published under its own name, and
counted in the endpoint-wide ``EndpointName, VariantName`` series beside every other
component's, as the engines bind a scenario's neighbours with ``traffic``."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

import boto3
import yaml
from emulator_helpers import START, make_model
from test_inference_components import COMPONENT_WORLD, component_endpoint, create_component

from guardsim.emulator.world import world_from_scenario
from guardsim.scenarios import library
from guardsim.scenarios.loading import scenario_from_dict
from guardsim.testing import mock_aws

#: 2 requests/s for the neighbour, evenly spaced: 120 a minute
WORLD = {**COMPONENT_WORLD, "traffic": {"embedder": {"rate_per_second": 2, "arrivals": "uniform"}}}


def _sums(cw: Any, dims: list[dict[str, str]], start: float, end: float) -> list[float]:
    points = cw.get_metric_statistics(
        Namespace="AWS/SageMaker",
        MetricName="Invocations",
        Dimensions=dims,
        StartTime=datetime.fromtimestamp(start, UTC),
        EndTime=datetime.fromtimestamp(end, UTC),
        Period=60,
        Statistics=["Sum"],
    )["Datapoints"]
    return [p["Sum"] for p in sorted(points, key=lambda p: p["Timestamp"])]


def test_a_components_background_traffic_is_its_own_and_the_endpoints() -> None:
    with mock_aws(world=WORLD, start=START) as aws:
        sm = boto3.client("sagemaker")
        cw = boto3.client("cloudwatch")
        component_endpoint(sm, "shared")
        make_model(sm, "m")
        created = aws.now()
        create_component(sm, "embedder", "shared", "m", copies=1)
        create_component(sm, "quiet", "shared", "m", copies=1)
        time.sleep(120 + 5 * 60)  # InService at +120 (copy_start_seconds), then 5 minutes
        first = (created // 60 + 3) * 60  # whole minutes after it came up
        own = _sums(
            cw, [{"Name": "InferenceComponentName", "Value": "embedder"}], first, first + 180
        )
        wide = _sums(
            cw,
            [
                {"Name": "EndpointName", "Value": "shared"},
                {"Name": "VariantName", "Value": "AllTraffic"},
            ],
            first,
            first + 180,
        )
        quiet = _sums(
            cw, [{"Name": "InferenceComponentName", "Value": "quiet"}], first, first + 180
        )
        assert own == [120.0] * 3
        assert wide == own  # the only requests on the endpoint
        assert quiet == []  # no entry of its own ("*" is not a component's)
        before = _sums(
            cw, [{"Name": "InferenceComponentName", "Value": "embedder"}], created, created + 120
        )
        assert before == []  # nothing while Creating


def test_the_world_of_a_scenario_keeps_its_neighbours_traffic_and_model() -> None:
    raw = yaml.safe_load(library.text("component-llm-latency-rollback"))
    neighbour = raw["inference_component"]["neighbours"][0]
    neighbour["traffic"] = {"rate_per_second": 3}
    neighbour["model"] = {"error_rate_5xx": 0.25}
    world = world_from_scenario(scenario_from_dict(raw), background_traffic=False)
    assert world.traffic["support-bot-embedder"].rate_per_second == 3
    assert "*" not in world.traffic
    rule = world.models[0]
    assert dict(rule.match) == {"model_name": "support-embedder-v2"}
    assert rule.behaviour.error_rate_5xx == 0.25
