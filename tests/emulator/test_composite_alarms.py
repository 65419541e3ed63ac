"""The emulator's composite alarms: PutCompositeAlarm, DescribeAlarms with AlarmTypes, state
changes when a child changes, history, and the API's refusals."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from botocore.exceptions import ClientError
from emulator_helpers import clients

from guardsim.testing.mock import MockAWS


def _metric_alarm(cw: Any, name: str, metric: str) -> None:
    cw.put_metric_alarm(
        AlarmName=name,
        Namespace="MyApp",
        MetricName=metric,
        Statistic="Sum",
        Period=60,
        EvaluationPeriods=1,
        Threshold=5,
        ComparisonOperator="GreaterThanOrEqualToThreshold",
        TreatMissingData="notBreaching",
    )


def test_a_composite_follows_its_children_and_is_listed_only_when_asked(aws: MockAWS) -> None:
    _, _, cw = clients()
    _metric_alarm(cw, "failures", "Failures")
    _metric_alarm(cw, "timeouts", "Timeouts")
    cw.put_composite_alarm(
        AlarmName="either",
        AlarmRule='ALARM("failures") OR ALARM(timeouts)',
        ActionsEnabled=False,
        ActionsSuppressor="timeouts",
        ActionsSuppressorWaitPeriod=60,
        ActionsSuppressorExtensionPeriod=60,
    )
    cw.put_composite_alarm(AlarmName="quiet", AlarmRule="NOT ALARM(either)")
    # DescribeAlarms returns composite alarms only when AlarmTypes asks for them
    listed = cw.describe_alarms()
    assert [a["AlarmName"] for a in listed["MetricAlarms"]] == ["failures", "timeouts"]
    assert listed["CompositeAlarms"] == []
    both = cw.describe_alarms(AlarmTypes=["CompositeAlarm", "MetricAlarm"])
    assert [a["AlarmName"] for a in both["CompositeAlarms"]] == ["either", "quiet"]
    (either,) = cw.describe_alarms(AlarmNames=["either"], AlarmTypes=["CompositeAlarm"])[
        "CompositeAlarms"
    ]
    assert either["StateValue"] == "INSUFFICIENT_DATA"
    assert either["AlarmRule"] == 'ALARM("failures") OR ALARM(timeouts)'
    assert either["ActionsSuppressor"] == "timeouts"
    children = cw.describe_alarms(ChildrenOfAlarmName="either", AlarmTypes=["MetricAlarm"])
    assert [a["AlarmName"] for a in children["MetricAlarms"]] == ["failures", "timeouts"]
    parents = cw.describe_alarms(ParentsOfAlarmName="either", AlarmTypes=["CompositeAlarm"])
    assert [a["AlarmName"] for a in parents["CompositeAlarms"]] == ["quiet"]

    # the children's first evaluation (no data, notBreaching: OK) makes the composites OK / ALARM
    time.sleep(60 - time.time() % 60 + 1)
    states = {
        a["AlarmName"]: a["StateValue"]
        for a in cw.describe_alarms(AlarmTypes=["CompositeAlarm"])["CompositeAlarms"]
    }
    assert states == {"either": "OK", "quiet": "ALARM"}
    cw.put_metric_data(Namespace="MyApp", MetricData=[{"MetricName": "Failures", "Value": 7.0}])
    time.sleep(60)
    states = {
        a["AlarmName"]: a["StateValue"]
        for a in cw.describe_alarms(AlarmTypes=["CompositeAlarm", "MetricAlarm"])["CompositeAlarms"]
    }
    assert states == {"either": "ALARM", "quiet": "OK"}
    history = cw.describe_alarm_history(AlarmName="either", HistoryItemType="StateUpdate")
    items = history["AlarmHistoryItems"]
    assert [i["AlarmType"] for i in items] == ["CompositeAlarm", "CompositeAlarm"]
    assert [json.loads(i["HistoryData"])["newState"]["stateValue"] for i in items] == [
        "ALARM",
        "OK",
    ]  # newest first


def test_set_alarm_state_on_a_composite_holds_until_a_child_changes(aws: MockAWS) -> None:
    _, _, cw = clients()
    _metric_alarm(cw, "failures", "Failures")
    cw.put_composite_alarm(AlarmName="c", AlarmRule="ALARM(failures)")
    time.sleep(60 - time.time() % 60 + 1)  # failures: OK, so c: OK
    cw.set_alarm_state(AlarmName="c", StateValue="ALARM", StateReason="testing")
    time.sleep(120)  # failures stays OK: no child change, the forced state holds
    (c,) = cw.describe_alarms(AlarmNames=["c"], AlarmTypes=["CompositeAlarm"])["CompositeAlarms"]
    assert c["StateValue"] == "ALARM"


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        ("ALARM(failures", "expected ')'"),
        ("ALARM(nope)", "do not exist: nope"),
        ("ALARM(c)", "do not exist: c"),  # itself
    ],
)
def test_bad_composites_are_refused(aws: MockAWS, rule: str, message: str) -> None:
    _, _, cw = clients()
    _metric_alarm(cw, "failures", "Failures")
    with pytest.raises(ClientError) as exc:
        cw.put_composite_alarm(AlarmName="c", AlarmRule=rule)
    assert exc.value.response["Error"]["Code"] == "ValidationError"
    assert message in exc.value.response["Error"]["Message"]


def test_a_cycle_of_composites_is_refused(aws: MockAWS) -> None:
    _, _, cw = clients()
    _metric_alarm(cw, "failures", "Failures")
    cw.put_composite_alarm(AlarmName="a", AlarmRule="ALARM(failures)")
    cw.put_composite_alarm(AlarmName="b", AlarmRule="ALARM(a)")
    with pytest.raises(ClientError) as exc:
        cw.put_composite_alarm(AlarmName="a", AlarmRule="ALARM(b)")
    assert "cycle" in exc.value.response["Error"]["Message"]
