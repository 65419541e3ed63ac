"""How the blue (current) and green (new) models behave: latency, errors and faults.

Latency is lognormal, given by its median and p99 in **milliseconds** (SageMaker publishes
``ModelLatency`` in microseconds; guardsim converts). Errors are per-request probabilities split
into 4XX and 5XX as the model's status code decides (see aws-model.md#invoke-errors). Faults change
that behaviour over time, with load, or on freshly started instances.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from functools import cache
from types import MappingProxyType
from typing import Any, Literal

from guardsim.errors import Problem
from guardsim.scenarios.distributions import Distribution
from guardsim.scenarios.fields import doc, dump_value, join


@cache
def standard_units() -> tuple[str, ...]:
    """CloudWatch's units, from botocore's service model (PutMetricData's StandardUnit);
    loaded when a custom metric is first checked, not at import."""
    from guardsim.scenarios.boto_shapes import shape

    return tuple(shape("cloudwatch", "StandardUnit").enum)


RATE = doc("a probability per request, 0 to 1", min=0.0, max=1.0)


def _rates_ok(path: str, rate_4xx: float, rate_5xx: float, k4: str, k5: str) -> list[Problem]:
    if rate_4xx + rate_5xx > 1.0 + 1e-12:
        return [Problem(join(path, k5), f"{k4} + {k5} must be <= 1, got {rate_4xx + rate_5xx:g}")]
    return []


@dataclass(frozen=True)
class Latency:
    """Lognormal latency in milliseconds, given by its median and 99th percentile."""

    median_ms: float = field(default=5.0, metadata=doc("median latency in ms", exclusive_min=0.0))
    p99_ms: float = field(
        default=20.0, metadata=doc("99th percentile latency in ms", exclusive_min=0.0)
    )

    def check(self, path: str) -> list[Problem]:
        if self.p99_ms < self.median_ms:
            return [
                Problem(
                    join(path, "p99_ms"),
                    f"must be >= median_ms ({self.median_ms:g}), got {self.p99_ms:g}",
                )
            ]
        return []


@dataclass(frozen=True)
class ErrorFault:
    """Extra errors from ``after_seconds`` after UpdateEndpoint until ``until_seconds``."""

    kind: Literal["errors"]
    rate_5xx: float = field(default=0.0, metadata=RATE)
    rate_4xx: float = field(default=0.0, metadata=RATE)
    after_seconds: float = field(default=0.0, metadata=doc("onset, seconds after UpdateEndpoint"))
    until_seconds: float | None = field(default=None, metadata=doc("end (null: never ends)"))

    def check(self, path: str) -> list[Problem]:
        return _rates_ok(path, self.rate_4xx, self.rate_5xx, "rate_4xx", "rate_5xx") + _window_ok(
            path, self.after_seconds, self.until_seconds
        )


@dataclass(frozen=True)
class LatencyFault:
    """Latency degradation: latency x ``multiplier`` + ``add_ms`` during the window."""

    kind: Literal["latency"]
    multiplier: float = field(default=1.0, metadata=doc("latency multiplier", exclusive_min=0.0))
    add_ms: float = field(default=0.0, metadata=doc("milliseconds added to every request", min=0.0))
    after_seconds: float = field(default=0.0, metadata=doc("onset, seconds after UpdateEndpoint"))
    until_seconds: float | None = field(default=None, metadata=doc("end (null: never ends)"))

    def check(self, path: str) -> list[Problem]:
        return _window_ok(path, self.after_seconds, self.until_seconds)


@dataclass(frozen=True)
class LoadErrorFault:
    """Errors only while an instance's utilisation (load / capacity) is above a level."""

    kind: Literal["load_errors"]
    above_utilization: float = field(
        default=0.8, metadata=doc("utilisation level, 0 to 1+", min=0.0)
    )
    rate_5xx: float = field(default=0.0, metadata=RATE)
    rate_4xx: float = field(default=0.0, metadata=RATE)

    def check(self, path: str) -> list[Problem]:
        return _rates_ok(path, self.rate_4xx, self.rate_5xx, "rate_4xx", "rate_5xx")


@dataclass(frozen=True)
class WarmupFault:
    """Errors and slowness on an instance for its first ``duration_seconds`` of traffic."""

    kind: Literal["warmup"]
    duration_seconds: float = field(
        default=60.0, metadata=doc("warm-up length per instance", exclusive_min=0.0)
    )
    rate_5xx: float = field(default=0.0, metadata=RATE)
    rate_4xx: float = field(default=0.0, metadata=RATE)
    latency_multiplier: float = field(
        default=1.0, metadata=doc("latency multiplier while warming", exclusive_min=0.0)
    )

    def check(self, path: str) -> list[Problem]:
        return _rates_ok(path, self.rate_4xx, self.rate_5xx, "rate_4xx", "rate_5xx")


def _window_ok(path: str, after: float, until: float | None) -> list[Problem]:
    if until is not None and until <= after:
        return [
            Problem(
                join(path, "until_seconds"), f"must be > after_seconds ({after:g}), got {until:g}"
            )
        ]
    return []


Fault = ErrorFault | LatencyFault | LoadErrorFault | WarmupFault


@dataclass(frozen=True)
class InstanceMetrics:
    """How one fleet's instance metrics (``/aws/sagemaker/Endpoints``) follow its load.

    AWS documents what the metrics measure, not how a model loads an instance, so this is
    guardsim's own model (see aws-model.md#instance-metrics): each instance's busy requests
    are its share of the fleet's request-seconds in the minute (Little's law: the sum of the
    minute's ModelLatency over 60 s and the instances), and each metric is
    ``idle + per_busy_request x busy`` plus per-instance normal noise, clipped to the
    metric's documented range (CPU 0 to 100 x vCPUs, GPU 0 to 100 x GPUs, memory and disk 0
    to 100). A latency fault, or load near capacity, raises latency and so raises CPU.
    """

    cpu_idle_percent: float = field(
        default=5.0, metadata=doc("CPUUtilization of an idle instance (percent)", min=0.0)
    )
    cpu_percent_per_busy_request: float = field(
        default=100.0,
        metadata=doc("CPUUtilization added per request in service (100: one busy vCPU)", min=0.0),
    )
    memory_idle_percent: float = field(
        default=30.0,
        metadata=doc("MemoryUtilization of an idle instance (model loaded)", min=0.0, max=100.0),
    )
    memory_percent_per_busy_request: float = field(
        default=1.0, metadata=doc("MemoryUtilization added per request in service", min=0.0)
    )
    disk_percent: float = field(
        default=20.0, metadata=doc("DiskUtilization (does not follow load)", min=0.0, max=100.0)
    )
    gpu_idle_percent: float = field(
        default=0.0, metadata=doc("GPUUtilization of an idle instance (GPU types only)", min=0.0)
    )
    gpu_percent_per_busy_request: float = field(
        default=100.0,
        metadata=doc("GPUUtilization added per request in service (100: one busy GPU)", min=0.0),
    )
    gpu_memory_idle_percent: float = field(
        default=40.0,
        metadata=doc("GPUMemoryUtilization of an idle instance (model weights)", min=0.0),
    )
    gpu_memory_percent_per_busy_request: float = field(
        default=2.0, metadata=doc("GPUMemoryUtilization added per request in service", min=0.0)
    )
    noise_sd_percent: float = field(
        default=2.0,
        metadata=doc("standard deviation of each instance's per-minute noise (percent)", min=0.0),
    )
    vcpus: int | None = field(
        default=None,
        metadata=doc("vCPUs per instance (null: from the instance type table)", min=1),
    )
    gpus: int | None = field(
        default=None,
        metadata=doc("GPUs per instance (null: from the instance type table)", min=0),
    )


@dataclass(frozen=True)
class History:
    """The old model driven by a recorded metric history (``guardsim real import --history``).

    Per minute, the recording's 5XX and 4XX rates (errors / Invocations) replace the model's
    ``error_rate_5xx``/``error_rate_4xx``, and ModelLatency follows the recording's p50 (the
    model's ``latency`` gives the spread, p99 / median). Request counts still follow
    ``traffic``. See docs/how-to/replay-history.md.
    """

    file: str = field(metadata=doc("the history CSV (relative to the scenario file)"))
    start_minute: int | None = field(
        default=None,
        metadata=doc(
            "recording minute at which the run's first minute starts (null: a random minute "
            "per replication, a block bootstrap whose block is the whole run)",
            min=0,
        ),
    )
    view: Literal["auto", "blended", "blue", "green"] = field(
        default="auto",
        metadata=doc("which of the file's views drives the model (auto: blue, else blended)"),
    )


@dataclass(frozen=True)
class CustomDimension:
    """One dimension of a custom metric, as PutMetricData takes it."""

    Name: str = field(metadata=doc("dimension name"))
    Value: str = field(metadata=doc("dimension value"))


#: What a custom metric's sample is: per request, a function of its outcome; per minute, a
#: constant or a draw from ``distribution``.
CustomValue = Literal[
    "error", "error_4xx", "error_5xx", "success", "latency_ms", "constant", "distribution"
]
#: Values that are a function of one request's outcome.
PER_REQUEST_VALUES = ("error", "error_4xx", "error_5xx", "success", "latency_ms", "constant")


@dataclass(frozen=True)
class CustomMetric:
    """A metric the model's own code publishes with PutMetricData (a custom metric).

    Per request, each request's sample is a function of its outcome: ``error`` (1 if it
    returned a 4XX or 5XX, else 0), ``error_4xx``, ``error_5xx``, ``success`` (1 if not an
    error), ``latency_ms`` (its ModelLatency in milliseconds) or ``constant``. Per minute, the
    fleet publishes one sample per minute in which it served requests: ``constant`` or a draw
    from ``distribution``. PutMetricData's semantics
    (https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutMetricData.html):
    the series is the namespace, name and exact dimensions; both fleets publishing the same
    series add to it. See aws-model.md#custom-metrics for when samples become visible.
    """

    namespace: str = field(metadata=doc("CloudWatch namespace (not AWS/...)"))
    metric_name: str = field(metadata=doc("metric name"))
    dimensions: tuple[CustomDimension, ...] = field(
        default=(), metadata=doc("dimensions (Name, Value), up to 30")
    )
    unit: str = field(default="None", metadata=doc("a CloudWatch StandardUnit"))
    storage_resolution: int = field(
        default=60, metadata=doc("StorageResolution: 60 (standard) or 1 (high resolution)")
    )
    per: Literal["request", "minute"] = field(
        default="request", metadata=doc("one sample per request, or per minute")
    )
    value: CustomValue = field(default="error", metadata=doc("what each sample is"))
    constant: float = field(default=1.0, metadata=doc("the sample when value is constant"))
    distribution: Distribution | None = field(
        default=None, metadata=doc("per-minute samples' distribution (value: distribution)")
    )

    def dimension_map(self) -> dict[str, str]:
        return {d.Name: d.Value for d in self.dimensions}

    def check(self, path: str) -> list[Problem]:
        problems = []
        if self.namespace.startswith("AWS/") or not self.namespace or self.namespace[0] == ":":
            problems.append(
                Problem(
                    join(path, "namespace"),
                    "PutMetricData takes a namespace that does not begin with 'AWS/' or ':' "
                    f"(got {self.namespace!r})",
                )
            )
        if self.unit not in standard_units():
            problems.append(
                Problem(
                    join(path, "unit"),
                    f"not a CloudWatch StandardUnit: {self.unit!r} (one of "
                    f"{', '.join(standard_units())})",
                )
            )
        if self.storage_resolution not in (1, 60):
            problems.append(
                Problem(
                    join(path, "storage_resolution"),
                    f"StorageResolution is 1 or 60, got {self.storage_resolution}",
                )
            )
        if len(self.dimensions) > 30:
            problems.append(Problem(join(path, "dimensions"), "at most 30 dimensions"))
        names = [d.Name for d in self.dimensions]
        if len(set(names)) < len(names):
            problems.append(Problem(join(path, "dimensions"), "a dimension name appears twice"))
        if self.per == "request" and self.value not in PER_REQUEST_VALUES:
            problems.append(
                Problem(
                    join(path, "value"),
                    f"a per-request value is one of {', '.join(PER_REQUEST_VALUES)}",
                )
            )
        if self.per == "minute" and self.value not in ("constant", "distribution"):
            problems.append(
                Problem(join(path, "value"), "a per-minute value is constant or distribution")
            )
        if (self.value == "distribution") != (self.distribution is not None):
            problems.append(
                Problem(
                    join(path, "distribution"),
                    "set distribution exactly when value is distribution",
                )
            )
        return problems


@dataclass(frozen=True)
class RateTransform:
    """A recorded error rate made the new model's: ``rate x scale + add``, clamped to [0, 1]."""

    scale: float = field(default=1.0, metadata=doc("multiplier", min=0.0))
    add: float = field(default=0.0, metadata=doc("added after scaling", min=-1.0, max=1.0))


@dataclass(frozen=True)
class LatencyTransform:
    """A recorded ModelLatency made the new model's: ``latency x scale + add_ms``."""

    scale: float = field(default=1.0, metadata=doc("multiplier", exclusive_min=0.0))
    add_ms: float = field(default=0.0, metadata=doc("milliseconds added", min=0.0))


@dataclass(frozen=True)
class HistoryTransform:
    """The new model as a transformation of the old model's recording, minute by minute."""

    error_rate: RateTransform = field(default_factory=RateTransform, metadata=doc("the 5XX rate"))
    error_rate_4xx: RateTransform = field(
        default_factory=RateTransform, metadata=doc("the 4XX rate")
    )
    latency: LatencyTransform = field(
        default_factory=LatencyTransform, metadata=doc("ModelLatency")
    )


@dataclass(frozen=True)
class ModelBehaviour:
    """One fleet's model: latency, baseline error rates, capacity and faults."""

    latency: Latency = field(
        default_factory=Latency, metadata=doc("ModelLatency distribution (ms)")
    )
    overhead_latency: Latency = field(
        default_factory=lambda: Latency(median_ms=1.0, p99_ms=4.0),
        metadata=doc("OverheadLatency distribution (ms): SageMaker's own time per request"),
    )
    error_rate_4xx: float = field(default=0.0, metadata=RATE)
    error_rate_5xx: float = field(default=0.0, metadata=RATE)
    capacity_rps_per_instance: float | None = field(
        default=None,
        metadata=doc(
            "requests/s one instance serves before queueing; latency grows as "
            "utilisation nears 1 (null: unlimited)",
            exclusive_min=0.0,
        ),
    )
    faults: tuple[Fault, ...] = field(default=(), metadata=doc("time-varying faults"))
    instance_metrics: InstanceMetrics = field(
        default_factory=InstanceMetrics,
        metadata=doc("how CPU, memory, disk and GPU utilisation follow the load"),
    )
    custom_metrics: tuple[CustomMetric, ...] = field(
        default=(), metadata=doc("metrics the model's code publishes (PutMetricData)")
    )
    history: History | None = field(
        default=None,
        metadata=doc("models.blue only: error rates and latency follow a recorded history"),
    )
    history_transform: HistoryTransform | None = field(
        default=None,
        metadata=doc(
            "models.green only: follow models.blue's recording, transformed (faults apply on "
            "top); null: the model's own rates"
        ),
    )

    def check(self, path: str) -> list[Problem]:
        return _rates_ok(
            path, self.error_rate_4xx, self.error_rate_5xx, "error_rate_4xx", "error_rate_5xx"
        )

    def as_new_model(self) -> ModelBehaviour:
        """This (old) model as the new one, behaving alike: a recording-driven old model
        becomes a new model that follows the same recording (the identity transform)."""
        if self.history is None:
            return self
        return replace(self, history=None, history_transform=HistoryTransform())

    def to_data(self) -> dict[str, Any]:
        """Plain data, with the history fields only when set (so the scenario definition in a
        run record made without them is unchanged)."""
        out = {f.name: dump_value(getattr(self, f.name)) for f in fields(self)}
        for key in ("history", "history_transform"):
            if out[key] is None:
                del out[key]
        return out


@dataclass(frozen=True)
class VariantModels:
    """One production variant's own models, in place of ``models.blue`` / ``models.green``
    (null: the default)."""

    blue: ModelBehaviour | None = field(
        default=None, metadata=doc("this variant's current model (null: models.blue)")
    )
    green: ModelBehaviour | None = field(
        default=None, metadata=doc("this variant's new model (null: models.green)")
    )


@dataclass(frozen=True)
class Models:
    """The blue (current) and green (new) model; on a multi-variant endpoint, the default of
    every variant, with ``variants`` overriding it by VariantName."""

    blue: ModelBehaviour = field(default_factory=ModelBehaviour, metadata=doc("the current model"))
    green: ModelBehaviour = field(default_factory=ModelBehaviour, metadata=doc("the new model"))
    variants: Mapping[str, VariantModels] = field(
        default_factory=lambda: MappingProxyType({}),
        metadata=doc(
            "multi-variant endpoints: per-VariantName models replacing blue and/or green "
            "(each a whole model, not merged with the default)"
        ),
    )

    def for_variant(self, variant_name: str) -> Models:
        """The blue and green model of variant ``variant_name`` (no overrides left)."""
        own = self.variants.get(variant_name)
        return Models(
            blue=own.blue if own is not None and own.blue is not None else self.blue,
            green=own.green if own is not None and own.green is not None else self.green,
        )

    def to_data(self) -> dict[str, Any]:
        """Plain data, with ``variants`` only when set (so a single-variant scenario's
        definition in a run record is unchanged)."""
        out = {f.name: dump_value(getattr(self, f.name)) for f in fields(self)}
        if not self.variants:
            del out["variants"]
        else:
            out["variants"] = {
                name: {k: v for k, v in vm.items() if v is not None}
                for name, vm in out["variants"].items()
            }
        return out

    def check(self, path: str) -> list[Problem]:
        # the recording is the old model's; the new model is a transformation of it
        problems = []
        for name, own in self.variants.items():
            for color in ("blue", "green"):
                m = getattr(own, color)
                if m is not None and (m.history is not None or m.history_transform is not None):
                    problems.append(
                        Problem(
                            join(path, f"variants.{name}.{color}"),
                            "a recorded history drives models.blue/green only, not one "
                            "variant's model",
                        )
                    )
        if self.green.history is not None:
            problems.append(
                Problem(
                    join(path, "green.history"),
                    "only models.blue can be driven by a recording; the new model follows it "
                    "through models.green.history_transform",
                )
            )
        if self.blue.history_transform is not None:
            problems.append(
                Problem(
                    join(path, "blue.history_transform"),
                    "only models.green has a history_transform (of models.blue's recording)",
                )
            )
        if self.green.history_transform is not None and self.blue.history is None:
            problems.append(
                Problem(
                    join(path, "green.history_transform"),
                    "needs models.blue.history (the recording it transforms)",
                )
            )
        return problems
