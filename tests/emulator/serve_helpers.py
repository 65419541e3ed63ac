"""Helpers of the ``guardsim serve`` tests: a server in a thread, clients pointed at it, the CLI
as a subprocess. Everything listens on 127.0.0.1 only."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from guardsim.emulator import Emulator, Event, ScaledClock, load_world, service_for
from guardsim.emulator.server import EmulatorServer, Limits, load_service_models

SRC = Path(__file__).resolve().parents[2] / "src"
ROLE = "arn:aws:iam::123456789012:role/guardsim-test"
GOOD_IMAGE = "123456789012.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1"
#: the notebooks' incompatible model: the world below makes every request to it fail
BAD_IMAGE = "123456789012.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:0.90-2"
MODEL_DATA = "s3://guardsim-test-bucket/model.tar.gz"

#: The issue's minimal world: the incompatible image is slow and answers 5xx, everything else
#: is healthy.
WORLD: dict[str, Any] = {
    "models": [
        {
            "match": {"image": "sagemaker-xgboost:0.90-2"},
            "behaviour": {"latency": {"median_ms": 40, "p99_ms": 120}, "error_rate_5xx": 1.0},
        },
        {"match": {}, "behaviour": {"latency": {"median_ms": 3, "p99_ms": 10}}},
    ],
    "environment": {},
}

#: Dummy credentials and nothing from this machine's AWS configuration.
DUMMY_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_REGION": "us-east-1",
    "AWS_CONFIG_FILE": os.devnull,
    "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
    "AWS_EC2_METADATA_DISABLED": "true",
}


@contextmanager
def serving(
    world: Mapping[str, Any] | None = None,
    *,
    speed: float = 600.0,
    start: float | None = None,
    records: Path | None = None,
    limits: Limits = Limits(),  # noqa: B008
    events: list[Event] | None = None,
) -> Iterator[EmulatorServer]:
    """An emulator behind a server on 127.0.0.1 and a free port, in a thread (as guardsim
    serve makes them)."""
    load_service_models()
    clock = ScaledClock(speed=speed, start=start)
    emulator = Emulator(
        load_world(world),
        clock,
        on_event=None if events is None else events.append,
        records_dir=records,
    )
    server = EmulatorServer(
        emulator,
        service_for,
        port=0,
        limits=limits,
        clock=clock.now,
        speed=speed,
        tick=emulator.advance,
    )
    with server:
        yield server


def client(service: str, url: str, **config: Any) -> Any:
    """A boto3 client of ``service`` with dummy credentials, pointed at ``url``."""
    import boto3
    from botocore.config import Config

    return boto3.session.Session(
        aws_access_key_id="testing", aws_secret_access_key="testing", region_name="us-east-1"
    ).client(service, endpoint_url=url, config=Config(**config) if config else None)


def create_model(sm: Any, name: str, image: str = GOOD_IMAGE) -> None:
    sm.create_model(
        ModelName=name,
        ExecutionRoleArn=ROLE,
        PrimaryContainer={"Image": image, "ModelDataUrl": MODEL_DATA},
    )


def create_config(sm: Any, name: str, model: str, count: int = 2) -> None:
    sm.create_endpoint_config(
        EndpointConfigName=name,
        ProductionVariants=[
            {
                "VariantName": "AllTraffic",
                "ModelName": model,
                "InstanceType": "ml.m5.xlarge",
                "InitialInstanceCount": count,
            }
        ],
    )


def wait_for(predicate: Any, timeout: float, poll: float = 0.05) -> Any:
    """Poll ``predicate()`` until it returns something truthy (or fail after ``timeout`` s)."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"not true within {timeout} s: last value {value!r}")
        time.sleep(poll)


def raw_exchange(port: int, data: bytes, timeout: float = 5.0) -> bytes:
    """Send ``data`` on a fresh connection, half-close it, read the answer until EOF."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        try:
            sock.sendall(data)
            sock.shutdown(socket.SHUT_WR)
        except OSError:  # the server may refuse and close before everything is sent
            pass
        chunks = []
        try:
            while chunk := sock.recv(65536):
                chunks.append(chunk)
        except (ConnectionResetError, TimeoutError):
            pass
    return b"".join(chunks)


def parse_reply(raw: bytes) -> tuple[int, dict[str, str], bytes]:
    """(status, headers, body) of one raw HTTP/1.1 response."""
    head, _, body = raw.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {}
    for line in lines[1:]:
        key, _, value = line.partition(":")
        headers[key.strip().lower()] = value.strip()
    return status, headers, body


def error_code(service: str, status: int, headers: Mapping[str, str], body: bytes) -> str:
    """The error code botocore's own parser for ``service`` reads from a response (what a
    ``ClientError`` would carry)."""
    import botocore.parsers

    from guardsim.emulator.core import service_model

    model = service_model(service)
    protocol = getattr(model, "resolved_protocol", None) or model.protocol
    parsed = botocore.parsers.create_parser(protocol).parse(
        {"status_code": status, "headers": dict(headers), "body": body}, None
    )
    return str(parsed["Error"]["Code"])


def guardsim_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(DUMMY_ENV)
    env["PYTHONPATH"] = str(SRC) + os.pathsep + env.get("PYTHONPATH", "")
    env.update(extra)
    return env


URL_LINE = re.compile(r"export AWS_ENDPOINT_URL=(\S+)")


class ServeProcess:
    """A ``guardsim serve`` subprocess whose output is read as it comes (a full pipe would block
    the server), with its URL read from the banner."""

    def __init__(self, proc: subprocess.Popen[str]) -> None:
        self.proc = proc
        self.lines: list[str] = []
        self.errors: list[str] = []
        self._url: str | None = None
        self._found = threading.Event()
        self._readers = [
            threading.Thread(target=self._read, args=(proc.stdout, self.lines), daemon=True),
            threading.Thread(target=self._read, args=(proc.stderr, self.errors), daemon=True),
        ]
        for reader in self._readers:
            reader.start()

    def _read(self, stream: Any, into: list[str]) -> None:
        for line in stream:
            into.append(line)
            if self._url is None and (match := URL_LINE.search(line)):
                self._url = match.group(1)
                self._found.set()
        self._found.set()  # ended: whoever waits for the URL stops waiting

    def url(self, timeout: float) -> str:
        self._found.wait(timeout)
        if self._url is None:
            raise AssertionError(f"guardsim serve printed no URL: {''.join(self.errors)}")
        return self._url

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 15.0) -> int:
        """Send ``sig``, wait for the exit, and return the exit status (output read to the end)."""
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        try:
            status = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise AssertionError("guardsim serve did not stop within the timeout") from None
        for reader in self._readers:
            reader.join(timeout)
        for stream in (self.proc.stdout, self.proc.stderr):
            if stream is not None:
                stream.close()
        return status

    @property
    def out(self) -> str:
        return "".join(self.lines)

    @property
    def err(self) -> str:
        return "".join(self.errors)


@contextmanager
def serve_process(*args: str, timeout: float = 20.0) -> Iterator[tuple[ServeProcess, str]]:
    """``guardsim serve --port 0 ARGS`` as a subprocess; yields it and its URL. Stopped with
    SIGTERM afterwards if still running."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "guardsim", "serve", "--port", "0", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=guardsim_env(),
    )
    served = ServeProcess(proc)
    try:
        yield served, served.url(timeout)
    finally:
        served.stop()


def rss_bytes() -> int:
    """This process's resident set size now (Linux /proc)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise AssertionError("no VmRSS in /proc/self/status")


def load_json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


class Echo:
    """A stand-in Emulator for the HTTP layer's tests: answers 200 with what it was given."""

    def __init__(self) -> None:
        self.calls = 0

    def respond(
        self, service: str, method: str, url: str, headers: Mapping[str, str], body: bytes
    ) -> tuple[int, dict[str, str], bytes]:
        self.calls += 1
        data = {"service": service, "method": method, "url": url, "length": len(body)}
        data["body"] = body.decode("latin-1")
        return 200, {"Content-Type": "application/x-amz-json-1.1"}, json.dumps(data).encode()


@contextmanager
def echo_server(limits: Limits = Limits()) -> Iterator[EmulatorServer]:  # noqa: B008
    """The real server in front of :class:`Echo`, on 127.0.0.1 and a free port."""
    with EmulatorServer(Echo(), service_for, port=0, limits=limits) as server:
        yield server
