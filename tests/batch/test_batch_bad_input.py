"""What the batch engine raises for input it cannot use: an unreadable replay file is a
ReplayFileError, not the SimulationError that means a bug. (Since issue 14 it runs every
scenario the validator accepts: no scenario is a BatchUnsupportedError any more.)"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from guardsim.batch import run_batch
from guardsim.errors import ReplayFileError, SimulationError
from guardsim.scenarios import library, load_scenario, scenario_from_dict


@pytest.mark.parametrize("name", library.names())
def test_every_built_in_runs_in_the_batch_engine(name: str) -> None:
    """The two built-ins this test used to refuse (a rolling update, a metric-math alarm) run
    now, like every other: nothing is a BatchUnsupportedError."""
    scenario = load_scenario(name)
    rows = run_batch(scenario, seed=0, start=0, stop=1)
    assert [r[0] for r in rows] == [0]


def test_a_replay_file_gone_after_loading_names_the_field(tmp_path: Path) -> None:
    replay = tmp_path / "traffic.csv"
    replay.write_text("count\n" + "600\n" * 30, encoding="utf-8")
    data = yaml.safe_load(library.text("seed-canary-rollback"))
    data["traffic"]["replay_file"] = str(replay)
    data["traffic"]["arrivals"] = "poisson"
    scenario = scenario_from_dict(data)
    assert scenario is not None
    assert len(run_batch(scenario, seed=0, start=0, stop=1)) == 1
    replay.unlink()
    with pytest.raises(ReplayFileError) as info:
        run_batch(scenario, seed=0, start=0, stop=1)
    assert not isinstance(info.value, SimulationError)
    assert info.value.problems[0].path == "traffic.replay_file"
