"""``guardsim mc --report`` and ``guardsim sweep --report``: files written, bad paths exit 2
before anything is simulated."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from guardsim.cli import main

WAIT = "deployment_config.BlueGreenUpdatePolicy.TrafficRoutingConfiguration.WaitIntervalInSeconds"
FAULT = "models.green.error_rate_5xx"


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    status = main(list(argv), out=out, err=err)
    return status, out.getvalue(), err.getvalue()


def test_mc_writes_the_report(tmp_path: Path) -> None:
    report = tmp_path / "mc.html"
    status, out, _ = run(
        "mc", "seed-canary-rollback", "-n", "8", "--workers", "1", "--report", str(report)
    )
    assert status == 0, out
    assert f"Monte Carlo report written to {report}" in out
    page = report.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>")
    assert '"guardsim":"mc-report"' in page.replace(" ", "")
    assert 'data-kind="fastest-detection"' in page
    assert not list(tmp_path.glob(".*.tmp"))


def test_mc_json_to_stdout_stays_pure_json(tmp_path: Path) -> None:
    report = tmp_path / "mc.html"
    status, out, err = run(
        "mc", "seed-canary-rollback", "-n", "3", "--workers", "1", "--json", "-",
        "--report", str(report),
    )  # fmt: skip
    assert status == 0
    assert out.startswith("{") and "report written" not in out
    assert f"Monte Carlo report written to {report}" in err
    assert report.is_file()


def test_sweep_writes_the_report_with_the_recommendation(tmp_path: Path) -> None:
    report = tmp_path / "sweep.html"
    status, out, _ = run(
        "sweep", "seed-canary-success", "--vary", f"{WAIT}=60,300",
        "--vary", "alarms[1].Threshold=4000,10000", "--vary", f"{FAULT}=0,0.05",
        "-n", "5", "--workers", "1", "--recommend", "--bad", f"{FAULT}=0.05",
        "--healthy", f"{FAULT}=0", "--report", str(report),
    )  # fmt: skip
    assert status == 0, out
    assert f"sweep report written to {report}" in out
    page = report.read_text(encoding="utf-8")
    assert '"guardsim":"sweep-report"' in page.replace(" ", "")
    assert '"uid":"pareto-front"' in page.replace(" ", "")


@pytest.mark.parametrize("command", ["mc", "sweep"])
def test_a_bad_report_path_exits_2_before_simulating(command: str, tmp_path: Path) -> None:
    bad = tmp_path / "no-such-folder" / "r.html"
    argv = ["mc", "seed-canary-rollback", "-n", "100000"]
    if command == "sweep":
        argv = ["sweep", "seed-canary-rollback", "--vary", f"{WAIT}=60,300", "-n", "100000"]
    status, out, err = run(*argv, "--workers", "1", "--report", str(bad))
    assert status == 2
    assert "does not exist" in err
    assert "Sweep of" not in out


def test_sweep_report_refuses_more_than_two_axes(tmp_path: Path) -> None:
    status, _, err = run(
        "sweep", "seed-canary-success", "--vary", f"{WAIT}=60,300",
        "--vary", "alarms[1].Threshold=4000,10000", "--vary", f"{FAULT}=0,0.05",
        "-n", "100000", "--report", str(tmp_path / "s.html"),
    )  # fmt: skip
    assert status == 2
    assert "--report draws two swept settings" in err


def test_sweep_report_needs_a_setting_besides_the_fault(tmp_path: Path) -> None:
    status, _, err = run(
        "sweep", "seed-canary-success", "--vary", f"{FAULT}=0,0.05", "-n", "100000",
        "--recommend", "--bad", f"{FAULT}=0.05", "--healthy", f"{FAULT}=0",
        "--report", str(tmp_path / "s.html"),
    )  # fmt: skip
    assert status == 2
    assert "--report needs a swept setting" in err
