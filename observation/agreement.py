"""Agreement between two coders: per note (percent agreement and Cohen's kappa) and per passage
(span agreement).

Over the notes both coders coded (each applied at least one code), every code either of them
used is a yes/no decision per note: applied by the coder or not. Kappa = (p_o - p_e) / (1 - p_e);
it is undefined (None) when chance agreement is already certain.

Span agreement (docs/MEASURES.md, definitions.SPAN_AGREEMENT) compares the characters each coder
coded with a code, over the notes and interview transcripts both coded: 2·|A∩B| / (|A| + |B|).
The characters are ranges, intersected by range arithmetic in DuckDB, never one row per character.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Literal

import duckdb
import pandas as pd

from observation import access, db
from observation.filters import StudyFilter


def shown_percent(share: float | None) -> int | None:
    """An agreement (percent or span) as the pages print it: a whole percent, but 100 only when the
    coders agree on every decision (or character) and 0 only when on none. Rounded as every other
    share, 320 disagreements in 68,000 decisions printed 100%, which reads as perfect agreement."""
    if share is None:
        return None
    whole = round(share * 100)
    return min(max(whole, 1 if share > 0 else 0), 99 if share < 1 else 100)


def shown_kappa(kappa: float | None) -> float | None:
    """Cohen's kappa to two decimals, as the pages print it: a kappa just under zero is 0.00, never -0.00."""
    return None if kappa is None else round(kappa, 2) + 0.0


@dataclass(frozen=True)
class Tally:
    """A 2×2 table of decisions: both applied the code, only A, only B, neither."""

    both: int
    only_a: int
    only_b: int
    neither: int

    @property
    def decisions(self) -> int:
        return self.both + self.only_a + self.only_b + self.neither

    @property
    def percent(self) -> float | None:
        return (self.both + self.neither) / self.decisions if self.decisions else None

    @property
    def kappa(self) -> float | None:
        n = self.decisions
        if not n:
            return None
        observed = (self.both + self.neither) / n
        a_yes, b_yes = (self.both + self.only_a) / n, (self.both + self.only_b) / n
        chance = a_yes * b_yes + (1 - a_yes) * (1 - b_yes)
        return None if chance == 1 else (observed - chance) / (1 - chance)


@dataclass(frozen=True)
class CodeAgreement:
    code_id: int
    code_name: str
    tally: Tally


@dataclass(frozen=True)
class Agreement:
    coder_a: str
    coder_b: str
    notes: int
    codes: tuple[CodeAgreement, ...]
    overall: Tally
    disagreements: pd.DataFrame
    """One row per note and code where the coders differ: note_id, team_name, day, body,
    code_name, coded_by ('coder A only' or 'coder B only' naming the coder)."""


@access.requires("researcher")  # the Agreement page is a researcher's (access.PAGES)
def coders(con: duckdb.DuckDBPyConnection) -> tuple[str, ...]:
    with db.cursor(con) as cur:
        return tuple(c for (c,) in cur.execute("select distinct coder from coded_segments order by coder").fetchall())


@access.requires("researcher")
def agreement(con: duckdb.DuckDBPyConnection, flt: StudyFilter, coder_a: str, coder_b: str) -> Agreement:
    params = flt.sql_params() | {"a": coder_a, "b": coder_b}
    with db.cursor(con) as cur:
        # The decisions are worked out once and kept on this cursor for the two statements that
        # read them (each working them out again took 0.2 s at national scale).
        db.keep_rows(
            cur,
            "_decisions",
            "select * from coder_decisions($teams::integer[], $setting, $start::date, $end::date, $a, $b)",
            params,
        )
        tallies = cur.execute(
            """
            with double_coded as (select count(distinct note_id) as notes from _decisions)
            select
                d.code_id,
                any_value(c.name) as code_name,
                count(*) filter (where by_a and by_b) as both,
                count(*) filter (where by_a and not by_b) as only_a,
                count(*) filter (where by_b and not by_a) as only_b,
                -- every code either coder used is a decision on every note both coded: the pairs
                -- neither applied are those the macro does not list
                coalesce(any_value(notes), 0) * count(distinct d.code_id) - count(*) as neither,
                coalesce(any_value(notes), 0) as notes
            from _decisions as d
            join codes as c on c.id = d.code_id
            cross join double_coded
            group by grouping sets ((d.code_id), ())
            order by grouping(d.code_id) desc, code_name
            """
        ).fetchall()
        disagreements = cur.execute(
            """
            select d.note_id, t.name as team_name, m.meeting_date as day, n.body, c.name as code_name,
                   if(by_a, $a, $b) || ' only' as coded_by
            from _decisions as d
            join field_notes as n on n.id = d.note_id
            join meetings as m on m.id = n.meeting_id
            join teams as t on t.id = m.team_id
            join codes as c on c.id = d.code_id
            where by_a <> by_b
            order by day, d.note_id, code_name
            """,
            {"a": coder_a, "b": coder_b},
        ).fetchdf()
    overall = Tally(0, 0, 0, 0)
    notes = 0
    per_code = []
    for code_id, name, both, only_a, only_b, neither, n_notes in tallies:
        tally = Tally(both, only_a, only_b, neither)
        if code_id is None:
            overall, notes = tally, n_notes
        else:
            per_code.append(CodeAgreement(code_id, name, tally))
    return Agreement(coder_a, coder_b, notes, tuple(per_code), overall, disagreements)


# --- agreement on the coded passages -------------------------------------------------------------

CONTEXT = 40
"""Characters of the document shown either side of a passage (cut back to a whole word)."""
PASSAGES_SHOWN = 200
"""Passages where the coders differ listed at most; the page says when there are more."""


@dataclass(frozen=True)
class Overlap:
    """Characters coded by coder A, by coder B, and by both (each coder's own segments merged)."""

    coded_a: int
    coded_b: int
    both: int

    @property
    def agreement(self) -> float | None:
        """Span agreement (character-level Dice): 2·|A∩B| / (|A| + |B|); None when neither coded a character."""
        total = self.coded_a + self.coded_b
        return 2 * self.both / total if total else None


@dataclass(frozen=True)
class CodeOverlap:
    code_id: int
    code_name: str
    overlap: Overlap
    only_a: int
    """Passages coder A coded with the code and coder B coded none of."""
    only_b: int


Difference = Literal["only_a", "only_b", "different_extent"]
"""How the coders differ on a stretch of a document with a code: one of them coded it and the
other coded none of it, or both coded some of it but not the same characters."""


@dataclass(frozen=True)
class Passage:
    """A stretch of a document where the coders differ with a code: a passage one coder coded and
    the other coded none of, or overlapping passages of both that do not cover the same characters
    (say A the whole sentence, B three words of it), the stretch running from the first character
    either coded to the last. ``text`` is the document's characters ``start`` to ``end`` (code
    points), with a little context either side."""

    source: Literal["note", "interview"]
    document_id: int
    team_name: str | None
    day: dt.date
    informant: str | None
    """The interviewee's pseudonymous code (a transcript's passage); None for a note."""
    informant_group: str | None
    code_name: str
    difference: Difference
    coder: str | None
    """The coder who alone coded it; None for a different extent (both coded some of it)."""
    coded_a: int
    """Characters of the stretch coder A coded with the code (its whole length for only_a, 0 for only_b)."""
    passages_a: int
    """Coder A's passages within the stretch."""
    coded_b: int
    passages_b: int
    start: int
    end: int
    before: str
    text: str
    after: str


@dataclass(frozen=True)
class SpanAgreement:
    coder_a: str
    coder_b: str
    notes: int
    transcripts: int
    codes: tuple[CodeOverlap, ...]
    overall: Overlap
    """Pooled over the codes: the sums of their characters coded and coded by both."""
    only_a: int
    only_b: int
    passages: tuple[Passage, ...]
    """The first PASSAGES_SHOWN stretches where the coders differ (one coded it alone, or both with
    a different extent), by date, document and position."""
    passages_total: int

    @property
    def documents(self) -> int:
        return self.notes + self.transcripts


# The filtered notes and transcripts both coders coded, and each coder's passages per document and
# code: their segments as character ranges [lo, hi) (a whole-document coding covers the document;
# a span past its end is cut at the end), overlapping or touching ranges merged into one passage.
# "measured" gives each passage the characters the other coder coded with the same code within it.
# Each running window orders its rows wholly (lo, hi, then the segment or the coder): with ties left
# to the sort, two windows over the same rows could see them in different orders, and a stretch's
# count moved by a few from one run to the next at national scale.
_PASSAGES = """
with documents as (
    select 'note' as source, n.id as document_id, length(n.body) as size
    from field_notes as n
    join filtered_meetings($teams::integer[], $setting, $start::date, $end::date) as f on f.meeting_id = n.meeting_id
    union all
    select 'interview', i.id, length(i.transcript)
    from filtered_interviews($teams::integer[], $setting, $start::date, $end::date) as i
),
segments as (
    select d.source, d.document_id, s.code_id, s.coder = $a as by_a, s.id as segment_id,
           least(coalesce(s.span_start, 0), d.size) as lo, least(coalesce(s.span_end, d.size), d.size) as hi
    from coded_segments as s
    join documents as d
        on d.source = if(s.note_id is null, 'interview', 'note') and d.document_id = coalesce(s.note_id, s.interview_id)
    where s.coder in ($a, $b) and $a <> $b
),
both_coded as (
    select source, document_id
    from segments
    group by source, document_id
    having count(distinct by_a) = 2
),
reached as (
    select s.*,
           max(s.hi) over (
               partition by s.source, s.document_id, s.code_id, s.by_a order by s.lo, s.hi, s.segment_id
               rows between unbounded preceding and 1 preceding
           ) as reach
    from segments as s
    semi join both_coded as b on b.source = s.source and b.document_id = s.document_id
    where s.lo < s.hi
),
numbered as (
    select *,
           sum(if(reach is null or lo > reach, 1, 0)) over (
               partition by source, document_id, code_id, by_a order by lo, hi, segment_id rows unbounded preceding
           ) as passage
    from reached
),
passages as (
    select source, document_id, code_id, by_a, min(lo) as lo, max(hi) as hi
    from numbered
    group by source, document_id, code_id, by_a, passage
),
measured as (
    select p.source, p.document_id, p.code_id, p.by_a, p.lo, p.hi,
           -- least and greatest skip a null: a passage the other coder did not touch shares nothing
           coalesce(sum(least(p.hi, q.hi) - greatest(p.lo, q.lo)) filter (where q.lo is not null), 0) as shared
    from passages as p
    left join passages as q
        on q.source = p.source and q.document_id = p.document_id and q.code_id = p.code_id
       and q.by_a <> p.by_a and q.lo < p.hi and p.lo < q.hi
    group by p.source, p.document_id, p.code_id, p.by_a, p.lo, p.hi
),
-- Both coders' passages with a code, overlapping ones (sharing a character) joined into a stretch:
-- a stretch of one coder's passage alone, or of both coders' passages that overlap.
reaching as (
    select *,
           max(hi) over (
               partition by source, document_id, code_id order by lo, hi, by_a
               rows between unbounded preceding and 1 preceding
           ) as reach
    from passages
),
stretched as (
    select *,
           sum(if(reach is null or lo >= reach, 1, 0)) over (
               partition by source, document_id, code_id order by lo, hi, by_a rows unbounded preceding
           ) as stretch
    from reaching
),
stretches as (
    select source, document_id, code_id, min(lo) as lo, max(hi) as hi,
           count(*) filter (where by_a) as passages_a, count(*) filter (where not by_a) as passages_b,
           coalesce(sum(hi - lo) filter (where by_a), 0) as coded_a,
           coalesce(sum(hi - lo) filter (where not by_a), 0) as coded_b,
           min(lo) filter (where by_a) as lo_a, max(hi) filter (where by_a) as hi_a,
           min(lo) filter (where not by_a) as lo_b, max(hi) filter (where not by_a) as hi_b
    from stretched
    group by source, document_id, code_id, stretch
)
"""


@access.requires("researcher")
def span_agreement(
    con: duckdb.DuckDBPyConnection, flt: StudyFilter, coder_a: str, coder_b: str, shown: int | None = None
) -> SpanAgreement:
    """Span agreement (docs/MEASURES.md) of two coders over the notes and transcripts both coded
    within ``flt``: per code and pooled, with the stretches where they differ — a passage only one
    of them coded, or passages of both with a different extent — the first ``shown`` of them listed
    (PASSAGES_SHOWN by default), each with only the characters it shows read from its document."""
    flt = access.readable(flt, "coder agreement on passages", con)
    params = flt.sql_params() | {"a": coder_a, "b": coder_b}
    with db.cursor(con) as cur:
        # One statement: the totals and the listing both read the passages, worked out once (two
        # statements worked them out twice, 0.8 s against 0.45 s at national scale).
        rows = cur.execute(
            _PASSAGES  # noqa: S608 - constants of this module
            + """,
            per_code as (
                select
                    m.code_id,
                    any_value(c.name) as code_name,
                    coalesce(sum(m.hi - m.lo) filter (where m.by_a), 0) as coded_a,
                    coalesce(sum(m.hi - m.lo) filter (where not m.by_a), 0) as coded_b,
                    coalesce(sum(m.shared) filter (where m.by_a), 0) as shared,
                    count(*) filter (where m.by_a and m.shared = 0) as only_a,
                    count(*) filter (where not m.by_a and m.shared = 0) as only_b,
                    grouping(m.code_id) as pooled
                from measured as m
                join codes as c on c.id = m.code_id
                group by grouping sets ((m.code_id), ())
            ),
            listed as (
                select
                    m.source, m.document_id, coalesce(nt.name, it.name) as team_name,
                    coalesce(mt.meeting_date, i.interview_date) as day, i.informant_code, i.informant_group,
                    c.name as code_name,
                    case when m.passages_b = 0 then 'only_a' when m.passages_a = 0 then 'only_b'
                         else 'different_extent' end as difference,
                    m.coded_a, m.passages_a, m.coded_b, m.passages_b, m.lo, m.hi,
                    -- only the characters shown are fetched, never the whole document
                    substr(
                        coalesce(n.body, i.transcript), greatest(m.lo - $context, 0) + 1,
                        m.lo - greatest(m.lo - $context, 0)
                    ) as before,
                    substr(coalesce(n.body, i.transcript), m.lo + 1, m.hi - m.lo) as passage,
                    substr(coalesce(n.body, i.transcript), m.hi + 1, $context) as after,
                    length(coalesce(n.body, i.transcript)) as size,
                    count(*) over () as total
                from stretches as m
                join codes as c on c.id = m.code_id
                -- an equality on one key each (a constant beside it made DuckDB loop over every pair: 26 s)
                left join field_notes as n on n.id = if(m.source = 'note', m.document_id, null)
                left join meetings as mt on mt.id = n.meeting_id
                left join teams as nt on nt.id = mt.team_id
                left join interviews as i on i.id = if(m.source = 'interview', m.document_id, null)
                left join teams as it on it.id = i.team_id
                -- the same passage coded by both agrees; every other stretch differs
                where not (m.passages_a = 1 and m.passages_b = 1 and m.lo_a = m.lo_b and m.hi_a = m.hi_b)
                order by day, team_name, m.source desc, m.document_id, m.lo, code_name, difference
                limit $shown
            )
            -- every row carries the totals (the pooled first, then each code by name), and at
            -- least one row comes back, with no passage in it when none differs
            select
                (select list((code_id, code_name, coded_a, coded_b, shared, only_a, only_b)
                             order by pooled desc, code_name, code_id) from per_code) as totals,
                (select count(*) from both_coded where source = 'note') as notes,
                (select count(*) from both_coded where source = 'interview') as transcripts,
                l.*
            from (select 1) as one
            left join listed as l on true
            order by l.day, l.team_name, l.source desc, l.document_id, l.lo, l.code_name, l.difference
            """,
            params | {"shown": PASSAGES_SHOWN if shown is None else shown, "context": CONTEXT},
        ).fetchall()
    totals, notes, transcripts = rows[0][:3]
    listed = [row[3:] for row in rows if row[3] is not None]
    overall, only_a, only_b = Overlap(0, 0, 0), 0, 0
    per_code = []
    for code_id, name, coded_a, coded_b, both, alone_a, alone_b in totals or ():
        overlap = Overlap(int(coded_a), int(coded_b), int(both))
        if code_id is None:
            overall, only_a, only_b = overlap, alone_a, alone_b
        else:
            per_code.append(CodeOverlap(code_id, name, overlap, alone_a, alone_b))
    passages = tuple(_passage(row, coder_a, coder_b) for row in listed)
    total = int(listed[0][-1]) if listed else 0
    return SpanAgreement(
        coder_a, coder_b, int(notes), int(transcripts), tuple(per_code), overall, only_a, only_b, passages, total
    )


def _passage(row: tuple[Any, ...], coder_a: str, coder_b: str) -> Passage:
    """A row of the list of passages (span_agreement's query) as a Passage."""
    (source, document_id, team, day, informant, group, code, difference,
     coded_a, passages_a, coded_b, passages_b, lo, hi, before, text, after, size, _) = row  # fmt: skip
    return Passage(
        source, document_id, team, day, informant, group, code, difference,
        {"only_a": coder_a, "only_b": coder_b}.get(difference), int(coded_a), int(passages_a),
        int(coded_b), int(passages_b), lo, hi, *_trimmed(before, text, after, lo > CONTEXT, hi + CONTEXT < size),
    )  # fmt: skip


def in_context(body: str, start: int, end: int, context: int = CONTEXT) -> tuple[str, str, str]:
    """``body[start:end]`` with up to ``context`` characters either side, cut back to a whole word
    and marked "…" where the document goes on."""
    before, after = body[max(0, start - context) : start], body[end : end + context]
    return _trimmed(before, body[start:end], after, start > context, end + context < len(body))


def _trimmed(before: str, text: str, after: str, more_before: bool, more_after: bool) -> tuple[str, str, str]:
    """The context either side of ``text`` cut back to a whole word, marked "…" where the
    document goes on (``more_before``, ``more_after``)."""
    if more_before:
        cut = before.find(" ")
        before = "…" + (before[cut + 1 :] if 0 <= cut < len(before) - 1 else before)
    if more_after:
        cut = after.rfind(" ")
        after = (after[:cut] if cut > 0 else after) + "…"
    return before, text, after
