"""The ``guardsim design`` and ``guardsim judges`` commands.

``design`` searches CloudWatch-expressible rollback alarms for the one with the smallest blast
radius (or detection time) within a false-rollback limit (:mod:`guardsim.design.search`) and
prints it as ``put_metric_alarm`` keyword arguments, CloudFormation and Terraform, with its
Monte Carlo evidence and its gap to the best statistical judge on the same seed. ``judges``
prints the scenario's alarms and the judges side by side (:mod:`guardsim.judges.evaluate`).
Every input is checked before any simulation (exit 2); ``design`` exits 3 when no alarm meets
the limits.
"""

from __future__ import annotations

import argparse
from typing import Any, TextIO

from guardsim.cli.args import (
    add_iac_options,
    check_output_path,
    iac_options,
    positive_int,
    probability,
    seed,
)
from guardsim.errors import CommandError

EXIT_OK = 0
EXIT_NONE_WITHIN_LIMITS = 3
DEFAULT_N = 400
OBJECTIVES = ("blast-radius", "detection-time")
SPACES = ("full", "small")


def _limit(value: float, flag: str) -> float:
    if not 0.0 < value < 1.0:
        raise CommandError(f"{flag} must be strictly between 0 and 1, got {value:g}")
    return value


def _progress_printer(args: argparse.Namespace, err: TextIO) -> Any:
    show = args.progress if args.progress is not None else err.isatty()
    if not show:
        return None

    def report(done: int, total: int, what: str) -> None:
        print(f"design: structure {done}/{total}: {what}", file=err, flush=True)

    return report


def cmd_design(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from guardsim.design.report import JudgeGap, best_judge, design_json, design_text
    from guardsim.design.search import SMALL_SPACE, Limits, Space, design
    from guardsim.judges.evaluate import evaluate_judges, judge_looks
    from guardsim.record import write_atomically
    from guardsim.scenarios.loading import load_scenario

    max_false = _limit(args.max_false_rollback, "--max-false-rollback")
    min_catch = 0.0 if args.min_catch is None else _limit(args.min_catch, "--min-catch")
    check_output_path(args.json)
    limits = Limits(max_false, min_catch, args.objective)
    scenario = load_scenario(args.scenario, iac_options(args))
    space = SMALL_SPACE if args.space == "small" else Space()
    result = design(
        scenario,
        limits,
        args.n,
        args.seed,
        space=space,
        workers=args.workers,
        progress=_progress_printer(args, err),
    )
    gap = None
    if result.winner is not None and not args.no_judges:
        bad, healthy = judge_looks(scenario, args.n, result.seed)
        judges = evaluate_judges(bad, healthy)
        judge = best_judge(judges, max_false, limits.objective)
        ev = result.winner.evidence
        assert ev is not None
        value = (
            ev.blast_radius_mean if limits.objective == "blast-radius" else ev.detection_time_mean
        )
        gap = JudgeGap(judge, limits.objective, value)
    text = design_json(result, gap)
    if args.json == "-":
        out.write(text + "\n")
    else:
        print(design_text(result, gap), file=out)
        if args.json:
            write_atomically(args.json, text + "\n")
            print(f"design result written to {args.json}", file=out)
    if result.winner is None:
        print(f"guardsim design: no alarm meets the limits: {result.why}", file=err)
        return EXIT_NONE_WITHIN_LIMITS
    return EXIT_OK


def cmd_judges(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from guardsim.judges.evaluate import compare
    from guardsim.scenarios.loading import load_scenario

    if args.mode != "fast":
        from guardsim.errors import UnsupportedError

        raise UnsupportedError(
            f"the {args.mode} engine does not record per-minute looks for the judges; "
            "they run on the fast engine (--mode fast)"
        )
    scenario = load_scenario(args.scenario, iac_options(args))
    comparison = compare(scenario, args.n, args.seed, workers=args.workers)
    if args.json:
        out.write(comparison.to_json() + "\n")
    else:
        print(comparison.text(), file=out)
    return EXIT_OK


def register(sub: Any) -> None:
    """Add ``design`` and ``judges`` to the ``guardsim`` sub-commands."""
    p = sub.add_parser(
        "design",
        help="search CloudWatch alarms for the smallest blast radius within a false-rollback "
        "limit; exit 3 if none",
        description="Search CloudWatch-expressible rollback alarms (Sum/Average of "
        "Invocation5XXErrors, a minimum-sample-guarded error rate, or the errors in excess of "
        "Wald's per-request weight over a sliding window; per-fleet or blended, period, M of N, "
        "TreatMissingData, threshold) for the one with the smallest blast radius (or "
        "detection time) whose false-rollback 95%% upper bound is at most P.",
    )
    p.add_argument("scenario", metavar="SCENARIO", help="scenario file or built-in name")
    p.add_argument(
        "--max-false-rollback",
        type=probability,
        required=True,
        metavar="P",
        help="upper limit on the healthy model's rollback probability (its 95%% upper bound)",
    )
    p.add_argument(
        "--min-catch",
        type=probability,
        default=None,
        metavar="Q",
        help="lower limit on the bad model's detection probability (its 95%% lower bound)",
    )
    p.add_argument(
        "-n",
        type=positive_int,
        default=DEFAULT_N,
        metavar="N",
        help=f"replications per model and candidate (default {DEFAULT_N})",
    )
    p.add_argument("--seed", type=seed, default=None, help="base seed (default: simulation.seed)")
    p.add_argument(
        "--objective",
        choices=OBJECTIVES,
        default="blast-radius",
        help="what to minimise (default blast-radius)",
    )
    p.add_argument(
        "--space",
        choices=SPACES,
        default="full",
        help="search space: full (default) or small (per-fleet, 1-minute periods, no "
        "sliding-window excess)",
    )
    p.add_argument(
        "--workers",
        type=positive_int,
        default=1,
        metavar="W",
        help="worker processes per Monte Carlo run (default 1)",
    )
    p.add_argument(
        "--json",
        default=None,
        metavar="PATH",
        help="also write the result as JSON to PATH ('-': JSON on stdout instead of the text)",
    )
    p.add_argument(
        "--no-judges",
        action="store_true",
        help="skip the comparison with the statistical judges",
    )
    p.add_argument(
        "--progress",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="progress lines on stderr (default: only when stderr is a terminal)",
    )
    add_iac_options(p)
    p.set_defaults(func=cmd_design)

    p = sub.add_parser(
        "judges",
        help="the scenario's alarms and statistical judges side by side on the same runs",
    )
    p.add_argument("scenario", metavar="SCENARIO", help="scenario file or built-in name")
    p.add_argument(
        "-n", type=positive_int, default=DEFAULT_N, metavar="N", help="replications per model"
    )
    p.add_argument("--seed", type=seed, default=None, help="base seed (default: simulation.seed)")
    p.add_argument(
        "--mode",
        default="fast",
        choices=("fast", "batch", "exact", "auto"),
        help="engine: only fast records the judges' per-minute looks (others are refused)",
    )
    p.add_argument(
        "--workers",
        type=positive_int,
        default=1,
        metavar="W",
        help="worker processes for the alarms' Monte Carlo (default 1)",
    )
    p.add_argument("--json", action="store_true", help="JSON on stdout instead of the table")
    add_iac_options(p)
    p.set_defaults(func=cmd_judges)
