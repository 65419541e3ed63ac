"""The auto executor's choice, chunk layout, and sweeps spreading blocks across workers.

The choice (:func:`choose_workers`) is a pure function of its inputs, so it is tested on its
inputs; how fast either path is belongs to ``benchmarks/wall.py``, not here.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any, TypeVar

import pandas as pd
import pytest

from guardsim.batch.engine import BLOCK
from guardsim.montecarlo.executors import (
    POOL_STARTUP_SECONDS,
    AutoExecutor,
    DaskExecutor,
    Executor,
    SerialExecutor,
    choose_workers,
)
from guardsim.montecarlo.monte_carlo import (
    MAX_BATCH_BLOCKS,
    Chunk,
    chunk_ranges,
    default_chunk_size,
    monte_carlo,
)
from guardsim.montecarlo.sweep import sweep
from guardsim.scenarios import Scenario

T = TypeVar("T")
R = TypeVar("R")


def test_small_work_stays_in_this_process() -> None:
    # 10 chunks of 10 ms: 0.1 s here against a pool's 1.5 s start-up
    assert choose_workers(0.01, 10, 2) == 1
    # nothing left, or one chunk left: nothing to run in parallel
    assert choose_workers(100.0, 0, 8) == 1
    assert choose_workers(100.0, 1, 8) == 1
    # one worker allowed: always here
    assert choose_workers(10.0, 100, 1) == 1


def test_large_work_gets_the_pool_capped_by_the_chunks() -> None:
    assert choose_workers(1.0, 100, 2) == 2
    assert choose_workers(10.0, 3, 8) == 3  # never more workers than chunks


def test_the_choice_follows_the_cost_model_at_its_boundary() -> None:
    """Serial: chunks * t; pool: startup + warmup + ceil(chunks / w) * (t + overhead); the pool
    wins only within ``margin`` of serial."""
    model = {"startup_seconds": 1.0, "warmup_seconds": 0.0, "overhead_seconds": 0.0}
    # 4 chunks of 1 s on 2 workers: pool 1 + 2 = 3 s against 4 s serial (0.75)
    assert choose_workers(1.0, 4, 2, margin=0.75, **model) == 2
    assert choose_workers(1.0, 4, 2, margin=0.74, **model) == 1
    # a running pool (no start-up) wins where a cold one does not
    assert choose_workers(0.1, 4, 2, **model) == 1
    running = {**model, "startup_seconds": 0.0}
    assert choose_workers(0.1, 4, 2, **running) == 2
    # deterministic: the same inputs, the same answer
    assert {choose_workers(0.2, 20, 2) for _ in range(5)} == {choose_workers(0.2, 20, 2)}
    assert POOL_STARTUP_SECONDS > 0


def _square(x: int) -> int:
    return x * x


def test_auto_runs_serially_or_on_the_pool_with_the_same_results() -> None:
    items = list(range(7))
    with AutoExecutor(2) as serial:
        got = sorted(serial.imap_unordered(_square, items))
        assert serial.last_choice == 1 and not serial.pool_running
    assert got == [(i, i * i) for i in items]
    free = {"startup_seconds": 0.0, "warmup_seconds": 0.0, "overhead_seconds": 0.0}
    with AutoExecutor(2, margin=float("inf"), **free) as pooled:
        got = sorted(pooled.imap_unordered(_square, items))
        assert pooled.last_choice == 2 and pooled.pool_running
    assert got == [(i, i * i) for i in items]
    assert list(AutoExecutor(2).imap_unordered(_square, [])) == []


def test_auto_and_a_forced_pool_give_serial_results(bad: Scenario) -> None:
    reference = monte_carlo(bad, 25, seed=2, mode="fast", executor="serial")
    assert monte_carlo(bad, 25, seed=2, mode="fast").to_json() == reference.to_json()
    free = {"startup_seconds": 0.0, "warmup_seconds": 0.0, "overhead_seconds": 0.0}
    with AutoExecutor(2, margin=float("inf"), **free) as ex:
        forced = monte_carlo(bad, 25, seed=2, mode="fast", executor=ex)
        assert ex.last_choice == 2
    assert forced.to_json() == reference.to_json()


def test_chunk_layout_has_a_small_first_chunk_and_covers_everything() -> None:
    assert chunk_ranges(10, 4) == [(0, 4), (4, 8), (8, 10)]
    assert chunk_ranges(10, 4, first=1) == [(0, 1), (1, 5), (5, 9), (9, 10)]
    assert chunk_ranges(3, 4, first=5) == [(0, 3)]
    # batch chunks are whole blocks, more of them per chunk for large runs, at most 16
    assert default_chunk_size(100, 2, "batch") == BLOCK
    assert default_chunk_size(1_000_000, 2, "batch") == MAX_BATCH_BLOCKS * BLOCK
    assert default_chunk_size(4 * 8 * 2 * BLOCK, 2, "batch") == 4 * BLOCK
    # an executor may take larger chunks (Dask: a task's round trip costs more than a pool's)
    assert default_chunk_size(1_000_000, 2, "batch", 64) == 64 * BLOCK
    assert default_chunk_size(100, 2, "batch", 64) == BLOCK
    assert DaskExecutor.max_batch_blocks is not None
    assert DaskExecutor.max_batch_blocks > MAX_BATCH_BLOCKS


class Recording(Executor):
    """Serial, remembering every chunk it ran."""

    def __init__(self) -> None:
        self.chunks: list[Any] = []

    @property
    def workers(self) -> int:
        return 2

    def imap_unordered(self, fn: Callable[[T], R], items: Iterable[T]) -> Iterator[tuple[int, R]]:
        todo = list(items)
        self.chunks.extend(todo)
        yield from SerialExecutor().imap_unordered(fn, todo)


class Blocky(Recording):
    """Recording, on one worker, asking for chunks of at most two blocks."""

    max_batch_blocks = 2

    @property
    def workers(self) -> int:
        return 1


def test_monte_carlo_sizes_chunks_by_the_executors_limit(bad: Scenario) -> None:
    ex = Blocky()
    n = 9 * BLOCK
    monte_carlo(bad, n, mode="batch", executor=ex)
    sizes = [c.stop - c.start for c in ex.chunks]
    assert sum(sizes) == n
    assert max(sizes) == 2 * BLOCK  # 16 blocks by default; this executor's 2


@pytest.mark.parametrize("mode", ["fast", "batch"])
def test_a_sweep_spreads_blocks_and_equals_the_unspread_run(bad: Scenario, mode: str) -> None:
    """Every configuration is cut into several chunks (so two workers share a configuration),
    and the table is the one of a run with one chunk per configuration."""
    n = 2 * BLOCK + 5 if mode == "batch" else 30
    vary = ["models.green.error_rate_5xx=0,1"]
    spread = Recording()
    table = sweep(bad, vary, n, mode=mode, executor=spread).table
    per_config: dict[str, list[Chunk]] = {}
    for c in spread.chunks:
        per_config.setdefault(c.scenario_json, []).append(c)
    assert len(per_config) == 2
    for chunks in per_config.values():
        assert len(chunks) >= 2
        assert sorted((c.start, c.stop) for c in chunks)[-1][1] == n
    whole = sweep(bad, vary, n, mode=mode, executor="serial", chunk_size=10 * n).table
    pd.testing.assert_frame_equal(table, whole)
