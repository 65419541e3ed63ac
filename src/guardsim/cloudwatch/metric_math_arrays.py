"""Metric math point by point on numpy arrays: the array specialisation of
:mod:`guardsim.cloudwatch.metric_math` for the expressions whose value at a timestamp depends
only on the inputs' values at that timestamp.

The batch engine evaluates an alarm's ``Metrics`` on every (replication, evaluation, datapoint)
at once. :meth:`~guardsim.cloudwatch.metric_math.MetricMathProgram.evaluate` walks Python lists,
about a microsecond a point and an operator; an error-rate alarm's ``100 * errors /
invocations`` over a block's distinct datapoints cost more than simulating them. Here the same
operators work on float64 arrays, ``NaN`` standing for "no datapoint" (``None``):

* ``+ - *`` and ``/``: the IEEE operation, a non-finite result dropped (``NaN``), ``/`` by 0
  dropped; the comparisons and ``AND``/``OR`` 1.0 or 0.0; the missing-operand rule as the lists
  have it (``missing_operand="zero"``: one side missing counts as 0, both missing stays missing;
  ``"missing"``: either missing drops the point; a series with a scalar keeps the series'
  missing points);
* unary ``-`` as ``0.0 - x`` and ``NOT`` (1.0 for 0); ``ABS``, ``CEIL``, ``FLOOR`` (``+ 0.0``,
  so a result of zero is +0.0 as ``float(math.ceil(x))`` gives); ``IF`` by AWS's table.

These are exact IEEE operations, so the arrays give the lists' values to the bit
(``tests/cloudwatch/test_metric_math_arrays.py`` holds the two equal on random expressions and
inputs). ``^``, ``LOG`` and ``LOG10`` are left to the lists: numpy may compute ``pow`` and ``log``
with its own vectorised code, not the C library's, so the last bit could differ. An expression
with any other function, or with an operator or function outside this list, is not compiled
(:func:`compile_points` returns None) and the lists evaluate it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from guardsim.cloudwatch.metric_math import (
    Binary,
    Call,
    MissingOperand,
    Node,
    Number,
    Ref,
    Unary,
)

FloatArray = npt.NDArray[np.float64]
#: A value: a float64 array (a series, point by point) or a float (a scalar; NaN: none).
Points = FloatArray | float
PointEval = Callable[[dict[str, Points]], Points]

_NAN = float("nan")


def _finite(r: Any) -> Any:
    return np.where(np.isfinite(r), r, np.nan)


def _divide(x: Any, y: Any) -> Any:
    with np.errstate(divide="ignore", invalid="ignore"):
        return _finite(np.where(y == 0, np.nan, np.true_divide(x, np.where(y == 0, 1.0, y))))


def _add(x: Any, y: Any) -> Any:
    with np.errstate(over="ignore", invalid="ignore"):
        return _finite(np.add(x, y))


def _subtract(x: Any, y: Any) -> Any:
    with np.errstate(over="ignore", invalid="ignore"):
        return _finite(np.subtract(x, y))


def _multiply(x: Any, y: Any) -> Any:
    with np.errstate(over="ignore", invalid="ignore"):
        return _finite(np.multiply(x, y))


def _flag(fn: Callable[[Any, Any], Any]) -> Callable[[Any, Any], Any]:
    return lambda x, y: np.asarray(fn(x, y), dtype=np.float64)


#: The operators as the lists' ``_BINARY`` has them, on arrays (``^`` left to the lists).
_BINARY_ARRAYS: dict[str, Callable[[Any, Any], Any]] = {
    "+": _add,
    "-": _subtract,
    "*": _multiply,
    "/": _divide,
    "==": _flag(np.equal),
    "!=": _flag(np.not_equal),
    "<": _flag(np.less),
    "<=": _flag(np.less_equal),
    ">": _flag(np.greater),
    ">=": _flag(np.greater_equal),
    "AND": _flag(lambda x, y: (np.not_equal(x, 0)) & (np.not_equal(y, 0))),
    "OR": _flag(lambda x, y: (np.not_equal(x, 0)) | (np.not_equal(y, 0))),
}

#: The point functions the arrays evaluate (each the lists' own, the zero's sign included).
_UNARY_ARRAYS: dict[str, Callable[[Any], Any]] = {
    "ABS": np.abs,
    "CEIL": lambda x: np.ceil(x) + 0.0,
    "FLOOR": lambda x: np.floor(x) + 0.0,
}


def compile_points(
    steps: Sequence[tuple[str, Node]], return_id: str, missing_operand: MissingOperand
) -> Callable[[Mapping[str, FloatArray]], FloatArray] | None:
    """The program of ``steps`` (each Expression's Id and parsed tree, in evaluation order)
    returning ``return_id``'s values, on arrays; None if an expression uses what the arrays do
    not evaluate. The program takes each MetricStat's values (float64 arrays of one shape, NaN
    where there is no datapoint) and returns the result's, NaN where it has none."""
    zero = missing_operand == "zero"
    compiled: list[tuple[str, PointEval]] = []
    for qid, ast in steps:
        step = _compile(ast, zero)
        if step is None:
            return None
        compiled.append((qid, step))

    def run(inputs: Mapping[str, FloatArray]) -> FloatArray:
        values: dict[str, Points] = {k: np.asarray(v, dtype=np.float64) for k, v in inputs.items()}
        shape = np.shape(next(iter(values.values()))) if values else ()
        # overflow, 0/0 and the rest give non-finite values, which the operators drop
        with np.errstate(all="ignore"):
            for qid, step in compiled:
                values[qid] = step(values)
        out = values[return_id]
        return np.broadcast_to(np.asarray(out, dtype=np.float64), shape).copy()

    return run


def _compile(node: Node, zero: bool) -> PointEval | None:
    if isinstance(node, Number):
        value = float(node.value)
        return lambda v: value
    if isinstance(node, Ref):
        ref = node.id
        return lambda v: v[ref]
    if isinstance(node, Unary):
        operand = _compile(node.operand, zero)
        if operand is None:
            return None
        if node.op == "-":
            return lambda v: np.subtract(0.0, operand(v))
        return lambda v: _not(operand(v))
    if isinstance(node, Binary):
        fn = _BINARY_ARRAYS.get(node.op)
        left, right = _compile(node.left, zero), _compile(node.right, zero)
        if fn is None or left is None or right is None:
            return None
        return lambda v: _binary(fn, left(v), right(v), zero)
    if isinstance(node, Call):
        if node.name in _UNARY_ARRAYS:
            fn1 = _UNARY_ARRAYS[node.name]
            arg = _compile(node.args[0], zero)
            if arg is None:
                return None
            return lambda v: fn1(arg(v))
        if node.name == "IF":
            parts = [_compile(a, zero) for a in node.args]
            if any(p is None for p in parts):
                return None
            return _if_points(parts)  # type: ignore[arg-type]
    return None


def _not(x: Points) -> Points:
    """NOT: 1.0 for 0, else 0.0; a missing point stays missing."""
    out = np.where(np.isnan(x), np.nan, np.equal(x, 0).astype(np.float64))
    return out if _is_series(x) else float(out)


def _is_series(x: Points) -> bool:
    return isinstance(x, np.ndarray) and x.ndim > 0


def _binary(fn: Callable[[Any, Any], Any], a: Points, b: Points, zero: bool) -> Points:
    """``metric_math._binary_values`` on arrays: two series under the missing-operand rule, a
    series and a scalar keeping the series' missing points (all missing if the scalar is)."""
    if _is_series(a) and _is_series(b):
        xa, xb = np.isnan(a), np.isnan(b)
        both = xa & xb
        if zero:
            a = np.where(xa & ~xb, 0.0, a)
            b = np.where(xb & ~xa, 0.0, b)
            drop = both
        else:
            drop = xa | xb
        with np.errstate(invalid="ignore"):
            return np.where(drop, np.nan, fn(a, b))
    if not _is_series(a) and not _is_series(b):
        if np.isnan(a) or np.isnan(b):
            return _NAN
        return float(fn(np.float64(a), np.float64(b)))
    with np.errstate(invalid="ignore"):
        return np.where(np.isnan(a) | np.isnan(b), np.nan, fn(a, b))


def _if_points(parts: list[PointEval]) -> PointEval:
    """``IF(cond, a[, b])`` point by point (``metric_math._if``): no condition, no point; true
    with ``a`` missing, 0; false with ``b`` missing or omitted, no point."""
    cond, a = parts[0], parts[1]
    b = parts[2] if len(parts) == 3 else None

    def run(v: dict[str, Points]) -> Points:
        c, x = cond(v), a(v)
        y = b(v) if b is not None else _NAN
        if not _is_series(c):
            # a scalar condition: the chosen value, a series if either branch is one (a
            # chosen scalar as a constant series, no condition or no branch all missing)
            chosen = _NAN if np.isnan(c) else (x if c != 0 else y)
            if not (_is_series(x) or _is_series(y)):
                return chosen
            shape = np.shape(x) if _is_series(x) else np.shape(y)
            return np.broadcast_to(np.asarray(chosen, dtype=np.float64), shape).copy()
        true = np.where(np.isnan(x), 0.0, x)
        return np.where(np.isnan(c), np.nan, np.where(c != 0, true, y))

    return run
