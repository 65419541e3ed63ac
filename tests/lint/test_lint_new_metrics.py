"""Lint of alarms on the new metrics: rule instance-metric-load (its numbers are the load
model's, and the simulation agrees), and custom-metric alarms in the evidence."""

from __future__ import annotations

import math

from lint_helpers import Data, N, alarm, edited, findings, good
from test_lint_rules import SEED, cpu_alarm

from guardsim.lint import lint


def test_the_steady_cpu_is_littles_law_and_the_healthy_runs_trip_on_it() -> None:
    (f,) = findings(edited(SEED, good, cpu_alarm(20.0)), "instance-metric-load")
    canary = f.evidence["config"]["steps"][0]
    # 30 requests/s over 3 active instances; the lognormal mean of median 30, p99 60 ms
    sigma = math.log(2.0) / 2.3263478740408408
    mean_ms = 30.0 * math.exp(sigma**2 / 2)
    assert canary["requests_per_second_per_instance"] == 10.0
    assert math.isclose(canary["mean_model_latency_ms"], mean_ms, rel_tol=1e-3)
    assert math.isclose(canary["steady_value_percent"], 5 + 100 * 10 * mean_ms / 1000, rel_tol=1e-3)
    # the simulation (healthy model, N runs) trips the alarm every time: 36 % is far above 20
    assert f.evidence["simulated"]["tripped_this_alarm"] == N


def test_a_threshold_above_the_load_is_left_alone_and_not_tripped_by_a_healthy_model() -> None:
    scenario = edited(SEED, good, cpu_alarm(80.0))
    assert findings(scenario, "instance-metric-load") == []
    result = lint(scenario, replications=N, rules=["false-rollback"])
    (f,) = result.findings
    assert (
        f.evidence["simulated"]["tripped"]["TEST-DEMO-Deployment-Guardrails-Canary-Model-Latency"]
        == 0
    )


def _custom_error_alarm(raw: Data) -> None:
    """The 5XX alarm (on the new fleet) as an alarm on the new model's own error metric."""
    dims = [{"Name": "Model", "Value": "v2"}]
    raw["models"]["green"]["custom_metrics"] = [
        {"namespace": "MyApp", "metric_name": "Errors", "dimensions": dims}
    ]
    alarm(raw, 0).update(Namespace="MyApp", MetricName="Errors", Dimensions=dims)


def test_a_custom_metric_alarm_is_simulated_and_catches_the_failing_model() -> None:
    # the failing and healthy variants keep the new model's instrumentation (its custom metrics)
    scenario = edited(SEED, good, _custom_error_alarm)
    assert findings(scenario, "alarm-blind-to-green") == []
    assert findings(scenario, "exercises-nothing") == []
    (f,) = findings(scenario, "failing-model-rollback")
    assert (
        f.evidence["simulated"]["alone"]["TEST-DEMO-Deployment-Guardrails-Canary-5XX-Errors"] == N
    )
