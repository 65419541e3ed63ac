"""Opening a report in the shared headless Chromium, for the browser tests of every report."""

from __future__ import annotations

from pathlib import Path
from typing import Any

#: true once the whole page is parsed (a figure not parsed yet is not counted: on a slow machine
#: the first figures can be drawn while later ones are still on their way, which read as a page
#: with fewer figures) and every figure on it has finished drawing (the writer marks each one)
RENDERED = (
    "() => { if (document.readyState !== 'complete') return false;"
    " const f = document.querySelectorAll('.js-plotly-plot');"
    " return f.length > 0"
    " && [...f].every(d => d.dataset.guardsimRendered === 'true'); }"
)


def open_report(browser: Any, path: Path, errors: list[str], requests: list[str]) -> Any:
    """A new tab loading ``path``: console errors and page errors go to ``errors``, and every
    request other than the file itself is aborted and recorded in ``requests`` (a report must
    work offline). Returns the page without waiting for it."""
    page = browser.new_page(viewport={"width": 1500, "height": 1000})
    page.on(
        "console",
        lambda m: errors.append(f"console.{m.type}: {m.text}") if m.type == "error" else None,
    )
    page.on("pageerror", lambda e: errors.append(f"pageerror: {e}"))
    uri = path.as_uri()

    def route(r: Any) -> None:
        if r.request.url == uri:
            r.continue_()
        else:
            requests.append(r.request.url)
            r.abort()

    page.route("**/*", route)
    page.goto(uri, wait_until="commit")
    return page


def wait_rendered(page: Any) -> None:
    page.wait_for_function(RENDERED, timeout=90_000)
