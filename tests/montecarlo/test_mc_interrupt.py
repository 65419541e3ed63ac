"""SIGINT and SIGTERM mid-sweep: workers stop cleanly, finished rows are kept, the sweep resumes.

Real subprocesses (a signal to a process is what is tested): a sweep on a local pool of two
workers is signalled as soon as its first configuration is in the checkpoint; it must exit with
128 + the signal, say how to resume, print no "leaked semaphore" warning and leave no process
behind; running the same command again must give a table byte-identical to an uninterrupted
run's. Kept small (four configurations, a few replications): a few seconds each.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from subprocess_helpers import (
    CONFIGURATIONS,
    SRC,
    alive,
    checkpoint_lines,
    descendants,
    run_here,
    scenario_file,
    start,
    sweep_args,
    wait_until,
)

from guardsim.montecarlo.interrupt import Interrupted, exit_status, stop_on_signals


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_signal_mid_sweep_then_resume_is_byte_identical(tmp_path: Path, signum: int) -> None:
    scenario = scenario_file(tmp_path)
    reference = tmp_path / "reference.csv"
    status, _, err = run_here(sweep_args(scenario, reference, "--workers", "1", "--no-checkpoint"))
    assert status == 0, err

    out = tmp_path / "out.csv"
    checkpoint = tmp_path / "out.checkpoint"
    args = sweep_args(scenario, out, "--workers", "2")
    proc = start(args, tmp_path)
    wait_until(lambda: len(checkpoint_lines(checkpoint)) >= 1, proc, "the first checkpoint row")
    family = descendants(proc.pid)
    proc.send_signal(signum)
    _, stderr = proc.communicate(timeout=120)

    assert proc.returncode == 128 + signum, stderr
    assert "run the same command again to resume" in stderr
    assert "leaked semaphore" not in stderr
    assert "Traceback" not in stderr
    assert not out.exists()  # the table is written only when the sweep is complete
    kept = checkpoint_lines(checkpoint)
    assert 1 <= len(kept) <= CONFIGURATIONS
    deadline = time.monotonic() + 30
    while any(alive(p) for p in family) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not [p for p in family if alive(p)], "worker or helper processes left behind"

    status, text, err = run_here([*args[:-4], "--workers", "1", *args[-4:]])
    assert status == 0, err
    assert f"{len(kept)} configuration(s) taken from the checkpoint" in text
    assert out.read_bytes() == reference.read_bytes()


def test_signals_raise_interrupted_and_restore_handlers() -> None:
    before = signal.getsignal(signal.SIGTERM)
    with pytest.raises(Interrupted) as caught, stop_on_signals():
        signal.raise_signal(signal.SIGTERM)
    assert caught.value.signum == signal.SIGTERM
    assert exit_status(caught.value) == 143
    assert exit_status(KeyboardInterrupt()) == 130
    assert signal.getsignal(signal.SIGTERM) is before


def test_a_second_signal_exits_at_once() -> None:
    """The first SIGINT starts the clean-up; a second one during it ends the process now."""
    script = (
        "import signal, time\n"
        "from guardsim.montecarlo.interrupt import Interrupted, stop_on_signals\n"
        "with stop_on_signals():\n"
        "    try:\n"
        "        signal.raise_signal(signal.SIGINT)\n"
        "    except Interrupted:\n"
        "        signal.raise_signal(signal.SIGINT)  # during the clean-up\n"
        "        time.sleep(60)\n"
        "print('not reached')\n"
    )
    env = {**os.environ, "PYTHONPATH": SRC}
    done = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=50
    )
    assert done.returncode == 130
    assert "stopped at once (second signal)" in done.stderr
    assert "not reached" not in done.stdout


def test_an_interruption_survives_being_made_again_from_its_args() -> None:
    import copy
    import pickle
    import signal

    from guardsim.montecarlo.interrupt import Interrupted

    for exc in (Interrupted(signal.SIGTERM), Interrupted(signal.SIGINT)):
        for again in (pickle.loads(pickle.dumps(exc)), copy.copy(exc), type(exc)(*exc.args)):
            assert again.signum == exc.signum and again.exit_status == 128 + exc.signum
