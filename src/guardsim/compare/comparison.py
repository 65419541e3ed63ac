"""Predicted vs real, one run against one run: :func:`compare_records`.

What is compared, and when a difference counts as a **mismatch** (the tolerances are module
constants, so a test or a caller can read them):

* **outcome**: SUCCEEDED / ROLLED_BACK / FAILED, equal or not;
* **phases**, matched by name and occurrence (:mod:`guardsim.compare.timeline`): start and
  duration of each. A duration mismatches when it differs by more than
  ``max(PHASE_TOLERANCE_SECONDS, PHASE_TOLERANCE_FRACTION x predicted duration)`` (30 s or 25 %).
  Start times are shown but not listed as mismatches on their own: a phase that starts late
  because an earlier phase lasted longer is the earlier phase's mismatch. The end of the
  deployment (the start of the final phase) is listed, with the same tolerance relative to the
  predicted deployment time. Phases only one run went through are mismatches.
* **metric publish delay**: the median seconds from a minute's end to its publication; a
  mismatch when the medians differ by more than ``max(DELAY_TOLERANCE_SECONDS,
  DELAY_TOLERANCE_FRACTION x predicted)`` (15 s or 25 %);
* **alarm transitions** from the UpdateEndpoint call to the end of the later deployment,
  matched by alarm, target state and occurrence: a mismatch when the times differ by more than
  ``ALARM_TOLERANCE_SECONDS`` (60 s: alarms are evaluated once a minute, so one evaluation
  apart is within tolerance), or when only one run has the transition;
* **per-minute metrics** per fleet: see :mod:`guardsim.compare.metrics`.

The tolerances are for one run against one run. Two runs of the same model differ by chance
(provisioning times alone vary by about 30 %); for a verdict that accounts for that, compare
against a Monte Carlo prediction (:mod:`guardsim.compare.distribution`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from guardsim.compare.delay import DelayRange, inferred_delay_range, publish_delays
from guardsim.compare.metrics import MetricDifference, median_or_none, metric_differences
from guardsim.compare.structure import check_same_deployment
from guardsim.compare.timeline import (
    AlarmChange,
    PhaseSpan,
    alarm_changes,
    match_by_key,
    phase_label,
    phase_spans,
    repeated_names,
)
from guardsim.errors import Problem
from guardsim.record import RunRecord
from guardsim.reports.text import format_seconds
from guardsim.scenarios.environment import Environment
from guardsim.scenarios.fields import load_dataclass

PHASE_TOLERANCE_SECONDS = 30.0
PHASE_TOLERANCE_FRACTION = 0.25
DELAY_TOLERANCE_SECONDS = 15.0
DELAY_TOLERANCE_FRACTION = 0.25
ALARM_TOLERANCE_SECONDS = 60.0


def phase_tolerance(predicted_seconds: float) -> float:
    return max(PHASE_TOLERANCE_SECONDS, PHASE_TOLERANCE_FRACTION * abs(predicted_seconds))


def delay_tolerance(predicted_seconds: float) -> float:
    return max(DELAY_TOLERANCE_SECONDS, DELAY_TOLERANCE_FRACTION * abs(predicted_seconds))


def _dur(t: float | None) -> str:
    return format_seconds(t, signed=False)


def _delta(d: float | None) -> str:
    return format_seconds(d) if d is not None else "-"


@dataclass(frozen=True)
class Mismatch:
    """One difference beyond tolerance: what kind, about what, and how big (real - predicted).

    ``kind``: ``outcome``, ``phase_duration``, ``phase_only_predicted``, ``phase_only_real``,
    ``deployment_end``, ``metric_delay``, ``alarm_time``, ``alarm_only_predicted``,
    ``alarm_only_real`` or ``metric``.
    """

    kind: str
    subject: str
    message: str
    difference: float | None = None

    def to_data(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "subject": self.subject,
            "message": self.message,
            "difference": self.difference,
        }


@dataclass(frozen=True)
class PhaseComparison:
    """One phase both runs went through."""

    label: str
    predicted: PhaseSpan
    real: PhaseSpan

    @property
    def start_difference(self) -> float:
        return self.real.start - self.predicted.start

    @property
    def duration_difference(self) -> float | None:
        p, r = self.predicted.duration, self.real.duration
        return None if p is None or r is None else r - p

    @property
    def observed(self) -> bool:
        """False when either record only inferred the phase (a real run's record: it fell
        between two polls), so its timing says nothing."""
        return self.predicted.observed and self.real.observed

    @property
    def duration_differs(self) -> bool:
        d = self.duration_difference
        p = self.predicted.duration
        return self.observed and d is not None and p is not None and abs(d) > phase_tolerance(p)

    def to_data(self) -> dict[str, Any]:
        return {
            "phase": self.label,
            "predicted_start": self.predicted.start,
            "real_start": self.real.start,
            "start_difference": self.start_difference,
            "predicted_duration": self.predicted.duration,
            "real_duration": self.real.duration,
            "duration_difference": self.duration_difference,
            "predicted_ended_by": self.predicted.ended_by,
            "real_ended_by": self.real.ended_by,
            "duration_differs": self.duration_differs,
            "observed": self.observed,
        }


@dataclass(frozen=True)
class AlarmComparison:
    """One alarm transition both runs had (matched by alarm, target state and occurrence)."""

    predicted: AlarmChange
    real: AlarmChange

    @property
    def difference(self) -> float:
        return self.real.t - self.predicted.t

    @property
    def differs(self) -> bool:
        return abs(self.difference) > ALARM_TOLERANCE_SECONDS

    def to_data(self) -> dict[str, Any]:
        return {
            "alarm": self.real.alarm,
            "to": self.real.to,
            "occurrence": self.real.occurrence,
            "predicted_t": self.predicted.t,
            "real_t": self.real.t,
            "difference": self.difference,
            "differs": self.differs,
        }


@dataclass(frozen=True)
class DelayComparison:
    """The metric publish delay of each run: the median seconds after the minute's end, or, for
    a record without publication times (a real run), the range of fixed delays its alarm history
    allows (:mod:`guardsim.compare.delay`)."""

    predicted_median: float | None
    real_median: float | None
    predicted_minutes: int
    real_minutes: int
    predicted_range: DelayRange | None = None
    real_range: DelayRange | None = None

    @property
    def difference(self) -> float | None:
        """Real minus predicted: of the medians, or from a median to the other run's range (0
        inside it)."""
        p, r = self.predicted_median, self.real_median
        if p is not None and r is not None:
            return r - p
        if p is not None and self.real_range is not None:
            return _to_range(p, self.real_range)
        if r is not None and self.predicted_range is not None:
            return -_to_range(r, self.predicted_range)
        return None

    @property
    def differs(self) -> bool:
        d = self.difference
        reference = self.predicted_median
        if reference is None and self.predicted_range is not None:
            reference = self.predicted_range.midpoint or self.predicted_range.low
        return d is not None and abs(d) > delay_tolerance(reference or 0.0)

    def describe(self, side: str) -> str:
        median = self.predicted_median if side == "predicted" else self.real_median
        rng = self.predicted_range if side == "predicted" else self.real_range
        minutes = self.predicted_minutes if side == "predicted" else self.real_minutes
        if median is not None:
            return f"{median:.0f} s (median of {minutes} minute(s))"
        if rng is not None:
            return f"{rng.describe()} (from the alarm history)"
        return "unknown"

    def to_data(self) -> dict[str, Any]:
        def rng(r: DelayRange | None) -> dict[str, Any] | None:
            return None if r is None else {"low": r.low, "high": r.high}

        return {
            "predicted_median": self.predicted_median,
            "real_median": self.real_median,
            "predicted_minutes": self.predicted_minutes,
            "real_minutes": self.real_minutes,
            "predicted_range": rng(self.predicted_range),
            "real_range": rng(self.real_range),
            "difference": self.difference,
            "differs": self.differs,
        }


def _to_range(x: float, r: DelayRange) -> float:
    """Signed distance from ``x`` to the range (positive: the range lies above ``x``)."""
    if x < r.low:
        return r.low - x
    if r.high is not None and x > r.high:
        return r.high - x
    return 0.0


def delay_comparison(predicted: RunRecord, real: RunRecord) -> DelayComparison:
    """Measured delays where a record has publication times, inferred ranges where not."""
    out: dict[str, Any] = {}
    for side, record, other in (("predicted", predicted, real), ("real", real, predicted)):
        delays = publish_delays(record)
        out[f"{side}_median"] = median_or_none(delays)
        out[f"{side}_minutes"] = len(delays)
        if not delays:
            definition = record.scenario_definition or other.scenario_definition
            out[f"{side}_range"] = inferred_delay_range(
                [record], definition.get("alarms") or [], _environment(definition)
            )
    return DelayComparison(**out)


def _environment(definition: Mapping[str, Any]) -> Environment:
    """The environment a record's scenario states (its file was validated when the run was
    made; what does not load falls back to the defaults, which the comparison says it uses)."""
    problems: list[Problem] = []
    env = load_dataclass(Environment, definition.get("environment") or {}, "environment", problems)
    return env if env is not None and not problems else Environment()


@dataclass(frozen=True)
class Comparison:
    """A predicted run against a real run: see the module docstring."""

    predicted: RunRecord
    real: RunRecord
    phases: tuple[PhaseComparison, ...]
    only_predicted: tuple[PhaseSpan, ...]
    only_real: tuple[PhaseSpan, ...]
    delay: DelayComparison
    alarms: tuple[AlarmComparison, ...]
    alarms_only_predicted: tuple[AlarmChange, ...]
    alarms_only_real: tuple[AlarmChange, ...]
    metrics: tuple[MetricDifference, ...]
    mismatches: tuple[Mismatch, ...] = field(default=())
    #: phase names either run went through more than once (labelled ``Baking #2``)
    repeated: frozenset[str] = frozenset()

    def label(self, span: PhaseSpan) -> str:
        """``Baking`` or ``Baking #2``, as the comparison's tables name the phase."""
        return phase_label(span.key, span.name in self.repeated)

    @property
    def outcome_agrees(self) -> bool:
        return self.predicted.outcome == self.real.outcome

    @property
    def mismatched_phases(self) -> tuple[str, ...]:
        """Labels of the phases whose duration mismatches (in the real run's order)."""
        return tuple(m.subject for m in self.mismatches if m.kind == "phase_duration")

    @property
    def agrees(self) -> bool:
        return not self.mismatches

    def to_data(self) -> dict[str, Any]:
        return {
            "format": "guardsim.comparison/1",
            "predicted": {
                "scenario": self.predicted.scenario,
                "seed": self.predicted.seed,
                "mode": self.predicted.mode,
                "outcome": self.predicted.outcome,
            },
            "real": {
                "scenario": self.real.scenario,
                "seed": self.real.seed,
                "mode": self.real.mode,
                "outcome": self.real.outcome,
            },
            "outcome_agrees": self.outcome_agrees,
            "phases": [p.to_data() for p in self.phases],
            "phases_only_predicted": [_span_data(s) for s in self.only_predicted],
            "phases_only_real": [_span_data(s) for s in self.only_real],
            "metric_publish_delay": self.delay.to_data(),
            "alarm_transitions": [a.to_data() for a in self.alarms],
            "alarm_transitions_only_predicted": [
                _change_data(a) for a in self.alarms_only_predicted
            ],
            "alarm_transitions_only_real": [_change_data(a) for a in self.alarms_only_real],
            "metrics": [m.to_data() for m in self.metrics],
            "mismatches": [m.to_data() for m in self.mismatches],
            "tolerances": {
                "phase_seconds": PHASE_TOLERANCE_SECONDS,
                "phase_fraction": PHASE_TOLERANCE_FRACTION,
                "delay_seconds": DELAY_TOLERANCE_SECONDS,
                "delay_fraction": DELAY_TOLERANCE_FRACTION,
                "alarm_seconds": ALARM_TOLERANCE_SECONDS,
            },
        }


def _span_data(s: PhaseSpan) -> dict[str, Any]:
    return {"phase": s.name, "occurrence": s.occurrence, "start": s.start, "duration": s.duration}


def _change_data(a: AlarmChange) -> dict[str, Any]:
    return {"alarm": a.alarm, "to": a.to, "occurrence": a.occurrence, "t": a.t}


def compare_phases(
    predicted: RunRecord, real: RunRecord
) -> tuple[list[PhaseComparison], list[PhaseSpan], list[PhaseSpan]]:
    """Phases matched by name and occurrence, and those only one run went through."""
    ps, rs = phase_spans(predicted), phase_spans(real)
    repeated = repeated_names(ps, rs)
    pairs, only_p, only_r = match_by_key(ps, rs)
    matched = [PhaseComparison(phase_label(r.key, r.name in repeated), p, r) for p, r in pairs]
    return matched, only_p, only_r


def _phase_mismatches(
    phases: list[PhaseComparison],
    only_p: list[PhaseSpan],
    only_r: list[PhaseSpan],
    predicted: RunRecord,
    real: RunRecord,
    repeated: set[str],
) -> list[Mismatch]:
    out: list[Mismatch] = []
    for pc in phases:
        if not pc.duration_differs:
            continue
        d = pc.duration_difference
        why = ""
        if pc.predicted.ended_by != pc.real.ended_by:
            why = f"; ended by {pc.real.ended_by} (predicted: {pc.predicted.ended_by})"
        out.append(
            Mismatch(
                "phase_duration",
                pc.label,
                f"{pc.label} lasted {_dur(pc.real.duration)} in the real run, "
                f"{_dur(pc.predicted.duration)} predicted ({_delta(d)}){why}",
                d,
            )
        )
    for s in only_p:
        label = phase_label(s.key, s.name in repeated)
        out.append(
            Mismatch(
                "phase_only_predicted",
                label,
                f"{label} was predicted (at {format_seconds(s.start)}) but the real run never "
                "went through it",
            )
        )
    for s in only_r:
        label = phase_label(s.key, s.name in repeated)
        out.append(
            Mismatch(
                "phase_only_real",
                label,
                f"the real run went through {label} (at {format_seconds(s.start)}), which was "
                "not predicted",
            )
        )
    p_end, r_end = predicted.summary.deployment_seconds, real.summary.deployment_seconds
    if abs(r_end - p_end) > phase_tolerance(p_end):
        out.append(
            Mismatch(
                "deployment_end",
                "deployment",
                f"the deployment took {_dur(r_end)} in the real run, {_dur(p_end)} predicted "
                f"({_delta(r_end - p_end)})",
                r_end - p_end,
            )
        )
    return out


def compare_records(predicted: RunRecord, real: RunRecord, *, check: bool = True) -> Comparison:
    """Compare a predicted run record with a real one (see the module docstring).

    ``check``: first make sure both deployed the same thing (:func:`check_same_deployment`,
    raises :class:`~guardsim.compare.structure.CompareError`).
    """
    if check:
        check_same_deployment(
            predicted.scenario_definition, real.scenario_definition, "predicted", "real"
        )
    phases, only_p, only_r = compare_phases(predicted, real)
    repeated = repeated_names(phase_spans(predicted), phase_spans(real))
    mismatches: list[Mismatch] = []
    if predicted.outcome != real.outcome:
        mismatches.append(
            Mismatch(
                "outcome",
                "outcome",
                f"the real run ended {real.outcome}, the prediction {predicted.outcome}",
            )
        )
    mismatches += _phase_mismatches(phases, only_p, only_r, predicted, real, repeated)

    delay = delay_comparison(predicted, real)
    if delay.differs:
        mismatches.append(
            Mismatch(
                "metric_delay",
                "metric publish delay",
                f"metrics were published {delay.describe('real')} after the end of their minute "
                f"in the real run; predicted: {delay.describe('predicted')} "
                f"({delay.difference:+.0f} s)",
                delay.difference,
            )
        )

    end = max(predicted.summary.deployment_seconds, real.summary.deployment_seconds)
    pairs, a_only_p, a_only_r = match_by_key(
        alarm_changes(predicted, end=end), alarm_changes(real, end=end)
    )
    alarms = [AlarmComparison(p, r) for p, r in pairs]
    for a in alarms:
        if a.differs:
            mismatches.append(
                Mismatch(
                    "alarm_time",
                    f"{a.real.alarm} -> {a.real.to}",
                    f"alarm {a.real.alarm} went {a.real.to} at {format_seconds(a.real.t)} in the "
                    f"real run, {format_seconds(a.predicted.t)} predicted "
                    f"({_delta(a.difference)})",
                    a.difference,
                )
            )
    for c in a_only_p:
        mismatches.append(
            Mismatch(
                "alarm_only_predicted",
                f"{c.alarm} -> {c.to}",
                f"alarm {c.alarm} was predicted to go {c.to} at {format_seconds(c.t)}; "
                "in the real run it did not",
            )
        )
    for c in a_only_r:
        mismatches.append(
            Mismatch(
                "alarm_only_real",
                f"{c.alarm} -> {c.to}",
                f"alarm {c.alarm} went {c.to} at {format_seconds(c.t)} in the real run, "
                "which was not predicted",
            )
        )

    metrics = metric_differences(predicted, real)
    for m in metrics:
        if m.differs:
            unit = f" {m.unit}" if m.unit else ""
            mismatches.append(
                Mismatch(
                    "metric",
                    f"{m.label} ({m.dimensions})",
                    f"{m.label} of the {m.dimensions} metrics: {m.real_mean:.4g}{unit} in the "
                    f"real run, {m.predicted_mean:.4g}{unit} predicted",
                    m.difference,
                )
            )
    return Comparison(
        predicted=predicted,
        real=real,
        phases=tuple(phases),
        only_predicted=tuple(only_p),
        only_real=tuple(only_r),
        delay=delay,
        alarms=tuple(alarms),
        alarms_only_predicted=tuple(a_only_p),
        alarms_only_real=tuple(a_only_r),
        metrics=tuple(metrics),
        mismatches=tuple(mismatches),
        repeated=frozenset(repeated),
    )
