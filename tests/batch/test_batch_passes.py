"""The batch engine's shortcuts give what the long way gives.

* pointwise metric math (every expression works datapoint by datapoint) is evaluated once, on
  the distinct datapoints of a whole block: the same values as the program run on each row;
* the block's columns are what :func:`run_batch` turns into rows, and a block's results depend
  only on the seed and the block (byte for byte, whatever range of replications is asked for).
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from guardsim.batch.engine import (
    BLOCK,
    _Block,
    _pointwise,
    _Prepared,
    _unique_rows,
    run_batch,
    run_batch_columns,
)
from guardsim.scenarios import load_scenario


@pytest.mark.parametrize(
    ("expression", "pointwise"),
    [
        ("100 * errors / invocations", True),
        ("IF(errors > 1, 1, 0)", True),
        ("ABS(errors - invocations) + LOG10(invocations)", True),
        ("FILL(errors, 0) / invocations", False),
        ("RATE(errors)", False),
        ("SUM(METRICS())", False),
        ("errors / PERIOD(errors)", False),
    ],
)
def test_which_expressions_are_pointwise(expression: str, pointwise: bool) -> None:
    metrics = [{"Id": "errors"}, {"Id": "invocations"}, {"Id": "e", "Expression": expression}]
    assert _pointwise(metrics) is pointwise


def test_pointwise_metric_math_is_the_program_row_by_row() -> None:
    """all-at-once-final-bake's error rate, on datapoints with repeats, zeros and missing ones."""
    prep = _Prepared(load_scenario("all-at-once-final-bake"))
    (alarm,) = [a for a in prep.alarms if a.program is not None]
    assert alarm.pointwise
    block = _Block(prep, 1, 0)
    rng = np.random.default_rng(7)
    N, L = 400, 3
    inputs = {}
    for q in alarm.queries:
        v = rng.integers(0, 6, size=(N, L)).astype(np.float64)
        v[rng.random((N, L)) < 0.2] = np.nan  # missing
        inputs[q.qid] = v
    fast = block._metric_math(alarm, inputs)
    slow = block._metric_math(dataclasses.replace(alarm, pointwise=False), inputs)
    np.testing.assert_array_equal(fast, slow)  # NaN where missing, equal elsewhere


def test_columns_are_the_rows_and_depend_only_on_the_block() -> None:
    scenario = load_scenario("seed-linear-rollback")
    cols = run_batch_columns(scenario, seed=4, start=BLOCK - 3, stop=BLOCK + 2)
    assert cols.replication.tolist() == list(range(BLOCK - 3, BLOCK + 2))
    rows = run_batch(scenario, seed=4, start=BLOCK - 3, stop=BLOCK + 2)
    assert cols.summaries() == rows
    whole = run_batch_columns(scenario, seed=4, start=0, stop=2 * BLOCK)
    part = whole.take(np.arange(BLOCK - 3, BLOCK + 2))
    for name, values in cols.values.items():
        assert values.tobytes() == part.values[name].tobytes(), name
    assert cols.outcome.tobytes() == part.outcome.tobytes()


def test_unique_rows_is_numpys() -> None:
    rng = np.random.default_rng(3)
    a = rng.integers(0, 4, size=(500, 3)).astype(np.float64)
    a[rng.random(a.shape) < 0.2] = -np.inf
    uniq, inverse = _unique_rows(a)
    want, want_inverse = np.unique(a, axis=0, return_inverse=True)
    np.testing.assert_array_equal(uniq, want)
    np.testing.assert_array_equal(inverse, want_inverse.reshape(-1))
