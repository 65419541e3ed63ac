"""``guardsim real verify --component``: an inference component update that SageMaker rolled
back ends InService (there is no RollingBack status) on the old model; verify exits 3 on it,
0 on the expected model, 4 while it still updates, 2 on bad input; through real botocore
clients against the fake AWS, read-only."""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError
from component_helpers import component_scenario, start_component_update_elsewhere
from real_helpers import FakeCLI, run_cli

from guardsim.emulator.clients import EmulatedAWS
from guardsim.real_backend.verify import component_verdict
from guardsim.simulator import simulate


def _ic(status: str, model: str, **more: Any) -> dict[str, Any]:
    return {"InferenceComponentStatus": status, "Specification": {"ModelName": model}, **more}


@pytest.mark.parametrize(
    ("describe", "outcome"),
    [
        (_ic("InService", "v2"), "deployed"),
        (_ic("InService", "v1"), "rolled_back"),  # the only sign of a rollback
        (_ic("InService", "v1", FailureReason="alarm"), "rolled_back"),
        (_ic("Updating", "v1"), "in_progress"),
        (_ic("Creating", "v1"), "in_progress"),
        (_ic("Failed", "v2"), "failed"),
        (_ic("Deleting", "v2"), "failed"),
    ],
)
def test_component_verdict_table(describe: dict[str, Any], outcome: str) -> None:
    assert component_verdict(describe, "v2").outcome == outcome


def drive_until_settled(fake: EmulatedAWS, name: str) -> None:
    """Invoke the component every 10 s (virtually) while it updates: the alarm's traffic."""
    sm, rt = fake("sagemaker"), fake("sagemaker-runtime")
    for _ in range(2000):
        status = sm.describe_inference_component(InferenceComponentName=name)
        if status["InferenceComponentStatus"] != "Updating":
            return
        with contextlib.suppress(ClientError):
            rt.invoke_endpoint(
                EndpointName="llm", InferenceComponentName=name, Body=b"1", ContentType="text/csv"
            )
        fake.clock.sleep(10.0)
    raise AssertionError("the update never ended")


@pytest.mark.parametrize(("green_5xx", "code"), [(1.0, 3), (0.0, 0)])
def test_verify_tells_a_component_rollback_from_a_success(
    fake_cli: FakeCLI, payload: Path, green_5xx: float, code: int
) -> None:
    scenario = component_scenario(payload, green_5xx=green_5xx)
    predicted = simulate(scenario).outcome
    fake = fake_cli(scenario)
    name = start_component_update_elsewhere(fake, scenario)
    # while it updates: 4 with --timeout 0
    status, out, _ = run_cli(
        "real", "verify", "llm", "--component", name, "--expect-model", "chat-v2", "--timeout", "0"
    )
    assert status == 4 and "still Updating" in out
    drive_until_settled(fake, name)
    before = len(fake.calls)
    status, out, err = run_cli(
        "real", "verify", "llm", "--component", name, "--expect-model", "chat-v2"
    )
    assert {c.operation for c in fake.calls[before:]} == {"DescribeInferenceComponent"}
    assert status == code, err
    # the verdict on the real (emulated) component is the simulator's prediction
    assert (predicted == "ROLLED_BACK") == (code == 3)
    if code == 3:
        assert "silent rollback: InService on model chat-v1, not chat-v2" in out
    else:
        assert "InService on model chat-v2, as expected" in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--component", "chat"], "--component and --expect-model go together"),
        (["--expect-model", "m"], "--component and --expect-model go together"),
        (["--expect-config", "c", "--component", "chat", "--expect-model", "m"], "give"),
        ([], "give --expect-config"),
    ],
)
def test_verify_refuses_mixed_arguments(fake_cli: FakeCLI, args: list[str], message: str) -> None:
    fake_cli()
    status, _, err = run_cli("real", "verify", "llm", *args)
    assert status == 2 and message in err
