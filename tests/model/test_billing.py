"""The billing kernel: table tests, scalar vs array, and the engines billing through it.

``guardsim.model.billing`` is the one definition of what a run costs. The tables pin its
arithmetic by hand; the equivalence tests check that a run whose instances launch and terminate
mid-run (a rolling update, rolled back or not) bills exactly what its recorded instance
lifetimes give, where the "every instance lives the whole run" shortcut would not.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from guardsim.model.billing import (
    bill,
    billed_seconds,
    cost_usd,
    reported_usd,
    reported_usd_array,
)
from guardsim.record import RunRecord
from guardsim.scenarios import load_scenario
from guardsim.scenarios.scenario import Scenario
from guardsim.simulator import simulate

INF = math.inf

# (launched, terminated, end, granularity, start) -> billed seconds
TABLE = {
    "blue from before the update, still running": ((-300.0, INF, 1000.25, 1.0, 0.0), 1001.0),
    "exact whole seconds are not rounded up": ((-300.0, INF, 1000.0, 1.0, 0.0), 1000.0),
    "float noise just above a whole unit is not billed": ((0.0, INF, 0.1 + 0.2, 0.1, 0.0), 0.3),
    "launched mid-run": ((200.5, INF, 1000.0, 1.0, 0.0), 800.0),
    "terminated mid-run": ((0.0, 400.2, 1000.0, 1.0, 0.0), 401.0),
    "launched and terminated mid-run": ((100.0, 160.0, 1000.0, 60.0, 0.0), 60.0),
    "terminated after the end: billed to the end": ((0.0, 5000.0, 1000.0, 1.0, 0.0), 1000.0),
    "per-hour billing rounds one second up to an hour": ((0.0, INF, 1.0, 3600.0, 0.0), 3600.0),
    "per-hour billing, just over an hour": ((0.0, INF, 3601.0, 3600.0, 0.0), 7200.0),
    "terminated before the window": ((-900.0, -10.0, 1000.0, 1.0, 0.0), 0.0),
    "launched after the end": ((1200.0, INF, 1000.0, 1.0, 0.0), 0.0),
    "launched as it was terminated": ((300.0, 300.0, 1000.0, 1.0, 0.0), 0.0),
    "a window that does not start at 0": ((0.0, INF, 1000.0, 1.0, 250.0), 750.0),
}


@pytest.mark.parametrize("case", list(TABLE))
def test_billed_seconds_table(case: str) -> None:
    (launched, terminated, end, gran, start), expected = TABLE[case]
    got = billed_seconds(launched, terminated, end, gran, start)
    assert got.shape == ()
    assert float(got) == pytest.approx(expected, rel=1e-12, abs=0.0)


def test_cost_is_seconds_times_the_hourly_price() -> None:
    assert float(cost_usd(np.asarray(1800.0), 3.0)) == 1.5
    b = bill([-300.0, 0.0, 600.0], [INF, INF, 900.0], [3.6, 7.2, 36.0], 1000.0, 1.0)
    # 1000 s at 3.6/h + 1000 s at 7.2/h + 300 s at 36/h = 1 + 2 + 3 dollars
    assert b.instance_seconds == 2300.0
    assert b.cost_usd == pytest.approx(6.0, rel=1e-15)
    assert isinstance(b.instance_seconds, float) and isinstance(b.cost_usd, float)


def test_no_instances_bill_nothing() -> None:
    assert bill([], [], [], 1000.0, 1.0) == (0.0, 0.0)


def test_arrays_give_what_each_scalar_gives() -> None:
    """One definition for scalars and arrays: elementwise the same bits."""
    rng = np.random.default_rng(7)
    n = 400
    launched = rng.uniform(-500.0, 1500.0, n)
    terminated = np.where(rng.random(n) < 0.3, INF, launched + rng.uniform(-10.0, 2000.0, n))
    end = rng.uniform(0.0, 3000.0, n)
    for gran in (1.0, 0.5, 60.0, 3600.0):
        arr = billed_seconds(launched, terminated, end, gran)
        one = [
            float(billed_seconds(float(a), float(t), float(e), gran))
            for a, t, e in zip(launched, terminated, end, strict=True)
        ]
        assert arr.tolist() == one


def test_a_row_per_instance_bills_each_replication_as_its_own_run() -> None:
    """The batch engine's shape: instances along axis 0, replications along axis 1."""
    rng = np.random.default_rng(11)
    instances, reps = 6, 50
    launched = rng.uniform(-100.0, 400.0, (instances, reps))
    terminated = np.where(rng.random((instances, reps)) < 0.5, INF, launched + 300.0)
    prices = rng.uniform(0.5, 5.0, instances)
    end = rng.uniform(100.0, 2000.0, reps)
    both = bill(launched, terminated, prices, end, 1.0)
    assert isinstance(both.instance_seconds, np.ndarray)
    assert isinstance(both.cost_usd, np.ndarray)
    for r in range(reps):
        one = bill(launched[:, r], terminated[:, r], prices, float(end[r]), 1.0)
        assert both.instance_seconds[r] == one.instance_seconds
        assert both.cost_usd[r] == one.cost_usd


# --------------------------------------------------------------------------- the engines


def _healthy(scenario: Scenario) -> Scenario:
    models = dataclasses.replace(scenario.models, green=scenario.models.blue)
    return dataclasses.replace(scenario, models=models)


def _by_hand(record: RunRecord, scenario: Scenario) -> tuple[float, float]:
    """The record's instance lifetimes billed with plain Python arithmetic (not the kernel)."""
    env = scenario.environment
    gran = env.billing_granularity_seconds
    end = record.summary.deployment_seconds
    seconds = cost = 0.0
    for inst in record.instances:
        a = max(inst["launched_at"], 0.0)
        b = end if inst["terminated_at"] is None else min(inst["terminated_at"], end)
        s = math.ceil((b - a) / gran - 1e-9) * gran if b > a else 0.0
        price = env.price_per_hour(getattr(scenario.endpoint, inst["fleet"]).instance_type)
        seconds += s
        cost += s * price / 3600.0
    return seconds, round(cost, 6)


@pytest.mark.parametrize("healthy", [False, True], ids=["rolled back", "succeeded"])
@pytest.mark.parametrize("mode", ["fast", "exact"])
def test_a_rolling_update_bills_its_instances_lifetimes(healthy: bool, mode: str) -> None:
    scenario = load_scenario("rolling-batch-rollback")
    if healthy:
        scenario = _healthy(scenario)
    record = simulate(scenario, seed=1, mode=mode)
    assert record.outcome == ("SUCCEEDED" if healthy else "ROLLED_BACK")
    end = record.summary.deployment_seconds
    # the case the whole-run shortcut gets wrong: instances launched and terminated mid-run
    assert any(i["launched_at"] > 0.0 for i in record.instances)
    ended = [i["terminated_at"] for i in record.instances if i["terminated_at"] is not None]
    assert any(t < end for t in ended)
    whole_run = len(record.instances) * math.ceil(end)
    assert record.summary.instance_seconds != whole_run
    assert (record.summary.instance_seconds, record.summary.cost_usd) == _by_hand(record, scenario)


@pytest.mark.parametrize("name", ["seed-canary-rollback", "seed-linear-success"])
def test_blue_green_runs_bill_their_instances_lifetimes(name: str) -> None:
    scenario = load_scenario(name)
    record = simulate(scenario, seed=2, mode="fast")
    assert (record.summary.instance_seconds, record.summary.cost_usd) == _by_hand(record, scenario)


# --------------------------------------------------------------------------- reported cost


def _same_bits(a: np.ndarray, b: list[float]) -> bool:
    return bool(np.array_equal(a.view(np.int64), np.asarray(b, dtype=np.float64).view(np.int64)))


@given(st.lists(st.floats(min_value=0.0, max_value=1e7, allow_subnormal=True), max_size=50))
def test_reported_costs_are_rounded_as_python_rounds_them(costs: list[float]) -> None:
    """The array rounding is Python's ``round(c, 6)`` bit for bit, for any cost."""
    assert _same_bits(reported_usd_array(np.asarray(costs)), [reported_usd(c) for c in costs])


@given(st.integers(min_value=0, max_value=10**13), st.integers(min_value=-3, max_value=3))
def test_costs_at_a_half_micro_dollar_are_rounded_as_python_rounds_them(k: int, ulps: int) -> None:
    """Costs within a few ulps of ``(k + 1/2) / 10^6``, where ``rint(c x 10^6)`` can land on
    the wrong integer (the array path's fallback), and nonfinite ones."""
    c = (k + 0.5) / 1e6
    for _ in range(abs(ulps)):
        c = math.nextafter(c, math.inf if ulps > 0 else -math.inf)
    costs = [c, math.inf, math.nan, 0.0]
    got = reported_usd_array(np.asarray(costs))
    want = [reported_usd(x) for x in costs]
    assert _same_bits(got[[0, 1, 3]], [want[0], want[1], want[3]])
    assert math.isnan(got[2])


@given(
    lifetimes=st.lists(
        st.tuples(
            st.sampled_from([-3600.0, 0.0, 17.25, 300.0]),
            st.sampled_from([math.inf, 250.5, 900.0]),
            st.sampled_from([0.23, 1.41, 0.23]),
        ),
        min_size=1,
        max_size=40,
    ),
    ends=st.lists(st.floats(0.0, 5000.0, allow_nan=False), min_size=1, max_size=6),
    granularity=st.sampled_from([1.0, 60.0]),
)
def test_instances_sharing_a_lifetime_bill_what_row_by_row_does(
    lifetimes: list[tuple[float, float, float]], ends: list[float], granularity: float
) -> None:
    """Property: instances given one lifetime for every replication (a blue/green fleet's,
    ``[instances, 1]``; each distinct lifetime billed once) total the same bits as the same
    lifetimes given per replication (``[instances, R]``, billed row by row)."""
    launched = np.array([[a] for a, _, _ in lifetimes])
    terminated = np.array([[b] for _, b, _ in lifetimes])
    prices = [p for _, _, p in lifetimes]
    end = np.array(ends)
    shared = bill(launched, terminated, prices, end, granularity)
    R = len(ends)
    rows = bill(
        np.repeat(launched, R, axis=1), np.repeat(terminated, R, axis=1), prices, end, granularity
    )
    assert np.array_equal(shared.instance_seconds, rows.instance_seconds)
    assert np.array_equal(shared.cost_usd, rows.cost_usd)
