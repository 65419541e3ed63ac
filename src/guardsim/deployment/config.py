"""The DeploymentConfig SageMaker actually applies to an endpoint (the Inf1 fallback).

Endpoints using features deployment guardrails exclude, Inf1 (Inferentia) instances and AWS
Marketplace containers (which a scenario cannot express), "fall back to blue/green all at once
with no final baking period" (see aws-model.md#exclusions;
https://docs.aws.amazon.com/sagemaker/latest/dg/deployment-guardrails-exclusions.html). Pure:
the SimPy controller, the batch engine and lint all ask :func:`effective_deployment_config`.
"""

from __future__ import annotations

from guardsim.scenarios.boto import BlueGreenUpdatePolicy, DeploymentConfig, TrafficRoutingConfig
from guardsim.scenarios.scenario import Scenario

#: Instance-type prefixes whose endpoints cannot use deployment guardrails (see
#: aws-model.md#exclusions).
EXCLUDED_INSTANCE_PREFIXES = ("ml.inf1.",)


def effective_deployment_config(scenario: Scenario) -> DeploymentConfig:
    """The DeploymentConfig SageMaker actually applies.

    Endpoints using excluded features (Inf1 instances; Marketplace containers, which a scenario
    cannot express) "fall back to blue/green all-at-once with no final baking period" (see
    aws-model.md#exclusions): the alarms are kept but never get a bake to act in. Otherwise the
    scenario's own config, the same object.
    """
    types = (scenario.endpoint.blue.instance_type, scenario.endpoint.green.instance_type)
    if not any(t.startswith(EXCLUDED_INSTANCE_PREFIXES) for t in types):
        return scenario.deployment_config
    routing = TrafficRoutingConfig(type="ALL_AT_ONCE", wait_interval_seconds=0)
    return DeploymentConfig(
        blue_green=BlueGreenUpdatePolicy(
            routing,
            termination_wait_seconds=0,
            maximum_execution_timeout_seconds=(
                scenario.deployment_config.maximum_execution_timeout_seconds
            ),
        ),
        auto_rollback=scenario.deployment_config.auto_rollback,
    )
