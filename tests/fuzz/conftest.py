"""Running the fuzz driver (``fuzz_driver.py``) in one subprocess, as the fuzz tests do."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import guardsim

DRIVER = Path(__file__).with_name("fuzz_driver.py")


def run_driver(mode: str, work: Path) -> dict[str, Any]:
    """The driver's JSON report of ``mode`` (``fuzz`` or ``corpus``), run in ONE subprocess:
    the driver limits its own address space to 4 GiB (``RLIMIT_AS``) before importing anything,
    which a test must not do to the whole pytest process."""
    src = str(Path(guardsim.__file__).resolve().parents[1])  # the guardsim under test
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([src, *filter(None, [os.environ.get("PYTHONPATH")])]),
        "PYTHONWARNINGS": "error",  # as pytest runs (warnings are errors)
        "LANGUAGE": "C",  # argparse's translation lookups: none to find
        "COLUMNS": "100",
        "LINES": "40",
        "OPENBLAS_NUM_THREADS": "1",
        "GUARDSIM_FUZZ_SCALE": "1",
    }
    env.pop("GUARDSIM_MAX_INPUT_MIB", None)
    done = subprocess.run(
        [sys.executable, str(DRIVER), mode, str(work)],
        env=env,
        capture_output=True,
        text=True,
        timeout=1800,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-4000:]
    result: dict[str, Any] = json.loads(done.stdout.splitlines()[-1])
    return result


@pytest.fixture(scope="module")
def driver() -> Callable[[str, Path], dict[str, Any]]:
    return run_driver
