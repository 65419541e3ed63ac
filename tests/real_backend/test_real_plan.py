"""``guardsim real plan``: every AWS call in order with its parameters and a cost estimate,
with no credentials; the seed canary's plan carries the post's exact DeploymentConfig and
put_metric_alarm arguments (renamed with the run's prefix)."""

from __future__ import annotations

import json

import pytest
from real_helpers import run_cli

from guardsim.real_backend.naming import ResourceNames, has_run_tag, prefixed
from guardsim.real_backend.plan import plan_run
from guardsim.scenarios import load_scenario

RUN = "post0001"
P = f"guardsim-{RUN}-"
ENDPOINT = "DEMO-Deployment-Guardrails-Canary"

#: The post's update_endpoint DeploymentConfig (canary), with the alarm names of its
#: create_auto_rollback_alarm calls.
POST_DEPLOYMENT_CONFIG = {
    "BlueGreenUpdatePolicy": {
        "TrafficRoutingConfiguration": {
            "Type": "CANARY",
            "CanarySize": {"Type": "INSTANCE_COUNT", "Value": 1},
            "WaitIntervalInSeconds": 300,
        },
        "TerminationWaitInSeconds": 120,
        "MaximumExecutionTimeoutInSeconds": 1800,
    },
    "AutoRollbackConfiguration": {
        "Alarms": [
            {"AlarmName": f"{P}TEST-{ENDPOINT}-5XX-Errors"},
            {"AlarmName": f"{P}TEST-{ENDPOINT}-Model-Latency"},
        ]
    },
}


def post_alarm(name: str, metric: str, threshold: float) -> dict[str, object]:
    """The post's create_auto_rollback_alarm(...) put_metric_alarm arguments."""
    return {
        "AlarmName": name,
        "AlarmDescription": "Test SageMaker endpoint deployment auto-rollback alarm",
        "ActionsEnabled": False,
        "Namespace": "AWS/SageMaker",
        "MetricName": metric,
        "Statistic": "Average",
        "Dimensions": [
            {"Name": "EndpointName", "Value": f"{P}{ENDPOINT}"},
            {"Name": "VariantName", "Value": "AllTraffic"},
        ],
        "Period": 60,
        "EvaluationPeriods": 1,
        "Threshold": threshold,
        "ComparisonOperator": "GreaterThanOrEqualToThreshold",
        "TreatMissingData": "notBreaching",
    }


POST_ALARMS = [
    post_alarm(f"{P}TEST-{ENDPOINT}-5XX-Errors", "Invocation5XXErrors", 1),
    post_alarm(f"{P}TEST-{ENDPOINT}-Model-Latency", "ModelLatency", 10000),
]


def blocks(text: str) -> dict[str, list[dict[str, object]]]:
    """``service.method`` -> the parameters of each of its calls, parsed from the text plan."""
    calls: dict[str, list[dict[str, object]]] = {}
    current: dict[str, object] | None = None
    for line in text.splitlines():
        head = line.strip().split("    #")[0]
        if line[:5].strip().rstrip(".").isdigit() and "." in head:
            current = {}
            calls.setdefault(head.split(". ", 1)[1], []).append(current)
        elif current is not None and line.startswith("       ") and "=" in line:
            key, value = line.strip().split("=", 1)
            current[key] = json.loads(value)
        elif not line.strip():
            current = None
    return calls


def test_plan_of_the_seed_canary_has_the_posts_exact_deployment_config_and_alarms(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for var in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_PROFILE", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
    code, out, err = run_cli("real", "plan", "seed-canary-rollback", "--run-id", RUN)
    assert code == 0, err
    calls = blocks(out)
    (update,) = calls["sagemaker.update_endpoint"]
    assert update["DeploymentConfig"] == POST_DEPLOYMENT_CONFIG
    assert f"DeploymentConfig={json.dumps(update['DeploymentConfig'])}" in out
    alarms = calls["cloudwatch.put_metric_alarm"]
    assert [{k: v for k, v in a.items() if k != "Tags"} for a in alarms] == POST_ALARMS
    assert all(has_run_tag(a["Tags"], RUN) for a in alarms)  # type: ignore[arg-type]
    assert "Estimated instance cost (both fleets run for the whole blue/green update)" in out
    assert "about $" in out and "EXECUTION_ROLE_ARN" in out


def test_plan_lists_every_call_in_order() -> None:
    plan = plan_run(load_scenario("seed-canary-success"), RUN, "eu-west-1")
    methods = [c.method for c in plan.calls]
    # first a look-up of every name the setup creates, in its order
    creates = {
        "create_model": "describe_model",
        "create_endpoint_config": "describe_endpoint_config",
    }
    creates |= {"put_metric_alarm": "describe_alarms", "create_endpoint": "describe_endpoint"}
    setup = [c.method for c in plan.stage("setup") if c.method in creates]
    assert [c.method for c in plan.stage("check")] == [creates[m] for m in setup]
    methods = methods[len(setup) :]
    assert methods[:8] == [
        "create_model",
        "create_model",
        "create_endpoint_config",
        "create_endpoint_config",
        "put_metric_alarm",
        "put_metric_alarm",
        "create_endpoint",
        "describe_endpoint",
    ]
    assert methods.index("update_endpoint") < methods.index("get_metric_data")
    teardown = [c.method for c in plan.stage("teardown")]
    assert teardown[0] == "delete_endpoint" and teardown[-1] == "delete_model"
    for c in plan.stage("setup"):
        kwargs = c.kwargs()
        name = next((v for k, v in kwargs.items() if k.endswith("Name")), "")
        assert str(name).startswith(P)
        if c.method.startswith(("create", "put")):
            assert has_run_tag(kwargs["Tags"], RUN)
    configs = [c.kwargs() for c in plan.calls if c.method == "create_endpoint_config"]
    assert [v["ModelName"] for c in configs for v in c["ProductionVariants"]] == [
        f"{P}DEMO-xgb-churn-pred",
        f"{P}DEMO-xgb-churn-pred3",
    ]


def test_plan_json_is_machine_readable_and_cost_is_both_fleets() -> None:
    code, out, _ = run_cli("real", "plan", "seed-linear-success", "--run-id", RUN, "--json", "-")
    assert code == 0
    data = json.loads(out)
    assert data["run_id"] == RUN and data["calls"][0]["method"] == "describe_model"
    cost = data["cost"]
    assert 0 < cost["expected_usd"] < cost["max_usd"] < 5
    # both 3-instance fleets bill for the whole update: at least 6 x the update's hours
    scenario = load_scenario("seed-linear-success")
    update_hours = (240 + 10 + 180 + 10 + 180 + 10 + 120 + 60) / 3600
    assert cost["expected_instance_hours"] > 6 * update_hours
    assert {p["name"] for p in data["placeholders"]} == {
        "EXECUTION_ROLE_ARN",
        "XGBOOST_IMAGE_URI",
        "MODEL_DATA_URL",
        "PAYLOAD_FILE",
    }
    assert scenario.real is not None


def test_a_scenario_without_a_real_section_is_planned_with_placeholders() -> None:
    code, out, _ = run_cli("real", "plan", "all-at-once-final-bake", "--run-id", RUN)
    assert code == 0
    assert "${BLUE_IMAGE_URI}" in out and "has no 'real' section" in out
    # metric-math dimensions follow the renamed config
    assert f'"Value": "{P}fraud-scorer-v42"' in out


def test_long_names_are_shortened_with_a_hash_and_stay_unique() -> None:
    a = prefixed("x" * 60 + "-a", RUN)
    b = prefixed("x" * 60 + "-b", RUN)
    assert len(a) == len(b) == 63 and a != b and a.startswith(P)
    assert prefixed("short", RUN) == f"{P}short"


def test_resource_names_map_back_to_the_scenario() -> None:
    scenario = load_scenario("seed-canary-rollback")
    names = ResourceNames.for_scenario(scenario, RUN)
    for alarm in scenario.alarms:
        assert names.scenario_alarm(names.alarm(alarm.name)) == alarm.name
    assert names.dimension_value("EndpointName", ENDPOINT) == f"{P}{ENDPOINT}"
    assert names.dimension_value("VariantName", "AllTraffic") == "AllTraffic"


def test_a_bad_run_id_is_refused() -> None:
    code, _, err = run_cli("real", "plan", "seed-canary-rollback", "--run-id", "Bad_ID!")
    assert code == 2 and "invalid run id" in err
