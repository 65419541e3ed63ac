"""Multi-variant endpoints: an endpoint config with several production variants.

What AWS documents, and guardsim reproduces:

* each variant gets ``InitialVariantWeight`` / (sum of the variants' weights) of the endpoint's
  requests, the weight defaulting to 1.0
  (https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_ProductionVariant.html);
* invocation and instance metrics are published per ``EndpointName`` + ``VariantName`` (and
  ``EndpointConfigName`` during and after a blue/green update)
  (https://docs.aws.amazon.com/sagemaker/latest/dg/monitoring-cloudwatch.html,
  https://docs.aws.amazon.com/sagemaker/latest/dg/deployment-guardrails-configuration.html);
* a blue/green update keeps the variant names, and rolling updates exclude multi-variant
  endpoints (https://docs.aws.amazon.com/sagemaker/latest/dg/deployment-guardrails-exclusions.html);
* a tripped rollback alarm rolls the whole update back: all traffic returns to the old fleets.

Each variant is simulated as a **lane**: the single-variant scenario of that variant (its blue
and green variant, its models, the alarms that read its metrics) on its share of the traffic.
One controller drives every lane, so there is one rollback decision: the SimPy engines
(:class:`guardsim.simulator.engine.Run`, one run per lane in one environment) and the batch
engine (one block per lane in lockstep) both build on :func:`lanes`, and so does the emulator
(one live run per lane, :mod:`guardsim.emulator.deployment`). How a canary or linear step
applies to several variants is not documented: ``environment.multi_variant_steps``
(default and only reading ``per-variant``) has every variant's green fleet take the step at
the same instant, its CapacitySize resolved against that variant's own instance count, and a
step's wait start when every variant's green capacity is ready. Departures (said in
aws-model.md#multi-variant): the new config must keep each variant's weight (when changed
weights would take effect is not documented), and an alarm, a composite alarm or a metric-math
expression must read one variant's metrics only.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from guardsim.scenarios.boto import CompositeAlarm, MetricAlarm

if TYPE_CHECKING:
    from guardsim.scenarios.scenario import Endpoint, Scenario


@dataclass(frozen=True)
class Lane:
    """One production variant of the endpoint, as the engines simulate it."""

    variant_name: str
    #: the variant's share of the endpoint's requests (weight / sum of weights)
    share: float
    #: the single-variant scenario of this variant (same names, its own models and alarms)
    scenario: Scenario


def variant_names(endpoint: Endpoint) -> tuple[str, ...]:
    """The blue config's variant names, in its order (the lanes' order)."""
    return tuple(v.variant_name for v in endpoint.blue.variants)


def shares(endpoint: Endpoint) -> tuple[float, ...]:
    """Each blue variant's share of the requests: its weight over the sum of the weights."""
    weights = [v.weight for v in endpoint.blue.variants]
    total = sum(weights)
    return tuple(w / total if total > 0 else 0.0 for w in weights)


def alarm_variants(alarm: MetricAlarm) -> tuple[str, ...]:
    """The distinct VariantName values the alarm's metrics name, in order of appearance."""
    seen: dict[str, None] = {}
    for _, dims in alarm.dimension_sets():
        if "VariantName" in dims:
            seen.setdefault(dims["VariantName"], None)
    return tuple(seen)


def assign_alarms(
    alarms: Sequence[MetricAlarm],
    composites: Sequence[CompositeAlarm],
    names: Sequence[str],
) -> dict[str, str]:
    """The lane (variant name) each alarm is evaluated in: the variant whose metrics it reads;
    one that reads no variant of the endpoint sees no data, and is evaluated in the first lane.
    A composite goes with its first child. Validation has refused alarms that read several."""
    first = names[0]
    out: dict[str, str] = {}
    for a in alarms:
        own = [v for v in alarm_variants(a) if v in names]
        out[a.name] = own[0] if own else first
    pending = list(composites)
    # composites may name composites: resolve children first (validation refused cycles)
    while pending:
        left = []
        for c in pending:
            kids = [out.get(k) for k in c.children]
            if all(k is not None for k in kids):
                out[c.name] = kids[0] if kids else first  # type: ignore[assignment]
            else:
                left.append(c)
        if len(left) == len(pending):
            for c in left:
                out[c.name] = first
            break
        pending = left
    return out


def lanes(scenario: Scenario) -> tuple[Lane, ...]:
    """The scenario's lanes: itself for a single-variant endpoint (share 1.0), else one
    single-variant scenario per variant, in the blue config's order."""
    from guardsim.scenarios.scenario import Endpoint

    endpoint = scenario.endpoint
    if len(endpoint.blue.variants) <= 1 or endpoint.component is not None:
        return (Lane(endpoint.variant_name, 1.0, scenario),)
    names = variant_names(endpoint)
    where = assign_alarms(scenario.alarms, scenario.composite_alarms, names)
    out = []
    for name, share in zip(names, shares(endpoint), strict=True):
        sub = dataclasses.replace(
            scenario,
            endpoint=Endpoint(endpoint.name, endpoint.blue.only(name), endpoint.green.only(name)),
            models=scenario.models.for_variant(name),
            alarms=tuple(a for a in scenario.alarms if where[a.name] == name),
            composite_alarms=tuple(c for c in scenario.composite_alarms if where[c.name] == name),
            traffic=dataclasses.replace(
                scenario.traffic, rate_per_second=scenario.traffic.rate_per_second * share
            ),
        )
        out.append(Lane(name, share, sub))
    return tuple(out)


def is_multi_variant(scenario: Scenario) -> bool:
    return len(scenario.endpoint.blue.variants) > 1 and scenario.endpoint.component is None
