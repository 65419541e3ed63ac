"""guardsim.intervals: the one Wilson interval, cheap to import."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from guardsim import intervals


def test_every_caller_uses_the_one_interval() -> None:
    from guardsim.lint import evidence, rules
    from guardsim.montecarlo import monte_carlo
    from guardsim.testing import guardrail

    for module in (evidence, rules, monte_carlo, guardrail):
        assert module.wilson_interval is intervals.wilson_interval, module.__name__
    assert guardrail.Z95 is intervals.Z95


def test_known_values() -> None:
    # 95 %: 0 of 10 -> (0, z^2 / (10 + z^2)); 5 of 10 is symmetric about 1/2
    z2 = intervals.Z95**2
    assert intervals.wilson_interval(0, 10) == (0.0, pytest.approx(z2 / (10 + z2), rel=1e-12))
    low, high = intervals.wilson_interval(5, 10)
    assert low == pytest.approx(1.0 - high, rel=1e-12)
    assert low == pytest.approx(0.2365930905, rel=1e-9)


def test_it_imports_only_the_standard_library() -> None:
    """Cheap for every caller (lint, reports, the pytest helpers): no numpy, no guardsim."""
    tree = ast.parse(Path(intervals.__file__).read_text(encoding="utf-8"))
    imported = {
        name
        for node in ast.walk(tree)
        for name in (
            [a.name for a in node.names]
            if isinstance(node, ast.Import)
            else [node.module or ""]
            if isinstance(node, ast.ImportFrom)
            else []
        )
    }
    assert imported <= {"__future__", "math"}, imported
