"""Runs that exercise nothing: the three checks, the lint rule, and the CLI warnings."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest

from guardsim.cli.main import main
from guardsim.lint import lint
from guardsim.lint.exercise import unexercised
from guardsim.scenarios import Scenario, check_scenario_dict, load_scenario

BASE = "seed-canary-success"
TRC = ("deployment_config", "BlueGreenUpdatePolicy", "TrafficRoutingConfiguration")


def changed(edit: Any) -> Scenario:
    data = load_scenario(BASE).to_dict()
    edit(data)
    result = check_scenario_dict(data)
    assert result.scenario is not None, result.errors
    return result.scenario


def no_traffic(d: dict[str, Any]) -> None:
    d["traffic"]["rate_per_second"] = 0.0


def custom_metrics(d: dict[str, Any]) -> None:
    for alarm in d["alarms"]:
        alarm["Namespace"] = "MyApp"
        alarm["MetricName"] = "CheckoutFailures"


def short_bakes(d: dict[str, Any]) -> None:
    policy = d["deployment_config"]["BlueGreenUpdatePolicy"]
    policy["TrafficRoutingConfiguration"]["WaitIntervalInSeconds"] = 60
    policy["TerminationWaitInSeconds"] = 0
    for alarm in d["alarms"]:
        alarm.update(Period=300, EvaluationPeriods=3, DatapointsToAlarm=3)


@pytest.mark.parametrize(
    "name",
    [
        "seed-canary-success",
        "seed-canary-rollback",
        "seed-linear-success",
        "seed-linear-rollback",
        "all-at-once-final-bake",
        "rolling-batch-rollback",
    ],
)
def test_the_shipped_scenarios_exercise_something(name: str) -> None:
    assert unexercised(load_scenario(name)) == []


def test_no_traffic_on_the_new_fleet() -> None:
    [u] = unexercised(changed(no_traffic))
    assert u.code == "no-green-traffic" and u.path == "traffic.rate_per_second"
    assert "0 requests expected over 420 s of bakes" in u.message  # 300 s canary + 120 s final


def test_a_trickle_of_traffic_is_enough() -> None:
    def trickle(d: dict[str, Any]) -> None:
        d["traffic"]["rate_per_second"] = 0.01  # ~4 requests over the bakes, 1/3 then all green

    assert unexercised(changed(trickle)) == []


def test_alarms_on_metrics_no_model_emits() -> None:
    found = unexercised(changed(custom_metrics))
    assert [u.code for u in found] == ["alarm-without-data", "alarm-without-data"]
    assert [u.path for u in found] == ["alarms[0]", "alarms[1]"]
    assert "MyApp/CheckoutFailures, which no model emits" in found[0].message


def test_alarm_whose_dimensions_match_nothing() -> None:
    def wrong_endpoint(d: dict[str, Any]) -> None:
        d["alarms"][0]["Dimensions"][0]["Value"] = "some-other-endpoint"

    [u] = unexercised(changed(wrong_endpoint))
    assert u.path == "alarms[0].Dimensions" and "match no metric" in u.message


def test_deployment_over_before_any_alarm_can_evaluate() -> None:
    scenario = changed(short_bakes)
    [u] = unexercised(scenario)
    assert u.code == "ends-before-evaluation"
    assert u.path == ".".join(TRC) + ".WaitIntervalInSeconds"
    # the 60 s canary bake, the full flip's activation, no final bake; 300 s x 3 datapoints
    span = 60 + scenario.environment.activation_seconds.mean
    assert f"over {span:.0f} s after traffic first moves" in u.message
    assert "needs at least 9" in u.message  # 900 s plus the mean publish delay and reaction


def test_long_enough_bake_is_not_reported() -> None:
    def long_bake(d: dict[str, Any]) -> None:
        short_bakes(d)
        d["deployment_config"]["BlueGreenUpdatePolicy"]["TerminationWaitInSeconds"] = 1200

    assert [u.code for u in unexercised(changed(long_bake))] == []


def test_lint_reports_it_as_a_warning_finding() -> None:
    report = lint(changed(no_traffic), replications=20)
    found = [f for f in report.findings if f.rule == "exercises-nothing"]
    assert len(found) == 1
    assert found[0].severity == "warning" and found[0].path == "traffic.rate_per_second"
    assert found[0].evidence["config"] == {"reason": "no-green-traffic"}


def run_cli(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    return main(list(args), out, err), out.getvalue(), err.getvalue()


def test_run_mc_and_sweep_print_warnings_not_errors(tmp_path: Path) -> None:
    path = tmp_path / "zero.json"
    scenario = changed(no_traffic)
    data = scenario.to_dict()
    data["simulation"].update(warmup_seconds=300.0, cooldown_seconds=0.0)
    path.write_text(json.dumps(data))
    warning = "guardsim: warning: traffic.rate_per_second: no traffic reaches the new fleet"

    status, out, err = run_cli("run", str(path), "--mode", "fast")
    assert status == 0 and "SUCCEEDED" in out
    assert err.count(warning) == 1

    status, _, err = run_cli("mc", str(path), "-n", "5", "--workers", "1", "--mode", "fast")
    assert status == 0 and err.count(warning) == 1

    vary = "alarms[0].Threshold=0.5,1"
    status, _, err = run_cli(
        "sweep", str(path), "--vary", vary, "-n", "3", "--workers", "1", "--mode", "fast",
        "--no-checkpoint",
    )  # fmt: skip
    assert status == 0
    assert err.count(warning) == 1  # shared by every configuration: printed once, unlabelled


def test_sweep_names_the_configurations_a_warning_applies_to(tmp_path: Path) -> None:
    path = tmp_path / "s.json"
    data = load_scenario(BASE).to_dict()
    data["simulation"].update(warmup_seconds=300.0, cooldown_seconds=0.0)
    path.write_text(json.dumps(data))
    status, _, err = run_cli(
        "sweep", str(path), "--vary", "traffic.rate_per_second=0,1", "-n", "3", "--workers", "1",
        "--mode", "fast", "--no-checkpoint",
    )  # fmt: skip
    assert status == 0
    warnings = [line for line in err.splitlines() if "warning" in line]
    assert len(warnings) == 1
    assert warnings[0].startswith(
        "guardsim: warning: traffic.rate_per_second=0: traffic.rate_per_second: no traffic"
    )
