"""Keeping the study in shape in the app: edit teams, participants and the codebook (add,
rename, merge codes with their segments following), and delete a meeting or a field note with
everything that belongs to it. Each change is one transaction, audited, with references checked
before it commits; what a delete or a merge takes with it can be shown before it is confirmed."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import duckdb
import pandas as pd
from pydantic import BaseModel, ConfigDict

from observation import access, audit, db, integrity, queries, record
from observation.errors import ObservationError
from observation.models import ComB, Definition, FourPi, Name, ParticipantCode, RoleCategory, Setting, Valence


class TeamEntry(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    name: Name
    service: Name
    setting: Setting
    start_date: dt.date
    coach: str | None = None


class ParticipantEntry(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    code: ParticipantCode
    team_id: int
    role: RoleCategory
    qi_trained: bool = False


class CodeEntry(BaseModel):
    """What may change about a code; its slug (the stable key exports and NVivo rely on) stays."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: Name
    definition: Definition = ""
    com_b: ComB | None = None
    valence: Valence | None = None
    four_pi: FourPi | None = None


E = TypeVar("E", TeamEntry, ParticipantEntry)
_UNIQUE = {"teams": "name", "participants": "code"}


@access.requires("researcher")
def save_rows(
    con: duckdb.DuckDBPyConnection, table: str, rows: Sequence[tuple[int | None, E]], who: str | None = None
) -> tuple[int, int]:
    """Create (id None) or change teams or participants, all in one transaction; return how many
    were created and changed. A name or code that another row has is refused by name."""
    if table not in _UNIQUE:
        raise ValueError(f"not an editable table: {table}")
    who = who or audit.actor()
    unique = _UNIQUE[table]
    created = changed = 0
    with db.transaction(con) as cur:
        wanted = [str(getattr(entry, unique)) for _, entry in rows]
        record.refuse_repeats(wanted, f"the same {unique} twice")
        for row_id, entry in rows:
            fields: dict[str, Any] = entry.model_dump()
            taken = cur.execute(
                f"select id from {table} where {unique} = ? and id is distinct from ?",  # noqa: S608 - fixed names
                [fields[unique], row_id],
            ).fetchone()
            if taken is not None:
                raise ObservationError(f"{fields[unique]!r}: another {table[:-1]} already has this {unique}")
            if row_id is None:
                new_id = db.insert_row(cur, table, fields)
                audit.record(cur, "create", table, f"id={new_id}", after=fields, who=who)
                created += 1
                continue
            old = _row(cur, table, row_id, list(fields))
            if table == "participants" and old["team_id"] != fields["team_id"]:
                _refuse_a_move(cur, row_id, str(old["code"]))
            if old != fields:
                cur.execute(
                    f"update {table} set {', '.join(f'{k} = ?' for k in fields)} where id = ?",  # noqa: S608
                    [*fields.values(), row_id],
                )
                audit.record(cur, "change", table, f"id={row_id}", before=old, after=fields, who=who)
                changed += 1
        integrity.require_intact(cur, {table})
    return created, changed


def _refuse_a_move(cur: duckdb.DuckDBPyConnection, participant_id: int, code: str) -> None:
    """A participant with a history stays in their team: their attendance counts in that team's
    measures, so moving them would split their story between two teams."""
    marks, steps = cur.execute(  # type: ignore[misc]
        "select (select count(*) from attendance where participant_id = $p), "
        "(select count(*) from recruitment_events where participant_id = $p)",
        {"p": participant_id},
    ).fetchone()
    if marks or steps:
        raise ObservationError(
            f"{code} has {marks} attendance mark(s) and {steps} recruitment step(s) with their team; "
            "to record them in another team, give them a new code there"
        )


def _row(cur: duckdb.DuckDBPyConnection, table: str, row_id: int, columns: list[str]) -> dict[str, Any]:
    found = cur.execute(f"select {', '.join(columns)} from {table} where id = ?", [row_id]).fetchone()  # noqa: S608
    if found is None:
        raise ObservationError(f"{table[:-1]} {row_id} no longer exists; reload the page")
    return dict(zip(columns, found, strict=True))


@access.requires("researcher")
def add_code(con: duckdb.DuckDBPyConnection, parent_id: int | None, entry: CodeEntry, who: str | None = None) -> int:
    """Add a code under ``parent_id`` (None: a new theme); its slug is made from the name."""
    who = who or audit.actor()
    words = re.sub(r"[^a-z0-9]+", "_", entry.name.lower()).strip("_")
    if not words:
        raise ObservationError(f"{entry.name!r}: a code's name needs a letter or a digit")
    with db.transaction(con) as cur:
        prefix = ""
        if parent_id is not None:
            parent = cur.execute("select slug from codes where id = ?", [parent_id]).fetchone()
            if parent is None:
                raise ObservationError(f"code {parent_id} no longer exists; reload the page")
            prefix = f"{parent[0]}."
        slug = prefix + words
        if cur.execute("select 1 from codes where slug = ?", [slug]).fetchone():
            raise ObservationError(f"{entry.name!r}: the codebook already has {slug}")
        fields = {"slug": slug, "parent_id": parent_id, **entry.model_dump()}
        code_id = db.insert_row(cur, "codes", fields)
        audit.record(cur, "create", "codes", f"slug={slug}", after=fields, who=who)
    return int(code_id)


@access.requires("researcher")
def save_codes(con: duckdb.DuckDBPyConnection, rows: Sequence[tuple[int, CodeEntry]], who: str | None = None) -> int:
    """Rename or redefine codes in one transaction; their segments stay with them. Return how many changed."""
    who = who or audit.actor()
    changed = 0
    with db.transaction(con) as cur:
        for code_id, entry in rows:
            fields = entry.model_dump()
            old = _row(cur, "codes", code_id, list(fields))
            if old != fields:
                cur.execute(
                    f"update codes set {', '.join(f'{k} = ?' for k in fields)} where id = ?",  # noqa: S608
                    [*fields.values(), code_id],
                )
                audit.record(cur, "change", "codes", f"id={code_id}", before=old, after=fields, who=who)
                changed += 1
    return changed


@dataclass(frozen=True, slots=True)
class Merge:
    """What merging one code into another does."""

    source: str
    target: str
    segments: int
    """Coded segments that move to the target."""
    repeats: int
    """Of those, segments the same coder already gave the target on the same text: removed, not doubled."""
    reasons: int
    """Recruitment steps whose reason moves to the target."""
    memos: int
    """Memos on the source code, and on its segments removed as repeats, that move to the target
    (to its code, or to the segment it already has); memos on the segments that move go with them."""
    joined: int
    """Of those, memos whose author already has one there: their text is added to that memo."""


@access.requires("researcher")
def merge_preview(con: duckdb.DuckDBPyConnection, source_id: int, target_id: int) -> Merge:
    with db.cursor(con) as cur:
        return _merge_preview(cur, source_id, target_id)


def _merge_preview(cur: duckdb.DuckDBPyConnection, source_id: int, target_id: int) -> Merge:
    if source_id == target_id:
        raise ObservationError("choose two different codes to merge")
    names = dict(
        cur.execute("select id, name from codes where list_contains(?, id)", [[source_id, target_id]]).fetchall()
    )
    if len(names) != 2:
        raise ObservationError("one of the two codes no longer exists; reload the page")
    children = [
        n for (n,) in cur.execute("select name from codes where parent_id = ? order by name", [source_id]).fetchall()
    ]
    if children:
        raise ObservationError(
            f"{names[source_id]!r} has sub-codes ({', '.join(children)}): merge those first, then the code itself"
        )
    (segments, repeats, reasons, memos, joined) = cur.execute(  # type: ignore[misc]
        f"""
        select
            (select count(*) from coded_segments where code_id = $source),
            (select count(*) from coded_segments as s where s.code_id = $source and exists ({_SAME_SEGMENT})),
            (select count(*) from recruitment_events where reason_code_id = $source),
            (select count(*) from ({_MOVING_MEMOS})),
            (select count(*) from ({_MOVING_MEMOS}) as m
             where exists (select 1 from memos as e
                           where e.author = m.author and e.id <> m.id
                             and (e.code_id = m.to_code or e.coding_id = m.to_coding)))
        """,  # noqa: S608 - constants of this module
        {"source": source_id, "target": target_id},
    ).fetchone()
    return Merge(names[source_id], names[target_id], int(segments), int(repeats), int(reasons), int(memos), int(joined))


# The target code's segments the same as a segment ``s``: same coder, same note or interview, same span.
_MATCHING = """
    from coded_segments as t
    where t.code_id = $target and t.coder = s.coder
      and t.note_id is not distinct from s.note_id and t.interview_id is not distinct from s.interview_id
      and t.span_start is not distinct from s.span_start and t.span_end is not distinct from s.span_end
"""
# A segment ``s`` that the target code already has.
_SAME_SEGMENT = f"select 1 {_MATCHING}"

# The memos a merge moves, each with where it goes: a memo on the source code goes to the target
# code; a memo on a segment of the source that the target already has (a repeat, removed) goes to
# that segment of the target. Memos on the segments that move stay on them.
_MOVING_MEMOS = f"""
    select m.id, m.coding_id, m.code_id, m.author, m.body, m.written_at,
           case when m.code_id is not null then $target end as to_code,
           (select min(t.id) {_MATCHING}) as to_coding
    from memos as m
    left join coded_segments as s on s.id = m.coding_id
    where m.code_id = $source or (s.code_id = $source and exists ({_SAME_SEGMENT}))
"""  # noqa: S608 - constants of this module


@access.requires("researcher")
def merge_codes(con: duckdb.DuckDBPyConnection, source_id: int, target_id: int, who: str | None = None) -> Merge:
    """Move the source code's segments and recruitment reasons to the target, then remove the
    source code, in one transaction."""
    who = who or audit.actor()
    with db.transaction(con) as cur:
        merge = _merge_preview(cur, source_id, target_id)
        ids = {"source": source_id, "target": target_id}
        source_row = _row(cur, "codes", source_id, ["slug", "name", "definition", "com_b", "valence", "four_pi"])
        # Everything the merge changes, so the audit trail can tell (and a person undo) it exactly.
        repeated = f"select * from coded_segments as s where s.code_id = $source and exists ({_SAME_SEGMENT})"  # noqa: S608
        repeats = queries.records(cur.execute(repeated, ids))
        moved = [
            i
            for (i,) in cur.execute(
                "select id from coded_segments where code_id = $source order by id", {"source": source_id}
            ).fetchall()
        ]
        reasons = [
            i
            for (i,) in cur.execute(
                "select id from recruitment_events where reason_code_id = $source order by id", {"source": source_id}
            ).fetchall()
        ]
        _move_memos(cur, ids, merge.source, who)
        cur.execute(f"delete from coded_segments as s where s.code_id = $source and exists ({_SAME_SEGMENT})", ids)  # noqa: S608
        cur.execute("update coded_segments set code_id = $target where code_id = $source", ids)
        cur.execute("update recruitment_events set reason_code_id = $target where reason_code_id = $source", ids)
        cur.execute("delete from codes where id = $source", {"source": source_id})
        audit.record(
            cur, "delete", "coded_segments", f"repeats of code {source_id} in code {target_id}", before=repeats, who=who
        )
        audit.record(cur, "change", "coded_segments", f"code_id {source_id} -> {target_id}",
                     after={"ids": [i for i in moved if i not in {r["id"] for r in repeats}]}, who=who)  # fmt: skip
        audit.record(cur, "change", "recruitment_events", f"reason_code_id {source_id} -> {target_id}",
                     after={"ids": reasons}, who=who)  # fmt: skip
        audit.record(
            cur, "delete", "codes", f"id={source_id}", before=source_row, after={"merged_into": target_id}, who=who
        )
        integrity.require_intact(cur, {"codes", "coded_segments", "memos"})
    return merge


def _move_memos(cur: duckdb.DuckDBPyConnection, ids: dict[str, int], source_name: str, who: str) -> None:
    """Move the memos a merge would otherwise lose (``_MOVING_MEMOS``), each audited. Where the
    memo's author already has one where it goes (one memo per author there), the moving memo's
    text is added to theirs after a blank line and "(from <the source code's name>)", and the moving
    memo is removed: both texts are kept, in one memo."""
    rows = cur.execute(f"{_MOVING_MEMOS} order by m.id", ids).fetchall()
    for memo_id, coding_id, code_id, author, body, written_at, to_code, to_coding in rows:
        column, destination = ("code_id", to_code) if code_id is not None else ("coding_id", to_coding)
        before = {"coding_id": coding_id, "code_id": code_id, "author": author, "body": body}
        there = cur.execute(
            f"select id, body from memos where {column} = ? and author = ? and id <> ?",  # noqa: S608 - a column of this function
            [destination, author, memo_id],
        ).fetchone()
        if there is None:
            moved = {**before, "coding_id": None, "code_id": None, column: destination}
            cur.execute("update memos set coding_id = ?, code_id = ? where id = ?",
                        [moved["coding_id"], moved["code_id"], memo_id])  # fmt: skip
            audit.record(cur, "change", "memos", f"id={memo_id}", before=before, after=moved, who=who)
            continue
        kept_id, kept_body = there
        joined = f"{kept_body}\n\n(from {source_name}) {body}"
        cur.execute(
            "update memos set body = ?, written_at = greatest(written_at, ?) where id = ?",
            [joined, written_at, kept_id],
        )
        key = {"coding_id": None, "code_id": None, column: destination, "author": author}
        audit.record(cur, "change", "memos", f"id={kept_id}",
                     before={**key, "body": kept_body}, after={**key, "body": joined}, who=who)  # fmt: skip
        cur.execute("delete from memos where id = ?", [memo_id])
        audit.record(cur, "delete", "memos", f"id={memo_id}", before=before, after={"joined_to": kept_id}, who=who)


@dataclass(frozen=True, slots=True)
class Removal:
    """What deleting a meeting or a note takes with it."""

    what: str
    rows: dict[str, int]
    """Table -> rows that go with it."""

    def describe(self) -> str:
        gone = [f"{n} {_PLAIN[t]}{'' if n == 1 else 's'}" for t, n in self.rows.items() if n]
        return f"Deleting {self.what} also deletes {', '.join(gone) or 'nothing else'}."


_PLAIN = {
    "contributions": "contribution",
    "feedback_responses": "experience answer",
    "attendance": "attendance mark",
    "meeting_roles": "filled role",
    "field_notes": "field note",
    "coded_segments": "coded segment",
    "memos": "memo",
}

# What belongs to a meeting (or a note), in the order it is deleted: the rows pointing at others first.
_MEETING_PARTS = {
    "coded_segments": "note_id in (select id from field_notes where meeting_id = $id)",
    "field_notes": "meeting_id = $id",
    "meeting_roles": "meeting_id = $id",
    "contributions": "meeting_id = $id",
    "feedback_responses": "meeting_id = $id",
    "attendance": "meeting_id = $id",
    "meetings": "id = $id",
}
_NOTE_PARTS = {"coded_segments": "note_id = $id", "field_notes": "id = $id"}
# The live capture's bookkeeping (observation/capture.py) of a meeting, and of a note written in
# it: deleted with them, audited, and not counted in what a delete shows (they are no study data).
_MEETING_CAPTURE = {
    "capture_taps": "meeting_id = $id", "capture_clocks": "meeting_id = $id", "feedback_links": "meeting_id = $id",
}  # fmt: skip
_NOTE_CAPTURE = {"capture_taps": "entry = 'note' and row_id = $id"}

# The memos on the codings a delete removes: they go with them (integrity.BELONGING), removed and
# audited one by one in ``require_intact``; counted here so that the preview says so.
_MEETING_MEMOS = (
    "coding_id in (select id from coded_segments where note_id in (select id from field_notes where meeting_id = $id))"
)
_NOTE_MEMOS = "coding_id in (select id from coded_segments where note_id = $id)"


@access.requires("researcher")
def meeting_removal(con: duckdb.DuckDBPyConnection, meeting_id: int) -> Removal:
    with db.cursor(con) as cur:
        return _removal(
            cur, f"the meeting {_meeting_name(cur, meeting_id)}", _MEETING_PARTS, _MEETING_MEMOS, meeting_id
        )


@access.requires("researcher")
def note_removal(con: duckdb.DuckDBPyConnection, note_id: int) -> Removal:
    with db.cursor(con) as cur:
        return _removal(cur, f"note {_note_position(cur, note_id)[1]}", _NOTE_PARTS, _NOTE_MEMOS, note_id)


def _removal(cur: duckdb.DuckDBPyConnection, what: str, parts: dict[str, str], memos: str, row_id: int) -> Removal:
    *belonging, _itself = parts.items()
    counts = {
        table: int(cur.execute(f"select count(*) from {table} where {where}", {"id": row_id}).fetchone()[0])  # type: ignore[index]  # noqa: S608
        for table, where in [*reversed(belonging), ("memos", memos)]
    }
    return Removal(what, counts)


@access.requires("researcher")
def delete_meeting(
    con: duckdb.DuckDBPyConnection, meeting_id: int, seen_version: int, who: str | None = None
) -> Removal:
    """Delete a meeting with its attendance, contributions, experience answers, roles, notes and their
    coded segments (and its live capture's clock and taps, and its phone links); a change logged as
    arising at it stays in the impact log without its meeting. Refused when someone saved it after
    ``seen_version``. The team's recruitment steps and chart marks on that date stay."""
    who = who or audit.actor()
    with db.transaction(con) as cur:
        record.refuse_if_changed(cur, meeting_id, seen_version)
        removal = _removal(
            cur, f"the meeting {_meeting_name(cur, meeting_id)}", _MEETING_PARTS, _MEETING_MEMOS, meeting_id
        )
        _delete(cur, {**_MEETING_CAPTURE, **_MEETING_PARTS}, meeting_id, who)
        cur.execute("delete from meeting_versions where meeting_id = ?", [meeting_id])
        for (entry,) in cur.execute("select id from impact_entries where meeting_id = ?", [meeting_id]).fetchall():
            # a change that arose at the meeting stays in the impact log, no longer tied to a meeting
            cur.execute("update impact_entries set meeting_id = null where id = ?", [entry])
            audit.record(cur, "change", "impact_entries", f"id={entry}", before={"meeting_id": meeting_id},
                         after={"meeting_id": None}, who=who)  # fmt: skip
        integrity.require_intact(cur, {*_MEETING_PARTS, *_MEETING_CAPTURE, "memos", "impact_entries"})
    return removal


@access.requires("researcher")
def delete_note(con: duckdb.DuckDBPyConnection, note_id: int, seen_version: int, who: str | None = None) -> Removal:
    """Delete a field note and its coded segments; the meeting's version moves on (an open form
    that still shows the note can no longer save over the deletion)."""
    who = who or audit.actor()
    with db.transaction(con) as cur:
        meeting_id, position = _note_position(cur, note_id)
        record.refuse_if_changed(cur, meeting_id, seen_version)
        removal = _removal(cur, f"note {position}", _NOTE_PARTS, _NOTE_MEMOS, note_id)
        _delete(cur, {**_NOTE_PARTS, **_NOTE_CAPTURE}, note_id, who)
        record.bump_version(cur, meeting_id, who)
        integrity.require_intact(cur, {*_NOTE_PARTS, "memos"})
    return removal


_NOT_COPIED = {"feedback_responses": ("answer",)}
"""Columns the audit trail's copy of a deleted row leaves out: an entry names its person, and nobody's
answers to the experience questionnaire are kept against them outside the study's own table."""


def _delete(cur: duckdb.DuckDBPyConnection, parts: dict[str, str], row_id: int, who: str) -> None:
    """Delete each part, auditing every row as it was (but _NOT_COPIED)."""
    for table, where in parts.items():
        rows = queries.records(cur.execute(f"select * from {table} where {where}", {"id": row_id}))  # noqa: S608
        left_out = _NOT_COPIED.get(table, ())
        before = [{k: v for k, v in row.items() if k not in left_out} for row in rows]
        if before:
            cur.execute(f"delete from {table} where {where}", {"id": row_id})  # noqa: S608
            audit.record(cur, "delete", table, where.replace("$id", str(row_id)), before=before, who=who)


def _meeting_name(cur: duckdb.DuckDBPyConnection, meeting_id: int) -> str:
    row = cur.execute(
        "select t.name, m.meeting_date from meetings as m join teams as t on t.id = m.team_id where m.id = ?",
        [meeting_id],
    ).fetchone()
    if row is None:
        raise ObservationError(f"meeting {meeting_id} no longer exists; reload the page")
    return f"of {row[0]} on {row[1]:%d %b %Y}"


def _note_position(cur: duckdb.DuckDBPyConnection, note_id: int) -> tuple[int, int]:
    row = cur.execute("select meeting_id, position from field_notes where id = ?", [note_id]).fetchone()
    if row is None:
        raise ObservationError(f"note {note_id} no longer exists; reload the page")
    return int(row[0]), int(row[1])


@access.requires("researcher")  # the Study setup page's reads: a researcher's page (access.PAGES)
def teams(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Every team as the Study setup page edits it."""
    with db.cursor(con) as cur:
        return cur.execute("select id, name, service, setting, start_date, coach from teams order by name").fetchdf()


@access.requires("researcher")
def participants(con: duckdb.DuckDBPyConnection, team_id: int) -> pd.DataFrame:
    """A team's participants as the Study setup page edits them."""
    with db.cursor(con) as cur:
        return cur.execute(
            "select id, code, team_id, role, qi_trained from participants where team_id = ? order by code", [team_id]
        ).fetchdf()


@access.requires("researcher")
def codes(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """The codebook in tree order (each theme, then its codes), with how often each code is used."""
    with db.cursor(con) as cur:
        return cur.execute(
            """
            select c.id, c.slug, c.name, c.definition, c.com_b, c.valence, c.four_pi,
                   (select count(*) from coded_segments as s where s.code_id = c.id) as segments
            from codes as c
            order by c.slug
            """
        ).fetchdf()


@access.requires("researcher")
def notes_of(con: duckdb.DuckDBPyConnection, meeting_id: int) -> dict[int, str]:
    """Note id -> "note N: its opening words", for choosing one to delete."""
    with db.cursor(con) as cur:
        rows = cur.execute(
            "select id, position, body from field_notes where meeting_id = ? order by position", [meeting_id]
        ).fetchall()
    return {int(i): f"note {p}: {b[:60]}{'…' if len(b) > 60 else ''}" for i, p, b in rows}
