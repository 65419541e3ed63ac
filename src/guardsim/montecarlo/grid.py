"""The setting grid of a sweep: ``PATH=VALUES`` parsed, a path located in a scenario's data,
values applied. Pure (no simulation), so reports can name and look up swept settings.

The grammar is described in :mod:`guardsim.montecarlo.sweep`.
"""

from __future__ import annotations

import copy
import json
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from guardsim.errors import Problem, SweepError
from guardsim.scenarios.fields import did_you_mean, join, type_name

if TYPE_CHECKING:
    from guardsim.scenarios.scenario import Scenario

NAME_KEYS = ("AlarmName", "VariantName", "Name")
#: A range that expands to more values than this is surely a typo.
MAX_RANGE_VALUES = 10_000
#: How many invalid configurations an error message lists before "... and N more".
MAX_LISTED = 20

_INT = re.compile(r"[+-]?\d+\Z")
_FLOAT = re.compile(r"[+-]?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][+-]?\d+)?\Z")


# --------------------------------------------------------------------------- parsing --vary


@dataclass(frozen=True)
class Named:
    """A list item addressed by name: ``alarms[my-alarm]``."""

    name: str


Step = str | int | Named


def parse_path(text: str) -> tuple[Step, ...]:
    """``alarms[0].Threshold`` -> ``("alarms", 0, "Threshold")``; ``[x]`` with a non-integer
    ``x`` is a :class:`Named` step. Raises :class:`SweepError` for malformed paths."""
    steps: list[Step] = []
    i = 0
    expect_key = True
    while i < len(text):
        c = text[i]
        if c == "[":
            end = text.find("]", i)
            if end < 0:
                raise SweepError(f"{text}: unclosed '[' at character {i + 1}")
            inner = text[i + 1 : end]
            if not inner:
                raise SweepError(f"{text}: empty [] at character {i + 1}")
            if not steps:
                raise SweepError(f"{text}: a path starts with a key, not [{inner}]")
            steps.append(int(inner) if _INT.match(inner) else Named(inner))
            i = end + 1
            expect_key = False
        elif c == ".":
            if expect_key:
                raise SweepError(f"{text}: empty key at character {i + 1}")
            expect_key = True
            i += 1
        elif c == "]":
            raise SweepError(f"{text}: unmatched ']' at character {i + 1}")
        else:
            if not expect_key:
                raise SweepError(f"{text}: expected '.' or '[' at character {i + 1}")
            m = re.compile(r"[^.\[\]]+").match(text, i)
            assert m is not None
            steps.append(m.group(0).strip())
            i = m.end()
            expect_key = False
    if not steps or expect_key:
        raise SweepError(f"{text or repr(text)}: empty path or trailing '.'")
    return tuple(steps)


def parse_scalar(text: str) -> Any:
    """A value: int, float, ``true``/``false``, ``null``, else the (stripped) string."""
    t = text.strip()
    if _INT.match(t):
        return int(t)
    if _FLOAT.match(t):
        return float(t)
    low = t.lower()
    if low in ("true", "false"):
        return low == "true"
    if low in ("null", "none"):
        return None
    return t


def _expand_range(item: str, start: Any, stop: Any, step: Any) -> list[Any]:
    if step == 0:
        raise SweepError(f"range {item}: step must not be 0")
    if (stop - start) * step < 0:
        raise SweepError(f"range {item}: stepping by {step} from {start} never reaches {stop}")
    count = math.floor((stop - start) / step + 1e-9) + 1
    if count > MAX_RANGE_VALUES:
        raise SweepError(f"range {item}: {count} values (at most {MAX_RANGE_VALUES})")
    if all(isinstance(x, int) for x in (start, stop, step)):
        return [start + k * step for k in range(count)]
    # 12 significant digits: 0.1 * 3 is 0.3, not 0.30000000000000004
    return [float(f"{start + k * step:.12g}") for k in range(count)]


def parse_values(text: str) -> tuple[Any, ...]:
    """VALUES of a ``--vary``: a comma list of scalars and ``start:stop:step`` ranges, or a
    JSON list. Raises :class:`SweepError` for an empty list, bad ranges or duplicates."""
    t = text.strip()
    values: list[Any]
    if t.startswith("["):
        try:
            parsed = json.loads(t)
        except json.JSONDecodeError as exc:
            raise SweepError(f"values {t}: invalid JSON list ({exc.msg})") from None
        if not isinstance(parsed, list):
            raise SweepError(f"values {t}: expected a JSON list")
        values = parsed
    else:
        values = []
        for item in t.split(","):
            if not item.strip():
                raise SweepError(f"values {text!r}: empty item in the comma list")
            parts = item.split(":")
            if len(parts) == 3 and all(_FLOAT.match(p.strip()) for p in parts):
                start, stop, step = (parse_scalar(p) for p in parts)
                values.extend(_expand_range(item.strip(), start, stop, step))
            else:
                values.append(parse_scalar(item))
    if not values:
        raise SweepError(f"values {text!r}: no values")
    seen: list[str] = []
    for v in values:
        # numbers compare by value: 0 and 0.0 are the same setting
        number = isinstance(v, int | float) and not isinstance(v, bool)
        key = repr(float(v)) if number else json.dumps(v, sort_keys=True)
        if key in seen:
            raise SweepError(f"values {text!r}: {json.dumps(v)} appears twice")
        seen.append(key)
    return tuple(values)


@dataclass(frozen=True)
class Vary:
    """One swept setting: a path into the scenario data and the values it takes."""

    path: str
    values: tuple[Any, ...]
    steps: tuple[Step, ...] = field(default=(), compare=False)

    def __post_init__(self) -> None:
        if not self.steps:
            object.__setattr__(self, "steps", parse_path(self.path))
        if not self.values:
            raise SweepError(f"{self.path}: no values")

    @classmethod
    def parse(cls, text: str) -> Vary:
        """``PATH=VALUES`` (see the module docstring)."""
        path, sep, values = text.partition("=")
        if not sep:
            raise SweepError(f"--vary {text}: expected PATH=VALUES")
        path = path.strip()
        try:
            return cls(path, parse_values(values), parse_path(path))
        except SweepError as exc:
            raise SweepError(f"--vary {text}: {exc}") from None


def as_varies(vary: Iterable[Vary | str] | Mapping[str, Sequence[Any]]) -> tuple[Vary, ...]:
    """Varies from ``Vary`` objects, ``"PATH=VALUES"`` strings, or a ``{path: values}`` map."""
    if isinstance(vary, Mapping):
        return tuple(Vary(path, tuple(values)) for path, values in vary.items())
    return tuple(v if isinstance(v, Vary) else Vary.parse(v) for v in vary)


# --------------------------------------------------------------------------- addressing data


def _item_name(item: Any) -> str | None:
    if isinstance(item, Mapping):
        for key in NAME_KEYS:
            if isinstance(item.get(key), str):
                return str(item[key])
    return None


def _index(node: list[Any], step: int | Named, where: str, path: str) -> int:
    if isinstance(step, int):
        if not -len(node) <= step < len(node):
            raise SweepError(
                f"--vary {path}: {where} has {len(node)} item(s); index {step} is out of range"
            )
        return step % len(node)
    names = [_item_name(item) for item in node]
    hits = [i for i, name in enumerate(names) if name == step.name]
    known = [n for n in names if n is not None]
    if not hits:
        hint = did_you_mean(step.name, known)
        listed = ", ".join(known) if known else "(none have a name)"
        raise SweepError(
            f"--vary {path}: {where} has no item named {step.name!r}{hint}; names: {listed}"
        )
    if len(hits) > 1:
        raise SweepError(f"--vary {path}: {where} has {len(hits)} items named {step.name!r}")
    return hits[0]


def locate(data: Any, vary: Vary) -> tuple[Any, str | int, str]:
    """The container, the key or index within it, and the canonical field path (list items by
    index, as validation reports them) that ``vary.path`` addresses in ``data``."""
    node = data
    where = ""
    steps = vary.steps
    for n, step in enumerate(steps):
        last = n == len(steps) - 1
        if isinstance(node, Mapping):
            if not isinstance(step, str):
                shown = step.name if isinstance(step, Named) else step
                raise SweepError(
                    f"--vary {vary.path}: {where or 'the scenario'} is a mapping, "
                    f"not a list: use .KEY, not [{shown}]"
                )
            if step not in node and not last:
                hint = did_you_mean(step, [str(k) for k in node])
                raise SweepError(
                    f"--vary {vary.path}: {join(where, step)}: no such key{hint}; "
                    f"keys here: {', '.join(sorted(str(k) for k in node))}"
                )
            if last:
                return node, step, join(where, step)
            node, where = node[step], join(where, step)
        elif isinstance(node, list):
            if isinstance(step, str):
                raise SweepError(
                    f"--vary {vary.path}: {where} is a list: use [INDEX] or [NAME], not .{step}"
                )
            index = _index(node, step, where, vary.path)
            if last:
                return node, index, join(where, index)
            node, where = node[index], join(where, index)
        else:
            raise SweepError(
                f"--vary {vary.path}: {where} is {type_name(node)}, which has no fields"
            )
    raise AssertionError("unreachable: paths are never empty")


def apply(data: dict[str, Any], settings: Sequence[tuple[Vary, Any]]) -> dict[str, Any]:
    """A deep copy of ``data`` with every ``(vary, value)`` set."""
    out = copy.deepcopy(data)
    for vary, value in settings:
        container, key, _ = locate(out, vary)
        container[key] = copy.deepcopy(value)
    return out


# --------------------------------------------------------------------------- planning


@dataclass(frozen=True)
class Configuration:
    """One point of the grid: its swept values, its validated scenario and checkpoint key."""

    index: int
    values: dict[str, Any]
    scenario: Scenario
    data: dict[str, Any]
    seed: int
    key: str


@dataclass(frozen=True)
class InvalidConfiguration:
    """A grid point that failed validation, with every error."""

    index: int
    values: dict[str, Any]
    problems: tuple[Problem, ...]

    def label(self) -> str:
        return ", ".join(f"{p}={json.dumps(v)}" for p, v in self.values.items())


@dataclass(frozen=True)
class SweepPlan:
    """A validated sweep, ready to run: every valid configuration, in grid order."""

    base: Scenario
    varies: tuple[Vary, ...]
    n: int
    mode: str
    seed: int | None
    configurations: tuple[Configuration, ...]
    invalid: tuple[InvalidConfiguration, ...] = ()

    @property
    def columns(self) -> tuple[str, ...]:
        return tuple(v.path for v in self.varies)

    @property
    def grid_size(self) -> int:
        return len(self.configurations) + len(self.invalid)
