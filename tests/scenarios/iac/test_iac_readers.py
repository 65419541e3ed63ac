"""Reading CloudFormation (YAML, JSON, CDK output) and Terraform (.tf, plan JSON) as scenarios."""

from __future__ import annotations

from pathlib import Path

import pytest
from iac_helpers import CDK, OVERLAY, PLAN, TEMPLATE, TF, line_of

from guardsim.errors import ScenarioError
from guardsim.scenarios import load_scenario
from guardsim.scenarios.iac import IacOptions
from guardsim.scenarios.loading import read_scenario


def _guardrail(ref: Path, **options: object) -> dict[str, object]:
    s = load_scenario(ref, IacOptions(**options) if options else None)  # type: ignore[arg-type]
    d = s.to_dict()
    # the guardrail itself: the alarms without their description (only the template has one)
    alarms = [{k: v for k, v in a.items() if k != "AlarmDescription"} for a in d["alarms"]]
    return {
        "deployment_config": d["deployment_config"],
        "alarms": alarms,
        "green": d["endpoint"]["green"]["ProductionVariants"][0]["InitialInstanceCount"],
        "name": s.endpoint.name,
    }


def test_cloudformation_template_resolves_parameters_conditions_and_sub() -> None:
    s = load_scenario(TEMPLATE)
    assert s.endpoint.name == "churn-prod"  # !Sub ${SageMakerProjectName}-${StageName}
    assert s.endpoint.green.name == "churn-prod-config"  # !GetAtt EndpointConfig.EndpointConfigName
    assert s.endpoint.green.instance_count == 3  # !Ref EndpointInstanceCount (a Number parameter)
    canary = s.deployment_config.blue_green.traffic_routing.canary_size  # type: ignore[union-attr]
    assert canary is not None and (canary.type, canary.value) == ("CAPACITY_PERCENT", 10)
    assert s.deployment_config.rollback_alarm_names == ("churn-prod-5xx",)  # !Ref of the alarm
    alarm = s.alarms[0]
    assert alarm.period == 60 and alarm.evaluation_periods == 1  # written as strings '60', '1'
    assert alarm.threshold == 1.0 and alarm.treat_missing_data is None
    assert s.origin is not None and s.origin.format == "cloudformation"
    loc = s.origin.locate("alarms[0].Threshold")
    assert loc is not None and loc.line == line_of(TEMPLATE, "Threshold: '1'")
    assert loc.iac_path == "Resources.Invocation5XXAlarm.Properties.Threshold"


def test_parameter_changes_the_condition_and_novalue_removes_the_deployment_config() -> None:
    s = load_scenario(TEMPLATE, IacOptions(parameters={"StageName": "staging"}))
    assert s.endpoint.name == "churn-staging"
    assert s.deployment_config.blue_green is None
    assert s.deployment_config.rollback_alarm_names == ()


def test_validation_errors_point_at_the_template_line() -> None:
    result = read_scenario(TEMPLATE, IacOptions(parameters={"CanaryPercent": "60"}))
    assert result.scenario is None
    (error,) = result.errors
    line = line_of(TEMPLATE, "Value: !Ref CanaryPercent")
    assert error.path.startswith(f"line {line}, Resources.Endpoint.Properties.DeploymentConfig")
    assert "[deployment_config.BlueGreenUpdatePolicy.TrafficRoutingConfiguration." in error.path
    assert "50%" in error.message


def test_unknown_parameter_is_an_error() -> None:
    result = read_scenario(TEMPLATE, IacOptions(parameters={"Nope": "1"}))
    assert result.scenario is None
    assert any("Nope" in p.message for p in result.errors)


def _write(tmp_path: Path, text: str, name: str = "t.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


UNRESOLVED = """\
AWSTemplateFormatVersion: "2010-09-09"
Resources:
  Config:
    Type: AWS::SageMaker::EndpointConfig
    Properties:
      EndpointConfigName: c
      ProductionVariants:
        - {VariantName: AllTraffic, InstanceType: ml.m5.large, InitialInstanceCount: 2}
  Endpoint:
    Type: AWS::SageMaker::Endpoint
    Properties:
      EndpointName: !Sub ${AWS::StackName}-endpoint
      EndpointConfigName: !ImportValue shared-config
"""


def test_what_cannot_be_resolved_is_named_with_its_path_never_guessed(tmp_path: Path) -> None:
    result = read_scenario(_write(tmp_path, UNRESOLVED))
    assert result.scenario is None
    messages = {p.path: p.message for p in result.errors}
    name_line = line_of(tmp_path / "t.yaml", "EndpointName: !Sub")
    (name_path,) = [p for p in messages if p.startswith(f"line {name_line},")]
    assert "--parameter AWS::StackName=VALUE" in messages[name_path]
    assert any("Fn::ImportValue" in m for m in messages.values())
    # with the pseudo parameter given, only the import is left
    given = read_scenario(tmp_path / "t.yaml", IacOptions(parameters={"AWS::StackName": "s"}))
    assert [p for p in given.errors if "StackName" in p.message] == []
    assert any("Fn::ImportValue" in p.message for p in given.errors)


def test_cdk_synth_output_reads_like_the_yaml_template() -> None:
    cdk = _guardrail(CDK)
    cfn = _guardrail(TEMPLATE)
    assert cdk == cfn
    s = load_scenario(CDK)
    assert s.origin is not None
    assert any("CDK" in n for n in s.origin.notes)
    loc = s.origin.locate("deployment_config.BlueGreenUpdatePolicy.TrafficRoutingConfiguration")
    assert loc is not None and loc.line == line_of(CDK, '"TrafficRoutingConfiguration"')


def test_terraform_tf_and_plan_read_like_the_template() -> None:
    cfn = _guardrail(TEMPLATE)
    assert _guardrail(TF) == cfn
    assert _guardrail(PLAN) == cfn
    tf = load_scenario(TF)
    assert tf.origin is not None and tf.origin.format == "terraform"
    loc = tf.origin.locate(
        "deployment_config.BlueGreenUpdatePolicy.TrafficRoutingConfiguration.CanarySize.Value"
    )
    assert loc is not None and loc.line == line_of(TF, "value = var.canary_percent")
    plan = load_scenario(PLAN)
    assert plan.origin is not None and plan.origin.format == "terraform-plan"
    loc = plan.origin.locate("alarms[0].Threshold")
    assert loc is not None and loc.line == line_of(PLAN, '"threshold": 1')


def test_terraform_var_overrides_the_default() -> None:
    s = load_scenario(TF, IacOptions(variables={"stage": "dev"}))
    assert s.endpoint.name == "churn-dev"
    assert s.deployment_config.rollback_alarm_names == ("churn-dev-5xx",)
    bad = read_scenario(TF, IacOptions(variables={"canary_percent": "70"}))
    assert bad.scenario is None
    line = line_of(TF, "value = var.canary_percent")
    assert any(p.path.startswith(f"line {line},") for p in bad.errors)


def test_overlay_gives_models_traffic_and_the_current_config() -> None:
    s = load_scenario(TEMPLATE, IacOptions(overlay=OVERLAY))
    assert s.endpoint.blue.name == "churn-prod-config-v2"
    assert s.models.blue.error_rate_5xx == 0.001
    assert s.traffic.rate_per_second == 20
    assert s.simulation.seed == 11
    plain = load_scenario(TEMPLATE)
    assert plain.endpoint.blue.name == "churn-prod-config-previous"
    assert plain.origin is not None
    assert any("serves today" in n for n in plain.origin.notes)


def test_overlay_with_an_unknown_section_is_an_error(tmp_path: Path) -> None:
    overlay = _write(tmp_path, "modles: {}\n", "overlay.yaml")
    with pytest.raises(ScenarioError) as info:
        load_scenario(TEMPLATE, IacOptions(overlay=overlay))
    assert "modles" in str(info.value) and "models" in str(info.value)


TWO = """\
Resources:
  Config:
    Type: AWS::SageMaker::EndpointConfig
    Properties:
      ProductionVariants:
        - {VariantName: AllTraffic, InstanceType: ml.m5.large, InitialInstanceCount: 2}
  A:
    Type: AWS::SageMaker::Endpoint
    Properties: {EndpointName: a, EndpointConfigName: !GetAtt Config.EndpointConfigName}
  B:
    Type: AWS::SageMaker::Endpoint
    Properties: {EndpointName: b, EndpointConfigName: !GetAtt Config.EndpointConfigName}
"""


def test_several_endpoints_need_resource(tmp_path: Path) -> None:
    path = _write(tmp_path, TWO)
    result = read_scenario(path)
    assert result.scenario is None
    assert any("--resource" in p.message and "A, B" in p.message for p in result.errors)
    b = load_scenario(path, IacOptions(resource="B"))
    assert b.endpoint.name == "b"
    assert b.endpoint.green.name == "Config"  # no EndpointConfigName: the logical id, said so
    assert b.origin is not None and any(
        "Config sets no EndpointConfigName" in n for n in b.origin.notes
    )
    wrong = read_scenario(path, IacOptions(resource="C"))
    assert wrong.scenario is None and any("endpoints: A, B" in p.message for p in wrong.errors)


def test_hyperpod_spelling_is_named(tmp_path: Path) -> None:
    text = TEMPLATE.read_text(encoding="utf-8").replace(
        "Type: CAPACITY_PERCENT", "Type: CAPACITY_PERCENTAGE"
    )
    path = _write(tmp_path, text)
    result = read_scenario(path)
    assert result.scenario is None
    assert any("HyperPod" in p.message for p in result.errors)


def test_iac_options_on_a_scenario_file_are_an_error() -> None:
    with pytest.raises(ScenarioError, match="IaC files only"):
        read_scenario(
            Path(__file__).parents[2] / "lint" / "data" / "blended-sum-canary.yaml",
            IacOptions(resource="x"),
        )


def test_origin_is_not_part_of_the_scenario_data() -> None:
    s = load_scenario(TEMPLATE)
    assert "origin" not in s.to_dict()


def test_terraform_module_directory_reads_every_tf_file(tmp_path: Path) -> None:
    text = TF.read_text(encoding="utf-8")
    cut = text.index('resource "aws_sagemaker_endpoint_configuration"')
    (tmp_path / "variables.tf").write_text(text[:cut], encoding="utf-8")
    (tmp_path / "main.tf").write_text(text[cut:], encoding="utf-8")
    s = load_scenario(tmp_path, IacOptions(variables={"stage": "dev"}))
    assert s.endpoint.name == "churn-dev"  # the variable is declared in variables.tf
    assert s.origin is not None
    loc = s.origin.locate("alarms[0].Threshold")
    assert loc is not None and loc.file == str(tmp_path / "main.tf")
    assert loc.line == line_of(tmp_path / "main.tf", "threshold           = 1")
    assert _guardrail(tmp_path) == _guardrail(TF)


def test_retain_deployment_config_without_one_is_said(tmp_path: Path) -> None:
    text = TEMPLATE.read_text(encoding="utf-8").replace(
        "      DeploymentConfig: !If",
        "      RetainDeploymentConfig: true\n      DeploymentConfig: !If",
    )
    path = _write(tmp_path, text)
    s = load_scenario(path, IacOptions(parameters={"StageName": "staging"}))
    assert s.origin is not None
    assert any("RetainDeploymentConfig" in n for n in s.origin.notes)


def test_a_terraform_metric_query_keeps_its_id() -> None:
    # `id` is a provider attribute at a resource's top level (ignored) but an API member inside
    # `metric_query`: each query's Id is what the expression refers to
    from guardsim.scenarios.iac.terraform import read_tf

    text = """
resource "aws_cloudwatch_metric_alarm" "rate" {
  alarm_name          = "rate"
  comparison_operator = "GreaterThanThreshold"
  evaluation_periods  = 1
  threshold           = 0.05
  metric_query {
    id          = "rate"
    expression  = "errors / invocations"
    return_data = true
  }
  metric_query {
    id = "errors"
    metric {
      metric_name = "Invocation5XXErrors"
      namespace   = "AWS/SageMaker"
      period      = 60
      stat        = "Sum"
    }
  }
}
"""
    (alarm,) = read_tf(text, "rate.tf", {}).of_kind("alarm")
    queries = alarm.properties["Metrics"]
    assert [q["Id"] for q in queries] == ["rate", "errors"]
    assert queries[0]["Expression"] == "errors / invocations"
    assert "Id" not in alarm.properties and "AlarmName" in alarm.properties
