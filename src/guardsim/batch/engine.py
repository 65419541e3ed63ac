"""The batch engine: many fast-mode replications simulated in lockstep as numpy arrays.

Monte Carlo asks the same question thousands of times. The per-replication engine
(:mod:`guardsim.simulator.engine`) answers each in a few milliseconds, most of it Python
overhead per simulated minute, alarm evaluation and SageMaker poll. This engine runs a *block*
of :data:`BLOCK` replications at once: every simulated minute costs a fixed number of numpy
calls over arrays with one entry per replication, so the Python overhead is shared by the block.

**Same model, same sampling.** It implements fast mode's model (``simulation.mode: fast``) with
the same semantics, for every scenario the validator accepts:

* SageMaker's side: the blue/green and rolling controllers of
  :mod:`guardsim.simulator.controller` (launch, activation, bakes, a rolling update's batches and
  termination waits, polls every ``alarm_poll_interval_seconds`` from each wait's start, the
  execution timeout checked at every wake-up, the rollback and its durations: a rolling
  rollback's reactivation and ``RollbackMaximumBatchSize`` re-provisioning included, every
  ``environment`` setting), as arrays of per-replication times. The controller's waits are known
  in advance (they do not depend on the alarms until a rollback starts), so the success path's
  polls and timeout are laid out first, by the controller's own definitions
  (:mod:`guardsim.deployment.watch`, on arrays), and each replication leaves it at its first
  poll that :func:`~guardsim.deployment.watch.trips`; it is billed by
  :mod:`guardsim.model.billing`, as the SimPy fleets are;
* the data plane: per minute and routing state, request counts from Poisson (or, for evenly
  spaced arrivals, the exact lattice count) and binomial draws; errors from binomial draws;
  latency Sum, Minimum and Maximum from their sampling distributions exactly as
  :meth:`guardsim.simulator.metrics.LatencyComponent.draw_summary` draws them (every sample below
  :data:`~guardsim.simulator.dataplane.NORMAL_SUM_THRESHOLD` requests; Beta order statistics and
  a normal Sum above); percentiles as the exact order statistic through the mixture quantile;
* per-instance faults (warm-up): each segment's requests split among the instances activated
  together, each cohort at its age, as the SimPy fleets activate them;
* CloudWatch: minutes published after ``metric_publish_delay_seconds`` (drawn per minute), alarm
  windows built from what is published at each evaluation (every 10 s if an alarm is high
  resolution), metric math by fast mode's compiled program, extended statistics other than
  percentiles by fast mode's components kernel, evaluated by the same
  :class:`~guardsim.cloudwatch.alarm.AlarmRule`. An alarm's next state depends only on its
  previous state and, per datapoint of its evaluation range, on whether the datapoint is missing,
  breaching or not, and (for percentiles with ``EvaluateLowSampleCountPercentile``) whether it
  has few samples. So each evaluation instant calls the rule once per distinct pattern among the
  block's replications, on one replication's actual datapoints, and gives the result to every
  replication with that pattern (``tests/simulator/test_batch_engine.py`` checks the premise).

**Not the same random numbers.** A block draws each quantity for all its replications with one
numpy call, so replication ``i`` here is not ``simulate(scenario, seed, replication=i)``: the two
engines agree in distribution (``tests/simulator/test_batch_vs_fast.py``), not draw by draw. A
replication's result depends only on the scenario, the base seed and its index ``i`` (its block
is ``i // BLOCK``, always simulated whole, from the stream ``SeedSequence(seed, spawn_key=(b,
BLOCK_STREAM))``), never on how many replications were asked for or how they were split among
workers.

The model itself (expected arrivals, fault behaviour, the load-latency factor, billing) is
:mod:`guardsim.model`, the same kernels the per-replication engine calls; segments are cut at
fault onsets and ends as there, so a fault's onset is exact; waits, polls and the timeout are
laid out by :mod:`guardsim.deployment.watch`, as the controller lays them out.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from guardsim.batch import history as block_history
from guardsim.cloudwatch.alarm import OPERATOR_FUNCTIONS, AlarmRule, AlarmState
from guardsim.cloudwatch.binding import Source, bind_source
from guardsim.cloudwatch.metric_math import MetricMathProgram, compile_metrics
from guardsim.cloudwatch.schedule import evaluation_interval
from guardsim.cloudwatch.statistics import (
    StatisticKind,
    StatisticSpec,
    basic_of_window,
    ceil_rank,
    compute_from_histogram,
)
from guardsim.deployment import watch as watch_
from guardsim.deployment.config import effective_deployment_config
from guardsim.deployment.plan import plan_steps
from guardsim.errors import BatchUnsupportedError, ReplayFileError
from guardsim.model import billing
from guardsim.model import history as replayed_history
from guardsim.model import traffic as arrivals
from guardsim.model.faults import FleetFaults
from guardsim.model.latency import (
    NORMAL_SUM_THRESHOLD,
    draw_summaries,
    load_array_support,
    mixture_quantile,
)
from guardsim.model.metrics import ERROR_METRICS
from guardsim.model.metrics import LATENCY_METRICS as LATENCY
from guardsim.record import Summary
from guardsim.scenarios.models import ModelBehaviour
from guardsim.scenarios.scenario import Scenario
from guardsim.scenarios.traffic import read_replay
from guardsim.simulator.dataplane import lognormal_params
from guardsim.simulator.metrics import LatencyComponent, components_statistic

load_array_support()  # the engine runs the array kernels: scipy is loaded with it

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

#: Replications simulated together. Part of what a replication's draws depend on, so fixed.
BLOCK = 512
#: Tells a block's stream apart from replication streams (``spawn_key=(i,)``).
BLOCK_STREAM = 0x62617463

#: Alarm state codes in the engine's arrays.
OK, ALARM, INSUFFICIENT = 0, 1, 2
_STATES = (AlarmState.OK, AlarmState.ALARM, AlarmState.INSUFFICIENT_DATA)
_CODE = {s: i for i, s in enumerate(_STATES)}

FLEETS = ("blue", "green")

Row = tuple[int, str, Summary]


# --------------------------------------------------------------------------- what is supported


def batch_unsupported(scenario: Scenario) -> str | None:
    """None: the batch engine runs every scenario the validator accepts (since issue 14).

    Kept for callers that ask; like every engine it raises
    :class:`~guardsim.model.faults.UnsupportedFault` for a fault kind without a kernel.
    """
    models = {f: getattr(scenario.models, f) for f in FLEETS}
    for fleet in FLEETS:
        model: ModelBehaviour = models[fleet]
        # compiling raises UnsupportedFault for a fault kind without a kernel (no engine runs it)
        FleetFaults(model, f"models.{fleet}", replayed_history.drivers(models, 0.0, 0).get(fleet))
    return None


# --------------------------------------------------------------------------- the scenario, prepared


@dataclass(frozen=True)
class _Query:
    """One metric an alarm reads (a single-metric alarm's, or a metric-math MetricStat)."""

    qid: str
    source: Source
    #: how its windows are computed: "basic" (statistic sets), "mixture" (pNN of a latency
    #: metric, drawn as an order statistic of the window's lognormal mixture, vectorised),
    #: "components" (any other extended statistic of a latency metric or of
    #: InvocationsPerInstance, by :func:`guardsim.simulator.metrics.components_statistic`,
    #: fast mode's kernel) or "histogram" (an extended statistic of a 0/1 or constant metric:
    #: a function of the window's counts,
    #: :func:`~guardsim.cloudwatch.statistics.compute_from_histogram`)
    how: str


@dataclass(frozen=True)
class _Alarm:
    """A rollback alarm as the engine evaluates it."""

    name: str
    rule: AlarmRule
    queries: tuple[_Query, ...]
    program: MetricMathProgram | None  # metric math: the compiled expression, else None
    interval: int  # evaluation interval, s (10 high resolution, 60, or 3600 past one day)
    low_sample: bool  # whether the low-sample percentile rule can hold the state


class _Prepared:
    """Everything about the scenario that does not depend on the random draws."""

    def __init__(self, scenario: Scenario) -> None:
        reason = batch_unsupported(scenario)
        if reason is not None:
            raise BatchUnsupportedError(reason, scenario.name)
        self.scenario = scenario
        env = scenario.environment
        sim = scenario.simulation
        self.env = env
        self.config = effective_deployment_config(scenario)
        self.blue_count = scenario.endpoint.blue.instance_count
        self.green_count = scenario.endpoint.green.instance_count
        self.steps = plan_steps(
            self.config,
            self.green_count,
            env.percent_rounding,
            all_at_once_bakes_wait_interval=env.all_at_once_bakes_wait_interval,
        )
        # Active (blue, green) instances after each step (the controller turns off as many blue
        # instances as it turns on green ones, and all of them at the final step).
        blue, green = self.blue_count, 0
        self.active: list[tuple[int, int]] = [(blue, green)]
        for step in self.steps:
            green += step.instances
            blue = 0 if step.is_final else max(0, blue - step.instances)
            self.active.append((blue, green))
        self.start = 0.0 - float(sim.warmup_seconds)
        self.horizon = float(sim.horizon_seconds)
        self.first_minute = math.floor(self.start / 60.0)
        blue_from = None if env.per_config_metrics_for_blue else 0.0
        self.alarms: list[_Alarm] = []
        self.models = {"blue": scenario.models.blue, "green": scenario.models.green}
        for alarm in scenario.rollback_alarms:
            boto = alarm.to_boto()
            rule = env.alarm_rule(boto)
            program = None
            if alarm.metrics is not None:
                # the same compiled program fast mode's AlarmMonitor evaluates
                program = compile_metrics(boto["Metrics"])
                bound = {
                    q.id: bind_source(
                        q.namespace,
                        q.metric_name,
                        dict(q.dimensions),
                        q.stat,
                        scenario.endpoint,
                        blue_from,
                    )
                    for q in program.metric_stats.values()
                }
            else:
                assert alarm.metric_name is not None and alarm.statistic_name is not None
                bound = {
                    "m": bind_source(
                        alarm.namespace,
                        alarm.metric_name,
                        alarm.dimension_map(),
                        alarm.statistic_name,
                        scenario.endpoint,
                        blue_from,
                    )
                }
            queries = tuple(_Query(q, src, self._how(src)) for q, src in bound.items())
            self.alarms.append(
                _Alarm(
                    alarm.name,
                    rule,
                    queries,
                    program,
                    evaluation_interval(rule.period, rule.evaluation_periods),
                    program is None and rule.low_sample_threshold is not None,
                )
            )
        queries_ = [q for a in self.alarms for q in a.queries]
        self.needed = {q.source.metric for q in queries_}
        #: per fleet, the metrics some alarm reads of it: nothing else is drawn
        self.fleet_needed = {
            f: {q.source.metric for q in queries_ if f in q.source.fleets} for f in FLEETS
        }
        #: metrics whose segments are kept as latency components (extended statistics)
        self.component_metrics = {
            q.source.metric for q in queries_ if q.how in ("mixture", "components")
        }
        #: the CloudWatch clock's interval: every 10 s if an alarm is high resolution
        self.clock = 10.0 if any(a.rule.period < 60 for a in self.alarms) else 60.0
        self.clock_offset = math.fmod(env.alarm_evaluation_offset_seconds, self.clock)
        self.max_range = max((a.rule.range_length for a in self.alarms), default=1)
        #: How far back an evaluation reads: the longest range, and the longest interval
        self.lookback = max(
            (float(a.rule.period * a.rule.range_length) for a in self.alarms), default=0.0
        )
        self.max_interval = max((float(a.interval) for a in self.alarms), default=60.0)
        self.latency_params = {
            (f, "ModelLatency"): lognormal_params(m.latency) for f, m in self.models.items()
        } | {
            (f, "OverheadLatency"): lognormal_params(m.overhead_latency)
            for f, m in self.models.items()
        }
        self.offset = math.fmod(env.alarm_evaluation_offset_seconds, 60.0)
        self.full_offset = float(env.alarm_evaluation_offset_seconds)
        traffic = scenario.traffic
        self.uniform = traffic.arrivals == "uniform"
        self.replay: tuple[float, ...] | None = None
        if traffic.replay_file is not None:
            counts, problems = read_replay(Path(traffic.replay_file))
            if problems:
                raise ReplayFileError(problems, scenario.name)
            self.replay = counts
        self.constant_rate = (
            traffic.profile == "constant" and not traffic.bursts and self.replay is None
        )
        self._grid: FloatArray | None = None
        prices = {
            f: env.price_per_hour(getattr(scenario.endpoint, f).instance_type) for f in FLEETS
        }
        self.prices = prices
        #: Whether the minutes no poll can read may be skipped: every alarm's next state is a
        #: function of its range's datapoints alone (checked on the rule itself), and nothing
        #: else carries state from minute to minute (evenly spaced arrivals at a varying rate
        #: carry their lattice phase).
        self.forgetful = all(_memoryless(a) for a in self.alarms) and not (
            self.uniform and not self.constant_rate
        )

    def _how(self, src: Source) -> str:
        """How a query's window values are computed (see :class:`_Query`)."""
        spec = src.spec
        if spec.is_basic:
            return "basic"
        if src.metric in LATENCY or src.metric == "InvocationsPerInstance":
            spread = all(
                (m.latency if src.metric == "ModelLatency" else m.overhead_latency).p99_ms
                > (m.latency if src.metric == "ModelLatency" else m.overhead_latency).median_ms
                for m in (self.models[f] for f in src.fleets)
            )
            is_pct = spec.kind is StatisticKind.PERCENTILE and spec.upper is not None
            if src.metric in LATENCY and spread and is_pct:
                return "mixture"
            return "components"
        return "histogram"

    # ------------------------------------------------------------------ arrivals

    def expected(self, t0: FloatArray, t1: FloatArray) -> FloatArray:
        """Expected arrivals in [t0, t1): :func:`guardsim.model.traffic.expected`."""
        return arrivals.expected(self.scenario.traffic, t0, t1, self.replay)

    # ------------------------------------------------------------------ behaviour

    @cached_property
    def faults(self) -> dict[str, FleetFaults]:
        """Each fleet's faults compiled (:class:`guardsim.model.faults.FleetFaults`)."""
        # history hook: recording-driven fleets at start minute 0 (each block binds its own)
        return replayed_history.fleet_faults(self.models, self.start)

    @cached_property
    def fault_cuts(self) -> FloatArray:
        """Where either fleet's behaviour may change: segments are cut there."""
        return np.asarray(
            sorted({c for ff in self.faults.values() for c in ff.time_cuts}), dtype=np.float64
        )

    def behaviour(
        self,
        fleet: str,
        t0: FloatArray,
        rho: FloatArray,
        faults: dict[str, FleetFaults] | None = None,
    ) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
        """(p5xx, p4xx, latency multiplier, added ms) per segment: the fold of
        :meth:`guardsim.model.faults.FleetFaults.behaviour` (no per-instance faults here),
        of ``faults`` (a block's, history hook) or the scenario's."""
        b = (faults or self.faults)[fleet].behaviour(t0, rho)
        shape = np.broadcast(t0, rho).shape
        p5, p4, mult, add = (np.broadcast_to(np.asarray(v, dtype=np.float64), shape) for v in b)
        return p5, p4, mult, add


# --------------------------------------------------------------------------- one block


class _Block:
    """``BLOCK`` replications of one scenario, simulated together."""

    def __init__(self, prep: _Prepared, seed: int, block: int) -> None:
        self.prep = prep
        root = np.random.SeedSequence(seed, spawn_key=(block, BLOCK_STREAM))
        control, delay, traffic, metrics = (np.random.default_rng(s) for s in root.spawn(4))
        # history hook: the block's fleets, each replication at its own recording minute
        self.faults = block_history.block_faults(prep.models, prep.faults, prep.start, root, BLOCK)
        self.rng_traffic = traffic
        self.rng_metrics = metrics
        self.rng_delay = delay
        self.R = R = BLOCK
        env = prep.env
        steps = prep.steps

        def draw(dist: Any, k: int = 1) -> FloatArray:
            return np.asarray(dist.sample(control, R * k), dtype=np.float64).reshape(R, k)

        self.rolling = prep.config.policy_kind == "ROLLING"
        if self.rolling:
            self._rolling_path(draw)
            self._lay_out_events()
            return
        # ---- the success path: every duration drawn up front, per replication
        prov = draw(env.provisioning_seconds, prep.green_count).max(axis=1)
        act = draw(env.activation_seconds, len(steps)) if steps else np.zeros((R, 0))
        self.term_success = draw(env.termination_seconds)[:, 0]
        self.restore = draw(env.rollback_seconds)[:, 0]
        self.term_rollback = draw(env.termination_seconds)[:, 0]
        timeout = self.prep.config.maximum_execution_timeout_seconds
        d_prov = (
            float(timeout)
            if timeout is not None and env.timeout_includes_provisioning
            else math.inf
        )
        outside = env.watch_alarms_outside_bakes
        # the controller's waits, one after the other (each starts where the last returned)
        self._columns: list[tuple[FloatArray, IntArray, FloatArray, int, int]] = []
        t = self._wait(np.zeros(R), prov, outside, np.full(R, d_prov), 0)
        if d_prov != math.inf:
            deadline = np.full(R, d_prov)
        elif timeout:
            deadline = t + float(timeout)  # from the instant the fleet is ready
        else:
            deadline = np.full(R, math.inf)
        self.change_at = np.empty((R, len(steps)))
        for s, step in enumerate(steps):
            t = self._wait(t, act[:, s], outside, deadline, s)
            self.change_at[:, s] = t
            t = self._wait(t, np.full(R, float(step.bake_seconds)), True, deadline, s + 1)
        self.success_end = self._wait(t, self.term_success, False, math.inf, len(steps))
        self._lay_out_events()

    # ------------------------------------------------------------------ the controller's events

    def _wait(
        self,
        start: FloatArray,
        duration: FloatArray,
        watch: bool,
        deadline: FloatArray | float,
        changes: int,
        stage: int = -1,
    ) -> FloatArray:
        """Lay out one wait of the success path for every replication
        (:func:`guardsim.deployment.watch.lay_out_wait`: the controller's own instants); keep
        its polls and timeout, with the wait's start (a trip needs an alarm state entered
        since) and the routing changes made before it; return where it returns."""
        env = self.prep.env
        layout = watch_.lay_out_wait(
            start,
            duration,
            deadline,
            watch=watch,
            poll_interval=float(env.alarm_poll_interval_seconds),
            poll_at_bake_end=env.poll_at_bake_end,
        )
        for at, kind in zip(layout.times, layout.kinds, strict=True):
            self._columns.append((at, kind, start, changes, stage))
        return layout.exit

    # ------------------------------------------------------------------ rolling updates

    #: The waits of a rolling step, in order (a stage is ``4 * step + phase``).
    PROVISION, ACTIVATE, BAKE, TERMINATE = range(4)

    def _rolling_path(self, draw: Any) -> None:
        """The success path of a rolling update (:meth:`guardsim.simulator.controller.
        Controller._rolling`): per batch, launch (provisioning), activation, the routing
        change, the bake, then the old instances' termination (watched while more batches
        follow); the execution timeout only when it includes provisioning. The rollback's
        durations are drawn here too, for its longest form (every old instance
        re-provisioned, in ``RollbackMaximumBatchSize`` batches)."""
        prep = self.prep
        env = prep.env
        R = self.R
        steps = prep.steps
        S = len(steps)
        timeout = prep.config.maximum_execution_timeout_seconds
        limit = (
            float(timeout)
            if timeout is not None and env.timeout_includes_provisioning
            else math.inf
        )
        outside = env.watch_alarms_outside_bakes
        self._columns = []
        self.launch_at = np.empty((R, S))
        self.change_at = np.empty((R, S))
        self.old_terminated_at = np.empty((R, S))  # the exit of each termination wait
        t = np.zeros(R)
        for s, step in enumerate(steps):
            last = s == S - 1
            self.launch_at[:, s] = t
            prov = draw(env.provisioning_seconds, step.instances).max(axis=1)
            t = self._wait(t, prov, outside, limit, s, 4 * s + self.PROVISION)
            t = self._wait(
                t, draw(env.activation_seconds)[:, 0], outside, limit, s, 4 * s + self.ACTIVATE
            )
            self.change_at[:, s] = t
            bake = np.full(R, float(step.bake_seconds))
            t = self._wait(t, bake, True, limit, s + 1, 4 * s + self.BAKE)
            term = draw(env.termination_seconds)[:, 0]
            t = self._wait(
                t,
                term,
                outside and not last,
                math.inf if last else limit,
                s + 1,
                4 * s + self.TERMINATE,
            )
            self.old_terminated_at[:, s] = t
        self.success_end = t
        # the rollback, at its longest
        policy = prep.config.rolling
        assert policy is not None
        rb = policy.rollback_maximum_batch_size
        size = prep.blue_count
        if rb is not None and not (rb.type == "CAPACITY_PERCENT" and rb.value >= 100):
            size = rb.instances(prep.blue_count, env.percent_rounding)
        self.rb_size = max(1, size)
        nb = math.ceil(prep.blue_count / self.rb_size)
        self.restore = draw(env.rollback_seconds)[:, 0]
        self.rb_prov = draw(env.provisioning_seconds, nb * self.rb_size).reshape(
            R, nb, self.rb_size
        )
        self.rb_act = draw(env.activation_seconds, nb)
        self.rb_term = draw(env.termination_seconds, nb + 1)  # the first: at traffic restored
        self.term_rollback = draw(env.termination_seconds)[:, 0]
        self.rb_longest = (
            self.restore + (self.rb_prov.max(axis=2) + self.rb_act).sum(axis=1) + self.term_rollback
        )

    def _roll_back_rolling(self, r: IntArray, started: FloatArray, stage: IntArray) -> None:
        """Rows ``r`` roll back from ``started`` (:meth:`guardsim.simulator.controller.
        Controller._rollback_rolling`): after the restore, the old instances turned off but
        not yet terminated are reactivated and as many new ones (newest first) turned off;
        the rest of the old fleet is re-provisioned in batches, each turning off as many new
        instances; then the last new ones go, and the new instances are terminated."""
        prep = self.prep
        active = np.asarray(prep.active, dtype=np.int64)
        step, phase = stage // 4, stage % 4
        changes = np.where(phase >= self.BAKE, step + 1, step)
        blue_on = active[changes, 0]
        before = active[np.maximum(changes - 1, 0), 0]
        kept = np.where(phase == self.BAKE, before - blue_on, 0)
        green_on = active[changes, 1]
        t = started + self.restore[r]
        blue = blue_on + kept
        off_now = np.minimum(kept, green_on)
        green = green_on - off_now
        nb = self.rb_prov.shape[1]
        P = nb + 2
        post_t = np.full((len(r), P), math.inf)
        post_b = np.zeros((len(r), P), dtype=np.int64)
        post_g = np.zeros((len(r), P), dtype=np.int64)
        post_t[:, 0], post_b[:, 0], post_g[:, 0] = t, blue, green
        # each new instance, by its position from the newest: when it is turned off
        G = prep.green_count
        green_off = np.full((len(r), G), math.inf)  # terminated at, by position from newest
        pos = np.arange(G)[None, :]
        green_off = np.where(pos < off_now[:, None], (t + self.rb_term[r, 0])[:, None], green_off)
        done_off = off_now.copy()
        missing = prep.blue_count - blue
        blue_launch = np.full((len(r), nb * self.rb_size), math.inf)
        for b in range(nb):
            k = np.clip(missing - b * self.rb_size, 0, self.rb_size)
            live = k > 0
            col = np.arange(self.rb_size)[None, :]
            prov = np.where(col < k[:, None], self.rb_prov[r, b], -math.inf).max(axis=1)
            launch = t
            blue_launch[:, b * self.rb_size : (b + 1) * self.rb_size] = np.where(
                (col < k[:, None]) & live[:, None], launch[:, None], math.inf
            )
            t = np.where(live, t + prov + self.rb_act[r, b], t)
            off = np.where(live, np.minimum(k, green), 0)
            blue = blue + np.where(live, k, 0)
            green = green - off
            in_batch = (pos >= done_off[:, None]) & (pos < (done_off + off)[:, None])
            green_off = np.where(in_batch, (t + self.rb_term[r, b + 1])[:, None], green_off)
            done_off = done_off + off
            post_t[:, b + 1] = t  # a batch not needed: no change, at the last one's instant
            post_b[:, b + 1], post_g[:, b + 1] = blue, green
        post_t[:, nb + 1], post_b[:, nb + 1], post_g[:, nb + 1] = t, prep.blue_count, 0
        end = t + self.term_rollback[r]
        # positions never turned off (and instances launched but never activated): at the end
        green_off = np.where(np.isinf(green_off), end[:, None], green_off)
        self.post_t[r], self.post_b[r], self.post_g[r] = post_t, post_b, post_g
        self.restored_at[r] = t
        self.end[r] = end
        self.green_off[r] = green_off
        self.green_on_at_leave[r] = green_on
        self.rb_blue_launch[r] = blue_launch

    def _lay_out_events(self) -> None:
        """Every poll and timeout of the success path, per replication, in controller order:
        the waits' instants where SageMaker reads the alarms or the deadline has passed."""
        R = self.R
        cols_t, cols_kind, cols_since, changes, stages = zip(*self._columns, strict=True)
        kinds = np.stack(cols_kind, axis=1)
        valid = np.isin(kinds, (*watch_.READS_ALARMS, watch_.TIMEOUT))
        # events that never happen go to +inf; then each row is sorted by time (stable: events
        # at one instant stay in the order the controller checks them)
        times = np.where(valid, np.stack(cols_t, axis=1), math.inf)
        order = np.argsort(times, axis=1, kind="stable")
        rows = np.arange(R)[:, None]
        self.ev_t = times[rows, order]
        self.ev_valid = valid[rows, order]
        self.ev_since = np.stack(cols_since, axis=1)[rows, order]
        self.ev_kind = kinds[rows, order]
        self.ev_changes = np.asarray(changes, dtype=np.int64)[order]
        self.ev_stage = np.asarray(stages, dtype=np.int64)[order]
        del self._columns

    # ------------------------------------------------------------------ running

    def run(self) -> list[tuple[str, Summary]]:
        prep = self.prep
        R = self.R
        env = prep.env
        # ---- per-replication outcome, filled in as the replications leave the success path
        self.detected = np.full(R, math.nan)
        self.left = np.zeros(R, dtype=bool)  # left the success path (rollback or failure)
        self.kept_changes = np.full(R, len(prep.steps), dtype=np.int64)
        self.rollback_started = np.full(R, math.nan)
        self.restored_at = np.full(R, math.inf)  # traffic back on blue (rollback completed)
        self.end = self.success_end.copy()
        self.outcome = np.zeros(R, dtype=np.int64)  # 0 succeeded, 1 rolled back, 2 failed
        self.tripped = np.zeros((R, len(prep.alarms)), dtype=bool)
        # the routing changes after leaving the success path: (time, blue, green active); the
        # last one is traffic restored (a blue/green rollback has only that one)
        P = self.rb_prov.shape[1] + 2 if self.rolling else 1
        self.post_t = np.full((R, P), math.inf)
        self.post_b = np.zeros((R, P), dtype=np.int64)
        self.post_g = np.zeros((R, P), dtype=np.int64)
        if self.rolling:
            self.leave_stage = np.full(R, -1, dtype=np.int64)
            self.left_at = np.full(R, math.nan)
            self.green_off = np.full((R, prep.green_count), math.inf)
            self.green_on_at_leave = np.zeros(R, dtype=np.int64)
            self.rb_blue_launch = np.full((R, self.rb_prov.shape[1] * self.rb_size), math.inf)
            longest = self.rb_longest
        else:
            longest = self.restore + self.term_rollback
        latest = np.maximum(
            self.success_end,
            np.max(np.where(self.ev_valid, self.ev_t, -math.inf), axis=1, initial=0.0)
            + env.alarm_reaction_seconds
            + longest,
        )
        last = min(float(latest.max()), prep.horizon)
        m0 = prep.first_minute
        minutes = math.ceil(last / 60.0) - m0 + 1
        self.M = minutes
        self._allocate(minutes)
        self.ptr = np.zeros(R, dtype=np.int64)
        self.state = np.full((len(prep.alarms), R), INSUFFICIENT, dtype=np.int64)
        self.entered = np.full((len(prep.alarms), R), -math.inf)
        self.rule_memo: list[dict[int, int]] = [{} for _ in prep.alarms]
        self.counters = {k: np.zeros(R, dtype=np.int64) for k in ("green_n", "green_e", "user_e")}
        self.peak_steps = np.zeros(R, dtype=np.int64)
        self.next_uniform = np.full(R, prep.start)  # evenly spaced arrivals: the lattice phase
        self.ext_cache: dict[tuple[Source, int], dict[float, tuple[IntArray, FloatArray]]] = {}
        if prep.clock == 60.0:
            within = [prep.offset]
        else:  # high resolution: every 10 s
            within = [prep.clock_offset + 10.0 * k for k in range(6)]
        eval_from, data_from = self._readable_from()
        for j in range(minutes):
            m = 60.0 * (m0 + j)
            if m + 60.0 <= max(prep.start, data_from):
                continue
            # the alarms' states before the minute's evaluations and after each of them
            states, entered = [self.state.copy()], [self.entered.copy()]
            instants = [m + w for w in within if m + w > max(prep.start, eval_from)]
            for t_eval in instants:
                self._evaluate(t_eval)
                states.append(self.state.copy())
                entered.append(self.entered.copy())
            self._controller(m, np.asarray(instants), np.stack(states), np.stack(entered))
            self._sample_minute(j, m)
        return self._summaries()

    def _readable_from(self) -> tuple[float, float]:
        """(first evaluation, first minute's start) that can reach a decision.

        A poll reads an alarm's state and whether it was entered since the wait began. With
        forgetful alarms (:attr:`_Prepared.forgetful`) the state at an evaluation is a function
        of its range alone, so only the evaluations from the last one before the earliest wait
        start of the block matter (an earlier change is before every wait start, which is all
        a poll asks of it), and only the minutes their ranges read; minutes before that, and
        before UpdateEndpoint (nothing is counted there), are not simulated: the warm-up and
        the provisioning cost nothing, and what is read is exactly as if they were."""
        prep = self.prep
        if not prep.forgetful:
            return -math.inf, -math.inf
        since = np.where(self.ev_valid, self.ev_since, math.inf)
        first = float(since.min(initial=math.inf))
        if not math.isfinite(first):
            return -math.inf, -math.inf
        eval_from = first - prep.max_interval - 1.0
        data_from = min(0.0, eval_from - prep.lookback - 60.0)
        return eval_from, data_from

    def _allocate(self, minutes: int) -> None:
        R = self.R
        self.delay = np.asarray(
            self.prep.env.metric_publish_delay_seconds.sample(self.rng_delay, R * minutes),
            dtype=np.float64,
        ).reshape(R, minutes)
        self.published = (
            60.0 * (self.prep.first_minute + np.arange(minutes) + 1.0)[None, :] + self.delay
        )
        self.n = {f: np.zeros((R, minutes), dtype=np.int64) for f in FLEETS}
        self.errors = {
            (f, m): np.zeros((R, minutes), dtype=np.int64) for f in FLEETS for m in ERROR_METRICS
        }
        # per latency metric and fleet: Sum, Minimum, Maximum per minute
        self.lat: dict[tuple[str, str], tuple[FloatArray, FloatArray, FloatArray]] = {}
        for metric in (*LATENCY, "InvocationsPerInstance"):
            for f in FLEETS:
                if metric in self.prep.fleet_needed[f]:
                    self.lat[(f, metric)] = (
                        np.zeros((R, minutes)),
                        np.full((R, minutes), math.inf),
                        np.full((R, minutes), -math.inf),
                    )
        # percentile alarms: every segment's latency component (count, scale, add) per minute
        self.comps: dict[tuple[str, str], list[tuple[IntArray, FloatArray, FloatArray]]] = {}

    # ------------------------------------------------------------------ SageMaker's polls

    def _controller(
        self, m: float, instants: FloatArray, states: IntArray, entered_at: FloatArray
    ) -> None:
        """Process the polls and timeouts of [m, m + 60): the first that trips leaves the path.

        ``states`` and ``entered_at`` ([evaluations + 1, alarms, R]) are the alarms' states
        before the minute's evaluation ``instants`` and after each: a poll sees the state of
        the last evaluation at or before it (CloudWatch evaluates before SageMaker reads)."""
        prep = self.prep
        env = prep.env
        live = ~self.left
        if not live.any():
            return
        P = self.ev_t.shape[1]
        counts = (self.ev_t < m + 60.0).sum(axis=1)  # rows are sorted: events before m+60
        take = counts - self.ptr
        width = int(take[live].max(initial=0))
        if width == 0:
            return
        idx = np.minimum(self.ptr[:, None] + np.arange(width)[None, :], P - 1)
        rows = np.arange(self.R)[:, None]
        inside = (np.arange(width)[None, :] < take[:, None]) & live[:, None]
        t = self.ev_t[rows, idx]
        since = self.ev_since[rows, idx]
        kind = self.ev_kind[rows, idx]
        seen = np.searchsorted(instants, t, side="right")  # [R, width]: which snapshot
        hits = np.zeros((self.R, width, len(prep.alarms)), dtype=bool)
        for a in range(len(prep.alarms)):
            st = states[seen, a, rows]
            entered = entered_at[seen, a, rows]
            hits[:, :, a] = watch_.trips(
                st == ALARM,
                st == INSUFFICIENT,
                entered,
                since,
                on_insufficient_data=env.trip_on_insufficient_data,
                in_alarm_at_start=env.trip_if_in_alarm_at_bake_start,
            )
        hit = ((kind == watch_.TIMEOUT) | hits.any(axis=2)) & inside
        self.ptr = np.where(live, counts, self.ptr)
        found = hit.any(axis=1)
        if not found.any():
            return
        first = np.argmax(hit, axis=1)
        r = np.nonzero(found)[0]
        f = first[r]
        at = t[r, f]
        k = kind[r, f]
        self.left[r] = True
        self.kept_changes[r] = self.ev_changes[r, idx[r, f]]
        is_timeout = k == watch_.TIMEOUT
        alarm_rows = r[~is_timeout]
        self.detected[alarm_rows] = at[~is_timeout]
        self.tripped[alarm_rows] = hits[alarm_rows, f[~is_timeout]]
        started = np.where(is_timeout, at, at + env.alarm_reaction_seconds)
        stage = self.ev_stage[r, idx[r, f]]
        if self.rolling:
            self.leave_stage[r] = stage
            self.left_at[r] = at
        if env.timeout_action == "fail":
            failed = is_timeout
            self.outcome[r[failed]] = 2
            self.end[r[failed]] = at[failed]
            r, started, stage = r[~failed], started[~failed], stage[~failed]
        self.outcome[r] = 1
        self.rollback_started[r] = started
        if self.rolling:
            self._roll_back_rolling(r, started, stage)
            return
        self.restored_at[r] = started + self.restore[r]
        self.end[r] = self.restored_at[r] + self.term_rollback[r]
        self.post_t[r, 0] = self.restored_at[r]
        self.post_b[r, 0] = prep.blue_count

    # ------------------------------------------------------------------ CloudWatch

    def _evaluate(self, t: float) -> None:
        """Evaluate every alarm due at ``t`` (its own schedule, as fast mode's monitor has it).

        A query's datapoints are worked out once per instant and shared by every alarm that
        reads the same metric, statistic, period and range."""
        prep = self.prep
        shared: dict[tuple[Source, int, int], tuple[FloatArray, FloatArray]] = {}
        for a, alarm in enumerate(prep.alarms):
            k = round((t - prep.full_offset) / alarm.interval)
            if abs(t - prep.full_offset - k * alarm.interval) > 1e-6:
                continue
            rule = alarm.rule
            inputs: dict[str, tuple[FloatArray, FloatArray]] = {}
            for q in alarm.queries:
                key = (q.source, rule.period, rule.range_length)
                hit = shared.get(key)
                if hit is None:
                    hit = shared[key] = self._datapoints(q, rule.period, rule.range_length, t)
                inputs[q.qid] = hit
            if alarm.program is None:
                values, counts = inputs[alarm.queries[0].qid]
            else:
                values = self._metric_math(alarm.program, {q: v for q, (v, _) in inputs.items()})
                counts = np.full(values.shape, math.nan)
            self._apply_rule(a, alarm, t, values, counts)

    def _metric_math(self, program: MetricMathProgram, inputs: dict[str, FloatArray]) -> FloatArray:
        """The expression's series per replication: the compiled program (fast mode's) once
        per distinct row of inputs among the block's replications (an error rate of 0/n is
        one row whatever n; missing datapoints are one value)."""
        names = list(inputs)
        L = inputs[names[0]].shape[1]
        stacked = np.concatenate([inputs[q] for q in names], axis=1)
        # NaN (missing) as -inf: a value no SageMaker statistic takes, so rows compare exactly
        keyed = np.where(np.isnan(stacked), -math.inf, stacked)
        uniq, inverse = np.unique(keyed, axis=0, return_inverse=True)
        out = np.empty((len(uniq), L))
        for u, row in enumerate(uniq):
            series = {
                q: [None if v == -math.inf else float(v) for v in row[i * L : (i + 1) * L]]
                for i, q in enumerate(names)
            }
            result = program.evaluate(series)
            out[u] = [math.nan if v is None else v for v in result]
        return out[inverse.reshape(-1)]

    def _window_minutes(self, period: int, L: int, t: float) -> IntArray:
        """[L, W] array indices of the minutes in each window of the range at ``t``
        (a window [s, e) holds the minutes that start in it: at most one for a
        high-resolution period); -1 where there is none."""
        width = max(1, math.ceil(period / 60))
        starts = t - period * np.arange(L, 0, -1, dtype=np.float64)
        ends = starts + period
        first = np.ceil(starts / 60.0 - 1e-9).astype(np.int64)
        minute = first[:, None] + np.arange(width)[None, :]
        inside = 60.0 * minute < ends[:, None] - 1e-9
        idx = minute - self.prep.first_minute
        return np.where(inside & (idx >= 0) & (idx < self.M), idx, -1)

    def _visible(self, fleet: str, src: Source, idx: IntArray, t: float) -> BoolArray:
        """[R, L, W]: the fleet's bucket of each minute exists and is published by ``t``."""
        safe = np.maximum(idx, 0)
        vis = (self.n[fleet][:, safe] > 0) & (self.published[:, safe] <= t) & (idx >= 0)[None]
        if fleet == "blue" and src.fleets == ("blue",) and src.blue_from is not None:
            minute_start = 60.0 * (self.prep.first_minute + safe)
            vis &= (minute_start >= src.blue_from)[None]
        return vis

    def _datapoints(
        self, q: _Query, period: int, L: int, t: float
    ) -> tuple[FloatArray, FloatArray]:
        """[R, L] datapoint values (NaN: missing) and sample counts of the range at ``t``."""
        src = q.source
        R = self.R
        if not src.fleets:
            return np.full((R, L), math.nan), np.full((R, L), math.nan)
        idx = self._window_minutes(period, L, t)
        safe = np.maximum(idx, 0)
        vis = {f: self._visible(f, src, idx, t) for f in src.fleets}
        n = sum(
            (np.where(vis[f], self.n[f][:, safe], 0).sum(axis=2) for f in src.fleets),
            np.zeros((R, L), dtype=np.int64),
        )
        present = n > 0
        if q.how == "basic":
            value = self._basic(src.spec, src, safe, vis, n)
        elif q.how == "histogram":
            value = self._histogram(src, safe, vis, n)
        else:
            value = self._extended(q, period, t, idx, vis, n)
        value = np.where(present, value, math.nan)
        return value, np.where(present, n.astype(np.float64), math.nan)

    def _basic(
        self,
        spec: StatisticSpec,
        src: Source,
        safe: IntArray,
        vis: dict[str, BoolArray],
        n: IntArray,
    ) -> FloatArray:
        # every fleet's visible minutes side by side, one window per [replication, datapoint];
        # of the statistic sets' fields only the one the statistic reads
        kind = spec.kind
        field = _FIELD.get(kind)
        metric = src.metric
        counts, values = [], []
        for f in src.fleets:
            nb = self.n[f][:, safe]
            counts.append(nb)
            if field is None:
                continue
            if metric == "Invocations":  # every sample is 1
                values.append(nb.astype(np.float64) if field == 0 else np.ones(nb.shape))
            elif metric in ERROR_METRICS:  # 0/1 per request
                e = self.errors[(f, metric)][:, safe]
                if field == 0:
                    values.append(e.astype(np.float64))
                elif field == 1:  # Minimum: 0 unless every request failed
                    values.append(np.where(e < nb, 0.0, 1.0))
                else:  # Maximum: 1 if any request failed
                    values.append(np.where(e > 0, 1.0, 0.0))
            else:
                values.append(self.lat[(f, metric)][field][:, safe])

        def joined(parts: list[Any]) -> Any:
            return parts[0] if len(parts) == 1 else np.concatenate(parts, axis=2)

        fields: list[Any] = [None, None, None]
        if field is not None:
            fields[field] = joined(values)
        return basic_of_window(
            kind, joined(counts), *fields, where=joined([vis[f] for f in src.fleets])
        )

    def _histogram(
        self, src: Source, safe: IntArray, vis: dict[str, BoolArray], n: IntArray
    ) -> FloatArray:
        """An extended statistic of Invocations (every sample 1) or of a 0/1 error metric: a
        function of the window's (count, errors) alone, worked out once per distinct pair."""
        if src.metric in ERROR_METRICS:
            k = sum(
                (
                    np.where(vis[f], self.errors[(f, src.metric)][:, safe], 0).sum(axis=2)
                    for f in src.fleets
                ),
                np.zeros(n.shape, dtype=np.int64),
            )
            values = np.array([0.0, 1.0])
        else:
            k = np.zeros(n.shape, dtype=np.int64)
            values = np.array([1.0])
        pairs, inverse = np.unique(
            np.stack([n.ravel(), k.ravel()], axis=1), axis=0, return_inverse=True
        )
        table = np.full(len(pairs), math.nan)
        for p, (count, errors) in enumerate(pairs):
            if count <= 0:
                continue
            hist = [count - errors, errors] if len(values) == 2 else [count]
            v = compute_from_histogram(src.spec, values, np.asarray(hist, dtype=np.int64))
            table[p] = math.nan if v is None else v
        return table[inverse.reshape(-1)].reshape(n.shape)

    def _extended(
        self,
        q: _Query,
        period: int,
        t: float,
        idx: IntArray,
        vis: dict[str, BoolArray],
        n: IntArray,
    ) -> FloatArray:
        """An extended statistic of each window of a latency metric (or of
        InvocationsPerInstance): drawn once per window and number of visible buckets (a
        datapoint changes only when another of its minutes is published), shared by every
        alarm reading it (fast mode draws one value per window, whoever reads it)."""
        src = q.source
        R, L = n.shape
        nbuckets = sum(vis[f].sum(axis=2) for f in src.fleets)
        cache = self.ext_cache.setdefault((src, period), {})
        out = np.full((R, L), math.nan)
        for w in range(L):
            key = t - period * (L - w)
            old = cache.get(key)
            value = old[1].copy() if old is not None else np.full(R, math.nan)
            stale = nbuckets[:, w] != (old[0] if old is not None else -1)
            stale &= n[:, w] > 0
            rows = np.nonzero(stale)[0]
            if len(rows):
                window_vis = {f: v[:, w] for f, v in vis.items()}
                if q.how == "mixture":
                    value[rows] = self._mixture_percentile(
                        src, idx[w], window_vis, rows, n[rows, w]
                    )
                else:
                    value[rows] = self._components(src, idx[w], window_vis, rows)
            cache[key] = (nbuckets[:, w].copy(), value)
            out[:, w] = value
        horizon = t - period * (self.prep.max_range + 1)
        for key in [k for k in cache if k < horizon]:
            del cache[key]
        return out

    def _components(
        self, src: Source, minutes: IntArray, vis: dict[str, BoolArray], rows: IntArray
    ) -> FloatArray:
        """Per row, the statistic of the window's latency components by fast mode's own
        kernel (:func:`guardsim.simulator.metrics.components_statistic`: trimmed and
        winsorized means, trimmed counts and sums, percentile ranks, IQM from a resample of
        the window's mixture; percentiles of a constant metric exactly)."""
        safe = np.maximum(minutes, 0)
        parts = []
        for f in src.fleets:
            mu, sigma = self._params(f, src.metric)
            v = vis[f][rows]
            for cn, sc, ad in self.comps.get((f, src.metric), []):
                counts = np.where(v, cn[rows][:, safe], 0)
                parts.append((mu, sigma, counts, sc[rows][:, safe], ad[rows][:, safe]))
        out = np.full(len(rows), math.nan)
        spec = src.spec
        for i in range(len(rows)):
            comps = [
                LatencyComponent(int(c[i, w]), mu, sigma, float(sc[i, w]), float(ad[i, w]))
                for mu, sigma, c, sc, ad in parts
                for w in range(c.shape[1])
                if c[i, w] > 0
            ]
            value = components_statistic(comps, spec, self.rng_metrics)
            out[i] = math.nan if value is None else value
        return out

    def _params(self, fleet: str, metric: str) -> tuple[float, float]:
        """(mu, sigma) of a metric's lognormal samples (InvocationsPerInstance: constant)."""
        if metric == "InvocationsPerInstance":
            return 0.0, 0.0
        return self.prep.latency_params[(fleet, metric)]

    def _mixture_percentile(
        self,
        src: Source,
        minutes: IntArray,
        vis: dict[str, BoolArray],
        rows: IntArray,
        n: IntArray,
    ) -> FloatArray:
        """The r-th smallest of the window's n samples, r = max(1, ceil(p n)) (see
        aws-model.md#low-sample-percentiles): G^-1(U)
        with U ~ Beta(r, n - r + 1), G the count-weighted mixture of the segments' lognormals
        (as :func:`guardsim.simulator.metrics.components_statistic` draws it)."""
        assert src.spec.upper is not None
        rank = ceil_rank(src.spec.upper, n)
        u = self.rng_metrics.beta(rank.astype(np.float64), (n - rank + 1).astype(np.float64))
        safe = np.maximum(minutes, 0)
        w_parts, mu_parts, sg_parts, sc_parts, ad_parts = [], [], [], [], []
        for f in src.fleets:
            mu, sigma = self.prep.latency_params[(f, src.metric)]
            v = vis[f][rows]  # [rows, W]: this window's minutes
            for cn, sc, ad in self.comps.get((f, src.metric), []):
                w_parts.append(np.where(v, cn[rows][:, safe], 0).astype(np.float64))
                sc_parts.append(sc[rows][:, safe])
                ad_parts.append(ad[rows][:, safe])
                mu_parts.append(np.full(w_parts[-1].shape, mu))
                sg_parts.append(np.full(w_parts[-1].shape, sigma))
        return mixture_quantile(
            np.concatenate(w_parts, axis=1),
            np.concatenate(mu_parts, axis=1),
            np.concatenate(sg_parts, axis=1),
            np.concatenate(sc_parts, axis=1),
            np.concatenate(ad_parts, axis=1),
            u,
        )

    def _apply_rule(
        self, a: int, alarm: _Alarm, t: float, values: FloatArray, counts: FloatArray
    ) -> None:
        """New states: the rule once per distinct (previous state, datapoint pattern)."""
        rule = alarm.rule
        missing = np.isnan(values)
        breach = _breaches(rule, values)
        code = np.where(missing, 0, np.where(breach, 2, 1))
        if alarm.low_sample:
            assert rule.low_sample_threshold is not None
            code = code + 3 * (~missing & (counts < rule.low_sample_threshold))
        # one integer per (previous state, pattern): base-6 digits (base-3 without the rule)
        base = 6 if alarm.low_sample else 3
        keys: list[int] | None = None
        if base ** (code.shape[1] + 1) < 2**62:
            key = self.state[a].copy()
            for i in range(code.shape[1]):
                key = key * base + code[:, i]
            uniq, first, inverse = np.unique(key, return_index=True, return_inverse=True)
            keys = uniq.tolist()
        else:  # long evaluation ranges: unique rows (slower, exact)
            rows = np.concatenate([self.state[a][:, None], code], axis=1)
            _, first, inverse = np.unique(rows, axis=0, return_index=True, return_inverse=True)
        new = np.empty(len(first), dtype=np.int64)
        # the rule is a pure function of (previous state, pattern): each key's result, once
        memo = self.rule_memo[a]
        for p, r in enumerate(first):
            if keys is not None:
                hit = memo.get(keys[p])
                if hit is not None:
                    new[p] = hit
                    continue
            pts = [None if missing[r, i] else float(values[r, i]) for i in range(values.shape[1])]
            sample_counts = None
            if alarm.low_sample:
                sample_counts = [
                    None if missing[r, i] else float(counts[r, i]) for i in range(values.shape[1])
                ]
            result = rule.evaluate(pts, _STATES[int(self.state[a][r])], sample_counts=sample_counts)
            new[p] = _CODE[result.state]
            if keys is not None:
                memo[keys[p]] = new[p]
        state = new[inverse.reshape(-1)]
        changed = state != self.state[a]
        self.entered[a] = np.where(changed, t, self.entered[a])
        self.state[a] = state

    # ------------------------------------------------------------------ the data plane

    def _sample_minute(self, j: int, m: float) -> None:
        """Sample every request of minute [m, m + 60) of every replication."""
        prep = self.prep
        R = self.R
        lo, hi = max(m, prep.start), m + 60.0
        S = len(prep.steps)
        # cut points inside the minute: kept routing changes, traffic restored, 0, the end and
        # fault onsets and ends
        kept = np.arange(S)[None, :] < self.kept_changes[:, None]
        changes = np.where(kept, self.change_at, math.inf)
        cuts = np.concatenate(
            [
                changes,
                self.post_t,  # the rollback's routing changes, traffic restored the last
                np.zeros((R, 1)),
                np.minimum(self.end, prep.horizon)[:, None],
                # fault onsets and ends: a fault takes effect at its own second, not the minute's
                np.broadcast_to(prep.fault_cuts, (R, len(prep.fault_cuts))),
                # warm-up: where an instance of a cohort leaves a warm-up state
                *self._age_cuts(changes),
            ],
            axis=1,
        )
        inside = (cuts > lo) & (cuts < hi)
        # as many segments as the row with the most cuts needs (usually one: no cut)
        width = int(inside.sum(axis=1).max()) + 1
        cuts = np.where(inside, cuts, hi)
        if width > 1:
            cuts.sort(axis=1)
        t1 = np.concatenate([cuts[:, : width - 1], np.full((R, 1), hi)], axis=1)
        t0 = np.concatenate([np.full((R, 1), lo), t1[:, :-1]], axis=1)
        # routing per segment: changes applied before it, or all traffic back on blue
        applied = (changes[:, None, :] <= t0[:, :, None]).sum(axis=2)
        post = (self.post_t[:, None, :] <= t0[:, :, None]).sum(axis=2)
        restored = post > 0  # in the rollback (blue/green: traffic back on blue)
        active = np.asarray(prep.active, dtype=np.int64)
        rows = np.arange(R)[:, None]
        at_post = np.maximum(post - 1, 0)
        blue_n = np.where(restored, self.post_b[rows, at_post], active[applied, 0])
        green_n = np.where(restored, self.post_g[rows, at_post], active[applied, 1])
        total_active = blue_n + green_n
        end = np.minimum(self.end, prep.horizon)[:, None]  # a run stops at the horizon
        counting = (t0 >= 0.0) & (t0 < end)
        lam = prep.expected(t0, t1)
        if prep.uniform and prep.constant_rate:
            rate = prep.scenario.traffic.rate_per_second
            # evenly spaced arrivals at start + k / rate: the lattice points in [t0, t1)
            total = arrivals.lattice_count(prep.start, t0, t1, rate)
        elif prep.uniform:
            total = self._uniform(t0, t1, lam, total_active > 0)
        else:
            total = self.rng_traffic.poisson(lam)
        total = np.where(total_active > 0, total, 0)
        with np.errstate(invalid="ignore", divide="ignore"):
            frac = np.where(total_active > 0, green_n / total_active, 0.0)
        n_green = _binomial(self.rng_traffic, total, frac)
        width = t1 - t0
        with np.errstate(invalid="ignore", divide="ignore"):
            mean_rate = np.where(width > 0, lam / width, 0.0)
        self.peak_steps = np.maximum(
            self.peak_steps, np.where(restored | ~(t0 < t1), 0, applied).max(axis=1)
        )
        for fleet, count, on in (("blue", total - n_green, blue_n), ("green", n_green, green_n)):
            self._serve(fleet, j, count, t0, mean_rate, total_active, counting, applied, post, on)

    # ------------------------------------------------------------------ instances (warm-up)

    def _cohorts(
        self, fleet: str, applied: IntArray, post: IntArray, count: IntArray
    ) -> list[tuple[IntArray, FloatArray]]:
        """The fleet's ``count`` active instances per segment as cohorts activated together:
        (instances [R, W], activation time [R, W]). As the SimPy fleets have them: the old
        fleet is activated an hour before the run starts (long warm), the new one batch by
        batch at each routing change; turn-offs take the oldest old instances and (in a
        rollback) the newest new ones; a rollback activates old instances at each of its
        routing changes (those it reactivates or re-provisions)."""
        prep = self.prep
        shape = applied.shape
        active = np.asarray(prep.active, dtype=np.int64)
        if fleet == "blue":
            left_on = active[self.kept_changes, 0][:, None]  # old instances still serving
            out = [
                (
                    np.where(post > 0, left_on, active[applied, 0]),
                    np.full(shape, prep.start - 3600.0),
                )
            ]
            for p in range(self.post_t.shape[1]):
                before = left_on if p == 0 else self.post_b[:, p - 1][:, None]
                added = self.post_b[:, p][:, None] - before
                out.append(
                    (
                        np.where(post > p, added, 0),
                        np.broadcast_to(self.post_t[:, p][:, None], shape),
                    )
                )
            return out
        out = []
        older = 0  # new instances activated before this batch: the newest go first
        for s, step in enumerate(prep.steps):
            out.append(
                (
                    np.clip(count - older, 0, step.instances),
                    np.broadcast_to(self.change_at[:, s][:, None], shape),
                )
            )
            older += step.instances
        return out

    def _age_cuts(self, changes: FloatArray) -> list[FloatArray]:
        """Cut points where a cohort's instances cross an age cut of their fleet's
        per-instance faults (:attr:`guardsim.model.faults.FleetFaults.age_cuts`)."""
        out: list[FloatArray] = []
        for fleet in FLEETS:
            ff = self.prep.faults[fleet]
            if not ff.instance:
                continue
            if fleet == "blue":
                starts = np.concatenate(
                    [np.full((self.R, 1), self.prep.start - 3600.0), self.post_t], axis=1
                )
            else:
                starts = changes
            out.extend(starts + c for c in ff.age_cuts)
        return out

    def _split(
        self,
        fleet: str,
        n: IntArray,
        t0: FloatArray,
        rho: FloatArray,
        applied: IntArray,
        post: IntArray,
        active_n: IntArray,
    ) -> tuple[IntArray, list[tuple[FloatArray, FloatArray, FloatArray, FloatArray]]]:
        """Per-instance faults: each segment's requests split among the fleet's cohorts (each
        request goes to a uniformly chosen active instance: a multinomial over the cohorts,
        drawn as successive binomials), with each cohort's behaviour at its age. Returns the
        requests [R, W * cohorts] and the behaviour of each cohort, side by side."""
        ff = self.faults[fleet]  # history hook: the block's fleets
        cohorts = self._cohorts(fleet, applied, post, active_n)
        left_n = n.copy()
        left_c = sum((c for c, _ in cohorts), np.zeros(n.shape, dtype=np.int64))
        parts, behaviours = [], []
        rng = self.rng_traffic
        for i, (count, activated) in enumerate(cohorts):
            if i == len(cohorts) - 1:
                k = left_n
            else:
                with np.errstate(invalid="ignore", divide="ignore"):
                    p = np.where(left_c > 0, count / np.maximum(left_c, 1), 0.0)
                k = rng.binomial(left_n, np.clip(p, 0.0, 1.0))
            left_n = left_n - k
            left_c = left_c - count
            parts.append(k)
            b = ff.behaviour(t0, rho, t0 - activated)
            behaviours.append(
                tuple(np.broadcast_to(np.asarray(v, dtype=np.float64), n.shape) for v in b)
            )
        return np.concatenate(parts, axis=1), behaviours  # type: ignore[return-value]

    def _uniform(
        self, t0: FloatArray, t1: FloatArray, lam: FloatArray, served: BoolArray
    ) -> IntArray:
        """Evenly spaced arrivals at a varying rate: segment by segment, as fast mode lays
        them out (:func:`guardsim.model.traffic.uniform_arrivals` at each segment's mean rate,
        from where the previous segment's lattice left off; a segment no instance serves, or
        an empty one, leaves the lattice where it was)."""
        total = np.zeros(t0.shape, dtype=np.int64)
        for k in range(t0.shape[1]):
            a, b = t0[:, k], t1[:, k]
            live = served[:, k] & (b > a)
            if not live.any():
                continue
            with np.errstate(invalid="ignore", divide="ignore"):
                r = np.where(live, lam[:, k] / (b - a), 0.0)
            n, after = arrivals.uniform_arrivals_array(self.next_uniform, a, b, r)
            total[:, k] = np.where(live, n, 0)
            self.next_uniform = np.where(live, after, self.next_uniform)
        return total

    def _serve(
        self,
        fleet: str,
        j: int,
        n: IntArray,
        t0: FloatArray,
        mean_rate: FloatArray,
        total_active: IntArray,
        counting: BoolArray,
        applied: IntArray,
        post: IntArray,
        active_n: IntArray,
    ) -> None:
        prep = self.prep
        if not prep.fleet_needed[fleet] and not counting.any():
            return  # no alarm reads this fleet and nothing is counted yet (or any more)
        model = prep.models[fleet]
        cap = model.capacity_rps_per_instance
        with np.errstate(invalid="ignore", divide="ignore"):
            rho = mean_rate / total_active / cap if cap else np.zeros(t0.shape)
        rho = np.nan_to_num(rho)
        if prep.faults[fleet].instance:
            # one column per (cohort, segment): the rest below is per column, as without
            n, behaviours = self._split(fleet, n, t0, rho, applied, post, active_n)
            p5, p4, mult, add = (np.concatenate(v, axis=1) for v in zip(*behaviours, strict=True))
            copies = len(behaviours)
            t0 = np.tile(t0, (1, copies))
            total_active = np.tile(total_active, (1, copies))
            counting = np.tile(counting, (1, copies))
        else:
            p5, p4, mult, add = prep.behaviour(fleet, t0, rho, self.faults)  # history hook
        rng = self.rng_traffic
        e5 = _binomial(rng, n, p5)
        with np.errstate(invalid="ignore", divide="ignore"):
            q4 = np.where(p5 < 1.0, p4 / (1.0 - p5), 0.0)
        e4 = _binomial(rng, n - e5, q4)
        self.n[fleet][:, j] = n.sum(axis=1)
        self.errors[(fleet, "Invocation4XXErrors")][:, j] = e4.sum(axis=1)
        self.errors[(fleet, "Invocation5XXErrors")][:, j] = e5.sum(axis=1)
        self.errors[(fleet, "InvocationModelErrors")][:, j] = (e4 + e5).sum(axis=1)
        counted_n = np.where(counting, n, 0).sum(axis=1)
        counted_e = np.where(counting, e4 + e5, 0).sum(axis=1)
        self.counters["user_e"] += counted_e
        if fleet == "green":
            self.counters["green_n"] += counted_n
            self.counters["green_e"] += counted_e
        for metric in prep.fleet_needed[fleet]:
            if metric == "InvocationsPerInstance":
                with np.errstate(invalid="ignore", divide="ignore"):
                    v = np.where(total_active > 0, 1.0 / total_active, 0.0)
                s_, mn_, mx_ = self.lat[(fleet, metric)]
                s_[:, j] = (n * v).sum(axis=1)
                mn_[:, j] = np.where(n > 0, v, math.inf).min(axis=1)
                mx_[:, j] = np.where(n > 0, v, -math.inf).max(axis=1)
                if metric in prep.component_metrics:  # constant samples: scale 0, add v
                    self._keep(fleet, metric, j, n, np.zeros(n.shape), v)
                continue
            if metric not in LATENCY:
                continue
            mu, sigma = prep.latency_params[(fleet, metric)]
            scale = mult * 1000.0 if metric == "ModelLatency" else np.full(t0.shape, 1000.0)
            shift = add * 1000.0 if metric == "ModelLatency" else np.zeros(t0.shape)
            total, lo, hi = draw_summaries(
                self.rng_metrics, n, mu, sigma, scale, shift, NORMAL_SUM_THRESHOLD
            )
            s_, mn_, mx_ = self.lat[(fleet, metric)]
            s_[:, j] = total.sum(axis=1)
            mn_[:, j] = lo.min(axis=1)
            mx_[:, j] = hi.max(axis=1)
            if metric in prep.component_metrics:
                self._keep(fleet, metric, j, n, scale, shift)

    def _keep(
        self,
        fleet: str,
        metric: str,
        j: int,
        n: IntArray,
        scale: FloatArray,
        shift: FloatArray,
    ) -> None:
        """Keep minute ``j``'s latency components (count, scale, add per segment): the
        extended statistics of a window are drawn from them."""
        comps = self.comps.setdefault((fleet, metric), [])
        while len(comps) < n.shape[1]:
            comps.append(
                (
                    np.zeros((self.R, self.M), dtype=np.int64),
                    np.ones((self.R, self.M)),
                    np.zeros((self.R, self.M)),
                )
            )
        for k in range(n.shape[1]):
            cn, sc, ad = comps[k]
            cn[:, j], sc[:, j], ad[:, j] = n[:, k], scale[:, k], shift[:, k]

    # ------------------------------------------------------------------ the results

    def _rolling_instances(self, end: FloatArray) -> tuple[FloatArray, FloatArray, list[float]]:
        """Every instance of a rolling update, in the SimPy fleets' launch order, with its
        launch and termination per replication ([instances, R]; ``inf``: not launched, or
        running to the end): the old fleet (each old instance turned off at its batch's routing
        change and terminated at the end of that batch's termination wait, unless the update
        left the path before), each batch of new instances, and the old-config instances the
        rollback re-provisions."""
        prep = self.prep
        R = self.R
        S = len(prep.steps)
        active = np.asarray(prep.active, dtype=np.int64)
        stage = self.leave_stage
        left = stage >= 0
        s_left, p_left = stage // 4, stage % 4
        launched: list[FloatArray] = []
        terminated: list[FloatArray] = []
        prices: list[float] = []
        off_so_far = prep.blue_count - active[1:, 0]  # old instances turned off by step s
        for i in range(prep.blue_count):
            s_i = int(np.argmax(off_so_far > i)) if S else 0
            done = ~left | (s_left > s_i)
            at_leave = left & (s_left == s_i) & (p_left == self.TERMINATE)
            term = np.where(
                done,
                self.old_terminated_at[:, s_i],
                np.where(at_leave, self.left_at, math.inf),
            )
            launched.append(np.full(R, prep.start))
            terminated.append(term)
            prices.append(prep.prices["blue"])
        g = 0
        G_c = self.green_on_at_leave
        rows = np.arange(R)
        for s, step in enumerate(prep.steps):
            on = ~left | (s_left >= s)
            for _ in range(step.instances):
                launched.append(np.where(on, self.launch_at[:, s], math.inf))
                pos = np.clip(G_c - 1 - g, 0, max(prep.green_count - 1, 0))
                off = self.green_off[rows, pos] if prep.green_count else np.full(R, math.inf)
                rolled = left & (self.outcome == 1)
                terminated.append(np.where(rolled, np.where(g < G_c, off, end), math.inf))
                prices.append(prep.prices["green"])
                g += 1
        for c in range(self.rb_blue_launch.shape[1]):
            launched.append(self.rb_blue_launch[:, c])
            terminated.append(np.full(R, math.inf))
            prices.append(prep.prices["blue"])
        return np.stack(launched), np.stack(terminated), prices

    def _summaries(self) -> list[tuple[str, Summary]]:
        prep = self.prep
        env = prep.env
        end = self.end.copy()
        outcome = self.outcome.copy()
        over = end > prep.horizon
        end[over] = prep.horizon
        outcome[over] = 2
        # The instances of a blue/green update, in the SimPy fleets' order: blue from before
        # the update (the run's start), green launched as it starts (0); SageMaker terminates
        # one of the fleets as the update's last act, so each bills to the run's end.
        if self.rolling:
            launched_at, terminated_at, prices = self._rolling_instances(end)
        else:
            fleets = ("blue",) * prep.blue_count + ("green",) * prep.green_count
            launched_at = np.asarray([prep.start if f == "blue" else 0.0 for f in fleets])[:, None]
            terminated_at = np.full((len(fleets), 1), math.inf)
            prices = [prep.prices[f] for f in fleets]
        seconds, cost = billing.bill(
            launched_at, terminated_at, prices, end, env.billing_granularity_seconds
        )
        assert isinstance(seconds, np.ndarray) and isinstance(cost, np.ndarray)
        active = np.asarray(prep.active, dtype=np.float64)
        frac = np.where(
            active.sum(axis=1) > 0, active[:, 1] / np.maximum(active.sum(axis=1), 1), 0.0
        )
        peak = frac[self.peak_steps]
        names = [a.name for a in prep.alarms]
        out = []
        labels = ("SUCCEEDED", "ROLLED_BACK", "FAILED")
        for r in range(self.R):
            detected = float(self.detected[r]) if not math.isnan(self.detected[r]) else None
            if detected is not None and detected > prep.horizon:
                detected = None
            started = (
                float(self.rollback_started[r])
                if not math.isnan(self.rollback_started[r])
                else None
            )
            if started is not None and started > prep.horizon:
                started = None
            restored = float(self.restored_at[r]) if math.isfinite(self.restored_at[r]) else None
            if restored is not None and restored > prep.horizon:
                restored = None
            summary = Summary(
                deployment_seconds=float(end[r]),
                detected_at_seconds=detected,
                rollback_started_seconds=started,
                rollback_completed_seconds=restored,
                tripped_alarms=tuple(n for n, on in zip(names, self.tripped[r], strict=True) if on)
                if detected is not None
                else (),
                green_requests=int(self.counters["green_n"][r]),
                green_errors=int(self.counters["green_e"][r]),
                user_errors=int(self.counters["user_e"][r]),
                peak_green_traffic_fraction=float(peak[r]),
                instance_seconds=float(seconds[r]),
                cost_usd=round(float(cost[r]), 6),
            )
            out.append((labels[int(outcome[r])], summary))
        return out


# --------------------------------------------------------------------------- sampling helpers

#: Which field of a statistic set (Sum, Minimum, Maximum) a basic statistic reads.
_FIELD = {
    StatisticKind.SUM: 0,
    StatisticKind.AVERAGE: 0,
    StatisticKind.MINIMUM: 1,
    StatisticKind.MAXIMUM: 2,
}


#: Ranges up to this long are checked for :func:`_memoryless` (3 ** L patterns x 3 states).
_MEMORYLESS_MAX_RANGE = 7


def _memoryless(alarm: _Alarm) -> bool:
    """Whether the alarm's next state never depends on its previous one: checked by
    evaluating its own rule on every pattern of missing, breaching and not-breaching
    datapoints over its range, from each previous state. (TreatMissingData=ignore and the
    low-sample percentile rule keep the state, so they are not; long ranges are not checked
    and count as not.)"""
    rule = alarm.rule
    L = rule.range_length
    if alarm.low_sample or L > _MEMORYLESS_MAX_RANGE:
        return False
    op = OPERATOR_FUNCTIONS[rule.comparison_operator]
    thr = rule.threshold
    candidates = (thr - 1.0, thr + 1.0)
    breach = [v for v in candidates if op(v, thr)]
    calm = [v for v in candidates if not op(v, thr)]
    if not breach or not calm:
        return False
    for pattern in itertools.product((None, breach[0], calm[0]), repeat=L):
        states = {rule.evaluate(list(pattern), prev).state for prev in _STATES}
        if len(states) > 1:
            return False
    return True


def _binomial(rng: np.random.Generator, n: IntArray, p: FloatArray) -> IntArray:
    """Binomial(n, p) elementwise, drawn only where 0 < p < 1 and n > 0 (elsewhere it is 0 or
    n with certainty): the same distribution as ``rng.binomial(n, p)``, without the draws a
    healthy fleet (p = 0), a failing one (p = 1) or an all-blue routing (p = 0) does not need."""
    p = np.broadcast_to(p, n.shape)
    out = np.where(p >= 1.0, n, 0)
    random = (p > 0.0) & (p < 1.0) & (n > 0)
    if random.all():
        return rng.binomial(n, p)
    if random.any():
        out[random] = rng.binomial(n[random], p[random])
    return out


def _breaches(rule: AlarmRule, values: FloatArray) -> BoolArray:
    """``value <op> Threshold`` elementwise with the rule's own operator (NaN: False)."""
    with np.errstate(invalid="ignore"):
        out: BoolArray = np.asarray(
            OPERATOR_FUNCTIONS[rule.comparison_operator](values, rule.threshold), dtype=bool
        )
    return out


# --------------------------------------------------------------------------- entry point


def run_batch(scenario: Scenario, *, seed: int, start: int, stop: int) -> list[Row]:
    """(replication, outcome, summary) for replications ``start`` to ``stop - 1``.

    Simulates the whole blocks those replications fall in (a replication's result does not
    depend on ``start`` and ``stop``). Raises :class:`~guardsim.errors.BatchUnsupportedError` if
    :func:`batch_unsupported` gives a reason.
    """
    if stop <= start:
        return []
    prep = _Prepared(scenario)
    rows: list[Row] = []
    for block in range(start // BLOCK, (stop - 1) // BLOCK + 1):
        results = _Block(prep, seed, block).run()
        base = block * BLOCK
        for i, (outcome, summary) in enumerate(results):
            if start <= base + i < stop:
                rows.append((base + i, outcome, summary))
    return rows
