"""The built site (once per session) and a headless Chromium to open it in.

Like the report tests, the browser test never skips under CI: with ``CI`` set, a missing
Chromium or Playwright is a failure (``.ci/run`` installs Chromium, the ``test`` extra
Playwright). Without ``CI`` it skips and says how to install what is missing.
"""

from __future__ import annotations

import functools
import http.server
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from docs_helpers import ROOT


def missing(what: str, how: str) -> None:
    message = f"{what} is not available: {how}"
    if os.environ.get("CI"):
        pytest.fail(f"{message} (CI is set, so this test must not be skipped)")
    pytest.skip(message)


@pytest.fixture(scope="session")
def site_build(
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[Path, subprocess.CompletedProcess[str]]:
    """``mkdocs build --strict`` of this checkout into a fresh folder."""
    site = tmp_path_factory.mktemp("site")
    env = dict(os.environ, NO_MKDOCS_2_WARNING="1")
    env["PYTHONPATH"] = os.pathsep.join(
        [str(ROOT / "src"), *filter(None, [os.environ.get("PYTHONPATH")])]
    )
    proc = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(site)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    return site, proc


@pytest.fixture(scope="session")
def site_url(site_build: tuple[Path, subprocess.CompletedProcess[str]]) -> Iterator[str]:
    """The built site served over HTTP on localhost (as ``mkdocs serve`` would)."""
    site, proc = site_build
    assert proc.returncode == 0, proc.stdout + proc.stderr

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(Quiet, directory=str(site))
    )
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@pytest.fixture(scope="session")
def chromium() -> str:
    """The Chromium executable the browser test drives (through Playwright, in a subprocess:
    the report tests hold their own Playwright session in this process, and Playwright's sync
    API allows only one per thread)."""
    from guardsim.reports.html import find_chromium

    path = find_chromium()
    if path is None:
        missing("Chromium", "install it with 'apt-get install chromium' or set BROWSER_PATH")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        missing("Playwright", "pip install -e '.[test]' (do not run 'playwright install')")
    assert path is not None
    return path
