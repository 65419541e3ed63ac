"""Traffic-aware advice: when the canary's traffic is too low for any alarm to do the job.

When the scenario is a canary whose new model fails more requests than the old one (but not
all of them: the failing-model rules cover that), lint asks
:func:`guardsim.design.search.design` whether any alarm of a small search space (the new
fleet's error count: per minute 1 of 1 or 2 of 3, or per 5 minutes) both catches that model
within the canary bake (the scenario with no final bake, so nothing else is watched) in at
least :data:`MIN_CATCH` of the deployments and rolls back a healthy one in at most
:data:`MAX_FALSE_ROLLBACK`, on the same Monte Carlo engine and seeds as everything else (few
runs, point estimates: this is advice). If none does, it tries longer canary bakes and larger
canaries (each a multiple of the configured one) and says the smallest that would do. The cost
is bounded: at most :data:`MAX_RUNS` replications per variant (fast engine), four structures,
the search stopping at the first alarm within the limits, and at most :data:`MULTIPLES`
alternatives of each kind (about 130 Monte Carlo runs at worst, only when the rule fires).
"""

from __future__ import annotations

import dataclasses
from typing import Any

from guardsim.lint.context import LintContext
from guardsim.lint.derived import steady_fleet
from guardsim.lint.findings import Finding
from guardsim.lint.rules import Rule
from guardsim.scenarios.boto import CapacitySize
from guardsim.scenarios.scenario import Scenario

#: The limits the advice checks, on point estimates of at most MAX_RUNS runs.
MAX_FALSE_ROLLBACK = 0.05
MIN_CATCH = 0.9
MAX_RUNS = 30
#: The alternatives tried: the first bake, or the canary, this many times the configured one.
MULTIPLES = (2, 4)

RULE_ID = "traffic-too-low"


def _structures(scenario: Scenario) -> list[Any]:
    from guardsim.design.search import Structure, sprt_weight

    # error counts (at a steady rate a count threshold is a rate threshold), and Wald's
    # statistic over a window as long as the canary bake (whole minutes)
    routing = _routing(scenario)
    bake = 300 if routing is None else int(routing.wait_interval_seconds)
    window = max(60, -(-bake // 60) * 60)
    return [
        Structure("sum", True, 60, 1, 1, "notBreaching"),
        Structure("sum", True, 60, 2, 3, "notBreaching"),
        Structure("sum", True, 300, 1, 1, "notBreaching"),
        Structure("excess", True, window, 1, 1, "notBreaching", 0, sprt_weight(scenario)),
    ]


def _valid(scenario: Scenario) -> bool:
    """Whether an alternative is a scenario SageMaker accepts (its validation, not a copy)."""
    from guardsim.scenarios.loading import check_scenario_dict

    return check_scenario_dict(scenario.to_dict()).scenario is not None


def _canary_bake_only(scenario: Scenario) -> Scenario:
    """The scenario with no final bake (TerminationWaitInSeconds 0): the rollback alarms are
    watched during the canary bake only, so "caught" means caught within that bake."""
    dc = scenario.deployment_config
    assert dc.blue_green is not None
    bg = dataclasses.replace(dc.blue_green, termination_wait_seconds=0)
    return dataclasses.replace(scenario, deployment_config=dataclasses.replace(dc, blue_green=bg))


def _meets(scenario: Scenario, n: int, seed: int) -> bool:
    from guardsim.design.search import Limits, design

    if not _valid(scenario):
        return False
    scenario = _canary_bake_only(scenario)
    limits = Limits(MAX_FALSE_ROLLBACK, MIN_CATCH, by_interval=False)
    # fast mode: the batch engine simulates whole blocks of 512 replications, far more than
    # lint's few runs
    result = design(
        scenario, limits, n, seed, structures=_structures(scenario), stop_at_first=True, mode="fast"
    )
    return result.winner is not None


def _routing(scenario: Scenario) -> Any:
    bg = scenario.deployment_config.blue_green
    return None if bg is None else bg.traffic_routing


def _with_routing(scenario: Scenario, **changes: Any) -> Scenario:
    dc = scenario.deployment_config
    assert dc.blue_green is not None
    routing = dataclasses.replace(dc.blue_green.traffic_routing, **changes)
    bg = dataclasses.replace(dc.blue_green, traffic_routing=routing)
    return dataclasses.replace(scenario, deployment_config=dataclasses.replace(dc, blue_green=bg))


def check_traffic_too_low(scenario: Scenario, ctx: LintContext) -> list[Finding]:
    bad = steady_fleet(scenario, "green").error_rate_5xx
    old = steady_fleet(scenario).error_rate_5xx
    routing = _routing(scenario)
    if not old < bad < 1.0 or routing is None or routing.type != "CANARY":
        return []
    if not ctx.timeline or ctx.timeline[0].step.is_final:
        return []
    n = min(ctx.evidence.replications, MAX_RUNS)
    seed = ctx.evidence.seed
    if _meets(scenario, n, seed):
        return []
    first = ctx.timeline[0]
    rate = float(scenario.traffic.rate_per_second) * 60.0 * first.step.green_fraction
    bake = int(routing.wait_interval_seconds)
    longer = next(
        (
            bake * k
            for k in MULTIPLES
            if _meets(_with_routing(scenario, wait_interval_seconds=bake * k), n, seed)
        ),
        None,
    )
    size = routing.canary_size
    larger = None
    if size is not None and size.type == "INSTANCE_COUNT":
        field = "canary_size"
        total = scenario.endpoint.green.instance_count
        for k in MULTIPLES:
            count = int(size.value) * k
            if count >= total:
                break  # no canary: the whole fleet
            changed = _with_routing(scenario, **{field: CapacitySize("INSTANCE_COUNT", count)})
            if _meets(changed, n, seed):
                larger = count
                break
    advice = []
    if longer is not None:
        advice.append(f"the bake must be at least {longer // 60} minutes")
    if larger is not None:
        advice.append(f"the canary at least {larger} instances")
    fix = (
        " or ".join(advice)
        if advice
        else f"neither a {MULTIPLES[-1]}x longer bake nor a {MULTIPLES[-1]}x larger canary is "
        "enough: send more traffic to the new fleet, or accept a higher false-rollback rate"
    )
    message = (
        f"at about {rate:.0f} requests per minute on the new fleet, no alarm detects a "
        f"{100 * bad:g}% error rate (the old fleet's {100 * old:g}%) within this "
        f"{bake / 60:g}-minute bake in {100 * MIN_CATCH:g}% of deployments with false rollback "
        f"under {100 * MAX_FALSE_ROLLBACK:g}% ({n} runs per model, guardsim design's small "
        f"search space): {fix}"
    )
    return [
        Finding(
            RULE_ID,
            "warning",
            "deployment_config.BlueGreenUpdatePolicy.TrafficRoutingConfiguration",
            message,
            evidence={
                "simulated": {
                    "runs": n,
                    "seed": seed,
                    "new_fleet_requests_per_minute": rate,
                    "max_false_rollback": MAX_FALSE_ROLLBACK,
                    "min_catch": MIN_CATCH,
                    "bake_seconds": bake,
                    "bake_seconds_needed": longer,
                    "canary_instances_needed": larger,
                }
            },
            fix=fix,
        )
    ]


TRAFFIC_RULES: tuple[Rule, ...] = (
    Rule(
        RULE_ID,
        "a canary whose traffic is too low for any alarm of guardsim design's small search "
        "space to catch the new model's error rate without false rollbacks, with the bake or "
        "canary size that would",
        "warning",
        check_traffic_too_low,
    ),
)

__all__ = ["MAX_FALSE_ROLLBACK", "MIN_CATCH", "TRAFFIC_RULES", "check_traffic_too_low"]
