"""guardsim: predict what a SageMaker deployment guardrail will do, before a real deployment.

The curated public API; everything else is importable from its module but may change.
"""

from __future__ import annotations

__version__ = "0.1.0"

from guardsim.cloudwatch.alarm import AlarmEvaluation, AlarmRule, AlarmState, evaluate_alarm
from guardsim.errors import (
    AlarmError,
    GuardsimError,
    MetricMathError,
    Problem,
    ScenarioError,
    ScenarioNotFound,
    SimulationError,
    StatisticError,
)
from guardsim.record import RunRecord, Summary
from guardsim.scenarios import Scenario, load_scenario, read_scenario, scenario_from_dict
from guardsim.simulator import simulate

__all__ = [
    "AlarmError",
    "AlarmEvaluation",
    "AlarmRule",
    "AlarmState",
    "GuardsimError",
    "MetricMathError",
    "Problem",
    "RunRecord",
    "Scenario",
    "ScenarioError",
    "ScenarioNotFound",
    "SimulationError",
    "StatisticError",
    "Summary",
    "__version__",
    "evaluate_alarm",
    "load_scenario",
    "read_scenario",
    "scenario_from_dict",
    "simulate",
]
