"""A run record as text: the timeline a person reads in a terminal, and the summary.

Pure functions of the record: nothing here runs or reaches back into the simulator.
"""

from __future__ import annotations

from typing import Any

from guardsim.record import BLAST_RADIUS_NOT_OBSERVABLE, GREEN_SHARE_NOT_OBSERVABLE, RunRecord


def format_seconds(t: float | None, *, signed: bool = True) -> str:
    """``+8:33``, ``-2:00``, ``+1:02:05`` (seconds after UpdateEndpoint); ``-`` for None."""
    if t is None:
        return "-"
    sign = "-" if t < 0 else ("+" if signed else "")
    total = round(abs(t))
    h, rest = divmod(total, 3600)
    m, s = divmod(rest, 60)
    body = f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"
    return f"{sign}{body}"


def _component(record: RunRecord) -> dict[str, Any] | None:
    """The ``inference_component`` section of the record's scenario (None: an endpoint update)."""
    section = record.scenario_definition.get("inference_component")
    return section if isinstance(section, dict) else None


def _events(record: RunRecord) -> list[tuple[float, int, str, str]]:
    events: list[tuple[float, int, str, str]] = []
    ic = _component(record)
    # an inference component's update: the units are copies of the old and the new model
    old, new, units = (
        (
            ic["component"].get("Specification", {}).get("ModelName", "old"),
            ic["new_model_name"],
            "copies",
        )
        if ic is not None
        else ("blue", "green", "instance(s)")
    )
    for tr in record.transitions:
        events.append((tr["t"], 0, "phase", f"{tr['to']:<18} {tr['reason']}"))
    prev = None
    for row in record.traffic:
        if row["t"] < 0:
            prev = row
            continue
        if prev is not None and row["green_fraction"] == prev["green_fraction"]:
            prev = row
            continue
        events.append(
            (
                row["t"],
                1,
                "traffic",
                f"{100 * row['green_fraction']:.0f}% of traffic to {new} "
                f"({row['active_green']} {new}, {row['active_blue']} {old} {units} active)",
            )
        )
        prev = row
    for h in record.alarm_history:
        if h["t"] < 0:
            continue
        events.append(
            (h["t"], 2, "alarm", f"{h['alarm']}: {h['from']} -> {h['to']}: {h['reason']}")
        )
    events.sort(key=lambda e: (e[0], e[1]))
    return events


def _alarm_states_at(record: RunRecord, t: float) -> dict[str, str]:
    states: dict[str, str] = {}
    for h in record.alarm_history:
        if h["t"] <= t:
            states[h["alarm"]] = h["to"]
    return states


def timeline_text(record: RunRecord, *, width: int = 160) -> str:
    """Phase changes, traffic shifts and alarm changes, one per line, in time order."""
    lines = [
        f"Timeline of {record.scenario} (seed {record.seed}, {record.mode} mode); "
        "times are after the UpdateEndpoint call"
    ]
    states = _alarm_states_at(record, 0.0)
    names = [a["AlarmName"] for a in record.scenario_definition.get("alarms", [])]
    if names:
        shown = ", ".join(f"{n} {states.get(n, 'INSUFFICIENT_DATA')}" for n in names)
        lines.append(f"  alarms at UpdateEndpoint: {shown}")
    for t, _, kind, text in _events(record):
        line = f"  {format_seconds(t):>9}  {kind:<7}  {text}"
        if len(line) > width:
            line = line[: width - 3] + "..."
        lines.append(line)
    return "\n".join(lines)


def _plural(n: int, word: str) -> str:
    return f"{n:,} {word}{'' if n == 1 else 's'}"


def summary_headline(record: RunRecord) -> str:
    """The outcome in one plain sentence (the first line of :func:`summary_text`).

    An inference component ends InService whether it rolled back or not, so its headline says
    which model every copy runs."""
    s = record.summary
    dur = format_seconds(s.deployment_seconds, signed=False)
    ic = _component(record)
    name = ic["component"].get("InferenceComponentName", "the component") if ic else ""
    if record.outcome == "ROLLED_BACK":
        who = ", ".join(s.tripped_alarms) if s.tripped_alarms else "the execution timeout"
        back = (
            f"every copy of {name} was back on the old model"
            if ic
            else ("all traffic was back on the old config")
        )
        tail = (
            " (status InService, as after a success: there is no RollingBack status)" if ic else ""
        )
        return (
            f"ROLLED_BACK: {who} tripped at {format_seconds(s.detected_at_seconds, signed=False)}; "
            f"{back} at {format_seconds(s.rollback_completed_seconds, signed=False)}, done after "
            f"{dur}{tail}"
        )
    if record.outcome == "SUCCEEDED":
        took = (
            f"every copy of {name} runs {ic['new_model_name']};"
            if ic
            else "the new config took all traffic and"
        )
        return f"SUCCEEDED: {took} the update finished after {dur}"
    return f"FAILED after {dur}" + (f" ({'; '.join(record.notes)})" if record.notes else "")


def summary_rows(record: RunRecord) -> list[tuple[str, str]]:
    """The outcome's numbers as ``(label, value in words)`` pairs, in :func:`summary_text` order."""
    s = record.summary
    return [
        ("deployment duration", format_seconds(s.deployment_seconds, signed=False)),
        ("detected at", format_seconds(s.detected_at_seconds, signed=False)),
        ("rollback started", format_seconds(s.rollback_started_seconds, signed=False)),
        ("rollback completed", format_seconds(s.rollback_completed_seconds, signed=False)),
        (
            "blast radius",
            f"{_plural(s.green_requests, 'request')} served by the new fleet, "
            f"{_plural(s.green_errors, 'error')}"
            if s.green_requests is not None and s.green_errors is not None
            else BLAST_RADIUS_NOT_OBSERVABLE,
        ),
        ("errors users saw", f"{s.user_errors:,} (both fleets, during the deployment)"),
        (
            "peak green traffic",
            f"{100 * s.peak_green_traffic_fraction:.0f}%"
            if s.peak_green_traffic_fraction is not None
            else GREEN_SHARE_NOT_OBSERVABLE,
        ),
        ("instance time", f"{s.instance_seconds / 3600:.2f} instance-hours"),
        ("cost", f"${s.cost_usd:.2f} (both fleets bill for the whole update)"),
    ]


def summary_text(record: RunRecord) -> str:
    """The outcome in plain words, then the numbers."""
    rows = summary_rows(record)
    width = max(len(k) for k, _ in rows)
    body = "\n".join(f"  {k:<{width}}  {v}" for k, v in rows)
    return f"{summary_headline(record)}\n{body}"
