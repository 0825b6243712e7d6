"""The meeting_facts table: one row per meeting with what every page counts (schema.sql), kept
equal to the view meeting_facts_computed by the write transaction that changes what it derives from."""

from __future__ import annotations

import duckdb


def refresh(cur: duckdb.DuckDBPyConnection) -> None:
    """Bring meeting_facts to what meeting_facts_computed gives, in the open write transaction of
    ``cur``. Only the meetings whose facts differ are rewritten; finding them means computing every
    meeting's facts once (about 0.1 s at a million attendance rows), which is what each page query
    did before the table existed."""
    cur.execute("create or replace temp table _meeting_facts as from meeting_facts_computed")
    cur.execute(
        "delete from meeting_facts where meeting_id in "
        "(select meeting_id from (from meeting_facts except from _meeting_facts))"
    )
    cur.execute("insert into meeting_facts from (from _meeting_facts except from meeting_facts)")
    cur.execute("drop table _meeting_facts")
