"""What the judges read: each fleet's requests, 5XX errors and ModelLatency p99 per minute.

Recorded only when asked for (``Run(..., record_looks=True)``, :func:`simulate_with_looks`):
the CloudWatch clock hands every published minute to :class:`LookRecorder`, which keeps the
per-fleet numbers the per-fleet datapoints of that minute carry (the same requests, the same
5XX count, the same p99 draw as an alarm on the EndpointConfigName dimension would read). The
controller notes the bakes it waits through, so a reader can keep the minutes an alarm could
read. Without it the engine does nothing extra: one ``is None`` test per simulated minute.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class LookRecorder:
    """Per published minute (in order): the minute's start, its publish instant, and per fleet
    (``green`` = new, ``blue`` = old) its requests, 5XX errors and ModelLatency p99 (us, None
    without requests)."""

    minutes: list[float] = field(default_factory=list)
    published_at: list[float] = field(default_factory=list)
    new_requests: list[int] = field(default_factory=list)
    new_errors: list[int] = field(default_factory=list)
    #: The new fleet's model errors (4XX and 5XX: what a run's ``green_errors`` counts).
    new_model_errors: list[int] = field(default_factory=list)
    old_requests: list[int] = field(default_factory=list)
    old_errors: list[int] = field(default_factory=list)
    new_p99: list[float | None] = field(default_factory=list)
    old_p99: list[float | None] = field(default_factory=list)
    #: (start, end) of every bake the controller waited through (ends as planned).
    bakes: list[tuple[float, float]] = field(default_factory=list)

    def bake_minutes(self) -> list[int]:
        """Indexes of the recorded minutes that overlap a bake: the minutes an alarm watched
        during a bake could read."""
        return [
            i
            for i, m in enumerate(self.minutes)
            if any(m < end and m + 60.0 > start for start, end in self.bakes)
        ]


__all__ = ["LookRecorder"]
