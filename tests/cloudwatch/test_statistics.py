"""Tests of guardsim.cloudwatch.statistics: CloudWatch statistics over one period's samples.

The rank rule under test (module docstring, from CW6): with n sorted samples x(1..n), a percent
range (a%:b%) keeps ranks floor(a n / 100) + 1 .. ceil(b n / 100); pP = x(max(1, ceil(P n/100))).
Absolute bounds keep lo < x <= hi.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from guardsim.cloudwatch.statistics import (
    SampleSummary,
    StatisticKind,
    StatisticSpec,
    compute_from_histogram,
    compute_from_samples,
    compute_from_summary,
    compute_statistic,
    has_low_sample_count,
    low_sample_count_threshold,
    parse_statistic,
)
from guardsim.errors import StatisticError

ONE_TO_100 = list(range(1, 101))
ONE_TO_10 = list(range(1, 11))

# ----------------------------------------------------------------------------------------------
# Parsing
# ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "kind", "lower", "upper", "percent", "canonical"),
    [
        ("SampleCount", StatisticKind.SAMPLE_COUNT, None, None, False, "SampleCount"),
        ("Average", StatisticKind.AVERAGE, None, None, False, "Average"),
        ("Sum", StatisticKind.SUM, None, None, False, "Sum"),
        ("Minimum", StatisticKind.MINIMUM, None, None, False, "Minimum"),
        ("Maximum", StatisticKind.MAXIMUM, None, None, False, "Maximum"),
        ("p99", StatisticKind.PERCENTILE, None, "99", True, "p99"),
        ("p99.9", StatisticKind.PERCENTILE, None, "99.9", True, "p99.9"),
        ("p0.0", StatisticKind.PERCENTILE, None, "0", True, "p0.0"),
        ("p100", StatisticKind.PERCENTILE, None, "100", True, "p100"),
        ("p12.0123456789", StatisticKind.PERCENTILE, None, "12.0123456789", True, "p12.0123456789"),
        ("tm99", StatisticKind.TRIMMED_MEAN, None, "99", True, "tm99"),
        ("wm98", StatisticKind.WINSORIZED_MEAN, None, "98", True, "wm98"),
        ("tc90", StatisticKind.TRIMMED_COUNT, None, "90", True, "tc90"),
        ("ts90", StatisticKind.TRIMMED_SUM, None, "90", True, "ts90"),
        ("TM(10%:90%)", StatisticKind.TRIMMED_MEAN, "10", "90", True, "TM(10%:90%)"),
        ("tm(10%:90%)", StatisticKind.TRIMMED_MEAN, "10", "90", True, "TM(10%:90%)"),
        ("TM(:90%)", StatisticKind.TRIMMED_MEAN, None, "90", True, "TM(:90%)"),
        ("TM(10%:)", StatisticKind.TRIMMED_MEAN, "10", None, True, "TM(10%:)"),
        ("TM(150:1000)", StatisticKind.TRIMMED_MEAN, "150", "1000", False, "TM(150:1000)"),
        ("WM(10%:90%)", StatisticKind.WINSORIZED_MEAN, "10", "90", True, "WM(10%:90%)"),
        ("TC(0.005:0.030)", StatisticKind.TRIMMED_COUNT, "0.005", "0.03", False, "TC(0.005:0.030)"),
        ("ts(80:)", StatisticKind.TRIMMED_SUM, "80", None, False, "TS(80:)"),
        ("IQM", StatisticKind.TRIMMED_MEAN, "25", "75", True, "IQM"),
        ("PR(:300)", StatisticKind.PERCENTILE_RANK, None, "300", False, "PR(:300)"),
        ("PR(100:2000)", StatisticKind.PERCENTILE_RANK, "100", "2000", False, "PR(100:2000)"),
    ],
    ids=lambda v: v if isinstance(v, str) else None,
)
def test_parse_accepts_cloudwatch_forms(
    name: str,
    kind: StatisticKind,
    lower: str | None,
    upper: str | None,
    percent: bool,
    canonical: str,
) -> None:
    spec = parse_statistic(name)
    assert spec.kind is kind
    assert spec.lower == (None if lower is None else Fraction(lower))
    assert spec.upper == (None if upper is None else Fraction(upper))
    assert spec.percent_bounds is percent or spec.is_basic
    assert spec.name == canonical
    assert str(spec) == canonical


@pytest.mark.parametrize(
    ("name", "percentile"),
    [("p99", 0.99), ("p99.9", 0.999), ("p50", 0.5), ("p0.0", 0.0), ("p100", 1.0)],
    ids=["p99", "p99.9", "p50", "p0", "p100"],
)
def test_percentile_property_is_the_fraction(name: str, percentile: float) -> None:
    assert parse_statistic(name).percentile == percentile


@pytest.mark.parametrize("name", ["tm99", "IQM", "Average", "PR(:5)", "TM(10%:90%)"])
def test_percentile_property_is_none_for_other_statistics(name: str) -> None:
    assert parse_statistic(name).percentile is None


def test_spec_is_frozen_and_hashable() -> None:
    spec = parse_statistic("p99")
    with pytest.raises(AttributeError):
        spec.name = "p50"  # type: ignore[misc]
    assert {spec, parse_statistic("p99")} == {spec}
    assert isinstance(spec, StatisticSpec)


@pytest.mark.parametrize(
    ("name", "fragment"),
    [
        ("p101", "over 100"),
        ("p100.5", "over 100"),
        ("p99.12345678901", "more than 10 decimal places"),
        ("P99", "lowercase p"),
        ("p", "unknown statistic"),
        ("p-1", "unknown statistic"),
        ("p99.", "unknown statistic"),
        ("TM99", "lowercase only"),
        ("Tm99", "lowercase only"),
        ("sum", "case-sensitive"),
        ("average", "case-sensitive"),
        ("iqm", "IQM"),
        ("TM(90%:10%)", "less than the upper"),
        ("TM(50%:50%)", "less than the upper"),
        ("TM(1000:150)", "less than the upper"),
        ("TM(10%:90)", "both bounds"),
        ("TM(:)", "at least one bound"),
        ("TM(10%)", "one colon"),
        ("TM(10%:20%:30%)", "one colon"),
        ("TM(-5:10)", "non-negative decimal"),
        ("TM(abc:10)", "non-negative decimal"),
        ("TM(10%:101%)", "over 100"),
        ("PR(10%:90%)", "absolute metric values"),
        ("p 99", "unknown statistic"),
        ("", "unknown statistic"),
        ("Median", "unknown statistic"),
    ],
    ids=lambda v: v or "empty",
)
def test_parse_rejects_malformed_names_with_what_is_allowed(name: str, fragment: str) -> None:
    with pytest.raises(StatisticError) as info:
        parse_statistic(name, context="metric")
    assert fragment in info.value.message
    assert info.value.statistic == name


def test_unknown_statistic_message_lists_the_allowed_forms() -> None:
    with pytest.raises(StatisticError) as info:
        parse_statistic("Median")
    for form in ("SampleCount", "pNN", "tmNN", "TM/WM/TC/TS(a%:b%)", "IQM", "PR(lo:hi)"):
        assert form in info.value.message


def test_non_string_name_is_a_statistic_error() -> None:
    with pytest.raises(StatisticError):
        parse_statistic(99)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "name",
    ["TM(5%:95%)", "WM(9%:90%)", "TC(10%:91%)", "TS(:95%)", "TM(2%:98%)", "TM(0%:50%)"],
)
def test_alarm_context_limits_percent_ranges_to_10_through_90(name: str) -> None:
    # PutMetricAlarm's ExtendedStatistic: TC/TM/TS/WM(X%:X%) "where X is between 10 and 90
    # inclusive" [S4]; GetMetricData / MetricStat.Stat allow 0..100 [CW6].
    with pytest.raises(StatisticError, match="between 10 and 90"):
        parse_statistic(name)
    assert parse_statistic(name, context="metric").name == name


@pytest.mark.parametrize(
    "name", ["TM(10%:90%)", "TM(90%:)", "WM(10%:)", "tm99", "p99.9", "wm98", "TM(150:1000)"]
)
def test_alarm_context_accepts_in_range_percents_shorthands_and_absolute_bounds(name: str) -> None:
    assert parse_statistic(name).name == name


# ----------------------------------------------------------------------------------------------
# Hand-checked values
# ----------------------------------------------------------------------------------------------


HAND_CHECKED = [
    # (rule, statistic, samples, expected); the comment works the expected value out.
    # Basic statistics.
    ("samplecount", "SampleCount", [3, 1, 2], 3.0),
    ("sum", "Sum", [3, 1, 2], 6.0),
    ("average", "Average", [3, 1, 2, 2], 2.0),
    ("minimum", "Minimum", [3, 1, 2], 1.0),
    ("maximum", "Maximum", [3, 1, 2], 3.0),
    ("average-of-0/1-is-error-fraction", "Average", [0, 1, 0, 0], 0.25),
    ("basic-stats-allow-negatives", "Minimum", [-5, 2], -5.0),
    # Percentiles, nearest rank k = ceil(P n / 100).
    ("p99-of-1..100-is-99", "p99", ONE_TO_100, 99.0),  # k = ceil(99) = 99
    ("p99.9-of-1..100-is-100", "p99.9", ONE_TO_100, 100.0),  # k = ceil(99.9) = 100
    ("p99-of-10-samples-is-max", "p99", ONE_TO_10, 10.0),  # k = ceil(9.9) = 10
    ("p90-of-1..10-is-9", "p90", ONE_TO_10, 9.0),  # k = ceil(9) = 9
    ("p50-even-n-lower-middle", "p50", [4, 1, 3, 2], 2.0),  # k = ceil(2) = 2
    ("p50-odd-n-median", "p50", [5, 1, 4, 2, 3], 3.0),  # k = ceil(2.5) = 3
    ("p50-ties", "p50", [1, 1, 1, 5], 1.0),  # x(2) = 1
    ("p75-ties", "p75", [1, 1, 1, 5], 1.0),  # k = ceil(3) = 3 -> 1
    ("p76-ties", "p76", [1, 1, 1, 5], 5.0),  # k = ceil(3.04) = 4 -> 5
    ("p0-is-min", "p0", [3, 1, 2], 1.0),  # k = max(1, 0) = 1
    ("p0.0-is-min", "p0.0", [3, 1, 2], 1.0),
    ("p100-is-max", "p100", [3, 1, 2], 3.0),
    ("p1-one-sample", "p1", [7], 7.0),
    ("p99-one-sample", "p99", [7], 7.0),
    ("p-rank-exact-below-1", "p33.3333333333", [10, 20, 30], 10.0),  # ceil(0.999999999999) = 1
    ("p-rank-exact-above-1", "p33.3333333334", [10, 20, 30], 20.0),  # ceil(1.000000000002) = 2
    # Trimmed mean: keep ranks floor(a n)+1 .. ceil(b n).
    ("tm99-of-1..100", "tm99", ONE_TO_100, 50.0),  # ranks 1..99: mean(1..99) = 50
    ("tm90-of-1..10", "tm90", ONE_TO_10, 5.0),  # ranks 1..9: 45 / 9
    ("tm99-of-10-removes-nothing", "tm99", ONE_TO_10, 5.5),  # ceil(9.9) = 10
    ("TM(10%:90%)", "TM(10%:90%)", ONE_TO_10, 5.5),  # ranks 2..9: 44 / 8
    ("TM(10%:)-open-upper", "TM(10%:)", ONE_TO_10, 6.0),  # ranks 2..10: 54 / 9
    ("TM-fractional-ranks", "TM(15%:85%)", ONE_TO_10, 5.5),  # floor(1.5)+1 = 2 .. ceil(8.5) = 9
    ("TM(2%:98%)-of-10-removes-nothing", "TM(2%:98%)", ONE_TO_10, 5.5),  # 0.2 sample each end
    # Absolute bounds: 150 excluded (lower exclusive), 1000 included: (151 + 500 + 1000) / 3.
    (
        "TM-absolute-lower-excl-upper-incl",
        "TM(150:1000)",
        [100, 150, 151, 500, 1000, 1001],
        1651 / 3,
    ),
    ("IQM-of-4", "IQM", [1, 2, 3, 4], 2.5),  # ranks 2..3
    ("IQM-of-1..10", "IQM", ONE_TO_10, 5.5),  # floor(2.5)+1 = 3 .. ceil(7.5) = 8: 33 / 6
    ("IQM-of-1..100", "IQM", ONE_TO_100, 50.5),  # ranks 26..75
    ("IQM-one-sample", "IQM", [7], 7.0),  # floor(0.25)+1 = 1 .. ceil(0.75) = 1
    ("IQM-two-samples", "IQM", [1, 9], 5.0),  # floor(0.5)+1 = 1 .. ceil(1.5) = 2
    ("IQM-ties", "IQM", [1, 1, 1, 1, 100, 100, 100, 100], 50.5),  # ranks 3..6: 1, 1, 100, 100
    # Winsorized mean: clamp to the kept range's edges, average all n.
    ("wm90-of-1..10", "wm90", ONE_TO_10, 5.4),  # 10 -> 9: (45 + 9) / 10
    ("wm98-of-1..100", "wm98", ONE_TO_100, 50.47),  # 99, 100 -> 98: (4851 + 196) / 100
    ("WM(10%:90%)", "WM(10%:90%)", ONE_TO_10, 5.5),  # 1 -> 2, 10 -> 9: (2 + 44 + 9) / 10
    ("WM(20%:)", "WM(20%:)", ONE_TO_10, 5.8),  # 1, 2 -> 3: (3 + 3 + 52) / 10
    ("WM-absolute-clamps-to-bounds", "WM(2:8)", ONE_TO_10, 5.3),  # 2,2,3..8,8,8: 53 / 10
    ("WM-absolute-upper-only", "WM(:5)", [1, 10], 3.0),  # 10 -> 5: 6 / 2
    # Trimmed count and trimmed sum.
    ("tc90", "tc90", ONE_TO_10, 9.0),
    ("ts90", "ts90", ONE_TO_10, 45.0),
    ("TC(10%:90%)", "TC(10%:90%)", ONE_TO_10, 8.0),
    ("TS(10%:90%)", "TS(10%:90%)", ONE_TO_10, 44.0),
    ("TC-absolute-80-excl-500-incl", "TC(80:500)", [80, 81, 500, 501], 2.0),
    ("TC(:0.5)-includes-0.5", "TC(:0.5)", [0.25, 0.5, 0.75], 2.0),
    ("TC-decimal-bounds", "TC(0.005:0.030)", [0.005, 0.01, 0.03, 0.031], 2.0),
    ("TS(80%:)", "TS(80%:)", ONE_TO_10, 19.0),  # ranks 9..10
    ("TC-empty-range-is-0", "TC(20:30)", ONE_TO_10, 0.0),
    ("TS-empty-range-is-0", "TS(20:30)", ONE_TO_10, 0.0),
    # Percentile rank: percentage of samples in (lo, hi].
    ("PR(:300)-includes-300", "PR(:300)", [100, 300, 301, 500], 50.0),
    ("PR(100:2000)-excludes-100", "PR(100:2000)", [100, 300, 2000, 2001], 50.0),
    ("PR(5:)", "PR(5:)", ONE_TO_10, 50.0),
    ("PR-empty-range-is-0", "PR(20:30)", ONE_TO_10, 0.0),
]


@pytest.mark.parametrize(
    ("name", "samples", "expected"),
    [
        pytest.param(name, samples, expected, id=rule)
        for rule, name, samples, expected in HAND_CHECKED
    ],
)
def test_hand_checked_values(name: str, samples: list[float], expected: float) -> None:
    spec = parse_statistic(name, context="metric")
    result = compute_statistic(spec, np.asarray(samples, dtype=float))
    assert result is not None
    assert result == pytest.approx(expected, rel=1e-12)
    # The same through the name, a plain list and the histogram path.
    assert compute_statistic(name, samples) == result
    values, counts = np.unique(np.asarray(samples, dtype=float), return_counts=True)
    assert compute_from_histogram(spec, values, counts) == result


@pytest.mark.parametrize(
    "name",
    ["p99", "p0", "tm99", "IQM", "wm90", "tc90", "ts90", "TM(1:5)", "PR(:5)", "TC(:5)", "WM(1:)"],
)
def test_extended_statistics_are_unavailable_with_a_negative_sample(name: str) -> None:
    # CW6: "these type of statistics are not available for metrics when any of the metric
    # values are negative numbers" (CW3 says it of percentiles).
    samples = [5.0, -0.5, 3.0]
    assert compute_statistic(name, samples) is None
    assert compute_from_histogram(name, samples, [1, 1, 1]) is None


@pytest.mark.parametrize("name", ["Sum", "Average", "Minimum", "Maximum", "SampleCount"])
def test_basic_statistics_work_with_negative_samples(name: str) -> None:
    assert compute_statistic(name, [5.0, -0.5, 3.0]) is not None


def test_negative_zero_is_not_negative() -> None:
    assert compute_statistic("p50", [-0.0, 1.0]) == 0.0


@pytest.mark.parametrize(
    "name", ["SampleCount", "Sum", "Average", "Minimum", "Maximum", "p99", "IQM", "TC(1:2)"]
)
def test_no_samples_means_no_datapoint(name: str) -> None:
    assert compute_statistic(name, []) is None
    assert compute_from_histogram(name, [], []) is None
    assert compute_from_histogram(name, [1.0, 2.0], [0, 0]) is None
    assert compute_from_summary(name, SampleSummary.empty()) is None


@pytest.mark.parametrize(("name", "expected"), [("tm0", None), ("wm0", None), ("tc0", 0.0)])
def test_trimming_everything(name: str, expected: float | None) -> None:
    assert compute_statistic(parse_statistic(name), ONE_TO_10) == expected


def test_trimmed_mean_of_an_empty_absolute_range_is_none() -> None:
    assert compute_statistic("TM(20:30)", ONE_TO_10) is None


def test_samples_must_be_one_dimensional() -> None:
    with pytest.raises(ValueError, match="one-dimensional"):
        compute_statistic("Sum", np.ones((2, 2)))


@pytest.mark.parametrize(
    ("values", "counts", "message"),
    [
        ([1.0, 2.0], [1], "same length"),
        ([1.0], [-1], "negative"),
        ([1.0], [0.5], "whole numbers"),
        ([[1.0]], [[1]], "1-D"),
    ],
    ids=["length", "negative", "fractional", "2-D"],
)
def test_histogram_rejects_bad_counts(values: object, counts: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        compute_from_histogram("Sum", values, counts)  # type: ignore[arg-type]


def test_histogram_accepts_whole_float_counts_and_repeated_unsorted_values() -> None:
    assert compute_from_histogram("p50", [3.0, 1.0, 3.0], [1.0, 2.0, 1.0]) == 1.0
    assert compute_from_histogram("Sum", [3.0, 1.0, 3.0], [1, 2, 1]) == 8.0


# ----------------------------------------------------------------------------------------------
# Summaries
# ----------------------------------------------------------------------------------------------


def test_summary_of_and_merge() -> None:
    a = SampleSummary.of([1.0, 2.0, 3.0])
    b = SampleSummary.of([10.0])
    assert a == SampleSummary(3, 6.0, 1.0, 3.0)
    assert a.merge(b) == SampleSummary(4, 16.0, 1.0, 10.0)
    assert a + b == a.merge(b)
    assert SampleSummary.combine([a, b, SampleSummary.empty()]) == a.merge(b)
    assert SampleSummary.combine([]) == SampleSummary.empty()
    assert SampleSummary.of([]) == SampleSummary.empty()
    assert SampleSummary.empty().merge(a) == a


@pytest.mark.parametrize(
    ("name", "expected"),
    [("SampleCount", 4.0), ("Sum", 10.0), ("Average", 2.5), ("Minimum", 1.0), ("Maximum", 4.0)],
)
def test_summary_basic_statistics(name: str, expected: float) -> None:
    assert compute_from_summary(name, SampleSummary(4, 10.0, 1.0, 4.0)) == expected


@pytest.mark.parametrize("name", ["p99", "tm99", "IQM", "wm90", "tc90", "ts90", "PR(:3)"])
def test_summary_extended_statistics_need_raw_values(name: str) -> None:
    with pytest.raises(StatisticError, match="needs raw values"):
        compute_from_summary(name, SampleSummary(4, 10.0, 1.0, 4.0))


@pytest.mark.parametrize(
    ("name", "summary", "expected"),
    [
        ("p99", SampleSummary(1, 7.0, 7.0, 7.0), 7.0),  # SampleCount 1, Min = Max = Sum
        ("p50", SampleSummary(5, 15.0, 3.0, 3.0), 3.0),  # Min = Max, Sum = Min x SampleCount
        ("tc90", SampleSummary(10, 30.0, 3.0, 3.0), 9.0),
        ("PR(:2)", SampleSummary(5, 15.0, 3.0, 3.0), 0.0),
    ],
    ids=["one-sample", "uniform", "uniform-tc", "uniform-pr"],
)
def test_summary_extended_statistics_when_all_samples_are_equal(
    name: str, summary: SampleSummary, expected: float
) -> None:
    # CW6: percentiles are available from a statistic set when SampleCount is 1 and Min, Max and
    # Sum are equal, or when Min = Max and Sum = Min x SampleCount.
    assert compute_from_summary(name, summary) == expected


# ----------------------------------------------------------------------------------------------
# Low sample counts [CW3]
# ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "threshold"),
    [
        ("p99", 1000.0),  # 10 / (1 - 0.99)
        ("p95", 200.0),
        ("p90", 100.0),
        ("p50", 20.0),  # 0.5 is in [0.5, 1): 10 / (1 - 0.5)
        ("p10", 100.0),  # (0, 0.5): 10 / 0.1
        ("p49", 10 / 0.49),
        ("p99.9", 10000.0),
        ("p1", 1000.0),
        ("p0", None),  # minimum: exact with any sample count
        ("p0.0", None),
        ("p100", None),  # maximum
        ("tm99", None),  # CW3 applies to percentiles only
        ("IQM", None),
        ("Average", None),
    ],
)
def test_low_sample_count_threshold(name: str, threshold: float | None) -> None:
    result = low_sample_count_threshold(parse_statistic(name))
    if threshold is None:
        assert result is None
    else:
        assert result == pytest.approx(threshold, rel=1e-15)
    assert low_sample_count_threshold(name) == result


@pytest.mark.parametrize(
    ("name", "count", "low"),
    [
        ("p99", 999, True),
        ("p99", 1000, False),
        ("p95", 199, True),
        ("p95", 200, False),
        ("p90", 99, True),
        ("p90", 100, False),
        ("p50", 19, True),
        ("p50", 20, False),
        ("p10", 99, True),
        ("p10", 100, False),
        ("p100", 0, False),
        ("Average", 0, False),
    ],
)
def test_has_low_sample_count_boundaries(name: str, count: int, low: bool) -> None:
    assert has_low_sample_count(parse_statistic(name), count) is low


# ----------------------------------------------------------------------------------------------
# Property tests against an independent reference
# ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RefStat:
    """An extended or basic statistic described independently of the parser."""

    name: str
    kind: str  # "count", "sum", "avg", "min", "max", "p", "TM", "WM", "TC", "TS", "PR"
    lower: str | None = None
    upper: str | None = None
    percent: bool = False


def reference(stat: RefStat, samples: list[float]) -> float | None:
    """Sort, index by the documented rank rule, compute in plain Python."""
    xs = sorted(samples)
    n = len(xs)
    if n == 0:
        return None
    if stat.kind == "count":
        return float(n)
    if stat.kind == "sum":
        return math.fsum(xs)
    if stat.kind == "avg":
        return math.fsum(xs) / n
    if stat.kind == "min":
        return xs[0]
    if stat.kind == "max":
        return xs[-1]
    if xs[0] < 0:
        return None
    if stat.percent:
        # Exact rational ranks: the bounds as written, not as binary floats.
        lo_q = None if stat.lower is None else Fraction(stat.lower)
        hi_q = None if stat.upper is None else Fraction(stat.upper)
        if stat.kind == "p":
            assert hi_q is not None
            return xs[max(1, math.ceil(hi_q * n / 100)) - 1]
        first = 0 if lo_q is None else math.floor(lo_q * n / 100)  # ranks removed at the bottom
        last = n if hi_q is None else math.ceil(hi_q * n / 100)  # last rank kept
        kept = xs[first:last]
        if stat.kind == "WM":
            if not kept:
                return None
            return math.fsum(min(max(x, kept[0]), kept[-1]) for x in xs) / n
    else:
        # Absolute bounds compare with the bound as a float (TC(:0.1) keeps a sample of 0.1).
        lo = -math.inf if stat.lower is None else float(stat.lower)
        hi = math.inf if stat.upper is None else float(stat.upper)
        kept = [x for x in xs if lo < x <= hi]
        if stat.kind == "PR":
            return 100.0 * len(kept) / n
        if stat.kind == "WM":
            return math.fsum(min(max(x, lo), hi) for x in xs) / n
    if stat.kind == "TC":
        return float(len(kept))
    if stat.kind == "TS":
        return math.fsum(kept)
    assert stat.kind == "TM"
    return math.fsum(kept) / len(kept) if kept else None


percent_texts = st.one_of(
    st.integers(0, 100).map(str),
    st.tuples(st.integers(0, 99), st.integers(0, 10**4)).map(lambda t: f"{t[0]}.{t[1]:04d}"),
)
absolute_texts = st.one_of(
    st.integers(0, 60).map(str),
    st.tuples(st.integers(0, 60), st.integers(0, 99)).map(lambda t: f"{t[0]}.{t[1]:02d}"),
)


@st.composite
def ref_stats(draw: st.DrawFn) -> RefStat:
    basic = {"SampleCount": "count", "Sum": "sum", "Average": "avg"}
    basic |= {"Minimum": "min", "Maximum": "max"}
    choice = draw(st.sampled_from(["basic", "p", "short", "IQM", "range-%", "range-abs", "PR"]))
    if choice == "basic":
        name = draw(st.sampled_from(sorted(basic)))
        return RefStat(name, basic[name])
    if choice == "p":
        text = draw(percent_texts)
        return RefStat(f"p{text}", "p", None, text, True)
    if choice == "IQM":
        return RefStat("IQM", "TM", "25", "75", True)
    kind = draw(st.sampled_from(["TM", "WM", "TC", "TS"]))
    if choice == "short":
        text = draw(percent_texts)
        return RefStat(f"{kind.lower()}{text}", kind, None, text, True)
    texts = percent_texts if choice == "range-%" else absolute_texts
    if choice == "PR":
        kind = "PR"
    lower = draw(st.none() | texts)
    upper = draw(st.none() | texts)
    if lower is None and upper is None:
        upper = draw(texts)
    if lower is not None and upper is not None:
        a, b = sorted([lower, upper], key=Fraction)
        if Fraction(a) == Fraction(b):
            b = str(Decimal(b) + 1) if choice != "range-%" else "100"
            if Fraction(a) == 100:
                a = "99"
        lower, upper = a, b
    sign = "%" if choice == "range-%" else ""
    name = (
        f"{kind}({'' if lower is None else lower + sign}:{'' if upper is None else upper + sign})"
    )
    return RefStat(name, kind, lower, upper, choice == "range-%")


# Ties (small integers and quarters), a single sample, negative values, and wide floats.
sample_lists = st.one_of(
    st.lists(st.integers(0, 12).map(lambda i: i / 4), min_size=1, max_size=60),
    st.lists(st.integers(-3, 40).map(float), min_size=1, max_size=60),
    st.lists(st.floats(0, 1e6, allow_nan=False), min_size=1, max_size=60),
    st.lists(st.floats(-1e3, 1e3, allow_nan=False), min_size=1, max_size=20),
    st.floats(0, 100, allow_nan=False).map(lambda x: [x]),
)


@settings(max_examples=400, deadline=None, derandomize=True)
@given(stat=ref_stats(), samples=sample_lists)
@example(stat=RefStat("p99", "p", None, "99", True), samples=[float(i) for i in range(1, 101)])
@example(stat=RefStat("IQM", "TM", "25", "75", True), samples=[7.0])
@example(stat=RefStat("TM(10%:90%)", "TM", "10", "90", True), samples=[1.0, 1.0, 1.0, 1.0])
def test_every_statistic_agrees_with_the_reference(stat: RefStat, samples: list[float]) -> None:
    spec = parse_statistic(stat.name, context="metric")
    expected = reference(stat, samples)
    result = compute_from_samples(spec, np.asarray(samples))
    if expected is None:
        assert result is None
    else:
        assert result is not None
        assert result == pytest.approx(expected, rel=1e-9, abs=1e-9)


@settings(max_examples=300, deadline=None, derandomize=True)
@given(stat=ref_stats(), samples=sample_lists, data=st.data())
def test_histogram_is_identical_to_raw_samples(
    stat: RefStat, samples: list[float], data: st.DataObject
) -> None:
    spec = parse_statistic(stat.name, context="metric")
    raw = compute_from_samples(spec, samples)
    # A histogram of the same multiset, split into arbitrary shuffled chunks with zero counts.
    values, counts = np.unique(np.asarray(samples), return_counts=True)
    pieces_v: list[float] = []
    pieces_c: list[int] = []
    for v, c in zip(values.tolist(), counts.tolist(), strict=True):
        first = data.draw(st.integers(0, c))
        pieces_v += [v, v, v]
        pieces_c += [first, c - first, 0]
    order = data.draw(st.permutations(range(len(pieces_v))))
    hist = compute_from_histogram(
        spec, np.asarray(pieces_v)[list(order)], np.asarray(pieces_c)[list(order)]
    )
    assert hist == raw or (hist is None and raw is None)


@settings(max_examples=200, deadline=None, derandomize=True)
@given(samples=sample_lists, split=st.integers(0, 60))
def test_summary_agrees_with_raw_samples(samples: list[float], split: int) -> None:
    whole = SampleSummary.of(samples)
    for name in ("SampleCount", "Sum", "Average", "Minimum", "Maximum"):
        assert compute_from_summary(name, whole) == compute_statistic(name, samples)
    # Merging summaries of two parts gives the same count, min and max, and the same sum up to
    # rounding (floating-point addition is not associative).
    merged = SampleSummary.of(samples[:split]).merge(SampleSummary.of(samples[split:]))
    assert merged.sample_count == whole.sample_count
    assert merged.minimum == whole.minimum
    assert merged.maximum == whole.maximum
    assert merged.sum == pytest.approx(whole.sum, rel=1e-9, abs=1e-6)


@settings(max_examples=100, deadline=None, derandomize=True)
@given(value=st.floats(0, 1e6, allow_nan=False), count=st.integers(1, 10**6), stat=ref_stats())
def test_uniform_summary_agrees_with_histogram(value: float, count: int, stat: RefStat) -> None:
    summary = SampleSummary(count, value * count, value, value)
    spec = parse_statistic(stat.name, context="metric")
    assert compute_from_summary(spec, summary) == pytest.approx(
        compute_from_histogram(spec, [value], [count])
    )


@settings(max_examples=200, deadline=None, derandomize=True)
@given(text=percent_texts)
def test_low_sample_threshold_matches_cw3_formula(text: str) -> None:
    p = Fraction(text) / 100
    threshold = low_sample_count_threshold(f"p{text}")
    if p in (0, 1):
        assert threshold is None
    elif p >= Fraction(1, 2):
        assert threshold == float(10 / (1 - p))
    else:
        assert threshold == float(10 / p)


def test_large_sample_percentiles_with_fixed_seed() -> None:
    rng = np.random.default_rng(20240611)
    samples = rng.lognormal(mean=3.0, sigma=0.5, size=100_000)
    xs = np.sort(samples)
    assert compute_statistic("p99", samples) == xs[99_000 - 1]
    assert compute_statistic("p99.9", samples) == xs[99_900 - 1]
    assert compute_statistic("tm99", samples) == pytest.approx(xs[:99_000].mean(), rel=1e-12)
    assert compute_statistic("IQM", samples) == pytest.approx(xs[25_000:75_000].mean(), rel=1e-12)
