"""What differs between the places a study is kept, behind one small interface; which backend
opened a connection (``bind``, read through ``observation.store.cursor.backend_of``); and what the
backends share.

Every query in the project is DuckDB SQL whichever backend holds the tables; a backend says how
to open the study, bring its shape up to date, start and finish a write, draw ids, and tell
whether another process changed the data.
"""

from __future__ import annotations

import weakref
from abc import ABC, abstractmethod
from collections.abc import Callable, Collection, Sequence
from importlib.resources import files
from typing import Any, ClassVar

import duckdb

from observation.errors import ObservationError
from observation.store.location import Location, literal, shown
from observation.store.migrations import Migration

Upgrade = Callable[[duckdb.DuckDBPyConnection], object]


class Backend(ABC):
    """How a study is kept: a study file (plain or encrypted) or a PostgreSQL database."""

    kind: ClassVar[str]
    """What the backend is called in a message ("DuckDB file", "PostgreSQL database")."""

    @abstractmethod
    def open(self, where: Location, *, read_only: bool, upgrade: Upgrade | None) -> duckdb.DuckDBPyConnection:
        """Open (creating if need be, unless ``read_only``) the study at ``where``, bound to this
        backend (``bind``). Unless ``read_only``, ``upgrade`` (db.migrate: this backend's
        ``migrate`` in a write transaction) brings its shape up to date; None leaves it as it is."""

    @abstractmethod
    def prepare_cursor(self, cur: duckdb.DuckDBPyConnection) -> None:
        """Point a new cursor at the study (a new cursor starts in DuckDB's in-memory database)."""

    @abstractmethod
    def migrate(self, cur: duckdb.DuckDBPyConnection, migrations: Sequence[Migration]) -> list[str]:
        """In the open transaction of ``cur``: create what is missing and apply this backend's half
        of each migration not yet recorded; their names."""

    @abstractmethod
    def begin_write(self, cur: duckdb.DuckDBPyConnection) -> None:
        """Right after a write transaction has begun on ``cur``: what makes writers take turns."""

    @abstractmethod
    def after_write(self, cur: duckdb.DuckDBPyConnection, meetings: Collection[int] | None = None) -> None:
        """Just before a write transaction of ``cur`` commits: keep what is derived from the rows
        (meeting_facts) up to date; ``meetings``: the only meetings the write can have changed
        (None: any)."""

    @abstractmethod
    def next_id(self, cur: duckdb.DuckDBPyConnection, table: str) -> int:
        """A new id for a row of ``table`` (one of shape.ID_TABLES), drawn from its sequence."""

    @abstractmethod
    def sync_sequences(self, cur: duckdb.DuckDBPyConnection, tables: Sequence[str]) -> None:
        """Move each table's id sequence past the largest id stored."""

    @abstractmethod
    def data_version(self, con: duckdb.DuckDBPyConnection) -> int:
        """A number that changes whenever any process commits a change to the study's data."""


_BOUND: weakref.WeakKeyDictionary[Any, Backend] = weakref.WeakKeyDictionary()


def bind(con: duckdb.DuckDBPyConnection, backend: Backend) -> None:
    """Say that ``con`` (a connection, a cursor of one, or a stand-in for one) is ``backend``'s."""
    _BOUND[con] = backend


def bound(con: duckdb.DuckDBPyConnection) -> Backend | None:
    """The backend ``con`` was bound to, if any (``observation.store.cursor.backend_of`` says
    which backend an unbound connection is)."""
    return _BOUND.get(con)


def load_extension(con: duckdb.DuckDBPyConnection, name: str) -> None:
    """Load a DuckDB extension from its PyPI package (duckdb-extension-NAME, pinned beside duckdb):
    nothing is downloaded at run time."""
    extension = files(f"duckdb_extension_{name}").joinpath(
        "extensions", f"v{duckdb.__version__}", f"{name}.duckdb_extension"
    )
    con.execute(f"load {literal(str(extension))}")


def refuse_other_files(con: duckdb.DuckDBPyConnection, where: Location, kind: str) -> None:
    """A DuckDB file (or PostgreSQL database: ``kind``) with tables but no study table is someone
    else's: never add ours to it."""
    tables = {
        name
        for (name,) in con.execute(
            "select table_name from duckdb_tables() "
            "where database_name = current_database() and schema_name = current_schema()"
        ).fetchall()
    }
    if tables and "study" not in tables:
        raise ObservationError(
            f"{shown(where)} is a {kind} but not a study (it has no study table); "
            "open a study, or create one with: python -m observation demo --db NEW_FILE"
        )
