"""Short scenarios for the Monte Carlo tests: fast mode, a 5-minute warm-up, no cool-down.

(A uniquely named module, not conftest.py: test files import from it, and pytest imports every
directory's conftest.py under the same module name.)
"""

from __future__ import annotations

from typing import Any

from guardsim.scenarios import Scenario, check_scenario_dict, load_scenario

ERROR_ALARM = "TEST-DEMO-Deployment-Guardrails-Canary-5XX-Errors"
LATENCY_ALARM = "TEST-DEMO-Deployment-Guardrails-Canary-Model-Latency"


def quick(name: str, **sections: dict[str, Any]) -> Scenario:
    """A built-in scenario with a short warm-up and no cool-down (runs take a few ms)."""
    data = load_scenario(name).to_dict()
    data["simulation"].update(warmup_seconds=300.0, cooldown_seconds=0.0)
    for section, values in sections.items():
        data[section].update(values)
    result = check_scenario_dict(data, source=f"<quick {name}>")
    assert result.scenario is not None, result.errors
    return result.scenario
