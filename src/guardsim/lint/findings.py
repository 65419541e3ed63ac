"""A lint finding: which rule, how serious, where, what, the evidence behind it, and the fix.

Severities, from worst:

* ``error``: the guardrail cannot work as intended (an alarm that can never fire, a failing
  model that no rollback alarm catches, a bake that every deployment times out of);
* ``warning``: legal, but probably not what was meant (a canary that catches only catastrophic
  failures, a bake that ends before the alarm can act, noisy false rollbacks);
* ``info``: what the evidence says, for the record (which alarm rolls a failing model back, how
  often a healthy model is rolled back).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from guardsim.scenarios.iac.source import Location

Severity = Literal["error", "warning", "info"]

#: Severities from worst to mildest.
SEVERITIES: tuple[Severity, ...] = ("error", "warning", "info")


def severity_rank(severity: Severity) -> int:
    """0 for error, 1 for warning, 2 for info: sorts the worst first."""
    return SEVERITIES.index(severity)


@dataclass(frozen=True)
class Finding:
    """One thing lint found.

    ``rule`` is the rule id (see :data:`guardsim.lint.rules.RULES`), ``path`` the scenario field
    it is about (``alarms[0]``, ``deployment_config.BlueGreenUpdatePolicy...``), ``message`` what
    is wrong in plain words with its numbers, ``evidence`` the numbers themselves as plain JSON
    data (``config``: derived from the configuration; ``simulated``: from the quick Monte Carlo),
    and ``fix`` a concrete change.
    """

    rule: str
    severity: Severity
    path: str
    message: str
    evidence: dict[str, Any] = field(default_factory=dict)
    fix: str = ""
    #: where in the IaC file (scenarios read from CloudFormation/Terraform only)
    location: Location | None = None

    def sort_key(self) -> tuple[int, str, str, str]:
        return (severity_rank(self.severity), self.rule, self.path, self.message)

    def to_data(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "rule": self.rule,
            "severity": self.severity,
            "path": self.path,
            "message": self.message,
            "evidence": self.evidence,
            "fix": self.fix,
        }
        if self.location is not None:  # left out for scenario files: their JSON is unchanged
            data["location"] = {
                "file": self.location.file,
                "line": self.location.line,
                "iac_path": self.location.iac_path,
            }
        return data


def worst(findings: Iterable[Finding]) -> Severity | None:
    """The worst severity among ``findings`` (None if there are none)."""
    ranks = [severity_rank(f.severity) for f in findings]
    return SEVERITIES[min(ranks)] if ranks else None
