"""Helpers for property tests of your own guardrails: estimates and honest assertions.

A guardrail property reads like "for every green 5XX rate above 5 % at 20 requests/s, the
deployment rolls back with probability at least 0.99 and the 95th percentile of the blast radius
is below 200 requests". The helpers here turn one such sentence, for one scenario, into a fast-mode
Monte Carlo (:func:`~guardsim.montecarlo.monte_carlo.monte_carlo`) with a fixed seed and an
assertion whose failure message states the numbers::

    from guardsim import load_scenario
    from guardsim.testing import assert_blast_radius_below, assert_rolls_back, with_green

    bad = with_green(load_scenario("seed-canary-rollback"), error_rate_5xx=0.2)
    assert_rolls_back(bad, at_least=0.99)
    assert_blast_radius_below(bad, 200, quantile=0.95)

**The statistical rule: an assertion passes only when the replications demonstrate the claim.**
A claim about a probability passes when the whole 95 % Wilson score interval
(:func:`~guardsim.intervals.wilson_interval`) is on the claimed side:
:func:`assert_rolls_back` needs the interval's *lower* end ``>= at_least``,
:func:`assert_false_rollback_at_most` needs its *upper* end ``<= p``. The point estimate being on
the right side is not enough: 10 rollbacks in 10 runs do not show a probability of 0.99 (the
interval is 0.72-1). So a sample too small to show the claim fails, and the message says so and
gives the smallest ``n`` that could pass (:func:`replications_needed`); for at_least = 0.99 that
is 381 replications, for at most 5 % it is 73. When ``n`` is None (the default) the helpers use
twice that minimum (at least 100), so that a true probability a little better than the claim
still passes.

A claim about a quantile (:func:`assert_blast_radius_below`) passes when a distribution-free
upper confidence bound of the quantile is below the limit: the order statistic ``X(u)`` of the
``n`` runs with the smallest ``u`` for which ``P(Binomial(n, q) < u) >= 0.975``, so that
``P(X(u) >= true q-quantile) >= 0.975``, the same one-sided confidence as the end of a 95 %
Wilson interval. It needs ``n >= log(0.025) / log(q)`` runs (72 for the 95th percentile).

Everything is deterministic: the same scenario, ``n`` and ``seed`` give the same replications
(``guardsim mc SCENARIO -n N --seed S`` reproduces them), whatever ran them. None of this needs
Hypothesis; only the strategies do.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from guardsim.errors import ArgumentError, ScenarioError
from guardsim.intervals import Z95, wilson_interval
from guardsim.scenarios.loading import check_scenario_dict
from guardsim.scenarios.scenario import Scenario

if TYPE_CHECKING:
    from guardsim.montecarlo.monte_carlo import MonteCarloResult

#: One-sided confidence of every assertion (the end of a two-sided 95 % interval).
CONFIDENCE = 0.975
#: The Monte Carlo columns a blast radius can be measured in.
BLAST_RADIUS_METRICS = ("green_errors", "user_errors", "green_requests")


class GuardrailAssertionError(AssertionError):
    """A guardrail assertion failed; ``estimate`` holds the numbers it was decided on."""

    def __init__(self, message: str, estimate: Estimate | QuantileEstimate) -> None:
        super().__init__(message)
        self.estimate = estimate


# --------------------------------------------------------------------------- variants


def _rebuild(scenario: Scenario, data: dict[str, Any], what: str) -> Scenario:
    result = check_scenario_dict(data, source=f"<{what} of {scenario.name}>")
    if result.scenario is None:
        raise ScenarioError(result.problems, result.source)
    return result.scenario


def with_green(
    scenario: Scenario,
    *,
    error_rate_5xx: float | None = None,
    error_rate_4xx: float | None = None,
    latency_ms: float | None = None,
    latency_p99_ms: float | None = None,
    capacity_rps_per_instance: float | None = None,
    faults: Sequence[Mapping[str, Any]] | None = None,
) -> Scenario:
    """``scenario`` with a different green (new) model, validated like a scenario file.

    Only the arguments given change. ``latency_ms`` is the median ModelLatency in ms; without
    ``latency_p99_ms`` the 99th percentile keeps its ratio to the median. ``faults`` replaces
    the green model's faults (scenario-file form, e.g. ``[{"kind": "errors", "rate_5xx":
    1.0, "after_seconds": 600}]``). Raises :class:`~guardsim.errors.ScenarioError` (with every
    problem's field path) if the result is invalid, e.g. a rate above 1.
    """
    data = scenario.to_dict()
    green: dict[str, Any] = data["models"]["green"]
    if error_rate_5xx is not None:
        green["error_rate_5xx"] = error_rate_5xx
    if error_rate_4xx is not None:
        green["error_rate_4xx"] = error_rate_4xx
    if latency_ms is not None:
        old = scenario.models.green.latency
        green["latency"] = {
            "median_ms": latency_ms,
            "p99_ms": latency_p99_ms
            if latency_p99_ms is not None
            else latency_ms * old.p99_ms / old.median_ms,
        }
    elif latency_p99_ms is not None:
        green["latency"]["p99_ms"] = latency_p99_ms
    if capacity_rps_per_instance is not None:
        green["capacity_rps_per_instance"] = capacity_rps_per_instance
    if faults is not None:
        green["faults"] = [dict(f) for f in faults]
    return _rebuild(scenario, data, "with_green")


def healthy(scenario: Scenario) -> Scenario:
    """``scenario`` with a green model identical to the blue one: any rollback is a false one."""
    data = scenario.to_dict()
    data["models"]["green"] = data["models"]["blue"]
    return _rebuild(scenario, data, "healthy")


def with_traffic(scenario: Scenario, *, rate_per_second: float) -> Scenario:
    """``scenario`` at a different mean request rate (requests/s), validated."""
    data = scenario.to_dict()
    data["traffic"]["rate_per_second"] = rate_per_second
    return _rebuild(scenario, data, "with_traffic")


# --------------------------------------------------------------------------- estimates


@dataclass(frozen=True)
class Estimate:
    """A probability estimated from ``n`` replications: ``k`` hits, ``p = k/n`` and the 95 %
    Wilson score interval ``(low, high)``."""

    what: str
    k: int
    n: int
    p: float
    low: float
    high: float
    seed: int

    def __str__(self) -> str:
        return (
            f"{self.what}: {self.k} of {self.n} runs = {self.p:.4g} "
            f"(95% Wilson interval {self.low:.4g}-{self.high:.4g}; base seed {self.seed})"
        )


@dataclass(frozen=True)
class QuantileEstimate:
    """The ``quantile`` of ``metric`` over ``n`` replications: the sample value and the
    distribution-free upper confidence bound (one-sided :data:`CONFIDENCE`; None if ``n`` is
    too small to give one)."""

    metric: str
    quantile: float
    n: int
    value: float
    upper: float | None
    maximum: float
    seed: int

    def __str__(self) -> str:
        bound = "n too small for a bound" if self.upper is None else f"upper bound {self.upper:g}"
        return (
            f"p{100 * self.quantile:g} of {self.metric} over {self.n} runs: {self.value:g} "
            f"({bound} at {100 * CONFIDENCE:g}% confidence; max {self.maximum:g}; "
            f"base seed {self.seed})"
        )


def replications_needed(bound: float, *, upper: bool = False) -> int:
    """The smallest ``n`` whose 95 % Wilson interval can show ``p >= bound`` (all ``n`` runs
    hit) or, with ``upper=True``, ``p <= bound`` (no run hits)."""
    if not 0.0 < bound < 1.0:
        raise ArgumentError(f"the bound must be strictly between 0 and 1, got {bound}")
    z2 = Z95 * Z95
    # k = n: the Wilson lower end is n/(n + z^2); k = 0: the upper end is z^2/(n + z^2).
    share = (1.0 - bound) / bound if upper else bound / (1.0 - bound)
    return max(1, math.ceil(z2 * share - 1e-9))


def _default_n(bound: float, *, upper: bool) -> int:
    return max(100, 2 * replications_needed(bound, upper=upper))


def _run(scenario: Scenario, n: int, seed: int, workers: int | None) -> MonteCarloResult:
    from guardsim.montecarlo.monte_carlo import monte_carlo

    return monte_carlo(scenario, n, seed=seed, mode="fast", workers=workers)


def _estimate(what: str, k: int, n: int, seed: int) -> Estimate:
    low, high = wilson_interval(k, n)
    return Estimate(what, k, n, k / n, low, high, seed)


def rollback_probability(
    scenario: Scenario, n: int = 200, seed: int = 0, *, workers: int | None = 1
) -> Estimate:
    """How often ``scenario`` rolls back: ``n`` fast-mode replications from base ``seed``."""
    result = _run(scenario, n, seed, workers)
    what = f"rollback probability of {scenario.name}"
    return _estimate(what, result.summary.rolled_back, n, seed)


def quantile_upper_bound_index(
    n: int, quantile: float, confidence: float = CONFIDENCE
) -> int | None:
    """The 1-based order statistic ``u`` with ``P(X(u) >= q-quantile) >= confidence``: the
    smallest ``u`` with ``P(Binomial(n, quantile) <= u - 1) >= confidence``; None if ``u > n``."""
    if not 0.0 < quantile < 1.0:
        raise ValueError(f"quantile must be strictly between 0 and 1, got {quantile}")
    lq, l1q = math.log(quantile), math.log1p(-quantile)
    lgn = math.lgamma(n + 1)
    cdf = 0.0
    for j in range(n + 1):
        cdf += math.exp(lgn - math.lgamma(j + 1) - math.lgamma(n - j + 1) + j * lq + (n - j) * l1q)
        if cdf >= confidence:
            return j + 1 if j + 1 <= n else None
    return None


def blast_radius(
    scenario: Scenario,
    n: int = 200,
    seed: int = 0,
    quantile: float = 0.95,
    *,
    metric: str = "green_errors",
    workers: int | None = 1,
) -> QuantileEstimate:
    """The ``quantile`` of the blast radius over ``n`` fast-mode replications from ``seed``.

    ``metric``: ``green_errors`` (failed requests served by the new fleet, the default, as in
    ``guardsim mc``), ``user_errors`` (every error users saw) or ``green_requests`` (requests the
    new fleet served). The value is numpy's linear-interpolation percentile, as in
    ``guardsim mc``; ``upper`` is the order-statistic bound described in the module docstring.
    """
    if metric not in BLAST_RADIUS_METRICS:
        raise ValueError(f"metric must be one of {', '.join(BLAST_RADIUS_METRICS)}, got {metric!r}")
    import numpy as np

    result = _run(scenario, n, seed, workers)
    values = np.sort(result.runs[metric].to_numpy(dtype=float))
    u = quantile_upper_bound_index(n, quantile)
    return QuantileEstimate(
        metric=metric,
        quantile=quantile,
        n=n,
        value=float(np.percentile(values, 100 * quantile)),
        upper=None if u is None else float(values[u - 1]),
        maximum=float(values[-1]),
        seed=seed,
    )


# --------------------------------------------------------------------------- assertions


def assert_rolls_back(
    scenario: Scenario,
    at_least: float = 0.99,
    *,
    n: int | None = None,
    seed: int = 0,
    workers: int | None = 1,
) -> Estimate:
    """Assert that ``scenario`` rolls back with probability ``>= at_least``.

    Passes only if the lower end of the 95 % Wilson interval is ``>= at_least``. ``n`` defaults
    to twice :func:`replications_needed` (at least 100). Returns the :class:`Estimate`.
    """
    n = _default_n(at_least, upper=False) if n is None else n
    est = rollback_probability(scenario, n, seed, workers=workers)
    if est.low < at_least:
        need = replications_needed(at_least)
        hint = (
            f"; {n} runs cannot show it even if all roll back: use n >= {need}" if n < need else ""
        )
        raise GuardrailAssertionError(
            f"expected {scenario.name!r} to roll back with probability >= {at_least:g}, "
            f"but the 95% Wilson interval's lower end {est.low:.4g} is below it: {est}{hint}",
            est,
        )
    return est


def assert_false_rollback_at_most(
    scenario: Scenario,
    p: float = 0.05,
    *,
    n: int | None = None,
    seed: int = 0,
    workers: int | None = 1,
) -> Estimate:
    """Assert that ``scenario`` (typically with a healthy green model, see :func:`healthy`)
    rolls back with probability ``<= p``.

    Passes only if the upper end of the 95 % Wilson interval is ``<= p``. ``n`` defaults to
    twice :func:`replications_needed` (at least 100). Returns the :class:`Estimate`.
    """
    n = _default_n(p, upper=True) if n is None else n
    est = rollback_probability(scenario, n, seed, workers=workers)
    est = Estimate(
        f"false rollback probability of {scenario.name}",
        est.k,
        est.n,
        est.p,
        est.low,
        est.high,
        est.seed,
    )
    if est.high > p:
        need = replications_needed(p, upper=True)
        hint = (
            f"; {n} runs cannot show it even if none rolls back: use n >= {need}"
            if n < need
            else ""
        )
        raise GuardrailAssertionError(
            f"expected {scenario.name!r} to roll back with probability <= {p:g}, but the 95% "
            f"Wilson interval's upper end {est.high:.4g} is above it: {est}{hint}",
            est,
        )
    return est


def assert_blast_radius_below(
    scenario: Scenario,
    requests: float,
    quantile: float = 0.95,
    *,
    n: int = 200,
    seed: int = 0,
    metric: str = "green_errors",
    workers: int | None = 1,
) -> QuantileEstimate:
    """Assert that the ``quantile`` of the blast radius (``metric``, see :func:`blast_radius`)
    is below ``requests``.

    Passes only if the upper confidence bound of the quantile (module docstring) is
    ``< requests``. Returns the :class:`QuantileEstimate`.
    """
    est = blast_radius(scenario, n, seed, quantile, metric=metric, workers=workers)
    if est.upper is None or est.upper >= requests:
        if est.upper is None:
            need = math.ceil(math.log(1.0 - CONFIDENCE) / math.log(quantile))
            why = f"{n} runs are too few to bound it: use n >= {need}"
        else:
            why = f"its upper confidence bound {est.upper:g} is not below it"
        raise GuardrailAssertionError(
            f"expected the p{100 * quantile:g} of {metric} of {scenario.name!r} to be below "
            f"{requests:g}, but {why}: {est}",
            est,
        )
    return est
