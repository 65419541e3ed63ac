"""Loading is strict and round-trips: scenario -> dict -> scenario is the identity, and the
boto3-shaped parts (DeploymentConfig, put_metric_alarm arguments, create_endpoint_config
arguments) come back exactly as the file gave them."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from scenario_dicts import BASE, DELETE, TRC, modified, rolling

from guardsim.scenarios import Scenario, check_scenario_dict, library, read_scenario

NAMES = library.names()


def builtin(name: str) -> Scenario:
    result = read_scenario(name)
    assert result.scenario is not None, result.errors
    return result.scenario


def raw_yaml(name: str) -> dict[str, Any]:
    data = yaml.safe_load(library.text(name))
    assert isinstance(data, dict)
    return data


def test_there_are_six_builtins() -> None:
    assert NAMES == (
        "all-at-once-final-bake",
        "component-extra-instance-success",
        "component-llm-latency-rollback",
        "low-traffic-canary",
        "multi-variant-canary-rollback",
        "rolling-batch-rollback",
        "seed-canary-rollback",
        "seed-canary-success",
        "seed-linear-rollback",
        "seed-linear-success",
    )


@pytest.mark.parametrize("name", NAMES)
def test_scenario_to_dict_to_scenario_is_identity(name: str) -> None:
    scenario = builtin(name)
    again = check_scenario_dict(scenario.to_dict(), source=f"roundtrip:{name}")
    assert again.errors == ()
    assert again.scenario == scenario


@pytest.mark.parametrize("name", NAMES)
def test_to_dict_is_plain_data_that_survives_yaml_and_json(name: str) -> None:
    data = builtin(name).to_dict()
    assert yaml.safe_load(yaml.safe_dump(data, sort_keys=False)) == data
    assert json.loads(json.dumps(data)) == data
    # Loading the dumped dict and dumping it again changes nothing.
    again = check_scenario_dict(data).scenario
    assert again is not None
    assert again.to_dict() == data


@pytest.mark.parametrize("name", NAMES)
def test_deployment_config_comes_back_exactly(name: str) -> None:
    scenario = builtin(name)
    given = raw_yaml(name)["deployment_config"]
    assert scenario.to_dict()["deployment_config"] == given
    if scenario.inference_component is None:  # a component's is its unit view (in copies)
        assert scenario.deployment_config.to_boto() == given


@pytest.mark.parametrize("name", NAMES)
def test_alarms_come_back_exactly(name: str) -> None:
    scenario = builtin(name)
    given = raw_yaml(name)["alarms"]
    assert [a.to_boto() for a in scenario.alarms] == given
    assert scenario.to_dict()["alarms"] == given


@pytest.mark.parametrize("name", NAMES)
def test_endpoint_configs_come_back_exactly(name: str) -> None:
    scenario = builtin(name)
    given = raw_yaml(name)["endpoint"]
    assert scenario.to_dict()["endpoint"] == given
    if scenario.inference_component is not None:  # the endpoint's own config, no green one
        assert scenario.inference_component.endpoint.to_boto() == given["blue"]
        return
    assert scenario.endpoint.blue.to_boto() == given["blue"]
    assert scenario.endpoint.green.to_boto() == given["green"]
    assert scenario.endpoint.to_data() == given


@pytest.mark.parametrize("name", NAMES)
def test_json_and_yaml_forms_load_to_equal_scenarios(name: str, tmp_path: Path) -> None:
    path = tmp_path / f"{name}.json"
    path.write_text(json.dumps(raw_yaml(name), indent=2), encoding="utf-8")
    from_json = read_scenario(path)
    assert from_json.errors == ()
    assert from_json.scenario == builtin(name)


def test_yaml_file_and_builtin_load_to_equal_scenarios(tmp_path: Path) -> None:
    path = tmp_path / "copy.yaml"
    path.write_text(library.text("seed-canary-rollback"), encoding="utf-8")
    assert read_scenario(path).scenario == builtin("seed-canary-rollback")


def test_omitted_optional_members_stay_omitted() -> None:
    # A minimal DeploymentConfig and alarm: no TerminationWait, no timeout, no
    # DatapointsToAlarm, no TreatMissingData. to_boto() must not add AWS's defaults.
    deployment_config = {
        "BlueGreenUpdatePolicy": {
            "TrafficRoutingConfiguration": {
                "Type": "CANARY",
                "CanarySize": {"Type": "INSTANCE_COUNT", "Value": 1},
                "WaitIntervalInSeconds": 300,
            },
        },
        "AutoRollbackConfiguration": {"Alarms": [{"AlarmName": "shop-ranker-5xx"}]},
    }
    alarm = {
        "AlarmName": "shop-ranker-5xx",
        "MetricName": "Invocation5XXErrors",
        "Namespace": "AWS/SageMaker",
        "Statistic": "Sum",
        "Period": 60,
        "EvaluationPeriods": 1,
        "Threshold": 5,
        "ComparisonOperator": "GreaterThanThreshold",
    }
    result = check_scenario_dict(
        modified({"deployment_config": deployment_config, "alarms": [alarm]})
    )
    assert result.scenario is not None, result.errors
    assert result.scenario.deployment_config.to_boto() == deployment_config
    assert result.scenario.alarms[0].to_boto() == alarm
    assert result.scenario.alarms[0].effective_datapoints_to_alarm == 1
    assert result.scenario.alarms[0].effective_treat_missing_data == "missing"
    assert result.scenario.deployment_config.termination_wait_seconds == 0


def test_passthrough_alarm_members_come_back_exactly() -> None:
    alarm = copy.deepcopy(BASE["alarms"][0]) | {
        "AlarmDescription": "5XX fraction of the endpoint",
        "ActionsEnabled": False,
        "AlarmActions": ["arn:aws:sns:us-east-1:123456789012:pager"],
        "OKActions": [],
        "Unit": "None",
        "Tags": [{"Key": "team", "Value": "ranking"}],
    }
    result = check_scenario_dict(modified({"alarms": [alarm]}))
    assert result.scenario is not None, result.errors
    assert result.scenario.alarms[0].to_boto() == alarm
    assert check_scenario_dict(result.scenario.to_dict()).scenario == result.scenario


def test_extra_variant_and_endpoint_config_members_come_back_exactly() -> None:
    changes = {
        "endpoint.green.ProductionVariants[0].ModelName": "ranker-v2",
        "endpoint.green.ProductionVariants[0].InitialVariantWeight": 1.0,
        "endpoint.green.Tags": [{"Key": "team", "Value": "ranking"}],
        "endpoint.green.KmsKeyId": "alias/ranker",
    }
    raw = modified(changes)
    result = check_scenario_dict(raw)
    assert result.scenario is not None, result.errors
    assert result.scenario.endpoint.green.to_boto() == raw["endpoint"]["green"]
    assert check_scenario_dict(result.scenario.to_dict()).scenario == result.scenario


@pytest.mark.parametrize(
    "changes",
    [
        rolling(
            {"Type": "CAPACITY_PERCENT", "Value": 25},
            RollbackMaximumBatchSize={"Type": "INSTANCE_COUNT", "Value": 2},
        ),
        {
            f"{TRC}.Type": "LINEAR",
            f"{TRC}.CanarySize": DELETE,
            f"{TRC}.LinearStepSize": {"Type": "CAPACITY_PERCENT", "Value": 25},
        },
        {
            f"{TRC}.Type": "ALL_AT_ONCE",
            f"{TRC}.CanarySize": DELETE,
            f"{TRC}.WaitIntervalInSeconds": 0,
        },
        {"deployment_config.BlueGreenUpdatePolicy": DELETE},
    ],
    ids=["rolling", "linear", "all-at-once", "no-policy"],
)
def test_every_policy_kind_round_trips(changes: dict[str, Any]) -> None:
    raw = modified(changes)
    result = check_scenario_dict(raw)
    assert result.scenario is not None, result.errors
    assert result.scenario.deployment_config.to_boto() == raw["deployment_config"]
    assert check_scenario_dict(result.scenario.to_dict()).scenario == result.scenario


def test_integer_valued_float_in_own_sections_round_trips() -> None:
    # guardsim's own sections accept 10 for a float and 10.0 for an int; the loaded value has
    # the declared type, so the round trip is the identity on the Scenario.
    result = check_scenario_dict(modified({"traffic.rate_per_second": 10, "simulation.seed": 3.0}))
    scenario = result.scenario
    assert scenario is not None, result.errors
    assert isinstance(scenario.traffic.rate_per_second, float)
    assert isinstance(scenario.simulation.seed, int)
    assert check_scenario_dict(scenario.to_dict()).scenario == scenario
