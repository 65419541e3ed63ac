"""The batch engine's inference components: a component update runs on the rolling path
with one unit per copy (as the SimPy controller runs it), and only what a batch's copies take
to start, what the rollback re-creates them in and what a copy bills differ. Each is the shared
kernel of :mod:`guardsim.deployment.components` on the block's arrays.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from guardsim.deployment.components import ComponentPlan, copy_ready_seconds, unit_price
from guardsim.scenarios.environment import Environment

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
