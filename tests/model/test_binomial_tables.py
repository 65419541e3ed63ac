"""Binomial draws by table inversion (:mod:`guardsim.model.binomial`): exact tables, the
inversion the tables give, the distribution drawn, and draws that do not depend on the cache."""

from __future__ import annotations

from decimal import Decimal, getcontext
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from guardsim.model import binomial
from guardsim.model.binomial import TABLE_MIN_SHARED, BinomialTables, binomial_cdfs

CASES = [(60, 1 / 3), (60, 2 / 3), (20, 0.3), (100, 0.05), (5000, 0.003), (61000, 0.0004)]


def _exact_cdf(n: int, p: float, k_max: int) -> list[float]:
    """P(X <= k) for k <= k_max, in 60-digit decimal arithmetic from the float ``p`` itself."""
    getcontext().prec = 60
    q = Decimal(p)
    term = (1 - q) ** n
    total, out = Decimal(0), []
    for k in range(k_max + 1):
        total += term
        out.append(float(total))
        term = term * (n - k) / (k + 1) * q / (1 - q)
    return out


@pytest.mark.parametrize(("n", "p"), CASES)
def test_each_table_is_the_cdf_rounded_and_ends_at_its_first_one(n: int, p: float) -> None:
    q = min(p, 1 - p)
    (cdf,) = binomial_cdfs(np.array([n]), q)
    exact = _exact_cdf(n, q, len(cdf) - 1)
    # every entry the correctly rounded CDF to within a unit in the last place
    assert np.max(np.abs(cdf - np.array(exact)) / np.spacing(np.array(exact))) <= 1.0
    assert cdf[-1] == 1.0 and (len(cdf) == 1 or cdf[-2] < 1.0)
    assert np.all(np.diff(cdf) >= 0)


def test_many_counts_at_once_are_each_counts_own_table() -> None:
    ns = np.array([12, 60, 61, 300, 4000])
    together = binomial_cdfs(ns, 0.01)
    for n, cdf in zip(ns, together, strict=True):
        assert np.array_equal(cdf, binomial_cdfs(np.array([n]), 0.01)[0])


class _Uniforms:
    """A generator whose ``random`` returns the given uniforms."""

    def __init__(self, u: np.ndarray) -> None:
        self.u = u

    def random(self, size: int) -> np.ndarray:
        assert size == len(self.u)
        return self.u


def test_the_inversion_is_the_first_entry_above_the_uniform() -> None:
    """Every uniform lands where a search of the whole CDF puts it, at the entries' own values,
    just below them, at 0 and at the largest uniform below 1 (the guide's start and the
    search's end are where off-by-one errors would show)."""
    n, q = 60, 1 / 3
    (cdf,) = binomial_cdfs(np.array([n]), q)
    u = np.concatenate(
        [cdf[:-1], np.nextafter(cdf[:-1], 0.0), [0.0, 1.0 - 2.0**-53], np.linspace(0, 1, 1001)[:-1]]
    )
    tables = BinomialTables()
    got = tables._inverted(_Uniforms(u), np.full(len(u), n), q)  # type: ignore[arg-type]
    assert np.array_equal(got, np.searchsorted(cdf, u, side="right"))


@pytest.mark.parametrize(("n", "p"), CASES[:5])
def test_the_draws_have_the_binomial_distribution(n: int, p: float) -> None:
    """Chi-square goodness of fit to the exact mass function (cells of expected count >= 5,
    the rest pooled), 200,000 draws, fixed seed; each case at 1e-3 / 5 (Bonferroni over the
    five cases)."""
    draws = BinomialTables().draw(np.random.default_rng(20261208), np.full(200_000, n), p)
    assert draws.min() >= 0 and draws.max() <= n
    assert _chi2_p(draws, n, p) > 1e-3 / 5


def test_the_fit_test_has_power() -> None:
    """The same test rejects draws of a share 0.01 away (1/3 + 0.01) at that size."""
    draws = BinomialTables().draw(np.random.default_rng(20261208), np.full(200_000, 60), 1 / 3)
    assert _chi2_p(draws, 60, 1 / 3 + 0.01) < 1e-3 / 5


def _chi2_p(draws: np.ndarray, n: int, p: float) -> float:
    expected = stats.binom.pmf(np.arange(n + 1), n, p) * len(draws)
    observed = np.bincount(draws, minlength=n + 1).astype(float)
    big = expected >= 5
    e = np.append(expected[big], expected[~big].sum())
    o = np.append(observed[big], observed[~big].sum())
    if e[-1] < 5:  # too little in the pooled cell: fold it into the smallest kept one
        e, o = e[:-1], o[:-1]
        e[np.argmin(e)] += expected[~big].sum()
        o[np.argmin(expected[big])] += observed[~big].sum()
    chi = float(((o - e) ** 2 / e).sum())
    return float(stats.chi2.sf(chi, len(e) - 1))


@settings(max_examples=60, deadline=None)
@given(
    counts=st.lists(st.integers(0, 400), min_size=1, max_size=300),
    shared=st.integers(0, 400),
    p=st.floats(0.001, 0.999),
    seed=st.integers(0, 2**32 - 1),
)
def test_draws_do_not_depend_on_what_was_cached(
    counts: list[int], shared: int, p: float, seed: int
) -> None:
    """The same generator gives the same draws from a fresh cache and from one warmed with
    other tables (and the same tables): a block's results do not depend on the blocks a worker
    ran before it. Every draw lies in [0, n]."""
    n = np.array(counts + [shared] * TABLE_MIN_SHARED, dtype=np.int64)
    fresh = BinomialTables().draw(np.random.default_rng(seed), n, p)
    warm = BinomialTables()
    warm.draw(np.random.default_rng(1), np.full(TABLE_MIN_SHARED, 77), 0.2)
    warm.draw(np.random.default_rng(2), n, p)
    again = warm.draw(np.random.default_rng(seed), n, p)
    assert np.array_equal(fresh, again)
    assert np.all((fresh >= 0) & (fresh <= n))


def test_a_full_cache_starts_afresh_and_draws_the_same() -> None:
    """Past its limit the cache is emptied and rebuilt: the same draws as a roomy cache's."""
    small, roomy = BinomialTables(limit=3), BinomialTables()
    calls = [
        (np.full(200, 60), 1 / 3),  # one table
        (np.arange(12, 90).repeat(64), 1 / 3),  # 78: the small cache empties, then holds them
        (np.full(200, 30), 0.2),  # one more: the small cache empties again
    ]
    for seed, (n, p) in enumerate(calls):
        a = small.draw(np.random.default_rng(seed), n, p)
        b = roomy.draw(np.random.default_rng(seed), n, p)
        assert np.array_equal(a, b)
    assert (small._count, roomy._count) == (1, 79)


def test_each_thread_has_its_own_cache() -> None:
    import threading

    seen: list[Any] = []
    thread = threading.Thread(target=lambda: seen.append(binomial.tables()))
    thread.start()
    thread.join()
    assert seen[0] is not binomial.tables()
    assert binomial.tables() is binomial.tables()
