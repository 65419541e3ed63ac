"""Runs that exercise nothing: configurations whose outcome says nothing about the new model.

A deployment with no traffic on the new fleet, or whose alarms can never see it, "succeeds"
whatever the model does; guardsim reports that SUCCEEDED faithfully, which reads as good news.
These checks, pure functions of the configuration (:mod:`guardsim.lint.derived`), say so up
front. ``guardsim run``, ``mc`` and ``sweep`` print them as warnings (the run still happens: the
configuration is valid), and ``guardsim lint`` reports them as findings of the
``exercises-nothing`` rule.

* **No traffic on the new fleet during any bake**: the expected requests on green over every
  bake window (:func:`~guardsim.lint.derived.step_timeline`, at the scenario's traffic model)
  are below one, e.g. ``traffic.rate_per_second: 0`` or a replay file of zeros.
* **An alarm whose metric no model emits**: every metric a rollback alarm reads is outside the
  catalogue guardsim publishes (:data:`guardsim.model.metrics.METRICS` in the ``AWS/SageMaker``
  namespace), or its dimensions select no fleet (:func:`guardsim.cloudwatch.binding.bind_source`):
  it never has data, so it can never roll back.
* **The deployment ends before any alarm can evaluate it**: SageMaker reads the alarms only
  while it bakes (https://docs.aws.amazon.com/sagemaker/latest/dg/deployment-guardrails-configuration.html),
  and an alarm goes to ALARM only after ``DatapointsToAlarm`` datapoints of ``Period`` seconds
  breach and are published (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/AlarmThatSendsEmail.html).
  If the time from the first traffic shift to the end of the last bake is shorter than
  ``Period x DatapointsToAlarm`` plus the mean metric publish delay and the alarm reaction
  (``environment`` settings) for every rollback alarm, no alarm can act on the new fleet's
  traffic before the deployment is over.
"""

from __future__ import annotations

from dataclasses import dataclass

from guardsim.deployment.config import effective_deployment_config
from guardsim.deployment.plan import plan_steps
from guardsim.lint.derived import (
    StepTiming,
    alarm_facts,
    detection_latency,
    mean_rate,
    step_timeline,
)
from guardsim.model.metrics import NAMESPACE
from guardsim.scenarios.scenario import Scenario

BG = "deployment_config.BlueGreenUpdatePolicy"


@dataclass(frozen=True)
class Unexercised:
    """One reason a run exercises nothing: a code, the field to change, and the message."""

    code: str  # no-green-traffic, alarm-without-data, ends-before-evaluation
    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


def _timeline(scenario: Scenario) -> tuple[StepTiming, ...]:
    env = scenario.environment
    steps = plan_steps(
        effective_deployment_config(scenario),
        scenario.endpoint.green.instance_count,
        env.percent_rounding,
        all_at_once_bakes_wait_interval=env.all_at_once_bakes_wait_interval,
    )
    return step_timeline(scenario, steps)


def green_requests_in_bakes(scenario: Scenario, timeline: tuple[StepTiming, ...]) -> float:
    """Expected requests on the new fleet over all bake windows."""
    return sum(
        mean_rate(scenario, t.bake_start, t.bake_end)
        * (t.bake_end - t.bake_start)
        * t.step.green_fraction
        for t in timeline
    )


def unexercised(scenario: Scenario) -> list[Unexercised]:
    """Every reason the scenario's deployment exercises nothing (empty when it does)."""
    out: list[Unexercised] = []
    timeline = _timeline(scenario)
    baked = sum(t.bake_end - t.bake_start for t in timeline)
    if timeline and baked > 0:
        green = green_requests_in_bakes(scenario, timeline)
        if green < 1.0:
            traffic = scenario.traffic
            path = "traffic.replay_file" if traffic.replay_file else "traffic.rate_per_second"
            given = (
                f"replay file {traffic.replay_file}"
                if traffic.replay_file
                else f"rate_per_second {traffic.rate_per_second:g}"
            )
            out.append(
                Unexercised(
                    "no-green-traffic",
                    path,
                    f"no traffic reaches the new fleet during any bake ({green:.2g} requests "
                    f"expected over {baked:.0f} s of bakes at {given}): the run exercises "
                    "nothing, and its outcome says nothing about the new model",
                )
            )
    facts = alarm_facts(scenario)
    for a in facts:
        unsimulated = [s for s in a.sources if not s.simulated]
        if unsimulated and len(unsimulated) == len(a.sources):
            names = ", ".join(f"{s.namespace}/{s.metric}" for s in unsimulated)
            out.append(
                Unexercised(
                    "alarm-without-data",
                    a.path,
                    f"alarm {a.name!r} reads {names}, which no model emits (guardsim publishes "
                    f"the {NAMESPACE} invocation metrics): it never has data here and cannot "
                    "roll back",
                )
            )
        elif a.sees_nothing:
            out.append(
                Unexercised(
                    "alarm-without-data",
                    f"{a.path}.Dimensions",
                    f"alarm {a.name!r}: its dimensions match no metric this endpoint publishes, "
                    "so it never has data and cannot roll back",
                )
            )
    if timeline and facts:
        span = timeline[-1].bake_end - timeline[0].bake_start
        earliest = {}
        for a in facts:
            d = detection_latency(a, scenario)
            earliest[a.name] = d.period * d.datapoints + d.publish_delay_mean + d.reaction
        fastest = min(earliest, key=earliest.__getitem__)
        if span < earliest[fastest]:
            path = (
                f"{BG}.TrafficRoutingConfiguration.WaitIntervalInSeconds"
                if scenario.deployment_config.blue_green is not None
                else "deployment_config.RollingUpdatePolicy.WaitIntervalInSeconds"
            )
            out.append(
                Unexercised(
                    "ends-before-evaluation",
                    path,
                    f"the deployment is over {span:.0f} s after traffic first moves, before any "
                    f"rollback alarm can evaluate the new fleet: the fastest, {fastest!r}, "
                    f"needs at least {earliest[fastest]:.0f} s (Period x DatapointsToAlarm, the "
                    "metric publish delay and the alarm's reaction)",
                )
            )
    return out
