"""guardsim's local emulator of SageMaker, SageMaker Runtime and CloudWatch.

* :mod:`.clock`: where the emulated time comes from (virtual, or scaled real time);
* :mod:`.world`: how the client's models behave and what the environment is;
* :mod:`.core`: :class:`Emulator`, answering one HTTP request at a time.
"""

from guardsim.emulator.clock import Clock, ScaledClock, VirtualClock
from guardsim.emulator.core import Emulator, Event, service_for
from guardsim.emulator.world import World, WorldError, load_world

__all__ = [
    "Clock",
    "Emulator",
    "Event",
    "ScaledClock",
    "VirtualClock",
    "World",
    "WorldError",
    "load_world",
    "service_for",
]
