"""Imported once by the local executor's forkserver, so every forked worker starts warm.

Importing this module loads guardsim's simulator, numpy, pandas and SimPy, and reads one
built-in scenario, which loads and caches botocore's service models (the scenario validation
that rebuilds a Monte Carlo scenario in a worker needs them; loading them takes a few hundred
milliseconds per process). Workers are forked from the server after this, so they inherit all of
it instead of paying it each.
"""

from __future__ import annotations

import contextlib

import guardsim.montecarlo.monte_carlo  # noqa: F401  (the worker's entry point and its imports)
from guardsim.scenarios.loading import read_scenario

# A warm-up only: if it failed, workers would load what they need themselves.
with contextlib.suppress(Exception):
    read_scenario("seed-canary-success")
