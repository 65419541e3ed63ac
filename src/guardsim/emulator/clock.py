"""The emulator's clocks: where "now" comes from.

The emulator never reads the wall clock itself; it asks its :class:`Clock`. Two are provided:

* :class:`VirtualClock`: time moves only when someone sleeps or advances it (``mock_aws`` and
  the tests: a 30-minute deployment takes no wall time at all);
* :class:`ScaledClock`: ``start + speed x`` the real monotonic time elapsed since it was made
  (``guardsim serve --speed 60``: a 30-minute deployment takes 30 s).
"""

from __future__ import annotations

import threading
import time
from typing import Protocol, runtime_checkable


@runtime_checkable
class Clock(Protocol):
    """A source of the emulated time, in epoch seconds."""

    def now(self) -> float: ...


class VirtualClock:
    """A clock that moves only by :meth:`sleep` / :meth:`advance` (thread-safe)."""

    virtual = True

    def __init__(self, start: float) -> None:
        self._now = float(start)
        self._lock = threading.Lock()

    def now(self) -> float:
        with self._lock:
            return self._now

    def advance(self, seconds: float) -> None:
        """Move the clock forward by ``seconds`` (a negative or zero value does nothing: the
        emulated time never goes back)."""
        if seconds > 0:
            with self._lock:
                self._now += seconds

    def sleep(self, seconds: float) -> None:
        """The same as :meth:`advance`: sleeping on a virtual clock takes no wall time."""
        self.advance(seconds)

    def set(self, t: float) -> None:
        """Move the clock to ``t`` if that is later than now (never back)."""
        with self._lock:
            self._now = max(self._now, float(t))


class ScaledClock:
    """``start + speed x`` the real (monotonic) seconds elapsed since the clock was made.

    ``start`` defaults to the wall clock's time when it is made, so the emulated timestamps
    begin at the present and run ``speed`` times faster.
    """

    virtual = False

    def __init__(self, speed: float = 60.0, start: float | None = None) -> None:
        if not speed > 0:
            raise ValueError(f"speed must be > 0, got {speed!r}")
        self.speed = float(speed)
        self.start = time.time() if start is None else float(start)
        self._origin = time.monotonic()

    def now(self) -> float:
        return self.start + self.speed * (time.monotonic() - self._origin)

    def sleep(self, seconds: float) -> None:
        """Sleep ``seconds`` of emulated time (``seconds / speed`` of real time)."""
        if seconds > 0:
            time.sleep(seconds / self.speed)


__all__ = ["Clock", "ScaledClock", "VirtualClock"]
