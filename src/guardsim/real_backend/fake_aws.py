"""A FAKE AWS for tests: botocore clients answered by a guardsim simulation on a virtual clock.

Nothing here talks to AWS. :class:`FakeAWS` makes **real botocore clients** (``sagemaker``,
``sagemaker-runtime``, ``cloudwatch``) with dummy credentials and an unroutable endpoint URL, and
registers a ``before-send`` handler that answers every request from the fake's own state, in the
service's wire protocol (:mod:`.fake_wire`). botocore therefore serialises each request, signs
it, parses each response and retries throttling exactly as it does against AWS, and every
successful response is checked against the operation's output shape first (as
``botocore.stub.Stubber`` does).

What it keeps (a small resource store): models, endpoint configs, endpoints, alarms and their
tags, so tests can assert that a run left nothing behind (:meth:`FakeAWS.resources`).

How it behaves:

* ``CreateEndpoint``: Creating for a provisioning time drawn from the truth scenario's
  ``environment.provisioning_seconds`` (the largest of the fleet's instances), then InService.
* ``UpdateEndpoint``: runs :func:`guardsim.simulator.simulate` on the **truth** scenario (the
  one given to the fake; the scenario under test by default, or a "hidden" one whose
  environment differs) with the endpoint, configs, DeploymentConfig and alarms *as they were
  created in the fake*. The simulated run then plays out on the virtual clock:
  ``DescribeEndpoint`` shows the phase of the moment (``EndpointStatus`` from
  :attr:`Phase.endpoint_status`, ``PendingDeploymentSummary`` with the ``VariantStatus`` of
  :attr:`Phase.variant_status`, a ``StatusMessage`` worded like AWS's samples and its
  ``StartTime``), ``GetMetricData`` returns the simulated datapoints once published,
  ``DescribeAlarms`` / ``DescribeAlarmHistory`` the simulated alarm states, and an
  ``InvokeEndpoint`` is answered by a sample of the fleet it is routed to (by the simulated
  traffic split at that moment): a prediction, or ``ModelError`` 424 with the model's status.
  During a rollback the fake sets ``FailureReason`` (its own wording: AWS's is undocumented).
* Errors are AWS's codes: ``ValidationException`` "Could not find ..." for missing SageMaker
  resources, ``ResourceNotFound`` for CloudWatch, ``ValidationError`` for InvokeEndpoint.

Faults (:class:`FakeFaults`): throttling (the first N sends of an operation get
``ThrottlingException`` / ``Throttling``, which botocore retries), a failure of the k-th send of
any operation (``AccessDenied``, not retried), a Ctrl-C at the k-th send of an operation, an
endpoint that goes to Failed (at creation, or during the update), and a rollback that ends
UpdateRollbackFailed.

Departures from AWS: one variant per config; ``InvokeEndpoint`` latency is not slept (the model
latency it sampled is in the ``CustomAttributes`` header, with the fleet, for guardsim's tests),
and load and warm-up faults are not applied to single invocations; a deleted endpoint is
Deleting for 30 virtual seconds; the fake accepts DeleteEndpoint in any state; metric minutes are
the simulation's (whole minutes after the UpdateEndpoint call), not the wall clock's;
``UpdateEndpoint`` rejects rollback alarms that do not exist (AWS does not document whether it
checks, see aws-model.md#composite-alarms).

For your own boto3 code, use guardsim's emulator instead (:mod:`guardsim.emulator`,
``guardsim.testing.mock_aws``): its traffic is the client's, its alarms run live and every model
keeps its own behaviour. This fake plays a truth scenario out for guardsim's real backend.
"""

from __future__ import annotations

import functools
import json
import math
import threading
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

import numpy as np

from guardsim.cloudwatch.statistics import BASIC_STATISTICS, basic_of_sets
from guardsim.deployment.machine import Phase
from guardsim.emulator.clock import VirtualClock
from guardsim.model.faults import FleetFaults
from guardsim.model.metrics import INSTANCE_METRICS, INSTANCE_NAMESPACE
from guardsim.real_backend.fake_wire import (
    error_response,
    read_request,
    success_response,
)
from guardsim.record import RunRecord
from guardsim.scenarios.distributions import Z99
from guardsim.scenarios.loading import check_scenario_dict
from guardsim.scenarios.models import ModelBehaviour
from guardsim.scenarios.scenario import Scenario

#: Dummy credentials of the fake's clients (the tests check they never reach a log or record).
FAKE_ACCESS_KEY_ID = "AKIAFAKEGUARDSIM0000"
FAKE_SECRET_ACCESS_KEY = "fakeSecretKeyOfGuardsimsFakeAwsDoNotUse0"
FAKE_ACCOUNT = "123456789012"
#: 2026-01-01T00:00:00Z: where a fake clock starts.
FAKE_EPOCH = 1767225600.0
DELETE_SECONDS = 30.0


class FakeClock(VirtualClock):
    """The emulator's virtual clock (``sleep`` moves it at once; thread-safe), starting at
    :data:`FAKE_EPOCH` by default."""

    def __init__(self, start: float = FAKE_EPOCH) -> None:
        super().__init__(start)


@dataclass(frozen=True)
class FakeFaults:
    """Faults the fake injects (operations by API name, e.g. ``"UpdateEndpoint"``)."""

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
    #: the first rollback fails: the endpoint ends UpdateRollbackFailed
    rollback_fails: bool = False


@dataclass(frozen=True)
class FakeCall:
    """One request the fake answered: when (virtual), what, and how it ended."""

    service: str
    operation: str
    at: float
    params: Mapping[str, Any]
    result: str  #: "ok", or the error code returned


class _Fault(Exception):
    def __init__(self, code: str, message: str, status: int = 400, **extra: Any) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status
        self.extra = extra


@dataclass
class _Resource:
    name: str
    arn: str
    params: dict[str, Any]
    created_at: float
    tags: list[dict[str, str]]


@dataclass
class _Deployment:
    start: float
    old_config: str
    new_config: str
    deployment_config: dict[str, Any]
    record: RunRecord
    timeline: list[tuple[float, Phase, str]]
    end_t: float
    final_status: str
    final_config: str
    failure_at: float | None
    failure_reason: str
    warmup: float
    policy: str
    wait_seconds: int
    termination_wait_seconds: int


@dataclass
class _Endpoint(_Resource):
    config_name: str = ""
    ready_at: float = 0.0
    create_failed: bool = False
    deleting_since: float | None = None
    deployments: list[_Deployment] = field(default_factory=list)


def _dt(t: float) -> datetime:
    return datetime.fromtimestamp(t, UTC)


def _epoch(value: Any) -> float:
    return value.timestamp() if isinstance(value, datetime) else float(value)


_THROTTLE_CODE = {"cloudwatch": "Throttling"}
_DENIED_CODE = {"cloudwatch": "AccessDenied"}


class FakeAWS:
    """A fake of SageMaker, SageMaker Runtime and CloudWatch (see the module doc).

    ``FakeAWS(truth)`` is a client factory: ``fake("sagemaker")`` returns a botocore client
    answered by this fake. ``fake.clock`` is its virtual clock. ``retry_mode`` is botocore's
    (standard by default: adaptive mode's client-side rate limiter sleeps in wall time, which a
    virtual clock cannot compress); ``botocore_session`` lets a test use other service models.
    """

    def __init__(
        self,
        truth: Scenario | None = None,
        *,
        clock: FakeClock | None = None,
        faults: FakeFaults | None = None,
        region: str = "us-east-1",
        seed: int = 0,
        retry_mode: Literal["standard", "adaptive", "legacy"] = "standard",
        botocore_session: Any = None,
    ) -> None:
        self.truth = truth
        self.botocore_session = botocore_session
        self.clock = clock or FakeClock()
        self.faults = faults or FakeFaults()
        self.region = region
        self.retry_mode = retry_mode
        self.rng = np.random.default_rng(seed)
        self.calls: list[FakeCall] = []
        self.models: dict[str, _Resource] = {}
        self.endpoint_configs: dict[str, _Resource] = {}
        self.endpoints: dict[str, _Endpoint] = {}
        self.alarms: dict[str, _Resource] = {}
        self._lock = threading.RLock()
        self._sends: Counter[str] = Counter()
        self._throttled: Counter[str] = Counter()
        self._clients: dict[str, Any] = {}
        self._handlers: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
            "CreateModel": self._create_model,
            "DescribeModel": self._describe_model,
            "DeleteModel": self._delete_model,
            "CreateEndpointConfig": self._create_endpoint_config,
            "DescribeEndpointConfig": self._describe_endpoint_config,
            "DeleteEndpointConfig": self._delete_endpoint_config,
            "CreateEndpoint": self._create_endpoint,
            "DescribeEndpoint": self._describe_endpoint,
            "UpdateEndpoint": self._update_endpoint,
            "DeleteEndpoint": self._delete_endpoint,
            "ListTags": self._list_tags,
            "PutMetricAlarm": self._put_metric_alarm,
            "DescribeAlarms": self._describe_alarms,
            "DeleteAlarms": self._delete_alarms,
            "DescribeAlarmHistory": self._describe_alarm_history,
            "GetMetricData": self._get_metric_data,
            "ListTagsForResource": self._list_tags_for_resource,
            "InvokeEndpoint": self._invoke_endpoint,
        }

    # ------------------------------------------------------------------ clients

    def __call__(self, service: str) -> Any:
        return self.client(service)

    def client(self, service: str) -> Any:
        """A botocore client for ``service`` whose requests this fake answers."""
        with self._lock:
            if service not in self._clients:
                self._clients[service] = self._make_client(service)
            return self._clients[service]

    def _make_client(self, service: str) -> Any:
        from botocore.config import Config

        session = self.botocore_session or _session()
        client = session.create_client(
            service,
            region_name=self.region,
            # Unroutable: should anything ever get past the fake, it cannot reach AWS.
            endpoint_url=f"https://{service}.{self.region}.fake-aws.invalid",
            aws_access_key_id=FAKE_ACCESS_KEY_ID,
            aws_secret_access_key=FAKE_SECRET_ACCESS_KEY,
            config=Config(retries={"mode": self.retry_mode, "max_attempts": 10}),
        )
        client.meta.events.register(
            "before-send", functools.partial(self._on_send, service=service)
        )
        return client

    # ------------------------------------------------------------------ inspection

    def resources(self) -> dict[str, list[str]]:
        """Every resource that exists now, by kind (an endpoint being deleted still exists)."""
        with self._lock:
            self._expire_deleted()
            return {
                "models": sorted(self.models),
                "endpoint_configs": sorted(self.endpoint_configs),
                "endpoints": sorted(self.endpoints),
                "alarms": sorted(self.alarms),
            }

    def leftovers(self, prefix: str = "guardsim-") -> list[str]:
        """Names of existing resources that start with ``prefix``."""
        return [n for names in self.resources().values() for n in names if n.startswith(prefix)]

    def operations(self) -> list[str]:
        """The API name of every request answered so far, in order."""
        return [c.operation for c in self.calls]

    # ------------------------------------------------------------------ dispatch

    def _on_send(self, request: Any, service: str, **_: Any) -> Any:
        client = self._clients[service]
        model = client.meta.service_model
        wire = read_request(request, model)
        op = wire.operation
        with self._lock:
            self._sends[op] += 1
            n = self._sends[op]
            now = self.clock.now()
            faults = self.faults
            if faults.interrupt_call == (op, n):
                self.calls.append(FakeCall(service, op, now, wire.params, "KeyboardInterrupt"))
                raise KeyboardInterrupt
            if faults.fail_call == (op, n):
                code = _DENIED_CODE.get(service, "AccessDeniedException")
                self.calls.append(FakeCall(service, op, now, wire.params, code))
                return error_response(
                    request, model, code, f"injected fault: send {n} of {op} is not authorized"
                )
            if self._throttled[op] < faults.throttle.get(op, 0):
                self._throttled[op] += 1
                code = _THROTTLE_CODE.get(service, "ThrottlingException")
                self.calls.append(FakeCall(service, op, now, wire.params, code))
                return error_response(request, model, code, "Rate exceeded")
            handler = self._handlers.get(op)
            try:
                if handler is None:
                    raise _Fault("InvalidAction", f"the fake AWS does not implement {op}")
                result = handler(wire.params)
            except _Fault as fault:
                self.calls.append(FakeCall(service, op, now, wire.params, fault.code))
                return error_response(
                    request, model, fault.code, fault.message, fault.status, fault.extra
                )
            self.calls.append(FakeCall(service, op, now, wire.params, "ok"))
            return success_response(request, model, op, result)

    def _arn(self, service: str, kind: str, name: str) -> str:
        if service == "cloudwatch":
            return f"arn:aws:cloudwatch:{self.region}:{FAKE_ACCOUNT}:alarm:{name}"
        return f"arn:aws:sagemaker:{self.region}:{FAKE_ACCOUNT}:{kind}/{name.lower()}"

    # ------------------------------------------------------------------ models

    def _create_model(self, p: dict[str, Any]) -> dict[str, Any]:
        name = p["ModelName"]
        arn = self._arn("sagemaker", "model", name)
        if name in self.models:
            raise _Fault("ValidationException", f'Cannot create already existing model "{arn}".')
        params = {k: v for k, v in p.items() if k != "Tags"}
        self.models[name] = _Resource(name, arn, params, self.clock.now(), list(p.get("Tags", [])))
        return {"ModelArn": arn}

    def _model(self, name: str) -> _Resource:
        if name not in self.models:
            raise _Fault(
                "ValidationException",
                f'Could not find model "{self._arn("sagemaker", "model", name)}".',
            )
        return self.models[name]

    def _describe_model(self, p: dict[str, Any]) -> dict[str, Any]:
        m = self._model(p["ModelName"])
        out = {"ModelName": m.name, "ModelArn": m.arn, "CreationTime": _dt(m.created_at)}
        for key in ("ExecutionRoleArn", "PrimaryContainer", "Containers"):
            if key in m.params:
                out[key] = m.params[key]
        return out

    def _delete_model(self, p: dict[str, Any]) -> dict[str, Any]:
        self._model(p["ModelName"])
        del self.models[p["ModelName"]]
        return {}

    # ------------------------------------------------------------------ endpoint configs

    def _create_endpoint_config(self, p: dict[str, Any]) -> dict[str, Any]:
        name = p["EndpointConfigName"]
        arn = self._arn("sagemaker", "endpoint-config", name)
        if name in self.endpoint_configs:
            raise _Fault(
                "ValidationException",
                f'Cannot create already existing endpoint configuration "{arn}".',
            )
        for variant in p.get("ProductionVariants", []):
            if "ModelName" in variant:
                self._model(variant["ModelName"])
        params = {k: v for k, v in p.items() if k != "Tags"}
        self.endpoint_configs[name] = _Resource(
            name, arn, params, self.clock.now(), list(p.get("Tags", []))
        )
        return {"EndpointConfigArn": arn}

    def _config(self, name: str) -> _Resource:
        if name not in self.endpoint_configs:
            arn = self._arn("sagemaker", "endpoint-config", name)
            raise _Fault("ValidationException", f'Could not find endpoint configuration "{arn}".')
        return self.endpoint_configs[name]

    def _describe_endpoint_config(self, p: dict[str, Any]) -> dict[str, Any]:
        c = self._config(p["EndpointConfigName"])
        return {
            "EndpointConfigName": c.name,
            "EndpointConfigArn": c.arn,
            "ProductionVariants": c.params["ProductionVariants"],
            "CreationTime": _dt(c.created_at),
        }

    def _delete_endpoint_config(self, p: dict[str, Any]) -> dict[str, Any]:
        self._config(p["EndpointConfigName"])
        del self.endpoint_configs[p["EndpointConfigName"]]
        return {}

    # ------------------------------------------------------------------ endpoints

    def _truth(self) -> Scenario:
        if self.truth is not None:
            return self.truth
        result = check_scenario_dict({"name": "fake-aws-default"}, source="fake-aws")
        assert result.scenario is not None
        return result.scenario

    def _create_endpoint(self, p: dict[str, Any]) -> dict[str, Any]:
        name = p["EndpointName"]
        arn = self._arn("sagemaker", "endpoint", name)
        self._expire_deleted()
        if name in self.endpoints:
            raise _Fault("ValidationException", f'Cannot create already existing endpoint "{arn}".')
        config = self._config(p["EndpointConfigName"])
        count = sum(
            int(v.get("InitialInstanceCount", 1)) for v in config.params["ProductionVariants"]
        )
        durations = self._truth().environment.provisioning_seconds.sample(self.rng, max(1, count))
        now = self.clock.now()
        self.endpoints[name] = _Endpoint(
            name,
            arn,
            {k: v for k, v in p.items() if k != "Tags"},
            now,
            list(p.get("Tags", [])),
            config_name=config.name,
            ready_at=now + float(np.max(durations)),
            create_failed=self.faults.endpoint_fails == "create",
        )
        return {"EndpointArn": arn}

    def _expire_deleted(self) -> None:
        now = self.clock.now()
        for name in [
            n
            for n, e in self.endpoints.items()
            if e.deleting_since is not None and now >= e.deleting_since + DELETE_SECONDS
        ]:
            del self.endpoints[name]

    def _endpoint(self, name: str) -> _Endpoint:
        self._expire_deleted()
        if name not in self.endpoints:
            arn = self._arn("sagemaker", "endpoint", name)
            raise _Fault("ValidationException", f'Could not find endpoint "{arn}".')
        return self.endpoints[name]

    def _status(self, ep: _Endpoint, now: float) -> str:
        if ep.deleting_since is not None:
            return "Deleting"
        if now < ep.ready_at:
            return "Creating"
        if ep.create_failed:
            return "Failed"
        dep = ep.deployments[-1] if ep.deployments else None
        if dep is None:
            return "InService"
        rel = now - dep.start
        if rel >= dep.end_t:
            return dep.final_status
        return _phase_at(dep, rel).endpoint_status

    def _describe_endpoint(self, p: dict[str, Any]) -> dict[str, Any]:
        ep = self._endpoint(p["EndpointName"])
        now = self.clock.now()
        status = self._status(ep, now)
        config = self.endpoint_configs.get(ep.config_name)
        variants = (
            config.params["ProductionVariants"] if config else [{"VariantName": "AllTraffic"}]
        )
        blue_count = sum(int(v.get("InitialInstanceCount", 1)) for v in variants)
        out: dict[str, Any] = {
            "EndpointName": ep.name,
            "EndpointArn": ep.arn,
            "EndpointConfigName": ep.config_name,
            "EndpointStatus": status,
            "CreationTime": _dt(ep.created_at),
            "LastModifiedTime": _dt(ep.created_at if now < ep.ready_at else ep.ready_at),
        }
        current_running = blue_count if status != "Creating" else 0
        dep = ep.deployments[-1] if ep.deployments else None
        if ep.create_failed and now >= ep.ready_at:
            out["FailureReason"] = "injected fault: the endpoint failed to create"
        if dep is not None and now >= dep.start and status != "Deleting":
            rel = now - dep.start
            out["LastDeploymentConfig"] = dep.deployment_config
            if rel >= dep.end_t:
                out["EndpointConfigName"] = dep.final_config
                out["LastModifiedTime"] = _dt(dep.start + dep.end_t)
                final = self.endpoint_configs.get(dep.final_config)
                if final is not None:
                    variants = final.params["ProductionVariants"]
                    current_running = sum(int(v.get("InitialInstanceCount", 1)) for v in variants)
            else:
                out["LastModifiedTime"] = _dt(dep.start)
                out["PendingDeploymentSummary"] = self._pending(dep, rel)
                current_running = _running(dep, "blue", rel)
            if dep.failure_at is not None and rel >= dep.failure_at:
                out["FailureReason"] = dep.failure_reason
        out["ProductionVariants"] = [
            {
                "VariantName": str(v.get("VariantName", "AllTraffic")),
                "CurrentWeight": 1.0,
                "DesiredWeight": 1.0,
                "CurrentInstanceCount": current_running,
                "DesiredInstanceCount": int(v.get("InitialInstanceCount", 1)),
            }
            for v in variants[:1]
        ]
        if status == "Creating":
            out["ProductionVariants"][0]["VariantStatus"] = [
                {
                    "Status": "Creating",
                    "StatusMessage": f"Launching {blue_count} instance(s).",
                    "StartTime": _dt(ep.created_at),
                }
            ]
        return out

    def _pending(self, dep: _Deployment, rel: float) -> dict[str, Any]:
        new = self.endpoint_configs.get(dep.new_config)
        variant = new.params["ProductionVariants"][0] if new else {"VariantName": "AllTraffic"}
        green_n = int(variant.get("InitialInstanceCount", 1))
        summary: dict[str, Any] = {
            "VariantName": str(variant.get("VariantName", "AllTraffic")),
            "CurrentInstanceCount": _traffic_at(dep, rel)["active_green"],
            "DesiredInstanceCount": green_n,
            "CurrentWeight": 1.0,
            "DesiredWeight": 1.0,
        }
        if "InstanceType" in variant:
            summary["InstanceType"] = variant["InstanceType"]
        status = _variant_status(dep, rel, green_n)
        if status is not None:
            summary["VariantStatus"] = [status]
        return {
            "EndpointConfigName": dep.new_config,
            "StartTime": _dt(dep.start),
            "ProductionVariants": [summary],
        }

    def _update_endpoint(self, p: dict[str, Any]) -> dict[str, Any]:
        ep = self._endpoint(p["EndpointName"])
        now = self.clock.now()
        status = self._status(ep, now)
        if status != "InService":
            raise _Fault(
                "ValidationException",
                f'Cannot update in-progress endpoint "{ep.arn}" (status {status}).',
            )
        if ep.deployments:  # the last update's result is the endpoint's config now
            ep.config_name = ep.deployments[-1].final_config
        old = self._config(ep.config_name)
        new = self._config(p["EndpointConfigName"])
        if new.name == old.name:  # AWS's wording (as the emulator's, guardsim.emulator.core)
            raise _Fault(
                "ValidationException",
                "The endpoint configuration is already in use by the endpoint. "
                "Specify a new endpoint configuration.",
            )
        if p.get("DeploymentConfig") is None and p.get("RetainDeploymentConfig") and ep.deployments:
            # reuse the last deployment configuration (the API reference's RetainDeploymentConfig)
            dc = dict(ep.deployments[-1].deployment_config)
        else:
            dc = dict(p.get("DeploymentConfig") or {})
        names = [a["AlarmName"] for a in dc.get("AutoRollbackConfiguration", {}).get("Alarms", [])]
        missing = [n for n in names if n not in self.alarms]
        if missing:  # the fake's choice, undocumented: see aws-model.md#composite-alarms
            raise _Fault("ValidationException", f"Alarm(s) not found: {', '.join(missing)}")
        scenario = self._simulated_scenario(ep, old, new, dc)
        from guardsim.simulator import simulate

        record = simulate(scenario)
        ep.deployments.append(self._deployment(now, old.name, new.name, dc, scenario, record))
        return {"EndpointArn": ep.arn}

    def _simulated_scenario(
        self, ep: _Endpoint, old: _Resource, new: _Resource, dc: dict[str, Any]
    ) -> Scenario:
        truth = self._truth()
        data = truth.to_dict()
        data.pop("real", None)
        data["name"] = truth.name
        data["endpoint"] = {"name": ep.name, "blue": old.params, "green": new.params}
        data["deployment_config"] = dc
        named = {a["AlarmName"] for a in dc.get("AutoRollbackConfiguration", {}).get("Alarms", [])}
        data["alarms"] = [
            {k: v for k, v in a.params.items() if k != "Tags"}
            for a in self.alarms.values()
            if a.name in named or _mentions(a.params, ep.name)
        ]
        result = check_scenario_dict(data, source="fake-aws")
        if result.scenario is None:
            first = result.errors[0]
            raise _Fault("ValidationException", f"{first.path}: {first.message}")
        return result.scenario

    def _deployment(
        self,
        now: float,
        old: str,
        new: str,
        dc: dict[str, Any],
        scenario: Scenario,
        record: RunRecord,
    ) -> _Deployment:
        timeline = [(float(t["t"]), Phase(t["to"]), str(t["reason"])) for t in record.transitions]
        end_t = record.summary.deployment_seconds
        outcome = record.outcome
        last = timeline[-1][1] if timeline else Phase.FAILED
        final_status = {
            Phase.IN_SERVICE: "InService",
            Phase.FAILED: "Failed",
            Phase.UPDATE_ROLLBACK_FAILED: "UpdateRollbackFailed",
        }.get(last, "Failed")
        failure_at: float | None = None
        reason = ""
        for t, phase, why in timeline:
            if phase in (Phase.ROLLING_BACK, Phase.FAILED):
                failure_at, reason = t, f"Deployment stopped: {why}"
                break
        if outcome == "FAILED" and failure_at is None:
            failure_at, reason = end_t, "Deployment did not finish: " + "; ".join(record.notes)
        faults = self.faults
        if faults.endpoint_fails == "update":
            cut = min(faults.update_fails_at, end_t)
            timeline = [x for x in timeline if x[0] < cut]
            timeline.append((cut, Phase.FAILED, "injected fault: the update failed"))
            end_t, final_status, outcome = cut, "Failed", "FAILED"
            failure_at, reason = cut, "injected fault: the update failed"
        elif faults.rollback_fails:
            rollback = next((x for x in timeline if x[1] == Phase.ROLLING_BACK), None)
            if rollback is not None:
                restored = next((x for x in timeline if x[1] == Phase.ROLLBACK_DELETING), None)
                cut = restored[0] if restored else rollback[0] + 30.0
                timeline = [x for x in timeline if x[0] < cut]
                timeline.append(
                    (cut, Phase.UPDATE_ROLLBACK_FAILED, "injected fault: the rollback failed")
                )
                end_t, final_status, outcome = cut, "UpdateRollbackFailed", "FAILED"
                reason = f"{reason}; injected fault: the rollback failed"
        bg = dc.get("BlueGreenUpdatePolicy", {})
        routing = bg.get("TrafficRoutingConfiguration", {})
        rolling = dc.get("RollingUpdatePolicy")
        return _Deployment(
            start=now,
            old_config=old,
            new_config=new,
            deployment_config=dc,
            record=record,
            timeline=timeline,
            end_t=end_t,
            final_status=final_status,
            final_config=new if outcome == "SUCCEEDED" else old,
            failure_at=failure_at,
            failure_reason=reason[:1024],
            warmup=scenario.simulation.warmup_seconds,
            policy="ROLLING" if rolling else str(routing.get("Type", "ALL_AT_ONCE")),
            wait_seconds=int((rolling or routing).get("WaitIntervalInSeconds", 0)),
            termination_wait_seconds=int(bg.get("TerminationWaitInSeconds", 0)),
        )

    def _delete_endpoint(self, p: dict[str, Any]) -> dict[str, Any]:
        ep = self._endpoint(p["EndpointName"])
        if ep.deleting_since is None:
            ep.deleting_since = self.clock.now()
        return {}

    def _list_tags(self, p: dict[str, Any]) -> dict[str, Any]:
        arn = p["ResourceArn"]
        self._expire_deleted()
        for store in (self.models, self.endpoint_configs, self.endpoints):
            for r in store.values():
                if r.arn == arn:
                    return {"Tags": list(r.tags)}
        raise _Fault("ValidationException", f'Could not find resource "{arn}".')

    # ------------------------------------------------------------------ alarms

    def _put_metric_alarm(self, p: dict[str, Any]) -> dict[str, Any]:
        name = p["AlarmName"]
        params = {k: v for k, v in p.items() if k != "Tags"}
        if name in self.alarms:  # an update keeps the alarm's creation and tags
            self.alarms[name].params = params
        else:
            self.alarms[name] = _Resource(
                name,
                self._arn("cloudwatch", "alarm", name),
                params,
                self.clock.now(),
                list(p.get("Tags", [])),
            )
        return {}

    def _alarm_rows(self, name: str, now: float) -> list[tuple[float, str, str, str]]:
        """(epoch, from, to, reason) of the alarm's simulated state changes visible at now."""
        alarm = self.alarms.get(name)
        created = alarm.created_at if alarm else -math.inf
        rows: list[tuple[float, str, str, str]] = []
        for ep in self.endpoints.values():
            for lo, hi, dep in _windows(ep.deployments):
                before: tuple[str, str] | None = None  # the simulated state when it was created
                for h in dep.record.alarm_history:
                    t = dep.start + float(h["t"])
                    if h["alarm"] != name or not lo <= t < hi or t > now:
                        continue
                    if t < created:
                        before = (str(h["to"]), str(h["reason"]))
                        continue
                    rows.append((t, str(h["from"]), str(h["to"]), str(h["reason"])))
                if before is not None and before[0] != "INSUFFICIENT_DATA":
                    # The simulation's warm-up settled the alarm before the fake created it; a
                    # new alarm starts INSUFFICIENT_DATA and reaches that state at its first
                    # evaluation, a minute later.
                    first = created + 60.0
                    if first <= now and not any(r[0] <= first for r in rows):
                        rows.append((first, "INSUFFICIENT_DATA", before[0], before[1]))
        return sorted(rows)

    def _describe_alarms(self, p: dict[str, Any]) -> dict[str, Any]:
        now = self.clock.now()
        wanted = p.get("AlarmNames")
        prefix = p.get("AlarmNamePrefix")
        out = []
        for a in self.alarms.values():
            if wanted is not None and a.name not in wanted:
                continue
            if prefix is not None and not a.name.startswith(prefix):
                continue
            rows = self._alarm_rows(a.name, now)
            state, reason, since = (
                (rows[-1][2], rows[-1][3], rows[-1][0])
                if rows
                else ("INSUFFICIENT_DATA", "Unchecked: Initial alarm creation", a.created_at)
            )
            item = {k: v for k, v in a.params.items()}
            item.update(
                AlarmArn=a.arn,
                StateValue=state,
                StateReason=reason[:1023],
                StateUpdatedTimestamp=_dt(since),
                StateTransitionedTimestamp=_dt(since),
                AlarmConfigurationUpdatedTimestamp=_dt(a.created_at),
            )
            item.setdefault("ActionsEnabled", True)
            out.append(item)
        return {"MetricAlarms": out, "CompositeAlarms": []}

    def _delete_alarms(self, p: dict[str, Any]) -> dict[str, Any]:
        missing = [n for n in p["AlarmNames"] if n not in self.alarms]
        if missing:
            raise _Fault("ResourceNotFound", f"Alarm(s) not found: {', '.join(missing)}", 404)
        for n in p["AlarmNames"]:
            del self.alarms[n]
        return {}

    def _list_tags_for_resource(self, p: dict[str, Any]) -> dict[str, Any]:
        for a in self.alarms.values():
            if a.arn == p["ResourceARN"]:
                return {"Tags": list(a.tags)}
        raise _Fault("ResourceNotFoundException", f"{p['ResourceARN']} not found", 404)

    def _describe_alarm_history(self, p: dict[str, Any]) -> dict[str, Any]:
        now = self.clock.now()
        lo = _epoch(p["StartDate"]) if "StartDate" in p else -math.inf
        hi = _epoch(p["EndDate"]) if "EndDate" in p else math.inf
        kind = p.get("HistoryItemType", "StateUpdate")
        items = []
        names = [p["AlarmName"]] if "AlarmName" in p else sorted(self.alarms)
        for name in names:
            if kind != "StateUpdate":
                continue
            for t, old, new, reason in self._alarm_rows(name, now):
                if lo <= t <= hi:
                    data = {
                        "version": "1.0",
                        "oldState": {"stateValue": old},
                        "newState": {"stateValue": new, "stateReason": reason},
                    }
                    items.append(
                        {
                            "AlarmName": name,
                            "AlarmType": "MetricAlarm",
                            "Timestamp": _dt(t),
                            "HistoryItemType": "StateUpdate",
                            "HistorySummary": f"Alarm updated from {old} to {new}",
                            "HistoryData": json.dumps(data),
                        }
                    )
        items.sort(key=lambda i: i["Timestamp"], reverse=p.get("ScanBy") != "TimestampAscending")
        return {"AlarmHistoryItems": items}

    # ------------------------------------------------------------------ metrics

    def _points(
        self, metric: str, dims: Mapping[str, str], now: float
    ) -> list[tuple[float, dict[str, Any]]]:
        """Published (epoch timestamp, datapoint row) of one metric and dimension set."""
        ep = self.endpoints.get(dims.get("EndpointName", ""))
        if ep is None or set(dims) - {"EndpointName", "VariantName", "EndpointConfigName"}:
            return []
        out: list[tuple[float, dict[str, Any]]] = []
        for lo, hi, dep in _windows(ep.deployments):
            config = dims.get("EndpointConfigName")
            label = {None: "blended", dep.old_config: "blue", dep.new_config: "green"}.get(config)
            if label is None:
                continue
            cols = dep.record.datapoints
            for i, name in enumerate(cols.get("metric", [])):
                if name != metric or cols["dimensions"][i] != label:
                    continue
                ts = dep.start + float(cols["timestamp"][i])
                published = dep.start + float(cols["published_at"][i])
                if max(lo, ep.ready_at) <= ts < hi and published <= now:
                    out.append((ts, {c: cols[c][i] for c in cols}))
        return sorted(out, key=lambda x: x[0])

    def _get_metric_data(self, p: dict[str, Any]) -> dict[str, Any]:
        now = self.clock.now()
        start, end = _epoch(p["StartTime"]), _epoch(p["EndTime"])
        results = []
        for q in p["MetricDataQueries"]:
            stat = q.get("MetricStat")
            if stat is None:
                results.append(
                    {
                        "Id": q["Id"],
                        "Label": q.get("Label", q["Id"]),
                        "Timestamps": [],
                        "Values": [],
                        "StatusCode": "InternalError",
                        "Messages": [
                            {
                                "Code": "Unsupported",
                                "Value": "the fake AWS evaluates no expressions",
                            }
                        ],
                    }
                )
                continue
            metric = stat["Metric"]
            dims = {d["Name"]: d["Value"] for d in metric.get("Dimensions", [])}
            points = []
            namespace = metric.get("Namespace")
            # the instance metrics are in the simulated record too (when an alarm reads them)
            if namespace == "AWS/SageMaker" or (
                namespace == INSTANCE_NAMESPACE and metric["MetricName"] in INSTANCE_METRICS
            ):
                points = [
                    (ts, row)
                    for ts, row in self._points(metric["MetricName"], dims, now)
                    if start <= ts < end
                ]
            stamps, values = _aggregate(points, int(stat["Period"]), start, str(stat["Stat"]))
            results.append(
                {
                    "Id": q["Id"],
                    "Label": metric["MetricName"],
                    "Timestamps": [_dt(t) for t in stamps],
                    "Values": values,
                    "StatusCode": "Complete",
                }
            )
        return {"MetricDataResults": results, "Messages": []}

    # ------------------------------------------------------------------ invocations

    def _invoke_endpoint(self, p: dict[str, Any]) -> dict[str, Any]:
        name = p["EndpointName"]
        now = self.clock.now()
        self._expire_deleted()
        ep = self.endpoints.get(name)
        status = self._status(ep, now) if ep is not None else None
        if ep is None or status not in ("InService", "Updating", "UpdateRollbackFailed"):
            raise _Fault(
                "ValidationError",
                f"Endpoint {name} of account {FAKE_ACCOUNT} not found."
                if ep is None
                else f"Endpoint {name} is {status}, not in service.",
            )
        truth = self._truth()
        fleet, rel = "blue", -math.inf
        dep = ep.deployments[-1] if ep.deployments else None
        u = self.rng.random(3)
        z = float(self.rng.standard_normal())
        if dep is not None and now >= dep.start:
            rel = now - dep.start
            if rel < dep.end_t:
                fleet = "green" if u[0] < _traffic_at(dep, rel)["green_fraction"] else "blue"
            elif dep.final_config == dep.new_config:
                fleet = "green"
        model = truth.models.green if fleet == "green" else truth.models.blue
        p5, p4, mult, add = _behaviour(model, rel)
        latency = math.exp(
            math.log(model.latency.median_ms)
            + z * (math.log(model.latency.p99_ms / model.latency.median_ms) / Z99)
        )
        latency = latency * mult + add
        variant = "AllTraffic"
        config = self.endpoint_configs.get(ep.config_name)
        if config is not None:
            variant = str(config.params["ProductionVariants"][0].get("VariantName", variant))
        if u[1] < p5 + p4:
            original = 500 if u[1] < p5 else 400
            raise _Fault(
                "ModelError",
                f"Received server error ({original}) from model. See the logs.",
                424,
                OriginalStatusCode=original,
                OriginalMessage="the fake model failed",
                LogStreamArn=f"arn:aws:logs:{self.region}:{FAKE_ACCOUNT}:log-group:/aws/sagemaker/"
                f"Endpoints/{name}",
            )
        return {
            "Body": f"{u[2]:.6f}\n".encode(),
            "ContentType": "text/csv; charset=utf-8",
            "InvokedProductionVariant": variant,
            # guardsim's own tests read the fleet from here (the emulator sends no such header)
            "CustomAttributes": f"fleet={fleet};model_latency_ms={latency:.3f}",
        }

    # ------------------------------------------------------------------ scripted pipelines

    def start_update_elsewhere(self, scenario: Scenario, *, warmup_seconds: float = 600.0) -> str:
        """Do what a team's own pipeline would: create the scenario's models, configs, alarms
        and endpoint under their own names (untagged), wait until it is InService plus
        ``warmup_seconds`` (virtually), and call UpdateEndpoint; the update then runs on the
        fake's clock. Returns the endpoint name."""
        sm, cw = self.client("sagemaker"), self.client("cloudwatch")
        ep = scenario.endpoint
        for config in (ep.blue, ep.green):
            model = str(config.variant.extra.get("ModelName") or f"{config.name}-model")
            if model not in self.models:
                sm.create_model(
                    ModelName=model,
                    ExecutionRoleArn=f"arn:aws:iam::{FAKE_ACCOUNT}:role/pipeline",
                    PrimaryContainer={
                        "Image": f"{FAKE_ACCOUNT}.dkr.ecr.{self.region}.amazonaws.com/m:1"
                    },
                )
            raw = config.to_boto()
            raw["ProductionVariants"] = [
                {**v, "ModelName": model} for v in raw["ProductionVariants"]
            ]
            sm.create_endpoint_config(**raw)
        for alarm in scenario.alarms:
            cw.put_metric_alarm(**alarm.to_boto())
        sm.create_endpoint(EndpointName=ep.name, EndpointConfigName=ep.blue.name)
        with self._lock:
            ready = self.endpoints[ep.name].ready_at
        self.clock.sleep(ready - self.clock.now() + warmup_seconds)
        sm.update_endpoint(
            EndpointName=ep.name,
            EndpointConfigName=ep.green.name,
            DeploymentConfig=scenario.deployment_config.to_boto(),
        )
        return ep.name


# --------------------------------------------------------------------------- helpers


@functools.cache
def _session() -> Any:
    """One botocore session for every fake client (it caches the service models)."""
    import botocore.session

    session = botocore.session.Session()
    # The fake's clients must not pick up a real profile, region or credentials from the
    # environment or ~/.aws: every setting is passed explicitly.
    session.set_config_variable("profile", None)
    return session


def _mentions(alarm: Mapping[str, Any], endpoint: str) -> bool:
    """Whether an alarm's dimensions (or metric-math metrics) name the endpoint."""
    dims = list(alarm.get("Dimensions", []))
    for q in alarm.get("Metrics", []) or []:
        dims += q.get("MetricStat", {}).get("Metric", {}).get("Dimensions", [])
    return any(d.get("Name") == "EndpointName" and d.get("Value") == endpoint for d in dims)


def _windows(deps: list[_Deployment]) -> list[tuple[float, float, _Deployment]]:
    """Each deployment's share of time: from the end of the one before to the next start."""
    out = []
    for i, dep in enumerate(deps):
        lo = deps[i - 1].start + deps[i - 1].end_t if i > 0 else -math.inf
        hi = deps[i + 1].start if i + 1 < len(deps) else math.inf
        out.append((lo, hi, dep))
    return out


def _phase_at(dep: _Deployment, rel: float) -> Phase:
    phase = Phase.IN_SERVICE
    for t, p, _ in dep.timeline:
        if t <= rel:
            phase = p
    return phase


def _traffic_at(dep: _Deployment, rel: float) -> dict[str, Any]:
    row = (
        dep.record.traffic[0]
        if dep.record.traffic
        else {"green_fraction": 0.0, "active_green": 0, "active_blue": 0}
    )
    for r in dep.record.traffic:
        if r["t"] <= rel:
            row = r
    return dict(row)


def _running(dep: _Deployment, fleet: str, rel: float) -> int:
    return sum(
        1
        for i in dep.record.instances
        if i["fleet"] == fleet
        and i["launched_at"] <= rel
        and (i["terminated_at"] is None or i["terminated_at"] > rel)
    )


def _capacity_word(dep: _Deployment, k: int, total: int) -> str:
    if k >= total:
        return "full"
    return {"CANARY": "canary", "LINEAR": "linear step", "ROLLING": "batch"}.get(dep.policy, "full")


def _variant_status(dep: _Deployment, rel: float, green_n: int) -> dict[str, Any] | None:
    """The pending fleet's VariantStatus at ``rel``: the latest phase that has one (a rollback
    decision has none of its own, so the status before it stays)."""
    entry = None
    for i, (t, phase, _) in enumerate(dep.timeline):
        if t > rel:
            break
        if phase.variant_status is not None:
            entry = (i, t, phase)
    if entry is None:
        return None
    i, t, phase = entry
    nxt = dep.timeline[i + 1][0] if i + 1 < len(dep.timeline) else math.inf
    inst = dep.record.instances
    if phase in (Phase.CREATING, Phase.ROLLBACK_CREATING):
        fleet = "green" if phase == Phase.CREATING else "blue"
        n = sum(1 for x in inst if x["fleet"] == fleet and abs(x["launched_at"] - t) < 1e-6)
        message = f"Launching {n or green_n} instance(s)."
    elif phase == Phase.ACTIVATING_TRAFFIC:
        k = next((r["active_green"] for r in dep.record.traffic if r["t"] > t), green_n)
        message = (
            f"Activating traffic on {_capacity_word(dep, k, green_n)} capacity of {k} instance(s)."
        )
    elif phase == Phase.BAKING:
        k = _traffic_at(dep, t)["active_green"]
        message = (
            f"Baking for {dep.wait_seconds} seconds (WaitIntervalInSeconds) with traffic "
            f"enabled on {_capacity_word(dep, k, green_n)} capacity of {k} instance(s)."
        )
    elif phase == Phase.FINAL_BAKE:
        message = (
            f"Baking for {dep.termination_wait_seconds} seconds (TerminationWaitInSeconds) "
            f"with traffic enabled on full capacity of {green_n} instance(s)."
        )
    else:  # Deleting / RollbackDeleting
        fleet = "green" if phase == Phase.ROLLBACK_DELETING else "blue"
        n = sum(
            1
            for x in inst
            if x["fleet"] == fleet
            and x["terminated_at"] is not None
            and t <= x["terminated_at"] <= nxt + 1e-6
        )
        message = f"Terminating {n or green_n} instance(s)."
    return {
        "Status": phase.variant_status,
        "StatusMessage": message,
        "StartTime": _dt(dep.start + t),
    }


@functools.lru_cache(maxsize=64)
def _fleet_faults(model: ModelBehaviour) -> FleetFaults:
    return FleetFaults(model, "models")


def _behaviour(model: ModelBehaviour, rel: float) -> tuple[float, float, float, float]:
    """(p5xx, p4xx, latency multiplier, latency added ms) at ``rel`` s after UpdateEndpoint.

    The fold of :mod:`guardsim.model.faults` for an idle (utilisation 0), warm instance: the
    fake does not follow single invocations' load or instance (see the module's departures).
    """
    b = _fleet_faults(model).behaviour(rel, 0.0, math.inf)
    return float(b.p5), float(b.p4), float(b.mult), float(b.add_ms)


#: Basic statistics by their GetMetricData name.
_BASIC = {kind.value: kind for kind in BASIC_STATISTICS}


def _aggregate(
    points: list[tuple[float, dict[str, Any]]], period: int, start: float, stat: str
) -> tuple[list[float], list[float]]:
    """One value per period from per-minute datapoints.

    The basic statistics are exact: the minutes' statistic sets merged, as CloudWatch
    aggregates them (:func:`~guardsim.cloudwatch.statistics.basic_of_sets`). ``p50`` and ``p99``
    of a period longer than a minute are the sample-weighted means of the minutes' percentiles:
    the fake's approximation (the per-minute rows keep no raw values; CloudWatch itself would
    take the order statistic of the period's samples)."""
    buckets: dict[float, list[dict[str, Any]]] = {}
    for ts, row in points:
        key = ts if period <= 60 else start + math.floor((ts - start) / period) * period
        buckets.setdefault(key, []).append(row)
    stamps, values = [], []
    for key in sorted(buckets):
        rows = buckets[key]
        value: float | None
        if stat in _BASIC:
            sets = [(r["sample_count"], r["sum"], r["minimum"], r["maximum"]) for r in rows]
            value = basic_of_sets(_BASIC[stat], sets)
        elif stat in ("p50", "p99"):
            col = stat
            known = [(r[col], r["sample_count"]) for r in rows if r.get(col) is not None]
            weight = sum(w for _, w in known)
            value = sum(v * w for v, w in known) / weight if weight else None
        else:
            value = None  # other statistics: no data, as CloudWatch for one it cannot compute
        if value is not None:
            stamps.append(key)
            values.append(float(value))
    return stamps, values


__all__ = [
    "FAKE_ACCESS_KEY_ID",
    "FAKE_SECRET_ACCESS_KEY",
    "FakeAWS",
    "FakeCall",
    "FakeClock",
    "FakeFaults",
]
