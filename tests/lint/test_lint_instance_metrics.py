"""Rule instance-metric-load: its numbers are the load model's, and the simulation agrees."""

from __future__ import annotations

import math

from lint_helpers import N, edited, findings, good
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
