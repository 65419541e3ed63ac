"""Data flows one way: reports and comparisons import no engine.

Every module under ``guardsim/reports/`` and ``guardsim/compare/`` is read with :mod:`ast` (not
imported), and every ``import`` in it is collected, module-level or function-local. From those
modules the walk follows each import into the rest of ``guardsim`` (and into the packages on the
way, ``guardsim.scenarios`` for ``guardsim.scenarios.loading``), so a pure module that imports an
engine is caught too. No module it reaches may be **execution code**:

* ``guardsim.simulator``, ``guardsim.batch``: the engines;
* ``guardsim.montecarlo``: Monte Carlo, sweeps, executors, checkpoints, the example runs; except
  the pure result types and functions of :data:`ALLOWED` (``montecarlo.results``: the runs table,
  its summary and text; ``montecarlo.recommend``: a pure function of a sweep table;
  ``montecarlo.grid``: a sweep's setting paths and values, parsed and located);
* ``guardsim.backend``, ``guardsim.real_backend``, ``guardsim.cli``, ``guardsim.testing``: what
  makes runs, or drives them.

What the walk allows: imports under ``if TYPE_CHECKING:`` (type annotations only; never run) are
neither checked nor followed. The root package ``guardsim`` (the public API, which imports
``simulate`` for its users) is not followed, and nothing in reports or compare may import a name
from it except ``__version__``.
"""

from __future__ import annotations

import ast
import functools
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src"
PACKAGE = SRC / "guardsim"

#: Packages whose modules are execution code (a module or any module under it).
FORBIDDEN = (
    "guardsim.simulator",
    "guardsim.batch",
    "guardsim.montecarlo",
    "guardsim.backend",
    "guardsim.real_backend",
    "guardsim.cli",
    "guardsim.testing",
)
#: Pure modules inside a forbidden package (the package itself is allowed only as a parent on
#: the way to them: its ``__init__`` is walked like any other module).
ALLOWED = (
    "guardsim.montecarlo",
    "guardsim.montecarlo.results",
    "guardsim.montecarlo.recommend",
    "guardsim.montecarlo.grid",
)
#: The layers that must stay pure.
PURE_LAYERS = ("guardsim.reports", "guardsim.compare")


@dataclass(frozen=True)
class Import:
    module: str  # the guardsim module imported (a submodule for ``from package import sub``)
    line: int
    type_checking: bool


def module_path(module: str) -> Path | None:
    """The source file of a ``guardsim`` module or package, None if there is none."""
    base = SRC.joinpath(*module.split("."))
    for path in (base.with_suffix(".py"), base / "__init__.py"):
        if path.is_file():
            return path
    return None


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _walk(node: ast.AST, type_checking: bool) -> Iterator[tuple[ast.AST, bool]]:
    """Every node under ``node``, with whether it sits in an ``if TYPE_CHECKING:`` body."""
    for child in ast.iter_child_nodes(node):
        if isinstance(child, ast.If) and _is_type_checking(child.test):
            for stmt in child.body:
                yield stmt, True
                yield from _walk(stmt, True)
            for stmt in child.orelse:
                yield stmt, type_checking
                yield from _walk(stmt, type_checking)
            continue
        yield child, type_checking
        yield from _walk(child, type_checking)


def imports_of(source: str, module: str, *, is_package: bool = False) -> list[Import]:
    """The ``guardsim`` modules ``source`` (the text of ``module``) imports, anywhere in it."""
    tree = ast.parse(source)
    package = module if is_package else module.rpartition(".")[0]
    found: list[Import] = []
    for node, tc in _walk(tree, False):
        if isinstance(node, ast.Import):
            for alias in node.names:
                found.append(Import(alias.name, node.lineno, tc))
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                parts = package.split(".")
                base = ".".join(parts[: len(parts) - node.level + 1])
                target = f"{base}.{node.module}" if node.module else base
            else:
                target = node.module or ""
            for alias in node.names:
                sub = f"{target}.{alias.name}"
                # ``from package import submodule`` imports the submodule
                found.append(Import(sub if module_path(sub) else target, node.lineno, tc))
                if target == "guardsim" and not module_path(sub) and alias.name != "__version__":
                    found.append(Import(f"guardsim:{alias.name}", node.lineno, tc))
    return [i for i in found if i.module == "guardsim" or i.module.startswith("guardsim")]


@functools.cache
def file_imports(module: str) -> tuple[Import, ...]:
    """:func:`imports_of` the source file of ``module`` (none if it has no file)."""
    path = module_path(module)
    if path is None:
        return ()
    text = path.read_text(encoding="utf-8")
    return tuple(imports_of(text, module, is_package=path.name == "__init__.py"))


def forbidden(module: str) -> bool:
    if module.startswith("guardsim:"):  # a name from the root package's public API
        return True
    if module in ALLOWED:
        return False
    return any(module == f or module.startswith(f + ".") for f in FORBIDDEN)


def parents(module: str) -> list[str]:
    """The packages on the way to ``module``, below the root: ``a.b.c`` -> ``a.b``."""
    parts = module.split(".")
    return [".".join(parts[:k]) for k in range(2, len(parts))]


def violations(roots: list[str], sources: Mapping[str, str] | None = None) -> dict[str, list[str]]:
    """Per root module, the import chains that reach execution code (``sources``: module texts
    to use instead of the files, for testing the walk)."""
    given = sources or {}
    out: dict[str, list[str]] = {}
    for root in roots:
        seen = {root}
        queue: list[tuple[str, list[str]]] = [(root, [root])]
        while queue:
            module, chain = queue.pop()
            if module in given:
                found = tuple(imports_of(given[module], module))
            else:
                found = file_imports(module)
            for imp in found:
                if imp.type_checking:
                    continue
                for reached in [*parents(imp.module), imp.module]:
                    if reached == "guardsim" or reached in seen:
                        continue
                    seen.add(reached)
                    step = [*chain, f"{reached} (line {imp.line} of {module})"]
                    if forbidden(reached):  # one chain per import is enough
                        out.setdefault(root, []).append(" -> ".join(step))
                        break
                    if not reached.startswith("guardsim:"):
                        queue.append((reached, step))
    return out


def pure_modules() -> list[str]:
    modules = []
    for layer in PURE_LAYERS:
        folder = SRC.joinpath(*layer.split("."))
        for path in sorted(folder.rglob("*.py")):
            rel = path.relative_to(SRC).with_suffix("")
            parts = list(rel.parts)
            if parts[-1] == "__init__":
                parts.pop()
            modules.append(".".join(parts))
    return modules


def test_reports_and_compare_import_no_engine() -> None:
    modules = pure_modules()
    assert "guardsim.reports.montecarlo" in modules and "guardsim.compare.agreement" in modules
    assert len(modules) >= 15
    bad = violations(modules)
    assert bad == {}, "execution code imported from a pure layer:\n" + "\n".join(
        chain for chains in bad.values() for chain in chains
    )


def test_the_walk_reads_function_local_and_relative_imports() -> None:
    """The checker itself: what it must catch, and what it lets through."""
    source = """
from __future__ import annotations
from typing import TYPE_CHECKING
from guardsim.record import RunRecord
from . import text
if TYPE_CHECKING:
    from guardsim.montecarlo.monte_carlo import MonteCarloResult

def report():
    from guardsim.simulator.engine import simulate
    import guardsim.batch.engine
    from ..montecarlo import sweep
    from guardsim import simulate as again
"""
    found = imports_of(source, "guardsim.reports.example")
    assert [(i.module, i.type_checking) for i in found] == [
        ("guardsim.record", False),
        ("guardsim.reports.text", False),
        ("guardsim.montecarlo.monte_carlo", True),
        ("guardsim.simulator.engine", False),
        ("guardsim.batch.engine", False),
        ("guardsim.montecarlo.sweep", False),
        ("guardsim", False),
        ("guardsim:simulate", False),
    ]
    flagged = [i.module for i in found if not i.type_checking and forbidden(i.module)]
    assert flagged == [
        "guardsim.simulator.engine",
        "guardsim.batch.engine",
        "guardsim.montecarlo.sweep",
        "guardsim:simulate",
    ]


@pytest.mark.parametrize(
    ("module", "expected"),
    [
        ("guardsim.montecarlo.results", False),
        ("guardsim.montecarlo.recommend", False),
        ("guardsim.montecarlo.monte_carlo", True),
        ("guardsim.montecarlo.examples", True),
        ("guardsim.montecarlo.executors", True),
        ("guardsim.simulator", True),
        ("guardsim.backend", True),
        ("guardsim.backends", False),  # a prefix of a name is not the package
        ("guardsim.scenarios.loading", False),
    ],
)
def test_what_counts_as_execution_code(module: str, expected: bool) -> None:
    assert forbidden(module) is expected


def test_a_pure_module_that_imports_an_engine_is_caught_through_it() -> None:
    """The walk follows imports through modules that are allowed: a report importing a pure
    helper that imports the simulator in a function is caught, with the chain that led there;
    the same helper importing it for type checking only is not."""
    helper = "def f():\n    from guardsim.simulator.engine import simulate\n"
    sources = {
        "guardsim.reports.fake_page": "from guardsim.reports.fake_helper import f\n",
        "guardsim.reports.fake_helper": helper,
    }
    chains = violations(["guardsim.reports.fake_page"], sources)
    assert list(chains) == ["guardsim.reports.fake_page"]
    (chain,) = chains["guardsim.reports.fake_page"]
    assert "guardsim.reports.fake_helper" in chain and "guardsim.simulator" in chain
    typed = "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import guardsim.batch\n"
    sources["guardsim.reports.fake_helper"] = typed
    assert violations(["guardsim.reports.fake_page"], sources) == {}
    # and the real montecarlo.recommend, which once imported montecarlo.monte_carlo, is pure
    assert violations(["guardsim.montecarlo.recommend"]) == {}
