"""guardsim mc / sweep / recommend: output, files, and exit status 2 for bad input, found before
any simulation starts."""

from __future__ import annotations

import contextlib
import io
import json
from pathlib import Path

import pytest

from guardsim.cli import main
from guardsim.montecarlo import monte_carlo as montecarlo
from guardsim.montecarlo import sweep
from guardsim.montecarlo.monte_carlo import monte_carlo
from guardsim.montecarlo.tables import read_table
from guardsim.scenarios import Scenario

WAIT = "deployment_config.BlueGreenUpdatePolicy.TrafficRoutingConfiguration.WaitIntervalInSeconds"
ERR = "TEST-DEMO-Deployment-Guardrails-Canary-5XX-Errors"


def run(*argv: str) -> tuple[int, str, str]:
    """Exit status, stdout and stderr (argparse writes usage errors to sys.stderr itself)."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stderr(err):
        code = main(list(argv), out, err)
    return code, out.getvalue(), err.getvalue()


@pytest.fixture
def bad_file(bad: Scenario, tmp_path: Path) -> str:
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(bad.to_dict()))
    return str(path)


@pytest.fixture
def healthy_file(healthy: Scenario, tmp_path: Path) -> str:
    path = tmp_path / "healthy.json"
    path.write_text(json.dumps(healthy.to_dict()))
    return str(path)


@pytest.fixture
def no_simulation(monkeypatch: pytest.MonkeyPatch) -> None:
    """Any simulation fails the test: bad input must be caught before one starts."""

    def forbidden(*args: object, **kwargs: object) -> None:
        raise AssertionError("a simulation started")

    monkeypatch.setattr(montecarlo, "run_chunk", forbidden)
    monkeypatch.setattr(montecarlo, "monte_carlo", forbidden)
    monkeypatch.setattr(sweep, "run_sweep", forbidden)


# --------------------------------------------------------------------------- mc


def test_mc_prints_the_summary_in_words(bad: Scenario, bad_file: str, tmp_path: Path) -> None:
    js, csv = tmp_path / "mc.json", tmp_path / "runs.csv"
    code, out, err = run(
        "mc",
        bad_file,
        "-n",
        "20",
        "--seed",
        "4",
        "--workers",
        "2",
        "--json",
        str(js),
        "--csv",
        str(csv),
    )
    assert code == 0, err
    expected = monte_carlo(bad, 20, seed=4, executor="serial")
    s = expected.summary
    assert "Monte Carlo of seed-canary-rollback: 20 replications (base seed 4, batch mode)" in out
    assert f"  rolled back in {s.rolled_back} of 20 runs (" in out
    assert "95% CI" in out and "rollback alarms tripped:" in out
    assert "detected at (over" in out and "green errors (blast radius)" in out
    assert js.read_text() == expected.to_json()  # the same bytes, whatever the workers
    assert read_table(csv)["replication"].tolist() == list(range(20))
    assert err == ""


def test_mc_json_to_stdout(bad: Scenario, bad_file: str) -> None:
    code, out, _ = run("mc", bad_file, "-n", "5", "--executor", "serial", "--json", "-")
    assert code == 0
    assert out == monte_carlo(bad, 5, executor="serial").to_json()


def test_mc_progress_on_request(bad_file: str) -> None:
    code, _, err = run("mc", bad_file, "-n", "5", "--executor", "serial", "--progress")
    assert code == 0
    assert err.startswith("\rmc seed-canary-rollback: ") and err.endswith("\n")
    assert "\rmc seed-canary-rollback: 5/5 replications, " in err
    code, _, err = run("mc", bad_file, "-n", "5", "--executor", "serial")  # not a terminal
    assert err == ""


@pytest.mark.usefixtures("no_simulation")
@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["-n", "0"], "expected a whole number >= 1, got 0"),
        (["-n", "3", "--json", "/nonexistent/x.json"], "folder /nonexistent does not exist"),
        (["-n", "3", "--csv", "/nonexistent/x.csv"], "folder /nonexistent does not exist"),
        (["-n", "3", "--executor", "dask"], "needs a scheduler address (--scheduler)"),
        (
            ["-n", "3", "--executor", "local", "--scheduler", "tcp://x:1"],
            "--scheduler only applies to --executor dask",
        ),
        (["-n", "3", "--mode", "slow"], "invalid choice: 'slow'"),
    ],
)
def test_mc_bad_input_exits_2(bad_file: str, args: list[str], message: str) -> None:
    code, out, err = run("mc", bad_file, *args)
    assert code == 2
    assert message in err
    assert out == ""


@pytest.mark.usefixtures("no_simulation")
def test_mc_unknown_scenario_exits_2() -> None:
    code, _, err = run("mc", "seed-canary-rolback", "-n", "3")
    assert code == 2
    assert "did you mean 'seed-canary-rollback'" in err


# --------------------------------------------------------------------------- sweep


def test_sweep_writes_tables_checkpoints_and_recommends(healthy_file: str, tmp_path: Path) -> None:
    csv, parquet = tmp_path / "sweep.csv", tmp_path / "sweep.parquet"
    args = [
        "sweep",
        healthy_file,
        "-n",
        "6",
        "--executor",
        "serial",
        "--vary",
        "models.green.error_rate_5xx=0,0.2",
        "--vary",
        f"alarms[{ERR}].Threshold=0.05,1",
        "--out",
        str(csv),
        "--out",
        str(parquet),
        "--recommend",
        "--bad",
        "models.green.error_rate_5xx=0.2",
        "--healthy",
        "models.green.error_rate_5xx=0",
        "--max-false-rollback",
        "0.5",
        "--max-duration",
        "3600",
    ]
    code, out, err = run(*args)
    assert code == 0, err
    assert out.startswith("Sweep of seed-canary-success: 4 configuration(s) x 6 replications")
    assert "  error_rate_5xx  Threshold  p_rollback" in out
    assert f"table (4 rows) written to {csv}" in out and f"written to {parquet}" in out
    assert f"best: alarms[{ERR}].Threshold=0.05" in out
    assert "Pareto front (blast radius, deployment time, false rollback)" in out
    table = read_table(csv)
    assert len(table) == 4
    assert read_table(parquet).equals(table)
    assert (tmp_path / "sweep.checkpoint" / "rows.jsonl").is_file()
    code, out2, _ = run(*args)  # again: everything comes from the checkpoint
    assert code == 0
    assert "4 configuration(s) taken from the checkpoint" in out2
    assert read_table(csv).equals(table)

    code, out3, err = run(
        "recommend",
        str(parquet),
        "--bad",
        "models.green.error_rate_5xx=0.2",
        "--healthy",
        "models.green.error_rate_5xx=0",
    )
    assert code == 0, err
    assert f"best: alarms[{ERR}].Threshold=0.05" in out3
    code, _, err = run(
        "recommend",
        str(csv),
        "--bad",
        "models.green.error_rate_5xx=0.3",
        "--healthy",
        "models.green.error_rate_5xx=0",
    )
    assert code == 2
    assert "no row has models.green.error_rate_5xx = 0.3; values in the table: 0.0, 0.2" in err


def test_sweep_out_dash_writes_the_csv_table_alone_on_stdout(
    healthy_file: str, tmp_path: Path
) -> None:
    # `--out -` beside a file: stdout is the CSV table and nothing else (it can be piped), the
    # summary goes to stderr, and the file gets the same table
    csv = tmp_path / "sweep.csv"
    code, out, err = run(
        "sweep",
        healthy_file,
        "-n",
        "4",
        "--executor",
        "serial",
        "--vary",
        f"alarms[{ERR}].Threshold=0.05,1",
        "--out",
        "-",
        "--out",
        str(csv),
    )
    assert code == 0, err
    assert out == read_table(csv).to_csv(index=False)
    assert out.splitlines()[0].startswith("alarms[")
    assert len(out.splitlines()) == 3  # the header and one row per configuration
    assert err.startswith("Sweep of seed-canary-success: 2 configuration(s) x 4 replications")
    assert f"table (2 rows) written to {csv}" in err
    assert (tmp_path / "sweep.checkpoint").is_dir()  # beside the first file, not beside "-"


@pytest.mark.usefixtures("no_simulation")
@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--vary", "models.gren.error_rate_5xx=0,1"],
            "--vary models.gren.error_rate_5xx: models.gren: no such key (did you mean 'green'?); "
            "keys here: blue, green",
        ),
        (
            ["--vary", "alarms[0].Treshold=1"],
            "--vary alarms[0].Treshold: unknown key (did you mean 'Threshold'?); allowed keys:",
        ),
        (["--vary", "alarms[nope].Threshold=1"], "alarms has no item named 'nope'"),
        (["--vary", "models.green.error_rate_5xx"], "expected PATH=VALUES"),
        (["--vary", "models.green.error_rate_5xx=1:0:1"], "never reaches 0"),
        (
            ["--vary", "models.green.error_rate_5xx=0,2"],
            "1 of 2 configurations are invalid (use --skip-invalid to run the others):\n"
            "  models.green.error_rate_5xx=2:\n    models.green.error_rate_5xx:",
        ),
        (
            ["--vary", "alarms[0].Threshold=1", "--out", "/nonexistent/t.csv"],
            "folder /nonexistent does not exist",
        ),
        (["--vary", "alarms[0].Threshold=1", "--out", "t.xlsx"], "use a .csv or .parquet"),
        (
            ["--vary", "alarms[0].Threshold=1", "--checkpoint", "/nonexistent/ck"],
            "folder /nonexistent does not exist",
        ),
        (["--vary", "alarms[0].Threshold=1", "--recommend"], "--recommend needs --bad"),
        (["--vary", "alarms[0].Threshold=1", "--bad", "a=1"], "go with --recommend"),
        (
            [
                "--vary",
                "alarms[0].Threshold=1",
                "--recommend",
                "--bad",
                "models.green.error_rate_5xx=1",
                "--healthy",
                "models.green.error_rate_5xx=0",
            ],
            "--bad models.green.error_rate_5xx: not a swept path; swept: alarms[0].Threshold",
        ),
        (
            ["--vary", "alarms[0].Threshold=1", "--recommend", "--bad", "x", "--healthy", "y=0"],
            "--bad x: expected PATH=VALUE",
        ),
    ],
)
def test_sweep_bad_input_exits_2_before_simulating(
    bad_file: str, args: list[str], message: str
) -> None:
    code, _, err = run("sweep", bad_file, "-n", "2", *args)
    assert code == 2, err
    assert message in err
    assert "Traceback" not in err


def test_sweep_skip_invalid_reports_what_it_skipped(bad_file: str) -> None:
    code, out, err = run(
        "sweep",
        bad_file,
        "-n",
        "2",
        "--executor",
        "serial",
        "--skip-invalid",
        "--vary",
        "models.green.error_rate_5xx=0,2",
    )
    assert code == 0, err
    assert "guardsim: skipping 1 invalid configuration(s) of 2:" in err
    assert "skipped models.green.error_rate_5xx=2: models.green.error_rate_5xx:" in err
    assert "1 configuration(s) x 2 replications" in out


def test_interrupted_sweep_says_how_to_resume(
    bad_file: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def interrupted(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(sweep, "run_sweep", interrupted)
    out_csv = tmp_path / "t.csv"
    code, _, err = run(
        "sweep", bad_file, "-n", "2", "--vary", "alarms[0].Threshold=1", "--out", str(out_csv)
    )
    assert code == 130
    assert f"saved in {tmp_path / 't.checkpoint'}: run the same command again to resume" in err
    assert not out_csv.exists()


@pytest.mark.usefixtures("no_simulation")
def test_recommend_bad_input_exits_2(tmp_path: Path) -> None:
    code, _, err = run("recommend", str(tmp_path / "none.csv"), "--bad", "a=1", "--healthy", "a=0")
    assert (code, err.strip()) == (2, f"guardsim: no such table file: {tmp_path / 'none.csv'}")
    code, _, err = run("recommend", "t.csv", "--bad", "a=1")
    assert code == 2 and "--healthy" in err
    code, _, err = run(
        "recommend", "t.csv", "--bad", "a=1", "--healthy", "a=0", "--max-false-rollback", "2"
    )
    assert code == 2 and "expected a number from 0 to 1, got 2.0" in err
