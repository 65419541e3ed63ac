"""Public names that load on first use (PEP 562), shared by the packages that re-export them.

``guardsim``, ``guardsim.scenarios``, ``guardsim.lint`` and ``guardsim.testing`` re-export names
whose modules import numpy, the simulator or Hypothesis; loading them only when used keeps
``guardsim --version``, ``--help`` and the pytest plugin cheap.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable, Mapping
from typing import Any


def lazy_attributes(
    package: str, namespace: dict[str, Any], lazy: Mapping[str, str], listed: Iterable[str] = ()
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """The ``__getattr__`` and ``__dir__`` of ``package``: a name of ``lazy`` (name -> module)
    is imported from its module when first asked for and kept in ``namespace`` (the package's
    ``globals()``); ``__dir__`` lists it, and ``listed``, beside what is already loaded."""
    names = set(lazy) | set(listed)

    def __getattr__(name: str) -> Any:
        module = lazy.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(module), name)
        namespace[name] = value
        return value

    def __dir__() -> list[str]:
        return sorted(set(namespace) | names)

    return __getattr__, __dir__
