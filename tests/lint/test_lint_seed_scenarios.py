"""The seed post's scenarios, linted: the error alarm (Average of Invocation5XXErrors >= 1 on
the blended EndpointName+VariantName metric) cannot trip during the canary bake, and lint says,
with the Monte Carlo trip counts, that the latency alarm is the one that rolls back."""

from __future__ import annotations

import pytest
from lint_helpers import N

from guardsim.lint import LintResult, lint
from guardsim.scenarios import load_scenario

ERRORS = "TEST-DEMO-Deployment-Guardrails-Canary-5XX-Errors"
LATENCY = "TEST-DEMO-Deployment-Guardrails-Canary-Model-Latency"
LINEAR_ERRORS = "TEST-DEMO-Deployment-Guardrails-Linear-5XX-Errors"
LINEAR_LATENCY = "TEST-DEMO-Deployment-Guardrails-Linear-Model-Latency"


@pytest.fixture(scope="module")
def canary() -> LintResult:
    return lint(load_scenario("seed-canary-rollback"), replications=N)


@pytest.fixture(scope="module")
def linear() -> LintResult:
    return lint(load_scenario("seed-linear-rollback"), replications=N)


def test_the_error_alarm_cannot_trip_during_the_canary_bake(canary: LintResult) -> None:
    (f,) = [f for f in canary.by_rule("blended-dilution") if f.path == "alarms[0].Dimensions"]
    assert f.severity == "error"
    assert ERRORS in f.message
    assert "cannot trip during the canary bake" in f.message
    # 1 instance of 3 is a third of the traffic: a green error fraction of 1/s = 3 is needed
    assert "threshold/s = 1/0.333 = 3 (300%), more than 100%" in f.message
    (step,) = f.evidence["config"]["steps"]
    assert step["green_share"] == pytest.approx(1 / 3, abs=1e-4)
    assert step["required_green_value"] == pytest.approx(3.0)
    # the simulator agrees: alone, it never trips before the final flip
    sim = f.evidence["simulated"]
    assert sim["tripped_before_final_flip"] == 0
    assert sim["variant"] == f"failing-only:{ERRORS}"
    # ... and names the alarm that does roll the failing model back, with its trip count
    assert sim["failing_model_tripped"] == {ERRORS: 0, LATENCY: N}
    assert f"rollback comes from '{LATENCY}' (tripped in {N}/{N} runs)" in f.message
    assert "EndpointConfigName" in f.fix and "0.01" in f.fix


def test_lint_says_which_alarm_rolls_back(canary: LintResult) -> None:
    (failing,) = canary.by_rule("failing-model-rollback")
    assert failing.evidence["simulated"]["tripped"] == {ERRORS: 0, LATENCY: N}
    assert failing.evidence["simulated"]["alone"] == {ERRORS: 0, LATENCY: N}
    assert f"the rollback comes from '{LATENCY}'" in failing.message
    # the scenario's own incompatible model: rolled back by the latency alarm, every time
    (own,) = canary.by_rule("as-configured-outcome")
    assert own.evidence["simulated"]["tripped"] == {ERRORS: 0, LATENCY: N}
    assert own.evidence["simulated"]["rolled_back"] == N
    assert f"the rollback comes from '{LATENCY}' (tripped in {N}/{N} runs)" in own.message


def test_the_threshold_of_one_means_every_request(canary: LintResult) -> None:
    (f,) = canary.by_rule("unreachable-threshold")
    assert f.severity == "warning"
    assert f.path == "alarms[0].Threshold"
    assert "every request of a period fails" in f.message
    assert "Threshold 0.01" in f.fix


def test_the_final_bake_is_shorter_than_the_detection_latency(canary: LintResult) -> None:
    (f,) = canary.by_rule("bake-too-short")
    assert f.path.endswith("TerminationWaitInSeconds")
    assert f.evidence["config"]["bakes"] == {"final bake (100% on green)": 120}
    assert f.evidence["config"]["detection_latency"]["expected_s"] > 120
    assert f.evidence["config"]["fastest_alarm"] == LATENCY  # the one that actually trips


def test_the_canary_exits_with_errors(canary: LintResult) -> None:
    assert canary.worst == "error"
    assert canary.exit_status() == 4
    assert canary.exit_status("never") == 0


def test_linear_steps_cannot_trip_the_error_alarm_and_detection_slips(linear: LintResult) -> None:
    (f,) = [f for f in linear.by_rule("blended-dilution") if f.path == "alarms[0].Dimensions"]
    assert f.severity == "error"
    assert "cannot trip during any bake before the final flip" in f.message
    required = [s["required_green_value"] for s in f.evidence["config"]["steps"]]
    assert required == pytest.approx([3.0, 1.5], abs=0.01)
    (wait,) = [
        f for f in linear.by_rule("bake-too-short") if f.path.endswith("WaitIntervalInSeconds")
    ]
    detected = wait.evidence["simulated"]["detected_in"]
    # 180 s bakes against ~210 s detection: the latency alarm often trips only in step 2
    assert detected["linear step 2 bake (67% on green)"] > 0
    assert sum(detected.values()) == N
    (failing,) = linear.by_rule("failing-model-rollback")
    assert failing.evidence["simulated"]["tripped"] == {LINEAR_ERRORS: 0, LINEAR_LATENCY: N}


@pytest.mark.parametrize("name", ["seed-canary-success", "seed-linear-success"])
def test_the_success_scenarios_have_the_same_alarm_problem(name: str) -> None:
    result = lint(load_scenario(name), replications=N, rules=["blended-dilution", "false-rollback"])
    errors = [f for f in result.findings if f.severity == "error"]
    assert [f.path for f in errors] == ["alarms[0].Dimensions"]
    (healthy,) = result.by_rule("false-rollback")
    assert healthy.severity == "info"
    assert healthy.evidence["simulated"]["rolled_back_by_an_alarm"] == 0
