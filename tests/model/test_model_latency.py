"""The latency kernels: array and scalar versions agree, moments and draws are right.

Statistical tests use fixed seeds, and their tolerances come from the sample size: a mean is
held within 5 standard errors (two-sided normal probability of failing 6e-7 for a correct
kernel), and a Kolmogorov-Smirnov test at alpha = 0.001.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from guardsim.model.latency import (
    MIXTURE_RTOL,
    NORMAL_SUM_THRESHOLD,
    cdf,
    cdf_scalar,
    draw_stats,
    draw_summaries,
    lognormal_params,
    mixture_quantile,
    mixture_quantile_scalar,
    moments,
    moments_scalar,
    quantile,
    quantile_scalar,
)

Z = 5.0  # standard errors allowed for a mean
ALPHA = 0.001
#: (mu, sigma, scale, add): plain, scaled and shifted (a fault), a constant (sigma 0), and
#: InvocationsPerInstance's constant (scale 0).
PARAMS = [
    (math.log(40.0), 0.6, 1000.0, 0.0),
    (math.log(40.0), 0.6, 3000.0, 5000.0),
    (1.1, 0.05, 1.0, 0.0),
    (2.0, 0.0, 1000.0, 7.0),
    (0.0, 0.0, 0.0, 0.25),
]
U = [1e-320, 1e-12, 0.001, 0.1, 0.5, 0.9, 0.999, 1.0 - 1e-12, 1.0]


def test_lognormal_params_give_the_median_and_p99() -> None:
    mu, sigma = lognormal_params(40.0, 180.0)
    assert quantile_scalar(0.5, mu, sigma) == pytest.approx(40.0, rel=1e-12)
    assert quantile_scalar(0.99, mu, sigma) == pytest.approx(180.0, rel=1e-12)
    mu_a, sigma_a = lognormal_params(np.array([40.0, 10.0]), np.array([180.0, 10.0]))
    assert mu_a[0] == mu and sigma_a[0] == sigma
    assert sigma_a[1] == 0.0  # median == p99: a constant


@pytest.mark.parametrize("params", PARAMS)
def test_quantile_and_cdf_scalar_equal_the_array_versions(
    params: tuple[float, float, float, float],
) -> None:
    """The same values to 1e-12 relative (math's and scipy's normal functions differ only in
    the last bits)."""
    u = np.array(U)
    q = quantile(u, *params)
    for ui, qi in zip(U, q, strict=True):
        assert quantile_scalar(ui, *params) == pytest.approx(qi, rel=1e-12, abs=1e-300)
    x = np.concatenate([q, q * (1 + 1e-6), [0.0, params[3], params[3] + 1.0]])
    g = cdf(x, *params)
    for xi, gi in zip(x, g, strict=True):
        assert cdf_scalar(float(xi), *params) == pytest.approx(gi, rel=1e-12, abs=1e-15)


@pytest.mark.parametrize("params", PARAMS[:3])
def test_cdf_inverts_the_quantile(params: tuple[float, float, float, float]) -> None:
    u = np.array([0.001, 0.1, 0.5, 0.9, 0.999])
    assert cdf(quantile(u, *params), *params) == pytest.approx(u, rel=1e-10)


def test_a_constant_is_a_step() -> None:
    mu, sigma, scale, add = PARAMS[3]
    v = math.exp(mu) * scale + add
    assert quantile_scalar(0.01, mu, sigma, scale, add) == v
    assert cdf(np.array([v - 1e-9, v, v + 1.0]), mu, sigma, scale, add).tolist() == [0, 1, 1]
    assert cdf_scalar(v - 1e-9, mu, sigma, scale, add) == 0.0
    assert cdf_scalar(v, mu, sigma, scale, add) == 1.0


@pytest.mark.parametrize("params", PARAMS)
def test_moments_agree_with_numpy_sampling(params: tuple[float, float, float, float]) -> None:
    """Mean within 5 standard errors of 400,000 samples; variance within 5 standard errors of
    the sample variance (its standard error estimated from the same samples)."""
    mu, sigma, scale, add = params
    n = 400_000
    x = np.exp(mu + sigma * np.random.default_rng(11).standard_normal(n)) * scale + add
    mean, var = moments(mu, sigma, scale, add)
    assert (float(mean), float(var)) == pytest.approx(moments_scalar(*params), rel=1e-14)
    sd = math.sqrt(var)
    assert abs(x.mean() - mean) <= Z * sd / math.sqrt(n) + 1e-12 * abs(mean)
    dev2 = (x - x.mean()) ** 2
    # (plus rounding: a constant's sample variance is of order eps x mean^2, not 0)
    assert abs(dev2.mean() - var) <= Z * dev2.std() / math.sqrt(n) + 1e-12 * (var + mean * mean)


def test_moments_broadcast_over_arrays() -> None:
    mu = np.array([p[0] for p in PARAMS])
    sigma = np.array([p[1] for p in PARAMS])
    scale = np.array([p[2] for p in PARAMS])
    add = np.array([p[3] for p in PARAMS])
    mean, var = moments(mu, sigma, scale, add)
    for i, p in enumerate(PARAMS):
        assert (mean[i], var[i]) == pytest.approx(moments_scalar(*p), rel=1e-14)


# --------------------------------------------------------------------------- summary draws

COUNTS = [0, 1, 2, 5, NORMAL_SUM_THRESHOLD - 1, NORMAL_SUM_THRESHOLD, 1000, 10**7]


@pytest.mark.parametrize("params", PARAMS)
@pytest.mark.parametrize("n", COUNTS)
def test_draw_stats_is_draw_summaries_of_one_segment(
    params: tuple[float, float, float, float], n: int
) -> None:
    """The scalar specialisation draws the same values from the same generator state (to
    1e-12 relative: the quantile's normal function and the order of summation differ)."""
    total, lo, hi = draw_summaries(np.random.default_rng(3), np.array([n]), *params)
    if n == 0:  # an empty segment (draw_stats is only called for batches of requests)
        assert (total[0], lo[0], hi[0]) == (0.0, math.inf, -math.inf)
        return
    one = draw_stats(np.random.default_rng(3), n, *params)
    assert one[0] == n
    assert one[1:] == pytest.approx((total[0], lo[0], hi[0]), rel=1e-12)


def test_draw_summaries_of_many_segments_follow_the_draw_order() -> None:
    """Segments drawn together equal the same segments drawn one call each when the draw
    order is the documented one (all small segments' normals, then the large ones' Betas and
    normals): here one small and one large segment."""
    mu, sigma, scale, add = PARAMS[1]
    n = np.array([[7, 5000]])
    total, lo, hi = draw_summaries(np.random.default_rng(9), n, mu, sigma, scale, add)
    rng = np.random.default_rng(9)
    first = draw_stats(rng, 7, mu, sigma, scale, add)
    second = draw_stats(rng, 5000, mu, sigma, scale, add)
    assert first[1:] == pytest.approx((total[0, 0], lo[0, 0], hi[0, 0]), rel=1e-12)
    assert second[1:] == pytest.approx((total[0, 1], lo[0, 1], hi[0, 1]), rel=1e-12)


@pytest.mark.parametrize("n", [5, 1000])
def test_summary_draws_have_the_sampling_distributions(n: int) -> None:
    """Over 4000 segments of n samples: F(Maximum)^n and 1 - (1 - F(Minimum))^n are uniform
    (KS; exact for order statistics), and the mean of Sum / n is within 5 standard errors of
    the lognormal's mean (each Sum / n has standard deviation sd / sqrt(n))."""
    mu, sigma, scale, add = PARAMS[1]
    segments = 4000
    counts = np.full(segments, n)
    total, lo, hi = draw_summaries(np.random.default_rng(21), counts, mu, sigma, scale, add)
    f_max = cdf(hi, mu, sigma, scale, add) ** n
    f_min = 1.0 - (1.0 - cdf(lo, mu, sigma, scale, add)) ** n
    assert stats.kstest(f_max, "uniform").pvalue > ALPHA
    assert stats.kstest(f_min, "uniform").pvalue > ALPHA
    mean, var = moments(mu, sigma, scale, add)
    se = math.sqrt(var / n) / math.sqrt(segments)
    assert abs(np.mean(total / n) - mean) <= Z * se
    assert np.all(n * lo <= total) and np.all(total <= n * hi)


# --------------------------------------------------------------------------- mixture quantile

MIXTURES = [
    [(700, 1.1, 0.5, 1000.0, 0.0), (300, 3.7, 0.4, 1000.0, 5.0)],
    [(50, math.log(40.0), 0.6, 1000.0, 0.0), (5, math.log(40.0), 0.6, 3000.0, 2e5)],
    [(10, 2.0, 0.3, 1.0, 0.0), (10, 2.0, 0.0, 1.0, 3.0), (0, 9.0, 1.0, 1.0, 0.0)],
    [(1, 2.0, 0.3, 1.0, 0.0)],
]


def _mixture_cdf(comps: list[tuple[float, float, float, float, float]], x: float) -> float:
    total = sum(c[0] for c in comps)
    return sum(c[0] * cdf_scalar(x, *c[1:]) for c in comps if c[0] > 0) / total


@pytest.mark.parametrize("comps", MIXTURES)
@pytest.mark.parametrize("u", [1e-6, 0.01, 0.25, 0.5, 0.9, 0.99, 0.999999])
def test_the_mixture_quantile_inverts_the_mixture_cdf(
    comps: list[tuple[float, float, float, float, float]], u: float
) -> None:
    """G(x - d) <= u <= G(x + d), d the bisection's tolerance (2 x MIXTURE_RTOL relative), for
    the scalar and the array version; and the two agree to that tolerance."""
    x = mixture_quantile_scalar(comps, u)
    arr = mixture_quantile(
        np.array([[c[0] for c in comps]], dtype=float),
        np.array([[c[1] for c in comps]]),
        np.array([[c[2] for c in comps]]),
        np.array([[c[3] for c in comps]]),
        np.array([[c[4] for c in comps]]),
        np.array([u]),
    )[0]
    d = 2 * MIXTURE_RTOL * max(1.0, abs(x))
    assert _mixture_cdf(comps, x - d) <= u <= _mixture_cdf(comps, x + d)
    assert arr == pytest.approx(x, rel=2 * MIXTURE_RTOL, abs=2 * MIXTURE_RTOL)


def test_the_mixture_quantile_works_row_by_row() -> None:
    """Rows of one call are independent problems: each agrees with its own one-row call to the
    bisection's tolerance (a call bisects until every row has converged, so a row may get
    more halvings together than alone)."""
    comps = MIXTURES[0]
    weight = np.array([[700.0, 300.0], [0.0, 300.0], [1.0, 1e6]])
    mu = np.array([[c[1] for c in comps]] * 3)
    sigma = np.array([[c[2] for c in comps]] * 3)
    scale = np.array([[c[3] for c in comps]] * 3)
    add = np.array([[c[4] for c in comps]] * 3)
    u = np.array([0.99, 0.5, 0.1])
    together = mixture_quantile(weight, mu, sigma, scale, add, u)
    for i in range(3):
        alone = mixture_quantile(
            weight[i : i + 1],
            mu[i : i + 1],
            sigma[i : i + 1],
            scale[i : i + 1],
            add[i : i + 1],
            u[i : i + 1],
        )
        assert together[i] == pytest.approx(alone[0], rel=2 * MIXTURE_RTOL)
    # one used component: its own quantile
    assert together[1] == pytest.approx(quantile_scalar(0.5, *comps[1][1:]), rel=1e-12)
