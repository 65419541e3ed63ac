"""Time for the real backend: a clock that can be the wall clock or a virtual one.

Everything in :mod:`guardsim.real_backend` that waits or reads the time takes a :class:`Clock`,
so guardsim's emulator (:class:`guardsim.emulator.EmulatedAWS`) can run a 30-minute deployment in
seconds of wall time. Times are epoch seconds (what AWS timestamps are).
"""

from __future__ import annotations

import time
from typing import Protocol


class Clock(Protocol):
    """``now()`` in epoch seconds and ``sleep(seconds)``.

    ``virtual`` is True for a clock that moves only when someone sleeps: requests still in
    flight must then finish before it moves, or they would see a later time than they were sent
    at (the traffic driver waits for them).
    """

    @property
    def virtual(self) -> bool: ...

    def now(self) -> float: ...

    def sleep(self, seconds: float) -> None: ...


class SystemClock:
    """The wall clock: ``time.time`` and ``time.sleep`` (Ctrl-C interrupts a sleep)."""

    virtual = False

    def now(self) -> float:
        return time.time()

    def sleep(self, seconds: float) -> None:
        if seconds > 0:
            time.sleep(seconds)
