"""Safety: nothing runs without --yes, placeholders are refused, only tagged resources are
touched, every failure tears down and says which AWS call failed with which code, and no
credential ever reaches a log, a message or a record."""

from __future__ import annotations

import dataclasses
import json
import logging
import re
from pathlib import Path

import pytest
import yaml
from real_helpers import FakeCLI, emulated, placeholder_values, quick_seed, run_cli, tiny

from guardsim.emulator.clients import ACCESS_KEY_ID as FAKE_ACCESS_KEY_ID
from guardsim.emulator.clients import SECRET_ACCESS_KEY as FAKE_SECRET_ACCESS_KEY
from guardsim.emulator.faults import InjectedFaults
from guardsim.errors import AWSError, GuardsimError
from guardsim.real_backend.clients import RedactingFilter, call, client_config, redact
from guardsim.real_backend.naming import run_tags
from guardsim.real_backend.run import run_real
from guardsim.real_backend.teardown import Ledger, teardown
from guardsim.scenarios.distributions import Fixed


def set_args(payload: Path) -> list[str]:
    return [arg for k, v in placeholder_values(payload).items() for arg in ("--set", f"{k}={v}")]


def test_run_refuses_without_yes_and_creates_nothing(fake_cli: FakeCLI, payload: Path) -> None:
    fake = fake_cli()
    code, out, err = run_cli("real", "run", "seed-canary-success", *set_args(payload))
    assert code == 2
    assert "nothing was created" in err and "--yes" in err
    assert "Estimated instance cost" in out  # the plan and its cost come first
    assert fake.calls == []


def test_run_refuses_placeholders_and_creates_nothing(fake_cli: FakeCLI) -> None:
    fake = fake_cli()
    code, _, err = run_cli("real", "run", "seed-canary-success", "--yes")
    assert code == 2
    assert "placeholders" in err and "--set EXECUTION_ROLE_ARN=..." in err
    assert "real.execution_role_arn" in err
    assert fake.calls == []


def test_a_filled_value_is_checked_against_the_service_model(
    fake_cli: FakeCLI, payload: Path
) -> None:
    fake_cli()
    args = set_args(payload)
    args[args.index(f"EXECUTION_ROLE_ARN={placeholder_values(payload)['EXECUTION_ROLE_ARN']}")] = (
        "EXECUTION_ROLE_ARN=not-an-arn"
    )
    code, _, err = run_cli("real", "run", "seed-canary-success", "--yes", *args)
    assert code == 2 and "real.execution_role_arn" in err and "Traceback" not in err


def test_run_through_the_cli_writes_the_record_and_leaks_no_credentials(
    fake_cli: FakeCLI, payload: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    scenario = tiny(payload, models={})  # a good green model: SUCCEEDED
    path = tmp_path / "tiny.yaml"
    path.write_text(yaml.safe_dump(scenario.to_dict()), encoding="utf-8")
    fake = fake_cli(scenario)
    record_path, requests_path = tmp_path / "run.json", tmp_path / "requests.csv"
    with caplog.at_level(logging.DEBUG, logger="guardsim"):
        code, out, err = run_cli(
            "real",
            "run",
            str(path),
            "--yes",
            "--run-id",
            "cli0001",
            "--json",
            str(record_path),
            "--requests",
            str(requests_path),
            "--verbose",
        )
    assert code == 0, err
    assert "SUCCEEDED" in out and "teardown of run cli0001: 6 resource(s) deleted" in out
    assert fake.leftovers() == []
    record = json.loads(record_path.read_text())
    assert record["mode"] == "real" and record["outcome"] == "SUCCEEDED"
    rows = requests_path.read_text().splitlines()
    assert rows[0].startswith("t,status,http_status,variant") and len(rows) > 5
    # --verbose shows botocore's debug logs (signed requests among them), masked
    assert "botocore" in err and "<redacted>" in err
    everything = "\n".join(
        [out, err, caplog.text, record_path.read_text(), requests_path.read_text()]
    )
    assert FAKE_ACCESS_KEY_ID not in everything
    assert FAKE_SECRET_ACCESS_KEY not in everything
    assert not re.search(r"AKIA[0-9A-Z]{12,}", everything)
    assert not re.search(r"Signature=[0-9a-f]{16,}", everything)


def test_an_aws_failure_names_the_operation_and_code_and_tears_down(
    fake_cli: FakeCLI, payload: Path
) -> None:
    fake = fake_cli(
        quick_seed("seed-canary-success", payload),
        faults=InjectedFaults(fail_call=("CreateEndpoint", 1)),
    )
    code, out, err = run_cli("real", "run", "seed-canary-success", "--yes", *set_args(payload))
    assert code == 2
    assert "CreateEndpoint" in err and "AccessDeniedException" in err
    assert "Traceback" not in err
    assert fake.leftovers() == []
    assert "6 resource(s) deleted" in out  # models, configs and alarms; no endpoint was made


def test_ctrl_c_tears_down_and_exits_130(fake_cli: FakeCLI, payload: Path) -> None:
    fake = fake_cli(
        quick_seed("seed-canary-rollback", payload),
        faults=InjectedFaults(interrupt_call=("DescribeEndpoint", 12)),
    )
    code, out, err = run_cli("real", "run", "seed-canary-rollback", "--yes", *set_args(payload))
    assert code == 130
    assert "interrupted" in err and "7 resource(s) deleted" in out
    assert fake.leftovers() == []


def test_teardown_refuses_resources_without_the_run_tag(payload: Path) -> None:
    fake = emulated(tiny(payload))
    sm, cw = fake("sagemaker"), fake("cloudwatch")
    # Someone else's resources that happen to carry names a run would use.
    sm.create_model(
        ModelName="guardsim-abcd-m",
        ExecutionRoleArn=placeholder_values(payload)["EXECUTION_ROLE_ARN"],
        PrimaryContainer={"Image": "img"},
    )
    cw.put_metric_alarm(
        AlarmName="guardsim-abcd-a",
        Namespace="N",
        MetricName="M",
        Statistic="Sum",
        Period=60,
        EvaluationPeriods=1,
        Threshold=1.0,
        ComparisonOperator="GreaterThanThreshold",
        Tags=[{"Key": "guardsim:run-id", "Value": "other"}],
    )
    sm.create_model(
        ModelName="guardsim-abcd-mine",
        ExecutionRoleArn=placeholder_values(payload)["EXECUTION_ROLE_ARN"],
        PrimaryContainer={"Image": "img"},
        Tags=run_tags("abcd"),
    )
    ledger = Ledger("abcd")
    for kind, name in (
        ("model", "guardsim-abcd-m"),
        ("alarm", "guardsim-abcd-a"),
        ("model", "guardsim-abcd-mine"),
        ("endpoint", "guardsim-abcd-none"),
    ):
        ledger.add(kind, name)  # type: ignore[arg-type]
    report = teardown(ledger, fake, fake.clock)
    status = {i.resource.name: i.status for i in report.items}
    assert status == {
        "guardsim-abcd-m": "refused",
        "guardsim-abcd-a": "refused",
        "guardsim-abcd-mine": "deleted",
        "guardsim-abcd-none": "gone",
    }
    assert fake.resources()["models"] == ["guardsim-abcd-m"]
    assert fake.resources()["alarms"] == ["guardsim-abcd-a"]
    assert "not touched" in report.text()
    assert not any(
        c.operation.startswith("Delete") and c.params.get("ModelName") == "guardsim-abcd-m"
        for c in fake.calls
    )


def test_a_name_clash_with_an_untagged_endpoint_stops_the_run_without_touching_it(
    payload: Path,
) -> None:
    scenario = tiny(payload)
    fake = emulated(scenario)
    sm = fake("sagemaker")
    role = placeholder_values(payload)["EXECUTION_ROLE_ARN"]
    sm.create_model(ModelName="theirs", ExecutionRoleArn=role, PrimaryContainer={"Image": "i"})
    sm.create_endpoint_config(
        EndpointConfigName="theirs",
        ProductionVariants=[
            {
                "VariantName": "AllTraffic",
                "ModelName": "theirs",
                "InstanceType": "ml.m5.large",
                "InitialInstanceCount": 1,
            }
        ],
    )
    sm.create_endpoint(EndpointName="guardsim-clash01-tiny", EndpointConfigName="theirs")
    start = len(fake.calls)
    result = run_real(scenario, clients=fake, clock=fake.clock, run_id="clash01")
    # the look-up before any create found it: the run stopped with nothing created
    assert not isinstance(result.error, AWSError) and result.error is not None
    assert "endpoint guardsim-clash01-tiny already exists" in str(result.error)
    assert result.t0 is None and result.teardown.items == ()  # teardown never looks at it
    assert result.teardown.clean and "guardsim-clash01-tiny" in fake.resources()["endpoints"]
    assert fake.leftovers("guardsim-clash01-") == ["guardsim-clash01-tiny"]  # theirs, kept
    assert {c.operation for c in fake.calls[start:]} <= {
        "DescribeModel",
        "DescribeEndpointConfig",
        "DescribeAlarms",
        "DescribeEndpoint",
    }


def test_update_is_refused_on_an_endpoint_without_the_run_tag(payload: Path) -> None:
    from guardsim.real_backend.plan import plan_run
    from guardsim.real_backend.run import _Run

    scenario = tiny(payload)
    fake = emulated(scenario)
    sm = fake("sagemaker")
    role = placeholder_values(payload)["EXECUTION_ROLE_ARN"]
    sm.create_model(ModelName="m", ExecutionRoleArn=role, PrimaryContainer={"Image": "i"})
    sm.create_endpoint_config(
        EndpointConfigName="c",
        ProductionVariants=[
            {
                "VariantName": "AllTraffic",
                "ModelName": "m",
                "InstanceType": "ml.m5.large",
                "InitialInstanceCount": 1,
            }
        ],
    )
    sm.create_endpoint(EndpointName="guardsim-tag00001-tiny", EndpointConfigName="c")
    assert scenario.real is not None
    run = _Run(
        scenario, scenario.real, plan_run(scenario, "tag00001"), fake, fake.clock, lambda _: None
    )
    with pytest.raises(GuardsimError, match="refusing to update"):
        run._check_tag(sm)


@pytest.mark.parametrize(
    ("faults", "outcome", "last_phase"),
    [
        (InjectedFaults(endpoint_fails="update", update_fails_at=200.0), "FAILED", "Failed"),
        (InjectedFaults(rollback_fails=True), "FAILED", "UpdateRollbackFailed"),
    ],
)
def test_failed_updates_are_recorded_and_torn_down(
    payload: Path, faults: InjectedFaults, outcome: str, last_phase: str
) -> None:
    scenario = tiny(payload)
    fake = emulated(scenario, faults=faults)
    result = run_real(scenario, clients=fake, clock=fake.clock, run_id="fail0001")
    assert result.record is not None
    assert result.record.outcome == outcome
    assert result.record.transitions[-1]["to"] == last_phase
    assert fake.leftovers() == []


def test_an_endpoint_that_fails_to_create_stops_the_run(payload: Path) -> None:
    scenario = tiny(payload)
    fake = emulated(scenario, faults=InjectedFaults(endpoint_fails="create"))
    result = run_real(scenario, clients=fake, clock=fake.clock, run_id="fail0002")
    assert result.record is None and result.error is not None
    assert "Failed, not InService" in str(result.error)
    assert fake.leftovers() == []


def test_throttling_is_retried_by_botocore(payload: Path) -> None:
    scenario = tiny(payload)
    throttle = {"UpdateEndpoint": 1, "PutMetricAlarm": 1}
    fake = emulated(scenario, faults=InjectedFaults(throttle=throttle))
    result = run_real(scenario, clients=fake, clock=fake.clock, run_id="thr00001")
    assert result.error is None and result.record is not None
    for op in throttle:
        results = [c.result for c in fake.calls if c.operation == op]
        assert results[:2] == [
            "Throttling" if op == "PutMetricAlarm" else "ThrottlingException",
            "ok",
        ]
    assert fake.leftovers() == []


def test_a_deployment_that_outlives_the_follow_timeout_is_torn_down(payload: Path) -> None:
    scenario = tiny(payload)
    # The rollback's cleanup (not bound by MaximumExecutionTimeoutInSeconds) takes 9000 s,
    # far beyond the run's follow timeout (900 s + 30 min).
    truth = dataclasses.replace(
        scenario,
        environment=dataclasses.replace(
            scenario.environment, termination_seconds=Fixed(kind="fixed", value=9000.0)
        ),
    )
    fake = emulated(truth)
    result = run_real(scenario, clients=fake, clock=fake.clock, run_id="slow0001")
    assert result.record is not None
    assert result.record.outcome == "FAILED"
    assert any("had not ended" in n for n in result.record.notes)
    # the endpoint's deletion takes termination_seconds too: Deleting until then, then gone
    assert fake.leftovers() == ["guardsim-slow0001-tiny"]
    assert fake.emulator.endpoints["guardsim-slow0001-tiny"].status == "Deleting"
    fake.clock.sleep(9000.0)
    assert fake.leftovers() == []


def test_real_clients_use_adaptive_retries_and_runtime_calls_are_single_requests() -> None:
    assert client_config("sagemaker").retries == {"mode": "adaptive", "max_attempts": 10}
    assert client_config("cloudwatch").retries == {"mode": "adaptive", "max_attempts": 10}
    assert client_config("sagemaker-runtime").retries["max_attempts"] == 1


def test_call_turns_client_errors_into_aws_errors(payload: Path) -> None:
    fake = emulated(tiny(payload))
    with pytest.raises(AWSError) as info:
        call(fake("sagemaker"), "describe_endpoint", EndpointName="missing")
    assert info.value.operation == "DescribeEndpoint"
    assert info.value.code == "ValidationException"
    assert "Could not find endpoint" in str(info.value)


def test_redaction_masks_keys_secrets_and_signatures() -> None:
    line = (
        f"Authorization: AWS4-HMAC-SHA256 Credential={FAKE_ACCESS_KEY_ID}/20260101/us-east-1/"
        f"sagemaker/aws4_request, Signature={'ab12' * 16} secret={FAKE_SECRET_ACCESS_KEY}"
    )
    cleaned = redact(line)
    assert FAKE_ACCESS_KEY_ID not in cleaned and FAKE_SECRET_ACCESS_KEY not in cleaned
    assert "ab12ab12" not in cleaned
    record = logging.LogRecord("botocore", logging.DEBUG, __file__, 1, "%s", (line,), None)
    assert RedactingFilter().filter(record) and FAKE_ACCESS_KEY_ID not in record.getMessage()
