"""Every command reads through the front door: bad files, numbers out of range, outputs that
cannot be written and contradictory options are refused with exit status 2 and a message naming
the file or option, before any simulation (a fixture makes any simulation fail the test)."""

from __future__ import annotations

import contextlib
import io
import json
from pathlib import Path

import pytest
import yaml

from guardsim.cli import main
from guardsim.scenarios import library

SWEEP = ["sweep", "seed-canary-rollback", "-n", "5", "--vary", "alarms[0].Threshold=0.1"]
CANARY_RECORD = Path(__file__).parents[1] / "reports" / "data" / "seed-canary-rollback.json"


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stderr(err):  # argparse's usage errors go to sys.stderr
        status = main(list(argv), out=out, err=err)
    return status, out.getvalue(), err.getvalue()


def refused(argv: list[str], fragment: str) -> str:
    status, out, err = run(*argv)
    assert status == 2, (out, err)
    assert fragment in out + err
    assert "Traceback" not in out + err and "internal error" not in err
    return out + err


@pytest.fixture
def no_simulation(monkeypatch: pytest.MonkeyPatch) -> None:
    """Any simulation, Monte Carlo, sweep, lint or report fails the test."""
    import guardsim.backend
    import guardsim.lint.runner
    import guardsim.montecarlo.monte_carlo
    import guardsim.montecarlo.sweep
    import guardsim.simulator

    def forbidden(*args: object, **kwargs: object) -> None:
        raise AssertionError("work started before the input was checked")

    monkeypatch.setattr(guardsim.simulator, "simulate", forbidden)
    monkeypatch.setattr(guardsim.montecarlo.monte_carlo, "monte_carlo", forbidden)
    monkeypatch.setattr(guardsim.montecarlo.sweep, "run_sweep", forbidden)
    monkeypatch.setattr(guardsim.lint.runner, "lint", forbidden)
    monkeypatch.setattr(guardsim.backend.SimulatedBackend, "replications", forbidden)


def scenario_file(tmp_path: Path, name: str = "s.yaml", **changes: object) -> Path:
    data = yaml.safe_load(library.text("seed-canary-rollback"))
    for dotted, value in changes.items():
        section, key = dotted.split("__")
        data.setdefault(section, {})[key] = value
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


# --------------------------------------------------------------------------- seeds


@pytest.mark.parametrize("seed", [2**63, 2**64])
def test_validate_rejects_a_seed_over_2_63_minus_1(tmp_path: Path, seed: int) -> None:
    path = scenario_file(tmp_path, simulation__seed=seed)
    out = refused(["validate", str(path)], f"simulation.seed: must be <= {2**63 - 1}, got {seed}")
    assert f"{path}: invalid" in out


def test_validate_accepts_the_largest_seed(tmp_path: Path) -> None:
    path = scenario_file(tmp_path, simulation__seed=2**63 - 1)
    status, out, _ = run("validate", str(path))
    assert status == 0, out


@pytest.mark.usefixtures("no_simulation")
@pytest.mark.parametrize(
    "argv",
    [
        ["run", "seed-canary-rollback"],
        ["mc", "seed-canary-rollback", "-n", "1"],
        ["mc", "seed-canary-rollback", "-n", "1", "--mode", "fast"],
        ["sweep", "seed-canary-rollback", "-n", "1", "--vary", "alarms[0].Threshold=0.1"],
        ["lint", "seed-canary-rollback"],
        ["calibrate", "x.json", "--scenario", "seed-canary-rollback", "-o", "o.yaml"],
        ["real", "run", "seed-canary-rollback", "--fake-aws", "--fake-seed"],
    ],
    ids=lambda argv: " ".join(argv[:2]),
)
@pytest.mark.parametrize("seed", [2**63, 2**64, -1])
def test_every_seed_option_is_checked_to_its_range(argv: list[str], seed: int) -> None:
    if argv[-1] != "--fake-seed":
        argv = [*argv, "--seed"]
    refused([*argv, str(seed)], "expected a whole number")


# --------------------------------------------------------------------------- files


def test_a_20000_deep_yaml_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "deep.yaml"
    path.write_text("name: " + "[" * 20_000 + "]" * 20_000 + "\n", encoding="utf-8")
    for command in (["validate"], ["run"], ["lint"], ["mc", "-n", "1"]):
        refused([*command, str(path)], "nested deeper than 100 levels")
    assert f"{path}: invalid YAML at line 1" in refused(["validate", str(path)], str(path))


def test_an_alias_bomb_is_refused(tmp_path: Path) -> None:
    lines = ["a: &a [x, x, x, x, x, x, x, x, x, x]"]
    for prev, name in zip("abcdef", "bcdefg", strict=True):
        lines.append(f"{name}: &{name} [" + ", ".join([f"*{prev}"] * 10) + "]")
    path = tmp_path / "bomb.yaml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    refused(["validate", str(path)], "values once its aliases are expanded, over the limit")


@pytest.mark.usefixtures("no_simulation")
@pytest.mark.parametrize(
    "argv",
    [
        ["report", "{bin}", "--html", "{out}/r.html"],
        ["compare", "{bin}", "{record}"],
        ["compare", "{record}", "{bin}"],
        ["calibrate", "{bin}", "--scenario", "seed-canary-rollback", "-o", "{out}/c.yaml"],
        ["report", "/dev/zero", "--html", "{out}/r.html"],
        ["compare", "/dev/zero", "{record}"],
        ["compare", "{record}", "/dev/zero"],
    ],
)
def test_a_binary_or_device_record_is_refused(tmp_path: Path, argv: list[str]) -> None:
    binary = tmp_path / "binary.json"
    binary.write_bytes(bytes(range(256)) * 8)
    (tmp_path / "out").mkdir()
    names = {"bin": str(binary), "record": str(CANARY_RECORD), "out": str(tmp_path / "out")}
    argv = [a.format(**names) for a in argv]
    text = refused(argv, "cannot read run record")
    assert "not UTF-8 text: byte 0x80 at offset 128" in text or "a character device" in text
    assert list((tmp_path / "out").iterdir()) == []


def test_a_device_as_replay_file_is_not_called_missing(tmp_path: Path) -> None:
    path = scenario_file(tmp_path, traffic__replay_file="/dev/zero")
    out = refused(["validate", str(path)], "traffic.replay_file: cannot read replay file /dev/zero")
    assert "it is a character device, not a regular file" in out
    assert "file not found" not in out


def test_a_directory_record_folder_and_a_fifo_scenario(tmp_path: Path) -> None:
    import os

    fifo = tmp_path / "s.yaml"
    os.mkfifo(fifo)
    refused(["validate", str(fifo)], "it is a FIFO (named pipe), not a regular file")
    refused(["report", str(tmp_path), "--html", "x.html"], "it is a directory")


# --------------------------------------------------------------------------- outputs


@pytest.mark.usefixtures("no_simulation")
@pytest.mark.parametrize(
    ("argv", "fragment"),
    [
        (["mc", "seed-canary-rollback", "-n", "5", "--json", "/proc/r.json"], "--json /proc"),
        (["mc", "seed-canary-rollback", "-n", "5", "--csv", "/proc/r.csv"], "--csv /proc"),
        (["mc", "seed-canary-rollback", "-n", "5", "--report", "/proc/r.html"], "/proc/r.html"),
        (
            [*SWEEP, "--out", "/proc/t.csv"],
            "--out /proc/t.csv",
        ),
        (
            [*SWEEP, "--checkpoint", "/proc/ckpt"],
            "/proc",
        ),
        (["run", "seed-canary-rollback", "--json", "/proc/r.json"], "/proc/r.json"),
        (["report", str(CANARY_RECORD), "--html", "/proc/r.html"], "/proc/r.html"),
        (["compare", str(CANARY_RECORD), str(CANARY_RECORD), "--json", "/proc/c.json"], "/proc"),
        (["mc", "seed-canary-rollback", "-n", "5", "--json", "-", "--csv", "-"], "only one output"),
        (["mc", "seed-canary-rollback", "-n", "5", "--report", "-"], "--report -: this output"),
        (["run", "seed-canary-rollback", "--report", "-"], "--report -: this output"),
        (["report", str(CANARY_RECORD), "--html", "-"], "--html -: this output"),
        (
            [*SWEEP, "--out", "-", "--out", "-"],
            "only one output",
        ),
        (
            ["calibrate", str(CANARY_RECORD), "--scenario", "seed-canary-rollback", "-o", "-"],
            "--output -",
        ),
        (["mc", "seed-canary-rollback", "-n", "5", "--progress", "--no-progress"], "contradict"),
        (
            [*SWEEP, "--no-progress", "--progress"],
            "--progress and --no-progress contradict",
        ),
        (["mc", "seed-canary-rollback", "-n", "5", "--workers", "5000"], "from 1 to 1024"),
        (["mc", "seed-canary-rollback", "-n", "1e12"], "got '1e12'"),
        (["mc", "seed-canary-rollback", "-n", str(2**63)], "from 1 to 9223372036854775807"),
    ],
)
def test_outputs_and_options_are_checked_before_any_work(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, argv: list[str], fragment: str
) -> None:
    monkeypatch.chdir(tmp_path)
    refused(argv, fragment)
    assert list(tmp_path.iterdir()) == []  # no file named '-', no temporary file left


@pytest.mark.usefixtures("no_simulation")
def test_sweep_recommend_values_must_be_in_the_grid() -> None:
    argv = ["sweep", "seed-canary-rollback", "-n", "5", "--no-checkpoint"]
    argv += ["--vary", "models.green.error_rate_5xx=0,0.5", "--recommend"]
    argv += ["--healthy", "models.green.error_rate_5xx=0"]
    refused(
        [*argv, "--bad", "models.green.error_rate_5xx=0.3"],
        "--bad models.green.error_rate_5xx=0.3: the sweep has no configuration with "
        "models.green.error_rate_5xx = 0.3; its values: 0.0, 0.5",
    )


def test_mc_csv_to_standard_output_is_the_csv_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    status, out, err = run(
        "mc", "seed-canary-rollback", "-n", "3", "--executor", "serial", "--csv", "-"
    )
    assert status == 0, err
    header, *rows = out.splitlines()
    assert header.split(",")[0] == "replication" and len(rows) == 3
    assert list(tmp_path.iterdir()) == []
    # with a JSON file besides, the file is written and standard output stays the CSV
    status, out2, err = run(
        "mc",
        "seed-canary-rollback",
        "-n",
        "3",
        "--executor",
        "serial",
        "--csv",
        "-",
        "--json",
        "r.json",
    )
    assert status == 0 and out2 == out, err
    assert json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))["n"] == 3
    assert "Monte Carlo result written to r.json" in err


def test_mc_json_to_standard_output_is_the_json_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    status, out, err = run(
        "mc", "seed-canary-rollback", "-n", "2", "--executor", "serial", "--json", "-"
    )
    assert status == 0, err
    data = json.loads(out)  # the whole of standard output is one JSON document
    assert (data["format"], data["n"]) == ("guardsim.monte-carlo/1", 2)


@pytest.mark.parametrize("depth", [150, 20_000])
@pytest.mark.parametrize("suffix", ["json", "yaml", "tf"])
def test_deep_infrastructure_as_code_is_refused(tmp_path: Path, suffix: str, depth: int) -> None:
    deep = "[" * depth + "]" * depth
    path = tmp_path / f"template.{suffix}"
    if suffix == "json":
        text = (
            '{"AWSTemplateFormatVersion": "2010-09-09", "Resources": {"E": {"Type": '
            f'"AWS::SageMaker::Endpoint", "Properties": {{"A": {deep}}}}}}}}}'
        )
    elif suffix == "yaml":
        text = "AWSTemplateFormatVersion: 2010-09-09\nResources:\n  E:\n    Properties:\n"
        text += f"      A: {deep}\n"
    else:
        text = f'resource "aws_sagemaker_endpoint" "e" {{\n  a = {deep}\n}}\n'
    path.write_text(text, encoding="utf-8")
    out = refused(["validate", str(path)], str(path))
    # 150 levels: guardsim's own limit; 20,000: the parser's (cfn-lint, python-hcl2) as well
    assert "nested deeper than 100 levels" in out or depth > 150
