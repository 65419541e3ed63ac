"""A run record per UpdateEndpoint and per UpdateInferenceComponent of the emulator (the
format ``guardsim report`` and ``guardsim compare`` read: :mod:`guardsim.record`).

Times are seconds after the UpdateEndpoint (UpdateInferenceComponent) call, as in every run
record. The datapoints are the endpoint's published per-minute SageMaker metrics from the
update's start to its end, under ``blended`` (EndpointName, VariantName), ``blue`` and
``green`` (with the old or the new EndpointConfigName), each labelled ``VARIANT:blended`` etc.
on a multi-variant endpoint (whose every variant's fleets bill, as in the engines); for a
component, its own series
(``InferenceComponentName``, which blends its old and new copies) under ``blended``. A
component's record is in the unit view every engine runs (one unit per copy, billed at the
copy's share of an instance: :func:`guardsim.deployment.components.unit_price`).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from guardsim import __version__
from guardsim.cloudwatch.statistics import compute_from_samples
from guardsim.emulator.metrics import MINUTE, series_key
from guardsim.model.metrics import LATENCY_METRICS, METRICS, NAMESPACE
from guardsim.record import DATAPOINT_COLUMNS, RunRecord, Summary

if TYPE_CHECKING:
    from guardsim.emulator.components import ComponentUpdate, LiveComponent
    from guardsim.emulator.core import Emulator, _Endpoint, _Update
    from guardsim.emulator.deployment import LiveRun


@dataclass(kw_only=True)
class Served:
    """What an update's new fleet (or new copies) served and its callers got, counted as the
    emulator serves them: the run record's blast radius, user errors and peak green share. The
    base of both kinds of update (UpdateEndpoint's and UpdateInferenceComponent's)."""

    green_requests: int = 0
    green_errors: int = 0
    user_errors: int = 0
    peak_green: float = 0.0

    def counts(self) -> tuple[int, int, int, float]:
        return (self.green_requests, self.green_errors, self.user_errors, self.peak_green)


def build_record(em: Emulator, ep: _Endpoint, up: _Update) -> RunRecord:
    run = up.run
    controller = run.controller
    assert controller is not None
    start = up.start
    end = controller.finished_at if controller.finished_at is not None else em.now()
    labels = {"blended": None, "blue": up.old_config, "green": up.new_config}
    views = {}
    multi = len(run.lanes) > 1
    for lane in run.lanes:  # a multi-variant endpoint's labelled VARIANT:blended|blue|green
        for label, config in labels.items():
            dims = {"EndpointName": ep.name, "VariantName": lane.variant_name}
            if config is not None:
                dims["EndpointConfigName"] = config
            views[f"{lane.variant_name}:{label}" if multi else label] = dims
    env = em.world.environment

    def price(lane: LiveRun, fleet: str) -> float:
        assert lane.lane_scenario is not None
        return env.price_per_hour(getattr(lane.lane_scenario.endpoint, fleet).instance_type)

    counts = up.counts()
    return _record(em, run, start, end, views, price, counts, ep.name)


def build_component_record(em: Emulator, c: LiveComponent, up: ComponentUpdate) -> RunRecord:
    """The record of one UpdateInferenceComponent (see the module doc)."""
    from guardsim.deployment.components import plan_component, unit_price

    run = up.run
    controller = run.controller
    assert controller is not None
    end = controller.finished_at if controller.finished_at is not None else em.now()
    ic = run.scenario.inference_component
    assert ic is not None
    env = em.world.environment
    price = unit_price(plan_component(ic, env), env.price_per_hour(ic.instance_type))
    counts = up.counts()
    views = {"blended": {"InferenceComponentName": c.name}}
    return _record(em, run, up.start, end, views, lambda _, __: price, counts, c.name)


def _record(
    em: Emulator,
    run: LiveRun,
    start: float,
    end: float,
    views: dict[str, dict[str, str]],
    price: Callable[[LiveRun, str], float],
    counts: tuple[int, int, int, float],
    scenario_name: str,
) -> RunRecord:
    controller = run.controller
    assert controller is not None

    def rel(t: float | None) -> float | None:
        return None if t is None else float(t) - start

    names = set(controller.config.rollback_alarm_names)
    history = [
        {"t": t - start, "alarm": a.name, "from": old, "to": new, "reason": reason}
        for a in em.alarms.values()
        if a.name in names
        for t, old, new, reason in a.history
        if start <= t <= end
    ]
    history.sort(key=lambda h: (h["t"], h["alarm"]))
    cols: dict[str, list[Any]] = {c: [] for c in DATAPOINT_COLUMNS}
    first = math.floor(start / MINUTE) * MINUTE
    for metric in METRICS:
        for label, dims in views.items():
            key = series_key(NAMESPACE, metric, dims)
            m = first
            while m < end:
                raw, _, _ = em.metrics.samples(key, m, m + MINUTE, math.inf)
                if raw:
                    arr = np.asarray(raw, dtype=np.float64)
                    latency = metric in LATENCY_METRICS
                    cols["metric"].append(metric)
                    cols["dimensions"].append(label)
                    cols["timestamp"].append(m - start)
                    cols["published_at"].append(em.metrics.published_at(m) - start)
                    cols["sample_count"].append(int(arr.size))
                    cols["sum"].append(float(arr.sum()))
                    cols["minimum"].append(float(arr.min()))
                    cols["maximum"].append(float(arr.max()))
                    cols["p50"].append(compute_from_samples("p50", arr) if latency else None)
                    cols["p99"].append(compute_from_samples("p99", arr) if latency else None)
                m += MINUTE
    instance_seconds = cost = 0.0
    for lane in run.lanes:  # every variant's fleets bill
        bill = lane.fleets.bill(
            start,
            end,
            em.world.environment.billing_granularity_seconds,
            functools.partial(price, lane),
        )
        instance_seconds += float(bill.instance_seconds)
        cost += float(bill.cost_usd)
    green_requests, green_errors, user_errors, peak_green = counts
    outcome = controller.outcome or "FAILED"
    summary = Summary(
        deployment_seconds=end - start,
        detected_at_seconds=rel(controller.detected_at),
        rollback_started_seconds=rel(controller.rollback_started),
        rollback_completed_seconds=rel(controller.rollback_completed),
        tripped_alarms=tuple(controller.tripped),
        green_requests=green_requests,
        green_errors=green_errors,
        user_errors=user_errors,
        peak_green_traffic_fraction=peak_green,
        instance_seconds=instance_seconds,
        cost_usd=cost,
    )
    definition = run.scenario.to_dict()
    definition.pop("real", None)
    definition["alarms"] = [
        dict(em.alarms[n].params) for n in controller.config.rollback_alarm_names if n in em.alarms
    ]
    return RunRecord(
        scenario=scenario_name,
        seed=em.world.seed,
        mode="emulated",
        guardsim_version=__version__,
        outcome=outcome,  # type: ignore[arg-type]
        summary=summary,
        transitions=tuple(
            t.to_data() | {"t": t.time - start} for t in controller.machine.transitions
        ),
        traffic=tuple(run.traffic),
        instances=tuple(
            {
                "fleet": i.fleet,
                "launched_at": i.launched_at - start,
                "ready_at": i.ready_at - start,
                "activated_at": rel(i.activated_at),
                "terminated_at": rel(i.terminated_at),
            }
            for lane in run.lanes
            for i in lane.fleets.instances
        ),
        alarm_history=tuple(history),
        datapoints=cols,
        scenario_definition=definition,
        notes=tuple(run.notes),
    )


def write_record(em: Emulator, ep: _Endpoint, up: _Update, directory: Path) -> Path:
    """Write the update's record as ``<endpoint>-update-<n>.json``; returns its path."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{ep.name}-update-{up.number}.json"
    path.write_text(build_record(em, ep, up).to_json(), encoding="utf-8")
    return path


def write_component_record(
    em: Emulator, c: LiveComponent, up: ComponentUpdate, directory: Path
) -> Path:
    """Write the component update's record as ``<component>-update-<n>.json``."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{c.name}-update-{up.number}.json"
    path.write_text(build_component_record(em, c, up).to_json(), encoding="utf-8")
    return path


__all__ = ["build_component_record", "build_record", "write_component_record", "write_record"]
