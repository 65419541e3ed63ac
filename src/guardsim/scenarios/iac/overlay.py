"""The guardsim overlay: what IaC does not hold (model behaviour, traffic, environment).

A CloudFormation template or Terraform configuration declares the endpoint, its new
EndpointConfig, the DeploymentConfig and the alarms; it does not say how the models behave,
how much traffic the endpoint gets, or which config the endpoint serves today. An overlay file
(``--with overlay.yaml``) gives those, as the sections of a scenario file::

    name: churn-model-prod            # default: the endpoint's name
    endpoint:
      blue:                           # the config it serves today (create_endpoint_config)
        EndpointConfigName: churn-v41
        ProductionVariants: [{VariantName: AllTraffic, InstanceType: ml.m5.xlarge,
                              InitialInstanceCount: 3}]
    models: {blue: {error_rate_5xx: 0.001}, green: {error_rate_5xx: 0.001}}
    traffic: {rate_per_second: 20}
    environment: {...}
    simulation: {seed: 7}

Every section is optional; left out, the scenario file defaults apply (and the current config
is assumed to be the new one's copy under the name ``<new>-previous``; the output says so).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from guardsim.errors import Problem, ScenarioError, ScenarioNotFound
from guardsim.scenarios.fields import type_name, unknown_key_problem

OVERLAY_KEYS = (
    "name",
    "description",
    "endpoint",
    "models",
    "traffic",
    "environment",
    "simulation",
    "real",
)
ENDPOINT_KEYS = ("blue",)


def read_overlay(path: Path) -> dict[str, Any]:
    """The overlay's sections (validated later, with the scenario); bad keys raise."""
    from guardsim.scenarios.loading import parse_text

    source = str(path)
    from guardsim.inputs import read_text

    text = read_text(
        path, "overlay", what="overlay file", error=lambda m: ScenarioNotFound(m, source)
    )
    raw = parse_text(text, source, json_only=path.suffix.lower() == ".json")
    if raw is None:
        return {}
    problems: list[Problem] = []
    if not isinstance(raw, Mapping):
        raise ScenarioError(
            [Problem("", f"an overlay must be a mapping of sections, got {type_name(raw)}")],
            source,
        )
    for key in raw:
        if key not in OVERLAY_KEYS:
            problems.append(unknown_key_problem("", key, OVERLAY_KEYS))
    endpoint = raw.get("endpoint")
    if endpoint is not None:
        if not isinstance(endpoint, Mapping):
            problems.append(Problem("endpoint", f"expected a mapping, got {type_name(endpoint)}"))
        else:
            for key in endpoint:
                if key not in ENDPOINT_KEYS:
                    problems.append(unknown_key_problem("endpoint", key, ENDPOINT_KEYS))
    if problems:
        raise ScenarioError(problems, source)
    return dict(raw)
