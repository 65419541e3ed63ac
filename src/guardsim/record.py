"""The run record: what one deployment did, from the simulator or from real SageMaker.

One record type flows through guardsim: the simulator writes it, the real backend writes it,
reports and comparisons read it. It is plain JSON with a stable layout (``format`` names its
version). All times are seconds after the ``UpdateEndpoint`` call (negative before it).

* ``scenario`` (name), ``scenario_definition`` (the whole scenario, as a scenario file would say
  it), ``seed``, ``mode`` (``exact``, ``fast`` or ``real``), ``guardsim_version``;
* ``outcome``: ``SUCCEEDED`` (InService on the new config), ``ROLLED_BACK`` (InService on the old
  config) or ``FAILED`` (Failed, UpdateRollbackFailed, or the horizon was reached);
* ``summary``: see :class:`Summary`;
* ``transitions``: every phase change ``{t, from, to, trigger, reason}``;
* ``traffic``: the routing after every change ``{t, green_fraction, active_blue, active_green}``;
* ``instances``: every instance of the deployment ``{fleet, launched_at, ready_at,
  activated_at, terminated_at}`` (blue instances that predate the update have ``launched_at``
  at the start of the simulated warm-up; ``terminated_at`` null if still running);
* ``alarm_history``: every alarm state change ``{t, alarm, from, to, reason}``;
* ``alarm_evaluations``: every evaluation ``{t, alarm, state, value, evaluated}``: ``value`` is
  the newest real datapoint in the alarm's evaluation range (null if all were missing) and
  ``evaluated`` the N values it evaluated, oldest first (null for a missing one): exactly what
  the alarms saw;
* ``datapoints``: every published per-minute datapoint, as columns ``metric``, ``dimensions``
  (``blended``, ``blue`` or ``green``: EndpointName+VariantName, or with the blue or green
  EndpointConfigName), ``timestamp`` (start of the minute), ``published_at``, ``sample_count``,
  ``sum``, ``minimum``, ``maximum``, ``p50``, ``p99`` (percentiles for latency metrics only).

Same scenario and seed give a byte-identical :meth:`RunRecord.to_json`.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

from guardsim.errors import RecordError

FORMAT = "guardsim.run-record/1"
Outcome = Literal["SUCCEEDED", "ROLLED_BACK", "FAILED"]
DATAPOINT_COLUMNS = (
    "metric",
    "dimensions",
    "timestamp",
    "published_at",
    "sample_count",
    "sum",
    "minimum",
    "maximum",
    "p50",
    "p99",
)


#: Why a record's blast radius is null (a real run of an inference component update): said by
#: the record's notes, its reports and ``guardsim compare``.
BLAST_RADIUS_NOT_OBSERVABLE = (
    "not observable for component updates (SageMaker publishes a component's metrics under "
    "InferenceComponentName only, blending its old and new copies)"
)

#: Why a record's peak green traffic share is null (a real run of an inference component
#: update): DescribeInferenceComponent does not say how many running copies serve the new model.
GREEN_SHARE_NOT_OBSERVABLE = (
    "not observable for component updates (DescribeInferenceComponent counts the running copies "
    "without saying which model each serves)"
)


@dataclass(frozen=True)
class Summary:
    """The outcome in numbers.

    * ``deployment_seconds``: from UpdateEndpoint to the end (InService on either config, or
      Failed);
    * ``detected_at_seconds``: when SageMaker first saw a rollback alarm tripped (null if never);
    * ``rollback_started_seconds`` / ``rollback_completed_seconds``: rollback start, and when all
      traffic was back on the old config;
    * ``tripped_alarms``: the rollback alarms that were tripped when it was detected;
    * ``green_requests`` / ``green_errors``: requests and errors (4XX + 5XX) served by the new
      fleet: the blast radius; null when it was not observable (a real run of an inference
      component update: CloudWatch blends its old and new copies, and the notes say so);
    * ``user_errors``: all errors callers saw during the deployment, from either fleet;
    * ``peak_green_traffic_fraction``: the largest share of requests the new fleet (copies) was
      routed; null when it was not observable (a real run of an inference component update);
    * ``instance_seconds`` and ``cost_usd`` of both fleets during the deployment.
    """

    deployment_seconds: float
    detected_at_seconds: float | None
    rollback_started_seconds: float | None
    rollback_completed_seconds: float | None
    tripped_alarms: tuple[str, ...]
    green_requests: int | None
    green_errors: int | None
    user_errors: int
    peak_green_traffic_fraction: float | None
    instance_seconds: float
    cost_usd: float


@dataclass(frozen=True)
class RunRecord:
    scenario: str
    seed: int
    mode: str
    guardsim_version: str
    outcome: Outcome
    summary: Summary
    transitions: tuple[dict[str, Any], ...] = ()
    traffic: tuple[dict[str, Any], ...] = ()
    instances: tuple[dict[str, Any], ...] = ()
    alarm_history: tuple[dict[str, Any], ...] = ()
    alarm_evaluations: tuple[dict[str, Any], ...] = ()
    datapoints: dict[str, list[Any]] = field(default_factory=dict)
    scenario_definition: dict[str, Any] = field(default_factory=dict)
    notes: tuple[str, ...] = ()
    #: Index of a Monte Carlo replication (its stream is SeedSequence(seed).spawn(n)[i]).
    replication: int | None = None

    def to_data(self) -> dict[str, Any]:
        data = asdict(self)
        data["summary"]["tripped_alarms"] = list(self.summary.tripped_alarms)
        for key in (
            "transitions",
            "traffic",
            "instances",
            "alarm_history",
            "alarm_evaluations",
            "notes",
        ):
            data[key] = list(data[key])
        return {"format": FORMAT, **data}

    def to_json(self) -> str:
        """Stable JSON: sorted keys, no NaN, one line per top-level section."""
        data = self.to_data()
        parts = [
            f"{json.dumps(k)}: {json.dumps(data[k], sort_keys=True, allow_nan=False)}"
            for k in sorted(data)
        ]
        return "{\n" + ",\n".join(parts) + "\n}\n"

    @classmethod
    def from_data(cls, data: Any, source: str = "<record>") -> RunRecord:
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise RecordError(f"{source}: not a guardsim run record (expected format {FORMAT!r})")
        _check_layout(data, source)
        try:
            summary = dict(data["summary"])
            summary["tripped_alarms"] = tuple(summary["tripped_alarms"])
            return cls(
                scenario=data["scenario"],
                seed=data["seed"],
                mode=data["mode"],
                guardsim_version=data["guardsim_version"],
                outcome=data["outcome"],
                summary=Summary(**summary),
                transitions=tuple(data.get("transitions", ())),
                traffic=tuple(data.get("traffic", ())),
                instances=tuple(data.get("instances", ())),
                alarm_history=tuple(data.get("alarm_history", ())),
                alarm_evaluations=tuple(data.get("alarm_evaluations", ())),
                datapoints=dict(data.get("datapoints", {})),
                scenario_definition=dict(data.get("scenario_definition", {})),
                notes=tuple(data.get("notes", ())),
                replication=data.get("replication"),
            )
        except (KeyError, TypeError) as exc:
            raise RecordError(f"{source}: malformed run record ({exc})") from None

    @classmethod
    def load(cls, path: str | Path) -> RunRecord:
        from guardsim.inputs import parse_json, read_text

        text = read_text(path, "record", what="run record", error=RecordError)
        return cls.from_data(parse_json(text, str(path), RecordError), str(path))

    def __repr__(self) -> str:
        from guardsim.reports.text import summary_headline

        return (
            f"<RunRecord {self.scenario} (seed {self.seed}, {self.mode} mode), "
            f"{len(self.transitions)} transitions: {summary_headline(self)}>"
        )

    def _repr_html_(self) -> str:
        """In Jupyter: the outcome, its numbers and the timeline of phases."""
        from html import escape

        from guardsim._display import card
        from guardsim.reports.text import format_seconds, summary_headline, summary_rows

        rows = "".join(
            f"<tr><td>{format_seconds(t['t'])}</td><td>{escape(str(t['to']))}</td>"
            f"<td>{escape(str(t['reason']))}</td></tr>"
            for t in self.transitions
        )
        timeline = f"<table><tr><th>t</th><th>phase</th><th>reason</th></tr>{rows}</table>"
        return card(
            f"Run record of {self.scenario} (seed {self.seed}, {self.mode} mode)",
            summary_headline(self),
            summary_rows(self),
            [("Timeline (times after the UpdateEndpoint call)", timeline)],
        )


_NUMBER = (int, float)
#: The types of a record's fields (None: may be null), checked before a record is used so a
#: malformed file is refused with the field's name instead of failing deep in a report.
_TOP_LEVEL: dict[str, tuple[tuple[type, ...], bool]] = {
    "scenario": ((str,), False),
    "seed": ((int,), False),
    "mode": ((str,), False),
    "guardsim_version": ((str,), False),
    "outcome": ((str,), False),
    "summary": ((dict,), False),
    "transitions": ((list,), False),
    "traffic": ((list,), False),
    "instances": ((list,), False),
    "alarm_history": ((list,), False),
    "alarm_evaluations": ((list,), False),
    "datapoints": ((dict,), False),
    "scenario_definition": ((dict,), False),
    "notes": ((list,), False),
    "replication": ((int,), True),
}
_SUMMARY: dict[str, tuple[tuple[type, ...], bool]] = {
    "deployment_seconds": (_NUMBER, False),
    "detected_at_seconds": (_NUMBER, True),
    "rollback_started_seconds": (_NUMBER, True),
    "rollback_completed_seconds": (_NUMBER, True),
    "tripped_alarms": ((list,), False),
    "green_requests": ((int,), True),
    "green_errors": ((int,), True),
    "user_errors": ((int,), False),
    "peak_green_traffic_fraction": (_NUMBER, True),
    "instance_seconds": (_NUMBER, False),
    "cost_usd": (_NUMBER, False),
}
_REQUIRED = ("scenario", "seed", "mode", "guardsim_version", "outcome", "summary")
_LISTS_OF_MAPPINGS = ("transitions", "traffic", "instances", "alarm_history", "alarm_evaluations")


def _type_problem(value: Any, types: tuple[type, ...], nullable: bool) -> str | None:
    from guardsim.scenarios.fields import type_name

    if value is None and nullable:
        return None
    if isinstance(value, bool) or not isinstance(value, types):
        expected = {
            str: "a string",
            int: "an integer",
            float: "a number",
            dict: "a mapping",
            list: "a list",
        }[types[-1]]
        return f"expected {expected}{' or null' if nullable else ''}, got {type_name(value)}"
    return None


def _check_layout(data: dict[str, Any], source: str) -> None:
    """Refuse a record whose fields have the wrong types, naming the first such field."""

    def fail(field: str, message: str) -> RecordError:
        return RecordError(f"{source}: malformed run record: {field}: {message}")

    for key in _REQUIRED:
        if key not in data:
            raise fail(key, "required field is missing")
    for key, (types, nullable) in _TOP_LEVEL.items():
        if key in data and (problem := _type_problem(data[key], types, nullable)):
            raise fail(key, problem)
    if data["outcome"] not in ("SUCCEEDED", "ROLLED_BACK", "FAILED"):
        raise fail("outcome", f"expected SUCCEEDED, ROLLED_BACK or FAILED, got {data['outcome']!r}")
    summary = data["summary"]
    for key, (types, nullable) in _SUMMARY.items():
        if key not in summary:
            raise fail(f"summary.{key}", "required field is missing")
        if problem := _type_problem(summary[key], types, nullable):
            raise fail(f"summary.{key}", problem)
    for key in summary:
        if key not in _SUMMARY:
            raise fail(f"summary.{key}", "unknown field")
    for i, name in enumerate(summary["tripped_alarms"]):
        if not isinstance(name, str):
            raise fail(f"summary.tripped_alarms[{i}]", "expected a string")
    for key in _LISTS_OF_MAPPINGS:
        for i, item in enumerate(data.get(key, ())):
            if not isinstance(item, dict):
                raise fail(f"{key}[{i}]", "expected a mapping")
    for i, note in enumerate(data.get("notes", ())):
        if not isinstance(note, str):
            raise fail(f"notes[{i}]", "expected a string")
    for key, column in data.get("datapoints", {}).items():
        if not isinstance(column, list):
            raise fail(f"datapoints.{key}", "expected a list")


def write_atomically(path: str | Path, text: str) -> None:
    """Write ``text`` to ``path`` via a temporary file, so no half-written file is ever left."""
    p = Path(path)
    tmp = p.with_name(f".{p.name}.tmp")
    try:
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(p)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise RecordError(f"cannot write {path}: {exc}") from None
