"""What does ``guardsim design`` cost? Run: ``python benchmarks/design.py [N] [--skip-full]``.

Runs the alarm search on the built-in ``low-traffic-canary`` (about 60 requests a minute on the
canary, 1 % errors on the old model, 5 % on the new) with ``--max-false-rollback 0.05``,
``N`` replications per model and candidate (default 200), seed 1, in one process (workers 1),
over three spaces side by side: the small one (``--space small``: per-fleet, 1-minute periods;
sums and guarded rates), the default space's single-metric structures (``average`` and ``sum``,
notBreaching) and the whole default space (``guardsim design``'s default: the acceptance case).
Every candidate runs on the batch engine, metric math included. For each it prints the
structures searched, the Monte Carlo runs made (a run is ``N`` replications of one candidate on
one model), the wall time, candidates evaluated per second and the per-run cost, and the ratio
of the per-run costs of the small space (two thirds metric math) to the single-metric
structures. ``time.process_time`` is printed too: on a loaded machine it is the steadier
figure. No assertions: the numbers are for reading.
"""

from __future__ import annotations

import os
import platform
import sys
import time

from guardsim.design.search import SMALL_SPACE, Limits, Space, design
from guardsim.scenarios.loading import load_scenario


def run(label: str, space: Space, n: int) -> tuple[float, float, int]:
    scenario = load_scenario("low-traffic-canary")
    wall, cpu = time.perf_counter(), time.process_time()
    result = design(scenario, Limits(0.05), n, 1, space=space, workers=1)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    w = result.winner
    best = (
        f"{w.structure.describe()}, threshold > {w.threshold:g}: blast radius "
        f"{w.evidence.blast_radius_mean:.2f}, false rollbacks {w.false_rollbacks} of {n}"
        if w is not None and w.evidence is not None
        else f"none ({result.why})"
    )
    print(
        f"{label}: {result.structures} structures, {result.evaluated} Monte Carlo runs of {n} "
        f"replications in {wall:.1f} s wall ({cpu:.1f} s CPU): "
        f"{result.evaluated / wall:.2f} candidates evaluated per second of wall time, "
        f"{result.evaluated / cpu:.2f} per CPU second ({1000 * cpu / result.evaluated:.0f} ms "
        "CPU per run)",
        flush=True,
    )
    print(f"  winner: {best}", flush=True)
    return wall, cpu, result.evaluated


def main() -> None:
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    n = int(args[0]) if args else 200
    print(
        f"python {platform.python_version()} on {platform.machine()}, N = {n}, load average "
        f"{os.getloadavg()[0]:.1f}",
        flush=True,
    )
    _, cpu_small, runs_small = run("small space (metric math and sums)", SMALL_SPACE, n)
    single = Space(forms=("average", "sum"), treat_missing=("notBreaching",))
    _, cpu_single, runs_single = run("single-metric structures", single, n)
    ratio = (cpu_small / runs_small) / (cpu_single / runs_single)
    print(f"CPU per run, small space / single-metric structures: {ratio:.2f}", flush=True)
    if "--skip-full" not in sys.argv:
        run("the default space (guardsim design's own)", Space(), n)
    print(f"load average at the end {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
