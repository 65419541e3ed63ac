"""``guardsim serve``'s HTTP layer: one port for SageMaker, SageMaker Runtime and CloudWatch.

The :class:`~guardsim.emulator.core.Emulator` answers requests in each service's wire protocol
(it reads ``X-Amz-Target``, CBOR paths, the runtime's REST paths and CloudWatch's query form
bodies, and writes AWS-shaped responses and errors in the protocol of each request). This
module only does HTTP, with the standard library's :class:`http.server.ThreadingHTTPServer`:

* one thread per connection, **at most** :attr:`Limits.max_connections` of them (a connection
  over the limit gets ``503`` and is closed), HTTP/1.1 keep-alive, and an idle/read timeout
  per connection (:attr:`Limits.timeout_seconds`), so a client that stops sending frees its
  thread;
* request bodies by ``Content-Length`` or ``Transfer-Encoding: chunked``, refused above
  :attr:`Limits.max_body_bytes` **before** they are read (``413``; the connection is then
  closed, since the unread body is still on it). The default is the largest request the three
  services take: InvokeEndpoint's 6 MB payload
  (https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_runtime_InvokeEndpoint.html,
  ``Body``: maximum length 6291456) plus room for the headers' worth of JSON around a control
  plane request; request line and header sizes are bounded by :mod:`http.server` itself;
* routing by :func:`~guardsim.emulator.core.service_for`, and nothing else: :func:`answer` is
  the one function that touches the Emulator.

Errors found before the Emulator sees a request (no service recognised, a bad
``Content-Length``, a body too large or badly chunked) are answered in the shape botocore
parses for every protocol (a JSON body with ``__type`` and ``message``, and the same code in
``x-amzn-ErrorType``), so a client raises ``ClientError`` with that code; a request with a
form-encoded body (CloudWatch's query protocol) gets the query protocol's XML ``ErrorResponse``
instead. Their codes are AWS's
common errors (https://docs.aws.amazon.com/sagemaker/latest/APIReference/CommonErrors.html):
``UnknownOperationException`` (an operation no service here has), ``MalformedHTTPRequest``
(guardsim's name for a request HTTP cannot frame; AWS does not document one) and
``RequestEntityTooLarge`` (likewise guardsim's), ``InternalFailure`` for a bug in guardsim.

The server also answers ``GET /_guardsim/clock`` (no AWS service has that path) with the
emulated time and speed, so a client on the same machine can keep its own clock in step with
the emulator's (:func:`emulator_clock`; ``guardsim real run`` against ``guardsim serve`` does).
"""

from __future__ import annotations

import contextlib
import ipaddress
import json
import socket
import sys
import threading
import time
import traceback
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import IO, Any, Protocol
from urllib.parse import urlsplit

from guardsim.emulator.clock import ScaledClock

#: The port ``guardsim serve`` listens on unless told otherwise: one above LocalStack's 4566,
#: so the two can run side by side.
DEFAULT_PORT = 4567
DEFAULT_HOST = "127.0.0.1"
#: The path of the emulator's clock (JSON: ``{"guardsim": 1, "now": epoch, "speed": x}``).
CLOCK_PATH = "/_guardsim/clock"

#: (status, headers, body): what the Emulator answers and the server sends.
Reply = tuple[int, dict[str, str], bytes]


class Responder(Protocol):
    """What the server needs of the Emulator (:class:`guardsim.emulator.core.Emulator`)."""

    def respond(
        self, service: str, method: str, url: str, headers: Mapping[str, str], body: bytes
    ) -> Reply: ...


@dataclass(frozen=True)
class Limits:
    """The server's bounds: each one keeps a misbehaving client from holding memory or threads."""

    #: largest request body accepted (6 MiB InvokeEndpoint payload + 2 MiB)
    max_body_bytes: int = 8 * 1024 * 1024
    #: connections served at once; one more gets 503 and is closed
    max_connections: int = 128
    #: seconds a connection may be idle, or take to send a request, before it is closed
    timeout_seconds: float = 60.0
    #: longest chunk-size line of a chunked body
    max_chunk_line: int = 1024


def answer(
    emulator: Responder,
    service_for: Callable[[Mapping[str, str], str, bytes], str | None],
    method: str,
    url: str,
    headers: Mapping[str, str],
    body: bytes,
) -> Reply:
    """The one place the server talks to the Emulator: route by service, then respond."""
    service = service_for(headers, url, body)
    if service is None:
        return error_reply(
            400,
            "UnknownOperationException",
            "this endpoint serves SageMaker, SageMaker Runtime and CloudWatch; the request "
            "names no operation of theirs",
            query=_is_form(headers),
        )
    return emulator.respond(service, method, url, headers, body)


def error_reply(status: int, code: str, message: str, *, query: bool = False) -> Reply:
    """An AWS-shaped error every JSON, CBOR and REST botocore parser reads (``__type``,
    ``message`` and the ``x-amzn-ErrorType`` header carry the code); with ``query``, the query
    protocol's XML ``ErrorResponse``."""
    if query:
        from guardsim.emulator.wire import query_error_body

        return status, {"Content-Type": "text/xml"}, query_error_body(code, message)
    body = json.dumps({"__type": code, "message": message}).encode()
    return (
        status,
        {"Content-Type": "application/x-amz-json-1.1", "x-amzn-ErrorType": code},
        body,
    )


def _is_form(headers: Mapping[str, str] | Message[str, str]) -> bool:
    """Whether a request's body is form-encoded (the query protocol's)."""
    ctype = next((v for k, v in headers.items() if k.lower() == "content-type"), "")
    return str(ctype).startswith("application/x-www-form-urlencoded")


class _BadFraming(Exception):
    """A request HTTP cannot frame: answer ``status`` and close the connection."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


class EmulatorServer(ThreadingHTTPServer):
    """A threading HTTP server in front of one Emulator (see the module docstring)."""

    daemon_threads = True
    # the connection threads are tracked and closed by close(), not joined one by one
    block_on_close = False
    allow_reuse_address = True

    def __init__(
        self,
        emulator: Responder,
        service_for: Callable[[Mapping[str, str], str, bytes], str | None],
        *,
        host: str = DEFAULT_HOST,
        port: int = DEFAULT_PORT,
        limits: Limits = Limits(),
        clock: Callable[[], float] | None = None,
        speed: float | None = None,
        tick: Callable[[], None] | None = None,
        tick_seconds: float = 0.1,
        log: IO[str] | None = None,
    ) -> None:
        self.emulator = emulator
        self.tick = tick
        self.tick_seconds = tick_seconds
        self._next_tick = 0.0
        self.service_for = service_for
        self.limits = limits
        self.clock = clock
        self.speed = speed
        self.log = log if log is not None else sys.stderr
        self._slots = threading.BoundedSemaphore(limits.max_connections)
        # socketserver's listen backlog is 5: fifty clients connecting at once overflow it, Linux
        # drops the handshakes over it, and under load such a client can see its connection
        # closed before any answer. The backlog holds as many connections as are served.
        self.request_queue_size = max(limits.max_connections, 5)
        self._open: set[socket.socket] = set()
        self._open_lock = threading.Lock()
        self._serving: threading.Thread | None = None
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self.address_family = family
        super().__init__((host, port), _Handler)

    # ------------------------------------------------------------------ addresses

    @property
    def port(self) -> int:
        return int(self.server_address[1])

    @property
    def url(self) -> str:
        """The endpoint URL clients use (``AWS_ENDPOINT_URL``)."""
        host = str(self.server_address[0])
        if ":" in host:
            host = f"[{host}]"
        return f"http://{host}:{self.port}"

    # ------------------------------------------------------------------ connections

    def process_request(self, request: Any, client_address: Any) -> None:
        if not self._slots.acquire(blocking=False):
            with contextlib.suppress(OSError):
                request.sendall(
                    _raw_reply(
                        *error_reply(503, "ServiceUnavailable", "too many connections; retry")
                    )
                )
            self.shutdown_request(request)
            return
        with self._open_lock:
            self._open.add(request)
        try:
            super().process_request(request, client_address)
        except BaseException:
            self._release(request)
            raise

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        try:
            super().process_request_thread(request, client_address)
        finally:
            self._release(request)

    def _release(self, request: Any) -> None:
        with self._open_lock:
            if request not in self._open:
                return
            self._open.discard(request)
        self._slots.release()

    def open_connections(self) -> int:
        with self._open_lock:
            return len(self._open)

    def service_actions(self) -> None:
        """Between requests (serve_forever calls this every poll interval): ``tick`` at most
        every ``tick_seconds`` of wall time, so the emulation moves on (deployments, alarms,
        the events serve prints) while no client is asking."""
        if self.tick is None:
            return
        now = time.monotonic()
        if now < self._next_tick:
            return
        self._next_tick = now + self.tick_seconds
        try:
            self.tick()
        except Exception:  # a bug in the emulation: say it, and keep serving
            print("guardsim serve: internal error while advancing the emulation:", file=self.log)
            traceback.print_exc(file=self.log)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # a client that goes away mid-request is not news; anything else is a bug in guardsim
        exc = sys.exc_info()[1]
        if isinstance(exc, OSError):
            return
        print("guardsim serve: internal error while answering a request:", file=self.log)
        traceback.print_exc(file=self.log)

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> EmulatorServer:
        """Serve in a background thread (tests, and the CLI's main thread waits on signals)."""
        self._serving = threading.Thread(
            target=self.serve_forever,
            kwargs={"poll_interval": min(0.1, self.tick_seconds)},
            daemon=True,
        )
        self._serving.start()
        return self

    def close(self) -> None:
        """Stop accepting, close every open connection and release the port."""
        if self._serving is not None:
            self.shutdown()
            self._serving.join()
            self._serving = None
        with self._open_lock:
            sockets = list(self._open)
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
        self.server_close()

    def __enter__(self) -> EmulatorServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    def clock_reply(self) -> Reply:
        if self.clock is None:
            return error_reply(404, "UnknownOperationException", "this server has no clock")
        data = {"guardsim": 1, "now": self.clock(), "speed": self.speed}
        return 200, {"Content-Type": "application/json"}, json.dumps(data).encode()


def _raw_reply(status: int, headers: Mapping[str, str], body: bytes) -> bytes:
    from http import HTTPStatus

    try:
        phrase = HTTPStatus(status).phrase
    except ValueError:
        phrase = ""
    lines = [f"HTTP/1.1 {status} {phrase}"]
    lines += [f"{k}: {v}" for k, v in headers.items()]
    lines += [f"Content-Length: {len(body)}", "Connection: close", "", ""]
    return "\r\n".join(lines).encode("latin-1") + body


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive: every response carries Content-Length
    # headers and body go out in two writes: without TCP_NODELAY, Nagle's algorithm holds the
    # second until the client's delayed ACK (40 ms on Linux) for every single request
    disable_nagle_algorithm = True
    server: EmulatorServer
    server_version = "guardsim"
    sys_version = ""

    def setup(self) -> None:
        super().setup()
        # idle keep-alive and slow senders alike: a read that waits longer closes the connection
        self.connection.settimeout(self.server.limits.timeout_seconds)

    def log_message(self, format: str, *args: Any) -> None:
        pass  # one line per request would drown the phase transitions serve prints

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """http.server's own refusals (a bad request line, too long a header) in AWS's shape."""
        self.close_connection = True
        # a request line http.server could not read leaves the HTTP/0.9 default, which would
        # send the body with no status line: answer in HTTP/1.1 whatever was sent
        self.request_version = "HTTP/1.1"
        with contextlib.suppress(OSError):
            self._send(
                *error_reply(code, "MalformedHTTPRequest", message or explain or "bad request")
            )

    def do_GET(self) -> None:
        self._handle()

    def do_POST(self) -> None:
        self._handle()

    def do_PUT(self) -> None:
        self._handle()

    def do_DELETE(self) -> None:
        self._handle()

    def do_HEAD(self) -> None:
        self._handle()

    def _handle(self) -> None:
        try:
            body = self._read_body()
        except _BadFraming as bad:
            # the rest of the connection cannot be framed: answer (if the client still listens)
            self.close_connection = True
            with contextlib.suppress(OSError):
                self._send(
                    *error_reply(bad.status, bad.code, bad.message, query=_is_form(self.headers))
                )
            return
        except (TimeoutError, ConnectionError):
            self.close_connection = True
            return
        headers = {k: v for k, v in self.headers.items()}
        if self.command == "GET" and urlsplit(self.path).path == CLOCK_PATH:
            self._send(*self.server.clock_reply())
            return
        host = self.headers.get("Host") or self.server.url.split("//", 1)[1]
        url = f"http://{host}{self.path}"
        try:
            reply = answer(
                self.server.emulator, self.server.service_for, self.command, url, headers, body
            )
        except Exception:
            print(
                f"guardsim serve: internal error answering {self.command} {self.path}:",
                file=self.server.log,
            )
            traceback.print_exc(file=self.server.log)
            reply = error_reply(
                500,
                "InternalFailure",
                "guardsim serve failed to answer (a bug in guardsim)",
                query=_is_form(headers),
            )
        self._send(*reply)

    def _send(self, status: int, headers: Mapping[str, str], body: bytes) -> None:
        self.send_response(status)
        sent = {k.lower() for k in headers}
        for key, value in headers.items():
            if key.lower() in ("content-length", "connection", "transfer-encoding"):
                continue
            self.send_header(key, value)
        if "x-amzn-requestid" not in sent:
            import uuid

            self.send_header("x-amzn-RequestId", str(uuid.uuid4()))
        payload = b"" if self.command == "HEAD" else body
        self.send_header("Content-Length", str(len(body)))
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        if payload:
            self.wfile.write(payload)
        self.wfile.flush()

    # ------------------------------------------------------------------ bodies

    def _read_body(self) -> bytes:
        limit = self.server.limits.max_body_bytes
        encoding = (self.headers.get("Transfer-Encoding") or "").strip().lower()
        lengths = self.headers.get_all("Content-Length") or []
        if encoding:
            if encoding != "chunked":
                raise _BadFraming(
                    501, "MalformedHTTPRequest", f"unsupported Transfer-Encoding {encoding!r}"
                )
            if lengths:  # RFC 9112 section 6.3: both is a framing attack; refuse it
                raise _BadFraming(
                    400,
                    "MalformedHTTPRequest",
                    "both Transfer-Encoding and Content-Length were given",
                )
            return self._read_chunked(limit)
        if not lengths:
            return b""
        if len(set(lengths)) != 1 or not lengths[0].strip().isdigit():
            raise _BadFraming(
                400, "MalformedHTTPRequest", f"invalid Content-Length {', '.join(lengths)!r}"
            )
        n = int(lengths[0].strip())
        if n > limit:
            raise _BadFraming(
                413,
                "RequestEntityTooLarge",
                f"the request body of {n} bytes is over this server's limit of {limit} bytes",
            )
        return self._read_exactly(n)

    def _read_exactly(self, n: int) -> bytes:
        data = self.rfile.read(n) if n else b""
        if len(data) != n:  # the client closed the connection before sending it all
            raise _BadFraming(
                400, "MalformedHTTPRequest", f"the body ended after {len(data)} of {n} bytes"
            )
        return data

    def _read_chunked(self, limit: int) -> bytes:
        parts: list[bytes] = []
        total = 0
        line_limit = self.server.limits.max_chunk_line
        while True:
            line = self.rfile.readline(line_limit + 1)
            if not line.endswith(b"\n"):
                if len(line) > line_limit:
                    raise _BadFraming(400, "MalformedHTTPRequest", "chunk-size line too long")
                raise _BadFraming(400, "MalformedHTTPRequest", "the chunked body ended early")
            size_text = line.split(b";", 1)[0].strip()
            try:
                size = int(size_text, 16)
            except ValueError:
                raise _BadFraming(
                    400, "MalformedHTTPRequest", f"invalid chunk size {size_text[:40]!r}"
                ) from None
            if size < 0:
                raise _BadFraming(400, "MalformedHTTPRequest", "negative chunk size")
            if size == 0:
                break
            total += size
            if total > limit:
                raise _BadFraming(
                    413,
                    "RequestEntityTooLarge",
                    f"the chunked request body is over this server's limit of {limit} bytes",
                )
            parts.append(self._read_exactly(size))
            if self.rfile.readline(3) not in (b"\r\n", b"\n"):
                raise _BadFraming(400, "MalformedHTTPRequest", "a chunk is not followed by CRLF")
        for _ in range(100):  # trailer fields, up to the empty line
            trailer = self.rfile.readline(line_limit + 1)
            if trailer in (b"\r\n", b"\n"):
                return b"".join(parts)
            if not trailer.endswith(b"\n"):
                raise _BadFraming(400, "MalformedHTTPRequest", "the chunked body ended early")
        raise _BadFraming(400, "MalformedHTTPRequest", "too many trailer fields")


def load_service_models() -> None:
    """Load botocore's models of the three services now, where the emulator and the scenario
    checks will need them. Loading one takes a second or more of CPU; on a first request that
    second would be a minute of emulated time at 60x (ten at 600x) passing inside one call, e.g.
    a whole canary bake elapsing during the first UpdateEndpoint."""
    from guardsim.emulator.core import SERVICES, service_model
    from guardsim.scenarios.boto_shapes import input_shape, shape

    for service in SERVICES:
        service_model(service)
    shape("sagemaker", "DeploymentConfig")
    input_shape("cloudwatch", "PutMetricAlarm")


# --------------------------------------------------------------------------- client side


def is_loopback(url: str) -> bool:
    """True if ``url`` names this machine (127.0.0.0/8, ::1 or ``localhost``)."""
    host = urlsplit(url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def emulator_clock(endpoint_url: str | None, timeout: float = 2.0) -> ScaledClock | None:
    """A clock in step with the ``guardsim serve`` at ``endpoint_url``, or None when the URL is
    not on this machine or does not answer as guardsim serve (real AWS is never asked).

    Its ``now()`` is the emulator's time and its ``sleep(s)`` waits ``s / speed`` of wall time:
    the server's own :class:`~guardsim.emulator.clock.ScaledClock`, started where the server's
    is now (both count from the machine's monotonic clock, so they do not drift apart)."""
    if not endpoint_url or not is_loopback(endpoint_url):
        return None
    import urllib.error
    import urllib.request

    url = endpoint_url.rstrip("/") + CLOCK_PATH
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            data = json.loads(response.read(4096))
    except (OSError, ValueError, urllib.error.URLError):
        return None
    if not isinstance(data, dict) or data.get("guardsim") != 1:
        return None
    now, speed = data.get("now"), data.get("speed")
    if not isinstance(now, int | float) or not isinstance(speed, int | float) or speed <= 0:
        return None
    return ScaledClock(speed=float(speed), start=float(now))


__all__ = [
    "CLOCK_PATH",
    "DEFAULT_HOST",
    "DEFAULT_PORT",
    "EmulatorServer",
    "Limits",
    "Responder",
    "answer",
    "emulator_clock",
    "error_reply",
    "is_loopback",
    "load_service_models",
]
