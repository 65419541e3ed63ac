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
    ``ValidationException``, ``AccessDeniedException``) and its message. Built from what AWS
    returned, never from the request, so it holds no credentials or signatures."""

    def __init__(self, operation: str, code: str, message: str = "") -> None:
        self.operation = operation
        self.code = code
        self.message = message
        detail = f": {message}" if message else ""
        super().__init__(f"AWS {operation} failed with {code}{detail}")
