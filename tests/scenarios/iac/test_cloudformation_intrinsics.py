"""The CloudFormation intrinsic functions guardsim resolves, one table row each."""

from __future__ import annotations

from pathlib import Path

import pytest

from guardsim.scenarios import load_scenario
from guardsim.scenarios.loading import read_scenario

TEMPLATE = """\
AWSTemplateFormatVersion: "2010-09-09"
Parameters:
  Stage: {{Type: String, Default: prod}}
  Sizes: {{Type: CommaDelimitedList, Default: "1,2,3"}}
Mappings:
  Fleet:
    prod: {{Count: 4}}
    dev: {{Count: 2}}
Conditions:
  IsProd: !Equals [!Ref Stage, prod]
  NotProd: !Not [!Condition IsProd]
  Both: !And [!Condition IsProd, !Equals [a, a]]
Resources:
  Config:
    Type: AWS::SageMaker::EndpointConfig
    Properties:
      EndpointConfigName: !Join ["-", [cfg, !Ref Stage]]
      ProductionVariants:
        - VariantName: AllTraffic
          InstanceType: ml.m5.large
          InitialInstanceCount: !FindInMap [Fleet, !Ref Stage, Count]
  DevOnly:
    Type: AWS::CloudWatch::Alarm
    Condition: NotProd
    Properties: {{AlarmName: dev, MetricName: Invocations, Namespace: AWS/SageMaker,
                 Statistic: Sum, Period: 60, EvaluationPeriods: 1, Threshold: 1,
                 ComparisonOperator: GreaterThanThreshold}}
  Errors:
    Type: AWS::CloudWatch::Alarm
    Properties:
      AlarmName: !Sub
        - ${{Name}}-errors
        - Name: !Select [0, !Split ["/", "svc/x"]]
      Namespace: AWS/SageMaker
      MetricName: Invocation5XXErrors
      Statistic: Average
      Period: 60
      EvaluationPeriods: !Select [1, !Ref Sizes]
      Threshold: 0.01
      ComparisonOperator: GreaterThanThreshold
      TreatMissingData: !If [Both, notBreaching, !Ref AWS::NoValue]
      Dimensions:
        - {{Name: EndpointName, Value: !Sub "${{Stage}}-ep"}}
        - {{Name: VariantName, Value: AllTraffic}}
        - {{Name: EndpointConfigName, Value: !GetAtt Config.EndpointConfigName}}
  Endpoint:
    Type: AWS::SageMaker::Endpoint
    Properties:
      EndpointName: !Sub ${{Stage}}-ep
      EndpointConfigName: !GetAtt Config.EndpointConfigName
      DeploymentConfig:
        BlueGreenUpdatePolicy:
          TrafficRoutingConfiguration:
            Type: {routing}
            WaitIntervalInSeconds: 300
          TerminationWaitInSeconds: 300
          MaximumExecutionTimeoutInSeconds: 3600
        AutoRollbackConfiguration:
          Alarms: [{{AlarmName: !Ref Errors}}]
"""


@pytest.fixture
def template(tmp_path: Path) -> Path:
    path = tmp_path / "t.yaml"
    path.write_text(TEMPLATE.format(routing="ALL_AT_ONCE"), encoding="utf-8")
    return path


def test_intrinsics(template: Path) -> None:
    s = load_scenario(template)
    assert s.endpoint.green.name == "cfg-prod"  # Fn::Join with a Ref
    assert s.endpoint.green.instance_count == 4  # Fn::FindInMap
    assert [a.name for a in s.alarms] == ["svc-errors"]  # DevOnly's Condition is false
    errors = s.alarms[0]
    assert errors.evaluation_periods == 2  # Fn::Select of a CommaDelimitedList
    assert errors.treat_missing_data == "notBreaching"  # Fn::If on Fn::And
    assert errors.dimensions is not None
    assert [d.value for d in errors.dimensions] == ["prod-ep", "AllTraffic", "cfg-prod"]
    assert s.deployment_config.rollback_alarm_names == ("svc-errors",)


def test_the_other_branch(template: Path) -> None:
    from guardsim.scenarios.iac import IacOptions

    s = load_scenario(template, IacOptions(parameters={"Stage": "dev"}))
    assert s.endpoint.green.instance_count == 2
    assert sorted(a.name for a in s.alarms) == ["dev", "svc-errors"]
    assert s.alarm("svc-errors").treat_missing_data is None  # AWS::NoValue


def test_unknown_intrinsic_and_condition_are_named(tmp_path: Path) -> None:
    text = TEMPLATE.format(routing="!If [Nope, CANARY, ALL_AT_ONCE]")
    path = tmp_path / "t.yaml"
    path.write_text(text, encoding="utf-8")
    result = read_scenario(path)
    assert result.scenario is None
    assert any("condition 'Nope' is not defined" in p.message for p in result.errors)
