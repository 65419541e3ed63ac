"""Checks of alarms on the instance metrics (``/aws/sagemaker/Endpoints``) and on the models'
custom metrics, with field paths.

Instance metrics. Errors (guardsim cannot simulate them):
  * an extended statistic (pNN, TM, ...) of an instance metric: guardsim publishes one sample
    per instance per minute and simulates their statistic sets only (SampleCount, Sum,
    Average, Minimum, Maximum);
  * an alarm reading the instance metrics of a fleet whose instance type guardsim does not
    know, with no ``models.<fleet>.instance_metrics.vcpus``: the range of CPUUtilization
    depends on the vCPUs (https://docs.aws.amazon.com/sagemaker/latest/dg/monitoring-cloudwatch.html).

Warnings: a GPU metric on fleets none of which has GPUs (SageMaker publishes GPU metrics on GPU
instance types only; the alarm sees no data).

Custom metrics (:mod:`guardsim.model.custom_metrics`). Errors: an extended statistic of one
(guardsim keeps their statistic sets only); a Period under 60 s on a high-resolution custom
metric (StorageResolution 1: guardsim buckets samples by minute); a fleet publishing the same
series twice. An alarm that reads a custom series is not warned about as "sees no data" (the
generic namespace warning is dropped for it).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from guardsim.cloudwatch.binding import bind_dimensions, bind_source
from guardsim.cloudwatch.statistics import parse_statistic
from guardsim.errors import Problem, StatisticError
from guardsim.model.custom_metrics import matching, name_of
from guardsim.model.instance_metrics import resolve
from guardsim.model.metrics import GPU_INSTANCE_METRICS, INSTANCE_METRICS, INSTANCE_NAMESPACE
from guardsim.scenarios.boto import MetricAlarm
from guardsim.scenarios.fields import join
from guardsim.scenarios.models import CustomMetric, Models
from guardsim.scenarios.scenario import Endpoint

Query = tuple[str, Any, Any, dict[Any, Any], Any, Any]


def _queries(alarm: MetricAlarm, path: str) -> Iterator[Query]:
    """(path, namespace, metric, dimensions, statistic, period) of each metric the alarm
    reads."""
    if alarm.metrics is None:
        dims = alarm.dimension_map()
        stat = alarm.statistic_name
        yield path, alarm.namespace, alarm.metric_name, dims, stat, alarm.period
        return
    for i, q in enumerate(alarm.metrics):
        stat = q.get("MetricStat")
        metric = stat.get("Metric") if isinstance(stat, Mapping) else None
        if not isinstance(metric, Mapping):
            continue
        dims = {d["Name"]: d["Value"] for d in metric.get("Dimensions") or () if d}
        where = join(join(join(path, "Metrics"), i), "MetricStat")
        assert isinstance(stat, Mapping)
        namespace, name = metric.get("Namespace"), metric.get("MetricName")
        yield where, namespace, name, dims, stat.get("Stat"), stat.get("Period")


def check_metric_alarms(
    problems: Sequence[Problem],
    alarms: Sequence[MetricAlarm],
    positions: Sequence[int],
    endpoint: Endpoint | None,
    models: Models | None,
) -> list[Problem]:
    """``problems`` (the scenario's so far) with those of the alarms' instance- and
    custom-metric queries added (see the module docstring)."""
    out = list(problems)
    if endpoint is None or models is None:
        return out
    out += _duplicate_series(models)
    for i, alarm in zip(positions, alarms, strict=True):
        for where, namespace, metric, dims, stat, period in _queries(alarm, join("alarms", i)):
            if stat is None:
                continue
            custom = [
                m
                for f in ("blue", "green")
                if (m := matching(getattr(models, f).custom_metrics, namespace, metric, dims))
            ]
            if custom:
                out = [p for p in out if not _no_data_warning(p, where)]
                out += _check_custom(alarm, where, stat, period, custom)
                continue
            if namespace != INSTANCE_NAMESPACE or metric not in INSTANCE_METRICS:
                continue
            out += _check_instance(alarm, where, namespace, metric, dims, stat, endpoint, models)
    return out


def _no_data_warning(p: Problem, where: str) -> bool:
    """The generic "sees no data" warning of a query's namespace or metric name."""
    return (
        p.severity == "warning"
        and p.path in (join(where, "Namespace"), join(where, "Metric.Namespace"))
        and "sees no data" in p.message
    )


def _duplicate_series(models: Models) -> list[Problem]:
    problems = []
    for fleet in ("blue", "green"):
        seen: set[str] = set()
        for k, m in enumerate(getattr(models, fleet).custom_metrics):
            name = name_of(m)
            if name in seen:
                problems.append(
                    Problem(
                        f"models.{fleet}.custom_metrics[{k}]",
                        f"the same series ({m.namespace}/{m.metric_name} with these dimensions) "
                        "is defined twice for this model",
                    )
                )
            seen.add(name)
    return problems


def _check_custom(
    alarm: MetricAlarm, where: str, stat: str, period: Any, custom: list[CustomMetric]
) -> list[Problem]:
    problems: list[Problem] = []
    try:
        spec = parse_statistic(stat)
    except StatisticError:
        return problems  # reported by the alarm's own checks
    if not spec.is_basic:
        key = "ExtendedStatistic" if alarm.metrics is None else "Stat"
        problems.append(
            Problem(
                join(where, key),
                f"guardsim keeps a custom metric's statistic sets only and simulates its basic "
                f"statistics (SampleCount, Sum, Average, Minimum, Maximum), not {stat}",
            )
        )
    if isinstance(period, int) and period < 60 and any(m.storage_resolution == 1 for m in custom):
        problems.append(
            Problem(
                join(where, "Period"),
                f"a Period of {period} s on a high-resolution custom metric (StorageResolution "
                "1) is not simulated: guardsim buckets samples by minute",
            )
        )
    return problems


def _check_instance(
    alarm: MetricAlarm,
    where: str,
    namespace: str,
    metric: str,
    dims: dict[Any, Any],
    stat: str,
    endpoint: Endpoint,
    models: Models,
) -> list[Problem]:
    problems: list[Problem] = []
    try:
        src = bind_source(namespace, metric, dims, stat, endpoint, None, models)
    except StatisticError:
        return problems  # reported by the alarm's own checks
    if not src.spec.is_basic:
        key = "ExtendedStatistic" if alarm.metrics is None else "Stat"
        problems.append(
            Problem(
                join(where, key),
                f"guardsim publishes {metric} as one sample per instance per minute "
                "and simulates its basic statistics only (SampleCount, Sum, Average, "
                f"Minimum, Maximum), not {stat}",
            )
        )
    fleets = bind_dimensions(metric, dims, src.spec, endpoint, None)
    for fleet in fleets.fleets:
        settings = getattr(models, fleet).instance_metrics
        if resolve(getattr(endpoint, fleet).instance_type, settings) is None:
            problems.append(
                Problem(
                    f"models.{fleet}.instance_metrics.vcpus",
                    f"{where} reads {metric} of instance type "
                    f"{getattr(endpoint, fleet).instance_type!r}, which guardsim does "
                    "not know: set vcpus (and gpus) for it",
                )
            )
    if metric in GPU_INSTANCE_METRICS and fleets.fleets and not src.fleets:
        problems.append(
            Problem(
                join(where, "MetricName") if alarm.metrics is None else where,
                f"SageMaker publishes {metric} on GPU instance types only, and no "
                "fleet it reads has GPUs; the alarm sees no data",
                "warning",
            )
        )
    return problems
