"""The HTTP layer of ``guardsim serve`` on its own (a stand-in Emulator that echoes): routing of
one port to three services, body framing and limits, keep-alive, timeouts, the connection
bound, and errors in AWS's shape. 127.0.0.1 only."""

from __future__ import annotations

import http.client
import json
import socket
import time
from collections.abc import Mapping

import pytest
from serve_helpers import Echo, echo_server, error_code, parse_reply, raw_exchange, wait_for

from guardsim.emulator import service_for
from guardsim.emulator.server import CLOCK_PATH, EmulatorServer, Limits


def _request(
    port: int, method: str, path: str, headers: Mapping[str, str], body: bytes = b""
) -> tuple[int, dict[str, str], bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request(method, path, body=body, headers=dict(headers))
        response = conn.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        conn.close()


@pytest.mark.parametrize(
    ("path", "headers", "service"),
    [
        ("/", {"X-Amz-Target": "SageMaker.ListModels"}, "sagemaker"),
        ("/", {"X-Amz-Target": "GraniteServiceVersion20100801.DescribeAlarms"}, "cloudwatch"),
        (
            "/service/GraniteServiceVersion20100801/operation/DescribeAlarms",
            {"smithy-protocol": "rpc-v2-cbor"},
            "cloudwatch",
        ),
        ("/endpoints/my-ep/invocations", {"Content-Type": "text/csv"}, "sagemaker-runtime"),
    ],
)
def test_one_port_routes_each_service(path: str, headers: dict[str, str], service: str) -> None:
    with echo_server() as server:
        status, _, body = _request(server.port, "POST", path, headers, b"1,2")
        assert status == 200
        data = json.loads(body)
        assert data["service"] == service and data["method"] == "POST"
        assert data["url"] == f"{server.url}{path}" and data["body"] == "1,2"


def test_a_request_for_no_known_service_is_answered_by_the_server() -> None:
    with echo_server() as server:
        status, headers, body = _request(server.port, "POST", "/", {"X-Amz-Target": "S3.Get"})
        assert status == 400
        assert server.emulator.calls == 0  # type: ignore[attr-defined]
        for service in ("sagemaker", "sagemaker-runtime"):
            assert error_code(service, status, headers, body) == "UnknownOperationException"


def test_a_body_over_the_limit_is_refused_before_it_is_read() -> None:
    with echo_server(Limits(max_body_bytes=1000)) as server:
        target = {"X-Amz-Target": "SageMaker.ListModels"}
        status, headers, body = _request(server.port, "POST", "/", target, b"x" * 1001)
        assert status == 413 and headers["connection"] == "close"
        assert error_code("sagemaker", status, headers, body) == "RequestEntityTooLarge"
        # a Content-Length of a terabyte is refused at once, with nothing sent after the headers
        raw = raw_exchange(
            server.port,
            b"POST / HTTP/1.1\r\nHost: x\r\nX-Amz-Target: SageMaker.ListModels\r\n"
            b"Content-Length: 1000000000000\r\n\r\n",
        )
        assert parse_reply(raw)[0] == 413
        # exactly at the limit is fine
        status, _, body = _request(server.port, "POST", "/", target, b"x" * 1000)
        assert status == 200 and json.loads(body)["length"] == 1000
        assert server.emulator.calls == 1  # type: ignore[attr-defined]


def test_chunked_bodies_are_read_and_bounded() -> None:
    with echo_server(Limits(max_body_bytes=1000)) as server:
        head = (
            b"POST / HTTP/1.1\r\nHost: x\r\nX-Amz-Target: SageMaker.ListModels\r\n"
            b"Transfer-Encoding: chunked\r\n\r\n"
        )
        status, _, body = parse_reply(
            raw_exchange(server.port, head + b"3;x=y\r\nabc\r\n2\r\nde\r\n0\r\n\r\n")
        )
        assert status == 200 and json.loads(body)["body"] == "abcde"
        over = head + b"".join(b"1f4\r\n" + b"y" * 500 + b"\r\n" for _ in range(3)) + b"0\r\n\r\n"
        status, headers, body = parse_reply(raw_exchange(server.port, over))
        assert status == 413
        assert error_code("sagemaker", status, headers, body) == "RequestEntityTooLarge"
        status, headers, body = parse_reply(raw_exchange(server.port, head + b"zz\r\nabc\r\n"))
        assert status == 400
        assert error_code("sagemaker", status, headers, body) == "MalformedHTTPRequest"


@pytest.mark.parametrize(
    "framing",
    [
        b"Content-Length: -5\r\n",
        b"Content-Length: ten\r\n",
        b"Content-Length: 3\r\nContent-Length: 4\r\n",
        b"Content-Length: 3\r\nTransfer-Encoding: chunked\r\n",
        b"Transfer-Encoding: gzip\r\n",
    ],
)
def test_bad_framing_is_refused_and_the_connection_closed(framing: bytes) -> None:
    with echo_server() as server:
        raw = raw_exchange(
            server.port,
            b"POST / HTTP/1.1\r\nHost: x\r\nX-Amz-Target: SageMaker.ListModels\r\n"
            + framing
            + b"\r\nabc",
        )
        status, headers, body = parse_reply(raw)
        assert status in (400, 501) and headers["connection"] == "close"
        assert error_code("sagemaker", status, headers, body) == "MalformedHTTPRequest"
        assert server.emulator.calls == 0  # type: ignore[attr-defined]


def test_garbage_gets_an_aws_shaped_400() -> None:
    with echo_server() as server:
        status, headers, body = parse_reply(
            raw_exchange(server.port, b"HELLO THERE FRIEND X\r\n\r\n")
        )
        assert status == 400
        assert error_code("sagemaker", status, headers, body) == "MalformedHTTPRequest"


def test_keep_alive_serves_several_requests_on_one_connection() -> None:
    with echo_server() as server:
        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
        try:
            sockets = []
            for i in range(3):
                conn.request(
                    "POST", "/", body=str(i).encode(), headers={"X-Amz-Target": "SageMaker.X"}
                )
                response = conn.getresponse()
                assert response.status == 200 and json.loads(response.read())["body"] == str(i)
                sockets.append(conn.sock)
            assert sockets[0] is sockets[1] is sockets[2]
        finally:
            conn.close()


def test_an_idle_connection_is_closed_after_the_timeout() -> None:
    with echo_server(Limits(timeout_seconds=0.3)) as server:
        with socket.create_connection(("127.0.0.1", server.port), timeout=5) as sock:
            sock.sendall(b"POST / HTTP/1.1\r\n")  # and nothing more: a stalled client
            started = time.monotonic()
            assert sock.recv(1024) == b""  # the server hung up
            assert time.monotonic() - started < 4.0
        wait_for(lambda: server.open_connections() == 0, timeout=5.0)


def test_connections_over_the_bound_get_503_and_the_server_recovers() -> None:
    with echo_server(Limits(max_connections=4)) as server:
        held = [socket.create_connection(("127.0.0.1", server.port), timeout=5) for _ in range(4)]
        try:
            wait_for(lambda: server.open_connections() == 4, timeout=5.0)
            status, headers, body = parse_reply(
                raw_exchange(server.port, b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
            )
            assert status == 503
            assert error_code("sagemaker", status, headers, body) == "ServiceUnavailable"
        finally:
            for sock in held:
                sock.close()
        wait_for(lambda: server.open_connections() == 0, timeout=5.0)
        status, _, _ = _request(server.port, "POST", "/", {"X-Amz-Target": "SageMaker.X"})
        assert status == 200


class _Broken:
    def respond(self, *args: object) -> tuple[int, dict[str, str], bytes]:
        raise RuntimeError("a bug")


def test_a_bug_in_the_emulator_is_a_500_internal_failure_and_the_server_goes_on() -> None:
    import io

    log = io.StringIO()
    with EmulatorServer(_Broken(), service_for, port=0, log=log) as server:
        for _ in range(2):
            status, headers, body = _request(
                server.port, "POST", "/", {"X-Amz-Target": "SageMaker.X"}
            )
            assert status == 500
            assert error_code("sagemaker", status, headers, body) == "InternalFailure"
    assert "RuntimeError: a bug" in log.getvalue()


def test_close_returns_promptly_with_idle_keep_alive_connections() -> None:
    server = EmulatorServer(Echo(), service_for, port=0).start()
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    conn.request("POST", "/", body=b"", headers={"X-Amz-Target": "SageMaker.X"})
    conn.getresponse().read()  # the connection stays open, idle
    started = time.monotonic()
    server.close()
    assert time.monotonic() - started < 5.0
    conn.close()
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", server.port), timeout=1).close()


def test_without_a_clock_the_clock_path_is_404() -> None:
    with echo_server() as server:
        status, headers, body = _request(server.port, "GET", CLOCK_PATH, {})
        assert status == 404
        assert error_code("sagemaker", status, headers, body) == "UnknownOperationException"


def test_the_server_listens_on_loopback_by_default() -> None:
    with echo_server() as server:
        assert server.server_address[0] == "127.0.0.1"
        assert server.url == f"http://127.0.0.1:{server.port}"
