"""``guardsim real verify``: exit 0 on the expected config, 3 on a silent rollback (InService on
the old config, the cause only in FailureReason), 2 on bad input; through the fake AWS."""

from __future__ import annotations

import pytest
from real_helpers import FakeCLI, run_cli, start_update_elsewhere

from guardsim.real_backend.verify import verdict
from guardsim.scenarios import load_scenario

READ_ONLY = {"DescribeEndpoint"}


@pytest.mark.parametrize(
    ("describe", "outcome"),
    [
        ({"EndpointStatus": "InService", "EndpointConfigName": "new"}, "deployed"),
        (
            {"EndpointStatus": "InService", "EndpointConfigName": "old", "FailureReason": "x"},
            "rolled_back",
        ),
        ({"EndpointStatus": "InService", "EndpointConfigName": "old"}, "rolled_back"),
        ({"EndpointStatus": "Updating", "EndpointConfigName": "old"}, "in_progress"),
        ({"EndpointStatus": "RollingBack", "EndpointConfigName": "old"}, "in_progress"),
        ({"EndpointStatus": "UpdateRollbackFailed", "EndpointConfigName": "old"}, "failed"),
        ({"EndpointStatus": "Failed", "EndpointConfigName": "new"}, "failed"),
    ],
)
def test_verdict_table(describe: dict[str, str], outcome: str) -> None:
    assert verdict(describe, "new").outcome == outcome


def test_success_exits_0(fake_cli: FakeCLI) -> None:
    scenario = load_scenario("seed-canary-success")
    fake = fake_cli(scenario)
    name = start_update_elsewhere(fake, scenario)
    before = len(fake.calls)
    code, out, err = run_cli(
        "real", "verify", name, "--expect-config", scenario.endpoint.green.name, "--poll", "60"
    )
    assert code == 0, err
    assert f"InService on {scenario.endpoint.green.name}, as expected" in out
    assert {c.operation for c in fake.calls[before:]} <= READ_ONLY
    assert "still Updating" in err  # it waited for the update to settle


def test_silent_rollback_exits_3_with_the_reason(fake_cli: FakeCLI) -> None:
    scenario = load_scenario("seed-canary-rollback")
    fake = fake_cli(scenario)
    name = start_update_elsewhere(fake, scenario)
    code, out, _ = run_cli(
        "real", "verify", name, "--expect-config", scenario.endpoint.green.name, "--poll", "60"
    )
    assert code == 3
    assert f"silent rollback: InService on {scenario.endpoint.blue.name}" in out
    assert "FailureReason:" in out


def test_still_updating_after_the_timeout_exits_4(fake_cli: FakeCLI) -> None:
    scenario = load_scenario("seed-canary-success")
    fake = fake_cli(scenario)
    name = start_update_elsewhere(fake, scenario)
    code, out, _ = run_cli(
        "real", "verify", name, "--expect-config", scenario.endpoint.green.name, "--timeout", "0"
    )
    assert code == 4 and "still Updating" in out


def test_bad_input_exits_2(fake_cli: FakeCLI) -> None:
    fake_cli(load_scenario("seed-canary-success"))
    code, _, err = run_cli("real", "verify", "no-such-endpoint", "--expect-config", "x")
    assert code == 2 and "Could not find endpoint" in err
    code, _, _ = run_cli("real", "verify", "e")  # --expect-config is required
    assert code == 2
