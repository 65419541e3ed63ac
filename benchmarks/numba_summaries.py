"""numba against numpy on the batch engine's hottest kernel: latency summary draws (issue 14).

Run: ``python benchmarks/numba_summaries.py`` (``--segments``, ``--repeats``). Needs numba,
which is **not** a guardsim dependency: install it somewhere of your own (for example
``pip install --target DIR numba`` and ``PYTHONPATH=DIR``) to run this comparison.

**What is compared.** :func:`guardsim.model.latency.draw_summaries` (Sum, Minimum and Maximum
of ``n`` lognormal samples per segment: every sample drawn below
:data:`~guardsim.model.latency.NORMAL_SUM_THRESHOLD`, Beta order statistics and a normal Sum
above), the numpy kernel the batch engine calls for every (replication, minute) it samples,
against the same sampling written as one numba loop (a ``numpy.random.Generator`` passed in,
the same distributions). The segments are those of a seed canary's minute: ``n`` drawn as
Poisson(20) (the canary fleet, every sample drawn) and Poisson(40) (the old fleet, the normal
Sum), half each. ``time.process_time`` per call, best of ``--repeats``, after one warm-up call
(numba's compile time is printed on its own).
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from guardsim.model.latency import NORMAL_SUM_THRESHOLD, U_MAX, U_MIN, draw_summaries


def numba_kernel() -> Callable[..., tuple[np.ndarray, np.ndarray, np.ndarray]]:
    # numba imports the coverage package: not this directory's coverage.py
    here = Path(__file__).resolve().parent
    sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != here]
    from numba import njit  # not a dependency: only this benchmark imports it

    @njit(cache=False)
    def kernel(rng, n, mu, sigma, scale, add, threshold):  # type: ignore[no-untyped-def]
        total = np.zeros(n.shape[0])
        lo = np.full(n.shape[0], np.inf)
        hi = np.full(n.shape[0], -np.inf)
        big = np.zeros(n.shape[0], dtype=np.bool_)
        for i in range(n.shape[0]):
            k = n[i]
            if k == 0:
                continue
            if k < threshold:
                s, mn, mx = 0.0, np.inf, -np.inf
                for _ in range(k):
                    x = math.exp(mu + sigma * rng.standard_normal()) * scale[i] + add[i]
                    s += x
                    mn = min(mn, x)
                    mx = max(mx, x)
                total[i], lo[i], hi[i] = s, mn, mx
            else:
                big[i] = True
        return total, lo, hi, big

    def draw(rng, n, mu, sigma, scale, add):  # type: ignore[no-untyped-def]
        total, lo, hi, big = kernel(rng, n, mu, sigma, scale, add, NORMAL_SUM_THRESHOLD)
        if big.any():
            # the order statistics need the normal quantile (scipy's ndtri, vectorised, as the
            # numpy kernel computes it): numba has none
            from scipy.special import ndtri

            k = n[big].astype(np.float64)
            u_min = np.clip(rng.beta(1.0, k), U_MIN, U_MAX)
            u_max = np.clip(rng.beta(k, 1.0), U_MIN, U_MAX)
            sc, ad = scale[big], add[big]
            mn = np.exp(mu + sigma * ndtri(u_min)) * sc + ad
            mx = np.exp(mu + sigma * ndtri(u_max)) * sc + ad
            s2 = sigma * sigma
            mean = sc * math.exp(mu + s2 / 2) + ad
            var = sc * sc * math.expm1(s2) * math.exp(2 * mu + s2)
            t = rng.normal(k * mean, np.sqrt(k * var))
            total[big] = np.minimum(np.maximum(t, k * mn), k * mx)
            lo[big], hi[big] = mn, mx
        return total, lo, hi

    return draw


def best_cpu(fn: Callable[[], object], repeats: int) -> float:
    best = math.inf
    for _ in range(repeats):
        t = time.process_time()
        fn()
        best = min(best, time.process_time() - t)
    return best


def main(argv: Sequence[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    p.add_argument("--segments", type=int, default=16384)
    p.add_argument("--repeats", type=int, default=7)
    args = p.parse_args(argv)
    rng = np.random.default_rng(1)
    half = args.segments // 2
    n = np.concatenate([rng.poisson(20.0, half), rng.poisson(40.0, args.segments - half)])
    mu, sigma = math.log(3.0), (math.log(10.0) - math.log(3.0)) / 2.326
    scale, add = np.full(n.shape, 1000.0), np.zeros(n.shape)
    t = time.process_time()
    draw = numba_kernel()
    draw(np.random.default_rng(2), n[:4], mu, sigma, scale[:4], add[:4])
    compile_s = time.process_time() - t
    numpy_s = best_cpu(lambda: draw_summaries(rng, n, mu, sigma, scale, add), args.repeats)
    numba_s = best_cpu(lambda: draw(rng, n, mu, sigma, scale, add), args.repeats)
    a = draw_summaries(np.random.default_rng(5), n, mu, sigma, scale, add)[0] / np.maximum(n, 1)
    b = draw(np.random.default_rng(6), n, mu, sigma, scale, add)[0] / np.maximum(n, 1)
    print(f"latency summary draws, {args.segments:,} segments, best of {args.repeats} (CPU s)")
    print(f"  numpy (draw_summaries)  {numpy_s * 1e3:8.2f} ms")
    print(f"  numba loop              {numba_s * 1e3:8.2f} ms   ({numpy_s / numba_s:.2f}x)")
    print(f"  numba compile           {compile_s:8.2f} s (once per process)")
    print(f"  mean sample, numpy {a.mean():.1f} us, numba {b.mean():.1f} us (same distribution)")


if __name__ == "__main__":
    main()
