"""``guardsim real run`` and ``guardsim real observe`` against ``guardsim serve``: the real
backend, through boto3's default chain with ``AWS_ENDPOINT_URL`` and dummy credentials, end to
end. The CLI finds the server's clock (``/_guardsim/clock``) and keeps time with it, so the
emulated 30-minute canary at 600x takes a few seconds. 127.0.0.1 only."""

from __future__ import annotations

import io
import threading
from pathlib import Path
from typing import Any

import pytest
import yaml
from emulator_helpers import canary
from serve_helpers import (
    BAD_IMAGE,
    GOOD_IMAGE,
    MODEL_DATA,
    ROLE,
    WORLD,
    client,
    create_config,
    create_model,
    serving,
    wait_for,
)

from guardsim.cli.main import main
from guardsim.record import RunRecord
from guardsim.scenarios import library

SPEED = 600.0
#: The real run's speed: an emulated minute is 0.4 s, long enough that a busy machine's stall
#: does not starve a whole minute of the canary's traffic.
RUN_SPEED = 150.0


def _scenario(tmp_path: Path) -> Path:
    """The seed's canary rollback with little traffic: at RUN_SPEED (150x), 0.2 request/s of
    emulated time is 30 real requests a second, which two shared cores serve comfortably, and
    12 an emulated minute, 4 of them the canary's on average (its 5xx alarm breaches in a
    minute with one)."""
    data = yaml.safe_load(library.text("seed-canary-rollback"))
    data["real"].update(
        rate_per_second=0.2,
        warmup_seconds=120.0,
        cooldown_seconds=120.0,
        poll_interval_seconds=20.0,
        max_concurrency=4,
    )
    path = tmp_path / "canary-rollback.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    (tmp_path / "payload.csv").write_text("0.1,0.2,0.3\n", encoding="utf-8")
    return path


def _run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    status = main(list(argv), out=out, err=err)
    return status, out.getvalue(), err.getvalue()


def test_real_run_against_guardsim_serve_rolls_back_the_incompatible_model(
    tmp_path: Path, aws_env: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    scenario = _scenario(tmp_path)
    record_path = tmp_path / "record.json"
    with serving(WORLD, speed=RUN_SPEED) as server:
        monkeypatch.setenv("AWS_ENDPOINT_URL", server.url)
        status, _, err = _run(
            "real",
            "run",
            str(scenario),
            "--yes",
            "--run-id",
            "serve1",
            "--set",
            f"EXECUTION_ROLE_ARN={ROLE}",
            "--set",
            f"XGBOOST_IMAGE_URI={GOOD_IMAGE}",
            "--set",
            f"INCOMPATIBLE_IMAGE_URI={BAD_IMAGE}",
            "--set",
            f"MODEL_DATA_URL={MODEL_DATA}",
            "--set",
            f"PAYLOAD_FILE={tmp_path / 'payload.csv'}",
            "--json",
            str(record_path),
        )
        assert status == 0, err
        sm = client("sagemaker", server.url)
        # the run tore down everything it made
        assert sm.list_endpoints()["Endpoints"] == []
        assert sm.list_models()["Models"] == []
    record = RunRecord.load(record_path)
    assert record.mode == "real"
    assert record.outcome == "ROLLED_BACK"
    assert record.summary.tripped_alarms  # the 5xx alarm tripped on the green fleet's errors
    # the record is on the emulated clock: the update took minutes of it, not real seconds
    assert record.summary.deployment_seconds is not None
    assert record.summary.deployment_seconds > 60.0


def _observed_update(sm: Any, name: str) -> None:
    for version, image in (("v1", GOOD_IMAGE), ("v2", GOOD_IMAGE)):
        create_model(sm, f"{name}-m-{version}", image)
        create_config(sm, f"{name}-c-{version}", f"{name}-m-{version}", count=2)
    sm.create_endpoint(EndpointName=name, EndpointConfigName=f"{name}-c-v1")
    wait_for(
        lambda: sm.describe_endpoint(EndpointName=name)["EndpointStatus"] == "InService",
        timeout=20.0,
    )


def test_real_observe_follows_an_update_on_guardsim_serve(
    tmp_path: Path, aws_env: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    record_path = tmp_path / "observed.json"
    with serving(WORLD, speed=SPEED) as server:
        monkeypatch.setenv("AWS_ENDPOINT_URL", server.url)
        sm = client("sagemaker", server.url)
        _observed_update(sm, "obs")
        result: dict[str, Any] = {}
        waiting = threading.Event()

        class Progress(io.StringIO):
            """observe's stderr: says when it waits for the update to start."""

            def write(self, text: str) -> int:
                if "waiting up to" in text:
                    waiting.set()
                return super().write(text)

        def observe() -> None:
            out, err = io.StringIO(), Progress()
            argv = ["real", "observe", "--endpoint", "obs", "--poll", "20", "--cooldown", "60"]
            argv += ["--wait", "3600", "--json", str(record_path)]
            result["run"] = (main(argv, out=out, err=err), err.getvalue())

        worker = threading.Thread(target=observe)
        worker.start()
        # observe is waiting (--wait, an emulated hour: 6 s here) for an update: start one
        assert waiting.wait(60), "real observe never started waiting"
        sm.update_endpoint(
            EndpointName="obs",
            EndpointConfigName="obs-c-v2",
            DeploymentConfig=canary(),
        )
        worker.join(60)
        assert not worker.is_alive(), "real observe did not finish"
        status, err = result["run"]
        assert status == 0, err
    record = RunRecord.load(record_path)
    assert record.outcome == "SUCCEEDED"
    phases = [t["to"] for t in record.transitions]
    assert "Baking" in phases and phases[-1] == "InService", phases
    # on the emulated clock: the canary baked its 300 s of emulated time
    assert record.summary.deployment_seconds is not None
    assert record.summary.deployment_seconds > 300.0
