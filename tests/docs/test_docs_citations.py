"""No reference in the code, the README or the docs points to a document outside the repository.

Older docstrings and messages cite a research document ("spec 2.8", "[CW2]", "open question 3")
and a design document that are not in the repository. ``docs/_citations.py`` maps each of them to
the entry of the AWS page (or the architecture page) that replaces it.
"""

from __future__ import annotations

from pathlib import Path

from docs_helpers import DOCS, ROOT, anchors, docs_module

citations = docs_module("_citations")


def searched_files() -> list[Path]:
    files = [ROOT / "README.md", ROOT / "CHANGELOG.md"]
    files += sorted((ROOT / "src").rglob("*.py"))
    files += sorted((ROOT / "src").rglob("*.yaml"))
    files += sorted(DOCS.rglob("*.md"))
    return files


def found() -> list[tuple[str, int, str]]:
    """(file, line, citation) for every citation of a document outside the repository."""
    hits = []
    for path in searched_files():
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            for m in citations.CITATION_RE.finditer(line):
                hits.append((str(path.relative_to(ROOT)), number, m.group(0)))
    return hits


def test_every_target_is_an_anchor_that_exists() -> None:
    for citation, target in citations.CITATIONS.items():
        page, _, anchor = target.partition("#")
        path = ROOT / page
        assert path.is_file(), f"{citation}: {page} is not in the repository"
        if anchor:
            assert anchor in anchors(path), f"{citation}: {page} has no anchor #{anchor}"


def test_every_site_path_is_a_page_of_the_site() -> None:
    for page, site_path in citations.SITE_PATHS.items():
        assert (ROOT / page).is_file()
        assert site_path == page.removeprefix("docs/").removesuffix(".md") + "/"


def test_the_pattern_finds_the_forms_the_code_uses() -> None:
    text = (
        "see spec 2.8; [CW2, spec 4.5 item 1, open question 19]; (spec 6) [INF]; "
        "[S4]; The backend contract (DESIGN.md); the spec marks them; an S3 URL; x[0]"
    )
    assert [m.group(0) for m in citations.CITATION_RE.finditer(text)] == [
        "spec 2.8",
        "[CW2, spec 4.5 item 1, open question 19]",
        "spec 6",
        "[INF]",
        "[S4]",
        "DESIGN.md",
        "the spec",
    ]


def test_every_citation_in_the_repository_has_a_replacement() -> None:
    """So the sweep that replaces them can replace every one."""
    missing = [hit for hit in found() if citations.target(hit[2]) is None]
    assert missing == []


def test_no_reference_to_a_document_outside_the_repository() -> None:
    assert found() == []
