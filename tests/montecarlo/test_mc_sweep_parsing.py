"""--vary parsing, addressing the scenario data, and validating the grid before anything runs."""

from __future__ import annotations

import pytest

from guardsim.errors import SweepError
from guardsim.montecarlo.sweep import (
    Named,
    Vary,
    apply,
    locate,
    parse_path,
    parse_values,
    plan_sweep,
)
from guardsim.scenarios import Scenario

CANARY = "deployment_config.BlueGreenUpdatePolicy.TrafficRoutingConfiguration.CanarySize.Value"
WAIT = "deployment_config.BlueGreenUpdatePolicy.TrafficRoutingConfiguration.WaitIntervalInSeconds"
ERR_ALARM = "TEST-DEMO-Deployment-Guardrails-Canary-5XX-Errors"


@pytest.mark.parametrize(
    ("text", "steps"),
    [
        ("models.green.error_rate_5xx", ("models", "green", "error_rate_5xx")),
        ("alarms[0].Threshold", ("alarms", 0, "Threshold")),
        ("alarms[-1].Threshold", ("alarms", -1, "Threshold")),
        ("alarms[my.alarm-1].Period", ("alarms", Named("my.alarm-1"), "Period")),
        (
            "endpoint.blue.ProductionVariants[0].InitialInstanceCount",
            ("endpoint", "blue", "ProductionVariants", 0, "InitialInstanceCount"),
        ),
        ("models.green.faults[0]", ("models", "green", "faults", 0)),
    ],
)
def test_parse_path(text: str, steps: tuple[object, ...]) -> None:
    assert parse_path(text) == steps


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "empty path"),
        ("a..b", "empty key at character 3"),
        ("a.", "trailing"),
        ("alarms[0", "unclosed '['"),
        ("alarms[]", "empty []"),
        ("[0].x", "starts with a key"),
        ("alarms]0", "unmatched ']'"),
        ("alarms[0]Threshold", "expected '.' or '['"),
    ],
)
def test_parse_path_errors(text: str, message: str) -> None:
    with pytest.raises(SweepError, match=message.replace("[", r"\[").replace("]", r"\]")):
        parse_path(text)


@pytest.mark.parametrize(
    ("text", "values"),
    [
        ("1,2", (1, 2)),
        ("0,0.05", (0, 0.05)),
        ("true,false", (True, False)),
        ("notBreaching, breaching ,missing", ("notBreaching", "breaching", "missing")),
        ("null,1e-3", (None, 0.001)),
        ("60:300:60", (60, 120, 180, 240, 300)),
        ("60:299:60", (60, 120, 180, 240)),
        ("0:0.3:0.1", (0.0, 0.1, 0.2, 0.3)),
        ("5:1:-2", (5, 3, 1)),
        ("0,10:30:10", (0, 10, 20, 30)),
        ('[{"kind": "fixed", "value": 60}, 2]', ({"kind": "fixed", "value": 60}, 2)),
    ],
)
def test_parse_values(text: str, values: tuple[object, ...]) -> None:
    got = parse_values(text)
    assert got == values
    assert [type(v) for v in got] == [type(v) for v in values]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "empty item"),
        ("1,,2", "empty item"),
        ("1,1", "appears twice"),
        ("0,0.0", "appears twice"),
        ("1:5:0", "step must not be 0"),
        ("5:1:1", "never reaches"),
        ("0:1000000:1", "at most"),
        ("[1, 2", "invalid JSON"),
        ("[]", "no values"),
    ],
)
def test_parse_values_errors(text: str, message: str) -> None:
    with pytest.raises(SweepError, match=message):
        parse_values(text)


def test_vary_parse_errors_name_the_flag() -> None:
    with pytest.raises(SweepError, match=r"--vary models\.green: expected PATH=VALUES"):
        Vary.parse("models.green")
    with pytest.raises(SweepError, match=r"--vary a=1,1: .*appears twice"):
        Vary.parse("a=1,1")


def test_locate_by_index_and_by_name(bad: Scenario) -> None:
    data = bad.to_dict()
    c, key, path = locate(data, Vary.parse(f"alarms[{ERR_ALARM}].Threshold=0.1"))
    assert (key, path) == ("Threshold", "alarms[0].Threshold")
    assert c is data["alarms"][0]
    _, key, path = locate(data, Vary.parse("alarms[1].DatapointsToAlarm=1"))
    assert (key, path) == ("DatapointsToAlarm", "alarms[1].DatapointsToAlarm")  # may be absent
    _, _, path = locate(
        data, Vary.parse("deployment_config.AutoRollbackConfiguration.Alarms[1].AlarmName=x")
    )
    assert path == "deployment_config.AutoRollbackConfiguration.Alarms[1].AlarmName"
    out = apply(data, [(Vary.parse(f"alarms[{ERR_ALARM}].Threshold=0.1"), 0.1)])
    assert out["alarms"][0]["Threshold"] == 0.1
    assert data["alarms"][0]["Threshold"] == 1.0  # the base is never modified


@pytest.mark.parametrize(
    ("vary", "message"),
    [
        (
            "models.gren.error_rate_5xx=0",
            r"models\.gren: no such key \(did you mean 'green'\?\); "
            r"keys here: blue, green",
        ),
        ("alarms[TEST-x].Threshold=1", r"alarms has no item named 'TEST-x'; names: TEST-DEMO"),
        (
            "alarms[TEST-DEMO-Deployment-Guardrails-Canary-5XX-Error].Threshold=1",
            r"did you mean 'TEST-DEMO-Deployment-Guardrails-Canary-5XX-Errors'\?",
        ),
        ("alarms[7].Threshold=1", r"alarms has 2 item\(s\); index 7 is out of range"),
        ("alarms.Threshold=1", r"alarms is a list: use \[INDEX\] or \[NAME\]"),
        ("models[0].x=1", r"models is a mapping, not a list"),
        ("models.green.error_rate_5xx.x=1", r"models\.green\.error_rate_5xx is a number"),
        (
            "alarms[0].Treshold=1,2",
            r"alarms\[0\]\.Treshold: unknown key \(did you mean "
            r"'Threshold'\?\)",
        ),
        (
            "models.green.error_rate=0",
            r"unknown key \(did you mean 'error_rate_4xx'\?\)|"
            r"unknown key \(did you mean 'error_rate_5xx'\?\)",
        ),
    ],
)
def test_bad_paths_are_refused_with_the_path_and_nearest_keys(
    bad: Scenario, vary: str, message: str
) -> None:
    with pytest.raises(SweepError, match=r"--vary .*" + message):
        plan_sweep(bad, [vary], 2)


def test_overlapping_varies_are_refused(bad: Scenario) -> None:
    with pytest.raises(SweepError, match="address the same field"):
        plan_sweep(bad, [f"alarms[{ERR_ALARM}].Threshold=1", "alarms[0].Threshold=2"], 2)
    with pytest.raises(SweepError, match="one contains the other"):
        plan_sweep(bad, ["models.green.latency.median_ms=5", "models.green.latency=[{}]"], 2)
    with pytest.raises(SweepError, match="nothing to sweep"):
        plan_sweep(bad, [], 2)


def test_full_factorial_grid_in_order(bad: Scenario) -> None:
    plan = plan_sweep(bad, [f"{WAIT}=120,300", "alarms[1].Threshold=5000,10000,20000"], 3)
    assert plan.columns == (WAIT, "alarms[1].Threshold")
    assert [tuple(c.values.values()) for c in plan.configurations] == [
        (120, 5000),
        (120, 10000),
        (120, 20000),
        (300, 5000),
        (300, 10000),
        (300, 20000),
    ]
    c = plan.configurations[4]
    assert c.scenario.alarms[1].threshold == 10000
    policy = c.scenario.deployment_config.blue_green
    assert policy is not None and policy.traffic_routing.wait_interval_seconds == 300
    assert len({c.key for c in plan.configurations}) == 6
    # keys are stable: the same plan again gives the same keys
    again = plan_sweep(bad, [f"{WAIT}=120,300", "alarms[1].Threshold=5000,10000,20000"], 3)
    assert [c.key for c in again.configurations] == [c.key for c in plan.configurations]
    # and change with n, the seed or the mode
    for other in (
        plan_sweep(bad, [f"{WAIT}=120,300", "alarms[1].Threshold=5000"], 4),
        plan_sweep(bad, [f"{WAIT}=120,300", "alarms[1].Threshold=5000"], 3, seed=9),
        plan_sweep(bad, [f"{WAIT}=120,300", "alarms[1].Threshold=5000"], 3, mode="exact"),
    ):
        assert other.configurations[0].key != plan.configurations[0].key


def test_invalid_configurations_refuse_the_sweep_with_field_paths(bad: Scenario) -> None:
    with pytest.raises(SweepError) as info:
        plan_sweep(bad, [f"{CANARY}=1:3:1", "alarms[0].DatapointsToAlarm=1,2"], 2)
    text = str(info.value)
    assert text.startswith("5 of 6 configurations are invalid (use --skip-invalid")
    assert f"{CANARY}=2, alarms[0].DatapointsToAlarm=1:" in text
    assert f"    {CANARY}: 2 of 3 instances is over the 50% limit for a canary" in text
    assert "alarms[0].DatapointsToAlarm: must be <= EvaluationPeriods (1), got 2" in text
    assert {p.path for p in info.value.problems} == {CANARY, "alarms[0].DatapointsToAlarm"}


def test_skip_invalid_keeps_the_valid_ones(bad: Scenario) -> None:
    plan = plan_sweep(bad, [f"{CANARY}=1:3:1"], 2, skip_invalid=True)
    assert [c.values[CANARY] for c in plan.configurations] == [1]
    assert [c.values[CANARY] for c in plan.invalid] == [2, 3]
    assert plan.grid_size == 3
    with pytest.raises(SweepError, match="every one of the 2 configurations is invalid"):
        plan_sweep(bad, [f"{CANARY}=2,3"], 2, skip_invalid=True)


def test_a_fault_can_be_swept(bad: Scenario) -> None:
    faults = 'models.green.faults=[[], [{"kind": "latency", "multiplier": 3}]]'
    plan = plan_sweep(bad, ["models.green.error_rate_5xx=0,0.05", faults], 2)
    assert plan.configurations[1].scenario.models.green.faults[0].multiplier == 3
    assert plan.configurations[2].scenario.models.green.error_rate_5xx == 0.05
