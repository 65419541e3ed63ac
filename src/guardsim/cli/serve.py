"""``guardsim serve``: the local emulator of SageMaker, SageMaker Runtime and CloudWatch over HTTP.

:func:`register` adds the command to the ``guardsim`` parser; the emulator and the server load
only when it runs. The command binds one port (127.0.0.1 unless ``--host`` says otherwise),
prints the ``AWS_ENDPOINT_URL`` to use, then every deployment phase transition and alarm state
change as the emulation reaches it, and runs until SIGINT or SIGTERM, when it closes every
connection and exits 0. Bad input (an unreadable or invalid world file, a port in use, a
records folder it cannot write) exits 2 with a message before anything is served.
"""

from __future__ import annotations

import argparse
import errno
import signal
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from guardsim.cli.args import EXIT_OK, positive_number
from guardsim.errors import CommandError

if TYPE_CHECKING:
    from guardsim.emulator.core import Event

#: ``guardsim serve``'s defaults (the server module holds the port and host; repeated here so
#: declaring the command imports nothing heavy; a test holds them equal).
DEFAULT_PORT = 4567
DEFAULT_HOST = "127.0.0.1"
DEFAULT_SPEED = 60.0


def _port(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a port number, got {text!r}") from None
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"a port is 0 to 65535, got {value}")
    return value


def _instant(text: str) -> float:
    """An ISO 8601 time (a time without a zone is UTC) as epoch seconds."""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected an ISO 8601 time such as 2026-01-01T00:00:00Z, got {text!r}"
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()


def _stamp(t: float) -> str:
    return datetime.fromtimestamp(t, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _records_dir(text: str | None) -> Path | None:
    """``--records``: created if missing; refused (exit 2) if it cannot be written."""
    if text is None:
        return None
    folder = Path(text)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        probe = folder / f".guardsim-serve-{threading.get_ident()}.tmp"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as exc:
        raise CommandError(
            f"--records {text}: cannot write there ({exc.strerror or exc})"
        ) from None
    return folder


def cmd_serve(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from guardsim.emulator.clock import ScaledClock
    from guardsim.emulator.core import Emulator, service_for
    from guardsim.emulator.server import EmulatorServer, is_loopback, load_service_models
    from guardsim.emulator.world import load_world

    world = load_world(args.world)
    records = _records_dir(args.records)
    load_service_models()  # before the clock starts: see its docstring
    clock = ScaledClock(speed=args.speed, start=args.start)
    lock = threading.Lock()

    def on_event(event: Event) -> None:
        with lock:
            print(f"{_stamp(event.time)}  {event.endpoint}  {event.kind}: {event.text}", file=out)
            out.flush()

    emulator = Emulator(world, clock, on_event=on_event, records_dir=records, region=args.region)
    try:
        server = EmulatorServer(
            emulator,
            service_for,
            host=args.host,
            port=args.port,
            clock=clock.now,
            speed=clock.speed,
            tick=getattr(emulator, "advance", None),
            log=err,
        )
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            raise CommandError(
                f"--port {args.port}: the port is in use on {args.host} (give another with "
                "--port, or --port 0 to pick a free one)"
            ) from None
        raise CommandError(
            f"cannot listen on {args.host} port {args.port}: {exc.strerror or exc}"
        ) from None
    with server:
        _banner(server.url, args, out, records)
        if not is_loopback(server.url):
            print(
                f"guardsim serve: listening on {args.host}: anyone who can reach this machine "
                "can use the emulator (it checks no credentials)",
                file=err,
            )
        _wait_for_signal()
        print("guardsim serve: stopping", file=out)
    close = getattr(emulator, "close", None)
    if callable(close):
        close()
    print("guardsim serve: stopped", file=out)
    return EXIT_OK


def _banner(url: str, args: argparse.Namespace, out: TextIO, records: Path | None) -> None:
    print(f"guardsim serve: SageMaker, SageMaker Runtime and CloudWatch on {url}", file=out)
    print(
        f"  time: {args.speed:g}x real time, from {_stamp(args.start) if args.start else 'now'}",
        file=out,
    )
    print(f"  world: {args.world or 'the scenario defaults'}", file=out)
    if records is not None:
        print(f"  run records: {records}", file=out)
    print("  use it with:", file=out)
    print(f"    export AWS_ENDPOINT_URL={url}", file=out)
    print(
        f"    export AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing "
        f"AWS_DEFAULT_REGION={args.region}",
        file=out,
    )
    print(f"    aws sagemaker list-endpoints --endpoint-url {url}", file=out)
    print("  Ctrl-C stops it", file=out)
    out.flush()


def _wait_for_signal() -> None:
    """Block until SIGINT or SIGTERM (in the main thread; elsewhere, until interrupted)."""
    stop = threading.Event()
    if threading.current_thread() is not threading.main_thread():
        stop.wait()
        return

    def handler(signum: int, frame: Any) -> None:
        stop.set()

    previous = {sig: signal.signal(sig, handler) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        while not stop.wait(0.5):
            pass
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


def register(sub: Any) -> None:
    """Add ``serve`` to the ``guardsim`` sub-commands."""
    p = sub.add_parser(
        "serve",
        help="run a local SageMaker/CloudWatch emulator for boto3, the AWS CLI and other SDKs",
        description="Serve SageMaker, SageMaker Runtime and CloudWatch on one local port, "
        "emulated by guardsim with deployment guardrail semantics. Point a client at it with "
        "AWS_ENDPOINT_URL (boto3, other SDKs) or --endpoint-url (the AWS CLI) and any "
        "credentials. Runs until Ctrl-C or SIGTERM.",
    )
    p.add_argument(
        "--world",
        metavar="FILE",
        default=None,
        help="world file: how models behave, the environment, background traffic "
        "(default: the scenario defaults)",
    )
    p.add_argument(
        "--port",
        type=_port,
        default=DEFAULT_PORT,
        metavar="N",
        help=f"port to listen on (default {DEFAULT_PORT}; 0: a free one, printed)",
    )
    p.add_argument(
        "--host",
        default=DEFAULT_HOST,
        metavar="H",
        help=f"interface to listen on (default {DEFAULT_HOST}: this machine only)",
    )
    p.add_argument(
        "--speed",
        type=positive_number,
        default=DEFAULT_SPEED,
        metavar="X",
        help=f"emulated time runs X times real time (default {DEFAULT_SPEED:g}: a 30-minute "
        "deployment takes 30 s)",
    )
    p.add_argument(
        "--start",
        type=_instant,
        default=None,
        metavar="ISO8601",
        help="the emulated clock's starting time, e.g. 2026-01-01T00:00:00Z (default: now)",
    )
    p.add_argument(
        "--records",
        metavar="DIR",
        default=None,
        help="write one run record per UpdateEndpoint into DIR (for guardsim report/compare)",
    )
    p.add_argument(
        "--region",
        default="us-east-1",
        help="the region in the ARNs the emulator returns (default us-east-1)",
    )
    p.set_defaults(func=cmd_serve)


__all__ = ["register"]
