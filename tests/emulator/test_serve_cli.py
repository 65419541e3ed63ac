"""``guardsim serve`` as a command: the banner and URL, clean shutdown on SIGINT/SIGTERM, bad
input exiting 2 with a message, and the AWS CLI (``--endpoint-url``) driving
create-endpoint, update-endpoint and describe-endpoint against it. 127.0.0.1 only."""

from __future__ import annotations

import io
import json
import shutil
import signal
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from emulator_helpers import ALL_AT_ONCE
from serve_helpers import (
    WORLD,
    client,
    create_config,
    create_model,
    guardsim_env,
    serve_process,
    wait_for,
)

from guardsim.cli import serve as serve_cli
from guardsim.cli.main import main
from guardsim.emulator import server
from guardsim.record import RunRecord


def _run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    status = main(list(argv), out=out, err=err)
    return status, out.getvalue(), err.getvalue()


def test_the_cli_defaults_are_the_server_s() -> None:
    assert serve_cli.DEFAULT_PORT == server.DEFAULT_PORT
    assert serve_cli.DEFAULT_HOST == server.DEFAULT_HOST == "127.0.0.1"


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_serve_prints_its_url_answers_and_stops_cleanly(sig: signal.Signals) -> None:
    with serve_process("--speed", "600", "--start", "2030-01-01T00:00:00Z") as (served, url):
        assert url.startswith("http://127.0.0.1:")
        sm = client("sagemaker", url)
        create_model(sm, "m")
        created = sm.describe_model(ModelName="m")["CreationTime"]
        assert created.year == 2030  # --start: the emulated clock's origin
        status = served.stop(sig)
    assert status == 0, served.err
    assert "guardsim serve: stopped" in served.out
    assert "Traceback" not in served.err
    port = int(url.rsplit(":", 1)[1])
    with pytest.raises(OSError):  # the port is released
        socket.create_connection(("127.0.0.1", port), timeout=1).close()


def test_serve_prints_the_phases_and_writes_a_record_per_update(tmp_path: Path) -> None:
    records = tmp_path / "records"
    with serve_process("--speed", "600", "--records", str(records)) as (served, url):
        sm = client("sagemaker", url)
        for version in ("v1", "v2"):
            create_model(sm, f"rec-m-{version}")
            create_config(sm, f"rec-c-{version}", f"rec-m-{version}")
        sm.create_endpoint(EndpointName="rec", EndpointConfigName="rec-c-v1")

        def endpoint_status() -> str:
            return str(sm.describe_endpoint(EndpointName="rec")["EndpointStatus"])

        wait_for(lambda: endpoint_status() == "InService", timeout=30.0)
        sm.update_endpoint(
            EndpointName="rec",
            EndpointConfigName="rec-c-v2",
            DeploymentConfig=ALL_AT_ONCE,
        )
        wait_for(
            lambda: (
                sm.describe_endpoint(EndpointName="rec")["EndpointConfigName"] == "rec-c-v2"
                and endpoint_status() == "InService"
            ),
            timeout=30.0,
        )
        wait_for(lambda: list(records.glob("*.json")), timeout=30.0)
        assert served.stop() == 0, served.err
    # the phases as they happened: each line carries the emulated time and the endpoint
    lines = [line for line in served.out.splitlines() if "  rec  phase: " in line]
    assert any("InService on rec-c-v1" in line for line in lines), served.out
    assert any("UpdateEndpoint to rec-c-v2 (ALL_AT_ONCE)" in line for line in lines), served.out
    assert lines[-1].endswith("InService on rec-c-v2"), lines
    # one run record for the one update, which guardsim report draws
    (path,) = records.glob("*.json")
    assert RunRecord.load(path).outcome == "SUCCEEDED"
    status, _, err = _run("report", str(path), "--html", str(tmp_path / "report.html"))
    assert status == 0, err
    assert (tmp_path / "report.html").stat().st_size > 0


def test_a_port_in_use_exits_2_with_a_message() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        status, _, err = _run("serve", "--port", str(port))
    assert status == 2
    assert f"--port {port}" in err and "in use" in err
    assert "Traceback" not in err


def test_an_unreadable_world_file_exits_2_naming_it(tmp_path: Path) -> None:
    missing = tmp_path / "no-such-world.yaml"
    status, _, err = _run("serve", "--port", "0", "--world", str(missing))
    assert status == 2 and str(missing) in err and "Traceback" not in err


def test_an_invalid_world_exits_2_naming_the_field(tmp_path: Path) -> None:
    bad = tmp_path / "world.yaml"
    bad.write_text("models:\n  - match: {colour: blue}\n", encoding="utf-8")
    status, _, err = _run("serve", "--port", "0", "--world", str(bad))
    assert status == 2 and str(bad) in err and "models[0].match" in err


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--speed", "0"], "--speed"),
        (["--speed", "fast"], "--speed"),
        (["--start", "yesterday"], "--start"),
        (["--port", "70000"], "--port"),
    ],
)
def test_bad_arguments_exit_2(
    args: list[str], words: str, capsys: pytest.CaptureFixture[str]
) -> None:
    status, _, _ = _run("serve", *args)
    assert status == 2 and words in capsys.readouterr().err  # argparse writes to sys.stderr


def test_a_records_folder_that_cannot_be_written_exits_2(tmp_path: Path) -> None:
    a_file = tmp_path / "file"
    a_file.write_text("x", encoding="utf-8")
    status, _, err = _run("serve", "--port", "0", "--records", str(a_file / "sub"))
    assert status == 2 and "--records" in err


# --------------------------------------------------------------------------- the AWS CLI


def _aws_cli() -> list[str]:
    """The AWS CLI: ``python -m awscli`` where it is installed beside guardsim (the test extra),
    else an ``aws`` on PATH. The test fails (never skips) without one."""
    probe = subprocess.run(
        [sys.executable, "-c", "import awscli"], capture_output=True, env=guardsim_env()
    )
    if probe.returncode == 0:
        return [sys.executable, "-m", "awscli"]
    found = shutil.which("aws")
    assert found, "the AWS CLI is needed: pip install awscli (it is in guardsim's test extra)"
    return [found]


def _aws(cli: list[str], url: str, *args: str) -> Any:
    done = subprocess.run(
        [*cli, "--endpoint-url", url, "--region", "us-east-1", "--output", "json", *args],
        capture_output=True,
        text=True,
        env=guardsim_env(),
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout) if done.stdout.strip() else None


NOWHERE = ("sagemaker", "describe-endpoint", "--endpoint-name", "nowhere")


def test_the_aws_cli_drives_create_update_and_describe_endpoint(tmp_path: Path) -> None:
    cli = _aws_cli()
    world = tmp_path / "world.json"
    world.write_text(json.dumps(WORLD), encoding="utf-8")
    with serve_process("--speed", "600", "--world", str(world)) as (_, url):
        sm = client("sagemaker", url)
        for version in ("v1", "v2"):
            create_model(sm, f"cli-m-{version}")
            create_config(sm, f"cli-c-{version}", f"cli-m-{version}")
        created = _aws(
            cli,
            url,
            "sagemaker",
            "create-endpoint",
            "--endpoint-name",
            "cli-ep",
            "--endpoint-config-name",
            "cli-c-v1",
        )
        assert created["EndpointArn"].endswith(":endpoint/cli-ep")
        wait_for(
            lambda: sm.describe_endpoint(EndpointName="cli-ep")["EndpointStatus"] == "InService",
            timeout=20.0,
        )
        deployment = {
            "BlueGreenUpdatePolicy": {
                "TrafficRoutingConfiguration": {
                    "Type": "CANARY",
                    "CanarySize": {"Type": "INSTANCE_COUNT", "Value": 1},
                    "WaitIntervalInSeconds": 60,
                },
                "TerminationWaitInSeconds": 0,
            }
        }
        updated = _aws(
            cli,
            url,
            "sagemaker",
            "update-endpoint",
            "--endpoint-name",
            "cli-ep",
            "--endpoint-config-name",
            "cli-c-v2",
            "--deployment-config",
            json.dumps(deployment),
        )
        assert updated["EndpointArn"] == created["EndpointArn"]
        wait_for(
            lambda: sm.describe_endpoint(EndpointName="cli-ep")["EndpointStatus"] == "InService",
            timeout=30.0,
        )
        # (each AWS CLI call costs a second of start-up: the test makes four)
        final = _aws(cli, url, "sagemaker", "describe-endpoint", "--endpoint-name", "cli-ep")
        assert final["EndpointName"] == "cli-ep" and final["EndpointStatus"] == "InService"
        assert final["EndpointConfigName"] == "cli-c-v2"
        # the configuration the update ran with, as the CLI reads it
        assert final["LastDeploymentConfig"] == deployment
        # an AWS error comes back through the CLI as AWS's code
        failed = subprocess.run(
            [*cli, "--endpoint-url", url, "--region", "us-east-1", *NOWHERE],
            capture_output=True,
            text=True,
            env=guardsim_env(),
            timeout=60,
        )
        assert failed.returncode != 0 and "ValidationException" in failed.stderr
