"""The SageMaker deployment as an explicit state machine.

A :class:`Phase` enum mirrors SageMaker's stages (the VariantStatus values, see
aws-model.md#update-endpoint, and the stages of #all-at-once to #rolling), a transition table maps
``(phase, trigger)`` to the next phase, and every change is a
:class:`Transition` record with its time and a human reason. An illegal pair raises
:class:`IllegalTransition`. The simulator's controller (and the real backend's observer) only
decide *which* trigger happened; where it leads is decided here.

::

    IN_SERVICE --update--> CREATING --fleet_ready--> ACTIVATING_TRAFFIC
    ACTIVATING_TRAFFIC --traffic_shifted--> BAKING --bake_done--> ACTIVATING_TRAFFIC (next step)
    ACTIVATING_TRAFFIC --final_traffic_shifted--> FINAL_BAKE --final_bake_done--> DELETING
    BAKING --batch_bake_done--> DELETING --batch_deleted--> CREATING        (rolling: next batch)
    DELETING --cleanup_done--> IN_SERVICE                                   (new config)
    any active phase --alarm_tripped | timeout--> ROLLING_BACK
    ROLLING_BACK --rollback_provision--> ROLLBACK_CREATING --rollback_ready--> ROLLING_BACK
    ROLLING_BACK --traffic_restored--> ROLLBACK_DELETING --rollback_done--> IN_SERVICE (old config)
    any active phase --timeout_failed--> FAILED
    rollback phases --rollback_failed--> UPDATE_ROLLBACK_FAILED
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from guardsim.errors import IllegalTransition


class Phase(StrEnum):
    """Where the deployment is. Values are SageMaker's own words where it has them."""

    IN_SERVICE = "InService"
    CREATING = "Creating"
    ACTIVATING_TRAFFIC = "ActivatingTraffic"
    BAKING = "Baking"
    FINAL_BAKE = "FinalBake"
    DELETING = "Deleting"
    ROLLING_BACK = "RollingBack"
    ROLLBACK_CREATING = "RollbackCreating"
    ROLLBACK_DELETING = "RollbackDeleting"
    FAILED = "Failed"
    UPDATE_ROLLBACK_FAILED = "UpdateRollbackFailed"

    @property
    def variant_status(self) -> str | None:
        """The ``VariantStatus.Status`` SageMaker reports in this phase (see
        aws-model.md#update-endpoint), if any."""
        return _VARIANT_STATUS.get(self)

    @property
    def endpoint_status(self) -> str:
        """The ``EndpointStatus`` of DescribeEndpoint in this phase.

        A guardrail rollback reports ``Updating`` until it ends ``InService`` on the old config
        (see aws-model.md#update-endpoint: RollingBack is documented only for autoscaling changes).
        """
        if self in (Phase.IN_SERVICE, Phase.FAILED, Phase.UPDATE_ROLLBACK_FAILED):
            return self.value
        return "Updating"

    @property
    def component_status(self) -> str:
        """The ``InferenceComponentStatus`` of DescribeInferenceComponent in this phase of an
        inference component's update (:func:`guardsim.deployment.components.component_status`:
        it has no RollingBack, so a rollback ends InService)."""
        from guardsim.deployment.components import component_status

        return component_status(self.value)

    @property
    def is_bake(self) -> bool:
        return self in (Phase.BAKING, Phase.FINAL_BAKE)

    @property
    def is_rollback(self) -> bool:
        return self in (Phase.ROLLING_BACK, Phase.ROLLBACK_CREATING, Phase.ROLLBACK_DELETING)

    @property
    def is_terminal(self) -> bool:
        return self in (Phase.FAILED, Phase.UPDATE_ROLLBACK_FAILED)


_VARIANT_STATUS = {
    Phase.CREATING: "Creating",
    Phase.ACTIVATING_TRAFFIC: "ActivatingTraffic",
    Phase.BAKING: "Baking",
    Phase.FINAL_BAKE: "Baking",
    Phase.DELETING: "Deleting",
    Phase.ROLLBACK_CREATING: "Creating",
    Phase.ROLLBACK_DELETING: "Deleting",
}


class Trigger(StrEnum):
    """What happened."""

    UPDATE = "update"
    FLEET_READY = "fleet_ready"
    TRAFFIC_SHIFTED = "traffic_shifted"
    FINAL_TRAFFIC_SHIFTED = "final_traffic_shifted"
    BAKE_DONE = "bake_done"
    BATCH_BAKE_DONE = "batch_bake_done"
    FINAL_BAKE_DONE = "final_bake_done"
    BATCH_DELETED = "batch_deleted"
    CLEANUP_DONE = "cleanup_done"
    ALARM_TRIPPED = "alarm_tripped"
    TIMEOUT = "timeout"
    TIMEOUT_FAILED = "timeout_failed"
    ROLLBACK_PROVISION = "rollback_provision"
    ROLLBACK_READY = "rollback_ready"
    TRAFFIC_RESTORED = "traffic_restored"
    ROLLBACK_DONE = "rollback_done"
    ROLLBACK_FAILED = "rollback_failed"


_ACTIVE = (Phase.CREATING, Phase.ACTIVATING_TRAFFIC, Phase.BAKING, Phase.FINAL_BAKE, Phase.DELETING)
_ROLLBACK = (Phase.ROLLING_BACK, Phase.ROLLBACK_CREATING, Phase.ROLLBACK_DELETING)

TRANSITIONS: dict[tuple[Phase, Trigger], Phase] = {
    (Phase.IN_SERVICE, Trigger.UPDATE): Phase.CREATING,
    (Phase.CREATING, Trigger.FLEET_READY): Phase.ACTIVATING_TRAFFIC,
    (Phase.ACTIVATING_TRAFFIC, Trigger.TRAFFIC_SHIFTED): Phase.BAKING,
    (Phase.ACTIVATING_TRAFFIC, Trigger.FINAL_TRAFFIC_SHIFTED): Phase.FINAL_BAKE,
    (Phase.BAKING, Trigger.BAKE_DONE): Phase.ACTIVATING_TRAFFIC,
    (Phase.BAKING, Trigger.BATCH_BAKE_DONE): Phase.DELETING,
    (Phase.FINAL_BAKE, Trigger.FINAL_BAKE_DONE): Phase.DELETING,
    (Phase.DELETING, Trigger.BATCH_DELETED): Phase.CREATING,
    (Phase.DELETING, Trigger.CLEANUP_DONE): Phase.IN_SERVICE,
    **{(p, Trigger.ALARM_TRIPPED): Phase.ROLLING_BACK for p in _ACTIVE},
    **{(p, Trigger.TIMEOUT): Phase.ROLLING_BACK for p in _ACTIVE},
    **{(p, Trigger.TIMEOUT_FAILED): Phase.FAILED for p in _ACTIVE},
    (Phase.ROLLING_BACK, Trigger.ROLLBACK_PROVISION): Phase.ROLLBACK_CREATING,
    (Phase.ROLLBACK_CREATING, Trigger.ROLLBACK_READY): Phase.ROLLING_BACK,
    (Phase.ROLLING_BACK, Trigger.TRAFFIC_RESTORED): Phase.ROLLBACK_DELETING,
    (Phase.ROLLBACK_DELETING, Trigger.ROLLBACK_DONE): Phase.IN_SERVICE,
    **{(p, Trigger.ROLLBACK_FAILED): Phase.UPDATE_ROLLBACK_FAILED for p in _ROLLBACK},
}


@dataclass(frozen=True)
class Transition:
    """One phase change: when (seconds after UpdateEndpoint), what triggered it, and why."""

    time: float
    source: Phase
    target: Phase
    trigger: Trigger
    reason: str

    def to_data(self) -> dict[str, object]:
        return {
            "t": self.time,
            "from": self.source.value,
            "to": self.target.value,
            "trigger": self.trigger.value,
            "reason": self.reason,
        }


def next_phase(phase: Phase, trigger: Trigger) -> Phase:
    """The phase ``trigger`` leads to from ``phase``; raises IllegalTransition otherwise."""
    try:
        return TRANSITIONS[(phase, trigger)]
    except KeyError:
        raise IllegalTransition(phase, trigger) from None


class DeploymentMachine:
    """Holds the current phase and the list of transitions; nothing else."""

    def __init__(self) -> None:
        self.phase = Phase.IN_SERVICE
        self.transitions: list[Transition] = []

    def fire(self, time: float, trigger: Trigger, reason: str) -> Transition:
        target = next_phase(self.phase, trigger)
        transition = Transition(time, self.phase, target, trigger, reason)
        self.transitions.append(transition)
        self.phase = target
        return transition
