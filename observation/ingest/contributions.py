"""Contributions observed live, from a file of one row per contribution: team, date, minute,
participant, kind, observer.

Each row is checked as every kind's rows are (the same reasons, one problem a cell): its values,
then what they name — the team, a held meeting of that team on that date, a participant of that
team marked present at it (in the study, or by this import's attendance or register, which are
written before). Two identical rows are two contributions (someone spoke twice in a minute), so
rows are matched to the study as a multiset, never refused as repeats: for each meeting,
observer, participant, minute and kind, a file holding k such rows where the study holds m adds
k − m when k > m, and nothing otherwise. Importing the same file again changes nothing, and a
file that is an earlier part of what the study holds adds nothing either.
"""

# ruff: noqa: S608 - the only names put into SQL here are this module's own
from __future__ import annotations

import contextlib
import json
from collections import Counter
from collections.abc import Callable, Mapping
from typing import Any

import duckdb
import pandas as pd

from observation.ingest.bulk import Written
from observation.ingest.present import Cells, PresentAt, Refused
from observation.ingest.read import Sheet

COLUMNS = ("team", "date", "minute", "participant", "kind", "observer")
KEY = ("meeting_id", "participant_id", "kind", "minute", "observer")
"""What makes two contributions the same: matched as a multiset on it."""


def contributions(
    cur: duckdb.DuckDBPyConnection,
    sheet: Sheet,
    parsers: Mapping[str, Callable[[str], Any]],
    who: str,
    tally: Callable[[int], object] = lambda row: None,
) -> Written:
    """Check ``sheet``'s rows and add the contributions the study does not hold yet, with ``cur``
    (inside the import's transaction), each audited as ``who``'s. ``tally`` hears each row read."""
    assert set(parsers) == set(COLUMNS), "the contributions kind and this writer must name the same columns"
    out = Written()
    names = PresentAt(cur, "contributions are recorded at a held meeting")
    ready: list[tuple[int, int, int, str, int, str]] = []
    cells = Cells(parsers)
    for number, row in enumerate(sheet.rows, start=2):
        tally(number)
        if not any(row.values()):
            continue
        values = cells.values(number, row, COLUMNS, out.problems)
        if values is None:
            continue
        try:
            meeting, person, _ = names.check(row, values)
        except Refused as exc:
            out.problems.append((number, exc.column, exc.value, exc.reason))
            continue
        ready.append((number, meeting, person, values["kind"], values["minute"], values["observer"]))
    if out.problems or not ready:
        return out
    _write(cur, sheet.name, ready, who, out)
    return out


def _write(
    cur: duckdb.DuckDBPyConnection, file: str, ready: list[tuple[int, int, int, str, int, str]], who: str, out: Written
) -> None:
    """Add, per key, the rows the file holds beyond the study's, each audited; count the rest as
    unchanged."""
    wanted = Counter(r[1:] for r in ready)
    meetings = sorted({r[1] for r in ready})
    held: Counter[tuple[Any, ...]] = Counter()
    cur.register("_meetings", pd.DataFrame({"meeting_id": meetings}))
    try:
        for *key, count in cur.execute(
            f"select {', '.join(KEY)}, count(*) from contributions "
            "where meeting_id in (select meeting_id from _meetings) group by all"
        ).fetchall():
            held[tuple(key)] = count
    finally:
        with contextlib.suppress(duckdb.Error):
            cur.unregister("_meetings")
    new = [key for key, k in wanted.items() for _ in range(k - held[key])]  # in the file's order
    out.counts.update({"created": len(new), "skipped": len(ready) - len(new)})
    if not new:
        return
    out.touched = sorted({key[0] for key in new})
    rows = pd.DataFrame(new, columns=list(KEY))
    audit = pd.DataFrame(
        {
            "actor": who,
            "action": "create",
            "table_name": "contributions",
            "row_key": [f"meeting_id={m}, participant_id={p}" for m, p, *_ in new],
            "after": [
                json.dumps({"kind": k, "minute": minute, "observer": o}, sort_keys=True) for _, _, k, minute, o in new
            ],
        }
    )
    cur.register("_new_contributions", rows)
    cur.register("_new_audit", audit)
    try:
        cur.execute(f"insert into contributions ({', '.join(KEY)}) select {', '.join(KEY)} from _new_contributions")
        cur.execute(
            "insert into audit (actor, action, table_name, row_key, after) "
            "select actor, action, table_name, row_key, after from _new_audit"
        )
    finally:
        with contextlib.suppress(duckdb.Error):  # after a failed statement: its rollback removes them anyway
            cur.unregister("_new_contributions")
            cur.unregister("_new_audit")


__all__ = ["COLUMNS", "KEY", "contributions"]
