"""The run report's composite panels: one per composite alarm, a lane for it and each child,
whose bands are exactly the alarms' recorded states."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "simulator"))

from test_composite_timeline import E5, LAT, RULE, _scenario

from guardsim.reports import run_figure
from guardsim.reports.series import alarm_state_intervals, time_span
from guardsim.simulator import simulate


def test_a_composite_has_a_panel_with_its_children() -> None:
    record = simulate(_scenario(), mode="fast")
    fig = run_figure(record)
    titles = [a.text for a in fig.layout.annotations]
    assert any("Composite alarm errors-and-latency" in t for t in titles)
    lanes = [t for t in fig.data if (t.meta or {}).get("panel") == "composite1"]
    assert {t.meta["alarm"] for t in lanes} == {"errors-and-latency", E5, LAT}
    assert {t.meta["kind"] for t in lanes if t.meta["alarm"] == "errors-and-latency"} == {
        "composite-state"
    }
    # the metric alarms keep their own panels; the composite has none of the metric kind
    assert not any(
        (t.meta or {}).get("alarm") == "errors-and-latency"
        and (t.meta or {}).get("kind") == "alarm-datapoints"
        for t in fig.data
    )
    # each lane's ALARM bands are the alarm's recorded ALARM intervals, in minutes
    for name in ("errors-and-latency", E5, LAT):
        want = [
            (iv.start / 60.0, iv.end / 60.0)
            for iv in alarm_state_intervals(record, name, *time_span(record))
            if iv.label == "ALARM" and iv.end > iv.start
        ]
        (bars,) = [t for t in lanes if t.meta["alarm"] == name and t.meta["state"] == "ALARM"]
        got = [(x - w / 2, x + w / 2) for x, w in zip(bars.x, bars.width, strict=True)]
        assert [tuple(round(v, 6) for v in p) for p in got] == [
            tuple(round(v, 6) for v in p) for p in want
        ]
    assert RULE in record.scenario_definition["alarms"][-1]["AlarmRule"]
