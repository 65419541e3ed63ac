"""Helpers for the tests that run ``guardsim sweep`` as a real subprocess (locks, signals).

(A uniquely named module, like mc_helpers.py.) The sweep is small on purpose: four
configurations of a short fast-mode scenario, a few replications each, so a run takes a few
seconds, most of it the interpreter's start-up.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from mc_helpers import quick

import guardsim
from guardsim.cli.main import main

SRC = str(Path(guardsim.__file__).resolve().parents[1])
VARY = "alarms[0].Threshold=0.01,0.02,0.03,0.04"
CONFIGURATIONS = 4


def scenario_file(tmp_path: Path) -> Path:
    path = tmp_path / "scenario.json"
    path.write_text(json.dumps(quick("seed-canary-success").to_dict()))
    return path


def sweep_args(scenario: Path, out: Path, *extra: str, n: int = 10) -> list[str]:
    head = ["sweep", str(scenario), "--vary", VARY, "-n", str(n), "--mode", "fast"]
    return [*head, *extra, "--out", str(out)]


def start(args: list[str], cwd: Path) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": SRC, "PYTHONWARNINGS": "default"}
    return subprocess.Popen(
        [sys.executable, "-m", "guardsim", *args],
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def wait_until(condition: Callable[[], bool], proc: subprocess.Popen[str], what: str) -> None:
    deadline = time.monotonic() + 120
    while not condition():
        if proc.poll() is not None:
            _, err = proc.communicate()
            raise AssertionError(f"sweep ended (status {proc.returncode}) before {what}: {err}")
        if time.monotonic() > deadline:
            proc.kill()
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.01)


def checkpoint_lines(checkpoint: Path) -> list[str]:
    rows = checkpoint / "rows.jsonl"
    return rows.read_text().splitlines() if rows.exists() else []


def run_here(args: list[str]) -> tuple[int, str, str]:
    """``guardsim ARGS`` in this process: (status, stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    status = main(args, out, err)
    return status, out.getvalue(), err.getvalue()


def descendants(pid: int) -> set[int]:
    """Every live process below ``pid`` (Linux /proc), for the stray-process checks."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(ppid, []).append(int(entry.name))
    found: set[int] = set()
    todo = [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            if child not in found:
                found.add(child)
                todo.append(child)
    return found


def alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"
