"""The inference-component lint rules, on the two component built-ins and edits of them."""

from __future__ import annotations

from lint_helpers import N, build, data

from guardsim.lint import lint

SUCCESS = "component-extra-instance-success"
ROLLBACK = "component-llm-latency-rollback"
COMPONENT_RULES = (
    "component-batch-stalls",
    "component-alarm-dimension",
    "component-timeout",
    "component-rollback-looks-like-success",
)


def _findings(scenario, rule: str, **kw):  # type: ignore[no-untyped-def]
    return lint(scenario, replications=N, rules=[rule], **kw).by_rule(rule)


def test_a_batch_that_needs_more_instances_than_scaling_allows_stalls() -> None:
    raw = data(SUCCESS)
    variant = raw["endpoint"]["blue"]["ProductionVariants"][0]
    variant["ManagedInstanceScaling"]["MaxInstanceCount"] = 2
    (f,) = _findings(build(raw), "component-batch-stalls")
    assert f.severity == "error"
    assert f.path == "deployment_config.RollingUpdatePolicy.MaximumBatchSize"
    assert "at most 2 instance(s)" in f.message and "times out after 3600 s" in f.message
    assert _findings(build(data(SUCCESS)), "component-batch-stalls") == ()


def test_an_alarm_without_the_component_dimension_is_flagged() -> None:
    raw = data(SUCCESS)
    raw["alarms"][0]["Dimensions"] = [
        {"Name": "EndpointName", "Value": "chat-assistant"},
        {"Name": "VariantName", "Value": "AllTraffic"},
    ]
    (f,) = _findings(build(raw), "component-alarm-dimension")
    assert f.severity == "warning" and f.path == "alarms[0].Dimensions"
    assert "InferenceComponentName=chat-assistant-llm" in f.fix
    assert _findings(build(data(SUCCESS)), "component-alarm-dimension") == ()


def _busy_neighbour(raw: dict, rate: float) -> dict:  # type: ignore[type-arg]
    """SUCCESS with ROLLBACK's CPU-only embedding neighbour beside it, serving ``rate``
    requests/s, and the rollback alarm on the endpoint-wide series (a 5XX rate over 0.2, one
    minute)."""
    (neighbour,) = data(ROLLBACK)["inference_component"]["neighbours"]
    neighbour.update({"EndpointName": "chat-assistant", "traffic": {"rate_per_second": rate}})
    raw["inference_component"]["neighbours"] = [neighbour]
    raw["traffic"] = {"rate_per_second": 2}
    alarm = raw["alarms"][0]
    alarm["Dimensions"] = [
        {"Name": "EndpointName", "Value": "chat-assistant"},
        {"Name": "VariantName", "Value": "AllTraffic"},
    ]
    alarm.update({"EvaluationPeriods": 1, "DatapointsToAlarm": 1, "Threshold": 0.2})
    return raw


def test_the_dimension_rule_shows_the_neighbours_dilution_from_simulation() -> None:
    # 10 requests/s beside the component's 2: a model failing every request is at most
    # 2 / 12 = 17% of the endpoint's requests, under the 0.2 threshold, so the alarm as
    # configured can never catch it; with InferenceComponentName it sees 50-100% errors
    (f,) = _findings(build(_busy_neighbour(data(SUCCESS), 10.0)), "component-alarm-dimension")
    assert f.severity == "error"
    assert "83% of the endpoint's mean rate" in f.message
    assert f.evidence["as_configured"]["rolled_back_by_an_alarm"] == 0
    assert f.evidence["with_fix"]["rolled_back_by_an_alarm"] == N
    # an idle neighbour (rate 0): nothing diluted, the alarm catches what the fix catches
    (g,) = _findings(build(_busy_neighbour(data(SUCCESS), 0.0)), "component-alarm-dimension")
    assert g.severity == "warning"
    assert g.evidence["as_configured"]["rolled_back_by_an_alarm"] == N
    assert "0% of the endpoint's mean rate" in g.message


def test_an_update_longer_than_terraforms_wait_or_the_timeout() -> None:
    # the 2-copy update with an added instance is expected to take about 1820 s
    (f,) = _findings(build(data(SUCCESS)), "component-timeout")
    assert f.severity == "warning" and "30 min" in f.message
    assert _findings(build(data(SUCCESS)), "component-timeout", tool_wait_seconds=3600) == ()
    raw = data(SUCCESS)
    raw["deployment_config"]["RollingUpdatePolicy"]["MaximumExecutionTimeoutInSeconds"] = 1200
    severities = {f.severity for f in _findings(build(raw), "component-timeout")}
    assert severities == {"error", "warning"}


def test_a_rollback_that_ends_in_service_is_flagged() -> None:
    (f,) = _findings(build(data(ROLLBACK)), "component-rollback-looks-like-success")
    assert "ends InService" in f.message and "support-llm-v8" in f.fix
    raw = data(ROLLBACK)
    del raw["deployment_config"]["AutoRollbackConfiguration"]
    assert _findings(build(raw), "component-rollback-looks-like-success") == ()


def test_the_rules_find_nothing_on_an_endpoint_update() -> None:
    result = lint(build(data("seed-canary-success")), replications=N, rules=list(COMPONENT_RULES))
    assert result.findings == ()
