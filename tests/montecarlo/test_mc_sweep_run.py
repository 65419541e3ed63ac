"""Running sweeps: rows equal monte_carlo's, checkpoints resume without loss or duplicates."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from mc_helpers import ERROR_ALARM, quick

from guardsim.montecarlo.checkpoint import ROWS_FILE
from guardsim.montecarlo.executors import LocalExecutor
from guardsim.montecarlo.monte_carlo import SUMMARY_COLUMNS, monte_carlo
from guardsim.montecarlo.progress import Progress
from guardsim.montecarlo.recommend import recommend
from guardsim.montecarlo.sweep import SweepResult, plan_sweep, run_sweep, sweep
from guardsim.montecarlo.tables import read_table, write_table
from guardsim.scenarios import Scenario

N = 8
VARY = ["alarms[1].Threshold=5000,10000,40000", "models.green.error_rate_5xx=0,1"]


@pytest.fixture(scope="module")
def reference(bad: Scenario) -> SweepResult:
    """The uninterrupted sweep, serially, without a checkpoint."""
    return sweep(bad, VARY, N, executor="serial")


def test_table_shape_and_rows_equal_monte_carlo(bad: Scenario, reference: SweepResult) -> None:
    table = reference.table
    assert len(table) == 6 and reference.computed == 6 and reference.reused == 0
    assert list(table.columns[:2]) == ["alarms[1].Threshold", "models.green.error_rate_5xx"]
    assert list(table.columns[2 : 2 + len(SUMMARY_COLUMNS)]) == list(SUMMARY_COLUMNS)
    assert table.columns[-1] == "config_key"
    assert [c for c in table.columns if c.startswith("p_tripped[")] == [
        f"p_tripped[{a.name}]" for a in bad.rollback_alarms
    ]
    assert table["alarms[1].Threshold"].tolist() == [5000, 5000, 10000, 10000, 40000, 40000]
    # row 3 (threshold 10000, error rate 1) is exactly what monte_carlo says of that config
    config = reference.plan.configurations[3]
    mc = monte_carlo(config.scenario, N, executor="serial")
    row = table.iloc[3]
    for col, value in mc.summary.to_row().items():
        assert row[col] == pytest.approx(value, nan_ok=True), col
    # a latency alarm at 40 ms never trips for the 40 ms-median model; at 5 ms it always does
    assert table.iloc[0]["p_rollback"] == 1.0
    assert table.iloc[4]["p_rollback"] < 0.5


def test_two_workers_give_the_same_table(bad: Scenario, reference: SweepResult) -> None:
    with LocalExecutor(2) as ex:
        result = sweep(bad, VARY, N, executor=ex)
    pd.testing.assert_frame_equal(result.table, reference.table)
    assert result.table.equals(reference.table)


class Interrupt:
    """A progress callback that raises KeyboardInterrupt once k configurations are done."""

    def __init__(self, k: int) -> None:
        self.k = k
        self.calls: list[Progress] = []

    def __call__(self, p: Progress) -> None:
        self.calls.append(p)
        if p.configs_done >= self.k:
            raise KeyboardInterrupt


def _lines(ckpt: Path) -> list[dict[str, object]]:
    return [json.loads(x) for x in (ckpt / ROWS_FILE).read_text().splitlines()]


@pytest.mark.parametrize("workers", [1, 2])
def test_interrupted_sweep_resumes_to_the_same_table(
    bad: Scenario, reference: SweepResult, tmp_path: Path, workers: int
) -> None:
    ckpt = tmp_path / "ckpt"
    plan = plan_sweep(bad, VARY, N)
    stop = Interrupt(2)
    with LocalExecutor(workers) as ex, pytest.raises(KeyboardInterrupt):
        run_sweep(plan, executor=ex, checkpoint=ckpt, progress=stop, chunk_size=3)
    assert stop.calls[-1].configs_done == 2
    assert len(_lines(ckpt)) == 2  # exactly the finished ones, nothing half-done
    resumed = run_sweep(plan, executor="serial", checkpoint=ckpt)
    assert (resumed.reused, resumed.computed) == (2, 4)
    assert resumed.table.equals(reference.table)
    keys = [line["key"] for line in _lines(ckpt)]
    assert sorted(keys) == sorted(reference.table["config_key"])  # each once
    again = run_sweep(plan, executor="serial", checkpoint=ckpt)
    assert (again.reused, again.computed) == (6, 0)
    assert again.table.equals(reference.table)
    assert len(_lines(ckpt)) == 6


def test_torn_and_duplicated_lines_are_harmless(
    bad: Scenario, reference: SweepResult, tmp_path: Path
) -> None:
    ckpt = tmp_path / "ckpt"
    plan = plan_sweep(bad, VARY, N)
    with pytest.raises(KeyboardInterrupt):
        run_sweep(plan, executor="serial", checkpoint=ckpt, progress=Interrupt(3))
    rows = ckpt / ROWS_FILE
    first = rows.read_text().splitlines()[0]
    with rows.open("a") as f:
        f.write(first + "\n")  # a duplicate
        f.write(first[: len(first) // 2])  # a torn last line, as a kill mid-write leaves
    resumed = run_sweep(plan, executor="serial", checkpoint=ckpt)
    assert (resumed.reused, resumed.computed) == (3, 3)
    assert resumed.table.equals(reference.table)
    lines = rows.read_text().splitlines()
    assert len(lines) == 3 + 1 + 1 + 3  # the torn line was ended; new rows on lines of their own
    assert all(json.loads(x)["key"] for x in lines[-3:])


def test_a_checkpoint_is_reused_only_for_identical_configurations(
    bad: Scenario, tmp_path: Path
) -> None:
    ckpt = tmp_path / "ckpt"
    small = sweep(bad, ["alarms[1].Threshold=5000,10000"], N, executor="serial", checkpoint=ckpt)
    assert small.computed == 2
    wider = sweep(
        bad, ["alarms[1].Threshold=5000,10000,20000"], N, executor="serial", checkpoint=ckpt
    )
    assert (wider.reused, wider.computed) == (2, 1)
    more_runs = sweep(
        bad, ["alarms[1].Threshold=5000,10000"], N + 1, executor="serial", checkpoint=ckpt
    )
    assert (more_runs.reused, more_runs.computed) == (0, 2)


def test_tables_round_trip_through_csv_and_parquet(reference: SweepResult, tmp_path: Path) -> None:
    for name in ("t.csv", "t.parquet"):
        write_table(reference.table, tmp_path / name)
        back = read_table(tmp_path / name)
        pd.testing.assert_frame_equal(back, reference.table, check_dtype=False)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["t.csv", "t.parquet"]  # no temp files


def test_recommend_on_a_real_sweep(tmp_path: Path) -> None:
    """A 5XX alarm at 5% catches a model failing 20% of its canary requests; at 100% it
    never does. Waiting 300 s on the canary catches it before full rollout, 120 s does not."""
    base = quick("seed-canary-success")
    wait = (
        "deployment_config.BlueGreenUpdatePolicy.TrafficRoutingConfiguration.WaitIntervalInSeconds"
    )
    result = sweep(
        base,
        [
            "models.green.error_rate_5xx=0,0.2",
            f"alarms[{ERROR_ALARM}].Threshold=0.05,1",
            f"{wait}=120,300",
        ],
        12,
        executor="serial",
    )
    write_table(result.table, tmp_path / "t.csv")
    table = read_table(tmp_path / "t.csv")
    rec = recommend(
        table,
        bad={"models.green.error_rate_5xx": 0.2},
        healthy={"models.green.error_rate_5xx": 0},
        max_false_rollback=0.05,
        max_duration=3600,
    )
    assert rec.config_columns == (f"alarms[{ERROR_ALARM}].Threshold", wait)
    assert len(rec.candidates) == 4
    assert rec.best is not None
    assert rec.best[f"alarms[{ERROR_ALARM}].Threshold"] == 0.05
    assert rec.best[wait] == 300
    assert rec.best["bad_p_rollback"] == 1.0
    worst = rec.candidates[rec.candidates[f"alarms[{ERROR_ALARM}].Threshold"] == 1]
    assert (worst["bad_p_rollback"] == 0).all()
    assert (worst["blast_radius"] > rec.best["blast_radius"]).all()
    # a tight duration limit rules out the 300 s bake
    quick_only = recommend(
        table,
        bad={"models.green.error_rate_5xx": 0.2},
        healthy={"models.green.error_rate_5xx": 0},
        max_duration=700,
    )
    assert quick_only.best is not None and quick_only.best[wait] == 120
    assert "best" in rec.text() and "Pareto front" in rec.text()
