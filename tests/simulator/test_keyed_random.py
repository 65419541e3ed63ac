"""The keyed generator behind fast-mode window percentiles draws the right distributions."""

import numpy as np
import pytest
from scipy import stats

from guardsim.simulator.metrics import key_rng

# 4000 keyed draws per case; KS at alpha = 0.001 (fixed keys: the test is deterministic).
N = 4000
ALPHA = 0.001


@pytest.mark.parametrize(("a", "b"), [(1, 1), (990, 11), (5, 3000), (1, 50), (50, 1)])
def test_beta_draws_follow_the_beta_distribution(a: int, b: int) -> None:
    xs = [key_rng((1, 2), "beta", a, b, i).beta(a, b) for i in range(N)]
    assert stats.kstest(xs, stats.beta(a, b).cdf).pvalue > ALPHA


def test_normal_draws_are_standard_normal() -> None:
    xs = [key_rng((3,), "normal", i).normal() for i in range(N)]
    assert stats.kstest(xs, "norm").pvalue > ALPHA


def test_a_key_always_gives_the_same_draw_and_keys_differ() -> None:
    assert key_rng((7, 8), "m", 60.0).random() == key_rng((7, 8), "m", 60.0).random()
    draws = {key_rng((7, 8), "m", t).random() for t in np.arange(0.0, 6000.0, 60.0)}
    assert len(draws) == 100
    assert key_rng((7, 8), "m", 60.0).random() != key_rng((7, 9), "m", 60.0).random()
