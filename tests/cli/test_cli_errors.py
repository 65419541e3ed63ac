"""How ``guardsim`` maps errors to exit statuses: 2 for bad input (any GuardsimError but a
SimulationError), 1 for a bug (a SimulationError or any other exception), never a traceback."""

from __future__ import annotations

import argparse
import io
from typing import TextIO

import pytest

from guardsim.cli import main
from guardsim.cli import scenarios as scenarios_cli
from guardsim.errors import (
    ArgumentError,
    AWSError,
    BatchUnsupportedError,
    GuardsimError,
    IllegalTransition,
    SimulationError,
)


def _run(argv: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    status = main(argv, out, err)
    return status, out.getvalue(), err.getvalue()


@pytest.mark.parametrize(
    ("error", "status"),
    [
        (ArgumentError("unknown mode 'x'"), 2),
        (BatchUnsupportedError("the batch engine does not simulate rolling deployments", "r"), 2),
        (AWSError("UpdateEndpoint", "ValidationException", "bad config"), 2),
        (GuardsimError("plain"), 2),
        (SimulationError("impossible state", "seed-canary-rollback", 7), 1),
        (IllegalTransition("BAKING", "update"), 1),
        (RuntimeError("boom"), 1),
    ],
    ids=lambda v: type(v).__name__ if isinstance(v, Exception) else str(v),
)
def test_exit_status_by_branch(
    monkeypatch: pytest.MonkeyPatch, error: Exception, status: int
) -> None:
    def fails(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
        raise error

    monkeypatch.setattr(scenarios_cli, "cmd_scenarios", fails)
    monkeypatch.delenv("GUARDSIM_DEBUG", raising=False)
    code, _, err = _run(["scenarios"])
    assert code == status
    assert str(error) in err
    assert "Traceback" not in err
    if status == 1:
        assert "internal error (a bug in guardsim, please report it)" in err
    else:
        assert "internal error" not in err


def test_a_simulation_error_reports_the_scenario_and_seed(monkeypatch: pytest.MonkeyPatch) -> None:
    def fails(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
        raise SimulationError("impossible state", "seed-canary-rollback", 7)

    monkeypatch.setattr(scenarios_cli, "cmd_scenarios", fails)
    code, _, err = _run(["scenarios"])
    assert code == 1
    assert "scenario='seed-canary-rollback', seed=7" in err


def test_mc_batch_mode_on_a_formerly_unsupported_scenario_runs() -> None:
    """Before issue 14 the batch engine refused rolling updates (exit 2, "use mode fast"); it
    runs every scenario now."""
    code, _, err = _run(["mc", "rolling-batch-rollback", "-n", "1", "--mode", "batch"])
    assert code == 0, err
    assert "use mode fast" not in err
