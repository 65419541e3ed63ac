"""``guardsim validate``, ``guardsim scenarios`` and ``guardsim show``: bad input of any kind gives
a clear message and exit status 2, never a traceback."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from guardsim.cli import main
from guardsim.scenarios import library, read_scenario

BUILTINS = library.names()

#: A scenario with three independent errors and one warning (the Average-of-5XX threshold).
INVALID = """\
name: broken
endpoint:
  name: shop-ranker
  blue:
    EndpointConfigName: shop-ranker-v1
    ProductionVariants:
      - {VariantName: AllTraffic, InstanceType: ml.m5.xlarge, InitialInstanceCount: 4}
  green:
    EndpointConfigName: shop-ranker-v2
    ProductionVariants:
      - {VariantName: AllTraffic, InstanceType: ml.m5.xlarge, InitialInstanceCount: 4}
deployment_config:
  BlueGreenUpdatePolicy:
    TrafficRoutingConfiguration:
      Type: CANARY
      CanarySize: {Type: INSTANCE_COUNT, Value: 3}
      WaitIntervalInSeconds: 300
  AutoRollbackConfiguration:
    Alarms:
      - AlarmName: shop-ranker-5xx
alarms:
  - AlarmName: shop-ranker-5xx
    Namespace: AWS/SageMaker
    MetricName: Invocation5XXErrors
    Statistic: Average
    Dimensions:
      - {Name: EndpointName, Value: shop-ranker}
      - {Name: VariantName, Value: AllTraffic}
    Period: 45
    EvaluationPeriods: 1
    Threshold: 1
    ComparisonOperator: GreaterThanOrEqualToThreshold
trafic:
  rate_per_second: 5
"""


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    status = main(list(argv), out=out, err=err)
    return status, out.getvalue(), err.getvalue()


def assert_no_traceback(*texts: str) -> None:
    for text in texts:
        assert "Traceback" not in text
        assert "internal error" not in text


@pytest.mark.parametrize("name", BUILTINS)
def test_validate_every_builtin_exits_0(name: str) -> None:
    status, out, err = run("validate", name)
    assert status == 0, out + err
    assert out.splitlines()[-1].startswith(f"{name}: valid (")
    assert err == ""


def test_validate_all_builtins_at_once_exits_0() -> None:
    status, out, _ = run("validate", *BUILTINS)
    assert status == 0
    assert (
        sum(line.startswith(tuple(f"{n}: valid" for n in BUILTINS)) for line in out.splitlines())
        == 10
    )


def test_seed_canary_error_alarm_is_a_warning_line() -> None:
    status, out, _ = run("validate", "seed-canary-rollback")
    assert status == 0
    lines = [line for line in out.splitlines() if "alarms[0].Threshold" in line]
    assert len(lines) == 1
    assert lines[0].startswith(
        "seed-canary-rollback: warning: alarms[0].Threshold: Average of Invocation5XXErrors"
    )
    assert out.splitlines()[-1] == "seed-canary-rollback: valid (1 warning(s))"


def test_missing_file_exits_2_with_not_found(tmp_path: Path) -> None:
    missing = tmp_path / "nope.yaml"
    status, out, err = run("validate", str(missing))
    assert status == 2
    assert f"{missing}: no such scenario file: {missing}" in err
    assert_no_traceback(out, err)


def test_unknown_name_exits_2_with_did_you_mean() -> None:
    status, out, err = run("validate", "seed-canary-rolback")
    assert status == 2
    assert "no built-in scenario of that name (did you mean 'seed-canary-rollback'?)" in err
    assert_no_traceback(out, err)


def test_directory_exits_2(tmp_path: Path) -> None:
    status, out, err = run("validate", str(tmp_path))
    assert status == 2
    assert "is not a file" in err
    assert_no_traceback(out, err)


def test_yaml_syntax_error_exits_2_with_line_number(tmp_path: Path) -> None:
    path = tmp_path / "syntax.yaml"
    path.write_text("name: x\ntraffic:\n  rate_per_second: [1, 2\nmodels: {}\n", encoding="utf-8")
    status, out, err = run("validate", str(path))
    assert status == 2
    (line,) = [line for line in out.splitlines() if "invalid YAML" in line]
    assert line.startswith(f"{path}: invalid YAML at line 4, column 7:")
    assert out.splitlines()[-1] == f"{path}: invalid"
    assert_no_traceback(out, err)


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("a: 1\na: 2\n", "duplicate key 'a'"),
        ("? [a, b]\n: 1\n", "unhashable key"),
        ("description: 2024-13-45\n", "month must be in 1..12"),
        ("", "a scenario must be a mapping of sections, got null"),
        ("- a\n- b\n", "a scenario must be a mapping of sections, got a list"),
    ],
    ids=["duplicate-key", "unhashable-key", "impossible-date", "empty-file", "list-document"],
)
def test_malformed_documents_exit_2(tmp_path: Path, text: str, fragment: str) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(text, encoding="utf-8")
    status, out, err = run("validate", str(path))
    assert status == 2
    assert fragment in out
    assert_no_traceback(out, err)


def test_not_utf8_exits_2(tmp_path: Path) -> None:
    path = tmp_path / "latin1.yaml"
    path.write_bytes("name: caf\u00e9\n".encode("latin-1"))
    status, out, err = run("validate", str(path))
    assert status == 2
    assert f"cannot read scenario file {path}" in err
    assert_no_traceback(out, err)


def test_invalid_scenario_prints_every_error_as_file_path_message(tmp_path: Path) -> None:
    path = tmp_path / "invalid.yaml"
    path.write_text(INVALID, encoding="utf-8")
    status, out, err = run("validate", str(path))
    assert status == 2
    assert_no_traceback(out, err)
    result = read_scenario(path)
    assert len(result.errors) == 3
    lines = out.splitlines()
    for problem in result.errors:
        assert f"{path}: {problem.path}: {problem.message}" in lines
    expected_paths = {
        "trafic",
        "deployment_config.BlueGreenUpdatePolicy.TrafficRoutingConfiguration.CanarySize.Value",
        "alarms[0].Period",
    }
    assert {p.path for p in result.errors} == expected_paths
    assert f"{path}: trafic: unknown key (did you mean 'traffic'?)" in out
    assert f"{path}: warning: alarms[0].Threshold: " in out
    assert lines[-1] == f"{path}: invalid (3 error(s), 1 warning(s))"
    # Errors come before warnings.
    first_warning = next(i for i, line in enumerate(lines) if ": warning: " in line)
    assert all(": warning: " not in line for line in lines[:3]) and first_warning == 3


def test_validate_several_files_reports_each_and_exits_2(tmp_path: Path) -> None:
    path = tmp_path / "invalid.yaml"
    path.write_text(INVALID, encoding="utf-8")
    status, out, _ = run("validate", "seed-linear-success", str(path), "rolling-batch-rollback")
    assert status == 2
    assert "seed-linear-success: valid" in out
    assert f"{path}: invalid (3 error(s)" in out
    assert "rolling-batch-rollback: valid" in out


def test_json_scenario_validates(tmp_path: Path) -> None:
    import json

    path = tmp_path / "canary.json"
    path.write_text(
        json.dumps(yaml.safe_load(library.text("seed-canary-success"))), encoding="utf-8"
    )
    status, out, _ = run("validate", str(path))
    assert status == 0, out
    assert out.splitlines()[-1] == f"{path}: valid (1 warning(s))"


def test_scenarios_lists_all_six_builtins() -> None:
    status, out, err = run("scenarios")
    assert status == 0
    assert err == ""
    listed = [line.split()[0] for line in out.splitlines() if line.strip()]
    assert listed == list(BUILTINS)
    # the six seed and demo scenarios, low-traffic-canary, the two inference-component ones and
    # the multi-variant one
    assert len(listed) == 10
    for line in out.splitlines():
        assert len(line.split(None, 1)) == 2, f"no description: {line!r}"


def test_show_prints_yaml_that_loads(tmp_path: Path) -> None:
    status, out, err = run("show", "seed-canary-rollback")
    assert status == 0
    assert err == ""
    data = yaml.safe_load(out)
    assert data["name"] == "seed-canary-rollback"
    copy = tmp_path / "copy.yaml"
    copy.write_text(out, encoding="utf-8")
    result = read_scenario(copy)
    assert result.errors == ()
    assert result.scenario == read_scenario("seed-canary-rollback").scenario


def test_show_unknown_name_exits_2_with_did_you_mean() -> None:
    status, out, err = run("show", "seed-canary-rolback")
    assert status == 2
    assert out == ""
    assert (
        "no built-in scenario named 'seed-canary-rolback' (did you mean 'seed-canary-rollback'?)"
        in err
    )


def test_show_nope_exits_2_without_a_hint() -> None:
    status, _, err = run("show", "nope")
    assert status == 2
    assert "no built-in scenario named 'nope'; see 'guardsim scenarios'" in err
    assert "did you mean" not in err


def test_usage_errors_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate"]) == 2
    assert main(["frobnicate"]) == 2
    assert "usage:" in capsys.readouterr().err


def test_console_module_exits_2_without_traceback_for_a_bad_file(tmp_path: Path) -> None:
    path = tmp_path / "invalid.yaml"
    path.write_text(INVALID, encoding="utf-8")
    syntax = tmp_path / "syntax.yaml"
    syntax.write_text("a: [1\n", encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k != "GUARDSIM_DEBUG"}
    for bad in (path, syntax, tmp_path / "missing.yaml"):
        proc = subprocess.run(
            [sys.executable, "-m", "guardsim.cli", "validate", str(bad)],
            capture_output=True,
            text=True,
            timeout=120,
            env=env,
            check=False,
        )
        assert proc.returncode == 2, proc.stdout + proc.stderr
        assert "Traceback" not in proc.stderr
        assert "Traceback" not in proc.stdout
        assert str(bad) in proc.stdout + proc.stderr
