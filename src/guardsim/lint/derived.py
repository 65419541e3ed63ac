"""Numbers that follow from the configuration alone, before any simulation.

Pure functions of the scenario; each is the arithmetic behind one kind of lint finding:

* **what an alarm watches** (:func:`alarm_facts`): the metric, statistic and fleets each rollback
  alarm reads, bound exactly as the simulator binds them (``EndpointName+VariantName``: both
  fleets, *blended*; ``+EndpointConfigName``: one fleet; anything else: no data);
* **dilution** (:func:`required_green_value`): on a blended metric with green share ``s`` and
  blue value ``b``, the blended average is ``s * g + (1 - s) * b``, so the green value must
  exceed ``(T - (1 - s) * b) / s`` for the alarm to trip; with ``b = 0`` that is ``T / s``;
* **detection latency** (:class:`DetectionLatency`): how long after a failure starts an alarm can
  roll a deployment back: ``Period x DatapointsToAlarm`` breaching datapoints, the metric publish
  delay, CloudWatch's once-a-minute evaluation and SageMaker's alarm poll, plus the wait for the
  first whole period after traffic moves;
* **traffic** (:func:`requests_per_period`): the requests a period of an alarm holds on the
  fleets it watches at a step's expected traffic (the rate at the step's expected time, times the
  period, times the watched share of traffic), and from it the chance that a period has any data
  at all (:func:`p_period_has_data`) and the percentile low-sample count (see
  aws-model.md#low-sample-percentiles);
* **timing** (:func:`step_timeline`, :func:`execution_estimate`): when each bake is expected to
  start (median provisioning of the slowest instance, mean activation) and how long the whole
  deployment takes against ``MaximumExecutionTimeoutInSeconds``.

Every expected value uses the scenario's own ``environment`` settings (publish delay, poll
interval, provisioning time); nothing here is a hidden constant.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from statistics import NormalDist
from typing import Any

from guardsim.cloudwatch.anomaly import evaluated_metrics
from guardsim.cloudwatch.binding import bind_source
from guardsim.cloudwatch.metric_math import compile_metrics
from guardsim.cloudwatch.statistics import (
    StatisticKind,
    low_sample_count_threshold,
    parse_statistic,
)
from guardsim.deployment.plan import Step
from guardsim.model import traffic as arrivals
from guardsim.model.latency import lognormal_params, moments_scalar, quantile_scalar
from guardsim.model.metrics import (
    ERROR_METRICS,
    INSTANCE_METRICS,
    INSTANCE_NAMESPACE,
    LATENCY_METRICS,
    METRICS,
    NAMESPACE,
)
from guardsim.model.setup_time import publishes
from guardsim.scenarios.boto import MetricAlarm, thaw
from guardsim.scenarios.distributions import Distribution, Fixed, LogNormal, Uniform
from guardsim.scenarios.models import Latency, ModelBehaviour
from guardsim.scenarios.scenario import Scenario
from guardsim.scenarios.traffic import read_replay

BLENDED = ("blue", "green")

#: Statistics whose value is one of the samples or an average of them: in the samples' unit and
#: range (over a 0/1 error metric, a fraction in [0, 1]; over ModelLatency, microseconds).
VALUE_KINDS = frozenset(
    {
        StatisticKind.AVERAGE,
        StatisticKind.MINIMUM,
        StatisticKind.MAXIMUM,
        StatisticKind.PERCENTILE,
        StatisticKind.TRIMMED_MEAN,
        StatisticKind.WINSORIZED_MEAN,
    }
)

_NORMAL = NormalDist()


# --------------------------------------------------------------------------- what alarms watch


@dataclass(frozen=True)
class MetricSource:
    """One metric an alarm reads and the fleets its dimensions select."""

    namespace: str | None
    metric: str
    statistic: str
    fleets: tuple[str, ...]  # ("blue", "green"): blended; ("green",); ("blue",); (): no data

    @property
    def blended(self) -> bool:
        return self.fleets == BLENDED

    @property
    def simulated(self) -> bool:
        """Whether guardsim publishes this metric at all (AWS/SageMaker invocation metrics, the
        /aws/sagemaker/Endpoints instance metrics, and a custom series a model publishes)."""
        if self.namespace == INSTANCE_NAMESPACE:
            return self.metric in INSTANCE_METRICS
        if self.namespace == NAMESPACE:
            return self.metric in METRICS
        return bool(self.fleets)  # bound only when a model publishes exactly this series

    @property
    def kind(self) -> StatisticKind:
        return parse_statistic(self.statistic).kind

    @property
    def percentile(self) -> float | None:
        return parse_statistic(self.statistic).percentile

    @property
    def is_fraction(self) -> bool:
        """A fraction of requests (0 to 1): a value statistic of a 0/1 error metric."""
        return self.metric in ERROR_METRICS and self.kind in VALUE_KINDS

    @property
    def is_latency(self) -> bool:
        """A latency in microseconds: a value statistic of ModelLatency or OverheadLatency."""
        return self.metric in LATENCY_METRICS and self.kind in VALUE_KINDS


@dataclass(frozen=True)
class AlarmFacts:
    """A rollback alarm as lint sees it: where it is, what it reads, how it decides."""

    index: int  # position in the scenario's ``alarms``
    alarm: MetricAlarm
    sources: tuple[MetricSource, ...]
    period: int

    @property
    def name(self) -> str:
        return self.alarm.name

    @property
    def path(self) -> str:
        return f"alarms[{self.index}]"

    @property
    def is_math(self) -> bool:
        return self.alarm.metrics is not None

    @property
    def single(self) -> MetricSource | None:
        """The one metric of a single-metric alarm (None for metric math)."""
        return None if self.is_math else self.sources[0]

    @property
    def datapoints(self) -> int:
        return self.alarm.effective_datapoints_to_alarm

    @property
    def evaluation_periods(self) -> int:
        return self.alarm.evaluation_periods

    @property
    def threshold(self) -> float:
        return self.alarm.threshold if self.alarm.threshold is not None else math.nan

    @property
    def operator(self) -> str:
        return self.alarm.comparison_operator

    @property
    def treat_missing_data(self) -> str:
        return self.alarm.effective_treat_missing_data

    @property
    def fleets(self) -> frozenset[str]:
        return frozenset(f for s in self.sources for f in s.fleets)

    @property
    def sees_nothing(self) -> bool:
        return not self.fleets

    def watched_share(self, green_fraction: float) -> float:
        """The share of the endpoint's traffic this alarm's metrics see."""
        return watched_share(tuple(sorted(self.fleets)), green_fraction)


def alarm_facts(scenario: Scenario) -> tuple[AlarmFacts, ...]:
    """The rollback alarms (AutoRollbackConfiguration order) with what each reads."""
    out = []
    setup = publishes(scenario.environment.model_setup_time)  # launched instances' samples
    for alarm in scenario.rollback_alarms:
        index = scenario.alarms.index(alarm)
        sources: list[MetricSource] = []
        if alarm.metrics is not None:
            program = compile_metrics(evaluated_metrics(thaw(alarm.metrics)))
            period = program.period
            for q in program.metric_stats.values():
                src = bind_source(
                    q.namespace,
                    q.metric_name,
                    dict(q.dimensions),
                    q.stat,
                    scenario.endpoint,
                    None,
                    scenario.models,
                    setup,
                )
                sources.append(MetricSource(q.namespace, q.metric_name, q.stat, src.fleets))
        else:
            stat = alarm.statistic_name
            assert stat is not None and alarm.metric_name is not None and alarm.period is not None
            period = alarm.period
            src = bind_source(
                alarm.namespace,
                alarm.metric_name,
                alarm.dimension_map(),
                stat,
                scenario.endpoint,
                None,
                scenario.models,
                setup,
            )
            sources.append(MetricSource(alarm.namespace, alarm.metric_name, stat, src.fleets))
        out.append(AlarmFacts(index, alarm, tuple(sources), period))
    return tuple(out)


def watched_share(fleets: tuple[str, ...], green_fraction: float) -> float:
    """Share of all requests that land on ``fleets`` when green carries ``green_fraction``."""
    share = 0.0
    if "green" in fleets:
        share += green_fraction
    if "blue" in fleets:
        share += 1.0 - green_fraction
    return share


def breaches(operator: str, value: float, threshold: float) -> bool:
    """CloudWatch's comparison: the statistic is the first operand (see
    aws-model.md#put-metric-alarm)."""
    if operator == "GreaterThanOrEqualToThreshold":
        return value >= threshold
    if operator == "GreaterThanThreshold":
        return value > threshold
    if operator == "LessThanThreshold":
        return value < threshold
    if operator == "LessThanOrEqualToThreshold":
        return value <= threshold
    return False


def fraction_can_breach(operator: str, threshold: float) -> bool:
    """Whether any value in [0, 1] (a fraction of requests) breaches."""
    return breaches(operator, 1.0, threshold) or breaches(operator, 0.0, threshold)


# --------------------------------------------------------------------------- models


def steady_fleet(scenario: Scenario, fleet: str = "blue") -> ModelBehaviour:
    """The fleet's model as the static rules read it: a recording-driven one
    (``models.blue.history``) at the recording's mean rates and latency
    (:func:`guardsim.model.history.steady_model`), so a rule never reads the unused
    ``error_rate_5xx`` of a model whose rates come from a recording."""
    from guardsim.model.history import steady_model

    return steady_model({"blue": scenario.models.blue, "green": scenario.models.green}, fleet)


def error_fraction(model: ModelBehaviour, metric: str) -> float:
    """The model's steady per-request error probability for a 0/1 error metric (no faults)."""
    if metric == "Invocation5XXErrors":
        return model.error_rate_5xx
    if metric == "Invocation4XXErrors":
        return model.error_rate_4xx
    if metric == "InvocationModelErrors":
        return min(1.0, model.error_rate_4xx + model.error_rate_5xx)
    return 0.0


def _latency(model: ModelBehaviour, metric: str) -> Latency:
    return model.overhead_latency if metric == "OverheadLatency" else model.latency


def latency_statistic_us(model: ModelBehaviour, metric: str, statistic: str) -> float | None:
    """The expected value of a latency statistic of ``model`` in microseconds (steady state,
    no faults or queueing): Average is the lognormal mean, pNN its quantile; else None."""
    lat = _latency(model, metric)
    mu, sigma = lognormal_params(float(lat.median_ms), float(lat.p99_ms))
    spec = parse_statistic(statistic)
    if spec.kind is StatisticKind.AVERAGE:
        return 1000.0 * moments_scalar(mu, sigma)[0]
    p = spec.percentile
    if p is not None and 0.0 < p < 1.0:
        return 1000.0 * quantile_scalar(p, mu, sigma)
    return None


def required_green_value(threshold: float, share: float, blue_value: float) -> float:
    """The green value a blended average needs to reach ``threshold`` at green share ``share``:
    ``s * g + (1 - s) * b >= T``  <=>  ``g >= (T - (1 - s) * b) / s``."""
    if share <= 0:
        return math.inf
    return (threshold - (1.0 - share) * blue_value) / share


# --------------------------------------------------------------------------- distributions


def quantile(dist: Distribution, q: float) -> float:
    """The ``q`` quantile of a scenario distribution."""
    if isinstance(dist, Fixed):
        return dist.value
    if isinstance(dist, Uniform):
        return dist.low + q * (dist.high - dist.low)
    assert isinstance(dist, LogNormal)
    q = min(max(q, 1e-12), 1 - 1e-12)
    return math.exp(dist.mu + dist.sigma * _NORMAL.inv_cdf(q))


def high_value(dist: Distribution) -> float:
    """A practical maximum: the value itself, the upper bound, or a lognormal's p99."""
    if isinstance(dist, Fixed):
        return dist.value
    if isinstance(dist, Uniform):
        return dist.high
    assert isinstance(dist, LogNormal)
    return dist.p99


def slowest_of(dist: Distribution, n: int, q: float) -> float:
    """The ``q`` quantile of the maximum of ``n`` independent draws (a fleet is ready when its
    slowest instance is): ``P(max <= x) = F(x)^n``, so it is ``F^-1(q^(1/n))``."""
    return quantile(dist, q ** (1.0 / max(n, 1)))


# --------------------------------------------------------------------------- detection latency


@dataclass(frozen=True)
class DetectionLatency:
    """How long after a failure starts (at a traffic shift) an alarm can roll back.

    ``expected`` = mean wait for the first whole period (Period / 2) + Period x DatapointsToAlarm
    + mean publish delay + mean wait for CloudWatch's next evaluation (interval / 2) + mean wait
    for SageMaker's next poll (poll / 2) + reaction delay. ``worst`` takes the full period, the
    practical maximum publish delay and full evaluation and poll intervals.
    """

    period: int
    datapoints: int
    publish_delay_mean: float
    publish_delay_high: float
    evaluation_interval: float
    poll_interval: float
    reaction: float

    @property
    def expected(self) -> float:
        return (
            self.period / 2
            + self.period * self.datapoints
            + self.publish_delay_mean
            + self.evaluation_interval / 2
            + self.poll_interval / 2
            + self.reaction
        )

    @property
    def worst(self) -> float:
        return (
            self.period
            + self.period * self.datapoints
            + self.publish_delay_high
            + self.evaluation_interval
            + self.poll_interval
            + self.reaction
        )

    def to_data(self) -> dict[str, Any]:
        return {
            "period_x_datapoints_to_alarm_s": self.period * self.datapoints,
            "publish_delay_mean_s": _r(self.publish_delay_mean),
            "evaluation_interval_s": self.evaluation_interval,
            "sagemaker_poll_interval_s": self.poll_interval,
            "expected_s": _r(self.expected),
            "worst_s": _r(self.worst),
        }


def detection_latency(facts: AlarmFacts, scenario: Scenario) -> DetectionLatency:
    env = scenario.environment
    return DetectionLatency(
        period=facts.period,
        datapoints=facts.datapoints,
        publish_delay_mean=env.metric_publish_delay_seconds.mean,
        publish_delay_high=high_value(env.metric_publish_delay_seconds),
        evaluation_interval=10.0 if facts.period < 60 else 60.0,
        poll_interval=env.alarm_poll_interval_seconds,
        reaction=env.alarm_reaction_seconds,
    )


# --------------------------------------------------------------------------- timing and traffic


@dataclass(frozen=True)
class StepTiming:
    """A step's expected bake window, in seconds after UpdateEndpoint."""

    step: Step
    bake_start: float
    bake_end: float

    @property
    def label(self) -> str:
        return step_label(self.step)

    @property
    def name(self) -> str:
        return step_name(self.step)


def step_label(step: Step) -> str:
    """``canary bake (33% on green)``, ``linear step 2 bake (67% on green)``, ``final bake ...``."""
    return f"{step_name(step)} ({100 * step.green_fraction:.0f}% on green)"


def step_name(step: Step) -> str:
    """``canary bake``, ``linear step 2 bake``, ``final bake``, ``batch 3 bake``."""
    name = {
        "canary": "canary bake",
        "linear": f"linear step {step.index + 1} bake",
        "final": "final bake",
        "all_at_once": "all-at-once bake",
        "rolling_batch": f"batch {step.index + 1} bake",
    }[step.kind]
    if step.kind == "all_at_once" and step.bake_kind == "TerminationWaitInSeconds":
        name = "final bake"
    return name


def step_timeline(scenario: Scenario, steps: tuple[Step, ...]) -> tuple[StepTiming, ...]:
    """Each step's expected bake window: median provisioning of the slowest instance, mean
    activation, the bakes themselves, and (rolling) the mean termination between batches."""
    env = scenario.environment
    act = env.activation_seconds.mean
    term = env.termination_seconds.mean
    out: list[StepTiming] = []
    if steps and steps[0].kind == "rolling_batch":
        t = 0.0
        for step in steps:
            t += slowest_of(env.provisioning_seconds, step.instances, 0.5) + act
            out.append(StepTiming(step, t, t + step.bake_seconds))
            t += step.bake_seconds + term
        return tuple(out)
    t = slowest_of(env.provisioning_seconds, scenario.endpoint.green.instance_count, 0.5)
    for step in steps:
        t += act
        out.append(StepTiming(step, t, t + step.bake_seconds))
        t += step.bake_seconds
    return tuple(out)


@cache
def _replay_counts(path: str) -> tuple[float, ...]:
    counts, _ = read_replay(Path(path))
    return counts


def _replay(scenario: Scenario) -> tuple[float, ...] | None:
    replay = scenario.traffic.replay_file
    if replay is None:
        return None
    counts = _replay_counts(replay)
    return counts or None


def rate_at(scenario: Scenario, t: float) -> float:
    """The mean request rate (per second) at ``t`` seconds after UpdateEndpoint
    (:func:`guardsim.model.traffic.rate`; 0 for an unreadable replay file)."""
    if scenario.traffic.replay_file is not None and _replay(scenario) is None:
        return 0.0
    return arrivals.rate_scalar(scenario.traffic, t, _replay(scenario))


def mean_rate(scenario: Scenario, t0: float, t1: float) -> float:
    """The mean request rate over [t0, t1] (the rate at t0 if t1 <= t0):
    :func:`guardsim.model.traffic.mean_rate`, the traffic every engine simulates."""
    if scenario.traffic.replay_file is not None and _replay(scenario) is None:
        return 0.0
    return arrivals.mean_rate(scenario.traffic, t0, t1, _replay(scenario))


def requests_per_period(
    scenario: Scenario, fleets: frozenset[str] | tuple[str, ...], timing: StepTiming, period: int
) -> float:
    """Expected requests in one ``period`` on ``fleets`` during a step's bake."""
    rate = mean_rate(scenario, timing.bake_start, timing.bake_end)
    return rate * period * watched_share(tuple(sorted(fleets)), timing.step.green_fraction)


def p_period_has_data(requests: float, arrivals: str) -> float:
    """The chance a period holds at least one request: Poisson arrivals ``1 - exp(-n)``;
    evenly spaced arrivals have a request in every period once ``n >= 1``."""
    if requests <= 0:
        return 0.0
    if arrivals == "uniform":
        return min(1.0, requests)
    return 1.0 - math.exp(-requests)


def p_at_least(k: int, n: int, p: float) -> float:
    """``P(X >= k)`` for ``X ~ Binomial(n, p)``."""
    if k <= 0:
        return 1.0
    return sum(math.comb(n, i) * p**i * (1 - p) ** (n - i) for i in range(k, n + 1))


def low_sample_count(statistic: str) -> float | None:
    """CloudWatch's low-sample count for a percentile (p99: 1000, p90: 100; see
    aws-model.md#low-sample-percentiles)."""
    return low_sample_count_threshold(statistic)


def period_for(samples: float, rate_on_fleets: float) -> int:
    """The smallest allowed alarm Period (a multiple of 60) that holds ``samples`` requests at
    ``rate_on_fleets`` requests per second."""
    if rate_on_fleets <= 0:
        return 3600
    seconds = samples / rate_on_fleets
    return max(60, 60 * math.ceil(seconds / 60.0))


# --------------------------------------------------------------------------- the timeout


@dataclass(frozen=True)
class ExecutionEstimate:
    """What counts toward ``MaximumExecutionTimeoutInSeconds``, at the median and the 95th
    percentile of provisioning (the other parts use their means)."""

    provisioning_median: float
    provisioning_p95: float
    activation: float
    bakes: float
    terminations: float

    @property
    def median(self) -> float:
        return self.provisioning_median + self.activation + self.bakes + self.terminations

    @property
    def p95(self) -> float:
        return self.provisioning_p95 + self.activation + self.bakes + self.terminations

    def to_data(self) -> dict[str, Any]:
        return {
            "provisioning_median_s": _r(self.provisioning_median),
            "provisioning_p95_s": _r(self.provisioning_p95),
            "activations_s": _r(self.activation),
            "bakes_s": _r(self.bakes),
            "terminations_between_batches_s": _r(self.terminations),
            "total_median_s": _r(self.median),
            "total_p95_s": _r(self.p95),
        }


def execution_estimate(scenario: Scenario, steps: tuple[Step, ...]) -> ExecutionEstimate:
    env = scenario.environment
    prov = env.provisioning_seconds
    act = env.activation_seconds.mean * len(steps)
    bakes = float(sum(s.bake_seconds for s in steps))
    rolling = bool(steps) and steps[0].kind == "rolling_batch"
    if rolling:
        med = sum(slowest_of(prov, s.instances, 0.5) for s in steps)
        p95 = sum(slowest_of(prov, s.instances, 0.95) for s in steps)
        terms = env.termination_seconds.mean * max(0, len(steps) - 1)
    else:
        n = scenario.endpoint.green.instance_count
        med = slowest_of(prov, n, 0.5)
        p95 = slowest_of(prov, n, 0.95)
        terms = 0.0
    if not env.timeout_includes_provisioning:
        med = p95 = 0.0
    return ExecutionEstimate(med, p95, act, bakes, terms)


# --------------------------------------------------------------------------- helpers


def _r(x: float, digits: int = 1) -> float:
    return round(float(x), digits)


def rounded(value: Any, digits: int = 4) -> Any:
    """Plain JSON data with every float rounded (stable, readable evidence)."""
    if isinstance(value, float):
        if math.isinf(value) or math.isnan(value):
            return None
        return round(value, digits)
    if isinstance(value, Mapping):
        return {str(k): rounded(v, digits) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [rounded(v, digits) for v in value]
    return value
