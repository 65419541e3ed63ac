"""Fast mode vs exact mode vs naive per-request SimPy, and fast mode's cost against the rate.

Two measurements, each printed as ratios measured side by side in this one run:

1. One simulated hour of a canary deployment at 1000 requests/s (the scenario of
   ``exact_vs_naive.py``): fast mode (one replication with the full record; one without detail,
   as Monte Carlo's fast mode runs it; and one replication's share of the batch engine, which
   simulates fast mode's model for ``--batch-blocks`` blocks of replications in lockstep, as
   Monte Carlo's default mode runs it), exact mode and the naive one-SimPy-process-per-request
   implementation. The naive side runs ``--naive-minutes`` (default 6) of the same hour and its
   speed is scaled by requests simulated (it is linear in requests; ``exact_vs_naive.py`` runs
   the full hour). Issue target: fast >= 10,000x naive.
2. Fast mode (per replication, and in the batch engine) on the same hour at 10, 1000 and 100000
   requests/s. Issue target: the time at 100000/s at most 1.5x the time at 10/s.

Times are CPU seconds of this process (``time.process_time``; steadier than wall time on a
shared machine) and wall seconds, the best of ``--repeats``.
Run: ``python benchmarks/fast_mode.py``.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import simpy

sys.path.insert(0, str(Path(__file__).resolve().parent))
from exact_vs_naive import SEED, NaivePerRequestSimulation, build_scenario

from guardsim.batch.engine import BLOCK, run_batch
from guardsim.scenarios.scenario import Scenario
from guardsim.simulator import simulate


def best_time(
    scenario: Scenario, mode: str, repeats: int, detail: bool = True
) -> tuple[float, float, int, str]:
    """(best wall s, best CPU s, requests, outcome) of ``repeats`` runs."""
    walls, cpus = [], []
    record = None
    for i in range(repeats):
        cpu, wall = time.process_time(), time.perf_counter()
        record = simulate(scenario, seed=SEED, mode=mode, detail=detail, replication=i)
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    assert record is not None
    dp = record.datapoints
    requests = sum(
        n
        for m, d, n in zip(dp["metric"], dp["dimensions"], dp["sample_count"], strict=True)
        if m == "Invocations" and d == "blended"
    )
    return min(walls), min(cpus), requests or record.summary.green_requests, record.outcome


def batch_time(scenario: Scenario, repeats: int, blocks: int) -> tuple[float, float, int]:
    """(best wall s, best CPU s) per replication of the batch engine, and the replications."""
    walls, cpus = [], []
    count = blocks * BLOCK
    for i in range(repeats):
        cpu, wall = time.process_time(), time.perf_counter()
        run_batch(scenario, seed=SEED + i, start=0, stop=count)
        walls.append((time.perf_counter() - wall) / count)
        cpus.append((time.process_time() - cpu) / count)
    return min(walls), min(cpus), count


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--naive-minutes", type=int, default=6)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--batch-blocks", type=int, default=4)
    args = parser.parse_args(argv)
    print(
        f"python {platform.python_version()}, numpy {np.__version__}, simpy {simpy.__version__}; "
        f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores"
    )

    scenario = build_scenario(1000.0, 60)
    fast = best_time(scenario, "fast", args.repeats)
    summary = best_time(scenario, "fast", 4 * args.repeats, detail=False)
    batch = batch_time(scenario, max(1, args.repeats // 2), args.batch_blocks)
    exact = best_time(scenario, "exact", max(1, args.repeats // 2))
    record = simulate(scenario, seed=SEED, mode="exact")
    schedule = [
        (max(r["t"], 0.0), r["green_fraction"], r["active_blue"] + r["active_green"])
        for r in record.traffic
    ]
    naive = NaivePerRequestSimulation(scenario, schedule, 60.0 * args.naive_minutes, SEED)
    cpu, wall = time.process_time(), time.perf_counter()
    naive.run()
    naive_wall, naive_cpu = time.perf_counter() - wall, time.process_time() - cpu
    # the naive cost is linear in requests: scale its slice to the hour's requests
    scale = exact[2] / naive.requests
    naive_hour_cpu, naive_hour_wall = naive_cpu * scale, naive_wall * scale

    print("\n1. one simulated hour of a canary at 1000 requests/s")
    print(f"   {'mode':6s} {'requests':>11s} {'CPU s':>10s} {'wall s':>10s}  outcome")
    print(f"   {'fast':6s} {fast[2]:>11,d} {fast[1]:>10.4f} {fast[0]:>10.4f}  {fast[3]}")
    print(f"   {'exact':6s} {exact[2]:>11,d} {exact[1]:>10.4f} {exact[0]:>10.4f}  {exact[3]}")
    print(
        f"   {'naive':6s} {naive.requests:>11,d} {naive_cpu:>10.3f} {naive_wall:>10.3f}  "
        f"({args.naive_minutes} simulated minutes; x{scale:.2f} for the hour: "
        f"{naive_hour_cpu:.1f} CPU s)"
    )
    print(
        f"   {'fast, summary only (Monte Carlo)':33s} {summary[1]:.4f} CPU s = "
        f"{1 / summary[1]:,.0f} replications/s/core   target >= 1,000"
    )
    print(
        f"   {'fast, batch engine, per replication':33s} {batch[1]:.6f} CPU s = "
        f"{1 / batch[1]:,.0f} replications/s/core ({batch[2]:,d} replications)"
    )
    print(f"   fast vs exact: {exact[1] / fast[1]:,.0f}x (CPU)")
    print(f"   fast (summary only) vs naive: {naive_hour_cpu / summary[1]:,.0f}x (CPU)")
    print(
        f"   fast (batch engine) vs naive: {naive_hour_cpu / batch[1]:,.0f}x (CPU), "
        f"{naive_hour_wall / batch[0]:,.0f}x (wall)   target >= 10,000x"
    )
    print(
        f"   fast vs naive: {naive_hour_cpu / fast[1]:,.0f}x (CPU), "
        f"{naive_hour_wall / fast[0]:,.0f}x (wall)   target >= 10,000x"
    )
    print(f"   exact vs naive: {naive_hour_cpu / exact[1]:,.0f}x (CPU)   target >= 50x")

    print("\n2. fast mode, the same hour at three rates")
    rows = []
    for rate in (10.0, 1000.0, 100000.0):
        t = best_time(build_scenario(rate, 60), "fast", args.repeats)
        rows.append((rate, t))
        print(f"   {rate:>9,.0f}/s  {t[2]:>13,d} requests  {t[1]:.4f} CPU s  {t[0]:.4f} wall s")
    ratio = rows[2][1][1] / rows[0][1][1]
    print(f"   time at 100000/s / time at 10/s: {ratio:.2f} (CPU)   target <= 1.5")
    # interleaved (10, 1000, 100000, 10, ...), best kept: a change in load hits every rate
    rates = (10.0, 1000.0, 100000.0)
    scenarios = {rate: build_scenario(rate, 60) for rate in rates}
    best_batch = dict.fromkeys(rates, float("inf"))
    for _ in range(max(2, args.repeats // 2)):
        for rate in rates:
            t2 = batch_time(scenarios[rate], 1, args.batch_blocks)
            best_batch[rate] = min(best_batch[rate], t2[1])
    for rate in rates:
        print(
            f"   batch engine {rate:>9,.0f}/s  {best_batch[rate] * 1e6:.0f} CPU us per replication"
        )
    ratio = best_batch[100000.0] / best_batch[10.0]
    print(f"   batch engine, time at 100000/s / time at 10/s: {ratio:.2f} (CPU)   target <= 1.5")


if __name__ == "__main__":
    main()
