"""Stopping cleanly on SIGINT (Ctrl-C) and SIGTERM (a kill, a CI timeout, a scheduler).

Inside :func:`stop_on_signals` both signals raise :class:`Interrupted` (a ``KeyboardInterrupt``)
in the main thread, so a SIGTERM unwinds exactly like a Ctrl-C: the executor's ``with`` block
terminates its workers and releases the pool (no stray worker processes, no semaphores left to
Python's resource tracker, which would warn about them as "leaked"), the checkpoint, whose rows
are flushed and fsync'ed as each configuration finishes, is closed, locks are released, and the
command prints how to resume. Python's default SIGTERM action kills the process where it stands,
which is what left the "leaked semaphore" warnings.

Cleaning up can take a moment (the workers must be reaped). A second signal during it ends the
process at once (``os._exit``) with the same exit status: the rows already saved are safe, since
each is written in one call and fsync'ed.

Exit statuses: 130 after SIGINT, 143 after SIGTERM (128 + the signal number, as shells report).
The handlers are installed only in the main thread (Python allows no other) and restored on
leaving the block.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import threading
from collections.abc import Iterator
from types import FrameType
from typing import Any

#: The signals :func:`stop_on_signals` turns into :class:`Interrupted`.
SIGNALS = (signal.SIGINT, signal.SIGTERM)


class Interrupted(KeyboardInterrupt):
    """A SIGINT or SIGTERM arrived; ``signum`` says which (``exit_status`` is 128 + it)."""

    def __init__(self, signum: int | str) -> None:
        # also from its name: an exception re-made from its args (pickled, copied) gets "SIGTERM"
        sig = signal.Signals[signum] if isinstance(signum, str) else signal.Signals(signum)
        super().__init__(sig.name)
        self.signum = int(sig)

    @property
    def exit_status(self) -> int:
        return 128 + self.signum


def exit_status(exc: BaseException) -> int:
    """128 + the signal for an :class:`Interrupted`; 130 for any other KeyboardInterrupt."""
    return exc.exit_status if isinstance(exc, Interrupted) else 128 + signal.SIGINT


class _State:
    first: int | None = None


def _at_once(signum: int, frame: FrameType | None) -> None:
    """The second signal: leave now, without the cleanup the first one started."""
    with contextlib.suppress(OSError):
        os.write(2, b"\nguardsim: stopped at once (second signal)\n")
    os._exit(128 + (_State.first or signum))


def _first(signum: int, frame: FrameType | None) -> None:
    _State.first = signum
    for s in SIGNALS:
        signal.signal(s, _at_once)
    raise Interrupted(signum)


@contextlib.contextmanager
def stop_on_signals() -> Iterator[None]:
    """SIGINT and SIGTERM raise :class:`Interrupted` in this block; a second one exits at once.

    Outside the main thread (where signal handlers cannot be set) this does nothing.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    saved: dict[int, Any] = {s: signal.getsignal(s) for s in SIGNALS}
    _State.first = None
    for s in SIGNALS:
        signal.signal(s, _first)
    try:
        yield
    finally:
        for signum, handler in saved.items():
            signal.signal(signum, handler)
        _State.first = None
        sys.stderr.flush()
