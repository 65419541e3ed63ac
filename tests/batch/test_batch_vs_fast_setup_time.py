"""Batch and fast agree on a ModelSetupTime alarm (environment.model_setup_time per-instance).

The method of ``test_batch_vs_fast.py`` (whose helpers this reuses) on one scenario: the
built-in rolling update (``rolling-batch-rollback``) without its latency fault or alarm, in
batches of 2 of its 4 instances, provisioning uniform 200-400 s per instance, 5 requests/s, and
one rollback alarm on the p50 ModelSetupTime of the endpoint's blended series > 368 s, 1 of 1.
A minute's p50 of two samples is the lower one (ceil rank), of one sample that sample, so the
alarm reads the extended statistic of one or two exact samples; a batch trips (its bake of
300 s sees the datapoint: publish delay at most 120 s) when a ready minute's lower sample is
over 368 s. The two instances of a batch are mostly ready in different minutes, so a run
succeeds about when all four draws are under 368 s: (168/200)^4 = 0.50 (checked: between 0.2
and 0.8).

N_FAST fast-mode and N_BATCH batch replications with different base seeds, compared on the
outcome and the alarm's tripped frequency (chi-square) and, with two-sample
Kolmogorov-Smirnov tests, the seven per-replication measures of ``MEASURES``.

**False alarms.** 1 outcome + 1 tripped + 7 measures = 9 tests, each at ALPHA = 0.05 / 9 =
5.6e-3: by Bonferroni the family-wise false-alarm rate is below 5 %. The seeds are fixed, so
the test is deterministic.

**Power.** A rollback frequency near 0.5 is told apart when the estimates differ by more than
z sqrt(0.25 (1/300 + 1/1024)) = 2.77 x 0.033 = 0.091 (z the two-sided normal quantile of
ALPHA); ``test_the_comparison_has_power`` checks that batch runs with the threshold at 340 s
(rollback frequency about 1 - 0.7^4 = 0.76) are told from fast runs at 368 s.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from scipy import stats
from test_batch_vs_fast import MEASURES, _alarm_names, _batch_rows, _fast_rows, _measures
from test_batch_vs_fast import _failures as _measure_failures
from test_setup_time_timeline import setup_time_alarm

from guardsim.scenarios import check_scenario_dict, load_scenario
from guardsim.scenarios.scenario import Scenario

N_FAST, N_BATCH = 300, 1024
N_TESTS = 1 + 1 + 7
ALPHA = 0.05 / N_TESTS
FAST_SEED, BATCH_SEED = 2_000, 3_000


def _scenario(threshold_seconds: float) -> Scenario:
    data: dict[str, Any] = load_scenario("rolling-batch-rollback").to_dict()
    data["simulation"] = {"warmup_seconds": 300, "cooldown_seconds": 0, "seed": 0}
    data["environment"] = {
        "provisioning_seconds": {"kind": "uniform", "low": 200, "high": 400},
        "model_setup_time": "per-instance",
    }
    data["traffic"]["rate_per_second"] = 5
    data["models"]["green"].pop("faults")
    policy = data["deployment_config"]["RollingUpdatePolicy"]
    policy["MaximumBatchSize"] = {"Type": "INSTANCE_COUNT", "Value": 2}
    setup_time_alarm(data, {"ExtendedStatistic": "p50"}, threshold_seconds)
    result = check_scenario_dict(data)
    assert result.scenario is not None, result.errors
    return result.scenario


SCENARIO = _scenario(368.0)
ALARMS = _alarm_names(SCENARIO)


def _failures(batch: dict[str, np.ndarray], fast: dict[str, np.ndarray]) -> list[str]:
    return [
        line for m in MEASURES for line in _measure_failures("setup-time", m, batch, fast, ALPHA)
    ]


def test_batch_matches_fast_on_a_setup_time_alarm() -> None:
    fast = _measures(_fast_rows(SCENARIO, N_FAST, FAST_SEED), ALARMS)
    batch = _measures(_batch_rows(SCENARIO, N_BATCH, BATCH_SEED), ALARMS)
    share = float(np.mean(fast["outcome"] == "ROLLED_BACK"))
    assert 0.2 < share < 0.8, share  # not degenerate
    failures = _failures(batch, fast)
    assert not failures, "\n".join(failures)


def test_the_comparison_has_power() -> None:
    fast = _measures(_fast_rows(SCENARIO, N_FAST, FAST_SEED), ALARMS)
    wrong = _measures(_batch_rows(_scenario(340.0), N_BATCH, BATCH_SEED), ALARMS)
    assert _failures(wrong, fast)


def test_the_arithmetic_of_the_docstring() -> None:
    assert math.isclose(ALPHA, 0.05 / 9)
    z = float(stats.norm.isf(ALPHA / 2))
    assert round(z, 2) == 2.77
    assert round(math.sqrt(0.25 * (1 / N_FAST + 1 / N_BATCH)), 3) == 0.033
