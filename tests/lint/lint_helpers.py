"""Scenarios for the lint tests, built from the built-in library by editing ``to_dict()`` data.

Every helper returns a valid :class:`~guardsim.scenarios.Scenario` (``scenario_from_dict`` of
the edited data), so a test states only what it changes. ``GOOD`` is the seed post's canary
with its alarms done right (per-fleet, 1 % error rate, a final bake long enough for them): the
baseline that most rules leave alone.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

from guardsim.lint import Finding, lint
from guardsim.scenarios import Scenario, check_scenario_dict, load_scenario

#: Replications per variant in the tests (the CLI default is 100).
N = 20

Data = dict[str, Any]


def data(name: str) -> Data:
    """A built-in scenario as plain, editable data."""
    return copy.deepcopy(load_scenario(name).to_dict())


def build(raw: Data) -> Scenario:
    result = check_scenario_dict(raw, source="<lint test>")
    assert result.scenario is not None, [str(p) for p in result.errors]
    return result.scenario


def edited(name: str, *edits: Callable[[Data], None]) -> Scenario:
    raw = data(name)
    for edit in edits:
        edit(raw)
    return build(raw)


def bg(raw: Data) -> Data:
    policy: Data = raw["deployment_config"]["BlueGreenUpdatePolicy"]
    return policy


def alarm(raw: Data, i: int) -> Data:
    a: Data = raw["alarms"][i]
    return a


def green_dims(raw: Data, i: int) -> None:
    """Alarm ``i`` watches only the new fleet (EndpointConfigName = the green config)."""
    a = alarm(raw, i)
    a["Dimensions"] = [
        *a["Dimensions"],
        {"Name": "EndpointConfigName", "Value": raw["endpoint"]["green"]["EndpointConfigName"]},
    ]


def good(raw: Data) -> None:
    """The seed canary's alarms done right: per-fleet, 1 % errors, a 600 s final bake."""
    green_dims(raw, 0)
    green_dims(raw, 1)
    alarm(raw, 0)["Threshold"] = 0.01
    alarm(raw, 0)["ComparisonOperator"] = "GreaterThanThreshold"
    bg(raw)["TerminationWaitInSeconds"] = 600


def only_alarms(raw: Data, *indices: int) -> None:
    """AutoRollbackConfiguration lists only these alarms."""
    names = [raw["alarms"][i]["AlarmName"] for i in indices]
    raw["deployment_config"]["AutoRollbackConfiguration"]["Alarms"] = [
        {"AlarmName": n} for n in names
    ]


def findings(scenario: Scenario, rule: str, n: int = N, seed: int | None = None) -> list[Finding]:
    """What one rule finds (running only that rule, with ``n`` replications per variant)."""
    return list(lint(scenario, replications=n, seed=seed, rules=[rule]).findings)


def problems(scenario: Scenario, rule: str, n: int = N) -> list[Finding]:
    """The warnings and errors one rule finds (info findings left out)."""
    return [f for f in findings(scenario, rule, n) if f.severity != "info"]
