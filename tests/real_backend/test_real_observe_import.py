"""``real observe`` follows an update started elsewhere and writes its record; ``real import``
builds a scenario from a live endpoint that validates and runs in the simulator. Both only
read: the fake sees no create, update or delete from them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from real_helpers import READ_ONLY, FakeCLI, emulated, run_cli, sleep_until, start_update_elsewhere

from guardsim.real_backend.importer import (
    import_endpoint,
    model_from_stats,
    replay_counts,
)
from guardsim.real_backend.observe import observe_endpoint
from guardsim.scenarios import load_scenario, read_scenario
from guardsim.simulator import simulate


@pytest.mark.parametrize("name", ["seed-canary-rollback", "seed-linear-success"])
def test_observe_follows_an_update_started_elsewhere(name: str) -> None:
    """observe's record against the emulator's own record of the update (the emulator draws its
    own provisioning and traffic: only the outcome is held equal to the prediction)."""
    scenario = load_scenario(name)
    predicted = simulate(scenario)
    fake = emulated(scenario)
    endpoint = start_update_elsewhere(fake, scenario)
    fake.clock.sleep(200.0)  # guardsim attaches while the green fleet is being created
    before = len(fake.calls)
    record = observe_endpoint(endpoint, clients=fake, clock=fake.clock, poll_seconds=20.0)
    assert {c.operation for c in fake.calls[before:]} <= READ_ONLY
    assert record.mode == "real" and record.outcome == predicted.outcome
    (truth,) = fake.emulator.update_records()
    assert [t["to"] for t in record.transitions] == [t["to"] for t in truth.transitions]
    assert record.summary.tripped_alarms == predicted.summary.tripped_alarms
    assert record.summary.deployment_seconds == pytest.approx(
        truth.summary.deployment_seconds, abs=1e-3
    )
    # from per-minute metrics: the minute the update ends in is counted in proportion, so
    # they differ by at most one minute of the endpoint's (background) traffic
    assert record.summary.green_requests == pytest.approx(
        truth.summary.green_requests, abs=60 * scenario.traffic.rate_per_second
    )
    assert record.datapoints["metric"], "metrics collected"
    assert record.scenario_definition["deployment_config"] == scenario.deployment_config.to_boto()


def test_observe_refuses_an_endpoint_with_no_update(fake_cli: FakeCLI) -> None:
    scenario = load_scenario("seed-canary-success")
    fake = fake_cli(scenario)
    sm = fake("sagemaker")
    start_update_elsewhere(fake, scenario)
    fake.clock.sleep(3600.0)  # long done
    assert sm.describe_endpoint(EndpointName=scenario.endpoint.name)["EndpointStatus"] == (
        "InService"
    )
    code, _, err = run_cli("real", "observe", "--endpoint", scenario.endpoint.name)
    assert code == 2 and "no update in progress" in err and "--wait" in err


def test_observe_through_the_cli_writes_json(fake_cli: FakeCLI, tmp_path: Path) -> None:
    scenario = load_scenario("seed-canary-rollback")
    fake = fake_cli(scenario)
    start_update_elsewhere(fake, scenario)
    path = tmp_path / "observed.json"
    code, out, err = run_cli(
        "real", "observe", "--endpoint", scenario.endpoint.name, "--json", str(path), "--poll", "30"
    )
    assert code == 0, err
    assert "ROLLED_BACK" in out
    assert json.loads(path.read_text())["outcome"] == "ROLLED_BACK"


def test_import_builds_a_scenario_that_validates_and_simulates(
    fake_cli: FakeCLI, tmp_path: Path
) -> None:
    scenario = load_scenario("seed-canary-rollback")
    fake = fake_cli(scenario)
    start_update_elsewhere(fake, scenario)
    sleep_until(fake, scenario.endpoint.name, "Creating")
    fake.clock.sleep(60.0)  # mid-update: the pending config is the green one
    before = len(fake.calls)
    output = tmp_path / "imported.yaml"
    code, out, err = run_cli(
        "real", "import", "--endpoint", scenario.endpoint.name, "--output", str(output)
    )
    assert code == 0, err + out
    assert {c.operation for c in fake.calls[before:]} <= READ_ONLY
    assert (tmp_path / "imported-traffic.csv").is_file()
    loaded = read_scenario(output)
    assert loaded.scenario is not None, loaded.errors
    imported = loaded.scenario
    assert imported.deployment_config.to_boto() == scenario.deployment_config.to_boto()
    assert [a.to_boto() for a in imported.alarms] == [a.to_boto() for a in scenario.alarms]
    assert imported.endpoint.blue.name == scenario.endpoint.blue.name
    assert imported.endpoint.green.name == scenario.endpoint.green.name
    assert imported.traffic.replay_file is not None
    # while the green fleet is created, the canary has no metrics yet: the green model falls
    # back to the endpoint's blended statistics
    blue, green = imported.models.blue, imported.models.green
    assert 1.0 < blue.latency.median_ms < 10.0
    assert green == blue
    record = simulate(imported)
    assert record.outcome in ("ROLLED_BACK", "SUCCEEDED")


def test_import_reads_each_configs_own_model_behaviour(tmp_path: Path) -> None:
    import dataclasses

    from guardsim.scenarios.models import Latency

    scenario = load_scenario("seed-linear-success")
    slower = dataclasses.replace(
        scenario.models.green, latency=Latency(9.0, 30.0), error_rate_4xx=0.2
    )
    truth = dataclasses.replace(scenario, models=dataclasses.replace(scenario.models, green=slower))
    fake = emulated(truth)
    start_update_elsewhere(fake, truth)
    sleep_until(fake, truth.endpoint.name, "FinalBake")
    fake.clock.sleep(60.0)  # the final bake: both configs have published metrics
    imported = import_endpoint(truth.endpoint.name, clients=fake, clock=fake.clock, days=0.5)
    models = imported.scenario["models"]
    assert 2.0 < models["blue"]["latency"]["median_ms"] < 4.5
    assert 7.0 < models["green"]["latency"]["median_ms"] < 11.0
    assert 0.1 < models["green"]["error_rate_4xx"] < 0.3
    assert "error_rate_4xx" not in models["blue"]


def test_import_of_an_endpoint_with_no_update_copies_the_current_config(
    fake_cli: FakeCLI, tmp_path: Path
) -> None:
    scenario = load_scenario("seed-linear-success")
    fake = fake_cli(scenario)
    start_update_elsewhere(fake, scenario)
    fake.clock.sleep(3600.0)
    imported = import_endpoint(scenario.endpoint.name, clients=fake, clock=fake.clock, days=1)
    data = imported.scenario
    assert "green" not in data["endpoint"]
    assert data["endpoint"]["blue"]["EndpointConfigName"] == scenario.endpoint.green.name
    assert any("copy of the current config" in n for n in imported.notes)
    path = tmp_path / "s.yaml"
    (tmp_path / "traffic.csv").write_text(
        "invocations\n" + "\n".join(f"{c:g}" for c in imported.replay) + "\n"
    )
    path.write_text(yaml.safe_dump(data))
    result = read_scenario(path)
    assert result.scenario is not None, result.errors
    assert simulate(result.scenario).outcome == "SUCCEEDED"


def test_model_from_stats_converts_microseconds_and_fractions() -> None:
    model = model_from_stats(
        {
            "ModelLatency.p50": 3000.0,
            "ModelLatency.p99": 2500.0,  # p99 < p50: clamped
            "OverheadLatency.p50": None,
            "Invocation5XXErrors.Average": 0.7,
            "Invocation4XXErrors.Average": 0.5,
        }
    )
    assert model == {
        "latency": {"median_ms": 3.0, "p99_ms": 3.0},
        "error_rate_5xx": 0.7,
        "error_rate_4xx": pytest.approx(0.3),
    }


def test_replay_counts_fill_gaps_and_spread_five_minute_sums() -> None:
    assert replay_counts([(60.0, 5.0), (240.0, 7.0)], 0.0, 600.0, 60) == (5.0, 0.0, 0.0, 7.0)
    assert replay_counts([(0.0, 50.0)], 0.0, 600.0, 300) == (10.0,) * 5
    assert replay_counts([], 0.0, 600.0, 60) == ()


def test_import_refuses_too_many_days(fake_cli: FakeCLI) -> None:
    fake_cli()
    code, _, err = run_cli("real", "import", "--endpoint", "x", "--days", "90")
    assert code == 2 and "--days" in err
