"""The publish delay of a record without publication times, from its alarm history."""

from __future__ import annotations

import dataclasses

import pytest
from compare_helpers import variant

from guardsim.compare.delay import (
    inferred_delay_range,
    publish_delays,
    readable,
)
from guardsim.record import RunRecord
from guardsim.scenarios.scenario import Scenario
from guardsim.simulator import simulate


def without_publication_times(record: RunRecord) -> RunRecord:
    """What the real backend records: CloudWatch does not say when a datapoint was published."""
    dp = dict(record.datapoints)
    dp["published_at"] = [None] * len(dp["published_at"])
    return dataclasses.replace(record, datapoints=dp, mode="real")


def _alarms(s: Scenario) -> list[dict[str, object]]:
    return [dict(a.to_boto()) for a in s.alarms]


@pytest.mark.parametrize("hidden", [60.0, 100.0, 150.0])
def test_the_alarm_history_brackets_a_fixed_delay(hidden: float) -> None:
    """The final-bake scenario's 5XX-rate alarm trips and clears: its state changes pin the
    delay down to the minute in which it makes a datapoint visible."""
    s = variant(
        "all-at-once-final-bake",
        {"metric_publish_delay_seconds": {"kind": "fixed", "value": hidden}},
    )
    records = [without_publication_times(simulate(s, seed=k, mode="fast")) for k in (1, 2)]
    assert publish_delays(records[0]) == []
    found = inferred_delay_range(records, _alarms(s))
    assert found is not None and found.bounded
    assert found.contains(hidden)
    assert found.high is not None and found.high - found.low == pytest.approx(60.0)
    assert found.records == 2 and found.transitions >= 4


def test_a_blind_alarm_gives_only_a_lower_bound() -> None:
    """The blog post's canary alarms (one period, a range of three) never see a datapoint that
    is published more than 2 minutes late: the history says only "at least 120 s"."""
    s = variant(
        "seed-canary-rollback", {"metric_publish_delay_seconds": {"kind": "fixed", "value": 150.0}}
    )
    record = without_publication_times(simulate(s, seed=1, mode="fast"))
    found = inferred_delay_range([record], _alarms(s))
    assert found is not None and not found.bounded
    assert found.low == pytest.approx(120.0)
    assert found.describe() == "at least 120 s"


def test_no_state_change_that_depends_on_the_delay_gives_nothing() -> None:
    s = variant("seed-canary-success")
    record = without_publication_times(simulate(s, seed=1, mode="fast"))
    assert inferred_delay_range([record], _alarms(s)) is None


def test_readable_fills_publication_times_for_the_report_functions() -> None:
    s = variant("seed-canary-success")
    record = simulate(s, seed=1, mode="fast")
    assert readable(record) is record
    stripped = without_publication_times(record)
    view = readable(stripped)
    assert view.datapoints["published_at"][0] == view.datapoints["timestamp"][0] + 60.0
    assert stripped.datapoints["published_at"][0] is None  # the record itself is untouched
