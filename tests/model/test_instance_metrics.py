"""The instance-metric load model (guardsim.model.instance_metrics), its binding and checks."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from guardsim.cloudwatch.binding import bind_source
from guardsim.model import instance_metrics as im
from guardsim.model.metrics import (
    CPU_INSTANCE_METRICS,
    INSTANCE_METRICS,
    INSTANCE_NAMESPACE,
    INSTANCE_UNITS,
)
from guardsim.scenarios import check_scenario_dict, load_scenario
from guardsim.scenarios.models import InstanceMetrics, ModelBehaviour, Models

DEFAULT = InstanceMetrics()
M5 = im.INSTANCE_TYPES["ml.m5.xlarge"]
G5 = im.INSTANCE_TYPES["ml.g5.xlarge"]


def test_busy_requests_is_littles_law() -> None:
    # 600 requests of 50 ms in a minute on 2 instances: 30 request-seconds / 120 s = 0.25
    assert im.busy_requests(600 * 50_000.0, 2) == pytest.approx(0.25)
    assert im.busy_requests(1e6, 0) == 0.0
    out = im.busy_requests(np.array([0.0, 6e7, 6e7]), np.array([1, 1, 0]))
    assert out.tolist() == [0.0, 1.0, 0.0]  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("metric", "busy", "expected", "cap"),
    [
        ("CPUUtilization", 0.0, 5.0, 400.0),
        ("CPUUtilization", 1.5, 155.0, 400.0),  # above 100 on a multi-core instance
        ("MemoryUtilization", 2.0, 32.0, 100.0),
        ("DiskUtilization", 9.0, 20.0, 100.0),  # disk does not follow load
    ],
)
def test_default_levels(metric: str, busy: float, expected: float, cap: float) -> None:
    assert im.level(metric, DEFAULT, M5, busy) == (pytest.approx(expected), cap)


def test_cpu_is_clipped_at_100_per_vcpu_and_gpu_at_100_per_gpu() -> None:
    z = np.zeros(3)
    assert im.instance_values("CPUUtilization", DEFAULT, M5, 10.0, z).tolist() == [400.0] * 3
    assert im.instance_values("GPUUtilization", DEFAULT, G5, 10.0, z).tolist() == [100.0] * 3
    low = im.instance_values("CPUUtilization", DEFAULT, M5, 0.0, np.full(2, -10.0))
    assert low.tolist() == [0.0, 0.0]


def test_gpu_metrics_only_on_gpu_types() -> None:
    assert im.published(M5) == CPU_INSTANCE_METRICS
    assert im.published(G5) == INSTANCE_METRICS
    assert set(INSTANCE_UNITS.values()) == {"Percent"}


def test_resolve_takes_the_table_and_the_overrides() -> None:
    assert im.resolve("ml.m5.xlarge", DEFAULT) == M5
    assert im.resolve("ml.inf2.xlarge", DEFAULT) is None
    own = im.resolve("ml.inf2.xlarge", InstanceMetrics(vcpus=4, gpus=0))
    assert own is not None and (own.vcpus, own.gpus) == (4, 0)
    assert im.resolve("ml.m5.xlarge", InstanceMetrics(gpus=2)) == im.InstanceType(4, 16.0, 2)


@given(
    busy=st.floats(0.0, 50.0),
    z=st.lists(st.floats(-6.0, 6.0), min_size=1, max_size=8),
    metric=st.sampled_from(INSTANCE_METRICS),
)
def test_scalar_and_array_agree_and_stay_in_range(busy: float, z: list[float], metric: str) -> None:
    zs = np.asarray(z)
    one = im.instance_values(metric, DEFAULT, G5, busy, zs)
    block = im.instance_values(metric, DEFAULT, G5, np.array([busy, busy]), np.stack([zs, zs]))
    assert np.array_equal(block[0], one) and np.array_equal(block[1], one)
    _, cap = im.level(metric, DEFAULT, G5, busy)
    assert ((one >= 0.0) & (one <= cap)).all()


def test_sample_stats_counts_only_present_instances() -> None:
    values = np.array([[10.0, 20.0, 99.0], [5.0, 99.0, 99.0]])
    present = np.array([[True, True, False], [True, False, False]])
    count, total, low, high = im.sample_stats(values, present)
    assert count.tolist() == [2.0, 1.0]
    assert total.tolist() == [30.0, 5.0]
    assert low.tolist() == [10.0, 5.0] and high.tolist() == [20.0, 5.0]


# --------------------------------------------------------------------------- binding

BASE = load_scenario("seed-canary-success")
DIMS = {"EndpointName": BASE.endpoint.name, "VariantName": BASE.endpoint.variant_name}
GREEN = BASE.endpoint.green.name
GPU_GREEN = Models(green=ModelBehaviour(instance_metrics=InstanceMetrics(gpus=1)))


@pytest.mark.parametrize(
    ("metric", "dims", "models", "fleets"),
    [
        ("CPUUtilization", DIMS, None, ("blue", "green")),
        (
            "CPUUtilization",
            {**DIMS, "EndpointConfigName": BASE.endpoint.green.name},
            None,
            ("green",),
        ),
        ("CPUUtilization", {**DIMS, "InstanceId": "i-1"}, None, ()),  # enhanced metrics only
        ("GPUUtilization", DIMS, None, ()),  # ml.m5.xlarge has no GPU
        (
            "GPUUtilization",
            DIMS,
            Models(green=ModelBehaviour(instance_metrics=InstanceMetrics(gpus=1))),
            ("green",),
        ),
        ("ModelSetupTime", DIMS, None, ()),
    ],
)
def test_binding(
    metric: str, dims: dict[str, str], models: Models | None, fleets: tuple[str, ...]
) -> None:
    src = bind_source(INSTANCE_NAMESPACE, metric, dims, "Average", BASE.endpoint, None, models)
    assert src.fleets == fleets
    # the invocation metrics' namespace does not hold them
    assert bind_source("AWS/SageMaker", metric, dims, "Average", BASE.endpoint, None).fleets == ()


# --------------------------------------------------------------------------- validation


def _with_alarm(alarm_patch: dict[str, Any], models: dict[str, Any] | None = None) -> Any:
    data = BASE.to_dict()
    alarm = {
        "AlarmName": "cpu",
        "Namespace": INSTANCE_NAMESPACE,
        "MetricName": "CPUUtilization",
        "Statistic": "Average",
        "Dimensions": [{"Name": k, "Value": v} for k, v in DIMS.items()],
        "Period": 60,
        "EvaluationPeriods": 1,
        "Threshold": 90,
        "ComparisonOperator": "GreaterThanThreshold",
    }
    alarm.update(alarm_patch)
    alarm = {k: v for k, v in alarm.items() if v is not None}
    data["alarms"] = [alarm]
    data["deployment_config"]["AutoRollbackConfiguration"] = {"Alarms": [{"AlarmName": "cpu"}]}
    if models:
        data["models"] = models
    return check_scenario_dict(data)


def test_a_cpu_alarm_is_valid_and_not_warned_about() -> None:
    result = _with_alarm({})
    assert result.errors == ()
    assert not [p for p in result.problems if "sees no data" in p.message]


def test_an_extended_statistic_of_an_instance_metric_is_refused_with_its_path() -> None:
    result = _with_alarm({"Statistic": None, "ExtendedStatistic": "p90"})
    assert [p.path for p in result.errors] == ["alarms[0].ExtendedStatistic"]
    assert "basic statistics only" in result.errors[0].message


def test_an_unknown_instance_type_needs_its_vcpus() -> None:
    data = BASE.to_dict()
    for fleet in ("blue", "green"):
        data["endpoint"][fleet]["ProductionVariants"][0]["InstanceType"] = "ml.inf2.xlarge"
    result = _with_alarm({})
    assert result.errors == ()  # the built-in's types are known
    data["alarms"] = _with_alarm({}).scenario.to_dict()["alarms"]
    data["deployment_config"]["AutoRollbackConfiguration"] = {"Alarms": [{"AlarmName": "cpu"}]}
    bad = check_scenario_dict(data)
    assert sorted(p.path for p in bad.errors) == [
        "models.blue.instance_metrics.vcpus",
        "models.green.instance_metrics.vcpus",
    ]
    data["models"]["blue"]["instance_metrics"] = {"vcpus": 4}
    data["models"]["green"]["instance_metrics"] = {"vcpus": 4}
    assert check_scenario_dict(data).errors == ()


def test_a_gpu_metric_on_cpu_instances_is_warned_about() -> None:
    result = _with_alarm({"MetricName": "GPUUtilization"})
    assert result.errors == ()
    (warning,) = [p for p in result.problems if "GPU instance types only" in p.message]
    assert warning.path == "alarms[0].MetricName"
