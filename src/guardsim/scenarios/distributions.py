"""Probability distributions a scenario can name (provisioning time, publish delay, ...).

Written in a scenario as a mapping with a ``kind``::

    provisioning_seconds: {kind: lognormal, median: 240, p99: 480}
    metric_publish_delay_seconds: {kind: uniform, low: 30, high: 120}
    activation_seconds: {kind: fixed, value: 10}

Sampling always takes the run's own ``numpy.random.Generator``; nothing here keeps state.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt

from guardsim.errors import Problem
from guardsim.scenarios.fields import doc, join

#: z such that P(Z <= z) = 0.99 for a standard normal: ties a lognormal's median to its p99.
Z99 = 2.3263478740408408


@dataclass(frozen=True)
class Fixed:
    """Always the same value (useful for exact timelines in tests)."""

    kind: Literal["fixed"]
    value: float = 0.0

    def sample(self, rng: np.random.Generator, size: int) -> npt.NDArray[np.float64]:
        return np.full(size, self.value, dtype=np.float64)

    @property
    def mean(self) -> float:
        return self.value

    def check(self, path: str) -> list[Problem]:
        return [] if self.value >= 0 else [Problem(join(path, "value"), "must be >= 0")]


@dataclass(frozen=True)
class Uniform:
    """Uniform on [low, high]."""

    kind: Literal["uniform"]
    low: float = 0.0
    high: float = 0.0

    def sample(self, rng: np.random.Generator, size: int) -> npt.NDArray[np.float64]:
        return rng.uniform(self.low, self.high, size)

    @property
    def mean(self) -> float:
        return (self.low + self.high) / 2

    def check(self, path: str) -> list[Problem]:
        out = []
        if self.low < 0:
            out.append(Problem(join(path, "low"), f"must be >= 0, got {self.low:g}"))
        if self.high < self.low:
            out.append(
                Problem(join(path, "high"), f"must be >= low ({self.low:g}), got {self.high:g}")
            )
        return out


@dataclass(frozen=True)
class LogNormal:
    """Lognormal given by its median and 99th percentile (both > 0, p99 >= median)."""

    kind: Literal["lognormal"]
    median: float = 1.0
    p99: float = 1.0

    @property
    def mu(self) -> float:
        return math.log(self.median)

    @property
    def sigma(self) -> float:
        return (math.log(self.p99) - math.log(self.median)) / Z99

    def sample(self, rng: np.random.Generator, size: int) -> npt.NDArray[np.float64]:
        return rng.lognormal(self.mu, self.sigma, size)

    @property
    def mean(self) -> float:
        return math.exp(self.mu + self.sigma**2 / 2)

    def check(self, path: str) -> list[Problem]:
        out = []
        if self.median <= 0:
            out.append(Problem(join(path, "median"), f"must be > 0, got {self.median:g}"))
        elif self.p99 < self.median:
            out.append(
                Problem(join(path, "p99"), f"must be >= median ({self.median:g}), got {self.p99:g}")
            )
        return out


Distribution = Fixed | Uniform | LogNormal

DISTRIBUTION_DOC = doc(
    "a distribution: {kind: fixed, value} | {kind: uniform, low, high} | "
    "{kind: lognormal, median, p99}"
)
