"""Fault injection at every distinct AWS call of a run: nothing is ever left behind.

A fault-free run of a short canary on the fake AWS gives the call sequence; then the run is
repeated once per distinct call, with that call failing (AccessDenied, not retried) or, for
the calls made on the main thread, with a Ctrl-C during it. Every time, teardown must leave
zero resources in the fake. Calls that repeat (DescribeEndpoint polls, InvokeEndpoint traffic,
ListTags in teardown) are tried at their first, middle and last occurrence; every other call at
each of its occurrences.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
from real_helpers import emulated, tiny

from guardsim.emulator.faults import InjectedFaults
from guardsim.real_backend.run import run_real


def call_points(operations: list[str]) -> list[tuple[str, int]]:
    counts = Counter(operations)
    points: list[tuple[str, int]] = []
    for op in dict.fromkeys(operations):  # in order of first appearance
        n = counts[op]
        ks = range(1, n + 1) if n <= 3 else sorted({1, (n + 1) // 2, n})
        points += [(op, k) for k in ks]
    return points


@pytest.fixture(scope="module")
def sequence(tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    payload = tmp_path_factory.mktemp("sweep") / "payload.csv"
    payload.write_text("1,2,3\n", encoding="utf-8")
    scenario = tiny(payload)
    fake = emulated(scenario)
    result = run_real(scenario, clients=fake, clock=fake.clock, run_id="sweep000")
    assert result.record is not None and result.error is None
    assert fake.leftovers() == []
    return fake.operations()


def test_the_sequence_covers_every_stage_of_a_run(sequence: list[str]) -> None:
    for op in (
        "CreateModel",
        "CreateEndpointConfig",
        "PutMetricAlarm",
        "CreateEndpoint",
        "DescribeEndpoint",
        "InvokeEndpoint",
        "ListTags",
        "UpdateEndpoint",
        "GetMetricData",
        "DescribeAlarmHistory",
        "DeleteEndpoint",
        "DescribeAlarms",
        "ListTagsForResource",
        "DeleteAlarms",
        "DescribeEndpointConfig",
        "DeleteEndpointConfig",
        "DescribeModel",
        "DeleteModel",
    ):
        assert op in sequence, op


def test_a_failure_at_any_call_leaves_nothing_behind(sequence: list[str], payload: Path) -> None:
    scenario = tiny(payload)
    checked = []
    for op, k in call_points(sequence):
        fake = emulated(scenario, faults=InjectedFaults(fail_call=(op, k)))
        result = run_real(scenario, clients=fake, clock=fake.clock, run_id="sweep001")
        assert fake.leftovers() == [], f"{op} #{k}: left {fake.leftovers()}"
        assert result.teardown.clean, f"{op} #{k}: {result.teardown.text()}"
        failed = [
            c
            for c in fake.calls
            if c.result == "AccessDeniedException" or c.result == "AccessDenied"
        ]
        assert [(c.operation) for c in failed] == [op], f"{op} #{k} was not injected"
        if result.error is not None:  # a failure that stops the run names the call and code
            assert op in str(result.error) and "AccessDenied" in str(result.error)
        checked.append((op, k))
    assert len(checked) >= len(set(sequence))


def test_ctrl_c_at_any_call_leaves_nothing_behind(sequence: list[str], payload: Path) -> None:
    scenario = tiny(payload)
    # Up to the start of teardown (during teardown a real Ctrl-C is held back, so the fake's
    # would not be one); InvokeEndpoint runs on the worker pool, where Python never delivers it.
    before_teardown = sequence[: sequence.index("DescribeAlarmHistory") + 1]
    for op in dict.fromkeys(o for o in before_teardown if o != "InvokeEndpoint"):
        fake = emulated(scenario, faults=InjectedFaults(interrupt_call=(op, 1)))
        result = run_real(scenario, clients=fake, clock=fake.clock, run_id="sweep002")
        assert result.interrupted, op
        assert result.record is None
        assert fake.leftovers() == [], f"Ctrl-C in {op}: left {fake.leftovers()}"
