"""``RealBackend``: the real backend behind the one-method :class:`~guardsim.backend.Backend`
protocol, run against the fake AWS; the same run as calling ``run_real`` directly."""

from __future__ import annotations

from pathlib import Path

import pytest
from real_helpers import emulated, tiny

from guardsim.backend import Backend, RealBackend
from guardsim.emulator.faults import InjectedFaults
from guardsim.errors import GuardsimError
from guardsim.real_backend.run import run_real


def test_a_real_backend_run_is_run_real_with_the_seed(payload: Path) -> None:
    scenario = tiny(payload)
    direct_fake = emulated(scenario)
    direct = run_real(
        scenario.with_seed(7), clients=direct_fake, clock=direct_fake.clock, run_id="bkend001"
    )
    assert direct.record is not None

    fake = emulated(scenario)
    backend = RealBackend(fake, fake.clock, run_id=lambda: "bkend001")
    assert isinstance(backend, Backend)
    record = backend.run(scenario, seed=7)
    assert record.mode == "real" and record.seed == 7
    assert record.to_json() == direct.record.to_json()
    assert backend.last is not None and backend.last.record is record
    assert backend.last.teardown.clean and fake.leftovers() == []


def test_a_run_without_a_record_raises_its_error_after_teardown(payload: Path) -> None:
    scenario = tiny(payload)
    fake = emulated(scenario, faults=InjectedFaults(endpoint_fails="create"))
    backend = RealBackend(fake, fake.clock, run_id=lambda: "bkend002")
    with pytest.raises(GuardsimError, match="Failed, not InService"):
        backend.run(scenario, seed=1)
    assert backend.last is not None and backend.last.record is None
    assert fake.leftovers() == []
