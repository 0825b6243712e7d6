"""Reading the audit trail back (the Audit trail page): researchers only. Apart from
observation/audit.py, which writes it and which observation/access.py imports."""

from __future__ import annotations

from collections.abc import Sequence

import duckdb
import pandas as pd

from observation import access, db


@access.requires("researcher")
def entries(
    con: duckdb.DuckDBPyConnection, actions: Sequence[str] = (), limit: int = 500, longest: int = 2000
) -> pd.DataFrame:
    """The latest ``limit`` entries with one of ``actions`` (none given: every action), newest first:
    id, written_at, actor, action, table_name, row_key, before, after. Values longer than
    ``longest`` characters (an import's list of the rows it created) are cut there and say how long
    they are."""
    with db.cursor(con) as cur:
        return cur.execute(
            """
            select id, written_at, actor, action, table_name, row_key,
                   cut_text(before::varchar, $longest) as before, cut_text(after::varchar, $longest) as after
            from audit
            where len($actions::varchar[]) = 0 or list_contains($actions::varchar[], action)
            order by id desc
            limit $limit
            """,
            {"actions": list(actions), "limit": limit, "longest": longest},
        ).fetchdf()
