"""The front door: every file guardsim reads, every whole-number argument and every output path
goes through here, so bad input is refused before any work, in bounded memory, with a message
naming the file or the option (docs/reference/inputs.md).

* **Files** (:func:`read_text`, :func:`read_bytes`): only a regular file is opened (a directory,
  a device such as ``/dev/zero``, a FIFO or a socket is refused by :func:`file_problem` without
  being opened: a FIFO would block and a device never ends), and only up to the size limit of
  its kind (:data:`SIZE_LIMITS`; ``GUARDSIM_MAX_INPUT_MIB`` raises or lowers every limit at
  once). Text is UTF-8; a byte that is not says where (its offset) and what it is.
* **Nesting** (:data:`MAX_DEPTH`, :func:`check_depth`, :func:`parse_json`): no input guardsim
  reads is nested more than a few levels; deeper data is refused instead of overflowing the
  stack of a recursive parser or of the code that walks it. The YAML loader of scenario files
  counts while it composes (:class:`guardsim.scenarios.loading`'s loader), before PyYAML's
  recursive composer could overflow.
* **Whole numbers** (:func:`whole_number`): seeds are ``0`` to ``2**63 - 1`` (:data:`SEED_MAX`,
  what numpy's ``SeedSequence`` and the int64 columns of the results hold); counts are at most
  :data:`COUNT_MAX` (an int64: the runs table's row index and the batch engine's arrays).
* **Outputs** (:func:`check_outputs`, :func:`check_writable`): every output path is tried before
  any work, by creating and removing a temporary file in its folder; ``-`` means standard
  output for the writers that support it, is refused by the others, and may be given to one
  output only.

Everything here raises :class:`~guardsim.errors.BadInputError` (or the narrower class a caller
passes as ``error``), so the CLI exits with status 2. Cheap to import: the standard library only.
"""

from __future__ import annotations

import json
import math
import os
import re
import stat
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from guardsim.errors import BadInputError, CommandError

__all__ = [
    "COUNT_MAX",
    "MAX_DEPTH",
    "MAX_YAML_VALUES",
    "MIB",
    "SEED_MAX",
    "SIZE_LIMITS",
    "STDOUT",
    "Output",
    "check_depth",
    "check_outputs",
    "check_writable",
    "decode_utf8",
    "file_problem",
    "json_depth",
    "measure",
    "nesting_error",
    "parse_json",
    "read_bytes",
    "read_text",
    "size_limit",
    "whole_number",
]

ErrorFactory = Callable[[str], BadInputError]

MIB = 1024 * 1024

#: Size limit of each kind of input file, in bytes. A scenario (or overlay, or IaC file) is a
#: few kB; a run record of the longest horizon (7 days of per-minute datapoints) a few MB; a
#: Monte Carlo result holds every replication's row, a sweep table or checkpoint every
#: configuration's, a replay file one line per minute, a history file one per minute and view
#: (63 days of three views: about 40 MB). Each limit is far above what guardsim writes for any
#: accepted run and far below what would exhaust memory when parsed.
SIZE_LIMITS: dict[str, int] = {
    "scenario": 16 * MIB,
    "overlay": 16 * MIB,
    "record": 64 * MIB,
    "result": 256 * MIB,
    "replay": 64 * MIB,
    "history": 64 * MIB,
    "payload": 64 * MIB,
    "table": 1024 * MIB,
    "checkpoint": 1024 * MIB,
}

#: Environment variable: one size limit, in MiB, for every kind of input file (overrides
#: :data:`SIZE_LIMITS`).
LIMIT_VARIABLE = "GUARDSIM_MAX_INPUT_MIB"

#: Deepest nesting (mappings and lists inside each other) of any file guardsim reads. A
#: scenario nests about 8 levels, a CloudFormation template with intrinsic functions about 15.
MAX_DEPTH = 100

#: Most values (mappings, lists and scalars) a YAML file may hold once its aliases are expanded:
#: a scenario holds a few hundred; an alias bomb (a few lines) billions.
MAX_YAML_VALUES = 1_000_000

#: Largest seed: numpy's ``SeedSequence`` takes any integer >= 0, but a seed is stored in int64
#: columns (the runs table, the sweep table) and JSON readers of other languages.
SEED_MAX = 2**63 - 1
#: Largest count (replications, predictions): an int64, the runs table's row index and the
#: batch engine's array sizes. Whether the work fits in memory and time is a separate check.
COUNT_MAX = 2**63 - 1

#: The output path meaning standard output.
STDOUT = "-"


# --------------------------------------------------------------------------- files


def size_limit(kind: str) -> int:
    """The size limit of a kind of input file, in bytes (``GUARDSIM_MAX_INPUT_MIB`` if set)."""
    override = os.environ.get(LIMIT_VARIABLE)
    if override:
        try:
            mib = float(override)
        except ValueError:
            raise BadInputError(
                f"{LIMIT_VARIABLE}={override!r}: expected a number of MiB"
            ) from None
        if not mib > 0:
            raise BadInputError(f"{LIMIT_VARIABLE}={override!r}: expected a number of MiB > 0")
        return int(mib * MIB)
    return SIZE_LIMITS[kind]


def _size(n: int) -> str:
    return f"{n / MIB:.1f} MiB" if n >= MIB else f"{n} bytes"


def _what_it_is(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a directory"
    if stat.S_ISCHR(mode):
        return "a character device"
    if stat.S_ISBLK(mode):
        return "a block device"
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def _mode_problem(st: os.stat_result, kind: str) -> str | None:
    if stat.S_ISDIR(st.st_mode):
        return "it is a directory, not a file"
    if not stat.S_ISREG(st.st_mode):
        return f"it is {_what_it_is(st.st_mode)}, not a regular file"
    limit = size_limit(kind)
    if st.st_size > limit:
        return (
            f"it is {_size(st.st_size)}, over the {_size(limit)} limit for {kind} files "
            f"({LIMIT_VARIABLE} sets another limit)"
        )
    return None


def file_problem(path: str | Path, kind: str) -> str | None:
    """Why ``path`` cannot be read as a ``kind`` file (see :data:`SIZE_LIMITS`), found without
    opening it; None if it can. ``"file not found"`` exactly when nothing is there."""
    try:
        st = os.stat(path)
    except (FileNotFoundError, NotADirectoryError, ValueError):  # ValueError: a NUL byte in
        return "file not found"  # the name, which no file can have
    except PermissionError:
        return "permission denied"
    except OSError as exc:
        return exc.strerror or str(exc)
    return _mode_problem(st, kind)


def read_bytes(
    path: str | Path, kind: str, *, what: str | None = None, error: ErrorFactory = BadInputError
) -> bytes:
    """The bytes of a regular file of ``kind``, within its size limit; else ``error`` with a
    message ``cannot read WHAT PATH: REASON`` (``what`` defaults to ``KIND file``)."""
    label = f"{what or f'{kind} file'} {path}"
    reason = file_problem(path, kind)
    if reason is not None:
        raise error(f"cannot read {label}: {reason}")
    limit = size_limit(kind)
    try:
        # O_NONBLOCK: should the path have become a FIFO since it was checked, opening it does
        # not wait for a writer; fstat then refuses it. No effect on a regular file.
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
        with os.fdopen(fd, "rb") as f:
            reason = _mode_problem(os.fstat(f.fileno()), kind)
            if reason is not None:
                raise error(f"cannot read {label}: {reason}")
            data = f.read(limit + 1)
    except OSError as exc:
        raise error(f"cannot read {label}: {exc.strerror or exc}") from None
    if len(data) > limit:  # it grew while being read
        raise error(f"cannot read {label}: over the {_size(limit)} limit for {kind} files")
    return data


def decode_utf8(data: bytes, source: str, error: ErrorFactory = BadInputError) -> str:
    """``data`` as UTF-8 text, or ``error`` naming ``source`` and the first bad byte's offset."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise error(
            f"cannot read {source}: not UTF-8 text: byte 0x{data[exc.start]:02x} at offset "
            f"{exc.start} ({exc.reason}); is it a binary file?"
        ) from None


def read_text(
    path: str | Path, kind: str, *, what: str | None = None, error: ErrorFactory = BadInputError
) -> str:
    """:func:`read_bytes` decoded as UTF-8 (:func:`decode_utf8`)."""
    data = read_bytes(path, kind, what=what, error=error)
    return decode_utf8(data, f"{what or f'{kind} file'} {path}", error)


# --------------------------------------------------------------------------- nesting


def _is_container(node: object) -> bool:
    return isinstance(node, dict | list | tuple)


def _children(node: Any) -> list[Any]:
    return [c for c in (node.values() if isinstance(node, dict) else node) if _is_container(c)]


def measure(data: Any) -> tuple[float, int]:
    """``(depth, size)`` of ``data``: how deeply lists and mappings nest (a scalar is 0; data
    that contains itself, as a recursive YAML alias makes, is ``inf`` deep) and how many values
    it holds with every shared part counted each time it appears (what a walk of it visits: a
    YAML alias bomb holds billions). Computed without recursion, each shared part once."""
    memo: dict[int, tuple[float, int]] = {}
    open_nodes: set[int] = set()
    stack: list[tuple[Any, bool]] = [(data, False)]
    while stack:
        node, children_done = stack.pop()
        if not _is_container(node):
            continue
        key = id(node)
        if not children_done:
            if key in memo:
                continue
            if key in open_nodes:  # reached again from inside itself
                return math.inf, 0
            open_nodes.add(key)
            stack.append((node, True))
            stack.extend((c, False) for c in _children(node) if id(c) not in memo)
            continue
        open_nodes.discard(key)
        kids = _children(node)
        depth = 1 + max((memo[id(c)][0] for c in kids), default=0)
        items = node.values() if isinstance(node, dict) else node
        size = 1 + sum(memo[id(c)][1] if _is_container(c) else 1 for c in items)
        memo[key] = (depth, size)
    return memo.get(id(data), (0, 1))


def nesting_error(data: Any, limit: int = MAX_DEPTH) -> str | None:
    """What is wrong with the nesting of ``data`` (deeper than ``limit``, or containing
    itself), or None."""
    depth, _ = measure(data)
    if depth == math.inf:
        return "a value contains itself (a recursive alias)"
    return f"nested deeper than {limit} levels" if depth > limit else None


def check_depth(
    data: Any,
    source: str,
    error: ErrorFactory = BadInputError,
    limit: int = MAX_DEPTH,
    max_values: int | None = None,
) -> None:
    """Refuse data nested deeper than ``limit`` levels (or containing itself), or holding more
    than ``max_values`` values once shared parts are counted each time, naming ``source``."""
    depth, size = measure(data)
    if depth == math.inf:
        raise error(f"{source}: a value contains itself (a recursive alias)")
    if depth > limit:
        raise error(f"{source}: nested deeper than {limit} levels")
    if max_values is not None and size > max_values:
        raise error(
            f"{source}: {size} values once its aliases are expanded, over the limit of {max_values}"
        )


def parse_json(
    text: str,
    source: str,
    error: ErrorFactory = BadInputError,
    *,
    object_pairs_hook: Callable[[list[tuple[str, Any]]], Any] | None = None,
) -> Any:
    """JSON text as data, or ``error`` naming ``source``: the line and column of a syntax
    error, nesting deeper than :data:`MAX_DEPTH`, a number Python will not convert."""
    if json_depth(text) > MAX_DEPTH:  # counted on the text: fast, and before parsing
        raise error(f"{source}: nested deeper than {MAX_DEPTH} levels")
    try:
        data = json.loads(text, object_pairs_hook=object_pairs_hook)
    except json.JSONDecodeError as exc:
        raise error(
            f"{source}: invalid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}"
        ) from None
    except RecursionError:  # deeper than the interpreter's stack: deeper than MAX_DEPTH too
        raise error(f"{source}: nested deeper than {MAX_DEPTH} levels") from None
    except ValueError as exc:  # a 5000-digit integer: over Python's int conversion limit
        raise error(f"{source}: invalid JSON: {exc}") from None
    return data


_JSON_STRING = re.compile(r'"(?:[^"\\]|\\.)*"')
_NOT_BRACKET = re.compile(r"[^\[\]{}]+")


def json_depth(text: str) -> int:
    """How deeply arrays and objects nest in JSON text (brackets inside strings not counted);
    a syntax error is left to the parser."""
    brackets = _NOT_BRACKET.sub("", _JSON_STRING.sub("", text))
    depth = deepest = 0
    for c in brackets:
        if c in "[{":
            depth += 1
            deepest = max(deepest, depth)
        else:
            depth -= 1
    return deepest


# --------------------------------------------------------------------------- whole numbers


def whole_number(text: str, minimum: int, maximum: int) -> int:
    """``text`` as a whole number from ``minimum`` to ``maximum``, or :class:`ValueError` with
    the message to show (argparse types turn it into a usage error)."""
    try:
        value = int(text)
    except ValueError:
        shown = text if len(text) <= 40 else f"{text[:40]}... ({len(text)} characters)"
        raise ValueError(f"expected a whole number >= {minimum}, got {shown!r}") from None
    if value < minimum:
        raise ValueError(f"expected a whole number >= {minimum}, got {value}")
    if value > maximum:
        digits = len(str(value))
        shown = str(value) if digits <= 40 else f"a number of {digits} digits"
        raise ValueError(f"expected a whole number from {minimum} to {maximum}, got {shown}")
    return value


# --------------------------------------------------------------------------- outputs


class Output:
    """One output of a command: the option that names it, its path (None: not asked for), and
    whether ``-`` (standard output) is supported by its writer."""

    __slots__ = ("flag", "path", "stdout")

    def __init__(self, flag: str, path: str | Path | None, *, stdout: bool = False) -> None:
        self.flag = flag
        self.path = None if path is None else str(path)
        self.stdout = stdout


def check_writable(path: str | Path, what: str = "", error: ErrorFactory = CommandError) -> None:
    """Refuse ``path`` unless a file can be written there: its folder exists and a temporary
    file can be created (and is removed again) in it, and the path is not a directory.
    ``what`` (e.g. the option, ``--json``) goes before the path in the message."""
    p = Path(path)
    label = f"{what} {path}" if what else str(path)
    if p.is_dir():
        raise error(f"cannot write {label}: it is a directory; give a file path")
    folder = p.parent
    if not folder.is_dir():
        raise error(f"cannot write {label}: folder {folder} does not exist")
    if p.exists() and not os.access(p, os.W_OK):
        raise error(f"cannot write {label}: permission denied")
    try:
        fd, tmp = tempfile.mkstemp(prefix=".guardsim-check-", dir=folder)
    except OSError as exc:
        raise error(f"cannot write {label}: {exc.strerror or exc}") from None
    os.close(fd)
    os.unlink(tmp)


def check_outputs(outputs: Sequence[Output], error: ErrorFactory = CommandError) -> None:
    """Check a command's outputs before any work: ``-`` only where supported and for one
    output at most, no path twice, every path writable (:func:`check_writable`)."""
    given = [o for o in outputs if o.path is not None and o.path != ""]
    to_stdout = [o for o in given if o.path == STDOUT]
    for o in to_stdout:
        if not o.stdout:
            raise error(f"{o.flag} -: this output cannot go to standard output; give a file path")
    if len(to_stdout) > 1:
        flags = " and ".join(f"{o.flag} -" for o in to_stdout)
        raise error(f"{flags}: only one output can go to standard output")
    seen: dict[str, str] = {}
    for o in given:
        if o.path == STDOUT:
            continue
        assert o.path is not None
        key = os.path.realpath(o.path)
        if key in seen:
            raise error(f"{seen[key]} and {o.flag} name the same file {o.path}")
        seen[key] = o.flag
        check_writable(o.path, o.flag, error)
