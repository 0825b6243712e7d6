"""Recruiting people with lived experience: the funnel per team, time between stages, why
people left or said no, and the recruitment-tension theme in the notes."""

from __future__ import annotations

import duckdb
import pandas as pd

from observation import db
from observation.filters import StudyFilter

FUNNEL = ("identified", "approached", "agreed", "first_attended", "still_attending")
DROP_OUTS = ("declined", "withdrew")
STAGE_LABELS = {
    "identified": "Identified",
    "approached": "Approached",
    "agreed": "Agreed",
    "first_attended": "First attended",
    "still_attending": "Still attending",
    "declined": "Declined",
    "withdrew": "Withdrew",
}
TENSION_THEME = "recruitment_tension"


def funnel(con: duckdb.DuckDBPyConnection, flt: StudyFilter) -> pd.DataFrame:
    """People reaching each stage, per team: team_id, team_name, setting, stage, people. Every
    stage of FUNNEL and DROP_OUTS appears for every team (0 where nobody reached it).

    A funnel follows a cohort: the people whose recruitment began (their first event) within the
    filter's dates, counted at every stage they went on to reach, whenever that was."""
    with db.cursor(con) as cur:
        return cur.execute(
            """
            with chosen as (
                select id as team_id, name as team_name, setting
                from teams
                where ($teams::integer[] is null or list_contains($teams::integer[], id))
                  and ($setting is null or setting = $setting)
            ),
            stages as (select unnest($stages::varchar[]) as stage, generate_subscripts($stages::varchar[], 1) as step),
            cohort as (
                select e.participant_id
                from recruitment_events as e
                group by e.participant_id
                having ($start::date is null or min(e.event_date) >= $start::date)
                   and ($end::date is null or min(e.event_date) <= $end::date)
            )
            select c.team_id, c.team_name, c.setting, s.stage, count(distinct e.participant_id) as people
            from chosen as c
            cross join stages as s
            left join participants as p on p.team_id = c.team_id and p.id in (select participant_id from cohort)
            left join recruitment_events as e on e.participant_id = p.id and e.stage = s.stage
            group by c.team_id, c.team_name, c.setting, s.stage, s.step
            order by c.team_name, s.step
            """,
            flt.sql_params() | {"stages": [*FUNNEL, *DROP_OUTS]},
        ).fetchdf()


def stage_times(con: duckdb.DuckDBPyConnection, flt: StudyFilter) -> pd.DataFrame:
    """Days from one stage to the next for each person of the cohort (as in ``funnel``),
    summarised per team and step: team_name, from_stage, to_stage, people, median_days, max_days."""
    with db.cursor(con) as cur:
        return cur.execute(
            """
            with firsts as (
                select p.team_id, e.participant_id, e.stage, min(e.event_date) as day
                from recruitment_events as e
                join participants as p on p.id = e.participant_id
                join teams as t on t.id = p.team_id
                where ($teams::integer[] is null or list_contains($teams::integer[], p.team_id))
                  and ($setting is null or t.setting = $setting)
                  and e.participant_id in (
                      select participant_id
                      from recruitment_events
                      group by participant_id
                      having ($start::date is null or min(event_date) >= $start::date)
                         and ($end::date is null or min(event_date) <= $end::date)
                  )
                group by all
            ),
            steps as (
                select * from (values
                    (1, 'identified', 'approached'), (2, 'approached', 'agreed'),
                    (3, 'approached', 'declined'), (4, 'agreed', 'first_attended'),
                    (5, 'first_attended', 'withdrew')
                ) as s (step, from_stage, to_stage)
            )
            select t.name as team_name, s.from_stage, s.to_stage, count(*) as people,
                   median(b.day - a.day) as median_days, max(b.day - a.day) as max_days
            from steps as s
            join firsts as a on a.stage = s.from_stage
            join firsts as b on b.participant_id = a.participant_id and b.stage = s.to_stage
            join teams as t on t.id = a.team_id
            group by t.name, s.step, s.from_stage, s.to_stage
            order by t.name, s.step
            """,
            flt.sql_params(),
        ).fetchdf()


def events(
    con: duckdb.DuckDBPyConnection, flt: StudyFilter, team_id: int | None = None, stage: str | None = None
) -> pd.DataFrame:
    """The recruitment events behind a count: team_name, code, stage, event_date, reason."""
    with db.cursor(con) as cur:
        return cur.execute(
            """
            select t.name as team_name, p.code, e.stage, e.event_date, c.name as reason
            from recruitment_events as e
            join participants as p on p.id = e.participant_id
            join teams as t on t.id = p.team_id
            left join codes as c on c.id = e.reason_code_id
            where ($teams::integer[] is null or list_contains($teams::integer[], t.id))
              and ($setting is null or t.setting = $setting)
              and ($start::date is null or e.event_date >= $start::date)
              and ($end::date is null or e.event_date <= $end::date)
              and ($team_id::integer is null or t.id = $team_id::integer)
              and ($stage::varchar is null or e.stage = $stage)
            order by e.event_date, t.name, p.code
            """,
            flt.sql_params() | {"team_id": team_id, "stage": stage},
        ).fetchdf()


def tension_by_month(con: duckdb.DuckDBPyConnection, flt: StudyFilter) -> pd.DataFrame:
    """Notes carrying a recruitment-tension code, per team and month, with the held meetings of
    that month so teams that meet more are compared fairly: team_id, team_name, setting, month,
    notes, held, per_meeting."""
    with db.cursor(con) as cur:
        return cur.execute(
            """
            with months as (
                select team_id, team_name, setting, date_trunc('month', meeting_date)::date as month,
                       count(*) filter (where status = 'held') as held
                from filtered_meetings($teams::integer[], $setting, $start::date, $end::date)
                group by all
            ),
            tension as (
                select f.team_id, date_trunc('month', f.meeting_date)::date as month, count(distinct n.id) as notes
                from filtered_meetings($teams::integer[], $setting, $start::date, $end::date) as f
                join field_notes as n on n.meeting_id = f.meeting_id
                join coded_segments as s on s.note_id = n.id
                join codes as c on c.id = s.code_id
                where c.slug = $theme or starts_with(c.slug, $theme || '.')
                group by all
            )
            select m.team_id, m.team_name, m.setting, m.month, coalesce(t.notes, 0) as notes, m.held,
                   if(m.held > 0, coalesce(t.notes, 0) / m.held, null) as per_meeting
            from months as m
            left join tension as t using (team_id, month)
            order by m.team_name, m.month
            """,
            flt.sql_params() | {"theme": TENSION_THEME},
        ).fetchdf()
