"""The ``guardsim`` command: the parser, assembled from the command groups, and the mapping of
errors to exit statuses.

Exit status: 0 success, 2 bad input (invalid scenario, missing file, bad arguments: any
:class:`~guardsim.errors.GuardsimError` but a ``SimulationError``), 1 an internal error (a
``SimulationError`` or any other exception: a bug, please report it; set ``GUARDSIM_DEBUG=1``
for the traceback), 130 when interrupted.

Each command group is one module with a ``register(subparsers)`` function
(:data:`COMMAND_GROUPS`). Registering only declares arguments, so building the parser (and
``guardsim --help`` or ``--version``) imports nothing heavy; every command imports what it
needs when it runs.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence
from typing import TextIO

from guardsim import __version__
from guardsim.cli.args import (
    EXIT_BAD_INPUT,
    EXIT_INTERNAL,
    EXIT_INTERRUPTED,
    EXIT_OK,
    print_problems,
)
from guardsim.errors import GuardsimError, ScenarioError, ScenarioNotFound, SimulationError

#: The command groups, in the order ``guardsim --help`` lists them.
COMMAND_GROUPS = (
    "guardsim.cli.run",  # run, report
    "guardsim.cli.scenarios",  # validate, scenarios, show
    "guardsim.cli.montecarlo",  # mc, sweep, recommend
    "guardsim.cli.compare",  # compare, calibrate
    "guardsim.cli.lint",  # lint
    "guardsim.cli.real",  # real plan/run/observe/import
    "guardsim.cli.serve",  # serve
    "guardsim.cli.design",  # design, judges
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="guardsim",
        description="Predict what a SageMaker deployment guardrail will do, before a real one.",
    )
    parser.add_argument("--version", action="version", version=f"guardsim {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in COMMAND_GROUPS:
        importlib.import_module(name).register(sub)
    return parser


def _version_requested(argv: Sequence[str]) -> bool:
    """``guardsim --version`` alone: answered without building the sub-commands."""
    return list(argv) == ["--version"]


def main(
    argv: Sequence[str] | None = None, out: TextIO | None = None, err: TextIO | None = None
) -> int:
    out = out or sys.stdout
    err = err or sys.stderr
    argv = sys.argv[1:] if argv is None else argv
    if _version_requested(argv):
        print(f"guardsim {__version__}", file=out)
        return EXIT_OK
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse: --help/--version exit 0, usage errors exit 2
        return int(exc.code) if isinstance(exc.code, int) else EXIT_BAD_INPUT
    try:
        return int(args.func(args, out, err))
    except ScenarioError as exc:
        if isinstance(exc, ScenarioNotFound):
            print(f"guardsim: {exc.message}", file=err)
        else:
            where = f"{exc.source}: " if exc.source else ""
            print(f"guardsim: invalid scenario {where.rstrip(': ')}", file=err)
            print_problems(exc.source or "scenario", exc.problems, err)
        return EXIT_BAD_INPUT
    except SimulationError as exc:  # a bug, with the scenario and seed that reproduce it
        return _internal_error(exc, err)
    except GuardsimError as exc:  # bad input, or something outside guardsim: the message says
        print(f"guardsim: {exc}", file=err)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print("guardsim: interrupted", file=err)
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        return EXIT_OK
    except Exception as exc:  # a bug: say so plainly, traceback on request
        return _internal_error(exc, err)


def _internal_error(exc: Exception, err: TextIO) -> int:
    if os.environ.get("GUARDSIM_DEBUG"):
        import traceback

        traceback.print_exception(exc, file=err)
    print(
        f"guardsim: internal error (a bug in guardsim, please report it): "
        f"{type(exc).__name__}: {exc}; set GUARDSIM_DEBUG=1 for the traceback",
        file=err,
    )
    return EXIT_INTERNAL


def entry() -> None:
    sys.exit(main())


if __name__ == "__main__":
    entry()
