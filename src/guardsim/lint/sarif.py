"""Lint results as SARIF 2.1.0, the way GitHub code scanning reads them.

One run per lint (of one or several files), tool ``guardsim``. Every rule of the table is a
``reportingDescriptor`` with its stable id, title and help text (and a ``helpUri`` when a docs
base URL is given). Each finding is a result with its rule id and index, a level (error ->
``error``, warning -> ``warning``, info -> ``note``), its message, fix and evidence, and a
physical location: the IaC file and line for scenarios read from CloudFormation/Terraform,
else the scenario file, as a URI relative to the repository root (``uriBaseId``
``%SRCROOT%``). GitHub's limits (SARIF support for code scanning,
https://docs.github.com/en/code-security/code-scanning/integrating-with-code-scanning/sarif-support-for-code-scanning):
at most 25,000 results and 25,000 rules per run, 1,000 locations per result, 20 tags per rule;
a run over the results limit is cut and says so in its ``properties``.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from guardsim import __version__
from guardsim.lint.findings import Finding, Severity
from guardsim.lint.runner import ALL_RULES, FailOn, LintResult

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
MAX_RESULTS = 25_000
LEVELS: dict[Severity, str] = {"error": "error", "warning": "warning", "info": "note"}


def _relative(file: str, root: Path) -> str | None:
    """``file`` as a forward-slash URI relative to ``root``, or None if it lies outside."""
    try:
        rel = os.path.relpath(Path(file).resolve(), root.resolve())
    except ValueError:  # another drive (Windows)
        return None
    if rel.startswith(".."):
        return None
    return Path(rel).as_posix()


def _location(f: Finding, source: str | None, root: Path) -> dict[str, Any] | None:
    file = f.location.file if f.location is not None else source
    if file is None or not Path(file).is_file():
        return None  # a built-in scenario: no file in the repository
    uri = _relative(file, root)
    if uri is None:
        return None
    physical: dict[str, Any] = {"artifactLocation": {"uri": uri, "uriBaseId": "%SRCROOT%"}}
    if f.location is not None and f.location.line is not None:
        physical["region"] = {"startLine": f.location.line}
    logical = f.location.iac_path if f.location is not None else f.path
    loc: dict[str, Any] = {"physicalLocation": physical}
    if logical:
        loc["logicalLocations"] = [{"fullyQualifiedName": f"{logical} ({f.path})"}]
    return loc


def to_sarif_data(
    linted: Sequence[tuple[LintResult, str | None]],
    fail_on: FailOn = "warning",
    *,
    root: Path | None = None,
    docs_url: str | None = None,
) -> dict[str, Any]:
    """The SARIF log of one lint run over the ``(result, scenario file)`` pairs (one SARIF run:
    GitHub expects one run per tool and category), URIs relative to ``root`` (default: the
    working directory, the repository root in CI)."""
    base = root or Path.cwd()
    rules = []
    index = {}
    for i, rule in enumerate(ALL_RULES):
        index[rule.id] = i
        descriptor: dict[str, Any] = {
            "id": rule.id,
            "name": "".join(p.capitalize() for p in rule.id.split("-")),
            "shortDescription": {"text": rule.title},
            "fullDescription": {"text": f"{rule.title}. Severity: {rule.severities}."},
            "help": {
                "text": f"{rule.title}.\nSeverity: {rule.severities}.",
                "markdown": f"**{rule.id}**: {rule.title}.\n\nSeverity: {rule.severities}.",
            },
            "properties": {"tags": ["guardrail", "sagemaker"]},
        }
        if docs_url:
            descriptor["helpUri"] = f"{docs_url.rstrip('/')}#{rule.id}"
        rules.append(descriptor)
    results = []
    pairs = [(f, source) for result, source in linted for f in result.findings]
    for f, source in pairs[:MAX_RESULTS]:
        text = f.message if not f.fix or f.fix == "none needed" else f"{f.message} Fix: {f.fix}"
        entry: dict[str, Any] = {
            "ruleId": f.rule,
            "ruleIndex": index[f.rule],
            "level": LEVELS[f.severity],
            "message": {"text": text},
            "properties": {"path": f.path, "evidence": f.evidence, "fix": f.fix},
        }
        loc = _location(f, source, base)
        if loc is not None:
            entry["locations"] = [loc]
        results.append(entry)
    run: dict[str, Any] = {
        "tool": {
            "driver": {
                "name": "guardsim",
                "version": __version__,
                "semanticVersion": __version__,
                "informationUri": docs_url or "https://pypi.org/project/guardsim/",
                "rules": rules,
            }
        },
        "originalUriBaseIds": {"%SRCROOT%": {"uri": base.resolve().as_uri() + "/"}},
        "results": results,
        "properties": {
            "scenarios": [result.scenario.name for result, _ in linted],
            "exit_status": max((r.exit_status(fail_on) for r, _ in linted), default=0),
            "truncated": len(pairs) > MAX_RESULTS,
        },
    }
    return {"$schema": SCHEMA, "version": "2.1.0", "runs": [run]}


def to_sarif(
    linted: Sequence[tuple[LintResult, str | None]],
    fail_on: FailOn = "warning",
    *,
    root: Path | None = None,
    docs_url: str | None = None,
) -> str:
    data = to_sarif_data(linted, fail_on, root=root, docs_url=docs_url)
    return json.dumps(data, indent=2, sort_keys=True, allow_nan=False) + "\n"
