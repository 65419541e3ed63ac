"""The ``guardsim mc``, ``guardsim sweep`` and ``guardsim recommend`` commands.

:func:`register` adds them to the ``guardsim`` parser (``guardsim.cli.build_parser`` calls it).
Like the rest of the CLI they are thin: parse, check every input *before* any simulation starts
(scenario, ``--vary`` paths and values, every configuration, output paths, the checkpoint
folder, the executor), call the library, print. Bad input raises a
:class:`~guardsim.errors.GuardsimError`, which ``guardsim.cli.main`` reports with exit status 2.
"""

from __future__ import annotations

import argparse
import contextlib
import json
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TextIO

from guardsim.cli.args import (
    OneOfBooleanAction,
    add_iac_options,
    add_report_options,
    check_output_path,
    check_outputs,
    check_png_output,
    iac_options,
    positive_int,
    positive_number,
    probability,
    seed,
    workers,
)
from guardsim.errors import CommandError
from guardsim.montecarlo.executors import EXECUTOR_KINDS, Executor, make_executor
from guardsim.montecarlo.interrupt import exit_status, stop_on_signals
from guardsim.montecarlo.modes import MODES
from guardsim.montecarlo.progress import Progress, ProgressLine

EXIT_OK = 0
EXIT_INTERRUPTED = 130
#: recommend (and sweep --recommend): no configuration is within the limits
EXIT_NONE_WITHIN_LIMITS = 3


# --------------------------------------------------------------------------- argument types


def _condition(items: Sequence[str] | None, flag: str) -> dict[str, Any]:
    """``--bad PATH=VALUE`` flags as ``{column: value}``."""
    from guardsim.montecarlo.sweep import parse_scalar

    out: dict[str, Any] = {}
    for item in items or ():
        path, sep, value = item.partition("=")
        if not sep or not path.strip() or not value.strip():
            raise CommandError(f"{flag} {item}: expected PATH=VALUE")
        if path.strip() in out:
            raise CommandError(f"{flag} {path.strip()} is given twice")
        out[path.strip()] = parse_scalar(value)
    return out


# --------------------------------------------------------------------------- shared options


def _add_execution_options(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "-n",
        "--replications",
        dest="n",
        type=positive_int,
        required=True,
        metavar="N",
        help="replications (per configuration, for a sweep)",
    )
    p.add_argument(
        "--seed",
        type=seed,
        default=None,
        help="base seed (default: the scenario's simulation.seed); replication i "
        "uses SeedSequence(seed).spawn(n)[i]",
    )
    p.add_argument(
        "--mode",
        choices=MODES,
        default="auto",
        help="auto (the default): batch, which runs every valid scenario; "
        "batch: many replications in lockstep as numpy arrays (fast mode's model); fast: "
        "per-minute aggregates, one replication at a time (replication i is reproducible "
        "with every detail); exact: every request",
    )
    p.add_argument(
        "--executor",
        choices=EXECUTOR_KINDS,
        default=None,
        help="where replications run: auto (the default: this process for small runs, a "
        "local process pool when it pays), local (always a process pool), serial (this "
        "process), or dask (a Dask cluster, with --scheduler)",
    )
    p.add_argument(
        "--workers",
        type=workers,
        default=None,
        metavar="W",
        help="local worker processes (at most, with auto; default: one per CPU)",
    )
    p.add_argument(
        "--scheduler",
        default=None,
        metavar="ADDRESS",
        help="Dask scheduler address, e.g. tcp://10.0.0.5:8786 (implies "
        "--executor dask; needs pip install 'guardsim[dask]')",
    )
    p.add_argument(
        "--progress",
        action=OneOfBooleanAction,
        default=None,
        help="progress line on stderr (default: only when stderr is a terminal)",
    )
    add_max_memory_option(p)


def _executor(args: argparse.Namespace) -> Executor:
    kind = args.executor
    if kind is None:
        kind = "dask" if args.scheduler else ("serial" if args.workers == 1 else "auto")
    if kind != "dask" and args.scheduler:
        raise CommandError(f"--scheduler only applies to --executor dask, not {kind}")
    if kind not in ("local", "auto") and args.workers is not None and args.workers != 1:
        raise CommandError(f"--workers only applies to --executor local or auto, not {kind}")
    return make_executor(kind, workers=args.workers, scheduler=args.scheduler)


def _progress(args: argparse.Namespace, err: TextIO, label: str) -> ProgressLine | None:
    show = args.progress
    if show is None:
        isatty = getattr(err, "isatty", None)
        show = bool(isatty and isatty())
    return ProgressLine(label, err) if show else None


def memory_size(text: str) -> int:
    """argparse type of ``--max-memory``: a size such as 8G, 512MiB or 2e9 (bytes)."""
    from guardsim.montecarlo.estimate import parse_size

    try:
        return parse_size(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def add_max_memory_option(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--max-memory",
        type=memory_size,
        default=None,
        metavar="SIZE",
        help="refuse (exit 2) a run estimated to need more memory than SIZE, e.g. 16G or "
        "512MiB (default: the memory available on this machine when the run starts)",
    )


def _workers(args: argparse.Namespace) -> int:
    import os

    if args.executor == "serial" or args.workers == 1:
        return 1
    return int(args.workers or os.cpu_count() or 1)


def check_estimate(estimate: Any, args: argparse.Namespace, err: TextIO) -> None:
    """Refuse an estimate over the limit (exit 2); state a long one before starting."""
    from guardsim.montecarlo.estimate import ANNOUNCE_SECONDS, check

    check(estimate, args.max_memory)
    if estimate.seconds > ANNOUNCE_SECONDS:
        print(f"guardsim: {estimate.text()}", file=err, flush=True)


def print_unexercised(scenarios: Sequence[tuple[str, Any]], err: TextIO) -> None:
    """Warn (stderr, not an error) about runs that exercise nothing (lint/exercise.py).

    ``scenarios`` are ``(label, scenario)``; a warning every one of them shares is printed
    once, without labels."""
    from guardsim.lint.exercise import unexercised

    found: dict[str, list[str]] = {}
    for label, scenario in scenarios:
        for u in unexercised(scenario):
            found.setdefault(str(u), []).append(label)
    for text, labels in found.items():
        if len(labels) == len(scenarios):
            print(f"guardsim: warning: {text}", file=err)
            continue
        shown = ", ".join(labels[:3]) + (f" and {len(labels) - 3} more" if len(labels) > 3 else "")
        print(f"guardsim: warning: {shown}: {text}", file=err)


# --------------------------------------------------------------------------- mc


def cmd_mc(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from guardsim.montecarlo.tables import check_writable
    from guardsim.scenarios.loading import load_scenario

    check_outputs(
        ("--json", args.json, True),
        ("--csv", args.csv, True),
        ("--report", args.report, False),
        ("--png", args.png, False),
    )
    if args.csv not in (None, "-"):
        check_writable(args.csv, "csv")
    check_png_output(args.png)
    scenario = load_scenario(args.scenario, iac_options(args))
    from guardsim.montecarlo.estimate import check, estimate_mc

    # memory does not depend on batch versus fast: refuse before the engines are even imported
    provisional = args.mode if args.mode in ("fast", "exact") else "batch"
    check(estimate_mc(scenario, args.n, provisional, _workers(args)), args.max_memory)
    from guardsim.montecarlo.monte_carlo import resolve_mode

    mode = resolve_mode(scenario, args.mode)
    check_estimate(estimate_mc(scenario, args.n, mode, _workers(args)), args, err)
    print_unexercised([(scenario.name, scenario)], err)
    # one owner per output file, taken before any simulation (as sweeps own theirs): two runs
    # writing one --json would otherwise overwrite each other's result
    files = [p for p in (args.json, args.csv, args.report, args.png) if p not in (None, "-")]
    with contextlib.ExitStack() as locks:
        return _mc_owning(args, out, err, scenario, locks, files)


def _mc_owning(
    args: argparse.Namespace,
    out: TextIO,
    err: TextIO,
    scenario: Any,
    locks: contextlib.ExitStack,
    files: Sequence[str],
) -> int:
    from guardsim.montecarlo.monte_carlo import monte_carlo
    from guardsim.montecarlo.tables import write_table
    from guardsim.record import write_atomically

    progress = None
    try:
        with stop_on_signals():
            _lock_paths(locks, None, files, args.wait_for_lock, err)
            progress = _progress(args, err, f"mc {scenario.name}")
            if progress is not None:
                progress(Progress(0, args.n))  # shown from the start, not after the first chunk
            with _executor(args) as executor:
                result = monte_carlo(
                    scenario,
                    args.n,
                    seed=args.seed,
                    mode=args.mode,
                    executor=executor,
                    progress=progress,
                )
    except KeyboardInterrupt as exc:
        print("guardsim: interrupted; nothing was written", file=err)
        return exit_status(exc)
    finally:
        if progress is not None:
            progress.close()
    if args.csv and args.csv != "-":
        write_table(result.runs, args.csv, "csv")
    if args.report or args.png:
        from guardsim.montecarlo.examples import example_runs

        examples = example_runs(result)  # simulates the few representative runs it draws
    if args.report:
        from guardsim.reports.montecarlo import write_mc_report

        write_mc_report(result, args.report, examples, plotly_js=args.plotly_js)
    if args.png:
        from guardsim.reports.html import write_png
        from guardsim.reports.montecarlo import mc_figure

        write_png(mc_figure(result, examples.examples), args.png)
    if "-" in (args.json, args.csv):  # stdout is the JSON (or the CSV) only
        if args.json == "-":
            out.write(result.to_json())
        else:
            result.runs.to_csv(out, index=False)
            if args.json:
                write_atomically(args.json, result.to_json())
                print(f"Monte Carlo result written to {args.json}", file=err)
        if args.report:
            print(f"Monte Carlo report written to {args.report}", file=err)
        if args.png:
            print(f"Monte Carlo figure written to {args.png}", file=err)
        return EXIT_OK
    print(result.text(), file=out)
    if args.json:
        write_atomically(args.json, result.to_json())
        print(f"\nMonte Carlo result written to {args.json}", file=out)
    if args.csv:
        print(f"runs table ({len(result.runs)} rows) written to {args.csv}", file=out)
    if args.report:
        print(f"Monte Carlo report written to {args.report}", file=out)
    if args.png:
        print(f"Monte Carlo figure written to {args.png}", file=out)
    return EXIT_OK


# --------------------------------------------------------------------------- sweep


def _default_checkpoint(outputs: Sequence[str]) -> Path | None:
    if not outputs:
        return None
    first = Path(outputs[0])
    return first.with_name(f"{first.stem}.checkpoint")


def _sweep_table_text(table: Any, columns: Sequence[str]) -> list[str]:
    from guardsim.montecarlo.recommend import format_table, short_labels

    def cell(v: Any) -> str:
        if isinstance(v, float) and v.is_integer() and abs(v) < 1e15:
            return str(int(v))
        return str(v)

    def clock(v: Any) -> str:
        if v is None or v != v:
            return "-"
        total = round(v)
        h, rest = divmod(total, 3600)
        m, s = divmod(rest, 60)
        return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"

    header = [
        *short_labels(columns),
        "p_rollback",
        "95% CI",
        "green errors",
        "detected p50",
        "deploy mean",
    ]
    rows = []
    for _, r in table.iterrows():
        rows.append(
            [
                *(cell(r[c]) for c in columns),
                f"{100 * r['p_rollback']:.1f}%",
                f"{100 * r['p_rollback_low']:.1f}-{100 * r['p_rollback_high']:.1f}%",
                f"{r['green_errors_mean']:.1f}",
                clock(r["detected_at_seconds_p50"]),
                clock(r["deployment_seconds_mean"]),
            ]
        )
    return format_table(rows, header)


def cmd_sweep(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from guardsim.montecarlo.sweep import Vary, plan_sweep, run_sweep
    from guardsim.montecarlo.tables import check_writable
    from guardsim.scenarios.loading import load_scenario

    varies = [Vary.parse(text) for text in args.vary]
    check_outputs(
        *(("--out", path, True) for path in args.out or []),
        ("--report", args.report, False),
        ("--png", args.png, False),
    )
    # `--out -`: the table as CSV on stdout, and nothing else there (the summary goes to stderr)
    table_stream = out if "-" in (args.out or []) else None
    if table_stream is not None:
        out = err
    outputs: list[str] = [path for path in args.out or [] if path != "-"]
    for path in outputs:
        check_writable(path)
    check_png_output(args.png)
    if len({str(Path(p).resolve()) for p in outputs}) < len(outputs):
        raise CommandError("the same --out file is given twice")
    if args.no_checkpoint and args.checkpoint:
        raise CommandError("--checkpoint and --no-checkpoint contradict each other")
    checkpoint = (
        None
        if args.no_checkpoint
        else (Path(args.checkpoint) if args.checkpoint else _default_checkpoint(outputs))
    )
    if checkpoint is not None:
        from guardsim.montecarlo.checkpoint import Checkpoint

        Checkpoint(checkpoint).check_writable()
        # try a file where the checkpoint's rows go (the folder, or the folder it is made in)
        check_output_path(
            str(checkpoint / ".guardsim-check" if checkpoint.is_dir() else checkpoint), stdout=False
        )
    bad = _condition(args.bad, "--bad")
    healthy = _condition(args.healthy, "--healthy")
    if args.recommend and not (bad and healthy):
        raise CommandError("--recommend needs --bad PATH=VALUE and --healthy PATH=VALUE")
    if (
        bad or healthy or args.max_false_rollback is not None or args.max_duration is not None
    ) and not args.recommend:
        raise CommandError(
            "--bad, --healthy, --max-false-rollback and --max-duration go with --recommend"
        )
    scenario = load_scenario(args.scenario, iac_options(args))
    plan = plan_sweep(
        scenario, varies, args.n, seed=args.seed, mode=args.mode, skip_invalid=args.skip_invalid
    )
    for flag, cond in (("--bad", bad), ("--healthy", healthy)):
        for col in cond:
            if col not in plan.columns:
                raise CommandError(
                    f"{flag} {col}: not a swept path; swept: {', '.join(plan.columns)}"
                )
    _check_conditions_in_grid(plan, bad, healthy)
    axes = [c for c in plan.columns if c not in bad and c not in healthy]
    if (args.report or args.png) and not axes:
        raise CommandError("--report needs a swept setting besides the --bad/--healthy column")
    if (args.report or args.png) and len(axes) > 2:
        raise CommandError(
            f"--report draws two swept settings (besides --bad/--healthy), this sweep varies "
            f"{len(axes)}: {', '.join(axes)}"
        )
    if plan.invalid:
        print(
            f"guardsim: skipping {len(plan.invalid)} invalid configuration(s) of {plan.grid_size}:",
            file=err,
        )
        for c in plan.invalid:
            print(f"  skipped {c.label()}: " + "; ".join(str(p) for p in c.problems), file=err)
    total = len(plan.configurations)
    from guardsim.montecarlo.monte_carlo import resolve_mode

    modes = Counter(resolve_mode(c.scenario, args.mode) for c in plan.configurations)
    how = (
        f"{next(iter(modes))} mode"
        if len(modes) == 1
        else ", ".join(f"{k} mode for {v}" for k, v in sorted(modes.items()))
    )
    print(
        f"Sweep of {scenario.name}: {total} configuration(s) x {args.n} replications ({how})",
        file=out,
    )
    from guardsim.montecarlo.estimate import estimate_sweep

    resolved = [(c.scenario, resolve_mode(c.scenario, args.mode)) for c in plan.configurations]
    check_estimate(estimate_sweep(resolved, args.n, _workers(args)), args, err)
    print_unexercised(
        [
            (", ".join(f"{k}={json.dumps(v)}" for k, v in c.values.items()), c.scenario)
            for c in plan.configurations
        ],
        err,
    )
    progress = _progress(args, err, "sweep")
    locks = contextlib.ExitStack()
    try:
        with stop_on_signals():
            # one owner per checkpoint and per output: taken before any simulation
            _lock_paths(locks, checkpoint, outputs, args.wait_for_lock, err)
            with _executor(args) as executor:
                try:
                    result = run_sweep(
                        plan, executor=executor, checkpoint=checkpoint, progress=progress
                    )
                finally:
                    if progress is not None:
                        progress.close()
    except KeyboardInterrupt as exc:
        locks.close()
        if checkpoint is not None:
            print(
                f"guardsim: interrupted; finished configurations are saved in {checkpoint}: "
                "run the same command again to resume",
                file=err,
            )
        else:
            print(
                "guardsim: interrupted (no checkpoint: give --out or --checkpoint to be able "
                "to resume)",
                file=err,
            )
        return exit_status(exc)
    except BaseException:
        locks.close()
        raise
    with locks:
        return _sweep_finish(
            args, out, scenario, plan, result, checkpoint, outputs, axes, table_stream
        )


def _lock_paths(
    locks: contextlib.ExitStack,
    checkpoint: Path | None,
    outputs: Sequence[str],
    wait: bool,
    err: TextIO,
) -> None:
    """Own the checkpoint and every output for this run (see montecarlo/locking.py)."""
    from guardsim.montecarlo.locking import hold

    def notify(text: str) -> None:
        print(f"guardsim: {text}", file=err, flush=True)

    if checkpoint is not None:
        locks.enter_context(hold(checkpoint, f"checkpoint {checkpoint}", wait=wait, notify=notify))
    for path in outputs:
        locks.enter_context(hold(path, f"output {path}", wait=wait, notify=notify))


def _sweep_finish(
    args: argparse.Namespace,
    out: TextIO,
    scenario: Any,
    plan: Any,
    result: Any,
    checkpoint: Path | None,
    outputs: Sequence[str],
    axes: Sequence[str],
    table_stream: TextIO | None,
) -> int:
    from guardsim.montecarlo.recommend import recommend
    from guardsim.montecarlo.tables import write_table

    bad = _condition(args.bad, "--bad")
    healthy = _condition(args.healthy, "--healthy")
    if result.reused:
        print(
            f"  {result.reused} configuration(s) taken from the checkpoint {checkpoint}, "
            f"{result.computed} computed",
            file=out,
        )
    for line in _sweep_table_text(result.table, plan.columns):
        print("  " + line, file=out)
    for path in outputs:
        write_table(result.table, path)
        print(f"table ({len(result.table)} rows) written to {path}", file=out)
    if table_stream is not None:
        result.table.to_csv(table_stream, index=False)
    rec = None
    if args.recommend:
        rec = recommend(
            result.table,
            bad=bad,
            healthy=healthy,
            max_false_rollback=args.max_false_rollback,
            max_duration=args.max_duration,
            conservative=args.conservative,
            duration_of=args.duration_of,
            min_catch=args.min_catch,
        )
        print(file=out)
        print(rec.text(), file=out)
    if args.report or args.png:
        from guardsim.reports.sweep import write_sweep_report

        write_sweep_report(
            result.table,
            args.report,
            x=axes[0] if axes else None,
            y=axes[1] if len(axes) > 1 else None,
            recommendation=rec,
            scenario=scenario,
            plotly_js=args.plotly_js,
            png_path=args.png,
        )
        for what, path in (("report", args.report), ("figure", args.png)):
            if path:
                print(f"sweep {what} written to {path}", file=out)
    return EXIT_NONE_WITHIN_LIMITS if rec is not None and rec.best is None else EXIT_OK


def _check_conditions_in_grid(plan: Any, bad: dict[str, Any], healthy: dict[str, Any]) -> None:
    """Before any simulation: every ``--bad``/``--healthy`` value is one the sweep has (the
    same match ``recommend`` makes on the finished table)."""
    from guardsim.montecarlo.recommend import column_matches
    from guardsim.montecarlo.sweep import build_table

    if not (bad or healthy) or not plan.configurations:
        return
    grid = build_table(plan, {c.key: {} for c in plan.configurations})
    for flag, cond in (("--bad", bad), ("--healthy", healthy)):
        for col, value in cond.items():
            if not column_matches(grid[col], value).any():
                present = ", ".join(str(v) for v in dict.fromkeys(grid[col]))
                raise CommandError(
                    f"{flag} {col}={value}: the sweep has no configuration with {col} = "
                    f"{value}; its values: {present}"
                )


# --------------------------------------------------------------------------- recommend


def cmd_recommend(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from guardsim.montecarlo.recommend import recommend
    from guardsim.montecarlo.tables import read_table

    bad = _condition(args.bad, "--bad")
    healthy = _condition(args.healthy, "--healthy")
    table = read_table(args.table)
    rec = recommend(
        table,
        bad=bad,
        healthy=healthy,
        max_false_rollback=args.max_false_rollback,
        max_duration=args.max_duration,
        conservative=args.conservative,
        duration_of=args.duration_of,
        min_catch=args.min_catch,
    )
    print(rec.text(), file=out)
    return EXIT_NONE_WITHIN_LIMITS if rec.best is None else EXIT_OK


def _add_recommend_options(p: argparse.ArgumentParser, *, required: bool) -> None:
    p.add_argument(
        "--bad",
        action="append",
        metavar="PATH=VALUE",
        required=required,
        help="the rows of the bad model, e.g. models.green.error_rate_5xx=0.05",
    )
    p.add_argument(
        "--healthy",
        action="append",
        metavar="PATH=VALUE",
        required=required,
        help="the rows of the healthy model, e.g. models.green.error_rate_5xx=0",
    )
    p.add_argument(
        "--max-false-rollback",
        type=probability,
        default=None,
        metavar="P",
        help="limit on the healthy model's rollback probability (0 to 1)",
    )
    p.add_argument(
        "--max-duration",
        type=positive_number,
        default=None,
        metavar="SECONDS",
        help="limit on the mean deployment time, seconds",
    )
    p.add_argument(
        "--min-catch",
        type=probability,
        default=None,
        metavar="P",
        help="the bad model must be rolled back with probability >= P (by the lower end of "
        "its 95%% interval)",
    )
    p.add_argument(
        "--conservative",
        action="store_true",
        help="hold the upper end of the false-rollback 95%% interval to the limit",
    )
    p.add_argument(
        "--duration-of",
        choices=("healthy", "bad"),
        default="healthy",
        help="whose deployment time --max-duration limits (default: the healthy "
        "model's, what every good release pays)",
    )


# --------------------------------------------------------------------------- registration


def _add_wait_for_lock_option(p: argparse.ArgumentParser, what: str) -> None:
    p.add_argument(
        "--wait-for-lock",
        action="store_true",
        help=f"if another process holds {what}, wait for it to finish "
        "(default: say who holds it and exit 2)",
    )


def register(sub: Any) -> None:
    """Add ``mc``, ``sweep`` and ``recommend`` to the ``guardsim`` sub-command parsers."""
    p = sub.add_parser("mc", help="Monte Carlo: N replications of a scenario, summarised")
    p.add_argument("scenario", metavar="SCENARIO", help="scenario file or built-in name")
    _add_execution_options(p)
    p.add_argument(
        "--json",
        metavar="PATH",
        default=None,
        help="write the result (summary and every run) as JSON ('-': JSON only, to stdout)",
    )
    p.add_argument(
        "--csv",
        metavar="PATH",
        default=None,
        help="write the runs table (one row per replication) as CSV",
    )
    _add_wait_for_lock_option(p, "an output file")
    p.add_argument(
        "--report",
        metavar="PATH",
        default=None,
        help="write the Monte Carlo report (standalone HTML): distributions, rollback "
        "probability, and the timelines of a few representative runs, marked on the "
        "histograms (simulated again with every detail; for a batch-mode result, fast-mode "
        "runs like them)",
    )
    add_report_options(p, png=True)
    add_iac_options(p)
    p.set_defaults(func=cmd_mc)

    p = sub.add_parser(
        "sweep", help="Monte Carlo over a grid of settings; one row per configuration"
    )
    p.add_argument("scenario", metavar="SCENARIO", help="scenario file or built-in name")
    p.add_argument(
        "--vary",
        action="append",
        required=True,
        metavar="PATH=VALUES",
        help="a scenario field and its values, e.g. alarms[0].Threshold=0.01,0.05 "
        "or deployment_config.BlueGreenUpdatePolicy.TrafficRoutingConfiguration"
        ".WaitIntervalInSeconds=60:300:60; repeat for a full factorial grid",
    )
    _add_execution_options(p)
    p.add_argument(
        "--out",
        action="append",
        metavar="PATH",
        help="write the table to PATH (.csv or .parquet; '-': CSV to stdout, and the summary "
        "to stderr); repeatable",
    )
    p.add_argument(
        "--checkpoint",
        metavar="DIR",
        default=None,
        help="checkpoint folder (default: NAME.checkpoint beside the first --out); "
        "a rerun of the same sweep resumes from it",
    )
    p.add_argument("--no-checkpoint", action="store_true", help="do not checkpoint")
    _add_wait_for_lock_option(p, "the checkpoint or an --out file")
    p.add_argument(
        "--skip-invalid",
        action="store_true",
        help="skip invalid configurations instead of refusing the sweep",
    )
    p.add_argument(
        "--recommend",
        action="store_true",
        help="after the sweep, recommend a configuration (needs --bad, --healthy)",
    )
    _add_recommend_options(p, required=False)
    p.add_argument(
        "--report",
        metavar="PATH",
        default=None,
        help="write the sweep report (standalone HTML): heatmaps over the two swept "
        "settings, and with --recommend the Pareto front and the recommendation",
    )
    add_report_options(p, png=True)
    add_iac_options(p)
    p.set_defaults(func=cmd_sweep)

    p = sub.add_parser(
        "recommend",
        help="from a sweep table: the configuration with the least blast radius within limits, "
        "and the Pareto front",
    )
    p.add_argument("table", metavar="TABLE", help="a sweep table (.csv or .parquet)")
    _add_recommend_options(p, required=True)
    p.set_defaults(func=cmd_recommend)
