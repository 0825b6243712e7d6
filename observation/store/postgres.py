"""A study in a PostgreSQL database, shared by several app servers: DuckDB reads and writes its
tables through the postgres extension (attached as "study"), and keeps the table macros in its
own memory beside them. PostgreSQL itself keeps meeting_facts (triggers) and counts every change
(study_changes), and an advisory lock makes the writes of all servers take turns."""

from __future__ import annotations

from collections.abc import Collection, Sequence

import duckdb

from observation.errors import ObservationError
from observation.store.backend import Backend, Upgrade, bind, load_extension, refuse_other_files
from observation.store.cursor import cursor
from observation.store.location import Location, first_line, literal, shown
from observation.store.migrations import IN_POSTGRES_BASELINE, Migration, apply
from observation.store.shape import MACROS_SQL, POSTGRES_SCHEMA_SQL

# Taken first in every write transaction: writes of all app servers take turns, and each statement
# after the lock reads what the others committed (DuckDB's postgres extension opens its
# transactions REPEATABLE READ, whose snapshot would predate the wait). A server that waits
# longer than a minute (another one holding the lock through a very long import) gives up with a
# message rather than hanging the page.
_WRITES_TAKE_TURNS = (
    "set transaction isolation level read committed; set local lock_timeout = '60s'; "
    "select pg_advisory_xact_lock(7305853)"
)


class Postgres(Backend):
    """A study in PostgreSQL (a ``postgresql://`` location)."""

    kind = "PostgreSQL database"

    def open(self, where: Location, *, read_only: bool, upgrade: Upgrade | None) -> duckdb.DuckDBPyConnection:
        """An in-memory DuckDB with the database attached as "study" and the table macros in its
        own memory; the schema is created or brought up to date (unless read-only)."""
        url = str(where)
        # ATTACH takes no parameters: the location goes in as a quoted literal, where DuckDB would
        # read a backslash as an escape.
        if "\\" in url:
            raise ObservationError(f"{shown(url)}: a study location may not contain a backslash")
        con = duckdb.connect()
        try:
            load_extension(con, "postgres_scanner")
            con.execute(f"attach {literal(url)} as study (type postgres{', read_only' if read_only else ''})")
            bind(con, self)
            con.execute("use study")
            refuse_other_files(con, url, self.kind)
            if not read_only:
                if upgrade is not None:
                    upgrade(con)
            elif not self._holds_a_study(con):
                raise ObservationError(
                    f"{shown(url)} holds no study yet: copy one in with "
                    f"python -m observation migrate --from STUDY.duckdb --to {shown(url)}"
                )
            con.execute("use memory")  # the macros go in DuckDB's memory, and read the study's tables
            con.execute("set search_path = 'memory.main,study.public'")
            con.execute(MACROS_SQL)
            self.prepare_cursor(con)
        except duckdb.Error as exc:
            con.close()
            raise ObservationError(f"{shown(url)}: cannot be opened ({shown(first_line(exc))})") from None
        except BaseException:
            con.close()
            raise
        return con

    @staticmethod
    def _holds_a_study(con: duckdb.DuckDBPyConnection) -> bool:
        return con.execute(
            "select count(*) from duckdb_tables() where database_name = 'study' and schema_name = 'public' "
            "and table_name = 'study'"
        ).fetchone() == (1,)

    def prepare_cursor(self, cur: duckdb.DuckDBPyConnection) -> None:
        """The tables in PostgreSQL first, then the macros in DuckDB's memory."""
        cur.execute("use study")
        cur.execute("set search_path = 'study.public,memory.main'")

    def migrate(self, cur: duckdb.DuckDBPyConnection, migrations: Sequence[Migration]) -> list[str]:
        _execute(cur, POSTGRES_SCHEMA_SQL)
        applied = apply(cur, migrations, _run_postgres_half)
        if applied:  # DuckDB keeps its own copy of PostgreSQL's catalog: read the new shape afresh
            cur.execute("call pg_clear_cache()")
        return applied

    def begin_write(self, cur: duckdb.DuckDBPyConnection) -> None:
        """Wait for the lock every app server's writes take turns on."""
        _execute(cur, _WRITES_TAKE_TURNS)

    def after_write(self, cur: duckdb.DuckDBPyConnection, meetings: Collection[int] | None = None) -> None:
        """Nothing: PostgreSQL's triggers keep meeting_facts and count the change (schema_postgres.sql)."""

    def next_id(self, cur: duckdb.DuckDBPyConnection, table: str) -> int:
        """Drawn from PostgreSQL's sequence (DuckDB writes to PostgreSQL without RETURNING)."""
        sql = f"select nextval('public.{table}_id_seq')::integer"
        (new_id,) = cur.execute("select * from postgres_query('study', ?)", [sql]).fetchone()  # type: ignore[misc]
        return int(new_id)

    def sync_sequences(self, cur: duckdb.DuckDBPyConnection, tables: Sequence[str]) -> None:
        for table in tables:
            (largest,) = cur.execute(f"select coalesce(max(id), 0) from {table}").fetchone()  # type: ignore[misc]  # noqa: S608 - our own table names
            if largest:
                sequence = f"public.{table}_id_seq"
                _execute(
                    cur,
                    f"select setval('{sequence}', greatest({int(largest)}, (select last_value from {sequence})))",  # noqa: S608 - our own table name, a number
                )

    def data_version(self, con: duckdb.DuckDBPyConnection) -> int:
        """PostgreSQL's count of committed changes (schema_postgres.sql's study_changes)."""
        with cursor(con) as cur:
            (version,) = cur.execute("select version from study_changes").fetchone()  # type: ignore[misc]
        return int(version)


def _execute(cur: duckdb.DuckDBPyConnection, sql: str) -> None:
    """Run ``sql`` in PostgreSQL itself, in the transaction of ``cur``."""
    cur.execute("call postgres_execute('study', ?)", [sql])


def _run_postgres_half(cur: duckdb.DuckDBPyConnection, migration: Migration) -> None:
    step = migration.postgres
    if step is IN_POSTGRES_BASELINE:
        return  # schema_postgres.sql has had this shape from the start
    if isinstance(step, str):
        _execute(cur, step)
    elif callable(step):
        step(cur)


POSTGRES = Postgres()
