"""Alarms on instance and custom metrics get their panels: the datapoints they read, from the
record."""

from __future__ import annotations

import sys
from pathlib import Path

from guardsim.reports.run import run_figure
from guardsim.reports.series import alarm_series
from guardsim.scenarios import check_scenario_dict
from guardsim.simulator import simulate

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "simulator"))
from test_instance_metric_timeline import ALARM, _scenario


def test_the_cpu_alarm_panel_shows_what_the_alarm_read() -> None:
    record = simulate(_scenario(fault=True), mode="exact")
    # the load model's values of the exact timeline (tests/simulator), minute by minute
    expected = [15.0, 17.0, 125.0, 125.0, 55.0]
    (alarm,) = record.scenario_definition["alarms"]
    got = alarm_series(record, alarm)
    assert got.unit == "%" and got.note is None
    assert [round(v, 9) for v in got.series.value] == expected
    (trace,) = [
        t
        for t in run_figure(record).data
        if t.meta["kind"] == "alarm-datapoints" and t.meta["alarm"] == ALARM
    ]
    assert [round(y, 9) for y in trace.y if y is not None] == expected


def test_the_invocation_namespace_holds_no_cpu_series() -> None:
    record = simulate(_scenario(fault=True), mode="fast")
    (alarm,) = record.scenario_definition["alarms"]
    got = alarm_series(record, {**alarm, "Namespace": "AWS/SageMaker"})
    assert got.series.value == () and got.note is not None and "sees no data" in got.note


def test_a_custom_metric_alarm_panel_shows_its_datapoints() -> None:
    data = _scenario(fault=False).to_dict()
    dims = [{"Name": "Model", "Value": "v42"}]
    data["models"]["green"]["custom_metrics"] = [
        {"namespace": "MyApp", "metric_name": "Served", "dimensions": dims, "value": "constant"}
    ]
    data["alarms"][0].update(Namespace="MyApp", MetricName="Served", Dimensions=dims)
    data["alarms"][0].update(Statistic="Sum", Threshold=1e9)
    result = check_scenario_dict(data)
    assert result.scenario is not None, result.errors
    record = simulate(result.scenario, mode="exact")
    (alarm,) = record.scenario_definition["alarms"]
    got = alarm_series(record, alarm)
    assert got.note is None
    # Sum of 1 per request on the new fleet: its requests, minute by minute (20 per second
    # from 250 s: 1000, then 1200 a minute)
    assert list(got.series.value[:3]) == [1000.0, 1200.0, 1200.0]
