"""The audit trail: every write appends here, in the same transaction as the write itself.
Nothing in the product updates or deletes an audit row."""

from __future__ import annotations

import contextvars
import json
from typing import Literal

import duckdb

Action = Literal[
    "create", "change", "delete", "import", "export", "restore", "sign_in", "refused", "grant", "revoke"
]  # fmt: skip
ACTIONS: tuple[Action, ...] = Action.__args__  # type: ignore[attr-defined]

_ACTOR: contextvars.ContextVar[str] = contextvars.ContextVar("observation_actor", default="nobody signed in")


def actor() -> str:
    """Who is writing: the name observation.access.act_as set for this thread."""
    return _ACTOR.get()


def act_as(name: str) -> str:
    """Name who writes from now on in this thread; returns who did before."""
    before = _ACTOR.get()
    _ACTOR.set(name)
    return before


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
