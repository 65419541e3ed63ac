"""Composite alarms read from infrastructure as code: CloudFormation's
``AWS::CloudWatch::CompositeAlarm`` (``!Sub`` with the children's logical ids) and Terraform's
``aws_cloudwatch_composite_alarm`` (names interpolated into ``alarm_rule``) become scenario
composites, named in AutoRollbackConfiguration; a rule naming an undefined alarm is refused
at its IaC line."""

from __future__ import annotations

from pathlib import Path

import pytest
from iac_helpers import TEMPLATE, TF

from guardsim.errors import ScenarioError
from guardsim.scenarios import load_scenario

CFN_ALARMS = """  LatencyAlarm:
    Type: AWS::CloudWatch::Alarm
    Properties:
      AlarmName: !Sub ${SageMakerProjectName}-${StageName}-latency
      Namespace: AWS/SageMaker
      MetricName: ModelLatency
      Dimensions:
        - Name: EndpointName
          Value: !Sub ${SageMakerProjectName}-${StageName}
        - Name: VariantName
          Value: AllTraffic
      Statistic: Average
      Period: 60
      EvaluationPeriods: 1
      Threshold: 100000
      ComparisonOperator: GreaterThanThreshold
  EitherAlarm:
    Type: AWS::CloudWatch::CompositeAlarm
    Properties:
      AlarmName: !Sub ${SageMakerProjectName}-${StageName}-either
      AlarmRule: !Sub "ALARM(${Invocation5XXAlarm}) OR ALARM(${LatencyAlarm})%s"
      ActionsSuppressor: !Ref LatencyAlarm
      ActionsSuppressorWaitPeriod: 60
      ActionsSuppressorExtensionPeriod: 60
"""

TF_ALARMS = """
resource "aws_cloudwatch_composite_alarm" "guard" {
  alarm_name = "churn-${var.stage}-guard"
  alarm_rule = "ALARM(${aws_cloudwatch_metric_alarm.errors.alarm_name}) AND NOT ALARM(%s)"
  actions_suppressor {
    alarm            = aws_cloudwatch_metric_alarm.errors.alarm_name
    extension_period = 60
    wait_period      = 60
  }
}
"""


def _cfn(tmp_path: Path, extra: str = "") -> Path:
    text = TEMPLATE.read_text(encoding="utf-8")
    text = text.replace("  Endpoint:\n", CFN_ALARMS % extra + "  Endpoint:\n", 1)
    text = text.replace("- AlarmName: !Ref Invocation5XXAlarm", "- AlarmName: !Ref EitherAlarm")
    path = tmp_path / "template.yml"
    path.write_text(text, encoding="utf-8")
    return path


def _tf(tmp_path: Path, other: str) -> Path:
    text = TF.read_text(encoding="utf-8").replace(
        "alarm_name = aws_cloudwatch_metric_alarm.errors.alarm_name\n",
        "alarm_name = aws_cloudwatch_composite_alarm.guard.alarm_name\n",
    )
    path = tmp_path / "main.tf"
    path.write_text(text + TF_ALARMS % other, encoding="utf-8")
    return path


def test_cloudformation_composite_alarm(tmp_path: Path) -> None:
    s = load_scenario(str(_cfn(tmp_path)))
    (c,) = s.composite_alarms
    assert c.name == "churn-prod-either"
    assert c.rule == "ALARM(churn-prod-5xx) OR ALARM(churn-prod-latency)"
    assert s.deployment_config.rollback_alarm_names == ("churn-prod-either",)
    assert [a.name for a in s.alarms] == ["churn-prod-5xx", "churn-prod-latency"]


def test_cloudformation_composite_naming_an_unknown_alarm(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError, match="child alarm 'nope' is not defined") as e:
        load_scenario(str(_cfn(tmp_path, " OR OK(nope)")))
    assert "EitherAlarm" in str(e.value)


def test_terraform_composite_alarm(tmp_path: Path) -> None:
    s = load_scenario(str(_tf(tmp_path, "churn-prod-5xx")))
    (c,) = s.composite_alarms
    assert c.name == "churn-prod-guard"
    assert c.rule == "ALARM(churn-prod-5xx) AND NOT ALARM(churn-prod-5xx)"
    assert s.deployment_config.rollback_alarm_names == ("churn-prod-guard",)


def test_terraform_composite_naming_an_unknown_alarm(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError, match="child alarm 'maintenance' is not defined") as e:
        load_scenario(str(_tf(tmp_path, "maintenance")))
    assert "aws_cloudwatch_composite_alarm.guard" in str(e.value)


def test_cloudformation_rule_naming_children_by_arn_reads_their_names(tmp_path: Path) -> None:
    """CDK writes a composite's rule with the children's ARNs (``Fn::GetAtt X.Arn`` in a
    ``Fn::Join``); an AlarmRule takes names or ARNs alike, so guardsim reads the names."""
    path = _cfn(tmp_path)
    text = path.read_text(encoding="utf-8").replace(
        '      AlarmRule: !Sub "ALARM(${Invocation5XXAlarm}) OR ALARM(${LatencyAlarm})"',
        '      AlarmRule: !Join ["", ["ALARM(\\"", !GetAtt Invocation5XXAlarm.Arn, "\\") OR '
        'ALARM(\\"", !GetAtt LatencyAlarm.Arn, "\\")"]]',
    )
    path.write_text(text, encoding="utf-8")
    (c,) = load_scenario(str(path)).composite_alarms
    assert c.rule == 'ALARM("churn-prod-5xx") OR ALARM("churn-prod-latency")'


def test_an_unresolvable_rule_is_named_not_misread(tmp_path: Path) -> None:
    path = _cfn(tmp_path)
    text = path.read_text(encoding="utf-8").replace(
        '      AlarmRule: !Sub "ALARM(${Invocation5XXAlarm}) OR ALARM(${LatencyAlarm})"',
        "      AlarmRule: !ImportValue shared-rule",
    )
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ScenarioError) as e:
        load_scenario(str(path))
    text = str(e.value)
    assert "AlarmRule" in text and "ComparisonOperator" not in text
