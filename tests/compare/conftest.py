"""Session fixtures: the visible and hidden scenarios, and the hidden scenarios' "real" runs."""

from __future__ import annotations

import pytest
from compare_helpers import HIDDEN_ENV, HIDDEN_GREEN, VISIBLE_ENV, real_runs, variant

from guardsim.record import RunRecord
from guardsim.scenarios.scenario import Scenario


@pytest.fixture(scope="session")
def success_visible() -> Scenario:
    return variant("seed-canary-success", VISIBLE_ENV)


@pytest.fixture(scope="session")
def success_truth() -> Scenario:
    return variant("seed-canary-success", HIDDEN_ENV, HIDDEN_GREEN)


@pytest.fixture(scope="session")
def success_reals(success_truth: Scenario, success_visible: Scenario) -> list[RunRecord]:
    return real_runs(success_truth, success_visible)


@pytest.fixture(scope="session")
def rollback_visible() -> Scenario:
    return variant("all-at-once-final-bake", VISIBLE_ENV)


@pytest.fixture(scope="session")
def rollback_truth() -> Scenario:
    return variant("all-at-once-final-bake", HIDDEN_ENV)


@pytest.fixture(scope="session")
def rollback_reals(rollback_truth: Scenario, rollback_visible: Scenario) -> list[RunRecord]:
    return real_runs(rollback_truth, rollback_visible)
