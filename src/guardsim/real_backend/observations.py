"""What one DescribeEndpoint call showed, as a typed record (pure).

Only the fields that describe a deployment (see aws-model.md#update-endpoint): ``EndpointStatus``,
``EndpointConfigName``, ``FailureReason``, ``LastModifiedTime``, ``LastDeploymentConfig`` and the
``VariantStatus`` lists of ``PendingDeploymentSummary.ProductionVariants`` (the new fleet) and of
``ProductionVariants`` (the serving fleet), each with its ``StartTime``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

#: EndpointStatus values while SageMaker is still working on the endpoint.
IN_PROGRESS = frozenset({"Creating", "Updating", "SystemUpdating", "RollingBack", "Deleting"})


def epoch(value: Any) -> float | None:
    """An AWS timestamp (datetime from boto3, or a number) as epoch seconds."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.timestamp()
    return float(value)


@dataclass(frozen=True)
class VariantStatus:
    """One ``ProductionVariantStatus``: ``Status``, ``StatusMessage``, ``StartTime`` (epoch)."""

    status: str
    message: str
    start: float
    fleet: str  # "pending" (PendingDeploymentSummary) or "current" (ProductionVariants)

    @property
    def key(self) -> tuple[str, float, str]:
        return (self.status, self.start, self.fleet)


@dataclass(frozen=True)
class Observation:
    """One DescribeEndpoint response, observed at ``at`` (epoch seconds)."""

    at: float
    endpoint_status: str
    config_name: str
    pending_config: str | None = None
    variant_statuses: tuple[VariantStatus, ...] = ()
    failure_reason: str = ""
    last_modified: float | None = None
    pending_start: float | None = None
    pending_current_instances: int | None = None
    last_deployment_config: Mapping[str, Any] | None = None
    #: an inference component's ``RuntimeConfig.DesiredCopyCount`` (None for an endpoint)
    desired_copies: int | None = None

    @property
    def in_progress(self) -> bool:
        return self.endpoint_status in IN_PROGRESS or self.pending_config is not None

    def same_state(self, other: Observation) -> bool:
        """True when nothing a deployment timeline shows changed between the two."""
        return (
            self.endpoint_status == other.endpoint_status
            and self.config_name == other.config_name
            and self.pending_config == other.pending_config
            and self.failure_reason == other.failure_reason
            and self.pending_current_instances == other.pending_current_instances
            and {v.key for v in self.variant_statuses} == {v.key for v in other.variant_statuses}
        )


def _statuses(variants: Any, fleet: str) -> list[VariantStatus]:
    out: list[VariantStatus] = []
    for variant in variants or ():
        for vs in variant.get("VariantStatus") or ():
            start = epoch(vs.get("StartTime"))
            out.append(
                VariantStatus(
                    status=str(vs.get("Status", "")),
                    message=str(vs.get("StatusMessage") or ""),
                    start=start if start is not None else 0.0,
                    fleet=fleet,
                )
            )
    return out


def observation_from_describe(response: Mapping[str, Any], at: float) -> Observation:
    """An :class:`Observation` from a ``describe_endpoint`` response."""
    pending = response.get("PendingDeploymentSummary")
    statuses = _statuses(response.get("ProductionVariants"), "current")
    pending_count = None
    if pending:
        statuses += _statuses(pending.get("ProductionVariants"), "pending")
        counts = [
            v.get("CurrentInstanceCount")
            for v in pending.get("ProductionVariants") or ()
            if v.get("CurrentInstanceCount") is not None
        ]
        pending_count = int(sum(counts)) if counts else None
    return Observation(
        at=at,
        endpoint_status=str(response.get("EndpointStatus", "")),
        config_name=str(response.get("EndpointConfigName", "")),
        pending_config=str(pending["EndpointConfigName"]) if pending else None,
        variant_statuses=tuple(sorted(statuses, key=lambda v: (v.start, v.status))),
        failure_reason=str(response.get("FailureReason") or ""),
        last_modified=epoch(response.get("LastModifiedTime")),
        pending_start=epoch(pending.get("StartTime")) if pending else None,
        pending_current_instances=pending_count,
        last_deployment_config=response.get("LastDeploymentConfig"),
    )


def observation_from_component(response: Mapping[str, Any], at: float) -> Observation:
    """An :class:`Observation` from a ``describe_inference_component`` response
    (https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_DescribeInferenceComponent.html):
    ``InferenceComponentStatus`` as the status, ``Specification.ModelName`` as the "config" (a
    component's update replaces its model in place, and a rollback ends ``InService`` on the old
    one: there is no RollingBack status), ``RuntimeConfig.CurrentCopyCount`` as the running
    count (``DesiredCopyCount`` as ``desired_copies``), ``FailureReason``, ``LastModifiedTime``
    and ``LastDeploymentConfig``."""
    spec = response.get("Specification") or {}
    runtime = response.get("RuntimeConfig") or {}
    current = runtime.get("CurrentCopyCount")
    desired = runtime.get("DesiredCopyCount")
    return Observation(
        at=at,
        endpoint_status=str(response.get("InferenceComponentStatus", "")),
        config_name=str(spec.get("ModelName", "")),
        failure_reason=str(response.get("FailureReason") or ""),
        last_modified=epoch(response.get("LastModifiedTime")),
        pending_current_instances=int(current) if current is not None else None,
        last_deployment_config=response.get("LastDeploymentConfig"),
        desired_copies=int(desired) if desired is not None else None,
    )


def update_ended(observations: Sequence[Observation], t0: float, new_config: str) -> bool:
    """Whether the update that began at ``t0`` is over (not just not started yet: right after
    UpdateEndpoint an InService on the old config may still be the state before it)."""
    last = observations[-1]
    if last.in_progress:
        return False
    return any(
        o.in_progress
        or o.endpoint_status in ("Failed", "UpdateRollbackFailed")
        or o.config_name == new_config
        or (o.last_modified is not None and o.last_modified >= t0)
        for o in observations
    )
