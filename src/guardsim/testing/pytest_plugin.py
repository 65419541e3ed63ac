"""The guardsim pytest plugin: the ``guardrail`` fixture and ``--guardsim-replications``; the
``mock_aws`` fixture (guardsim's local emulator, :mod:`guardsim.testing.mock`).

Installed with guardsim and registered through the ``pytest11`` entry point (name ``guardsim``),
so any project that has guardsim installed can write::

    def test_the_canary_catches_a_bad_model(guardrail):
        scenario = guardrail.load("seed-canary-rollback")
        guardrail.rolls_back(guardrail.with_green(scenario, error_rate_5xx=0.2), at_least=0.99)

The fixture is a :class:`Guardrail`: the helpers of :mod:`guardsim.testing.guardrail` with this
test's defaults for the number of replications and the base seed. Defaults, most specific
first: ``@pytest.mark.guardsim(replications=N, seed=S)`` on the test, then the command-line
options ``--guardsim-replications N`` and ``--guardsim-seed S``, then the helpers' own (a
replication count chosen from the claimed bound, base seed 0).

The plugin imports nothing from guardsim until the fixture is used, and never needs
Hypothesis, so registering it costs a project's test run nothing. Disable it with
``-p no:guardsim``.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from guardsim.scenarios.scenario import Scenario
    from guardsim.testing.guardrail import Estimate, QuantileEstimate
    from guardsim.testing.mock import MockAWS


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("guardsim", "guardsim guardrail property tests")
    group.addoption(
        "--guardsim-replications",
        type=int,
        default=None,
        metavar="N",
        help="Monte Carlo replications per estimate or assertion of the guardrail fixture "
        "(default: enough to show the claimed bound)",
    )
    group.addoption(
        "--guardsim-seed",
        type=int,
        default=None,
        metavar="S",
        help="base seed of the guardrail fixture's Monte Carlo runs (default 0)",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "guardsim(replications=None, seed=None): defaults of the guardrail fixture for this test",
    )
    config.addinivalue_line(
        "markers",
        "guardsim_world(world): the world (file or dict) of the mock_aws fixture for this test",
    )


@dataclass(frozen=True)
class Guardrail:
    """The guardrail helpers with one test's defaults: ``n`` replications (None: the helpers'
    own choice) and base ``seed``. Every method takes ``n=``/``seed=`` to override them."""

    n: int | None = None
    seed: int = 0
    workers: int | None = 1

    def load(self, ref: str | Path) -> Scenario:
        """A built-in scenario by name, or a scenario file (raises ScenarioError if invalid)."""
        from guardsim.scenarios.loading import load_scenario

        return load_scenario(ref)

    def with_green(self, scenario: Scenario, **changes: Any) -> Scenario:
        """See :func:`guardsim.testing.guardrail.with_green`."""
        from guardsim.testing.guardrail import with_green

        return with_green(scenario, **changes)

    def healthy(self, scenario: Scenario) -> Scenario:
        """See :func:`guardsim.testing.guardrail.healthy`."""
        from guardsim.testing.guardrail import healthy

        return healthy(scenario)

    def with_traffic(self, scenario: Scenario, *, rate_per_second: float) -> Scenario:
        """See :func:`guardsim.testing.guardrail.with_traffic`."""
        from guardsim.testing.guardrail import with_traffic

        return with_traffic(scenario, rate_per_second=rate_per_second)

    def _n(self, n: int | None, default: int | None) -> int | None:
        return n if n is not None else self.n if self.n is not None else default

    def _seed(self, seed: int | None) -> int:
        return self.seed if seed is None else seed

    def rollback_probability(
        self, scenario: Scenario, *, n: int | None = None, seed: int | None = None
    ) -> Estimate:
        from guardsim.testing.guardrail import rollback_probability

        count = self._n(n, 200)
        assert count is not None
        return rollback_probability(scenario, count, self._seed(seed), workers=self.workers)

    def blast_radius(
        self,
        scenario: Scenario,
        quantile: float = 0.95,
        *,
        metric: str = "green_errors",
        n: int | None = None,
        seed: int | None = None,
    ) -> QuantileEstimate:
        from guardsim.testing.guardrail import blast_radius

        count = self._n(n, 200)
        assert count is not None
        return blast_radius(
            scenario, count, self._seed(seed), quantile, metric=metric, workers=self.workers
        )

    def rolls_back(
        self,
        scenario: Scenario,
        at_least: float = 0.99,
        *,
        n: int | None = None,
        seed: int | None = None,
    ) -> Estimate:
        """Assert a rollback probability ``>= at_least`` (see ``assert_rolls_back``)."""
        from guardsim.testing.guardrail import assert_rolls_back

        return assert_rolls_back(
            scenario, at_least, n=self._n(n, None), seed=self._seed(seed), workers=self.workers
        )

    def false_rollback_at_most(
        self,
        scenario: Scenario,
        p: float = 0.05,
        *,
        n: int | None = None,
        seed: int | None = None,
    ) -> Estimate:
        """Assert a rollback probability ``<= p`` (see ``assert_false_rollback_at_most``)."""
        from guardsim.testing.guardrail import assert_false_rollback_at_most

        return assert_false_rollback_at_most(
            scenario, p, n=self._n(n, None), seed=self._seed(seed), workers=self.workers
        )

    def blast_radius_below(
        self,
        scenario: Scenario,
        requests: float,
        quantile: float = 0.95,
        *,
        metric: str = "green_errors",
        n: int | None = None,
        seed: int | None = None,
    ) -> QuantileEstimate:
        """Assert a blast-radius quantile below ``requests`` (``assert_blast_radius_below``)."""
        from guardsim.testing.guardrail import assert_blast_radius_below

        count = self._n(n, 200)
        assert count is not None
        return assert_blast_radius_below(
            scenario,
            requests,
            quantile,
            n=count,
            seed=self._seed(seed),
            metric=metric,
            workers=self.workers,
        )


def _marker_defaults(request: pytest.FixtureRequest) -> Mapping[str, Any]:
    marker = request.node.get_closest_marker("guardsim")
    if marker is None:
        return {}
    unknown: Sequence[str] = sorted(set(marker.kwargs) - {"replications", "seed"})
    if marker.args or unknown:
        raise pytest.UsageError(
            "@pytest.mark.guardsim takes only the keywords replications= and seed=, got "
            f"{marker.args or ''}{unknown or ''}"
        )
    kwargs: Mapping[str, Any] = marker.kwargs
    return kwargs


@pytest.fixture
def guardrail(request: pytest.FixtureRequest) -> Guardrail:
    """guardsim's guardrail helpers with this test's replication count and seed."""
    marks = _marker_defaults(request)
    n = marks.get("replications", request.config.getoption("guardsim_replications"))
    seed = marks.get("seed", request.config.getoption("guardsim_seed"))
    return Guardrail(n=n, seed=0 if seed is None else seed)


@pytest.fixture
def guardsim_world(request: pytest.FixtureRequest) -> Any:
    """The world of the ``mock_aws`` fixture: ``@pytest.mark.guardsim_world(FILE_OR_DICT)`` on
    the test, else None (the scenario defaults). Override this fixture in a conftest.py to give
    a whole directory of tests one world."""
    marker = request.node.get_closest_marker("guardsim_world")
    if marker is None:
        return None
    if len(marker.args) != 1 or marker.kwargs:
        raise pytest.UsageError("@pytest.mark.guardsim_world takes one argument: a file or dict")
    return marker.args[0]


@pytest.fixture
def mock_aws(guardsim_world: Any) -> Iterator[MockAWS]:
    """guardsim's emulator of SageMaker, SageMaker Runtime and CloudWatch for this test, on a
    virtual clock (:func:`guardsim.testing.mock_aws`; the world from ``guardsim_world``)."""
    from guardsim.testing.mock import mock_aws as _mock_aws

    with _mock_aws(world=guardsim_world) as aws:
        yield aws
