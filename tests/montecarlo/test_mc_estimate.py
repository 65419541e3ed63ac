"""Resource estimates before work: sizes, the estimates' arithmetic, and refusals at the CLI."""

from __future__ import annotations

import io
import json
import tracemalloc
from pathlib import Path

import pytest
from mc_helpers import quick

from guardsim.cli.main import main
from guardsim.montecarlo.estimate import (
    BYTES_PER_REPLICATION,
    ResourceError,
    available_memory,
    check,
    estimate_mc,
    estimate_run,
    estimate_sweep,
    format_size,
    parse_size,
    simulated_seconds,
)
from guardsim.scenarios import Scenario, check_scenario_dict, load_scenario
from guardsim.simulator import simulate


def with_rate(rate: float, name: str = "seed-canary-success") -> Scenario:
    data = load_scenario(name).to_dict()
    data["traffic"]["rate_per_second"] = rate
    result = check_scenario_dict(data)
    assert result.scenario is not None, result.errors
    return result.scenario


def run_cli(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    return main(list(args), out, err), out.getvalue(), err.getvalue()


@pytest.mark.parametrize(
    ("text", "size"),
    [("2e9", 2_000_000_000), ("8G", 8 * 10**9), ("512MiB", 512 * 2**20), ("1.5 TB", 1.5e12),
     ("100", 100), ("4kib", 4096)],
)  # fmt: skip
def test_parse_size(text: str, size: float) -> None:
    assert parse_size(text) == int(size)


@pytest.mark.parametrize("text", ["", "abc", "8X", "-1G", "0", "nan", "1e400G"])
def test_parse_size_refuses(text: str) -> None:
    with pytest.raises(ValueError, match="size"):
        parse_size(text)


def test_format_size() -> None:
    assert format_size(512) == "512 B"
    assert format_size(3.2e6) == "3.2 MB"
    assert format_size(437e12) == "437 TB"


def test_available_memory_is_read() -> None:
    memory = available_memory()
    assert memory is not None and memory > 2**20


def test_mc_memory_is_linear_in_n() -> None:
    s = load_scenario("seed-canary-success")
    small, big = estimate_mc(s, 1000, "batch"), estimate_mc(s, 1_000_000, "batch")
    assert big.memory == pytest.approx(1000 * small.memory)
    assert big.memory == 1_000_000 * BYTES_PER_REPLICATION
    assert big.seconds == pytest.approx(1000 * small.seconds)
    assert estimate_mc(s, 1000, "fast").seconds > small.seconds  # fast is slower than batch


def test_simulated_span_is_warmup_deployment_cooldown() -> None:
    s = load_scenario("seed-canary-success")
    span = simulated_seconds(s)
    record = simulate(s, mode="fast", detail=False)
    expected = s.simulation.warmup_seconds + record.summary.deployment_seconds
    expected += s.simulation.cooldown_seconds
    # the estimate uses the expected provisioning and activation times, not this run's draws
    assert span == pytest.approx(expected, rel=0.25)


def test_exact_estimate_bounds_the_measured_peak() -> None:
    """An exact run at 2000 requests/s: the estimate is within a factor 4 of the peak traced
    memory (numpy allocations included), either way; at 10x the rate it is 10x."""
    s = with_rate(2000.0)
    estimate = estimate_run(s, "exact")
    tracemalloc.start()
    simulate(s, mode="exact", detail=False)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert peak / 4 <= estimate.memory <= 4 * peak
    assert estimate_run(with_rate(20000.0), "exact").memory == pytest.approx(10 * estimate.memory)


def test_sweep_estimate_counts_configurations_in_flight() -> None:
    s = load_scenario("seed-canary-success")
    one = estimate_sweep([(s, "batch")], 1000, workers=2)
    many = estimate_sweep([(s, "batch")] * 50, 1000, workers=2)
    # rows of at most workers + 1 configurations are held at once
    assert many.memory < 4 * one.memory + 50 * 8_000
    assert many.seconds == pytest.approx(50 * one.seconds)


def test_check_against_a_limit() -> None:
    e = estimate_mc(load_scenario("seed-canary-success"), 10_000, "batch")
    check(e, max_memory=10**9)
    with pytest.raises(ResourceError, match=r"--max-memory\)"):
        check(e, max_memory=1000)


# 10**30 is past what -n accepts at all (2**63 - 1): the argument check refuses it first
# (tests/inputs); 10**18 is within that range, so the estimate is what refuses it
@pytest.mark.parametrize("n", [10**12, 10**18])
def test_mc_refuses_what_cannot_fit_before_simulating(tmp_path: Path, n: int) -> None:
    out = tmp_path / "r.json"
    status, text, err = run_cli("mc", "seed-canary-success", "-n", str(n), "--json", str(out))
    assert status == 2
    assert err.startswith("guardsim: refused before starting: Monte Carlo of seed-canary-success")
    assert f"{n:,} replications" in err and "of memory" in err and "--max-memory" in err
    assert len(err.strip().splitlines()) == 1
    assert text == "" and not out.exists()


def test_mc_max_memory_lowers_the_limit() -> None:
    status, _, err = run_cli("mc", "seed-canary-success", "-n", "100", "--max-memory", "1k")
    assert status == 2
    assert "over the limit of 1 kB (--max-memory)" in err


def test_run_exact_at_a_trillion_requests_per_second_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "big.json"
    path.write_text(json.dumps(with_rate(1e12).to_dict()))
    status, text, err = run_cli("run", str(path), "--mode", "exact")
    assert status == 2
    assert f"refused before starting: run of seed-canary-success ({path}, exact mode)" in err
    assert "PB of memory" in err
    assert text == ""


def test_long_sweep_states_its_estimate_up_front(tmp_path: Path) -> None:
    scenario = tmp_path / "s.json"
    scenario.write_text(json.dumps(quick("seed-canary-success").to_dict()))
    # refused: the estimate names the configurations and replications
    status, _, err = run_cli(
        "sweep", str(scenario), "--vary", "alarms[0].Threshold=0.01,0.02", "-n", "10000000",
        "--max-memory", "1G", "--no-checkpoint",
    )  # fmt: skip
    assert status == 2
    assert "sweep: 2 configuration(s) x 10,000,000 replications" in err
