"""SageMaker's watch over an update, as pure functions: the trip check, and the waits, polls and
timeouts of the success path.

During a bake SageMaker reads the update's rollback alarms and rolls back if one is in ALARM
(https://docs.aws.amazon.com/sagemaker/latest/dg/deployment-guardrails-configuration.html);
how often it reads them, and what exactly counts as "tripped", AWS does not say, so both come
from the scenario's ``environment``: ``alarm_poll_interval_seconds``,
``trip_on_insufficient_data``, ``trip_if_in_alarm_at_bake_start``, ``poll_at_bake_end``. The
update also fails or rolls back once it has run longer than ``MaximumExecutionTimeoutInSeconds``
(https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_BlueGreenUpdatePolicy.html).

One wait of the controller (a provisioning, an activation, a bake, a termination) runs from
``start`` for ``duration`` seconds, optionally watched and optionally under a deadline. At each
instant it wakes it checks, in this order (:func:`check`):

1. its end: the wait is over (``DONE``), after one last poll if ``poll_at_bake_end`` is set and
   the wait is a watched one of positive length (``END_POLL``);
2. the deadline: ``TIMEOUT``;
3. a poll due (polls every ``alarm_poll_interval_seconds`` from the wait's start): ``POLL``.

It then sleeps to the first of its end, its next poll and its deadline (:func:`wake_at`),
landing where SimPy lands, ``now + (target - now)`` (:func:`arrive`). Until an alarm changes
state none of this depends on the alarms, so the instants of a whole wait can be laid out in
advance (:func:`lay_out`): the SimPy controller does so to sleep through polls that cannot find
anything, the batch engine to lay out every replication's success path at once. Every function
takes floats (the controller) or numpy arrays with one entry per replication (the batch engine)
and does the same float operations on both, so the instants agree to the bit.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Generic, TypeVar, overload

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

#: What a wait does at one instant (:func:`check`): nothing, a poll, the deadline passed, the
#: end with one last poll, the end.
NOTHING, POLL, TIMEOUT, END_POLL, DONE = 0, 1, 2, 3, 4
#: The checks after which the wait is over (the codes from TIMEOUT on).
LEAVING = (TIMEOUT, END_POLL, DONE)
#: The checks at which SageMaker reads the alarms (a trip there leaves the success path).
READS_ALARMS = (POLL, END_POLL)
#: The deadline of a wait that has none.
NO_LIMIT = math.inf

T = TypeVar("T", float, FloatArray)
K = TypeVar("K", int, IntArray)


# --------------------------------------------------------------------------- elementwise operations
# The few operations the definitions below use, as builtins on floats and as their numpy
# counterparts on arrays: the same IEEE operations, chosen once per call, not per operation.


class _Scalar:
    @staticmethod
    def where(cond: Any, a: Any, b: Any) -> Any:
        return a if cond else b

    @staticmethod
    def minimum(a: Any, b: Any) -> Any:
        return b if b < a else a  # the builtin min

    @staticmethod
    def and_(a: Any, b: Any) -> Any:
        return a and b

    @staticmethod
    def or_(a: Any, b: Any) -> Any:
        return a or b

    @staticmethod
    def not_(a: Any) -> Any:
        return not a

    @staticmethod
    def any(a: Any) -> bool:
        return bool(a)


class _Array:
    @staticmethod
    def where(cond: Any, a: Any, b: Any) -> Any:
        return np.where(cond, a, b)

    @staticmethod
    def minimum(a: Any, b: Any) -> Any:
        return np.minimum(a, b)

    @staticmethod
    def and_(a: Any, b: Any) -> Any:
        return np.logical_and(a, b)

    @staticmethod
    def or_(a: Any, b: Any) -> Any:
        return np.logical_or(a, b)

    @staticmethod
    def not_(a: Any) -> Any:
        return np.logical_not(a)

    @staticmethod
    def any(a: Any) -> bool:
        return bool(np.asarray(a).any())


Ops = type[_Scalar] | type[_Array]


def _ops(*xs: object) -> Ops:
    for x in xs:
        if isinstance(x, np.ndarray):
            return _Array
    return _Scalar


# --------------------------------------------------------------------------- the trip check


@overload
def trips(
    in_alarm: bool,
    insufficient: bool,
    entered_at: float,
    since: float,
    *,
    on_insufficient_data: bool,
    in_alarm_at_start: bool,
) -> bool: ...
@overload
def trips(
    in_alarm: BoolArray,
    insufficient: BoolArray,
    entered_at: FloatArray,
    since: FloatArray | float,
    *,
    on_insufficient_data: bool,
    in_alarm_at_start: bool,
) -> BoolArray: ...
def trips(
    in_alarm: bool | BoolArray,
    insufficient: bool | BoolArray,
    entered_at: float | FloatArray,
    since: float | FloatArray,
    *,
    on_insufficient_data: bool,
    in_alarm_at_start: bool,
) -> bool | BoolArray:
    """Whether a poll of a wait that started at ``since`` counts a rollback alarm as tripped.

    The alarm is in ALARM (``in_alarm``), or in INSUFFICIENT_DATA (``insufficient``) with
    ``environment.trip_on_insufficient_data``; and it entered that state (at ``entered_at``)
    during the wait, unless ``environment.trip_if_in_alarm_at_bake_start`` lets a state that
    predates the wait trip it too.
    """
    o = _ops(in_alarm, insufficient, entered_at, since)
    hit = o.or_(in_alarm, o.and_(insufficient, on_insufficient_data))
    result: bool | BoolArray = hit if in_alarm_at_start else o.and_(hit, entered_at >= since)
    return result


# --------------------------------------------------------------------------- one wait, step by step


@overload
def check(
    now: float, end: float, next_poll: float, limit: float, *, watch: bool, end_poll: bool
) -> int: ...
@overload
def check(
    now: FloatArray,
    end: FloatArray,
    next_poll: FloatArray,
    limit: FloatArray | float,
    *,
    watch: bool,
    end_poll: BoolArray | bool,
) -> IntArray: ...
def check(
    now: float | FloatArray,
    end: float | FloatArray,
    next_poll: float | FloatArray,
    limit: float | FloatArray,
    *,
    watch: bool,
    end_poll: bool | BoolArray,
) -> int | IntArray:
    """What a wait does at the instant ``now`` (module docstring): ``DONE`` or ``END_POLL`` at
    or after its ``end``, else ``TIMEOUT`` at or after its deadline ``limit`` (``inf``: none),
    else ``POLL`` if it is watched and ``next_poll`` is due, else ``NOTHING``."""
    o = _ops(now, end, next_poll, limit, end_poll)
    out: int | IntArray = _check(o, now, end, next_poll, limit, watch, end_poll)
    return out


def _check(
    o: Ops, now: Any, end: Any, next_poll: Any, limit: Any, watch: bool, end_poll: Any
) -> Any:
    return _check_at(o, now, end, next_poll, limit, watch, o.where(end_poll, END_POLL, DONE))


def _check_at(
    o: Ops,
    now: Any,
    end: Any,
    next_poll: Any,
    limit: Any,
    watch: bool,
    at_end: Any,
    timed: bool = True,
) -> Any:
    """:func:`check`, given what the wait does at its end (``at_end``: ``END_POLL`` where it
    polls once more, else ``DONE``); ``timed=False`` when the deadline comes before the end
    nowhere, where it never decides (``now >= limit >= end``: the end is checked first)."""
    where = o.where
    idle = where(now >= next_poll, POLL, NOTHING) if watch else NOTHING
    later = where(now >= limit, TIMEOUT, idle) if timed else idle
    return where(now >= end, at_end, later)


@overload
def wake_at(now: float, end: float, next_poll: float, limit: float, *, watch: bool) -> float: ...
@overload
def wake_at(
    now: FloatArray,
    end: FloatArray,
    next_poll: FloatArray,
    limit: FloatArray | float,
    *,
    watch: bool,
) -> FloatArray: ...
def wake_at(
    now: float | FloatArray,
    end: float | FloatArray,
    next_poll: float | FloatArray,
    limit: float | FloatArray,
    *,
    watch: bool,
) -> float | FloatArray:
    """Where a wait that found nothing at ``now`` sleeps to: the first of its end, its next poll
    (if watched) and its deadline."""
    out: float | FloatArray = _wake_at(
        _ops(now, end, next_poll, limit), end, next_poll, limit, watch
    )
    return out


def _wake_at(o: Ops, end: Any, next_poll: Any, limit: Any, watch: bool, timed: bool = True) -> Any:
    """:func:`wake_at`; ``timed=False``: the deadline comes before the end nowhere, and the
    minimum with it changes nothing (the soonest of the end and the next poll is at most the
    end)."""
    soonest = o.minimum(end, next_poll) if watch else end
    return o.minimum(soonest, limit) if timed else soonest


def arrive(now: T, target: T) -> T:
    """The instant SimPy wakes at after a timeout of ``target - now`` (not always ``target``
    to the last bit)."""
    return now + (target - now)


def unwatched_exit(start: FloatArray, duration: FloatArray) -> FloatArray:
    """Where an unwatched wait returns when no deadline comes before its end: :func:`lay_out_wait`'s
    ``exit`` (it wakes only at its end, arriving as SimPy does, :func:`arrive`, and again
    wherever the rounding left it short), without laying out its instants: it has no poll and
    no timeout, so no instant of it is an event."""
    end = start + duration
    t = start
    short = t < end
    while short.any():
        t = np.where(short, arrive(t, end), t)
        short = t < end
    return t


def end_poll_due(
    watch: bool, duration: float | FloatArray, poll_at_bake_end: bool
) -> bool | BoolArray:
    """Whether the wait polls once more at its end: ``environment.poll_at_bake_end``, for a
    watched wait of positive length."""
    out: bool | BoolArray = _ops(duration).and_(watch and poll_at_bake_end, duration > 0)
    return out


# --------------------------------------------------------------------------- a wait, laid out


@dataclass(frozen=True)
class Layout(Generic[T, K]):
    """The instants a wait checks, in order, if no poll finds anything.

    Column ``i`` is the ``i``-th instant: ``times[i]``, the poll time due on arrival
    ``next_polls[i]``, and what the wait did there, ``kinds[i]`` (``NOTHING`` where it did
    nothing, or had already left: with arrays, rows leave at different columns). ``exit`` is the
    instant the wait returned (its end, or its deadline), ``left`` whether it did within the
    columns laid out (always, unless ``max_checks`` cut the layout short).
    """

    times: list[T]
    next_polls: list[T]
    kinds: list[K]
    exit: T
    left: bool | BoolArray


@overload
def lay_out(
    now: float,
    end: float,
    next_poll: float,
    limit: float,
    *,
    watch: bool,
    end_poll: bool,
    poll_interval: float,
    max_checks: int | None = None,
) -> Layout[float, int]: ...
@overload
def lay_out(
    now: FloatArray,
    end: FloatArray,
    next_poll: FloatArray,
    limit: FloatArray | float,
    *,
    watch: bool,
    end_poll: BoolArray | bool,
    poll_interval: float,
    max_checks: int | None = None,
) -> Layout[FloatArray, IntArray]: ...
def lay_out(
    now: float | FloatArray,
    end: float | FloatArray,
    next_poll: float | FloatArray,
    limit: float | FloatArray,
    *,
    watch: bool,
    end_poll: bool | BoolArray,
    poll_interval: float,
    max_checks: int | None = None,
) -> Layout[float, int] | Layout[FloatArray, IntArray]:
    """The rest of a wait from the instant ``now`` (not yet checked) with ``next_poll`` due, if
    no poll finds anything: :func:`check` at each instant, ``next_poll`` moved on by
    ``poll_interval`` after each poll, then :func:`wake_at` and :func:`arrive` to the next
    instant, until the wait leaves (or ``max_checks`` instants are laid out)."""
    out: Layout[float, int] | Layout[FloatArray, IntArray] = _lay_out(
        now, end, next_poll, limit, watch, end_poll, poll_interval, max_checks
    )
    return out


def _lay_out(
    now: Any,
    end: Any,
    next_poll: Any,
    limit: Any,
    watch: bool,
    end_poll: Any,
    poll_interval: float,
    max_checks: int | None,
) -> Any:
    o = _ops(now, end, next_poll, limit, end_poll)
    times: list[Any] = []
    polls: list[Any] = []
    kinds: list[Any] = []
    t = now
    nxt = next_poll
    active: Any = True
    if o is _Array:
        shape = np.broadcast(now, end, next_poll, limit, end_poll).shape
        t, nxt = np.broadcast_to(t, shape), np.broadcast_to(nxt, shape)
        active = np.ones(shape, dtype=bool)
    start = t
    where, any_, and_ = o.where, o.any, o.and_
    # the same at every instant: what the wait does at its end, and whether its deadline can
    # decide anything: only where it comes before the end (a check at or after the end is
    # DONE or END_POLL first, and a wake-up never passes the end, so a deadline at or after
    # it is never reached and never the soonest wake-up)
    at_end = where(end_poll, END_POLL, DONE)
    timed = any_(limit < end)
    while any_(active) and (max_checks is None or len(times) < max_checks):
        k = where(active, _check_at(o, t, end, nxt, limit, watch, at_end, timed), NOTHING)
        times.append(t)
        polls.append(nxt)
        kinds.append(k)
        nxt = where(k == POLL, nxt + poll_interval, nxt)
        active = and_(active, k < TIMEOUT)  # LEAVING: the codes from TIMEOUT on
        t = where(active, arrive(t, _wake_at(o, end, nxt, limit, watch, timed)), t)
    # where a wait left, it stayed at the instant it left; else (max_checks) its start
    return Layout(times, polls, kinds, where(active, start, t), o.not_(active))


@overload
def lay_out_wait(
    start: float,
    duration: float,
    limit: float,
    *,
    watch: bool,
    poll_interval: float,
    poll_at_bake_end: bool,
) -> Layout[float, int]: ...
@overload
def lay_out_wait(
    start: FloatArray,
    duration: FloatArray,
    limit: FloatArray | float,
    *,
    watch: bool,
    poll_interval: float,
    poll_at_bake_end: bool,
) -> Layout[FloatArray, IntArray]: ...
def lay_out_wait(
    start: float | FloatArray,
    duration: float | FloatArray,
    limit: float | FloatArray,
    *,
    watch: bool,
    poll_interval: float,
    poll_at_bake_end: bool,
) -> Layout[float, int] | Layout[FloatArray, IntArray]:
    """A whole wait of ``duration`` s from ``start`` under the deadline ``limit`` (``inf``:
    none), first poll at its start, as the controller runs it when no poll finds anything."""
    due = end_poll_due(watch, duration, poll_at_bake_end)
    out: Layout[float, int] | Layout[FloatArray, IntArray] = _lay_out(
        start, start + duration, start, limit, watch, due, poll_interval, None
    )
    return out
