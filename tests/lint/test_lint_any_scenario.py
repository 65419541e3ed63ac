"""Lint never fails on a valid scenario, and what it reports is always well-formed."""

from __future__ import annotations

import json

from hypothesis import HealthCheck, given, settings

from guardsim.lint import ALL_RULES, SEVERITIES, lint
from guardsim.lint.findings import severity_rank
from guardsim.lint.report import text, to_json
from guardsim.scenarios import Scenario
from guardsim.testing import scenarios

RULE_IDS = {r.id for r in ALL_RULES}


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios())
def test_lint_reports_well_formed_findings(scenario: Scenario) -> None:
    result = lint(scenario, replications=2)
    for f in result.findings:
        assert f.rule in RULE_IDS
        assert f.severity in SEVERITIES
        assert f.message and f.fix and f.path
        assert set(f.evidence) <= {"config", "simulated"}
        json.dumps(f.evidence, allow_nan=False)
    ranks = [severity_rank(f.severity) for f in result.findings]
    assert ranks == sorted(ranks)
    worst = result.worst
    expected = {None: 0, "info": 0, "warning": 3, "error": 4}[worst]
    assert result.exit_status() == expected
    assert json.loads(to_json(result))["exit_status"] == expected
    assert text(result).rstrip().endswith(f"(exit status {expected})")
