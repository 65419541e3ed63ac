"""Faults the emulator can inject, for tests of code that must survive AWS misbehaving.

None of these is AWS behaviour to predict; each is a failure AWS can produce that a test wants on
demand. Operations are named by their API name (``"UpdateEndpoint"``), sends are counted per
operation from 1, and every retry botocore makes is a send of its own.

* ``throttle``: the first N sends of an operation get the service's throttling error
  (``ThrottlingException``; CloudWatch's ``Throttling``), which botocore retries;
* ``fail_call``: the k-th send of an operation is refused (``AccessDeniedException``;
  CloudWatch's ``AccessDenied``), which botocore does not retry;
* ``interrupt_call``: the k-th send of an operation raises :class:`KeyboardInterrupt` in the
  caller, as a Ctrl-C during that call would (in process only: ``mock_aws`` and
  :class:`~guardsim.emulator.clients.EmulatedAWS`);
* ``endpoint_fails``: ``"create"`` makes every CreateEndpoint end ``Failed`` when provisioning
  ends; ``"update"`` makes an update that is still running ``update_fails_at`` seconds after
  its UpdateEndpoint end ``Failed``;
* ``rollback_fails``: a rollback fails as it restores the old fleet's traffic: the endpoint
  ends ``UpdateRollbackFailed``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

#: The service's error codes for an injected throttle and refusal (CloudWatch's are its query
#: codes: https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/CommonErrors.html).
THROTTLE_CODE = {"cloudwatch": "Throttling"}
DENIED_CODE = {"cloudwatch": "AccessDenied"}


@dataclass(frozen=True)
class InjectedFaults:
    """Faults the emulator injects (see the module doc); the default injects none."""

    #: operation -> how many of its first sends are throttled (botocore retries them)
    throttle: Mapping[str, int] = field(default_factory=dict)
    #: (operation, k): the k-th send of the operation fails with AccessDenied (not retried)
    fail_call: tuple[str, int] | None = None
    #: (operation, k): a Ctrl-C (KeyboardInterrupt) during the k-th send of the operation
    interrupt_call: tuple[str, int] | None = None
    #: "create": the endpoint goes Creating -> Failed; "update": the update ends Failed
    endpoint_fails: Literal["create", "update"] | None = None
    #: with endpoint_fails="update": seconds after UpdateEndpoint
    update_fails_at: float = 120.0
    #: a rollback fails: the endpoint ends UpdateRollbackFailed
    rollback_fails: bool = False


__all__ = ["DENIED_CODE", "THROTTLE_CODE", "InjectedFaults"]
