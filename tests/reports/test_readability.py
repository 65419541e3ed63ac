"""Reports that read at a glance, checked without a browser: event labels placed on rows that
keep them apart, sweep axes that name their setting (with units), numbers printed with enough
digits to compare, the recommended cell marked without covering its value, and comparison
tables that keep to their columns. The browser tests check the same on rendered pages."""

from __future__ import annotations

import html
from typing import Any

import pandas as pd
import pytest

from guardsim.montecarlo.monte_carlo import SUMMARY_COLUMNS
from guardsim.montecarlo.recommend import recommend
from guardsim.record import RunRecord
from guardsim.reports.run import (
    LABEL_MIN_PLOT_PX,
    EventLabel,
    event_labels,
    run_figure,
    stagger_labels,
)
from guardsim.reports.series import time_span
from guardsim.reports.sweep import (
    percent,
    percent_ticks,
    setting_title,
    sweep_figure,
    sweep_header,
)
from guardsim.scenarios.loading import load_scenario

TRAFFIC = "deployment_config.BlueGreenUpdatePolicy.TrafficRoutingConfiguration"
CANARY = f"{TRAFFIC}.CanarySize.Value"
WAIT = f"{TRAFFIC}.WaitIntervalInSeconds"
FAULT = "models.green.error_rate_5xx"


# --------------------------------------------------------------------------- event labels


def label(x: float, text: str) -> EventLabel:
    return EventLabel(t=x, x=x, text=text, rollback=False)


def test_labels_far_apart_share_the_first_row() -> None:
    labels = [label(0.1, "UpdateEndpoint"), label(0.5, "detected"), label(0.9, "done")]
    assert stagger_labels(labels) == [0, 0, 0]


def test_close_labels_go_on_rows_of_their_own() -> None:
    # a rollback: detection, the end of the rollback and the end a few pixels apart
    labels = [
        label(0.30, "UpdateEndpoint"),
        label(0.772, "detected · rollback started"),
        label(0.779, "rollback ended"),
        label(0.81, "done"),
    ]
    assert stagger_labels(labels) == [0, 0, 1, 2]


def test_labels_on_one_row_keep_their_distance_at_any_wider_plot(
    canary_record: RunRecord,
) -> None:
    """Every pair on one row is apart by at least the sum of their half widths (at the widest
    a character can be) at the narrowest plot; a wider plot only moves them further apart."""
    spread = [label(k / 9, text) for k, text in enumerate(["UpdateEndpoint", "done"] * 5)]
    start, end = time_span(canary_record)
    for labels in (event_labels(canary_record, start, end), spread):
        rows = stagger_labels(labels)
        for width in (LABEL_MIN_PLOT_PX, 2 * LABEL_MIN_PLOT_PX):
            for i, a in enumerate(labels):
                for j in range(i + 1, len(labels)):
                    b = labels[j]
                    if rows[i] != rows[j]:
                        continue
                    half = (len(a.text) + len(b.text)) * 6.5 / 2
                    assert abs(a.x - b.x) * width >= half, (a.text, b.text, width)


def test_the_run_figure_makes_room_for_more_label_rows(canary_record: RunRecord) -> None:
    figure = run_figure(canary_record)
    names = [a.name for a in figure.layout.annotations]
    start, end = time_span(canary_record)
    labels = event_labels(canary_record, start, end)
    assert names.count("event-label") == len(labels) == 4
    shifts = sorted({a.yshift for a in figure.layout.annotations if a.name == "event-label"})
    assert len(shifts) == max(stagger_labels(labels)) + 1  # one height per row
    assert figure.layout.margin.t >= max(shifts) + 12  # the highest row is inside the figure


# --------------------------------------------------------------------------- sweep report


def test_setting_titles_name_the_setting_with_its_unit() -> None:
    table = pd.DataFrame({CANARY: [1, 2], WAIT: [60, 300]})
    assert setting_title(WAIT, table) == "WaitIntervalInSeconds (seconds)"
    assert setting_title("alarms[1].Threshold", table) == "alarms[1].Threshold"
    assert setting_title(FAULT, table) == "error_rate_5xx (fraction of requests)"
    # a CapacitySize.Value is read per its Type: from the scenario, or from the table
    assert setting_title(CANARY, table).startswith("CanarySize (instances or %")
    scenario = load_scenario("seed-canary-rollback")
    kind = scenario.to_dict()["deployment_config"]["BlueGreenUpdatePolicy"][
        "TrafficRoutingConfiguration"
    ]["CanarySize"]["Type"]
    expected = {"INSTANCE_COUNT": "instances", "CAPACITY_PERCENT": "% of instances"}[kind]
    assert setting_title(CANARY, table, scenario) == f"CanarySize ({expected})"
    swept = table.assign(**{f"{TRAFFIC}.CanarySize.Type": "CAPACITY_PERCENT"})
    assert setting_title(CANARY, swept) == "CanarySize (% of instances)"


@pytest.mark.parametrize(
    ("value", "against", "text"),
    [
        (0.0095, [0.01], "0.95%"),  # not "1.0%": that would read as a tie with the limit
        (0.0099, [0.01], "0.99%"),
        (0.0005, [], "0.050%"),  # two significant digits
        (0.01, [0.01], "1.0%"),  # equal to the limit: no more digits needed
        (0.123, [], "12.3%"),
        (0.0, [0.0095], "0.0%"),
        (0.10001, [0.1], "10.001%"),
    ],
)
def test_percent_has_the_digits_to_compare(value: float, against: list[float], text: str) -> None:
    assert percent(value, against=against) == text


@pytest.mark.parametrize("top", [0.01, 0.003, 0.05, 0.12, 0.5, 1.0, 0.0007])
def test_percent_ticks_are_distinct_and_within_the_scale(top: float) -> None:
    values, texts = percent_ticks(top)
    assert len(values) >= 3
    assert values[0] == 0 and max(values) <= top * (1 + 1e-9)
    assert len(set(texts)) == len(texts), texts


def table_with_small_false_rollback() -> pd.DataFrame:
    rows = []
    for wait in (60, 300):
        for rate in (0.05, 0.0):
            row: dict[str, Any] = {c: 0.0 for c in SUMMARY_COLUMNS}
            row.update(
                {
                    WAIT: wait,
                    FAULT: rate,
                    "n": 1000,
                    "p_rollback": 0.9 if rate else (0.0 if wait == 60 else 0.004),
                    "p_rollback_low": 0.0,
                    "p_rollback_high": 0.0095 if rate == 0 else 0.95,
                    "green_errors_mean": wait / 6.0 if rate else 0.0,
                    "deployment_seconds_mean": 500.0 + wait,
                    "config_key": f"{wait}-{rate}",
                }
            )
            rows.append(row)
    return pd.DataFrame(rows)


def test_sweep_marks_the_recommended_cell_with_an_outline_and_digits_that_compare() -> None:
    table = table_with_small_false_rollback()
    rec = recommend(
        table, bad={FAULT: 0.05}, healthy={FAULT: 0}, max_false_rollback=0.01, conservative=True
    )
    assert rec.best is not None
    figure = sweep_figure(table, x=WAIT, recommendation=rec)
    marks = [t for t in figure.data if t.uid.startswith("recommended-")]
    assert marks and all(t.marker.symbol.endswith("-open") for t in marks)  # the value shows
    assert figure.layout.xaxis.title.text == "WaitIntervalInSeconds (seconds)"
    header = sweep_header(table, rec).markup
    assert 'id="guardsim-recommendation"' in header and "<pre" not in header.split("<details>")[0]
    assert "Recommended: <b>WaitIntervalInSeconds (seconds) = " in header
    # the upper bound 0.95% next to the 1% limit, not "1.0%"
    assert "to 0.95%" in header and "at most 1.0%" in header
    front = next(t for t in figure.data if t.uid == "pareto-front")
    ticks = list(front.marker.colorbar.ticktext)
    assert len(set(ticks)) == len(ticks)


def test_sweep_header_states_every_limit_and_warning_of_the_recommendation() -> None:
    """--min-catch and the recommendation's warnings reach the report, as recommend prints them."""
    table = table_with_small_false_rollback()
    rec = recommend(
        table, bad={FAULT: 0.05}, healthy={FAULT: 0}, max_false_rollback=0.01, min_catch=0.5
    )
    header = sweep_header(table, rec).markup.split("<details>")[0]
    assert "the bad model rolled back with probability at least 50" in header, header
    assert "(lower 95% bound)" in header
    for warning in rec.warnings:
        assert f"Warning: {html.escape(warning, quote=False)}" in header


# --------------------------------------------------------------------------- compare report


def test_compare_labels_point_away_from_each_other_and_tables_keep_their_columns() -> None:
    from guardsim.compare.comparison import compare_records
    from guardsim.compare.report import comparison_figure, comparison_header
    from guardsim.simulator import simulate

    scenario = load_scenario("seed-canary-rollback")
    late, early = simulate(scenario, seed=1, mode="fast"), simulate(scenario, seed=2, mode="fast")
    for predicted, real in ((late, early), (early, late)):
        c = compare_records(predicted, real)
        figure = comparison_figure(c)
        panels: dict[str, list[Any]] = {}
        for a in figure.layout.annotations:
            if a.name == "event-label":
                panels.setdefault(a.yref, []).append(a)
        assert panels
        for ends in panels.values():
            # the earlier end's label left of its line, the later one's right of its own
            ends.sort(key=lambda a: a.x)
            assert [a.xanchor for a in ends] == ["right", "left"], [a.text for a in ends]
        page = comparison_header(c).markup
        assert '<div class="scroll"><table class="grid">' in page
