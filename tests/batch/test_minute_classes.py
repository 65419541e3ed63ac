"""The batch engine's states looked up from minutes' classes (``_Block._classed_states``) are
the states the datapoints' values give (``_Block._datapoints`` then ``_Block._states``).

For an alarm whose next state depends on its range alone, on one metric with windows of at most
one minute, the engine classes each minute once (missing, not breaching, breaching) and looks
each evaluation's pattern up from its minutes, instead of gathering every datapoint's value.
The two ways must give the same replications, bit for bit: every result column, for the
built-ins and for variants that reach every branch (high resolution, a percentile, each
TreatMissingData that forgets, a lower-bound operator, a blue-only metric, statistics drawn
from a minute's latency components)."""

from __future__ import annotations

import copy
from typing import Any

import numpy as np
import pytest

from guardsim.batch import engine
from guardsim.batch.engine import _minute_classed, _Prepared, run_batch_columns
from guardsim.scenarios import check_scenario_dict, load_scenario
from guardsim.scenarios.library import names as builtin_names
from guardsim.scenarios.scenario import Scenario

LATENCY = 1  # the seed canary's latency alarm


def _variant(edit: dict[str, Any]) -> Scenario:
    data = copy.deepcopy(load_scenario("seed-canary-rollback").to_dict())
    alarm = data["alarms"][LATENCY]
    for key, value in edit.items():
        if value is None:
            alarm.pop(key, None)
        else:
            alarm[key] = value
    result = check_scenario_dict(data, source="<minute classes>")
    assert result.scenario is not None, result.errors
    return result.scenario


VARIANTS = {
    "high-res 6 of 6": {"Period": 10, "EvaluationPeriods": 6, "DatapointsToAlarm": 6},
    "p99, 2 of 3": {
        "Statistic": None,
        "ExtendedStatistic": "p99",
        "EvaluationPeriods": 3,
        "DatapointsToAlarm": 2,
    },
    "IQM": {"Statistic": None, "ExtendedStatistic": "IQM"},
    "tm99, 2 of 3": {
        "Statistic": None,
        "ExtendedStatistic": "tm99",
        "EvaluationPeriods": 3,
        "DatapointsToAlarm": 2,
    },
    "breaching": {"TreatMissingData": "breaching", "EvaluationPeriods": 2},
    "missing": {"TreatMissingData": "missing", "EvaluationPeriods": 3, "DatapointsToAlarm": 2},
    "lower bound": {"ComparisonOperator": "LessThanThreshold", "Threshold": 4000},
    "blue only": {
        "Dimensions": [
            {"Name": "EndpointName", "Value": "DEMO-Deployment-Guardrails-Canary"},
            {"Name": "VariantName", "Value": "AllTraffic"},
            {"Name": "EndpointConfigName", "Value": "DEMO-EpConfig-1"},
        ]
    },
}

CASES = [(name, lambda n=name: load_scenario(n)) for name in builtin_names()] + [
    (label, lambda e=edit: _variant(e)) for label, edit in VARIANTS.items()
]


@pytest.mark.parametrize(("label", "build"), CASES, ids=[c[0] for c in CASES])
def test_classed_states_give_the_same_replications(
    label: str, build: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    scenario = build()
    on = run_batch_columns(scenario, seed=11, start=0, stop=600)
    monkeypatch.setattr(engine, "MINUTE_CLASSES", False)
    off = run_batch_columns(scenario, seed=11, start=0, stop=600)
    assert np.array_equal(on.outcome, off.outcome), label
    assert on.values.keys() == off.values.keys()
    for key in on.values:
        assert np.array_equal(on.values[key], off.values[key], equal_nan=True), (label, key)
    assert np.array_equal(on.tripped, off.tripped), label


@pytest.mark.parametrize("label", list(VARIANTS))
def test_the_variants_take_the_classed_path(label: str) -> None:
    """Each variant above reaches the classed path (else the test before proves nothing)."""
    prep = _Prepared(_variant(VARIANTS[label]))
    assert _minute_classed(prep.alarms[LATENCY], prep.memoryless[LATENCY]), label


def test_an_alarm_that_keeps_its_state_is_not_classed() -> None:
    """TreatMissingData=ignore keeps the state: its states are worked out in order instead."""
    prep = _Prepared(_variant({"TreatMissingData": "ignore"}))
    assert not _minute_classed(prep.alarms[LATENCY], prep.memoryless[LATENCY])


def test_a_range_too_long_for_a_pattern_key_is_not_classed() -> None:
    """A 40-of-40 alarm at Period 10 (a range of 42 datapoints: 3 ** 43 patterns do not fit an
    int64 key) is memoryless but worked out from its datapoints' values, and runs."""
    scenario = _variant({"Period": 10, "EvaluationPeriods": 40, "DatapointsToAlarm": 40})
    prep = _Prepared(scenario)
    assert prep.memoryless[LATENCY]
    assert not _minute_classed(prep.alarms[LATENCY], prep.memoryless[LATENCY])
    cols = run_batch_columns(scenario, seed=2, start=0, stop=64)
    assert len(cols.outcome) == 64
