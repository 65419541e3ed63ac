"""Table tests of the deployment state machine (guardsim.deployment.machine, aws-model.md
#update-endpoint).

The expected table is written out here, independently of ``TRANSITIONS``: every legal
``(phase, trigger) -> phase`` pair, and every other pair of the 11 phases x 17 triggers raises
:class:`IllegalTransition`.
"""

from __future__ import annotations

import itertools

import pytest

from guardsim.deployment.machine import TRANSITIONS, DeploymentMachine, Phase, Trigger, next_phase
from guardsim.errors import GuardsimError, IllegalTransition

P, T = Phase, Trigger
ACTIVE = (P.CREATING, P.ACTIVATING_TRAFFIC, P.BAKING, P.FINAL_BAKE, P.DELETING)
ROLLBACK = (P.ROLLING_BACK, P.ROLLBACK_CREATING, P.ROLLBACK_DELETING)

LEGAL: dict[tuple[Phase, Trigger], Phase] = {
    # the update (blue/green and rolling)
    (P.IN_SERVICE, T.UPDATE): P.CREATING,
    (P.CREATING, T.FLEET_READY): P.ACTIVATING_TRAFFIC,
    (P.ACTIVATING_TRAFFIC, T.TRAFFIC_SHIFTED): P.BAKING,
    (P.ACTIVATING_TRAFFIC, T.FINAL_TRAFFIC_SHIFTED): P.FINAL_BAKE,
    (P.BAKING, T.BAKE_DONE): P.ACTIVATING_TRAFFIC,
    (P.BAKING, T.BATCH_BAKE_DONE): P.DELETING,
    (P.FINAL_BAKE, T.FINAL_BAKE_DONE): P.DELETING,
    (P.DELETING, T.BATCH_DELETED): P.CREATING,
    (P.DELETING, T.CLEANUP_DONE): P.IN_SERVICE,
    # an alarm or the timeout in any active phase rolls back (or, as configured, fails)
    **{(p, T.ALARM_TRIPPED): P.ROLLING_BACK for p in ACTIVE},
    **{(p, T.TIMEOUT): P.ROLLING_BACK for p in ACTIVE},
    **{(p, T.TIMEOUT_FAILED): P.FAILED for p in ACTIVE},
    # the rollback
    (P.ROLLING_BACK, T.ROLLBACK_PROVISION): P.ROLLBACK_CREATING,
    (P.ROLLBACK_CREATING, T.ROLLBACK_READY): P.ROLLING_BACK,
    (P.ROLLING_BACK, T.TRAFFIC_RESTORED): P.ROLLBACK_DELETING,
    (P.ROLLBACK_DELETING, T.ROLLBACK_DONE): P.IN_SERVICE,
    **{(p, T.ROLLBACK_FAILED): P.UPDATE_ROLLBACK_FAILED for p in ROLLBACK},
}

ALL_PAIRS = list(itertools.product(Phase, Trigger))
ILLEGAL = [pair for pair in ALL_PAIRS if pair not in LEGAL]


def _id(pair: tuple[Phase, Trigger]) -> str:
    return f"{pair[0].value}-{pair[1].value}"


def test_the_table_is_exactly_the_expected_one() -> None:
    assert TRANSITIONS == LEGAL


@pytest.mark.parametrize("pair", list(LEGAL), ids=_id)
def test_every_legal_pair(pair: tuple[Phase, Trigger]) -> None:
    phase, trigger = pair
    assert next_phase(phase, trigger) is LEGAL[pair]
    machine = DeploymentMachine()
    machine.phase = phase
    transition = machine.fire(12.5, trigger, "why")
    assert (
        transition.time,
        transition.source,
        transition.target,
        transition.trigger,
        transition.reason,
    ) == (12.5, phase, LEGAL[pair], trigger, "why")
    assert machine.phase is LEGAL[pair]
    assert machine.transitions == [transition]


@pytest.mark.parametrize("pair", ILLEGAL, ids=_id)
def test_every_other_pair_raises(pair: tuple[Phase, Trigger]) -> None:
    phase, trigger = pair
    with pytest.raises(IllegalTransition) as info:
        next_phase(phase, trigger)
    assert (info.value.phase, info.value.trigger) == (phase, trigger)
    assert isinstance(info.value, GuardsimError)
    assert f"{trigger.value!r} is not allowed in phase {phase.value}" in str(info.value)


@pytest.mark.parametrize(
    ("phase", "trigger"),
    [
        (P.IN_SERVICE, T.ALARM_TRIPPED),  # nothing to roll back before an update
        (P.CREATING, T.TRAFFIC_SHIFTED),  # traffic moves only after the fleet is ready
        (P.BAKING, T.FINAL_BAKE_DONE),  # a step bake is not the final bake
        (P.FINAL_BAKE, T.BAKE_DONE),  # ... and the final bake is not a step bake
        (P.ROLLING_BACK, T.ALARM_TRIPPED),  # a rollback is not rolled back again
        (P.ROLLING_BACK, T.TIMEOUT),
        (P.DELETING, T.ROLLBACK_DONE),
    ],
)
def test_a_failed_fire_changes_nothing(phase: Phase, trigger: Trigger) -> None:
    machine = DeploymentMachine()
    machine.phase = phase
    with pytest.raises(IllegalTransition):
        machine.fire(1.0, trigger, "no")
    assert machine.phase is phase
    assert machine.transitions == []


@pytest.mark.parametrize("phase", [P.FAILED, P.UPDATE_ROLLBACK_FAILED])
def test_terminal_phases_accept_nothing(phase: Phase) -> None:
    assert phase.is_terminal
    assert [t for t in Trigger if (phase, t) in TRANSITIONS] == []


def test_in_service_accepts_only_an_update() -> None:
    assert [t for t in Trigger if (P.IN_SERVICE, t) in TRANSITIONS] == [T.UPDATE]


def test_only_active_phases_can_roll_back_and_only_rollback_phases_can_fail_to() -> None:
    assert {p for (p, t) in TRANSITIONS if t is T.ALARM_TRIPPED} == set(ACTIVE)
    assert {p for (p, t) in TRANSITIONS if t is T.ROLLBACK_FAILED} == set(ROLLBACK)


def test_a_canary_success_walks_the_spec_stages() -> None:
    machine = DeploymentMachine()
    walk = [
        T.UPDATE,
        T.FLEET_READY,
        T.TRAFFIC_SHIFTED,
        T.BAKE_DONE,
        T.FINAL_TRAFFIC_SHIFTED,
        T.FINAL_BAKE_DONE,
        T.CLEANUP_DONE,
    ]
    for i, trigger in enumerate(walk):
        machine.fire(float(i), trigger, trigger.value)
    assert [t.target for t in machine.transitions] == [
        P.CREATING,
        P.ACTIVATING_TRAFFIC,
        P.BAKING,
        P.ACTIVATING_TRAFFIC,
        P.FINAL_BAKE,
        P.DELETING,
        P.IN_SERVICE,
    ]
    assert machine.transitions[2].to_data() == {
        "t": 2.0,
        "from": "ActivatingTraffic",
        "to": "Baking",
        "trigger": "traffic_shifted",
        "reason": "traffic_shifted",
    }


def test_a_rolling_rollback_walks_the_spec_stages() -> None:
    machine = DeploymentMachine()
    walk = [
        T.UPDATE,
        T.FLEET_READY,
        T.TRAFFIC_SHIFTED,
        T.BATCH_BAKE_DONE,
        T.BATCH_DELETED,
        T.FLEET_READY,
        T.TRAFFIC_SHIFTED,
        T.ALARM_TRIPPED,
        T.ROLLBACK_PROVISION,
        T.ROLLBACK_READY,
        T.TRAFFIC_RESTORED,
        T.ROLLBACK_DONE,
    ]
    for i, trigger in enumerate(walk):
        machine.fire(float(i), trigger, trigger.value)
    assert machine.phase is P.IN_SERVICE
    assert [t.target.value for t in machine.transitions] == [
        "Creating",
        "ActivatingTraffic",
        "Baking",
        "Deleting",
        "Creating",
        "ActivatingTraffic",
        "Baking",
        "RollingBack",
        "RollbackCreating",
        "RollingBack",
        "RollbackDeleting",
        "InService",
    ]


@pytest.mark.parametrize(
    ("phase", "endpoint_status", "variant_status", "bake", "rollback"),
    [
        (P.IN_SERVICE, "InService", None, False, False),
        (P.CREATING, "Updating", "Creating", False, False),
        (P.ACTIVATING_TRAFFIC, "Updating", "ActivatingTraffic", False, False),
        (P.BAKING, "Updating", "Baking", True, False),
        (P.FINAL_BAKE, "Updating", "Baking", True, False),
        (P.DELETING, "Updating", "Deleting", False, False),
        # a guardrail rollback shows Updating until InService on the old config (aws-model.md
        # #detecting-the-outcome)
        (P.ROLLING_BACK, "Updating", None, False, True),
        (P.ROLLBACK_CREATING, "Updating", "Creating", False, True),
        (P.ROLLBACK_DELETING, "Updating", "Deleting", False, True),
        (P.FAILED, "Failed", None, False, False),
        (P.UPDATE_ROLLBACK_FAILED, "UpdateRollbackFailed", None, False, False),
    ],
)
def test_phase_properties(
    phase: Phase, endpoint_status: str, variant_status: str | None, bake: bool, rollback: bool
) -> None:
    assert phase.endpoint_status == endpoint_status
    assert phase.variant_status == variant_status
    assert phase.is_bake is bake
    assert phase.is_rollback is rollback
