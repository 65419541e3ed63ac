"""environment.poll_at_bake_end: whether an alarm that trips after a bake's last poll counts."""

import dataclasses

from guardsim.scenarios import check_scenario_dict, load_scenario
from guardsim.simulator import simulate


def _scenario(poll_at_bake_end: bool):  # type: ignore[no-untyped-def]
    """The seed canary with fixed timings and a 5-minute poll: the latency alarm goes to ALARM
    at 360 s, after the canary bake's only poll (at 250 s) and before its end (550 s)."""
    d = load_scenario("seed-canary-rollback").to_dict()
    d["environment"] = {
        "provisioning_seconds": {"kind": "fixed", "value": 240},
        "activation_seconds": {"kind": "fixed", "value": 10},
        "metric_publish_delay_seconds": {"kind": "fixed", "value": 60},
        "alarm_poll_interval_seconds": 300,
        "poll_at_bake_end": poll_at_bake_end,
    }
    result = check_scenario_dict(d)
    assert result.scenario is not None, result.errors
    return result.scenario


def _alarm_time(record) -> float:  # type: ignore[no-untyped-def]
    return next(h["t"] for h in record.alarm_history if h["to"] == "ALARM" and h["t"] >= 0)


def test_without_a_final_poll_the_canary_bake_ends_and_traffic_moves_on() -> None:
    record = simulate(_scenario(False))
    bake = next(t for t in record.transitions if t["to"] == "Baking")
    assert bake["t"] < _alarm_time(record) < bake["t"] + 300
    phases = [t["to"] for t in record.transitions]
    # the canary bake ended normally; the full flip happened, and the final bake caught it
    assert phases[:5] == [
        "Creating",
        "ActivatingTraffic",
        "Baking",
        "ActivatingTraffic",
        "FinalBake",
    ]
    assert record.outcome == "ROLLED_BACK"
    assert record.summary.peak_green_traffic_fraction == 1.0


def test_with_a_final_poll_the_canary_bake_itself_rolls_back() -> None:
    record = simulate(_scenario(True))
    bake = next(t for t in record.transitions if t["to"] == "Baking")
    rollback = next(t for t in record.transitions if t["to"] == "RollingBack")
    assert rollback["t"] == bake["t"] + 300  # at the bake's end, not a poll interval later
    assert record.outcome == "ROLLED_BACK"
    assert record.summary.peak_green_traffic_fraction < 0.5


def test_the_setting_changes_nothing_when_the_alarm_never_trips() -> None:
    a = simulate(dataclasses.replace(load_scenario("seed-canary-success")))
    d = load_scenario("seed-canary-success").to_dict()
    d["environment"]["poll_at_bake_end"] = True
    b = simulate(check_scenario_dict(d).scenario)  # type: ignore[arg-type]
    assert a.summary == b.summary
