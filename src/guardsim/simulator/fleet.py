"""Instances, which of them serve traffic, and what they cost.

An instance bills from its launch until its termination (spec 5 [INF]: per-second billing is
only claimed by third parties; the granularity is ``environment.billing_granularity_seconds``).
Blue instances exist before the update; only the time during the deployment is counted.
Deactivated instances keep running, and billing, until they are terminated (spec 2.2).
"""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(eq=False)  # identity: two instances launched together are still two instances
class Instance:
    fleet: str  # "blue" (old endpoint config) or "green" (new endpoint config)
    launched_at: float
    ready_at: float
    activated_at: float | None = None
    terminated_at: float | None = None

    @property
    def active(self) -> bool:
        return self.activated_at is not None and self.terminated_at is None


class Fleets:
    """Every instance of the run, and the active ones per fleet (in activation order)."""

    def __init__(self) -> None:
        self.instances: list[Instance] = []
        self.active: dict[str, list[Instance]] = {"blue": [], "green": []}

    def launch(self, fleet: str, now: float, durations: list[float]) -> list[Instance]:
        batch = [Instance(fleet, now, now + d) for d in durations]
        self.instances.extend(batch)
        return batch

    def activate(self, instances: list[Instance], now: float) -> None:
        for inst in instances:
            inst.activated_at = now
            self.active[inst.fleet].append(inst)

    def deactivate(self, instances: list[Instance]) -> None:
        for inst in instances:
            self.active[inst.fleet].remove(inst)

    def terminate(self, instances: list[Instance], at: float) -> None:
        for inst in instances:
            if inst in self.active[inst.fleet]:
                self.active[inst.fleet].remove(inst)
            inst.terminated_at = at

    def billed_seconds(
        self, start: float, end: float, granularity: float
    ) -> list[tuple[Instance, float]]:
        """Each instance's billed seconds within [start, end], rounded up to ``granularity``."""
        out = []
        for inst in self.instances:
            a = max(inst.launched_at, start)
            b = min(inst.terminated_at if inst.terminated_at is not None else end, end)
            if b > a:
                out.append((inst, math.ceil((b - a) / granularity - 1e-9) * granularity))
        return out
