"""The replayed-history kernel (guardsim.model.history): the file, the minute lookup, the
transforms, the start minutes, and where a recording-driven scenario is refused."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from history_data import T0, row, write
from hypothesis import given
from hypothesis import strategies as st

from guardsim.errors import BadInputError, ScenarioError, UnsupportedError
from guardsim.model.faults import FleetFaults
from guardsim.model.history import (
    COLUMNS,
    HistoryDriver,
    fleet_faults,
    minute_index,
    parse_history,
    start_minutes,
)
from guardsim.scenarios import check_scenario_dict, load_scenario
from guardsim.scenarios.models import (
    History,
    HistoryTransform,
    LatencyTransform,
    ModelBehaviour,
    RateTransform,
)

HEADER = ",".join(COLUMNS)


def _text(*rows: str) -> str:
    return "\n".join([HEADER, *rows]) + "\n"


def test_rates_are_errors_over_invocations_and_latency_the_p50_in_ms() -> None:
    views = parse_history(_text(row(T0, "blue", 200, 4, 8000), row(T0 + 60, "blue", 100, 0)), "f")
    rec = views["blue"]
    assert rec.minutes == 2
    assert rec.p5.tolist() == [0.02, 0.0]
    assert rec.latency_ms.tolist() == [8.0, 5.0]


def test_a_minute_without_requests_repeats_the_last_one_with_some() -> None:
    text = _text(
        row(T0, "blended", None, None),  # no datapoint: the first minute with data stands in
        row(T0 + 60, "blended", 100, 3),
        row(T0 + 120, "blended", 0, 0),  # no requests: repeats the minute before
        row(T0 + 180, "blended", 100, 1),
    )
    assert parse_history(text, "f")["blended"].p5.tolist() == [0.03, 0.03, 0.03, 0.01]


def test_a_five_minute_row_stands_for_its_five_minutes() -> None:
    text = _text(row(T0, "blue", 500, 10, period=300), row(T0 + 300, "blue", 500, 0, period=300))
    rec = parse_history(text, "f")["blue"]
    assert rec.minutes == 10
    assert rec.p5.tolist() == [0.02] * 5 + [0.0] * 5
    assert rec.invocations.tolist() == [100.0] * 10


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("timestamp,view\n", "f line 1: expected the history header"),
        (_text(row(T0, "purple", 1, 0)), "f line 2: view: expected one of blended, blue, green"),
        (_text(row(T0, "blue", 1, 0).replace("2026", "yesterday", 1)), "f line 2: timestamp"),
        (_text(row(T0, "blue", 1, 0, period=120)), "f line 2: period: expected 60 or 300"),
        (_text(row(T0, "blue", -1, 0)), "f line 2: Invocations.Sum: expected a number >= 0"),
        (_text(row(T0, "blue", 1, 0) + ",9"), "f line 2: expected 18 cells, got 19"),
        (
            _text(row(T0, "blue", 1, 0), row(T0 + 120, "blue", 1, 0)),
            "f line 3: the blue view's rows must be consecutive 60-second periods",
        ),
        (_text(), "f: no rows"),
    ],
)
def test_a_bad_file_is_refused_naming_the_file_and_line(text: str, message: str) -> None:
    with pytest.raises(BadInputError, match="^" + message.replace("(", r"\(")):
        parse_history(text, "f")


@given(st.integers(-600, 7200), st.integers(0, 500), st.integers(1, 400), st.integers(-1, 10))
def test_the_minute_lookup_is_the_same_on_scalars_and_arrays(
    second: int, offset: int, minutes: int, warmup_minutes: int
) -> None:
    start = -60.0 * warmup_minutes
    t = float(second) + 0.5
    k = minute_index(t, start, offset, minutes)
    assert isinstance(k, int) and 0 <= k < minutes
    assert k == (math.floor(t / 60) - math.floor(start / 60) + offset) % minutes  # wraps around
    arr = minute_index(np.array([[t, t]]), start, np.array([[offset]]), minutes)
    assert arr.tolist() == [[k, k]]


def _driver(tmp_path: Path, transform: HistoryTransform | None = None) -> HistoryDriver:
    path = write(tmp_path / "h.csv", np.array([0.01, 0.04, 0.2]), n=100)
    rec = parse_history(path.read_text(), str(path))["blue"]
    return HistoryDriver(rec, median_ms=2.5, start=-60.0, offset=1, transform=transform)


def test_the_driver_gives_the_recorded_minute_and_the_latency_ratio(tmp_path: Path) -> None:
    d = _driver(tmp_path)
    # the run starts at -60 s (a one-minute warm-up) at recording minute 1
    assert d.base(-30.0) == (0.04, 0.0, 2.0, 0.0)  # p50 5 ms over the model's median 2.5 ms
    assert d.base(10.0) == (0.2, 0.0, 2.0, 0.0)
    assert d.base(70.0).p5 == 0.01  # wrapped around
    arrays = d.base(np.array([-30.0, 10.0, 70.0]))
    assert arrays.p5.tolist() == [0.04, 0.2, 0.01]


def test_the_new_model_is_a_clamped_transformation(tmp_path: Path) -> None:
    t = HistoryTransform(
        error_rate=RateTransform(scale=5.0, add=0.1), latency=LatencyTransform(1.5, 20.0)
    )
    d = _driver(tmp_path, t)
    assert d.base(-30.0).p5 == pytest.approx(0.04 * 5 + 0.1)
    assert d.base(10.0).p5 == 1.0  # 0.2 x 5 + 0.1, clamped at 1
    b = d.base(-30.0)
    assert b.mult == pytest.approx(3.0) and b.add_ms == 20.0  # 5 ms x 1.5 over 2.5 ms
    down = _driver(tmp_path, HistoryTransform(error_rate=RateTransform(add=-0.05)))
    assert down.base(-30.0).p5 == 0.0  # 0.04 - 0.05, clamped at 0


def _models(tmp_path: Path, start: int | None = None) -> dict[str, ModelBehaviour]:
    path = write(tmp_path / "h.csv", np.linspace(0.0, 0.1, 50))
    blue = ModelBehaviour(history=History(str(path), start_minute=start))
    return {"blue": blue, "green": ModelBehaviour(history_transform=HistoryTransform())}


def test_start_minutes_are_drawn_from_their_own_stream(tmp_path: Path) -> None:
    models = _models(tmp_path)
    seed = np.random.SeedSequence(9, spawn_key=(3,))
    a = start_minutes(models, seed, 1000)
    assert a is not None and np.array_equal(a, start_minutes(models, seed, 1000))
    assert a.min() >= 0 and a.max() < 50 and len(set(a.tolist())) == 50  # all minutes drawn
    # the engine's own streams (root.spawn) are untouched: drawing them does not change it
    seed.spawn(6)
    assert np.array_equal(a, start_minutes(models, np.random.SeedSequence(9, spawn_key=(3,)), 1000))
    assert start_minutes(_models(tmp_path, start=7), seed) == 7
    assert start_minutes({"blue": ModelBehaviour(), "green": ModelBehaviour()}, seed) is None


def test_both_fleets_follow_one_recording_and_faults_apply_on_top(tmp_path: Path) -> None:
    models = _models(tmp_path, start=10)
    faults = fleet_faults(models, 0.0, 10)
    assert faults["blue"].behaviour(0.0, 0.0).p5 == faults["green"].behaviour(0.0, 0.0).p5
    assert not faults["blue"].timeless  # a recording varies by the minute


def test_a_part_without_the_recording_refuses_it_loudly(tmp_path: Path) -> None:
    models = _models(tmp_path)
    with pytest.raises(UnsupportedError, match=r"models.blue.history: this part of guardsim"):
        FleetFaults(models["blue"], "models.blue")


def _scenario_with(tmp_path: Path, blue: dict, green: dict) -> list[str]:
    data = load_scenario("seed-canary-success").to_dict()
    data["models"]["blue"].update(blue)
    data["models"]["green"].update(green)
    return [str(p) for p in check_scenario_dict(data, base_dir=tmp_path).errors]


def test_the_validator_resolves_the_file_and_checks_its_fields(tmp_path: Path) -> None:
    write(tmp_path / "h.csv", np.full(30, 0.01))
    assert _scenario_with(tmp_path, {"history": {"file": "h.csv"}}, {}) == []
    assert any(
        "models.blue.history.start_minute: must be < 30" in e
        for e in _scenario_with(tmp_path, {"history": {"file": "h.csv", "start_minute": 30}}, {})
    )
    assert any(
        "models.blue.history.view: " in e and "no 'green' view" in e
        for e in _scenario_with(tmp_path, {"history": {"file": "h.csv", "view": "green"}}, {})
    )
    (tmp_path / "bad.csv").write_text(HEADER + "\n" + row(T0, "blue", 1, 0)[:-3] + "\n")
    errors = _scenario_with(tmp_path, {"history": {"file": "bad.csv"}}, {})
    assert any("models.blue.history.file: " in e and "bad.csv line 2" in e for e in errors)
    errors = _scenario_with(tmp_path, {}, {"history_transform": {}})
    assert any("models.green.history_transform: needs models.blue.history" in e for e in errors)
    errors = _scenario_with(
        tmp_path, {"history": {"file": "h.csv"}}, {"history": {"file": "h.csv"}}
    )
    assert any("models.green.history: only models.blue" in e for e in errors)
    errors = _scenario_with(tmp_path, {"history": {"file": "missing.csv"}}, {})
    assert any("models.blue.history.file: " in e and "missing.csv" in e for e in errors)


def test_the_engine_refuses_a_file_that_changed_since_validation(tmp_path: Path) -> None:
    from guardsim.simulator import simulate

    path = write(tmp_path / "h.csv", np.full(30, 0.01))
    data = load_scenario("seed-canary-success").to_dict()
    data["models"]["blue"]["history"] = {"file": str(path)}
    result = check_scenario_dict(data)
    assert result.scenario is not None
    path.write_text("garbage\n")
    with pytest.raises(ScenarioError, match=r"models\.blue\.history\.file: .*line 1"):
        simulate(result.scenario)


def test_the_old_model_as_the_new_one_follows_its_recording(tmp_path: Path) -> None:
    """What lint's healthy and failing variants of a recording-driven scenario are made of."""
    from guardsim.lint.evidence import failing_model

    blue = _models(tmp_path)["blue"]
    twin = blue.as_new_model()
    assert twin.history is None and twin.history_transform == HistoryTransform()
    assert ModelBehaviour().as_new_model() == ModelBehaviour()
    failing = failing_model(blue)  # 100 % 5XX, not the recording's rates
    assert failing.history is None and failing.history_transform is None
    assert FleetFaults(failing, "models.green").behaviour(0.0, 0.0).p5 == 1.0


def test_the_emulator_world_reads_a_recording_driven_model(tmp_path: Path) -> None:
    """The emulator replays a history (tests/emulator/test_emulated_history.py): a world
    resolves the file and reads it at load, as a scenario does."""
    from guardsim.emulator.world import check_world

    path = write(tmp_path / "h.csv", np.full(5, 0.01))
    world = {"models": [{"match": {}, "behaviour": {"history": {"file": "h.csv"}}}]}
    (rule,) = check_world(world, "w", tmp_path).models
    assert rule.behaviour.history is not None
    assert rule.behaviour.history.file == str(path.resolve())
