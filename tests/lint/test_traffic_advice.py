"""Lint's traffic-aware advice: at too little canary traffic no alarm of the design search space
catches the new model's error rate within the bake without false rollbacks, and lint says what
bake would do, computed with the same engine."""

from __future__ import annotations

from pathlib import Path

from guardsim.lint import lint
from guardsim.lint.traffic_advice import RULE_ID
from guardsim.scenarios.loading import load_scenario

DATA = Path(__file__).parent / "data"


def test_too_little_traffic_for_any_alarm_says_how_long_the_bake_must_be() -> None:
    # about 15 requests a minute on a 1-of-4 canary, 1% errors on the old model and 5% on the
    # new, a 5-minute canary bake: 20 runs per model (cheap enough for lint)
    result = lint(
        load_scenario(str(DATA / "very-low-traffic-canary.yaml")), replications=20, rules=[RULE_ID]
    )
    (finding,) = [f for f in result.findings if f.rule == RULE_ID]
    assert finding.severity == "warning"
    assert finding.message.startswith("at about 15 requests per minute on the new fleet")
    assert "within this 5-minute bake" in finding.message
    sim = finding.evidence["simulated"]
    assert sim["runs"] == 20 and sim["bake_seconds"] == 300
    # a longer bake that does meet the limits was found, and said
    assert sim["bake_seconds_needed"] in (600, 1200)
    assert f"the bake must be at least {sim['bake_seconds_needed'] // 60} minutes" in finding.fix


def test_enough_traffic_gives_no_advice() -> None:
    # the low-traffic canary's 60 requests a minute over a 10-minute bake are enough
    result = lint(load_scenario("low-traffic-canary"), replications=20, rules=[RULE_ID])
    assert not [f for f in result.findings if f.rule == RULE_ID]
