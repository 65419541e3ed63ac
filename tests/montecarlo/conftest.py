"""Fixtures of the Monte Carlo tests (helpers live in mc_helpers.py)."""

from __future__ import annotations

import pytest
from mc_helpers import quick

from guardsim.scenarios import Scenario


@pytest.fixture(scope="session")
def bad() -> Scenario:
    """The blog post's incompatible model: the latency alarm rolls it back."""
    return quick("seed-canary-rollback")


@pytest.fixture(scope="session")
def healthy() -> Scenario:
    """The same canary with the correct model: it succeeds."""
    return quick("seed-canary-success")
