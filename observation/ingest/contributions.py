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
import datetime as dt
import json
from collections import Counter
from collections.abc import Callable, Mapping
from typing import Any

import duckdb
import pandas as pd

from observation.ingest.bulk import Written
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
    names = _Names(cur)
    ready: list[tuple[int, int, int, str, int, str]] = []
    read: dict[tuple[str, str], tuple[Any, str | None]] = {}
    for number, row in enumerate(sheet.rows, start=2):
        tally(number)
        if not any(row.values()):
            continue
        values: dict[str, Any] = {}
        for column in COLUMNS:
            raw = row.get(column, "")
            if (column, raw) not in read:  # each distinct cell read once (a date checks the settings)
                read[column, raw] = _parse(parsers[column], raw)
            values[column], reason = read[column, raw]
            if reason is not None:
                out.problems.append((number, column, raw, reason))
        if out.problems and out.problems[-1][0] == number:
            continue  # what its values name is checked once they are all read
        try:
            meeting, person = names.check(row, values)
        except _Refused as exc:
            out.problems.append((number, exc.column, exc.value, exc.reason))
            continue
        ready.append((number, meeting, person, values["kind"], values["minute"], values["observer"]))
    if out.problems or not ready:
        return out
    _write(cur, sheet.name, ready, who, out)
    return out


def _parse(parse: Callable[[str], Any], raw: str) -> tuple[Any, str | None]:
    try:
        return parse(raw), None
    except ValueError as exc:
        return None, str(exc)


class _Refused(Exception):
    """A row's first problem with what its values name."""

    def __init__(self, column: str, value: str, reason: str) -> None:
        super().__init__(reason)
        self.column, self.value, self.reason = column, value, reason


class _Names:
    """What a row's values name in the study, looked up once per distinct value: its meeting's and
    person's ids, or _Refused with the row's first problem with them."""

    def __init__(self, cur: duckdb.DuckDBPyConnection) -> None:
        self.cur = cur
        self.teams: dict[str, tuple[Any, ...] | None] = {}  # id, name
        self.meetings: dict[tuple[int, dt.date], tuple[Any, ...] | None] = {}  # id, status
        self.people: dict[str, tuple[Any, ...] | None] = {}  # id, team id, team's name
        self.marks: dict[tuple[int, int], tuple[Any, ...] | None] = {}  # attendance status

    def one(self, sql: str, params: list[Any]) -> tuple[Any, ...] | None:
        found = self.cur.execute(sql, params).fetchone()
        return None if found is None else tuple(found)

    def check(self, row: dict[str, str], values: dict[str, Any]) -> tuple[int, int]:
        name, day, code = values["team"], values["date"], values["participant"]
        if name not in self.teams:  # exactly that name, else the one that differs only in case
            self.teams[name] = self.one(
                "select id, name from teams where lower(name) = lower(?) order by name <> ?, id limit 1", [name, name]
            )
        team = self.teams[name]
        if team is None:
            raise _Refused("team", row["team"], "no such team in the study or in this import")
        if (team[0], day) not in self.meetings:
            self.meetings[team[0], day] = self.one(
                "select id, status from meetings where team_id = ? and meeting_date = ?", [team[0], day]
            )
        meeting = self.meetings[team[0], day]
        if meeting is None:
            raise _Refused("date", row["date"], "no meeting of that team on that date")
        if meeting[1] != "held":
            raise _Refused(
                "date", row["date"], f"that meeting was {meeting[1]}: contributions are recorded at a held meeting"
            )
        if code not in self.people:
            self.people[code] = self.one(
                "select p.id, p.team_id, t.name from participants as p join teams as t on t.id = p.team_id "
                "where p.code = ?",
                [code],
            )
        person = self.people[code]
        if person is None:
            raise _Refused("participant", row["participant"], "no such participant in the study or in this import")
        if person[1] != team[0]:
            raise _Refused("participant", row["participant"], f"a member of {person[2]}, not of {team[1]}")
        if (meeting[0], person[0]) not in self.marks:
            self.marks[meeting[0], person[0]] = self.one(
                "select status from attendance where meeting_id = ? and participant_id = ?", [meeting[0], person[0]]
            )
        mark = self.marks[meeting[0], person[0]]
        if mark is None or mark[0] != "present":
            said = "no attendance recorded" if mark is None else f"recorded as {mark[0]}"
            raise _Refused("participant", row["participant"], f"not marked present at that meeting ({said}): "
                           "record them present, in the study or in this import")  # fmt: skip
        return int(meeting[0]), int(person[0])


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
