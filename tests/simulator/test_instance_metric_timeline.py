"""Exact timeline: a CPUUtilization alarm trips under a load-dependent latency fault.

The ALL_AT_ONCE built-in with every duration fixed (tests/simulator/test_timelines.py's
settings), evenly spaced arrivals at 20 requests/s, a constant 12 ms ModelLatency (median =
p99) and no per-instance noise, so every minute's CPUUtilization follows from the load model by
hand (guardsim.model.instance_metrics): busy requests per instance = requests x latency /
(60 s x 2 instances); CPUUtilization = 5 (idle) + 100 x busy.

* 0: UpdateEndpoint; 240: the green fleet (2 x ml.c5.xlarge, 4 vCPUs) is ready; 250: all
  traffic on green, FinalBake (TerminationWaitInSeconds 600) polled every 30 s from 250;
* minute [240, 300): 1000 requests (from 250) -> busy 0.1 -> CPU 15;
* minute [300, 360): 1200 requests -> busy 0.12 -> CPU 17;
* at 360 the latency fault (x 10: 120 ms) starts: minute [360, 420): busy 1.2 -> CPU 125;
* that minute is published at 480 (60 s delay); the alarm (Average >= 100, 1 of 1) goes to
  ALARM at the evaluation at 480; SageMaker's next poll, at 490, rolls back.

The same scenario without the fault succeeds: the CPU rises only through the load.
"""

from __future__ import annotations

from typing import Any

import pytest
from test_timelines import DETERMINISTIC, timeline

from guardsim.batch.engine import run_batch
from guardsim.scenarios import check_scenario_dict, load_scenario
from guardsim.scenarios.scenario import Scenario
from guardsim.simulator import simulate

ALARM = "fraud-scorer-v42-cpu"


def _scenario(fault: bool) -> Scenario:
    data: dict[str, Any] = load_scenario("all-at-once-final-bake").to_dict()
    data["environment"].update(DETERMINISTIC)
    data["traffic"] = {"rate_per_second": 20, "arrivals": "uniform"}
    for fleet in ("blue", "green"):
        data["models"][fleet] = {
            "latency": {"median_ms": 12, "p99_ms": 12},
            "instance_metrics": {"noise_sd_percent": 0.0},
        }
    if fault:
        data["models"]["green"]["faults"] = [
            {"kind": "latency", "multiplier": 10.0, "after_seconds": 360}
        ]
    data["alarms"] = [
        {
            "AlarmName": ALARM,
            "Namespace": "/aws/sagemaker/Endpoints",
            "MetricName": "CPUUtilization",
            "Statistic": "Average",
            "Dimensions": [
                {"Name": "EndpointName", "Value": "fraud-scorer"},
                {"Name": "VariantName", "Value": "AllTraffic"},
                {"Name": "EndpointConfigName", "Value": "fraud-scorer-v42"},
            ],
            "Period": 60,
            "EvaluationPeriods": 1,
            "Threshold": 100,
            "ComparisonOperator": "GreaterThanOrEqualToThreshold",
            "TreatMissingData": "notBreaching",
        }
    ]
    data["deployment_config"]["AutoRollbackConfiguration"] = {"Alarms": [{"AlarmName": ALARM}]}
    result = check_scenario_dict(data)
    assert result.errors == (), result.errors
    assert result.scenario is not None
    return result.scenario


@pytest.mark.parametrize("mode", ["exact", "fast"])
def test_cpu_alarm_trips_under_a_load_dependent_latency_fault(mode: str) -> None:
    record = simulate(_scenario(fault=True), mode=mode)
    assert timeline(record) == [
        (0.0, "InService", "Creating"),
        (240.0, "Creating", "ActivatingTraffic"),
        (250.0, "ActivatingTraffic", "FinalBake"),
        (490.0, "FinalBake", "RollingBack"),
        (505.0, "RollingBack", "RollbackDeleting"),
        (565.0, "RollbackDeleting", "InService"),
    ]
    values = {e["t"]: e["value"] for e in record.alarm_evaluations if e["value"] is not None}
    # minute [240, 300) is published at 360, [300, 360) at 420, [360, 420) at 480
    assert values[360.0] == pytest.approx(15.0)
    assert values[420.0] == pytest.approx(17.0)
    assert values[480.0] == pytest.approx(125.0)
    changes = [(h["t"], h["to"]) for h in record.alarm_history if h["alarm"] == ALARM]
    # ALARM at 480; OK again at 600, once the rolled-back minute [480, 540) shows 500
    # requests at 120 ms (busy 0.5, CPU 55)
    assert changes[-2:] == [(480.0, "ALARM"), (600.0, "OK")]
    assert values[600.0] == pytest.approx(55.0)
    assert record.summary.detected_at_seconds == 490.0


def test_the_batch_engine_has_the_same_timeline() -> None:
    rows = run_batch(_scenario(fault=True), seed=0, start=0, stop=4)
    for _, outcome, summary in rows:
        assert outcome == "ROLLED_BACK"
        assert summary.detected_at_seconds == 490.0
        assert summary.tripped_alarms == (ALARM,)


@pytest.mark.parametrize("mode", ["exact", "fast"])
def test_without_the_fault_the_cpu_stays_low_and_the_update_succeeds(mode: str) -> None:
    record = simulate(_scenario(fault=False), mode=mode)
    assert record.outcome == "SUCCEEDED"
    values = [e["value"] for e in record.alarm_evaluations if e["value"] is not None]
    assert max(values) == pytest.approx(17.0)
