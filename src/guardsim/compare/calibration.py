"""Calibration: fit a scenario's undocumented settings and model behaviour to real runs.

:func:`calibrate` reads only what the records observed (instances, transitions, alarm history,
datapoints), never the settings of the scenario that produced them, and returns a
:class:`Calibration`: every fitted value with its 95 % interval, the number of observations and
where they came from. :func:`apply` writes the fitted values into a new, validated scenario.

What is fitted, from what (the estimators and their intervals: :mod:`guardsim.compare.fitting`):

=========================================  ===================================================
setting                                    observations
=========================================  ===================================================
``environment.provisioning_seconds``       per instance launched during the update,
                                           ``ready_at - launched_at``; without instance rows,
                                           the Creating phases (each the slowest of the fleet's
                                           instances, spread held at the scenario's)
``environment.metric_publish_delay_s...``  per published minute, ``published_at - (timestamp
                                           + 60)``
``environment.alarm_reaction_seconds``     per alarm rollback: rollback start minus the first
                                           SageMaker poll at or after the tripping alarm's
                                           change to ALARM (polls every
                                           ``alarm_poll_interval_seconds`` from the start of
                                           the interrupted phase: the part the poll explains)
``environment.rollback_seconds``           the RollingBack phase a rollback starts with
``environment.activation_seconds``         ActivatingTraffic phases that ended in a traffic
                                           shift
``environment.termination_seconds``        Deleting phases (cleanup, rolling batches) and
                                           RollbackDeleting phases
``models.<fleet>.latency``                 per-minute p50 and p99 of ModelLatency of the
                                           fleet's own EndpointConfigName series, in ms
``models.<fleet>.overhead_latency``        the same of OverheadLatency
``models.<fleet>.error_rate_5xx / _4xx``   Sum of Invocation5XXErrors (4XX) / Sum of
                                           Invocations of the fleet's series
=========================================  ===================================================

A fleet whose model has faults or a capacity limit in the scenario is fitted but not applied:
its observed latency and errors mix the baseline with the faults, and writing them into the
baseline would count the faults twice.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import yaml

from guardsim.compare.delay import inferred_delay_range, publish_delays, readable
from guardsim.compare.fitting import (
    DistributionFit,
    Estimate,
    fit_duration,
    fit_lognormal_from_maxima,
    fit_lognormal_quantiles,
    fit_mean,
    fit_proportion,
    no_spread,
)
from guardsim.compare.structure import check_same_deployment
from guardsim.compare.timeline import ROLLBACK_TRIGGERS, phase_spans, scenario_name
from guardsim.errors import CompareError
from guardsim.record import BLAST_RADIUS_NOT_OBSERVABLE, RunRecord
from guardsim.reports.series import DatapointTable
from guardsim.scenarios.loading import check_scenario_dict
from guardsim.scenarios.models import ModelBehaviour
from guardsim.scenarios.scenario import Scenario

FLEETS = ("blue", "green")
#: ModelLatency and OverheadLatency are published in microseconds; scenarios say milliseconds.
US_PER_MS = 1000.0


@dataclass(frozen=True)
class FittedSetting:
    """One fitted scenario setting.

    ``path``: where it goes in the scenario (``environment.provisioning_seconds``,
    ``models.green.latency``, ...); ``before`` / ``after``: the scenario's value and the fitted
    one, as a scenario file writes them; ``parameters``: each fitted number with its interval;
    ``applied``: whether :func:`apply` writes it (see the module docstring).
    """

    path: str
    label: str
    before: Any
    after: Any
    parameters: dict[str, Estimate]
    n: int
    source: str
    applied: bool = True
    note: str = ""

    def to_data(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "label": self.label,
            "before": self.before,
            "after": self.after,
            "parameters": {k: e.to_data() for k, e in self.parameters.items()},
            "n": self.n,
            "source": self.source,
            "applied": self.applied,
            "note": self.note,
        }


@dataclass(frozen=True)
class Calibration:
    """What :func:`calibrate` fitted: the settings, and notes on what it could not fit."""

    scenario: Scenario
    records: int
    settings: tuple[FittedSetting, ...]
    notes: tuple[str, ...] = field(default=())

    def setting(self, path: str) -> FittedSetting:
        for s in self.settings:
            if s.path == path:
                return s
        raise KeyError(path)

    def has(self, path: str) -> bool:
        return any(s.path == path for s in self.settings)

    def to_data(self) -> dict[str, Any]:
        return {
            "format": "guardsim.calibration/1",
            "scenario": self.scenario.name,
            "records": self.records,
            "settings": [s.to_data() for s in self.settings],
            "notes": list(self.notes),
        }


# --------------------------------------------------------------------------- observations


def provisioning_observations(
    record: RunRecord,
) -> tuple[list[float], list[tuple[float, int]]]:
    """Provisioning times of the instances launched during the update.

    Per instance, ``ready_at - launched_at``, where the record has instance times; a real
    record shows fleets, not instances (every instance of a batch carries its fleet's times),
    so a batch launched together that became ready at one instant is one observation of the
    slowest of its ``k`` instances: returned as ``(seconds, k)``.
    """
    batches: dict[tuple[str, float], list[float]] = {}
    for inst in record.instances:
        launched, ready = inst.get("launched_at"), inst.get("ready_at")
        if launched is None or ready is None or float(launched) < 0:
            continue
        batches.setdefault((str(inst.get("fleet")), float(launched)), []).append(float(ready))
    per_instance: list[float] = []
    fleets: list[tuple[float, int]] = []
    for (_, launched), readies in batches.items():
        if len(readies) > 1 and max(readies) == min(readies):
            fleets.append((readies[0] - launched, len(readies)))
        else:
            per_instance += [r - launched for r in readies]
    return per_instance, fleets


def fleet_ready_durations(record: RunRecord, k: int) -> list[tuple[float, int]]:
    """Creating phases that ended with the fleet ready, each the slowest of ``k`` instances."""
    return [
        (s.duration, k)
        for s in phase_spans(record)
        if s.name == "Creating" and s.ended_by == "fleet_ready" and s.duration is not None
    ]


def phase_durations(record: RunRecord, name: str, ended_by: frozenset[str]) -> list[float]:
    """Durations of the observed ``name`` phases that ended with one of ``ended_by``."""
    return [
        s.duration
        for s in phase_spans(record)
        if s.name == name and s.ended_by in ended_by and s.duration is not None and s.observed
    ]


def rollback_durations(record: RunRecord) -> list[float]:
    """The RollingBack phase a rollback starts with: decision to traffic back on blue (or to
    the first re-provisioning, rolling)."""
    return [
        s.duration
        for s in phase_spans(record)
        if s.name == "RollingBack" and s.entered_by in ROLLBACK_TRIGGERS and s.duration is not None
    ]


def reaction_residuals(record: RunRecord, poll_seconds: float) -> list[tuple[float, float]]:
    """``(lag, residual)`` of an alarm rollback: ``lag`` from the tripping alarm's change to
    ALARM to the rollback, ``residual`` the part the poll interval does not explain."""
    spans = phase_spans(record)
    for prev, span in itertools.pairwise(spans):
        if span.entered_by != "alarm_tripped":
            continue
        t_rb = span.start
        tripped = {scenario_name(a) for a in record.summary.tripped_alarms}
        entries = []
        for name in tripped:
            times = [
                float(h["t"])
                for h in record.alarm_history
                if scenario_name(str(h["alarm"])) == name
                and h["to"] == "ALARM"
                and float(h["t"]) <= t_rb
            ]
            if times:
                entries.append(max(times))
        if not entries:
            return []
        t_alarm = min(entries)
        anchor = prev.start  # SageMaker starts polling when the interrupted phase starts
        seen = max(t_alarm, anchor)
        k = math.ceil((seen - anchor) / poll_seconds - 1e-9)
        poll = anchor + k * poll_seconds
        return [(t_rb - t_alarm, t_rb - poll)]
    return []


def _fleet_series(
    table: DatapointTable, fleet: str, metric: str, statistic: str
) -> list[tuple[float, float | None, float | None]]:
    """``(minute, value, samples)`` of one fleet's ``metric``.

    The fleet's own EndpointConfigName series; for blue without one (a scenario with
    ``per_config_metrics_for_blue: false``), the blended minutes in which green published
    nothing.
    """
    if table.has(metric, fleet):
        s = table.series(metric, fleet, statistic)
        return list(zip(s.t, s.value, s.sample_count, strict=True))
    if fleet != "blue" or not table.has(metric, "blended"):
        return []
    green = set(table.series(metric, "green", "SampleCount").t)
    s = table.series(metric, "blended", statistic)
    return [row for row in zip(s.t, s.value, s.sample_count, strict=True) if row[0] not in green]


def fleet_latency_minutes(
    table: DatapointTable, fleet: str, metric: str
) -> list[tuple[int, float | None, float | None]]:
    """Per minute of one fleet: ``(samples, p50 ms, p99 ms)`` of ``metric``."""
    p99 = {t: v for t, v, _ in _fleet_series(table, fleet, metric, "p99")}
    return [
        (
            int(n or 0),
            None if v is None else v / US_PER_MS,
            None if p99.get(t) is None else float(p99[t] or 0.0) / US_PER_MS,
        )
        for t, v, n in _fleet_series(table, fleet, metric, "p50")
    ]


def fleet_error_counts(table: DatapointTable, fleet: str, metric: str) -> tuple[int, int]:
    """``(errors, requests)`` of one fleet: the Sums of ``metric`` and their sample counts."""
    rows = _fleet_series(table, fleet, metric, "Sum")
    return round(sum(v or 0.0 for _, v, _ in rows)), round(sum(n or 0.0 for _, _, n in rows))


# --------------------------------------------------------------------------- fitting


def _env_setting(
    scenario: Scenario, name: str, label: str, fit: DistributionFit, source: str, n: int
) -> FittedSetting:
    before = scenario.to_dict()["environment"][name]
    return FittedSetting(
        f"environment.{name}", label, before, fit.data, fit.parameters, n, source, True, fit.note
    )


def _fault_note(model: ModelBehaviour) -> str:
    why = []
    if model.faults:
        why.append("faults")
    if model.capacity_rps_per_instance is not None:
        why.append("a capacity limit")
    if not why:
        return ""
    return (
        f"not applied: the scenario gives this model {' and '.join(why)}, which the observed "
        "values include"
    )


#: What a fitter returns: fitted settings, and notes (strings) on what it could not fit.
Fitted = list[FittedSetting | str]


def _fit_provisioning(records: Sequence[RunRecord], scenario: Scenario) -> Fitted:
    per_instance: list[float] = []
    fleet_times: list[tuple[float, int]] = []
    for r in records:
        one, many = provisioning_observations(r)
        per_instance += one
        fleet_times += many
    if not per_instance and not fleet_times and scenario.deployment_config.policy_kind != "ROLLING":
        k = scenario.endpoint.green.instance_count
        fleet_times = [x for r in records for x in fleet_ready_durations(r, k)]
    prov = scenario.environment.provisioning_seconds
    name, label = "provisioning_seconds", "provisioning time (per instance)"
    if per_instance:
        fit = fit_duration(per_instance, prov.kind)
        source = f"{len(per_instance)} instance(s) in {len(records)} record(s)"
        return [_env_setting(scenario, name, label, fit, source, len(per_instance))]
    if fleet_times:
        values = [x for x, _ in fleet_times]
        if prov.kind == "lognormal" and not no_spread(values):
            fit = fit_lognormal_from_maxima(fleet_times, prov.sigma)
        else:  # fixed per instance: the fleet's time is the instances' time
            fit = fit_duration(values, prov.kind)
        source = f"{len(fleet_times)} fleet(s) launched in {len(records)} record(s)"
        return [_env_setting(scenario, name, label, fit, source, len(fleet_times))]
    return [f"no provisioning times in the records: {name} unchanged"]


def _fit_delay(records: Sequence[RunRecord], scenario: Scenario) -> Fitted:
    name = "metric_publish_delay_seconds"
    delays = [d for r in records for d in publish_delays(r)]
    if delays:
        fit = fit_duration(delays, scenario.environment.metric_publish_delay_seconds.kind)
        source = f"{len(delays)} published minute(s)"
        return [_env_setting(scenario, name, "metric publish delay", fit, source, len(delays))]
    # a real record: no publication times, so the delay comes from the alarm history
    definition = scenario.to_dict()
    found = inferred_delay_range(records, definition["alarms"], scenario.environment)
    if found is None:
        return [
            "the records have no publication times and no alarm's state changes depend on the "
            f"delay: {name} unchanged"
        ]
    if found.high is None:
        return [
            f"the alarm histories allow any fixed publish delay of at least {found.low:.0f} s "
            f"(the alarms may never have seen their data): {name} unchanged"
        ]
    mid = (found.low + found.high) / 2
    est = Estimate(
        mid,
        found.low,
        found.high,
        found.transitions,
        "the range of fixed delays whose replay reproduces the alarm history (every value in "
        "it fits equally: alarms are evaluated once a minute)",
    )
    source = (
        f"{found.transitions} alarm state change(s) in {found.records} record(s) (no "
        "publication times in the records)"
    )
    return [
        FittedSetting(
            f"environment.{name}",
            "metric publish delay",
            definition["environment"][name],
            {"kind": "fixed", "value": round(mid, 1)},
            {"value": est},
            found.transitions,
            source,
            True,
            f"inferred from the alarm history: {found.describe()}",
        )
    ]


def _polled_note(records: Sequence[RunRecord]) -> str:
    if not any(sp.polled_start for r in records for sp in phase_spans(r)):
        return ""
    return (
        "; rollback starts in these records were seen at the real backend's next poll, so this "
        "can be off by up to one of its poll intervals"
    )


def _fit_reaction(records: Sequence[RunRecord], scenario: Scenario) -> Fitted:
    poll = scenario.environment.alarm_poll_interval_seconds
    reactions = [x for r in records for x in reaction_residuals(r, poll)]
    if not reactions:
        return ["no alarm rollbacks in the records: alarm_reaction_seconds unchanged"]
    residuals = [res for _, res in reactions]
    mean_lag = sum(lag for lag, _ in reactions) / len(reactions)
    est = fit_mean(residuals, minimum=0.0)
    note = (
        f"alarm change to rollback took {mean_lag:.1f} s on average, of which the {poll:g} s "
        f"poll explains {mean_lag - est.value:.1f} s" + _polled_note(records)
    )
    if min(residuals) < -1e-6:
        note += (
            f"; some rollbacks came sooner than a {poll:g} s poll allows: "
            "alarm_poll_interval_seconds may be wrong"
        )
    return [
        FittedSetting(
            "environment.alarm_reaction_seconds",
            "alarm reaction latency",
            scenario.environment.alarm_reaction_seconds,
            round(est.value, 3),
            {"value": est},
            len(reactions),
            f"{len(reactions)} alarm rollback(s)",
            True,
            note,
        )
    ]


def _fit_phases(records: Sequence[RunRecord], scenario: Scenario) -> Fitted:
    """Rollback, traffic activation and termination: durations of the phases they make."""

    def durations(name: str, ended_by: set[str]) -> list[float]:
        return [d for r in records for d in phase_durations(r, name, frozenset(ended_by))]

    observed = (
        ("rollback_seconds", "rollback duration", "rollback(s)", _polled_note(records),
         [d for r in records for d in rollback_durations(r)]),
        ("activation_seconds", "traffic activation time", "traffic shift(s)", "",
         durations("ActivatingTraffic", {"traffic_shifted", "final_traffic_shifted"})),
        ("termination_seconds", "termination time", "termination(s)", "",
         durations("Deleting", {"cleanup_done", "batch_deleted"})
         + durations("RollbackDeleting", {"rollback_done"})),
    )  # fmt: skip
    out: Fitted = []
    for name, label, what, extra, values in observed:
        if not values:
            out.append(f"no {what.removesuffix('(s)')} phases in the records: {name} unchanged")
            continue
        kind = getattr(scenario.environment, name).kind
        fit = fit_duration(values, kind)
        setting = _env_setting(scenario, name, label, fit, f"{len(values)} {what}", len(values))
        if extra:
            setting = replace(setting, note=(setting.note + extra).lstrip("; "))
        out.append(setting)
    return out


def _before_update(record: RunRecord) -> RunRecord:
    """``record`` with only the minutes that ended before the update began (time 0)."""
    dp = record.datapoints
    keep = [i for i, t in enumerate(dp.get("timestamp", [])) if float(t) + 60.0 <= 0.0]
    return replace(record, datapoints={k: [v[i] for i in keep] for k, v in dp.items()})


def _fit_models(records: Sequence[RunRecord], scenario: Scenario) -> Fitted:
    """Latency (ModelLatency, OverheadLatency) and error rates of each fleet.

    For an inference component the only series is ``InferenceComponentName``'s, which blends
    the old and the new copies during the update: the old model is fitted from the minutes
    before it began (only old copies served then), and the new one is not observable.
    """
    component = scenario.inference_component is not None
    if component:
        records = [_before_update(r) for r in records]
    tables = [DatapointTable(readable(r)) for r in records]
    models = scenario.to_dict()["models"]
    out: Fitted = []
    for fleet in FLEETS:
        if component and fleet == "green":
            out.append(
                f"models.green unchanged: the new model's latency and error rates are "
                f"{BLAST_RADIUS_NOT_OBSERVABLE}; models.blue is fitted from the minutes before "
                "the update"
            )
            continue
        fault_note = _fault_note(getattr(scenario.models, fleet))
        for key, metric in (("latency", "ModelLatency"), ("overhead_latency", "OverheadLatency")):
            minutes = [m for t in tables for m in fleet_latency_minutes(t, fleet, metric)]
            lat = fit_lognormal_quantiles(minutes)
            if lat is None:
                out.append(
                    f"no {metric} percentiles of the {fleet} fleet: models.{fleet}.{key} unchanged"
                )
                continue
            after = {
                "median_ms": lat.data["median"],
                "p99_ms": max(lat.data["p99"], lat.data["median"]),
            }
            n = lat.parameters["median"].n
            out.append(
                FittedSetting(
                    f"models.{fleet}.{key}",
                    f"{metric} of the {fleet} fleet (ms)",
                    models[fleet][key],
                    after,
                    lat.parameters,
                    n,
                    f"{n} minute(s) of p50 and p99",
                    not fault_note,
                    fault_note,
                )
            )
        for key, metric in (
            ("error_rate_5xx", "Invocation5XXErrors"),
            ("error_rate_4xx", "Invocation4XXErrors"),
        ):
            counts = [fleet_error_counts(t, fleet, metric) for t in tables]
            k, n = sum(c[0] for c in counts), sum(c[1] for c in counts)
            if n == 0:
                out.append(f"no requests of the {fleet} fleet: models.{fleet}.{key} unchanged")
                continue
            est = fit_proportion(k, n)
            out.append(
                FittedSetting(
                    f"models.{fleet}.{key}",
                    f"{metric} rate of the {fleet} fleet",
                    models[fleet][key],
                    float(f"{est.value:.4g}"),
                    {"rate": est},
                    n,
                    f"{k} error(s) in {n} request(s)",
                    not fault_note,
                    fault_note,
                )
            )
    return out


FITTERS = (_fit_provisioning, _fit_delay, _fit_reaction, _fit_phases, _fit_models)


def calibrate(records: Sequence[RunRecord], scenario: Scenario) -> Calibration:
    """Fit ``scenario``'s environment and model behaviour to ``records`` (real runs of it).

    Raises :class:`~guardsim.compare.structure.CompareError` when there are no records or a
    record is not a run of the scenario's deployment.
    """
    if not records:
        raise CompareError("calibrate needs at least one run record")
    definition = scenario.to_dict()
    for i, r in enumerate(records):
        check_same_deployment(definition, r.scenario_definition, "the scenario", f"record {i + 1}")
    results = [x for fitter in FITTERS for x in fitter(records, scenario)]
    settings = tuple(x for x in results if isinstance(x, FittedSetting))
    notes = tuple(x for x in results if isinstance(x, str))
    return Calibration(scenario, len(records), settings, notes)


# --------------------------------------------------------------------------- applying


def _set(data: dict[str, Any], path: str, value: Any) -> None:
    *parents, last = path.split(".")
    node = data
    for p in parents:
        node = node[p]
    node[last] = value


def apply(calibration: Calibration, scenario: Scenario) -> Scenario:
    """``scenario`` with every applied fitted setting written in, validated.

    Raises :class:`~guardsim.compare.structure.CompareError` if the result does not validate.
    """
    data = scenario.to_dict()
    applied = [s for s in calibration.settings if s.applied]
    for s in applied:
        _set(data, s.path, s.after)
    note = f"Calibrated from {calibration.records} run record(s) by guardsim calibrate."
    data["description"] = f"{data.get('description') or ''} {note}".strip()
    result = check_scenario_dict(data, source=f"calibrated {scenario.name}")
    if result.scenario is None:
        problems = "; ".join(str(p) for p in result.errors)
        raise CompareError(f"the calibrated scenario is invalid: {problems}")
    return result.scenario


def calibrated_yaml(calibration: Calibration, calibrated: Scenario) -> str:
    """The calibrated scenario as a YAML scenario file, headed by what was fitted."""
    lines = [f"# Calibrated by guardsim calibrate from {calibration.records} run record(s)."]
    for s in calibration.settings:
        mark = "" if s.applied else " (fitted, not applied)"
        lines.append(f"#   {s.path}: {_brief(s.after)} from {s.source}{mark}")
    body = yaml.safe_dump(calibrated.to_dict(), sort_keys=False, allow_unicode=True, width=100)
    return "\n".join(lines) + "\n" + body


def _brief(value: Any) -> str:
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {v}" for k, v in value.items()) + "}"
    return str(value)
