"""Every guardsim module can be the first one imported.

Lazy package ``__init__`` modules (so that ``guardsim --help`` stays cheap) no longer import the
whole package up front, which could expose an import cycle that an eager ``__init__`` used to
hide (``guardsim.deployment.plan`` and ``guardsim.scenarios`` need each other). One fresh
interpreter imports each module with every ``guardsim`` module removed from ``sys.modules``
before it (third-party packages stay loaded: they cannot take part in a guardsim cycle).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import guardsim

CODE = """
import importlib, sys
failed = []
for name in sys.argv[1:]:
    for loaded in [m for m in sys.modules if m == "guardsim" or m.startswith("guardsim.")]:
        del sys.modules[loaded]
    try:
        importlib.import_module(name)
    except Exception as exc:
        failed.append(f"{name}: {type(exc).__name__}: {exc}")
print("\\n".join(failed))
"""


def _modules() -> list[str]:
    root = Path(guardsim.__file__).parent
    names = []
    for path in sorted(root.rglob("*.py")):
        if path.name == "__main__.py":  # running it is the point of it
            continue
        parts = path.relative_to(root.parent).with_suffix("").parts
        names.append(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    return names


def test_every_module_imports_first() -> None:
    modules = _modules()
    assert "guardsim.deployment.plan" in modules and len(modules) > 50
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    done = subprocess.run(
        [sys.executable, "-c", CODE, *modules],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=True,
    )
    assert done.stdout.strip() == ""
