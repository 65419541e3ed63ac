"""How Monte Carlo's cost scales: alarms, instances, simulated time, and n with peak memory.

Run: ``python benchmarks/scaling.py`` (``--n``, ``--repeats``, ``--max-n``, ``--skip-memory``).

All variants are built here from the built-in ``seed-canary-success`` (the canary baseline):

* **alarms**: 1, 2, 5 and 10 rollback alarms (the latency alarm, the 5XX alarm, then copies of
  the latency alarm under other names with thresholds far above the model's latency, so the
  timeline is the same in every variant and only the evaluation cost differs);
* **instances**: 3, 30 and 300 instances per fleet (the canary stays 1 instance);
* **simulated time**: 1 h, 6 h and 24 h simulated per replication, the extra time being warm-up
  before UpdateEndpoint (``simulation.warmup_seconds``): the deployment itself is the same.

Each is timed with ``monte_carlo(..., mode="auto", executor="serial")``, ``time.process_time``,
the variants of a group taking turns within each of ``--repeats`` rounds (interleaved), best of
the rounds, and printed as replications per CPU second and the ratio of cost to the group's
first row (cost = 1 / rate; the targets: 10 alarms at most 2x one, 24 h at most 2x 1 h).

**n and peak memory**: for n = 1e3, 1e4, 1e5 and 1e6 (up to ``--max-n``), a child process runs
``monte_carlo(seed-canary-success, n, executor="serial")`` under ``/usr/bin/time -v`` (its
maximum resident set size) and reports its CPU seconds; the memory that grows with n is
``(RSS(n) - RSS(1e3)) / (n - 1e3)`` bytes per replication, and 1e7 replications are
extrapolated from it (target: under 4 GB, and at most 100 bytes per replication held in the
parent). Serial, so that the simulation's own working set (one block at a time) is in the same
process as the results.
"""

from __future__ import annotations

import argparse
import copy
import os
import re
import subprocess
import sys
import time
from collections.abc import Sequence
from typing import Any

from guardsim.montecarlo.monte_carlo import monte_carlo, resolve_mode
from guardsim.scenarios import Scenario, check_scenario_dict, load_scenario

BASE = "seed-canary-success"

CHILD = """
import sys, time
from guardsim.montecarlo.monte_carlo import monte_carlo
from guardsim.scenarios import load_scenario
n = int(sys.argv[1])
scenario = load_scenario({base!r})
t = time.process_time()
result = monte_carlo(scenario, n, executor="serial")
cpu = time.process_time() - t
print(f"cpu {{cpu}} frame {{result.runs.memory_usage(deep=True).sum()}}")
"""


def _built(data: dict[str, Any], label: str) -> Scenario:
    result = check_scenario_dict(data, source=f"<scaling {label}>")
    if result.scenario is None:
        raise SystemExit(f"scaling: {label}: " + "; ".join(str(p) for p in result.errors))
    return result.scenario


def alarm_variants() -> list[tuple[str, Scenario]]:
    data = load_scenario(BASE).to_dict()
    latency, errors = data["alarms"][1], data["alarms"][0]
    out = []
    for k in (1, 2, 5, 10):
        d = copy.deepcopy(data)
        alarms = [latency, errors][:k]
        for i in range(k - len(alarms)):
            extra = copy.deepcopy(latency)
            extra["AlarmName"] = f"{latency['AlarmName']}-copy-{i}"
            extra["Threshold"] = 1_000_000.0 * (i + 2)
            alarms.append(extra)
        d["alarms"] = alarms
        d["deployment_config"]["AutoRollbackConfiguration"]["Alarms"] = [
            {"AlarmName": a["AlarmName"]} for a in alarms
        ]
        out.append((f"{k} alarm{'s' if k > 1 else ''}", _built(d, f"{k} alarms")))
    return out


def instance_variants() -> list[tuple[str, Scenario]]:
    data = load_scenario(BASE).to_dict()
    out = []
    for count in (3, 30, 300):
        d = copy.deepcopy(data)
        for fleet in ("blue", "green"):
            d["endpoint"][fleet]["ProductionVariants"][0]["InitialInstanceCount"] = count
        d["traffic"]["rate_per_second"] = data["traffic"]["rate_per_second"] * count / 3
        out.append((f"{count} instances per fleet", _built(d, f"{count} instances")))
    return out


def time_variants() -> list[tuple[str, Scenario]]:
    data = load_scenario(BASE).to_dict()
    sim = data["simulation"]
    rest = 3600.0 - float(sim["warmup_seconds"])  # the deployment and cool-down, about 45 min
    out = []
    for hours in (1, 6, 24):
        d = copy.deepcopy(data)
        d["simulation"]["warmup_seconds"] = hours * 3600.0 - rest
        out.append((f"{hours} h simulated", _built(d, f"{hours} h")))
    return out


def rates(rows: list[tuple[str, Scenario]], n: int, repeats: int) -> list[float]:
    for _, s in rows:
        monte_carlo(s, 1, executor="serial")  # first-use imports and caches
    best = [float("inf")] * len(rows)
    for _ in range(repeats):
        for k, (_, s) in enumerate(rows):
            t = time.process_time()
            monte_carlo(s, n, executor="serial")
            best[k] = min(best[k], time.process_time() - t)
    return [n / b for b in best]


def child_memory(n: int) -> tuple[float, int, int]:
    """(CPU s, max RSS bytes, frame bytes) of a child running n replications serially."""
    code = CHILD.format(base=BASE)
    proc = subprocess.run(
        ["/usr/bin/time", "-v", sys.executable, "-c", code, str(n)],
        capture_output=True,
        text=True,
        check=True,
    )
    rss = re.search(r"Maximum resident set size \(kbytes\): (\d+)", proc.stderr)
    out = re.search(r"cpu (\S+) frame (\d+)", proc.stdout)
    assert rss is not None and out is not None, proc.stderr
    return float(out.group(1)), int(rss.group(1)) * 1024, int(out.group(2))


def main(argv: Sequence[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    p.add_argument("--n", type=int, default=2048, help="replications per timing")
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--max-n", type=int, default=1_000_000, help="largest n of the memory rows")
    p.add_argument("--skip-memory", action="store_true")
    args = p.parse_args(argv)
    print(
        f"scaling: monte_carlo(executor='serial'), n = {args.n}, best of {args.repeats} "
        f"interleaved, CPU s; load average {os.getloadavg()[0]:.2f}"
    )
    for title, rows in (
        ("alarms", alarm_variants()),
        ("instances", instance_variants()),
        ("simulated time", time_variants()),
    ):
        r = rates(rows, args.n, args.repeats)
        print(f"  {title}:")
        for (label, s), rate in zip(rows, r, strict=True):
            mode = resolve_mode(s, "auto")
            print(f"    {label:28s} {mode:6s} {rate:10,.0f} reps/CPU s   cost {r[0] / rate:5.2f}x")
    if args.skip_memory:
        return
    print("  n and peak memory (a child process per n, /usr/bin/time -v, serial):")
    print(f"    {'n':>9s} {'CPU s':>8s} {'reps/CPU s':>11s} {'max RSS':>10s} {'table B/rep':>12s}")
    base_rss = None
    n_values = [n for n in (1_000, 10_000, 100_000, 1_000_000) if n <= args.max_n]
    last = (0, 0)
    for n in n_values:
        cpu, rss, frame = child_memory(n)
        base_rss = rss if base_rss is None else base_rss
        print(f"    {n:9,d} {cpu:8.1f} {n / cpu:11,.0f} {rss / 2**20:8.0f} MB {frame / n:12.1f}")
        last = (n, rss)
    n_top, rss_top = last
    if n_top > 1_000 and base_rss is not None:
        per = (rss_top - base_rss) / (n_top - 1_000)
        print(
            f"    growth: {per:.0f} bytes of peak RSS per replication (1e3 to {n_top:,}); "
            f"extrapolated to 1e7: {(base_rss + per * (1e7 - 1_000)) / 2**30:.2f} GB "
            "(target < 4 GB)"
        )


if __name__ == "__main__":
    main()
