"""Inference-component updates: batch vs fast vs exact, statistically equivalent.

The method of ``test_batch_vs_fast`` and ``tests/simulator/test_fast_vs_exact``: for each
scenario, replications of each engine with *different* base seeds, compared on the outcome
frequencies (chi-square test of homogeneity) and, with two-sample Kolmogorov-Smirnov tests, on
``detected_at_seconds`` (runs that detected), ``deployment_seconds``, ``green_requests``,
``green_errors`` and ``cost_usd``.

The scenarios (built from the two built-ins, cheaper):

* ``errors``: the LLM component (4 copies, batches of 2, 2 instances added for batch 1) whose new
  copies fail 8% of requests against a 5% threshold on the component's blended series, so when
  it trips, and whether, varies;
* ``timeout``: the 2-copy update with an added instance, under a 1800 s timeout close to its
  expected duration (about 1820 s), so about half the runs time out;
* ``neighbours``: the LLM component's latency built-in with its rollback alarm on the
  endpoint-wide series (``EndpointName, VariantName``) and the embedding neighbour serving
  1 request/s (median 1 s), which dilutes the new copies' latency to near the threshold: about
  half the runs roll back. It holds the neighbours' traffic, faults and latency kernels equal.

**Sizes and false alarms.** N_EXACT = N_FAST_EXACT = 100 (exact mode simulates every request:
~0.05 s a run at these rates), N_FAST = 300 and N_BATCH = 1024 (two blocks). 3 scenarios x 6
measures x 2 pairs = 36 tests at ALPHA = 0.05 / 36 = 1.4e-3 each (Bonferroni: family-wise
false-alarm rate below 5 %); the seeds are fixed, so the suite is deterministic. At ALPHA the KS
test rejects when the empirical CDFs differ by more than c * sqrt((n1 + n2) / (n1 n2)) with
c = sqrt(-ln(ALPHA / 2) / 2) = 1.91: 0.27 for 100 vs 100 and 0.13 for 300 vs 1024.
``test_the_scenarios_are_not_degenerate`` checks that both outcomes occur, so the comparisons
compare something.
"""

from __future__ import annotations

import functools
from typing import Any

import numpy as np
import pytest
import yaml
from scipy import stats

from guardsim.batch.engine import run_batch
from guardsim.scenarios import library
from guardsim.scenarios.loading import scenario_from_dict
from guardsim.scenarios.scenario import Scenario
from guardsim.simulator import simulate

N_EXACT, N_FAST_EXACT, N_FAST, N_BATCH = 100, 100, 300, 1024
SEEDS = {"exact": 10, "fast-vs-exact": 20, "fast": 30, "batch": 40}
MEASURES = (
    "outcome",
    "detected_at_seconds",
    "deployment_seconds",
    "green_requests",
    "green_errors",
    "cost_usd",
)
ALPHA = 0.05 / (3 * len(MEASURES) * 2)
MIN_SAMPLES = 20


def _base(name: str) -> dict[str, Any]:
    raw: dict[str, Any] = yaml.safe_load(library.text(name))
    raw["simulation"] = {"warmup_seconds": 300, "cooldown_seconds": 60}
    return raw


def _errors() -> Scenario:
    raw = _base("component-llm-latency-rollback")
    name = raw["inference_component"]["component"]["InferenceComponentName"]
    raw["traffic"] = {"rate_per_second": 1.5}
    raw["models"] = {"blue": {"error_rate_5xx": 0.01}, "green": {"error_rate_5xx": 0.055}}
    raw["alarms"] = [
        {
            "AlarmName": raw["alarms"][0]["AlarmName"],
            "Namespace": "AWS/SageMaker",
            "MetricName": "Invocation5XXErrors",
            "Statistic": "Average",
            "Dimensions": [{"Name": "InferenceComponentName", "Value": name}],
            "Period": 60,
            "EvaluationPeriods": 2,
            "DatapointsToAlarm": 2,
            "Threshold": 0.05,
            "ComparisonOperator": "GreaterThanThreshold",
            "TreatMissingData": "notBreaching",
        }
    ]
    return scenario_from_dict(raw)


def _timeout() -> Scenario:
    raw = _base("component-extra-instance-success")
    raw["traffic"] = {"rate_per_second": 1}
    raw["deployment_config"]["RollingUpdatePolicy"]["MaximumExecutionTimeoutInSeconds"] = 1800
    return scenario_from_dict(raw)


def _neighbours() -> Scenario:
    raw = _base("component-llm-latency-rollback")
    neighbour = raw["inference_component"]["neighbours"][0]
    neighbour["traffic"] = {"rate_per_second": 1}
    neighbour["model"] = {"latency": {"median_ms": 1000, "p99_ms": 3000}}
    raw["alarms"][0]["Dimensions"] = [
        {"Name": "EndpointName", "Value": raw["endpoint"]["name"]},
        {"Name": "VariantName", "Value": "AllTraffic"},
    ]
    return scenario_from_dict(raw)


SCENARIOS = {"errors": _errors, "timeout": _timeout, "neighbours": _neighbours}


def _measures(summaries: list[Any], outcomes: list[str]) -> dict[str, np.ndarray]:
    data = {"outcome": np.array(outcomes)}
    data["detected_at_seconds"] = np.array(
        [s.detected_at_seconds for s in summaries if s.detected_at_seconds is not None], float
    )
    for field in MEASURES[2:]:
        data[field] = np.array([getattr(s, field) for s in summaries], float)
    return data


@functools.cache
def _runs(name: str, engine: str) -> dict[str, np.ndarray]:
    scenario = SCENARIOS[name]()
    if engine == "batch":
        rows = run_batch(scenario, seed=SEEDS["batch"], start=0, stop=N_BATCH)
        return _measures([r[2] for r in rows], [r[1] for r in rows])
    mode, n, seed = {
        "exact": ("exact", N_EXACT, SEEDS["exact"]),
        "fast-vs-exact": ("fast", N_FAST_EXACT, SEEDS["fast-vs-exact"]),
        "fast": ("fast", N_FAST, SEEDS["fast"]),
    }[engine]
    records = [
        simulate(scenario, seed=seed, mode=mode, replication=i, detail=False) for i in range(n)
    ]
    return _measures([r.summary for r in records], [r.outcome for r in records])


def _p(measure: str, a: np.ndarray, b: np.ndarray) -> float:
    if measure == "outcome":
        labels = sorted(set(a) | set(b))
        table = np.array([[np.sum(a == x) for x in labels], [np.sum(b == x) for x in labels]])
        return 1.0 if table.shape[1] < 2 else float(stats.chi2_contingency(table)[1])
    if len(a) == 0 and len(b) == 0:
        return 1.0
    assert min(len(a), len(b)) >= MIN_SAMPLES, f"too few values ({len(a)} vs {len(b)})"
    return float(stats.ks_2samp(a, b).pvalue)


@pytest.mark.slow
@pytest.mark.parametrize("measure", MEASURES)
@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_fast_matches_exact(name: str, measure: str) -> None:
    p = _p(measure, _runs(name, "exact")[measure], _runs(name, "fast-vs-exact")[measure])
    assert p > ALPHA, f"{name}: {measure} differs between exact and fast (p = {p:.2g})"


@pytest.mark.parametrize("measure", MEASURES)
@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_batch_matches_fast(name: str, measure: str) -> None:
    p = _p(measure, _runs(name, "fast")[measure], _runs(name, "batch")[measure])
    assert p > ALPHA, f"{name}: {measure} differs between fast and batch (p = {p:.2g})"


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_the_scenarios_are_not_degenerate(name: str) -> None:
    outcomes = _runs(name, "batch")["outcome"]
    share = float(np.mean(outcomes == "ROLLED_BACK"))
    assert 0.1 < share < 0.9, f"{name}: rolled back in {share:.0%} of runs"
