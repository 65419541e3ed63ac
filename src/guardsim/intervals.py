"""The Wilson score interval of a binomial proportion, the one interval guardsim reports.

Monte Carlo's ``p_rollback``, lint's evidence, the report figures, the calibration of error rates
and the pytest helpers all state "``k`` of ``n`` runs, with a 95 % interval": this module is
where that interval is defined, once. Pure standard library (no numpy), so every caller can
import it cheaply. Bad arguments raise :class:`~guardsim.errors.ArgumentError` (a ``ValueError``).

Replications are independent Bernoulli trials; the Wilson interval inverts the score test, and
unlike the textbook Wald interval ``p +- z sqrt(p(1-p)/n)`` it stays honest at ``k = 0`` and
``k = n``, the usual case for clearly bad or clearly healthy models (Wilson, E. B. (1927),
"Probable inference, the law of succession, and statistical inference", JASA 22(158): 209-212;
https://en.wikipedia.org/wiki/Binomial_proportion_confidence_interval#Wilson_score_interval).
"""

from __future__ import annotations

import math

from guardsim.errors import ArgumentError

#: Two-sided 95 % standard normal quantile, Phi^-1(0.975).
Z95 = 1.959963984540054


def wilson_interval(k: int, n: int, z: float = Z95) -> tuple[float, float]:
    """Wilson score interval for a binomial proportion: ``k`` successes in ``n`` trials.

    ``(c - h, c + h)`` with ``c = (p + z^2/2n) / (1 + z^2/n)`` and
    ``h = z sqrt(p(1-p)/n + z^2/4n^2) / (1 + z^2/n)``, ``p = k/n``; exactly 0 (1) at ``k = 0``
    (``k = n``). The default ``z`` gives the 95 % interval.
    """
    if n <= 0:
        raise ArgumentError(f"n must be >= 1, got {n}")
    if not 0 <= k <= n:
        raise ArgumentError(f"k must be between 0 and n={n}, got {k}")
    p = k / n
    z2 = z * z
    denom = 1.0 + z2 / n
    centre = (p + z2 / (2 * n)) / denom
    half = z * math.sqrt(p * (1.0 - p) / n + z2 / (4 * n * n)) / denom
    low = 0.0 if k == 0 else max(0.0, centre - half)
    high = 1.0 if k == n else min(1.0, centre + half)
    return low, high
