"""Shared fixtures of the report tests: the committed record, and a real headless Chromium.

The browser tests never skip under CI: with ``CI`` set, a missing Chromium or Playwright is a
failure (CI installs Chromium in ``.ci/run`` and Playwright through the ``test`` extra). Without
``CI`` they skip and say how to install what is missing.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from guardsim.record import RunRecord

DATA = Path(__file__).parent / "data"
#: A saved record of the built-in seed-canary-rollback scenario (seed 1), committed so that
#: report tests can run from a record alone, with no simulator involved.
CANARY_RECORD = DATA / "seed-canary-rollback.json"

#: How the tests launch Chromium: headless, no sandbox (CI runs as root), no GPU, and nothing
#: that reaches the network on its own.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def missing(what: str, how: str) -> None:
    """Fail under CI (the browser tests must run there), skip elsewhere, saying how to fix it."""
    message = f"{what} is not available: {how}"
    if os.environ.get("CI"):
        pytest.fail(f"{message} (CI is set, so this test must not be skipped)")
    pytest.skip(message)


@pytest.fixture(scope="session")
def canary_record() -> RunRecord:
    return RunRecord.load(CANARY_RECORD)


@pytest.fixture(scope="session")
def chromium_path() -> str:
    from guardsim.reports.html import find_chromium

    path = find_chromium()
    if path is None:
        missing(
            "Chromium",
            "install it with 'apt-get install chromium' (Debian/Ubuntu) "
            "or set BROWSER_PATH to a Chrome/Chromium executable",
        )
    assert path is not None
    return path


@pytest.fixture(scope="session")
def browser(chromium_path: str) -> Iterator[Any]:
    """One headless Chromium for the whole session, driven by Playwright."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        missing("Playwright", "pip install -e '.[test]' (do not run 'playwright install')")
    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()
