"""Monte Carlo in batch mode: determinism, block structure, mode selection, agreement with fast.

The batch engine simulates replications in blocks of BLOCK consecutive indices with shared random
draws, so a replication's result depends only on (scenario, seed, index): never on the executor,
the worker count, the chunking, or the range asked for. It is not bit-identical to fast mode, so
it is compared with fast mode statistically (``test_seed_scenarios_agree_with_fast_mode``):

for each outcome (ROLLED_BACK, SUCCEEDED, FAILED) of each of the four seed built-ins, a
two-proportion z-test of "the batch and the fast probability are equal", with the pooled estimate
p = (k_b + k_f) / (n_b + n_f) and z = (k_b / n_b - k_f / n_f) / sqrt(p (1 - p) (1/n_b + 1/n_f)),
rejected when |z| > 3.29 (two-sided ALPHA = 0.001). With n_b = 1000 batch and n_f = 200 fast
runs, that tolerates a difference of at most 3.29 * sqrt(p (1 - p) * 0.006): 0.127 at p = 1/2,
0.076 at p = 0.1, and none when both sides saw only one outcome (p = 0 or 1: the estimates must
then be equal). 12 tests: a family-wise false-alarm rate below 1.2 %; the seeds are fixed.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from mc_helpers import quick

from guardsim.batch.engine import BLOCK, run_batch
from guardsim.montecarlo.executors import LocalExecutor
from guardsim.montecarlo.monte_carlo import MonteCarloResult, monte_carlo
from guardsim.record import Summary
from guardsim.scenarios import Scenario, load_scenario

SEED_SCENARIOS = (
    "seed-canary-rollback",
    "seed-canary-success",
    "seed-linear-rollback",
    "seed-linear-success",
)
#: Built-ins outside the batch engine's subset before issue 14: a ROLLING policy; a metric-math
#: alarm. Every built-in is inside it now.
FORMERLY_UNSUPPORTED = ("rolling-batch-rollback", "all-at-once-final-bake")
#: Two whole blocks and a part of a third, so that chunks and blocks never line up.
N = 2 * BLOCK + 5

ALPHA = 0.001
Z_CRIT = 3.2905267314919255  # Phi^-1(1 - ALPHA / 2)
N_BATCH, N_FAST = 1000, 200


@pytest.fixture(scope="module")
def mixed() -> Scenario:
    """The seed canary with Poisson traffic and a green model whose latency is close to the
    latency alarm's threshold on the blended metric: it rolls back in about half of the runs."""
    return quick(
        "seed-canary-success",
        traffic={"arrivals": "poisson", "rate_per_second": 3.0},
        models={"green": {"latency": {"median_ms": 18, "p99_ms": 62}}},
    )


@pytest.fixture(scope="module")
def serial(mixed: Scenario) -> MonteCarloResult:
    return monte_carlo(mixed, N, seed=11, mode="batch", executor="serial")


# --------------------------------------------------------------------------- determinism


def test_the_serial_run_is_in_batch_mode_and_not_degenerate(serial: MonteCarloResult) -> None:
    runs = serial.runs
    assert serial.mode == "batch"
    assert '"mode": "batch"' in serial.to_json()
    assert runs["replication"].tolist() == list(range(N))
    assert 0.1 < serial.summary.p_rollback < 0.9
    # every replication differs from the others: the rows are not one block's copy
    assert runs["deployment_seconds"].nunique() > 0.9 * N
    assert runs["green_requests"].nunique() > 10


def test_a_local_pool_gives_the_serial_result(mixed: Scenario, serial: MonteCarloResult) -> None:
    with LocalExecutor(2) as pool:
        pooled = monte_carlo(mixed, N, seed=11, mode="batch", executor=pool)
    assert pooled.runs.equals(serial.runs)
    assert pooled.to_json() == serial.to_json()
    assert pooled.summary == serial.summary


@pytest.mark.parametrize("chunk_size", [1, 7, BLOCK // 3 + 1, BLOCK, BLOCK + 3, N])
def test_chunking_does_not_change_the_result(
    mixed: Scenario, serial: MonteCarloResult, chunk_size: int
) -> None:
    n = N if chunk_size > 7 else BLOCK + 5  # small chunks: fewer of them (each may run a block)
    result = monte_carlo(mixed, n, seed=11, mode="batch", executor="serial", chunk_size=chunk_size)
    assert result.runs.equals(serial.runs.iloc[:n])
    if n == N:
        assert result.to_json() == serial.to_json()


def test_pool_and_chunking_together(mixed: Scenario, serial: MonteCarloResult) -> None:
    with LocalExecutor(2) as pool:
        result = monte_carlo(
            mixed, N, seed=11, mode="batch", executor=pool, chunk_size=BLOCK // 2 + 1
        )
    assert result.to_json() == serial.to_json()


def test_another_seed_gives_other_runs(mixed: Scenario, serial: MonteCarloResult) -> None:
    other = monte_carlo(mixed, N, seed=12, mode="batch", executor="serial")
    assert not other.runs["deployment_seconds"].equals(serial.runs["deployment_seconds"])


# --------------------------------------------------------------------------- blocks


@pytest.fixture(scope="module")
def three_blocks(mixed: Scenario) -> list[tuple[int, str, Summary]]:
    return list(run_batch(mixed, seed=5, start=0, stop=3 * BLOCK))


def test_run_batch_returns_the_asked_replications_in_order(
    three_blocks: list[tuple[int, str, Summary]],
) -> None:
    assert [r[0] for r in three_blocks] == list(range(3 * BLOCK))
    assert {r[1] for r in three_blocks} <= {"SUCCEEDED", "ROLLED_BACK", "FAILED"}


@pytest.mark.parametrize(
    ("start", "stop"),
    [
        (0, 1),
        (3, 9),
        (BLOCK - 2, BLOCK + 3),  # crosses the first block boundary
        (BLOCK, 2 * BLOCK),  # exactly the second block
        (BLOCK + 1, 3 * BLOCK),  # from inside the second block to the end of the third
        (3 * BLOCK - 1, 3 * BLOCK),
    ],
)
def test_a_range_is_the_same_rows_as_in_a_larger_run(
    mixed: Scenario, three_blocks: list[tuple[int, str, Summary]], start: int, stop: int
) -> None:
    rows = run_batch(mixed, seed=5, start=start, stop=stop)
    assert [r[0] for r in rows] == list(range(start, stop))
    assert rows == three_blocks[start:stop]


def test_monte_carlo_rows_are_run_batch_rows(mixed: Scenario, serial: MonteCarloResult) -> None:
    rows = run_batch(mixed, seed=11, start=0, stop=N)
    runs = serial.runs
    assert runs["outcome"].tolist() == [r[1] for r in rows]
    assert runs["deployment_seconds"].tolist() == [r[2].deployment_seconds for r in rows]
    assert runs["green_errors"].tolist() == [r[2].green_errors for r in rows]
    assert runs["tripped_alarms"].tolist() == [";".join(r[2].tripped_alarms) for r in rows]


# --------------------------------------------------------------------------- mode selection


@pytest.mark.parametrize("name", ["seed-canary-rollback", "seed-linear-success"])
def test_auto_picks_batch_for_a_supported_scenario(name: str) -> None:
    scenario = quick(name)
    auto = monte_carlo(scenario, 40, seed=3, mode="auto", executor="serial")
    batch = monte_carlo(scenario, 40, seed=3, mode="batch", executor="serial")
    assert auto.mode == "batch"
    assert auto.to_json() == batch.to_json()


@pytest.mark.parametrize("name", FORMERLY_UNSUPPORTED)
def test_auto_picks_batch_for_a_formerly_unsupported_scenario(name: str) -> None:
    """auto used to fall back to fast mode for these; it always means batch now."""
    scenario = quick(name)
    auto = monte_carlo(scenario, 12, seed=3, mode="auto", executor="serial")
    batch = monte_carlo(scenario, 12, seed=3, mode="batch", executor="serial")
    assert auto.mode == "batch"
    assert auto.to_json() == batch.to_json()


# --------------------------------------------------------------------------- agreement with fast


def _agree(k_b: int, n_b: int, k_f: int, n_f: int) -> tuple[bool, str]:
    """Two-proportion z-test at ALPHA (see the module docstring)."""
    pooled = (k_b + k_f) / (n_b + n_f)
    se = math.sqrt(pooled * (1 - pooled) * (1 / n_b + 1 / n_f))
    if se == 0.0:
        return k_b / n_b == k_f / n_f, "one outcome only on both sides"
    z = (k_b / n_b - k_f / n_f) / se
    return abs(z) <= Z_CRIT, f"z = {z:.2f}"


@pytest.fixture(scope="module", params=SEED_SCENARIOS)
def seed_pair(request: pytest.FixtureRequest) -> tuple[str, MonteCarloResult, MonteCarloResult]:
    scenario = quick(request.param)
    batch = monte_carlo(scenario, N_BATCH, seed=21, mode="batch", executor="serial")
    fast = monte_carlo(scenario, N_FAST, seed=22, mode="fast", executor="serial")
    return request.param, batch, fast


@pytest.mark.slow
@pytest.mark.parametrize("outcome", ["ROLLED_BACK", "SUCCEEDED", "FAILED"])
def test_seed_scenarios_agree_with_fast_mode(
    seed_pair: tuple[str, MonteCarloResult, MonteCarloResult], outcome: str
) -> None:
    name, batch, fast = seed_pair
    assert batch.mode == "batch"
    assert fast.mode == "fast"
    k_b = int((batch.runs["outcome"] == outcome).sum())
    k_f = int((fast.runs["outcome"] == outcome).sum())
    ok, detail = _agree(k_b, N_BATCH, k_f, N_FAST)
    assert ok, (
        f"{name}: P({outcome}) is {k_b}/{N_BATCH} = {k_b / N_BATCH:.3f} in batch mode and "
        f"{k_f}/{N_FAST} = {k_f / N_FAST:.3f} in fast mode ({detail}, |z| limit {Z_CRIT:.2f})"
    )


def test_the_z_test_rejects_a_real_difference() -> None:
    """The tolerance is not vacuous: 0.50 vs 0.65 at these sizes is rejected (z = -3.9), 0.50
    vs 0.55 is not (z = -1.3)."""
    assert not _agree(500, N_BATCH, 130, N_FAST)[0]
    assert _agree(500, N_BATCH, 110, N_FAST)[0]
    assert _agree(N_BATCH, N_BATCH, N_FAST - 1, N_FAST)[0]  # 199/200: z = 2.2, within
    # 1000/1000 vs 195/200: z = 5.0, a real difference
    assert not _agree(N_BATCH, N_BATCH, N_FAST - 5, N_FAST)[0]


def test_the_bad_model_always_rolls_back_in_both_modes() -> None:
    scenario = load_scenario("seed-canary-rollback")
    fast = monte_carlo(scenario, 100, seed=31, mode="fast", executor="serial")
    assert fast.summary.p_rollback == 1.0, "precondition: fast mode always rolls it back"
    batch = monte_carlo(scenario, 500, seed=31, mode="batch", executor="serial")
    assert batch.mode == "batch"
    assert batch.summary.n == 500
    assert batch.summary.p_rollback == 1.0
    assert np.all(batch.runs["rolled_back"].to_numpy())
