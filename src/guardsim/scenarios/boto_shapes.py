"""Shape rules for the boto3-shaped parts of a scenario, read from botocore's own service model.

A user pastes ``DeploymentConfig`` (SageMaker ``UpdateEndpoint``), ``put_metric_alarm`` keyword
arguments (CloudWatch) and ``create_endpoint_config`` arguments into a scenario. Their shapes are
checked against the service model that ships with botocore (see aws-model.md#sources), so guardsim
never drifts from the API.

botocore's client-side validation only rejects missing required members, values below ``min`` and
short lists (see aws-model.md#size-limits). The service itself also rejects values above ``max``,
unknown enum values and strings that do not match the member's pattern, so :func:`check_shape`
enforces all of those. The documented rules that live only in prose (canary <= 50 %, linear step
10-50 %, ...) are not in the model; :mod:`guardsim.scenarios.validation` adds them.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from functools import cache
from typing import Any

import botocore.session

from guardsim.errors import Problem
from guardsim.scenarios.fields import join, type_name, unknown_key_problem

__all__ = ["check_shape", "input_shape", "shape"]


@cache
def _service_model(service: str) -> Any:
    return botocore.session.get_session().get_service_model(service)


@cache
def input_shape(service: str, operation: str) -> Any:
    """The input shape of ``operation`` (e.g. ``('cloudwatch', 'PutMetricAlarm')``)."""
    return _service_model(service).operation_model(operation).input_shape


@cache
def shape(service: str, name: str) -> Any:
    """A named shape of a service model (e.g. ``('sagemaker', 'DeploymentConfig')``)."""
    return _service_model(service).shape_for(name)


@cache
def _pattern(regex: str) -> re.Pattern[str] | None:
    try:
        return re.compile(regex)
    except re.error:  # a Java-only construct; the service checks it, we cannot
        return None


def check_shape(raw: object, shp: Any, path: str, problems: list[Problem]) -> None:
    """Append a Problem for every way ``raw`` violates botocore shape ``shp``."""
    kind = shp.type_name
    meta = shp.metadata
    if kind == "structure":
        if not isinstance(raw, Mapping):
            problems.append(Problem(path, f"expected a mapping, got {type_name(raw)}"))
            return
        members = shp.members
        for key in raw:
            if key not in members:
                problems.append(unknown_key_problem(path, key, members))
        for req in shp.required_members:
            if req not in raw:
                problems.append(Problem(join(path, req), "required field is missing"))
        if meta.get("union") and sum(1 for k in raw if k in members) > 1:
            problems.append(Problem(path, "exactly one member may be set"))
        for key, value in raw.items():
            if key in members:
                check_shape(value, members[key], join(path, key), problems)
    elif kind == "list":
        if not isinstance(raw, list | tuple):
            problems.append(Problem(path, f"expected a list, got {type_name(raw)}"))
            return
        lo, hi = meta.get("min"), meta.get("max")
        if lo is not None and len(raw) < lo:
            problems.append(Problem(path, f"must have at least {lo} item(s), got {len(raw)}"))
        if hi is not None and len(raw) > hi:
            problems.append(Problem(path, f"must have at most {hi} item(s), got {len(raw)}"))
        for i, item in enumerate(raw):
            check_shape(item, shp.member, join(path, i), problems)
    elif kind == "map":
        if not isinstance(raw, Mapping):
            problems.append(Problem(path, f"expected a mapping, got {type_name(raw)}"))
            return
        for key, value in raw.items():
            check_shape(key, shp.key, join(path, str(key)), problems)
            check_shape(value, shp.value, join(path, str(key)), problems)
    elif kind == "string":
        _check_string(raw, shp, path, problems)
    elif kind in ("integer", "long"):
        if isinstance(raw, bool) or not isinstance(raw, int):
            problems.append(Problem(path, f"expected an integer, got {type_name(raw)} {raw!r}"))
            return
        before = len(problems)
        _check_number(raw, meta, path, problems)
        # The service's integer and long are Java's 32- and 64-bit integers.
        bits = 32 if kind == "integer" else 64
        if len(problems) == before and not -(2 ** (bits - 1)) <= raw < 2 ** (bits - 1):
            problems.append(Problem(path, f"must fit in a {bits}-bit integer, got {raw}"))
    elif kind in ("double", "float"):
        if isinstance(raw, bool) or not isinstance(raw, int | float):
            problems.append(Problem(path, f"expected a number, got {type_name(raw)} {raw!r}"))
            return
        try:
            finite = math.isfinite(raw)
        except OverflowError:  # an integer literal too large for a double
            finite = False
        if not finite:
            problems.append(Problem(path, f"must be a finite number, got {raw!r}"))
            return
        _check_number(raw, meta, path, problems)
    elif kind == "boolean" and not isinstance(raw, bool):
        problems.append(Problem(path, f"expected true or false, got {type_name(raw)}"))
    # timestamps and blobs do not occur in the sections guardsim reads


def _check_string(raw: object, shp: Any, path: str, problems: list[Problem]) -> None:
    if not isinstance(raw, str):
        problems.append(Problem(path, f"expected a string, got {type_name(raw)} {raw!r}"))
        return
    enum = getattr(shp, "enum", None)
    if enum:
        if raw not in enum:
            from guardsim.scenarios.fields import did_you_mean

            hint = did_you_mean(raw, enum)
            shown = ", ".join(enum) if len(enum) <= 12 else f"{', '.join(enum[:12])}, ..."
            problems.append(Problem(path, f"must be one of {shown}; got {raw!r}{hint}"))
        return
    meta = shp.metadata
    lo, hi = meta.get("min"), meta.get("max")
    if lo is not None and len(raw) < lo:
        problems.append(Problem(path, f"must be at least {lo} character(s) long"))
    elif hi is not None and len(raw) > hi:
        problems.append(Problem(path, f"must be at most {hi} characters long, got {len(raw)}"))
    regex = meta.get("pattern")
    if regex:
        compiled = _pattern(regex)
        if compiled is not None and compiled.fullmatch(raw) is None:
            problems.append(Problem(path, f"{raw!r} does not match the pattern {regex}"))


def _check_number(
    value: float, meta: Mapping[str, Any], path: str, problems: list[Problem]
) -> None:
    lo, hi = meta.get("min"), meta.get("max")
    if lo is not None and value < lo:
        problems.append(
            Problem(
                path,
                f"must be between {lo} and {hi}, got {value}"
                if hi is not None
                else f"must be >= {lo}, got {value}",
            )
        )
    elif hi is not None and value > hi:
        problems.append(
            Problem(
                path,
                f"must be between {lo} and {hi}, got {value}"
                if lo is not None
                else f"must be <= {hi}, got {value}",
            )
        )
