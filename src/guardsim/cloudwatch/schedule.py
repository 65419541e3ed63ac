"""When a CloudWatch alarm is evaluated, which period windows it reads, and what it can see.

Pure functions of times in seconds (floats or integers on the simulated clock; numpy arrays
where noted). No clock is read here: the caller passes every instant.

Evaluation schedule (see aws-model.md#evaluation-schedule)
    An alarm whose Period is 60 s or more is evaluated every minute; one whose Period is 10, 20
    or 30 s (a high-resolution alarm) every 10 s; and one whose Period x EvaluationPeriods is
    longer than one day every hour, with data up to the last ``:00``.
    :func:`evaluation_interval` returns that interval, :func:`evaluation_times` lists the
    instants in a time span.

Sliding windows (see aws-model.md#evaluation-schedule)
    Each evaluation reads the period windows that end at the evaluation instant: with Period
    300 and one evaluation period, the evaluation at the end of minute 5 reads minutes 1-5 and
    the one at the end of minute 6 reads minutes 2-6. Consecutive evaluations therefore read
    overlapping windows even when Period > 60. :func:`range_windows` lists the windows an
    evaluation reads for a whole evaluation range (see
    :data:`guardsim.cloudwatch.alarm.DEFAULT_EVALUATION_RANGE` for its length).

Alignment of the evaluation clock (undocumented)
    CloudWatch does not document at which second of the minute an alarm is evaluated. guardsim
    evaluates on the boundaries of the simulated clock (``t`` a multiple of the interval, so
    on the minute for standard alarms and on the hour for multi-day ones) and offers ``phase``,
    a documented parameter, to shift every evaluation by a fixed number of seconds.

Publish delay and late data (see aws-model.md#late-data, #metric-publish-delay)
    A metric sample taken at time ``s`` falls in the aggregation bucket ``[m, m + resolution)``
    with ``m = floor(s / resolution) * resolution`` (``resolution`` = 60 s for standard
    metrics) and becomes visible to alarms at ``m + resolution + L``, ``L`` being the publish
    delay (guardsim's default, undocumented by AWS; see aws-model.md#metric-publish-delay: a
    datapoint for minute ``[t, t+60)`` becomes visible at ``t + 60 + L``). :func:`publish_time` and
    :func:`is_visible` compute this and accept numpy arrays, so a whole sample stream can be masked
    at once.

    Alarms use the data *available at evaluation time* (see aws-model.md#late-data). An evaluation
    at ``t`` therefore aggregates, for each period window it reads, every sample of that window
    whose publish time is ``<= t``, and nothing else. Because the publish delay can differ from one
    minute to the next (and a late sample still lands in the bucket of the minute it was *taken* in,
    not the minute it arrived), the value of one and the same period window can change between
    evaluations: a window read at ``t`` and read again at ``t + 60`` may include more samples
    the second time. That is how an alarm can act on a datapoint that graphs viewed later no
    longer show (see aws-model.md#late-data). The simulator must recompute each window's aggregate
    per evaluation from the visible samples; it must not freeze a window's value the first time it
    is read.
"""

from __future__ import annotations

import math
from typing import Any, Final, overload

import numpy as np
from numpy.typing import NDArray

from guardsim.errors import AlarmError

__all__ = [
    "HIGH_RESOLUTION_PERIODS",
    "MULTI_DAY_THRESHOLD",
    "STANDARD_RESOLUTION",
    "evaluation_interval",
    "evaluation_times",
    "is_visible",
    "publish_time",
    "range_windows",
]

#: Periods (s) that make a high-resolution alarm, evaluated every 10 s (see
#: aws-model.md#evaluation-schedule, #put-metric-alarm).
HIGH_RESOLUTION_PERIODS: Final = frozenset({10, 20, 30})

#: Period x EvaluationPeriods above this many seconds (one day) is evaluated hourly (see
#: aws-model.md#evaluation-schedule).
MULTI_DAY_THRESHOLD: Final = 86_400

#: Aggregation bucket of a standard-resolution metric, in seconds (SageMaker publishes every
#: minute; see aws-model.md#invocation-metrics).
STANDARD_RESOLUTION: Final = 60

FloatArray = NDArray[np.float64]


def evaluation_interval(period: int, evaluation_periods: int) -> int:
    """How often (seconds) an alarm with this Period and EvaluationPeriods is evaluated (see
    aws-model.md#evaluation-schedule).

    * ``period * evaluation_periods > 86400`` (more than one day): every 3600 s.
    * ``period >= 60`` (then a multiple of 60; see aws-model.md#put-metric-alarm): every 60 s.
    * ``period`` in 10, 20, 30 (high resolution): every 10 s.

    Any other Period is not one CloudWatch accepts and raises :class:`AlarmError`.
    """
    if evaluation_periods < 1:
        raise AlarmError(f"EvaluationPeriods must be >= 1, got {evaluation_periods}")
    if period * evaluation_periods > MULTI_DAY_THRESHOLD:
        return 3600
    if period >= 60:
        return 60
    if period in HIGH_RESOLUTION_PERIODS:
        return 10
    raise AlarmError(f"Period must be 10, 20, 30 or a multiple of 60, got {period}")


def evaluation_times(
    period: int,
    evaluation_periods: int,
    start: float,
    end: float,
    *,
    phase: float = 0,
) -> tuple[float, ...]:
    """The instants in ``[start, end]`` (both inclusive) at which the alarm is evaluated.

    The instants are ``k * interval + phase`` for integer ``k``, with ``interval`` from
    :func:`evaluation_interval`: with ``phase=0`` that is every minute on the minute of the
    simulated clock for a standard alarm, every 10 s on multiples of 10 s for a high-resolution
    one and every hour on the hour for a multi-day one. ``phase`` (seconds, taken modulo the
    interval) shifts the alarm's evaluation clock; CloudWatch does not document the second at
    which it evaluates, so 0 is guardsim's choice (undocumented; see
    aws-model.md#metric-publish-delay). Each instant is computed directly from ``k``, so long spans
    accumulate no rounding error.
    """
    interval = evaluation_interval(period, evaluation_periods)
    if end < start:
        return ()
    offset = math.fmod(phase, interval)
    if offset < 0:
        offset += interval
    first = math.ceil((start - offset) / interval)
    last = math.floor((end - offset) / interval)
    return tuple(float(k * interval + offset) for k in range(first, last + 1))


def range_windows(t: float, period: float, range_length: int) -> tuple[tuple[float, float], ...]:
    """The period windows an evaluation at ``t`` reads, oldest to newest.

    A sliding window ending at ``t`` (see aws-model.md#evaluation-schedule): the newest window is
    ``[t - period, t)``, the one before it ``[t - 2 * period, t - period)``, and so on,
    ``range_length`` windows in all (the evaluation range, longer than EvaluationPeriods; see
    aws-model.md#missing-data). Each pair is ``(start, end)`` of a half-open interval. With Period
    300 and an evaluation at the end of minute 5 (``t=300``) the newest window is minutes 1-5, ``(0,
    300)``; at ``t=360`` it is minutes 2-6.
    """
    if range_length < 1:
        raise AlarmError(f"range_length must be >= 1, got {range_length}")
    if period <= 0:
        raise AlarmError(f"period must be > 0, got {period}")
    return tuple(
        (float(t - k * period), float(t - (k - 1) * period)) for k in range(range_length, 0, -1)
    )


@overload
def publish_time(
    sample_time: float, publish_delay: float, *, resolution: float = STANDARD_RESOLUTION
) -> float: ...


@overload
def publish_time(
    sample_time: NDArray[Any],
    publish_delay: NDArray[Any] | float,
    *,
    resolution: float = STANDARD_RESOLUTION,
) -> FloatArray: ...


@overload
def publish_time(
    sample_time: float,
    publish_delay: NDArray[Any],
    *,
    resolution: float = STANDARD_RESOLUTION,
) -> FloatArray: ...


def publish_time(
    sample_time: NDArray[Any] | float,
    publish_delay: NDArray[Any] | float,
    *,
    resolution: float = STANDARD_RESOLUTION,
) -> FloatArray | float:
    """When a sample taken at ``sample_time`` becomes visible to alarms (the delay is
    undocumented; see aws-model.md#metric-publish-delay).

    The sample belongs to the bucket ``[m, m + resolution)``, ``m`` being ``sample_time``
    rounded down to a multiple of ``resolution``; the bucket is published at
    ``m + resolution + publish_delay``. A sample on a bucket boundary belongs to the bucket it
    starts. Scalars give a float; numpy arrays (for either argument) broadcast and give an
    array, so each sample or each minute can carry its own delay.
    """
    if resolution <= 0:
        raise AlarmError(f"resolution must be > 0, got {resolution}")
    if isinstance(sample_time, np.ndarray) or isinstance(publish_delay, np.ndarray):
        s = np.asarray(sample_time, dtype=np.float64)
        d = np.asarray(publish_delay, dtype=np.float64)
        result: FloatArray = np.floor(s / resolution) * resolution + resolution + d
        return result
    return float(math.floor(sample_time / resolution) * resolution + resolution + publish_delay)


@overload
def is_visible(
    sample_time: float,
    t: float,
    publish_delay: float,
    *,
    resolution: float = STANDARD_RESOLUTION,
) -> bool: ...


@overload
def is_visible(
    sample_time: NDArray[Any],
    t: NDArray[Any] | float,
    publish_delay: NDArray[Any] | float,
    *,
    resolution: float = STANDARD_RESOLUTION,
) -> NDArray[np.bool_]: ...


@overload
def is_visible(
    sample_time: float,
    t: NDArray[Any] | float,
    publish_delay: NDArray[Any],
    *,
    resolution: float = STANDARD_RESOLUTION,
) -> NDArray[np.bool_]: ...


@overload
def is_visible(
    sample_time: float,
    t: NDArray[Any],
    publish_delay: NDArray[Any] | float,
    *,
    resolution: float = STANDARD_RESOLUTION,
) -> NDArray[np.bool_]: ...


def is_visible(
    sample_time: NDArray[Any] | float,
    t: NDArray[Any] | float,
    publish_delay: NDArray[Any] | float,
    *,
    resolution: float = STANDARD_RESOLUTION,
) -> NDArray[np.bool_] | bool:
    """Whether an alarm evaluated at ``t`` sees the sample taken at ``sample_time``.

    True when :func:`publish_time` of the sample is ``<= t``. Vectorised like
    :func:`publish_time` (arrays broadcast; scalars give a ``bool``). To aggregate one period
    window ``[a, b)`` as the evaluation at ``t`` sees it, keep the samples with
    ``a <= sample_time < b`` and ``is_visible(sample_time, t, delay)``; see the module
    docstring for why that value can change between evaluations.
    """
    if (
        isinstance(sample_time, np.ndarray)
        or isinstance(publish_delay, np.ndarray)
        or isinstance(t, np.ndarray)
    ):
        published = publish_time(
            np.asarray(sample_time, dtype=np.float64), publish_delay, resolution=resolution
        )
        visible: NDArray[np.bool_] = published <= np.asarray(t, dtype=np.float64)
        return visible
    return bool(publish_time(float(sample_time), float(publish_delay), resolution=resolution) <= t)
