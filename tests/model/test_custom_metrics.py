"""Custom metrics (guardsim.model.custom_metrics): the kernel, the binding and the checks."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from guardsim.cloudwatch.binding import bind_source
from guardsim.model import custom_metrics as cm
from guardsim.scenarios import check_scenario_dict, load_scenario
from guardsim.scenarios.models import CustomDimension, CustomMetric, ModelBehaviour, Models

DIMS = (CustomDimension("Model", "v2"),)


def _metric(**kw: Any) -> CustomMetric:
    return CustomMetric(**{"namespace": "MyApp", "metric_name": "Errors", "dimensions": DIMS, **kw})


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        # 10 requests, 2 4XX, 3 5XX
        ("error", (10.0, 5.0, 0.0, 1.0)),
        ("error_4xx", (10.0, 2.0, 0.0, 1.0)),
        ("error_5xx", (10.0, 3.0, 0.0, 1.0)),
        ("success", (10.0, 5.0, 0.0, 1.0)),
        ("constant", (10.0, 25.0, 2.5, 2.5)),
        ("latency_ms", (10.0, 120.0, 4.0, 30.0)),
    ],
)
def test_per_request_statistic_sets(value: str, expected: tuple[float, ...]) -> None:
    metric = _metric(value=value, constant=2.5)
    latency_us = (120_000.0, 4_000.0, 30_000.0)
    assert cm.request_stats(metric, 10, 2, 3, latency_us) == pytest.approx(expected)


def test_an_all_error_minute_has_minimum_one_and_a_clean_one_maximum_zero() -> None:
    assert cm.request_stats(_metric(), 4, 0, 4, None) == (4.0, 4.0, 1.0, 1.0)
    assert cm.request_stats(_metric(), 4, 0, 0, None) == (4.0, 0.0, 0.0, 0.0)


def test_scalar_and_array_agree() -> None:
    n, e4, e5 = np.array([10, 4, 7]), np.array([2, 0, 0]), np.array([3, 4, 0])
    block = cm.request_stats(_metric(), n, e4, e5, None)
    for r in range(3):
        one = cm.request_stats(_metric(), int(n[r]), int(e4[r]), int(e5[r]), None)
        assert tuple(float(col[r]) for col in block) == one  # type: ignore[index]
    assert cm.minute_stats(7.0) == (1.0, 7.0, 7.0, 7.0)


def test_series_names_are_the_exact_series() -> None:
    a = cm.series_name("MyApp", "Errors", {"Model": "v2", "Stage": "prod"})
    assert a == cm.series_name("MyApp", "Errors", {"Stage": "prod", "Model": "v2"})
    assert a != cm.series_name("MyApp", "Errors", {"Model": "v2"})
    assert a.startswith(cm.PREFIX)


BASE = load_scenario("seed-canary-success")
GREEN = Models(green=ModelBehaviour(custom_metrics=(_metric(),)))
BOTH = Models(blue=ModelBehaviour(custom_metrics=(_metric(),)), green=GREEN.green)


@pytest.mark.parametrize(
    ("namespace", "dims", "models", "fleets"),
    [
        ("MyApp", {"Model": "v2"}, GREEN, ("green",)),
        ("MyApp", {"Model": "v2"}, BOTH, ("blue", "green")),  # one series, both publish
        ("MyApp", {}, GREEN, ()),  # dimensions must match exactly
        ("MyApp", {"Model": "v2", "Extra": "x"}, GREEN, ()),
        ("Other", {"Model": "v2"}, GREEN, ()),
        ("MyApp", {"Model": "v2"}, None, ()),
    ],
)
def test_binding(
    namespace: str, dims: dict[str, str], models: Models | None, fleets: tuple[str, ...]
) -> None:
    src = bind_source(namespace, "Errors", dims, "Average", BASE.endpoint, None, models)
    assert src.fleets == fleets
    if fleets:
        assert src.metric == cm.series_name(namespace, "Errors", dims)


def _scenario(alarm: dict[str, Any], metrics: list[dict[str, Any]]) -> Any:
    data = BASE.to_dict()
    data["models"]["green"]["custom_metrics"] = metrics
    merged = {**data["alarms"][0], **alarm}
    data["alarms"][0] = {k: v for k, v in merged.items() if v is not None}
    return check_scenario_dict(data)


CUSTOM = {
    "namespace": "MyApp",
    "metric_name": "Errors",
    "dimensions": [{"Name": "Model", "Value": "v2"}],
}
ON_IT = {
    "Namespace": "MyApp",
    "MetricName": "Errors",
    "Dimensions": [{"Name": "Model", "Value": "v2"}],
}


def test_an_alarm_on_a_published_series_is_valid_and_not_said_to_see_no_data() -> None:
    result = _scenario(ON_IT, [CUSTOM])
    assert result.errors == ()
    assert not [p for p in result.problems if p.path.startswith("alarms[0]")]
    elsewhere = _scenario({**ON_IT, "Namespace": "Other"}, [CUSTOM])
    assert [p.path for p in elsewhere.warnings if "sees no data" in p.message] == [
        "alarms[0].Namespace"
    ]


@pytest.mark.parametrize(
    ("metric", "path", "words"),
    [
        ({"namespace": "AWS/Mine"}, "namespace", "AWS/"),
        ({"unit": "Furlongs"}, "unit", "StandardUnit"),
        ({"storage_resolution": 5}, "storage_resolution", "1 or 60"),
        ({"per": "minute"}, "value", "per-minute"),
        ({"per": "minute", "value": "distribution"}, "distribution", "exactly when"),
    ],
)
def test_bad_custom_metrics_are_refused_with_their_path(
    metric: dict[str, Any], path: str, words: str
) -> None:
    result = _scenario({}, [{**CUSTOM, **metric}])
    (problem,) = result.errors
    assert problem.path == f"models.green.custom_metrics[0].{path}"
    assert words in problem.message


def test_what_guardsim_cannot_simulate_of_a_custom_metric_is_refused() -> None:
    extended = _scenario({**ON_IT, "Statistic": None, "ExtendedStatistic": "p90"}, [CUSTOM])
    assert [p.path for p in extended.errors] == ["alarms[0].ExtendedStatistic"]
    high_res = _scenario(
        {**ON_IT, "Period": 10, "EvaluationPeriods": 6}, [{**CUSTOM, "storage_resolution": 1}]
    )
    assert [p.path for p in high_res.errors] == ["alarms[0].Period"]
    twice = _scenario(ON_IT, [CUSTOM, CUSTOM])
    assert [p.path for p in twice.errors] == ["models.green.custom_metrics[1]"]
