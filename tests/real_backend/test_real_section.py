"""The optional ``real`` section of a scenario: typed, validated with field paths, placeholders
allowed (and listed), left out of to_dict when absent; the seeds carry one."""

from __future__ import annotations

import copy
import dataclasses
from pathlib import Path
from typing import Any

import pytest
from real_helpers import IMAGE, MODEL, ROLE

from guardsim.scenarios import check_scenario_dict, load_scenario
from guardsim.scenarios.real import Real, RealModel, fill_placeholders

REAL_PAGE = (
    Path(__file__).resolve().parents[2] / "docs" / "how-to" / "real-sagemaker.md"
).read_text(encoding="utf-8")

BASE: dict[str, Any] = {
    "name": "with-real",
    "real": {
        "execution_role_arn": ROLE,
        "blue": {"image": IMAGE, "model_data_url": MODEL},
        "green": {"image": IMAGE},
        "payload_file": "payload.csv",
    },
}


def load(data: dict[str, Any], base: Path) -> Any:
    return check_scenario_dict(data, source="test", base_dir=base)


def test_a_real_section_loads_and_round_trips(tmp_path: Path) -> None:
    (tmp_path / "payload.csv").write_text("1\n")
    result = load(BASE, tmp_path)
    assert result.errors == ()
    s = result.scenario
    assert s.real == Real(
        ROLE, RealModel(IMAGE, MODEL), RealModel(IMAGE), str((tmp_path / "payload.csv").resolve())
    )
    again = check_scenario_dict(s.to_dict(), source="again")
    assert again.scenario == s


def test_without_a_real_section_to_dict_has_no_real_key() -> None:
    s = load_scenario("all-at-once-final-bake")
    assert s.real is None and "real" not in s.to_dict()


@pytest.mark.parametrize(
    ("change", "path", "words"),
    [
        (
            lambda d: d["real"].update(execution_role_arn="role"),
            "real.execution_role_arn",
            "pattern",
        ),
        (
            lambda d: d["real"]["blue"].update(model_data_url="ftp://x"),
            "real.blue.model_data_url",
            "pattern",
        ),
        (lambda d: d["real"].pop("payload_file"), "real.payload_file", "required"),
        (lambda d: d["real"].update(payload_file="missing.csv"), "real.payload_file", "not found"),
        (lambda d: d["real"].update(rate_per_second=0), "real.rate_per_second", "> 0"),
        (lambda d: d["real"].update(region="Mars"), "real.region", "not an AWS region"),
        (lambda d: d["real"].update(colour="red"), "real.colour", "unknown key"),
        (lambda d: d["real"]["green"].update(imgae="x"), "real.green.imgae", "did you mean"),
    ],
)
def test_problems_carry_their_field_path(
    tmp_path: Path, change: Any, path: str, words: str
) -> None:
    (tmp_path / "payload.csv").write_text("1\n")
    data = copy.deepcopy(BASE)
    change(data)
    result = load(data, tmp_path)
    assert result.scenario is None
    assert any(p.path == path and words in p.message for p in result.errors), result.errors


def test_placeholders_are_accepted_listed_and_filled(tmp_path: Path) -> None:
    s = load_scenario("seed-canary-rollback")
    assert s.real is not None
    names = {name for _, name in s.real.placeholders}
    assert names == {
        "EXECUTION_ROLE_ARN",
        "XGBOOST_IMAGE_URI",
        "INCOMPATIBLE_IMAGE_URI",
        "MODEL_DATA_URL",
        "PAYLOAD_FILE",
    }
    (tmp_path / "p.csv").write_text("1\n")
    filled, problems = fill_placeholders(
        s.real,
        {
            "EXECUTION_ROLE_ARN": ROLE,
            "XGBOOST_IMAGE_URI": IMAGE,
            "INCOMPATIBLE_IMAGE_URI": IMAGE,
            "MODEL_DATA_URL": MODEL,
            "PAYLOAD_FILE": "p.csv",
        },
        tmp_path,
    )
    assert problems == [] and filled.placeholders == ()
    assert filled.payload_file == str((tmp_path / "p.csv").resolve())
    _, problems = fill_placeholders(s.real, {"EXECUTION_ROLE_ARN": "nope"}, tmp_path)
    assert {p.path for p in problems} == {"real.execution_role_arn"}


@pytest.mark.parametrize(
    "name",
    ["seed-canary-rollback", "seed-canary-success", "seed-linear-rollback", "seed-linear-success"],
)
def test_every_seed_has_a_real_section_mirroring_the_post(name: str) -> None:
    s = load_scenario(name)
    assert s.real is not None and s.real.content_type == "text/csv"
    bad = name.endswith("rollback")
    assert (s.real.green.image == "${INCOMPATIBLE_IMAGE_URI}") is bad


def test_every_real_setting_is_in_the_docs() -> None:
    for cls, prefix in ((Real, "real"), (RealModel, "real.blue / real.green")):
        for f in dataclasses.fields(cls):
            assert f"`{prefix}.{f.name}`" in REAL_PAGE, f"{prefix}.{f.name} is not documented"
            assert f.metadata.get("doc")
