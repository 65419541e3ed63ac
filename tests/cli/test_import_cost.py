"""Starting guardsim is cheap: ``guardsim --version``, ``guardsim --help`` and the pytest plugin
(loaded by every pytest session of a project that has guardsim installed) import none of the
heavy packages, and each command imports only what it needs.

Each case runs in a fresh interpreter with ``-X importtime`` and reads the modules it imported
from that report (stderr), so nothing this test process already imported can hide a cost.
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

HEAVY = ("numpy", "pandas", "plotly", "botocore", "boto3", "scipy", "simpy")


def _imported(*args: str) -> set[str]:
    """Top-level packages a fresh ``python -X importtime ARGS`` imports."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    done = subprocess.run(
        [sys.executable, "-X", "importtime", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    names = set()
    for line in done.stderr.splitlines():
        if line.startswith("import time:") and "|" in line:
            name = line.rsplit("|", 1)[1].strip()
            if name != "imported package":
                names.add(name.split(".")[0])
    assert "guardsim" in names or "guardsim" in args[-1]  # the report was read at all
    return names


@pytest.mark.parametrize(
    "args",
    [
        ("-m", "guardsim", "--version"),
        ("-m", "guardsim", "--help"),
        ("-c", "import guardsim.testing.pytest_plugin"),
        ("-c", "import guardsim"),
        ("-c", "from guardsim.cli.main import build_parser; build_parser()"),
    ],
    ids=["version", "help", "pytest-plugin", "import-guardsim", "build-parser"],
)
def test_starting_imports_nothing_heavy(args: tuple[str, ...]) -> None:
    assert not _imported(*args) & set(HEAVY)


def test_validate_does_not_import_the_simulator_or_the_analysis_packages() -> None:
    imported = _imported("-m", "guardsim", "validate", "seed-canary-rollback")
    assert not imported & {"simpy", "pandas", "plotly", "scipy", "boto3"}


def test_the_heavy_names_still_load_on_first_use() -> None:
    code = (
        "import sys, guardsim\n"
        "assert 'simpy' not in sys.modules\n"
        "guardsim.simulate\n"
        "assert 'simpy' in sys.modules\n"
    )
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    subprocess.run([sys.executable, "-c", code], check=True, env=env, timeout=120)
