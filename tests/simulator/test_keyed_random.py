"""The keyed generator behind fast-mode window percentiles: numpy's Philox, keyed by the draw.

key_rng(run_key, *parts) is a numpy Generator on a Philox bit generator whose 128-bit key is a
hash of the run's key and the parts; the draws follow the right distributions, a key always
gives the same stream, and different keys give different, uncorrelated streams.
"""

import math

import numpy as np
import pytest
from scipy import stats

from guardsim.simulator.metrics import key_rng

# 4000 keyed draws per case; KS at alpha = 0.001 (fixed keys: the test is deterministic).
N = 4000
ALPHA = 0.001
# A correlation coefficient of N independent pairs has standard error 1 / sqrt(N); held
# within 4 standard errors (two-sided failure probability 6e-5 for independent streams).
CORRELATION_LIMIT = 4.0 / math.sqrt(N)


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


def test_it_is_numpys_philox() -> None:
    rng = key_rng((7, 8), "m", 60.0)
    assert isinstance(rng, np.random.Generator)
    assert isinstance(rng.bit_generator, np.random.Philox)
    # the whole stream is reproducible, not just its first value
    assert key_rng((7, 8), "m", 60.0).random(50).tolist() == rng.random(50).tolist()


def test_streams_of_neighbouring_keys_are_uncorrelated() -> None:
    """The first draws of keys that differ in one part (consecutive windows, replications'
    run keys one apart) have no correlation, and neither do first and second draws."""
    windows = np.array([key_rng((5, 6), "p99", 60.0 * i).random(2) for i in range(N)])
    runs = np.array([key_rng((i, 6), "p99", 60.0).random() for i in range(N)])
    pairs = [
        (windows[:-1, 0], windows[1:, 0]),  # window i and window i + 1
        (windows[:, 0], windows[:, 1]),  # one stream's first and second draw
        (runs[:-1], runs[1:]),  # run key i and i + 1
        (windows[:, 0], runs),  # a window's draw and a run's draw
    ]
    for x, y in pairs:
        assert abs(np.corrcoef(x, y)[0, 1]) < CORRELATION_LIMIT
