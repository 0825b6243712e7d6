"""Open a study, take a cursor, write in a transaction: the façade the rest of the product calls.

A study lives in a DuckDB file (the default; plain or encrypted) or in a PostgreSQL database (a
``postgresql://`` location), which DuckDB reads and writes through its postgres extension: every
query in the project is DuckDB SQL either way. What differs is a ``Backend``'s
(observation/store/): how to open, the shape, starting and finishing a write, ids, the data
version. Only file operations (backup, restore, encryption, replacing the demo file) ask which
kind a location is.

One connection per process; every unit of work takes its own ``cursor(con)`` and reads its
result completely before returning, so no half-read result is ever shared between sessions.
"""

from __future__ import annotations

import threading
from collections.abc import Collection, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import duckdb

from observation.errors import ObservationError
from observation.store.at_rest import (
    EXPORTING,
    PARTIAL,
    cleanup_on_signals,
    held,
    hold,
    private_files,
    sweep_leftovers,
)
from observation.store.backend import Backend, bind, load_extension
from observation.store.convert import convert
from observation.store.cursor import backend_of, cursor, new_cursor
from observation.store.location import Location, is_postgres, location, missing_file, require_file, said, shown
from observation.store.migrations import IN_POSTGRES_BASELINE, MIGRATIONS, Migration
from observation.store.postgres import POSTGRES
from observation.store.shape import (
    ALL_TABLES,
    ID_TABLES,
    POSTGRES_SCHEMA_SQL,
    RECORD_TABLES,
    SCHEMA_SQL,
    STUDY_TABLES,
    VOCABULARIES,
)
from observation.store.study_file import (
    FROM_ENVIRONMENT,
    KEY_HELP,
    STUDY_FILE,
    EncryptedStudyError,
    EncryptedStudyFile,
    StudyKey,
    configured_key,
)

__all__ = [
    "ALL_TABLES", "EXPORTING", "FROM_ENVIRONMENT", "ID_TABLES", "IN_POSTGRES_BASELINE", "KEY_HELP",
    "MIGRATIONS", "PARTIAL", "POSTGRES_SCHEMA_SQL", "RECORD_TABLES", "SCHEMA_SQL", "STUDY_TABLES", "VOCABULARIES",
    "WRITES", "Backend", "EncryptedStudyError", "Location", "Migration", "StudyKey",
    "backend_of", "begin", "bind", "cleanup_on_signals", "configured_key", "connect", "convert", "cursor",
    "data_version", "held", "hold", "insert_row", "is_postgres", "keep_meeting_facts", "keep_rows", "load_extension",
    "location", "migrate", "missing_file", "private_files", "require_empty", "require_file", "said", "shown",
    "sweep_leftovers", "sync_sequences", "table_counts", "transaction",
]  # fmt: skip


def backend_for(where: Location, key: str | None) -> Backend:
    """The backend that keeps the study at ``where``: PostgreSQL for a connection string, else a
    study file, encrypted with ``key`` when one is given."""
    if is_postgres(where):
        return POSTGRES
    return EncryptedStudyFile(key) if key else STUDY_FILE


def connect(where: Location, *, read_only: bool = False, key: StudyKey = FROM_ENVIRONMENT) -> duckdb.DuckDBPyConnection:
    """Open (creating if needed) the study at ``where`` and apply pending migrations. With a key
    (``key``; by default OBSERVATION_DB_KEY's) the file is encrypted (AES-256-GCM, DuckDB's own),
    and a new file is created encrypted; ``key=None``: a plain file, whatever the environment says.
    A ``postgresql://`` location opens (and, if empty, creates) the study in that database."""
    given = configured_key() if key is FROM_ENVIRONMENT else key
    backend = backend_for(where, given if isinstance(given, str) else None)
    return backend.open(where, read_only=read_only, upgrade=migrate)


def migrate(con: duckdb.DuckDBPyConnection, migrations: Sequence[Migration] = MIGRATIONS) -> list[str]:
    """Create what is missing and apply the migrations not yet recorded (each its backend's half),
    in one transaction; return their names."""
    with transaction(con) as cur:
        return backend_of(cur).migrate(cur, migrations)


WRITES = threading.RLock()
"""Held by every write transaction of this process (the only one with the study file open), so
that two sessions' writes take turns: each checks references (observation.integrity) against the
other's committed rows, never against a snapshot the other is about to change. Several processes
on one PostgreSQL study take turns the same way through a PostgreSQL lock (its begin_write)."""


def begin(cur: duckdb.DuckDBPyConnection) -> None:
    """Start a write transaction on ``cur`` (hold WRITES around it)."""
    cur.execute("begin transaction")
    backend_of(cur).begin_write(cur)


@contextmanager
def transaction(
    con: duckdb.DuckDBPyConnection, meetings: Collection[int] | None = None
) -> Iterator[duckdb.DuckDBPyConnection]:
    """A cursor inside one transaction: everything in the block is written, or nothing is.
    ``meetings``: the only meetings whose facts the block can change (keep_meeting_facts), ``()``
    for a write that touches none (an audit entry alone, an access grant); None: any."""
    with WRITES:
        yield from _transaction(con, meetings)


def _transaction(
    con: duckdb.DuckDBPyConnection, meetings: Collection[int] | None = None
) -> Iterator[duckdb.DuckDBPyConnection]:
    cur = new_cursor(con)
    try:
        begin(cur)
        try:
            yield cur
            keep_meeting_facts(cur, meetings)
        except BaseException:
            cur.execute("rollback")
            raise
        cur.execute("commit")
    except duckdb.TransactionException:
        raise ObservationError(
            "the change was not saved: someone else saved the same rows at the same moment; reload and try again"
        ) from None
    except duckdb.Error as exc:
        if "lock timeout" in str(exc):
            raise ObservationError(
                "the change was not saved: another app server has been saving for over a minute; try again shortly"
            ) from None
        raise ObservationError(f"the change was not saved: {said(exc)}") from None
    finally:
        cur.close()


def keep_meeting_facts(cur: duckdb.DuckDBPyConnection, meetings: Collection[int] | None = None) -> None:
    """What a write keeps before it commits (every write does: db.transaction, and the import's own
    transaction): a study file's meeting_facts table, of ``meetings`` only when given (the only
    meetings the write can have changed); on PostgreSQL, triggers keep it."""
    backend_of(cur).after_write(cur, meetings)


def sync_sequences(cur: duckdb.DuckDBPyConnection, tables: tuple[str, ...] = ID_TABLES) -> None:
    """Move each table's id sequence past the largest id stored, after rows were written with
    explicit ids (the demo, imports, a copied study), so that the next row without an id gets a free one."""
    backend_of(cur).sync_sequences(cur, tables)


def keep_rows(cur: duckdb.DuckDBPyConnection, name: str, query: str, params: dict[str, Any]) -> None:
    """Work out ``query`` once and keep its rows on ``cur`` as the table ``name`` for the statements
    that follow on that cursor (and only there): two statements over the same worked-out rows
    otherwise each work them out again."""
    cur.register(name, cur.execute(query, params).to_arrow_table())


def insert_row(cur: duckdb.DuckDBPyConnection, table: str, fields: dict[str, Any]) -> int:
    """Insert one row of ``fields`` into ``table`` (one of ID_TABLES) and return its new id, drawn
    from the table's sequence first (DuckDB writes to PostgreSQL without RETURNING)."""
    if table not in ID_TABLES:
        raise ValueError(f"not a table with ids: {table}")
    new_id = backend_of(cur).next_id(cur, table)
    columns = ["id", *fields]
    cur.execute(
        f"insert into {table} ({', '.join(columns)}) values ({', '.join('?' * len(columns))})",  # noqa: S608 - table from ID_TABLES, columns from our models
        [new_id, *fields.values()],
    )
    return new_id


def require_empty(cur: duckdb.DuckDBPyConnection, what: str, tables: tuple[str, ...] = STUDY_TABLES) -> None:
    """Refuse to fill a study that already holds rows (the demo, a full export and a copied study
    go into empty ones)."""
    filled = [t for t in tables if _count(cur, t)]
    if filled:
        raise ObservationError(f"{what} goes into an empty study: this one already holds {', '.join(filled)}")


def data_version(con: duckdb.DuckDBPyConnection) -> int:
    """A number that changes whenever a change to the study's data is committed, by any process:
    always 0 for a study file (open in this process alone, which clears its own caches when it
    writes); PostgreSQL counts the changes itself (schema_postgres.sql)."""
    return backend_of(con).data_version(con)


def table_counts(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """Rows in each study table (the table names come from the fixed list, never from input)."""
    with cursor(con) as cur:
        return {t: _count(cur, t) for t in STUDY_TABLES}


def _count(cur: duckdb.DuckDBPyConnection, table: str) -> int:
    row = cur.execute(f"select count(*) from {table}").fetchone()  # noqa: S608 - a name from STUDY_TABLES
    return int(row[0]) if row else 0
