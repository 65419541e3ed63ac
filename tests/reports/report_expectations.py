"""What a run report must show, worked out from the run record alone (shared by the tests)."""

from __future__ import annotations

from guardsim.record import RunRecord


def expected_uids(record: RunRecord) -> set[str]:
    """The traces a run report must have, worked out from the record itself."""
    uids = {"phases", "traffic-green", "events"}
    present = set(zip(record.datapoints["metric"], record.datapoints["dimensions"], strict=True))
    for dims in ("blended", "blue", "green"):
        if ("Invocations", dims) in present:
            uids.add(f"invocations-{dims}")
        for code in ("4XX", "5XX"):
            if (f"Invocation{code}Errors", dims) in present:
                uids.add(f"errors-{code}-{dims}")
        if ("ModelLatency", dims) in present:
            uids |= {f"latency-average-{dims}", f"latency-p99-{dims}"}
    for i, alarm in enumerate(record.scenario_definition["alarms"], 1):
        uids |= {f"alarm{i}-threshold", f"alarm{i}-datapoints", f"alarm{i}-published"}
        states = {"INSUFFICIENT_DATA"}  # every alarm starts there, before its first evaluation
        states |= {h["to"] for h in record.alarm_history if h["alarm"] == alarm["AlarmName"]}
        uids |= {f"alarm{i}-state-{s}" for s in states}
        if any(
            e["alarm"] == alarm["AlarmName"] and e["value"] is not None
            for e in record.alarm_evaluations
        ):
            uids.add(f"alarm{i}-evaluations")
    return uids
