"""The one exception tree of guardsim.

Every error guardsim raises on purpose derives from :class:`GuardsimError` and carries the
context a user needs to act on it (field paths, the expression, the AWS operation)::

    GuardsimError
     ├── ScenarioError          a scenario is invalid: carries every Problem with its field path
     │    └── ScenarioNotFound  a scenario file or built-in name does not exist / cannot be read
     ├── MetricMathError        a metric-math expression cannot be parsed or uses an
     │                          unsupported function (carries the expression)
     ├── StatisticError         a CloudWatch statistic name is malformed (e.g. ``p101``)
     ├── AlarmError             an alarm guardsim cannot evaluate (anomaly detection), or an
     │                          invalid evaluation input: carries the alarm name and field
     ├── SimulationError        the simulator reached an impossible state (a bug): carries the
     │                          scenario name and seed so the run can be reproduced
     ├── IllegalTransition      a trigger the deployment state machine does not allow in its
     │                          phase (a bug in whoever fired it): carries phase and trigger
     ├── MonteCarloError        bad Monte Carlo input (a replication count below 1, a mode)
     │    ├── SweepError        a sweep cannot run: bad --vary, invalid configurations
     │    │                     (carries every Problem with its path)
     │    ├── RecommendError    a sweep table cannot answer the question asked of it
     │    ├── CheckpointError   a sweep checkpoint cannot be created, read or written
     │    ├── TableError        a result table cannot be written or read
     │    └── ExecutorError     an executor cannot start (dask missing, scheduler unreachable)
     ├── CommandError           bad command-line input found by a command
     ├── RecordError            a run-record file is missing, unreadable or not a run record
     ├── ReportError            a report cannot be written (output path, no browser for PNG)
     ├── CompareError           records that cannot be compared or calibrated from
     └── AWSError               a call to AWS failed (real backend): carries the operation and
                                AWS's error code, never credentials or request signatures

The CLI turns any ``GuardsimError`` into a clear message and exit status 2; anything else is a
bug and is reported as one.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

Severity = Literal["error", "warning"]


@dataclass(frozen=True, order=True)
class Problem:
    """One finding about a scenario: the path to the field, what is wrong, and how serious."""

    path: str
    message: str
    severity: Severity = "error"

    def __str__(self) -> str:
        prefix = "warning: " if self.severity == "warning" else ""
        return f"{prefix}{self.path}: {self.message}" if self.path else f"{prefix}{self.message}"


class GuardsimError(Exception):
    """Base class of every error guardsim raises on purpose."""


class ScenarioError(GuardsimError):
    """A scenario is invalid. ``problems`` lists every error (and warning) with its field path."""

    def __init__(self, problems: Iterable[Problem], source: str | None = None) -> None:
        self.problems: tuple[Problem, ...] = tuple(problems)
        self.source = source
        errors = [p for p in self.problems if p.severity == "error"]
        where = f"{source}: " if source else ""
        lines = "\n".join(f"  {p}" for p in errors)
        super().__init__(f"{where}{len(errors)} error(s) in scenario\n{lines}")


class ScenarioNotFound(ScenarioError):
    """A scenario file does not exist or cannot be read, or a built-in name is unknown."""

    def __init__(self, message: str, source: str | None = None) -> None:
        super().__init__([Problem("", message)], source)
        self.message = message

    def __str__(self) -> str:
        return self.message


class MetricMathError(GuardsimError):
    """A metric-math expression is malformed or uses a function guardsim does not support."""

    def __init__(self, expression: str, message: str) -> None:
        self.expression = expression
        self.message = message
        super().__init__(f"{message} in expression {expression!r}")


class StatisticError(GuardsimError, ValueError):
    """A CloudWatch statistic name (e.g. ``p99.9``, ``tm(10%:90%)``) is malformed."""

    def __init__(self, statistic: str, message: str) -> None:
        self.statistic = statistic
        self.message = message
        super().__init__(f"{message}: {statistic!r}")


class AlarmError(GuardsimError, ValueError):
    """An alarm definition guardsim cannot evaluate, or an invalid evaluation input.

    ``alarm_name`` and ``field`` (the PutMetricAlarm parameter, e.g. ``ComparisonOperator``)
    say where, when known.
    """

    def __init__(
        self, message: str, *, alarm_name: str | None = None, field: str | None = None
    ) -> None:
        self.message = message
        self.alarm_name = alarm_name
        self.field = field
        where = f"alarm {alarm_name!r}: " if alarm_name is not None else ""
        at = f"{field}: " if field is not None else ""
        super().__init__(f"{where}{at}{message}")


class SimulationError(GuardsimError):
    """The simulator reached a state that should be impossible; report it with scenario and seed."""

    def __init__(self, message: str, scenario: str | None = None, seed: int | None = None) -> None:
        self.scenario = scenario
        self.seed = seed
        super().__init__(f"{message} (scenario={scenario!r}, seed={seed})")


class AWSError(GuardsimError):
    """An AWS call failed: ``operation`` (e.g. ``UpdateEndpoint``), AWS's error ``code`` (e.g.
    ``ValidationException``, ``AccessDeniedException``), its message and, when AWS answered,
    the HTTP ``status``. Built from what AWS returned, never from the request, so it holds no
    credentials or signatures."""

    def __init__(
        self, operation: str, code: str, message: str = "", status: int | None = None
    ) -> None:
        self.operation = operation
        self.code = code
        self.message = message
        self.status = status
        detail = f": {message}" if message else ""
        super().__init__(f"AWS {operation} failed with {code}{detail}")


class IllegalTransition(GuardsimError):
    """A trigger that cannot happen in the current phase (a bug in whoever fired it)."""

    def __init__(self, phase: str, trigger: str) -> None:
        self.phase = phase
        self.trigger = trigger
        super().__init__(f"trigger {str(trigger)!r} is not allowed in phase {phase}")


class MonteCarloError(GuardsimError):
    """Bad Monte Carlo arguments (a replication count below 1, an unknown mode)."""


class SweepError(MonteCarloError):
    """A sweep cannot run: a bad ``--vary``, invalid configurations, no configuration at all.

    ``problems`` lists each finding (the path is the swept PATH or the scenario field path).
    """

    def __init__(self, message: str, problems: Iterable[Problem] = ()) -> None:
        self.problems = tuple(problems)
        super().__init__(message)


class RecommendError(MonteCarloError):
    """A sweep table cannot answer the question: a missing column, value or pairing."""


class CheckpointError(MonteCarloError):
    """A checkpoint directory cannot be created, read or written."""


class TableError(MonteCarloError):
    """A table path has an unknown suffix, cannot be written, or a table cannot be read."""


class ExecutorError(MonteCarloError):
    """An executor cannot be created: dask missing, a scheduler unreachable, a bad worker count."""


class CommandError(GuardsimError):
    """Bad command-line input found by a command (reported with exit status 2)."""


class RecordError(GuardsimError):
    """A run-record file is missing, unreadable or not a guardsim run record."""


class ReportError(GuardsimError):
    """A report cannot be written: the output path, or PNG export (no browser, kaleido)."""


class CompareError(GuardsimError):
    """Inputs that cannot be compared or calibrated from: records of different deployments, a
    file that is neither a run record nor a Monte Carlo result, an empty folder."""
