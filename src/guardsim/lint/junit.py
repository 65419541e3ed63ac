"""Lint results as JUnit XML, which most CI systems show as test results.

A ``testsuites`` element with one ``testsuite`` per file linted; one ``testcase`` per rule
(``classname`` ``guardsim.lint``); a rule
with a finding at or above ``--fail-on`` is a ``failure`` (type = the severity), milder findings
are the test case's ``system-out``.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Sequence

from guardsim.lint.findings import severity_rank
from guardsim.lint.runner import ALL_RULES, FailOn, LintResult


def _fails(severity: str, fail_on: FailOn) -> bool:
    if fail_on == "never" or severity == "info":
        return False
    return fail_on == "warning" or severity == "error"


def to_junit(results: Sequence[LintResult], fail_on: FailOn = "warning") -> str:
    """One ``testsuite`` per result, in a ``testsuites`` element."""
    suites = ET.Element("testsuites", name="guardsim lint")
    for result in results:
        suites.append(_suite(result, fail_on))
    suites.set("tests", str(sum(int(s.get("tests", "0")) for s in suites)))
    suites.set("failures", str(sum(int(s.get("failures", "0")) for s in suites)))
    ET.indent(suites)
    return ET.tostring(suites, encoding="unicode", xml_declaration=True) + "\n"


def _suite(result: LintResult, fail_on: FailOn) -> ET.Element:
    suite = ET.Element("testsuite", name=f"guardsim lint {result.scenario.name}")
    failures = 0
    for rule in ALL_RULES:
        case = ET.SubElement(suite, "testcase", classname="guardsim.lint", name=rule.id)
        found = sorted(result.by_rule(rule.id), key=lambda f: severity_rank(f.severity))
        failing = [f for f in found if _fails(f.severity, fail_on)]
        lines = []
        for f in found:
            where = f" ({f.location})" if f.location is not None else ""
            lines.append(f"[{f.severity}] {f.path}{where}: {f.message} Fix: {f.fix}")
        if failing:
            failures += 1
            worst = failing[0]
            node = ET.SubElement(case, "failure", type=worst.severity, message=worst.message)
            node.text = "\n".join(lines)
        elif lines:
            ET.SubElement(case, "system-out").text = "\n".join(lines)
    suite.set("tests", str(len(ALL_RULES)))
    suite.set("failures", str(failures))
    suite.set("errors", "0")
    suite.set("skipped", "0")
    return suite
