"""The sample real record shipped in docs/examples is what the documented command makes.

``docs/examples/real-canary-rollback.json`` is ``guardsim real run seed-canary-rollback
--fake-aws --truth docs/examples/truth-canary-rollback.yaml --run-id sample1`` (the predicted-vs-
real tutorial says so): the test makes it again and compares the bytes, so the sample cannot
drift from what guardsim does.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from docs_helpers import DOCS

from guardsim.cli import main
from guardsim.record import RunRecord
from guardsim.scenarios import load_scenario

SAMPLE = DOCS / "examples" / "real-canary-rollback.json"
TRUTH = DOCS / "examples" / "truth-canary-rollback.yaml"
REMAKE = (
    "python -m guardsim real run seed-canary-rollback --fake-aws --truth "
    "docs/examples/truth-canary-rollback.yaml --run-id sample1 --json "
    "docs/examples/real-canary-rollback.json"
)


def test_the_sample_is_a_real_record_of_the_seed_scenario() -> None:
    record = RunRecord.load(SAMPLE)
    assert record.mode == "real"
    assert record.outcome == "ROLLED_BACK"
    assert record.scenario_definition == load_scenario("seed-canary-rollback").to_dict()
    assert "/tmp" not in SAMPLE.read_text(encoding="utf-8")


def test_the_truth_is_the_seed_scenario_on_a_slower_aws() -> None:
    truth = load_scenario(str(TRUTH)).to_dict()
    seed = load_scenario("seed-canary-rollback").to_dict()
    differ = {k for k in set(truth) | set(seed) if truth.get(k) != seed.get(k)}
    assert differ == {"name", "description", "environment"}


def test_the_documented_command_makes_the_sample(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "sample.json"
    status = main(
        [
            "real",
            "run",
            "seed-canary-rollback",
            "--fake-aws",
            "--truth",
            str(TRUTH),
            "--run-id",
            "sample1",
            "--json",
            str(out),
        ]
    )
    capsys.readouterr()
    assert status == 0
    assert out.read_bytes() == SAMPLE.read_bytes(), f"the sample is stale; remake it: {REMAKE}"
    assert json.loads(out.read_text())["mode"] == "real"


def test_truth_without_the_fake_is_bad_input(capsys: pytest.CaptureFixture[str]) -> None:
    status = main(["real", "run", "seed-canary-rollback", "--truth", str(TRUTH)])
    assert status == 2
    assert "--truth and --fake-seed need --fake-aws" in capsys.readouterr().err
