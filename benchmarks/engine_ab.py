"""Two checkouts' batch engines side by side: what a Monte Carlo worker runs, per CPU second.

Run: ``python benchmarks/engine_ab.py --base BASE_SRC --head HEAD_SRC`` (``--n``,
``--repeats``, ``--scenario`` any number of times). ``BASE_SRC`` and ``HEAD_SRC`` are the
``src`` directories of two checkouts (for example ``git archive main src | tar -x -C DIR``).

For each scenario (the four seed built-ins by default) and each of ``--repeats`` rounds, the
base and the head take turns, each in a fresh process with its own ``src`` first on the path:
one warm-up chunk, then ``run_chunk`` (:mod:`guardsim.montecarlo.monte_carlo`) of ``--n``
batch-mode replications, timed with ``time.process_time`` (CPU seconds: other load on the
machine does not distort it); the best of the rounds, and the ratio head / base.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from collections.abc import Sequence

SCENARIOS = (
    "seed-canary-rollback",
    "seed-canary-success",
    "seed-linear-rollback",
    "seed-linear-success",
)

CHILD = """
import sys, time
from guardsim.montecarlo.monte_carlo import Chunk, run_chunk, scenario_json
from guardsim.scenarios import load_scenario
name, n, seed = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
text = scenario_json(load_scenario(name))
run_chunk(Chunk(text, 1, "batch", 0, 1))  # first-use imports and caches
t = time.process_time()
run_chunk(Chunk(text, seed, "batch", 0, n))
print(n / (time.process_time() - t))
"""


def rate(src: str, name: str, n: int, seed: int) -> float:
    env = dict(os.environ, PYTHONPATH=src)
    args = [sys.executable, "-c", CHILD, name, str(n), str(seed)]
    out = subprocess.run(args, env=env, capture_output=True, text=True, check=True)
    return float(out.stdout.split()[-1])


def main(argv: Sequence[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    p.add_argument("--base", required=True, help="the base checkout's src directory")
    p.add_argument("--head", required=True, help="the head checkout's src directory")
    p.add_argument("--n", type=int, default=8192)
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--scenario", action="append", help="default: the four seed built-ins")
    args = p.parse_args(argv)
    load = os.getloadavg()[0]
    print(f"run_chunk, {args.n} batch replications, best of {args.repeats} interleaved, CPU s")
    print(f"(fresh process each; load average {load:.2f})")
    print(f"  {'scenario':24s} {'base reps/CPU s':>16s} {'head reps/CPU s':>16s}  ratio")
    for name in args.scenario or SCENARIOS:
        best = {"base": 0.0, "head": 0.0}
        for r in range(args.repeats):
            for side in ("base", "head"):
                src = args.base if side == "base" else args.head
                best[side] = max(best[side], rate(src, name, args.n, 100 + r))
        ratio = best["head"] / best["base"]
        print(f"  {name:24s} {best['base']:16,.0f} {best['head']:16,.0f}  {ratio:.2f}x")


if __name__ == "__main__":
    main()
