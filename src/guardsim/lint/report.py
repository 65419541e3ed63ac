"""Rendering a lint result: text for people (grouped by severity) and stable JSON for tools."""

from __future__ import annotations

import json
import textwrap
from typing import Any

from guardsim import __version__
from guardsim.lint.evidence import DEFINITIONS, FAILING, HEALTHY
from guardsim.lint.findings import SEVERITIES, Finding
from guardsim.lint.runner import FailOn, LintResult

FORMAT = "guardsim.lint/1"
WIDTH = 100

_VERDICT = {
    "error": "the guardrail cannot work as intended",
    "warning": "the guardrail works, but probably not as intended",
    "info": "no problems found",
    None: "no problems found",
}


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 or word == "info" else f"{n} {word}s"


def verdict(result: LintResult, fail_on: FailOn = "warning") -> str:
    """``seed-canary-rollback: 1 error, 2 warnings, 3 info: ... (exit status 4)``."""
    c = result.counts()
    counts = ", ".join(_plural(c[s], s) for s in SEVERITIES)
    code = result.exit_status(fail_on)
    return f"{result.scenario.name}: {counts}: {_VERDICT[result.worst]} (exit status {code})"


def _value(v: Any) -> str:
    if isinstance(v, float):
        return f"{v:g}"
    if isinstance(v, list):
        return "[" + ", ".join(_value(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{" + ", ".join(f"{k}: {_value(x)}" for k, x in v.items()) + "}"
    return str(v)


def _pairs(data: dict[str, Any]) -> str:
    return "; ".join(f"{k}={_value(v)}" for k, v in data.items() if k != "definition")


def _wrap(text: str, indent: str) -> str:
    return textwrap.fill(
        text,
        width=WIDTH,
        initial_indent=indent,
        subsequent_indent=indent + "  ",
        break_long_words=False,
        break_on_hyphens=False,
    )


def finding_text(f: Finding) -> str:
    lines = [f"  [{f.rule}] {f.path}"]
    if f.location is not None:
        lines.append(f"    at {f.location}")
    lines.append(_wrap(f.message, "    "))
    for section in ("config", "simulated"):
        data = f.evidence.get(section)
        if data:
            lines.append(_wrap(f"{section}: {_pairs(data)}", "    "))
    lines.append(_wrap(f"fix: {f.fix}", "    "))
    return "\n".join(lines)


def text(result: LintResult, fail_on: FailOn = "warning") -> str:
    """The text report: the evidence method, the findings grouped worst first, the verdict."""
    ev = result.evidence
    lines = [
        f"guardsim lint {result.scenario.name}",
        _wrap(
            f"evidence: {ev.replications} fast-mode replications per model variant from base "
            f"seed {ev.seed} ({ev.simulated_runs} simulated runs); variants: "
            + ", ".join(ev.computed()),
            "",
        ),
        _wrap(f"failing model: {DEFINITIONS[FAILING]}", "  "),
        _wrap(f"healthy model: {DEFINITIONS[HEALTHY]}", "  "),
    ]
    origin = result.scenario.origin
    if origin is not None:
        lines.append(f"read from {origin.file} ({origin.format}), endpoint {origin.resource}")
        lines.extend(_wrap(f"assumed: {note}", "  ") for note in origin.notes)
    counts = result.counts()
    for severity in SEVERITIES:
        group = [f for f in result.findings if f.severity == severity]
        if not group:
            continue
        lines.append("")
        lines.append(
            f"{severity.upper()}S ({counts[severity]})"
            if severity != "info"
            else f"INFO ({counts[severity]})"
        )
        for f in group:
            lines.append(finding_text(f))
    lines.append("")
    lines.append(verdict(result, fail_on))
    return "\n".join(lines) + "\n"


def to_data(result: LintResult, fail_on: FailOn = "warning") -> dict[str, Any]:
    ev = result.evidence
    data = _data(result, fail_on, ev)
    origin = result.scenario.origin
    if origin is not None:  # read from IaC (left out for scenario files: their JSON is unchanged)
        data["source"] = {
            "file": origin.file,
            "format": origin.format,
            "resource": origin.resource,
            "assumed": list(origin.notes),
        }
    return data


def _data(result: LintResult, fail_on: FailOn, ev: Any) -> dict[str, Any]:
    return {
        "format": FORMAT,
        "guardsim_version": __version__,
        "scenario": result.scenario.name,
        "evidence": {
            "mode": "fast",
            "replications": ev.replications,
            "seed": ev.seed,
            "simulated_runs": ev.simulated_runs,
            "variants": {k: v.summary_data(result.steps) for k, v in ev.computed().items()},
        },
        "findings": [f.to_data() for f in result.findings],
        "counts": result.counts(),
        "worst": result.worst,
        "fail_on": fail_on,
        "exit_status": result.exit_status(fail_on),
        "verdict": verdict(result, fail_on),
    }


def to_json(result: LintResult, fail_on: FailOn = "warning") -> str:
    """Stable JSON: sorted keys, findings worst first (then by rule, path, message)."""
    return json.dumps(to_data(result, fail_on), sort_keys=True, indent=2, allow_nan=False) + "\n"
