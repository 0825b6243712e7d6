"""References between study tables, and the check that every one of them still points at a row.

DuckDB cannot delete (or re-point) rows and the row they point at in one transaction when the
reference is a declared foreign key, so the schema declares none; every write that can leave a
reference dangling — imports, the Record page, deletes, merges, restores — calls
``require_intact`` before it commits, and its whole transaction is refused when a reference
dangles.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass

import duckdb

from observation.errors import ObservationError


@dataclass(frozen=True, slots=True)
class Reference:
    table: str
    column: str
    target: str
    target_column: str = "id"


REFERENCES: tuple[Reference, ...] = (
    Reference("participants", "team_id", "teams"),
    Reference("participants", "role", "role_categories", "code"),
    Reference("meetings", "team_id", "teams"),
    Reference("meeting_roles", "meeting_id", "meetings"),
    Reference("meeting_roles", "participant_id", "participants"),
    Reference("attendance", "meeting_id", "meetings"),
    Reference("attendance", "participant_id", "participants"),
    Reference("attendance", "participation", "participation_levels", "code"),
    Reference("field_notes", "meeting_id", "meetings"),
    Reference("interviews", "team_id", "teams"),
    Reference("codes", "parent_id", "codes"),
    Reference("coded_segments", "note_id", "field_notes"),
    Reference("coded_segments", "interview_id", "interviews"),
    Reference("coded_segments", "code_id", "codes"),
    Reference("recruitment_events", "participant_id", "participants"),
    Reference("recruitment_events", "reason_code_id", "codes"),
    Reference("annotations", "team_id", "teams"),
)
"""Every reference; a null value refers to nothing and is allowed where the column allows it."""


@dataclass(frozen=True, slots=True)
class Dangling:
    reference: Reference
    rows: int
    example: str

    def __str__(self) -> str:
        r = self.reference
        return (
            f"{self.rows} row(s) of {r.table} name a {r.column} that is not in {r.target} (for example {self.example})"
        )


def dangling(
    cur: duckdb.DuckDBPyConnection, tables: Collection[str] | None = None, written: Mapping[str, str] | None = None
) -> list[Dangling]:
    """The references that point at no row, counted in DuckDB (one anti-join each); only those
    from or to ``tables`` when given (the tables a write touched).

    ``written``: for a table, the name of a temporary table holding the rows the write put into it
    (with its reference columns); the references from that table are looked for in those rows
    alone. Only for a write that deletes no row and changes no id: the table's other rows pointed
    at rows that are all still there."""
    found: list[Dangling] = []
    for ref in REFERENCES:
        if tables is not None and ref.table not in tables and ref.target not in tables:
            continue
        rows, example = cur.execute(
            f"""
            select count(*), any_value(cast(t.{ref.column} as varchar))
            from {(written or {}).get(ref.table, ref.table)} as t
            where t.{ref.column} is not null
              and not exists (select 1 from {ref.target} as x where x.{ref.target_column} = t.{ref.column})
            """  # noqa: S608 - names from REFERENCES, never from input
        ).fetchone()  # type: ignore[misc]
        if rows:
            found.append(Dangling(ref, int(rows), str(example)))
    return found


def require_intact(
    cur: duckdb.DuckDBPyConnection, tables: Collection[str] | None = None, written: Mapping[str, str] | None = None
) -> None:
    """Raise when a reference dangles, so that the caller's transaction writes nothing (``tables``
    and ``written``: as ``dangling`` takes them)."""
    problems = dangling(cur, tables, written)
    if problems:
        raise ObservationError(
            "the change was not saved because it would leave records pointing at nothing: "
            + "; ".join(str(p) for p in problems)
        )
