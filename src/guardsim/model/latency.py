"""Latency as guardsim models it: a scaled, shifted lognormal, written once for every engine.

A batch of requests of one fleet in one routing state has latencies ``exp(mu + sigma Z) *
scale + add`` (Z standard normal): ``mu`` and ``sigma`` come from the model's median and p99
(:func:`lognormal_params`), ``scale`` and ``add`` from faults and load (``scale == 0`` or
``sigma == 0`` is a constant). Every function here takes scalars or numpy arrays alike and
broadcasts them (the scipy.stats way): the per-replication engine calls it with one batch, the
batch engine with a block of thousands. Where the per-replication hot path needs a scalar
specialisation for speed, it sits next to the array version with the suffix ``_scalar`` (pure
``math``, no numpy call overhead), and ``tests/model/test_latency.py`` holds the two equal:

=====================  ==========================  =========================================
quantity               array (scalar or ndarray)   scalar specialisation
=====================  ==========================  =========================================
parameters             :func:`lognormal_params`    (the same function)
mean and variance      :func:`moments`             :func:`moments_scalar`
quantile function      :func:`quantile`            :func:`quantile_scalar`
CDF                    :func:`cdf`                 :func:`cdf_scalar`
Sum, Minimum, Maximum  :func:`draw_summaries`      :func:`draw_stats`
mixture quantile       :func:`mixture_quantile`    :func:`mixture_quantile_scalar`
=====================  ==========================  =========================================

**Summary draws.** CloudWatch keeps a statistic set (SampleCount, Sum, Minimum, Maximum) per
minute. Below :data:`NORMAL_SUM_THRESHOLD` samples every value is drawn (exact, consistent):
the unscaled ``exp(mu + sigma Z)``, whose Sum, Minimum and Maximum are then scaled and
shifted (``scale > 0`` keeps the order; the Sum's rounding is that of ``scale x sum + n x
add``).
Above it, Minimum and Maximum are exact order statistics (U ~ Beta(1, n) and Beta(n, 1) through
the quantile function) and the Sum is normal with the exact mean and variance (central limit
theorem), clipped to [n x Minimum, n x Maximum]; the three are drawn independently.

**Mixture quantile.** A window's percentile is the r-th order statistic of the pooled samples of
several batches, ``G^-1(U)`` with ``G`` the count-weighted mixture CDF. One algorithm: bisection
between the smallest and the largest of the components' own ``U``-quantiles (they bracket
``G^-1(U)``: at the smallest every component's CDF is at most ``U``, at the largest at least
``U``), at most :data:`MIXTURE_ITERATIONS` halvings, stopped once the bracket is within
:data:`MIXTURE_RTOL` of its upper end (relative, or absolute below 1).

scipy is imported on first use of an array function: the per-replication engine uses only the
scalar specialisations, and importing ``scipy.special`` would add to every command's start-up.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from statistics import NormalDist
from typing import Any, overload

import numpy as np
import numpy.typing as npt

from guardsim.model.arrays import reduce_last
from guardsim.scenarios.distributions import Z99

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
#: One mixture component for :func:`mixture_quantile_scalar`: (weight, mu, sigma, scale, add).
Component = tuple[float, float, float, float, float]
#: Batches of at least this many requests get a normal-approximated latency Sum (central limit
#: theorem; the lognormal's skew makes smaller sums visibly non-normal). Smaller batches draw
#: every latency, so their Sum, Minimum and Maximum are exact and consistent.
NORMAL_SUM_THRESHOLD = 30
#: Uniforms are clipped to [U_MIN, U_MAX] before the normal quantile (a Beta(1, n) draw can
#: underflow to 0 and a Beta(n, 1) draw round to 1, where the quantile is infinite).
U_MIN = 1e-300
U_MAX = 1.0 - 1e-16
#: The mixture quantile's bisection: at most this many halvings ...
MIXTURE_ITERATIONS = 100
#: ... stopped once ``hi - lo <= MIXTURE_RTOL * max(1, |hi|)``.
MIXTURE_RTOL = 1e-9

_STD_NORMAL = NormalDist()
_SQRT2 = math.sqrt(2.0)

#: Scalar or array argument (broadcast together).
ArrayLike = float | npt.NDArray[Any]


def _special() -> Any:
    from scipy import special  # first use only (see the module docstring)

    return special


def load_array_support() -> None:
    """Import what the array functions need (scipy.special) now, not on their first call: the
    batch engine calls it when it is imported, so its first block is not the one that pays."""
    _special()


# --------------------------------------------------------------------------- parameters


@overload
def lognormal_params(median: float, p99: float) -> tuple[float, float]: ...
@overload
def lognormal_params(median: FloatArray, p99: FloatArray) -> tuple[FloatArray, FloatArray]: ...
def lognormal_params(median: ArrayLike, p99: ArrayLike) -> tuple[Any, Any]:
    """(mu, sigma) of the lognormal with this median and 99th percentile (same unit)."""
    if isinstance(median, float | int) and isinstance(p99, float | int):
        mu = math.log(median)
        return mu, (math.log(p99) - mu) / Z99
    mu_a = np.log(np.asarray(median, dtype=np.float64))
    return mu_a, (np.log(np.asarray(p99, dtype=np.float64)) - mu_a) / Z99


# --------------------------------------------------------------------------- moments


def moments(
    mu: ArrayLike, sigma: ArrayLike, scale: ArrayLike = 1.0, add: ArrayLike = 0.0
) -> tuple[Any, Any]:
    """(mean, variance) of ``exp(mu + sigma Z) * scale + add`` (a constant has variance 0)."""
    mu_a, sg, sc, ad = (np.asarray(v, dtype=np.float64) for v in (mu, sigma, scale, add))
    s2 = sg * sg
    mean = sc * np.exp(mu_a + s2 / 2) + ad
    var = sc * sc * np.expm1(s2) * np.exp(2 * mu_a + s2)
    return mean, var


def moments_scalar(
    mu: float, sigma: float, scale: float = 1.0, add: float = 0.0
) -> tuple[float, float]:
    """:func:`moments` of one component, with ``math``."""
    s2 = sigma * sigma
    mean = scale * math.exp(mu + s2 / 2) + add
    var = scale * scale * math.expm1(s2) * math.exp(2 * mu + s2)
    return mean, var


# --------------------------------------------------------------------------- quantile and CDF


def quantile(
    u: ArrayLike, mu: ArrayLike, sigma: ArrayLike, scale: ArrayLike = 1.0, add: ArrayLike = 0.0
) -> Any:
    """The ``u``-quantile (``u`` clipped to [U_MIN, U_MAX])."""
    z = _special().ndtri(np.clip(u, U_MIN, U_MAX))
    return np.exp(np.add(mu, np.multiply(sigma, z))) * scale + add


def quantile_scalar(
    u: float, mu: float, sigma: float, scale: float = 1.0, add: float = 0.0
) -> float:
    """:func:`quantile` of one component, with ``math``."""
    if scale == 0.0:
        return add
    if sigma == 0.0:
        return math.exp(mu) * scale + add
    u = U_MIN if u < U_MIN else (U_MAX if u > U_MAX else u)
    return math.exp(mu + sigma * _STD_NORMAL.inv_cdf(u)) * scale + add


def cdf(
    x: ArrayLike, mu: ArrayLike, sigma: ArrayLike, scale: ArrayLike = 1.0, add: ArrayLike = 0.0
) -> Any:
    """P(latency <= ``x``); a constant component is a step at its value."""
    x_a, mu_a, sg, sc, ad = (np.asarray(v, dtype=np.float64) for v in (x, mu, sigma, scale, add))
    constant = (sc == 0.0) | (sg == 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):  # constants' entries are replaced
        smooth = _smooth_cdf(x_a, mu_a, sg, sc, ad)
    if not constant.any():
        return smooth
    step = (x_a >= np.exp(mu_a) * sc + ad).astype(np.float64)
    return np.where(constant, step, smooth)


def _smooth_cdf(x: Any, mu: Any, sigma: Any, scale: Any, add: Any) -> Any:
    """:func:`cdf` of non-constant components (``x <= add``: log 0 = -inf, so 0)."""
    return _special().ndtr((np.log(np.maximum(x - add, 0.0) / scale) - mu) / sigma)


def cdf_scalar(x: float, mu: float, sigma: float, scale: float = 1.0, add: float = 0.0) -> float:
    """:func:`cdf` of one component, with ``math``."""
    if scale == 0.0 or sigma == 0.0:
        return 1.0 if x >= quantile_scalar(0.5, mu, sigma, scale, add) else 0.0
    if x <= add:
        return 0.0
    z = (math.log((x - add) / scale) - mu) / sigma
    return 0.5 * math.erfc(-z / _SQRT2)


# --------------------------------------------------------------------------- summary draws


def draw_summaries(
    rng: np.random.Generator,
    n: IntArray,
    mu: ArrayLike,
    sigma: ArrayLike,
    scale: ArrayLike,
    add: ArrayLike,
    threshold: int = NORMAL_SUM_THRESHOLD,
    extremes: bool = True,
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Sum, Minimum and Maximum of ``n`` samples per segment (``n`` an integer array; the
    parameters broadcast to its shape), from their sampling distributions (module docstring).
    An empty segment gives (0, inf, -inf), the identity of merging statistic sets.
    ``extremes=False`` (nobody reads Minimum or Maximum): they are not worked out (left inf,
    -inf; a large segment's only where they may clip its Sum); the draws, and so the Sums and
    the generator's state, are the same bit for bit.

    Draw order (which :func:`draw_stats` follows for one segment): every small segment's
    standard normals together, then Beta(1, n) for the large ones, Beta(n, 1), the normal Sums.
    """
    n = np.asarray(n)
    shape = n.shape
    count = n.reshape(-1)
    # scalar parameters stay scalars (the batch engine's mu and sigma): no indexing needed;
    # the others flat, as the counts, and every group of segments taken by its indices (in
    # the order a boolean mask gives them, so the draws are the same)
    mu_a, sg, sc, ad = (_flat(v, shape) for v in (mu, sigma, scale, add))
    total = np.zeros(count.size)
    lo = np.full(count.size, math.inf)
    hi = np.full(count.size, -math.inf)
    drawn: Any = (sc != 0.0) & (sg != 0.0)  # not a constant (an array, or a 0-d one)
    if not drawn.all():
        const = np.flatnonzero(~drawn & (count > 0))
        if len(const):
            v = np.exp(_at(mu_a, const)) * _at(sc, const) + _at(ad, const)
            total[const], lo[const], hi[const] = v * count[const], v, v
    small = np.flatnonzero(drawn & (count > 0) & (count < threshold))
    if len(small):
        k = count[small]
        z = rng.standard_normal(int(k.sum()))
        # exp(mu + sigma z) in place (the same operations, no temporaries)
        e = z
        if mu_a.ndim or sg.ndim:  # per-segment shapes: each sample's segment's parameters
            at = np.repeat(small, k)
            e *= _at(sg, at)
            e += _at(mu_a, at)
        else:
            e *= sg
            e += mu_a
        np.exp(e, out=e)
        starts = np.zeros(len(k), dtype=np.int64)
        np.cumsum(k[:-1], out=starts[1:])
        # scale > 0 here (0 is a constant): x -> x * scale + add keeps the order, so a
        # segment's Minimum and Maximum are those of its unscaled samples, mapped
        c, a = _at(sc, small), _at(ad, small)
        total[small] = np.add.reduceat(e, starts) * c + a * k
        if extremes:
            lo[small] = np.minimum.reduceat(e, starts) * c + a
            hi[small] = np.maximum.reduceat(e, starts) * c + a
    big = np.flatnonzero(drawn & (count >= threshold))
    if len(big):
        k = count[big].astype(np.float64)
        m, s, c, a = _at(mu_a, big), _at(sg, big), _at(sc, big), _at(ad, big)
        u_min = rng.beta(1.0, k)
        u_max = rng.beta(k, 1.0)
        mean, var = moments(m, s, c, a)
        draw = rng.normal(k * mean, np.sqrt(k * var))
        if extremes:
            mn, mx = quantile(u_min, m, s, c, a), quantile(u_max, m, s, c, a)
            total[big] = np.minimum(np.maximum(draw, k * mn), k * mx)
            lo[big], hi[big] = mn, mx
        else:
            # Minimum and Maximum only where they may clip the Sum: Minimum <= the 25th
            # percentile when its uniform is <= 0.2 (the quantile function increases), so a
            # Sum at or above n times that is not clipped from below; likewise above
            total[big] = draw
            may = ~(
                (u_min <= _CLIP_U[0])
                & (draw >= k * quantile(_CLIP_Q[0], m, s, c, a))
                & (u_max >= _CLIP_U[1])
                & (draw <= k * quantile(_CLIP_Q[1], m, s, c, a))
            )
            if may.any():
                at = big[may]
                m_, s_, c_, a_ = (v if v.ndim == 0 else v[may] for v in (m, s, c, a))
                mn = quantile(u_min[may], m_, s_, c_, a_)
                mx = quantile(u_max[may], m_, s_, c_, a_)
                kk = k[may]
                total[at] = np.minimum(np.maximum(draw[may], kk * mn), kk * mx)
    return total.reshape(shape), lo.reshape(shape), hi.reshape(shape)


#: ``draw_summaries(extremes=False)``: the uniforms beyond which a large segment's Minimum
#: (Maximum) is worked out, and the quantiles the Sum is compared with (with a margin: the
#: comparison never rests on the quantile function's last bits).
_CLIP_U = (0.2, 0.8)
_CLIP_Q = (0.25, 0.75)


def _flat(v: ArrayLike, shape: tuple[int, ...]) -> FloatArray:
    """``v`` as a float array: a 0-d array if it is a scalar, else broadcast to ``shape``
    and flattened."""
    a = np.asarray(v, dtype=np.float64)
    return a if a.ndim == 0 else np.broadcast_to(a, shape).reshape(-1)


def _at(v: FloatArray, index: Any) -> FloatArray:
    """``v[index]``, or ``v`` itself if it is a 0-d array (a scalar)."""
    if v.ndim == 0:
        return v
    out: FloatArray = v[index]
    return out


def draw_stats(
    rng: np.random.Generator,
    n: int,
    mu: float,
    sigma: float,
    scale: float,
    add: float,
    threshold: int = NORMAL_SUM_THRESHOLD,
) -> tuple[int, float, float, float]:
    """:func:`draw_summaries` of one segment of ``n >= 1`` samples as (SampleCount, Sum,
    Minimum, Maximum) (the per-replication hot path): the same draws from the same generator,
    in the same order."""
    if scale == 0.0 or sigma == 0.0:  # constant: no draw
        v = math.exp(mu) * scale + add
        return n, v * n, v, v
    if n < threshold:  # every sample: draw_summaries' formula (scale > 0 keeps the order)
        e = np.exp(mu + sigma * rng.standard_normal(n))
        lo, hi = float(e.min()) * scale + add, float(e.max()) * scale + add
        return n, float(e.sum()) * scale + add * n, lo, hi
    u_min, u_max = float(rng.beta(1.0, n)), float(rng.beta(n, 1.0))
    # quantile_scalar() and moments_scalar() inlined, and min(a, b) and max(a, b) written out as
    # what the builtins do, b if a > b (a < b) else a: the same values at a fraction of the cost
    # (this runs for every batch).
    u_min = U_MIN if u_min < U_MIN else u_min
    u_min = U_MAX if u_min > U_MAX else u_min
    u_max = U_MIN if u_max < U_MIN else u_max
    u_max = U_MAX if u_max > U_MAX else u_max
    exp, inv_cdf = math.exp, _STD_NORMAL.inv_cdf
    lo = exp(mu + sigma * inv_cdf(u_min)) * scale + add
    hi = exp(mu + sigma * inv_cdf(u_max)) * scale + add
    s2 = sigma * sigma
    mean = scale * exp(mu + s2 / 2) + add
    var = scale * scale * math.expm1(s2) * exp(2 * mu + s2)
    total = float(rng.normal(n * mean, math.sqrt(n * var)))
    floor, ceiling = n * lo, n * hi  # total is clipped to [n x Minimum, n x Maximum]
    total = floor if floor > total else total
    total = ceiling if ceiling < total else total
    return n, total, lo, hi


# --------------------------------------------------------------------------- mixture quantile


def mixture_quantile(
    weight: FloatArray,
    mu: ArrayLike,
    sigma: ArrayLike,
    scale: ArrayLike,
    add: ArrayLike,
    u: FloatArray,
) -> FloatArray:
    """Per row, ``x`` with ``G(x) = u``: ``G`` the mixture of a row's components (the last
    axis) weighted by ``weight`` (components of weight 0 are ignored; a row needs one of
    positive weight). The parameters broadcast to ``weight``'s shape ``[rows, K]``; ``u`` has
    one entry per row. See the module docstring for the algorithm."""
    weight = np.asarray(weight, dtype=np.float64)
    shape = weight.shape
    mu_given, sg_given = np.asarray(mu, dtype=np.float64), np.asarray(sigma, dtype=np.float64)
    mu_a, sg, sc, ad = (
        np.broadcast_to(np.asarray(v, dtype=np.float64), shape) for v in (mu, sigma, scale, add)
    )
    u = np.asarray(u, dtype=np.float64)
    used = weight > 0
    # mu and sigma given as numbers: exp(mu + sigma z) once per row, then each component's
    # scale and add (the same values as working it out component by component)
    q = quantile(
        u[:, None],
        mu_given if mu_given.ndim == 0 else mu_a,
        sg_given if sg_given.ndim == 0 else sg,
        sc,
        ad,
    )
    lo = reduce_last(np.minimum, np.where(used, q, math.inf))
    hi = reduce_last(np.maximum, np.where(used, q, -math.inf))
    result: FloatArray = lo.copy()
    rows = np.nonzero(hi > lo)[0]
    if not len(rows):
        return result
    w, m, s, c, a = weight[rows], mu_a[rows], sg[rows], sc[rows], ad[rows]
    total = w.sum(axis=1)
    target = u[rows]
    lo, hi = lo[rows], hi[rows]
    # cdf() of the common case, no constant component, without its checks in the loop
    g_of = cdf if ((c == 0.0) | (s == 0.0)).any() else _smooth_cdf
    for _ in range(MIXTURE_ITERATIONS):
        mid = 0.5 * (lo + hi)
        with np.errstate(divide="ignore"):
            g = reduce_last(np.add, w * g_of(mid[:, None], m, s, c, a)) / total
        below = g < target
        lo = np.where(below, mid, lo)
        hi = np.where(below, hi, mid)
        if np.all(hi - lo <= MIXTURE_RTOL * np.maximum(1.0, np.abs(hi))):
            break
    result[rows] = 0.5 * (lo + hi)
    return result


def mixture_quantile_scalar(components: Sequence[Component], u: float) -> float:
    """:func:`mixture_quantile` of one row, components given as ``(weight, mu, sigma, scale,
    add)`` tuples (the per-replication engine's :class:`~guardsim.simulator.metrics.
    LatencyComponent` is one): the same bracket, iteration limit and tolerance."""
    lo, hi = math.inf, -math.inf
    for w, mu, sigma, scale, add in components:
        if w > 0:
            q = quantile_scalar(u, mu, sigma, scale, add)
            lo = q if q < lo else lo
            hi = q if q > hi else hi
    if lo >= hi:
        return lo
    total = sum(c[0] for c in components if c[0] > 0)
    used = [c for c in components if c[0] > 0]
    for _ in range(MIXTURE_ITERATIONS):
        mid = 0.5 * (lo + hi)
        g = sum(w * cdf_scalar(mid, mu, s, sc, ad) for w, mu, s, sc, ad in used) / total
        if g < u:
            lo = mid
        else:
            hi = mid
        if hi - lo <= MIXTURE_RTOL * max(1.0, abs(hi)):
            break
    return 0.5 * (lo + hi)
