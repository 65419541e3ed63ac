"""The judges on simulated runs: the recorder reads what the per-fleet datapoints carry, it is
the alarms' own run until they roll back, and each judge's false-detection rate on a healthy
deployment matches its guarantee."""

from __future__ import annotations

import numpy as np
import pytest

from guardsim.cli.main import main
from guardsim.errors import UnsupportedError
from guardsim.intervals import wilson_interval
from guardsim.judges.evaluate import (
    DEFAULT_ALPHA,
    _replication_looks,
    collect_looks,
    default_judges,
    evaluate_judges,
    latency_judge,
)
from guardsim.lint.evidence import healthy_scenario
from guardsim.scenarios.loading import load_scenario
from guardsim.simulator.engine import simulate, simulate_with_looks
from guardsim.simulator.looks import LookRecorder

LOW = "low-traffic-canary"


def _fleet_datapoints(record: object, metric: str, fleet: str) -> dict[float, tuple[int, float]]:
    d = record.datapoints  # type: ignore[attr-defined]
    return {
        d["timestamp"][i]: (d["sample_count"][i], d["sum"][i] if metric != "p99" else d["p99"][i])
        for i in range(len(d["metric"]))
        if d["metric"][i] == ("ModelLatency" if metric == "p99" else metric)
        and d["dimensions"][i] == fleet
    }


@pytest.mark.parametrize("replication", [0, 5])
def test_the_recorder_reads_what_the_per_fleet_datapoints_carry(replication: int) -> None:
    s = load_scenario(LOW)
    record, looks = simulate_with_looks(
        s, seed=3, mode="fast", replication=replication, detail=True
    )
    # the recorder does not change the run
    assert record.to_json() == simulate(s, seed=3, mode="fast", replication=replication).to_json()
    errors = {"green": _fleet_datapoints(record, "Invocation5XXErrors", "green")}
    errors["blue"] = _fleet_datapoints(record, "Invocation5XXErrors", "blue")
    p99 = {f: _fleet_datapoints(record, "p99", f) for f in ("green", "blue")}
    checked = 0
    for i, minute in enumerate(looks.minutes):
        for fleet, n, e, p in (
            ("green", looks.new_requests, looks.new_errors, looks.new_p99),
            ("blue", looks.old_requests, looks.old_errors, looks.old_p99),
        ):
            if minute in errors[fleet]:
                count, total = errors[fleet][minute]
                assert (n[i], e[i]) == (count, total)
                assert p[i] == p99[fleet][minute][1]
                checked += 1
            else:
                assert n[i] == 0 and p[i] is None
    assert checked > 10
    assert looks.bakes and looks.bake_minutes()


def test_the_judges_runs_are_the_alarms_runs_until_the_alarms_roll_back() -> None:
    # the low-traffic scenario's own alarm rolls back early; before it does, the judges' run
    # (no rollback alarm watched) served the same requests with the same errors
    s = load_scenario(LOW)
    from guardsim.judges.evaluate import _no_alarms

    for i in range(3):
        alarmed = simulate(s, seed=11, mode="fast", replication=i)
        assert alarmed.outcome == "ROLLED_BACK"
        _, looks = simulate_with_looks(_no_alarms(s), seed=11, mode="fast", replication=i)
        until = alarmed.summary.rollback_started_seconds
        assert until is not None
        green = _fleet_datapoints(alarmed, "Invocation5XXErrors", "green")
        blue = _fleet_datapoints(alarmed, "Invocation5XXErrors", "blue")
        compared = 0
        for j, minute in enumerate(looks.minutes):
            if minute + 60.0 > until:
                break
            assert looks.new_requests[j] == green.get(minute, (0, 0))[0]
            assert looks.new_errors[j] == green.get(minute, (0, 0))[1]
            assert looks.old_requests[j] == blue.get(minute, (0, 0))[0]
            compared += 1
        assert compared >= 5


def test_blast_radius_counts_errors_before_the_decision_and_during_the_rollback() -> None:
    rec = LookRecorder(
        minutes=[0.0, 60.0, 120.0, 180.0],
        published_at=[75.0, 135.0, 195.0, 255.0],
        new_requests=[0, 60, 60, 60],
        new_errors=[0, 3, 6, 3],
        new_model_errors=[0, 3, 6, 3],
        old_requests=[180, 120, 120, 120],
        old_errors=[2, 1, 1, 1],
        new_p99=[None, 1.0, 1.0, 1.0],
        old_p99=[1.0, 1.0, 1.0, 1.0],
        bakes=[(61.0, 240.0)],
    )
    idx, (decided, before, rollback) = _replication_looks(rec, rollback_time=100.0)
    assert idx == [1, 2, 3]  # minute 0 ends before the bake starts
    assert decided == [135.0, 195.0, 255.0]
    # decided at 135: minutes 0 and 1 whole (0 + 3), a quarter of minute 2 (6 * 15 / 60)
    assert before[0] == pytest.approx(3 + 6 * 15 / 60)
    # the rollback's 100 s at the rate of the minutes served so far: 3 errors / 60 s
    assert rollback[0] == pytest.approx(100 * 3 / 60)
    assert rollback[1] == pytest.approx(100 * 9 / 120)


def test_the_latency_judge_needs_m_breaches_in_the_last_n_looks() -> None:
    old = np.full((3, 6), 100.0)
    new = np.array(
        [
            [200, 90, 200, 90, 200, 90],  # 3 of 5 at look 4
            [200, 90, 90, 90, 200, 200],  # never 3 within 5 ... until look 5 (looks 1..5: 2)
            [np.nan, 200, 200, 200, 90, 90],  # a look without data does not breach
        ]
    )
    got = latency_judge(new, old, margin=0.5, m_of_n=(3, 5))
    assert got.tolist() == [4, -1, 3]


def test_looks_come_from_the_fast_engine_only() -> None:
    s = load_scenario(LOW)
    for mode in ("batch", "exact", "auto"):
        with pytest.raises(UnsupportedError, match=f"the {mode} engine"):
            collect_looks(s, 2, 1, mode=mode)


def test_the_judges_command_refuses_the_batch_engine_loudly(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["judges", LOW, "-n", "2", "--mode", "batch"]) == 2
    assert "batch engine does not record per-minute looks" in capsys.readouterr().err


#: Healthy bakes of the low-traffic canary (about 11 one-minute looks in the canary bake).
#: 600 replications: the 95% Wilson interval's half-width at 5% is about 1.8 points.
HEALTHY_N = 600


@pytest.fixture(scope="module")
def healthy_results() -> dict[str, tuple[int, float, float]]:
    s = healthy_scenario(load_scenario(LOW))
    looks = collect_looks(s, HEALTHY_N, seed=2026)
    out = {}
    for name, judge in default_judges(DEFAULT_ALPHA).items():
        k = int((judge(looks) >= 0).sum())
        out[name] = (k, *wilson_interval(k, HEALTHY_N))
    return out


@pytest.mark.parametrize("name", ["sprt", "e-process"])
def test_anytime_valid_judges_keep_alpha_over_the_whole_bake(
    healthy_results: dict[str, tuple[int, float, float]], name: str
) -> None:
    # guarantee: P(any detection over every look) <= alpha. The test fails if the interval of
    # the observed rate lies wholly above alpha.
    k, low, _ = healthy_results[name]
    assert low <= DEFAULT_ALPHA, f"{name}: {k} of {HEALTHY_N} healthy bakes detected"


def test_the_fixed_test_inflates_over_the_bake(
    healthy_results: dict[str, tuple[int, float, float]],
) -> None:
    # alpha per look, about 11 looks: the rate over the bake is well above alpha (the interval
    # lies wholly above it), though below the Bonferroni bound of 11 alpha
    k, low, high = healthy_results["two-proportion"]
    assert low > DEFAULT_ALPHA, f"{k} of {HEALTHY_N}"
    assert high < 11 * DEFAULT_ALPHA


def test_judges_detect_the_bad_model_and_report_like_alarms() -> None:
    s = load_scenario(LOW)
    bad = collect_looks(s, 60, seed=5)
    healthy = collect_looks(healthy_scenario(s), 60, seed=5)
    results = {g.name: g for g in evaluate_judges(bad, healthy)}
    e = results["e-process"]
    # 5% against 1% over a 10-minute canary bake at 60 requests a minute: nearly always caught
    assert e.detection.ci[0] > 0.8
    assert e.detection_time_mean is not None and e.detection_time_mean > 0
    # detecting stops the damage: less than every green error of runs that are not stopped
    assert e.blast_radius_mean < float(bad.green_errors.mean())


def test_the_judges_command_prints_alarms_and_judges_side_by_side(
    capsys: pytest.CaptureFixture[str],
) -> None:
    import json

    assert main(["judges", LOW, "-n", "4", "--seed", "3", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["format"] == "guardsim.judges/1" and data["judge_mode"] == "fast"
    names = [g["name"] for g in data["guards"]]
    assert names == ["alarms as configured", "two-proportion", "sprt", "e-process", "latency-p99"]
    for g in data["guards"]:
        assert g["detection"]["n"] == g["false_rollback"]["n"] == 4
        low, high = g["false_rollback"]["ci95"]
        assert low <= g["false_rollback"]["p"] <= high
    assert main(["judges", LOW, "-n", "4", "--seed", "3"]) == 0
    text = capsys.readouterr().out
    assert "alarms as configured" in text and "e-process" in text
