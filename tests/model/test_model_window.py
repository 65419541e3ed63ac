"""Basic statistics of a window of per-minute statistic sets: the scalar and the array form
agree with each other and with CloudWatch's aggregation of statistic sets (SampleSummary)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from guardsim.cloudwatch.statistics import (
    BASIC_STATISTICS,
    SampleSummary,
    StatisticKind,
    Stats,
    basic_of_sets,
    basic_of_window,
    compute_from_summary,
    merge_stats,
)
from guardsim.errors import StatisticError

KINDS = sorted(BASIC_STATISTICS)


def _sets(seed: int, minutes: int) -> list[Stats]:
    rng = np.random.default_rng(seed)
    out: list[Stats] = []
    for _ in range(minutes):
        x = rng.lognormal(3.0, 0.5, int(rng.integers(1, 50)))
        out.append((len(x), float(x.sum()), float(x.min()), float(x.max())))
    return out


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_scalar_array_and_summary_agree(kind: StatisticKind, seed: int) -> None:
    sets = _sets(seed, 5)
    scalar = basic_of_sets(kind, sets)
    summary = SampleSummary.combine(SampleSummary(*s) for s in sets)
    assert scalar == compute_from_summary(kind.value, summary)
    arr = basic_of_window(kind, *(np.array([[s[i] for s in sets]]) for i in range(4)))
    assert arr[0] == pytest.approx(scalar, rel=1e-14)


@given(mask=st.lists(st.booleans(), min_size=6, max_size=6))
def test_where_leaves_sets_out(mask: list[bool]) -> None:
    sets = _sets(7, 6)
    fields = [np.array([[s[i] for s in sets]]) for i in range(4)]
    for kind in KINDS:
        value = basic_of_window(kind, *fields, where=np.array([mask]))[0]
        kept = [s for s, m in zip(sets, mask, strict=True) if m]
        if not kept:
            assert math.isnan(value)  # no samples: no datapoint
        else:
            assert value == pytest.approx(basic_of_sets(kind, kept), rel=1e-14)


def test_merge_stats_is_summary_merge() -> None:
    a, b = _sets(4, 2)
    merged = SampleSummary(*a).merge(SampleSummary(*b))
    assert merge_stats(a, b) == (merged.sample_count, merged.sum, merged.minimum, merged.maximum)


def test_empty_sets_have_no_value_and_extended_statistics_are_refused() -> None:
    assert basic_of_sets(StatisticKind.SUM, [(0, 0.0, math.inf, -math.inf)]) is None
    with pytest.raises(StatisticError):
        basic_of_window(StatisticKind.PERCENTILE, [1], [1.0], [1.0], [1.0])
