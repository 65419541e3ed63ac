"""Every tutorial runs as written: its files, commands and Python cells, in an empty directory.

A tutorial page is read top to bottom. A fenced block right after ``<!-- file: NAME -->`` is
written to NAME; a ``sh`` block is run with bash (stopping at the first failing command) and
must exit 0, or the status named by ``<!-- exit: N -->`` right before it; the ``python`` blocks
that are not files are run together, in order, as one script (as a notebook runs its cells),
after the commands before them. ``<!-- not run: REASON -->`` marks a block that is not a command
(a CI configuration). ``text`` blocks are output and are not run.

The commands run against this checkout: ``guardsim`` is ``python -m guardsim`` with this
checkout's ``src`` first on the path. The directory holds a copy of ``docs/examples`` at the same
place, so a command that names a shipped example runs as it does from the repository's root.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from docs_helpers import DOCS, ROOT

TUTORIALS = sorted((DOCS / "tutorials").glob("*.md"))
BLOCK = re.compile(
    r"(?:<!-- (file|exit|not run): ?([^>]*?) -->\n)?```(\w*)\n(.*?)^```", re.S | re.M
)


@dataclass(frozen=True)
class Block:
    language: str
    text: str
    file: str | None = None
    exit: int = 0
    run: bool = True


def blocks(page: Path) -> list[Block]:
    out = []
    for m in BLOCK.finditer(page.read_text(encoding="utf-8")):
        directive, value, language, text = m.groups()
        out.append(
            Block(
                language,
                text,
                file=value if directive == "file" else None,
                exit=int(value) if directive == "exit" else 0,
                run=directive != "not run",
            )
        )
    return out


def environment(tmp_path: Path) -> dict[str, str]:
    bin_dir = tmp_path / ".bin"
    bin_dir.mkdir()
    shim = bin_dir / "guardsim"
    shim.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m guardsim "$@"\n')
    shim.chmod(0o755)
    env = dict(os.environ)
    env["PATH"] = os.pathsep.join([str(bin_dir), str(Path(sys.executable).parent), env["PATH"]])
    env["PYTHONPATH"] = os.pathsep.join(
        [str(ROOT / "src"), *filter(None, [os.environ.get("PYTHONPATH")])]
    )
    env.pop("GUARDSIM_DEBUG", None)
    return env


def run(args: list[str], cwd: Path, env: dict[str, str], what: str) -> int:
    proc = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=600)
    if proc.returncode not in (0, 3, 4) or "Traceback" in proc.stderr:
        pytest.fail(f"{what} exited {proc.returncode}:\n{proc.stdout}\n{proc.stderr}")
    return proc.returncode


def test_every_tutorial_is_in_the_nav() -> None:
    nav = (ROOT / "mkdocs.yml").read_text(encoding="utf-8")
    for page in TUTORIALS:
        assert f"tutorials/{page.name}" in nav


def test_every_tutorial_has_something_to_run() -> None:
    for page in TUTORIALS:
        assert any(b.run and b.language in ("sh", "python") for b in blocks(page)), page.name


def test_every_file_a_tutorial_writes_is_named_in_its_text() -> None:
    """A reader sees the file's name, not only the hidden directive."""
    for page in TUTORIALS:
        text = page.read_text(encoding="utf-8")
        for m in re.finditer(r"<!-- file: (\S+) -->", text):
            before = text[max(0, m.start() - 300) : m.start()]
            assert f"`{m.group(1)}`" in before, f"{page.name}: name {m.group(1)} before its block"


@pytest.mark.parametrize("page", TUTORIALS, ids=[p.stem for p in TUTORIALS])
def test_the_tutorial_runs_as_written(page: Path, tmp_path: Path) -> None:
    env = environment(tmp_path)
    shutil.copytree(DOCS / "examples", tmp_path / "docs" / "examples")
    cells: list[str] = []
    for i, block in enumerate(blocks(page)):
        if block.file is not None:
            (tmp_path / block.file).write_text(block.text, encoding="utf-8")
        elif not block.run or block.language not in ("sh", "python"):
            continue
        elif block.language == "sh":
            status = run(
                ["bash", "-e", "-o", "pipefail", "-c", block.text],
                tmp_path,
                env,
                f"{page.name} block {i}",
            )
            assert status == block.exit, f"{page.name} block {i}: exit status {status}"
        else:
            cells.append(block.text)
    if cells:
        script = tmp_path / "cells.py"
        script.write_text("\n".join(cells), encoding="utf-8")
        status = run([sys.executable, str(script)], tmp_path, env, f"{page.name} cells")
        assert status == 0
