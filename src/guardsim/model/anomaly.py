"""The band of an anomaly-detection alarm: guardsim's stand-in for CloudWatch's trained model.

CloudWatch trains a model on up to two weeks of the metric's history and draws a band of
expected values, ``k`` standard deviations wide; the model itself is not public (see
https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Anomaly_Detection.html).
guardsim replaces it with a named setting, ``environment.anomaly_band_model``, whose one value
(and default) is ``old-model-steady-state``: the band is **static**, computed once per alarm from
the old (blue) model's own steady state at the scenario's traffic, as a model trained on a healthy
history of the old model would see it:

* centre: the expected per-period value of the band's metric (``mX``);
* half-width: ``k`` times the standard deviation of that per-period value.

Both are analytic, from the same kernels the engines draw from (:mod:`guardsim.model.latency`,
:mod:`guardsim.model.traffic`), at ``n``, the expected requests per period over the warmup
(before UpdateEndpoint, when the old model serves all traffic):

* ``ModelLatency`` / ``OverheadLatency`` with ``Average`` (microseconds): the lognormal mean,
  and ``sqrt(variance / n)`` (the per-period mean of ``n`` requests; central limit);
* the 0/1 error metrics (``Invocation5XXErrors``, ``Invocation4XXErrors``,
  ``InvocationModelErrors``) with ``Average``: ``p`` and ``sqrt(p (1 - p) / n)``; with ``Sum``:
  ``n p`` and ``sqrt(n p)`` (a Poisson count; ``sqrt(n p (1 - p))`` with uniform arrivals);
* ``Invocations`` with ``Sum``: ``n`` and ``sqrt(n)`` (Poisson; 0 with uniform arrivals).

**An old model driven by a recording** (``models.blue.history``, :mod:`guardsim.model.history`)
is trained on the recording instead, as CloudWatch's model is trained on the metric's history:
its error rates and latency multiplier change minute by minute, so the per-period value has two
sources of variance, and the band takes both (the law of total variance). The recording's minutes
are cut into consecutive windows of one ``Period`` (one minute for a sub-minute period; the whole
recording if it is shorter than a period); for each window ``w`` the per-period value has mean
``E_w`` and, given the window's rates, sampling variance ``V_w`` (the formulas above with the
window's per-minute values averaged: ``p`` becomes the window's mean rate, a latency's mean and
variance scale with the minute's multiplier and its square). Then:

* centre: the mean of ``E_w`` over the windows;
* standard deviation: ``sqrt(var(E_w) + mean(V_w))``.

The request volume is the traffic's, as in the engines (a recording drives the rates, the traffic
the volume). A recording-free model gives the same numbers as the formulas above (one window, no
between-window variance).

Departures from CloudWatch, said in the docs: the band has no daily or weekly seasonality and
does not follow the metric as it changes (CloudWatch's does, with a lag), and it ignores the old
model's faults and queueing. Any other metric or statistic is refused with a message naming the
field, never given a made-up band.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Final

import numpy as np
import numpy.typing as npt

from guardsim.cloudwatch.anomaly import band_spec
from guardsim.cloudwatch.statistics import StatisticKind, parse_statistic
from guardsim.errors import AlarmError
from guardsim.model import traffic as arrivals
from guardsim.model.latency import lognormal_params, moments_scalar

if TYPE_CHECKING:
    from guardsim.scenarios.models import ModelBehaviour
    from guardsim.scenarios.scenario import Scenario
    from guardsim.scenarios.traffic import Traffic

__all__ = ["BAND_MODELS", "anomaly_band", "anomaly_bands", "recorded_minutes", "steady_state"]

FloatArray = npt.NDArray[np.float64]
#: A recording-driven model's per-minute ``(p5, p4, ModelLatency multiplier)``.
Minutes = tuple[FloatArray, FloatArray, FloatArray]

#: The values of ``environment.anomaly_band_model``.
BAND_MODELS: Final = ("old-model-steady-state",)

_LATENCY: Final = ("ModelLatency", "OverheadLatency")
_ERRORS: Final = ("Invocation5XXErrors", "Invocation4XXErrors", "InvocationModelErrors")


def steady_state(
    metric: str,
    statistic: str,
    model: ModelBehaviour,
    requests: float,
    arrivals_kind: str,
    minutes: Minutes | None = None,
    period_minutes: int = 1,
) -> tuple[float, float]:
    """(expected value, standard deviation) of one period's ``statistic`` of ``metric`` for
    ``model`` serving ``requests`` requests per period (module docstring); ``minutes``: the
    model's per-minute ``(p5, p4, latency multiplier)`` from a recording (None: the model's own
    constants), cut into windows of ``period_minutes``. Raises :class:`AlarmError` for a metric
    or statistic guardsim has no band for."""
    kind = parse_statistic(statistic, context="metric").kind
    n = max(requests, 0.0)
    poisson = arrivals_kind != "uniform"
    if metric in _LATENCY and kind is StatisticKind.AVERAGE:
        lat = model.overhead_latency if metric == "OverheadLatency" else model.latency
        mean, var = moments_scalar(*lognormal_params(float(lat.median_ms), float(lat.p99_ms)))
        if minutes is None or metric == "OverheadLatency":  # OverheadLatency is not replayed
            return 1000.0 * mean, 1000.0 * math.sqrt(var / n) if n > 0 else math.inf
        mult = minutes[2]
        return _total(1000.0 * mean * mult, (1000.0 * mult) ** 2 * var / n, period_minutes, n)
    if metric in _ERRORS and kind in (StatisticKind.AVERAGE, StatisticKind.SUM):
        p = _error_rate(metric, model, minutes)
        if isinstance(p, float):
            if kind is StatisticKind.AVERAGE:
                return p, math.sqrt(p * (1.0 - p) / n) if n > 0 else math.inf
            return n * p, math.sqrt(n * p if poisson else n * p * (1.0 - p))
        if kind is StatisticKind.AVERAGE:
            return _total(p, p * (1.0 - p) / n, period_minutes, n)
        return _total(n * p, n * p if poisson else n * p * (1.0 - p), period_minutes, n)
    if metric == "Invocations" and kind is StatisticKind.SUM:
        return n, math.sqrt(n) if poisson else 0.0
    raise AlarmError(
        f"guardsim has no anomaly band for {metric} {statistic} (old-model-steady-state covers "
        "ModelLatency/OverheadLatency Average, the error metrics' Average and Sum, and "
        "Invocations Sum)"
    )


def _error_rate(metric: str, model: ModelBehaviour, minutes: Minutes | None) -> float | FloatArray:
    """The per-request probability of an error metric: the model's, or per recorded minute."""
    if minutes is None:
        p5, p4 = model.error_rate_5xx, model.error_rate_4xx
        return {"Invocation5XXErrors": p5, "Invocation4XXErrors": p4}.get(metric, min(1.0, p4 + p5))
    r5, r4 = minutes[0], minutes[1]
    rate: FloatArray = {"Invocation5XXErrors": r5, "Invocation4XXErrors": r4}.get(
        metric, np.minimum(1.0, r4 + r5)
    )
    return rate


def _total(
    mean: FloatArray, within: FloatArray, period_minutes: int, n: float
) -> tuple[float, float]:
    """(centre, sd) over the recording's period windows by the law of total variance, from each
    minute's ``mean`` and ``within`` (sampling variance of a whole period at that minute's
    rates): windows of ``period_minutes`` consecutive minutes (the whole recording if shorter)."""
    if n <= 0:
        return float(np.mean(mean)), math.inf
    m = max(1, int(period_minutes))
    windows = len(mean) // m
    if windows == 0:
        e, v = np.array([np.mean(mean)]), np.array([np.mean(within)])
    else:
        cut = windows * m
        e = mean[:cut].reshape(windows, m).mean(axis=1)
        v = within[:cut].reshape(windows, m).mean(axis=1)
    return float(np.mean(e)), math.sqrt(float(np.var(e)) + float(np.mean(v)))


def recorded_minutes(model: ModelBehaviour) -> Minutes | None:
    """The old ``model``'s per-minute ``(p5, p4, latency multiplier)`` from its recording (the
    engines' own :class:`~guardsim.model.history.HistoryDriver`), or None without one."""
    if model.history is None:
        return None
    from guardsim.model.history import HistoryDriver, recording_of

    driver = HistoryDriver(recording_of(model.history), model.latency.median_ms, 0.0, 0)
    return driver.p5, driver.p4, driver.mult


def anomaly_band(
    kwargs: Mapping[str, Any],
    model: ModelBehaviour,
    traffic: Traffic,
    warmup_seconds: float,
    replay: tuple[float, ...] | None = None,
    band_model: str = "old-model-steady-state",
) -> tuple[float, float] | None:
    """The static ``(lower, upper)`` band of an anomaly-detection alarm's ``put_metric_alarm``
    kwargs (None for a static-threshold alarm): ``centre -/+ k * sd`` of the old ``model``'s
    per-period value at the mean traffic over the warmup (module docstring). Raises
    :class:`AlarmError` naming the field when guardsim cannot give the alarm a band."""
    spec = band_spec(kwargs)
    if spec is None:
        return None
    name = str(kwargs.get("AlarmName", "?"))
    if band_model not in BAND_MODELS:
        raise AlarmError(f"unknown anomaly_band_model {band_model!r}", alarm_name=name)
    metrics = list(kwargs["Metrics"])
    index = next(i for i, q in enumerate(metrics) if q.get("Id") == spec.metric_id)
    stat = metrics[index]["MetricStat"]
    metric = stat.get("Metric", {})
    where = f"Metrics[{index}].MetricStat"
    if metric.get("Namespace") != "AWS/SageMaker":
        raise AlarmError(
            f"guardsim computes anomaly bands of AWS/SageMaker invocation metrics only, not "
            f"{metric.get('Namespace')!r}",
            alarm_name=name,
            field=f"{where}.Metric.Namespace",
        )
    t0 = -float(warmup_seconds)
    rate = arrivals.mean_rate(traffic, t0, 0.0, replay)
    requests = rate * float(stat["Period"])
    try:
        centre, sd = steady_state(
            str(metric.get("MetricName")),
            str(stat["Stat"]),
            model,
            requests,
            traffic.arrivals,
            recorded_minutes(model),
            int(stat["Period"]) // 60,
        )
    except AlarmError as e:
        raise AlarmError(e.message, alarm_name=name, field=f"{where}.Stat") from None
    if not math.isfinite(sd):
        raise AlarmError(
            "the old model serves no request per period at the warmup's traffic, so its band "
            "is undefined",
            alarm_name=name,
            field="ThresholdMetricId",
        )
    return centre - spec.k * sd, centre + spec.k * sd


def anomaly_bands(
    scenario: Scenario, replay: tuple[float, ...] | None = None
) -> dict[str, tuple[float, float]]:
    """The band of each anomaly-detection alarm of ``scenario`` by alarm name (every engine
    calls this once per run; ``replay``: the counts of ``traffic.replay_file``, read)."""
    out: dict[str, tuple[float, float]] = {}
    env = scenario.environment
    for alarm in scenario.alarms:
        band = anomaly_band(
            alarm.to_boto(),
            scenario.models.blue,
            scenario.traffic,
            scenario.simulation.warmup_seconds,
            replay,
            env.anomaly_band_model,
        )
        if band is not None:
            out[alarm.name] = band
    return out
