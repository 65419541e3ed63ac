"""Monte Carlo: many independent replications of one scenario, tabulated and summarised.

**Modes.** ``fast`` and ``exact`` run the per-replication engine: replication ``i`` of a run with
base seed ``S`` simulates with the stream ``numpy.random.SeedSequence(S).spawn(n)[i]``
(``simulate(..., seed=S, replication=i)`` reproduces it, with every detail). ``batch`` runs
fast mode's model in the batch engine (:mod:`guardsim.batch.engine`), blocks of
:data:`~guardsim.batch.engine.BLOCK` replications in lockstep, tens of times faster; its
replication ``i`` is drawn from its block's stream, so it agrees with fast mode in distribution,
not draw by draw. ``auto`` (the default) is ``batch``, which runs every scenario the
validator accepts. In every mode a replication's result depends only on the scenario,
``S``, ``i`` and the mode: never on ``n``, on the executor, on the number of workers or on how
replications are cut into chunks. Chunks of
consecutive replications go to the executor (:mod:`guardsim.montecarlo.executors`); the results
are put back in replication order, so :attr:`MonteCarloResult.runs` and
:meth:`MonteCarloResult.to_json` are identical whatever ran them. Monte Carlo runs use
``detail=False`` (no per-minute datapoints): the outcome and summary are the same as a full run's.

The scenario travels to workers as JSON (``Scenario.to_dict()``) and is rebuilt there with
``scenario_from_dict`` (which inverts it exactly), once per worker process and scenario.

**The results** (the runs table, its :class:`~guardsim.montecarlo.results.MonteCarloSummary`
with the Wilson interval and quantiles, the text) are pure and live in
:mod:`guardsim.montecarlo.results`, so reports and comparisons can read them without importing
this module; they are re-exported here.
"""

from __future__ import annotations

import functools
import json
import math
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from guardsim.batch.engine import BLOCK, run_batch_columns
from guardsim.errors import MonteCarloError, SimulationError
from guardsim.montecarlo.executors import Executor, SerialExecutor, make_executor
from guardsim.montecarlo.modes import MODES
from guardsim.montecarlo.progress import Progress, ProgressCallback
from guardsim.montecarlo.results import (
    FORMAT,
    QUANTILE_METRICS,
    QUANTILES,
    SUMMARY_COLUMNS,
    SUMMARY_FIELDS,
    Z95,
    MonteCarloResult,
    MonteCarloSummary,
    Quantiles,
    RunColumns,
    RunColumnsBuffer,
    RunRow,
    rollback_sentence,
    runs_frame,
    summarize,
    summary_text,
    wilson_interval,
)
from guardsim.scenarios.loading import check_scenario_dict
from guardsim.scenarios.scenario import Scenario
from guardsim.simulator.engine import simulate

#: Chunk sizing: about this many chunks per worker (load balance, progress granularity) ...
CHUNKS_PER_WORKER = 8
#: ... but never more replications than this in one chunk: a chunk is the unit of progress,
#: and an interrupted run waits for the chunks already running (at a few ms per fast-mode
#: replication, 64 is well under a second; the cost of shipping a chunk is far below 1 %) ...
MAX_CHUNK = 64
#: ... and in fast mode (milliseconds per replication) never fewer than this, so that a small
#: run is one chunk, run in this process, rather than paying a process pool's start-up.
MIN_FAST_CHUNK = 10
#: In batch mode, at most this many blocks in one chunk (16 x 512 replications: about 0.1-1 s).
MAX_BATCH_BLOCKS = 16


# --------------------------------------------------------------------------- the work unit


@dataclass(frozen=True)
class Chunk:
    """Replications ``start`` to ``stop - 1`` of one scenario (given as JSON): picklable."""

    scenario_json: str
    seed: int
    mode: str
    start: int
    stop: int


@functools.lru_cache(maxsize=64)
def _scenario_from_json(text: str) -> Scenario:
    result = check_scenario_dict(json.loads(text), source="<monte carlo scenario>")
    if result.scenario is None:  # it was valid in the parent: the round trip broke
        problems = "; ".join(str(p) for p in result.errors)
        raise SimulationError(f"scenario did not survive the trip to a worker: {problems}")
    return result.scenario


def scenario_json(scenario: Scenario) -> str:
    """The scenario as the JSON a :class:`Chunk` carries."""
    return json.dumps(scenario.to_dict(), allow_nan=False)


def run_chunk(chunk: Chunk) -> RunColumns:
    """Simulate one chunk of replications (runs in a worker; module-level, so picklable).

    Returns numpy columns (:class:`~guardsim.montecarlo.results.RunColumns`): the batch
    engine emits them directly; the per-replication engines' records are converted here, in
    the worker, so the parent never holds one Python object per replication."""
    scenario = _scenario_from_json(chunk.scenario_json)
    if chunk.mode == "batch":
        return run_batch_columns(scenario, seed=chunk.seed, start=chunk.start, stop=chunk.stop)
    rows: list[RunRow] = []
    for i in range(chunk.start, chunk.stop):
        record = simulate(scenario, seed=chunk.seed, mode=chunk.mode, replication=i, detail=False)
        s = record.summary
        rows.append((i, record.outcome, *(getattr(s, f) for f in SUMMARY_FIELDS)))
    return RunColumns.from_rows(rows)


def chunk_ranges(n: int, size: int, first: int | None = None) -> list[tuple[int, int]]:
    """``[0, n)`` cut into consecutive ranges of at most ``size``; with ``first``, the first
    range has at most ``first`` replications (the auto executor times it to decide how to run
    the rest, so a small first chunk makes a cheap probe)."""
    if first is not None and first < size and n > first:
        return [(0, first), *((a, min(a + size, n)) for a in range(first, n, size))]
    return [(a, min(a + size, n)) for a in range(0, n, size)]


def probe_size(mode: str) -> int:
    """The size of a run's first chunk: one batch block, or :data:`MIN_FAST_CHUNK` replications
    in the per-replication modes."""
    return BLOCK if mode == "batch" else MIN_FAST_CHUNK


def default_chunk_size(
    total: int, workers: int, mode: str = "fast", max_blocks: int | None = None
) -> int:
    """About :data:`CHUNKS_PER_WORKER` chunks per worker; in the per-replication modes at most
    :data:`MAX_CHUNK` each (at least :data:`MIN_FAST_CHUNK` in fast mode); in batch mode whole
    blocks (:data:`~guardsim.batch.engine.BLOCK` replications, simulated together anyway), at
    most ``max_blocks`` of them (None: :data:`MAX_BATCH_BLOCKS`; an executor may ask for more,
    :attr:`~guardsim.montecarlo.executors.Executor.max_batch_blocks`): big enough that
    shipping a chunk (to a pool or a Dask cluster) costs little next to running it."""
    if mode == "batch":
        blocks = math.ceil(total / (workers * CHUNKS_PER_WORKER * BLOCK))
        return BLOCK * max(1, min(max_blocks or MAX_BATCH_BLOCKS, blocks))
    size = min(MAX_CHUNK, math.ceil(total / (workers * CHUNKS_PER_WORKER)))
    return max(MIN_FAST_CHUNK if mode == "fast" else 1, size)


# --------------------------------------------------------------------------- running


def check_arguments(n: object, mode: object) -> None:
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise MonteCarloError(f"the number of replications must be a whole number >= 1, got {n!r}")
    if mode not in MODES:
        raise MonteCarloError(f"unknown mode {mode!r}; use {', '.join(MODES)}")


def resolve_mode(scenario: Scenario, mode: str) -> str:
    """The mode a Monte Carlo run of ``scenario`` uses: ``auto`` is ``batch`` (the batch
    engine runs every scenario the validator accepts); any other mode is itself."""
    return "batch" if mode == "auto" else mode


def aligned_chunk_size(size: int, mode: str) -> int:
    """A chunk size that cuts no batch block in two (a cut block would be simulated twice)."""
    return BLOCK * math.ceil(size / BLOCK) if mode == "batch" else size


@contextmanager
def executor_scope(executor: Executor | str | None, workers: int | None) -> Iterator[Executor]:
    """The executor to use: a given :class:`Executor` (left open), or one made here from a name
    (``auto``, ``serial``, ``local``; None means auto, or serial when ``workers == 1``) and
    closed after."""
    if isinstance(executor, Executor):
        yield executor
        return
    if executor is None:
        executor = "serial" if workers == 1 else "auto"
    with make_executor(executor, workers=workers) as made:  # terminated on Ctrl-C
        yield made


def monte_carlo(
    scenario: Scenario,
    n: int,
    *,
    seed: int | None = None,
    mode: str = "auto",
    executor: Executor | str | None = None,
    workers: int | None = None,
    progress: ProgressCallback | None = None,
    chunk_size: int | None = None,
) -> MonteCarloResult:
    """Run ``n`` independent replications of ``scenario`` and summarise them.

    ``seed`` is the base seed (default: the scenario's ``simulation.seed``); replication ``i``
    uses ``SeedSequence(seed).spawn(n)[i]`` (in batch mode, its block's stream). ``mode``: see
    the module docstring; the result's ``mode`` is the one used (``auto`` resolved).
    ``executor``: an :class:`Executor`, or ``"auto"`` / ``"serial"`` / ``"local"``; by default
    ``auto``: this process for small runs, a local pool of up to ``workers`` processes (default
    ``os.cpu_count()``) when it pays (``workers=1`` always runs serially in this process).
    ``progress`` is called after every finished chunk. The result never depends on the
    executor, the worker count or ``chunk_size``.
    """
    check_arguments(n, mode)
    mode = resolve_mode(scenario, mode)
    base_seed = scenario.simulation.seed if seed is None else seed
    text = scenario_json(scenario)
    names = tuple(a.name for a in scenario.rollback_alarms)
    buffer = RunColumnsBuffer(n)  # each block copied in as it arrives, then dropped
    with executor_scope(executor, workers) as ex:
        size = aligned_chunk_size(
            chunk_size or default_chunk_size(n, ex.workers, mode, ex.max_batch_blocks), mode
        )
        ranges = chunk_ranges(n, size, first=probe_size(mode))
        chunks = [Chunk(text, base_seed, mode, a, b) for a, b in ranges]
        if len(chunks) == 1 and not isinstance(executor, Executor):
            ex = SerialExecutor()  # one chunk: no point shipping it to a worker
        done = 0
        for index, cols in ex.imap_unordered(run_chunk, chunks):
            buffer.put(chunks[index].start, cols)
            done += len(cols)
            del cols
            if progress is not None:
                progress(Progress(done, n))
    joined = buffer.columns()
    del buffer
    runs = runs_frame(joined, base_seed, names)
    del joined
    return MonteCarloResult(scenario, base_seed, mode, runs, summarize(runs, names))


__all__ = [
    "FORMAT",
    "MODES",
    "QUANTILES",
    "QUANTILE_METRICS",
    "SUMMARY_COLUMNS",
    "SUMMARY_FIELDS",
    "Z95",
    "Chunk",
    "MonteCarloResult",
    "MonteCarloSummary",
    "Quantiles",
    "RunColumns",
    "RunColumnsBuffer",
    "RunRow",
    "aligned_chunk_size",
    "check_arguments",
    "chunk_ranges",
    "default_chunk_size",
    "executor_scope",
    "monte_carlo",
    "probe_size",
    "resolve_mode",
    "rollback_sentence",
    "run_chunk",
    "runs_frame",
    "scenario_json",
    "summarize",
    "summary_text",
    "wilson_interval",
]
