"""A real run of an inference component update has no blast radius: CloudWatch publishes the
component's metrics under ``InferenceComponentName`` only, blending its old and new copies. The
record says so (null, with the reason) and lists the copy counts it polled; the text report,
``guardsim compare`` and ``guardsim calibrate`` say "not observable" instead of comparing a
made-up 0 with a prediction. Run against the fake AWS (guardsim's emulator, real botocore)."""

from __future__ import annotations

import json
import re

import pytest
from component_helpers import component_scenario
from real_helpers import emulated

from guardsim.compare.calibration import calibrate
from guardsim.compare.distribution import PredictedRuns, compare_distribution
from guardsim.compare.text import distribution_text
from guardsim.real_backend.run import run_real
from guardsim.record import BLAST_RADIUS_NOT_OBSERVABLE, RunRecord
from guardsim.reports.text import summary_text
from guardsim.scenarios import Scenario
from guardsim.simulator import simulate


def _real_run(scenario: Scenario) -> RunRecord:
    """The record of a real run on the fake, which leaves nothing behind."""
    fake = emulated(scenario)
    result = run_real(scenario, clients=fake, clock=fake.clock, run_id="br0001")
    assert result.error is None and result.record is not None
    assert fake.leftovers() == []
    return result.record


@pytest.fixture(scope="module")
def rolled_back(tmp_path_factory: pytest.TempPathFactory) -> tuple[Scenario, RunRecord]:
    payload = tmp_path_factory.mktemp("payload") / "payload.csv"
    payload.write_text("1,2,3\n", encoding="utf-8")
    scenario = component_scenario(payload, green_5xx=1.0)
    record = _real_run(scenario)
    assert record.outcome == "ROLLED_BACK"
    return scenario, record


def test_the_record_has_no_blast_radius_and_says_why(
    rolled_back: tuple[Scenario, RunRecord],
) -> None:
    record = rolled_back[1]
    # the new copies served errors (every request the new model got was a 5XX), yet the
    # record does not claim 0: it has no figure
    assert record.summary.user_errors > 0
    assert record.summary.green_requests is None and record.summary.green_errors is None
    assert f"green_requests and green_errors are null: {BLAST_RADIUS_NOT_OBSERVABLE}" in (
        record.notes
    )
    data = json.loads(record.to_json())
    assert data["summary"]["green_errors"] is None
    assert RunRecord.from_data(data).to_json() == record.to_json()
    assert re.search(r"blast radius +not observable for component updates", summary_text(record))
    # nor a peak green share: the API shows no batch step, and a made-up 0.0 would say the new
    # copies never served, although their errors tripped the alarm
    assert record.summary.peak_green_traffic_fraction is None
    assert data["summary"]["peak_green_traffic_fraction"] is None
    assert re.search(
        r"peak green traffic +not observable for component updates", summary_text(record)
    )


def test_the_record_lists_the_copy_counts_it_polled(
    rolled_back: tuple[Scenario, RunRecord],
) -> None:
    scenario, record = rolled_back
    assert scenario.inference_component is not None
    copies = scenario.inference_component.copies
    (note,) = [n for n in record.notes if n.startswith("copies seen")]
    # each change the run saw: the update starting on the old model, and the rollback's end
    # (InService on the old model again), with CurrentCopyCount/DesiredCopyCount
    old = "guardsim-br0001-chat-v1"
    assert f"0 s: Updating, {old}, {copies}/{copies}" in note
    end = record.summary.deployment_seconds
    assert f"InService, {old}, {copies}/{copies}" in note
    assert "not split into old and new model" in note
    last_poll = float(note.split("; ")[-1].split(" s:")[0])
    assert end <= last_poll <= end + scenario.real.poll_interval_seconds  # type: ignore[union-attr]


def test_compare_leaves_the_blast_radius_out_and_says_so(
    rolled_back: tuple[Scenario, RunRecord],
) -> None:
    scenario, record = rolled_back
    predicted = [simulate(scenario, seed=s) for s in range(5)]
    assert all(p.summary.green_errors is not None and p.summary.green_errors > 0 for p in predicted)
    d = compare_distribution(PredictedRuns.from_records(predicted), record)
    assert [m.measure for m in d.measures] == [
        "outcome",
        "detected_at_seconds",
        "deployment_seconds",
    ]
    assert d.not_observable == (
        (
            "green_errors",
            "blast radius (errors served by the new fleet)",
            BLAST_RADIUS_NOT_OBSERVABLE,
        ),
    )
    assert d.to_data()["not_observable"] == {"green_errors": BLAST_RADIUS_NOT_OBSERVABLE}
    text = distribution_text(d)
    assert "not observable for component updates" in text and "left out of the verdict" in text


def test_calibrate_fits_only_the_old_model_from_the_minutes_before_the_update(
    rolled_back: tuple[Scenario, RunRecord],
) -> None:
    scenario, record = rolled_back
    cal = calibrate([record], scenario)
    paths = {s.path for s in cal.settings}
    assert not any(p.startswith("models.green") for p in paths)
    assert any("models.green unchanged" in n and "not observable" in n for n in cal.notes)
    # the old model served no errors; the blended minutes during the update had the new
    # model's 5XX, so a fit from them would not be 0
    rate = next(s for s in cal.settings if s.path == "models.blue.error_rate_5xx")
    assert rate.after == 0.0 and rate.n > 0
