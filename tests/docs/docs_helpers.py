"""Shared by the documentation tests: where the pages are, and loading the docs' own scripts."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"

#: How the test launches Chromium: headless, no sandbox (CI runs as root), nothing that reaches
#: the network on its own.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def docs_module(name: str) -> ModuleType:
    """Import ``docs/<name>.py`` (the docs' scripts are not part of the package)."""
    spec = importlib.util.spec_from_file_location(f"guardsim_docs_{name}", DOCS / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def anchors(page: Path) -> set[str]:
    """The anchors a Markdown page defines: ``{#id}`` attributes, ``id="..."`` in HTML, and the
    slugs MkDocs gives its headings."""
    from markdown.extensions.toc import slugify

    text = page.read_text(encoding="utf-8")
    found = set(re.findall(r"\{#([A-Za-z0-9_-]+)\}", text))
    found |= set(re.findall(r'id="([A-Za-z0-9_-]+)"', text))
    in_fence = False
    for line in text.splitlines():
        if line.startswith("```"):
            in_fence = not in_fence
        m = None if in_fence else re.match(r"#{1,6} (.*?)(?:\s*\{#[^}]*\})?\s*$", line)
        if m:
            found.add(slugify(re.sub(r"[`*]", "", m.group(1)), "-"))
    return found
