"""Statistical judges of new-versus-old error counts, looked at once a minute during the bakes.

A judge reads what a CloudWatch alarm reads, each fleet's requests and errors per minute, and
decides "the new fleet is worse" at the first minute its test says so. Every judge here is a
pure function of per-minute count arrays of shape ``(replications, minutes)`` (one row per
Monte Carlo replication, one column per look) and returns, per replication, the index of the
first look at which it detects (-1: never). The engines supply the counts; the judges keep no
model of their own.

The judges and what they guarantee when the new fleet is as good as the old (the null
hypothesis), for any number of looks:

* :func:`two_proportion`: the pooled two-proportion z-test of the cumulative counts at each
  look, one-sided at level ``alpha`` **per look**. Looked at every minute, its false-detection
  probability over a bake grows with the number of looks (the "peeking" problem; Armitage,
  McPherson and Rowe (1969), "Repeated significance tests on accumulating data", JRSS A 132(2)).
  It is here to show that inflation.
* :func:`sprt`: Wald's sequential probability ratio test of "no worse" (odds ratio 1) against
  a fixed alternative odds ratio, stopping for detection when the likelihood ratio reaches
  ``1 / alpha``. The likelihood ratio is a nonnegative martingale under the null, so by Ville's
  inequality the false-detection probability over any number of looks is at most ``alpha``
  (Wald (1945), "Sequential tests of statistical hypotheses", Ann. Math. Statist. 16(2)).
* :func:`e_process`: the same likelihood ratio mixed over a grid of alternative odds ratios
  (a mixture martingale, an e-process), so no single effect size has to be guessed: anytime-
  valid at ``alpha`` by Ville's inequality (Ramdas, Grünwald, Vovk and Shafer (2023),
  "Game-theoretic statistics and safe anytime-valid inference", Statist. Sci. 38(4);
  https://arxiv.org/abs/2210.01948).

* :func:`known_rate_log_ratio`: not a judge a user can run (it needs both error rates), but the
  yardstick of what any guard could do on a scenario whose rates are known: the new fleet's
  per-minute log likelihood ratio of error rate ``p1`` against ``p0``, which the alarm search's
  ``excess`` form approximates over a sliding window (:func:`guardsim.design.search.sprt_weight`).

The likelihood ratio of one minute is exact for guardsim's model of errors, in which each
request of a fleet fails independently with that fleet's probability: given the minute's
request counts ``n_new``, ``n_old`` and its total errors ``m``, the new fleet's errors ``X`` are
hypergeometric when both fleets fail alike, and Fisher's noncentral hypergeometric with odds
ratio ``w`` otherwise, so the minute's ratio is ``w**X / E[w**U]`` with ``U`` the central
hypergeometric count. Conditioning on the margins removes the unknown common error rate, which
is why the guarantee holds whatever the old fleet's error rate is.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy import special, stats

from guardsim.errors import ArgumentError

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]

#: The odds ratios the e-process mixes over, with equal weights: from 1.25x to 64x, log-spaced.
DEFAULT_ODDS_RATIOS: tuple[float, ...] = tuple(float(2.0 ** (k / 4)) for k in range(1, 25))


@dataclass(frozen=True)
class Looks:
    """Per-minute counts of both fleets during the bakes: arrays of shape (replications,
    minutes), column ``j`` the ``j``-th minute a judge looks at."""

    new_requests: IntArray
    new_errors: IntArray
    old_requests: IntArray
    old_errors: IntArray

    def __post_init__(self) -> None:
        arrays = (self.new_requests, self.new_errors, self.old_requests, self.old_errors)
        shape = np.shape(self.new_requests)
        if len(shape) != 2 or any(np.shape(a) != shape for a in arrays):
            raise ArgumentError(
                "judge looks: the four count arrays must share one (replications, minutes) shape"
            )
        for name, errors, requests in (
            ("new", self.new_errors, self.new_requests),
            ("old", self.old_errors, self.old_requests),
        ):
            if np.any(np.asarray(errors) < 0) or np.any(np.asarray(errors) > requests):
                raise ArgumentError(
                    f"judge looks: {name}-fleet errors must be between 0 and its requests"
                )

    @property
    def shape(self) -> tuple[int, int]:
        r, m = np.shape(self.new_requests)
        return int(r), int(m)


def _check_alpha(alpha: float) -> None:
    if not 0.0 < alpha < 1.0:
        raise ArgumentError(f"alpha must be between 0 and 1, got {alpha!r}")


def first_true(hits: npt.NDArray[np.bool_]) -> IntArray:
    """Per row, the index of the first True (-1 when none)."""
    any_hit = hits.any(axis=1)
    first = np.argmax(hits, axis=1).astype(np.int64)
    return np.where(any_hit, first, -1)


def two_proportion(looks: Looks, alpha: float) -> IntArray:
    """First look at which the one-sided pooled two-proportion z-test of the cumulative counts
    rejects "the new fleet's error rate is no higher" at level ``alpha`` (per look)."""
    _check_alpha(alpha)
    n1 = np.cumsum(looks.new_requests, axis=1).astype(float)
    x1 = np.cumsum(looks.new_errors, axis=1).astype(float)
    n2 = np.cumsum(looks.old_requests, axis=1).astype(float)
    x2 = np.cumsum(looks.old_errors, axis=1).astype(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        p1, p2 = x1 / n1, x2 / n2
        pooled = (x1 + x2) / (n1 + n2)
        se = np.sqrt(pooled * (1.0 - pooled) * (1.0 / n1 + 1.0 / n2))
        z = (p1 - p2) / se
    z = np.where((n1 > 0) & (n2 > 0) & (se > 0), z, -np.inf)
    return first_true(z > float(stats.norm.isf(alpha)))


@dataclass(frozen=True)
class _Margins:
    """What a minute's likelihood ratio needs besides the odds ratio, computed once per looks:
    the cells with information, their new-fleet errors, and the central hypergeometric log pmf
    of every count in their support (``-inf`` outside it)."""

    live: npt.NDArray[np.bool_]
    errors: IntArray
    support: IntArray
    log_pmf: FloatArray


def _margins(looks: Looks) -> _Margins:
    n1 = np.asarray(looks.new_requests, dtype=np.int64)
    n2 = np.asarray(looks.old_requests, dtype=np.int64)
    x = np.asarray(looks.new_errors, dtype=np.int64)
    m = x + np.asarray(looks.old_errors, dtype=np.int64)
    live = (m > 0) & (n1 > 0) & (n2 > 0)
    if not live.any():
        empty = np.zeros((0, 1))
        return _Margins(live, x[live], np.zeros((1, 1), dtype=np.int64), empty)
    n1l, n2l, ml = n1[live], n2[live], m[live]
    # U's support is max(0, m - n2)..min(n1, m): at most max(m) + 1 terms per cell
    u = np.arange(int(ml.max()) + 1, dtype=np.int64)[None, :]
    lo = np.maximum(0, ml - n2l)[:, None]
    hi = np.minimum(n1l, ml)[:, None]
    inside = (u >= lo) & (u <= hi)
    log_pmf = np.where(
        inside,
        stats.hypergeom.logpmf(
            np.where(inside, u, lo), (n1l + n2l)[:, None], n1l[:, None], ml[:, None]
        ),
        -np.inf,
    )
    return _Margins(live, x[live], u, log_pmf)


def _log_ratio(margins: _Margins, odds_ratio: float) -> FloatArray:
    if not odds_ratio > 0.0:
        raise ArgumentError(f"odds ratio must be > 0, got {odds_ratio!r}")
    out = np.zeros(margins.live.shape, dtype=float)
    if margins.errors.size:
        log_w = float(np.log(odds_ratio))
        log_mgf = special.logsumexp(margins.log_pmf + margins.support * log_w, axis=1)
        out[margins.live] = margins.errors * log_w - log_mgf
    return out


def minute_log_ratio(looks: Looks, odds_ratio: float) -> FloatArray:
    """Per replication and minute, ``log(w**X / E[w**U])``: the log likelihood ratio of odds
    ratio ``w`` against 1 for the new fleet's errors ``X`` given the minute's margins (Fisher's
    noncentral hypergeometric against the central one). Minutes without errors, or without
    requests on a fleet, carry no information: 0."""
    return _log_ratio(_margins(looks), odds_ratio)


def known_rate_log_ratio(looks: Looks, p0: float, p1: float) -> FloatArray:
    """Per replication and minute, the new fleet's binomial log likelihood ratio of error rate
    ``p1`` against ``p0``: ``x log(p1 / p0) + (n - x) log((1 - p1) / (1 - p0))`` for its ``x``
    errors among ``n`` requests (0 for a minute without requests). Cumulated over the looks it
    is the statistic of Wald's SPRT when both rates are known."""
    if not 0.0 < p0 < p1 < 1.0:
        raise ArgumentError(f"known-rate ratio: need 0 < p0 < p1 < 1, got {p0!r}, {p1!r}")
    x = np.asarray(looks.new_errors, dtype=float)
    n = np.asarray(looks.new_requests, dtype=float)
    out: FloatArray = x * np.log(p1 / p0) + (n - x) * np.log((1.0 - p1) / (1.0 - p0))
    return out


def sprt(looks: Looks, alpha: float, odds_ratio: float) -> IntArray:
    """First look at which Wald's SPRT of odds ratio ``odds_ratio`` against 1 detects: the
    cumulative likelihood ratio reaches ``1 / alpha`` (anytime-valid at ``alpha``)."""
    _check_alpha(alpha)
    if not odds_ratio > 1.0:
        raise ArgumentError(f"the SPRT's alternative odds ratio must be > 1, got {odds_ratio!r}")
    llr = np.cumsum(minute_log_ratio(looks, odds_ratio), axis=1)
    return first_true(llr >= -np.log(alpha))


def e_process(
    looks: Looks, alpha: float, odds_ratios: Sequence[float] = DEFAULT_ODDS_RATIOS
) -> IntArray:
    """First look at which the equal-weight mixture over ``odds_ratios`` of the likelihood
    ratios reaches ``1 / alpha`` (anytime-valid at ``alpha``, whatever the true odds ratio)."""
    _check_alpha(alpha)
    if not odds_ratios or any(not w > 1.0 for w in odds_ratios):
        raise ArgumentError("the e-process needs one or more odds ratios, each > 1")
    margins = _margins(looks)
    per = np.stack([np.cumsum(_log_ratio(margins, w), axis=1) for w in odds_ratios], axis=0)
    log_e = special.logsumexp(per, axis=0) - np.log(len(odds_ratios))
    return first_true(log_e >= -np.log(alpha))


__all__ = [
    "DEFAULT_ODDS_RATIOS",
    "Looks",
    "e_process",
    "first_true",
    "known_rate_log_ratio",
    "minute_log_ratio",
    "sprt",
    "two_proportion",
]
