"""Table tests of the fault fold (:mod:`guardsim.model.faults`): each kind, the load-latency
factor, warm-up groups, clamping, and the scalar and array forms agreeing."""

from __future__ import annotations

import math

import numpy as np
import pytest

from guardsim.model.faults import (
    KERNELS,
    MAX_UTILISATION,
    Behaviour,
    FleetFaults,
    UnsupportedFault,
    clamp,
    kernel,
    load_factor,
    warm_groups,
)
from guardsim.scenarios.models import (
    ErrorFault,
    Fault,
    LatencyFault,
    LoadErrorFault,
    ModelBehaviour,
    WarmupFault,
)

ERRORS = ErrorFault("errors", rate_5xx=0.2, rate_4xx=0.1, after_seconds=450.0, until_seconds=900.0)
SLOW = LatencyFault("latency", multiplier=1.5, add_ms=3.0, after_seconds=300.0)
LOAD = LoadErrorFault("load_errors", above_utilization=0.8, rate_5xx=0.05)
WARM = WarmupFault("warmup", duration_seconds=60.0, rate_5xx=0.5, latency_multiplier=4.0)


def _fleet(*faults: Fault, capacity: float | None = None, p5: float = 0.01) -> FleetFaults:
    model = ModelBehaviour(
        error_rate_5xx=p5, error_rate_4xx=0.02, capacity_rps_per_instance=capacity, faults=faults
    )
    return FleetFaults(model, "models.green")


def _b(b: Behaviour) -> tuple[float, float, float, float]:
    return float(b.p5), float(b.p4), float(b.mult), float(b.add_ms)


@pytest.mark.parametrize(
    ("faults", "t", "rho", "age", "want"),
    [
        ((), 0.0, 0.0, math.inf, (0.01, 0.02, 1.0, 0.0)),
        # an errors fault holds on [after, until): not at 449.9, at 450 exactly, not at 900
        ((ERRORS,), 449.9, 0.0, math.inf, (0.01, 0.02, 1.0, 0.0)),
        ((ERRORS,), 450.0, 0.0, math.inf, (0.21, 0.12, 1.0, 0.0)),
        ((ERRORS,), 899.9, 0.0, math.inf, (0.21, 0.12, 1.0, 0.0)),
        ((ERRORS,), 900.0, 0.0, math.inf, (0.01, 0.02, 1.0, 0.0)),
        # latency: x multiplier + add_ms from its onset, for ever (until_seconds None)
        ((SLOW,), 299.0, 0.0, math.inf, (0.01, 0.02, 1.0, 0.0)),
        ((SLOW,), 1e7, 0.0, math.inf, (0.01, 0.02, 1.5, 3.0)),
        ((SLOW, SLOW), 400.0, 0.0, math.inf, (0.01, 0.02, 2.25, 6.0)),
        # load errors only strictly above the level
        ((LOAD,), 0.0, 0.8, math.inf, (0.01, 0.02, 1.0, 0.0)),
        ((LOAD,), 0.0, 0.81, math.inf, (0.06, 0.02, 1.0, 0.0)),
        # warm-up: only on instances younger than duration_seconds
        ((WARM,), 0.0, 0.0, 59.9, (0.51, 0.02, 4.0, 0.0)),
        ((WARM,), 0.0, 0.0, 60.0, (0.01, 0.02, 1.0, 0.0)),
        ((WARM, SLOW), 400.0, 0.0, 10.0, (0.51, 0.02, 6.0, 3.0)),
    ],
)
def test_fold_table(
    faults: tuple[Fault, ...],
    t: float,
    rho: float,
    age: float,
    want: tuple[float, float, float, float],
) -> None:
    got = _b(_fleet(*faults).behaviour(t, rho, age))
    assert got == pytest.approx(want, rel=1e-12)


@pytest.mark.parametrize(
    ("rho", "factor"), [(0.0, 1.0), (0.5, 2.0), (0.9, 10.0), (0.95, 20.0), (3.0, 20.0)]
)
def test_load_latency_factor(rho: float, factor: float) -> None:
    """1 / (1 - min(rho, 0.95)): the M/M/1 sojourn factor, capped at x20."""
    assert MAX_UTILISATION == 0.95
    assert load_factor(rho) == pytest.approx(factor, rel=1e-12)
    assert _b(_fleet(SLOW, capacity=10.0).behaviour(500.0, rho))[2] == pytest.approx(
        1.5 * factor, rel=1e-12
    )
    # without a capacity the utilisation does not slow anything down
    assert _b(_fleet(capacity=None).behaviour(0.0, rho))[2] == 1.0


def test_probabilities_are_clamped() -> None:
    """A request fails at most once: p5 <= 1 and p4 <= 1 - p5, however many faults add up."""
    big = ErrorFault("errors", rate_5xx=0.7, rate_4xx=0.6)
    p5, p4, _, _ = _b(_fleet(big, WARM).behaviour(0.0, 0.0, 0.0))
    assert p5 == 1.0 and p4 == 0.0
    p5, p4, _, _ = _b(_fleet(big).behaviour(0.0, 0.0))
    assert p5 == pytest.approx(0.71) and p4 == pytest.approx(0.29)
    assert _b(clamp(Behaviour(0.3, 0.9, 1.0, 0.0)))[:2] == pytest.approx((0.3, 0.7))


def test_array_fold_equals_scalar_fold() -> None:
    """The same kernels on arrays (a block of replications or a batch's requests) give,
    elementwise, exactly the scalar fold."""
    fleet = _fleet(ERRORS, SLOW, LOAD, WARM, capacity=5.0)
    rng = np.random.default_rng(7)
    t = rng.uniform(0.0, 1200.0, 500)
    rho = rng.uniform(0.0, 1.5, 500)
    age = rng.uniform(0.0, 120.0, 500)
    arr = fleet.behaviour(t, rho, age)
    for i in range(500):
        one = fleet.behaviour(float(t[i]), float(rho[i]), float(age[i]))
        assert tuple(float(np.asarray(v)[i]) for v in arr) == _b(one)


def test_cuts() -> None:
    fleet = _fleet(ERRORS, SLOW, LOAD, WARM)
    assert fleet.time_cuts == (300.0, 450.0, 900.0)
    assert fleet.age_cuts == (60.0,)
    assert not fleet.timeless
    assert _fleet(LOAD, WARM).timeless
    assert [k.scope for k in fleet.kernels] == ["fleet", "fleet", "fleet", "instance"]


def test_warm_groups() -> None:
    """Instances are grouped by which side of every age cut they are on."""
    groups = warm_groups([5.0, 70.0, 10.0, 200.0], (60.0, 120.0))
    shares = sorted((share, age) for share, age in groups)
    assert [s for s, _ in shares] == [0.25, 0.25, 0.5]
    assert {a < 60.0 for s, a in shares if s == 0.5} == {True}
    assert warm_groups([1.0, 2.0], ()) == [(1.0, 1.0)]


def test_every_shipped_kind_has_a_kernel() -> None:
    for fault in (ERRORS, SLOW, LOAD, WARM):
        assert type(fault) in KERNELS
        assert kernel(fault).apply(Behaviour(0.0, 0.0, 1.0, 0.0), 0.0, 0.0, 0.0) is not None


def test_a_kind_without_a_kernel_is_refused_by_name() -> None:
    class Mystery:
        kind = "mystery"

    with pytest.raises(UnsupportedFault) as info:
        FleetFaults(ModelBehaviour(faults=(ERRORS, Mystery())), "models.green")  # type: ignore[arg-type]
    assert "models.green.faults[1]" in str(info.value)
    assert "'mystery'" in str(info.value)
