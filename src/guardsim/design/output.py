"""The designed alarm written out: ``put_metric_alarm`` keyword arguments, a CloudFormation
``AWS::CloudWatch::Alarm`` resource and a Terraform ``aws_cloudwatch_metric_alarm`` block.

CloudFormation's alarm properties carry PutMetricAlarm's names and shapes
(https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-cloudwatch-alarm.html);
Terraform's resource uses snake_case arguments, a ``dimensions`` map and ``metric_query``
blocks for metric math
(https://registry.terraform.io/providers/hashicorp/aws/latest/docs/resources/cloudwatch_metric_alarm).
"""

from __future__ import annotations

import json
import re
from typing import Any

import yaml


def cloudformation_snippet(
    kwargs: dict[str, Any], logical_id: str = "DesignedRollbackAlarm"
) -> str:
    """A CloudFormation template ``Resources`` entry for the alarm (YAML)."""
    resource = {logical_id: {"Type": "AWS::CloudWatch::Alarm", "Properties": kwargs}}
    text: str = yaml.safe_dump({"Resources": resource}, sort_keys=False, default_flow_style=False)
    return text


def _hcl(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value) if isinstance(value, float) else str(value)
    return json.dumps(str(value))


def _dims(dims: list[dict[str, str]], indent: str) -> list[str]:
    out = [f"{indent}dimensions = {{"]
    out += [f"{indent}  {d['Name']} = {_hcl(d['Value'])}" for d in dims]
    out.append(f"{indent}}}")
    return out


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def terraform_snippet(kwargs: dict[str, Any], resource: str = "designed_rollback_alarm") -> str:
    """A Terraform ``aws_cloudwatch_metric_alarm`` resource for the alarm (HCL)."""
    lines = [f'resource "aws_cloudwatch_metric_alarm" "{resource}" {{']
    for key in (
        "AlarmName",
        "AlarmDescription",
        "ActionsEnabled",
        "Namespace",
        "MetricName",
        "Statistic",
        "Period",
        "EvaluationPeriods",
        "DatapointsToAlarm",
        "Threshold",
        "ComparisonOperator",
        "TreatMissingData",
    ):
        if key in kwargs:
            lines.append(f"  {_snake(key)} = {_hcl(kwargs[key])}")
    if "Dimensions" in kwargs:
        lines += _dims(kwargs["Dimensions"], "  ")
    for q in kwargs.get("Metrics", ()):
        lines.append("  metric_query {")
        lines.append(f"    id = {_hcl(q['Id'])}")
        if "Expression" in q:
            lines.append(f"    expression = {_hcl(q['Expression'])}")
        if "Label" in q:
            lines.append(f"    label = {_hcl(q['Label'])}")
        lines.append(f"    return_data = {_hcl(bool(q.get('ReturnData', True)))}")
        if "MetricStat" in q:
            ms = q["MetricStat"]
            m = ms["Metric"]
            lines.append("    metric {")
            lines.append(f"      namespace = {_hcl(m['Namespace'])}")
            lines.append(f"      metric_name = {_hcl(m['MetricName'])}")
            lines.append(f"      period = {_hcl(ms['Period'])}")
            lines.append(f"      stat = {_hcl(ms['Stat'])}")
            lines += _dims(m.get("Dimensions", []), "      ")
            lines.append("    }")
        lines.append("  }")
    lines.append("}")
    return "\n".join(lines) + "\n"


def boto3_snippet(kwargs: dict[str, Any]) -> str:
    """``cloudwatch.put_metric_alarm(**...)`` with the keyword arguments as JSON."""
    return "cloudwatch.put_metric_alarm(**" + json.dumps(kwargs, indent=2) + ")\n"


__all__ = ["boto3_snippet", "cloudformation_snippet", "terraform_snippet"]
