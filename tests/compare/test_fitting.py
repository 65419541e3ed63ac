"""The estimators behind calibration: values, intervals, and family choice (pure)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from guardsim.compare.fitting import (
    expected_max_normal,
    fit_duration,
    fit_lognormal_from_maxima,
    fit_lognormal_quantiles,
    fit_mean,
    fit_proportion,
    order_statistic_z,
    t975,
)
from guardsim.scenarios.distributions import Z99


@pytest.mark.parametrize("df", [1, 2, 5, 10, 29, 30, 31, 50, 200, 10_000])
def test_t_quantile_matches_scipy(df: int) -> None:
    assert t975(df) == pytest.approx(float(stats.t.ppf(0.975, df)), abs=2e-4)


@pytest.mark.parametrize("k", [1, 2, 3, 5, 10])
def test_expected_maximum_of_normals(k: int) -> None:
    rng = np.random.default_rng(1)
    simulated = rng.standard_normal((200_000, k)).max(axis=1).mean()
    assert expected_max_normal(k) == pytest.approx(simulated, abs=0.01)
    if k == 2:
        assert expected_max_normal(2) == pytest.approx(1 / math.sqrt(math.pi), abs=1e-6)


def test_no_spread_is_fixed() -> None:
    fit = fit_duration([150.0] * 12 + [150.0 + 1e-9], "uniform")
    assert fit.kind == "fixed"
    assert fit.data == {"kind": "fixed", "value": 150.0}
    est = fit.parameters["value"]
    assert est.n == 13 and est.low == pytest.approx(150.0) and est.high == pytest.approx(150.0)


def test_lognormal_fit_and_its_intervals() -> None:
    rng = np.random.default_rng(7)
    mu, sigma = math.log(420.0), math.log(2.0) / Z99
    x = rng.lognormal(mu, sigma, 2000)
    fit = fit_duration(x, "lognormal")
    assert fit.kind == "lognormal"
    med, p99 = fit.parameters["median"], fit.parameters["p99"]
    se = sigma / math.sqrt(len(x))
    assert abs(math.log(med.value / 420.0)) < 3 * se
    assert med.low < 420.0 < med.high
    assert p99.low < 840.0 < p99.high
    # the t interval on the log scale, by hand
    logs = np.log(x)
    half = t975(len(x) - 1) * logs.std(ddof=1) / math.sqrt(len(x))
    assert med.low == pytest.approx(math.exp(logs.mean() - half))


def test_median_interval_covers_at_the_nominal_rate() -> None:
    """95 % t interval of the log median: coverage over 1000 samples of 15 (3 binomial SE)."""
    rng = np.random.default_rng(11)
    hits = 0
    trials = 1000
    for _ in range(trials):
        med = fit_duration(rng.lognormal(math.log(240.0), 0.3, 15), "lognormal").parameters[
            "median"
        ]
        hits += med.low <= 240.0 <= med.high
    se = math.sqrt(0.95 * 0.05 / trials)
    assert abs(hits / trials - 0.95) < 3 * se


def test_uniform_fit() -> None:
    rng = np.random.default_rng(3)
    x = rng.uniform(30.0, 120.0, 400)
    fit = fit_duration(x, "uniform")
    assert fit.kind == "uniform"
    low, high = fit.parameters["low"], fit.parameters["high"]
    # the extremes of n uniforms sit about range / (n + 1) inside the ends
    assert abs(low.value - 30.0) < 3 * 90.0 / 400 and abs(high.value - 120.0) < 3 * 90.0 / 400
    assert low.low <= 30.0 <= low.high and high.low <= 120.0 <= high.high


def test_a_fixed_setting_with_varying_data_takes_the_better_family() -> None:
    rng = np.random.default_rng(5)
    assert fit_duration(rng.uniform(10.0, 20.0, 300), "fixed").kind == "uniform"
    assert fit_duration(rng.lognormal(3.0, 0.8, 300), "fixed").kind == "lognormal"
    assert fit_duration([0.0, 1.0, 2.0], "lognormal").kind == "uniform"


def test_lognormal_from_fleet_ready_times() -> None:
    rng = np.random.default_rng(2)
    sigma = math.log(2.0) / Z99
    maxima = rng.lognormal(math.log(420.0), sigma, (3000, 3)).max(axis=1)
    fit = fit_lognormal_from_maxima([(float(x), 3) for x in maxima], sigma)
    assert fit.parameters["median"].value == pytest.approx(420.0, rel=0.02)


def test_cloudwatch_percentile_normal_scores() -> None:
    assert order_statistic_z(0.5, 1) == 0.0
    # p99 of 20 samples is the largest: Blom's score of the maximum of 20 (E = 1.8675)
    assert order_statistic_z(0.99, 20) == pytest.approx(1.8675, abs=0.01)


def test_latency_from_per_minute_percentiles() -> None:
    """Per-minute p50/p99 of 40 lognormal samples, as CloudWatch computes them (CW6)."""
    rng = np.random.default_rng(9)
    mu, sigma = math.log(5.0), math.log(3.0) / Z99
    minutes = []
    for _ in range(200):
        x = np.sort(rng.lognormal(mu, sigma, 40))
        minutes.append((40, float(x[math.ceil(0.5 * 40) - 1]), float(x[math.ceil(0.99 * 40) - 1])))
    fit = fit_lognormal_quantiles(minutes)
    assert fit is not None
    assert fit.parameters["median"].value == pytest.approx(5.0, rel=0.03)
    assert fit.parameters["p99"].value == pytest.approx(15.0, rel=0.06)
    assert fit.parameters["median"].low < 5.0 < fit.parameters["median"].high
    assert fit_lognormal_quantiles([]) is None


def test_proportion_and_mean() -> None:
    est = fit_proportion(20, 1000)
    assert (
        est.value == 0.02
        and est.low < 0.02 < est.high
        and est.method.endswith("Wilson score interval")
    )
    m = fit_mean([19.0, 21.0, 20.0], minimum=0.0)
    assert m.value == 20.0 and m.low < 20.0 < m.high
    assert fit_mean([-5.0, -3.0], minimum=0.0).value == 0.0
