"""Billing: instance-seconds and cost from instance lifetimes, scalar or numpy array alike.

SageMaker real-time inference bills each instance for the time it runs, at its instance type's
hourly price (https://aws.amazon.com/sagemaker/pricing/). An instance bills from its launch
until its termination; an instance deactivated during an update keeps running, and billing,
until it is terminated (see aws-model.md#fleet-sizes). Only the time inside the deployment's window
``[start, end]`` is counted (blue instances exist before the update). AWS does not document the
rounding (per-second billing is only claimed by third parties, see aws-model.md#billing): each
instance's seconds are rounded up to ``environment.billing_granularity_seconds``.

One definition for every engine: the SimPy fleets (:class:`guardsim.simulator.fleet.Fleets`)
pass one lifetime per instance, the batch engine one row per instance with an entry per
replication (or, for a blue/green fleet's instances, one lifetime for every replication: each
distinct lifetime is then billed once), the real backend's record assembly the observed
lifetimes. The arithmetic is the same float operations either way, and the totals add the
instances in their order, so the engines agree to the bit on the same lifetimes.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import NamedTuple

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
#: Times: a float, a sequence, or an array (instances along axis 0, replications along axis 1).
Times = float | FloatArray | list[float] | tuple[float, ...]

#: Slack below a multiple of the granularity still billed as that multiple (float noise in a
#: lifetime computed as a difference must not bill one more unit).
ROUNDING_SLACK = 1e-9
SECONDS_PER_HOUR = 3600.0


def billed_seconds(
    launched: Times, terminated: Times, end: Times, granularity: float, start: float = 0.0
) -> FloatArray:
    """Each instance's billed seconds within ``[start, end]``, elementwise (broadcasting).

    An instance runs from ``max(launched, start)`` to ``min(terminated, end)`` (``terminated``
    ``inf``: still running at ``end``); that time is rounded up to ``granularity``, and an
    instance that did not run inside the window bills nothing.
    """
    a = np.maximum(launched, start)  # finite: every instance is launched at some time
    b = np.minimum(terminated, end)
    units = np.ceil((b - a) / granularity - ROUNDING_SLACK)
    out: FloatArray = np.where(b > a, units * granularity, 0.0)
    return out


def cost_usd(seconds: FloatArray, price_per_hour: FloatArray | float) -> FloatArray:
    """What ``seconds`` of instance time cost at ``price_per_hour``, elementwise."""
    out: FloatArray = seconds * price_per_hour / SECONDS_PER_HOUR
    return out


#: Reported costs are rounded to this many decimal places (micro-dollars).
COST_DECIMALS = 6
_COST_SCALE = 10.0**COST_DECIMALS


def reported_usd(cost: float) -> float:
    """A run's cost as reported: ``round(cost, COST_DECIMALS)`` (Python's correctly rounded
    decimal rounding, ties to even)."""
    return round(cost, COST_DECIMALS)


def reported_usd_array(cost: FloatArray) -> FloatArray:
    """:func:`reported_usd` elementwise, bit for bit, without a Python call per element.

    ``rint(cost x 10^6) / 10^6`` is the correctly rounded answer whenever the rounded product
    lands on the right integer: the division by an exact power of ten is then correctly
    rounded, as Python's conversion of the decimal is. The product can land on the wrong one
    only when it is within its own rounding error of a half; those few (ties included) go
    through :func:`reported_usd`."""
    c = np.asarray(cost, dtype=np.float64)
    scaled = c * _COST_SCALE
    out: FloatArray = np.rint(scaled) / _COST_SCALE
    with np.errstate(invalid="ignore"):
        near = np.abs(scaled - np.floor(scaled) - 0.5) <= 1e-6 + np.abs(scaled) * 1e-15
    for i in np.flatnonzero(near):
        out.flat[i] = reported_usd(float(c.flat[i]))
    return out


class Bill(NamedTuple):
    """A run's total instance-seconds and cost (floats, or arrays with one entry per
    replication)."""

    instance_seconds: FloatArray | float
    cost_usd: FloatArray | float


def bill(
    launched: Times,
    terminated: Times,
    price_per_hour: Times,
    end: Times,
    granularity: float,
    start: float = 0.0,
) -> Bill:
    """Total billed seconds and cost of the instances along axis 0 of ``launched`` and
    ``terminated`` (one price each), summed in that order (which fixes the sums' last bits).

    With one value per instance and a float ``end`` the totals are floats; with a row per
    instance (an entry per replication, ``end`` per replication) they are arrays.
    """
    prices = np.asarray(price_per_hour, dtype=np.float64)
    shared = _shared_lifetimes(launched, terminated, prices, end)
    if shared is not None:  # instances with one lifetime for every replication: each once
        distinct, order = shared
        seconds = billed_seconds(distinct[:, 0:1], distinct[:, 1:2], end, granularity, start)
        return _totals(seconds, cost_usd(seconds, distinct[:, 2:3]), order.tolist())
    seconds = billed_seconds(launched, terminated, end, granularity, start)
    costs = cost_usd(seconds, prices.reshape(prices.shape + (1,) * (seconds.ndim - 1)))
    if seconds.ndim == 1:  # one run: Python floats (the same IEEE sums, cheaper)
        total_s, total_c = 0.0, 0.0
        for sec, usd in zip(seconds.tolist(), costs.tolist(), strict=True):
            total_s += sec
            total_c += usd
        return Bill(total_s, total_c)
    return _totals(seconds, costs, range(seconds.shape[0]))


def _totals(seconds: FloatArray, costs: FloatArray, order: Iterable[int]) -> Bill:
    """The rows ``order`` of ``seconds`` and ``costs`` (an instance's each, in the instances'
    order: a shared lifetime's row once per instance) added up, in that order."""
    total_seconds: FloatArray | float = 0.0
    total_cost: FloatArray | float = 0.0
    for i in order:
        total_seconds = total_seconds + seconds[i]
        total_cost = total_cost + costs[i]
    shape = seconds.shape[1:]
    return Bill(
        np.broadcast_to(total_seconds, shape).astype(np.float64),
        np.broadcast_to(total_cost, shape).astype(np.float64),
    )


def _shared_lifetimes(
    launched: Times, terminated: Times, prices: FloatArray, end: Times
) -> tuple[FloatArray, IntArray] | None:
    """For a row per instance that is one lifetime for every replication (``[instances, 1]``,
    ``end`` an array: a blue/green fleet's instances all launch and terminate together): the
    distinct (launch, termination, price) rows and each instance's row among them; else None."""
    a, b = np.asarray(launched, dtype=np.float64), np.asarray(terminated, dtype=np.float64)
    if a.ndim != 2 or a.shape[1] != 1 or b.shape != a.shape or np.ndim(end) == 0:
        return None
    if prices.shape != (a.shape[0],):
        return None
    rows = np.stack([a[:, 0], b[:, 0], prices], axis=1)
    distinct, inverse = np.unique(rows, axis=0, return_inverse=True)
    return distinct, np.asarray(inverse, dtype=np.int64).reshape(-1)
