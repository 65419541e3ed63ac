"""A fleet's behaviour: error probabilities and latency scaling, as a fold of its faults.

A fleet's model (:class:`~guardsim.scenarios.models.ModelBehaviour`) starts from its baseline
error rates; each of its faults then changes the accumulated :class:`Behaviour` (5XX and 4XX
probabilities per request, a latency multiplier and milliseconds added to ModelLatency). Every
fault kind has one **kernel** implementing :class:`FaultKernel`, registered for its dataclass in
:data:`KERNELS`; :class:`FleetFaults` compiles a model once and folds its kernels:

1. the baseline, then every *fleet-wide* kernel in the scenario's order (errors, latency and
   load faults act on all of the fleet's instances alike);
2. the load-latency factor: with ``capacity_rps_per_instance`` set, an instance at utilisation
   ``rho`` (its requests/s over its capacity) has latency x ``1 / (1 - min(rho, 0.95))``, the
   M/M/1 sojourn-time factor, capped at x20 (an overloaded instance's queue would otherwise grow
   without bound) [guardsim's model, not documented AWS behaviour];
3. every *per-instance* kernel (warm-up faults: they depend on the age of the instance, the
   time since it started taking traffic), in the scenario's order;
4. the probabilities clamped: ``p5 <= 1`` and ``p4 <= 1 - p5`` (a request fails at most once).

Kernels take scalars or numpy arrays alike (``t``, ``rho`` and ``age`` broadcast), so the exact
mode applies them to every request of a batch, the fast mode to one batch, the batch engine to a
block of replications and the emulator to one invocation.

Every kernel is piecewise constant in time and in instance age: it declares where it may change
(:attr:`FaultKernel.time_cuts`, :attr:`FaultKernel.age_cuts`), and the engines cut their
batches there, so a fault's onset is exact to the request (an errors fault from 450 s fails
requests from 450 s on, not from the next minute).

A fault whose type has no kernel is refused loudly (:class:`UnsupportedFault`, naming the field
and the kind), never ignored: an engine that compiles a model with :class:`FleetFaults` cannot
forget a kind. An engine that cannot apply a kind it knows (the batch engine and per-instance
faults) refuses the scenario with its reason.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, NamedTuple, Protocol, TypeVar

import numpy as np
import numpy.typing as npt

from guardsim.errors import SimulationError
from guardsim.scenarios.models import (
    ErrorFault,
    LatencyFault,
    LoadErrorFault,
    ModelBehaviour,
    WarmupFault,
)

if TYPE_CHECKING:
    from guardsim.model.history import HistoryDriver

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
#: A value of the model: one float (one batch, one invocation) or an array (requests, replications).
Value = float | FloatArray
Cond = bool | np.bool_ | BoolArray

#: Utilisation at which the load-latency factor stops growing (x20).
MAX_UTILISATION = 0.95
#: The old fleet's instances came into service this long before the simulation starts (its
#: warm-up): long enough that no warm-up fault (an age window of a new instance) applies to
#: them. Every engine starts the old fleet's ages here.
OLD_FLEET_WARM_SECONDS = 3600.0


class Behaviour(NamedTuple):
    """A fleet's (or an instance's) behaviour: the accumulator of the fold."""

    p5: Value  # probability of a 5XX per request
    p4: Value  # probability of a 4XX per request
    mult: Value  # ModelLatency multiplier
    add_ms: Value  # milliseconds added to ModelLatency


def where(cond: Cond, a: Value, b: Value) -> Value:
    """``a`` where ``cond`` holds, else ``b``: a conditional on scalars, ``np.where`` on arrays."""
    if isinstance(cond, bool | np.bool_):
        return a if cond else b
    out: FloatArray = np.where(cond, a, b)
    return out


def active(after: float, until: float | None, t: Value) -> Cond:
    """Whether a fault window ``[after, until)`` holds ``t`` (``until`` None: never ends)."""
    if isinstance(t, float | int):
        return after <= t and (until is None or t < until)
    on: BoolArray = t >= after
    if until is not None:
        on = on & (t < until)
    return on


def load_factor(rho: Value) -> Value:
    """The latency factor of an instance at utilisation ``rho``: 1 / (1 - min(rho, 0.95))."""
    if isinstance(rho, float | int):
        return 1.0 / (1.0 - min(rho, MAX_UTILISATION))
    out: FloatArray = 1.0 / (1.0 - np.minimum(rho, MAX_UTILISATION))
    return out


def clamp(b: Behaviour) -> Behaviour:
    """Probabilities made consistent: ``p5 <= 1`` and ``p4 <= 1 - p5``."""
    if isinstance(b.p5, float | int) and isinstance(b.p4, float | int):
        p5 = min(b.p5, 1.0)
        return Behaviour(p5, min(b.p4, 1.0 - p5), b.mult, b.add_ms)
    p5a = np.minimum(b.p5, 1.0)
    return Behaviour(p5a, np.minimum(b.p4, 1.0 - p5a), b.mult, b.add_ms)


# --------------------------------------------------------------------------- the protocol


Scope = Literal["fleet", "instance"]


class FaultKernel(Protocol):
    """What every fault kind implements: how it changes a behaviour, and where it may change.

    ``apply`` must be piecewise constant in ``t`` between consecutive :attr:`time_cuts` and in
    ``age`` between consecutive :attr:`age_cuts`, and work on scalars and arrays alike.
    """

    @property
    def scope(self) -> Scope:
        """``"fleet"``: the same on every instance of the fleet (``age`` is ignored);
        ``"instance"``: depends on the instance's age (a warm-up)."""
        ...

    @property
    def time_cuts(self) -> tuple[float, ...]:
        """Times (s after UpdateEndpoint) at which the kernel's effect may change."""
        ...

    @property
    def age_cuts(self) -> tuple[float, ...]:
        """Instance ages (s since the instance started taking traffic) at which it may change."""
        ...

    def apply(self, acc: Behaviour, t: Value, rho: Value, age: Value) -> Behaviour:
        """The behaviour after this fault, at time ``t``, utilisation ``rho``, instance ``age``."""
        ...


class UnsupportedFault(SimulationError):
    """A fault whose kind no kernel implements (or that an engine cannot apply)."""

    def __init__(self, path: str, fault: object, why: str | None = None) -> None:
        self.path = path
        self.fault = fault
        kind = getattr(fault, "kind", type(fault).__name__)
        super().__init__(
            f"{path}: {why or 'guardsim has no kernel for'} fault kind {kind!r} "
            f"({type(fault).__name__}); refusing the scenario rather than ignoring the fault"
        )


_F = TypeVar("_F")
#: Fault dataclass -> the constructor of its kernel.
KERNELS: dict[type, Callable[[Any], FaultKernel]] = {}


def register(
    fault_type: type[_F],
) -> Callable[[Callable[[_F], FaultKernel]], Callable[[_F], FaultKernel]]:
    """Register the kernel (a constructor taking the fault) of ``fault_type``."""

    def deco(make: Callable[[_F], FaultKernel]) -> Callable[[_F], FaultKernel]:
        KERNELS[fault_type] = make
        return make

    return deco


def kernel(fault: object, path: str = "faults") -> FaultKernel:
    """The kernel of ``fault``; :class:`UnsupportedFault` naming ``path`` if its kind has none."""
    make = KERNELS.get(type(fault))
    if make is None:
        raise UnsupportedFault(path, fault)
    return make(fault)


# --------------------------------------------------------------------------- the kinds


def _plus_errors(
    acc: Behaviour, on: Cond, rate_5xx: float, rate_4xx: float, mult: float | None = None
) -> Behaviour:
    """``acc`` with the error probabilities added (and the latency multiplied) where ``on``."""
    return Behaviour(
        where(on, acc.p5 + rate_5xx, acc.p5),
        where(on, acc.p4 + rate_4xx, acc.p4),
        acc.mult if mult is None else where(on, acc.mult * mult, acc.mult),
        acc.add_ms,
    )


class _Windowed:
    """The ``time_cuts`` of a kernel whose fault holds during ``[after_seconds, until_seconds)``."""

    fault: ErrorFault | LatencyFault

    @property
    def time_cuts(self) -> tuple[float, ...]:
        f = self.fault
        return (f.after_seconds,) if f.until_seconds is None else (f.after_seconds, f.until_seconds)


@register(ErrorFault)
@dataclass(frozen=True)
class ErrorKernel(_Windowed):
    """``errors``: the fault's 5XX and 4XX probabilities added during its window."""

    fault: ErrorFault
    scope: Scope = "fleet"
    age_cuts: tuple[float, ...] = ()

    def apply(self, acc: Behaviour, t: Value, rho: Value, age: Value) -> Behaviour:
        f = self.fault
        return _plus_errors(
            acc, active(f.after_seconds, f.until_seconds, t), f.rate_5xx, f.rate_4xx
        )


@register(LatencyFault)
@dataclass(frozen=True)
class LatencyKernel(_Windowed):
    """``latency``: ModelLatency x ``multiplier`` + ``add_ms`` during the fault's window."""

    fault: LatencyFault
    scope: Scope = "fleet"
    age_cuts: tuple[float, ...] = ()

    def apply(self, acc: Behaviour, t: Value, rho: Value, age: Value) -> Behaviour:
        f = self.fault
        on = active(f.after_seconds, f.until_seconds, t)
        return Behaviour(
            acc.p5,
            acc.p4,
            where(on, acc.mult * f.multiplier, acc.mult),
            where(on, acc.add_ms + f.add_ms, acc.add_ms),
        )


@register(LoadErrorFault)
@dataclass(frozen=True)
class LoadErrorKernel:
    """``load_errors``: the fault's error probabilities added while ``rho > above_utilization``."""

    fault: LoadErrorFault
    scope: Scope = "fleet"
    time_cuts: tuple[float, ...] = ()
    age_cuts: tuple[float, ...] = ()

    def apply(self, acc: Behaviour, t: Value, rho: Value, age: Value) -> Behaviour:
        f = self.fault
        over: Cond = rho > f.above_utilization
        return _plus_errors(acc, over, f.rate_5xx, f.rate_4xx)


@register(WarmupFault)
@dataclass(frozen=True)
class WarmupKernel:
    """``warmup``: errors and slowness on an instance for its first ``duration_seconds``."""

    fault: WarmupFault
    scope: Scope = "instance"
    time_cuts: tuple[float, ...] = ()

    @property
    def age_cuts(self) -> tuple[float, ...]:
        return (self.fault.duration_seconds,)

    def apply(self, acc: Behaviour, t: Value, rho: Value, age: Value) -> Behaviour:
        f = self.fault
        on: Cond = age < f.duration_seconds
        return _plus_errors(acc, on, f.rate_5xx, f.rate_4xx, f.latency_multiplier)


# --------------------------------------------------------------------------- one fleet, compiled


class FleetFaults:
    """One fleet's model compiled: its kernels split by scope, and where its behaviour changes.

    ``path`` names the model in errors (``models.green``). ``history`` (a recording-driven
    model, :mod:`guardsim.model.history`) replaces the baseline error rates and scales the
    latency minute by minute; a model with ``history`` set compiled without one is refused.
    """

    def __init__(
        self, model: ModelBehaviour, path: str = "model", history: HistoryDriver | None = None
    ) -> None:
        if history is None:
            from guardsim.model.history import refuse_unreplayed

            refuse_unreplayed(model, path)
        self.model = model
        self.history = history
        kernels = [kernel(f, f"{path}.faults[{i}]") for i, f in enumerate(model.faults)]
        self.paths = [f"{path}.faults[{i}]" for i in range(len(model.faults))]
        self.kernels = tuple(kernels)
        self.fleet = tuple(k for k in kernels if k.scope == "fleet")
        self.instance = tuple(k for k in kernels if k.scope == "instance")
        self.capacity = model.capacity_rps_per_instance
        #: Sorted times at which the fleet's behaviour may change (batches are cut there).
        self.time_cuts = tuple(sorted({c for k in kernels for c in k.time_cuts}))
        #: Sorted instance ages at which an instance's behaviour may change.
        self.age_cuts = tuple(sorted({c for k in kernels for c in k.age_cuts}))
        #: Whether the behaviour depends on time (else on the utilisation alone).
        self.timeless = not self.time_cuts and history is None
        self.base = Behaviour(model.error_rate_5xx, model.error_rate_4xx, 1.0, 0.0)

    def fleet_wide(self, t: Value, rho: Value, history_t: Value | None = None) -> Behaviour:
        """Steps 1 and 2 of the fold, unclamped: what every instance of the fleet shares.
        ``history_t``: the time the recording is read at, when its clock is not ``t``'s (the
        emulator's, which plays it from when the endpoint came into service)."""
        # the baseline: the model's, or its recording's at t (constant within a minute)
        if self.history is None:
            acc = self.base
        else:
            acc = self.history.base(t if history_t is None else history_t)
        age = math.inf
        for k in self.fleet:
            acc = k.apply(acc, t, rho, age)
        if self.capacity is not None:
            acc = acc._replace(mult=acc.mult * load_factor(rho))
        return acc

    def on_instance(self, acc: Behaviour, t: Value, rho: Value, age: Value) -> Behaviour:
        """Step 3 of the fold: the per-instance kernels on a fleet-wide behaviour."""
        for k in self.instance:
            acc = k.apply(acc, t, rho, age)
        return acc

    def behaviour(
        self, t: Value, rho: Value, age: Value = math.inf, history_t: Value | None = None
    ) -> Behaviour:
        """The whole fold, clamped: the behaviour at ``t``, utilisation ``rho``, ``age``
        (``history_t``: see :meth:`fleet_wide`)."""
        acc = self.fleet_wide(t, rho, history_t)
        if self.instance:
            acc = self.on_instance(clamp(acc), t, rho, age)
        return clamp(acc)

    def first_of_scope(self, scope: Scope) -> tuple[str, object] | None:
        """(field path, fault) of the first fault of ``scope``, or None."""
        for p, f, k in zip(self.paths, self.model.faults, self.kernels, strict=True):
            if k.scope == scope:
                return p, f
        return None


def warm_groups(ages: Sequence[float], age_cuts: tuple[float, ...]) -> list[tuple[float, float]]:
    """Instances grouped by warm-up state: (share of the instances, one member's age) per group.

    Kernels are constant in age between consecutive ``age_cuts``, so instances whose ages lie
    between the same cuts behave alike and the group's behaviour is any member's.
    """
    groups: dict[tuple[bool, ...], list[float]] = {}
    for age in ages:
        key = tuple(age < c for c in age_cuts)
        hit = groups.get(key)
        if hit is None:
            groups[key] = [age, 1.0]
        else:
            hit[1] += 1.0
    n = len(ages)
    return [(count / n, age) for _, (age, count) in sorted(groups.items())]
