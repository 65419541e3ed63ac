"""``guardsim real run``: one scenario executed on real SageMaker and CloudWatch (orchestration).

The steps, each in its own module:

1. the plan (:mod:`.plan`): the calls below, with the scenario's shapes renamed and tagged;
2. setup: first a look-up of every name the plan would create (``describe_*``,
   DescribeAlarms): if one exists it is not this run's, and the run stops before creating
   anything (PutMetricAlarm would silently overwrite an alarm of that name, and a clash found
   only by CreateEndpoint would come after the models and configs were made); then the blue and
   green models and endpoint configs, the alarms and the endpoint, each entered in the
   :class:`~.teardown.Ledger` before it is created; wait for InService;
3. warm-up traffic (:mod:`.traffic`), so the alarms settle;
4. ``update_endpoint`` with the DeploymentConfig, once the endpoint shows the run's tag;
5. follow it (:mod:`.follow`): every DescribeEndpoint change, while the traffic goes on, until
   the update ends (or the follow timeout); then the cool-down traffic;
6. collect GetMetricData and DescribeAlarmHistory (:mod:`.collect`), translate the observations
   (:mod:`.transitions`) and write the record (:mod:`.assemble`);
7. teardown (:mod:`.teardown`), always: on success, on an AWS failure, on a timeout and on
   Ctrl-C.

It makes no guardrail decision of its own: SageMaker does; this only records what happened.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from guardsim.deployment.plan import plan_steps
from guardsim.errors import AWSError, BadInputError, ExternalError, GuardsimError
from guardsim.real_backend.assemble import Fleet, RecordInputs, assemble_record
from guardsim.real_backend.clients import ClientFactory, call, rejected
from guardsim.real_backend.clock import Clock
from guardsim.real_backend.collect import (
    DimensionSet,
    collect_alarm_history,
    collect_datapoints,
    dimension_sets,
)
from guardsim.real_backend.follow import Followed, follow_update, pump, wait_until_settled
from guardsim.real_backend.naming import TAG_KEY, check_run_id, has_run_tag, new_run_id
from guardsim.real_backend.plan import PlannedCall, RunPlan, plan_run
from guardsim.real_backend.teardown import (
    CREATES,
    Ledger,
    TeardownReport,
    exists,
    teardown,
)
from guardsim.real_backend.traffic import DROPPED, Request, TrafficDriver, load_payloads
from guardsim.real_backend.transitions import Context, translate
from guardsim.record import RunRecord
from guardsim.scenarios.real import Real
from guardsim.scenarios.scenario import Scenario

Progress = Callable[[str], None]

#: How long a new endpoint may stay Creating before the run gives up (a misconfigured one can
#: stay Creating for about an hour before it fails, see aws-model.md#timings).
CREATE_TIMEOUT_SECONDS = 3600.0


@dataclass(frozen=True)
class RealRunResult:
    """What a real run produced: its record (None if it stopped before the update ended), the
    teardown report, every request, and the error or interruption that stopped it, if any."""

    plan: RunPlan
    record: RunRecord | None
    teardown: TeardownReport
    requests: tuple[Request, ...]
    error: GuardsimError | None = None
    interrupted: bool = False
    t0: float | None = None  #: epoch of the UpdateEndpoint call (None: not reached)


def check_runnable(scenario: Scenario) -> Real:
    """The scenario's ``real`` section, if it can run: present and with no placeholders left."""
    real = scenario.real
    if real is None:
        raise BadInputError(
            f"scenario {scenario.name} has no 'real' section (images, model data, role, payload); "
            "add one to run it on SageMaker (docs/how-to/real-sagemaker.md)"
        )
    if real.placeholders:
        listed = ", ".join(f"{path} = ${{{name}}}" for path, name in real.placeholders)
        names = sorted({name for _, name in real.placeholders})
        raise BadInputError(
            f"scenario {scenario.name} still has placeholders: {listed}; fill them with "
            + " ".join(f"--set {n}=..." for n in names)
            + " or in a copy of the scenario"
        )
    return real


def _quiet(_: str) -> None:
    pass


class _Run:
    def __init__(
        self,
        scenario: Scenario,
        real: Real,
        plan: RunPlan,
        clients: ClientFactory,
        clock: Clock,
        progress: Progress,
    ) -> None:
        self.scenario = scenario
        self.real = real
        self.plan = plan
        self.names = plan.names
        self.clients = clients
        self.clock = clock
        self.progress = progress
        self.ledger = Ledger(plan.names.run_id)
        self.driver: TrafficDriver | None = None
        self.responses: dict[str, dict[str, Any]] = {}
        self.t0: float | None = None

    # ------------------------------------------------------------------ shared steps

    def _setup_endpoint(self, sm: Any) -> float:
        """Create what the setup stage lists (inference components aside: they need the
        endpoint InService) and wait for the endpoint; the time creation ended."""
        for planned in self.plan.stage("setup"):
            if planned.method in CREATES and planned.method != "create_inference_component":
                self._create(planned)
        created = self.clock.now()
        self._wait_in_service(sm)
        return created

    def _wait_in_service(self, sm: Any, component: str | None = None) -> None:
        """Wait until the endpoint (or its inference ``component``) is no longer Creating;
        ExternalError unless it is then InService."""
        settled = wait_until_settled(
            sm,
            self.names.endpoint,
            self.clock,
            poll=self.real.poll_interval_seconds,
            deadline=self.clock.now() + CREATE_TIMEOUT_SECONDS,
            progress=self.progress,
            component=component,
        )
        if settled.endpoint_status != "InService":
            why = f": {settled.failure_reason}" if settled.failure_reason else ""
            what, call_name = (
                (f"inference component {component}", "CreateInferenceComponent")
                if component
                else (f"endpoint {self.names.endpoint}", "CreateEndpoint")
            )
            raise ExternalError(
                f"{what} is {settled.endpoint_status}, not InService, after {call_name}{why}"
            )

    def _warm_up(self, in_service: float, component: str | None = None) -> TrafficDriver:
        """Start the traffic (to ``component``, if given) and send the warm-up's."""
        real = self.real
        rate = real.rate_per_second or self.scenario.traffic.rate_per_second
        self.driver = TrafficDriver(
            self.clients("sagemaker-runtime"),
            self.names.endpoint,
            load_payloads(real.payload_file),
            content_type=real.content_type,
            rate=rate,
            clock=self.clock,
            max_concurrency=real.max_concurrency,
            arrivals=self.scenario.traffic.arrivals,
            seed=self.scenario.simulation.seed,
            component=component,
        )
        self.driver.start(in_service)
        self.progress(f"warm-up: {rate:g} request(s)/s for {real.warmup_seconds:g} s")
        pump(self.clock, in_service + real.warmup_seconds, self.driver)
        return self.driver

    def _follow(
        self, sm: Any, driver: TrafficDriver, t0: float, new: str, component: str | None = None
    ) -> Followed:
        """Follow the update to its end (or the follow timeout), then the cool-down traffic."""
        real, clock = self.real, self.clock
        followed = follow_update(
            sm,
            self.names.endpoint,
            clock,
            t0=t0,
            new_config=new,
            poll=real.poll_interval_seconds,
            deadline=t0 + self.plan.follow_timeout_seconds,
            driver=driver,
            progress=self.progress,
            component=component,
        )
        if followed.timed_out:
            self.progress(
                f"the update did not end within {self.plan.follow_timeout_seconds:.0f} s; stopping"
            )
        else:
            self.progress(f"cool-down: {real.cooldown_seconds:g} s more traffic for the metrics")
            pump(clock, clock.now() + real.cooldown_seconds, driver)
        driver.stop(wait=True)
        return followed

    def _run_notes(self, requests: tuple[Request, ...], what: str) -> list[str]:
        """Where the run ran (``what``: its resources) and what its requests got."""
        sent = [r for r in requests if r.status != DROPPED]
        dropped = len(requests) - len(sent)
        return [
            f"real run {self.names.run_id} in {self.plan.region or 'the default region'}: "
            f"{what}, alarms " + (", ".join(self.names.alarms.values()) or "none"),
            f"{len(sent)} invoke_endpoint request(s) sent, "
            f"{sum(1 for r in sent if r.is_error)} error(s)"
            + (f", {dropped} dropped (the endpoint was slower than the rate)" if dropped else ""),
        ]

    # ------------------------------------------------------------------ the run

    def execute(self) -> RunRecord:
        names, clock = self.names, self.clock
        load_payloads(self.real.payload_file)
        sm = self.clients("sagemaker")
        setup_started = clock.now()
        created = self._setup_endpoint(sm)
        in_service = clock.now()
        driver = self._warm_up(in_service)

        self._check_tag(sm)
        update = next(c for c in self.plan.stage("update") if c.method == "update_endpoint")
        t0 = self.t0 = clock.now()
        call(sm, "update_endpoint", **update.kwargs())
        self.progress(f"UpdateEndpoint called: {names.blue_config} -> {names.green_config}")
        followed = self._follow(sm, driver, t0, names.green_config)
        finished = clock.now()
        ctx = self._context(t0, in_service)
        translation = translate(followed.observations, ctx)
        datapoints, history, notes = self._collect(setup_started, finished, t0)
        requests = driver.snapshot()
        notes += [
            *self._run_notes(
                requests,
                f"endpoint {names.endpoint}, configs {names.blue_config} -> {names.green_config}",
            ),
            "alarm_evaluations is empty and datapoints.published_at is null: CloudWatch keeps "
            "alarm state changes only and does not say when a datapoint became visible",
        ]
        env = self.scenario.environment
        ep = self.scenario.endpoint
        return assemble_record(
            RecordInputs(
                scenario_name=self.scenario.name,
                scenario_definition=self.scenario.to_dict(),
                seed=self.scenario.simulation.seed,
                t0=t0,
                translation=translation,
                blue=Fleet(
                    ep.blue.instance_type,
                    ep.blue.instance_count,
                    env.price_per_hour(ep.blue.instance_type),
                ),
                green=Fleet(
                    ep.green.instance_type,
                    ep.green.instance_count,
                    env.price_per_hour(ep.green.instance_type),
                ),
                rollback_alarms=self.scenario.deployment_config.rollback_alarm_names,
                alarm_history=tuple(history),
                datapoints=datapoints,
                requests=requests,
                blue_launched_at=created - t0,
                blue_ready_at=in_service - t0,
                billing_granularity_seconds=env.billing_granularity_seconds,
                notes=tuple(notes),
            )
        )

    def refuse_clashes(self) -> None:
        """Stop before any create when a resource the plan would create already exists: it
        is someone else's (or an earlier run's with the same id), and is never touched."""
        for resource in self.plan.created():
            kind, name = resource.kind, resource.name
            if exists(self.clients, resource):
                raise ExternalError(
                    f"refusing to run: {kind.replace('_', ' ')} {name} already exists and is "
                    "not this run's (guardsim only creates, changes and deletes its own "
                    "resources); nothing was created: delete it or pass another --run-id"
                )

    def _create(self, planned: PlannedCall) -> None:
        kind, key = CREATES[planned.method]
        kwargs = planned.kwargs()
        name = str(kwargs[key])
        self.ledger.add(kind, name)  # before the call: it may fail after the resource exists
        try:
            response = call(self.clients(planned.service), planned.method, **kwargs)
        except AWSError as exc:
            if rejected(exc):  # AWS refused it: nothing was created
                self.ledger.discard(kind, name)
            raise
        self.responses[planned.method] = response
        self.progress(f"created {kind.replace('_', ' ')} {name}")

    def _check_tag(self, sm: Any) -> None:
        """Refuse to update an endpoint that does not carry the run's tag."""
        arn = self.responses.get("create_endpoint", {}).get("EndpointArn")
        if not arn:
            arn = call(sm, "describe_endpoint", EndpointName=self.names.endpoint)["EndpointArn"]
        tags = call(sm, "list_tags", ResourceArn=arn, MaxResults=100).get("Tags", [])
        if not has_run_tag(tags, self.names.run_id):
            raise ExternalError(
                f"refusing to update endpoint {self.names.endpoint}: it is not tagged "
                f"{TAG_KEY}={self.names.run_id}"
            )

    def _context(self, t0: float, in_service: float) -> Context:
        s = self.scenario
        dc = s.deployment_config
        steps = plan_steps(
            dc,
            s.endpoint.green.instance_count,
            s.environment.percent_rounding,
            all_at_once_bakes_wait_interval=s.environment.all_at_once_bakes_wait_interval,
        )
        return Context(
            t0=t0,
            old_config=self.names.blue_config,
            new_config=self.names.green_config,
            policy=dc.policy_kind,
            blue_instances=s.endpoint.blue.instance_count,
            green_instances=s.endpoint.green.instance_count,
            planned_green=tuple(step.green_instances for step in steps),
            update_reason=(
                f"UpdateEndpoint to {self.names.green_config} ({dc.policy_kind}), called by "
                "guardsim"
            ),
            traffic_start=in_service - t0,
        )

    def _collect(
        self, start: float, end: float, t0: float
    ) -> tuple[dict[str, list[Any]], list[dict[str, Any]], list[str]]:
        sets = dimension_sets(
            self.names.endpoint,
            self.scenario.endpoint.variant_name,
            self.names.blue_config,
            self.names.green_config,
        )
        return self._collect_sets(sets, start, end, t0)

    def _collect_sets(
        self, sets: tuple[DimensionSet, ...], start: float, end: float, t0: float
    ) -> tuple[dict[str, list[Any]], list[dict[str, Any]], list[str]]:
        """GetMetricData of ``sets`` and the alarms' history; what failed is a note."""
        cw = self.clients("cloudwatch")
        names = self.names
        notes: list[str] = []
        datapoints: dict[str, list[Any]] = {}
        history: list[dict[str, Any]] = []
        try:
            datapoints = collect_datapoints(cw, sets, start, end, t0)
        except AWSError as exc:
            notes.append(f"no datapoints: {exc}")
        try:
            history = collect_alarm_history(
                cw, list(names.alarms.values()), start, end, t0, names.scenario_alarm
            )
        except AWSError as exc:
            notes.append(f"no alarm history: {exc}")
        return datapoints, history, notes


def run_real(
    scenario: Scenario,
    *,
    clients: ClientFactory,
    clock: Clock,
    run_id: str | None = None,
    region: str | None = None,
    progress: Progress = _quiet,
) -> RealRunResult:
    """Run ``scenario`` on SageMaker (or guardsim's emulator) and tear everything down again.

    AWS failures and Ctrl-C do not raise: they end the run early, teardown runs, and the result
    says what happened (``error``, ``interrupted``). Bad input (no ``real`` section,
    placeholders) raises :class:`GuardsimError` before any call.
    """
    real = check_runnable(scenario)
    run_id = check_run_id(run_id) if run_id is not None else new_run_id()
    plan = plan_run(scenario, run_id, region)
    load_payloads(real.payload_file)  # fail before any call if it cannot be read
    run = _Run(scenario, real, plan, clients, clock, progress)
    if scenario.inference_component is not None:
        from guardsim.real_backend.component_run import ComponentRun

        run = ComponentRun(scenario, real, plan, clients, clock, progress)
    record: RunRecord | None = None
    error: GuardsimError | None = None
    interrupted = False
    try:
        run.refuse_clashes()
        record = run.execute()
    except GuardsimError as exc:
        error = exc
        progress(f"stopped: {exc}")
    except KeyboardInterrupt:
        interrupted = True
        progress("interrupted: tearing down")
    finally:
        if run.driver is not None:
            run.driver.stop(wait=not interrupted)
        report = teardown(run.ledger, clients, clock, region=plan.region, progress=progress)
    requests = run.driver.snapshot() if run.driver is not None else ()
    return RealRunResult(plan, record, report, requests, error, interrupted, run.t0)
