"""The emulator's metric store visits only the periods that hold data: a GetMetricData or
GetMetricStatistics from 1970 to now (as the real-backend test asks) once walked 29 million empty
periods and took minutes."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from guardsim.emulator.metrics import MINUTE, MetricStore, series_key

KEY = series_key("AWS/SageMaker", "Invocations", {"EndpointName": "e"})


def _store(minutes: list[int]) -> MetricStore:
    store = MetricStore(publish_delay=lambda minute: 0.0)
    for m in minutes:
        store.put(KEY, m * MINUTE + 1.0, visible_at=0.0, values=[1.0])
    return store


def test_a_query_from_1970_visits_only_the_periods_with_data() -> None:
    now = 1_800_000_000.0
    store = _store([int(now // MINUTE) - 5, int(now // MINUTE) - 3])
    assert store.periods(KEY, 0.0, now, 60) == [
        now // MINUTE * MINUTE - 300,
        now // MINUTE * MINUTE - 180,
    ]
    assert store.periods(series_key("x", "y", {}), 0.0, now, 60) == []


@settings(max_examples=200, deadline=None, derandomize=True)
@given(
    st.lists(st.integers(0, 400), max_size=30),
    st.integers(0, 400 * 60),
    st.integers(1, 400 * 60),
    st.sampled_from([10, 60, 300, 3600]),
)
def test_the_periods_are_those_of_a_full_walk_that_hold_samples(
    minutes: list[int], start: int, span: int, period: int
) -> None:
    """Against the walk over every aligned period of [start, end) it replaced."""
    store = _store(minutes)
    end = start + span
    walked = []
    lo = start // period * period
    while lo < end:
        raw, sets, _ = store.samples(KEY, lo, lo + period, at=1e18)
        if raw or sets:
            walked.append(float(lo))
        lo += period
    with_data = [
        lo
        for lo in store.periods(KEY, start, end, period)
        if store.samples(KEY, lo, lo + period, at=1e18)[0]
    ]
    assert with_data == walked


def test_get_metric_statistics_refuses_more_than_1440_datapoints_as_cloudwatch_does() -> None:
    """GetMetricStatistics' API reference: at most 1,440 datapoints per call, else an error
    (GetMetricData pages instead, so a query from 1970 there is answered)."""
    from datetime import UTC, datetime, timedelta

    import pytest
    from botocore.exceptions import ClientError

    from guardsim.emulator.clients import EmulatedAWS

    aws = EmulatedAWS()
    cw = aws("cloudwatch")
    end = datetime(2026, 1, 2, tzinfo=UTC)
    args = {"Namespace": "AWS/SageMaker", "MetricName": "Invocations", "Statistics": ["Sum"]}
    day = cw.get_metric_statistics(
        **args, StartTime=end - timedelta(days=1), EndTime=end, Period=60
    )
    assert day["Datapoints"] == []  # 1,440 periods: allowed
    with pytest.raises(ClientError) as caught:
        cw.get_metric_statistics(
            **args, StartTime=end - timedelta(days=1, minutes=1), EndTime=end, Period=60
        )
    error = caught.value.response["Error"]
    assert error["Code"] == "InvalidParameterCombination"
    assert "1,441 datapoints" in error["Message"] and "limit of 1,440" in error["Message"]
