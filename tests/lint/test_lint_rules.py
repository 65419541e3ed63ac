"""Every lint rule: a scenario that triggers it (with the severity and field path it must
report) and one that does not. Scenarios are built-ins edited through ``to_dict``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

import pytest
from lint_helpers import Data, alarm, bg, edited, findings, good, green_dims, only_alarms

from guardsim.lint import RULES
from guardsim.scenarios import Scenario, load_scenario

SEED = "seed-canary-success"  # the post's canary with a healthy model
MULTI = "multi-variant-canary-rollback"  # two variants, one rollback alarm on each
MAX_TIMEOUT = "MaximumExecutionTimeoutInSeconds"


def put(path: str, value: Any) -> Callable[[Data], None]:
    """An edit that sets ``path`` (dotted, list indices as numbers) to ``value``."""

    def edit(raw: Data) -> None:
        keys = path.split(".")
        node: Any = raw
        for key in keys[:-1]:
            node = node[int(key)] if key.isdigit() else node[key]
        last = keys[-1]
        node[int(last) if last.isdigit() else last] = value

    return edit


def p99_latency(raw: Data) -> None:
    a = alarm(raw, 1)
    del a["Statistic"]
    a["ExtendedStatistic"] = "p99"


def inf1(raw: Data) -> None:
    for color in ("blue", "green"):
        raw["endpoint"][color]["ProductionVariants"][0]["InstanceType"] = "ml.inf1.xlarge"


def data_capture(raw: Data) -> None:
    raw["endpoint"]["green"]["DataCaptureConfig"] = {
        "InitialSamplingPercentage": 100,
        "DestinationS3Uri": "s3://bucket/capture",
        "CaptureOptions": [{"CaptureMode": "Input"}],
    }


def latency_below(raw: Data) -> None:
    """A latency alarm pointing the wrong way: it fires when the model is fast."""
    green_dims(raw, 1)
    alarm(raw, 1)["ComparisonOperator"] = "LessThanThreshold"
    alarm(raw, 1)["Threshold"] = 1.0


def error_alarm_at_half(raw: Data) -> None:
    """Only the blended error alarm, at 50 %: the 33 % canary cannot reach it, full traffic can."""
    alarm(raw, 0)["Threshold"] = 0.5
    alarm(raw, 0)["ComparisonOperator"] = "GreaterThanThreshold"
    only_alarms(raw, 0)
    bg(raw)["TerminationWaitInSeconds"] = 600


def tiny_latency_model(raw: Data) -> None:
    for color in ("blue", "green"):
        raw["models"][color]["latency"] = {"median_ms": 0.1, "p99_ms": 0.3}


def composite_rollback(sees: bool) -> Callable[[Data], None]:
    """A composite of the two alarms as the only rollback alarm."""

    def edit(raw: Data) -> None:
        names = [a["AlarmName"] for a in raw["alarms"]]
        rule = " OR ".join(f"ALARM({n})" for n in names)
        raw["alarms"].append({"AlarmName": "any-alarm", "AlarmRule": rule})
        raw["deployment_config"]["AutoRollbackConfiguration"] = {
            "Alarms": [{"AlarmName": "any-alarm"}]
        }
        raw["environment"]["rollback_sees_composite_alarms"] = sees

    return edit


def cpu_alarm(threshold: float) -> Callable[[Data], None]:
    """The latency alarm (already on the new fleet) as a CPUUtilization alarm, at 30 requests/s
    of 30 ms: a healthy canary instance keeps its CPU at about 36 % (10 requests/s x 31 ms)."""

    def edit(raw: Data) -> None:
        a = alarm(raw, 1)
        a.update(Namespace="/aws/sagemaker/Endpoints", MetricName="CPUUtilization")
        a.update(Statistic="Average", Threshold=threshold)
        raw["traffic"]["rate_per_second"] = 30
        for color in ("blue", "green"):
            raw["models"][color]["latency"] = {"median_ms": 30, "p99_ms": 60}

    return edit


def final_bake_burst(raw: Data) -> None:
    """3x the traffic for the whole expected final bake (about 626-1226 s): only then does the
    healthy CPU (about 100 %) pass 60 %."""
    raw["traffic"]["bursts"] = [{"at_seconds": 620, "duration_seconds": 620, "multiplier": 3}]


class Case(NamedTuple):
    rule: str
    severity: str
    path: str
    scenario: Callable[[], Scenario]


#: an inference component's update (issue 19)
IC = "component-extra-instance-success"
GOOD = lambda: edited(SEED, good)  # noqa: E731 - a table of lazy scenarios reads best this way

#: (rule, severity, path of the finding, scenario that triggers it)
TRIGGERS = [
    Case("unreachable-threshold", "warning", "alarms[0].Threshold", lambda: load_scenario(SEED)),
    Case(
        "unreachable-threshold",
        "error",
        "alarms[0].Threshold",
        lambda: edited(SEED, good, put("alarms.0.Threshold", 1)),
    ),
    Case(
        "latency-units",
        "error",
        "alarms[1].Threshold",
        lambda: edited(SEED, good, put("alarms.1.Threshold", 10)),
    ),
    Case(
        "latency-units",
        "warning",
        "alarms[1].Threshold",
        lambda: edited(SEED, good, tiny_latency_model, put("alarms.1.Threshold", 500)),
    ),
    Case("blended-dilution", "error", "alarms[0].Dimensions", lambda: load_scenario(SEED)),
    Case(
        "blended-dilution",
        "warning",
        "alarms[0].Dimensions",
        lambda: edited(SEED, put("alarms.0.Threshold", 0.01)),
    ),
    Case("blended-dilution", "info", "alarms[1].Dimensions", lambda: load_scenario(SEED)),
    Case(
        "bake-too-short",
        "warning",
        "deployment_config.BlueGreenUpdatePolicy.TerminationWaitInSeconds",
        lambda: load_scenario(SEED),
    ),
    Case(
        "bake-too-short",
        "warning",
        "deployment_config.BlueGreenUpdatePolicy.TrafficRoutingConfiguration.WaitIntervalInSeconds",
        lambda: load_scenario("seed-linear-rollback"),
    ),
    Case(
        "bake-too-short",
        "error",
        "deployment_config.BlueGreenUpdatePolicy.TerminationWaitInSeconds",
        lambda: edited(
            "all-at-once-final-bake",
            put("deployment_config.BlueGreenUpdatePolicy.TerminationWaitInSeconds", 60),
        ),
    ),
    Case(
        "no-final-bake",
        "warning",
        "deployment_config.BlueGreenUpdatePolicy.TerminationWaitInSeconds",
        lambda: edited(
            SEED, good, put("deployment_config.BlueGreenUpdatePolicy.TerminationWaitInSeconds", 0)
        ),
    ),
    Case(
        "no-final-bake",
        "error",
        "deployment_config.BlueGreenUpdatePolicy.TerminationWaitInSeconds",
        lambda: edited(
            "all-at-once-final-bake",
            put("deployment_config.BlueGreenUpdatePolicy.TerminationWaitInSeconds", 0),
        ),
    ),
    Case(
        "missing-data-never-trips",
        "warning",
        "alarms[0].TreatMissingData",
        lambda: edited(
            SEED, good, put("traffic.rate_per_second", 0.01), put("alarms.0.EvaluationPeriods", 3)
        ),
    ),
    Case(
        "missing-data-never-trips",
        "error",
        "alarms[0].TreatMissingData",
        lambda: edited(SEED, good, put("traffic.rate_per_second", 0.001)),
    ),
    Case(
        "missing-data-trips-on-silence",
        "error",
        "alarms[0].TreatMissingData",
        lambda: edited(SEED, good, put("alarms.0.TreatMissingData", "breaching")),
    ),
    Case(
        "missing-data-trips-on-silence",
        "warning",
        "alarms[0].TreatMissingData",
        lambda: edited(
            SEED,
            put("alarms.0.TreatMissingData", "breaching"),
            put("traffic.rate_per_second", 0.05),
            put("traffic.arrivals", "poisson"),
        ),
    ),
    Case(
        "percentile-low-samples",
        "warning",
        "alarms[1].ExtendedStatistic",
        lambda: edited(SEED, good, p99_latency),
    ),
    Case(
        "percentile-low-samples",
        "error",
        "alarms[1].ExtendedStatistic",
        lambda: edited(
            SEED, good, p99_latency, put("alarms.1.EvaluateLowSampleCountPercentile", "ignore")
        ),
    ),
    Case(
        "false-rollback",
        "error",
        "deployment_config.AutoRollbackConfiguration",
        lambda: edited(SEED, good, put("alarms.1.Threshold", 10)),
    ),
    Case(
        "false-rollback",
        "warning",
        "deployment_config.AutoRollbackConfiguration",
        lambda: edited(
            SEED,
            put("alarms.0.Threshold", 0.05),
            put("alarms.0.ComparisonOperator", "GreaterThanThreshold"),
            put("models.blue.error_rate_5xx", 0.03),
            put("models.green.error_rate_5xx", 0.03),
        ),
    ),
    Case(
        "blue-errors-trip-blended",
        "error",
        "alarms[0].Dimensions",
        lambda: edited(
            SEED,
            put("alarms.0.Threshold", 0.01),
            put("alarms.0.ComparisonOperator", "GreaterThanThreshold"),
            put("models.blue.error_rate_5xx", 0.02),
            put("models.green.error_rate_5xx", 0.02),
        ),
    ),
    Case(
        "blue-errors-trip-blended",
        "warning",
        "alarms[0].Dimensions",
        lambda: edited(
            SEED,
            put("alarms.0.Threshold", 0.05),
            put("alarms.0.ComparisonOperator", "GreaterThanThreshold"),
            put("models.blue.error_rate_5xx", 0.03),
            put("models.green.error_rate_5xx", 0.03),
        ),
    ),
    Case(
        "timeout-too-short",
        "error",
        f"deployment_config.BlueGreenUpdatePolicy.{MAX_TIMEOUT}",
        lambda: edited(
            SEED, good, put(f"deployment_config.BlueGreenUpdatePolicy.{MAX_TIMEOUT}", 1000)
        ),
    ),
    Case(
        "timeout-too-short",
        "warning",
        f"deployment_config.BlueGreenUpdatePolicy.{MAX_TIMEOUT}",
        lambda: edited(
            SEED, good, put(f"deployment_config.BlueGreenUpdatePolicy.{MAX_TIMEOUT}", 1300)
        ),
    ),
    Case(
        "excluded-fallback",
        "error",
        "endpoint.green.ProductionVariants[0].InstanceType",
        lambda: edited(SEED, good, inf1),
    ),
    Case(
        "excluded-fallback",
        "info",
        "endpoint.green.DataCaptureConfig",
        lambda: edited(SEED, good, data_capture),
    ),
    Case(
        "alarm-blind-to-green",
        "error",
        "alarms[0].Dimensions",
        lambda: edited(SEED, good, put("alarms.0.Dimensions.0.Value", "DEMO-typo")),
    ),
    Case(
        "alarm-blind-to-green",
        "warning",
        "alarms[0].Dimensions",
        lambda: edited(SEED, good, put("alarms.0.Dimensions.2.Value", "DEMO-EpConfig-1")),
    ),
    Case(
        "alarm-blind-to-green",
        "info",
        "alarms[0]",
        lambda: edited(SEED, good, put("alarms.0.Namespace", "MyApp")),
    ),
    Case(
        "composite-rollback-alarm",
        "warning",
        "deployment_config.AutoRollbackConfiguration.Alarms[0].AlarmName",
        lambda: edited(SEED, good, composite_rollback(False)),
    ),
    Case(
        "composite-rollback-alarm",
        "info",
        "deployment_config.AutoRollbackConfiguration.Alarms[0].AlarmName",
        lambda: edited(SEED, good, composite_rollback(True)),
    ),
    Case(
        "variant-without-alarm",
        "warning",
        "endpoint.green.ProductionVariants[1]",
        # only ModelA's alarm rolls back: ModelB's new model is unwatched
        lambda: edited(MULTI, lambda raw: only_alarms(raw, 0)),
    ),
    Case(
        "instance-metric-load",
        "error",
        "alarms[1].Threshold",
        lambda: edited(SEED, good, cpu_alarm(20.0)),
    ),
    Case(
        "instance-metric-load",
        "warning",
        "alarms[1].Threshold",
        lambda: edited(SEED, good, cpu_alarm(60.0), final_bake_burst),
    ),
    Case(
        "failing-model-rollback",
        "error",
        "deployment_config.AutoRollbackConfiguration",
        lambda: edited(SEED, lambda raw: only_alarms(raw, 0)),
    ),
    Case(  # the only rollback alarm is a composite SageMaker does not read (the default)
        "failing-model-rollback",
        "error",
        "deployment_config.AutoRollbackConfiguration",
        lambda: edited(SEED, good, composite_rollback(False)),
    ),
    Case(
        "failing-model-rollback",
        "warning",
        "deployment_config.AutoRollbackConfiguration",
        lambda: edited(SEED, error_alarm_at_half),
    ),
    Case(
        "failing-model-rollback",
        "info",
        "deployment_config.AutoRollbackConfiguration",
        GOOD,
    ),
    Case("alarm-never-trips", "warning", "alarms[1]", lambda: edited(SEED, good, latency_below)),
    Case(
        "as-configured-outcome",
        "info",
        "models.green",
        lambda: load_scenario("seed-canary-rollback"),
    ),
    Case(
        "exercises-nothing",
        "warning",
        "traffic.rate_per_second",
        lambda: edited(SEED, good, put("traffic.rate_per_second", 0)),
    ),
    # inference components (issue 19; more in test_component_rules.py)
    Case(
        "component-batch-stalls",
        "error",
        "deployment_config.RollingUpdatePolicy.MaximumBatchSize",
        lambda: edited(
            IC,
            put("endpoint.blue.ProductionVariants.0.ManagedInstanceScaling.MaxInstanceCount", 2),
        ),
    ),
    Case(
        "component-alarm-dimension",
        "warning",
        "alarms[0].Dimensions",
        lambda: edited(
            IC,
            put(
                "alarms.0.Dimensions",
                [
                    {"Name": "EndpointName", "Value": "chat-assistant"},
                    {"Name": "VariantName", "Value": "AllTraffic"},
                ],
            ),
        ),
    ),
    Case(
        "component-timeout",
        "warning",
        "deployment_config.RollingUpdatePolicy",
        lambda: load_scenario(IC),
    ),
    Case(
        "component-timeout",
        "error",
        "deployment_config.RollingUpdatePolicy.MaximumExecutionTimeoutInSeconds",
        lambda: edited(
            IC, put("deployment_config.RollingUpdatePolicy.MaximumExecutionTimeoutInSeconds", 1200)
        ),
    ),
    Case(
        "component-rollback-looks-like-success",
        "warning",
        "deployment_config.AutoRollbackConfiguration",
        lambda: load_scenario(IC),
    ),
]

#: (rule, scenario it leaves alone: no finding, or only info for rules that always report)
CLEAN = [
    ("unreachable-threshold", GOOD),
    ("latency-units", GOOD),
    ("blended-dilution", GOOD),
    ("bake-too-short", GOOD),
    ("no-final-bake", GOOD),
    ("missing-data-never-trips", GOOD),
    ("missing-data-trips-on-silence", GOOD),
    ("percentile-low-samples", GOOD),
    ("false-rollback", GOOD),
    ("blue-errors-trip-blended", GOOD),
    ("timeout-too-short", GOOD),
    ("excluded-fallback", GOOD),
    ("alarm-blind-to-green", GOOD),
    ("composite-rollback-alarm", GOOD),
    ("variant-without-alarm", lambda: load_scenario(MULTI)),
    ("instance-metric-load", lambda: edited(SEED, good, cpu_alarm(80.0))),
    ("failing-model-rollback", GOOD),
    ("alarm-never-trips", GOOD),
    ("as-configured-outcome", lambda: load_scenario(SEED)),
    ("exercises-nothing", GOOD),
    ("component-batch-stalls", GOOD),
    ("component-alarm-dimension", GOOD),
    ("component-timeout", GOOD),
    ("component-rollback-looks-like-success", GOOD),
]


def _id(case: Case) -> str:
    return f"{case.rule}-{case.severity}"


@pytest.mark.parametrize("case", TRIGGERS, ids=[_id(c) for c in TRIGGERS])
def test_rule_triggers(case: Case) -> None:
    found = findings(case.scenario(), case.rule)
    assert found, f"{case.rule} found nothing"
    match = [f for f in found if f.path == case.path]
    assert match, f"no finding at {case.path}: {[(f.path, f.severity) for f in found]}"
    f = match[0]
    assert f.severity == case.severity, f.message
    assert f.message and f.fix
    assert f.evidence, "a finding without evidence"
    assert set(f.evidence) <= {"config", "simulated"}


def test_a_seen_composite_is_credited_with_the_rollbacks() -> None:
    """With rollback_sees_composite_alarms the failing model is rolled back by the composite,
    and the evidence names it (SageMaker reads it like a metric alarm)."""
    (f,) = findings(edited(SEED, good, composite_rollback(True)), "failing-model-rollback")
    assert f.severity == "info"
    assert "'any-alarm' (tripped in" in f.message
    assert f.evidence["config"]["rollback_alarms"] == ["any-alarm"]


@pytest.mark.parametrize(("rule", "scenario"), CLEAN, ids=[r for r, _ in CLEAN])
def test_rule_leaves_a_good_configuration_alone(
    rule: str, scenario: Callable[[], Scenario]
) -> None:
    found = findings(scenario(), rule)
    assert [f for f in found if f.severity != "info"] == []
    if rule not in ("false-rollback", "failing-model-rollback"):
        assert found == []


def test_every_rule_has_a_triggering_and_a_clean_case() -> None:
    ids = {r.id for r in RULES}
    assert {c.rule for c in TRIGGERS} == ids
    assert {r for r, _ in CLEAN} == ids
    assert len(ids) == len(RULES)


def test_maximum_of_errors_at_one_means_any_error_not_every_request() -> None:
    scenario = edited(
        SEED,
        good,
        put("alarms.0.Statistic", "Maximum"),
        put("alarms.0.Threshold", 1),
        put("alarms.0.ComparisonOperator", "GreaterThanOrEqualToThreshold"),
    )
    assert findings(scenario, "unreachable-threshold") == []


def test_a_count_of_latency_samples_is_not_in_microseconds() -> None:
    scenario = edited(
        SEED, good, put("alarms.1.Statistic", "SampleCount"), put("alarms.1.Threshold", 100)
    )
    assert findings(scenario, "latency-units") == []
