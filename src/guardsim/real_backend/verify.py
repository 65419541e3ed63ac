"""``guardsim real verify``: did the update a pipeline started end on the expected config?

Terraform's provider and the SDK waiters treat an endpoint that is InService again as success,
but SageMaker ends an update it rolls back InService on the *old* EndpointConfig, with the cause
only in ``FailureReason`` (DescribeEndpoint,
https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_DescribeEndpoint.html). This
check reads DescribeEndpoint until the endpoint has settled and compares the config it serves
with the one the pipeline deployed. :func:`verdict` is the pure decision;
:func:`verify_endpoint` polls.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from guardsim.real_backend.clients import ClientFactory, call
from guardsim.real_backend.clock import Clock

#: EndpointStatus values of an update (or rollback) still running.
IN_PROGRESS = ("Creating", "Updating", "SystemUpdating", "RollingBack")
#: EndpointStatus values after which the endpoint does not serve the new config.
FAILED = ("Failed", "UpdateRollbackFailed", "OutOfService", "Deleting")

Outcome = Literal["deployed", "rolled_back", "failed", "in_progress"]


@dataclass(frozen=True)
class Verdict:
    """What DescribeEndpoint says about the expected config."""

    outcome: Outcome
    status: str
    serving: str | None
    expected: str
    failure_reason: str | None

    @property
    def message(self) -> str:
        reason = f"; FailureReason: {self.failure_reason}" if self.failure_reason else ""
        if self.outcome == "deployed":
            return f"InService on {self.expected}, as expected"
        if self.outcome == "rolled_back":
            return f"silent rollback: InService on {self.serving}, not {self.expected}{reason}"
        if self.outcome == "failed":
            return f"EndpointStatus {self.status} (serving {self.serving}){reason}"
        return f"still {self.status} (serving {self.serving})"


def verdict(describe: Mapping[str, Any], expected: str) -> Verdict:
    """The outcome of DescribeEndpoint's answer ``describe`` for config ``expected``."""
    status = str(describe.get("EndpointStatus"))
    serving = describe.get("EndpointConfigName")
    reason = describe.get("FailureReason")
    serving_s = str(serving) if serving is not None else None
    reason_s = str(reason) if reason else None
    outcome: Outcome
    if status in IN_PROGRESS:
        outcome = "in_progress"
    elif status in FAILED:
        outcome = "failed"
    elif serving_s == expected:
        outcome = "deployed"
    else:
        outcome = "rolled_back"
    return Verdict(outcome, status, serving_s, expected, reason_s)


def verify_endpoint(
    endpoint: str,
    expected: str,
    *,
    clients: ClientFactory,
    clock: Clock,
    timeout_seconds: float = 3600.0,
    poll_seconds: float = 30.0,
    progress: Callable[[str], None] | None = None,
) -> Verdict:
    """Poll DescribeEndpoint (read-only) until the endpoint settles or ``timeout_seconds``."""
    sm = clients("sagemaker")
    start = clock.now()
    while True:
        v = verdict(call(sm, "describe_endpoint", EndpointName=endpoint), expected)
        if v.outcome != "in_progress" or clock.now() - start >= timeout_seconds:
            return v
        if progress is not None:
            progress(v.message)
        clock.sleep(poll_seconds)
