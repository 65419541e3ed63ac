"""One simulated deployment: a SimPy environment, its processes, and the run record it yields.

Time 0 is the ``UpdateEndpoint`` call. The run starts ``simulation.warmup_seconds`` earlier with
the blue fleet in service, so the alarms have settled (they start INSUFFICIENT_DATA, as a newly
created alarm does, see aws-model.md#put-metric-alarm) and ends ``simulation.cooldown_seconds``
after the deployment finishes. Two processes run: the controller
(:mod:`guardsim.simulator.controller`) and a
CloudWatch clock that, at every minute boundary, samples the minute's requests, publishes the
minute's datapoints (with the publish delay) and evaluates the alarms due. The CloudWatch clock
runs at URGENT priority, so at equal times alarms are evaluated before SageMaker polls them.

Randomness: one ``numpy.random.SeedSequence(seed)`` (for Monte Carlo replication i, its child
``spawn_key=(i,)``) spawns independent streams for traffic, control (provisioning and other
durations), publish delays, and in fast mode each latency metric's statistics, plus a key for
draws that several readers share (a window's percentile is drawn once, whoever reads it). So a
change in one part of a scenario does not shift the random numbers of another, and leaving out
what nobody reads (Monte Carlo) changes nothing that is read. No global RNG, no wall clock.
"""

from __future__ import annotations

import math
import pickle
from collections.abc import Generator
from pathlib import Path
from typing import Any

import numpy as np
import simpy
from simpy.events import URGENT

from guardsim import __version__
from guardsim.cloudwatch.statistics import StatisticSpec, ceil_rank, parse_statistic
from guardsim.deployment.components import unit_price
from guardsim.errors import ArgumentError, ReplayFileError
from guardsim.model import billing
from guardsim.model import history as replayed
from guardsim.model.anomaly import anomaly_bands
from guardsim.model.custom_metrics import name_of, needs_latency
from guardsim.model.faults import OLD_FLEET_WARM_SECONDS
from guardsim.model.instance_metrics import resolve
from guardsim.model.metrics import INSTANCE_METRICS, LATENCY_METRICS, METRICS
from guardsim.model.setup_time import METRIC as SETUP_METRIC
from guardsim.model.setup_time import publishes, window_statistic
from guardsim.record import DATAPOINT_COLUMNS, RunRecord, Summary
from guardsim.scenarios.components import neighbour_fleet
from guardsim.scenarios.scenario import Scenario
from guardsim.scenarios.traffic import read_replay
from guardsim.scenarios.variants import lanes
from guardsim.simulator.alarms import AlarmMonitor
from guardsim.simulator.controller import Controller
from guardsim.simulator.dataplane import (
    DataPlane,
    ExactDataPlane,
    FastDataPlane,
    Routing,
    neighbour_plane,
)
from guardsim.simulator.fleet import Fleets, SetupTimes
from guardsim.simulator.looks import LookRecorder
from guardsim.simulator.metrics import (
    FLEETS,
    CustomPublisher,
    InstancePublisher,
    MetricStore,
    MinuteBucket,
    components_statistic,
    key_rng,
)

_P = {"p50": parse_statistic("p50"), "p99": parse_statistic("p99")}


#: Recently simulated scenarios' definitions (``Scenario.to_dict()``), pickled, by identity
#: (the scenario is kept, so its id is not reused). A Monte Carlo run builds one record per
#: replication of the same scenario, and unpickling a fresh copy for each costs a fraction of
#: ``to_dict`` (a frozen scenario's definition never changes). ``None``: seen once, not pickled.
_DEFINITIONS: dict[int, tuple[Scenario, bytes | None]] = {}
_DEFINITIONS_KEPT = 16


def _scenario_definition(scenario: Scenario) -> dict[str, Any]:
    """``scenario.to_dict()``: a new dict for every call, from a cache of recent scenarios."""
    hit = _DEFINITIONS.get(id(scenario))
    if hit is None or hit[0] is not scenario or hit[1] is None:
        definition = scenario.to_dict()
        if len(_DEFINITIONS) >= _DEFINITIONS_KEPT:
            _DEFINITIONS.clear()
        # pickled from its second run on (a one-off run need not pay for it)
        data = None if hit is None or hit[0] is not scenario else pickle.dumps(definition)
        _DEFINITIONS[id(scenario)] = (scenario, data)
        return definition
    copy: dict[str, Any] = pickle.loads(hit[1])
    return copy


def _percentile_value(samples: np.ndarray, spec: StatisticSpec) -> float:
    """CloudWatch's pNN of raw samples: the sample of rank ``ceil_rank`` (see
    aws-model.md#low-sample-percentiles)."""
    assert spec.upper is not None
    k = ceil_rank(spec.upper, len(samples))
    return float(np.partition(samples, k - 1)[k - 1])


class Run:
    """Everything one simulated deployment holds; built and run by :func:`simulate`."""

    def __init__(
        self,
        scenario: Scenario,
        seed: int,
        mode: str | None = None,
        *,
        replication: int | None = None,
        detail: bool = True,
        record_looks: bool = False,
        _lane_of: tuple[Run, int, float] | None = None,
    ) -> None:
        """``_lane_of`` (the first lane's run, this lane's index and share) builds one more lane
        of a multi-variant run in the first lane's environment (see :attr:`lanes`)."""
        self.scenario = scenario
        self.seed = seed
        self.replication = replication
        self.detail = detail
        self.mode = mode or scenario.simulation.mode
        if self.mode not in ("exact", "fast"):
            raise ArgumentError(f"{scenario.name}: unknown mode {self.mode!r}; use exact or fast")
        sim = scenario.simulation
        # Replication i of a Monte Carlo run is SeedSequence(seed).spawn(n)[i], whatever the
        # number of workers: spawn_key=(i,) is exactly that child.
        base = () if replication is None else (replication,)
        split = lanes(scenario) if _lane_of is None else None
        if split is not None and len(split) > 1 and record_looks:
            raise ArgumentError(
                f"{scenario.name}: the judges read one variant's fleets; this endpoint has "
                f"{len(split)} production variants (endpoint.blue.ProductionVariants)"
            )
        #: the scenario this run's fleets, traffic and alarms come from: its own lane's (the
        #: whole scenario for a single-variant endpoint)
        own = split[0].scenario if split is not None else scenario
        self.share = split[0].share if split is not None else _lane_of[2]  # type: ignore[index]
        index = 0 if _lane_of is None else _lane_of[1]
        # lane k > 0 of a multi-variant run: the root's child 5 + k (the first lane's streams
        # are its children 0-5), so the first lane draws what a single-variant run does
        root = (
            np.random.SeedSequence(seed, spawn_key=base)
            if index == 0
            else np.random.SeedSequence(seed, spawn_key=(*base, 5 + index))
        )
        streams = root.spawn(6)
        self.rng_traffic = np.random.default_rng(streams[0])
        self.rng_control = np.random.default_rng(streams[1])
        self.rng_delay = np.random.default_rng(streams[2])
        # Fast mode draws each latency metric's statistics from its own stream, so leaving out a
        # metric nobody reads (Monte Carlo) does not change the draws of the others.
        #: Keys the fast-mode draws that many readers share (a window's percentile).
        #: 128 bits (the key of :func:`~guardsim.simulator.metrics.key_rng`'s hash).
        self.run_key = tuple(int(w) for w in streams[5].generate_state(2, np.uint64))
        self.rng_metrics = {
            "ModelLatency": np.random.default_rng(streams[3]),
            "OverheadLatency": np.random.default_rng(streams[4]),
        }
        self.start = 0.0 - float(sim.warmup_seconds)  # not -0.0 for no warm-up
        self.env: simpy.Environment = (
            simpy.Environment(initial_time=self.start) if _lane_of is None else _lane_of[0].env
        )
        self.fleets = Fleets()
        blue = self.fleets.launch("blue", self.start, [0.0] * own.endpoint.blue.instance_count)
        self.fleets.activate(blue, self.start - OLD_FLEET_WARM_SECONDS)  # no warm-up faults
        if publishes(own.environment.model_setup_time) and own.endpoint.component is None:
            # every instance launched from now on publishes ModelSetupTime (model.setup_time)
            self.fleets.setup_times = SetupTimes()
        self.routing = Routing([], [])
        # an inference component's neighbours whose requests are simulated (scenarios.components)
        ic = scenario.inference_component
        busy = ic.busy_neighbours if ic is not None else ()
        self.store = MetricStore(
            keep_raw=self.mode == "exact",
            start=self.start,
            neighbours=[neighbour_fleet(n.name) for n in busy],
        )
        replay = None
        if scenario.traffic.replay_file is not None:
            counts, problems = read_replay(Path(scenario.traffic.replay_file))
            if problems:
                raise ReplayFileError(problems, scenario.name)
            # a lane's share of the recorded requests (a single variant's share is 1.0)
            replay = counts if self.share == 1.0 else tuple(c * self.share for c in counts)
        models = {"blue": own.models.blue, "green": own.models.green}
        plane_args = (own.traffic, replay, models, self.store, self.rng_traffic, self.start)
        # a recorded history (models.blue.history): this replication's start minute in it, from
        # its own stream, and the fleets compiled with it (guardsim.model.history)
        faults = replayed.fleet_faults(models, self.start, replayed.start_minutes(models, root))
        self.dataplane: DataPlane = (
            ExactDataPlane(*plane_args, faults=faults)
            if self.mode == "exact"
            else FastDataPlane(*plane_args, metric_rngs=self.rng_metrics, faults=faults)
        )
        if busy:  # their own streams, spawned after every other: the others' draws are kept
            self._neighbour_planes(ic, busy, root)
        env_settings = scenario.environment
        blue_from = None if env_settings.per_config_metrics_for_blue else 0.0
        # Without detail (Monte Carlo), only the alarms SageMaker watches can change the outcome
        # (a composite's children included, when it can see composites).
        watched, composites = own.evaluated_alarms(detail)
        self.monitor = AlarmMonitor(
            watched,
            own.endpoint,
            self.store,
            env_settings,
            blue_from,
            self.run_key,
            evaluation_offset=env_settings.alarm_evaluation_offset_seconds,
            record_evaluations=detail,
            composites=composites,
            models=own.models,
            bands=anomaly_bands(own, replay),
            setup_times=self.fleets.setup_times,
        )
        read = {s.metric for b in self.monitor.bound for s in b.sources.values()}
        if read & set(INSTANCE_METRICS):
            # instance metrics follow each fleet's load (guardsim.model.instance_metrics)
            self.store.instance_metrics = InstancePublisher(
                self.run_key,
                {f: getattr(own.models, f).instance_metrics for f in FLEETS},
                {
                    f: resolve(
                        getattr(own.endpoint, f).instance_type,
                        getattr(own.models, f).instance_metrics,
                    )
                    for f in FLEETS
                },
                frozenset(read),
            )
        custom = {
            f: tuple(m for m in getattr(own.models, f).custom_metrics if name_of(m) in read)
            for f in FLEETS
        }
        if any(custom.values()):  # the models' own PutMetricData (guardsim.model.custom_metrics)
            self.store.custom_metrics = CustomPublisher(self.run_key, custom)
        self.keep_raw_alarm = self.monitor.needs_raw()
        #: The judges' per-minute numbers (:mod:`guardsim.simulator.looks`), when asked for.
        self.looks = LookRecorder() if record_looks else None
        if not detail:
            needed = {s.metric for b in self.monitor.bound for s in b.sources.values()}
            if record_looks:  # the latency judge reads ModelLatency (its own stream: no shift)
                needed.add("ModelLatency")
            if needed & set(INSTANCE_METRICS):  # the load model reads ModelLatency's Sum
                needed.add("ModelLatency")
            if any(needs_latency(m) for ms in custom.values() for m in ms):
                needed.add("ModelLatency")  # a latency_ms custom metric reads its set
            self.dataplane.needed = frozenset(needed)
            for plane, _ in self.dataplane.neighbours:
                plane.needed = frozenset(needed)
        self.notes: list[str] = []
        self.lane_scenario = own
        #: The runs of every production variant (this one first; see
        #: guardsim.scenarios.variants): each its own fleets, traffic share, metrics and alarms,
        #: in this run's environment, driven by this run's controller and CloudWatch clock.
        self.lanes: list[Run] = [self]
        for k, lane in enumerate(split[1:] if split is not None else (), start=1):
            self.lanes.append(
                Run(
                    lane.scenario,
                    seed,
                    self.mode,
                    replication=replication,
                    detail=detail,
                    _lane_of=(self, k, lane.share),
                )
            )
        self.variant_name = own.endpoint.variant_name
        self._delays: list[float] = []
        self.traffic_log: list[dict[str, Any]] = []
        self.peak_green = 0.0
        self.datapoints: dict[str, list[Any]] = {c: [] for c in DATAPOINT_COLUMNS}
        #: The CloudWatch clock's interval and its next evaluation instant, when an alarm can
        #: next change state (the controller needs to know; -inf until the clock starts).
        self.evaluation_interval = 60.0
        self.next_evaluation = -math.inf
        self.after_routing_change()
        if _lane_of is None:
            self.controller = Controller(self)

    def _neighbour_planes(self, ic: Any, busy: Any, root: np.random.SeedSequence) -> None:
        """A data plane per neighbour with traffic (:func:`~guardsim.simulator.dataplane.
        neighbour_plane`), each with its own traffic and latency streams."""
        index = {n.name: i for i, n in enumerate(ic.neighbours)}
        for n, streams in zip(busy, (root.spawn(3) for _ in busy), strict=True):
            rng = np.random.default_rng(streams[0])
            kwargs: dict[str, Any] = {}
            if self.mode == "fast":
                kwargs["metric_rngs"] = {
                    "ModelLatency": np.random.default_rng(streams[1]),
                    "OverheadLatency": np.random.default_rng(streams[2]),
                }
            self.dataplane.neighbours.append(
                neighbour_plane(
                    type(self.dataplane),
                    neighbour_fleet(n.name),
                    n.traffic,
                    n.behaviour,
                    f"inference_component.neighbours[{index[n.name]}].model",
                    n.copies,
                    self.store,
                    rng,
                    self.start,
                    **kwargs,
                )
            )

    # ------------------------------------------------------------------ routing

    def before_routing_change(self) -> None:
        self.dataplane.advance(self.env.now, self.routing)

    def after_routing_change(self) -> None:
        """This lane's routing from its active instances; the first lane (called last, see
        :meth:`Controller.set_lane_routing`) also logs the endpoint's traffic."""
        self.routing = Routing(
            [i.activated_at or 0.0 for i in self.fleets.active["blue"]],
            [i.activated_at or 0.0 for i in self.fleets.active["green"]],
        )
        if self.lanes[0] is not self:
            return
        if len(self.lanes) == 1:
            frac = self.routing.green_fraction
            active_blue, active_green = self.routing.active_blue, self.routing.active_green
        else:  # each variant's share of the requests times its green fraction
            frac = sum(lane.share * lane.routing.green_fraction for lane in self.lanes)
            active_blue = sum(lane.routing.active_blue for lane in self.lanes)
            active_green = sum(lane.routing.active_green for lane in self.lanes)
        self.peak_green = max(self.peak_green, frac)
        row = {
            "t": self.env.now,
            "green_fraction": frac,
            "active_blue": active_blue,
            "active_green": active_green,
        }
        if self.traffic_log and self.traffic_log[-1]["t"] == row["t"]:
            self.traffic_log[-1] = row
        else:
            self.traffic_log.append(row)

    # ------------------------------------------------------------------ CloudWatch clock

    def _urgent(self, delay: float) -> simpy.Event:
        event = simpy.Event(self.env)
        event._ok = True
        event._value = None
        self.env.schedule(event, URGENT, delay)
        return event

    def cloudwatch_clock(self) -> Generator[simpy.Event, Any, None]:
        """Every lane's minute (its requests sampled, its datapoints published) and its alarm
        evaluations, lane by lane at each instant; then the controller is told."""
        lanes = self.lanes
        interval = (
            10.0 if any(b.rule.period < 60 for lane in lanes for b in lane.monitor.bound) else 60.0
        )
        offset = math.fmod(self.scenario.environment.alarm_evaluation_offset_seconds, interval)
        next_minute = math.floor(self.start / 60.0) * 60.0 + 60.0
        next_eval = math.floor((self.start - offset) / interval) * interval + offset + interval
        self.evaluation_interval = interval
        self.next_evaluation = next_eval
        delay_dist = self.scenario.environment.metric_publish_delay_seconds
        while True:
            t = min(next_minute, next_eval)
            yield self._urgent(t - self.env.now)
            if t == next_minute:
                for lane in lanes:
                    lane.dataplane.advance(t, lane.routing)
                    # One delay per minute, drawn in blocks (one numpy call per block).
                    if not lane._delays:
                        lane._delays = delay_dist.sample(lane.rng_delay, 256).tolist()[::-1]
                    delay = lane._delays.pop()
                    lane._publish(t - 60.0, t + delay)
                next_minute += 60.0
            if t == next_eval:
                for lane in lanes:
                    lane.monitor.evaluate(t)
                next_eval += interval
                self.next_evaluation = next_eval
                self.controller.alarms_evaluated()

    def _publish(self, minute: float, published_at: float) -> None:
        published = self.store.publish(minute, published_at)
        if self.looks is not None:
            self._record_look(minute, published_at, dict(published))
        # every alarm window from now on starts after this (the margin as for raw samples)
        self.store.forget_before(minute - self.monitor.max_window_seconds - 120.0)
        if self.detail and self.fleets.setup_times is not None:
            self._record_setup_times(minute, published_at, self.fleets.setup_times)
        # the updated component's (or endpoint's) fleets: a neighbour's have no view here
        buckets = {f: b for f, b in published if f in FLEETS}
        if not buckets or not self.detail:
            if not self.keep_raw_alarm:
                self.store.drop_raw_before(minute + 60.0)
            return
        views: list[tuple[str, list[MinuteBucket]]] = [("blended", list(buckets.values()))]
        for fleet in FLEETS:
            if fleet in buckets:
                views.append((fleet, [buckets[fleet]]))
        cols = self.datapoints
        publisher = self.store.instance_metrics
        extra = () if publisher is None else publisher.read
        if self.store.custom_metrics is not None:
            extra = (*extra, *self.store.custom_metrics.read)
        for label, bs in views:
            for metric in (*METRICS, *extra):
                if metric in extra:  # an instance metric: one sample per instance
                    bs_m = [b for b in bs if metric in b.stats]
                    if not bs_m:
                        continue
                    n = sum(b.stats[metric][0] for b in bs_m)
                else:
                    bs_m = bs
                    n = sum(b.n for b in bs)
                s = bs_m[0].summary(metric)
                for b in bs_m[1:]:
                    s = s.merge(b.summary(metric))
                p50 = p99 = None
                if metric in LATENCY_METRICS:
                    p50, p99 = self._percentiles(bs, metric, label, minute)
                for col, value in zip(
                    DATAPOINT_COLUMNS,
                    (metric, label, minute, published_at, n, s.sum, s.minimum, s.maximum, p50, p99),
                    strict=True,
                ):
                    cols[col].append(value)
        if not self.keep_raw_alarm:
            self.store.drop_raw_before(minute + 60.0)
        else:
            self.store.drop_raw_before(minute - self.monitor.max_window_seconds - 120.0)

    def _record_setup_times(self, minute: float, published_at: float, setup: SetupTimes) -> None:
        """The run record's ModelSetupTime datapoints of ``minute`` (guardsim.model.setup_time):
        blended and per fleet, where an instance became ready in it."""
        cols = self.datapoints
        by_fleet = {f: setup.samples(f, minute) for f in FLEETS}
        views = [("blended", [x for f in FLEETS for x in by_fleet[f]])]
        views += [(f, by_fleet[f]) for f in FLEETS]
        for label, samples in views:
            if not samples:
                continue
            x = np.asarray(samples)
            row = (SETUP_METRIC, label, minute, published_at, len(x), float(x.sum()))
            pcts = (window_statistic(_P["p50"], x), window_statistic(_P["p99"], x))
            for col, value in zip(
                DATAPOINT_COLUMNS, (*row, float(x.min()), float(x.max()), *pcts), strict=True
            ):
                cols[col].append(value)

    def _record_look(
        self, minute: float, published_at: float, buckets: dict[str, MinuteBucket]
    ) -> None:
        looks = self.looks
        assert looks is not None
        looks.minutes.append(minute)
        looks.published_at.append(published_at)
        for fleet, n, errors, p99 in (
            ("green", looks.new_requests, looks.new_errors, looks.new_p99),
            ("blue", looks.old_requests, looks.old_errors, looks.old_p99),
        ):
            b = buckets.get(fleet)
            n.append(b.n if b is not None else 0)
            errors.append(b.errors["Invocation5XXErrors"] if b is not None else 0)
            p99.append(
                self._percentiles([b], "ModelLatency", fleet, minute)[1] if b is not None else None
            )
        green = buckets.get("green")
        looks.new_model_errors.append(
            green.errors["InvocationModelErrors"] if green is not None else 0
        )

    def _percentiles(
        self, bs: list[MinuteBucket], metric: str, label: str, minute: float
    ) -> tuple[float | None, float | None]:
        """p50 and p99 of one minute's datapoint (CloudWatch's rank rule; see
        aws-model.md#low-sample-percentiles)."""
        if self.mode == "exact":
            arr = np.concatenate([b.raw_values(metric) for b in bs])
            if not len(arr):
                return None, None
            return _percentile_value(arr, _P["p50"]), _percentile_value(arr, _P["p99"])
        comps = [c for b in bs for c in b.components.get(metric, ())]
        fleets = ("blue", "green") if label == "blended" else (label,)
        out = []
        for p in ("p50", "p99"):
            # the same key an alarm reading this one-minute window uses: both see one value
            rng = key_rng(self.run_key, metric, fleets, p, minute, minute + 60.0)
            out.append(components_statistic(comps, _P[p], rng))
        return out[0], out[1]

    # ------------------------------------------------------------------ running

    def execute(self) -> RunRecord:
        env = self.env
        sim = self.scenario.simulation
        env.process(self.cloudwatch_clock())
        controller = self.controller

        def start_update() -> Generator[simpy.Event, Any, None]:
            yield env.timeout(0.0 - env.now)
            yield from controller.process()

        env.process(start_update())
        horizon = env.timeout(sim.horizon_seconds - env.now)
        env.run(until=simpy.AnyOf(env, [controller.done, horizon]))
        notes = self.notes
        if controller.outcome is None:
            notes.append(
                f"horizon of {sim.horizon_seconds:g} s reached in phase "
                f"{controller.phase.value}; reported as FAILED"
            )
            controller.outcome = "FAILED"
            controller.finished_at = env.now
            for lane in self.lanes:
                lane.before_routing_change()
                lane.dataplane.counting = False
        end = controller.finished_at
        assert end is not None
        if sim.cooldown_seconds > 0:  # SimPy refuses to run until "now"
            env.run(until=end + sim.cooldown_seconds)
        return self._record(end, notes)

    def _record(self, end: float, notes: list[str]) -> RunRecord:
        c = self.controller
        s = self.scenario
        env = s.environment
        instance_seconds = cost = 0.0
        green_requests = green_errors = user_errors = 0
        for lane in self.lanes:  # every variant's fleets bill; every variant's requests count
            endpoint = lane.lane_scenario.endpoint
            prices = {f: env.price_per_hour(getattr(endpoint, f).instance_type) for f in FLEETS}
            if c.component is not None:  # inference components: a copy bills its instance share
                prices = {f: unit_price(c.component[1], p) for f, p in prices.items()}
            billed = lane.fleets.bill(0.0, end, env.billing_granularity_seconds, prices.__getitem__)
            instance_seconds += float(billed.instance_seconds)
            cost += float(billed.cost_usd)
            counters = lane.dataplane.counters
            green_requests += counters.green_requests
            green_errors += counters.green_errors
            user_errors += counters.user_errors
        summary = Summary(
            deployment_seconds=end,
            detected_at_seconds=c.detected_at,
            rollback_started_seconds=c.rollback_started,
            rollback_completed_seconds=c.rollback_completed,
            tripped_alarms=c.tripped,
            green_requests=green_requests,
            green_errors=green_errors,
            user_errors=user_errors,
            peak_green_traffic_fraction=self.peak_green,
            instance_seconds=instance_seconds,
            cost_usd=billing.reported_usd(cost),
        )
        multi = len(self.lanes) > 1
        history = [h for lane in self.lanes for h in lane.monitor.history()]
        evaluations = [e for lane in self.lanes for e in lane.monitor.evaluations]
        if multi:
            history.sort(key=lambda h: (h["t"], h["alarm"]))
            # stable: lane order at one instant
            evaluations.sort(key=lambda e: e["t"])  # type: ignore[arg-type, return-value]
        datapoints = self.datapoints
        if multi:  # each variant's datapoints, labelled VARIANT:blended|blue|green
            datapoints = {col: [] for col in DATAPOINT_COLUMNS}
            for lane in self.lanes:
                for col in DATAPOINT_COLUMNS:
                    values = lane.datapoints[col]
                    if col == "dimensions":
                        values = [f"{lane.variant_name}:{v}" for v in values]
                    datapoints[col].extend(values)
        return RunRecord(
            scenario=s.name,
            seed=self.seed,
            mode=self.mode,
            guardsim_version=__version__,
            outcome=c.outcome,  # type: ignore[arg-type]
            summary=summary,
            transitions=tuple(t.to_data() for t in c.machine.transitions),
            traffic=tuple(self.traffic_log),
            instances=tuple(
                {
                    "fleet": i.fleet,
                    "launched_at": i.launched_at,
                    "ready_at": i.ready_at,
                    "activated_at": i.activated_at
                    if i.activated_at is None or i.activated_at >= self.start
                    else self.start,
                    "terminated_at": i.terminated_at,
                }
                for lane in self.lanes
                for i in lane.fleets.instances
            ),
            alarm_history=tuple(history),
            alarm_evaluations=tuple(evaluations) if self.detail else (),
            datapoints=datapoints,
            scenario_definition=_scenario_definition(s),
            notes=tuple(notes),
            replication=self.replication,
        )


def simulate(
    scenario: Scenario,
    *,
    seed: int | None = None,
    mode: str | None = None,
    replication: int | None = None,
    detail: bool = True,
) -> RunRecord:
    """Simulate one UpdateEndpoint of ``scenario`` and return its run record.

    ``seed`` and ``mode`` (``exact`` or ``fast``) default to the scenario's ``simulation``
    settings. ``replication`` selects the independent stream ``SeedSequence(seed).spawn(n)[i]``
    of a Monte Carlo run. ``detail=False`` (Monte Carlo) evaluates only the rollback alarms and
    leaves the per-minute datapoints and the alarm evaluations out of the record: the outcome
    and summary are the same as with ``detail=True`` for the same seed.
    """
    run = Run(
        scenario,
        scenario.simulation.seed if seed is None else seed,
        mode,
        replication=replication,
        detail=detail,
    )
    return run.execute()


def simulate_with_looks(
    scenario: Scenario,
    *,
    seed: int | None = None,
    mode: str | None = None,
    replication: int | None = None,
    detail: bool = False,
) -> tuple[RunRecord, LookRecorder]:
    """:func:`simulate`, also recording what the judges read (:class:`LookRecorder`): the
    record is the same as :func:`simulate` gives for the same arguments."""
    run = Run(
        scenario,
        scenario.simulation.seed if seed is None else seed,
        mode,
        replication=replication,
        detail=detail,
        record_looks=True,
    )
    record = run.execute()
    assert run.looks is not None
    return record, run.looks
