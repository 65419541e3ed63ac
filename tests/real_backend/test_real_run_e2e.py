"""Acceptance: the seed's four scenarios run through ``real run`` against the fake AWS and
yield run records (mode ``real``) whose outcome is the simulator's prediction; nothing is left
behind."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from real_helpers import quick_seed, tiny

from guardsim.deployment.machine import Phase
from guardsim.real_backend.fake_aws import FakeAWS
from guardsim.real_backend.run import run_real
from guardsim.record import RunRecord
from guardsim.simulator import simulate

SEEDS = (
    "seed-canary-rollback",
    "seed-canary-success",
    "seed-linear-rollback",
    "seed-linear-success",
)


@pytest.mark.parametrize("name", SEEDS)
def test_seed_scenarios_run_on_the_fake_with_the_predicted_outcome(
    name: str, payload: Path
) -> None:
    scenario = quick_seed(name, payload)
    predicted = simulate(scenario)
    fake = FakeAWS(scenario)
    result = run_real(scenario, clients=fake, clock=fake.clock, run_id="e2e0001")
    assert result.error is None and not result.interrupted
    record = result.record
    assert record is not None
    assert record.mode == "real"
    assert record.outcome == predicted.outcome
    # The same timeline, read from DescribeEndpoint: every phase the simulator went through.
    assert [t["to"] for t in record.transitions] == [t["to"] for t in predicted.transitions]
    assert record.summary.tripped_alarms == predicted.summary.tripped_alarms
    assert record.summary.peak_green_traffic_fraction == pytest.approx(
        predicted.summary.peak_green_traffic_fraction
    )
    # StartTime-based phases are exact; the end comes from LastModifiedTime.
    assert record.summary.deployment_seconds == pytest.approx(
        predicted.summary.deployment_seconds, abs=1e-3
    )
    if predicted.outcome == "ROLLED_BACK":
        assert record.summary.rollback_completed_seconds == pytest.approx(
            predicted.summary.rollback_completed_seconds, abs=1e-3
        )
        # a rollback is seen at the first poll after it began
        started = record.summary.rollback_started_seconds
        assert started is not None and predicted.summary.rollback_started_seconds is not None
        assert 0 <= started - predicted.summary.rollback_started_seconds <= 20.0 + 1e-6
    assert fake.leftovers() == []
    assert result.teardown.clean
    # The record is a valid run record, byte-stable through JSON.
    again = RunRecord.from_data(json.loads(record.to_json()))
    assert again.to_json() == record.to_json()
    assert record.scenario_definition["name"] == name
    assert set(record.datapoints["dimensions"]) == {"blended", "blue", "green"}
    assert {h["alarm"] for h in record.alarm_history} <= {a.name for a in scenario.alarms}


def test_blast_radius_comes_from_the_green_configs_metrics(payload: Path) -> None:
    scenario = quick_seed("seed-canary-rollback", payload)
    predicted = simulate(scenario)
    fake = FakeAWS(scenario)
    record = run_real(scenario, clients=fake, clock=fake.clock, run_id="e2e0002").record
    assert record is not None
    # the green config's Invocations over the minutes of the update: the simulator's count
    assert record.summary.green_requests == predicted.summary.green_requests
    assert record.summary.green_errors == predicted.summary.green_errors


def test_a_hidden_truth_with_slower_provisioning_shows_in_the_record(payload: Path) -> None:
    import dataclasses

    from guardsim.scenarios.distributions import Fixed

    scenario = tiny(payload)
    truth = dataclasses.replace(
        scenario,
        environment=dataclasses.replace(
            scenario.environment, provisioning_seconds=Fixed(kind="fixed", value=420.0)
        ),
    )
    fake = FakeAWS(truth)
    record = run_real(scenario, clients=fake, clock=fake.clock, run_id="e2e0003").record
    assert record is not None
    ready = next(t for t in record.transitions if t["to"] == Phase.ACTIVATING_TRAFFIC.value)
    assert ready["t"] == pytest.approx(420.0)


def test_the_record_times_follow_the_variant_status_start_times(payload: Path) -> None:
    scenario = tiny(payload)
    predicted = simulate(scenario)
    fake = FakeAWS(scenario)
    record = run_real(scenario, clients=fake, clock=fake.clock, run_id="e2e0004").record
    assert record is not None
    observed = {
        (t["to"], round(t["t"], 3))
        for t in record.transitions
        if t["reason"].startswith("VariantStatus")
    }
    simulated = {(t["to"], round(t["t"], 3)) for t in predicted.transitions}
    assert observed and observed <= simulated
