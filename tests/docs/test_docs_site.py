"""The documentation site builds with ``--strict``, its generated parts match the code, and it
renders: the index and a tutorial open in headless Chromium with no JavaScript errors, no
request leaving the machine and no broken internal link."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import urllib.request
from pathlib import Path
from urllib.parse import urldefrag

import pytest
from docs_helpers import CHROMIUM_ARGS, ROOT, docs_module


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


#: Run in a fresh interpreter: open one page of the site in headless Chromium, use the search
#: (a JavaScript feature), and print what happened as JSON. Arguments: chromium, page URL, the
#: Chromium arguments as JSON.
BROWSE = r"""
import json, sys
from playwright.sync_api import sync_playwright

chromium, url, args = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
origin = url.split("/", 3)
origin = "/".join(origin[:3]) + "/"
errors, external = [], []
with sync_playwright() as pw:
    browser = pw.chromium.launch(executable_path=chromium, args=args)
    page = browser.new_page()
    page.on("console", lambda m: errors.append(f"console.{m.type}: {m.text}")
            if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(f"pageerror: {e}"))

    def route(r):
        if r.request.url.startswith(origin):
            r.continue_()
        else:
            external.append(r.request.url)
            r.abort()

    page.route("**/*", route)
    page.goto(url, wait_until="load")
    page.wait_for_load_state("networkidle")
    title, h1 = page.title(), page.locator("article h1").count()
    # Material's search runs in a web worker that loads its index after the page; typing before
    # it is ready finds nothing, so type again until it answers (a minute at most).
    query = page.locator("input[data-md-component='search-query']")
    found = 0
    for _ in range(30):
        query.fill("")
        query.press_sequentially("canary")
        found = page.locator(".md-search-result__item").count()
        if found:
            break
        page.wait_for_timeout(2_000)
    result = {
        "title": title,
        "h1": h1,
        "search_results": found,
        "hrefs": page.eval_on_selector_all("a[href]", "els => els.map(e => e.href)"),
        "errors": errors,
        "external": external,
    }
    browser.close()
print(json.dumps(result))
"""


@pytest.mark.parametrize("path", ["", "tutorials/your-boto3-config/"])
def test_the_page_renders_without_errors_or_broken_links(
    chromium: str, site_url: str, path: str
) -> None:
    proc = subprocess.run(
        [sys.executable, "-c", BROWSE, chromium, site_url + path, json.dumps(CHROMIUM_ARGS)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr
    seen = json.loads(proc.stdout)
    assert seen["errors"] == []
    assert seen["external"] == []
    assert seen["title"] and seen["h1"] == 1
    assert seen["search_results"] > 0, "the search (JavaScript) finds nothing"
    internal = {h for h in seen["hrefs"] if h.startswith(site_url)}
    assert len(internal) > 10
    checked: dict[str, str] = {}
    for href in sorted(internal):
        target, fragment = urldefrag(href)
        if target not in checked:
            with urllib.request.urlopen(target, timeout=60) as response:
                assert response.status == 200, f"{href} on {path or 'index'}: {response.status}"
                checked[target] = response.read().decode("utf-8")
        if fragment:
            assert f'id="{fragment}"' in checked[target], f"{href}: no such anchor"
