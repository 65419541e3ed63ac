"""One owner at a time: OS file locks on checkpoints and output paths.

A sweep's checkpoint (and every file a sweep or a Monte Carlo run writes) belongs to one process
at a time. Two sweeps on one checkpoint would both compute every configuration and append every
row twice; two runs writing one output would overwrite each other's table. The owner holds an
exclusive :func:`fcntl.flock` on a lock file beside the path (``NAME.checkpoint.lock`` beside
the checkpoint folder ``NAME.checkpoint``, ``out.csv.lock`` beside ``out.csv``). The lock file
says who holds it, as one line of JSON (``pid``, ``host``, ``started``), so a second process can
name the holder when it refuses (:class:`LockHeld`, exit status 2) or, with ``wait=True``
(``--wait-for-lock``), say whom it waits for.

The kernel releases a ``flock`` when its holder exits, however it exits (a kill, a crash), so a
stale lock file never blocks anyone: it is just a file nobody holds. The holder removes the file
on release while still holding the lock; a process that locked a file which was removed (and
perhaps replaced) meanwhile notices that the path no longer names the file it holds and tries
again, so two processes never both believe they own a path.

Locks are re-entrant within a process (:func:`hold` counts): the CLI takes the lock before it
starts anything, and :func:`guardsim.montecarlo.sweep.run_sweep`, which locks its checkpoint
for library callers, finds it already held. Not supported where ``fcntl`` is missing (Windows):
there :func:`hold` does nothing.
"""

from __future__ import annotations

import contextlib
import datetime
import json
import os
import socket
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any

from guardsim.errors import CheckpointError

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

LOCK_SUFFIX = ".lock"


class LockHeld(CheckpointError):
    """Another process holds the lock on a checkpoint or an output path."""

    def __init__(self, message: str, holder: dict[str, Any]) -> None:
        super().__init__(message)
        self.holder = holder


def lock_path(path: str | Path) -> Path:
    """The lock file of ``path``: ``path`` + ``.lock``, beside it."""
    p = Path(path)
    return p.with_name(p.name + LOCK_SUFFIX)


def describe_holder(holder: dict[str, Any]) -> str:
    """``process 1234 on host-a (started 2026-12-03T14:01:02Z)``; what is known of it."""
    if not holder:
        return "another process"
    text = f"process {holder.get('pid', '?')}"
    if holder.get("host"):
        text += f" on {holder['host']}"
    if holder.get("started"):
        text += f" (started {holder['started']})"
    return text


def read_holder(lock_file: Path) -> dict[str, Any]:
    """What the lock file says about its holder ({} if it says nothing readable)."""
    try:
        with lock_file.open("rb") as f:
            data = json.loads(f.read(4096).decode("utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


class _Lock:
    def __init__(self, lock_file: Path) -> None:
        self.lock_file = lock_file
        self.file: IO[bytes] | None = None
        self.count = 0


_HELD: dict[str, _Lock] = {}


def _key(lock_file: Path) -> str:
    return str(lock_file.resolve())


def _same_file(f: IO[bytes], path: Path) -> bool:
    try:
        a, b = os.fstat(f.fileno()), os.stat(path)
    except OSError:
        return False
    return (a.st_dev, a.st_ino) == (b.st_dev, b.st_ino)


def _acquire(
    lock_file: Path, what: str, wait: bool, notify: Callable[[str], None] | None
) -> IO[bytes]:
    told = False
    while True:
        try:
            f = lock_file.open("a+b")
        except OSError as exc:
            raise CheckpointError(f"cannot create the lock file {lock_file}: {exc}") from None
        try:
            fcntl.flock(f.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = read_holder(lock_file)
            if not wait:
                f.close()
                raise LockHeld(
                    f"{what} is in use by {describe_holder(holder)} (lock file {lock_file}); "
                    "wait for it to finish, or give --wait-for-lock to wait",
                    holder,
                ) from None
            if notify is not None and not told:
                notify(f"waiting for {describe_holder(holder)}, which holds {what}")
                told = True
            fcntl.flock(f.fileno(), fcntl.LOCK_EX)  # blocks until the holder is done
        except OSError as exc:
            f.close()
            raise CheckpointError(f"cannot lock {lock_file}: {exc}") from None
        if _same_file(f, lock_file):
            return f
        f.close()  # the holder removed the file while we waited: lock the current one


def _write_holder(f: IO[bytes]) -> None:
    started = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    info = {"pid": os.getpid(), "host": socket.gethostname(), "started": started}
    f.seek(0)
    f.truncate()
    f.write((json.dumps(info) + "\n").encode("utf-8"))
    f.flush()


@contextlib.contextmanager
def hold(
    path: str | Path,
    what: str,
    *,
    wait: bool = False,
    notify: Callable[[str], None] | None = None,
) -> Iterator[Path]:
    """Own ``path`` (a checkpoint folder or an output file) for the ``with`` block.

    Raises :class:`LockHeld` naming the holder if another process owns it, unless ``wait``:
    then ``notify`` is told whom it waits for, once, and the call blocks until the lock is free.
    ``what`` names the path in messages (``checkpoint out.checkpoint``). Yields the lock file.
    """
    lock_file = lock_path(path)
    if fcntl is None:  # pragma: no cover - Windows: no flock
        yield lock_file
        return
    key = _key(lock_file)
    lock = _HELD.get(key)
    if lock is None:
        lock = _Lock(lock_file)
        lock.file = _acquire(lock_file, what, wait, notify)
        _write_holder(lock.file)
        _HELD[key] = lock
    lock.count += 1
    try:
        yield lock_file
    finally:
        lock.count -= 1
        if lock.count == 0:
            del _HELD[key]
            with contextlib.suppress(OSError):
                lock_file.unlink()  # while still holding it: see the module docstring
            if lock.file is not None:
                lock.file.close()


def held_here(path: str | Path) -> bool:
    """Whether this process holds the lock on ``path``."""
    return _key(lock_path(path)) in _HELD
