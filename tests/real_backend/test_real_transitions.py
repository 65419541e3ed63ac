"""Table tests of the pure translation: DescribeEndpoint observations -> phase transitions,
and the outcome decision (aws-model.md #detecting-the-outcome)."""

from __future__ import annotations

import pytest

from guardsim.deployment.machine import Phase, Trigger, next_phase
from guardsim.real_backend.observations import Observation, VariantStatus, update_ended
from guardsim.real_backend.outcome import decide_outcome
from guardsim.real_backend.transitions import (
    Context,
    allowed_triggers,
    shortest_path,
    translate,
)

T0 = 1000.0
OLD, NEW = "cfg-1", "cfg-2"


def ctx(policy: str = "CANARY", **kw: object) -> Context:
    base = dict(
        t0=T0,
        old_config=OLD,
        new_config=NEW,
        policy=policy,
        blue_instances=3,
        green_instances=3,
        planned_green=(1, 3),
        traffic_start=-300.0,
    )
    base.update(kw)
    return Context(**base)  # type: ignore[arg-type]


def vs(status: str, start: float, message: str = "") -> VariantStatus:
    return VariantStatus(status, message, T0 + start, "pending")


def obs(
    at: float,
    status: str = "Updating",
    *statuses: VariantStatus,
    config: str = OLD,
    pending: bool = True,
    failure: str = "",
    modified: float | None = None,
) -> Observation:
    return Observation(
        at=T0 + at,
        endpoint_status=status,
        config_name=config,
        pending_config=NEW if pending else None,
        variant_statuses=statuses,
        failure_reason=failure,
        last_modified=None if modified is None else T0 + modified,
    )


CREATING = vs("Creating", 0.5, "Launching 3 instance(s).")
ACTIVATING = vs("ActivatingTraffic", 300, "Activating traffic on canary capacity of 1 instance(s).")
CANARY_BAKE = vs(
    "Baking",
    310,
    "Baking for 300 seconds (WaitIntervalInSeconds) with traffic "
    "enabled on canary capacity of 1 instance(s).",
)
ACTIVATING_2 = vs("ActivatingTraffic", 610, "Activating traffic on full capacity of 3 instance(s).")
FINAL_BAKE = vs(
    "Baking",
    620,
    "Baking for 120 seconds (TerminationWaitInSeconds) with traffic "
    "enabled on full capacity of 3 instance(s).",
)
DELETE_BLUE = vs("Deleting", 740, "Terminating 3 instance(s).")
DELETE_GREEN = vs("Deleting", 420, "Terminating 3 instance(s).")


def phases(
    observations: list[Observation], context: Context | None = None
) -> list[tuple[float, str, str]]:
    tr = translate(observations, context or ctx())
    return [(round(t.time, 3), t.target.value, t.trigger.value) for t in tr.transitions]


def test_a_canary_that_succeeds_every_stage_observed() -> None:
    seq = [
        obs(1, "Updating", CREATING),
        obs(301, "Updating", ACTIVATING),
        obs(311, "Updating", CANARY_BAKE),
        obs(611, "Updating", ACTIVATING_2),
        obs(621, "Updating", FINAL_BAKE),
        obs(741, "Updating", DELETE_BLUE),
        obs(800, "InService", config=NEW, pending=False, modified=790),
    ]
    assert phases(seq) == [
        (0.0, "Creating", "update"),
        (300.0, "ActivatingTraffic", "fleet_ready"),
        (310.0, "Baking", "traffic_shifted"),
        (610.0, "ActivatingTraffic", "bake_done"),
        (620.0, "FinalBake", "final_traffic_shifted"),
        (740.0, "Deleting", "final_bake_done"),
        (790.0, "InService", "cleanup_done"),
    ]
    tr = translate(seq, ctx())
    assert tr.decision.outcome == "SUCCEEDED" and tr.finished
    assert [(r["t"], r["active_green"], r["active_blue"]) for r in tr.traffic] == [
        (-300.0, 0, 3),
        (310.0, 1, 2),
        (620.0, 3, 0),
    ]
    assert tr.peak_green_fraction == 1.0


def test_a_canary_rollback_seen_through_failure_reason() -> None:
    seq = [
        obs(1, "Updating", CREATING),
        obs(311, "Updating", CANARY_BAKE),
        obs(405, "Updating", CANARY_BAKE, failure="alarm X in ALARM"),
        obs(421, "Updating", DELETE_GREEN, failure="alarm X in ALARM"),
        obs(490, "InService", config=OLD, pending=False, failure="alarm X", modified=480),
    ]
    assert phases(seq) == [
        (0.0, "Creating", "update"),
        (310.0, "ActivatingTraffic", "fleet_ready"),  # not observed: inferred
        (310.0, "Baking", "traffic_shifted"),
        (405.0, "RollingBack", "alarm_tripped"),
        (420.0, "RollbackDeleting", "traffic_restored"),
        (480.0, "InService", "rollback_done"),
    ]
    tr = translate(seq, ctx())
    assert tr.decision.outcome == "ROLLED_BACK"
    assert tr.rollback_started == 405.0 and tr.rollback_completed == 420.0
    assert tr.transitions[1].reason.startswith("inferred")
    assert tr.traffic[-1]["active_green"] == 0 and tr.traffic[-1]["active_blue"] == 3


def test_a_rollback_seen_only_in_its_result_is_inferred_at_the_deletion() -> None:
    # No FailureReason: the update ended on the old config, so the deletion was the green
    # fleet's: the rollback began at the latest when it started.
    seq = [
        obs(1, "Updating", CREATING),
        obs(311, "Updating", CANARY_BAKE),
        obs(421, "Updating", DELETE_GREEN),
        obs(490, "InService", config=OLD, pending=False, modified=480),
    ]
    got = phases(seq)
    assert got[-3:] == [
        (420.0, "RollingBack", "alarm_tripped"),
        (420.0, "RollbackDeleting", "traffic_restored"),
        (480.0, "InService", "rollback_done"),
    ]


def test_a_timeout_rollback_uses_the_timeout_trigger() -> None:
    seq = [
        obs(1, "Updating", CREATING),
        obs(311, "Updating", CANARY_BAKE),
        obs(
            400,
            "Updating",
            CANARY_BAKE,
            failure="MaximumExecutionTimeoutInSeconds (1800 s) exceeded",
        ),
        obs(
            490,
            "InService",
            config=OLD,
            pending=False,
            modified=480,
            failure="MaximumExecutionTimeoutInSeconds (1800 s) exceeded",
        ),
    ]
    tr = translate(seq, ctx())
    assert tr.first(Phase.ROLLING_BACK) is not None
    assert tr.rollback_trigger == Trigger.TIMEOUT


def test_rolling_back_endpoint_status_is_a_rollback() -> None:
    seq = [
        obs(1, "Updating", CREATING),
        obs(311, "Updating", CANARY_BAKE),
        obs(400, "RollingBack", CANARY_BAKE),
        obs(490, "InService", config=OLD, pending=False, modified=480),
    ]
    assert "RollingBack" in [p for _, p, _ in phases(seq)]


def test_polls_that_miss_whole_stages_infer_them_in_order() -> None:
    linear = ctx("LINEAR", planned_green=(1, 2, 3))
    step1 = vs(
        "Baking",
        310,
        "Baking for 180 seconds (WaitIntervalInSeconds) with traffic "
        "enabled on linear step capacity of 1 instance(s).",
    )
    step2 = vs(
        "Baking",
        500,
        "Baking for 180 seconds (WaitIntervalInSeconds) with traffic "
        "enabled on linear step capacity of 2 instance(s).",
    )
    seq = [
        obs(320, "Updating", step1),
        obs(505, "Updating", step2),
        obs(1000, "InService", config=NEW, pending=False, modified=990),
    ]
    got = phases(seq, linear)
    assert [p for _, p, _ in got] == [
        "Creating",
        "ActivatingTraffic",
        "Baking",
        "ActivatingTraffic",
        "Baking",
        "ActivatingTraffic",
        "FinalBake",
        "Deleting",
        "InService",
    ]
    tr = translate(seq, linear)
    assert [r["active_green"] for r in tr.traffic] == [0, 1, 2, 3]


@pytest.mark.parametrize(
    ("final", "expected_phase"),
    [("Failed", "Failed"), ("UpdateRollbackFailed", "UpdateRollbackFailed")],
)
def test_failures_end_the_timeline(final: str, expected_phase: str) -> None:
    seq = [
        obs(1, "Updating", CREATING),
        obs(311, "Updating", CANARY_BAKE),
        obs(500, final, pending=False, failure="it broke", modified=495),
    ]
    tr = translate(seq, ctx())
    assert tr.transitions[-1].target.value == expected_phase
    assert tr.decision.outcome == "FAILED" and tr.finished
    if final == "UpdateRollbackFailed":
        assert tr.first(Phase.ROLLING_BACK) is not None  # it must have been rolling back


def test_failed_during_a_rollback_is_recorded_as_update_rollback_failed() -> None:
    seq = [
        obs(1, "Updating", CREATING),
        obs(311, "Updating", CANARY_BAKE),
        obs(405, "Updating", CANARY_BAKE, failure="alarm"),
        obs(500, "Failed", pending=False, failure="alarm", modified=495),
    ]
    tr = translate(seq, ctx())
    assert tr.transitions[-1].target == Phase.UPDATE_ROLLBACK_FAILED
    assert any("Failed during a rollback" in n for n in tr.notes)


def test_an_update_still_running_is_not_finished() -> None:
    seq = [obs(1, "Updating", CREATING), obs(311, "Updating", CANARY_BAKE)]
    tr = translate(seq, ctx())
    assert not tr.finished and tr.decision.outcome == "FAILED"
    assert tr.end == pytest.approx(311.0)


def test_every_translated_transition_is_legal_in_the_machine() -> None:
    seq = [
        obs(1, "Updating", CREATING),
        obs(311, "Updating", CANARY_BAKE),
        obs(421, "Updating", DELETE_GREEN),
        obs(490, "InService", config=OLD, pending=False, modified=480),
    ]
    for t in translate(seq, ctx()).transitions:
        assert next_phase(t.source, t.trigger) == t.target


def test_rolling_deletions_are_batches_unless_rolled_back() -> None:
    rolling = ctx("ROLLING", planned_green=(1, 2, 3))
    b1 = vs(
        "Baking",
        310,
        "Baking for 60 seconds (WaitIntervalInSeconds) with traffic enabled "
        "on batch capacity of 1 instance(s).",
    )
    d1 = vs("Deleting", 370, "Terminating 1 instance(s).")
    c2 = vs("Creating", 430, "Launching 1 instance(s).")
    seq = [obs(311, "Updating", b1), obs(371, "Updating", d1), obs(431, "Updating", c2)]
    got = [p for _, p, _ in phases(seq, rolling)]
    assert got == ["Creating", "ActivatingTraffic", "Baking", "Deleting", "Creating"]


# --------------------------------------------------------------------------- path search


@pytest.mark.parametrize(
    ("source", "target", "via", "expected"),
    [
        (Phase.BAKING, Phase.BAKING, None, ["bake_done", "traffic_shifted"]),
        (Phase.BAKING, Phase.ROLLBACK_DELETING, True, ["alarm_tripped", "traffic_restored"]),
        (Phase.FINAL_BAKE, Phase.IN_SERVICE, False, ["final_bake_done", "cleanup_done"]),
        (
            Phase.FINAL_BAKE,
            Phase.IN_SERVICE,
            True,
            ["alarm_tripped", "traffic_restored", "rollback_done"],
        ),
        (Phase.CREATING, Phase.UPDATE_ROLLBACK_FAILED, None, ["alarm_tripped", "rollback_failed"]),
        (Phase.ROLLBACK_DELETING, Phase.FAILED, None, None),
    ],
)
def test_shortest_legal_paths(
    source: Phase, target: Phase, via: bool | None, expected: list[str] | None
) -> None:
    path = shortest_path(source, target, allowed_triggers("CANARY"), via_rollback=via)
    assert (None if path is None else [t.value for t, _ in path]) == expected


def test_blue_green_paths_never_use_rolling_batches() -> None:
    path = shortest_path(Phase.BAKING, Phase.DELETING, allowed_triggers("LINEAR"))
    assert path is not None and Trigger.BATCH_BAKE_DONE not in [t for t, _ in path]
    rolling = shortest_path(Phase.BAKING, Phase.DELETING, allowed_triggers("ROLLING"))
    assert rolling is not None and [t for t, _ in rolling] == [Trigger.BATCH_BAKE_DONE]


# --------------------------------------------------------------------------- outcome


@pytest.mark.parametrize(
    ("status", "config", "outcome"),
    [
        ("InService", NEW, "SUCCEEDED"),
        ("InService", OLD, "ROLLED_BACK"),
        ("InService", "cfg-other", "FAILED"),
        ("UpdateRollbackFailed", OLD, "FAILED"),
        ("UpdateRollbackFailed", NEW, "FAILED"),
        ("Failed", OLD, "FAILED"),
        ("Failed", NEW, "FAILED"),
        ("Updating", OLD, "FAILED"),
    ],
)
def test_outcome_decision_table(status: str, config: str, outcome: str) -> None:
    decision = decide_outcome(status, config, old_config=OLD, new_config=NEW, failure_reason="x")
    assert decision.outcome == outcome
    assert decision.reason


def test_a_rollback_is_not_a_success_although_the_status_is_in_service() -> None:
    # The boto3 waiter would call this a success (aws-model.md #detecting-the-outcome): the config
    # says otherwise.
    assert decide_outcome("InService", OLD, old_config=OLD, new_config=NEW).outcome == (
        "ROLLED_BACK"
    )


def test_in_service_right_after_update_endpoint_is_not_the_end() -> None:
    # DescribeEndpoint may still show the state from before the call.
    before = obs(0.2, "InService", config=OLD, pending=False, modified=-500)
    assert not update_ended([before], T0, NEW)
    assert update_ended(
        [
            before,
            obs(5, "Updating", CREATING),
            obs(900, "InService", config=OLD, pending=False, modified=880),
        ],
        T0,
        NEW,
    )
