"""CloudWatch statistics over the raw samples of one period, with CloudWatch's definitions.

A CloudWatch *statistic* turns the samples published in one period into the single value of a
datapoint (see aws-model.md#low-sample-percentiles). There are two families:

* the five basic ``Statistic`` values ``SampleCount``, ``Average``, ``Sum``, ``Minimum`` and
  ``Maximum``, which can be computed from a pre-aggregated :class:`SampleSummary` (a CloudWatch
  "statistic set");
* the ``ExtendedStatistic`` values, which need the raw values (see
  aws-model.md#low-sample-percentiles):

  ============  ======================================================================
  ``pNN``       percentile, ``p0.0`` to ``p100`` with up to 10 decimals
  ``tmNN``      trimmed mean, same as ``TM(:NN%)``; ``TM(a%:b%)``, ``TM(lo:hi)``
  ``wmNN``      winsorized mean, same as ``WM(:NN%)``; ``WM(a%:b%)``, ``WM(lo:hi)``
  ``tcNN``      trimmed count (number of samples TM would average); ``TC(...)``
  ``tsNN``      trimmed sum (TM x TC); ``TS(...)``
  ``IQM``       interquartile mean, ``TM(25%:75%)``
  ``PR(n:m)``   percentile rank: the percentage (0-100) of samples in ``(n, m]``
  ============  ======================================================================

The rank rule (how guardsim turns "the lowest 99%" into samples)
-----------------------------------------------------------------
CloudWatch defines ``p99`` as "the maximum value of the remaining 99%" once "the 1% of the
data points with the highest values" are ignored, and ``tm99`` as "the average of the remaining
99%" (see aws-model.md#low-sample-percentiles); ``TM(2%:98%)`` "calculates the average after
removing the 2% lowest data points and the 2% highest data points" (see
aws-model.md#low-sample-percentiles). guardsim reads
"remove the highest / lowest q% of n samples" as removing ``floor(q / 100 * n)`` samples (never
more than q%), so with ``n`` sorted samples ``x(1) <= ... <= x(n)`` a percent range
``(a%:b%)`` keeps the ranks::

    floor(a / 100 * n) + 1  ..  ceil(b / 100 * n)         (exact rational arithmetic)

(``n - floor((100 - b) / 100 * n) == ceil(b / 100 * n)``). A percentile is the largest sample
kept by ``TM(:P%)``, which is the **nearest-rank** percentile::

    pP = x(max(1, ceil(P / 100 * n)))

the smallest sample with at least P% of the samples at or below it ("95 percent of the data
... is lower than this value"; see aws-model.md#low-sample-percentiles). So ``p0`` is the minimum,
``p100`` the maximum, ``p99``
of 1..100 is 99, ``p99`` of 10 samples is the largest, ``p50`` of 1..4 is 2. A percent range
with a < b never selects nothing when there are samples: ``IQM`` of one sample is that sample,
and ``IQM`` of 10 samples averages ranks 3..8 (the trims at both ends are the same size).
Then:

* ``TM`` is the mean of the kept samples, ``TC`` their count and ``TS`` their sum;
* ``WM`` replaces every sample below the kept range by the lowest kept sample and every sample
  above it by the highest kept sample (which is ``p(b)``: "wm98 ... treating the 2% of the
  highest values to be equal to the value at the 98th percentile" (see
  aws-model.md#low-sample-percentiles)), then averages all
  ``n`` samples. For absolute bounds the samples are clamped to the bounds themselves ("equal to
  the value at the edge of the appropriate boundary").
* With absolute bounds ``(lo:hi)`` a sample ``x`` is kept when ``lo < x <= hi`` (see
  aws-model.md#low-sample-percentiles);
  an omitted bound does not constrain.

Missing and unavailable values
------------------------------
No samples means no datapoint: every function returns ``None``. CloudWatch's extended
statistics "are not available for metrics when any of the metric values are negative numbers"
(see aws-model.md#low-sample-percentiles); guardsim returns ``None`` for every extended statistic
when
any sample is negative. An empty selection (absolute bounds that no sample falls in, or
``tm0``) gives ``None`` for ``TM``, and ``0`` for ``TC`` and ``TS`` (an empty count and sum).

Pre-aggregated input
--------------------
:func:`compute_from_histogram` takes distinct values with integer counts and gives results
identical (bit for bit) to :func:`compute_from_samples` on the expanded samples: both reduce the
input to the same canonical (sorted distinct values, counts) form and share one kernel.
:func:`compute_from_summary` takes a :class:`SampleSummary` and supports the basic statistics,
plus the extended ones in the two cases CloudWatch documents as computable from a statistic set
(all values equal: ``Minimum == Maximum`` and ``Sum == Minimum * SampleCount``) (see
aws-model.md#low-sample-percentiles).

Low sample counts
-----------------
:func:`low_sample_count_threshold` implements CloudWatch's low-sample rule (see
aws-model.md#low-sample-percentiles) for
percentile alarms.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from fractions import Fraction
from functools import lru_cache
from typing import Any, Literal, TypeAlias, overload

import numpy as np
import numpy.typing as npt

from guardsim.errors import ArgumentError, StatisticError
from guardsim.model.arrays import reduce_last

__all__ = [
    "BASIC_STATISTICS",
    "SampleSummary",
    "StatisticContext",
    "StatisticKind",
    "StatisticSpec",
    "basic_from_summary",
    "basic_of_sets",
    "basic_of_window",
    "ceil_rank",
    "compute_from_histogram",
    "compute_from_samples",
    "compute_from_summary",
    "compute_rows_from_sorted",
    "compute_statistic",
    "has_low_sample_count",
    "low_sample_count_threshold",
    "merge_stats",
    "parse_statistic",
    "percent_range_count",
]

FloatArray: TypeAlias = npt.NDArray[np.float64]
IntArray: TypeAlias = npt.NDArray[np.int64]

StatisticContext = Literal["alarm", "metric"]
"""Where a statistic name is used. ``"alarm"``: PutMetricAlarm's ``Statistic`` /
``ExtendedStatistic``, which limits percent ranges to 10..90 (see aws-model.md#put-metric-alarm).
``"metric"``: anywhere else
(``MetricStat.Stat``, GetMetricData), which allows any bound in 0..100 (see
aws-model.md#low-sample-percentiles)."""


class StatisticKind(StrEnum):
    """What a statistic computes; the range forms and their shorthands share a kind."""

    SAMPLE_COUNT = "SampleCount"
    AVERAGE = "Average"
    SUM = "Sum"
    MINIMUM = "Minimum"
    MAXIMUM = "Maximum"
    PERCENTILE = "p"
    TRIMMED_MEAN = "TM"
    WINSORIZED_MEAN = "WM"
    TRIMMED_COUNT = "TC"
    TRIMMED_SUM = "TS"
    PERCENTILE_RANK = "PR"


BASIC_STATISTICS: frozenset[StatisticKind] = frozenset(
    {
        StatisticKind.SAMPLE_COUNT,
        StatisticKind.AVERAGE,
        StatisticKind.SUM,
        StatisticKind.MINIMUM,
        StatisticKind.MAXIMUM,
    }
)


@dataclass(frozen=True)
class StatisticSpec:
    """A parsed CloudWatch statistic. Build it with :func:`parse_statistic`.

    ``name`` is canonical: as written, except that a range's prefix is in capitals
    (``tm(10%:90%)`` becomes ``TM(10%:90%)``). ``lower`` and ``upper``
    are the bounds exactly as written, as :class:`~fractions.Fraction` so that rank arithmetic
    is exact (``p99.9`` of 1000 samples must be rank 999, not 1000 from a rounding error);
    ``None`` is an omitted bound. ``percent_bounds`` says whether they are percentages.

    A percentile ``pP`` is stored as ``upper=P`` with ``percent_bounds=True``: ``pP`` is the
    largest of the samples that ``TM(:P%)`` averages. ``IQM`` is ``TM(25%:75%)``.
    """

    name: str
    kind: StatisticKind
    lower: Fraction | None = None
    upper: Fraction | None = None
    percent_bounds: bool = False

    @property
    def percentile(self) -> float | None:
        """The fraction p/100 for a percentile ``pNN`` (``p99`` -> 0.99), else ``None``."""
        if self.kind is StatisticKind.PERCENTILE and self.upper is not None:
            return float(self.upper / 100)
        return None

    @property
    def is_basic(self) -> bool:
        """True for SampleCount, Average, Sum, Minimum and Maximum."""
        return self.kind in BASIC_STATISTICS

    @property
    def needs_raw_values(self) -> bool:
        """True for the extended statistics, which CloudWatch computes from raw values (see
        aws-model.md#low-sample-percentiles)."""
        return self.kind not in BASIC_STATISTICS

    def __str__(self) -> str:
        return self.name


# --------------------------------------------------------------------------------------------
# Parsing
# --------------------------------------------------------------------------------------------

_ALLOWED = (
    "expected a Statistic (SampleCount, Average, Sum, Minimum, Maximum) or an "
    "ExtendedStatistic: pNN (p0.0 to p100, up to 10 decimals), tmNN, wmNN, tcNN, tsNN, "
    "TM/WM/TC/TS(a%:b%) or TM/WM/TC/TS(lo:hi) with one bound optional, IQM, or PR(lo:hi)"
)
_MAX_DECIMALS = 10
_MAX_WHOLE_DIGITS = 30  # far beyond any metric value; keeps Fraction() away from huge ints
_NUMBER = r"(?:\d+(?:\.\d+)?)"
_PERCENTILE_RE = re.compile(rf"p({_NUMBER})")
_SHORTHAND_RE = re.compile(rf"(tm|wm|tc|ts)({_NUMBER})")
_RANGE_RE = re.compile(r"(tm|wm|tc|ts|pr)\((.*)\)", re.IGNORECASE)
_BOUND_RE = re.compile(rf"({_NUMBER})(%?)")
_ALARM_PERCENT_MIN = Fraction(10)
_ALARM_PERCENT_MAX = Fraction(90)


def _parse_number(name: str, text: str, what: str) -> Fraction:
    """An unsigned decimal with at most 10 decimals, as an exact fraction."""
    whole, _, decimals = text.partition(".")
    if len(whole.lstrip("0")) > _MAX_WHOLE_DIGITS:
        raise StatisticError(name, f"{what} {text[:20]}... is too large")
    if len(decimals) > _MAX_DECIMALS:
        raise StatisticError(name, f"{what} {text} has more than {_MAX_DECIMALS} decimal places")
    return Fraction(text)


def _check_percent(name: str, value: Fraction, text: str) -> None:
    if value > 100:
        raise StatisticError(name, f"percentage {text} is over 100; percentages are 0 to 100")


def parse_statistic(name: str, *, context: StatisticContext = "alarm") -> StatisticSpec:
    """Parse a CloudWatch ``Statistic`` or ``ExtendedStatistic`` name (see
    aws-model.md#low-sample-percentiles, #put-metric-alarm).

    Accepted, exactly as CloudWatch spells them:

    * ``SampleCount``, ``Average``, ``Sum``, ``Minimum``, ``Maximum``;
    * ``pNN``: a percentile from ``p0`` to ``p100`` with up to 10 decimals (``p99.9``); the
      ``p`` is lowercase;
    * ``tmNN``, ``wmNN``, ``tcNN``, ``tsNN``: shorthand for ``TM(:NN%)`` etc. CloudWatch allows
      these abbreviations "only ... using lowercase letters" (see
      aws-model.md#low-sample-percentiles);
    * ``TM(a%:b%)``, ``WM(...)``, ``TC(...)``, ``TS(...)`` (either case) with two percentages or
      two absolute values, one of which may be omitted (``TM(:95%)``, ``TM(10%:)``,
      ``TC(:0.5)``); absolute bounds are non-negative decimals of any size;
    * ``IQM``; ``PR(n:m)`` with absolute bounds only ("n and m are values of the metric"; see
      aws-model.md#put-metric-alarm).

    Bounds must be increasing (``lower < upper``). In ``context="alarm"`` (the default: a
    PutMetricAlarm ``ExtendedStatistic``) each percentage written in a ``TM/WM/TC/TS(...)``
    range must be between 10 and 90 inclusive, as the PutMetricAlarm reference says (see
    aws-model.md#put-metric-alarm);
    shorthands such as ``tm99`` are not limited (the reference lists ``tm90`` itself as an
    example). Use ``context="metric"`` for ``MetricStat.Stat``, where CloudWatch allows 0..100.

    Raises :class:`~guardsim.errors.StatisticError` with what is allowed. Results are cached.
    """
    if not isinstance(name, str):
        raise StatisticError(repr(name), f"a statistic name must be a string; {_ALLOWED}")
    if context not in ("alarm", "metric"):
        raise ArgumentError(f"context must be 'alarm' or 'metric', not {context!r}")
    return _parse_statistic_cached(name, context)


@lru_cache(maxsize=1024)
def _parse_statistic_cached(name: str, context: StatisticContext) -> StatisticSpec:
    for kind in BASIC_STATISTICS:
        if name == kind.value:
            return StatisticSpec(name=name, kind=kind)
    if name.lower() in {k.value.lower() for k in BASIC_STATISTICS}:
        raise StatisticError(
            name, "basic statistics are case-sensitive: SampleCount, Average, Sum, Minimum, Maximum"
        )
    if name == "IQM":
        return StatisticSpec(
            name="IQM",
            kind=StatisticKind.TRIMMED_MEAN,
            lower=Fraction(25),
            upper=Fraction(75),
            percent_bounds=True,
        )
    if name.upper() == "IQM":
        raise StatisticError(name, "the interquartile mean is written IQM")

    if m := _PERCENTILE_RE.fullmatch(name):
        value = _parse_number(name, m.group(1), "percentile")
        _check_percent(name, value, m.group(1))
        return StatisticSpec(
            name=name, kind=StatisticKind.PERCENTILE, upper=value, percent_bounds=True
        )
    if m := _SHORTHAND_RE.fullmatch(name):
        value = _parse_number(name, m.group(2), "percentage")
        _check_percent(name, value, m.group(2))
        return StatisticSpec(
            name=name,
            kind=StatisticKind(m.group(1).upper()),
            upper=value,
            percent_bounds=True,
        )
    if m := _RANGE_RE.fullmatch(name):
        return _parse_range(name, m.group(1).upper(), m.group(2), context)

    # Helpful messages for near misses.
    if re.fullmatch(rf"P{_NUMBER}", name):
        raise StatisticError(name, f"percentiles are written with a lowercase p, e.g. p{name[1:]}")
    if re.fullmatch(rf"(TM|WM|TC|TS|Tm|Wm|Tc|Ts|tM|wM|tC|tS){_NUMBER}", name):
        raise StatisticError(
            name,
            f"the one-number shorthand is lowercase only, e.g. {name[:2].lower()}{name[2:]}; "
            f"use {name[:2].upper()}(:{name[2:]}%) for the range form",
        )
    raise StatisticError(name, f"unknown statistic; {_ALLOWED}")


def _parse_range(name: str, prefix: str, body: str, context: StatisticContext) -> StatisticSpec:
    kind = StatisticKind(prefix)
    if body.count(":") != 1:
        raise StatisticError(
            name, f"a range is written {prefix}(lower:upper) with one colon, e.g. {prefix}(10%:90%)"
        )
    lower_text, upper_text = body.split(":")
    if not lower_text and not upper_text:
        raise StatisticError(name, f"{prefix}(...) needs at least one bound")
    bounds: list[Fraction | None] = []
    percents: set[bool] = set()
    for text in (lower_text, upper_text):
        if not text:
            bounds.append(None)
            continue
        bm = _BOUND_RE.fullmatch(text)
        if bm is None:
            raise StatisticError(
                name,
                f"bound {text!r} is not a non-negative decimal number, optionally followed by %",
            )
        is_percent = bm.group(2) == "%"
        value = _parse_number(name, bm.group(1), "bound")
        if is_percent:
            _check_percent(name, value, bm.group(1))
        bounds.append(value)
        percents.add(is_percent)
    if len(percents) > 1:
        raise StatisticError(
            name, "both bounds must be percentages (10%:90%) or both absolute values (150:1000)"
        )
    percent = percents.pop()
    lower, upper = bounds
    if lower is not None and upper is not None and lower >= upper:
        raise StatisticError(name, "the lower bound must be less than the upper bound")
    if kind is StatisticKind.PERCENTILE_RANK and percent:
        raise StatisticError(
            name, "PR(n:m) takes absolute metric values, not percentages, e.g. PR(:300)"
        )
    if context == "alarm" and percent:
        for bound in (lower, upper):
            if bound is not None and not _ALARM_PERCENT_MIN <= bound <= _ALARM_PERCENT_MAX:
                raise StatisticError(
                    name,
                    f"in an alarm, {prefix}(X%:X%) percentages must be between 10 and 90 "
                    "inclusive (PutMetricAlarm ExtendedStatistic)",
                )
    # Canonical: the prefix in capitals, the bounds exactly as written (the alarm's statistic is
    # identified by this string, so 0.030 stays 0.030).
    canonical = f"{prefix}({lower_text}:{upper_text})"
    return StatisticSpec(
        name=canonical, kind=kind, lower=lower, upper=upper, percent_bounds=percent
    )


# --------------------------------------------------------------------------------------------
# Low sample counts (see aws-model.md#low-sample-percentiles)
# --------------------------------------------------------------------------------------------


def low_sample_count_threshold(spec: StatisticSpec | str) -> float | None:
    """The sample count below which a percentile alarm has "too few samples" (see
    aws-model.md#low-sample-percentiles).

    For a percentile p (as a fraction) in [0.5, 1) the threshold is ``10 / (1 - p)``
    (``p99`` -> 1000, ``p95`` -> 200, ``p90`` -> 100, ``p50`` -> 20); for p in (0, 0.5) it is
    ``10 / p`` (``p10`` -> 100). It is computed exactly, so ``p99`` gives 1000.0, not
    1000.0000000000009.

    ``None`` for every statistic that is not a percentile (CloudWatch applies
    ``EvaluateLowSampleCountPercentile`` to percentiles only), and for ``p0`` and ``p100``:
    CloudWatch's ranges are "between 0 and 0.5 (exclusive)" and "0.5 (inclusive) and 1.00
    (exclusive)",
    so neither end is covered, and both formulas divide by zero there. ``p0`` and ``p100`` are
    the minimum and the maximum, exact with any number of samples, so guardsim never treats them
    as low-sample [judgment: the docs are silent].
    """
    if isinstance(spec, str):
        spec = parse_statistic(spec, context="metric")
    if spec.kind is not StatisticKind.PERCENTILE or spec.upper is None:
        return None
    p = spec.upper / 100
    if p <= 0 or p >= 1:
        return None
    threshold = 10 / (1 - p) if p >= Fraction(1, 2) else 10 / p
    return float(threshold)


def has_low_sample_count(spec: StatisticSpec | str, sample_count: int | float) -> bool:
    """True when a percentile has fewer samples than :func:`low_sample_count_threshold` (see
    aws-model.md#low-sample-percentiles).

    Always False for statistics without a threshold.
    """
    threshold = low_sample_count_threshold(spec)
    return threshold is not None and sample_count < threshold


# --------------------------------------------------------------------------------------------
# Sample summaries (CloudWatch "statistic sets")
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SampleSummary:
    """A CloudWatch statistic set: ``SampleCount``, ``Sum``, ``Minimum`` and ``Maximum``.

    The fast data plane aggregates samples into these instead of keeping every value; they
    add up exactly like CloudWatch aggregates statistic sets published for the same period
    (see aws-model.md#low-sample-percentiles). The empty summary has ``sample_count == 0``, ``sum ==
    0``,
    ``minimum == +inf`` and ``maximum == -inf``, so that it is the identity of :meth:`merge`.
    """

    sample_count: int
    sum: float
    minimum: float
    maximum: float

    @classmethod
    def empty(cls) -> SampleSummary:
        """The summary of no samples."""
        return cls(0, 0.0, math.inf, -math.inf)

    @classmethod
    def of(cls, samples: npt.ArrayLike) -> SampleSummary:
        """Summarize raw samples. ``sum`` equals ``compute_statistic("Sum", samples)`` exactly."""
        x = _as_samples(samples)
        if x.size == 0:
            return cls.empty()
        canon = _canonical_from_samples(x)
        return cls(
            sample_count=canon.n,
            sum=canon.weighted_sum(),
            minimum=float(canon.values[0]),
            maximum=float(canon.values[-1]),
        )

    def merge(self, other: SampleSummary) -> SampleSummary:
        """The summary of both sets of samples."""
        return SampleSummary(
            sample_count=self.sample_count + other.sample_count,
            sum=self.sum + other.sum,
            minimum=min(self.minimum, other.minimum),
            maximum=max(self.maximum, other.maximum),
        )

    __add__ = merge

    @classmethod
    def combine(cls, summaries: Iterable[SampleSummary]) -> SampleSummary:
        """The summary of all the given summaries' samples (the empty summary if none)."""
        result = cls.empty()
        for summary in summaries:
            result = result.merge(summary)
        return result


# --------------------------------------------------------------------------------------------
# Computation
# --------------------------------------------------------------------------------------------


def _as_spec(spec: StatisticSpec | str) -> StatisticSpec:
    return spec if isinstance(spec, StatisticSpec) else parse_statistic(spec, context="metric")


def _as_samples(samples: npt.ArrayLike) -> FloatArray:
    x = np.asarray(samples, dtype=np.float64)
    if x.ndim != 1:
        raise ArgumentError(f"samples must be one-dimensional, got shape {x.shape}")
    return x


def _ceil_of(percent: Fraction, n: int) -> int:
    """``ceil(percent / 100 * n)`` in exact integer arithmetic (0 for ``percent == 0``: the
    last rank a trim keeps; a percentile's rank is :func:`ceil_rank`)."""
    return -((-percent.numerator * n) // (percent.denominator * 100))


#: Above this, ``numerator * n`` could overflow int64 (ceil_rank falls back to Python ints).
_INT64_SAFE = 2**62


@overload
def ceil_rank(percent: Fraction, n: int) -> int: ...
@overload
def ceil_rank(percent: Fraction, n: IntArray) -> IntArray: ...
def ceil_rank(percent: Fraction, n: int | IntArray) -> int | IntArray:
    """The 1-based rank of CloudWatch's ``pP`` among ``n`` sorted samples: ``max(1, ceil(P / 100
    * n))``, the nearest rank (module docstring; see aws-model.md#src-cw6).

    ``percent`` is ``P`` (0 to 100) as an exact :class:`~fractions.Fraction` (as
    :attr:`StatisticSpec.upper` holds it), so the arithmetic is exact integer arithmetic:
    ``p99.9`` of 1000 samples is rank 999, never 1000 from a rounding error. ``n`` is an int or
    an integer array (one rank per entry, the same values). The one definition of the rank:
    every engine calls it.
    """
    num, den = percent.numerator, percent.denominator * 100
    if isinstance(n, int | np.integer):
        return max(1, -((-num * int(n)) // den))
    counts = np.asarray(n, dtype=np.int64)
    if counts.size and num * int(counts.max()) >= _INT64_SAFE:  # exact, with Python ints
        flat = [max(1, -((-num * int(k)) // den)) for k in counts.ravel()]
        return np.array(flat, dtype=np.int64).reshape(counts.shape)
    ranks: IntArray = np.maximum(1, -((-num * counts) // den))
    return ranks


def _floor_rank(percent: Fraction, n: int) -> int:
    """``floor(percent / 100 * n)`` in exact integer arithmetic."""
    return (percent.numerator * n) // (percent.denominator * 100)


def _kept_ranks(spec: StatisticSpec, n: int) -> tuple[int, int]:
    """Percent bounds: the kept ranks are ``k_low + 1 .. k_high`` (see the module docstring)."""
    k_low = 0 if spec.lower is None else _floor_rank(spec.lower, n)
    k_high = n if spec.upper is None else _ceil_of(spec.upper, n)
    return k_low, k_high


@dataclass(frozen=True, slots=True)
class _Canonical:
    """The canonical form every path reduces its input to before any summation.

    ``values`` are the sorted distinct sample values (``-0.0`` normalized to ``0.0``);
    ``counts`` their positive counts, or ``None`` when every count is 1 (the common case for
    latencies, which saves the run-length work). Two inputs with the same multiset of samples
    give equal canonical forms, and the kernel is a deterministic function of the form, which
    is why raw samples and histograms agree bit for bit.
    """

    values: FloatArray
    counts: IntArray | None
    n: int

    def weighted_sum(self, weights: IntArray | None = None) -> float:
        """Sum of value x count (or x ``weights``), always by the same numpy formula."""
        w = self.counts if weights is None else weights
        if w is None:
            return float(self.values.sum())
        return float((self.values * w.astype(np.float64)).sum())

    def cumulative(self) -> IntArray:
        """Rank of the last sample of each distinct value."""
        if self.counts is None:
            return np.arange(1, self.n + 1, dtype=np.int64)
        return self.counts.cumsum()

    def order_statistic(self, rank: int) -> float:
        """The value of 1-based ``rank`` in the sorted samples."""
        if self.counts is None:
            return float(self.values[rank - 1])
        return float(self.values[int(np.searchsorted(self.cumulative(), rank, side="left"))])


def _run_length(sorted_values: FloatArray, counts: IntArray | None) -> _Canonical:
    """Merge equal neighbours of a sorted, non-empty array (``counts=None``: each once)."""
    values = sorted_values + 0.0  # -0.0 -> 0.0, so every path picks the same representative
    distinct = values[1:] != values[:-1]
    n = int(values.size if counts is None else counts.sum())
    if bool(distinct.all()):
        if counts is None or bool((counts == 1).all()):
            return _Canonical(values, None, n)
        return _Canonical(values, counts, n)
    starts = np.concatenate(([0], np.flatnonzero(distinct) + 1))
    if counts is None:
        merged = np.diff(np.concatenate((starts, [values.size]))).astype(np.int64)
    else:
        merged = np.add.reduceat(counts, starts).astype(np.int64)
    if bool((merged == 1).all()):  # pragma: no cover - only when equal values had count 1
        return _Canonical(values[starts], None, n)
    return _Canonical(values[starts], merged, n)


def _canonical_from_samples(x: FloatArray) -> _Canonical:
    return _run_length(np.sort(x), None)


def _canonical_from_histogram(values: npt.ArrayLike, counts: npt.ArrayLike) -> _Canonical | None:
    v = np.asarray(values, dtype=np.float64)
    c_raw = np.asarray(counts)
    if v.ndim != 1 or c_raw.ndim != 1 or v.shape != c_raw.shape:
        raise ArgumentError(
            f"values and counts must be 1-D arrays of the same length, got {v.shape} and "
            f"{c_raw.shape}"
        )
    if (
        c_raw.size
        and not np.issubdtype(c_raw.dtype, np.integer)
        and not np.all(np.mod(c_raw, 1) == 0)
    ):
        raise ArgumentError("counts must be whole numbers")
    c = c_raw.astype(np.int64)
    if np.any(c < 0):
        raise ArgumentError("counts must not be negative")
    keep = c > 0
    v, c = v[keep], c[keep]
    if v.size == 0:
        return None
    order = np.argsort(v, kind="stable")
    return _run_length(v[order], c[order])


def _absolute_mask(spec: StatisticSpec, values: FloatArray) -> npt.NDArray[np.bool_]:
    """Absolute bounds keep ``lower < x <= upper`` (see aws-model.md#low-sample-percentiles)."""
    mask = np.ones(values.shape, dtype=bool)
    if spec.lower is not None:
        mask &= values > float(spec.lower)
    if spec.upper is not None:
        mask &= values <= float(spec.upper)
    return mask


def _compute_canonical(spec: StatisticSpec, canon: _Canonical) -> float | None:
    """The one kernel shared by raw samples, histograms and uniform summaries."""
    kind = spec.kind
    values, counts, n = canon.values, canon.counts, canon.n
    if kind is StatisticKind.SAMPLE_COUNT:
        return float(n)
    if kind is StatisticKind.MINIMUM:
        return float(values[0])
    if kind is StatisticKind.MAXIMUM:
        return float(values[-1])
    if kind is StatisticKind.SUM:
        return canon.weighted_sum()
    if kind is StatisticKind.AVERAGE:
        return canon.weighted_sum() / n

    # Extended statistics are "not available ... when any of the metric values are negative"
    # (see aws-model.md#low-sample-percentiles); values[0] is the minimum.
    if values[0] < 0:
        return None

    if kind is StatisticKind.PERCENTILE:
        assert spec.upper is not None
        return canon.order_statistic(ceil_rank(spec.upper, n))

    if kind is StatisticKind.PERCENTILE_RANK:
        mask = _absolute_mask(spec, values)
        kept = int(np.count_nonzero(mask)) if counts is None else int(counts[mask].sum())
        return 100.0 * kept / n

    if kind is StatisticKind.WINSORIZED_MEAN:
        if spec.percent_bounds:
            k_low, k_high = _kept_ranks(spec, n)
            if k_high <= k_low:  # only wm0: nothing kept, so nothing to clamp to
                return None
            low: float | None = canon.order_statistic(k_low + 1)
            high: float | None = canon.order_statistic(k_high)
        else:
            low = None if spec.lower is None else float(spec.lower)
            high = None if spec.upper is None else float(spec.upper)
        clipped = np.clip(values, low, high) if (low, high) != (None, None) else values
        return _Canonical(clipped, counts, n).weighted_sum() / n

    # TM, TC, TS: how many samples of each distinct value are kept.
    if spec.percent_bounds:
        k_low, k_high = _kept_ranks(spec, n)
        kept_count = max(0, k_high - k_low)
        if counts is None:
            weights = np.zeros(n, dtype=np.int64)
            weights[k_low:k_high] = 1
        else:
            cumulative = counts.cumsum()
            # Ranks (k_low, k_high] intersected with each value's ranks (cumulative - count,
            # cumulative].
            weights = np.clip(cumulative, k_low, k_high) - np.clip(
                cumulative - counts, k_low, k_high
            )
    else:
        mask = _absolute_mask(spec, values)
        weights = mask.astype(np.int64) if counts is None else np.where(mask, counts, 0)
        kept_count = int(weights.sum())
    if kind is StatisticKind.TRIMMED_COUNT:
        return float(kept_count)
    total = canon.weighted_sum(weights)
    if kind is StatisticKind.TRIMMED_SUM:
        return total
    return total / kept_count if kept_count > 0 else None  # TRIMMED_MEAN


def compute_from_samples(spec: StatisticSpec | str, samples: npt.ArrayLike) -> float | None:
    """The statistic of one period's raw samples, or ``None`` when CloudWatch has no value.

    ``samples`` is a 1-D array (or sequence) of the values published in the period, in any
    order. ``None`` when there are no samples, when an extended statistic meets a negative
    sample (see aws-model.md#low-sample-percentiles), and for a trimmed mean whose selection is
    empty. See the module docstring for
    the exact definitions. At most one sort; no Python loop over samples.
    """
    spec = _as_spec(spec)
    x = _as_samples(samples)
    if x.size == 0:
        return None
    kind = spec.kind
    # Counts and order statistics are exact whatever the route, so these skip the canonical
    # form and still agree bit for bit with compute_from_histogram.
    if kind is StatisticKind.SAMPLE_COUNT:
        return float(x.size)
    if kind is StatisticKind.MINIMUM:
        return float(x.min()) + 0.0
    if kind is StatisticKind.MAXIMUM:
        return float(x.max()) + 0.0
    if kind is StatisticKind.PERCENTILE:
        assert spec.upper is not None
        xs = np.sort(x)
        if xs[0] < 0:
            return None
        return float(xs[ceil_rank(spec.upper, x.size) - 1]) + 0.0
    if kind is StatisticKind.PERCENTILE_RANK:
        if x.min() < 0:
            return None
        return 100.0 * int(np.count_nonzero(_absolute_mask(spec, x))) / x.size
    if kind is StatisticKind.TRIMMED_COUNT:
        if x.min() < 0:
            return None
        if spec.percent_bounds:
            k_low, k_high = _kept_ranks(spec, x.size)
            return float(max(0, k_high - k_low))
        return float(np.count_nonzero(_absolute_mask(spec, x)))
    return _compute_canonical(spec, _canonical_from_samples(x))


def _floor_ranks(percent: Fraction, n: IntArray) -> IntArray:
    """:func:`_floor_rank` of each entry of ``n`` (exact integer arithmetic)."""
    num, den = percent.numerator, percent.denominator * 100
    if n.size and abs(num) * int(n.max()) >= _INT64_SAFE:  # exact, with Python ints
        return np.array([(num * int(k)) // den for k in n.ravel()], dtype=np.int64).reshape(n.shape)
    out: IntArray = (num * n) // den
    return out


def _ceil_ofs(percent: Fraction, n: IntArray) -> IntArray:
    """:func:`_ceil_of` of each entry of ``n`` (exact integer arithmetic)."""
    return -_floor_ranks(-percent, n)


def percent_range_count(spec: StatisticSpec, n: IntArray) -> IntArray:
    """How many of ``n`` samples a percent range keeps (each entry of ``n``):
    ``max(0, ceil(b / 100 * n) - floor(a / 100 * n))``, the ranks of the module docstring."""
    k_low, k_high = _kept_ranks_rows(spec, n)
    count: IntArray = np.maximum(0, k_high - k_low)
    return count


def _kept_ranks_rows(spec: StatisticSpec, n: IntArray) -> tuple[IntArray, IntArray]:
    """:func:`_kept_ranks` of each entry of ``n``."""
    n = np.asarray(n, dtype=np.int64)
    k_low = np.zeros_like(n) if spec.lower is None else _floor_ranks(spec.lower, n)
    k_high = n if spec.upper is None else _ceil_ofs(spec.upper, n)
    return k_low, k_high


def compute_rows_from_sorted(spec: StatisticSpec | str, x: FloatArray, m: IntArray) -> FloatArray:
    """:func:`compute_from_samples` of many periods at once: row ``i`` of ``x`` ([R, M]) holds
    its period's ``m[i]`` samples sorted ascending, then padding (any value, never read).

    The same definitions as :func:`compute_from_samples` (the module docstring), row by row:
    the same ranks, bounds and empty-selection rules, NaN where that gives ``None``. Values
    equal it to rounding (sums run over a row, not over its distinct values), which a property
    test holds. The extended statistics only (the basic ones need no samples).
    """
    spec = _as_spec(spec)
    kind = spec.kind
    if kind in BASIC_STATISTICS:
        raise ArgumentError(f"compute_rows_from_sorted: {spec.name} is not an extended statistic")
    x = np.asarray(x, dtype=np.float64)
    m = np.asarray(m, dtype=np.int64)
    rows, width = x.shape
    out = np.full(rows, math.nan)
    if width == 0:
        return out
    valid = np.arange(width)[None, :] < m[:, None]
    # extended statistics are unavailable when any sample is negative; x[:, 0] is the minimum
    ok = (m > 0) & (x[:, 0] >= 0)
    count = np.maximum(m, 1).astype(np.float64)
    if kind is StatisticKind.PERCENTILE:
        assert spec.upper is not None
        rank = np.minimum(ceil_rank(spec.upper, np.maximum(m, 1)), width)
        value = np.take_along_axis(x, (rank - 1)[:, None], axis=1)[:, 0] + 0.0
        return np.where(ok, value, math.nan)
    if kind is StatisticKind.PERCENTILE_RANK:
        return np.where(ok, 100.0 * (valid & _absolute_mask(spec, x)).sum(axis=1) / count, math.nan)
    if spec.percent_bounds:
        k_low, k_high = _kept_ranks_rows(spec, m)
        if kind is StatisticKind.WINSORIZED_MEAN:
            kept = ok & (k_high > k_low)  # only wm0 keeps nothing: nothing to clamp to
            low = np.take_along_axis(x, np.clip(k_low, 0, width - 1)[:, None], axis=1)
            high = np.take_along_axis(x, np.clip(k_high - 1, 0, width - 1)[:, None], axis=1)
            clipped = np.where(valid, np.clip(x, low, high), 0.0)
            return np.where(kept, clipped.sum(axis=1) / count, math.nan)
        pos = np.arange(width)[None, :]
        weights = (pos >= k_low[:, None]) & (pos < k_high[:, None]) & valid
        kept_count = percent_range_count(spec, m).astype(np.float64)
    else:
        if kind is StatisticKind.WINSORIZED_MEAN:
            lo = None if spec.lower is None else float(spec.lower)
            hi = None if spec.upper is None else float(spec.upper)
            clipped = np.where(valid, np.clip(x, lo, hi) if (lo, hi) != (None, None) else x, 0.0)
            return np.where(ok, clipped.sum(axis=1) / count, math.nan)
        weights = valid & _absolute_mask(spec, x)
        kept_count = weights.sum(axis=1).astype(np.float64)
    if kind is StatisticKind.TRIMMED_COUNT:
        return np.where(ok, kept_count, math.nan)
    total = np.where(weights, x, 0.0).sum(axis=1)
    if kind is StatisticKind.TRIMMED_SUM:
        return np.where(ok, total, math.nan)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = total / kept_count
    return np.where(ok & (kept_count > 0), mean, math.nan)  # TRIMMED_MEAN


compute_statistic = compute_from_samples
"""Alias of :func:`compute_from_samples`: the statistic of one period's raw samples."""


def compute_from_histogram(
    spec: StatisticSpec | str, values: npt.ArrayLike, counts: npt.ArrayLike
) -> float | None:
    """The statistic of samples given as ``values`` with integer ``counts``.

    Identical, bit for bit, to :func:`compute_from_samples` on ``np.repeat(values, counts)``:
    values may come in any order and repeat, zero counts are ignored, negative or fractional
    counts raise ``ValueError``. ``None`` when the counts add up to zero.
    """
    spec = _as_spec(spec)
    canon = _canonical_from_histogram(values, counts)
    if canon is None:
        return None
    return _compute_canonical(spec, canon)


def basic_from_summary(
    kind: StatisticKind, sample_count: int, total: float, minimum: float, maximum: float
) -> float | None:
    """A basic statistic (``SampleCount``, ``Sum``, ``Average``, ``Minimum``, ``Maximum``) of
    the statistic set with these :class:`SampleSummary` fields, as :func:`compute_from_summary`
    gives it, without building the summary (for hot paths). ``None`` for an empty set."""
    if sample_count <= 0:
        return None
    if kind is StatisticKind.SAMPLE_COUNT:
        return float(sample_count)
    if kind is StatisticKind.SUM:
        return float(total)
    if kind is StatisticKind.AVERAGE:
        return float(total) / sample_count
    if kind is StatisticKind.MINIMUM:
        return float(minimum)
    if kind is StatisticKind.MAXIMUM:
        return float(maximum)
    raise StatisticError(kind.value, "not a basic statistic")


#: A statistic set as a plain tuple, (SampleCount, Sum, Minimum, Maximum): the fields of a
#: :class:`SampleSummary`, which costs several times more to make (hot paths keep these).
Stats = tuple[int, float, float, float]


def merge_stats(a: Stats, b: Stats) -> Stats:
    """:meth:`SampleSummary.merge` on :data:`Stats` (the same arithmetic, in the same order)."""
    # min(a, b) and max(a, b) written out as what the builtins do (a fraction of the cost)
    return a[0] + b[0], a[1] + b[1], b[2] if a[2] > b[2] else a[2], b[3] if a[3] < b[3] else a[3]


def basic_of_sets(kind: StatisticKind, sets: Sequence[Stats]) -> float | None:
    """A basic statistic of a window of statistic sets (one per minute, at least one): the
    sets merged in order (:func:`merge_stats`), then :func:`basic_from_summary`. The scalar
    specialisation of :func:`basic_of_window` (the per-replication hot path)."""
    count, total, lo, hi = sets[0]
    for more, add, mn, mx in sets[1:]:
        # merge_stats, written out (the hot path: no tuple per step)
        count, total, lo, hi = (
            count + more,
            total + add,
            mn if mn < lo else lo,
            mx if mx > hi else hi,
        )
    return basic_from_summary(kind, count, total, lo, hi)


def basic_of_window(
    kind: StatisticKind,
    count: npt.ArrayLike,
    total: npt.ArrayLike | None = None,
    minimum: npt.ArrayLike | None = None,
    maximum: npt.ArrayLike | None = None,
    *,
    where: npt.ArrayLike | None = None,
    axis: int = -1,
) -> FloatArray:
    """A basic statistic of windows of statistic sets given as arrays: the sets along ``axis``
    (those where ``where`` is true) are merged, then the statistic taken, as
    :func:`basic_of_sets` takes it of each window. NaN for a window with no samples.

    Only the fields the statistic reads are needed (``total`` for Sum and Average, ``minimum``
    for Minimum, ``maximum`` for Maximum); the others may be None.
    """
    n = np.asarray(count)
    use = None if where is None else np.asarray(where, dtype=bool)

    def reduce(ufunc: np.ufunc, x: Any) -> Any:
        # along the last axis (a window's few sets): column by column, the same values
        if axis == -1 or axis == np.ndim(x) - 1:
            return reduce_last(ufunc, x)
        return ufunc.reduce(x, axis=axis)

    def merged(field: npt.ArrayLike | None, empty: float, ufunc: np.ufunc) -> FloatArray:
        if field is None:
            raise ValueError(f"{kind.value} of a window needs its statistic sets' field")
        x = np.asarray(field, dtype=np.float64)
        out: FloatArray = reduce(ufunc, x if use is None else np.where(use, x, empty))
        return out

    samples = reduce(np.add, n if use is None else np.where(use, n, 0))
    with np.errstate(invalid="ignore", divide="ignore"):
        if kind is StatisticKind.SAMPLE_COUNT:
            value = samples.astype(np.float64)
        elif kind is StatisticKind.SUM:
            value = merged(total, 0.0, np.add)
        elif kind is StatisticKind.AVERAGE:
            value = merged(total, 0.0, np.add) / samples
        elif kind is StatisticKind.MINIMUM:
            value = merged(minimum, math.inf, np.minimum)
        elif kind is StatisticKind.MAXIMUM:
            value = merged(maximum, -math.inf, np.maximum)
        else:
            raise StatisticError(kind.value, "not a basic statistic")
    out: FloatArray = np.where(samples > 0, value, math.nan)
    return out


def compute_from_summary(spec: StatisticSpec | str, summary: SampleSummary) -> float | None:
    """The statistic of samples known only by their :class:`SampleSummary`.

    The five basic statistics always work. Extended statistics need raw values (see
    aws-model.md#low-sample-percentiles) and raise
    :class:`~guardsim.errors.StatisticError`, except in the cases CloudWatch itself documents as
    computable from a statistic set: every sample equal (``Minimum == Maximum`` and
    ``Sum == Minimum * SampleCount``, which includes ``SampleCount == 1``; see
    aws-model.md#low-sample-percentiles). ``None`` for an empty summary.
    """
    spec = _as_spec(spec)
    n = summary.sample_count
    if n <= 0:
        return None
    kind = spec.kind
    if kind in BASIC_STATISTICS:
        return basic_from_summary(kind, n, summary.sum, summary.minimum, summary.maximum)
    if summary.minimum == summary.maximum and summary.sum == summary.minimum * n:
        return compute_from_histogram(spec, [summary.minimum], [n])
    raise StatisticError(
        spec.name,
        "this statistic needs raw values; a SampleSummary (statistic set) supports only "
        "SampleCount, Average, Sum, Minimum and Maximum unless all its samples are equal",
    )
