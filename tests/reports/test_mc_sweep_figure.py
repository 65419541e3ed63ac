"""The Monte Carlo and sweep figures are pure functions of small in-memory results and tables."""

from __future__ import annotations

import json
import math
from typing import Any

import numpy as np
import pandas as pd
import pytest

from guardsim.errors import ReportError
from guardsim.montecarlo.examples import EXAMPLE_SEARCH, example_runs
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
    HISTOGRAMS,
    MC_PANELS,
    ExampleRuns,
    Representative,
    closest_like,
    histogram_ranges,
    is_healthy,
    mc_figure,
    mc_report,
    representative_runs,
)
from guardsim.reports.sweep import default_axes, sweep_figure
from guardsim.scenarios.loading import load_scenario, scenario_from_dict

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


def check_markers_within_histograms(fig: Any, examples: ExampleRuns) -> int:
    """Every example marker lies within the range of the histogram it is drawn on; every
    example has a marker on each histogram it has a value for. Returns the number of markers."""
    traces = by_uid(fig)
    markers = [t for t in fig.data if t.meta and t.meta.get("kind") == "example"]
    for marker in markers:
        hist = traces[marker.meta["histogram"]]
        assert hist.meta["kind"] == "histogram"
        assert marker.meta["panel"] == hist.meta["panel"]
        assert len(marker.x) == 1 and len(hist.x) > 0, marker.uid
        assert min(hist.x) <= marker.x[0] <= max(hist.x), (
            f"{marker.uid} at {marker.x[0]} lies outside its histogram "
            f"[{min(hist.x)}, {max(hist.x)}]"
        )
    expected = {
        f"example-{e.pick.kind}-{h.uid}"
        for e in examples.examples
        for h in HISTOGRAMS
        if getattr(e.record.summary, h.column) is not None
    }
    assert {m.uid for m in markers} == expected
    return len(markers)


def test_representative_runs_re_simulate_their_rows_exactly() -> None:
    result = monte_carlo(load_scenario("seed-canary-rollback"), 6, seed=3, mode="fast", workers=1)
    picks = representative_runs(result, healthy=False)
    examples = example_runs(result)
    assert [e.pick for e in examples.examples] == picks and examples.unmatched == ()
    for example in examples.examples:
        assert (example.replication, example.mode) == (example.pick.replication, "fast")
        record = example.record
        row = result.runs.iloc[example.pick.replication]
        assert record.outcome == row["outcome"]
        assert record.summary.detected_at_seconds == row["detected_at_seconds"]
        assert record.summary.green_errors == row["green_errors"]
        assert record.datapoints["metric"], "detail=True: the per-minute datapoints are there"
    sections = mc_report(result, examples)
    assert isinstance(sections[0], Html)
    assert len(sections) == 2 + 2 * len(picks)
    figures = sections[3::2]
    assert [f.layout.meta["representative"] for f in figures] == [p.kind for p in picks]
    # the report itself simulates nothing: without examples, the figure and no run
    assert len(mc_report(result)) == 2
    assert check_markers_within_histograms(sections[1], examples) == 3 * len(picks)


def test_a_batch_result_draws_fast_mode_runs_like_its_rows_and_says_so() -> None:
    """Batch rows cannot be re-simulated one by one: each target (the fastest detection, ...) is
    taken from the batch runs table, and the run drawn is a fast-mode replication like it whose
    every value lies within the batch histograms; the header and headings say so."""
    scenario = load_scenario("seed-canary-rollback")
    result = monte_carlo(scenario, 60, seed=3, workers=1)
    assert result.mode == "batch"
    picks = representative_runs(result, healthy=False)
    examples = example_runs(result)
    assert examples.searched == EXAMPLE_SEARCH
    assert [e.pick for e in examples.examples] + list(examples.unmatched) == picks
    assert examples.examples, "the fastest detection has a fast-mode run like it"
    fast = monte_carlo(scenario, EXAMPLE_SEARCH, seed=3, mode="fast", workers=1)
    ranges = histogram_ranges(result)
    for example in examples.examples:
        assert example.mode == "fast"
        row = fast.runs.iloc[example.replication]  # the drawn run is that fast-mode row ...
        assert example.record.outcome == row["outcome"]
        assert example.record.summary.detected_at_seconds == row["detected_at_seconds"]
        target = result.runs.iloc[example.pick.replication]  # ... like this batch row
        assert example.record.outcome == target["outcome"]
        for column, bounds in ranges.items():
            value = getattr(example.record.summary, column)
            assert bounds is not None and bounds[0] <= value <= bounds[1], column
        assert f"like replication {example.pick.replication} of the batch run" in example.label
        assert f"fast-mode replication {example.replication}" in example.label
    first = examples.examples[0]
    assert first.pick.kind == "fastest-detection"
    assert first.pick.replication == int(
        result.runs.loc[result.runs["detected_at_seconds"].idxmin(), "replication"]
    )
    sections = mc_report(result, examples)
    header = sections[0].markup if isinstance(sections[0], Html) else ""
    assert "batch mode" in header and f"among {EXAMPLE_SEARCH} fast-mode replications" in header
    figures = sections[3::2]
    assert [f.layout.meta["representative"] for f in figures] == [
        e.pick.kind for e in examples.examples
    ]
    assert isinstance(sections[2], Html) and 'data-mode="fast"' in sections[2].markup
    check_markers_within_histograms(sections[1], examples)


def test_example_markers_lie_within_their_histograms() -> None:
    """The figure data of fast- and batch-mode reports of a rollback and of a healthy canary
    with false rollbacks: every example marker within its histogram's range."""
    data = load_scenario("seed-canary-success").to_dict()
    data["alarms"][1]["Threshold"] = 4000  # just above the healthy latency: false rollbacks
    noisy = scenario_from_dict(data)
    assert noisy is not None
    drawn = 0
    for scenario in (load_scenario("seed-canary-rollback"), noisy):
        for mode in ("fast", "batch"):
            result = monte_carlo(scenario, 40, seed=5, mode=mode, workers=1)
            examples = example_runs(result)
            drawn += check_markers_within_histograms(mc_figure(result, examples.examples), examples)
    assert drawn > 0


def test_closest_like_keeps_to_the_histograms_and_the_outcome() -> None:
    """Pure: the nearest candidate is skipped when one of its values is outside a histogram's
    range or its outcome differs; ties go to the lower replication."""
    batch = tiny_result(
        [300.0, 400.0, None], ["ROLLED_BACK", "ROLLED_BACK", "SUCCEEDED"], [(), (), ()]
    )
    ranges = histogram_ranges(batch)
    assert ranges["detected_at_seconds"] == (300.0, 400.0)
    assert ranges["green_errors"] == (60.0, 80.0)
    candidates = tiny_result(
        [290.0, 300.0, 301.0, 302.0, 302.0, None],
        ["ROLLED_BACK", "FAILED", "ROLLED_BACK", "ROLLED_BACK", "ROLLED_BACK", "ROLLED_BACK"],
        [()] * 6,
    ).runs
    # green_errors of the candidates: 60, 70, ..., 110; row 2 (80) is the last within range
    target = batch.runs.iloc[0]
    # 0: detected before the histogram's minimum; 1: another outcome; 2: the closest that fits
    assert closest_like(candidates, target, ranges, "fastest-detection") == 2
    narrow = {**ranges, "green_errors": (60.0, 75.0)}
    assert closest_like(candidates, target, narrow, "fastest-detection") is None
    # a target that did not detect is like a candidate that did not either
    assert closest_like(candidates, batch.runs.iloc[2], ranges, "first-run") is None
    wide = {**ranges, "green_errors": (0.0, 1000.0), "deployment_seconds": (0.0, 1000.0)}
    assert closest_like(candidates, target, wide, "fastest-detection") == 2
    ties = candidates.assign(green_errors=70.0, deployment_seconds=70.0)
    assert closest_like(ties.iloc[3:5], target, wide, "fastest-detection") == 3


def test_an_unmatched_target_is_named_not_drawn() -> None:
    result = tiny_result([120.0], ["ROLLED_BACK"], [("errors",)])
    pick = Representative("fastest-detection", 0, "Fastest detection: replication 0, at +2:00")
    sections = mc_report(result, ExampleRuns((), (pick,), 200))
    assert len(sections) == 2
    header = sections[0].markup if isinstance(sections[0], Html) else ""
    assert "Not drawn" in header and "Fastest detection: replication 0" in header
    assert not [t for t in mc_figure(result, ()).data if t.meta.get("kind") == "example"]


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
