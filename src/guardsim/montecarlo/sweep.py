"""Sweeps: Monte Carlo over a full factorial grid of scenario settings, one tidy row each.

**What varies.** A :class:`Vary` is ``PATH=VALUES`` (the CLI's ``--vary``). PATH addresses the
scenario as plain data (``Scenario.to_dict()``, i.e. the scenario file): dotted keys and list
indices, e.g. ``deployment_config.BlueGreenUpdatePolicy.TrafficRoutingConfiguration.CanarySize.
Value``, ``alarms[0].Threshold``, ``models.green.error_rate_5xx``. A list of named items can be
indexed by name instead: ``alarms[my-5xx-alarm].DatapointsToAlarm`` (matched on ``AlarmName``,
``VariantName`` or ``Name``). Every key on the way must exist (a mistake names the path and the
nearest valid keys); the last key may be one the scenario leaves out (``DatapointsToAlarm``),
and validation says whether the field exists at all.

VALUES is a comma list, each item a number (``1`` is an int, ``0.05`` a float), ``true`` /
``false``, ``null``, a string, or a range ``start:stop:step`` (inclusive of ``stop`` when the
steps land on it: ``60:300:60`` is 60, 120, 180, 240, 300); or a JSON list for structured values
(``environment.provisioning_seconds=[{"kind": "fixed", "value": 60}, ...]``).

**The grid.** The full factorial product of all ``Vary`` s, the first one varying slowest. Every
configuration is built from the base scenario's data and validated with ``scenario_from_dict``
*before anything runs*. By default an invalid configuration refuses the whole sweep, listing
every invalid configuration with its swept values and each problem's field path: a sweep that
silently drops points of its grid is easy to misread. ``skip_invalid=True`` (``--skip-invalid``)
skips them instead and reports them in :attr:`SweepPlan.invalid`.

**Running.** Every configuration gets ``n`` replications with the same base seed (common random
numbers: the configurations are compared on the same random streams, which makes differences
between them much less noisy than independent seeds would). The replications of all
configurations are cut into chunks and sent to one executor together, so workers stay busy
across configuration boundaries; a configuration's row is computed when its last chunk is back
(with :func:`~guardsim.montecarlo.monte_carlo.summarize`: the same numbers ``monte_carlo`` gives)
and appended to the checkpoint (:mod:`guardsim.montecarlo.checkpoint`) at once.

**The table.** One row per configuration, in grid order: one column per swept PATH (as written),
then :data:`~guardsim.montecarlo.monte_carlo.SUMMARY_COLUMNS`, one ``p_tripped[<alarm>]`` column
per rollback alarm, and ``config_key`` (the checkpoint key). Every row goes through JSON before
it enters the table, so a resumed sweep's table equals an uninterrupted one's exactly.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from guardsim.errors import Problem, SweepError
from guardsim.montecarlo.checkpoint import Checkpoint, configuration_key
from guardsim.montecarlo.executors import Executor, SerialExecutor
from guardsim.montecarlo.grid import (
    MAX_LISTED as MAX_LISTED,
)
from guardsim.montecarlo.grid import (
    MAX_RANGE_VALUES as MAX_RANGE_VALUES,
)
from guardsim.montecarlo.grid import (
    NAME_KEYS as NAME_KEYS,
)

# the setting grid, re-exported: sweeps are where users meet it
from guardsim.montecarlo.grid import (
    Configuration as Configuration,
)
from guardsim.montecarlo.grid import (
    InvalidConfiguration as InvalidConfiguration,
)
from guardsim.montecarlo.grid import (
    Named as Named,
)
from guardsim.montecarlo.grid import (
    Step as Step,
)
from guardsim.montecarlo.grid import (
    SweepPlan as SweepPlan,
)
from guardsim.montecarlo.grid import (
    Vary as Vary,
)
from guardsim.montecarlo.grid import (
    apply as apply,
)
from guardsim.montecarlo.grid import (
    as_varies as as_varies,
)
from guardsim.montecarlo.grid import (
    locate as locate,
)
from guardsim.montecarlo.grid import (
    parse_path as parse_path,
)
from guardsim.montecarlo.grid import (
    parse_scalar as parse_scalar,
)
from guardsim.montecarlo.grid import (
    parse_values as parse_values,
)
from guardsim.montecarlo.locking import hold
from guardsim.montecarlo.monte_carlo import (
    SUMMARY_COLUMNS,
    Chunk,
    RunColumns,
    aligned_chunk_size,
    check_arguments,
    chunk_ranges,
    default_chunk_size,
    executor_scope,
    probe_size,
    resolve_mode,
    run_chunk,
    runs_frame,
    scenario_json,
    summarize,
)
from guardsim.montecarlo.progress import Progress, ProgressCallback
from guardsim.scenarios.loading import check_scenario_dict
from guardsim.scenarios.scenario import Scenario


#: Keys by which a list item can be addressed by name (``alarms[NAME]``), in this order.
def _check_varies(base_data: dict[str, Any], varies: Sequence[Vary]) -> list[str]:
    """Canonical paths of the varies; errors for unknown intermediate keys and overlaps."""
    if not varies:
        raise SweepError("nothing to sweep: give at least one --vary PATH=VALUES")
    canon = []
    for v in varies:
        _, _, path = locate(base_data, v)
        canon.append(path)
    for i, a in enumerate(canon):
        for j, b in enumerate(canon):
            if i < j and (
                a == b or b.startswith((a + ".", a + "[")) or a.startswith((b + ".", b + "["))
            ):
                raise SweepError(
                    f"--vary {varies[i].path} and --vary {varies[j].path} address the same "
                    "field (or one contains the other)"
                )
    return canon


def plan_sweep(
    scenario: Scenario,
    vary: Iterable[Vary | str] | Mapping[str, Sequence[Any]],
    n: int,
    *,
    seed: int | None = None,
    mode: str = "auto",
    skip_invalid: bool = False,
) -> SweepPlan:
    """Build and validate every configuration of the grid; nothing is simulated.

    Raises :class:`SweepError` for a bad path (naming it and the nearest valid keys), and for
    invalid configurations unless ``skip_invalid``. ``seed`` overrides every configuration's
    ``simulation.seed`` (the base seed of its Monte Carlo run).
    """
    check_arguments(n, mode)
    varies = as_varies(vary)
    base_data = scenario.to_dict()
    canon = _check_varies(base_data, varies)
    valid: list[Configuration] = []
    invalid: list[InvalidConfiguration] = []
    bad_paths: list[Problem] = []
    for index, combo in enumerate(itertools.product(*(v.values for v in varies))):
        settings = list(zip(varies, combo, strict=True))
        values = {v.path: value for v, value in settings}
        data = apply(base_data, settings)
        result = check_scenario_dict(data, source=f"<sweep configuration {index}>")
        errors = [p for p in result.problems if p.severity == "error"]
        for p in errors:
            if p.message.startswith("unknown key") and p.path in canon:
                vary_path = varies[canon.index(p.path)].path
                bad_paths.append(Problem(vary_path, p.message))
        if bad_paths:
            first = bad_paths[0]
            raise SweepError(f"--vary {first.path}: {first.message}", bad_paths)
        if result.scenario is None:
            invalid.append(InvalidConfiguration(index, values, tuple(errors)))
            continue
        config_seed = result.scenario.simulation.seed if seed is None else seed
        clean = result.scenario.to_dict()
        valid.append(
            Configuration(
                index=index,
                values=values,
                scenario=result.scenario,
                data=clean,
                seed=config_seed,
                key=configuration_key(clean, n, config_seed, mode),
            )
        )
    plan = SweepPlan(scenario, varies, n, mode, seed, tuple(valid), tuple(invalid))
    if invalid and not skip_invalid:
        raise SweepError(invalid_message(plan), [p for c in invalid for p in c.problems])
    if not valid:
        raise SweepError(
            f"every one of the {len(invalid)} configurations is invalid\n" + invalid_message(plan)
        )
    return plan


def invalid_message(plan: SweepPlan) -> str:
    """Every invalid configuration (up to :data:`MAX_LISTED`) with its problems."""
    lines = [
        f"{len(plan.invalid)} of {plan.grid_size} configurations are invalid "
        "(use --skip-invalid to run the others):"
    ]
    for c in plan.invalid[:MAX_LISTED]:
        lines.append(f"  {c.label()}:")
        lines.extend(f"    {p}" for p in c.problems)
    if len(plan.invalid) > MAX_LISTED:
        lines.append(f"  ... and {len(plan.invalid) - MAX_LISTED} more")
    return "\n".join(lines)


# --------------------------------------------------------------------------- running


def _canonical(row: dict[str, Any]) -> dict[str, Any]:
    """The row as it reads back from JSON (NaN as None), so fresh and resumed rows are equal."""
    clean = {k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in row.items()}
    result: dict[str, Any] = json.loads(json.dumps(clean, allow_nan=False))
    return result


def _cell(value: Any) -> Any:
    """A swept value as a table cell: scalars as they are, lists and mappings as JSON text."""
    if isinstance(value, list | dict):
        return json.dumps(value, sort_keys=True)
    return value


def build_table(plan: SweepPlan, rows: Mapping[str, dict[str, Any]]) -> pd.DataFrame:
    """The tidy table: one row per configuration of ``plan`` that has a row, in grid order."""
    records = []
    alarm_columns: list[str] = []
    for c in plan.configurations:
        row = rows.get(c.key)
        if row is None:
            continue
        for col in row:
            if col.startswith("p_tripped[") and col not in alarm_columns:
                alarm_columns.append(col)
        records.append({**{k: _cell(v) for k, v in c.values.items()}, **row, "config_key": c.key})
    columns = [*plan.columns, *SUMMARY_COLUMNS, *alarm_columns, "config_key"]
    return pd.DataFrame.from_records(records, columns=columns)


@dataclass(frozen=True, eq=False)
class SweepResult:
    """What :func:`sweep` returns.

    ``table``: the pandas DataFrame, one row per configuration (the swept paths, then the
    summary columns, one ``p_tripped[<alarm>]`` per rollback alarm, and ``config_key``);
    ``plan``: the validated grid; ``reused`` / ``computed``: how many rows came from the
    checkpoint and how many were simulated; ``invalid``: the configurations left out by
    ``skip_invalid``.
    """

    plan: SweepPlan
    table: pd.DataFrame
    reused: int
    computed: int

    @property
    def invalid(self) -> tuple[InvalidConfiguration, ...]:
        return self.plan.invalid

    def __repr__(self) -> str:
        return (
            f"<SweepResult {self.plan.base.name}: {len(self.table)} configuration(s), "
            f"{self.computed} computed, {self.reused} from the checkpoint; .table has one row "
            "per configuration>"
        )

    def _repr_html_(self) -> str:
        """In Jupyter: the grid's size and the first rows of the table's key columns."""
        from guardsim._display import card, frame_html

        columns = [
            *self.plan.columns,
            "p_rollback",
            "p_rollback_low",
            "p_rollback_high",
            "green_errors_mean",
            "deployment_seconds_mean",
        ]
        return card(
            f"Sweep of {self.plan.base.name}",
            f"{len(self.table)} configuration(s) ({self.computed} computed, {self.reused} "
            "from the checkpoint)",
            tables=[("per configuration", frame_html(self.table, columns))],
        )


def run_sweep(
    plan: SweepPlan,
    *,
    executor: Executor | str | None = None,
    workers: int | None = None,
    checkpoint: str | Path | None = None,
    progress: ProgressCallback | None = None,
    chunk_size: int | None = None,
) -> SweepResult:
    """Run every configuration of ``plan`` not already in ``checkpoint``; return the table.

    ``executor`` / ``workers`` as for :func:`~guardsim.montecarlo.monte_carlo.monte_carlo`.
    ``progress`` is called after every chunk and after every configuration is checkpointed.
    """
    ckpt = Checkpoint(checkpoint) if checkpoint is not None else None
    rows: dict[str, dict[str, Any]] = {}
    with contextlib.ExitStack() as owned:
        if ckpt is not None:  # one sweep per checkpoint (montecarlo/locking.py)
            ckpt.check_writable()  # the clearer message first, if the folder cannot be used
            owned.enter_context(hold(ckpt.directory, f"checkpoint {ckpt.directory}"))
        return _run_sweep(plan, ckpt, rows, executor, workers, progress, chunk_size)


def _run_sweep(
    plan: SweepPlan,
    ckpt: Checkpoint | None,
    rows: dict[str, dict[str, Any]],
    executor: Executor | str | None,
    workers: int | None,
    progress: ProgressCallback | None,
    chunk_size: int | None,
) -> SweepResult:
    if ckpt is not None:
        ckpt.check_writable()
        done = ckpt.load()
        rows = {c.key: done[c.key] for c in plan.configurations if c.key in done}
    todo = [c for c in plan.configurations if c.key not in rows]
    reused = len(plan.configurations) - len(todo)
    if todo:
        try:
            _run(plan, todo, rows, ckpt, executor, workers, progress, chunk_size)
        finally:
            if ckpt is not None:
                ckpt.close()
    return SweepResult(plan, build_table(plan, rows), reused, len(todo))


def _run(
    plan: SweepPlan,
    todo: Sequence[Configuration],
    rows: dict[str, dict[str, Any]],
    ckpt: Checkpoint | None,
    executor: Executor | str | None,
    workers: int | None,
    progress: ProgressCallback | None,
    chunk_size: int | None,
) -> None:
    n = plan.n
    total = n * len(todo)
    with executor_scope(executor, workers) as ex:
        chunks: list[Chunk] = []
        owner: list[int] = []
        remaining: list[int] = []
        for ci, c in enumerate(todo):
            # auto: the batch engine (it runs every valid configuration)
            mode = resolve_mode(c.scenario, plan.mode)
            size = aligned_chunk_size(
                chunk_size or default_chunk_size(total, ex.workers, mode, ex.max_batch_blocks),
                mode,
            )
            # the very first chunk is small: the auto executor times it (a cheap probe)
            ranges = chunk_ranges(n, size, first=probe_size(mode) if ci == 0 else None)
            text = scenario_json(c.scenario)
            for a, b in ranges:
                chunks.append(Chunk(text, c.seed, mode, a, b))
                owner.append(ci)
            remaining.append(len(ranges))
        if len(chunks) == 1 and not isinstance(executor, Executor):
            ex = SerialExecutor()  # one chunk: no point shipping it to a worker
        parts: dict[int, dict[int, RunColumns]] = {}
        done = configs_done = 0
        if progress is not None:  # shown from the start, not only after the first chunk
            progress(Progress(0, total, 0, len(todo)))
        for index, result in ex.imap_unordered(run_chunk, chunks):
            ci = owner[index]
            parts.setdefault(ci, {})[index] = result
            remaining[ci] -= 1
            done += len(result)
            if remaining[ci] == 0:
                c = todo[ci]
                got = parts.pop(ci)
                joined = RunColumns.concat([got[i] for i in sorted(got)])
                names = tuple(a.name for a in c.scenario.rollback_alarms)
                summary = summarize(runs_frame(joined, c.seed, names), names)
                row = _canonical(summary.to_row())
                if ckpt is not None:
                    ckpt.append(c.key, c.values, row)
                rows[c.key] = row
                configs_done += 1
            if progress is not None:
                progress(Progress(done, total, configs_done, len(todo)))


def sweep(
    scenario: Scenario,
    vary: Iterable[Vary | str] | Mapping[str, Sequence[Any]],
    n: int,
    *,
    seed: int | None = None,
    mode: str = "auto",
    skip_invalid: bool = False,
    executor: Executor | str | None = None,
    workers: int | None = None,
    checkpoint: str | Path | None = None,
    progress: ProgressCallback | None = None,
    chunk_size: int | None = None,
) -> SweepResult:
    """:func:`plan_sweep` then :func:`run_sweep`: ``n`` replications per configuration of the
    full factorial grid of ``vary``. Returns a :class:`SweepResult`: its ``table`` is the tidy
    pandas DataFrame, one row per configuration (what ``guardsim sweep --out`` writes)."""
    plan = plan_sweep(scenario, vary, n, seed=seed, mode=mode, skip_invalid=skip_invalid)
    return run_sweep(
        plan,
        executor=executor,
        workers=workers,
        checkpoint=checkpoint,
        progress=progress,
        chunk_size=chunk_size,
    )
