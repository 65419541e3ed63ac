"""guardsim's local emulator of SageMaker, SageMaker Runtime and CloudWatch.

* :mod:`.clock`: where the emulated time comes from (virtual, or scaled real time);
* :mod:`.world`: how the client's models behave and what the environment is;
* :mod:`.core`: :class:`Emulator`, answering one HTTP request at a time, and
  :func:`service_for`, which tells the service of a request;
* :mod:`.metrics`, :mod:`.alarms`, :mod:`.deployment`, :mod:`.records`: the metric store, the
  live alarms, one UpdateEndpoint driven by the simulator's controller, and its run record;
* :mod:`.wire`: the services' wire protocols (JSON, RPCv2 CBOR, query, REST-JSON);
* :mod:`.faults`: faults to inject for tests (throttling, refused sends, Ctrl-C, failures);
* :mod:`.clients`: :class:`EmulatedAWS`, botocore clients answered by an emulator.

Names load on first use, so importing a clock costs nothing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from guardsim._lazy import lazy_attributes

if TYPE_CHECKING:
    from guardsim.emulator.clients import EmulatedAWS
    from guardsim.emulator.clock import Clock, ScaledClock, VirtualClock
    from guardsim.emulator.core import Emulator, Event, service_for
    from guardsim.emulator.faults import InjectedFaults
    from guardsim.emulator.world import World, WorldError, load_world, world_from_scenario

__all__ = [
    "Clock",
    "EmulatedAWS",
    "Emulator",
    "Event",
    "InjectedFaults",
    "ScaledClock",
    "VirtualClock",
    "World",
    "WorldError",
    "load_world",
    "service_for",
    "world_from_scenario",
]

_LAZY = {
    "Clock": "guardsim.emulator.clock",
    "EmulatedAWS": "guardsim.emulator.clients",
    "InjectedFaults": "guardsim.emulator.faults",
    "world_from_scenario": "guardsim.emulator.world",
    "ScaledClock": "guardsim.emulator.clock",
    "VirtualClock": "guardsim.emulator.clock",
    "Emulator": "guardsim.emulator.core",
    "Event": "guardsim.emulator.core",
    "service_for": "guardsim.emulator.core",
    "World": "guardsim.emulator.world",
    "WorldError": "guardsim.emulator.world",
    "load_world": "guardsim.emulator.world",
}

__getattr__, __dir__ = lazy_attributes("guardsim.emulator", globals(), _LAZY, __all__)
