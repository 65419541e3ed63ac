"""``SimulatedBackend``: the simulator behind the one-method :class:`~guardsim.backend.Backend`
protocol (the real backend's adapter is tested in ``tests/real_backend``)."""

from __future__ import annotations

import pytest

import guardsim
from guardsim.backend import Backend, SimulatedBackend
from guardsim.errors import GuardsimError
from guardsim.montecarlo.monte_carlo import monte_carlo
from guardsim.scenarios.loading import load_scenario
from guardsim.simulator.engine import simulate


def test_a_simulated_run_is_simulate() -> None:
    scenario = load_scenario("seed-canary-rollback")
    backend = SimulatedBackend(mode="fast")
    assert isinstance(backend, Backend)
    record = backend.run(scenario, seed=11)
    assert record.to_json() == simulate(scenario, seed=11, mode="fast").to_json()
    assert record.seed == 11 and record.mode == "fast"
    exact = SimulatedBackend().run(scenario, seed=11)  # the scenario's own mode
    assert exact.to_json() == simulate(scenario, seed=11).to_json()


def test_replications_are_the_rows_of_a_monte_carlo_run() -> None:
    scenario = load_scenario("seed-canary-rollback")
    records = SimulatedBackend(mode="fast", detail=False).replications(scenario, 4, seed=3)
    runs = monte_carlo(scenario, 4, seed=3, mode="fast", workers=1).runs
    assert [r.outcome for r in records] == list(runs["outcome"])
    assert [r.summary.green_errors for r in records] == list(runs["green_errors"])
    assert len({r.summary.deployment_seconds for r in records}) > 1, "independent runs"
    # the default base seed is the scenario's own
    default = SimulatedBackend(mode="fast", detail=False).replications(scenario, 1)
    again = simulate(scenario, seed=scenario.simulation.seed, mode="fast", replication=0)
    assert default[0].summary == again.summary


def test_an_unknown_mode_is_refused_by_name() -> None:
    with pytest.raises(GuardsimError, match=r"mode must be one of exact, fast.*'batch'"):
        SimulatedBackend(mode="batch")


def test_the_backends_are_public() -> None:
    assert guardsim.SimulatedBackend is SimulatedBackend
    assert guardsim.Backend is Backend
    assert guardsim.RealBackend.__module__ == "guardsim.backend"
