"""What every ``guardsim`` command shares: exit codes, argument types, output-path checks.

Exit status: 0 success, 2 bad input (an invalid scenario, a missing file, bad arguments),
1 an internal error (a bug), 130 when interrupted. ``guardsim lint`` adds 3 and 4 (warnings,
errors found) so it can gate a pipeline.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from guardsim.errors import GuardsimError

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


def check_output_path(path: str | None) -> None:
    """Fail before any work if an output file could not be written (nothing is lost later)."""
    if path is None or path == "-":
        return
    p = Path(path)
    if p.is_dir():
        raise GuardsimError(f"output path {path} is a directory")
    if not p.parent.is_dir():
        raise GuardsimError(f"cannot write {path}: folder {p.parent} does not exist")
