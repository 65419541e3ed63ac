"""SageMaker's side of UpdateEndpoint as a SimPy process driving the pure state machine.

The controller gathers inputs (time, alarm states) and applies outputs (routing, launches,
terminations); where each trigger leads is decided by :mod:`guardsim.deployment.machine`.
Behaviour AWS leaves open comes from the scenario's ``environment`` (poll interval, reaction
delay, what "trip" means, whether an alarm in ALARM at a bake's start trips it, whether alarms are
watched outside bakes, the timeout's action).

Points of no return (undocumented; see aws-model.md#undocumented): once the final bake (blue/green)
or the last batch's bake (rolling) has ended, cleanup is not watched and the timeout no longer
applies.
"""

from __future__ import annotations

from collections.abc import Generator
from typing import TYPE_CHECKING, Any

import simpy

from guardsim.cloudwatch.alarm import AlarmState
from guardsim.deployment.components import component_of, copy_ready_seconds
from guardsim.deployment.config import effective_deployment_config
from guardsim.deployment.machine import DeploymentMachine, Phase, Trigger
from guardsim.deployment.plan import Step, plan_steps
from guardsim.deployment.watch import (
    DONE,
    END_POLL,
    NO_LIMIT,
    POLL,
    TIMEOUT,
    arrive,
    check,
    end_poll_due,
    lay_out,
    trips,
    wake_at,
)
from guardsim.simulator.fleet import Instance

if TYPE_CHECKING:
    from guardsim.simulator.engine import Run

Wait = Generator[simpy.Event, Any, str]

#: At most this many polls are slept through at once (a very short poll interval).
MAX_POLLS_SLEPT_THROUGH = 256


class Controller:
    def __init__(self, run: Run) -> None:
        self.run = run
        self.env = run.env
        self.scenario = run.scenario
        self.settings = run.scenario.environment
        #: What SageMaker applies: the scenario's DeploymentConfig, or its documented fallback.
        self.config = effective_deployment_config(run.scenario)
        self.machine = DeploymentMachine()
        #: An inference component's update: the component and its plan (units are copies).
        self.component = component_of(run.scenario)
        self.deadline: float | None = None
        self.detected_at: float | None = None
        self.tripped: tuple[str, ...] = ()
        self.trip_reason = ""
        self.rollback_started: float | None = None
        self.rollback_completed: float | None = None
        self.outcome: str | None = None
        self.finished_at: float | None = None
        self.done = self.env.event()
        #: The controller's process while it sleeps through polls (see wait), and the monitor's
        #: count of state changes when it fell asleep.
        self._sleeper: simpy.Process | None = None
        self._changes_seen = 0
        #: The rollback alarms SageMaker reads, in the order it lists them (looked up once).
        #: A composite only with environment.rollback_sees_composite_alarms (undocumented; see
        #: aws-model.md#composite-alarms).
        #: The run's lanes: one per production variant of a multi-variant endpoint (see
        #: guardsim.scenarios.variants), else the run itself (the emulator's run too). Every
        #: lane takes each step at once; a tripped alarm of any lane rolls them all back.
        self.lanes: list[Any] = list(getattr(run, "lanes", None) or [run])
        #: each lane's share of the endpoint's requests
        self.shares = [float(getattr(lane, "share", 1.0)) for lane in self.lanes]
        sees_composites = run.scenario.environment.rollback_sees_composite_alarms
        self.watched = [
            b
            for name in self.config.rollback_alarm_names
            if (b := self._alarm(name)) is not None
            and (sees_composites or not getattr(b, "is_composite", False))
        ]

    def _alarm(self, name: str) -> Any:
        """The alarm ``name`` in whichever lane evaluates it (None: no lane has it)."""
        for lane in self.lanes:
            found = lane.monitor.by_name(name)
            if found is not None:
                return found
        return None

    def _changes(self) -> int:
        """The lanes' alarm monitors' count of state changes."""
        return sum(lane.monitor.changes for lane in self.lanes)

    @property
    def green_fraction(self) -> float:
        """The endpoint's share of requests that green serves (each lane's own share of the
        requests times its green fraction)."""
        lanes = zip(self.shares, self.lanes, strict=True)
        return float(sum(s * lane.routing.green_fraction for s, lane in lanes))

    # ------------------------------------------------------------------ helpers

    def fire(self, trigger: Trigger, reason: str) -> None:
        self.machine.fire(self.env.now, trigger, reason)

    def draw(self, dist: Any, size: int = 1) -> list[float]:
        return [float(x) for x in dist.sample(self.run.rng_control, size)]

    def _poll(self, since: float) -> bool:
        """SageMaker reads the rollback alarms; True (and detection recorded) if one tripped
        (:func:`guardsim.deployment.watch.trips`)."""
        settings = self.settings
        tripped = [
            b
            for b in self.watched
            if trips(
                b.state is AlarmState.ALARM,
                b.state is AlarmState.INSUFFICIENT_DATA,
                b.entered_at,
                since,
                on_insufficient_data=settings.trip_on_insufficient_data,
                in_alarm_at_start=settings.trip_if_in_alarm_at_bake_start,
            )
        ]
        if not tripped:
            return False
        if self.detected_at is None:
            self.detected_at = self.env.now
            self.tripped = tuple(b.name for b in tripped)
            self.trip_reason = "; ".join(
                f"alarm {b.name!r} {b.state.value}: {b.reason}" for b in tripped
            )
        return True

    def wait(self, duration: float, *, watch: bool, deadline: bool = True) -> Wait:
        """Wait ``duration`` s; return 'done', or early 'alarm' / 'timeout'.

        At each instant it wakes, the wait does what :func:`guardsim.deployment.watch.check`
        says (its end, then the deadline, then a poll due), then sleeps to
        :func:`~guardsim.deployment.watch.wake_at`. While watching, SageMaker polls the alarms
        every ``alarm_poll_interval_seconds``. A poll can only find something after an alarm
        changed state, so after a poll that found nothing the controller sleeps through the
        next ones (:func:`~guardsim.deployment.watch.lay_out` gives their instants), which would
        find nothing too, unless the CloudWatch clock wakes it on a state change
        (:meth:`alarms_evaluated`); it then resumes at the first poll from that instant on.
        That is the same as polling every interval, to the bit: see :meth:`_sleep_through`.
        """
        env = self.env
        start = env.now
        end = start + duration
        next_poll = start
        poll = self.settings.alarm_poll_interval_seconds
        # set before a wait, never during one
        limit = self.deadline if deadline and self.deadline is not None else NO_LIMIT
        end_poll = bool(end_poll_due(watch, duration, self.settings.poll_at_bake_end))
        while True:
            now = env.now
            kind = check(now, end, next_poll, limit, watch=watch, end_poll=end_poll)
            if kind == DONE:
                return "done"
            if kind == END_POLL:  # environment.poll_at_bake_end: one last look
                return "alarm" if self._poll(start) else "done"
            if kind == TIMEOUT:
                return "timeout"
            if kind == POLL:
                if self._poll(start):
                    return "alarm"
                next_poll += poll
                after = arrive(now, wake_at(now, end, next_poll, limit, watch=True))
                ahead = lay_out(
                    after,
                    end,
                    next_poll,
                    limit,
                    watch=True,
                    end_poll=end_poll,
                    poll_interval=poll,
                    max_checks=MAX_POLLS_SLEPT_THROUGH,
                )
                points = list(zip(ahead.times, ahead.next_polls, strict=True))
                if self._can_sleep_through(now, points):
                    next_poll = yield from self._sleep_through(now, points)
                    continue
            yield env.timeout(wake_at(now, end, next_poll, limit, watch=watch) - now)

    def _can_sleep_through(self, now: float, points: list[tuple[float, float]]) -> bool:
        """Whether :meth:`_sleep_through` would wake at exactly the instants of ``points``.

        SimPy wakes a process at ``now + delay``; the poll-by-poll loop gets from one instant to
        the next by adding ``next - now`` each time, and the sum is not always ``next`` to the
        last bit. So sleeping through is only done if each single delay it takes lands exactly:
        from ``now`` to the last point, and from every alarm evaluation instant before that
        (where the clock may wake it) to the first point from there on.
        """
        if len(points) < 2:  # nothing to sleep through
            return False
        target = points[-1][0]
        if now + (target - now) != target:
            return False
        run = self.run
        e = run.next_evaluation  # the CloudWatch clock's next evaluation instants, as it adds
        if not e > now:
            return False
        i = 0
        while e <= target:
            while points[i][0] < e:
                i += 1
            at = points[i][0]
            if e + (at - e) != at:
                return False
            e += run.evaluation_interval
        return True

    def _sleep_through(
        self, now: float, points: list[tuple[float, float]]
    ) -> Generator[simpy.Event, Any, float]:
        """Sleep to the last of ``points``, or on a state change to the first point from then
        on; return the next poll time there, as the poll-by-poll loop would have it."""
        env = self.env
        target, next_poll = points[-1]
        self._sleeper = env.active_process
        self._changes_seen = self._changes()
        try:
            yield env.timeout(target - now)
        except simpy.Interrupt:  # an alarm changed state at env.now (alarms_evaluated)
            t = env.now
            target, next_poll = next(p for p in points if p[0] >= t)
            yield env.timeout(target - t)  # exact: checked by _can_sleep_through
        finally:
            self._sleeper = None
        return next_poll

    def alarms_evaluated(self) -> None:
        """The CloudWatch clock evaluated the alarms: if one changed state while the controller
        sleeps through polls, wake it (its next poll may find the change)."""
        sleeper = self._sleeper
        if sleeper is not None and self._changes() != self._changes_seen:
            self._sleeper = None
            sleeper.interrupt()

    def _note_bake(self, seconds: float) -> None:
        """Tell the judges' recorder (when there is one) a bake starts now."""
        looks = self.run.looks
        if looks is not None:
            looks.bakes.append((self.env.now, self.env.now + seconds))

    def set_routing(self, activate: list[Instance], deactivate: list[Instance]) -> None:
        self.set_lane_routing([(activate, deactivate)])

    def set_lane_routing(self, changes: list[tuple[list[Instance], list[Instance]]]) -> None:
        """Per lane, (instances to activate, instances to deactivate), all at this instant."""
        lanes = self.lanes[: len(changes)]
        for lane in lanes:
            lane.before_routing_change()
        for lane, (activate, deactivate) in zip(lanes, changes, strict=True):
            lane.fleets.deactivate(deactivate)
            lane.fleets.activate(activate, self.env.now)
        for lane in lanes[1:]:  # the first lane last: it logs the endpoint's traffic
            lane.after_routing_change()
        lanes[0].after_routing_change()

    def finish(self, outcome: str) -> None:
        self.outcome = outcome
        self.finished_at = self.env.now
        for lane in self.lanes:
            lane.before_routing_change()
            lane.dataplane.counting = False
        self.done.succeed()

    # ------------------------------------------------------------------ the update

    def process(self) -> Generator[simpy.Event, Any, None]:
        dc = self.config
        kind = dc.policy_kind
        for lane in self.lanes:
            lane.dataplane.counting = True
        green = self.scenario.endpoint.green
        fallback = ""
        if dc is not self.scenario.deployment_config:
            fallback = (
                " - guardrails are not available for this endpoint (Inf1 instances), so "
                "SageMaker falls back to blue/green all at once with no final bake"
            )
            self.run.notes.append(fallback.lstrip(" -"))
        if self.component is not None:
            ic, plan = self.component
            self.fire(
                Trigger.UPDATE,
                f"UpdateInferenceComponent {ic.name}: {ic.component.model_name} -> "
                f"{ic.new_model_name}, {ic.copies} copies in {len(plan.batches)} batch(es) on "
                f"{ic.instance_count} {ic.instance_type} instance(s) (component status Updating)",
            )
        else:
            self.fire(
                Trigger.UPDATE,
                f"UpdateEndpoint to {green.name} ({kind}){fallback}; launching "
                f"{sum(self._green_counts) if kind != 'ROLLING' else 'a batch of'} "
                f"{green.instance_type} instance(s)"
                + (f" over {len(self.lanes)} variants" if len(self.lanes) > 1 else ""),
            )
        timeout = dc.maximum_execution_timeout_seconds
        if timeout is not None and self.settings.timeout_includes_provisioning:
            # from the UpdateEndpoint call: now (0.0 in the simulator, exactly; the emulator's
            # clock is epoch time)
            self.deadline = self.env.now + float(timeout)
        # per lane (environment.multi_variant_steps "per-variant": each variant's steps are
        # sized against its own instance count; validation refused unequal step counts)
        lane_steps = [
            plan_steps(
                dc,
                count,
                self.settings.percent_rounding,
                all_at_once_bakes_wait_interval=self.settings.all_at_once_bakes_wait_interval,
            )
            for count in self._green_counts
        ]
        if kind == "ROLLING":
            assert len(self.lanes) == 1, "validation refuses rolling multi-variant updates"
            yield from self._rolling(lane_steps[0])
        else:
            yield from self._blue_green(lane_steps)

    @property
    def _green_counts(self) -> list[int]:
        """Each lane's green instance count (its variant's InitialInstanceCount)."""
        return [
            getattr(lane, "lane_scenario", lane.scenario).endpoint.green.instance_count
            for lane in self.lanes
        ]

    def _launch(
        self, fleet: str, count: int
    ) -> Generator[simpy.Event, Any, tuple[str, list[Instance]]]:
        result, (batch,) = yield from self._launch_lanes(fleet, [count])
        return result, batch

    def _launch_lanes(
        self, fleet: str, counts: list[int]
    ) -> Generator[simpy.Event, Any, tuple[str, list[list[Instance]]]]:
        """Launch ``counts[k]`` instances in lane k at once; wait until the last is ready."""
        durations = [self.draw(self.settings.provisioning_seconds, n) for n in counts]
        batches = [
            lane.fleets.launch(fleet, self.env.now, d)
            for lane, d in zip(self.lanes, durations, strict=False)
        ]
        result = yield from self.wait(
            max(max(d) for d in durations), watch=self.settings.watch_alarms_outside_bakes
        )
        return result, batches

    def _blue_green(self, lane_steps: list[tuple[Step, ...]]) -> Generator[simpy.Event, Any, None]:
        green_config = self.scenario.endpoint.green
        result, greens = yield from self._launch_lanes("green", self._green_counts)
        if result != "done":
            yield from self._rollback_blue_green(result)
            return
        self.fire(
            Trigger.FLEET_READY,
            f"Launched {sum(len(g) for g in greens)} instance(s) of {green_config.name}",
        )
        if self.deadline is None and self.config.maximum_execution_timeout_seconds:
            self.deadline = self.env.now + self.config.maximum_execution_timeout_seconds
        outside = self.settings.watch_alarms_outside_bakes
        waiting = [list(g) for g in greens]
        for j, step in enumerate(lane_steps[0]):
            (activation,) = self.draw(self.settings.activation_seconds)
            result = yield from self.wait(activation, watch=outside)
            if result != "done":
                yield from self._rollback_blue_green(result)
                return
            changes = []
            for k, lane in enumerate(self.lanes):
                own = lane_steps[k][j]
                turn_on = waiting[k][: own.instances]
                waiting[k] = waiting[k][own.instances :]
                blue_active = list(lane.fleets.active["blue"])
                turn_off = blue_active if own.is_final else blue_active[: own.instances]
                changes.append((turn_on, turn_off))
            self.set_lane_routing(changes)
            green_instances = sum(steps[j].green_instances for steps in lane_steps)
            final = step.bake_kind == "TerminationWaitInSeconds"
            pct = 100.0 * self.green_fraction
            what = {
                "canary": "canary capacity of",
                "final": "full capacity of",
                "all_at_once": "full capacity of",
                "linear": "linear step capacity of",
            }[step.kind]
            self.fire(
                Trigger.FINAL_TRAFFIC_SHIFTED if final else Trigger.TRAFFIC_SHIFTED,
                f"Traffic enabled on {what} {green_instances} instance(s) "
                f"({pct:.0f}% of traffic to green); baking for {step.bake_seconds} s "
                f"({step.bake_kind})",
            )
            self._note_bake(step.bake_seconds)
            result = yield from self.wait(step.bake_seconds, watch=True)
            if result != "done":
                yield from self._rollback_blue_green(result)
                return
            self.fire(
                Trigger.FINAL_BAKE_DONE if final else Trigger.BAKE_DONE,
                f"{step.bake_kind} bake of {step.bake_seconds} s ended with no alarm tripped",
            )
        blues = [
            [i for i in lane.fleets.instances if i.fleet == "blue" and i.terminated_at is None]
            for lane in self.lanes
        ]
        (term,) = self.draw(self.settings.termination_seconds)
        yield from self.wait(term, watch=False, deadline=False)
        for lane, blue in zip(self.lanes, blues, strict=True):
            lane.fleets.terminate(blue, self.env.now)
        self.fire(
            Trigger.CLEANUP_DONE,
            f"Terminated {sum(len(b) for b in blues)} blue instance(s); InService on "
            f"{green_config.name}",
        )
        self.finish("SUCCEEDED")

    def _begin_rollback(self, cause: str) -> Generator[simpy.Event, Any, bool]:
        """Fire the rollback (or failure) transition; False if the deployment failed instead."""
        timeout = self.config.maximum_execution_timeout_seconds
        if cause == "timeout":
            why = f"MaximumExecutionTimeoutInSeconds ({timeout} s) exceeded"
            if self.settings.timeout_action == "fail":
                self.fire(Trigger.TIMEOUT_FAILED, f"{why}; the update failed")
                self.finish("FAILED")
                return False
            self.fire(Trigger.TIMEOUT, f"{why}; rolling back")
        else:
            if self.settings.alarm_reaction_seconds > 0:
                yield self.env.timeout(self.settings.alarm_reaction_seconds)
            self.fire(Trigger.ALARM_TRIPPED, self.trip_reason)
        self.rollback_started = self.env.now
        return True

    def _rollback_blue_green(self, cause: str) -> Generator[simpy.Event, Any, None]:
        if not (yield from self._begin_rollback(cause)):
            return
        (restore,) = self.draw(self.settings.rollback_seconds)
        yield self.env.timeout(restore)
        changes = []
        greens = []
        for lane in self.lanes:  # every variant back on its old fleet
            fleets = lane.fleets
            blue = [
                i
                for i in fleets.instances
                if i.fleet == "blue" and i.terminated_at is None and i not in fleets.active["blue"]
            ]
            greens.append(
                [i for i in fleets.instances if i.fleet == "green" and i.terminated_at is None]
            )
            changes.append((blue, list(fleets.active["green"])))
        self.set_lane_routing(changes)
        self.rollback_completed = self.env.now
        blue_name = self.scenario.endpoint.blue.name
        self.fire(
            Trigger.TRAFFIC_RESTORED,
            f"All traffic back on {blue_name}; terminating {sum(len(g) for g in greens)} green "
            "instance(s)",
        )
        (term,) = self.draw(self.settings.termination_seconds)
        yield self.env.timeout(term)
        for lane, green in zip(self.lanes, greens, strict=True):
            lane.fleets.terminate(green, self.env.now)
        self.fire(Trigger.ROLLBACK_DONE, f"Rolled back: InService on {blue_name}")
        self.finish("ROLLED_BACK")

    # ------------------------------------------------------------------ rolling

    def _rolling(self, steps: tuple[Step, ...]) -> Generator[simpy.Event, Any, None]:
        fleets = self.run.fleets
        outside = self.settings.watch_alarms_outside_bakes
        green_config = self.scenario.endpoint.green
        for i, step in enumerate(steps):
            if i > 0:
                self.fire(
                    Trigger.BATCH_DELETED,
                    f"Batch {i}: old {self._units} removed; starting {step.instances} new "
                    f"{self._units}",
                )
            if self.component is not None:
                result, batch = yield from self._start_copies(i)
                ready = self._copies_ready_reason(i, len(steps))
            else:
                result, batch = yield from self._launch("green", step.instances)
                ready = (
                    f"Batch {i + 1} of {len(steps)}: launched {len(batch)} "
                    f"instance(s) of {green_config.name}"
                )
            if result != "done":
                yield from self._rollback_rolling(result)
                return
            self.fire(Trigger.FLEET_READY, ready)
            (activation,) = self.draw(self.settings.activation_seconds)
            result = yield from self.wait(activation, watch=outside)
            if result != "done":
                yield from self._rollback_rolling(result)
                return
            old_active = list(fleets.active["blue"])
            last = i == len(steps) - 1
            turn_off = old_active if last else old_active[: step.instances]
            self.set_routing(batch, turn_off)
            self.fire(
                Trigger.TRAFFIC_SHIFTED,
                f"Batch {i + 1}: traffic on {len(fleets.active['green'])} new and "
                f"{len(fleets.active['blue'])} old {self._units} "
                f"({100 * self.run.routing.green_fraction:.0f}% to new); baking for "
                f"{step.bake_seconds} s (WaitIntervalInSeconds)",
            )
            self._note_bake(step.bake_seconds)
            result = yield from self.wait(step.bake_seconds, watch=True)
            if result != "done":
                yield from self._rollback_rolling(result)
                return
            self.fire(
                Trigger.BATCH_BAKE_DONE,
                f"Batch {i + 1} bake ended with no alarm tripped; "
                f"terminating {len(turn_off)} old {self._count(len(turn_off))}",
            )
            (term,) = self.draw(self.settings.termination_seconds)
            result = yield from self.wait(term, watch=outside and not last, deadline=not last)
            fleets.terminate(turn_off, self.env.now)
            if result != "done":
                yield from self._rollback_rolling(result)
                return
        if self.component is not None:
            ic, _ = self.component
            done = f"All batches done; {ic.name} InService with {ic.new_model_name} on every copy"
        else:
            done = f"All batches done; InService on {green_config.name}"
        self.fire(Trigger.CLEANUP_DONE, done)
        self.finish("SUCCEEDED")

    def _rollback_rolling(self, cause: str) -> Generator[simpy.Event, Any, None]:
        """Rolling rollback (see aws-model.md#rolling): reactivate what is kept, re-provision the
        rest in RollbackMaximumBatchSize batches, flip, and clean up the new instances."""
        if not (yield from self._begin_rollback(cause)):
            return
        fleets = self.run.fleets
        env = self.env
        (restore,) = self.draw(self.settings.rollback_seconds)
        yield env.timeout(restore)
        kept = [
            i
            for i in fleets.instances
            if i.fleet == "blue" and i.terminated_at is None and i not in fleets.active["blue"]
        ]
        new_active = list(fleets.active["green"])
        turn_off = new_active[::-1][: len(kept)]
        self.set_routing(kept, turn_off)
        self._terminate_later(turn_off)
        blue_count = self.scenario.endpoint.blue.instance_count
        missing = blue_count - len(fleets.active["blue"])
        policy = self.config.rolling
        assert policy is not None
        rb = policy.rollback_maximum_batch_size
        size = missing
        if rb is not None and not (rb.type == "CAPACITY_PERCENT" and rb.value >= 100):
            size = rb.instances(blue_count, self.settings.percent_rounding)
        while missing > 0:
            k = min(size, missing)
            if self.component is not None:
                old_model = self.component[0].component.model_name
                self.fire(
                    Trigger.ROLLBACK_PROVISION,
                    f"Re-creating {k} old cop{'y' if k == 1 else 'ies'} ({old_model}) "
                    "in place of removed ones (RollbackMaximumBatchSize)",
                )
                durations = self.draw(self.settings.copy_start_seconds, k)
            else:
                self.fire(
                    Trigger.ROLLBACK_PROVISION,
                    f"Launching {k} instance(s) of "
                    f"{self.scenario.endpoint.blue.name} to replace "
                    "terminated old instances",
                )
                durations = self.draw(self.settings.provisioning_seconds, k)
            batch = fleets.launch("blue", env.now, durations)
            yield env.timeout(max(durations))
            self.fire(Trigger.ROLLBACK_READY, f"Started {k} old {self._count(k)}")
            (activation,) = self.draw(self.settings.activation_seconds)
            yield env.timeout(activation)
            off = list(fleets.active["green"])[::-1][:k]
            self.set_routing(batch, off)
            self._terminate_later(off)
            missing -= k
        rest = list(fleets.active["green"])
        if rest:
            self.set_routing([], rest)
        self.rollback_completed = env.now
        green_left = [i for i in fleets.instances if i.fleet == "green" and i.terminated_at is None]
        running = [
            i
            for i in fleets.instances
            if i.fleet == "green" and (i.terminated_at is None or i.terminated_at > env.now)
        ]
        old_name = (
            f"the old copies ({self.component[0].component.model_name})"
            if self.component is not None
            else self.scenario.endpoint.blue.name
        )
        self.fire(
            Trigger.TRAFFIC_RESTORED,
            f"All traffic back on {old_name}; terminating {len(running)} new "
            f"{self._count(len(running))}",
        )
        (term,) = self.draw(self.settings.termination_seconds)
        yield env.timeout(term)
        fleets.terminate(green_left, env.now)
        if self.component is not None:
            # InferenceComponentStatus has no RollingBack: the rolled-back update ends InService,
            # as a successful one does (see aws-model.md#inference-components)
            done = (
                f"Rolled back: {self.component[0].name} InService on {old_name} (the status "
                "DescribeInferenceComponent reports after a success too)"
            )
        else:
            done = f"Rolled back: InService on {self.scenario.endpoint.blue.name}"
        self.fire(Trigger.ROLLBACK_DONE, done)
        self.finish("ROLLED_BACK")

    # ------------------------------------------------------------------ inference components

    @property
    def _units(self) -> str:
        """What the rolling path's units are: an inference component's copies, or instances."""
        return "copies" if self.component is not None else "instance(s)"

    def _count(self, n: int) -> str:
        """The unit word for ``n`` of them (copy/copies, or instance(s) as before)."""
        if self.component is None:
            return "instance(s)"
        return "copy" if n == 1 else "copies"

    def _start_copies(self, i: int) -> Generator[simpy.Event, Any, tuple[str, list[Instance]]]:
        """Start batch ``i``'s new copies (:func:`guardsim.deployment.components.
        copy_ready_seconds`): on existing instances in ``copy_start_seconds``, on instances
        managed instance scaling adds after their ``provisioning_seconds``; a stalled batch
        (no room, no instance to add) waits for the timeout."""
        assert self.component is not None
        batch = self.component[1].batches[i]
        starts = self.draw(self.settings.copy_start_seconds, batch.copies)
        provs = self.draw(self.settings.provisioning_seconds, batch.instances_added)
        durations = [float(d) for d in copy_ready_seconds(batch, starts, provs)]
        copies = self.run.fleets.launch("green", self.env.now, durations)
        result = yield from self.wait(
            max(durations), watch=self.settings.watch_alarms_outside_bakes
        )
        return result, copies

    def _copies_ready_reason(self, i: int, count: int) -> str:
        assert self.component is not None
        ic, plan = self.component
        batch = plan.batches[i]
        added = (
            f"; managed instance scaling added {batch.instances_added} instance(s), now "
            f"{batch.instances_after}"
            if batch.instances_added
            else ""
        )
        return (
            f"Batch {i + 1} of {count}: started {batch.copies} new cop"
            f"{'y' if batch.copies == 1 else 'ies'} ({ic.new_model_name}){added}"
        )

    def _terminate_later(self, instances: list[Instance]) -> None:
        """Rollback cleanup of deactivated instances: they bill until terminated."""
        if not instances:
            return
        (term,) = self.draw(self.settings.termination_seconds)
        at = self.env.now + term
        for inst in instances:
            inst.terminated_at = at

    @property
    def phase(self) -> Phase:
        return self.machine.phase
