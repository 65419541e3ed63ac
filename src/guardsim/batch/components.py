"""The batch engine's inference components: a component update runs on the rolling path
with one unit per copy (as the SimPy controller runs it), and only what a batch's copies take
to start, what the rollback re-creates them in and what a copy bills differ. Each is the shared
kernel of :mod:`guardsim.deployment.components` on the block's arrays.

A neighbour component with traffic is one more fleet of the engine's arrays
(:func:`neighbours`), served by its copies alone whatever the update does: its requests per
segment are :func:`neighbour_arrivals` (:mod:`guardsim.model.traffic`'s kernels), its outcomes
and latency the engine's ``_serve`` with its model, from streams of its own.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from guardsim.deployment.components import ComponentPlan, copy_ready_seconds, unit_price
from guardsim.model import traffic as arrivals
from guardsim.scenarios.components import Component, neighbour_fleet
from guardsim.scenarios.environment import Environment
from guardsim.scenarios.scenario import Scenario
from guardsim.scenarios.traffic import Traffic

FloatArray = Any


def batch_launch_seconds(
    plan: ComponentPlan, s: int, env: Environment, draw: Any, rows: int
) -> FloatArray:
    """Per replication, when batch ``s``'s slowest new copy is ready (the SimPy controller's
    ``Controller._start_copies``): copy starts, after the provisioning of any instance managed
    instance scaling adds for it."""
    batch = plan.batches[s]
    starts = draw(env.copy_start_seconds, batch.copies)
    provs = (
        draw(env.provisioning_seconds, batch.instances_added)
        if batch.instances_added
        else np.zeros((rows, 0))
    )
    out: FloatArray = copy_ready_seconds(batch, starts, provs).max(axis=1)
    return out


def rollback_start_distribution(env: Environment) -> Any:
    """What re-creating one old copy takes in a rollback: ``copy_start_seconds``."""
    return env.copy_start_seconds


def unit_prices(plan: ComponentPlan, prices: dict[str, float]) -> dict[str, float]:
    """Per fleet, what one copy bills per hour (:func:`~guardsim.deployment.components.
    unit_price`)."""
    return {f: unit_price(plan, p) for f, p in prices.items()}


def neighbours(scenario: Scenario) -> dict[str, Component]:
    """The neighbour components whose requests are simulated, by their fleet
    (:func:`~guardsim.scenarios.components.neighbour_fleet`), in the scenario's order."""
    ic = scenario.inference_component
    if ic is None:
        return {}
    return {neighbour_fleet(n.name): n for n in ic.busy_neighbours}


def neighbour_arrivals(
    traffic: Traffic, start: float, t0: FloatArray, t1: FloatArray, rng: np.random.Generator
) -> tuple[FloatArray, Any]:
    """(expected, drawn) requests of a neighbour in each segment [t0, t1): Poisson at its
    traffic's rate (:func:`guardsim.model.traffic.expected`), or evenly spaced at its constant
    rate from the run's start (:func:`~guardsim.model.traffic.lattice_count`, as fast mode lays
    them out; validation refuses evenly spaced arrivals at a varying rate for a neighbour)."""
    lam = arrivals.expected(traffic, t0, t1)
    if traffic.arrivals == "uniform":
        return lam, arrivals.lattice_count(start, t0, t1, traffic.rate_per_second)
    return lam, rng.poisson(lam)
