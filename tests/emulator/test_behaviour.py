"""Behaviour that follows the client: background traffic, events, determinism, records."""

from __future__ import annotations

import itertools
import time
from pathlib import Path
from typing import Any

import boto3
import pytest
from emulator_helpers import (
    FAST,
    START,
    canary,
    in_service,
    make_config,
    make_model,
    minute_points,
    put_errors_alarm,
    variant_dims,
)

from guardsim.cli import main
from guardsim.emulator import Event
from guardsim.record import RunRecord
from guardsim.testing import mock_aws


def _invocations(cw: Any, endpoint: str) -> float:
    return float(
        sum(p["Sum"] for p in minute_points(cw, "Invocations", "Sum", dims=variant_dims(endpoint)))
    )


def test_background_traffic_from_the_world_is_counted_per_endpoint() -> None:
    world = {"environment": FAST, "traffic": {"busy": {"rate_per_second": 5.0}}}
    with mock_aws(world=world, start=START):
        sm, cw = boto3.client("sagemaker"), boto3.client("cloudwatch")
        in_service(sm, "busy")
        in_service(sm, "quiet")
        time.sleep(60 - time.time() % 60)
        time.sleep(10 * 60 + 31)  # ten whole minutes, published
        n = _invocations(cw, "busy")
        # Poisson with mean 3000 (10 min at 5/s, plus the part-minute before): sd ~55; the
        # band is over 5 sd wide either way at the fixed seed
        assert 2700 < n < 3700
        assert _invocations(cw, "quiet") == 0.0


def _story(records: Path | None = None) -> list[Event]:
    world = {
        "models": [{"match": {"image": "bad"}, "behaviour": {"error_rate_5xx": 1.0}}],
        "environment": FAST,
        "traffic": {"*": {"rate_per_second": 2.0}},
        "seed": 7,
    }
    with mock_aws(world=world, start=START, records_dir=records) as aws:
        sm, cw = boto3.client("sagemaker"), boto3.client("cloudwatch")
        in_service(sm, "ep")
        put_errors_alarm(cw, "errors", "ep")
        for version in ("bad", "good"):
            make_model(sm, f"m-{version}", image=f"{version}:2")
            make_config(sm, f"c-{version}", f"m-{version}")
        config = canary("errors")
        sm.update_endpoint(EndpointName="ep", EndpointConfigName="c-bad", DeploymentConfig=config)
        sm.get_waiter("endpoint_in_service").wait(EndpointName="ep")
        assert sm.describe_endpoint(EndpointName="ep")["EndpointConfigName"] == "ep-c"
        # the alarm is still in ALARM right after the rollback (an update now would roll back
        # at its first bake, as SageMaker's would): wait until its minutes are clean again
        while cw.describe_alarms(AlarmNames=["errors"])["MetricAlarms"][0]["StateValue"] != "OK":
            time.sleep(60)
        sm.update_endpoint(
            EndpointName="ep", EndpointConfigName="c-good", RetainDeploymentConfig=True
        )
        sm.get_waiter("endpoint_in_service").wait(EndpointName="ep")
        assert sm.describe_endpoint(EndpointName="ep")["EndpointConfigName"] == "c-good"
        return aws.events


def test_a_bad_then_good_story_with_background_traffic_is_deterministic(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    first = _story(tmp_path)
    second = _story()
    assert first == second  # same world and seed: the same events at the same instants
    texts = [e.text for e in first]
    assert any(t.startswith("RollingBack: alarm 'errors' ALARM") for t in texts)
    assert texts[-1].startswith("InService: Terminated")
    assert all(a.time <= b.time for a, b in itertools.pairwise(first))
    bad, good = sorted(tmp_path.glob("ep-update-*.json"))
    assert RunRecord.load(bad).outcome == "ROLLED_BACK"
    record = RunRecord.load(good)
    assert record.outcome == "SUCCEEDED"
    assert record.mode == "emulated"
    assert record.transitions[0]["t"] == 0.0
    assert record.datapoints["metric"]  # the update's published minutes
    assert record.summary.peak_green_traffic_fraction == 1.0
    # guardsim report reads it
    html = tmp_path / "report.html"
    assert main(["report", str(good), "--html", str(html), "--plotly-js", "cdn"]) == 0
    assert "run report written" in capsys.readouterr().out
    assert "SUCCEEDED" in html.read_text(encoding="utf-8")
