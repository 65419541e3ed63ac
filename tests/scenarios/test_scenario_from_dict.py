"""``scenario_from_dict`` returns a Scenario or raises with every problem; ``check_scenario_dict``
returns the problems (and the warnings) without raising."""

from __future__ import annotations

import pytest

from guardsim import ScenarioError, load_scenario, scenario_from_dict, simulate
from guardsim.scenarios import LoadResult, Scenario, check_scenario_dict


def test_valid_data_gives_a_scenario_that_simulates() -> None:
    data = load_scenario("seed-canary-rollback").to_dict()
    scenario = scenario_from_dict(data)
    assert isinstance(scenario, Scenario)
    assert scenario == load_scenario("seed-canary-rollback")
    assert simulate(scenario, seed=1, mode="fast").outcome == "ROLLED_BACK"


def test_invalid_data_raises_with_every_problem_and_its_path() -> None:
    data = load_scenario("seed-canary-rollback").to_dict()
    data["traffic"]["rate_per_second"] = -1
    data["models"]["green"]["error_rate_5xx"] = 2
    with pytest.raises(ScenarioError) as caught:
        scenario_from_dict(data, source="my-data")
    paths = {p.path for p in caught.value.problems}
    assert {"traffic.rate_per_second", "models.green.error_rate_5xx"} <= paths
    assert "my-data" in str(caught.value)


def test_check_scenario_dict_returns_the_problems_and_the_warnings() -> None:
    data = load_scenario("seed-canary-rollback").to_dict()
    result = check_scenario_dict(data)
    assert isinstance(result, LoadResult) and result.scenario is not None
    assert result.errors == () and result.warnings  # the seed's unreachable-threshold warning
    data["traffic"]["rate_per_second"] = -1
    bad = check_scenario_dict(data)
    assert bad.scenario is None
    assert [p.path for p in bad.errors] == ["traffic.rate_per_second"]
