"""The batch engine's ModelSetupTime: :mod:`guardsim.model.setup_time` on arrays.

Each instance the success path launches (the new fleet of a blue/green update, each rolling
batch) publishes one sample, its own drawn provisioning time in microseconds, in the minute it
becomes ready: the block keeps the per-instance draws it already makes (their order is
unchanged) and their ready instants. A rolling rollback's re-provisioned old instances become
ready after SageMaker's decision, which is all the batch engine's alarms decide, so they are
not kept (the exact and fast engines publish them). Per fleet and minute, the samples' count and
statistic set (for basic statistics, merged as the other metrics' sets are) and, for an
extended statistic, every window's samples at once (:func:`guardsim.model.setup_time.
window_rows`, the exact kernel).
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

from guardsim.cloudwatch.statistics import StatisticSpec
from guardsim.model.setup_time import METRIC, sample_of, window_rows

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]
Lat = dict[tuple[str, str], tuple[FloatArray, FloatArray, FloatArray]]


class SetupTimeArrays:
    """The launched instances' samples of one block, by fleet: minute index [R, K] (-1: outside
    the block's minutes) and value [R, K]; per minute, their count [R, M] (the statistic sets
    go into ``lat``)."""

    def __init__(
        self,
        launches: list[tuple[str, FloatArray, FloatArray]],
        origin: int,
        minutes: int,
        lat: Lat,
    ) -> None:
        """``launches``: (fleet, ready instants [R, k], provisioning seconds [R, k])."""
        self.index: dict[str, IntArray] = {}
        self.values: dict[str, FloatArray] = {}
        self.count: dict[str, IntArray] = {}
        for fleet in {f for f, _, _ in launches}:
            ready = np.concatenate([r for f, r, _ in launches if f == fleet], axis=1)
            seconds = np.concatenate([d for f, _, d in launches if f == fleet], axis=1)
            j = np.floor(ready / 60.0).astype(np.int64) - origin
            inside = (j >= 0) & (j < minutes)
            j = np.where(inside, j, -1)
            values = np.asarray(sample_of(seconds), dtype=np.float64)
            R = ready.shape[0]
            rows = np.broadcast_to(np.arange(R)[:, None], j.shape)[inside]
            cols = j[inside]
            x = values[inside]
            count = np.zeros((R, minutes), dtype=np.int64)
            np.add.at(count, (rows, cols), 1)
            total = np.zeros((R, minutes))
            np.add.at(total, (rows, cols), x)
            low = np.full((R, minutes), math.inf)
            np.minimum.at(low, (rows, cols), x)
            high = np.full((R, minutes), -math.inf)
            np.maximum.at(high, (rows, cols), x)
            lat[(fleet, METRIC)] = (total, low, high)
            self.index[fleet], self.values[fleet], self.count[fleet] = j, values, count

    def counts(self, fleet: str) -> IntArray | None:
        """Samples per minute [R, M] of ``fleet`` (None: it launched none)."""
        return self.count.get(fleet)

    def windows(
        self,
        spec: StatisticSpec,
        fleets: tuple[str, ...],
        idx: IntArray,
        instants: FloatArray,
        published: FloatArray,
        since_blue: int | None,
    ) -> tuple[FloatArray, FloatArray]:
        """[R, E, L] value (NaN: no sample) and sample count of an extended statistic of the
        windows whose minutes are ``idx`` [E, L, W] (-1: none) at ``instants`` [E]: the
        samples of the fleets' instances that became ready in a window's minutes published by
        the instant. ``since_blue``: blue's per-config series starts at this minute index."""
        parts_x, parts_in = [], []
        for fleet in fleets:
            j = self.index.get(fleet)
            if j is None:
                continue
            safe = np.maximum(j, 0)
            rows = np.arange(j.shape[0])[:, None]
            seen = published[rows, safe][:, None, :] <= instants[None, :, None]  # [R, E, K]
            ok = j >= 0
            if since_blue is not None and fleet == "blue":
                ok &= j >= since_blue
            inside = (j[:, None, None, None, :] == idx[None, :, :, :, None]).any(axis=3)
            present = inside & (seen & ok[:, None, :])[:, :, None, :]  # [R, E, L, K]
            parts_in.append(present)
            parts_x.append(np.broadcast_to(self.values[fleet][:, None, None, :], present.shape))
        R, (E, L) = published.shape[0], idx.shape[:2]
        if not parts_in:
            return np.full((R, E, L), math.nan), np.full((R, E, L), math.nan)
        present = np.concatenate(parts_in, axis=-1)
        x = np.concatenate(parts_x, axis=-1)
        n = present.sum(axis=-1).astype(np.float64)
        value = window_rows(spec, x, present)
        return value, np.where(n > 0, n, math.nan)
