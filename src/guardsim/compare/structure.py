"""Whether two runs deployed the same thing, so comparing them means something.

A prediction and a real run (or a scenario and the real runs it is calibrated from) must agree
on **what was deployed**: the DeploymentConfig's update policy, the rollback alarms' rules, and
the instance types and counts. They may differ in everything calibration changes (models,
traffic, environment, simulation) and in names: the real backend prefixes every name it creates
with ``guardsim-<run id>-``, so names are not compared.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from guardsim.errors import CompareError

#: Alarm fields that decide when an alarm fires (names, descriptions and actions do not).
_ALARM_RULE_KEYS = (
    "MetricName",
    "Namespace",
    "Statistic",
    "ExtendedStatistic",
    "Period",
    "EvaluationPeriods",
    "DatapointsToAlarm",
    "Threshold",
    "ComparisonOperator",
    "TreatMissingData",
    "EvaluateLowSampleCountPercentile",
)


def _variant(config: Any) -> dict[str, Any]:
    variants = (config or {}).get("ProductionVariants") or [{}]
    v = variants[0]
    return {
        "InstanceType": v.get("InstanceType"),
        "InitialInstanceCount": v.get("InitialInstanceCount"),
    }


def deployment_signature(definition: Mapping[str, Any]) -> dict[str, Any]:
    """The parts of a scenario definition (``Scenario.to_dict()``) that define the deployment."""
    dc = dict(definition.get("deployment_config") or {})
    arc = dict(dc.pop("AutoRollbackConfiguration", None) or {})
    alarms = {
        str(a.get("AlarmName", "")): a
        for a in definition.get("alarms") or ()
        if isinstance(a, Mapping)
    }
    rollback = []
    for entry in arc.get("Alarms") or ():
        a = alarms.get(str(entry.get("AlarmName", "")), {})
        rule = {k: a.get(k) for k in _ALARM_RULE_KEYS if k in a}
        if "Metrics" in a:
            rule["Metrics"] = [
                {"Expression": q.get("Expression"), "ReturnData": q.get("ReturnData")}
                for q in a["Metrics"]
            ]
        rollback.append(rule)
    endpoint = definition.get("endpoint") or {}
    return {
        "deployment_config": dc,
        "rollback_alarms": rollback,
        "endpoint": {side: _variant(endpoint.get(side)) for side in ("blue", "green")},
    }


def _diff(a: Any, b: Any, path: str, out: list[str]) -> None:
    if isinstance(a, Mapping) and isinstance(b, Mapping):
        for k in sorted(set(a) | set(b), key=str):
            _diff(a.get(k), b.get(k), f"{path}.{k}" if path else str(k), out)
    elif isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            _diff(x, y, f"{path}[{i}]", out)
    elif a != b and not (_number(a) and _number(b) and float(a) == float(b)):
        out.append(f"{path}: {a!r} vs {b!r}")


def _number(x: Any) -> bool:
    return isinstance(x, int | float) and not isinstance(x, bool)


def deployment_differences(first: Mapping[str, Any], second: Mapping[str, Any]) -> list[str]:
    """``path: first vs second`` for every deployment-defining field that differs."""
    out: list[str] = []
    _diff(deployment_signature(first), deployment_signature(second), "", out)
    return out


def check_same_deployment(
    first: Mapping[str, Any], second: Mapping[str, Any], first_name: str, second_name: str
) -> None:
    """Raise :class:`CompareError` naming each difference if the two deployed different things.

    An empty definition (a record that does not carry its scenario) is not checked.
    """
    if not first or not second:
        return
    diffs = deployment_differences(first, second)
    if diffs:
        shown = "; ".join(diffs[:5]) + ("; ..." if len(diffs) > 5 else "")
        raise CompareError(
            f"{first_name} and {second_name} are not the same deployment ({first_name} vs "
            f"{second_name}): {shown}"
        )
