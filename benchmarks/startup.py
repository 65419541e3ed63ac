"""How long does ``guardsim`` take to start? Run: ``python benchmarks/startup.py [--repeats 9]``.

Measures, side by side in one run, the wall time of

* ``python -c pass`` (bare Python: the floor every command pays),
* ``python -m guardsim --version`` (the parser alone: nothing heavy is imported),
* ``python -m guardsim validate seed-canary-rollback`` (the scenario code: numpy, botocore's
  shapes and PyYAML, but not the simulator), and
* ``python -m guardsim mc seed-canary-rollback -n 1`` (the whole Monte Carlo stack: SimPy,
  pandas, one replication),

each a fresh process. The commands run interleaved, round after round, so a burst of load from
elsewhere hits all of them alike, and each figure is the best of the rounds (the usual way to
filter out scheduler noise). It prints every command's best time, its difference from bare
Python and its ratio to it. No assertions: the numbers are for reading; the target is
``--version`` within 0.15 s of bare Python.
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import time
from collections.abc import Sequence

COMMANDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("python -c pass", ("-c", "pass")),
    ("guardsim --version", ("-m", "guardsim", "--version")),
    (
        "guardsim validate seed-canary-rollback",
        ("-m", "guardsim", "validate", "seed-canary-rollback"),
    ),
    (
        "guardsim mc seed-canary-rollback -n 1",
        ("-m", "guardsim", "mc", "seed-canary-rollback", "-n", "1"),
    ),
)


def wall_time(args: Sequence[str]) -> float:
    """Seconds from starting ``python ARGS`` to its exit (it must succeed)."""
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, *args], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, check=False
    )
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"python {' '.join(args)} failed:\n{done.stderr.decode(errors='replace')}")
    return elapsed


def measure(repeats: int) -> dict[str, float]:
    """Best wall time of each command over ``repeats`` interleaved rounds."""
    best = {label: float("inf") for label, _ in COMMANDS}
    for _label, args in COMMANDS:  # one untimed round: warm the file cache and .pyc files
        wall_time(args)
    for _ in range(repeats):
        for label, args in COMMANDS:
            best[label] = min(best[label], wall_time(args))
    return best


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=9, help="interleaved rounds (best of)")
    args = parser.parse_args(argv)
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"python {platform.python_version()}, {os.cpu_count()} CPUs, load average {load}")
    print(f"best of {args.repeats} interleaved rounds, wall time of a fresh process\n")
    best = measure(args.repeats)
    bare = best[COMMANDS[0][0]]
    width = max(len(label) for label, _ in COMMANDS)
    print(f"{'command':<{width}}  {'best s':>7}  {'- bare s':>8}  {'/ bare':>7}")
    for label, _ in COMMANDS:
        t = best[label]
        print(f"{label:<{width}}  {t:7.3f}  {t - bare:8.3f}  {t / bare:6.1f}x")
    diff = best["guardsim --version"] - bare
    verdict = "met" if diff <= 0.15 else "not met"
    print(f"\n--version is {diff:.3f} s over bare Python (target <= 0.15 s: {verdict})")


if __name__ == "__main__":
    main()
