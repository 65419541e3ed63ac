"""The per-minute metrics of two runs, side by side; and the metric publish delay of a run.

Pure functions of run records (their ``datapoints`` columns, read through
:class:`~guardsim.reports.series.DatapointTable`).

Compared series, per dimension set (``blended``: EndpointName+VariantName; ``blue`` / ``green``:
with the old or new EndpointConfigName):

==========================  ==============================  =====================
series                      statistic                       judged
==========================  ==============================  =====================
invocations per minute      Sum of Invocations              no (traffic is input)
5XX error fraction          Average of Invocation5XXErrors  yes
4XX error fraction          Average of Invocation4XXErrors  yes
ModelLatency average (ms)   Average of ModelLatency / 1000  yes
ModelLatency p99 (ms)       p99 of ModelLatency / 1000      yes
==========================  ==============================  =====================

Only the per-fleet series (``blue``, ``green``) are judged: the blended series mixes the two
fleets in proportion to the traffic split, so it differs whenever the phases' timing does, and
that is the phases' mismatch, already reported. A judged series **differs** when its mean over
the run (each run's own minutes) differs by more
than :data:`METRIC_RELATIVE_TOLERANCE` of the predicted mean (at least the series' floor: 0.1
percentage point of errors, 0.5 ms of latency) **and** by more than :data:`METRIC_SIGMAS`
standard errors of the difference: the per-minute values' spread for latency, the binomial
error of the pooled fractions for errors. Both: the difference must matter and must not be
noise. The per-minute differences themselves (on the minutes both runs have) are reported too.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from guardsim.compare.delay import readable
from guardsim.record import RunRecord
from guardsim.reports.series import DIMENSION_SETS, DatapointTable, Series

#: A judged series differs when its mean is off by more than this fraction of the predicted ...
METRIC_RELATIVE_TOLERANCE = 0.25
#: ... and by more than this many standard errors of the difference.
METRIC_SIGMAS = 3.0


@dataclass(frozen=True)
class SeriesSpec:
    key: str
    label: str
    metric: str
    statistic: str
    unit: str
    scale: float
    judged: bool
    floor: float


SERIES: tuple[SeriesSpec, ...] = (
    SeriesSpec("invocations", "invocations per minute", "Invocations", "Sum", "", 1.0, False, 0.0),
    SeriesSpec("5xx", "5XX error fraction", "Invocation5XXErrors", "Average", "", 1.0, True, 1e-3),
    SeriesSpec("4xx", "4XX error fraction", "Invocation4XXErrors", "Average", "", 1.0, True, 1e-3),
    SeriesSpec("latency", "ModelLatency average", "ModelLatency", "Average", "ms", 1e-3, True, 0.5),
    SeriesSpec("latency_p99", "ModelLatency p99", "ModelLatency", "p99", "ms", 1e-3, True, 0.5),
)


@dataclass(frozen=True)
class MetricDifference:
    """One series of two runs: their means, and per-minute values on the minutes both have."""

    series: str
    label: str
    dimensions: str
    unit: str
    judged: bool
    predicted_mean: float | None
    real_mean: float | None
    predicted_minutes: int
    real_minutes: int
    #: (minute start, predicted, real) on the minutes both runs published
    common: tuple[tuple[float, float, float], ...]
    #: standard error of the difference of the means (None when a side has too few minutes)
    se: float | None
    differs: bool

    @property
    def difference(self) -> float | None:
        if self.predicted_mean is None or self.real_mean is None:
            return None
        return self.real_mean - self.predicted_mean

    @property
    def mean_abs_minute_difference(self) -> float | None:
        if not self.common:
            return None
        return float(np.mean([abs(r - p) for _, p, r in self.common]))

    def to_data(self) -> dict[str, Any]:
        return {
            "series": self.series,
            "label": self.label,
            "dimensions": self.dimensions,
            "unit": self.unit,
            "judged": self.judged,
            "predicted_mean": self.predicted_mean,
            "real_mean": self.real_mean,
            "difference": self.difference,
            "predicted_minutes": self.predicted_minutes,
            "real_minutes": self.real_minutes,
            "mean_abs_minute_difference": self.mean_abs_minute_difference,
            "se": self.se,
            "differs": self.differs,
            "minutes": [list(m) for m in self.common],
        }


def _values(series: Series, scale: float) -> dict[float, float]:
    return {t: v * scale for t, v in zip(series.t, series.value, strict=True) if v is not None}


def _fraction_se(a: Series, b: Series) -> tuple[float | None, float | None, float | None]:
    """Pooled fractions of each run (errors / requests) and the binomial SE of their difference."""
    out: list[tuple[float, float]] = []
    for s in (a, b):
        n = sum(c or 0.0 for c in s.sample_count)
        k = sum((v or 0.0) * (c or 0.0) for v, c in zip(s.value, s.sample_count, strict=True))
        out.append((k, n))
    (k1, n1), (k2, n2) = out
    p1 = k1 / n1 if n1 else None
    p2 = k2 / n2 if n2 else None
    if p1 is None or p2 is None:
        return p1, p2, None
    pooled = (k1 + k2) / (n1 + n2)
    return p1, p2, math.sqrt(max(pooled * (1 - pooled), 0.0) * (1 / n1 + 1 / n2))


def _mean_se(
    a: dict[float, float], b: dict[float, float]
) -> tuple[float | None, float | None, float | None]:
    ma = float(np.mean(list(a.values()))) if a else None
    mb = float(np.mean(list(b.values()))) if b else None
    if len(a) < 2 or len(b) < 2:
        return ma, mb, None
    va = float(np.var(list(a.values()), ddof=1))
    vb = float(np.var(list(b.values()), ddof=1))
    return ma, mb, math.sqrt(va / len(a) + vb / len(b))


def _differs(
    spec: SeriesSpec, dims: str, pm: float | None, rm: float | None, se: float | None
) -> bool:
    if not spec.judged or dims == "blended" or pm is None or rm is None:
        return False
    gap = abs(rm - pm)
    if gap <= max(METRIC_RELATIVE_TOLERANCE * abs(pm), spec.floor):
        return False
    return se is None or gap > METRIC_SIGMAS * se


def metric_differences(predicted: RunRecord, real: RunRecord) -> list[MetricDifference]:
    """Every series of :data:`SERIES` on every dimension set either run published."""
    tp, tr = DatapointTable(readable(predicted)), DatapointTable(readable(real))
    out: list[MetricDifference] = []
    for dims in DIMENSION_SETS:
        for spec in SERIES:
            if not (tp.has(spec.metric, dims) or tr.has(spec.metric, dims)):
                continue
            sp = tp.series(spec.metric, dims, spec.statistic)
            sr = tr.series(spec.metric, dims, spec.statistic)
            vp, vr = _values(sp, spec.scale), _values(sr, spec.scale)
            if spec.statistic == "Average" and spec.metric.startswith("Invocation"):
                pm, rm, se = _fraction_se(sp, sr)
            else:
                pm, rm, se = _mean_se(vp, vr)
            common = tuple((t, vp[t], vr[t]) for t in sorted(set(vp) & set(vr)))
            out.append(
                MetricDifference(
                    series=spec.key,
                    label=spec.label,
                    dimensions=dims,
                    unit=spec.unit,
                    judged=spec.judged and dims != "blended",
                    predicted_mean=pm,
                    real_mean=rm,
                    predicted_minutes=len(vp),
                    real_minutes=len(vr),
                    common=common,
                    se=se,
                    differs=_differs(spec, dims, pm, rm, se),
                )
            )
    return out


def median_or_none(values: Sequence[float]) -> float | None:
    return float(np.median(values)) if len(values) else None
