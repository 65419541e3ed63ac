"""``mock_aws``: guardsim's emulator of SageMaker, SageMaker Runtime and CloudWatch for
in-process tests, on a virtual clock that the code under test follows.

::

    from guardsim.testing import mock_aws

    def test_my_pipeline_rolls_back_a_bad_model():
        world = {"models": [{"match": {"image": "bad"}, "behaviour": {"error_rate_5xx": 1.0}}]}
        with mock_aws(world=world) as aws:
            my_pipeline.deploy(...)           # boto3 code, unchanged
            assert aws.endpoint_status("my-endpoint") == "InService"

Inside the block:

* every botocore client **created inside it** (``boto3.client(...)``,
  ``boto3.Session().client(...)``, ``botocore.session.get_session().create_client(...)``) has
  its ``sagemaker``, ``sagemaker-runtime`` and ``cloudwatch`` requests answered by one
  :class:`~guardsim.emulator.Emulator` (a ``before-send`` hook, the way moto's ``mock_aws`` and
  botocore's ``Stubber`` answer requests: botocore still serialises, signs and parses every
  call). Requests for any other service go on to the next ``before-send`` handler, moto's,
  when moto's ``mock_aws`` is active too; otherwise they fail with :class:`NotEmulated`
  rather than reach AWS. Clients created before the block are not answered.
* dummy credentials and a region (``us-east-1`` unless ``AWS_DEFAULT_REGION`` is set) are in
  the environment, so no real profile or credential is used;
* the time is the emulator's **virtual clock**: ``time.time``, ``datetime.now`` and friends
  follow it through `time-machine <https://github.com/adamchainz/time-machine>`_;
  ``time.sleep`` advances it at once, and ``time.monotonic`` follows it. time-machine does not
  patch ``sleep`` or ``monotonic`` (it moves the wall clock only), so the block replaces those two
  attributes of the :mod:`time` module itself while it runs (code that did
  ``from time import sleep`` before the block keeps the real one). A
  ``describe_endpoint`` + ``time.sleep(30)`` loop, or botocore's ``endpoint_in_service`` waiter,
  therefore finishes in milliseconds while the emulated deployment takes its full time.

The patches are process-wide while the block runs: one ``mock_aws`` at a time. There is one
clock, and a ``time.sleep`` in any thread moves it: threads that sleep concurrently see time pass
as the sum of their sleeps (drive such code against ``guardsim serve`` instead).
"""

from __future__ import annotations

import datetime as _datetime
import os
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any, SupportsIndex

from guardsim.emulator.clock import VirtualClock
from guardsim.emulator.core import Emulator, Event
from guardsim.emulator.faults import InjectedFaults
from guardsim.emulator.world import World, load_world

#: Dummy credentials set in the environment inside the block (never valid anywhere).
MOCK_ACCESS_KEY_ID = "AKIAGUARDSIMMOCK0000"
MOCK_SECRET_ACCESS_KEY = "guardsimMockSecretKeyNotValidAnywhere0000"

_active = threading.Lock()


class NotEmulated(RuntimeError):
    """A client inside ``mock_aws`` called a service the emulator does not answer, and no other
    mock (moto) answered it either."""


class MockAWS:
    """What ``with mock_aws() as aws`` gives: the emulator and its clock, and a few helpers."""

    def __init__(self, emulator: Emulator, clock: VirtualClock) -> None:
        self.emulator = emulator
        self.clock = clock

    @property
    def events(self) -> list[Event]:
        """Every phase transition and alarm state change so far."""
        return list(self.emulator.events)

    def now(self) -> float:
        """The virtual time (epoch seconds)."""
        return self.clock.now()

    def advance(self, seconds: float) -> None:
        """Let ``seconds`` of virtual time pass (what ``time.sleep`` does inside the block)."""
        _sleep_virtual(self, seconds)

    def endpoint_status(self, name: str) -> str:
        self.emulator.advance()
        return self.emulator.endpoints[name].status


_TRAVELLER: Any = None
_STATE: MockAWS | None = None


def _sleep_virtual(state: MockAWS, seconds: float) -> None:
    if seconds < 0:
        raise ValueError("sleep length must be non-negative")
    state.clock.advance(seconds)
    if _TRAVELLER is not None:
        _TRAVELLER.move_to(state.clock.now())
    state.emulator.advance()


@contextmanager
def mock_aws(
    world: str | os.PathLike[str] | Mapping[str, Any] | World | None = None,
    *,
    start: float | _datetime.datetime | None = None,
    region: str | None = None,
    on_event: Callable[[Event], None] | None = None,
    records_dir: str | os.PathLike[str] | None = None,
    faults: InjectedFaults | None = None,
) -> Iterator[MockAWS]:
    """Answer the boto3/botocore clients created in the block from guardsim's emulator (see
    the module doc). ``world``: a world file or dict (:func:`guardsim.emulator.load_world`;
    default: the scenario defaults). ``start``: the virtual clock's origin (default: the real
    time at entry). ``on_event``: called with every phase transition and alarm change;
    ``records_dir``: where a run record per UpdateEndpoint is written. ``faults``: faults to
    inject (:class:`~guardsim.emulator.faults.InjectedFaults`: throttling, refused sends, a
    Ctrl-C at a given send, failed endpoints and rollbacks)."""
    import time_machine

    global _TRAVELLER, _STATE
    the_world = world if isinstance(world, World) else load_world(world)
    if isinstance(start, _datetime.datetime):
        origin = start.timestamp()
    else:
        origin = time.time() if start is None else float(start)
    if not _active.acquire(blocking=False):
        raise RuntimeError("mock_aws is already active: one block at a time")
    env_before = {
        k: os.environ.get(k)
        for k in (
            "AWS_ACCESS_KEY_ID",
            "AWS_SECRET_ACCESS_KEY",
            "AWS_SESSION_TOKEN",
            "AWS_DEFAULT_REGION",
            "AWS_PROFILE",
        )
    }
    real_sleep, real_monotonic, real_monotonic_ns = time.sleep, time.monotonic, time.monotonic_ns
    import botocore.session

    real_create_client = botocore.session.Session.create_client
    try:
        clock = VirtualClock(origin)
        region_name = region or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1"
        emulator = Emulator(
            the_world,
            clock,
            on_event=on_event,
            records_dir=Path(records_dir) if records_dir is not None else None,
            region=region_name,
            faults=faults,
        )
        state = MockAWS(emulator, clock)
        os.environ["AWS_ACCESS_KEY_ID"] = MOCK_ACCESS_KEY_ID
        os.environ["AWS_SECRET_ACCESS_KEY"] = MOCK_SECRET_ACCESS_KEY
        os.environ.pop("AWS_SESSION_TOKEN", None)
        os.environ.pop("AWS_PROFILE", None)
        os.environ["AWS_DEFAULT_REGION"] = region_name
        mono0 = real_monotonic()

        def sleep(seconds: float | SupportsIndex) -> None:
            _sleep_virtual(state, float(seconds))

        def monotonic() -> float:
            return mono0 + (clock.now() - origin)

        def monotonic_ns() -> int:
            return int(monotonic() * 1e9)

        def handler(request: Any, **kwargs: Any) -> Any:
            return _answer(state, request, str(kwargs.get("event_name", "")))

        def create_client(self: Any, *args: Any, **kwargs: Any) -> Any:
            client = real_create_client(self, *args, **kwargs)
            # first: before moto's handler (registered at session level), so the services
            # guardsim emulates are answered here and every other one passes on
            client.meta.events.register_first("before-send", handler)
            return client

        with time_machine.travel(origin, tick=False) as traveller:
            _TRAVELLER, _STATE = traveller, state
            time.sleep = sleep
            time.monotonic = monotonic
            time.monotonic_ns = monotonic_ns
            botocore.session.Session.create_client = create_client
            try:
                yield state
            finally:
                botocore.session.Session.create_client = real_create_client
                time.sleep, time.monotonic = real_sleep, real_monotonic
                time.monotonic_ns = real_monotonic_ns
                _TRAVELLER, _STATE = None, None
    finally:
        for k, v in env_before.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
        _active.release()


def _moto_active() -> bool:
    """Whether moto's ``mock_aws`` is active (its botocore stubber is enabled); moto is never
    imported here: if nobody imported it, it is not active."""
    import sys

    models = sys.modules.get("moto.core.models")
    stubber = getattr(models, "botocore_stubber", None)
    return bool(getattr(stubber, "enabled", False))


def _answer(state: MockAWS, request: Any, event_name: str) -> Any:
    from guardsim.emulator.clients import answer

    response = answer(state.emulator, request)
    if response is not None:
        return response
    if _moto_active():
        return None  # moto's before-send handler answers it
    parts = event_name.split(".")
    wanted = parts[1] if len(parts) > 1 else "?"
    raise NotEmulated(
        f"guardsim.testing.mock_aws does not emulate {wanted!r}; compose it with moto's "
        "mock_aws for other services"
    )


__all__ = ["MOCK_ACCESS_KEY_ID", "MOCK_SECRET_ACCESS_KEY", "MockAWS", "NotEmulated", "mock_aws"]
