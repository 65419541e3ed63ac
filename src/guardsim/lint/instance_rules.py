"""Lint of alarms on the instance metrics: a threshold the new fleet reaches through load alone.

An alarm on ``CPUUtilization`` (or memory, GPU) of the new fleet trips on any model that loads
its instances enough, good or bad: the load model (:mod:`guardsim.model.instance_metrics`) says
how busy a **healthy** new model (identical to the old one) keeps each instance at every bake's
traffic (requests per instance = the rate over the active instances, as traffic follows instance
counts; busy requests = that rate x the mean ModelLatency, queueing near capacity included). If
that steady value already breaches the threshold, the alarm rolls back a good model: it
measures the traffic, not a regression.
"""

from __future__ import annotations

from typing import Any

from guardsim.cloudwatch.statistics import StatisticKind
from guardsim.lint.context import LintContext
from guardsim.lint.derived import (
    AlarmFacts,
    StepTiming,
    breaches,
    mean_rate,
    rounded,
    steady_fleet,
)
from guardsim.lint.findings import Finding, Severity
from guardsim.model.faults import FleetFaults
from guardsim.model.instance_metrics import resolve, steady_value
from guardsim.model.latency import lognormal_params, moments_scalar
from guardsim.model.metrics import INSTANCE_METRICS
from guardsim.scenarios.models import ModelBehaviour
from guardsim.scenarios.scenario import Scenario

RULE = "instance-metric-load"
#: Statistics of one sample per instance whose steady value is the per-instance level.
_LEVEL_KINDS = (StatisticKind.AVERAGE, StatisticKind.MINIMUM, StatisticKind.MAXIMUM)


def _mean_latency_ms(model: ModelBehaviour, t: float, rho: float) -> float:
    """The healthy model's mean ModelLatency at ``t`` and utilisation ``rho`` (its faults and
    the load-latency factor folded in, :class:`guardsim.model.faults.FleetFaults`)."""
    mu, sigma = lognormal_params(float(model.latency.median_ms), float(model.latency.p99_ms))
    b = FleetFaults(model, "models.blue").behaviour(t, rho)
    return moments_scalar(mu, sigma)[0] * float(b.mult) + float(b.add_ms)


def _steady(
    scenario: Scenario, a: AlarmFacts, metric: str, timing: StepTiming
) -> dict[str, Any] | None:
    """The healthy new fleet's steady value of ``metric`` during ``timing``'s bake."""
    healthy = steady_fleet(scenario)  # the healthy new model is the old one
    itype = resolve(scenario.endpoint.green.instance_type, healthy.instance_metrics)
    if itype is None:
        return None
    rate = mean_rate(scenario, timing.bake_start, timing.bake_end)
    per_instance = rate / timing.step.total if timing.step.total else 0.0
    cap = healthy.capacity_rps_per_instance
    rho = per_instance / cap if cap else 0.0
    latency = _mean_latency_ms(healthy, timing.bake_start, rho)
    value = steady_value(metric, healthy.instance_metrics, itype, per_instance, latency)
    return {
        "step": timing.label,
        "requests_per_second_per_instance": per_instance,
        "mean_model_latency_ms": latency,
        "busy_requests_per_instance": per_instance * latency / 1000.0,
        "steady_value_percent": value,
        "vcpus": itype.vcpus,
    }


def check_instance_metric_load(scenario: Scenario, ctx: LintContext) -> list[Finding]:
    out = []
    for a in ctx.alarms:
        src = a.single
        if (
            src is None
            or src.metric not in INSTANCE_METRICS
            or "green" not in src.fleets
            or src.kind not in _LEVEL_KINDS
        ):
            continue
        hits = []
        for timing in ctx.timeline:
            steady = _steady(scenario, a, src.metric, timing)
            if steady is not None and breaches(
                a.operator, steady["steady_value_percent"], a.threshold
            ):
                hits.append(steady)
        if not hits:
            continue
        first = hits[0]
        at_first = ctx.first is not None and first["step"] == ctx.first.label
        severity: Severity = "error" if at_first else "warning"
        h = ctx.evidence.healthy
        trips = h.trips().get(a.name, 0)
        message = (
            f"alarm {a.name!r}: a healthy new model (identical to the old one) keeps "
            f"{src.metric} at about {first['steady_value_percent']:.3g} % during the "
            f"{first['step']} ({first['requests_per_second_per_instance']:.3g} requests/s per "
            f"instance x {first['mean_model_latency_ms']:.3g} ms = "
            f"{first['busy_requests_per_instance']:.3g} busy requests), which breaches the "
            f"threshold {a.threshold:g}: the alarm is tripped by the load, not by a "
            f"regression. A healthy model was rolled back by it in {trips} of {h.n} runs."
        )
        needed = max(s["steady_value_percent"] for s in hits)
        evidence: dict[str, Any] = {
            "config": rounded({"threshold": a.threshold, "steps": hits}),
            "simulated": rounded(
                {"variant": h.key, "definition": h.definition, "tripped_this_alarm": trips}
            ),
        }
        fix = (
            f"raise the threshold well above {needed:.3g} % (the healthy steady level), or "
            "alarm on a regression signal (ModelLatency or an error rate of the new fleet, "
            "EndpointConfigName of the new config)"
        )
        out.append(Finding(RULE, severity, f"{a.path}.Threshold", message, evidence, fix))
    return out
