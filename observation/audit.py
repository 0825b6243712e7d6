"""The audit trail: every write appends here, in the same transaction as the write itself.
Nothing in the product updates or deletes an audit row."""

from __future__ import annotations

import getpass
import json
from typing import Literal

import duckdb

Action = Literal["create", "change", "delete", "import", "export", "restore"]


def actor() -> str:
    """Who is writing: the signed-in user later (issue 7); for now the local account."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # pragma: no cover - no account name in this environment
        return "local"


def record(
    cur: duckdb.DuckDBPyConnection,
    action: Action,
    table: str | None = None,
    row_key: str | None = None,
    before: object = None,
    after: object = None,
    who: str | None = None,
) -> None:
    """Append one audit row with ``cur`` (which must be inside the write's transaction)."""
    cur.execute(
        "insert into audit (actor, action, table_name, row_key, before, after) values (?, ?, ?, ?, ?, ?)",
        [
            who or actor(),
            action,
            table,
            row_key,
            None if before is None else json.dumps(before, default=str, sort_keys=True),
            None if after is None else json.dumps(after, default=str, sort_keys=True),
        ],
    )
