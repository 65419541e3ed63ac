"""How fast is one CloudWatch alarm evaluation? Run: ``python benchmarks/alarm_eval.py``.

Measures, side by side in one run, evaluations per second of

* a precompiled :class:`~guardsim.cloudwatch.alarm.AlarmRule` (``rule.evaluate``), the path the
  simulator uses, and
* :func:`~guardsim.cloudwatch.alarm.evaluate_alarm` with a ``put_metric_alarm`` kwargs dict,
  which converts the dict on every call,

over a fixed set of 5-point evaluation ranges (N = 3, M = 2: full, with gaps, mostly missing,
all missing), and prints both rates and their ratio. Each figure is the best of several
repeats (``time.perf_counter``), the usual way to filter out scheduler noise. No assertions:
the numbers are for reading; the target is > 100,000 evaluations per second per core for the
precompiled rule.
"""

from __future__ import annotations

import platform
import sys
import time
from collections.abc import Callable, Sequence
from typing import Any

from guardsim.cloudwatch.alarm import AlarmRule, AlarmState, evaluate_alarm

KWARGS: dict[str, Any] = {
    "AlarmName": "new-fleet-5xx",
    "Namespace": "AWS/SageMaker",
    "MetricName": "Invocation5XXErrors",
    "Dimensions": [
        {"Name": "EndpointName", "Value": "ep"},
        {"Name": "VariantName", "Value": "AllTraffic"},
    ],
    "Statistic": "Average",
    "Period": 60,
    "EvaluationPeriods": 3,
    "DatapointsToAlarm": 2,
    "Threshold": 0.01,
    "ComparisonOperator": "GreaterThanOrEqualToThreshold",
    "TreatMissingData": "missing",
}

RANGES: dict[str, list[float | None]] = {
    "full": [0.0, 0.002, 0.013, 0.004, 0.021],
    "gaps": [0.0, None, 0.013, None, 0.021],
    "premature": [None, None, None, 0.05, None],
    "all missing": [None, None, None, None, None],
}

ROUNDS = 2_000  # passes over all ranges per timing
REPEATS = 7


def best_rate(
    evaluate: Callable[[Sequence[float | None]], object],
    ranges: Sequence[Sequence[float | None]] = tuple(RANGES.values()),
) -> float:
    """Best evaluations per second over REPEATS timings of ROUNDS passes over ``ranges``."""
    calls = ROUNDS * len(ranges)
    best = float("inf")
    for _ in range(REPEATS):
        start = time.perf_counter()
        for _ in range(ROUNDS):
            for points in ranges:
                evaluate(points)
        best = min(best, time.perf_counter() - start)
    return calls / best


def main() -> None:
    rule = AlarmRule.from_kwargs(KWARGS)
    ok = AlarmState.OK

    def precompiled(points: Sequence[float | None]) -> object:
        return rule.evaluate(points, ok)

    def from_kwargs(points: Sequence[float | None]) -> object:
        return evaluate_alarm(KWARGS, points, ok)

    print(f"python {platform.python_version()} on {platform.machine()} ({sys.platform})")
    print(f"ranges: {', '.join(RANGES)}; {ROUNDS} rounds, best of {REPEATS}")
    for name, points in RANGES.items():
        print(f"  {name:12s} {rule.evaluate(points, ok).state:18s} {points}")
    per_range = {name: best_rate(precompiled, [points]) for name, points in RANGES.items()}
    fast = best_rate(precompiled)
    slow = best_rate(from_kwargs)
    print()
    for name, rate in per_range.items():
        print(f"precompiled AlarmRule, {name:12s} {rate:>12,.0f} evaluations/s")
    print(f"precompiled AlarmRule.evaluate     {fast:>12,.0f} evaluations/s  ({1e6 / fast:.2f} us)")
    print(f"evaluate_alarm(kwargs dict)        {slow:>12,.0f} evaluations/s  ({1e6 / slow:.2f} us)")
    print(f"ratio precompiled / kwargs         {fast / slow:>12.1f}x")


if __name__ == "__main__":
    main()
