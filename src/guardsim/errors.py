"""The one exception tree of guardsim, grouped by what the caller can do about an error.

Every error guardsim raises on purpose derives from :class:`GuardsimError` and carries the
context a user needs to act on it (field paths, the expression, the AWS operation, scenario and
seed). The first level says what to do::

    GuardsimError
     ├── BadInputError            fix the input the message names (CLI exit status 2)
     │    ├── DocumentError       an input document is invalid: carries every Problem with its
     │    │    │                  field path (guardsim.emulator's WorldError, a world file, too)
     │    │    └── ScenarioError  a scenario is invalid
     │    │         ├── ScenarioNotFound  a scenario file or built-in name does not exist /
     │    │         │                     cannot be read
     │    │         └── ReplayFileError   the scenario's traffic.replay_file cannot be read or
     │    │                               holds no counts (found when an engine reads it)
     │    ├── MetricMathError     a metric-math expression cannot be parsed or uses an
     │    │                       unsupported function (carries the expression)
     │    ├── StatisticError      a CloudWatch statistic name is malformed (e.g. ``p101``)
     │    ├── AlarmError          an alarm guardsim cannot evaluate (anomaly detection), or an
     │    │                       invalid evaluation input: carries the alarm name and field
     │    ├── ArgumentError       an argument guardsim cannot use (an unknown mode, a run id)
     │    │    └── CommandError   bad command-line input found by a command
     │    ├── MonteCarloError     bad Monte Carlo input (a replication count below 1, a mode)
     │    │    ├── SweepError     a sweep cannot run: bad --vary, invalid configurations
     │    │    │                  (carries every Problem with its path)
     │    │    ├── RecommendError a sweep table cannot answer the question asked of it
     │    │    ├── CheckpointError  a sweep checkpoint cannot be created, read or written
     │    │    ├── TableError     a result table cannot be written or read
     │    │    └── ExecutorError  an executor cannot start (dask missing, scheduler unreachable)
     │    ├── UnsupportedError    the input is valid but asks for something guardsim does not
     │    │    │                  do that way: choose another mode or engine
     │    │    └── BatchUnsupportedError  the batch engine cannot run this scenario: use mode
     │    │                       fast (or auto); also a MonteCarloError. Carries the reason.
     │    │                       No longer raised (batch runs every valid scenario)
     │    ├── RecordError         a run-record file is missing, unreadable or not a run record
     │    ├── ReportError         a report cannot be written (output path, no browser for PNG)
     │    └── CompareError        records that cannot be compared or calibrated from
     ├── ExternalError            something outside guardsim is not as needed: check it, retry
     │    │                       (CLI exit status 2)
     │    └── AWSError            a call to AWS failed (real backend): carries the operation and
     │                            AWS's error code, never credentials or request signatures
     └── SimulationError          a bug in guardsim: the simulator reached an impossible state;
          │                       carries the scenario name and seed so the run can be
          │                       reproduced (CLI exit status 1, "please report it")
          └── IllegalTransition   a trigger the deployment state machine does not allow in its
                                  phase (a bug in whoever fired it): carries phase and trigger

Bad input is never a :class:`SimulationError`: a caller can catch :class:`BadInputError` (or
a narrower class) to report a mistake, and let :class:`SimulationError` through as the bug it
is. :class:`UnsupportedError` sits under :class:`BadInputError` because the way out is a change
of input (the mode or engine asked for), not a fix to guardsim. The CLI turns any
``GuardsimError`` into a clear message, with exit status 1 for a ``SimulationError`` and 2 for
every other one; anything else is a bug and is reported as one (exit status 1).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

Severity = Literal["error", "warning"]

__all__ = [
    "AWSError",
    "AlarmError",
    "ArgumentError",
    "BadInputError",
    "BatchUnsupportedError",
    "CheckpointError",
    "CommandError",
    "CompareError",
    "DocumentError",
    "ExecutorError",
    "ExternalError",
    "GuardsimError",
    "IllegalTransition",
    "MetricMathError",
    "MonteCarloError",
    "Problem",
    "RecommendError",
    "RecordError",
    "ReplayFileError",
    "ReportError",
    "ScenarioError",
    "ScenarioNotFound",
    "Severity",
    "SimulationError",
    "StatisticError",
    "SweepError",
    "TableError",
    "UnsupportedError",
]


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


class BadInputError(GuardsimError):
    """Something the caller gave guardsim cannot be used: fix the input the message names.

    Raised directly for input no narrower class describes (a scenario's ``real`` section, a
    payload file); usually one of its subclasses.
    """


class ExternalError(GuardsimError):
    """Something outside guardsim is not as needed (an AWS call failed, an endpoint is in the
    wrong state): check it and retry. Not a mistake in the input, not a bug in guardsim."""


class DocumentError(BadInputError):
    """An input document (a scenario, a world file) is invalid. ``problems`` lists every error
    (and warning) with its field path; ``source`` names the file. A subclass names the kind of
    document in :attr:`document` ("N error(s) in scenario")."""

    document = "input"

    def __init__(self, problems: Iterable[Problem], source: str | None = None) -> None:
        self.problems: tuple[Problem, ...] = tuple(problems)
        self.source = source
        errors = [p for p in self.problems if p.severity == "error"]
        where = f"{source}: " if source else ""
        lines = "\n".join(f"  {p}" for p in errors)
        super().__init__(f"{where}{len(errors)} error(s) in {self.document}\n{lines}")


class ScenarioError(DocumentError):
    """A scenario is invalid. ``problems`` lists every error (and warning) with its field path."""

    document = "scenario"


class ScenarioNotFound(ScenarioError):
    """A scenario file does not exist or cannot be read, or a built-in name is unknown."""

    def __init__(self, message: str, source: str | None = None) -> None:
        super().__init__([Problem("", message)], source)
        self.message = message

    def __str__(self) -> str:
        return self.message


class MetricMathError(BadInputError):
    """A metric-math expression is malformed or uses a function guardsim does not support."""

    def __init__(self, expression: str, message: str) -> None:
        self.expression = expression
        self.message = message
        super().__init__(f"{message} in expression {expression!r}")


class StatisticError(BadInputError, ValueError):
    """A CloudWatch statistic name (e.g. ``p99.9``, ``tm(10%:90%)``) is malformed."""

    def __init__(self, statistic: str, message: str) -> None:
        self.statistic = statistic
        self.message = message
        super().__init__(f"{message}: {statistic!r}")


class AlarmError(BadInputError, ValueError):
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


class ReplayFileError(ScenarioError):
    """The scenario's ``traffic.replay_file`` cannot be read or holds no counts, found when an
    engine reads it (validation reads it first; this is the file changing or gone since, or a
    Scenario built without validation). ``problems`` names the file and line."""


class SimulationError(GuardsimError):
    """A bug: the simulator reached a state that should be impossible. Report it with the
    scenario and seed it carries (when known), which reproduce the run. Never raised for bad
    input (see :class:`BadInputError`)."""

    def __init__(self, message: str, scenario: str | None = None, seed: int | None = None) -> None:
        self.scenario = scenario
        self.seed = seed
        context = (
            f" (scenario={scenario!r}, seed={seed})"
            if scenario is not None or seed is not None
            else ""
        )
        super().__init__(f"{message}{context}")


class AWSError(ExternalError):
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


class IllegalTransition(SimulationError):
    """A trigger that cannot happen in the current phase (a bug in whoever fired it)."""

    def __init__(self, phase: str, trigger: str) -> None:
        self.phase = phase
        self.trigger = trigger
        super().__init__(f"trigger {str(trigger)!r} is not allowed in phase {phase}")


class ArgumentError(BadInputError, ValueError):
    """An argument guardsim cannot use: an unknown mode, a malformed run id, a day count out of
    range, an array of the wrong shape. Also a ``ValueError``, as Python's own checks are."""


class MonteCarloError(BadInputError):
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


class UnsupportedError(BadInputError):
    """The input is valid but asks for something guardsim does not do that way: choose another
    mode or engine (the message says which)."""


class BatchUnsupportedError(UnsupportedError, MonteCarloError):
    """The batch engine cannot run this scenario (``reason`` says why): use mode ``fast`` (or
    ``auto``, which chooses it). Also a :class:`MonteCarloError`, the class ``--mode batch``
    raised before.

    guardsim itself no longer raises it: every scenario the validator accepts runs in the
    batch engine. It stays, exported, so that code which catches it keeps working."""

    def __init__(self, reason: str, scenario: str | None = None) -> None:
        self.reason = reason
        self.scenario = scenario
        where = f"{scenario}: " if scenario else ""
        super().__init__(f"{where}{reason}; use mode fast (or auto)")


class CommandError(ArgumentError):
    """Bad command-line input found by a command (reported with exit status 2)."""


class RecordError(BadInputError):
    """A run-record file is missing, unreadable or not a guardsim run record."""


class ReportError(BadInputError):
    """A report cannot be written: the output path, or PNG export (no browser, kaleido)."""


class CompareError(BadInputError):
    """Inputs that cannot be compared or calibrated from: records of different deployments, a
    file that is neither a run record nor a Monte Carlo result, an empty folder."""
