"""CloudWatch composite alarms: the ``AlarmRule`` language, parsed once, evaluated purely.

A composite alarm's state is a function of its children's states (see aws-model.md#composite-alarms
and https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/Create_Composite_Alarm.html):
the rule is TRUE -> ``ALARM``, FALSE -> ``OK``. CloudWatch re-evaluates it whenever a child
alarm changes state; a composite is ``INSUFFICIENT_DATA`` only right after it is created, until
that first evaluation.

The language (``PutCompositeAlarm`` ``AlarmRule``,
https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutCompositeAlarm.html):

* ``ALARM(name)``, ``OK(name)``, ``INSUFFICIENT_DATA(name)``: TRUE when the named alarm (an alarm
  name or ARN; the name may be in double quotes, or not) is in that state;
* ``TRUE``, ``FALSE``;
* ``AND``, ``OR``, ``NOT`` and parentheses to group;
* at most 10,240 characters (botocore's model checks that), 100 children and 500 elements
  ("child alarms, TRUE or FALSE statements, and parentheses").

Written by hand: no library parses this small language. Two points are undocumented and are
guardsim's reading, said here and in the docs: the precedence of the operators without
parentheses is the usual one (``NOT`` binds tighter than ``AND``, ``AND`` tighter than ``OR``),
and the keywords are upper case (as every AWS example writes them).

:func:`parse_rule` gives a :class:`CompositeRule`; :meth:`CompositeRule.holds` evaluates it on a
mapping of child states, for one alarm (``AlarmState`` values) or for a block of replications
(numpy arrays of state codes, with ``codes`` mapping each state to its code): one definition for
scalar and array code.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, MutableMapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

import numpy as np

from guardsim.cloudwatch.alarm import AlarmState
from guardsim.errors import AlarmError

__all__ = [
    "MAX_CHILDREN",
    "MAX_ELEMENTS",
    "CompositeRule",
    "descendants",
    "evaluation_order",
    "parse_rule",
    "reevaluate",
]

#: Limits of an AlarmRule (PutCompositeAlarm's AlarmRule documentation).
MAX_CHILDREN: Final = 100
MAX_ELEMENTS: Final = 500

_FUNCTIONS: Final[Mapping[str, AlarmState]] = {
    "ALARM": AlarmState.ALARM,
    "OK": AlarmState.OK,
    "INSUFFICIENT_DATA": AlarmState.INSUFFICIENT_DATA,
}
_KEYWORD = re.compile(r"[A-Za-z_]+")
#: An alarm ARN names the alarm after ``:alarm:``.
_ARN = re.compile(r"^arn:[^:]+:cloudwatch:[^:]*:[^:]*:alarm:(.+)$")

# A parsed rule is a tree of tuples:
#   ("const", bool) | ("state", AlarmState, name) | ("not", node) | ("and", a, b) | ("or", a, b)
Node = tuple[Any, ...]


def _child_name(text: str) -> str:
    m = _ARN.match(text)
    return m.group(1) if m else text


class _Parser:
    """Recursive descent over the rule text: or := and (OR and)*; and := not (AND not)*;
    not := NOT not | atom; atom := TRUE | FALSE | FUNC(name) | ( or )."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.i = 0
        self.elements = 0
        self.children: list[str] = []

    def fail(self, message: str) -> AlarmError:
        return AlarmError(
            f"{message} at character {self.i + 1} of {self.text!r}", field="AlarmRule"
        )

    def skip(self) -> None:
        while self.i < len(self.text) and self.text[self.i].isspace():
            self.i += 1

    def peek_word(self) -> str | None:
        self.skip()
        m = _KEYWORD.match(self.text, self.i)
        return m.group(0) if m else None

    def take_word(self, word: str) -> bool:
        w = self.peek_word()
        if w == word:
            self.i += len(word)
            return True
        return False

    def parse(self) -> Node:
        self.skip()
        if self.i == len(self.text):
            raise self.fail("empty rule")
        node = self.or_()
        self.skip()
        if self.i != len(self.text):
            raise self.fail("unexpected text")
        return node

    def or_(self) -> Node:
        node = self.and_()
        while self.take_word("OR"):
            node = ("or", node, self.and_())
        return node

    def and_(self) -> Node:
        node = self.not_()
        while self.take_word("AND"):
            node = ("and", node, self.not_())
        return node

    def not_(self) -> Node:
        if self.take_word("NOT"):
            return ("not", self.not_())
        return self.atom()

    def atom(self) -> Node:
        self.skip()
        if self.i >= len(self.text):
            raise self.fail(
                "expected ALARM(...), OK(...), INSUFFICIENT_DATA(...), TRUE, FALSE "
                "or '(' but the rule ended"
            )
        if self.text[self.i] == "(":
            self.i += 1
            self.elements += 1  # a pair of parentheses is one element
            node = self.or_()
            self.skip()
            if self.i >= len(self.text) or self.text[self.i] != ")":
                raise self.fail("expected ')'")
            self.i += 1
            return node
        word = self.peek_word()
        if word in ("TRUE", "FALSE"):
            self.i += len(word)
            self.elements += 1
            return ("const", word == "TRUE")
        if word is not None and word in _FUNCTIONS:
            self.i += len(word)
            self.skip()
            if self.i >= len(self.text) or self.text[self.i] != "(":
                raise self.fail(f"expected '(' after {word}")
            self.i += 1
            name = self.name()
            self.elements += 1
            if name not in self.children:
                self.children.append(name)
            return ("state", _FUNCTIONS[word], name)
        shown = word if word is not None else self.text[self.i]
        raise self.fail(
            f"unexpected {shown!r}: expected ALARM(...), OK(...), INSUFFICIENT_DATA(...), "
            "TRUE, FALSE, NOT or '('"
        )

    def name(self) -> str:
        """A child's name up to the function's ')': in double quotes, or bare."""
        self.skip()
        text = self.text
        if self.i < len(text) and text[self.i] == '"':
            end = text.find('"', self.i + 1)
            if end < 0:
                raise self.fail("unterminated '\"'")
            name = text[self.i + 1 : end]
            self.i = end + 1
            self.skip()
            if self.i >= len(text) or text[self.i] != ")":
                raise self.fail("expected ')' after the quoted alarm name")
        else:
            end = text.find(")", self.i)
            if end < 0:
                raise self.fail("expected ')' after the alarm name")
            name = text[self.i : end].strip()
            self.i = end
        self.i += 1  # the ')'
        if not name:
            raise self.fail("empty alarm name")
        return _child_name(name)


@dataclass(frozen=True)
class CompositeRule:
    """A parsed ``AlarmRule``: its tree, its children (in order of first mention), its text."""

    text: str
    tree: Node
    children: tuple[str, ...]
    elements: int

    def holds(
        self,
        states: Mapping[str, Any],
        codes: Mapping[AlarmState, Any] | None = None,
    ) -> Any:
        """Whether the rule is TRUE for the children's ``states``.

        ``states`` maps each child's name to its state: an :class:`AlarmState` (then the result
        is a bool), or a numpy array of state codes with ``codes`` giving each state's code
        (then the result is a bool array of the same shape)."""
        return _holds(self.tree, states, codes)

    def state(
        self, states: Mapping[str, Any], codes: Mapping[AlarmState, Any] | None = None
    ) -> Any:
        """The composite's state after an evaluation: ALARM where the rule holds, else OK (as
        codes when ``codes`` is given)."""
        value = self.holds(states, codes)
        if codes is None:
            return AlarmState.ALARM if value else AlarmState.OK
        return np.where(value, codes[AlarmState.ALARM], codes[AlarmState.OK])

    def reason(self, states: Mapping[str, AlarmState]) -> str:
        """CloudWatch-style reason for one evaluation."""
        value = self.holds(states)
        shown = ", ".join(f"{c} {states[c].value}" for c in self.children)
        return f"rule {self.text} is {'TRUE' if value else 'FALSE'} ({shown})"


def _holds(node: Node, states: Mapping[str, Any], codes: Mapping[AlarmState, Any] | None) -> Any:
    kind = node[0]
    if kind == "state":
        value = states[node[2]]
        return value == (node[1] if codes is None else codes[node[1]])
    if kind == "const":
        if codes is None:
            return node[1]
        shape = np.shape(next(iter(states.values()))) if states else ()
        return np.full(shape, node[1], dtype=bool)
    if kind == "not":
        inner = _holds(node[1], states, codes)
        return np.logical_not(inner) if codes is not None else not inner
    a = _holds(node[1], states, codes)
    b = _holds(node[2], states, codes)
    if codes is not None:
        return np.logical_and(a, b) if kind == "and" else np.logical_or(a, b)
    return bool(a and b) if kind == "and" else bool(a or b)


def parse_rule(text: str, *, alarm_name: str | None = None) -> CompositeRule:
    """Parse an ``AlarmRule``; :class:`~guardsim.errors.AlarmError` (field ``AlarmRule``, with
    the character position) if it is not valid or exceeds the documented limits."""
    if not isinstance(text, str):
        raise AlarmError(
            f"expected a string, got {type(text).__name__}",
            field="AlarmRule",
            alarm_name=alarm_name,
        )
    parser = _Parser(text)
    try:
        tree = parser.parse()
    except AlarmError as e:
        raise AlarmError(e.message, field="AlarmRule", alarm_name=alarm_name) from None
    if len(parser.children) > MAX_CHILDREN:
        raise AlarmError(
            f"{len(parser.children)} child alarms; a rule can name at most {MAX_CHILDREN}",
            field="AlarmRule",
            alarm_name=alarm_name,
        )
    if parser.elements > MAX_ELEMENTS:
        raise AlarmError(
            f"{parser.elements} elements; a rule can have at most {MAX_ELEMENTS} (child "
            "alarms, TRUE or FALSE, parentheses)",
            field="AlarmRule",
            alarm_name=alarm_name,
        )
    return CompositeRule(text, tree, tuple(parser.children), parser.elements)


def evaluation_order(rules: Mapping[str, Sequence[str]]) -> list[str]:
    """The composites (name -> its children) ordered so that a composite comes after every
    composite child (children that are not keys are metric alarms). Raises
    :class:`~guardsim.errors.AlarmError` naming the cycle if there is one (CloudWatch refuses a
    rule that would make a cycle)."""
    order: list[str] = []
    done: set[str] = set()

    def visit(name: str, path: list[str]) -> None:
        if name in done:
            return
        if name in path:
            cycle = " -> ".join([*path[path.index(name) :], name])
            raise AlarmError(
                f"composite alarms form a cycle: {cycle}", field="AlarmRule", alarm_name=name
            )
        for child in rules[name]:
            if child in rules:
                visit(child, [*path, name])
        done.add(name)
        order.append(name)

    for name in rules:
        visit(name, [])
    return order


def descendants(
    roots: Iterable[str], children: Callable[[str], Sequence[str] | None]
) -> tuple[list[str], list[str]]:
    """(composites, metric alarms) reachable from ``roots`` through ``children`` (None for a
    metric alarm), each in order of first reach."""
    composites: list[str] = []
    metrics: list[str] = []
    stack = list(roots)[::-1]
    while stack:
        name = stack.pop()
        if name in composites or name in metrics:
            continue
        kids = children(name)
        if kids is None:
            metrics.append(name)
        else:
            composites.append(name)
            stack.extend(list(kids)[::-1])
    return composites, metrics


def reevaluate(
    order: Sequence[tuple[str, CompositeRule]],
    states: MutableMapping[str, Any],
    changed: MutableMapping[str, Any],
    codes: Mapping[AlarmState, Any] | None = None,
) -> None:
    """Re-evaluate composites after an evaluation instant, as CloudWatch does: a composite is
    evaluated when one of its children changes state (see aws-model.md#composite-alarms).

    ``order`` lists the composites children first (:func:`evaluation_order`); ``states`` maps
    every alarm's name to its state and ``changed`` says whether it changed at this instant.
    Both are updated in place for the composites. Scalars (``AlarmState`` and bool), or, with
    ``codes``, numpy arrays with one entry per replication (state codes and bool masks): one
    definition for the engines with one replication and for the batch engine."""
    for name, rule in order:
        flags = [changed.get(c, False) for c in rule.children]
        new = rule.state(states, codes)
        if codes is None:
            moved = any(flags) and new != states[name]
            if moved:
                states[name] = new
            changed[name] = moved
        else:
            trigger = np.logical_or.reduce(flags) if flags else np.zeros(np.shape(new), bool)
            mask = np.logical_and(trigger, new != states[name])
            states[name] = np.where(mask, new, states[name])
            changed[name] = mask
