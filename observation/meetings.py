"""Who was in the room: meetings per team, the attendance matrix, one meeting in full, attendance
over time and the continuity of people with lived experience."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Literal

import duckdb
import pandas as pd

from observation import access, db, labels
from observation.filters import StudyFilter
from observation.models import PARTICIPATION_RANK, ParticipationLevel

MatrixRows = Literal["role", "person"]
Period = Literal["meeting", "month"]
CELL_ORDER = ("present", "apologies", "absent", "not_expected", "cancelled")


@access.requires(*access.READERS)  # rows, not counts: never a presenter's
def meetings(
    con: duckdb.DuckDBPyConnection, flt: StudyFilter, level: ParticipationLevel, max_teams: int = 12
) -> pd.DataFrame:
    """The meetings in the filter of its first ``max_teams`` teams by name (as many as a chart
    draws side by side), with their counts: team_id, team_name, setting, meeting_id,
    meeting_date, status, format, present_total, present_service_users, present_carers,
    representation, su_share, carer_share, meaningful (0/1), attendance_recorded,
    no_lived_experience (held, with attendance recorded, and no service user or carer present), and
    teams_in_filter (how many teams the filter holds, of which these are the first)."""
    flt = access.readable(flt, "the meetings", con)
    with db.cursor(con) as cur:
        return cur.execute(
            """
            select
                team_id, team_name, setting, meeting_id, meeting_date, status, format,
                present_total, present_service_users, present_carers,
                if(attendance_recorded, present_lived_experience / present_total, null) as representation,
                if(attendance_recorded, present_service_users / present_total, null) as su_share,
                if(attendance_recorded, present_carers / present_total, null) as carer_share,
                if(coalesce(best_le_rank, 0) >= $level_rank, 1, 0) as meaningful,
                attendance_recorded,
                status = 'held' and attendance_recorded and present_lived_experience = 0 as no_lived_experience,
                (
                    select count(distinct team_id)
                    from filtered_meetings($teams::integer[], $setting, $start::date, $end::date)
                ) as teams_in_filter
            from filtered_meetings($teams::integer[], $setting, $start::date, $end::date)
            where team_id in (
                select distinct on (team_name) team_id
                from filtered_meetings($teams::integer[], $setting, $start::date, $end::date)
                order by team_name
                limit $max_teams
            )
            order by team_name, meeting_date
            """,
            flt.sql_params() | {"level_rank": PARTICIPATION_RANK[level], "max_teams": max_teams},
        ).fetchdf()


@access.requires(*access.READERS)  # rows, not counts: never a presenter's
def attendance_matrix(con: duckdb.DuckDBPyConnection, flt: StudyFilter, team_id: int, rows: MatrixRows) -> pd.DataFrame:
    """One cell per row (a person, or a role category) and meeting of one team: row_label,
    lived_experience, meeting_id, meeting_date, status of the meeting, cell (present / apologies
    / absent / not_expected / cancelled) and present (how many people of the row were present).
    For a role row the cell is the best of its people: present, else apologies, else absent."""
    flt = access.readable(flt, "the attendance matrix", con)
    access.require_teams((team_id,), "the attendance matrix", con=con)
    with db.cursor(con) as cur:
        return cur.execute(
            """
            with team_meetings as (
                select meeting_id, meeting_date, status
                from filtered_meetings($teams::integer[], $setting, $start::date, $end::date)
                where team_id = $team_id
            ),
            people as (
                select p.id, p.code, p.role, r.label as role_label, r.lived_experience, r.sort_order
                from participants as p
                join role_categories as r on r.code = p.role
                where p.team_id = $team_id
            ),
            cells as (
                select
                    if($rows = 'person', pe.code || ' (' || pe.role_label || ')', pe.role_label) as row_label,
                    if($rows = 'person', pe.code, lpad(pe.sort_order::varchar, 3, '0')) as row_key,
                    pe.lived_experience,
                    pe.sort_order,
                    tm.meeting_id,
                    tm.meeting_date,
                    tm.status,
                    a.status as attended
                from people as pe
                cross join team_meetings as tm
                left join attendance as a on a.meeting_id = tm.meeting_id and a.participant_id = pe.id
            )
            select
                row_label,
                any_value(lived_experience) as lived_experience,
                meeting_id,
                any_value(meeting_date) as meeting_date,
                any_value(status) as status,
                case
                    when any_value(status) <> 'held' then 'cancelled'
                    when bool_or(attended = 'present') then 'present'
                    when bool_or(attended = 'apologies') then 'apologies'
                    when bool_or(attended = 'absent') then 'absent'
                    else 'not_expected'
                end as cell,
                count(*) filter (where attended = 'present') as present
            from cells
            group by row_label, row_key, meeting_id
            order by not any_value(lived_experience), min(sort_order), row_key, meeting_date
            """,
            flt.sql_params() | {"team_id": team_id, "rows": rows},
        ).fetchdf()


@dataclass(frozen=True)
class PersonAtMeeting:
    """Someone recorded at a meeting, in words."""

    code: str
    role: str
    """Their role category, as the study names it ("Service user")."""
    attendance: str
    """present, apologies or absent (labels.ATTENDANCE)."""
    took_part: str
    """How far they took part ("co-leading", labels.PARTICIPATION); labels.NOT_RECORDED when present
    with none recorded; labels.NOT_PRESENT (a dash) when they were not there."""


@dataclass(frozen=True)
class RoleFilled:
    """A meeting role that was filled, in words."""

    role: str
    """Leader, Facilitator, Timekeeper or Recorder (labels.MEETING_ROLES)."""
    filled_by: str
    """A participant's code, or labels.NOT_RECORDED."""


@dataclass(frozen=True)
class MeetingDetail:
    """One meeting in full, as a reader reads it: every stored value in words (observation.labels),
    a value the study leaves empty said so, never a code or a blank."""

    meeting_id: int
    team_name: str
    meeting_date: dt.date
    held: bool
    at_home: bool
    status: str
    """held, cancelled or postponed (labels.MEETING_STATUSES)."""
    place: str
    """Where it was (or was to be) held: "held at the service user's home" (labels.HELD_AT)."""
    length: str
    """How long it lasted ("45 minutes"), or "length not recorded"."""
    action_items: str
    """How many action items it agreed ("2 action items", "no action items"), or "action items not recorded"."""
    evaluation: str
    """Whether it was evaluated ("evaluated", "not evaluated"), or "evaluation not recorded"."""
    people: tuple[PersonAtMeeting, ...]
    """Everyone recorded, people with lived experience first."""
    roles: tuple[RoleFilled, ...]
    """The meeting roles that were filled, in the order of labels.MEETING_ROLES."""

    @property
    def facts(self) -> tuple[str, ...]:
        """The meeting in a line's phrases: where and how it went when held; when not held, that it
        was not and where it was to be."""
        if not self.held:
            return (self.status, f"was to be {self.place}")
        return (self.place, self.length, self.action_items, self.evaluation)


def _in_words(row: tuple[Any, ...], people: list[tuple[Any, ...]], roles: list[tuple[Any, ...]]) -> MeetingDetail:
    """A meeting's stored values (its row, its attendance and its filled roles) in words."""
    mid, team_name, day, status, fmt, duration, actions, evaluated, _ = row
    missing = labels.NOT_RECORDED
    if actions is None:
        action_items = f"action items {missing}"
    else:
        action_items = {0: "no action items", 1: "1 action item"}.get(actions, f"{actions} action items")

    def took_part(attended: str, level: str | None) -> str:
        if level is not None:
            return labels.PARTICIPATION.get(level, level)
        return missing if attended == "present" else labels.NOT_PRESENT

    return MeetingDetail(
        meeting_id=mid,
        team_name=team_name,
        meeting_date=day,
        held=status == "held",
        at_home=fmt == "home",
        status=labels.MEETING_STATUSES.get(status, status),
        place=labels.HELD_AT.get(fmt, fmt),
        length=f"length {missing}" if duration is None else f"{duration} minutes",
        action_items=action_items,
        evaluation=f"evaluation {missing}" if evaluated is None else "evaluated" if evaluated else "not evaluated",
        people=tuple(
            PersonAtMeeting(code, role, labels.ATTENDANCE.get(attended, attended), took_part(attended, level))
            for code, role, attended, level in people
        ),
        roles=tuple(
            RoleFilled(labels.MEETING_ROLES.get(role, role), missing if code is None else code) for role, code in roles
        ),
    )


@access.requires(*access.READERS)  # rows, not counts: never a presenter's
def meeting_detail(con: duckdb.DuckDBPyConnection, meeting_id: int) -> MeetingDetail | None:
    """One meeting in full, in words (MeetingDetail), or None when there is none with that id; a
    coach asking for another team's meeting is refused (and the refusal audited)."""
    with db.cursor(con) as cur:
        row = cur.execute(
            """
            select m.id, t.name, m.meeting_date, m.status, m.format, m.duration_minutes, m.action_items, m.evaluated,
                   m.team_id
            from meetings as m
            join teams as t on t.id = m.team_id
            where m.id = ?
            """,
            [meeting_id],
        ).fetchone()
        if row is None:
            return None
        access.require_teams((int(row[-1]),), f"meeting {meeting_id}", con=con)
        people = cur.execute(
            """
            select p.code, r.label as role, a.status, a.participation
            from attendance as a
            join participants as p on p.id = a.participant_id
            join role_categories as r on r.code = p.role
            where a.meeting_id = ?
            order by not r.lived_experience, r.sort_order, p.code
            """,
            [meeting_id],
        ).fetchall()
        roles = cur.execute(
            """
            select mr.role, p.code as filled_by
            from meeting_roles as mr
            left join participants as p on p.id = mr.participant_id
            where mr.meeting_id = $meeting_id
            order by list_position($order, mr.role)
            """,
            {"meeting_id": meeting_id, "order": list(labels.MEETING_ROLES)},
        ).fetchall()
    return _in_words(row, people, roles)


def attendance_by_role(
    con: duckdb.DuckDBPyConnection, flt: StudyFilter, period: Period, max_teams: int = 12
) -> pd.DataFrame:
    """People present by role category (definitions.PRESENT_BY_ROLE), per team and per meeting or
    month, for the first ``max_teams`` teams by name with anyone present (as many as a chart draws
    side by side): team_id, team_name, period, role, lived_experience, present (a meeting's count; a
    month's mean over its held meetings with anyone recorded present), meetings (those meetings:
    1 for a meeting), and teams_in_filter (how many teams had anyone present)."""
    flt = access.readable(flt, "attendance by role", con)
    with db.cursor(con) as cur:
        return cur.execute(
            """
            with present as (
                select f.team_id, f.team_name,
                       if($period = 'month', date_trunc('month', f.meeting_date)::date, f.meeting_date) as period,
                       p.role
                from filtered_meetings($teams::integer[], $setting, $start::date, $end::date) as f
                join attendance as a on a.meeting_id = f.meeting_id and a.status = 'present'
                join participants as p on p.id = a.participant_id
                where f.status = 'held'
            ),
            -- not named teams: the macro's own table of that name is read in held below
            present_teams as (select distinct team_id, team_name from present),
            shown as (select team_id from present_teams order by team_name, team_id limit $max_teams),
            -- the held meetings with anyone present, each team's per period: a month's mean is over them
            held as (
                select f.team_id,
                       if($period = 'month', date_trunc('month', f.meeting_date)::date, f.meeting_date) as period,
                       count(*) as meetings
                from filtered_meetings($teams::integer[], $setting, $start::date, $end::date) as f
                where f.status = 'held' and f.team_id in (select team_id from shown)
                  and exists (select 1 from attendance as a where a.meeting_id = f.meeting_id and a.status = 'present')
                group by all
            )
            -- counted for the teams shown only (counting every team's first took twice as long)
            select x.team_id, any_value(x.team_name) as team_name, x.period, r.label as role,
                   any_value(r.lived_experience) as lived_experience,
                   count(*) / any_value(h.meetings) as present, any_value(h.meetings) as meetings,
                   (select count(*) from present_teams) as teams_in_filter
            from present as x
            join role_categories as r on r.code = x.role
            join held as h on h.team_id = x.team_id and h.period = x.period
            where x.team_id in (select team_id from shown)
            group by x.team_id, x.period, r.label
            order by any_value(x.team_name), x.period, any_value(r.sort_order)
            """,
            flt.sql_params() | {"period": period, "max_teams": max_teams},
        ).fetchdf()


def meeting_effectiveness(con: duckdb.DuckDBPyConnection, flt: StudyFilter, period: Period) -> pd.DataFrame:
    """Per team and meeting or month: held, cancelled (or postponed), mean roles filled (of 4),
    action items agreed, evaluated (share of held meetings)."""
    flt = access.readable(flt, "meeting effectiveness", con)
    with db.cursor(con) as cur:
        return cur.execute(
            """
            select
                f.team_id,
                f.team_name,
                if($period = 'month', date_trunc('month', f.meeting_date)::date, f.meeting_date) as period,
                count(*) filter (where f.status = 'held') as held,
                count(*) filter (where f.status <> 'held') as not_held,
                avg((select count(*) from meeting_roles as mr where mr.meeting_id = f.meeting_id))
                    filter (where f.status = 'held') as roles_filled,
                sum(m.action_items) filter (where f.status = 'held') as action_items,
                avg(m.evaluated::integer) filter (where f.status = 'held') as evaluated  -- unrecorded: left out
            from filtered_meetings($teams::integer[], $setting, $start::date, $end::date) as f
            join meetings as m on m.id = f.meeting_id
            group by all
            order by f.team_name, period
            """,
            flt.sql_params() | {"period": period},
        ).fetchdf()


@access.requires(*access.READERS)  # rows, not counts: never a presenter's
def continuity(con: duckdb.DuckDBPyConnection, flt: StudyFilter) -> pd.DataFrame:
    """Each person with lived experience who attended: team_name, code, role, first_attended,
    last_attended, meetings_attended, longest_streak (most consecutive held meetings of the team,
    with attendance recorded, that they were present at)."""
    flt = access.readable(flt, "continuity", con)
    with db.cursor(con) as cur:
        return cur.execute(
            """
            with held as (
                select team_id, team_name, meeting_id, meeting_date,
                       row_number() over (partition by team_id order by meeting_date) as n
                from filtered_meetings($teams::integer[], $setting, $start::date, $end::date)
                where attendance_recorded
            ),
            present as (
                select h.team_name, p.code, r.label as role, h.meeting_date, h.n,
                       h.n - row_number() over (partition by p.id order by h.n) as island
                from held as h
                join attendance as a on a.meeting_id = h.meeting_id and a.status = 'present'
                join participants as p on p.id = a.participant_id and p.team_id = h.team_id
                join role_categories as r on r.code = p.role
                where r.lived_experience
            ),
            streaks as (
                select team_name, code, role, island, count(*) as streak
                from present
                group by all
            )
            select
                p.team_name, p.code, p.role,
                min(p.meeting_date) as first_attended,
                max(p.meeting_date) as last_attended,
                count(*) as meetings_attended,
                (select max(s.streak) from streaks as s where s.code = p.code) as longest_streak
            from present as p
            group by p.team_name, p.code, p.role
            order by p.team_name, first_attended, p.code
            """,
            flt.sql_params(),
        ).fetchdf()
