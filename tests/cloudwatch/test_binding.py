"""Table tests of dimension binding (guardsim.cloudwatch.binding): which fleets a query reads."""

from __future__ import annotations

import pytest

from guardsim.cloudwatch.binding import bind_source
from guardsim.model.metrics import METRICS
from guardsim.scenarios import load_scenario

ENDPOINT = load_scenario("seed-canary-rollback").endpoint
EP, VARIANT = ENDPOINT.name, ENDPOINT.variant_name
BLUE, GREEN = ENDPOINT.blue.name, ENDPOINT.green.name
BASE = {"EndpointName": EP, "VariantName": VARIANT}

# (namespace, metric, dimensions) -> fleets read
TABLE = {
    "endpoint and variant: both fleets, blended": (
        ("AWS/SageMaker", "Invocations", BASE),
        ("blue", "green"),
    ),
    "+ the old config: blue": (
        ("AWS/SageMaker", "ModelLatency", {**BASE, "EndpointConfigName": BLUE}),
        ("blue",),
    ),
    "+ the new config: green": (
        ("AWS/SageMaker", "Invocation5XXErrors", {**BASE, "EndpointConfigName": GREEN}),
        ("green",),
    ),
    "+ another config: nothing": (
        ("AWS/SageMaker", "Invocations", {**BASE, "EndpointConfigName": "other"}),
        (),
    ),
    "another endpoint: nothing": (
        ("AWS/SageMaker", "Invocations", {**BASE, "EndpointName": "other"}),
        (),
    ),
    "another variant: nothing": (
        ("AWS/SageMaker", "Invocations", {**BASE, "VariantName": "other"}),
        (),
    ),
    "endpoint only: nothing (not a published dimension set)": (
        ("AWS/SageMaker", "Invocations", {"EndpointName": EP}),
        (),
    ),
    "an extra dimension: nothing": (
        ("AWS/SageMaker", "Invocations", {**BASE, "InstanceId": "i-1"}),
        (),
    ),
    "another namespace: nothing": (("/aws/sagemaker/Endpoints", "Invocations", BASE), ()),
    "a metric guardsim does not publish: nothing": (("AWS/SageMaker", "CPUUtilization", BASE), ()),
}


@pytest.mark.parametrize("case", list(TABLE))
def test_binding(case: str) -> None:
    (namespace, metric, dims), fleets = TABLE[case]
    source = bind_source(namespace, metric, dims, "Average", ENDPOINT, 120.0)
    assert source.fleets == fleets
    assert source.metric == metric
    # only the old config's own series starts late
    assert source.blue_from == (120.0 if fleets == ("blue",) else None)


def test_every_catalogue_metric_binds() -> None:
    for metric in METRICS:
        assert bind_source("AWS/SageMaker", metric, BASE, "Sum", ENDPOINT, None).fleets == (
            "blue",
            "green",
        )
