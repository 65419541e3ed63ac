"""A Monte Carlo result never depends on who ran it: serial, 1 or 2 local workers, any chunking.

In fast mode (the per-replication engine) replication i always uses the stream
SeedSequence(seed).spawn(n)[i], so the runs table (sorted by replication) and the JSON must be
identical, not merely close. The batch engine's version of these checks is test_mc_batch.py.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from guardsim.montecarlo.executors import LocalExecutor, SerialExecutor
from guardsim.montecarlo.monte_carlo import MonteCarloResult, monte_carlo
from guardsim.montecarlo.progress import Progress
from guardsim.scenarios import Scenario
from guardsim.simulator import simulate

N = 24


@pytest.fixture(scope="module")
def serial_result(bad: Scenario) -> MonteCarloResult:
    return monte_carlo(bad, N, seed=7, mode="fast", executor="serial")


def test_one_and_two_local_workers_equal_serial(
    bad: Scenario, serial_result: MonteCarloResult
) -> None:
    with LocalExecutor(1) as one, LocalExecutor(2) as two:
        r1 = monte_carlo(bad, N, seed=7, mode="fast", executor=one)
        r2 = monte_carlo(bad, N, seed=7, mode="fast", executor=two)
        r2_small_chunks = monte_carlo(bad, N, seed=7, mode="fast", executor=two, chunk_size=1)
    for other in (r1, r2, r2_small_chunks):
        assert other.runs.equals(serial_result.runs)
        assert other.to_json() == serial_result.to_json()
        assert other.summary == serial_result.summary


def test_default_executor_is_a_local_pool_and_agrees(
    bad: Scenario, serial_result: MonteCarloResult
) -> None:
    result = monte_carlo(bad, N, seed=7, mode="fast", workers=2)
    assert result.to_json() == serial_result.to_json()


def test_rows_are_the_single_runs_with_the_replication_streams(
    bad: Scenario, serial_result: MonteCarloResult
) -> None:
    runs = serial_result.runs
    assert runs["replication"].tolist() == list(range(N))
    assert (runs["seed"] == 7).all()
    for i in (0, 5, N - 1):
        record = simulate(bad, seed=7, mode="fast", replication=i, detail=False)
        row = runs.iloc[i]
        assert row["outcome"] == record.outcome
        assert row["green_errors"] == record.summary.green_errors
        assert row["deployment_seconds"] == record.summary.deployment_seconds
        assert row["tripped_alarms"] == ";".join(record.summary.tripped_alarms)


def test_more_replications_extend_fewer(bad: Scenario, serial_result: MonteCarloResult) -> None:
    """n does not change the streams: the first 10 of 24 are the 10 of a 10-replication run."""
    ten = monte_carlo(bad, 10, seed=7, mode="fast", executor="serial")
    assert ten.runs.equals(serial_result.runs.iloc[:10])


def test_runs_table_columns_and_types(serial_result: MonteCarloResult) -> None:
    runs = serial_result.runs
    names = serial_result.alarm_names
    assert list(runs.columns[:6]) == [
        "replication",
        "seed",
        "outcome",
        "rolled_back",
        "succeeded",
        "failed",
    ]
    for col in (
        "deployment_seconds",
        "detected_at_seconds",
        "rollback_started_seconds",
        "rollback_completed_seconds",
        "tripped_alarms",
        "green_requests",
        "green_errors",
        "user_errors",
        "peak_green_traffic_fraction",
        "instance_seconds",
        "cost_usd",
    ):
        assert col in runs.columns
    assert [c for c in runs.columns if c.startswith("tripped[")] == [f"tripped[{n}]" for n in names]
    assert runs["green_errors"].dtype == np.int64
    assert runs["detected_at_seconds"].dtype == np.float64
    assert runs["rolled_back"].dtype == bool
    assert (runs["rolled_back"] | runs["succeeded"] | runs["failed"]).all()


def test_json_is_stable_and_complete(serial_result: MonteCarloResult) -> None:
    text = serial_result.to_json()
    assert text == serial_result.to_json()
    data = json.loads(text)
    assert data["format"] == "guardsim.monte-carlo/1"
    assert data["n"] == N and data["seed"] == 7 and data["mode"] == "fast"
    assert len(data["runs"]["replication"]) == N
    assert data["summary"]["p_rollback_ci95"] == list(serial_result.summary.p_rollback_ci)
    assert "NaN" not in text


def test_progress_reports_every_replication(bad: Scenario) -> None:
    seen: list[Progress] = []
    monte_carlo(bad, 10, mode="fast", executor=SerialExecutor(), progress=seen.append, chunk_size=3)
    assert [p.done for p in seen] == [3, 6, 9, 10]
    assert all(p.total == 10 and p.configs_total == 0 for p in seen)


def test_bad_arguments_are_refused(bad: Scenario) -> None:
    from guardsim.errors import GuardsimError

    with pytest.raises(GuardsimError, match="whole number >= 1"):
        monte_carlo(bad, 0)
    with pytest.raises(GuardsimError, match="unknown mode"):
        monte_carlo(bad, 3, mode="quick")
    with pytest.raises(GuardsimError, match="workers must be"):
        monte_carlo(bad, 3, workers=0)
