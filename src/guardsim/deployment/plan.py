"""Step planning: what traffic steps and bakes a DeploymentConfig means for a fleet of N.

Pure functions of the DeploymentConfig, the instance count and the rounding setting, following
docs/explanation/aws-model.md (#all-at-once, #canary, #linear, #rolling):

* ALL_AT_ONCE: one flip of every instance, then the final bake of ``TerminationWaitInSeconds``.
* CANARY: the canary (``CanarySize``) with a bake of ``WaitIntervalInSeconds``, then the rest with
  the final bake of ``TerminationWaitInSeconds``.
* LINEAR: K = ceil(N / step) steps of ``LinearStepSize`` instances (the last carries the
  remainder); a bake of ``WaitIntervalInSeconds`` after every step but the last, which is followed
  by the final bake of ``TerminationWaitInSeconds`` (see aws-model.md#linear; the step count is
  undocumented).
* ROLLING: K = ceil(N / batch) batches of ``MaximumBatchSize`` (the last carries the remainder),
  each baked for ``WaitIntervalInSeconds``; no separate final bake (see aws-model.md#rolling).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

from guardsim.scenarios.boto import DeploymentConfig, Rounding

StepKind = Literal["all_at_once", "canary", "linear", "final", "rolling_batch"]


@dataclass(frozen=True)
class Step:
    """One traffic step: after it, ``green_instances`` of ``total`` serve traffic."""

    index: int
    kind: StepKind
    instances: int
    green_instances: int
    total: int
    bake_seconds: int
    bake_kind: Literal["WaitIntervalInSeconds", "TerminationWaitInSeconds"]

    @property
    def green_fraction(self) -> float:
        """Planned green share of traffic: active green / active instances (see
        aws-model.md#fleet-sizes)."""
        return self.green_instances / self.total

    @property
    def is_final(self) -> bool:
        return self.green_instances == self.total


def plan_steps(
    config: DeploymentConfig,
    instance_count: int,
    rounding: Rounding = "ceil",
    *,
    all_at_once_bakes_wait_interval: bool = False,
) -> tuple[Step, ...]:
    """The traffic steps of an update to a variant of ``instance_count`` instances."""
    n = instance_count
    kind = config.policy_kind
    wait = config.wait_interval_seconds
    final = config.termination_wait_seconds
    steps: list[Step] = []
    if kind == "ROLLING":
        assert config.rolling is not None
        batch = config.rolling.maximum_batch_size.instances(n, rounding)
        done = 0
        while done < n:
            size = min(batch, n - done)
            done += size
            steps.append(
                Step(len(steps), "rolling_batch", size, done, n, wait, "WaitIntervalInSeconds")
            )
        return tuple(steps)
    if kind == "ALL_AT_ONCE":
        if all_at_once_bakes_wait_interval and wait > 0:
            # Open question 6, as a setting: bake WaitInterval, then TerminationWait, at 100 %.
            return (
                Step(0, "all_at_once", n, n, n, wait, "WaitIntervalInSeconds"),
                Step(1, "final", 0, n, n, final, "TerminationWaitInSeconds"),
            )
        return (Step(0, "all_at_once", n, n, n, final, "TerminationWaitInSeconds"),)
    assert config.blue_green is not None
    routing = config.blue_green.traffic_routing
    if kind == "CANARY":
        assert routing.canary_size is not None
        canary = min(routing.canary_size.instances(n, rounding), n)
        if canary >= n:
            return (Step(0, "final", n, n, n, final, "TerminationWaitInSeconds"),)
        return (
            Step(0, "canary", canary, canary, n, wait, "WaitIntervalInSeconds"),
            Step(1, "final", n - canary, n, n, final, "TerminationWaitInSeconds"),
        )
    assert routing.linear_step_size is not None
    size = routing.linear_step_size.instances(n, rounding)
    count = math.ceil(n / size)
    for i in range(count):
        green = min((i + 1) * size, n)
        prev = steps[-1].green_instances if steps else 0
        if green == n:
            steps.append(
                Step(i, "final", green - prev, green, n, final, "TerminationWaitInSeconds")
            )
        else:
            steps.append(Step(i, "linear", green - prev, green, n, wait, "WaitIntervalInSeconds"))
    return tuple(steps)


def total_wait_seconds(steps: tuple[Step, ...]) -> int:
    """The sum of all bakes: what MaximumExecutionTimeoutInSeconds must exceed (see
    aws-model.md#deployment-config)."""
    return sum(s.bake_seconds for s in steps)
