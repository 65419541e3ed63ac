"""Running the lint: build the context, run every rule, sort the findings, decide the exit."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Literal

from guardsim.deployment.plan import Step
from guardsim.errors import ArgumentError
from guardsim.lint.context import LintContext
from guardsim.lint.defaults import DEFAULT_REPLICATIONS
from guardsim.lint.evidence import Evidence
from guardsim.lint.findings import SEVERITIES, Finding, Severity, worst
from guardsim.lint.iac_rules import IAC_RULES
from guardsim.lint.rules import RULES, Rule
from guardsim.lint.traffic_advice import TRAFFIC_RULES
from guardsim.scenarios.scenario import Scenario

FailOn = Literal["warning", "error", "never"]

#: Every rule, in the order they run: the scenario rules, then the IaC and count-alarm rules.
ALL_RULES: tuple[Rule, ...] = (*RULES, *IAC_RULES, *TRAFFIC_RULES)

#: Exit statuses of ``guardsim lint`` (2 stays "bad input", 1 "internal error", as everywhere).
EXIT_CLEAN = 0
EXIT_WARNINGS = 3
EXIT_ERRORS = 4


@dataclass(frozen=True)
class LintResult:
    """The findings of one lint run (worst first), the evidence they came from, and the plan."""

    scenario: Scenario
    findings: tuple[Finding, ...]
    evidence: Evidence
    steps: tuple[Step, ...]

    def counts(self) -> dict[Severity, int]:
        return {s: sum(f.severity == s for f in self.findings) for s in SEVERITIES}

    @property
    def worst(self) -> Severity | None:
        return worst(self.findings)

    def exit_status(self, fail_on: FailOn = "warning") -> int:
        """0 when nothing at or above ``fail_on`` was found; else 4 for errors, 3 for warnings.

        ``fail_on="warning"`` (the default) fails on warnings and errors, ``"error"`` only on
        errors, ``"never"`` always exits 0 (report only).
        """
        w = self.worst
        if fail_on == "never" or w is None or w == "info":
            return EXIT_CLEAN
        if w == "error":
            return EXIT_ERRORS
        return EXIT_WARNINGS if fail_on == "warning" else EXIT_CLEAN

    def by_rule(self, rule: str) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.rule == rule)


def lint(
    scenario: Scenario,
    *,
    replications: int = DEFAULT_REPLICATIONS,
    seed: int | None = None,
    rules: Sequence[str] | None = None,
    evidence: Evidence | None = None,
    tool_wait_seconds: int | None = None,
) -> LintResult:
    """Lint ``scenario``: every rule (or only the ``rules`` ids given) against one shared
    :class:`Evidence` of ``replications`` fast-mode runs per variant from base ``seed``
    (default: the scenario's ``simulation.seed``). ``tool_wait_seconds`` is how long the tool
    that applies the update waits for it (default: that tool's own documented wait)."""
    known = {r.id for r in ALL_RULES}
    if rules is not None:
        unknown = sorted(set(rules) - known)
        if unknown:
            raise ArgumentError(f"unknown lint rule(s): {', '.join(unknown)}")
    ev = evidence or Evidence(scenario, replications=replications, seed=seed)
    ctx = LintContext.build(scenario, ev, tool_wait_seconds=tool_wait_seconds)
    findings: list[Finding] = []
    for rule in ALL_RULES:
        if rules is None or rule.id in rules:
            findings.extend(rule.check(scenario, ctx))
    origin = scenario.origin
    if origin is not None:  # read from IaC: each finding points into the file
        findings = [replace(f, location=origin.locate(f.path)) for f in findings]
    findings.sort(key=Finding.sort_key)
    return LintResult(scenario, tuple(findings), ev, ctx.steps)


__all__ = [
    "ALL_RULES",
    "EXIT_CLEAN",
    "EXIT_ERRORS",
    "EXIT_WARNINGS",
    "FailOn",
    "LintResult",
    "lint",
]
