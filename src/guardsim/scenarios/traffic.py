"""The request traffic an endpoint receives during the simulated deployment."""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from guardsim.errors import BadInputError, Problem
from guardsim.scenarios.fields import doc, join


@dataclass(frozen=True)
class Burst:
    """The rate multiplied by ``multiplier`` for ``duration_seconds`` from ``at_seconds``."""

    at_seconds: float = field(default=0.0, metadata=doc("start, seconds after UpdateEndpoint"))
    duration_seconds: float = field(
        default=60.0, metadata=doc("length in seconds", exclusive_min=0.0)
    )
    multiplier: float = field(default=2.0, metadata=doc("rate multiplier", min=0.0))


@dataclass(frozen=True)
class Traffic:
    """Request arrivals: a base rate shaped by a daily profile, bursts, or a replay file."""

    rate_per_second: float = field(default=10.0, metadata=doc("mean requests per second", min=0.0))
    arrivals: Literal["poisson", "uniform"] = field(
        default="poisson", metadata=doc("poisson (random) or uniform (evenly spaced) arrivals")
    )
    profile: Literal["constant", "daily"] = field(
        default="constant", metadata=doc("constant rate, or a daily sinusoid around the rate")
    )
    daily_amplitude: float = field(
        default=0.5,
        metadata=doc("daily profile: relative swing around the rate, 0 to 1", min=0.0, max=1.0),
    )
    peak_hour: float = field(
        default=14.0, metadata=doc("daily profile: hour of day of the peak", min=0.0, max=24.0)
    )
    start_hour: float = field(
        default=10.0,
        metadata=doc("hour of day at which UpdateEndpoint is called", min=0.0, max=24.0),
    )
    bursts: tuple[Burst, ...] = field(default=(), metadata=doc("temporary rate multipliers"))
    replay_file: str | None = field(
        default=None,
        metadata=doc(
            "CSV of per-minute request counts (one column, or a column named "
            "'count'/'invocations'); minute 0 is the UpdateEndpoint minute; overrides rate"
        ),
    )

    def rate_at(self, t: float) -> float:
        """The mean arrival rate (requests/s) at ``t`` seconds after UpdateEndpoint (no replay):
        :func:`guardsim.model.traffic.rate`."""
        from guardsim.model.traffic import rate_scalar  # the model imports this module

        return rate_scalar(self, t)


def read_replay(
    path: Path, field_path: str = "traffic.replay_file"
) -> tuple[tuple[float, ...], list[Problem]]:
    """Per-minute counts from a replay CSV, or problems naming the file and line."""
    from guardsim.inputs import file_problem, read_text

    reason = file_problem(path, "replay")
    if reason == "file not found":
        return (), [Problem(field_path, f"file not found: {path}")]
    try:
        text = read_text(path, "replay")
    except BadInputError as exc:
        return (), [Problem(field_path, str(exc))]
    rows = [r for r in csv.reader(text.splitlines()) if r and any(c.strip() for c in r)]
    if not rows:
        return (), [Problem(field_path, f"{path} has no rows")]
    col = 0
    header = [c.strip().lower() for c in rows[0]]
    if not _is_number(rows[0][0]) and any(not _is_number(c) for c in rows[0]):
        for name in ("count", "invocations", "requests"):
            if name in header:
                col = header.index(name)
                break
        else:
            col = len(header) - 1
        rows = rows[1:]
    counts = []
    for lineno, row in enumerate(rows, start=2 if header else 1):
        cell = row[col] if col < len(row) else ""
        if not _is_number(cell) or float(cell) < 0:
            return (), [
                Problem(
                    join(field_path, lineno),
                    f"{path} line {lineno}: expected a count >= 0, got {cell!r}",
                )
            ]
        counts.append(float(cell))
    if not counts:
        return (), [Problem(field_path, f"{path} has no counts")]
    return tuple(counts), []


def _is_number(text: str) -> bool:
    try:
        value = float(text)
    except ValueError:
        return False
    return math.isfinite(value)
