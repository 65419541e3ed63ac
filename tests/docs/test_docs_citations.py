"""No reference in the code, the README or the docs points to a document outside the repository.

Older docstrings and messages cited a research document ("spec 2.8", "[CW2]", "open question 3")
and a design document that are not in the repository; each was replaced by a link to the entry of
``docs/explanation/aws-model.md`` (or the architecture page) that states the same fact, or by
AWS's public URL. This test keeps any from coming back.
"""

from __future__ import annotations

import re
from pathlib import Path

from docs_helpers import DOCS, ROOT

#: What finds a citation of a document outside the repository: a section of the research
#: document ("spec 2.8", "spec section 7", "the spec"), one of its open questions, its evidence
#: labels ("[INF]"), a bracketed source tag ("[CW2]", "[CW6, S4]", "[D4, spec 2.4]"), or the
#: design document.
CITATION_RE = re.compile(
    r"\bspec\s+section\s+\d+"
    r"|\bspec\s+(?:§\s*)?\d+(?:\.\d+)*(?:\s+item\s+\d+)?"
    r"|\bthe\s+spec\b|\bspec's\b|\bits\s+spec\b|\bspec\s+\[INF\]"
    r"|\bopen\s+questions?\s+\d+"
    r"|\bDESIGN(?:\.md)?\b"
    r"|\[(?:INF|TEST|DOC|EX|3P)\]"
    r"|\[(?:S[1-4]|D\d{1,2}|CW\d|KC1|N1|I[12]|T[12]|P1)\b[^\]\n]*\]"
)


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
            for m in CITATION_RE.finditer(line):
                hits.append((str(path.relative_to(ROOT)), number, m.group(0)))
    return hits


def test_the_pattern_finds_the_forms_the_code_uses() -> None:
    text = (
        "see spec 2.8; [CW2, spec 4.5 item 1, open question 19]; (spec 6) [INF]; "
        "[S4]; The backend contract (DESIGN.md); the spec marks them; an S3 URL; x[0]"
    )
    assert [m.group(0) for m in CITATION_RE.finditer(text)] == [
        "spec 2.8",
        "[CW2, spec 4.5 item 1, open question 19]",
        "spec 6",
        "[INF]",
        "[S4]",
        "DESIGN.md",
        "the spec",
    ]


def test_no_reference_to_a_document_outside_the_repository() -> None:
    assert found() == []
