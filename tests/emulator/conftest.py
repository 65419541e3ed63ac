"""The ``aws`` fixture of the emulator tests: mock_aws with the helpers' world."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from emulator_helpers import START, WORLD

from guardsim.testing.mock import MockAWS, mock_aws


@pytest.fixture
def aws() -> Iterator[MockAWS]:
    with mock_aws(world=WORLD, start=START) as state:
        yield state
