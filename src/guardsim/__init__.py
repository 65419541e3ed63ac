"""guardsim: predict what a SageMaker deployment guardrail will do, before a real deployment.

The curated public API; everything else is importable from its module but may change. Names
that need plotly, pandas or the analysis packages load on first use, so ``import guardsim``
(and the CLI) stays quick.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.2.0"

from guardsim.cloudwatch.alarm import AlarmEvaluation, AlarmRule, AlarmState, evaluate_alarm
from guardsim.errors import (
    AlarmError,
    AWSError,
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

if TYPE_CHECKING:
    from guardsim.compare import calibrate, compare_distribution, compare_records
    from guardsim.montecarlo.monte_carlo import MonteCarloResult, monte_carlo
    from guardsim.montecarlo.recommend import recommend
    from guardsim.montecarlo.sweep import sweep
    from guardsim.reports import run_figure

#: Public names loaded on first use: name -> module.
_LAZY = {
    "MonteCarloResult": "guardsim.montecarlo.monte_carlo",
    "calibrate": "guardsim.compare",
    "compare_distribution": "guardsim.compare",
    "compare_records": "guardsim.compare",
    "monte_carlo": "guardsim.montecarlo.monte_carlo",
    "recommend": "guardsim.montecarlo.recommend",
    "run_figure": "guardsim.reports",
    "sweep": "guardsim.montecarlo.sweep",
}

__all__ = [
    "AWSError",
    "AlarmError",
    "AlarmEvaluation",
    "AlarmRule",
    "AlarmState",
    "GuardsimError",
    "MetricMathError",
    "MonteCarloResult",
    "Problem",
    "RunRecord",
    "Scenario",
    "ScenarioError",
    "ScenarioNotFound",
    "SimulationError",
    "StatisticError",
    "Summary",
    "__version__",
    "calibrate",
    "compare_distribution",
    "compare_records",
    "evaluate_alarm",
    "load_scenario",
    "monte_carlo",
    "read_scenario",
    "recommend",
    "run_figure",
    "scenario_from_dict",
    "simulate",
    "sweep",
]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'guardsim' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))
