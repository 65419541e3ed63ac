"""ceil_rank: CloudWatch's nearest-rank percentile, the one definition every engine uses.

CloudWatch's pP is "the maximum value of the remaining P%" once the highest (100 - P)% are
ignored, the smallest sample with at least P% of the samples at or below it [CW6,
https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/Statistics-definitions.html]:
rank max(1, ceil(P / 100 * n)) among n sorted samples.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from guardsim.cloudwatch.statistics import ceil_rank, compute_from_samples, parse_statistic

# (statistic, n, rank) worked out by hand from the definition
TABLE = [
    ("p99", 100, 99),  # 99 of 100 at or below: exactly 99%
    ("p99", 10, 10),  # ceil(9.9)
    ("p99.9", 1000, 999),  # exact: a float 0.999 * 1000 is 999.0000000000001
    ("p99.9", 100, 100),
    ("p90", 10, 9),
    ("p50", 4, 2),  # the lower middle
    ("p50", 5, 3),
    ("p50", 1, 1),
    ("p0", 10, 1),  # p0 is the minimum: rank at least 1
    ("p0.0", 1, 1),
    ("p100", 10, 10),  # the maximum
    ("p75", 4, 3),
    ("p76", 4, 4),
    ("p33.3333333333", 3, 1),  # ceil(0.999999999999)
    ("p33.3333333334", 3, 2),  # ceil(1.000000000002)
    ("p1", 1_000_000, 10_000),
    ("p99.99", 1_000_000, 999_900),
]


def _upper(name: str) -> Fraction:
    spec = parse_statistic(name, context="metric")
    assert spec.upper is not None
    return spec.upper


@pytest.mark.parametrize(("stat", "n", "rank"), TABLE)
def test_ceil_rank_table(stat: str, n: int, rank: int) -> None:
    assert ceil_rank(_upper(stat), n) == rank
    assert ceil_rank(_upper(stat), np.array([n], dtype=np.int64)).tolist() == [rank]


@given(
    percent=st.fractions(min_value=0, max_value=100, max_denominator=10**10),
    n=st.integers(min_value=1, max_value=10**7),
)
def test_ceil_rank_is_the_smallest_rank_with_p_percent_at_or_below(
    percent: Fraction, n: int
) -> None:
    """The definition itself: the smallest k >= 1 with k / n >= P / 100."""
    k = ceil_rank(percent, n)
    assert k >= 1 and k <= n
    assert Fraction(k, n) >= percent / 100 or k == 1
    assert k == 1 or Fraction(k - 1, n) < percent / 100


def test_the_array_form_gives_every_entry_its_rank() -> None:
    n = np.array([[1, 2, 3], [99, 100, 101]], dtype=np.int64)
    p = _upper("p99")
    assert ceil_rank(p, n).tolist() == [[ceil_rank(p, int(k)) for k in row] for row in n]


def test_large_products_stay_exact() -> None:
    """A 10-decimal percentile of a large count does not overflow int64."""
    p = _upper("p99.9999999999")
    n = np.array([10**9, 3 * 10**9], dtype=np.int64)
    assert ceil_rank(p, n).tolist() == [ceil_rank(p, 10**9), ceil_rank(p, 3 * 10**9)]
    assert ceil_rank(p, 10**9) == 10**9  # 999999999.9999 -> 10**9


def test_compute_from_samples_uses_the_rank() -> None:
    x = np.arange(1.0, 1001.0)
    assert compute_from_samples("p99.9", x) == float(ceil_rank(_upper("p99.9"), 1000))
