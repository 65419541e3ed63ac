"""A run record's timeline as comparable pieces: phases and alarm transitions, and matching.

Pure functions of run records. Phases come from the record's transitions: each transition
starts a phase (its ``to``) that lasts until the next one; the last phase (InService on either
config, or Failed) has no end. Two timelines are matched **by name and occurrence**: the k-th
``Baking`` of the prediction is compared with the k-th ``Baking`` of the real run. Where the two
runs took different paths (the prediction succeeded, the real run rolled back), the phases
they share are still matched, and the rest are reported as present on one side only.

Alarm transitions are matched the same way, by alarm and direction: the k-th change of alarm A
to ALARM in one run with the k-th in the other.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TypeVar

from guardsim.record import RunRecord

#: The real backend names what it creates ``guardsim-<run id>-<name>``; comparisons use the
#: scenario's name.
_RUN_PREFIX = re.compile(r"^guardsim-[a-z0-9]{4,12}-")
#: Triggers that start a rollback (the phase it interrupts ends there).
ROLLBACK_TRIGGERS = frozenset({"alarm_tripped", "timeout"})
#: How the real backend words a phase it did not see itself (it passed between two polls) ...
INFERRED_PREFIX = "inferred"
#: ... and a rollback start it saw at its next poll (the start is up to one poll late).
POLLED_ROLLBACK_PREFIX = "rollback seen at this poll"


def scenario_name(name: str) -> str:
    """A resource name without the real backend's ``guardsim-<run id>-`` prefix."""
    return _RUN_PREFIX.sub("", name, count=1)


@dataclass(frozen=True)
class PhaseSpan:
    """One phase of a run: ``name``, its ``occurrence`` (1 for the first ``Baking``, ...),
    ``start``, ``end`` (None for the final phase), and the triggers that began and ended it."""

    name: str
    occurrence: int
    start: float
    end: float | None
    entered_by: str
    ended_by: str | None
    reason: str

    @property
    def key(self) -> tuple[str, int]:
        return (self.name, self.occurrence)

    @property
    def observed(self) -> bool:
        """False for a phase a real run's record inferred (it fell between two polls): its
        start and duration say nothing about how long it took."""
        return not self.reason.startswith(INFERRED_PREFIX)

    @property
    def polled_start(self) -> bool:
        """True when the real backend saw this phase begin only at its next poll."""
        return self.reason.startswith(POLLED_ROLLBACK_PREFIX)

    @property
    def duration(self) -> float | None:
        return None if self.end is None else self.end - self.start


def phase_spans(record: RunRecord) -> list[PhaseSpan]:
    """The phases of a run, in order, from its transitions."""
    spans: list[PhaseSpan] = []
    seen: Counter[str] = Counter()
    trs = list(record.transitions)
    for tr, nxt in zip(trs, [*trs[1:], None], strict=True):
        name = str(tr["to"])
        seen[name] += 1
        spans.append(
            PhaseSpan(
                name=name,
                occurrence=seen[name],
                start=float(tr["t"]),
                end=None if nxt is None else float(nxt["t"]),
                entered_by=str(tr.get("trigger", "")),
                ended_by=None if nxt is None else str(nxt.get("trigger", "")),
                reason=str(tr.get("reason", "")),
            )
        )
    return spans


def phase_label(key: tuple[str, int], repeated: bool) -> str:
    """``Baking`` or ``Baking #2`` (numbered when the phase occurs more than once)."""
    name, k = key
    return f"{name} #{k}" if repeated else name


@dataclass(frozen=True)
class AlarmChange:
    """One alarm state change: ``alarm`` (the scenario's name), ``to`` state, ``occurrence``."""

    t: float
    alarm: str
    from_state: str
    to: str
    occurrence: int
    reason: str

    @property
    def key(self) -> tuple[str, str, int]:
        return (self.alarm, self.to, self.occurrence)


def alarm_changes(
    record: RunRecord, *, start: float = 0.0, end: float | None = None
) -> list[AlarmChange]:
    """The alarm state changes in ``[start, end]`` (end None: no limit), numbered per alarm and
    target state."""
    out: list[AlarmChange] = []
    seen: Counter[tuple[str, str]] = Counter()
    for h in sorted(record.alarm_history, key=lambda h: float(h["t"])):
        t = float(h["t"])
        if t < start or (end is not None and t > end):
            continue
        alarm = scenario_name(str(h["alarm"]))
        to = str(h["to"])
        seen[(alarm, to)] += 1
        out.append(AlarmChange(t, alarm, str(h["from"]), to, seen[(alarm, to)], str(h["reason"])))
    return out


T = TypeVar("T", PhaseSpan, AlarmChange)


def match_by_key(
    predicted: Sequence[T], real: Sequence[T]
) -> tuple[list[tuple[T, T]], list[T], list[T]]:
    """Pairs with equal keys (in the real run's order), and the unmatched of each side."""
    by_key = {p.key: p for p in predicted}
    real_keys = {r.key for r in real}
    pairs = [(by_key[r.key], r) for r in real if r.key in by_key]
    only_predicted = [p for p in predicted if p.key not in real_keys]
    only_real = [r for r in real if r.key not in by_key]
    return pairs, only_predicted, only_real


def repeated_names(*timelines: Iterable[PhaseSpan]) -> set[str]:
    """Phase names that occur more than once in any of the timelines."""
    return {s.name for spans in timelines for s in spans if s.occurrence > 1}
