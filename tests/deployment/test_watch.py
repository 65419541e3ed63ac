"""Table tests of SageMaker's watch over an update (guardsim.deployment.watch).

The trip check (which alarm states trip a poll, under each ``environment`` setting), and the
layout of one wait: where it polls, where the deadline cuts it off, the extra poll of
``poll_at_bake_end``, where it returns. Every row is checked on floats (the SimPy controller's
call) and on arrays (the batch engine's), which must give the same bits.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from guardsim.deployment.watch import (
    DONE,
    END_POLL,
    NOTHING,
    POLL,
    TIMEOUT,
    arrive,
    check,
    lay_out,
    lay_out_wait,
    trips,
    unwatched_exit,
    wake_at,
)

INF = math.inf

# --------------------------------------------------------------------------- the trip check

# (state, entered_at, since, on_insufficient_data, in_alarm_at_start) -> trips
TRIPS = {
    "ALARM entered during the bake": (("ALARM", 130.0, 100.0, False, False), True),
    "ALARM entered at the bake's start instant": (("ALARM", 100.0, 100.0, False, False), True),
    "ALARM from before the bake": (("ALARM", 40.0, 100.0, False, False), False),
    "... unless ALARM at the bake's start trips": (("ALARM", 40.0, 100.0, False, True), True),
    "OK never trips": (("OK", 130.0, 100.0, True, True), False),
    "INSUFFICIENT_DATA: no trip by default": (
        ("INSUFFICIENT", 130.0, 100.0, False, False),
        False,
    ),
    "... unless it is set to": (("INSUFFICIENT", 130.0, 100.0, True, False), True),
    "... and not from before the bake": (("INSUFFICIENT", -INF, 100.0, True, False), False),
    "... unless both are set": (("INSUFFICIENT", -INF, 100.0, True, True), True),
}


@pytest.mark.parametrize("case", list(TRIPS))
def test_trip_check(case: str) -> None:
    (state, entered, since, on_insufficient, at_start), expected = TRIPS[case]
    flags = {"on_insufficient_data": on_insufficient, "in_alarm_at_start": at_start}
    got = trips(state == "ALARM", state == "INSUFFICIENT", entered, since, **flags)
    assert got is expected
    arrays = trips(
        np.array([state == "ALARM"] * 3),
        np.array([state == "INSUFFICIENT"] * 3),
        np.full(3, entered),
        np.full(3, since),
        **flags,
    )
    assert arrays.tolist() == [expected] * 3


# --------------------------------------------------------------------------- one wait


BAKE = {"watch": True, "poll_interval": 30.0, "poll_at_bake_end": False}

# (start, duration, limit, settings) -> [(instant, what the wait did there)], where it returns
LAYOUTS = {
    "a bake polls from its start every interval, then ends": (
        (100.0, 90.0, INF, BAKE),
        [(100.0, POLL), (130.0, POLL), (160.0, POLL), (190.0, DONE)],
        190.0,
    ),
    "a bake shorter than an interval polls once": (
        (100.0, 10.0, INF, BAKE),
        [(100.0, POLL), (110.0, DONE)],
        110.0,
    ),
    "a poll due at the end instant is not made: the end comes first": (
        (0.0, 60.0, INF, BAKE),
        [(0.0, POLL), (30.0, POLL), (60.0, DONE)],
        60.0,
    ),
    "poll_at_bake_end: one last look at the end": (
        (0.0, 60.0, INF, {**BAKE, "poll_at_bake_end": True}),
        [(0.0, POLL), (30.0, POLL), (60.0, END_POLL)],
        60.0,
    ),
    "poll_at_bake_end does not apply to a zero-length wait": (
        (50.0, 0.0, INF, {**BAKE, "poll_at_bake_end": True}),
        [(50.0, DONE)],
        50.0,
    ),
    "poll_at_bake_end does not apply to an unwatched wait": (
        (0.0, 45.0, INF, {**BAKE, "watch": False, "poll_at_bake_end": True}),
        [(0.0, NOTHING), (45.0, DONE)],
        45.0,
    ),
    "an unwatched wait only ends": (
        (0.0, 200.0, INF, {**BAKE, "watch": False}),
        [(0.0, NOTHING), (200.0, DONE)],
        200.0,
    ),
    "the timeout cuts a bake off between polls": (
        (0.0, 120.0, 75.0, BAKE),
        [(0.0, POLL), (30.0, POLL), (60.0, POLL), (75.0, TIMEOUT)],
        75.0,
    ),
    "the timeout at a poll instant comes before the poll": (
        (0.0, 120.0, 60.0, BAKE),
        [(0.0, POLL), (30.0, POLL), (60.0, TIMEOUT)],
        60.0,
    ),
    "a deadline already passed times out at the wait's start": (
        (500.0, 120.0, 400.0, BAKE),
        [(500.0, TIMEOUT)],
        500.0,
    ),
    "the end at the deadline instant is the end, not a timeout": (
        (0.0, 60.0, 60.0, BAKE),
        [(0.0, POLL), (30.0, POLL), (60.0, DONE)],
        60.0,
    ),
    "... nor a timeout with the final poll": (
        (0.0, 60.0, 60.0, {**BAKE, "poll_at_bake_end": True}),
        [(0.0, POLL), (30.0, POLL), (60.0, END_POLL)],
        60.0,
    ),
    "an unwatched wait times out too": (
        (0.0, 700.0, 600.0, {**BAKE, "watch": False}),
        [(0.0, NOTHING), (600.0, TIMEOUT)],
        600.0,
    ),
}


@pytest.mark.parametrize("case", list(LAYOUTS))
def test_wait_layout(case: str) -> None:
    (start, duration, limit, settings), expected, exit_at = LAYOUTS[case]
    layout = lay_out_wait(start, duration, limit, **settings)
    assert list(zip(layout.times, layout.kinds, strict=True)) == expected
    assert layout.exit == exit_at
    assert layout.left is True


@pytest.mark.parametrize("case", list(LAYOUTS))
def test_arrays_lay_out_what_floats_do(case: str) -> None:
    """Rows of different waits in one array call: each row is its own float layout."""
    (start, duration, limit, settings), _, _ = LAYOUTS[case]
    starts = np.array([start, start + 7.0, 0.0])
    durations = np.array([duration, duration + 25.0, 30.0])
    limits = np.array([limit, limit, INF])
    arrays = lay_out_wait(starts, durations, limits, **settings)
    for r in range(3):
        one = lay_out_wait(
            float(starts[r]),
            float(durations[r]),
            float(limits[r]),
            **settings,
        )
        # the arrays move in lockstep, one column per instant: a row's first instants are
        # its float layout's, and after it returned its columns say NOTHING
        n = len(one.times)
        assert [float(t[r]) for t in arrays.times[:n]] == one.times
        assert [int(k[r]) for k in arrays.kinds[:n]] == one.kinds
        assert all(int(k[r]) == NOTHING for k in arrays.kinds[n:])
        assert float(arrays.exit[r]) == one.exit


def test_polls_are_the_controllers_repeated_additions() -> None:
    """The n-th poll is at ``start + interval + ... + interval`` as the controller adds it, landed
    on the way SimPy lands, not at ``start + n * interval`` (they differ in the last bit)."""
    start, poll = 100.0, 0.7
    layout = lay_out_wait(start, 70.0, INF, watch=True, poll_interval=poll, poll_at_bake_end=False)
    t, due = start, start
    expected = [start]
    while True:
        due += poll
        target = min(start + 70.0, due)
        t = t + (target - t)
        expected.append(t)
        if t >= start + 70.0:
            break
    assert layout.times == expected
    assert any(x != start + k * poll for k, x in enumerate(expected[:-1]))


def test_lay_out_continues_a_wait_and_stops_at_max_checks() -> None:
    """The controller's sleep-through: the instants after a poll that found nothing."""
    ahead = lay_out(30.0, 200.0, 30.0, INF, watch=True, end_poll=False, poll_interval=30.0)
    assert ahead.times == [30.0, 60.0, 90.0, 120.0, 150.0, 180.0, 200.0]
    assert ahead.next_polls == [30.0, 60.0, 90.0, 120.0, 150.0, 180.0, 210.0]
    cut = lay_out(
        30.0, 200.0, 30.0, INF, watch=True, end_poll=False, poll_interval=30.0, max_checks=3
    )
    assert cut.times == [30.0, 60.0, 90.0]
    assert cut.left is False


def test_steps() -> None:
    assert check(10.0, 60.0, 30.0, INF, watch=True, end_poll=False) == NOTHING
    assert check(30.0, 60.0, 30.0, INF, watch=True, end_poll=False) == POLL
    assert check(30.0, 60.0, 30.0, INF, watch=False, end_poll=False) == NOTHING
    assert check(30.0, 60.0, 30.0, 30.0, watch=True, end_poll=False) == TIMEOUT
    assert check(60.0, 60.0, 60.0, 30.0, watch=True, end_poll=True) == END_POLL
    assert wake_at(10.0, 60.0, 30.0, INF, watch=True) == 30.0
    assert wake_at(10.0, 60.0, 30.0, INF, watch=False) == 60.0
    assert wake_at(10.0, 60.0, 30.0, 20.0, watch=True) == 20.0
    assert arrive(0.1, 0.3) == 0.1 + (0.3 - 0.1)


def _step_by_step(
    start: float, duration: float, limit: float, watch: bool, poll: float, end_poll: bool
) -> tuple[list[tuple[float, int]], float]:
    """A wait run one instant at a time with the public :func:`check`, :func:`wake_at` and
    :func:`arrive`: the definition :func:`lay_out_wait` lays out in one go."""
    end, now, next_poll = start + duration, start, start
    due = watch and end_poll and duration > 0
    out = []
    while True:
        k = check(now, end, next_poll, limit, watch=watch, end_poll=due)
        out.append((now, k))
        if k == POLL:
            next_poll = next_poll + poll
        if k >= TIMEOUT:
            return out, now
        now = arrive(now, wake_at(now, end, next_poll, limit, watch=watch))


@settings(max_examples=300, deadline=None)
@given(
    start=st.floats(0.0, 1e5, allow_nan=False),
    duration=st.floats(0.0, 2000.0, allow_nan=False),
    limit=st.one_of(st.just(INF), st.floats(0.0, 1e5 + 3000.0, allow_nan=False)),
    watch=st.booleans(),
    poll=st.sampled_from([10.0, 30.0, 60.0, 7.3]),
    end_poll=st.booleans(),
)
def test_a_laid_out_wait_is_the_step_by_step_one(
    start: float, duration: float, limit: float, watch: bool, poll: float, end_poll: bool
) -> None:
    """Property: floats and arrays (a row beside a row without a deadline) lay out what the
    step-by-step wait does, instant for instant, with or without a deadline (which the layout
    skips looking at when it is ``inf`` everywhere)."""
    expected, exit_at = _step_by_step(start, duration, limit, watch, poll, end_poll)
    kwargs = {"watch": watch, "poll_interval": poll, "poll_at_bake_end": end_poll}
    one = lay_out_wait(start, duration, limit, **kwargs)
    assert list(zip(one.times, one.kinds, strict=True)) == expected
    assert one.exit == exit_at
    for limits in (np.array([limit, INF]), np.array([limit, limit])):
        rows = lay_out_wait(
            np.array([start, start]), np.array([duration, duration]), limits, **kwargs
        )
        n = len(expected)
        assert [
            (float(t[0]), int(k[0])) for t, k in zip(rows.times[:n], rows.kinds[:n], strict=True)
        ] == expected
        assert float(rows.exit[0]) == exit_at


@settings(max_examples=300, deadline=None)
@given(
    starts=st.lists(st.floats(-1e5, 1e6, allow_nan=False), min_size=1, max_size=8),
    durations=st.lists(
        st.one_of(st.just(0.0), st.floats(0.0, 5e4, allow_nan=False)), min_size=8, max_size=8
    ),
    limit=st.one_of(st.just(INF), st.just(2e6)),
)
def test_an_unwatched_wait_returns_where_its_layout_does(
    starts: list[float], durations: list[float], limit: float
) -> None:
    """Property: where an unwatched wait with no deadline before its end returns, worked out
    without its layout (``unwatched_exit``, what the batch engine calls), is its layout's exit,
    to the bit, including zero-length waits and starts whose end the first arrival misses."""
    start = np.array(starts)
    duration = np.array(durations[: len(starts)])
    laid = lay_out_wait(
        start, duration, limit, watch=False, poll_interval=60.0, poll_at_bake_end=True
    )
    assert np.array_equal(unwatched_exit(start, duration), laid.exit)
    assert not any(np.isin(k, (POLL, TIMEOUT)).any() for k in laid.kinds)
