"""What every ``guardsim`` command shares: exit codes, argument types, output-path checks, the
way problems are printed. Cheap to import: argument declarations need nothing heavier.

Exit status: 0 success, 2 bad input (an invalid scenario, a missing file, bad arguments),
1 an internal error (a bug), 130 when interrupted. ``guardsim lint`` adds 3 and 4 (warnings,
errors found) so it can gate a pipeline.
"""

from __future__ import annotations

import argparse
import math
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TextIO

from guardsim.errors import CommandError, Problem

EXIT_OK = 0
EXIT_INTERNAL = 1
EXIT_BAD_INPUT = 2
EXIT_INTERRUPTED = 130


def _whole_number(text: str, minimum: int) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected a whole number >= {minimum}, got {text!r}"
        ) from None
    if value < minimum:
        raise argparse.ArgumentTypeError(f"expected a whole number >= {minimum}, got {value}")
    return value


def seed(text: str) -> int:
    """argparse type of a seed: a whole number >= 0."""
    return _whole_number(text, 0)


def positive_int(text: str) -> int:
    """argparse type of a count: a whole number >= 1."""
    return _whole_number(text, 1)


def _number(text: str, expected: str, ok: Callable[[float], bool]) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected {expected}, got {text!r}") from None
    if not (math.isfinite(value) and ok(value)):
        raise argparse.ArgumentTypeError(f"expected {expected}, got {value}")
    return value


def positive_number(text: str) -> float:
    """argparse type: a number > 0 (seconds, rates)."""
    return _number(text, "a number > 0", lambda v: v > 0)


def non_negative_number(text: str) -> float:
    """argparse type: a number >= 0."""
    return _number(text, "a number >= 0", lambda v: v >= 0)


def probability(text: str) -> float:
    """argparse type: a probability, 0 to 1."""
    return _number(text, "a number from 0 to 1", lambda v: 0.0 <= v <= 1.0)


def check_output_path(path: str | None) -> None:
    """Fail before any work if an output file could not be written (nothing is lost later)."""
    if path is None or path == "-":
        return
    p = Path(path)
    if p.is_dir():
        raise CommandError(f"output path {path} is a directory")
    if not p.parent.is_dir():
        raise CommandError(f"cannot write {path}: folder {p.parent} does not exist")
    if not os.access(p.parent, os.W_OK) or (p.exists() and not os.access(p, os.W_OK)):
        raise CommandError(f"cannot write {path}: permission denied")


def print_problems(source: str, problems: Sequence[Problem], out: TextIO) -> None:
    """One line per problem, errors first: ``source: [warning: ]path: message``."""
    for p in sorted(problems, key=lambda p: (p.severity != "error", p.path)):
        mark = "warning: " if p.severity == "warning" else ""
        where = f"{p.path}: " if p.path else ""
        print(f"{source}: {mark}{where}{p.message}", file=out)
