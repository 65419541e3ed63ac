"""One invalid scenario per validation rule, each asserting the exact field path of its error.

Every case edits a copy of the small valid base in ``scenario_dicts.BASE`` at dotted paths, loads
it with ``scenario_from_dict`` and checks that the expected error (not a warning) is reported at
exactly the expected path with a message that says what is allowed, and that no scenario is built.
Rules come from the issue, spec sections 1 and 4.1, and the docstrings of
``guardsim.scenarios.validation`` (server-side rules), ``boto_shapes`` (the service model) and
``loading`` / ``fields`` (strict loading).
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any, NamedTuple

import pytest
from scenario_dicts import BASE, BG, DELETE, RP, TRC, alarm, modified, rolling

from guardsim.errors import Problem, ScenarioError
from guardsim.scenarios import LoadResult, check_scenario_dict, library, read_scenario
from guardsim.scenarios.loading import parse_text

A0 = "alarms[0]"
ARC = "deployment_config.AutoRollbackConfiguration"
GREEN_VARIANT = "endpoint.green.ProductionVariants[0]"
BLUE_VARIANT = "endpoint.blue.ProductionVariants[0]"

#: A metric-math alarm equivalent to the base alarm: 100 * 5XX / Invocations of the endpoint.
MATH_ALARM: dict[str, Any] = {
    "AlarmName": "shop-ranker-5xx",
    "EvaluationPeriods": 3,
    "DatapointsToAlarm": 2,
    "Threshold": 1,
    "ComparisonOperator": "GreaterThanThreshold",
    "TreatMissingData": "notBreaching",
    "Metrics": [
        {
            "Id": "errors",
            "ReturnData": False,
            "MetricStat": {
                "Metric": {
                    "Namespace": "AWS/SageMaker",
                    "MetricName": "Invocation5XXErrors",
                    "Dimensions": [
                        {"Name": "EndpointName", "Value": "shop-ranker"},
                        {"Name": "VariantName", "Value": "AllTraffic"},
                    ],
                },
                "Period": 60,
                "Stat": "Sum",
            },
        },
        {
            "Id": "invocations",
            "ReturnData": False,
            "MetricStat": {
                "Metric": {
                    "Namespace": "AWS/SageMaker",
                    "MetricName": "Invocations",
                    "Dimensions": [
                        {"Name": "EndpointName", "Value": "shop-ranker"},
                        {"Name": "VariantName", "Value": "AllTraffic"},
                    ],
                },
                "Period": 60,
                "Stat": "Sum",
            },
        },
        {"Id": "rate", "Expression": "100 * errors / invocations", "ReturnData": True},
    ],
}


def math_alarm(**overrides: Any) -> dict[str, Any]:
    out = copy.deepcopy(MATH_ALARM)
    out.update(overrides)
    return out


def eleven_alarms() -> dict[str, Any]:
    names = [f"shop-ranker-alarm-{i}" for i in range(11)]
    return {
        "alarms": [alarm(n) for n in names],
        f"{ARC}.Alarms": [{"AlarmName": n} for n in names],
    }


class Case(NamedTuple):
    id: str
    changes: dict[str, Any]
    path: str
    fragment: str


CASES = [
    # --- strict loading
    Case("unknown-top-level-key", {"alarm": []}, "alarm", "did you mean 'alarms'?"),
    Case(
        "unknown-key-in-environment",
        {"environment.provisioning_second": {"kind": "fixed"}},
        "environment.provisioning_second",
        "did you mean 'provisioning_seconds'?",
    ),
    Case(
        "unknown-key-in-deployment-config",
        {f"{BG}.TerminationWaitInSecond": 120},
        f"{BG}.TerminationWaitInSecond",
        "did you mean 'TerminationWaitInSeconds'?",
    ),
    Case(
        "unknown-key-in-traffic-routing",
        {f"{TRC}.CannarySize": {"Type": "INSTANCE_COUNT", "Value": 1}},
        f"{TRC}.CannarySize",
        "did you mean 'CanarySize'?",
    ),
    Case(
        "unknown-key-in-alarm",
        {f"{A0}.Threshhold": 1},
        f"{A0}.Threshhold",
        "did you mean 'Threshold'?",
    ),
    Case(
        "unknown-key-in-endpoint", {"endpoint.gren": {}}, "endpoint.gren", "did you mean 'green'?"
    ),
    Case(
        "unknown-key-in-models",
        {"models.green.error_rate_5XX": 0.1},
        "models.green.error_rate_5XX",
        "did you mean 'error_rate_5xx'?",
    ),
    Case(
        "unknown-key-in-fault",
        {"models.green.faults[0].rate": 0.1},
        "models.green.faults[0].rate",
        "unknown key",
    ),
    Case(
        "wrong-type-number",
        {"traffic.rate_per_second": "fast"},
        "traffic.rate_per_second",
        "expected a number, got a string",
    ),
    Case(
        "wrong-type-boto-integer",
        {f"{TRC}.WaitIntervalInSeconds": "300"},
        f"{TRC}.WaitIntervalInSeconds",
        "expected an integer, got a string",
    ),
    Case(
        "wrong-type-float-for-integer",
        {f"{A0}.EvaluationPeriods": 1.5},
        f"{A0}.EvaluationPeriods",
        "expected an integer",
    ),
    Case(
        "wrong-type-bool-for-integer",
        {"simulation.seed": True},
        "simulation.seed",
        "expected an integer, got a boolean",
    ),
    Case(
        "wrong-type-string-for-double",
        {f"{A0}.Threshold": "0.01"},
        f"{A0}.Threshold",
        "expected a number, got a string",
    ),
    Case(
        "wrong-type-string-for-bool",
        {"environment.trip_on_insufficient_data": "yes"},
        "environment.trip_on_insufficient_data",
        "expected true or false",
    ),
    Case(
        "wrong-type-alarms-not-a-list", {"alarms": {"AlarmName": "x"}}, "alarms", "expected a list"
    ),
    Case(
        "wrong-type-dimensions-not-a-list",
        {f"{A0}.Dimensions": {"EndpointName": "shop-ranker"}},
        f"{A0}.Dimensions",
        "expected a list",
    ),
    Case(
        "wrong-type-faults-not-a-list",
        {"models.green.faults": {"kind": "errors"}},
        "models.green.faults",
        "expected a list",
    ),
    Case("wrong-type-section-zero", {"traffic": 0}, "traffic", "expected a mapping"),
    Case("wrong-type-section-empty-list", {"models": []}, "models", "expected a mapping"),
    Case(
        "wrong-type-endpoint-section", {"endpoint": "shop-ranker"}, "endpoint", "expected a mapping"
    ),
    Case(
        "null-not-allowed-model-field",
        {"models.green.error_rate_5xx": None},
        "models.green.error_rate_5xx",
        "must not be null",
    ),
    Case(
        "null-not-allowed-boto-member",
        {f"{BG}.TerminationWaitInSeconds": None},
        f"{BG}.TerminationWaitInSeconds",
        "expected an integer, got null",
    ),
    Case("null-name", {"name": None}, "name", "expected a non-empty string"),
    Case("empty-name", {"name": "  "}, "name", "expected a non-empty string"),
    Case("description-not-a-string", {"description": 3}, "description", "expected a string"),
    Case(
        "missing-required-boto-member",
        {f"{TRC}.WaitIntervalInSeconds": DELETE},
        f"{TRC}.WaitIntervalInSeconds",
        "required field is missing",
    ),
    Case(
        "missing-required-capacity-value",
        {f"{TRC}.CanarySize.Value": DELETE},
        f"{TRC}.CanarySize.Value",
        "required field is missing",
    ),
    Case(
        "alarm-missing-evaluation-periods",
        {f"{A0}.EvaluationPeriods": DELETE},
        f"{A0}.EvaluationPeriods",
        "required",
    ),
    Case(
        "alarm-missing-comparison-operator",
        {f"{A0}.ComparisonOperator": DELETE},
        f"{A0}.ComparisonOperator",
        "required",
    ),
    # --- enums from the service model
    Case(
        "bad-enum-routing-type", {f"{TRC}.Type": "CANNARY"}, f"{TRC}.Type", "did you mean 'CANARY'?"
    ),
    Case(
        "bad-enum-capacity-type-doc-typo",
        {f"{TRC}.CanarySize.Type": "CAPACITY_PERCENTAGE"},
        f"{TRC}.CanarySize.Type",
        "did you mean 'CAPACITY_PERCENT'?",
    ),
    Case(
        "bad-enum-comparison-operator",
        {f"{A0}.ComparisonOperator": "GreaterThanOrEqualThreshold"},
        f"{A0}.ComparisonOperator",
        "did you mean 'GreaterThanOrEqualToThreshold'?",
    ),
    Case(
        "bad-enum-statistic",
        {f"{A0}.Statistic": "Averge"},
        f"{A0}.Statistic",
        "did you mean 'Average'?",
    ),
    Case(
        "bad-enum-instance-type",
        {f"{GREEN_VARIANT}.InstanceType": "ml.m5.xlargee"},
        f"{GREEN_VARIANT}.InstanceType",
        "did you mean 'ml.m5.xlarge'?",
    ),
    Case(
        "bad-enum-unit", {f"{A0}.Unit": "Microsecond"}, f"{A0}.Unit", "did you mean 'Microseconds'?"
    ),
    Case(
        "bad-literal-arrivals",
        {"traffic.arrivals": "poison"},
        "traffic.arrivals",
        "did you mean 'poisson'?",
    ),
    Case(
        "bad-literal-percent-rounding",
        {"environment.percent_rounding": "ceiling"},
        "environment.percent_rounding",
        "did you mean 'ceil'?",
    ),
    Case(
        "bad-literal-simulation-mode",
        {"simulation.mode": "fastest"},
        "simulation.mode",
        "did you mean 'fast'?",
    ),
    Case(
        "pattern-endpoint-name",
        {"endpoint.name": "shop_ranker"},
        "endpoint.name",
        "does not match the pattern",
    ),
    Case(
        "pattern-blank-rollback-alarm-name",
        {f"{ARC}.Alarms[0].AlarmName": "   "},
        f"{ARC}.Alarms[0].AlarmName",
        "does not match the pattern",
    ),
    Case("empty-alarm-name", {f"{A0}.AlarmName": ""}, f"{A0}.AlarmName", "at least 1 character"),
    # --- update policies (aws-model.md #deployment-config, #fleet-sizes)
    Case(
        "both-update-policies",
        {
            RP: {
                "MaximumBatchSize": {"Type": "INSTANCE_COUNT", "Value": 1},
                "WaitIntervalInSeconds": 60,
            }
        },
        "deployment_config",
        "only one of BlueGreenUpdatePolicy and RollingUpdatePolicy",
    ),
    Case(
        "canary-without-canary-size",
        {f"{TRC}.CanarySize": DELETE},
        f"{TRC}.CanarySize",
        "required when Type is CANARY",
    ),
    Case(
        "linear-without-linear-step-size",
        {f"{TRC}.Type": "LINEAR", f"{TRC}.CanarySize": DELETE},
        f"{TRC}.LinearStepSize",
        "required when Type is LINEAR",
    ),
    Case(
        "canary-3-of-4-instances",
        {f"{TRC}.CanarySize.Value": 3},
        f"{TRC}.CanarySize.Value",
        "3 of 4 instances is over the 50% limit",
    ),
    Case(
        "canary-60-percent",
        {f"{TRC}.CanarySize": {"Type": "CAPACITY_PERCENT", "Value": 60}},
        f"{TRC}.CanarySize.Value",
        "60% is over the 50% limit",
    ),
    Case(
        "canary-5-of-4-instances",
        {f"{TRC}.CanarySize.Value": 5},
        f"{TRC}.CanarySize.Value",
        "more than the 4 instance(s)",
    ),
    Case(
        "canary-size-over-32-bit",
        {f"{TRC}.CanarySize.Value": 2**31},
        f"{TRC}.CanarySize.Value",
        "must fit in a 32-bit integer",
    ),
    Case(
        "canary-on-1-instance-fleet",
        {f"{GREEN_VARIANT}.InitialInstanceCount": 1},
        f"{TRC}.CanarySize.Value",
        "cannot be met with 1 instance(s)",
    ),
    Case(
        "canary-percent-on-1-instance-fleet",
        {
            f"{GREEN_VARIANT}.InitialInstanceCount": 1,
            f"{TRC}.CanarySize": {"Type": "CAPACITY_PERCENT", "Value": 50},
        },
        f"{TRC}.CanarySize.Value",
        "cannot be met with 1 instance(s)",
    ),
    Case(
        "linear-5-percent",
        {
            f"{TRC}.Type": "LINEAR",
            f"{TRC}.CanarySize": DELETE,
            f"{TRC}.LinearStepSize": {"Type": "CAPACITY_PERCENT", "Value": 5},
        },
        f"{TRC}.LinearStepSize.Value",
        "5% is under the 10% minimum",
    ),
    Case(
        "linear-60-percent",
        {
            f"{TRC}.Type": "LINEAR",
            f"{TRC}.CanarySize": DELETE,
            f"{TRC}.LinearStepSize": {"Type": "CAPACITY_PERCENT", "Value": 60},
        },
        f"{TRC}.LinearStepSize.Value",
        "60% is over the 50% limit",
    ),
    Case(
        "linear-1-of-20-instances",
        {
            f"{TRC}.Type": "LINEAR",
            f"{TRC}.CanarySize": DELETE,
            f"{TRC}.LinearStepSize": {"Type": "INSTANCE_COUNT", "Value": 1},
            f"{GREEN_VARIANT}.InitialInstanceCount": 20,
        },
        f"{TRC}.LinearStepSize.Value",
        "1 of 20 instances is under the 10% minimum",
    ),
    Case(
        "linear-on-1-instance-fleet",
        {
            f"{TRC}.Type": "LINEAR",
            f"{TRC}.CanarySize": DELETE,
            f"{TRC}.LinearStepSize": {"Type": "INSTANCE_COUNT", "Value": 1},
            f"{GREEN_VARIANT}.InitialInstanceCount": 1,
        },
        f"{TRC}.LinearStepSize.Value",
        "cannot be met with 1 instance(s)",
    ),
    Case(
        "rolling-batch-4-percent",
        rolling({"Type": "CAPACITY_PERCENT", "Value": 4}),
        f"{RP}.MaximumBatchSize.Value",
        "4% is under the 5% minimum",
    ),
    Case(
        "rolling-batch-60-percent",
        rolling({"Type": "CAPACITY_PERCENT", "Value": 60}),
        f"{RP}.MaximumBatchSize.Value",
        "60% is over the 50% limit",
    ),
    Case(
        "rolling-batch-3-of-4-instances",
        rolling({"Type": "INSTANCE_COUNT", "Value": 3}),
        f"{RP}.MaximumBatchSize.Value",
        "3 of 4 instances is over the 50% limit",
    ),
    Case(
        "rolling-rollback-batch-over-100-percent",
        rolling(
            {"Type": "INSTANCE_COUNT", "Value": 1},
            RollbackMaximumBatchSize={"Type": "CAPACITY_PERCENT", "Value": 150},
        ),
        f"{RP}.RollbackMaximumBatchSize.Value",
        "150% is over 100%",
    ),
    Case(
        "rolling-rollback-batch-over-fleet",
        rolling(
            {"Type": "INSTANCE_COUNT", "Value": 1},
            RollbackMaximumBatchSize={"Type": "INSTANCE_COUNT", "Value": 5},
        ),
        f"{RP}.RollbackMaximumBatchSize.Value",
        "more than the 4 instance(s)",
    ),
    Case(
        "rolling-without-batch-size",
        rolling({"Type": "INSTANCE_COUNT", "Value": 1}) | {f"{RP}.MaximumBatchSize": DELETE},
        f"{RP}.MaximumBatchSize",
        "required field is missing",
    ),
    # --- waits and timeouts (aws-model.md #deployment-config)
    Case(
        "wait-interval-3601",
        {f"{TRC}.WaitIntervalInSeconds": 3601},
        f"{TRC}.WaitIntervalInSeconds",
        "must be between 0 and 3600, got 3601",
    ),
    Case(
        "rolling-wait-interval-3601",
        rolling({"Type": "INSTANCE_COUNT", "Value": 1}) | {f"{RP}.WaitIntervalInSeconds": 3601},
        f"{RP}.WaitIntervalInSeconds",
        "must be between 0 and 3600, got 3601",
    ),
    Case(
        "termination-wait-negative",
        {f"{BG}.TerminationWaitInSeconds": -1},
        f"{BG}.TerminationWaitInSeconds",
        "must be between 0 and 3600, got -1",
    ),
    Case(
        "timeout-599",
        {f"{BG}.MaximumExecutionTimeoutInSeconds": 599},
        f"{BG}.MaximumExecutionTimeoutInSeconds",
        "must be between 600 and 28800, got 599",
    ),
    Case(
        "timeout-28801",
        {f"{BG}.MaximumExecutionTimeoutInSeconds": 28801},
        f"{BG}.MaximumExecutionTimeoutInSeconds",
        "must be between 600 and 28800, got 28801",
    ),
    Case(
        "timeout-700-below-waits-720",
        {f"{TRC}.WaitIntervalInSeconds": 600, f"{BG}.MaximumExecutionTimeoutInSeconds": 700},
        f"{BG}.MaximumExecutionTimeoutInSeconds",
        "must be larger than the total wait of 720 s",
    ),
    Case(
        "timeout-equal-to-waits",
        {
            f"{TRC}.WaitIntervalInSeconds": 600,
            f"{BG}.TerminationWaitInSeconds": 0,
            f"{BG}.MaximumExecutionTimeoutInSeconds": 600,
        },
        f"{BG}.MaximumExecutionTimeoutInSeconds",
        "must be larger than the total wait of 600 s",
    ),
    Case(
        "linear-timeout-below-waits",
        {
            f"{TRC}.Type": "LINEAR",
            f"{TRC}.CanarySize": DELETE,
            f"{TRC}.LinearStepSize": {"Type": "CAPACITY_PERCENT", "Value": 25},
            f"{BG}.MaximumExecutionTimeoutInSeconds": 1000,
        },
        f"{BG}.MaximumExecutionTimeoutInSeconds",
        "must be larger than the total wait of 1020 s",
    ),
    Case(
        "rolling-timeout-below-waits",
        rolling({"Type": "INSTANCE_COUNT", "Value": 1}, MaximumExecutionTimeoutInSeconds=1200),
        f"{RP}.MaximumExecutionTimeoutInSeconds",
        "must be larger than the total wait of 1200 s",
    ),
    # --- rollback alarms (aws-model.md #deployment-config)
    Case(
        "eleven-rollback-alarms",
        eleven_alarms(),
        f"{ARC}.Alarms",
        "must have at most 10 item(s), got 11",
    ),
    Case(
        "zero-rollback-alarms",
        {f"{ARC}.Alarms": []},
        f"{ARC}.Alarms",
        "must have at least 1 item(s), got 0",
    ),
    Case(
        "rollback-alarm-without-name",
        {f"{ARC}.Alarms[0]": {}},
        f"{ARC}.Alarms[0].AlarmName",
        "required field is missing",
    ),
    Case(
        "undefined-rollback-alarm",
        {f"{ARC}.Alarms[0].AlarmName": "shop-ranker-5xxx"},
        f"{ARC}.Alarms[0].AlarmName",
        "is not defined in alarms (did you mean 'shop-ranker-5xx'?)",
    ),
    Case(
        "rollback-alarm-listed-twice",
        {f"{ARC}.Alarms": [{"AlarmName": "shop-ranker-5xx"}, {"AlarmName": "shop-ranker-5xx"}]},
        f"{ARC}.Alarms[1].AlarmName",
        "listed twice",
    ),
    Case(
        "duplicate-alarm-name",
        {"alarms": [alarm("shop-ranker-5xx"), alarm("shop-ranker-5xx")]},
        "alarms[1].AlarmName",
        "defined twice (also alarms[0])",
    ),
    # --- endpoint
    Case(
        "different-variant-names",
        {f"{GREEN_VARIANT}.VariantName": "Green"},
        f"{GREEN_VARIANT}.VariantName",
        "must equal the blue config's variant name 'AllTraffic'",
    ),
    Case(
        "two-variants",
        {
            "endpoint.green.ProductionVariants[1]": {
                "VariantName": "Shadow",
                "InstanceType": "ml.m5.xlarge",
                "InitialInstanceCount": 1,
            }
        },
        "endpoint.green.ProductionVariants[1].VariantName",
        "'Shadow' is not a variant of the blue config",
    ),
    Case(
        "same-endpoint-config-name",
        {"endpoint.green.EndpointConfigName": "shop-ranker-v1"},
        "endpoint.green.EndpointConfigName",
        "must differ from the blue config's name",
    ),
    Case(
        "missing-instance-count",
        {f"{GREEN_VARIANT}.InitialInstanceCount": DELETE},
        f"{GREEN_VARIANT}.InitialInstanceCount",
        "required",
    ),
    Case(
        "missing-instance-type",
        {f"{GREEN_VARIANT}.InstanceType": DELETE},
        f"{GREEN_VARIANT}.InstanceType",
        "required",
    ),
    Case(
        "serverless-variant",
        {f"{GREEN_VARIANT}.ServerlessConfig": {"MemorySizeInMB": 2048, "MaxConcurrency": 5}},
        f"{GREEN_VARIANT}.ServerlessConfig",
        "real-time and asynchronous endpoints only",
    ),
    # --- alarms (aws-model.md #put-metric-alarm)
    Case(
        "period-45", {f"{A0}.Period": 45}, f"{A0}.Period", "10, 20, 30 or a multiple of 60; got 45"
    ),
    Case(
        "period-90", {f"{A0}.Period": 90}, f"{A0}.Period", "10, 20, 30 or a multiple of 60; got 90"
    ),
    Case(
        "period-x-evaluation-periods-over-1-day",
        {f"{A0}.EvaluationPeriods": 1441},
        f"{A0}.Period",
        "<= 86400 s (1 day) when Period < 3600; got 60 x 1441 = 86460",
    ),
    Case(
        "period-x-evaluation-periods-over-7-days",
        {f"{A0}.Period": 3600, f"{A0}.EvaluationPeriods": 169},
        f"{A0}.Period",
        "<= 604800 s (7 days); got 3600 x 169 = 608400",
    ),
    Case(
        "datapoints-4-of-3",
        {f"{A0}.DatapointsToAlarm": 4},
        f"{A0}.DatapointsToAlarm",
        "must be <= EvaluationPeriods (3), got 4",
    ),
    Case(
        "statistic-and-extended-statistic",
        {f"{A0}.ExtendedStatistic": "p99"},
        f"{A0}.Statistic",
        "exactly one of Statistic and ExtendedStatistic",
    ),
    Case(
        "neither-statistic-nor-extended",
        {f"{A0}.Statistic": DELETE},
        f"{A0}.Statistic",
        "exactly one of Statistic and ExtendedStatistic",
    ),
    Case(
        "extended-statistic-p101",
        {f"{A0}.Statistic": DELETE, f"{A0}.ExtendedStatistic": "p101"},
        f"{A0}.ExtendedStatistic",
        "percentages are 0 to 100",
    ),
    Case(
        "treat-missing-data-capitalised",
        {f"{A0}.TreatMissingData": "Missing"},
        f"{A0}.TreatMissingData",
        "must be one of breaching, notBreaching, ignore, missing; "
        "got 'Missing' (did you mean 'missing'?)",
    ),
    Case(
        "evaluate-low-sample-count-bad-value",
        {
            f"{A0}.Statistic": DELETE,
            f"{A0}.ExtendedStatistic": "p99",
            f"{A0}.EvaluateLowSampleCountPercentile": "always",
        },
        f"{A0}.EvaluateLowSampleCountPercentile",
        "must be one of evaluate, ignore",
    ),
    Case(
        "anomaly-operator",
        {f"{A0}.ComparisonOperator": "LessThanLowerOrGreaterThanUpperThreshold"},
        f"{A0}.ThresholdMetricId",
        "required with the anomaly-detection operator",
    ),
    Case(
        "threshold-metric-id",
        {f"{A0}.ThresholdMetricId": "band"},
        f"{A0}.ComparisonOperator",
        "needs an anomaly-detection operator",
    ),
    Case(
        "promql-evaluation-interval",
        {f"{A0}.EvaluationInterval": 60},
        f"{A0}.EvaluationInterval",
        "does not simulate",
    ),
    Case(
        "missing-threshold",
        {f"{A0}.Threshold": DELETE},
        f"{A0}.Threshold",
        "required for a static-threshold alarm",
    ),
    Case(
        "missing-metric-name",
        {f"{A0}.MetricName": DELETE},
        f"{A0}.MetricName",
        "required unless the alarm uses Metrics",
    ),
    Case(
        "missing-period",
        {f"{A0}.Period": DELETE},
        f"{A0}.Period",
        "required unless the alarm uses Metrics",
    ),
    # --- metric math (aws-model.md #put-metric-alarm, #metric-math)
    Case(
        "metrics-unsupported-function",
        {
            "alarms": [math_alarm()],
            f"{A0}.Metrics[2].Expression": "ANOMALY_DETECTION_BAND(errors, 2)",
        },
        f"{A0}.Metrics[2].Expression",
        "ANOMALY_DETECTION_BAND",
    ),
    Case(
        "metrics-with-metric-name",
        {"alarms": [math_alarm(MetricName="Invocation5XXErrors")]},
        f"{A0}.MetricName",
        "must not be set when the alarm uses Metrics",
    ),
    Case(
        "metrics-with-statistic",
        {"alarms": [math_alarm(Statistic="Sum")]},
        f"{A0}.Statistic",
        "must not be set when the alarm uses Metrics",
    ),
    Case(
        "metrics-with-period",
        {"alarms": [math_alarm(Period=60)]},
        f"{A0}.Period",
        "must not be set when the alarm uses Metrics",
    ),
    Case(
        "metrics-bad-stat",
        {"alarms": [math_alarm()], f"{A0}.Metrics[0].MetricStat.Stat": "p101"},
        f"{A0}.Metrics[0].MetricStat.Stat",
        "percentages are 0 to 100",
    ),
    Case(
        "metrics-period-45",
        {
            "alarms": [math_alarm()],
            f"{A0}.Metrics[0].MetricStat.Period": 45,
            f"{A0}.Metrics[1].MetricStat.Period": 45,
        },
        f"{A0}.Metrics[0].MetricStat.Period",
        "45 is not 10, 20, 30 or a multiple of 60",
    ),
    Case(
        "metrics-period-x-evaluation-periods",
        {"alarms": [math_alarm(EvaluationPeriods=1441)]},
        f"{A0}.Metrics[0].MetricStat.Period",
        "<= 86400 s (1 day)",
    ),
    Case(
        "metrics-bad-return-data-type",
        {"alarms": [math_alarm()], f"{A0}.Metrics[2].ReturnData": "yes"},
        f"{A0}.Metrics[2].ReturnData",
        "expected true or false",
    ),
    # --- models, traffic, environment
    Case(
        "missing-replay-file",
        {"traffic.replay_file": "no-such-traffic.csv"},
        "traffic.replay_file",
        "file not found",
    ),
    Case(
        "rate-per-second-negative",
        {"traffic.rate_per_second": -1},
        "traffic.rate_per_second",
        "must be >= 0, got -1",
    ),
    Case(
        "burst-zero-duration",
        {"traffic.bursts": [{"at_seconds": 0, "duration_seconds": 0}]},
        "traffic.bursts[0].duration_seconds",
        "must be > 0",
    ),
    Case(
        "error-rate-over-1",
        {"models.green.error_rate_5xx": 1.5},
        "models.green.error_rate_5xx",
        "must be <= 1, got 1.5",
    ),
    Case(
        "error-rates-sum-over-1",
        {"models.green.error_rate_4xx": 0.6, "models.green.error_rate_5xx": 0.6},
        "models.green.error_rate_5xx",
        "error_rate_4xx + error_rate_5xx must be <= 1",
    ),
    Case(
        "latency-p99-below-median",
        {"models.green.latency": {"median_ms": 50, "p99_ms": 10}},
        "models.green.latency.p99_ms",
        "must be >= median_ms (50)",
    ),
    Case(
        "lognormal-p99-below-median",
        {"environment.provisioning_seconds": {"kind": "lognormal", "median": 240, "p99": 100}},
        "environment.provisioning_seconds.p99",
        "must be >= median (240)",
    ),
    Case(
        "uniform-high-below-low",
        {"environment.metric_publish_delay_seconds": {"kind": "uniform", "low": 120, "high": 30}},
        "environment.metric_publish_delay_seconds.high",
        "must be >= low (120)",
    ),
    Case(
        "fixed-negative",
        {"environment.activation_seconds": {"kind": "fixed", "value": -1}},
        "environment.activation_seconds.value",
        "must be >= 0",
    ),
    Case(
        "distribution-bad-kind",
        {"environment.provisioning_seconds.kind": "normal"},
        "environment.provisioning_seconds.kind",
        "must be one of 'fixed', 'uniform', 'lognormal'",
    ),
    Case(
        "fault-kind-bogus",
        {"models.green.faults[0].kind": "bogus"},
        "models.green.faults[0].kind",
        "must be one of 'errors', 'latency', 'load_errors', 'warmup', got 'bogus'",
    ),
    Case(
        "fault-kind-not-a-string",
        {"models.green.faults[0].kind": ["errors"]},
        "models.green.faults[0].kind",
        "must be one of 'errors', 'latency', 'load_errors', 'warmup', got ['errors']",
    ),
    Case(
        "fault-kind-missing",
        {"models.green.faults[0].kind": DELETE},
        "models.green.faults[0].kind",
        "required field is missing",
    ),
    Case(
        "fault-rates-sum-over-1",
        {"models.green.faults[0].rate_4xx": 0.9},
        "models.green.faults[0].rate_5xx",
        "rate_4xx + rate_5xx must be <= 1",
    ),
    Case(
        "fault-window-ends-before-start",
        {"models.green.faults[0].until_seconds": 30},
        "models.green.faults[0].until_seconds",
        "must be > after_seconds (60)",
    ),
    Case(
        "environment-range",
        {"environment.evaluation_range_extra_periods": 101},
        "environment.evaluation_range_extra_periods",
        "must be <= 100, got 101",
    ),
    Case(
        "environment-negative-price",
        {"environment.instance_prices_usd_per_hour": {"ml.m5.xlarge": -1}},
        "environment.instance_prices_usd_per_hour.ml.m5.xlarge",
        "must be >= 0",
    ),
    Case(
        "simulation-horizon-zero",
        {"simulation.horizon_seconds": 0},
        "simulation.horizon_seconds",
        "must be > 0",
    ),
    Case("simulation-seed-negative", {"simulation.seed": -1}, "simulation.seed", "must be >= 0"),
]


def load(changes: dict[str, Any]) -> LoadResult:
    return check_scenario_dict(modified(changes), source="<test>")


def describe(problems: tuple[Problem, ...]) -> str:
    return "\n".join(f"  [{p.severity}] {p.path}: {p.message}" for p in problems) or "  (none)"


def test_base_is_valid_without_warnings() -> None:
    result = check_scenario_dict(copy.deepcopy(BASE))
    assert result.problems == (), describe(result.problems)
    assert result.scenario is not None


def test_case_ids_are_unique() -> None:
    ids = [c.id for c in CASES]
    assert len(ids) == len(set(ids))


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_rule(case: Case) -> None:
    result = load(case.changes)
    at_path = [p for p in result.problems if p.path == case.path]
    matching = [p for p in at_path if case.fragment in p.message]
    assert matching, (
        f"expected an error at {case.path!r} containing {case.fragment!r}; got:\n"
        f"{describe(result.problems)}"
    )
    assert all(p.severity == "error" for p in matching), describe(tuple(matching))
    assert result.scenario is None
    assert len(set(result.problems)) == len(result.problems), "a problem is reported twice"


def test_several_independent_mistakes_are_all_reported() -> None:
    result = load(
        {
            "alarm": [],
            f"{TRC}.CanarySize": {"Type": "CAPACITY_PERCENT", "Value": 60},
            f"{BG}.TerminationWaitInSeconds": -1,
            f"{A0}.Period": 45,
            f"{A0}.DatapointsToAlarm": 4,
            f"{GREEN_VARIANT}.VariantName": "Green",
            "traffic.rate_per_second": -1,
            "models.green.error_rate_5xx": 1.5,
            "environment.provisioning_seconds.p99": 100,
            "simulation.mode": "fastest",
        }
    )
    assert result.scenario is None
    paths = {p.path for p in result.errors}
    expected = {
        "alarm",
        f"{BG}.TerminationWaitInSeconds",
        f"{A0}.Period",
        f"{A0}.DatapointsToAlarm",
        f"{GREEN_VARIANT}.VariantName",
        "traffic.rate_per_second",
        "models.green.error_rate_5xx",
        "environment.provisioning_seconds.p99",
        "simulation.mode",
    }
    assert expected <= paths, describe(result.problems)


def test_a_shape_error_in_one_section_does_not_hide_the_rules_of_another() -> None:
    # The deployment config fails its shape check; the alarm and endpoint rules still run.
    result = load(
        {
            f"{BG}.TerminationWaitInSeconds": -1,
            f"{A0}.Period": 45,
            f"{GREEN_VARIANT}.VariantName": "Green",
        }
    )
    paths = {p.path for p in result.errors}
    assert {
        f"{BG}.TerminationWaitInSeconds",
        f"{A0}.Period",
        f"{GREEN_VARIANT}.VariantName",
    } <= paths


def test_an_omitted_green_config_reports_only_the_blue_errors() -> None:
    # Green defaults to a copy of blue: an error in blue is reported once, at blue's path.
    result = load({"endpoint.green": DELETE, f"{BLUE_VARIANT}.InitialInstanceCount": 0})
    assert [p.path for p in result.errors] == [f"{BLUE_VARIANT}.InitialInstanceCount"]


def test_a_blank_unknown_key_is_quoted_in_the_path() -> None:
    raw = modified({})
    raw["environment"][""] = 1
    raw[""] = 2
    result = check_scenario_dict(raw)
    paths = {p.path for p in result.errors}
    assert paths == {"''", "environment.''"}
    assert all("unknown key" in p.message for p in result.errors)


def test_a_scenario_must_be_a_mapping() -> None:
    for raw in ([], "name: x", 3, None):
        result = check_scenario_dict(raw)
        assert result.scenario is None
        assert [p.path for p in result.errors] == [""]
        assert "must be a mapping of sections" in result.errors[0].message


def test_defaults_fill_omitted_sections() -> None:
    # Only the deployment config and its alarms are needed; a null section means "defaults".
    raw = modified(
        {
            "endpoint": DELETE,
            "models": None,
            "traffic": None,
            "environment": DELETE,
            "simulation": DELETE,
            "description": DELETE,
        }
    )
    raw["alarms"][0]["Dimensions"][0]["Value"] = "guardsim-demo"
    result = check_scenario_dict(raw)
    assert result.errors == (), describe(result.problems)
    assert result.scenario is not None
    assert result.scenario.endpoint.green.name == "guardsim-demo-config-blue-green"


# --------------------------------------------------------------------------- text-level strictness


def test_duplicate_yaml_key_is_an_error_with_its_line(tmp_path: Path) -> None:
    text = "name: a\ntraffic:\n  rate_per_second: 1\n  rate_per_second: 2\n"
    with pytest.raises(ScenarioError) as info:
        parse_text(text, "dup.yaml")
    (problem,) = info.value.problems
    assert problem.path == ""
    assert "duplicate key 'rate_per_second'" in problem.message
    assert "line 4" in problem.message


def test_duplicate_json_key_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "dup.json"
    path.write_text('{"name": "a", "traffic": {"rate_per_second": 1, "rate_per_second": 2}}')
    with pytest.raises(ScenarioError) as info:
        read_scenario(path)
    (problem,) = info.value.problems
    # Not a path: a bare "rate_per_second" would claim a top-level field.
    assert problem.path == ""
    assert problem.message == "invalid JSON: duplicate key 'rate_per_second'"


def test_yaml_syntax_error_names_the_line() -> None:
    with pytest.raises(ScenarioError) as info:
        parse_text("name: a\ntraffic: {rate_per_second: 1\n", "bad.yaml")
    (problem,) = info.value.problems
    assert problem.message.startswith("invalid YAML at line")


def test_unhashable_yaml_key_is_a_scenario_error() -> None:
    with pytest.raises(ScenarioError) as info:
        parse_text("? [a, b]\n: 1\n", "complex-key.yaml")
    assert "invalid YAML" in info.value.problems[0].message


@pytest.mark.parametrize(
    ("text", "json_only", "fragment"),
    [
        ("name: a\ndescription: 2024-13-45\n", False, "month must be in 1..12"),
        ("simulation:\n  seed: " + "9" * 5000 + "\n", False, "integer string conversion"),
        ('{"simulation": {"seed": ' + "9" * 5000 + "}}", True, "integer string conversion"),
        ("name: a\x00\n", False, "unacceptable character"),
    ],
    ids=["impossible-date", "yaml-5000-digit-int", "json-5000-digit-int", "nul-character"],
)
def test_values_yaml_cannot_construct_are_scenario_errors(
    text: str, json_only: bool, fragment: str
) -> None:
    with pytest.raises(ScenarioError) as info:
        parse_text(text, "bad", json_only=json_only)
    (problem,) = info.value.problems
    assert problem.path == ""
    assert problem.message.startswith("invalid JSON" if json_only else "invalid YAML")
    assert fragment in problem.message


def test_replay_file_name_with_nul_byte_is_not_found() -> None:
    result = check_scenario_dict(modified({"traffic.replay_file": "traffic\x00.csv"}))
    assert result.scenario is None
    assert [p.path for p in result.errors] == ["traffic.replay_file"]
    assert "file not found" in result.errors[0].message


def test_json_syntax_error_names_line_and_column(tmp_path: Path) -> None:
    path = tmp_path / "bad.json"
    path.write_text('{\n  "name": "a",\n}\n', encoding="utf-8")
    with pytest.raises(ScenarioError) as info:
        read_scenario(path)
    assert "invalid JSON at line 3" in info.value.problems[0].message


def test_yaml_file_rule_errors_have_paths(tmp_path: Path) -> None:
    # The same rule table through a file: JSON text is also valid YAML for the loader.
    path = tmp_path / "canary.yaml"
    path.write_text(json.dumps(modified({f"{TRC}.CanarySize.Value": 3})), encoding="utf-8")
    result = read_scenario(path)
    assert result.scenario is None
    assert [str(p) for p in result.errors] == [
        f"{TRC}.CanarySize.Value: 3 of 4 instances is over the 50% limit for a canary"
    ]


def test_replay_file_resolves_relative_to_the_scenario_file(tmp_path: Path) -> None:
    (tmp_path / "traffic.csv").write_text("count\n60\n120\n", encoding="utf-8")
    path = tmp_path / "replay.yaml"
    path.write_text(json.dumps(modified({"traffic.replay_file": "traffic.csv"})), encoding="utf-8")
    result = read_scenario(path)
    assert result.errors == (), describe(result.problems)
    assert result.scenario is not None
    assert result.scenario.traffic.replay_file == str((tmp_path / "traffic.csv").resolve())


def test_replay_file_bad_row_names_the_line(tmp_path: Path) -> None:
    (tmp_path / "traffic.csv").write_text("count\n60\nlots\n", encoding="utf-8")
    result = check_scenario_dict(
        modified({"traffic.replay_file": "traffic.csv"}), base_dir=tmp_path
    )
    assert result.scenario is None
    assert [p.path for p in result.errors] == ["traffic.replay_file[3]"]
    assert "line 3" in result.errors[0].message


# --------------------------------------------------------------------------- warnings


def warnings_at(result: LoadResult, path: str) -> list[Problem]:
    return [p for p in result.warnings if p.path == path]


def test_seed_error_alarm_threshold_is_a_warning() -> None:
    result = read_scenario("seed-canary-rollback")
    assert result.errors == ()
    assert result.scenario is not None
    (warning,) = warnings_at(result, "alarms[0].Threshold")
    assert warning.severity == "warning"
    assert "Average of Invocation5XXErrors is the error fraction" in warning.message
    assert "0.01" in warning.message


def test_error_fraction_threshold_with_greater_than_never_fires() -> None:
    result = load({f"{A0}.Threshold": 1, f"{A0}.ComparisonOperator": "GreaterThanThreshold"})
    assert result.scenario is not None
    (warning,) = warnings_at(result, f"{A0}.Threshold")
    assert "can never fire" in warning.message


def test_error_fraction_threshold_below_1_does_not_warn() -> None:
    assert load({f"{A0}.Threshold": 0.5}).problems == ()


def test_latency_threshold_that_looks_like_milliseconds_warns() -> None:
    result = load({f"{A0}.MetricName": "ModelLatency", f"{A0}.Threshold": 100})
    assert result.scenario is not None
    (warning,) = warnings_at(result, f"{A0}.Threshold")
    assert "microseconds" in warning.message
    assert "did you mean 100000?" in warning.message


def test_latency_threshold_in_microseconds_does_not_warn() -> None:
    assert load({f"{A0}.MetricName": "ModelLatency", f"{A0}.Threshold": 100000}).problems == ()


def test_alarm_on_another_endpoint_warns() -> None:
    result = load({f"{A0}.Dimensions[0].Value": "other-endpoint"})
    assert result.errors == ()
    assert result.scenario is not None
    (warning,) = warnings_at(result, f"{A0}.Dimensions")
    assert (
        "EndpointName 'other-endpoint' is not the scenario's endpoint 'shop-ranker'"
        in warning.message
    )


def test_alarm_on_another_endpoint_in_metric_math_warns() -> None:
    result = load(
        {
            "alarms": [math_alarm()],
            f"{A0}.Metrics[1].MetricStat.Metric.Dimensions[0].Value": "other-endpoint",
        }
    )
    assert result.errors == (), describe(result.problems)
    assert warnings_at(result, f"{A0}.Metrics[1].MetricStat.Metric.Dimensions")


@pytest.mark.parametrize(
    ("changes", "path", "fragment"),
    [
        (
            {f"{A0}.Dimensions": [{"Name": "EndpointName", "Value": "shop-ranker"}]},
            f"{A0}.Dimensions",
            "needs both EndpointName and VariantName",
        ),
        ({f"{A0}.Dimensions[1].Value": "Blue"}, f"{A0}.Dimensions", "VariantName 'Blue'"),
        (
            {f"{A0}.Dimensions[2]": {"Name": "EndpointConfigName", "Value": "shop-ranker-v0"}},
            f"{A0}.Dimensions",
            "EndpointConfigName 'shop-ranker-v0' is neither",
        ),
        ({f"{A0}.Namespace": "AWS/EC2"}, f"{A0}.Namespace", "sees no data"),
        ({f"{A0}.MetricName": "CPUUtilization"}, f"{A0}.MetricName", "is not simulated"),
        (
            {f"{A0}.MetricName": "ModelSetupTime"},
            f"{A0}.MetricName",
            "ModelSetupTime for serverless endpoints only",
        ),
        ({f"{ARC}.Alarms": DELETE}, ARC, "auto-rollback does nothing"),
        (
            {f"{TRC}.LinearStepSize": {"Type": "CAPACITY_PERCENT", "Value": 20}},
            f"{TRC}.LinearStepSize",
            "ignored: Type is CANARY",
        ),
        (
            {
                f"{TRC}.CanarySize": {"Type": "CAPACITY_PERCENT", "Value": 50},
                f"{GREEN_VARIANT}.InitialInstanceCount": 3,
            },
            f"{TRC}.CanarySize.Value",
            "50% of 3 instances becomes 2 instance(s)",
        ),
        (
            {
                f"{TRC}.Type": "ALL_AT_ONCE",
                f"{TRC}.CanarySize": DELETE,
                f"{BG}.TerminationWaitInSeconds": 0,
            },
            f"{BG}.TerminationWaitInSeconds",
            "no bake",
        ),
        (
            {f"{GREEN_VARIANT}.InstanceType": "ml.inf1.xlarge"},
            f"{GREEN_VARIANT}.InstanceType",
            "cannot use deployment guardrails",
        ),
        (
            {f"{GREEN_VARIANT}.InstanceType": "ml.m5d.large"},
            f"{GREEN_VARIANT}.InstanceType",
            "no price known for ml.m5d.large",
        ),
    ],
    ids=[
        "one-dimension",
        "other-variant",
        "unknown-config",
        "other-namespace",
        "unsimulated-metric",
        "serverless-only-metric",
        "no-rollback-alarms",
        "linear-size-ignored",
        "rounding-over-limit",
        "all-at-once-no-bake",
        "inf1",
        "unknown-price",
    ],
)
def test_legal_but_suspicious_is_a_warning(
    changes: dict[str, Any], path: str, fragment: str
) -> None:
    result = load(changes)
    assert result.errors == (), describe(result.problems)
    assert result.scenario is not None
    assert any(fragment in p.message for p in warnings_at(result, path)), describe(result.problems)


def test_every_builtin_loads_with_warnings_only() -> None:
    for name in library.names():
        result = read_scenario(name)
        assert result.errors == (), f"{name}:\n{describe(result.problems)}"
        assert result.scenario is not None


def test_problems_of_later_alarms_keep_their_own_index_when_an_earlier_alarm_is_invalid() -> None:
    from guardsim.scenarios import check_scenario_dict, load_scenario

    data = load_scenario("seed-canary-rollback").to_dict()
    data["alarms"][0]["Period"] = "sixty"  # alarms[0] fails to load
    data["alarms"][1]["DatapointsToAlarm"] = 5  # 5 of EvaluationPeriods 1: an error in alarms[1]
    result = check_scenario_dict(data)
    paths = {p.path for p in result.errors}
    assert "alarms[1].DatapointsToAlarm" in paths
    assert "alarms[0].DatapointsToAlarm" not in paths
