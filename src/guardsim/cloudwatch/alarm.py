"""CloudWatch metric-alarm evaluation: one pure function from datapoints to a state.

An alarm is evaluated on a schedule (see :mod:`guardsim.cloudwatch.schedule`). At each evaluation
CloudWatch reads the datapoints of an *evaluation range* of periods, oldest to newest, decides
which N of them to evaluate (N = ``EvaluationPeriods``), and sets the state to ``ALARM`` when at
least M of those breach (M = ``DatapointsToAlarm``) (see aws-model.md#evaluation-schedule,
#m-out-of-n). This module does that last step, exactly and fast: :class:`AlarmRule` is an alarm
precompiled from its ``put_metric_alarm`` keyword arguments, :meth:`AlarmRule.evaluate` (or
:func:`evaluate_alarm`) turns a range of datapoints and the previous state into an
:class:`AlarmEvaluation` with the new state and a human reason.

The algorithm (see aws-model.md#missing-data)
---------------------------------------------
Positions are numbered oldest to newest in a range of R periods; ``X`` breaches, ``0`` does not,
``-`` is missing (no datapoint; ``None`` or NaN).

1. **Comparison.** A datapoint breaches when ``value <op> Threshold`` holds, the statistic being
   the left operand (see aws-model.md#put-metric-alarm): ``>=``, ``>``, ``<``, ``<=`` for the four
   static operators. An anomaly-detection alarm compares with its band's bounds ``(lower,
   upper)`` (:attr:`AlarmRule.band`): ``value < lower or value > upper``, ``value < lower`` or
   ``value > upper`` for its three operators
   (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/Create_Anomaly_Detection_Alarm.html).
   guardsim's band is static per alarm (see :mod:`guardsim.model.anomaly`).
2. **At least N real datapoints in the range** (with or without gaps): the N most recent *real*
   datapoints are evaluated, reaching back past gaps; ``TreatMissingData`` is not used. ALARM if
   at least M of them breach (they need not be consecutive; see aws-model.md#evaluation-schedule),
   else OK.
3. **No real datapoint at all:** ``missing`` gives INSUFFICIENT_DATA, ``ignore`` keeps the
   current state, ``breaching`` gives ALARM (N filled breaching points) and ``notBreaching``
   gives OK.
4. **Some, but fewer than N (= k), real datapoints:** CloudWatch fills the gaps "keeping every
   real datapoint" and "using missing datapoints as few times as possible" (see
   aws-model.md#missing-data). guardsim reads that as choosing an *N-window*: N positions of the
   range that hold all k real datapoints and exactly N - k missing ones (never more missing ones
   than needed). Of all such windows guardsim takes the one with the **smallest span** (oldest to
   newest position), and of those the **most recent** (comparing positions newest first)
   (undocumented, fixed by the tables; see aws-model.md#missing-data). In practice:

   a. if the real datapoints lie within N consecutive positions, the window is N consecutive
      positions: the latest ones that hold them all (equivalently: drop missing positions from
      the old end of the range while it is longer than N, then from the new end);
   b. otherwise it is every real position plus the most recent N - k missing positions between
      the oldest and the newest real one.

   The tables force both criteria: Table A row 5 ``- - X - -`` (N=M=3, ``missing``) alarms, so
   the window is ``X - -`` (most recent), not ``- - X``; Table B row 3 ``0 - X - -`` (N=3, M=2,
   ``missing``) is OK, so its window is ``0 - X`` (smallest span), not ``0 X -`` (positions 1,
   3 and 5, more recent but wider, which would trip the premature rule below). Table A row 2
   ``0 - - - -`` with ``breaching`` gives ``0 X X``, two breaches, OK; the note under Table A
   (ALARM once the ``0`` leaves the range) follows from step 3. Case (b) is not covered by the
   docs: it needs real datapoints more than N apart with fewer than N of them, and it decides
   only the *order* of the evaluated points, so it matters only to the premature rule and only
   for N >= 4 with the default range (exhaustively checked: never for N <= 3). Example: N=4,
   M=3, ``missing``, ``0 - X - X -``: the window is ``0 X - X`` and the premature rule alarms;
   keeping the older gap instead (``0 - X X``) would give OK.

   The N - k missing points of the window are then treated per ``TreatMissingData``:
   ``breaching`` counts each as a breach, ``notBreaching`` as a non-breach, and ``missing`` and
   ``ignore`` leave them missing, so only the k real datapoints are counted. ALARM if at least
   M breach; otherwise the premature rule decides between ALARM, OK and keeping the state.

5. **Premature alarm** (see aws-model.md#missing-data). In the N-window (after filling), let the
   oldest breaching datapoint be ``a`` datapoints old (the newest is 1 old). If ``a >= M`` and every
   more recent datapoint of the window is breaching or missing, the alarm goes to ALARM even
   with fewer than M breaches: ``- - X - -`` alarms at N=M=3, ``- - - X -`` and ``- - - - X``
   do not. Since the N-window keeps every real datapoint (step 4), a lone breach further back
   followed only by missing datapoints alarms too: ``X - - - -`` has the window ``X - -``
   (until the ``X`` leaves the range and step 3 gives INSUFFICIENT_DATA). Its interaction
   with ``TreatMissingData``, derived from Table A row 5 and Table B row 5:

   * ``missing``: the rule applies: ALARM.
   * ``ignore``: the state is kept. This and step 3 are the only cases where ``ignore`` keeps
     the state: having fewer than N real datapoints is not enough (Table A row 2 and Table B
     rows 3-4 go to OK under ``ignore``); otherwise ``ignore`` evaluates the real datapoints
     exactly like ``missing``.
   * ``breaching``: filled points breach, so the window's breach count is already at least
     ``a >= M``: ALARM by counting; the rule adds nothing.
   * ``notBreaching``: filled points are real non-breaching values, so "every more recent
     datapoint is breaching or missing" fails unless those points are real breaches, and then
     the count is at least ``a >= M`` again: the rule adds nothing, ``- - X - -`` is OK.

   Which datapoints the rule constrains is undocumented beyond that sentence, so it is a
   parameter, ``premature_reading`` (scenario setting ``environment.premature_alarm_reading``;
   see aws-model.md#missing-data): ``newer`` (default) reads the user guide's wording
   literally: only the datapoints *more recent* than the oldest breach must be breaching or
   missing, so a real non-breaching datapoint older than the breach does not block the early
   ALARM (N=3, M=2, ``missing``, ``- - 0 X -``: window ``0 X -``, ALARM). ``whole-window``
   follows AWS's knowledge-center explanation, which describes the case as "all data points
   are missing except one breaching data point": any real non-breaching datapoint in the
   N-window blocks it (the same pattern stays OK). The two readings agree on every row of the
   user guide's tables.

   The rule's age condition tightens as M grows, so it keeps evaluation monotone in M: if an
   alarm is in ALARM at some M, it is in ALARM at every smaller M (same data, same previous
   state), hence raising M never turns OK into ALARM. What the rule does break is "ALARM needs
   at least M breaching datapoints": ``- - X - -`` alarms with one breach at M=3.

6. **Percentiles with low sample counts** (see aws-model.md#low-sample-percentiles). For a
   percentile statistic with ``EvaluateLowSampleCountPercentile=ignore``, when the datapoint that
   decides the evaluation has fewer samples than
   :func:`~guardsim.cloudwatch.statistics.low_sample_count_threshold` (``p99`` -> 1000), the state
   is kept. AWS speaks of "the data point" being evaluated; which datapoints of an N-window count is
   undocumented, so it is a parameter, ``low_sample_scope``
   (undocumented; see aws-model.md#low-sample-percentiles): ``newest`` (default) checks only
   the newest *real* datapoint of the N-window (the newest real datapoint of the range); ``any``
   keeps the state if any real datapoint of the N-window has too few samples. Missing datapoints
   have no samples and never count; with no sample counts given the rule does not apply.
   ``evaluate`` (the default) always evaluates. When the rule holds the state it overrides steps
   2-5, including an ALARM they would give; the evaluation still reports the window and its breach
   count. A range with no real datapoint is decided by step 3 alone.

The evaluation range
--------------------
CloudWatch reads more than N periods, but the exact number is undocumented (see
aws-model.md#missing-data, #metric-publish-delay); the docs' examples use 5
for N = 3. guardsim's default is N + 2 (:data:`DEFAULT_EVALUATION_RANGE`), an inference; pass
``evaluation_range`` to choose another length (at least N). Datapoints given beyond the range are
ignored (only the newest R are read); a range longer than the datapoints given is padded with
missing datapoints at the old end (periods before the metric had data).
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Final, Protocol, TypeVar, runtime_checkable

from guardsim.cloudwatch.anomaly import band_spec, evaluated_metrics
from guardsim.cloudwatch.statistics import (
    StatisticSpec,
    low_sample_count_threshold,
    parse_statistic,
)
from guardsim.errors import AlarmError

__all__ = [
    "ANOMALY_OPERATORS",
    "DEFAULT_EVALUATION_RANGE",
    "OPERATOR_FUNCTIONS",
    "AlarmError",
    "AlarmEvaluation",
    "AlarmRule",
    "AlarmState",
    "AnomalyOperator",
    "ComparisonOperator",
    "EvaluationRangeRule",
    "LowSampleCountPolicy",
    "LowSampleScope",
    "PrematureReading",
    "SupportsToBoto",
    "TreatMissingData",
    "as_alarm_rule",
    "evaluate_alarm",
]


class AlarmState(StrEnum):
    """The three states of a CloudWatch metric alarm (see aws-model.md#evaluation-schedule,
    #alarm-states)."""

    OK = "OK"
    ALARM = "ALARM"
    INSUFFICIENT_DATA = "INSUFFICIENT_DATA"


class ComparisonOperator(StrEnum):
    """The four static-threshold operators; the statistic is the left operand (see
    aws-model.md#put-metric-alarm)."""

    GREATER_THAN_OR_EQUAL_TO_THRESHOLD = "GreaterThanOrEqualToThreshold"
    GREATER_THAN_THRESHOLD = "GreaterThanThreshold"
    LESS_THAN_THRESHOLD = "LessThanThreshold"
    LESS_THAN_OR_EQUAL_TO_THRESHOLD = "LessThanOrEqualToThreshold"

    @property
    def symbol(self) -> str:
        """``>=``, ``>``, ``<`` or ``<=``."""
        return _SYMBOLS[self]


_SYMBOLS: Final[Mapping[ComparisonOperator, str]] = {
    ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD: ">=",
    ComparisonOperator.GREATER_THAN_THRESHOLD: ">",
    ComparisonOperator.LESS_THAN_THRESHOLD: "<",
    ComparisonOperator.LESS_THAN_OR_EQUAL_TO_THRESHOLD: "<=",
}

#: ``value <op> threshold`` per ComparisonOperator (elementwise on numpy arrays too).
OPERATOR_FUNCTIONS: Final[Mapping[ComparisonOperator, Callable[[Any, Any], Any]]] = {
    ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD: operator.ge,
    ComparisonOperator.GREATER_THAN_THRESHOLD: operator.gt,
    ComparisonOperator.LESS_THAN_THRESHOLD: operator.lt,
    ComparisonOperator.LESS_THAN_OR_EQUAL_TO_THRESHOLD: operator.le,
}


class AnomalyOperator(StrEnum):
    """The three anomaly-detection operators: the value against the band's bounds (see
    https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/Create_Anomaly_Detection_Alarm.html)."""

    OUTSIDE = "LessThanLowerOrGreaterThanUpperThreshold"
    BELOW = "LessThanLowerThreshold"
    ABOVE = "GreaterThanUpperThreshold"

    @property
    def symbol(self) -> str:
        """``outside``, ``<`` or ``>`` (of the band)."""
        return _BAND_SYMBOLS[self]


_BAND_SYMBOLS: Final[Mapping[AnomalyOperator, str]] = {
    AnomalyOperator.OUTSIDE: "outside",
    AnomalyOperator.BELOW: "<",
    AnomalyOperator.ABOVE: ">",
}

#: Anomaly-detection operators (see aws-model.md#put-metric-alarm).
ANOMALY_OPERATORS: Final = frozenset(o.value for o in AnomalyOperator)


def _band_operator(op: AnomalyOperator, lower: float, upper: float) -> Callable[[Any, Any], Any]:
    """``value <op> band`` as ``f(value, _)`` (scalars or numpy arrays; NaN never breaches)."""
    if op is AnomalyOperator.BELOW:
        return lambda v, _t: v < lower
    if op is AnomalyOperator.ABOVE:
        return lambda v, _t: v > upper
    return lambda v, _t: (v < lower) | (v > upper)


class TreatMissingData(StrEnum):
    """How missing datapoints fill an N-window with fewer than N real ones (see
    aws-model.md#missing-data)."""

    BREACHING = "breaching"
    NOT_BREACHING = "notBreaching"
    IGNORE = "ignore"
    MISSING = "missing"


class LowSampleCountPolicy(StrEnum):
    """``EvaluateLowSampleCountPercentile`` (see aws-model.md#low-sample-percentiles): evaluate
    anyway, or keep the state."""

    EVALUATE = "evaluate"
    IGNORE = "ignore"


class PrematureReading(StrEnum):
    """Which datapoints the premature-alarm rule constrains (undocumented; module docstring,
    step 5, and aws-model.md#missing-data).

    ``newer``: the datapoints more recent than the oldest breach (default; the user guide's
    wording). ``whole-window``: every real datapoint of the N-window (AWS's knowledge-center
    explanation).
    """

    NEWER = "newer"
    WHOLE_WINDOW = "whole-window"


class LowSampleScope(StrEnum):
    """Which datapoints' sample counts the low-sample rule checks (undocumented; see
    aws-model.md#low-sample-percentiles).

    ``newest``: the newest real datapoint of the N-window (default; AWS speaks of "the data
    point"). ``any``: every real datapoint of the N-window.
    """

    NEWEST = "newest"
    ANY = "any"


@dataclass(frozen=True, slots=True)
class EvaluationRangeRule:
    """The evaluation-range length as a function of N: ``N + extra_periods``.

    CloudWatch reads more periods than N but does not document how many (see
    aws-model.md#missing-data, #metric-publish-delay); its examples use 5 for N = 3,
    which ``extra_periods=2`` reproduces. This is an inference, kept as a parameter so that
    calibration against real alarms can change it.
    """

    extra_periods: int = 2

    def __post_init__(self) -> None:
        if self.extra_periods < 0:
            raise AlarmError(f"extra_periods must be >= 0, got {self.extra_periods}")

    def __call__(self, evaluation_periods: int) -> int:
        return evaluation_periods + self.extra_periods


#: The evaluation range used when none is given: N + 2 periods (undocumented; AWS's examples use
#: 5 for N=3).
DEFAULT_EVALUATION_RANGE: Final = EvaluationRangeRule(extra_periods=2)


@dataclass(frozen=True, slots=True)
class AlarmEvaluation:
    """The outcome of one alarm evaluation.

    * ``state``: the new state.
    * ``reason``: why, in the style of CloudWatch's StateReason, e.g.
      ``"3 of 3 datapoints [0.41, 0.38, 0.52] >= 0.3"``.
    * ``breaching_count``: breaching datapoints in the N-window, filled points included when
      ``TreatMissingData`` is ``breaching``.
    * ``evaluated``: the N datapoints of the N-window, oldest to newest (always N entries);
      ``None`` marks a missing datapoint used to fill it (how it counted is in the reason and
      in ``breaching_count``).
    * ``changed``: whether ``state`` differs from the previous state.
    """

    state: AlarmState
    reason: str
    breaching_count: int
    evaluated: tuple[float | None, ...]
    changed: bool


@runtime_checkable
class SupportsToBoto(Protocol):
    """Anything that can render itself as ``put_metric_alarm`` keyword arguments."""

    def to_boto(self) -> Mapping[str, Any]: ...


# Integer codes for the hot path (comparisons of small ints are cheaper than enum identity
# chains through attribute lookups).
_TMD_BREACHING: Final = 0
_TMD_NOT_BREACHING: Final = 1
_TMD_IGNORE: Final = 2
_TMD_MISSING: Final = 3
_TMD_CODES: Final[Mapping[TreatMissingData, int]] = {
    TreatMissingData.BREACHING: _TMD_BREACHING,
    TreatMissingData.NOT_BREACHING: _TMD_NOT_BREACHING,
    TreatMissingData.IGNORE: _TMD_IGNORE,
    TreatMissingData.MISSING: _TMD_MISSING,
}
_MISSING_LABELS: Final[Mapping[TreatMissingData, str]] = {
    TreatMissingData.BREACHING: "missing (treated as breaching)",
    TreatMissingData.NOT_BREACHING: "missing (treated as not breaching)",
    TreatMissingData.IGNORE: "missing",
    TreatMissingData.MISSING: "missing",
}

_OK: Final = AlarmState.OK
_ALARM: Final = AlarmState.ALARM
_INSUFFICIENT: Final = AlarmState.INSUFFICIENT_DATA


@dataclass(frozen=True, slots=True)
class AlarmRule:
    """One CloudWatch metric alarm, precompiled for fast repeated evaluation.

    Build it with :meth:`from_kwargs` from ``put_metric_alarm`` keyword arguments, or directly.
    Fields use the meaning of the PutMetricAlarm parameters (see aws-model.md#put-metric-alarm);
    ``statistic`` is the ``Statistic`` or ``ExtendedStatistic`` (for metric math, the ``Stat`` of
    the returned MetricStat query, or ``None`` for an expression). ``evaluation_range`` is the
    default range length for :meth:`evaluate` (``None``: :data:`DEFAULT_EVALUATION_RANGE` of N,
    resolved into :attr:`range_length`). ``low_sample_scope`` is guardsim's choice of which
    datapoints the low-sample percentile rule checks (see the module docstring, step 6).

    An anomaly-detection alarm has an :class:`AnomalyOperator` and its ``band``, the static
    ``(lower, upper)`` bounds guardsim compiles it to (:mod:`guardsim.model.anomaly`); its
    ``threshold`` is then the bound its operator compares with (the upper one for
    ``LessThanLowerOrGreaterThanUpperThreshold``), for summaries only.
    """

    name: str
    period: int
    evaluation_periods: int
    datapoints_to_alarm: int
    threshold: float
    comparison_operator: ComparisonOperator | AnomalyOperator
    treat_missing_data: TreatMissingData = TreatMissingData.MISSING
    statistic: str | None = None
    evaluate_low_sample_count_percentile: LowSampleCountPolicy = LowSampleCountPolicy.EVALUATE
    evaluation_range: int | None = None
    low_sample_scope: LowSampleScope = LowSampleScope.NEWEST
    premature_reading: PrematureReading = PrematureReading.NEWER
    band: tuple[float, float] | None = None
    #: The evaluation-range length :meth:`evaluate` uses by default.
    range_length: int = field(init=False)
    statistic_spec: StatisticSpec | None = field(init=False, repr=False, compare=False)
    #: The low-sample threshold when the low-sample rule can keep the state, else ``None``.
    low_sample_threshold: float | None = field(init=False, repr=False, compare=False)
    _op: Callable[[Any, Any], bool] = field(init=False, repr=False, compare=False)
    _tmd: int = field(init=False, repr=False, compare=False)
    _threshold_text: str = field(init=False, repr=False, compare=False)
    # Constant parts of the counting reason: "<b>" + _of_n + items + _tail_*.
    _of_n: str = field(init=False, repr=False, compare=False)
    _tail_alarm: str = field(init=False, repr=False, compare=False)
    _tail_needed: str = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        name = self.name
        set_ = object.__setattr__
        try:
            op_value = self.comparison_operator
            set_(
                self,
                "comparison_operator",
                AnomalyOperator(op_value)
                if op_value in ANOMALY_OPERATORS
                else ComparisonOperator(op_value),
            )
            set_(self, "treat_missing_data", TreatMissingData(self.treat_missing_data))
            set_(
                self,
                "evaluate_low_sample_count_percentile",
                LowSampleCountPolicy(self.evaluate_low_sample_count_percentile),
            )
            set_(self, "low_sample_scope", LowSampleScope(self.low_sample_scope))
            set_(self, "premature_reading", PrematureReading(self.premature_reading))
        except ValueError as exc:
            raise AlarmError(str(exc), alarm_name=name) from None
        n, m = self.evaluation_periods, self.datapoints_to_alarm
        if n < 1:
            raise AlarmError(f"must be >= 1, got {n}", alarm_name=name, field="EvaluationPeriods")
        if not 1 <= m <= n:
            raise AlarmError(
                f"must be between 1 and EvaluationPeriods ({n}), got {m}",
                alarm_name=name,
                field="DatapointsToAlarm",
            )
        if self.period <= 0:
            raise AlarmError(f"must be > 0, got {self.period}", alarm_name=name, field="Period")
        if not math.isfinite(self.threshold):
            raise AlarmError(
                f"must be a finite number, got {self.threshold}", alarm_name=name, field="Threshold"
            )
        set_(self, "threshold", float(self.threshold))
        rng = (
            DEFAULT_EVALUATION_RANGE(n) if self.evaluation_range is None else self.evaluation_range
        )
        if rng < n:
            raise AlarmError(
                f"evaluation range {rng} is shorter than EvaluationPeriods ({n})", alarm_name=name
            )
        set_(self, "range_length", rng)
        spec = None
        if self.statistic is not None:
            spec = parse_statistic(self.statistic, context="metric")
        set_(self, "statistic_spec", spec)
        low = None
        if spec is not None and self.evaluate_low_sample_count_percentile is (
            LowSampleCountPolicy.IGNORE
        ):
            low = low_sample_count_threshold(spec)
        set_(self, "low_sample_threshold", low)
        op = self.comparison_operator
        if isinstance(op, AnomalyOperator):
            band = self.band
            if band is None or len(band) != 2 or not all(map(math.isfinite, band)):
                raise AlarmError(
                    f"an anomaly-detection alarm needs finite band bounds, got {band!r}",
                    alarm_name=name,
                    field="ThresholdMetricId",
                )
            lower, upper = float(band[0]), float(band[1])
            if lower > upper:
                raise AlarmError(
                    f"band lower bound {lower!r} is above its upper bound {upper!r}",
                    alarm_name=name,
                    field="ThresholdMetricId",
                )
            set_(self, "band", (lower, upper))
            set_(self, "_op", _band_operator(op, lower, upper))
            threshold_text = (
                f"outside the band [{lower!r}, {upper!r}]"
                if op is AnomalyOperator.OUTSIDE
                else f"{op.symbol} {lower if op is AnomalyOperator.BELOW else upper!r} (band)"
            )
        else:
            if self.band is not None:
                raise AlarmError(
                    f"a band is only for anomaly-detection operators, not {op.value}",
                    alarm_name=name,
                    field="ComparisonOperator",
                )
            set_(self, "_op", OPERATOR_FUNCTIONS[op])
            threshold_text = f"{op.symbol} {self.threshold!r}"
        set_(self, "_tmd", _TMD_CODES[self.treat_missing_data])
        set_(self, "_threshold_text", threshold_text)
        set_(self, "_of_n", f" of {n} {'datapoint' if n == 1 else 'datapoints'} [")
        needed = f"] {threshold_text} (at least {m} needed for ALARM)"
        set_(self, "_tail_needed", needed)
        set_(self, "_tail_alarm", f"] {threshold_text}" if m == n else needed)

    # ---------------------------------------------------------------------------------------
    # Construction from boto3 shapes
    # ---------------------------------------------------------------------------------------

    @classmethod
    def from_kwargs(
        cls,
        kwargs: Mapping[str, Any],
        *,
        evaluation_range: int | None = None,
        low_sample_scope: LowSampleScope | str = LowSampleScope.NEWEST,
        premature_reading: PrematureReading | str = PrematureReading.NEWER,
        band: tuple[float, float] | None = None,
    ) -> AlarmRule:
        """Precompile an alarm from exactly the keyword arguments of ``put_metric_alarm``.

        Reads ``AlarmName``, ``Statistic`` or ``ExtendedStatistic``, ``Period``,
        ``EvaluationPeriods``, ``DatapointsToAlarm`` (default: ``EvaluationPeriods``),
        ``Threshold``, ``ComparisonOperator``, ``TreatMissingData`` (default ``missing``) and
        ``EvaluateLowSampleCountPercentile`` (default ``evaluate``) (see
        aws-model.md#put-metric-alarm); or, for metric math, ``Metrics`` instead of
        ``Statistic``/``Period``: the period is the returned query's ``Period`` or that of its
        ``MetricStat``, else the (common) period of the MetricStat queries (see
        aws-model.md#metric-math). Other parameters (actions, ``Unit``, dimensions,
        ...) do not change evaluation and are not read.

        The arguments are assumed validated (see :mod:`guardsim.scenarios`); this only fails,
        with :class:`AlarmError` naming the field, when an essential is missing or unusable.
        An anomaly-detection alarm (``ThresholdMetricId``, see :mod:`guardsim.cloudwatch.anomaly`)
        needs ``band``, its ``(lower, upper)`` bounds (:func:`guardsim.model.anomaly.anomaly_band`);
        without it :class:`AlarmError` is raised, never a silent static threshold.
        ``evaluation_range``, ``low_sample_scope`` and ``premature_reading`` are guardsim's own
        settings (see the module docstring).
        """
        raw_name = kwargs.get("AlarmName")
        if raw_name is None:
            raise AlarmError("is required", field="AlarmName")
        name = str(raw_name)

        def need(key: str) -> Any:
            if key not in kwargs or kwargs[key] is None:
                raise AlarmError("is required", alarm_name=name, field=key)
            return kwargs[key]

        op_text = need("ComparisonOperator")
        spec = band_spec(kwargs)  # raises AlarmError naming the field of a malformed band
        op: ComparisonOperator | AnomalyOperator
        if spec is not None:
            op = AnomalyOperator(op_text)
            if band is None:
                raise AlarmError(
                    "an anomaly-detection alarm needs its band, which guardsim computes from "
                    "the scenario (guardsim.model.anomaly.anomaly_band); this caller has none",
                    alarm_name=name,
                    field="ThresholdMetricId",
                )
        else:
            try:
                op = ComparisonOperator(op_text)
            except ValueError:
                raise AlarmError(
                    f"unknown operator {op_text!r}; expected one of "
                    + ", ".join(o.value for o in ComparisonOperator),
                    alarm_name=name,
                    field="ComparisonOperator",
                ) from None
            if band is not None:
                raise AlarmError(
                    "a band is only for anomaly-detection alarms",
                    alarm_name=name,
                    field="Threshold",
                )

        n = _as_int(need("EvaluationPeriods"), name, "EvaluationPeriods")
        m_raw = kwargs.get("DatapointsToAlarm")
        m = n if m_raw is None else _as_int(m_raw, name, "DatapointsToAlarm")
        if band is not None:
            # the bound the operator compares with (summaries only; see the class docstring)
            threshold_raw: Any = band[0] if op is AnomalyOperator.BELOW else band[1]
        else:
            threshold_raw = need("Threshold")
        try:
            threshold = float(threshold_raw)
        except (TypeError, ValueError):
            raise AlarmError(
                f"must be a number, got {threshold_raw!r}", alarm_name=name, field="Threshold"
            ) from None

        tmd = _as_enum(
            TreatMissingData,
            kwargs.get("TreatMissingData"),
            TreatMissingData.MISSING,
            name,
            "TreatMissingData",
        )
        low = _as_enum(
            LowSampleCountPolicy,
            kwargs.get("EvaluateLowSampleCountPercentile"),
            LowSampleCountPolicy.EVALUATE,
            name,
            "EvaluateLowSampleCountPercentile",
        )

        metrics = kwargs.get("Metrics")
        if metrics is not None:
            period, statistic = _period_and_statistic_from_metrics(evaluated_metrics(metrics), name)
        else:
            period = _as_int(need("Period"), name, "Period")
            statistic = kwargs.get("Statistic")
            if statistic is None:
                statistic = kwargs.get("ExtendedStatistic")
            if statistic is None:
                raise AlarmError(
                    "one of Statistic or ExtendedStatistic (or Metrics) is required",
                    alarm_name=name,
                    field="Statistic",
                )
            statistic = str(statistic)

        return cls(
            name=name,
            period=period,
            evaluation_periods=n,
            datapoints_to_alarm=m,
            threshold=threshold,
            comparison_operator=op,
            treat_missing_data=tmd,
            statistic=statistic,
            evaluate_low_sample_count_percentile=low,
            evaluation_range=evaluation_range,
            low_sample_scope=LowSampleScope(low_sample_scope),
            premature_reading=PrematureReading(premature_reading),
            band=band,
        )

    # ---------------------------------------------------------------------------------------
    # Evaluation (the hot path)
    # ---------------------------------------------------------------------------------------

    def keeps_state(self, *, sample_counts: bool = True) -> bool:
        """Whether an evaluation's new state can depend on the previous one (:meth:`evaluate`;
        ``sample_counts``: whether the caller passes them). Only ``TreatMissingData=ignore``
        keeps it (a range of missing datapoints, a premature-alarm pattern), and the low-sample
        percentile rule when it can hold it (``EvaluateLowSampleCountPercentile=ignore`` on a
        percentile, with sample counts); every other evaluation is a function of the range
        alone. Stated here, beside the code it describes; a property test checks it against
        every pattern of short ranges from every previous state."""
        return self._tmd == _TMD_IGNORE or (sample_counts and self.low_sample_threshold is not None)

    @property
    def threshold_text(self) -> str:
        """``>= 0.3``, or ``outside the band [3100.0, 3760.0]`` for an anomaly alarm."""
        return self._threshold_text

    def breaches(self, value: Any) -> Any:
        """Whether a real datapoint breaches: ``value <op> Threshold``, or against the band's
        bounds for an anomaly alarm (see aws-model.md#put-metric-alarm); elementwise on a numpy
        array (NaN: False). The one place a breach is decided: every engine calls it."""
        return self._op(value, self.threshold)

    def evaluate(
        self,
        datapoints: Iterable[float | None],
        previous_state: AlarmState | str,
        *,
        sample_counts: Sequence[float | None] | None = None,
        evaluation_range: int | None = None,
    ) -> AlarmEvaluation:
        """Evaluate the alarm over one evaluation range; see the module docstring.

        ``datapoints``: period values, oldest to newest, ``None`` (or NaN) for a missing one;
        only the newest ``evaluation_range`` are read, and fewer are padded with missing ones
        at the old end. ``previous_state``: the state before this evaluation (kept by
        ``ignore`` rules). ``sample_counts``: optionally, aligned with ``datapoints``, the
        number of raw samples behind each (for the low-sample percentile rule; a real
        datapoint the rule checks must have a count). ``evaluation_range``: the range length,
        at least N (default :attr:`range_length`).
        """
        prev = previous_state if previous_state.__class__ is AlarmState else _state(previous_state)
        if evaluation_range is None:
            r = self.range_length
        else:
            r = evaluation_range
            if r < self.evaluation_periods:
                raise AlarmError(
                    f"evaluation range {r} is shorter than EvaluationPeriods "
                    f"({self.evaluation_periods})",
                    alarm_name=self.name,
                )
        pts: Sequence[float | None] = (
            datapoints if isinstance(datapoints, (list, tuple)) else tuple(datapoints)
        )
        total = len(pts)
        start = total - r  # index in pts of the range's oldest position (< 0: padded)
        lo = start if start > 0 else 0
        n = self.evaluation_periods

        # Newest first: the indices of the most recent (up to) n real datapoints.
        real: list[int] = []
        i = total - 1
        while i >= lo:
            v = pts[i]
            if v is not None and v == v:  # v == v is False for NaN
                real.append(i)
                if len(real) == n:
                    break
            i -= 1

        k = len(real)
        if k == n:
            result = self._evaluate_full(pts, real, prev)
        elif k == 0:
            return self._evaluate_all_missing(r, prev)
        else:
            result = self._evaluate_partial(pts, real, start, r, prev)
        if sample_counts is not None and self.low_sample_threshold is not None:
            return self._low_sample_hold(result, pts, real, sample_counts, prev)
        return result

    def _evaluate_full(
        self, pts: Sequence[float | None], real: list[int], prev: AlarmState
    ) -> AlarmEvaluation:
        """At least N real datapoints: the N most recent real ones; no filling (see
        aws-model.md#missing-data)."""
        n = len(real)
        if real[-1] == real[0] - n + 1:  # contiguous: the common case
            values = tuple(pts[real[-1] : real[0] + 1])
        else:
            values = tuple([pts[j] for j in reversed(real)])
        op = self._op
        thr = self.threshold
        flags = [op(v, thr) for v in values]
        b = flags.count(True)
        if 0 < b < n:
            items = self._items(values, flags, mixed=True)
        else:  # uniform window: no marks (the fast path of the fast path)
            items = ", ".join([repr(float(v)) for v in values])  # type: ignore[arg-type]  # all real
        if b >= self.datapoints_to_alarm:
            return AlarmEvaluation(
                _ALARM, f"{b}{self._of_n}{items}{self._tail_alarm}", b, values, prev is not _ALARM
            )
        return AlarmEvaluation(
            _OK, f"{b}{self._of_n}{items}{self._tail_needed}", b, values, prev is not _OK
        )

    def _evaluate_all_missing(self, r: int, prev: AlarmState) -> AlarmEvaluation:
        """No real datapoint in the range (see aws-model.md#missing-data)."""
        n = self.evaluation_periods
        tmd = self._tmd
        evaluated: tuple[float | None, ...] = (None,) * n
        head = f"all {r} datapoints in the evaluation range are missing"
        if tmd == _TMD_MISSING:
            state, b = _INSUFFICIENT, 0
            reason = f"{head} (TreatMissingData=missing)"
        elif tmd == _TMD_IGNORE:
            state, b = prev, 0
            reason = f"{head}; state kept (TreatMissingData=ignore)"
        elif tmd == _TMD_BREACHING:
            state, b = _ALARM, n
            reason = (
                f"{head}; {n} of {n} treated as breaching {self._threshold_text} "
                "(TreatMissingData=breaching)"
            )
        else:
            state, b = _OK, 0
            reason = (
                f"{head}; {n} of {n} treated as not breaching {self._threshold_text} "
                "(TreatMissingData=notBreaching)"
            )
        return AlarmEvaluation(state, reason, b, evaluated, state is not prev)

    def _evaluate_partial(
        self,
        pts: Sequence[float | None],
        real: list[int],
        start: int,
        r: int,
        prev: AlarmState,
    ) -> AlarmEvaluation:
        """1 <= k < N real datapoints: choose the N-window and fill it (see
        aws-model.md#missing-data)."""
        n = self.evaluation_periods
        newest = real[0] - start  # positions within the range, 0 = oldest
        oldest = real[-1] - start
        if newest - oldest + 1 <= n:
            # Case (a): the latest N consecutive positions holding every real datapoint.
            w0 = oldest if oldest < r - n else r - n
            positions = list(range(w0, w0 + n))
        else:
            # Case (b): every real position plus the most recent N - k interior missing ones.
            real_pos = {j - start for j in real}
            interior = [p for p in range(newest - 1, oldest, -1) if p not in real_pos]
            positions = sorted(real_pos.union(interior[: n - len(real)]))
        return self._evaluate_window(pts, positions, start, real, prev)

    def _evaluate_window(
        self,
        pts: Sequence[float | None],
        positions: list[int],
        start: int,
        real: list[int],
        prev: AlarmState,
    ) -> AlarmEvaluation:
        """Fill the N-window at ``positions`` and apply M of N and the premature rule."""
        n = self.evaluation_periods
        k = len(real)
        m = self.datapoints_to_alarm
        op = self._op
        thr = self.threshold
        tmd = self._tmd
        real_set = set(real)
        values: list[float | None] = []
        # flags: True breaching, False not breaching, None missing (after TreatMissingData).
        flags: list[bool | None] = []
        for p in positions:
            j = p + start
            if j in real_set:
                v = pts[j]
                values.append(v)
                flags.append(op(v, thr))
            else:
                values.append(None)
                flags.append(
                    True if tmd == _TMD_BREACHING else False if tmd == _TMD_NOT_BREACHING else None
                )
        b = flags.count(True)
        evaluated = tuple(values)
        if b >= m:
            state = _ALARM
        elif tmd >= _TMD_IGNORE and _premature(
            flags, m, self.premature_reading is PrematureReading.WHOLE_WINDOW
        ):
            items = self._items(evaluated, flags, mixed=True)
            age = n - flags.index(True)
            if tmd == _TMD_MISSING:
                reason = (
                    f"premature alarm: [{items}] {self._threshold_text}; the oldest breaching "
                    f"datapoint is {age} datapoints old (DatapointsToAlarm={m}) and every newer "
                    "one is breaching or missing (TreatMissingData=missing)"
                )
                return AlarmEvaluation(_ALARM, reason, b, evaluated, _ALARM is not prev)
            reason = (
                f"premature-alarm pattern [{items}] {self._threshold_text} with {k} of {n} "
                "datapoints real; state kept (TreatMissingData=ignore)"
            )
            return AlarmEvaluation(prev, reason, b, evaluated, False)
        else:
            state = _OK
        reason = self._count_reason(evaluated, flags, b, state, mixed=True)
        return AlarmEvaluation(state, reason, b, evaluated, state is not prev)

    def _low_sample_hold(
        self,
        result: AlarmEvaluation,
        pts: Sequence[float | None],
        real: list[int],
        sample_counts: Sequence[float | None],
        prev: AlarmState,
    ) -> AlarmEvaluation:
        """The low-sample rule with ``ignore``: keep the state if the deciding datapoint(s) have few
        samples.

        ``result`` is the evaluation as if there were enough samples; when the rule holds the
        state, its window and breach count are kept and only the state and reason change.
        ``real`` holds the indices of every real datapoint of the N-window, newest first.
        """
        if len(sample_counts) != len(pts):
            raise AlarmError(
                f"sample_counts has {len(sample_counts)} entries for {len(pts)} datapoints",
                alarm_name=self.name,
            )
        threshold = self.low_sample_threshold
        assert threshold is not None
        checked = real[:1] if self.low_sample_scope is LowSampleScope.NEWEST else real
        for j in checked:
            count = sample_counts[j]
            if count is None:
                raise AlarmError(
                    f"sample_counts[{j}] is None but datapoint {j} has a value",
                    alarm_name=self.name,
                )
            # Same comparison as statistics.has_low_sample_count, with the threshold precomputed.
            if count < threshold:
                reason = (
                    f"too few samples for {self.statistic} ({_number(count)} < "
                    f"{_number(threshold)}); state kept (EvaluateLowSampleCountPercentile=ignore)"
                )
                return AlarmEvaluation(
                    prev, reason, result.breaching_count, result.evaluated, False
                )
        return result

    # ---------------------------------------------------------------------------------------
    # Reasons
    # ---------------------------------------------------------------------------------------

    def _items(
        self,
        values: tuple[float | None, ...],
        flags: Sequence[bool | None],
        *,
        mixed: bool,
    ) -> str:
        """``0.0, 0.2 (breaching), missing (treated as not breaching)``.

        Breaching real values are marked only when the window is mixed (not all real and all
        breaching or all not breaching); missing ones always say how they were treated.
        """
        missing = _MISSING_LABELS[self.treat_missing_data]
        parts = []
        for v, f in zip(values, flags, strict=True):
            if v is None:
                parts.append(missing)
            elif f and mixed:
                parts.append(f"{float(v)!r} (breaching)")
            else:
                parts.append(repr(float(v)))
        return ", ".join(parts)

    def _count_reason(
        self,
        values: tuple[float | None, ...],
        flags: Sequence[bool | None],
        b: int,
        state: AlarmState,
        *,
        mixed: bool,
    ) -> str:
        """``2 of 3 datapoints [0.0, 0.2 (breaching), ...] >= 0.3 (at least 2 needed ...)``.

        The "needed" note is left out only when the state is ALARM and M = N.
        """
        tail = self._tail_alarm if state is _ALARM else self._tail_needed
        return f"{b}{self._of_n}{self._items(values, flags, mixed=mixed)}{tail}"


_E = TypeVar("_E", bound=StrEnum)


def _premature(flags: list[bool | None], m: int, whole_window: bool = False) -> bool:
    """CloudWatch's premature-alarm rule on a filled N-window (module docstring, step 5);
    ``whole_window``: a non-breaching datapoint anywhere in the window blocks it."""
    if whole_window and False in flags:
        return False
    try:
        first = flags.index(True)
    except ValueError:
        return False
    if len(flags) - first < m:
        return False
    return False not in flags[first + 1 :]


def _state(value: AlarmState | str) -> AlarmState:
    try:
        return AlarmState(value)
    except ValueError:
        raise AlarmError(
            f"previous_state must be one of OK, ALARM, INSUFFICIENT_DATA, got {value!r}"
        ) from None


def _number(x: float) -> str:
    """A count or threshold for a reason: ``12``, ``1000``, ``30.03``."""
    return f"{x:g}" if x != int(x) else str(int(x))


def _as_int(value: Any, name: str, key: str) -> int:
    try:
        result = int(value)
    except (TypeError, ValueError):
        raise AlarmError(f"must be an integer, got {value!r}", alarm_name=name, field=key) from None
    if result != value:
        raise AlarmError(f"must be an integer, got {value!r}", alarm_name=name, field=key)
    return result


def _as_enum(enum: type[_E], value: Any, default: _E, name: str, key: str) -> _E:
    if value is None or value == "":
        return default
    try:
        return enum(value)
    except ValueError:
        raise AlarmError(
            f"unknown value {value!r}; expected one of " + ", ".join(e.value for e in enum),
            alarm_name=name,
            field=key,
        ) from None


def _period_and_statistic_from_metrics(metrics: Any, name: str) -> tuple[int, str | None]:
    """Period and statistic of a metric-math alarm's returned series (see aws-model.md#metric-math,
    #put-metric-alarm)."""
    queries = list(metrics)
    returned = [q for q in queries if q.get("ReturnData", True)]
    if len(returned) != 1:
        raise AlarmError(
            f"exactly one query must have ReturnData=true, found {len(returned)}",
            alarm_name=name,
            field="Metrics",
        )
    query = returned[0]
    stat = query.get("MetricStat")
    statistic = None if stat is None else stat.get("Stat")
    period = query.get("Period")
    if period is None and stat is not None:
        period = stat.get("Period")
    if period is None:
        periods = {q["MetricStat"].get("Period") for q in queries if q.get("MetricStat")}
        periods.discard(None)
        if len(periods) != 1:
            what = "no MetricStat has a Period" if not periods else f"periods differ: {periods}"
            raise AlarmError(
                f"cannot tell the alarm's period ({what}); all metrics of a metric-math alarm "
                "share one period (see "
                "https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/alarm-data-queries.html)",
                alarm_name=name,
                field="Metrics",
            )
        period = periods.pop()
    return _as_int(period, name, "Metrics.Period"), (None if statistic is None else str(statistic))


def as_alarm_rule(alarm: AlarmRule | Mapping[str, Any] | SupportsToBoto) -> AlarmRule:
    """An :class:`AlarmRule` from a rule, ``put_metric_alarm`` kwargs, or a ``to_boto()`` object."""
    if isinstance(alarm, AlarmRule):
        return alarm
    if isinstance(alarm, Mapping):
        return AlarmRule.from_kwargs(alarm)
    to_boto = getattr(alarm, "to_boto", None)
    if callable(to_boto):
        return AlarmRule.from_kwargs(to_boto())
    raise TypeError(
        "alarm must be an AlarmRule, a Mapping of put_metric_alarm kwargs, or have to_boto(); "
        f"got {type(alarm).__name__}"
    )


def evaluate_alarm(
    alarm: AlarmRule | Mapping[str, Any] | SupportsToBoto,
    datapoints: Iterable[float | None],
    previous_state: AlarmState | str,
    *,
    sample_counts: Sequence[float | None] | None = None,
    evaluation_range: int | None = None,
) -> AlarmEvaluation:
    """Evaluate one CloudWatch alarm over one evaluation range (see
    aws-model.md#evaluation-schedule, #missing-data, #low-sample-percentiles).

    ``alarm`` is an :class:`AlarmRule`, a Mapping of ``put_metric_alarm`` kwargs, or an object
    with ``to_boto()`` returning one (converted on every call: precompile with
    :meth:`AlarmRule.from_kwargs` when evaluating repeatedly). The other arguments are those of
    :meth:`AlarmRule.evaluate`; the semantics are in the module docstring.
    """
    return as_alarm_rule(alarm).evaluate(
        datapoints,
        previous_state,
        sample_counts=sample_counts,
        evaluation_range=evaluation_range,
    )
