"""Fixtures of the emulator tests: ``aws`` (mock_aws with the helpers' world) and ``aws_env``
(boto3's default chain with dummy credentials only, for clients of ``guardsim serve``)."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from emulator_helpers import START, WORLD
from serve_helpers import DUMMY_ENV

from guardsim.testing.mock import MockAWS, mock_aws


@pytest.fixture
def aws() -> Iterator[MockAWS]:
    with mock_aws(world=WORLD, start=START) as state:
        yield state


@pytest.fixture
def aws_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Nothing from this machine's AWS configuration: dummy credentials and region only."""
    for key in list(os.environ):
        if key.startswith("AWS_"):
            monkeypatch.delenv(key)
    for key, value in DUMMY_ENV.items():
        monkeypatch.setenv(key, value)
