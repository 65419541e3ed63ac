"""Wire formats of the emulator: requests in, responses out, as botocore (and AWS) have them.

The emulator answers at the HTTP level, so botocore serialises every request and parses every
response itself. This module reads the protocols the three services' clients speak and writes
responses in them. A client speaks the first protocol of the model's ``protocols`` that its
botocore supports (``service_model.resolved_protocol``): botocore 1.43's CloudWatch model lists
``smithy-rpc-v2-cbor``, ``json`` and ``query``, and its client picks ``json``; older botocores,
the AWS CLI v1 and other SDKs speak ``query``. The protocol of each request is read from the
request itself (:func:`request_protocol`), so one emulator answers every client. All are handled:

* ``json`` (SageMaker, JSON 1.1; CloudWatch, JSON 1.0 in query-compatible mode): the operation
  in ``X-Amz-Target``, a JSON body, timestamps as epoch seconds; CloudWatch errors carry the
  ``x-amzn-query-error`` header with the query error code (``awsQueryCompatible``);
* ``smithy-rpc-v2-cbor``: the operation in the URL path, a CBOR body, timestamps as CBOR tag 1
  (epoch seconds), errors with ``__type`` and the same header;
* ``query`` (CloudWatch's original protocol, https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/making-api-requests.html):
  a form-encoded POST with ``Action`` and ``Version``, members flattened to ``Name.member.N``
  and ``Name.Sub``; an XML response ``<OpResponse><OpResult>...`` built from the operation's
  output shape (its ``resultWrapper`` and member names), errors as ``<ErrorResponse>``;
* ``rest-json`` (SageMaker Runtime ``InvokeEndpoint``): the endpoint name in the path, the body
  as is, results in headers.

Every successful response is first checked against the operation's output shape with
botocore's own ``ParamValidator`` (what ``botocore.stub.Stubber`` does), so the fake cannot
return what the real service could not. Reading and writing the query protocol is by hand
(botocore has the client's side only: its serializer writes requests and its parser reads
responses); the tests check both ends against botocore's own.
"""

from __future__ import annotations

import base64
import io
import json
import math
import struct
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import unquote, urlsplit


class WireError(Exception):
    """The emulator met a request it cannot read, or produced a response that is not valid: a
    bug in the emulator or in a test, so deliberately not a GuardsimError (nothing may swallow
    it)."""


# --------------------------------------------------------------------------- CBOR


@dataclass(frozen=True)
class _Tag:
    tag: int
    value: Any


def _head(major: int, n: int) -> bytes:
    if n < 24:
        return bytes([major << 5 | n])
    for info, size in ((24, 1), (25, 2), (26, 4), (27, 8)):
        if n < 1 << (8 * size):
            return bytes([major << 5 | info]) + n.to_bytes(size, "big")
    raise WireError(f"integer too large for CBOR: {n}")


def cbor_encode(value: Any) -> bytes:
    """RFC 8949 encoding of None, bool, int, float, str, bytes, list, dict and tag 1."""
    out = bytearray()
    _encode(value, out)
    return bytes(out)


def _encode(value: Any, out: bytearray) -> None:
    if value is None:
        out.append(0xF6)
    elif value is True:
        out.append(0xF5)
    elif value is False:
        out.append(0xF4)
    elif isinstance(value, int):
        out += _head(0, value) if value >= 0 else _head(1, -1 - value)
    elif isinstance(value, float):
        out += b"\xfb" + struct.pack(">d", value)
    elif isinstance(value, str):
        data = value.encode("utf-8")
        out += _head(3, len(data)) + data
    elif isinstance(value, bytes | bytearray):
        out += _head(2, len(value)) + bytes(value)
    elif isinstance(value, list | tuple):
        out += _head(4, len(value))
        for item in value:
            _encode(item, out)
    elif isinstance(value, Mapping):
        out += _head(5, len(value))
        for k, v in value.items():
            _encode(k, out)
            _encode(v, out)
    elif isinstance(value, _Tag):
        out += _head(6, value.tag)
        _encode(value.value, out)
    else:
        raise WireError(f"cannot encode {type(value).__name__} as CBOR")


def cbor_decode(data: bytes) -> Any:
    """Decode one CBOR data item (definite and indefinite lengths; tag 1 -> datetime)."""
    stream = io.BytesIO(data)
    value = _decode(stream)
    return value


_BREAK = object()


def _read(stream: io.BytesIO, n: int) -> bytes:
    data = stream.read(n)
    if len(data) != n:
        raise WireError("truncated CBOR")
    return data


def _decode(stream: io.BytesIO) -> Any:
    initial = _read(stream, 1)[0]
    major, info = initial >> 5, initial & 0x1F
    if initial == 0xFF:
        return _BREAK
    if major == 7:
        if info == 20:
            return False
        if info == 21:
            return True
        if info in (22, 23):
            return None
        if info == 25:
            return float(struct.unpack(">e", _read(stream, 2))[0])
        if info == 26:
            return float(struct.unpack(">f", _read(stream, 4))[0])
        if info == 27:
            return float(struct.unpack(">d", _read(stream, 8))[0])
        raise WireError(f"unsupported CBOR simple value {info}")
    if info < 24:
        n: int | None = info
    elif info in (24, 25, 26, 27):
        n = int.from_bytes(_read(stream, 1 << (info - 24)), "big")
    elif info == 31:
        n = None  # indefinite length
    else:
        raise WireError(f"bad CBOR additional info {info}")
    if major == 0:
        return n
    if major == 1:
        return -1 - (n or 0)
    if major in (2, 3):
        if n is None:
            chunks = []
            while (chunk := _decode(stream)) is not _BREAK:
                chunks.append(chunk)
            joined = b"".join(c if isinstance(c, bytes) else c.encode() for c in chunks)
            return joined if major == 2 else joined.decode("utf-8")
        raw = _read(stream, n)
        return raw if major == 2 else raw.decode("utf-8")
    if major == 4:
        items = []
        if n is None:
            while (item := _decode(stream)) is not _BREAK:
                items.append(item)
        else:
            items = [_decode(stream) for _ in range(n)]
        return items
    if major == 5:
        result: dict[Any, Any] = {}
        if n is None:
            while (key := _decode(stream)) is not _BREAK:
                result[key] = _decode(stream)
        else:
            for _ in range(n):
                key = _decode(stream)
                result[key] = _decode(stream)
        return result
    if major == 6:
        value = _decode(stream)
        if n == 1 and isinstance(value, int | float):
            return datetime.fromtimestamp(value, UTC)
        return value
    raise WireError(f"unsupported CBOR major type {major}")


# --------------------------------------------------------------------------- shapes


def to_wire(value: Any, shape: Any, protocol: str) -> Any:
    """A parsed-response value as the protocol carries it (timestamps, blobs, member names)."""
    kind = shape.type_name
    if value is None:
        return None
    if kind == "structure":
        out = {}
        for key, item in value.items():
            if item is None:
                continue
            member = shape.members[key]
            name = member.serialization.get("name", key)
            out[name] = to_wire(item, member, protocol)
        return out
    if kind == "list":
        return [to_wire(v, shape.member, protocol) for v in value]
    if kind == "map":
        return {k: to_wire(v, shape.value, protocol) for k, v in value.items()}
    if kind == "timestamp":
        stamp = value.timestamp() if isinstance(value, datetime) else float(value)
        return _Tag(1, float(stamp)) if protocol == "smithy-rpc-v2-cbor" else stamp
    if kind == "blob":
        data = value if isinstance(value, bytes) else str(value).encode()
        return data if protocol == "smithy-rpc-v2-cbor" else base64.b64encode(data).decode()
    if kind in ("double", "float"):
        f = float(value)
        if math.isnan(f) or math.isinf(f):
            raise WireError("the emulator does not send NaN or infinity")
        return f
    if kind in ("integer", "long"):
        return int(value)
    return value


def validate_output(result: Mapping[str, Any], operation_model: Any) -> None:
    """Raise :class:`WireError` unless ``result`` is a valid output of the operation."""
    from botocore.validate import ParamValidator

    shape = operation_model.output_shape
    if shape is None:
        if result:
            raise WireError(f"{operation_model.name} has no output, got {sorted(result)}")
        return
    report = ParamValidator().validate(dict(result), shape)
    if report.has_errors():
        raise WireError(
            f"the emulator's {operation_model.name} response is not valid: "
            f"{report.generate_report()}"
        )


# --------------------------------------------------------------------------- requests


@dataclass(frozen=True)
class WireRequest:
    operation: str
    params: dict[str, Any]


def protocol_of(service_model: Any) -> str:
    """The protocol a botocore client of this model speaks (botocore >= 1.37 picks one of the
    model's ``protocols`` by its own priority; older ones have only ``protocol``)."""
    return str(getattr(service_model, "resolved_protocol", None) or service_model.protocol)


def request_protocol(service_model: Any, headers: Mapping[str, Any], url: str, body: bytes) -> str:
    """The protocol a request is in, from the request itself: RPCv2 CBOR's ``smithy-protocol``
    header, the JSON protocols' ``X-Amz-Target``, the query protocol's form-encoded ``Action``;
    else the protocol botocore would speak to this service."""
    lower = {str(k).lower(): _str(v) for k, v in headers.items()}
    if lower.get("smithy-protocol") == "rpc-v2-cbor":
        return "smithy-rpc-v2-cbor"
    if "x-amz-target" in lower:
        return "json"
    supported = list(service_model.metadata.get("protocols") or [service_model.protocol])
    if "query" in supported and (
        lower.get("content-type", "").startswith("application/x-www-form-urlencoded")
        or bytes(body).startswith(b"Action=")
    ):
        return "query"
    return protocol_of(service_model)


def _str(value: Any) -> str:
    return value.decode("latin-1") if isinstance(value, bytes) else str(value)


def read_request(request: Any, service_model: Any, protocol: str | None = None) -> WireRequest:
    """The operation and parameters of a prepared botocore request (in ``protocol``, default
    the one botocore speaks to the service)."""
    protocol = protocol or protocol_of(service_model)
    body = request.body or b""
    if isinstance(body, str):
        body = body.encode("utf-8")
    elif not isinstance(body, bytes | bytearray):
        body = body.read()
    headers = {k.lower(): v for k, v in request.headers.items()}
    path = urlsplit(request.url).path
    if protocol == "json":
        target = headers.get("x-amz-target", b"")
        target = target.decode() if isinstance(target, bytes) else str(target)
        operation = target.rsplit(".", 1)[-1]
        return WireRequest(operation, json.loads(body) if body else {})
    if protocol == "smithy-rpc-v2-cbor":
        operation = path.rstrip("/").rsplit("/", 1)[-1]
        return WireRequest(operation, cbor_decode(bytes(body)) if body else {})
    if protocol == "query":
        return read_query(bytes(body), service_model)
    if protocol == "rest-json":
        parts = path.strip("/").split("/")
        if len(parts) == 3 and parts[0] == "endpoints" and parts[2] == "invocations":
            content_type = headers.get("content-type", "")
            if isinstance(content_type, bytes):
                content_type = content_type.decode()
            params: dict[str, Any] = {
                "EndpointName": unquote(parts[1]),
                "Body": bytes(body),
                "ContentType": content_type,
            }
            # the other members botocore sends as headers (InferenceComponentName, ...), by
            # the operation's input shape
            shape = service_model.operation_model("InvokeEndpoint").input_shape
            for key, member in shape.members.items():
                wire_name = member.serialization.get("name", "")
                if key in params or member.serialization.get("location") != "header":
                    continue
                value = headers.get(wire_name.lower())
                if value is not None:
                    params[key] = value.decode() if isinstance(value, bytes) else str(value)
            return WireRequest("InvokeEndpoint", params)
        raise WireError(f"the emulator answers only InvokeEndpoint on {path}")
    raise WireError(
        f"the emulator cannot speak the {protocol!r} protocol of {service_model.service_name}"
    )


# --------------------------------------------------------------------------- query protocol

_MISSING = object()


def read_query(body: bytes, service_model: Any) -> WireRequest:
    """A query-protocol request body (``Action=...&Version=...&Name.member.1=...``) as the
    operation and its parameters, rebuilt by the operation's input shape (the inverse of
    botocore's ``QuerySerializer``)."""
    from urllib.parse import parse_qsl

    flat = dict(parse_qsl(body.decode("utf-8"), keep_blank_values=True, strict_parsing=False))
    operation = flat.pop("Action", "")
    flat.pop("Version", None)
    if operation not in service_model.operation_names:
        return WireRequest(operation, {})
    shape = service_model.operation_model(operation).input_shape
    params = _from_query(flat, "", shape) if shape is not None else {}
    return WireRequest(operation, params if isinstance(params, dict) else {})


def _from_query(flat: Mapping[str, str], prefix: str, shape: Any) -> Any:
    kind = shape.type_name
    if kind == "structure":
        if prefix and not any(k.startswith(prefix + ".") for k in flat):
            return _MISSING
        out = {}
        for name, member in shape.members.items():
            key = member.serialization.get("name", name)
            value = _from_query(flat, f"{prefix}.{key}" if prefix else key, member)
            if value is not _MISSING:
                out[name] = value
        return out
    if kind == "list":
        if flat.get(prefix) == "":  # botocore's empty list: "Name="
            return []
        name = shape.member.serialization.get("name", "member")
        base = prefix if shape.serialization.get("flattened") else f"{prefix}.{name}"
        items: list[Any] = []
        while (item := _from_query(flat, f"{base}.{len(items) + 1}", shape.member)) is not _MISSING:
            items.append(item)
        return items or _MISSING
    if kind == "map":
        base = prefix if shape.serialization.get("flattened") else f"{prefix}.entry"
        key_name = shape.key.serialization.get("name", "key")
        value_name = shape.value.serialization.get("name", "value")
        out_map = {}
        i = 1
        while f"{base}.{i}.{key_name}" in flat:
            value = _from_query(flat, f"{base}.{i}.{value_name}", shape.value)
            out_map[flat[f"{base}.{i}.{key_name}"]] = None if value is _MISSING else value
            i += 1
        return out_map or _MISSING
    if prefix not in flat:
        return _MISSING
    text = flat[prefix]
    if kind in ("integer", "long"):
        return int(text)
    if kind in ("double", "float"):
        return float(text)
    if kind == "boolean":
        return text.lower() == "true"
    if kind == "timestamp":
        return _parse_time(text)
    if kind == "blob":
        return base64.b64decode(text)
    return text


def _parse_time(text: str) -> datetime:
    try:
        return datetime.fromtimestamp(float(text), UTC)
    except ValueError:
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
        return value if value.tzinfo else value.replace(tzinfo=UTC)


def _iso(value: Any) -> str:
    stamp = value.timestamp() if isinstance(value, datetime) else float(value)
    return datetime.fromtimestamp(stamp, UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def _to_xml(parent: Any, name: str, value: Any, shape: Any) -> None:
    """Append ``value`` under ``parent`` as the query protocol's XML for ``shape``."""
    from xml.etree.ElementTree import SubElement

    kind = shape.type_name
    if value is None:
        return
    if kind == "list":
        member_name = shape.member.serialization.get("name", "member")
        if shape.serialization.get("flattened"):
            for item in value:
                _to_xml(parent, member_name or name, item, shape.member)
            return
        node = SubElement(parent, name)
        for item in value:
            _to_xml(node, member_name, item, shape.member)
        return
    node = SubElement(parent, name)
    if kind == "structure":
        for key, item in value.items():
            member = shape.members[key]
            _to_xml(node, member.serialization.get("name", key), item, member)
    elif kind == "map":
        for k, v in value.items():
            entry = SubElement(node, "entry")
            _to_xml(entry, shape.key.serialization.get("name", "key"), k, shape.key)
            _to_xml(entry, shape.value.serialization.get("name", "value"), v, shape.value)
    elif kind == "timestamp":
        node.text = _iso(value)
    elif kind == "boolean":
        node.text = "true" if value else "false"
    elif kind == "blob":
        data = value if isinstance(value, bytes) else str(value).encode()
        node.text = base64.b64encode(data).decode()
    elif kind in ("double", "float"):
        f = float(value)
        if math.isnan(f) or math.isinf(f):
            raise WireError("the emulator does not send NaN or infinity")
        node.text = repr(f)
    else:
        node.text = str(value)


def query_body(service_model: Any, operation: str, result: Mapping[str, Any]) -> bytes:
    """The XML body of a successful query-protocol response."""
    from xml.etree.ElementTree import Element, SubElement, tostring

    op = service_model.operation_model(operation)
    root = Element(f"{operation}Response", xmlns=service_model.metadata.get("xmlNamespace", ""))
    shape = op.output_shape
    if shape is not None:
        wrapper = shape.serialization.get("resultWrapper", f"{operation}Result")
        _to_xml(root, wrapper, dict(result), shape)
    meta = SubElement(root, "ResponseMetadata")
    SubElement(meta, "RequestId").text = str(uuid.uuid4())
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + tostring(root)


def query_error_body(code: str, message: str) -> bytes:
    """The XML body of a query-protocol error (``ErrorResponse``, as CloudWatch sends)."""
    from xml.etree.ElementTree import Element, SubElement, tostring

    root = Element("ErrorResponse")
    error = SubElement(root, "Error")
    SubElement(error, "Type").text = "Sender"
    SubElement(error, "Code").text = code
    SubElement(error, "Message").text = message
    SubElement(root, "RequestId").text = str(uuid.uuid4())
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + tostring(root)


# --------------------------------------------------------------------------- responses


class RawBody(io.BytesIO):
    """What botocore reads a response body from (urllib3's ``stream``/``read`` interface)."""

    def stream(self, amt: int | None = None, decode_content: bool | None = None) -> Iterator[bytes]:
        while chunk := self.read(amt or 65536):
            yield chunk


def _response(url: str, status: int, headers: dict[str, str], body: bytes) -> Any:
    from botocore.awsrequest import AWSResponse

    headers = {**headers, "content-length": str(len(body)), "x-amzn-requestid": str(uuid.uuid4())}
    return AWSResponse(url, status, headers, RawBody(body))


def success_response(
    request: Any,
    service_model: Any,
    operation: str,
    result: Mapping[str, Any],
    protocol: str | None = None,
) -> Any:
    """A validated 200 response carrying ``result`` in ``protocol`` (default: the one botocore
    speaks to the service)."""
    op = service_model.operation_model(operation)
    validate_output(result, op)
    protocol = protocol or protocol_of(service_model)
    if protocol == "query":
        return _response(
            request.url,
            200,
            {"content-type": "text/xml"},
            query_body(service_model, operation, result),
        )
    if protocol == "rest-json":  # InvokeEndpoint: payload body, the rest in headers
        headers = {}
        for key, member in op.output_shape.members.items():
            if key != "Body" and result.get(key) is not None:
                headers[member.serialization["name"]] = str(result[key])
        return _response(request.url, 200, headers, bytes(result["Body"]))
    wire = to_wire(dict(result), op.output_shape, protocol) if op.output_shape else None
    if protocol == "smithy-rpc-v2-cbor":
        body = cbor_encode(wire) if wire is not None else b""
        return _response(
            request.url,
            200,
            {"smithy-protocol": "rpc-v2-cbor", "content-type": "application/cbor"},
            body,
        )
    version = service_model.metadata.get("jsonVersion", "1.1")
    return _response(
        request.url,
        200,
        {"content-type": f"application/x-amz-json-{version}"},
        json.dumps(wire if wire is not None else {}).encode(),
    )


def error_response(
    request: Any,
    service_model: Any,
    code: str,
    message: str,
    status: int = 400,
    extra: Mapping[str, Any] | None = None,
    protocol: str | None = None,
) -> Any:
    """An error response botocore turns into ``ClientError`` with this code and message."""
    protocol = protocol or protocol_of(service_model)
    fields = dict(extra or {})
    if protocol == "query":
        return _response(
            request.url, status, {"content-type": "text/xml"}, query_error_body(code, message)
        )
    if protocol == "smithy-rpc-v2-cbor":
        prefix = service_model.metadata.get("targetPrefix", "")
        body = cbor_encode({"__type": f"{prefix}#{code}", "message": message, **fields})
        headers = {
            "smithy-protocol": "rpc-v2-cbor",
            "content-type": "application/cbor",
            "x-amzn-query-error": f"{code};Sender",
        }
        return _response(request.url, status, headers, body)
    if protocol == "rest-json":
        body = json.dumps({"message": message, **fields}).encode()
        return _response(
            request.url,
            status,
            {"x-amzn-errortype": code, "content-type": "application/json"},
            body,
        )
    headers = {"content-type": "application/x-amz-json-1.1"}
    if service_model.metadata.get("awsQueryCompatible") is not None:
        headers["x-amzn-query-error"] = f"{code};Sender"
    body = json.dumps({"__type": code, "message": message, **fields}).encode()
    return _response(request.url, status, headers, body)
