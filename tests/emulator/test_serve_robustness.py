"""``guardsim serve`` survives 1,000 malformed requests and 50 concurrent clients, in bounded
memory, and still answers afterwards (issue 18's acceptance). 127.0.0.1 only; the count, the
sizes and the seed are fixed, so the test is bounded in time (a few seconds) and repeatable."""

from __future__ import annotations

import random
import threading
from concurrent.futures import ThreadPoolExecutor

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError
from serve_helpers import client, create_model, parse_reply, raw_exchange, rss_bytes, serving

MALFORMED = 1000
CLIENTS = 50
#: The bound on growth of this process's memory over the whole test. The server holds at most
#: one body per connection, each at most Limits.max_body_bytes (8 MiB), and these requests come
#: one at a time (the concurrent clients send small ones): what it may keep is tens of MiB of
#: interpreter and botocore caches, never the terabytes the Content-Lengths below announce.
RSS_GROWTH_LIMIT = 96 * 1024 * 1024

SM_HEAD = (
    b"POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-amz-json-1.1\r\n"
    b"X-Amz-Target: SageMaker.%s\r\n"
)


def _malformed(i: int, rng: random.Random) -> tuple[str, bytes]:
    """The i-th malformed request: (kind, bytes on the wire)."""
    kind = i % 10
    junk = rng.randbytes(rng.randint(1, 2000))
    if kind == 0:
        return "random bytes", junk
    if kind == 1:
        body = b'{"EndpointName": ' + junk
        return "bad JSON", SM_HEAD % b"DescribeEndpoint" + b"Content-Length: %d\r\n\r\n" % len(
            body
        ) + body
    if kind == 2:
        name = "".join(rng.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZabcxyz") for _ in range(12))
        return "unknown target", SM_HEAD % name.encode() + b"Content-Length: 2\r\n\r\n{}"
    if kind == 3:
        size = rng.randint(10**7, 10**15)
        return (
            "huge Content-Length",
            SM_HEAD % b"CreateModel" + b"Content-Length: %d\r\n\r\n{" % size,
        )
    if kind == 4:
        body = b'{"ModelName": "' + b"m" * 1000
        cut = rng.randint(1, len(body) - 1)
        return "truncated body", SM_HEAD % b"CreateModel" + b"Content-Length: %d\r\n\r\n" % len(
            body
        ) + body[:cut]
    if kind == 5:
        return "bad chunks", SM_HEAD % b"ListModels" + b"Transfer-Encoding: chunked\r\n\r\n" + junk
    if kind == 6:
        return "random CBOR", (
            b"POST /service/GraniteServiceVersion20100801/operation/DescribeAlarms HTTP/1.1\r\n"
            b"Host: 127.0.0.1\r\nsmithy-protocol: rpc-v2-cbor\r\nContent-Type: application/cbor\r\n"
            b"Content-Length: %d\r\n\r\n" % len(junk)
        ) + junk
    if kind == 7:
        depth = rng.randint(2000, 50000)  # deeper than Python's recursion limit
        body = b"[" * depth
        return "deep JSON", SM_HEAD % b"CreateEndpoint" + b"Content-Length: %d\r\n\r\n" % len(
            body
        ) + body
    if kind == 8:
        return "huge header", SM_HEAD % b"ListModels" + b"X-Junk: " + b"a" * 70000 + b"\r\n\r\n"
    wrong = rng.choice([b"[]", b"null", b'{"EndpointName": 5}', b'"text"', b"{}"])
    return "wrong shapes", SM_HEAD % b"DescribeEndpoint" + b"Content-Length: %d\r\n\r\n" % len(
        wrong
    ) + wrong


def test_malformed_requests_and_concurrent_clients_leave_the_server_answering() -> None:
    rng = random.Random(18)  # the number: a fixed seed, the same requests every run
    with serving(None) as server:
        sm = client("sagemaker", server.url)
        # the 50 clients come from one session (one copy of botocore's service model; a session
        # each would cost this process ~20 MB apiece, which is the test's memory, not the
        # server's), made before measuring, as is a first request
        session = boto3.session.Session(
            aws_access_key_id="testing", aws_secret_access_key="testing", region_name="us-east-1"
        )
        config = Config(retries={"max_attempts": 1})
        clients = [
            session.client("sagemaker", endpoint_url=server.url, config=config)
            for _ in range(CLIENTS)
        ]
        create_model(sm, "before")
        before = rss_bytes()

        answered: dict[str, list[int]] = {}
        silent: dict[str, int] = {}
        for i in range(MALFORMED):
            kind, data = _malformed(i, rng)
            raw = raw_exchange(server.port, data)
            if raw:
                answered.setdefault(kind, []).append(parse_reply(raw)[0])
            else:
                silent[kind] = silent.get(kind, 0) + 1
        # a body really over the 8 MiB limit, chunked, refused while it is read
        for _ in range(1):
            big = SM_HEAD % b"ListModels" + b"Transfer-Encoding: chunked\r\n\r\n"
            big += b"".join(b"100000\r\n" + b"z" * 0x100000 + b"\r\n" for _ in range(9))
            assert parse_reply(raw_exchange(server.port, big))[0] == 413

        # Every malformed request got a client error (never a 5xx: that would be a bug), the
        # truncated ones too (their client half-closed but still listens)
        not_client_errors = {
            kind: sorted(set(v))
            for kind, v in answered.items()
            if not all(400 <= s < 500 for s in v)
        }
        assert not_client_errors == {}
        assert silent == {}
        assert sum(len(v) for v in answered.values()) == MALFORMED
        assert set(answered["huge Content-Length"]) == {413}
        assert set(answered["unknown target"]) == {400}

        # 50 clients at once, each with its own connection, all answered
        barrier = threading.Barrier(CLIENTS)

        def one_client(k: int) -> str:
            own = clients[k]
            barrier.wait(timeout=30)
            create_model(own, f"concurrent-{k}")
            try:
                own.describe_endpoint(EndpointName=f"missing-{k}")
            except ClientError as exc:
                assert exc.response["Error"]["Code"] == "ValidationException"
            return str(own.describe_model(ModelName=f"concurrent-{k}")["ModelName"])

        with ThreadPoolExecutor(max_workers=CLIENTS) as pool:
            names = list(pool.map(one_client, range(CLIENTS)))
        assert names == [f"concurrent-{k}" for k in range(CLIENTS)]

        after = rss_bytes()
        assert after - before < RSS_GROWTH_LIMIT, (before, after)
        # and the server still answers, on a new connection
        create_model(sm, "after")
        assert sm.describe_model(ModelName="after")["ModelName"] == "after"
        assert server._serving is not None and server._serving.is_alive()


def test_the_listen_backlog_holds_as_many_connections_as_are_served() -> None:
    """Connections that arrive while the server is busy wait in the kernel's backlog. With
    socketserver's default of 5, Linux drops the handshakes over it and a client under load can
    see its connection closed before any answer (the concurrent clients above, once in a few
    dozen rounds on a loaded machine). Here the server is made but not started, so nothing is
    accepted: every one of 60 connections must still complete its handshake from the backlog."""
    import socket

    from guardsim.emulator.server import EmulatorServer, Limits

    limits = Limits()
    server = EmulatorServer(None, lambda *_: None, port=0, limits=limits)  # type: ignore[arg-type]
    assert server.request_queue_size >= limits.max_connections
    opened: list[socket.socket] = []
    try:
        refused = 0
        for _ in range(60):
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sock.settimeout(0.5)
            opened.append(sock)
            try:
                sock.connect(("127.0.0.1", server.port))
            except (TimeoutError, OSError):
                refused += 1
        assert refused == 0
    finally:
        for sock in opened:
            sock.close()
        server.server_close()
