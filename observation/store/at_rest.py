"""Files at rest: what an interrupted command leaves beside a study, removed by the next command
that opens one there (and said); the locks that keep a running command's files from that sweep;
files made private whatever the umask; SIGTERM and SIGHUP turned into an exception so that a
command's ``finally`` removes what it was writing."""

from __future__ import annotations

import logging
import os
import re
import shutil
import signal
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType

from observation.errors import ObservationError
from observation.store.location import is_postgres

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: no locks, and a file still open cannot be removed
    fcntl = None  # type: ignore[assignment]

_LOG = logging.getLogger("observation")
CONVERTING = ".converting.tmp"
"""The folder (0700) in which encrypt and decrypt write the new file: ``.NAME.converting.tmp``
(before this folder, a file of that name and its ``.wal``)."""
PARTIAL = ".partial"
"""The end of a copy's name while it is written beside its target (``.NAME.XXXXXXXX.partial``)."""
_PARTIAL = re.compile(r"^\..+\.[a-z0-9_]{8}\.partial$")
EXPORTING = ".exporting-"
"""An export to ``out`` is written in a folder ``.{out.name}.exporting-XXXXXXXX`` beside it."""
_EXPORTING = re.compile(r"^\..+\.exporting-[a-z0-9_]{8}$")
_OPENED: set[str] = set()
_OPENED_LOCK = threading.Lock()


def sweep_leftovers(path: Path | str) -> list[str]:
    """Remove what an interrupted export, encrypt, decrypt, backup or restore left in the folder of
    ``path`` (a study file, or an export's or a backup's target), and say what (each message is
    also logged, so a command prints it): ``.NAME.exporting-XXXXXXXX`` (a folder),
    ``.NAME.converting.tmp`` (a folder; decrypt's may hold a plain copy of a study),
    ``.NAME.XXXXXXXX.partial`` (a copy not finished), and the ``.NAME.converting.tmp`` file, its
    ``.wal`` and the ``.NAME.XXXXXXXX`` copies of earlier versions. What a running command is still
    writing is left alone: it holds a lock on it (the lock goes with the process, however it ends)."""
    if is_postgres(path):
        return []
    path = Path(path)
    try:
        entries = sorted(os.scandir(path.parent), key=lambda e: e.name)
    except OSError:  # no folder (yet), or none we may read
        return []
    said: list[str] = []
    for entry in entries:
        what = _leftover_of(entry, path.name)
        if what is None:
            continue
        leftover = Path(entry.path)
        try:
            if _just_made(entry) or in_use(leftover, duckdb_lock=what == "legacy"):
                continue
            if entry.is_dir(follow_symlinks=False):
                shutil.rmtree(leftover)
            else:
                leftover.unlink()
                if what == "legacy":
                    Path(f"{leftover}.wal").unlink(missing_ok=True)
        except OSError:  # another command removed it first, or it is still open (Windows)
            continue
        said.append(_said_of(leftover, what))
    for message in said:
        _LOG.warning(message)
    return said


def _leftover_of(entry: os.DirEntry[str], name: str) -> str | None:
    """What kind of leftover ``entry`` is ("export", "converting", "legacy", "wal", "partial"), or None."""
    if not entry.name.startswith("."):
        return None
    if _EXPORTING.match(entry.name):
        return "export" if entry.is_dir(follow_symlinks=False) else None
    if entry.name.endswith(CONVERTING):
        return "converting" if entry.is_dir(follow_symlinks=False) else "legacy"
    if entry.name.endswith(f"{CONVERTING}.wal"):
        return "wal" if not os.path.exists(entry.path[: -len(".wal")]) else None  # else: goes with its file
    if _PARTIAL.match(entry.name) or re.fullmatch(rf"\.{re.escape(name)}\.[a-z0-9_]{{8}}", entry.name):
        return "partial" if entry.is_file(follow_symlinks=False) else None
    return None


def _just_made(entry: os.DirEntry[str]) -> bool:
    """Empty and made in the last minute: perhaps a command's that has not yet taken its lock (it
    does so before writing anything into it). Holding nothing, it can wait for a later sweep."""
    if time.time() - entry.stat(follow_symlinks=False).st_mtime >= 60:
        return False
    if entry.is_dir(follow_symlinks=False):
        with os.scandir(entry.path) as inside:
            return next(inside, None) is None
    return entry.stat(follow_symlinks=False).st_size == 0


def _said_of(leftover: Path, what: str) -> str:
    if what == "partial":
        return f"note: removed {leftover}, a copy left unfinished by a backup or restore that was interrupted"
    if what == "export":
        return f"note: removed {leftover}, what an export that was interrupted had written"
    return (
        f"note: removed {leftover}, the temporary copy of a study an encrypt or decrypt was writing when it "
        "was interrupted (a decrypt's is plain text)"
    )


def in_use(path: Path, *, duckdb_lock: bool = False) -> bool:
    """Whether a running command holds ``path``: the lock ``hold`` takes, or (``duckdb_lock``)
    DuckDB's own lock on a database file."""
    if fcntl is None:  # pragma: no cover - Windows: a file still open cannot be removed, which stops the sweep
        return False
    try:
        fd = os.open(path, os.O_RDWR if duckdb_lock else os.O_RDONLY)
    except OSError:
        return True  # cannot tell: leave it
    try:
        if duckdb_lock:
            fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        else:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return True
    finally:
        os.close(fd)  # never a file this process has open in DuckDB: closing would drop DuckDB's locks
    return False


@contextmanager
def held(path: Path) -> Iterator[None]:
    """Hold ``path`` (a file or folder) as this command's while it is written: ``sweep_leftovers``
    leaves it alone until the process ends, however it ends."""
    if fcntl is None:  # pragma: no cover - Windows opens no folder as a file (nor locks one)
        yield
        return
    fd = os.open(path, os.O_RDONLY)
    try:
        hold(fd)
        yield
    finally:
        os.close(fd)


def hold(fd: int) -> None:
    """Mark the open file ``fd`` as being written by this process until it is closed (see ``held``)."""
    if fcntl is not None:  # (Windows: an open file cannot be removed anyway)
        fcntl.flock(fd, fcntl.LOCK_EX)


@contextmanager
def private_files() -> Iterator[None]:
    """Every file created in the block is 0600 and every folder 0700, whatever the umask (DuckDB
    creates its database, WAL and spill files with the process's umask). The umask is the
    process's: only commands use this (encrypt, decrypt, migrate), never the app's threads."""
    before = os.umask(0o077)
    try:
        yield
    finally:
        os.umask(before)


class Interrupted(ObservationError):
    """A command was asked to stop (SIGTERM, SIGHUP) while writing a file: it removed what it had
    written so far."""


@contextmanager
def cleanup_on_signals() -> Iterator[None]:
    """In the block, SIGTERM and SIGHUP raise ``Interrupted`` (as Ctrl-C raises KeyboardInterrupt)
    instead of ending the process on the spot, so the ``finally`` that removes a temporary copy
    runs. Only the main thread may set signal handlers; elsewhere the block runs as it is."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def stop(signum: int, _frame: FrameType | None) -> None:
        name = signal.Signals(signum).name
        raise Interrupted(f"stopped by {name} before it finished; what it had written so far was removed")

    wanted = [s for s in ("SIGTERM", "SIGHUP") if hasattr(signal, s)]
    before = {name: signal.signal(getattr(signal, name), stop) for name in wanted}
    try:
        yield
    finally:
        for name, handler in before.items():
            signal.signal(getattr(signal, name), handler)


def first_write(path: Path) -> bool:
    """True the first time this process opens ``path`` for writing."""
    where = str(path.resolve())
    with _OPENED_LOCK:
        first = where not in _OPENED
        _OPENED.add(where)
    return first


def sweep_spills(path: Path) -> list[str]:
    """Remove the temporary files a program killed while it had the study open left in DuckDB's
    ``NAME.tmp`` folder (DuckDB removes only its own, on closing): an encrypted study's spill
    encrypted, a plain one's plain. Called when this process has just opened the study for
    writing (so no other program has it open) for the first time (so none of its own spills)."""
    spills = Path(f"{path}.tmp")
    try:
        leftovers = [f for f in spills.iterdir() if f.name.startswith("duckdb_temp_") and f.is_file()]
    except OSError:
        return []
    removed = 0
    for leftover in leftovers:
        try:
            leftover.unlink()
            removed += 1
        except OSError:
            continue
    if not removed:
        return []
    message = f"note: removed {removed} temporary file(s) that DuckDB left in {spills} when a program was stopped"
    _LOG.warning(message)
    return [message]
