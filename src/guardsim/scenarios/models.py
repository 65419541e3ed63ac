"""How the blue (current) and green (new) models behave: latency, errors and faults.

Latency is lognormal, given by its median and p99 in **milliseconds** (SageMaker publishes
``ModelLatency`` in microseconds; guardsim converts). Errors are per-request probabilities split
into 4XX and 5XX as the model's status code decides (see aws-model.md#invoke-errors). Faults change
that behaviour over time, with load, or on freshly started instances.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields, replace
from typing import Any, Literal

from guardsim.errors import Problem
from guardsim.scenarios.fields import doc, dump_value, join

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
class Models:
    """The blue (current) and green (new) model."""

    blue: ModelBehaviour = field(default_factory=ModelBehaviour, metadata=doc("the current model"))
    green: ModelBehaviour = field(default_factory=ModelBehaviour, metadata=doc("the new model"))

    def check(self, path: str) -> list[Problem]:
        # the recording is the old model's; the new model is a transformation of it
        problems = []
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
