"""Hypothesis strategies that draw valid guardsim scenarios and their parts.

Each strategy draws plain data in the scenario-file format (the boto3 shapes for
``DeploymentConfig`` and ``put_metric_alarm``, guardsim's own sections for models, traffic,
environment and simulation); :func:`scenarios` draws loaded :class:`Scenario` objects. What they
draw always passes validation (:mod:`guardsim.scenarios.validation`): step sizes within the
documented limits for the drawn instance count, ``MaximumExecutionTimeoutInSeconds`` larger
than the sum of the bakes (computed with the drawn ``percent_rounding`` and
``all_at_once_bakes_wait_interval`` settings), ``DatapointsToAlarm <= EvaluationPeriods``,
allowed periods, rollback alarms that are defined, unique alarm names, and so on.

Runs stay cheap: 0.5-50 requests/s, a 300 s warm-up and 120 s cool-down, fixed or narrow
provisioning times, and bakes of 0-900 s.

Every part can be pinned with a keyword argument, as a value or as a strategy::

    scenarios(policy="CANARY", green_error_rate=st.just(1.0))
    scenario_dicts(instance_count=st.just(4), environment=environments(timeout_action="fail"))
    scenario_dicts(alarms=lambda names: st.lists(error_rate_alarm_kwargs(names), min_size=1,
                                                 max_size=1))

The building blocks are module-level strategies: Hypothesis validates every strategy object it
meets, so building new ones inside a draw would make generation several times slower.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any, TypeAlias, TypeVar, Union

try:
    from hypothesis import strategies as st
    from hypothesis.errors import InvalidArgument
except ImportError as exc:  # pragma: no cover - exercised with hypothesis hidden
    raise ImportError(
        "guardsim.testing's strategies need Hypothesis, which is a test extra of guardsim: "
        "pip install guardsim[test]"
    ) from exc

from guardsim.deployment.plan import plan_steps, total_wait_seconds
from guardsim.model.metrics import ERROR_METRICS, LATENCY_METRICS, METRICS
from guardsim.scenarios.boto import DeploymentConfig, PolicyKind, Rounding
from guardsim.scenarios.loading import check_scenario_dict
from guardsim.scenarios.scenario import Scenario
from guardsim.scenarios.validation import STATIC_OPERATORS

T = TypeVar("T")
Data = dict[str, Any]
#: A keyword argument that pins part of a draw: a value, a strategy, or None (not pinned).
Pin: TypeAlias = Union[T, st.SearchStrategy[T], None]  # noqa: UP007 - a generic alias

#: The four kinds of update policy (blue/green ALL_AT_ONCE, CANARY, LINEAR; rolling).
POLICY_KINDS: tuple[PolicyKind, ...] = ("ALL_AT_ONCE", "CANARY", "LINEAR", "ROLLING")
#: The values of PutMetricAlarm's TreatMissingData.
TREAT_MISSING_DATA = ("breaching", "notBreaching", "ignore", "missing")
#: Which fleets an alarm's dimensions select: EndpointName+VariantName (both fleets, blended),
#: or with the EndpointConfigName of the blue or the green config.
DIMENSION_SETS = ("blended", "blue", "green")

#: Size limits per policy, in percent of the variant's instances (see aws-model.md#size-limits).
_SIZE_LIMITS = {"CANARY": (0.0, 50.0), "LINEAR": (10.0, 50.0), "ROLLING": (5.0, 50.0)}
_MAX_TIMEOUT = 28800


def _round(x: float) -> float:
    """Floats with a few decimals: scenario files stay readable."""
    return round(x, 3)


def _floats(low: float, high: float) -> st.SearchStrategy[float]:
    return st.floats(low, high, allow_nan=False, allow_infinity=False).map(_round)


def _pick(draw: st.DrawFn, value: Pin[T], default: st.SearchStrategy[T]) -> T:
    """A keyword argument's value: drawn from it if it is a strategy, from ``default`` if it is
    None, else the value itself."""
    if value is None:
        return draw(default)
    if isinstance(value, st.SearchStrategy):
        strategy: st.SearchStrategy[T] = value
        return draw(strategy)
    return value


_UNIT = st.floats(0.0, 1.0, allow_nan=False)
_BOOLS = st.booleans()
#: Bakes: mostly round values, kept short (0-900 s) so runs stay cheap.
_BAKES = st.one_of(st.sampled_from([0, 60, 120, 180, 300, 600]), st.integers(0, 900))
_MAYBE_BAKE = st.one_of(st.none(), _BAKES)
_EXTRA_TIMEOUT = st.one_of(st.just(0), st.integers(0, 3600))
_POLICIES = st.sampled_from(POLICY_KINDS)
_ALL_AT_ONCE = st.just("ALL_AT_ONCE")
_MODES = st.sampled_from(["exact", "fast"])
_INSTANCE_TYPES = st.sampled_from(("ml.m5.large", "ml.m5.xlarge", "ml.c5.xlarge", "ml.g4dn.xlarge"))
_NAME_BASES = st.builds(
    lambda word, k: f"{word}{k}" if k else word,
    st.sampled_from(["shop-ranker", "fraud-scorer", "recs", "churn", "demo", "Pricing", "x"]),
    st.integers(0, 99),
)
_VARIANTS = st.sampled_from(["AllTraffic", "Primary", "v1"])
_VERSION_PAIRS = st.lists(st.integers(1, 99), min_size=2, max_size=2, unique=True)
_DIMENSION_SETS = st.sampled_from(DIMENSION_SETS)
_METRICS = st.sampled_from(METRICS)
_BASIC_STATISTICS = st.sampled_from(("Average", "Sum", "SampleCount", "Minimum", "Maximum"))
_PERCENTILES = st.one_of(
    st.sampled_from(("p50", "p90", "p95", "p99", "p99.9")),
    st.integers(1, 99).map(lambda p: f"p{p}"),
)
_LOW_SAMPLE = st.one_of(st.none(), st.sampled_from(["evaluate", "ignore"]))
_SINGLE_PERIODS = st.sampled_from((10, 20, 30, 60, 60, 60, 120, 300))
_MATH_PERIODS = st.sampled_from((60, 60, 120, 300))
_EVALUATION_PERIODS = st.integers(1, 5)
_UP_TO = {n: st.integers(1, n) for n in range(1, 11)}
_INDEX = {n: st.integers(0, n - 1) for n in range(1, 11)}
_ONE_IN = {n: st.integers(0, n - 1) for n in (4, 5)}
_OPERATORS = st.sampled_from(STATIC_OPERATORS)
_TREAT_MISSING = st.one_of(st.none(), st.sampled_from(TREAT_MISSING_DATA))
_ERROR_METRICS = st.sampled_from(
    ("Invocation5XXErrors", "Invocation4XXErrors", "InvocationModelErrors")
)
_MATH_IDS = st.sampled_from([("errors", "invocations"), ("e", "n"), ("m1", "m2")])
_PERMUTATIONS = {2: st.permutations(range(2)), 3: st.permutations(range(3))}
#: Thresholds in each metric's own units: microseconds for latency (below 1000 would warn that
#: it looks like milliseconds), a count for SampleCount and for the Sum of the other metrics, a
#: fraction for the Average (or a percentile) of a 0/1 error metric (>= 1 would warn, see
#: aws-model.md#alarm-guidance),
#: and about 1 for Invocations (always 1) and InvocationsPerInstance (1 / active instances).
_THRESHOLDS = {
    "count": _floats(1.0, 5000.0),
    "fraction": _floats(0.001, 0.999),
    "microseconds": _floats(1000.0, 500000.0),
    "other": _floats(0.05, 2.0),
}
_ERROR_FRACTIONS = _floats(0.001, 0.99)


# --------------------------------------------------------------------------- endpoint


@dataclass(frozen=True)
class EndpointNames:
    """The names an alarm's dimensions refer to."""

    endpoint: str
    variant: str
    blue_config: str
    green_config: str


@st.composite
def endpoint_names(draw: st.DrawFn, /) -> EndpointNames:
    """An endpoint name, a variant name, and two distinct endpoint-config names."""
    base = draw(_NAME_BASES)
    blue, green = draw(_VERSION_PAIRS)
    return EndpointNames(base, draw(_VARIANTS), f"{base}-v{blue}", f"{base}-v{green}")


def _endpoint_config(name: str, variant: str, instance_type: str, count: int) -> Data:
    return {
        "EndpointConfigName": name,
        "ProductionVariants": [
            {"VariantName": variant, "InstanceType": instance_type, "InitialInstanceCount": count}
        ],
    }


# --------------------------------------------------------------------------- DeploymentConfig


@cache
def _capacity_sizes(n: int, policy: str) -> st.SearchStrategy[Data]:
    """A valid CanarySize / LinearStepSize / MaximumBatchSize for a variant of ``n >= 2``:
    within the policy's percent limits, computed exactly as validation computes them."""
    low, high = _SIZE_LIMITS[policy]
    options: list[st.SearchStrategy[Data]] = [
        st.integers(max(1, int(low)), int(high)).map(
            lambda v: {"Type": "CAPACITY_PERCENT", "Value": v}
        )
    ]
    counts = [v for v in range(1, n + 1) if low <= 100.0 * v / n <= high]
    if counts:
        options.insert(
            0, st.sampled_from(counts).map(lambda v: {"Type": "INSTANCE_COUNT", "Value": v})
        )
    return st.one_of(options)


@cache
def _rollback_sizes(n: int) -> st.SearchStrategy[Data | None]:
    return st.one_of(
        st.none(),
        st.integers(1, n).map(lambda v: {"Type": "INSTANCE_COUNT", "Value": v}),
        st.integers(1, 100).map(lambda v: {"Type": "CAPACITY_PERCENT", "Value": v}),
    )


@st.composite
def deployment_configs(
    draw: st.DrawFn,
    /,
    instance_count: int,
    *,
    policy: Pin[PolicyKind] = None,
    alarm_names: Sequence[str] = ("guardsim-alarm",),
    percent_rounding: Rounding = "ceil",
    all_at_once_bakes_wait_interval: bool = False,
    wait_seconds: st.SearchStrategy[int] | None = None,
    termination_wait_seconds: st.SearchStrategy[int | None] | None = None,
    timeout: st.SearchStrategy[bool] | None = None,
) -> Data:
    """A valid ``DeploymentConfig`` for a green fleet of ``instance_count`` instances.

    ``policy`` pins the kind (ALL_AT_ONCE, CANARY, LINEAR or ROLLING; the last three need at
    least 2 instances). ALL_AT_ONCE is drawn both as an explicit BlueGreenUpdatePolicy and as no
    update policy at all (SageMaker's default). ``alarm_names`` become the
    AutoRollbackConfiguration (left out when empty). ``percent_rounding`` and
    ``all_at_once_bakes_wait_interval`` are the scenario's environment settings: they decide the
    step plan, and so the smallest valid ``MaximumExecutionTimeoutInSeconds``. ``wait_seconds``
    and ``termination_wait_seconds`` pin the bakes; ``timeout`` whether a timeout is set. Half
    the timeouts drawn are that smallest value, so provisioning and activation often push a
    run past it: the timeout paths (rollback or Failed) get exercised.
    """
    return _deployment_config(
        draw,
        instance_count,
        policy=policy,
        alarm_names=alarm_names,
        percent_rounding=percent_rounding,
        all_at_once_bakes_wait_interval=all_at_once_bakes_wait_interval,
        wait_seconds=wait_seconds,
        termination_wait_seconds=termination_wait_seconds,
        timeout=timeout,
    )


# The draws themselves are plain functions of ``draw``, so that scenario_dicts can call them
# without building a new strategy object per example (Hypothesis validates each new one).


def _deployment_config(
    draw: st.DrawFn,
    n: int,
    *,
    policy: Pin[PolicyKind],
    alarm_names: Sequence[str],
    percent_rounding: Rounding,
    all_at_once_bakes_wait_interval: bool,
    wait_seconds: st.SearchStrategy[int] | None = None,
    termination_wait_seconds: st.SearchStrategy[int | None] | None = None,
    timeout: st.SearchStrategy[bool] | None = None,
) -> Data:
    kind = _pick(draw, policy, _POLICIES if n >= 2 else _ALL_AT_ONCE)
    if kind not in POLICY_KINDS:
        raise InvalidArgument(f"policy must be one of {', '.join(POLICY_KINDS)}, got {kind!r}")
    if kind != "ALL_AT_ONCE" and n < 2:
        raise InvalidArgument(f"a {kind} update needs at least 2 instances, got {n}")
    if len(alarm_names) > 10:
        raise InvalidArgument("AutoRollbackConfiguration takes at most 10 alarms")
    wait = draw(wait_seconds if wait_seconds is not None else _BAKES)
    config: Data = {}
    policy_section: Data | None
    if kind == "ROLLING":
        policy_section = {
            "MaximumBatchSize": draw(_capacity_sizes(n, kind)),
            "WaitIntervalInSeconds": wait,
        }
        rollback_size = draw(_rollback_sizes(n))
        if rollback_size is not None:
            policy_section["RollbackMaximumBatchSize"] = rollback_size
        config["RollingUpdatePolicy"] = policy_section
    elif kind == "ALL_AT_ONCE" and draw(_ONE_IN[5]) == 0:
        # no update policy: blue/green ALL_AT_ONCE, no bake (see aws-model.md#deployment-config)
        policy_section = None
    else:
        routing: Data = {"Type": kind, "WaitIntervalInSeconds": wait}
        if kind == "CANARY":
            routing["CanarySize"] = draw(_capacity_sizes(n, kind))
        elif kind == "LINEAR":
            routing["LinearStepSize"] = draw(_capacity_sizes(n, kind))
        policy_section = {"TrafficRoutingConfiguration": routing}
        final = draw(
            termination_wait_seconds if termination_wait_seconds is not None else _MAYBE_BAKE
        )
        if final is not None:
            policy_section["TerminationWaitInSeconds"] = final
        config["BlueGreenUpdatePolicy"] = policy_section
    if alarm_names:
        config["AutoRollbackConfiguration"] = {
            "Alarms": [{"AlarmName": name} for name in alarm_names]
        }
    if policy_section is not None and draw(timeout if timeout is not None else _BOOLS):
        steps = plan_steps(
            DeploymentConfig.from_boto(config),
            n,
            percent_rounding,
            all_at_once_bakes_wait_interval=all_at_once_bakes_wait_interval,
        )
        total = total_wait_seconds(steps)
        # "should be larger than" the total wait (see aws-model.md#deployment-config), and 600-28800
        # (botocore).
        if total < _MAX_TIMEOUT:
            low = max(600, total + 1)
            policy_section["MaximumExecutionTimeoutInSeconds"] = min(
                _MAX_TIMEOUT, low + draw(_EXTRA_TIMEOUT)
            )
    return config


# --------------------------------------------------------------------------- alarms


def _dimensions(draw: st.DrawFn, names: EndpointNames, dimension_set: str) -> list[Data]:
    """The dimensions of ``dimension_set``, in any order."""
    dims = [
        {"Name": "EndpointName", "Value": names.endpoint},
        {"Name": "VariantName", "Value": names.variant},
    ]
    if dimension_set == "blue":
        dims.append({"Name": "EndpointConfigName", "Value": names.blue_config})
    elif dimension_set == "green":
        dims.append({"Name": "EndpointConfigName", "Value": names.green_config})
    elif dimension_set != "blended":
        raise InvalidArgument(
            f"dimension_set must be one of {', '.join(DIMENSION_SETS)}, got {dimension_set!r}"
        )
    return [dims[i] for i in draw(_PERMUTATIONS[len(dims)])]


def _threshold_kind(metric: str, statistic: str) -> str:
    if statistic == "SampleCount":
        return "count"
    if metric in LATENCY_METRICS:
        return "microseconds"
    if statistic == "Sum":
        return "count"
    if metric in ERROR_METRICS:
        return "fraction"
    return "other"


def _evaluation(draw: st.DrawFn, n: int) -> Data:
    """EvaluationPeriods and maybe DatapointsToAlarm (M <= N)."""
    out: Data = {"EvaluationPeriods": n}
    if draw(_BOOLS):
        out["DatapointsToAlarm"] = draw(_UP_TO[n])
    return out


@st.composite
def single_metric_alarm_kwargs(
    draw: st.DrawFn,
    /,
    names: EndpointNames,
    *,
    name: str = "guardsim-alarm",
    dimension_set: Pin[str] = None,
    metric: Pin[str] = None,
    treat_missing_data: Pin[str] = None,
) -> Data:
    """``put_metric_alarm`` kwargs of one AWS/SageMaker metric, on the blended dimension set or
    per config, with a Statistic or a pNN ExtendedStatistic, any static operator, M <= N, and
    a Period of 10, 20, 30, 60, 120 or 300 s."""
    return _single_metric_alarm(draw, names, name, dimension_set, metric, treat_missing_data)


def _single_metric_alarm(
    draw: st.DrawFn,
    names: EndpointNames,
    name: str,
    dimension_set: Pin[str] = None,
    metric: Pin[str] = None,
    treat_missing_data: Pin[str] = None,
) -> Data:
    dims = _dimensions(draw, names, _pick(draw, dimension_set, _DIMENSION_SETS))
    metric_name = _pick(draw, metric, _METRICS)
    out: Data = {
        "AlarmName": name,
        "Namespace": "AWS/SageMaker",
        "MetricName": metric_name,
        "Dimensions": dims,
    }
    if draw(_BOOLS):
        statistic = draw(_BASIC_STATISTICS)
        out["Statistic"] = statistic
    else:
        statistic = draw(_PERCENTILES)
        out["ExtendedStatistic"] = statistic
        low_sample = draw(_LOW_SAMPLE)
        if low_sample is not None:
            out["EvaluateLowSampleCountPercentile"] = low_sample
    out["Period"] = draw(_SINGLE_PERIODS)
    out.update(_evaluation(draw, draw(_EVALUATION_PERIODS)))
    out["Threshold"] = draw(_THRESHOLDS[_threshold_kind(metric_name, statistic)])
    out["ComparisonOperator"] = draw(_OPERATORS)
    tmd = _pick(draw, treat_missing_data, _TREAT_MISSING)
    if tmd is not None:
        out["TreatMissingData"] = tmd
    if draw(_BOOLS):
        out["ActionsEnabled"] = False
    return out


@st.composite
def error_rate_alarm_kwargs(
    draw: st.DrawFn,
    /,
    names: EndpointNames,
    *,
    name: str = "guardsim-error-rate",
    dimension_set: Pin[str] = None,
    treat_missing_data: Pin[str] = None,
) -> Data:
    """A metric-math alarm on an error rate: ``[100 *] errors / invocations`` of one fleet or
    of both (see aws-model.md#metric-math), from the ``Sum`` of an error metric and of
    ``Invocations``."""
    return _error_rate_alarm(draw, names, name, dimension_set, treat_missing_data)


def _error_rate_alarm(
    draw: st.DrawFn,
    names: EndpointNames,
    name: str,
    dimension_set: Pin[str] = None,
    treat_missing_data: Pin[str] = None,
) -> Data:
    dims = _dimensions(draw, names, _pick(draw, dimension_set, _DIMENSION_SETS))
    errors_id, calls_id = draw(_MATH_IDS)
    period = draw(_MATH_PERIODS)
    percent = draw(_BOOLS)

    def stat(query_id: str, metric: str) -> Data:
        return {
            "Id": query_id,
            "ReturnData": False,
            "MetricStat": {
                "Metric": {"Namespace": "AWS/SageMaker", "MetricName": metric, "Dimensions": dims},
                "Period": period,
                "Stat": "Sum",
            },
        }

    expression: Data = {
        "Id": "rate",
        "Expression": f"100 * {errors_id} / {calls_id}" if percent else f"{errors_id} / {calls_id}",
        "Label": "error rate",
    }
    if draw(_BOOLS):
        expression["ReturnData"] = True  # left out, it defaults to true
    out: Data = {
        "AlarmName": name,
        "Metrics": [
            stat(errors_id, draw(_ERROR_METRICS)),
            stat(calls_id, "Invocations"),
            expression,
        ],
    }
    out.update(_evaluation(draw, draw(_EVALUATION_PERIODS)))
    fraction = draw(_ERROR_FRACTIONS)
    out["Threshold"] = _round(100 * fraction) if percent else fraction
    out["ComparisonOperator"] = draw(_OPERATORS)
    tmd = _pick(draw, treat_missing_data, _TREAT_MISSING)
    if tmd is not None:
        out["TreatMissingData"] = tmd
    return out


def alarm_kwargs(
    names: EndpointNames,
    *,
    name: str = "guardsim-alarm",
    metric_math: bool | None = None,
    dimension_set: Pin[str] = None,
    treat_missing_data: Pin[str] = None,
) -> st.SearchStrategy[Data]:
    """Any alarm guardsim simulates: single-metric (two times in three) or a metric-math error
    rate; ``metric_math`` pins which."""
    single = single_metric_alarm_kwargs(
        names, name=name, dimension_set=dimension_set, treat_missing_data=treat_missing_data
    )
    math = error_rate_alarm_kwargs(
        names, name=name, dimension_set=dimension_set, treat_missing_data=treat_missing_data
    )
    if metric_math is None:
        return st.one_of(single, single, math)
    return math if metric_math else single


# --------------------------------------------------------------------------- models

_RATE_5XX = st.one_of(st.just(0.0), _floats(0.0, 0.3), st.just(1.0))
_FAULT_KINDS = st.sampled_from(["errors", "latency", "load_errors", "warmup"])
_ONSETS = st.integers(0, 1200)
_FAULT_LENGTHS = st.one_of(st.none(), st.integers(60, 1200))
_MULTIPLIERS = _floats(0.5, 10.0)
_ADD_MS = st.one_of(st.just(0.0), _floats(0.0, 200.0))
_UTILISATIONS = _floats(0.0, 1.5)
_WARMUPS = st.integers(1, 300)
_WARM_MULTIPLIERS = _floats(1.0, 5.0)
_MEDIANS = _floats(1.0, 100.0)
_OVERHEAD_MEDIANS = _floats(0.5, 5.0)
_TAILS = _floats(1.0, 5.0)
_CAPACITIES = st.one_of(st.none(), _floats(5.0, 200.0))


def _error_rates(draw: st.DrawFn, rate_5xx: float | None = None) -> tuple[float, float]:
    """(5XX, 4XX) probabilities with a sum of at most 1; the 4XX rate is mostly 0."""
    if rate_5xx is None:
        rate_5xx = draw(_RATE_5XX)
    rate_4xx = 0.0
    if draw(_BOOLS):
        rate_4xx = _round(draw(_UNIT) * min(0.3, 1.0 - rate_5xx))
    return rate_5xx, min(rate_4xx, 1.0 - rate_5xx)


@st.composite
def faults(draw: st.DrawFn, /) -> Data:
    """One fault of any kind: errors, latency, load_errors or warmup (models.py)."""
    kind = draw(_FAULT_KINDS)
    out: Data = {"kind": kind}
    if kind in ("errors", "load_errors", "warmup"):
        out["rate_5xx"], out["rate_4xx"] = _error_rates(draw)
    if kind in ("errors", "latency"):
        after = float(draw(_ONSETS))
        out["after_seconds"] = after
        length = draw(_FAULT_LENGTHS)
        if length is not None:
            out["until_seconds"] = after + length
    if kind == "latency":
        out["multiplier"] = draw(_MULTIPLIERS)
        out["add_ms"] = draw(_ADD_MS)
    elif kind == "load_errors":
        out["above_utilization"] = draw(_UTILISATIONS)
    elif kind == "warmup":
        out["duration_seconds"] = float(draw(_WARMUPS))
        out["latency_multiplier"] = draw(_WARM_MULTIPLIERS)
    return out


_FAULT_LISTS = st.lists(faults(), max_size=2)


def _latency(draw: st.DrawFn, medians: st.SearchStrategy[float]) -> Data:
    median = draw(medians)
    return {"median_ms": median, "p99_ms": _round(median * draw(_TAILS))}


@st.composite
def model_behaviours(
    draw: st.DrawFn,
    /,
    *,
    error_rate_5xx: Pin[float] = None,
    fault_lists: st.SearchStrategy[list[Data]] | None = None,
) -> Data:
    """A model: lognormal latency (median 1-100 ms), 4XX/5XX rates (``error_rate_5xx`` pins
    the 5XX one), maybe an overhead latency and a capacity, and up to two faults."""
    pinned = None if error_rate_5xx is None else _pick(draw, error_rate_5xx, _RATE_5XX)
    rate_5xx, rate_4xx = _error_rates(draw, pinned)
    out: Data = {
        "latency": _latency(draw, _MEDIANS),
        "error_rate_5xx": rate_5xx,
        "error_rate_4xx": rate_4xx,
    }
    if draw(_BOOLS):
        out["overhead_latency"] = _latency(draw, _OVERHEAD_MEDIANS)
    capacity = draw(_CAPACITIES)
    if capacity is not None:
        out["capacity_rps_per_instance"] = capacity
    out["faults"] = draw(fault_lists if fault_lists is not None else _FAULT_LISTS)
    return out


# --------------------------------------------------------------------------- traffic, settings

_RATES = _floats(0.5, 50.0)
_ARRIVALS = st.sampled_from(["poisson", "uniform"])
_BURST_LISTS = st.lists(
    st.fixed_dictionaries(
        {
            "at_seconds": st.integers(0, 1800).map(float),
            "duration_seconds": st.integers(10, 600).map(float),
            "multiplier": _floats(0.0, 5.0),
        }
    ),
    max_size=2,
)
_HOURS = _floats(0.0, 24.0)


@st.composite
def traffic_models(draw: st.DrawFn, /, *, rate_per_second: Pin[float] = None) -> Data:
    """Request arrivals at 0.5-50 requests/s: Poisson or uniform, constant or (one time in
    four) daily, with up to two bursts (no replay files)."""
    out: Data = {
        "rate_per_second": _pick(draw, rate_per_second, _RATES),
        "arrivals": draw(_ARRIVALS),
    }
    if draw(_ONE_IN[4]) == 0:
        out["profile"] = "daily"
        out["daily_amplitude"] = _round(draw(_UNIT))
        out["start_hour"] = draw(_HOURS)
    bursts = draw(_BURST_LISTS)
    if bursts:
        out["bursts"] = bursts
    return out


def _fixed(values: st.SearchStrategy[int]) -> st.SearchStrategy[Data]:
    return values.map(lambda v: {"kind": "fixed", "value": float(v)})


def _narrow(low: int, high: int, spread: int) -> st.SearchStrategy[Data]:
    """A narrow uniform or lognormal distribution between ``low`` and ``high + spread``."""
    starts = st.integers(low, high)
    widths = st.integers(0, spread)
    uniform = st.builds(
        lambda a, w: {"kind": "uniform", "low": float(a), "high": float(a + w)}, starts, widths
    )
    lognormal = st.builds(
        lambda a, w: {"kind": "lognormal", "median": float(max(a, 1)), "p99": float(max(a, 1) + w)},
        starts,
        widths,
    )
    return st.one_of(uniform, lognormal)


_ENVIRONMENT_FIELDS: dict[str, st.SearchStrategy[Any]] = {
    "provisioning_seconds": st.one_of(_fixed(st.integers(60, 600)), _narrow(60, 600, 60)),
    "activation_seconds": _fixed(st.integers(0, 30)),
    "termination_seconds": _fixed(st.integers(0, 120)),
    "rollback_seconds": st.one_of(_fixed(st.integers(0, 60)), _narrow(1, 60, 30)),
    "metric_publish_delay_seconds": st.one_of(_fixed(st.integers(0, 120)), _narrow(0, 120, 60)),
    "evaluation_range_extra_periods": st.integers(0, 3),
    "premature_alarm_reading": st.sampled_from(["newer", "whole-window"]),
    "low_sample_scope": st.sampled_from(["newest", "any"]),
    "alarm_evaluation_offset_seconds": st.one_of(st.just(0.0), _floats(0.0, 59.0)),
    "alarm_poll_interval_seconds": st.sampled_from([10.0, 30.0, 30.0, 60.0, 120.0]),
    "alarm_reaction_seconds": st.sampled_from([0.0, 0.0, 5.0, 30.0]),
    "trip_on_insufficient_data": _BOOLS,
    "trip_if_in_alarm_at_bake_start": _BOOLS,
    "watch_alarms_outside_bakes": _BOOLS,
    "percent_rounding": st.sampled_from(["ceil", "round_half_up", "floor"]),
    "all_at_once_bakes_wait_interval": _BOOLS,
    "timeout_action": st.sampled_from(["rollback", "fail"]),
    "timeout_includes_provisioning": _BOOLS,
    "per_config_metrics_for_blue": _BOOLS,
}


@st.composite
def environments(draw: st.DrawFn, /, **overrides: Any) -> Data:
    """Every ``environment`` setting, drawn; keyword arguments pin settings (a value or a
    strategy). Durations are fixed or narrow, so runs are cheap and timelines readable."""
    out: Data = {}
    for key, default in _ENVIRONMENT_FIELDS.items():
        out[key] = _pick(draw, overrides.get(key), default)
    for key, value in overrides.items():
        if key not in out:  # any other Environment field, as given
            out[key] = draw(value) if isinstance(value, st.SearchStrategy) else value
    return out


_SEEDS = st.integers(0, 2**32 - 1)


@st.composite
def simulations(draw: st.DrawFn, /, *, seed: Pin[int] = None, mode: Pin[str] = None) -> Data:
    """A seed, a 300 s warm-up and a 120 s cool-down (enough to publish the last minute); the
    mode (exact or fast) is left to its default unless pinned."""
    out: Data = {
        "seed": _pick(draw, seed, _SEEDS),
        "warmup_seconds": 300.0,
        "cooldown_seconds": 120.0,
    }
    if mode is not None:
        out["mode"] = _pick(draw, mode, _MODES)
    return out


# --------------------------------------------------------------------------- scenarios


AlarmsFor = Callable[[EndpointNames], st.SearchStrategy[list[Data]]]
_DEFAULT_NAMES = endpoint_names()
_DEFAULT_ENVIRONMENT = environments()
_DEFAULT_MODEL = model_behaviours()
_DEFAULT_TRAFFIC = traffic_models()
_DEFAULT_SIMULATION = simulations()
_ALARM_COUNTS = st.integers(1, 3)
_ALARM_KINDS = st.sampled_from(["single", "single", "math"])
_COUNTS = {kind: st.integers(1 if kind == "ALL_AT_ONCE" else 2, 6) for kind in POLICY_KINDS}


def _alarm_list(draw: st.DrawFn, names: EndpointNames) -> list[Data]:
    """1-3 alarms, two in three single-metric."""
    out = []
    for i in range(draw(_ALARM_COUNTS)):
        make = _single_metric_alarm if draw(_ALARM_KINDS) == "single" else _error_rate_alarm
        out.append(make(draw, names, f"{names.endpoint}-alarm-{i}"))
    return out


@st.composite
def scenario_dicts(
    draw: st.DrawFn,
    /,
    *,
    policy: Pin[PolicyKind] = None,
    instance_count: Pin[int] = None,
    blue_instance_count: Pin[int] = None,
    names: Pin[EndpointNames] = None,
    alarms: AlarmsFor | None = None,
    rollback_alarms: Callable[[Sequence[str]], st.SearchStrategy[list[str]]] | None = None,
    blue_model: st.SearchStrategy[Data] | None = None,
    green_model: st.SearchStrategy[Data] | None = None,
    green_error_rate: Pin[float] = None,
    traffic: st.SearchStrategy[Data] | None = None,
    environment: st.SearchStrategy[Data] | None = None,
    simulation: st.SearchStrategy[Data] | None = None,
    seed: Pin[int] = None,
    **deployment: Any,
) -> Data:
    """A whole valid scenario as plain data (what ``scenario_from_dict`` takes).

    * ``policy``: the update policy kind; ``instance_count``: the green fleet's size (1-6;
      2-6 unless ALL_AT_ONCE); ``blue_instance_count``: the blue fleet's (default: the same);
    * ``alarms``: a function from the endpoint's names to a strategy for the alarm list
      (default: 1-3 alarms of any kind); ``rollback_alarms``: from the alarm names to the
      AutoRollbackConfiguration names (default: a non-empty subset, in order);
    * ``blue_model`` / ``green_model``: strategies for the models; ``green_error_rate``: pins
      the green model's ``error_rate_5xx`` (its 4XX rate is lowered to keep the sum <= 1);
    * ``traffic``, ``environment``, ``simulation``: strategies for those sections; ``seed``
      pins the simulation seed;
    * other keyword arguments go to :func:`deployment_configs` (``wait_seconds``,
      ``termination_wait_seconds``, ``timeout``).
    """
    kind = _pick(draw, policy, _POLICIES)
    if kind not in POLICY_KINDS:
        raise InvalidArgument(f"policy must be one of {', '.join(POLICY_KINDS)}, got {kind!r}")
    n = _pick(draw, instance_count, _COUNTS[kind])
    blue_n = n if blue_instance_count is None else _pick(draw, blue_instance_count, _COUNTS[kind])
    endpoint = _pick(draw, names, _DEFAULT_NAMES)
    env = draw(environment if environment is not None else _DEFAULT_ENVIRONMENT)
    alarm_list = draw(alarms(endpoint)) if alarms is not None else _alarm_list(draw, endpoint)
    alarm_names = [a["AlarmName"] for a in alarm_list]
    if len(set(alarm_names)) != len(alarm_names):
        raise InvalidArgument(f"alarm names must be unique, got {alarm_names}")
    if rollback_alarms is not None:
        watched = draw(rollback_alarms(alarm_names))
    elif alarm_names:  # a non-empty subset, in order
        watched = [name for name in alarm_names if draw(_BOOLS)]
        if not watched:
            watched = [alarm_names[draw(_INDEX[len(alarm_names)])]]
    else:
        watched = []
    config = _deployment_config(
        draw,
        n,
        policy=kind,
        alarm_names=watched,
        percent_rounding=env.get("percent_rounding", "ceil"),
        all_at_once_bakes_wait_interval=env.get("all_at_once_bakes_wait_interval", False),
        **deployment,
    )
    blue = draw(blue_model if blue_model is not None else _DEFAULT_MODEL)
    green = dict(draw(green_model if green_model is not None else _DEFAULT_MODEL))
    if green_error_rate is not None:
        rate = _pick(draw, green_error_rate, _RATE_5XX)
        green["error_rate_5xx"] = rate
        green["error_rate_4xx"] = min(green.get("error_rate_4xx", 0.0), 1.0 - rate)
    sim = draw(simulation if simulation is not None else _DEFAULT_SIMULATION)
    if seed is not None:
        sim = {**sim, "seed": _pick(draw, seed, _SEEDS)}
    return {
        "name": f"generated-{kind.lower().replace('_', '-')}",
        "description": "Drawn by guardsim.testing.scenario_dicts.",
        "endpoint": {
            "name": endpoint.endpoint,
            "blue": _endpoint_config(
                endpoint.blue_config, endpoint.variant, draw(_INSTANCE_TYPES), blue_n
            ),
            "green": _endpoint_config(
                endpoint.green_config, endpoint.variant, draw(_INSTANCE_TYPES), n
            ),
        },
        "deployment_config": config,
        "alarms": alarm_list,
        "models": {"blue": blue, "green": green},
        "traffic": draw(traffic if traffic is not None else _DEFAULT_TRAFFIC),
        "environment": env,
        "simulation": sim,
    }


def load(data: Mapping[str, Any]) -> Scenario:
    """Load drawn scenario data; an invalid draw is a bug in these strategies, so it raises."""
    result = check_scenario_dict(data, source="<guardsim.testing>")
    if result.scenario is None:
        problems = "\n  ".join(str(p) for p in result.errors)
        raise ValueError(
            f"guardsim.testing drew an invalid scenario (a bug in the strategies):\n  {problems}"
        )
    return result.scenario


def scenarios(**kwargs: Any) -> st.SearchStrategy[Scenario]:
    """Loaded, valid :class:`Scenario` objects; takes the keyword arguments of
    :func:`scenario_dicts`."""
    return scenario_dicts(**kwargs).map(load)
