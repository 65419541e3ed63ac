"""Paths of the IaC test documents and a helper to find a line in them."""

from __future__ import annotations

from pathlib import Path

DATA = Path(__file__).parent / "data"
TEMPLATE = DATA / "endpoint-config-template.yml"
CDK = DATA / "cdk.template.json"
TF = DATA / "endpoint.tf"
PLAN = DATA / "plan.json"
OVERLAY = DATA / "overlay.yaml"


def line_of(path: Path, needle: str, after: str | None = None) -> int:
    """The 1-based line of the first line containing ``needle`` (after the line holding
    ``after``, if given): the tests find lines in the documents, they do not hard-code them."""
    lines = path.read_text(encoding="utf-8").splitlines()
    start = 0
    if after is not None:
        start = next(i for i, line in enumerate(lines) if after in line) + 1
    return next(i for i in range(start, len(lines)) if needle in lines[i]) + 1
