"""``guardsim lint``: guardrail mistakes found before deployment, with numbers.

Most guardrail mistakes are visible before anything is deployed, if someone simulates them: an
alarm that can never fire, a bake that ends before the alarm can trip, a canary too small to
produce data. Lint runs a list of rules over a scenario; each finding carries its severity, the
evidence behind it (numbers derived from the configuration, and a quick Monte Carlo of a
failing and a healthy green model) and a concrete fix.

* :mod:`~guardsim.lint.findings`: the :class:`Finding` record and the severities;
* :mod:`~guardsim.lint.derived`: the configuration-only arithmetic (dilution bounds, detection
  latency, requests per period, low-sample counts, the execution-time estimate);
* :mod:`~guardsim.lint.evidence`: the model variants and their Monte Carlo, computed once per
  lint run and shared by every rule;
* :mod:`~guardsim.lint.context`: what a rule gets besides the scenario;
* :mod:`~guardsim.lint.rules`: the rules, each a pure function, and the :data:`RULES` registry;
* :mod:`~guardsim.lint.iac_rules`: rules about IaC declarations and count alarms
  (:data:`ALL_RULES` is both tables, in the order they run);
* :mod:`~guardsim.lint.sarif`, :mod:`~guardsim.lint.junit`: SARIF 2.1.0 and JUnit XML output;
* :mod:`~guardsim.lint.runner`: :func:`lint` and :class:`LintResult` (with the exit status);
* :mod:`~guardsim.lint.report`: the text and JSON reports; :mod:`~guardsim.cli.lint` the command;
* :mod:`~guardsim.lint.defaults`: the defaults the command declares (cheap to import).

The names below load on first use, so ``guardsim --help`` does not import the simulator.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from guardsim._lazy import lazy_attributes
from guardsim.lint.defaults import DEFAULT_REPLICATIONS

if TYPE_CHECKING:
    from guardsim.lint.evidence import Evidence
    from guardsim.lint.findings import SEVERITIES, Finding, Severity
    from guardsim.lint.rules import RULES, Rule
    from guardsim.lint.runner import (
        ALL_RULES,
        EXIT_CLEAN,
        EXIT_ERRORS,
        EXIT_WARNINGS,
        LintResult,
        lint,
    )

#: Names loaded on first use (they need the simulator): name -> module.
_LAZY = {
    "ALL_RULES": "guardsim.lint.runner",
    "EXIT_CLEAN": "guardsim.lint.runner",
    "EXIT_ERRORS": "guardsim.lint.runner",
    "EXIT_WARNINGS": "guardsim.lint.runner",
    "Evidence": "guardsim.lint.evidence",
    "Finding": "guardsim.lint.findings",
    "LintResult": "guardsim.lint.runner",
    "RULES": "guardsim.lint.rules",
    "Rule": "guardsim.lint.rules",
    "SEVERITIES": "guardsim.lint.findings",
    "Severity": "guardsim.lint.findings",
    "lint": "guardsim.lint.runner",
}

__all__ = [
    "ALL_RULES",
    "DEFAULT_REPLICATIONS",
    "EXIT_CLEAN",
    "EXIT_ERRORS",
    "EXIT_WARNINGS",
    "RULES",
    "SEVERITIES",
    "Evidence",
    "Finding",
    "LintResult",
    "Rule",
    "Severity",
    "lint",
]


__getattr__, __dir__ = lazy_attributes("guardsim.lint", globals(), _LAZY)
