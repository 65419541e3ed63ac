"""How fast do AWS's guardrail notebooks run against the emulator? Run:
``python benchmarks/emulator_notebooks.py [--repeats 1]``.

Runs the boto3 code of the three sample notebooks (tests/emulator/notebooks: canary, linear,
rolling) inside ``guardsim.testing.mock_aws`` and prints, for each, the wall time, the emulated
(virtual) time it covered and their ratio (emulated seconds per wall second), the number of API
calls, and the share of the wall time spent inside the emulator (``Emulator.respond``) next to
the rest (botocore's serialising, signing and parsing, and the notebook itself). No assertions:
the numbers are for reading; the target (issue 18) is each notebook in under a minute of wall
time.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "emulator"))
sys.path.insert(0, str(ROOT / "src"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=1)
    args = parser.parse_args()
    from notebooks import canary, linear, rolling

    from guardsim.emulator.core import Emulator
    from guardsim.testing import mock_aws

    world = ROOT / "tests" / "emulator" / "notebooks" / "world.yaml"
    inside = [0.0, 0]
    real_respond = Emulator.respond

    def timed(self: Emulator, *a: object, **k: object) -> tuple[int, dict[str, str], bytes]:
        t0 = time.perf_counter()
        try:
            return real_respond(self, *a, **k)  # type: ignore[arg-type]
        finally:
            inside[0] += time.perf_counter() - t0
            inside[1] += 1

    Emulator.respond = timed  # type: ignore[method-assign]
    print(
        f"{'notebook':10} {'wall s':>8} {'emulated s':>11} {'emulated/wall':>14} "
        f"{'calls':>6} {'in emulator':>12}"
    )
    for name, module in (("canary", canary), ("linear", linear), ("rolling", rolling)):
        best = None
        for _ in range(args.repeats):
            inside[0], inside[1] = 0.0, 0
            t0 = time.perf_counter()
            with contextlib.redirect_stdout(io.StringIO()), mock_aws(world=world) as aws:
                start = aws.now()
                module.main()
                emulated = aws.now() - start
            wall = time.perf_counter() - t0
            row = (wall, emulated, inside[0], inside[1])
            if best is None or wall < best[0]:
                best = row
        assert best is not None
        wall, emulated, spent, calls = best
        print(
            f"{name:10} {wall:8.2f} {emulated:11.0f} {emulated / wall:14.0f} "
            f"{calls:6d} {100 * spent / wall:11.0f}%"
        )


if __name__ == "__main__":
    main()
