"""The emulator's CloudWatch alarms: evaluated on the metric store on CloudWatch's schedule.

An alarm is created INSUFFICIENT_DATA ("Unchecked: Initial alarm creation", as PutMetricAlarm
leaves a new alarm: https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutMetricAlarm.html)
and evaluated from then on at every instant of its schedule
(:func:`guardsim.cloudwatch.schedule.evaluation_interval`: every minute for a Period of 60 s or
more, every 10 s for high-resolution periods), shifted by the world's
``environment.alarm_evaluation_offset_seconds``. Each evaluation reads the evaluation range's
period windows (:func:`~guardsim.cloudwatch.schedule.range_windows`) from the samples visible
at that instant and hands them to guardsim's pure :class:`~guardsim.cloudwatch.alarm.AlarmRule`
(metric-math alarms: :mod:`guardsim.cloudwatch.metric_math` per period first). A state change
is recorded when it happens, never back-dated. Updating an alarm (PutMetricAlarm on an
existing name) keeps its state until the next evaluation.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

from guardsim.cloudwatch.alarm import AlarmRule, AlarmState
from guardsim.cloudwatch.anomaly import evaluated_metrics
from guardsim.cloudwatch.composite import CompositeRule, parse_rule, reevaluate
from guardsim.cloudwatch.metric_math import MetricMathProgram, compile_metrics
from guardsim.cloudwatch.schedule import evaluation_interval, range_windows
from guardsim.cloudwatch.statistics import parse_statistic
from guardsim.emulator.metrics import MetricStore, series_key
from guardsim.scenarios.environment import Environment


@dataclass(kw_only=True)
class _Live:
    """What every alarm of the emulated account has: its name, parameters and state (the
    interface the deployment controller reads: ``name``, ``state``, ``entered_at``,
    ``reason``), its state and configuration history."""

    #: DescribeAlarms' and DescribeAlarmHistory's AlarmType.
    kind: ClassVar[str] = "MetricAlarm"
    is_composite: ClassVar[bool] = False

    name: str
    arn: str
    params: dict[str, Any]
    created_at: float
    tags: list[dict[str, str]]
    updated_at: float
    state: AlarmState = AlarmState.INSUFFICIENT_DATA
    entered_at: float = -math.inf
    state_updated_at: float = 0.0
    reason: str = "Unchecked: Initial alarm creation"
    reason_data: str | None = None
    #: (time, from, to, reason) of every state change, oldest first
    history: list[tuple[float, str, str, str]] = field(default_factory=list)
    #: configuration updates: (time, summary)
    config_history: list[tuple[float, str]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.entered_at = self.created_at
        self.state_updated_at = self.created_at

    def set_state(self, t: float, state: str, reason: str, reason_data: str | None) -> None:
        """SetAlarmState: the state until the next evaluation (a composite: until a child
        next changes state) says otherwise."""
        new = AlarmState(state)
        if new != self.state:
            self.history.append((t, self.state.value, new.value, reason))
            self.state = new
            self.entered_at = t
        self.state_updated_at = t
        self.reason = reason
        self.reason_data = reason_data

    def replacing(self, old: _Live | None, now: float) -> None:
        """A Put* call made this alarm at ``now``: an update of ``old`` (same name and kind)
        keeps its state, history and creation; either way the configuration history says so."""
        if old is not None and old.kind == self.kind:
            self.state, self.entered_at, self.reason = old.state, old.entered_at, old.reason
            self.state_updated_at = old.state_updated_at
            self.history, self.config_history = old.history, old.config_history
            self.updated_at = now
            self.config_history.append((now, f'Alarm "{self.name}" updated'))
        else:
            self.config_history.append((now, f'Alarm "{self.name}" created'))


@dataclass(kw_only=True)
class LiveAlarm(_Live):
    """One metric alarm of the emulated account, evaluated on its schedule."""

    rule: AlarmRule
    program: MetricMathProgram | None

    @property
    def interval(self) -> int:
        return evaluation_interval(self.rule.period, self.rule.evaluation_periods)

    def next_evaluation(self, after: float, offset: float) -> float:
        """The first instant of the alarm's schedule strictly after ``after``."""
        k = math.floor((after - offset) / self.interval) + 1
        return k * self.interval + offset

    def evaluate(self, t: float, store: MetricStore) -> tuple[str, str] | None:
        """Evaluate at ``t``; the (from, to) states if it changed."""
        rule = self.rule
        windows = range_windows(t, rule.period, rule.range_length)
        counts: list[float | None] | None
        if self.program is not None:
            inputs = {}
            for qid, q in self.program.metric_stats.items():
                key = series_key(q.namespace, q.metric_name, dict(q.dimensions))
                spec = q.statistic
                inputs[qid] = [store.statistic(key, spec, a, b, t)[0] for a, b in windows]
            values = list(self.program.evaluate(inputs))
            counts = None
        else:
            p = self.params
            key = series_key(
                str(p.get("Namespace", "")),
                str(p.get("MetricName", "")),
                {d["Name"]: d["Value"] for d in p.get("Dimensions", [])},
            )
            spec = parse_statistic(str(p.get("Statistic") or p.get("ExtendedStatistic")))
            values, counts = [], []
            for a, b in windows:
                value, n = store.statistic(key, spec, a, b, t)
                values.append(value)
                counts.append(n if value is not None else None)
        result = rule.evaluate(values, self.state, sample_counts=counts)
        self.reason = result.reason
        if result.state == self.state:
            return None
        old = self.state
        self.history.append((t, old.value, result.state.value, result.reason))
        self.state = result.state
        self.entered_at = t
        self.state_updated_at = t
        return old.value, result.state.value


def make_alarm(
    params: Mapping[str, Any],
    *,
    arn: str,
    now: float,
    environment: Environment,
    tags: list[dict[str, str]],
    band: tuple[float, float] | None = None,
) -> LiveAlarm:
    """A new alarm from PutMetricAlarm parameters (raises the cloudwatch library's errors for
    parameters it cannot evaluate)."""
    clean = {k: v for k, v in params.items() if k != "Tags"}
    rule = environment.alarm_rule(clean, band)  # band: an anomaly alarm's (guardsim.model.anomaly)
    program = compile_metrics(evaluated_metrics(clean["Metrics"])) if clean.get("Metrics") else None
    return LiveAlarm(
        name=str(clean["AlarmName"]),
        arn=arn,
        params=clean,
        created_at=now,
        tags=list(tags),
        rule=rule,
        program=program,
        updated_at=now,
    )


@dataclass(kw_only=True)
class LiveComposite(_Live):
    """A composite alarm of the emulated account (PutCompositeAlarm). It is INSUFFICIENT_DATA
    from creation until a child changes state, then re-evaluated whenever one does
    (:func:`reevaluate_composites`; see aws-model.md#composite-alarms). A state set by
    SetAlarmState holds until a child changes state, as CloudWatch documents
    (https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_SetAlarmState.html)."""

    kind: ClassVar[str] = "CompositeAlarm"
    is_composite: ClassVar[bool] = True

    rule: CompositeRule


def make_composite(
    params: Mapping[str, Any], *, arn: str, now: float, tags: list[dict[str, str]]
) -> LiveComposite:
    """A new composite alarm from PutCompositeAlarm parameters (AlarmError for a rule that
    does not parse)."""
    clean = {k: v for k, v in params.items() if k != "Tags"}
    name = str(clean["AlarmName"])
    return LiveComposite(
        name=name,
        arn=arn,
        params=clean,
        created_at=now,
        tags=list(tags),
        rule=parse_rule(str(clean["AlarmRule"]), alarm_name=name),
        updated_at=now,
    )


def reevaluate_composites(
    alarms: Mapping[str, LiveAlarm | LiveComposite], order: list[str], changed: set[str], t: float
) -> list[tuple[LiveComposite, str, str]]:
    """After the metric alarms ``changed`` at ``t``, every composite (``order``: children first)
    whose child changed, by :func:`guardsim.cloudwatch.composite.reevaluate`; the (composite,
    from, to) of each that changed state."""
    composites = [c for n in order if isinstance(c := alarms[n], LiveComposite)]
    states: dict[str, AlarmState] = {n: a.state for n, a in alarms.items()}
    for c in composites:  # a deleted child reads as INSUFFICIENT_DATA (guardsim's choice)
        for k in c.rule.children:
            states.setdefault(k, AlarmState.INSUFFICIENT_DATA)
    flags: dict[str, bool] = {n: True for n in changed}
    reevaluate(
        [(c.name, c.rule) for c in composites if isinstance(c, LiveComposite)], states, flags
    )
    out = []
    for c in composites:
        if isinstance(c, LiveComposite) and flags.get(c.name):
            old, new = c.state, states[c.name]
            c.reason = c.rule.reason(states)
            c.history.append((t, old.value, new.value, c.reason))
            c.state, c.entered_at, c.state_updated_at = new, t, t
            out.append((c, old.value, new.value))
    return out


__all__ = ["LiveAlarm", "LiveComposite", "make_alarm", "make_composite", "reevaluate_composites"]
