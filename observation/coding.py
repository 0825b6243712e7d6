"""Coding in the app: pick a field note or an interview transcript, code a passage of it (or the
whole of it) with codes of the codebook, change or remove a coding, and write memos on a coding or
on a code. Researchers only: every read and write here carries ``@access.requires("researcher")``
(the Coding page is a researcher's), and every read of documents is narrowed by
``access.readable`` as well.

A coding is a row of ``coded_segments``: a note or a transcript, a code, a coder and a span —
``span_start`` and ``span_end`` are Python ``str`` indices into the text (``text[start:end]``
is the passage; DuckDB's ``length`` counts the same characters), or both None for the whole
document. A span is checked against the text when it is saved; a later change of a note's or
transcript's text (the Record page, an import) is refused unless every coded passage keeps its
characters at the same places (``observation.integrity.moved_spans``), and no write may leave a
span pointing past its text.

A memo is a row of ``memos``: one per coding or per code for each author, replaced when saved
again, removed when saved empty, and removed with its coding or code.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final, Literal

import duckdb
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from observation import access, audit, db, integrity, labels
from observation.errors import ObservationError
from observation.filters import StudyFilter
from observation.models import DEFINITION_MAX, Definition, Observer

Kind = Literal["note", "interview"]
KINDS: Final[dict[Kind, str]] = {"note": "field note", "interview": "interview transcript"}
PAGE_SIZE = 50
"""Documents listed at a time on the Coding page (the list is paged in SQL)."""
PATH_SEPARATOR = " › "
"""Between a code's name and its parent's, in a code's path words ("Recruitment tension › Right service user")."""
MEMO_MAX = DEFINITION_MAX
"""The longest memo, in characters: a memo is checked as a code's definition is (``models.Definition``)."""

Coder = Observer
"""Who codes: the signed-in person's email, or in local mode any one line of text of at most
models.PERSON_MAX characters with no control character — the rule an import's observers and coders
follow (R01, "Ana Ruiz", "Zoë"). The one check of a coder, used by code_passage, recode, uncode,
write_memo and the Coding page's new-coder box."""


def coder_code(text: str) -> str:
    """A coder typed on the page (local mode), checked as every coder is (``Coder``); refused with
    the reason, in words."""
    if not text.strip():
        raise ObservationError("Coder: type a coder code, such as R01")
    return _valid_coder(text)


# --- what is read ---------------------------------------------------------------------------------


class DocumentQuery(BaseModel):
    """Which documents to list: words (every one found, in any case, in the text, the team's name,
    the observer's or the informant's code), one kind, one team, one day, a page of them."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    text: str = Field(default="", max_length=200)
    kind: Kind | None = None
    team_id: int | None = None
    day: dt.date | None = None
    limit: int = Field(default=PAGE_SIZE, ge=1, le=500)
    offset: int = Field(default=0, ge=0)

    @property
    def words(self) -> list[str]:
        return [w.lower() for w in re.findall(r"[^\W_]+", self.text)]


@dataclass(frozen=True)
class DocumentRow:
    kind: Kind
    id: int
    title: str
    team_id: int | None
    day: dt.date
    codings: int


@dataclass(frozen=True)
class DocumentPage:
    rows: tuple[DocumentRow, ...]
    total: int
    """Every document the query finds, of which ``rows`` is one page."""


@dataclass(frozen=True)
class Document:
    kind: Kind
    id: int
    title: str
    team_id: int | None
    team_name: str | None
    text: str


@dataclass(frozen=True)
class CodeRef:
    id: int
    slug: str
    name: str
    path: str
    """The code's name after its parents' ("Recruitment tension › Right service user")."""


@dataclass(frozen=True)
class MemoText:
    id: int
    author: str
    body: str
    written_at: dt.datetime


@dataclass(frozen=True)
class Coding:
    id: int
    code: CodeRef
    coder: str
    start: int | None
    end: int | None
    """None and None: the whole document."""
    memos: tuple[MemoText, ...]

    @property
    def whole(self) -> bool:
        return self.start is None


def note_title(team: str | None, day: dt.date, position: int, author: str) -> str:
    return f"{team or 'A team no longer in the study'}, {day:%d/%m/%Y} — note {position} ({author})"


def interview_title(informant: str, group: str, day: dt.date) -> str:
    return f"Interview {informant}, {labels.INFORMANT.get(group, 'informant')}, {day:%d/%m/%Y}"


def _title(kind: str, team: str | None, day: dt.date, position: int | None, who: str, group: str | None) -> str:
    if kind == "note":
        return note_title(team, day, int(position or 0), who)
    return interview_title(who, str(group), day)


_DOCUMENTS = r"""
with docs as (
    select 'note' as kind, n.id, f.team_id, f.team_name, f.meeting_date as day, n.position,
           n.author as who, null::varchar as informant_group, n.body as text
    from field_notes as n
    join filtered_meetings($teams::integer[], $setting, $start::date, $end::date) as f on f.meeting_id = n.meeting_id
    where $kind::varchar is distinct from 'interview'
    union all
    select 'interview', i.id, i.team_id, i.team_name, i.interview_date, null, i.informant_code, i.informant_group,
           i.transcript
    from filtered_interviews($teams::integer[], $setting, $start::date, $end::date) as i
    where $kind::varchar is distinct from 'note'
),
hits as (
    select kind, id, team_id, team_name, day, position, who, informant_group
    from docs as d
    where ($team_id::integer is null or d.team_id = $team_id::integer)
      and ($day::date is null or d.day = $day::date)
      and len(list_filter(
          $words::varchar[],
          lambda w: not contains(lower(concat_ws(' ', d.team_name, d.who, d.text)), w)
      )) = 0
),
page as (
    select *, count(*) over () as total
    from hits
    order by day, team_name, kind, position, id
    limit $limit offset $offset
),
counted as (
    select if(s.note_id is null, 'interview', 'note') as kind, coalesce(s.note_id, s.interview_id) as id,
           count(*) as codings
    from coded_segments as s
    where list_contains((select list(id) from page where kind = 'note'), s.note_id)
       or list_contains((select list(id) from page where kind = 'interview'), s.interview_id)
    group by all
)
select p.kind, p.id, p.team_id, p.team_name, p.day, p.position, p.who, p.informant_group,
       coalesce(c.codings, 0) as codings, p.total
from page as p
left join counted as c on c.kind = p.kind and c.id = p.id
order by p.day, p.team_name, p.kind, p.position, p.id
"""


@access.requires("researcher")
def documents(con: duckdb.DuckDBPyConnection, flt: StudyFilter, query: DocumentQuery) -> DocumentPage:
    """The field notes and interview transcripts in the filter (narrowed to the teams the acting
    person may read) that the query finds, one page of them in date order, each with its title in
    words and its number of codings; and how many there are in all."""
    flt = access.readable(flt, "the documents to code", con)
    if query.team_id is not None:
        access.require_teams((query.team_id,), "the documents to code", con=con)
    params = flt.sql_params() | {
        "kind": query.kind,
        "team_id": query.team_id,
        "day": query.day,
        "words": query.words,
        "limit": query.limit,
        "offset": query.offset,
    }
    with db.cursor(con) as cur:
        rows = cur.execute(_DOCUMENTS, params).fetchall()
    found = tuple(
        DocumentRow(kind, int(i), _title(kind, team, day, position, who, group), team_id, day, int(codings))
        for kind, i, team_id, team, day, position, who, group, codings, _ in rows
    )
    total = int(rows[0][-1]) if rows else 0
    if not rows and query.offset:  # past the last page: how many there are, all the same
        total = documents(con, flt, query.model_copy(update={"offset": 0, "limit": 1})).total
    return DocumentPage(found, total)


_ONE = {
    "note": """
        select n.id, m.team_id, t.name, m.meeting_date, n.position, n.author, null, n.body
        from field_notes as n
        join meetings as m on m.id = n.meeting_id
        left join teams as t on t.id = m.team_id
        where n.id = ?
    """,
    "interview": """
        select i.id, i.team_id, t.name, i.interview_date, null, i.informant_code, i.informant_group, i.transcript
        from interviews as i
        left join teams as t on t.id = i.team_id
        where i.id = ?
    """,
}


def _kind(kind: str) -> Kind:
    if kind not in KINDS:
        raise ObservationError(f"{kind!r} is not a kind of document: a note or an interview")
    return kind


def missing(kind: str, document_id: object) -> str:
    """What the page says of a note or transcript that is not in the study (never was, or was
    deleted), by the number it was asked for: one wording for a link's bad value and a missing one."""
    return f"There is no {KINDS.get(kind, 'note or transcript')} {document_id} in this study: choose another"  # type: ignore[call-overload]


def _read(cur: duckdb.DuckDBPyConnection, kind: str, document_id: int) -> Document:
    row = cur.execute(_ONE[_kind(kind)], [document_id]).fetchone()
    if row is None:
        raise ObservationError(missing(kind, document_id))
    i, team_id, team, day, position, who, group, text = row
    return Document(_kind(kind), int(i), _title(kind, team, day, position, who, group), team_id, team, str(text))


@access.requires("researcher")
def document(con: duckdb.DuckDBPyConnection, kind: str, document_id: int) -> Document:
    """A note or a transcript to code: its text, title and team. Refused (and audited) when the
    acting person may not read its team."""
    with db.cursor(con) as cur:
        found = _read(cur, kind, document_id)
    if found.team_id is not None:
        access.require_teams((found.team_id,), f"a {KINDS[found.kind]}", con=con)
    elif access.current().teams is not None:  # no team: an interview no coach may read
        access.refuse(con, access.current(), f"a {KINDS[found.kind]}", reason="not allowed for a coach: this "
                      "interview belongs to no team")  # fmt: skip
    return found


@access.requires("researcher")
def code_choices(con: duckdb.DuckDBPyConnection) -> tuple[CodeRef, ...]:
    """Every code of the codebook with its path in words, in the codebook's order (each code after
    its parent): what a coding is chosen from. A code's parents are the codes whose slugs prefix
    its own (codes.slug: 'recruitment_tension.right_service_user')."""
    with db.cursor(con) as cur:
        return _code_refs(cur)


def _code_refs(cur: duckdb.DuckDBPyConnection) -> tuple[CodeRef, ...]:
    """The one builder of codes' paths in words (code_choices and codings both read it)."""
    rows = cur.execute("select id, slug, name from codes order by slug").fetchall()
    names = {str(slug): str(name) for _, slug, name in rows}
    found = []
    for i, slug, name in rows:
        parts = str(slug).split(".")
        chain = [names.get(".".join(parts[: n + 1])) for n in range(len(parts) - 1)]
        found.append(CodeRef(int(i), str(slug), str(name), PATH_SEPARATOR.join([*(c for c in chain if c), str(name)])))
    return tuple(found)


@access.requires("researcher")
def codings(con: duckdb.DuckDBPyConnection, kind: str, document_id: int) -> tuple[Coding, ...]:
    """Every coding of the document, by whoever coded it, in the order of the text (whole-document
    codings first), each with its code's path in words and its memos."""
    found = document(con, kind, document_id)  # refused when its team is not readable
    with db.cursor(con) as cur:
        refs = {c.id: c for c in _code_refs(cur)}
        rows = cur.execute(
            f"""
            select s.id, s.code_id, s.coder, s.span_start, s.span_end,
                   list(struct_pack(id := m.id, author := m.author, body := m.body, written_at := m.written_at)
                        order by m.author) filter (where m.id is not null) as memos
            from coded_segments as s
            join codes as c on c.id = s.code_id
            left join memos as m on m.coding_id = s.id
            where s.{_column(found.kind)} = $doc
            group by s.id, s.code_id, s.coder, s.span_start, s.span_end, c.slug
            order by s.span_start nulls first, s.span_end, c.slug, s.coder, s.id
            """,  # noqa: S608 - constants of this module
            {"doc": found.id},
        ).fetchall()
    return tuple(
        Coding(
            int(i),
            refs[int(code)],
            str(coder),
            start,
            end,
            tuple(MemoText(int(m["id"]), str(m["author"]), str(m["body"]), m["written_at"]) for m in memos or ()),
        )
        for i, code, coder, start, end, memos in rows
    )


@access.requires("researcher")
def code_memos(con: duckdb.DuckDBPyConnection, code_id: int) -> tuple[MemoText, ...]:
    """The memos written on a code (one per author)."""
    with db.cursor(con) as cur:
        rows = cur.execute(
            "select id, author, body, written_at from memos where code_id = ? order by author", [code_id]
        ).fetchall()
    return tuple(MemoText(int(i), str(a), str(b), w) for i, a, b, w in rows)


@access.requires("researcher")
def coders(con: duckdb.DuckDBPyConnection) -> tuple[str, ...]:
    """Every coder who has coded in the study, for choosing oneself in local mode."""
    with db.cursor(con) as cur:
        rows = cur.execute("select distinct coder from coded_segments order by coder").fetchall()
    return tuple(str(c) for (c,) in rows)


def passage_words(text: str, start: int | None, end: int | None, most: int = 80) -> str:
    """A coding's passage as the page quotes it: the whole document, or its text, cut at ``most``."""
    if start is None or end is None:
        return "the whole document"
    said = " ".join(text[start:end].split())
    return f"“{said if len(said) <= most else said[: most - 1] + '…'}”"


# --- what is written ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Coded:
    """What a save did: the codings added, and the codes left out because the same coder had
    already given them to the same passage."""

    added: tuple[int, ...]
    repeated: tuple[str, ...]

    def message(self) -> str:
        parts = []
        if self.added:
            parts.append(f"Coded with {len(self.added)} code{'s' if len(self.added) != 1 else ''}.")
        if self.repeated:
            parts.append(
                f"Already coded so by you, so not added again: {', '.join(self.repeated)}."
                if self.added
                else f"Nothing added: you had already coded this passage with {', '.join(self.repeated)}."
            )
        return " ".join(parts)


def _check_span(text: str, start: int | None, end: int | None, what: str) -> None:
    if (start is None) != (end is None):
        raise ObservationError("A passage needs both a start and an end (or neither, for the whole document)")
    if start is None or end is None:
        return
    if start < 0 or end > len(text):
        raise ObservationError(
            f"The passage from character {start} to {end} is not within the {what}, which has {len(text):,} "
            "characters: choose the passage again"
        )
    if start >= end:
        raise ObservationError(f"The passage from character {start} to {end} is empty: select some text first")
    if not text[start:end].strip():
        raise ObservationError("The passage holds only spaces: select some words")


def _check_seen(text: str, start: int | None, end: int | None, seen: str, what: str) -> None:
    if (text if start is None else text[start:end]) != seen:
        raise ObservationError(f"The {what} changed since you opened it: choose the passage again")


def _own(row: dict[str, object], coder: str, doing: str) -> None:
    """Only the coder who made a coding changes it, removes it or writes a memo on it, so that
    agreement compares each coder's own work."""
    if row["coder"] != coder:
        raise ObservationError(f"This coding is {row['coder']}'s, not yours ({coder}): only they may {doing} it")


_CODER: TypeAdapter[str] = TypeAdapter(Coder)
_MEMO: TypeAdapter[str] = TypeAdapter(Definition)


def _valid_coder(coder: str) -> str:
    try:
        return _CODER.validate_python(coder)
    except ValidationError as exc:
        raise ObservationError(f"Coder {coder[:60]!r}: {exc.errors()[0]['msg']}") from None


def _code_names(cur: duckdb.DuckDBPyConnection, code_ids: Sequence[int]) -> dict[int, str]:
    names = dict(cur.execute("select id, name from codes where list_contains(?, id)", [list(code_ids)]).fetchall())
    missing = [c for c in code_ids if c not in names]
    if missing:
        raise ObservationError(
            f"{len(missing)} of the codes chosen {'is' if len(missing) == 1 else 'are'} no longer in the codebook "
            "(merged or removed since the page opened): reload the page and choose again"
        )
    return names


def _column(kind: Kind) -> str:
    return "note_id" if kind == "note" else "interview_id"


def _has_coding(
    cur: duckdb.DuckDBPyConnection,
    kind: Kind,
    document_id: int,
    coding: dict[str, object],
    other_than: int | None = None,
) -> bool:
    """Whether the coder already has this coding (the same code on the same passage of the
    document), ``other_than`` the coding being changed: the one rule code_passage and recode keep."""
    return (
        cur.execute(
            f"select 1 from coded_segments where {_column(kind)} = ? and code_id = ? and coder = ? "  # noqa: S608 - a column name of this module
            "and id is distinct from ? and span_start is not distinct from ? and span_end is not distinct from ?",
            [document_id, coding["code_id"], coding["coder"], other_than, coding["span_start"], coding["span_end"]],
        ).fetchone()
        is not None
    )


def _intact(cur: duckdb.DuckDBPyConnection, ids: Sequence[int]) -> None:
    """The rows just written point at what is there (integrity's check of those rows alone)."""
    cur.execute("create or replace temp table _coded as select * from coded_segments where list_contains(?, id)",
                [list(ids)])  # fmt: skip
    try:
        integrity.require_intact(cur, {"coded_segments"}, {"coded_segments": "_coded"})
    finally:
        cur.execute("drop table if exists _coded")


@access.requires("researcher")
def code_passage(
    con: duckdb.DuckDBPyConnection,
    kind: str,
    document_id: int,
    code_ids: Sequence[int],
    start: int | None,
    end: int | None,
    coder: str,
    *,
    seen: str,
) -> Coded:
    """Code the passage ``text[start:end]`` (both None: the whole document) of a note or a
    transcript with each of ``code_ids``, as ``coder``, in one transaction, each coding audited.
    A code the same coder already gave the same passage is not added twice (Coded says which).
    ``seen`` is the passage as the coder saw it (the whole text, for the whole document): refused
    when the text has changed there since, so a coding never lands on words the coder did not read."""
    kind = _kind(kind)
    coder = _valid_coder(coder)
    wanted = list(dict.fromkeys(int(c) for c in code_ids))
    if not wanted:
        raise ObservationError("Choose at least one code to code the passage with")
    added: list[int] = []
    repeated: list[str] = []
    with db.transaction(con, meetings=()) as cur:
        found = _read(cur, kind, document_id)
        _check_span(found.text, start, end, KINDS[kind])
        _check_seen(found.text, start, end, seen, KINDS[kind])
        names = _code_names(cur, wanted)
        for code_id in wanted:
            fields = {"code_id": code_id, "coder": coder, "span_start": start, "span_end": end}
            if _has_coding(cur, kind, document_id, fields):
                repeated.append(names[code_id])
                continue
            fields = {
                _column(kind): document_id,
                "code_id": code_id,
                "coder": coder,
                "span_start": start,
                "span_end": end,
            }
            new_id = db.insert_row(cur, "coded_segments", fields)
            audit.record(cur, "create", "coded_segments", f"id={new_id}", after=fields)
            added.append(new_id)
        if added:
            _intact(cur, added)
    return Coded(tuple(added), tuple(repeated))


def _segment(cur: duckdb.DuckDBPyConnection, coding_id: int) -> dict[str, object]:
    columns = ["id", "note_id", "interview_id", "code_id", "coder", "span_start", "span_end"]
    row = cur.execute(
        f"select {', '.join(columns)} from coded_segments where id = ?",  # noqa: S608 - fixed names
        [coding_id],
    ).fetchone()
    if row is None:
        raise ObservationError("This coding is no longer in the study (someone removed it): reload the page")
    return dict(zip(columns, row, strict=True))


def _segment_document(cur: duckdb.DuckDBPyConnection, row: dict[str, object]) -> Document:
    kind: Kind = "note" if row["note_id"] is not None else "interview"
    return _read(cur, kind, int(row[_column(kind)]))  # type: ignore[call-overload]


def _delete_memos(cur: duckdb.DuckDBPyConnection, where: str, value: int) -> int:
    gone = cur.execute(
        f"select id, coding_id, code_id, author, body from memos where {where} = ? order by id",  # noqa: S608
        [value],
    ).fetchall()
    for memo_id, coding_id, code_id, author, body in gone:
        cur.execute("delete from memos where id = ?", [memo_id])
        before = {"coding_id": coding_id, "code_id": code_id, "author": author, "body": body}
        audit.record(cur, "delete", "memos", f"id={memo_id}", before=before)
    return len(gone)


@access.requires("researcher")
def uncode(con: duckdb.DuckDBPyConnection, coding_id: int, *, coder: str) -> str:
    """Remove a coding (and its memos), audited; what was removed, in words. Only ``coder``'s own."""
    coder = _valid_coder(coder)
    with db.transaction(con, meetings=()) as cur:
        row = _segment(cur, coding_id)
        _own(row, coder, "remove")
        _segment_document(cur, row)
        (name,) = cur.execute("select name from codes where id = ?", [row["code_id"]]).fetchone() or ("a code",)
        memos = _delete_memos(cur, "coding_id", coding_id)
        cur.execute("delete from coded_segments where id = ?", [coding_id])
        audit.record(cur, "delete", "coded_segments", f"id={coding_id}", before=row)
    with_memos = f" and its memo{'s' if memos != 1 else ''}" if memos else ""
    return f"Removed the coding {name}{with_memos}."


class _Keep:
    def __repr__(self) -> str:
        return "KEEP"


KEEP: Final = _Keep()
"""``recode``'s default: the value stays as it is."""


@access.requires("researcher")
def recode(
    con: duckdb.DuckDBPyConnection,
    coding_id: int,
    *,
    coder: str,
    code_id: int | _Keep = KEEP,
    start: int | _Keep | None = KEEP,
    end: int | _Keep | None = KEEP,
) -> str:
    """Change a coding's code or its passage (start and end None: the whole document), checked as a
    new coding is, audited; refused when the same coder already has that coding, and unless the
    coding is ``coder``'s own."""
    coder = _valid_coder(coder)
    with db.transaction(con, meetings=()) as cur:
        row = _segment(cur, coding_id)
        _own(row, coder, "change")
        found = _segment_document(cur, row)
        new = dict(row)
        if not isinstance(code_id, _Keep):
            _code_names(cur, [code_id])
            new["code_id"] = int(code_id)
        if not isinstance(start, _Keep) or not isinstance(end, _Keep):
            new["span_start"] = row["span_start"] if isinstance(start, _Keep) else start
            new["span_end"] = row["span_end"] if isinstance(end, _Keep) else end
            _check_span(found.text, new["span_start"], new["span_end"], KINDS[found.kind])  # type: ignore[arg-type]
        changed = {k: v for k, v in new.items() if row[k] != v}
        if not changed:
            return "Nothing changed."
        if _has_coding(cur, found.kind, found.id, new, other_than=coding_id):
            raise ObservationError(f"{row['coder']} already has this coding: remove this one instead")
        cur.execute(
            f"update coded_segments set {', '.join(f'{k} = ?' for k in changed)} where id = ?",  # noqa: S608 - column names of the row
            [*changed.values(), coding_id],
        )
        audit.record(cur, "change", "coded_segments", f"id={coding_id}",
                     before={k: row[k] for k in changed}, after=changed)  # fmt: skip
        _intact(cur, [coding_id])
    return "Changed the coding."


def insert_memo(
    cur: duckdb.DuckDBPyConnection,
    column: Literal["coding_id", "code_id"],
    target: int,
    author: str,
    body: str,
    written_at: dt.datetime | None = None,
) -> int:
    """Insert one memo on a coding or a code (``column``) and return its id: the next after the
    highest (memos have no sequence), written now in UTC unless ``written_at`` says when. The
    caller checks and audits it (write_memo; a .qdpx import's memos)."""
    (memo_id,) = cur.execute("select coalesce(max(id), 0) + 1 from memos").fetchone()  # type: ignore[misc]
    cur.execute(
        f"insert into memos (id, {column}, author, body, written_at) "  # noqa: S608 - one of two column names
        "values (?, ?, ?, ?, coalesce(cast(? as timestamp), current_timestamp at time zone 'UTC'))",
        [memo_id, target, author, body, written_at],
    )
    return int(memo_id)


@access.requires("researcher")
def write_memo(
    con: duckdb.DuckDBPyConnection,
    *,
    coding_id: int | None = None,
    code_id: int | None = None,
    body: str,
    author: str,
) -> str:
    """Write ``author``'s memo on a coding or on a code (one of them): it replaces the memo they
    wrote there before; an empty ``body`` removes it. Audited; what it did, in words. A memo on a
    coding is written only by the coding's coder."""
    if (coding_id is None) == (code_id is None):
        raise ObservationError("A memo is written on a coding or on a code: give one of them")
    author = _valid_coder(author)
    try:
        text = _MEMO.validate_python(body)
    except ValidationError as exc:
        raise ObservationError(f"The memo: {exc.errors()[0]['msg']}") from None
    column: Literal["coding_id", "code_id"] = "coding_id" if coding_id is not None else "code_id"
    target = coding_id if coding_id is not None else code_id
    assert target is not None
    with db.transaction(con, meetings=()) as cur:
        if coding_id is not None:
            row = _segment(cur, coding_id)
            _own(row, author, "write a memo on")
            _segment_document(cur, row)
        else:
            _code_names(cur, [int(target)])
        existing = cur.execute(
            f"select id, body from memos where {column} = ? and author = ?",  # noqa: S608 - a column of this module
            [target, author],
        ).fetchone()
        key = {"coding_id": coding_id, "code_id": code_id, "author": author}
        if not text:
            if existing is None:
                return "No memo to remove."
            cur.execute("delete from memos where id = ?", [existing[0]])
            audit.record(cur, "delete", "memos", f"id={existing[0]}", before={**key, "body": existing[1]})
            return "Memo removed."
        if existing is not None:
            if existing[1] == text:
                return "The memo is as it was."
            cur.execute(
                "update memos set body = ?, written_at = current_timestamp at time zone 'UTC' where id = ?",
                [text, existing[0]],
            )
            audit.record(cur, "change", "memos", f"id={existing[0]}",
                         before={**key, "body": existing[1]}, after={**key, "body": text})  # fmt: skip
            return "Memo saved."
        memo_id = insert_memo(cur, column, target, author, text)
        audit.record(cur, "create", "memos", f"id={memo_id}", after={**key, "body": text})
        integrity.require_intact(cur, {"memos"})
    return "Memo saved."
