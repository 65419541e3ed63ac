"""Truth and predicted scenarios for the predicted-vs-real tests (a uniquely named module, not
conftest.py: test files import from it).

A "real" run here is what the fake AWS will produce: a simulation of a *hidden* scenario whose
environment (and model) differ from the scenario the user predicts with, recorded with
``mode: real`` and carrying the user's (visible) scenario definition. Calibration must recover
the hidden values from the records alone.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from guardsim.record import RunRecord
from guardsim.scenarios.loading import check_scenario_dict, load_scenario
from guardsim.scenarios.scenario import Scenario
from guardsim.simulator import simulate

#: What the user believes (the predicted scenario's environment).
VISIBLE_ENV: dict[str, Any] = {"metric_publish_delay_seconds": {"kind": "fixed", "value": 60.0}}
#: What the fake AWS really does.
HIDDEN_ENV: dict[str, Any] = {
    "metric_publish_delay_seconds": {"kind": "fixed", "value": 150.0},
    "provisioning_seconds": {"kind": "lognormal", "median": 420.0, "p99": 840.0},
    "rollback_seconds": {"kind": "fixed", "value": 40.0},
    "alarm_reaction_seconds": 20.0,
}
#: The new model really is slower and fails 2 % of requests (the user expects 3 ms, no errors).
HIDDEN_GREEN: dict[str, Any] = {
    "latency": {"median_ms": 5.0, "p99_ms": 15.0},
    "error_rate_5xx": 0.02,
}
#: Seeds of the real runs: far from the predictions' replications, so no shared random numbers.
REAL_SEEDS = tuple(range(100, 105))


def variant(
    name: str, env: dict[str, Any] | None = None, green: dict[str, Any] | None = None
) -> Scenario:
    data = load_scenario(name).to_dict()
    data["environment"].update(env or {})
    data["models"]["green"].update(green or {})
    result = check_scenario_dict(data, source=f"variant of {name}")
    assert result.scenario is not None, result.errors
    return result.scenario


def real_runs(
    truth: Scenario, visible: Scenario, seeds: tuple[int, ...] = REAL_SEEDS, *, detail: bool = True
) -> list[RunRecord]:
    """Runs of the hidden scenario, recorded as the real backend records them."""
    return [
        dataclasses.replace(
            simulate(truth, seed=s, mode="fast", detail=detail),
            mode="real",
            scenario_definition=visible.to_dict(),
        )
        for s in seeds
    ]
