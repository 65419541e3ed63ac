"""Columnar results: workers send numpy blocks, the parent builds the table from them.

The row path (one ``(replication, outcome, *Summary)`` tuple per replication, what the engines
give) is the reference: the table built from columns must hold the same values in every cell.
Memory is measured with ``tracemalloc`` (allocations, not time: a bound, not a timing).
"""

from __future__ import annotations

import gc
import math
import tracemalloc

import numpy as np
import pytest
from mc_helpers import quick

from guardsim.batch.engine import BLOCK, run_batch
from guardsim.montecarlo.monte_carlo import (
    SUMMARY_FIELDS,
    Chunk,
    RunRow,
    monte_carlo,
    run_chunk,
    runs_frame,
    scenario_json,
)
from guardsim.montecarlo.results import OUTCOMES, RunColumns, RunColumnsBuffer
from guardsim.scenarios import Scenario
from guardsim.simulator.engine import simulate

#: The bound on what the parent holds per replication (issue 14).
MAX_BYTES_PER_REPLICATION = 100


def _rows_fast(scenario: Scenario, seed: int, n: int) -> list[RunRow]:
    rows: list[RunRow] = []
    for i in range(n):
        record = simulate(scenario, seed=seed, mode="fast", replication=i, detail=False)
        rows.append((i, record.outcome, *(getattr(record.summary, f) for f in SUMMARY_FIELDS)))
    return rows


def _rows_batch(scenario: Scenario, seed: int, n: int) -> list[RunRow]:
    return [
        (i, o, *(getattr(s, f) for f in SUMMARY_FIELDS))
        for i, o, s in run_batch(scenario, seed=seed, start=0, stop=n)
    ]


def _cell(value: object) -> object:
    """A cell as plain Python, NaN as None (NaN != NaN)."""
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def _assert_table_is_rows(table: object, rows: list[RunRow], names: tuple[str, ...]) -> None:
    """Every cell of the table is what the row says (the reference row path, in plain Python)."""
    import pandas as pd

    assert isinstance(table, pd.DataFrame)
    rows = sorted(rows, key=lambda r: r[0])
    assert table["replication"].tolist() == [r[0] for r in rows]
    assert table["outcome"].tolist() == [r[1] for r in rows]
    assert table["rolled_back"].tolist() == [r[1] == "ROLLED_BACK" for r in rows]
    assert table["succeeded"].tolist() == [r[1] == "SUCCEEDED" for r in rows]
    assert table["failed"].tolist() == [r[1] == "FAILED" for r in rows]
    for j, field in enumerate(SUMMARY_FIELDS, start=2):
        got = [_cell(v) for v in table[field].tolist()]
        if field == "tripped_alarms":
            assert got == [";".join(r[j]) for r in rows], field
        else:
            assert got == [r[j] for r in rows], field
    tripped = SUMMARY_FIELDS.index("tripped_alarms") + 2
    for name in names:
        assert table[f"tripped[{name}]"].tolist() == [name in r[tripped] for r in rows]


@pytest.mark.parametrize("mode", ["fast", "batch"])
def test_the_columnar_table_equals_the_row_path(bad: Scenario, mode: str) -> None:
    n = 12 if mode == "fast" else BLOCK + 7
    rows = _rows_fast(bad, 3, n) if mode == "fast" else _rows_batch(bad, 3, n)
    names = tuple(a.name for a in bad.rollback_alarms)
    result = monte_carlo(bad, n, seed=3, mode=mode, executor="serial")
    _assert_table_is_rows(result.runs, rows, names)
    # the same table from the rows themselves (unsorted) and from columns
    assert runs_frame(list(reversed(rows)), 3, names).equals(result.runs)
    assert runs_frame(RunColumns.from_rows(rows), 3, names).equals(result.runs)
    assert {o for o in result.runs["outcome"]} <= set(OUTCOMES)


def test_concat_of_blocks_equals_one_block(bad: Scenario) -> None:
    """Cut anywhere and joined again, the columns are the same (tripped sets renumbered)."""
    text = scenario_json(bad)
    whole = run_chunk(Chunk(text, 5, "fast", 0, 12))
    parts = [run_chunk(Chunk(text, 5, "fast", a, b)) for a, b in ((0, 5), (5, 6), (6, 12))]
    joined = RunColumns.concat(parts)
    names = tuple(a.name for a in bad.rollback_alarms)
    assert runs_frame(joined, 5, names).equals(runs_frame(whole, 5, names))
    assert len(RunColumns.concat([])) == 0
    # the buffer the parent fills in place: blocks in any order, the same table
    buffer = RunColumnsBuffer(12)
    for offset, part in sorted(zip((0, 5, 6), parts, strict=True), key=lambda x: -x[0]):
        buffer.put(offset, part)
    assert runs_frame(buffer.columns(), 5, names).equals(runs_frame(whole, 5, names))
    assert len(RunColumnsBuffer(0).columns()) == 0


def test_a_set_of_alarms_outside_the_ordered_subsets_is_still_text() -> None:
    """More alarms than categories allow, or a tuple in another order: plain ``;`` text."""
    floats = [1.0, None, None, None]
    ints = [10, 1, 1]
    rows: list[RunRow] = [
        (0, "ROLLED_BACK", *floats, ("b", "a"), *ints, 0.5, 1.0, 0.1),
        (1, "SUCCEEDED", *floats, (), *ints, 0.5, 1.0, 0.1),
    ]
    table = runs_frame(rows, 1, ("a", "b"))
    assert table["tripped_alarms"].tolist() == ["b;a", ""]
    assert table["tripped[a]"].tolist() == [True, False]


def test_blocks_hold_under_100_bytes_per_replication(healthy: Scenario) -> None:
    cols = run_chunk(Chunk(scenario_json(healthy), 1, "batch", 0, BLOCK))
    assert len(cols) == BLOCK
    assert cols.nbytes / BLOCK <= MAX_BYTES_PER_REPLICATION
    # no Python object per replication: every array is numeric
    arrays = (cols.replication, cols.outcome, cols.tripped, *cols.values.values())
    assert all(a.dtype != np.dtype(object) for a in arrays)


def test_the_parent_holds_at_most_100_bytes_per_replication() -> None:
    """What a finished Monte Carlo result keeps, measured with tracemalloc, per replication.

    A warm-up run first fills the caches (the rebuilt scenario, first-use imports), so that
    what stays allocated after the measured run is its result. The allowance for what does not
    grow with n (the frame's index and block manager, the categories, the scenario) is 64 KiB,
    under a sixth of the bound at this n.
    """
    scenario = quick("seed-canary-rollback")
    n = 4 * BLOCK
    monte_carlo(scenario, BLOCK, mode="batch", executor="serial")
    gc.collect()
    tracemalloc.start()
    try:
        before, _ = tracemalloc.get_traced_memory()
        result = monte_carlo(scenario, n, mode="batch", executor="serial")
        gc.collect()
        after, _ = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert len(result.runs) == n
    assert after - before <= MAX_BYTES_PER_REPLICATION * n + 64 * 1024
    assert result.runs.memory_usage(deep=True).sum() / n <= MAX_BYTES_PER_REPLICATION
