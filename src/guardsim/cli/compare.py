"""``guardsim compare`` and ``guardsim calibrate``: thin commands over :mod:`guardsim.compare`.

::

    guardsim compare PREDICTED REAL [--report PATH.html] [--json PATH]
    guardsim compare --batch DIR [--scenario SCENARIO] [--predictions N] [--seed N] [--json PATH]
    guardsim calibrate RECORD... --scenario SCENARIO -o OUT.yaml [--predictions N] [--json PATH]

Bad input (a missing or invalid file, records of another deployment) raises a
:class:`~guardsim.errors.GuardsimError`, which the ``guardsim`` command turns into a message and
exit status 2.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from guardsim.cli.args import (
    EXIT_BAD_INPUT,
    EXIT_OK,
    add_report_options,
    check_outputs,
    positive_int,
    seed,
)
from guardsim.record import RunRecord, write_atomically

if TYPE_CHECKING:
    from guardsim.backend import SimulatedBackend
    from guardsim.scenarios.scenario import Scenario


def _write_json(path: str | None, data: dict[str, Any], out: TextIO, what: str) -> None:
    if not path:
        return
    text = json.dumps(data, indent=1, sort_keys=True, allow_nan=False) + "\n"
    if path == "-":
        out.write(text)
        return
    write_atomically(path, text)
    print(f"{what} written to {path}", file=out)


def cmd_compare(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from guardsim.compare.comparison import compare_records
    from guardsim.compare.distribution import compare_distribution
    from guardsim.compare.inputs import load_predicted
    from guardsim.compare.report import write_compare_report
    from guardsim.compare.text import comparison_text, distribution_text
    from guardsim.compare.verdicts import EXIT_FAILED, check_fail_on, failed, verdict

    if args.batch is not None:
        check_fail_on(args.fail_on, "batch")
        if args.paths or args.report:
            print(
                "guardsim compare: --batch DIR takes no PREDICTED/REAL files and no --report",
                file=err,
            )
            return EXIT_BAD_INPUT
        return _batch(args, out, err)
    if len(args.paths) != 2:
        print("guardsim compare: give PREDICTED and REAL (or --batch DIR)", file=err)
        return EXIT_BAD_INPUT
    if args.scenario is not None:
        print("guardsim compare: --scenario goes with --batch", file=err)
        return EXIT_BAD_INPUT
    check_outputs(("--report", args.report, False), ("--json", args.json, True))
    predicted_path, real_path = args.paths
    if Path(real_path).is_dir():
        print(
            f"guardsim compare: REAL must be one run record, not a folder ({real_path}); "
            "use --batch for a folder of real runs",
            file=err,
        )
        return EXIT_BAD_INPUT
    predicted = load_predicted(predicted_path)
    real = RunRecord.load(real_path)
    note = err if args.json == "-" else out
    kind = "record" if isinstance(predicted, RunRecord) else "distribution"
    check_fail_on(args.fail_on, kind)  # before any work: a verdict this comparison never gives
    if isinstance(predicted, RunRecord):
        result: Any = compare_records(predicted, real)
        text = comparison_text(result)
    else:
        result = compare_distribution(predicted, real)
        text = distribution_text(result)
    if args.json != "-":
        print(text, file=out)
    _write_json(args.json, result.to_data(), out if args.json == "-" else note, "comparison")
    if args.report:
        write_compare_report(result, args.report, plotly_js=args.plotly_js)
        print(f"comparison report written to {args.report}", file=note)
    if failed(result, args.fail_on):
        print(f"guardsim compare: verdict {verdict(result)} (--fail-on {args.fail_on})", file=err)
        return EXIT_FAILED
    return EXIT_OK


def _batch(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from guardsim.backend import SimulatedBackend
    from guardsim.compare.agreement import compare_batch
    from guardsim.compare.inputs import load_records
    from guardsim.compare.text import batch_text
    from guardsim.scenarios.loading import load_scenario

    check_outputs(("--json", args.json, True))
    if not Path(args.batch).is_dir():
        print(
            f"guardsim compare: --batch needs a folder of run records, got {args.batch}", file=err
        )
        return EXIT_BAD_INPUT
    scenario = load_scenario(args.scenario) if args.scenario else None
    loaded = load_records([args.batch])
    reals = [r for _, r in loaded]
    sources = [Path(s).name for s, _ in loaded]
    predicted = batch_predictions(
        reals,
        sources,
        SimulatedBackend(mode="fast", detail=False),
        n=args.predictions,
        scenario=scenario,
        seed=args.seed,
    )
    errors = compare_batch(reals, predicted, sources=sources, predicted_from="the scenario")
    where = f"the scenario {args.scenario}" if args.scenario else "each record's own scenario"
    if args.json != "-":
        print(
            batch_text(
                errors,
                f"Prediction error of {where} over {len(loaded)} real run(s) in {args.batch}",
            ),
            file=out,
        )
    _write_json(args.json, errors.to_data(), out, "batch summary")
    return EXIT_OK


def batch_predictions(
    reals: Sequence[RunRecord],
    sources: Sequence[str],
    backend: SimulatedBackend,
    *,
    n: int,
    scenario: Scenario | None = None,
    seed: int | None = None,
) -> list[list[RunRecord]]:
    """The predictions of each real run: replications ``0 .. n-1`` (base ``seed``) of
    ``scenario``, or of the scenario the record carries; made once per distinct scenario.

    A given ``scenario`` is checked against every record before anything runs.
    """
    from guardsim.compare.agreement import scenario_of
    from guardsim.compare.structure import check_same_deployment

    if scenario is not None:
        for real, src in zip(reals, sources, strict=True):
            check_same_deployment(scenario.to_dict(), real.scenario_definition, "the scenario", src)
    made: dict[str, list[RunRecord]] = {}
    predicted = []
    for real, src in zip(reals, sources, strict=True):
        s = scenario if scenario is not None else scenario_of(real, src)
        key = repr(s.to_dict())
        if key not in made:
            made[key] = backend.replications(s, n, seed=seed)
        predicted.append(made[key])
    return predicted


def cmd_calibrate(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from guardsim.backend import SimulatedBackend
    from guardsim.compare.agreement import agreement_improvement
    from guardsim.compare.calibration import apply, calibrate, calibrated_yaml
    from guardsim.compare.inputs import load_records
    from guardsim.compare.text import calibration_text, improvement_text
    from guardsim.scenarios.loading import load_scenario

    check_outputs(("--output", args.output, False), ("--json", args.json, True))
    scenario = load_scenario(args.scenario)
    loaded = load_records(args.records)
    records = [r for _, r in loaded]
    cal = calibrate(records, scenario)
    calibrated = apply(cal, scenario)
    backend = SimulatedBackend(mode="fast", detail=False)  # same replications before and after
    improvement = agreement_improvement(
        records,
        backend.replications(scenario, args.predictions, seed=args.seed),
        backend.replications(calibrated, args.predictions, seed=args.seed),
    )
    print(calibration_text(cal), file=out)
    print(file=out)
    print(improvement_text(improvement), file=out)
    write_atomically(args.output, calibrated_yaml(cal, calibrated))
    print(f"\ncalibrated scenario written to {args.output}", file=out)
    _write_json(
        args.json,
        {"calibration": cal.to_data(), "agreement": improvement.to_data()},
        out,
        "calibration",
    )
    return EXIT_OK


def register(sub: Any) -> None:
    """Add ``compare`` and ``calibrate`` to the ``guardsim`` sub-command parsers."""
    p = sub.add_parser(
        "compare",
        help="predicted vs real: a run record or Monte Carlo result against a real run record, "
        "or a folder of real runs against predictions (--batch)",
    )
    p.add_argument(
        "paths",
        nargs="*",
        metavar="PREDICTED REAL",
        help="PREDICTED: a run record, a Monte Carlo result (mc --json) or a folder of "
        "run records; REAL: a run record",
    )
    p.add_argument(
        "--report",
        metavar="PATH.html",
        default=None,
        help="write the comparison report: one standalone HTML file (works offline)",
    )
    add_report_options(p)
    p.add_argument(
        "--json",
        metavar="PATH",
        default=None,
        help="write the comparison as JSON ('-': only the JSON, to stdout)",
    )
    p.add_argument(
        "--fail-on",
        choices=("surprising", "differ"),
        default=None,
        help="exit 3 when the verdict is this one: surprising (a real run outside the "
        "predicted distribution) or differ (one predicted record, another outcome); "
        "default: every verdict exits 0",
    )
    p.add_argument(
        "--batch",
        metavar="DIR",
        default=None,
        help="compare every run record in DIR with predictions and summarise the error",
    )
    p.add_argument(
        "--scenario",
        metavar="SCENARIO",
        default=None,
        help="with --batch: predict from this scenario (default: each record's own)",
    )
    p.add_argument(
        "--predictions",
        type=positive_int,
        default=5,
        metavar="N",
        help="with --batch: simulated predictions per real run (default 5)",
    )
    p.add_argument(
        "--seed", type=seed, default=None, help="with --batch: base seed of the predictions"
    )
    p.set_defaults(func=cmd_compare)

    p = sub.add_parser(
        "calibrate",
        help="fit a scenario's undocumented settings and model behaviour to real run records",
    )
    p.add_argument(
        "records",
        nargs="+",
        metavar="RECORD",
        help="real run records (files, or folders of *.json)",
    )
    p.add_argument(
        "--scenario",
        required=True,
        metavar="SCENARIO",
        help="the scenario the records are real runs of (file or built-in name)",
    )
    p.add_argument(
        "-o",
        "--output",
        required=True,
        metavar="OUT.yaml",
        help="write the calibrated scenario here (YAML)",
    )
    p.add_argument(
        "--predictions",
        type=positive_int,
        default=5,
        metavar="N",
        help="simulated runs per scenario to measure the agreement (default 5)",
    )
    p.add_argument("--seed", type=seed, default=None, help="base seed of those runs")
    p.add_argument(
        "--json",
        metavar="PATH",
        default=None,
        help="also write the fitted values and the agreement as JSON",
    )
    p.set_defaults(func=cmd_calibrate)
