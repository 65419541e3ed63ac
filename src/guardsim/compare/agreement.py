"""Prediction error over many real runs: how often the outcome matched, how far off the timing.

Each real run is compared with its predictions, simulated runs of the scenario (independent
replications, fast mode, no per-minute detail: the timeline and outcome are the same as a
detailed run's), with :func:`guardsim.compare.comparison.compare_phases`. The **timing error**
of a phase is the mean absolute difference of its start and of its duration over every
(prediction, real run) pair in which both went through it. This is also how calibration is
judged: the same errors before and after (:func:`agreement_improvement`), with the same
replications, so the difference is due to the calibration, not to the draws.

The predictions are **given**, as run records: this module runs nothing. Whoever compares makes
them, e.g. ``SimulatedBackend(mode="fast", detail=False).replications(scenario, n)``
(:mod:`guardsim.backend`), as ``guardsim compare --batch`` and ``guardsim calibrate`` do.

The error includes the chance variation of both runs (two runs of a perfect model still differ),
so it does not fall to zero; what calibration removes is the systematic part.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from guardsim.compare.comparison import compare_phases
from guardsim.compare.structure import check_same_deployment
from guardsim.compare.timeline import phase_label, phase_spans
from guardsim.errors import CompareError
from guardsim.record import RunRecord
from guardsim.scenarios.loading import check_scenario_dict
from guardsim.scenarios.scenario import Scenario

#: Predictions per real run, by default.
DEFAULT_PREDICTIONS = 5


@dataclass(frozen=True)
class PhaseError:
    """Mean absolute timing error of one phase over the pairs that both went through it."""

    label: str
    pairs: int
    start_mae: float
    duration_mae: float | None

    def to_data(self) -> dict[str, Any]:
        return {
            "phase": self.label,
            "pairs": self.pairs,
            "start_mae": self.start_mae,
            "duration_mae": self.duration_mae,
        }


@dataclass(frozen=True)
class RunAgreement:
    """One real run against its predictions."""

    source: str
    outcome: str
    predicted_outcomes: dict[str, int]
    deployment_seconds: float
    deployment_mae: float

    @property
    def outcome_probability(self) -> float:
        """Share of the predictions that ended as the real run did."""
        return self.predicted_outcomes.get(self.outcome, 0) / sum(self.predicted_outcomes.values())

    @property
    def outcome_matched(self) -> bool:
        """Whether the most frequent predicted outcome is the real one."""
        top = max(self.predicted_outcomes.values())
        return self.predicted_outcomes.get(self.outcome, 0) == top

    def to_data(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "outcome": self.outcome,
            "predicted_outcomes": dict(self.predicted_outcomes),
            "outcome_probability": self.outcome_probability,
            "outcome_matched": self.outcome_matched,
            "deployment_seconds": self.deployment_seconds,
            "deployment_mae": self.deployment_mae,
        }


@dataclass(frozen=True)
class TimingErrors:
    """Prediction error over a batch of real runs (see the module docstring)."""

    runs: tuple[RunAgreement, ...]
    phases: tuple[PhaseError, ...]
    predictions_per_run: int

    @property
    def outcome_matches(self) -> int:
        return sum(r.outcome_matched for r in self.runs)

    @property
    def outcome_match_rate(self) -> float:
        return self.outcome_matches / len(self.runs)

    @property
    def mean_outcome_probability(self) -> float:
        return float(np.mean([r.outcome_probability for r in self.runs]))

    @property
    def deployment_mae(self) -> float:
        return float(np.mean([r.deployment_mae for r in self.runs]))

    @property
    def duration_mae(self) -> float:
        """Mean absolute duration error over every matched phase of every pair (pooled)."""
        total = sum(
            (p.duration_mae or 0.0) * p.pairs for p in self.phases if p.duration_mae is not None
        )
        count = sum(p.pairs for p in self.phases if p.duration_mae is not None)
        return total / count if count else 0.0

    def phase(self, label: str) -> PhaseError:
        for p in self.phases:
            if p.label == label:
                return p
        raise KeyError(label)

    def to_data(self) -> dict[str, Any]:
        return {
            "runs": [r.to_data() for r in self.runs],
            "predictions_per_run": self.predictions_per_run,
            "outcome_matches": self.outcome_matches,
            "outcome_match_rate": self.outcome_match_rate,
            "mean_outcome_probability": self.mean_outcome_probability,
            "deployment_mae": self.deployment_mae,
            "duration_mae": self.duration_mae,
            "phases": [p.to_data() for p in self.phases],
        }


def timing_errors(
    reals: Sequence[RunRecord],
    predicted_for: Callable[[int, RunRecord], Sequence[RunRecord]],
    sources: Sequence[str] | None = None,
) -> TimingErrors:
    """Compare each real run with its predictions (``predicted_for(index, real)``) and pool the
    errors."""
    starts: dict[tuple[str, int], list[float]] = {}
    durations: dict[tuple[str, int], list[float]] = {}
    runs: list[RunAgreement] = []
    repeated: set[str] = set()
    n_pred = 0
    for i, real in enumerate(reals):
        preds = predicted_for(i, real)
        n_pred = len(preds)
        ends = []
        for pred in preds:
            matched, _, _ = compare_phases(pred, real)
            for pc in matched:
                if not pc.observed:  # an inferred phase's timing is unknown: no error to count
                    continue
                key = pc.real.key
                if pc.real.occurrence > 1:
                    repeated.add(pc.real.name)
                starts.setdefault(key, []).append(abs(pc.start_difference))
                d = pc.duration_difference
                if d is not None:
                    durations.setdefault(key, []).append(abs(d))
            ends.append(abs(pred.summary.deployment_seconds - real.summary.deployment_seconds))
        runs.append(
            RunAgreement(
                source=sources[i] if sources else f"record {i + 1}",
                outcome=real.outcome,
                predicted_outcomes=dict(Counter(p.outcome for p in preds)),
                deployment_seconds=real.summary.deployment_seconds,
                deployment_mae=float(np.mean(ends)),
            )
        )
    order = sorted(starts, key=lambda k: _phase_order(k, reals))
    phases = tuple(
        PhaseError(
            phase_label(k, k[0] in repeated),
            len(starts[k]),
            float(np.mean(starts[k])),
            float(np.mean(durations[k])) if durations.get(k) else None,
        )
        for k in order
    )
    return TimingErrors(tuple(runs), phases, n_pred)


def _phase_order(key: tuple[str, int], reals: Sequence[RunRecord]) -> tuple[float, str, int]:
    """Phases in order of their mean start in the real runs."""
    times = [s.start for r in reals for s in phase_spans(r) if s.key == key]
    return (float(np.mean(times)) if times else float("inf"), key[0], key[1])


def scenario_of(record: RunRecord, source: str) -> Scenario:
    """The scenario a run record carries (``source`` names the record in errors)."""
    if not record.scenario_definition:
        raise CompareError(f"{source} does not carry its scenario: give --scenario")
    result = check_scenario_dict(record.scenario_definition, source=source)
    if result.scenario is None:
        problems = "; ".join(str(p) for p in result.errors)
        raise CompareError(f"{source}: its scenario definition is invalid: {problems}")
    return result.scenario


def _labels(reals: Sequence[RunRecord], sources: Sequence[str] | None) -> list[str]:
    return list(sources) if sources else [f"record {i + 1}" for i in range(len(reals))]


def compare_batch(
    reals: Sequence[RunRecord],
    predicted: Sequence[Sequence[RunRecord]],
    *,
    sources: Sequence[str] | None = None,
    predicted_from: str = "the predictions",
) -> TimingErrors:
    """Compare each real run with its predictions (``predicted[i]`` for ``reals[i]``, the same
    number for every run) and summarise the prediction error over the batch.

    Each real run must have deployed what its predictions deployed
    (:func:`~guardsim.compare.structure.check_same_deployment`; ``predicted_from`` names the
    predictions in that error).
    """
    labels = _labels(reals, sources)
    if len(predicted) != len(reals):
        raise CompareError(
            f"{len(reals)} real run(s) but {len(predicted)} set(s) of predictions: "
            "give one set per real run"
        )
    for real, preds, src in zip(reals, predicted, labels, strict=True):
        if not preds:
            raise CompareError(f"{src}: no predictions to compare it with")
        check_same_deployment(
            preds[0].scenario_definition, real.scenario_definition, predicted_from, src
        )
    return timing_errors(reals, lambda i, _: predicted[i], labels)


@dataclass(frozen=True)
class Improvement:
    """Timing error of the original and of the calibrated scenario against the same runs."""

    before: TimingErrors
    after: TimingErrors

    def to_data(self) -> dict[str, Any]:
        return {"before": self.before.to_data(), "after": self.after.to_data()}


def agreement_improvement(
    reals: Sequence[RunRecord],
    before: Sequence[RunRecord],
    after: Sequence[RunRecord],
    *,
    sources: Sequence[str] | None = None,
) -> Improvement:
    """:func:`compare_batch` of the same runs against the predictions of the original scenario
    (``before``) and of the calibrated one (``after``); both sets should be the same
    replications (same base seed and count), so the difference is due to the calibration."""
    return Improvement(
        compare_batch(reals, [before] * len(reals), sources=sources, predicted_from="the scenario"),
        compare_batch(reals, [after] * len(reals), sources=sources, predicted_from="the scenario"),
    )
