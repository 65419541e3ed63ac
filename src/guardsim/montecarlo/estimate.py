"""Resource estimates before work: how much memory and time a run will take, from the scenario
and ``n`` alone, and a refusal when it cannot fit.

``guardsim mc``, ``guardsim sweep`` and ``guardsim run`` (exact mode) call :func:`check` before
they simulate anything. An estimate over the memory limit (by default what the machine has
available now, :func:`available_memory`; ``--max-memory SIZE`` sets another) is refused with
:class:`ResourceError` (exit status 2) and the estimate in the message, instead of growing until
the kernel kills the process. An accepted estimate of more than :data:`ANNOUNCE_SECONDS` is
stated up front (:meth:`Estimate.text`), so that nobody waits hours for a run they would not have
started.

**What is counted.** The estimate is of what a run *holds*, not every temporary:

* Monte Carlo: every replication's row of the runs table (:data:`BYTES_PER_REPLICATION`: the
  row tuple, the DataFrame column and the JSON text of ``--json``), held until the end;
* a sweep: the rows of the configurations in flight (a configuration's rows are summarised and
  dropped as soon as its last chunk is back), plus one summary row per configuration;
* exact mode (one run, or each replication of ``mc --mode exact``): the requests of the busiest
  minute, sampled together as numpy arrays (:data:`BYTES_PER_REQUEST_IN_FLIGHT`), plus, for
  alarms on percentiles, the raw samples of every minute an alarm window still reaches.

Time is ``replications x simulated hours x`` a per-mode constant (:data:`SECONDS_PER_HOUR`), plus
in exact mode :data:`SECONDS_PER_REQUEST` for every request; divided by the workers. The
constants were measured on one core of a 2-core development machine (``seed-canary-success``,
guardsim 0.x): rough, meant to tell seconds from hours, and they are no part of any result.
The simulated span of one replication is the warm-up, the success path of the deployment
(:func:`guardsim.lint.derived.step_timeline`: provisioning, activations and bakes at their
expected lengths), capped at ``simulation.horizon_seconds``, and the cool-down.
"""

from __future__ import annotations

import math
import os
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from guardsim.errors import MonteCarloError
from guardsim.scenarios.scenario import Scenario

#: Memory held per Monte Carlo replication, bytes: measured ~220 held and ~540 at the peak
#: (with the ``--json`` text) on ``seed-canary-success``; rounded up.
BYTES_PER_REPLICATION = 600
#: Memory per request sampled at once in exact mode, bytes: ~60 measured (arrival times,
#: uniforms, normals, latencies, status masks as float64/bool arrays); doubled for numpy's
#: temporaries.
BYTES_PER_REQUEST_IN_FLIGHT = 128
#: Raw samples kept per request and minute for percentile alarms: three float64 metrics.
BYTES_PER_RAW_REQUEST = 24
#: What a sweep keeps per configuration (its summary row, its checkpoint line, its table row).
BYTES_PER_CONFIGURATION = 8_000
#: CPU seconds per replication and simulated hour, by mode (see the module docstring).
SECONDS_PER_HOUR = {"batch": 0.0006, "fast": 0.009, "exact": 0.025}
#: CPU seconds per request in exact mode (~65-120 ns measured).
SECONDS_PER_REQUEST = 1.2e-7
#: Estimates of more than this many seconds are stated before the run starts.
ANNOUNCE_SECONDS = 60.0

_UNITS = {
    "": 1,
    "b": 1,
    "k": 1000,
    "kb": 1000,
    "m": 1000**2,
    "mb": 1000**2,
    "g": 1000**3,
    "gb": 1000**3,
    "t": 1000**4,
    "tb": 1000**4,
    "p": 1000**5,
    "pb": 1000**5,
    "kib": 1024,
    "mib": 1024**2,
    "gib": 1024**3,
    "tib": 1024**4,
    "pib": 1024**5,
}
_SIZE = re.compile(r"^\s*([0-9]*\.?[0-9]+(?:e[+-]?[0-9]+)?)\s*([a-z]*)\s*$", re.IGNORECASE)


class ResourceError(MonteCarloError):
    """A run would need more memory than the limit: refused before it starts (exit status 2)."""


def parse_size(text: str) -> int:
    """``8G``, ``512MiB``, ``1.5TB``, ``2e9``: a number of bytes (k/M/G/T/P are powers of 1000,
    KiB/MiB/GiB/TiB/PiB of 1024)."""
    m = _SIZE.match(text)
    unit = m.group(2).lower() if m else ""
    if m is None or unit not in _UNITS:
        raise ValueError(f"expected a size such as 8G, 512MiB or 2e9 bytes, got {text!r}")
    value = float(m.group(1)) * _UNITS[unit]
    if not math.isfinite(value) or value < 1:
        raise ValueError(f"expected a size of at least 1 byte, got {text!r}")
    return int(value)


def format_size(n: float) -> str:
    """``512 B``, ``3.2 MB``, ``437 TB``, ``4.2e+21 B`` (powers of 1000)."""
    for unit, scale in (("PB", 1e15), ("TB", 1e12), ("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if n >= scale:
            value = n / scale
            return f"{value:.3g} {unit}" if value < 1e4 else f"{n:.2g} B"
    return f"{n:.0f} B"


def format_seconds(s: float) -> str:
    """``40 s``, ``12 min``, ``71 hours``, ``3.2e+09 years``."""
    if s < 90:
        return f"{s:.0f} s"
    if s < 90 * 60:
        return f"{s / 60:.0f} min"
    if s < 48 * 3600:
        return f"{s / 3600:.1f} hours"
    if s < 730 * 86400:
        return f"{s / 86400:.0f} days"
    return f"{s / (365.25 * 86400):.2g} years"


def available_memory() -> int | None:
    """Bytes of memory available to a new allocation now: ``MemAvailable`` of /proc/meminfo
    (Linux), else free physical pages times the page size (``os.sysconf``); None if unknown."""
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return int(os.sysconf("SC_AVPHYS_PAGES")) * int(os.sysconf("SC_PAGE_SIZE"))
    except (OSError, ValueError, AttributeError):
        return None


@dataclass(frozen=True)
class Estimate:
    """What a run is expected to take: ``memory`` bytes held, ``seconds`` of wall time."""

    what: str
    memory: float
    seconds: float

    def text(self) -> str:
        return (
            f"{self.what}: estimated ~{format_size(self.memory)} of memory and "
            f"~{format_seconds(self.seconds)}"
        )


# --------------------------------------------------------------------------- the scenario


def simulated_seconds(scenario: Scenario) -> float:
    """One replication's simulated span: warm-up, the success path (capped at the horizon),
    cool-down."""
    from guardsim.deployment.config import effective_deployment_config
    from guardsim.deployment.plan import plan_steps
    from guardsim.lint.derived import step_timeline

    env = scenario.environment
    sim = scenario.simulation
    steps = plan_steps(
        effective_deployment_config(scenario),
        scenario.endpoint.green.instance_count,
        env.percent_rounding,
        all_at_once_bakes_wait_interval=env.all_at_once_bakes_wait_interval,
    )
    timeline = step_timeline(scenario, steps)
    end = timeline[-1].bake_end if timeline else 0.0
    end += env.termination_seconds.mean
    return sim.warmup_seconds + min(end, sim.horizon_seconds) + sim.cooldown_seconds


def requests_per_minute(scenario: Scenario, start: float, end: float) -> tuple[float, float]:
    """(all requests, the busiest minute's requests) expected in ``[start, end)``, from the
    traffic model every engine uses (:func:`guardsim.model.traffic.expected`)."""
    from guardsim.model.traffic import expected
    from guardsim.scenarios.traffic import read_replay

    replay = None
    if scenario.traffic.replay_file is not None:
        counts, _ = read_replay(Path(scenario.traffic.replay_file))
        replay = counts or None
    edges = np.arange(math.floor(start / 60.0) * 60.0, end + 60.0, 60.0)
    per_minute = np.asarray(expected(scenario.traffic, edges[:-1], edges[1:], replay))
    if per_minute.size == 0:
        return 0.0, 0.0
    return float(per_minute.sum()), float(per_minute.max())


def _raw_minutes(scenario: Scenario) -> float:
    """Minutes of raw samples an exact run keeps: the longest window (Period x
    EvaluationPeriods) of an alarm on a percentile or other extended statistic; 0 without one."""
    from guardsim.cloudwatch.statistics import parse_statistic
    from guardsim.lint.derived import alarm_facts

    longest = 0.0
    for a in alarm_facts(scenario):
        if any(not parse_statistic(src.statistic).is_basic for src in a.sources):
            longest = max(longest, a.period * a.evaluation_periods / 60.0)
    return longest


def _replication(scenario: Scenario, mode: str) -> tuple[float, float]:
    """(memory bytes in flight, CPU seconds) of one replication in ``mode``."""
    span = simulated_seconds(scenario)
    seconds = SECONDS_PER_HOUR.get(mode, SECONDS_PER_HOUR["fast"]) * span / 3600.0
    if mode != "exact":
        return 0.0, seconds
    start = -scenario.simulation.warmup_seconds
    total, busiest = requests_per_minute(scenario, start, start + span)
    memory = busiest * BYTES_PER_REQUEST_IN_FLIGHT
    memory += busiest * _raw_minutes(scenario) * BYTES_PER_RAW_REQUEST
    return memory, seconds + total * SECONDS_PER_REQUEST


def estimate_run(scenario: Scenario, mode: str, source: str | None = None) -> Estimate:
    """One simulated deployment (``guardsim run``)."""
    memory, seconds = _replication(scenario, mode)
    where = f"{source}, " if source is not None else ""
    return Estimate(f"run of {scenario.name} ({where}{mode} mode)", memory, seconds)


def estimate_mc(scenario: Scenario, n: int, mode: str, workers: int = 1) -> Estimate:
    """``n`` replications of ``scenario`` in ``mode`` (resolved: batch, fast or exact)."""
    flight, seconds = _replication(scenario, mode)
    memory = n * BYTES_PER_REPLICATION + flight * max(1, workers)
    return Estimate(
        f"Monte Carlo of {scenario.name}: {n:,} replications ({mode} mode)",
        memory,
        n * seconds / max(1, workers),
    )


def estimate_sweep(
    configurations: list[tuple[Scenario, str]], n: int, workers: int = 1
) -> Estimate:
    """A sweep: ``n`` replications of each (scenario, resolved mode)."""
    in_flight = min(len(configurations), max(1, workers) + 1)
    per_config = [_replication(s, mode) for s, mode in configurations]
    flight = max((m for m, _ in per_config), default=0.0)
    memory = (
        in_flight * n * BYTES_PER_REPLICATION
        + flight * max(1, workers)
        + len(configurations) * BYTES_PER_CONFIGURATION
    )
    seconds = sum(n * s for _, s in per_config) / max(1, workers)
    return Estimate(
        f"sweep: {len(configurations):,} configuration(s) x {n:,} replications", memory, seconds
    )


# --------------------------------------------------------------------------- the check


def check(estimate: Estimate, max_memory: int | None = None) -> None:
    """Refuse (:class:`ResourceError`) an estimate over ``max_memory`` bytes (default: the
    memory available now; no check if that is unknown)."""
    limit = available_memory() if max_memory is None else max_memory
    if limit is None or estimate.memory <= limit:
        return
    source = "--max-memory" if max_memory is not None else "the memory available on this machine"
    raise ResourceError(
        f"refused before starting: {estimate.text()}, over the limit of {format_size(limit)} "
        f"({source}); use fewer replications or lower traffic, or raise the limit with "
        "--max-memory SIZE"
    )
