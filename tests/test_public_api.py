"""The curated public API stays in sync with what guardsim/__init__.py imports."""

import ast
from pathlib import Path

import guardsim


def test_all_matches_the_names_imported_into_the_package() -> None:
    source = Path(guardsim.__file__).read_text(encoding="utf-8")
    tree = ast.parse(source)
    imported = {
        alias.asname or alias.name
        for node in tree.body
        if isinstance(node, ast.ImportFrom) and node.module != "__future__"
        for alias in node.names
    }
    assert set(guardsim.__all__) - {"__version__"} == imported
    assert sorted(guardsim.__all__) == guardsim.__all__


def test_every_public_name_resolves() -> None:
    for name in guardsim.__all__:
        assert getattr(guardsim, name) is not None, name


def test_version_matches_the_package_metadata() -> None:
    from importlib.metadata import version

    assert guardsim.__version__ == version("guardsim")
