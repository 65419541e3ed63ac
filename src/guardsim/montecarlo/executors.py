"""Where Monte Carlo replications run: a tiny executor contract and three executors.

The contract (:class:`Executor`) is one method: :meth:`Executor.imap_unordered` maps a picklable
module-level function over a sequence of items (chunks of replications) and yields
``(index, result)`` pairs **as they finish**, in any order; the caller puts them back in order.
Nothing about the results may depend on the executor: every replication has its own seeded
stream, so the executor only decides *where* and *when* a chunk runs, never *what* it computes.

* :class:`SerialExecutor`: in this process, in order. No start-up cost; the reference.
* :class:`AutoExecutor` (the default): runs the first item in this process and times it, then
  decides with :func:`choose_workers` (a cost model, deterministic from its inputs) whether a
  local pool pays for its start-up on the rest, or this process finishes the run. Small runs
  never pay for a pool; large ones get one.
* :class:`LocalExecutor`: a :class:`concurrent.futures.ProcessPoolExecutor` on this machine
  (default: one worker per CPU).
* :class:`DaskExecutor`: a Dask distributed cluster, given a scheduler address or a
  ``distributed.Client``. Dask is optional (``pip install 'guardsim[dask]'``) and imported only
  here, only when used.

Each executor keeps a bounded number of chunks in flight (a few per worker), so a long sweep
does not queue all its work up front: finished configurations come back roughly in submission
order (which keeps checkpoints steady), and an interrupted run cancels little work.

**Scripts without a ``__main__`` guard.** A ``spawn`` or ``forkserver`` worker normally imports
the caller's main script before it runs anything, so a plain script that calls ``sweep()`` at
module level would run again in every worker (and die with ``BrokenProcessPool``). guardsim's
workers only run guardsim's own functions and never need the caller's script, so the local
executor starts them with the script hidden (:func:`_caller_main_hidden`): scripts and notebooks
need no ``if __name__ == "__main__":`` guard. A function defined in the caller's script is still
sent the usual way (its workers need the script to find it).

**Process start method (local executor).** ``forkserver`` on Linux, ``spawn`` elsewhere, never
plain ``fork``. Forking copies a process with all its threads' state but only the forking thread:
a lock held by another thread (a Dask client's event loop, a progress thread, a Jupyter kernel's
threads, an OpenMP pool) stays locked forever in the child, and Python 3.12+ warns
(``DeprecationWarning``) whenever a multi-threaded process forks. ``forkserver`` forks workers
from a small single-threaded server process started once, which preloads guardsim, numpy,
pandas and SimPy, so workers start in milliseconds instead of re-importing everything as
``spawn`` does. macOS and Windows use ``spawn`` (their platform default; forking is unsafe with
macOS system frameworks, and Windows cannot fork).

Workers ignore SIGINT: Ctrl-C in a terminal reaches the whole process group, and it is the
parent's job to stop. Leaving an executor's ``with`` block by ``KeyboardInterrupt`` calls
:meth:`Executor.terminate`, which for the local pool kills the workers at once (their running
chunks are abandoned, as they would be anyway: only finished configurations are checkpointed);
any other exit calls :meth:`Executor.close`, which waits for running chunks.
"""

from __future__ import annotations

import abc
import contextlib
import math
import os
import signal
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, wait
from types import TracebackType
from typing import TYPE_CHECKING, Any, Literal, TypeVar

from guardsim.errors import ExecutorError

if TYPE_CHECKING:
    import multiprocessing.context
    from concurrent.futures import ProcessPoolExecutor

T = TypeVar("T")
R = TypeVar("R")

ExecutorKind = Literal["auto", "serial", "local", "dask"]
EXECUTOR_KINDS: tuple[ExecutorKind, ...] = ("auto", "serial", "local", "dask")

#: Chunks kept in flight per worker: enough to keep each worker busy while the parent handles a
#: result, few enough that an interrupt cancels little and results arrive in submission order.
IN_FLIGHT_PER_WORKER = 3

#: Modules the forkserver imports once, so forked workers start with them loaded.
FORKSERVER_PRELOAD = ["guardsim.montecarlo._worker_preload"]

DASK_INSTALL_HINT = "pip install 'guardsim[dask]'"

#: The auto executor's cost model (:func:`choose_workers`), calibrated on a 2-core Linux machine
#: with ``benchmarks/wall.py``: seconds from creating a local pool to its first result (the
#: forkserver imports guardsim, numpy, pandas, SciPy and SimPy once, then forks the workers) ...
POOL_STARTUP_SECONDS = 1.5
#: ... seconds a fresh worker spends before its first chunk runs at full speed (rebuilding and
#: validating the scenario, first-use imports) ...
WORKER_WARMUP_SECONDS = 0.3
#: ... seconds of shipping per chunk (pickling the chunk and its result) ...
CHUNK_OVERHEAD_SECONDS = 0.005
#: ... and the pool is used only if the model says it takes at most this fraction of the time
#: the rest would take in this process (a wrong guess for the pool costs more than one for
#: serial: a pool that does not pay wastes its start-up on every CPU).
POOL_MARGIN = 0.85


class Executor(abc.ABC):
    """Maps a picklable function over items, yielding ``(index, result)`` as results finish."""

    #: In batch mode, at most this many blocks in one chunk on this executor (None: Monte
    #: Carlo's default, :data:`guardsim.montecarlo.monte_carlo.MAX_BATCH_BLOCKS`).
    max_batch_blocks: int | None = None

    @property
    @abc.abstractmethod
    def workers(self) -> int:
        """How many chunks can run at once (used to size chunks)."""

    @abc.abstractmethod
    def imap_unordered(self, fn: Callable[[T], R], items: Iterable[T]) -> Iterator[tuple[int, R]]:
        """Run ``fn`` on every item; yield ``(position of the item, fn(item))`` as each finishes.

        Closing the iterator early (an exception in the consumer, ``KeyboardInterrupt``) cancels
        the items not yet started. An exception raised by ``fn`` is re-raised here.
        """

    def close(self) -> None:  # noqa: B027 - optional hook, a no-op for executors without state
        """Release workers and connections this executor created (idempotent)."""

    def terminate(self) -> None:
        """Stop at once, abandoning running work (after an interrupt); default: :meth:`close`."""
        self.close()

    def __enter__(self) -> Executor:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc_type is not None and issubclass(exc_type, KeyboardInterrupt):
            self.terminate()  # Ctrl-C: do not make the user wait for running chunks
        else:
            self.close()


class SerialExecutor(Executor):
    """Runs every item in this process, in order: no start-up cost, no parallelism."""

    @property
    def workers(self) -> int:
        return 1

    def imap_unordered(self, fn: Callable[[T], R], items: Iterable[T]) -> Iterator[tuple[int, R]]:
        for index, item in enumerate(items):
            yield index, fn(item)

    def __repr__(self) -> str:
        return "SerialExecutor()"


def choose_workers(
    chunk_seconds: float,
    chunks: int,
    max_workers: int,
    *,
    startup_seconds: float = POOL_STARTUP_SECONDS,
    warmup_seconds: float = WORKER_WARMUP_SECONDS,
    overhead_seconds: float = CHUNK_OVERHEAD_SECONDS,
    margin: float = POOL_MARGIN,
) -> int:
    """How many processes should run ``chunks`` more chunks of ``chunk_seconds`` each: 1 (this
    process) or a pool of up to ``max_workers``. Deterministic from its inputs.

    This process would take ``chunks * chunk_seconds``; a pool of ``w = min(max_workers,
    chunks)`` workers ``startup_seconds + warmup_seconds + ceil(chunks / w) * (chunk_seconds +
    overhead_seconds)`` (``startup_seconds`` is 0 for a pool already running). The pool wins
    only if it takes at most ``margin`` of this process's time.
    """
    if max_workers <= 1 or chunks <= 1:
        return 1
    w = min(max_workers, chunks)
    here = chunks * chunk_seconds
    pool = (
        startup_seconds
        + warmup_seconds
        + math.ceil(chunks / w) * (chunk_seconds + overhead_seconds)
    )
    return w if pool <= margin * here else 1


class AutoExecutor(Executor):
    """Serial for small work, a local pool when it pays (the default executor).

    The first item runs in this process and is timed (wall clock: only the choice depends on
    it, never a result); :func:`choose_workers` then decides, from that time and the number of
    items left, whether the rest runs here or on a :class:`LocalExecutor` of up to ``workers``
    processes (default: one per CPU), started on first need and reused until :meth:`close`.
    :attr:`last_choice` is the number of processes the last run used for its rest.
    """

    def __init__(self, workers: int | None = None, **model: float) -> None:
        self._workers = _check_workers(workers)
        self._model = model
        self._local: LocalExecutor | None = None
        self.last_choice: int | None = None

    @property
    def workers(self) -> int:
        return self._workers

    @property
    def pool_running(self) -> bool:
        return self._local is not None and self._local.started

    def imap_unordered(self, fn: Callable[[T], R], items: Iterable[T]) -> Iterator[tuple[int, R]]:
        todo = list(items)
        if not todo:
            return
        began = time.perf_counter()
        first = fn(todo[0])
        seconds = time.perf_counter() - began
        yield 0, first
        rest = todo[1:]
        model = dict(self._model)
        if self.pool_running:
            model["startup_seconds"] = model["warmup_seconds"] = 0.0
        self.last_choice = choose_workers(seconds, len(rest), self._workers, **model)
        if self.last_choice <= 1:
            for index, item in enumerate(rest, start=1):
                yield index, fn(item)
            return
        if self._local is None:
            self._local = LocalExecutor(self.last_choice)
        for index, result in self._local.imap_unordered(fn, rest):
            yield index + 1, result

    def close(self) -> None:
        if self._local is not None:
            self._local.close()
            self._local = None

    def terminate(self) -> None:
        if self._local is not None:
            self._local.terminate()
            self._local = None

    def __repr__(self) -> str:
        return f"AutoExecutor(workers={self._workers})"


def default_start_method() -> str:
    """``forkserver`` on Linux, ``spawn`` elsewhere (see the module docstring for why)."""
    return "forkserver" if sys.platform.startswith("linux") else "spawn"


def _ignore_sigint() -> None:
    """Worker initializer: Ctrl-C is the parent's to handle (see the module docstring)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _check_workers(workers: int | None) -> int:
    if workers is None:
        return os.cpu_count() or 1
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise ExecutorError(f"workers must be a whole number >= 1, got {workers!r}")
    return workers


class LocalExecutor(Executor):
    """A process pool on this machine; ``workers`` defaults to ``os.cpu_count()``.

    The pool starts on first use and is reused by later calls until :meth:`close`, so one
    executor can serve several Monte Carlo runs without paying the start-up again.
    """

    def __init__(self, workers: int | None = None, *, start_method: str | None = None) -> None:
        self._workers = _check_workers(workers)
        self.start_method = start_method or default_start_method()
        self._pool: ProcessPoolExecutor | None = None

    @property
    def workers(self) -> int:
        return self._workers

    @property
    def started(self) -> bool:
        """Whether the pool's processes are running (it starts on first use)."""
        return self._pool is not None

    def _context(self) -> multiprocessing.context.BaseContext:
        import multiprocessing

        ctx = multiprocessing.get_context(self.start_method)
        if self.start_method == "forkserver":
            # Only effective before this process's forkserver starts; harmless afterwards.
            ctx.set_forkserver_preload(FORKSERVER_PRELOAD)
        return ctx

    def _get_pool(self) -> ProcessPoolExecutor:
        if self._pool is None:
            # Imported here: it loads multiprocessing, which 'guardsim --help' does not need.
            from concurrent.futures import ProcessPoolExecutor

            self._pool = ProcessPoolExecutor(
                max_workers=self._workers,
                mp_context=self._context(),
                initializer=_ignore_sigint,
            )
        return self._pool

    def imap_unordered(self, fn: Callable[[T], R], items: Iterable[T]) -> Iterator[tuple[int, R]]:
        pool = self._get_pool()
        source = enumerate(items)
        pending: dict[Future[R], int] = {}
        limit = self._workers * IN_FLIGHT_PER_WORKER

        def refill() -> None:
            while len(pending) < limit:
                nxt = next(source, None)
                if nxt is None:
                    return
                with _caller_main_hidden(fn):
                    pending[pool.submit(fn, nxt[1])] = nxt[0]

        try:
            refill()
            while pending:
                done, _ = wait(pending, return_when=FIRST_COMPLETED)
                for fut in sorted(done, key=pending.__getitem__):
                    index = pending.pop(fut)
                    result = fut.result()
                    refill()
                    yield index, result
        finally:
            for fut in pending:
                fut.cancel()

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None

    def terminate(self) -> None:
        """Kill the workers (their running chunks are abandoned) and release the pool."""
        pool, self._pool = self._pool, None
        if pool is None:
            return
        kill = getattr(pool, "terminate_workers", None)  # Python >= 3.14
        if kill is not None:
            kill()
            return
        # Before 3.14 there is no public way; the worker processes are in ``_processes``.
        for process in list((getattr(pool, "_processes", None) or {}).values()):
            process.terminate()
        pool.shutdown(wait=True, cancel_futures=True)

    def __repr__(self) -> str:
        return f"LocalExecutor(workers={self._workers}, start_method={self.start_method!r})"


def _import_distributed() -> Any:
    try:
        import distributed
    except ImportError:
        raise ExecutorError(
            "the dask executor needs the optional dependency dask[distributed]; "
            f"install it with: {DASK_INSTALL_HINT}"
        ) from None
    return distributed


class DaskExecutor(Executor):
    """Runs chunks on a Dask distributed cluster.

    ``scheduler`` is a scheduler address (``tcp://10.0.0.5:8786``; this executor then owns the
    connection and closes it) or an existing ``distributed.Client`` (left open). Workers need
    guardsim installed (same version), and any ``traffic.replay_file`` at the same path.
    """

    CONNECT_TIMEOUT_SECONDS = 10
    #: A task costs a scheduler round trip and its result's trip over TCP, and on a small
    #: machine the scheduler and the client share the workers' cores: chunks of 64 blocks
    #: (32,768 replications) measured 1.00x a local pool at 1,000,000 replications (median of
    #: five rounds on 2 cores), 16 blocks 1.05x (``benchmarks/README.md``, 2026-12-07).
    max_batch_blocks = 64

    def __init__(self, scheduler: Any) -> None:
        distributed = _import_distributed()
        self._distributed = distributed
        if isinstance(scheduler, distributed.Client):
            self._client = scheduler
            self._owns_client = False
        elif isinstance(scheduler, str) and scheduler.strip():
            try:
                self._client = distributed.Client(
                    scheduler, timeout=self.CONNECT_TIMEOUT_SECONDS, set_as_default=False
                )
            except (OSError, TimeoutError, ValueError) as exc:
                raise ExecutorError(
                    f"cannot connect to the Dask scheduler at {scheduler}: {exc}"
                ) from None
            self._owns_client = True
        else:
            raise ExecutorError(
                f"DaskExecutor needs a scheduler address or a distributed.Client, got {scheduler!r}"
            )

    @property
    def client(self) -> Any:
        return self._client

    @property
    def workers(self) -> int:
        threads = self._client.nthreads()
        return max(1, int(sum(threads.values())))

    def imap_unordered(self, fn: Callable[[T], R], items: Iterable[T]) -> Iterator[tuple[int, R]]:
        client = self._client
        source = enumerate(items)
        pending: dict[str, tuple[Any, int]] = {}
        completed = self._distributed.as_completed(loop=client.loop)
        limit = self.workers * IN_FLIGHT_PER_WORKER

        def refill() -> None:
            while len(pending) < limit:
                nxt = next(source, None)
                if nxt is None:
                    return
                fut = client.submit(fn, nxt[1], pure=False)
                pending[fut.key] = (fut, nxt[0])
                completed.add(fut)

        try:
            refill()
            while pending:
                fut = next(completed)
                _, index = pending.pop(fut.key)
                result = fut.result()
                fut.release()
                refill()
                yield index, result
        finally:
            if pending:
                client.cancel([f for f, _ in pending.values()])

    def close(self) -> None:
        if self._owns_client and self._client is not None:
            self._client.close()
            self._owns_client = False

    def __repr__(self) -> str:
        return f"DaskExecutor({self._client!r})"


def make_executor(
    kind: str | None = "local", *, workers: int | None = None, scheduler: Any = None
) -> Executor:
    """An executor by name: ``auto`` (serial or a pool of up to ``workers``, whichever the work
    needs), ``serial``, ``local`` (``workers`` processes) or ``dask`` (``scheduler``: an address
    or a Client). ``kind=None`` picks ``dask`` if a scheduler is given, else ``auto``."""
    if kind is None:
        kind = "dask" if scheduler is not None else "auto"
    if kind == "auto":
        return AutoExecutor(workers)
    if kind == "serial":
        return SerialExecutor()
    if kind == "local":
        return LocalExecutor(workers)
    if kind == "dask":
        if scheduler is None:
            raise ExecutorError("the dask executor needs a scheduler address (--scheduler)")
        return DaskExecutor(scheduler)
    raise ExecutorError(f"unknown executor {kind!r}; use one of {', '.join(EXECUTOR_KINDS)}")


@contextlib.contextmanager
def _caller_main_hidden(fn: Callable[..., Any]) -> Iterator[None]:
    """While workers start: hide the caller's main script from multiprocessing.

    ``multiprocessing`` tells a ``spawn``/``forkserver`` child to import the parent's
    ``__main__`` from its ``__file__`` (or by ``__spec__.name`` under ``python -m``), which runs a
    script's top level again in every worker. Workers that run a function defined outside the
    script never need it; with ``__file__`` and ``__spec__`` out of sight while the process is
    launched, the child skips the import. Restored at once; ``fn`` from ``__main__`` is left as is.
    """
    main = sys.modules.get("__main__")
    if main is None or getattr(fn, "__module__", None) in ("__main__", "__mp_main__"):
        yield
        return
    saved: dict[str, Any] = {
        key: main.__dict__[key] for key in ("__file__", "__spec__") if key in main.__dict__
    }
    main.__dict__.pop("__file__", None)
    if "__spec__" in saved:
        main.__dict__["__spec__"] = None
    try:
        yield
    finally:
        main.__dict__.update(saved)
