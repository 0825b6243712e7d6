"""Open a study, bring its shape up to date, and turn DuckDB errors into one domain error.

A study lives in a DuckDB file (the default) or in a PostgreSQL database (a ``postgresql://``
location), which DuckDB reads and writes through its postgres extension: every query in the
project is DuckDB SQL either way, and this module holds what differs (opening, the shape,
transactions, ids). Only file operations (backup, restore, encryption, replacing the demo file)
ask which one a location is.

One connection per process; every unit of work takes its own ``cursor(con)`` and reads its
result completely before returning, so no half-read result is ever shared between sessions.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import signal
import stat
import threading
import time
import weakref
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from importlib.resources import files
from pathlib import Path
from types import FrameType
from typing import Any

import duckdb

from observation import facts
from observation.errors import ObservationError, StudyLockedError
from observation.models import TABLE_MODELS

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: no locks, and a file still open cannot be removed
    fcntl = None  # type: ignore[assignment]


def _sql(name: str) -> str:
    return files("observation").joinpath(name).read_text(encoding="utf-8")


MACROS_SQL = _sql("macros.sql")
SCHEMA_SQL = _sql("schema.sql") + "\n" + MACROS_SQL
POSTGRES_SCHEMA_SQL = _sql("schema_postgres.sql")

Migration = tuple[str, str | Callable[[duckdb.DuckDBPyConnection], None]]


def _drop_foreign_keys(cur: duckdb.DuckDBPyConnection) -> None:
    """Rebuild, rows and all, the tables of a study made when the schema declared foreign keys
    (and a check on codes that made DuckDB refuse any update of a code in use). References are
    checked by observation.integrity since; see schema.sql."""
    involved = {
        name
        for table, referenced in cur.execute(
            "select table_name, referenced_table from duckdb_constraints() where constraint_type = 'FOREIGN KEY'"
        ).fetchall()
        for name in (table, referenced)
    }
    if not involved:
        return
    order = [t for t in ("role_categories", "participation_levels", *STUDY_TABLES) if t in involved]
    for table in order:
        cur.execute(f"create temp table keep_{table} as select * from {table}")  # noqa: S608 - fixed names
    for table in reversed(order):
        cur.execute(f"drop table {table}")
    cur.execute(SCHEMA_SQL)
    for table in order:
        cur.execute(f"delete from {table}")  # noqa: S608 - the vocabularies schema.sql fills in again
        cur.execute(f"insert into {table} by name select * from keep_{table}")  # noqa: S608
        cur.execute(f"drop table keep_{table}")


def _widen_audit_actions(cur: duckdb.DuckDBPyConnection) -> None:
    """Let the audit trail record sign-ins, refusals and access changes (issue 7). DuckDB cannot
    alter a check constraint: the table is rebuilt with every row and id kept."""
    cur.execute("alter table audit rename to audit_before_access")
    cur.execute(
        """
        create table audit (
            id integer primary key default nextval('audit_id_seq'),
            written_at timestamp not null default (current_timestamp at time zone 'UTC'),
            actor varchar not null,
            action varchar not null check (action in (
                'create', 'change', 'delete', 'import', 'export', 'restore', 'sign_in', 'refused', 'grant', 'revoke'
            )),
            table_name varchar,
            row_key varchar,
            before json,
            after json
        )
        """
    )
    cur.execute("insert into audit select * from audit_before_access")
    cur.execute("drop table audit_before_access")


def _meeting_facts_table(cur: duckdb.DuckDBPyConnection) -> None:
    """meeting_facts was a view, computed again by every query that read it; it is a table now
    (schema.sql), filled before this transaction commits (keep_meeting_facts)."""
    kind = cur.execute(
        "select table_type from information_schema.tables where table_name = 'meeting_facts' "
        "and table_catalog = current_database() and table_schema = current_schema()"
    ).fetchone()
    if kind == ("VIEW",):
        cur.execute("drop view meeting_facts")
        cur.execute(SCHEMA_SQL)


# Named migrations, applied once each, in order, after the idempotent schema. Append only:
# a migration that has shipped is never edited. Each is an SQL script or a function, run in the
# same transaction as the rest.
MIGRATIONS: tuple[Migration, ...] = (
    ("0001_initial", "select 1"),  # marks the baseline shape of schema.sql
    (
        "0002_audit",
        """
        create sequence if not exists audit_id_seq;
        create table if not exists audit (
            id integer primary key default nextval('audit_id_seq'),
            written_at timestamp not null default (current_timestamp at time zone 'UTC'),
            actor varchar not null,
            action varchar not null check (action in ('create', 'change', 'delete', 'import', 'export', 'restore')),
            table_name varchar,
            row_key varchar,
            before json,
            after json
        );
        """,
    ),
    (
        "0003_deidentify",
        """
        create table if not exists deidentify (
            id integer primary key check (id = 1),
            date_offset_days integer not null,
            code_salt varchar not null
        );
        """,
    ),
    (
        "0004_meeting_versions",
        """
        create table if not exists meeting_versions (
            meeting_id integer primary key,
            version integer not null,
            saved_at timestamp not null,
            saved_by varchar not null
        );
        """,
    ),
    ("0005_without_foreign_keys", _drop_foreign_keys),
    (
        "0006_access",
        """
        create table if not exists access (
            email varchar primary key,
            role varchar not null check (role in ('researcher', 'coach', 'presenter')),
            teams integer[] not null default [],
            granted_at timestamp not null default (current_timestamp at time zone 'UTC'),
            granted_by varchar not null
        );
        """,
    ),
    ("0007_audit_access_actions", _widen_audit_actions),
    ("0008_meeting_facts_table", _meeting_facts_table),
)

# A PostgreSQL study starts in the shape these migrations give (schema_postgres.sql). Every
# migration appended after it needs its PostgreSQL SQL here too (tests/unit/test_postgres.py
# compares the two shapes).
POSTGRES_BASELINE = "0007_audit_access_actions"
POSTGRES_MIGRATIONS: dict[str, str] = {
    "0008_meeting_facts_table": "select 1",  # schema_postgres.sql's meeting_facts is a table kept by triggers
}
_IN_POSTGRES_SCHEMA = {name for name, _ in MIGRATIONS[: [n for n, _ in MIGRATIONS].index(POSTGRES_BASELINE) + 1]}

STUDY_TABLES: tuple[str, ...] = tuple(TABLE_MODELS)
ID_TABLES: tuple[str, ...] = tuple(t for t, m in TABLE_MODELS.items() if "id" in m.model_fields and t != "study")
VOCABULARIES = ("role_categories", "participation_levels")
"""Filled by the schema itself in every new study."""
RECORD_TABLES = ("audit", "deidentify", "meeting_versions", "access")
"""What the study keeps about its own use: the audit trail, the de-identification key, each
meeting's version (for refusing stale saves), and who may sign in."""
ALL_TABLES = (*VOCABULARIES, *STUDY_TABLES, *RECORD_TABLES)
"""Every table of a study but ``migrations`` (which records the shape, not the study)."""

_LOCK_PID = re.compile(r"\(PID (\d+)\)")


ENCRYPTED, POSTGRES = "encrypted", "postgres"
_ATTACHED: weakref.WeakKeyDictionary[duckdb.DuckDBPyConnection, str] = weakref.WeakKeyDictionary()
"""Connections (and their cursors) whose study is attached to an in-memory DuckDB as "study"."""
KEY_HELP = "set OBSERVATION_DB_KEY (or db_key in .streamlit/secrets.toml) to the study's key"
POSTGRES_SCHEMES = ("postgresql://", "postgres://")


Location = Path | str
"""Where a study is: a DuckDB file's path, or a ``postgresql://`` connection string (a str)."""


def location(text: str | Path) -> Location:
    """A study location as given on the command line or in OBSERVATION_DB (a connection string
    must stay a string: a Path would fold its '//'). Any other address is refused, not taken for
    a file name (a mistyped scheme would otherwise create folders named after it)."""
    if is_postgres(text):
        return str(text)
    if re.match(r"^[A-Za-z][A-Za-z0-9+.-]*://", str(text)):
        raise ValueError(f"{shown(text)} is not a study location: give a file path, or postgresql://USER@HOST/DATABASE")
    return Path(text)


def require_file(where: Location, what: str) -> Path:
    """``where`` as a file path; a PostgreSQL study is refused with what to do instead."""
    if is_postgres(where):
        raise ObservationError(
            f"{shown(where)}: {what} works on study files; a PostgreSQL study is backed up and protected by "
            "PostgreSQL itself (pg_dump, or your managed database's backups and encryption). To copy it to or from "
            "a study file: python -m observation migrate --from SOURCE --to TARGET"
        )
    return Path(where)


def missing_file(where: Location) -> bool:
    """A study file location with no file there (opening it for writing would create one)."""
    return not is_postgres(where) and not Path(where).exists()


def is_postgres(location: Path | str) -> bool:
    """Whether a study location names a PostgreSQL database rather than a DuckDB file."""
    return str(location).startswith(POSTGRES_SCHEMES)


def shown(text: Path | str) -> str:
    """A study location, or a message naming one, as it may be shown: any password in a connection
    string is hidden (up to the last '@' of the address, so an unencoded '@' or '/' in it too)."""
    hidden = re.sub(r"([A-Za-z][A-Za-z0-9+.-]*:/+[^:/@\s\"']*):[^\s\"']*@", r"\1:***@", str(text))
    return re.sub(r"(password=)[^&\s\"']*", r"\1***", hidden)


def on_postgres(cur: duckdb.DuckDBPyConnection) -> bool:
    return _ATTACHED.get(cur) == POSTGRES


def cursor(con: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection:
    """A cursor of the study: every unit of work takes its own. (An attached study, encrypted or
    in PostgreSQL, is named "study", and a new cursor starts in DuckDB's in-memory database.)"""
    cur = con.cursor()
    kind = _ATTACHED.get(con)
    if kind is not None:
        _ATTACHED[cur] = kind
        cur.execute("use study")
        if kind == POSTGRES:  # the tables in PostgreSQL, then the macros in DuckDB's memory
            cur.execute("set search_path = 'study.public,memory.main'")
    return cur


KEY_FROM_ENVIRONMENT = "OBSERVATION_DB_KEY"


def configured_key() -> str | None:
    """The study key the environment gives (OBSERVATION_DB_KEY), if any."""
    return os.environ.get(KEY_FROM_ENVIRONMENT) or None


class _FromEnvironment:
    """The key OBSERVATION_DB_KEY gives, if any (connect's default)."""


FROM_ENVIRONMENT = _FromEnvironment()
StudyKey = str | _FromEnvironment | None
"""A key as ``connect`` takes it: the key, FROM_ENVIRONMENT (OBSERVATION_DB_KEY's, if set), or None (plain)."""


def connect(
    path: Path | str, *, read_only: bool = False, key: StudyKey = FROM_ENVIRONMENT
) -> duckdb.DuckDBPyConnection:
    """Open (creating if needed) the study at ``path`` and apply pending migrations. With a key
    (``key``; by default OBSERVATION_DB_KEY's) the file is encrypted (AES-256-GCM, DuckDB's own),
    and a new file is created encrypted; ``key=None``: a plain file, whatever the environment says.
    A ``postgresql://`` location opens (and, if empty, creates) the study in that database."""
    if is_postgres(path):
        return _connect_postgres(str(path), read_only)
    path = Path(path)
    sweep_leftovers(path)  # before opening: a plain copy goes even when the study then does not open
    key = configured_key() if isinstance(key, _FromEnvironment) else key
    if read_only and not path.exists():
        raise ObservationError(f"{path}: no study file here")
    if not read_only:
        path.parent.mkdir(parents=True, exist_ok=True)
    try:
        con = _open_encrypted(path, key, read_only) if key else duckdb.connect(str(path), read_only=read_only)
    except duckdb.IOException as exc:
        raise _translate_open_error(path, exc) from None
    except duckdb.Error as exc:
        raise _translate_key_error(path, exc, key) from None
    try:
        if not read_only and _first_write(path):
            _sweep_spills(path)
        _refuse_other_files(con, path)
        if not read_only:
            migrate(con)
    except BaseException:
        con.close()
        raise
    return con


def _open_encrypted(path: Path, key: str, read_only: bool) -> duckdb.DuckDBPyConnection:
    con = _cipher_connection(path)
    try:
        _attach(con, path, "study", key, read_only=read_only)
        con.execute("use study")
    except BaseException:
        con.close()
        raise
    _ATTACHED[con] = ENCRYPTED
    return con


def _connect_postgres(url: str, read_only: bool) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB with the study's PostgreSQL database attached as "study" and the table
    macros in its own memory; the schema is created or brought up to date (unless read-only)."""
    con = duckdb.connect()
    try:
        load_extension(con, "postgres_scanner")
        _check_connection_string(url)
        con.execute(f"attach {_literal(url)} as study (type postgres{', read_only' if read_only else ''})")
        _ATTACHED[con] = POSTGRES
        con.execute("use study")
        _refuse_other_files(con, url)
        if not read_only:
            migrate(con)
        elif con.execute(
            "select count(*) from duckdb_tables() where database_name = 'study' and schema_name = 'public' "
            "and table_name = 'study'"
        ).fetchone() != (1,):
            raise ObservationError(
                f"{shown(url)} holds no study yet: copy one in with "
                f"python -m observation migrate --from STUDY.duckdb --to {shown(url)}"
            )
        con.execute("use memory")  # the macros go in DuckDB's memory, and read the study's tables
        con.execute("set search_path = 'memory.main,study.public'")
        con.execute(MACROS_SQL)
        con.execute("use study")
        con.execute("set search_path = 'study.public,memory.main'")
    except duckdb.Error as exc:
        con.close()
        raise ObservationError(f"{shown(url)}: cannot be opened ({shown(_first_line(exc))})") from None
    except BaseException:
        con.close()
        raise
    return con


def _check_connection_string(url: str) -> None:
    # ATTACH takes no parameters: the location goes in as a quoted literal, where DuckDB would read
    # a backslash as an escape.
    if "\\" in url:
        raise ObservationError(f"{shown(url)}: a study location may not contain a backslash")


def _cipher_connection(path: Path, spills: Path | None = None) -> duckdb.DuckDBPyConnection:
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


def _check_key(key: str) -> None:
    # DuckDB reads a backslash in a key as the start of an escape: the bytes would not be the key typed.
    if "\\" in key:
        raise ObservationError("the study key may not contain a backslash: choose another key")


def load_extension(con: duckdb.DuckDBPyConnection, name: str) -> None:
    """Load a DuckDB extension from its PyPI package (duckdb-extension-NAME, pinned beside duckdb):
    nothing is downloaded at run time."""
    extension = files(f"duckdb_extension_{name}").joinpath(
        "extensions", f"v{duckdb.__version__}", f"{name}.duckdb_extension"
    )
    con.execute(f"load {_literal(str(extension))}")


def _literal(text: str) -> str:
    """A string as an SQL literal (ATTACH takes no parameters)."""
    return "'" + text.replace("'", "''") + "'"


class EncryptedStudyError(ObservationError):
    """An encrypted study was opened without a key."""


class PlainStudyError(ObservationError):
    """A study that is not encrypted was opened with a key."""


def _translate_key_error(path: Path, exc: duckdb.Error, key: str | None) -> ObservationError:
    """One line, and never the key: DuckDB's own message is shown only when no key was given."""
    lowered = _first_line(exc).lower()
    if not key:
        if "encrypt" in lowered:
            return EncryptedStudyError(f"{path} is encrypted: {KEY_HELP}")
        return ObservationError(f"{path} is not a DuckDB study file ({_first_line(exc)})")
    if "not encrypted" in lowered or "unencrypted" in lowered:
        return PlainStudyError(
            f"{path} is not encrypted, but a key is set: unset OBSERVATION_DB_KEY, or encrypt the file "
            f"first with: python -m observation encrypt --db {path}"
        )
    if "key" in lowered or "encrypt" in lowered:
        return ObservationError(f"{path} did not open: the key given is not this study's key")
    return ObservationError(f"{path} did not open with the key given: is it a study file?")


def _refuse_other_files(con: duckdb.DuckDBPyConnection, path: Path | str) -> None:
    """A DuckDB file (or PostgreSQL database) with tables but no study table is someone else's:
    never add ours to it."""
    tables = {
        name
        for (name,) in con.execute(
            "select table_name from duckdb_tables() "
            "where database_name = current_database() and schema_name = current_schema()"
        ).fetchall()
    }
    if tables and "study" not in tables:
        what = "PostgreSQL database" if is_postgres(path) else "DuckDB file"
        raise ObservationError(
            f"{shown(path)} is a {what} but not a study (it has no study table); "
            "open a study, or create one with: python -m observation demo --db NEW_FILE"
        )


def migrate(con: duckdb.DuckDBPyConnection, migrations: tuple[Migration, ...] = MIGRATIONS) -> list[str]:
    """Create what is missing and apply the migrations not yet recorded; return their names."""
    applied: list[str] = []
    with transaction(con) as cur:
        postgres = on_postgres(cur)
        if postgres:
            cur.execute("call postgres_execute('study', ?)", [POSTGRES_SCHEMA_SQL])
        else:
            cur.execute(SCHEMA_SQL)
        done = {name for (name,) in cur.execute("select name from migrations").fetchall()}
        for name, sql in migrations:
            if name in done:
                continue
            if postgres:
                if name in POSTGRES_MIGRATIONS:
                    cur.execute("call postgres_execute('study', ?)", [POSTGRES_MIGRATIONS[name]])
                elif name not in _IN_POSTGRES_SCHEMA:
                    raise ObservationError(f"migration {name} has no PostgreSQL version (db.POSTGRES_MIGRATIONS)")
            elif isinstance(sql, str):
                cur.execute(sql)
            else:
                sql(cur)
            cur.execute("insert into migrations (name) values (?)", [name])
            applied.append(name)
    return applied


WRITES = threading.RLock()
"""Held by every write transaction of this process (the only one with the study file open), so
that two sessions' writes take turns: each checks references (observation.integrity) against the
other's committed rows, never against a snapshot the other is about to change. Several processes
on one PostgreSQL study take turns the same way through a PostgreSQL lock (``begin``)."""

# Taken first in every write transaction on PostgreSQL: writes of all app servers take turns, and
# each statement after the lock reads what the others committed (DuckDB's postgres extension opens
# its transactions REPEATABLE READ, whose snapshot would predate the wait).
# A server that waits longer than a minute (another one holding the lock through a very long
# import) gives up with a message rather than hanging the page.
_POSTGRES_WRITES = (
    "set transaction isolation level read committed; set local lock_timeout = '60s'; "
    "select pg_advisory_xact_lock(7305853)"
)


def begin(cur: duckdb.DuckDBPyConnection) -> None:
    """Start a write transaction on ``cur`` (hold WRITES around it)."""
    cur.execute("begin transaction")
    if on_postgres(cur):
        cur.execute("call postgres_execute('study', ?)", [_POSTGRES_WRITES])


@contextmanager
def transaction(con: duckdb.DuckDBPyConnection) -> Iterator[duckdb.DuckDBPyConnection]:
    """A cursor inside one transaction: everything in the block is written, or nothing is."""
    with WRITES:
        yield from _transaction(con)


def _transaction(con: duckdb.DuckDBPyConnection) -> Iterator[duckdb.DuckDBPyConnection]:
    cur = cursor(con)
    try:
        begin(cur)
        try:
            yield cur
            keep_meeting_facts(cur)
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


def keep_meeting_facts(cur: duckdb.DuckDBPyConnection) -> None:
    """Bring a study file's meeting_facts table up to date in the write transaction of ``cur``
    before it commits (every write does: db.transaction, and the import's own transaction). On
    PostgreSQL, triggers keep the table (schema_postgres.sql)."""
    if not on_postgres(cur):
        facts.refresh(cur)


def sync_sequences(cur: duckdb.DuckDBPyConnection, tables: tuple[str, ...] = ID_TABLES) -> None:
    """Move each table's id sequence past the largest id stored, after rows were written with
    explicit ids (the demo, imports, a copied study), so that the next row without an id gets a free one."""
    for table in tables:
        (largest,) = cur.execute(f"select coalesce(max(id), 0) from {table}").fetchone()  # type: ignore[misc]  # noqa: S608 - our own table names
        if on_postgres(cur):
            if largest:
                sequence = f"public.{table}_id_seq"
                cur.execute(
                    "call postgres_execute('study', ?)",
                    [f"select setval('{sequence}', greatest({int(largest)}, (select last_value from {sequence})))"],  # noqa: S608 - our own table name, a number
                )
            continue
        (last,) = cur.execute(
            "select coalesce(last_value, 0) from duckdb_sequences() where sequence_name = ?", [f"{table}_id_seq"]
        ).fetchone()  # type: ignore[misc]
        if largest > last:
            cur.execute("select count(nextval(?)) from range(?)", [f"{table}_id_seq", largest - last])


def insert_row(cur: duckdb.DuckDBPyConnection, table: str, fields: dict[str, Any]) -> int:
    """Insert one row of ``fields`` into ``table`` (one of ID_TABLES) and return its new id, drawn
    from the table's sequence first (DuckDB writes to PostgreSQL without RETURNING)."""
    if table not in ID_TABLES:
        raise ValueError(f"not a table with ids: {table}")
    if on_postgres(cur):
        sql = f"select nextval('public.{table}_id_seq')::integer"
        (new_id,) = cur.execute("select * from postgres_query('study', ?)", [sql]).fetchone()  # type: ignore[misc]
    else:
        (new_id,) = cur.execute("select nextval(?)", [f"{table}_id_seq"]).fetchone()  # type: ignore[misc]
    columns = ["id", *fields]
    cur.execute(
        f"insert into {table} ({', '.join(columns)}) values ({', '.join('?' * len(columns))})",  # noqa: S608 - table from ID_TABLES, columns from our models
        [new_id, *fields.values()],
    )
    return int(new_id)


def require_empty(cur: duckdb.DuckDBPyConnection, what: str, tables: tuple[str, ...] = STUDY_TABLES) -> None:
    """Refuse to fill a study that already holds rows (the demo, a full export and a copied study
    go into empty ones)."""
    filled = [t for t in tables if _count(cur, t)]
    if filled:
        raise ObservationError(f"{what} goes into an empty study: this one already holds {', '.join(filled)}")


def data_version(con: duckdb.DuckDBPyConnection) -> int:
    """A number that changes whenever a change to the study's data is committed, by any process.
    A study file is open in one process only (it is locked), which clears its own caches when it
    writes: always 0. On PostgreSQL, PostgreSQL counts the changes itself (schema_postgres.sql)."""
    if not on_postgres(con):
        return 0
    with cursor(con) as cur:
        (version,) = cur.execute("select version from study_changes").fetchone()  # type: ignore[misc]
    return int(version)


def table_counts(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """Rows in each study table (the table names come from the fixed list, never from input)."""
    with cursor(con) as cur:
        return {t: _count(cur, t) for t in STUDY_TABLES}


def _count(cur: duckdb.DuckDBPyConnection, table: str) -> int:
    row = cur.execute(f"select count(*) from {table}").fetchone()  # noqa: S608 - a name from STUDY_TABLES
    return int(row[0]) if row else 0


def _translate_open_error(path: Path, exc: duckdb.IOException) -> ObservationError:
    message = str(exc)
    if "lock" in message.lower():
        pid = _LOCK_PID.search(message)
        holder = f" (process {pid.group(1)})" if pid else ""
        return StudyLockedError(
            f"{path} is already open in another program{holder}: close that dashboard or command "
            "first, or work on a copy of the file."
        )
    return ObservationError(f"{path}: cannot be opened ({_first_line(exc)})")


def said(exc: BaseException) -> str:
    """What the database said, in one line, any password hidden: PostgreSQL's own words without
    the extension's wrapping (which may quote a whole statement)."""
    return shown(re.sub(r"^.*?\bERROR:\s+", "", _first_line(exc)))


def _first_line(exc: BaseException) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__


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
        connect(path, key=key).close()  # in use elsewhere, wrong key or not a study: stops here
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
    staging = path.with_name(f".{path.name}{_CONVERTING}")
    with private_files(), cleanup_on_signals():
        if staging.is_dir() and not _in_use(staging):  # an empty one a run killed a moment ago left
            shutil.rmtree(staging)
        staging.mkdir(mode=0o700)
        try:
            with held(staging):
                _convert_into(path, staging / path.name, key, new_key)
                os.chmod(path, mode)  # the study keeps its own permissions; only the copy on the way was private
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    return True


def _convert_into(path: Path, target: Path, key: str | None, new_key: str | None) -> None:
    con = _cipher_connection(path, spills=target.parent / "spills")
    try:
        _attach(con, path, "source", key)
        con.execute("checkpoint source")
        if Path(f"{path}.wal").exists() and Path(f"{path}.wal").stat().st_size:
            raise ObservationError(f"{path}: its write-ahead log could not be folded in; it was left as it was")
        _attach(con, target, "target", new_key)
        con.execute("copy from database source to target")
        _compare(con, path)
        con.execute("detach target")
        os.replace(target, path)  # while the old file is still held: nobody wrote to it meanwhile
    except duckdb.Error as exc:
        shown = _first_line(exc)
        for secret in filter(None, (key, new_key)):
            shown = shown.replace(secret, "…")
        raise ObservationError(f"{path} could not be converted ({shown}); it was left as it was") from None
    finally:
        con.close()


def _opens_with(path: Path, key: str) -> bool:
    try:
        connect(path, key=key, read_only=True).close()
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


def _attach(con: duckdb.DuckDBPyConnection, path: Path, name: str, key: str | None, read_only: bool = False) -> None:
    """ATTACH ``path`` as ``name`` (a fixed word), encrypted with ``key`` if given. ATTACH takes no
    parameters: the path and key go in as quoted literals."""
    options = []
    if key:
        _check_key(key)
        options.append(f"encryption_key {_literal(key)}")
    if read_only:
        options.append("read_only")
    con.execute(f"attach {_literal(str(path))} as {name}" + (f" ({', '.join(options)})" if options else ""))


# --- files at rest: what an interrupted command leaves beside a study --------------------------

_LOG = logging.getLogger("observation")
_CONVERTING = ".converting.tmp"
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
            if _just_made(entry) or _in_use(leftover, duckdb_lock=what == "legacy"):
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
    if entry.name.endswith(_CONVERTING):
        return "converting" if entry.is_dir(follow_symlinks=False) else "legacy"
    if entry.name.endswith(f"{_CONVERTING}.wal"):
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


def _in_use(path: Path, *, duckdb_lock: bool = False) -> bool:
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


def _first_write(path: Path) -> bool:
    """True the first time this process opens ``path`` for writing."""
    where = str(path.resolve())
    with _OPENED_LOCK:
        first = where not in _OPENED
        _OPENED.add(where)
    return first


def _sweep_spills(path: Path) -> list[str]:
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
