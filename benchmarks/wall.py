"""Wall time as a user sees it: auto against serial and the pool, sweeps, Dask (issue 14).

Run: ``python benchmarks/wall.py`` (``--repeats``, ``--sweep-n``, ``--dask-n``, ``--skip-dask``).

**Measured side by side, in one run** (each section's variants take turns within each of
``--repeats`` rounds; ``time.perf_counter``, best of the rounds):

1. ``python -m guardsim mc seed-canary-rollback -n 1`` and ``-n 2000``, each a fresh process,
   with ``--executor auto`` (the default), ``serial`` and ``local`` (the process pool, one
   worker per CPU). The target: auto never slower than the faster of serial and local by more
   than 10 %.
2. A sweep of 8 configurations x ``--sweep-n`` replications (default 2000; latency alarm
   thresholds that keep one timeline, so every configuration costs the same) on a local pool of
   1 and of 2 workers, a new pool each time (its start-up inside the time, as a user sees it),
   next to the same 1-versus-2 split of a pure-Python CPU loop of about the same length: what
   the machine allows at that moment (a busy second core caps every program). Target: 2 workers
   at least 1.7x one on a quiet machine.
3. ``monte_carlo`` of ``--dask-n`` replications (default 1,000,000) on a Dask LocalCluster of 2
   single-threaded worker processes and on a local pool of 2 workers, both started (and
   warmed) before the clock. Target: Dask within 10 % of the local pool.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor

from guardsim.montecarlo.executors import DaskExecutor, LocalExecutor
from guardsim.montecarlo.monte_carlo import monte_carlo
from guardsim.montecarlo.sweep import sweep
from guardsim.scenarios import load_scenario

SCENARIO = "seed-canary-rollback"
SWEEP_VARY = ["alarms[1].Threshold=20000,25000,30000,35000,40000,45000,50000,55000"]


def best_of(fns: Sequence[Callable[[], object]], repeats: int) -> list[float]:
    """Best wall time of each function, the functions taking turns within every round."""
    best = [float("inf")] * len(fns)
    for _ in range(repeats):
        for k, fn in enumerate(fns):
            t = time.perf_counter()
            fn()
            best[k] = min(best[k], time.perf_counter() - t)
    return best


def command(n: int, executor: str) -> Callable[[], object]:
    args = [sys.executable, "-m", "guardsim", "mc", SCENARIO, "-n", str(n)]
    args += ["--executor", executor]

    def run() -> object:
        return subprocess.run(args, check=True, capture_output=True)

    return run


def spin(k: int) -> int:
    total = 0
    for i in range(k):
        total += i * i % 7
    return total


def spin_pool(workers: int, k: int) -> Callable[[], object]:
    def run() -> object:
        with ProcessPoolExecutor(workers) as pool:
            return list(pool.map(spin, [k // 8] * 8))

    return run


def main(argv: Sequence[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--sweep-n", type=int, default=2000)
    p.add_argument("--dask-n", type=int, default=1_000_000)
    p.add_argument("--skip-dask", action="store_true")
    args = p.parse_args(argv)
    print(
        f"wall: best of {args.repeats} interleaved; {os.cpu_count()} CPUs; "
        f"load average {os.getloadavg()[0]:.2f}"
    )

    # 1. the command, auto vs serial vs local
    for n in (1, 2000):
        kinds = ("auto", "serial", "local")
        times = best_of([command(n, k) for k in kinds], args.repeats)
        auto, serial, local = times
        faster = min(serial, local)
        print(
            f"  guardsim mc -n {n:<5d} auto {auto:6.2f} s  serial {serial:6.2f} s  local "
            f"{local:6.2f} s  auto / faster of the two {auto / faster:5.2f} (target <= 1.10)"
        )

    # 2. sweep on 1 and 2 workers, next to the machine's own 1-vs-2 ceiling
    scenario = load_scenario(SCENARIO)

    def cold_sweep(workers: int) -> Callable[[], object]:
        def run() -> object:
            with LocalExecutor(workers) as ex:
                return sweep(scenario, SWEEP_VARY, args.sweep_n, executor=ex)

        return run

    one, two = best_of([cold_sweep(1), cold_sweep(2)], args.repeats)
    t = time.perf_counter()
    spin(2_000_000)
    per_unit = (time.perf_counter() - t) / 2_000_000
    k = int(one / per_unit)
    s1, s2 = best_of([spin_pool(1, k), spin_pool(2, k)], args.repeats)
    print(
        f"  sweep 8 x {args.sweep_n}: 1 worker {one:6.2f} s, 2 workers {two:6.2f} s: "
        f"{one / two:4.2f}x (target >= 1.7x); the machine's own 1-vs-2 ceiling now "
        f"{s1 / s2:4.2f}x; the sweep's speed-up as a fraction of it {(one / two) / (s1 / s2):4.2f}"
    )

    # 3. Dask vs the local pool
    if args.skip_dask:
        return
    import distributed

    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0"
        ) as cluster,
        distributed.Client(cluster) as client,
        DaskExecutor(client) as dask,
        LocalExecutor(2) as local,
    ):
        for ex in (dask, local):  # start and warm both
            monte_carlo(scenario, 4 * 512, executor=ex)
        d, loc = best_of(
            [
                lambda: monte_carlo(scenario, args.dask_n, executor=dask),
                lambda: monte_carlo(scenario, args.dask_n, executor=local),
            ],
            args.repeats,
        )
    print(
        f"  monte_carlo n={args.dask_n:,}: Dask (2 workers) {d:7.2f} s, local pool (2) "
        f"{loc:7.2f} s: Dask / local {d / loc:5.3f} (target <= 1.10)"
    )
    print(f"  load average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
