"""Outcomes that must hold in every seed, and the determinism of the run record.

* A green model that fails every request, watched by a per-fleet (EndpointConfigName = green)
  ``Invocation5XXErrors`` Average >= 0.5 alarm, rolls back in every seed and every policy kind,
  during the first bake.
* A green model identical to blue, under a generous alarm, succeeds in every seed.
* Same scenario and seed give a byte-identical record; another seed gives another record; a
  record survives a JSON round trip.

The scenarios keep the default (random) environment: lognormal provisioning and a uniform
30-120 s publish delay. The first bake lasts 600 s, far longer than the worst case from the
first green request to detection: a partial first minute (60 s), the next full minute (60 s),
the publish delay (<= 120 s) and one poll interval (30 s).
"""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from guardsim.record import RunRecord
from guardsim.scenarios import check_scenario_dict, library, load_scenario
from guardsim.scenarios.scenario import Scenario
from guardsim.simulator import simulate

SEEDS = range(20)
BAKE = 600
ALARM = "new-fleet-5xx"

POLICIES: dict[str, dict[str, Any]] = {
    "ALL_AT_ONCE": {
        "BlueGreenUpdatePolicy": {
            "TrafficRoutingConfiguration": {"Type": "ALL_AT_ONCE", "WaitIntervalInSeconds": 0},
            "TerminationWaitInSeconds": BAKE,
        }
    },
    "CANARY": {
        "BlueGreenUpdatePolicy": {
            "TrafficRoutingConfiguration": {
                "Type": "CANARY",
                "WaitIntervalInSeconds": BAKE,
                "CanarySize": {"Type": "INSTANCE_COUNT", "Value": 1},
            },
            "TerminationWaitInSeconds": 120,
        }
    },
    "LINEAR": {
        "BlueGreenUpdatePolicy": {
            "TrafficRoutingConfiguration": {
                "Type": "LINEAR",
                "WaitIntervalInSeconds": BAKE,
                "LinearStepSize": {"Type": "CAPACITY_PERCENT", "Value": 50},
            },
            "TerminationWaitInSeconds": 120,
        }
    },
    "ROLLING": {
        "RollingUpdatePolicy": {
            "MaximumBatchSize": {"Type": "INSTANCE_COUNT", "Value": 1},
            "WaitIntervalInSeconds": BAKE,
        }
    },
}
#: The green traffic share during the first bake, per policy (4 instances).
FIRST_STEP = {"ALL_AT_ONCE": 1.0, "CANARY": 0.25, "LINEAR": 0.5, "ROLLING": 0.25}


def scenario(policy: str, *, green: dict[str, Any], threshold: float = 0.5) -> Scenario:
    def config(name: str) -> dict[str, Any]:
        return {
            "EndpointConfigName": name,
            "ProductionVariants": [
                {
                    "VariantName": "AllTraffic",
                    "InstanceType": "ml.m5.xlarge",
                    "InitialInstanceCount": 4,
                }
            ],
        }

    blue = {"latency": {"median_ms": 8, "p99_ms": 30}}
    data = {
        "name": f"outcome-{policy.lower()}",
        "endpoint": {"name": "scorer", "blue": config("scorer-v1"), "green": config("scorer-v2")},
        "deployment_config": {
            **copy.deepcopy(POLICIES[policy]),
            "AutoRollbackConfiguration": {"Alarms": [{"AlarmName": ALARM}]},
        },
        "alarms": [
            {
                "AlarmName": ALARM,
                "Namespace": "AWS/SageMaker",
                "MetricName": "Invocation5XXErrors",
                "Statistic": "Average",
                "Dimensions": [
                    {"Name": "EndpointName", "Value": "scorer"},
                    {"Name": "VariantName", "Value": "AllTraffic"},
                    {"Name": "EndpointConfigName", "Value": "scorer-v2"},
                ],
                "Period": 60,
                "EvaluationPeriods": 1,
                "DatapointsToAlarm": 1,
                "Threshold": threshold,
                "ComparisonOperator": "GreaterThanOrEqualToThreshold",
                "TreatMissingData": "notBreaching",
            }
        ],
        "models": {"blue": blue, "green": {**blue, **green}},
        "traffic": {"rate_per_second": 5},
        "simulation": {"warmup_seconds": 300, "cooldown_seconds": 60},
    }
    result = check_scenario_dict(data)
    assert result.errors == ()
    assert result.scenario is not None
    return result.scenario


@pytest.mark.parametrize("policy", list(POLICIES))
def test_a_green_model_failing_every_request_rolls_back_in_every_seed(policy: str) -> None:
    s = scenario(policy, green={"error_rate_5xx": 1.0})
    for seed in SEEDS:
        record = simulate(s, seed=seed)
        assert record.outcome == "ROLLED_BACK", seed
        assert record.summary.tripped_alarms == (ALARM,), seed
        # detected in the first bake: the blast radius is the first step
        first_bake = next(t for t in record.transitions if t["to"] in ("Baking", "FinalBake"))
        assert record.summary.detected_at_seconds is not None
        assert first_bake["t"] <= record.summary.detected_at_seconds < first_bake["t"] + BAKE
        assert record.summary.peak_green_traffic_fraction == FIRST_STEP[policy], seed
        assert record.summary.green_errors == record.summary.green_requests > 0, seed


@pytest.mark.parametrize("policy", list(POLICIES))
def test_a_green_model_identical_to_blue_succeeds_in_every_seed(policy: str) -> None:
    s = scenario(policy, green={})
    assert s.models.green == s.models.blue
    for seed in SEEDS:
        record = simulate(s, seed=seed)
        assert record.outcome == "SUCCEEDED", seed
        assert record.summary.detected_at_seconds is None, seed
        assert record.summary.user_errors == 0, seed
        assert record.transitions[-1]["reason"].endswith("InService on scorer-v2")


# --------------------------------------------------------------------------- determinism


@pytest.mark.parametrize("mode", ["exact", "fast"])
@pytest.mark.parametrize("name", library.names())
def test_same_scenario_and_seed_give_a_byte_identical_record(name: str, mode: str) -> None:
    s = load_scenario(name)
    first = simulate(s, mode=mode).to_json()
    assert simulate(s, mode=mode).to_json() == first
    # a copy of the scenario through its plain data is the same scenario
    copy_of = check_scenario_dict(json.loads(json.dumps(s.to_dict()))).scenario
    assert copy_of is not None
    assert simulate(copy_of, mode=mode).to_json() == first


@pytest.mark.parametrize("name", library.names())
def test_another_seed_gives_another_record(name: str) -> None:
    s = load_scenario(name)
    one, other = simulate(s), simulate(s, seed=s.simulation.seed + 1)
    assert other.seed == s.simulation.seed + 1
    assert one.to_json() != other.to_json()
    assert one.datapoints != other.datapoints


@pytest.mark.parametrize("name", library.names())
def test_a_record_round_trips_through_json(name: str) -> None:
    record = simulate(load_scenario(name))
    again = RunRecord.from_data(json.loads(record.to_json()))
    assert again == record
    assert again.to_json() == record.to_json()
