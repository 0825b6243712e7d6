"""Reading the audit trail back (the Audit trail page): researchers only. Apart from
observation/audit.py, which writes it and which observation/access.py imports.

Two readings of the same entries: ``entries``, each as stored (the ids and JSON an
information-governance lead checks, offered as a download), and ``told``, each in words — who,
when and what happened ("Imported attendance.csv: 300 attendance marks created for 41 meetings of
Birch, Oak"; "Changed the attendance of P-014 at Birch, 03/04/2025: absent → present"). The words
resolve every id the entry holds to a team's name, a meeting's team and date, a participant's code,
a note's place in its meeting or a code's name, in DuckDB; a meeting, note or code since deleted is
named from the copy the audit trail kept when it was deleted.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import duckdb
import pandas as pd

from observation import access, cells, db, labels

MOST_TEAMS_NAMED = 5
"""An import's created rows name the teams of their meetings up to this many; past it, how many."""

LONGEST_TOLD = 200_000
"""An entry's value longer than this (an import's keys of the rows it created, at national scale)
is not read back to be told: its sentence says what it can without it."""


@access.requires("researcher")
def latest(con: duckdb.DuckDBPyConnection) -> int:
    """The newest entry's id (0 before any): what a cached reading of the trail is keyed on, as a
    sign-in, a refusal or an export adds an entry without changing the study's data."""
    with db.cursor(con) as cur:
        found = cur.execute("select coalesce(max(id), 0) from audit").fetchone()
    return int(found[0]) if found else 0


_LATEST = """
from audit
where len($actions::varchar[]) = 0 or list_contains($actions::varchar[], action)
order by id desc
limit $limit
"""
"""The latest ``$limit`` entries with one of ``$actions`` (an empty list: every action), newest first:
what ``entries`` and ``told`` both read."""


@access.requires("researcher")
def entries(
    con: duckdb.DuckDBPyConnection, actions: Sequence[str] = (), limit: int = 500, longest: int = 2000
) -> pd.DataFrame:
    """The latest ``limit`` entries with one of ``actions`` (none given: every action), newest first,
    as stored: id, written_at, actor, action, table_name, row_key, before, after. Values longer than
    ``longest`` characters (an import's list of the rows it created) are cut there and say how long
    they are."""
    with db.cursor(con) as cur:
        return cur.execute(
            """
            select id, written_at, actor, action, table_name, row_key,
                   cut_text(before::varchar, $longest) as before, cut_text(after::varchar, $longest) as after
            """
            + _LATEST,
            {"actions": list(actions), "limit": limit, "longest": longest},
        ).fetchdf()


@access.requires("researcher")
def entries_csv(con: duckdb.DuckDBPyConnection, actions: Sequence[str] = (), limit: int = 500) -> bytes:
    """``entries`` as a CSV file to download, each value whole up to 100,000 characters and made
    safe for a spreadsheet (a text that begins like a formula is kept from running)."""
    out = io.StringIO()
    cells.to_csv(cells.for_spreadsheet(entries(con, actions, limit, longest=100_000), quote=True).frame, out)
    return out.getvalue().encode("utf-8")


@access.requires("researcher")
def told(con: duckdb.DuckDBPyConnection, actions: Sequence[str] = (), limit: int = 500) -> pd.DataFrame:
    """The latest ``limit`` entries with one of ``actions`` (none given: every action), newest first,
    in words: id, written_at, actor, action (its word, "Changed"), what (what happened, every id
    resolved to names, dates and codes)."""
    with db.cursor(con) as cur:
        rows = cur.execute(
            """
            select id, written_at, actor, action, table_name, row_key,
                   -- a list of rows (a deletion's copies, a merge's repeats): how many, and the first
                   case when json_type(before::json) = 'ARRAY' then json_array_length(before::json) end as before_rows,
                   case when json_type(before::json) = 'ARRAY' then (before::json -> 0)::varchar
                        when length(before::varchar) <= $longest then before::varchar end as before,
                   case when row_key like 'every row created from %' then null
                        when length(after::varchar) <= $longest then after::varchar end as after
            """  # noqa: S608 - _LATEST is this module's own text; every value is a parameter
            + _LATEST,
            {"actions": list(actions), "limit": limit, "longest": LONGEST_TOLD},
        ).fetchall()
        found = [_Entry.of(row) for row in rows]
        names = _resolve(cur, found)
    return pd.DataFrame(
        {
            "id": [e.id for e in found],
            "written_at": [e.written_at for e in found],
            "actor": [e.actor for e in found],
            "action": [labels.AUDIT_ACTIONS.get(e.action, e.action.replace("_", " ").capitalize()) for e in found],
            "what": [_told(e, names) for e in found],
        },
        columns=["id", "written_at", "actor", "action", "what"],
    )


# --- an entry, and the ids it holds ----------------------------------------------------------------


@dataclass
class _Entry:
    id: int
    written_at: dt.datetime
    actor: str
    action: str
    table: str
    key: str
    before_rows: int | None
    before: Any
    after: Any
    pairs: dict[str, str] = field(default_factory=dict)
    """The row key's ``name=value`` parts (a write's key, or a deletion's ``meeting_id = 5``)."""

    @classmethod
    def of(cls, row: tuple[Any, ...]) -> _Entry:
        entry_id, written_at, actor, action, table, key, before_rows, before, after = row
        entry = cls(int(entry_id), written_at, str(actor), str(action), str(table or ""), str(key or ""),
                    before_rows, _loaded(before), _loaded(after))  # fmt: skip
        entry.pairs = _pairs(entry.key)
        return entry

    @property
    def merged(self) -> tuple[int, int] | None:
        """A merge's two codes, from its entries' keys ("code_id 2 -> 3", "repeats of code 2 in code 3")."""
        found = re.search(r"(\d+) (?:->|in code) (\d+)", self.key)
        return (int(found[1]), int(found[2])) if found else None


def _pairs(key: str) -> dict[str, str]:
    """A row key's ``name=value`` parts: a write's ``team_id=4, label=Started, then stopped (again)``
    (each value whole, commas and brackets and all, up to the next ``, name=``), or a deletion's
    ``note_id in (select id from field_notes where meeting_id = 5)`` (its ``name = number``)."""
    starts = list(re.finditer(r"(?:^|, )([a-z_]+)=", key))
    if starts and starts[0].start() == 0:
        ends = [m.start() for m in starts[1:]] + [len(key)]
        return {m[1]: key[m.end() : end].strip() for m, end in zip(starts, ends, strict=True)}
    return dict(re.findall(r"(\w+)\s*=\s*(\d+)", key))


def _loaded(value: str | None) -> Any:
    if value is None:
        return None
    try:
        return json.loads(value)
    except ValueError:
        return None


@dataclass
class _Names:
    """What the ids of a page of entries stand for."""

    teams: dict[int, str] = field(default_factory=dict)
    people: dict[int, str] = field(default_factory=dict)
    meetings: dict[int, tuple[str | None, dt.date | None]] = field(default_factory=dict)
    notes: dict[int, tuple[int, int]] = field(default_factory=dict)
    codes: dict[int, str] = field(default_factory=dict)
    annotations: dict[int, tuple[str | None, dt.date | None, str]] = field(default_factory=dict)
    interviews: dict[int, str] = field(default_factory=dict)
    codings: dict[int, tuple[int, int | None, int | None]] = field(default_factory=dict)
    """A coding's code, and its note or its interview."""
    changes: dict[int, tuple[str | None, dt.date | None, str]] = field(default_factory=dict)
    """A change in the impact log: its team, date and description."""
    created: dict[int, tuple[str, int, int, str]] = field(default_factory=dict)
    """An import's one entry for the attendance it created: file, rows, meetings, their teams."""


def _wanted(found: Iterable[_Entry]) -> dict[str, set[int]]:
    """The ids each kind of name is needed for."""
    want: dict[str, set[int]] = {
        k: set()
        for k in ("teams", "people", "meetings", "notes", "codes", "annotations", "interviews", "codings", "changes")
    }

    def add(kind: str, value: object) -> None:
        if isinstance(value, bool):
            return
        if isinstance(value, int):
            want[kind].add(value)
        elif isinstance(value, str) and value.isdigit():
            want[kind].add(int(value))
        elif isinstance(value, list):
            for v in value:
                add(kind, v)

    by_key = {"team_id": "teams", "participant_id": "people", "meeting_id": "meetings", "note_id": "notes",
              "code_id": "codes", "reason_code_id": "codes", "parent_id": "codes", "merged_into": "codes",
              "interview_id": "interviews", "coding_id": "codings"}  # fmt: skip
    own = {"teams": "teams", "participants": "people", "meetings": "meetings", "field_notes": "notes",
           "codes": "codes", "annotations": "annotations", "impact_entries": "changes"}  # fmt: skip
    for e in found:
        for values in (e.pairs, e.before, e.after):
            if isinstance(values, dict):
                for name, kind in by_key.items():
                    add(kind, values.get(name))
        if "id" in e.pairs and e.table in own:
            add(own[e.table], e.pairs["id"])
        if e.merged:
            add("codes", list(e.merged))
        if e.table == "attendance" and "participant_id" not in e.pairs:
            for values in (e.before, e.after):  # the Record page's marks, by participant id
                if isinstance(values, dict):
                    add("people", [k for k in values if k.isdigit()])
        for row in (e.before, e.after):
            if isinstance(row, dict):
                add("teams", row.get("teams"))
                if isinstance(row.get("asked"), dict):
                    add("teams", row["asked"].get("teams"))
    return want


def _resolve(cur: duckdb.DuckDBPyConnection, found: list[_Entry]) -> _Names:
    """Every id of ``found`` in words, looked up in the study (and, for what was deleted since, in the
    audit trail's own copies of the deleted rows)."""
    want = _wanted(found)
    names = _Names()

    def ids(kind: str) -> list[int]:
        return sorted(want[kind])

    names.codings = {
        int(i): (int(c), n, v)
        for i, c, n, v in cur.execute(
            """
            select id, code_id, note_id, interview_id from coded_segments where list_contains($ids, id)
            union all  -- a coding since removed: the copy its removal kept
            select regexp_extract(row_key, 'id=(\\d+)', 1)::integer, (before::json ->> 'code_id')::integer,
                   (before::json ->> 'note_id')::integer, (before::json ->> 'interview_id')::integer
            from audit
            where action = 'delete' and table_name = 'coded_segments' and row_key similar to 'id=\\d+'
              and list_contains($ids, regexp_extract(row_key, 'id=(\\d+)', 1)::integer)
              and not exists (
                  select 1 from coded_segments as s where s.id = regexp_extract(row_key, 'id=(\\d+)', 1)::integer
              )
            union all  -- removed with their note or meeting: the copies that removal kept
            select (n ->> 'id')::integer, (n ->> 'code_id')::integer, (n ->> 'note_id')::integer,
                   (n ->> 'interview_id')::integer
            from (select unnest(from_json(before::json, '["json"]')) as n
                  from audit where action = 'delete' and table_name = 'coded_segments'
                   and json_type(before::json) = 'ARRAY')
            where list_contains($ids, (n ->> 'id')::integer)
              and not exists (select 1 from coded_segments as s where s.id = (n ->> 'id')::integer)
            """,
            {"ids": ids("codings")},
        ).fetchall()
    }
    for code, note, interview in names.codings.values():
        want["codes"].add(code)
        if note is not None:
            want["notes"].add(int(note))
        if interview is not None:
            want["interviews"].add(int(interview))
    names.notes = {
        int(i): (int(m), int(p))
        for i, m, p in cur.execute(
            """
            select id, meeting_id, position from field_notes where list_contains($ids, id)
            union all
            select (n ->> 'id')::integer, (n ->> 'meeting_id')::integer, (n ->> 'position')::integer
            from (select unnest(from_json(before::json, '["json"]')) as n
                  from audit where action = 'delete' and table_name = 'field_notes')
            where list_contains($ids, (n ->> 'id')::integer)
            """,
            {"ids": ids("notes")},
        ).fetchall()
    }
    want["meetings"] |= {m for m, _ in names.notes.values()}
    names.meetings = {
        int(i): (t, d)
        for i, t, d in cur.execute(
            """
            select m.id, t.name, m.meeting_date
            from meetings as m left join teams as t on t.id = m.team_id
            where list_contains($ids, m.id)
            union all
            select (n ->> 'id')::integer, t.name, (n ->> 'meeting_date')::date
            from (select unnest(from_json(before::json, '["json"]')) as n
                  from audit where action = 'delete' and table_name = 'meetings') as gone
            left join teams as t on t.id = (n ->> 'team_id')::integer
            where list_contains($ids, (n ->> 'id')::integer)
              and not exists (select 1 from meetings as m where m.id = (n ->> 'id')::integer)
            """,
            {"ids": ids("meetings")},
        ).fetchall()
    }
    names.teams = dict(
        cur.execute("select id, name from teams where list_contains($ids, id)", {"ids": ids("teams")}).fetchall()
    )
    names.people = dict(
        cur.execute(
            "select id, code from participants where list_contains($ids, id)", {"ids": ids("people")}
        ).fetchall()
    )
    names.codes = dict(
        cur.execute(
            """
            select id, name from codes where list_contains($ids, id)
            union all
            select regexp_extract(row_key, 'id=(\\d+)', 1)::integer, before::json ->> 'name'
            from audit
            where action = 'delete' and table_name = 'codes' and row_key similar to 'id=\\d+'
              and list_contains($ids, regexp_extract(row_key, 'id=(\\d+)', 1)::integer)
              and not exists (select 1 from codes as c where c.id = regexp_extract(row_key, 'id=(\\d+)', 1)::integer)
            """,
            {"ids": ids("codes")},
        ).fetchall()
    )
    names.interviews = dict(
        cur.execute(
            "select id, informant_code from interviews where list_contains($ids, id)", {"ids": ids("interviews")}
        ).fetchall()
    )
    names.annotations = {
        int(i): (t, d, str(label))
        for i, t, d, label in cur.execute(
            "select a.id, t.name, a.event_date, a.label from annotations as a left join teams as t on t.id = a.team_id "
            "where list_contains($ids, a.id)",
            {"ids": ids("annotations")},
        ).fetchall()
    }
    names.changes = {
        int(i): (t, d, str(words))
        for i, t, d, words in cur.execute(
            "select e.id, t.name, e.entry_date, e.description from impact_entries as e "
            "left join teams as t on t.id = e.team_id where list_contains($ids, e.id)",
            {"ids": ids("changes")},
        ).fetchall()
    }
    created = [e.id for e in found if e.table == "attendance" and e.key.startswith("every row created from ")]
    if created:
        # An import's entry for the attendance it created lists every row's keys (megabytes at
        # national scale): counted, and its meetings' teams named, here.
        names.created = {
            int(i): (str(f), int(r or 0), int(n), str(t or ""))
            for i, f, r, n, t in cur.execute(
                """
                with created as materialized (
                    select id, after::json as a from audit where list_contains($ids, id)
                ),
                counted as (  -- each key a row of its own, without the entry's value beside it
                    select k.id, count(*) as meetings, count(distinct t.id) as teams,
                           string_agg(distinct t.name, ', ' order by t.name) as names
                    from (
                        select id, unnest(json_keys(a -> 'participant_ids by meeting_id'))::integer as meeting
                        from created
                    ) as k
                    left join meetings as m on m.id = k.meeting
                    left join teams as t on t.id = m.team_id
                    group by k.id
                )
                select c.id, c.a ->> 'file', (c.a ->> 'rows')::bigint, coalesce(n.meetings, 0),
                       if(n.teams > $most_named, format('{:,} teams', n.teams), n.names)
                from created as c left join counted as n on n.id = c.id
                """,
                {"ids": created, "most_named": MOST_TEAMS_NAMED},
            ).fetchall()
        }
    return names


# --- in words --------------------------------------------------------------------------------------

_RECORDED = {"participation", "status", "format", "duration_minutes", "action_items", "evaluated", "minute"}
"""Fields whose missing value means nobody recorded it (the rest are simply empty)."""

_WORDS: dict[str, Mapping[str, str]] = {
    "participation": labels.PARTICIPATION,
    "format": labels.HELD_AT,
    "setting": labels.SETTINGS,
    "role": labels.PERSON_ROLES,
    "category": labels.ANNOTATION_KINDS,
    "stage": labels.RECRUITMENT_STAGES,
    "com_b": labels.COM_B,
    "valence": labels.VALENCE,
    "four_pi": labels.FOUR_PI,
    "kind": labels.CONTRIBUTIONS,
}


def _field(name: str) -> str:
    """A field's name before its value ("took part co-leading"); none for where a meeting was held,
    whose words say it ("held online", as an added meeting says it)."""
    said = labels.AUDIT_FIELDS.get(name, name.replace("_", " "))
    return f"{said} " if said else ""


def _plural(n: int, table: str) -> str:
    one, many = labels.AUDIT_ROWS.get(table, (_table(table), _table(table)))
    return f"{n:,} {one if n == 1 else many}"


def _table(table: str) -> str:
    return labels.TABLES.get(table, table.replace("_", " "))


def _day(value: object) -> str:
    if isinstance(value, dt.date):
        return f"{value:%d/%m/%Y}"
    try:
        return f"{dt.date.fromisoformat(str(value)[:10]):%d/%m/%Y}"
    except ValueError:
        return str(value)


def _quoted(text: object, most: int = 60) -> str:
    said = " ".join(str(text).split())
    return f"“{said if len(said) <= most else said[: most - 1] + '…'}”"


def _one_of(items: Iterable[str]) -> str:
    return ", ".join(items) or "nobody"


class _Teller:
    """Puts one entry into words with the names of its page of entries."""

    def __init__(self, entry: _Entry, names: _Names) -> None:
        self.e = entry
        self.n = names

    # names of things
    def team(self, team_id: object) -> str:
        found = self.n.teams.get(_int(team_id))
        return found if found is not None else "a team no longer in the study"

    def person(self, person_id: object) -> str:
        found = self.n.people.get(_int(person_id))
        return found if found is not None else "a participant no longer in the study"

    def code(self, code_id: object) -> str:
        found = self.n.codes.get(_int(code_id))
        return _quoted(found) if found is not None else "a code no longer in the codebook"

    def meeting(self, meeting_id: object) -> str:
        team, day = self.n.meetings.get(_int(meeting_id), (None, None))
        if day is None:
            return "a meeting no longer in the study"
        return f"{team or 'a team no longer in the study'}, {_day(day)}"

    def note(self, note_id: object) -> str:
        found = self.n.notes.get(_int(note_id))
        if found is None:
            return "a note no longer in the study"
        meeting, position = found
        return f"note {position} of the meeting of {self.meeting(meeting)}"

    def interview(self, interview_id: object) -> str:
        found = self.n.interviews.get(_int(interview_id))
        return f"the interview of {found}" if found is not None else "an interview no longer in the study"

    def coding(self, coding_id: object) -> str:
        """A coding in words: its code and its document ("“Right service user” on note 2 of …")."""
        found = self.n.codings.get(_int(coding_id))
        if found is None:
            return "a coding since removed"
        code, note, interview = found
        return f"{self.code(code)} on {self.note(note) if note is not None else self.interview(interview)}"

    def value(self, name: str, value: object) -> str:
        """A stored value in words: ids named, codes given their words, nothing left as None."""
        if value is None or value == "":
            return labels.NOT_RECORDED if name in _RECORDED else "empty"
        if isinstance(value, bool):
            return "yes" if value else "no"
        if name == "team_id":
            return self.team(value)
        if name == "participant_id":
            return self.person(value)
        if name == "meeting_id":
            return self.meeting(value)
        if name == "note_id":
            return self.note(value)
        if name == "interview_id":
            return self.interview(value)
        if name in {"reason_code_id", "code_id", "parent_id"}:
            return self.code(value)
        if name == "teams":
            return _one_of(self.team(t) for t in value) if isinstance(value, list) and value else "every team"
        if name in {"meeting_date", "event_date", "start_date"}:
            return _day(value)
        if name == "status":
            return labels.ATTENDANCE.get(str(value), labels.MEETING_STATUSES.get(str(value), str(value)))
        if name in _WORDS:
            return _WORDS[name].get(str(value), str(value))
        if isinstance(value, dict | list):
            return f"{len(value):,} item{'s' if len(value) != 1 else ''}"
        if isinstance(value, str):
            return _quoted(value) if len(value) > 40 or name in {"body", "definition", "label"} else value
        return str(value)

    def fields(self, values: Any, skip: Iterable[str] = ()) -> str:
        """``name value`` for each field of a row, in words."""
        if not isinstance(values, dict):
            return ""
        return "; ".join(
            f"{_field(k)}{self.value(k, v)}"
            for k, v in sorted(values.items())
            if k not in set(skip) and k != "id" and v not in (None, "")
        )

    def changes(self, skip: Iterable[str] = ()) -> str:
        """``name before → after`` for each field that changed."""
        before = self.e.before if isinstance(self.e.before, dict) else {}
        after = self.e.after if isinstance(self.e.after, dict) else {}
        return "; ".join(
            f"{_field(k)}{self.value(k, before.get(k))} → {self.value(k, after.get(k))}"
            for k in sorted(set(before) | set(after))
            if k not in set(skip) and before.get(k) != after.get(k)
        )

    def thing(self) -> str:
        """What the entry's row is, in words (its table's row named by its key)."""
        e, p = self.e, self.e.pairs
        row = e.before if isinstance(e.before, dict) else e.after if isinstance(e.after, dict) else {}
        if e.table == "meetings":
            if "id" in p:
                return f"the meeting of {self.meeting(p['id'])}"
            return f"the meeting of {self.team(p.get('team_id'))}, {_day(p.get('meeting_date'))}"
        if e.table == "teams":
            return f"team {p.get('name') or row.get('name') or self.team(p.get('id'))}"
        if e.table == "participants":
            return f"participant {p.get('code') or row.get('code') or self.person(p.get('id'))}"
        if e.table == "codes":
            if "id" in p:
                return f"code {self.code(p['id'])}"
            return f"code {_quoted(row.get('name') or p.get('slug', ''))}"
        if e.table == "field_notes":
            if "id" in p:
                return self.note(p["id"])
            if "position" in p:
                return f"note {p['position']} of the meeting of {self.meeting(p.get('meeting_id'))}"
        if e.table == "annotations" and "id" in p:
            found = self.n.annotations.get(_int(p["id"]))
            if found is not None:
                team, day, label = found
                return f"the chart mark {_quoted(label)} ({team or 'the whole study'}, {_day(day)})"
            return f"the chart mark {_quoted(row.get('label', ''))}" if row.get("label") else "a chart mark"
        named = [self.value(k, v) for k, v in p.items() if k != "id"]
        return f"{_table(e.table)} ({', '.join(named)})" if named else _table(e.table) or "the study"


def _int(value: object) -> int:
    try:
        return int(value)  # type: ignore[call-overload, no-any-return]
    except (TypeError, ValueError):
        return -1


def _told(entry: _Entry, names: _Names) -> str:
    """The entry in one sentence (or a few clauses), with no id and no JSON."""
    t = _Teller(entry, names)
    tell = _TELLERS.get((entry.action, entry.table)) or _TELLERS.get((entry.action, "")) or _generic
    try:
        return tell(t)
    except (KeyError, TypeError, ValueError, AttributeError):
        return _generic(t)


def _generic(t: _Teller) -> str:
    e = t.e
    verb = labels.AUDIT_ACTIONS.get(e.action, e.action.replace("_", " ").capitalize())
    if e.before_rows is not None:
        return f"{verb} {_plural(e.before_rows, e.table)}"
    detail = t.changes() if e.action == "change" else t.fields(e.after if e.after is not None else e.before)
    return f"{verb} {t.thing()}" + (f": {detail}" if detail else "")


# creating


def _created_meeting(t: _Teller) -> str:
    a = t.e.after or {}
    held = a.get("status", "held") == "held"
    how = [labels.HELD_AT.get(str(a.get("format")), "held") if held else t.value("status", a.get("status"))]
    if a.get("duration_minutes"):
        how.append(f"{a['duration_minutes']} minutes")
    if a.get("action_items") is not None:
        how.append(f"{a['action_items']} action item{'s' if a['action_items'] != 1 else ''}")
    if a.get("evaluated") is not None:
        how.append("evaluated" if a["evaluated"] else "not evaluated")
    return f"Added {t.thing()}: {', '.join(how)}"


def _created_attendance(t: _Teller) -> str:
    e = t.e
    if e.key.startswith("every row created from "):
        file, rows, meetings, teams = t.n.created.get(e.id, (e.key.removeprefix("every row created from "), 0, 0, ""))
        where = f" for {meetings:,} meeting{'s' if meetings != 1 else ''}" + (f" of {teams}" if teams else "")
        return f"Imported {file}: {_plural(rows, 'attendance')} created{where}"
    return _generic(t)


def _created_participant(t: _Teller) -> str:
    a = t.e.after or {}
    team = f" to {t.team(a['team_id'])}" if a.get("team_id") is not None else ""
    role = f" as a {t.value('role', a['role']).lower()}" if a.get("role") else ""
    return f"Added {t.thing()}{team}{role}" + (", QI trained" if a.get("qi_trained") else "")


def _created_note(t: _Teller) -> str:
    return f"Added {t.thing()}: {t.value('body', (t.e.after or {}).get('body', ''))}"


def _created_annotation(t: _Teller) -> str:
    a, p = t.e.after or {}, t.e.pairs
    kind = labels.ANNOTATION_KINDS.get(str(a.get("category")), "")
    where = t.team(p["team_id"]) if p.get("team_id") not in (None, "None") else "the whole study"
    return (
        f"Marked {_quoted(a.get('label') or p.get('label', ''))}{f' ({kind})' if kind else ''} on the charts "
        f"of {where} at {_day(p.get('event_date'))}"
    )


def _created_step(t: _Teller) -> str:
    a, p = t.e.after or {}, t.e.pairs
    stage = labels.RECRUITMENT_STAGES.get(p.get("stage", ""), p.get("stage", "a step"))
    reason = f" (reason: {t.code(a['reason_code_id'])})" if a.get("reason_code_id") is not None else ""
    when = a.get("event_date") or p.get("event_date")
    day = f" on {_day(when)}" if when else ""
    return f"Recorded the recruitment step {stage} of {t.person(p.get('participant_id'))}{day}{reason}"


def _created_code(t: _Teller) -> str:
    a = t.e.after or {}
    under = f" under {t.code(a['parent_id'])}" if a.get("parent_id") is not None else ""
    definition = f", defined as {t.value('definition', a['definition'])}" if a.get("definition") else ""
    return f"Added the code {_quoted(a.get('name') or t.e.pairs.get('slug', ''))}{under}{definition}"


def _created_segment(t: _Teller) -> str:
    a, p = t.e.after if isinstance(t.e.after, dict) else {}, t.e.pairs
    values = {**p, **a}
    return f"Coded {_passage(values)}{_segment_document(t, values)} as {t.code(values.get('code_id'))}{_coder(values)}"


def _passage(values: dict[str, Any]) -> str:
    """A coding's span as the trail says it: "characters 12 to 40 of ", or nothing for the whole text."""
    return "" if values.get("span_start") is None or values.get("span_end") is None else f"{_span(values)} of "


def _coder(values: dict[str, Any]) -> str:
    return f" (coder {values['coder']})" if values.get("coder") else ""


def _segment_document(t: _Teller, row: dict[str, Any]) -> str:
    return t.note(row["note_id"]) if row.get("note_id") is not None else t.interview(row.get("interview_id"))


def _changed_segment(t: _Teller) -> str:
    e = t.e
    if e.merged or "id" not in e.pairs:
        return _changed_row(t)
    before = e.before if isinstance(e.before, dict) else {}
    after = e.after if isinstance(e.after, dict) else {}
    said = []
    if "code_id" in after:
        said.append(f"code {t.code(before.get('code_id'))} → {t.code(after['code_id'])}")
    if "span_start" in after or "span_end" in after:
        old = {k: before.get(k) for k in ("span_start", "span_end")}
        new = {k: after.get(k, before.get(k)) for k in ("span_start", "span_end")}
        said.append(f"passage {_span(old)} → {_span(new)}")
    return f"Changed the coding {t.coding(e.pairs['id'])}: {'; '.join(said) or 'nothing'}"


def _span(values: dict[str, Any]) -> str:
    start, end = values.get("span_start"), values.get("span_end")
    return "the whole text" if start is None or end is None else f"characters {start} to {end}"


def _memo_on(t: _Teller, row: dict[str, Any]) -> str:
    if row.get("code_id") is not None:
        return f"the code {t.code(row['code_id'])}"
    said = t.coding(row.get("coding_id"))
    return said if said == "a coding since removed" else f"the coding {said}"


def _created_memo(t: _Teller) -> str:
    a = t.e.after if isinstance(t.e.after, dict) else {}
    return f"Wrote a memo on {_memo_on(t, a)}: {_quoted(a.get('body', ''))}"


def _changed_memo(t: _Teller) -> str:
    a = t.e.after if isinstance(t.e.after, dict) else {}
    b = t.e.before if isinstance(t.e.before, dict) else {}
    if (b.get("coding_id"), b.get("code_id")) != (a.get("coding_id"), a.get("code_id")):  # a merge moved it
        return f"Moved the memo on {_memo_on(t, b)} to {_memo_on(t, a)}, merging codes: {_quoted(a.get('body', ''))}"
    return f"Changed the memo on {_memo_on(t, a)}: {_quoted(b.get('body', ''))} → {_quoted(a.get('body', ''))}"


# changing


def _changed_attendance(t: _Teller) -> str:
    e = t.e
    if "participant_id" in e.pairs:  # one mark, from an import
        who, where = t.person(e.pairs["participant_id"]), t.meeting(e.pairs.get("meeting_id"))
        return f"Changed the attendance of {who} at {where}: {_mark_change(t, e.before or {}, e.after or {})}"
    before = e.before if isinstance(e.before, dict) else {}
    after = e.after if isinstance(e.after, dict) else {}
    clauses = []
    for person in sorted(set(before) | set(after), key=lambda p: t.person(p)):
        old, new = before.get(person), after.get(person)
        if old == new:
            continue
        if old is None:
            clauses.append(f"{t.person(person)} added as {_mark(new)}")
        elif new is None:
            clauses.append(f"{t.person(person)} taken off (was {_mark(old)})")
        else:
            clauses.append(f"{t.person(person)} {_mark(old)} → {_mark(new)}")
    where = t.meeting(e.pairs.get("meeting_id"))
    return f"Changed the attendance at {where}: " + ("; ".join(clauses) or "no mark changed")


def _mark(values: object) -> str:
    """A person's mark at a meeting: "present (co-leading)", "absent"."""
    if not isinstance(values, dict):
        return "not expected"
    status = labels.ATTENDANCE.get(str(values.get("status")), labels.NOT_RECORDED)
    level = labels.PARTICIPATION.get(str(values.get("participation")))
    return f"{status} ({level})" if level else status


def _mark_change(t: _Teller, before: dict[str, Any], after: dict[str, Any]) -> str:
    if before.get("participation") is None and after.get("participation") is None and set(after) <= {"status"}:
        return f"{t.value('status', before.get('status'))} → {t.value('status', after.get('status'))}"
    return f"{_mark(before)} → {_mark(after)}"


def _changed_meeting(t: _Teller) -> str:
    changed = t.changes(skip=("team_id", "meeting_date"))
    return f"Changed {t.thing()}: {changed}" if changed else f"Saved {t.thing()} with its details unchanged"


def _changed_row(t: _Teller) -> str:
    e = t.e
    merged = e.merged
    if merged and e.table == "coded_segments":
        moved = len((e.after or {}).get("ids", []))
        return (
            f"Merged code {t.code(merged[0])} into {t.code(merged[1])}: "
            f"{_plural(moved, 'coded_segments')} moved to {t.code(merged[1])}"
        )
    if merged and e.table == "recruitment_events":
        moved = len((e.after or {}).get("ids", []))
        return (
            f"Merged code {t.code(merged[0])} into {t.code(merged[1])}: "
            f"{_plural(moved, 'recruitment_events')} given {t.code(merged[1])} as their reason"
        )
    if e.table == "recruitment_events":
        return f"Changed the recruitment step {_step(t, e.before or {})}: {t.changes(skip=('participant_id', 'stage'))}"
    changed = t.changes()
    return f"Changed {t.thing()}: {changed}" if changed else f"Saved {t.thing()} unchanged"


def _step(t: _Teller, row: dict[str, Any]) -> str:
    stage = labels.RECRUITMENT_STAGES.get(str(row.get("stage")), "a step")
    return f"{stage} of {t.person(row.get('participant_id'))} on {_day(row.get('event_date'))}"


# deleting


def _deleted(t: _Teller) -> str:
    e = t.e
    merged = e.merged
    if merged and e.table == "coded_segments":
        gone, kept = t.code(merged[0]), t.code(merged[1])
        removed = _plural(e.before_rows or 0, "coded_segments")
        return f"Merged code {gone} into {kept}: {removed} removed as repeats of segments {kept} already had"
    if e.table == "codes" and isinstance(e.after, dict) and "merged_into" in e.after:
        gone = t.code(e.pairs.get("id"))
        return f"Merged code {gone} into {t.code(e.after['merged_into'])}: {gone} left the codebook"
    first = e.before if isinstance(e.before, dict) else {}
    if e.table == "meetings":
        return f"Deleted the meeting of {t.meeting(first.get('id', e.pairs.get('id')))}"
    if e.table == "field_notes" and "id" in e.pairs:
        return f"Deleted {t.note(e.pairs['id'])}: {t.value('body', first.get('body', ''))}"
    if e.table == "coded_segments" and "id" in e.pairs and first:
        where = f"{_passage(first)}{_segment_document(t, first)}"
        return f"Removed the coding {t.code(first.get('code_id'))} of {where}{_coder(first)}"
    if e.table == "memos":
        if isinstance(e.after, dict) and "joined_to" in e.after:
            body = _quoted(first.get("body", ""))
            return f"Added the memo on {_memo_on(t, first)} to its author's memo where it moved, merging codes: {body}"
        went = isinstance(e.after, dict) and e.after.get("went_with")
        gone = {"coded_segments": ", with its coding", "codes": ", with its code"}.get(str(went), "") if went else ""
        return f"Removed the memo on {_memo_on(t, first)}{gone}: {_quoted(first.get('body', ''))}"
    if e.table == "annotations":
        return f"Removed the chart mark {_quoted(first.get('label', ''))}"
    if e.table == "recruitment_events":
        return f"Removed the recruitment step {_step(t, first)}"
    count = _plural(e.before_rows if e.before_rows is not None else 1, e.table)
    if "meeting_id" in e.pairs:
        return f"Deleted {count} with the meeting of {t.meeting(e.pairs['meeting_id'])}"
    if "note_id" in e.pairs:
        return f"Deleted {count} with {t.note(e.pairs['note_id'])}"
    return _generic(t)


# the rest


def _imported(t: _Teller) -> str:
    e = t.e
    a = e.after if isinstance(e.after, dict) else {}
    if "files" in a:
        counts = a.get("counts") or {}
        said = [_counted(table, c) for table, c in counts.items() if isinstance(c, dict)]
        return f"Imported {', '.join(map(str, a['files']))}" + (f": {'; '.join(s for s in said if s)}" if said else "")
    if e.table == "codes":
        return (
            f"Imported the codebook {e.key}: {_plural(int(a.get('created', 0)), 'codes')} added, "
            f"{int(a.get('changed', 0)):,} changed"
        )
    if "full_export" in a:
        return f"Imported the full export in {e.key} ({_plural(len(a['full_export']), 'tables')})"
    if "copied_from" in a:
        rows = a.get("rows")
        total = sum(int(n) for n in rows.values()) if isinstance(rows, dict) else None
        return f"Copied the study in from {a['copied_from']}" + (f" ({total:,} rows)" if total is not None else "")
    return _generic(t)


def _counted(table: str, counts: dict[str, Any]) -> str:
    """An import's counts for one table: "40 attendance rows created, 3 changed"."""
    done = [(n, words) for what, words in _DONE.items() if (n := int(counts.get(what) or 0))]
    if not done:
        return ""
    (first, words), *rest = done
    return ", ".join([f"{_plural(first, table)} {words}", *(f"{n:,} {w}" for n, w in rest)])


_DONE = {"created": "created", "changed": "changed", "skipped": "left as they were"}


def _exported(t: _Teller) -> str:
    e = t.e
    a = e.after if isinstance(e.after, dict) else {}
    if e.table == "deck":
        letters = "teams by letter" if a.get("letters") else "teams by name"
        return f"Made the Overview slide deck ({letters}, counts under {a.get('threshold')} hidden)"
    if e.table == "field_notes":
        query: dict[str, Any] = a["query"] if isinstance(a.get("query"), dict) else {}
        words = f" matching {_quoted(query['text'])}" if query.get("text") else ""
        return f"Downloaded note excerpts{words}"
    if e.table == "codes":
        return f"Exported the codebook ({_plural(int(a.get('codes', 0)), 'codes')}) as a QDA file to {e.key}"
    level = str(a.get("level", ""))
    fmt = str(a.get("format", "")).upper()
    hidden = f", counts under {a['threshold']} hidden" if a.get("threshold") is not None else ""
    kept = f"; {a['formula_cells']:,} cells that would run as formulas kept as text" if a.get("formula_cells") else ""
    return f"Exported the study ({level}, {fmt}{hidden}) to {e.key}{kept}"


def _restored(t: _Teller) -> str:
    kept = (t.e.after or {}).get("kept") if isinstance(t.e.after, dict) else None
    return f"Restored the study from {t.e.key}" + (f"; the study before it kept as {kept}" if kept else "")


def _role(t: _Teller, values: object) -> str:
    """A role as a sentence gives it: "a researcher", "a coach of Oak, Birch"."""
    if not isinstance(values, dict):
        return "no role"
    role = str(values.get("role"))
    teams = values.get("teams")
    if role == "coach" and isinstance(teams, list) and teams:
        return f"a coach of {_one_of(t.team(i) for i in teams)}"
    return f"a {role}"


def _granted(t: _Teller) -> str:
    e = t.e
    if e.before is None:
        return f"Gave {e.key} access as {_role(t, e.after)}"
    return f"Changed the access of {e.key}: {_role(t, e.before)} → {_role(t, e.after)}"


def _revoked(t: _Teller) -> str:
    return f"Took away the access of {t.e.key} (was {_role(t, t.e.before)})"


def _signed_in(t: _Teller) -> str:
    if t.e.key == "granted":
        return f"Signed in as {_role(t, t.e.after)}"
    return "Tried to sign in, and was turned away: no role in this study"


def _refused(t: _Teller) -> str:
    a = t.e.after if isinstance(t.e.after, dict) else {}
    what = t.e.key.strip("_").replace("_", " ")
    role = f" for a {a['role']}" if a.get("role") else " with nobody signed in"
    asked: dict[str, Any] = a["asked"] if isinstance(a.get("asked"), dict) else {}
    teams = f" of {_one_of(t.team(i) for i in asked['teams'])}" if asked.get("teams") else ""
    return f"Refused: {what}{teams} (not allowed{role})"


# the experience questionnaire and the impact log


def _answers(t: _Teller) -> str:
    """A person's answers about a meeting recorded or changed: which items and how, never the answers
    (an entry of an earlier version held them: only their items are counted)."""
    a, p = t.e.after if isinstance(t.e.after, dict) else {}, t.e.pairs
    listed = a.get("items")
    items = listed if isinstance(listed, list) else [k for k in a if k != "via"]
    how = labels.FEEDBACK_VIA.get(str(a.get("via")), "").split(",")[0].lower()
    verb = "Changed" if t.e.action == "change" else "Recorded"
    return (
        f"{verb} {t.person(p.get('participant_id'))}'s answers to the experience questionnaire about the meeting "
        f"of {t.meeting(p.get('meeting_id'))}: {len(items)} item{'s' if len(items) != 1 else ''}"
        + (f", {how}" if how else "")
    )


def _created_item(t: _Teller) -> str:
    a = t.e.after or {}
    return f"Added the questionnaire item {_quoted(a.get('wording', ''))}"


def _changed_item(t: _Teller) -> str:
    a, b = t.e.after or {}, t.e.before or {}
    was = _quoted(b.get("wording") or t.e.pairs.get("item_key", "").replace("_", " "))
    if a.get("active") is False:
        return f"Stopped asking the questionnaire item {was}"
    if a.get("active") is True and "wording" not in a:
        return f"Asked again the questionnaire item {was}"
    return f"Reworded the questionnaire item {was} as {_quoted(a.get('wording', ''))} (version {a.get('version')})"


def _created_link(t: _Teller) -> str:
    p, a = t.e.pairs, t.e.after or {}
    until = a.get("expires_at")
    return (
        f"Gave {t.person(p.get('participant_id'))} a link to answer about the meeting of "
        f"{t.meeting(p.get('meeting_id'))} on their phone"
        + (f", usable once until {pd.Timestamp(until):%d/%m/%Y %H:%M} UTC" if until else "")
    )


def _change_words(t: _Teller, row: dict[str, Any]) -> str:
    """A change's kind, whom the idea came from and its meeting, as the impact log words them."""
    words = []
    if row.get("kind"):
        words.append(labels.IMPACT_KINDS.get(str(row["kind"]), str(row["kind"])).lower())
    if row.get("origin"):
        words.append(f"the idea from {labels.IMPACT_ORIGINS.get(str(row['origin']), str(row['origin'])).lower()}")
    if "meeting_id" in row:
        words.append(
            f"arising at the meeting of {t.meeting(row['meeting_id'])}" if row["meeting_id"] else "at no meeting"
        )
    return ", ".join(words)


def _created_change(t: _Teller) -> str:
    a = t.e.after or {}
    return (
        f"Logged the change {_quoted(a.get('description', ''))} of {t.team(a.get('team_id'))} on "
        f"{_day(a.get('entry_date'))}: {_change_words(t, a)}"
    )


def _changed_change(t: _Teller) -> str:
    found = t.n.changes.get(_int(t.e.pairs.get("id")))
    which = f"the change {_quoted(found[2])} of {found[0]} on {_day(found[1])}" if found else "a change since removed"
    before = _change_words(t, t.e.before or {})
    return f"Changed {which} in the impact log: {before} → {_change_words(t, t.e.after or {})}"


def _deleted_change(t: _Teller) -> str:
    b = t.e.before or {}
    return (
        f"Removed the change {_quoted(b.get('description', ''))} of {t.team(b.get('team_id'))} on "
        f"{_day(b.get('entry_date'))} from the impact log"
    )


_TELLERS: dict[tuple[str, str], Callable[[_Teller], str]] = {
    ("create", "feedback_responses"): _answers,
    ("change", "feedback_responses"): _answers,
    ("create", "feedback_items"): _created_item,
    ("change", "feedback_items"): _changed_item,
    ("create", "feedback_links"): _created_link,
    ("create", "impact_entries"): _created_change,
    ("change", "impact_entries"): _changed_change,
    ("delete", "impact_entries"): _deleted_change,
    ("create", "meetings"): _created_meeting,
    ("create", "attendance"): _created_attendance,
    ("create", "participants"): _created_participant,
    ("create", "field_notes"): _created_note,
    ("create", "annotations"): _created_annotation,
    ("create", "recruitment_events"): _created_step,
    ("create", "codes"): _created_code,
    ("create", "coded_segments"): _created_segment,
    ("change", "attendance"): _changed_attendance,
    ("change", "meetings"): _changed_meeting,
    ("change", "coded_segments"): _changed_segment,
    ("create", "memos"): _created_memo,
    ("change", "memos"): _changed_memo,
    ("change", ""): _changed_row,
    ("delete", ""): _deleted,
    ("import", ""): _imported,
    ("export", ""): _exported,
    ("restore", ""): _restored,
    ("grant", ""): _granted,
    ("revoke", ""): _revoked,
    ("sign_in", ""): _signed_in,
    ("refused", ""): _refused,
}
