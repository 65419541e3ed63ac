"""Table tests of step planning (guardsim.deployment.plan, aws-model.md #fleet-sizes, #all-at-once,
#canary, #linear, #blue-green-rollback, #rolling).

Each row: a DeploymentConfig, the green fleet's size, the percent rounding and the
all-at-once setting, and the expected steps as ``(kind, instances, green_instances,
bake_seconds, bake_kind)``.
"""

from __future__ import annotations

import itertools
from typing import Any

import pytest

from guardsim.deployment.plan import Step, plan_steps, total_wait_seconds
from guardsim.scenarios import DeploymentConfig

WAIT, FINAL = "WaitIntervalInSeconds", "TerminationWaitInSeconds"


def canary(size: dict[str, Any], wait: int = 300, final: int | None = 120) -> dict[str, Any]:
    policy: dict[str, Any] = {
        "TrafficRoutingConfiguration": {
            "Type": "CANARY",
            "CanarySize": size,
            "WaitIntervalInSeconds": wait,
        }
    }
    if final is not None:
        policy["TerminationWaitInSeconds"] = final
    return {"BlueGreenUpdatePolicy": policy}


def linear(size: dict[str, Any], wait: int = 180, final: int | None = 120) -> dict[str, Any]:
    policy: dict[str, Any] = {
        "TrafficRoutingConfiguration": {
            "Type": "LINEAR",
            "LinearStepSize": size,
            "WaitIntervalInSeconds": wait,
        }
    }
    if final is not None:
        policy["TerminationWaitInSeconds"] = final
    return {"BlueGreenUpdatePolicy": policy}


def all_at_once(wait: int = 0, final: int | None = 600) -> dict[str, Any]:
    policy: dict[str, Any] = {
        "TrafficRoutingConfiguration": {"Type": "ALL_AT_ONCE", "WaitIntervalInSeconds": wait}
    }
    if final is not None:
        policy["TerminationWaitInSeconds"] = final
    return {"BlueGreenUpdatePolicy": policy}


def rolling(size: dict[str, Any], wait: int = 300) -> dict[str, Any]:
    return {"RollingUpdatePolicy": {"MaximumBatchSize": size, "WaitIntervalInSeconds": wait}}


def count(v: int) -> dict[str, Any]:
    return {"Type": "INSTANCE_COUNT", "Value": v}


def pct(v: int) -> dict[str, Any]:
    return {"Type": "CAPACITY_PERCENT", "Value": v}


# (id, config, n, rounding, all_at_once_bakes_wait_interval, expected steps)
TABLE: list[tuple[str, dict[str, Any], int, str, bool, list[tuple[str, int, int, int, str]]]] = [
    # CANARY (aws-model.md #canary): the canary with a WaitInterval bake, then the rest with the
    # final bake.
    (
        "canary 1 of 3",
        canary(count(1)),
        3,
        "ceil",
        False,
        [("canary", 1, 1, 300, WAIT), ("final", 2, 3, 120, FINAL)],
    ),
    (
        "canary 2 of 4",
        canary(count(2)),
        4,
        "ceil",
        False,
        [("canary", 2, 2, 300, WAIT), ("final", 2, 4, 120, FINAL)],
    ),
    # 33% of 3 = 0.99 instances: "33% x 3 = 1 instance" (aws-model.md #fleet-sizes) with every
    # rounding (floor
    # gives 0, clamped to 1).
    *[
        (
            f"canary 33% of 3, {r}",
            canary(pct(33)),
            3,
            r,
            False,
            [("canary", 1, 1, 300, WAIT), ("final", 2, 3, 120, FINAL)],
        )
        for r in ("ceil", "round_half_up", "floor")
    ],
    # 50% of 3 = 1.5 instances: ceil and round-half-up give 2, floor 1.
    (
        "canary 50% of 3, ceil",
        canary(pct(50)),
        3,
        "ceil",
        False,
        [("canary", 2, 2, 300, WAIT), ("final", 1, 3, 120, FINAL)],
    ),
    (
        "canary 50% of 3, round_half_up",
        canary(pct(50)),
        3,
        "round_half_up",
        False,
        [("canary", 2, 2, 300, WAIT), ("final", 1, 3, 120, FINAL)],
    ),
    (
        "canary 50% of 3, floor",
        canary(pct(50)),
        3,
        "floor",
        False,
        [("canary", 1, 1, 300, WAIT), ("final", 2, 3, 120, FINAL)],
    ),
    # 33% of 4 = 1.32 instances: ceil 2, round-half-up and floor 1.
    (
        "canary 33% of 4, ceil",
        canary(pct(33)),
        4,
        "ceil",
        False,
        [("canary", 2, 2, 300, WAIT), ("final", 2, 4, 120, FINAL)],
    ),
    (
        "canary 33% of 4, round_half_up",
        canary(pct(33)),
        4,
        "round_half_up",
        False,
        [("canary", 1, 1, 300, WAIT), ("final", 3, 4, 120, FINAL)],
    ),
    (
        "canary 33% of 4, floor",
        canary(pct(33)),
        4,
        "floor",
        False,
        [("canary", 1, 1, 300, WAIT), ("final", 3, 4, 120, FINAL)],
    ),
    (
        "canary 50% of 4, every rounding",
        canary(pct(50)),
        4,
        "floor",
        False,
        [("canary", 2, 2, 300, WAIT), ("final", 2, 4, 120, FINAL)],
    ),
    # TerminationWaitInSeconds left out defaults to 0 (S1).
    (
        "canary, no final bake",
        canary(count(1), final=None),
        3,
        "ceil",
        False,
        [("canary", 1, 1, 300, WAIT), ("final", 2, 3, 0, FINAL)],
    ),
    # LINEAR (aws-model.md #linear): K = ceil(N / step), the last step carries the remainder and is
    # followed
    # by the final bake, not a step bake: 3 steps of 33% of 3 bake 180, 180, then 120 (final).
    (
        "linear 33% of 3",
        linear(pct(33)),
        3,
        "ceil",
        False,
        [("linear", 1, 1, 180, WAIT), ("linear", 1, 2, 180, WAIT), ("final", 1, 3, 120, FINAL)],
    ),
    (
        "linear 2 of 5",
        linear(count(2)),
        5,
        "ceil",
        False,
        [("linear", 2, 2, 180, WAIT), ("linear", 2, 4, 180, WAIT), ("final", 1, 5, 120, FINAL)],
    ),
    (
        "linear 50% of 4",
        linear(pct(50)),
        4,
        "ceil",
        False,
        [("linear", 2, 2, 180, WAIT), ("final", 2, 4, 120, FINAL)],
    ),
    (
        "linear 10% of 10",
        linear(pct(10)),
        10,
        "ceil",
        False,
        [*[("linear", 1, k, 180, WAIT) for k in range(1, 10)], ("final", 1, 10, 120, FINAL)],
    ),
    # 40% of 6 = 2.4: ceil 3 (two steps), round-half-up and floor 2 (three steps).
    (
        "linear 40% of 6, ceil",
        linear(pct(40)),
        6,
        "ceil",
        False,
        [("linear", 3, 3, 180, WAIT), ("final", 3, 6, 120, FINAL)],
    ),
    (
        "linear 40% of 6, floor",
        linear(pct(40)),
        6,
        "floor",
        False,
        [("linear", 2, 2, 180, WAIT), ("linear", 2, 4, 180, WAIT), ("final", 2, 6, 120, FINAL)],
    ),
    # ALL_AT_ONCE (aws-model.md #all-at-once): one flip; its bake is TerminationWaitInSeconds.
    # WaitInterval is
    # ignored unless all_at_once_bakes_wait_interval (open question 6), and then only if > 0.
    ("all at once", all_at_once(wait=300), 2, "ceil", False, [("all_at_once", 2, 2, 600, FINAL)]),
    (
        "all at once, baking the wait interval",
        all_at_once(wait=300),
        2,
        "ceil",
        True,
        [("all_at_once", 2, 2, 300, WAIT), ("final", 0, 2, 600, FINAL)],
    ),
    (
        "all at once, baking a zero wait interval",
        all_at_once(wait=0),
        2,
        "ceil",
        True,
        [("all_at_once", 2, 2, 600, FINAL)],
    ),
    (
        "all at once of 1",
        all_at_once(final=None),
        1,
        "ceil",
        False,
        [("all_at_once", 1, 1, 0, FINAL)],
    ),
    # No update policy at all: SageMaker's default, blue/green ALL_AT_ONCE with no bake
    # (aws-model.md #deployment-config).
    ("no update policy", {}, 3, "ceil", True, [("all_at_once", 3, 3, 0, FINAL)]),
    # ROLLING (aws-model.md #rolling): ceil(N / batch) batches, the last carries the remainder,
    # each baked
    # for WaitIntervalInSeconds; no separate final bake.
    (
        "rolling 1 of 4",
        rolling(count(1)),
        4,
        "ceil",
        False,
        [("rolling_batch", 1, k, 300, WAIT) for k in range(1, 5)],
    ),
    (
        "rolling 2 of 5",
        rolling(count(2)),
        5,
        "ceil",
        False,
        [
            ("rolling_batch", 2, 2, 300, WAIT),
            ("rolling_batch", 2, 4, 300, WAIT),
            ("rolling_batch", 1, 5, 300, WAIT),
        ],
    ),
    (
        "rolling 40% of 5",
        rolling(pct(40)),
        5,
        "ceil",
        False,
        [
            ("rolling_batch", 2, 2, 300, WAIT),
            ("rolling_batch", 2, 4, 300, WAIT),
            ("rolling_batch", 1, 5, 300, WAIT),
        ],
    ),
    (
        "rolling 30% of 7, ceil",
        rolling(pct(30)),
        7,
        "ceil",
        False,
        [
            ("rolling_batch", 3, 3, 300, WAIT),
            ("rolling_batch", 3, 6, 300, WAIT),
            ("rolling_batch", 1, 7, 300, WAIT),
        ],
    ),
    (
        "rolling 30% of 7, floor",
        rolling(pct(30)),
        7,
        "floor",
        False,
        [
            ("rolling_batch", 2, 2, 300, WAIT),
            ("rolling_batch", 2, 4, 300, WAIT),
            ("rolling_batch", 2, 6, 300, WAIT),
            ("rolling_batch", 1, 7, 300, WAIT),
        ],
    ),
    (
        "rolling 5% of 3 (clamped to 1 instance)",
        rolling(pct(5)),
        3,
        "ceil",
        False,
        [("rolling_batch", 1, k, 300, WAIT) for k in range(1, 4)],
    ),
]


def _plan(config: dict[str, Any], n: int, rounding: Any, aao: bool) -> tuple[Step, ...]:
    return plan_steps(
        DeploymentConfig.from_boto(config), n, rounding, all_at_once_bakes_wait_interval=aao
    )


@pytest.mark.parametrize(
    ("config", "n", "rounding", "aao", "expected"),
    [row[1:] for row in TABLE],
    ids=[row[0] for row in TABLE],
)
def test_plan_steps(
    config: dict[str, Any],
    n: int,
    rounding: str,
    aao: bool,
    expected: list[tuple[str, int, int, int, str]],
) -> None:
    steps = _plan(config, n, rounding, aao)
    assert [
        (s.kind, s.instances, s.green_instances, s.bake_seconds, s.bake_kind) for s in steps
    ] == expected
    assert [s.index for s in steps] == list(range(len(steps)))
    assert all(s.total == n for s in steps)


@pytest.mark.parametrize(
    ("config", "n", "rounding", "aao", "expected"),
    [row[1:] for row in TABLE],
    ids=[row[0] for row in TABLE],
)
def test_every_plan_ends_with_all_green_and_sums_its_bakes(
    config: dict[str, Any],
    n: int,
    rounding: str,
    aao: bool,
    expected: list[tuple[str, int, int, int, str]],
) -> None:
    steps = _plan(config, n, rounding, aao)
    assert sum(s.instances for s in steps) == n
    assert steps[0].green_instances == steps[0].instances
    assert all(
        b.green_instances == a.green_instances + b.instances for a, b in itertools.pairwise(steps)
    )
    assert steps[-1].is_final and steps[-1].green_fraction == 1.0
    assert total_wait_seconds(steps) == sum(row[3] for row in expected)


def test_green_fraction_is_active_green_over_the_fleet() -> None:
    first, final = _plan(canary(count(1)), 3, "ceil", False)
    assert first.green_fraction == pytest.approx(1 / 3)
    assert not first.is_final
    assert final.green_fraction == 1.0 and final.is_final


def test_the_seed_posts_waits_add_up_below_their_timeout() -> None:
    # seed scenarios: canary 300 + 120 and linear 180 + 180 + 120, both under 1800 s.
    assert total_wait_seconds(_plan(canary(count(1)), 3, "ceil", False)) == 420
    assert total_wait_seconds(_plan(linear(pct(33)), 3, "ceil", False)) == 480
