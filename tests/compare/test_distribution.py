"""A real run against a predicted distribution: percentiles, and the verdict's own calibration."""

from __future__ import annotations

import json
import math

import pytest
from compare_helpers import real_runs, variant

from guardsim.compare import PredictedRuns, compare_distribution
from guardsim.compare.distribution import ALPHA
from guardsim.montecarlo.monte_carlo import monte_carlo
from guardsim.record import RunRecord
from guardsim.scenarios.scenario import Scenario
from guardsim.simulator import simulate

N_PREDICTED = 400
N_DRAWS = 200


def _mixed() -> Scenario:
    """The canary with a new model at 10 % errors and a 20 % per-fleet error alarm: rolls back
    in about a third of runs, so every measure (outcome, detection, blast radius, duration)
    varies."""
    s = variant("seed-canary-success", green={"error_rate_5xx": 0.1})
    data = s.to_dict()
    alarm = data["alarms"][0]
    alarm["Threshold"] = 0.2
    alarm["Dimensions"].append({"Name": "EndpointConfigName", "Value": "DEMO-EpConfig-3"})
    from guardsim.scenarios.loading import check_scenario_dict

    result = check_scenario_dict(data)
    assert result.scenario is not None
    return result.scenario


@pytest.fixture(scope="module")
def mixed() -> Scenario:
    return _mixed()


@pytest.fixture(scope="module")
def predicted(mixed: Scenario) -> PredictedRuns:
    result = monte_carlo(mixed, N_PREDICTED, seed=1, workers=1)
    assert 0.15 < result.summary.p_rollback < 0.85  # the measures really vary
    return PredictedRuns.from_monte_carlo(result)


def test_verdict_is_calibrated(mixed: Scenario, predicted: PredictedRuns) -> None:
    """A run drawn from the predicted model itself is called surprising at the nominal 5 %.

    200 independent draws (another base seed), each judged against the same 400 predicted runs.
    The false-surprising count is binomial(200, 0.05) under a calibrated verdict: the rate must
    be within 3 binomial standard errors (sqrt(0.05 x 0.95 / 200) = 1.5 %) of 5 %.
    """
    surprising = 0
    for i in range(N_DRAWS):
        real = simulate(mixed, seed=2, mode="fast", replication=i, detail=False)
        surprising += not compare_distribution(predicted, real).consistent
    rate = surprising / N_DRAWS
    se = math.sqrt(ALPHA * (1 - ALPHA) / N_DRAWS)
    assert abs(rate - ALPHA) <= 3 * se, f"false surprising rate {rate:.3f}"


def test_hidden_slow_provisioning_is_surprising(
    success_visible: Scenario, success_truth: Scenario
) -> None:
    """Against 200 runs of the visible scenario, real runs of the hidden one (provisioning
    median 7 min instead of 4, a new model failing 2 % of requests instead of none) are
    surprising, and the verdict blames the blast radius, and the deployment time where it lies
    beyond the predicted 97.5th percentile.

    Slow provisioning does not put every run's duration in the tail: real run 300 (995 s) lies
    at the 97.7th percentile of the visible model (4,096 batch runs: 97.8 %; 600 fast runs:
    97.7 %), so a 200-run prediction places it at 97.5 +- 1.1 (one binomial standard error)
    and blames its duration or not by chance. Hence: every run beyond the 95th percentile, and
    at least two of the three blamed for their duration."""
    predicted = PredictedRuns.from_monte_carlo(monte_carlo(success_visible, 200, seed=3, workers=1))
    blamed = 0
    for real in real_runs(success_truth, success_visible, (300, 301, 302), detail=False):
        d = compare_distribution(predicted, real)
        assert d.verdict == "surprising"
        assert "green_errors" in d.surprising_measures
        assert d.measure("deployment_seconds").percentile > 95
        blamed += "deployment_seconds" in d.surprising_measures
    assert blamed >= 2


def test_percentiles_and_never_detected(predicted: PredictedRuns, mixed: Scenario) -> None:
    real = simulate(mixed, seed=5, mode="fast", replication=0, detail=False)
    d = compare_distribution(predicted, real)
    outcome = d.measure("outcome")
    assert outcome.percentile == pytest.approx(100 * predicted.outcomes.count(real.outcome) / 400)
    detected = d.measure("detected_at_seconds")
    if real.summary.detected_at_seconds is None:  # "never" sorts after every detection time
        assert math.isinf(detected.real)
        assert detected.percentile > 100 * (1 - predicted.outcomes.count("SUCCEEDED") / 400)
    data = json.loads(json.dumps(d.to_data(), allow_nan=False))
    assert data["verdict"] in ("consistent", "surprising")


def test_monte_carlo_json_and_records_give_the_same_distribution(mixed: Scenario) -> None:
    result = monte_carlo(mixed, 20, seed=4, mode="fast", workers=1)
    from_result = PredictedRuns.from_monte_carlo(result)
    from_json = PredictedRuns.from_monte_carlo_data(json.loads(result.to_json()))
    records = [simulate(mixed, seed=4, replication=i, mode="fast", detail=False) for i in range(20)]
    from_records = PredictedRuns.from_records(records)
    for other in (from_json, from_records):
        assert other.outcomes == from_result.outcomes
        for m, v in from_result.values.items():
            assert list(other.values[m]) == list(v)


def test_real_record_of_another_deployment_is_refused(predicted: PredictedRuns) -> None:
    from guardsim.compare import CompareError

    other: RunRecord = simulate(variant("seed-linear-success"), seed=1, mode="fast", detail=False)
    with pytest.raises(CompareError):
        compare_distribution(predicted, other)
