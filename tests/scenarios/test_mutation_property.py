"""Property: whatever a user gets wrong in a scenario file, validation reports it with a field path
and never raises.

Hypothesis takes a valid scenario (a built-in, or the small base of the rule tests), applies one
to three random mutations at random paths (a wrong type, an out-of-range number, a dropped key, an
unknown key, a bogus enum value), and loads the result with ``scenario_from_dict``.
"""

from __future__ import annotations

import copy
import math
import string
from collections.abc import Iterable, Iterator
from functools import cache
from typing import Any

import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from scenario_dicts import BASE, parse_path

from guardsim.scenarios import check_scenario_dict, library
from guardsim.scenarios.loading import TOP_LEVEL_KEYS

Key = str | int
Path = tuple[Key, ...]


@cache
def _documents() -> dict[str, dict[str, Any]]:
    docs = {name: yaml.safe_load(library.text(name)) for name in library.names()}
    docs["base"] = BASE
    return docs


def all_paths(node: Any, prefix: Path = ()) -> Iterator[Path]:
    """Every path in a document, the root (``()``) first, then depth first."""
    yield prefix
    if isinstance(node, dict):
        for key, value in node.items():
            yield from all_paths(value, (*prefix, key))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from all_paths(value, (*prefix, i))


def get(doc: Any, path: Path) -> Any:
    for key in path:
        doc = doc[key]
    return doc


def put(doc: Any, path: Path, value: Any) -> Any:
    """Replace the node at ``path``; returns the (possibly new) root."""
    if not path:
        return value
    get(doc, path[:-1])[path[-1]] = value
    return doc


# --------------------------------------------------------------------------- values

SCALARS = st.one_of(
    st.text(max_size=12),
    st.integers(min_value=-(10**6), max_value=10**6),
    st.floats(),  # with NaN and +-inf, which YAML (.nan, .inf) and JSON (NaN) can both produce
    st.booleans(),
    st.none(),
)
WRONG_TYPES = st.one_of(
    SCALARS,
    st.lists(SCALARS, max_size=3),
    st.dictionaries(st.text(max_size=8), SCALARS, max_size=3),
)
OUT_OF_RANGE = st.one_of(
    st.sampled_from(
        [
            -1,
            0,
            -3601,
            3601,
            28801,
            10**9,
            2**31,
            2**63,
            10**400,
            -(10**400),
            1e300,
            -1e300,
            1e-300,
            0.5,
            -0.5,
            101,
            1441,
        ]
    ),
    st.integers(),
    st.floats(allow_nan=False),
)
KEY_CHARS = string.ascii_letters + string.digits + "_-"


def near_miss(key: str) -> st.SearchStrategy[str]:
    """Keys a user might type for ``key``: a typo, wrong case, a plural, or something else."""
    candidates = [key + "s", key[:-1], key.lower(), key.upper(), key.replace("_", ""), key + "X"]
    candidates = [c for c in candidates if c]
    return st.one_of(st.sampled_from(candidates), st.text(KEY_CHARS, min_size=1, max_size=12))


def bogus_enum(value: str) -> st.SearchStrategy[str]:
    mangled = [value.lower(), value.upper(), value + "_X", value[:-1], "bogus", ""]
    return st.one_of(st.sampled_from(mangled), st.text(max_size=10))


# --------------------------------------------------------------------------- mutations


@st.composite
def mutated_document(draw: st.DrawFn) -> tuple[Any, list[str]]:
    """A valid document with 1-3 mutations, and a log of what was done (for failure reports)."""
    name = draw(st.sampled_from(sorted(_documents())))
    doc: Any = copy.deepcopy(_documents()[name])
    log = [f"from {name}"]
    for _ in range(draw(st.integers(min_value=1, max_value=3))):
        paths = list(all_paths(doc))
        kind = draw(
            st.sampled_from(["wrong_type", "out_of_range", "drop", "unknown_key", "bad_enum"])
        )
        if kind == "wrong_type":
            # The root too, rarely: a document that is not a mapping at all.
            path = draw(st.sampled_from(paths[1:] or paths)) if draw(st.integers(0, 19)) else ()
            value = draw(WRONG_TYPES)
            doc = put(doc, path, value)
        elif kind == "out_of_range":
            numeric = [p for p in paths if isinstance(get(doc, p), int | float)]
            path = draw(st.sampled_from(numeric or paths))
            value = draw(OUT_OF_RANGE)
            doc = put(doc, path, value)
        elif kind == "drop":
            droppable = [p for p in paths if p and isinstance(get(doc, p[:-1]), dict | list)]
            if not droppable:
                continue
            path = draw(st.sampled_from(droppable))
            del get(doc, path[:-1])[path[-1]]
            value = "<dropped>"
        elif kind == "unknown_key":
            mappings = [p for p in paths if isinstance(get(doc, p), dict)]
            if not mappings:
                continue
            parent = draw(st.sampled_from(mappings))
            existing = [k for k in get(doc, parent) if isinstance(k, str)]
            key = draw(
                near_miss(draw(st.sampled_from(existing)))
                if existing
                else st.text(KEY_CHARS, min_size=1, max_size=12)
            )
            value = draw(WRONG_TYPES)
            path = (*parent, key)
            get(doc, parent)[key] = value
        else:
            strings = [p for p in paths if isinstance(get(doc, p), str)]
            if not strings:
                continue
            path = draw(st.sampled_from(strings))
            value = draw(bogus_enum(get(doc, path)))
            doc = put(doc, path, value)
        log.append(f"{kind} at {list(path)} -> {value!r}")
    return doc, log


def starts_with_key(path: str, keys: Iterable[str]) -> bool:
    """Whether ``path`` is one of ``keys`` or goes on from one with ``.`` or ``[``."""
    return any(path == k or path.startswith((f"{k}.", f"{k}[")) for k in keys)


def resolves(doc: Any, keys: list[str | int]) -> bool:
    """Whether the node at ``keys`` exists in ``doc`` (string keys compared as given)."""
    node = doc
    for key in keys:
        in_dict = isinstance(node, dict) and key in node
        in_list = isinstance(node, list) and isinstance(key, int) and 0 <= key < len(node)
        if not (in_dict or in_list):
            return False
        node = node[key]
    return True


# derandomized: the same 400 documents every run, as the suite's other property tests draw
@settings(max_examples=400, deadline=None, derandomize=True)
@given(mutated_document())
def test_validation_never_raises_and_every_error_has_a_path(case: tuple[Any, list[str]]) -> None:
    doc, log = case
    result = check_scenario_dict(doc, source="<mutated>", base_dir=library.directory())
    note = "\n".join(log)
    for problem in result.problems:
        assert isinstance(problem.message, str) and problem.message.strip(), note
        assert problem.severity in ("error", "warning"), note
        assert isinstance(problem.path, str), note
    if not result.errors:
        assert result.scenario is not None, note
        return
    assert result.scenario is None, note
    for problem in result.errors:
        if not isinstance(doc, dict):
            assert problem.path == "", note
            continue
        assert problem.path != "", f"{note}\n{problem}"
        if starts_with_key(problem.path, TOP_LEVEL_KEYS):
            continue
        # Otherwise an unknown top-level key the mutation added, reported by name (quoted if
        # blank).
        given = [str(k) if str(k).strip() else repr(str(k)) for k in doc]
        assert starts_with_key(problem.path, given), f"{note}\n{problem}"
        assert "unknown key" in problem.message, f"{note}\n{problem}"


def test_paths_of_errors_lead_into_the_document() -> None:
    # A companion check on a fixed mutation: the parent of each error's path exists in the
    # document the user wrote (the error is where the user will look for it).
    doc = copy.deepcopy(BASE)
    doc["alarms"][0]["Period"] = 45
    doc["alarms"][0].pop("EvaluationPeriods")
    doc["models"]["green"]["faults"][0]["kind"] = ["errors"]
    doc["traffic"]["rate_per_second"] = 10**400
    doc["deployment_config"]["BlueGreenUpdatePolicy"]["TrafficRoutingConfiguration"]["CanarySize"][
        "Value"
    ] = 10**400
    result = check_scenario_dict(doc)
    assert result.scenario is None
    assert result.errors
    for problem in result.errors:
        assert resolves(doc, parse_path(problem.path)[:-1]), problem


def test_non_finite_and_huge_numbers_are_errors_not_crashes() -> None:
    for value in (math.inf, -math.inf, math.nan, 10**400, -(10**400)):
        for path in (
            "traffic.rate_per_second",
            "alarms[0].Threshold",
            "alarms[0].Period",
            "environment.evaluation_range_extra_periods",
            "deployment_config.BlueGreenUpdatePolicy.TrafficRoutingConfiguration.CanarySize.Value",
        ):
            doc = copy.deepcopy(BASE)
            keys = parse_path(path)
            put(doc, tuple(keys), value)
            result = check_scenario_dict(doc)
            assert result.scenario is None, (path, value)
            assert [p.path for p in result.errors] == [path], (path, value, result.errors)


def test_counts_that_would_exhaust_memory_are_refused_with_their_path() -> None:
    """The example Hypothesis found: a billion instances passed validation and placing the
    inference component's copies on them exhausted memory (the worker was killed). guardsim's
    own limits (MAX_SIMULATED_INSTANCES, MAX_SIMULATED_COPIES) refuse them first, cheaply."""
    from guardsim.scenarios.boto import MAX_SIMULATED_COPIES, MAX_SIMULATED_INSTANCES

    variant = ("endpoint", "blue", "ProductionVariants", 0)
    cases = {
        "seed-canary-rollback": [((*variant, "InitialInstanceCount"), 10**9)],
        "component-extra-instance-success": [
            ((*variant, "InitialInstanceCount"), 10**9),
            ((*variant, "ManagedInstanceScaling", "MaxInstanceCount"), MAX_SIMULATED_INSTANCES + 1),
            (("inference_component", "component", "RuntimeConfig", "CopyCount"), 10**8),
        ],
    }
    for name, mutations in cases.items():
        for path, value in mutations:
            doc = put(copy.deepcopy(_documents()[name]), path, value)
            result = check_scenario_dict(doc, source="<big>", base_dir=library.directory())
            wanted = parse_path_text(path)
            hits = [p for p in result.errors if p.path == wanted]
            assert hits, (name, wanted, [p.path for p in result.errors])
            limit = MAX_SIMULATED_COPIES if path[-1] == "CopyCount" else MAX_SIMULATED_INSTANCES
            assert f"at most {limit:,}" in hits[0].message


def parse_path_text(path: Path) -> str:
    text = ""
    for key in path:
        text = f"{text}[{key}]" if isinstance(key, int) else (f"{text}.{key}" if text else key)
    return text


def test_an_unnamed_rollback_alarm_of_an_inference_component_is_an_error_not_a_crash() -> None:
    """Also found by Hypothesis: ``Alarms: [{}]`` (AlarmName is optional in botocore's model)
    raised KeyError for an inference component; endpoints already reported it."""
    for name, path in (
        ("component-extra-instance-success", "deployment_config"),
        ("seed-canary-rollback", "deployment_config"),
    ):
        doc = copy.deepcopy(_documents()[name])
        doc["deployment_config"]["AutoRollbackConfiguration"]["Alarms"] = [{}]
        result = check_scenario_dict(doc, source="<m>", base_dir=library.directory())
        wanted = f"{path}.AutoRollbackConfiguration.Alarms[0].AlarmName"
        assert [p.message for p in result.errors if p.path == wanted] == [
            "required field is missing"
        ]


def test_an_empty_new_model_name_is_missing_not_a_crash() -> None:
    doc = copy.deepcopy(_documents()["component-llm-latency-rollback"])
    doc["inference_component"]["new_model_name"] = None
    result = check_scenario_dict(doc, source="<m>", base_dir=library.directory())
    assert [p.message for p in result.errors if p.path == "inference_component.new_model_name"] == [
        "required field is missing"
    ]
