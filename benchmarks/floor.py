"""A minimal numpy floor for the seed canaries, against the batch engine (issue 14).

Run: ``python benchmarks/floor.py`` (``--n``, ``--check-n``, ``--repeats``, ``--block``).

**The floor.** The least computation that gives the same answer for the four seed built-ins
(``seed-canary-*``, ``seed-linear-*``): constant uniform traffic, no faults, two rollback
alarms that are ``Average`` of a blended (EndpointName + VariantName) per-minute metric with
Period 60 and 1 of 1 datapoints. It uses guardsim's own kernels for the facts that are not
arithmetic (the step plan, the controller's waits and polls, the lattice of uniform arrivals,
the lognormal latency parameters, the environment's distributions), and draws per block:

* the success path (provisioning: the slowest of the green instances; activation; bakes) and
  every poll of every bake, as the batch engine lays them out;
* only the minutes a poll can read: from three minutes before the first bake's first poll (the
  evaluation range is 1 + ``evaluation_range_extra_periods`` periods) to the last poll;
* per minute and routing state, the uniform arrivals (a lattice count), the green share
  (binomial), the green 5XX errors (binomial), and each fleet's latency **sum** (normal, with
  the lognormal's mean and variance: the floor's one approximation), and each minute's
  publish delay;
* the alarms' states at each minute boundary (the most recent published datapoint of the range
  decides: 1 of 1 with missing data not breaching; all missing is OK) and the first poll that
  finds an alarm in ALARM (``trip_if_in_alarm_at_bake_start``: a state entered before the bake
  counts too).

It returns only what the check needs: rolled back or not, and when it was detected.

**Measured side by side, in one run** (``--repeats`` rounds, the floor and the engine
alternating; ``time.process_time``, best of the rounds): replications per CPU second of the
floor and of ``run_batch_columns`` (the batch engine, one process, emitting the columns
Monte Carlo keeps), and their ratio; then a check on
``--check-n`` replications of each scenario: P(rollback) of both, and the largest distance
between the two detection-time distributions (Kolmogorov-Smirnov), against a tolerance of
0.005 plus the KS statistic's own 95 % sampling allowance for those sample sizes
(1.358 * sqrt((n1 + n2) / (n1 n2))): at 20,000 each that allowance is 0.0136; it shrinks with
``--check-n``.

Issue 14 measured this floor at 215,000-247,000 replications per CPU second, 13-36x the batch
engine; its target for the engine is within about 5x of the floor (>= 50,000/s).
"""

from __future__ import annotations

import argparse
import math
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial

import numpy as np
import numpy.typing as npt

from guardsim.batch.engine import run_batch_columns
from guardsim.deployment import watch as watch_
from guardsim.deployment.config import effective_deployment_config
from guardsim.deployment.plan import plan_steps
from guardsim.model import traffic as arrivals
from guardsim.model.latency import lognormal_params
from guardsim.montecarlo.results import OUTCOMES
from guardsim.scenarios import Scenario, load_scenario

FloatArray = npt.NDArray[np.float64]
SCENARIOS = (
    "seed-canary-rollback",
    "seed-canary-success",
    "seed-linear-rollback",
    "seed-linear-success",
)
TOLERANCE = 0.005
KS_95 = 1.358


@dataclass(frozen=True)
class Floor:
    """The scenario's fixed facts, prepared once."""

    scenario: Scenario

    def __post_init__(self) -> None:
        sc = self.scenario
        env = sc.environment
        assert sc.traffic.arrivals == "uniform" and sc.traffic.profile == "constant"
        config = effective_deployment_config(sc)
        steps = plan_steps(
            config,
            sc.endpoint.green.instance_count,
            env.percent_rounding,
            all_at_once_bakes_wait_interval=env.all_at_once_bakes_wait_interval,
        )
        blue, green, active = sc.endpoint.blue.instance_count, 0, []
        active.append((blue, green))
        for step in steps:
            green += step.instances
            blue = 0 if step.is_final else max(0, blue - step.instances)
            active.append((blue, green))
        object.__setattr__(self, "steps", steps)
        object.__setattr__(self, "active", active)
        object.__setattr__(self, "timeout", config.maximum_execution_timeout_seconds)
        moments = {}
        for fleet in ("blue", "green"):
            lat = getattr(sc.models, fleet).latency
            mu, sigma = lognormal_params(float(lat.median_ms), float(lat.p99_ms))
            mean = 1000.0 * math.exp(mu + sigma**2 / 2)  # microseconds, as ModelLatency
            var = (1000.0**2) * (math.exp(sigma**2) - 1) * math.exp(2 * mu + sigma**2)
            moments[fleet] = (mean, var)
        object.__setattr__(self, "moments", moments)
        alarms = []
        for alarm in sc.rollback_alarms:
            boto = alarm.to_boto()
            assert boto["Statistic"] == "Average" and boto["Period"] == 60
            assert boto["EvaluationPeriods"] == 1 and boto.get("DatapointsToAlarm", 1) == 1
            assert boto["ComparisonOperator"] == "GreaterThanOrEqualToThreshold"
            alarms.append((boto["MetricName"], float(boto["Threshold"])))
        object.__setattr__(self, "alarms", alarms)

    def run(self, rng: np.random.Generator, R: int) -> tuple[npt.NDArray[np.bool_], FloatArray]:
        """(rolled back, detected at: NaN if never) of R replications."""
        sc = self.scenario
        env = sc.environment
        steps = self.steps  # type: ignore[attr-defined]
        active = self.active  # type: ignore[attr-defined]
        start_origin = -float(sc.simulation.warmup_seconds)
        rate = sc.traffic.rate_per_second
        poll = float(env.alarm_poll_interval_seconds)

        def draw(dist: object, k: int = 1) -> FloatArray:
            sample = dist.sample(rng, R * k)  # type: ignore[attr-defined]
            return np.asarray(sample, dtype=np.float64).reshape(R, k)

        prov = draw(env.provisioning_seconds, sc.endpoint.green.instance_count).max(axis=1)
        act = draw(env.activation_seconds, len(steps))
        timeout = self.timeout  # type: ignore[attr-defined]
        deadline = float(timeout) if timeout and env.timeout_includes_provisioning else math.inf

        def wait(t: FloatArray, d: FloatArray, watch: bool) -> tuple[FloatArray, list[FloatArray]]:
            lay = watch_.lay_out_wait(
                t,
                d,
                deadline,
                watch=watch,
                poll_interval=poll,
                poll_at_bake_end=env.poll_at_bake_end,
            )
            reads = [
                np.where(np.isin(k, watch_.READS_ALARMS), at, np.inf)
                for at, k in zip(lay.times, lay.kinds, strict=True)
            ]
            return lay.exit, reads

        outside = env.watch_alarms_outside_bakes
        t, polls = wait(np.zeros(R), prov, outside)
        change = np.empty((R, len(steps)))
        for s, step in enumerate(steps):
            t, more = wait(t, act[:, s], outside)
            polls += more
            change[:, s] = t
            t, more = wait(t, np.full(R, float(step.bake_seconds)), True)
            polls += more
        P = np.stack(polls, axis=1)  # every alarm read, per replication (inf: none)
        P.sort(axis=1)
        finite = np.isfinite(P)
        # the minutes a poll can read: its evaluation's range, three periods back
        extra = env.evaluation_range_extra_periods
        first_m = math.floor(P[finite].min() / 60.0) - 1 - extra
        last_m = math.floor(P[finite].max() / 60.0)
        minutes = np.arange(first_m, last_m)  # minute k covers [60 k, 60 k + 60)
        M = len(minutes)
        lo = 60.0 * minutes[None, :]
        hi = lo + 60.0
        # routing state s applies in [bound_s, bound_{s+1})
        bounds = np.concatenate([np.full((R, 1), -np.inf), change, np.full((R, 1), np.inf)], axis=1)
        n = {"blue": np.zeros((R, M), dtype=np.int64), "green": np.zeros((R, M), dtype=np.int64)}
        for s, (b, g) in enumerate(active):
            a = np.maximum(lo, bounds[:, s : s + 1])
            z = np.minimum(hi, bounds[:, s + 1 : s + 2])
            count = np.where(z > a, arrivals.lattice_count(start_origin, a, z, rate), 0)
            green = rng.binomial(count, g / (b + g)) if g else np.zeros_like(count)
            n["green"] += green
            n["blue"] += count - green
        total = n["blue"] + n["green"]
        sums = np.zeros((R, M))
        for fleet in ("blue", "green"):
            mean, var = self.moments[fleet]  # type: ignore[attr-defined]
            k = n[fleet]
            sums += k * mean + np.sqrt(k * var) * rng.standard_normal((R, M))
        p5 = sc.models.green.error_rate_5xx
        errors = rng.binomial(n["green"], p5) if p5 else np.zeros((R, M), dtype=np.int64)
        published = hi + draw(env.metric_publish_delay_seconds, M)
        with np.errstate(invalid="ignore", divide="ignore"):
            values = {"ModelLatency": sums / total, "Invocation5XXErrors": errors / total}
        breach = np.zeros((R, M), dtype=bool)
        for metric, threshold in self.alarms:  # type: ignore[attr-defined]
            breach |= values[metric] >= threshold
        # the state at each poll: its evaluation at the minute boundary, the range's latest
        # published datapoint (1 of 1; none published: OK)
        rows = np.arange(R)[:, None]
        t_eval = np.floor(np.where(finite, P, 0.0) / 60.0) * 60.0
        in_alarm = np.zeros(P.shape, dtype=bool)
        decided = np.zeros(P.shape, dtype=bool)
        for back in range(1, extra + 2):  # the latest minute first
            col = (t_eval / 60.0).astype(np.int64) - back - first_m
            col_ok = (col >= 0) & (col < M)
            c = np.clip(col, 0, M - 1)
            present = col_ok & (total[rows, c] > 0) & (published[rows, c] <= t_eval) & ~decided
            in_alarm |= present & breach[rows, c]
            decided |= present
        trip = in_alarm & finite
        found = trip.any(axis=1)
        detected = np.where(found, P[rows[:, 0], np.argmax(trip, axis=1)], np.nan)
        return found, detected


def guardsim_runs(
    scenario: Scenario, n: int, seed: int
) -> tuple[npt.NDArray[np.bool_], FloatArray]:
    cols = run_batch_columns(scenario, seed=seed, start=0, stop=n)
    rolled = cols.outcome == OUTCOMES.index("ROLLED_BACK")
    return rolled, cols.values["detected_at_seconds"]


def floor_runs(
    floor: Floor, n: int, seed: int, block: int
) -> tuple[npt.NDArray[np.bool_], FloatArray]:
    rng = np.random.default_rng(seed)
    parts = [floor.run(rng, min(block, n - a)) for a in range(0, n, block)]
    return np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])


def ks_distance(a: FloatArray, b: FloatArray) -> float:
    """sup |F_a - F_b| over the detection times (runs that never detected: +inf)."""
    a = np.sort(np.where(np.isnan(a), np.inf, a))
    b = np.sort(np.where(np.isnan(b), np.inf, b))
    grid = np.concatenate([a, b])
    fa = np.searchsorted(a, grid, side="right") / len(a)
    fb = np.searchsorted(b, grid, side="right") / len(b)
    return float(np.max(np.abs(fa - fb)))


def best_cpu(fn: Callable[[], object]) -> float:
    t = time.process_time()
    fn()
    return time.process_time() - t


def main(argv: Sequence[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    p.add_argument("--n", type=int, default=8192, help="replications per timing (default 8192)")
    p.add_argument("--check-n", type=int, default=20000, help="replications per check side")
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--block", type=int, default=4096, help="floor block size")
    args = p.parse_args(argv)
    print(
        f"floor vs batch engine: {args.n} replications per timing, best of {args.repeats} "
        f"(CPU s, interleaved); load average {os.getloadavg()[0]:.2f}"
    )
    print(f"  {'scenario':24s} {'floor reps/CPU s':>17s} {'engine reps/CPU s':>18s} {'ratio':>7s}")
    for name in SCENARIOS:
        scenario = load_scenario(name)
        floor = Floor(scenario)
        run_batch_columns(scenario, seed=1, start=0, stop=1)  # warm caches and first-use imports
        f_times, e_times = [], []
        for r in range(args.repeats):
            f_times.append(best_cpu(partial(floor_runs, floor, args.n, 100 + r, args.block)))
            engine = partial(run_batch_columns, scenario, seed=100 + r, start=0, stop=args.n)
            e_times.append(best_cpu(engine))
        f_rate, e_rate = args.n / min(f_times), args.n / min(e_times)
        print(f"  {name:24s} {f_rate:17,.0f} {e_rate:18,.0f} {f_rate / e_rate:6.1f}x")
    n = args.check_n
    allowance = KS_95 * math.sqrt(2.0 / n)
    print(
        f"agreement on {n} replications each (tolerance {TOLERANCE} + KS 95% allowance "
        f"{allowance:.4f} for the distribution)"
    )
    print(
        f"  {'scenario':24s} {'P(rb) floor':>11s} {'P(rb) guardsim':>14s} {'|diff|':>7s} "
        f"{'KS(detected)':>12s}  verdict"
    )
    for name in SCENARIOS:
        scenario = load_scenario(name)
        fr, fd = floor_runs(Floor(scenario), n, 7, args.block)
        gr, gd = guardsim_runs(scenario, n, 7)
        diff = abs(fr.mean() - gr.mean())
        # P(rollback): binomial sampling allowance of the difference at 95 %
        p_allow = 1.96 * math.sqrt(
            max(fr.mean() * (1 - fr.mean()) + gr.mean() * (1 - gr.mean()), 1e-12) / n
        )
        ks = ks_distance(fd, gd)
        ok = diff <= TOLERANCE + p_allow and ks <= TOLERANCE + allowance
        print(
            f"  {name:24s} {fr.mean():11.4f} {gr.mean():14.4f} {diff:7.4f} {ks:12.4f}  "
            f"{'agrees' if ok else 'DIFFERS'}"
        )


if __name__ == "__main__":
    main()
