"""Tests of guardsim.cloudwatch.metric_math: parsing, evaluation and validation of alarm Metrics.

Expected series are written oldest to newest, ``None`` = no datapoint. The ground truth for
missing data and IF is the "Using metric math" page [CW4], whose example tables are copied
into the tests below.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from guardsim.cloudwatch.metric_math import (
    SUPPORTED_FUNCTIONS,
    ArrayLiteral,
    Binary,
    Call,
    Keyword,
    MetricStatQuery,
    Number,
    Ref,
    String,
    Unary,
    check_metric_queries,
    compile_metrics,
    evaluate_expression,
    parse_expression,
)
from guardsim.errors import MetricMathError

N = None  # short for "no datapoint" in the tables


def metric_stat(
    qid: str,
    metric_name: str = "Invocations",
    *,
    period: int = 60,
    stat: str = "Sum",
    return_data: bool = False,
    dimensions: Sequence[tuple[str, str]] = (("EndpointName", "ep"), ("VariantName", "AllTraffic")),
) -> dict[str, Any]:
    return {
        "Id": qid,
        "MetricStat": {
            "Metric": {
                "Namespace": "AWS/SageMaker",
                "MetricName": metric_name,
                "Dimensions": [{"Name": n, "Value": v} for n, v in dimensions],
            },
            "Period": period,
            "Stat": stat,
        },
        "ReturnData": return_data,
    }


def expression(qid: str, text: str, *, return_data: bool = True) -> dict[str, Any]:
    return {"Id": qid, "Expression": text, "Label": qid, "ReturnData": return_data}


ERROR_RATE_METRICS = [
    metric_stat("m1", "Invocation5XXErrors"),
    metric_stat("m2", "Invocations"),
    expression("e1", "100 * m1 / m2"),
]

# ----------------------------------------------------------------------------------------------
# Parsing
# ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "ast"),
    [
        ("m1", Ref("m1")),
        ("2.5", Number(2.5)),
        (".5", Number(0.5)),
        ("1e3", Number(1000.0)),
        ("100 * m1 / m2", Binary("/", Binary("*", Number(100.0), Ref("m1")), Ref("m2"))),
        ("m1 + m2 * 2", Binary("+", Ref("m1"), Binary("*", Ref("m2"), Number(2.0)))),
        ("(m1 + m2) * 2", Binary("*", Binary("+", Ref("m1"), Ref("m2")), Number(2.0))),
        ("m1 - m2 - 1", Binary("-", Binary("-", Ref("m1"), Ref("m2")), Number(1.0))),
        ("-m1", Unary("-", Ref("m1"))),
        ("-5 * m1", Binary("*", Unary("-", Number(5.0)), Ref("m1"))),
        ("-m1 ^ 2", Unary("-", Binary("^", Ref("m1"), Number(2.0)))),
        ("m1 ^ 2 ^ 3", Binary("^", Ref("m1"), Binary("^", Number(2.0), Number(3.0)))),
        (
            "m1 > 15 AND m2 > 15",
            Binary(
                "AND", Binary(">", Ref("m1"), Number(15.0)), Binary(">", Ref("m2"), Number(15.0))
            ),
        ),
        (
            "m1 >= 1 && m2 != 0",
            Binary(
                "AND", Binary(">=", Ref("m1"), Number(1.0)), Binary("!=", Ref("m2"), Number(0.0))
            ),
        ),
        (
            "m1 < 1 OR m2 <= 2 || m3 == 3",
            Binary(
                "OR",
                Binary(
                    "OR", Binary("<", Ref("m1"), Number(1.0)), Binary("<=", Ref("m2"), Number(2.0))
                ),
                Binary("==", Ref("m3"), Number(3.0)),
            ),
        ),
        ("NOT m1 > 1", Unary("NOT", Binary(">", Ref("m1"), Number(1.0)))),
        ("!m1", Unary("NOT", Ref("m1"))),
        ("[m1, m2]", ArrayLiteral((Ref("m1"), Ref("m2")))),
        ("SUM([m1,m2])", Call("SUM", (ArrayLiteral((Ref("m1"), Ref("m2"))),))),
        ("FILL(m1, 0)", Call("FILL", (Ref("m1"), Number(0.0)))),
        ("FILL(m1, REPEAT)", Call("FILL", (Ref("m1"), Keyword("REPEAT")))),
        ("FILL(m1, LINEAR)", Call("FILL", (Ref("m1"), Keyword("LINEAR")))),
        ("IF(m1 > 0, m1)", Call("IF", (Binary(">", Ref("m1"), Number(0.0)), Ref("m1")))),
        ('METRICS("errors")', Call("METRICS", (String("errors"),))),
        ("METRICS(\u201c4xx\u201d)", Call("METRICS", (String("4xx"),))),
        ("METRICS()", Call("METRICS", ())),
        ("errors_5xx / requests", Binary("/", Ref("errors_5xx"), Ref("requests"))),
    ],
    ids=lambda v: v if isinstance(v, str) else "",
)
def test_parse(text: str, ast: object) -> None:
    assert parse_expression(text) == ast


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("", "empty expression"),
        ("   ", "empty expression"),
        ("m1 +", "unexpected end of expression"),
        ("(m1 + m2", "expected ')' to close '(' at column 1"),
        ("m1 + m2)", "unexpected ')' at column 8"),
        ("m1 $ m2", "unexpected character '$' at column 4"),
        ("m1 m2", "unexpected 'm2' at column 4"),
        ("FOO(m1)", "unsupported function FOO; supported: ABS, AVG,"),
        ("SEARCH('{AWS/EC2}', 'Average')", "unsupported function SEARCH"),
        ("sum(m1)", "function names are uppercase, found 'sum' at column 1; write SUM(...)"),
        (
            "M1 + 1",
            "unknown name 'M1' at column 1; metric and expression Ids start with a lowercase",
        ),
        ("[]", "empty array"),
        ("SUM([m1, m2)", "expected ']' to close '['"),
        ("1e999 * m1", "too large"),
        ("(" * 60 + "m1" + ")" * 60, "nests more than 50 levels"),
        ("+".join(["m1"] * 150), "more than 100 nested operations"),
    ],
    ids=lambda v: v[:30] if isinstance(v, str) else "",
)
def test_parse_errors_say_what_is_wrong(text: str, fragment: str) -> None:
    with pytest.raises(MetricMathError) as info:
        parse_expression(text)
    assert fragment in info.value.message
    assert info.value.expression == text


def test_unsupported_function_names_the_function_the_expression_and_the_supported_list() -> None:
    with pytest.raises(MetricMathError) as info:
        parse_expression("100 * FOO(m1) / m2")
    assert info.value.message.startswith("unsupported function FOO; supported: ")
    for name in SUPPORTED_FUNCTIONS:
        assert name in info.value.message
    assert info.value.expression == "100 * FOO(m1) / m2"
    assert "100 * FOO(m1) / m2" in str(info.value)


# ----------------------------------------------------------------------------------------------
# Evaluation
# ----------------------------------------------------------------------------------------------

M1 = [1.0, 2.0, N, 4.0, 0.0]
M2 = [10.0, 0.0, 5.0, N, N]


def _close(result: object, expected: object, rel: float = 1e-12) -> bool:
    """Equal up to ``rel``, position by position, with None (missing) only matching None.

    pytest >= 9.2 refuses None inside ``pytest.approx``, so missing points are compared here.
    """
    if isinstance(expected, list | tuple):
        return (
            isinstance(result, list | tuple)
            and len(result) == len(expected)
            and all(_close(r, e, rel) for r, e in zip(result, expected, strict=True))
        )
    if expected is None or result is None:
        return result is expected
    return result == pytest.approx(expected, rel=rel)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # Series with scalars: a missing point stays missing.
        ("m1 * 10", [10.0, 20.0, N, 40.0, 0.0]),
        ("m1 + 1", [2.0, 3.0, N, 5.0, 1.0]),
        ("m1 - 1", [0.0, 1.0, N, 3.0, -1.0]),
        ("1 - m1", [0.0, -1.0, N, -3.0, 1.0]),
        ("m1 / 2", [0.5, 1.0, N, 2.0, 0.0]),
        ("m1 ^ 2", [1.0, 4.0, N, 16.0, 0.0]),
        ("-m1", [-1.0, -2.0, N, -4.0, 0.0]),
        # Division by zero drops the point: m1 / 0 and 1 / m1 where m1 = 0.
        ("m1 / 0", [N, N, N, N, N]),
        ("1 / m1", [1.0, 0.5, N, 0.25, N]),
        # Two series: "missing values ... are treated as 0" when the other has a value [CW4].
        ("m1 + m2", [11.0, 2.0, 5.0, 4.0, 0.0]),
        ("m1 * m2", [10.0, 0.0, 0.0, 0.0, 0.0]),
        ("m1 / m2", [0.1, N, 0.0, N, N]),  # 2/0, 4/(missing=0) and 0/(missing=0) dropped
        ("m2 - m1", [9.0, -2.0, 5.0, -4.0, 0.0]),
        # Scalars.
        ("2 * 3 + 1", 7.0),
        ("10 / 0", N),
        ("2 ^ 0.5", math.sqrt(2)),
        ("(-8) ^ (1 / 3)", N),  # complex: dropped
        # Comparison and logic give 1 / 0; a missing point compared with a scalar stays missing.
        ("m1 > 1", [0.0, 1.0, N, 1.0, 0.0]),
        ("m1 >= 1", [1.0, 1.0, N, 1.0, 0.0]),
        ("m1 == 4", [0.0, 0.0, N, 1.0, 0.0]),
        ("m1 != 4", [1.0, 1.0, N, 0.0, 1.0]),
        ("m1 < m2", [1.0, 0.0, 1.0, 0.0, 0.0]),
        ("NOT m1", [0.0, 0.0, N, 0.0, 1.0]),
        ("m1 > 0 OR m2 > 0", [1.0, 1.0, 1.0, 1.0, 0.0]),
        # Element-wise functions.
        ("ABS(m1 - 3)", [2.0, 1.0, N, 1.0, 3.0]),
        ("CEIL(m1 / 3)", [1.0, 1.0, N, 2.0, 0.0]),
        ("FLOOR(m1 / 3)", [0.0, 0.0, N, 1.0, 0.0]),
        ("LOG10(m1 * 25)", [math.log10(25), math.log10(50), N, 2.0, N]),  # LOG10(0) dropped
        ("LOG(m1)", [0.0, math.log(2), N, math.log(4), N]),
        # Single series -> scalar over its datapoints, then broadcast.
        ("m1 - AVG(m1)", [-0.75, 0.25, N, 2.25, -1.75]),
        ("SUM(m1)", 7.0),
        ("AVG(m1)", 1.75),
        ("MIN(m1)", 0.0),
        ("MAX(m1)", 4.0),
        ("DATAPOINT_COUNT(m1)", 4.0),
        ("m1 / MAX(m1)", [0.25, 0.5, N, 1.0, 0.0]),
        # Arrays -> one series, point by point.
        ("SUM([m1, m2])", [11.0, 2.0, 5.0, 4.0, 0.0]),
        ("AVG([m1, m2])", [5.5, 1.0, 2.5, 2.0, 0.0]),  # missing counts as 0 [CW4]
        ("MIN([m1, m2])", [1.0, 0.0, 5.0, 4.0, 0.0]),
        ("MAX([m1, m2])", [10.0, 2.0, 5.0, 4.0, 0.0]),
        ("DATAPOINT_COUNT([m1, m2])", [2.0, 2.0, 1.0, 1.0, 1.0]),
        ("SUM([m1, m2] * 2)", [22.0, 4.0, 10.0, 8.0, 0.0]),
        ("SUM(-[m1, m2])", [-11.0, -2.0, -5.0, -4.0, 0.0]),
        # [m1/m1, m2/m1] = [[1, 1, -, 1, -], [10, 0, -, 0, -]] (0/0 and 5/missing dropped).
        ("AVG([m1, m2] / m1)", [5.5, 0.5, N, 0.5, N]),
        ("SUM(METRICS())", [11.0, 2.0, 5.0, 4.0, 0.0]),
        ('SUM(METRICS("1"))', [1.0, 2.0, N, 4.0, 0.0]),
        ("METRIC_COUNT(METRICS()) * m1", [2.0, 4.0, N, 8.0, 0.0]),
        ("FIRST([m2, m1])", M2),
        ("LAST([m2, m1])", M1),
        # FILL.
        ("FILL(m1, 0)", [1.0, 2.0, 0.0, 4.0, 0.0]),
        ("FILL(m2, -1)", [10.0, 0.0, 5.0, -1.0, -1.0]),
        ("FILL(m1, m2)", [1.0, 2.0, 5.0, 4.0, 0.0]),
        ("FILL(m1, REPEAT)", [1.0, 2.0, 2.0, 4.0, 0.0]),
        ("FILL(m2, REPEAT)", [10.0, 0.0, 5.0, 5.0, 5.0]),
        ("FILL(m1, LINEAR)", [1.0, 2.0, 3.0, 4.0, 0.0]),
        ("FILL(m2, LINEAR)", [10.0, 0.0, 5.0, N, N]),  # no value after the gap: stays missing
        ("SUM(FILL([m1, m2], 0))", [11.0, 2.0, 5.0, 4.0, 0.0]),
        ("FILL(m1, MIN(m1))", [1.0, 2.0, 0.0, 4.0, 0.0]),
        # Series functions.
        ("DIFF(m1)", [N, 1.0, N, 2.0, -4.0]),
        ("RATE(m1)", [N, 1 / 60, N, 2 / 120, -4 / 60]),
        ("DIFF_TIME(m1)", [N, 60.0, N, 120.0, 60.0]),
        ("RUNNING_SUM(m1)", [1.0, 3.0, N, 7.0, 7.0]),
        ("TIME_SERIES(7)", [7.0] * 5),
        ("m1 / PERIOD(m1)", [1 / 60, 2 / 60, N, 4 / 60, 0.0]),
    ],
    ids=lambda v: v if isinstance(v, str) else "",
)
def test_evaluate(text: str, expected: object) -> None:
    result = evaluate_expression(text, {"m1": M1, "m2": M2})
    assert _close(result, expected), (result, expected)


def test_stddev_is_the_population_standard_deviation() -> None:
    # m2's datapoints are 10, 0, 5: mean 5, squared deviations 25, 25, 0 -> sqrt(50 / 3).
    assert evaluate_expression("STDDEV(m2)", {"m2": M2}) == pytest.approx(math.sqrt(50 / 3))


def test_missing_operand_mode_drops_points_where_an_operand_is_missing() -> None:
    inputs = {"m1": M1, "m2": M2}
    assert evaluate_expression("m1 + m2", inputs, missing_operand="missing") == [
        11.0,
        2.0,
        N,
        N,
        N,
    ]


def test_cloudwatch_comparison_table() -> None:
    # CW4, "Comparison and logical operators": metric1 = [30, 20, 0, 0], metric2 = [20, -, 20, -].
    inputs: dict[str, list[float | None]] = {
        "metric1": [30.0, 20.0, 0.0, 0.0],
        "metric2": [20.0, N, 20.0, N],
    }
    assert evaluate_expression("(metric1 < metric2)", inputs) == [0.0, 0.0, 1.0, 0.0]
    assert evaluate_expression("(metric1 >= 30)", inputs) == [1.0, 0.0, 0.0, 0.0]
    assert evaluate_expression("(metric1 > 15 AND metric2 > 15)", inputs) == [1.0, 0.0, 0.0, 0.0]


IF_INPUTS = {
    "metric1": [1.0, 1.0, 0.0, 0.0, N],
    "metric2": [30.0, N, 0.0, 0.0, 30.0],
    "metric3": [0.0, 0.0, 20.0, N, 20.0],
}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # The three tables of CW4 "Using IF expressions".
        ("IF(metric1, metric2, metric3)", [30.0, 0.0, 20.0, N, N]),
        ("IF(metric1, 5, metric3)", [5.0, 5.0, 20.0, N, N]),
        ("IF(metric1, metric2, 5)", [30.0, 0.0, 5.0, 5.0, N]),
        # Omitted false value: dropped where the condition is false.
        ("IF(metric1, metric2)", [30.0, 0.0, N, N, N]),
        ("IF(metric1, 1, 0)", [1.0, 1.0, 0.0, 0.0, N]),
        # A comparison as the condition.
        ("IF(metric2 > 10, metric2)", [30.0, N, N, N, 30.0]),
        # A scalar condition picks a whole series; omitted third argument: an empty series.
        ("IF(1, metric2, metric3)", IF_INPUTS["metric2"]),
        ("IF(0, metric2, metric3)", IF_INPUTS["metric3"]),
        ("IF(0, metric2)", [N] * 5),
        ("IF(MAX(metric1) > 0, metric2, 7)", IF_INPUTS["metric2"]),
        ("IF(MAX(metric1) > 5, metric2, 7)", [7.0] * 5),
        ("IF(1, 2, 3)", 2.0),
    ],
    ids=lambda v: v if isinstance(v, str) else "",
)
def test_if_follows_the_cloudwatch_tables(text: str, expected: object) -> None:
    assert evaluate_expression(text, IF_INPUTS) == expected


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("m3 + 1", "unknown Id 'm3'; defined Ids: m1, m2"),
        ("[m1, m2] + [m1]", "cannot combine two arrays"),
        ("[m1, 5]", "array items must be time series"),
        ("SUM(5)", "SUM takes a time series or an array of them, not a scalar"),
        ("FILL(m1)", "FILL takes 2 argument(s), found 1"),
        ("FILL(m1, [m1, m2])", "FILL's second argument"),
        ("IF(m1)", "IF takes 2 to 3 argument(s), found 1"),
        ("IF([m1, m2], 1, 0)", "IF takes scalars and single time series"),
        ("TIME_SERIES(m1)", "TIME_SERIES takes a scalar"),
        ("FIRST(m1)", "FIRST takes an array of time series"),
        ("METRICS(m1)", "METRICS takes no argument or a string"),
        ("PERIOD(m1 * 2)", "PERIOD takes the Id of a metric"),
        ("m1 + REPEAT", "cannot take a keyword"),
        ('m1 + "x"', "cannot take a string"),
    ],
    ids=lambda v: v if isinstance(v, str) else "",
)
def test_type_errors(text: str, fragment: str) -> None:
    with pytest.raises(MetricMathError) as info:
        evaluate_expression(text, {"m1": M1, "m2": M2})
    assert fragment in info.value.message


def test_nan_input_is_missing_and_infinite_input_is_rejected() -> None:
    assert evaluate_expression("m1 * 2", {"m1": [math.nan, 1.0]}) == [N, 2.0]
    with pytest.raises(ValueError, match="infinite"):
        evaluate_expression("m1", {"m1": [math.inf]})


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("m1 * m1", [N, 4.0, N]),
        ("m1 ^ 2", [N, 4.0, N]),
        ("SUM([m2, m2])", [N, N, N]),
        ("AVG([m1, m1])", [1e200, 2.0, N]),
        ("STDDEV([m1, -m1])", [N, 2.0, N]),
        ("FILL(m2, LINEAR)", [1.7e308, N, -1.7e308]),
        ("RUNNING_SUM(m2)", [1.7e308, N, 0.0]),
    ],
    ids=lambda v: v if isinstance(v, str) else "",
)
def test_overflow_is_dropped(text: str, expected: list[float | None]) -> None:
    inputs = {"m1": [1e200, 2.0, N], "m2": [1.7e308, N, -1.7e308]}
    assert evaluate_expression(text, inputs) == expected


# ----------------------------------------------------------------------------------------------
# Compiled programs
# ----------------------------------------------------------------------------------------------


def test_error_rate_program() -> None:
    program = compile_metrics(ERROR_RATE_METRICS)
    assert program.period == 60
    assert program.return_id == "e1"
    assert program.expression == "100 * m1 / m2"
    assert set(program.metric_stats) == {"m1", "m2"}
    assert program.metric_stats["m1"] == MetricStatQuery(
        id="m1",
        namespace="AWS/SageMaker",
        metric_name="Invocation5XXErrors",
        dimensions=(("EndpointName", "ep"), ("VariantName", "AllTraffic")),
        period=60,
        stat="Sum",
    )
    assert program.metric_stats["m2"].statistic.name == "Sum"
    errors = [1.0, 0.0, 5.0, N, 3.0, 0.0]
    invocations = [100.0, 50.0, 0.0, N, N, 20.0]
    # 1%, 0%, 5/0 dropped, no data at all, 3/(missing=0) dropped, 0%.
    assert program.evaluate({"m1": errors, "m2": invocations}) == [1.0, 0.0, N, N, N, 0.0]


def test_program_with_chained_expressions_and_fill() -> None:
    metrics = [
        metric_stat("errors", "Invocation5XXErrors"),
        metric_stat("requests", "Invocations"),
        expression("rate", "errors / FILL(requests, 1)", return_data=False),
        expression("pct", "rate * 100"),
    ]
    program = compile_metrics(metrics)
    assert program.evaluate({"errors": [1.0, 2.0], "requests": [4.0, N]}) == [25.0, 200.0]


def test_program_returning_a_metric_stat() -> None:
    program = compile_metrics([metric_stat("m1", "ModelLatency", stat="p99", return_data=True)])
    assert program.expression is None
    assert program.metric_stats["m1"].statistic.percentile == 0.99
    assert program.evaluate({"m1": [1.0, N, 3.0]}) == [1.0, N, 3.0]


def test_program_input_errors() -> None:
    program = compile_metrics(ERROR_RATE_METRICS)
    with pytest.raises(ValueError, match="no input series for MetricStat Id"):
        program.evaluate({"m1": [1.0]})
    with pytest.raises(ValueError, match="same length"):
        program.evaluate({"m1": [1.0], "m2": [1.0, 2.0]})


def test_program_evaluates_empty_series() -> None:
    assert compile_metrics(ERROR_RATE_METRICS).evaluate({"m1": [], "m2": []}) == []


def test_compile_raises_with_every_problem() -> None:
    metrics = [metric_stat("m1"), metric_stat("m1"), expression("e1", "FOO(m1)")]
    with pytest.raises(MetricMathError) as info:
        compile_metrics(metrics)
    assert "[1].Id: duplicate Id 'm1' (also [0])" in info.value.message
    assert "[2].Expression: unsupported function FOO" in info.value.message
    assert info.value.expression == "FOO(m1)"


def test_compiled_program_is_fast() -> None:
    # A loose bound (the design target is microseconds to tens of microseconds) so that a slow
    # CI machine does not flake; the point is that nothing is re-parsed per evaluation.
    import time

    program = compile_metrics(ERROR_RATE_METRICS)
    inputs = {"m1": [1.0, 0.0, 2.0, 3.0, 1.0], "m2": [100.0, 90.0, 80.0, 70.0, 60.0]}
    program.evaluate(inputs)
    runs = 2000
    start = time.perf_counter()
    for _ in range(runs):
        program.evaluate(inputs)
    per_call = (time.perf_counter() - start) / runs
    assert per_call < 500e-6


# ----------------------------------------------------------------------------------------------
# Validation
# ----------------------------------------------------------------------------------------------


def test_valid_metrics_have_no_problems() -> None:
    assert check_metric_queries(ERROR_RATE_METRICS) == []


def _with(index: int, **changes: Any) -> list[dict[str, Any]]:
    metrics = [dict(q) for q in ERROR_RATE_METRICS]
    for key, value in changes.items():
        if value is _DELETE:
            del metrics[index][key]
        else:
            metrics[index][key] = value
    return metrics


_DELETE = object()


@pytest.mark.parametrize(
    ("metrics", "problem"),
    [
        (
            _with(2, Expression="100 * FOO(m1) / m2"),
            ("[2].Expression", "unsupported function FOO; supported: ABS, AVG, CEIL"),
        ),
        (
            _with(0, ReturnData=True),
            ("", "exactly one query must have ReturnData true, found 2 ([0], [2])"),
        ),
        (
            _with(0, ReturnData=_DELETE),
            ("", "exactly one query must have ReturnData true, found 2 ([0], [2]); an omitted"),
        ),
        (_with(2, ReturnData=False), ("", "exactly one query must have ReturnData true, found 0")),
        (_with(2, Expression="100 * m1 / m3"), ("[2].Expression", "unknown Id 'm3'; defined Ids")),
        (_with(1, Id="m1"), ("[1].Id", "duplicate Id 'm1' (also [0])")),
        (_with(1, Id="Requests"), ("[1].Id", "invalid Id 'Requests'")),
        (_with(1, Id="2xx"), ("[1].Id", "invalid Id '2xx'")),
        (_with(1, Id="a" * 256), ("[1].Id", "at most 255 characters")),
        (_with(1, Id=5), ("[1].Id", "required string, found an integer")),
        (_with(2, MetricStat=ERROR_RATE_METRICS[0]["MetricStat"]), ("[2]", "found both")),
        (_with(2, Expression=_DELETE), ("[2]", "found neither")),
        (_with(2, Expression=""), ("[2].Expression", "required non-empty string")),
        (_with(2, Expression="m1 " * 700), ("[2].Expression", "longer than 2048 characters")),
        (
            _with(2, Expression="SUM(m1)"),
            ("[2].Expression", "must return a single time series, but this returns a scalar"),
        ),
        (_with(2, Expression="[m1, m2]"), ("[2].Expression", "returns an array of time series")),
        (_with(2, Expression="e1 + 1"), ("[2].Expression", "circular reference")),
        (_with(2, ReturnData="yes"), ("[2].ReturnData", "must be true or false")),
        (_with(2, Label=3), ("[2].Label", "must be a string")),
        (_with(2, Expresion="m1"), ("[2].Expresion", "unknown field; MetricDataQuery fields are")),
        (
            [metric_stat("m1"), metric_stat("m2", period=300), expression("e1", "m1 + m2")],
            ("[1].MetricStat.Period", "same period: 300 differs from 60 at [0]"),
        ),
        (
            [metric_stat("m1", period=90), expression("e1", "m1")],
            ("[0].MetricStat.Period", "90 is not 10, 20, 30 or a multiple of 60"),
        ),
        (
            [metric_stat("m1", stat="p101"), expression("e1", "m1")],
            ("[0].MetricStat.Stat", "percentage 101 is over 100"),
        ),
        (
            [metric_stat("m1", stat="average"), expression("e1", "m1")],
            ("[0].MetricStat.Stat", "case-sensitive"),
        ),
        (
            [
                {
                    "Id": "m1",
                    "MetricStat": {
                        "Metric": {"Namespace": "AWS/SageMaker"},
                        "Period": 60,
                        "Stat": "Sum",
                    },
                },
            ],
            ("[0].MetricStat.Metric.MetricName", "required non-empty string, found null"),
        ),
        (
            [
                {
                    "Id": "m1",
                    "MetricStat": {
                        "Metric": {
                            "Namespace": "AWS/SageMaker",
                            "MetricName": "Invocations",
                            "Dimensions": [{"Name": "EndpointName"}],
                        },
                        "Period": 60,
                        "Stat": "Sum",
                    },
                },
            ],
            ("[0].MetricStat.Metric.Dimensions[0].Value", "required non-empty string"),
        ),
        (
            [{"Id": "m1", "MetricStat": {"Period": 60, "Stat": "Sum"}}],
            ("[0].MetricStat.Metric", "required object with Namespace and MetricName"),
        ),
        (
            [{"Id": "m1", "MetricStat": "Invocations"}],
            ("[0].MetricStat", "MetricStat must be an object, found a string"),
        ),
        (
            [metric_stat(f"m{i}") for i in range(11)] + [expression("e1", "m0")],
            ("", "at most 10 MetricStat queries, found 11"),
        ),
        (
            [metric_stat("m1")]
            + [expression(f"e{i}", "m1", return_data=i == 0) for i in range(11)],
            ("", "at most 10 Expression queries, found 11"),
        ),
        (
            [metric_stat(f"m{i}") for i in range(10)]
            + [expression(f"e{i}", "m1", return_data=i == 0) for i in range(11)],
            ("", "at most 20 MetricDataQuery objects, found 21"),
        ),
        ([], ("", "Metrics must contain at least one MetricDataQuery")),
        ("m1", ("", "Metrics must be a list of MetricDataQuery objects, found a string")),
        ({"Id": "m1"}, ("", "Metrics must be a list of MetricDataQuery objects, found an object")),
        ([5], ("[0]", "must be a MetricDataQuery object, found an integer")),
        ([expression("e1", "TIME_SERIES(1)")], ("", "Metrics needs at least one MetricStat query")),
    ],
    ids=lambda v: v[1][:40] if isinstance(v, tuple) else "",
)
def test_check_metric_queries_messages_with_paths(
    metrics: object, problem: tuple[str, str]
) -> None:
    problems = check_metric_queries(metrics)
    path, fragment = problem
    assert any(p == path and fragment in m for p, m in problems), problems
    if isinstance(metrics, list) and metrics and all(isinstance(q, Mapping) for q in metrics):
        with pytest.raises(MetricMathError):
            compile_metrics(metrics)


def test_problems_in_a_referenced_expression_are_reported_once() -> None:
    metrics = [
        metric_stat("m1"),
        expression("e1", "FOO(m1)", return_data=False),
        expression("e2", "e1 * 100"),
    ]
    assert check_metric_queries(metrics) == [
        ("[1].Expression", check_metric_queries(metrics)[0][1]),
    ]


# JSON-like values, plus MetricDataQuery-shaped dicts whose fields are drawn from the same pool,
# so that the checker is exercised below the top level too.
json_scalars = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=12)
json_values = st.recursive(
    json_scalars,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=12,
)
expression_texts = st.lists(
    st.sampled_from(
        [
            "m1",
            "m2",
            "e1",
            "(",
            ")",
            "[",
            "]",
            ",",
            "+",
            "-",
            "*",
            "/",
            "^",
            ">",
            "==",
            "AND",
            "NOT",
            "||",
            "FILL",
            "IF",
            "SUM",
            "AVG",
            "FOO",
            "REPEAT",
            "LINEAR",
            "1",
            "0",
            "2.5",
            '"x"',
            "METRICS",
            "PERIOD",
            "sum",
        ]
    ),
    max_size=12,
).map(" ".join)
metric_stat_like = st.fixed_dictionaries(
    {},
    optional={
        "Metric": st.fixed_dictionaries(
            {},
            optional={
                "Namespace": json_scalars,
                "MetricName": json_scalars,
                "Dimensions": st.lists(
                    st.dictionaries(st.sampled_from(["Name", "Value", "X"]), json_scalars),
                    max_size=3,
                )
                | json_values,
            },
        )
        | json_values,
        "Period": st.sampled_from([60, 300, 0, -60, 90, True, "60"]),
        "Stat": st.sampled_from(["Sum", "p99", "tm(10%:90%)", "PR(:5)", "bogus", 5]),
        "Unit": json_scalars,
    },
)
query_like = st.fixed_dictionaries(
    {},
    optional={
        "Id": st.sampled_from(["m1", "m2", "e1", "E1", "", 7]),
        "MetricStat": metric_stat_like | json_values,
        "Expression": expression_texts | json_values,
        "ReturnData": st.booleans() | json_scalars,
        "Label": json_scalars,
        "Period": json_scalars,
        "AccountId": json_scalars,
        "Extra": json_scalars,
    },
)


@settings(max_examples=500, deadline=None, derandomize=True)
@given(metrics=json_values | st.lists(query_like | json_values, max_size=6))
def test_check_metric_queries_never_raises(metrics: object) -> None:
    problems = check_metric_queries(metrics)
    assert isinstance(problems, list)
    for path, message in problems:
        assert isinstance(path, str)
        assert isinstance(message, str) and message
    if not problems:
        # Whatever passes the check compiles and evaluates without error.
        assert isinstance(metrics, list)
        program = compile_metrics(metrics)
        inputs = {qid: [1.0, None, 0.0] for qid in program.metric_stats}
        assert len(program.evaluate(inputs)) == 3


@settings(max_examples=300, deadline=None, derandomize=True)
@given(text=expression_texts)
def test_parse_expression_raises_only_metric_math_errors(text: str) -> None:
    try:
        parse_expression(text)
    except MetricMathError as exc:
        assert exc.message


@settings(max_examples=200, deadline=None, derandomize=True)
@given(
    m1=st.lists(st.none() | st.floats(-1e6, 1e6), min_size=1, max_size=8),
    data=st.data(),
)
def test_error_rate_matches_a_pointwise_reference(
    m1: list[float | None], data: st.DataObject
) -> None:
    m2 = data.draw(st.lists(st.none() | st.floats(0, 1e6), min_size=len(m1), max_size=len(m1)))
    program = compile_metrics(ERROR_RATE_METRICS)

    def reference(e: float | None, n: float | None) -> float | None:
        if e is None and n is None:
            return None
        numerator = None if e is None else 100 * e  # 100 * missing stays missing...
        denominator = 0.0 if n is None else n  # ...then missing counts as 0 against a value
        if numerator is None:
            numerator = 0.0
        if denominator == 0:
            return None  # division by zero: dropped
        result = numerator / denominator
        return result if math.isfinite(result) else None  # overflow: dropped

    expected = [reference(e, n) for e, n in zip(m1, m2, strict=True)]
    result = program.evaluate({"m1": m1, "m2": m2})
    assert _close(result, expected, rel=1e-6), (result, expected)


# Well-formed expressions from a small grammar, so that the compile-and-evaluate path is
# exercised too (random JSON almost never passes the check).
expression_trees = st.recursive(
    st.sampled_from(["m1", "m2", "0", "1", "2.5", "100"]),
    lambda inner: st.one_of(
        st.tuples(
            inner, st.sampled_from(["+", "-", "*", "/", "^", ">", "<=", "==", "AND", "OR"]), inner
        ).map(lambda t: f"({t[0]} {t[1]} {t[2]})"),
        inner.map(lambda x: f"-{x}"),
        inner.map(lambda x: f"NOT {x}"),
        st.tuples(
            st.sampled_from(
                [
                    "ABS",
                    "CEIL",
                    "FLOOR",
                    "LOG",
                    "LOG10",
                    "AVG",
                    "SUM",
                    "MIN",
                    "MAX",
                    "STDDEV",
                    "DIFF",
                    "RATE",
                    "RUNNING_SUM",
                ]
            ),
            inner,
        ).map(lambda t: f"{t[0]}({t[1]})"),
        st.tuples(inner, st.sampled_from(["0", "REPEAT", "LINEAR", "m2"])).map(
            lambda t: f"FILL({t[0]}, {t[1]})"
        ),
        st.tuples(inner, inner, inner).map(lambda t: f"IF({t[0]}, {t[1]}, {t[2]})"),
        st.tuples(inner, inner).map(lambda t: f"IF({t[0]}, {t[1]})"),
        st.tuples(st.sampled_from(["SUM", "AVG", "MIN", "MAX"]), inner, inner).map(
            lambda t: f"{t[0]}([{t[1]}, {t[2]}])"
        ),
    ),
    max_leaves=8,
)


@settings(max_examples=300, deadline=None, derandomize=True)
@given(
    text=expression_trees,
    m1=st.lists(st.none() | st.floats(-1e3, 1e3), min_size=4, max_size=4),
    m2=st.lists(st.none() | st.floats(-1e3, 1e3), min_size=4, max_size=4),
)
def test_valid_programs_compile_and_evaluate(
    text: str, m1: list[float | None], m2: list[float | None]
) -> None:
    metrics = [metric_stat("m1"), metric_stat("m2"), expression("e1", text)]
    problems = check_metric_queries(metrics)
    if problems:
        # The only way a grammatical expression fails here is its type, e.g. a scalar result.
        assert all(path == "[2].Expression" for path, _ in problems), problems
        with pytest.raises(MetricMathError):
            compile_metrics(metrics)
        return
    result = compile_metrics(metrics).evaluate({"m1": m1, "m2": m2})
    assert len(result) == 4
    assert all(x is None or math.isfinite(x) for x in result)


def test_tuples_are_accepted_where_lists_are_expected() -> None:
    # Frozen scenario objects hold tuples; the checker and the compiler take any sequence.
    frozen = tuple(
        {
            **q,
            "MetricStat": {
                **q["MetricStat"],
                "Metric": {
                    **q["MetricStat"]["Metric"],
                    "Dimensions": tuple(q["MetricStat"]["Metric"]["Dimensions"]),
                },
            },
        }
        if "MetricStat" in q
        else q
        for q in ERROR_RATE_METRICS
    )
    assert check_metric_queries(frozen) == []
    assert compile_metrics(frozen).evaluate({"m1": [1.0], "m2": [4.0]}) == [25.0]
