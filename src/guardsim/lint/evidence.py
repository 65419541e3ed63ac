"""The quick Monte Carlo behind lint's findings.

Lint asks the simulator a few questions about the scenario, each answered by ``N`` independent
replications in fast mode without detail (``simulate(variant, seed=S, mode="fast",
replication=i, detail=False)`` for ``i`` in ``0..N-1``; replication ``i`` draws from
``numpy.random.SeedSequence(S).spawn(N)[i]``, exactly as ``guardsim.montecarlo.monte_carlo``
does, so ``monte_carlo(variant, N, seed=S)`` reproduces every count). The same seeds are used
for every variant (common random numbers: two variants differ only where their models or
settings do). The variants:

* ``as-configured``: the scenario as given;
* ``failing``: the green model replaced by a **failing model**: every request returns a 5XX and
  its ModelLatency is 10x the blue model's (median and p99), like the seed post's incompatible
  model; everything else as configured. A guardrail that cannot roll this back cannot roll
  back anything;
* ``healthy``: the green model identical to the blue one (latency, errors, capacity, faults).
  Any rollback of it is a false rollback (noise, or the old fleet's own errors). The failing
  and healthy models keep the new model's custom metrics (its code's own PutMetricData);
* ``failing-only:<alarm>``: the failing model with AutoRollbackConfiguration listing only that
  alarm: what each alarm catches on its own;
* ``fallback``: the failing model with the DeploymentConfig SageMaker falls back to for excluded
  endpoints (blue/green all at once, no final bake).

Variants are computed when a rule first asks for them and cached, so every lint run computes
each at most once and all rules share it; identical variant scenarios are simulated once.
"""

from __future__ import annotations

import dataclasses
import json
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

import numpy as np

from guardsim.deployment.plan import Step
from guardsim.errors import ArgumentError
from guardsim.intervals import wilson_interval as wilson_interval  # re-exported
from guardsim.lint.defaults import DEFAULT_REPLICATIONS
from guardsim.lint.derived import rounded, step_label
from guardsim.scenarios.boto import (
    AutoRollbackConfig,
    BlueGreenUpdatePolicy,
    DeploymentConfig,
    TrafficRoutingConfig,
)
from guardsim.scenarios.models import Latency, ModelBehaviour, VariantModels
from guardsim.scenarios.scenario import Scenario
from guardsim.simulator.engine import simulate

#: How much slower the failing model is than the blue one (median and p99 ModelLatency).
FAILING_LATENCY_FACTOR = 10.0

AS_CONFIGURED = "as-configured"
FAILING = "failing"
HEALTHY = "healthy"
FALLBACK = "fallback"
ONLY = "failing-only:"
#: ``fixed:<variant>:<alarm>``: a variant of the scenario with a rule's fix applied
FIXED = "fixed:"

DEFINITIONS = {
    AS_CONFIGURED: "the scenario as given (its own green model)",
    FAILING: "green fails every request with a 5XX and its ModelLatency is "
    f"{FAILING_LATENCY_FACTOR:g}x the blue model's, like the seed post's incompatible model",
    HEALTHY: "green identical to blue: same latency, error rates, capacity and faults",
    FALLBACK: "the failing model, deployed the way SageMaker falls back for excluded endpoints: "
    "blue/green all at once with no final bake",
}

# --------------------------------------------------------------------------- variants


def failing_model(blue: ModelBehaviour) -> ModelBehaviour:
    """The failing green model: 100 % 5XX and 10x the blue model's ModelLatency."""
    return dataclasses.replace(
        blue,
        latency=Latency(
            median_ms=blue.latency.median_ms * FAILING_LATENCY_FACTOR,
            p99_ms=blue.latency.p99_ms * FAILING_LATENCY_FACTOR,
        ),
        error_rate_5xx=1.0,
        error_rate_4xx=0.0,
        faults=(),
        history=None,  # 100 % 5XX whatever the old model's recording says
        history_transform=None,
    )


def with_green(scenario: Scenario, green: ModelBehaviour) -> Scenario:
    return dataclasses.replace(scenario, models=dataclasses.replace(scenario.models, green=green))


def _instrumented(scenario: Scenario, green: ModelBehaviour) -> ModelBehaviour:
    """``green`` publishing the new model's custom metrics: they are its code's own
    instrumentation (PutMetricData), which a healthy or failing new model keeps."""
    return dataclasses.replace(green, custom_metrics=scenario.models.green.custom_metrics)


def _per_variant(scenario: Scenario, make: Callable[[ModelBehaviour], ModelBehaviour]) -> Scenario:
    """``scenario`` with every new model made from its old one by ``make``: the default's, and
    on a multi-variant endpoint each variant's own (``models.variants``)."""
    out = with_green(scenario, _instrumented(scenario, make(scenario.models.blue)))
    if not scenario.models.variants:
        return out
    variants = {
        name: VariantModels(blue=own.blue, green=make(own.blue) if own.blue is not None else None)
        for name, own in scenario.models.variants.items()
    }
    models = dataclasses.replace(out.models, variants=MappingProxyType(variants))
    return dataclasses.replace(out, models=models)


def failing_scenario(scenario: Scenario) -> Scenario:
    return _per_variant(scenario, failing_model)


def healthy_scenario(scenario: Scenario) -> Scenario:
    return _per_variant(scenario, ModelBehaviour.as_new_model)


def only_alarm(scenario: Scenario, alarm: str) -> Scenario:
    """``scenario`` with AutoRollbackConfiguration listing only ``alarm``."""
    dc = dataclasses.replace(scenario.deployment_config, auto_rollback=AutoRollbackConfig((alarm,)))
    return dataclasses.replace(scenario, deployment_config=dc)


def fallback_config(config: DeploymentConfig) -> DeploymentConfig:
    """Blue/green all at once with no final bake, same timeout and alarms (see
    aws-model.md#exclusions)."""
    return DeploymentConfig(
        blue_green=BlueGreenUpdatePolicy(
            TrafficRoutingConfig(type="ALL_AT_ONCE", wait_interval_seconds=0),
            termination_wait_seconds=0,
            maximum_execution_timeout_seconds=config.maximum_execution_timeout_seconds,
        ),
        auto_rollback=config.auto_rollback,
    )


def variant_scenario(scenario: Scenario, key: str) -> Scenario:
    """The scenario a variant key simulates (see the module docstring)."""
    if key == AS_CONFIGURED:
        return scenario
    if key == FAILING:
        return failing_scenario(scenario)
    if key == HEALTHY:
        return healthy_scenario(scenario)
    if key == FALLBACK:
        failing = failing_scenario(scenario)
        return dataclasses.replace(
            failing, deployment_config=fallback_config(scenario.deployment_config)
        )
    if key.startswith(ONLY):
        return only_alarm(failing_scenario(scenario), key[len(ONLY) :])
    raise KeyError(key)


def definition(key: str) -> str:
    if key.startswith(FIXED):
        variant, _, alarm = key[len(FIXED) :].partition(":")
        return f"{DEFINITIONS[variant]}; alarm {alarm!r} with lint's fix applied"
    if key.startswith(ONLY):
        return f"{DEFINITIONS[FAILING]}; only alarm {key[len(ONLY) :]!r} watched"
    return DEFINITIONS[key]


# --------------------------------------------------------------------------- results


@dataclass(frozen=True)
class Replication:
    """What one replication of a variant did (from its run record without detail)."""

    replication: int
    outcome: str
    tripped: tuple[str, ...]
    #: index of the plan step during which the rollback alarm was detected (-1: before the
    #: first traffic shift); None if no alarm was detected
    detected_step: int | None
    detected_at: float | None
    timed_out: bool
    green_requests: int
    green_errors: int
    deployment_seconds: float


def _replication(i: int, scenario: Scenario, seed: int) -> Replication:
    record = simulate(scenario, seed=seed, mode="fast", replication=i, detail=False)
    shifts = -1
    detected_step = None
    timed_out = False
    for t in record.transitions:
        trigger = t["trigger"]
        if trigger in ("traffic_shifted", "final_traffic_shifted"):
            shifts += 1
        elif trigger == "alarm_tripped" and detected_step is None:
            detected_step = shifts
        elif trigger in ("timeout", "timeout_failed"):
            timed_out = True
    s = record.summary
    # a simulated record always has its blast radius (only a real component run lacks it)
    assert s.green_requests is not None and s.green_errors is not None
    return Replication(
        replication=i,
        outcome=record.outcome,
        tripped=s.tripped_alarms,
        detected_step=detected_step,
        detected_at=s.detected_at_seconds,
        timed_out=timed_out,
        green_requests=s.green_requests,
        green_errors=s.green_errors,
        deployment_seconds=s.deployment_seconds,
    )


def quantiles(values: list[float]) -> dict[str, float | None]:
    """p5, p50 and p95 (numpy's default linear interpolation, as ``guardsim mc`` reports)."""
    if not values:
        return {"p5": None, "p50": None, "p95": None}
    p5, p50, p95 = (float(q) for q in np.percentile(np.asarray(values, dtype=float), (5, 50, 95)))
    return {"p5": round(p5, 1), "p50": round(p50, 1), "p95": round(p95, 1)}


@dataclass(frozen=True)
class VariantResult:
    """The replications of one variant and what they add up to."""

    key: str
    seed: int
    alarm_names: tuple[str, ...]
    runs: tuple[Replication, ...]

    @property
    def n(self) -> int:
        return len(self.runs)

    @property
    def definition(self) -> str:
        return definition(self.key)

    @property
    def rolled_back(self) -> int:
        """Runs that ended ROLLED_BACK (by an alarm or by the timeout), as ``guardsim mc``."""
        return sum(r.outcome == "ROLLED_BACK" for r in self.runs)

    @property
    def alarm_rollbacks(self) -> int:
        """Runs in which a rollback alarm was detected tripped."""
        return sum(r.detected_step is not None for r in self.runs)

    @property
    def timeouts(self) -> int:
        return sum(r.timed_out for r in self.runs)

    @property
    def succeeded(self) -> int:
        return sum(r.outcome == "SUCCEEDED" for r in self.runs)

    def trips(self) -> dict[str, int]:
        """Per rollback alarm: runs in which it was among the tripped alarms at detection."""
        counts = Counter(a for r in self.runs for a in r.tripped)
        return {name: counts.get(name, 0) for name in self.alarm_names}

    def detected_in(self, steps: tuple[Step, ...]) -> dict[str, int]:
        """Runs by the bake in which the rollback alarm was detected (plus ``never``)."""
        counts = Counter(r.detected_step for r in self.runs)
        out: dict[str, int] = {}
        if counts.get(-1):
            out["before the first traffic shift"] = counts[-1]
        for step in steps:
            out[step_label(step)] = counts.get(step.index, 0)
        out["never"] = counts.get(None, 0)
        return out

    def detected_by_step(self, index: int) -> int:
        """Runs detected during step ``index`` or earlier."""
        return sum(r.detected_step is not None and r.detected_step <= index for r in self.runs)

    def rollback_data(self) -> dict[str, Any]:
        low, high = wilson_interval(self.rolled_back, self.n)
        return {
            "runs": self.n,
            "rolled_back": self.rolled_back,
            "p_rollback": round(self.rolled_back / self.n, 4),
            "p_rollback_ci95": [round(low, 4), round(high, 4)],
        }

    def alarm_rollback_data(self) -> dict[str, Any]:
        k = self.alarm_rollbacks
        low, high = wilson_interval(k, self.n)
        return {
            "runs": self.n,
            "rolled_back_by_an_alarm": k,
            "p": round(k / self.n, 4),
            "p_ci95": [round(low, 4), round(high, 4)],
        }

    def blast_radius_data(self) -> dict[str, Any]:
        detected = [r.detected_at for r in self.runs if r.detected_at is not None]
        return {
            "green_errors": quantiles([float(r.green_errors) for r in self.runs]),
            "green_requests": quantiles([float(r.green_requests) for r in self.runs]),
            "detected_at_s": quantiles([float(x) for x in detected]),
        }

    def summary_data(self, steps: tuple[Step, ...]) -> dict[str, Any]:
        """Everything, as the JSON report's ``evidence.variants`` shows it."""
        data: dict[str, Any] = rounded(
            {
                "definition": self.definition,
                "seed": self.seed,
                **self.rollback_data(),
                "rolled_back_by_an_alarm": self.alarm_rollbacks,
                "timeouts": self.timeouts,
                "succeeded": self.succeeded,
                "tripped": self.trips(),
                "detected_in": self.detected_in(steps),
                **self.blast_radius_data(),
            }
        )
        return data


# --------------------------------------------------------------------------- the cache


class Evidence:
    """The Monte Carlo evidence of one lint run: variants computed on demand, once each.

    ``replications`` runs per variant (default :data:`DEFAULT_REPLICATIONS`), base ``seed``
    (default: the scenario's ``simulation.seed``). ``runner`` replaces the simulation of one
    replication (tests use it to count or stub runs).
    """

    def __init__(
        self,
        scenario: Scenario,
        *,
        replications: int = DEFAULT_REPLICATIONS,
        seed: int | None = None,
        runner: Callable[[int, Scenario, int], Replication] = _replication,
    ) -> None:
        if isinstance(replications, bool) or not isinstance(replications, int) or replications < 1:
            raise ArgumentError(f"replications must be a whole number >= 1, got {replications!r}")
        self.scenario = scenario
        self.replications = replications
        self.seed = scenario.simulation.seed if seed is None else seed
        self._runner = runner
        self._by_key: dict[str, VariantResult] = {}
        self._by_text: dict[str, tuple[Replication, ...]] = {}
        self.simulated_runs = 0

    def get(self, key: str) -> VariantResult:
        """The result of variant ``key`` (computed on first use)."""
        hit = self._by_key.get(key)
        if hit is not None:
            return hit
        scenario = variant_scenario(self.scenario, key)
        text = json.dumps(scenario.to_dict(), sort_keys=True, allow_nan=False)
        runs = self._by_text.get(text)
        if runs is None:
            runs = tuple(self._runner(i, scenario, self.seed) for i in range(self.replications))
            self.simulated_runs += len(runs)
            self._by_text[text] = runs
        names = scenario.seen_rollback_alarm_names
        result = VariantResult(key, self.seed, names, runs)
        self._by_key[key] = result
        return result

    def custom(self, key: str, scenario: Scenario, variant: str) -> VariantResult:
        """Variant ``variant`` (e.g. ``healthy``) of ``scenario`` (the configuration with a
        fix applied), under ``key`` (``fixed:healthy:<alarm>``), with the same seeds."""
        hit = self._by_key.get(key)
        if hit is not None:
            return hit
        target = variant_scenario(scenario, variant)
        text = json.dumps(target.to_dict(), sort_keys=True, allow_nan=False)
        runs = self._by_text.get(text)
        if runs is None:
            runs = tuple(self._runner(i, target, self.seed) for i in range(self.replications))
            self.simulated_runs += len(runs)
            self._by_text[text] = runs
        names = target.seen_rollback_alarm_names
        result = VariantResult(key, self.seed, names, runs)
        self._by_key[key] = result
        return result

    @property
    def as_configured(self) -> VariantResult:
        return self.get(AS_CONFIGURED)

    @property
    def failing(self) -> VariantResult:
        return self.get(FAILING)

    @property
    def healthy(self) -> VariantResult:
        return self.get(HEALTHY)

    @property
    def fallback(self) -> VariantResult:
        return self.get(FALLBACK)

    def failing_only(self, alarm: str) -> VariantResult:
        return self.get(ONLY + alarm)

    def computed(self) -> dict[str, VariantResult]:
        """The variants computed so far, by key (sorted)."""
        return dict(sorted(self._by_key.items()))
