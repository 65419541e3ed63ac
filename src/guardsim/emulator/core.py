"""The emulator: SageMaker, SageMaker Runtime and CloudWatch answered from guardsim's model.

:class:`Emulator` takes one HTTP request at a time (:meth:`Emulator.respond`: the service, the
method, URL, headers and body botocore sent) and returns the HTTP response AWS would give, in
the service's wire protocol (:mod:`guardsim.emulator.wire`, whose every successful
response is first checked against botocore's output shape). ``guardsim.testing.mock_aws`` (in
process), :class:`~guardsim.emulator.clients.EmulatedAWS` (botocore clients answered by it, for
tests that pass clients around) and ``guardsim serve`` (HTTP) are thin layers over it.

What happens is what the client does:

* **Models** keep the behaviour the world gives them when they are created (the first
  ``models`` rule that matches, :mod:`.world`), so a bad model stays bad and a good one good.
* **Endpoints** are Creating for the world's ``environment.provisioning_seconds`` (the slowest
  of the fleet's instances), then InService. ``UpdateEndpoint`` starts the simulator's own
  deployment controller (:mod:`.deployment`) on the endpoint's current and new configuration,
  with the DeploymentConfig given, or with ``RetainDeploymentConfig=True`` the last one the
  endpoint used (https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_UpdateEndpoint.html).
* **Traffic** is the client's ``InvokeEndpoint`` calls, each routed to a fleet by the current
  traffic split and answered with that fleet's model behaviour (:mod:`guardsim.model.faults`,
  lognormal latency of :mod:`guardsim.model.latency`), plus the world's optional background
  traffic (:mod:`guardsim.model.traffic`). Every request is counted in SageMaker's invocation
  metrics (:mod:`guardsim.model.metrics`), under ``EndpointName, VariantName`` and with the
  fleet's ``EndpointConfigName``.
* **Alarms** are evaluated by guardsim's CloudWatch library on those metrics on CloudWatch's
  schedule from their creation (:mod:`.alarms`); the controller reads them as SageMaker does.

**Faults** for tests (:mod:`.faults`): throttled or refused sends, a Ctrl-C at a given send, an
endpoint that fails at creation or during an update, a rollback that fails.

Time is the :class:`~guardsim.emulator.clock.Clock`'s: before answering a request the emulator
runs its SimPy environment (the controllers, the alarm clock) up to the clock's now.

An endpoint config may have several **production variants**: each is its own fleet with its
own model, gets weight / sum of the weights of the requests (or the requests whose
``TargetVariant`` names it), publishes its metrics under its ``VariantName``, and is updated by
the one controller as the simulator's engines do (:mod:`.deployment`).

Departures from AWS (each the emulator's choice where AWS does not say): an invocation's
latency is not slept and load (utilisation) faults do not apply to it; a new weight from
UpdateEndpointWeightsAndCapacities takes effect at once; a deleted endpoint is Deleting for
``environment.termination_seconds``; the emulator rejects an UpdateEndpoint naming rollback
alarms that do not exist; ``FailureReason``, ``StatusMessage`` and an unknown TargetVariant's
error are worded by guardsim (AWS's wording is undocumented).
"""

from __future__ import annotations

import functools
import hashlib
import json
import math
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import numpy as np
import simpy
from simpy.events import URGENT

from guardsim.cloudwatch.anomaly import band_spec, is_anomaly_alarm
from guardsim.cloudwatch.composite import evaluation_order, parse_rule
from guardsim.cloudwatch.statistics import parse_statistic
from guardsim.deployment.machine import Phase, Transition, Trigger
from guardsim.emulator.alarms import (
    LiveAlarm,
    LiveComposite,
    make_alarm,
    make_composite,
    reevaluate_composites,
)
from guardsim.emulator.clock import Clock
from guardsim.emulator.components import InferenceComponents, LiveComponent
from guardsim.emulator.deployment import AlarmsByName, LiveRun, deployment_scenario
from guardsim.emulator.faults import DENIED_CODE, THROTTLE_CODE, InjectedFaults
from guardsim.emulator.instance_metrics import InstanceMetricFeed, custom_key, request_sample
from guardsim.emulator.metrics import MINUTE, MetricStore, SeriesKey, series_key, value_of
from guardsim.emulator.records import Served
from guardsim.emulator.setup_time import PublishedSetupTimes
from guardsim.emulator.world import World
from guardsim.errors import AlarmError, GuardsimError
from guardsim.model.anomaly import anomaly_band
from guardsim.model.faults import FleetFaults
from guardsim.model.history import played_from_start
from guardsim.model.latency import lognormal_params
from guardsim.model.metrics import NAMESPACE, UNITS
from guardsim.model.setup_time import publishes
from guardsim.model.traffic import expected
from guardsim.scenarios.models import ModelBehaviour
from guardsim.scenarios.traffic import Traffic

#: The services the emulator answers, by botocore service name.
SERVICES = ("sagemaker", "sagemaker-runtime", "cloudwatch")
ACCOUNT = "123456789012"
#: Where a rollback restores the old fleet's traffic: an injected rollback failure strikes there.
_RESTORING = (Phase.ROLLBACK_CREATING, Phase.ROLLBACK_DELETING)
#: The alarm clock's tick (s): the finest CloudWatch evaluation interval (high resolution).
TICK = 10.0


@dataclass(frozen=True)
class Event:
    """Something the emulation did: a deployment phase transition or an alarm state change.

    ``time`` is the emulated epoch time; ``kind`` is ``"phase"`` or ``"alarm"``; ``text`` says
    what happened, e.g. ``"Baking: Traffic enabled on canary capacity of 1 instance(s) ..."``."""

    time: float
    endpoint: str
    kind: str
    text: str


@dataclass(frozen=True)
class Call:
    """One request the emulator answered (kept when ``keep_calls`` is set): when (emulated
    time), what, and how it ended (``"ok"``, the error code returned, or
    ``"KeyboardInterrupt"``)."""

    service: str
    operation: str
    at: float
    params: Mapping[str, Any]
    result: str


def service_for(headers: Mapping[str, str | bytes], url: str, body: bytes = b"") -> str | None:
    """Which service a request is for, from what botocore puts on the wire: the JSON protocols'
    ``X-Amz-Target`` (``SageMaker.``, ``GraniteServiceVersion20100801.``), the CBOR protocol's
    path (``/service/GraniteServiceVersion20100801/operation/...``), SageMaker Runtime's REST
    path (``/endpoints/NAME/invocations``), CloudWatch's query protocol (a form body with
    ``Version=2010-08-01``); ``None`` if it is none of the three."""
    lower = {k.lower(): _text(v) for k, v in headers.items()}
    target = lower.get("x-amz-target", "")
    prefix = target.split(".", 1)[0]
    if prefix == "SageMaker":
        return "sagemaker"
    if prefix == "GraniteServiceVersion20100801":
        return "cloudwatch"
    path = urlsplit(url).path
    parts = path.strip("/").split("/")
    if len(parts) >= 2 and parts[0] == "service":
        return {"GraniteServiceVersion20100801": "cloudwatch", "SageMaker": "sagemaker"}.get(
            parts[1]
        )
    if (
        len(parts) == 3
        and parts[0] == "endpoints"
        and parts[2]
        in (
            "invocations",
            "async-invocations",
            "invocations-response-stream",
        )
    ):
        return "sagemaker-runtime"
    if _is_cloudwatch_query(bytes(body)):
        return "cloudwatch"
    return None


def _is_cloudwatch_query(body: bytes) -> bool:
    """A query-protocol request of CloudWatch's API version (the only query service here)."""
    from urllib.parse import parse_qs

    if not body.startswith(b"Action=") and b"&Action=" not in body:
        return False
    try:
        form = parse_qs(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return False
    return form.get("Version") == ["2010-08-01"]


@functools.cache
def service_model(service: str) -> Any:
    """botocore's model of one service (cached: loading it costs tens of milliseconds)."""
    import botocore.session

    return botocore.session.get_session().get_service_model(service)


@dataclass
class _Request:
    """What :func:`~guardsim.emulator.wire.read_request` reads (a botocore
    ``AWSPreparedRequest`` has the same three attributes)."""

    url: str
    headers: Mapping[str, Any]
    body: bytes


#: The background traffic an emulated anomaly band is computed at: its mean rate over this many
#: seconds of the traffic's own clock (the band's "history"; a constant rate is the same at any
#: length).
_BAND_TRAFFIC_SECONDS = 3600.0


#: GetMetricStatistics answers at most this many datapoints per call (its API reference).
MAX_STATISTICS_DATAPOINTS = 1440


class ApiError(Exception):
    """An AWS error response: code, message, HTTP status and extra fields."""

    def __init__(self, code: str, message: str, status: int = 400, **extra: Any) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status
        self.extra = extra


def _validation(message: str) -> ApiError:
    return ApiError("ValidationException", message)


@dataclass
class _Resource:
    name: str
    arn: str
    params: dict[str, Any]
    created_at: float
    tags: list[dict[str, str]]


@dataclass
class _Model(_Resource):
    behaviour: ModelBehaviour = field(default_factory=ModelBehaviour)
    faults: FleetFaults | None = None


@dataclass
class _Update(Served):
    """One UpdateEndpoint: its configs, the controller's run and the result."""

    number: int
    start: float
    old_config: str
    new_config: str
    deployment_config: dict[str, Any]
    run: LiveRun


@dataclass
class _Endpoint(_Resource):
    config_name: str = ""
    status: str = "Creating"
    ready_at: float = math.inf
    last_modified: float = 0.0
    failure_reason: str | None = None
    deleting_since: float | None = None
    last_deployment_config: dict[str, Any] | None = None
    updates: list[_Update] = field(default_factory=list)
    #: the time faults and background traffic count from (the last UpdateEndpoint, else
    #: when the endpoint came into service)
    origin: float = 0.0
    traffic: Traffic | None = None
    traffic_until: float = 0.0
    traffic_origin: float = 0.0

    @property
    def current(self) -> _Update | None:
        if self.updates and not self.updates[-1].run.finished:
            return self.updates[-1]
        return None


def _dt(t: float) -> datetime:
    return datetime.fromtimestamp(t, UTC)


def _epoch(value: Any) -> float:
    if isinstance(value, datetime):
        return value.timestamp()
    return float(value)


def _text(value: str | bytes) -> str:
    return value.decode("latin-1") if isinstance(value, bytes) else str(value)


def _dims(items: Any) -> dict[str, str]:
    return {str(d["Name"]): str(d["Value"]) for d in items or []}


class Emulator:
    """An emulated AWS account's SageMaker, SageMaker Runtime and CloudWatch (see the module
    doc). ``on_event`` is called with every :class:`Event` as the emulation reaches it;
    ``records_dir``, when set, receives one run record per UpdateEndpoint; ``faults`` are the
    faults to inject (:mod:`.faults`); with ``keep_calls``, :attr:`calls` lists every request
    answered.

    The emulation moves when asked: every request first runs it up to the clock's now
    (:meth:`advance`). On a real-time clock (:class:`~guardsim.emulator.clock.ScaledClock`), a
    server that wants events as they happen, between requests too, calls :meth:`advance` every
    so often (thread-safe: one lock serialises requests and advances)."""

    def __init__(
        self,
        world: World,
        clock: Clock,
        *,
        on_event: Callable[[Event], None] | None = None,
        records_dir: Path | None = None,
        region: str = "us-east-1",
        faults: InjectedFaults | None = None,
        keep_calls: bool = False,
    ) -> None:
        self.world = world
        self.faults = faults or InjectedFaults()
        self.keep_calls = keep_calls
        self.calls: list[Call] = []
        self._sends: dict[str, int] = {}
        #: every UpdateEndpoint so far, with its endpoint (kept when the endpoint is deleted)
        self._update_log: list[tuple[_Endpoint, _Update]] = []
        # every rule's faults compiled once: a fault kind no kernel implements is refused here,
        # naming the rule, rather than at the first request
        self._rule_faults = {
            id(rule.behaviour): FleetFaults(
                rule.behaviour,
                f"models[{i}].behaviour",
                played_from_start(rule.behaviour, f"models[{i}].behaviour"),
            )
            for i, rule in enumerate(world.models)
        }
        self.clock = clock
        self.on_event = on_event
        self.records_dir = Path(records_dir) if records_dir is not None else None
        self.region = region
        self.events: list[Event] = []
        self._lock = threading.RLock()
        seq = np.random.SeedSequence(world.seed)
        control, traffic, invoke = seq.spawn(3)
        self._seed = world.seed
        self.rng_control = np.random.default_rng(control)
        self.rng_traffic = np.random.default_rng(traffic)
        self.rng_invoke = np.random.default_rng(invoke)
        self.models: dict[str, _Model] = {}
        self.endpoint_configs: dict[str, _Resource] = {}
        self.endpoints: dict[str, _Endpoint] = {}
        self.alarms: dict[str, LiveAlarm | LiveComposite] = {}
        self.metrics = MetricStore(self._publish_delay)
        # instance metrics from the load model (guardsim.emulator.instance_metrics)
        self.instance_metrics = InstanceMetricFeed(world.seed)
        self.env = simpy.Environment(initial_time=clock.now())
        self.env.process(self._alarm_clock())
        self._handlers: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
            # SageMaker
            "CreateModel": self._create_model,
            "DescribeModel": self._describe_model,
            "DeleteModel": self._delete_model,
            "ListModels": self._list_models,
            "CreateEndpointConfig": self._create_endpoint_config,
            "DescribeEndpointConfig": self._describe_endpoint_config,
            "DeleteEndpointConfig": self._delete_endpoint_config,
            "ListEndpointConfigs": self._list_endpoint_configs,
            "CreateEndpoint": self._create_endpoint,
            "DescribeEndpoint": self._describe_endpoint,
            "UpdateEndpoint": self._update_endpoint,
            "UpdateEndpointWeightsAndCapacities": self._update_weights,
            "DeleteEndpoint": self._delete_endpoint,
            "ListEndpoints": self._list_endpoints,
            "AddTags": self._add_tags,
            "DeleteTags": self._delete_tags,
            "ListTags": self._list_tags,
            # SageMaker Runtime
            "InvokeEndpoint": self._invoke_endpoint,
            # CloudWatch
            "PutMetricAlarm": self._put_metric_alarm,
            "PutCompositeAlarm": self._put_composite_alarm,  # h5: composite alarms
            "DescribeAlarms": self._describe_alarms,
            "DescribeAlarmsForMetric": self._describe_alarms_for_metric,
            "DeleteAlarms": self._delete_alarms,
            "DescribeAlarmHistory": self._describe_alarm_history,
            "SetAlarmState": self._set_alarm_state,
            "GetMetricStatistics": self._get_metric_statistics,
            "GetMetricData": self._get_metric_data,
            "ListMetrics": self._list_metrics,
            "PutMetricData": self._put_metric_data,
            "ListTagsForResource": self._list_tags_for_resource,
            "TagResource": self._tag_resource,
            "UntagResource": self._untag_resource,
        }
        # inference components (guardsim.emulator.components)
        self.components = InferenceComponents(self)
        self._handlers.update(self.components.handlers())

    # ================================================================== requests

    def respond(
        self, service: str, method: str, url: str, headers: Mapping[str, Any], body: bytes
    ) -> tuple[int, dict[str, str], bytes]:
        """The HTTP response (status, headers, body) to one request for ``service``."""
        from guardsim.emulator.wire import error_response, read_request, request_protocol

        if service not in SERVICES:
            raise ValueError(f"the emulator does not answer {service!r}")
        model = service_model(service)
        request = _Request(url, headers, body)
        protocol = request_protocol(model, headers, url, body)
        try:
            wire = read_request(request, model, protocol)
            if wire.operation not in model.operation_names:
                raise ApiError(
                    "UnknownOperationException" if service != "cloudwatch" else "InvalidAction",
                    f"The action or operation requested ({wire.operation or '?'}) is invalid. "
                    "Verify that the action is typed correctly.",
                )
        except ApiError as exc:
            return _unpack(
                error_response(request, model, exc.code, exc.message, exc.status, None, protocol)
            )
        except Exception:  # any request that cannot be read is the client's error
            code = "SerializationException"
            message = "The request body could not be parsed."
            return _unpack(error_response(request, model, code, message, 400, None, protocol))
        return _unpack(self._answer(service, model, request, wire.operation, wire.params, protocol))

    def _injected(self, service: str, operation: str, params: Any) -> ApiError | None:
        """The fault injected into this send of ``operation``, if any (see :mod:`.faults`);
        a Ctrl-C is raised."""
        n = self._sends[operation] = self._sends.get(operation, 0) + 1
        faults = self.faults
        if faults.interrupt_call == (operation, n):
            self._log(service, operation, params, "KeyboardInterrupt")
            raise KeyboardInterrupt
        if faults.fail_call == (operation, n):
            code = DENIED_CODE.get(service, "AccessDeniedException")
            return ApiError(code, f"injected fault: send {n} of {operation} is not authorized")
        if n <= faults.throttle.get(operation, 0):
            return ApiError(THROTTLE_CODE.get(service, "ThrottlingException"), "Rate exceeded")
        return None

    def _log(self, service: str, operation: str, params: Any, result: str) -> None:
        if self.keep_calls:
            self.calls.append(Call(service, operation, self.now(), params, result))

    def _answer(
        self,
        service: str,
        model: Any,
        request: Any,
        operation: str,
        params: dict[str, Any],
        protocol: str,
    ) -> Any:
        from guardsim.emulator.wire import error_response, success_response

        handler = self._handlers.get(operation)
        with self._lock:
            self.advance()
            try:
                injected = self._injected(service, operation, params)
                if injected is not None:
                    raise injected
                if handler is None:
                    raise ApiError(
                        "InvalidAction" if service == "cloudwatch" else "UnknownOperationException",
                        f"The emulator does not implement {operation}.",
                    )
                params = _check_input(model, operation, params)
                try:
                    result = handler(params)
                except (KeyError, TypeError, ValueError, AttributeError, IndexError):
                    # a member of the wrong type or shape (botocore validates what it sends;
                    # a raw HTTP client may not): the client's error, in AWS's words
                    raise ApiError(
                        "InvalidParameterValue"
                        if service == "cloudwatch"
                        else "ValidationException",
                        f"1 validation error detected: the {operation} request has a member of "
                        "the wrong type or shape",
                    ) from None
            except ApiError as exc:
                self._log(service, operation, params, exc.code)
                return error_response(
                    request, model, exc.code, exc.message, exc.status, exc.extra, protocol
                )
            self._log(service, operation, params, "ok")
            return success_response(request, model, operation, result, protocol)

    def call(self, operation: str, params: Mapping[str, Any]) -> dict[str, Any]:
        """Answer one operation from plain parameters (no wire format), for Python callers;
        raises :class:`ApiError` as the HTTP layer would answer."""
        with self._lock:
            self.advance()
            return self._handlers[operation](dict(params))

    def update_records(self) -> list[Any]:
        """The run record of every UpdateEndpoint so far, in order (the emulator's own account
        of what it did: what ``records_dir`` receives, for the finished ones)."""
        from guardsim.emulator.records import build_record

        with self._lock:
            self.advance()
            return [build_record(self, ep, up) for ep, up in self._update_log]

    def component_update_records(self) -> list[Any]:
        """The run record of every UpdateInferenceComponent so far, in order (what
        ``records_dir`` receives for the finished ones)."""
        from guardsim.emulator.records import build_component_record

        with self._lock:
            self.advance()
            return [build_component_record(self, c, up) for c, up in self.components.log]

    # ================================================================== time

    def advance(self) -> None:
        """Run the emulation up to the clock's now (the controllers, the alarm clock)."""
        with self._lock:
            now = self.clock.now()
            if now > self.env.now:
                self.env.run(until=now)
            # and what happens at exactly now (run(until) stops before it): a request at the
            # instant provisioning ends sees the endpoint InService
            while self.env.peek() <= now:
                self.env.step()
            for ep in self.endpoints.values():
                self._flush(ep, self.env.now)
            self._expire_deleted()

    def now(self) -> float:
        return float(self.env.now)

    def _publish_delay(self, minute: float) -> float:
        """The publish delay of one minute: drawn from its own stream (keyed by the minute), so
        it does not depend on when someone first asks."""
        rng = np.random.default_rng([self._seed, 7, int(minute // MINUTE)])
        dist = self.world.environment.metric_publish_delay_seconds
        return float(dist.sample(rng, 1)[0])

    def _alarm_clock(self) -> Any:
        """CloudWatch's side: at every tick, the background traffic up to now, then every alarm
        due (at URGENT priority, so alarms are evaluated before SageMaker polls them at the
        same instant, as in the simulator)."""
        env = self.env
        offset = self.world.environment.alarm_evaluation_offset_seconds
        first = math.floor((env.now - offset) / TICK) * TICK + offset + TICK
        yield self._urgent(first - env.now)
        while True:
            t = env.now
            for ep in self.endpoints.values():
                self._flush(ep, t)
            self.components.flush(t)  # inference components' own background traffic
            changed: set[str] = set()
            self.instance_metrics.flush(t, self.metrics)  # the minutes that have ended
            for alarm in list(self.alarms.values()):
                if isinstance(alarm, LiveComposite):  # re-evaluated below, on a child's change
                    continue
                interval = alarm.interval
                k = round((t - offset) / interval)
                if abs(t - offset - k * interval) > 1e-6 or t <= alarm.created_at:
                    continue
                change = alarm.evaluate(t, self.metrics)
                if change is not None:
                    changed.add(alarm.name)
                    self._emit(
                        t,
                        _dims(alarm.params.get("Dimensions")).get("EndpointName", ""),
                        "alarm",
                        f"alarm {alarm.name!r} {change[0]} -> {change[1]}: {alarm.reason}",
                    )
            if changed:
                self._composites_changed(t, changed)
            nxt = math.floor((t - offset) / TICK + 0.5) * TICK + offset + TICK
            yield self._urgent(nxt - t)

    def _composites_changed(self, t: float, changed: set[str]) -> None:
        """Re-evaluate the composite alarms after metric alarms changed at ``t``."""
        rules = {n: a.rule.children for n, a in self.alarms.items() if isinstance(a, LiveComposite)}
        if not rules:
            return
        for c, old, new in reevaluate_composites(self.alarms, evaluation_order(rules), changed, t):
            self._emit(t, "", "alarm", f"alarm {c.name!r} {old} -> {new}: {c.reason}")

    def _urgent(self, delay: float) -> simpy.Event:
        """A timeout at URGENT priority (as the simulator's CloudWatch clock has it)."""
        event = simpy.Event(self.env)
        event._ok = True
        event._value = None
        self.env.schedule(event, URGENT, delay)
        return event

    def _emit(self, t: float, endpoint: str, kind: str, text: str) -> None:
        event = Event(t, endpoint, kind, text)
        self.events.append(event)
        if self.on_event is not None:
            self.on_event(event)

    # ================================================================== traffic

    def _flush(self, ep: _Endpoint, t: float) -> None:
        """The endpoint's background traffic from where it stopped up to ``t``."""
        if ep.traffic is None or t <= ep.traffic_until:
            return
        t0 = max(ep.traffic_until, ep.ready_at)
        ep.traffic_until = t
        if t0 >= t or ep.status not in ("InService", "Updating"):
            return
        o = ep.traffic_origin
        mean = float(expected(ep.traffic, t0 - o, t - o))
        rng = self.rng_traffic
        n = int(rng.poisson(mean)) if ep.traffic.arrivals == "poisson" else round(mean)
        for s in np.sort(rng.uniform(t0, t, n)):
            self._serve(ep, float(s), rng)

    def _fleet_of(
        self, ep: _Endpoint, u: float, v: float, target: str | None
    ) -> tuple[str, str, LiveRun | None, dict[str, Any]]:
        """(fleet, endpoint config, the variant's run, the variant) serving a request: the
        production variant ``target`` names, else one drawn by weight (``v``: each variant gets
        weight / sum of the weights of the requests,
        https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_ProductionVariant.html),
        then during an update that variant's old or new fleet by its traffic split (``u``);
        ``u`` and ``v`` are uniform in [0, 1)."""
        up = ep.current
        if up is None:
            config = self.endpoint_configs.get(ep.config_name)
            variants = _variants(config.params if config else {})
            if target is not None:
                chosen = next(x for x in variants if x.get("VariantName") == target)
            else:
                chosen = variants[_weighted(_config_shares(variants), v)]
            return "blue", ep.config_name, None, chosen
        run = up.run
        lane = run.lane(target) if target is not None else None
        if lane is None:
            lane = run.lanes[_weighted([r.share for r in run.lanes], v)]
        fleet, config_name = (
            ("green", up.new_config) if u < lane.routing.green_fraction else ("blue", up.old_config)
        )
        config = self.endpoint_configs.get(config_name)
        variants = _variants(config.params if config else {})
        same = [x for x in variants if x.get("VariantName") == lane.variant_name]
        return fleet, config_name, lane, same[0] if same else variants[0]

    def _serve(
        self,
        ep: _Endpoint,
        t: float,
        rng: np.random.Generator,
        component: LiveComponent | None = None,
        target: str | None = None,
    ) -> tuple[int, str, str]:
        """One request at ``t``: (status 200/4xx/5xx, variant name, fleet), counted in the
        metrics; sent to the production variant ``target`` (InvokeEndpoint's TargetVariant),
        else to one drawn by weight; with ``component``, served by its copies (old or new model
        by the update's split) and published under ``InferenceComponentName``."""
        u = rng.random(4)
        z = rng.standard_normal(2)
        if component is None:
            fleet, config_name, run, variant = self._fleet_of(ep, float(u[0]), float(u[2]), target)
        else:
            fleet, model_name, run = component.fleet_of(float(u[0]))
            config_name = ep.config_name
            config = self.endpoint_configs.get(config_name)
            variant = {**_variant(config.params if config else {}), "ModelName": model_name}
        model = self.models.get(str(variant.get("ModelName", "")))
        behaviour = model.behaviour if model else ModelBehaviour()
        faults = model.faults if model and model.faults else FleetFaults(behaviour)
        age = math.inf
        active = 1
        if run is not None:
            inst = run.pick(fleet, float(u[3]))
            if inst is not None:
                age = t - inst.ready_at
            active = max(1, run.routing.active_blue + run.routing.active_green)
            own = run.routing.active_green if fleet == "green" else run.routing.active_blue
        else:
            age = t - ep.ready_at
            active = own = max(1, int(variant.get("InitialInstanceCount", 1)))
        origin = ep.origin if component is None else component.origin
        # a recording plays from when the endpoint came into service (world.py)
        b = faults.behaviour(t - origin, 0.0, age, t - ep.ready_at)
        p5, p4, mult, add = float(b.p5), float(b.p4), float(b.mult), float(b.add_ms)
        status = 500 if u[1] < p5 else 400 if u[1] < p5 + p4 else 200
        mu, sigma = lognormal_params(behaviour.latency.median_ms, behaviour.latency.p99_ms)
        model_ms = math.exp(mu + sigma * float(z[0])) * mult + add
        mu2, sigma2 = lognormal_params(
            behaviour.overhead_latency.median_ms, behaviour.overhead_latency.p99_ms
        )
        overhead_ms = math.exp(mu2 + sigma2 * float(z[1]))
        name = str(variant.get("VariantName", "AllTraffic"))
        values = {
            "Invocations": 1.0,
            "Invocation4XXErrors": float(status == 400),
            "Invocation5XXErrors": float(status == 500),
            "InvocationModelErrors": float(status != 200),
            "ModelLatency": model_ms * 1000.0,  # microseconds
            "OverheadLatency": overhead_ms * 1000.0,
            "InvocationsPerInstance": 1.0 / active,
        }
        if component is not None:
            # an inference component's invocation metrics carry its name
            # (https://docs.aws.amazon.com/sagemaker/latest/dg/monitoring-cloudwatch.html), and
            # count in the endpoint-wide series with every other component's, as the engines
            # bind it (guardsim.cloudwatch.binding)
            for dims in (
                {"InferenceComponentName": component.name},
                {"EndpointName": ep.name, "VariantName": name},
            ):
                for metric, value in values.items():
                    self.metrics.add(series_key(NAMESPACE, metric, dims), t, value, UNITS[metric])
            component.served(fleet, status)
            return status, name, fleet
        dim_sets = [{"EndpointName": ep.name, "VariantName": name}]
        if run is not None or self.world.environment.per_config_metrics_for_blue:
            dim_sets.append(
                {"EndpointName": ep.name, "VariantName": name, "EndpointConfigName": config_name}
            )
        for dims in dim_sets:
            for metric, value in values.items():
                self.metrics.add(series_key(NAMESPACE, metric, dims), t, value, UNITS[metric])
        self.instance_metrics.served(
            t,
            dim_sets,
            config_name,
            values["ModelLatency"],
            own,
            str(variant.get("InstanceType", "")),
            behaviour.instance_metrics,
            behaviour.custom_metrics,
        )
        for custom in behaviour.custom_metrics:  # the model's own PutMetricData, per request
            if custom.per == "request":
                sample = request_sample(custom, status, model_ms)
                self.metrics.add(custom_key(custom), t, sample, custom.unit)
        up = ep.current
        if up is not None:
            if fleet == "green":
                up.green_requests += 1
                up.green_errors += status != 200
            up.user_errors += status != 200
        return status, name, fleet

    # ================================================================== ARNs and names

    def _arn(self, kind: str, name: str) -> str:
        return f"arn:aws:sagemaker:{self.region}:{ACCOUNT}:{kind}/{name.lower()}"

    def _alarm_arn(self, name: str) -> str:
        return f"arn:aws:cloudwatch:{self.region}:{ACCOUNT}:alarm:{name}"

    # ================================================================== models

    def _create_model(self, p: dict[str, Any]) -> dict[str, Any]:
        name = p["ModelName"]
        arn = self._arn("model", name)
        if name in self.models:
            raise _validation(f'Cannot create already existing model "{arn}".')
        if not p.get("PrimaryContainer") and not p.get("Containers"):
            raise _validation("Either PrimaryContainer or Containers must be specified.")
        params = {k: v for k, v in p.items() if k != "Tags"}
        behaviour = self.world.behaviour_of(params)
        self.models[name] = _Model(
            name,
            arn,
            params,
            self.now(),
            list(p.get("Tags", [])),
            behaviour=behaviour,
            faults=self._faults_of(behaviour),
        )
        return {"ModelArn": arn}

    def _faults_of(self, behaviour: ModelBehaviour) -> FleetFaults:
        return self._rule_faults.get(id(behaviour)) or FleetFaults(behaviour)

    def _model(self, name: str) -> _Model:
        if name not in self.models:
            raise _validation(f'Could not find model "{self._arn("model", name)}".')
        return self.models[name]

    def _describe_model(self, p: dict[str, Any]) -> dict[str, Any]:
        m = self._model(p["ModelName"])
        out: dict[str, Any] = {
            "ModelName": m.name,
            "ModelArn": m.arn,
            "CreationTime": _dt(m.created_at),
        }
        for key in (
            "ExecutionRoleArn",
            "PrimaryContainer",
            "Containers",
            "InferenceExecutionConfig",
            "VpcConfig",
            "EnableNetworkIsolation",
        ):
            if key in m.params:
                out[key] = m.params[key]
        return out

    def _delete_model(self, p: dict[str, Any]) -> dict[str, Any]:
        self._model(p["ModelName"])
        del self.models[p["ModelName"]]
        return {}

    def _list_models(self, p: dict[str, Any]) -> dict[str, Any]:
        return _list_response(
            list(self.models.values()),
            p,
            "Models",
            lambda r: {"ModelName": r.name, "ModelArn": r.arn},
        )

    # ================================================================== endpoint configs

    def _create_endpoint_config(self, p: dict[str, Any]) -> dict[str, Any]:
        name = p["EndpointConfigName"]
        arn = self._arn("endpoint-config", name)
        if name in self.endpoint_configs:
            raise _validation(f'Cannot create already existing endpoint configuration "{arn}".')
        names = [str(v.get("VariantName")) for v in p.get("ProductionVariants", [])]
        twice = sorted({n for n in names if names.count(n) > 1})
        if twice:
            raise _validation(
                f"ProductionVariants: the variant name(s) {', '.join(twice)} appear more than "
                "once; each VariantName must be unique in the endpoint configuration"
            )
        for variant in p.get("ProductionVariants", []):
            if "ModelName" in variant:
                self._model(variant["ModelName"])
        params = {k: v for k, v in p.items() if k != "Tags"}
        self.endpoint_configs[name] = _Resource(
            name, arn, params, self.now(), list(p.get("Tags", []))
        )
        return {"EndpointConfigArn": arn}

    def _config(self, name: str) -> _Resource:
        if name not in self.endpoint_configs:
            arn = self._arn("endpoint-config", name)
            raise _validation(f'Could not find endpoint configuration "{arn}".')
        return self.endpoint_configs[name]

    def _describe_endpoint_config(self, p: dict[str, Any]) -> dict[str, Any]:
        c = self._config(p["EndpointConfigName"])
        out = {
            "EndpointConfigName": c.name,
            "EndpointConfigArn": c.arn,
            "ProductionVariants": c.params["ProductionVariants"],
            "CreationTime": _dt(c.created_at),
        }
        for key in ("DataCaptureConfig", "KmsKeyId", "AsyncInferenceConfig"):
            if key in c.params:
                out[key] = c.params[key]
        return out

    def _delete_endpoint_config(self, p: dict[str, Any]) -> dict[str, Any]:
        self._config(p["EndpointConfigName"])
        del self.endpoint_configs[p["EndpointConfigName"]]
        return {}

    def _list_endpoint_configs(self, p: dict[str, Any]) -> dict[str, Any]:
        return _list_response(
            list(self.endpoint_configs.values()),
            p,
            "EndpointConfigs",
            lambda r: {"EndpointConfigName": r.name, "EndpointConfigArn": r.arn},
        )

    # ================================================================== endpoints

    def _create_endpoint(self, p: dict[str, Any]) -> dict[str, Any]:
        name = p["EndpointName"]
        arn = self._arn("endpoint", name)
        if name in self.endpoints:
            raise _validation(f'Cannot create already existing endpoint "{arn}".')
        config = self._config(p["EndpointConfigName"])
        variants = _variants(config.params)
        for variant in variants:
            if "ModelName" in variant:  # a variant without one hosts inference components
                self._model(str(variant["ModelName"]))
        # every variant's fleet at once: InService when the slowest instance is
        count = sum(max(1, int(v.get("InitialInstanceCount", 1))) for v in variants)
        durations = self.world.environment.provisioning_seconds.sample(self.rng_control, count)
        now = self.now()
        ep = _Endpoint(
            name,
            arn,
            {k: v for k, v in p.items() if k != "Tags"},
            now,
            list(p.get("Tags", [])),
            config_name=config.name,
            status="Creating",
            ready_at=now + float(np.max(durations)),
            last_modified=now,
            traffic=self.world.traffic_for(name),
        )
        self.endpoints[name] = ep
        self._emit(now, name, "phase", f"Creating: launching {count} instance(s) of {config.name}")

        def come_up() -> Any:
            yield self.env.timeout(ep.ready_at - self.env.now)
            if ep.status == "Creating" and self.faults.endpoint_fails == "create":
                ep.status = "Failed"
                ep.last_modified = ep.ready_at
                ep.failure_reason = "injected fault: the endpoint failed to create"
                self._emit(ep.ready_at, name, "phase", f"Failed: {ep.failure_reason}")
            elif ep.status == "Creating":
                ep.status = "InService"
                ep.last_modified = ep.ready_at
                ep.origin = ep.traffic_origin = ep.traffic_until = ep.ready_at
                self._emit(ep.ready_at, name, "phase", f"InService on {config.name}")

        self.env.process(come_up())
        return {"EndpointArn": arn}

    def _endpoint(self, name: str) -> _Endpoint:
        if name not in self.endpoints:
            raise _validation(f'Could not find endpoint "{self._arn("endpoint", name)}".')
        return self.endpoints[name]

    def _expire_deleted(self) -> None:
        now = self.now()
        for name in [
            n
            for n, e in self.endpoints.items()
            if e.deleting_since is not None and now >= e.deleting_since
        ]:
            del self.endpoints[name]

    def _describe_endpoint(self, p: dict[str, Any]) -> dict[str, Any]:
        ep = self._endpoint(p["EndpointName"])
        up = ep.current
        status = ep.status
        out: dict[str, Any] = {
            "EndpointName": ep.name,
            "EndpointArn": ep.arn,
            "EndpointConfigName": ep.config_name,
            "EndpointStatus": status,
            "CreationTime": _dt(ep.created_at),
            "LastModifiedTime": _dt(ep.last_modified),
        }
        if ep.failure_reason and status not in ("Creating", "Deleting"):
            out["FailureReason"] = ep.failure_reason
        if ep.last_deployment_config is not None:
            out["LastDeploymentConfig"] = ep.last_deployment_config
        config = self.endpoint_configs.get(ep.config_name)
        rows = []
        for variant in _variants(config.params if config else {}):
            name = str(variant.get("VariantName", "AllTraffic"))
            lane = up.run.lane(name) if up is not None else None
            if lane is not None:
                running = len(lane.fleets.active["blue"])
            elif status in ("Creating", "Failed"):
                running = 0
            else:
                running = int(variant.get("InitialInstanceCount", 1))
            row: dict[str, Any] = {
                "VariantName": name,
                "DeployedImages": self._deployed_images(variant, ep.ready_at),
                "CurrentWeight": float(variant.get("InitialVariantWeight", 1.0)),
                "DesiredWeight": float(variant.get("InitialVariantWeight", 1.0)),
                "CurrentInstanceCount": running,
                "DesiredInstanceCount": int(variant.get("InitialInstanceCount", 1)),
            }
            if status == "Creating":
                row["VariantStatus"] = [
                    {
                        "Status": "Creating",
                        "StatusMessage": f"Launching {row['DesiredInstanceCount']} instance(s).",
                        "StartTime": _dt(ep.created_at),
                    }
                ]
                row.pop("DeployedImages")
            rows.append(row)
        out["ProductionVariants"] = rows
        if up is not None:
            out["PendingDeploymentSummary"] = self._pending(up)
        return out

    def _deployed_images(self, variant: Mapping[str, Any], at: float) -> list[dict[str, Any]]:
        model = self.models.get(str(variant.get("ModelName", "")))
        if model is None:
            return []
        containers = (
            [model.params["PrimaryContainer"]]
            if model.params.get("PrimaryContainer")
            else list(model.params.get("Containers") or [])
        )
        out = []
        for c in containers:
            image = str(c.get("Image", ""))
            if not image:
                continue
            digest = hashlib.sha256(image.encode()).hexdigest()
            repo = image.split("@", 1)[0].rsplit(":", 1)[0] if "/" in image else image
            out.append(
                {
                    "SpecifiedImage": image,
                    "ResolvedImage": f"{repo}@sha256:{digest}",
                    "ResolutionTime": _dt(at),
                }
            )
        return out

    def _pending(self, up: _Update) -> dict[str, Any]:
        new = self.endpoint_configs.get(up.new_config)
        run = up.run
        summaries = []
        for variant in _variants(new.params if new else {}):
            desired = int(variant.get("InitialInstanceCount", 1))
            lane = run.lane(str(variant.get("VariantName", "AllTraffic"))) or run
            summary: dict[str, Any] = {
                "VariantName": str(variant.get("VariantName", "AllTraffic")),
                "DeployedImages": self._deployed_images(variant, up.start),
                "CurrentWeight": float(variant.get("InitialVariantWeight", 1.0)),
                "DesiredWeight": float(variant.get("InitialVariantWeight", 1.0)),
                "CurrentInstanceCount": len(lane.fleets.active["green"]),
                "DesiredInstanceCount": desired,
            }
            if "InstanceType" in variant:
                summary["InstanceType"] = variant["InstanceType"]
            status = _variant_status(run, desired, lane)
            if status is not None:
                summary["VariantStatus"] = [status]
            summaries.append(summary)
        return {
            "EndpointConfigName": up.new_config,
            "ProductionVariants": summaries,
            "StartTime": _dt(up.start),
        }

    def _update_endpoint(self, p: dict[str, Any]) -> dict[str, Any]:
        ep = self._endpoint(p["EndpointName"])
        if ep.status != "InService":
            raise _validation(f'Cannot update in-progress endpoint "{ep.arn}".')
        new = self._config(p["EndpointConfigName"])
        if new.name == ep.config_name:
            # AWS's wording for an update to the config the endpoint already runs.
            raise _validation(
                "The endpoint configuration is already in use by the endpoint. "
                "Specify a new endpoint configuration."
            )
        old = self._config(ep.config_name)
        if p.get("DeploymentConfig") is not None:
            dc = dict(p["DeploymentConfig"])
        elif p.get("RetainDeploymentConfig"):
            # "Specifies whether to reuse the last deployment configuration": see the API
            # reference, https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_UpdateEndpoint.html
            dc = dict(ep.last_deployment_config or {})
        else:
            dc = {}
        names = [a["AlarmName"] for a in dc.get("AutoRollbackConfiguration", {}).get("Alarms", [])]
        missing = [n for n in names if n not in self.alarms]
        if missing:
            raise _validation(f"Alarm(s) not found: {', '.join(missing)}")
        green_params = json.loads(json.dumps(new.params, default=str))
        if p.get("RetainAllVariantProperties"):
            # keep each current variant's instance count and weight (by name; a single
            # variant's whatever its name)
            current = _variants(old.params)
            for i, variant in enumerate(green_params.get("ProductionVariants", [])):
                same = [c for c in current if c.get("VariantName") == variant.get("VariantName")]
                mine = same[0] if same else current[0] if len(current) == 1 and i == 0 else {}
                for key in ("InitialInstanceCount", "InitialVariantWeight"):
                    if key in mine:
                        variant[key] = mine[key]
        for variant in green_params.get("ProductionVariants", []):
            self._model(str(variant.get("ModelName", "")))
        scenario, problems = deployment_scenario(
            ep.name, ep.name, old.params, green_params, dc, self.world.environment
        )
        if scenario is None:
            raise _validation("; ".join(_aws_problem(x.path, x.message) for x in problems[:3]))
        for variant in green_params.get("ProductionVariants", []):
            model = self._model(str(variant.get("ModelName", "")))
            behaviour = self.world.behaviour_on_update(model.params)
            if behaviour is not None:  # a `role: update` rule (world.py)
                model.behaviour, model.faults = behaviour, self._faults_of(behaviour)
        now = self.now()
        self._flush(ep, now)
        run = self.live_run(
            scenario,
            [self._seed, len(ep.updates) + 1],
            functools.partial(self._on_transition, ep),
            functools.partial(self._on_routing, ep),
        )
        up = _Update(len(ep.updates) + 1, now, old.name, new.name, dc, run)
        ep.updates.append(up)
        self._update_log.append((ep, up))
        ep.status = "Updating"
        ep.last_modified = now
        ep.origin = now
        ep.failure_reason = None
        ep.last_deployment_config = dc or None
        blue_count = int(_variant(old.params).get("InitialInstanceCount", 1))
        controller = run.begin(blue_count)
        if publishes(self.world.environment.model_setup_time):  # launched instances publish
            variant = str(_variant(old.params).get("VariantName", "AllTraffic"))
            configs = {"blue": old.name, "green": new.name}
            run.fleets.setup_times = PublishedSetupTimes(self.metrics, ep.name, variant, configs)
        controller.done.callbacks.append(lambda _: self._finish(ep, up))
        if self.faults.endpoint_fails == "update":
            self.env.process(self._fail_update(run, self.faults.update_fails_at))
        return {"EndpointArn": ep.arn}

    def live_run(
        self,
        scenario: Any,
        seed: list[int],
        on_transition: Callable[[LiveRun, Transition], None],
        on_routing: Callable[[LiveRun, str], None],
    ) -> LiveRun:
        """The controller's run of one update starting now, its random stream from ``seed``
        (the emulator's seed and the update's keys), reading the live alarms."""
        return LiveRun(
            env=self.env,
            scenario=scenario,
            rng_control=np.random.default_rng(np.random.SeedSequence(seed)),
            monitor=AlarmsByName(self.alarms),
            start=self.now(),
            on_transition=on_transition,
            on_routing=on_routing,
        )

    def _fail_update(self, run: LiveRun, after: float) -> Any:
        """Injected: the update, still running ``after`` s after its UpdateEndpoint, fails."""
        yield self.env.timeout(after)
        phase = run.phase
        if not (run.finished or phase.is_rollback or phase.is_terminal):
            run.stop(Trigger.TIMEOUT_FAILED, "injected fault: the update failed")

    def _fail_rollback(self, run: LiveRun) -> Any:
        """Injected: the rollback fails as it restores the old fleet's traffic."""
        yield self.env.timeout(0)
        if not run.finished:
            run.stop(Trigger.ROLLBACK_FAILED, "injected fault: the rollback failed")

    def _on_transition(self, ep: _Endpoint, run: LiveRun, transition: Transition) -> None:
        self._emit(self.now(), ep.name, "phase", f"{transition.target.value}: {transition.reason}")
        if transition.target == Phase.ROLLING_BACK:
            # FailureReason from the rollback's start, so a poller sees the rollback begin
            # (its wording is guardsim's: AWS's is undocumented)
            ep.failure_reason = f"Deployment rolled back: {transition.reason}"[:1024]
        if self.faults.rollback_fails and transition.target in _RESTORING:
            self.env.process(self._fail_rollback(run))
        if transition.target.is_terminal:
            ep.status = transition.target.endpoint_status

    def _on_routing(self, ep: _Endpoint, run: LiveRun, when: str) -> None:
        if when == "before":
            self._flush(ep, self.now())
        elif ep.updates and ep.updates[-1].run is run:
            up = ep.updates[-1]
            up.peak_green = max(up.peak_green, run.green_fraction)

    def _finish(self, ep: _Endpoint, up: _Update) -> None:
        controller = up.run.controller
        assert controller is not None
        outcome = controller.outcome
        now = self.now()
        ep.last_modified = now
        if outcome == "SUCCEEDED":
            ep.config_name = up.new_config
            ep.status = "InService"
        elif outcome == "ROLLED_BACK":
            ep.config_name = up.old_config
            ep.status = "InService"
            ep.failure_reason = (
                f"Deployment rolled back: {controller.trip_reason}"
                if controller.trip_reason
                else "Deployment rolled back: MaximumExecutionTimeoutInSeconds exceeded"
            )[:1024]
        else:
            ep.status = controller.phase.endpoint_status
            if ep.status not in ("Failed", "UpdateRollbackFailed"):
                ep.status = "Failed"
            ep.failure_reason = "The update failed: " + "; ".join(
                t.reason for t in controller.machine.transitions[-1:]
            )
        if self.records_dir is not None:
            from guardsim.emulator.records import write_record

            write_record(self, ep, up, self.records_dir)

    def _update_weights(self, p: dict[str, Any]) -> dict[str, Any]:
        ep = self._endpoint(p["EndpointName"])
        if ep.status != "InService":
            raise _validation(f'Cannot update in-progress endpoint "{ep.arn}".')
        config = self._config(ep.config_name)
        names = {str(v.get("VariantName")) for v in config.params["ProductionVariants"]}
        for d in p["DesiredWeightsAndCapacities"]:
            if d["VariantName"] not in names:
                raise _validation(
                    f"The variant name(s) [{d['VariantName']}] is/are not present in the "
                    "endpoint configuration."
                )
        # A new weight or instance count takes effect at once (the emulator does not model
        # autoscaling's provisioning, nor how long a weight change takes).
        for d in p["DesiredWeightsAndCapacities"]:
            for v in config.params["ProductionVariants"]:
                if v.get("VariantName") != d["VariantName"]:
                    continue
                if "DesiredInstanceCount" in d:
                    v["InitialInstanceCount"] = int(d["DesiredInstanceCount"])
                if "DesiredWeight" in d:
                    v["InitialVariantWeight"] = float(d["DesiredWeight"])
        ep.last_modified = self.now()
        return {"EndpointArn": ep.arn}

    def _delete_endpoint(self, p: dict[str, Any]) -> dict[str, Any]:
        ep = self._endpoint(p["EndpointName"])
        if ep.deleting_since is None:
            (seconds,) = self.world.environment.termination_seconds.sample(self.rng_control, 1)
            ep.deleting_since = self.now() + float(seconds)
            ep.status = "Deleting"
            ep.traffic = None
        return {}

    def _list_endpoints(self, p: dict[str, Any]) -> dict[str, Any]:
        eps = list(self.endpoints.values())
        if p.get("StatusEquals"):
            eps = [e for e in eps if e.status == p["StatusEquals"]]
        return _list_response(
            eps,
            p,
            "Endpoints",
            lambda r: {
                "EndpointName": r.name,
                "EndpointArn": r.arn,
                "LastModifiedTime": r.last_modified,
                "EndpointStatus": r.status,
            },
            times=("CreationTime", "LastModifiedTime"),
        )

    def _tagged(self, arn: str) -> _Resource | LiveComponent:
        for store in (self.models, self.endpoint_configs, self.endpoints, self.components.items):
            for r in store.values():
                if r.arn == arn:
                    return r
        raise _validation(f'Could not find resource "{arn}".')

    def _add_tags(self, p: dict[str, Any]) -> dict[str, Any]:
        r = self._tagged(p["ResourceArn"])
        new = {t["Key"]: t for t in p["Tags"]}
        r.tags = [t for t in r.tags if t["Key"] not in new] + list(new.values())
        return {"Tags": list(p["Tags"])}

    def _delete_tags(self, p: dict[str, Any]) -> dict[str, Any]:
        r = self._tagged(p["ResourceArn"])
        r.tags = [t for t in r.tags if t["Key"] not in set(p["TagKeys"])]
        return {}

    def _list_tags(self, p: dict[str, Any]) -> dict[str, Any]:
        return {"Tags": list(self._tagged(p["ResourceArn"]).tags)}

    # ================================================================== invocations

    def _invoke_endpoint(self, p: dict[str, Any]) -> dict[str, Any]:
        name = p["EndpointName"]
        ep = self.endpoints.get(name)
        if ep is None:
            raise ApiError("ValidationError", f"Endpoint {name} of account {ACCOUNT} not found.")
        if ep.status not in ("InService", "Updating", "UpdateRollbackFailed"):
            raise ApiError(
                "ValidationError",
                f"Endpoint {name} of account {ACCOUNT} not found."
                if ep.status in ("Creating", "Deleting")
                else f"Endpoint {name} is in {ep.status} status.",
            )
        component = None
        if p.get("InferenceComponentName"):
            component = self.components.get(p["InferenceComponentName"])
            if component.endpoint != name or component.status not in ("InService", "Updating"):
                raise ApiError(
                    "ValidationError",
                    f"Inference Component {component.name} is not InService on endpoint {name}.",
                )
        target = p.get("TargetVariant")
        if target is not None and component is None:
            config = self.endpoint_configs.get(ep.config_name)
            names = [str(v.get("VariantName")) for v in _variants(config.params if config else {})]
            if target not in names:
                # InvokeEndpoint: "TargetVariant: Specify the production variant to send the
                # inference request to" (https://docs.aws.amazon.com/sagemaker/latest/
                # APIReference/API_runtime_InvokeEndpoint.html); the wording is guardsim's
                raise ApiError(
                    "ValidationError",
                    f"TargetVariant {target} is not a production variant of endpoint {name} "
                    f"(its variants: {', '.join(names)}).",
                )
        status, variant, _ = self._serve(ep, self.now(), self.rng_invoke, component, target)
        if status != 200:
            raise ApiError(
                "ModelError",
                f"Received server error ({status}) from primary with message "
                '"the model failed". See '
                f"https://{self.region}.console.aws.amazon.com/cloudwatch/home?region="
                f"{self.region}#logEventViewer:group=/aws/sagemaker/Endpoints/{name} "
                f"in account {ACCOUNT} for more information."
                if status == 500
                else f"Received client error ({status}) from primary with message "
                '"the model rejected the request".',
                424,
                OriginalStatusCode=status,
                OriginalMessage="the model failed" if status == 500 else "bad request",
                LogStreamArn=f"arn:aws:logs:{self.region}:{ACCOUNT}:log-group:/aws/sagemaker/"
                f"Endpoints/{name}",
            )
        score = float(self.rng_invoke.random())
        return {
            "Body": f"{score:.6f}".encode(),
            "ContentType": "text/csv; charset=utf-8",
            "InvokedProductionVariant": variant,
        }

    # ================================================================== alarms

    def _alarm(self, name: str) -> LiveAlarm | LiveComposite:
        if name not in self.alarms:
            raise ApiError("ResourceNotFound", f"Alarm {name} not found", 404)
        return self.alarms[name]

    def _put_metric_alarm(self, p: dict[str, Any]) -> dict[str, Any]:
        name = p["AlarmName"]
        has_stat = p.get("Statistic") or p.get("ExtendedStatistic")
        if p.get("Metrics") and (p.get("MetricName") or has_stat):
            raise ApiError(
                "ValidationError",
                "Metrics list and MetricName/Statistic parameters cannot both be specified.",
            )
        if not p.get("Metrics") and not (p.get("MetricName") and has_stat and p.get("Period")):
            raise ApiError(
                "ValidationError",
                "MetricName, Statistic (or ExtendedStatistic) and Period are required "
                "when Metrics is not specified.",
            )
        now = self.now()
        old = self.alarms.get(name)
        try:
            alarm = make_alarm(
                p,
                arn=self._alarm_arn(name),
                now=now if old is None else old.created_at,
                environment=self.world.environment,
                tags=list(p.get("Tags", [])) if old is None else old.tags,
                band=self._anomaly_band(p),
            )
        except (GuardsimError, ValueError) as exc:
            raise ApiError("ValidationError", str(exc)) from None
        alarm.replacing(old, now)  # an update keeps the alarm's state, history and creation
        self.alarms[name] = alarm
        return {}

    def _anomaly_band(self, p: dict[str, Any]) -> tuple[float, float] | None:
        """An anomaly-detection alarm's static band (guardsim.model.anomaly), from the model the
        band metric's endpoint serves now and the world's background traffic for it (the
        emulator cannot foresee the client's own calls): refused when there is neither."""
        if not is_anomaly_alarm(p):
            return None
        spec = band_spec(p)  # raises AlarmError (a ValidationError) for a malformed band
        assert spec is not None
        query = next(q for q in p["Metrics"] if q.get("Id") == spec.metric_id)
        dims = query["MetricStat"].get("Metric", {}).get("Dimensions") or []
        endpoint = next((d.get("Value") for d in dims if d.get("Name") == "EndpointName"), None)
        ep = self.endpoints.get(str(endpoint))
        traffic = self.world.traffic_for(str(endpoint))
        if ep is None or traffic is None:
            raise ApiError(
                "ValidationError",
                f"the emulator computes the band of {p.get('AlarmName')!r} from the serving "
                f"model of endpoint {endpoint!r} and the world's background traffic for it; "
                "it needs both (guardsim's band is not CloudWatch's trained model)",
            )
        config = self.endpoint_configs.get(ep.config_name)
        variants = _variants(config.params if config else {})
        # the model of the variant the band metric names (the first one when it names none)
        named = next((d.get("Value") for d in dims if d.get("Name") == "VariantName"), None)
        variant = next((v for v in variants if v.get("VariantName") == named), variants[0])
        model = self.models.get(str(variant.get("ModelName")))
        behaviour = model.behaviour if model else ModelBehaviour()
        return anomaly_band(
            p,
            behaviour,
            traffic,
            _BAND_TRAFFIC_SECONDS,
            None,
            self.world.environment.anomaly_band_model,
        )

    def _alarm_item(self, a: LiveAlarm | LiveComposite) -> dict[str, Any]:
        item = dict(a.params)
        item.update(
            AlarmArn=a.arn,
            StateValue=a.state.value,
            StateReason=a.reason[:1023],
            StateUpdatedTimestamp=_dt(a.state_updated_at),
            StateTransitionedTimestamp=_dt(a.entered_at),
            AlarmConfigurationUpdatedTimestamp=_dt(a.updated_at),
        )
        if a.reason_data:
            item["StateReasonData"] = a.reason_data
        item.setdefault("ActionsEnabled", True)
        for key in ("OKActions", "AlarmActions", "InsufficientDataActions"):
            item.setdefault(key, [])
        if not a.params.get("Metrics") and not a.is_composite:
            item.setdefault("Dimensions", [])
        return item

    def _describe_alarms(self, p: dict[str, Any]) -> dict[str, Any]:
        wanted = p.get("AlarmNames")
        prefix = p.get("AlarmNamePrefix")
        state = p.get("StateValue")
        # Composite alarms only when AlarmTypes asks for them: "If you omit this parameter, only
        # metric alarms are returned" (https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_DescribeAlarms.html)
        types = p.get("AlarmTypes") or ["MetricAlarm"]
        related = self._related(p)
        out = []
        for a in sorted(self.alarms.values(), key=lambda x: x.name):
            if wanted is not None and a.name not in wanted:
                continue
            if prefix is not None and not a.name.startswith(prefix):
                continue
            if state is not None and a.state.value != state:
                continue
            if a.kind not in types or (related is not None and a.name not in related):
                continue
            out.append(self._alarm_item(a))
        items, token = _page_plain(out, p, "MaxRecords")
        result: dict[str, Any] = {
            "MetricAlarms": [i for i in items if "AlarmRule" not in i],
            "CompositeAlarms": [i for i in items if "AlarmRule" in i],
        }
        if token:
            result["NextToken"] = token
        return result

    def _related(self, p: dict[str, Any]) -> set[str] | None:
        """DescribeAlarms' ChildrenOfAlarmName / ParentsOfAlarmName: the alarms the named
        composite's rule names, or the composites whose rule names the alarm (None: neither)."""
        if "ChildrenOfAlarmName" in p:
            parent = self.alarms.get(p["ChildrenOfAlarmName"])
            return set(parent.rule.children) if isinstance(parent, LiveComposite) else set()
        if "ParentsOfAlarmName" in p:
            child = p["ParentsOfAlarmName"]
            return {
                n
                for n, a in self.alarms.items()
                if isinstance(a, LiveComposite) and child in a.rule.children
            }
        return None

    def _put_composite_alarm(self, p: dict[str, Any]) -> dict[str, Any]:
        """PutCompositeAlarm: the rule must parse, name existing alarms and make no cycle."""
        name = p["AlarmName"]
        try:
            rule = parse_rule(str(p["AlarmRule"]), alarm_name=name)
            missing = [c for c in rule.children if c not in self.alarms or c == name]
            if missing:
                raise ApiError(
                    "ValidationError",
                    f"AlarmRule references alarm(s) that do not exist: {', '.join(missing)}",
                )
            rules = {
                n: a.rule.children for n, a in self.alarms.items() if isinstance(a, LiveComposite)
            }
            rules[name] = rule.children
            evaluation_order(rules)
        except AlarmError as exc:
            raise ApiError("ValidationError", str(exc)) from None
        now = self.now()
        old = self.alarms.get(name)
        alarm = make_composite(
            p,
            arn=self._alarm_arn(name),
            now=now if old is None else old.created_at,
            tags=list(p.get("Tags", [])) if old is None else old.tags,
        )
        alarm.replacing(old, now)
        self.alarms[name] = alarm
        return {}

    def _describe_alarms_for_metric(self, p: dict[str, Any]) -> dict[str, Any]:
        want = _dims(p.get("Dimensions"))
        out = []
        for a in sorted(self.alarms.values(), key=lambda x: x.name):
            q = a.params
            if q.get("MetricName") != p["MetricName"] or q.get("Namespace") != p["Namespace"]:
                continue
            if "Dimensions" in p and _dims(q.get("Dimensions")) != want:
                continue
            for key in ("Statistic", "ExtendedStatistic", "Period", "Unit"):
                if key in p and q.get(key) != p[key]:
                    break
            else:
                out.append(self._alarm_item(a))
        return {"MetricAlarms": out}

    def _delete_alarms(self, p: dict[str, Any]) -> dict[str, Any]:
        missing = [n for n in p["AlarmNames"] if n not in self.alarms]
        if missing:
            raise ApiError("ResourceNotFound", f"{missing[0]} not found", 404)
        for n in p["AlarmNames"]:
            del self.alarms[n]
        return {}

    def _set_alarm_state(self, p: dict[str, Any]) -> dict[str, Any]:
        alarm = self._alarm(p["AlarmName"])
        data = p.get("StateReasonData")
        if data is not None:
            try:
                json.loads(data)
            except ValueError:
                raise ApiError("InvalidFormat", "StateReasonData is not valid JSON") from None
        alarm.set_state(self.now(), p["StateValue"], p["StateReason"], data)
        return {}

    def _describe_alarm_history(self, p: dict[str, Any]) -> dict[str, Any]:
        lo = _epoch(p["StartDate"]) if "StartDate" in p else -math.inf
        hi = _epoch(p["EndDate"]) if "EndDate" in p else math.inf
        kind = p.get("HistoryItemType")
        names = [p["AlarmName"]] if "AlarmName" in p else sorted(self.alarms)
        items = []
        for name in names:
            a = self.alarms.get(name)
            if a is None:
                continue
            if kind in (None, "StateUpdate"):
                for t, old, new, reason in a.history:
                    if lo <= t <= hi:
                        data = {
                            "version": "1.0",
                            "oldState": {"stateValue": old},
                            "newState": {"stateValue": new, "stateReason": reason},
                        }
                        items.append(
                            {
                                "AlarmName": name,
                                "AlarmType": a.kind,
                                "Timestamp": _dt(t),
                                "HistoryItemType": "StateUpdate",
                                "HistorySummary": f"Alarm updated from {old} to {new}",
                                "HistoryData": json.dumps(data),
                            }
                        )
            if kind in (None, "ConfigurationUpdate"):
                for t, summary in a.config_history:
                    if lo <= t <= hi:
                        items.append(
                            {
                                "AlarmName": name,
                                "AlarmType": a.kind,
                                "Timestamp": _dt(t),
                                "HistoryItemType": "ConfigurationUpdate",
                                "HistorySummary": summary,
                                "HistoryData": json.dumps({"version": "1.0", "type": "Update"}),
                            }
                        )
        items.sort(key=lambda i: i["Timestamp"], reverse=p.get("ScanBy") != "TimestampAscending")
        page, token = _page_plain(items, p, "MaxRecords")
        out: dict[str, Any] = {"AlarmHistoryItems": page}
        if token:
            out["NextToken"] = token
        return out

    def _list_tags_for_resource(self, p: dict[str, Any]) -> dict[str, Any]:
        for a in self.alarms.values():
            if a.arn == p["ResourceARN"]:
                return {"Tags": list(a.tags)}
        raise ApiError("ResourceNotFoundException", f"{p['ResourceARN']} not found", 404)

    def _tag_resource(self, p: dict[str, Any]) -> dict[str, Any]:
        for a in self.alarms.values():
            if a.arn == p["ResourceARN"]:
                new = {t["Key"]: t for t in p["Tags"]}
                a.tags = [t for t in a.tags if t["Key"] not in new] + list(new.values())
                return {}
        raise ApiError("ResourceNotFoundException", f"{p['ResourceARN']} not found", 404)

    def _untag_resource(self, p: dict[str, Any]) -> dict[str, Any]:
        for a in self.alarms.values():
            if a.arn == p["ResourceARN"]:
                a.tags = [t for t in a.tags if t["Key"] not in set(p["TagKeys"])]
                return {}
        raise ApiError("ResourceNotFoundException", f"{p['ResourceARN']} not found", 404)

    # ================================================================== metrics

    def _get_metric_statistics(self, p: dict[str, Any]) -> dict[str, Any]:
        stats = list(p.get("Statistics") or [])
        extended = list(p.get("ExtendedStatistics") or [])
        if not stats and not extended:
            raise ApiError(
                "MissingParameter",
                "The parameter Statistics or ExtendedStatistics must be specified.",
            )
        if stats and extended:
            raise ApiError(
                "InvalidParameterCombination",
                "The parameters Statistics and ExtendedStatistics are mutually exclusive.",
            )
        period = int(p["Period"])
        if (
            period <= 0
            or (period >= 60 and period % 60)
            or (period < 60 and period not in (1, 5, 10, 20, 30))
        ):
            raise ApiError(
                "InvalidParameterValue",
                "The parameter Period must be a multiple of 60 (or 1, 5, 10, 20, 30).",
            )
        start, end = _epoch(p["StartTime"]), _epoch(p["EndTime"])
        if end <= start:
            raise ApiError(
                "InvalidParameterValue", "The parameter StartTime must be less than EndTime."
            )
        # "The maximum number of data points returned from a single call is 1,440. If you
        # request more than 1,440 data points, CloudWatch returns an error."
        # (https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_GetMetricStatistics.html)
        requested = math.ceil((end - start) / period)
        if requested > MAX_STATISTICS_DATAPOINTS:
            raise ApiError(
                "InvalidParameterCombination",
                f"You have requested up to {requested:,} datapoints, which exceeds the limit of "
                f"{MAX_STATISTICS_DATAPOINTS:,}. You may reduce the datapoints requested by "
                "increasing Period, or decreasing the time range.",
            )
        key = series_key(p["Namespace"], p["MetricName"], _dims(p.get("Dimensions")))
        now = self.now()
        points = []
        for lo in self.metrics.periods(key, start, end, period):
            raw, sets, unit = self.metrics.samples(key, lo, lo + period, now)
            if not raw and not sets:
                continue
            point: dict[str, Any] = {"Timestamp": _dt(lo), "Unit": p.get("Unit") or unit or "None"}
            for s in stats:
                value, _ = value_of(parse_statistic(s, context="metric"), raw, sets)
                if value is not None:
                    point[s] = value
            ext = {}
            for s in extended:
                try:
                    spec = parse_statistic(s, context="metric")
                except GuardsimError:
                    raise ApiError(
                        "InvalidParameterValue", f"The value {s} for ExtendedStatistics is invalid."
                    ) from None
                value, _ = value_of(spec, raw, sets)
                if value is not None:
                    ext[s] = value
            if ext:
                point["ExtendedStatistics"] = ext
            points.append(point)
        return {"Label": p["MetricName"], "Datapoints": points}

    def _get_metric_data(self, p: dict[str, Any]) -> dict[str, Any]:
        start, end = _epoch(p["StartTime"]), _epoch(p["EndTime"])
        now = self.now()
        descending = p.get("ScanBy", "TimestampDescending") == "TimestampDescending"
        results = []
        series: dict[str, dict[float, float]] = {}
        queries = list(p["MetricDataQueries"])
        for q in queries:
            stat = q.get("MetricStat")
            if stat is None:
                continue
            metric = stat["Metric"]
            key = series_key(
                metric.get("Namespace", ""), metric["MetricName"], _dims(metric.get("Dimensions"))
            )
            period = int(stat["Period"])
            try:
                spec = parse_statistic(str(stat["Stat"]), context="metric")
            except GuardsimError as exc:
                raise ApiError("ValidationError", str(exc)) from None
            values: dict[float, float] = {}
            for lo in self.metrics.periods(key, start, end, period):
                value, _ = self.metrics.statistic(key, spec, lo, lo + period, now)
                if value is not None:
                    values[lo] = value
            series[q["Id"]] = values
        for q in queries:
            if q.get("ReturnData") is False:
                continue
            messages: list[dict[str, str]] = []
            if q.get("MetricStat") is not None:
                values = series[q["Id"]]
                label = q.get("Label") or q["MetricStat"]["Metric"]["MetricName"]
                status = "Complete"
            else:
                values, status, messages = self._expression(q, series, start, end)
                label = q.get("Label") or q["Id"]
            stamps = sorted(values, reverse=descending)
            results.append(
                {
                    "Id": q["Id"],
                    "Label": label,
                    "Timestamps": [_dt(t) for t in stamps],
                    "Values": [values[t] for t in stamps],
                    "StatusCode": status,
                    **({"Messages": messages} if messages else {}),
                }
            )
        return {"MetricDataResults": results, "Messages": []}

    def _expression(
        self,
        q: Mapping[str, Any],
        series: Mapping[str, dict[float, float]],
        start: float,
        end: float,
    ) -> tuple[dict[float, float], str, list[dict[str, str]]]:
        from guardsim.cloudwatch.metric_math import evaluate_expression

        stamps = sorted({t for s in series.values() for t in s})
        inputs = {qid: [s.get(t) for t in stamps] for qid, s in series.items()}
        try:
            out = evaluate_expression(str(q.get("Expression", "")), inputs)
        except (GuardsimError, ValueError) as exc:
            return {}, "InternalError", [{"Code": "InvalidExpression", "Value": str(exc)}]
        if isinstance(out, list | tuple):
            return (
                {
                    t: float(v)
                    for t, v in zip(stamps, out, strict=False)
                    if isinstance(v, float | int)
                },
                "Complete",
                [],
            )
        if isinstance(out, float | int):
            return {t: float(out) for t in stamps}, "Complete", []
        return {}, "Complete", []

    def _list_metrics(self, p: dict[str, Any]) -> dict[str, Any]:
        want = p.get("Dimensions") or []
        out = []
        seen: set[SeriesKey] = set()
        for key in sorted(self.metrics.keys()):
            ns, name, dims = key
            if p.get("Namespace") and ns != p["Namespace"]:
                continue
            if p.get("MetricName") and name != p["MetricName"]:
                continue
            d = dict(dims)
            if any(
                w["Name"] not in d or ("Value" in w and d[w["Name"]] != w["Value"]) for w in want
            ):
                continue
            if key in seen:
                continue
            seen.add(key)
            out.append(
                {
                    "Namespace": ns,
                    "MetricName": name,
                    "Dimensions": [{"Name": k, "Value": v} for k, v in dims],
                }
            )
        items, token = _page_plain(out, p, None, size=500)
        result: dict[str, Any] = {"Metrics": items}
        if token:
            result["NextToken"] = token
        return result

    def _put_metric_data(self, p: dict[str, Any]) -> dict[str, Any]:
        ns = p["Namespace"]
        if ns.startswith("AWS/"):
            raise ApiError(
                "InvalidParameterValue", "The value AWS/ for parameter Namespace is invalid."
            )
        now = self.now()
        for i, d in enumerate(p.get("MetricData", [])):
            key = series_key(ns, d["MetricName"], _dims(d.get("Dimensions")))
            t = _epoch(d["Timestamp"]) if "Timestamp" in d else now
            unit = d.get("Unit")
            if "StatisticValues" in d:
                sv = d["StatisticValues"]
                stats = (
                    int(sv["SampleCount"]),
                    float(sv["Sum"]),
                    float(sv["Minimum"]),
                    float(sv["Maximum"]),
                )
                self.metrics.put(key, t, now, [], stats, unit)
            elif "Values" in d:
                counts = d.get("Counts") or [1.0] * len(d["Values"])
                if len(counts) != len(d["Values"]):
                    raise ApiError(
                        "InvalidParameterValue",
                        f"The parameters MetricData.member.{i + 1}.Values and "
                        f"MetricData.member.{i + 1}.Counts must be of the same size.",
                    )
                raw = [
                    float(v)
                    for v, c in zip(d["Values"], counts, strict=True)
                    for _ in range(int(c))
                ]
                self.metrics.put(key, t, now, raw, None, unit)
            elif "Value" in d:
                self.metrics.put(key, t, now, [float(d["Value"])], None, unit)
            else:
                raise ApiError(
                    "MissingParameter",
                    f"The parameter MetricData.member.{i + 1}.Value is required.",
                )
        return {}


# =========================================================================== helpers


def _variant(params: Mapping[str, Any]) -> dict[str, Any]:
    return _variants(params)[0]


def _variants(params: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The config's production variants (one empty one when it has none)."""
    return [dict(v) for v in params.get("ProductionVariants") or [{}]]


def _config_shares(variants: list[dict[str, Any]]) -> tuple[float, ...]:
    """Each variant's share of the requests (weight / sum of weights), as every engine has it
    (:func:`guardsim.scenarios.variants.shares`)."""
    if len(variants) == 1:
        return (1.0,)
    from guardsim.scenarios.boto import EndpointConfig
    from guardsim.scenarios.scenario import Endpoint
    from guardsim.scenarios.variants import shares

    config = EndpointConfig.from_boto({"EndpointConfigName": "", "ProductionVariants": variants})
    return shares(Endpoint("", config, config))


def _weighted(weights: Sequence[float], v: float) -> int:
    """The index ``v`` (uniform in [0, 1)) falls in, of cumulative ``weights`` (summing to 1)."""
    acc = 0.0
    for k, w in enumerate(weights):
        acc += w
        if v < acc:
            return k
    return len(weights) - 1


def _variant_status(
    run: LiveRun, desired: int, lane: LiveRun | None = None
) -> dict[str, Any] | None:
    """The pending fleet's VariantStatus: the latest phase that has one (a rollback decision
    has none of its own, so the status before it stays), its StatusMessage worded like AWS's
    samples ("Baking for 300 seconds (WaitIntervalInSeconds) with traffic enabled on canary
    capacity of 1 instance(s).")."""
    controller = run.controller
    if controller is None:
        return None
    entry = None
    for t in controller.machine.transitions:
        if t.target.variant_status is not None:
            entry = t
    if entry is None:
        return None
    phase = entry.target
    green = len((lane or run).fleets.active["green"])
    config = controller.config
    kind = config.policy_kind

    def capacity(k: int) -> str:
        if k >= desired:
            return "full"
        return {"CANARY": "canary", "LINEAR": "linear step", "ROLLING": "batch"}.get(kind, "full")

    message = {
        Phase.CREATING: f"Launching {desired} instance(s).",
        Phase.ROLLBACK_CREATING: "Launching instance(s) of the old configuration.",
        Phase.ACTIVATING_TRAFFIC: f"Activating traffic on {capacity(max(green, 1))} capacity of "
        f"{max(green, 1)} instance(s).",
        Phase.BAKING: f"Baking for {config.wait_interval_seconds} seconds (WaitIntervalInSeconds) "
        f"with traffic enabled on {capacity(green)} capacity of {green} instance(s).",
        Phase.FINAL_BAKE: f"Baking for {config.termination_wait_seconds} seconds "
        f"(TerminationWaitInSeconds) with traffic enabled on full capacity of {green} "
        "instance(s).",
    }.get(phase, "Terminating instance(s).")
    return {
        "Status": phase.variant_status,
        "StatusMessage": message,
        "StartTime": _dt(entry.time),  # transitions are on the emulated epoch clock already
    }


def _aws_problem(path: str, message: str) -> str:
    """A guardsim validation problem in AWS's terms: the DeploymentConfig's own field path
    (never a guardsim scenario path)."""
    for prefix, name in (
        ("deployment_config", "DeploymentConfig"),
        ("endpoint.green", "EndpointConfig"),
        ("endpoint.blue", "EndpointConfig"),
        ("endpoint", "Endpoint"),
    ):
        if path == prefix or path.startswith(prefix + "."):
            return f"{name}{path[len(prefix) :]}: {message}"
    return message


def _check_input(model: Any, operation: str, params: dict[str, Any]) -> dict[str, Any]:
    """botocore validates what it sends; a raw HTTP client may not. A missing required member or
    one of the wrong type gets AWS's validation error (CloudWatch, a query service at heart,
    names them MissingParameter and InvalidParameterValue)."""
    from botocore.validate import ParamValidator

    shape = model.operation_model(operation).input_shape
    if shape is None:
        return params
    if not isinstance(params, dict):  # a body of JSON null, a number, ...: not an object
        raise ApiError("SerializationException", "the request body is not a JSON object")
    cloudwatch = model.metadata.get("serviceId") == "CloudWatch"
    missing = [m for m in shape.required_members if m not in params]
    if missing:
        name = missing[0]
        raise ApiError(
            "MissingParameter" if cloudwatch else "ValidationException",
            f"1 validation error detected: Value null at '{name[0].lower()}{name[1:]}' "
            "failed to satisfy constraint: Member must not be null",
        )
    report = ParamValidator().validate(params, shape)
    if report.has_errors():
        first = report.generate_report().splitlines()[-1]
        raise ApiError(
            "InvalidParameterValue" if cloudwatch else "ValidationException",
            f"1 validation error detected: {first}",
        )
    return params


def _listed(
    resources: list[Any], p: Mapping[str, Any], row: Callable[[Any], dict[str, Any]]
) -> list[dict[str, Any]]:
    """List rows after the common SageMaker filters (NameContains, creation time)."""
    out = []
    for r in resources:
        if p.get("NameContains") and p["NameContains"].lower() not in r.name.lower():
            continue
        if "CreationTimeAfter" in p and r.created_at <= _epoch(p["CreationTimeAfter"]):
            continue
        if "CreationTimeBefore" in p and r.created_at >= _epoch(p["CreationTimeBefore"]):
            continue
        out.append({**row(r), "CreationTime": r.created_at, "_name": r.name})
    return out


def _list_response(
    resources: list[Any],
    p: Mapping[str, Any],
    member: str,
    row: Callable[[Any], dict[str, Any]],
    times: tuple[str, ...] = ("CreationTime",),
) -> dict[str, Any]:
    """A SageMaker List* answer: the filtered, sorted page of ``row(r)`` under ``member``, its
    ``times`` as datetimes, and the NextToken when more pages follow."""
    items, token = _page(_listed(resources, p, row), p, "CreationTime")
    for item in items:
        for key in times:
            item[key] = _dt(item[key])
    out: dict[str, Any] = {member: items}
    if token:
        out["NextToken"] = token
    return out


def _page(
    rows: list[dict[str, Any]], p: Mapping[str, Any], default_sort: str
) -> tuple[list[dict[str, Any]], str | None]:
    sort = p.get("SortBy", default_sort)
    key = {"Name": "_name", "CreationTime": "CreationTime", "Status": "EndpointStatus"}.get(
        sort, "CreationTime"
    )
    if key == "EndpointStatus" and rows and "EndpointStatus" not in rows[0]:
        key = "InferenceComponentStatus"
    rows.sort(
        key=lambda r: (r.get(key), r["_name"]),
        reverse=p.get("SortOrder", "Descending") == "Descending",
    )
    for r in rows:
        r.pop("_name")
    return _page_plain(rows, p, "MaxResults")


def _page_plain(
    rows: list[dict[str, Any]], p: Mapping[str, Any], size_key: str | None, size: int = 100
) -> tuple[list[dict[str, Any]], str | None]:
    start = 0
    if p.get("NextToken"):
        try:
            start = int(str(p["NextToken"]))
        except ValueError:
            raise ApiError("ValidationException", "The NextToken is not valid.") from None
    n = int(p.get(size_key, size)) if size_key else size
    page = rows[start : start + n]
    token = str(start + n) if start + n < len(rows) else None
    return page, token


def _unpack(response: Any) -> tuple[int, dict[str, str], bytes]:
    return int(response.status_code), dict(response.headers), bytes(response.content)


__all__ = [
    "ACCOUNT",
    "SERVICES",
    "ApiError",
    "Call",
    "Emulator",
    "Event",
    "service_for",
    "service_model",
]
