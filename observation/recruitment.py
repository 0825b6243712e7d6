"""Recruiting people with lived experience: the funnel per team, time between stages, why
people left or said no, and the recruitment-tension theme in the notes."""

from __future__ import annotations

from dataclasses import dataclass

import duckdb
import pandas as pd

from observation import access, db, labels
from observation.filters import StudyFilter
from observation.notes import NO_TEAM, Source

FUNNEL = ("identified", "approached", "agreed", "first_attended", "still_attending")
DROP_OUTS = ("declined", "withdrew")
STAGE_LABELS = labels.RECRUITMENT_STAGES
TENSION_THEME = "recruitment_tension"


# Each person's steps of the funnel, one row per person and stage reached, for the chosen teams
# and the cohort of the filter's dates (definitions.FUNNEL). Nothing dated after the filter's end
# is read. identified / approached / agreed / declined / withdrew come from recruitment_events;
# first_attended and still_attending from attendance alone (recorded events of those two stages
# are ignored). "implies" is the last step of the chain a stage implies: declining means having been
# approached, withdrawing means having agreed. A chain stage not reached by a step of its own is
# implied by the earliest later one, and dated by it. Its rows (team_id, participant_id, stage,
# day, reason_code_id, source) are kept on a cursor as the table "reached" (_keep_reached), which
# the funnel, the stage times and the events read.
_REACHED = """
with chosen as (
    select id as team_id
    from teams
    where ($teams::integer[] is null or list_contains($teams::integer[], id))
      and ($setting is null or setting = $setting)
),
people as (
    select p.id as participant_id, p.team_id
    from participants as p
    join chosen using (team_id)
    left join role_categories as r on r.code = p.role
    where r.lived_experience
       or p.id in (select participant_id from recruitment_events)
),
held as (
    select meeting_id, team_id, meeting_date
    from meeting_facts
    where attendance_recorded
      and ($end::date is null or meeting_date <= $end::date)
),
present as (
    select a.participant_id, h.team_id, h.meeting_id, h.meeting_date
    from attendance as a
    join held as h using (meeting_id)
    where a.status = 'present'
      and a.participant_id in (select participant_id from people)
),
last_three as (
    select meeting_id
    from (
        select meeting_id, row_number() over (partition by team_id order by meeting_date desc, meeting_id desc) as back
        from held
        where team_id in (select team_id from chosen)
    )
    where back <= 3
),
steps as (
    select e.participant_id, e.stage, min(e.event_date) as day,
           arg_min(e.reason_code_id, e.event_date) as reason_code_id, 'recorded' as source
    from recruitment_events as e
    join people using (participant_id)
    where e.stage in ('identified', 'approached', 'agreed', 'declined', 'withdrew')
      and ($end::date is null or e.event_date <= $end::date)
    group by e.participant_id, e.stage
    union all
    select participant_id, 'first_attended', min(meeting_date), null, 'attendance'
    from present
    group by participant_id
    union all
    select x.participant_id, 'still_attending', max(x.meeting_date), null, 'attendance'
    from present as x
    join people as p on p.participant_id = x.participant_id and p.team_id = x.team_id
    where x.meeting_id in (select meeting_id from last_three)
    group by x.participant_id
),
cohort as (
    select participant_id
    from steps
    group by participant_id
    having ($start::date is null or min(day) >= $start::date)
),
chain (stage, step, implies) as (
    values ('identified', 1, 0), ('approached', 2, 1), ('agreed', 3, 2), ('first_attended', 4, 3),
           ('still_attending', 5, 4), ('declined', null, 2), ('withdrew', null, 3)
),
own as (
    select s.*, c.implies
    from steps as s
    join chain as c using (stage)
    where s.participant_id in (select participant_id from cohort)
),
implied as (
    select o.participant_id, c.stage, min(o.day) as day, arg_min(o.stage, o.day) as by_stage
    from own as o
    join chain as c on c.step <= o.implies
    group by o.participant_id, c.stage
),
person_stages as (
    select participant_id, stage, day, reason_code_id, source
    from own
    union all
    select i.participant_id, i.stage, i.day, null,
           if(i.by_stage in ('first_attended', 'still_attending'), 'implied by attendance',
              'implied by a later recorded step')
    from implied as i
    where not exists (select 1 from own as o where o.participant_id = i.participant_id and o.stage = i.stage)
),
reached as (
    select p.team_id, r.*
    from person_stages as r
    join people as p using (participant_id)
)
select * from reached
"""


def _keep_reached(cur: duckdb.DuckDBPyConnection, flt: StudyFilter) -> None:
    """Work out who reached which stage (_REACHED) once, and keep the rows on ``cur`` as the table
    "reached" for the statements that follow: the Recruitment page's three tables read them, and
    each working them out again took 50–90 ms at national scale."""
    db.keep_rows(cur, "reached", _REACHED, flt.sql_params())


_FUNNEL = """
with stages as (select unnest($stages::varchar[]) as stage, generate_subscripts($stages::varchar[], 1) as step)
select t.id as team_id, t.name as team_name, t.setting, s.stage, count(r.participant_id) as people
from teams as t
cross join stages as s
left join reached as r on r.team_id = t.id and r.stage = s.stage
where ($teams::integer[] is null or list_contains($teams::integer[], t.id))
  and ($setting is null or t.setting = $setting)
group by t.id, t.name, t.setting, s.stage, s.step
order by t.name, s.step
"""

_STAGE_TIMES = """
with dated as (select * from reached where source in ('recorded', 'attendance')),
pairs as (
    select * from (values
        (1, 'identified', 'approached'), (2, 'approached', 'agreed'),
        (3, 'approached', 'declined'), (4, 'agreed', 'first_attended'),
        (5, 'first_attended', 'withdrew')
    ) as s (step, from_stage, to_stage)
)
select t.name as team_name, s.from_stage, s.to_stage, count(*) as people,
       median(b.day - a.day) as median_days, max(b.day - a.day) as max_days
from pairs as s
join dated as a on a.stage = s.from_stage
join dated as b on b.participant_id = a.participant_id and b.stage = s.to_stage
join teams as t on t.id = a.team_id
group by t.name, s.step, s.from_stage, s.to_stage
order by t.name, s.step
"""

_EVENTS = """
select t.name as team_name, p.code, r.stage, r.day as event_date, c.name as reason, r.source
from reached as r
join participants as p on p.id = r.participant_id
join teams as t on t.id = r.team_id
left join codes as c on c.id = r.reason_code_id
where ($team_id::integer is null or r.team_id = $team_id::integer)
  and list_contains($asked::varchar[], r.stage)
order by r.day, t.name, p.code, list_position($stages::varchar[], r.stage)
"""


def _funnel(cur: duckdb.DuckDBPyConnection, flt: StudyFilter) -> pd.DataFrame:
    """Every team of the filter, the kept rows counted per stage (DuckDB refuses a parameter a
    statement does not use, so only the teams and setting are passed)."""
    params = flt.sql_params()
    return cur.execute(
        _FUNNEL, {"teams": params["teams"], "setting": params["setting"], "stages": [*FUNNEL, *DROP_OUTS]}
    ).fetchdf()


def _events(cur: duckdb.DuckDBPyConnection, team_id: int | None, stages: tuple[str, ...]) -> pd.DataFrame:
    return cur.execute(_EVENTS, {"team_id": team_id, "asked": list(stages), "stages": [*FUNNEL, *DROP_OUTS]}).fetchdf()


@dataclass(frozen=True)
class Recruitment:
    """The Recruitment page's tables, from one working-out of who reached which stage."""

    funnel: pd.DataFrame
    """As ``funnel``."""
    stage_times: pd.DataFrame
    """As ``stage_times``."""
    drop_outs: pd.DataFrame
    """As ``events``, for the people who declined or withdrew (DROP_OUTS)."""


@access.requires(*access.READERS)  # the drop-outs are rows, not counts: never a presenter's
def recruitment(con: duckdb.DuckDBPyConnection, flt: StudyFilter) -> Recruitment:
    """The funnel, the time between stages and the people who declined or withdrew, as ``funnel``,
    ``stage_times`` and ``events`` give them, working out who reached which stage once."""
    flt = access.readable(flt, "the recruitment funnel", con)
    with db.cursor(con) as cur:
        _keep_reached(cur, flt)
        return Recruitment(_funnel(cur, flt), cur.execute(_STAGE_TIMES).fetchdf(), _events(cur, None, DROP_OUTS))


def funnel(con: duckdb.DuckDBPyConnection, flt: StudyFilter) -> pd.DataFrame:
    """People reaching each stage, per team: team_id, team_name, setting, stage, people. Every
    stage of FUNNEL and DROP_OUTS appears for every team (0 where nobody reached it).

    As definitions.FUNNEL words it: first attended and still attending come from attendance, a
    later stage implies the earlier ones, and nothing dated after the filter's end counts. A
    funnel follows a cohort: the people whose recruitment began (their earliest recorded step or
    first present attendance) within the filter's dates, at every stage they reached by its end."""
    flt = access.readable(flt, "the recruitment funnel", con)
    with db.cursor(con) as cur:
        _keep_reached(cur, flt)
        return _funnel(cur, flt)


def stage_times(con: duckdb.DuckDBPyConnection, flt: StudyFilter) -> pd.DataFrame:
    """Days from one stage to the next for each person of the funnel's cohort, summarised per team
    and step: team_name, from_stage, to_stage, people, median_days, max_days. The dates are the
    funnel's (first attended is the first present attendance); a stage only implied by a later
    one has no date of its own, so no time is measured to or from it."""
    flt = access.readable(flt, "the recruitment stage times", con)
    with db.cursor(con) as cur:
        _keep_reached(cur, flt)
        return cur.execute(_STAGE_TIMES).fetchdf()


@access.requires(*access.READERS)  # rows, not counts: never a presenter's
def events(
    con: duckdb.DuckDBPyConnection, flt: StudyFilter, team_id: int | None = None, stage: str | None = None
) -> pd.DataFrame:
    """The people behind a count of ``funnel``, one row per person and stage: team_name, code,
    stage, event_date (when they reached it), reason (the coded reason recorded, if any) and
    source: 'recorded', 'attendance' (first present attendance; for still attending, their last
    presence at one of the team's last three meetings), 'implied by attendance' or 'implied by a
    later recorded step' (dated by that later stage)."""
    flt = access.readable(flt, "the people recruited", con)
    if team_id is not None:
        access.require_teams((team_id,), "the people recruited", con=con)
    with db.cursor(con) as cur:
        _keep_reached(cur, flt)
        return _events(cur, team_id, DROP_OUTS + FUNNEL if stage is None else (stage,))


def tension_by_month(con: duckdb.DuckDBPyConnection, flt: StudyFilter, source: Source = "notes") -> pd.DataFrame:
    """The recruitment-tension theme per team and month in ``source``, a document counted once
    however many tension codes (or coders) it carries. Field notes by their meeting's month, with
    the meetings held that month so teams that meet more are compared fairly; interview transcripts
    by the month of the interview, with every transcript of that team and month and not divided by
    meetings (an interview is not held at one). Columns: team_id (null: interviews with no team,
    named NO_TEAM), team_name, setting, month; notes, held, per_meeting (notes ÷ held); interviews
    (transcripts with a tension code), transcripts. A row is a team-month with a meeting or an
    interview in a counted source; the other source's columns are null in it."""
    flt = access.readable(flt, "the recruitment tensions", con)
    with db.cursor(con) as cur:
        return cur.execute(
            """
            with months as (
                select team_id, team_name, setting, date_trunc('month', meeting_date)::date as month,
                       count(*) filter (where status = 'held') as held
                from filtered_meetings($teams::integer[], $setting, $start::date, $end::date)
                where $source <> 'interviews'
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
            ),
            in_notes as (
                select m.team_id, m.team_name, m.setting, m.month, coalesce(t.notes, 0) as notes, m.held,
                       if(m.held > 0, coalesce(t.notes, 0) / m.held, null) as per_meeting
                from months as m
                left join tension as t using (team_id, month)
            ),
            tense as (  -- the transcripts with a tension code
                select distinct s.interview_id
                from coded_segments as s
                join codes as c on c.id = s.code_id
                where c.slug = $theme or starts_with(c.slug, $theme || '.')
            ),
            in_interviews as (
                select i.team_id, coalesce(i.team_name, $no_team) as team_name, i.setting,
                       date_trunc('month', i.interview_date)::date as month,
                       count(x.interview_id) as interviews, count(*) as transcripts
                from filtered_interviews($teams::integer[], $setting, $start::date, $end::date) as i
                left join tense as x on x.interview_id = i.id
                where $source <> 'notes'
                group by all
            )
            select coalesce(n.team_id, k.team_id) as team_id, coalesce(n.team_name, k.team_name) as team_name,
                   coalesce(n.setting, k.setting) as setting, coalesce(n.month, k.month) as month,
                   n.notes, n.held, n.per_meeting, k.interviews, k.transcripts
            from in_notes as n
            full join in_interviews as k on k.team_id = n.team_id and k.month = n.month
            order by coalesce(n.team_id, k.team_id) is null, coalesce(n.team_name, k.team_name), month
            """,
            flt.sql_params() | {"theme": TENSION_THEME, "source": source, "no_team": NO_TEAM},
        ).fetchdf()
