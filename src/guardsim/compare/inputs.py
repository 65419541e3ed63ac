"""Reading what ``guardsim compare`` and ``guardsim calibrate`` are given: run records, Monte
Carlo results, folders of run records. Every bad input raises a
:class:`~guardsim.errors.GuardsimError` with a plain message (the CLI exits 2)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from guardsim.compare.distribution import MONTE_CARLO_FORMAT, PredictedRuns
from guardsim.errors import CompareError, RecordError
from guardsim.inputs import parse_json, read_text
from guardsim.record import FORMAT as RECORD_FORMAT
from guardsim.record import RunRecord


def record_files(path: str | Path) -> list[Path]:
    """A folder's ``*.json`` files, sorted by name; raises if there are none."""
    p = Path(path)
    files = sorted(f for f in p.glob("*.json") if f.is_file())
    if not files:
        raise CompareError(f"{path}: no run records (*.json) in this folder")
    return files


def load_records(paths: Sequence[str | Path]) -> list[tuple[str, RunRecord]]:
    """``(source, record)`` for every file given, and every ``*.json`` of every folder given."""
    out: list[tuple[str, RunRecord]] = []
    for path in paths:
        p = Path(path)
        files = record_files(p) if p.is_dir() else [p]
        out += [(str(f), RunRecord.load(f)) for f in files]
    if not out:
        raise CompareError("no run records given")
    return out


def load_predicted(path: str | Path) -> RunRecord | PredictedRuns:
    """A run record, a Monte Carlo result (JSON) or a folder of run records (a distribution)."""
    p = Path(path)
    if p.is_dir():
        loaded = load_records([p])
        return PredictedRuns.from_records([r for _, r in loaded], f"{len(loaded)} runs in {path}")
    # a run record or a Monte Carlo result (every replication's row): the larger limit
    text = read_text(p, "result", what="run record or Monte Carlo result", error=RecordError)
    data = parse_json(text, str(path), RecordError)
    kind = data.get("format") if isinstance(data, dict) else None
    if kind == MONTE_CARLO_FORMAT:
        return PredictedRuns.from_monte_carlo_data(data, f"Monte Carlo result {path}")
    if kind == RECORD_FORMAT:
        return RunRecord.from_data(data, str(path))
    raise CompareError(
        f"{path}: neither a run record ({RECORD_FORMAT}) nor a Monte Carlo result "
        f"({MONTE_CARLO_FORMAT})"
    )
