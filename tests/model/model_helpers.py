"""Scenarios shared by the fault-onset and fault-protocol tests."""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np
import numpy.typing as npt

from guardsim.batch.engine import _Block, _Prepared
from guardsim.scenarios import Scenario, load_scenario, scenario_from_dict
from guardsim.simulator import simulate
from guardsim.simulator.engine import Run

#: 120 requests/s, Poisson; canary of 1 of 3 instances at 110 s (provisioning 100 s, activation
#: 10 s, both fixed), bake 300 s, all traffic on green from 420 s exactly (a minute boundary),
#: so the minute [420, 480) is all green and has no routing change.
RATE = 120.0
ALL_GREEN_AT = 420.0


def scenario(faults: list[dict[str, Any]] | None = None) -> Scenario:
    data = load_scenario("seed-canary-success").to_dict()
    data["name"] = "fault-onset"
    data["simulation"] = {"warmup_seconds": 300, "cooldown_seconds": 0, "seed": 0}
    data["environment"] = {
        "provisioning_seconds": {"kind": "fixed", "value": 100},
        "activation_seconds": {"kind": "fixed", "value": 10},
    }
    data["traffic"] = {"rate_per_second": RATE, "arrivals": "poisson"}
    data["models"]["green"]["faults"] = faults or []
    return scenario_from_dict(data)  # raises ScenarioError with every problem if invalid


def with_green_faults(base: Scenario, *faults: object) -> Scenario:
    """``base`` with green's faults replaced (for fault kinds the loader does not know)."""
    green = dataclasses.replace(base.models.green, faults=faults)  # type: ignore[arg-type]
    return dataclasses.replace(base, models=dataclasses.replace(base.models, green=green))


def exact_requests(s: Scenario, seed: int = 3) -> tuple[npt.NDArray[np.float64], ...]:
    """Exact mode's green requests: (arrival times, status codes), in time order."""
    run = Run(s, seed, "exact")
    plane = run.dataplane
    plane.request_log = []  # type: ignore[attr-defined]
    run.execute()
    log = [(t, c) for fleet, t, c in plane.request_log if fleet == "green"]  # type: ignore[attr-defined]
    times = np.concatenate([t for t, _ in log])
    codes = np.concatenate([c for _, c in log])
    order = np.argsort(times, kind="stable")
    return times[order], codes[order].astype(np.float64)


def fast_minute(s: Scenario, minute: float, seed: int = 3) -> tuple[int, int]:
    """Fast mode's green (requests, 5XX errors) in the minute starting at ``minute``, from the
    run record's per-minute datapoints (``dimensions`` ``green``: the new config's metrics)."""
    d = simulate(s, seed=seed, mode="fast").datapoints
    found: dict[str, float] = {}
    for metric, dims, ts, total in zip(
        d["metric"], d["dimensions"], d["timestamp"], d["sum"], strict=True
    ):
        if dims == "green" and ts == minute and metric in ("Invocations", "Invocation5XXErrors"):
            found[metric] = total
    return int(found["Invocations"]), int(found["Invocation5XXErrors"])


def batch_minute(
    s: Scenario, minute: float, seed: int = 3
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """The batch engine's green (requests, 5XX errors) per replication of one block, in the
    minute starting at ``minute``."""
    prep = _Prepared(s)
    block = _Block(prep, seed, 0)
    block.run()
    j = int(minute // 60) - block.origin  # the block's arrays start at its first minute read
    return block.n["green"][:, j], block.errors[("green", "Invocation5XXErrors")][:, j]
