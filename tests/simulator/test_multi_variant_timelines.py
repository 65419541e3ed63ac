"""Exact timelines of a two-variant endpoint's blue/green canary (exact mode, nothing random).

The built-in ``multi-variant-canary-rollback`` (variant ModelA: 3 instances, weight 3; ModelB: 2
instances, weight 1) with every duration fixed, as in ``test_timelines.py`` (provisioning 240 s,
ActivatingTraffic 10 s, rollback 15 s, termination 60 s, datapoints published 60 s after their
minute ends, SageMaker polling every 30 s from a bake's start), evenly spaced arrivals (15/s
to A, 5/s to B: the weights 3:1 of 20/s), and a new model for B that fails every request, so
every number below follows by hand:

* 0: UpdateEndpoint; both variants' green fleets are provisioned at once (3 + 2 instances);
* 240: every green instance ready -> ActivatingTraffic; 250: each variant's canary of 1 instance
  turns on at the same instant, sized against its own variant (1 of 3 for A, 1 of 2 for B), so
  green serves 3/4 x 1/3 + 1/4 x 1/2 = 37.5 % of the endpoint's requests;
* B's alarm on its new config (Average of Invocation5XXErrors >= 0.05, 2 of 2 periods) reads only
  B's green requests, all errors; A's alarm on A's new config never breaches;
* the trip rolls back *both* variants: at the poll that finds B's alarm, plus 15 s, all traffic
  is on blue again and every green instance of both variants is terminated 60 s later.
"""

from __future__ import annotations

from typing import Any

from test_timelines import DETERMINISTIC

from guardsim.record import RunRecord
from guardsim.scenarios import check_scenario_dict, load_scenario
from guardsim.scenarios.scenario import Scenario
from guardsim.simulator import simulate

NAME = "multi-variant-canary-rollback"


def _scenario(b_error_rate: float) -> Scenario:
    data: dict[str, Any] = load_scenario(NAME).to_dict()
    data["environment"].update(DETERMINISTIC)
    data["traffic"]["arrivals"] = "uniform"
    data["models"]["variants"]["ModelB"]["green"]["error_rate_5xx"] = b_error_rate
    result = check_scenario_dict(data)
    assert result.errors == (), result.errors
    assert result.scenario is not None
    return result.scenario


def timeline(record: RunRecord) -> list[tuple[float, str]]:
    return [(t["t"], t["to"]) for t in record.transitions]


def _sums(record: RunRecord, dims: str, metric: str) -> float:
    d = record.datapoints
    return sum(
        total
        for m, label, total in zip(d["metric"], d["dimensions"], d["sum"], strict=True)
        if m == metric and label == dims
    )


def test_two_variant_canary_rollback_on_one_variants_alarm() -> None:
    record = simulate(_scenario(1.0), mode="exact")
    # 250 + 30 k polls: the first after B's alarm enters ALARM at 420 (minutes [240, 300) and
    # [300, 360) of B's green requests, all errors, visible from 360 and 420) is at 430
    assert timeline(record) == [
        (0.0, "Creating"),
        (240.0, "ActivatingTraffic"),
        (250.0, "Baking"),
        (430.0, "RollingBack"),
        (445.0, "RollbackDeleting"),
        (505.0, "InService"),
    ]
    assert [(h["t"], h["alarm"], h["to"]) for h in record.alarm_history] == [
        (-840.0, "model-a-new-5xx", "OK"),
        (-840.0, "model-b-new-5xx", "OK"),
        (420.0, "model-b-new-5xx", "ALARM"),
        (660.0, "model-b-new-5xx", "OK"),
    ]
    # (t, green fraction of the endpoint's requests, active blue, active green): both variants
    # step together and are restored together
    assert [
        (r["t"], r["green_fraction"], r["active_blue"], r["active_green"]) for r in record.traffic
    ] == [(-900.0, 0.0, 5, 0), (250.0, 0.375, 3, 2), (445.0, 0.0, 5, 0)]
    s = record.summary
    assert s.tripped_alarms == ("model-b-new-5xx",)
    assert (s.detected_at_seconds, s.rollback_completed_seconds) == (430.0, 445.0)
    # 5 blue and 5 green instances from 0 to 505 s
    assert s.instance_seconds == 10 * 505.0
    # every error is one of B's green requests, and only B's: A's new model serves no error
    assert _sums(record, "ModelA:green", "Invocation5XXErrors") == 0
    b_green = _sums(record, "ModelB:green", "Invocations")
    assert _sums(record, "ModelB:green", "Invocation5XXErrors") == b_green == s.green_errors
    # green requests: each arrival goes to green with its variant's green share (binomial):
    # 195 s of A's 15/s at 1/3 and B's 5/s at 1/2, 1462.5 expected, sd sqrt(2925 x 2/9 +
    # 975 x 1/4) = 29.9; within 4 sd
    assert abs(s.green_requests - 1462.5) < 4 * 29.9


def test_two_variant_canary_success() -> None:
    record = simulate(_scenario(0.0), mode="exact")
    assert timeline(record) == [
        (0.0, "Creating"),
        (240.0, "ActivatingTraffic"),
        (250.0, "Baking"),
        (550.0, "ActivatingTraffic"),
        (560.0, "FinalBake"),
        (680.0, "Deleting"),
        (740.0, "InService"),
    ]
    assert [(h["t"], h["alarm"], h["to"]) for h in record.alarm_history] == [
        (-840.0, "model-a-new-5xx", "OK"),
        (-840.0, "model-b-new-5xx", "OK"),
    ]
    assert [
        (r["t"], r["green_fraction"], r["active_blue"], r["active_green"]) for r in record.traffic
    ] == [(-900.0, 0.0, 5, 0), (250.0, 0.375, 3, 2), (560.0, 1.0, 0, 5)]
    assert record.outcome == "SUCCEEDED" and record.summary.instance_seconds == 10 * 740.0
    # each variant's datapoints under its own name
    assert {"ModelA:blended", "ModelA:blue", "ModelA:green", "ModelB:green"} <= set(
        record.datapoints["dimensions"]
    )


def test_fast_mode_gives_the_same_timeline() -> None:
    # nothing random decides the phases: fast mode (per-minute counts) agrees to the second
    exact = simulate(_scenario(1.0), mode="exact")
    fast = simulate(_scenario(1.0), mode="fast")
    assert timeline(fast) == timeline(exact)
    assert fast.summary.tripped_alarms == exact.summary.tripped_alarms
