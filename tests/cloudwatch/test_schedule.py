"""Alarm evaluation schedule, sliding windows and publish visibility (aws-model.md
#evaluation-schedule, #late-data)."""

from __future__ import annotations

import numpy as np
import pytest
from numpy.typing import NDArray

from guardsim.cloudwatch.alarm import AlarmError
from guardsim.cloudwatch.schedule import (
    evaluation_interval,
    evaluation_times,
    is_visible,
    publish_time,
    range_windows,
)

# --------------------------------------------------------------------------------------------
# Evaluation interval and instants (CW1)
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("period", "n", "interval"),
    [
        pytest.param(60, 1, 60, id="standard-1min"),
        pytest.param(300, 5, 60, id="standard-5min"),
        pytest.param(3600, 24, 60, id="exactly-one-day"),
        pytest.param(86400, 1, 60, id="one-day-period-one-eval"),
        pytest.param(3600, 25, 3600, id="over-one-day-hourly"),
        pytest.param(86400, 7, 3600, id="week-hourly"),
        pytest.param(10, 3, 10, id="high-res-10"),
        pytest.param(20, 5, 10, id="high-res-20"),
        pytest.param(30, 1, 10, id="high-res-30"),
    ],
)
def test_evaluation_interval(period: int, n: int, interval: int) -> None:
    assert evaluation_interval(period, n) == interval


@pytest.mark.parametrize(("period", "n"), [(45, 1), (0, 1), (5, 2), (60, 0)])
def test_evaluation_interval_rejects_periods_cloudwatch_does_not_accept(
    period: int, n: int
) -> None:
    with pytest.raises(AlarmError):
        evaluation_interval(period, n)


def test_evaluation_times_every_minute_on_the_minute() -> None:
    assert evaluation_times(300, 3, 0, 300) == (0.0, 60.0, 120.0, 180.0, 240.0, 300.0)
    assert evaluation_times(60, 1, 30, 150) == (60.0, 120.0)
    assert evaluation_times(60, 1, 61, 119) == ()
    assert evaluation_times(60, 1, 100, 50) == ()


def test_evaluation_times_phase_shifts_the_clock() -> None:
    assert evaluation_times(60, 1, 0, 180, phase=15) == (15.0, 75.0, 135.0)
    # Phase is taken modulo the interval; negative phases wrap.
    assert evaluation_times(60, 1, 0, 180, phase=75) == (15.0, 75.0, 135.0)
    assert evaluation_times(60, 1, 0, 180, phase=-45) == (15.0, 75.0, 135.0)


def test_evaluation_times_high_resolution_and_hourly() -> None:
    assert evaluation_times(20, 3, 0, 45) == (0.0, 10.0, 20.0, 30.0, 40.0)
    assert evaluation_times(3600, 48, 1800, 4 * 3600) == (3600.0, 7200.0, 10800.0, 14400.0)


def test_evaluation_times_do_not_drift_over_long_spans() -> None:
    week = 7 * 86400
    times = evaluation_times(60, 5, 0, week)
    assert len(times) == week // 60 + 1
    assert all(t % 60 == 0 for t in times)
    assert times[-1] == week


# --------------------------------------------------------------------------------------------
# Sliding windows (CW1)
# --------------------------------------------------------------------------------------------


def test_range_windows_cw1_example() -> None:
    """Period 300, N 1: at the end of minute 5 minutes 1-5, at the end of minute 6 minutes 2-6."""
    assert range_windows(300, 300, 1) == ((0.0, 300.0),)
    assert range_windows(360, 300, 1) == ((60.0, 360.0),)


def test_range_windows_oldest_to_newest() -> None:
    assert range_windows(600, 60, 5) == (
        (300.0, 360.0),
        (360.0, 420.0),
        (420.0, 480.0),
        (480.0, 540.0),
        (540.0, 600.0),
    )
    # Windows of consecutive evaluations overlap when Period > 60.
    first, second = range_windows(300, 300, 1)[0], range_windows(360, 300, 1)[0]
    assert second[0] < first[1]


def test_range_windows_rejects_bad_arguments() -> None:
    with pytest.raises(AlarmError):
        range_windows(300, 60, 0)
    with pytest.raises(AlarmError):
        range_windows(300, 0, 3)


# --------------------------------------------------------------------------------------------
# Publish delay and visibility (aws-model.md #late-data, KC1)
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sample", "delay", "published"),
    [
        pytest.param(0.0, 0.0, 60.0, id="start-of-minute"),
        pytest.param(30.0, 45.0, 105.0, id="mid-minute"),
        pytest.param(59.999, 45.0, 105.0, id="end-of-minute"),
        pytest.param(60.0, 45.0, 165.0, id="boundary-belongs-to-next-minute"),
        pytest.param(125.0, 90.0, 270.0, id="third-minute"),
    ],
)
def test_publish_time_scalar(sample: float, delay: float, published: float) -> None:
    result = publish_time(sample, delay)
    assert result == published
    assert isinstance(result, float)
    assert is_visible(sample, published, delay) is True
    assert is_visible(sample, published - 0.001, delay) is False


def test_publish_time_other_resolution() -> None:
    assert publish_time(25.0, 5.0, resolution=10) == 35.0
    assert is_visible(25.0, 35.0, 5.0, resolution=10) is True
    with pytest.raises(AlarmError):
        publish_time(1.0, 0.0, resolution=0)


def test_publish_time_and_visibility_vectorise() -> None:
    samples = np.array([0.0, 30.0, 60.0, 119.0, 120.0])
    delays = np.array([10.0, 10.0, 100.0, 100.0, 0.0])
    published = publish_time(samples, delays)
    np.testing.assert_array_equal(published, [70.0, 70.0, 220.0, 220.0, 180.0])
    np.testing.assert_array_equal(is_visible(samples, 180.0, delays), [1, 1, 0, 0, 1])
    # A scalar delay broadcasts over sample arrays; array times broadcast over a scalar sample.
    np.testing.assert_array_equal(publish_time(samples, 30.0), [90.0, 90.0, 150.0, 150.0, 210.0])
    np.testing.assert_array_equal(is_visible(30.0, np.array([89.0, 90.0]), 30.0), [0, 1])
    np.testing.assert_array_equal(publish_time(30.0, np.array([0.0, 5.0])), [60.0, 65.0])


def _visible_sum(
    times: NDArray[np.float64],
    values: NDArray[np.float64],
    delays: NDArray[np.float64],
    window: tuple[float, float],
    t: float,
) -> tuple[int, float]:
    """(sample count, Sum) of one period window as an evaluation at t sees it."""
    lo, hi = window
    mask = (times >= lo) & (times < hi) & is_visible(times, t, delays)
    return int(mask.sum()), float(values[mask].sum())


def test_late_samples_update_an_already_published_window() -> None:
    """KC1: a 5-minute window seen at t and at t + 60 includes more samples the second time.

    One sample per second, value 1, over minutes 0-9. Every minute is published 30 s after it
    ends, except minute 4, which is 95 s late. The window [0, 300) is complete for an
    evaluation at 420 but not for one at 360.
    """
    times = np.arange(0.0, 600.0)
    values = np.ones_like(times)
    minute_delays = np.full(10, 30.0)
    minute_delays[4] = 95.0
    delays = minute_delays[(times // 60).astype(int)]

    window = (0.0, 300.0)
    assert _visible_sum(times, values, delays, window, 360.0) == (240, 240.0)
    assert _visible_sum(times, values, delays, window, 420.0) == (300, 300.0)


def test_late_samples_change_a_datapoint_between_evaluations() -> None:
    """Period 60, range 5: the minute [240, 300) is read by the evaluations at 300 ... 540; the
    first ones see only part of it when its samples arrive late (per-sample delays), so the
    same datapoint grows between evaluations."""
    times = np.arange(240.0, 300.0)
    values = np.ones_like(times)
    # The first half of the minute is published 20 s after the minute; the second half 80 s.
    delays = np.where(times < 270.0, 20.0, 80.0)
    seen = []
    for t in (300.0, 360.0, 420.0):
        windows = range_windows(t, 60, 5)
        assert (240.0, 300.0) in windows
        seen.append(_visible_sum(times, values, delays, (240.0, 300.0), t)[0])
    assert seen == [0, 30, 60]
