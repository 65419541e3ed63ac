"""The batch engine: many fast-mode replications simulated in lockstep as numpy arrays.

Monte Carlo asks the same question thousands of times. The per-replication engine
(:mod:`guardsim.simulator.engine`) answers each in a few milliseconds, most of it Python
overhead per simulated minute, alarm evaluation and SageMaker poll. This engine runs a *block*
of :data:`BLOCK` replications at once, as numpy arrays with one entry per (replication, minute)
or (replication, evaluation), so the Python overhead is shared by the block and by its minutes.

**The shape of a block** (:meth:`_Block.run`): the controller's success path is laid out first
(its waits, polls and timeout per replication, :meth:`_Block._wait`); then

1. *the data plane, pass 1*: every (replication, minute) a decision can read, sampled at once
   as if the replication stayed on the success path (:meth:`_Block._sample`, one fleet's share
   in :meth:`_Block._serve`: the per-minute request counts, errors and latency statistic sets,
   latency only where a poll can read it), from the first minute an evaluation that can reach
   a decision reads (earlier minutes, a warm-up, are not simulated: the arrays start there);
2. *CloudWatch* (:meth:`_Block._alarm_states`): each query's datapoints at every evaluation
   instant at once (:meth:`_Block._datapoints`; each minute's statistic set merged once per
   query, :meth:`_Block._minute_sets`), then each alarm's breaches and states
   (:meth:`_Block._states`: the rule once per distinct pattern);
3. *SageMaker's decision* (:meth:`_Block._decide`): each replication's first poll or timeout
   that trips, and the rollback (or failure) that follows;
4. *the data plane, pass 2*: for the replications that left the success path, the minutes from
   the one they left in to their end, drawn again with the routing that really followed (counts
   and errors only): nothing that was decided read them (a minute is published after it ends).
   Where nothing changes at a minute's start (:attr:`_Prepared.whole_after`), as one stretch
   per replication cut only at its cut points: the counted sums have the same distribution.

The block's results are columns (:class:`~guardsim.montecarlo.results.RunColumns`), never one
Python object per replication.

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
* the data plane: per minute and routing state, request counts: Poisson arrivals as one
  Poisson per fleet of its share of the mean (thinning), evenly spaced ones as the exact
  lattice count split by binomial draws; errors from binomial draws (by cached tables where
  numpy's binomial loops, :mod:`guardsim.model.binomial`);
  latency Sum, Minimum and Maximum from their sampling distributions exactly as
  :meth:`guardsim.simulator.metrics.LatencyComponent.draw_summary` draws them (every sample below
  :data:`~guardsim.simulator.dataplane.NORMAL_SUM_THRESHOLD` requests; Beta order statistics and
  a normal Sum above); percentiles as the exact order statistic through the mixture quantile;
* per-instance faults (warm-up): each segment's requests split among the instances activated
  together, each cohort at its age, as the SimPy fleets activate them;
* CloudWatch: minutes published after ``metric_publish_delay_seconds`` (drawn per minute), alarm
  windows built from what is published at each evaluation (every 10 s if an alarm is high
  resolution), metric math by fast mode's compiled program (its pointwise expressions on
  arrays, :mod:`guardsim.cloudwatch.metric_math_arrays`), extended statistics other than
  percentiles by fast mode's components kernel, evaluated by the same
  :class:`~guardsim.cloudwatch.alarm.AlarmRule`. An alarm's next state depends only on its
  previous state and, per datapoint of its evaluation range, on whether the datapoint is missing,
  breaching or not, and (for percentiles with ``EvaluateLowSampleCountPercentile``) whether it
  has few samples. So the rule is called once per distinct (previous state, pattern) among the
  block's evaluations, on one of their actual datapoints, and its result given to every
  evaluation with that pattern (``tests/batch/test_batch_engine.py`` checks the premise); an
  alarm whose next state depends on its range alone (:func:`_memoryless`) has all its
  evaluations worked out at once, any other one evaluation after the other; when its windows
  are one minute each, its patterns are looked up from each minute's class, computed once
  (``tests/batch/test_minute_classes.py``: the same replications as from the values).

**Not the same random numbers.** A block draws each quantity for all its replications with one
numpy call, so replication ``i`` here is not ``simulate(scenario, seed, replication=i)``: the two
engines agree in distribution (``tests/batch/test_batch_vs_fast.py``), not draw by draw. A
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
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from guardsim.batch import components as components_
from guardsim.batch.composite import BatchComposites
from guardsim.batch.custom_metrics import CustomMetricArrays, read_custom_metrics
from guardsim.batch.instance_metrics import InstanceMetricArrays, read_instance_metrics
from guardsim.batch.setup_time import SetupTimeArrays
from guardsim.cloudwatch.alarm import AlarmRule, AlarmState
from guardsim.cloudwatch.anomaly import evaluated_metrics
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
from guardsim.deployment.components import component_of
from guardsim.deployment.config import effective_deployment_config
from guardsim.deployment.plan import plan_steps
from guardsim.errors import ReplayFileError, SimulationError
from guardsim.model import billing
from guardsim.model import history as replayed_history
from guardsim.model import traffic as arrivals
from guardsim.model.anomaly import anomaly_bands
from guardsim.model.arrays import reduce_last
from guardsim.model.binomial import TABLE_MIN_SHARED, BinomialTables
from guardsim.model.binomial import tables as binomial_tables
from guardsim.model.custom_metrics import needs_latency
from guardsim.model.faults import OLD_FLEET_WARM_SECONDS, FleetFaults
from guardsim.model.latency import (
    NORMAL_SUM_THRESHOLD,
    draw_summaries,
    load_array_support,
    mixture_quantile,
)
from guardsim.model.metrics import ERROR_METRICS
from guardsim.model.metrics import LATENCY_METRICS as LATENCY
from guardsim.model.setup_time import METRIC as SETUP_METRIC
from guardsim.model.setup_time import publishes
from guardsim.montecarlo.results import SUMMARY_FIELDS, RunColumns
from guardsim.record import Summary
from guardsim.scenarios.scenario import Scenario
from guardsim.scenarios.traffic import read_replay
from guardsim.scenarios.variants import is_multi_variant, lanes
from guardsim.simulator.dataplane import lognormal_params
from guardsim.simulator.metrics import components_statistic_rows

load_array_support()  # the engine runs the array kernels: scipy is loaded with it

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

#: Replications simulated together. Part of what a replication's draws depend on, so fixed.
BLOCK = 512
#: At most this many (replication, minute) pairs are sampled in one go (memory per piece).
PIECE = 1 << 15
#: Tells a block's stream apart from replication streams (``spawn_key=(i,)``).
BLOCK_STREAM = 0x62617463

#: Alarm state codes in the engine's arrays.
OK, ALARM, INSUFFICIENT = 0, 1, 2
_STATES = (AlarmState.OK, AlarmState.ALARM, AlarmState.INSUFFICIENT_DATA)
_CODE = {s: i for i, s in enumerate(_STATES)}

FLEETS = ("blue", "green")

Row = tuple[int, str, Summary]


# --------------------------------------------------------------------------- the scenario, prepared


@dataclass(frozen=True)
class _Query:
    """One metric an alarm reads (a single-metric alarm's, or a metric-math MetricStat)."""

    qid: str
    source: Source
    #: how its windows are computed: "basic" (statistic sets), "mixture" (pNN of a latency
    #: metric, drawn as an order statistic of the window's lognormal mixture, vectorised),
    #: "components" (any other extended statistic of a latency metric or of
    #: InvocationsPerInstance, by :func:`guardsim.simulator.metrics.components_statistic_rows`,
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
    #: metric math whose every expression works datapoint by datapoint (arithmetic and
    #: :data:`POINTWISE_FUNCTIONS` only): its value at an instant is a function of the inputs'
    #: values at that instant alone
    pointwise: bool = False


class _Prepared:
    """Everything about the scenario that does not depend on the random draws."""

    def __init__(self, scenario: Scenario, share: float = 1.0) -> None:
        """``share``: a multi-variant endpoint's lane (:class:`_Lanes`) gets this share of a
        replay file's requests (its traffic rate is already its own)."""
        if is_multi_variant(scenario):  # its lanes are prepared one by one (_Lanes)
            raise SimulationError(f"{scenario.name}: a multi-variant scenario has lanes")
        self.scenario = scenario
        env = scenario.environment
        sim = scenario.simulation
        self.env = env
        self.config = effective_deployment_config(scenario)
        self.blue_count = scenario.endpoint.blue.instance_count
        self.green_count = scenario.endpoint.green.instance_count
        #: the green instances whose slowest start ends provisioning: a multi-variant
        #: endpoint's first lane waits for every variant's (:class:`_Lanes`)
        self.launch_count = self.green_count
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
        #: when the old fleet's instances came into service (their ages start there)
        self.blue_warm_from = self.start - OLD_FLEET_WARM_SECONDS
        blue_from = None if env.per_config_metrics_for_blue else 0.0
        self.alarms: list[_Alarm] = []
        #: an inference component's neighbours with traffic: a fleet each (batch/components.py)
        self.neighbours = components_.neighbours(scenario)
        #: every fleet of the arrays: blue, green and the neighbours
        self.fleets = (*FLEETS, *self.neighbours)
        self.models = {"blue": scenario.models.blue, "green": scenario.models.green} | {
            f: c.behaviour for f, c in self.neighbours.items()
        }
        #: each fleet's faults compiled (:class:`guardsim.model.faults.FleetFaults`): raises
        #: :class:`~guardsim.model.faults.UnsupportedFault` for a fault kind without a kernel
        #: (no engine runs it), before any work
        #: (a recording-driven fleet at start minute 0: each block binds its replications' own)
        self.faults = replayed_history.fleet_faults(self.models, self.start)
        # the metric alarms to evaluate are the rollback alarms plus the children of the
        # composites SageMaker reads (Scenario.evaluated_alarms)
        metric_alarms, composites = scenario.evaluated_alarms(False)
        # anomaly alarms' static bands, from the same function fast mode's AlarmMonitor gets its
        # bands from (guardsim.model.anomaly)
        replay_file = scenario.traffic.replay_file
        bands = anomaly_bands(
            scenario, read_replay(Path(replay_file))[0] if replay_file is not None else None
        )
        setup = publishes(env.model_setup_time)  # launched instances' ModelSetupTime
        for alarm in metric_alarms:
            boto = alarm.to_boto()
            rule = env.alarm_rule(boto, bands.get(alarm.name))
            program = None
            if alarm.metrics is not None:
                boto["Metrics"] = evaluated_metrics(boto["Metrics"])  # an anomaly band's mX
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
                        scenario.models,  # GPU types publish GPU* instance metrics
                        setup,
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
                        scenario.models,  # GPU types publish GPU* instance metrics
                        setup,
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
                    program is not None and _pointwise(boto["Metrics"]),
                )
            )
        # state rows after the metric alarms' hold the composites;
        # composites.watched are the (row, name) pairs SageMaker's polls read.
        self.composites = BatchComposites(
            [a.name for a in self.alarms],
            composites,
            self.config.rollback_alarm_names,
            env.rollback_sees_composite_alarms,
            _CODE,
        )
        queries_ = [q for a in self.alarms for q in a.queries]
        self.needed = {q.source.metric for q in queries_}
        #: whether an alarm reads the launched instances' ModelSetupTime (batch/setup_time.py)
        self.reads_setup = any(
            q.source.metric == SETUP_METRIC and q.source.fleets for q in queries_
        )
        #: per fleet, the metrics some alarm reads of it: nothing else is drawn
        self.fleet_needed = {
            f: {q.source.metric for q in queries_ if f in q.source.fleets} for f in self.fleets
        }
        # the instance metrics each fleet publishes for an alarm;
        # their load model reads the fleet's ModelLatency Sum (guardsim.batch.instance_metrics)
        self.instance_metrics = read_instance_metrics(scenario, self.needed)
        # the models' PutMetricData series some alarm reads
        self.custom_metrics = read_custom_metrics(scenario, self.needed)
        # the fleets one of whose custom metrics reads each request's latency
        custom_latency = {f for f in FLEETS if any(map(needs_latency, self.custom_metrics[f]))}
        for f in FLEETS:
            if self.instance_metrics[f] or f in custom_latency:
                self.fleet_needed[f].add("ModelLatency")
        #: per fleet, the error counts someone reads: an alarm's, or a custom metric's (its
        #: per-request error metrics read the 4XX and 5XX counts); the others are drawn (what
        #: is counted needs them) but not kept
        self.errors_read = {
            f: {m for m in ERROR_METRICS if m in self.fleet_needed[f]}
            | (
                {"Invocation4XXErrors", "Invocation5XXErrors"}
                if self.custom_metrics.get(f)
                else set()
            )
            for f in self.fleets
        }
        #: (fleet, latency metric) pairs whose Minimum and Maximum someone reads: an alarm's
        #: Minimum or Maximum, or a custom metric of the fleet's latency; for the others a
        #: small segment's are not worked out (:func:`~guardsim.model.latency.draw_summaries`)
        self.extremes = {
            (f, q.source.metric)
            for q in queries_
            if q.how == "basic"
            and q.source.spec.kind in (StatisticKind.MINIMUM, StatisticKind.MAXIMUM)
            for f in q.source.fleets
        } | {(f, "ModelLatency") for f in custom_latency}
        #: (fleet, latency metric) pairs whose Sum (and so whose statistic sets) someone reads:
        #: an alarm's Sum, Average, Minimum or Maximum, the fleet's instance metrics (their load
        #: model reads its ModelLatency Sum) or a custom metric of its latency. A metric read
        #: only as an extended statistic is drawn from its kept components alone, so its Sums
        #: are not drawn (``_Block._serve``)
        self.sums_read = (
            {
                (f, q.source.metric)
                for q in queries_
                if q.how == "basic" and q.source.metric in LATENCY and q.source.spec.kind in _FIELD
                for f in q.source.fleets
            }
            | {(f, "ModelLatency") for f in custom_latency}
            | {(f, "ModelLatency") for f in FLEETS if self.instance_metrics[f]}
        )
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
            self.replay = counts if share == 1.0 else tuple(c * share for c in counts)
        self.constant_rate = (
            traffic.profile == "constant" and not traffic.bursts and self.replay is None
        )
        self._grid: FloatArray | None = None
        prices = {
            f: env.price_per_hour(getattr(scenario.endpoint, f).instance_type) for f in FLEETS
        }
        # inference components (issue 19): the rolling path in copies; see batch/components.py
        self.component = component_of(scenario)
        if self.component is not None:
            prices = components_.unit_prices(self.component[1], prices)
        self.prices = prices
        #: Whether what follows a replication's leaving (counts and errors only: no poll reads
        #: it) may be drawn as one stretch cut only where something changes (the routing, a
        #: fault, the run's end) rather than minute by minute: the same distribution when
        #: nothing else changes at a minute's start. Sums of Poisson counts over the minutes
        #: of a stretch are Poisson with the summed mean, a lattice's counts add up, and
        #: binomial shares and errors of the same probability add up; so at a constant rate
        #: (no daily profile, burst or replay: a fleet's load, and so its behaviour, is the
        #: same in every minute of a stretch), with no neighbours' traffic, no per-instance
        #: fault (its cohorts age), and no recording driving a model (its minutes differ).
        self.whole_after = (
            self.constant_rate
            and not self.neighbours
            and not any(ff.instance for ff in self.faults.values())
            and scenario.models.blue.history is None
        )
        #: Whether the minutes no poll can read may be skipped: every alarm's next state is a
        #: function of its range's datapoints alone (checked on the rule itself), and nothing
        #: else carries state from minute to minute (evenly spaced arrivals at a varying rate
        #: carry their lattice phase, which :meth:`_Block._warm_phase` lays through the
        #: skipped warm-up: the same for every replication).
        #: per alarm, its rule's result per (previous state, pattern) key, for every block
        self.rule_memo: list[dict[int, int]] = [{} for _ in self.alarms]
        #: per alarm, whether its next state depends only on its range (:func:`_memoryless`)
        self.memoryless = [_memoryless(a) for a in self.alarms]
        varying = self.uniform and not self.constant_rate
        self.forgetful = all(self.memoryless) and not (varying and not WARM_PHASE)

    def reach(self, since: Any) -> tuple[Any, Any]:
        """(evaluation, data) reach of a wait that began at ``since`` (scalar or array), when
        every alarm's state is a function of its range: the instant after which the
        evaluations its polls can ask about lie (from the last one before the wait: the
        longest interval back, with a second's margin), and the instant after which the
        minutes their ranges read start (the longest range further back: a window holds the
        minutes that start in it, :meth:`_Block._window_minutes`). :meth:`_Block.
        _readable_from` and :meth:`_Block._read_minutes` read it."""
        eval_from = since - self.max_interval - 1.0
        return eval_from, eval_from - self.lookback

    def _how(self, src: Source) -> str:
        """How a query's window values are computed (see :class:`_Query`)."""
        spec = src.spec
        if spec.is_basic:
            return "basic"
        if src.metric == SETUP_METRIC and src.fleets:
            return "setup"
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
        of ``faults`` (some replications' own, :meth:`_Block._faults`) or the scenario's."""
        b = (faults or self.faults)[fleet].behaviour(t0, rho)
        shape = np.broadcast(t0, rho).shape
        p5, p4, mult, add = (np.broadcast_to(np.asarray(v, dtype=np.float64), shape) for v in b)
        return p5, p4, mult, add


# --------------------------------------------------------------------------- one block


class _Block:
    """``BLOCK`` replications of one scenario, simulated together."""

    def __init__(
        self, prep: _Prepared, seed: int, block: int, timeline: _Block | None = None, lane: int = 0
    ) -> None:
        """``timeline`` (a multi-variant endpoint's lane ``lane`` > 0, :class:`_Lanes`): the
        first lane's block, whose controller timeline (one controller for every lane) this
        lane takes instead of drawing its own."""
        self.prep = prep
        key = (block, BLOCK_STREAM) if lane == 0 else (block, BLOCK_STREAM, lane)
        root = np.random.SeedSequence(seed, spawn_key=key)
        control, delay, traffic, metrics = (np.random.default_rng(s) for s in root.spawn(4))
        #: each replication's start minute in a replayed recording (None: no history)
        self.history_offsets = replayed_history.start_minutes(prep.models, root, BLOCK)
        self.rng_traffic = traffic
        self.rng_metrics = metrics
        self.rng_delay = delay
        #: binomial tables for the splits and errors numpy draws slowly (guardsim.model.binomial):
        #: the running thread's, kept across blocks and scenarios (a draw depends only on its
        #: (n, p) and the generator, not on what was cached before)
        self.binomial = binomial_tables()
        # instance and custom metrics: their draws, the root's fifth child stream
        self.rng_instances = np.random.default_rng(root.spawn(1)[0])
        #: the neighbours' traffic and latency draws, after every other stream (so a scenario
        #: without neighbours' traffic draws what it did)
        self.rng_neighbours: tuple[np.random.Generator, np.random.Generator] | None = None
        if prep.neighbours:
            nb_traffic, nb_metrics = root.spawn(2)
            self.rng_neighbours = (
                np.random.default_rng(nb_traffic),
                np.random.default_rng(nb_metrics),
            )
        self.R = R = BLOCK
        self.block = block
        env = prep.env
        steps = prep.steps

        def draw(dist: Any, k: int = 1) -> FloatArray:
            return np.asarray(dist.sample(control, R * k), dtype=np.float64).reshape(R, k)

        self.rolling = prep.config.policy_kind == "ROLLING"
        #: the success path's launches: (fleet, ready instants [R, k], provisioning [R, k]),
        #: their ModelSetupTime samples (batch/setup_time.py)
        self.launches: list[tuple[str, FloatArray, FloatArray]] = []
        if timeline is not None:
            for name in _Lanes.TIMELINE:
                setattr(self, name, getattr(timeline, name))
            return
        if self.rolling:
            self._rolling_path(draw)
            self._lay_out_events()
            return
        # ---- the success path: every duration drawn up front, per replication
        each = draw(env.provisioning_seconds, prep.launch_count)
        prov = each.max(axis=1)
        self._launched("green", np.zeros(R), each)
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
        if EVENTS_ONLY and not watch and not np.any(np.less(deadline, start + duration)):
            # unwatched, no deadline before its end: no event, only where it returns
            return watch_.unwatched_exit(start, duration)
        layout = watch_.lay_out_wait(
            start,
            duration,
            deadline,
            watch=watch,
            poll_interval=float(env.alarm_poll_interval_seconds),
            poll_at_bake_end=env.poll_at_bake_end,
        )
        if watch or np.isfinite(deadline).any():
            # (an unwatched wait without a deadline has no poll or timeout: no event; nor has
            # an instant where no replication polls or times out, as an unwatched wait's
            # usually: it is left out)
            for at, kind in zip(layout.times, layout.kinds, strict=True):
                if _EVENTS[kind].any() or not EVENTS_ONLY:
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
            if prep.component is not None:  # a component: copies start, instances added
                prov = components_.batch_launch_seconds(prep.component[1], s, env, draw, R)
            else:
                each = draw(env.provisioning_seconds, step.instances)
                prov = each.max(axis=1)
                self._launched("green", t, each)
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
        rb_dist = (  # a component: a rollback re-creates old copies
            components_.rollback_start_distribution(env)
            if prep.component is not None
            else env.provisioning_seconds
        )
        self.rb_prov = draw(rb_dist, nb * self.rb_size).reshape(R, nb, self.rb_size)
        self.rb_act = draw(env.activation_seconds, nb)
        self.rb_term = draw(env.termination_seconds, nb + 1)  # the first: at traffic restored
        self.term_rollback = draw(env.termination_seconds)[:, 0]
        self.rb_longest = (
            self.restore + (self.rb_prov.max(axis=2) + self.rb_act).sum(axis=1) + self.term_rollback
        )

    def _launched(self, fleet: str, at: FloatArray, each: FloatArray) -> None:
        """Keep the instances launched at ``at`` [R] taking ``each`` [R, k] to become ready,
        for their ModelSetupTime samples (only when an alarm reads them)."""
        if self.prep.reads_setup:
            self.launches.append((fleet, at[:, None] + each, each))

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
        if not self._columns:  # no poll or timeout anywhere: one column of none
            none = np.full(R, watch_.NOTHING, dtype=np.int64)
            self._columns.append((np.full(R, math.inf), none, np.zeros(R), 0, -1))
        cols_t, cols_kind, cols_since, changes, stages = zip(*self._columns, strict=True)
        kinds = np.stack(cols_kind, axis=1)
        valid = _EVENTS[kinds]  # the polls and timeouts (np.isin's answer, by lookup)
        # events that never happen go to +inf; then each row is sorted by time (stable: events
        # at one instant stay in the order the controller checks them)
        times = np.where(valid, np.stack(cols_t, axis=1), math.inf)
        order = np.argsort(times, axis=1, kind="stable")
        cells = order + (np.arange(R) * order.shape[1])[:, None]  # each row's order, by cell
        self.ev_t = _cells(times).take(cells)
        self.ev_valid = _cells(valid).take(cells)
        self.ev_since = _cells(np.stack(cols_since, axis=1)).take(cells)
        self.ev_kind = _cells(kinds).take(cells)
        self.ev_changes = np.asarray(changes, dtype=np.int64)[order]
        self.ev_stage = np.asarray(stages, dtype=np.int64)[order]
        del self._columns

    # ------------------------------------------------------------------ running

    def run(self) -> RunColumns:
        """Simulate the block: its results as columns (:class:`RunColumns`).

        Two passes over the data plane, with CloudWatch and SageMaker's decision between them:

        1. every replication's minutes as if it stayed on the success path (the routing
           changes of its plan), sampled all at once (:meth:`_sample`), from the first minute
           an evaluation that can reach a decision reads (:meth:`_readable_from`) to its last
           poll or its end; latency only in the minutes a poll can read;
        2. CloudWatch: every alarm's state at every one of its evaluation instants
           (:meth:`_alarm_states`: each minute's datapoints worked out once per query, the rule
           once per distinct pattern); SageMaker: each replication's first poll that trips
           (:meth:`_decide`), and the rollback or failure that follows;
        3. for the replications that left the success path, the minutes from the one they left
           in to their end, drawn again with the routing that really followed (counts and
           errors only: no poll reads them any more; one stretch per replication where
           :attr:`_Prepared.whole_after`).

        A minute is published after it ends, so the minute a replication left in, and every
        later one, was read by no poll before it left: redrawing them changes nothing that was
        decided, and what is counted follows the routing that really held.
        """
        self._decide(self.first_pass())
        self.second_pass()
        return self._results()

    def first_pass(self) -> list[tuple[FloatArray, IntArray, FloatArray]]:
        """:meth:`run` up to SageMaker's decision: the success path's minutes and every
        alarm's states (what :meth:`_decide` reads)."""
        prep = self.prep
        R = self.R
        env = prep.env
        # ---- per-replication outcome, filled in as the replications leave the success path
        self.detected = np.full(R, math.nan)
        self.left = np.zeros(R, dtype=bool)  # left the success path (rollback or failure)
        self.left_at = np.full(R, math.nan)
        self.kept_changes = np.full(R, len(prep.steps), dtype=np.int64)
        self.rollback_started = np.full(R, math.nan)
        self.restored_at = np.full(R, math.inf)  # traffic back on blue (rollback completed)
        self.end = self.success_end.copy()
        self.outcome = np.zeros(R, dtype=np.int64)  # 0 succeeded, 1 rolled back, 2 failed
        self.tripped = np.zeros((R, len(prep.composites.watched)), dtype=bool)
        # the routing changes after leaving the success path: (time, blue, green active); the
        # last one is traffic restored (a blue/green rollback has only that one)
        P = self.rb_prov.shape[1] + 2 if self.rolling else 1
        self.post_t = np.full((R, P), math.inf)
        self.post_b = np.zeros((R, P), dtype=np.int64)
        self.post_g = np.zeros((R, P), dtype=np.int64)
        if self.rolling:
            self.leave_stage = np.full(R, -1, dtype=np.int64)
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
        stop = math.ceil(last / 60.0) + 1  # the minute after the last one simulated
        # the polls and timeouts the run reaches (those past its last minute never happen)
        self.ev_valid = self.ev_valid & (self.ev_t < 60.0 * stop)
        eval_from, data_from = self._readable_from()
        # The arrays' first minute: the first one an evaluation that can reach a decision reads
        # (the minutes before it cost nothing, however long the warm-up).
        # (minutes that end by data_from are not read: the first is the one holding it)
        first = max(prep.start, data_from) - 60.0
        m0 = prep.first_minute
        if math.isfinite(first):
            m0 = max(m0, math.floor(first / 60.0) + 1)
        self.origin = m0
        #: the run's minutes, to the last one simulated
        self.M_run = stop - m0
        j_from = 0
        last_read = np.max(np.where(self.ev_valid, self.ev_t, -math.inf), axis=1)
        reach = np.maximum(np.minimum(self.success_end, prep.horizon), last_read)
        j_to = np.clip(np.floor(reach / 60.0) - m0 + 1, j_from, self.M_run).astype(np.int64)
        # the arrays' minutes: the run's, or only the first pass's where what follows a
        # replication's leaving lands in the minute it left in (second_pass's stretches)
        minutes = self.M_run
        if WHOLE_AFTER and prep.whole_after:
            minutes = max(int(j_to.max(initial=0)), 1)
        self.M = minutes
        self._allocate(minutes)
        # evenly spaced arrivals: the lattice phase (at a varying rate, laid through the
        # warm-up's minutes before the first one simulated)
        self.next_uniform = np.full(R, prep.start)
        if prep.uniform and not prep.constant_rate and m0 > prep.first_minute:
            self.next_uniform[:] = self._warm_phase(m0)
        self.ext_cache: dict[tuple[Source, int], dict[float, tuple[IntArray, FloatArray]]] = {}
        j = np.arange(minutes)[None, :]
        # ---- pass 1: the success path
        span = (j >= j_from) & (j < j_to[:, None])
        self._pass(span, self._read_minutes(last_read))
        # ---- CloudWatch (SageMaker's decision follows, _decide)
        return self._alarm_states(self._instants(eval_from, j_from))

    def second_pass(self) -> None:
        """:meth:`run` after SageMaker's decision: what followed for those that left."""
        prep = self.prep
        m0 = self.origin
        j = np.arange(self.M)[None, :]
        left = self.left
        if left.any():
            at = np.where(left, self.left_at, 0.0)
            j_left = np.maximum(np.floor(at / 60.0).astype(np.int64) - m0, 0)
            until = np.minimum(self.end, prep.horizon)
            j_end = np.floor(until / 60.0).astype(np.int64) - m0 + 1
            redo = left[:, None] & (j >= j_left[:, None])
            for counted in self.counted.values():
                counted[redo] = 0
            self.peak[redo] = 0
            if self.phase_at is not None:
                rows = np.nonzero(left)[0]
                self.next_uniform[rows] = self.phase_at[rows, j_left[rows]]
            if not (WHOLE_AFTER and prep.whole_after):
                self._pass(redo & (j < j_end[:, None]), None)
                return
            # one stretch per replication, from the minute it left in to the end of its last
            # minute, cut only where something changes (_Prepared.whole_after): its counts
            # land in the stretch's first minute (what follows reads only their sums)
            stop = np.minimum(j_end, self.M_run)
            rows = np.nonzero(left & (j_left < stop))[0]
            until = 60.0 * (m0 + stop[rows].astype(np.float64))
            self._sample_cut(rows, j_left[rows], None, until=until[:, None])

    def _pass(self, span: BoolArray, read: BoolArray | None) -> None:
        """Sample the (replication, minute) pairs of ``span`` ([R, M]), latency only where
        ``read`` (None: nowhere), in pieces of at most :data:`PIECE` pairs (each
        replication's minutes in order: evenly spaced arrivals at a varying rate carry the
        lattice's phase from one to the next)."""
        vr, vj = np.nonzero(span)
        for a in range(0, len(vr), PIECE):
            r, jj = vr[a : a + PIECE], vj[a : a + PIECE]
            self._sample(r, jj, None if read is None else read[r, jj])

    def _instants(self, eval_from: float, j_from: int) -> FloatArray:
        """The CloudWatch clock's instants in the minutes simulated (every minute's
        ``alarm_evaluation_offset_seconds``, or every 10 s when an alarm is high resolution),
        from the first that can reach a decision."""
        prep = self.prep
        if prep.clock == 60.0:
            within = np.asarray([prep.offset])
        else:  # high resolution: every 10 s
            within = prep.clock_offset + 10.0 * np.arange(6)
        m = 60.0 * (self.origin + np.arange(j_from, self.M, dtype=np.float64))
        at = (m[:, None] + within[None, :]).ravel()
        out: FloatArray = at[at > max(prep.start, eval_from)]
        return out

    def _read_minutes(self, last_read: FloatArray) -> BoolArray:
        """[R, M]: the minutes whose latency a poll can read (the others get counts and errors
        only). Every minute before a replication's last poll; when every alarm's state is a
        function of its range (:meth:`_readable_from`'s argument, wait by wait; the counts,
        and a lattice's phase, are still drawn in every minute) only those in a poll's reach:
        from the ranges of the last evaluation before its wait began to the poll itself. A
        poll asks of earlier evaluations only whether the state it sees was entered before
        the wait began, which the evaluations from that one on decide; so the minutes between
        waits (provisioning, activation, termination: unwatched by default) further back than
        that are read by no poll."""
        prep = self.prep
        m0, M = self.origin, self.M
        starts = 60.0 * (m0 + np.arange(M))[None, :]
        if not (READ_REACH and all(prep.memoryless)):
            out: BoolArray = starts < last_read[:, None]
            return out
        polls = self.ev_valid & (self.ev_kind != watch_.TIMEOUT)
        # a wait's polls share its reach and end later and later (each row's events are in
        # time order): its last poll reads the minutes all of them read
        later = polls[:, 1:] & (self.ev_since[:, 1:] == self.ev_since[:, :-1])
        polls[:, :-1] &= ~later
        r, p = np.nonzero(polls)
        # a poll reads the minutes starting from its wait's reach (a window's first minute is
        # the first to start in it, to within _window_minutes' 1e-9) to before the poll
        _, reach = prep.reach(self.ev_since[r, p])
        a = np.clip(np.ceil(reach / 60.0 - 1e-9) - m0, 0, M).astype(np.int64)
        b = np.clip(np.ceil(self.ev_t[r, p] / 60.0) - m0, 0, M).astype(np.int64)
        keep = a < b
        rows = r[keep]
        # minutes from a poll's first to before its end: reads begun minus reads ended
        out = _from_minute(self.R, M, rows, a[keep]) > _from_minute(self.R, M, rows, b[keep])
        return out

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
        eval_from, data_from = prep.reach(first)
        return eval_from, min(0.0, data_from)

    def _allocate(self, minutes: int) -> None:
        """The block's per-minute arrays, ``minutes`` wide; the publish delays drawn for every
        minute of the run (:attr:`M_run`), so that a replication's delays do not depend on
        how many minutes the arrays keep."""
        R = self.R
        self.delay = np.asarray(
            self.prep.env.metric_publish_delay_seconds.sample(self.rng_delay, R * self.M_run),
            dtype=np.float64,
        ).reshape(R, self.M_run)[:, :minutes]
        self.published = 60.0 * (self.origin + np.arange(minutes) + 1.0)[None, :] + self.delay
        fleets = self.prep.fleets
        self.n = {f: np.zeros((R, minutes), dtype=np.int64) for f in fleets}
        # the error counts someone reads (_Prepared.errors_read): the others are not kept
        self.errors = {
            (f, m): np.zeros((R, minutes), dtype=np.int64)
            for f in fleets
            for m in ERROR_METRICS
            if m in self.prep.errors_read[f]
        }
        # per latency metric and fleet: Sum, Minimum, Maximum per minute, where someone reads
        # them (_Prepared.sums_read: a metric read only as an extended statistic has none)
        self.lat: dict[tuple[str, str], tuple[FloatArray, FloatArray, FloatArray]] = {}
        for metric in (*LATENCY, "InvocationsPerInstance"):
            for f in fleets:
                kept = metric not in LATENCY or (f, metric) in self.prep.sums_read
                if metric in self.prep.fleet_needed[f] and kept:
                    self.lat[(f, metric)] = (
                        np.zeros((R, minutes)),
                        np.full((R, minutes), math.inf),
                        np.full((R, minutes), -math.inf),
                    )
        # percentile alarms: every segment's latency component (count, scale, add) per minute
        self.comps: dict[tuple[str, str], list[tuple[IntArray, FloatArray, FloatArray]]] = {}
        # what is counted, per minute (pass 2 replaces what follows a replication's leaving)
        self.counted = {
            k: np.zeros((R, minutes), dtype=np.int64) for k in ("green_n", "green_e", "user_e")
        }
        self.peak = np.zeros((R, minutes), dtype=np.int64)  # routing changes in effect, at most
        prep = self.prep
        varying = prep.uniform and not prep.constant_rate
        #: evenly spaced arrivals at a varying rate: the lattice's phase at each minute's start
        self.phase_at = np.full((R, minutes), math.nan) if varying else None
        # instance metrics: instance counts and statistic sets (into self.lat)
        self.inst = InstanceMetricArrays(
            prep.scenario, prep.instance_metrics, self.rng_instances, R, minutes, self.lat
        )
        # custom metrics: their statistic sets (into self.lat)
        self.custom = CustomMetricArrays(
            prep.custom_metrics, self.rng_instances, R, minutes, self.lat
        )
        # the launched instances' ModelSetupTime samples (into self.lat)
        self.setup = SetupTimeArrays(self.launches, self.origin, minutes, self.lat)

    # ------------------------------------------------------------------ SageMaker's polls

    def _decide(self, states: list[tuple[FloatArray, IntArray, FloatArray]]) -> None:
        """Every replication's first poll or timeout that trips leaves the success path.

        ``states``: per alarm, its evaluation instants [E] and its state and the instant that
        state was entered after each ([R, E]): a poll sees the state of the alarm's last
        evaluation at or before it (CloudWatch evaluates before SageMaker reads); before the
        first, INSUFFICIENT_DATA since ever."""
        self.leave(self.hits(states))

    def hits(self, states: list[tuple[FloatArray, IntArray, FloatArray]]) -> BoolArray:
        """[R, P, W]: whether watched alarm w trips at poll p (:meth:`_decide`)."""
        env = self.prep.env
        R, P = self.ev_t.shape
        rows = np.arange(R)[:, None]
        t = self.ev_t
        # the polls read the watched alarms (metric alarms and, if SageMaker sees them,
        # composites: state rows after the metric alarms'), in AutoRollbackConfiguration's order
        watched = self.prep.composites.watched
        hits = np.zeros((R, P, len(watched)), dtype=bool)
        for w, (a, _) in enumerate(watched):
            instants, state, entered_at = states[a]
            if len(instants):
                seen = np.searchsorted(instants, t, side="right") - 1  # [R, P]
                cells = rows * state.shape[1] + np.maximum(seen, 0)  # each row's own, by cell
                st = np.where(seen >= 0, _cells(state).take(cells), INSUFFICIENT)
                entered = np.where(seen >= 0, _cells(entered_at).take(cells), -math.inf)
            else:
                st = np.full(t.shape, INSUFFICIENT)
                entered = np.full(t.shape, -math.inf)
            hits[:, :, w] = watch_.trips(
                st == ALARM,
                st == INSUFFICIENT,
                entered,
                self.ev_since,
                on_insufficient_data=env.trip_on_insufficient_data,
                in_alarm_at_start=env.trip_if_in_alarm_at_bake_start,
            )
        return hits

    def leave(self, hits: BoolArray) -> None:
        """Each replication's first poll that trips (``hits``, :meth:`hits`) or timeout
        leaves the success path: the rollback (or failure) that follows."""
        prep = self.prep
        env = prep.env
        t = self.ev_t
        hit = ((self.ev_kind == watch_.TIMEOUT) | hits.any(axis=2)) & self.ev_valid
        found = hit.any(axis=1)
        if not found.any():
            return
        first = np.argmax(hit, axis=1)
        r = np.nonzero(found)[0]
        f = first[r]
        at = t[r, f]
        k = self.ev_kind[r, f]
        self.left[r] = True
        self.left_at[r] = at
        self.kept_changes[r] = self.ev_changes[r, f]
        is_timeout = k == watch_.TIMEOUT
        alarm_rows = r[~is_timeout]
        self.detected[alarm_rows] = at[~is_timeout]
        self.tripped[alarm_rows] = hits[alarm_rows, f[~is_timeout]]
        started = np.where(is_timeout, at, at + env.alarm_reaction_seconds)
        stage = self.ev_stage[r, f]
        if self.rolling:
            self.leave_stage[r] = stage
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

    def _alarm_states(self, instants: FloatArray) -> list[tuple[FloatArray, IntArray, FloatArray]]:
        """Every alarm's (instants, state [R, E], entered at [R, E]) at its own evaluation
        instants (its schedule, as fast mode's monitor has it) among ``instants``.

        A query's datapoints are worked out once per instant and shared by every alarm that
        reads the same metric, statistic, period and range: for all the instants at once
        (:meth:`_datapoints`), except extended statistics of latency over windows longer than
        a minute, drawn one instant at a time in time order (a window's value is drawn again
        only when another of its minutes is published, and shared by every alarm that reads
        it; a one-minute window's is the minute's own, drawn once: :meth:`_minute_extended`).
        A memoryless alarm on one metric with one-minute windows skips the datapoints'
        values: its states come from its minutes' classes (:meth:`_classed_states`)."""
        prep = self.prep
        due = []
        for alarm in prep.alarms:
            k = np.round((instants - prep.full_offset) / alarm.interval)
            due.append(np.abs(instants - prep.full_offset - k * alarm.interval) <= 1e-6)
        self.minute_cache: dict[Any, tuple[IntArray, FloatArray, FloatArray]] = {}
        # the datapoints of each alarm's queries: [R, E, L] values and sample counts
        shared: dict[tuple[Source, int, int, int], tuple[FloatArray, FloatArray]] = {}
        inputs: list[dict[str, tuple[FloatArray, FloatArray]]] = [{} for _ in prep.alarms]
        drawn: list[dict[str, list[tuple[FloatArray, FloatArray]]]] = [{} for _ in prep.alarms]
        #: the states of the alarms whose patterns are looked up from their minutes' classes
        looked_up: dict[int, IntArray] = {}
        for a, alarm in enumerate(prep.alarms):
            rule = alarm.rule
            if MINUTE_CLASSES and _minute_classed(alarm, prep.memoryless[a]):
                looked_up[a] = self._classed_states(a, alarm, instants[due[a]])
                continue
            for q in alarm.queries:
                one_minute = q.how in ("mixture", "components") and rule.period <= 60
                if q.how in ("mixture", "components") and not one_minute:
                    drawn[a][q.qid] = []
                    continue
                key = (q.source, rule.period, rule.range_length, alarm.interval)
                if key not in shared:
                    shared[key] = self._datapoints(
                        q, rule.period, rule.range_length, instants[due[a]]
                    )
                inputs[a][q.qid] = shared[key]
        if any(drawn):
            for e in range(len(instants)):
                at_t: dict[tuple[Source, int, int], tuple[FloatArray, FloatArray]] = {}
                for a, alarm in enumerate(prep.alarms):
                    if not due[a][e]:
                        continue
                    rule = alarm.rule
                    for qid, parts in drawn[a].items():
                        q = next(q for q in alarm.queries if q.qid == qid)
                        key3 = (q.source, rule.period, rule.range_length)
                        if key3 not in at_t:
                            at_t[key3] = self._datapoints(
                                q, rule.period, rule.range_length, instants[e : e + 1]
                            )
                        parts.append(at_t[key3])
            for a, alarm in enumerate(prep.alarms):
                L = alarm.rule.range_length
                for qid, parts in drawn[a].items():
                    if parts:
                        inputs[a][qid] = (
                            np.concatenate([v for v, _ in parts], axis=1),
                            np.concatenate([c for _, c in parts], axis=1),
                        )
                    else:
                        empty = np.zeros((self.R, 0, L))
                        inputs[a][qid] = (empty, empty)
        out = []
        for a, alarm in enumerate(prep.alarms):
            at = instants[due[a]]
            if a in looked_up:
                state = looked_up[a]
                out.append((at, state, _entered(state, at)))
                continue
            if alarm.program is None:
                values, counts = inputs[a][alarm.queries[0].qid]
            else:
                R, E, L = next(iter(inputs[a].values()))[0].shape
                values = self._metric_math(
                    alarm, {q: v.reshape(R * E, L) for q, (v, _) in inputs[a].items()}
                ).reshape(R, E, L)
                counts = np.full(values.shape, math.nan)
            state = self._states(a, alarm, values, counts)
            out.append((at, state, _entered(state, at)))
        # the composites after the metric alarms: re-evaluated where a child changed
        out.extend(prep.composites.timelines(out, self.R))
        return out

    def _classed_states(self, a: int, alarm: _Alarm, instants: FloatArray) -> IntArray:
        """[R, E] states of an alarm :func:`_minute_classed` at its ``instants``, without its
        datapoints' values: each minute's class (missing, not breaching, breaching) worked out
        once ([R, M]), each evaluation's pattern looked up from its windows' minutes (one
        not yet published is missing), the rule once per distinct pattern (:meth:`_settle`,
        as :meth:`_next_states`: the same keys). The same states as the datapoints' values
        give (:meth:`_datapoints`, :meth:`_states`), at a fraction of the cost."""
        rule = alarm.rule
        R, E, L = self.R, len(instants), rule.range_length
        if E == 0:
            return np.zeros((R, 0), dtype=np.int64)
        count, per_minute = self._minute_values(alarm.queries[0])
        value = np.where(count > 0, per_minute, math.nan)
        classes, base = _codes(alarm, value, count)
        idx = self._window_minutes(rule.period, L, instants)[..., 0]  # [E, L]: one minute each
        safe = np.maximum(idx, 0)
        key = np.full((R, E), INSUFFICIENT, dtype=np.int64)  # the state before: none
        for i in range(L):  # the pattern's key, as _next_states makes it (base 3)
            seen = (self.published[:, safe[:, i]] <= instants[None, :]) & (idx[:, i] >= 0)[None]
            key = key * base + np.where(seen, classes[:, safe[:, i]], 0)
        flat = key.reshape(-1)
        uniq, first, inverse = _distinct(flat, base ** (L + 1))
        keys = uniq.tolist()

        def points(p: int) -> tuple[list[float | None], None]:
            r, e = divmod(int(first[p]), E)
            digits = [(keys[p] // base ** (L - 1 - i)) % base for i in range(L)]
            return [
                None if d == 0 else float(value[r, safe[e, i]]) for i, d in enumerate(digits)
            ], None

        start = np.full(R * E, INSUFFICIENT, dtype=np.int64)
        return self._settle(a, alarm, start, first, inverse, keys, points).reshape(R, E)

    def _states(self, a: int, alarm: _Alarm, values: FloatArray, counts: FloatArray) -> IntArray:
        """[R, E] states after each evaluation, from INSUFFICIENT_DATA: for an alarm whose
        next state depends only on its range (:func:`_memoryless`), every evaluation at once;
        else one evaluation after the other (each a table lookup once its patterns are known:
        measured no slower than checking which patterns depend on the state)."""
        R, E, L = values.shape
        if E == 0:
            return np.zeros((R, 0), dtype=np.int64)
        if self.prep.memoryless[a]:
            flat_v, flat_c = values.reshape(R * E, L), counts.reshape(R * E, L)
            start = np.full(R * E, INSUFFICIENT, dtype=np.int64)
            return self._next_states(a, alarm, start, flat_v, flat_c).reshape(R, E)
        table = self._transitions(a, alarm, values, counts)
        state = np.empty((R, E), dtype=np.int64)
        prev = np.full(R, INSUFFICIENT, dtype=np.int64)
        if table is not None:  # each evaluation a lookup: (pattern, previous state) -> state
            pattern, next_state = table
            for e in range(E):
                prev = next_state[pattern[:, e], prev]
                state[:, e] = prev
            return state
        for e in range(E):
            prev = self._next_states(a, alarm, prev, values[:, e], counts[:, e])
            state[:, e] = prev
        return state

    def _transitions(
        self, a: int, alarm: _Alarm, values: FloatArray, counts: FloatArray
    ) -> tuple[IntArray, IntArray] | None:
        """For an alarm evaluated one evaluation after the other: each [R, E] range's pattern
        (an index) and the table [patterns, 3] of the state after it from each previous state,
        the rule evaluated once per distinct (pattern, previous state) through the memo
        :meth:`_next_states` keeps (None: too long a range for integer keys)."""
        R, E, L = values.shape
        code, base = _codes(alarm, values, counts)
        shift = base**L
        if shift * len(_STATES) >= 2**62:
            return None
        key = np.zeros((R, E), dtype=np.int64)
        for i in range(L):
            key = key * base + code[..., i]
        uniq, first, inverse = _distinct(key.reshape(-1), shift)
        pattern = inverse.reshape(R, E)
        memo = self.prep.rule_memo[a]
        rule = alarm.rule
        next_state = np.empty((len(uniq), len(_STATES)), dtype=np.int64)
        for p, (u, r) in enumerate(zip(uniq.tolist(), first.tolist(), strict=True)):
            pts: list[float | None] | None = None
            sample_counts: list[float | None] | None = None
            for prev in range(len(_STATES)):
                hit = memo.get(prev * shift + u)
                if hit is None:
                    if pts is None:  # the pattern's first range, as the rule reads it
                        v, c = values[r // E, r % E], counts[r // E, r % E]
                        pts = [None if math.isnan(x) else float(x) for x in v.tolist()]
                        if alarm.low_sample:
                            sample_counts = [
                                None if x is None else float(n)
                                for x, n in zip(pts, c.tolist(), strict=True)
                            ]
                    result = rule.evaluate(pts, _STATES[prev], sample_counts=sample_counts)
                    hit = memo[prev * shift + u] = _CODE[result.state]
                next_state[p, prev] = hit
        return pattern, next_state

    def _metric_math(self, alarm: _Alarm, inputs: dict[str, FloatArray]) -> FloatArray:
        """The expression's series per row of inputs ([N, L] each): the compiled program
        (fast mode's). An expression that works datapoint by datapoint (:attr:`_Alarm.
        pointwise`) is evaluated on arrays, every datapoint at once, where the array
        evaluator has every operator and function it calls (:attr:`~guardsim.cloudwatch.
        metric_math.MetricMathProgram.points`: the lists' values to the bit), else once, on
        one series of the distinct datapoints (the inputs' values at one instant) of every
        row; any other once per distinct row (an error rate of 0/n is one row whatever n;
        missing datapoints are one value)."""
        program = alarm.program
        assert program is not None
        names = list(inputs)
        N, L = inputs[names[0]].shape
        if alarm.pointwise and program.points is not None:
            # on arrays (guardsim.cloudwatch.metric_math_arrays): the lists' values to the bit
            arrays = {q: inputs[q].reshape(-1) for q in names}
            on_arrays: FloatArray = program.points(arrays).reshape(N, L)
            return on_arrays
        if alarm.pointwise:
            points = np.stack([inputs[q].reshape(-1) for q in names], axis=1)  # [N * L, Q]
            keyed = np.where(np.isnan(points), -math.inf, points)
            uniq, inverse = _unique_rows(keyed)
            series = {
                q: [None if v == -math.inf else v for v in uniq[:, i].tolist()]
                for i, q in enumerate(names)
            }
            values = [math.nan if v is None else v for v in program.evaluate(series)]
            out_points = np.asarray(values, dtype=np.float64)
            result: FloatArray = out_points[inverse.reshape(-1)].reshape(N, L)
            return result
        stacked = np.concatenate([inputs[q] for q in names], axis=1)
        # NaN (missing) as -inf: a value no SageMaker statistic takes, so rows compare exactly
        keyed = np.where(np.isnan(stacked), -math.inf, stacked)
        uniq, inverse = _unique_rows(keyed)
        out = np.empty((len(uniq), L))
        for u, row in enumerate(uniq):
            rows = {
                q: [None if v == -math.inf else float(v) for v in row[i * L : (i + 1) * L]]
                for i, q in enumerate(names)
            }
            evaluated = program.evaluate(rows)
            out[u] = [math.nan if v is None else v for v in evaluated]
        return out[inverse.reshape(-1)]

    def _window_minutes(self, period: int, L: int, instants: FloatArray) -> IntArray:
        """[E, L, W] array indices of the minutes in each window of the range at each of the
        ``instants`` (a window [s, e) holds the minutes that start in it: at most one for a
        high-resolution period); -1 where there is none."""
        width = max(1, math.ceil(period / 60))
        starts = instants[:, None] - period * np.arange(L, 0, -1, dtype=np.float64)[None, :]
        ends = starts + period
        first = np.ceil(starts / 60.0 - 1e-9).astype(np.int64)
        minute = first[:, :, None] + np.arange(width)[None, None, :]
        inside = 60.0 * minute < ends[:, :, None] - 1e-9
        idx = minute - self.origin
        return np.where(inside & (idx >= 0) & (idx < self.M), idx, -1)

    def _visible(self, fleet: str, src: Source, idx: IntArray, instants: FloatArray) -> BoolArray:
        """[R, E, L, W]: the fleet's bucket of each minute exists and is published by the
        instant that reads it."""
        safe = np.maximum(idx, 0)
        published = self.published[:, safe] <= instants[None, :, None, None]
        vis = (self.n[fleet][:, safe] > 0) & published & (idx >= 0)[None]
        if fleet == "blue" and src.fleets == ("blue",) and src.blue_from is not None:
            minute_start = 60.0 * (self.origin + safe)
            vis &= (minute_start >= src.blue_from)[None]
        return vis

    def _datapoints(
        self, q: _Query, period: int, L: int, instants: FloatArray
    ) -> tuple[FloatArray, FloatArray]:
        """[R, E, L] datapoint values (NaN: missing) and sample counts of the range at each of
        the ``instants`` (an extended statistic of latency: one instant, see
        :meth:`_extended`)."""
        src = q.source
        R, E = self.R, len(instants)
        if not src.fleets or E == 0:
            return np.full((R, E, L), math.nan), np.full((R, E, L), math.nan)
        idx = self._window_minutes(period, L, instants)
        safe = np.maximum(idx, 0)
        one_minute = q.how in ("mixture", "components") and idx.shape[-1] == 1
        if q.how == "basic" or one_minute:
            minute_count, per_minute = self._minute_values(q)
            count = minute_count[:, safe]
            seen = (self.published[:, safe] <= instants[None, :, None, None]) & (idx >= 0)[None]
            seen &= count > 0
            n = reduce_last(np.add, np.where(seen, count, 0))
            if one_minute:  # a window of one minute: that minute's statistic, looked up
                value = np.where(seen[..., 0], per_minute[:, safe[..., 0]], math.nan)
            else:
                value = self._basic(src.spec, src, safe, seen)
            present = n > 0
            value = np.where(present, value, math.nan)
            return value, np.where(present, n.astype(np.float64), math.nan)
        if q.how == "setup":  # exact samples: every window's statistic at once
            since = None
            if src.fleets == ("blue",) and src.blue_from is not None:
                since = math.ceil(src.blue_from / 60.0) - self.origin
            return self.setup.windows(src.spec, src.fleets, idx, instants, self.published, since)
        vis = {f: self._visible(f, src, idx, instants) for f in src.fleets}
        n = sum(
            (reduce_last(np.add, np.where(vis[f], self.n[f][:, safe], 0)) for f in src.fleets),
            np.zeros((R, E, L), dtype=np.int64),
        )
        present = n > 0
        if q.how == "histogram":
            value = self._histogram(src, safe, vis, n)
        else:
            assert E == 1
            one = {f: v[:, 0] for f, v in vis.items()}
            t = float(instants[0])
            value = self._extended(q, period, t, idx[0], one, n[:, 0])[:, None, :]
        value = np.where(present, value, math.nan)
        return value, np.where(present, n.astype(np.float64), math.nan)

    def _basic(
        self, spec: StatisticSpec, src: Source, safe: IntArray, vis: BoolArray
    ) -> FloatArray:
        """A basic statistic of each window ([R, E, L] from the windows' minutes ``safe``
        [E, L, W], those ``vis``): each minute's statistic set merged over the source's fleets
        once (:meth:`_minute_sets`), then the windows' sets merged (a window of one minute,
        Period 60 or less: the minute's own statistic, looked up)."""
        kind = spec.kind
        field = _FIELD.get(kind)
        count, values, per_minute = self._minute_sets(src, kind)
        if safe.shape[-1] == 1:
            return np.where(vis[..., 0], per_minute[:, safe[..., 0]], math.nan)
        fields: list[Any] = [None, None, None]
        if field is not None:
            fields[field] = values[:, safe]
        return basic_of_window(kind, count[:, safe], *fields, where=vis)

    def _minute_values(self, q: _Query) -> tuple[IntArray, FloatArray]:
        """[R, M] each minute's sample count and the query's statistic of the minute alone
        (a basic statistic: :meth:`_minute_sets`; an extended one: :meth:`_minute_extended`)."""
        src = q.source
        if q.how == "basic":
            count, _, per_minute = self._minute_sets(src, src.spec.kind)
            return count, per_minute
        count = self._minute_sets(src, StatisticKind.SAMPLE_COUNT)[0]
        return count, self._minute_extended(src, q.how)

    def _minute_extended(self, src: Source, how: str) -> FloatArray:
        """[R, M]: each minute's extended statistic of the source's fleets together, drawn
        once (a window of one minute, Period 60 or less: the window's value, whoever reads
        it; the fleets' buckets of a minute are published together, so its value changes
        once, when it is published), as :meth:`_mixture_percentile` (a percentile) or
        :meth:`_components` (any other) draws a window's."""
        key = (src, how)
        hit = self.minute_cache.get(key)
        if hit is not None:
            return hit[2]
        count = self._minute_sets(src, StatisticKind.SAMPLE_COUNT)[0]
        out = np.full((self.R, self.M), math.nan)
        cells = np.flatnonzero(count > 0)  # the (replication, minute) pairs, in [R, M] order
        if len(cells):
            r, j = np.divmod(cells, self.M)
            starts = 60.0 * (self.origin + np.arange(self.M))
            vis = {}
            for f in src.fleets:
                if f == "blue" and src.fleets == ("blue",) and src.blue_from is not None:
                    vis[f] = (starts >= src.blue_from)[j][:, None]
                else:
                    vis[f] = np.ones((len(cells), 1), dtype=bool)
            # every (replication, minute) as a row of one-minute windows
            n = _cells(count).take(cells)
            if how == "mixture":
                value = self._mixture_percentile(src, j[:, None], vis, r, n, per_row=True)
            else:
                value = self._components(src, j[:, None], vis, r, per_row=True)
            _cells(out)[cells] = value
        self.minute_cache[key] = (count, out, out)
        return out

    def _minute_sets(
        self, src: Source, kind: StatisticKind
    ) -> tuple[IntArray, FloatArray, FloatArray]:
        """Per minute [R, M], of the source's fleets together: the sample count, the merged
        field of the statistic sets the statistic reads (Sum, Minimum or Maximum), and the
        statistic of the minute alone. Worked out once per source and statistic."""
        key = (src, kind)
        hit = self.minute_cache.get(key)
        if hit is not None:
            return hit
        field = _FIELD.get(kind)
        metric = src.metric
        identity = (0.0, math.inf, -math.inf)[field or 0]
        count = np.zeros((self.R, self.M), dtype=np.int64)
        merged = np.full((self.R, self.M), identity)
        fleets = src.fleets  # the fleets whose served requests carry the samples
        if metric == SETUP_METRIC:  # samples whether or not the fleet served requests
            self._setup_sets(src, field, count, merged)
            fleets = ()
        for f in fleets:
            nb = self.n[f]
            if f == "blue" and src.fleets == ("blue",) and src.blue_from is not None:
                starts = 60.0 * (self.origin + np.arange(self.M))
                nb = np.where((starts >= src.blue_from)[None, :], nb, 0)
            # instance metrics: one sample per instance; custom metrics: per request or minute
            inst = self.inst.counts(f, metric)
            if inst is None:
                inst = self.custom.counts(f, metric, nb)
            count += nb if inst is None else inst
            if field is None:
                continue
            if metric == "Invocations":  # every sample is 1
                v = nb.astype(np.float64) if field == 0 else np.ones(nb.shape)
            elif metric in ERROR_METRICS:  # 0/1 per request
                e = self.errors[(f, metric)]
                if field == 0:
                    v = e.astype(np.float64)
                elif field == 1:  # Minimum: 0 unless every request failed
                    v = np.where(e < nb, 0.0, 1.0)
                else:  # Maximum: 1 if any request failed
                    v = np.where(e > 0, 1.0, 0.0)
            else:
                v = self.lat[(f, metric)][field]
            v = np.where(nb > 0, v, identity)
            if field == 0:
                merged += v
            elif field == 1:
                np.minimum(merged, v, out=merged)
            else:
                np.maximum(merged, v, out=merged)
        fields: list[Any] = [None, None, None]
        if field is not None:
            fields[field] = merged[..., None]
        per_minute = basic_of_window(kind, count[..., None], *fields)
        self.minute_cache[key] = (count, merged, per_minute)
        return count, merged, per_minute

    def _setup_sets(
        self, src: Source, field: int | None, count: IntArray, merged: FloatArray
    ) -> None:
        """:meth:`_minute_sets` of ModelSetupTime: the fleets' samples per minute merged into
        ``count`` and ``merged`` (batch/setup_time.py)."""
        starts = 60.0 * (self.origin + np.arange(self.M))
        for f in src.fleets:
            c = self.setup.counts(f)
            if c is None:
                continue
            if f == "blue" and src.fleets == ("blue",) and src.blue_from is not None:
                c = np.where((starts >= src.blue_from)[None, :], c, 0)
            count += c
            if field is None:
                continue
            v = np.where(c > 0, self.lat[(f, SETUP_METRIC)][field], merged)
            if field == 0:
                merged += np.where(c > 0, v, 0.0)
            elif field == 1:
                np.minimum(merged, v, out=merged)
            else:
                np.maximum(merged, v, out=merged)

    def _histogram(
        self, src: Source, safe: IntArray, vis: dict[str, BoolArray], n: IntArray
    ) -> FloatArray:
        """An extended statistic of Invocations (every sample 1) or of a 0/1 error metric: a
        function of the window's (count, errors) alone, worked out once per distinct pair."""
        if src.metric in ERROR_METRICS:
            k = sum(
                (
                    reduce_last(np.add, np.where(vis[f], self.errors[(f, src.metric)][:, safe], 0))
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
        nbuckets = sum(reduce_last(np.add, vis[f]) for f in src.fleets)
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
        self,
        src: Source,
        minutes: IntArray,
        vis: dict[str, BoolArray],
        rows: IntArray,
        *,
        per_row: bool = False,
    ) -> FloatArray:
        """Per row, the statistic of the window's latency components, every row at once, by
        fast mode's own kernel (:func:`guardsim.simulator.metrics.components_statistic_rows`:
        trimmed and winsorized means, trimmed counts and sums, percentile ranks, IQM from a
        resample of the window's mixture; percentiles of a constant metric exactly).
        ``minutes``: the window's minutes [W], or with ``per_row`` each row's own [rows, W]
        (``vis`` then already per row)."""
        safe = np.maximum(minutes, 0)
        width = safe.shape[-1]
        # one gather per array: the rows' window minutes (each row's own: by their cells)
        if per_row:
            cells = rows[:, None] * self.M + safe

            def at(a: Any) -> Any:
                return _cells(a).take(cells)
        else:
            where = np.ix_(rows, safe)

            def at(a: Any) -> Any:
                return a[where]

        counts, mus, sigmas, scales, adds = [], [], [], [], []
        for f in src.fleets:
            mu, sigma = self._params(f, src.metric)
            v = vis[f] if per_row else vis[f][rows]
            for cn, sc, ad in self.comps.get((f, src.metric), []):
                counts.append(np.where(v, at(cn), 0))
                scales.append(at(sc))
                adds.append(at(ad))
                mus.append(np.full(width, mu))
                sigmas.append(np.full(width, sigma))
        if not counts:
            return np.full(len(rows), math.nan)
        return components_statistic_rows(
            np.concatenate(counts, axis=1),
            np.concatenate(mus),
            np.concatenate(sigmas),
            np.concatenate(scales, axis=1),
            np.concatenate(adds, axis=1),
            src.spec,
            self.rng_metrics,
        )

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
        *,
        per_row: bool = False,
    ) -> FloatArray:
        """The r-th smallest of the window's n samples, r = max(1, ceil(p n)) (see
        aws-model.md#low-sample-percentiles): G^-1(U)
        with U ~ Beta(r, n - r + 1), G the count-weighted mixture of the segments' lognormals
        (as :func:`guardsim.simulator.metrics.components_statistic` draws it). ``minutes``:
        the window's minutes [W], or with ``per_row`` each row's own [rows, W] (``vis`` then
        already per row)."""
        assert src.spec.upper is not None
        rank = ceil_rank(src.spec.upper, n)
        u = self.rng_metrics.beta(rank.astype(np.float64), (n - rank + 1).astype(np.float64))
        safe = np.maximum(minutes, 0)
        cells = rows[:, None] * self.M + safe if per_row else None
        w_parts, mu_parts, sg_parts, sc_parts, ad_parts = [], [], [], [], []
        params = {self.prep.latency_params[(f, src.metric)] for f in src.fleets}
        for f in src.fleets:
            mu, sigma = self.prep.latency_params[(f, src.metric)]
            v = vis[f] if per_row else vis[f][rows]  # [rows, W]: this window's minutes
            for cn, sc, ad in self.comps.get((f, src.metric), []):
                if cells is not None:  # each row's own minutes, by their cells
                    c, scale, add = (_cells(a).take(cells) for a in (cn, sc, ad))
                else:
                    c, scale, add = cn[rows][:, safe], sc[rows][:, safe], ad[rows][:, safe]
                w_parts.append(np.where(v, c, 0).astype(np.float64))
                sc_parts.append(scale)
                ad_parts.append(add)
                if len(params) > 1:
                    mu_parts.append(np.full(w_parts[-1].shape, mu))
                    sg_parts.append(np.full(w_parts[-1].shape, sigma))
        mu_all: float | FloatArray
        sg_all: float | FloatArray
        if len(params) == 1:  # every component's (mu, sigma) the same: as numbers
            ((mu_all, sg_all),) = params
        else:
            mu_all, sg_all = np.concatenate(mu_parts, axis=1), np.concatenate(sg_parts, axis=1)
        return mixture_quantile(
            np.concatenate(w_parts, axis=1),
            mu_all,
            sg_all,
            np.concatenate(sc_parts, axis=1),
            np.concatenate(ad_parts, axis=1),
            u,
        )

    def _next_states(
        self, a: int, alarm: _Alarm, prev: IntArray, values: FloatArray, counts: FloatArray
    ) -> IntArray:
        """[N] states after one evaluation of ``values`` ([N, L]) from ``prev`` ([N]): the
        rule once per distinct (previous state, datapoint pattern), remembered."""
        missing = np.isnan(values)
        code, base = _codes(alarm, values, counts)
        L = values.shape[1]
        keys: list[int] | None = None
        space = base ** (L + 1)
        if space < 2**62:
            key = prev.copy()
            for i in range(L):
                key = key * base + code[:, i]
            uniq, first, inverse = _distinct(key, space)
            keys = uniq.tolist()
        else:  # long evaluation ranges: unique rows (slower, exact)
            rows = np.concatenate([prev[:, None], code], axis=1)
            _, first, inverse = np.unique(rows, axis=0, return_index=True, return_inverse=True)

        def points(p: int) -> tuple[list[float | None], list[float | None] | None]:
            r = int(first[p])
            pts = [None if missing[r, i] else float(values[r, i]) for i in range(L)]
            if not alarm.low_sample:
                return pts, None
            return pts, [None if missing[r, i] else float(counts[r, i]) for i in range(L)]

        return self._settle(a, alarm, prev, first, inverse, keys, points)

    def _settle(
        self,
        a: int,
        alarm: _Alarm,
        prev: IntArray,
        first: IntArray,
        inverse: IntArray,
        keys: list[int] | None,
        points: Callable[[int], tuple[list[float | None], list[float | None] | None]],
    ) -> IntArray:
        """[N] states after one evaluation from ``prev`` ([N]), given the distinct (previous
        state, pattern) pairs: each one's first row ``first``, each row's pair ``inverse``,
        the pairs' keys (None: too long a range for a key, nothing remembered). The rule runs
        once per pair not remembered yet, on its datapoints and sample counts
        (``points(pair)``), and is remembered by key for every block."""
        new = np.empty(len(first), dtype=np.int64)
        # the rule is a pure function of (previous state, pattern): each key's result, once
        memo = self.prep.rule_memo[a]
        for p, r in enumerate(first):
            if keys is not None:
                hit = memo.get(keys[p])
                if hit is not None:
                    new[p] = hit
                    continue
            pts, sample_counts = points(p)
            result = alarm.rule.evaluate(pts, _STATES[int(prev[r])], sample_counts=sample_counts)
            new[p] = _CODE[result.state]
            if keys is not None:
                memo[keys[p]] = new[p]
        out: IntArray = new[inverse.reshape(-1)]
        return out

    # ------------------------------------------------------------------ the data plane

    def _sample(
        self,
        vr: IntArray,
        vj: IntArray,
        read: BoolArray | None,
    ) -> None:
        """Sample every request of minute ``vj[v]`` of replication ``vr[v]``, for every pair
        ``v`` at once; latency only for the pairs ``read``. The minutes nothing cuts (most:
        routing changes, faults and the run's end fall in few of them) are sampled as one
        segment each (:meth:`_sample_whole`, laid out per replication by
        :meth:`_minute_layout`), then the others, cut into segments (:meth:`_sample_cut`).
        Evenly spaced arrivals at a varying rate, whose lattice runs through every pair in
        time order, go to :meth:`_sample_cut` together."""
        if len(vr) == 0:
            return
        if self.phase_at is not None:
            self._sample_cut(vr, vj, read)
            return
        cut, applied_at, post_at = self._minute_layout()
        cells = vr * self.M + vj
        at = _cells(cut).take(cells)
        for group in (~at, at):
            g = np.nonzero(group)[0]
            if not len(g):
                continue
            gr, gj, g_read = vr[g], vj[g], None if read is None else read[g]
            if group is at:
                self._sample_cut(gr, gj, g_read)
            else:
                c = cells[g]
                self._sample_whole(
                    gr, gj, g_read, _cells(applied_at).take(c), _cells(post_at).take(c)
                )

    def _minute_layout(self) -> tuple[BoolArray, IntArray, IntArray]:
        """[R, M] per minute of every replication, from its cut points (those of
        :meth:`_cut_points`): whether one falls strictly inside the minute (it must be cut into
        segments), and the routing changes and rollback changes applied by the minute's start.
        Worked out per replication (each cut point finds its minute by a search of the
        minutes' starts), not per pair: the same answers as comparing each pair's minute with
        each cut point."""
        prep = self.prep
        R, M = self.R, self.M
        m = 60.0 * (self.origin + np.arange(M, dtype=np.float64))
        lo, hi = np.maximum(m, prep.start), m + 60.0  # as each pair's minute has them
        rows = np.arange(R)
        changes, post_t, cuts = self._cut_points(rows)
        # the minute whose start is the last before each cut point: the cut is inside it when
        # it comes before the minute's end (the minutes' starts never decrease)
        flat = cuts.reshape(-1)
        j = np.searchsorted(lo, flat, side="left") - 1
        inside = (j >= 0) & (flat < hi[np.maximum(j, 0)])
        owner = np.repeat(rows, cuts.shape[1])
        cut = np.zeros(R * M, dtype=bool)
        cut[(owner * M + j)[inside]] = True

        def applied_by_start(times: FloatArray) -> IntArray:
            # a change is applied from the first minute whose start is at or after it
            first = np.searchsorted(lo, times.reshape(-1), side="left")
            return _from_minute(R, M, np.repeat(rows, times.shape[1]), first)

        return cut.reshape(R, M), applied_by_start(changes), applied_by_start(post_t)

    def _cut_points(self, vr: IntArray) -> tuple[FloatArray, FloatArray, FloatArray]:
        """The replications' (kept routing changes (inf beyond), rollback routing changes,
        every cut point): the kept routing changes, the rollback's (traffic restored the
        last), 0, the run's end, fault onsets and ends (a fault takes effect at its own second,
        not the minute's) and where an instance of a cohort leaves a warm-up state."""
        prep = self.prep
        V = len(vr)
        S = len(prep.steps)
        kept = np.arange(S)[None, :] < self.kept_changes[vr][:, None]
        changes = np.where(kept, self.change_at[vr], math.inf)
        post_t = self.post_t[vr]
        end = np.minimum(self.end[vr], prep.horizon)[:, None]  # a run stops at the horizon
        cuts = np.concatenate(
            [
                changes,
                post_t,
                np.zeros((V, 1)),
                end,
                np.broadcast_to(prep.fault_cuts, (V, len(prep.fault_cuts))),
                *self._age_cuts(vr, changes),
            ],
            axis=1,
        )
        return changes, post_t, cuts

    def _sample_whole(
        self,
        vr: IntArray,
        vj: IntArray,
        read: BoolArray | None,
        applied: IntArray,
        post: IntArray,
    ) -> None:
        """:meth:`_sample` of pairs whose minute nothing cuts: one segment each, the whole
        minute (from the run's start in its first), with the routing of its start."""
        prep = self.prep
        m = 60.0 * (self.origin + vj.astype(np.float64))
        t0, t1 = np.maximum(m, prep.start)[:, None], (m + 60.0)[:, None]
        applied, post = applied[:, None], post[:, None]
        end = np.minimum(self.end[vr], prep.horizon)[:, None]
        self._draw(vr, vj, read, t0, t1, end, self._serving(vr, applied, post), applied, post)

    def _sample_cut(
        self,
        vr: IntArray,
        vj: IntArray,
        read: BoolArray | None,
        arrived: IntArray | None = None,
        until: FloatArray | None = None,
    ) -> None:
        """:meth:`_sample` of pairs cut into segments at their replication's cut points inside
        their minute (as many segments as the pair with the most needs; the others' last ones
        empty; a pair with no cut, which only evenly spaced arrivals at a varying rate send
        here, one). ``arrived``: the pairs' arrivals per segment, already laid out (that
        lattice runs through every pair in time order). ``until`` [V, 1]: each pair's stretch
        ends there instead of at its minute's end (:meth:`second_pass`)."""
        prep = self.prep
        if len(vr) == 0:
            return
        m = 60.0 * (self.origin + vj.astype(np.float64))
        lo, hi = np.maximum(m, prep.start)[:, None], (m + 60.0)[:, None]
        if until is not None:
            hi = until
        changes, post_t, cuts = self._cut_points(vr)
        end = np.minimum(self.end[vr], prep.horizon)[:, None]
        inside = (cuts > lo) & (cuts < hi)
        # as many segments as the pair with the most cuts needs
        width = int(inside.sum(axis=1).max()) + 1
        cuts = np.where(inside, cuts, hi)
        if width > 1:
            cuts.sort(axis=1)
        t1 = np.concatenate([cuts[:, : width - 1], hi], axis=1)
        t0 = np.concatenate([lo, t1[:, :-1]], axis=1)
        if arrived is None and self.phase_at is not None:
            cut = inside.any(axis=1)
            if cut.any() and not cut.all():
                # evenly spaced arrivals at a varying rate: the lattice through every pair
                # first, in time order, then the minutes without a cut apart from the others
                # (a pair without a cut has all its arrivals in its first segment; the pair
                # with the most cuts, whose width the cut group keeps, is in the cut group)
                (old_n, new_n), _ = self._routing(vr, changes, t0, post_t)
                served = (old_n + new_n) > 0
                laid = self._uniform(vr, vj, t0, t1, prep.expected(t0, t1), served)
                for group, columns in ((~cut, 1), (cut, width)):
                    g = np.nonzero(group)[0]
                    self._sample_cut(
                        vr[g], vj[g], None if read is None else read[g], laid[g, :columns]
                    )
                return
        serving, (applied, post) = self._routing(vr, changes, t0, post_t)
        self._draw(vr, vj, read, t0, t1, end, serving, applied, post, arrived)

    def _draw(
        self,
        vr: IntArray,
        vj: IntArray,
        read: BoolArray | None,
        t0: FloatArray,
        t1: FloatArray,
        end: FloatArray,
        serving: tuple[IntArray, IntArray],
        applied: IntArray,
        post: IntArray,
        arrived: IntArray | None = None,
    ) -> None:
        """The pairs' segments [V, W] from ``t0`` to ``t1``, served by (old, new) instances
        ``serving`` with the routing changes ``applied`` and rollback changes ``post`` in
        effect: arrivals (``arrived`` if laid out already), each fleet's share, and what
        each serves (:meth:`_serve`)."""
        prep = self.prep
        blue_n, green_n = serving
        restored = post > 0  # in the rollback (blue/green: traffic back on blue)
        total_active = blue_n + green_n
        counting = (t0 >= 0.0) & (t0 < end)
        lam = prep.expected(t0, t1)
        if arrived is None and not prep.uniform:
            # Poisson arrivals, each request to one of the active instances: the fleets' counts
            # are independent Poissons of their shares of the mean (thinning), one draw each
            share = np.zeros((2, *lam.shape))
            np.divide(serving, total_active, out=share, where=total_active > 0)
            n_blue, n_green = self.rng_traffic.poisson(share * lam)
            total = n_blue + n_green
        else:
            if arrived is not None:
                total = arrived
            elif prep.constant_rate:
                rate = prep.scenario.traffic.rate_per_second
                # evenly spaced arrivals at start + k / rate: the lattice points in [t0, t1)
                total = arrivals.lattice_count(prep.start, t0, t1, rate)
            else:
                total = self._uniform(vr, vj, t0, t1, lam, total_active > 0)
            total = np.where(total_active > 0, total, 0)
            n_green = _shares(self.rng_traffic, self.binomial, total, green_n, total_active)
        seconds = t1 - t0
        with np.errstate(invalid="ignore", divide="ignore"):
            mean_rate = np.where(seconds > 0, lam / seconds, 0.0)
        pairs = _Pairs(vr, vj, vr * self.M + vj, None if read is None else np.nonzero(read)[0])
        peak = _rows(np.maximum, np.where(restored | ~(t0 < t1), 0, applied))
        _cells(self.peak)[pairs.at] = peak
        for fleet, count, on in (("blue", total - n_green, blue_n), ("green", n_green, green_n)):
            self._serve(
                fleet, pairs, count, t0, mean_rate, total_active, counting, applied, post, on
            )
        if prep.neighbours:
            self._serve_neighbours(pairs, t0, t1, seconds, applied, post)

    def _serve_neighbours(
        self,
        pairs: _Pairs,
        t0: FloatArray,
        t1: FloatArray,
        seconds: FloatArray,
        applied: IntArray,
        post: IntArray,
    ) -> None:
        """The neighbours' requests in the pairs' segments: each served by its own copies
        (the update does not move them), never counted in the summary, from its own streams."""
        prep = self.prep
        assert self.rng_neighbours is not None
        never = np.zeros(t0.shape, dtype=bool)
        for fleet, c in prep.neighbours.items():
            assert c.traffic is not None
            lam, count = components_.neighbour_arrivals(
                c.traffic, prep.start, t0, t1, self.rng_neighbours[0]
            )
            with np.errstate(invalid="ignore", divide="ignore"):
                rate = np.where(seconds > 0, lam / seconds, 0.0)
            copies = np.full(t0.shape, c.copies, dtype=np.int64)
            self._serve(
                fleet,
                pairs,
                count,
                t0,
                rate,
                copies,
                never,
                applied,
                post,
                copies,
                rngs=self.rng_neighbours,
            )

    def _routing(
        self, vr: IntArray, changes: FloatArray, t0: FloatArray, post_t: FloatArray
    ) -> tuple[tuple[IntArray, IntArray], tuple[IntArray, IntArray]]:
        """Routing per segment starting at ``t0`` [V, W]: ((old, new) instances serving), and
        (routing changes applied before it, rollback changes applied: all traffic back on
        the old fleet when > 0)."""
        applied = reduce_last(np.add, changes[:, None, :] <= t0[:, :, None])
        post = reduce_last(np.add, post_t[:, None, :] <= t0[:, :, None])
        return self._serving(vr, applied, post), (applied, post)

    def _serving(
        self, vr: IntArray, applied: IntArray, post: IntArray
    ) -> tuple[IntArray, IntArray]:
        """(old, new) instances serving each segment [V, W] of the replications ``vr``, with
        ``applied`` routing changes and ``post`` rollback changes in effect."""
        active = np.asarray(self.prep.active, dtype=np.int64)
        blue_n, green_n = active[applied, 0], active[applied, 1]
        restored = post > 0
        if not restored.any():  # no rollback change in effect (the success path)
            return blue_n, green_n
        # the rollback's routing: its changes' (old, new) instances, by cell of [R, P]
        cells = vr[:, None] * self.post_b.shape[1] + np.maximum(post - 1, 0)
        blue_n = np.where(restored, _cells(self.post_b).take(cells), blue_n)
        green_n = np.where(restored, _cells(self.post_g).take(cells), green_n)
        return blue_n, green_n

    # ------------------------------------------------------------------ instances (warm-up)

    def _cohorts(
        self, fleet: str, vr: IntArray, applied: IntArray, post: IntArray, count: IntArray
    ) -> list[tuple[IntArray, FloatArray]]:
        """The fleet's ``count`` active instances per segment as cohorts activated together:
        (instances [V, W], activation time [V, W]). As the SimPy fleets have them: the old
        fleet is activated an hour before the run starts (long warm), the new one batch by
        batch at each routing change; turn-offs take the oldest old instances and (in a
        rollback) the newest new ones; a rollback activates old instances at each of its
        routing changes (those it reactivates or re-provisions)."""
        prep = self.prep
        shape = applied.shape
        active = np.asarray(prep.active, dtype=np.int64)
        if fleet == "blue":
            left_on = active[self.kept_changes[vr], 0][:, None]  # old instances still serving
            out = [
                (
                    np.where(post > 0, left_on, active[applied, 0]),
                    np.full(shape, prep.blue_warm_from),
                )
            ]
            post_b, post_t = self.post_b[vr], self.post_t[vr]
            for p in range(post_t.shape[1]):
                before = left_on if p == 0 else post_b[:, p - 1][:, None]
                added = post_b[:, p][:, None] - before
                out.append(
                    (np.where(post > p, added, 0), np.broadcast_to(post_t[:, p][:, None], shape))
                )
            return out
        out = []
        older = 0  # new instances activated before this batch: the newest go first
        change_at = self.change_at[vr]
        for s, step in enumerate(prep.steps):
            out.append(
                (
                    np.clip(count - older, 0, step.instances),
                    np.broadcast_to(change_at[:, s][:, None], shape),
                )
            )
            older += step.instances
        return out

    def _faults(self, vr: IntArray) -> dict[str, FleetFaults]:
        """The fleets as the replications ``vr`` see them: the scenario's, or, with a replayed
        history, compiled with each one's start minute in the recording as a column
        (``[len(vr), 1]``, broadcast against the pairs' ``[len(vr), segments]`` times), so one
        kernel gives every replication its own minute."""
        if self.history_offsets is None:
            return self.prep.faults
        offsets = np.asarray(self.history_offsets)[vr][:, None]
        return replayed_history.fleet_faults(self.prep.models, self.prep.start, offsets)

    def _age_cuts(self, vr: IntArray, changes: FloatArray) -> list[FloatArray]:
        """Cut points where a cohort's instances cross an age cut of their fleet's
        per-instance faults (:attr:`guardsim.model.faults.FleetFaults.age_cuts`)."""
        out: list[FloatArray] = []
        for fleet in FLEETS:
            ff = self.prep.faults[fleet]
            if not ff.instance:
                continue
            if fleet == "blue":
                starts = np.concatenate(
                    [np.full((len(vr), 1), self.prep.blue_warm_from), self.post_t[vr]], axis=1
                )
            else:
                starts = changes
            out.extend(starts + c for c in ff.age_cuts)
        return out

    def _split(
        self,
        fleet: str,
        vr: IntArray,
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
        requests [V, W * cohorts] and the behaviour of each cohort, side by side."""
        ff = self._faults(vr)[fleet]
        cohorts = self._cohorts(fleet, vr, applied, post, active_n)
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
        self,
        vr: IntArray,
        vj: IntArray,
        t0: FloatArray,
        t1: FloatArray,
        lam: FloatArray,
        served: BoolArray,
    ) -> IntArray:
        """Evenly spaced arrivals at a varying rate: segment by segment, as fast mode lays
        them out (:func:`guardsim.model.traffic.uniform_arrivals` at each segment's mean rate,
        from where the previous segment's lattice left off; a segment no instance serves, or
        an empty one, leaves the lattice where it was): the pairs' minutes in time order, each
        minute's pairs at once; each minute's starting phase is kept (:attr:`phase_at`)."""
        assert self.phase_at is not None
        total = np.zeros(t0.shape, dtype=np.int64)
        order = np.argsort(vj, kind="stable")
        for idx in np.split(order, np.flatnonzero(np.diff(vj[order])) + 1):
            rows = vr[idx]
            phase = self.next_uniform[rows]
            self.phase_at[rows, vj[idx[0]]] = phase
            for k in range(t0.shape[1]):
                a, b = t0[idx, k], t1[idx, k]
                live = served[idx, k] & (b > a)
                if not live.any():
                    continue
                with np.errstate(invalid="ignore", divide="ignore"):
                    r = np.where(live, lam[idx, k] / (b - a), 0.0)
                n, after = arrivals.uniform_arrivals_array(phase, a, b, r)
                total[idx, k] = np.where(live, n, 0)
                phase = np.where(live, after, phase)
            self.next_uniform[rows] = phase
        return total

    def _warm_phase(self, until: int) -> float:
        """Evenly spaced arrivals at a varying rate: the lattice's phase at the start of minute
        ``until`` (the block's first simulated one, at or before UpdateEndpoint), laid through
        the warm-up's minutes before it as :meth:`_uniform` lays them, segment by segment, cut
        at the points of :meth:`_cut_points` (the faults' cuts, the old instances' age cuts). The
        same for every replication: before UpdateEndpoint nothing of a replication's own cuts
        a minute (its routing changes, rollback and end all come later), and the old fleet
        serves every request."""
        prep = self.prep
        points = [float(c) for c in prep.fault_cuts]
        if prep.faults["blue"].instance:
            points += [prep.blue_warm_from + c for c in prep.faults["blue"].age_cuts]
        phase = np.array([prep.start])
        for minute in range(prep.first_minute, until):
            lo, hi = max(60.0 * minute, prep.start), 60.0 * minute + 60.0
            edges = [lo, *sorted(c for c in points if lo < c < hi), hi]
            for a, b in itertools.pairwise(edges):
                if not b > a:  # a cut repeated: an empty segment
                    continue
                t0, t1 = np.array([a]), np.array([b])
                rate = prep.expected(t0, t1) / (t1 - t0)
                _, phase = arrivals.uniform_arrivals_array(phase, t0, t1, rate)
        return float(phase[0])

    def _serve(
        self,
        fleet: str,
        pairs: _Pairs,
        n: IntArray,
        t0: FloatArray,
        mean_rate: FloatArray,
        total_active: IntArray,
        counting: BoolArray,
        applied: IntArray,
        post: IntArray,
        active_n: IntArray,
        rngs: tuple[np.random.Generator, np.random.Generator] | None = None,
    ) -> None:
        """One fleet's share of the pairs' requests: errors, what is counted, and (for the
        pairs a poll can read) the latency statistics the alarms read of it. ``rngs``: the
        (traffic, metrics) streams to draw from (None: the block's)."""
        prep = self.prep
        vr, vj, at = pairs.vr, pairs.vj, pairs.at
        rng, rng_metrics = rngs or (self.rng_traffic, self.rng_metrics)
        own = fleet in FLEETS  # not a neighbour's: instance and custom metrics too
        if own:
            self.inst.seen(fleet, vr, vj, n, active_n)  # the instances that served, per pair
        model = prep.models[fleet]
        cap = model.capacity_rps_per_instance
        if cap:
            with np.errstate(invalid="ignore", divide="ignore"):
                rho = mean_rate / total_active / cap
            if not np.isfinite(rho).all():  # no instance active: 0/0, x/0
                rho = np.nan_to_num(rho)
        else:
            rho = np.zeros(t0.shape)
        if prep.faults[fleet].instance:
            # one column per (cohort, segment): the rest below is per column, as without
            n, behaviours = self._split(fleet, vr, n, t0, rho, applied, post, active_n)
            p5, p4, mult, add = (np.concatenate(v, axis=1) for v in zip(*behaviours, strict=True))
            copies = len(behaviours)
            t0 = np.tile(t0, (1, copies))
            total_active = np.tile(total_active, (1, copies))
            counting = np.tile(counting, (1, copies))
        else:
            p5, p4, mult, add = prep.behaviour(fleet, t0, rho, self._faults(vr))
        e5 = _binomial(rng, n, p5, self.binomial)
        if p4.size == 0 or (not any(p4.strides) and p4.flat[0] == 0.0):
            # no 4XX anywhere (one probability for every segment, 0): _binomial's zeros, no draw
            e4 = np.zeros(n.shape, dtype=np.int64)
        else:
            with np.errstate(invalid="ignore", divide="ignore"):
                q4 = np.where(p5 < 1.0, p4 / (1.0 - p5), 0.0)
            e4 = _binomial(rng, n - e5, q4, self.binomial)
        _cells(self.n[fleet])[at] = _rows(np.add, n)
        read = prep.errors_read[fleet]
        if "Invocation4XXErrors" in read:
            _cells(self.errors[(fleet, "Invocation4XXErrors")])[at] = _rows(np.add, e4)
        if "Invocation5XXErrors" in read:
            _cells(self.errors[(fleet, "Invocation5XXErrors")])[at] = _rows(np.add, e5)
        if "InvocationModelErrors" in read:
            _cells(self.errors[(fleet, "InvocationModelErrors")])[at] = _rows(np.add, e4 + e5)
        counted_e = _rows(np.add, np.where(counting, e4 + e5, 0))
        _cells(self.counted["user_e"])[at] += counted_e
        if fleet == "green":
            _cells(self.counted["green_n"])[at] = _rows(np.add, np.where(counting, n, 0))
            _cells(self.counted["green_e"])[at] = counted_e
        li = pairs.read
        if li is None or not len(li) or not prep.fleet_needed[fleet]:
            return
        # latency: only for the pairs a poll can read
        lr, lj, lat = vr[li], vj[li], at[li]
        n, total_active = n[li], total_active[li]
        for metric in prep.fleet_needed[fleet]:
            if metric == "InvocationsPerInstance":
                with np.errstate(invalid="ignore", divide="ignore"):
                    v = np.where(total_active > 0, 1.0 / total_active, 0.0)
                s_, mn_, mx_ = self.lat[(fleet, metric)]
                _cells(s_)[lat] = _rows(np.add, n * v)
                _cells(mn_)[lat] = _rows(np.minimum, np.where(n > 0, v, math.inf))
                _cells(mx_)[lat] = _rows(np.maximum, np.where(n > 0, v, -math.inf))
                if metric in prep.component_metrics:  # constant samples: scale 0, add v
                    self._keep(fleet, metric, lat, n, np.zeros(n.shape), v)
                continue
            if metric not in LATENCY:
                continue
            mu, sigma = prep.latency_params[(fleet, metric)]
            if metric == "ModelLatency":
                scale, shift = mult[li] * 1000.0, add[li] * 1000.0
            else:
                scale, shift = np.full(n.shape, 1000.0), np.zeros(n.shape)
            if (fleet, metric) in prep.sums_read:
                extremes = (fleet, metric) in prep.extremes
                total, lo, hi = draw_summaries(
                    rng_metrics, n, mu, sigma, scale, shift, NORMAL_SUM_THRESHOLD, extremes
                )
                s_, mn_, mx_ = self.lat[(fleet, metric)]
                _cells(s_)[lat] = _rows(np.add, total)
                if extremes:
                    _cells(mn_)[lat] = _rows(np.minimum, lo)
                    _cells(mx_)[lat] = _rows(np.maximum, hi)
            if metric in prep.component_metrics:
                self._keep(fleet, metric, lat, n, scale, shift)
        # instance metrics from the pairs' ModelLatency Sum; custom metrics from their requests,
        # errors and latency (the pairs a poll can read)
        if not own:
            return
        self.inst.fill(fleet, lr, lj)
        if self.custom.metrics[fleet]:
            self.custom.fill(
                fleet,
                lr,
                lj,
                self.n[fleet][lr, lj],
                self.errors[(fleet, "Invocation4XXErrors")][lr, lj],
                self.errors[(fleet, "Invocation5XXErrors")][lr, lj],
            )

    def _keep(
        self,
        fleet: str,
        metric: str,
        at: IntArray,
        n: IntArray,
        scale: FloatArray,
        shift: FloatArray,
    ) -> None:
        """Keep the pairs' latency components (count, scale, add per segment; ``at`` the pairs'
        cells, :func:`_cells`): the extended statistics of a window are drawn from them."""
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
            _cells(cn)[at], _cells(sc)[at], _cells(ad)[at] = n[:, k], scale[:, k], shift[:, k]

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

    def _results(self, names: list[str] | None = None) -> RunColumns:
        """The block's results as columns (no Python object per replication); ``names``: the
        watched alarms :attr:`tripped` has columns for (default: this block's)."""
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
        self.raw_cost = cost  # a multi-variant endpoint's lanes add theirs up (_Lanes)
        active = np.asarray(prep.active, dtype=np.float64)
        frac = np.where(
            active.sum(axis=1) > 0, active[:, 1] / np.maximum(active.sum(axis=1), 1), 0.0
        )
        horizon = prep.horizon
        with np.errstate(invalid="ignore"):
            detected = np.where(self.detected > horizon, math.nan, self.detected)
            started = np.where(self.rollback_started > horizon, math.nan, self.rollback_started)
        restored = self.restored_at
        restored = np.where(np.isfinite(restored) & (restored <= horizon), restored, math.nan)
        # the tripped alarms, as codes into the block's distinct sets
        tripped = self.tripped & ~np.isnan(detected)[:, None]
        if names is None:
            names = [n for _, n in prep.composites.watched]
        if 0 < tripped.shape[1] < 63:  # each set as the bits of one integer
            bits = tripped.astype(np.int64) @ (np.int64(1) << np.arange(tripped.shape[1]))
            uniq, codes = np.unique(bits, return_inverse=True)
            sets = tuple(
                tuple(n for i, n in enumerate(names) if int(u) >> i & 1) for u in uniq.tolist()
            )
        elif tripped.shape[1]:
            uniq, codes = np.unique(tripped, axis=0, return_inverse=True)
            sets = tuple(tuple(n for n, on in zip(names, u, strict=True) if on) for u in uniq)
        else:
            codes, sets = np.zeros(self.R, dtype=np.int64), ((),)
        counted = {k: v.sum(axis=1) for k, v in self.counted.items()}
        values = {
            "deployment_seconds": end,
            "detected_at_seconds": detected,
            "rollback_started_seconds": started,
            "rollback_completed_seconds": restored,
            "green_requests": counted["green_n"],
            "green_errors": counted["green_e"],
            "user_errors": counted["user_e"],
            "peak_green_traffic_fraction": frac[self.peak.max(axis=1)],
            "instance_seconds": np.asarray(seconds, dtype=np.float64),
            # Python's round (correctly rounded), as the per-replication engine rounds
            "cost_usd": billing.reported_usd_array(cost),
        }
        return RunColumns(
            replication=self.block * BLOCK + np.arange(self.R, dtype=np.int64),
            outcome=np.asarray(outcome, dtype=np.int8),  # the order of OUTCOMES
            values={f: values[f] for f in SUMMARY_FIELDS if f != "tripped_alarms"},
            tripped=codes.reshape(-1).astype(np.int32),
            tripped_sets=sets,
        )


# --------------------------------------------------------------------------- multi-variant


class _Lanes:
    """A multi-variant endpoint's block: one :class:`_Block` per production variant (its lane:
    :func:`guardsim.scenarios.variants.lanes`), in lockstep, as fast mode runs them.

    One controller: the first lane lays out the success path (its provisioning ends with the
    slowest green instance of *every* variant) and the other lanes take that timeline; each lane
    samples its own fleets at its share of the traffic and evaluates the alarms that read its
    variant; SageMaker's polls read every lane's watched alarms (in AutoRollbackConfiguration's
    order), and the first that trips takes every lane off the success path at once. The
    results add the lanes' requests, errors and bills up."""

    #: What a later lane takes from the first (the controller's blue/green timeline; validation
    #: refuses a rolling update of a multi-variant endpoint).
    TIMELINE = (
        "ev_t",
        "ev_valid",
        "ev_since",
        "ev_kind",
        "ev_changes",
        "ev_stage",
        "change_at",
        "success_end",
        "term_success",
        "restore",
        "term_rollback",
    )

    def __init__(self, scenario: Scenario) -> None:
        self.scenario = scenario
        self.lanes = lanes(scenario)
        self.preps = [_Prepared(lane.scenario, lane.share) for lane in self.lanes]
        first = self.preps[0]
        first.launch_count = sum(p.green_count for p in self.preps)
        # one CloudWatch clock for every lane (every 10 s if any alarm is high resolution)
        clock = min(p.clock for p in self.preps)
        for p in self.preps:
            p.clock = clock
            p.clock_offset = math.fmod(p.env.alarm_evaluation_offset_seconds, clock)
        where = {
            name: (k, w)
            for k, p in enumerate(self.preps)
            for w, (_, name) in enumerate(p.composites.watched)
        }
        #: the watched alarms of every lane, in AutoRollbackConfiguration's order: (lane, column)
        self.order = [
            where[n] for n in scenario.deployment_config.rollback_alarm_names if n in where
        ]
        self.names = [n for n in scenario.deployment_config.rollback_alarm_names if n in where]

    def run(self, seed: int, block: int) -> RunColumns:
        first = _Block(self.preps[0], seed, block)
        blocks = [first] + [
            _Block(p, seed, block, timeline=first, lane=k) for k, p in enumerate(self.preps[1:], 1)
        ]
        lane_hits = [b.hits(b.first_pass()) for b in blocks]
        R, P = first.ev_t.shape
        hits = (
            np.stack([lane_hits[k][:, :, w] for k, w in self.order], axis=2)
            if self.order
            else np.zeros((R, P, 0), dtype=bool)
        )
        for b in blocks:
            b.tripped = np.zeros((R, len(self.order)), dtype=bool)
            b.leave(hits)  # the same decision in every lane
            b.second_pass()
        parts = [b._results(self.names) for b in blocks]
        out = parts[0]
        values = dict(out.values)
        for field in ("green_requests", "green_errors", "user_errors", "instance_seconds"):
            values[field] = sum((p.values[field] for p in parts[1:]), start=values[field])
        cost = sum((b.raw_cost for b in blocks[1:]), start=first.raw_cost)
        values["cost_usd"] = billing.reported_usd_array(cost)
        # the endpoint's green share at each routing change: each lane's share of the requests
        # times its green fraction (the lanes step together)
        frac = np.zeros(len(first.prep.active))
        for lane, p in zip(self.lanes, self.preps, strict=True):
            active = np.asarray(p.active, dtype=np.float64)
            total = active.sum(axis=1)
            frac = frac + lane.share * np.where(total > 0, active[:, 1] / np.maximum(total, 1), 0.0)
        values["peak_green_traffic_fraction"] = frac[first.peak.max(axis=1)]
        return RunColumns(
            replication=out.replication,
            outcome=out.outcome,
            values=values,
            tripped=out.tripped,
            tripped_sets=out.tripped_sets,
        )


# --------------------------------------------------------------------------- sampling helpers


@dataclass(frozen=True)
class _Pairs:
    """The (replication, minute) pairs one call of :meth:`_Block._sample` draws: the
    replications ``vr``, the minutes' indices ``vj``, their cells in a block's [R, M] arrays
    (``vr * M + vj``, :func:`_cells`), and which of the pairs need latency (indices into
    them; None: none)."""

    vr: IntArray
    vj: IntArray
    at: IntArray
    read: IntArray | None


def _from_minute(R: int, M: int, rows: IntArray, first: IntArray) -> IntArray:
    """[R, M]: per replication and minute, how many of the events (replication ``rows[i]``,
    from minute ``first[i]`` on; ``first`` M: never) have begun by that minute."""
    counts = np.bincount(rows * (M + 1) + first, minlength=R * (M + 1))
    out: IntArray = counts.reshape(R, M + 1)[:, :M].cumsum(axis=1)
    return out


def _cells(a: Any) -> Any:
    """A block's [R, M] array as one row of R * M cells, the same memory (an error, not a
    copy, if it cannot be): cell ``r * M + j`` is ``a[r, j]``. Writing and reading the pairs'
    cells by these flat indices costs a third to a fifth of indexing by (``vr``, ``vj``)."""
    out = a.view()
    out.shape = (a.size,)
    return out


#: Metric math functions that work datapoint by datapoint (a series in, each datapoint a
#: function of the arguments' datapoints at the same instant).
POINTWISE_FUNCTIONS = frozenset({"ABS", "CEIL", "FLOOR", "LOG", "LOG10", "IF"})


def _pointwise(metrics: list[dict[str, Any]]) -> bool:
    """Whether every expression of an alarm's ``Metrics`` calls only
    :data:`POINTWISE_FUNCTIONS` (arithmetic, comparisons and logic are pointwise)."""
    for m in metrics:
        expression = m.get("Expression")
        if expression is None:
            continue
        called = re.findall(r"([A-Za-z_][A-Za-z0-9_]*)\s*\(", str(expression))
        if any(name.upper() not in POINTWISE_FUNCTIONS for name in called):
            return False
    return True


#: Whether evenly spaced arrivals at a varying rate skip the warm-up's minutes no poll reads,
#: the lattice's phase laid through them by :meth:`_Block._warm_phase` (else they are
#: simulated: a switch for the test that holds the two equal).
WARM_PHASE = True

#: Whether :meth:`_Block._read_minutes` draws latency only in the minutes within a poll's
#: reach (else in every minute before the last poll: a switch for the test that holds the two
#: equal).
READ_REACH = True

#: Whether a wait's instants where no replication polls or times out are left out of the
#: block's events (:meth:`_Block._wait`; a switch for the test that holds the two equal).
EVENTS_ONLY = True

#: Whether :meth:`_Block.second_pass` draws what follows a replication's leaving as one
#: stretch cut where something changes, where the scenario allows it (:attr:`_Prepared.
#: whole_after`), rather than minute by minute (a switch for the test that holds the two
#: equal in distribution).
WHOLE_AFTER = True

#: Whether :meth:`_Block._classed_states` is used (a switch for the tests that hold it equal
#: to working out the datapoints' values).
MINUTE_CLASSES = True


def _minute_classed(alarm: _Alarm, memoryless: bool) -> bool:
    """Whether an alarm's states can be looked up from its minutes' classes
    (:meth:`_Block._classed_states`): its next state a function of its range alone
    (``memoryless``, and no low-sample rule: sample counts unread), one metric, no math, and
    windows of at most one minute (Period 60 or less) whose value is that minute's own
    (a basic statistic, or an extended one of latency: the minute's, drawn once)."""
    if alarm.program is not None or alarm.low_sample or not memoryless:
        return False
    if len(alarm.queries) != 1 or 3 ** (alarm.rule.range_length + 1) >= 2**62:
        return False  # (a pattern's key must fit in an int64, as _next_states's)
    q = alarm.queries[0]
    one_minute = q.how in ("basic", "mixture", "components")
    return alarm.rule.period <= 60 and one_minute and bool(q.source.fleets)


def _codes(
    alarm: _Alarm, values: FloatArray, counts: FloatArray | IntArray
) -> tuple[IntArray, int]:
    """Each datapoint's class, all the rule reads of it: 0 missing, 1 not breaching, 2
    breaching (plus 3 if it has few samples, for the low-sample percentile rule), and the
    number of classes (the base of a pattern's key)."""
    rule = alarm.rule
    missing = np.isnan(values)
    code = np.where(missing, 0, np.where(_breaches(rule, values), 2, 1))
    if alarm.low_sample:
        assert rule.low_sample_threshold is not None
        code = code + 3 * (~missing & (counts < rule.low_sample_threshold))
    return code, 6 if alarm.low_sample else 3


def _distinct(key: IntArray, space: int) -> tuple[IntArray, IntArray, IntArray]:
    """``np.unique(key, return_index=True, return_inverse=True)`` of integer keys in
    ``[0, space)``: by a table when there are few possible keys, else by a sort."""
    if space > _TABLE_KEYS:
        uniq, first, inverse = np.unique(key, return_index=True, return_inverse=True)
        return uniq, first, inverse.reshape(-1)
    seen = np.zeros(space, dtype=bool)
    seen[key] = True
    uniq = np.flatnonzero(seen)
    at = np.empty(space, dtype=np.int64)
    at[key[::-1]] = np.arange(len(key) - 1, -1, -1)  # each key's first position
    slot = np.empty(space, dtype=np.int64)
    slot[uniq] = np.arange(len(uniq))
    return uniq, at[uniq], slot[key]


def _unique_rows(a: FloatArray) -> tuple[FloatArray, IntArray]:
    """The distinct rows of ``a`` ([N, K], no NaN) in lexicographic order, and each row's
    index among them: ``np.unique(a, axis=0, return_inverse=True)`` by one lexsort (numpy's
    own sorts a structured view of the rows, many times slower)."""
    if len(a) == 0:
        return a[:0], np.zeros(0, dtype=np.int64)
    order = np.lexsort(a.T[::-1])
    ordered = a[order]
    new = np.empty(len(a), dtype=bool)
    new[0] = True
    new[1:] = (ordered[1:] != ordered[:-1]).any(axis=1)
    inverse = np.empty(len(a), dtype=np.int64)
    inverse[order] = np.cumsum(new) - 1
    return ordered[new], inverse


def _rows(ufunc: Any, x: Any) -> Any:
    """``ufunc.reduce(x, axis=1)``: a row's segments merged (one segment: itself)."""
    return x[:, 0] if x.shape[1] == 1 else reduce_last(ufunc, x)


def _entered(state: IntArray, instants: FloatArray) -> FloatArray:
    """[R, E]: the instant each state was entered (the last evaluation that changed it;
    -inf: held since before the first, INSUFFICIENT_DATA)."""
    R, E = state.shape
    if E == 0:
        return np.zeros((R, 0))
    before = np.concatenate([np.full((R, 1), INSUFFICIENT), state[:, :-1]], axis=1)
    at = np.where(state != before, np.arange(E)[None, :], -1)
    at = np.maximum.accumulate(at, axis=1)
    out: FloatArray = np.where(at >= 0, instants[np.maximum(at, 0)], -math.inf)
    return out


#: Which field of a statistic set (Sum, Minimum, Maximum) a basic statistic reads.
_FIELD = {
    StatisticKind.SUM: 0,
    StatisticKind.AVERAGE: 0,
    StatisticKind.MINIMUM: 1,
    StatisticKind.MAXIMUM: 2,
}


#: Per check code (:mod:`guardsim.deployment.watch`): whether it is an event of the block's
#: timeline, a check that reads the alarms or a timeout.
_EVENTS = np.isin(np.arange(watch_.DONE + 1), (*watch_.READS_ALARMS, watch_.TIMEOUT))

#: Key spaces up to this size are looked up in a table (:meth:`_Block._next_states`).
_TABLE_KEYS = 1 << 16


def _memoryless(alarm: _Alarm) -> bool:
    """Whether the alarm's next state never depends on its previous one
    (:meth:`~guardsim.cloudwatch.alarm.AlarmRule.keeps_state`, with sample counts when the
    low-sample percentile rule applies: TreatMissingData=ignore and that rule keep the state),
    whatever the range's length."""
    return not alarm.rule.keeps_state(sample_counts=alarm.low_sample)


def _binomial(
    rng: np.random.Generator, n: IntArray, p: FloatArray, tables: BinomialTables
) -> IntArray:
    """Binomial(n, p) elementwise, drawn only where 0 < p < 1 and n > 0 (elsewhere it is 0 or
    n with certainty): the same distribution as ``rng.binomial(n, p)``, without the draws a
    healthy fleet (p = 0), a failing one (p = 1) or an all-blue routing (p = 0) does not need;
    one probability for every element by ``tables`` (:mod:`guardsim.model.binomial`)."""
    p = np.broadcast_to(p, n.shape)
    if p.size and not any(p.strides):  # one probability for every element (no fault varies it)
        q = float(p.flat[0])
        if q <= 0.0 or q >= 1.0:
            return n.copy() if q >= 1.0 else np.zeros(n.shape, dtype=np.int64)
        return tables.draw(rng, n, q)
    out = np.where(p >= 1.0, n, 0)
    random = (p > 0.0) & (p < 1.0) & (n > 0)
    if random.all():
        return rng.binomial(n, p)
    if random.any():
        out[random] = rng.binomial(n[random], p[random])
    return out


def _shares(
    rng: np.random.Generator,
    tables: BinomialTables,
    total: IntArray,
    on: IntArray,
    active: IntArray,
) -> IntArray:
    """Each segment's requests the new fleet serves: Binomial(total, on / active), a request
    going to one of the ``active`` instances uniformly, ``on`` of them the new fleet's (0 with
    no instance active). Drawn by ``tables`` (:mod:`guardsim.model.binomial`) share by share,
    the distinct shares (``on`` of ``active``) in increasing order of ``(on, active)``; none
    where the share is 0 or 1."""
    out = np.where((on >= active) & (active > 0), total, 0)
    flat = out.reshape(-1)
    on_, active_, total_ = on.reshape(-1), active.reshape(-1), total.reshape(-1)
    idx = np.flatnonzero((on_ > 0) & (on_ < active_) & (total_ > 0))
    if not len(idx):
        return out
    o, a, n = on_[idx], active_[idx], total_[idx]
    frac = o / a
    if np.count_nonzero(tables.candidates(n, frac)) < TABLE_MIN_SHARED:  # numpy's, at once
        flat[idx] = rng.binomial(n, frac)
        return out
    base = int(a.max()) + 1
    keys, first, inverse = _distinct(o * base + a, base * base)
    if len(keys) == 1:
        flat[idx] = tables.draw(rng, n, float(frac[0]))
        return out
    for g, at in enumerate(first.tolist()):
        sel = np.flatnonzero(inverse == g)
        flat[idx[sel]] = tables.draw(rng, n[sel], float(frac[at]))
    return out


def _breaches(rule: AlarmRule, values: FloatArray) -> BoolArray:
    """``value <op> Threshold`` (or the band) elementwise with the rule's own
    :meth:`~guardsim.cloudwatch.alarm.AlarmRule.breaches` (NaN: False)."""
    with np.errstate(invalid="ignore"):
        out: BoolArray = np.asarray(rule.breaches(values), dtype=bool)
    return out


# --------------------------------------------------------------------------- entry point


def run_batch_columns(scenario: Scenario, *, seed: int, start: int, stop: int) -> RunColumns:
    """Replications ``start`` to ``stop - 1`` as columns (what Monte Carlo's workers send).

    Simulates the whole blocks those replications fall in (a replication's result does not
    depend on ``start`` and ``stop``)."""
    if stop <= start:
        return RunColumns.from_rows([])
    multi = _Lanes(scenario) if is_multi_variant(scenario) else None
    prep = _Prepared(scenario) if multi is None else None
    parts = []
    for block in range(start // BLOCK, (stop - 1) // BLOCK + 1):
        cols = multi.run(seed, block) if multi is not None else _Block(prep, seed, block).run()  # type: ignore[arg-type]
        base = block * BLOCK
        parts.append(cols.take(np.arange(max(start, base), min(stop, base + BLOCK)) - base))
    return parts[0] if len(parts) == 1 else RunColumns.concat(parts)


def run_batch(scenario: Scenario, *, seed: int, start: int, stop: int) -> list[Row]:
    """(replication, outcome, summary) for replications ``start`` to ``stop - 1``: the rows of
    :func:`run_batch_columns`, for tests and one-off use (Monte Carlo keeps the columns)."""
    return run_batch_columns(scenario, seed=seed, start=start, stop=stop).summaries()
