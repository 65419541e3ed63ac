"""The ``guardsim`` command: a thin layer over the library.

Exit status: 0 success, 2 bad input (invalid scenario, missing file, bad arguments), 1 an
internal error (a bug: please report it; set ``GUARDSIM_DEBUG=1`` for the traceback), 130 when
interrupted.
"""

from __future__ import annotations

import argparse
import os
import sys
import traceback
from collections.abc import Sequence
from typing import TYPE_CHECKING, TextIO

from guardsim import __version__
from guardsim.cli.args import (
    EXIT_BAD_INPUT,
    EXIT_INTERNAL,
    EXIT_INTERRUPTED,
    EXIT_OK,
    add_iac_options,
    add_report_options,
    check_output_path,
    iac_options,
    seed,
)
from guardsim.errors import GuardsimError, Problem, ScenarioError, ScenarioNotFound
from guardsim.scenarios import library
from guardsim.scenarios.loading import read_scenario

if TYPE_CHECKING:
    from guardsim.record import RunRecord


def _print_problems(source: str, problems: Sequence[Problem], out: TextIO) -> None:
    for p in sorted(problems, key=lambda p: (p.severity != "error", p.path)):
        mark = "warning: " if p.severity == "warning" else ""
        where = f"{p.path}: " if p.path else ""
        print(f"{source}: {mark}{where}{p.message}", file=out)


def cmd_validate(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    status = EXIT_OK
    for ref in args.files:
        try:
            result = read_scenario(ref, iac_options(args))
        except ScenarioNotFound as exc:
            print(f"{ref}: {exc.message}", file=err)
            status = EXIT_BAD_INPUT
            continue
        except ScenarioError as exc:
            _print_problems(ref, exc.problems, out)
            print(f"{ref}: invalid", file=out)
            status = EXIT_BAD_INPUT
            continue
        _print_problems(ref, result.problems, out)
        n_err, n_warn = len(result.errors), len(result.warnings)
        if n_err:
            print(f"{ref}: invalid ({n_err} error(s), {n_warn} warning(s))", file=out)
            status = EXIT_BAD_INPUT
        else:
            print(f"{ref}: valid ({n_warn} warning(s))", file=out)
    return status


def cmd_scenarios(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    rows = library.describe()
    width = max(len(name) for name, _ in rows)
    for name, desc in rows:
        print(f"{name:<{width}}  {desc}", file=out)
    return EXIT_OK


def cmd_show(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    if args.name not in library.names():
        from guardsim.scenarios.fields import did_you_mean

        hint = did_you_mean(args.name, library.names())
        print(
            f"guardsim: no built-in scenario named {args.name!r}{hint}; see 'guardsim scenarios'",
            file=err,
        )
        return EXIT_BAD_INPUT
    out.write(library.text(args.name))
    return EXIT_OK


def cmd_run(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from guardsim.record import write_atomically
    from guardsim.reports.text import summary_text, timeline_text
    from guardsim.scenarios.loading import load_scenario
    from guardsim.simulator import simulate

    for path in (args.json, args.report, args.png):
        check_output_path(path)
    if args.png:
        from guardsim.reports.html import require_chromium

        require_chromium()  # before simulating: say now if no browser can draw the PNG
    scenario = load_scenario(args.scenario, iac_options(args))
    record = simulate(scenario, seed=args.seed, mode=args.mode)
    if args.json == "-":
        out.write(record.to_json())
        _write_reports(record, args.report, args.png, err, args.plotly_js)  # stdout stays JSON only
        return EXIT_OK
    print(timeline_text(record), file=out)
    print(file=out)
    print(summary_text(record), file=out)
    if args.json:
        write_atomically(args.json, record.to_json())
        print(f"\nrun record written to {args.json}", file=out)
    _write_reports(record, args.report, args.png, out, args.plotly_js)
    return EXIT_OK


def cmd_report(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from guardsim.record import RunRecord

    if not args.html and not args.png:
        print("guardsim report: give --html PATH and/or --png PATH", file=err)
        return EXIT_BAD_INPUT
    for path in (args.html, args.png):
        check_output_path(path)
    if args.png:
        from guardsim.reports.html import require_chromium

        require_chromium()
    _write_reports(RunRecord.load(args.record), args.html, args.png, out, args.plotly_js)
    return EXIT_OK


def _write_reports(
    record: RunRecord, html: str | None, png: str | None, note: TextIO, plotly_js: str
) -> None:
    if not html and not png:
        return
    from guardsim.reports.run import write_run_report

    write_run_report(record, html_path=html, png_path=png, plotly_js=plotly_js)
    for kind, path in (("report", html), ("image", png)):
        if path:
            print(f"run {kind} written to {path}", file=note)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="guardsim",
        description="Predict what a SageMaker deployment guardrail will do, before a real one.",
    )
    parser.add_argument("--version", action="version", version=f"guardsim {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    p = sub.add_parser("run", help="simulate one deployment and print its timeline and outcome")
    p.add_argument("scenario", metavar="SCENARIO", help="scenario file or built-in name")
    p.add_argument("--seed", type=seed, default=None, help="override simulation.seed")
    p.add_argument(
        "--mode",
        choices=("exact", "fast"),
        default=None,
        help="exact: every request (default: simulation.mode); fast: per-minute aggregates",
    )
    p.add_argument(
        "--json",
        metavar="PATH",
        default=None,
        help="write the run record as JSON to PATH ('-': print only the JSON)",
    )
    p.add_argument(
        "--report",
        metavar="PATH.html",
        default=None,
        help="write the run report: one standalone HTML file (works offline)",
    )
    p.add_argument(
        "--png", metavar="PATH.png", default=None, help="write the run report's figure as PNG"
    )
    add_report_options(p)
    add_iac_options(p)
    p.set_defaults(func=cmd_run)

    p = sub.add_parser("report", help="draw the run report of a saved run record (no simulation)")
    p.add_argument("record", metavar="RECORD.json", help="a run record from 'run --json'")
    p.add_argument("--html", metavar="PATH", default=None, help="write standalone HTML here")
    p.add_argument("--png", metavar="PATH", default=None, help="write a PNG image here")
    add_report_options(p)
    p.set_defaults(func=cmd_report)

    p = sub.add_parser(
        "validate", help="check scenario files (or built-in names); exit 2 if invalid"
    )
    p.add_argument("files", nargs="+", metavar="SCENARIO", help="scenario file or built-in name")
    add_iac_options(p)
    p.set_defaults(func=cmd_validate)

    p = sub.add_parser("scenarios", help="list the built-in scenarios")
    p.set_defaults(func=cmd_scenarios)

    p = sub.add_parser("show", help="print a built-in scenario's YAML, to copy and edit")
    p.add_argument("name", metavar="NAME")
    p.set_defaults(func=cmd_show)

    # Command groups that live with their feature: mc/sweep/recommend, compare/calibrate, lint,
    # real. Imported here, not at the top, so 'guardsim validate' does not pay for boto3 & co.
    from guardsim.cli import compare as compare_cli
    from guardsim.cli import lint as lint_cli
    from guardsim.cli import montecarlo as simulation_cli
    from guardsim.cli import real as real_cli

    for module in (simulation_cli, compare_cli, lint_cli, real_cli):
        module.register(sub)
    return parser


def main(
    argv: Sequence[str] | None = None, out: TextIO | None = None, err: TextIO | None = None
) -> int:
    out = out or sys.stdout
    err = err or sys.stderr
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
            _print_problems(exc.source or "scenario", exc.problems, err)
        return EXIT_BAD_INPUT
    except GuardsimError as exc:
        print(f"guardsim: {exc}", file=err)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print("guardsim: interrupted", file=err)
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        return EXIT_OK
    except Exception as exc:  # a bug: say so plainly, traceback on request
        if os.environ.get("GUARDSIM_DEBUG"):
            traceback.print_exc(file=err)
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
