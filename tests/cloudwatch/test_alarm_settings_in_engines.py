"""The undocumented alarm-evaluation settings of ``environment`` reach every engine: each builds
its rules through :meth:`Environment.alarm_rule`, so none can evaluate an alarm under defaults
the scenario did not choose."""

from __future__ import annotations

import dataclasses

import pytest

from guardsim.cloudwatch.alarm import LowSampleScope, PrematureReading
from guardsim.scenarios import load_scenario
from guardsim.scenarios.scenario import Scenario


def _with(**settings: object) -> Scenario:
    s = load_scenario("seed-canary-rollback")
    return dataclasses.replace(s, environment=dataclasses.replace(s.environment, **settings))


SETTINGS = {
    "premature_alarm_reading": "whole-window",
    "low_sample_scope": "any",
    "evaluation_range_extra_periods": 3,
}


def _check(rules: list[object], scenario: Scenario) -> None:
    assert rules
    for rule in rules:
        assert rule.premature_reading is PrematureReading.WHOLE_WINDOW  # type: ignore[attr-defined]
        assert rule.low_sample_scope is LowSampleScope.ANY  # type: ignore[attr-defined]
        assert rule.range_length == rule.evaluation_periods + 3  # type: ignore[attr-defined]


def test_the_simpy_engines_alarm_monitor() -> None:
    from guardsim.simulator.alarms import AlarmMonitor
    from guardsim.simulator.metrics import MetricStore

    s = _with(**SETTINGS)
    monitor = AlarmMonitor(s.alarms, s.endpoint, MetricStore(keep_raw=False), s.environment, None)
    _check([b.rule for b in monitor.bound], s)


def test_the_batch_engine() -> None:
    from guardsim.batch.engine import _Prepared

    s = _with(**SETTINGS)
    _check([a.rule for a in _Prepared(s).alarms], s)


@pytest.mark.parametrize("value", ["sometimes", 3])
def test_a_bad_reading_is_refused_with_its_path(value: object) -> None:
    from guardsim.scenarios.loading import check_scenario_dict

    data = load_scenario("seed-canary-rollback").to_dict()
    data["environment"]["premature_alarm_reading"] = value
    result = check_scenario_dict(data, source="test")
    assert result.scenario is None
    assert any("environment.premature_alarm_reading" in str(p) for p in result.problems)
