"""Composite alarms in the batch engine: the children's state arrays in, the composites' out.

The batch engine works out each metric alarm's states at all its evaluation instants at once,
one timeline per alarm; the composites' timelines (children first) follow the metric alarms'.
:meth:`BatchComposites.timelines` then walks the instants at which any of them is evaluated and
re-evaluates every composite with :func:`guardsim.cloudwatch.composite.reevaluate` on arrays: in
the replications where a child changed state at that instant, as CloudWatch does (see
aws-model.md#composite-alarms), with the same rule code the per-replication engines run on
scalars.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from guardsim.cloudwatch.alarm import AlarmState
from guardsim.cloudwatch.composite import parse_rule, reevaluate
from guardsim.scenarios.boto import CompositeAlarm

__all__ = ["BatchComposites"]

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]


class BatchComposites:
    """The composites a batch block evaluates, and which state rows SageMaker reads.

    ``metric_names``: the engine's metric alarms, in row order; ``composites``: children first
    (:meth:`~guardsim.scenarios.scenario.Scenario.evaluated_alarms`); ``rollback_names``: the
    AutoRollbackConfiguration's alarms, in order; ``sees_composites``:
    ``environment.rollback_sees_composite_alarms``; ``codes``: the engine's state codes."""

    def __init__(
        self,
        metric_names: Sequence[str],
        composites: Sequence[CompositeAlarm],
        rollback_names: Sequence[str],
        sees_composites: bool,
        codes: Mapping[AlarmState, int],
    ) -> None:
        self.codes = codes
        self.metric_names = list(metric_names)
        self.order = [(c.name, parse_rule(c.rule, alarm_name=c.name)) for c in composites]
        self.names = [*self.metric_names, *(name for name, _ in self.order)]
        self.row = {n: i for i, n in enumerate(self.names)}
        metric = set(self.metric_names)
        #: (row, name) of each alarm SageMaker reads, in AutoRollbackConfiguration's order.
        self.watched = [
            (self.row[n], n)
            for n in rollback_names
            if n in self.row and (n in metric or sees_composites)
        ]

    def timelines(
        self, metric: Sequence[tuple[FloatArray, IntArray, FloatArray]], replications: int
    ) -> list[tuple[FloatArray, IntArray, FloatArray]]:
        """The composites' (instants, state [R, U], entered at [R, U]), in row order after the
        metric alarms', from the metric alarms' own (``metric``, in row order: instants [E],
        state and entered at [R, E] after each evaluation). A composite's instants are every
        instant at which one of the metric alarms is evaluated; it starts INSUFFICIENT_DATA
        and changes only at an instant where one of its children changed."""
        if not self.order:
            return []
        R = replications
        insufficient = self.codes[AlarmState.INSUFFICIENT_DATA]
        union: FloatArray = (
            np.unique(np.concatenate([inst for inst, _, _ in metric])) if metric else np.zeros(0)
        )
        # per metric alarm, which of its evaluations falls at each union instant (-1: none)
        at: list[npt.NDArray[np.int64]] = []
        for inst, _, _ in metric:
            k = np.searchsorted(inst, union)
            hit = (k < len(inst)) & (inst[np.minimum(k, max(len(inst) - 1, 0))] == union)
            at.append(np.where(hit, k, -1) if len(inst) else np.full(len(union), -1))
        states: dict[str, Any] = {n: np.full(R, insufficient, dtype=np.int64) for n in self.names}
        entered = {n: np.full(R, -math.inf) for n, _ in self.order}
        out_state = {n: np.empty((R, len(union)), dtype=np.int64) for n, _ in self.order}
        out_entered = {n: np.empty((R, len(union))) for n, _ in self.order}
        for u, t in enumerate(union.tolist()):
            changed: dict[str, Any] = {}
            for i, name in enumerate(self.metric_names):
                e = int(at[i][u])
                if e < 0:
                    changed[name] = np.zeros(R, dtype=bool)
                    continue
                new = metric[i][1][:, e]
                changed[name] = new != states[name]
                states[name] = new
            reevaluate(self.order, states, changed, self.codes)
            for name, _ in self.order:
                entered[name] = np.where(changed[name], t, entered[name])
                out_state[name][:, u] = states[name]
                out_entered[name][:, u] = entered[name]
        return [(union, out_state[n], out_entered[n]) for n, _ in self.order]
