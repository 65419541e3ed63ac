"""Composite alarms: the AlarmRule language and its evaluation (table tests), as CloudWatch's
PutCompositeAlarm documentation defines them
(https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutCompositeAlarm.html),
and re-evaluation when a child changes, on scalars and on arrays (one definition)."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from guardsim.cloudwatch.alarm import AlarmState
from guardsim.cloudwatch.composite import (
    MAX_CHILDREN,
    MAX_ELEMENTS,
    descendants,
    evaluation_order,
    parse_rule,
    reevaluate,
)
from guardsim.errors import AlarmError

AL, OK, IN = AlarmState.ALARM, AlarmState.OK, AlarmState.INSUFFICIENT_DATA
CODES = {OK: 0, AL: 1, IN: 2}

# (rule, states of a and b, whether the rule is TRUE)
TABLE = [
    ("ALARM(a)", {"a": AL}, True),
    ("ALARM(a)", {"a": OK}, False),
    ("ALARM(a)", {"a": IN}, False),
    ("OK(a)", {"a": OK}, True),
    ("OK(a)", {"a": AL}, False),
    ("OK(a)", {"a": IN}, False),
    ("INSUFFICIENT_DATA(a)", {"a": IN}, True),
    ("INSUFFICIENT_DATA(a)", {"a": OK}, False),
    ("INSUFFICIENT_DATA(a)", {"a": AL}, False),
    ("TRUE", {}, True),
    ("FALSE", {}, False),
    ("NOT ALARM(a)", {"a": IN}, True),
    ("NOT ALARM(a)", {"a": AL}, False),
    ("NOT NOT ALARM(a)", {"a": AL}, True),
    ("ALARM(a) AND ALARM(b)", {"a": AL, "b": AL}, True),
    ("ALARM(a) AND ALARM(b)", {"a": AL, "b": OK}, False),
    ("ALARM(a) AND ALARM(b)", {"a": AL, "b": IN}, False),
    ("ALARM(a) OR ALARM(b)", {"a": OK, "b": AL}, True),
    ("ALARM(a) OR ALARM(b)", {"a": OK, "b": IN}, False),
    ("ALARM(a) OR INSUFFICIENT_DATA(b)", {"a": OK, "b": IN}, True),
    # the documented example: ALARM only while no deployment is in progress
    ("ALARM(cpu) AND NOT ALARM(deploying)", {"cpu": AL, "deploying": AL}, False),
    ("ALARM(cpu) AND NOT ALARM(deploying)", {"cpu": AL, "deploying": IN}, True),
    # the documented example with parentheses
    ("(ALARM(cpu) OR ALARM(disk)) AND OK(net)", {"cpu": OK, "disk": AL, "net": OK}, True),
    ("(ALARM(cpu) OR ALARM(disk)) AND OK(net)", {"cpu": AL, "disk": OK, "net": IN}, False),
    # precedence without parentheses (guardsim's reading: NOT > AND > OR)
    ("ALARM(a) OR ALARM(b) AND FALSE", {"a": AL, "b": AL}, True),
    ("FALSE AND ALARM(a) OR TRUE", {"a": OK}, True),
    ("NOT ALARM(a) AND ALARM(b)", {"a": AL, "b": AL}, False),
    # quoted names, ARNs, spaces
    ('ALARM("a") AND ALARM( b )', {"a": AL, "b": AL}, True),
    ('ALARM("my alarm (p99)")', {"my alarm (p99)": AL}, True),
    ("ALARM(arn:aws:cloudwatch:us-east-1:123456789012:alarm:a)", {"a": AL}, True),
    ("TRUE AND FALSE", {}, False),
    ("TRUE OR FALSE", {}, True),
]


@pytest.mark.parametrize(("rule", "states", "expected"), TABLE)
def test_operator_table(rule: str, states: dict[str, AlarmState], expected: bool) -> None:
    parsed = parse_rule(rule)
    assert parsed.holds(states) is expected
    assert parsed.state(states) == (AL if expected else OK)
    assert set(parsed.children) == set(states)


def test_children_in_order_of_first_mention() -> None:
    r = parse_rule('OK(b) OR ALARM("a") OR INSUFFICIENT_DATA(b)')
    assert r.children == ("b", "a")
    assert r.elements == 3


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        ("", "empty rule"),
        ("ALARM(a", "expected ')'"),
        ("ALARM(a) AND", "the rule ended"),
        ("ALARM(a) ALARM(b)", "unexpected text"),
        ("(ALARM(a)", "expected ')'"),
        ("alarm(a)", "unexpected 'alarm'"),
        ("ALARM()", "empty alarm name"),
        ('ALARM("a)', "unterminated"),
        ("ALARM a", "expected '(' after ALARM"),
    ],
)
def test_bad_rules_are_refused_with_the_position(rule: str, message: str) -> None:
    with pytest.raises(AlarmError, match="AlarmRule") as e:
        parse_rule(rule, alarm_name="c")
    assert message in str(e.value)
    assert "alarm 'c'" in str(e.value)


def test_limits() -> None:
    many = " OR ".join(f"ALARM(a{i})" for i in range(MAX_CHILDREN + 1))
    with pytest.raises(AlarmError, match="at most 100"):
        parse_rule(many)
    parse_rule(" OR ".join(f"ALARM(a{i})" for i in range(MAX_CHILDREN)))
    elements = " OR ".join(["TRUE"] * (MAX_ELEMENTS + 1))
    with pytest.raises(AlarmError, match="at most 500"):
        parse_rule(elements)


def test_nesting_order_and_cycles() -> None:
    rules = {"top": ("mid", "m1"), "mid": ("m2", "low"), "low": ("m3",)}
    order = evaluation_order(rules)
    assert order.index("low") < order.index("mid") < order.index("top")
    with pytest.raises(AlarmError, match="cycle: x -> y -> x"):
        evaluation_order({"x": ("y",), "y": ("x",)})
    composites, metrics = descendants(["top"], lambda n: rules.get(n))
    assert composites == ["top", "mid", "low"]
    assert metrics == ["m2", "m3", "m1"]  # depth first, in rule order


def _step(order, states, changed):  # type: ignore[no-untyped-def]
    states, changed = dict(states), dict(changed)
    reevaluate(order, states, changed)
    return states, changed


def test_a_composite_changes_only_when_a_child_changes() -> None:
    order = [("c", parse_rule("ALARM(a) OR ALARM(b)"))]
    # created: INSUFFICIENT_DATA until a child changes
    states, changed = _step(order, {"a": IN, "b": IN, "c": IN}, {"a": False, "b": False})
    assert states["c"] is IN and changed["c"] is False
    states, changed = _step(order, {"a": OK, "b": IN, "c": IN}, {"a": True, "b": False})
    assert states["c"] is OK and changed["c"] is True
    states, changed = _step(order, {"a": OK, "b": AL, "c": OK}, {"a": False, "b": True})
    assert states["c"] is AL and changed["c"] is True
    # a child changes but the rule's value does not: no state change
    states, changed = _step(order, {"a": AL, "b": AL, "c": AL}, {"a": True, "b": False})
    assert states["c"] is AL and changed["c"] is False


def test_nested_composites_follow_within_one_instant() -> None:
    order = [("low", parse_rule("ALARM(m)")), ("top", parse_rule("NOT ALARM(low)"))]
    states, changed = _step(order, {"m": AL, "low": OK, "top": AL}, {"m": True})
    assert states["low"] is AL and states["top"] is OK
    assert changed == {"m": True, "low": True, "top": True}


STATES = st.sampled_from([AL, OK, IN])
RULES = [
    "ALARM(a) AND NOT OK(b)",
    "(INSUFFICIENT_DATA(a) OR ALARM(b)) AND NOT (OK(a) AND OK(c))",
    "NOT (ALARM(a) OR ALARM(b) OR ALARM(c)) OR TRUE AND OK(c)",
]


@pytest.mark.parametrize("rule", RULES)
def test_arrays_equal_scalars_on_every_combination(rule: str) -> None:
    """The array evaluation (the batch engine's) equals the scalar one, replication by
    replication, on all 27 combinations of three children's states."""
    parsed = parse_rule(rule)
    combos = list(itertools.product([AL, OK, IN], repeat=3))
    arrays = {n: np.array([CODES[c[k]] for c in combos]) for k, n in enumerate("abc")}
    got = parsed.state(arrays, CODES)
    want = [CODES[parsed.state(dict(zip("abc", c, strict=True)))] for c in combos]
    assert got.tolist() == want


@given(
    st.lists(st.tuples(STATES, STATES, STATES, st.booleans(), st.booleans()), min_size=1),
)
def test_reevaluate_arrays_equal_scalars(rows: list[tuple[AlarmState, ...]]) -> None:
    order = [("c", parse_rule("ALARM(a) OR OK(b)")), ("d", parse_rule("NOT ALARM(c)"))]
    states = {
        "a": np.array([CODES[r[0]] for r in rows]),
        "b": np.array([CODES[r[1]] for r in rows]),
        "c": np.array([CODES[r[2]] for r in rows]),
        "d": np.array([CODES[IN]] * len(rows)),
    }
    changed = {"a": np.array([r[3] for r in rows]), "b": np.array([r[4] for r in rows])}
    reevaluate(order, states, changed, CODES)
    for k, r in enumerate(rows):
        one = {"a": r[0], "b": r[1], "c": r[2], "d": IN}
        flags = {"a": bool(r[3]), "b": bool(r[4])}
        reevaluate(order, one, flags)
        assert [CODES[one[n]] for n in "cd"] == [int(states[n][k]) for n in "cd"]
        assert [flags[n] for n in "cd"] == [bool(changed[n][k]) for n in "cd"]
