"""A fault kind the engines have never seen is applied by every engine or refused loudly.

The fault kinds here are defined in this test, not in ``scenarios/models.py``. Every engine
(exact and fast data planes, the batch engine, the emulator) compiles a fleet's faults through
:mod:`guardsim.model.faults`, so:

* a kind **without a kernel** is refused by every engine with :class:`UnsupportedFault` naming
  the field (``models.green.faults[0]``) and the kind;
* a kind whose kernel is registered is **applied** by every engine that can (shown by its
  effect, with the exact onset), and an engine that cannot apply it (the batch engine and a
  per-instance kind) refuses the scenario, naming the field.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import model_helpers as helpers
import numpy as np
import pytest

from guardsim.batch.engine import run_batch
from guardsim.emulator import EmulatedAWS, Emulator, VirtualClock, World, world_from_scenario
from guardsim.emulator.world import ModelRule
from guardsim.model.faults import KERNELS, Behaviour, Scope, UnsupportedFault, Value, active, where
from guardsim.simulator import simulate


@dataclass(frozen=True)
class BrownoutFault:
    """NEW kind: every request of the fleet fails with a 5XX from ``after_seconds``."""

    kind: str = "brownout"
    after_seconds: float = 450.0


@dataclass(frozen=True)
class BrownoutKernel:
    fault: BrownoutFault
    scope: Scope = "fleet"
    age_cuts: tuple[float, ...] = ()

    @property
    def time_cuts(self) -> tuple[float, ...]:
        return (self.fault.after_seconds,)

    def apply(self, acc: Behaviour, t: Value, rho: Value, age: Value) -> Behaviour:
        on = active(self.fault.after_seconds, None, t)
        return acc._replace(p5=where(on, 1.0, acc.p5))


@dataclass(frozen=True)
class ColdStartFault:
    """NEW per-instance kind: an instance fails every request for its first ``seconds``."""

    kind: str = "cold_start"
    seconds: float = 30.0


@dataclass(frozen=True)
class ColdStartKernel:
    fault: ColdStartFault
    scope: Scope = "instance"
    time_cuts: tuple[float, ...] = ()

    @property
    def age_cuts(self) -> tuple[float, ...]:
        return (self.fault.seconds,)

    def apply(self, acc: Behaviour, t: Value, rho: Value, age: Value) -> Behaviour:
        return acc._replace(p5=where(age < self.fault.seconds, 1.0, acc.p5))


def _brownout() -> object:
    return helpers.with_green_faults(helpers.scenario(), BrownoutFault())


def _refused(info: pytest.ExceptionInfo[BaseException], kind: str) -> None:
    message = str(info.value)
    assert "models.green.faults[0]" in message
    assert repr(kind) in message


# --------------------------------------------------------------------------- no kernel: refused


@pytest.mark.parametrize("mode", ["exact", "fast"])
def test_per_replication_engine_refuses_a_kind_without_kernel(mode: str) -> None:
    with pytest.raises(UnsupportedFault) as info:
        simulate(helpers.with_green_faults(helpers.scenario(), BrownoutFault()), mode=mode)
    _refused(info, "brownout")


def test_batch_engine_refuses_a_kind_without_kernel() -> None:
    s = helpers.with_green_faults(helpers.scenario(), BrownoutFault())
    with pytest.raises(UnsupportedFault) as info:
        run_batch(s, seed=1, start=0, stop=4)
    _refused(info, "brownout")


def test_the_emulator_refuses_a_kind_without_kernel() -> None:
    """A world with a fault kind no kernel implements is refused when the emulator is made,
    naming the field, rather than answering requests without the fault."""
    s = helpers.with_green_faults(helpers.scenario(), BrownoutFault())
    with pytest.raises(UnsupportedFault) as info:
        Emulator(World(models=(ModelRule(behaviour=s.models.green),)), VirtualClock(0.0))
    assert "models[0].behaviour.faults[0]" in str(info.value)
    assert "'brownout'" in str(info.value)


def test_a_truth_world_with_an_unknown_kind_is_refused() -> None:
    """The world of a truth scenario (the real backend's tests, ``real run --fake-aws``) names
    the scenario's field."""
    s = helpers.with_green_faults(helpers.scenario(), BrownoutFault())
    with pytest.raises(UnsupportedFault) as info:
        world_from_scenario(s)
    assert "models.green.faults[0]" in str(info.value)


def _updated(s: object) -> EmulatedAWS:
    """An emulator in the world of ``s`` whose endpoint has been updated to a second model."""
    aws = EmulatedAWS(world_from_scenario(s))  # type: ignore[arg-type]
    em = aws.emulator
    for model, config in (("m1", "c1"), ("m2", "c2")):
        em.call("CreateModel", {"ModelName": model, "PrimaryContainer": {"Image": "i"}})
        variant = {"VariantName": "AllTraffic", "ModelName": model}
        variant.update(InstanceType="ml.m5.large", InitialInstanceCount=1)
        em.call(
            "CreateEndpointConfig", {"EndpointConfigName": config, "ProductionVariants": [variant]}
        )
    em.call("CreateEndpoint", {"EndpointName": "e", "EndpointConfigName": "c1"})
    aws.clock.sleep(3600.0)
    em.call("UpdateEndpoint", {"EndpointName": "e", "EndpointConfigName": "c2"})
    return aws


# --------------------------------------------------------------------------- a kernel: applied


@pytest.fixture
def registered(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(KERNELS, BrownoutFault, BrownoutKernel)
    monkeypatch.setitem(KERNELS, ColdStartFault, ColdStartKernel)


@pytest.mark.usefixtures("registered")
def test_exact_mode_applies_a_new_kind_from_its_onset() -> None:
    s = helpers.with_green_faults(helpers.scenario(), BrownoutFault())
    times, codes = helpers.exact_requests(s)
    assert 450.0 <= times[codes == 500].min() < 451.0
    assert np.all(codes[times >= 450.0] == 500)


@pytest.mark.usefixtures("registered")
def test_fast_mode_applies_a_new_kind_from_its_onset() -> None:
    n, e5 = helpers.fast_minute(helpers.with_green_faults(helpers.scenario(), BrownoutFault()), 420)
    # half of [420, 480) is after the onset: Binomial(n, 1/2), 5 standard deviations
    assert 0 < e5 < n and abs(e5 - n / 2) <= 5 * math.sqrt(n / 4)


@pytest.mark.usefixtures("registered")
def test_batch_engine_applies_a_new_fleet_wide_kind() -> None:
    s = helpers.with_green_faults(helpers.scenario(), BrownoutFault())
    n, e5 = helpers.batch_minute(s, 420.0)
    assert np.all((e5 > 0) & (e5 < n))
    assert abs(int(e5.sum()) - int(n.sum()) / 2) <= 5 * math.sqrt(int(n.sum()) / 4)


@pytest.mark.usefixtures("registered")
def test_emulated_invocations_apply_a_new_kind() -> None:
    """The model an update deploys takes the truth's green behaviour, compiled through the
    kernels: the brownout's errors start at its onset, 450 s after UpdateEndpoint."""
    s = helpers.with_green_faults(helpers.scenario(), BrownoutFault())
    em = _updated(s).emulator
    faults = em.models["m2"].faults
    assert faults is not None and em.models["m1"].faults is not None
    assert float(faults.behaviour(449.9, 0.0, math.inf).p5) == 0.0
    assert float(faults.behaviour(450.0, 0.0, math.inf).p5) == 1.0
    assert float(em.models["m1"].faults.behaviour(450.0, 0.0, math.inf).p5) == 0.0


@pytest.mark.usefixtures("registered")
def test_a_new_per_instance_kind_is_applied_or_refused() -> None:
    """Per-instance: every engine applies it on each instance's first 30 s of traffic (the
    canary instance from 110 s); the batch engine too since issue 14 (it used to refuse)."""
    s = helpers.with_green_faults(helpers.scenario(), ColdStartFault())
    times, codes = helpers.exact_requests(s)
    failed = times[codes == 500]
    assert 110.0 <= failed.min() < 111.0
    assert np.all(codes[(times >= 110.0) & (times < 140.0)] == 500)
    assert np.all(codes[(times >= 140.0) & (times < 420.0)] == 200)
    n, e5 = helpers.fast_minute(s, 120.0)
    assert e5 == pytest.approx(n / 3, abs=5 * math.sqrt(n * 2 / 9))  # [120, 140) of [120, 180)
    n_b, e5_b = helpers.batch_minute(s, 120.0)
    # [120, 140) of [120, 180) cold, over the block: 5 standard deviations of the binomial
    total = int(n_b.sum())
    assert int(e5_b.sum()) == pytest.approx(total / 3, abs=5 * math.sqrt(total * 2 / 9))
