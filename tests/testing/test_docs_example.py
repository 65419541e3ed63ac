"""The example test file in the docs (docs/examples/test_my_guardrail.py) passes as a user runs it.

It is copied to an empty directory (no pyproject, no conftest: a user's project) and run with
pytest in a subprocess, with warnings as errors, so the example can never rot.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

EXAMPLE = Path(__file__).resolve().parents[2] / "docs" / "examples" / "test_my_guardrail.py"


def test_the_docs_example_passes_when_copied_into_a_project(tmp_path: Path) -> None:
    shutil.copy(EXAMPLE, tmp_path / EXAMPLE.name)
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-W", "error", "-p", "no:cacheprovider"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "3 passed" in proc.stdout
