"""Alarm synthesis: the CloudWatch alarm with the smallest blast radius within the limits.

**The search space** (:class:`Space`): alarms on the 5XX errors SageMaker publishes
(https://docs.aws.amazon.com/sagemaker/latest/dg/monitoring-cloudwatch.html), each a
:class:`Structure` plus a threshold (``GreaterThanThreshold``):

* ``average``: ``Statistic: Average`` of ``Invocation5XXErrors``, the error fraction;
* ``sum``: ``Statistic: Sum`` of ``Invocation5XXErrors``, the error count per period;
* ``guarded-rate``: metric math ``IF(invocations >= k, errors / invocations, 0)`` over the
  ``Sum`` of ``Invocation5XXErrors`` and of ``Invocations``: the error fraction, but 0 (not
  breaching) while a period has fewer than ``k`` requests (AWS's ``IF`` semantics:
  https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/using-metric-math.html);
* ``excess``: metric math ``errors - w * invocations`` over the same two sums, on long periods
  (5 to 15 minutes, a window that slides by a minute at each evaluation): the errors in excess
  of ``w`` per request. With ``w`` from :func:`sprt_weight` this is Wald's log likelihood ratio
  of "the new fleet fails like the old one" against "like the bad model", divided by a positive
  constant, over the window: the statistic of the sequential probability ratio test, which a
  threshold alarm can carry because it is linear in the two sums. It needs no minimum-sample
  guard (few requests give a small value, not a noisy fraction) and it follows the traffic when
  the final bake moves every request to the new fleet.

on the new fleet only (dimensions EndpointName, VariantName and EndpointConfigName of the new
config) or blended (EndpointName and VariantName: both fleets), with ``Period`` 60 or 300 (the
``excess`` form: 300, 600 or 900), M of N (``DatapointsToAlarm`` of ``EvaluationPeriods``) and
``TreatMissingData``
(https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/AlarmThatSendsEmail.html).

**Not searched: high-resolution periods.** CloudWatch accepts a Period of 10, 20 or 30 s on any
metric, but SageMaker publishes its invocation metrics at 1-minute resolution, and such an
alarm "does not receive data for the attempts that do not correspond to a one-minute data
resolution" (PutMetricAlarm's ``Period``:
https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutMetricAlarm.html).
guardsim models exactly that: a 30 s window at an evaluation holds no minute that is published
yet, so a 1 of 1 high-resolution alarm never sees a datapoint and a longer one sees fewer than a
1-minute alarm (``benchmarks/design.py``'s notes in ``benchmarks/README.md``).

**The evidence of a candidate** is two Monte Carlo runs, ``monte_carlo(variant, n, seed=S)``
in its default mode (the batch engine, metric math included): the scenario with the candidate
as its only rollback alarm, once with its own (bad) green model and once with the healthy one
(green identical to blue). Every candidate uses the same seed ``S``, so candidates are
compared on common random numbers.

**The limits**: the false-rollback probability's 95 % Wilson upper bound at most ``P``, and
(optionally) the detection probability's lower bound at least ``Q``. **The objective**: the
bad model's mean blast radius (errors served by the new fleet, the runs' ``green_errors``), or
its mean detection time (seconds after UpdateEndpoint; a run that never detects counts as the
deployment's whole duration).

**The pruning.** For one structure, a higher threshold breaches on a subset of the datapoints a
lower one breaches on, so with common random numbers its false rollbacks and detections can
only fall and its blast radius only grow. So per structure the search binary-searches the
threshold grid for the lowest threshold meeting the false-rollback limit (healthy runs only),
evaluates the bad model there, and stops (a higher threshold could not do better on the
objective, nor on the catch limit).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np

from guardsim.errors import ArgumentError
from guardsim.intervals import wilson_interval
from guardsim.lint.evidence import healthy_scenario
from guardsim.scenarios.boto import AutoRollbackConfig, MetricAlarm
from guardsim.scenarios.scenario import Scenario

FORMS = ("average", "sum", "guarded-rate", "excess")
OBJECTIVES = ("blast-radius", "detection-time")
NAMESPACE = "AWS/SageMaker"
ERRORS = "Invocation5XXErrors"

#: Thresholds tried for an error fraction: 0, then 0.5 % to 50 % in 24 log-spaced steps.
FRACTION_GRID: tuple[float, ...] = (0.0, *(round(0.005 * 100.0 ** (i / 23), 6) for i in range(24)))


@dataclass(frozen=True)
class Structure:
    """An alarm without its threshold."""

    form: str
    per_fleet: bool
    period: int
    datapoints: int  # M
    periods: int  # N
    treat_missing: str
    min_invocations: int = 0  # the guard k of ``guarded-rate``
    weight: float = 0.0  # the w of ``excess``

    @property
    def expression(self) -> str | None:
        """The metric math expression of a metric-math form (None: a single metric)."""
        if self.form == "guarded-rate":
            return f"IF(invocations >= {self.min_invocations}, errors / invocations, 0)"
        if self.form == "excess":
            return f"errors - {self.weight!r} * invocations"
        return None

    def describe(self) -> str:
        what = {
            "average": f"Average of {ERRORS}",
            "sum": f"Sum of {ERRORS}",
            "guarded-rate": self.expression,
            "excess": self.expression,
        }[self.form]
        where = "new fleet (EndpointConfigName)" if self.per_fleet else "blended endpoint"
        return (
            f"{what} on the {where}, {self.period} s periods, {self.datapoints} of "
            f"{self.periods}, missing data {self.treat_missing}"
        )


@dataclass(frozen=True)
class Space:
    """The structures to search (the cross product of these choices)."""

    forms: tuple[str, ...] = FORMS
    per_fleet: tuple[bool, ...] = (True, False)
    periods: tuple[int, ...] = (60, 300)
    m_of_n: tuple[tuple[int, int], ...] = ((1, 1), (2, 2), (2, 3), (3, 5))
    treat_missing: tuple[str, ...] = ("notBreaching", "missing")
    min_invocations: tuple[int, ...] = (20, 50)
    #: the ``excess`` form's periods (1 of 1: the window itself is the accumulation)
    excess_periods: tuple[int, ...] = (300, 600, 900)
    #: the ``excess`` form's weights w; None: :func:`sprt_weight` of the scenario's models
    excess_weights: tuple[float, ...] | None = None

    def structures(self, scenario: Scenario | None = None) -> list[Structure]:
        """Every structure of the space; ``scenario`` gives the ``excess`` form's weight when
        :attr:`excess_weights` is None (without either, that form is left out)."""
        out = []
        for form in self.forms:
            if form == "excess":
                weights = self.excess_weights
                if weights is None:
                    weights = () if scenario is None else (sprt_weight(scenario),)
                for per_fleet in self.per_fleet:
                    for period in self.excess_periods:
                        for tmd in self.treat_missing:
                            for w in weights:
                                out.append(Structure(form, per_fleet, period, 1, 1, tmd, 0, w))
                continue
            guards = self.min_invocations if form == "guarded-rate" else (0,)
            for per_fleet in self.per_fleet:
                for period in self.periods:
                    for m, n in self.m_of_n:
                        if period == 300 and n > 2:
                            continue  # N x 300 s would outlast any usual bake
                        for tmd in self.treat_missing:
                            for k in guards:
                                out.append(Structure(form, per_fleet, period, m, n, tmd, k))
        return out


def sprt_weight(scenario: Scenario) -> float:
    """The ``excess`` form's weight w for ``scenario``: with the old model failing a request
    with probability ``p0`` (``models.blue.error_rate_5xx``) and the new with ``p1 > p0``
    (``models.green``), a period's log likelihood ratio of ``p1`` against ``p0`` is
    ``errors * log(p1 (1 - p0) / (p0 (1 - p1))) - invocations * log((1 - p0) / (1 - p1))``,
    which is ``errors - w * invocations`` times a positive constant, with
    ``w = log((1 - p0) / (1 - p1)) / log(p1 (1 - p0) / (p0 (1 - p1)))`` (about 0.025 for 1 %
    against 5 %: between the two rates). When the new model is no worse than the old (its
    errors come from faults, or the scenario is healthy), the alternative is twice the old
    rate; with no errors on the old model, w is 0 (every error is evidence)."""
    p0 = float(scenario.models.blue.error_rate_5xx)
    p1 = float(scenario.models.green.error_rate_5xx)
    if p0 <= 0.0:
        return 0.0
    if not p0 < p1 < 1.0:
        p1 = min(2.0 * p0, (1.0 + p0) / 2.0)
    w = math.log((1.0 - p0) / (1.0 - p1)) / math.log(p1 * (1.0 - p0) / (p0 * (1.0 - p1)))
    return float(f"{w:.4g}")


#: A small space, for lint and quick looks: per-fleet, 1-minute periods.
SMALL_SPACE = Space(
    forms=("sum", "guarded-rate"),
    per_fleet=(True,),
    periods=(60,),
    m_of_n=((1, 1), (2, 3)),
    treat_missing=("notBreaching",),
    min_invocations=(20,),
)


def thresholds(structure: Structure, scenario: Scenario) -> tuple[float, ...]:
    """The threshold grid of a structure: error fractions for ``average`` and
    ``guarded-rate``; for ``sum``, whole error counts 0, 1, ... up to a fifth of the requests
    a period brings to the endpoint (at most 200); for ``excess``, 0 to the excess a period of
    the whole endpoint's traffic at the bad model's error rate would show,
    ``(p1 - w) * rate * period`` (at least 4), in steps of a quarter error (coarser, in
    quarters, when that would make more than 400 steps)."""
    rate = float(scenario.traffic.rate_per_second or 1.0)
    if structure.form == "excess":
        p1 = float(scenario.models.green.error_rate_5xx)
        p0 = float(scenario.models.blue.error_rate_5xx)
        bad = p1 if p1 > p0 else 2.0 * p0
        top = max(4.0, (bad - structure.weight) * rate * structure.period)
        step = 0.25 * max(1, math.ceil(top / 100.0))
        return tuple(round(step * i, 6) for i in range(math.ceil(top / step) + 1))
    if structure.form != "sum":
        return FRACTION_GRID
    top = max(4, math.ceil(0.2 * rate * structure.period))
    return tuple(float(t) for t in range(min(top, 200) + 1))


def _dimensions(scenario: Scenario, per_fleet: bool) -> list[dict[str, str]]:
    e = scenario.endpoint
    dims = [
        {"Name": "EndpointName", "Value": e.name},
        {"Name": "VariantName", "Value": e.green.variant.variant_name},
    ]
    if per_fleet:
        dims.append({"Name": "EndpointConfigName", "Value": e.green.name})
    return dims


def alarm_name(scenario: Scenario) -> str:
    return f"{scenario.endpoint.name}-designed-5XX"


def put_metric_alarm_kwargs(
    structure: Structure, threshold: float, scenario: Scenario, name: str | None = None
) -> dict[str, Any]:
    """The candidate as CloudWatch ``put_metric_alarm`` keyword arguments."""
    s = structure
    out: dict[str, Any] = {
        "AlarmName": name or alarm_name(scenario),
        "AlarmDescription": f"designed by guardsim: {s.describe()}",
        "ActionsEnabled": False,
    }
    dims = _dimensions(scenario, s.per_fleet)
    if s.expression is not None:

        def stat(metric_id: str, metric: str) -> dict[str, Any]:
            return {
                "Id": metric_id,
                "ReturnData": False,
                "MetricStat": {
                    "Metric": {"Namespace": NAMESPACE, "MetricName": metric, "Dimensions": dims},
                    "Period": s.period,
                    "Stat": "Sum",
                },
            }

        out["Metrics"] = [
            stat("errors", ERRORS),
            stat("invocations", "Invocations"),
            {
                "Id": "rate" if s.form == "guarded-rate" else "excess",
                "Expression": s.expression,
                "Label": "5XX error rate, 0 below the minimum sample"
                if s.form == "guarded-rate"
                else f"5XX errors in excess of {s.weight!r} per request",
                "ReturnData": True,
            },
        ]
    else:
        out.update(
            Namespace=NAMESPACE,
            MetricName=ERRORS,
            Statistic="Average" if s.form == "average" else "Sum",
            Dimensions=dims,
            Period=s.period,
        )
    out["EvaluationPeriods"] = s.periods
    out["DatapointsToAlarm"] = s.datapoints
    out["Threshold"] = threshold
    out["ComparisonOperator"] = "GreaterThanThreshold"
    out["TreatMissingData"] = s.treat_missing
    # the order put_metric_alarm documents is irrelevant; keep MetricAlarm.to_boto's
    return MetricAlarm.from_boto(out).to_boto()


def transplant_alarm(alarm: MetricAlarm, source: Scenario, target: Scenario) -> dict[str, Any]:
    """``alarm`` of ``source`` as ``put_metric_alarm`` keyword arguments for ``target``'s
    endpoint: its EndpointName, VariantName and EndpointConfigName dimensions (the source's
    new or old config) renamed to the target's, in single-metric and metric-math alarms."""
    se, te = source.endpoint, target.endpoint
    names = {
        ("EndpointName", se.name): te.name,
        ("VariantName", se.green.variant.variant_name): te.green.variant.variant_name,
        ("VariantName", se.blue.variant.variant_name): te.blue.variant.variant_name,
        ("EndpointConfigName", se.green.name): te.green.name,
        ("EndpointConfigName", se.blue.name): te.blue.name,
    }

    def rename(value: Any) -> Any:
        if isinstance(value, dict):
            if set(value) == {"Name", "Value"}:
                key = (value["Name"], value["Value"])
                return {"Name": value["Name"], "Value": names.get(key, value["Value"])}
            return {k: rename(v) for k, v in value.items()}
        if isinstance(value, list):
            return [rename(v) for v in value]
        return value

    out: dict[str, Any] = rename(alarm.to_boto())
    return out


def with_alarm(scenario: Scenario, kwargs: dict[str, Any]) -> Scenario:
    """``scenario`` with this alarm as its only alarm and only rollback alarm."""
    alarm = MetricAlarm.from_boto(kwargs)
    dc = dataclasses.replace(
        scenario.deployment_config, auto_rollback=AutoRollbackConfig((alarm.name,))
    )
    return dataclasses.replace(scenario, alarms=(alarm,), deployment_config=dc)


@dataclass(frozen=True)
class Evidence:
    """A candidate's Monte Carlo evidence: ``n`` runs of each model with seed ``seed``."""

    n: int
    seed: int
    mode: str
    detected: int
    false_rollbacks: int
    blast_radius_mean: float
    blast_radius_p95: float
    detection_time_mean: float | None  # over the runs that detected
    objective_detection_time: float  # mean, undetected runs counted as the whole deployment

    @property
    def catch_ci(self) -> tuple[float, float]:
        return wilson_interval(self.detected, self.n)

    @property
    def false_ci(self) -> tuple[float, float]:
        return wilson_interval(self.false_rollbacks, self.n)

    def to_data(self) -> dict[str, Any]:
        return {
            "n": self.n,
            "seed": self.seed,
            "mode": self.mode,
            "detection": {
                "count": self.detected,
                "p": self.detected / self.n,
                "ci95": list(self.catch_ci),
            },
            "false_rollback": {
                "count": self.false_rollbacks,
                "p": self.false_rollbacks / self.n,
                "ci95": list(self.false_ci),
            },
            "blast_radius": {"mean": self.blast_radius_mean, "p95": self.blast_radius_p95},
            "detection_seconds_mean": self.detection_time_mean,
        }


def _rollbacks(runs: Any) -> int:
    return int((~np.isnan(runs["detected_at_seconds"].to_numpy(dtype=float))).sum())


def evidence(
    scenario: Scenario,
    kwargs: dict[str, Any],
    n: int,
    seed: int,
    *,
    workers: int | None = 1,
    mode: str = "auto",
) -> Evidence:
    """The evidence of one alarm (``put_metric_alarm`` keyword arguments) on ``scenario``."""
    from guardsim.montecarlo.monte_carlo import monte_carlo

    bad_s = with_alarm(scenario, kwargs)
    bad = monte_carlo(bad_s, n, seed=seed, mode=mode, workers=workers)
    healthy = monte_carlo(healthy_scenario(bad_s), n, seed=seed, mode=mode, workers=workers)
    return _evidence(bad.runs, healthy.runs, n, seed, bad.mode)


def _evidence(bad: Any, healthy: Any, n: int, seed: int, mode: str) -> Evidence:
    detected_at = bad["detected_at_seconds"].to_numpy(dtype=float)
    blast = bad["green_errors"].to_numpy(dtype=float)
    hit = ~np.isnan(detected_at)
    duration = bad["deployment_seconds"].to_numpy(dtype=float)
    return Evidence(
        n=n,
        seed=seed,
        mode=mode,
        detected=int(hit.sum()),
        false_rollbacks=_rollbacks(healthy),
        blast_radius_mean=float(blast.mean()),
        blast_radius_p95=float(np.percentile(blast, 95)),
        detection_time_mean=float(detected_at[hit].mean()) if hit.any() else None,
        objective_detection_time=float(np.where(hit, detected_at, duration).mean()),
    )


@dataclass(frozen=True)
class Candidate:
    structure: Structure
    threshold: float
    kwargs: dict[str, Any]
    evidence: Evidence | None  # None: only the healthy model was run (see false_rollbacks)
    false_rollbacks: int
    n: int

    @property
    def false_high(self) -> float:
        return wilson_interval(self.false_rollbacks, self.n)[1]


@dataclass(frozen=True)
class Limits:
    max_false_rollback: float
    min_catch: float = 0.0
    objective: str = "blast-radius"
    #: True: the limits apply to the 95 % Wilson bounds (the default, ``guardsim design``);
    #: False: to the point estimates (lint's quick advice, with few runs)
    by_interval: bool = True

    def __post_init__(self) -> None:
        if not 0.0 < self.max_false_rollback < 1.0:
            raise ArgumentError(
                f"--max-false-rollback must be between 0 and 1, got {self.max_false_rollback!r}"
            )
        if not 0.0 <= self.min_catch < 1.0:
            raise ArgumentError(f"--min-catch must be in [0, 1), got {self.min_catch!r}")
        if self.objective not in OBJECTIVES:
            raise ArgumentError(
                f"--objective must be one of {', '.join(OBJECTIVES)}, got {self.objective!r}"
            )

    def false_bound(self, k: int, n: int) -> float:
        return wilson_interval(k, n)[1] if self.by_interval else k / n

    def catch_bound(self, k: int, n: int) -> float:
        return wilson_interval(k, n)[0] if self.by_interval else k / n

    def score(self, e: Evidence) -> float:
        if self.objective == "blast-radius":
            return e.blast_radius_mean
        return e.objective_detection_time


@dataclass(frozen=True)
class DesignResult:
    scenario: Scenario
    limits: Limits
    n: int
    seed: int
    winner: Candidate | None
    feasible: tuple[Candidate, ...]
    closest: Candidate | None  # when nothing is feasible: the lowest false-rollback bound
    why: str
    evaluated: int  # Monte Carlo runs made (each of n replications)
    structures: int


SearchProgress = Callable[[int, int, str], None]


class _Evaluator:
    """Monte Carlo runs of candidates, cached: every one with the same seed (CRN)."""

    def __init__(
        self, scenario: Scenario, n: int, seed: int, workers: int | None, mode: str = "auto"
    ) -> None:
        from guardsim.montecarlo.monte_carlo import monte_carlo

        self.monte_carlo = monte_carlo
        self.scenario = scenario
        self.healthy = healthy_scenario(scenario)
        self.n = n
        self.seed = seed
        self.workers = workers
        self.mode = mode
        self.runs = 0
        self._healthy: dict[tuple[Structure, float], Any] = {}
        self._bad: dict[tuple[Structure, float], Any] = {}

    def _mc(self, scenario: Scenario, kwargs: dict[str, Any]) -> Any:
        self.runs += 1
        return self.monte_carlo(
            with_alarm(scenario, kwargs),
            self.n,
            seed=self.seed,
            mode=self.mode,
            workers=self.workers,
        )

    def false_rollbacks(self, s: Structure, t: float) -> int:
        key = (s, t)
        if key not in self._healthy:
            kwargs = put_metric_alarm_kwargs(s, t, self.scenario)
            self._healthy[key] = self._mc(self.healthy, kwargs)
        return _rollbacks(self._healthy[key].runs)

    def candidate(self, s: Structure, t: float, with_bad: bool) -> Candidate:
        kwargs = put_metric_alarm_kwargs(s, t, self.scenario)
        false = self.false_rollbacks(s, t)
        ev = None
        if with_bad:
            key = (s, t)
            if key not in self._bad:
                self._bad[key] = self._mc(self.scenario, kwargs)
            bad = self._bad[key]
            ev = _evidence(bad.runs, self._healthy[key].runs, self.n, self.seed, bad.mode)
        return Candidate(s, t, kwargs, ev, false, self.n)


def design(
    scenario: Scenario,
    limits: Limits,
    n: int = 400,
    seed: int | None = None,
    *,
    space: Space | None = None,
    structures: Iterable[Structure] | None = None,
    workers: int | None = 1,
    progress: SearchProgress | None = None,
    stop_at_first: bool = False,
    mode: str = "auto",
) -> DesignResult:
    """Search ``space`` (default :class:`Space`) for the best alarm within ``limits``.

    ``structures``: search these instead; ``stop_at_first``: stop at the first alarm within
    the limits (a yes/no answer); ``mode``: the Monte Carlo mode (default ``auto``).
    """
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ArgumentError(f"the number of replications must be a whole number >= 1, got {n!r}")
    base = scenario.simulation.seed if seed is None else seed
    todo = list(structures) if structures is not None else (space or Space()).structures(scenario)
    ev = _Evaluator(scenario, n, base, workers, mode)
    feasible: list[Candidate] = []
    closest: Candidate | None = None
    missed_catch: list[Candidate] = []
    for index, s in enumerate(todo):
        if progress is not None:
            progress(index, len(todo), s.describe())
        grid = thresholds(s, scenario)
        lo, hi = 0, len(grid) - 1
        top = ev.candidate(s, grid[hi], with_bad=False)
        if limits.false_bound(top.false_rollbacks, n) > limits.max_false_rollback:
            if closest is None or top.false_high < closest.false_high:
                closest = top
            continue
        while lo < hi:  # the lowest index meeting the false-rollback limit
            mid = (lo + hi) // 2
            if limits.false_bound(ev.false_rollbacks(s, grid[mid]), n) <= limits.max_false_rollback:
                hi = mid
            else:
                lo = mid + 1
        c = ev.candidate(s, grid[lo], with_bad=True)
        assert c.evidence is not None
        if limits.catch_bound(c.evidence.detected, n) < limits.min_catch:
            missed_catch.append(c)
            continue
        feasible.append(c)
        if stop_at_first:
            break
    if progress is not None:
        progress(len(todo), len(todo), "done")
    feasible.sort(
        key=lambda c: (limits.score(c.evidence), c.false_rollbacks) if c.evidence else (0, 0)
    )
    winner = feasible[0] if feasible else None
    why = ""
    if winner is None:
        if missed_catch:
            best = max(missed_catch, key=lambda c: c.evidence.detected if c.evidence else 0)
            closest = best
            lo_catch = best.evidence.catch_ci[0] if best.evidence else 0.0
            why = (
                f"every alarm within the false-rollback limit catches too little: the best "
                f"catches the bad model with a lower bound of {100 * lo_catch:.1f}% "
                f"(--min-catch {100 * limits.min_catch:g}%)"
            )
        elif closest is not None:
            why = (
                f"no alarm keeps the false-rollback upper bound under "
                f"{100 * limits.max_false_rollback:g}%: the closest reaches "
                f"{100 * closest.false_high:.1f}% at {n} runs"
            )
        else:
            why = "the search space is empty"
    return DesignResult(
        scenario, limits, n, base, winner, tuple(feasible), closest, why, ev.runs, len(todo)
    )


__all__ = [
    "FORMS",
    "FRACTION_GRID",
    "OBJECTIVES",
    "SMALL_SPACE",
    "Candidate",
    "DesignResult",
    "Evidence",
    "Limits",
    "Space",
    "Structure",
    "design",
    "evidence",
    "put_metric_alarm_kwargs",
    "sprt_weight",
    "thresholds",
    "transplant_alarm",
    "with_alarm",
]
