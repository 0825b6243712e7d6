"""What a row about someone present at a held meeting names (the contributions and feedback kinds):
its team, the team's held meeting on that date and a participant of that team marked present at it,
each looked up once per distinct value; or ``Refused`` with the row's first problem with them."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Collection, Iterable, Mapping
from typing import Any

import duckdb

from observation import labels


def parse(parser: Callable[[str], Any], raw: str) -> tuple[Any, str | None]:
    """A cell read by ``parser``: its value, or None and the reason it was refused."""
    try:
        return parser(raw), None
    except ValueError as exc:
        return None, str(exc)


class Cells:
    """A kind's cells read by its ``parsers``, each distinct one once (a date checks the settings); a
    blank cell of an ``optional`` column is None, as a file without the column."""

    def __init__(self, parsers: Mapping[str, Callable[[str], Any]], optional: Collection[str] = ()) -> None:
        self.parsers, self.optional = parsers, optional
        self.read: dict[tuple[str, str], tuple[Any, str | None]] = {}

    def values(
        self, number: int, row: Mapping[str, str], columns: Iterable[str], problems: list[tuple[int, str, str, str]]
    ) -> dict[str, Any] | None:
        """Row ``number``'s value of each column; None, its problems added to ``problems`` (a problem a
        cell), when any cell was refused: what its values name is checked once they are all read."""
        values: dict[str, Any] = {}
        refused = False
        for column in columns:
            raw = row.get(column, "")
            if column in self.optional and not raw.strip():
                values[column] = None
                continue
            if (column, raw) not in self.read:
                self.read[column, raw] = parse(self.parsers[column], raw)
            values[column], reason = self.read[column, raw]
            if reason is not None:
                problems.append((number, column, raw, reason))
                refused = True
        return None if refused else values


class Refused(Exception):
    """A row's first problem with what its values name."""

    def __init__(self, column: str, value: str, reason: str) -> None:
        super().__init__(reason)
        self.column, self.value, self.reason = column, value, reason


class PresentAt:
    """The meetings and people a kind's rows name. ``held``: why only a held meeting will do, and
    ``present``: what comes before "record them present" when someone was not (each in the kind's
    words); ``lived_experience_only``: only a service user or carer may be named."""

    def __init__(
        self, cur: duckdb.DuckDBPyConnection, held: str, present: str = "", lived_experience_only: bool = False
    ) -> None:
        self.cur, self.held, self.present, self.lived_experience_only = cur, held, present, lived_experience_only
        self.teams: dict[str, tuple[Any, ...] | None] = {}  # id, name
        self.meetings: dict[tuple[int, dt.date], tuple[Any, ...] | None] = {}  # id, status
        self.people: dict[str, tuple[Any, ...] | None] = {}  # id, team id, team's name, role's label, lived
        self.marks: dict[tuple[int, int], tuple[Any, ...] | None] = {}  # attendance status

    def one(self, sql: str, params: list[Any]) -> tuple[Any, ...] | None:
        found = self.cur.execute(sql, params).fetchone()
        return None if found is None else tuple(found)

    def check(self, row: dict[str, str], values: dict[str, Any]) -> tuple[int, int, str]:
        """The meeting's id, the person's id and the team's name a row's team, date and participant
        name."""
        name, day, code = values["team"], values["date"], values["participant"]
        if name not in self.teams:  # exactly that name, else the one that differs only in case
            self.teams[name] = self.one(
                "select id, name from teams where lower(name) = lower(?) order by name <> ?, id limit 1", [name, name]
            )
        team = self.teams[name]
        if team is None:
            raise Refused("team", row["team"], "no such team in the study or in this import")
        if (team[0], day) not in self.meetings:
            self.meetings[team[0], day] = self.one(
                "select id, status from meetings where team_id = ? and meeting_date = ?", [team[0], day]
            )
        meeting = self.meetings[team[0], day]
        if meeting is None:
            raise Refused("date", row["date"], "no meeting of that team on that date")
        if meeting[1] != "held":
            status = labels.MEETING_STATUSES.get(meeting[1], meeting[1]).lower()
            raise Refused("date", row["date"], f"that meeting was {status}: {self.held}")
        if code not in self.people:
            self.people[code] = self.one(
                "select p.id, p.team_id, t.name, r.label, r.lived_experience from participants as p "
                "join teams as t on t.id = p.team_id left join role_categories as r on r.code = p.role "
                "where p.code = ?",
                [code],
            )
        person = self.people[code]
        if person is None:
            raise Refused("participant", row["participant"], "no such participant in the study or in this import")
        if person[1] != team[0]:
            raise Refused("participant", row["participant"], f"a member of {person[2]}, not of {team[1]}")
        if self.lived_experience_only and not person[4]:
            raise Refused("participant", row["participant"], f"their role is {str(person[3]).lower()}, not service "
                          "user or carer: the questionnaire is for service users and carers alone")  # fmt: skip
        if (meeting[0], person[0]) not in self.marks:
            self.marks[meeting[0], person[0]] = self.one(
                "select status from attendance where meeting_id = ? and participant_id = ?", [meeting[0], person[0]]
            )
        mark = self.marks[meeting[0], person[0]]
        if mark is None or mark[0] != "present":
            said = "no attendance recorded" if mark is None else f"recorded as {mark[0]}"
            raise Refused("participant", row["participant"], f"not marked present at that meeting ({said}): "
                          f"{self.present}record them present, in the study or in this import")  # fmt: skip
        return int(meeting[0]), int(person[0]), str(team[1])
