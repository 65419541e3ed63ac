"""The lint rules: each a pure function ``(scenario, context) -> list[Finding]``.

A rule reads the configuration (through :mod:`guardsim.lint.derived`) and, where it makes sense,
the shared Monte Carlo evidence (:class:`guardsim.lint.evidence.Evidence`, computed once per lint
run). Every finding carries both kinds of numbers in its ``evidence`` (``config`` and
``simulated``) and a concrete ``fix``. :data:`RULES` lists them in the order they run, each with
its id, a one-line title and what decides its severity (``guardsim lint --list-rules``).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from guardsim.cloudwatch.statistics import StatisticKind
from guardsim.intervals import wilson_interval
from guardsim.lint.component_rules import COMPONENT_RULES
from guardsim.lint.context import LintContext
from guardsim.lint.derived import (
    AlarmFacts,
    StepTiming,
    breaches,
    error_fraction,
    execution_estimate,
    fraction_can_breach,
    latency_statistic_us,
    low_sample_count,
    mean_rate,
    p_at_least,
    p_period_has_data,
    period_for,
    requests_per_period,
    required_green_value,
    rounded,
    steady_fleet,
)
from guardsim.lint.evidence import (
    FAILING_LATENCY_FACTOR,
    VariantResult,
    failing_model,
    quantiles,
)
from guardsim.lint.findings import Finding, Severity
from guardsim.lint.instance_rules import check_instance_metric_load
from guardsim.model.metrics import ERROR_METRICS
from guardsim.scenarios.scenario import Scenario
from guardsim.scenarios.variants import alarm_variants, assign_alarms, variant_names

DC = "deployment_config"
BG = f"{DC}.BlueGreenUpdatePolicy"
TRC = f"{BG}.TrafficRoutingConfiguration"
RP = f"{DC}.RollingUpdatePolicy"
ARC = f"{DC}.AutoRollbackConfiguration"

_SYMBOL = {
    "GreaterThanOrEqualToThreshold": ">=",
    "GreaterThanThreshold": ">",
    "LessThanThreshold": "<",
    "LessThanOrEqualToThreshold": "<=",
}

Check = Callable[[Scenario, LintContext], list[Finding]]


@dataclass(frozen=True)
class Rule:
    """A registered rule: its id, a title, how it decides severity, and the check itself."""

    id: str
    title: str
    severities: str
    check: Check


# --------------------------------------------------------------------------- formatting


def _pct(p: float) -> str:
    """A probability or fraction as a percentage, without claiming 0 % or 100 % falsely."""
    x = 100.0 * p
    if 0 < x < 0.1:
        return "<0.1%"
    if 99.9 < x < 100:
        return ">99.9%"
    return f"{x:.0f}%" if x == round(x) or x >= 10 else f"{x:.1f}%"


def _and(items: Sequence[str]) -> str:
    """``a``, ``a and b``, ``a, b and c``."""
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _of(k: int, n: int) -> str:
    return f"{k}/{n}"


def _ci(result: VariantResult, k: int) -> str:
    low, high = wilson_interval(k, result.n)
    return f"95% CI {_pct(low)}-{_pct(high)}"


def _ms(us: float) -> str:
    return f"{us / 1000:.3g} ms"


def _round_up(seconds: float, step: int = 30) -> int:
    return int(step * math.ceil(seconds / step))


def _simulated(result: VariantResult, **extra: Any) -> dict[str, Any]:
    return {"variant": result.key, "definition": result.definition, **extra}


def _finding(
    rule: str,
    severity: Severity,
    path: str,
    message: str,
    *,
    config: dict[str, Any] | None = None,
    simulated: dict[str, Any] | None = None,
    fix: str,
) -> Finding:
    evidence: dict[str, Any] = {}
    if config:
        evidence["config"] = rounded(config)
    if simulated:
        evidence["simulated"] = rounded(simulated)
    return Finding(rule, severity, path, message, evidence, fix)


def _caught_text(result: VariantResult, ctx: LintContext) -> str:
    parts = [f"{label} {k}" for label, k in result.detected_in(ctx.steps).items() if k]
    return ", ".join(parts)


def _rollers(result: VariantResult) -> list[tuple[str, int]]:
    """Rollback alarms by how often they were tripped at detection, most first."""
    trips = result.trips()
    return sorted(((a, k) for a, k in trips.items() if k), key=lambda x: (-x[1], x[0]))


def _new_fleet_dimension(scenario: Scenario) -> str:
    """The dimension that watches the new fleet: the green config's own series, or (an inference
    component, whose copies share one config) the component's series."""
    if scenario.endpoint.component is not None:
        return f"InferenceComponentName={scenario.endpoint.component}"
    return f"EndpointConfigName={scenario.endpoint.green.name}"


def _green_dims_fix(scenario: Scenario) -> str:
    if scenario.endpoint.component is not None:  # inference components: no per-copy series
        return (
            "no series holds an inference component's new copies alone (its "
            f"InferenceComponentName={scenario.endpoint.component} series blends old and new "
            "copies): lower the Threshold by the new copies' share of traffic, or bake longer "
            "at 100%"
        )
    return (
        f"add {{Name: EndpointConfigName, Value: {scenario.endpoint.green.name}}} to Dimensions "
        "to watch only the new fleet (SageMaker publishes per-config metrics for each fleet)"
    )


def _fraction_threshold_fix(threshold: float) -> str:
    if 1 <= threshold <= 100:
        return (
            f"use Threshold {threshold / 100:g} for a {threshold:g}% error rate (Average of a "
            "0/1 error metric is a fraction: 0.01 is 1%)"
        )
    return "use a Threshold between 0 and 1, e.g. 0.01 for a 1% error rate"


# --------------------------------------------------------------------------- thresholds


def _unreachable(a: AlarmFacts) -> str | None:
    """'never' or 'all' (reachable only when every request fails) for a fraction alarm."""
    src = a.single
    if src is None or not src.is_fraction or a.alarm.threshold is None:
        return None
    if not fraction_can_breach(a.operator, a.threshold):
        return "never"
    # Average (or Minimum) >= 1 needs every request to fail; Maximum >= 1 is "any error".
    if (
        a.operator == "GreaterThanOrEqualToThreshold"
        and a.threshold == 1.0
        and src.kind in (StatisticKind.AVERAGE, StatisticKind.MINIMUM)
    ):
        return "all"
    return None


def check_unreachable_threshold(scenario: Scenario, ctx: LintContext) -> list[Finding]:
    out = []
    for a in ctx.alarms:
        kind = _unreachable(a)
        if kind is None:
            continue
        src = a.single
        assert src is not None
        alone = ctx.evidence.failing_only(a.name)
        k, n = alone.alarm_rollbacks, alone.n
        sym = _SYMBOL.get(a.operator, a.operator)
        head = (
            f"alarm {a.name!r}: {src.statistic} of {src.metric} is a fraction of requests "
            f"(0 to 1), so {sym} {a.threshold:g}"
        )
        if kind == "never":
            severity: Severity = "error"
            what = "can never be reached: the alarm never fires"
        else:
            severity = "warning"
            what = (
                "is reached only when every request of a period fails (a model failing 99% of "
                "its requests never trips it)"
            )
        out.append(
            _finding(
                "unreachable-threshold",
                severity,
                f"{a.path}.Threshold",
                f"{head} {what}. Alone, it rolled back the failing model (every request a 5XX) "
                f"in {_of(k, n)} runs.",
                config={
                    "statistic": src.statistic,
                    "metric": src.metric,
                    "statistic_range": [0.0, 1.0],
                    "operator": a.operator,
                    "threshold": a.threshold,
                    "reachable": "never" if kind == "never" else "only at a 100% error rate",
                },
                simulated=_simulated(
                    alone,
                    **alone.alarm_rollback_data(),
                    detected_in=alone.detected_in(ctx.steps),
                ),
                fix=_fraction_threshold_fix(a.threshold),
            )
        )
    return out


def check_latency_units(scenario: Scenario, ctx: LintContext) -> list[Finding]:
    out = []
    for a in ctx.alarms:
        src = a.single
        t = a.threshold
        if (
            src is None
            or not src.is_latency
            or not a.operator.startswith("Greater")
            or not 0 < t < 1000
        ):
            continue
        healthy_us = latency_statistic_us(steady_fleet(scenario), src.metric, src.statistic)
        h = ctx.evidence.healthy
        trips = h.trips().get(a.name, 0)
        trips_healthy = healthy_us is not None and breaches(a.operator, healthy_us, t)
        severity: Severity = "error" if trips_healthy or 2 * trips >= h.n else "warning"
        healthy_text = (
            f"; a healthy model's {src.statistic} is about {_ms(healthy_us)} "
            f"({healthy_us:.0f} us), so it trips it"
            if trips_healthy and healthy_us is not None
            else ""
        )
        out.append(
            _finding(
                "latency-units",
                severity,
                f"{a.path}.Threshold",
                f"alarm {a.name!r}: {src.metric} is in microseconds, so Threshold {t:g} is "
                f"{t / 1000:g} ms{healthy_text}. A healthy model was rolled back by it in "
                f"{_of(trips, h.n)} runs.",
                config={
                    "metric": src.metric,
                    "threshold_us": t,
                    "threshold_ms": t / 1000,
                    "healthy_statistic_us": healthy_us,
                },
                simulated=_simulated(h, tripped_this_alarm=trips, runs=h.n),
                fix=f"use Threshold {t * 1000:g} ({t:g} ms in microseconds)",
            )
        )
    return out


# --------------------------------------------------------------------------- dilution


def _dilution_rows(
    scenario: Scenario, ctx: LintContext, a: AlarmFacts
) -> list[tuple[StepTiming, float]] | None:
    """(step, required green value) for each step before the final flip, or None if the
    alarm is not a blended Average of errors or latency with a Greater operator."""
    src = a.single
    if (
        src is None
        or not src.blended
        or src.kind is not StatisticKind.AVERAGE
        or not a.operator.startswith("Greater")
        or not (src.is_fraction or src.is_latency)
        or not ctx.partial_steps
    ):
        return None
    blue = steady_fleet(scenario)
    if src.is_fraction:
        b = error_fraction(blue, src.metric)
    else:
        b = latency_statistic_us(blue, src.metric, "Average") or 0.0
    return [
        (t, required_green_value(a.threshold, t.step.green_fraction, b)) for t in ctx.partial_steps
    ]


def _bound_text(threshold: float, share: float, blue: float) -> str:
    """The dilution bound as arithmetic: ``1/s = 1/0.333`` or ``(T - (1-s) b)/s = ...``."""
    if blue == 0:
        return f"threshold/s = {threshold:g}/{share:.3g}"
    return (
        f"(threshold - (1 - s) x blue)/s = ({threshold:g} - {1 - share:.3g} x {blue:g})/{share:.3g}"
    )


def _fraction_reachable(a: AlarmFacts, required: float) -> bool:
    return required < 1.0 if a.operator == "GreaterThanThreshold" else required <= 1.0


def _dilution_blocks_first_step(scenario: Scenario, ctx: LintContext, a: AlarmFacts) -> bool:
    rows = _dilution_rows(scenario, ctx, a)
    src = a.single
    if not rows or src is None or not src.is_fraction:
        return False
    return not _fraction_reachable(a, rows[0][1])


def check_blended_dilution(scenario: Scenario, ctx: LintContext) -> list[Finding]:
    out = []
    for a in ctx.alarms:
        rows = _dilution_rows(scenario, ctx, a)
        if not rows:
            continue
        src = a.single
        assert src is not None
        first, required = rows[0]
        share = first.step.green_fraction
        alone = ctx.evidence.failing_only(a.name)
        last_partial = ctx.partial_steps[-1].step.index
        caught_partial = alone.detected_by_step(last_partial)
        failing = ctx.evidence.failing
        rollers = _rollers(failing)
        roll_text = (
            "the failing model's rollback comes from "
            + ", ".join(f"{name!r} (tripped in {_of(k, failing.n)} runs)" for name, k in rollers)
            if rollers
            else "no rollback alarm rolls the failing model back at all"
        )
        config = {
            "dimensions": "EndpointName+VariantName (blended: both fleets)",
            "threshold": a.threshold,
            "steps": [
                {
                    "bake": t.label,
                    "green_share": t.step.green_fraction,
                    "required_green_value": req,
                }
                for t, req in rows
            ],
        }
        simulated = _simulated(
            alone,
            runs=alone.n,
            tripped_before_final_flip=caught_partial,
            detected_in=alone.detected_in(ctx.steps),
            failing_model_tripped=failing.trips(),
        )
        if src.is_fraction:
            blue_b = error_fraction(steady_fleet(scenario), src.metric)
            blocked = [t for t, req in rows if not _fraction_reachable(a, req)]
            if blocked:
                severity: Severity = "error"
                where = (
                    "during any bake before the final flip"
                    if len(blocked) == len(rows) and len(rows) > 1
                    else f"during the {first.label.split(' (')[0]}"
                    if blocked[0] is first
                    else f"during the {blocked[0].label.split(' (')[0]}"
                )
                head = (
                    f"alarm {a.name!r} cannot trip {where}: on the blended EndpointName+"
                    f"VariantName metric green carries s = {_pct(share)} of the requests, so "
                    f"the {src.metric} fraction reaches {a.threshold:g} only if green's own "
                    f"error fraction reaches {_bound_text(a.threshold, share, blue_b)} = "
                    f"{required:.3g} ({_pct(required)}), more than 100%"
                )
            else:
                severity = "warning"
                head = (
                    f"alarm {a.name!r} is diluted on the blended EndpointName+VariantName "
                    f"metric: during the {first.label} green's error fraction must reach "
                    f"{required:.3g} ({required / a.threshold:.3g}x the threshold "
                    f"{a.threshold:g}) to trip it"
                )
            fix = _green_dims_fix(scenario)
            if a.threshold >= 1:
                fix += ", and " + _fraction_threshold_fix(a.threshold)
        else:
            severity = "info"
            blue_us = latency_statistic_us(steady_fleet(scenario), src.metric, "Average") or 0.0
            factor = f" ({required / blue_us:.3g}x the blue model's)" if blue_us > 0 else ""
            head = (
                f"alarm {a.name!r} is diluted on the blended EndpointName+VariantName metric: "
                f"during the {first.label} green's average {src.metric} must exceed "
                f"{_ms(required)}{factor} to lift the blended average to {_ms(a.threshold)}"
            )
            fix = _green_dims_fix(scenario)
        message = (
            f"{head}. Alone, it tripped before the final flip in {_of(caught_partial, alone.n)} "
            f"runs of the failing model; {roll_text}."
        )
        out.append(
            _finding(
                "blended-dilution",
                severity,
                f"{a.path}.Dimensions",
                message,
                config=config,
                simulated=simulated,
                fix=fix,
            )
        )
    return out


# --------------------------------------------------------------------------- bakes


def _bake_path(ctx: LintContext, bake_kind: str) -> str:
    if ctx.config.rolling is not None:
        return f"{RP}.WaitIntervalInSeconds"
    if bake_kind == "TerminationWaitInSeconds":
        return f"{BG}.TerminationWaitInSeconds"
    return f"{TRC}.WaitIntervalInSeconds"


def check_bake_too_short(scenario: Scenario, ctx: LintContext) -> list[Finding]:
    if not ctx.alarms or not ctx.timeline:
        return []
    latency = {a.name: ctx.detection(a) for a in ctx.alarms}
    failing = ctx.evidence.failing
    trips = failing.trips()
    # among equally fast alarms, name the one that actually catches the failing model
    fastest = min(
        ctx.alarms, key=lambda a: (latency[a.name].expected, -trips.get(a.name, 0), a.index)
    )
    d = latency[fastest.name]
    first = ctx.timeline[0]
    # The failing model fails from the first shift: a detection in a later step means the
    # first bake ended before the alarm could act and traffic moved on.
    here = sum(r.detected_step == first.step.index for r in failing.runs)
    later = sum(
        r.detected_step is not None and r.detected_step > first.step.index for r in failing.runs
    )
    by_kind: dict[str, list[StepTiming]] = {}
    for t in ctx.timeline:
        bake = t.step.bake_seconds
        if bake <= 0:
            continue  # no bake at all: see no-final-bake
        slipped = t is first and len(ctx.timeline) > 1 and later >= 0.25 * failing.n
        if bake < d.expected or slipped:
            by_kind.setdefault(t.step.bake_kind, []).append(t)
    out = []
    for bake_kind, timings in sorted(by_kind.items()):
        only_bake = len(ctx.timeline) == 1
        severity: Severity = "warning"
        if only_bake and failing.alarm_rollbacks < 0.5 * failing.n:
            severity = "error"
        bakes = _and(
            [
                f"the {t.name} ({t.step.bake_seconds} s, {_pct(t.step.green_fraction)} on green)"
                for t in timings
            ]
        )
        before = any(t.step.bake_seconds < d.expected for t in timings)
        parts = [
            f"{bakes} {'ends' if len(timings) == 1 else 'end'} "
            f"{'before' if before else 'close to when'} "
            f"the fastest rollback alarm, {fastest.name!r}, is expected to act: "
            f"{d.expected:.0f} s after traffic moves (Period {d.period} s x DatapointsToAlarm "
            f"{d.datapoints}, publish delay ~{d.publish_delay_mean:.0f} s, CloudWatch's "
            f"evaluation and SageMaker's {d.poll_interval:g} s poll; up to {d.worst:.0f} s)"
        ]
        if any(t is first for t in timings) and len(ctx.timeline) > 1:
            parts.append(
                f"with the failing model it was caught during the {first.label} in "
                f"{_of(here, failing.n)} runs and only after traffic had moved on in "
                f"{_of(later, failing.n)}"
            )
        elif only_bake:
            parts.append(
                f"the failing model was rolled back in {_of(failing.alarm_rollbacks, failing.n)} "
                "runs"
            )
        if any(t.step.is_final for t in timings) and not only_bake:
            parts.append(
                "after the final flip a failure that shows only at full traffic is rolled back "
                "only if an alarm is already in ALARM"
            )
        param = (
            "TerminationWaitInSeconds"
            if bake_kind == "TerminationWaitInSeconds"
            else ("WaitIntervalInSeconds")
        )
        out.append(
            _finding(
                "bake-too-short",
                severity,
                _bake_path(ctx, bake_kind),
                "; ".join(parts) + ".",
                config={
                    "bakes": {t.label: t.step.bake_seconds for t in timings},
                    "fastest_alarm": fastest.name,
                    "detection_latency": d.to_data(),
                    "expected_detection_s_by_alarm": {
                        a.name: latency[a.name].expected for a in ctx.alarms
                    },
                },
                simulated=_simulated(
                    failing,
                    runs=failing.n,
                    detected_in=failing.detected_in(ctx.steps),
                    **failing.blast_radius_data(),
                ),
                fix=f"raise {param} to at least {_round_up(d.worst)} s (the slow end of the "
                f"detection latency), or make the alarm faster (Period 60 with DatapointsToAlarm "
                "1, on the new fleet's own metrics)",
            )
        )
    return out


def check_no_final_bake(scenario: Scenario, ctx: LintContext) -> list[Finding]:
    if ctx.fallback or not ctx.timeline:
        return []  # excluded-fallback says it
    if sum(t.step.bake_seconds for t in ctx.timeline if t.step.is_final) > 0:
        return []
    failing = ctx.evidence.failing
    blast = failing.blast_radius_data()
    errors = blast["green_errors"]
    no_bake = all(t.step.bake_seconds == 0 for t in ctx.timeline)
    kind = ctx.config.policy_kind
    rolling = ctx.config.rolling is not None
    param = "WaitIntervalInSeconds" if rolling else "TerminationWaitInSeconds"
    path = f"{RP}.WaitIntervalInSeconds" if rolling else f"{BG}.TerminationWaitInSeconds"
    worst = max((ctx.detection(a).worst for a in ctx.alarms), default=300.0)
    if no_bake:
        severity: Severity = "error"
        head = (
            f"{kind} with {param} 0 has no bake at all: SageMaker watches the rollback alarms "
            "only while baking, so they never get a chance to act and every request goes to "
            "the new model"
        )
    else:
        severity = "warning"
        head = (
            f"{kind} with {param} 0 has no final bake: once all traffic is on the new fleet "
            "nothing is watched, so a failure that shows only at full traffic (load, or the "
            "requests the earlier steps did not see) is never rolled back"
        )
    out = _finding(
        "no-final-bake",
        severity,
        path,
        f"{head}. The failing model was rolled back in "
        f"{_of(failing.alarm_rollbacks, failing.n)} runs (detected: "
        f"{_caught_text(failing, ctx)}); it served p50 {errors['p50']} errors "
        f"(p95 {errors['p95']}).",
        config={
            "policy": kind,
            param: 0,
            "bakes": {t.label: t.step.bake_seconds for t in ctx.timeline},
        },
        simulated=_simulated(
            failing,
            **failing.alarm_rollback_data(),
            detected_in=failing.detected_in(ctx.steps),
            **blast,
        ),
        fix=f"set {param} to at least {_round_up(worst)} s so the slowest rollback alarm can "
        "act after the last traffic shift",
    )
    return [out]


# --------------------------------------------------------------------------- missing data


def _rate_on(ctx: LintContext, a: AlarmFacts, timing: StepTiming) -> float:
    rate = mean_rate(ctx.scenario, timing.bake_start, timing.bake_end)
    return rate * a.watched_share(timing.step.green_fraction)


def _fleet_text(a: AlarmFacts) -> str:
    if a.fleets == frozenset({"blue", "green"}):
        return "both fleets (blended)"
    return "the new fleet" if a.fleets == frozenset({"green"}) else "the old fleet"


def _never_trips_condition(
    scenario: Scenario, ctx: LintContext, a: AlarmFacts
) -> tuple[float, float, float] | None:
    """(requests per period, P(period has data), P(M of N periods have data)) when the
    alarm's data is sparse at the first step's traffic and missing data does not breach."""
    first = ctx.first
    if (
        first is None
        or a.sees_nothing
        or a.treat_missing_data == "breaching"
        or not all(s.simulated for s in a.sources)
    ):
        return None
    lam = ctx.requests(a, first)
    q = p_period_has_data(lam, scenario.traffic.arrivals)
    enough = p_at_least(a.datapoints, a.evaluation_periods, q)
    if q >= 0.5 and enough >= 0.5:
        return None
    return lam, q, enough


def check_missing_data_never_trips(scenario: Scenario, ctx: LintContext) -> list[Finding]:
    out = []
    first = ctx.first
    for a in ctx.alarms:
        cond = _never_trips_condition(scenario, ctx, a)
        if cond is None or first is None:
            continue
        lam, q, enough = cond
        alone = ctx.evidence.failing_only(a.name)
        caught = alone.detected_by_step(first.step.index)
        if lam >= 0.05 and caught >= 0.9 * alone.n:
            continue  # sparse, but the simulation shows it catches a failing model anyway
        severity: Severity = "error" if lam < 0.05 else "warning"
        tmd = a.treat_missing_data
        meaning = (
            "count as not breaching"
            if tmd == "notBreaching"
            else "are left out (with no data at all the alarm goes INSUFFICIENT_DATA or keeps "
            "its state, and neither trips a rollback)"
        )
        rate = _rate_on(ctx, a, first)
        period = period_for(10, rate)
        out.append(
            _finding(
                "missing-data-never-trips",
                severity,
                f"{a.path}.TreatMissingData",
                f"alarm {a.name!r}: at the traffic of the {first.label} a {a.period} s period "
                f"holds about {lam:.2g} requests on {_fleet_text(a)}, so a period has data with "
                f"probability {_pct(q)}; with TreatMissingData={tmd} the empty periods "
                f"{meaning}, and {a.datapoints} of {a.evaluation_periods} periods with data "
                f"happen with probability {_pct(enough)}: the alarm rarely has anything to trip "
                f"on. Alone, it caught the failing model during the {first.label} in "
                f"{_of(caught, alone.n)} runs.",
                config={
                    "requests_per_second_on_watched_fleets": rate,
                    "period_s": a.period,
                    "requests_per_period": lam,
                    "p_period_has_data": q,
                    "p_datapoints_to_alarm_periods_with_data": enough,
                    "treat_missing_data": tmd,
                },
                simulated=_simulated(
                    alone,
                    runs=alone.n,
                    caught_during_first_bake=caught,
                    detected_in=alone.detected_in(ctx.steps),
                ),
                fix=f"use Period {period} so a period holds about 10 requests at this traffic "
                "(or send the canary more traffic with a larger CanarySize)",
            )
        )
    return out


def check_missing_data_trips_on_silence(scenario: Scenario, ctx: LintContext) -> list[Finding]:
    out = []
    first = ctx.first
    for a in ctx.alarms:
        if a.treat_missing_data != "breaching" or first is None:
            continue
        h = ctx.evidence.healthy
        trips = h.trips().get(a.name, 0)
        config: dict[str, Any] = {"treat_missing_data": "breaching", "watches": _fleet_text(a)}
        if a.sees_nothing:
            severity: Severity = "error"
            why = (
                "its dimensions match no metric of this endpoint, so every datapoint is missing "
                "and counts as breaching: it is always in ALARM and rolls back every deployment"
            )
        elif a.fleets == frozenset({"green"}):
            severity = "error"
            why = (
                "it watches only the new fleet, which publishes nothing before traffic reaches "
                "it, so the missing datapoints count as breaching and it is in ALARM when the "
                "first bake starts"
            )
        else:
            lam = ctx.requests(a, first)
            q = p_period_has_data(lam, scenario.traffic.arrivals)
            silent = p_at_least(a.datapoints, a.evaluation_periods, 1.0 - q)
            config.update(requests_per_period=lam, p_period_has_data=q, p_alarm_on_silence=silent)
            if silent < 0.001 and trips == 0:
                continue
            severity = "error" if 2 * trips >= h.n else "warning"
            why = (
                f"at the traffic of the {first.label} a {a.period} s period holds about {lam:.2g} "
                f"requests, so {a.datapoints} of {a.evaluation_periods} periods are empty (and "
                f"breaching) with probability {_pct(silent)} per evaluation"
            )
        out.append(
            _finding(
                "missing-data-trips-on-silence",
                severity,
                f"{a.path}.TreatMissingData",
                f"alarm {a.name!r} trips on silence: {why}. A healthy model was rolled back by "
                f"it in {_of(trips, h.n)} runs.",
                config=config,
                simulated=_simulated(h, runs=h.n, tripped_this_alarm=trips),
                fix="use TreatMissingData notBreaching: SageMaker publishes no datapoint for a "
                "minute without requests, so silence is not a failure",
            )
        )
    return out


def check_percentile_low_samples(scenario: Scenario, ctx: LintContext) -> list[Finding]:
    out: list[Finding] = []
    first = ctx.first
    if first is None:
        return out
    for a in ctx.alarms:
        for src in a.sources:
            low = low_sample_count(src.statistic)
            if low is None or not src.fleets:
                continue
            counts = [
                (t, requests_per_period(scenario, src.fleets, t, a.period)) for t in ctx.timeline
            ]
            short = [(t, c) for t, c in counts if c < low]
            if not short:
                continue
            policy = a.alarm.evaluate_low_sample_count_percentile or "evaluate"
            alone = ctx.evidence.failing_only(a.name)
            h = ctx.evidence.healthy
            trips = h.trips().get(a.name, 0)
            first_count = counts[0][1]
            if policy == "ignore":
                severity: Severity = "error" if len(short) == len(counts) else "warning"
                what = (
                    "with EvaluateLowSampleCountPercentile=ignore the alarm keeps its state "
                    "while samples are too few, so it cannot trip during "
                    + ", ".join(f"the {t.label}" for t, _ in short)
                )
            else:
                severity = "warning"
                what = (
                    f"the alarm evaluates anyway, and the {src.statistic} of so few samples is "
                    f"close to their maximum: noisy. A healthy model was rolled back by it in "
                    f"{_of(trips, h.n)} runs"
                )
            rate = requests_per_period(scenario, src.fleets, first, 1)
            period = period_for(low, rate)
            fix = (
                f"use Period {period} s so a period holds {low:g} samples at the canary's "
                f"traffic, a lower percentile (p90 needs 100 samples), or Average"
                if period <= 3600
                else f"use a lower percentile (p90 needs 100 samples, p50 20) or Average: at "
                f"{rate:.2g} requests/s even an hour holds fewer than {low:g} samples"
            )
            out.append(
                _finding(
                    "percentile-low-samples",
                    severity,
                    f"{a.path}.ExtendedStatistic" if not a.is_math else f"{a.path}.Metrics",
                    f"alarm {a.name!r}: {src.statistic} needs {low:g} samples per period "
                    f"(10/(1-p), see "
                    "https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/percentiles-with-low-samples.html),"
                    f" but a {a.period} s period holds about "
                    f"{first_count:.3g} on {_fleet_text(a)} during the {first.label}; {what}. "
                    f"Alone, it caught the failing model during the {first.label} in "
                    f"{_of(alone.detected_by_step(first.step.index), alone.n)} runs.",
                    config={
                        "statistic": src.statistic,
                        "low_sample_count": low,
                        "evaluate_low_sample_count_percentile": policy,
                        "samples_per_period": {t.label: c for t, c in counts},
                    },
                    simulated={
                        "healthy": _simulated(h, runs=h.n, tripped_this_alarm=trips),
                        "failing_only_this_alarm": _simulated(
                            alone, runs=alone.n, detected_in=alone.detected_in(ctx.steps)
                        ),
                    },
                    fix=fix,
                )
            )
            break  # one finding per alarm
    return out


# --------------------------------------------------------------------------- healthy model


def _noise_fix(scenario: Scenario, ctx: LintContext, names: Sequence[str]) -> str:
    """A fix for each tripping alarm, derived from that alarm (never one it already meets)."""
    parts = []
    for a in ctx.alarms:
        if a.name not in names:
            continue
        m, n = a.datapoints, a.evaluation_periods
        src = a.single
        steps = []
        if (
            src is not None
            and src.blended
            and src.metric in ERROR_METRICS
            and error_fraction(steady_fleet(scenario), src.metric) > 0
        ):
            steps.append(
                f"add {{Name: EndpointConfigName, Value: {scenario.endpoint.green.name}}} "
                "to Dimensions so the old fleet's errors do not count"
            )
        steps.append(
            f"require DatapointsToAlarm {m + 1} of EvaluationPeriods {max(n, m + 1)} "
            f"(now {m} of {n})"
        )
        steps.append(f"lengthen Period beyond {a.period} s so each holds more requests")
        steps.append(f"raise Threshold above {a.threshold:g}, past the healthy model's variation")
        parts.append(f"{a.name!r}: " + "; or ".join(steps))
    return (
        "make the tripping alarm(s) robust to noise: " + " | ".join(parts)
        if parts
        else "none needed"
    )


def check_false_rollback(scenario: Scenario, ctx: LintContext) -> list[Finding]:
    if not ctx.alarms:
        return []
    h = ctx.evidence.healthy
    k, n = h.alarm_rollbacks, h.n
    p = k / n
    severity: Severity = "error" if p >= 0.5 else "warning" if p >= 0.02 else "info"
    rollers = _rollers(h)
    first = ctx.first
    noise = {}
    if first is not None:
        noise = {a.name: ctx.requests(a, first) for a in ctx.alarms}
    message = (
        f"a healthy green model (identical to blue) was rolled back by an alarm in "
        f"{_of(k, n)} runs ({_pct(p)}, {_ci(h, k)})"
    )
    if rollers:
        message += "; tripped: " + ", ".join(
            f"{name!r} in {_of(c, n)} (about {noise.get(name, 0):.3g} requests per period "
            "during the first bake)"
            for name, c in rollers
        )
        fix = _noise_fix(scenario, ctx, [name for name, _ in rollers])
    else:
        fix = "none needed"
    return [
        _finding(
            "false-rollback",
            severity,
            ARC,
            message + ".",
            config={"requests_per_period_first_bake": noise},
            simulated=_simulated(h, **h.alarm_rollback_data(), tripped=h.trips()),
            fix=fix,
        )
    ]


def check_blue_errors_trip_blended(scenario: Scenario, ctx: LintContext) -> list[Finding]:
    out = []
    for a in ctx.alarms:
        src = a.single
        if (
            src is None
            or "blue" not in src.fleets
            or not src.is_fraction
            or src.kind is not StatisticKind.AVERAGE
        ):
            continue
        b = error_fraction(steady_fleet(scenario), src.metric)
        if b <= 0:
            continue
        h = ctx.evidence.healthy
        trips = h.trips().get(a.name, 0)
        t = a.threshold
        if breaches(a.operator, b, t):
            severity: Severity = "error"
            head = (
                f"the old fleet's own {src.metric} fraction ({b:.3g}) already breaches "
                f"{_SYMBOL.get(a.operator, a.operator)} {t:g}: the alarm is in ALARM before "
                "the update starts, so every deployment is rolled back, even of a good model"
            )
        elif b >= t / 2 or trips > 0:
            severity = "warning"
            head = (
                f"the old fleet's own {src.metric} fraction ({b:.3g}) is {_pct(b / t)} of the "
                f"threshold {t:g}, so the old fleet's noise alone can trip it and roll back a "
                "good model"
            )
        else:
            continue
        out.append(
            _finding(
                "blue-errors-trip-blended",
                severity,
                f"{a.path}.Dimensions",
                f"alarm {a.name!r} watches {_fleet_text(a)}: {head}. A healthy model was "
                f"rolled back by it in {_of(trips, h.n)} runs.",
                config={"blue_error_fraction": b, "threshold": t, "watches": _fleet_text(a)},
                simulated=_simulated(h, runs=h.n, tripped_this_alarm=trips),
                fix=_green_dims_fix(scenario),
            )
        )
    return out


# --------------------------------------------------------------------------- the timeout


def check_timeout_too_short(scenario: Scenario, ctx: LintContext) -> list[Finding]:
    timeout = ctx.config.maximum_execution_timeout_seconds
    env = scenario.environment
    rolling = ctx.config.rolling is not None
    if timeout is None or (rolling and not env.timeout_includes_provisioning):
        return []
    est = execution_estimate(scenario, ctx.steps)
    h = ctx.evidence.healthy
    to = h.timeouts
    if est.median >= timeout:
        severity: Severity = "error"
    elif est.p95 >= timeout or to > 0:
        severity = "warning"
    else:
        return []
    action = "rolled back" if env.timeout_action == "rollback" else "failed"
    suggest = min(28800, _round_up(est.p95 + 300, 60))
    path = f"{RP if rolling else BG}.MaximumExecutionTimeoutInSeconds"
    return [
        _finding(
            "timeout-too-short",
            severity,
            path,
            f"MaximumExecutionTimeoutInSeconds {timeout} s is shorter than provisioning plus "
            f"bakes: about {est.median:.0f} s with the median provisioning time (p95 "
            f"{est.p95:.0f} s) = provisioning {est.provisioning_median:.0f} s + activations "
            f"{est.activation:.0f} s + bakes {est.bakes:.0f} s"
            + (f" + terminations {est.terminations:.0f} s" if est.terminations else "")
            + f". A healthy model timed out (and was {action}) in {_of(to, h.n)} runs "
            f"({_ci(h, to)}).",
            config={"timeout_s": timeout, **est.to_data()},
            simulated=_simulated(
                h,
                runs=h.n,
                timeouts=to,
                deployment_s=_deployment_quantiles(h),
            ),
            fix=f"raise MaximumExecutionTimeoutInSeconds to at least {suggest} s",
        )
    ]


def _deployment_quantiles(result: VariantResult) -> dict[str, float | None]:
    return quantiles([r.deployment_seconds for r in result.runs])


# --------------------------------------------------------------------------- exclusions

#: Endpoint config members that the 2023 guide excluded from guardrails (see
#: aws-model.md#exclusions) and the
#: current guide no longer lists.
DATED_EXCLUSIONS = ("DataCaptureConfig", "KmsKeyId")


def check_excluded_fallback(scenario: Scenario, ctx: LintContext) -> list[Finding]:
    out = []
    kind = scenario.deployment_config.policy_kind
    if ctx.fallback:
        failing = ctx.evidence.failing  # the simulator applies the fallback itself
        errors = failing.blast_radius_data()["green_errors"]
        color = "green" if scenario.endpoint.green.instance_type.startswith("ml.inf1.") else "blue"
        itype = getattr(scenario.endpoint, color).instance_type
        out.append(
            _finding(
                "excluded-fallback",
                "error",
                f"endpoint.{color}.ProductionVariants[0].InstanceType",
                f"{itype} (Inf1) endpoints cannot use deployment guardrails: SageMaker falls "
                f"back to blue/green all at once with no final bake (see "
                "https://docs.aws.amazon.com/sagemaker/latest/dg/deployment-guardrails-exclusions.html),"
                f" so the {kind} "
                "steps, bakes and rollback alarms do nothing. The failing model was rolled "
                f"back in {_of(failing.alarm_rollbacks, failing.n)} runs and served p50 "
                f"{errors['p50']} errors (p95 {errors['p95']}).",
                config={"instance_type": itype, "configured_policy": kind},
                simulated=_simulated(
                    failing, **failing.alarm_rollback_data(), **failing.blast_radius_data()
                ),
                fix="use an instance type that supports guardrails (e.g. Inf2 instead of Inf1), "
                "or treat this update as all at once without protection",
            )
        )
        return out
    for key in DATED_EXCLUSIONS:
        if key not in scenario.endpoint.green.extra:
            continue
        fb = ctx.evidence.fallback
        out.append(
            _finding(
                "excluded-fallback",
                "info",
                f"endpoint.green.{key}",
                f"{key}: the 2023 SageMaker guide excluded such endpoints from deployment "
                "guardrails (they fall back to all at once with no final bake); the current "
                "guide no longer lists it. If it still applied, the failing model would be "
                f"rolled back in {_of(fb.alarm_rollbacks, fb.n)} runs.",
                config={"member": key, "configured_policy": kind},
                simulated=_simulated(fb, **fb.alarm_rollback_data(), **fb.blast_radius_data()),
                fix="check once on a test endpoint (guardsim real) that the "
                f"{kind} steps are applied with {key} set",
            )
        )
    return out


# --------------------------------------------------------------------------- blind alarms


def check_alarm_blind_to_green(scenario: Scenario, ctx: LintContext) -> list[Finding]:
    out = []
    ep = scenario.endpoint
    want = (
        f"Dimensions EndpointName={ep.name}, VariantName={ep.variant_name}, "
        f"EndpointConfigName={ep.green.name}"
    )
    for a in ctx.alarms:
        unsimulated = [s for s in a.sources if not s.simulated]
        if unsimulated:
            names = ", ".join(f"{s.namespace}/{s.metric}" for s in unsimulated)
            out.append(
                _finding(
                    "alarm-blind-to-green",
                    "info",
                    a.path,
                    f"alarm {a.name!r} reads {names}, which guardsim does not simulate (it "
                    "simulates the AWS/SageMaker invocation and the instance metrics): the "
                    "evidence treats it as "
                    "never having data, so it cannot show this alarm tripping.",
                    config={"unsimulated_metrics": [s.metric for s in unsimulated]},
                    fix="none needed; to have it simulated, alarm on an AWS/SageMaker "
                    "invocation metric",
                )
            )
            continue
        alone = ctx.evidence.failing_only(a.name)
        simulated = _simulated(alone, **alone.alarm_rollback_data())
        if a.sees_nothing:
            if a.treat_missing_data == "breaching":
                continue  # always in ALARM: missing-data-trips-on-silence says it
            out.append(
                _finding(
                    "alarm-blind-to-green",
                    "error",
                    f"{a.path}.Dimensions",
                    f"alarm {a.name!r}: its dimensions match no metric this endpoint publishes "
                    f"({ep.name}/{ep.variant_name}, configs {ep.blue.name} and {ep.green.name}), "
                    "so it never has data and never fires. Alone, it rolled back the failing "
                    f"model in {_of(alone.alarm_rollbacks, alone.n)} runs.",
                    config={"dimensions": a.alarm.dimension_map() or "(metric math)"},
                    simulated=simulated,
                    fix=f"use {want}",
                )
            )
        elif a.fleets == frozenset({"blue"}):
            out.append(
                _finding(
                    "alarm-blind-to-green",
                    "warning",
                    f"{a.path}.Dimensions",
                    f"alarm {a.name!r} watches only the old fleet (EndpointConfigName="
                    f"{ep.blue.name}): the new model cannot trip it, only the old one can. "
                    f"Alone, it rolled back the failing model in "
                    f"{_of(alone.alarm_rollbacks, alone.n)} runs.",
                    config={"watches": ep.blue.name},
                    simulated=simulated,
                    fix=f"use EndpointConfigName {ep.green.name} to watch the new fleet",
                )
            )
    return out


# --------------------------------------------------------------------------- composite alarms


def check_composite_rollback_alarm(scenario: Scenario, ctx: LintContext) -> list[Finding]:
    """A composite alarm named in AutoRollbackConfiguration. Whether SageMaker's rollback reads
    composites is undocumented: DescribeAlarms returns them only when AlarmTypes asks for them
    (https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_DescribeAlarms.html),
    and AutoRollbackConfig speaks only of "CloudWatch alarms"
    (https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_AutoRollbackConfig.html)."""
    composites = {c.name: c for c in scenario.composite_alarms}
    sees = scenario.environment.rollback_sees_composite_alarms
    out = []
    for i, name in enumerate(scenario.deployment_config.rollback_alarm_names):
        c = composites.get(name)
        if c is None:
            continue
        children = ", ".join(c.children) or "none"
        config = {"alarm_rule": c.rule, "rollback_sees_composite_alarms": sees}
        path = f"{ARC}.Alarms[{i}].AlarmName"
        if not sees:
            out.append(
                _finding(
                    "composite-rollback-alarm",
                    "warning",
                    path,
                    f"alarm {name!r} is a composite alarm: SageMaker may never see it "
                    "(DescribeAlarms lists composite alarms only when AlarmTypes asks for "
                    "them; whether SageMaker asks is undocumented), and guardsim assumes it "
                    "does not, so this alarm never rolls the deployment back.",
                    config=config,
                    fix=f"name its metric alarms ({children}) in AutoRollbackConfiguration, "
                    "or confirm on a real deployment that SageMaker reads composites and set "
                    "environment.rollback_sees_composite_alarms: true",
                )
            )
        else:
            out.append(
                _finding(
                    "composite-rollback-alarm",
                    "info",
                    path,
                    f"alarm {name!r} is a composite alarm, and the scenario assumes SageMaker's "
                    "rollback reads it (environment.rollback_sees_composite_alarms: true); "
                    "AWS does not document that it does.",
                    config=config,
                    fix="confirm it on a real deployment (guardsim real run) before relying on it",
                )
            )
    return out


# --------------------------------------------------------------------------- multi-variant


def check_variant_without_alarm(scenario: Scenario, ctx: LintContext) -> list[Finding]:
    """A multi-variant endpoint's variant that no rollback alarm watches. Each variant
    publishes its own series (``VariantName``,
    https://docs.aws.amazon.com/sagemaker/latest/dg/monitoring-cloudwatch.html), and a
    blue/green update replaces every variant: a bad new model on a variant none of the rollback
    alarms reads (directly, or as a child of a composite SageMaker reads) is never rolled
    back."""
    names = variant_names(scenario.endpoint)
    if len(names) < 2 or scenario.endpoint.component is not None:
        return []
    where = assign_alarms(scenario.alarms, scenario.composite_alarms, names)
    read = {a.name for a in scenario.alarms if any(v in names for v in alarm_variants(a))}
    watched, _ = scenario.evaluated_alarms(False)
    covered = {where[a.name] for a in watched if a.name in read}
    out = []
    for i, name in enumerate(names):
        if name in covered:
            continue
        out.append(
            _finding(
                "variant-without-alarm",
                "warning",
                f"endpoint.green.ProductionVariants[{i}]",
                f"no rollback alarm reads variant {name!r}'s metrics: the update replaces its "
                "model too, and a bad new model there is never rolled back.",
                config={
                    "variant": name,
                    "rollback_alarms": list(scenario.seen_rollback_alarm_names),
                    "variants_watched": sorted(covered),
                },
                fix=f"add a rollback alarm with Dimensions EndpointName={scenario.endpoint.name}, "
                f"VariantName={name}, EndpointConfigName={scenario.endpoint.green.name}",
            )
        )
    return out


# --------------------------------------------------------------------------- the failing model


def check_failing_model_rollback(scenario: Scenario, ctx: LintContext) -> list[Finding]:
    f = ctx.evidence.failing
    n, k = f.n, f.alarm_rollbacks
    alone = {a.name: ctx.evidence.failing_only(a.name).alarm_rollbacks for a in ctx.alarms}
    trips = f.trips()
    late = 0
    if ctx.partial_steps:
        last_partial = ctx.partial_steps[-1].step.index
        late = sum(r.detected_step is not None and r.detected_step > last_partial for r in f.runs)
    if k == 0:
        severity: Severity = "error"
    elif k < 0.9 * n or (ctx.partial_steps and late > k / 2):
        severity = "warning"
    else:
        severity = "info"
    blast = f.blast_radius_data()
    errors = blast["green_errors"]
    detected = blast["detected_at_s"]
    if not scenario.seen_rollback_alarm_names:
        body = "there are no rollback alarms SageMaker reads, so nothing can roll it back"
    else:
        rollers = _rollers(f)
        who = (
            "the rollback comes from "
            + " and ".join(f"{name!r} (tripped in {_of(c, n)} runs)" for name, c in rollers)
            if rollers
            else "no rollback alarm tripped"
        )
        quiet = [a.name for a in ctx.alarms if trips.get(a.name, 0) == 0]
        quiet_text = (
            "; never tripped: " + ", ".join(f"{q!r} (alone: {_of(alone[q], n)})" for q in quiet)
            if quiet
            else ""
        )
        body = f"{who}{quiet_text}; detected: {_caught_text(f, ctx)}"
    message = (
        f"a failing green model (every request a 5XX, {FAILING_LATENCY_FACTOR:g}x slower) is "
        f"rolled back in {_of(k, n)} runs "
        f"({_ci(f, k)}); {body}. Blast radius: p50 {errors['p50']} errors served by the new "
        f"fleet (p95 {errors['p95']})"
        + (f", detected p50 {detected['p50']:.0f} s after UpdateEndpoint" if k else "")
        + "."
    )
    if severity == "info":
        fix = "none needed"
    else:
        fix = (
            "add a rollback alarm on the new fleet that a failing model trips within the first "
            f"bake: Average of Invocation5XXErrors with {_new_fleet_dimension(scenario)}, "
            "Threshold 0.01, GreaterThanThreshold, Period 60, "
            "EvaluationPeriods 1, TreatMissingData notBreaching"
        )
    return [
        _finding(
            "failing-model-rollback",
            severity,
            ARC,
            message,
            config={"rollback_alarms": list(scenario.seen_rollback_alarm_names)},
            simulated=_simulated(
                f,
                **f.alarm_rollback_data(),
                tripped=trips,
                alone=alone,
                detected_in=f.detected_in(ctx.steps),
                after_final_flip=late,
                **blast,
            ),
            fix=fix,
        )
    ]


def _explained(scenario: Scenario, ctx: LintContext, a: AlarmFacts) -> bool:
    """Whether a configuration rule already says why ``a`` cannot catch a failing model."""
    if ctx.fallback or all(t.step.bake_seconds == 0 for t in ctx.timeline):
        return True  # no bake to act in: excluded-fallback / no-final-bake say so
    if _unreachable(a) is not None or a.sees_nothing or a.fleets == frozenset({"blue"}):
        return True
    if any(not s.simulated for s in a.sources):
        return True
    if _dilution_blocks_first_step(scenario, ctx, a):
        return True
    return _never_trips_condition(scenario, ctx, a) is not None


def check_alarm_never_trips(scenario: Scenario, ctx: LintContext) -> list[Finding]:
    out = []
    for a in ctx.alarms:
        if _explained(scenario, ctx, a):
            continue
        alone = ctx.evidence.failing_only(a.name)
        if alone.alarm_rollbacks > 0:
            continue
        out.append(
            _finding(
                "alarm-never-trips",
                "warning",
                a.path,
                f"alarm {a.name!r}: alone, it did not roll back the failing model (every "
                f"request a 5XX, {FAILING_LATENCY_FACTOR:g}x slower) in any of {alone.n} runs, so "
                "it protects against neither errors nor a slowdown.",
                config={
                    "operator": a.operator,
                    "threshold": a.threshold,
                    "statistics": [s.statistic for s in a.sources],
                    "metrics": [s.metric for s in a.sources],
                },
                simulated=_simulated(
                    alone, **alone.alarm_rollback_data(), detected_in=alone.detected_in(ctx.steps)
                ),
                fix=(
                    f"Period {a.period} s is a high-resolution period, but SageMaker publishes "
                    "its invocation metrics once a minute, so most periods have no data: use "
                    "Period 60 or more"
                    if a.period < 60
                    else "check Threshold, ComparisonOperator and Statistic against what a "
                    "failing model does to the metric (run 'guardsim run' on a copy with a "
                    "failing green model and read the alarm's datapoints)"
                ),
            )
        )
    return out


def check_as_configured_outcome(scenario: Scenario, ctx: LintContext) -> list[Finding]:
    green, blue = scenario.models.green, scenario.models.blue
    if green == blue or green == failing_model(blue):
        return []  # the healthy or failing variant already says it
    r = ctx.evidence.as_configured
    rollers = _rollers(r)
    who = (
        "; the rollback comes from "
        + " and ".join(f"{name!r} (tripped in {_of(c, r.n)} runs)" for name, c in rollers)
        if rollers
        else ""
    )
    never = [name for name, c in r.trips().items() if c == 0]
    never_text = (
        "; never tripped: " + ", ".join(repr(x) for x in never) if never and rollers else ""
    )
    errors = r.blast_radius_data()["green_errors"]
    return [
        _finding(
            "as-configured-outcome",
            "info",
            "models.green",
            f"as configured (the scenario's own green model), the deployment rolls back in "
            f"{_of(r.rolled_back, r.n)} runs and succeeds in {_of(r.succeeded, r.n)}{who}"
            f"{never_text}; detected: {_caught_text(r, ctx)}. The new fleet served p50 "
            f"{errors['p50']} errors (p95 {errors['p95']}).",
            simulated=_simulated(
                r,
                **r.rollback_data(),
                succeeded=r.succeeded,
                tripped=r.trips(),
                detected_in=r.detected_in(ctx.steps),
                **r.blast_radius_data(),
            ),
            fix="none needed",
        )
    ]


# --------------------------------------------------------------------------- exercising nothing

_EXERCISE_FIX = {
    "no-green-traffic": "give the endpoint traffic during the bakes (traffic.rate_per_second > "
    "0, or a replay file with requests), or the result says nothing about the new model",
    "alarm-without-data": "alarm on an AWS/SageMaker invocation metric (Invocation5XXErrors, "
    "ModelLatency, ...) with dimensions EndpointName, VariantName and the new "
    "EndpointConfigName",
    "ends-before-evaluation": "bake for longer than Period x DatapointsToAlarm plus the publish "
    "delay (or use Period 60 with DatapointsToAlarm 1)",
}


def check_exercises_nothing(scenario: Scenario, ctx: LintContext) -> list[Finding]:
    from guardsim.lint.exercise import unexercised

    return [
        _finding(
            "exercises-nothing",
            "warning",
            u.path,
            u.message[0].upper() + u.message[1:] + ".",
            config={"reason": u.code},
            fix=_EXERCISE_FIX[u.code],
        )
        for u in unexercised(scenario)
    ]


# --------------------------------------------------------------------------- the registry

RULES: tuple[Rule, ...] = (
    Rule(
        "unreachable-threshold",
        "an error-fraction alarm (Average of a 0/1 metric) whose Threshold cannot be reached",
        "error: never reachable (e.g. > 1); warning: reachable only at a 100% error rate (>= 1)",
        check_unreachable_threshold,
    ),
    Rule(
        "latency-units",
        "a ModelLatency/OverheadLatency threshold that looks like milliseconds (the metric is in "
        "microseconds)",
        "error: a healthy model trips it; warning otherwise",
        check_latency_units,
    ),
    Rule(
        "blended-dilution",
        "an alarm on the blended EndpointName+VariantName metric, where green's share s dilutes "
        "it: a green error fraction must exceed threshold/s to trip it",
        "error: cannot trip during a bake before the final flip (needs > 100%); warning: error "
        "fraction diluted; info: latency diluted",
        check_blended_dilution,
    ),
    Rule(
        "bake-too-short",
        "a bake shorter than the fastest alarm's detection latency (Period x DatapointsToAlarm "
        "+ publish delay + evaluation + SageMaker's poll), so traffic moves on before it acts",
        "warning; error when it is the only bake and the failing model is mostly not rolled back",
        check_bake_too_short,
    ),
    Rule(
        "no-final-bake",
        "no bake once all traffic is on the new fleet (ALL_AT_ONCE or a final flip with "
        "TerminationWaitInSeconds 0)",
        "error: no bake at all; warning: no final bake",
        check_no_final_bake,
    ),
    Rule(
        "missing-data-never-trips",
        "TreatMissingData that, at the canary's traffic, leaves the alarm (almost) no data to "
        "trip on",
        "error: practically no data; warning: sparse data and the failing model is not caught "
        "in the first bake in 90% of runs",
        check_missing_data_never_trips,
    ),
    Rule(
        "missing-data-trips-on-silence",
        "TreatMissingData=breaching where periods without requests happen, so silence trips it",
        "error: the alarm watches no data or only the new fleet, or a healthy model is rolled "
        "back in half the runs; warning otherwise",
        check_missing_data_trips_on_silence,
    ),
    Rule(
        "percentile-low-samples",
        "a percentile alarm whose periods hold fewer samples than CloudWatch's low-sample count "
        "(10/(1-p)) at the canary's traffic",
        "error: EvaluateLowSampleCountPercentile=ignore at every step; warning otherwise",
        check_percentile_low_samples,
    ),
    Rule(
        "false-rollback",
        "how often a healthy green model (identical to blue) is rolled back by an alarm",
        "error: >= 50% of runs; warning: >= 2%; info otherwise",
        check_false_rollback,
    ),
    Rule(
        "blue-errors-trip-blended",
        "an alarm that also watches the old fleet, whose own error rate can trip it (rollback "
        "of a good model)",
        "error: the old fleet alone breaches it; warning: it is at half the threshold or trips "
        "a healthy model",
        check_blue_errors_trip_blended,
    ),
    Rule(
        "timeout-too-short",
        "MaximumExecutionTimeoutInSeconds shorter than provisioning plus activations and bakes",
        "error: at the median provisioning time; warning: at the p95, or a healthy model timed out",
        check_timeout_too_short,
    ),
    Rule(
        "excluded-fallback",
        "endpoint features that make SageMaker fall back to all at once with no final bake",
        "error: Inf1 instances (documented today); info: features only the 2023 guide excluded",
        check_excluded_fallback,
    ),
    Rule(
        "alarm-blind-to-green",
        "a rollback alarm that cannot see the new fleet (dimensions that match nothing, or only "
        "the old fleet) or that guardsim cannot simulate",
        "error: sees no data; warning: old fleet only; info: not simulated",
        check_alarm_blind_to_green,
    ),
    Rule(
        "composite-rollback-alarm",
        "a composite alarm named in AutoRollbackConfiguration, which SageMaker may not see "
        "(DescribeAlarms returns composites only when AlarmTypes asks for them)",
        "warning: guardsim assumes SageMaker does not see it (the default); info: the scenario "
        "assumes it does",
        check_composite_rollback_alarm,
    ),
    Rule(
        "variant-without-alarm",
        "a multi-variant endpoint's variant that no rollback alarm watches: the update replaces "
        "its model too, unwatched",
        "warning",
        check_variant_without_alarm,
    ),
    Rule(
        "instance-metric-load",
        "an alarm on the new fleet's CPU/memory/GPU utilisation whose threshold a healthy new "
        "model reaches at a bake's traffic: it trips on load, not on a regression",
        "error: at the first bake; warning: at a later one",
        check_instance_metric_load,
    ),
    Rule(
        "failing-model-rollback",
        "whether, when and by which alarm a failing green model is rolled back, and its blast "
        "radius",
        "error: never rolled back; warning: in < 90% of runs or mostly only after the final "
        "flip; info otherwise",
        check_failing_model_rollback,
    ),
    Rule(
        "alarm-never-trips",
        "a rollback alarm that alone never rolls back the failing model, for no reason a "
        "configuration rule names",
        "warning",
        check_alarm_never_trips,
    ),
    Rule(
        "exercises-nothing",
        "a run whose outcome says nothing about the new model: no traffic on the new fleet "
        "during any bake, an alarm whose metric no model emits, or a deployment over before "
        "any alarm can evaluate it (also printed as warnings by run, mc and sweep)",
        "warning",
        check_exercises_nothing,
    ),
    # inference components (issue 19): guardsim/lint/component_rules.py
    *(Rule(*spec) for spec in COMPONENT_RULES),
    Rule(
        "as-configured-outcome",
        "what the scenario as given does (when its green model is neither the healthy nor the "
        "failing one)",
        "info",
        check_as_configured_outcome,
    ),
)
