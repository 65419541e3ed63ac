"""What the batch engine raises for input it cannot use: a scenario it does not support is a
BatchUnsupportedError naming the reason (choose mode fast), an unreadable replay file a
ReplayFileError; neither is the SimulationError that means a bug."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from guardsim.batch import batch_unsupported, run_batch
from guardsim.errors import BatchUnsupportedError, ReplayFileError, SimulationError
from guardsim.scenarios import library, load_scenario, scenario_from_dict


@pytest.mark.parametrize("name", ["rolling-batch-rollback"])
def test_an_unsupported_scenario_says_why_and_what_to_do(name: str) -> None:
    scenario = load_scenario(name)
    reason = batch_unsupported(scenario)
    assert reason is not None
    with pytest.raises(BatchUnsupportedError) as info:
        run_batch(scenario, seed=0, start=0, stop=1)
    assert not isinstance(info.value, SimulationError)
    assert info.value.reason == reason
    assert info.value.scenario == scenario.name
    assert "use mode fast" in str(info.value)


def test_a_replay_file_gone_after_loading_names_the_field(tmp_path: Path) -> None:
    replay = tmp_path / "traffic.csv"
    replay.write_text("count\n" + "600\n" * 30, encoding="utf-8")
    data = yaml.safe_load(library.text("seed-canary-rollback"))
    data["traffic"]["replay_file"] = str(replay)
    data["traffic"]["arrivals"] = "poisson"  # the batch engine replays Poisson arrivals only
    scenario = scenario_from_dict(data)
    assert scenario is not None
    assert batch_unsupported(scenario) is None
    replay.unlink()
    with pytest.raises(ReplayFileError) as info:
        run_batch(scenario, seed=0, start=0, stop=1)
    assert info.value.problems[0].path == "traffic.replay_file"
