"""Batch, fast and exact agree on the instance metrics and on the custom metrics.

The method of ``test_batch_vs_fast.py`` (whose helpers this reuses), on one scenario per feature:

* ``cpu``: a canary whose new model is 4 times slower (a latency fault from UpdateEndpoint),
  watched by a CPUUtilization alarm (Maximum over the new fleet's instances >= 132 %, 2 of 2)
  that the canary's load reaches about a third of the time (its expected CPU is about 131 %:
  busy requests = 10 requests/s x 0.126 s, per-instance noise 2 %);
* ``custom``: the new model publishes two custom metrics: per request ``error`` (its 5 % 5XX),
  watched by an alarm on its Average > 0.055 (2 of 2), and per minute a uniform(0, 10) draw,
  watched by an alarm on its Maximum > 9.8 (1 of 1; 2 % a minute).

N_FAST fast-mode, N_BATCH batch and N_EXACT exact replications with different base seeds; batch
and exact are each compared with fast mode: the outcome and each alarm's tripped frequency
(chi-square), and with two-sample Kolmogorov-Smirnov tests the seven per-replication measures.

**False alarms.** cpu: 2 pairs x (1 + 1 + 7) = 18 tests; custom: 2 x (1 + 2 + 7) = 20; 38 tests,
each at ALPHA = 0.05 / 38 = 1.3e-3: by Bonferroni the family-wise false-alarm rate is below 5 %.
Seeds are fixed.

**Power.** Batch vs fast (1024, 300): a rollback frequency near 0.3 is told apart when the
estimates differ by more than z sqrt(0.21 (1/300 + 1/1024)) = 3.21 x 0.030 = 0.097 (z the
two-sided normal quantile of ALPHA); ``test_a_wrong_load_model_is_detected`` checks that a CPU
cost per busy request 3 % too high (P(rollback) about 0.6 instead of 0.3) is caught.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
from scipy import stats
from test_batch_vs_fast import (
    MEASURES,
    _alarm_names,
    _batch_rows,
    _comparisons,
    _describe,
    _fast_rows,
    _measures,
)
from test_fast_vs_exact import _alarm, _scenario

from guardsim.scenarios import check_scenario_dict
from guardsim.scenarios.scenario import Scenario
from guardsim.simulator import simulate

N_FAST, N_BATCH, N_EXACT = 300, 1024, 150
FAST_SEED, BATCH_SEED, EXACT_SEED = 6_000, 7_000, 8_000
N_COMPARISONS = 2 * (1 + 1 + 7) + 2 * (1 + 2 + 7)
ALPHA = 0.05 / N_COMPARISONS


def _cpu_scenario(cpu_per_busy: float = 100.0) -> Scenario:
    alarm = _alarm(
        "CPUUtilization", {"Statistic": "Maximum"}, 132.0, "GreaterThanOrEqualToThreshold", n=2, m=2
    )
    alarm["Namespace"] = "/aws/sagemaker/Endpoints"
    latency = {"median_ms": 30, "p99_ms": 60}
    overrides: dict[str, Any] = {
        "traffic.rate_per_second": 30,
        "traffic.arrivals": "poisson",
        "models.blue.latency": latency,
        "models.green.latency": latency,
        "models.green.faults": [{"kind": "latency", "multiplier": 4.0, "after_seconds": 0}],
        "models.green.instance_metrics": {"cpu_percent_per_busy_request": cpu_per_busy},
    }
    return _scenario(overrides, alarm)


def _custom_scenario() -> Scenario:
    errors = {"Name": "Model", "Value": "v2"}
    alarm = _alarm("Errors", {"Statistic": "Average"}, 0.055, "GreaterThanThreshold", n=2, m=2)
    alarm.update(Namespace="MyApp", Dimensions=[errors])
    scenario = _scenario(
        {
            "traffic.rate_per_second": 6,
            "traffic.arrivals": "poisson",
            "models.green.error_rate_5xx": 0.05,
            "models.green.custom_metrics": [
                {"namespace": "MyApp", "metric_name": "Errors", "dimensions": [errors]},
                {
                    "namespace": "MyApp",
                    "metric_name": "QueueDepth",
                    "per": "minute",
                    "value": "distribution",
                    "distribution": {"kind": "uniform", "low": 0, "high": 10},
                },
            ],
        },
        alarm,
    )
    data = scenario.to_dict()
    queue = _alarm("QueueDepth", {"Statistic": "Maximum"}, 9.8, "GreaterThanThreshold")
    queue.update(AlarmName="queue", Namespace="MyApp", Dimensions=[])
    data["alarms"].append(queue)
    data["deployment_config"]["AutoRollbackConfiguration"]["Alarms"].append({"AlarmName": "queue"})
    result = check_scenario_dict(data)
    assert result.errors == (), result.errors
    assert result.scenario is not None
    return result.scenario


def _exact_rows(scenario: Scenario, n: int, seed: int) -> list[tuple[int, str, Any]]:
    rows = []
    for i in range(n):
        record = simulate(scenario, seed=seed, mode="exact", replication=i, detail=False)
        rows.append((i, record.outcome, record.summary))
    return rows


def _failures(label: str, other: dict[str, np.ndarray], fast: dict[str, np.ndarray]) -> list[str]:
    return [
        f"{label}: {column} differs from fast mode (p = {p:.3g} < {ALPHA:.2g});\n"
        f"  {label}: {_describe(other[column])}\n  fast:  {_describe(fast[column])}"
        for measure in MEASURES
        for column, p in _comparisons(measure, other, fast)
        if not p > ALPHA
    ]


@pytest.mark.slow
@pytest.mark.parametrize("name", ["cpu", "custom"])
def test_batch_fast_and_exact_agree(name: str) -> None:
    scenario = _cpu_scenario() if name == "cpu" else _custom_scenario()
    names = _alarm_names(scenario)
    fast = _measures(_fast_rows(scenario, N_FAST, FAST_SEED), names)
    rolled = float(np.mean(fast["outcome"] == "ROLLED_BACK"))
    assert 0.1 < rolled < 0.9, f"rolls back in {rolled:.0%} of fast runs"
    batch = _measures(_batch_rows(scenario, N_BATCH, BATCH_SEED), names)
    exact = _measures(_exact_rows(scenario, N_EXACT, EXACT_SEED), names)
    failures = _failures("batch", batch, fast) + _failures("exact", exact, fast)
    assert not failures, "\n".join(failures)


@pytest.mark.slow
def test_a_wrong_load_model_is_detected() -> None:
    names = _alarm_names(_cpu_scenario())
    fast = _measures(_fast_rows(_cpu_scenario(), N_FAST, FAST_SEED), names)
    wrong = _cpu_scenario(cpu_per_busy=103.0)
    batch = _measures(_batch_rows(wrong, N_BATCH, BATCH_SEED), names)
    ((_, p),) = _comparisons("outcome", batch, fast)
    assert p < ALPHA, f"outcome p = {p:.3g}"


def test_the_arithmetic_of_the_docstring() -> None:
    assert N_COMPARISONS == 38
    assert math.isclose(ALPHA, 1.3e-3, rel_tol=0.02)
    z = float(stats.norm.isf(ALPHA / 2))
    assert round(z, 2) == 3.21
    assert round(math.sqrt(0.21 * (1 / N_FAST + 1 / N_BATCH)), 3) == 0.030
