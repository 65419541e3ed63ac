"""Exact timelines of inference-component updates (SimPy-style: every time fixed, nothing random).

Each scenario is the built-in ``component-extra-instance-success`` or
``component-llm-latency-rollback`` with fixed durations: provisioning 600 s, a copy start 300 s,
activation 10 s, termination 60 s, rollback restore 15 s, publish delay 60 s. The expected
transitions are worked out by hand in each test from those numbers and the rules of
:mod:`guardsim.deployment.components` (a copy on an added instance waits for it; the rolling
path's bakes, removals and rollback). The last cases put a neighbour component with traffic
beside it: its requests dilute the endpoint-wide alarm, not the component's own (the batch
engine and fast mode held to the same outcomes).
"""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from guardsim.batch.engine import run_batch
from guardsim.scenarios import library
from guardsim.scenarios.loading import scenario_from_dict
from guardsim.simulator import simulate


def embedder(endpoint: str, rate: float) -> dict[str, Any]:
    """``component-llm-latency-rollback``'s embedding neighbour (2 copies of 2 CPUs and
    4 GiB), on ``endpoint``, serving ``rate`` requests/s evenly spaced with a fast model."""
    raw = yaml.safe_load(library.text("component-llm-latency-rollback"))
    neighbour: dict[str, Any] = raw["inference_component"]["neighbours"][0]
    neighbour["EndpointName"] = endpoint
    neighbour["traffic"] = {"rate_per_second": rate, "arrivals": "uniform"}
    neighbour["model"] = {"latency": {"median_ms": 20, "p99_ms": 60}}
    return neighbour


FIXED = {
    "provisioning_seconds": {"kind": "fixed", "value": 600},
    "copy_start_seconds": {"kind": "fixed", "value": 300},
    "activation_seconds": {"kind": "fixed", "value": 10},
    "termination_seconds": {"kind": "fixed", "value": 60},
    "rollback_seconds": {"kind": "fixed", "value": 15},
    "metric_publish_delay_seconds": {"kind": "fixed", "value": 60},
}


def _error_alarm(component: str, dimensions: list[dict[str, str]] | None = None) -> dict[str, Any]:
    """The component's 5XX fraction over one minute above 0.3 (its own series, unless
    ``dimensions`` says otherwise)."""
    return {
        "AlarmName": "errors",
        "Namespace": "AWS/SageMaker",
        "MetricName": "Invocation5XXErrors",
        "Statistic": "Average",
        "Dimensions": dimensions or [{"Name": "InferenceComponentName", "Value": component}],
        "Period": 60,
        "EvaluationPeriods": 1,
        "Threshold": 0.3,
        "ComparisonOperator": "GreaterThanThreshold",
        "TreatMissingData": "notBreaching",
    }


def _scenario(
    base: str,
    *,
    fault_at: float | None = None,
    neighbour_rate: float | None = None,
    dimensions: list[dict[str, str]] | None = None,
    **policy: Any,
) -> Any:
    """``base`` with the fixed durations, 2 requests/s evenly spaced and the 5XX alarm; with
    ``neighbour_rate``, the embedding neighbour of ``component-llm-latency-rollback`` beside the
    component, serving that many requests/s (evenly spaced, none failing)."""
    raw = yaml.safe_load(library.text(base))
    component = raw["inference_component"]["component"]["InferenceComponentName"]
    raw["environment"] = dict(FIXED)
    raw["traffic"] = {"rate_per_second": 2, "arrivals": "uniform"}
    raw["simulation"] = {"seed": 1, "warmup_seconds": 300, "cooldown_seconds": 60}
    raw["alarms"] = [_error_alarm(component, dimensions)]
    if neighbour_rate is not None:
        raw["inference_component"]["neighbours"] = [
            embedder(raw["endpoint"]["name"], neighbour_rate)
        ]
    rup = raw["deployment_config"]["RollingUpdatePolicy"]
    rup.update({"WaitIntervalInSeconds": 60, **policy})
    raw["deployment_config"]["AutoRollbackConfiguration"] = {"Alarms": [{"AlarmName": "errors"}]}
    green: dict[str, Any] = {"latency": {"median_ms": 50, "p99_ms": 150}}
    if fault_at is not None:  # every request of the new copies fails from then on
        green["faults"] = [{"kind": "errors", "after_seconds": fault_at, "rate_5xx": 1.0}]
    raw["models"] = {"blue": {"latency": {"median_ms": 50, "p99_ms": 150}}, "green": green}
    return scenario_from_dict(raw)


def _timeline(scenario: Any) -> tuple[str, list[tuple[float, str, str]], list[str]]:
    record = simulate(scenario, mode="exact")
    log = [(t["t"], t["to"], t["trigger"]) for t in record.transitions]
    return record.outcome, log, [t["reason"] for t in record.transitions]


#: ``component-extra-instance-success`` up to batch 2's bake, with the fixed durations
TO_BATCH_2 = [
    (0.0, "Creating", "update"),
    (900.0, "ActivatingTraffic", "fleet_ready"),
    (910.0, "Baking", "traffic_shifted"),
    (970.0, "Deleting", "batch_bake_done"),
    (1030.0, "Creating", "batch_deleted"),
    (1330.0, "ActivatingTraffic", "fleet_ready"),
    (1340.0, "Baking", "traffic_shifted"),
]
#: and its rollback at batch 2's first poll (see test_a_rollback_during_the_second_batch)
ROLLED_BACK_IN_BATCH_2 = [
    *TO_BATCH_2,
    (1340.0, "RollingBack", "alarm_tripped"),
    (1355.0, "RollbackCreating", "rollback_provision"),
    (1655.0, "RollingBack", "rollback_ready"),
    (1665.0, "RollbackDeleting", "traffic_restored"),
    (1725.0, "InService", "rollback_done"),
]
SUCCEEDED = [
    *TO_BATCH_2,
    (1400.0, "Deleting", "batch_bake_done"),
    (1460.0, "InService", "cleanup_done"),
]


def test_two_copies_in_batches_of_one_with_an_extra_instance() -> None:
    # batch 1: the only GPUs are taken, so its copy waits for an added instance (600 s) and
    # starts (300 s): ready at 900; activation 10 s; bake 60 s; the old copy goes in 60 s.
    # batch 2: the removed copy's GPU is free, so its copy starts at once (300 s).
    outcome, log, reasons = _timeline(_scenario("component-extra-instance-success"))
    assert outcome == "SUCCEEDED"
    assert log == SUCCEEDED
    assert "managed instance scaling added 1 instance(s), now 3" in reasons[1]
    assert "instance" not in reasons[5]  # batch 2 reuses the room batch 1's old copy left
    assert "1 new and 1 old copies (50% to new)" in reasons[2]


def test_a_rollback_during_the_second_batch() -> None:
    # The new copies fail from t=1100 (after batch 1's bake, 910-970): the alarm's minute
    # [1080, 1140) is published at 1200 and goes to ALARM then, outside a bake; batch 2's bake
    # starts at 1340 with the alarm in ALARM, so its first poll trips. Restore 15 s: at 1355
    # batch 2's old copy (turned off, not yet removed) serves again, and batch 1's removed copy
    # is re-created (all at once: no RollbackMaximumBatchSize) in 300 s, active after 10 s.
    scenario = _scenario("component-extra-instance-success", fault_at=1100)
    outcome, log, reasons = _timeline(scenario)
    assert (outcome, log) == ("ROLLED_BACK", ROLLED_BACK_IN_BATCH_2)
    assert "Re-creating 1 old copy" in reasons[8]
    assert "InService" in reasons[-1] and "after a success too" in reasons[-1]


# ------------------------------------------------------------------ neighbours' traffic
#
# The same failure beside a neighbour component (2 CPU-only copies, its requests evenly spaced
# and never failing). The component's own series (InferenceComponentName) counts its requests
# alone, so its alarm trips at batch 2's first poll whatever the neighbour serves. The
# endpoint-wide series (EndpointName, VariantName) counts the neighbour's too: idle (0/s) it
# holds the component's requests alone and trips alike; at 10/s (600 a minute) a minute holds
# at most 120 component failures of 720 requests, 0.167 < 0.3, so it can never trip (a bound,
# not a chance): the dilution guardsim lint's component-alarm-dimension warns of.

ENDPOINT_WIDE = [
    {"Name": "EndpointName", "Value": "chat-assistant"},
    {"Name": "VariantName", "Value": "AllTraffic"},
]


def _neighbour_case(rate: float, dimensions: list[dict[str, str]] | None) -> Any:
    return _scenario(
        "component-extra-instance-success",
        fault_at=1100,
        neighbour_rate=rate,
        dimensions=dimensions,
    )


@pytest.mark.parametrize(
    ("rate", "dimensions", "expected"),
    [
        (0.0, None, ("ROLLED_BACK", ROLLED_BACK_IN_BATCH_2)),
        (10.0, None, ("ROLLED_BACK", ROLLED_BACK_IN_BATCH_2)),
        (0.0, ENDPOINT_WIDE, ("ROLLED_BACK", ROLLED_BACK_IN_BATCH_2)),
        (10.0, ENDPOINT_WIDE, ("SUCCEEDED", SUCCEEDED)),
    ],
    ids=["own-idle", "own-busy", "endpoint-idle", "endpoint-busy-diluted"],
)
def test_the_neighbours_traffic_dilutes_only_the_endpoint_wide_alarm(
    rate: float, dimensions: list[dict[str, str]] | None, expected: tuple[str, Any]
) -> None:
    outcome, log, _ = _timeline(_neighbour_case(rate, dimensions))
    assert (outcome, log) == expected
    # the batch engine and fast mode reach the same outcome in every replication
    scenario = _neighbour_case(rate, dimensions)
    assert {r[1] for r in run_batch(scenario, seed=5, start=0, stop=64)} == {expected[0]}
    fast = {simulate(scenario, seed=5, mode="fast", replication=i).outcome for i in range(6)}
    assert fast == {expected[0]}


def test_the_neighbour_draws_from_its_own_streams() -> None:
    # the component's requests, errors and cost are those of the run with an idle neighbour
    busy = simulate(_neighbour_case(10.0, None), mode="exact").summary
    idle = simulate(_neighbour_case(0.0, None), mode="exact").summary
    assert busy == idle


def test_a_timeout() -> None:
    # MaximumExecutionTimeoutInSeconds 600 (its minimum) runs out while batch 1's copy waits for
    # its instance (ready at 900): rollback at 600; nothing was turned off, so the restore (15 s)
    # gives traffic back at once and the unready new copy goes in 60 s.
    scenario = _scenario("component-extra-instance-success", MaximumExecutionTimeoutInSeconds=600)
    outcome, log, reasons = _timeline(scenario)
    assert outcome == "ROLLED_BACK"
    assert log == [
        (0.0, "Creating", "update"),
        (600.0, "RollingBack", "timeout"),
        (615.0, "RollbackDeleting", "traffic_restored"),
        (675.0, "InService", "rollback_done"),
    ]
    assert "MaximumExecutionTimeoutInSeconds (600 s) exceeded" in reasons[1]


def test_rollback_batches_smaller_than_the_copies_updated() -> None:
    # 4 copies in batches of 2, RollbackMaximumBatchSize 1 copy. Batch 1 needs 2 added
    # instances (ready 900); batch 2 reuses batch 1's freed GPUs (300 s). The failure from 1100
    # trips at batch 2's bake start (1340). At 1355 batch 2's 2 kept old copies serve again; the
    # 2 removed ones are re-created one at a time: 1355-1655 (+10 s activation), 1665-1965 (+10).
    scenario = _scenario(
        "component-llm-latency-rollback",
        fault_at=1100,
        RollbackMaximumBatchSize={"Type": "COPY_COUNT", "Value": 1},
    )
    outcome, log, reasons = _timeline(scenario)
    assert outcome == "ROLLED_BACK"
    assert log[6:] == [
        (1340.0, "Baking", "traffic_shifted"),
        (1340.0, "RollingBack", "alarm_tripped"),
        (1355.0, "RollbackCreating", "rollback_provision"),
        (1655.0, "RollingBack", "rollback_ready"),
        (1665.0, "RollbackCreating", "rollback_provision"),
        (1965.0, "RollingBack", "rollback_ready"),
        (1975.0, "RollbackDeleting", "traffic_restored"),
        (2035.0, "InService", "rollback_done"),
    ]
    assert log[1] == (900.0, "ActivatingTraffic", "fleet_ready")
    assert "managed instance scaling added 2 instance(s), now 6" in reasons[1]


def test_a_stalled_batch_runs_into_the_timeout() -> None:
    # Managed instance scaling off: batch 1's new copy has no GPU to go to, so it never starts
    # and the update times out (3600 s), as component-batch-stalls warns.
    raw_base = yaml.safe_load(library.text("component-extra-instance-success"))
    del raw_base["endpoint"]["blue"]["ProductionVariants"][0]["ManagedInstanceScaling"]
    scenario = _scenario("component-extra-instance-success")
    raw = scenario.to_dict()
    raw["endpoint"] = raw_base["endpoint"]
    outcome, log, _ = _timeline(scenario_from_dict(raw))
    assert outcome == "ROLLED_BACK"
    assert log[:2] == [(0.0, "Creating", "update"), (3600.0, "RollingBack", "timeout")]
