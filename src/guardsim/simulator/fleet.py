"""Instances, which of them serve traffic, and what they cost.

An instance bills from its launch until its termination, as :mod:`guardsim.model.billing`
defines; blue instances exist before the update, and deactivated instances keep running, and
billing, until they are terminated (see aws-model.md#fleet-sizes).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

from guardsim.model.billing import Bill, bill
from guardsim.model.setup_time import minute_of, sample_of


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
        #: Where launched instances publish their ModelSetupTime sample (None: they publish
        #: none, ``environment.model_setup_time``; see :mod:`guardsim.model.setup_time`).
        self.setup_times: SetupTimes | None = None

    def launch(self, fleet: str, now: float, durations: list[float]) -> list[Instance]:
        batch = [Instance(fleet, now, now + d) for d in durations]
        self.instances.extend(batch)
        if self.setup_times is not None:
            for inst, d in zip(batch, durations, strict=True):
                self.setup_times.add(inst, d)
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
            if self.setup_times is not None and at < inst.ready_at:  # never became ready
                self.setup_times.remove(inst)

    def bill(
        self, start: float, end: float, granularity: float, price_per_hour: Callable[[str], float]
    ) -> Bill:
        """Every instance's billed seconds within [start, end] and their cost
        (:func:`guardsim.model.billing.bill`, instances in launch order);
        ``price_per_hour(fleet)`` is the fleet's hourly instance price."""
        instances = self.instances
        return bill(
            [i.launched_at for i in instances],
            [math.inf if i.terminated_at is None else i.terminated_at for i in instances],
            [price_per_hour(i.fleet) for i in instances],
            end,
            granularity,
            start,
        )


class SetupTimes:
    """The ModelSetupTime samples of launched instances (:mod:`guardsim.model.setup_time`):
    per fleet and minute, each instance's sample, added at its launch (its ready instant is
    known then) in the minute it becomes ready."""

    def __init__(self) -> None:
        self.by_fleet: dict[str, dict[float, dict[int, float]]] = {"blue": {}, "green": {}}

    def add(self, inst: Instance, seconds: float) -> None:
        minute = minute_of(inst.ready_at)
        self.by_fleet[inst.fleet].setdefault(minute, {})[id(inst)] = float(sample_of(seconds))

    def remove(self, inst: Instance) -> float | None:
        """Take back ``inst``'s sample (it never became ready); the sample, if it had one."""
        return self.by_fleet[inst.fleet].get(minute_of(inst.ready_at), {}).pop(id(inst), None)

    def samples(self, fleet: str, minute: float) -> list[float]:
        """The samples of ``fleet``'s instances that became ready in ``minute``."""
        return list(self.by_fleet[fleet].get(minute, {}).values())
