"""References between study tables, and the check that every one of them still points at a row.

DuckDB cannot delete (or re-point) rows and the row they point at in one transaction when the
reference is a declared foreign key, so the schema declares none; every write that can leave a
reference dangling — imports, the Record page, deletes, merges, restores — calls
``require_intact`` before it commits, and its whole transaction is refused when a reference
dangles.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass

import duckdb

from observation import audit
from observation.errors import ObservationError


@dataclass(frozen=True, slots=True)
class Reference:
    table: str
    column: str
    target: str
    target_column: str = "id"


REFERENCES: tuple[Reference, ...] = (
    Reference("participants", "team_id", "teams"),
    Reference("participants", "role", "role_categories", "code"),
    Reference("meetings", "team_id", "teams"),
    Reference("meeting_roles", "meeting_id", "meetings"),
    Reference("meeting_roles", "participant_id", "participants"),
    Reference("attendance", "meeting_id", "meetings"),
    Reference("attendance", "participant_id", "participants"),
    Reference("attendance", "participation", "participation_levels", "code"),
    Reference("contributions", "meeting_id", "meetings"),
    Reference("contributions", "participant_id", "participants"),
    Reference("field_notes", "meeting_id", "meetings"),
    Reference("interviews", "team_id", "teams"),
    Reference("codes", "parent_id", "codes"),
    Reference("coded_segments", "note_id", "field_notes"),
    Reference("coded_segments", "interview_id", "interviews"),
    Reference("coded_segments", "code_id", "codes"),
    Reference("recruitment_events", "participant_id", "participants"),
    Reference("recruitment_events", "reason_code_id", "codes"),
    Reference("annotations", "team_id", "teams"),
    Reference("capture_clocks", "meeting_id", "meetings"),
    Reference("capture_taps", "meeting_id", "meetings"),
    Reference("feedback_responses", "meeting_id", "meetings"),
    Reference("feedback_responses", "participant_id", "participants"),
    Reference("feedback_responses", "item_id", "feedback_items"),
    Reference("impact_entries", "team_id", "teams"),
    Reference("impact_entries", "meeting_id", "meetings"),
    Reference("feedback_links", "meeting_id", "meetings"),
    Reference("feedback_links", "participant_id", "participants"),
)
"""Every reference; a null value refers to nothing and is allowed where the column allows it."""

BELONGING: tuple[Reference, ...] = (
    Reference("memos", "coding_id", "coded_segments"),
    Reference("memos", "code_id", "codes"),
)
"""References of rows that belong to what they point at: a memo goes with its coding or its code.
A write that removes a coding or a code (a note or a meeting deleted with its codings, codes
merged) removes their memos in ``require_intact``, each removal audited, instead of being refused."""


@dataclass(frozen=True, slots=True)
class Dangling:
    reference: Reference
    rows: int
    example: str

    def __str__(self) -> str:
        r = self.reference
        return (
            f"{self.rows} row(s) of {r.table} name a {r.column} that is not in {r.target} (for example {self.example})"
        )


def dangling(
    cur: duckdb.DuckDBPyConnection, tables: Collection[str] | None = None, written: Mapping[str, str] | None = None
) -> list[Dangling]:
    """The references that point at no row, counted in DuckDB (one anti-join each); only those
    from or to ``tables`` when given (the tables a write touched).

    ``written``: for a table, the name of a temporary table holding the rows the write put into it
    (with its reference columns); the references from that table are looked for in those rows
    alone. Only for a write that deletes no row and changes no id: the table's other rows pointed
    at rows that are all still there."""
    found: list[Dangling] = []
    for ref in (*REFERENCES, *BELONGING):
        if tables is not None and ref.table not in tables and ref.target not in tables:
            continue
        rows, example = cur.execute(
            f"""
            select count(*), any_value(cast(t.{ref.column} as varchar))
            from {(written or {}).get(ref.table, ref.table)} as t
            where t.{ref.column} is not null
              and not exists (select 1 from {ref.target} as x where x.{ref.target_column} = t.{ref.column})
            """  # noqa: S608 - names from REFERENCES, never from input
        ).fetchone()  # type: ignore[misc]
        if rows:
            found.append(Dangling(ref, int(rows), str(example)))
    return found


def require_intact(
    cur: duckdb.DuckDBPyConnection,
    tables: Collection[str] | None = None,
    written: Mapping[str, str] | None = None,
    meetings: Collection[int] | None = None,
) -> None:
    """Raise when a reference dangles, a coding's span runs past its text, or a contribution is of
    someone not marked present at its meeting, so that the caller's transaction writes nothing
    (``tables`` and ``written``: as ``dangling`` takes them; ``meetings``: the only meetings whose
    attendance or contributions the write can have changed, as db.transaction takes them, None:
    any). Memos whose coding or code is gone are removed first (BELONGING)."""
    _remove_orphans(cur, tables)
    problems = dangling(cur, tables, written)
    overruns = [
        *_spans_past_text(cur, tables),
        *_contributions_of_absent(cur, tables, written, meetings),
        *_answers_of_absent(cur, tables, meetings),
    ]
    if overruns:
        raise ObservationError("the change was not saved: " + "; ".join(overruns))
    if problems:
        raise ObservationError(
            "the change was not saved because it would leave records pointing at nothing: "
            + "; ".join(str(p) for p in problems)
        )


def _remove_orphans(cur: duckdb.DuckDBPyConnection, tables: Collection[str] | None) -> None:
    """Remove, and audit, the memos whose coding or code a write removed."""
    for ref in BELONGING:
        if tables is not None and ref.table not in tables and ref.target not in tables:
            continue
        gone = cur.execute(
            f"""
            select id, coding_id, code_id, author, body from {ref.table} as t
            where t.{ref.column} is not null
              and not exists (select 1 from {ref.target} as x where x.{ref.target_column} = t.{ref.column})
            order by id
            """  # noqa: S608 - names from BELONGING, never from input
        ).fetchall()
        for memo_id, coding_id, code_id, author, body in gone:
            cur.execute(f"delete from {ref.table} where id = ?", [memo_id])  # noqa: S608
            before = {"coding_id": coding_id, "code_id": code_id, "author": author, "body": body}
            audit.record(cur, "delete", ref.table, f"id={memo_id}", before=before, after={"went_with": ref.target})


LIVE_TABLES = ("attendance", "contributions")
"""The tables whose rows say whether a contribution is of someone present at its meeting."""


def _contributions_of_absent(
    cur: duckdb.DuckDBPyConnection,
    tables: Collection[str] | None = None,
    written: Mapping[str, str] | None = None,
    meetings: Collection[int] | None = None,
) -> list[str]:
    """A contribution logged for someone not marked present at its meeting (observation/capture.py:
    a contribution is made by someone there), said with the first such person and meeting; only for
    a write that touched contributions or attendance, and only at the meetings it touched: those of
    ``meetings`` (the Record page's save of one meeting), or of the rows ``written`` names (an
    import's attendance: one that adds contributions checks each of them against the attendance
    itself, ingest.contributions). A bad row elsewhere is not this write's to answer for (and the
    whole study's check, with neither given, still finds it): about 0.1 s at national scale, a
    million attendance rows and 170,000 contributions, for the whole; a meeting's, a moment."""
    if tables is not None and not set(LIVE_TABLES) & set(tables):
        return []
    wrote = _touched_meetings(written) if meetings is None else None
    found = cur.execute(
        f"""
        with touched as ({wrote or "select unnest($meetings::integer[]) as meeting_id"}),
        absent as (
            select c.meeting_id, c.participant_id, count(*) as n
            from contributions as c
            anti join (select meeting_id, participant_id from attendance where status = 'present') as a
                on a.meeting_id = c.meeting_id and a.participant_id = c.participant_id
            where $whole or c.meeting_id in (select meeting_id from touched)
            group by all
        )
        select (select sum(n) from absent), p.code, t.name, m.meeting_date, x.n
        from absent as x
        left join participants as p on p.id = x.participant_id
        left join meetings as m on m.id = x.meeting_id
        left join teams as t on t.id = m.team_id
        order by x.meeting_id, x.participant_id
        limit 1
        """,  # noqa: S608 - table names from the write's own temporary tables, never from input
        {"whole": meetings is None and wrote is None} | ({} if wrote else {"meetings": sorted(meetings or ())}),
    ).fetchone()
    if not found:
        return []
    total, code, team, day, theirs = found
    meeting = f"the meeting of {team or 'a team'} on {day:%d %b %Y}" if day is not None else "a meeting"
    said = (
        f"{code or 'someone'} has {theirs:,} contribution{'s' if theirs != 1 else ''} logged at {meeting} and would "
        "not be marked present there; keep them present, or undo their contributions on the Capture page first"
    )
    if total != theirs:
        said += f" ({total:,} contributions in all are of someone not present)"
    return [said]


ANSWER_TABLES = ("attendance", "meetings", "participants", "feedback_responses")
"""The tables whose rows say whether an experience answer is of a service user or carer present at a held meeting."""


def _answers_of_absent(
    cur: duckdb.DuckDBPyConnection, tables: Collection[str] | None = None, meetings: Collection[int] | None = None
) -> list[str]:
    """Answers to the experience questionnaire (observation/feedback.py) about a meeting that is not
    held, or by someone not marked present at it or without a lived-experience role, said with the
    first such person and meeting; only for a write that touched those tables, and only at
    ``meetings`` when given (the Record page's save of one meeting)."""
    if tables is not None and not set(ANSWER_TABLES) & set(tables):
        return []
    found = cur.execute(
        """
        with answered as (
            select distinct meeting_id, participant_id from feedback_responses
            where $whole or list_contains($meetings::integer[], meeting_id)
        ),
        wrong as (
            select f.meeting_id, f.participant_id
            from answered as f
            join meetings as m on m.id = f.meeting_id  -- a missing meeting or person: dangling's to say
            join participants as p on p.id = f.participant_id
            left join attendance as a on a.meeting_id = f.meeting_id and a.participant_id = f.participant_id
            left join role_categories as r on r.code = p.role
            where m.status is distinct from 'held' or a.status is distinct from 'present'
               or not coalesce(r.lived_experience, false)
        )
        select (select count(*) from wrong), p.code, t.name, m.meeting_date
        from wrong as w
        left join participants as p on p.id = w.participant_id
        left join meetings as m on m.id = w.meeting_id
        left join teams as t on t.id = m.team_id
        order by w.meeting_id, w.participant_id
        limit 1
        """,
        {"whole": meetings is None, "meetings": sorted(meetings or ())},
    ).fetchone()
    if not found:
        return []
    total, code, team, day = found
    meeting = f"the meeting of {team or 'a team'} on {day:%d %b %Y}" if day is not None else "a meeting"
    said = (
        f"{code or 'someone'} answered the experience questionnaire about {meeting}, so stays a service user or "
        "carer marked present at it, and it stays held"
    )
    if total != 1:
        said += f" ({total:,} people's answers in all would be left so)"
    return [said]


def _touched_meetings(written: Mapping[str, str] | None) -> str | None:
    """The meetings of the rows a write names as the ones it wrote (``written``, of LIVE_TABLES), as
    a query; None when it names none of them (any meeting may have been touched)."""
    names = written or {}
    named = [f"select meeting_id from {names[t]}" for t in LIVE_TABLES if t in names]  # noqa: S608 - the write's own
    return " union ".join(named) or None


SPANNED = {
    "field_notes": (
        "note_id",
        "body",
        "format('note {} of the meeting of {}, {}', d.position, coalesce(t.name, 'a team'), "
        "strftime(m.meeting_date, '%d/%m/%Y'))",
        "left join meetings as m on m.id = d.meeting_id left join teams as t on t.id = m.team_id",
    ),
    "interviews": ("interview_id", "transcript", "format('the interview of {}', d.informant_code)", ""),
}
"""Each kind of document a coding's span points into: its column in coded_segments, its text, and
how a message names one."""


def _spans_past_text(cur: duckdb.DuckDBPyConnection, tables: Collection[str] | None = None) -> list[str]:
    """Each kind of document whose text is now shorter than a span coded in it (a note shortened
    after it was coded), said with the first such document: a span is a range of characters of the
    text (observation/coding.py) and must never point past it. Only for a write that names the
    documents among the tables it touched (the Record page's save, an import of notes): a new
    coding's span is checked against its text when it is made (observation/coding.py), and a
    study copied or loaded whole keeps the rows it was given."""
    said = []
    for table, (column, text, named, joined) in SPANNED.items():
        if tables is None or table not in tables:
            continue
        found = cur.execute(
            f"""
            select count(*) over (), {named}, length(d.{text}), s.span_end
            from coded_segments as s
            join {table} as d on d.id = s.{column}
            {joined}
            where s.span_end is not null and s.span_end > length(d.{text})
            order by d.id, s.span_end desc
            limit 1
            """  # noqa: S608 - names from SPANNED, never from input
        ).fetchone()
        if found:  # one row, the first such document's (its name, length and span all from that row)
            said.append(
                f"{found[0]} coding{'s' if found[0] != 1 else ''} would point past the end of the text "
                f"({found[1]} would have {found[2]:,} characters, and a passage coded in it ends at character "
                f"{found[3]:,}); remove or change those codings on the Coding page first, or keep the text as long"
            )
    return said


def moved_spans(cur: duckdb.DuckDBPyConnection, kind: str, document_id: int, new_text: str) -> str | None:
    """Why ``new_text`` cannot replace the text of the note (``kind`` "field_notes") or transcript
    ("interviews") ``document_id``, in words; None when it can. A coded passage is a range of
    characters of the text (observation/coding.py), so a changed text may keep every passage's
    characters, at the same places (text added after the last passage, or a typo mended outside
    every passage), and nothing else: a word inserted before a passage would move it silently.
    Whole-document codings hold no span and never stop a change. The Record page's save of notes
    and the import of field notes and transcripts ask it before they write."""
    column, text, named, joined = SPANNED[kind]
    rows = cur.execute(
        f"""
        select distinct s.span_start, s.span_end, substr(d.{text}, s.span_start + 1, s.span_end - s.span_start)
        from coded_segments as s
        join {kind} as d on d.id = s.{column}
        where d.id = ? and s.span_start is not null
        order by 1, 2
        """,  # noqa: S608 - names from SPANNED, never from input
        [document_id],
    ).fetchall()
    moved = [(start, end) for start, end, passage in rows if new_text[start:end] != passage]
    if not moved:
        return None
    (name,) = cur.execute(
        f"select {named} from {kind} as d {joined} where d.id = ?",  # noqa: S608 - names from SPANNED
        [document_id],
    ).fetchone() or ("the document",)
    start, end = moved[0]
    many = len(moved) != 1
    return (
        f"{name} has {len(moved):,} coded passage{'s' if many else ''} that this "
        f"change would move or alter (the first: characters {start + 1:,} to {end:,}); a coded passage is "
        "found by its characters' positions, so keep the text of the coded passages where it is (add text "
        f"after them, or mend text outside them), or remove or re-code {'those passages' if many else 'that passage'} "
        "on the Coding page first"
    )


def refuse_moved_spans(cur: duckdb.DuckDBPyConnection, kind: str, document_id: int, new_text: str) -> None:
    """Raise, so that the caller's transaction writes nothing, when ``new_text`` would move or
    alter a coded passage of the document (``moved_spans`` says why)."""
    if reason := moved_spans(cur, kind, document_id, new_text):
        raise ObservationError(f"the change was not saved: {reason}")
