"""Driving real traffic: ``invoke_endpoint`` at a rate, through a bounded worker pool.

The driver only *schedules*: the run's loop asks it to send what is due (:meth:`send_due`) and
when the next request is due (:meth:`next_time`), so one loop paces polling and traffic on one
clock, wall or virtual. Requests run on a thread pool of ``max_concurrency`` workers; at most
twice that many may wait or run at once, and a request due when that many are outstanding is
recorded as ``DROPPED`` (the endpoint is slower than the rate; the record notes it) rather than
queued without bound.

Every call is recorded: when it was sent, the ``InvokedProductionVariant`` header, the status
(``OK`` or AWS's error code, e.g. ``ModelError`` with the container's ``OriginalStatusCode``) and
the client-side latency, measured on the wall clock (``time.perf_counter``; with the emulator it
is the in-process time of the call).
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import wait as wait_futures
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np

from guardsim.errors import BadInputError
from guardsim.real_backend.clock import Clock

OK = "OK"
DROPPED = "DROPPED"


@dataclass(frozen=True)
class Request:
    """One ``invoke_endpoint`` call."""

    t: float  #: epoch seconds when it was sent
    status: str  #: ``OK``, AWS's error code, or ``DROPPED`` (never sent)
    http_status: int | None
    variant: str | None
    latency_ms: float | None
    original_status: int | None = None  #: a ModelError's OriginalStatusCode
    custom_attributes: str | None = None

    @property
    def is_error(self) -> bool:
        return self.status not in (OK, DROPPED)


def load_payloads(path: str) -> tuple[bytes, ...]:
    """The request bodies of ``real.payload_file``: one per non-empty line."""
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise BadInputError(f"cannot read real.payload_file {path}: {exc}") from None
    bodies = tuple(line.rstrip(b"\r") for line in data.split(b"\n") if line.strip())
    if not bodies:
        raise BadInputError(f"real.payload_file {path} has no request bodies (one per line)")
    return bodies


class TrafficDriver:
    """Sends ``invoke_endpoint`` requests at ``rate`` per second from ``start()`` on."""

    def __init__(
        self,
        client: Any,
        endpoint: str,
        payloads: Sequence[bytes],
        *,
        content_type: str,
        rate: float,
        clock: Clock,
        max_concurrency: int = 8,
        arrivals: Literal["poisson", "uniform"] = "uniform",
        seed: int = 0,
        component: str | None = None,
    ) -> None:
        self.client = client
        self.endpoint = endpoint
        #: the inference component invoked (InferenceComponentName), if any
        self.target = {"InferenceComponentName": component} if component else {}
        self.payloads = tuple(payloads)
        self.content_type = content_type
        self.rate = rate
        self.clock = clock
        self.arrivals = arrivals
        self.rng = np.random.default_rng(seed)
        self.requests: list[Request] = []
        self._lock = threading.Lock()
        self._slots = threading.BoundedSemaphore(2 * max_concurrency)
        self._pool = ThreadPoolExecutor(max_workers=max_concurrency, thread_name_prefix="invoke")
        self._futures: set[Future[None]] = set()
        self._next = math.inf
        self._sent = 0
        self._stopped = False

    # ------------------------------------------------------------------ schedule

    def start(self, at: float) -> None:
        if self.rate > 0 and not self._stopped:
            self._next = at + self._gap() if self.arrivals == "poisson" else at

    def _gap(self) -> float:
        if self.arrivals == "poisson":
            return float(self.rng.exponential(1.0 / self.rate))
        return 1.0 / self.rate

    def next_time(self) -> float:
        """When the next request is due (inf when stopped)."""
        return self._next

    def send_due(self, now: float) -> int:
        """Send every request due by ``now`` (each at its own scheduled time); how many."""
        n = 0
        while self._next <= now and not self._stopped:
            self._send(self._next)
            self._next += self._gap()
            n += 1
        return n

    def _send(self, at: float) -> None:
        body = self.payloads[self._sent % len(self.payloads)]
        self._sent += 1
        if not self._slots.acquire(blocking=False):
            self._record(Request(at, DROPPED, None, None, None))
            return
        future = self._pool.submit(self._invoke, at, body)
        with self._lock:
            self._futures.add(future)
        future.add_done_callback(self._done)

    def _done(self, future: Future[None]) -> None:
        with self._lock:
            self._futures.discard(future)
        self._slots.release()

    def _record(self, request: Request) -> None:
        with self._lock:
            self.requests.append(request)

    def _invoke(self, at: float, body: bytes) -> None:
        from botocore.exceptions import BotoCoreError, ClientError

        began = time.perf_counter()
        try:
            response = self.client.invoke_endpoint(
                EndpointName=self.endpoint,
                ContentType=self.content_type,
                Body=body,
                **self.target,
            )
            response["Body"].read()
        except ClientError as exc:
            error = exc.response.get("Error", {})
            meta = exc.response.get("ResponseMetadata", {})
            original = exc.response.get("OriginalStatusCode")
            self._record(
                Request(
                    at,
                    str(error.get("Code") or "Unknown"),
                    meta.get("HTTPStatusCode"),
                    None,
                    (time.perf_counter() - began) * 1000.0,
                    int(original) if original is not None else None,
                )
            )
            return
        except BotoCoreError as exc:
            self._record(
                Request(at, type(exc).__name__, None, None, (time.perf_counter() - began) * 1000.0)
            )
            return
        self._record(
            Request(
                at,
                OK,
                response.get("ResponseMetadata", {}).get("HTTPStatusCode"),
                response.get("InvokedProductionVariant"),
                (time.perf_counter() - began) * 1000.0,
                custom_attributes=response.get("CustomAttributes"),
            )
        )

    # ------------------------------------------------------------------ lifecycle

    def drain(self) -> None:
        """Wait until every request sent so far has finished."""
        with self._lock:
            pending = list(self._futures)
        if pending:
            wait_futures(pending)

    def stop(self, *, wait: bool = True) -> None:
        """Send nothing more; with ``wait``, let the requests in flight finish."""
        self._stopped = True
        self._next = math.inf
        self._pool.shutdown(wait=wait, cancel_futures=not wait)

    def snapshot(self) -> tuple[Request, ...]:
        """Every request so far, in the order they were sent."""
        with self._lock:
            return tuple(sorted(self.requests, key=lambda r: r.t))
