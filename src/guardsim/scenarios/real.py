"""The optional ``real`` section: what a scenario needs to run on real SageMaker.

The simulator never reads it. ``guardsim real plan`` shows it and ``guardsim real run`` uses it
to create the blue and green models (``create_model``), to drive traffic with a real payload,
and to pace the run::

    real:
      execution_role_arn: arn:aws:iam::123456789012:role/SageMakerExecution
      blue:  {image: 123456789012.dkr.ecr.us-east-1.amazonaws.com/xgb:1, model_data_url: s3://b/m1.tar.gz}
      green: {image: 123456789012.dkr.ecr.us-east-1.amazonaws.com/xgb:1, model_data_url: s3://b/m2.tar.gz}
      payload_file: payload.csv     # one request body per line, sent in turn
      content_type: text/csv

A string may be a **placeholder** ``${NAME}`` (or contain one): the built-in scenarios use them
for what only the user knows (account, role, images). ``real plan`` shows placeholders as they
are; ``real run`` refuses to start until every one is filled (``--set NAME=VALUE`` or an edited
copy of the file). Values that are not placeholders are checked against botocore's service model
(the role ARN, image and model data URL patterns of ``CreateModel``).
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from guardsim.errors import Problem
from guardsim.scenarios.boto_shapes import check_shape, input_shape, shape
from guardsim.scenarios.fields import doc, join, load_dataclass

T = TypeVar("T")

#: ``${NAME}``: a value the user must fill before a real run.
PLACEHOLDER = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
#: An AWS region name (``us-east-1``, ``eu-central-2``, ``us-gov-west-1``).
REGION = re.compile(r"^[a-z]{2}(-[a-z]+)+-\d+$")


def is_placeholder(value: str) -> bool:
    """True when ``value`` contains a ``${NAME}`` placeholder."""
    return PLACEHOLDER.search(value) is not None


@dataclass(frozen=True)
class RealModel:
    """The container of one fleet's model (``create_model`` ``PrimaryContainer``)."""

    image: str = field(metadata=doc("container image URI of the model (ECR)"))
    model_data_url: str | None = field(
        default=None,
        metadata=doc("S3 URL of the model artifact (model.tar.gz); null if the image holds it"),
    )

    def check(self, path: str) -> list[Problem]:
        problems: list[Problem] = []
        container = shape("sagemaker", "ContainerDefinition")
        if not is_placeholder(self.image):
            check_shape(self.image, container.members["Image"], join(path, "image"), problems)
        if self.model_data_url is not None and not is_placeholder(self.model_data_url):
            check_shape(
                self.model_data_url,
                container.members["ModelDataUrl"],
                join(path, "model_data_url"),
                problems,
            )
        return problems


@dataclass(frozen=True)
class Real:
    """How to run the scenario on real SageMaker (``guardsim real plan`` / ``real run``)."""

    execution_role_arn: str = field(
        metadata=doc("IAM role SageMaker assumes for the models (create_model ExecutionRoleArn)")
    )
    blue: RealModel = field(metadata=doc("the current model: image and model data"))
    green: RealModel = field(metadata=doc("the new model: image and model data"))
    payload_file: str = field(
        metadata=doc(
            "request bodies, one per line, sent in turn by invoke_endpoint (path relative "
            "to the scenario file)"
        )
    )
    content_type: str = field(
        default="text/csv", metadata=doc("ContentType of every invoke_endpoint call")
    )
    rate_per_second: float | None = field(
        default=None,
        metadata=doc(
            "requests per second driven at the endpoint (null: traffic.rate_per_second)",
            exclusive_min=0.0,
            max=1000.0,
        ),
    )
    region: str | None = field(
        default=None, metadata=doc("AWS region (null: --region or the default boto3 region)")
    )
    warmup_seconds: float = field(
        default=300.0,
        metadata=doc(
            "traffic before UpdateEndpoint once the endpoint is InService, so the alarms "
            "leave INSUFFICIENT_DATA",
            min=0.0,
            max=7200.0,
        ),
    )
    cooldown_seconds: float = field(
        default=240.0,
        metadata=doc(
            "traffic after the update ends, so its last minutes of metrics are published "
            "before they are collected",
            min=0.0,
            max=7200.0,
        ),
    )
    poll_interval_seconds: float = field(
        default=15.0,
        metadata=doc("how often DescribeEndpoint is polled", min=1.0, max=300.0),
    )
    max_concurrency: int = field(
        default=8,
        metadata=doc("most invoke_endpoint calls in flight at once (worker pool)", min=1, max=256),
    )

    def check(self, path: str) -> list[Problem]:
        problems: list[Problem] = []
        if not is_placeholder(self.execution_role_arn):
            check_shape(
                self.execution_role_arn,
                input_shape("sagemaker", "CreateModel").members["ExecutionRoleArn"],
                join(path, "execution_role_arn"),
                problems,
            )
        region = self.region
        if region is not None and not is_placeholder(region) and not REGION.match(region):
            problems.append(Problem(join(path, "region"), f"not an AWS region name: {region!r}"))
        if not self.content_type.strip():
            problems.append(Problem(join(path, "content_type"), "must not be empty"))
        return problems

    @property
    def placeholders(self) -> tuple[tuple[str, str], ...]:
        """``(field path, NAME)`` for every ``${NAME}`` still in the section."""
        found: list[tuple[str, str]] = []
        for path, value in _strings(self, "real"):
            found.extend((path, m.group(1)) for m in PLACEHOLDER.finditer(value))
        return tuple(found)

    def filled(self, values: Mapping[str, str]) -> Real:
        """This section with ``${NAME}`` replaced by ``values[NAME]`` wherever given."""

        def fill(text: str) -> str:
            return PLACEHOLDER.sub(lambda m: values.get(m.group(1), m.group(0)), text)

        return _map_strings(self, fill)


def _strings(obj: object, path: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    for f in dataclasses.fields(obj):  # type: ignore[arg-type]
        value = getattr(obj, f.name)
        if isinstance(value, str):
            out.append((join(path, f.name), value))
        elif dataclasses.is_dataclass(value):
            out.extend(_strings(value, join(path, f.name)))
    return out


def _map_strings(obj: T, func: Callable[[str], str]) -> T:
    changes: dict[str, Any] = {}
    for f in dataclasses.fields(obj):  # type: ignore[arg-type]
        value = getattr(obj, f.name)
        if isinstance(value, str):
            changes[f.name] = func(value)
        elif dataclasses.is_dataclass(value) and not isinstance(value, type):
            changes[f.name] = _map_strings(value, func)
    return dataclasses.replace(obj, **changes)  # type: ignore[type-var]


def load_real(raw: object, problems: list[Problem], base_dir: Path | None) -> Real | None:
    """The ``real`` section (None when left out), its payload file resolved and checked."""
    if raw is None:
        return None
    real = load_dataclass(Real, raw, "real", problems)
    if real is None:
        return None
    return resolve_payload(real, base_dir, problems)


def resolve_payload(real: Real, base_dir: Path | None, problems: list[Problem]) -> Real:
    """Make ``payload_file`` absolute (relative to ``base_dir``) and check that it is readable.

    A placeholder is left as it is (``real run`` refuses placeholders anyway)."""
    if is_placeholder(real.payload_file):
        return real
    path = Path(real.payload_file)
    if not path.is_absolute() and base_dir is not None:
        path = base_dir / path
    from guardsim.inputs import file_problem

    reason = file_problem(path, "payload")
    if reason is not None:
        shown = f"file not found: {path}" if reason == "file not found" else f"{path}: {reason}"
        problems.append(Problem("real.payload_file", shown))
        return real
    return dataclasses.replace(real, payload_file=str(path.resolve()))


def fill_placeholders(
    real: Real, values: Mapping[str, str], base_dir: Path | None
) -> tuple[Real, list[Problem]]:
    """``real`` with ``${NAME}`` filled from ``values``, checked again, its payload resolved
    (a payload path given as a value is relative to ``base_dir``, e.g. the current folder)."""
    filled = real.filled(values)
    problems: list[Problem] = []
    problems += filled.check("real")
    problems += filled.blue.check("real.blue")
    problems += filled.green.check("real.green")
    if not problems:
        filled = resolve_payload(filled, base_dir, problems)
    return filled, problems
