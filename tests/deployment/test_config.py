"""The DeploymentConfig SageMaker applies (guardsim.deployment.config, aws-model.md #exclusions,
D8)."""

from __future__ import annotations

import pytest

from guardsim.deployment.config import effective_deployment_config
from guardsim.deployment.plan import plan_steps
from guardsim.scenarios import load_scenario, scenario_from_dict
from guardsim.scenarios.scenario import Scenario


def _with_types(name: str, blue: str | None, green: str | None) -> Scenario:
    data = load_scenario(name).to_dict()
    for color, itype in (("blue", blue), ("green", green)):
        if itype is not None:
            data["endpoint"][color]["ProductionVariants"][0]["InstanceType"] = itype
    return scenario_from_dict(data)  # raises ScenarioError with every problem if invalid


@pytest.mark.parametrize("name", ["seed-canary-rollback", "seed-linear-success"])
@pytest.mark.parametrize(
    ("blue", "green"),
    [("ml.inf1.xlarge", None), (None, "ml.inf1.2xlarge"), ("ml.inf1.xlarge", "ml.inf1.xlarge")],
)
def test_inf1_on_either_fleet_falls_back_to_all_at_once_without_a_final_bake(
    name: str, blue: str | None, green: str | None
) -> None:
    scenario = _with_types(name, blue, green)
    config = effective_deployment_config(scenario)
    assert config is not scenario.deployment_config
    assert config.policy_kind == "ALL_AT_ONCE"
    assert config.blue_green is not None
    assert config.blue_green.termination_wait_seconds == 0
    # kept: the alarms (they never get a bake to act in) and the execution timeout
    assert config.auto_rollback == scenario.deployment_config.auto_rollback
    assert (
        config.maximum_execution_timeout_seconds
        == scenario.deployment_config.maximum_execution_timeout_seconds
    )
    steps = plan_steps(config, scenario.endpoint.green.instance_count, "ceil")
    assert [(s.kind, s.bake_seconds) for s in steps] == [("all_at_once", 0)]


@pytest.mark.parametrize("itype", ["ml.inf2.xlarge", "ml.g4dn.xlarge", "ml.m5.large"])
def test_other_instance_types_keep_the_scenarios_config(itype: str) -> None:
    scenario = _with_types("seed-canary-rollback", itype, itype)
    assert effective_deployment_config(scenario) is scenario.deployment_config
