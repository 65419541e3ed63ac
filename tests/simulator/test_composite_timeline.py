"""Exact timeline of a composite alarm of a 5XX and a latency alarm (exact mode, one seed).

The seed post's canary rollback (1 of 3 instances, every green request a 5XX, green latency
~40 ms against blue's ~3 ms) with its two alarms on the blended metric, the 5XX one at an
Average >= 0.2 (the canary's third of the traffic fails: ~0.33), and the composite
``errors-and-latency = ALARM(5XX) AND ALARM(latency)`` as the only rollback alarm, which
SageMaker reads (``rollback_sees_composite_alarms: true``).

What the timeline shows: the composite goes to OK at the first evaluation where its children
leave INSUFFICIENT_DATA (-840 s: the warm-up's first evaluation), does *not* follow the latency
alarm alone into ALARM (600 s: the canary's first partial minute lifts the blended average over
10 ms, but errors stay under 0.2), enters ALARM at the very evaluation (720 s) at which its
second child does, and SageMaker's next poll (every 30 s from the bake's start) trips on it.
"""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from guardsim.cloudwatch.alarm import AlarmState
from guardsim.cloudwatch.composite import parse_rule
from guardsim.scenarios import check_scenario_dict, load_scenario
from guardsim.scenarios.scenario import Scenario
from guardsim.simulator import simulate

E5 = "TEST-DEMO-Deployment-Guardrails-Canary-5XX-Errors"
LAT = "TEST-DEMO-Deployment-Guardrails-Canary-Model-Latency"
RULE = f'ALARM("{E5}") AND ALARM({LAT})'


def _scenario(sees: bool = True) -> Scenario:
    data = load_scenario("seed-canary-rollback").to_dict()
    data.pop("real", None)
    data["alarms"][0]["Threshold"] = 0.2
    data["alarms"].append({"AlarmName": "errors-and-latency", "AlarmRule": RULE})
    data["deployment_config"]["AutoRollbackConfiguration"] = {
        "Alarms": [{"AlarmName": "errors-and-latency"}]
    }
    data["environment"]["rollback_sees_composite_alarms"] = sees
    result = check_scenario_dict(data)
    assert result.scenario is not None, result.errors
    return result.scenario


def test_composite_timeline_exact() -> None:
    record = simulate(_scenario(), mode="exact")
    log = [(h["t"], h["alarm"], h["to"]) for h in record.alarm_history]
    assert log == [
        (-840.0, E5, "OK"),
        (-840.0, LAT, "OK"),
        (-840.0, "errors-and-latency", "OK"),
        (600.0, LAT, "ALARM"),
        (720.0, E5, "ALARM"),
        (720.0, "errors-and-latency", "ALARM"),
        (840.0, E5, "OK"),
        (840.0, LAT, "OK"),
        (840.0, "errors-and-latency", "OK"),
    ]
    assert record.outcome == "ROLLED_BACK"
    assert record.summary.tripped_alarms == ("errors-and-latency",)
    detected = record.summary.detected_at_seconds
    assert detected is not None and 720.0 < detected <= 720.0 + 30.0


def test_composite_transitions_are_the_rule_over_its_children() -> None:
    """Independently of the numbers above: replaying the rule over the children's recorded
    transitions gives exactly the composite's recorded transitions (it changes when, and only
    when, a child's change flips the rule)."""
    record = simulate(_scenario(), mode="exact")
    rule = parse_rule(RULE)
    states = {E5: "INSUFFICIENT_DATA", LAT: "INSUFFICIENT_DATA"}
    composite = "INSUFFICIENT_DATA"
    expected = []
    by_time: dict[float, list[dict[str, object]]] = {}
    for h in record.alarm_history:
        if h["alarm"] != "errors-and-latency":
            by_time.setdefault(float(h["t"]), []).append(h)  # type: ignore[arg-type]
    for t in sorted(by_time):
        for h in by_time[t]:
            states[str(h["alarm"])] = str(h["to"])
        new = rule.state({k: AlarmState(v) for k, v in states.items()}).value
        if new != composite:
            expected.append((t, new))
            composite = new
    got = [(h["t"], h["to"]) for h in record.alarm_history if h["alarm"] == "errors-and-latency"]
    assert got == expected


def test_unseen_composite_is_evaluated_but_never_trips() -> None:
    """By default SageMaker does not see the composite: the record still has its timeline (for
    reports), the deployment succeeds."""
    scenario = _scenario(sees=False)
    record = simulate(scenario, mode="exact")
    assert any(
        h["alarm"] == "errors-and-latency" and h["to"] == "ALARM" for h in record.alarm_history
    )
    assert record.outcome == "SUCCEEDED"
    assert record.summary.tripped_alarms == ()


_RULES = [
    f"ALARM({E5}) OR ALARM({LAT})",
    f"OK({E5}) AND NOT INSUFFICIENT_DATA({LAT})",
    f"NOT (ALARM({E5}) AND ALARM({LAT})) OR FALSE",
    f"INSUFFICIENT_DATA({E5}) OR (ALARM({LAT}) AND TRUE)",
]


@settings(max_examples=8, deadline=None)
@given(
    rule=st.sampled_from(_RULES),
    seed=st.integers(0, 2**31 - 1),
    mode=st.sampled_from(["fast", "exact"]),
)
def test_any_composite_is_its_rule_replayed_over_its_children(
    rule: str, seed: int, mode: str
) -> None:
    """Property: whatever the rule, seed and engine, the composite's recorded transitions are
    the rule replayed over the children's recorded transitions."""
    data = _scenario().to_dict()
    data["alarms"][-1]["AlarmRule"] = rule
    data["simulation"]["seed"] = seed
    result = check_scenario_dict(data)
    assert result.scenario is not None
    record = simulate(result.scenario, mode=mode)
    parsed = parse_rule(rule)
    states = {E5: AlarmState.INSUFFICIENT_DATA, LAT: AlarmState.INSUFFICIENT_DATA}
    composite = AlarmState.INSUFFICIENT_DATA
    expected = []
    children = [h for h in record.alarm_history if h["alarm"] != "errors-and-latency"]
    for t in sorted({float(h["t"]) for h in children}):  # type: ignore[arg-type]
        for h in children:
            if h["t"] == t:
                states[str(h["alarm"])] = AlarmState(str(h["to"]))
        new = parsed.state(states)
        if new != composite:
            expected.append((t, new.value))
            composite = new
    got = [(h["t"], h["to"]) for h in record.alarm_history if h["alarm"] == "errors-and-latency"]
    assert got == expected
