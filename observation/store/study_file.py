"""A study in a DuckDB file, plain or encrypted (AES-256-GCM, DuckDB's own): the default backend.

The file is open in one process only (DuckDB locks it), whose writes take turns through db.WRITES;
meeting_facts is kept by each write transaction before it commits (facts.refresh). An encrypted
file is attached, as "study", to an in-memory DuckDB whose spills are encrypted too.
"""

from __future__ import annotations

import os
import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from observation import facts
from observation.errors import ObservationError, StudyLockedError
from observation.store import at_rest
from observation.store.backend import Backend, Upgrade, bind, load_extension, refuse_other_files
from observation.store.location import Location, first_line, literal
from observation.store.migrations import Migration, apply
from observation.store.shape import SCHEMA_SQL

KEY_FROM_ENVIRONMENT = "OBSERVATION_DB_KEY"
KEY_HELP = "set OBSERVATION_DB_KEY (or db_key in .streamlit/secrets.toml) to the study's key"
_LOCK_PID = re.compile(r"\(PID (\d+)\)")


def configured_key() -> str | None:
    """The study key the environment gives (OBSERVATION_DB_KEY), if any."""
    return os.environ.get(KEY_FROM_ENVIRONMENT) or None


class _FromEnvironment:
    """The key OBSERVATION_DB_KEY gives, if any (connect's default)."""


FROM_ENVIRONMENT = _FromEnvironment()
StudyKey = str | _FromEnvironment | None
"""A key as ``connect`` takes it: the key, FROM_ENVIRONMENT (OBSERVATION_DB_KEY's, if set), or None (plain)."""


class EncryptedStudyError(ObservationError):
    """An encrypted study was opened without a key."""


class PlainStudyError(ObservationError):
    """A study that is not encrypted was opened with a key."""


class StudyFile(Backend):
    """A plain DuckDB study file."""

    kind = "DuckDB file"

    def open(self, where: Location, *, read_only: bool, upgrade: Upgrade | None) -> duckdb.DuckDBPyConnection:
        path = Path(where)
        at_rest.sweep_leftovers(path)  # before opening: a plain copy goes even when the study then does not open
        if read_only and not path.exists():
            raise ObservationError(f"{path}: no study file here")
        if not read_only:
            path.parent.mkdir(parents=True, exist_ok=True)
        try:
            con = self._connect(path, read_only)
        except duckdb.IOException as exc:
            raise _refused_open(path, exc) from None
        except duckdb.Error as exc:
            raise self._refused_key(path, exc) from None
        try:
            bind(con, self)
            if not read_only and at_rest.first_write(path):
                at_rest.sweep_spills(path)
            refuse_other_files(con, path, self.kind)
            if not read_only and upgrade is not None:
                upgrade(con)
        except BaseException:
            con.close()
            raise
        return con

    def _connect(self, path: Path, read_only: bool) -> duckdb.DuckDBPyConnection:
        return duckdb.connect(str(path), read_only=read_only)

    def _refused_key(self, path: Path, exc: duckdb.Error) -> ObservationError:
        """One line: a file encrypted, or not a study file at all."""
        if "encrypt" in first_line(exc).lower():
            return EncryptedStudyError(f"{path} is encrypted: {KEY_HELP}")
        return ObservationError(f"{path} is not a DuckDB study file ({first_line(exc)})")

    def prepare_cursor(self, cur: duckdb.DuckDBPyConnection) -> None:
        """Nothing: a cursor of a study file starts in the study."""

    def migrate(self, cur: duckdb.DuckDBPyConnection, migrations: Sequence[Migration]) -> list[str]:
        cur.execute(SCHEMA_SQL)
        return apply(cur, migrations, _run_duckdb_half)

    def begin_write(self, cur: duckdb.DuckDBPyConnection) -> None:
        """Nothing: this process alone has the file open, and db.WRITES makes its writers take turns."""

    def after_write(self, cur: duckdb.DuckDBPyConnection, meetings: Collection[int] | None = None) -> None:
        """Bring meeting_facts up to date before the transaction commits."""
        facts.refresh(cur, meetings)

    def next_id(self, cur: duckdb.DuckDBPyConnection, table: str) -> int:
        (new_id,) = cur.execute("select nextval(?)", [f"{table}_id_seq"]).fetchone()  # type: ignore[misc]
        return int(new_id)

    def sync_sequences(self, cur: duckdb.DuckDBPyConnection, tables: Sequence[str]) -> None:
        for table in tables:
            (largest,) = cur.execute(f"select coalesce(max(id), 0) from {table}").fetchone()  # type: ignore[misc]  # noqa: S608 - our own table names
            (last,) = cur.execute(
                "select coalesce(last_value, 0) from duckdb_sequences() where sequence_name = ?", [f"{table}_id_seq"]
            ).fetchone()  # type: ignore[misc]
            if largest > last:
                cur.execute("select count(nextval(?)) from range(?)", [f"{table}_id_seq", largest - last])

    def data_version(self, con: duckdb.DuckDBPyConnection) -> int:
        """Always 0: only this process has the file open (it is locked), and it clears its own
        caches when it writes."""
        return 0


def _run_duckdb_half(cur: duckdb.DuckDBPyConnection, migration: Migration) -> None:
    if isinstance(migration.duckdb, str):
        cur.execute(migration.duckdb)
    else:
        migration.duckdb(cur)


@dataclass(frozen=True)
class EncryptedStudyFile(StudyFile):
    """A study file encrypted with ``key``: as a plain one once open, the study attached as "study"."""

    key: str = field(repr=False)

    def _connect(self, path: Path, read_only: bool) -> duckdb.DuckDBPyConnection:
        con = cipher_connection(path)
        try:
            attach(con, path, "study", self.key, read_only=read_only)
            con.execute("use study")
        except BaseException:
            con.close()
            raise
        return con

    def _refused_key(self, path: Path, exc: duckdb.Error) -> ObservationError:
        """One line, and never the key (DuckDB's own words are not shown)."""
        lowered = first_line(exc).lower()
        if "not encrypted" in lowered or "unencrypted" in lowered:
            return PlainStudyError(
                f"{path} is not encrypted, but a key is set: unset OBSERVATION_DB_KEY, or encrypt the file "
                f"first with: python -m observation encrypt --db {path}"
            )
        if "key" in lowered or "encrypt" in lowered:
            return ObservationError(f"{path} did not open: the key given is not this study's key")
        return ObservationError(f"{path} did not open with the key given: is it a study file?")

    def prepare_cursor(self, cur: duckdb.DuckDBPyConnection) -> None:
        """A new cursor starts in DuckDB's in-memory database: point it at the attached study."""
        cur.execute("use study")


STUDY_FILE = StudyFile()


def _refused_open(path: Path, exc: duckdb.IOException) -> ObservationError:
    message = str(exc)
    if "lock" in message.lower():
        pid = _LOCK_PID.search(message)
        holder = f" (process {pid.group(1)})" if pid else ""
        return StudyLockedError(
            f"{path} is already open in another program{holder}: close that dashboard or command "
            "first, or work on a copy of the file."
        )
    return ObservationError(f"{path}: cannot be opened ({first_line(exc)})")


def cipher_connection(path: Path, spills: Path | None = None) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB with the cipher loaded, which spills to encrypted temporary files beside
    the study (as DuckDB does for a study it opens directly; or in ``spills``), never to plain ones."""
    con = duckdb.connect(config={"temp_directory": str(spills or f"{path}.tmp")})
    try:
        load_extension(con, "httpfs")  # its OpenSSL cipher writes encrypted files
        con.execute("set temp_file_encryption = true")
    except BaseException:
        con.close()
        raise
    return con


def attach(con: duckdb.DuckDBPyConnection, path: Path, name: str, key: str | None, read_only: bool = False) -> None:
    """ATTACH ``path`` as ``name`` (a fixed word), encrypted with ``key`` if given. ATTACH takes no
    parameters: the path and key go in as quoted literals."""
    options = []
    if key:
        # DuckDB reads a backslash in a key as the start of an escape: the bytes would not be the key typed.
        if "\\" in key:
            raise ObservationError("the study key may not contain a backslash: choose another key")
        options.append(f"encryption_key {literal(key)}")
    if read_only:
        options.append("read_only")
    con.execute(f"attach {literal(str(path))} as {name}" + (f" ({', '.join(options)})" if options else ""))
