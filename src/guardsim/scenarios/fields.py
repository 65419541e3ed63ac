"""Typed loading of guardsim's own scenario sections (models, traffic, environment, simulation).

Each section is a frozen dataclass. Its fields carry their documentation and limits in
``dataclasses.field(metadata=...)``; :func:`load_dataclass` turns a parsed YAML/JSON mapping into
the dataclass, collecting **every** problem with the path to its field instead of stopping at the
first, and :func:`dump_dataclass` turns it back into plain data (``load(dump(x)) == x``).

Supported field types: ``bool``, ``int``, ``float``, ``str``, ``Literal[...]``, ``X | None``,
``tuple[X, ...]``, nested dataclasses, ``Mapping[str, float]``, and tagged unions of dataclasses
(``A | B`` where each has a ``kind: Literal[...]`` field that tells them apart).

Metadata keys: ``doc`` (one line for the reference docs), ``min`` / ``max`` (inclusive),
``exclusive_min`` (the value must be strictly greater).
"""

from __future__ import annotations

import dataclasses
import difflib
import math
import types
import typing
from collections.abc import Mapping
from functools import cache
from typing import Any, Literal, TypeVar, Union, get_args, get_origin

from guardsim.errors import Problem

T = TypeVar("T")

_MISSING = object()


def doc(text: str, **limits: float) -> dict[str, Any]:
    """Field metadata: a one-line description and optional numeric limits."""
    return {"doc": text, **limits}


def join(path: str, key: str | int) -> str:
    """Append a key or list index to a field path (``a.b`` / ``a[2]``)."""
    if isinstance(key, int):
        return f"{path}[{key}]"
    return f"{path}.{key}" if path else key


def type_name(value: object) -> str:
    """How a parsed YAML/JSON value is named in messages."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int):
        return "an integer"
    if isinstance(value, float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, Mapping):
        return "a mapping"
    if isinstance(value, list | tuple):
        return "a list"
    return type(value).__name__


def did_you_mean(key: str, choices: typing.Iterable[str]) -> str:
    """' (did you mean X?)' when a close match exists, else ''."""
    close = difflib.get_close_matches(key, list(choices), n=1, cutoff=0.6)
    if not close:
        lowered = {c.lower(): c for c in choices}
        if key.lower() in lowered:
            close = [lowered[key.lower()]]
    return f" (did you mean {close[0]!r}?)" if close else ""


def unknown_key_problem(path: str, key: object, allowed: typing.Iterable[str]) -> Problem:
    allowed = sorted(allowed)
    name = str(key)
    hint = did_you_mean(name, allowed)
    # A blank key would vanish from the path; quote it so the path still points at it.
    return Problem(
        join(path, name if name.strip() else repr(name)),
        f"unknown key{hint}; allowed keys: {', '.join(allowed)}",
    )


@cache
def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def _is_optional(tp: Any) -> tuple[bool, Any]:
    origin = get_origin(tp)
    if origin in (Union, types.UnionType):
        args = [a for a in get_args(tp) if a is not type(None)]
        if len(args) != len(get_args(tp)):
            inner = args[0] if len(args) == 1 else Union[tuple(args)]  # noqa: UP007
            return True, inner
    return False, tp


def _union_members(tp: Any) -> list[type] | None:
    origin = get_origin(tp)
    if origin in (Union, types.UnionType):
        members = list(get_args(tp))
        if all(dataclasses.is_dataclass(m) for m in members):
            return members
    return None


def _kind_of(cls: type) -> str:
    kind_tp = _hints(cls)["kind"]
    return str(get_args(kind_tp)[0])


def load_dataclass(cls: type[T], raw: object, path: str, problems: list[Problem]) -> T | None:
    """Build ``cls`` from ``raw``; append problems (with paths) and return None if any."""
    if not isinstance(raw, Mapping):
        problems.append(Problem(path, f"expected a mapping, got {type_name(raw)}"))
        return None
    fields = {f.name: f for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
    before = len(problems)
    for key in raw:
        if key not in fields:
            problems.append(unknown_key_problem(path, key, fields))
    values: dict[str, Any] = {}
    hints = _hints(typing.cast(type, cls))
    for name, f in fields.items():
        if name not in raw:
            if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
                problems.append(Problem(join(path, name), "required field is missing"))
            continue
        value = _load_value(hints[name], raw[name], join(path, name), problems, f.metadata)
        if value is not _MISSING:
            values[name] = value
    if len(problems) > before:
        return None
    obj = cls(**values)
    check = getattr(obj, "check", None)
    if check is not None:
        problems.extend(check(path))
        if len(problems) > before:
            return None
    return obj


def _load_value(
    tp: Any, raw: object, path: str, problems: list[Problem], meta: Mapping[str, Any]
) -> Any:
    optional, inner = _is_optional(tp)
    if raw is None:
        if optional:
            return None
        problems.append(Problem(path, "must not be null"))
        return _MISSING
    tp = inner
    members = _union_members(tp)
    if members is not None:
        return _load_tagged(members, raw, path, problems)
    origin = get_origin(tp)
    if origin is Literal:
        choices = get_args(tp)
        if raw not in choices or isinstance(raw, bool) != any(isinstance(c, bool) for c in choices):
            shown = ", ".join(repr(c) for c in choices)
            hint = did_you_mean(str(raw), [str(c) for c in choices])
            problems.append(Problem(path, f"must be one of {shown}, got {raw!r}{hint}"))
            return _MISSING
        return raw
    if origin is tuple:
        (item_tp, _ellipsis) = get_args(tp)
        if not isinstance(raw, list | tuple):
            problems.append(Problem(path, f"expected a list, got {type_name(raw)}"))
            return _MISSING
        before = len(problems)
        items = [
            _load_value(item_tp, item, join(path, i), problems, meta) for i, item in enumerate(raw)
        ]
        return _MISSING if len(problems) > before else tuple(items)
    if origin in (Mapping, dict) or tp is Mapping:
        _key_tp, val_tp = get_args(tp)
        if not isinstance(raw, Mapping):
            problems.append(Problem(path, f"expected a mapping, got {type_name(raw)}"))
            return _MISSING
        before = len(problems)
        out = {}
        for k, v in raw.items():
            if not isinstance(k, str):
                problems.append(Problem(join(path, str(k)), "keys must be strings"))
                continue
            out[k] = _load_value(val_tp, v, join(path, k), problems, meta)
        return (
            _MISSING
            if len(problems) > before
            else types.MappingProxyType(dict(sorted(out.items())))
        )
    if dataclasses.is_dataclass(tp):
        obj = load_dataclass(typing.cast(type, tp), raw, path, problems)
        return _MISSING if obj is None else obj
    if tp is bool:
        if not isinstance(raw, bool):
            problems.append(Problem(path, f"expected true or false, got {type_name(raw)}"))
            return _MISSING
        return raw
    if tp is str:
        if not isinstance(raw, str):
            problems.append(Problem(path, f"expected a string, got {type_name(raw)}"))
            return _MISSING
        return raw
    if tp is int:
        if isinstance(raw, bool) or not (
            isinstance(raw, int) or (isinstance(raw, float) and raw.is_integer())
        ):
            problems.append(Problem(path, f"expected an integer, got {type_name(raw)} {raw!r}"))
            return _MISSING
        return _check_range(int(raw), path, problems, meta)
    if tp is float:
        if isinstance(raw, bool) or not isinstance(raw, int | float):
            problems.append(Problem(path, f"expected a number, got {type_name(raw)} {raw!r}"))
            return _MISSING
        try:
            value = float(raw)
        except OverflowError:  # an integer literal too large for a float
            value = math.inf
        if not math.isfinite(value):
            problems.append(Problem(path, f"must be a finite number, got {raw!r}"))
            return _MISSING
        return _check_range(value, path, problems, meta)
    raise TypeError(f"fields.py cannot load type {tp!r} at {path}")  # a bug in a dataclass


def _check_range(value: float, path: str, problems: list[Problem], meta: Mapping[str, Any]) -> Any:
    lo, hi, xlo = meta.get("min"), meta.get("max"), meta.get("exclusive_min")
    # An int is shown as is: ``:g`` would round it, or overflow for one too large for a float.
    shown = f"{value:g}" if isinstance(value, float) else str(value)
    if lo is not None and value < lo:
        problems.append(Problem(path, f"must be >= {_limit(lo)}, got {shown}"))
        return _MISSING
    if hi is not None and value > hi:
        problems.append(Problem(path, f"must be <= {_limit(hi)}, got {shown}"))
        return _MISSING
    if xlo is not None and value <= xlo:
        problems.append(Problem(path, f"must be > {_limit(xlo)}, got {shown}"))
        return _MISSING
    return value


def _limit(bound: float) -> str:
    """A limit as the message shows it: an int exactly (``:g`` would round 2**63 - 1)."""
    return str(bound) if isinstance(bound, int) else f"{bound:g}"


def _load_tagged(members: list[type], raw: object, path: str, problems: list[Problem]) -> Any:
    kinds = {_kind_of(m): m for m in members}
    if not isinstance(raw, Mapping):
        problems.append(Problem(path, f"expected a mapping, got {type_name(raw)}"))
        return _MISSING
    kind = raw.get("kind")
    if not isinstance(kind, str) or kind not in kinds:
        hint = did_you_mean(str(kind), kinds) if kind is not None else ""
        problems.append(
            Problem(
                join(path, "kind"),
                f"must be one of {', '.join(repr(k) for k in kinds)}, got {kind!r}{hint}"
                if kind is not None
                else f"required field is missing; one of {', '.join(repr(k) for k in kinds)}",
            )
        )
        return _MISSING
    obj = load_dataclass(kinds[kind], raw, path, problems)
    return _MISSING if obj is None else obj


def dump_dataclass(obj: object) -> dict[str, Any]:
    """Plain data (dicts, lists, scalars) for a loaded dataclass; the inverse of loading."""
    out: dict[str, Any] = {}
    for f in dataclasses.fields(obj):  # type: ignore[arg-type]
        out[f.name] = dump_value(getattr(obj, f.name))
    return out


def dump_value(value: object) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        to_data = getattr(value, "to_data", None)
        return to_data() if to_data is not None else dump_dataclass(value)
    if isinstance(value, tuple | list):
        return [dump_value(v) for v in value]
    if isinstance(value, Mapping):
        return {k: dump_value(v) for k, v in value.items()}
    return value


def field_docs(cls: type, prefix: str = "") -> list[tuple[str, str, str]]:
    """(path, default, doc) rows for the reference documentation of a section."""
    rows: list[tuple[str, str, str]] = []
    for f in dataclasses.fields(cls):
        if f.default is not dataclasses.MISSING:
            default = repr(f.default)
        elif f.default_factory is not dataclasses.MISSING:
            default = "(see below)"
        else:
            default = "required"
        rows.append((join(prefix, f.name), default, f.metadata.get("doc", "")))
    return rows
