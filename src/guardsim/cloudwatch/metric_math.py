"""CloudWatch metric math for alarms: parse, type-check and evaluate an alarm's ``Metrics``.

An alarm can watch the result of a math expression instead of one metric: ``PutMetricAlarm``'s
``Metrics`` is a list of ``MetricDataQuery`` objects, each either a ``MetricStat`` (a metric,
statistic and period that yields one datapoint per period) or an ``Expression`` over the
``Id`` of other queries, and exactly one of them has ``ReturnData`` true: the series the alarm
compares with its threshold (see aws-model.md#metric-math, #put-metric-alarm). The canonical
SageMaker example is an error rate, ``100 * m1 / m2`` with ``m1`` the Sum of ``Invocation5XXErrors``
and ``m2`` the Sum of ``Invocations`` (see aws-model.md#metric-math).

Values and missing data
-----------------------
An expression works on three kinds of value (see aws-model.md#metric-math): a scalar ``S``,
a time series ``TS`` and an array of time series ``TS[]``. guardsim aligns every series on the
alarm's period grid, oldest to newest, as a list of ``float | None`` where ``None`` means "no
datapoint at this timestamp". The rules, from the "Using metric math" page (see
aws-model.md#metric-math):

* Arithmetic (``+ - * / ^``) and comparison (``== != < <= > >=``) between two series: "Missing
  values in a time series are treated as 0" and "when ... only one of the time series has a
  value for a particular time stamp, the function treats the missing value in the other time
  series as 0". A timestamp where *neither* series has a value stays missing (there is nothing
  to compute there). A series with a scalar keeps the series' missing points missing. This is
  the ``missing_operand="zero"`` default; ``missing_operand="missing"`` instead drops every
  timestamp where any operand is missing (a stricter reading, for sensitivity studies).
* "If the value of a data point causes a function to attempt to divide by zero, the data point
  is dropped": ``m1 / m2`` is missing wherever ``m2`` is 0 (never ``inf``, never an error).
  guardsim drops every other non-finite result the same way (``LOG(0)``, overflow, a negative
  number to a fractional power) [judgment: CloudWatch cannot return such values].
* Logical ``AND``/``&&``, ``OR``/``||`` follow the comparison rule and give 1 or 0; ``NOT``/``!``
  gives 1 for 0 and 0 otherwise [``NOT`` is not in AWS's operator table; guardsim accepts it].
* ``IF(cond, a[, b])`` follows AWS's "Using IF expressions" tables exactly (a true condition with
  ``a`` missing gives 0; a false one with ``b`` missing or omitted drops the point).
* ``FILL(x, v)`` fills missing points with a scalar, with another series' value, with
  ``REPEAT`` (the most recent earlier value) or ``LINEAR`` (interpolation across the gap).
  Points before the first value (``REPEAT``), or not between two values (``LINEAR``), stay
  missing [judgment: the docs do not say].
* ``AVG``, ``MIN``, ``MAX``, ``SUM``, ``STDDEV`` and ``DATAPOINT_COUNT`` of one series are
  scalars over its datapoints; of an array ``[m1, m2]`` they are a series, point by point. For
  ``AVG`` of an array, missing values count as 0 (see aws-model.md#metric-math);
  ``MIN``/``MAX``/``STDDEV`` of an array use only the values present [judgment]. ``STDDEV`` is the
  population standard deviation [judgment: undocumented]. AWS recommends against these in alarms
  because CloudWatch fetches more datapoints than ``EvaluationPeriods``; guardsim computes them over
  the series it is given.

The alarm's expression "must return a single time series" (see aws-model.md#put-metric-alarm): a
scalar or an array of series as the ``ReturnData`` result is an error, found at compile time by a
static type check.

Supported functions: see :data:`SUPPORTED_FUNCTIONS`. Anything else raises
:class:`~guardsim.errors.MetricMathError` naming the function.
"""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import Enum
from types import MappingProxyType
from typing import Any, Literal, TypeAlias

from guardsim.cloudwatch.statistics import StatisticSpec, parse_statistic
from guardsim.errors import ArgumentError, MetricMathError, StatisticError

__all__ = [
    "SUPPORTED_FUNCTIONS",
    "ArrayLiteral",
    "Binary",
    "Call",
    "Keyword",
    "MetricMathProgram",
    "MetricStatQuery",
    "MissingOperand",
    "Node",
    "Number",
    "Ref",
    "String",
    "Unary",
    "Value",
    "check_metric_queries",
    "compile_metrics",
    "evaluate_expression",
    "parse_expression",
]

MissingOperand = Literal["zero", "missing"]
"""How a binary operator treats a timestamp where one series has a value and the other not:
``"zero"`` (CloudWatch's documented rule: the missing value counts as 0) or ``"missing"`` (the
result is missing there)."""

Series: TypeAlias = list[float | None]
Value: TypeAlias = float | list[float | None] | tuple[list[float | None], ...] | None
"""A runtime value: a scalar (``float``, or ``None`` for "no value"), a time series (``list``)
or an array of time series (``tuple`` of lists)."""

MAX_METRIC_DATA_QUERIES = 20
MAX_METRIC_STATS = 10
MAX_EXPRESSIONS = 10
MAX_EXPRESSION_LENGTH = (
    2048  # MetricDataQuery.Expression, botocore model (see aws-model.md#put-metric-alarm)
)
MAX_ID_LENGTH = 255  # MetricDataQuery.Id (see aws-model.md#put-metric-alarm)
MAX_NESTING = 50  # parentheses, calls and unary operators: guardsim's guard for the stack
MAX_DEPTH = 100  # nested operations in the parsed tree, for the same reason
_ID_RE = re.compile(r"[a-z][A-Za-z0-9_]*")
_QUERY_FIELDS = ("Id", "MetricStat", "Expression", "Label", "ReturnData", "Period", "AccountId")
_METRIC_STAT_FIELDS = ("Metric", "Period", "Stat", "Unit")
_METRIC_FIELDS = ("Namespace", "MetricName", "Dimensions")

# --------------------------------------------------------------------------------------------
# AST
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Number:
    """A numeric literal."""

    value: float


@dataclass(frozen=True, slots=True)
class Ref:
    """A reference to another query by its ``Id``."""

    id: str


@dataclass(frozen=True, slots=True)
class String:
    """A string literal (only ``METRICS("errors")`` takes one)."""

    value: str


@dataclass(frozen=True, slots=True)
class Keyword:
    """``REPEAT`` or ``LINEAR``, the fill modes of ``FILL``."""

    name: str


@dataclass(frozen=True, slots=True)
class Unary:
    """``-x`` or ``NOT x``."""

    op: str
    operand: Node


@dataclass(frozen=True, slots=True)
class Binary:
    """``left op right``; ``op`` is one of ``+ - * / ^ == != < <= > >= AND OR``."""

    op: str
    left: Node
    right: Node


@dataclass(frozen=True, slots=True)
class Call:
    """A function call such as ``FILL(m1, 0)``."""

    name: str
    args: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class ArrayLiteral:
    """``[m1, m2]``: an array of time series."""

    items: tuple[Node, ...]


Node: TypeAlias = Number | Ref | String | Keyword | Unary | Binary | Call | ArrayLiteral

# --------------------------------------------------------------------------------------------
# Tokenizer and parser
# --------------------------------------------------------------------------------------------

_TOKEN_RE = re.compile(
    r"""
    (?P<ws>\s+)
  | (?P<num>(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)
  | (?P<name>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<str>"[^"]*"|'[^']*'|\u201c[^\u201d]*\u201d)
  | (?P<op>==|!=|<=|>=|&&|\|\||[-+*/^()\[\],<>!])
    """,
    re.VERBOSE,
)
_LOGICAL_WORDS = {"AND": "AND", "OR": "OR", "NOT": "NOT"}
_KEYWORDS = frozenset({"REPEAT", "LINEAR"})


@dataclass(frozen=True, slots=True)
class _Token:
    kind: str  # "num", "id", "name", "str", "op", "end"
    text: str
    pos: int  # 0-based offset in the expression


def _tokenize(expression: str) -> list[_Token]:
    tokens: list[_Token] = []
    pos = 0
    while pos < len(expression):
        m = _TOKEN_RE.match(expression, pos)
        if m is None:
            raise MetricMathError(
                expression, f"unexpected character {expression[pos]!r} at column {pos + 1}"
            )
        kind = m.lastgroup
        text = m.group()
        if kind == "name":
            if text in _LOGICAL_WORDS:
                kind, text = "op", _LOGICAL_WORDS[text]
            elif text[0].islower():
                kind = "id"
        elif kind == "op":
            text = {"&&": "AND", "||": "OR", "!": "NOT"}.get(text, text)
        if kind != "ws":
            tokens.append(_Token(str(kind), text, pos))
        pos = m.end()
    tokens.append(_Token("end", "", len(expression)))
    return tokens


class _Parser:
    """Recursive descent. Precedence, lowest first: OR, AND, NOT, comparisons, ``+ -``,
    ``* /``, unary minus, ``^`` (right-associative). CloudWatch does not document precedence;
    this is the conventional order [judgment]."""

    def __init__(self, expression: str) -> None:
        self.expression = expression
        self.tokens = _tokenize(expression)
        self.i = 0
        self.depth = 0

    def error(self, message: str) -> MetricMathError:
        return MetricMathError(self.expression, message)

    def peek(self) -> _Token:
        return self.tokens[self.i]

    def take(self) -> _Token:
        token = self.tokens[self.i]
        self.i += 1
        return token

    def describe(self, token: _Token) -> str:
        if token.kind == "end":
            return "end of expression"
        return f"{token.text!r} at column {token.pos + 1}"

    def expect(self, text: str, opened: _Token | None = None) -> None:
        token = self.take()
        if token.kind != "op" or token.text != text:
            what = f"expected {text!r}"
            if opened is not None:
                what += f" to close {opened.text!r} at column {opened.pos + 1}"
            raise self.error(f"{what}, found {self.describe(token)}")

    def parse(self) -> Node:
        if self.peek().kind == "end":
            raise self.error("empty expression")
        node = self.expr()
        token = self.peek()
        if token.kind != "end":
            raise self.error(f"unexpected {self.describe(token)}")
        return node

    def nest(self) -> None:
        self.depth += 1
        if self.depth > MAX_NESTING:
            raise self.error(f"expression nests more than {MAX_NESTING} levels deep")

    def expr(self) -> Node:
        self.nest()
        node = self.binary_level(0)
        self.depth -= 1
        return node

    _LEVELS: tuple[frozenset[str], ...] = (
        frozenset({"OR"}),
        frozenset({"AND"}),
        frozenset(),  # NOT, handled by unary_not
        frozenset({"==", "!=", "<", "<=", ">", ">="}),
        frozenset({"+", "-"}),
        frozenset({"*", "/"}),
    )

    def binary_level(self, level: int) -> Node:
        if level == 2:
            return self.unary_not()
        if level == len(self._LEVELS):
            return self.unary_minus()
        ops = self._LEVELS[level]
        node = self.binary_level(level + 1)
        while self.peek().kind == "op" and self.peek().text in ops:
            op = self.take().text
            node = Binary(op, node, self.binary_level(level + 1))
        return node

    def unary_not(self) -> Node:
        if self.peek().kind == "op" and self.peek().text == "NOT":
            self.take()
            self.nest()
            node = Unary("NOT", self.unary_not())
            self.depth -= 1
            return node
        return self.binary_level(3)

    def unary_minus(self) -> Node:
        if self.peek().kind == "op" and self.peek().text == "-":
            self.take()
            self.nest()
            node = Unary("-", self.unary_minus())
            self.depth -= 1
            return node
        return self.power()

    def power(self) -> Node:
        base = self.primary()
        if self.peek().kind == "op" and self.peek().text == "^":
            self.take()
            self.nest()
            node = Binary("^", base, self.unary_minus())
            self.depth -= 1
            return node
        return base

    def primary(self) -> Node:
        token = self.take()
        if token.kind == "num":
            value = float(token.text)
            if not math.isfinite(value):
                raise self.error(f"number {token.text} at column {token.pos + 1} is too large")
            return Number(value)
        if token.kind == "str":
            return String(token.text[1:-1])
        if token.kind == "id":
            if self.peek().kind == "op" and self.peek().text == "(":
                upper = token.text.upper()
                hint = (
                    f"; write {upper}(...)"
                    if upper in SUPPORTED_FUNCTIONS
                    else f"; supported: {', '.join(sorted(SUPPORTED_FUNCTIONS))}"
                )
                raise self.error(
                    f"function names are uppercase, found {token.text!r} at column "
                    f"{token.pos + 1}{hint}"
                )
            return Ref(token.text)
        if token.kind == "name":
            if self.peek().kind == "op" and self.peek().text == "(":
                return self.call(token)
            if token.text in _KEYWORDS:
                return Keyword(token.text)
            raise self.error(
                f"unknown name {token.text!r} at column {token.pos + 1}; metric and expression "
                "Ids start with a lowercase letter"
            )
        if token.kind == "op" and token.text == "(":
            node = self.expr()
            self.expect(")", token)
            return node
        if token.kind == "op" and token.text == "[":
            items = self.list_until("]", token)
            if not items:
                raise self.error(f"empty array at column {token.pos + 1}")
            return ArrayLiteral(tuple(items))
        raise self.error(f"unexpected {self.describe(token)}")

    def list_until(self, close: str, opened: _Token) -> list[Node]:
        items: list[Node] = []
        if self.peek().kind == "op" and self.peek().text == close:
            self.take()
            return items
        while True:
            items.append(self.expr())
            token = self.peek()
            if token.kind == "op" and token.text == ",":
                self.take()
                continue
            self.expect(close, opened)
            return items

    def call(self, name_token: _Token) -> Node:
        name = name_token.text
        if name not in SUPPORTED_FUNCTIONS:
            reason = _UNSUPPORTED_REASONS.get(name, "")
            raise self.error(
                f"unsupported function {name}{reason}; supported: "
                f"{', '.join(sorted(SUPPORTED_FUNCTIONS))}"
            )
        opened = self.take()  # "("
        self.nest()
        args = self.list_until(")", opened)
        self.depth -= 1
        return Call(name, tuple(args))


def parse_expression(expression: str) -> Node:
    """Parse a metric math expression into an AST; raise MetricMathError if malformed.

    Ids start with a lowercase letter and functions are uppercase (see
    aws-model.md#metric-math); ``AND``/``&&``, ``OR``/``||`` and ``NOT``/``!`` are the logical
    operators.
    """
    if not isinstance(expression, str):
        raise MetricMathError(repr(expression), "an expression must be a string")
    ast = _Parser(expression).parse()
    # Long operator chains (m1+m1+...+m1) parse in a loop but make a deep tree; the type check
    # and the compiled closures recurse over it, so bound its depth.
    if _depth(ast) > MAX_DEPTH:
        raise MetricMathError(
            expression, f"expression is too complex: more than {MAX_DEPTH} nested operations"
        )
    return ast


def _children(node: Node) -> tuple[Node, ...]:
    if isinstance(node, Unary):
        return (node.operand,)
    if isinstance(node, Binary):
        return (node.left, node.right)
    if isinstance(node, Call):
        return node.args
    if isinstance(node, ArrayLiteral):
        return node.items
    return ()


def _depth(root: Node) -> int:
    deepest = 0
    stack = [(root, 1)]
    while stack:
        node, depth = stack.pop()
        deepest = max(deepest, depth)
        stack.extend((child, depth + 1) for child in _children(node))
    return deepest


# --------------------------------------------------------------------------------------------
# Static types: scalar, series, array of series
# --------------------------------------------------------------------------------------------


class _Kind(Enum):
    S = "a scalar"
    TS = "a single time series"
    TSA = "an array of time series"
    STR = "a string"
    KEYWORD = "a keyword"


_ELEMENTWISE = ("ABS", "CEIL", "FLOOR", "LOG", "LOG10")
_REDUCERS = ("AVG", "MIN", "MAX", "SUM", "STDDEV", "DATAPOINT_COUNT")
_SERIES_OPS = ("DIFF", "DIFF_TIME", "RATE", "RUNNING_SUM")

SUPPORTED_FUNCTIONS: frozenset[str] = frozenset(
    {
        *_ELEMENTWISE,
        *_REDUCERS,
        *_SERIES_OPS,
        "FILL",
        "FIRST",
        "IF",
        "LAST",
        "METRIC_COUNT",
        "METRICS",
        "PERIOD",
        "TIME_SERIES",
    }
)
"""The metric math functions guardsim evaluates (a subset of AWS's table; see
aws-model.md#metric-math)."""

_UNSUPPORTED_REASONS = {
    "SEARCH": " (an alarm cannot be based on a SEARCH expression; see "
    "https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/alarm-data-queries.html)",
    "ANOMALY_DETECTION_BAND": " (only as the band of an anomaly-detection alarm, named by its "
    "ThresholdMetricId)",
}


class _TypeChecker:
    """Infers the kind of every node; raises MetricMathError on a misuse."""

    def __init__(self, expression: str, kinds: Mapping[str, _Kind], metric_ids: Iterable[str]):
        self.expression = expression
        self.kinds = kinds
        self.metric_ids = frozenset(metric_ids)

    def error(self, message: str) -> MetricMathError:
        return MetricMathError(self.expression, message)

    def series_like(self, kind: _Kind, what: str) -> None:
        if kind not in (_Kind.TS, _Kind.TSA):
            raise self.error(f"{what} takes a time series or an array of them, not {kind.value}")

    def check(self, node: Node) -> _Kind:
        if isinstance(node, Number):
            return _Kind.S
        if isinstance(node, String):
            return _Kind.STR
        if isinstance(node, Keyword):
            return _Kind.KEYWORD
        if isinstance(node, Ref):
            if node.id not in self.kinds:
                known = ", ".join(sorted(self.kinds)) or "none"
                raise self.error(f"unknown Id {node.id!r}; defined Ids: {known}")
            return self.kinds[node.id]
        if isinstance(node, Unary):
            return self.value(self.check(node.operand), node.op)
        if isinstance(node, Binary):
            left = self.value(self.check(node.left), node.op)
            right = self.value(self.check(node.right), node.op)
            if left is _Kind.TSA and right is _Kind.TSA:
                raise self.error(f"{node.op!r} cannot combine two arrays of time series")
            if _Kind.TSA in (left, right):
                return _Kind.TSA
            if _Kind.TS in (left, right):
                return _Kind.TS
            return _Kind.S
        if isinstance(node, ArrayLiteral):
            for item in node.items:
                kind = self.check(item)
                if kind not in (_Kind.TS, _Kind.TSA):
                    raise self.error(f"array items must be time series, not {kind.value}")
            return _Kind.TSA
        return self.call(node)

    def value(self, kind: _Kind, op: str) -> _Kind:
        if kind in (_Kind.STR, _Kind.KEYWORD):
            raise self.error(f"{op!r} cannot take {kind.value}")
        return kind

    def arity(self, node: Call, low: int, high: int) -> None:
        n = len(node.args)
        if not low <= n <= high:
            expected = str(low) if low == high else f"{low} to {high}"
            raise self.error(f"{node.name} takes {expected} argument(s), found {n}")

    def call(self, node: Call) -> _Kind:
        name = node.name
        if name == "METRICS":
            self.arity(node, 0, 1)
            if node.args and not isinstance(node.args[0], String):
                raise self.error('METRICS takes no argument or a string, e.g. METRICS("errors")')
            return _Kind.TSA
        if name == "PERIOD":
            self.arity(node, 1, 1)
            arg = node.args[0]
            if not isinstance(arg, Ref) or arg.id not in self.metric_ids:
                raise self.error(
                    "PERIOD takes the Id of a metric, not an expression (see "
                    "https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/alarm-data-queries.html)"
                )
            return _Kind.S
        kinds = [self.check(arg) for arg in node.args]
        if name in _ELEMENTWISE or name in _SERIES_OPS:
            self.arity(node, 1, 1)
            if name in _SERIES_OPS:
                self.series_like(kinds[0], name)
            return self.value(kinds[0], name)
        if name in _REDUCERS:
            self.arity(node, 1, 1)
            self.series_like(kinds[0], name)
            return _Kind.S if kinds[0] is _Kind.TS else _Kind.TS
        if name == "TIME_SERIES":
            self.arity(node, 1, 1)
            if kinds[0] is not _Kind.S:
                raise self.error(f"TIME_SERIES takes a scalar, not {kinds[0].value}")
            return _Kind.TS
        if name in ("FIRST", "LAST"):
            self.arity(node, 1, 1)
            if kinds[0] is not _Kind.TSA:
                raise self.error(f"{name} takes an array of time series, not {kinds[0].value}")
            return _Kind.TS
        if name == "METRIC_COUNT":
            self.arity(node, 1, 1)
            if kinds[0] is not _Kind.TSA:
                raise self.error(
                    f"METRIC_COUNT takes an array of time series, not {kinds[0].value}"
                )
            return _Kind.S
        if name == "FILL":
            self.arity(node, 2, 2)
            self.series_like(kinds[0], "FILL")
            if kinds[1] not in (_Kind.S, _Kind.TS, _Kind.KEYWORD):
                raise self.error(
                    f"FILL's second argument is a scalar, a time series, REPEAT or LINEAR, not "
                    f"{kinds[1].value}"
                )
            return kinds[0]
        assert name == "IF", name
        self.arity(node, 2, 3)
        for kind in kinds:
            if kind not in (_Kind.S, _Kind.TS):
                raise self.error(f"IF takes scalars and single time series, not {kind.value}")
        return _Kind.TS if _Kind.TS in kinds else _Kind.S


# --------------------------------------------------------------------------------------------
# Evaluation
# --------------------------------------------------------------------------------------------


@dataclass(slots=True)
class _Env:
    values: dict[str, Value]
    length: int
    period: int
    metric_order: tuple[str, ...]
    missing_operand: MissingOperand


_Eval: TypeAlias = Callable[[_Env], Value]
_BinFn: TypeAlias = Callable[[float, float], float | None]


def _finite(x: float) -> float | None:
    return x if math.isfinite(x) else None


def _div(x: float, y: float) -> float | None:
    # "If the value of a data point causes a function to attempt to divide by zero, the data
    # point is dropped" (see aws-model.md#metric-math).
    return None if y == 0 else _finite(x / y)


def _pow(x: float, y: float) -> float | None:
    try:
        result = x**y
    except (OverflowError, ZeroDivisionError):
        return None
    if isinstance(result, complex):  # a negative base to a fractional power
        return None
    return _finite(float(result))


_BINARY: dict[str, _BinFn] = {
    "+": lambda x, y: _finite(x + y),
    "-": lambda x, y: _finite(x - y),
    "*": lambda x, y: _finite(x * y),
    "/": _div,
    "^": _pow,
    "==": lambda x, y: float(x == y),
    "!=": lambda x, y: float(x != y),
    "<": lambda x, y: float(x < y),
    "<=": lambda x, y: float(x <= y),
    ">": lambda x, y: float(x > y),
    ">=": lambda x, y: float(x >= y),
    "AND": lambda x, y: float(x != 0 and y != 0),
    "OR": lambda x, y: float(x != 0 or y != 0),
}


def _map(fn: Callable[[float], float | None], value: Value) -> Value:
    """Apply a one-argument function point by point to a scalar, series or array."""
    if isinstance(value, list):
        return [None if x is None else fn(x) for x in value]
    if isinstance(value, tuple):
        return tuple([None if x is None else fn(x) for x in s] for s in value)
    return None if value is None else fn(value)


def _series_series(fn: _BinFn, a: Series, b: Series, zero: bool) -> Series:
    out: Series = []
    append = out.append
    for x, y in zip(a, b, strict=True):
        if x is None:
            if y is None or not zero:
                append(None)
                continue
            x = 0.0
        elif y is None:
            if not zero:
                append(None)
                continue
            y = 0.0
        append(fn(x, y))
    return out


def _binary_values(fn: _BinFn, a: Value, b: Value, zero: bool) -> Value:
    if isinstance(a, tuple):
        return tuple(_binary_values(fn, s, b, zero) for s in a)  # type: ignore[misc]
    if isinstance(b, tuple):
        return tuple(_binary_values(fn, a, s, zero) for s in b)  # type: ignore[misc]
    if isinstance(a, list):
        if isinstance(b, list):
            return _series_series(fn, a, b, zero)
        if b is None:
            return [None] * len(a)
        return [None if x is None else fn(x, b) for x in a]
    if isinstance(b, list):
        if a is None:
            return [None] * len(b)
        return [None if y is None else fn(a, y) for y in b]
    if a is None or b is None:
        return None
    return fn(a, b)


def _present(series: Series) -> list[float]:
    return [x for x in series if x is not None]


def _fsum(xs: Iterable[float]) -> float:
    """An accurate sum; ``inf`` (dropped by the caller) when it overflows."""
    try:
        return math.fsum(xs)
    except OverflowError:
        return math.inf


def _pstdev(xs: list[float]) -> float:
    mean = _fsum(xs) / len(xs)
    if not math.isfinite(mean):
        return math.inf
    return math.sqrt(_fsum((x - mean) * (x - mean) for x in xs) / len(xs))


def _reduce_one(name: str, xs: list[float], width: int) -> float | None:
    """One reducer over the values present (``width``: the number of series, for AVG)."""
    if not xs:
        return 0.0 if name == "DATAPOINT_COUNT" and width == 0 else None
    if name == "SUM":
        return _finite(_fsum(xs))
    if name == "AVG":
        # Of an array, "missing values are treated as 0" (see aws-model.md#metric-math): divide by
        # the number of series.
        return _finite(_fsum(xs) / (width or len(xs)))
    if name == "MIN":
        return min(xs)
    if name == "MAX":
        return max(xs)
    if name == "STDDEV":
        return _finite(_pstdev(xs))
    return float(len(xs))  # DATAPOINT_COUNT


def _reduce(name: str, value: Value) -> Value:
    if isinstance(value, list):  # one series -> a scalar over its datapoints
        return _reduce_one(name, _present(value), 0)
    assert isinstance(value, tuple)
    if not value:
        return None
    width = len(value)
    # An array -> a series; a timestamp where no series has a value stays missing.
    out: Series = []
    for column in zip(*value, strict=True):
        xs = [x for x in column if x is not None]
        out.append(_reduce_one(name, xs, width) if xs else None)
    return out


def _per_series(fn: Callable[[Series], Series], value: Value) -> Value:
    if isinstance(value, tuple):
        return tuple(fn(s) for s in value)
    assert isinstance(value, list)
    return fn(value)


def _diff(series: Series, period: int, mode: str) -> Series:
    out: Series = []
    last: tuple[int, float] | None = None
    for i, x in enumerate(series):
        if x is None:
            out.append(None)
            continue
        if last is None:
            out.append(None)
        else:
            dt = (i - last[0]) * period
            if mode == "DIFF":
                out.append(_finite(x - last[1]))
            elif mode == "RATE":
                out.append(_finite((x - last[1]) / dt))
            else:  # DIFF_TIME
                out.append(float(dt))
        last = (i, x)
    return out


def _running_sum(series: Series) -> Series:
    out: Series = []
    total = 0.0
    for x in series:
        if x is None:
            out.append(None)
        else:
            total += x
            out.append(_finite(total))
    return out


def _fill(value: Series, filler: Value | str) -> Series:
    """FILL one series with a scalar, a series, REPEAT or LINEAR (see aws-model.md#metric-math)."""
    if filler == "REPEAT":
        out: Series = []
        last: float | None = None
        for x in value:
            if x is not None:
                last = x
            out.append(last if x is None else x)
        return out
    if filler == "LINEAR":
        out = list(value)
        known = [i for i, x in enumerate(value) if x is not None]
        for a, b in itertools.pairwise(known):
            xa, xb = value[a], value[b]
            assert xa is not None and xb is not None
            for i in range(a + 1, b):
                out[i] = _finite(xa + (xb - xa) * (i - a) / (b - a))
        return out
    if isinstance(filler, list):
        return [f if x is None else x for x, f in zip(value, filler, strict=True)]
    assert filler is None or isinstance(filler, float)
    constant: float | None = filler
    return [constant if x is None else x for x in value]


def _point(value: Value, i: int) -> float | None:
    """A series' value at ``i``, or a scalar (the type check rules out arrays here)."""
    if isinstance(value, list):
        return value[i]
    assert not isinstance(value, tuple)
    return value


def _array(value: Value) -> tuple[Series, ...]:
    assert isinstance(value, tuple)
    return value


def _if(cond: Value, a: Value, b: Value, has_b: bool, length: int) -> Value:
    """IF(cond, a[, b]) per AWS's "Using IF expressions" (see aws-model.md#metric-math)."""
    if not isinstance(cond, list):
        if cond is None:
            return [None] * length if isinstance(a, list) or isinstance(b, list) else None
        chosen = a if cond != 0 else (b if has_b else None)
        if isinstance(a, list) or isinstance(b, list):
            # IF(scalar, metric2, metric3): the chosen series as it is; an empty series when
            # metric3 is omitted; a chosen scalar becomes a constant series.
            if isinstance(chosen, list):
                return list(chosen)
            return [_point(chosen, 0)] * length
        return chosen
    out: Series = []
    for i, c in enumerate(cond):
        if c is None:
            out.append(None)  # no condition datapoint: dropped
        elif c != 0:
            x = _point(a, i)
            out.append(
                0.0 if x is None else x
            )  # true with the value missing: 0 (see aws-model.md#metric-math)
        else:
            out.append(
                _point(b, i) if has_b else None
            )  # false, value missing: dropped (see aws-model.md#metric-math)
    return out


class _Compiler:
    """Turns a type-checked AST into nested closures, so evaluation never re-parses."""

    def compile(self, node: Node) -> _Eval:
        if isinstance(node, Number):
            value = node.value
            return lambda env: value
        if isinstance(node, Ref):
            ref = node.id
            return lambda env: env.values[ref]
        if isinstance(node, String | Keyword):  # only reached through FILL / METRICS below
            text = node.value if isinstance(node, String) else node.name
            return lambda env: text  # type: ignore[return-value]
        if isinstance(node, Unary):
            operand = self.compile(node.operand)
            if node.op == "-":
                # 0.0 - x rather than -x, so that negating 0 gives 0.0, not -0.0.
                return lambda env: _map(lambda x: 0.0 - x, operand(env))
            return lambda env: _map(lambda x: float(x == 0), operand(env))
        if isinstance(node, Binary):
            fn = _BINARY[node.op]
            left, right = self.compile(node.left), self.compile(node.right)
            return lambda env: _binary_values(
                fn, left(env), right(env), env.missing_operand == "zero"
            )
        if isinstance(node, ArrayLiteral):
            items = [self.compile(item) for item in node.items]

            def array(env: _Env) -> Value:
                out: list[Series] = []
                for item in items:
                    value = item(env)
                    if isinstance(value, tuple):
                        out.extend(value)
                    else:
                        assert isinstance(value, list)
                        out.append(value)
                return tuple(out)

            return array
        return self.call(node)

    def call(self, node: Call) -> _Eval:
        name = node.name
        if name == "METRICS":
            needle = node.args[0].value if node.args and isinstance(node.args[0], String) else ""
            return lambda env: tuple(
                env.values[i]  # type: ignore[misc]
                for i in env.metric_order
                if needle in i
            )
        if name == "PERIOD":
            return lambda env: float(env.period)
        args = [self.compile(arg) for arg in node.args]
        if name in _ELEMENTWISE:
            fn = _UNARY_FUNCTIONS[name]
            arg = args[0]
            return lambda env: _map(fn, arg(env))
        if name in _REDUCERS:
            arg = args[0]
            return lambda env: _reduce(name, arg(env))
        if name in ("DIFF", "RATE", "DIFF_TIME"):
            arg = args[0]
            return lambda env: _per_series(lambda s: _diff(s, env.period, name), arg(env))
        if name == "RUNNING_SUM":
            arg = args[0]
            return lambda env: _per_series(_running_sum, arg(env))
        if name == "TIME_SERIES":
            arg = args[0]
            return lambda env: [arg(env)] * env.length  # type: ignore[list-item]
        if name in ("FIRST", "LAST"):
            arg = args[0]
            index = 0 if name == "FIRST" else -1

            def pick(env: _Env) -> Value:
                value = arg(env)
                assert isinstance(value, tuple)
                return list(value[index]) if value else [None] * env.length

            return pick
        if name == "METRIC_COUNT":
            arg = args[0]
            return lambda env: float(len(_array(arg(env))))
        if name == "FILL":
            target, filler = args

            def fill(env: _Env) -> Value:
                with_value = filler(env)  # evaluated once, even for an array of series
                return _per_series(lambda s: _fill(s, with_value), target(env))

            return fill
        assert name == "IF"
        cond, a = args[0], args[1]
        b = args[2] if len(args) == 3 else None
        return lambda env: _if(
            cond(env), a(env), None if b is None else b(env), b is not None, env.length
        )


def _safe_log(x: float) -> float | None:
    return math.log(x) if x > 0 else None


def _safe_log10(x: float) -> float | None:
    return math.log10(x) if x > 0 else None


_UNARY_FUNCTIONS: dict[str, Callable[[float], float | None]] = {
    "ABS": abs,
    "CEIL": lambda x: float(math.ceil(x)),
    "FLOOR": lambda x: float(math.floor(x)),
    "LOG": _safe_log,
    "LOG10": _safe_log10,
}

# --------------------------------------------------------------------------------------------
# Queries and programs
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class MetricStatQuery:
    """One ``MetricStat`` query of an alarm's ``Metrics``: which metric, statistic and period.

    ``dimensions`` are ``(Name, Value)`` pairs in the order given. ``stat`` is the statistic
    name as written; :attr:`statistic` parses it.
    """

    id: str
    namespace: str
    metric_name: str
    dimensions: tuple[tuple[str, str], ...]
    period: int
    stat: str
    unit: str | None = None
    label: str | None = None
    account_id: str | None = None

    @property
    def statistic(self) -> StatisticSpec:
        """The parsed statistic (``MetricStat.Stat`` accepts any statistic; see
        aws-model.md#put-metric-alarm)."""
        return parse_statistic(self.stat, context="metric")


def _normalize_series(values: Sequence[float | None], what: str) -> Series:
    """Floats, with ``None`` (and NaN) for "no datapoint"."""
    out: Series = [None if x is None else float(x) for x in values]
    for i, x in enumerate(out):
        if x is not None and not math.isfinite(x):
            if math.isnan(x):
                out[i] = None
            else:
                raise ArgumentError(f"{what} has an infinite value at index {i}")
    return out


class MetricMathProgram:
    """A compiled alarm ``Metrics`` list: evaluate it on aligned series without re-parsing.

    Built by :func:`compile_metrics`. ``metric_stats`` maps each MetricStat Id to its query,
    ``period`` is their common period, ``return_id`` the Id of the query with ``ReturnData``
    true and ``expression`` its expression (``None`` if it is a MetricStat).
    """

    def __init__(
        self,
        metric_stats: Mapping[str, MetricStatQuery],
        period: int,
        return_id: str,
        expression: str | None,
        steps: Sequence[tuple[str, _Eval]],
        missing_operand: MissingOperand,
        trees: Sequence[tuple[str, Node]] = (),
    ) -> None:
        self._metric_stats = MappingProxyType(dict(metric_stats))
        self._metric_order = tuple(metric_stats)
        self._period = period
        self._return_id = return_id
        self._expression = expression
        self._steps = tuple(steps)
        self._missing_operand: MissingOperand = missing_operand
        self._trees = tuple(trees)
        self._points: Callable[[Mapping[str, Any]], Any] | bool | None = False

    @property
    def points(self) -> Callable[[Mapping[str, Any]], Any] | None:
        """The program on numpy arrays (:func:`guardsim.cloudwatch.metric_math_arrays.
        compile_points`: NaN for "no datapoint", the lists' values to the bit), or None if an
        expression uses what the arrays do not evaluate (then :meth:`evaluate` does)."""
        if self._points is False:
            from guardsim.cloudwatch.metric_math_arrays import compile_points

            self._points = compile_points(self._trees, self._return_id, self._missing_operand)
        assert self._points is not True
        return self._points

    @property
    def metric_stats(self) -> Mapping[str, MetricStatQuery]:
        """MetricStat Id -> query, in the order of the Metrics list."""
        return self._metric_stats

    @property
    def period(self) -> int:
        """The period (seconds) shared by every MetricStat query."""
        return self._period

    @property
    def return_id(self) -> str:
        """The Id of the query whose series the alarm watches."""
        return self._return_id

    @property
    def expression(self) -> str | None:
        """The ReturnData query's expression, or ``None`` when it is a MetricStat."""
        return self._expression

    def evaluate(self, inputs: Mapping[str, Sequence[float | None]]) -> list[float | None]:
        """The alarm's series, point by point, from each MetricStat's per-period values.

        ``inputs[id]`` holds that MetricStat's datapoints oldest to newest, one per period on
        the alarm's grid, ``None`` (or NaN) where CloudWatch has no datapoint; every input has
        the same length and the output has it too, ``None`` where the expression yields no
        value. Raises ``ValueError`` if an input is absent or the lengths differ.
        """
        missing = [i for i in self._metric_order if i not in inputs]
        if missing:
            raise ArgumentError(f"no input series for MetricStat Id(s): {', '.join(missing)}")
        values: dict[str, Value] = {}
        length: int | None = None
        for i in self._metric_order:
            series = _normalize_series(inputs[i], f"input {i!r}")
            if length is None:
                length = len(series)
            elif len(series) != length:
                raise ArgumentError(
                    f"input series must have the same length: {self._metric_order[0]!r} has "
                    f"{length}, {i!r} has {len(series)}"
                )
            values[i] = series
        env = _Env(values, length or 0, self._period, self._metric_order, self._missing_operand)
        for query_id, step in self._steps:
            values[query_id] = step(env)
        result = values[self._return_id]
        assert isinstance(result, list)
        return list(result)


def compile_metrics(
    metrics: Sequence[Mapping[str, object]], *, missing_operand: MissingOperand = "zero"
) -> MetricMathProgram:
    """Validate and compile PutMetricAlarm's ``Metrics`` into a :class:`MetricMathProgram`.

    Raises :class:`~guardsim.errors.MetricMathError` listing every problem
    :func:`check_metric_queries` finds (each as ``path: message``); its ``expression`` is the
    first offending expression, or ``""`` for a structural problem.
    """
    analysis = _analyze(metrics)
    if analysis.problems:
        first_expression = next((e for e in analysis.problem_expressions if e), "")
        message = "; ".join(f"{p}: {m}" if p else m for p, m in analysis.problems)
        raise MetricMathError(first_expression, message)
    assert analysis.return_id is not None and analysis.period is not None
    compiler = _Compiler()
    steps = [(qid, compiler.compile(analysis.asts[qid])) for qid in analysis.order]
    return MetricMathProgram(
        metric_stats=analysis.metric_stats,
        period=analysis.period,
        return_id=analysis.return_id,
        expression=analysis.expressions.get(analysis.return_id),
        steps=steps,
        missing_operand=missing_operand,
        trees=[(qid, analysis.asts[qid]) for qid in analysis.order],
    )


def evaluate_expression(
    expression: str,
    inputs: Mapping[str, Sequence[float | None]],
    *,
    period: int = 60,
    missing_operand: MissingOperand = "zero",
) -> Value:
    """Evaluate one expression whose Ids are all metrics given in ``inputs``.

    Returns the raw value: a ``float`` (or ``None``) for a scalar, a list for a time series and
    a tuple of lists for an array of series. Raises MetricMathError for a malformed
    expression. For alarms, prefer :func:`compile_metrics`, which also checks that the result
    is a single time series and compiles once.
    """
    ast = parse_expression(expression)
    kinds = dict.fromkeys(inputs, _Kind.TS)
    _TypeChecker(expression, kinds, inputs).check(ast)
    order = tuple(inputs)
    values: dict[str, Value] = {}
    length: int | None = None
    for i in order:
        series = _normalize_series(inputs[i], f"input {i!r}")
        if length is not None and len(series) != length:
            raise ArgumentError("input series must all have the same length")
        length = len(series)
        values[i] = series
    env = _Env(values, length or 0, period, order, missing_operand)
    return _Compiler().compile(ast)(env)


# --------------------------------------------------------------------------------------------
# Validation
# --------------------------------------------------------------------------------------------


@dataclass
class _Analysis:
    problems: list[tuple[str, str]]
    problem_expressions: list[str]
    metric_stats: dict[str, MetricStatQuery]
    expressions: dict[str, str]
    asts: dict[str, Node]
    order: list[str]
    return_id: str | None
    period: int | None


def _valid_period(period: int) -> bool:
    return period in (10, 20, 30) or (period > 0 and period % 60 == 0)


def _type_name(value: object) -> str:
    return {
        dict: "an object",
        list: "a list",
        str: "a string",
        bool: "a boolean",
        int: "an integer",
        float: "a number",
        type(None): "null",
    }.get(type(value), type(value).__name__)


def _check_metric_stat(
    path: str, stat: object, add: Callable[[str, str], None]
) -> tuple[str, str, tuple[tuple[str, str], ...], int, str, str | None] | None:
    """Validate a MetricStat; return its fields if usable."""
    if not isinstance(stat, Mapping):
        add(path, f"MetricStat must be an object, found {_type_name(stat)}")
        return None
    ok = True
    for key in stat:
        if key not in _METRIC_STAT_FIELDS:
            add(
                f"{path}.{key}",
                f"unknown field; MetricStat fields are {', '.join(_METRIC_STAT_FIELDS)}",
            )
    metric = stat.get("Metric")
    namespace = metric_name = ""
    dimensions: list[tuple[str, str]] = []
    if not isinstance(metric, Mapping):
        add(
            f"{path}.Metric",
            f"required object with Namespace and MetricName, found {_type_name(metric)}",
        )
        ok = False
    else:
        for key in metric:
            if key not in _METRIC_FIELDS:
                add(
                    f"{path}.Metric.{key}",
                    f"unknown field; Metric fields are {', '.join(_METRIC_FIELDS)}",
                )
        for key in ("Namespace", "MetricName"):
            value = metric.get(key)
            if not isinstance(value, str) or not value:
                add(f"{path}.Metric.{key}", f"required non-empty string, found {_type_name(value)}")
                ok = False
        namespace = str(metric.get("Namespace", ""))
        metric_name = str(metric.get("MetricName", ""))
        dims = metric.get("Dimensions", [])
        if isinstance(dims, str | bytes) or not isinstance(dims, Sequence):
            add(
                f"{path}.Metric.Dimensions",
                f"must be a list of {{Name, Value}}, found {_type_name(dims)}",
            )
            ok = False
        else:
            for j, dim in enumerate(dims):
                dpath = f"{path}.Metric.Dimensions[{j}]"
                if not isinstance(dim, Mapping):
                    add(dpath, f"must be an object with Name and Value, found {_type_name(dim)}")
                    ok = False
                    continue
                name, value = dim.get("Name"), dim.get("Value")
                if not isinstance(name, str) or not name:
                    add(f"{dpath}.Name", f"required non-empty string, found {_type_name(name)}")
                    ok = False
                if not isinstance(value, str) or not value:
                    add(f"{dpath}.Value", f"required non-empty string, found {_type_name(value)}")
                    ok = False
                if isinstance(name, str) and isinstance(value, str):
                    dimensions.append((name, value))
    period = stat.get("Period")
    if isinstance(period, bool) or not isinstance(period, int):
        add(f"{path}.Period", f"required integer number of seconds, found {_type_name(period)}")
        ok = False
    elif not _valid_period(period):
        add(f"{path}.Period", f"{period} is not 10, 20, 30 or a multiple of 60 (PutMetricAlarm)")
        ok = False
    stat_name = stat.get("Stat")
    if not isinstance(stat_name, str):
        add(f"{path}.Stat", f"required statistic name, found {_type_name(stat_name)}")
        ok = False
    else:
        try:
            parse_statistic(stat_name, context="metric")
        except StatisticError as exc:
            add(f"{path}.Stat", exc.message)
            ok = False
    unit = stat.get("Unit")
    if unit is not None and not isinstance(unit, str):
        add(f"{path}.Unit", f"must be a string, found {_type_name(unit)}")
        ok = False
    if not ok:
        return None
    assert isinstance(period, int) and isinstance(stat_name, str)
    return namespace, metric_name, tuple(dimensions), period, stat_name, unit


def _analyze(metrics: object) -> _Analysis:
    problems: list[tuple[str, str]] = []
    problem_expressions: list[str] = []

    def add(path: str, message: str, expression: str = "") -> None:
        problems.append((path, message))
        problem_expressions.append(expression)

    result = _Analysis(problems, problem_expressions, {}, {}, {}, [], None, None)
    if isinstance(metrics, str | bytes) or not isinstance(metrics, Sequence):
        add("", f"Metrics must be a list of MetricDataQuery objects, found {_type_name(metrics)}")
        return result
    if not metrics:
        add("", "Metrics must contain at least one MetricDataQuery")
        return result
    if len(metrics) > MAX_METRIC_DATA_QUERIES:
        add("", f"at most {MAX_METRIC_DATA_QUERIES} MetricDataQuery objects, found {len(metrics)}")

    index_of: dict[str, int] = {}  # valid, unique Id -> its index
    kinds_by_index: dict[int, str] = {}
    periods: dict[int, int] = {}
    return_indexes: list[int] = []
    n_stats = n_expressions = 0
    for i, query in enumerate(metrics):
        path = f"[{i}]"
        if not isinstance(query, Mapping):
            add(path, f"must be a MetricDataQuery object, found {_type_name(query)}")
            continue
        for key in query:
            if key not in _QUERY_FIELDS:
                add(
                    f"{path}.{key}",
                    f"unknown field; MetricDataQuery fields are {', '.join(_QUERY_FIELDS)}",
                )
        qid = query.get("Id")
        if not isinstance(qid, str):
            add(f"{path}.Id", f"required string, found {_type_name(qid)}")
            qid = None
        elif not _ID_RE.fullmatch(qid) or len(qid) > MAX_ID_LENGTH:
            add(
                f"{path}.Id",
                f"invalid Id {qid!r}: letters, digits and underscores, starting with a lowercase "
                f"letter, at most {MAX_ID_LENGTH} characters",
            )
            qid = None
        elif qid in index_of:
            add(f"{path}.Id", f"duplicate Id {qid!r} (also [{index_of[qid]}])")
            qid = None
        else:
            index_of[qid] = i
        return_data = query.get("ReturnData", True)
        if not isinstance(return_data, bool):
            add(f"{path}.ReturnData", f"must be true or false, found {_type_name(return_data)}")
        elif return_data:
            return_indexes.append(i)
        for key, kind in (("Label", str), ("AccountId", str)):
            value = query.get(key)
            if value is not None and not isinstance(value, kind):
                add(f"{path}.{key}", f"must be a string, found {_type_name(value)}")
        qperiod = query.get("Period")
        if qperiod is not None and (isinstance(qperiod, bool) or not isinstance(qperiod, int)):
            add(
                f"{path}.Period",
                f"must be an integer number of seconds, found {_type_name(qperiod)}",
            )

        has_stat, has_expr = "MetricStat" in query, "Expression" in query
        if has_stat and has_expr:
            add(path, "a query needs exactly one of MetricStat and Expression, found both")
            continue
        if not has_stat and not has_expr:
            add(path, "a query needs exactly one of MetricStat and Expression, found neither")
            continue
        if has_stat:
            n_stats += 1
            kinds_by_index[i] = "stat"
            fields = _check_metric_stat(f"{path}.MetricStat", query["MetricStat"], add)
            if fields is not None:
                periods[i] = fields[3]
                if qid is not None:
                    namespace, metric_name, dims, period, stat_name, unit = fields
                    label = query.get("Label")
                    account = query.get("AccountId")
                    result.metric_stats[qid] = MetricStatQuery(
                        id=qid,
                        namespace=namespace,
                        metric_name=metric_name,
                        dimensions=dims,
                        period=period,
                        stat=stat_name,
                        unit=unit,
                        label=label if isinstance(label, str) else None,
                        account_id=account if isinstance(account, str) else None,
                    )
            continue
        n_expressions += 1
        kinds_by_index[i] = "expr"
        expression = query["Expression"]
        if not isinstance(expression, str) or not expression.strip():
            add(f"{path}.Expression", f"required non-empty string, found {_type_name(expression)}")
            continue
        if len(expression) > MAX_EXPRESSION_LENGTH:
            add(f"{path}.Expression", f"longer than {MAX_EXPRESSION_LENGTH} characters", expression)
            continue
        try:
            ast = parse_expression(expression)
        except MetricMathError as exc:
            add(f"{path}.Expression", exc.message, expression)
            continue
        if qid is not None:
            result.expressions[qid] = expression
            result.asts[qid] = ast

    if n_stats > MAX_METRIC_STATS:
        add("", f"at most {MAX_METRIC_STATS} MetricStat queries, found {n_stats}")
    if n_expressions > MAX_EXPRESSIONS:
        add("", f"at most {MAX_EXPRESSIONS} Expression queries, found {n_expressions}")
    if len(return_indexes) != 1:
        where = f" ({', '.join(f'[{i}]' for i in return_indexes)})" if return_indexes else ""
        add(
            "",
            f"exactly one query must have ReturnData true, found {len(return_indexes)}{where}; "
            "an omitted ReturnData counts as true",
        )
    distinct_periods = sorted(set(periods.values()))
    if len(distinct_periods) > 1:
        first = min(periods)
        for i, period in periods.items():
            if period != periods[first]:
                add(
                    f"[{i}].MetricStat.Period",
                    f"all MetricStat queries must have the same period: {period} differs from "
                    f"{periods[first]} at [{first}]",
                )
    if periods:
        result.period = periods[min(periods)]

    if len(return_indexes) == 1:
        rindex = return_indexes[0]
        rquery = metrics[rindex]
        rid = rquery.get("Id") if isinstance(rquery, Mapping) else None
        if isinstance(rid, str) and index_of.get(rid) == rindex:
            result.return_id = rid
    _check_expressions(result, index_of, kinds_by_index, add)
    if not any(kind == "stat" for kind in kinds_by_index.values()) and not problems:
        # Without a metric there is no period grid to evaluate on.
        add("", "Metrics needs at least one MetricStat query")
    return result


def _check_expressions(
    result: _Analysis,
    index_of: Mapping[str, int],
    kinds_by_index: Mapping[int, str],
    add: Callable[[str, str, str], None],
) -> None:
    """Resolve references, reject cycles, type-check in dependency order."""
    all_ids = {qid for qid, i in index_of.items() if i in kinds_by_index}
    deps: dict[str, set[str]] = {}
    for qid, ast in result.asts.items():
        refs = _refs(ast)
        deps[qid] = {r for r in refs if r in result.asts}
        unknown = sorted(r for r in refs if r not in all_ids)
        if unknown:
            defined = ", ".join(sorted(all_ids)) or "none"
            add(
                f"[{index_of[qid]}].Expression",
                f"unknown Id {unknown[0]!r}; defined Ids: {defined}",
                result.expressions[qid],
            )
    # Topological order (Kahn); what remains is on or behind a cycle.
    order: list[str] = []
    remaining = dict(deps)
    while True:
        ready = sorted(q for q, d in remaining.items() if not (d & remaining.keys()))
        if not ready:
            break
        for q in ready:
            order.append(q)
            del remaining[q]
    for qid in sorted(remaining, key=lambda q: index_of[q]):
        add(
            f"[{index_of[qid]}].Expression",
            f"circular reference: {qid} depends on itself through "
            f"{', '.join(sorted(deps[qid] & remaining.keys()))}",
            result.expressions[qid],
        )
    kinds: dict[str, _Kind] = dict.fromkeys(result.metric_stats, _Kind.TS)
    # A MetricStat with a problem still defines its Id as a series for the type check.
    for qid, i in index_of.items():
        if kinds_by_index.get(i) == "stat":
            kinds.setdefault(qid, _Kind.TS)
    metric_ids = [q for q, i in index_of.items() if kinds_by_index.get(i) == "stat"]
    typed: list[str] = []
    for qid in order:
        if any(r not in kinds for r in _refs(result.asts[qid])):
            continue  # an unknown Id (reported above) or a dependency that failed its check
        try:
            kinds[qid] = _TypeChecker(result.expressions[qid], kinds, metric_ids).check(
                result.asts[qid]
            )
        except MetricMathError as exc:
            add(f"[{index_of[qid]}].Expression", exc.message, result.expressions[qid])
            continue
        typed.append(qid)
    result.order = typed
    # The returned query must be a single time series (see aws-model.md#put-metric-alarm).
    for qid in typed:
        kind = kinds[qid]
        if kind is not _Kind.TS and result.return_id == qid:
            add(
                f"[{index_of[qid]}].Expression",
                f"the alarm's expression must return a single time series, but this returns "
                f"{kind.value}",
                result.expressions[qid],
            )


def _refs(node: Node) -> set[str]:
    out: set[str] = set()
    stack: list[Node] = [node]
    while stack:
        n = stack.pop()
        if isinstance(n, Ref):
            out.add(n.id)
        stack.extend(_children(n))
    return out


def check_metric_queries(metrics: object) -> list[tuple[str, str]]:
    """Every problem with an alarm's ``Metrics`` list, as ``(path, message)`` pairs.

    Paths are relative to the list (``"[2].Expression"``, ``"[0].MetricStat.Period"``, ``""``
    for the list as a whole). Checks (see aws-model.md#put-metric-alarm, #metric-math): the list
    shape and field types; Ids (unique; letters, digits, underscores, starting with a lowercase
    letter); exactly one of ``MetricStat`` and ``Expression`` per query; at most 20 queries, 10
    MetricStat and 10 Expression; exactly one ``ReturnData`` true (omitted counts as true, the API
    default); one period for every MetricStat; statistics; expression syntax, supported functions,
    unknown Ids, circular references and types; and that the returned series is a single time
    series. Never raises, whatever it is given.
    """
    return list(_analyze(metrics).problems)
