"""The batch engine's side of a replayed history (:mod:`guardsim.model.history`).

A block's replications each start at their own minute of the recording: the block's fleets are
compiled once per block with the start minutes as a column (``[BLOCK, 1]``), which broadcasts
against the engine's ``[BLOCK, segments]`` times, so the same kernel gives every replication
its own minute. The start minutes come from the block's stream extended by
:data:`guardsim.model.history.HISTORY_STREAM`, so a replication's draws still depend only on
the scenario, the seed and its index.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from guardsim.model import history as replayed
from guardsim.model.faults import FleetFaults
from guardsim.scenarios.models import ModelBehaviour


def block_faults(
    models: Mapping[str, ModelBehaviour],
    compiled: dict[str, FleetFaults],
    start: float,
    root: np.random.SeedSequence,
    size: int,
) -> dict[str, FleetFaults]:
    """The fleets of one block: ``compiled`` itself without a history, else compiled again
    with each replication's start minute in the recording."""
    offsets = replayed.start_minutes(models, root, size)
    if offsets is None:
        return compiled
    return replayed.fleet_faults(models, start, np.asarray(offsets)[:, None])
