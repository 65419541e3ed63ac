"""Anomaly-detection alarms: the band's structure is checked with field paths, its operators
compare with the band's bounds, and its static band is the old model's steady state.

The checks are CloudWatch's documented rules for PutMetricAlarm with ``ThresholdMetricId``
(https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/Create_Anomaly_Detection_Alarm.html):
it names the ``ANOMALY_DETECTION_BAND`` expression, no ``Threshold``, ``k > 0``, the band's metric
is a query of ``Metrics``.
"""

from __future__ import annotations

import math
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from guardsim.cloudwatch.alarm import AlarmRule, AlarmState
from guardsim.errors import AlarmError
from guardsim.model.anomaly import anomaly_band, steady_state
from guardsim.model.latency import lognormal_params
from guardsim.scenarios import check_scenario_dict
from guardsim.scenarios.models import Latency, ModelBehaviour
from guardsim.scenarios.traffic import Traffic

sys.path.insert(0, str(Path(__file__).parent.parent / "simulator"))
from test_fast_vs_exact import _scenario

A0 = "alarms[0]"
ENDPOINT = [
    {"Name": "EndpointName", "Value": "DEMO-Deployment-Guardrails-Canary"},
    {"Name": "VariantName", "Value": "AllTraffic"},
]


def band_alarm(
    k: Any = 3,
    op: str = "LessThanLowerOrGreaterThanUpperThreshold",
    *,
    metric: str = "ModelLatency",
    stat: str = "Average",
    namespace: str = "AWS/SageMaker",
    n: int = 2,
    m: int = 2,
) -> dict[str, Any]:
    """A band alarm on the endpoint-wide series: ``ANOMALY_DETECTION_BAND(m1, k)``."""
    return {
        "AlarmName": "band",
        "Metrics": [
            {
                "Id": "m1",
                "ReturnData": True,
                "MetricStat": {
                    "Metric": {
                        "Namespace": namespace,
                        "MetricName": metric,
                        "Dimensions": ENDPOINT,
                    },
                    "Period": 60,
                    "Stat": stat,
                },
            },
            {"Id": "ad1", "Expression": f"ANOMALY_DETECTION_BAND(m1, {k})", "ReturnData": True},
        ],
        "ThresholdMetricId": "ad1",
        "ComparisonOperator": op,
        "EvaluationPeriods": n,
        "DatapointsToAlarm": m,
        "TreatMissingData": "notBreaching",
    }


def _problems(alarm: dict[str, Any]) -> dict[str, str]:
    base = _scenario({}, band_alarm()).to_dict()
    base["alarms"] = [alarm]
    base["deployment_config"]["AutoRollbackConfiguration"] = {
        "Alarms": [{"AlarmName": alarm["AlarmName"]}]
    }
    result = check_scenario_dict(base)
    out: dict[str, str] = {}
    for p in result.problems:
        if p.severity == "error":
            out[p.path] = f"{out[p.path]}; {p.message}" if p.path in out else p.message
    return out


def test_a_well_formed_band_alarm_loads_and_echoes_its_fields() -> None:
    scenario = _scenario({}, band_alarm())
    alarm = scenario.alarms[0]
    assert alarm.to_boto()["ThresholdMetricId"] == "ad1"
    assert alarm.to_boto()["Metrics"][1]["Expression"] == "ANOMALY_DETECTION_BAND(m1, 3)"
    assert "Threshold" not in alarm.to_boto()


def _with(**changes: Any) -> dict[str, Any]:
    alarm = band_alarm()
    for key, value in changes.items():
        if value is None:
            del alarm[key]
        else:
            alarm[key] = value
    return alarm


BAD = [
    ("threshold-with-band", _with(Threshold=5.0), f"{A0}.Threshold", "must not be set"),
    (
        "id-names-the-metric",
        _with(ThresholdMetricId="m1"),
        f"{A0}.ThresholdMetricId",
        "must name the ANOMALY_DETECTION_BAND expression",
    ),
    ("id-names-nothing", _with(ThresholdMetricId="zz"), f"{A0}.ThresholdMetricId", "names no"),
    ("k-zero", band_alarm(k=0), f"{A0}.Metrics[1].Expression", "must be > 0"),
    ("k-negative", band_alarm(k=-1), f"{A0}.Metrics[1].Expression", "must be > 0"),
    ("k-not-a-number", band_alarm(k="wide"), f"{A0}.Metrics[1].Expression", "must be a number"),
    (
        "static-operator",
        _with(ComparisonOperator="GreaterThanThreshold"),
        f"{A0}.ComparisonOperator",
        "needs an anomaly-detection operator",
    ),
    (
        "no-threshold-metric-id",
        _with(ThresholdMetricId=None),
        f"{A0}.ThresholdMetricId",
        "required with the anomaly-detection operator",
    ),
    (
        "unsupported-statistic",
        band_alarm(stat="p99"),
        f"{A0}.Metrics[0].MetricStat.Stat",
        "no anomaly band for ModelLatency p99",
    ),
    (
        "other-namespace",
        band_alarm(namespace="/aws/sagemaker/Endpoints", metric="CPUUtilization"),
        f"{A0}.Metrics[0].MetricStat.Metric.Namespace",
        "AWS/SageMaker invocation metrics only",
    ),
]


@pytest.mark.parametrize(("case", "alarm", "path", "needle"), BAD, ids=[b[0] for b in BAD])
def test_bad_band_alarms_are_refused_at_their_field(
    case: str, alarm: dict[str, Any], path: str, needle: str
) -> None:
    problems = _problems(alarm)
    assert path in problems, problems
    assert needle in problems[path]


def test_the_band_metric_must_be_a_query_of_metrics() -> None:
    alarm = band_alarm()
    alarm["Metrics"][1]["Expression"] = "ANOMALY_DETECTION_BAND(m9, 2)"
    problems = _problems(alarm)
    assert "is not a query of Metrics" in problems[f"{A0}.Metrics[1].Expression"]


def test_two_band_expressions_are_refused() -> None:
    alarm = band_alarm()
    alarm["Metrics"].append({"Id": "ad2", "Expression": "ANOMALY_DETECTION_BAND(m1, 4)"})
    problems = _problems(alarm)
    assert "one ANOMALY_DETECTION_BAND" in problems[f"{A0}.Metrics[2].Expression"]


def test_a_rule_without_its_band_is_refused_loudly() -> None:
    """A caller that computes no band gets an error, never a silently static alarm."""
    with pytest.raises(AlarmError, match="needs its band") as info:
        AlarmRule.from_kwargs(band_alarm())
    assert info.value.field == "ThresholdMetricId"


# --------------------------------------------------------------------------- the operators

LO, HI = 10.0, 20.0
#: value -> breaches for (outside, below, above)
TABLE = [
    (9.99, (True, True, False)),
    (10.0, (False, False, False)),  # the bounds themselves do not breach (strict comparisons)
    (15.0, (False, False, False)),
    (20.0, (False, False, False)),
    (20.01, (True, False, True)),
    (math.nan, (False, False, False)),
]
OPS = (
    "LessThanLowerOrGreaterThanUpperThreshold",
    "LessThanLowerThreshold",
    "GreaterThanUpperThreshold",
)


@pytest.mark.parametrize("j", range(3), ids=OPS)
def test_anomaly_operators_compare_with_the_band(j: int) -> None:
    rule = AlarmRule.from_kwargs(band_alarm(op=OPS[j], n=1, m=1), band=(LO, HI))
    values = np.array([v for v, _ in TABLE])
    expected = [flags[j] for _, flags in TABLE]
    assert [bool(rule.breaches(v)) for v, _ in TABLE] == expected
    with np.errstate(invalid="ignore"):
        assert np.asarray(rule.breaches(values), dtype=bool).tolist() == expected  # as batch does


def test_a_band_alarm_evaluates_m_of_n_with_its_band() -> None:
    rule = AlarmRule.from_kwargs(band_alarm(n=3, m=2), band=(LO, HI))
    ok = rule.evaluate([15.0, 25.0, 12.0], AlarmState.OK)
    assert ok.state is AlarmState.OK and ok.breaching_count == 1
    alarm = rule.evaluate([5.0, 15.0, 25.0], AlarmState.OK)
    assert alarm.state is AlarmState.ALARM and alarm.breaching_count == 2
    assert "outside the band [10.0, 20.0]" in alarm.reason


# --------------------------------------------------------------------------- the band model


def test_steady_state_latency_matches_a_fixed_seed_simulation() -> None:
    """The per-period Average of n lognormal latencies: mean and sd match 4000 simulated
    periods of n = 300 requests (fixed seed). The sample mean of 4000 periods has standard error
    sd / sqrt(4000), so 5 of them is a 1-in-3-million miss; the sample sd is within 5 % (its
    relative standard error is about 1 / sqrt(2 * 4000) = 1.1 %, widened for the lognormal's
    heavy tail)."""
    model = ModelBehaviour(latency=Latency(median_ms=3.0, p99_ms=10.0))
    n, periods = 300, 4000
    centre, sd = steady_state("ModelLatency", "Average", model, n, "poisson")
    mu, sigma = lognormal_params(3.0, 10.0)
    rng = np.random.default_rng(20)
    means = 1000.0 * np.exp(mu + sigma * rng.standard_normal((periods, n))).mean(axis=1)
    assert abs(means.mean() - centre) < 5 * sd / math.sqrt(periods)
    assert abs(means.std() / sd - 1.0) < 0.05


def test_the_band_is_centre_plus_minus_k_sd_at_the_warmup_traffic() -> None:
    model = ModelBehaviour(error_rate_5xx=0.02)
    traffic = Traffic(rate_per_second=2.0)
    lo, hi = anomaly_band(
        band_alarm(k=2, metric="Invocation5XXErrors", stat="Sum"), model, traffic, 600.0
    ) or (0, 0)
    n = 2.0 * 60  # requests per period
    assert (lo + hi) / 2 == pytest.approx(n * 0.02)
    assert (hi - lo) / 2 == pytest.approx(2 * math.sqrt(n * 0.02))  # Poisson count


def test_the_importer_keeps_an_anomaly_alarm() -> None:
    """``guardsim real import`` brings a described anomaly alarm in with its band fields."""
    from guardsim.real_backend.importer import alarm_args

    described = {**band_alarm(), "AlarmArn": "arn:aws:cloudwatch:...", "StateValue": "OK"}
    args = alarm_args(described)
    assert args is not None
    assert args["ThresholdMetricId"] == "ad1" and "AlarmArn" not in args
    assert alarm_args({**described, "EvaluationCriteria": {"PromQLCriteria": {}}}) is None
