"""What every lint rule gets besides the scenario: the derived plan and the shared evidence."""

from __future__ import annotations

from dataclasses import dataclass

from guardsim.deployment.config import effective_deployment_config
from guardsim.deployment.plan import Step, plan_steps
from guardsim.lint.derived import (
    AlarmFacts,
    DetectionLatency,
    StepTiming,
    alarm_facts,
    detection_latency,
    requests_per_period,
    step_timeline,
)
from guardsim.lint.evidence import Evidence
from guardsim.scenarios.boto import DeploymentConfig
from guardsim.scenarios.scenario import Scenario


@dataclass(frozen=True)
class LintContext:
    """The scenario's plan as SageMaker will run it, its rollback alarms, and the evidence.

    ``config`` is the DeploymentConfig SageMaker applies (for endpoints that cannot use
    guardrails, the all-at-once fallback: ``fallback`` is then True); ``steps`` its traffic
    steps (``guardsim.deployment.plan.plan_steps``) and ``timeline`` their expected bake
    windows; ``alarms`` the rollback alarms that are defined, in AutoRollbackConfiguration order.
    """

    scenario: Scenario
    evidence: Evidence
    config: DeploymentConfig
    steps: tuple[Step, ...]
    timeline: tuple[StepTiming, ...]
    alarms: tuple[AlarmFacts, ...]
    fallback: bool
    #: how long the tool applying the update waits for it (``--tool-wait-seconds``); None: the
    #: tool's own documented wait (``iac-timeout-vs-tool-wait``)
    tool_wait_seconds: int | None = None

    @classmethod
    def build(
        cls, scenario: Scenario, evidence: Evidence, *, tool_wait_seconds: int | None = None
    ) -> LintContext:
        config = effective_deployment_config(scenario)
        env = scenario.environment
        steps = plan_steps(
            config,
            scenario.endpoint.green.instance_count,
            env.percent_rounding,
            all_at_once_bakes_wait_interval=env.all_at_once_bakes_wait_interval,
        )
        return cls(
            scenario=scenario,
            evidence=evidence,
            config=config,
            steps=steps,
            timeline=step_timeline(scenario, steps),
            alarms=alarm_facts(scenario),
            fallback=config is not scenario.deployment_config,
            tool_wait_seconds=tool_wait_seconds,
        )

    @property
    def partial_steps(self) -> tuple[StepTiming, ...]:
        """The steps before all traffic is on green (the canary, linear steps, early batches)."""
        return tuple(t for t in self.timeline if not t.step.is_final)

    @property
    def first(self) -> StepTiming | None:
        """The first step with traffic on green (the canary): where a bad model must be caught."""
        return self.timeline[0] if self.timeline else None

    def detection(self, facts: AlarmFacts) -> DetectionLatency:
        return detection_latency(facts, self.scenario)

    def requests(self, facts: AlarmFacts, timing: StepTiming) -> float:
        """Expected requests per period of ``facts`` during ``timing``'s bake."""
        return requests_per_period(self.scenario, facts.fleets, timing, facts.period)
