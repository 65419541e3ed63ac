"""Anomaly-detection alarms: ``ThresholdMetricId`` naming an ``ANOMALY_DETECTION_BAND`` expression.

An anomaly-detection alarm is a metric-math alarm whose ``Metrics`` hold a metric ``mX`` and one
expression ``ANOMALY_DETECTION_BAND(mX, k)``; ``ThresholdMetricId`` names that expression, there is
no ``Threshold``, and ``ComparisonOperator`` is one of the three anomaly operators: breaching when
the value is below the band's lower bound, above its upper bound, or either (see
https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/Create_Anomaly_Detection_Alarm.html
and https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutMetricAlarm.html).
``k`` is the band's width in standard deviations
(https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Anomaly_Detection.html).

This module reads and checks that structure; it does not compute a band (CloudWatch's trained
model is not public: guardsim's stand-in is :func:`guardsim.model.anomaly.anomaly_band`). The
series an anomaly alarm evaluates is ``mX`` itself (:func:`evaluated_metrics`), compared with the
band's bounds by :meth:`guardsim.cloudwatch.alarm.AlarmRule.breaches`.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from guardsim.errors import AlarmError

__all__ = [
    "ANOMALY_OPERATOR_NAMES",
    "BandSpec",
    "band_index",
    "band_problems",
    "band_spec",
    "evaluated_metrics",
    "is_anomaly_alarm",
]

#: The three anomaly-detection operators of PutMetricAlarm.
ANOMALY_OPERATOR_NAMES: Final = (
    "LessThanLowerOrGreaterThanUpperThreshold",
    "LessThanLowerThreshold",
    "GreaterThanUpperThreshold",
)

_BAND = re.compile(r"^\s*ANOMALY_DETECTION_BAND\s*\((?P<args>.*)\)\s*$", re.IGNORECASE | re.DOTALL)
_ID = re.compile(r"^[a-z][A-Za-z0-9_]*$")


@dataclass(frozen=True, slots=True)
class BandSpec:
    """An anomaly alarm's band: the expression's Id, the metric's Id and the width ``k``."""

    expression_id: str
    metric_id: str
    k: float
    #: the band expression's index in ``Metrics``
    index: int


def is_anomaly_alarm(kwargs: Mapping[str, Any]) -> bool:
    """Whether ``put_metric_alarm`` kwargs describe an anomaly-detection alarm."""
    return (
        kwargs.get("ThresholdMetricId") is not None
        or kwargs.get("ComparisonOperator") in ANOMALY_OPERATOR_NAMES
    )


def band_problems(kwargs: Mapping[str, Any]) -> list[tuple[str, str]]:
    """Every problem with an anomaly alarm's band structure, as ``(field path, message)``; empty
    for a well-formed one (or for an alarm that is not an anomaly alarm)."""
    try:
        band_spec(kwargs)
    except AlarmError as e:
        return [(e.field or "", e.message)]
    return []


def band_spec(kwargs: Mapping[str, Any]) -> BandSpec | None:
    """The band of an anomaly-detection alarm (None for a static-threshold alarm), checked as
    CloudWatch documents: ``ThresholdMetricId`` and an anomaly operator go together; no
    ``Threshold``; ``ThresholdMetricId`` names an ``ANOMALY_DETECTION_BAND(mX, k)`` expression
    of ``Metrics``, the only one; ``k > 0``; ``mX`` is a MetricStat query of ``Metrics``.
    Raises :class:`AlarmError` whose ``field`` is the path of the offending member."""
    if not is_anomaly_alarm(kwargs):
        return None
    name = str(kwargs.get("AlarmName", "?"))

    def fail(field: str, message: str) -> AlarmError:
        return AlarmError(message, alarm_name=name, field=field)

    op = kwargs.get("ComparisonOperator")
    tid = kwargs.get("ThresholdMetricId")
    if op not in ANOMALY_OPERATOR_NAMES:
        raise fail(
            "ComparisonOperator",
            f"an alarm with ThresholdMetricId needs an anomaly-detection operator "
            f"({', '.join(ANOMALY_OPERATOR_NAMES)}), got {op!r}",
        )
    if tid is None:
        raise fail("ThresholdMetricId", f"required with the anomaly-detection operator {op}")
    if kwargs.get("Threshold") is not None:
        raise fail(
            "Threshold",
            "must not be set with ThresholdMetricId (the band gives the thresholds)",
        )
    metrics = kwargs.get("Metrics")
    if not isinstance(metrics, Sequence) or isinstance(metrics, str) or not metrics:
        raise fail("Metrics", "an anomaly-detection alarm needs Metrics with its band expression")
    queries = list(metrics)
    bands = [
        i
        for i, q in enumerate(queries)
        if isinstance(q, Mapping) and _BAND.match(str(q.get("Expression") or ""))
    ]
    ids = [q.get("Id") if isinstance(q, Mapping) else None for q in queries]
    if tid not in ids:
        raise fail("ThresholdMetricId", f"names no query of Metrics ({tid!r})")
    index = ids.index(tid)
    if index not in bands:
        raise fail(
            "ThresholdMetricId",
            f"must name the ANOMALY_DETECTION_BAND expression; {tid!r} is not one",
        )
    if len(bands) > 1:
        raise fail(
            f"Metrics[{bands[1]}].Expression",
            "an alarm has one ANOMALY_DETECTION_BAND expression",
        )
    where = f"Metrics[{index}].Expression"
    match = _BAND.match(str(queries[index]["Expression"]))
    assert match is not None
    args = [a.strip() for a in match.group("args").split(",")]
    if len(args) != 2:
        raise fail(
            where,
            "expected ANOMALY_DETECTION_BAND(mX, k): a metric Id and the band width in "
            "standard deviations",
        )
    metric_id, k_text = args
    try:
        k = float(k_text)
    except ValueError:
        raise fail(where, f"the band width k must be a number, got {k_text!r}") from None
    if not math.isfinite(k) or k <= 0:
        raise fail(where, f"the band width k must be > 0, got {k_text}")
    if not _ID.match(metric_id) or metric_id not in ids:
        raise fail(where, f"the band's metric {metric_id!r} is not a query of Metrics")
    target = queries[ids.index(metric_id)]
    if not isinstance(target, Mapping) or target.get("MetricStat") is None:
        raise fail(
            where,
            f"the band's metric {metric_id!r} must be a MetricStat query (guardsim computes "
            "bands of a metric, not of an expression)",
        )
    return BandSpec(str(tid), metric_id, k, index)


def band_index(metrics: Sequence[Any]) -> int | None:
    """The index of the one ``ANOMALY_DETECTION_BAND`` query of ``Metrics`` (None: none, or
    several, which :func:`band_spec` refuses)."""
    bands = [
        i
        for i, q in enumerate(metrics)
        if isinstance(q, Mapping) and _BAND.match(str(q.get("Expression") or ""))
    ]
    return bands[0] if len(bands) == 1 else None


def evaluated_metrics(metrics: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The ``Metrics`` an alarm's datapoints come from: unchanged for an ordinary metric-math
    alarm; for an anomaly alarm, without the band expression and with only the band's metric
    ``mX`` returned (the band is compared with ``mX``; see the module docstring)."""
    out = [dict(q) for q in metrics]
    index = band_index(out)
    if index is None:
        return out
    match = _BAND.match(str(out[index]["Expression"]))
    assert match is not None
    metric_id = match.group("args").split(",")[0].strip()
    kept = [q for i, q in enumerate(out) if i != index]
    for q in kept:
        q["ReturnData"] = q.get("Id") == metric_id
    return kept
