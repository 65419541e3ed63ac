"""The documentation site builds with ``--strict``, its generated parts match the code, and it
renders: the index and a tutorial open in headless Chromium with no JavaScript errors, no
request leaving the machine and no broken internal link."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path
from typing import Any
from urllib.parse import urldefrag, urljoin

import pytest
from docs_helpers import ROOT, docs_module


def test_the_site_builds_strict(site_build: tuple[Path, subprocess.CompletedProcess[str]]) -> None:
    site, proc = site_build
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert (site / "index.html").is_file()
    assert (site / "reference" / "api" / "index.html").is_file()


def test_the_api_reference_documents_the_public_api(
    site_build: tuple[Path, subprocess.CompletedProcess[str]],
) -> None:
    site, _ = site_build
    html = (site / "reference" / "api" / "index.html").read_text(encoding="utf-8")
    import guardsim

    for name in guardsim.__all__:
        if name == "__version__":
            continue
        obj = getattr(guardsim, name)
        assert f'id="{obj.__module__}.{obj.__qualname__}"' in html, f"{name} is not documented"
    assert 'id="guardsim.montecarlo.sweep.SweepResult"' in html


def test_the_generated_parts_match_the_code() -> None:
    generate = docs_module("_generate")
    assert generate.stale_pages() == [], "run: python docs/_generate.py"


def test_the_readme_links_only_to_files_in_the_repository() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    targets = re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", readme)
    local = [t for t in targets if not re.match(r"[a-z]+://", t)]
    assert local, "the README links into the docs"
    for target in local:
        assert (ROOT / target).exists(), target


def open_page(browser: Any, url: str, errors: list[str], external: list[str]) -> Any:
    page = browser.new_page()
    page.on(
        "console",
        lambda m: errors.append(f"console.{m.type}: {m.text}") if m.type == "error" else None,
    )
    page.on("pageerror", lambda e: errors.append(f"pageerror: {e}"))
    origin = urljoin(url, "/")

    def route(r: Any) -> None:
        if r.request.url.startswith(origin):
            r.continue_()
        else:
            external.append(r.request.url)
            r.abort()

    page.route("**/*", route)
    page.goto(url, wait_until="load")
    page.wait_for_load_state("networkidle")
    return page


@pytest.mark.parametrize("path", ["", "tutorials/your-boto3-config/"])
def test_the_page_renders_without_errors_or_broken_links(
    browser: Any, site_url: str, path: str
) -> None:
    errors: list[str] = []
    external: list[str] = []
    page = open_page(browser, site_url + path, errors, external)
    try:
        assert page.title(), "the page has a title"
        assert page.locator("article h1").count() == 1
        # Material's search is a JavaScript feature: it must have started.
        # Material's search runs in a web worker that loads the index after the page; typing
        # before it is ready finds nothing, so type again until it answers (a minute at most).
        query = page.locator("input[data-md-component='search-query']")
        for _ in range(30):
            query.fill("")
            query.press_sequentially("canary")
            if page.locator(".md-search-result__item").count():
                break
            page.wait_for_timeout(2_000)
        assert page.locator(".md-search-result__item").count() > 0, "search finds nothing"
        hrefs = page.eval_on_selector_all("a[href]", "els => els.map(e => e.href)")
    finally:
        page.close()
    assert errors == []
    assert external == []
    internal = {h for h in hrefs if h.startswith(site_url)}
    assert len(internal) > 10
    checked: dict[str, str] = {}
    context = browser.new_context()
    try:
        for href in sorted(internal):
            target, fragment = urldefrag(href)
            if target not in checked:
                response = context.request.get(target)
                assert response.status == 200, f"{href} on {path or 'index'}: {response.status}"
                checked[target] = response.text()
            if fragment:
                assert f'id="{fragment}"' in checked[target], f"{href}: no such anchor"
    finally:
        context.close()
