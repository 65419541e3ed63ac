"""Acceptance: the boto3 code of AWS's three deployment-guardrail sample notebooks runs
unchanged inside mock_aws() and tells the notebooks' story.

The incompatible model (XGBoost 1.2-1, failing every request and slow, as the world says)
rolls back through the latency alarm the configuration lets trip (its 5XX alarm, on the
blended error rate at a threshold of 1.0, cannot trip while the old fleet still serves);
the correct model then succeeds with the retained configuration; every metrics cell returns
data. Each notebook runs about 40 virtual minutes; its wall time is measured by
benchmarks/emulator_notebooks.py, not asserted here.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from notebooks import canary, linear, rolling

from guardsim.record import RunRecord
from guardsim.testing import mock_aws

WORLD = Path(__file__).parent / "notebooks" / "world.yaml"
NOTEBOOKS = {
    "canary": (canary.main, canary.canary_deployment_config),
    "linear": (linear.main, linear.linear_deployment_config),
    "rolling": (rolling.main, rolling.rolling_deployment_config),
}


@pytest.mark.parametrize("name", sorted(NOTEBOOKS))
def test_the_notebook_tells_its_story(name: str, tmp_path: Path) -> None:
    main, config_of = NOTEBOOKS[name]
    with mock_aws(world=WORLD, records_dir=tmp_path) as aws:
        seen: dict[str, Any] = main()
        events = aws.events
    names = seen["names"]
    config1, config2, config3 = names["configs"]
    error_alarm, latency_alarm = names["alarms"]
    expected_config = config_of(error_alarm, latency_alarm)

    # the new alarms start INSUFFICIENT_DATA, as CloudWatch creates them
    assert seen["alarms_at_creation"] == ["INSUFFICIENT_DATA", "INSUFFICIENT_DATA"]

    # rollback case: Updating with a pending deployment, then back on config 1 via the alarm
    updating = seen["rollback_updating"]
    assert updating["EndpointStatus"] == "Updating"
    assert updating["PendingDeploymentSummary"]["EndpointConfigName"] == config2
    final = seen["rollback_final"]
    assert final["EndpointStatus"] == "InService"
    assert final["EndpointConfigName"] == config1
    assert latency_alarm in final["FailureReason"]
    assert final["LastDeploymentConfig"] == expected_config
    assert seen["errors"] > 0  # the notebook's "E"s: the incompatible fleet's failures

    # success case: RetainDeploymentConfig=True reused the notebook's configuration
    assert seen["success_updating"]["EndpointStatus"] == "Updating"
    done = seen["success_final"]
    assert done["EndpointStatus"] == "InService"
    assert done["EndpointConfigName"] == config3
    assert done["LastDeploymentConfig"] == expected_config
    assert "FailureReason" not in done
    kind = "ROLLING" if name == "rolling" else name.upper()
    updates = [e.text for e in events if e.kind == "phase" and "UpdateEndpoint to" in e.text]
    assert len(updates) == 2 and all(f"({kind})" in u for u in updates)
    assert any("Baking" in e.text for e in events)

    # every metrics cell returned data, and config 2 and config 3 each served requests
    for step, cell in seen["cells"].items():
        for metric, points in cell.items():
            assert points, f"{step}: {metric} had no datapoints"
    assert sum(p["Sum"] for p in seen["cells"]["rollback"][f"{config2}-Invocations"]) > 0
    assert sum(p["Sum"] for p in seen["cells"]["success"][f"{config3}-Invocations"]) > 0

    # the latency alarm went to ALARM during the rollback case and back to OK, never before
    # it existed
    history = sorted(seen["alarm_history"], key=lambda h: h["Timestamp"])
    states = [h["HistorySummary"] for h in history if h["HistoryItemType"] == "StateUpdate"]
    assert "Alarm updated from OK to ALARM" in states
    assert states.index("Alarm updated from OK to ALARM") < states.index(
        "Alarm updated from ALARM to OK"
    )

    # a run record per update, readable by guardsim report / compare
    records = sorted(tmp_path.glob("*.json"))
    assert [RunRecord.load(p).outcome for p in records] == ["ROLLED_BACK", "SUCCEEDED"]
    rolled_back = RunRecord.load(records[0])
    assert rolled_back.summary.tripped_alarms == (latency_alarm,)
    assert rolled_back.summary.green_errors > 0
