"""World files: the minimal form of the issue, validation with field paths, first match wins."""

from __future__ import annotations

from pathlib import Path

import pytest

from guardsim.emulator import WorldError, load_world
from guardsim.errors import BadInputError
from guardsim.scenarios.models import ModelBehaviour

MINIMAL = """
models:                       # first match wins
  - match: {image: "sagemaker-xgboost:1.2-1"}
    behaviour: {latency: {median_ms: 40, p99_ms: 120}, error_rate_5xx: 1.0}
  - match: {}
    behaviour: {latency: {median_ms: 3, p99_ms: 10}}
environment: {}
traffic: {}
"""


def test_the_issues_minimal_form_loads_from_a_file_and_first_match_wins(tmp_path: Path) -> None:
    path = tmp_path / "world.yaml"
    path.write_text(MINIMAL)
    world = load_world(path)
    bad = world.behaviour_of(
        {
            "ModelName": "m",
            "Containers": [{"Image": "x/sagemaker-xgboost:1.2-1", "ModelDataUrl": "s3://b/k"}],
        }
    )
    good = world.behaviour_of({"ModelName": "m", "PrimaryContainer": {"Image": "x/other:1"}})
    assert bad.error_rate_5xx == 1.0 and bad.latency.median_ms == 40
    assert good.error_rate_5xx == 0.0 and good.latency.median_ms == 3
    assert world.traffic_for("any") is None


def test_match_keys_all_apply_and_no_rule_means_the_scenario_default() -> None:
    world = load_world(
        {
            "models": [
                {
                    "match": {"model_name": "canary", "model_data_url": "v2"},
                    "behaviour": {"error_rate_4xx": 0.5},
                }
            ]
        }
    )
    both = {
        "ModelName": "my-canary",
        "PrimaryContainer": {"Image": "i", "ModelDataUrl": "s3://b/v2"},
    }
    one = {
        "ModelName": "my-canary",
        "PrimaryContainer": {"Image": "i", "ModelDataUrl": "s3://b/v1"},
    }
    assert world.behaviour_of(both).error_rate_4xx == 0.5
    assert world.behaviour_of(one) == ModelBehaviour()
    assert load_world(None).behaviour_of(both) == ModelBehaviour()


def test_traffic_is_keyed_by_endpoint_name_or_star() -> None:
    world = load_world({"traffic": {"*": {"rate_per_second": 2}, "ep-a": {"rate_per_second": 5}}})
    a, b = world.traffic_for("ep-a"), world.traffic_for("ep-b")
    assert a is not None and a.rate_per_second == 5
    assert b is not None and b.rate_per_second == 2


def test_every_problem_is_reported_with_its_field_path_and_the_file(tmp_path: Path) -> None:
    path = tmp_path / "bad-world.yaml"
    path.write_text(
        "models:\n"
        "  - match: {imgae: x}\n"
        "    behaviour: {error_rate_5xx: 2}\n"
        "environment: {alarm_poll_interval_seconds: -1}\n"
        "traffic: {rate_per_second: 3}\n"
        "colour: blue\n"
    )
    with pytest.raises(WorldError) as info:
        load_world(path)
    text = str(info.value)
    assert isinstance(info.value, BadInputError)
    assert str(path) in text
    for needle in (
        "models[0].match.imgae",
        "did you mean 'image'",
        "models[0].behaviour.error_rate_5xx",
        "environment.alarm_poll_interval_seconds",
        "traffic.rate_per_second",
        "colour",
    ):
        assert needle in text, needle


def test_unreadable_and_malformed_files_are_bad_input(tmp_path: Path) -> None:
    with pytest.raises(WorldError, match="cannot read world file"):
        load_world(tmp_path / "missing.yaml")
    broken = tmp_path / "broken.yaml"
    broken.write_text("models: [\n")
    with pytest.raises(WorldError, match=r"broken\.yaml"):
        load_world(broken)
    from guardsim.emulator.world import check_world

    with pytest.raises(WorldError, match="a world must be a mapping"):
        check_world([1, 2])
