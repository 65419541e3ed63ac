"""A small valid scenario as plain data, and a helper that edits a copy of it at dotted paths.

The base is chosen so that every rule can be broken with one or two edits: a 4-instance green
fleet (so "3 of 4 instances" is over the canary limit), a CANARY policy whose waits sum to
300 + 120 s, one rollback alarm that is also defined, a fault list and a lognormal distribution.
It loads with no errors and no warnings.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping
from typing import Any

#: Marks a key (or list item) to delete in :func:`modified`.
DELETE = object()

TRC = "deployment_config.BlueGreenUpdatePolicy.TrafficRoutingConfiguration"
BG = "deployment_config.BlueGreenUpdatePolicy"
RP = "deployment_config.RollingUpdatePolicy"

BASE: dict[str, Any] = {
    "name": "base",
    "description": "A small valid scenario that the validation tests break one rule at a time.",
    "endpoint": {
        "name": "shop-ranker",
        "blue": {
            "EndpointConfigName": "shop-ranker-v1",
            "ProductionVariants": [
                {
                    "VariantName": "AllTraffic",
                    "InstanceType": "ml.m5.xlarge",
                    "InitialInstanceCount": 4,
                }
            ],
        },
        "green": {
            "EndpointConfigName": "shop-ranker-v2",
            "ProductionVariants": [
                {
                    "VariantName": "AllTraffic",
                    "InstanceType": "ml.m5.xlarge",
                    "InitialInstanceCount": 4,
                }
            ],
        },
    },
    "deployment_config": {
        "BlueGreenUpdatePolicy": {
            "TrafficRoutingConfiguration": {
                "Type": "CANARY",
                "CanarySize": {"Type": "INSTANCE_COUNT", "Value": 1},
                "WaitIntervalInSeconds": 300,
            },
            "TerminationWaitInSeconds": 120,
            "MaximumExecutionTimeoutInSeconds": 1800,
        },
        "AutoRollbackConfiguration": {"Alarms": [{"AlarmName": "shop-ranker-5xx"}]},
    },
    "alarms": [
        {
            "AlarmName": "shop-ranker-5xx",
            "Namespace": "AWS/SageMaker",
            "MetricName": "Invocation5XXErrors",
            "Statistic": "Average",
            "Dimensions": [
                {"Name": "EndpointName", "Value": "shop-ranker"},
                {"Name": "VariantName", "Value": "AllTraffic"},
            ],
            "Period": 60,
            "EvaluationPeriods": 3,
            "DatapointsToAlarm": 2,
            "Threshold": 0.01,
            "ComparisonOperator": "GreaterThanOrEqualToThreshold",
            "TreatMissingData": "notBreaching",
        }
    ],
    "models": {
        "blue": {"latency": {"median_ms": 5, "p99_ms": 20}},
        "green": {
            "latency": {"median_ms": 5, "p99_ms": 20},
            "error_rate_5xx": 0.0,
            "faults": [{"kind": "errors", "rate_5xx": 0.2, "after_seconds": 60}],
        },
    },
    "traffic": {"rate_per_second": 10},
    "environment": {"provisioning_seconds": {"kind": "lognormal", "median": 240, "p99": 480}},
    "simulation": {"seed": 1},
}

_TOKEN = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


def parse_path(path: str) -> list[str | int]:
    """``a.b[2].c`` -> ``['a', 'b', 2, 'c']`` (the path syntax of guardsim's Problems)."""
    keys: list[str | int] = []
    for name, index in _TOKEN.findall(path):
        keys.append(int(index) if index else name)
    return keys


def set_at(data: Any, path: str, value: Any) -> None:
    """Set (or with :data:`DELETE`, remove) the value at ``path`` in nested dicts and lists.

    A list index one past the end appends.
    """
    *parents, last = parse_path(path)
    node = data
    for key in parents:
        node = node[key]
    if value is DELETE:
        del node[last]
    elif isinstance(node, list) and last == len(node):
        node.append(value)
    else:
        node[last] = value


def modified(changes: Mapping[str, Any], base: Mapping[str, Any] = BASE) -> dict[str, Any]:
    """A deep copy of ``base`` with each ``path: value`` applied in order."""
    data = copy.deepcopy(dict(base))
    for path, value in changes.items():
        set_at(data, path, copy.deepcopy(value) if value is not DELETE else value)
    return data


def alarm(name: str, **overrides: Any) -> dict[str, Any]:
    """A copy of the base alarm under another name, with some members replaced."""
    out = copy.deepcopy(BASE["alarms"][0])
    out["AlarmName"] = name
    out.update(overrides)
    return out


def rolling(batch: Mapping[str, Any], **extra: Any) -> dict[str, Any]:
    """Changes that swap the base's blue/green policy for a RollingUpdatePolicy."""
    policy = {"MaximumBatchSize": dict(batch), "WaitIntervalInSeconds": 300, **extra}
    return {BG: DELETE, RP: policy}
