"""The emulator replays a recorded history (guardsim.model.history) as the engines do.

A world's model behaviour may carry ``history`` (and ``history_transform`` on the same
recording); the emulator plays it from the minute its endpoint came into service. The
recording here is 30 minutes: ten at a 0 % 5XX rate, ten at 50 %, ten at 0 %. Background traffic
of 5 requests/s (300 a minute) shows it per minute in GetMetricStatistics: a minute of the high
block has a 5XX Average of 0.5 +/- 0.029 (binomial sd at n = 300), so 0.35..0.65 is over 5 sd
either way; a minute of a low block has exactly 0. The endpoint comes into service part-way into
a minute, so the block's edges fall inside two clock minutes: 9 to 11 high minutes, consecutive.
"""

from __future__ import annotations

import json
import sys
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import boto3
import numpy as np
import pytest
from emulator_helpers import FAST, START, in_service, minute_points, variant_dims

from guardsim.emulator.world import WorldError, check_world, load_world, world_from_scenario
from guardsim.scenarios import load_scenario
from guardsim.scenarios.models import History, HistoryTransform, RateTransform
from guardsim.testing import mock_aws

sys.path.insert(0, str(Path(__file__).parent.parent / "model"))
from history_data import write

BLOCKS = np.array([0.0] * 10 + [0.5] * 10 + [0.0] * 10)


def _averages(cw: Any, endpoint: str) -> list[float]:
    points = minute_points(cw, "Invocation5XXErrors", "Average", dims=variant_dims(endpoint))
    return [p["Average"] for p in points]


def test_a_world_model_replays_its_recording_minute_by_minute(tmp_path: Path) -> None:
    write(tmp_path / "h.csv", BLOCKS, n=300)
    world = {
        "models": [{"match": {}, "behaviour": {"history": {"file": "h.csv"}}}],
        "environment": FAST,
        "traffic": {"*": {"rate_per_second": 5.0}},
        "seed": 3,
    }
    (tmp_path / "world.yaml").write_text(json.dumps(world))
    with mock_aws(world=load_world(tmp_path / "world.yaml"), start=START):
        sm, cw = boto3.client("sagemaker"), boto3.client("cloudwatch")
        in_service(sm, "ep")
        time.sleep(28 * 60)
        averages = _averages(cw, "ep")
    assert len(averages) >= 25
    high = [i for i, a in enumerate(averages) if a > 0.35]
    assert 9 <= len(high) <= 11 and high == list(range(high[0], high[-1] + 1))
    assert all(0.35 < averages[i] < 0.65 for i in high[1:-1])
    assert all(a == 0.0 for a in averages[: high[0] - 1] + averages[high[-1] + 2 :])


def test_bad_history_in_a_world_is_refused_at_its_field(tmp_path: Path) -> None:
    def problems(behaviour: dict[str, Any]) -> str:
        with pytest.raises(WorldError) as info:
            check_world({"models": [{"behaviour": behaviour}]}, "w", tmp_path)
        return str(info.value)

    assert "models[0].behaviour.history.file" in problems({"history": {"file": "nowhere.csv"}})
    assert "models[0].behaviour.history_transform: needs history" in problems(
        {"history_transform": {}}
    )


def test_a_recording_driven_truth_becomes_a_world_that_replays_it(tmp_path: Path) -> None:
    path = write(tmp_path / "h.csv", BLOCKS, n=300)
    truth = load_scenario("seed-canary-success")
    models = replace(
        truth.models,
        blue=replace(truth.models.blue, history=History(str(path), start_minute=4)),
        green=replace(
            truth.models.green,
            history_transform=HistoryTransform(error_rate=RateTransform(scale=2.0)),
        ),
    )
    world = world_from_scenario(replace(truth, models=models))
    update, other = world.models
    assert update.behaviour.history == other.behaviour.history == models.blue.history
    assert update.behaviour.history_transform == models.green.history_transform
