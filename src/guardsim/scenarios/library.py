"""The built-in scenario library: YAML files shipped as package data, addressed by name."""

from __future__ import annotations

from functools import cache
from importlib import resources
from pathlib import Path

import yaml

_PACKAGE = "guardsim.scenarios"


def directory() -> Path:
    """The folder holding the built-in scenarios (replay files resolve relative to it)."""
    return Path(str(resources.files(_PACKAGE).joinpath("library")))


@cache
def names() -> tuple[str, ...]:
    """The built-in scenario names, sorted."""
    return tuple(sorted(p.stem for p in directory().glob("*.yaml")))


def text(name: str) -> str:
    """The YAML text of a built-in scenario."""
    return (directory() / f"{name}.yaml").read_text(encoding="utf-8")


def describe() -> list[tuple[str, str]]:
    """(name, first sentence of its description) for each built-in scenario."""
    out = []
    for name in names():
        data = yaml.safe_load(text(name)) or {}
        description = " ".join(str(data.get("description", "")).split())
        # the first sentence: descriptions go on to say what the scenario demonstrates
        first = description.split(". ", 1)[0].rstrip(".")
        out.append((name, first))
    return out
