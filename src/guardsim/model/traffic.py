"""Request arrivals: the arrival rate at a time, and the expected arrivals in an interval.

A :class:`~guardsim.scenarios.traffic.Traffic` gives the rate ``r(t)`` in requests/s at ``t``
seconds after UpdateEndpoint:

* with a replay file, the count of minute ``floor(t / 60)`` divided by 60 (the first minute's
  count before minute 0, the last one's after the file ends); the rate, profile and bursts are
  then ignored;
* else ``rate_per_second``, times ``1 + daily_amplitude * cos(2 pi (hour - peak_hour) / 24)``
  for the daily profile (``hour`` the hour of day at ``t``, starting at ``start_hour``), times
  the ``multiplier`` of every burst whose window ``[at, at + duration)`` holds ``t``.

The expected number of arrivals in ``[t0, t1)`` is the exact integral of ``r`` (piecewise
constant, or a sinusoid between burst edges, so it has a closed form): every engine draws its
Poisson counts from it, so they agree on the traffic to the last bit of the model.

Each function takes scalars or numpy arrays (``rate``, ``expected``); the per-replication hot
path uses the scalar specialisations beside them (``rate_scalar``, ``expected_scalar``), which
``tests/model/test_traffic.py`` holds equal to the array versions.
"""

from __future__ import annotations

import itertools
import math
from typing import overload

import numpy as np
import numpy.typing as npt

from guardsim.scenarios.traffic import Traffic

FloatArray = npt.NDArray[np.float64]
#: Seconds in a day, and the daily profile's angular frequency (radians per second).
DAY = 86400.0
OMEGA = 2.0 * math.pi / DAY
#: Evenly spaced arrivals: slack when counting lattice points (a point a rounding error before
#: ``t1`` is not counted twice).
LATTICE_EPS = 1e-9


# --------------------------------------------------------------------------- pieces


def _pieces(traffic: Traffic) -> tuple[tuple[float, float, float], ...]:
    """(from, to, burst multiplier) over the whole line: the product of the active bursts'
    multipliers is constant between consecutive burst edges."""
    if not traffic.bursts:
        return ((-math.inf, math.inf, 1.0),)
    edges = sorted(
        {e for b in traffic.bursts for e in (b.at_seconds, b.at_seconds + b.duration_seconds)}
    )
    bounds = [-math.inf, *edges, math.inf]
    out = []
    for lo, hi in itertools.pairwise(bounds):
        probe = lo if math.isfinite(lo) else hi - 1.0
        mult = 1.0
        for b in traffic.bursts:
            if b.at_seconds <= probe < b.at_seconds + b.duration_seconds:
                mult *= b.multiplier
        out.append((lo, hi, mult))
    return tuple(out)


def _phase(traffic: Traffic) -> float:
    """The daily profile's phase at ``t = 0`` (radians)."""
    return 2.0 * math.pi * (traffic.start_hour - traffic.peak_hour) / 24.0


# --------------------------------------------------------------------------- the rate


@overload
def rate(traffic: Traffic, t: float, replay: tuple[float, ...] | None = None) -> float: ...
@overload
def rate(
    traffic: Traffic, t: FloatArray, replay: tuple[float, ...] | None = None
) -> FloatArray: ...
def rate(
    traffic: Traffic, t: float | FloatArray, replay: tuple[float, ...] | None = None
) -> float | FloatArray:
    """The arrival rate (requests/s) at ``t`` (scalar or array) seconds after UpdateEndpoint."""
    if isinstance(t, float | int):
        return rate_scalar(traffic, float(t), replay)
    t = np.asarray(t, dtype=np.float64)
    if replay is not None:
        counts = np.asarray(replay, dtype=np.float64)
        minute = np.clip(np.floor(t / 60.0), 0, len(counts) - 1).astype(np.int64)
        out: FloatArray = counts[minute] / 60.0
        return out
    r = np.full(t.shape, traffic.rate_per_second)
    if traffic.profile == "daily":
        hour = (traffic.start_hour + t / 3600.0) % 24.0
        r = r * (
            1.0 + traffic.daily_amplitude * np.cos(2 * math.pi * (hour - traffic.peak_hour) / 24.0)
        )
    for b in traffic.bursts:
        r = np.where(
            (b.at_seconds <= t) & (t < b.at_seconds + b.duration_seconds), r * b.multiplier, r
        )
    return r


def rate_scalar(traffic: Traffic, t: float, replay: tuple[float, ...] | None = None) -> float:
    """:func:`rate` for one time (the per-replication hot path)."""
    if replay is not None:
        minute = min(max(math.floor(t / 60.0), 0), len(replay) - 1)
        return replay[minute] / 60.0
    r = traffic.rate_per_second
    if traffic.profile == "daily":
        hour = (traffic.start_hour + t / 3600.0) % 24.0
        r = r * (
            1.0
            + traffic.daily_amplitude * math.cos(2 * math.pi * (hour - traffic.peak_hour) / 24.0)
        )
    for b in traffic.bursts:
        if b.at_seconds <= t < b.at_seconds + b.duration_seconds:
            r = r * b.multiplier
    return r


def is_constant(traffic: Traffic, replay: tuple[float, ...] | None = None) -> bool:
    """Whether the rate never changes (no replay file, daily profile or burst)."""
    return replay is None and traffic.profile == "constant" and not traffic.bursts


# --------------------------------------------------------------------------- expected arrivals


@overload
def expected(
    traffic: Traffic, t0: float, t1: float, replay: tuple[float, ...] | None = None
) -> float: ...
@overload
def expected(
    traffic: Traffic, t0: FloatArray, t1: FloatArray, replay: tuple[float, ...] | None = None
) -> FloatArray: ...
def expected(
    traffic: Traffic,
    t0: float | FloatArray,
    t1: float | FloatArray,
    replay: tuple[float, ...] | None = None,
) -> float | FloatArray:
    """Expected arrivals in ``[t0, t1)``: the integral of :func:`rate` (elementwise)."""
    if isinstance(t0, float | int) and isinstance(t1, float | int):
        return expected_scalar(traffic, float(t0), float(t1), replay)
    a = np.asarray(t0, dtype=np.float64)
    b = np.asarray(t1, dtype=np.float64)
    if replay is not None:
        out: FloatArray = _replay_cumulative(replay, b) - _replay_cumulative(replay, a)
        return out
    base = traffic.rate_per_second
    daily = traffic.profile == "daily"
    amp = traffic.daily_amplitude / OMEGA
    phase = _phase(traffic)
    total = np.zeros(np.broadcast(a, b).shape)
    for lo, hi, mult in _pieces(traffic):
        x0 = np.maximum(a, lo)
        x1 = np.minimum(b, hi)
        width = x1 - x0
        if daily:
            width = width + amp * (np.sin(OMEGA * x1 + phase) - np.sin(OMEGA * x0 + phase))
        total = total + np.where(x1 > x0, mult * width, 0.0)
    out = base * total
    return out


def expected_scalar(
    traffic: Traffic, t0: float, t1: float, replay: tuple[float, ...] | None = None
) -> float:
    """:func:`expected` for one interval (the per-replication hot path)."""
    if replay is not None:
        return _replay_cumulative_scalar(replay, t1) - _replay_cumulative_scalar(replay, t0)
    base = traffic.rate_per_second
    daily = traffic.profile == "daily"
    amp = traffic.daily_amplitude / OMEGA
    phase = _phase(traffic)
    total = 0.0
    for lo, hi, mult in _pieces(traffic):
        x0 = max(t0, lo)
        x1 = min(t1, hi)
        if x1 > x0:
            width = x1 - x0
            if daily:
                width = width + amp * (math.sin(OMEGA * x1 + phase) - math.sin(OMEGA * x0 + phase))
            total = total + mult * width
    return base * total


def mean_rate(
    traffic: Traffic, t0: float, t1: float, replay: tuple[float, ...] | None = None
) -> float:
    """The mean arrival rate over ``[t0, t1)`` (the rate at ``t0`` if the interval is empty)."""
    if t1 <= t0:
        return rate_scalar(traffic, t0, replay)
    return expected_scalar(traffic, t0, t1, replay) / (t1 - t0)


def _replay_cumulative(replay: tuple[float, ...], t: FloatArray) -> FloatArray:
    """Arrivals expected in [0, t) of a replay (negative before 0): a piecewise-linear curve."""
    counts = np.asarray(replay, dtype=np.float64)
    n = len(counts)
    cum = np.concatenate(([0.0], np.cumsum(counts)))
    end = 60.0 * n
    inside = np.clip(t, 0.0, end)
    m = np.minimum(np.floor(inside / 60.0), n - 1).astype(np.int64)
    out: FloatArray = (
        cum[m]
        + counts[m] * (inside - 60.0 * m) / 60.0
        + counts[0] * np.minimum(t, 0.0) / 60.0
        + counts[-1] * np.maximum(t - end, 0.0) / 60.0
    )
    return out


def _replay_cumulative_scalar(replay: tuple[float, ...], t: float) -> float:
    n = len(replay)
    end = 60.0 * n
    inside = min(max(t, 0.0), end)
    m = min(math.floor(inside / 60.0), n - 1)
    cum = _cumsum(replay)
    return (
        cum[m]
        + replay[m] * (inside - 60.0 * m) / 60.0
        + replay[0] * min(t, 0.0) / 60.0
        + replay[-1] * max(t - end, 0.0) / 60.0
    )


_CUMSUMS: dict[tuple[float, ...], tuple[float, ...]] = {}


def _cumsum(replay: tuple[float, ...]) -> tuple[float, ...]:
    """The replay's running totals as numpy sums them (so scalar and array versions agree)."""
    hit = _CUMSUMS.get(replay)
    if hit is None:
        if len(_CUMSUMS) > 16:
            _CUMSUMS.clear()
        hit = _CUMSUMS[replay] = (
            0.0,
            *(float(x) for x in np.cumsum(np.asarray(replay, dtype=np.float64))),
        )
    return hit


# --------------------------------------------------------------------------- evenly spaced arrivals


def uniform_arrivals(next_at: float, t0: float, t1: float, r: float) -> tuple[float, int, float]:
    """Evenly spaced arrivals at rate ``r`` in ``[t0, t1)``, the first no earlier than
    ``next_at`` (where the previous interval's lattice left off).

    Returns (first arrival, count, the next interval's ``next_at``).
    """
    if r <= 0:
        return t1, 0, t1
    first = max(next_at, t0)
    n = max(0, math.ceil((t1 - first) * r - LATTICE_EPS))
    while n > 0 and first + (n - 1) / r >= t1:
        n -= 1
    return first, n, first + n / r if n else first


def uniform_arrivals_array(
    next_at: FloatArray, t0: FloatArray, t1: FloatArray, r: FloatArray
) -> tuple[npt.NDArray[np.int64], FloatArray]:
    """:func:`uniform_arrivals` elementwise (a block of intervals, each with its own lattice
    phase ``next_at`` and rate ``r``): (count, the next interval's ``next_at``)."""
    next_at, t0, t1, r = np.broadcast_arrays(
        *(np.asarray(x, dtype=np.float64) for x in (next_at, t0, t1, r))
    )
    positive = r > 0
    safe = np.where(positive, r, 1.0)
    first = np.maximum(next_at, t0)
    with np.errstate(over="ignore", invalid="ignore"):  # a tiny rate: 1 / r overflows to inf
        n = np.maximum(0.0, np.ceil((t1 - first) * safe - LATTICE_EPS))
        while True:  # the scalar version's correction loop, for every element at once
            over = (n > 0) & (first + (n - 1) / safe >= t1)
            if not over.any():
                break
            n = n - over
        n = np.where(positive, n, 0.0)
        after = np.where(n > 0, first + n / safe, first)
    after = np.where(positive, after, t1)
    return n.astype(np.int64), after


def lattice_count(origin: float, t0: FloatArray, t1: FloatArray, r: float) -> npt.NDArray[np.int64]:
    """How many points of the lattice ``origin + k / r`` (k = 0, 1, ...) lie in ``[t0, t1)``,
    elementwise: :func:`uniform_arrivals` at a constant rate, for a block of intervals at once."""
    out: npt.NDArray[np.int64] = (
        np.ceil((t1 - origin) * r - LATTICE_EPS) - np.ceil((t0 - origin) * r - LATTICE_EPS)
    ).astype(np.int64)
    return out
