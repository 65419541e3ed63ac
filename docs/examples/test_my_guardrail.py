"""Property tests of a guardrail, to copy into your own project and adapt.

Needs guardsim with its test extra (``pip install guardsim[test]``: pytest and Hypothesis).
Installing guardsim registers its pytest plugin, which provides the ``guardrail`` fixture used
below and the options ``--guardsim-replications N`` and ``--guardsim-seed S``.

Each claim is checked by a fast-mode Monte Carlo from a fixed base seed, so the tests are
deterministic. An assertion passes only when the replications *demonstrate* the claim: the whole
95 % Wilson interval of the rollback probability on the claimed side, or an upper confidence
bound of the blast-radius quantile below the limit. A sample too small to show the claim fails
and says how many replications it needs (381 to show a probability >= 0.99).

Replace ``SCENARIO`` with the path of your own scenario file (``guardsim validate`` checks it),
and the numbers with the ones your guardrail promises.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from guardsim.scenarios import Scenario
from guardsim.testing.pytest_plugin import Guardrail

#: A built-in scenario: ALL_AT_ONCE with a 10-minute final bake, watched by an alarm on the new
#: fleet's 5XX rate (> 2 % in 2 of 3 minutes). Use your own file: guardrail.load("my.yaml").
SCENARIO = "all-at-once-final-bake"
#: The traffic the claims are about, in requests per second.
RATE = 20.0
#: The blast radius promised: failed requests served by the new model before the rollback.
MAX_BLAST_RADIUS = 6000

#: The fixture is function-scoped but holds no state, so it is safe to share between the
#: examples Hypothesis generates; each example runs a Monte Carlo, so keep them few and give
#: them time.
PROPERTY = settings(
    max_examples=3,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)


@pytest.fixture
def scenario(guardrail: Guardrail) -> Scenario:
    """The scenario under test, at the traffic the claims are about."""
    return guardrail.with_traffic(guardrail.load(SCENARIO), rate_per_second=RATE)


@PROPERTY
@given(error_rate=st.floats(0.05, 1.0))
@pytest.mark.guardsim(replications=400)  # >= 381: enough to show a probability >= 0.99
def test_a_bad_model_is_rolled_back_quickly(
    guardrail: Guardrail, scenario: Scenario, error_rate: float
) -> None:
    """For every green 5XX rate in [5 %, 100 %] at 20 requests/s, the deployment rolls back
    with probability >= 0.99, and in 95 % of deployments fewer than MAX_BLAST_RADIUS failed
    requests reach users first."""
    bad = guardrail.with_green(scenario, error_rate_5xx=error_rate)
    guardrail.rolls_back(bad, at_least=0.99)
    guardrail.blast_radius_below(bad, MAX_BLAST_RADIUS, quantile=0.95, n=100)


def test_a_healthy_model_is_rarely_rolled_back(guardrail: Guardrail, scenario: Scenario) -> None:
    """A new model identical to the old one is rolled back (by noise) in at most 5 % of
    deployments."""
    estimate = guardrail.false_rollback_at_most(guardrail.healthy(scenario), 0.05)
    assert estimate.k == 0  # what this scenario does; the assertion above is the promise


def test_the_numbers_are_there_to_read(guardrail: Guardrail, scenario: Scenario) -> None:
    """Estimates without an assertion, e.g. to print or to compare two configurations."""
    bad = guardrail.with_green(scenario, error_rate_5xx=1.0)
    p = guardrail.rollback_probability(bad, n=50)
    radius = guardrail.blast_radius(bad, 0.5, n=50)
    assert p.low > 0.9  # p.k of p.n runs rolled back; (p.low, p.high) is its 95 % interval
    assert 0 < radius.value < MAX_BLAST_RADIUS  # the median failed requests before rollback
