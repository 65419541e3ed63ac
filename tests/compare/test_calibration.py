"""Calibration recovers the hidden settings from at most 5 real runs, and it helps.

Tolerances, derived from the number of observations (3 standard errors each):

* provisioning median, from n = 5 records x 3 instances = 15 per-instance times of a lognormal
  with sigma = ln(840/420) / 2.326 = 0.298: SE(log median) = sigma / sqrt(n) = 0.077, so within
  exp(3 x 0.077) - 1 = 26 %; p99: SE(log p99) = sigma sqrt(1/n + 2.326^2 / (2 (n - 1))) = 0.152,
  so within a factor exp(3 x 0.152) = 1.58;
* fixed hidden settings (metric delay 150 s, rollback 40 s, alarm reaction 20 s): the
  observations do not vary, so they are recovered exactly (to float rounding);
* green ModelLatency median and p99: within 3 of the fit's own bootstrap standard errors (which
  checks that they are honest), and those must be small: the median of all N green requests
  has SE sqrt(pi / 2) sigma / sqrt(N) on the log scale (sigma = ln 3 / 2.326, about 1.1 % here);
  the per-minute fit, which also leans on the noisier p99s, may be up to 3 times that;
* green 5XX rate: within 3 binomial standard errors of the hidden 2 %.
"""

from __future__ import annotations

import math

import pytest
import yaml

from guardsim.backend import SimulatedBackend
from guardsim.compare import apply, calibrate
from guardsim.compare.agreement import agreement_improvement
from guardsim.compare.calibration import calibrated_yaml
from guardsim.record import RunRecord
from guardsim.scenarios.distributions import Z99
from guardsim.scenarios.loading import check_scenario_dict
from guardsim.scenarios.scenario import Scenario

SIGMA_PROVISIONING = math.log(840 / 420) / Z99
SIGMA_GREEN = math.log(15 / 5) / Z99


def test_recovers_the_hidden_environment_and_model(
    success_visible: Scenario, success_reals: list[RunRecord]
) -> None:
    assert len(success_reals) <= 5
    cal = calibrate(success_reals, success_visible)

    prov = cal.setting("environment.provisioning_seconds")
    n = prov.n
    assert n == 15
    assert prov.after["kind"] == "lognormal"
    se_med = SIGMA_PROVISIONING / math.sqrt(n)
    se_p99 = SIGMA_PROVISIONING * math.sqrt(1 / n + Z99**2 / (2 * (n - 1)))
    assert abs(math.log(prov.parameters["median"].value / 420.0)) < 3 * se_med
    assert abs(math.log(prov.parameters["p99"].value / 840.0)) < 3 * se_p99
    assert prov.parameters["median"].low < prov.parameters["median"].value
    assert prov.before == {"kind": "lognormal", "median": 240.0, "p99": 480.0}

    delay = cal.setting("environment.metric_publish_delay_seconds")
    assert delay.after == {"kind": "fixed", "value": 150.0}
    assert delay.n > 100  # one per published minute

    latency = cal.setting("models.green.latency")
    green_requests = cal.setting("models.green.error_rate_5xx").n
    efficient = math.sqrt(math.pi / 2) * SIGMA_GREEN / math.sqrt(green_requests)
    for name, truth in (("median", 5.0), ("p99", 15.0)):
        est = latency.parameters[name]
        assert est.se is not None and abs(est.value - truth) < 3 * est.se
    median = latency.parameters["median"]
    assert median.se is not None and median.se / median.value < 3 * efficient
    assert latency.applied

    errors = cal.setting("models.green.error_rate_5xx").parameters["rate"]
    assert abs(errors.value - 0.02) < 3 * math.sqrt(0.02 * 0.98 / errors.n)

    # what the hidden scenario did not change stays where it was
    blue = cal.setting("models.blue.latency").parameters["median"]
    assert blue.value == pytest.approx(3.0, rel=0.03)
    assert cal.setting("environment.activation_seconds").after == {"kind": "fixed", "value": 10.0}
    assert cal.setting("environment.termination_seconds").after == {"kind": "fixed", "value": 60.0}
    # no rollback happened: nothing to learn about rollbacks, and it says so
    assert not cal.has("environment.rollback_seconds")
    assert any("rollback" in note for note in cal.notes)


def test_recovers_rollback_settings(
    rollback_visible: Scenario, rollback_reals: list[RunRecord]
) -> None:
    assert {r.outcome for r in rollback_reals} == {"ROLLED_BACK"}
    cal = calibrate(rollback_reals, rollback_visible)
    assert cal.setting("environment.rollback_seconds").after == {"kind": "fixed", "value": 40.0}
    reaction = cal.setting("environment.alarm_reaction_seconds")
    assert reaction.after == pytest.approx(20.0)
    assert reaction.n == 5
    assert "poll explains" in reaction.note
    assert cal.setting("environment.metric_publish_delay_seconds").after["value"] == 150.0


def test_apply_writes_a_valid_scenario(
    success_visible: Scenario, success_reals: list[RunRecord]
) -> None:
    cal = calibrate(success_reals, success_visible)
    new = apply(cal, success_visible)
    assert new.environment.metric_publish_delay_seconds.kind == "fixed"
    assert new.models.green.error_rate_5xx == cal.setting("models.green.error_rate_5xx").after
    assert new.deployment_config == success_visible.deployment_config
    text = calibrated_yaml(cal, new)
    assert text.startswith("# Calibrated by guardsim calibrate from 5 run record(s).")
    again = check_scenario_dict(yaml.safe_load(text))
    assert again.scenario == new


def test_faulty_models_are_fitted_but_not_applied() -> None:
    from compare_helpers import real_runs, variant

    visible = variant("rolling-batch-rollback")
    reals = real_runs(visible, visible, (100,))
    cal = calibrate(reals, visible)
    green = cal.setting("models.green.latency")
    assert not green.applied and "faults" in green.note
    assert apply(cal, visible).models.green == visible.models.green


def test_the_calibrated_prediction_agrees_better(
    success_visible: Scenario, success_reals: list[RunRecord]
) -> None:
    """Mean absolute timing error against the same 5 real runs, 5 predictions each, the same
    replications before and after: calibration must cut it by at least 30 % (the error left is
    the chance variation of both runs, which calibration cannot remove)."""
    new = apply(calibrate(success_reals, success_visible), success_visible)
    backend = SimulatedBackend(mode="fast", detail=False)
    imp = agreement_improvement(
        success_reals,
        backend.replications(success_visible, 5),
        backend.replications(new, 5),
    )
    b, a = imp.before, imp.after
    assert a.deployment_mae < 0.7 * b.deployment_mae
    assert a.duration_mae < 0.7 * b.duration_mae
    assert a.phase("Creating").duration_mae is not None
    assert a.phase("Creating").duration_mae < 0.7 * (b.phase("Creating").duration_mae or 0.0)
    assert a.outcome_matches == 5


def test_refuses_records_of_another_deployment(success_reals: list[RunRecord]) -> None:
    from compare_helpers import variant

    from guardsim.compare import CompareError

    with pytest.raises(CompareError, match="record 1"):
        calibrate(success_reals, variant("seed-linear-success"))
    with pytest.raises(CompareError):
        calibrate([], variant("seed-linear-success"))
