"""``guardsim run`` (simulate one deployment) and ``guardsim report`` (draw a saved run).

:func:`register` adds them to the ``guardsim`` parser. The simulator, the reports and plotly
are imported inside the commands, so declaring them costs nothing.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any, TextIO

from guardsim.cli.args import (
    EXIT_BAD_INPUT,
    EXIT_OK,
    add_iac_options,
    add_report_options,
    check_outputs,
    iac_options,
    print_record,
    seed,
)
from guardsim.cli.montecarlo import add_max_memory_option, check_estimate, print_unexercised

if TYPE_CHECKING:
    from guardsim.record import RunRecord


def _source(ref: str) -> str | None:
    """The file a scenario was read from, for messages (None for a built-in name)."""
    from pathlib import Path

    return ref if Path(ref).exists() else None


def cmd_run(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from guardsim.scenarios.loading import load_scenario
    from guardsim.simulator import simulate

    check_outputs(
        ("--json", args.json, True), ("--report", args.report, False), ("--png", args.png, False)
    )
    if args.png:
        from guardsim.reports.html import require_chromium

        require_chromium()  # before simulating: say now if no browser can draw the PNG
    scenario = load_scenario(args.scenario, iac_options(args))
    mode = args.mode or scenario.simulation.mode
    if mode == "exact":  # every request: refuse a run that cannot fit (montecarlo/estimate.py)
        from guardsim.montecarlo.estimate import estimate_run

        # a long one is stated up front
        check_estimate(estimate_run(scenario, mode, _source(args.scenario)), args, err)
    print_unexercised([(scenario.name, scenario)], err)  # warnings, not errors
    record = simulate(scenario, seed=args.seed, mode=args.mode)
    print_record(record, args.json, out)
    # with --json -, stdout stays JSON only: the report lines go to stderr
    note = err if args.json == "-" else out
    _write_reports(record, args.report, args.png, note, args.plotly_js)
    return EXIT_OK


def cmd_report(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from guardsim.record import RunRecord

    if not args.html and not args.png:
        print("guardsim report: give --html PATH and/or --png PATH", file=err)
        return EXIT_BAD_INPUT
    check_outputs(("--html", args.html, False), ("--png", args.png, False))
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


def register(sub: Any) -> None:
    """Add ``run`` and ``report`` to the ``guardsim`` sub-commands."""
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
    add_max_memory_option(p)
    add_report_options(p)
    add_iac_options(p)
    p.set_defaults(func=cmd_run)

    p = sub.add_parser("report", help="draw the run report of a saved run record (no simulation)")
    p.add_argument("record", metavar="RECORD.json", help="a run record from 'run --json'")
    p.add_argument("--html", metavar="PATH", default=None, help="write standalone HTML here")
    p.add_argument("--png", metavar="PATH", default=None, help="write a PNG image here")
    add_report_options(p)
    p.set_defaults(func=cmd_report)
