"""Bad input reaching the SimPy engine is a BadInputError (exit 2 in the CLI), never the
SimulationError that means a bug."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from guardsim.errors import ArgumentError, ReplayFileError, SimulationError
from guardsim.scenarios import library, load_scenario, scenario_from_dict
from guardsim.scenarios.scenario import Scenario
from guardsim.simulator import simulate


def replay_scenario(tmp_path: Path) -> tuple[Scenario, Path]:
    """seed-canary-rollback driven by a replay file (valid when loaded)."""
    replay = tmp_path / "traffic.csv"
    replay.write_text("count\n" + "600\n" * 30, encoding="utf-8")
    data = yaml.safe_load(library.text("seed-canary-rollback"))
    data["traffic"]["replay_file"] = str(replay)
    data["traffic"]["arrivals"] = "poisson"
    return scenario_from_dict(data), replay


@pytest.mark.parametrize("mode", ["fast", "exact"])
def test_a_replay_file_gone_after_loading_names_the_field(tmp_path: Path, mode: str) -> None:
    scenario, replay = replay_scenario(tmp_path)
    replay.unlink()
    with pytest.raises(ReplayFileError) as info:
        simulate(scenario, seed=1, mode=mode)
    assert not isinstance(info.value, SimulationError)
    assert info.value.problems[0].path == "traffic.replay_file"
    assert f"file not found: {replay}" in str(info.value)


def test_an_unknown_mode_is_an_argument_error() -> None:
    scenario = load_scenario("seed-canary-rollback")
    with pytest.raises(ArgumentError, match="unknown mode 'quick'; use exact or fast"):
        simulate(scenario, seed=1, mode="quick")
