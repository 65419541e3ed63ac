"""The ``guardsim real`` commands: plan, run, observe, import (a thin layer over the package).

``register(subparsers)`` adds the group to the ``guardsim`` parser. AWS comes from
:data:`connect` (boto3's standard chain; tests swap in guardsim's emulator). Every AWS failure is a
clear message naming the operation and AWS's error code, and exit status 2.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import logging
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from guardsim.cli.args import (
    add_iac_options,
    check_output_path,
    check_outputs,
    iac_options,
    non_negative_number,
    positive_number,
    print_record,
    seed,
)
from guardsim.errors import CommandError, ScenarioError

if TYPE_CHECKING:  # boto3 loads only when a command runs, not for 'guardsim --help'
    from guardsim.real_backend.clients import ClientFactory
    from guardsim.real_backend.clock import Clock

EXIT_OK = 0
EXIT_BAD = 2
EXIT_INTERRUPTED = 130


def _connect_boto3(region: str | None) -> tuple[ClientFactory, Clock]:
    from guardsim.emulator.server import emulator_clock
    from guardsim.real_backend.clients import boto3_clients
    from guardsim.real_backend.clock import SystemClock

    clients = boto3_clients(region)
    # boto3 pointed at a `guardsim serve` on this machine (AWS_ENDPOINT_URL): keep time with the
    # emulator's clock, which runs --speed times faster than the wall clock; AWS is never asked
    clock = emulator_clock(getattr(clients("sagemaker").meta, "endpoint_url", None))
    return clients, clock or SystemClock()


#: region -> (client factory, clock). Real AWS by default; the tests put the emulator here.
connect: Callable[[str | None], tuple[ClientFactory, Clock]] = _connect_boto3


def _assignment(text: str) -> tuple[str, str]:
    name, sep, value = text.partition("=")
    if not sep or not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
        raise argparse.ArgumentTypeError(f"expected NAME=VALUE, got {text!r}")
    return name, value


@contextmanager
def _logging(enabled: bool, err: TextIO) -> Iterator[None]:
    """``--verbose``: debug logs on stderr, with credentials and signatures masked."""
    if not enabled:
        yield
        return
    from guardsim.real_backend.clients import RedactingFilter

    handler = logging.StreamHandler(err)
    handler.addFilter(RedactingFilter())
    handler.setFormatter(logging.Formatter("%(name)s: %(message)s"))
    loggers = [logging.getLogger(name) for name in ("guardsim", "botocore")]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.addHandler(handler)
        logger.setLevel(logging.DEBUG)
    try:
        yield
    finally:
        for logger, level in zip(loggers, levels, strict=True):
            logger.removeHandler(handler)
            logger.setLevel(level)


def _load(args: argparse.Namespace) -> Any:
    """The scenario with ``--set`` values filled into its ``real`` section."""
    import dataclasses

    from guardsim.scenarios.loading import load_scenario
    from guardsim.scenarios.real import fill_placeholders

    scenario = load_scenario(args.scenario, iac_options(args))
    values = dict(args.set or [])
    if values and scenario.real is not None:
        real, problems = fill_placeholders(scenario.real, values, Path.cwd())
        if problems:
            raise ScenarioError(problems, f"{args.scenario} (with --set)")
        scenario = dataclasses.replace(scenario, real=real)
    return scenario


# --------------------------------------------------------------------------- plan


def _progress_to(err: TextIO) -> Callable[[str], None]:
    """The real backend's progress lines, indented on standard error as they happen."""

    def progress(message: str) -> None:
        print(f"  {message}", file=err, flush=True)

    return progress


def cmd_plan(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from guardsim.real_backend.naming import check_run_id, new_run_id
    from guardsim.real_backend.plan import format_plan, plan_data, plan_run

    check_output_path(args.json)
    scenario = _load(args)
    run_id = check_run_id(args.run_id) if args.run_id else new_run_id()
    plan = plan_run(scenario, run_id, args.region)
    if args.json == "-":
        out.write(json.dumps(plan_data(plan), indent=2) + "\n")
        return EXIT_OK
    print(format_plan(plan), file=out)
    if args.json:
        from guardsim.record import write_atomically

        write_atomically(args.json, json.dumps(plan_data(plan), indent=2) + "\n")
    return EXIT_OK


# --------------------------------------------------------------------------- run


def _requests_csv(requests: Any, t0: float | None) -> str:
    """One row per invoke_endpoint call; ``t`` in seconds after UpdateEndpoint (epoch seconds
    if the run stopped before it)."""
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(
        [
            "t",
            "status",
            "http_status",
            "variant",
            "latency_ms",
            "original_status",
            "custom_attributes",
        ]
    )
    for r in requests:
        w.writerow(
            [
                f"{r.t - (t0 or 0.0):.3f}",
                r.status,
                r.http_status or "",
                r.variant or "",
                "" if r.latency_ms is None else f"{r.latency_ms:.3f}",
                r.original_status or "",
                r.custom_attributes or "",
            ]
        )
    return buf.getvalue()


def cmd_run(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from guardsim.real_backend.naming import check_run_id, new_run_id
    from guardsim.real_backend.plan import format_plan, plan_run
    from guardsim.real_backend.run import check_runnable, run_real
    from guardsim.record import write_atomically

    if (args.truth is not None or args.fake_seed is not None) and not args.fake_aws:
        raise CommandError("--truth and --fake-seed need --fake-aws")
    if args.requests == "-":
        raise CommandError("--requests needs a file path")
    check_outputs(("--json", args.json, True), ("--requests", args.requests, False))
    json_only = args.json == "-"
    text = err if json_only else out  # with --json -, stdout carries the record only
    scenario = _load(args)
    region = args.region or (scenario.real.region if scenario.real is not None else None)
    run_id = check_run_id(args.run_id) if args.run_id else new_run_id()
    plan = plan_run(scenario, run_id, region)
    print(format_plan(plan), file=text)
    print(file=text)
    if not args.yes and not args.fake_aws:
        print(
            f"guardsim: nothing was created. 'real run' creates billable SageMaker resources "
            f"(about ${plan.cost.expected_usd:.2f}, at most ${plan.cost.max_usd:.2f}); run it "
            "again with --yes to go ahead",
            file=err,
        )
        return EXIT_BAD
    written = scenario  # the scenario as its file says it: what a fake run's record keeps
    if args.fake_aws:
        scenario, clients, clock = _fake_connection(args, scenario, region)
    check_runnable(scenario)
    if not args.fake_aws:
        clients, clock = connect(region)

    with _logging(args.verbose, err):
        result = run_real(
            scenario,
            clients=clients,
            clock=clock,
            run_id=run_id,
            region=region,
            progress=_progress_to(err),
        )
    record = result.record
    if record is not None and args.fake_aws:
        record = _as_written(record, written)
    if record is not None:
        print_record(record, args.json, out, text=err)
    if args.requests:
        write_atomically(args.requests, _requests_csv(result.requests, result.t0))
        print(f"requests written to {args.requests}", file=text)
    print(file=text)
    print(result.teardown.text(), file=text)
    if result.interrupted:
        print("guardsim: interrupted; teardown done", file=err)
        return EXIT_INTERRUPTED
    status = EXIT_OK
    if result.error is not None:
        print(f"guardsim: {result.error}", file=err)
        status = EXIT_BAD
    if not result.teardown.clean:
        print(
            f"guardsim: {len(result.teardown.left_behind)} resource(s) of run {run_id} are "
            "still there and billing; delete them with the commands above",
            file=err,
        )
        status = EXIT_BAD
    return status


# --------------------------------------------------------------------------- observe


def cmd_observe(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from guardsim.real_backend.component_observe import observe_component
    from guardsim.real_backend.observe import observe_endpoint

    check_output_path(args.json)
    if args.new_model is not None and args.component is None:
        raise CommandError("--new-model needs --component")
    clients, clock = connect(args.region)

    common: dict[str, Any] = {
        "clients": clients,
        "clock": clock,
        "poll_seconds": args.poll,
        "cooldown_seconds": args.cooldown,
        "wait_seconds": args.wait,
        "timeout_seconds": args.timeout,
        "region": args.region,
        "progress": _progress_to(err),
    }
    with _logging(args.verbose, err):
        if args.component is not None:
            record = observe_component(
                args.component, endpoint=args.endpoint, new_model=args.new_model, **common
            )
        else:
            record = observe_endpoint(args.endpoint, **common)
    print_record(record, args.json, out)
    return EXIT_OK


# --------------------------------------------------------------------------- import


def cmd_import(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    import yaml

    from guardsim.real_backend.importer import import_endpoint, scenario_name
    from guardsim.record import write_atomically
    from guardsim.scenarios.loading import read_scenario

    output = Path(args.output or f"{scenario_name(args.endpoint)}.yaml")
    check_output_path(str(output), stdout=False)
    replay_path = output.with_name(f"{output.stem}-traffic.csv")
    history_path = output.with_name(f"{output.stem}-history.csv")
    clients, clock = connect(args.region)
    with _logging(args.verbose, err):
        imported = import_endpoint(
            args.endpoint,
            clients=clients,
            clock=clock,
            days=args.days,
            replay_file=replay_path.name,
            region=args.region,
            history_days=args.history,
            history_file=history_path.name,
            component=args.component,
        )
    if imported.replay:
        write_atomically(
            replay_path, "invocations\n" + "".join(f"{c:g}\n" for c in imported.replay)
        )
        print(f"traffic replay ({len(imported.replay)} minutes) written to {replay_path}", file=out)
    if imported.history is not None:
        write_atomically(history_path, imported.history)
        print(f"metric history written to {history_path}", file=out)
    text = yaml.safe_dump(imported.scenario, sort_keys=False, width=100)
    write_atomically(output, text)
    print(f"scenario written to {output}", file=out)
    for note in imported.notes:
        print(f"  note: {note}", file=out)
    result = read_scenario(output)
    for p in result.problems:
        print(f"{output}: {p}", file=out)
    if result.scenario is None:
        print(f"{output}: invalid: edit it before running it", file=out)
        return EXIT_BAD
    print(f"{output}: valid; try: guardsim run {output}", file=out)
    return EXIT_OK


def cmd_verify(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from guardsim.real_backend.verify import verify_component, verify_endpoint

    component = args.component is not None or args.expect_model is not None
    if component and (args.component is None or args.expect_model is None):
        raise CommandError("--component and --expect-model go together")
    if component == (args.expect_config is not None):
        raise CommandError(
            "give --expect-config (an endpoint update) or --component with --expect-model "
            "(an inference component update)"
        )
    clients, clock = connect(args.region)

    common: dict[str, Any] = {
        "clients": clients,
        "clock": clock,
        "timeout_seconds": args.timeout,
        "poll_seconds": args.poll,
        "progress": _progress_to(err),
    }
    with _logging(args.verbose, err):
        if args.component is not None:
            v = verify_component(args.component, args.expect_model, **common)
            where = f"{args.endpoint}/{args.component}"
        else:
            v = verify_endpoint(args.endpoint, args.expect_config, **common)
            where = args.endpoint
    print(f"{where}: {v.message}", file=out)
    return VERIFY_EXIT[v.outcome]


#: ``guardsim real verify``: 0 serves the expected config, 3 rolled back or failed, 4 still
#: updating after --timeout (2 stays bad input: no such endpoint, bad arguments).
VERIFY_EXIT = {"deployed": EXIT_OK, "rolled_back": 3, "failed": 3, "in_progress": 4}


# --------------------------------------------------------------------------- parser


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``guardsim real {plan,run,observe,import}`` to the ``guardsim`` parser."""
    real = sub.add_parser(
        "real",
        help="run a scenario on real SageMaker, observe or import a live endpoint",
        description="Real SageMaker and CloudWatch through boto3 (standard credential chain). "
        "'plan' needs no credentials; 'run' creates billable resources (only with --yes) and "
        "always tears them down; 'observe' and 'import' only read.",
    )
    group = real.add_subparsers(dest="real_command", metavar="COMMAND", required=True)

    def common_scenario(p: argparse.ArgumentParser) -> None:
        p.add_argument("scenario", metavar="SCENARIO", help="scenario file or built-in name")
        add_iac_options(p)
        p.add_argument(
            "--region", default=None, help="AWS region (default: real.region or boto3's)"
        )
        p.add_argument(
            "--run-id", default=None, help="4-12 lowercase letters/digits (default: random)"
        )
        p.add_argument(
            "--set",
            action="append",
            type=_assignment,
            metavar="NAME=VALUE",
            help="fill a ${NAME} placeholder of the scenario's real section",
        )

    p = group.add_parser("plan", help="print every AWS call a real run would make, and its cost")
    common_scenario(p)
    p.add_argument(
        "--json",
        metavar="PATH",
        default=None,
        help="also write the plan as JSON to PATH ('-': print only the JSON)",
    )
    p.set_defaults(func=cmd_plan)

    p = group.add_parser("run", help="run the scenario on SageMaker (needs --yes), then tear down")
    common_scenario(p)
    p.add_argument("--yes", action="store_true", help="create the resources (they cost money)")
    p.add_argument(
        "--json",
        metavar="PATH",
        default=None,
        help="write the run record to PATH ('-': the record alone on stdout)",
    )
    p.add_argument(
        "--requests",
        metavar="PATH",
        default=None,
        help="write every invoke_endpoint call (time, status, variant, latency) as CSV",
    )
    p.add_argument("--verbose", action="store_true", help="debug logs (credentials masked)")
    p.add_argument(
        "--fake-aws",
        action="store_true",
        help="run against guardsim's local emulator instead (offline, free, no --yes "
        "needed); unfilled placeholders get stand-ins",
    )
    p.add_argument(
        "--truth",
        metavar="SCENARIO",
        default=None,
        help="with --fake-aws: the scenario whose models, environment and traffic are the "
        "emulated world (default: SCENARIO itself)",
    )
    p.add_argument(
        "--fake-seed",
        type=seed,
        default=None,
        metavar="N",
        help="with --fake-aws: the seed of the emulated world (default: the truth's "
        "simulation.seed)",
    )
    p.set_defaults(func=cmd_run)

    p = group.add_parser("observe", help="follow an update started elsewhere; write its record")
    p.add_argument("--endpoint", required=True, metavar="NAME")
    p.add_argument(
        "--component",
        metavar="NAME",
        default=None,
        help="follow this inference component's update (DescribeInferenceComponent) instead "
        "of the endpoint's",
    )
    p.add_argument(
        "--new-model",
        metavar="NAME",
        default=None,
        help="with --component: the model the update deploys (default: the one it ends on, "
        "if it differs from the one at the start)",
    )
    p.add_argument("--region", default=None)
    p.add_argument(
        "--json",
        metavar="PATH",
        default=None,
        help="write the run record to PATH ('-': print only the JSON)",
    )
    p.add_argument(
        "--poll",
        type=positive_number,
        default=15.0,
        metavar="SECONDS",
        help="DescribeEndpoint interval (default 15)",
    )
    p.add_argument(
        "--cooldown",
        type=non_negative_number,
        default=240.0,
        metavar="SECONDS",
        help="wait this long after the update for its last metrics (default 240)",
    )
    p.add_argument(
        "--wait",
        type=non_negative_number,
        default=0.0,
        metavar="SECONDS",
        help="wait this long for an update to start (default: it must be running)",
    )
    p.add_argument(
        "--timeout",
        type=positive_number,
        default=None,
        metavar="SECONDS",
        help="stop following after this long (default: the update's limit + 30 min)",
    )
    p.add_argument("--verbose", action="store_true", help="debug logs (credentials masked)")
    p.set_defaults(func=cmd_observe)

    p = group.add_parser(
        "verify",
        help="after a pipeline's update: exit 0 only if the endpoint serves the expected config "
        "(3: silent rollback or failure, with the reason; 4: still updating)",
        description="Read DescribeEndpoint (read-only) until the endpoint settles and compare "
        "the EndpointConfig it serves with --expect-config. An update SageMaker rolled back "
        "ends InService on the old config, which Terraform and the SDK waiters report as "
        "success; add this after 'terraform apply' or a CloudFormation deploy. Exit status: "
        "0 expected config InService; 3 silent rollback (InService on another config) or "
        "failed, with FailureReason; 4 still updating after --timeout; 2 bad input. With "
        "--component and --expect-model, the same for an inference component's update "
        "(DescribeInferenceComponent): a rolled-back one ends InService on the old model.",
    )
    p.add_argument("endpoint", metavar="ENDPOINT", help="the endpoint's name")
    p.add_argument("--expect-config", metavar="NAME", help="the EndpointConfig deployed")
    p.add_argument(
        "--component",
        metavar="NAME",
        default=None,
        help="verify this inference component's update instead (a rollback ends InService "
        "on the old model: there is no RollingBack status)",
    )
    p.add_argument(
        "--expect-model",
        metavar="NAME",
        default=None,
        help="with --component: the ModelName the update deployed",
    )
    p.add_argument("--region", default=None, help="AWS region (default: boto3's)")
    p.add_argument(
        "--timeout",
        type=non_negative_number,
        default=3600.0,
        metavar="SECONDS",
        help="how long to wait for an update in progress (default 3600; 0: check once)",
    )
    p.add_argument(
        "--poll", type=positive_number, default=30.0, metavar="SECONDS", help="default 30"
    )
    p.add_argument("--verbose", action="store_true", help="log AWS calls to stderr")
    p.set_defaults(func=cmd_verify)

    p = group.add_parser("import", help="build a scenario from a live endpoint (read-only)")
    p.add_argument("--endpoint", required=True, metavar="NAME")
    p.add_argument("--region", default=None)
    p.add_argument(
        "--days",
        type=positive_number,
        default=1.0,
        metavar="D",
        help="CloudWatch history to read, in days (default 1, at most 63)",
    )
    p.add_argument(
        "--history",
        type=positive_number,
        default=None,
        metavar="DAYS",
        help="also write the last DAYS days of recorded per-minute metrics (5-minute past 15 "
        "days; at most 63) to <stem>-history.csv, replayed by models.blue.history",
    )
    p.add_argument(
        "--output",
        metavar="PATH",
        default=None,
        help="scenario file to write (default imported-NAME.yaml); the traffic "
        "replay goes next to it as <stem>-traffic.csv",
    )
    p.add_argument(
        "--component",
        metavar="NAME",
        default=None,
        help="an endpoint hosting inference components: the one to update (default: its only "
        "one); the others become neighbours",
    )
    p.add_argument("--verbose", action="store_true", help="debug logs (credentials masked)")
    p.set_defaults(func=cmd_import)


# --------------------------------------------------------------------------- --fake-aws

#: What a fake run puts in place of an unfilled placeholder, by the field it stands in
#: (the emulator answers from the truth scenario's model, never from these).
FAKE_STAND_INS = {
    "execution_role_arn": "arn:aws:iam::123456789012:role/guardsim-fake-aws",
    "image": "123456789012.dkr.ecr.us-east-1.amazonaws.com/guardsim-fake-aws:{name}",
    "model_data_url": "s3://guardsim-fake-aws/{name}/model.tar.gz",
}


def _fake_connection(
    args: argparse.Namespace, scenario: Any, region: str | None
) -> tuple[Any, ClientFactory, Clock]:
    """``real run --fake-aws``: the scenario with stand-ins for its unfilled placeholders, and
    botocore clients answered by guardsim's emulator
    (:class:`~guardsim.emulator.clients.EmulatedAWS`) on its virtual clock, in the world of
    ``--truth`` (default: the scenario itself; :func:`~guardsim.emulator.world_from_scenario`)."""
    import atexit
    import dataclasses
    import shutil
    import tempfile

    from guardsim.emulator.clients import EmulatedAWS
    from guardsim.emulator.world import world_from_scenario
    from guardsim.scenarios.loading import load_scenario
    from guardsim.scenarios.real import fill_placeholders

    if scenario.real is not None and scenario.real.placeholders:
        values: dict[str, str] = {}
        for path, name in scenario.real.placeholders:
            field = path.rsplit(".", 1)[-1]
            if field == "payload_file":
                folder = Path(tempfile.mkdtemp(prefix="guardsim-fake-aws-"))
                atexit.register(shutil.rmtree, folder, True)
                (folder / "payload.csv").write_text("0\n", encoding="utf-8")
                values[name] = str(folder / "payload.csv")
            else:
                values[name] = FAKE_STAND_INS[field].format(name=name.lower().replace("_", "-"))
        real, problems = fill_placeholders(scenario.real, values, Path.cwd())
        if problems:
            raise ScenarioError(problems, f"{args.scenario} (--fake-aws stand-ins)")
        scenario = dataclasses.replace(scenario, real=real)
    truth = load_scenario(args.truth) if args.truth else scenario
    if args.fake_seed is not None:
        truth = dataclasses.replace(
            truth, simulation=dataclasses.replace(truth.simulation, seed=args.fake_seed)
        )
    # A run that drives the scenario's own traffic (real.rate_per_second unset) is the traffic;
    # one that drives a rate of its own is a sample, and the truth's traffic the rest.
    background = scenario.real is None or scenario.real.rate_per_second is not None
    world = world_from_scenario(truth, background_traffic=background)
    aws = EmulatedAWS(world, region=region or "us-east-1")
    return scenario, aws, aws.clock


def _as_written(record: Any, written: Any) -> Any:
    """A fake run's record keeps the scenario as its file says it (placeholders, not the
    stand-ins or a temporary payload path), so the same inputs give the same bytes."""
    import dataclasses

    return dataclasses.replace(record, scenario_definition=written.to_dict())


__all__ = ["connect", "register"]
