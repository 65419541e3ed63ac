"""The minutes nothing cuts are found per replication, with the answers of every pair's own.

``_Block._sample`` samples the minutes no cut point falls inside as one segment each, with the
routing of the minute's start (``_Block._sample_whole``), and cuts the others into segments
(``_Block._sample_cut``). Which minutes are cut, and how many routing changes and rollback
changes are in effect at each minute's start, ``_Block._minute_layout`` works out per
replication, each cut point finding its minute by a search of the minutes' starts. The test
holds it, at every call in a run (the success path and the redraw after a rollback), to the
definition: each (replication, minute) pair's own comparisons of its minute [lo, hi) with each
cut point (a cut strictly inside, a change at or before lo), on scenarios whose cut points fall
everywhere: rolling updates and their rollbacks, canaries and linear steps, warm-up faults (an
instance's age crossing a cut), routing changes exactly on minute starts (fixed provisioning
and activation times), faults that start and end mid-minute, and a run that starts mid-minute.
"""

from __future__ import annotations

import copy
from typing import Any

import numpy as np
import pytest

from guardsim.batch import engine
from guardsim.batch.engine import _Block, _Prepared, run_batch_columns
from guardsim.scenarios import check_scenario_dict, load_scenario
from guardsim.scenarios.scenario import Scenario


def _override(name: str, **paths: Any) -> Scenario:
    data = copy.deepcopy(load_scenario(name).to_dict())
    for path, value in paths.items():
        node = data
        *parents, last = path.split("__")
        for key in parents:
            node = node.setdefault(key, {})
        node[last] = value
    result = check_scenario_dict(data, source="<minute layout>")
    assert result.scenario is not None, result.errors
    return result.scenario


def _faults(name: str) -> list[dict[str, Any]]:
    faults: list[dict[str, Any]] = load_scenario(name).to_dict()["models"]["green"]["faults"]
    return faults


WARM = [{"kind": "warmup", "duration_seconds": 95, "rate_5xx": 0.4}]
MID_MINUTE = [{"kind": "errors", "rate_5xx": 0.3, "after_seconds": 97.5, "until_seconds": 227.5}]

ON_STARTS = "routing changes on minute starts"
SCENARIOS = {
    "rolling-batch-rollback": lambda: load_scenario("rolling-batch-rollback"),
    "seed-canary-rollback": lambda: load_scenario("seed-canary-rollback"),
    "seed-linear-rollback": lambda: load_scenario("seed-linear-rollback"),
    "all-at-once-final-bake": lambda: load_scenario("all-at-once-final-bake"),
    "component-llm-latency-rollback": lambda: load_scenario("component-llm-latency-rollback"),
    "warm-up faults, both fleets": lambda: _override(
        "rolling-batch-rollback",
        models__green__faults=[*_faults("rolling-batch-rollback"), *WARM],
        models__blue__faults=WARM,
    ),
    ON_STARTS: lambda: _override(
        "rolling-batch-rollback",
        environment__provisioning_seconds={"kind": "fixed", "value": 240},
        environment__activation_seconds={"kind": "fixed", "value": 60},
        environment__termination_seconds={"kind": "fixed", "value": 60},
        environment__rollback_seconds={"kind": "fixed", "value": 60},
    ),
    "a fault mid-minute, a run that starts mid-minute": lambda: _override(
        "seed-canary-rollback",
        models__green__faults=MID_MINUTE,
        simulation__warmup_seconds=250,
        traffic__arrivals="poisson",
    ),
}


def _by_pair(block: _Block) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The definition: each pair's minute compared with each of its replication's cut points."""
    prep = block.prep
    R, M = block.R, block.M
    m = 60.0 * (block.origin + np.arange(M, dtype=np.float64))
    lo, hi = np.maximum(m, prep.start), m + 60.0
    changes, post_t, cuts = block._cut_points(np.arange(R))
    inside = (cuts[:, None, :] > lo[None, :, None]) & (cuts[:, None, :] < hi[None, :, None])
    applied = (changes[:, None, :] <= lo[None, :, None]).sum(axis=2)
    post = (post_t[:, None, :] <= lo[None, :, None]).sum(axis=2)
    return inside.any(axis=2), applied, post


@pytest.mark.parametrize("label", list(SCENARIOS))
def test_the_layout_is_each_pairs_own(label: str, monkeypatch: pytest.MonkeyPatch) -> None:
    layout = _Block._minute_layout
    seen: list[tuple[int, int, int]] = []

    def checked(block: _Block) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        out = layout(block)
        want = _by_pair(block)
        for got, expect, what in zip(out, want, ("cut", "applied", "post"), strict=True):
            assert np.array_equal(got, expect), (label, what)
        seen.append((int(out[0].sum()), int(out[1].max()), int(out[2].max())))
        return out

    monkeypatch.setattr(_Block, "_minute_layout", checked)
    # what follows leaving, minute by minute too (else one stretch per replication)
    monkeypatch.setattr(engine, "WHOLE_AFTER", False)
    block = _Block(_Prepared(SCENARIOS[label]()), 5, 0)
    block.run()
    assert len(seen) >= 2, label  # the success path and the redraw after leaving it
    if label == ON_STARTS:  # every change on a minute's start: no minute is cut
        assert max(s[0] for s in seen) == 0
    else:
        assert max(s[0] for s in seen) > 0, label  # some minutes are cut
    assert max(s[1] for s in seen) > 0, label  # routing changes are applied
    if block.left.any():
        assert max(s[2] for s in seen) > 0, label  # and rollback changes


def test_a_whole_minute_is_sampled_as_the_cut_path_samples_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """On the scenario whose every change falls on a minute's start (no minute is cut), the
    replications bit for bit whether its pairs go to ``_sample_whole`` (as the layout sends
    them) or all to ``_sample_cut`` (the layout made to call every minute cut): the same pairs
    in the same order, so the same draws; any difference is in how a segment is laid out."""
    scenario = SCENARIOS[ON_STARTS]()
    whole = run_batch_columns(scenario, seed=11, start=0, stop=600)
    layout = _Block._minute_layout

    def everything_cut(block: _Block) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        cut, applied, post = layout(block)
        assert not cut.any()  # the premise: nothing cuts a minute here
        return np.ones_like(cut), applied, post

    monkeypatch.setattr(_Block, "_minute_layout", everything_cut)
    via_cut = run_batch_columns(scenario, seed=11, start=0, stop=600)
    assert np.array_equal(whole.outcome, via_cut.outcome)
    # random draws decide things here: the new fleet's requests vary, and so do the detections
    assert len(np.unique(whole.values["green_requests"])) > 100
    assert len(np.unique(whole.values["detected_at_seconds"])) > 1
    assert sorted(whole.values) == sorted(via_cut.values)
    for name, column in whole.values.items():
        assert np.array_equal(column, via_cut.values[name], equal_nan=True), name
