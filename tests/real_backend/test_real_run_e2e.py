"""Acceptance: the seed's four scenarios run through ``real run`` against the fake AWS and
yield run records (mode ``real``) whose outcome is the simulator's prediction; nothing is left
behind."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from real_helpers import emulated, quick_seed, tiny

from guardsim.deployment.machine import Phase
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
def test_seed_scenarios_run_on_the_emulator_with_the_predicted_outcome(
    name: str, payload: Path
) -> None:
    """The real backend's record against the emulator's own account of the same update (its
    run record): the same phases at the same times. The emulator draws its own provisioning
    times and traffic, so against the simulator's prediction only what does not depend on the
    draws is held equal: the outcome and the tripped alarms."""
    scenario = quick_seed(name, payload)
    predicted = simulate(scenario)
    fake = emulated(scenario)
    result = run_real(scenario, clients=fake, clock=fake.clock, run_id="e2e0001")
    assert result.error is None and not result.interrupted
    record = result.record
    assert record is not None
    assert record.mode == "real"
    assert record.outcome == predicted.outcome
    assert record.summary.tripped_alarms == predicted.summary.tripped_alarms
    (truth,) = fake.emulator.update_records()
    # The same timeline, read from DescribeEndpoint: every phase the emulator went through.
    assert [t["to"] for t in record.transitions] == [t["to"] for t in truth.transitions]
    assert record.summary.peak_green_traffic_fraction == pytest.approx(
        truth.summary.peak_green_traffic_fraction
    )
    # StartTime-based phases are exact; the end comes from LastModifiedTime.
    assert record.summary.deployment_seconds == pytest.approx(
        truth.summary.deployment_seconds, abs=1e-3
    )
    if predicted.outcome == "ROLLED_BACK":
        assert record.summary.rollback_completed_seconds == pytest.approx(
            truth.summary.rollback_completed_seconds, abs=1e-3
        )
        # a rollback is seen at the first poll after it began
        started = record.summary.rollback_started_seconds
        assert started is not None and truth.summary.rollback_started_seconds is not None
        assert 0 <= started - truth.summary.rollback_started_seconds <= 20.0 + 1e-6
    assert fake.leftovers() == []
    assert result.teardown.clean
    # The record is a valid run record, byte-stable through JSON.
    again = RunRecord.from_data(json.loads(record.to_json()))
    assert again.to_json() == record.to_json()
    assert record.scenario_definition["name"] == name
    assert set(record.datapoints["dimensions"]) == {"blended", "blue", "green"}
    assert {h["alarm"] for h in record.alarm_history} <= {a.name for a in scenario.alarms}


def test_blast_radius_comes_from_the_green_configs_metrics(payload: Path) -> None:
    """The record's green requests are the green config's Invocations over the whole minutes
    the update spans; the emulator counts each request in the update itself. They differ by
    the green requests of the minute the update ends in (it ends mid-minute), at most the
    endpoint's requests in one minute: background traffic plus the backend's own."""
    scenario = quick_seed("seed-canary-rollback", payload)
    fake = emulated(scenario)
    record = run_real(scenario, clients=fake, clock=fake.clock, run_id="e2e0002").record
    assert record is not None
    (truth,) = fake.emulator.update_records()
    assert scenario.real is not None
    per_minute = 60 * (scenario.traffic.rate_per_second + scenario.real.rate_per_second)
    assert truth.summary.green_requests > per_minute  # more than the slack below
    assert abs(record.summary.green_requests - truth.summary.green_requests) <= per_minute
    # every green request fails (models.green.error_rate_5xx: 1.0)
    assert record.summary.green_errors == record.summary.green_requests


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
    fake = emulated(truth)
    record = run_real(scenario, clients=fake, clock=fake.clock, run_id="e2e0003").record
    assert record is not None
    ready = next(t for t in record.transitions if t["to"] == Phase.ACTIVATING_TRAFFIC.value)
    assert ready["t"] == pytest.approx(420.0)


def test_the_record_times_follow_the_variant_status_start_times(payload: Path) -> None:
    scenario = tiny(payload)
    fake = emulated(scenario)
    record = run_real(scenario, clients=fake, clock=fake.clock, run_id="e2e0004").record
    assert record is not None
    (predicted,) = fake.emulator.update_records()
    observed = {
        (t["to"], round(t["t"], 3))
        for t in record.transitions
        if t["reason"].startswith("VariantStatus")
    }
    simulated = {(t["to"], round(t["t"], 3)) for t in predicted.transitions}
    assert observed and observed <= simulated
