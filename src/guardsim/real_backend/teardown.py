"""Deleting what a run created, and only that: the ledger and the teardown.

A run writes every resource into its :class:`Ledger` *before* the call that creates it (a call
can fail after the service created the resource, e.g. a timeout), and takes it out again only
when AWS refused the call (HTTP 4xx: then nothing was created; a name clash with someone else's
resource is such a refusal, so theirs is never looked at). Teardown walks the ledger in reverse
creation order (inference components, endpoint, alarms, endpoint configs, models: an endpoint's
components go before it) and, for each resource:

1. looks it up (``describe_*``): a resource that does not exist is already gone;
2. reads its tags (``list_tags`` / ``list_tags_for_resource``) and **refuses** to delete it
   unless it carries ``guardsim:run-id=<run id>`` (a name clash with someone else's resource
   must never cost them the resource);
3. deletes it (an inference component or an endpoint is then polled until it is gone, so the
   endpoint is not deleted under its components, nor its configs while it still uses them).

Failures do not stop the teardown: the rest is still deleted, the failed ones are tried once more
at the end, and whatever is still there is reported with the exact command to delete it by hand.
A Ctrl-C during teardown is held back (three in a row abort it), so an impatient second Ctrl-C
does not leave a running endpoint behind.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from types import FrameType
from typing import Any, Literal

from guardsim.errors import AWSError
from guardsim.real_backend.clients import ClientFactory, call
from guardsim.real_backend.clock import Clock
from guardsim.real_backend.naming import TAG_KEY, has_run_tag

Kind = Literal["model", "endpoint_config", "endpoint", "alarm", "inference_component"]
Status = Literal["deleted", "gone", "refused", "failed"]
Progress = Callable[[str], None]

#: How long teardown waits for a deleted endpoint to disappear before it moves on.
ENDPOINT_DELETE_WAIT_SECONDS = 1200.0
DELETE_POLL_SECONDS = 15.0
#: Pause before the second attempt at what failed (throttling, eventual consistency).
RETRY_PAUSE_SECONDS = 10.0

_ORDER: dict[Kind, int] = {
    "inference_component": -1,
    "endpoint": 0,
    "alarm": 1,
    "endpoint_config": 2,
    "model": 3,
}


@dataclass(frozen=True)
class Resource:
    kind: Kind
    name: str


@dataclass
class Ledger:
    """What a run created (or tried to create), in creation order."""

    run_id: str
    resources: list[Resource] = field(default_factory=list)

    def add(self, kind: Kind, name: str) -> None:
        r = Resource(kind, name)
        if r not in self.resources:
            self.resources.append(r)

    def discard(self, kind: Kind, name: str) -> None:
        """Forget a resource whose creation AWS refused (it does not exist, or is not ours)."""
        r = Resource(kind, name)
        if r in self.resources:
            self.resources.remove(r)

    def teardown_order(self) -> list[Resource]:
        """Reverse creation order; the endpoint first and the models last in any case."""
        rev = list(reversed(self.resources))
        return sorted(rev, key=lambda r: _ORDER[r.kind])


@dataclass(frozen=True)
class TeardownItem:
    resource: Resource
    status: Status
    detail: str = ""


@dataclass(frozen=True)
class TeardownReport:
    run_id: str
    region: str | None
    items: tuple[TeardownItem, ...]

    @property
    def left_behind(self) -> tuple[TeardownItem, ...]:
        """Resources of this run that still exist (delete them by hand)."""
        return tuple(i for i in self.items if i.status == "failed")

    @property
    def refused(self) -> tuple[TeardownItem, ...]:
        """Resources with this run's names but not its tag: not touched."""
        return tuple(i for i in self.items if i.status == "refused")

    @property
    def clean(self) -> bool:
        return not self.left_behind

    def manual_commands(self) -> list[str]:
        return [manual_command(i.resource, self.region) for i in self.left_behind]

    def text(self) -> str:
        deleted = [i for i in self.items if i.status == "deleted"]
        lines = [
            f"teardown of run {self.run_id}: {len(deleted)} resource(s) deleted"
            + (f", {len(self.left_behind)} left behind" if self.left_behind else "")
        ]
        for item in self.refused:
            lines.append(
                f"  not touched: {item.resource.kind} {item.resource.name} ({item.detail})"
            )
        if self.left_behind:
            lines.append("  could not delete (delete by hand):")
            for item, cmd in zip(self.left_behind, self.manual_commands(), strict=True):
                lines.append(f"    {item.resource.kind} {item.resource.name}: {item.detail}")
                lines.append(f"      {cmd}")
        return "\n".join(lines)


def manual_command(resource: Resource, region: str | None) -> str:
    """The AWS CLI command that deletes ``resource``."""
    where = f" --region {region}" if region else ""
    return {
        "endpoint": f"aws sagemaker delete-endpoint --endpoint-name {resource.name}",
        "endpoint_config": (
            f"aws sagemaker delete-endpoint-config --endpoint-config-name {resource.name}"
        ),
        "model": f"aws sagemaker delete-model --model-name {resource.name}",
        "alarm": f"aws cloudwatch delete-alarms --alarm-names {resource.name}",
        "inference_component": (
            f"aws sagemaker delete-inference-component --inference-component-name {resource.name}"
        ),
    }[resource.kind] + where


def _not_found(exc: AWSError) -> bool:
    """SageMaker says a resource does not exist with a ValidationException 'Could not find'."""
    if exc.code in ("ResourceNotFound", "ResourceNotFoundException"):
        return True
    return exc.code == "ValidationException" and "could not find" in exc.message.lower()


#: kind -> the name parameter of its create, describe and delete calls
NAME_PARAMETER: dict[Kind, str] = {
    "model": "ModelName",
    "endpoint_config": "EndpointConfigName",
    "endpoint": "EndpointName",
    "alarm": "AlarmName",
    "inference_component": "InferenceComponentName",
}
#: SageMaker kind -> (describe method, the ARN key of its answer)
_DESCRIBE: dict[Kind, tuple[str, str]] = {
    "endpoint": ("describe_endpoint", "EndpointArn"),
    "endpoint_config": ("describe_endpoint_config", "EndpointConfigArn"),
    "model": ("describe_model", "ModelArn"),
    "inference_component": ("describe_inference_component", "InferenceComponentArn"),
}
#: kind -> (status key, the status while deleting): deleted and then followed until gone
_WAITED: dict[Kind, tuple[str, str]] = {
    "endpoint": ("EndpointStatus", "Deleting"),
    "inference_component": ("InferenceComponentStatus", "Deleting"),
}
_DELETE: dict[Kind, str] = {
    "endpoint": "delete_endpoint",
    "endpoint_config": "delete_endpoint_config",
    "model": "delete_model",
    "inference_component": "delete_inference_component",
}


#: create method -> ledger kind
_CREATED: dict[str, Kind] = {
    "create_model": "model",
    "create_endpoint_config": "endpoint_config",
    "put_metric_alarm": "alarm",
    "create_endpoint": "endpoint",
    "create_inference_component": "inference_component",
}
#: create method -> (ledger kind, name parameter)
CREATES: dict[str, tuple[Kind, str]] = {
    method: (kind, NAME_PARAMETER[kind]) for method, kind in _CREATED.items()
}


def lookup_call(resource: Resource) -> tuple[str, str, dict[str, Any]]:
    """``(service, method, params)`` of the read-only call that finds ``resource``."""
    if resource.kind == "alarm":
        return "cloudwatch", "describe_alarms", {"AlarmNames": [resource.name]}
    method, _ = _DESCRIBE[resource.kind]
    return "sagemaker", method, {NAME_PARAMETER[resource.kind]: resource.name}


def exists(clients: ClientFactory, resource: Resource) -> bool:
    """Whether ``resource`` exists (:func:`lookup_call`)."""
    service, method, params = lookup_call(resource)
    try:
        found = call(clients(service), method, **params)
    except AWSError as exc:
        if _not_found(exc):
            return False
        raise
    if resource.kind == "alarm":
        return any(
            a.get("AlarmName") == resource.name
            for key in ("MetricAlarms", "CompositeAlarms")
            for a in found.get(key, [])
        )
    return True


class _Teardown:
    def __init__(
        self, clients: ClientFactory, clock: Clock, run_id: str, progress: Progress
    ) -> None:
        self.clients = clients
        self.clock = clock
        self.run_id = run_id
        self.progress = progress

    def sagemaker_tags(self, sm: Any, arn: str) -> list[dict[str, Any]]:
        tags: list[dict[str, Any]] = []
        token = None
        while True:
            params: dict[str, Any] = {"ResourceArn": arn, "MaxResults": 100}
            if token:
                params["NextToken"] = token
            response = call(sm, "list_tags", **params)
            tags += response.get("Tags", [])
            token = response.get("NextToken")
            if not token:
                return tags

    def delete(self, r: Resource) -> TeardownItem:
        try:
            if r.kind == "alarm":
                return self._delete_alarm(r)
            return self._delete_sagemaker(r)
        except AWSError as exc:
            return TeardownItem(r, "failed", f"{exc.operation}: {exc.code}")

    def _delete_sagemaker(self, r: Resource) -> TeardownItem:
        sm = self.clients("sagemaker")
        (method, arn_key), key = _DESCRIBE[r.kind], NAME_PARAMETER[r.kind]
        try:
            found = call(sm, method, **{key: r.name})
        except AWSError as exc:
            if _not_found(exc):
                return TeardownItem(r, "gone")
            raise
        if not has_run_tag(self.sagemaker_tags(sm, str(found[arn_key])), self.run_id):
            return TeardownItem(r, "refused", f"not tagged {TAG_KEY}={self.run_id}")
        waited = _WAITED.get(r.kind)
        if not (waited is not None and found.get(waited[0]) == waited[1]):
            try:
                call(sm, _DELETE[r.kind], **{key: r.name})
            except AWSError as exc:
                if _not_found(exc):
                    return TeardownItem(r, "gone")
                raise
        if waited is not None:
            return self._wait_gone(sm, r)
        return TeardownItem(r, "deleted")

    def _wait_gone(self, sm: Any, r: Resource) -> TeardownItem:
        deadline = self.clock.now() + ENDPOINT_DELETE_WAIT_SECONDS
        (method, _), key = _DESCRIBE[r.kind], NAME_PARAMETER[r.kind]
        while True:
            try:
                call(sm, method, **{key: r.name})
            except AWSError as exc:
                if _not_found(exc):
                    return TeardownItem(r, "deleted")
                raise
            if self.clock.now() >= deadline:
                return TeardownItem(
                    r, "failed", f"still Deleting after {ENDPOINT_DELETE_WAIT_SECONDS:.0f} s"
                )
            self.clock.sleep(DELETE_POLL_SECONDS)

    def _delete_alarm(self, r: Resource) -> TeardownItem:
        cw = self.clients("cloudwatch")
        found = call(cw, "describe_alarms", AlarmNames=[r.name])
        alarms = [a for a in found.get("MetricAlarms", []) if a.get("AlarmName") == r.name]
        if not alarms:
            return TeardownItem(r, "gone")
        tags = call(cw, "list_tags_for_resource", ResourceARN=alarms[0]["AlarmArn"])
        if not has_run_tag(tags.get("Tags", []), self.run_id):
            return TeardownItem(r, "refused", f"not tagged {TAG_KEY}={self.run_id}")
        try:
            call(cw, "delete_alarms", AlarmNames=[r.name])
        except AWSError as exc:
            if exc.code in ("ResourceNotFound", "ResourceNotFoundException"):
                return TeardownItem(r, "gone")
            raise
        return TeardownItem(r, "deleted")


def teardown(
    ledger: Ledger,
    clients: ClientFactory,
    clock: Clock,
    *,
    region: str | None = None,
    progress: Progress = lambda _: None,
) -> TeardownReport:
    """Delete the ledger's resources that carry the run's tag (see the module doc)."""
    worker = _Teardown(clients, clock, ledger.run_id, progress)
    results: dict[Resource, TeardownItem] = {}
    with sigint_held(progress):
        for attempt in (1, 2):
            todo = [
                r
                for r in ledger.teardown_order()
                if r not in results or results[r].status == "failed"
            ]
            if not todo:
                break
            if attempt == 2:
                progress(f"teardown: trying {len(todo)} failed deletion(s) once more")
                clock.sleep(RETRY_PAUSE_SECONDS)
            for r in todo:
                item = worker.delete(r)
                results[r] = item
                if item.status == "deleted":
                    progress(f"deleted {r.kind} {r.name}")
                elif item.status == "failed":
                    progress(f"could not delete {r.kind} {r.name}: {item.detail}")
    ordered = tuple(results[r] for r in ledger.teardown_order() if r in results)
    return TeardownReport(ledger.run_id, region, ordered)


@contextmanager
def sigint_held(progress: Progress) -> Iterator[None]:
    """Hold back Ctrl-C while tearing down (the third one in a row still aborts)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    presses = 0

    def handler(signum: int, frame: FrameType | None) -> None:
        nonlocal presses
        presses += 1
        if presses >= 3:
            raise KeyboardInterrupt
        progress(
            "teardown in progress: stopping now would leave resources running and billing; "
            f"press Ctrl-C {3 - presses} more time(s) to abort anyway"
        )

    previous = signal.signal(signal.SIGINT, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
