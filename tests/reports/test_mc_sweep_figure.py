"""The Monte Carlo and sweep figures are pure functions of small in-memory results and tables."""

from __future__ import annotations

import json
import math
from typing import Any

import numpy as np
import pandas as pd
import pytest

from guardsim.errors import ReportError
from guardsim.montecarlo.monte_carlo import (
    QUANTILE_METRICS,
    SUMMARY_COLUMNS,
    MonteCarloResult,
    monte_carlo,
    summarize,
    wilson_interval,
)
from guardsim.montecarlo.recommend import recommend
from guardsim.reports.html import Html
from guardsim.reports.montecarlo import (
    MC_PANELS,
    example_source,
    is_healthy,
    mc_figure,
    mc_report,
    representative_records,
    representative_runs,
)
from guardsim.reports.sweep import default_axes, sweep_figure
from guardsim.scenarios.loading import load_scenario

ALARMS = ("errors", "latency")


def by_uid(fig: Any) -> dict[str, Any]:
    return {t.uid: t for t in fig.data}


def tiny_result(
    detected: list[float | None], outcomes: list[str], trips: list[tuple[str, ...]]
) -> MonteCarloResult:
    """A hand-made Monte Carlo result: no simulation."""
    n = len(outcomes)
    runs = pd.DataFrame(
        {
            "replication": np.arange(n, dtype=np.int64),
            "seed": np.full(n, 7, dtype=np.int64),
            "outcome": outcomes,
            "rolled_back": [o == "ROLLED_BACK" for o in outcomes],
            "succeeded": [o == "SUCCEEDED" for o in outcomes],
            "failed": [o == "FAILED" for o in outcomes],
            "detected_at_seconds": [np.nan if d is None else d for d in detected],
            **{m: np.arange(n, dtype=np.float64) * 10.0 + 60.0 for m in QUANTILE_METRICS[1:]},
            **{f"tripped[{a}]": [a in t for t in trips] for a in ALARMS},
        }
    )
    scenario = load_scenario("seed-canary-success")
    return MonteCarloResult(scenario, 7, "fast", runs, summarize(runs, ALARMS))


def test_mc_figure_draws_the_runs_table() -> None:
    result = tiny_result(
        [120.0, None, 300.0, 90.0],
        ["ROLLED_BACK", "SUCCEEDED", "ROLLED_BACK", "FAILED"],
        [("latency",), (), ("errors", "latency"), ("errors",)],
    )
    fig = mc_figure(result)
    traces = by_uid(fig)
    assert set(traces) == {
        "detected-hist",
        "green-errors-hist",
        "deployment-hist",
        "outcomes",
        "alarm-trips",
    }
    assert fig.layout.meta["panels"] == [pid for pid, _ in MC_PANELS]
    assert all(t.meta["panel"] in fig.layout.meta["panels"] for t in fig.data)
    # detection over the runs that detected, in minutes; the others over every run
    assert list(traces["detected-hist"].x) == [2.0, 5.0, 1.5]
    assert list(traces["green-errors-hist"].x) == [60.0, 70.0, 80.0, 90.0]
    assert list(traces["deployment-hist"].x) == [1.0, 70 / 60, 80 / 60, 1.5]
    # outcome probabilities with their Wilson intervals as asymmetric error bars
    outcomes = traces["outcomes"]
    assert list(outcomes.x) == ["rolled back", "failed", "succeeded"]
    assert list(outcomes.y) == [0.5, 0.25, 0.25]
    low, high = wilson_interval(2, 4)
    assert outcomes.error_y.array[0] == pytest.approx(high - 0.5)
    assert outcomes.error_y.arrayminus[0] == pytest.approx(0.5 - low)
    assert (low, high) == result.summary.p_rollback_ci
    trips = traces["alarm-trips"]
    assert list(trips.x) == list(ALARMS)
    assert list(trips.y) == [0.5, 0.5]
    json.loads(fig.to_json())  # serialisable as it is written out


def test_mc_figure_with_no_detection_and_no_alarms() -> None:
    result = tiny_result([None, None], ["SUCCEEDED", "SUCCEEDED"], [(), ()])
    fig = mc_figure(result)
    assert len(by_uid(fig)["detected-hist"].x) == 0
    assert "0 of 2 runs detected" in fig.layout.annotations[0].text


def test_representative_runs_pick_fastest_slowest_and_a_false_rollback() -> None:
    result = tiny_result(
        [120.0, None, 300.0, 90.0],
        ["ROLLED_BACK", "SUCCEEDED", "ROLLED_BACK", "FAILED"],
        [("latency",), (), ("latency",), ("errors",)],
    )
    picks = representative_runs(result, healthy=True)
    assert [(p.kind, p.replication) for p in picks] == [
        ("fastest-detection", 3),
        ("slowest-detection", 2),
        ("false-rollback", 0),
    ]
    unhealthy = representative_runs(result, healthy=False)
    assert [p.kind for p in unhealthy] == ["fastest-detection", "slowest-detection"]
    # a single detection is both the fastest and the slowest: drawn once
    one = tiny_result([None, 50.0], ["SUCCEEDED", "ROLLED_BACK"], [(), ("errors",)])
    assert [p.kind for p in representative_runs(one, healthy=False)] == ["fastest-detection"]
    # nothing detected, nothing rolled back: the first run, as a typical one
    none = tiny_result([None, None], ["SUCCEEDED", "SUCCEEDED"], [(), ()])
    assert [(p.kind, p.replication) for p in representative_runs(none, healthy=True)] == [
        ("first-run", 0)
    ]


def test_healthy_means_identical_models() -> None:
    assert is_healthy(load_scenario("seed-canary-success"))
    assert not is_healthy(load_scenario("seed-canary-rollback"))


def test_representative_runs_re_simulate_their_rows_exactly() -> None:
    result = monte_carlo(load_scenario("seed-canary-rollback"), 6, seed=3, mode="fast", workers=1)
    picks = representative_runs(result, healthy=False)
    for pick, record in representative_records(result, picks):
        row = result.runs.iloc[pick.replication]
        assert record.outcome == row["outcome"]
        assert record.summary.detected_at_seconds == row["detected_at_seconds"]
        assert record.summary.green_errors == row["green_errors"]
        assert record.datapoints["metric"], "detail=True: the per-minute datapoints are there"
    sections = mc_report(result)
    assert isinstance(sections[0], Html)
    assert len(sections) == 2 + 2 * len(picks)
    figures = sections[3::2]
    assert [f.layout.meta["representative"] for f in figures] == [p.kind for p in picks]


def test_a_batch_result_draws_its_examples_from_fast_mode_and_says_so() -> None:
    """Batch rows cannot be re-simulated one by one: the examples come from a companion
    fast-mode Monte Carlo (same base seed), whose rows they reproduce, and the header says so."""
    scenario = load_scenario("seed-canary-rollback")
    result = monte_carlo(scenario, 30, seed=3, workers=1)
    assert result.mode == "batch"
    examples = example_source(result)
    assert examples.mode == "fast" and examples.summary.n == 30
    assert examples.to_json() == monte_carlo(scenario, 30, seed=3, mode="fast", workers=1).to_json()
    sections = mc_report(result)
    assert isinstance(sections[0], Html) and isinstance(sections[2], Html)
    header = sections[0].markup
    assert "batch mode" in header and "30 fast-mode replications" in header
    picks = representative_runs(examples, healthy=False)
    figures = sections[3::2]
    assert [f.layout.meta["representative"] for f in figures] == [p.kind for p in picks]
    first = examples.runs.iloc[picks[0].replication]
    label = sections[2].markup
    assert f"replication {picks[0].replication}" in label
    assert first["detected_at_seconds"] == min(examples.runs["detected_at_seconds"])


# --------------------------------------------------------------------------- sweep

X, Y, FAULT = "wait", "threshold", "models.green.error_rate_5xx"


def tiny_table(*, fault: bool = True) -> pd.DataFrame:
    """A 2x2 guardrail grid (x bad/healthy): summary columns made up, no simulation."""
    rows = []
    for k, (wait, threshold, rate) in enumerate(
        (w, t, r)
        for w in (60, 300)
        for t in (0.01, 0.05)
        for r in ((0.05, 0.0) if fault else (0.05,))
    ):
        row: dict[str, Any] = {c: 0.0 for c in SUMMARY_COLUMNS}
        bad = rate > 0
        row.update(
            {
                X: wait,
                Y: threshold,
                FAULT: rate,
                "n": 20,
                "p_rollback": (0.9 if threshold == 0.01 else 0.6)
                if bad
                else (0.3 if threshold == 0.01 else 0.0),
                "p_rollback_low": 0.0,
                "p_rollback_high": 0.5,
                "green_errors_mean": (wait / 6.0) * (1 if threshold == 0.01 else 2) if bad else 0.0,
                "deployment_seconds_mean": 500.0 + wait,
                "config_key": f"k{k}",
            }
        )
        rows.append(row)
    table = pd.DataFrame(rows)
    return table if fault else table.drop(columns=FAULT)


def test_sweep_figure_heatmaps_pareto_and_the_recommendation() -> None:
    table = tiny_table()
    rec = recommend(table, bad={FAULT: 0.05}, healthy={FAULT: 0}, max_false_rollback=0.1)
    assert rec.best is not None and (rec.best[X], rec.best[Y]) == (60, 0.05)
    fig = sweep_figure(table, x=X, y=Y, recommendation=rec)
    traces = by_uid(fig)
    panels = ["rollback", "false-rollback", "blast-radius"]
    assert fig.layout.meta["panels"] == [*panels, "pareto"]
    assert set(traces) == {
        *(f"heatmap-{p}" for p in panels),
        *(f"recommended-{p}" for p in panels),
        "pareto-all",
        "pareto-front",
        "recommended",
    }
    rollback = traces["heatmap-rollback"]
    assert list(rollback.x) == ["60", "300"] and list(rollback.y) == ["0.01", "0.05"]
    # rows of z are y values, columns x values
    assert [list(r) for r in rollback.z] == [[0.9, 0.9], [0.6, 0.6]]
    assert [list(r) for r in traces["heatmap-false-rollback"].z] == [[0.3, 0.3], [0.0, 0.0]]
    assert [list(r) for r in traces["heatmap-blast-radius"].z] == [[10.0, 50.0], [20.0, 100.0]]
    star = traces["recommended-rollback"]
    assert (list(star.x), list(star.y)) == (["60"], ["0.05"])
    front = traces["pareto-front"]
    assert len(front.x) == len(rec.pareto)
    assert (traces["recommended"].x[0], traces["recommended"].y[0]) == (560 / 60, 20.0)
    assert any(
        a.text.startswith("recommended: wait=60, threshold=0.05") for a in fig.layout.annotations
    )
    assert fig.layout.meta["recommended"] == {X: "60", Y: "0.05"}


def test_sweep_figure_without_a_recommendation_still_draws_the_front() -> None:
    fig = sweep_figure(tiny_table(), x=X, y=Y, bad={FAULT: 0.05}, healthy={FAULT: 0.0})
    traces = by_uid(fig)
    assert "pareto-front" in traces and "recommended" not in traces
    assert not any(uid.startswith("recommended") for uid in traces)


def test_one_model_sweep_figure() -> None:
    table = tiny_table(fault=False)
    assert default_axes(table) == (X, Y)
    fig = sweep_figure(table, x=X, y=Y)
    traces = by_uid(fig)
    assert set(traces) == {"heatmap-p-rollback", "heatmap-blast-radius", "heatmap-duration"}
    assert [list(r) for r in traces["heatmap-duration"].z] == [[560 / 60, 800 / 60]] * 2
    one_axis = sweep_figure(table[table[Y] == 0.01], x=X)
    assert [list(r) for r in by_uid(one_axis)["heatmap-p-rollback"].z] == [[0.9, 0.9]]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"x": "nope", "y": Y}, "'nope' is not a column"),
        ({"x": X, "y": X}, "the same column"),
        ({"x": X, "y": FAULT, "bad": {FAULT: 0.05}, "healthy": {FAULT: 0}}, "fault"),
        ({"x": X}, "not on an axis: threshold"),
        ({"x": X, "y": Y, "bad": {FAULT: 0.05}}, "both bad and healthy"),
    ],
)
def test_sweep_figure_refuses_what_it_cannot_draw(kwargs: dict[str, Any], message: str) -> None:
    table = tiny_table()
    if "bad" not in kwargs and kwargs.get("y") != FAULT and kwargs["x"] != "nope":
        table = table[table[FAULT] == 0.05]
        table = table.drop(columns=FAULT)
    with pytest.raises(ReportError, match=message):
        sweep_figure(table, **kwargs)


def test_missing_cells_are_blank() -> None:
    table = tiny_table(fault=False).iloc[:3]
    z = by_uid(sweep_figure(table, x=X, y=Y))["heatmap-p-rollback"].z
    assert z[1][1] is None or (isinstance(z[1][1], float) and math.isnan(z[1][1]))
