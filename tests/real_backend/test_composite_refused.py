"""The real backend refuses a scenario with composite alarms, before any call (it does not create
them yet; running without them would test a different guardrail)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from guardsim.cli import main
from guardsim.errors import UnsupportedError
from guardsim.real_backend.plan import plan_run
from guardsim.scenarios import check_scenario_dict, load_scenario


def _composite_data() -> dict[str, object]:
    data = load_scenario("seed-canary-rollback").to_dict()
    names = [a["AlarmName"] for a in data["alarms"]]
    data["alarms"].append({"AlarmName": "either", "AlarmRule": f"ALARM({names[0]})"})
    return data


def test_plan_refuses_composites() -> None:
    result = check_scenario_dict(_composite_data())
    assert result.scenario is not None
    with pytest.raises(UnsupportedError, match="does not create composite alarms yet"):
        plan_run(result.scenario, "r1")


def test_the_cli_says_so_with_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump(_composite_data()))
    assert main(["real", "plan", str(path)]) == 2
    err = capsys.readouterr().err
    assert "composite alarms" in err and "Traceback" not in err
