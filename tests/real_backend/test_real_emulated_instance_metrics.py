"""The emulator answers GetMetricData for the instance metrics of the real backend's run."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from real_helpers import TINY, emulated, tiny

from guardsim.real_backend.run import run_real


def test_a_cpu_alarm_trips_and_its_metric_is_answered(payload: Path) -> None:
    alarm = {
        **TINY["alarms"][0],
        "AlarmName": "tiny-cpu",
        "Namespace": "/aws/sagemaker/Endpoints",
        "MetricName": "CPUUtilization",
        "Statistic": "Maximum",
        "Threshold": 50.0,
    }
    scenario = tiny(
        payload,
        alarms=[alarm],
        deployment_config={
            **TINY["deployment_config"],
            "AutoRollbackConfiguration": {"Alarms": [{"AlarmName": "tiny-cpu"}]},
        },
        # the new model is 1000x slower: 0.5 requests/s x 5 s keeps 2.5 requests busy on the
        # canary instance, so its CPU is about 255 % (> 50), the old fleet's about 5 %
        models={"green": {"latency": {"median_ms": 5000, "p99_ms": 20000}}},
    )
    aws = emulated(scenario)
    cw = aws("cloudwatch")
    answers: list[list[float]] = []

    def progress(message: str) -> None:
        # once the cool-down starts, the whole update is simulated and published
        if message.startswith("cool-down"):
            aws.clock.sleep(600.0)
            aws.emulator.advance()
            (name,) = aws.emulator.endpoints  # the real backend's own names (run id prefixed)
            (dep,) = aws.emulator.endpoints[name].updates
            dims = [
                {"Name": "EndpointName", "Value": name},
                {"Name": "VariantName", "Value": "AllTraffic"},
                {"Name": "EndpointConfigName", "Value": dep.new_config},
            ]
            answers.append(_cpu(cw, dims, aws.clock.now()))

    result = run_real(scenario, clients=aws, clock=aws.clock, run_id="cpu00001", progress=progress)
    assert result.record is not None
    assert result.record.outcome == "ROLLED_BACK"
    (values,) = answers
    assert values and max(values) > 50.0


def _cpu(cw: Any, dims: list[dict[str, str]], now: float) -> list[float]:
    answer = cw.get_metric_data(
        MetricDataQueries=[
            {
                "Id": "cpu",
                "MetricStat": {
                    "Metric": {
                        "Namespace": "/aws/sagemaker/Endpoints",
                        "MetricName": "CPUUtilization",
                        "Dimensions": dims,
                    },
                    "Period": 60,
                    "Stat": "Maximum",
                },
            }
        ],
        StartTime=datetime.fromtimestamp(0, UTC),
        EndTime=datetime.fromtimestamp(now, UTC),
    )["MetricDataResults"][0]
    return list(answer["Values"])
