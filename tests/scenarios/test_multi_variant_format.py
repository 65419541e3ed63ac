"""Multi-variant endpoints in the scenario format: each refusal at its exact field path, and the
split into one single-variant lane per variant (traffic shares from the weights, per-variant
models, each alarm in the lane of the variant it reads)."""

from __future__ import annotations

import copy
from typing import Any

import pytest
import yaml

from guardsim.errors import ScenarioError
from guardsim.scenarios import library, read_scenario
from guardsim.scenarios.loading import scenario_from_dict
from guardsim.scenarios.variants import lanes, shares

NAME = "multi-variant-canary-rollback"


def raw() -> dict[str, Any]:
    data = yaml.safe_load(library.text(NAME))
    assert isinstance(data, dict)
    return data


def errors_of(data: dict[str, Any]) -> dict[str, str]:
    with pytest.raises(ScenarioError) as info:
        scenario_from_dict(data)
    return {p.path: p.message for p in info.value.problems if p.severity == "error"}


def test_builtin_is_valid_and_splits_into_two_lanes() -> None:
    result = read_scenario(NAME)
    assert result.scenario is not None, result.errors
    s = result.scenario
    assert shares(s.endpoint) == (0.75, 0.25)
    a, b = lanes(s)
    assert (a.variant_name, a.share, b.variant_name, b.share) == ("ModelA", 0.75, "ModelB", 0.25)
    assert a.scenario.traffic.rate_per_second == 15.0 and b.scenario.traffic.rate_per_second == 5.0
    assert [v.variant_name for v in b.scenario.endpoint.blue.variants] == ["ModelB"]
    assert b.scenario.endpoint.green.instance_count == 2
    # ModelB's own new model; ModelA falls back to models.green
    assert b.scenario.models.green.error_rate_5xx == 0.2
    assert a.scenario.models.green.error_rate_5xx == 0.0
    assert [x.name for x in a.scenario.alarms] == ["model-a-new-5xx"]
    assert [x.name for x in b.scenario.alarms] == ["model-b-new-5xx"]


def test_single_variant_scenario_is_its_own_lane() -> None:
    result = read_scenario("seed-canary-rollback")
    assert result.scenario is not None
    (lane,) = lanes(result.scenario)
    assert lane.scenario is result.scenario and lane.share == 1.0


def test_definition_round_trips_with_variant_models() -> None:
    result = read_scenario(NAME)
    assert result.scenario is not None
    data = result.scenario.to_dict()
    assert data["models"]["variants"] == {
        "ModelB": {"green": data["models"]["variants"]["ModelB"]["green"]}
    }
    assert scenario_from_dict(data) == result.scenario
    single = read_scenario("seed-canary-rollback").scenario
    assert single is not None and "variants" not in single.to_dict()["models"]


def test_rolling_update_of_a_multi_variant_endpoint_is_refused() -> None:
    data = raw()
    data["deployment_config"] = {
        "RollingUpdatePolicy": {
            "MaximumBatchSize": {"Type": "INSTANCE_COUNT", "Value": 1},
            "WaitIntervalInSeconds": 60,
        },
        "AutoRollbackConfiguration": data["deployment_config"]["AutoRollbackConfiguration"],
    }
    errors = errors_of(data)
    assert (
        "rolling deployments exclude multi-variant endpoints"
        in errors["deployment_config.RollingUpdatePolicy"]
    )
    assert (
        "deployment-guardrails-exclusions.html" in errors["deployment_config.RollingUpdatePolicy"]
    )


def test_green_must_keep_every_variant_and_its_weight() -> None:
    data = raw()
    green = data["endpoint"]["green"]["ProductionVariants"]
    green[0]["InitialVariantWeight"] = 1
    del green[1]
    errors = errors_of(data)
    assert "weight (3 -> 1)" in errors["endpoint.green.ProductionVariants[0].InitialVariantWeight"]
    assert "'ModelB'" in errors["endpoint.green.ProductionVariants"]


def test_renamed_variant_and_unknown_variant_models_are_refused() -> None:
    data = raw()
    data["endpoint"]["green"]["ProductionVariants"][1]["VariantName"] = "ModelC"
    data["models"]["variants"]["ModelX"] = {}
    errors = errors_of(data)
    assert (
        "'ModelC' is not a variant of the blue config"
        in errors["endpoint.green.ProductionVariants[1].VariantName"]
    )
    assert "'ModelX' is not a variant of the endpoint" in errors["models.variants.ModelX"]


def test_duplicate_variant_names_are_refused() -> None:
    data = raw()
    data["endpoint"]["blue"]["ProductionVariants"][1]["VariantName"] = "ModelA"
    errors = errors_of(data)
    assert "listed twice" in errors["endpoint.blue.ProductionVariants[1].VariantName"]


def _metric(variant: str, metric: str) -> dict[str, Any]:
    return {
        "Metric": {
            "Namespace": "AWS/SageMaker",
            "MetricName": metric,
            "Dimensions": [
                {"Name": "EndpointName", "Value": "ab-test-endpoint"},
                {"Name": "VariantName", "Value": variant},
            ],
        },
        "Period": 60,
        "Stat": "Sum",
    }


def test_an_alarm_over_two_variants_is_refused() -> None:
    data = raw()
    data["alarms"].append(
        {
            "AlarmName": "both",
            "EvaluationPeriods": 1,
            "Threshold": 1,
            "ComparisonOperator": "GreaterThanThreshold",
            "Metrics": [
                {"Id": "a", "ReturnData": False, "MetricStat": _metric("ModelA", "Invocations")},
                {"Id": "b", "ReturnData": False, "MetricStat": _metric("ModelB", "Invocations")},
                {"Id": "e", "Expression": "a + b", "ReturnData": True},
            ],
        }
    )
    errors = errors_of(data)
    assert "reads several variants' metrics (ModelA, ModelB)" in errors["alarms[2].Metrics"]


def test_a_composite_over_two_variants_is_refused() -> None:
    data = raw()
    data["alarms"].append(
        {"AlarmName": "any", "AlarmRule": 'ALARM("model-a-new-5xx") OR ALARM("model-b-new-5xx")'}
    )
    errors = errors_of(data)
    assert "combines alarms of several variants (ModelA, ModelB)" in errors["alarms[2].AlarmRule"]


def test_linear_steps_that_differ_per_variant_are_refused() -> None:
    data = raw()
    data["deployment_config"]["BlueGreenUpdatePolicy"]["TrafficRoutingConfiguration"] = {
        "Type": "LINEAR",
        "LinearStepSize": {"Type": "CAPACITY_PERCENT", "Value": 25},
        "WaitIntervalInSeconds": 60,
    }
    errors = errors_of(data)
    path = "deployment_config.BlueGreenUpdatePolicy.TrafficRoutingConfiguration.LinearStepSize"
    assert "different numbers of steps (ModelA: 3, ModelB: 2)" in errors[path]


def test_custom_metrics_on_a_multi_variant_endpoint_are_refused() -> None:
    data = copy.deepcopy(raw())
    data["models"]["green"]["custom_metrics"] = [
        {"namespace": "Shop", "metric_name": "Clicks", "value": "constant"}
    ]
    errors = errors_of(data)
    assert "not simulated on a multi-variant endpoint" in errors["models.green.custom_metrics"]
