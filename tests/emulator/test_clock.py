"""The emulator's clocks."""

from __future__ import annotations

import pytest

from guardsim.emulator import Clock, ScaledClock, VirtualClock
from guardsim.emulator import clock as clock_module


def test_a_virtual_clock_moves_only_forward_and_only_when_told() -> None:
    c = VirtualClock(100.0)
    assert isinstance(c, Clock)
    assert c.now() == 100.0
    c.sleep(30)
    c.advance(-5)  # never back
    assert c.now() == 130.0
    c.set(120.0)
    assert c.now() == 130.0
    c.set(200.0)
    assert c.now() == 200.0


def test_a_scaled_clock_runs_speed_times_real_monotonic_time(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    real = [1000.0]
    monkeypatch.setattr(clock_module.time, "monotonic", lambda: real[0])
    c = ScaledClock(speed=60.0, start=5000.0)
    assert c.now() == 5000.0
    real[0] += 0.5
    assert c.now() == 5030.0
    with pytest.raises(ValueError, match="speed"):
        ScaledClock(speed=0)


def test_a_scaled_clock_starts_at_the_wall_clock_by_default(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(clock_module.time, "time", lambda: 1234.0)
    assert ScaledClock().start == 1234.0


def test_the_emulator_on_a_scaled_clock_moves_with_real_time_and_reports_events(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """What ``guardsim serve`` does: a scaled clock, and advance() between requests."""
    from guardsim.emulator import Emulator, Event, load_world

    real = [0.0]
    monkeypatch.setattr(clock_module.time, "monotonic", lambda: real[0])
    events: list[Event] = []
    world = load_world({"environment": {"provisioning_seconds": {"kind": "fixed", "value": 60}}})
    em = Emulator(world, ScaledClock(speed=60.0, start=1000.0), on_event=events.append)
    em.call("CreateModel", {"ModelName": "m", "PrimaryContainer": {"Image": "i"}})
    em.call(
        "CreateEndpointConfig",
        {
            "EndpointConfigName": "c",
            "ProductionVariants": [
                {"VariantName": "v", "ModelName": "m", "InstanceType": "ml.m5.large"}
            ],
        },
    )
    em.call("CreateEndpoint", {"EndpointName": "e", "EndpointConfigName": "c"})
    real[0] += 0.5  # 30 emulated seconds
    em.advance()
    assert em.call("DescribeEndpoint", {"EndpointName": "e"})["EndpointStatus"] == "Creating"
    real[0] += 0.5  # 60: provisioning is over
    em.advance()
    assert [(e.time, e.kind, e.text) for e in events] == [
        (1000.0, "phase", "Creating: launching 1 instance(s) of c"),
        (1060.0, "phase", "InService on c"),
    ]
