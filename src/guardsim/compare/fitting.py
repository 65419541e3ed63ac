"""Estimators for calibration: each returns a value, a 95 % interval and how it was computed.

Pure functions of plain numbers; nothing here knows about run records or scenarios.

* :func:`fit_duration`: a duration distribution (``fixed``, ``uniform`` or ``lognormal``, in the
  scenario's own ``{kind: ...}`` form) from observed durations. The family: ``fixed`` when the
  observations do not vary (a simulated "real" run with a fixed hidden setting); otherwise the
  scenario's own family, or, when the scenario says ``fixed`` but the data vary, whichever of
  lognormal and uniform has the larger maximised likelihood (both have two parameters, so that
  is also the AIC choice).

  - lognormal: ``mu`` and ``sigma`` are the mean and standard deviation of the log durations;
    median ``exp(mu)`` with the t interval ``exp(mu +- t(0.975, n-1) s / sqrt n)``; p99
    ``exp(mu + 2.326 sigma)`` with a delta-method interval on the log scale,
    ``se = s sqrt(1/n + 2.326^2 / (2 (n-1)))``.
  - uniform: the unbiased endpoints ``min - R/(n-1)`` and ``max + R/(n-1)`` (``R`` the range);
    the interval of ``low`` is ``[min - R (1 - 0.05^(1/n)), min]`` (the sample minimum is at most
    that far above the true low with 95 % probability), and symmetrically for ``high``.
  - fixed: the mean, with its t interval.

* :func:`fit_lognormal_quantiles`: a lognormal latency from per-minute percentiles (p50 and
  p99 of ``n`` samples each). CloudWatch's pNN is the r-th smallest sample, ``r = max(1,
  ceil(p n))``; its log is about ``mu + sigma z``, with ``z`` the normal score of the r-th of n
  order statistics (Blom's ``Phi^-1((r - 0.375) / (n + 0.25))``). ``mu`` and ``sigma`` come from
  a least-squares line through all ``(z, log value)`` pairs; the interval is a bootstrap over
  minutes (:data:`BOOTSTRAP_RESAMPLES` resamples, fixed seed, percentile interval).
* :func:`fit_proportion`: an error rate, with the Wilson score interval.
* :func:`fit_mean`: a mean with its t interval (the alarm reaction latency).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from statistics import NormalDist
from typing import Any

import numpy as np
import numpy.typing as npt

from guardsim.cloudwatch.statistics import ceil_rank
from guardsim.intervals import wilson_interval
from guardsim.scenarios.distributions import Z99

#: Two-sided 95 %: Phi^-1(0.975).
Z975 = 1.959963984540054
#: Bootstrap resamples behind the latency intervals (the seed is fixed: results are repeatable).
BOOTSTRAP_RESAMPLES = 400
BOOTSTRAP_SEED = 20240611
#: Observations closer together than this (relative to their size, or 1 ms) count as one value.
NO_SPREAD = 1e-6

_NORMAL = NormalDist()
#: Observations: a sequence of numbers or a numpy array.
Values = Sequence[float] | npt.NDArray[np.float64]
#: t(0.975, df) for df = 1..30 (beyond 30 a Cornish-Fisher expansion is accurate to 1e-4).
_T975 = (
    12.7062, 4.3027, 3.1824, 2.7764, 2.5706, 2.4469, 2.3646, 2.3060, 2.2622, 2.2281,
    2.2010, 2.1788, 2.1604, 2.1448, 2.1314, 2.1199, 2.1098, 2.1009, 2.0930, 2.0860,
    2.0796, 2.0739, 2.0687, 2.0639, 2.0595, 2.0555, 2.0518, 2.0484, 2.0452, 2.0423,
)  # fmt: skip


def t975(df: int) -> float:
    """The 97.5 % quantile of Student's t with ``df`` degrees of freedom (two-sided 95 %)."""
    if df < 1:
        raise ValueError(f"degrees of freedom must be >= 1, got {df}")
    if df <= len(_T975):
        return _T975[df - 1]
    z = Z975
    g1 = (z**3 + z) / 4
    g2 = (5 * z**5 + 16 * z**3 + 3 * z) / 96
    g3 = (3 * z**7 + 19 * z**5 + 17 * z**3 - 15 * z) / 384
    return z + g1 / df + g2 / df**2 + g3 / df**3


@dataclass(frozen=True)
class Estimate:
    """One fitted number: ``value``, its 95 % interval ``[low, high]`` and ``n`` observations.

    ``method`` names how the interval was computed (``t interval``, ``Wilson``, ``bootstrap``,
    ...); ``se`` is the standard error where the method has one (None otherwise).
    """

    value: float
    low: float
    high: float
    n: int
    method: str
    se: float | None = None

    def to_data(self) -> dict[str, Any]:
        return {
            "value": _finite(self.value),
            "ci95": [_finite(self.low), _finite(self.high)],
            "n": self.n,
            "method": self.method,
            "se": _finite(self.se),
        }


def _finite(x: float | None) -> float | None:
    """JSON has no infinity: an unbounded interval end is written as null."""
    return x if x is not None and math.isfinite(x) else None


@dataclass(frozen=True)
class DistributionFit:
    """A fitted distribution: its scenario form (``{kind: ..., ...}``) and each parameter."""

    kind: str
    parameters: dict[str, Estimate] = field(default_factory=dict)
    note: str = ""

    @property
    def data(self) -> dict[str, Any]:
        """As a scenario file writes it: ``{kind: lognormal, median: ..., p99: ...}``."""
        return {"kind": self.kind, **{k: _tidy(e.value) for k, e in self.parameters.items()}}


def _tidy(x: float) -> float:
    """Round to 4 significant digits (a scenario file should read well; the fit is not finer)."""
    if x == 0 or not math.isfinite(x):
        return float(x)
    return float(f"{x:.4g}")


def no_spread(values: Values) -> bool:
    arr = np.asarray(values, dtype=float)
    scale = max(1e-3, float(np.max(np.abs(arr))))
    return float(np.ptp(arr)) <= NO_SPREAD * scale


def fit_mean(values: Values, *, minimum: float | None = None) -> Estimate:
    """The mean with its 95 % t interval (clipped at ``minimum`` if given)."""
    arr = np.asarray(values, dtype=float)
    n = len(arr)
    if n == 0:
        raise ValueError("no observations")
    mean = float(arr.mean())
    if n == 1:
        lo, hi, se = -math.inf, math.inf, None
        method = "single observation: no interval"
    else:
        se = float(arr.std(ddof=1)) / math.sqrt(n)
        half = t975(n - 1) * se
        lo, hi = mean - half, mean + half
        method = "95 % t interval of the mean"
    if minimum is not None:
        mean, lo, hi = max(mean, minimum), max(lo, minimum), max(hi, minimum)
    return Estimate(mean, lo, hi, n, method, se)


def _lognormal_from_logs(logs: np.ndarray, note: str = "") -> DistributionFit:
    n = len(logs)
    mu = float(logs.mean())
    s = float(logs.std(ddof=1)) if n > 1 else 0.0
    t = t975(n - 1) if n > 1 else math.inf
    se_mu = s / math.sqrt(n) if n > 1 else math.inf
    median = Estimate(
        math.exp(mu),
        math.exp(mu - t * se_mu) if n > 1 else 0.0,
        math.exp(mu + t * se_mu) if n > 1 else math.inf,
        n,
        "95 % t interval on the log scale" if n > 1 else "single observation: no interval",
        math.exp(mu) * se_mu if n > 1 else None,
    )
    log_p99 = mu + Z99 * s
    se_p99 = s * math.sqrt(1 / n + Z99**2 / (2 * (n - 1))) if n > 1 else math.inf
    p99 = Estimate(
        math.exp(log_p99),
        math.exp(log_p99 - Z975 * se_p99) if n > 1 else 0.0,
        math.exp(log_p99 + Z975 * se_p99) if n > 1 else math.inf,
        n,
        "95 % delta-method interval on the log scale" if n > 1 else "single observation",
        math.exp(log_p99) * se_p99 if n > 1 else None,
    )
    return DistributionFit("lognormal", {"median": median, "p99": p99}, note)


def _uniform(arr: np.ndarray) -> DistributionFit:
    n = len(arr)
    lo, hi = float(arr.min()), float(arr.max())
    r = hi - lo
    pad = r / (n - 1) if n > 1 else 0.0
    reach = r * (1 - 0.05 ** (1 / n)) if n > 1 else math.inf
    method = "95 % interval from the distribution of the sample extreme"
    low = Estimate(max(0.0, lo - pad), max(0.0, lo - reach), lo, n, method)
    high = Estimate(hi + pad, hi, hi + reach, n, method)
    return DistributionFit("uniform", {"low": low, "high": high})


def _loglik_uniform(arr: np.ndarray) -> float:
    r = float(np.ptp(arr))
    return -len(arr) * math.log(r) if r > 0 else math.inf


def _loglik_lognormal(arr: np.ndarray) -> float:
    logs = np.log(arr)
    s = float(logs.std(ddof=0))
    if s <= 0:
        return math.inf
    n = len(arr)
    return float(-n * math.log(s * math.sqrt(2 * math.pi)) - n / 2 - logs.sum())


def fit_duration(values: Values, family: str = "lognormal") -> DistributionFit:
    """Fit a duration distribution to ``values`` (seconds); ``family`` is the scenario's kind.

    See the module docstring for the family rule and the intervals.
    """
    arr = np.asarray(values, dtype=float)
    if len(arr) == 0:
        raise ValueError("no observations")
    if len(arr) == 1 or no_spread(arr):
        est = fit_mean(arr, minimum=0.0)
        return DistributionFit("fixed", {"value": est}, "the observations do not vary")
    positive = bool(np.all(arr > 0))
    if family == "fixed":
        family = (
            "lognormal"
            if positive and _loglik_lognormal(arr) >= _loglik_uniform(arr)
            else "uniform"
        )
        note = f"the scenario says fixed but the observations vary: {family} fits them better"
    else:
        note = ""
    if family == "lognormal" and positive:
        fit = _lognormal_from_logs(np.log(arr), note)
        return fit
    if family == "lognormal":
        note = "an observation is 0, so no lognormal fits: uniform instead"
    fit = _uniform(arr)
    return DistributionFit(fit.kind, fit.parameters, note)


@functools.lru_cache(maxsize=64)
def expected_max_normal(k: int) -> float:
    """E[max of k independent standard normals] (numerical integration; 0 for k = 1)."""
    if k <= 1:
        return 0.0
    z = np.linspace(-9.0, 9.0, 4001)
    pdf = np.exp(-0.5 * z * z) / math.sqrt(2 * math.pi)
    cdf = np.array([_NORMAL.cdf(float(v)) for v in z])
    integrand = z * k * pdf * cdf ** (k - 1)
    return float(np.sum((integrand[1:] + integrand[:-1]) * np.diff(z)) / 2)


def fit_lognormal_from_maxima(maxima: Sequence[tuple[float, int]], sigma: float) -> DistributionFit:
    """Per-instance lognormal from fleet-ready times ``(seconds, k)``, each the slowest of ``k``
    instances launched together.

    ``sigma`` (the log-scale spread) is held at the scenario's value: ``log max = mu + sigma
    Z_(k:k)``, so ``mu = mean(log max - sigma E[Z_(k:k)])``; the median's interval is the t
    interval of that mean.
    """
    logs = np.array([math.log(x) - sigma * expected_max_normal(k) for x, k in maxima])
    n = len(logs)
    mu = float(logs.mean())
    if n > 1:
        se = float(logs.std(ddof=1)) / math.sqrt(n)
        t = t975(n - 1)
        med = Estimate(
            math.exp(mu),
            math.exp(mu - t * se),
            math.exp(mu + t * se),
            n,
            "95 % t interval on the log scale (sigma held at the scenario's)",
            math.exp(mu) * se,
        )
    else:
        med = Estimate(math.exp(mu), 0.0, math.inf, n, "single observation: no interval")
    ratio = math.exp(Z99 * sigma)
    p99_est = Estimate(
        med.value * ratio,
        med.low * ratio,
        med.high * ratio,
        n,
        "the median's interval, scaled (sigma held at the scenario's)",
    )
    sizes = sorted({k for _, k in maxima})
    return DistributionFit(
        "lognormal",
        {"median": med, "p99": p99_est},
        f"from fleet-ready times (each the slowest of {'/'.join(map(str, sizes))} instances): "
        "the spread (p99/median) is the scenario's",
    )


def order_statistic_z(p: float, n: int) -> float:
    """Normal score of CloudWatch's pNN of ``n`` samples: the r-th smallest, r = max(1,
    ceil(p n)) (see aws-model.md#low-sample-percentiles), at Blom's plotting position
    ``(r - 0.375) / (n + 0.25)``."""
    r = ceil_rank(Fraction(str(p)) * 100, n)  # p as written (0.99 is 99/100, exactly)
    return _NORMAL.inv_cdf((r - 0.375) / (n + 0.25))


def _line(z: np.ndarray, y: np.ndarray) -> tuple[float, float] | None:
    zc = z - z.mean()
    den = float(np.dot(zc, zc))
    if den <= 1e-12:
        return None
    sigma = float(np.dot(zc, y - y.mean())) / den
    return float(y.mean() - sigma * z.mean()), max(0.0, sigma)


def fit_lognormal_quantiles(
    minutes: Sequence[tuple[int, float | None, float | None]],
) -> DistributionFit | None:
    """Lognormal (median, p99) from per-minute ``(n, p50, p99)``; None if they cannot tell.

    See the module docstring. Values are in whatever unit they come in (convert before).
    """
    rows: list[tuple[float, float, int]] = []  # (z, log value, minute index)
    for i, (n, p50, p99) in enumerate(minutes):
        if n <= 0:
            continue
        for p, v in ((0.50, p50), (0.99, p99)):
            if v is not None and v > 0:
                rows.append((order_statistic_z(p, n), math.log(v), i))
    if not rows:
        return None
    z = np.array([r[0] for r in rows])
    y = np.array([r[1] for r in rows])
    idx = np.array([r[2] for r in rows])
    line = _line(z, y)
    if line is None:
        return None
    mu, sigma = line
    minute_ids = np.unique(idx)
    rng = np.random.default_rng(BOOTSTRAP_SEED)
    by_minute = {m: np.flatnonzero(idx == m) for m in minute_ids}
    medians, p99s = [], []
    for _ in range(BOOTSTRAP_RESAMPLES):
        pick = rng.choice(minute_ids, size=len(minute_ids), replace=True)
        rows_b = np.concatenate([by_minute[m] for m in pick])
        lb = _line(z[rows_b], y[rows_b])
        if lb is None:
            continue
        medians.append(math.exp(lb[0]))
        p99s.append(math.exp(lb[0] + Z99 * lb[1]))
    n_min = len(minute_ids)
    method = f"95 % bootstrap percentile interval ({BOOTSTRAP_RESAMPLES} resamples of minutes)"

    def est(value: float, boots: list[float]) -> Estimate:
        if len(boots) < 10:
            return Estimate(value, 0.0, math.inf, n_min, "too few minutes for an interval")
        lo, hi = np.percentile(boots, [2.5, 97.5])
        return Estimate(value, float(lo), float(hi), n_min, method, float(np.std(boots, ddof=1)))

    median = math.exp(mu)
    p99 = math.exp(mu + Z99 * sigma)
    return DistributionFit("lognormal", {"median": est(median, medians), "p99": est(p99, p99s)})


def fit_proportion(k: int, n: int) -> Estimate:
    """``k`` of ``n``, with the 95 % Wilson score interval."""
    lo, hi = wilson_interval(k, n)
    p = k / n
    return Estimate(p, lo, hi, n, "95 % Wilson score interval", math.sqrt(p * (1 - p) / n))
