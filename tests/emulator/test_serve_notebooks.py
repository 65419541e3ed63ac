"""Acceptance (b): the boto3 code of AWS's three deployment-guardrail sample notebooks
(``tests/emulator/notebooks``) runs unchanged against ``guardsim serve`` through
``AWS_ENDPOINT_URL`` and tells the notebooks' story: the incompatible model rolls back through
the latency alarm, the correct model then succeeds with the retained configuration, every
metrics cell returns data, and the server wrote a run record per update and printed the phases.

Each notebook runs in its own process against its own ``guardsim serve`` (the three at once),
as a user's script would. The notebooks sleep (30 s between polls, 1 s between requests) and
read ``datetime.now()``; a script would wait that long in real time, so the client process here
runs them on the server's clock: ``time.sleep(s)`` waits ``s / speed`` real seconds (the speed:
below) and the clock the notebook reads is moved to the server's time after each sleep
(time-machine). The notebook code itself is not changed. 127.0.0.1 only.

The speed is chosen for the machine. On the server's clock each request also takes its real
time times the speed; the notebooks send 1,200 requests, one a second, and read "the last 60
minutes" of metrics after each update, so a request must cost well under a second of emulated
time (on AWS one takes about 0.1 s) or the canary's datapoints fall out of that window. The test
measures what a request costs here and picks the speed at which it is 0.5 s (at most 120x, at
least 20x). The notebooks' own pacing makes it take about a minute or more, hence ``slow``.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from notebooks import canary, linear, rolling
from serve_helpers import client, guardsim_env, serve_process

from guardsim.record import RunRecord

HERE = Path(__file__).parent
#: a request's cost in emulated seconds the speed is chosen for, and the speed's bounds
REQUEST_COST = 0.5
SPEEDS = (20.0, 120.0)
WORLD = HERE / "notebooks" / "world.yaml"
NOTEBOOKS = {
    "canary": canary.canary_deployment_config,
    "linear": linear.linear_deployment_config,
    "rolling": rolling.rolling_deployment_config,
}

#: The client process: the notebook's module run as it is, on the server's clock.
HARNESS = """
import importlib, json, sys, time
import time_machine
from guardsim.emulator.server import emulator_clock

url, name = sys.argv[1], sys.argv[2]
clock = emulator_clock(url)
assert clock is not None, "no guardsim serve at " + url
real_sleep = time.sleep
with time_machine.travel(clock.now(), tick=False) as traveller:
    def sleep(seconds):
        real_sleep(float(seconds) / clock.speed)
        traveller.move_to(clock.now())
    time.sleep = sleep
    try:
        seen = importlib.import_module("notebooks." + name).main()
    finally:
        time.sleep = real_sleep
print("\\nSEEN " + json.dumps(seen, default=str))
"""


def _client(url: str, name: str) -> subprocess.Popen[str]:
    env = guardsim_env(AWS_ENDPOINT_URL=url)
    env["PYTHONPATH"] = str(HERE) + ":" + env["PYTHONPATH"]
    return subprocess.Popen(
        [sys.executable, "-c", HARNESS, url, name],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=HERE,
    )


def _seen(proc: subprocess.Popen[str]) -> dict[str, Any]:
    out, err = proc.communicate(timeout=400)
    assert proc.returncode == 0, err[-3000:]
    line = next(line for line in reversed(out.splitlines()) if line.startswith("SEEN "))
    seen: dict[str, Any] = json.loads(line[len("SEEN ") :])
    return seen


@pytest.mark.slow
def test_the_three_notebooks_tell_their_story_against_guardsim_serve(tmp_path: Path) -> None:
    from contextlib import ExitStack

    speed = _speed_for_this_machine()
    with ExitStack() as stack:
        servers = {
            name: stack.enter_context(
                serve_process(
                    "--speed",
                    f"{speed:g}",
                    "--world",
                    str(WORLD),
                    "--records",
                    str(tmp_path / name),
                )
            )
            for name in NOTEBOOKS
        }
        clients = {name: _client(url, name) for name, (_, url) in servers.items()}
        seen = {name: _seen(proc) for name, proc in clients.items()}
        for served, _ in servers.values():
            assert served.stop() == 0, served.err
    for name, config_of in NOTEBOOKS.items():
        _check_story(name, seen[name], config_of, servers[name][0].out, tmp_path / name)


def _speed_for_this_machine() -> float:
    """The speed at which one request costs REQUEST_COST emulated seconds here: the median of
    30 requests to a ``guardsim serve`` in its own process, as the notebooks make theirs (in one
    process, client and server would share one interpreter lock and each request cost more)."""
    import time

    with serve_process() as (_, url):
        sm = client("sagemaker", url)
        sm.list_models()  # the connection and the first-call costs, not measured
        costs = []
        for _ in range(30):
            started = time.perf_counter()
            sm.list_models()
            costs.append(time.perf_counter() - started)
    median = sorted(costs)[len(costs) // 2]
    low, high = SPEEDS
    return float(max(low, min(high, round(REQUEST_COST / median))))


def _check_story(
    name: str, seen: dict[str, Any], config_of: Any, printed: str, records_dir: Path
) -> None:
    config1, _, config3 = seen["names"]["configs"]
    error_alarm, latency_alarm = seen["names"]["alarms"]
    expected_config = config_of(error_alarm, latency_alarm)
    # new alarms start INSUFFICIENT_DATA; at 120x a minute of emulated time (their first
    # evaluation, on data) passes in half a second: it can before the notebook's DescribeAlarms
    assert set(seen["alarms_at_creation"]) <= {"INSUFFICIENT_DATA", "OK"}, name

    # the rollback case: back on config 1 through the latency alarm
    assert seen["rollback_updating"]["EndpointStatus"] == "Updating", name
    final = seen["rollback_final"]
    assert final["EndpointStatus"] == "InService", name
    assert final["EndpointConfigName"] == config1, name
    assert latency_alarm in final["FailureReason"], name
    assert final["LastDeploymentConfig"] == expected_config, name
    assert seen["errors"] > 0, name

    # the success case: RetainDeploymentConfig=True reused the configuration
    assert seen["success_updating"]["EndpointStatus"] == "Updating", name
    done = seen["success_final"]
    assert done["EndpointStatus"] == "InService", name
    assert done["EndpointConfigName"] == config3, name
    assert done["LastDeploymentConfig"] == expected_config, name
    assert "FailureReason" not in done, name

    # every metrics cell returned data
    for step, cell in seen["cells"].items():
        for metric, points in cell.items():
            assert points, f"{name} {step}: {metric} had no datapoints"

    # guardsim serve printed both updates' phases, and wrote a record per update
    kind = "ROLLING" if name == "rolling" else name.upper()
    updates = [line for line in printed.splitlines() if "UpdateEndpoint to" in line]
    assert len(updates) == 2 and all(f"({kind})" in u for u in updates), (name, updates)
    assert any(f"{latency_alarm}" in line and "ALARM" in line for line in printed.splitlines())
    records = sorted(records_dir.glob("*.json"))
    assert [RunRecord.load(p).outcome for p in records] == ["ROLLED_BACK", "SUCCEEDED"], name
