"""The run record of a real run (mode ``real``), from what was observed (pure).

Same layout as a simulated record (:mod:`guardsim.record`), so both can be compared:

* ``transitions`` and ``traffic`` come from :func:`~.transitions.translate`;
* ``alarm_history`` from DescribeAlarmHistory and ``datapoints`` from GetMetricData, with the
  scenario's alarm names (the run's prefixed names are in ``notes``);
* ``instances``: SageMaker shows fleets, not instances, so each fleet's instances share its
  times: blue from the endpoint's creation, green from UpdateEndpoint to ``Creating`` ending,
  activated at the traffic step that enabled them; terminated when their fleet's deletion ended;
* ``summary``: the blast radius (``green_requests``, ``green_errors``) is the green config's own
  metrics (``EndpointConfigName`` dimension) during the update (a minute that straddles its
  start or end counts in proportion), or null when no series is the new fleet's own
  (``green_observable``: an inference component's); ``user_errors`` counts the
  errors the run's own requests got during the update (for an observed update, which sends no
  traffic, the blended metrics'); cost uses the scenario's instance prices;
* ``alarm_evaluations`` is empty: CloudWatch keeps state changes, not evaluations.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from guardsim import __version__
from guardsim.deployment.machine import Phase, Trigger
from guardsim.model.billing import bill, reported_usd
from guardsim.real_backend.collect import alarm_state_at
from guardsim.real_backend.traffic import Request
from guardsim.real_backend.transitions import Translation
from guardsim.record import RunRecord, Summary


@dataclass(frozen=True)
class Fleet:
    instance_type: str
    count: int
    price_per_hour: float


@dataclass(frozen=True)
class RecordInputs:
    scenario_name: str
    scenario_definition: Mapping[str, Any]
    seed: int
    t0: float  #: epoch of UpdateEndpoint
    translation: Translation
    blue: Fleet
    green: Fleet
    rollback_alarms: tuple[str, ...]  #: scenario names, in AutoRollbackConfiguration order
    alarm_history: tuple[dict[str, Any], ...]
    datapoints: Mapping[str, list[Any]]
    requests: tuple[Request, ...] | None  #: None: no traffic was driven (observe)
    blue_launched_at: float  #: record time the blue fleet started (endpoint creation)
    blue_ready_at: float
    billing_granularity_seconds: float = 1.0
    notes: tuple[str, ...] = ()
    #: False: no series is the new fleet's alone, so the blast radius is null (not 0)
    green_observable: bool = True


def _sum_metric(
    datapoints: Mapping[str, list[Any]], view: str, metrics: Sequence[str], end: float
) -> float:
    """Sum of ``metrics`` in ``view`` during the update [0, end): whole minutes inside it, and
    the share of a minute that straddles its start or end (CloudWatch's minutes are not the
    update's)."""
    total = 0.0
    cols = datapoints
    for i, metric in enumerate(cols.get("metric", [])):
        if metric not in metrics or cols["dimensions"][i] != view:
            continue
        ts = cols["timestamp"][i]
        inside = min(ts + 60.0, end) - max(ts, 0.0)
        if inside > 0:
            total += (cols["sum"][i] or 0.0) * min(1.0, inside / 60.0)
    return total


def _instances(inputs: RecordInputs, end: float) -> list[dict[str, Any]]:
    tr = inputs.translation
    ready = tr.first(Phase.ACTIVATING_TRAFFIC)
    green_ready = ready.time if ready is not None else None
    outcome = tr.decision.outcome
    cleanup = next((t for t in tr.transitions if t.trigger == Trigger.CLEANUP_DONE), None)
    rolled = next((t for t in tr.transitions if t.trigger == Trigger.ROLLBACK_DONE), None)
    rows: list[dict[str, Any]] = []
    blue_end = cleanup.time if cleanup is not None and outcome == "SUCCEEDED" else None
    for _ in range(inputs.blue.count):
        rows.append(
            {
                "fleet": "blue",
                "launched_at": inputs.blue_launched_at,
                "ready_at": inputs.blue_ready_at,
                "activated_at": inputs.blue_ready_at,
                "terminated_at": blue_end,
            }
        )
    # green instance k is activated at the first traffic row with more than k green instances
    activations: list[float | None] = []
    for k in range(inputs.green.count):
        at = next((r["t"] for r in tr.traffic if r["active_green"] > k), None)
        activations.append(at)
    # Failed / UpdateRollbackFailed, or still running: the green fleet's end is unknown.
    green_end = rolled.time if rolled is not None else None
    for k in range(inputs.green.count):
        rows.append(
            {
                "fleet": "green",
                "launched_at": 0.0,
                "ready_at": green_ready,
                "activated_at": activations[k],
                "terminated_at": green_end,
            }
        )
    return rows


def tripped_alarms(inputs: RecordInputs) -> tuple[str, ...]:
    """The rollback alarms in ALARM when the rollback began (CloudWatch's history says)."""
    start = inputs.translation.rollback_started
    if start is None or inputs.translation.rollback_trigger != Trigger.ALARM_TRIPPED:
        return ()
    return tuple(
        name
        for name in inputs.rollback_alarms
        if alarm_state_at(inputs.alarm_history, name, start + 1e-6) == "ALARM"
    )


def assemble_record(inputs: RecordInputs) -> RunRecord:
    tr = inputs.translation
    end = tr.end
    instances = _instances(inputs, end)
    billed = bill(
        [r["launched_at"] for r in instances],
        [math.inf if r["terminated_at"] is None else r["terminated_at"] for r in instances],
        [(inputs.blue if r["fleet"] == "blue" else inputs.green).price_per_hour for r in instances],
        end,
        inputs.billing_granularity_seconds,
    )
    green_requests: int | None = None
    green_errors: int | None = None
    if inputs.green_observable:
        green_requests = round(_sum_metric(inputs.datapoints, "green", ("Invocations",), end))
        green_errors = round(
            _sum_metric(
                inputs.datapoints, "green", ("Invocation4XXErrors", "Invocation5XXErrors"), end
            )
        )
    if inputs.requests is not None:
        user_errors = sum(1 for r in inputs.requests if r.is_error and 0 <= r.t - inputs.t0 < end)
    else:
        user_errors = round(
            _sum_metric(
                inputs.datapoints, "blended", ("Invocation4XXErrors", "Invocation5XXErrors"), end
            )
        )
    rollback = tr.rollback_started
    detected = rollback if tr.rollback_trigger == Trigger.ALARM_TRIPPED else None
    summary = Summary(
        deployment_seconds=end,
        detected_at_seconds=detected,
        rollback_started_seconds=rollback,
        rollback_completed_seconds=tr.rollback_completed,
        tripped_alarms=tripped_alarms(inputs),
        green_requests=green_requests,
        green_errors=green_errors,
        user_errors=int(user_errors),
        # the traffic rows of a component update follow the plan's batches, not observation
        peak_green_traffic_fraction=tr.peak_green_fraction if inputs.green_observable else None,
        instance_seconds=float(billed.instance_seconds),
        cost_usd=reported_usd(float(billed.cost_usd)),
    )
    notes = [tr.decision.reason, *tr.notes, *inputs.notes]
    if not tr.finished:
        notes.append("the update had not ended when guardsim stopped following it")
    return RunRecord(
        scenario=inputs.scenario_name,
        seed=inputs.seed,
        mode="real",
        guardsim_version=__version__,
        outcome=tr.decision.outcome,
        summary=summary,
        transitions=tuple(t.to_data() for t in tr.transitions),
        traffic=tr.traffic,
        instances=tuple(instances),
        alarm_history=inputs.alarm_history,
        alarm_evaluations=(),
        datapoints={k: list(v) for k, v in inputs.datapoints.items()},
        scenario_definition=dict(inputs.scenario_definition),
        notes=tuple(notes),
    )
