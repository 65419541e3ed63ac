"""``guardsim real verify``: did the update a pipeline started end on the expected config?

Terraform's provider and the SDK waiters treat an endpoint that is InService again as success,
but SageMaker ends an update it rolls back InService on the *old* EndpointConfig, with the cause
only in ``FailureReason`` (DescribeEndpoint,
https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_DescribeEndpoint.html). This
check reads DescribeEndpoint until the endpoint has settled and compares the config it serves
with the one the pipeline deployed. :func:`verdict` is the pure decision;
:func:`verify_endpoint` polls.

An inference component's update is the same trap, worse: ``InferenceComponentStatus`` has no
RollingBack state, so a rolled-back ``UpdateInferenceComponent`` ends ``InService`` like a
successful one, on the old model
(https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_DescribeInferenceComponent.html).
:func:`component_verdict` compares the component's ``Specification.ModelName`` with the model
the pipeline deployed; :func:`verify_component` polls DescribeInferenceComponent.
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
    #: what ``serving`` and ``expected`` name: "" (an endpoint config) or "model " (a component)
    noun: str = ""
    status_name: str = "EndpointStatus"

    @property
    def message(self) -> str:
        reason = f"; FailureReason: {self.failure_reason}" if self.failure_reason else ""
        n = self.noun
        if self.outcome == "deployed":
            return f"InService on {n}{self.expected}, as expected"
        if self.outcome == "rolled_back":
            return f"silent rollback: InService on {n}{self.serving}, not {self.expected}{reason}"
        if self.outcome == "failed":
            return f"{self.status_name} {self.status} (serving {n}{self.serving}){reason}"
        return f"still {self.status} (serving {n}{self.serving})"


def _outcome(
    status: str, serving: str | None, expected: str, in_progress: Any, failed: Any
) -> Outcome:
    if status in in_progress:
        return "in_progress"
    if status in failed:
        return "failed"
    return "deployed" if serving == expected else "rolled_back"


def _text(value: Any) -> str | None:
    return str(value) if value else None


def verdict(describe: Mapping[str, Any], expected: str) -> Verdict:
    """The outcome of DescribeEndpoint's answer ``describe`` for config ``expected``."""
    status = str(describe.get("EndpointStatus"))
    serving = _text(describe.get("EndpointConfigName"))
    outcome = _outcome(status, serving, expected, IN_PROGRESS, FAILED)
    return Verdict(outcome, status, serving, expected, _text(describe.get("FailureReason")))


#: InferenceComponentStatus values while it changes, and after which it serves nothing
COMPONENT_IN_PROGRESS = ("Creating", "Updating")
COMPONENT_FAILED = ("Failed", "Deleting")


def component_verdict(describe: Mapping[str, Any], expected_model: str) -> Verdict:
    """The outcome of DescribeInferenceComponent's answer for model ``expected_model``."""
    status = str(describe.get("InferenceComponentStatus"))
    serving = _text((describe.get("Specification") or {}).get("ModelName"))
    outcome = _outcome(status, serving, expected_model, COMPONENT_IN_PROGRESS, COMPONENT_FAILED)
    return Verdict(
        outcome,
        status,
        serving,
        expected_model,
        _text(describe.get("FailureReason")),
        noun="model ",
        status_name="InferenceComponentStatus",
    )


def verify_component(
    component: str,
    expected_model: str,
    *,
    clients: ClientFactory,
    clock: Clock,
    timeout_seconds: float = 3600.0,
    poll_seconds: float = 30.0,
    progress: Callable[[str], None] | None = None,
) -> Verdict:
    """Poll DescribeInferenceComponent (read-only) until the component settles or
    ``timeout_seconds``."""
    sm = clients("sagemaker")
    return _poll(
        lambda: component_verdict(
            call(sm, "describe_inference_component", InferenceComponentName=component),
            expected_model,
        ),
        clock,
        timeout_seconds,
        poll_seconds,
        progress,
    )


def _poll(
    read: Callable[[], Verdict],
    clock: Clock,
    timeout_seconds: float,
    poll_seconds: float,
    progress: Callable[[str], None] | None,
) -> Verdict:
    start = clock.now()
    while True:
        v = read()
        if v.outcome != "in_progress" or clock.now() - start >= timeout_seconds:
            return v
        if progress is not None:
            progress(v.message)
        clock.sleep(poll_seconds)


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
    return _poll(
        lambda: verdict(call(sm, "describe_endpoint", EndpointName=endpoint), expected),
        clock,
        timeout_seconds,
        poll_seconds,
        progress,
    )
