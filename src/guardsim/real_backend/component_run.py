"""``guardsim real run`` of an inference component update (orchestration).

The steps of :mod:`.run`, for a component
(https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_UpdateInferenceComponent.html):

1. setup (the plan's calls, :mod:`.component_plan`): the models, the endpoint config, the
   alarms and the endpoint, waited ``InService``; then the neighbours and the component
   (``CreateInferenceComponent``), each waited ``InService``; every resource enters the ledger
   before its call;
2. warm-up traffic to the component (``InferenceComponentName``);
3. ``UpdateInferenceComponent``, once the component shows the run's tag;
4. follow ``DescribeInferenceComponent`` while the traffic goes on, then the cool-down;
5. collect the component's metrics and the alarms' history, and write the record;
6. teardown, always (the components first).

**Detecting a rollback.** ``InferenceComponentStatus`` has no RollingBack state: a rolled-back
update ends ``InService``, as a successful one does. The outcome is read the way AWS lets a
caller read it: the component's ``Specification.ModelName`` after the update (the new model:
SUCCEEDED; the old one: ROLLED_BACK), with ``FailureReason`` if SageMaker gave one. When the
rollback is seen only in the end state, its start is taken from ``DescribeAlarmHistory``: the
first time a rollback alarm went to ALARM after the update began (an inference, said in the
record's transition reason; SageMaker notices the alarm at its next poll).

**The record.** In the unit view every engine uses for components (one unit per copy): the old
and the new copies are the record's blue and green fleets, each unit billed at its copy's share
of an instance (:func:`guardsim.deployment.components.unit_price`). SageMaker publishes a
component's invocation metrics under ``InferenceComponentName`` only, which blends the old and
the new copies: the record's datapoints are that series (``blended``), and the blast radius
(``green_requests``, ``green_errors``) cannot be read from CloudWatch: it is null (not 0), and
a note says why. No estimate takes its place: DescribeInferenceComponent gives the running
copies (``RuntimeConfig.CurrentCopyCount``) but not how many run the new model, so an
apportioned figure would rest on the plan's batches, not on what was observed. The record's
notes list every change of status, model and copy counts the run saw (the copies that served);
the traffic rows' ``active_blue``/``active_green`` follow the plan's batches between them.
``user_errors`` counts the errors the run's own requests got.
"""

from __future__ import annotations

from typing import Any

from guardsim.deployment.components import batch_sizes, plan_component, unit_price
from guardsim.errors import ExternalError
from guardsim.real_backend.assemble import Fleet, RecordInputs, assemble_record
from guardsim.real_backend.clients import call
from guardsim.real_backend.collect import DimensionSet
from guardsim.real_backend.follow import Followed
from guardsim.real_backend.naming import TAG_KEY, has_run_tag
from guardsim.real_backend.observations import Observation
from guardsim.real_backend.run import _Run
from guardsim.real_backend.traffic import Request, load_payloads
from guardsim.real_backend.transitions import Context, translate
from guardsim.record import BLAST_RADIUS_NOT_OBSERVABLE, RunRecord
from guardsim.scenarios.components import COMPONENT_DIMENSION
from guardsim.scenarios.scenario import Scenario


def copy_polls(observations: tuple[Observation, ...], t0: float) -> list[str]:
    """Each observation's copy counts, as the record's note lists them (``t0``: time 0)."""
    out = []
    for o in observations:
        if o.pending_current_instances is None:
            continue
        desired = "?" if o.desired_copies is None else str(o.desired_copies)
        out.append(
            f"{o.at - t0:.0f} s: {o.endpoint_status}, {o.config_name}, "
            f"{o.pending_current_instances}/{desired}"
        )
    return out


def rollback_observation(
    observations: tuple[Observation, ...],
    history: list[dict[str, Any]],
    rollback_alarms: tuple[str, ...],
    t0: float,
    old_model: str,
) -> tuple[Observation, ...]:
    """The observations with the rollback's start added, when the component ended on the old
    model and no observation showed the rollback begin (see the module doc): at the first
    ALARM of a rollback alarm after ``t0`` (``history`` rows have record times)."""
    if not observations:
        return observations
    last = observations[-1]
    if last.endpoint_status != "InService" or last.config_name != old_model:
        return observations
    if any(o.endpoint_status == "Updating" and o.failure_reason for o in observations):
        return observations  # SageMaker said so itself
    alarmed = sorted(
        (h["t"], h["alarm"])
        for h in history
        if h["alarm"] in rollback_alarms and h["to"] == "ALARM" and h["t"] >= 0
    )
    if not alarmed:
        return observations
    t, alarm = alarmed[0]
    at = t0 + t
    if last.last_modified is not None and at > last.last_modified:
        return observations
    sign = Observation(
        at=at,
        endpoint_status="Updating",
        config_name=old_model,
        failure_reason=(
            f"rollback alarm {alarm!r} went to ALARM (DescribeAlarmHistory; "
            "InferenceComponentStatus has no RollingBack state)"
        ),
    )
    before = tuple(o for o in observations if o.at <= at)
    after = tuple(o for o in observations if o.at > at)
    return (*before, sign, *after)


def component_record(
    scenario: Scenario,
    followed: Followed,
    *,
    component: str,
    old_model: str,
    new_model: str,
    t0: float,
    history: list[dict[str, Any]],
    datapoints: dict[str, list[Any]],
    requests: tuple[Request, ...] | None,
    launched_at: float,
    ready_at: float,
    update_reason: str,
    notes: list[str],
) -> RunRecord:
    """The run record of a followed component update (``real run`` and ``real observe``):
    the observations translated in the unit view (see the module doc), the rollback's start
    from the alarm history when the component showed none."""
    ic = scenario.inference_component
    assert ic is not None
    env = scenario.environment
    rollback_alarms = scenario.deployment_config.rollback_alarm_names
    observations = rollback_observation(
        followed.observations, history, rollback_alarms, t0, old_model
    )
    sizes = batch_sizes(ic, env.percent_rounding)
    ctx = Context(
        t0=t0,
        old_config=old_model,
        new_config=new_model,
        policy="ROLLING",
        blue_instances=ic.copies,
        green_instances=ic.copies,
        planned_green=tuple(sum(sizes[: i + 1]) for i in range(len(sizes))),
        update_reason=update_reason,
        traffic_start=ready_at,
        noun="model",
    )
    translation = translate(observations, ctx)
    out = list(notes)
    last = followed.observations[-1] if followed.observations else None
    if last is not None:
        out.append(
            f"inference component {component}: {last.endpoint_status} on model "
            f"{last.config_name}"
            + (f", FailureReason: {last.failure_reason}" if last.failure_reason else "")
            + " (a rollback ends InService on the old model: InferenceComponentStatus has "
            "no RollingBack state)"
        )
    polls = copy_polls(followed.observations, t0)
    if polls:
        out.append(
            "copies seen (DescribeInferenceComponent, each change; time: status, "
            "Specification.ModelName, RuntimeConfig.CurrentCopyCount/DesiredCopyCount): "
            + "; ".join(polls)
            + ". The running copies are not split into old and new model by the API: the "
            "traffic rows' active_blue/active_green follow the plan's batches"
        )
    out += [
        f"green_requests and green_errors are null: {BLAST_RADIUS_NOT_OBSERVABLE}",
        "alarm_evaluations is empty and datapoints.published_at is null: CloudWatch keeps "
        "alarm state changes only and does not say when a datapoint became visible",
    ]
    price = unit_price(plan_component(ic, env), env.price_per_hour(ic.instance_type))
    copies = Fleet(ic.instance_type, ic.copies, price)
    return assemble_record(
        RecordInputs(
            scenario_name=scenario.name,
            scenario_definition=scenario.to_dict(),
            seed=scenario.simulation.seed,
            t0=t0,
            translation=translation,
            blue=copies,
            green=copies,
            rollback_alarms=rollback_alarms,
            alarm_history=tuple(history),
            datapoints=datapoints,
            requests=requests,
            blue_launched_at=launched_at,
            blue_ready_at=ready_at,
            billing_granularity_seconds=env.billing_granularity_seconds,
            notes=tuple(out),
            green_observable=False,
        )
    )


class ComponentRun(_Run):
    """One component update on SageMaker (or guardsim's emulator); see the module doc."""

    def _check_component_tag(self, sm: Any) -> None:
        """Refuse to update a component that does not carry the run's tag."""
        name = self.names.component
        arn = call(sm, "describe_inference_component", InferenceComponentName=name)[
            "InferenceComponentArn"
        ]
        tags = call(sm, "list_tags", ResourceArn=arn, MaxResults=100).get("Tags", [])
        if not has_run_tag(tags, self.names.run_id):
            raise ExternalError(
                f"refusing to update inference component {name}: it is not tagged "
                f"{TAG_KEY}={self.names.run_id}"
            )

    def execute(self) -> RunRecord:
        real, names, clock, scenario = self.real, self.names, self.clock, self.scenario
        ic = scenario.inference_component
        assert ic is not None
        load_payloads(real.payload_file)
        sm = self.clients("sagemaker")
        setup_started = clock.now()
        created = self._setup_endpoint(sm)
        for planned in self.plan.stage("setup"):  # the components, on the InService endpoint
            if planned.method == "create_inference_component":
                self._create(planned)
                self._wait_in_service(sm, str(planned.params["InferenceComponentName"]))
        in_service = clock.now()
        driver = self._warm_up(in_service, component=names.component)

        self._check_component_tag(sm)
        update = next(
            c for c in self.plan.stage("update") if c.method == "update_inference_component"
        )
        t0 = self.t0 = clock.now()
        call(sm, "update_inference_component", **update.kwargs())
        self.progress(
            f"UpdateInferenceComponent called: {names.component} {names.blue_model} -> "
            f"{names.green_model}"
        )
        followed = self._follow(sm, driver, t0, names.green_model, component=names.component)
        finished = clock.now()
        datapoints, history, notes = self._collect_component(setup_started, finished, t0)
        requests = driver.snapshot()
        notes += self._run_notes(
            requests,
            f"endpoint {names.endpoint}, inference component {names.component}, models "
            f"{names.blue_model} -> {names.green_model}",
        )
        return component_record(
            scenario,
            followed,
            component=names.component,
            old_model=names.blue_model,
            new_model=names.green_model,
            t0=t0,
            history=history,
            datapoints=datapoints,
            requests=requests,
            launched_at=created - t0,
            ready_at=in_service - t0,
            update_reason=(
                f"UpdateInferenceComponent {names.component} to model {names.green_model} "
                "(ROLLING), called by guardsim"
            ),
            notes=notes,
        )

    def _collect_component(
        self, start: float, end: float, t0: float
    ) -> tuple[dict[str, list[Any]], list[dict[str, Any]], list[str]]:
        """The component's own series (``InferenceComponentName``) and the alarm history."""
        sets = (DimensionSet("blended", ((COMPONENT_DIMENSION, self.names.component),)),)
        return self._collect_sets(sets, start, end, t0)


__all__ = [
    "ComponentRun",
    "component_record",
    "copy_polls",
    "rollback_observation",
]
