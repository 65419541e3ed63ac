"""Table tests of CloudWatch alarm evaluation (aws-model.md #evaluation-schedule, #m-out-of-n,
#missing-data, #low-sample-percentiles; Tables A and B are ground truth)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np
import pytest

from guardsim.cloudwatch.alarm import (
    DEFAULT_EVALUATION_RANGE,
    AlarmError,
    AlarmEvaluation,
    AlarmRule,
    AlarmState,
    ComparisonOperator,
    EvaluationRangeRule,
    LowSampleScope,
    TreatMissingData,
    as_alarm_rule,
    evaluate_alarm,
)
from guardsim.cloudwatch.statistics import has_low_sample_count, parse_statistic

OK, ALARM, INSUFFICIENT = AlarmState.OK, AlarmState.ALARM, AlarmState.INSUFFICIENT_DATA
ALL_STATES = (OK, ALARM, INSUFFICIENT)
THRESHOLD = 0.5
#: Table symbols: X breaches (>= 0.5), 0 does not, - is missing.
SYMBOLS: Mapping[str, float | None] = {"X": 1.0, "0": 0.0, "-": None}
TMD_COLUMNS = ("missing", "ignore", "breaching", "notBreaching")
KEEP = "keep"


def kwargs(**overrides: Any) -> dict[str, Any]:
    """put_metric_alarm kwargs for an Average >= 0.5 alarm, N = M = 3."""
    base: dict[str, Any] = {
        "AlarmName": "new-fleet-5xx",
        "Namespace": "AWS/SageMaker",
        "MetricName": "Invocation5XXErrors",
        "Statistic": "Average",
        "Period": 60,
        "EvaluationPeriods": 3,
        "Threshold": THRESHOLD,
        "ComparisonOperator": "GreaterThanOrEqualToThreshold",
    }
    base.update(overrides)
    return base


def rule(**overrides: Any) -> AlarmRule:
    return AlarmRule.from_kwargs(kwargs(**overrides))


def data(pattern: str) -> list[float | None]:
    return [SYMBOLS[c] for c in pattern.split()]


# --------------------------------------------------------------------------------------------
# Tables A and B (CW2, aws-model.md #missing-data): every row, every TreatMissingData column
# --------------------------------------------------------------------------------------------

# (row, rule name, data, datapoints filled, outcomes per column missing/ignore/breaching/notB.)
TABLE_A = [  # N = M = 3, range 5
    (1, "reach-back", "0 - X - X", 0, (OK, OK, OK, OK)),
    (2, "one-real-fill-two", "0 - - - -", 2, (OK, OK, OK, OK)),
    (3, "all-missing", "- - - - -", 3, (INSUFFICIENT, KEEP, ALARM, OK)),
    (4, "most-recent-real", "0 X X - X", 0, (ALARM, ALARM, ALARM, ALARM)),
    (5, "premature", "- - X - -", 2, (ALARM, KEEP, ALARM, OK)),
]
TABLE_B = [  # N = 3, M = 2, range 5
    (1, "reach-back", "0 - X - X", 0, (ALARM, ALARM, ALARM, ALARM)),
    (2, "no-gaps", "0 0 X 0 X", 0, (ALARM, ALARM, ALARM, ALARM)),
    (3, "compact-window", "0 - X - -", 1, (OK, OK, ALARM, OK)),
    (4, "one-real-fill-two", "- - - - 0", 2, (OK, OK, ALARM, OK)),
    (5, "premature", "- - - X -", 2, (ALARM, KEEP, ALARM, OK)),
]


def _table_cases() -> list[Any]:
    cases = []
    for table, m, rows in (("A", 3, TABLE_A), ("B", 2, TABLE_B)):
        for row, name, pattern, filled, outcomes in rows:
            for tmd, expected in zip(TMD_COLUMNS, outcomes, strict=True):
                cases.append(
                    pytest.param(
                        m, pattern, filled, tmd, expected, id=f"table{table}-row{row}-{name}-{tmd}"
                    )
                )
    return cases


@pytest.mark.parametrize(("m", "pattern", "filled", "tmd", "expected"), _table_cases())
def test_missing_data_tables(
    m: int, pattern: str, filled: int, tmd: str, expected: AlarmState | str
) -> None:
    alarm = rule(DatapointsToAlarm=m, TreatMissingData=tmd)
    assert alarm.range_length == 5
    for previous in ALL_STATES:
        result = alarm.evaluate(data(pattern), previous)
        want = previous if expected == KEEP else expected
        assert result.state is want, (previous, result.reason)
        assert result.changed is (want is not previous)
        assert len(result.evaluated) == 3
        # The tables' "# to fill" column: how many missing datapoints the N-window uses.
        assert result.evaluated.count(None) == filled
        # The same through the public entry point with kwargs.
        same = evaluate_alarm(
            kwargs(DatapointsToAlarm=m, TreatMissingData=tmd), data(pattern), previous
        )
        assert same == result


def test_table_a_row2_breaching_alarms_once_the_zero_leaves_the_range() -> None:
    """The note under Table A: with breaching, ALARM at the next evaluation."""
    alarm = rule(TreatMissingData="breaching")
    assert alarm.evaluate(data("0 - - - -"), OK).state is OK
    assert alarm.evaluate(data("- - - - -"), OK).state is ALARM


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        pytest.param("- - - - X", OK, id="newest-breach-too-young"),
        pytest.param("- - - X -", OK, id="breach-two-old-too-young"),
        pytest.param("- - X - -", ALARM, id="breach-three-old"),
        pytest.param("- X - - -", ALARM, id="older-breach-kept-in-window"),
        pytest.param("X - - - -", ALARM, id="oldest-breach-kept-in-window"),
        pytest.param("- - X 0 -", OK, id="newer-real-ok-point-blocks"),
        pytest.param("- - X X -", ALARM, id="breaching-or-missing-after"),
    ],
)
def test_premature_rule_at_n_equals_m_three(pattern: str, expected: AlarmState) -> None:
    result = rule(TreatMissingData="missing").evaluate(data(pattern), OK)
    assert result.state is expected, result.reason


@pytest.mark.parametrize(("m", "pattern", "filled", "tmd", "expected"), _table_cases())
def test_the_knowledge_center_reading_agrees_with_the_tables(
    m: int, pattern: str, filled: int, tmd: str, expected: AlarmState | str
) -> None:
    """Both readings of the premature-alarm rule give every row of Tables A and B."""
    alarm = AlarmRule.from_kwargs(
        kwargs(DatapointsToAlarm=m, TreatMissingData=tmd), premature_reading="whole-window"
    )
    for previous in ALL_STATES:
        result = alarm.evaluate(data(pattern), previous)
        assert result.state is (previous if expected == KEEP else expected), result.reason


#: The patterns the docs do not decide: a real non-breaching datapoint older than the breach.
#: (N, M, TreatMissingData, pattern, state from OK under "newer", under "whole-window")
DISPUTED = [
    (3, 2, "missing", "- - 0 X -", ALARM, OK),
    (4, 3, "missing", "0 - X - X -", ALARM, OK),
    (3, 2, "ignore", "- - 0 X -", OK, OK),  # newer: the state (OK) is kept; whole: evaluated OK
    (3, 3, "missing", "- - X - -", ALARM, ALARM),  # no older real point: they agree (Table A 5)
    (3, 2, "notBreaching", "- - 0 X -", OK, OK),  # filled points are real: the rule adds nothing
]


@pytest.mark.parametrize(("n", "m", "tmd", "pattern", "newer", "whole"), DISPUTED)
def test_the_two_premature_readings_on_the_disputed_patterns(
    n: int, m: int, tmd: str, pattern: str, newer: AlarmState, whole: AlarmState
) -> None:
    kw = kwargs(EvaluationPeriods=n, DatapointsToAlarm=m, TreatMissingData=tmd)
    for reading, want in (("newer", newer), ("whole-window", whole)):
        for previous in (OK, ALARM):
            result = AlarmRule.from_kwargs(kw, premature_reading=reading).evaluate(
                data(pattern), previous
            )
            expected = previous if (tmd == "ignore" and reading == "newer") else want
            assert result.state is expected, (reading, previous, result.reason)


def test_the_premature_reading_is_an_environment_setting() -> None:
    from guardsim.scenarios.environment import Environment

    kw = kwargs(DatapointsToAlarm=2)
    newer = Environment().alarm_rule(kw)
    whole = Environment(premature_alarm_reading="whole-window").alarm_rule(kw)
    assert newer.evaluate(data("- - 0 X -"), OK).state is ALARM
    assert whole.evaluate(data("- - 0 X -"), OK).state is OK
    assert newer.range_length == whole.range_length == 5  # N + evaluation_range_extra_periods


def test_premature_alarm_needs_fewer_than_m_breaches() -> None:
    result = rule().evaluate(data("- - X - -"), OK)
    assert result.state is ALARM
    assert result.breaching_count == 1 < 3


def test_interior_gap_choice_for_wide_real_points() -> None:
    """Case (b) of the window rule: the most recent interior gap is kept (N=4, M=3)."""
    alarm = rule(EvaluationPeriods=4, DatapointsToAlarm=3)
    result = alarm.evaluate(data("0 - X - X -"), OK)
    assert result.evaluated == (0.0, 1.0, None, 1.0)
    assert result.state is ALARM
    assert result.reason.startswith("premature alarm:")


# --------------------------------------------------------------------------------------------
# Comparison operators at, just above and just below the threshold
# --------------------------------------------------------------------------------------------

ABOVE = math.nextafter(THRESHOLD, math.inf)
BELOW = math.nextafter(THRESHOLD, -math.inf)
OPERATOR_TABLE = [
    # operator, value, breaches
    ("GreaterThanOrEqualToThreshold", THRESHOLD, True),
    ("GreaterThanOrEqualToThreshold", ABOVE, True),
    ("GreaterThanOrEqualToThreshold", BELOW, False),
    ("GreaterThanThreshold", THRESHOLD, False),
    ("GreaterThanThreshold", ABOVE, True),
    ("GreaterThanThreshold", BELOW, False),
    ("LessThanThreshold", THRESHOLD, False),
    ("LessThanThreshold", ABOVE, False),
    ("LessThanThreshold", BELOW, True),
    ("LessThanOrEqualToThreshold", THRESHOLD, True),
    ("LessThanOrEqualToThreshold", ABOVE, False),
    ("LessThanOrEqualToThreshold", BELOW, True),
]


def _where(value: float) -> str:
    return "at" if value == THRESHOLD else "above" if value > THRESHOLD else "below"


@pytest.mark.parametrize(
    ("op", "value", "breaches"),
    [pytest.param(op, v, b, id=f"{op}-{_where(v)}") for op, v, b in OPERATOR_TABLE],
)
def test_comparison_operators(op: str, value: float, breaches: bool) -> None:
    alarm = rule(ComparisonOperator=op, EvaluationPeriods=1)
    assert alarm.breaches(value) is breaches
    result = alarm.evaluate([value], OK)
    assert result.state is (ALARM if breaches else OK)
    assert result.breaching_count == int(breaches)
    symbol = ComparisonOperator(op).symbol
    assert f"] {symbol} 0.5" in result.reason


# --------------------------------------------------------------------------------------------
# M of N, not consecutive; gaps with >= N real points (reaching back)
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("pattern", "m", "expected", "count"),
    [
        pytest.param("X 0 X 0 X", 3, ALARM, 3, id="3-of-5-alternating"),
        pytest.param("X X 0 0 0", 3, OK, 2, id="2-of-5-below-m"),
        pytest.param("0 X 0 0 X", 2, ALARM, 2, id="2-of-5-far-apart"),
        pytest.param("0 0 0 0 X", 1, ALARM, 1, id="1-of-5"),
        pytest.param("X X X X 0", 5, OK, 4, id="4-of-5-at-m5"),
    ],
)
def test_m_of_n_need_not_be_consecutive(
    pattern: str, m: int, expected: AlarmState, count: int
) -> None:
    result = rule(EvaluationPeriods=5, DatapointsToAlarm=m).evaluate(data(pattern), OK)
    assert result.state is expected
    assert result.breaching_count == count


@pytest.mark.parametrize(
    ("pattern", "m", "evaluated", "expected"),
    [
        pytest.param("X 0 - X - X", 3, (0.0, 1.0, 1.0), OK, id="skips-gaps-m3"),
        pytest.param("X 0 - X - X", 2, (0.0, 1.0, 1.0), ALARM, id="skips-gaps-m2"),
        pytest.param("X X - - X -", 3, (1.0, 1.0, 1.0), ALARM, id="reaches-to-oldest"),
        pytest.param("0 X X - - X - ", 3, (1.0, 1.0, 1.0), ALARM, id="ignores-older-than-n"),
    ],
)
def test_gaps_with_enough_real_points_reach_back(
    pattern: str, m: int, evaluated: tuple[float, ...], expected: AlarmState
) -> None:
    """Range 6 or 7: the N most recent real datapoints, whatever TreatMissingData says."""
    points = data(pattern)
    for tmd in TMD_COLUMNS:
        result = rule(DatapointsToAlarm=m, TreatMissingData=tmd).evaluate(
            points, INSUFFICIENT, evaluation_range=len(points)
        )
        assert result.evaluated == evaluated
        assert result.state is expected


def test_evaluation_range_decides_how_far_back_real_points_are_found() -> None:
    points = data("X X - - - X")
    alarm = rule()
    # Range 5 (the default for N=3) reads "X - - - X": two real points, so the N-window is
    # filled (case b: the newest interior gap); range 6 reaches the third real point.
    assert alarm.evaluate(points, OK).evaluated == (1.0, None, 1.0)
    assert alarm.evaluate(points, OK, evaluation_range=6).evaluated == (1.0, 1.0, 1.0)
    assert alarm.evaluate(points, OK, evaluation_range=6).state is ALARM
    # A rule compiled with a longer range uses it by default.
    longer = AlarmRule.from_kwargs(kwargs(), evaluation_range=6)
    assert longer.range_length == 6
    assert longer.evaluate(points, OK).state is ALARM


def test_fewer_datapoints_than_the_range_are_padded_as_missing() -> None:
    alarm = rule()
    assert alarm.evaluate([1.0, 1.0, 1.0], OK).state is ALARM
    assert alarm.evaluate([1.0], OK) == alarm.evaluate(data("- - - - X"), OK)
    assert alarm.evaluate([], OK).reason == (
        "all 5 datapoints in the evaluation range are missing (TreatMissingData=missing)"
    )


def test_nan_is_missing() -> None:
    alarm = rule()
    nan = float("nan")
    assert alarm.evaluate([nan, nan, 1.0, nan, nan], OK) == alarm.evaluate(data("- - X - -"), OK)


def test_iterables_and_numpy_values_are_accepted() -> None:
    alarm = rule()
    expected = alarm.evaluate([0.1, 0.6, 0.7, 0.8, 0.9], OK)
    assert alarm.evaluate(np.array([0.1, 0.6, 0.7, 0.8, 0.9]), OK).state is expected.state
    assert alarm.evaluate(iter([0.1, 0.6, 0.7, 0.8, 0.9]), OK) == expected


# --------------------------------------------------------------------------------------------
# Low sample counts for percentiles (CW3, aws-model.md #low-sample-percentiles)
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("policy", "samples", "expected"),
    [
        pytest.param("ignore", 999, OK, id="ignore-999-keeps-state"),
        pytest.param("ignore", 1000, ALARM, id="ignore-1000-evaluates"),
        pytest.param("evaluate", 999, ALARM, id="evaluate-999-evaluates"),
        pytest.param("evaluate", 1000, ALARM, id="evaluate-1000-evaluates"),
    ],
)
def test_low_sample_rule_at_p99_boundary(policy: str, samples: int, expected: AlarmState) -> None:
    alarm = rule(
        Statistic=None,
        ExtendedStatistic="p99",
        EvaluateLowSampleCountPercentile=policy,
        Threshold=2.0,
        ComparisonOperator="GreaterThanThreshold",
    )
    result = alarm.evaluate([3.0] * 5, OK, sample_counts=[5000, 5000, 5000, 5000, samples])
    assert result.state is expected
    assert result.breaching_count == 3
    assert result.evaluated == (3.0, 3.0, 3.0)


def test_low_sample_rule_keeps_every_state_and_reports_why() -> None:
    alarm = rule(Statistic=None, ExtendedStatistic="p99", EvaluateLowSampleCountPercentile="ignore")
    for previous in ALL_STATES:
        result = alarm.evaluate([0.0] * 5, previous, sample_counts=[12] * 5)
        assert result.state is previous
        assert not result.changed
        assert result.reason == (
            "too few samples for p99 (12 < 1000); "
            "state kept (EvaluateLowSampleCountPercentile=ignore)"
        )


def test_low_sample_scope_newest_vs_any() -> None:
    """Only the newest real datapoint counts by default; ``any`` checks the whole N-window."""
    kw = kwargs(Statistic=None, ExtendedStatistic="p99", EvaluateLowSampleCountPercentile="ignore")
    points = [1.0, 1.0, 1.0, None, 1.0]  # N-window: positions 1, 2, 4
    counts: list[float | None] = [5000, 10, 5000, None, 5000]
    newest = AlarmRule.from_kwargs(kw)
    anywhere = AlarmRule.from_kwargs(kw, low_sample_scope=LowSampleScope.ANY)
    assert newest.evaluate(points, OK, sample_counts=counts).state is ALARM
    assert anywhere.evaluate(points, OK, sample_counts=counts).state is OK
    # A low count outside the N-window never matters.
    counts = [10, 5000, 5000, None, 5000]
    assert anywhere.evaluate(points, OK, sample_counts=counts).state is ALARM
    # The newest *real* datapoint decides, not a newer missing one.
    counts = [5000, 5000, 5000, 10, None]
    assert newest.evaluate([1.0, 1.0, 1.0, 1.0, None], OK, sample_counts=counts).state is OK


def test_low_sample_rule_needs_counts_for_checked_points_and_matching_lengths() -> None:
    alarm = rule(Statistic=None, ExtendedStatistic="p99", EvaluateLowSampleCountPercentile="ignore")
    with pytest.raises(AlarmError, match="sample_counts has 2 entries for 5 datapoints"):
        alarm.evaluate([1.0] * 5, OK, sample_counts=[1, 2])
    with pytest.raises(AlarmError, match=r"sample_counts\[4\] is None"):
        alarm.evaluate([1.0] * 5, OK, sample_counts=[1, 1, 1, 1, None])


def test_low_sample_rule_does_not_apply_to_other_statistics_or_all_missing() -> None:
    alarm = rule(EvaluateLowSampleCountPercentile="ignore")  # Average
    assert alarm.evaluate([1.0] * 5, OK, sample_counts=[1] * 5).state is ALARM
    p99 = rule(Statistic=None, ExtendedStatistic="p99", EvaluateLowSampleCountPercentile="ignore")
    assert p99.evaluate([None] * 5, OK, sample_counts=[None] * 5).state is INSUFFICIENT


@pytest.mark.parametrize(
    ("statistic", "below", "at"),
    [
        ("p99", 999, 1000),
        ("p95", 199, 200),
        ("p50", 19, 20),
        ("p10", 99, 100),
        ("p99.9", 9999, 10000),
    ],
)
def test_low_sample_threshold_agrees_with_statistics_module(
    statistic: str, below: int, at: int
) -> None:
    alarm = rule(
        Statistic=None, ExtendedStatistic=statistic, EvaluateLowSampleCountPercentile="ignore"
    )
    spec = parse_statistic(statistic)
    for count in (below, at):
        held = alarm.evaluate([1.0] * 5, OK, sample_counts=[count] * 5).state is OK
        assert held is has_low_sample_count(spec, count)
    assert alarm.evaluate([1.0] * 5, OK, sample_counts=[below] * 5).state is OK
    assert alarm.evaluate([1.0] * 5, OK, sample_counts=[at] * 5).state is ALARM


# --------------------------------------------------------------------------------------------
# Reasons (user-facing text)
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "points", "reason"),
    [
        pytest.param(
            {"Threshold": 0.3}, [0.1, 0.2, 0.41, 0.38, 0.52],
            "3 of 3 datapoints [0.41, 0.38, 0.52] >= 0.3", id="all-breach",
        ),
        pytest.param(
            {"Threshold": 0.3, "DatapointsToAlarm": 2}, [0.1, 0.2, 0.41, 0.0, 0.52],
            "2 of 3 datapoints [0.41 (breaching), 0.0, 0.52 (breaching)] >= 0.3 "
            "(at least 2 needed for ALARM)", id="m-of-n-alarm",
        ),
        pytest.param(
            {"Threshold": 0.3}, [0.9, 0.9, 0.0, 0.0, 0.0],
            "0 of 3 datapoints [0.0, 0.0, 0.0] >= 0.3 (at least 3 needed for ALARM)", id="ok",
        ),
        pytest.param(
            {"Threshold": 0.1, "DatapointsToAlarm": 2, "TreatMissingData": "notBreaching"},
            [None, None, 0.0, 0.2, None],
            "1 of 3 datapoints [0.0, 0.2 (breaching), missing (treated as not breaching)] >= 0.1 "
            "(at least 2 needed for ALARM)", id="filled-not-breaching",
        ),
        pytest.param(
            {"Threshold": 0.1, "DatapointsToAlarm": 2, "TreatMissingData": "breaching"},
            [None, None, 0.0, 0.2, None],
            "2 of 3 datapoints [0.0, 0.2 (breaching), missing (treated as breaching)] >= 0.1 "
            "(at least 2 needed for ALARM)", id="filled-breaching",
        ),
        pytest.param(
            {"EvaluationPeriods": 5}, [None] * 7,
            "all 7 datapoints in the evaluation range are missing (TreatMissingData=missing)",
            id="all-missing",
        ),
        pytest.param(
            {"TreatMissingData": "ignore"}, [None] * 5,
            "all 5 datapoints in the evaluation range are missing; state kept "
            "(TreatMissingData=ignore)", id="all-missing-ignore",
        ),
        pytest.param(
            {"Threshold": 0.3}, [None, None, 0.52, None, None],
            "premature alarm: [0.52 (breaching), missing, missing] >= 0.3; the oldest breaching "
            "datapoint is 3 datapoints old (DatapointsToAlarm=3) and every newer one is "
            "breaching or missing (TreatMissingData=missing)", id="premature",
        ),
        pytest.param(
            {"Threshold": 0.3, "TreatMissingData": "ignore"}, [None, None, 0.52, None, None],
            "premature-alarm pattern [0.52 (breaching), missing, missing] >= 0.3 with 1 of 3 "
            "datapoints real; state kept (TreatMissingData=ignore)", id="premature-ignore",
        ),
        pytest.param(
            {"EvaluationPeriods": 1, "ComparisonOperator": "LessThanThreshold", "Threshold": 5},
            [7, 3],
            "1 of 1 datapoint [3.0] < 5.0", id="one-datapoint-ints",
        ),
    ],
)  # fmt: skip
def test_reason_text(overrides: dict[str, Any], points: list[float | None], reason: str) -> None:
    assert rule(**overrides).evaluate(points, OK).reason == reason


# --------------------------------------------------------------------------------------------
# Building rules from put_metric_alarm kwargs, and the public entry point
# --------------------------------------------------------------------------------------------


def test_from_kwargs_defaults() -> None:
    alarm = rule()
    assert alarm.name == "new-fleet-5xx"
    assert alarm.datapoints_to_alarm == alarm.evaluation_periods == 3
    assert alarm.treat_missing_data is TreatMissingData.MISSING
    assert alarm.evaluate_low_sample_count_percentile == "evaluate"
    assert alarm.statistic == "Average"
    assert alarm.period == 60
    assert alarm.range_length == DEFAULT_EVALUATION_RANGE(3) == 5
    assert isinstance(DEFAULT_EVALUATION_RANGE, EvaluationRangeRule)
    assert DEFAULT_EVALUATION_RANGE(1) == 3


@pytest.mark.parametrize(
    "missing", ["AlarmName", "EvaluationPeriods", "Threshold", "ComparisonOperator", "Period"]
)
def test_missing_essentials_raise_a_clear_error(missing: str) -> None:
    kw = kwargs()
    del kw[missing]
    with pytest.raises(AlarmError, match=f"{missing}: is required"):
        AlarmRule.from_kwargs(kw)


def test_missing_statistic_and_bad_values() -> None:
    with pytest.raises(AlarmError, match="Statistic or ExtendedStatistic"):
        AlarmRule.from_kwargs(kwargs(Statistic=None))
    with pytest.raises(AlarmError, match="TreatMissingData: unknown value 'sometimes'"):
        AlarmRule.from_kwargs(kwargs(TreatMissingData="sometimes"))
    with pytest.raises(AlarmError, match="DatapointsToAlarm: must be between 1 and"):
        AlarmRule.from_kwargs(kwargs(DatapointsToAlarm=4))
    with pytest.raises(AlarmError, match="ComparisonOperator: unknown operator"):
        AlarmRule.from_kwargs(kwargs(ComparisonOperator="Equals"))
    with pytest.raises(AlarmError, match="Threshold: must be a number"):
        AlarmRule.from_kwargs(kwargs(Threshold="high"))
    with pytest.raises(AlarmError, match="EvaluationPeriods: must be an integer"):
        AlarmRule.from_kwargs(kwargs(EvaluationPeriods=2.5))


def test_extended_statistic_and_metric_math_periods() -> None:
    assert rule(Statistic=None, ExtendedStatistic="p99").statistic == "p99"
    metrics: list[dict[str, Any]] = [
        {
            "Id": "errors",
            "MetricStat": {
                "Metric": {"Namespace": "AWS/SageMaker", "MetricName": "Invocation5XXErrors"},
                "Period": 300,
                "Stat": "Sum",
            },
            "ReturnData": False,
        },
        {
            "Id": "calls",
            "MetricStat": {
                "Metric": {"Namespace": "AWS/SageMaker", "MetricName": "Invocations"},
                "Period": 300,
                "Stat": "Sum",
            },
            "ReturnData": False,
        },
        {"Id": "rate", "Expression": "100 * errors / calls", "ReturnData": True},
    ]
    kw = kwargs(Metrics=metrics)
    for key in ("Statistic", "Period", "Namespace", "MetricName"):
        del kw[key]
    math_rule = AlarmRule.from_kwargs(kw)
    assert math_rule.period == 300
    assert math_rule.statistic is None
    # An expression's own Period wins; a returned MetricStat gives its Stat.
    metrics[2]["Period"] = 600
    assert AlarmRule.from_kwargs(kw).period == 600
    del metrics[2]["Period"]
    metrics[1]["MetricStat"]["Period"] = 60
    with pytest.raises(AlarmError, match="periods differ"):
        AlarmRule.from_kwargs(kw)
    p90_stat = {**metrics[0]["MetricStat"], "Stat": "p90"}
    stat_only = kwargs(Metrics=[{"Id": "m1", "MetricStat": p90_stat}])
    del stat_only["Period"], stat_only["Statistic"]
    assert AlarmRule.from_kwargs(stat_only).statistic == "p90"
    with pytest.raises(AlarmError, match="exactly one query must have ReturnData=true"):
        AlarmRule.from_kwargs(kwargs(Metrics=[{**m, "ReturnData": False} for m in metrics]))


class ScenarioAlarm:
    """Stands in for a scenario alarm object: anything with to_boto()."""

    def to_boto(self) -> dict[str, Any]:
        return kwargs(DatapointsToAlarm=2)


def test_evaluate_alarm_accepts_rule_mapping_and_to_boto_objects() -> None:
    points = data("0 0 X 0 X")
    results = {
        evaluate_alarm(AlarmRule.from_kwargs(kwargs(DatapointsToAlarm=2)), points, "OK"),
        evaluate_alarm(kwargs(DatapointsToAlarm=2), points, OK),
        evaluate_alarm(ScenarioAlarm(), points, "OK"),
    }
    assert len(results) == 1
    (result,) = results
    assert isinstance(result, AlarmEvaluation)
    assert result.state is ALARM and result.changed
    assert as_alarm_rule(ScenarioAlarm()) == AlarmRule.from_kwargs(kwargs(DatapointsToAlarm=2))
    with pytest.raises(TypeError, match="to_boto"):
        evaluate_alarm(42, points, OK)  # type: ignore[arg-type]


def test_bad_evaluation_inputs() -> None:
    alarm = rule()
    with pytest.raises(AlarmError, match="evaluation range 2 is shorter than EvaluationPeriods"):
        alarm.evaluate([1.0] * 5, OK, evaluation_range=2)
    with pytest.raises(AlarmError, match="evaluation range 2 is shorter"):
        AlarmRule.from_kwargs(kwargs(), evaluation_range=2)
    with pytest.raises(AlarmError, match="previous_state must be one of"):
        alarm.evaluate([1.0] * 5, "PENDING")


def test_rules_can_be_built_directly() -> None:
    direct = AlarmRule(
        name="new-fleet-5xx",
        period=60,
        evaluation_periods=3,
        datapoints_to_alarm=3,
        threshold=0.5,
        comparison_operator="GreaterThanOrEqualToThreshold",  # type: ignore[arg-type]
        statistic="Average",
    )
    assert direct == rule()
    assert direct.comparison_operator is ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD
