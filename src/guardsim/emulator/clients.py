"""botocore clients answered by the emulator, for tests that pass clients around.

:class:`EmulatedAWS` is a client factory (``aws("sagemaker")``) and a clock: what guardsim's real
backend takes (``run_real(scenario, clients=aws, clock=aws.clock)``), so the whole real backend
runs against the emulator on a virtual clock, in milliseconds. Unlike ``mock_aws`` it patches
nothing process-wide: only the clients it makes are answered, and only its clock moves (when the
code under test calls ``clock.sleep``).

Each client is a **real botocore client** with dummy credentials and an unroutable endpoint URL;
a ``before-send`` handler (:func:`answer`, the one ``mock_aws`` registers too) hands every
request to the :class:`~guardsim.emulator.core.Emulator`, so botocore serialises, signs and parses
every call and retries throttling exactly as it does against AWS.
"""

from __future__ import annotations

import functools
import threading
from typing import Any, Literal

from guardsim.emulator.clock import VirtualClock
from guardsim.emulator.core import Call, Emulator, service_for
from guardsim.emulator.faults import InjectedFaults
from guardsim.emulator.world import World

#: Dummy credentials of the clients (the tests check they never reach a log or record).
ACCESS_KEY_ID = "AKIAGUARDSIMEMULATE0"
SECRET_ACCESS_KEY = "guardsimEmulatorSecretKeyNeverValid00000"
#: 2026-01-01T00:00:00Z: where an :class:`EmulatedAWS` clock starts by default.
EPOCH = 1767225600.0


def answer(emulator: Emulator, request: Any) -> Any:
    """The botocore response to a prepared request (a ``before-send`` handler's return), or
    ``None`` when the request is for a service the emulator does not answer."""
    from botocore.awsrequest import AWSResponse

    from guardsim.emulator.wire import RawBody

    body = request.body or b""
    if not isinstance(body, bytes | bytearray):
        body = body.encode() if isinstance(body, str) else body.read()
    service = service_for(request.headers, request.url, bytes(body))
    if service is None:
        return None
    status, headers, data = emulator.respond(
        service, request.method, request.url, dict(request.headers), bytes(body)
    )
    return AWSResponse(request.url, status, headers, RawBody(data))


class EmulatedAWS:
    """An emulated account (see the module doc): ``aws("cloudwatch")`` is a botocore client
    answered by :attr:`emulator`, on the virtual :attr:`clock`.

    ``world`` as for the emulator (:func:`~guardsim.emulator.world.world_from_scenario` makes one
    from a truth scenario); ``faults`` to inject; ``retry_mode`` is botocore's (standard by
    default: adaptive mode's client-side rate limiter sleeps in wall time, which a virtual clock
    cannot compress); ``botocore_session`` lets a test use other service models. Every request
    is kept in :attr:`calls`."""

    def __init__(
        self,
        world: World | None = None,
        *,
        clock: VirtualClock | None = None,
        faults: InjectedFaults | None = None,
        region: str = "us-east-1",
        retry_mode: Literal["standard", "adaptive", "legacy"] = "standard",
        botocore_session: Any = None,
    ) -> None:
        self.clock = clock or VirtualClock(EPOCH)
        self.region = region
        self.retry_mode = retry_mode
        self.botocore_session = botocore_session
        self.emulator = Emulator(
            world or World(), self.clock, region=region, faults=faults, keep_calls=True
        )
        self._clients: dict[str, Any] = {}
        self._lock = threading.Lock()

    def __call__(self, service: str) -> Any:
        return self.client(service)

    def client(self, service: str) -> Any:
        """The botocore client for ``service`` (one per service, made on first use)."""
        with self._lock:
            if service not in self._clients:
                self._clients[service] = self._make_client(service)
            return self._clients[service]

    def _make_client(self, service: str) -> Any:
        from botocore.config import Config

        client = (self.botocore_session or _session()).create_client(
            service,
            region_name=self.region,
            # Unroutable: should anything ever get past the emulator, it cannot reach AWS.
            endpoint_url=f"https://{service}.{self.region}.emulated-aws.invalid",
            aws_access_key_id=ACCESS_KEY_ID,
            aws_secret_access_key=SECRET_ACCESS_KEY,
            config=Config(retries={"mode": self.retry_mode, "max_attempts": 10}),
        )
        client.meta.events.register("before-send", functools.partial(_send, self.emulator))
        return client

    # ------------------------------------------------------------------ inspection

    @property
    def calls(self) -> list[Call]:
        """Every request answered so far, in order."""
        return list(self.emulator.calls)

    def operations(self) -> list[str]:
        """The API name of every request answered so far, in order."""
        return [c.operation for c in self.emulator.calls]

    def resources(self) -> dict[str, list[str]]:
        """Every resource that exists now, by kind (an endpoint being deleted still exists)."""
        em = self.emulator
        em.advance()
        return {
            "models": sorted(em.models),
            "endpoint_configs": sorted(em.endpoint_configs),
            "endpoints": sorted(em.endpoints),
            "alarms": sorted(em.alarms),
            "inference_components": sorted(em.components.items),
        }

    def leftovers(self, prefix: str = "guardsim-") -> list[str]:
        """Names of existing resources that start with ``prefix``."""
        return [n for names in self.resources().values() for n in names if n.startswith(prefix)]


def _send(emulator: Emulator, request: Any, **_: Any) -> Any:
    response = answer(emulator, request)
    if response is None:  # never past the emulator: the endpoint URL is unroutable anyway
        raise RuntimeError(f"the emulator does not answer {request.url}")
    return response


@functools.cache
def _session() -> Any:
    """One botocore session for every client (it caches the service models)."""
    import botocore.session

    session = botocore.session.Session()
    # The clients must not pick up a real profile, region or credentials from the environment
    # or ~/.aws: every setting is passed explicitly.
    session.set_config_variable("profile", None)
    return session


__all__ = ["ACCESS_KEY_ID", "EPOCH", "SECRET_ACCESS_KEY", "EmulatedAWS", "answer"]
