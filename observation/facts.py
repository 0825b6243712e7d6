"""The meeting_facts table: one row per meeting with what every page counts (schema.sql), kept
equal to the view meeting_facts_computed by the write transaction that changes what it derives from."""

from __future__ import annotations

from collections.abc import Collection

import duckdb


def refresh(cur: duckdb.DuckDBPyConnection, meetings: Collection[int] | None = None) -> None:
    """Bring meeting_facts to what meeting_facts_computed gives, in the open write transaction of
    ``cur``. Only the meetings whose facts differ are rewritten; finding them means computing every
    meeting's facts once (about 0.1 s at a million attendance rows), which is what each page query
    did before the table existed.

    ``meetings``: the only meetings whose facts the write can have changed (an import that wrote
    attendance and meetings, and changed no participant's role): the facts of every meeting whose id
    lies between the least and the greatest of them are computed and rewritten, the others left
    alone. (A range, not the list: DuckDB takes it down to the table scans, where a list is joined
    after every meeting's facts were computed; a meeting in the range that the write did not touch
    gets the facts it had.) A meeting the write deleted must not be left out."""
    if meetings is None:
        cur.execute("create or replace temp table _meeting_facts as from meeting_facts_computed")
        cur.execute(
            "delete from meeting_facts where meeting_id in "
            "(select meeting_id from (from meeting_facts except from _meeting_facts))"
        )
        cur.execute("insert into meeting_facts from (from _meeting_facts except from meeting_facts)")
        cur.execute("drop table _meeting_facts")
    elif meetings:
        between = [min(meetings), max(meetings)]
        cur.execute("delete from meeting_facts where meeting_id between ? and ?", between)
        cur.execute("insert into meeting_facts from meeting_facts_computed where meeting_id between ? and ?", between)
