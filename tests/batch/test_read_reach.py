"""The batch engine draws latency only in the minutes within a poll's reach
(``_Block._read_minutes``), and that changes no decision.

With forgetful alarms (a state is a function of its evaluation's range), a poll asks of the
evaluations before it only whether the state it sees was entered since its wait began; the
evaluations from the last one before the wait began decide that. So the minutes between waits
(a rolling update's termination and the next batch's provisioning, a canary's provisioning)
further back than that range are read by no poll, and their latency is not drawn.

The test that this is exact: with latency that is constant (median = p99: nothing is drawn
for it, so both ways consume the same random streams) the replications are the same bit for
bit, drawing latency in every minute before the last poll or only within reach, for scenarios
whose latency alarm breaches in the minutes that are skipped (a fault that starts in a gap)."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from guardsim.batch import engine
from guardsim.batch.engine import run_batch_columns
from guardsim.scenarios import check_scenario_dict, load_scenario
from guardsim.scenarios.scenario import Scenario

ROLLING = {
    "RollingUpdatePolicy": {
        "MaximumBatchSize": {"Type": "INSTANCE_COUNT", "Value": 1},
        "WaitIntervalInSeconds": 300,
    },
    "AutoRollbackConfiguration": {
        "Alarms": [
            {"AlarmName": "TEST-DEMO-Deployment-Guardrails-Canary-5XX-Errors"},
            {"AlarmName": "TEST-DEMO-Deployment-Guardrails-Canary-Model-Latency"},
        ]
    },
}


def _constant(data: dict[str, Any]) -> None:
    """Every model's latency constant at its median: no draw."""
    for model in data["models"].values():
        for key in ("latency", "overhead_latency"):
            if key in model:
                model[key]["p99_ms"] = model[key]["median_ms"]


def _build(name: str, edit: Any = None) -> Scenario:
    data = copy.deepcopy(load_scenario(name).to_dict())
    _constant(data)
    if edit is not None:
        edit(data)
    result = check_scenario_dict(data, source="<read reach>")
    assert result.scenario is not None, result.errors
    return result.scenario


def _rolling_slowed(after: float, treat: str, periods: int = 1) -> Any:
    """The seed canary as a rolling update of 1-instance batches, the new model's latency
    x 4 from ``after`` (constant 3 ms -> 12 ms): the endpoint's Average crosses the latency
    alarm's 10 ms once enough batches run the new model (``periods`` of ``periods`` minutes)."""

    def edit(data: dict[str, Any]) -> None:
        data["deployment_config"] = copy.deepcopy(ROLLING)
        data["deployment_config"]["RollingUpdatePolicy"]["MaximumExecutionTimeoutInSeconds"] = 7200
        data["alarms"][1]["TreatMissingData"] = treat
        data["alarms"][1].update(EvaluationPeriods=periods, DatapointsToAlarm=periods)
        data["models"]["green"]["faults"] = [
            {"kind": "latency", "after_seconds": after, "multiplier": 4.0}
        ]

    return edit


def _daily(data: dict[str, Any]) -> None:
    """Evenly spaced arrivals under the daily profile (a lattice whose phase is carried from
    minute to minute, and laid through the skipped warm-up)."""
    data["traffic"].update(arrivals="uniform", profile="daily")


CASES = {
    "rolling-batch-rollback": lambda: _build("rolling-batch-rollback"),
    "rolling-batch-rollback, uniform daily": lambda: _build("rolling-batch-rollback", _daily),
    "seed-canary-rollback": lambda: _build("seed-canary-rollback"),
    "seed-linear-rollback": lambda: _build("seed-linear-rollback"),
    # the fault starts during the first batch's termination or the second's provisioning
    "rolling, slowed from 700 s": lambda: _build(
        "seed-canary-rollback", _rolling_slowed(700.0, "notBreaching")
    ),
    "rolling, slowed from 900 s, missing": lambda: _build(
        "seed-canary-rollback", _rolling_slowed(900.0, "missing")
    ),
    # a 3-minute range: the first polls of a bake read the three minutes before it
    "rolling, slowed from 700 s, 3 of 3": lambda: _build(
        "seed-canary-rollback", _rolling_slowed(700.0, "notBreaching", periods=3)
    ),
}


def _run(scenario: Scenario, monkeypatch: pytest.MonkeyPatch, reach: bool) -> tuple[Any, int]:
    """The replications, and how many (replication, minute) pairs had latency drawn."""
    read = 0
    original = engine._Block._read_minutes

    def counted(self: Any, last_read: Any) -> Any:
        nonlocal read
        out = original(self, last_read)
        read += int(out.sum())
        return out

    monkeypatch.setattr(engine, "READ_REACH", reach)
    monkeypatch.setattr(engine._Block, "_read_minutes", counted)
    return run_batch_columns(scenario, seed=5, start=0, stop=700), read


@pytest.mark.parametrize("label", list(CASES))
def test_latency_within_reach_gives_the_same_replications(
    label: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    scenario = CASES[label]()
    on, read_on = _run(scenario, monkeypatch, True)
    off, read_off = _run(scenario, monkeypatch, False)
    assert read_on < read_off, label  # the path is reached: some minutes are not read
    assert np.array_equal(on.outcome, off.outcome), label
    assert on.values.keys() == off.values.keys()
    for key in on.values:
        assert np.array_equal(on.values[key], off.values[key], equal_nan=True), (label, key)
    assert np.array_equal(on.tripped, off.tripped), label


def test_the_rolling_cases_roll_back_in_a_later_batch() -> None:
    """The slowed rolling cases decide something: a share of them rolls back (the fault is
    seen by a later batch's bake, after the minutes of the gap it starts in)."""
    for label in (
        "rolling, slowed from 700 s",
        "rolling, slowed from 900 s, missing",
        "rolling, slowed from 700 s, 3 of 3",
    ):
        cols = run_batch_columns(CASES[label](), seed=5, start=0, stop=200)
        assert (cols.outcome == 1).mean() > 0.5, label


# --------------------------------------------------------------------------- the warm-up's phase


LATENCY_ALARM = 1  # the seed canary's


def _varying(data: dict[str, Any], replay: Path | None) -> None:
    """Evenly spaced arrivals at a varying rate (the daily profile, or a per-minute replay),
    publish delays fixed (they are drawn per simulated minute: skipping minutes would move
    them), a 600 s warm-up, and a latency fault from 240 s that rolls back about a fifth of
    the replications (x 1.8 on the canary against the latency alarm lowered to 5 ms)."""
    data["traffic"]["arrivals"] = "uniform"
    if replay is None:
        data["traffic"]["profile"] = "daily"
    else:
        data["traffic"]["replay_file"] = str(replay)
    data.setdefault("environment", {})["metric_publish_delay_seconds"] = {
        "kind": "fixed",
        "value": 45.0,
    }
    data["simulation"]["warmup_seconds"] = 600.0
    data["alarms"][LATENCY_ALARM]["Threshold"] = 5000.0
    data["models"]["green"]["faults"] = [
        {"kind": "latency", "after_seconds": 240.0, "multiplier": 1.8}
    ]


def _varying_scenario(replay: Path | None) -> Scenario:
    data = copy.deepcopy(load_scenario("seed-canary-success").to_dict())
    _varying(data, replay)
    result = check_scenario_dict(data, source="<warm phase>")
    assert result.scenario is not None, result.errors
    return result.scenario


def _spanned(scenario: Scenario, monkeypatch: pytest.MonkeyPatch, skip: bool) -> tuple[Any, int]:
    """The replications (one block of 300: one piece of pairs, so the draw order is the
    same either way), and how many (replication, minute) pairs were simulated."""
    pairs = 0
    original = engine._Block._pass

    def counted(self: Any, span: Any, read: Any) -> Any:
        nonlocal pairs
        pairs += int(span.sum())
        return original(self, span, read)

    monkeypatch.setattr(engine, "WARM_PHASE", skip)
    monkeypatch.setattr(engine._Block, "_pass", counted)
    return run_batch_columns(scenario, seed=8, start=0, stop=300), pairs


@pytest.mark.parametrize("kind", ["daily", "replay"])
def test_the_warm_up_skipped_gives_the_same_replications(
    kind: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """The warm-up's minutes skipped and the lattice's phase laid through them
    (``_Block._warm_phase``), or simulated: the same replications bit for bit (the arrivals,
    hence every count, follow the phase; the latency draws are of the same pairs in the same
    order)."""
    replay = None
    if kind == "replay":
        replay = tmp_path / "replay.csv"
        replay.write_text("count\n" + "".join(f"{50 + (k * 13) % 29}\n" for k in range(240)))
    scenario = _varying_scenario(replay)
    on, pairs_on = _spanned(scenario, monkeypatch, True)
    off, pairs_off = _spanned(scenario, monkeypatch, False)
    assert pairs_on < pairs_off, kind  # the warm-up is skipped
    assert 0 < (on.outcome == 1).sum() < len(on.outcome), kind  # the fault decides some
    assert np.array_equal(on.outcome, off.outcome), kind
    for key in on.values:
        assert np.array_equal(on.values[key], off.values[key], equal_nan=True), (kind, key)
    assert np.array_equal(on.tripped, off.tripped), kind
