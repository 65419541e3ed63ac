"""Composite alarms in the batch engine: the children's state arrays in, the composites' out.

The batch engine keeps one row of state codes (and of entry times) per alarm, one column per
replication. Metric alarms fill the first rows; the composites (children first) follow. After
each evaluation instant :meth:`BatchComposites.step` re-evaluates every composite with
:func:`guardsim.cloudwatch.composite.reevaluate` on arrays: in the replications where a child
changed state at that instant, as CloudWatch does (see aws-model.md#composite-alarms), with the
same rule code the per-replication engines run on scalars.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from guardsim.cloudwatch.alarm import AlarmState
from guardsim.cloudwatch.composite import parse_rule, reevaluate
from guardsim.scenarios.boto import CompositeAlarm

__all__ = ["BatchComposites"]


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

    @property
    def rows(self) -> int:
        """State rows: metric alarms, then composites."""
        return len(self.names)

    def step(
        self,
        state: npt.NDArray[np.int64],
        entered: npt.NDArray[np.float64],
        before: npt.NDArray[np.int64],
        t: float,
    ) -> None:
        """Re-evaluate the composites in place after the metric alarms' evaluation at ``t``
        (``before``: the metric rows' states before it)."""
        if not self.order:
            return
        n = len(self.metric_names)
        states: dict[str, Any] = {name: state[i] for i, name in enumerate(self.names)}
        changed: dict[str, Any] = {
            name: state[i] != before[i] for i, name in enumerate(self.metric_names)
        }
        reevaluate(self.order, states, changed, self.codes)
        for k, (name, _) in enumerate(self.order):
            i = n + k
            state[i] = states[name]
            entered[i] = np.where(changed[name], t, entered[i])
