"""The vectorised extended-statistic kernel: the one definition both engines draw from.

:func:`~guardsim.simulator.metrics.components_statistic_rows` computes a window's tm, wm, tc,
ts, PR or IQM for many windows (rows) at once; fast mode's
:func:`~guardsim.simulator.metrics.components_statistic` is its one-row case. Held here:

* the row statistic (:func:`~guardsim.cloudwatch.statistics.compute_rows_from_sorted`) equals
  :func:`~guardsim.cloudwatch.statistics.compute_from_samples` row by row (a property test,
  relative tolerance 1e-9: the sums run in another order);
* one row draws what the per-window definition draws: a multinomial split of
  ``min(n, RESAMPLE_SIZE)`` over the components, then each component's lognormal draws in
  order (the same generator calls, so the same values to rounding);
* many rows at once draw from the same distribution as one window at a time: for each
  statistic, N = 600 rows of two interleaved windows (one of more than RESAMPLE_SIZE samples,
  one of 150, so rows of unequal resample sizes share a block) against N one-row draws, with
  two-sample Kolmogorov-Smirnov tests. 6 statistics x 2 windows = 12 tests at ALPHA = 0.05 / 12
  (Bonferroni); at ALPHA the KS test rejects when the empirical CDFs differ by more than
  c * sqrt(2 / N) = 1.76 * 0.0577 = 0.101 (c = sqrt(-ln(ALPHA / 2) / 2)); the power check
  shows that a window 3 % slower is told apart at this N.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from guardsim.cloudwatch.statistics import (
    StatisticKind,
    compute_from_samples,
    compute_rows_from_sorted,
    parse_statistic,
)
from guardsim.simulator.metrics import (
    RESAMPLE_SIZE,
    LatencyComponent,
    components_statistic,
    components_statistic_rows,
)

STATISTICS = ("tm99", "wm99", "tc99", "ts99", "PR(:10000)", "IQM")
#: and the other forms the row statistic must get right: ranges, absolute bounds, edge cases
MORE = ("TM(10%:90%)", "WM(5%:95%)", "TC(5000:20000)", "TS(:8000)", "WM(2000:)", "tm0", "wm0")
N = 600
SCALED = (StatisticKind.TRIMMED_COUNT, StatisticKind.TRIMMED_SUM)
ALPHA = 0.05 / (len(STATISTICS) * 2)

#: two windows: the two fleets' latencies over several minutes (more than RESAMPLE_SIZE
#: samples), and one small minute of one fleet
WIDE = [
    LatencyComponent(900, 8.6, 0.5, 1.0, 50.0),
    LatencyComponent(700, 8.9, 0.6, 1.0, 50.0),
    LatencyComponent(800, 8.6, 0.5, 1.2, 50.0),
]
NARROW = [LatencyComponent(150, 8.7, 0.55, 1.0, 40.0)]


def _arrays(comps: list[LatencyComponent], width: int) -> tuple[np.ndarray, ...]:
    """One row's components as [width] arrays (count-0 components pad it)."""
    pad = [LatencyComponent(0, 0.0, 0.0, 0.0, 0.0)] * (width - len(comps))
    return tuple(np.array(v) for v in zip(*(comps + pad), strict=True))


@settings(max_examples=60, deadline=None)
@given(
    data=st.lists(
        st.lists(st.floats(-5, 2e4, allow_nan=False), min_size=0, max_size=40),
        min_size=1,
        max_size=6,
    ),
    name=st.sampled_from(STATISTICS + MORE + ("p99", "p50")),
)
def test_the_row_statistic_is_compute_from_samples_row_by_row(
    data: list[list[float]], name: str
) -> None:
    spec = parse_statistic(name, context="metric")
    m = np.array([len(row) for row in data])
    x = np.full((len(data), max(1, int(m.max()))), math.inf)
    for i, row in enumerate(data):
        x[i, : len(row)] = np.sort(row)
    got = compute_rows_from_sorted(spec, x, m)
    for i, row in enumerate(data):
        want = compute_from_samples(spec, np.array(row))
        if want is None:
            assert math.isnan(got[i]), (name, row, got[i])
        else:
            assert math.isclose(got[i], want, rel_tol=1e-9, abs_tol=1e-9), (name, row, got[i])


@pytest.mark.parametrize("name", STATISTICS + MORE)
@pytest.mark.parametrize("comps", [WIDE, NARROW], ids=["wide", "narrow"])
def test_one_row_draws_the_per_window_definition(name: str, comps: list[LatencyComponent]) -> None:
    spec = parse_statistic(name, context="metric")
    for seed in range(5):
        rng = np.random.default_rng(seed)
        n = sum(c.n for c in comps)
        split = rng.multinomial(min(n, RESAMPLE_SIZE), [c.n / n for c in comps])
        samples = np.concatenate(
            [
                np.exp(c.mu + c.sigma * rng.standard_normal(int(k))) * c.scale + c.add
                for c, k in zip(comps, split, strict=True)
            ]
        )
        want = compute_from_samples(spec, samples)
        if n > RESAMPLE_SIZE and spec.kind in SCALED:  # the resample's count, not the window's
            continue
        got = components_statistic(comps, spec, np.random.default_rng(seed))
        assert (want is None) == (got is None), (name, want, got)
        if want is not None and got is not None:
            assert math.isclose(got, want, rel_tol=1e-12, abs_tol=1e-9), (name, want, got)


def _rows(spec_name: str, seed: int, scale_wide: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
    """N rows of WIDE interleaved with N of NARROW, drawn at once: (wide values, narrow)."""
    wide = [c._replace(scale=c.scale * scale_wide) for c in WIDE]
    a, b = _arrays(wide, 3), _arrays(NARROW, 3)
    cols = [np.stack([a[j], b[j]] * N) for j in range(5)]
    values = components_statistic_rows(
        cols[0].astype(np.int64),
        cols[1],
        cols[2],
        cols[3],
        cols[4],
        parse_statistic(spec_name),
        np.random.default_rng(seed),
    )
    return values[0::2], values[1::2]


def _one_at_a_time(spec_name: str, comps: list[LatencyComponent], seed: int) -> np.ndarray:
    spec = parse_statistic(spec_name)
    seeds = np.random.SeedSequence(seed).spawn(N)
    out = [components_statistic(comps, spec, np.random.default_rng(s)) for s in seeds]
    return np.array([math.nan if v is None else v for v in out])


@pytest.mark.parametrize("name", STATISTICS)
def test_rows_at_once_draw_as_one_window_at_a_time(name: str) -> None:
    wide, narrow = _rows(name, 1)
    for label, rows, comps in (("wide", wide, WIDE), ("narrow", narrow, NARROW)):
        single = _one_at_a_time(name, comps, 2)
        assert not np.isnan(rows).any() and not np.isnan(single).any()
        if np.ptp(single) == 0:  # a trimmed count of a fixed sample size: one value
            assert np.array_equal(rows, single), (name, label)
            continue
        p = float(stats.ks_2samp(rows, single).pvalue)
        assert p > ALPHA, f"{name} ({label}): p = {p:.3g} < {ALPHA:.2g}"


def test_the_distribution_test_has_power() -> None:
    wide, _ = _rows("tm99", 1, scale_wide=1.03)
    p = float(stats.ks_2samp(wide, _one_at_a_time("tm99", WIDE, 2)).pvalue)
    assert p < ALPHA, f"p = {p:.3g}"


def test_the_arithmetic_of_the_docstring() -> None:
    c = math.sqrt(-math.log(ALPHA / 2) / 2)
    assert round(c, 2) == 1.76
    assert round(c * math.sqrt(2 / N), 3) == 0.101


def test_same_seed_same_values_and_empty_rows_have_none() -> None:
    counts = np.array([[0, 0], [300, 200], [0, 0]])
    args = (counts, 8.0, 0.5, np.ones((3, 2)), np.zeros((3, 2)), parse_statistic("IQM"))
    a = components_statistic_rows(*args, np.random.default_rng(3))
    b = components_statistic_rows(*args, np.random.default_rng(3))
    assert np.array_equal(a, b, equal_nan=True)
    assert math.isnan(a[0]) and math.isnan(a[2]) and a[1] > 0


def test_trimmed_counts_and_sums_are_the_windows_not_the_resamples() -> None:
    """A window of 2400 samples (more than RESAMPLE_SIZE): tc99 keeps ceil(0.99 * 2400) = 2376
    of them and TC(10%:90%) ranks 241..2160; ts99 is tm99 of the same draws times 2376; an
    absolute range's count is the resample's share of the 2400."""
    n = sum(c.n for c in WIDE)
    assert n > RESAMPLE_SIZE

    def value(name: str, seed: int = 4) -> float:
        got = components_statistic(WIDE, parse_statistic(name), np.random.default_rng(seed))
        assert got is not None
        return got

    assert value("tc99") == 2376.0
    assert value("TC(10%:90%)") == 2160.0 - 240.0
    assert math.isclose(value("ts99"), value("tm99") * 2376.0, rel_tol=1e-12)
    share = value("PR(:8000)") / 100.0  # the same draws: the resample's share at most 8000
    assert math.isclose(value("TC(:8000)"), share * n, rel_tol=1e-12)
