"""Field notes, interviews and themes: search, excerpts behind every count, code matrices, the
codebook.

Codes are counted per source document (definitions.CODE_COUNTS): a field note or an interview
transcript counts once for a code, whichever coder (or how many) applied it and in however many
segments. Every count takes a ``source``: field notes, interviews or both. Notes fall in their
meeting's team and month; transcripts in the interviewee's team (or none) and the month of the
interview. Choosing a parent code also finds documents coded with any code below it.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal, Self

import duckdb
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, model_validator

from observation import access, audit, cells, db, labels
from observation.filters import StudyFilter
from observation.models import Code, InformantGroup
from observation.plain import markdown_text

Source = Literal["both", "notes", "interviews"]
SOURCES: dict[Source, str] = {
    "both": "Field notes and interviews",
    "notes": "Field notes",
    "interviews": "Interviews",
}
DEFAULT_SOURCE: Source = "both"
"""What the pages count until the reader chooses. The query functions below default to field
notes alone, as they counted before interviews were counted: the pages always pass the choice."""
INFORMANT_GROUPS: dict[str, str] = labels.INFORMANT_GROUPS
NO_TEAM = "No team (interviews)"
"""Where a count puts the interviews recorded with no team (a trust leader's, say)."""


def counts_notes(source: Source) -> bool:
    return source != "interviews"


def counts_interviews(source: Source) -> bool:
    return source != "notes"


def source_units(source: Source) -> str:
    """What a count of ``source`` counts, in a chart's words: "notes", "interview transcripts"…"""
    return {"both": "notes and interview transcripts", "notes": "notes", "interviews": "interview transcripts"}[source]


SHORT_UNITS: dict[Source, str] = {"both": "notes and transcripts", "notes": "notes", "interviews": "transcripts"}


PresenceFilter = Literal["any", "service_user", "lived_experience", "none"]
PRESENCE_LABELS: dict[PresenceFilter, str] = {
    "any": "Any meeting",
    "service_user": "A service user was present",
    "lived_experience": "A service user or carer was present",
    "none": "Nobody with lived experience was present",
}
EXCERPT_LIMIT = 200  # shown on screen
EXPORT_LIMIT = 100_000  # downloaded
WORD = re.compile(r"[^\W_]+")
"""A word as the search reads one, in what is typed and in a note: a run of letters and digits.
The SQL of ``excerpts`` splits a note's text the same way (on ``[^\\p{L}\\p{N}]+``)."""


class ExcerptQuery(BaseModel):
    """Which notes and interview transcripts to show, within the page's StudyFilter."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    text: str = Field(default="", max_length=200)
    codes: tuple[int, ...] = ()
    """Any of these codes, or (unless ``exact``) a code below one of them."""
    exact: bool = False
    source: Source = "both"
    """Field notes, interview transcripts or both: a drill-down passes the source its count counted."""
    all_codes: tuple[int, ...] = ()
    """Every one of these codes (as applied, not below): the documents behind a co-occurrence."""
    presence: PresenceFilter = "any"
    """Who was in the room: anything but "any" leaves interviews out (they have no room)."""
    team_id: int | None = None
    no_team: bool = False
    """Only the documents with no team: interviews recorded with none (the NO_TEAM column)."""
    informant_group: InformantGroup | None = None
    """Only interview transcripts of this informant group (notes have none)."""
    month: dt.date | None = None
    meeting_id: int | None = None
    limit: int = Field(default=EXCERPT_LIMIT, ge=1, le=EXPORT_LIMIT)

    @model_validator(mode="after")
    def _one_team_or_none(self) -> Self:
        if self.no_team and self.team_id is not None:
            raise ValueError("a query is for one team or for no team, not both")
        return self

    @property
    def words(self) -> list[str]:
        """Whole words to find (letters and digits; "well-being" looks for "well" and "being")."""
        return WORD.findall(self.text)


@dataclass(frozen=True)
class Excerpts:
    rows: pd.DataFrame
    """source ('note' or 'interview'), note_id (the note's or the transcript's id), team_id,
    team_name, setting, meeting_id, day, position, minute, author (a transcript's informant code),
    informant_group (transcripts only), body, code_ids (list), code_names (list)."""
    total: int

    @property
    def truncated(self) -> bool:
        return self.total > len(self.rows)


def searched(query: ExcerptQuery) -> bool:
    """Whether the reader asked for some notes: words to find, codes, or who was in the room."""
    return bool(query.words or query.codes or query.presence != "any")


ONE_UNIT: dict[Source, str] = {"both": "note or transcript", "notes": "note", "interviews": "transcript"}


def searched_source(query: ExcerptQuery) -> Source:
    """What a search can find: its source, but notes alone once who was in the room is chosen
    (an interview has no room)."""
    return query.source if query.presence == "any" else "notes"


def search_rule(query: ExcerptQuery) -> str:
    """How a search's words match, in a sentence under its matches."""
    return (
        f"A {ONE_UNIT[searched_source(query)]} matches when it has every word, whole, in any case and order; "
        "each is highlighted."
    )


def counted(total: int, source: Source) -> str:
    """ "1 note", "7 notes and transcripts"."""
    return f"{total:,} {ONE_UNIT[source] if total == 1 else SHORT_UNITS[source]}"


def search_summary(total: int, query: ExcerptQuery, code_names: Mapping[int, str]) -> str:
    """What a search found, in a sentence: "4 notes match “right service user”", then the codes
    and who was in the room, when chosen. Plain text (a page shows it through observation.plain):
    the words are the ones the search used, not the punctuation around them."""
    sentence = counted(total, searched_source(query))
    if query.words:
        sentence += f" {'matches' if total == 1 else 'match'} \u201c{' '.join(query.words)}\u201d"
    clauses = []
    if query.codes:
        named = [code_names[code] for code in query.codes if code in code_names]
        gone = len(query.codes) - len(named)  # removed from the codebook since the link was made: never an id
        if gone:
            named.append("a code no longer in the codebook" if gone == 1 else f"{gone} codes no longer in the codebook")
        clauses.append("coded " + " or ".join(named))
    if query.presence != "any":
        room = PRESENCE_LABELS[query.presence]
        clauses.append(f"from meetings where {room[0].lower()}{room[1:]}")
    for i, clause in enumerate(clauses):
        sentence += (", " if query.words or i else " ") + clause
    return sentence


HIGHLIGHT = ":orange[**{}**]"
"""How a matched word is marked in Streamlit's Markdown: bold, in orange. Not on a coloured ground:
Streamlit pads a coloured ground, which reads as spaces that are not in the note ("service - user")."""


def highlighted(text: str, words: Sequence[str]) -> str:
    """``text`` as Streamlit's Markdown shows it as typed (observation.plain.markdown_text: every
    mark of markup escaped, no address a live link), with every whole word the search matched
    marked (HIGHLIGHT), in any case, wherever it occurs: exactly the words ``excerpts`` matched
    it by. Only the marks added here are Markdown: a word is letters and digits (WORD), so neither
    the text nor a searched word can add any. Each line ends in a hard line break, so the text
    keeps its lines and forms one paragraph (no line of it starts a code block or a list)."""
    wanted = {word.lower() for word in words}
    shown = markdown_text(text.lstrip())  # leading spaces would start a code block
    marked = WORD.sub(lambda found: HIGHLIGHT.format(found[0]) if found[0].lower() in wanted else found[0], shown)
    return "\\\n".join(re.split(r"\r\n|\r|\n", marked))


@access.requires(*access.READERS)  # rows, not counts: never a presenter's
def excerpts(con: duckdb.DuckDBPyConnection, flt: StudyFilter, query: ExcerptQuery) -> Excerpts:
    """The notes and transcripts behind a count: of the query's source, every word of
    ``query.text`` in the text (any case), any of the codes (or codes below them), the chosen people
    in the room, one team (or no team), informant group, month or meeting. A coach reads only their
    teams' (a meeting of another team finds nothing, another team is refused); interviews recorded
    with no team are not a coach's."""
    flt = access.readable(flt, "the notes", con)
    if query.team_id is not None:
        access.require_teams((query.team_id,), "the notes", con=con)
    params = flt.sql_params() | {
        "words": query.words,
        "codes": list(query.codes) or None,
        "all_codes": list(query.all_codes) or None,
        "exact": query.exact,
        "source": query.source,
        "presence": query.presence,
        "team_id": query.team_id,
        "no_team": query.no_team,
        "informant_group": query.informant_group,
        "month": query.month,
        "meeting_id": query.meeting_id,
        "limit": query.limit,
    }
    with db.cursor(con) as cur:
        rows = cur.execute(
            r"""
            with sources as (
                select
                    'note' as source, n.id as note_id, f.team_id, f.team_name, f.setting, n.meeting_id,
                    f.meeting_date as day, n.position, n.minute, n.author, null::varchar as informant_group, n.body
                from field_notes as n
                join filtered_meetings($teams::integer[], $setting, $start::date, $end::date) as f
                    on f.meeting_id = n.meeting_id
                where $source <> 'interviews'
                  and $informant_group::varchar is null
                  and (
                      $presence = 'any'
                      or ($presence = 'service_user' and f.present_service_users > 0)
                      or ($presence = 'lived_experience' and f.present_lived_experience > 0)
                      or ($presence = 'none' and f.attendance_recorded and f.present_lived_experience = 0)
                  )
                union all
                select
                    'interview', i.id, i.team_id, i.team_name, i.setting, null, i.interview_date, null, null,
                    i.informant_code, i.informant_group, i.transcript
                from filtered_interviews($teams::integer[], $setting, $start::date, $end::date) as i
                where $presence = 'any'
                  and $source <> 'notes'
                  and ($informant_group::varchar is null or i.informant_group = $informant_group::varchar)
                  and $meeting_id::integer is null
            ),
            wanted as (
                select c.id
                from codes as c
                join codes as p on list_contains($codes::integer[], p.id)
                where c.slug = p.slug or (not $exact and starts_with(c.slug, p.slug || '.'))
            ),
            segments as (
                select
                    if(cs.note_id is null, 'interview', 'note') as source,
                    coalesce(cs.note_id, cs.interview_id) as source_id,
                    cs.code_id
                from coded_segments as cs
            ),
            matching as (
                select distinct source, source_id from segments join wanted as w on w.id = segments.code_id
            ),
            carrying_all as (  -- the sources that carry every one of all_codes, as applied
                select source, source_id
                from segments
                where list_contains($all_codes::integer[], code_id)
                group by all
                having count(distinct code_id) = len(list_distinct($all_codes::integer[]))
            ),
            hits as (
                select s.*
                from sources as s
                where len(list_filter(
                    $words::varchar[],
                    lambda w: not list_contains(string_split_regex(lower(s.body), '[^\p{L}\p{N}]+'), lower(w))
                )) = 0
                  and ($codes::integer[] is null or exists (
                      select 1 from matching as m where m.source = s.source and m.source_id = s.note_id
                  ))
                  and ($all_codes::integer[] is null or exists (
                      select 1 from carrying_all as m where m.source = s.source and m.source_id = s.note_id
                  ))
                  and ($team_id::integer is null or s.team_id = $team_id::integer)
                  and (not $no_team or s.team_id is null)
                  and ($month::date is null or date_trunc('month', s.day) = $month::date)
                  and ($meeting_id::integer is null or s.meeting_id = $meeting_id::integer)
            ),
            page as (
                select * from hits order by day, team_name, meeting_id, position, note_id limit $limit
            ),
            applied as (  -- the codes of the page's sources (not of every coded note in the study)
                select
                    p.source,
                    p.note_id as source_id,
                    list(distinct c.id order by c.id) as code_ids,
                    list(distinct c.name order by c.name) as code_names
                from page as p
                join segments as g on g.source = p.source and g.source_id = p.note_id
                join codes as c on c.id = g.code_id
                group by all
            )
            select
                p.*,
                coalesce(a.code_ids, []) as code_ids,
                coalesce(a.code_names, []) as code_names,
                (select count(*) from hits) as total
            from page as p
            left join applied as a on a.source = p.source and a.source_id = p.note_id
            order by p.day, p.team_name, p.meeting_id, p.position, p.note_id
            """,
            params,
        ).fetchdf()
    total = int(rows["total"].iloc[0]) if not rows.empty else 0
    return Excerpts(rows.drop(columns=["total"]), total)


# The documents of the chosen source in the filter, one row per document and code applied to it
# (by any coder, in any number of segments: a document counts once per code). Notes are in their
# meeting's team and month; transcripts in the interviewee's team (null for none) and the month of
# the interview, and drop out when teams or a setting are chosen and they have none. Every count
# below goes on from this CTE, "coded": source ('note' or 'interview'), document_id, team_id,
# team_name, setting, day, informant_group, code_id.
_CODED = """
with coded as (
    select distinct 'note' as source, n.id as document_id, f.team_id, f.team_name, f.setting,
           f.meeting_date as day, null::varchar as informant_group, s.code_id
    from coded_segments as s
    join field_notes as n on n.id = s.note_id
    join filtered_meetings($teams::integer[], $setting, $start::date, $end::date) as f
        on f.meeting_id = n.meeting_id
    where $source <> 'interviews'
    union all
    select distinct 'interview', i.id, i.team_id, coalesce(i.team_name, $no_team), i.setting,
           i.interview_date, i.informant_group, s.code_id
    from coded_segments as s
    join filtered_interviews($teams::integer[], $setting, $start::date, $end::date) as i on i.id = s.interview_id
    where $source <> 'notes'
)
"""


def _params(flt: StudyFilter, source: Source) -> dict[str, object]:
    return flt.sql_params() | {"source": source, "no_team": NO_TEAM}


def code_team_matrix(con: duckdb.DuckDBPyConnection, flt: StudyFilter, source: Source = "notes") -> pd.DataFrame:
    """Documents of ``source`` per code and team, each counted once per code: code_id, code_name,
    slug, team_id (null: interviews with no team, team_name NO_TEAM), team_name, setting, notes,
    interviews (transcripts), documents (the two added)."""
    flt = access.readable(flt, "the codes per team", con)
    with db.cursor(con) as cur:
        return cur.execute(
            _CODED  # noqa: S608 - a constant of this module
            + """
            select c.id as code_id, c.name as code_name, c.slug, d.team_id, d.team_name, d.setting,
                   count(*) filter (where d.source = 'note') as notes,
                   count(*) filter (where d.source = 'interview') as interviews,
                   count(*) as documents
            from coded as d
            join codes as c on c.id = d.code_id
            group by all
            order by c.slug, d.team_name
            """,
            _params(flt, source),
        ).fetchdf()


def cooccurrence(con: duckdb.DuckDBPyConnection, flt: StudyFilter, source: Source = "notes") -> pd.DataFrame:
    """Pairs of codes applied to the same document of ``source``: code_a, name_a, code_b, name_b,
    notes, interviews, documents (a < b)."""
    flt = access.readable(flt, "the codes applied together", con)
    with db.cursor(con) as cur:
        return cur.execute(
            _CODED  # noqa: S608 - a constant of this module
            + """
            select a.code_id as code_a, ca.name as name_a, b.code_id as code_b, cb.name as name_b,
                   count(*) filter (where a.source = 'note') as notes,
                   count(*) filter (where a.source = 'interview') as interviews,
                   count(*) as documents
            from coded as a
            join coded as b on b.source = a.source and b.document_id = a.document_id and b.code_id > a.code_id
            join codes as ca on ca.id = a.code_id
            join codes as cb on cb.id = b.code_id
            group by all
            order by documents desc, name_a, name_b
            """,
            _params(flt, source),
        ).fetchdf()


@dataclass(frozen=True)
class CodesPerDocument:
    """How many codes a coded document of each source carries on average (None: none in the
    filter). A transcript usually carries more than a note, and so makes more pairs of codes."""

    notes: float | None = None
    interviews: float | None = None


def codes_per_document(con: duckdb.DuckDBPyConnection, flt: StudyFilter, source: Source = "notes") -> CodesPerDocument:
    """The mean number of codes on a coded note and on a coded interview transcript of ``source``."""
    flt = access.readable(flt, "the codes per document", con)
    with db.cursor(con) as cur:
        rows = cur.execute(
            _CODED  # noqa: S608 - a constant of this module
            + """,
            carried as (
                select source, document_id, count(*) as codes
                from coded
                group by all
            )
            select source, avg(codes)::double as codes
            from carried
            group by source
            """,
            _params(flt, source),
        ).fetchall()
    found = {str(s): float(n) for s, n in rows}
    return CodesPerDocument(found.get("note"), found.get("interview"))


def code_frequency(
    con: duckdb.DuckDBPyConnection, flt: StudyFilter, theme: str | None = None, source: Source = "notes"
) -> pd.DataFrame:
    """Documents of ``source`` per code and month over the filter's teams, for the codes under
    ``theme`` (a slug) or all codes: code_id, code_name, month, notes, interviews, documents (the two
    added: a chart of both draws notes and interviews apart, theme_charts.code_frequency). Summed
    here, not per team: the chart draws the months (per team, a national study's 370,000 rows took
    0.4 s to read and sum again)."""
    flt = access.readable(flt, "the code frequency", con)
    with db.cursor(con) as cur:
        return cur.execute(
            _CODED  # noqa: S608 - a constant of this module
            + """
            select c.id as code_id, c.name as code_name, date_trunc('month', d.day)::date as month,
                   count(*) filter (where d.source = 'note') as notes,
                   count(*) filter (where d.source = 'interview') as interviews,
                   count(*) as documents
            from coded as d
            join codes as c on c.id = d.code_id
            where $theme::varchar is null or c.slug = $theme or starts_with(c.slug, $theme || '.')
            group by all
            order by month, c.name
            """,
            _params(flt, source) | {"theme": theme},
        ).fetchdf()


def code_counts(con: duckdb.DuckDBPyConnection, flt: StudyFilter, theme: str, source: Source) -> pd.DataFrame:
    """Documents of ``source`` per code below ``theme`` (a slug; its own code is not counted): code_id,
    code_name, notes, interviews, documents. Ranked by field notes first (a team's own meetings), a
    tie broken by interview transcripts, then by name; never by the two added, as a transcript and a
    note are not the same unit."""
    flt = access.readable(flt, "the code counts", con)
    with db.cursor(con) as cur:
        return cur.execute(
            _CODED  # noqa: S608 - a constant of this module
            + """
            select c.id as code_id, c.name as code_name,
                   count(*) filter (where d.source = 'note') as notes,
                   count(*) filter (where d.source = 'interview') as interviews,
                   count(*) as documents
            from coded as d
            join codes as c on c.id = d.code_id
            where starts_with(c.slug, $theme || '.')
            group by all
            order by notes desc, interviews desc, c.name, c.id
            """,
            _params(flt, source) | {"theme": theme},
        ).fetchdf()


def code_group_matrix(con: duckdb.DuckDBPyConnection, flt: StudyFilter) -> pd.DataFrame:
    """Interview transcripts per code and informant group, each counted once per code, with every
    group's number of transcripts in the filter so a count reads as a share: code_id, code_name,
    slug, informant_group, transcripts, group_transcripts, share (null for a group with none). Every
    group of INFORMANT_GROUPS appears, in that order, for every code applied to a transcript."""
    flt = access.readable(flt, "the codes per informant group", con)
    with db.cursor(con) as cur:
        return cur.execute(
            _CODED  # noqa: S608 - a constant of this module
            + """,
            chosen as (
                select i.id, i.informant_group
                from filtered_interviews($teams::integer[], $setting, $start::date, $end::date) as i
            ),
            groups as (
                select unnest($groups::varchar[]) as informant_group, generate_subscripts($groups::varchar[], 1) as step
            ),
            sizes as (
                select g.informant_group, g.step, count(i.id) as group_transcripts
                from groups as g
                left join chosen as i using (informant_group)
                group by all
            )
            select c.id as code_id, c.name as code_name, c.slug, z.informant_group,
                   count(d.document_id) as transcripts, z.group_transcripts,
                   if(z.group_transcripts > 0, count(d.document_id) / z.group_transcripts, null) as share
            from codes as c
            cross join sizes as z
            left join coded as d on d.code_id = c.id and d.informant_group = z.informant_group
            where c.id in (select code_id from coded)
            group by c.id, c.name, c.slug, z.informant_group, z.step, z.group_transcripts
            order by c.slug, z.step
            """,
            _params(flt, "interviews") | {"groups": list(INFORMANT_GROUPS)},
        ).fetchdf()


@dataclass(frozen=True)
class CodeNode:
    code: Code
    depth: int


def codebook(con: duckdb.DuckDBPyConnection) -> tuple[CodeNode, ...]:
    """The codebook as a tree in reading order: each code after its parent, with its depth. Not
    scoped: the codebook is the study's coding scheme, shared by every team, not any team's data."""
    with db.cursor(con) as cur:
        result = cur.execute("select * from codes order by slug")
        names = [d[0] for d in result.description or ()]
        codes = [Code.model_validate(dict(zip(names, row, strict=True))) for row in result.fetchall()]
    return tuple(CodeNode(c, c.slug.count(".")) for c in codes)


def excerpts_csv(found: Excerpts, book: tuple[CodeNode, ...]) -> bytes:
    """The excerpts as CSV for R or Excel: one row per note or transcript, one 0/1 column per code
    (by slug). Text is made safe for a spreadsheet as the exports make it (observation.cells): a
    text that could run as a formula starts with ', a control character becomes U+FFFD."""
    frame = found.rows
    columns = ["source", "note_id", "team_name", "setting", "day", "position", "author", "informant_group", "body"]
    base = frame[columns].copy()
    base["day"] = pd.to_datetime(base["day"]).dt.date
    for node in book:
        base[node.code.slug] = [int(node.code.id in list(ids)) for ids in frame["code_ids"]]
    out = io.StringIO()
    cells.to_csv(cells.for_spreadsheet(base, quote=True).frame, out)
    return out.getvalue().encode("utf-8")


@access.requires(*access.READERS)
def excerpts_download(
    con: duckdb.DuckDBPyConnection, flt: StudyFilter, query: ExcerptQuery, book: tuple[CodeNode, ...]
) -> bytes:
    """The excerpts the filter and query find, as CSV to download: a coach's only ever their own
    teams'. Recorded in the audit trail as an export."""
    flt = access.readable(flt, "a notes download", con)
    data = excerpts_csv(excerpts(con, flt, query), book)
    with db.transaction(con, meetings=()) as cur:
        what = {"filter": flt.model_dump(mode="json"), "query": query.model_dump(mode="json")}
        audit.record(cur, "export", "field_notes", "notes download", after=what)
    return data
