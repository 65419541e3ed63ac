"""Synthetic history files for the history tests: a drifting 5XX rate, and its shuffle."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from guardsim.model.history import COLUMNS

#: 2026-12-01T00:00:00Z
T0 = 1796083200.0


def stamp(t: float) -> str:
    from datetime import UTC, datetime

    return datetime.fromtimestamp(t, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def row(
    t: float, view: str, n: float | None, e5: float | None, p50_us: float = 5000.0, period: int = 60
) -> str:
    """One history row: ``n`` requests, ``e5`` 5XX errors, ModelLatency p50 ``p50_us``."""
    values: list[float | None] = [n, e5, None if not n or e5 is None else e5 / n, 0.0, 0.0]
    values += [p50_us, p50_us, 2 * p50_us, 4 * p50_us, n] * 2
    cells = ["" if v is None else f"{v:g}" for v in values]
    return ",".join([stamp(t), view, str(period), *cells])


def drifting(
    minutes: int,
    seed: int = 5,
    mean: float = 0.02,
    phi: float = 0.97,
    sigma: float = 0.2,
    n: int = 600,
) -> np.ndarray:
    """Per-minute 5XX rates: ``mean`` x exp of a stationary AR(1) (mean of the rate ``mean``)."""
    rng = np.random.default_rng(seed)
    x = np.empty(minutes)
    sd = sigma / math.sqrt(1 - phi * phi)
    x[0] = rng.normal(0, sd)
    for i in range(1, minutes):
        x[i] = phi * x[i - 1] + rng.normal(0, sigma)
    return np.minimum(mean * np.exp(x - sd * sd / 2), 0.5)


def write(path: Path, rates: np.ndarray, n: int = 600, view: str = "blue") -> Path:
    lines = [",".join(COLUMNS)]
    lines += [row(T0 + 60 * m, view, n, round(r * n)) for m, r in enumerate(rates)]
    path.write_text("\n".join(lines) + "\n")
    return path
