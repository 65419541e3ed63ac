"""``guardsim lint``: text and JSON reports, and an exit status that gates CI (0 clean or info
only, 3 warnings, 4 errors, 2 bad input)."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
import yaml
from lint_helpers import bg, data, good

from guardsim.cli import main
from guardsim.lint import ALL_RULES
from guardsim.lint.findings import severity_rank


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(["lint", *argv], out, err)
    return code, out.getvalue(), err.getvalue()


def write(tmp_path: Path, name: str, *edits: object) -> str:
    raw = data("seed-canary-success")
    raw.pop("real", None)
    raw["name"] = name
    for edit in edits:
        edit(raw)  # type: ignore[operator]
    path = tmp_path / f"{name}.yaml"
    path.write_text(yaml.safe_dump(raw, sort_keys=False), encoding="utf-8")
    return str(path)


def short_final_bake(raw: dict) -> None:
    bg(raw)["TerminationWaitInSeconds"] = 120


@pytest.fixture(scope="module")
def seed_text() -> tuple[int, str, str]:
    return run("seed-canary-rollback", "-n", "10")


def test_text_report_groups_by_severity(seed_text: tuple[int, str, str]) -> None:
    code, out, err = seed_text
    assert code == 4 and err == ""
    lines = out.splitlines()
    assert lines[0] == "guardsim lint seed-canary-rollback"
    assert "10 fast-mode replications per model variant from base seed 1" in out
    assert "failing model: green fails every request with a 5XX" in out
    assert "healthy model: green identical to blue" in out
    groups = [line for line in lines if line.split(" (")[0] in ("ERRORS", "WARNINGS", "INFO")]
    assert [g.split(" (")[0] for g in groups] == ["ERRORS", "WARNINGS", "INFO"]
    assert "  [blended-dilution] alarms[0].Dimensions" in lines
    assert out.count("    fix: ") == sum(int(g.split("(")[1].rstrip(")")) for g in groups)
    assert "    config: " in out and "    simulated: " in out
    assert lines[-1].startswith("seed-canary-rollback: 1 error, ")
    assert lines[-1].endswith("the guardrail cannot work as intended (exit status 4)")


def test_json_report_is_stable_and_sorted() -> None:
    code, out, _ = run("seed-canary-rollback", "-n", "10", "--format", "json")
    assert code == 4
    doc = json.loads(out)
    assert out == json.dumps(doc, sort_keys=True, indent=2) + "\n"
    assert doc["format"] == "guardsim.lint/1"
    assert doc["exit_status"] == 4 and doc["worst"] == "error"
    assert doc["evidence"]["replications"] == 10 and doc["evidence"]["seed"] == 1
    assert set(doc["evidence"]["variants"]) >= {"as-configured", "failing", "healthy"}
    keys = [
        (severity_rank(f["severity"]), f["rule"], f["path"], f["message"]) for f in doc["findings"]
    ]
    assert keys == sorted(keys)
    assert sum(doc["counts"].values()) == len(doc["findings"])
    for f in doc["findings"]:
        assert set(f) == {"rule", "severity", "path", "message", "evidence", "fix"}
    # the same command gives the same bytes
    assert run("seed-canary-rollback", "-n", "10", "--format", "json")[1] == out


def test_seed_changes_the_evidence_not_the_verdict() -> None:
    one = json.loads(run("seed-canary-rollback", "-n", "10", "--seed", "2", "--format", "json")[1])
    assert one["evidence"]["seed"] == 2
    assert one["exit_status"] == 4


def test_exit_status_gates_ci(tmp_path: Path) -> None:
    clean = write(tmp_path, "clean", good)
    warned = write(tmp_path, "warned", good, short_final_bake)
    assert run(clean, "-n", "10")[0] == 0
    code, out, _ = run(warned, "-n", "10")
    assert code == 3, out
    assert out.splitlines()[-1].endswith("probably not as intended (exit status 3)")
    assert run(warned, "-n", "10", "--fail-on", "error")[0] == 0
    assert run("seed-canary-rollback", "-n", "5", "--fail-on", "error")[0] == 4
    assert run("seed-canary-rollback", "-n", "5", "--fail-on", "never")[0] == 0


@pytest.mark.parametrize(
    "argv",
    [
        ("no-such-scenario",),
        ("missing.yaml",),
        ("seed-canary-rollback", "-n", "0"),
        ("seed-canary-rollback", "--seed", "-1"),
        ("seed-canary-rollback", "--format", "xml"),
        ("seed-canary-rollback", "--fail-on", "info"),
        (),
    ],
)
def test_bad_input_exits_2(argv: tuple[str, ...]) -> None:
    code, out, _ = run(*argv)
    assert code == 2
    assert out == ""


def test_an_invalid_scenario_exits_2(tmp_path: Path) -> None:
    path = write(tmp_path, "broken", lambda raw: bg(raw).update(MaximumExecutionTimeoutInSeconds=5))
    code, out, err = run(path)
    assert code == 2 and out == ""
    assert "MaximumExecutionTimeoutInSeconds" in err


def test_list_rules() -> None:
    code, out, _ = run("--list-rules")
    assert code == 0
    for rule in ALL_RULES:
        assert f"{rule.id}\n" in out
    assert out.count("severity: ") == len(ALL_RULES)


def test_help_documents_the_exit_status(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["lint", "--help"]) == 0
    text = capsys.readouterr().out
    for line in (
        "3  the worst finding is a warning",
        "4  the worst finding is an error",
        "2  bad input",
    ):
        assert line in text
    assert "--fail-on" in text and "--replications" in text
