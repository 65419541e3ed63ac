"""``guardsim real import``: a scenario built from a live endpoint (read-only).

What it reads, and where each part of the scenario comes from:

* ``DescribeEndpoint``: the endpoint's name, its current config (``endpoint.blue``), the config
  of an update in progress (``PendingDeploymentSummary``, ``endpoint.green``; with no update in
  progress the green config is a copy of the blue one) and ``LastDeploymentConfig``
  (``deployment_config``);
* ``DescribeEndpointConfig``: both configs, as ``create_endpoint_config`` arguments;
* ``DescribeAlarms``: the alarms ``AutoRollbackConfiguration`` names, as ``put_metric_alarm``
  arguments (an alarm guardsim cannot simulate, or one that does not exist, is left out and
  said so in the description);
* ``GetMetricData`` over the last ``days`` days: the ``Invocations`` Sum per minute
  (EndpointName+VariantName) becomes ``traffic.replay_file``; ModelLatency and OverheadLatency
  p50 and p99 and the Average of Invocation4XXErrors and Invocation5XXErrors of each config
  (EndpointConfigName dimension, or the endpoint's blend when a config has no data of its own)
  become ``models.blue`` and ``models.green``.

With ``history_days`` (``--history DAYS``), also the recorded per-period metrics of each view
(the blend and each config's ``EndpointConfigName``) over the last ``history_days`` days, as a
history file (:mod:`guardsim.model.history`: :func:`fetch_history`), which the scenario's
``models.blue.history`` then replays (and ``models.green.history_transform``, the identity, makes
the new model follow the same recording until the user transforms it).

The pure part (:func:`scenario_data`, :func:`model_from_stats`, :func:`replay_counts`,
:func:`history_csv`) builds plain data that :func:`guardsim.scenarios.scenario_from_dict`
validates.
"""

from __future__ import annotations

import math
import re
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from guardsim.errors import ArgumentError, AWSError
from guardsim.real_backend.clients import ClientFactory, call
from guardsim.real_backend.clock import Clock
from guardsim.real_backend.collect import get_metric_data
from guardsim.scenarios.boto import EVALUATED_ALARM_KEYS, PASSTHROUGH_ALARM_KEYS
from guardsim.scenarios.boto_shapes import input_shape, shape

#: CloudWatch keeps 1-minute data 15 days and 5-minute data 63 days.
MAX_DAYS = 63.0
ONE_MINUTE_DAYS = 15.0


@dataclass(frozen=True)
class LiveEndpoint:
    """What the read-only calls returned (boto3 response dicts)."""

    describe: Mapping[str, Any]
    current_config: Mapping[str, Any]
    pending_config: Mapping[str, Any] | None
    alarms: tuple[Mapping[str, Any], ...]
    missing_alarms: tuple[str, ...]

    @property
    def name(self) -> str:
        return str(self.describe["EndpointName"])

    @property
    def deployment_config(self) -> Mapping[str, Any] | None:
        dc = self.describe.get("LastDeploymentConfig")
        return dc if dc else None

    @property
    def rollback_alarm_names(self) -> tuple[str, ...]:
        dc = self.deployment_config or {}
        alarms = (dc.get("AutoRollbackConfiguration") or {}).get("Alarms") or []
        return tuple(str(a["AlarmName"]) for a in alarms if "AlarmName" in a)


def read_live_endpoint(clients: ClientFactory, endpoint: str) -> LiveEndpoint:
    """DescribeEndpoint, DescribeEndpointConfig (current and pending) and DescribeAlarms."""
    sm, cw = clients("sagemaker"), clients("cloudwatch")
    desc = call(sm, "describe_endpoint", EndpointName=endpoint)
    current = call(sm, "describe_endpoint_config", EndpointConfigName=desc["EndpointConfigName"])
    pending_summary = desc.get("PendingDeploymentSummary")
    pending = None
    if pending_summary:
        pending = call(
            sm,
            "describe_endpoint_config",
            EndpointConfigName=pending_summary["EndpointConfigName"],
        )
    live = LiveEndpoint(desc, current, pending, (), ())
    names = live.rollback_alarm_names
    alarms: list[Mapping[str, Any]] = []
    if names:
        found = call(cw, "describe_alarms", AlarmNames=list(names))
        alarms = [a for a in found.get("MetricAlarms", []) if a.get("AlarmName") in names]
    got = {a["AlarmName"] for a in alarms}
    return LiveEndpoint(
        desc, current, pending, tuple(alarms), tuple(n for n in names if n not in got)
    )


# --------------------------------------------------------------------------- pure builders


def endpoint_config_args(described: Mapping[str, Any]) -> dict[str, Any]:
    """``create_endpoint_config`` arguments from a ``describe_endpoint_config`` response."""
    members = shape("sagemaker", "ProductionVariant").members
    variants = [
        {k: v for k, v in variant.items() if k in members}
        for variant in described.get("ProductionVariants", [])
    ]
    return {"EndpointConfigName": described["EndpointConfigName"], "ProductionVariants": variants}


def alarm_args(alarm: Mapping[str, Any]) -> dict[str, Any] | None:
    """``put_metric_alarm`` arguments from a DescribeAlarms ``MetricAlarm`` (None: an alarm
    guardsim cannot simulate, a PromQL alarm). An anomaly-detection alarm is kept: its
    ``ThresholdMetricId`` and band expression come along (guardsim.model.anomaly)."""
    if alarm.get("EvaluationCriteria"):
        return None
    members = input_shape("cloudwatch", "PutMetricAlarm").members
    keep = (set(EVALUATED_ALARM_KEYS) | set(PASSTHROUGH_ALARM_KEYS)) - {"Tags"}
    out: dict[str, Any] = {}
    for key, value in alarm.items():
        if key in keep and key in members and value is not None and value != []:
            out[key] = value
    if "Threshold" in out:
        out["Threshold"] = float(out["Threshold"])
    return out


def _rate(x: float | None) -> float:
    return 0.0 if x is None or not math.isfinite(x) else min(1.0, max(0.0, x))


def model_from_stats(stats: Mapping[str, float | None]) -> dict[str, Any]:
    """A ``models.blue``/``models.green`` section from CloudWatch statistics.

    ``stats`` keys: ``ModelLatency.p50``, ``ModelLatency.p99``, ``OverheadLatency.p50``,
    ``OverheadLatency.p99`` (microseconds, as SageMaker publishes them),
    ``Invocation4XXErrors.Average`` and ``Invocation5XXErrors.Average`` (fractions).
    """
    model: dict[str, Any] = {}
    for metric, key in (("ModelLatency", "latency"), ("OverheadLatency", "overhead_latency")):
        p50, p99 = stats.get(f"{metric}.p50"), stats.get(f"{metric}.p99")
        if p50 is not None and p50 > 0 and math.isfinite(p50):
            median = p50 / 1000.0
            high = p99 / 1000.0 if p99 is not None and math.isfinite(p99) else median
            model[key] = {"median_ms": round(median, 6), "p99_ms": round(max(high, median), 6)}
    e5 = _rate(stats.get("Invocation5XXErrors.Average"))
    e4 = min(_rate(stats.get("Invocation4XXErrors.Average")), 1.0 - e5)
    if e5:
        model["error_rate_5xx"] = round(e5, 9)
    if e4:
        model["error_rate_4xx"] = round(e4, 9)
    return model


def replay_counts(
    points: Sequence[tuple[float, float]], start: float, end: float, period: int
) -> tuple[float, ...]:
    """Per-minute request counts from Invocations Sum datapoints (``period`` 60 or 300 s).

    The replay starts at the first minute with data and ends at the last; minutes with no
    datapoint had no requests (see aws-model.md#invocation-metrics); a 5-minute sum is spread evenly
    over its minutes.
    """
    minutes: dict[int, float] = {}
    for ts, value in points:
        if not start <= ts < end:
            continue
        first = int((ts - start) // 60)
        per = period // 60
        for k in range(per):
            minutes[first + k] = minutes.get(first + k, 0.0) + value / per
    if not minutes:
        return ()
    lo, hi = min(minutes), max(minutes)
    return tuple(round(minutes.get(m, 0.0), 6) for m in range(lo, hi + 1))


def scenario_name(endpoint: str) -> str:
    return "imported-" + re.sub(r"[^A-Za-z0-9-]+", "-", endpoint)


def scenario_data(
    live: LiveEndpoint,
    *,
    name: str | None = None,
    description: str = "",
    traffic: Mapping[str, Any] | None = None,
    models: Mapping[str, Any] | None = None,
) -> tuple[dict[str, Any], list[str]]:
    """Scenario file data from a live endpoint, and notes on what could not be carried over."""
    notes: list[str] = []
    blue = endpoint_config_args(live.current_config)
    data: dict[str, Any] = {
        "name": name or scenario_name(live.name),
        "description": description,
        "endpoint": {"name": live.name, "blue": blue},
    }
    if live.pending_config is not None:
        data["endpoint"]["green"] = endpoint_config_args(live.pending_config)
    else:
        notes.append("no update in progress: endpoint.green is a copy of the current config")
    alarms = []
    unsupported = []
    for alarm in live.alarms:
        args = alarm_args(alarm)
        if args is None:
            unsupported.append(str(alarm["AlarmName"]))
        else:
            alarms.append(args)
    for n in live.missing_alarms:
        notes.append(
            f"rollback alarm {n} was not found as a metric alarm (composite alarms are "
            "not simulated); left out"
        )
    for n in unsupported:
        notes.append(f"rollback alarm {n} is a PromQL alarm; left out")
    skipped = set(live.missing_alarms) | set(unsupported)
    dc = live.deployment_config
    if dc is None:
        notes.append("no LastDeploymentConfig: deployment_config left at its default (ALL_AT_ONCE)")
        data["deployment_config"] = {}
    else:
        config = {
            k: v for k, v in dc.items() if k in shape("sagemaker", "DeploymentConfig").members
        }
        data["deployment_config"] = without_alarms(config, skipped)
    data["alarms"] = alarms
    return with_behaviour(data, models, traffic), notes


def without_alarms(config: dict[str, Any], skipped: Collection[str]) -> dict[str, Any]:
    """``config`` (a deployment config) with the ``skipped`` alarms left out of its
    AutoRollbackConfiguration, and that dropped when no alarm is left."""
    arc = config.get("AutoRollbackConfiguration")
    if arc and arc.get("Alarms"):
        kept = [a for a in arc["Alarms"] if a.get("AlarmName") not in skipped]
        if kept:
            config["AutoRollbackConfiguration"] = {**arc, "Alarms": kept}
        else:
            config.pop("AutoRollbackConfiguration")
    return config


def with_behaviour(
    data: dict[str, Any],
    models: Mapping[str, Any] | None,
    traffic: Mapping[str, Any] | None,
) -> dict[str, Any]:
    """Scenario ``data`` with the ``models`` and ``traffic`` sections, when given."""
    if models:
        data["models"] = dict(models)
    if traffic:
        data["traffic"] = dict(traffic)
    return data


# --------------------------------------------------------------------------- reading metrics


def _stat_query(
    qid: str, metric: str, dims: Sequence[tuple[str, str]], stat: str, period: int
) -> dict[str, Any]:
    return {
        "Id": qid,
        "MetricStat": {
            "Metric": {
                "Namespace": "AWS/SageMaker",
                "MetricName": metric,
                "Dimensions": [{"Name": n, "Value": v} for n, v in dims],
            },
            "Period": period,
            "Stat": stat,
        },
        "ReturnData": True,
    }


_STATS = (
    ("ModelLatency", "p50"),
    ("ModelLatency", "p99"),
    ("OverheadLatency", "p50"),
    ("OverheadLatency", "p99"),
    ("Invocation4XXErrors", "Average"),
    ("Invocation5XXErrors", "Average"),
)


@dataclass(frozen=True)
class Imported:
    """An imported scenario (plain data), its traffic replay and what could not be carried."""

    scenario: dict[str, Any]
    replay: tuple[float, ...]
    notes: tuple[str, ...]
    #: The history file's text (``history_days`` asked for and some data found), else None.
    history: str | None = None


# --------------------------------------------------------------------------- history

#: GetMetricData returns at most 100,800 datapoints per call (and takes at most 500 queries:
#: :data:`guardsim.real_backend.collect.MAX_QUERIES`), so a long window is read in slices
#: of whole periods: https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_GetMetricData.html
MAX_DATAPOINTS = 100_800


def history_period(days: float) -> int:
    """The period of ``days`` of history: 60 s up to 15 days, else 300 s (CloudWatch keeps
    1-minute data 15 days and 5-minute data 63 days:
    https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/cloudwatch_concepts.html#metrics-retention)."""
    return 60 if days <= ONE_MINUTE_DAYS else 300


def import_window(clock: Clock, days: float) -> tuple[float, float, int]:
    """``(start, end, period_minutes)`` of an import of the last ``days``: ending at the last
    whole minute, in whole periods of :func:`history_period`."""
    end = math.floor(clock.now() / 60.0) * 60.0
    period_minutes = history_period(days) // 60
    start = end - round(days * 86400.0 / (60 * period_minutes)) * 60 * period_minutes
    return start, end, period_minutes


def fetch_statistics(
    cw: Any, queries: list[dict[str, Any]], start: float, end: float
) -> tuple[dict[str, Any], list[str]]:
    """The import's GetMetricData results, and a note instead when CloudWatch refuses (the
    scenario is still built, with default models and traffic)."""
    try:
        return get_metric_data(cw, queries, start, end), []
    except AWSError as exc:
        return {}, [f"no CloudWatch statistics ({exc}); models and traffic left at defaults"]


def history_queries(
    views: Mapping[str, Sequence[tuple[str, str]]], period: int
) -> tuple[list[dict[str, Any]], dict[str, tuple[str, int]]]:
    """One query per view and :data:`guardsim.model.history.STATISTICS` entry, and
    ``{query id: (view, column index)}``."""
    from guardsim.model.history import STATISTICS

    queries: list[dict[str, Any]] = []
    where: dict[str, tuple[str, int]] = {}
    for view, dims in views.items():
        for i, (metric, stat) in enumerate(STATISTICS):
            qid = f"h{len(queries)}"
            queries.append(_stat_query(qid, metric, dims, stat, period))
            where[qid] = (view, i)
    return queries, where


def history_csv(
    results: Mapping[str, Sequence[tuple[float, float]]],
    where: Mapping[str, tuple[str, int]],
    period: int,
) -> str | None:
    """Pure: query results -> the history file's text (None: no view had Invocations). Each
    view's rows run from its first to its last period with Invocations data; an empty cell is
    a period CloudWatch had no datapoint for."""
    from guardsim.model.history import COLUMNS, STATISTICS, VIEWS

    cells: dict[str, dict[float, list[str]]] = {}
    for qid, (view, i) in where.items():
        for ts, value in results.get(qid, ()):
            row = cells.setdefault(view, {}).setdefault(ts, [""] * len(STATISTICS))
            row[i] = f"{value:.6g}"
    lines = [",".join(COLUMNS)]
    for view in VIEWS:
        rows = cells.get(view, {})
        stamps = [ts for ts, row in rows.items() if row[0]]
        if not stamps:
            continue
        ts = min(stamps)
        while ts <= max(stamps):
            stamp = datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
            row = rows.get(ts, [""] * len(STATISTICS))
            lines.append(",".join([stamp, view, str(period), *row]))
            ts += period
    return "\n".join(lines) + "\n" if len(lines) > 1 else None


def fetch_history(
    cw: Any,
    views: Mapping[str, Sequence[tuple[str, str]]],
    start: float,
    end: float,
    period: int,
) -> str | None:
    """GetMetricData (read-only) over [start, end) for every view, in slices of at most
    :data:`MAX_DATAPOINTS` datapoints (every page of each: NextToken), as a history file."""
    queries, where = history_queries(views, period)
    per_slice = max(1, MAX_DATAPOINTS // len(queries)) * period
    results: dict[str, list[tuple[float, float]]] = {}
    t = start
    while t < end:
        for qid, points in get_metric_data(cw, queries, t, min(end, t + per_slice)).items():
            results.setdefault(qid, []).extend(points)
        t += per_slice
    return history_csv(results, where, period)


def import_endpoint(
    endpoint: str,
    *,
    clients: ClientFactory,
    clock: Clock,
    days: float = 1.0,
    replay_file: str = "traffic.csv",
    region: str | None = None,
    history_days: float | None = None,
    history_file: str = "history.csv",
    component: str | None = None,
) -> Imported:
    """Read a live endpoint (read-only calls only) and build a scenario from it (with
    ``history_days``, also its recorded metrics as a history file). An endpoint that hosts
    inference components gives a component update's scenario (``component``: which one;
    :mod:`.component_import`)."""
    if not 0 < days <= MAX_DAYS:
        raise ArgumentError(f"--days must be more than 0 and at most {MAX_DAYS:g}, got {days:g}")
    if history_days is not None and not 0 < history_days <= MAX_DAYS:
        raise ArgumentError(
            f"--history must be more than 0 and at most {MAX_DAYS:g} days, got {history_days:g}"
        )
    live = read_live_endpoint(clients, endpoint)
    from guardsim.real_backend.component_import import hosts_components, import_components

    if hosts_components(live.current_config):
        if history_days is not None:
            raise ArgumentError(
                f"endpoint {endpoint} hosts inference components: --history is not supported "
                "for them yet (the history file's views are the endpoint's and its configs')"
            )
        data, replay, component_notes = import_components(
            endpoint,
            live.current_config,
            clients=clients,
            clock=clock,
            component=component,
            days=days,
            replay_file=replay_file,
            region=region,
        )
        return Imported(data, replay, tuple(component_notes))
    if component is not None:
        raise ArgumentError(
            f"--component {component}: endpoint {endpoint} hosts no inference components"
        )
    cw = clients("cloudwatch")
    start, end, period_minutes = import_window(clock, days)
    variant = str(live.current_config["ProductionVariants"][0]["VariantName"])
    base = (("EndpointName", endpoint), ("VariantName", variant))
    configs = {"blue": str(live.current_config["EndpointConfigName"])}
    if live.pending_config is not None:
        configs["green"] = str(live.pending_config["EndpointConfigName"])
    queries = [_stat_query("invocations", "Invocations", base, "Sum", 60 * period_minutes)]
    window = int(end - start)
    views = {"blended": base, **{f: (*base, ("EndpointConfigName", c)) for f, c in configs.items()}}
    for view, dims in views.items():
        for i, (metric, stat) in enumerate(_STATS):
            queries.append(_stat_query(f"{view}{i}", metric, dims, stat, window))
    results, notes = fetch_statistics(cw, queries, start, end)
    history = None
    if history_days is not None:
        period = history_period(history_days)
        h_start = end - round(history_days * 86400.0 / period) * period
        history = fetch_history(cw, views, h_start, end, period)
        if history is None:
            notes.append("no Invocations data in the history window: no history file")

    def stats(view: str) -> dict[str, float | None]:
        out: dict[str, float | None] = {}
        for i, (metric, stat) in enumerate(_STATS):
            values = [v for _, v in results.get(f"{view}{i}", [])]
            out[f"{metric}.{stat}"] = values[0] if values else None
        return out

    models: dict[str, Any] = {}
    blended = stats("blended")
    for fleet in ("blue", "green"):
        own = stats(fleet) if fleet in configs else {}
        chosen = own if own.get("ModelLatency.p50") is not None else blended
        model = model_from_stats(chosen)
        if model:
            models[fleet] = model
    if "green" not in models and "blue" in models:
        models["green"] = models["blue"]
    replay = replay_counts(results.get("invocations", []), start, end, 60 * period_minutes)
    traffic: dict[str, Any] | None = None
    if replay:
        traffic = {"replay_file": replay_file}
    else:
        notes.append("no Invocations data in the window: traffic left at its default rate")
    stamp = datetime.fromtimestamp(clock.now(), UTC).strftime("%Y-%m-%d %H:%M UTC")
    where = f" in {region}" if region else ""
    description = (
        f"Imported from SageMaker endpoint {endpoint}{where} on {stamp} by guardsim real import: "
        f"configs, LastDeploymentConfig and rollback alarms as they are, traffic and model "
        f"behaviour from the last {days:g} day(s) of CloudWatch data."
    )
    data, more = scenario_data(
        live, description=description, traffic=traffic, models=models or None
    )
    if history is not None:
        models_data = data.setdefault("models", {})
        blue_data = dict(models_data.get("blue", {}))
        blue_data["history"] = {"file": history_file}
        models_data["blue"] = blue_data
        # the new model follows the old one's recording (the identity) until the user says how
        # it differs: a transform, or faults on top
        models_data["green"] = {**models_data.get("green", {}), "history_transform": {}}
    notes = more + notes
    if notes:
        data["description"] += " Notes: " + "; ".join(notes) + "."
    return Imported(data, replay, tuple(notes), history)
