"""The metric publish delay a run implies: measured, or inferred from its alarm history.

A simulated record says when every minute's datapoint was published (``published_at``); the
delay of a minute is then ``published_at - (timestamp + 60)`` (:func:`publish_delays`).

A real record cannot: CloudWatch does not say when a datapoint became visible, so the real
backend records ``published_at`` as null. What a real record does show is *when the alarms
changed state*, and an alarm changes state when new datapoints become visible. So
:func:`inferred_delay_range` replays every rollback-relevant alarm over the record's own
datapoints (what each alarm read, rebuilt by :func:`guardsim.reports.series.alarm_series`) with
guardsim's pure CloudWatch evaluator, for each candidate **fixed** delay, and keeps the delays
whose replay reproduces the observed state changes (same states, in order, each within half an
evaluation interval of the observed time).

Alarms are evaluated once a minute, so only the minute in which a datapoint became visible
matters: the candidates fall into one-minute segments that replay identically, and the answer
is a range ``(low, high]`` of delays, all equally consistent (a set, not a confidence
interval). The evaluation clock is read off the observed transitions themselves (their second
within the minute). The range is unbounded above when long delays are consistent too, e.g.
when a delay beyond the evaluation range left the alarm blind: then only a lower bound is known.
Only alarms with a 60-second period are replayed (the record keeps per-minute values).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from guardsim.cloudwatch.alarm import AlarmRule, AlarmState
from guardsim.cloudwatch.schedule import range_windows
from guardsim.compare.timeline import scenario_name
from guardsim.errors import GuardsimError
from guardsim.record import RunRecord
from guardsim.reports.series import DatapointTable, alarm_series
from guardsim.scenarios.environment import Environment

#: Candidate delays are searched up to this many seconds.
MAX_DELAY_SECONDS = 600.0
#: A replayed state change matches an observed one within half an evaluation interval.
MATCH_SECONDS = 30.0


def has_publication_times(record: RunRecord) -> bool:
    return any(p is not None for p in record.datapoints.get("published_at", ()))


def publish_delays(record: RunRecord) -> list[float]:
    """Seconds from the end of each published minute to its publication (none in a real record).

    One value per distinct ``(timestamp, published_at)``: a minute's metrics are published
    together by the simulator, so they count once (a real run may publish them separately).
    """
    dp = record.datapoints
    pairs = {
        (t, p)
        for t, p in zip(dp.get("timestamp", ()), dp.get("published_at", ()), strict=True)
        if p is not None
    }
    return [float(p) - (float(t) + 60.0) for t, p in sorted(pairs)]


def readable(record: RunRecord) -> RunRecord:
    """``record`` as the report functions can read it.

    They need a publication time per datapoint; a real record has none, so the end of the
    minute stands in. Use this view for per-minute values and drawing only, never for delays.
    """
    dp = record.datapoints
    pub = dp.get("published_at")
    if not pub or all(p is not None for p in pub):
        return record
    filled = [
        float(t) + 60.0 if p is None else p for t, p in zip(dp["timestamp"], pub, strict=True)
    ]
    return replace(record, datapoints={**dp, "published_at": filled})


@dataclass(frozen=True)
class DelayRange:
    """Fixed publish delays ``(low, high]`` consistent with a run's alarm history.

    ``high`` is None when arbitrarily long delays are consistent too (only a lower bound).
    ``transitions``: the observed alarm state changes the range rests on.
    """

    low: float
    high: float | None
    transitions: int
    records: int

    @property
    def bounded(self) -> bool:
        return self.high is not None

    @property
    def midpoint(self) -> float | None:
        return None if self.high is None else (self.low + self.high) / 2

    def contains(self, delay: float) -> bool:
        return delay >= self.low and (self.high is None or delay <= self.high)

    def describe(self) -> str:
        if self.high is None:
            return f"at least {self.low:.0f} s"
        return f"between {self.low:.0f} and {self.high:.0f} s"


Intervals = list[tuple[float, float]]


def _intersect(a: Intervals, b: Intervals) -> Intervals:
    out = []
    for lo1, hi1 in a:
        for lo2, hi2 in b:
            lo, hi = max(lo1, lo2), min(hi1, hi2)
            if hi > lo or (hi == lo and lo == 0.0 and lo1 == lo2 == 0.0):
                out.append((lo, hi))
    return out


def _replay(
    rule: AlarmRule,
    values: Mapping[float, float | None],
    counts: Mapping[float, float | None] | None,
    start_state: str,
    times: Sequence[float],
    delay: float,
) -> list[tuple[float, str]]:
    state = AlarmState(start_state)
    out = []
    for e in times:
        windows = range_windows(e, 60.0, rule.range_length)
        pts: list[float | None] = []
        cts: list[float | None] = []
        for w, _ in windows:
            visible = w in values and w + 60.0 + delay <= e + 1e-9
            pts.append(values[w] if visible else None)
            cts.append(counts.get(w) if counts is not None and visible else None)
        result = rule.evaluate(pts, state, sample_counts=cts if counts is not None else None)
        if result.state != state:
            out.append((e, result.state.value))
            state = result.state
    return out


def _feasible(
    record: RunRecord, alarms: Sequence[Mapping[str, Any]], environment: Environment
) -> tuple[Intervals, int] | None:
    """The delays consistent with one record's alarm history; None if nothing constrains them."""
    view = readable(record)
    table = DatapointTable(view)
    history = sorted(record.alarm_history, key=lambda h: float(h["t"]))
    end = max(
        [float(h["t"]) for h in history] + [max(view.datapoints.get("timestamp") or [0.0]) + 60.0]
    )
    feasible: Intervals = [(0.0, MAX_DELAY_SECONDS)]
    used = 0
    informative = False
    for alarm in alarms:
        name = scenario_name(str(alarm.get("AlarmName", "")))
        try:
            rule = environment.alarm_rule(alarm)
        except GuardsimError:
            continue
        if rule.period != 60:
            continue
        series = alarm_series(view, alarm, table)
        if series.note is not None or not series.series.t:
            continue
        observed = [
            (float(h["t"]), str(h["to"]), str(h["from"]))
            for h in history
            if scenario_name(str(h["alarm"])) == name
        ]
        if not observed:
            continue
        values = dict(zip(series.series.t, series.series.value, strict=True))
        counts = (
            None
            if "Metrics" in alarm
            else dict(zip(series.series.t, series.series.sample_count, strict=True))
        )
        t0 = observed[0][0]
        times = [t0 + 60.0 * k for k in range(int((end - t0) // 60.0) + 1)]
        # the evaluation clock against the minute grid: delays differ only by the minute they
        # make a datapoint visible in, so one candidate per segment (its upper end) suffices
        phase = (t0 - min(values)) % 60.0
        ok: Intervals = []
        seen_outcomes = set()
        n = 0
        while True:
            hi = phase + 60.0 * n
            lo = max(0.0, hi - 60.0)
            if lo >= MAX_DELAY_SECONDS:
                break
            replayed = _replay(
                rule, values, counts, observed[0][2], times, min(hi, MAX_DELAY_SECONDS)
            )
            seen_outcomes.add(tuple(replayed))
            match = len(replayed) == len(observed) and all(
                s == o[1] and abs(t - o[0]) <= MATCH_SECONDS
                for (t, s), o in zip(replayed, observed, strict=True)
            )
            if match:
                ok.append((lo, min(hi, MAX_DELAY_SECONDS)))
            n += 1
        if len(seen_outcomes) > 1:  # the delay changes what this alarm does: informative
            informative = True
            used += len(observed)
            feasible = _intersect(feasible, ok)
    if not informative:
        return None
    return feasible, used


def inferred_delay_range(
    records: Sequence[RunRecord],
    alarms: Sequence[Mapping[str, Any]],
    environment: Environment | None = None,
) -> DelayRange | None:
    """The fixed publish delays consistent with every record's alarm history (see the module
    docstring); None when no alarm's behaviour depends on the delay or no delay fits them all.

    ``alarms``: ``put_metric_alarm`` keyword arguments (the scenario's); ``environment``: the
    scenario's, whose settings decide how CloudWatch evaluates them (default: the defaults).
    """
    environment = Environment() if environment is None else environment
    feasible: Intervals = [(0.0, MAX_DELAY_SECONDS)]
    transitions = 0
    used = 0
    for record in records:
        found = _feasible(record, alarms, environment)
        if found is None:
            continue
        intervals, n = found
        feasible = _intersect(feasible, intervals)
        transitions += n
        used += 1
    if not used or not feasible:
        return None
    low = min(lo for lo, _ in feasible)
    high = max(hi for _, hi in feasible)
    return DelayRange(
        low, None if math.isclose(high, MAX_DELAY_SECONDS) else high, transitions, used
    )
