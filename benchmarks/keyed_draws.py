"""Keyed percentile draws: numpy's Philox (what fast mode uses) against the alternatives.

Fast mode draws a window's percentile once per key (run, metric, fleets, statistic, window):
a fresh generator per key, then U ~ Beta(r, n - r + 1) for the rank r = ceil_rank(p, n), then
the latency quantile of U. This script times that whole draw, side by side in one run, for:

* ``philox (guardsim)``: :func:`guardsim.simulator.metrics.key_rng`, a Philox4x64 generator
  whose 128-bit key is a BLAKE2b hash of the parts keyed with the run key, handed over by a
  minimal ``ISeedSequence``;
* ``philox via SeedSequence``: the same Philox, keyed through ``SeedSequence(run_key,
  spawn_key=...)`` (numpy's own hashing of the key);
* ``philox(key=...)``: Philox's ``key`` argument with the hash (numpy then also reads OS
  entropy for a seed sequence it does not use);
* ``splitmix64 (removed)``: the hand-written SplitMix64 generator with Marsaglia-Tsang gamma
  draws that fast mode used before, reproduced here only as the reference.

It prints draws per second of each and the ratio to the first. Times are CPU seconds of this
process (``time.process_time``), the best of ``--repeats``.
Run: ``python benchmarks/keyed_draws.py [--draws 20000] [--repeats 5]``.
"""

from __future__ import annotations

import argparse
import hashlib
import math
import time
import zlib
from collections.abc import Callable, Sequence
from fractions import Fraction

import numpy as np

from guardsim.cloudwatch.statistics import ceil_rank
from guardsim.model.latency import quantile_scalar
from guardsim.simulator.metrics import key_rng

RUN_KEY = (0x0123456789ABCDEF, 0x0FEDCBA987654321)
MU, SIGMA, SCALE, ADD = math.log(40.0), 0.6, 1000.0, 0.0
P99 = Fraction(99)


# --------------------------------------------------------------------------- the removed one
_MASK64 = (1 << 64) - 1


class SplitMix64:
    """The hand-written keyed generator fast mode used before (reference only)."""

    __slots__ = ("state",)

    def __init__(self, key: int) -> None:
        self.state = key & _MASK64

    def next_u64(self) -> int:
        self.state = (self.state + 0x9E3779B97F4A7C15) & _MASK64
        z = self.state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _MASK64
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _MASK64
        return z ^ (z >> 31)

    def random(self) -> float:
        return ((self.next_u64() >> 11) + 0.5) * 2.0**-53

    def normal(self) -> float:
        return math.sqrt(-2.0 * math.log(self.random())) * math.cos(2.0 * math.pi * self.random())

    def gamma(self, shape: float) -> float:
        d = shape - 1.0 / 3.0
        c = 1.0 / math.sqrt(9.0 * d)
        while True:
            x = self.normal()
            v = (1.0 + c * x) ** 3
            if v > 0 and math.log(self.random()) < 0.5 * x * x + d - d * v + d * math.log(v):
                return d * v

    def beta(self, a: float, b: float) -> float:
        x = self.gamma(a)
        return x / (x + self.gamma(b))


def splitmix_rng(run_key: Sequence[int], *parts: object) -> SplitMix64:
    key = 0
    for word in (*run_key, *(zlib.crc32(repr(p).encode()) for p in parts)):
        key = SplitMix64((key ^ int(word)) & _MASK64).next_u64()
    return SplitMix64(key)


# --------------------------------------------------------------------------- the alternatives


def _digest(parts: tuple[object, ...]) -> bytes:
    secret = b"".join(w.to_bytes(8, "little") for w in RUN_KEY)
    return hashlib.blake2b(repr(parts).encode(), digest_size=16, key=secret).digest()


def seedsequence_rng(*parts: object) -> np.random.Generator:
    words = tuple(int(w) for w in np.frombuffer(_digest(parts), dtype="<u4"))
    return np.random.Generator(np.random.Philox(np.random.SeedSequence(RUN_KEY, spawn_key=words)))


def philox_key_rng(*parts: object) -> np.random.Generator:
    return np.random.Generator(np.random.Philox(key=np.frombuffer(_digest(parts), dtype="<u8")))


# --------------------------------------------------------------------------- timing


def percentile_draw(make: Callable[[int], object], n: int) -> Callable[[int], float]:
    r = ceil_rank(P99, n)

    def draw(i: int) -> float:
        rng = make(i)
        u = float(rng.beta(r, n - r + 1))  # type: ignore[attr-defined]
        return quantile_scalar(u, MU, SIGMA, SCALE, ADD)

    return draw


def best_rate(draw: Callable[[int], float], draws: int, repeats: int) -> float:
    best = math.inf
    for _ in range(repeats):
        t0 = time.process_time()
        for i in range(draws):
            draw(i)
        best = min(best, time.process_time() - t0)
    return draws / best


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--draws", type=int, default=20_000)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args(argv)
    makers: dict[str, Callable[[int], object]] = {
        "philox (guardsim)": lambda i: key_rng(RUN_KEY, "ModelLatency", ("green",), "p99", i),
        "philox via SeedSequence": lambda i: seedsequence_rng("ModelLatency", ("green",), i),
        "philox(key=...)": lambda i: philox_key_rng("ModelLatency", ("green",), "p99", i),
        "splitmix64 (removed)": lambda i: splitmix_rng(RUN_KEY, "ModelLatency", ("green",), i),
    }
    print(f"keyed p99 draws (Beta order statistic + quantile), best of {args.repeats}, CPU time")
    for n in (1_000, 60_000):
        print(f"  window of {n:,} samples (rank {ceil_rank(P99, n):,})")
        rates = {
            name: best_rate(percentile_draw(make, n), args.draws, args.repeats)
            for name, make in makers.items()
        }
        base = rates["philox (guardsim)"]
        for name, rate in rates.items():
            ratio = rate / base
            print(f"    {name:26s} {rate:>10,.0f} draws/s  {1e6 / rate:6.2f} us  x{ratio:.2f}")
        old = rates["splitmix64 (removed)"]
        print(
            f"    philox (guardsim) / splitmix64 (removed): {base / old:.2f}x the draws per second"
        )


if __name__ == "__main__":
    main()
