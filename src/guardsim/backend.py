"""Backends: whatever turns a scenario into a run record.

One method, as in httpx's transports (``handle_request(request) -> response``)::

    class Backend(Protocol):
        def run(self, scenario: Scenario, *, seed: int) -> RunRecord: ...

Two implementations:

* :class:`SimulatedBackend` runs the simulator (:func:`guardsim.simulator.engine.simulate`) in
  ``exact`` or ``fast`` mode. It can also run **replication** ``i`` of a base seed, the stream
  ``SeedSequence(seed).spawn(n)[i]`` a Monte Carlo run gives its replication ``i``
  (:meth:`SimulatedBackend.replications`);
* :class:`RealBackend` is a thin adapter over :func:`guardsim.real_backend.run.run_real`: one
  UpdateEndpoint on real SageMaker (or on guardsim's emulator), everything torn down again. The seed
  becomes the run's ``simulation.seed`` (it seeds the traffic driver's random payload choice and
  is written in the record).

Whatever needs a run (the CLI, :mod:`guardsim.montecarlo`) makes it with a backend and passes the
record on; reports and comparisons only read records (``tests/test_layering.py`` checks that
they import no engine). The engines are imported when a backend runs, not when this module is
imported.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from guardsim.errors import GuardsimError
from guardsim.record import RunRecord
from guardsim.scenarios.scenario import Scenario

if TYPE_CHECKING:
    from guardsim.real_backend.clients import ClientFactory
    from guardsim.real_backend.clock import Clock
    from guardsim.real_backend.run import RealRunResult

#: The simulator's modes a :class:`SimulatedBackend` runs (None: the scenario's own).
SIMULATED_MODES = ("exact", "fast")


@runtime_checkable
class Backend(Protocol):
    """Runs one UpdateEndpoint of a scenario and returns its run record."""

    def run(self, scenario: Scenario, *, seed: int) -> RunRecord:
        """One run of ``scenario`` with base seed ``seed``."""
        ...


@dataclass(frozen=True)
class SimulatedBackend:
    """The simulator as a backend.

    ``mode``: ``exact`` or ``fast`` (None: the scenario's ``simulation.mode``). ``detail``: keep
    the per-minute datapoints and every alarm evaluation in the record (``False``, as Monte Carlo
    runs, evaluates only the rollback alarms: same outcome and summary, much faster).
    """

    mode: str | None = None
    detail: bool = True

    def __post_init__(self) -> None:
        if self.mode is not None and self.mode not in SIMULATED_MODES:
            raise GuardsimError(
                f"SimulatedBackend: mode must be one of {', '.join(SIMULATED_MODES)} "
                f"(or None), got {self.mode!r}"
            )

    def run(self, scenario: Scenario, *, seed: int, replication: int | None = None) -> RunRecord:
        """``simulate(scenario, seed=seed, mode=mode, replication=replication, detail=detail)``:
        replication ``i`` reproduces row ``i`` of a Monte Carlo run of this mode and base seed."""
        from guardsim.simulator.engine import simulate

        return simulate(
            scenario, seed=seed, mode=self.mode, replication=replication, detail=self.detail
        )

    def replications(
        self, scenario: Scenario, n: int, *, seed: int | None = None
    ) -> list[RunRecord]:
        """Replications ``0 .. n-1`` of base seed ``seed`` (default: the scenario's
        ``simulation.seed``): ``n`` independent runs, the first ``n`` rows of a Monte Carlo run."""
        base = scenario.simulation.seed if seed is None else seed
        return [self.run(scenario, seed=base, replication=i) for i in range(n)]


def _quiet(_: str) -> None:
    pass


class RealBackend:
    """Real SageMaker and CloudWatch (or guardsim's emulator) as a backend: a thin adapter over
    :func:`guardsim.real_backend.run.run_real`.

    ``clients`` maps a service name to a botocore client
    (:func:`guardsim.real_backend.clients.boto3_clients`, or a
    :class:`~guardsim.emulator.EmulatedAWS`); ``clock`` is the run's clock. Each
    :meth:`run` creates the endpoint and everything it needs, runs the UpdateEndpoint and tears
    it all down. Its full :class:`~guardsim.real_backend.run.RealRunResult` (the teardown report,
    every request) is kept in :attr:`last`. A run that ends without a record (an AWS failure, a
    timeout) raises its error; Ctrl-C is raised again once teardown is done.
    """

    def __init__(
        self,
        clients: ClientFactory,
        clock: Clock,
        *,
        region: str | None = None,
        run_id: Callable[[], str] | None = None,
        progress: Callable[[str], None] = _quiet,
    ) -> None:
        self.clients = clients
        self.clock = clock
        self.region = region
        self.run_id = run_id
        self.progress = progress
        self.last: RealRunResult | None = None

    def run(self, scenario: Scenario, *, seed: int) -> RunRecord:
        from guardsim.real_backend.run import run_real

        result = run_real(
            scenario.with_seed(seed),
            clients=self.clients,
            clock=self.clock,
            run_id=self.run_id() if self.run_id is not None else None,
            region=self.region,
            progress=self.progress,
        )
        self.last = result
        if result.interrupted:
            raise KeyboardInterrupt
        if result.record is None:
            if result.error is not None:
                raise result.error
            raise GuardsimError(f"real run {result.plan.names.run_id} produced no run record")
        return result.record


__all__ = ["SIMULATED_MODES", "Backend", "RealBackend", "SimulatedBackend"]
