"""Hypothesis properties of CloudWatch alarm evaluation (guardsim.cloudwatch.alarm)."""

from __future__ import annotations

import itertools
import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from guardsim.cloudwatch.alarm import (
    AlarmRule,
    AlarmState,
    ComparisonOperator,
    PrematureReading,
    TreatMissingData,
    evaluate_alarm,
)

OK, ALARM, INSUFFICIENT = AlarmState.OK, AlarmState.ALARM, AlarmState.INSUFFICIENT_DATA
THRESHOLD = 0.5

values = st.one_of(
    st.sampled_from([0.0, 0.5, 1.0]),  # below, at and above the threshold
    st.floats(min_value=-2.0, max_value=3.0, allow_nan=False),
)
maybe_values = st.one_of(st.none(), values)
#: Table-like datapoints, mostly missing: reaches the premature rule and wide windows often.
sparse_values = st.sampled_from([None, None, None, 0.0, 1.0])


@dataclass(frozen=True)
class Case:
    n: int
    m: int
    range_length: int
    operator: ComparisonOperator
    tmd: TreatMissingData
    previous: AlarmState
    points: tuple[float | None, ...]
    premature_reading: PrematureReading = PrematureReading.NEWER

    def kwargs(self, **overrides: Any) -> dict[str, Any]:
        kw: dict[str, Any] = {
            "AlarmName": "prop",
            "Statistic": "Average",
            "Period": 60,
            "EvaluationPeriods": self.n,
            "DatapointsToAlarm": self.m,
            "Threshold": THRESHOLD,
            "ComparisonOperator": self.operator.value,
            "TreatMissingData": self.tmd.value,
        }
        kw.update(overrides)
        return kw

    def rule(self, **overrides: Any) -> AlarmRule:
        return AlarmRule.from_kwargs(
            self.kwargs(**overrides),
            evaluation_range=self.range_length,
            premature_reading=self.premature_reading,
        )


@st.composite
def cases(draw: st.DrawFn, *, full: bool = False, sparse: bool = False) -> Case:
    n = draw(st.integers(1, 6))
    m = draw(st.integers(1, n))
    range_length = n + draw(st.integers(0, 4))
    points: list[float | None]
    if full:  # every period of the range holds a real datapoint
        length = draw(st.integers(range_length, range_length + 3))
        points = draw(st.lists(values, min_size=length, max_size=length))
    else:
        length = draw(st.integers(0, range_length + 3))
        pick: st.SearchStrategy[float | None] = sparse_values if sparse else maybe_values
        points = draw(st.lists(pick, min_size=length, max_size=length))
    return Case(
        n=n,
        m=m,
        range_length=range_length,
        operator=draw(st.sampled_from(ComparisonOperator)),
        tmd=draw(st.sampled_from(TreatMissingData)),
        previous=draw(st.sampled_from(AlarmState)),
        points=tuple(points),
    )


# --------------------------------------------------------------------------------------------
# A brute-force reference, written from the module docstring's definitions
# --------------------------------------------------------------------------------------------

_OPS: dict[ComparisonOperator, Callable[[float], bool]] = {
    ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD: lambda v: v >= THRESHOLD,
    ComparisonOperator.GREATER_THAN_THRESHOLD: lambda v: v > THRESHOLD,
    ComparisonOperator.LESS_THAN_THRESHOLD: lambda v: v < THRESHOLD,
    ComparisonOperator.LESS_THAN_OR_EQUAL_TO_THRESHOLD: lambda v: v <= THRESHOLD,
}


def reference(case: Case) -> tuple[AlarmState, tuple[float | None, ...], int]:
    """State, evaluated window and breach count, by enumeration rather than construction."""
    r, n, m = case.range_length, case.n, case.m
    given_points: list[float | None] = list(case.points[-r:]) if case.points else []
    padding: list[float | None] = [None] * (r - len(given_points))
    rng = padding + given_points
    real = [i for i, v in enumerate(rng) if v is not None]
    breaches = _OPS[case.operator]
    window: list[int]
    if len(real) >= n:
        window = real[-n:]
    elif not real:
        window = list(range(r - n, r))
    else:
        # Every set of N positions holding all real ones; smallest span, then most recent.
        candidates = [tuple(c) for c in itertools.combinations(range(r), n) if set(real) <= set(c)]

        def span_then_recency(c: tuple[int, ...]) -> tuple[int, tuple[int, ...]]:
            return c[-1] - c[0], tuple(-p for p in reversed(c))

        best = min(candidates, key=span_then_recency)
        window = list(best)
    evaluated = tuple(rng[p] for p in window)
    fill = {
        TreatMissingData.BREACHING: True,
        TreatMissingData.NOT_BREACHING: False,
    }.get(case.tmd)
    flags = [fill if v is None else breaches(v) for v in evaluated]
    count = flags.count(True)
    if not real:
        if case.tmd is TreatMissingData.MISSING:
            return INSUFFICIENT, evaluated, count
        if case.tmd is TreatMissingData.IGNORE:
            return case.previous, evaluated, count
    if count >= m:
        return ALARM, evaluated, count
    if True in flags:  # the premature rule, applied whatever TreatMissingData says
        oldest = flags.index(True)
        # the user guide's wording constrains the newer points; the knowledge-center reading,
        # every point of the window
        after = (
            flags
            if case.premature_reading is PrematureReading.WHOLE_WINDOW
            else flags[oldest + 1 :]
        )
        if n - oldest >= m and False not in after:
            return (
                (case.previous if case.tmd is TreatMissingData.IGNORE else ALARM),
                evaluated,
                count,
            )
    return OK, evaluated, count


@settings(max_examples=600)
@given(st.one_of(cases(), cases(sparse=True)))
def test_matches_brute_force_reference(case: Case) -> None:
    """Also checks that the premature rule adds nothing under breaching / notBreaching."""
    result = case.rule().evaluate(case.points, case.previous)
    assert (result.state, result.evaluated, result.breaching_count) == reference(case)


@pytest.mark.parametrize("reading", list(PrematureReading))
def test_matches_reference_exhaustively_for_small_n(reading: PrematureReading) -> None:
    """Every pattern of 0 / X / - over the default range N + 2, for N <= 4, every M, every
    TreatMissingData, with the ``>=`` operator, from state OK, under both readings of the
    premature-alarm rule."""
    checked = 0
    for n in range(1, 5):
        for pattern in itertools.product((None, 0.0, 1.0), repeat=n + 2):
            for m in range(1, n + 1):
                for tmd in TreatMissingData:
                    case = Case(
                        n=n,
                        m=m,
                        range_length=n + 2,
                        operator=ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
                        tmd=tmd,
                        previous=OK,
                        points=pattern,
                        premature_reading=reading,
                    )
                    result = case.rule().evaluate(pattern, OK)
                    expected = reference(case)
                    assert (result.state, result.evaluated, result.breaching_count) == expected
                    checked += 1
    assert checked == 4 * (27 * 1 + 81 * 2 + 243 * 3 + 729 * 4)


# --------------------------------------------------------------------------------------------
# Properties
# --------------------------------------------------------------------------------------------


@given(cases())
def test_deterministic_and_entry_points_agree(case: Case) -> None:
    rule = case.rule()
    first = rule.evaluate(case.points, case.previous)
    assert rule.evaluate(list(case.points), case.previous.value) == first
    again = evaluate_alarm(
        case.kwargs(), case.points, case.previous, evaluation_range=case.range_length
    )
    assert again == first
    assert len(first.evaluated) == case.n
    assert first.changed is (first.state is not case.previous)


@given(cases(full=True))
def test_full_range_of_real_datapoints_makes_treat_missing_data_irrelevant(case: Case) -> None:
    results = {
        case.rule(TreatMissingData=tmd.value).evaluate(case.points, case.previous)
        for tmd in TreatMissingData
    }
    assert len(results) == 1
    (result,) = results
    assert result.state in (OK, ALARM)
    assert None not in result.evaluated


@given(cases(), st.data())
def test_raising_m_never_turns_ok_into_alarm(case: Case, data: st.DataObject) -> None:
    """Monotone in M, premature rule included: its age condition (>= M) tightens with M.

    Stated as: ALARM at a larger M implies ALARM at a smaller M (same data, same previous
    state), so OK at M is never ALARM at a larger M.
    """
    higher = data.draw(st.integers(case.m, case.n))
    low = case.rule().evaluate(case.points, case.previous)
    high = case.rule(DatapointsToAlarm=higher).evaluate(case.points, case.previous)
    if high.state is ALARM:
        assert low.state is ALARM
    if low.state is OK:
        assert high.state is not ALARM


def test_premature_rule_breaks_the_naive_count_bound() -> None:
    """The statement that is *not* true: ALARM does not need M breaching datapoints."""
    case = Case(
        n=3,
        m=3,
        range_length=5,
        operator=ComparisonOperator.GREATER_THAN_THRESHOLD,
        tmd=TreatMissingData.MISSING,
        previous=OK,
        points=(),
    )
    rule = case.rule()
    result = rule.evaluate([None, None, 1.0, None, None], OK)
    assert result.state is ALARM and result.breaching_count < rule.datapoints_to_alarm


@given(cases(full=True), st.data())
def test_every_datapoint_breaching_alarms_for_any_m(case: Case, data: st.DataObject) -> None:
    breaching = {
        ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD: THRESHOLD,
        ComparisonOperator.GREATER_THAN_THRESHOLD: THRESHOLD + 1,
        ComparisonOperator.LESS_THAN_THRESHOLD: THRESHOLD - 1,
        ComparisonOperator.LESS_THAN_OR_EQUAL_TO_THRESHOLD: THRESHOLD,
    }[case.operator]
    points = [breaching] * len(case.points)
    for m in range(1, case.n + 1):
        result = case.rule(DatapointsToAlarm=m).evaluate(points, case.previous)
        assert result.state is ALARM
        assert result.breaching_count == case.n


@given(cases(), st.randoms(use_true_random=False), st.lists(maybe_values, max_size=8))
def test_only_the_most_recent_n_real_values_matter(
    case: Case, rnd: random.Random, replacement: list[float | None]
) -> None:
    """With >= N real datapoints in the range, everything older than the N-th most recent
    real one can be shuffled or replaced, and the N evaluated values can be permuted (M of N
    need not be consecutive), without changing the state or the breach count."""
    r, n = case.range_length, case.n
    rng = list(case.points[-r:])
    real = [i for i, v in enumerate(rng) if v is not None]
    if len(real) < n:
        return
    cut = real[-n]  # index of the N-th most recent real datapoint
    rule = case.rule()
    base = rule.evaluate(rng, case.previous)

    older = rng[:cut]
    rnd.shuffle(older)
    assert rule.evaluate(older + rng[cut:], case.previous) == base

    # Replace the older part by anything of the same length (the range stays r long).
    filler = (replacement + [None] * cut)[:cut]
    assert rule.evaluate(filler + rng[cut:], case.previous) == base

    recent = [rng[i] for i in real[-n:]]
    rnd.shuffle(recent)
    permuted = list(rng)
    for i, v in zip(real[-n:], recent, strict=True):
        permuted[i] = v
    shuffled = rule.evaluate(permuted, case.previous)
    assert (shuffled.state, shuffled.breaching_count) == (base.state, base.breaching_count)


@given(cases())
def test_insufficient_data_only_when_everything_is_missing(case: Case) -> None:
    result = case.rule().evaluate(case.points, case.previous)
    all_missing = all(v is None for v in case.points[-case.range_length :])
    if case.tmd is TreatMissingData.MISSING:
        assert (result.state is INSUFFICIENT) is all_missing
    elif case.tmd in (TreatMissingData.BREACHING, TreatMissingData.NOT_BREACHING):
        assert result.state in (OK, ALARM)


@settings(deadline=None)  # a loaded CI machine can take more than Hypothesis' default 200 ms
@given(cases(), st.data())
def test_low_sample_counts_matter_only_with_ignore(case: Case, data: st.DataObject) -> None:
    counts = data.draw(
        st.lists(st.integers(0, 2000), min_size=len(case.points), max_size=len(case.points))
    )
    base = case.rule(Statistic=None, ExtendedStatistic="p99").evaluate(case.points, case.previous)
    evaluated = case.rule(Statistic=None, ExtendedStatistic="p99").evaluate(
        case.points, case.previous, sample_counts=counts
    )
    assert evaluated == base  # EvaluateLowSampleCountPercentile=evaluate (the default)
    ignoring = case.rule(
        Statistic=None, ExtendedStatistic="p99", EvaluateLowSampleCountPercentile="ignore"
    )
    held = ignoring.evaluate(case.points, case.previous, sample_counts=counts)
    first_in_range = max(0, len(case.points) - case.range_length)
    real_in_range = [
        i for i in range(first_in_range, len(case.points)) if case.points[i] is not None
    ]
    if real_in_range and counts[real_in_range[-1]] < 1000:  # p99: 10 / (1 - 0.99)
        assert held.state is case.previous
        assert held.evaluated == base.evaluated
    else:
        assert held == base


# --------------------------------------------------------------------------- keeps_state


@settings(max_examples=120, deadline=None)
@given(
    n=st.integers(1, 3),
    data=st.data(),
    extra=st.integers(0, 1),
    operator=st.sampled_from(list(ComparisonOperator)),
    tmd=st.sampled_from(list(TreatMissingData)),
    percentile=st.booleans(),
    policy=st.sampled_from(["evaluate", "ignore"]),
    with_counts=st.booleans(),
)
def test_keeps_state_is_exactly_whether_some_range_depends_on_the_previous_state(
    n: int,
    data: Any,
    extra: int,
    operator: ComparisonOperator,
    tmd: TreatMissingData,
    percentile: bool,
    policy: str,
    with_counts: bool,
) -> None:
    """``AlarmRule.keeps_state`` (what the batch engine relies on to skip minutes no poll can
    read) against the rule itself: every range of missing, breaching and not-breaching
    datapoints (with few and many samples behind each, when counts are passed), from every
    previous state; the state differs for some previous state exactly when it says so."""
    m = data.draw(st.integers(1, n))
    kw: dict[str, Any] = {
        "AlarmName": "keeps",
        "Period": 60,
        "EvaluationPeriods": n,
        "DatapointsToAlarm": m,
        "Threshold": THRESHOLD,
        "ComparisonOperator": operator.value,
        "TreatMissingData": tmd.value,
        "EvaluateLowSampleCountPercentile": policy,
    }
    kw["ExtendedStatistic" if percentile else "Statistic"] = "p90" if percentile else "Average"
    rule = AlarmRule.from_kwargs(kw, evaluation_range=n + extra)
    length = rule.range_length
    counts: tuple[float | None, ...] = (1.0, 1e6) if with_counts else (None,)
    depends = False
    for points in itertools.product((None, 0.0, 1.0), repeat=length):
        for cs in itertools.product(counts, repeat=length):
            sample_counts = (
                [None if p is None else c for p, c in zip(points, cs, strict=True)]
                if with_counts
                else None
            )
            states = {
                rule.evaluate(points, prev, sample_counts=sample_counts).state
                for prev in (OK, ALARM, INSUFFICIENT)
            }
            depends |= len(states) > 1
    assert rule.keeps_state(sample_counts=with_counts) is depends
