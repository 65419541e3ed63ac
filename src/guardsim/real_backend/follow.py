"""Following an endpoint: poll ``DescribeEndpoint`` and pace the traffic, on one clock.

One loop serves every waiting stage of a run (creation, warm-up, the update, the cool-down): it
sleeps until the next due thing (a poll, a request, the deadline), so with the emulator's
virtual clock a 30-minute update passes in the time its calls take. With a virtual clock the
requests in flight finish before the clock moves (see :class:`~.clock.Clock`).

:func:`follow_update` keeps every observation that differs from the one before (status, config,
``FailureReason`` or any ``VariantStatus``): the input of :func:`~.transitions.translate`.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from guardsim.real_backend.clients import call
from guardsim.real_backend.clock import Clock
from guardsim.real_backend.observations import (
    Observation,
    observation_from_component,
    observation_from_describe,
    update_ended,
)
from guardsim.real_backend.traffic import TrafficDriver

Progress = Callable[[str], None]


def _quiet(_: str) -> None:
    pass


def _sleep_until(clock: Clock, wake: float, driver: TrafficDriver | None) -> None:
    if clock.virtual and driver is not None:
        driver.drain()
    clock.sleep(max(0.0, wake - clock.now()))


def pump(clock: Clock, until: float, driver: TrafficDriver | None) -> None:
    """Send the traffic due until ``until`` (epoch seconds), then return."""
    while True:
        now = clock.now()
        if driver is not None:
            driver.send_due(now)
        if now >= until:
            if clock.virtual and driver is not None:
                driver.drain()
            return
        wake = min(until, driver.next_time() if driver is not None else math.inf)
        _sleep_until(clock, wake, driver)


def describe(sm: Any, endpoint: str, clock: Clock, component: str | None = None) -> Observation:
    """DescribeEndpoint, or DescribeInferenceComponent of ``component``, as an observation."""
    if component is not None:
        response = call(sm, "describe_inference_component", InferenceComponentName=component)
        return observation_from_component(response, clock.now())
    response = call(sm, "describe_endpoint", EndpointName=endpoint)
    return observation_from_describe(response, clock.now())


def wait_until_settled(
    sm: Any,
    endpoint: str,
    clock: Clock,
    *,
    poll: float,
    deadline: float,
    progress: Progress = _quiet,
    component: str | None = None,
) -> Observation:
    """Poll until the endpoint (or its inference ``component``) is no longer in progress (or
    the deadline); the last view."""
    last: Observation | None = None
    what = f"inference component {component}" if component else f"endpoint {endpoint}"
    while True:
        obs = describe(sm, endpoint, clock, component)
        if last is None or obs.endpoint_status != last.endpoint_status:
            progress(f"{what}: {obs.endpoint_status}")
        last = obs
        if not obs.in_progress or clock.now() >= deadline:
            return obs
        _sleep_until(clock, min(clock.now() + poll, deadline), None)


@dataclass(frozen=True)
class Followed:
    observations: tuple[Observation, ...]
    timed_out: bool


def follow_update(
    sm: Any,
    endpoint: str,
    clock: Clock,
    *,
    t0: float,
    new_config: str,
    poll: float,
    deadline: float,
    driver: TrafficDriver | None = None,
    progress: Progress = _quiet,
    first: Observation | None = None,
    component: str | None = None,
) -> Followed:
    """Poll until the update ends or ``deadline``, driving the traffic in between (with
    ``component``: DescribeInferenceComponent, and ``new_config`` is the new model's name)."""
    observations: list[Observation] = [first] if first is not None else []
    next_poll = clock.now()
    while True:
        now = clock.now()
        if driver is not None:
            driver.send_due(now)
        if now >= next_poll:
            obs = describe(sm, endpoint, clock, component)
            if not observations or not obs.same_state(observations[-1]):
                observations.append(obs)
                progress(_describe_change(obs, t0))
            if update_ended(observations, t0, new_config):
                if driver is not None and clock.virtual:
                    driver.drain()
                return Followed(tuple(observations), False)
            next_poll = now + poll
        if now >= deadline:
            return Followed(tuple(observations), True)
        wake = min(next_poll, deadline, driver.next_time() if driver is not None else math.inf)
        _sleep_until(clock, wake, driver)


def _describe_change(obs: Observation, t0: float) -> str:
    t = obs.at - t0
    sign = "-" if t < 0 else "+"
    minutes, seconds = divmod(round(abs(t)), 60)
    parts = [f"{sign}{minutes}:{seconds:02d}  {obs.endpoint_status}"]
    if obs.variant_statuses:
        vs = max(obs.variant_statuses, key=lambda v: v.start)
        parts.append(f"{vs.status}: {vs.message}" if vs.message else vs.status)
    if obs.failure_reason:
        parts.append(f"FailureReason: {obs.failure_reason}")
    return "  ".join(parts)
