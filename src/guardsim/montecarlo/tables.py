"""Sweep tables on disk: CSV or Parquet, chosen by the file's suffix, written atomically.

Parquet needs ``pyarrow`` (a guardsim dependency); CSV is plain ``pandas.to_csv`` without the
index. Writing goes to a temporary file in the same folder that replaces the target in one
``os.replace``, so a reader never sees a half-written table and an interrupted write leaves the
previous file intact. CSV is read back with every float exactly as written (pandas 2 needs
``float_precision="round_trip"`` for that; pandas 3 does it by default).
"""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd

from guardsim.errors import TableError

SUFFIXES = (".csv", ".parquet")


def table_format(path: str | Path) -> str:
    suffix = Path(path).suffix.lower()
    if suffix not in SUFFIXES:
        raise TableError(
            f"{path}: unknown table format {suffix or '(no suffix)'!r}; "
            "use a .csv or .parquet file name"
        )
    return suffix[1:]


def _require_pyarrow(path: str | Path) -> None:
    try:
        import pyarrow  # noqa: F401
    except ImportError:
        raise TableError(
            f"{path}: writing or reading Parquet needs pyarrow (pip install pyarrow), "
            "or use a .csv file name"
        ) from None


def check_writable(path: str | Path, fmt: str | None = None) -> None:
    """Fail before any work if ``path`` could not be written (suffix, folder, permissions)."""
    fmt = fmt or table_format(path)
    if fmt == "parquet":
        _require_pyarrow(path)
    p = Path(path)
    if p.is_dir():
        raise TableError(f"cannot write {path}: it is a directory")
    parent = p.parent
    if not parent.is_dir():
        raise TableError(f"cannot write {path}: folder {parent} does not exist")
    if not os.access(parent, os.W_OK) or (p.exists() and not os.access(p, os.W_OK)):
        raise TableError(f"cannot write {path}: permission denied")


def write_table(table: pd.DataFrame, path: str | Path, fmt: str | None = None) -> None:
    """Write ``table`` to ``path`` atomically, as ``fmt`` (``csv`` or ``parquet``; default: by
    the file's suffix)."""
    fmt = fmt or table_format(path)
    p = Path(path)
    tmp = p.with_name(f".{p.name}.tmp")
    try:
        if fmt == "parquet":
            _require_pyarrow(path)
            table.to_parquet(tmp, index=False)
        else:
            table.to_csv(tmp, index=False)
        os.replace(tmp, p)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise TableError(f"cannot write {path}: {exc}") from None


def read_table(path: str | Path) -> pd.DataFrame:
    """Read a sweep table written by :func:`write_table`."""
    from guardsim.inputs import file_problem

    fmt = table_format(path)
    p = Path(path)
    reason = file_problem(p, "table")
    if reason == "file not found":
        raise TableError(f"no such table file: {path}")
    if reason is not None:
        raise TableError(f"cannot read table {path}: {reason}")
    try:
        if fmt == "parquet":
            _require_pyarrow(path)
            return pd.read_parquet(p)
        if int(pd.__version__.split(".")[0]) < 3:
            # pandas 2's default parser may be off by one ulp; pandas 3 reads floats exactly
            # by default (and deprecates the option)
            return pd.read_csv(p, float_precision="round_trip")
        return pd.read_csv(p)
    except (OSError, ValueError) as exc:
        raise TableError(f"cannot read table {path}: {exc}") from None
