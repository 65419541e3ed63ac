"""boto3 clients for the real backend, and the one way it calls AWS.

* A :data:`ClientFactory` maps a service name (``sagemaker``, ``sagemaker-runtime``,
  ``cloudwatch``) to a botocore client. :func:`boto3_clients` makes real ones from
  ``boto3.Session(region_name=...)``, i.e. the **standard credential chain** (environment,
  shared config and SSO, container and instance roles); guardsim never reads, prints or stores
  credentials. guardsim's emulator (:class:`guardsim.emulator.EmulatedAWS`) is another factory.
* :func:`call` makes one call and turns every botocore failure into
  :class:`~guardsim.errors.AWSError` (operation and AWS error code, never the request, so no
  credentials or signatures).
* :class:`RedactingFilter` masks anything that looks like an access key, a secret or a request
  signature in log records, for handlers that might see botocore's debug logs.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Callable
from typing import Any

from guardsim.errors import AWSError, BadInputError

log = logging.getLogger("guardsim.real_backend")

#: service name -> botocore client
ClientFactory = Callable[[str], Any]

#: Control-plane retries: adaptive mode backs off *and* slows the client down on throttling.
CONTROL_RETRIES = {"mode": "adaptive", "max_attempts": 10}
#: InvokeEndpoint is not retried: SageMaker would count a retried request several times and a
#: retry would hide the error a user saw; each call is exactly one request of the traffic.
INVOKE_RETRIES = {"mode": "standard", "max_attempts": 1}
#: The runtime SDK timeout AWS recommends: the container has 60 s to answer (see
#: aws-model.md#invoke-errors).
INVOKE_READ_TIMEOUT = 70


def client_config(service: str) -> Any:
    """The botocore ``Config`` guardsim uses for ``service``."""
    from botocore.config import Config

    # copies: botocore rewrites a client's retries dict in place (max_attempts becomes
    # total_max_attempts), which would change these constants for every later client
    if service == "sagemaker-runtime":
        return Config(
            retries=dict(INVOKE_RETRIES), read_timeout=INVOKE_READ_TIMEOUT, connect_timeout=10
        )
    return Config(retries=dict(CONTROL_RETRIES))


def boto3_clients(region: str | None) -> ClientFactory:
    """Clients from ``boto3.Session(region_name=region)`` and the default credential chain."""
    import boto3

    session = boto3.Session(region_name=region)
    if not session.region_name:
        raise BadInputError(
            "no AWS region: pass --region, set real.region in the scenario, or configure a "
            "default region (AWS_REGION or ~/.aws/config)"
        )
    clients: dict[str, Any] = {}
    lock = threading.Lock()  # a boto3 Session is not thread-safe; clients are

    def factory(service: str) -> Any:
        with lock:
            if service not in clients:
                clients[service] = session.client(service, config=client_config(service))
            return clients[service]

    return factory


def operation_name(client: Any, method: str) -> str:
    """The API name of a client method (``update_endpoint`` -> ``UpdateEndpoint``)."""
    mapping = getattr(client.meta, "method_to_api_mapping", {})
    return str(mapping.get(method, method))


def call(client: Any, method: str, /, **params: Any) -> dict[str, Any]:
    """``client.<method>(**params)``; any failure becomes :class:`AWSError`."""
    from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError

    op = operation_name(client, method)
    log.debug("AWS %s %s", op, describe_params(params))
    try:
        response = getattr(client, method)(**params)
    except ClientError as exc:
        error = exc.response.get("Error", {})
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        raise AWSError(
            op, str(error.get("Code") or "Unknown"), str(error.get("Message") or ""), status
        ) from None
    except NoCredentialsError:
        raise AWSError(
            op,
            "NoCredentials",
            "no AWS credentials in the standard chain (environment, shared config or SSO, "
            "container or instance role)",
        ) from None
    except BotoCoreError as exc:
        raise AWSError(op, type(exc).__name__, redact(str(exc))) from None
    return dict(response)


#: botocore failures that happen before a request is sent
NEVER_SENT = ("NoCredentials", "ParamValidationError", "NoRegionError")


def rejected(exc: AWSError) -> bool:
    """True when the request certainly changed nothing: AWS refused it (HTTP 4xx: validation,
    permissions, limits, throttling) or it was never sent."""
    return exc.code in NEVER_SENT or (exc.status is not None and 400 <= exc.status < 500)


def describe_params(params: dict[str, Any]) -> str:
    """Names of the resources a call is about, for logs (never bodies or payloads)."""
    keys = ("EndpointName", "EndpointConfigName", "ModelName", "AlarmName", "AlarmNames")
    shown = [f"{k}={params[k]}" for k in keys if k in params]
    return " ".join(shown)


_SECRETS = (
    re.compile(r"\b(?:AKIA|ASIA|AIDA|AROA)[A-Z0-9]{12,}\b"),
    re.compile(r"(Signature=)[0-9a-fA-F]+"),
    re.compile(r"(Credential=)[^,\s]+"),
    re.compile(r"(?i)(x-amz-security-token['\"]?\s*[:=]\s*['\"]?)[^'\",\s]+"),
    re.compile(r"(?i)(aws_secret_access_key\s*[=:]\s*)\S+"),
    # a secret access key: 40 characters of base64 (no padding)
    re.compile(r"(?<![A-Za-z0-9/+])[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+])"),
)


def redact(text: str) -> str:
    """``text`` with access keys, secret-looking strings and signatures masked."""
    for pattern in _SECRETS:
        text = pattern.sub(lambda m: (m.group(1) if m.groups() else "") + "<redacted>", text)
    return text


class RedactingFilter(logging.Filter):
    """A logging filter that masks credentials and signatures in every record it passes."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg = cleaned
            record.args = None
        return True
