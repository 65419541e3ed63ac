"""Endpoints that cannot use guardrails fall back to all-at-once with no final bake (aws-model.md
#exclusions)."""

from guardsim.scenarios import check_scenario_dict, load_scenario
from guardsim.simulator import simulate


def _inf1(name: str) -> dict:
    d = load_scenario(name).to_dict()
    for color in ("blue", "green"):
        d["endpoint"][color]["ProductionVariants"][0]["InstanceType"] = "ml.inf1.xlarge"
    return d


def test_inf1_canary_falls_back_to_all_at_once_without_a_bake() -> None:
    result = check_scenario_dict(_inf1("seed-canary-rollback"))
    assert result.scenario is not None
    assert any("Inf1" in w.message and "falls back" in w.message for w in result.warnings)
    record = simulate(result.scenario)
    phases = [t["to"] for t in record.transitions]
    # no canary: one flip straight to full traffic, a zero-length final bake, then cleanup
    assert phases == ["Creating", "ActivatingTraffic", "FinalBake", "Deleting", "InService"]
    assert record.transitions[2]["t"] == record.transitions[3]["t"]
    # the bad model is not caught: every request it served failed, and it stays
    assert record.outcome == "SUCCEEDED"
    assert record.summary.green_errors == record.summary.green_requests > 0
    assert any("falls back" in n for n in record.notes)


def test_the_same_canary_on_supported_instances_rolls_back() -> None:
    record = simulate(load_scenario("seed-canary-rollback"))
    assert record.outcome == "ROLLED_BACK"
    assert record.notes == ()
