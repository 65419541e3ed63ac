"""Sweep checkpoints: finished configurations, one JSON line each, so a sweep can resume.

A checkpoint is a directory holding ``rows.jsonl``. Every line is one finished configuration::

    {"key": "3f9a...", "values": {"alarms[0].Threshold": 0.01}, "row": {"n": 200, ...}}

``key`` is :func:`configuration_key`: a SHA-256 of everything that determines the row (the
configured scenario as plain data, the replication count, the base seed, the mode, the
checkpoint format and guardsim's version), so it is the same in every run of the same sweep and
different as soon as anything that changes the result differs. ``values`` are the swept values
(for people reading the file); ``row`` is the Monte Carlo summary row.

Appending is the only write: a line is written in one call, flushed and fsync'ed as soon as its
configuration finishes, before the sweep reports progress, so an interrupt (Ctrl-C, a kill, a
power cut) loses at most the configurations still running. On loading, a line that does not
parse (the torn last line of a killed run) is ignored and its configuration computed again, and
a key seen twice keeps its first row (both are identical: the runs are deterministic), so
resuming never duplicates a row. Rows whose key the current sweep does not have are kept in the
file but not used: a checkpoint can serve a later, larger sweep that shares configurations with
it. One sweep at a time may use a checkpoint directory.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from types import TracebackType
from typing import IO, Any

from guardsim import __version__
from guardsim.errors import CheckpointError

FORMAT = "guardsim.sweep-checkpoint/1"
ROWS_FILE = "rows.jsonl"


def configuration_key(scenario_data: dict[str, Any], n: int, seed: int, mode: str) -> str:
    """A stable hash of everything that determines a configuration's summary row."""
    payload = {
        "format": FORMAT,
        "guardsim_version": __version__,
        "scenario": scenario_data,
        "n": n,
        "seed": seed,
        "mode": mode,
    }
    text = json.dumps(payload, sort_keys=True, separators=(",", ":"), allow_nan=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


class Checkpoint:
    """A checkpoint directory: :meth:`load` what is done, :meth:`append` what finishes."""

    def __init__(self, directory: str | Path) -> None:
        self.directory = Path(directory)
        self.path = self.directory / ROWS_FILE
        self._file: IO[str] | None = None

    def check_writable(self) -> None:
        """Fail early (before any simulation) if the directory cannot be used."""
        d = self.directory
        if d.exists() and not d.is_dir():
            raise CheckpointError(f"checkpoint path {d} exists and is not a directory")
        parent = d if d.exists() else d.parent
        if not parent.is_dir():
            raise CheckpointError(f"cannot create checkpoint {d}: folder {parent} does not exist")
        if not os.access(parent, os.W_OK):
            raise CheckpointError(f"cannot write checkpoint {d}: {parent} is not writable")
        if self.path.exists() and not os.access(self.path, os.R_OK | os.W_OK):
            raise CheckpointError(f"cannot read and write checkpoint file {self.path}")

    def load(self) -> dict[str, dict[str, Any]]:
        """Finished rows by key (first occurrence wins; unparsable lines are skipped)."""
        if not self.path.exists():
            return {}
        rows: dict[str, dict[str, Any]] = {}
        from guardsim.inputs import read_text

        text = read_text(self.path, "checkpoint", what="checkpoint", error=CheckpointError)
        for line in text.splitlines():
            try:
                entry = json.loads(line)
            except json.JSONDecodeError:
                continue  # a torn line from an interrupted write: recomputed
            if (
                isinstance(entry, dict)
                and isinstance(entry.get("key"), str)
                and isinstance(entry.get("row"), dict)
            ):
                rows.setdefault(entry["key"], entry["row"])
        return rows

    def _open(self) -> IO[str]:
        if self._file is None:
            try:
                self.directory.mkdir(exist_ok=True)
                torn = False
                if self.path.exists() and self.path.stat().st_size:
                    with self.path.open("rb") as f:
                        f.seek(-1, os.SEEK_END)
                        torn = f.read(1) != b"\n"
                self._file = self.path.open("a", encoding="utf-8")
                if torn:  # end the torn line, so the next row starts on a line of its own
                    self._file.write("\n")
            except OSError as exc:
                raise CheckpointError(f"cannot write checkpoint {self.path}: {exc}") from None
        return self._file

    def append(self, key: str, values: dict[str, Any], row: dict[str, Any]) -> None:
        """Write one finished configuration durably (one line, flushed and fsync'ed)."""
        f = self._open()
        line = json.dumps(
            {"key": key, "values": values, "row": row}, sort_keys=True, allow_nan=False
        )
        try:
            f.write(line + "\n")
            f.flush()
            os.fsync(f.fileno())
        except OSError as exc:
            raise CheckpointError(f"cannot write checkpoint {self.path}: {exc}") from None

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None

    def __enter__(self) -> Checkpoint:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
