"""The batch engine's shortcuts give what the long way gives.

* pointwise metric math (every expression works datapoint by datapoint) is evaluated once, on
  the distinct datapoints of a whole block: the same values as the program run on each row;
* the block's columns are what :func:`run_batch` turns into rows, and a block's results depend
  only on the seed and the block (byte for byte, whatever range of replications is asked for);
* the instants of a wait where no replication polls or times out are left out of the events:
  the same replications, byte for byte.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from guardsim.batch import engine
from guardsim.batch.engine import (
    BLOCK,
    _Block,
    _pointwise,
    _Prepared,
    _unique_rows,
    run_batch,
    run_batch_columns,
)
from guardsim.scenarios import check_scenario_dict, load_scenario
from guardsim.scenarios.scenario import Scenario


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


def _timing_out() -> Scenario:
    """rolling-batch-rollback under a 25-minute execution timeout that counts provisioning:
    some replications time out in a wait no alarm watches (provisioning, activation), some in
    a bake, the rest roll back first."""
    data = load_scenario("rolling-batch-rollback").to_dict()
    data["deployment_config"]["RollingUpdatePolicy"]["MaximumExecutionTimeoutInSeconds"] = 1500
    data["environment"]["timeout_includes_provisioning"] = True
    result = check_scenario_dict(data, source="<timing out>")
    assert result.scenario is not None, result.errors
    return result.scenario


@pytest.mark.parametrize(
    "name", ["seed-canary-rollback", "seed-linear-success", "rolling-batch-rollback", "timeout"]
)
def test_instants_without_a_poll_or_timeout_are_no_events(
    name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    scenario = _timing_out() if name == "timeout" else load_scenario(name)
    prep = _Prepared(scenario)
    kept = _Block(prep, 5, 0)
    monkeypatch.setattr(engine, "EVENTS_ONLY", False)
    every = _Block(prep, 5, 0)
    width = kept.ev_t.shape[1]
    assert every.ev_t.shape[1] > width, name  # there were instants to leave out
    # each replication's polls and timeouts come first, in time order: the same ones, with
    # the same kind, wait start, routing changes and stage
    assert not every.ev_valid[:, width:].any(), name
    valid = kept.ev_valid
    assert np.array_equal(valid, every.ev_valid[:, :width]), name
    for field in ("ev_t", "ev_kind", "ev_since", "ev_changes", "ev_stage"):
        a, b = getattr(kept, field), getattr(every, field)[:, :width]
        assert np.array_equal(a[valid], b[valid]), (name, field)
    outcomes = []
    for only in (True, False):
        monkeypatch.setattr(engine, "EVENTS_ONLY", only)
        outcomes.append(run_batch_columns(scenario, seed=5, start=0, stop=BLOCK))
    a, b = outcomes
    if name == "timeout":  # some time out (a rollback with no alarm), some do not
        timed_out = (a.outcome == 1) & np.isnan(a.values["detected_at_seconds"])
        assert 0 < timed_out.sum() < BLOCK
    assert np.array_equal(a.outcome, b.outcome), name
    assert np.array_equal(a.tripped, b.tripped), name
    for key in a.values:
        assert np.array_equal(a.values[key], b.values[key], equal_nan=True), (name, key)
