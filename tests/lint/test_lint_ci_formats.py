"""``guardsim lint --format sarif|junit``: SARIF 2.1.0 as GitHub code scanning reads it, and
JUnit XML. The SARIF output is validated against the official OASIS SARIF 2.1.0 JSON schema
(``data/sarif-schema-2.1.0.json``, from github.com/oasis-tcs/sarif-spec,
``sarif-2.1/schema/sarif-schema-2.1.0.json``) and against GitHub's documented limits."""

from __future__ import annotations

import io
import json
import os
import xml.etree.ElementTree as ET
from pathlib import Path

import jsonschema
import pytest

from guardsim.cli import main
from guardsim.lint.runner import ALL_RULES

HERE = Path(__file__).parent
SCHEMA = json.loads((HERE / "data" / "sarif-schema-2.1.0.json").read_text(encoding="utf-8"))
IAC = HERE.parent / "scenarios" / "iac" / "data"
TEMPLATE = IAC / "endpoint-config-template.yml"
OVERLAY = IAC / "overlay.yaml"


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(["lint", *argv], out, err)
    return code, out.getvalue(), err.getvalue()


@pytest.fixture(scope="module")
def sarif() -> tuple[int, dict[str, object]]:
    # URIs are relative to the working directory (the repository root in CI)
    root = HERE.parents[1]
    cwd = os.getcwd()
    os.chdir(root)
    try:
        code, out, err = run(
            str(TEMPLATE.relative_to(root)),
            "--with",
            str(OVERLAY.relative_to(root)),
            "-n",
            "10",
            "--format",
            "sarif",
            "--docs-url",
            "https://example.org/lint-rules",
        )
    finally:
        os.chdir(cwd)
    assert err == ""
    return code, json.loads(out)


def test_sarif_validates_against_the_schema(sarif: tuple[int, dict[str, object]]) -> None:
    code, log = sarif
    jsonschema.Draft4Validator(SCHEMA).validate(log)
    assert code == 4  # the exit status gates the pipeline as with the other formats


def test_sarif_rules_results_and_locations(sarif: tuple[int, dict[str, object]]) -> None:
    _, log = sarif
    (run_,) = log["runs"]  # type: ignore[index]
    driver = run_["tool"]["driver"]
    assert driver["name"] == "guardsim"
    ids = [r["id"] for r in driver["rules"]]
    assert ids == [r.id for r in ALL_RULES]  # stable: the rule table's ids, in its order
    assert all(r["helpUri"] == f"https://example.org/lint-rules#{r['id']}" for r in driver["rules"])
    assert all(r["help"]["text"] for r in driver["rules"])
    by_rule = {res["ruleId"]: res for res in run_["results"]}
    rounding = by_rule["percent-rounding"]
    assert rounding["level"] == "warning"
    assert ids[rounding["ruleIndex"]] == "percent-rounding"
    (loc,) = rounding["locations"]
    physical = loc["physicalLocation"]
    assert physical["artifactLocation"] == {
        "uri": "tests/scenarios/iac/data/endpoint-config-template.yml",
        "uriBaseId": "%SRCROOT%",
    }
    lines = TEMPLATE.read_text(encoding="utf-8").splitlines()
    assert "CanaryPercent" in lines[physical["region"]["startLine"] - 1]
    levels = {res["level"] for res in run_["results"]}
    assert levels <= {"error", "warning", "note"}


def test_sarif_within_githubs_limits(sarif: tuple[int, dict[str, object]]) -> None:
    _, log = sarif
    runs = log["runs"]  # type: ignore[index]
    assert len(runs) <= 20
    for r in runs:
        assert len(r["results"]) <= 25_000 and len(r["tool"]["driver"]["rules"]) <= 25_000
        assert all(len(res.get("locations", [])) <= 1_000 for res in r["results"])
        assert all(len(rule["properties"]["tags"]) <= 20 for rule in r["tool"]["driver"]["rules"])


def test_sarif_of_a_scenario_file_points_at_the_file(tmp_path: Path) -> None:
    src = HERE / "data" / "blended-sum-canary.yaml"
    path = tmp_path / "s.yaml"
    path.write_text(src.read_text(encoding="utf-8"), encoding="utf-8")
    cwd = os.getcwd()
    os.chdir(tmp_path)
    try:
        code, out, _ = run("s.yaml", "-n", "5", "--format", "sarif")
    finally:
        os.chdir(cwd)
    log = json.loads(out)
    jsonschema.Draft4Validator(SCHEMA).validate(log)
    results = log["runs"][0]["results"]
    assert results and all(
        r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "s.yaml"
        for r in results
    )
    assert code in (3, 4)


def test_junit_one_testcase_per_rule_failures_at_fail_on() -> None:
    code, out, _ = run(str(TEMPLATE), "--with", str(OVERLAY), "-n", "10", "--format", "junit")
    (suite,) = ET.fromstring(out.split("?>", 1)[1]).findall("testsuite")
    cases = suite.findall("testcase")
    assert [c.get("name") for c in cases] == [r.id for r in ALL_RULES]
    failed = {c.get("name") for c in cases if c.find("failure") is not None}
    assert "percent-rounding" in failed and "iac-treat-missing-data-unset" in failed
    assert suite.get("failures") == str(len(failed))
    code_e, out_e, _ = run(
        str(TEMPLATE),
        "--with",
        str(OVERLAY),
        "-n",
        "10",
        "--format",
        "junit",
        "--fail-on",
        "error",
    )
    (suite_e,) = ET.fromstring(out_e.split("?>", 1)[1]).findall("testsuite")
    failed_e = {c.get("name") for c in suite_e.findall("testcase") if c.find("failure") is not None}
    assert "percent-rounding" not in failed_e  # a warning: not a failure with --fail-on error
    assert failed_e and failed_e < failed
    assert code == code_e == 4


def test_iac_options_on_the_cli_bad_input_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(str(TEMPLATE), "--parameter", "Nope=1")
    assert code == 2 and "Nope" in err
    code, _, _ = run(str(TEMPLATE), "--parameter", "novalue")
    assert code == 2 and "NAME=VALUE" in capsys.readouterr().err


def test_several_files_one_sarif_run_and_the_worst_exit(tmp_path: Path) -> None:
    code, out, _ = run(
        str(TEMPLATE), "seed-canary-success", "-n", "5", "--format", "sarif", "--fail-on", "error"
    )
    log = json.loads(out)
    jsonschema.Draft4Validator(SCHEMA).validate(log)
    (run_,) = log["runs"]
    assert run_["properties"]["scenarios"] == ["churn-prod", "seed-canary-success"]
    alone = [
        run(ref, "-n", "5", "--fail-on", "error")[0]
        for ref in (str(TEMPLATE), "seed-canary-success")
    ]
    assert code == max(alone)
    code, out, _ = run(str(TEMPLATE), "seed-canary-success", "-n", "5", "--format", "junit")
    assert len(ET.fromstring(out.split("?>", 1)[1]).findall("testsuite")) == 2
    code, _, err = run(str(TEMPLATE), "seed-canary-success", "--format", "json")
    assert code == 2 and "one SCENARIO" in err
