"""The curated public API stays in sync with what guardsim/__init__.py provides."""

import ast
import subprocess
import sys
from pathlib import Path

import guardsim


def _imported_names() -> set[str]:
    tree = ast.parse(Path(guardsim.__file__).read_text(encoding="utf-8"))
    return {
        alias.asname or alias.name
        for node in tree.body
        if isinstance(node, ast.ImportFrom)
        and node.module not in ("__future__", "typing", "guardsim._lazy")
        for alias in node.names
    }


def test_all_is_exactly_the_imported_and_the_lazy_names() -> None:
    eager = _imported_names()
    lazy = set(guardsim._LAZY)
    assert not eager & lazy
    assert set(guardsim.__all__) - {"__version__"} == eager | lazy
    assert sorted(guardsim.__all__) == guardsim.__all__


def test_every_public_name_resolves_from_its_module() -> None:
    for name in guardsim.__all__:
        value = getattr(guardsim, name)
        assert value is not None, name
        if name in guardsim._LAZY:
            module = sys.modules[guardsim._LAZY[name]]
            assert getattr(module, name) is value


def test_no_public_name_is_also_a_subpackage() -> None:
    """Importing guardsim.X rebinds the attribute X of the package: a function of that name
    would be replaced by the module (this is why lint is guardsim.lint.lint)."""
    from pathlib import Path

    packages = {p.name for p in Path(guardsim.__file__).parent.iterdir() if p.is_dir()}
    modules = {p.stem for p in Path(guardsim.__file__).parent.glob("*.py")}
    assert not (set(guardsim.__all__) & (packages | modules))


def test_unknown_names_raise_attribute_error() -> None:
    try:
        guardsim.no_such_name  # noqa: B018
    except AttributeError as exc:
        assert "no_such_name" in str(exc)
    else:
        raise AssertionError("expected AttributeError")


def test_importing_guardsim_does_not_load_the_heavy_packages() -> None:
    code = (
        "import guardsim, sys; print(sorted(m for m in ('plotly', 'pandas') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_version_matches_the_package_metadata() -> None:
    from importlib.metadata import version

    assert guardsim.__version__ == version("guardsim")
