"""The judges' kernels: the exact per-minute likelihood ratio, and each judge's false-detection
guarantee over a whole bake of looks, measured on synthetic counts drawn from guardsim's error
model (each request of a fleet fails independently with that fleet's probability)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from guardsim.errors import ArgumentError
from guardsim.intervals import wilson_interval
from guardsim.judges.kernels import (
    Looks,
    e_process,
    first_true,
    known_rate_log_ratio,
    minute_log_ratio,
    sprt,
    two_proportion,
)

#: A low-traffic canary: about 60 requests a minute on the new fleet, 540 on the old, for a
#: 30-minute bake looked at every minute.
REPS, MINUTES, NEW_RATE, OLD_RATE = 2000, 30, 60.0, 540.0
ALPHA = 0.05


def draw(p_new: float, p_old: float, seed: int) -> Looks:
    rng = np.random.default_rng(seed)
    n_new = rng.poisson(NEW_RATE, (REPS, MINUTES)).astype(np.int64)
    n_old = rng.poisson(OLD_RATE, (REPS, MINUTES)).astype(np.int64)
    return Looks(
        n_new,
        rng.binomial(n_new, p_new).astype(np.int64),
        n_old,
        rng.binomial(n_old, p_old).astype(np.int64),
    )


def rate(first: np.ndarray) -> tuple[int, float, float]:
    k = int((first >= 0).sum())
    lo, hi = wilson_interval(k, len(first))
    return k, lo, hi


def test_the_minute_ratio_is_fishers_noncentral_against_the_central_hypergeometric() -> None:
    n_new, n_old = np.array([[7, 40, 3]]), np.array([[30, 60, 0]])
    x, y = np.array([[2, 5, 1]]), np.array([[1, 9, 0]])
    got = minute_log_ratio(Looks(n_new, x, n_old, y), 3.0)
    for j in range(2):
        total, m = int(n_new[0, j] + n_old[0, j]), int(x[0, j] + y[0, j])
        want = stats.nchypergeom_fisher.logpmf(
            x[0, j], total, int(n_new[0, j]), m, 3.0
        ) - stats.hypergeom.logpmf(x[0, j], total, int(n_new[0, j]), m)
        assert got[0, j] == pytest.approx(want, rel=1e-9, abs=1e-12)
    assert got[0, 2] == 0.0  # no old requests that minute: no information


@pytest.mark.parametrize("w", [1.5, 4.0, 20.0])
def test_the_ratio_averages_to_one_under_the_null_for_fixed_margins(w: float) -> None:
    # the martingale property, exactly: sum over the support of pmf(u) * ratio(u) = 1
    n1, n2, m = 12, 50, 6
    u = np.arange(0, m + 1)
    looks = Looks(np.full((1, u.size), n1), u[None, :], np.full((1, u.size), n2), (m - u)[None, :])
    ratio = np.exp(minute_log_ratio(looks, w))[0]
    pmf = stats.hypergeom.pmf(u, n1 + n2, n1, m)
    assert float((pmf * ratio).sum()) == pytest.approx(1.0, rel=1e-12)


def test_anytime_valid_judges_keep_their_bound_over_thirty_looks() -> None:
    # Both fleets fail 1% of requests. The SPRT and the e-process must not detect in more than
    # alpha = 5% of bakes, however many looks: the test fails if the Wilson interval of the
    # observed rate (2000 bakes, half-width about 1 point at 5%) lies wholly above alpha.
    looks = draw(0.01, 0.01, seed=1)
    for judge in (e_process(looks, ALPHA), sprt(looks, ALPHA, 3.0)):
        k, lo, _ = rate(judge)
        assert lo <= ALPHA, f"{k} of {REPS} healthy bakes detected"


def test_a_test_at_alpha_per_look_inflates_over_the_bake() -> None:
    # the same healthy bakes: the z-test at 5% per look, looked at 30 times, detects far more
    # often than 5% (the power check of the test above: this judge is not anytime-valid)
    looks = draw(0.01, 0.01, seed=1)
    k, lo, _ = rate(two_proportion(looks, ALPHA))
    assert lo > 2 * ALPHA, f"only {k} of {REPS} healthy bakes detected"


def test_a_bad_model_is_caught_and_caught_early() -> None:
    # 5% errors on the new fleet against 1% on the old: about 3 errors a minute on the canary
    looks = draw(0.05, 0.01, seed=2)
    first = e_process(looks, ALPHA)
    k, lo, _ = rate(first)
    assert lo > 0.95, f"only {k} of {REPS} bad bakes detected"
    assert float(np.median(first[first >= 0])) < 10  # minutes
    # a point alternative at the true odds ratio (about 5.2) detects no later on median
    sprt_first = sprt(looks, ALPHA, 5.2)
    assert np.median(sprt_first[sprt_first >= 0]) <= np.median(first[first >= 0])


def test_no_errors_means_no_evidence() -> None:
    zeros = np.zeros((3, 5), dtype=np.int64)
    looks = Looks(zeros + 100, zeros, zeros + 100, zeros)
    assert list(e_process(looks, ALPHA)) == [-1, -1, -1]
    assert list(sprt(looks, ALPHA, 2.0)) == [-1, -1, -1]
    assert list(two_proportion(looks, ALPHA)) == [-1, -1, -1]


def test_first_true() -> None:
    hits = np.array([[False, True, True], [False, False, False], [True, False, False]])
    assert list(first_true(hits)) == [1, -1, 0]


def test_bad_arguments_are_refused_by_name() -> None:
    ok = np.ones((2, 3), dtype=np.int64)
    with pytest.raises(ArgumentError, match="shape"):
        Looks(ok, ok, ok, np.ones((2, 2), dtype=np.int64))
    with pytest.raises(ArgumentError, match="new-fleet errors"):
        Looks(ok, ok + 1, ok, ok)
    looks = Looks(ok, ok, ok, ok)
    with pytest.raises(ArgumentError, match="alpha"):
        e_process(looks, 1.5)
    with pytest.raises(ArgumentError, match="odds ratio"):
        sprt(looks, ALPHA, 1.0)
    with pytest.raises(ArgumentError, match="odds ratios"):
        e_process(looks, ALPHA, ())


def test_the_known_rate_ratio_is_the_binomial_likelihood_ratio() -> None:
    # x errors of n requests: log(Bin(x; n, p1) / Bin(x; n, p0)), the binomial coefficient
    # cancelling; a minute without requests carries nothing
    n = np.array([[60, 0, 7]], dtype=np.int64)
    x = np.array([[3, 0, 7]], dtype=np.int64)
    looks = Looks(n, x, n, np.zeros_like(n))
    got = known_rate_log_ratio(looks, 0.01, 0.05)
    want = stats.binom.logpmf(x, n, 0.05) - stats.binom.logpmf(x, n, 0.01)
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)
    assert got[0, 1] == 0.0
    with pytest.raises(ArgumentError, match="p0 < p1"):
        known_rate_log_ratio(looks, 0.05, 0.01)
