"""Field notes and themes: search, excerpts behind every count, code matrices, the codebook.

Codes are counted per note: a note counts once for a code whichever coder (or how many) applied
it. Choosing a parent code also finds notes coded with any code below it in the codebook.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from dataclasses import dataclass
from typing import Literal

import duckdb
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field

from observation import access, audit, db
from observation.filters import StudyFilter
from observation.models import Code

PresenceFilter = Literal["any", "service_user", "lived_experience", "none"]
PRESENCE_LABELS: dict[PresenceFilter, str] = {
    "any": "Any meeting",
    "service_user": "A service user was present",
    "lived_experience": "A service user or carer was present",
    "none": "Nobody with lived experience was present",
}
EXCERPT_LIMIT = 200  # shown on screen
EXPORT_LIMIT = 100_000  # downloaded


class ExcerptQuery(BaseModel):
    """Which notes (and interview transcripts) to show, within the page's StudyFilter."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    text: str = Field(default="", max_length=200)
    codes: tuple[int, ...] = ()
    """Any of these codes, or (unless ``exact``) a code below one of them."""
    exact: bool = False
    notes_only: bool = False
    """Leave interview transcripts out: the drill-downs behind counts of field notes use this."""
    all_codes: tuple[int, ...] = ()
    """Every one of these codes (as applied, not below): the notes behind a co-occurrence."""
    presence: PresenceFilter = "any"
    team_id: int | None = None
    month: dt.date | None = None
    meeting_id: int | None = None
    limit: int = Field(default=EXCERPT_LIMIT, ge=1, le=EXPORT_LIMIT)

    @property
    def words(self) -> list[str]:
        """Whole words to find (letters and digits; "well-being" looks for "well" and "being")."""
        return re.findall(r"[^\W_]+", self.text)


@dataclass(frozen=True)
class Excerpts:
    rows: pd.DataFrame
    """source ('note' or 'interview'), note_id, team_id, team_name, setting, meeting_id, day,
    position, minute, author, body, code_ids (list), code_names (list)."""
    total: int

    @property
    def truncated(self) -> bool:
        return self.total > len(self.rows)


def excerpts(con: duckdb.DuckDBPyConnection, flt: StudyFilter, query: ExcerptQuery) -> Excerpts:
    """The notes behind a count: every word of ``query.text`` in the text (any case), any of the
    codes (or codes below them), the chosen people in the room, one team, month or meeting."""
    params = flt.sql_params() | {
        "words": query.words,
        "codes": list(query.codes) or None,
        "all_codes": list(query.all_codes) or None,
        "exact": query.exact,
        "notes_only": query.notes_only,
        "presence": query.presence,
        "team_id": query.team_id,
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
                    f.meeting_date as day, n.position, n.minute, n.author, n.body
                from field_notes as n
                join filtered_meetings($teams::integer[], $setting, $start::date, $end::date) as f
                    on f.meeting_id = n.meeting_id
                where $presence = 'any'
                   or ($presence = 'service_user' and f.present_service_users > 0)
                   or ($presence = 'lived_experience' and f.present_lived_experience > 0)
                   or ($presence = 'none' and f.attendance_recorded and f.present_lived_experience = 0)
                union all
                select
                    'interview', i.id, i.team_id, t.name, t.setting, null, i.interview_date, null, null,
                    i.informant_code, i.transcript
                from interviews as i
                left join teams as t on t.id = i.team_id
                where $presence = 'any'
                  and not $notes_only
                  and $meeting_id::integer is null
                  and ($teams::integer[] is null or list_contains($teams::integer[], i.team_id))
                  and ($setting is null or t.setting = $setting)
                  and ($start::date is null or i.interview_date >= $start::date)
                  and ($end::date is null or i.interview_date <= $end::date)
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


def code_team_matrix(con: duckdb.DuckDBPyConnection, flt: StudyFilter) -> pd.DataFrame:
    """Notes per code and team (a note counts once per code): code_id, code_name, slug, team_id,
    team_name, setting, notes."""
    with db.cursor(con) as cur:
        return cur.execute(
            """
            select c.id as code_id, c.name as code_name, c.slug, f.team_id, f.team_name, f.setting,
                   count(distinct s.note_id) as notes
            from coded_segments as s
            join codes as c on c.id = s.code_id
            join field_notes as n on n.id = s.note_id
            join filtered_meetings($teams::integer[], $setting, $start::date, $end::date) as f
                on f.meeting_id = n.meeting_id
            group by all
            order by c.slug, f.team_name
            """,
            flt.sql_params(),
        ).fetchdf()


def cooccurrence(con: duckdb.DuckDBPyConnection, flt: StudyFilter) -> pd.DataFrame:
    """Pairs of codes applied to the same note: code_a, name_a, code_b, name_b, notes (a < b)."""
    with db.cursor(con) as cur:
        return cur.execute(
            """
            with note_codes as (
                select distinct s.note_id, s.code_id
                from coded_segments as s
                join field_notes as n on n.id = s.note_id
                join filtered_meetings($teams::integer[], $setting, $start::date, $end::date) as f
                    on f.meeting_id = n.meeting_id
            )
            select a.code_id as code_a, ca.name as name_a, b.code_id as code_b, cb.name as name_b,
                   count(*) as notes
            from note_codes as a
            join note_codes as b on b.note_id = a.note_id and b.code_id > a.code_id
            join codes as ca on ca.id = a.code_id
            join codes as cb on cb.id = b.code_id
            group by all
            order by notes desc, name_a, name_b
            """,
            flt.sql_params(),
        ).fetchdf()


def code_frequency(con: duckdb.DuckDBPyConnection, flt: StudyFilter, theme: str | None = None) -> pd.DataFrame:
    """Notes per code, team and month, for the codes under ``theme`` (a slug) or all codes:
    code_id, code_name, team_id, team_name, setting, month, notes."""
    with db.cursor(con) as cur:
        return cur.execute(
            """
            select c.id as code_id, c.name as code_name, f.team_id, f.team_name, f.setting,
                   date_trunc('month', f.meeting_date)::date as month, count(distinct s.note_id) as notes
            from coded_segments as s
            join codes as c on c.id = s.code_id
            join field_notes as n on n.id = s.note_id
            join filtered_meetings($teams::integer[], $setting, $start::date, $end::date) as f
                on f.meeting_id = n.meeting_id
            where $theme::varchar is null or c.slug = $theme or starts_with(c.slug, $theme || '.')
            group by all
            order by month, f.team_name, c.name
            """,
            flt.sql_params() | {"theme": theme},
        ).fetchdf()


@dataclass(frozen=True)
class CodeNode:
    code: Code
    depth: int


def codebook(con: duckdb.DuckDBPyConnection) -> tuple[CodeNode, ...]:
    """The codebook as a tree in reading order: each code after its parent, with its depth."""
    with db.cursor(con) as cur:
        result = cur.execute("select * from codes order by slug")
        names = [d[0] for d in result.description or ()]
        codes = [Code.model_validate(dict(zip(names, row, strict=True))) for row in result.fetchall()]
    return tuple(CodeNode(c, c.slug.count(".")) for c in codes)


def excerpts_csv(found: Excerpts, book: tuple[CodeNode, ...]) -> bytes:
    """The excerpts as CSV for R or Excel: one row per note, one 0/1 column per code (by slug)."""
    frame = found.rows
    base = frame[["source", "note_id", "team_name", "setting", "day", "position", "author", "body"]].copy()
    base["day"] = pd.to_datetime(base["day"]).dt.date
    for node in book:
        base[node.code.slug] = [int(node.code.id in list(ids)) for ids in frame["code_ids"]]
    out = io.StringIO()
    base.to_csv(out, index=False)
    return out.getvalue().encode("utf-8")


@access.requires(*access.READERS)
def excerpts_download(
    con: duckdb.DuckDBPyConnection, flt: StudyFilter, query: ExcerptQuery, book: tuple[CodeNode, ...]
) -> bytes:
    """The excerpts the filter and query find, as CSV to download: a coach's only ever their own
    teams'. Recorded in the audit trail as an export."""
    flt = flt.model_copy(update={"teams": access.require_teams(flt.teams, "a notes download")})
    data = excerpts_csv(excerpts(con, flt, query), book)
    with db.transaction(con) as cur:
        what = {"filter": flt.model_dump(mode="json"), "query": query.model_dump(mode="json")}
        audit.record(cur, "export", "field_notes", "notes download", after=what)
    return data
