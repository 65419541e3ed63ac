"""The representative runs a Monte Carlo report draws, simulated here (reports simulate nothing).

:func:`example_runs` makes them for :func:`guardsim.reports.montecarlo.mc_report`;
:func:`write_report` is what ``guardsim mc --report`` calls. Which rows are representative
(fastest detection, slowest, a false rollback) is a pure function of the runs table
(:func:`~guardsim.reports.montecarlo.representative_runs`); this module only runs them:

* a **fast** or **exact** result: replication ``i`` again, with ``detail=True``
  (``simulate(scenario, seed, mode=mode, replication=i)``), which reproduces row ``i`` exactly;
* a **batch** result: its rows cannot be re-simulated one by one (a batch replication's draws
  are shared with its block), so for each target row a fast-mode run like it is searched for:
  the first :data:`EXAMPLE_SEARCH` fast-mode replications with the same base seed are run
  (``detail=False``), :func:`~guardsim.reports.montecarlo.closest_like` picks the closest one
  whose detection time, blast radius and duration lie within the batch histograms' ranges, and
  that replication is re-simulated with ``detail=True``. Every marker the report draws thus lies
  within its histogram. A target no searched run is like is reported as unmatched, not drawn.
"""

from __future__ import annotations

from pathlib import Path

from guardsim.backend import SimulatedBackend
from guardsim.montecarlo.monte_carlo import monte_carlo
from guardsim.montecarlo.results import MonteCarloResult
from guardsim.reports.montecarlo import (
    Example,
    ExampleRuns,
    Representative,
    closest_like,
    histogram_ranges,
    is_healthy,
    like_label,
    representative_runs,
    write_mc_report,
)
from guardsim.scenarios.scenario import Scenario

#: Batch mode: how many fast-mode replications are searched for runs like the targets.
EXAMPLE_SEARCH = 200


def example_runs(
    result: MonteCarloResult, scenario: Scenario | None = None, *, search: int = EXAMPLE_SEARCH
) -> ExampleRuns:
    """The representative runs of ``result``, simulated with every detail (see the module
    docstring). ``scenario`` defaults to ``result.scenario``; ``search``: batch mode only."""
    scen = result.scenario if scenario is None else scenario
    picks = representative_runs(result, healthy=is_healthy(scen))
    if result.mode != "batch":
        backend = SimulatedBackend(mode=result.mode)
        return ExampleRuns(
            tuple(
                Example(
                    pick,
                    backend.run(scen, seed=result.seed, replication=pick.replication),
                    pick.replication,
                    result.mode,
                    pick.label,
                )
                for pick in picks
            )
        )
    candidates = monte_carlo(scen, search, seed=result.seed, mode="fast", executor="serial").runs
    ranges = histogram_ranges(result)
    backend = SimulatedBackend(mode="fast")
    found: list[Example] = []
    unmatched: list[Representative] = []
    for pick in picks:
        target = result.runs[result.runs["replication"] == pick.replication].iloc[0]
        i = closest_like(candidates, target, ranges, pick.kind)
        if i is None:
            unmatched.append(pick)
            continue
        record = backend.run(scen, seed=result.seed, replication=i)
        found.append(Example(pick, record, i, "fast", like_label(pick, target, i, record)))
    return ExampleRuns(tuple(found), tuple(unmatched), search)


def write_report(
    result: MonteCarloResult,
    path: str | Path,
    scenario: Scenario | None = None,
    *,
    search: int = EXAMPLE_SEARCH,
    plotly_js: str = "inline",
) -> ExampleRuns:
    """Write the Monte Carlo report of ``result`` with its representative runs
    (:func:`example_runs`); returns them. ``plotly_js`` as for
    :func:`~guardsim.reports.html.write_html`."""
    examples = example_runs(result, scenario, search=search)
    write_mc_report(result, path, examples, plotly_js=plotly_js)
    return examples


__all__ = ["EXAMPLE_SEARCH", "example_runs", "write_report"]
