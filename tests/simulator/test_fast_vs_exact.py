"""Fast mode is statistically indistinguishable from exact mode (issue: fast mode, item 2).

For each scenario, N replications in each mode, with *different* seed bases (the control stream
is shared by both modes for one seed, so same-seed pairs would not be independent samples).
Outcome frequencies are compared with a chi-square test of homogeneity; detected_at_seconds
(over runs that detected), green_errors and deployment_seconds with two-sample Kolmogorov-Smirnov
tests. Each test uses significance ALPHA = 0.001 (five measures x four scenarios = 20 tests: a
family-wise false-alarm rate below 2 %, and the seeds are fixed, so the suite is deterministic).

Power: with N = 200 per mode the KS test at ALPHA rejects when the two empirical CDFs differ by
more than 1.95 * sqrt(2 / 200) = 0.195. ``test_the_comparison_has_power`` checks that a real
difference of the kind fast mode could get wrong (a green error rate of 0.30 instead of 0.36)
is detected by the same machinery at the same N.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from scipy import stats

from guardsim.scenarios import check_scenario_dict, load_scenario
from guardsim.scenarios.scenario import Scenario
from guardsim.simulator import simulate

N = 200
ALPHA = 0.001
EXACT_SEED, FAST_SEED = 1_000, 2_000


def _scenario(overrides: dict[str, Any], alarm: dict[str, Any]) -> Scenario:
    base = load_scenario("seed-canary-success").to_dict()
    base["name"] = "fast-vs-exact"
    base["simulation"] = {"warmup_seconds": 300, "cooldown_seconds": 0, "seed": 0}
    base["environment"] = {"provisioning_seconds": {"kind": "uniform", "low": 120, "high": 240}}
    base["alarms"] = [alarm]
    base["deployment_config"]["AutoRollbackConfiguration"] = {
        "Alarms": [{"AlarmName": alarm["AlarmName"]}]
    }
    for path, value in overrides.items():
        node = base
        *parents, last = path.split(".")
        for key in parents:
            node = node.setdefault(key, {})
        node[last] = value
    result = check_scenario_dict(base)
    assert result.scenario is not None, result.errors
    return result.scenario


def _alarm(
    metric: str,
    stat: dict[str, Any],
    threshold: float,
    op: str,
    *,
    n: int = 1,
    m: int = 1,
    missing: str = "notBreaching",
    config: str | None = "DEMO-EpConfig-3",
) -> dict[str, Any]:
    dims = [
        {"Name": "EndpointName", "Value": "DEMO-Deployment-Guardrails-Canary"},
        {"Name": "VariantName", "Value": "AllTraffic"},
    ]
    if config:
        dims.append({"Name": "EndpointConfigName", "Value": config})
    return {
        "AlarmName": "under-test",
        "Namespace": "AWS/SageMaker",
        "MetricName": metric,
        **stat,
        "Dimensions": dims,
        "Period": 60,
        "EvaluationPeriods": n,
        "DatapointsToAlarm": m,
        "Threshold": threshold,
        "ComparisonOperator": op,
        "TreatMissingData": missing,
    }


SCENARIOS = {
    # A clearly bad canary: 30 % 5XX on the new fleet, a per-fleet error alarm, 2 of 2.
    "bad-model": _scenario(
        {
            "traffic.rate_per_second": 6,
            "traffic.arrivals": "poisson",
            "models.green.error_rate_5xx": 0.30,
        },
        _alarm(
            "Invocation5XXErrors", {"Statistic": "Average"}, 0.2, "GreaterThanThreshold", n=2, m=2
        ),
    ),
    # A healthy model close to the threshold: noise alone trips it some of the time.
    "healthy-near-threshold": _scenario(
        {
            "traffic.rate_per_second": 3,
            "traffic.arrivals": "poisson",
            "models.green.error_rate_5xx": 0.03,
        },
        _alarm(
            "Invocation5XXErrors", {"Statistic": "Average"}, 0.06, "GreaterThanOrEqualToThreshold"
        ),
    ),
    # So little traffic that the canary's per-fleet metric is mostly missing: treated as breaching.
    "low-traffic-missing-data": _scenario(
        {
            "traffic.rate_per_second": 0.15,
            "traffic.arrivals": "poisson",
            "models.green.error_rate_5xx": 0.0,
        },
        _alarm(
            "Invocation5XXErrors",
            {"Statistic": "Sum"},
            1,
            "GreaterThanOrEqualToThreshold",
            n=3,
            m=3,
            missing="breaching",
        ),
    ),
    # A p99 ModelLatency alarm near the green model's own p99 (order statistics in fast mode).
    "p99-latency": _scenario(
        {
            "traffic.rate_per_second": 8,
            "traffic.arrivals": "poisson",
            "models.green.latency": {"median_ms": 5, "p99_ms": 30},
        },
        _alarm(
            "ModelLatency", {"ExtendedStatistic": "p99"}, 33_000, "GreaterThanThreshold", n=2, m=2
        ),
    ),
}


def _runs(scenario: Scenario, mode: str, seed: int) -> dict[str, np.ndarray]:
    rows = [simulate(scenario, seed=seed, mode=mode, replication=i, detail=False) for i in range(N)]
    return {
        "outcome": np.array([r.outcome for r in rows]),
        "detected_at_seconds": np.array(
            [
                r.summary.detected_at_seconds
                for r in rows
                if r.summary.detected_at_seconds is not None
            ]
        ),
        "green_errors": np.array([r.summary.green_errors for r in rows], dtype=float),
        "green_requests": np.array([r.summary.green_requests for r in rows], dtype=float),
        "deployment_seconds": np.array([r.summary.deployment_seconds for r in rows]),
    }


def _outcome_p(a: np.ndarray, b: np.ndarray) -> float:
    labels = sorted(set(a) | set(b))
    table = np.array([[np.sum(a == lab) for lab in labels], [np.sum(b == lab) for lab in labels]])
    if table.shape[1] < 2:
        return 1.0  # both modes gave the one outcome every time: identical distributions
    return float(stats.chi2_contingency(table)[1])


def _ks_p(a: np.ndarray, b: np.ndarray) -> float:
    if len(a) == 0 and len(b) == 0:
        return 1.0
    assert min(len(a), len(b)) >= 20, f"too few detections to compare ({len(a)} vs {len(b)})"
    return float(stats.ks_2samp(a, b).pvalue)


@pytest.fixture(scope="module", params=sorted(SCENARIOS))
def paired(
    request: pytest.FixtureRequest,
) -> tuple[str, dict[str, np.ndarray], dict[str, np.ndarray]]:
    scenario = SCENARIOS[request.param]
    return request.param, _runs(scenario, "exact", EXACT_SEED), _runs(scenario, "fast", FAST_SEED)


@pytest.mark.slow
@pytest.mark.parametrize(
    "measure",
    ["outcome", "detected_at_seconds", "green_errors", "green_requests", "deployment_seconds"],
)
def test_fast_matches_exact(
    paired: tuple[str, dict[str, np.ndarray], dict[str, np.ndarray]], measure: str
) -> None:
    name, exact, fast = paired
    if measure == "outcome":
        p = _outcome_p(exact[measure], fast[measure])
    else:
        p = _ks_p(exact[measure], fast[measure])
    assert p > ALPHA, f"{name}: {measure} differs between exact and fast mode (p = {p:.2g})"


def test_scenarios_are_not_degenerate() -> None:
    """The scenarios exercise what they claim: rollbacks happen in some and not all runs."""
    rollback_share = {}
    for name, scenario in SCENARIOS.items():
        runs = _runs_small(scenario)
        rollback_share[name] = float(np.mean(runs == "ROLLED_BACK"))
    assert rollback_share["bad-model"] > 0.9
    assert 0.05 < rollback_share["healthy-near-threshold"] < 0.95
    assert rollback_share["low-traffic-missing-data"] > 0.5


def _runs_small(scenario: Scenario) -> np.ndarray:
    return np.array(
        [
            simulate(scenario, seed=7, mode="fast", replication=i, detail=False).outcome
            for i in range(60)
        ]
    )


@pytest.mark.slow
def test_the_comparison_has_power() -> None:
    """The same tests at the same N tell a 30 % from a 36 % green error rate apart."""
    base = SCENARIOS["bad-model"]
    worse = _scenario(
        {
            "traffic.rate_per_second": 6,
            "traffic.arrivals": "poisson",
            "models.green.error_rate_5xx": 0.36,
        },
        base.alarms[0].to_boto(),
    )
    a = _runs(base, "fast", FAST_SEED)
    b = _runs(worse, "fast", EXACT_SEED)
    assert _ks_p(a["green_errors"], b["green_errors"]) < ALPHA
