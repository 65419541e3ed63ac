"""The batch engine matches per-replication fast mode on the features it gained with issue 14.

The method of ``test_batch_vs_fast.py`` (whose helpers this reuses), on one scenario per newly
supported feature: a rolling update (with RollbackMaximumBatchSize re-provisioning), a
metric-math error-rate alarm, an extended statistic (tm90 of ModelLatency, drawn by fast mode's
components kernel), a high-resolution alarm (Period 30), a warm-up fault, evenly spaced arrivals
under a daily profile and a burst, and a replay file. For each, N_FAST fast-mode and N_BATCH
batch replications with different base seeds are compared: the outcome frequencies and each
alarm's tripped frequency (chi-square), and with two-sample Kolmogorov-Smirnov tests
``detected_at_seconds``, ``rollback_completed_seconds``, ``green_errors``, ``green_requests``,
``user_errors``, ``deployment_seconds`` and ``cost_usd``.

**False alarms.** N_COMPARISONS = 7 scenarios x (1 outcome + 1 tripped + 7 KS) = 63 tests, each
at ALPHA = 0.05 / 63 = 7.9e-4: by Bonferroni the family-wise false-alarm rate is below 5 %. The
seeds are fixed, so the suite is deterministic.

**Power, and why these sizes.** Lean sizes keep the file under ~20 s: N_FAST = 300 (fast mode,
2-10 ms a replication) and N_BATCH = 1024 (two blocks). At ALPHA the KS test rejects when the
empirical CDFs differ by more than c * sqrt((300 + 1024) / (300 * 1024)) = 1.98 * 0.0657 = 0.130
(c = sqrt(-ln(ALPHA / 2) / 2)); a frequency near 1/2 is told apart when the estimates differ by
more than z * sqrt(0.25 (1/300 + 1/1024)) = 3.35 * 0.0328 = 0.110 (z the two-sided normal
quantile of ALPHA). ``test_the_feature_comparison_has_power`` checks that a mistake of the kind
the batch engine could make (the metric-math scenario's green error rate 0.036 instead of 0.03)
is detected at these sizes.
"""

from __future__ import annotations

import math
from pathlib import Path
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

N_FAST = 300
N_BATCH = 1024
FAST_SEED, BATCH_SEED = 4_000, 5_000

ROLLING = {
    "MaximumBatchSize": {"Type": "INSTANCE_COUNT", "Value": 1},
    "WaitIntervalInSeconds": 180,
    "RollbackMaximumBatchSize": {"Type": "INSTANCE_COUNT", "Value": 1},
}
DIMENSIONS = [
    {"Name": "EndpointName", "Value": "DEMO-Deployment-Guardrails-Canary"},
    {"Name": "VariantName", "Value": "AllTraffic"},
    {"Name": "EndpointConfigName", "Value": "DEMO-EpConfig-3"},
]


def _poisson(rate: float, **overrides: Any) -> dict[str, Any]:
    return {"traffic.rate_per_second": rate, "traffic.arrivals": "poisson", **overrides}


def _errors_alarm(threshold: float, **kw: Any) -> dict[str, Any]:
    return _alarm(
        "Invocation5XXErrors", {"Statistic": "Average"}, threshold, "GreaterThanThreshold", **kw
    )


def _rolling(scenario: Scenario) -> Scenario:
    data = scenario.to_dict()
    del data["deployment_config"]["BlueGreenUpdatePolicy"]
    data["deployment_config"]["RollingUpdatePolicy"] = ROLLING
    result = check_scenario_dict(data)
    assert result.scenario is not None, result.errors
    return result.scenario


def _stat(name: str, stat: str) -> dict[str, Any]:
    metric = {"Namespace": "AWS/SageMaker", "MetricName": name, "Dimensions": DIMENSIONS}
    return {"Metric": metric, "Period": 60, "Stat": stat}


def _error_rate_alarm(threshold: float) -> dict[str, Any]:
    """The usual per-fleet error-rate alarm, in metric math (percent)."""
    return {
        "AlarmName": "under-test",
        "EvaluationPeriods": 2,
        "DatapointsToAlarm": 1,
        "Threshold": threshold,
        "ComparisonOperator": "GreaterThanThreshold",
        "TreatMissingData": "notBreaching",
        "Metrics": [
            {"Id": "e", "ReturnData": False, "MetricStat": _stat("Invocation5XXErrors", "Sum")},
            {"Id": "n", "ReturnData": False, "MetricStat": _stat("Invocations", "Sum")},
            {"Id": "rate", "Expression": "100 * e / n", "ReturnData": True},
        ],
    }


def _metric_math(error_rate: float) -> Scenario:
    return _scenario(
        _poisson(3, **{"models.green.error_rate_5xx": error_rate}), _error_rate_alarm(7.0)
    )


def _replay(path: Path) -> Scenario:
    """Evenly spaced arrivals from a replay file's per-minute counts (120-300 a minute)."""
    path.write_text("count\n" + "".join(f"{120 + 45 * (k % 5)}\n" for k in range(60)))
    return _scenario(
        {
            "traffic.rate_per_second": 3,
            "traffic.arrivals": "uniform",
            "traffic.replay_file": str(path),
            "models.green.error_rate_5xx": 0.03,
        },
        _errors_alarm(0.07, n=2, m=1),
    )


def _scenarios(replay: Path) -> dict[str, Scenario]:
    return {
        "rolling": _rolling(
            _scenario(
                _poisson(3, **{"models.green.error_rate_5xx": 0.03}), _errors_alarm(0.07, n=2, m=1)
            )
        ),
        "metric-math": _metric_math(0.03),
        "tm90": _scenario(
            _poisson(
                8,
                **{
                    "models.green.latency": {"median_ms": 5, "p99_ms": 30},
                    "models.green.faults": [
                        {"kind": "latency", "multiplier": 1.4, "after_seconds": 400}
                    ],
                },
            ),
            _alarm(
                "ModelLatency", {"ExtendedStatistic": "tm90"}, 7000, "GreaterThanThreshold", n=2
            ),
        ),
        "period-30": _scenario(
            _poisson(3, **{"models.green.error_rate_5xx": 0.05}),
            {
                **_alarm(
                    "Invocation5XXErrors",
                    {"Statistic": "Sum"},
                    5,
                    "GreaterThanOrEqualToThreshold",
                    n=6,
                ),
                "Period": 30,
            },
        ),
        "warm-up": _scenario(
            _poisson(
                3,
                **{
                    "models.green.error_rate_5xx": 0.015,
                    "models.green.faults": [
                        {"kind": "warmup", "duration_seconds": 120, "rate_5xx": 0.03}
                    ],
                },
            ),
            _errors_alarm(0.07, n=2, m=1),
        ),
        "uniform-profile-burst": _scenario(
            {
                "traffic.rate_per_second": 3,
                "traffic.arrivals": "uniform",
                "traffic.profile": "daily",
                "traffic.daily_amplitude": 0.8,
                "traffic.start_hour": 8.0,
                "traffic.bursts": [{"at_seconds": 360, "duration_seconds": 120, "multiplier": 3}],
                "models.green.error_rate_5xx": 0.03,
            },
            _errors_alarm(0.07, n=2, m=1),
        ),
        "replay": _replay(replay),
    }


NAMES = (
    "rolling",
    "metric-math",
    "tm90",
    "period-30",
    "warm-up",
    "uniform-profile-burst",
    "replay",
)
N_COMPARISONS = len(NAMES) * (len(MEASURES) - 1 + 1)
ALPHA = 0.05 / N_COMPARISONS


@pytest.fixture(scope="module")
def scenarios(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Scenario]:
    return _scenarios(tmp_path_factory.mktemp("replay") / "traffic.csv")


_SAMPLES: dict[str, tuple[dict[str, np.ndarray], dict[str, np.ndarray]]] = {}


def _samples(name: str, scenario: Scenario) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """(batch, fast) measures of one scenario, drawn once per session."""
    if name not in _SAMPLES:
        alarms = _alarm_names(scenario)
        batch = _measures(_batch_rows(scenario, N_BATCH, BATCH_SEED), alarms)
        fast = _measures(_fast_rows(scenario, N_FAST, FAST_SEED), alarms)
        _SAMPLES[name] = batch, fast
    return _SAMPLES[name]


@pytest.mark.slow
@pytest.mark.parametrize("name", NAMES)
def test_new_features_match_fast_mode(name: str, scenarios: dict[str, Scenario]) -> None:
    scenario = scenarios[name]
    batch, fast = _samples(name, scenario)
    # not degenerate: mixed outcomes, enough detections for the KS test of detected_at
    rolled = float(np.mean(fast["outcome"] == "ROLLED_BACK"))
    assert 0.1 < rolled < 0.95, f"{name}: rolls back in {rolled:.0%} of fast runs"
    assert len(fast["detected_at_seconds"]) >= 30
    failures = [
        f"{name}: {column} differs between batch and fast mode (p = {p:.3g} < {ALPHA:.2g});\n"
        f"  batch: {_describe(batch[column])}\n  fast:  {_describe(fast[column])}"
        for measure in MEASURES
        for column, p in _comparisons(measure, batch, fast)
        if not p > ALPHA
    ]
    assert not failures, "\n".join(failures)


def test_the_arithmetic_of_the_feature_docstring() -> None:
    assert N_COMPARISONS == 63
    assert math.isclose(ALPHA, 7.9e-4, rel_tol=0.01)
    c = math.sqrt(-math.log(ALPHA / 2) / 2)
    assert round(c, 2) == 1.98
    assert round(c * math.sqrt((N_FAST + N_BATCH) / (N_FAST * N_BATCH)), 3) == 0.130
    z = float(stats.norm.isf(ALPHA / 2))
    assert round(z, 2) == 3.35
    assert round(z * math.sqrt(0.25 * (1 / N_FAST + 1 / N_BATCH)), 3) == 0.110


@pytest.mark.slow
def test_the_feature_comparison_has_power(scenarios: dict[str, Scenario]) -> None:
    """A green error rate of 0.036 instead of 0.03 in the metric-math scenario (P(rollback)
    about 0.45 instead of 0.27) is rejected by the outcome test at these sizes."""
    _, fast = _samples("metric-math", scenarios["metric-math"])
    wrong = _metric_math(0.036)
    batch = _measures(_batch_rows(wrong, N_BATCH, BATCH_SEED), _alarm_names(wrong))
    ((_, p),) = _comparisons("outcome", batch, fast)
    assert p < ALPHA, f"outcome p = {p:.3g}"
