"""A real run's record (CloudWatch exposes neither publish times nor evaluations) still draws."""

import dataclasses

from guardsim.record import RunRecord
from guardsim.reports import run_figure
from guardsim.scenarios import load_scenario
from guardsim.simulator import simulate


def _as_real(record: RunRecord) -> RunRecord:
    datapoints = dict(record.datapoints)
    datapoints["published_at"] = [None] * len(datapoints["published_at"])
    return dataclasses.replace(record, mode="real", datapoints=datapoints, alarm_evaluations=())


def test_a_record_without_publish_times_draws_every_panel() -> None:
    simulated = simulate(load_scenario("seed-canary-rollback"))
    figure = run_figure(_as_real(simulated))
    names = {trace.name for trace in figure.data}
    assert "when published" not in names  # nothing to say when a datapoint became visible
    kinds = {trace.meta["kind"] for trace in figure.data if trace.meta}
    assert "alarm-datapoints" in kinds
    reference = {trace.meta["kind"] for trace in run_figure(simulated).data if trace.meta}
    # only what a real record cannot have is missing: publish times and evaluations
    assert reference - kinds == {"alarm-published", "alarm-evaluations"}
