"""The emulator: SageMaker, SageMaker Runtime and CloudWatch answered from guardsim's model.

:class:`Emulator` takes one HTTP request at a time (:meth:`Emulator.respond`: the service, the
method, URL, headers and body botocore sent) and returns the HTTP response AWS would give, in
the service's wire protocol (:mod:`guardsim.real_backend.fake_wire`). Both the in-process
``guardsim.testing.mock_aws`` and the HTTP server ``guardsim serve`` are thin layers over it.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from guardsim.emulator.clock import Clock
from guardsim.emulator.world import World

#: The services the emulator answers, by botocore service name.
SERVICES = ("sagemaker", "sagemaker-runtime", "cloudwatch")


@dataclass(frozen=True)
class Event:
    """Something the emulation did: a deployment phase transition or an alarm state change.

    ``time`` is the emulated epoch time; ``kind`` is ``"phase"`` or ``"alarm"``; ``text`` says
    what happened, e.g. ``"Baking: canary traffic shifted"``."""

    time: float
    endpoint: str
    kind: str
    text: str


def service_for(headers: Mapping[str, str], url: str) -> str | None:
    """Which service a request is for, from what botocore puts on the wire: the JSON protocols'
    ``X-Amz-Target`` (``SageMaker.``, ``GraniteServiceVersion20100801.``), the CBOR protocol's
    path (``/service/GraniteServiceVersion20100801/operation/...``), SageMaker Runtime's REST
    path (``/endpoints/NAME/invocations``); ``None`` if it is none of the three."""
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
    if len(parts) == 3 and parts[0] == "endpoints" and parts[2] in (
        "invocations",
        "async-invocations",
        "invocations-response-stream",
    ):
        return "sagemaker-runtime"
    return None


@functools.cache
def service_model(service: str) -> Any:
    """botocore's model of one service (cached: loading it costs tens of milliseconds)."""
    import botocore.session

    return botocore.session.get_session().get_service_model(service)


@dataclass
class _Request:
    """What :func:`~guardsim.real_backend.fake_wire.read_request` reads (a botocore
    ``AWSPreparedRequest`` has the same three attributes)."""

    url: str
    headers: Mapping[str, str]
    body: bytes


class Emulator:
    """An emulated AWS account's SageMaker, SageMaker Runtime and CloudWatch (see the module
    doc). ``on_event`` is called with every :class:`Event` as the emulation reaches it;
    ``records_dir``, when set, receives one run record per UpdateEndpoint."""

    def __init__(
        self,
        world: World,
        clock: Clock,
        *,
        on_event: Callable[[Event], None] | None = None,
        records_dir: Path | None = None,
        region: str = "us-east-1",
    ) -> None:
        from guardsim.real_backend.fake_aws import FakeAWS

        self.world = world
        self.clock = clock
        self.on_event = on_event
        self.records_dir = records_dir
        self.region = region
        self._lock = threading.RLock()
        # First version: the fake's store and behaviour; the live engine replaces it.
        self._fake = FakeAWS(None, clock=_ClockAdapter(clock), region=region, seed=world.seed)

    def respond(
        self, service: str, method: str, url: str, headers: Mapping[str, str], body: bytes
    ) -> tuple[int, dict[str, str], bytes]:
        """The HTTP response (status, headers, body) to one request for ``service``."""
        from guardsim.real_backend.fake_wire import error_response, read_request

        model = service_model(service)
        request = _Request(url, headers, body)
        try:
            wire = read_request(request, model)
        except Exception as exc:  # any unreadable request is the client's error
            response = error_response(request, model, "SerializationException", str(exc))
            return _unpack(response)
        with self._lock:
            response = self._fake._answer(service, model, request, wire)
        return _unpack(response)


class _ClockAdapter:
    def __init__(self, clock: Clock) -> None:
        self._clock = clock

    def now(self) -> float:
        return self._clock.now()

    def sleep(self, seconds: float) -> None:
        sleep = getattr(self._clock, "sleep", None)
        if sleep is not None:
            sleep(seconds)


def _text(value: str | bytes) -> str:
    return value.decode("latin-1") if isinstance(value, bytes) else str(value)


def _unpack(response: Any) -> tuple[int, dict[str, str], bytes]:
    return int(response.status_code), dict(response.headers), bytes(response.content)


__all__ = ["SERVICES", "Emulator", "Event", "service_for", "service_model"]
