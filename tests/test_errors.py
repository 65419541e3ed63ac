"""The one exception tree (guardsim.errors): the drawing in its docstring is the hierarchy, every
class is exported, and bad input is never a SimulationError."""

from __future__ import annotations

import inspect
import re

import pytest

import guardsim
from guardsim import errors
from guardsim.errors import (
    BadInputError,
    BatchUnsupportedError,
    ExternalError,
    GuardsimError,
    IllegalTransition,
    MonteCarloError,
    Problem,
    ReplayFileError,
    ScenarioError,
    SimulationError,
    UnsupportedError,
)

CLASSES = {
    name: cls
    for name, cls in vars(errors).items()
    if inspect.isclass(cls) and issubclass(cls, GuardsimError)
}


def _drawn_tree() -> dict[str, str | None]:
    """child -> parent, read from the drawing in the module docstring (by indentation)."""
    doc = errors.__doc__ or ""
    parents: dict[str, str | None] = {}
    stack: list[tuple[int, str]] = []
    drawing = doc.split("::", 1)[1].split("\n\n", 2)[1]  # the indented block after "::"
    for line in drawing.splitlines():
        m = re.match(r"^[\s│├└─]*(\w+)", line)
        if m is None or m.group(1) not in CLASSES:
            continue
        name = m.group(1)
        depth = line.index(name)
        while stack and stack[-1][0] >= depth:
            stack.pop()
        parents[name] = stack[-1][1] if stack else None
        stack.append((depth, name))
    return parents


def test_the_drawing_names_every_error_class_once() -> None:
    drawn = _drawn_tree()
    assert set(drawn) == set(CLASSES)


@pytest.mark.parametrize("child", sorted(CLASSES))
def test_each_class_derives_from_its_parent_in_the_drawing(child: str) -> None:
    parent = _drawn_tree()[child]
    if parent is None:
        assert CLASSES[child] is GuardsimError
    else:
        assert issubclass(CLASSES[child], CLASSES[parent]), (child, parent)


def test_every_error_class_is_exported_from_errors_and_from_guardsim() -> None:
    public = set(CLASSES) | {"Problem"}
    assert public <= set(errors.__all__)
    assert public <= set(guardsim.__all__)
    for name in public:
        assert getattr(guardsim, name) is getattr(errors, name)


@pytest.mark.parametrize("name", sorted(CLASSES))
def test_every_class_is_in_exactly_one_branch(name: str) -> None:
    """Bad input, something outside guardsim, or a bug: never two of them (so the CLI can tell
    exit status 2 from 1)."""
    cls = CLASSES[name]
    branches = [b for b in (BadInputError, ExternalError, SimulationError) if issubclass(cls, b)]
    assert len(branches) == (0 if cls is GuardsimError else 1), (name, branches)


def test_existing_narrow_classes_still_catch_what_they_caught() -> None:
    replay = ReplayFileError([Problem("traffic.replay_file", "file not found: x.csv")], "s")
    assert isinstance(replay, ScenarioError)
    assert "traffic.replay_file: file not found: x.csv" in str(replay)
    unsupported = BatchUnsupportedError("no rolling deployments", "rolling")
    assert isinstance(unsupported, UnsupportedError)
    assert isinstance(unsupported, MonteCarloError)  # what --mode batch raised before
    assert str(unsupported) == "rolling: no rolling deployments; use mode fast (or auto)"
    assert unsupported.reason == "no rolling deployments"
    assert isinstance(IllegalTransition("BAKING", "update"), SimulationError)


def test_a_simulation_error_names_scenario_and_seed_only_when_known() -> None:
    assert str(SimulationError("impossible", "s", 3)) == "impossible (scenario='s', seed=3)"
    assert str(SimulationError("impossible")) == "impossible"
