"""Encrypting and decrypting a study file in place (``python -m observation encrypt`` / ``decrypt``)."""

from __future__ import annotations

import os
import shutil
import stat
from pathlib import Path

import duckdb

from observation.errors import ObservationError
from observation.store import at_rest
from observation.store.backend import Backend
from observation.store.location import first_line
from observation.store.study_file import (
    KEY_HELP,
    STUDY_FILE,
    EncryptedStudyError,
    EncryptedStudyFile,
    PlainStudyError,
    attach,
    cipher_connection,
)


def convert(path: Path, key: str | None, new_key: str | None) -> bool:
    """Rewrite the study at ``path`` (encrypted with ``key``, or plain) as encrypted with
    ``new_key`` (or plain); False, changing nothing, when it already is (encrypted with
    ``new_key``, or plain). The study stays open, so locked against every other program, from
    before the copy until the new file has replaced it; every table is compared, row for row,
    first. On any failure the old file is left as it was.

    The new file is written in a folder of its own beside the study (``.NAME.converting.tmp``,
    0700, its files 0600 whatever the umask), which holds DuckDB's spills too: decrypting writes
    a plain copy, and nobody else can read it while it exists. It is removed on any failure, on
    SIGTERM or SIGHUP as on Ctrl-C; a run killed outright (SIGKILL, a power cut) leaves it, and
    the next command that opens the study removes it and says so (``sweep_leftovers``)."""
    path = Path(path)
    if not path.exists():
        raise ObservationError(f"{path}: no study file here")
    if not (key or new_key):
        raise ObservationError(f"no key given: {KEY_HELP}")
    try:
        _file(key).open(path, read_only=False, upgrade=None).close()  # in use elsewhere, wrong key or not a study
    except EncryptedStudyError:
        if key is not None or new_key is None:
            raise
        if not _opens_with(path, new_key):
            raise ObservationError(
                f"{path} is already encrypted, with another key than the one given; nothing was changed"
            ) from None
        return False
    except PlainStudyError:
        if new_key is not None:
            raise
        return False
    mode = stat.S_IMODE(path.stat().st_mode)
    staging = path.with_name(f".{path.name}{at_rest.CONVERTING}")
    with at_rest.private_files(), at_rest.cleanup_on_signals():
        if staging.is_dir() and not at_rest.in_use(staging):  # an empty one a run killed a moment ago left
            shutil.rmtree(staging)
        staging.mkdir(mode=0o700)
        try:
            with at_rest.held(staging):
                _convert_into(path, staging / path.name, key, new_key)
                os.chmod(path, mode)  # the study keeps its own permissions; only the copy on the way was private
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    return True


def _file(key: str | None) -> Backend:
    return EncryptedStudyFile(key) if key else STUDY_FILE


def _convert_into(path: Path, target: Path, key: str | None, new_key: str | None) -> None:
    con = cipher_connection(path, spills=target.parent / "spills")
    try:
        attach(con, path, "source", key)
        con.execute("checkpoint source")
        if Path(f"{path}.wal").exists() and Path(f"{path}.wal").stat().st_size:
            raise ObservationError(f"{path}: its write-ahead log could not be folded in; it was left as it was")
        attach(con, target, "target", new_key)
        con.execute("copy from database source to target")
        _compare(con, path)
        con.execute("detach target")
        os.replace(target, path)  # while the old file is still held: nobody wrote to it meanwhile
    except duckdb.Error as exc:
        shown = first_line(exc)
        for secret in filter(None, (key, new_key)):
            shown = shown.replace(secret, "…")
        raise ObservationError(f"{path} could not be converted ({shown}); it was left as it was") from None
    finally:
        con.close()


def _opens_with(path: Path, key: str) -> bool:
    try:
        EncryptedStudyFile(key).open(path, read_only=True, upgrade=None).close()
    except ObservationError:
        return False
    return True


def _compare(con: duckdb.DuckDBPyConnection, path: Path) -> None:
    tables = con.execute("select table_name from duckdb_tables() where database_name = 'source'").fetchall()
    for (table,) in tables:
        (differ,) = con.execute(  # type: ignore[misc]
            f"select count(*) from ((from source.{table} except all from target.{table}) "  # noqa: S608 - names from the catalog
            f"union all (from target.{table} except all from source.{table}))"
        ).fetchone()
        if differ:
            raise ObservationError(f"{path}: table {table} did not copy exactly; the study was left as it was")
