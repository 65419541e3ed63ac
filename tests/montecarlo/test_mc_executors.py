"""The executors: Dask against a LocalCluster (dask is in the test extra: never skipped), the
local pool's choices, errors, and the progress line."""

from __future__ import annotations

import io
import sys
import time
from collections.abc import Iterator

import distributed
import pytest

from guardsim.errors import ExecutorError
from guardsim.montecarlo.executors import (
    AutoExecutor,
    DaskExecutor,
    LocalExecutor,
    SerialExecutor,
    default_start_method,
    make_executor,
)
from guardsim.montecarlo.monte_carlo import monte_carlo
from guardsim.montecarlo.progress import Progress, ProgressLine
from guardsim.montecarlo.sweep import sweep
from guardsim.scenarios import Scenario

N = 16
VARY = ["alarms[1].Threshold=5000,40000", "models.green.error_rate_5xx=0,1"]


@pytest.fixture(scope="module")
def cluster() -> Iterator[distributed.LocalCluster]:
    # Threads, not processes: starts in well under a second (worker processes would each import
    # guardsim, numpy and pandas first); the tasks still go through Dask's scheduler and
    # serialisation. The dashboard binds a free port (":0"; None means 8787, which a second
    # test process or another cluster on the machine may hold).
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=False, dashboard_address=":0"
    ) as c:
        yield c


def test_dask_monte_carlo_equals_local(bad: Scenario, cluster: distributed.LocalCluster) -> None:
    serial = monte_carlo(bad, N, seed=3, executor="serial")
    with LocalExecutor(2) as local:
        local_result = monte_carlo(bad, N, seed=3, executor=local)
    with distributed.Client(cluster) as client:
        ex = DaskExecutor(client)
        assert ex.workers == 2
        dask_result = monte_carlo(bad, N, seed=3, executor=ex, chunk_size=3)
        ex.close()  # a Client given by the caller stays open
        assert client.status == "running"
    assert dask_result.runs.equals(local_result.runs)
    assert dask_result.runs.equals(serial.runs)
    assert dask_result.to_json() == local_result.to_json() == serial.to_json()


def test_dask_sweep_by_scheduler_address_equals_serial(
    bad: Scenario, cluster: distributed.LocalCluster
) -> None:
    with make_executor("dask", scheduler=cluster.scheduler_address) as ex:
        on_dask = sweep(bad, VARY, 6, executor=ex)
    assert on_dask.table.equals(sweep(bad, VARY, 6, executor="serial").table)


def test_missing_dask_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "distributed", None)  # import distributed -> ImportError
    with pytest.raises(ExecutorError, match=r"pip install 'guardsim\[dask\]'"):
        make_executor("dask", scheduler="tcp://127.0.0.1:8786")


def test_unreachable_scheduler(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(DaskExecutor, "CONNECT_TIMEOUT_SECONDS", 0.5)
    with pytest.raises(ExecutorError, match="cannot connect to the Dask scheduler at tcp://127"):
        DaskExecutor("tcp://127.0.0.1:1")
    with pytest.raises(ExecutorError, match="needs a scheduler"):
        make_executor("dask")
    with pytest.raises(ExecutorError, match=r"needs a scheduler address or a distributed\.Client"):
        DaskExecutor(42)


def test_make_executor_choices() -> None:
    assert isinstance(make_executor("serial"), SerialExecutor)
    local = make_executor("local", workers=3)
    assert isinstance(local, LocalExecutor) and local.workers == 3
    auto = make_executor(None, workers=3)  # the default: serial or a pool, whichever pays
    assert isinstance(auto, AutoExecutor) and auto.workers == 3
    with pytest.raises(ExecutorError, match="unknown executor 'ray'"):
        make_executor("ray")
    with pytest.raises(ExecutorError, match="whole number >= 1"):
        LocalExecutor(0)


def test_local_pool_never_forks_a_threaded_parent() -> None:
    expected = "forkserver" if sys.platform.startswith("linux") else "spawn"
    assert default_start_method() == expected
    assert LocalExecutor().workers >= 1


def _fail_on_three(x: int) -> int:
    if x == 3:
        raise ValueError("three")
    return x * x


def test_worker_errors_propagate_and_results_are_indexed() -> None:
    with LocalExecutor(2) as ex:
        got = dict(ex.imap_unordered(_fail_on_three, [0, 1, 2]))
        assert got == {0: 0, 1: 1, 2: 4}
        with pytest.raises(ValueError, match="three"):
            dict(ex.imap_unordered(_fail_on_three, range(10)))
        assert dict(ex.imap_unordered(abs, [-1, -2])) == {0: 1, 1: 2}  # the pool still works


def _sleep(seconds: float) -> float:
    time.sleep(seconds)
    return seconds


def test_an_interrupt_kills_the_workers_instead_of_waiting() -> None:
    """Ctrl-C leaves the with block by KeyboardInterrupt: the workers running the 60 s chunks
    are killed (if they were waited for, this test would take a minute)."""
    ex = LocalExecutor(2)
    processes = []
    with pytest.raises(KeyboardInterrupt), ex:
        for _ in ex.imap_unordered(_sleep, [0.0, 60.0, 60.0]):
            assert ex._pool is not None
            processes = list(ex._pool._processes.values())
            raise KeyboardInterrupt
    assert ex._pool is None
    assert processes and not any(p.is_alive() for p in processes)


def test_progress_line() -> None:
    now = [0.0]
    stream = io.StringIO()
    line = ProgressLine("sweep", stream, interval=1.0, clock=lambda: now[0])
    now[0] = 2.0
    line(Progress(100, 400, 1, 4))
    now[0] = 2.5
    line(Progress(150, 400, 1, 4))  # throttled
    now[0] = 8.0
    line(Progress(400, 400, 4, 4))  # the last one always shows
    line.close()
    assert stream.getvalue() == (
        "\rsweep: 1/4 configurations, 100/400 replications, 50/s, ETA 0:06"
        "\rsweep: 4/4 configurations, 400/400 replications, 50/s, in 0:08 \n"  # blanks the rest
    )
