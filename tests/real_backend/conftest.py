"""Fixtures of the real backend's tests."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from real_helpers import emulated

from guardsim.cli import real as real_cli
from guardsim.emulator.clients import EmulatedAWS
from guardsim.scenarios import Scenario


@pytest.fixture
def payload(tmp_path: Path) -> Path:
    path = tmp_path / "payload.csv"
    path.write_text("0.1,0.2,0.3\n0.4,0.5,0.6\n", encoding="utf-8")
    return path


@pytest.fixture
def fake_cli(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., EmulatedAWS]]:
    """Point ``guardsim real`` at guardsim's emulator in the world of ``truth``:
    ``fake_cli(truth, faults=...)`` returns it."""

    def install(truth: Scenario | None = None, **kwargs: Any) -> EmulatedAWS:
        fake = emulated(truth, **kwargs)
        monkeypatch.setattr(real_cli, "connect", lambda region: (fake, fake.clock))
        return fake

    yield install
