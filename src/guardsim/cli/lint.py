"""The ``guardsim lint`` command (``guardsim.cli.build_parser`` calls :func:`register`)."""

from __future__ import annotations

import argparse
from typing import Any, TextIO

from guardsim.cli.args import add_iac_options, iac_options, positive_int, seed
from guardsim.lint.defaults import DEFAULT_REPLICATIONS

EXIT_BAD_INPUT = 2

DESCRIPTION = """\
Find guardrail mistakes before deploying, with numbers: thresholds that can never be reached,
alarms diluted on blended metrics, bakes shorter than the alarms' detection latency, no final
bake, missing-data settings that never trip or trip on silence, low-sample percentiles, false
rollbacks of a healthy model, the old fleet's errors tripping a blended alarm, a timeout
shorter than provisioning plus bakes, endpoints that fall back to all at once. Each finding
has a severity, its evidence (from the configuration and from a quick Monte Carlo of a failing
and a healthy green model) and a concrete fix."""

EPILOG = """\
exit status (use it to gate a CI pipeline):
  0  no finding at or above --fail-on (info findings never fail)
  3  the worst finding is a warning (with --fail-on warning, the default)
  4  the worst finding is an error
  2  bad input (invalid scenario, missing file, bad arguments)
  1  internal error (a bug)

the Monte Carlo: --replications runs per variant in fast mode from base seed --seed
(default: the scenario's simulation.seed); the same seed gives the same report.
  failing model: green fails every request with a 5XX and its ModelLatency is 10x blue's
  healthy model:  green identical to blue
'guardsim lint --list-rules' lists the rules and how each decides its severity."""


def register(subparsers: Any) -> None:
    """Add ``lint`` to the ``guardsim`` sub-commands."""
    p = subparsers.add_parser(
        "lint",
        help="find guardrail mistakes with evidence; exit 3 on warnings, 4 on errors",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument(
        "scenario",
        nargs="*",
        metavar="SCENARIO",
        help="scenario file, built-in name, or IaC file (CloudFormation, CDK output, Terraform); "
        "several: one report each (sarif: one run with every file's results; junit: one suite "
        "each), and the exit status of the worst",
    )
    p.add_argument(
        "--format",
        choices=("text", "json", "sarif", "junit"),
        default="text",
        help="report format (default text); sarif: SARIF 2.1.0 for GitHub code scanning; "
        "junit: JUnit XML for CI test reports",
    )
    p.add_argument(
        "--docs-url",
        default=None,
        metavar="URL",
        help="with --format sarif: the rules' help page, linked as URL#RULE-ID",
    )
    p.add_argument(
        "--replications",
        "-n",
        type=positive_int,
        default=DEFAULT_REPLICATIONS,
        metavar="N",
        help=f"Monte Carlo runs per model variant (default {DEFAULT_REPLICATIONS})",
    )
    p.add_argument("--seed", type=seed, default=None, help="base seed (default: simulation.seed)")
    p.add_argument(
        "--fail-on",
        choices=("warning", "error", "never"),
        default="warning",
        help="lowest severity that makes the exit status non-zero (default warning)",
    )
    p.add_argument(
        "--tool-wait-seconds",
        type=positive_int,
        default=None,
        metavar="S",
        help="how long the tool applying the update waits for it (default: the tool's own wait, "
        "60 minutes for Terraform and the AWS CLI's CloudFormation commands); rule "
        "iac-timeout-vs-tool-wait",
    )
    p.add_argument(
        "--list-rules", action="store_true", help="list the rules and their severities, then exit"
    )
    add_iac_options(p)
    p.set_defaults(func=cmd_lint)


def rules_text() -> str:
    from guardsim.lint.runner import ALL_RULES

    lines = []
    for rule in ALL_RULES:
        lines.append(rule.id)
        lines.append(f"    {rule.title}")
        lines.append(f"    severity: {rule.severities}")
    return "\n".join(lines) + "\n"


def cmd_lint(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    if args.list_rules:
        out.write(rules_text())
        return 0
    if not args.scenario:
        print("guardsim lint: give a SCENARIO (file or built-in name), or --list-rules", file=err)
        return EXIT_BAD_INPUT
    if len(args.scenario) > 1 and args.format == "json":
        print("guardsim lint: --format json takes one SCENARIO at a time", file=err)
        return EXIT_BAD_INPUT
    from guardsim.lint.report import text, to_json
    from guardsim.lint.runner import LintResult, lint
    from guardsim.scenarios.loading import load_scenario

    # every file is read and validated before any is simulated: a bad second file costs nothing
    scenarios = [(ref, load_scenario(ref, iac_options(args))) for ref in args.scenario]
    linted: list[tuple[LintResult, str]] = []
    for ref, scenario in scenarios:
        result = lint(
            scenario,
            replications=args.replications,
            seed=args.seed,
            tool_wait_seconds=args.tool_wait_seconds,
        )
        linted.append((result, ref if scenario.origin is None else scenario.origin.file))
    if args.format == "sarif":
        from guardsim.lint.sarif import to_sarif

        out.write(to_sarif(linted, args.fail_on, docs_url=args.docs_url))
    elif args.format == "junit":
        from guardsim.lint.junit import to_junit

        out.write(to_junit([r for r, _ in linted], args.fail_on))
    else:
        render = to_json if args.format == "json" else text
        out.write("\n".join(render(r, args.fail_on) for r, _ in linted))
    return max(r.exit_status(args.fail_on) for r, _ in linted)
