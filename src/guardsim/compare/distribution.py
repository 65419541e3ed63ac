"""Predicted as a distribution: where a real run falls among many predicted runs, and a verdict.

:class:`PredictedRuns` is the predicted distribution: one row per predicted run (outcome and
summary numbers). It is built from a Monte Carlo result (:meth:`PredictedRuns.from_monte_carlo`,
or its JSON, :meth:`PredictedRuns.from_monte_carlo_data`) or from a set of run records
(:meth:`PredictedRuns.from_records`): a small adapter, so either plugs in.

**Measures** (:data:`MEASURES`): the outcome, the detection time (``detected_at_seconds``; a run
that never detected counts as later than any that did, so "never detected" is a value like any
other), the blast radius (``green_errors``) and the deployment time (``deployment_seconds``).

**Where the real run falls**: for each measure, the real value's mid-rank percentile among the
predicted runs, ``100 (#below + #equal / 2) / n``; for the outcome, the share of predicted runs
that ended the same way.

**The verdict** is a conformal test (Vovk, Gammerman and Shafer, *Algorithmic Learning in a
Random World*, 2005). Under "the real run is one more draw from the predicted model", the real
run and the n predicted runs are exchangeable. Each of the n + 1 pooled runs gets a two-sided
tail probability per measure within the pool, ``p_m = min(1, 2 min(#<= , #>=) / (n + 1))`` (for
the outcome: the pooled share of runs whose outcome is no more common than its own), and a
score ``s = min over measures of p_m`` (how extreme its most extreme measure is). The real run's
p-value is the mid-rank of its score among the n + 1 scores. It is **surprising** when that
p-value is below :data:`ALPHA` (5 %), else **consistent**; a surprising verdict names the
measures outside the central 95 % of the pool (``p_m`` below ALPHA), most extreme first, and
always the most extreme one. Because the score treats every run alike, a run drawn
from the predicted model is judged surprising in ALPHA of cases (up to the 1/(n+1) granularity
and ties), whatever the number of measures and however they are correlated: there is no
multiple-testing inflation, unlike "any measure outside [2.5 %, 97.5 %]", which with four
measures would call roughly 1 in 6 runs of a correct model surprising.

A measure the real record does not have (null: the blast radius of a real run of an inference
component update, which CloudWatch cannot tell apart from the old copies') takes no part: it is
listed in ``not_observable`` with the reason, and the verdict rests on the others.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from guardsim.compare.structure import check_same_deployment
from guardsim.errors import CompareError
from guardsim.record import BLAST_RADIUS_NOT_OBSERVABLE, RunRecord

if TYPE_CHECKING:
    from guardsim.montecarlo.results import MonteCarloResult

#: Nominal rate of "surprising" verdicts for a run drawn from the predicted model.
ALPHA = 0.05
MONTE_CARLO_FORMAT = "guardsim.monte-carlo/1"
#: The numeric measures, in report order: (summary field, label).
MEASURES: tuple[tuple[str, str], ...] = (
    ("detected_at_seconds", "detection time"),
    ("green_errors", "blast radius (errors served by the new fleet)"),
    ("deployment_seconds", "deployment time"),
)
OUTCOMES = ("SUCCEEDED", "ROLLED_BACK", "FAILED")
FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True, eq=False)
class PredictedRuns:
    """The predicted distribution: per run, the outcome and the numeric measures.

    ``values`` maps each measure of :data:`MEASURES` to one float per run (``detected_at_seconds``
    is ``inf`` for a run that never detected).
    """

    outcomes: tuple[str, ...]
    values: Mapping[str, FloatArray]
    scenario: str
    source: str
    scenario_definition: Mapping[str, Any] = field(default_factory=dict)

    @property
    def n(self) -> int:
        return len(self.outcomes)

    @classmethod
    def from_columns(
        cls,
        columns: Mapping[str, Sequence[Any]],
        scenario: str,
        source: str,
        scenario_definition: Mapping[str, Any] | None = None,
    ) -> PredictedRuns:
        """From columns named like a Monte Carlo runs table (``outcome`` and summary fields)."""
        try:
            outcomes = tuple(str(o) for o in columns["outcome"])
            values = {m: _column(columns[m]) for m, _ in MEASURES}
        except KeyError as exc:
            raise CompareError(f"{source}: the predicted runs have no column {exc}") from None
        if not outcomes:
            raise CompareError(f"{source}: no predicted runs")
        return cls(outcomes, values, scenario, source, dict(scenario_definition or {}))

    @classmethod
    def from_monte_carlo(cls, result: MonteCarloResult) -> PredictedRuns:
        """From :func:`guardsim.montecarlo.monte_carlo.monte_carlo`'s result."""
        cols = {c: result.runs[c].tolist() for c in ("outcome", *(m for m, _ in MEASURES))}
        return cls.from_columns(
            cols,
            result.scenario.name,
            f"Monte Carlo of {result.scenario.name} ({result.summary.n} runs)",
            result.scenario.to_dict(),
        )

    @classmethod
    def from_monte_carlo_data(
        cls, data: Mapping[str, Any], source: str = "<monte carlo>"
    ) -> PredictedRuns:
        """From a Monte Carlo result's JSON (``MonteCarloResult.to_json``, parsed)."""
        if data.get("format") != MONTE_CARLO_FORMAT:
            raise CompareError(f"{source}: not a guardsim Monte Carlo result")
        runs = data.get("runs")
        if not isinstance(runs, Mapping):
            raise CompareError(f"{source}: the Monte Carlo result has no runs table")
        return cls.from_columns(
            runs,
            str(data.get("scenario", "?")),
            source,
            data.get("scenario_definition") or {},
        )

    @classmethod
    def from_records(cls, records: Sequence[RunRecord], source: str = "<records>") -> PredictedRuns:
        """From run records (e.g. a folder of simulated runs)."""
        if not records:
            raise CompareError(f"{source}: no predicted runs")
        cols: dict[str, list[Any]] = {"outcome": [r.outcome for r in records]}
        for m, _ in MEASURES:
            cols[m] = [getattr(r.summary, m) for r in records]
        return cls.from_columns(cols, records[0].scenario, source, records[0].scenario_definition)


def _column(values: Sequence[Any]) -> FloatArray:
    """Floats; missing (None / NaN) becomes +inf: "never" sorts after every time."""
    out = np.array([math.inf if v is None else float(v) for v in values], dtype=np.float64)
    out[np.isnan(out)] = math.inf
    return out


def real_values(real: RunRecord) -> dict[str, float]:
    return {m: _column([getattr(real.summary, m)])[0] for m, _ in MEASURES}


@dataclass(frozen=True)
class MeasureResult:
    """Where the real run falls on one measure."""

    measure: str
    label: str
    real: float | str
    #: mid-rank percentile among the predicted runs (0-100); for the outcome, the percentage of
    #: predicted runs with the real outcome
    percentile: float
    #: two-sided tail probability in the pooled runs (the input to the verdict)
    tail_p: float
    #: predicted 2.5 %, 50 % and 97.5 % quantiles (None for the outcome)
    predicted_quantiles: tuple[float, float, float] | None

    def to_data(self) -> dict[str, Any]:
        real = self.real
        return {
            "measure": self.measure,
            "label": self.label,
            "real": None if isinstance(real, float) and math.isinf(real) else real,
            "percentile": self.percentile,
            "tail_p": self.tail_p,
            "predicted_quantiles": None
            if self.predicted_quantiles is None
            else [None if math.isinf(q) else q for q in self.predicted_quantiles],
        }


@dataclass(frozen=True)
class DistributionComparison:
    """A real run against a predicted distribution; see the module docstring."""

    predicted: PredictedRuns
    real: RunRecord
    measures: tuple[MeasureResult, ...]
    p_value: float
    verdict: str
    #: the measures the verdict blames (empty when consistent)
    surprising_measures: tuple[str, ...]
    alpha: float = ALPHA
    #: (measure, label, why): the measures the real record does not have, left out
    not_observable: tuple[tuple[str, str, str], ...] = ()

    @property
    def consistent(self) -> bool:
        return self.verdict == "consistent"

    def measure(self, name: str) -> MeasureResult:
        for m in self.measures:
            if m.measure == name:
                return m
        raise KeyError(name)

    def to_data(self) -> dict[str, Any]:
        return {
            "format": "guardsim.distribution-comparison/1",
            "predicted": {
                "scenario": self.predicted.scenario,
                "source": self.predicted.source,
                "n": self.predicted.n,
            },
            "real": {
                "scenario": self.real.scenario,
                "seed": self.real.seed,
                "mode": self.real.mode,
                "outcome": self.real.outcome,
            },
            "measures": [m.to_data() for m in self.measures],
            "p_value": self.p_value,
            "alpha": self.alpha,
            "verdict": self.verdict,
            "surprising_measures": list(self.surprising_measures),
            "not_observable": {m: why for m, _, why in self.not_observable},
        }


def _two_sided(pool: FloatArray) -> FloatArray:
    """Per pooled value: ``min(1, 2 min(#<=, #>=) / N)`` (itself included)."""
    n = len(pool)
    s = np.sort(pool)
    le = np.searchsorted(s, pool, side="right")
    ge = n - np.searchsorted(s, pool, side="left")
    return np.asarray(np.minimum(1.0, 2.0 * np.minimum(le, ge) / n), dtype=np.float64)


def _outcome_p(pool: Sequence[str]) -> FloatArray:
    """Per pooled run: the share of runs whose outcome is no more common than its own."""
    counts = {o: pool.count(o) for o in set(pool)}
    n = len(pool)
    return np.array(
        [sum(c for c in counts.values() if c <= counts[o]) / n for o in pool], dtype=np.float64
    )


def _midrank_percentile(values: FloatArray, x: float) -> float:
    below = int(np.sum(values < x))
    equal = int(np.sum(values == x))
    return 100.0 * (below + 0.5 * equal) / len(values)


def compare_distribution(
    predicted: PredictedRuns, real: RunRecord, *, alpha: float = ALPHA, check: bool = True
) -> DistributionComparison:
    """Judge ``real`` against the predicted distribution (see the module docstring)."""
    if check:
        check_same_deployment(
            predicted.scenario_definition, real.scenario_definition, "predicted", "real"
        )
    n = predicted.n
    rv = real_values(real)
    pool_p: dict[str, FloatArray] = {}
    results: list[MeasureResult] = []
    outcomes = [*predicted.outcomes, real.outcome]
    pool_p["outcome"] = _outcome_p(outcomes)
    share = 100.0 * predicted.outcomes.count(real.outcome) / n
    results.append(
        MeasureResult("outcome", "outcome", real.outcome, share, float(pool_p["outcome"][-1]), None)
    )
    missing: list[tuple[str, str, str]] = []
    for m, label in MEASURES:
        if m == "green_errors" and real.summary.green_errors is None:
            missing.append((m, label, BLAST_RADIUS_NOT_OBSERVABLE))
            continue
        values = predicted.values[m]
        pool = np.append(values, rv[m])
        pool_p[m] = _two_sided(pool)
        q = tuple(float(v) for v in np.quantile(values, [0.025, 0.5, 0.975], method="lower"))
        results.append(
            MeasureResult(
                m,
                label,
                rv[m],
                _midrank_percentile(values, rv[m]),
                float(pool_p[m][-1]),
                (q[0], q[1], q[2]),
            )
        )
    scores = np.min(np.vstack(list(pool_p.values())), axis=0)
    s_real = scores[-1]
    p_value = float((np.sum(scores < s_real) + 0.5 * np.sum(scores == s_real)) / (n + 1))
    surprising = p_value < alpha
    blamed: tuple[str, ...] = ()
    if surprising:
        extreme = [r for r in results if r.tail_p < alpha or r.tail_p <= s_real + 1e-12]
        blamed = tuple(r.measure for r in sorted(extreme, key=lambda r: r.tail_p))
    return DistributionComparison(
        predicted=predicted,
        real=real,
        measures=tuple(results),
        p_value=p_value,
        verdict="surprising" if surprising else "consistent",
        surprising_measures=blamed,
        alpha=alpha,
        not_observable=tuple(missing),
    )
