"""The pre-commit hook and the GitHub Action run the lint command the docs describe."""

from __future__ import annotations

import shlex
from pathlib import Path

import yaml

from guardsim.cli import build_parser

ROOT = Path(__file__).resolve().parents[2]


def test_pre_commit_hook_runs_guardsim_lint_on_the_files() -> None:
    (hook,) = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    assert hook["id"] == "guardsim-lint"
    assert hook["entry"] == "guardsim lint" and hook["language"] == "python"
    assert hook["pass_filenames"] is True
    # the hook's command line parses as guardsim lint with several files
    args = build_parser().parse_args(
        [*shlex.split(hook["entry"])[1:], *hook["args"], "a.tf", "b.template.json"]
    )
    assert args.scenario == ["a.tf", "b.template.json"]


def test_action_installs_lints_to_sarif_and_uploads() -> None:
    action = yaml.safe_load((ROOT / "action.yml").read_text(encoding="utf-8"))
    assert action["runs"]["using"] == "composite"
    steps = action["runs"]["steps"]
    install = next(s for s in steps if s.get("name") == "Install guardsim")
    assert "[iac]" in install["run"]
    lint = next(s for s in steps if s.get("id") == "lint")
    assert "guardsim lint $FILES" in lint["run"] and "--format sarif" in lint["run"]
    upload = next(s for s in steps if "upload-sarif" in s.get("uses", ""))
    assert upload["with"]["sarif_file"] == "${{ steps.lint.outputs.sarif }}"
    for name in ("files", "overlay", "args", "fail-on", "replications", "upload-sarif"):
        assert action["inputs"][name]["description"]
