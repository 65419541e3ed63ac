"""guardsim.intervals: the one Wilson interval, cheap to import."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from guardsim import errors, intervals


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


def _imports(path: str) -> set[str]:
    tree = ast.parse(Path(path).read_text(encoding="utf-8"))
    return {
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


def test_it_imports_only_the_standard_library() -> None:
    """Cheap for every caller (lint, reports, the pytest helpers): no numpy. Its one guardsim
    import is the exception tree (bad arguments raise ArgumentError), itself standard library
    only."""
    assert _imports(intervals.__file__) <= {"__future__", "math", "guardsim.errors"}
    assert _imports(errors.__file__) <= {"__future__", "collections.abc", "dataclasses", "typing"}


def test_bad_arguments_are_argument_errors() -> None:
    with pytest.raises(errors.ArgumentError, match="n must be >= 1"):
        intervals.wilson_interval(0, 0)
    with pytest.raises(ValueError, match="k must be between 0 and n=3"):
        intervals.wilson_interval(4, 3)
