"""A plain script that calls ``guardsim.sweep()`` at module level, with no
``if __name__ == "__main__":`` guard, works: its workers do not run the script again.

Each script runs in a fresh interpreter, as a user runs it, with a local pool of two workers
(forkserver on Linux, spawn elsewhere) and enough configurations that the pool is used.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

SWEEP = """
import guardsim

print("top level ran")
scenario = guardsim.load_scenario("seed-canary-success")
result = guardsim.sweep(
    scenario,
    ["deployment_config.BlueGreenUpdatePolicy.TrafficRoutingConfiguration.WaitIntervalInSeconds"
     "=120,300,600", "models.green.error_rate_5xx=0,0.05"],
    20,
    mode="fast",
    executor="local",
    workers=2,
)
print("rows", len(result.table))
"""

MC = """
import guardsim

print("top level ran")
result = guardsim.monte_carlo(
    guardsim.load_scenario("seed-canary-rollback"), 40, mode="fast", executor="local", workers=2,
    chunk_size=5,
)
print("runs", len(result.runs))
"""


def run_script(tmp_path: Path, text: str, *args: str) -> subprocess.CompletedProcess[str]:
    script = tmp_path / "script.py"
    script.write_text(text, encoding="utf-8")
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(
        [str(ROOT / "src"), *filter(None, [os.environ.get("PYTHONPATH")])]
    )
    return subprocess.run(
        [sys.executable, *args],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )


@pytest.mark.parametrize(("text", "expected"), [(SWEEP, "rows 6"), (MC, "runs 40")])
def test_an_unguarded_script_runs_once_and_finishes(
    tmp_path: Path, text: str, expected: str
) -> None:
    proc = run_script(tmp_path, text, "script.py")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.count("top level ran") == 1, proc.stdout
    assert expected in proc.stdout.splitlines()
    assert "Traceback" not in proc.stderr


def test_an_unguarded_module_run_with_dash_m_runs_once(tmp_path: Path) -> None:
    proc = run_script(tmp_path, SWEEP, "-m", "script")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.count("top level ran") == 1, proc.stdout
    assert "rows 6" in proc.stdout.splitlines()


def test_the_caller_main_is_restored_after_the_workers_start() -> None:
    from guardsim.montecarlo.executors import _caller_main_hidden

    main = sys.modules["__main__"]
    before = (main.__dict__.get("__file__"), main.__dict__.get("__spec__"))
    with _caller_main_hidden(len):
        assert "__file__" not in main.__dict__
        assert main.__dict__.get("__spec__") is None
    assert (main.__dict__.get("__file__"), main.__dict__.get("__spec__")) == before
