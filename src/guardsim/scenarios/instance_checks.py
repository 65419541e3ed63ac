"""Checks of alarms on the instance metrics (``/aws/sagemaker/Endpoints``), with field paths.

Errors (guardsim cannot simulate them):
  * an extended statistic (pNN, TM, ...) of an instance metric: guardsim publishes one sample
    per instance per minute and simulates their statistic sets only (SampleCount, Sum,
    Average, Minimum, Maximum);
  * an alarm reading the instance metrics of a fleet whose instance type guardsim does not
    know, with no ``models.<fleet>.instance_metrics.vcpus``: the range of CPUUtilization
    depends on the vCPUs (https://docs.aws.amazon.com/sagemaker/latest/dg/monitoring-cloudwatch.html).

Warnings: a GPU metric on fleets none of which has GPUs (SageMaker publishes GPU metrics on GPU
instance types only; the alarm sees no data).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from guardsim.cloudwatch.binding import bind_dimensions, bind_source
from guardsim.errors import Problem, StatisticError
from guardsim.model.instance_metrics import resolve
from guardsim.model.metrics import GPU_INSTANCE_METRICS, INSTANCE_METRICS, INSTANCE_NAMESPACE
from guardsim.scenarios.boto import MetricAlarm
from guardsim.scenarios.fields import join
from guardsim.scenarios.models import Models
from guardsim.scenarios.scenario import Endpoint


def _queries(alarm: MetricAlarm, path: str) -> Iterator[tuple[str, Any, Any, dict[Any, Any], Any]]:
    """(path, namespace, metric, dimensions, statistic) of each metric the alarm reads."""
    if alarm.metrics is None:
        yield path, alarm.namespace, alarm.metric_name, alarm.dimension_map(), alarm.statistic_name
        return
    for i, q in enumerate(alarm.metrics):
        stat = q.get("MetricStat")
        metric = stat.get("Metric") if isinstance(stat, Mapping) else None
        if not isinstance(metric, Mapping):
            continue
        dims = {d["Name"]: d["Value"] for d in metric.get("Dimensions") or () if d}
        where = join(join(join(path, "Metrics"), i), "MetricStat")
        assert isinstance(stat, Mapping)
        yield where, metric.get("Namespace"), metric.get("MetricName"), dims, stat.get("Stat")


def check_instance_metric_alarms(
    alarms: Sequence[MetricAlarm],
    positions: Sequence[int],
    endpoint: Endpoint | None,
    models: Models | None,
) -> list[Problem]:
    """Every problem of the alarms' instance-metric queries (see the module docstring)."""
    problems: list[Problem] = []
    if endpoint is None or models is None:
        return problems
    for i, alarm in zip(positions, alarms, strict=True):
        for where, namespace, metric, dims, stat in _queries(alarm, join("alarms", i)):
            if namespace != INSTANCE_NAMESPACE or metric not in INSTANCE_METRICS or stat is None:
                continue
            try:
                src = bind_source(namespace, metric, dims, stat, endpoint, None, models)
            except StatisticError:
                continue  # reported by the alarm's own checks
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
