"""Agreement between two coders, counted per note: percent agreement and Cohen's kappa.

Over the notes both coders coded (each applied at least one code), every code either of them
used is a yes/no decision per note: applied by the coder or not. Kappa = (p_o - p_e) / (1 - p_e);
it is undefined (None) when chance agreement is already certain.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb
import pandas as pd

from observation import access, db
from observation.filters import StudyFilter


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
        tallies = cur.execute(
            """
            select
                d.code_id,
                any_value(c.name) as code_name,
                count(*) filter (where by_a and by_b) as both,
                count(*) filter (where by_a and not by_b) as only_a,
                count(*) filter (where by_b and not by_a) as only_b,
                count(*) filter (where not by_a and not by_b) as neither,
                count(distinct d.note_id) as notes
            from coder_decisions($teams::integer[], $setting, $start::date, $end::date, $a, $b) as d
            join codes as c on c.id = d.code_id
            group by grouping sets ((d.code_id), ())
            order by grouping(d.code_id) desc, code_name
            """,
            params,
        ).fetchall()
        disagreements = cur.execute(
            """
            select d.note_id, t.name as team_name, m.meeting_date as day, n.body, c.name as code_name,
                   if(by_a, $a, $b) || ' only' as coded_by
            from coder_decisions($teams::integer[], $setting, $start::date, $end::date, $a, $b) as d
            join field_notes as n on n.id = d.note_id
            join meetings as m on m.id = n.meeting_id
            join teams as t on t.id = m.team_id
            join codes as c on c.id = d.code_id
            where by_a <> by_b
            order by day, d.note_id, code_name
            """,
            params,
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
