"""The one lookup from a connection (or a cursor of it) to its backend, and the cursor every unit
of work takes: it starts in the study, and DuckDB's read errors become an ObservationError here."""

from __future__ import annotations

from types import TracebackType
from typing import Any, cast

import duckdb

from observation.errors import ObservationError
from observation.store.backend import Backend, bind, bound
from observation.store.location import said
from observation.store.study_file import STUDY_FILE


def backend_of(con: duckdb.DuckDBPyConnection) -> Backend:
    """The backend of a connection or cursor: the one that opened it, or a plain study file's when
    it was opened some other way (as a test, or an old study's upgrade, opens one with DuckDB)."""
    if isinstance(con, Cursor):
        return con.backend
    return bound(con) or STUDY_FILE


def new_cursor(con: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection:
    """DuckDB's own cursor of ``con``, bound to its backend and pointed at the study."""
    backend = backend_of(con)
    cur = con.cursor()
    bind(cur, backend)
    backend.prepare_cursor(cur)
    return cur


PROGRAMMING_ERRORS = (duckdb.BinderException, duckdb.ParserException)
"""A query that names a column or table wrongly is a bug in this program, not a study that cannot
be read: it keeps its own error and traceback."""


class Cursor:
    """What ``cursor`` gives. ``with cursor(con) as cur`` yields DuckDB's own cursor, closes it
    after the block, and turns a duckdb.Error raised in the block into an ObservationError of one
    plain line: read errors are translated here, once. Used without ``with``, it stands for the
    cursor (every attribute is the cursor's) and translates nothing: its user (an import's own
    transaction) says what failed itself."""

    __slots__ = ("_cur", "backend")

    def __init__(self, cur: duckdb.DuckDBPyConnection, backend: Backend) -> None:
        self._cur, self.backend = cur, backend

    def __enter__(self) -> duckdb.DuckDBPyConnection:
        return self._cur

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self._cur.close()
        if isinstance(exc, duckdb.Error) and not isinstance(exc, PROGRAMMING_ERRORS):
            raise ObservationError(f"the study could not be read: {said(exc)}") from exc

    def __getattr__(self, name: str) -> Any:
        return getattr(self._cur, name)


def cursor(con: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection:
    """A cursor of the study (see ``Cursor``): every unit of work takes its own, and reads its
    result completely before returning. Typed as DuckDB's cursor, which is what ``with`` gives."""
    cur = new_cursor(con)
    return cast(duckdb.DuckDBPyConnection, Cursor(cur, backend_of(con)))
