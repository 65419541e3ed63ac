"""Exact mode against a naive one-process-per-request simulation of the same hour.

Run: ``python benchmarks/exact_vs_naive.py`` (``--rate``, ``--minutes``, ``--naive-minutes``).

Both sides simulate the same canary deployment: the built-in ``seed-canary-success`` scenario
changed to 1000 requests/s of Poisson traffic over one simulated hour (no warm-up; fixed
provisioning; a 1800 s canary bake and a 1200 s final bake, so that traffic runs from
t = 0 to t = 3600 s):

* **exact**: :func:`guardsim.simulator.simulate`, which samples every request's arrival, fleet,
  outcome and latency with numpy in batches between control events, plus everything else a run
  does (controller, state machine, alarms, metric publishing, the run record);
* **naive**: :class:`NaivePerRequestSimulation` below, the textbook SimPy way: an arrival process
  that starts one SimPy process per request, which picks its fleet, draws its outcome and
  latencies with individual ``rng`` calls, waits out its latency and files its sample into
  per-minute, per-fleet lists; a process that switches the routing at the times the exact run's
  ``record.traffic`` shows; and a per-minute process that aggregates each minute as the metric
  pipeline does.

It prints requests simulated, wall time and simulated requests per wall second for each side,
and the ratio of the two speeds (the issue's target: exact at least 50x faster). The exact run is
repeated (best of 3, ``time.perf_counter``); the naive run is timed once, since one run takes a
minute or two. CPU times (``time.process_time``) and the load average are
printed beside the wall times: on a shared machine, other processes inflate wall times, and the
CPU-time ratio shows how much of a difference that made.

If ``--naive-minutes`` is shorter than ``--minutes``, the naive side simulates only the first
``--naive-minutes`` of the same run (same scenario, same routing schedule) and the ratio is
computed from requests per wall second, which is what scales linearly for a per-request
simulation; the output says so.

Nothing here asserts a time: the figures are for reading (see ``benchmarks/README.md``).
"""

from __future__ import annotations

import argparse
import math
import os
import platform
import sys
import time
from collections.abc import Generator, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

import numpy as np
import simpy

from guardsim.cloudwatch.statistics import ceil_rank
from guardsim.record import RunRecord
from guardsim.scenarios import Scenario, check_scenario_dict, load_scenario
from guardsim.scenarios.distributions import Z99
from guardsim.simulator import simulate

BASE_SCENARIO = "seed-canary-success"
SEED = 1
EXACT_REPEATS = 3

# The deployment's fixed timeline (seconds). Traffic starts at t = 0 (no warm-up) and the run
# stops COOLDOWN after the deployment ends; the bakes are sized so that the last minute boundary
# the run reaches is exactly 60 * minutes, i.e. exactly ``minutes`` minutes of traffic.
PROVISIONING = 240.0
ACTIVATION = 10.0  # per traffic shift (canary, then full)
TERMINATION = 60.0
COOLDOWN = 300.0
OVERSHOOT = 20.0  # the run ends this long after the last full minute (< 60 s: no extra minute)
FIXED_SECONDS = PROVISIONING + 2 * ACTIVATION + TERMINATION + COOLDOWN - OVERSHOOT
CANARY_SHARE = 0.6  # of the bake time: 1800 s of 3000 s in the one-hour run
MIN_MINUTES = math.floor(FIXED_SECONDS / 60.0) + 1


def build_scenario(rate: float, minutes: int) -> Scenario:
    """``seed-canary-success`` at ``rate`` Poisson requests/s, ``minutes`` minutes of traffic."""
    data = load_scenario(BASE_SCENARIO).to_dict()
    bakes = 60 * minutes - FIXED_SECONDS
    canary = round(CANARY_SHARE * bakes)
    policy = data["deployment_config"]["BlueGreenUpdatePolicy"]
    policy["TrafficRoutingConfiguration"]["WaitIntervalInSeconds"] = canary
    policy["TerminationWaitInSeconds"] = round(bakes) - canary
    policy["MaximumExecutionTimeoutInSeconds"] = 2 * 60 * minutes  # never reached
    data["traffic"].update(rate_per_second=rate, arrivals="poisson")
    data["simulation"].update(
        warmup_seconds=0.0, cooldown_seconds=COOLDOWN, seed=SEED, mode="exact"
    )
    env = data["environment"]
    env["provisioning_seconds"] = {"kind": "fixed", "value": PROVISIONING}
    env["activation_seconds"] = {"kind": "fixed", "value": ACTIVATION}
    env["termination_seconds"] = {"kind": "fixed", "value": TERMINATION}
    result = check_scenario_dict(data, source=f"<benchmark: {BASE_SCENARIO} at {rate:g}/s>")
    if result.scenario is None:
        raise SystemExit(
            "benchmark scenario is invalid:\n" + "\n".join(str(p) for p in result.errors)
        )
    return result.scenario


# --------------------------------------------------------------------------- exact side


def blended_minutes(record: RunRecord) -> dict[float, tuple[int, float]]:
    """Per minute: (requests, mean ModelLatency in us), from the record's blended datapoints."""
    dp = record.datapoints
    out: dict[float, tuple[int, float]] = {}
    for metric, dims, ts, n, total in zip(
        dp["metric"], dp["dimensions"], dp["timestamp"], dp["sample_count"], dp["sum"], strict=True
    ):
        if metric == "ModelLatency" and dims == "blended":
            out[ts] = (n, total / n)
    return out


def time_exact(scenario: Scenario, repeats: int) -> tuple[list[float], list[float], RunRecord]:
    """Wall and CPU times of ``repeats`` runs of :func:`simulate`, and the last record."""
    times = []
    cpu_times = []
    record: RunRecord | None = None
    first_json: str | None = None
    for _ in range(repeats):
        cpu = time.process_time()
        start = time.perf_counter()
        record = simulate(scenario, seed=SEED, mode="exact")
        times.append(time.perf_counter() - start)
        cpu_times.append(time.process_time() - cpu)
        text = record.to_json()
        if first_json is None:
            first_json = text
        elif text != first_json:  # a correctness check, not a timing one
            raise SystemExit("exact mode gave different records for the same seed")
    assert record is not None
    return times, cpu_times, record


# --------------------------------------------------------------------------- naive side


@dataclass
class FleetModel:
    """What the naive side needs of one fleet's ModelBehaviour (no faults, no load factor)."""

    p5: float
    p4: float
    mu: float  # ModelLatency: log of the median (ms) and lognormal sigma
    sigma: float
    mu_ov: float  # OverheadLatency
    sigma_ov: float


@dataclass
class MinuteSamples:
    """One fleet's requests of one minute, one list entry per request."""

    model_us: list[float] = field(default_factory=list)
    overhead_us: list[float] = field(default_factory=list)
    per_instance: list[float] = field(default_factory=list)
    errors_4xx: int = 0
    errors_5xx: int = 0


def _ceil_rank(values: np.ndarray, p: float) -> float:
    """CloudWatch's pNN, as guardsim's metric pipeline computes it (largest of the lowest p)."""
    k = ceil_rank(Fraction(str(p)) * 100, len(values))
    return float(np.partition(values, k - 1)[k - 1])


class NaivePerRequestSimulation:
    """One SimPy process per request: the implementation exact mode replaces, for comparison.

    Simulates traffic in [0, ``until``): Poisson arrivals at ``rate`` (exponential gaps drawn one
    at a time), each request a process that picks blue or green with the current green fraction
    (drawn only while both fleets serve, as exact mode does), draws its outcome (one uniform:
    5XX, else 4XX, else success) and its ModelLatency and OverheadLatency (one standard normal
    each, lognormal from the model's median and p99, as exact mode does), waits out its latency
    (``env.timeout``), and appends its sample to its arrival minute's per-fleet lists. A router
    process applies ``schedule`` (t, green fraction, active instances), taken from the exact run's
    ``record.traffic``. A minute process aggregates each minute ``AGGREGATE_LAG`` s after it ends
    (so every request of the minute has completed) into datapoints for the blended and the two
    per-fleet views: count, 4XX, 5XX and model errors, sum/min/max/average of the latencies and
    of InvocationsPerInstance, p50 and p99 of the latencies, as :meth:`Run._publish` does.

    Deliberately left out, each of which would only make the naive side slower, so the measured
    ratio is conservative (it favours the naive side):

    * the controller and the deployment state machine (replaced by the precomputed ``schedule``);
    * CloudWatch alarms: no evaluation every minute, no raw-sample retention for them;
    * the metric publish delay (one random draw and a delayed visibility per minute), and the
      per-run summary counters (blast radius, user errors) and the run record;
    * faults, warm-up faults and the load-latency factor: none is configured in this scenario,
      but exact mode still checks for them per batch, whereas the naive side does not at all.

    Random numbers come from one ``numpy.random.Generator`` (the house rule: no ``random``
    module), drawn one scalar at a time, as a per-request implementation in this code base would.
    """

    AGGREGATE_LAG = 30.0  # latencies here are milliseconds; 30 s leaves every request done

    def __init__(
        self,
        scenario: Scenario,
        schedule: Sequence[tuple[float, float, int]],
        until: float,
        seed: int,
    ) -> None:
        self.env = simpy.Environment()
        self.rng = np.random.default_rng(seed)
        self.rate = scenario.traffic.rate_per_second
        self.until = until
        self.schedule = schedule
        self.models: dict[str, FleetModel] = {}
        for fleet, model in (("blue", scenario.models.blue), ("green", scenario.models.green)):
            lat, ov = model.latency, model.overhead_latency
            p5 = min(model.error_rate_5xx, 1.0)
            self.models[fleet] = FleetModel(
                p5=p5,
                p4=min(model.error_rate_4xx, 1.0 - p5),
                mu=math.log(lat.median_ms),
                sigma=(math.log(lat.p99_ms) - math.log(lat.median_ms)) / Z99,
                mu_ov=math.log(ov.median_ms),
                sigma_ov=(math.log(ov.p99_ms) - math.log(ov.median_ms)) / Z99,
            )
        self.green_fraction = 0.0
        self.active = 1
        self.samples: dict[str, dict[float, MinuteSamples]] = {"blue": {}, "green": {}}
        self.datapoints: list[dict[str, Any]] = []
        self.requests = 0

    # ------------------------------------------------------------------ processes

    def arrivals(self) -> Generator[simpy.Event, Any, None]:
        env, rng, mean_gap = self.env, self.rng, 1.0 / self.rate
        while True:
            yield env.timeout(rng.exponential(mean_gap))
            if env.now >= self.until:
                return
            self.requests += 1
            env.process(self.request(env.now))

    def request(self, arrived: float) -> Generator[simpy.Event, Any, None]:
        rng = self.rng
        frac = self.green_fraction
        if frac <= 0.0:
            fleet = "blue"
        elif frac >= 1.0:
            fleet = "green"
        else:
            fleet = "green" if rng.random() < frac else "blue"
        m = self.models[fleet]
        u = rng.random()
        is5 = u < m.p5
        is4 = not is5 and u < m.p5 + m.p4
        model_ms = math.exp(m.mu + m.sigma * rng.standard_normal())
        overhead_ms = math.exp(m.mu_ov + m.sigma_ov * rng.standard_normal())
        per_instance = 1.0 / self.active
        yield self.env.timeout((model_ms + overhead_ms) / 1000.0)
        minute = math.floor(arrived / 60.0) * 60.0
        bucket = self.samples[fleet].get(minute)
        if bucket is None:
            bucket = self.samples[fleet][minute] = MinuteSamples()
        bucket.model_us.append(model_ms * 1000.0)
        bucket.overhead_us.append(overhead_ms * 1000.0)
        bucket.per_instance.append(per_instance)
        bucket.errors_5xx += is5
        bucket.errors_4xx += is4

    def router(self) -> Generator[simpy.Event, Any, None]:
        for t, frac, active in self.schedule:
            if t > self.env.now:
                yield self.env.timeout(t - self.env.now)
            self.green_fraction = frac
            self.active = active

    def minute_clock(self) -> Generator[simpy.Event, Any, None]:
        minute = 0.0
        while minute < self.until:
            yield self.env.timeout(minute + 60.0 + self.AGGREGATE_LAG - self.env.now)
            self.aggregate(minute)
            minute += 60.0

    # ------------------------------------------------------------------ aggregation

    def aggregate(self, minute: float) -> None:
        parts = {
            f: self.samples[f].pop(minute) for f in ("blue", "green") if minute in self.samples[f]
        }
        if not parts:
            return
        views = [("blended", list(parts.values()))] + [(f, [b]) for f, b in parts.items()]
        for label, buckets in views:
            model = np.array([x for b in buckets for x in b.model_us])
            overhead = np.array([x for b in buckets for x in b.overhead_us])
            per_instance = np.array([x for b in buckets for x in b.per_instance])
            e4 = sum(b.errors_4xx for b in buckets)
            e5 = sum(b.errors_5xx for b in buckets)
            row: dict[str, Any] = {
                "minute": minute,
                "dimensions": label,
                "count": len(model),
                "4xx": e4,
                "5xx": e5,
                "model_errors": e4 + e5,
            }
            for name, arr in (
                ("ModelLatency", model),
                ("OverheadLatency", overhead),
                ("InvocationsPerInstance", per_instance),
            ):
                total = float(arr.sum())
                row[name] = {
                    "sum": total,
                    "min": float(arr.min()),
                    "max": float(arr.max()),
                    "avg": total / len(arr),
                }
                if name != "InvocationsPerInstance":
                    row[name]["p50"] = _ceil_rank(arr, 0.50)
                    row[name]["p99"] = _ceil_rank(arr, 0.99)
            self.datapoints.append(row)

    # ------------------------------------------------------------------ running

    def run(self) -> None:
        env = self.env
        env.process(self.router())
        env.process(self.arrivals())
        env.process(self.minute_clock())
        env.run(until=self.until + 60.0 + self.AGGREGATE_LAG + 1.0)


# --------------------------------------------------------------------------- main


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--rate", type=float, default=1000.0, help="requests per second, Poisson (default 1000)"
    )
    parser.add_argument(
        "--minutes",
        type=int,
        default=60,
        help="simulated minutes of traffic for exact mode (default 60)",
    )
    parser.add_argument(
        "--naive-minutes",
        type=int,
        default=None,
        help="simulated minutes for the naive side, the first ones of the same "
        "run (default: the same as --minutes)",
    )
    args = parser.parse_args(argv)
    if args.minutes < MIN_MINUTES:
        parser.error(
            f"--minutes must be at least {MIN_MINUTES} (provisioning, activation, "
            "termination and cooldown take that long)"
        )
    naive_minutes = args.minutes if args.naive_minutes is None else args.naive_minutes
    if not 1 <= naive_minutes <= args.minutes:
        parser.error("--naive-minutes must be between 1 and --minutes")
    if args.rate <= 0:
        parser.error("--rate must be > 0")

    scenario = build_scenario(args.rate, args.minutes)
    policy = scenario.deployment_config.blue_green
    assert policy is not None
    print(
        f"python {platform.python_version()} ({sys.platform}, {platform.machine()}), "
        f"numpy {np.__version__}, simpy {simpy.__version__}"
    )
    print(
        f"scenario: {BASE_SCENARIO} at {args.rate:g} requests/s (Poisson), seed {SEED}; "
        f"no warm-up, provisioning {PROVISIONING:g} s, canary bake "
        f"{policy.traffic_routing.wait_interval_seconds} s, final bake "
        f"{policy.termination_wait_seconds} s, cooldown {COOLDOWN:g} s"
    )

    load_before = os.getloadavg()[0]
    times, cpu_times, record = time_exact(scenario, EXACT_REPEATS)
    best, best_cpu = min(times), min(cpu_times)
    minutes = blended_minutes(record)
    exact_requests = sum(n for n, _ in minutes.values())
    if sorted(minutes) != [60.0 * i for i in range(args.minutes)]:
        raise SystemExit(
            f"expected {args.minutes} minutes of traffic from t=0, the record has "
            f"{len(minutes)} (a timeline constant is off)"
        )
    # + 0.0: with no warm-up the run starts at -0.0, which would print as "t=-0"
    schedule = [
        (max(row["t"], 0.0) + 0.0, row["green_fraction"], row["active_blue"] + row["active_green"])
        for row in record.traffic
    ]
    changes = ", ".join(f"{f:.0%} green at t={t:g} s" for t, f, _ in schedule)
    print(f"exact run: {record.outcome}; routing: {changes}")

    naive = NaivePerRequestSimulation(scenario, schedule, 60.0 * naive_minutes, SEED)
    cpu = time.process_time()
    start = time.perf_counter()
    naive.run()
    naive_wall = time.perf_counter() - start
    naive_cpu = time.process_time() - cpu
    load_after = os.getloadavg()[0]
    if len(naive.datapoints) == 0:
        raise SystemExit("naive side simulated no traffic")

    # Same model on both sides: compare what they computed over the naive side's minutes.
    n_exact = sum(minutes[60.0 * i][0] for i in range(naive_minutes))
    avg_exact = (
        sum(minutes[60.0 * i][0] * minutes[60.0 * i][1] for i in range(naive_minutes)) / n_exact
    )
    blended = [r for r in naive.datapoints if r["dimensions"] == "blended"]
    n_naive = sum(r["count"] for r in blended)
    avg_naive = sum(r["ModelLatency"]["sum"] for r in blended) / n_naive

    exact_speed = exact_requests / best
    naive_speed = naive.requests / naive_wall
    ratio = exact_speed / naive_speed
    cpu_ratio = (exact_requests / best_cpu) / (naive.requests / naive_cpu)
    print()
    print(
        f"{'':6s} {'sim. min':>8s} {'requests':>11s} {'wall s':>8s} {'requests/wall s':>16s} "
        f"{'CPU s':>8s}"
    )
    print(
        f"{'exact':6s} {args.minutes:>8d} {exact_requests:>11,d} {best:>8.3f} "
        f"{exact_speed:>16,.0f} {best_cpu:>8.3f}   best of {EXACT_REPEATS} runs (wall s: "
        + ", ".join(f"{t:.3f}" for t in times)
        + ")"
    )
    print(
        f"{'naive':6s} {naive_minutes:>8d} {naive.requests:>11,d} {naive_wall:>8.3f} "
        f"{naive_speed:>16,.0f} {naive_cpu:>8.3f}   one run"
    )
    print()
    print(
        f"sanity, first {naive_minutes} min: requests exact {n_exact:,d} / naive {n_naive:,d}; "
        f"mean ModelLatency exact {avg_exact / 1000:.3f} ms / naive {avg_naive / 1000:.3f} ms"
    )
    print(
        f"1-minute load average: {load_before:.2f} before, {load_after:.2f} after "
        f"({os.cpu_count()} CPUs); a busy machine inflates wall times, CPU times less so"
    )
    if naive_minutes < args.minutes:
        scaled = naive_wall * exact_requests / naive.requests
        print(
            f"naive side measured on the first {naive_minutes} of {args.minutes} minutes "
            f"({naive.requests:,d} requests in {naive_wall:.3f} s) and scaled by requests "
            f"simulated: {args.minutes} minutes ({exact_requests:,d} requests) would take "
            f"about {scaled:.1f} s"
        )
    print(
        f"ratio exact / naive speed (simulated requests per wall second): {ratio:.1f}x "
        f"(target: >= 50x); per CPU second: {cpu_ratio:.1f}x"
    )


if __name__ == "__main__":
    main()
