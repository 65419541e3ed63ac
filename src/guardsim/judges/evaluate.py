"""The judges on simulated runs, reported exactly as alarms are, side by side with them.

**The runs.** For a scenario, a base seed ``S`` and ``n`` replications, replication ``i`` of the
judges is ``simulate(variant, seed=S, mode="fast", replication=i)`` (the stream
``SeedSequence(S).spawn(n)[i]``, as ``monte_carlo(..., mode="fast")`` uses) with the per-minute
recorder on (:func:`guardsim.simulator.engine.simulate_with_looks`) and with no rollback alarm
watched, so every bake runs to its end and a judge sees every minute an alarm could have read.
Up to the instant the configured alarms would have rolled back, the traffic, the errors and the
latency draws are those of the alarms' own fast-mode replication ``i`` (each has its own random
stream, and removing the alarms changes no draw before that instant). The variants are the
scenario's own green model (the *bad* model, ``models.new``: detection) and the healthy one,
green identical to blue (:func:`guardsim.lint.evidence.healthy_scenario`: any detection is a
false rollback). Only the fast per-replication engine records looks: the batch engine does not
this release, and asking for it raises :class:`~guardsim.errors.UnsupportedError`.

**The looks.** A judge looks once per minute at every minute that overlaps a bake, using that
minute's per-fleet counts (the new fleet's and the old fleet's requests and 5XX errors, as the
``EndpointConfigName`` datapoints carry them) and decides when that minute is published (the
minute's end plus its publish delay, ``environment.metric_publish_delay_seconds``).

**What is reported**, per judge as per alarm configuration: detection probability on the bad
model, false-rollback probability on the healthy one (each with its 95 % Wilson interval,
:mod:`guardsim.intervals`), the detection time (seconds after ``UpdateEndpoint``, over the runs
that detected) and the **blast radius**: errors served by the new fleet. For an alarm it is the
run's ``green_errors``. For a judge detecting at instant ``t`` it is the new fleet's errors
served before ``t`` (whole minutes, and the share of the minute ``t`` falls in) plus the
errors of the rollback's own time, ``environment.alarm_reaction_seconds`` plus the mean of
``environment.rollback_seconds``, at the new fleet's error rate per second over the bake
minutes it served until ``t``; a judge that never detects has the whole run's ``green_errors``
(as an alarm that never trips).
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from guardsim.errors import ArgumentError, UnsupportedError
from guardsim.intervals import wilson_interval
from guardsim.judges.kernels import Looks, e_process, first_true, sprt, two_proportion
from guardsim.lint.evidence import healthy_scenario
from guardsim.scenarios.boto import AutoRollbackConfig
from guardsim.scenarios.scenario import Scenario
from guardsim.simulator.engine import simulate_with_looks
from guardsim.simulator.looks import LookRecorder

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

#: Default level of the count judges (per look for the two-proportion test, over the whole
#: bake for the SPRT and the e-process).
DEFAULT_ALPHA = 0.05
#: The SPRT's alternative: the new fleet's odds of an error 3 times the old fleet's.
DEFAULT_SPRT_ODDS_RATIO = 3.0
#: The latency judge: a minute breaches when the new fleet's p99 ModelLatency exceeds the old
#: fleet's by more than this fraction; it detects when M of the last N looks breach.
DEFAULT_LATENCY_MARGIN = 0.5
DEFAULT_LATENCY_M_OF_N = (3, 5)

GUARANTEES = {
    "two-proportion": "alpha per look (no bound over a bake: repeated looks inflate it)",
    "sprt": "false detection <= alpha over the whole bake, however many looks (Ville)",
    "e-process": "false detection <= alpha over the whole bake, whatever the effect (Ville)",
    "latency-p99": "none: a fixed heuristic; its false rate is what the simulation measures",
}


def _no_alarms(scenario: Scenario) -> Scenario:
    dc = dataclasses.replace(scenario.deployment_config, auto_rollback=AutoRollbackConfig(()))
    return dataclasses.replace(scenario, deployment_config=dc)


@dataclass(frozen=True)
class LookSet:
    """The bake minutes of ``n`` replications of one variant, padded to one width (a padded
    look has no requests: no information). ``decided_at`` is each look's publish instant (inf
    when padded); ``green_errors`` the whole run's new-fleet errors; ``errors_before`` the
    new-fleet errors served before each look's decision, ``rollback_errors`` those of the
    rollback's own time if the judge decides at that look."""

    looks: Looks
    new_p99: FloatArray
    old_p99: FloatArray
    decided_at: FloatArray
    errors_before: FloatArray
    rollback_errors: FloatArray
    green_errors: FloatArray

    @property
    def n(self) -> int:
        return self.looks.shape[0]


def _replication_looks(
    rec: LookRecorder, rollback_time: float
) -> tuple[list[int], tuple[list[float], ...]]:
    idx = rec.bake_minutes()
    minutes = np.asarray(rec.minutes, dtype=float)
    green_errors = np.asarray(rec.new_model_errors, dtype=float)
    cum = np.concatenate([[0.0], np.cumsum(green_errors)])
    decided, before, rollback = [], [], []
    served_minutes = 0
    served_errors = 0.0
    for i in idx:
        t = rec.published_at[i]
        # whole minutes before t, and the share of the minute t falls in
        whole = int(np.searchsorted(minutes + 60.0, t, side="right"))
        part = 0.0
        if whole < len(minutes) and minutes[whole] < t:
            part = green_errors[whole] * (t - minutes[whole]) / 60.0
        decided.append(t)
        before.append(float(cum[whole]) + part)
        if rec.new_requests[i] > 0:
            served_minutes += 1
            served_errors += float(green_errors[i])
        rate = served_errors / (60.0 * served_minutes) if served_minutes else 0.0
        rollback.append(rate * rollback_time)
    return idx, (decided, before, rollback)


def collect_looks(
    scenario: Scenario, n: int, seed: int | None = None, *, mode: str = "fast"
) -> LookSet:
    """Simulate ``n`` replications of ``scenario`` (with no rollback alarm watched) recording
    the bake minutes (see the module docstring). Only ``mode="fast"`` records them."""
    if mode != "fast":
        raise UnsupportedError(
            f"the {mode} engine does not record per-minute looks for the judges; the judges "
            "run on the fast per-replication engine (mode fast)"
        )
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ArgumentError(f"the number of replications must be a whole number >= 1, got {n!r}")
    base = scenario.simulation.seed if seed is None else seed
    env = scenario.environment
    rollback_time = float(env.alarm_reaction_seconds) + float(env.rollback_seconds.mean)
    target = _no_alarms(scenario)
    rows: list[tuple[list[int], LookRecorder, tuple[list[float], ...]]] = []
    total: list[float] = []
    for i in range(n):
        record, rec = simulate_with_looks(target, seed=base, mode="fast", replication=i)
        idx, extra = _replication_looks(rec, rollback_time)
        rows.append((idx, rec, extra))
        assert record.summary.green_errors is not None  # simulated: always observed
        total.append(float(record.summary.green_errors))
    width = max(1, max(len(r[0]) for r in rows))
    ints = {k: np.zeros((n, width), dtype=np.int64) for k in ("nr", "ne", "or", "oe")}
    floats = {k: np.full((n, width), np.nan) for k in ("np99", "op99")}
    decided = np.full((n, width), np.inf)
    before = np.zeros((n, width))
    rollback = np.zeros((n, width))
    for r, (idx, rec, (d, b, rb)) in enumerate(rows):
        k = len(idx)
        for key, values in (
            ("nr", rec.new_requests),
            ("ne", rec.new_errors),
            ("or", rec.old_requests),
            ("oe", rec.old_errors),
        ):
            ints[key][r, :k] = [values[i] for i in idx]
        for key, pvalues in (("np99", rec.new_p99), ("op99", rec.old_p99)):
            floats[key][r, :k] = [np.nan if pvalues[i] is None else pvalues[i] for i in idx]
        decided[r, :k], before[r, :k], rollback[r, :k] = d, b, rb
    looks = Looks(ints["nr"], ints["ne"], ints["or"], ints["oe"])
    return LookSet(
        looks,
        floats["np99"],
        floats["op99"],
        decided,
        before,
        rollback,
        np.asarray(total, dtype=float),
    )


def latency_judge(
    new_p99: FloatArray,
    old_p99: FloatArray,
    margin: float = DEFAULT_LATENCY_MARGIN,
    m_of_n: tuple[int, int] = DEFAULT_LATENCY_M_OF_N,
) -> IntArray:
    """First look at which ``M`` of the last ``N`` looks had the new fleet's p99 above
    ``(1 + margin)`` times the old fleet's (a look without both p99s does not breach). A fixed
    heuristic: it has no false-detection guarantee."""
    m, k = m_of_n
    if not (1 <= m <= k) or margin < 0:
        raise ArgumentError(
            f"latency judge: need 1 <= M <= N and margin >= 0, got {m_of_n}, {margin}"
        )
    with np.errstate(invalid="ignore"):
        breach = (new_p99 > old_p99 * (1.0 + margin)).astype(np.int64)
    window = np.cumsum(breach, axis=1)
    window[:, k:] = window[:, k:] - window[:, :-k]
    return first_true(window >= m)


Judge = Callable[[LookSet], IntArray]


def default_judges(alpha: float = DEFAULT_ALPHA) -> dict[str, Judge]:
    """The judges reported by default, by name (see :data:`GUARANTEES`)."""
    return {
        "two-proportion": lambda s: two_proportion(s.looks, alpha),
        "sprt": lambda s: sprt(s.looks, alpha, DEFAULT_SPRT_ODDS_RATIO),
        "e-process": lambda s: e_process(s.looks, alpha),
        "latency-p99": lambda s: latency_judge(s.new_p99, s.old_p99),
    }


@dataclass(frozen=True)
class Rate:
    """``k`` of ``n`` runs, with the 95 % Wilson interval."""

    k: int
    n: int

    @property
    def p(self) -> float:
        return self.k / self.n

    @property
    def ci(self) -> tuple[float, float]:
        return wilson_interval(self.k, self.n)

    def to_data(self) -> dict[str, Any]:
        return {"count": self.k, "n": self.n, "p": self.p, "ci95": list(self.ci)}

    def text(self) -> str:
        lo, hi = self.ci
        return f"{100 * self.p:5.1f}% [{100 * lo:.1f}, {100 * hi:.1f}]"


def _mean(values: FloatArray) -> float | None:
    values = values[~np.isnan(values)]
    return float(values.mean()) if len(values) else None


def _p95(values: FloatArray) -> float | None:
    values = values[~np.isnan(values)]
    return float(np.percentile(values, 95)) if len(values) else None


@dataclass(frozen=True)
class GuardResult:
    """One guard (an alarm configuration or a judge) on the bad and the healthy model."""

    name: str
    kind: str  # "alarm" or "judge"
    guarantee: str
    detection: Rate
    false_rollback: Rate
    detection_time_mean: float | None
    detection_time_p95: float | None
    blast_radius_mean: float
    blast_radius_p95: float

    def to_data(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "kind": self.kind,
            "guarantee": self.guarantee,
            "detection": self.detection.to_data(),
            "false_rollback": self.false_rollback.to_data(),
            "detection_seconds": {"mean": self.detection_time_mean, "p95": self.detection_time_p95},
            "blast_radius": {"mean": self.blast_radius_mean, "p95": self.blast_radius_p95},
        }


def judge_result(
    name: str, first_bad: IntArray, bad: LookSet, first_healthy: IntArray
) -> GuardResult:
    """A judge's :class:`GuardResult` from its first detecting look per replication."""
    rows = np.arange(bad.n)
    hit = first_bad >= 0
    j = np.where(hit, first_bad, 0)
    times = np.where(hit, bad.decided_at[rows, j], np.nan)
    blast = np.where(
        hit, bad.errors_before[rows, j] + bad.rollback_errors[rows, j], bad.green_errors
    )
    return GuardResult(
        name,
        "judge",
        GUARANTEES.get(name, ""),
        Rate(int(hit.sum()), bad.n),
        Rate(int((first_healthy >= 0).sum()), len(first_healthy)),
        _mean(times),
        _p95(times),
        float(blast.mean()),
        float(np.percentile(blast, 95)),
    )


def alarm_result(name: str, bad_runs: Any, healthy_runs: Any, guarantee: str = "") -> GuardResult:
    """An alarm configuration's :class:`GuardResult` from the runs tables of ``monte_carlo`` on
    the bad and the healthy model (detection: an alarm tripped and rolled back)."""
    detected = bad_runs["detected_at_seconds"].to_numpy(dtype=float)
    false = healthy_runs["detected_at_seconds"].to_numpy(dtype=float)
    blast = bad_runs["green_errors"].to_numpy(dtype=float)
    return GuardResult(
        name,
        "alarm",
        guarantee or "none: a threshold checked every evaluation; measured",
        Rate(int((~np.isnan(detected)).sum()), len(detected)),
        Rate(int((~np.isnan(false)).sum()), len(false)),
        _mean(detected),
        _p95(detected),
        float(blast.mean()),
        float(np.percentile(blast, 95)),
    )


@dataclass(frozen=True)
class Comparison:
    """Alarms and judges side by side on one scenario: ``n`` runs of each model, seed ``seed``."""

    scenario: str
    n: int
    seed: int
    alarm_mode: str
    guards: tuple[GuardResult, ...]

    def to_data(self) -> dict[str, Any]:
        return {
            "format": "guardsim.judges/1",
            "scenario": self.scenario,
            "n": self.n,
            "seed": self.seed,
            "alarm_mode": self.alarm_mode,
            "judge_mode": "fast",
            "blast_radius": "errors served by the new fleet (see guardsim.judges.evaluate)",
            "guards": [g.to_data() for g in self.guards],
        }

    def to_json(self) -> str:
        return json.dumps(self.to_data(), indent=2, allow_nan=False)

    def text(self) -> str:
        return comparison_text(self.guards, self.n, self.seed, self.scenario, self.alarm_mode)


def _fmt(v: float | None, unit: str = "") -> str:
    return "-" if v is None else f"{v:.0f}{unit}"


def comparison_text(
    guards: Sequence[GuardResult], n: int, seed: int, scenario: str, alarm_mode: str
) -> str:
    head = (
        f"{scenario}: {n} runs of the bad model and {n} of the healthy one, seed {seed} "
        f"(alarms: {alarm_mode} mode; judges: fast mode, every bake minute)"
    )
    cols = ("guard", "kind", "detects (95% CI)", "false rollback (95% CI)", "detect s", "blast")
    rows = [
        (
            g.name,
            g.kind,
            g.detection.text(),
            g.false_rollback.text(),
            _fmt(g.detection_time_mean),
            f"{g.blast_radius_mean:.1f}",
        )
        for g in guards
    ]
    widths = [max(len(c), *(len(r[i]) for r in rows)) for i, c in enumerate(cols)]
    lines = [head, "  ".join(c.ljust(w) for c, w in zip(cols, widths, strict=True))]
    lines += ["  ".join(v.ljust(w) for v, w in zip(r, widths, strict=True)) for r in rows]
    lines.append(
        "detect s: mean seconds after UpdateEndpoint over the runs that detected; blast: mean "
        "errors served by the new fleet, rollback included"
    )
    lines += [f"  {g.name}: {g.guarantee}" for g in guards if g.kind == "judge"]
    return "\n".join(lines)


def judge_looks(
    scenario: Scenario, n: int, seed: int | None = None, *, mode: str = "fast"
) -> tuple[LookSet, LookSet]:
    """The looks of the bad model (the scenario as given) and of the healthy one."""
    return (
        collect_looks(scenario, n, seed, mode=mode),
        collect_looks(healthy_scenario(scenario), n, seed, mode=mode),
    )


def evaluate_judges(
    bad: LookSet, healthy: LookSet, judges: dict[str, Judge] | None = None
) -> tuple[GuardResult, ...]:
    judges = default_judges() if judges is None else judges
    return tuple(judge_result(name, j(bad), bad, j(healthy)) for name, j in judges.items())


def compare(
    scenario: Scenario,
    n: int,
    seed: int | None = None,
    *,
    mode: str = "fast",
    alpha: float = DEFAULT_ALPHA,
    workers: int | None = 1,
) -> Comparison:
    """The scenario's alarms (as configured) and the judges on the same seeds, side by side.

    The alarms run in ``monte_carlo(..., mode="fast")``, so alarm replication ``i`` and judge
    replication ``i`` are one simulated run up to the alarms' rollback. ``mode`` other than
    ``fast`` raises :class:`~guardsim.errors.UnsupportedError` (only it records looks).
    """
    from guardsim.montecarlo.monte_carlo import monte_carlo

    base = scenario.simulation.seed if seed is None else seed
    bad, healthy = judge_looks(scenario, n, base, mode=mode)
    healthy_s = healthy_scenario(scenario)
    alarms = monte_carlo(scenario, n, seed=base, mode="fast", workers=workers)
    alarms_h = monte_carlo(healthy_s, n, seed=base, mode="fast", workers=workers)
    guards = [alarm_result("alarms as configured", alarms.runs, alarms_h.runs)]
    guards += evaluate_judges(bad, healthy, default_judges(alpha))
    return Comparison(scenario.name, n, base, "fast", tuple(guards))


__all__ = [
    "DEFAULT_ALPHA",
    "GUARANTEES",
    "Comparison",
    "GuardResult",
    "LookSet",
    "Rate",
    "alarm_result",
    "collect_looks",
    "compare",
    "comparison_text",
    "default_judges",
    "evaluate_judges",
    "judge_looks",
    "judge_result",
    "latency_judge",
]
