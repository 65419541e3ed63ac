"""A fault takes effect at its own ``after_seconds``, not at the next traffic segment.

The scenario (``helpers.scenario``): all traffic is on green from 420 s, and green fails every
request (``rate_5xx: 1``) from 450 s. Before the fix, every engine applied the fault from the
first batch starting at or after 450 s, i.e. from the minute at 480 s.
"""

from __future__ import annotations

import math

import model_helpers as helpers
import numpy as np
import pytest

ERRORS_AT_450 = [{"kind": "errors", "rate_5xx": 1.0, "after_seconds": 450}]


def test_exact_first_failure_is_in_the_second_of_onset() -> None:
    times, codes = helpers.exact_requests(helpers.scenario(ERRORS_AT_450))
    failed = times[codes == 500]
    assert len(failed) > 0
    # 120 green requests/s: P(no request in [450, 451)) = exp(-120), so the first failure is there
    assert 450.0 <= failed.min() < 451.0
    # and every green request from 450 s fails, none before
    assert np.all(codes[times >= 450.0] == 500)
    assert np.all(codes[times < 450.0] == 200)


def test_exact_fault_end_is_exact() -> None:
    faults = [{"kind": "errors", "rate_5xx": 1.0, "after_seconds": 450, "until_seconds": 455.5}]
    times, codes = helpers.exact_requests(helpers.scenario(faults))
    failed = times[codes == 500]
    assert 450.0 <= failed.min() < 451.0
    assert 454.5 < failed.max() < 455.5
    assert np.all(codes[(times >= 450.0) & (times < 455.5)] == 500)


def _half(n: int, e5: int) -> None:
    """Half the minute [420, 480) is after 450 s: given the minute's n requests, its 5XX
    errors are Binomial(n, 1/2) (two Poisson halves of equal rate). 5 standard deviations:
    a false failure has probability below 1e-6."""
    assert 0 < e5 < n
    assert abs(e5 - n / 2) <= 5 * math.sqrt(n / 4)


def test_fast_minute_of_onset_carries_errors() -> None:
    s = helpers.scenario(ERRORS_AT_450)
    n, e5 = helpers.fast_minute(s, 420.0)
    assert n == pytest.approx(helpers.RATE * 60, rel=0.1)
    _half(n, e5)
    assert helpers.fast_minute(s, 360.0)[1] == 0


def test_batch_minute_of_onset_carries_errors() -> None:
    s = helpers.scenario(ERRORS_AT_450)
    n, e5 = helpers.batch_minute(s, 420.0)
    for k, e in zip(n.tolist(), e5.tolist(), strict=True):
        assert 0 < e < k
    # summed over the block's replications: Binomial(sum n, 1/2), 5 standard deviations
    assert abs(int(e5.sum()) - int(n.sum()) / 2) <= 5 * math.sqrt(int(n.sum()) / 4)
    assert int(helpers.batch_minute(s, 360.0)[1].sum()) == 0
