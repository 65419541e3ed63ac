"""The guardsim pytest plugin: registered by the entry point, the ``guardrail`` fixture's
defaults (marker, options), and no dependency on Hypothesis.

Each test runs pytest in a subprocess on a small test file in an empty directory, as in a user's
project (the plugin is loaded through the installed ``pytest11`` entry point).
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from guardsim.testing.pytest_plugin import Guardrail

PROBE = """
import pytest

def test_defaults(guardrail):
    print(f"\\nDEFAULTS n={guardrail.n} seed={guardrail.seed}")

@pytest.mark.guardsim(replications=12, seed=5)
def test_marker(guardrail):
    print(f"\\nMARKER n={guardrail.n} seed={guardrail.seed}")
    est = guardrail.rollback_probability(guardrail.load("seed-canary-rollback"))
    assert (est.n, est.seed) == (12, 5)
"""


def _pytest(tmp_path: Path, source: str, *args: str, pythonpath: Path | None = None) -> str:
    (tmp_path / "test_probe.py").write_text(textwrap.dedent(source))
    env = dict(os.environ)
    if pythonpath is not None:
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(pythonpath), env.get("PYTHONPATH")]))
    options = ["-q", "-s", "-W", "error", "-p", "no:cacheprovider", *args]
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", *options],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc.stdout


def test_the_entry_point_registers_the_plugin_and_the_fixture_takes_defaults(
    tmp_path: Path,
) -> None:
    out = _pytest(tmp_path, PROBE)
    assert "DEFAULTS n=None seed=0" in out
    assert "MARKER n=12 seed=5" in out


def test_the_options_set_the_defaults_and_the_marker_wins(tmp_path: Path) -> None:
    out = _pytest(tmp_path, PROBE, "--guardsim-replications", "30", "--guardsim-seed", "9")
    assert "DEFAULTS n=30 seed=9" in out
    assert "MARKER n=12 seed=5" in out


def test_the_plugin_and_the_helpers_work_without_hypothesis(tmp_path: Path) -> None:
    source = """
    import sys
    import pytest

    def test_no_hypothesis(guardrail):
        assert "hypothesis" not in sys.modules
        bad = guardrail.with_green(guardrail.load("seed-canary-rollback"), error_rate_5xx=1.0)
        assert guardrail.rollback_probability(bad, n=10).k == 10

    def test_strategies_say_how_to_install_hypothesis():
        with pytest.raises(ImportError, match=r"pip install guardsim\\[test\\]"):
            from guardsim.testing import scenarios  # noqa: F401
    """
    # Hypothesis "not installed": a package of that name that fails to import shadows it (a
    # meta-path hook would be bypassed by pytest's own assertion-rewriting finder)
    shadow = tmp_path / "shadow" / "hypothesis"
    shadow.mkdir(parents=True)
    (shadow / "__init__.py").write_text(
        "raise ModuleNotFoundError(\"No module named 'hypothesis'\", name='hypothesis')\n"
    )
    out = _pytest(tmp_path, source, "-p", "no:hypothesispytest", pythonpath=shadow.parent)
    assert "2 passed" in out


def test_a_marker_with_unknown_arguments_is_a_usage_error(tmp_path: Path) -> None:
    (tmp_path / "test_probe.py").write_text(
        "import pytest\n\n@pytest.mark.guardsim(n=3)\ndef test_x(guardrail):\n    pass\n"
    )
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode != 0
    assert "takes only the keywords replications= and seed=" in proc.stdout + proc.stderr


@pytest.mark.parametrize(
    ("n", "option", "default", "expected"),
    [(7, 30, 200, 7), (None, 30, 200, 30), (None, None, 200, 200), (None, None, None, None)],
)
def test_the_replication_count_precedence(
    n: int | None, option: int | None, default: int | None, expected: int | None
) -> None:
    assert Guardrail(n=option)._n(n, default) == expected
