"""How a finished update ended, from the endpoint's final state (pure; see
aws-model.md#update-endpoint, #detecting-the-outcome).

A guardrail rollback ends **InService on the old config**, so ``EndpointStatus`` alone reports
a rollback as a success: the outcome compares ``EndpointConfigName`` with the config the update
was to, and reads ``FailureReason``.

======================  ==========================  ============
EndpointStatus          EndpointConfigName          outcome
======================  ==========================  ============
InService               the new config              SUCCEEDED
InService               the old config              ROLLED_BACK
InService               any other config            FAILED
UpdateRollbackFailed    (any)                       FAILED
Failed                  (any)                       FAILED
anything else           (still in progress)         FAILED (not finished in time)
======================  ==========================  ============
"""

from __future__ import annotations

from dataclasses import dataclass

from guardsim.record import Outcome


@dataclass(frozen=True)
class Decision:
    outcome: Outcome
    reason: str


def decide_outcome(
    endpoint_status: str,
    config_name: str,
    *,
    old_config: str,
    new_config: str,
    failure_reason: str = "",
    noun: str = "config",
) -> Decision:
    """The outcome of an update from the endpoint's last ``describe_endpoint`` (or an inference
    component's last ``describe_inference_component``, ``noun`` "model": its
    ``Specification.ModelName`` is the "config")."""
    why = f" (FailureReason: {failure_reason})" if failure_reason else ""
    if endpoint_status == "InService":
        if config_name == new_config:
            return Decision("SUCCEEDED", f"InService on the new {noun} {new_config}")
        if config_name == old_config:
            return Decision("ROLLED_BACK", f"InService on the old {noun} {old_config}{why}")
        return Decision(
            "FAILED",
            f"InService on {config_name}, neither the old ({old_config}) nor the new "
            f"({new_config}) {noun}{why}",
        )
    if endpoint_status == "UpdateRollbackFailed":
        return Decision(
            "FAILED",
            "UpdateRollbackFailed: the update and its rollback both failed; the endpoint serves "
            f"a mix of configs and needs another UpdateEndpoint{why}",
        )
    if endpoint_status == "Failed":
        return Decision("FAILED", f"Failed: only DeleteEndpoint is possible now{why}")
    return Decision(
        "FAILED", f"still {endpoint_status or 'unknown'} when guardsim stopped following{why}"
    )
