"""Comparisons, calibrations and batches as text a person reads in a terminal (pure)."""

from __future__ import annotations

import math
from typing import Any

from guardsim.compare.agreement import Improvement, TimingErrors
from guardsim.compare.calibration import Calibration
from guardsim.compare.comparison import (
    ALARM_TOLERANCE_SECONDS,
    DELAY_TOLERANCE_FRACTION,
    DELAY_TOLERANCE_SECONDS,
    PHASE_TOLERANCE_FRACTION,
    PHASE_TOLERANCE_SECONDS,
    Comparison,
)
from guardsim.compare.distribution import DistributionComparison
from guardsim.record import RunRecord
from guardsim.reports.text import format_seconds

TOLERANCE_TEXT = (
    f"phase durations {PHASE_TOLERANCE_SECONDS:g} s or {100 * PHASE_TOLERANCE_FRACTION:g} %, "
    f"metric delay {DELAY_TOLERANCE_SECONDS:g} s or {100 * DELAY_TOLERANCE_FRACTION:g} %, "
    f"alarm transitions {ALARM_TOLERANCE_SECONDS:g} s"
)


def _who(r: RunRecord) -> str:
    return f"{r.scenario}, seed {r.seed}, {r.mode} mode"


def _dur(t: float | None) -> str:
    return format_seconds(t, signed=False)


def _num(x: float | None, digits: int = 4) -> str:
    return "-" if x is None else f"{x:.{digits}g}"


def comparison_text(c: Comparison) -> str:
    """Outcome, phases, metric delay, alarms, metrics and the mismatches, in that order."""
    p, r = c.predicted, c.real
    lines = [
        f"Predicted ({_who(p)}) vs real ({_who(r)}); times after the UpdateEndpoint call",
        f"  outcome: predicted {p.outcome}, real {r.outcome}: "
        + ("agree" if c.outcome_agrees else "DIFFER"),
        "",
        f"  {'phase':<22} {'start: predicted':>16} {'real':>9} {'diff':>8}   "
        f"{'duration: predicted':>19} {'real':>9} {'diff':>8}",
    ]
    for pc in c.phases:
        mark = "  !" if pc.duration_differs else ("  (inferred)" if not pc.observed else "")
        lines.append(
            f"  {pc.label:<22} {format_seconds(pc.predicted.start):>16} "
            f"{format_seconds(pc.real.start):>9} {format_seconds(pc.start_difference):>8}   "
            f"{_dur(pc.predicted.duration):>19} {_dur(pc.real.duration):>9} "
            f"{format_seconds(pc.duration_difference):>8}{mark}"
        )
    if c.only_predicted:
        lines.append(
            "  only predicted: "
            + ", ".join(f"{c.label(s)} ({format_seconds(s.start)})" for s in c.only_predicted)
        )
    if c.only_real:
        lines.append(
            "  only real:      "
            + ", ".join(f"{c.label(s)} ({format_seconds(s.start)})" for s in c.only_real)
        )
    d = c.delay
    lines += [
        "",
        f"  metric publish delay: predicted {d.describe('predicted')}, real {d.describe('real')}"
        + ("  !" if d.differs else ""),
    ]
    if c.alarms or c.alarms_only_predicted or c.alarms_only_real:
        lines.append("  alarm transitions (from UpdateEndpoint to the end of the later run):")
        for a in c.alarms:
            lines.append(
                f"    {a.real.alarm} -> {a.real.to}: predicted {format_seconds(a.predicted.t)}, "
                f"real {format_seconds(a.real.t)} ({format_seconds(a.difference)})"
                + ("  !" if a.differs else "")
            )
        for ch in c.alarms_only_predicted:
            when = format_seconds(ch.t)
            lines.append(f"    {ch.alarm} -> {ch.to}: predicted {when}, real never  !")
        for ch in c.alarms_only_real:
            when = format_seconds(ch.t)
            lines.append(f"    {ch.alarm} -> {ch.to}: real {when}, never predicted  !")
    else:
        lines.append("  alarm transitions: none in either run during the deployment")
    if c.metrics:
        lines.append(
            "  per-minute metrics (mean over each run's minutes; mean |diff| on the minutes both "
            "have):"
        )
        for m in c.metrics:
            unit = f" {m.unit}" if m.unit else ""
            lines.append(
                f"    {m.dimensions:<7} {m.label:<24} predicted {_num(m.predicted_mean):>8}"
                f"{unit}  real {_num(m.real_mean):>8}{unit}  mean |diff| "
                f"{_num(m.mean_abs_minute_difference):>8} over {len(m.common)} minute(s)"
                + ("  !" if m.differs else "")
            )
    lines.append("")
    if c.mismatches:
        lines.append(f"{len(c.mismatches)} mismatch(es) (tolerances: {TOLERANCE_TEXT}):")
        lines += [f"  - {m.message}" for m in c.mismatches]
    else:
        lines.append(f"No mismatches (tolerances: {TOLERANCE_TEXT}).")
    return "\n".join(lines)


def _measure_value(measure: str, v: Any) -> str:
    if isinstance(v, str):
        return v
    if measure.endswith("_seconds"):
        return "never" if math.isinf(v) else _dur(v)
    return f"{v:,.0f}"


def distribution_text(d: DistributionComparison) -> str:
    """Where the real run falls, measure by measure, and the verdict."""
    lines = [
        f"Real run ({_who(d.real)}) against {d.predicted.n} predicted runs ({d.predicted.source})",
        f"  {'measure':<46} {'real':>10} {'percentile':>11}   predicted 2.5% / median / 97.5%",
    ]
    for m in d.measures:
        if m.predicted_quantiles is None:
            lines.append(
                f"  {m.label:<46} {_measure_value(m.measure, m.real):>10}   "
                f"as in {m.percentile:.1f}% of the predicted runs"
            )
            continue
        q = " / ".join(_measure_value(m.measure, v) for v in m.predicted_quantiles)
        lines.append(
            f"  {m.label:<46} {_measure_value(m.measure, m.real):>10} {m.percentile:>10.1f}%   {q}"
        )
    for _, label, why in d.not_observable:
        lines.append(f"  {label:<46} {why}; left out of the verdict")
    if d.consistent:
        lines.append(
            f"verdict: consistent (conformal p = {d.p_value:.3f} >= {d.alpha:g}): the real run "
            "looks like one more draw from the prediction"
        )
    else:
        labels = {m.measure: m.label for m in d.measures}
        which = ", ".join(labels[m] for m in d.surprising_measures)
        lines.append(
            f"verdict: SURPRISING (conformal p = {d.p_value:.3f} < {d.alpha:g}); outside the "
            f"central {100 * (1 - d.alpha):.0f}% of the predicted runs: {which}"
        )
    return "\n".join(lines)


def _est(e: Any) -> str:
    lo = "-inf" if math.isinf(e.low) else f"{e.low:.4g}"
    hi = "inf" if math.isinf(e.high) else f"{e.high:.4g}"
    return f"{e.value:.4g} [{lo}, {hi}]"


def calibration_text(cal: Calibration) -> str:
    """Each fitted value with its 95 % interval, the old value, the observations and the method."""
    lines = [
        f"Calibrated {cal.scenario.name} from {cal.records} run record(s); each fitted value "
        "with its 95 % interval [low, high]:"
    ]
    for s in cal.settings:
        params = ", ".join(f"{k} {_est(e)}" for k, e in s.parameters.items())
        kind = s.after.get("kind") if isinstance(s.after, dict) else None
        applied = "" if s.applied else "   (fitted, not applied)"
        lines.append(f"  {s.path}: {kind + ' ' if kind else ''}{params}{applied}")
        methods = "; ".join(sorted({e.method for e in s.parameters.values()}))
        lines.append(f"      was {_plain(s.before)}; from {s.source}; {methods}")
        if s.note:
            lines.append(f"      note: {s.note}")
    for note in cal.notes:
        lines.append(f"  not fitted: {note}")
    return "\n".join(lines)


def _plain(value: Any) -> str:
    if isinstance(value, dict):
        return ", ".join(f"{k} {v}" for k, v in value.items() if k != "faults")
    return str(value)


def batch_text(t: TimingErrors, title: str) -> str:
    """Outcome agreement and timing errors over a batch of real runs."""
    lines = [
        title,
        f"  outcome matched (most frequent of {t.predictions_per_run} predictions) in "
        f"{t.outcome_matches} of {len(t.runs)} run(s); mean predicted probability of the real "
        f"outcome {t.mean_outcome_probability:.2f}",
        f"  mean absolute error of the deployment time: {t.deployment_mae:.0f} s",
        f"  mean absolute error per phase (over {t.predictions_per_run} predictions per run):",
        f"    {'phase':<22} {'pairs':>6} {'start':>9} {'duration':>9}",
    ]
    for p in t.phases:
        dur = "-" if p.duration_mae is None else f"{p.duration_mae:.0f} s"
        lines.append(f"    {p.label:<22} {p.pairs:>6} {p.start_mae:>7.0f} s {dur:>9}")
    lines.append("  per run:")
    for r in t.runs:
        preds = ", ".join(f"{k} {v}" for k, v in sorted(r.predicted_outcomes.items()))
        lines.append(
            f"    {r.source}: {r.outcome} (predicted: {preds}); deployment "
            f"{_dur(r.deployment_seconds)}, mean |error| {r.deployment_mae:.0f} s"
        )
    return "\n".join(lines)


def improvement_text(imp: Improvement) -> str:
    """Timing error before and after calibration, per phase."""
    b, a = imp.before, imp.after
    lines = [
        f"Agreement with the {len(b.runs)} real run(s), {b.predictions_per_run} predictions each "
        "(mean absolute error, before -> after calibration):",
        f"  outcome matched: {b.outcome_matches}/{len(b.runs)} -> "
        f"{a.outcome_matches}/{len(a.runs)}",
        f"  deployment time: {b.deployment_mae:.0f} s -> {a.deployment_mae:.0f} s",
        f"  phase durations (pooled): {b.duration_mae:.0f} s -> {a.duration_mae:.0f} s",
        f"    {'phase':<22} {'start':>19} {'duration':>19}",
    ]
    after = {p.label: p for p in a.phases}
    for p in b.phases:
        q = after.get(p.label)
        s_after = "-" if q is None else f"{q.start_mae:.0f} s"
        d_before = "-" if p.duration_mae is None else f"{p.duration_mae:.0f} s"
        d_after = "-" if q is None or q.duration_mae is None else f"{q.duration_mae:.0f} s"
        lines.append(
            f"    {p.label:<22} {f'{p.start_mae:.0f} s -> {s_after}':>19} "
            f"{f'{d_before} -> {d_after}':>19}"
        )
    return "\n".join(lines)
