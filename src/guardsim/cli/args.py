"""What every ``guardsim`` command shares: exit codes, argument types, output-path checks, the
way problems are printed. Cheap to import: argument declarations need nothing heavier.

Exit status: 0 success, 2 bad input (an invalid scenario, a missing file, bad arguments),
1 an internal error (a bug), 130 when interrupted. ``guardsim lint`` adds 3 and 4 (warnings,
errors found) so it can gate a pipeline.
"""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from guardsim.errors import CommandError, Problem

if TYPE_CHECKING:
    from guardsim.record import RunRecord
    from guardsim.scenarios.iac import IacOptions

EXIT_OK = 0
EXIT_INTERNAL = 1
EXIT_BAD_INPUT = 2
EXIT_INTERRUPTED = 130


#: Most local worker processes: more than this would exhaust a machine's process table and
#: memory long before it helped (each worker holds numpy, pandas and SimPy).
MAX_WORKERS = 1024


def _whole_number(text: str, minimum: int, maximum: int) -> int:
    from guardsim.inputs import whole_number

    try:
        return whole_number(text, minimum, maximum)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def seed(text: str) -> int:
    """argparse type of a seed: a whole number from 0 to 2**63 - 1."""
    from guardsim.inputs import SEED_MAX

    return _whole_number(text, 0, SEED_MAX)


def positive_int(text: str) -> int:
    """argparse type of a count: a whole number from 1 to 2**63 - 1."""
    from guardsim.inputs import COUNT_MAX

    return _whole_number(text, 1, COUNT_MAX)


def workers(text: str) -> int:
    """argparse type of a worker count: a whole number from 1 to :data:`MAX_WORKERS`."""
    return _whole_number(text, 1, MAX_WORKERS)


class OneOfBooleanAction(argparse.BooleanOptionalAction):
    """``--flag`` / ``--no-flag`` where giving both is an error (not: the last one wins)."""

    def __call__(
        self,
        parser: argparse.ArgumentParser,
        namespace: argparse.Namespace,
        values: str | Sequence[Any] | None,
        option_string: str | None = None,
    ) -> None:
        before = getattr(namespace, self.dest, None)
        super().__call__(parser, namespace, values, option_string)
        after = getattr(namespace, self.dest, None)
        if before is not None and before is not self.default and before != after:
            yes, no = (s for s in self.option_strings if s.startswith("--"))
            raise argparse.ArgumentError(self, f"{yes} and {no} contradict each other; give one")


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


def check_output_path(path: str | None, *, stdout: bool = True) -> None:
    """Fail before any work if an output file could not be written (nothing is lost later):
    a temporary file is created and removed in its folder. ``-`` is standard output, refused
    with ``stdout=False`` (a writer that needs a file)."""
    from guardsim.inputs import STDOUT, check_writable

    if path is None:
        return
    if path == STDOUT:
        if not stdout:
            raise CommandError("- (standard output) is not supported here; give a file path")
        return
    check_writable(path)


def check_outputs(*outputs: tuple[str, str | None, bool]) -> None:
    """A command's outputs ``(flag, path, supports -)``, checked together before any work
    (:func:`guardsim.inputs.check_outputs`): ``-`` for one at most, no file twice, writable."""
    from guardsim.inputs import Output
    from guardsim.inputs import check_outputs as check

    check([Output(flag, path, stdout=ok) for flag, path, ok in outputs])


#: ``--plotly-js`` choices: the same as :data:`guardsim.reports.html.PLOTLY_JS_MODES` (a test
#: holds them equal), written out here so building the parser does not import plotly.
PLOTLY_JS_CHOICES = ("inline", "cdn", "directory")


def add_report_options(parser: argparse.ArgumentParser, *, png: bool = False) -> None:
    """The options of every command that writes an HTML report: ``--plotly-js`` and, with
    ``png=True``, ``--png PATH.png`` (the report's main figure as an image)."""
    parser.add_argument(
        "--plotly-js",
        choices=PLOTLY_JS_CHOICES,
        default="inline",
        help="where the HTML report gets plotly.js: inline (default; one self-contained file "
        "of about 5 MB that opens offline), directory (one shared plotly.min.js written "
        "beside the report, from the installed plotly; reports in the same folder share "
        "it, stay small and open offline while kept together), or cdn (a script tag for "
        "plotly's CDN: the smallest file, but opening it needs the network)",
    )
    if png:
        parser.add_argument(
            "--png",
            metavar="PATH.png",
            default=None,
            help="write the report's main figure as a PNG image (needs Chrome or Chromium)",
        )


def check_png_output(path: str | None) -> None:
    """For ``--png``: the path is writable and a browser can draw it, before any work."""
    if path is None:
        return
    check_output_path(path, stdout=False)
    from guardsim.reports.html import require_chromium

    require_chromium()


# --------------------------------------------------------------------------- IaC files


def _name_value(text: str) -> tuple[str, str]:
    name, sep, value = text.partition("=")
    if not sep or not name:
        raise argparse.ArgumentTypeError(f"expected NAME=VALUE, got {text!r}")
    return name, value


def add_iac_options(parser: argparse.ArgumentParser) -> None:
    """The options of every command that takes a scenario, for CloudFormation/Terraform files
    (docs/how-to/infrastructure-as-code.md)."""
    group = parser.add_argument_group("infrastructure as code (CloudFormation, CDK, Terraform)")
    group.add_argument(
        "--resource", metavar="ID", help="the endpoint's logical id / address, if several"
    )
    group.add_argument(
        "--parameter",
        action="append",
        type=_name_value,
        default=[],
        metavar="NAME=VALUE",
        help="a CloudFormation parameter (or pseudo parameter) value; repeatable",
    )
    group.add_argument(
        "--var",
        action="append",
        type=_name_value,
        default=[],
        metavar="NAME=VALUE",
        help="a Terraform variable value; repeatable",
    )
    group.add_argument(
        "--with",
        dest="overlay",
        metavar="OVERLAY",
        help="guardsim overlay: models, traffic, environment, the current config",
    )


def iac_options(args: argparse.Namespace) -> IacOptions | None:
    """The :class:`~guardsim.scenarios.iac.IacOptions` of ``add_iac_options``'s options."""
    from guardsim.scenarios.iac import IacOptions

    resource = getattr(args, "resource", None)
    parameters = dict(getattr(args, "parameter", None) or [])
    variables = dict(getattr(args, "var", None) or [])
    overlay = getattr(args, "overlay", None)
    if resource is None and not parameters and not variables and overlay is None:
        return None
    return IacOptions(resource, parameters, variables, Path(overlay) if overlay else None)


def print_problems(source: str, problems: Sequence[Problem], out: TextIO) -> None:
    """One line per problem, errors first: ``source: [warning: ]path: message``."""
    for p in sorted(problems, key=lambda p: (p.severity != "error", p.path)):
        mark = "warning: " if p.severity == "warning" else ""
        where = f"{p.path}: " if p.path else ""
        print(f"{source}: {mark}{where}{p.message}", file=out)


def print_record(
    record: RunRecord, json_path: str | None, out: TextIO, text: TextIO | None = None
) -> None:
    """A run's timeline and outcome, and its record written to ``json_path``.

    With ``json_path`` ``-`` standard output carries the record's JSON only; the timeline then
    goes to ``text`` if given (else nowhere). Otherwise the timeline goes to ``out`` and the
    record, if asked for, to its file (atomically), with a line saying so.
    """
    from guardsim.record import write_atomically
    from guardsim.reports.text import summary_text, timeline_text

    shown = text if json_path == "-" else out
    if shown is not None:
        print(timeline_text(record), file=shown)
        print(file=shown)
        print(summary_text(record), file=shown)
    if json_path == "-":
        out.write(record.to_json())
    elif json_path:
        write_atomically(json_path, record.to_json())
        print(f"\nrun record written to {json_path}", file=out)
