"""guardsim: predict what a SageMaker deployment guardrail will do, before a real deployment.

The curated public API; everything else is importable from its module but may change. Only the
exception tree (:mod:`guardsim.errors`) is imported eagerly: every name that
needs numpy, SimPy, botocore, pandas or plotly loads on first use (module ``__getattr__``), so
``import guardsim``, ``guardsim --version``, ``guardsim --help`` and the pytest plugin stay quick.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from guardsim._lazy import lazy_attributes

__version__ = "0.2.0"

from guardsim.errors import (
    AlarmError,
    ArgumentError,
    AWSError,
    BadInputError,
    BatchUnsupportedError,
    CheckpointError,
    CommandError,
    CompareError,
    DocumentError,
    ExecutorError,
    ExternalError,
    GuardsimError,
    IllegalTransition,
    MetricMathError,
    MonteCarloError,
    Problem,
    RecommendError,
    RecordError,
    ReplayFileError,
    ReportError,
    ScenarioError,
    ScenarioNotFound,
    SimulationError,
    StatisticError,
    SweepError,
    TableError,
    UnsupportedError,
)

if TYPE_CHECKING:
    from guardsim.backend import Backend, RealBackend, SimulatedBackend
    from guardsim.cloudwatch.alarm import AlarmEvaluation, AlarmRule, AlarmState, evaluate_alarm
    from guardsim.compare import calibrate, compare_distribution, compare_records
    from guardsim.montecarlo.monte_carlo import MonteCarloResult, monte_carlo
    from guardsim.montecarlo.recommend import recommend
    from guardsim.montecarlo.sweep import sweep
    from guardsim.record import RunRecord, Summary
    from guardsim.reports import run_figure
    from guardsim.scenarios import Scenario, load_scenario, read_scenario, scenario_from_dict
    from guardsim.simulator import simulate

#: Public names loaded on first use: name -> module.
_LAZY = {
    "AlarmEvaluation": "guardsim.cloudwatch.alarm",
    "AlarmRule": "guardsim.cloudwatch.alarm",
    "AlarmState": "guardsim.cloudwatch.alarm",
    "Backend": "guardsim.backend",
    "RealBackend": "guardsim.backend",
    "SimulatedBackend": "guardsim.backend",
    "MonteCarloResult": "guardsim.montecarlo.monte_carlo",
    "RunRecord": "guardsim.record",
    "Scenario": "guardsim.scenarios",
    "Summary": "guardsim.record",
    "calibrate": "guardsim.compare",
    "compare_distribution": "guardsim.compare",
    "compare_records": "guardsim.compare",
    "evaluate_alarm": "guardsim.cloudwatch.alarm",
    "load_scenario": "guardsim.scenarios",
    "monte_carlo": "guardsim.montecarlo.monte_carlo",
    "read_scenario": "guardsim.scenarios",
    "recommend": "guardsim.montecarlo.recommend",
    "run_figure": "guardsim.reports",
    "scenario_from_dict": "guardsim.scenarios",
    "simulate": "guardsim.simulator",
    "sweep": "guardsim.montecarlo.sweep",
}

__all__ = [
    "AWSError",
    "AlarmError",
    "AlarmEvaluation",
    "AlarmRule",
    "AlarmState",
    "ArgumentError",
    "Backend",
    "BadInputError",
    "BatchUnsupportedError",
    "CheckpointError",
    "CommandError",
    "CompareError",
    "DocumentError",
    "ExecutorError",
    "ExternalError",
    "GuardsimError",
    "IllegalTransition",
    "MetricMathError",
    "MonteCarloError",
    "MonteCarloResult",
    "Problem",
    "RealBackend",
    "RecommendError",
    "RecordError",
    "ReplayFileError",
    "ReportError",
    "RunRecord",
    "Scenario",
    "ScenarioError",
    "ScenarioNotFound",
    "SimulatedBackend",
    "SimulationError",
    "StatisticError",
    "Summary",
    "SweepError",
    "TableError",
    "UnsupportedError",
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


__getattr__, __dir__ = lazy_attributes("guardsim", globals(), _LAZY)
