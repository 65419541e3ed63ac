"""Latency Sums are drawn only where someone reads them.

A latency metric an alarm reads only as an extended statistic (pNN, tmNN, IQM, ...) is drawn
from its kept components (each segment's count, scale and add), never from its Sums; the batch
engine draws a segment's Sum (and statistic set) only for the (fleet, metric) pairs in
``_Prepared.sums_read``: an alarm's Sum, Average, Minimum or Maximum, the fleet's instance
metrics (their load model reads its ModelLatency Sum; ``test_batch_vs_fast_new_metrics.py``
fails if that is dropped) or a custom metric of its latency. The tests: the set holds what the
alarms and metrics read, and a custom metric of the latency gives, in the batch engine, the
rollback frequency fast mode gives (an engine that left its Sums undrawn would give 0).

**The frequency test.** N_FAST fast and N_BATCH batch replications (fixed seeds) of the seed
canary watched by an alarm on the new model's per-request custom latency metric alone
(Average > THRESHOLD_MS, 1 of 1; 3 ms median, 10 ms p99, about 15 canary requests a minute:
about 30 % roll back). Two-sample z-test of the two frequencies at ALPHA = 1e-3. Power: at
p = 0.3 the test tells apart frequencies that differ by more than
z sqrt(0.21 (1/N_FAST + 1/N_BATCH)) = 3.29 x 0.025 = 0.083.
"""

from __future__ import annotations

import copy
import math
from typing import Any

from scipy import stats
from test_fast_vs_exact import _alarm
from test_latency_extremes import rollback_frequencies

from guardsim.batch.engine import _Prepared
from guardsim.scenarios import check_scenario_dict, load_scenario
from guardsim.scenarios.scenario import Scenario

N_FAST, N_BATCH = 400, 2000
ALPHA = 1e-3
THRESHOLD_MS = 4.1
BOTH = {("blue", "ModelLatency"), ("green", "ModelLatency")}


def _with_alarms(
    name: str, *alarms: dict[str, Any], green: dict[str, Any] | None = None
) -> Scenario:
    data = copy.deepcopy(load_scenario(name).to_dict())
    data["alarms"] = list(alarms)
    data["deployment_config"]["AutoRollbackConfiguration"]["Alarms"] = [
        {"AlarmName": a["AlarmName"]} for a in alarms
    ]
    if green:
        data["models"]["green"].update(green)
    result = check_scenario_dict(data, source="<sums read>")
    assert result.scenario is not None, result.errors
    return result.scenario


def _latency_alarm(name: str, **statistic: Any) -> dict[str, Any]:
    """An alarm on the seed canary's endpoint ModelLatency (both fleets)."""
    data = copy.deepcopy(load_scenario("seed-canary-success").to_dict())
    alarm: dict[str, Any] = data["alarms"][1]
    alarm.pop("Statistic")
    alarm.update(AlarmName=name, **statistic)
    return alarm


LATENCY_METRIC = {
    "namespace": "MyApp",
    "metric_name": "Latency",
    "dimensions": [{"Name": "Model", "Value": "v2"}],
    "per": "request",
    "value": "latency_ms",
}


def _custom_latency_alarm() -> dict[str, Any]:
    return {
        "AlarmName": "custom-latency",
        "Namespace": "MyApp",
        "MetricName": "Latency",
        "Dimensions": [{"Name": "Model", "Value": "v2"}],
        "Statistic": "Average",
        "Period": 60,
        "EvaluationPeriods": 1,
        "Threshold": THRESHOLD_MS,
        "ComparisonOperator": "GreaterThanThreshold",
        "TreatMissingData": "notBreaching",
    }


def test_the_engine_draws_the_sums_an_alarm_reads() -> None:
    assert _Prepared(load_scenario("seed-canary-success")).sums_read == BOTH  # Average
    # rolling-batch-rollback: a p99 of the new fleet's ModelLatency only
    assert _Prepared(load_scenario("rolling-batch-rollback")).sums_read == set()
    for statistic in ("Sum", "Minimum", "Maximum", "SampleCount"):
        scenario = _with_alarms(
            "seed-canary-success", _latency_alarm("a", Statistic=statistic, Threshold=1e9)
        )
        expect = set() if statistic == "SampleCount" else BOTH  # a count reads no Sum
        assert _Prepared(scenario).sums_read == expect, statistic
    for extended in ("p99", "tm99", "IQM", "ts90", "wm99", "PR(0:5000)"):
        scenario = _with_alarms(
            "seed-canary-success", _latency_alarm("a", ExtendedStatistic=extended, Threshold=1e9)
        )
        assert _Prepared(scenario).sums_read == set(), extended
    both = _with_alarms(
        "seed-canary-success",
        _latency_alarm("a", ExtendedStatistic="p99", Threshold=1e9),
        _latency_alarm("b", Statistic="Average", Threshold=1e9),
    )
    assert _Prepared(both).sums_read == BOTH


def test_instance_and_custom_metrics_read_the_model_latency_sum() -> None:
    cpu = _alarm("CPUUtilization", {"Statistic": "Maximum"}, 90.0, "GreaterThanThreshold")
    cpu.update(AlarmName="cpu", Namespace="/aws/sagemaker/Endpoints")
    scenario = _with_alarms("seed-canary-success", cpu)
    assert _Prepared(scenario).sums_read == BOTH  # each fleet publishes the instance metric
    custom = _with_alarms(
        "seed-canary-success", _custom_latency_alarm(), green={"custom_metrics": [LATENCY_METRIC]}
    )
    assert _Prepared(custom).sums_read == {("green", "ModelLatency")}


def test_a_custom_latency_metric_rolls_back_as_in_fast_mode() -> None:
    scenario = _with_alarms(
        "seed-canary-success", _custom_latency_alarm(), green={"custom_metrics": [LATENCY_METRIC]}
    )
    p_fast, p_batch, p_value = rollback_frequencies(scenario, N_FAST, N_BATCH, (51, 52))
    assert 0.2 < p_batch < 0.4, p_batch  # the alarm decides something
    assert p_value > ALPHA, (p_fast, p_batch)


def test_the_arithmetic_of_the_docstring() -> None:
    z = float(stats.norm.isf(ALPHA / 2))
    assert round(z, 2) == 3.29
    assert round(math.sqrt(0.21 * (1 / N_FAST + 1 / N_BATCH)), 3) == 0.025
