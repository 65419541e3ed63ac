"""Progress of a Monte Carlo run or a sweep, and a one-line progress display for terminals.

Monte Carlo and sweeps call a progress callback with a :class:`Progress` after every finished
chunk of replications (and, in a sweep, after every finished configuration has been saved to
the checkpoint). The callback sees counts only; it cannot change any result. It may raise (for
example ``KeyboardInterrupt``) to stop the run: work already checkpointed is kept.

:class:`ProgressLine` is the display ``guardsim mc`` and ``guardsim sweep`` use: one line on
stderr, rewritten in place (``\\r``), at most a few times a second. It reads the wall clock,
for the rate and the ETA it shows; the only other reader in Monte Carlo is the auto executor,
which times its first chunk to choose where the rest runs (never what it computes).
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TextIO


@dataclass(frozen=True)
class Progress:
    """How far a run is: replications done of the total, and for sweeps configurations too.

    ``configs_total`` is 0 for a plain Monte Carlo run. In a resumed sweep the totals count only
    what is left to compute (configurations found in the checkpoint are not included).
    """

    done: int
    total: int
    configs_done: int = 0
    configs_total: int = 0


ProgressCallback = Callable[[Progress], None]


def format_duration(seconds: float) -> str:
    """``0:07``, ``12:30``, ``1:02:05``."""
    total = max(0, round(seconds))
    h, rest = divmod(total, 3600)
    m, s = divmod(rest, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


class ProgressLine:
    """``label: 450/1000 replications, 312/s, ETA 0:02`` on one line of ``stream``.

    Call it with each :class:`Progress`; call :meth:`close` at the end (it finishes the line).
    Updates are throttled to one per ``interval`` seconds, except the last one.
    """

    def __init__(
        self,
        label: str,
        stream: TextIO | None = None,
        *,
        interval: float = 0.25,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.label = label
        self.stream = stream if stream is not None else sys.stderr
        self.interval = interval
        self.clock = clock
        self.started = clock()
        self._last_shown = -float("inf")
        self._width = 0
        self._shown = False

    def text(self, p: Progress, elapsed: float) -> str:
        parts = []
        if p.configs_total:
            parts.append(f"{p.configs_done}/{p.configs_total} configurations")
        parts.append(f"{p.done}/{p.total} replications")
        if elapsed > 0 and p.done:
            rate = p.done / elapsed
            parts.append(f"{rate:,.0f}/s")
            if p.done < p.total:
                parts.append(f"ETA {format_duration((p.total - p.done) / rate)}")
            else:
                parts.append(f"in {format_duration(elapsed)}")
        return f"{self.label}: " + ", ".join(parts)

    def __call__(self, p: Progress) -> None:
        now = self.clock()
        if p.done < p.total and now - self._last_shown < self.interval:
            return
        self._last_shown = now
        line = self.text(p, now - self.started)
        pad = " " * max(0, self._width - len(line))
        self._width = len(line)
        self.stream.write(f"\r{line}{pad}")
        self.stream.flush()
        self._shown = True

    def close(self) -> None:
        if self._shown:
            self.stream.write("\n")
            self.stream.flush()
            self._shown = False
