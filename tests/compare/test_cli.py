"""``guardsim compare`` and ``guardsim calibrate``: outputs and exit statuses."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
import yaml

from guardsim.cli import main
from guardsim.montecarlo.monte_carlo import monte_carlo
from guardsim.record import RunRecord
from guardsim.scenarios.loading import load_scenario
from guardsim.scenarios.scenario import Scenario
from guardsim.simulator import simulate


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), out, err)
    return code, out.getvalue(), err.getvalue()


@pytest.fixture(scope="module")
def files(
    tmp_path_factory: pytest.TempPathFactory,
    success_visible: Scenario,
    success_reals: list[RunRecord],
) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("compare")
    (d / "real").mkdir()
    for i, r in enumerate(success_reals):
        (d / "real" / f"run{i}.json").write_text(r.to_json())
    (d / "scenario.yaml").write_text(yaml.safe_dump(success_visible.to_dict()))
    (d / "predicted.json").write_text(simulate(success_visible, seed=1, mode="fast").to_json())
    (d / "mc.json").write_text(monte_carlo(success_visible, 50, seed=1, workers=1).to_json())
    (d / "bad.json").write_text("{not json")
    (d / "other.json").write_text(json.dumps({"format": "something/1"}))
    other = simulate(load_scenario("seed-linear-success"), seed=1, mode="fast", detail=False)
    (d / "linear.json").write_text(other.to_json())
    return {p.stem: p for p in d.iterdir()} | {"dir": d}


def test_compare_two_records_with_report_and_json(files: dict[str, Path]) -> None:
    report = files["dir"] / "cmp.html"
    as_json = files["dir"] / "cmp.json"
    code, out, err = run(
        "compare",
        str(files["predicted"]),
        str(files["real"] / "run0.json"),
        "--report",
        str(report),
        "--json",
        str(as_json),
    )
    assert code == 0, err
    assert "metric publish delay" in out and "mismatch" in out
    assert "metrics were published 150 s" in out
    page = report.read_text()
    assert page.startswith("<!DOCTYPE html>") and "guardsim-figure-1" in page
    assert "<script src=" not in page  # plotly.js inline: works offline
    assert json.loads(as_json.read_text())["format"] == "guardsim.comparison/1"


def test_compare_against_a_monte_carlo_result(files: dict[str, Path]) -> None:
    code, out, _ = run("compare", str(files["mc"]), str(files["real"] / "run0.json"), "--json", "-")
    assert code == 0
    data = json.loads(out)  # '-': the JSON alone on stdout
    assert data["verdict"] == "surprising"
    assert "deployment_seconds" in data["surprising_measures"]


def test_distribution_report(files: dict[str, Path]) -> None:
    report = files["dir"] / "dist.html"
    code, _, err = run(
        "compare", str(files["mc"]), str(files["real"] / "run1.json"), "--report", str(report)
    )
    assert code == 0, err
    page = report.read_text()
    assert "Real run against a predicted distribution" in page and "<script src=" not in page


def test_compare_against_a_folder_of_runs(files: dict[str, Path]) -> None:
    code, out, _ = run("compare", str(files["real"]), str(files["real"] / "run0.json"))
    assert code == 0
    assert "against 5 predicted runs" in out and "verdict:" in out


def test_batch(files: dict[str, Path]) -> None:
    code, out, err = run(
        "compare",
        "--batch",
        str(files["real"]),
        "--scenario",
        str(files["scenario"]),
        "--predictions",
        "3",
    )
    assert code == 0, err
    assert "outcome matched" in out and "Creating" in out and "run4.json" in out
    code, out, err = run("compare", "--batch", str(files["real"]))  # each record's scenario
    assert code == 0, err


def test_calibrate_writes_the_scenario(files: dict[str, Path]) -> None:
    target = files["dir"] / "calibrated.yaml"
    code, out, err = run(
        "calibrate",
        str(files["real"]),
        "--scenario",
        str(files["scenario"]),
        "-o",
        str(target),
        "--predictions",
        "3",
    )
    assert code == 0, err
    assert "environment.provisioning_seconds" in out and "before -> after" in out
    assert "[" in out  # every value with its interval
    calibrated = load_scenario(target)
    assert calibrated.environment.metric_publish_delay_seconds.kind == "fixed"
    code, _, _ = run("validate", str(target))
    assert code == 0


@pytest.mark.parametrize(
    "argv, message",
    [
        (["compare", "{missing}", "{real}"], "cannot read"),
        (["compare", "{bad}", "{real}"], "invalid JSON"),
        (["compare", "{other}", "{real}"], "neither a run record"),
        (["compare", "{predicted}", "{bad}"], "invalid JSON"),
        (["compare", "{linear}", "{real}"], "not the same deployment"),
        (["compare", "{predicted}"], "give PREDICTED and REAL"),
        (["compare", "{predicted}", "{realdir}"], "not a folder"),
        (["compare", "--batch", "{empty}"], "no run records"),
        (
            ["compare", "--batch", "{realdir}", "--scenario", "seed-linear-success"],
            "not the same deployment",
        ),
        (
            ["calibrate", "{real}", "--scenario", "seed-linear-success", "-o", "{out}"],
            "not the same deployment",
        ),
        (["calibrate", "{missing}", "--scenario", "{scenario}", "-o", "{out}"], "cannot read"),
        (["calibrate", "{real}", "--scenario", "nope", "-o", "{out}"], "no scenario file"),
        (
            ["calibrate", "{real}", "--scenario", "{scenario}", "-o", "/no/such/dir/x.yaml"],
            "does not exist",
        ),
        (["compare", "--predictions", "0", "--batch", "{realdir}"], ""),
    ],
)
def test_bad_input_exits_2(files: dict[str, Path], argv: list[str], message: str) -> None:
    empty = files["dir"] / "empty"
    empty.mkdir(exist_ok=True)
    names = {
        "missing": str(files["dir"] / "missing.json"),
        "real": str(files["real"] / "run0.json"),
        "realdir": str(files["real"]),
        "bad": str(files["bad"]),
        "other": str(files["other"]),
        "linear": str(files["linear"]),
        "predicted": str(files["predicted"]),
        "scenario": str(files["scenario"]),
        "empty": str(empty),
        "out": str(files["dir"] / "never.yaml"),
    }
    code, _, err = run(*(a.format(**names) for a in argv))
    assert code == 2
    assert message in err
    assert "Traceback" not in err and "internal error" not in err
    assert not (files["dir"] / "never.yaml").exists()


def test_fail_on_surprising_exits_3(files: dict[str, Path]) -> None:
    real = str(files["real"] / "run0.json")
    code, out, err = run("compare", str(files["mc"]), real, "--fail-on", "surprising")
    assert code == 3
    assert "verdict: SURPRISING" in out
    assert "verdict surprising (--fail-on surprising)" in err
    code, out, _ = run("compare", str(files["mc"]), real)  # without --fail-on: a success
    assert code == 0


def test_fail_on_passes_a_verdict_it_does_not_name(files: dict[str, Path]) -> None:
    real = str(files["real"] / "run0.json")
    code, out, err = run(
        "compare", str(files["real"]), real, "--fail-on", "surprising", "--json", "-"
    )
    assert json.loads(out)["verdict"] == "consistent"
    assert code == 0, err
    code, out, err = run(
        "compare", str(files["predicted"]), real, "--fail-on", "differ", "--json", "-"
    )
    assert json.loads(out)["outcome_agrees"] is True
    assert code == 0, err


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (
            ["predicted", "--fail-on", "surprising"],
            "--fail-on surprising needs a predicted distribution",
        ),
        (["mc", "--fail-on", "differ"], "--fail-on differ needs one predicted run record"),
    ],
)
def test_fail_on_that_cannot_apply_exits_2(
    files: dict[str, Path], argv: list[str], message: str
) -> None:
    code, out, err = run(
        "compare", str(files[argv[0]]), str(files["real"] / "run0.json"), *argv[1:]
    )
    assert code == 2
    assert message in err
    assert out == ""


def test_fail_on_with_batch_exits_2(files: dict[str, Path]) -> None:
    code, _, err = run("compare", "--batch", str(files["real"]), "--fail-on", "surprising")
    assert code == 2
    assert "this is a batch comparison" in err
