"""One owner per checkpoint and per output: concurrent sweeps refuse, or wait, and never
duplicate a configuration.

The acceptance test runs a real ``guardsim sweep`` subprocess and, while it holds its checkpoint,
starts other sweeps (in this process, and one more subprocess with ``--wait-for-lock``).
"""

from __future__ import annotations

import contextlib
import json
import multiprocessing
import os
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from subprocess_helpers import (
    CONFIGURATIONS,
    checkpoint_lines,
    run_here,
    scenario_file,
    start,
    sweep_args,
    wait_until,
)

from guardsim.errors import CheckpointError
from guardsim.montecarlo.locking import LockHeld, held_here, hold, lock_path, read_holder


def test_concurrent_sweeps_on_one_checkpoint(tmp_path: Path) -> None:
    scenario = scenario_file(tmp_path)
    out = tmp_path / "a.csv"
    checkpoint = tmp_path / "a.checkpoint"
    lock = lock_path(checkpoint)
    gate = contextlib.ExitStack()
    # This process holds the first sweep's second output, so the first sweep, once it owns
    # its checkpoint and its first output, waits there for as long as the test needs.
    gated = tmp_path / "gate.csv"
    gate.enter_context(hold(gated, f"output {gated}"))
    first_args = sweep_args(scenario, out, "--workers", "1", "--wait-for-lock")
    first = start([*first_args, "--out", str(gated)], tmp_path)
    try:
        wait_until(lambda: read_holder(lock).get("pid") == first.pid, first, "the lock")

        # a second sweep on the same checkpoint refuses at once, naming the holder
        status, _, err = run_here(
            sweep_args(
                scenario, tmp_path / "b.csv", "--checkpoint", str(checkpoint), "--workers", "1"
            )
        )
        assert status == 2
        assert f"checkpoint {checkpoint} is in use by process {first.pid}" in err
        assert "--wait-for-lock" in err
        assert not (tmp_path / "b.csv").exists()

        # a sweep on another checkpoint but the same output refuses too
        other = tmp_path / "c.checkpoint"
        status, _, err = run_here(
            sweep_args(scenario, out, "--checkpoint", str(other), "--workers", "1")
        )
        assert status == 2
        assert f"output {out} is in use by process {first.pid}" in err
        assert not other.exists()

        # one more that waits: it runs after the first and takes every row from the checkpoint
        waiter_args = ["--checkpoint", str(checkpoint), "--wait-for-lock", "--workers", "1"]
        waiter = start(sweep_args(scenario, tmp_path / "w.csv", *waiter_args), tmp_path)
    finally:
        gate.close()  # let the first sweep go on
    _, first_err = first.communicate(timeout=300)
    assert first.returncode == 0, first_err
    assert f"waiting for process {os.getpid()}" in first_err
    waiter_out, waiter_err = waiter.communicate(timeout=300)
    assert waiter.returncode == 0, waiter_err
    assert f"{CONFIGURATIONS} configuration(s) taken from the checkpoint" in waiter_out

    table = pd.read_csv(out)
    assert len(table) == CONFIGURATIONS
    assert table["config_key"].is_unique
    keys = [json.loads(line)["key"] for line in checkpoint_lines(checkpoint)]
    assert sorted(keys) == sorted(table["config_key"])  # each configuration computed once
    assert (tmp_path / "w.csv").read_bytes() == out.read_bytes()
    assert (tmp_path / "gate.csv").read_bytes() == out.read_bytes()
    assert not lock.exists() and not lock_path(out).exists()  # released and removed


def _try_lock(path: str, queue: multiprocessing.Queue[str]) -> None:
    try:
        with hold(path, "checkpoint x"):
            queue.put("got it")
    except LockHeld as exc:
        queue.put(f"held by {exc.holder.get('pid')}")


def test_hold_is_exclusive_across_processes_and_reentrant_within_one(tmp_path: Path) -> None:
    target = tmp_path / "x.checkpoint"
    ctx = multiprocessing.get_context("forkserver")
    with hold(target, "checkpoint x") as lock_file:
        with hold(target, "checkpoint x"):  # re-entrant: the CLI and run_sweep both take it
            assert held_here(target)
        assert held_here(target)
        assert read_holder(lock_file)["pid"] == os.getpid()
        queue: multiprocessing.Queue[str] = ctx.Queue()
        other = ctx.Process(target=_try_lock, args=(str(target), queue))
        other.start()
        other.join(60)
        assert queue.get(timeout=5) == f"held by {os.getpid()}"
    assert not held_here(target)
    assert not lock_file.exists()
    other = ctx.Process(target=_try_lock, args=(str(target), queue))
    other.start()
    other.join(60)
    assert queue.get(timeout=5) == "got it"


def test_lock_file_that_cannot_be_created_is_a_clear_error(tmp_path: Path) -> None:
    missing = tmp_path / "missing-folder" / "x.checkpoint"
    with pytest.raises(CheckpointError, match="cannot create the lock file"), hold(missing, "x"):
        pass


def _hold_until_set(path: str, held: Any, release: Any) -> None:
    with hold(path, f"output {path}"):
        held.set()
        release.wait(120)


def test_mc_refuses_an_output_another_process_holds_and_writes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # two `mc` runs on one --json would overwrite each other's result: the second refuses
    # before simulating, names the holder, and leaves the held file and its other outputs alone
    from guardsim.cli.main import main

    result = tmp_path / "result.json"
    held_csv = tmp_path / "runs.csv"
    ctx = multiprocessing.get_context("forkserver")
    held, release = ctx.Event(), ctx.Event()
    holder = ctx.Process(target=_hold_until_set, args=(str(held_csv), held, release))
    holder.start()
    try:
        assert held.wait(60)
        status = main(
            ["mc", "seed-canary-rollback", "-n", "5", "--json", str(result), "--csv", str(held_csv)]
        )
        err = capsys.readouterr().err
        assert status == 2
        assert f"output {held_csv} is in use by process {holder.pid}" in err
        assert "--wait-for-lock" in err
        assert not result.exists() and not held_csv.exists()
        assert not lock_path(result).exists()  # the lock it did take first was given back
    finally:
        release.set()
        holder.join(60)
    # once the holder is gone, the same command runs and writes both
    assert (
        main(
            ["mc", "seed-canary-rollback", "-n", "5", "--json", str(result), "--csv", str(held_csv)]
        )
        == 0
    )
    assert json.loads(result.read_text())["n"] == 5
    assert len(pd.read_csv(held_csv)) == 5
    assert not lock_path(result).exists() and not lock_path(held_csv).exists()
