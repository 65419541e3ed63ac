"""Table and property tests of the arrival kernels (:mod:`guardsim.model.traffic`)."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import integrate

from guardsim.model import traffic as arrivals
from guardsim.scenarios.traffic import Burst, Traffic

DAILY = Traffic(
    rate_per_second=10.0, profile="daily", daily_amplitude=0.5, peak_hour=14.0, start_hour=10.0
)
BURSTS = Traffic(
    rate_per_second=4.0,
    bursts=(
        Burst(at_seconds=100.0, duration_seconds=60.0, multiplier=3.0),
        Burst(at_seconds=130.0, duration_seconds=100.0, multiplier=0.5),
    ),
)
BOTH = Traffic(
    rate_per_second=7.0,
    profile="daily",
    daily_amplitude=0.9,
    peak_hour=3.0,
    start_hour=22.5,
    bursts=BURSTS.bursts,
)
REPLAY = (60.0, 120.0, 0.0, 30.0)  # per-minute counts: 1, 2, 0 and 0.5 requests/s


@pytest.mark.parametrize(
    ("traffic", "replay", "t", "rate"),
    [
        (Traffic(rate_per_second=3.0), None, 1234.5, 3.0),
        # the daily sinusoid: peak at peak_hour (4 h after the 10:00 start), trough 12 h later
        (DAILY, None, 4 * 3600.0, 15.0),
        (DAILY, None, 16 * 3600.0, 5.0),
        (DAILY, None, 10 * 3600.0, 10.0),  # 20:00, 6 h after the peak: cos = 0
        # bursts: [at, at + duration) multiply, and overlapping bursts multiply together
        (BURSTS, None, 99.999, 4.0),
        (BURSTS, None, 100.0, 12.0),
        (BURSTS, None, 130.0, 6.0),
        (BURSTS, None, 160.0, 2.0),
        (BURSTS, None, 230.0, 4.0),
        # a replay: minute floor(t / 60), the first minute's before 0, the last one's after
        (Traffic(), REPLAY, -5.0, 1.0),
        (Traffic(), REPLAY, 59.9, 1.0),
        (Traffic(), REPLAY, 60.0, 2.0),
        (Traffic(), REPLAY, 150.0, 0.0),
        (Traffic(), REPLAY, 1e6, 0.5),
    ],
)
def test_rate_table(
    traffic: Traffic, replay: tuple[float, ...] | None, t: float, rate: float
) -> None:
    assert arrivals.rate_scalar(traffic, t, replay) == pytest.approx(rate, rel=1e-12)
    assert float(arrivals.rate(traffic, np.array([t]), replay)[0]) == pytest.approx(rate, rel=1e-12)


def test_traffic_rate_at_is_the_model_rate() -> None:
    for t in (0.0, 110.0, 140.0, 5000.0):
        assert BOTH.rate_at(t) == arrivals.rate_scalar(BOTH, t)


@pytest.mark.parametrize("traffic", [Traffic(), DAILY, BURSTS, BOTH], ids=repr)
def test_rate_scalar_equals_array(traffic: Traffic) -> None:
    t = np.linspace(-400.0, 90_000.0, 2001)
    scalar = np.array([arrivals.rate_scalar(traffic, float(x)) for x in t])
    # math.cos and numpy's cos may round differently in the last bit (daily profile only)
    np.testing.assert_allclose(arrivals.rate(traffic, t), scalar, rtol=1e-14, atol=0)
    if traffic.profile == "constant":
        np.testing.assert_array_equal(arrivals.rate(traffic, t), scalar)


def test_replay_rate_scalar_equals_array() -> None:
    t = np.linspace(-100.0, 400.0, 1001)
    scalar = np.array([arrivals.rate_scalar(Traffic(), float(x), REPLAY) for x in t])
    np.testing.assert_array_equal(arrivals.rate(Traffic(), t, REPLAY), scalar)


def _quad(traffic: Traffic, replay: tuple[float, ...] | None, t0: float, t1: float) -> float:
    """The integral of the rate by adaptive quadrature, split at every discontinuity."""
    edges = {t0, t1}
    edges |= {e for b in traffic.bursts for e in (b.at_seconds, b.at_seconds + b.duration_seconds)}
    if replay is not None:
        edges |= {60.0 * k for k in range(len(replay) + 1)}
    pts = sorted(e for e in edges if t0 <= e <= t1)
    total = 0.0
    for a, b in itertools.pairwise(pts):
        value, _ = integrate.quad(lambda x: arrivals.rate_scalar(traffic, x, replay), a, b)
        total += value
    return total


@pytest.mark.parametrize(
    ("traffic", "replay"),
    [(Traffic(), None), (DAILY, None), (BURSTS, None), (BOTH, None), (Traffic(), REPLAY)],
    ids=["constant", "daily", "bursts", "daily+bursts", "replay"],
)
@pytest.mark.parametrize(("t0", "t1"), [(-300.0, 0.0), (95.0, 240.0), (0.0, 7200.0), (5.0, 5.5)])
def test_expected_is_the_integral_of_the_rate(
    traffic: Traffic, replay: tuple[float, ...] | None, t0: float, t1: float
) -> None:
    want = _quad(traffic, replay, t0, t1)
    # quad is accurate to ~1e-10 relative on these smooth pieces
    assert arrivals.expected_scalar(traffic, t0, t1, replay) == pytest.approx(want, rel=1e-9)
    got = arrivals.expected(traffic, np.array([t0]), np.array([t1]), replay)
    assert float(got[0]) == pytest.approx(want, rel=1e-9)
    assert arrivals.mean_rate(traffic, t0, t1, replay) == pytest.approx(want / (t1 - t0), rel=1e-9)


def test_constant_rate_expected_is_rate_times_width_exactly() -> None:
    traffic = Traffic(rate_per_second=13.7)
    for t0, t1 in ((0.0, 60.0), (-300.0, 17.25), (1e5, 1e5 + 0.001)):
        assert arrivals.expected_scalar(traffic, t0, t1) == 13.7 * (t1 - t0)


def test_empty_interval_expects_nothing() -> None:
    for traffic in (DAILY, BOTH):
        assert arrivals.expected_scalar(traffic, 120.0, 120.0) == 0.0
    assert arrivals.mean_rate(BURSTS, 100.0, 100.0) == 12.0  # the rate at t0


_TIMES = st.floats(-1000.0, 200_000.0, allow_nan=False)
_TRAFFIC = st.builds(
    Traffic,
    rate_per_second=st.floats(0.0, 1e4),
    profile=st.sampled_from(["constant", "daily"]),
    daily_amplitude=st.floats(0.0, 1.0),
    peak_hour=st.floats(0.0, 24.0),
    start_hour=st.floats(0.0, 24.0),
    bursts=st.lists(
        st.builds(
            Burst,
            at_seconds=st.floats(-500.0, 5000.0),
            duration_seconds=st.floats(0.5, 3000.0),
            multiplier=st.floats(0.0, 10.0),
        ),
        max_size=3,
    ).map(tuple),
)


@settings(max_examples=200, deadline=None)
@given(_TRAFFIC, st.lists(_TIMES, min_size=3, max_size=3))
def test_expected_scalar_equals_array_and_adds_up(traffic: Traffic, times: list[float]) -> None:
    a, b, c = sorted(times)
    t0 = np.array([a, b, a])
    t1 = np.array([b, c, c])
    arr = arrivals.expected(traffic, t0, t1)
    scalar = [arrivals.expected_scalar(traffic, x, y) for x, y in zip(t0, t1, strict=True)]
    # numpy's and math's sin may round differently in the last bit; the sums then differ by a
    # few ulps of the largest term (rate x width, or the sinusoid's amplitude x 13751 s)
    scale = traffic.rate_per_second * 10.0 * (c - a + 2 * 13751.0) + 1e-300
    np.testing.assert_allclose(arr, scalar, rtol=0, atol=1e-12 * scale)
    assert min(scalar) >= -1e-12 * scale  # a rate >= 0 integrates to >= 0
    # additivity: [a, b) + [b, c) = [a, c)
    assert scalar[0] + scalar[1] == pytest.approx(scalar[2], abs=1e-12 * scale)


@settings(max_examples=200, deadline=None)
@given(
    st.floats(0.01, 500.0),
    st.lists(st.floats(0.0, 600.0), min_size=1, max_size=12),
)
def test_uniform_arrivals_are_the_lattice(rate: float, cuts: list[float]) -> None:
    """At a constant rate, the stateful per-segment lattice (per-replication engine) and the
    closed-form lattice count (batch engine) put the same arrivals in every segment."""
    start = -300.0
    edges = [start, *sorted(start + c for c in cuts), start + 700.0]
    next_at = start
    for t0, t1 in itertools.pairwise(edges):
        first, n, next_at = arrivals.uniform_arrivals(next_at, t0, t1, rate)
        want = int(arrivals.lattice_count(start, np.array([t0]), np.array([t1]), rate)[0])
        assert n == want
        if n:
            assert t0 <= first < t1
            assert first + (n - 1) / rate < t1


@settings(max_examples=100, deadline=None)
@given(
    st.lists(st.floats(0.0, 50.0), min_size=1, max_size=8),
    st.lists(st.floats(0.0, 600.0), min_size=1, max_size=8),
)
def test_uniform_arrivals_array_is_the_scalar_lattice(
    rates: list[float], cuts: list[float]
) -> None:
    """The array form (batch engine, varying rates) gives the scalar form's count and next
    phase on every segment, a rate of 0 included."""
    start = -300.0
    edges = [start, *sorted(start + c for c in cuts), start + 700.0]
    next_scalar = start
    next_array = np.array([start])
    for k, (t0, t1) in enumerate(itertools.pairwise(edges)):
        r = rates[k % len(rates)]
        _, n, next_scalar = arrivals.uniform_arrivals(next_scalar, t0, t1, r)
        counts, next_array = arrivals.uniform_arrivals_array(
            next_array, np.array([t0]), np.array([t1]), np.array([r])
        )
        assert int(counts[0]) == n
        assert float(next_array[0]) == next_scalar
