"""Metric math on numpy arrays (:mod:`guardsim.cloudwatch.metric_math_arrays`) gives the list
evaluator's values to the bit, on random expressions of everything the arrays evaluate, random
inputs with missing datapoints, zeros, negatives and overflowing products, under both
missing-operand rules; and leaves to the lists what it does not evaluate."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from guardsim.cloudwatch.metric_math import compile_metrics
from guardsim.errors import MetricMathError


def _stat(qid: str, name: str) -> dict[str, Any]:
    dims = [{"Name": "EndpointName", "Value": "ep"}, {"Name": "VariantName", "Value": "AllTraffic"}]
    metric = {"Namespace": "AWS/SageMaker", "MetricName": name, "Dimensions": dims}
    return {
        "Id": qid,
        "ReturnData": False,
        "MetricStat": {"Metric": metric, "Period": 60, "Stat": "Sum"},
    }


def _metrics(*expressions: str) -> list[dict[str, Any]]:
    """m1, m2 and the expressions e1, e2, ... (each may read the ones before); the last returned."""
    out = [_stat("m1", "Invocation5XXErrors"), _stat("m2", "Invocations")]
    for i, text in enumerate(expressions, 1):
        out.append({"Id": f"e{i}", "Expression": text, "ReturnData": i == len(expressions)})
    return out


LEAVES = st.sampled_from(["m1", "m2", "0", "1", "2.5", "100", "1e300"])
BINARY = ["+", "-", "*", "/", "==", "!=", "<", "<=", ">", ">=", "AND", "OR"]


def _expressions() -> st.SearchStrategy[str]:
    def extend(inner: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
        return st.one_of(
            st.tuples(inner, st.sampled_from(BINARY), inner).map(
                lambda t: f"({t[0]} {t[1]} {t[2]})"
            ),
            inner.map(lambda x: f"-({x})"),
            inner.map(lambda x: f"NOT({x})"),
            st.tuples(st.sampled_from(["ABS", "CEIL", "FLOOR"]), inner).map(
                lambda t: f"{t[0]}({t[1]})"
            ),
            st.tuples(inner, inner).map(lambda t: f"IF({t[0]}, {t[1]})"),
            st.tuples(inner, inner, inner).map(lambda t: f"IF({t[0]}, {t[1]}, {t[2]})"),
        )

    return st.recursive(LEAVES, extend, max_leaves=8)


VALUES = st.sampled_from([None, 0.0, -0.0, 1.0, 2.5, -3.0, 0.3, 7.0, 1e308, -1e308, 4.9e-324])


def _same(a: float | None, b: float) -> bool:
    if a is None:
        return math.isnan(b)
    return not math.isnan(b) and a == b and math.copysign(1.0, a) == math.copysign(1.0, b)


@settings(max_examples=400, deadline=None)
@given(
    text=_expressions(),
    m1=st.lists(VALUES, min_size=1, max_size=12),
    m2=st.lists(VALUES, min_size=12, max_size=12),
    rule=st.sampled_from(["zero", "missing"]),
)
def test_arrays_give_the_lists_values(text: str, m1: list[Any], m2: list[Any], rule: Any) -> None:
    try:
        program = compile_metrics(_metrics(text), missing_operand=rule)
    except MetricMathError:
        assume(False)
        raise
    points = program.points
    assert points is not None, text  # every operator and function here is evaluated
    m2 = m2[: len(m1)]
    expected = program.evaluate({"m1": m1, "m2": m2})
    arrays = {
        k: np.array([math.nan if x is None else x for x in v]) for k, v in (("m1", m1), ("m2", m2))
    }
    got = points(arrays)
    assert got.shape == (len(m1),)
    assert all(_same(e, float(g)) for e, g in zip(expected, got, strict=True)), (
        text,
        expected,
        got,
    )


def test_a_chain_of_expressions_and_an_error_rate() -> None:
    program = compile_metrics(_metrics("100 * m1 / m2", "IF(e1 > 2, e1, 0)"))
    m1, m2 = [0.0, 5.0, None, 3.0, 1.0], [100.0, 100.0, 50.0, 0.0, None]
    arrays = {
        k: np.array([math.nan if x is None else x for x in v]) for k, v in (("m1", m1), ("m2", m2))
    }
    assert program.points is not None
    got = program.points(arrays)
    expected = program.evaluate({"m1": m1, "m2": m2})
    assert all(_same(e, float(g)) for e, g in zip(expected, got, strict=True))
    assert expected == [0.0, 5.0, 0.0, None, None]  # 0/50; 5 %; m1 missing = 0; 3/0 dropped; 1/0


@pytest.mark.parametrize(
    "text", ["m1 ^ 2", "LOG(m1)", "LOG10(m2)", "m1 - SUM(m1)", "FILL(m1, 0)", "RATE(m1)"]
)
def test_what_the_arrays_do_not_evaluate_is_left_to_the_lists(text: str) -> None:
    assert compile_metrics(_metrics(text)).points is None
