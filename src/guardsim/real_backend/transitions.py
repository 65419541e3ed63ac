"""DescribeEndpoint observations -> the deployment's phase transitions (pure, translation only).

The real backend makes no guardrail decision: SageMaker made them, and this module only says
what the observations mean in terms of :mod:`guardsim.deployment.machine`'s phases, so a real
run's record has the same timeline a simulated one has.

Each observation can carry **events**:

* a ``VariantStatus`` not seen before (see aws-model.md#update-endpoint), at its ``StartTime``:
  ``Creating`` -> Creating (RollbackCreating during a rollback), ``ActivatingTraffic`` ->
  ActivatingTraffic, ``Baking`` -> Baking, or FinalBake when the message says the traffic is on the
  full capacity (``"... traffic enabled on full capacity of 3 instance(s)"``; see
  aws-model.md#eventbridge), ``Deleting`` -> Deleting, or RollbackDeleting when the update rolled
  back (see below); ``Updating`` (capacity) is no phase change;
* a sign that a rollback began, at the poll that first showed it: ``EndpointStatus``
  ``RollingBack`` (see aws-model.md#departures), or a ``FailureReason`` that appears while
  ``Updating`` (see aws-model.md#update-endpoint: it is set when an update fails even if the
  endpoint stays in service);
* the end: ``InService`` with no pending deployment (on the new config: the update succeeded; on
  the old one: it rolled back, see aws-model.md#detecting-the-outcome), ``Failed`` or
  ``UpdateRollbackFailed``, at ``LastModifiedTime``.

Which ``Deleting`` is a rollback's cannot be read from one observation ("Terminating 3
instance(s)" does not say which fleet), so the whole sequence is translated at once: when the
update ended on the old config, the deletions after the last bake belong to the rollback.

An event names a target phase; the transitions to it are the shortest legal path in the
machine's transition table from the current phase (restricted to the policy's triggers: no
batch triggers for blue/green, no final-bake triggers for rolling). Steps on that path that
were not observed themselves (the poll interval can be longer than a stage) are recorded at
the event's time with a reason that says they were inferred.
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from guardsim.deployment.machine import TRANSITIONS, Phase, Transition, Trigger
from guardsim.real_backend.observations import Observation, VariantStatus, update_ended
from guardsim.real_backend.outcome import Decision, decide_outcome
from guardsim.scenarios.boto import PolicyKind

_CAPACITY = re.compile(r"capacity of (\d+) instance", re.IGNORECASE)
_ROLLBACK_WORDS = re.compile(r"roll(?:ing|ed)?[ -]?back", re.IGNORECASE)
_TIMEOUT_WORDS = re.compile(r"timeout|timed out|MaximumExecutionTimeout", re.IGNORECASE)

_BLUE_GREEN_ONLY = frozenset(
    {Trigger.FINAL_TRAFFIC_SHIFTED, Trigger.FINAL_BAKE_DONE, Trigger.BAKE_DONE}
)
_ROLLING_ONLY = frozenset(
    {
        Trigger.BATCH_BAKE_DONE,
        Trigger.BATCH_DELETED,
        Trigger.ROLLBACK_PROVISION,
        Trigger.ROLLBACK_READY,
    }
)
_TERMINAL = (Phase.FAILED, Phase.UPDATE_ROLLBACK_FAILED)


@dataclass(frozen=True)
class Context:
    """What the translation needs besides the observations."""

    t0: float  #: epoch seconds of the UpdateEndpoint call (time 0 of the record)
    old_config: str
    new_config: str
    policy: PolicyKind
    blue_instances: int
    green_instances: int
    #: green instances with traffic after each planned step (a fallback for unobserved steps)
    planned_green: tuple[int, ...] = ()
    update_reason: str = ""
    #: record time of the first traffic row (the warm-up's start), <= 0
    traffic_start: float = 0.0
    #: what old_config and new_config name: "config", or "model" for an inference component
    noun: str = "config"


@dataclass(frozen=True)
class Translation:
    """The timeline read from the observations."""

    transitions: tuple[Transition, ...]
    traffic: tuple[dict[str, Any], ...]
    decision: Decision
    finished: bool
    end: float  #: record time the update ended (or of the last observation if it did not)
    notes: tuple[str, ...] = ()

    def first(self, phase: Phase) -> Transition | None:
        return next((t for t in self.transitions if t.target == phase), None)

    @property
    def rollback_started(self) -> float | None:
        t = next((t for t in self.transitions if t.target == Phase.ROLLING_BACK), None)
        return None if t is None else t.time

    @property
    def rollback_trigger(self) -> Trigger | None:
        t = next((t for t in self.transitions if t.target == Phase.ROLLING_BACK), None)
        return None if t is None else t.trigger

    @property
    def rollback_completed(self) -> float | None:
        t = next((t for t in self.transitions if t.trigger == Trigger.TRAFFIC_RESTORED), None)
        return None if t is None else t.time

    @property
    def peak_green_fraction(self) -> float:
        return max((row["green_fraction"] for row in self.traffic), default=0.0)


def allowed_triggers(policy: PolicyKind) -> frozenset[Trigger]:
    every = frozenset(Trigger) - {Trigger.UPDATE}
    return every - (_BLUE_GREEN_ONLY if policy == "ROLLING" else _ROLLING_ONLY)


def shortest_path(
    source: Phase,
    target: Phase,
    allowed: frozenset[Trigger],
    *,
    via_rollback: bool | None = None,
    prefer_timeout: bool = False,
) -> list[tuple[Trigger, Phase]] | None:
    """The shortest non-empty trigger path ``source`` -> ``target`` in the transition table.

    ``via_rollback``: True if the path must pass through a rollback phase (or start in one),
    False if it must not, None if either will do.
    """
    order = list(Trigger)
    if prefer_timeout:
        order.remove(Trigger.TIMEOUT)
        order.insert(order.index(Trigger.ALARM_TRIPPED), Trigger.TIMEOUT)
    start = (source, source.is_rollback)
    queue: deque[tuple[tuple[Phase, bool], list[tuple[Trigger, Phase]]]] = deque([(start, [])])
    seen = set()  # the start is not "seen": a path may come back to it (Baking -> Baking)
    while queue:
        (phase, rolled), path = queue.popleft()
        for trigger in order:
            nxt = TRANSITIONS.get((phase, trigger))
            if trigger not in allowed or nxt is None:
                continue
            if via_rollback is False and nxt.is_rollback:
                continue
            state = (nxt, rolled or nxt.is_rollback)
            step = [*path, (trigger, nxt)]
            if nxt == target and (via_rollback is None or state[1] == via_rollback):
                return step
            if state in seen:
                continue
            seen.add(state)
            queue.append((state, step))
    return None


def _capacity(message: str) -> int | None:
    m = _CAPACITY.search(message)
    return int(m.group(1)) if m else None


@dataclass
class _State:
    """The translation in progress: where the deployment is, and what was recorded so far."""

    ctx: Context
    allowed: frozenset[Trigger]
    phase: Phase = Phase.IN_SERVICE
    last_t: float = 0.0
    observed: bool = False  # whether the current phase was itself observed
    shifts: int = 0
    active_blue: int = 0
    active_green: int = 0
    transitions: list[Transition] = field(default_factory=list)
    traffic: list[dict[str, Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    # ------------------------------------------------------------------ traffic rows

    def route(self, t: float, blue: int, green: int) -> None:
        self.active_blue, self.active_green = max(0, blue), max(0, green)
        total = self.active_blue + self.active_green
        row = {
            "t": t,
            "green_fraction": self.active_green / total if total else 0.0,
            "active_blue": self.active_blue,
            "active_green": self.active_green,
        }
        if self.traffic and self.traffic[-1]["t"] == t:
            self.traffic[-1] = row
        else:
            self.traffic.append(row)

    def _after_shift(self, t: float, trigger: Trigger, capacity: int | None) -> None:
        ctx = self.ctx
        final = trigger == Trigger.FINAL_TRAFFIC_SHIFTED
        if capacity is not None:
            green = capacity
        elif final:
            green = ctx.green_instances
        elif self.shifts < len(ctx.planned_green):
            green = ctx.planned_green[self.shifts]
        else:
            green = min(ctx.green_instances, self.active_green + 1)
        self.shifts += 1
        blue = 0 if final or green >= ctx.green_instances else ctx.blue_instances - green
        self.route(t, blue, green)

    # ------------------------------------------------------------------ moving

    def move(
        self,
        t_epoch: float,
        target: Phase,
        reason: str,
        *,
        via_rollback: bool | None = None,
        prefer_timeout: bool = False,
        capacity: int | None = None,
    ) -> bool:
        """Record the transitions from the current phase to ``target``; False if impossible."""
        t = max(t_epoch - self.ctx.t0, self.last_t)
        if target == self.phase and not self.observed:
            # The phase was entered on an inference (or by the UpdateEndpoint call itself);
            # this is the observation of that same stage, not a new one.
            self.observed = True
            return True
        path = shortest_path(
            self.phase,
            target,
            self.allowed,
            via_rollback=via_rollback,
            prefer_timeout=prefer_timeout,
        )
        if path is None:
            self.notes.append(
                f"an observation at {t:.0f} s ({reason}) cannot follow phase "
                f"{self.phase.value}; ignored"
            )
            return False
        for i, (trigger, phase) in enumerate(path):
            last = i == len(path) - 1
            why = reason if last else f"inferred (not observed itself) before: {reason}"
            self.transitions.append(Transition(t, self.phase, phase, trigger, why))
            if trigger in (Trigger.TRAFFIC_SHIFTED, Trigger.FINAL_TRAFFIC_SHIFTED):
                self._after_shift(t, trigger, capacity if last else None)
            elif trigger == Trigger.TRAFFIC_RESTORED:
                self.route(t, self.ctx.blue_instances, 0)
            elif trigger == Trigger.CLEANUP_DONE and self.active_blue:
                self.route(t, 0, self.ctx.green_instances)
            self.phase = phase
        self.last_t = t
        self.observed = True
        return True


def _status_target(vs: VariantStatus, st: _State, rolled_back: bool) -> Phase | None:
    ctx = st.ctx
    in_rollback = st.phase.is_rollback
    if vs.status == "Creating":
        return Phase.ROLLBACK_CREATING if in_rollback else Phase.CREATING
    if vs.status == "ActivatingTraffic":
        return None if in_rollback else Phase.ACTIVATING_TRAFFIC
    if vs.status == "Baking":
        if in_rollback:
            return None
        if ctx.policy == "ROLLING":
            return Phase.BAKING
        capacity = _capacity(vs.message)
        full = "full capacity" in vs.message.lower() or ctx.policy == "ALL_AT_ONCE"
        if full or (capacity is not None and capacity >= ctx.green_instances):
            return Phase.FINAL_BAKE
        return Phase.BAKING
    if vs.status == "Deleting":
        if in_rollback:
            return Phase.ROLLBACK_DELETING
        # A blue/green update that ended on the old config never deleted the old fleet: its
        # deletions are the new fleet's, i.e. the rollback's. A rolling update deletes old
        # batches on its way, so only a seen rollback makes a deletion the rollback's.
        if rolled_back and ctx.policy != "ROLLING":
            return Phase.ROLLBACK_DELETING
        return Phase.DELETING
    return None  # "Updating" (capacity changes) and statuses unknown to this version


def translate(observations: Sequence[Observation], ctx: Context) -> Translation:
    """The phase transitions and traffic rows the observations show (see the module doc)."""
    last = observations[-1] if observations else None
    if last is None:
        decision = Decision("FAILED", "the endpoint was never observed")
    else:
        decision = decide_outcome(
            last.endpoint_status,
            last.config_name,
            old_config=ctx.old_config,
            new_config=ctx.new_config,
            failure_reason=last.failure_reason,
            noun=ctx.noun,
        )
    finished = last is not None and update_ended(observations, ctx.t0, ctx.new_config)
    rolled_back = finished and (
        decision.outcome == "ROLLED_BACK"
        or (last is not None and last.endpoint_status == "UpdateRollbackFailed")
    )
    st = _State(ctx, allowed_triggers(ctx.policy))
    st.route(ctx.traffic_start, ctx.blue_instances, 0)
    st.transitions.append(
        Transition(
            0.0,
            Phase.IN_SERVICE,
            Phase.CREATING,
            Trigger.UPDATE,
            ctx.update_reason or f"UpdateEndpoint to {ctx.new_config} ({ctx.policy})",
        )
    )
    st.phase = Phase.CREATING
    seen: set[tuple[str, float, str]] = set()
    for obs in observations:
        if obs.at < ctx.t0 and not obs.pending_config:
            continue  # before the update (e.g. the endpoint's creation)
        if st.phase in _TERMINAL or st.phase == Phase.IN_SERVICE:
            break  # the update has ended
        new = [v for v in obs.variant_statuses if v.key not in seen and v.start >= ctx.t0 - 1]
        for vs in new:
            seen.add(vs.key)
            target = _status_target(vs, st, rolled_back)
            if target is None:
                continue
            reason = f"VariantStatus {vs.status}: {vs.message}".rstrip(": ")
            st.move(
                vs.start,
                target,
                reason,
                via_rollback=True if target == Phase.ROLLBACK_DELETING else None,
                prefer_timeout=bool(_TIMEOUT_WORDS.search(obs.failure_reason)),
                capacity=_capacity(vs.message),
            )
        if not st.phase.is_rollback and st.phase not in _TERMINAL and _rollback_sign(obs):
            cause = obs.failure_reason or f"EndpointStatus {obs.endpoint_status}"
            st.move(
                obs.at,
                Phase.ROLLING_BACK,
                f"rollback seen at this poll: {cause}",
                prefer_timeout=bool(_TIMEOUT_WORDS.search(obs.failure_reason)),
            )
        if obs is last and finished:
            _finish(st, obs, decision)
    end = st.last_t
    if not finished and last is not None:
        end = max(st.last_t, last.at - ctx.t0)
    return Translation(
        transitions=tuple(st.transitions),
        traffic=tuple(st.traffic),
        decision=decision,
        finished=finished,
        end=end,
        notes=tuple(st.notes),
    )


def _rollback_sign(obs: Observation) -> bool:
    if obs.endpoint_status == "RollingBack":
        return True
    if obs.endpoint_status == "Updating" and obs.failure_reason:
        return True
    return any(_ROLLBACK_WORDS.search(v.message) for v in obs.variant_statuses)


def _finish(st: _State, obs: Observation, decision: Decision) -> None:
    at = obs.last_modified if obs.last_modified is not None else obs.at
    at = min(at, obs.at)
    timeout = bool(_TIMEOUT_WORDS.search(obs.failure_reason))
    if obs.endpoint_status == "InService":
        rolled = decision.outcome == "ROLLED_BACK" or obs.config_name != st.ctx.new_config
        st.move(at, Phase.IN_SERVICE, decision.reason, via_rollback=rolled, prefer_timeout=timeout)
    elif obs.endpoint_status == "UpdateRollbackFailed":
        st.move(at, Phase.UPDATE_ROLLBACK_FAILED, decision.reason, prefer_timeout=timeout)
    elif obs.endpoint_status == "Failed" and not st.move(
        at, Phase.FAILED, decision.reason, prefer_timeout=timeout
    ):
        # No legal path to Failed from a rollback phase: the rollback itself failed.
        st.notes.pop()
        st.notes.append("Failed during a rollback: recorded as UpdateRollbackFailed")
        st.move(at, Phase.UPDATE_ROLLBACK_FAILED, decision.reason)
