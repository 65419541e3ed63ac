"""Predicted vs real: comparing runs, judging a real run against a prediction, calibrating.

One module per concept; all but :mod:`~guardsim.cli.compare` and
:mod:`~guardsim.compare.report` are pure functions of run records and numbers::

    timeline      a record's phases and alarm transitions; matching them by name and occurrence
    metrics       per-minute metric differences per fleet; the metric publish delay of a run
    structure     whether two runs deployed the same thing (CompareError if not)
    comparison    compare_records(predicted, real) -> Comparison (tolerances documented there)
    distribution  compare_distribution(PredictedRuns, real) -> DistributionComparison (verdict)
    fitting       the estimators, each with a 95 % interval
    calibration   calibrate(records, scenario) -> Calibration; apply(calibration, scenario)
    agreement     prediction error over a batch of real runs; before/after calibration
    inputs        reading records, Monte Carlo results and folders
    text, report  terminal text and the HTML report
    cli           ``guardsim compare`` and ``guardsim calibrate``

Data flows one way: run records (and a scenario, for calibration) in; comparisons, fitted
values and a calibrated scenario out. Nothing here runs a simulation: predictions come in as
run records, made by the caller with a backend (:mod:`guardsim.backend`), as the CLI does.
"""

from guardsim.compare.agreement import (
    Improvement,
    TimingErrors,
    agreement_improvement,
    compare_batch,
)
from guardsim.compare.calibration import Calibration, FittedSetting, apply, calibrate
from guardsim.compare.comparison import Comparison, Mismatch, compare_records
from guardsim.compare.distribution import (
    DistributionComparison,
    PredictedRuns,
    compare_distribution,
)
from guardsim.compare.fitting import Estimate
from guardsim.errors import CompareError

__all__ = [
    "Calibration",
    "CompareError",
    "Comparison",
    "DistributionComparison",
    "Estimate",
    "FittedSetting",
    "Improvement",
    "Mismatch",
    "PredictedRuns",
    "TimingErrors",
    "agreement_improvement",
    "apply",
    "calibrate",
    "compare_batch",
    "compare_distribution",
    "compare_records",
]
