"""What follows a replication's leaving the success path, drawn as one stretch per replication.

After SageMaker's decision no poll reads a replication's minutes any more: the batch engine's
second pass draws only what is counted (requests and errors, and the routing in effect). Where
nothing changes at a minute's start (``_Prepared.whole_after``: a constant rate, no neighbours'
traffic, no per-instance fault, no recording driving a model) it draws the stretch from the
minute a replication left in to the end of its last minute at once, cut only at its cut points
(routing changes, fault onsets, the run's end): Poisson counts over the minutes of a stretch sum
to a Poisson count of the summed mean, a lattice's counts add up, and binomial shares and errors
of one probability add up, so the counted sums have the same distribution as minute by minute
(``WHOLE_AFTER = False``).

The tests, on a Poisson rolling update with errors on both fleets and on the blog's uniform
canary with errors on both fleets:

* everything the decision fixes is the same bit for bit either way (the first pass draws the
  same numbers: outcome, detection, the rollback's times, the bill, the peak green share);
* the counted sums (green requests, green errors, user errors) agree in distribution: per
  field, a two-sample Kolmogorov-Smirnov test and a z-test of the means, each at ALPHA / 12
  (Bonferroni over 3 fields, 2 tests and 2 scenarios), on N = 2048 replications each (fixed
  seeds). Power: the z-test tells apart means that differ by more than about 3.9 standard
  errors of the difference (for the canary's green requests, a few requests in a rollback of
  hundreds); the KS test, distributions further apart than about 0.07 in the CDF.
"""

from __future__ import annotations

import copy
import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from scipy import stats

from guardsim.batch import engine
from guardsim.batch.engine import BLOCK, _Prepared, run_batch_columns
from guardsim.scenarios import check_scenario_dict, load_scenario
from guardsim.scenarios.scenario import Scenario

ROOT = Path(__file__).resolve().parents[2]
N = 4 * BLOCK
ALPHA = 1e-3
COUNTED = ("green_requests", "green_errors", "user_errors")


def _variant(name: str, change: Any) -> Scenario:
    data = copy.deepcopy(load_scenario(name).to_dict())
    change(data)
    result = check_scenario_dict(data, source=f"<whole after {name}>")
    assert result.scenario is not None, result.errors
    return result.scenario


def _errors(green: dict[str, float], blue: dict[str, float]) -> Any:
    def change(data: dict[str, Any]) -> None:
        data["models"]["green"].update(green)
        data["models"]["blue"].update(blue)

    return change


SCENARIOS = {
    # Poisson arrivals; a rolling rollback re-provisions the old fleet in batches
    "rolling-poisson": lambda: _variant(
        "rolling-batch-rollback",
        _errors(
            {"error_rate_5xx": 0.02, "error_rate_4xx": 0.01},
            {"error_rate_5xx": 0.005, "error_rate_4xx": 0.005},
        ),
    ),
    # evenly spaced arrivals (the lattice); a blue/green canary's rollback
    "canary-lattice": lambda: _variant(
        "seed-canary-rollback",
        _errors({"error_rate_5xx": 0.05}, {"error_rate_5xx": 0.01}),
    ),
}


def _runs(scenario: Scenario, whole: bool, monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setattr(engine, "WHOLE_AFTER", whole)
    return run_batch_columns(scenario, seed=23, start=0, stop=N)


@pytest.mark.parametrize("label", list(SCENARIOS))
def test_the_stretch_counts_what_minute_by_minute_counts(
    label: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    scenario = SCENARIOS[label]()
    assert _Prepared(scenario).whole_after, label
    whole, minutes = _runs(scenario, True, monkeypatch), _runs(scenario, False, monkeypatch)
    assert (whole.outcome == 1).mean() > 0.9, label  # nearly every replication rolls back
    assert np.array_equal(whole.outcome, minutes.outcome), label
    assert np.array_equal(whole.tripped, minutes.tripped), label
    for key in whole.values:
        if key not in COUNTED:  # what the decision fixes: the same bit for bit
            assert np.array_equal(whole.values[key], minutes.values[key], equal_nan=True), key
    level = ALPHA / (len(COUNTED) * 2 * len(SCENARIOS))
    for key in COUNTED:
        a = np.asarray(whole.values[key], dtype=np.float64)
        b = np.asarray(minutes.values[key], dtype=np.float64)
        assert a.std() > 0, (label, key)  # something random to compare
        assert stats.ks_2samp(a, b).pvalue > level, (label, key)
        se = math.sqrt(a.var(ddof=1) / len(a) + b.var(ddof=1) / len(b))
        z = abs(a.mean() - b.mean()) / se
        assert 2 * stats.norm.sf(z) > level, (label, key, a.mean(), b.mean())


def test_only_scenarios_without_minute_boundaries_draw_stretches() -> None:
    assert _Prepared(load_scenario("seed-canary-rollback")).whole_after

    def daily(data: dict[str, Any]) -> None:
        data["traffic"]["profile"] = "daily"

    def warm_up(data: dict[str, Any]) -> None:
        data["models"]["green"]["faults"] = [
            {"kind": "warmup", "duration_seconds": 120, "rate_5xx": 0.05}
        ]

    def recorded(data: dict[str, Any]) -> None:
        recording = ROOT / "docs/examples/history/recorded-history.csv"
        data["models"]["blue"]["history"] = {"file": str(recording)}
        data["models"]["green"]["history_transform"] = {}

    for change in (daily, warm_up, recorded):
        assert not _Prepared(_variant("seed-canary-rollback", change)).whole_after, change
