"""One typed function per question the pages ask. SQL is parameterised and aggregates in DuckDB.

Every function takes the process's connection, opens its own cursor, and reads its result
completely before returning.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Literal

import duckdb
import pandas as pd
from pydantic import BaseModel, ConfigDict

from observation import access, db
from observation.filters import StudyFilter
from observation.models import PARTICIPATION_RANK, ParticipationLevel, Setting, Study, Team

TrendPeriod = Literal["month", "quarter"]


class Measures(BaseModel):
    """docs/MEASURES.md's measures over a set of meetings. Shares are over held meetings with attendance
    recorded, and None when there are none."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    meetings_held: int = 0
    meetings_cancelled: int = 0
    meetings_postponed: int = 0
    meetings_unrecorded: int = 0
    """Held meetings with nobody recorded present: left out of every share."""
    presence_share: float | None = None
    service_user_share: float | None = None
    carer_share: float | None = None
    mean_representation: float | None = None
    meaningful_share: float | None = None


class TeamMeasures(Measures):
    team_id: int
    team_name: str
    setting: Setting


@dataclass(frozen=True)
class Overview:
    overall: Measures
    teams: tuple[TeamMeasures, ...]
    trend: pd.DataFrame
    """One row per team and month with held meetings whose attendance was recorded, for the first
    teams by name: team_id, team_name, month, meetings, presence_share, meaningful_share."""
    events: pd.DataFrame
    """Annotations within the period for the trend's teams and the whole study: team_id (null for
    the whole study), event_date, label, category."""
    series: pd.DataFrame
    """One row per held meeting with attendance recorded, for the same teams as the trend, in date
    order: team_id, team_name, meeting_date, present_total, present_lived_experience,
    lived_experience_present (0/1), meaningful (0/1)."""
    hidden: frozenset[tuple[Any, str]] = frozenset()
    """In presenter mode, the shares taken out (observation.presenting.Guarded.hidden)."""

    @property
    def has_meetings(self) -> bool:
        o = self.overall
        return o.meetings_held + o.meetings_cancelled + o.meetings_postponed > 0

    @property
    def teams_charted(self) -> int:
        return int(self.trend["team_id"].nunique())

    @property
    def teams_with_recorded_meetings(self) -> int:
        return sum(1 for t in self.teams if t.meetings_held > t.meetings_unrecorded)


@dataclass(frozen=True)
class StudyInfo:
    study: Study
    first_meeting: dt.date | None
    last_meeting: dt.date | None


def study_info(con: duckdb.DuckDBPyConnection, teams: tuple[int, ...] | None = None) -> StudyInfo | None:
    """The study's name and the period of the meetings of ``teams`` (None: of every team the acting
    person may read, so a coach learns nothing of the others'), or None for a file that holds no
    study yet."""
    scope = access.readable(StudyFilter(teams=teams or ()), "the study's period", con)
    with db.cursor(con) as cur:
        rows = records(cur.execute("select * from study"))
        span = cur.execute(
            "select min(meeting_date), max(meeting_date) from meetings "
            "where $teams::integer[] is null or list_contains($teams::integer[], team_id)",
            {"teams": scope.sql_params()["teams"]},
        ).fetchone()
    if not rows:
        return None
    first, last = span if span else (None, None)
    return StudyInfo(Study.model_validate(rows[0]), first, last)


def teams(con: duckdb.DuckDBPyConnection) -> tuple[Team, ...]:
    """The teams the acting person may read, by name (a coach: theirs; no other team's name)."""
    scope = access.readable(StudyFilter(), "the teams", con)
    with db.cursor(con) as cur:
        rows = records(
            cur.execute(
                "select * from teams where $teams::integer[] is null or list_contains($teams::integer[], id) "
                "order by name",
                {"teams": scope.sql_params()["teams"]},
            )
        )
    return tuple(Team.model_validate(r) for r in rows)


def overview(
    con: duckdb.DuckDBPyConnection,
    flt: StudyFilter,
    level: ParticipationLevel,
    trend_teams: int = 12,
    period: TrendPeriod = "month",
    first_by_id: bool = False,
) -> Overview:
    """Measures overall and per team, and the trend by month (or quarter) of the first
    ``trend_teams`` teams by name, or by id (as many as a chart draws side by side; presenter
    mode takes them by id, the order of its Team A, Team B…)."""
    flt = access.readable(flt, "the overview", con)
    params = flt.sql_params() | {"level_rank": PARTICIPATION_RANK[level]}
    with db.cursor(con) as cur:
        grouped = records(
            cur.execute(
                """
                select
                    team_id,
                    any_value(team_name) as team_name,
                    any_value(setting) as setting,
                    count(*) filter (where status = 'held') as meetings_held,
                    count(*) filter (where status = 'cancelled') as meetings_cancelled,
                    count(*) filter (where status = 'postponed') as meetings_postponed,
                    count(*) filter (where status = 'held' and not attendance_recorded) as meetings_unrecorded,
                    avg(if(present_lived_experience > 0, 1.0, 0.0))
                        filter (where attendance_recorded) as presence_share,
                    avg(if(present_service_users > 0, 1.0, 0.0)) filter (where attendance_recorded)
                        as service_user_share,
                    avg(if(present_carers > 0, 1.0, 0.0)) filter (where attendance_recorded) as carer_share,
                    avg(present_lived_experience / present_total)
                        filter (where attendance_recorded) as mean_representation,
                    avg(if(coalesce(best_le_rank, 0) >= $level_rank, 1.0, 0.0))
                        filter (where attendance_recorded) as meaningful_share
                from filtered_meetings($teams::integer[], $setting, $start::date, $end::date)
                group by grouping sets ((team_id), ())
                order by grouping(team_id) desc, team_name
                """,
                params,
            )
        )
        trend = cur.execute(
            """
            select
                team_id,
                any_value(team_name) as team_name,
                date_trunc($period, meeting_date)::date as month,
                count(*) as meetings,
                avg(if(present_lived_experience > 0, 1.0, 0.0)) as presence_share,
                avg(if(coalesce(best_le_rank, 0) >= $level_rank, 1.0, 0.0)) as meaningful_share
            from filtered_meetings($teams::integer[], $setting, $start::date, $end::date)
            where attendance_recorded
              and team_id in (
                  select team_id
                  from filtered_meetings($teams::integer[], $setting, $start::date, $end::date)
                  where attendance_recorded
                  group by team_id, team_name
                  order by if($first_by_id, team_id, null), team_name
                  limit $trend_teams
              )
            group by team_id, month
            order by team_name, month
            """,
            params | {"trend_teams": trend_teams, "period": period, "first_by_id": first_by_id},
        ).fetchdf()
        series = cur.execute(
            """
            select
                team_id,
                team_name,
                meeting_date,
                present_total,
                present_lived_experience,
                if(present_lived_experience > 0, 1, 0) as lived_experience_present,
                if(coalesce(best_le_rank, 0) >= $level_rank, 1, 0) as meaningful
            from filtered_meetings($teams::integer[], $setting, $start::date, $end::date)
            where attendance_recorded and list_contains($shown, team_id)
            order by team_name, meeting_date
            """,
            params | {"shown": [int(t) for t in trend["team_id"].unique()]},
        ).fetchdf()
        events = cur.execute(
            """
            select team_id, event_date, label, category
            from annotations
            where (team_id is null or list_contains($shown, team_id))
              and ($start::date is null or event_date >= $start::date)
              and ($end::date is null or event_date <= $end::date)
            order by event_date, id
            """,
            {"shown": [int(t) for t in trend["team_id"].unique()], "start": flt.start, "end": flt.end},
        ).fetchdf()
    overall = Measures()
    per_team = []
    for row in grouped:
        team_id, team_name, setting = row.pop("team_id"), row.pop("team_name"), row.pop("setting")
        if team_id is None:
            overall = Measures.model_validate(row)
        else:
            per_team.append(
                TeamMeasures.model_validate(row | {"team_id": team_id, "team_name": team_name, "setting": setting})
            )
    return Overview(overall, tuple(per_team), trend, events, series)


MEETING_KINDS = (
    "service_users_only",
    "service_users_only_meaningful",
    "carers_only",
    "carers_only_meaningful",
    "both",
    "both_meaningful",
    "nobody",
)
"""The kinds of held meeting with attendance recorded that every presence measure is a sum of: who
with lived experience was there (service users, carers, both, nobody) and, where someone was,
whether their involvement was meaningful."""


def meeting_kinds(
    con: duckdb.DuckDBPyConnection, flt: StudyFilter, level: ParticipationLevel, period: TrendPeriod = "quarter"
) -> pd.DataFrame:
    """Per team and period (its first day), the held meetings with attendance recorded of each of
    MEETING_KINDS: what disclosure control reasons about (observation.disclosure)."""
    flt = access.readable(flt, "the meeting kinds", con)
    with db.cursor(con) as cur:
        return cur.execute(
            """
            with kinds as (
                select
                    team_id,
                    date_trunc($period, meeting_date)::date as period,
                    present_service_users > 0 as service_users,
                    present_carers > 0 as carers,
                    coalesce(best_le_rank, 0) >= $level_rank as meaningful
                from filtered_meetings($teams::integer[], $setting, $start::date, $end::date)
                where attendance_recorded
            )
            select
                team_id,
                period,
                count(*) filter (where service_users and not carers and not meaningful) as service_users_only,
                count(*) filter (where service_users and not carers and meaningful) as service_users_only_meaningful,
                count(*) filter (where carers and not service_users and not meaningful) as carers_only,
                count(*) filter (where carers and not service_users and meaningful) as carers_only_meaningful,
                count(*) filter (where service_users and carers and not meaningful) as both,
                count(*) filter (where service_users and carers and meaningful) as both_meaningful,
                count(*) filter (where not service_users and not carers) as nobody
            from kinds
            group by team_id, period
            order by team_id, period
            """,
            flt.sql_params() | {"period": period, "level_rank": PARTICIPATION_RANK[level]},
        ).fetchdf()


SubgroupKind = Literal["month", "quarter", "block"]


def qi_subgroups(
    con: duckdb.DuckDBPyConnection,
    flt: StudyFilter,
    level: ParticipationLevel,
    teams: tuple[int, ...],
    by: SubgroupKind = "month",
    block: int = 4,
) -> pd.DataFrame:
    """``teams``' held meetings with attendance recorded, in subgroups — calendar months or
    quarters, or consecutive blocks of ``block`` meetings per team (the last block may be
    shorter) — one row per team and subgroup in date order: team_id, team_name, subgroup_start
    (the first day of the month or quarter, or the block's first meeting), first_day, last_day,
    first_nth, last_nth (the team's meetings numbered from 1), meetings, presence (meetings with
    lived-experience presence), meaningful (meetings with meaningful involvement)."""
    flt = access.readable(flt, "the QI chart", con)
    access.require_teams(teams, "the QI chart", con=con)
    with db.cursor(con) as cur:
        return cur.execute(
            """
            with numbered as (
                select
                    team_id,
                    team_name,
                    meeting_date,
                    present_lived_experience,
                    best_le_rank,
                    row_number() over (partition by team_id order by meeting_date, meeting_id) as nth
                from filtered_meetings($teams::integer[], $setting, $start::date, $end::date)
                where attendance_recorded and list_contains($shown, team_id)
            ),
            grouped as (
                select
                    *,
                    if($by = 'block', (nth - 1) // $block, null) as block_no,
                    if($by = 'block', null, date_trunc(if($by = 'quarter', 'quarter', 'month'), meeting_date)::date)
                        as period
                from numbered
            )
            select
                team_id,
                any_value(team_name) as team_name,
                coalesce(any_value(period), min(meeting_date)) as subgroup_start,
                min(meeting_date) as first_day,
                max(meeting_date) as last_day,
                min(nth) as first_nth,
                max(nth) as last_nth,
                count(*) as meetings,
                count(*) filter (where present_lived_experience > 0) as presence,
                count(*) filter (where coalesce(best_le_rank, 0) >= $level_rank) as meaningful
            from grouped
            group by team_id, block_no, period
            order by team_name, team_id, subgroup_start
            """,
            flt.sql_params()
            | {"shown": list(teams), "by": by, "block": block, "level_rank": PARTICIPATION_RANK[level]},
        ).fetchdf()


def records(result: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    """Every row of a result as a dict of plain Python values (NULL stays None, never NaN)."""
    names = [column[0] for column in result.description or ()]
    return [dict(zip(names, row, strict=True)) for row in result.fetchall()]


def monthly_counts(con: duckdb.DuckDBPyConnection, flt: StudyFilter, level: ParticipationLevel) -> pd.DataFrame:
    """Counts of meetings per team and calendar month (months with a meeting of the team), per
    team over the whole period (``month`` null) and for the study (``team_id`` null too), in that
    order by team name and month: team_id, team_name, month (its first day), meetings_held,
    meetings_cancelled, meetings_postponed, meetings_recorded (held with attendance recorded), and
    of those meetings_with_lived_experience, meetings_with_service_users, meetings_with_carers and
    meetings_with_meaningful_involvement (someone with lived experience at ``level`` or above)."""
    flt = access.readable(flt, "the monthly counts", con)
    with db.cursor(con) as cur:
        return cur.execute(
            """
            select
                team_id,
                if(grouping(team_id) = 1, null, any_value(team_name)) as team_name,
                date_trunc('month', meeting_date)::date as month,
                count(*) filter (where status = 'held') as meetings_held,
                count(*) filter (where status = 'cancelled') as meetings_cancelled,
                count(*) filter (where status = 'postponed') as meetings_postponed,
                count(*) filter (where attendance_recorded) as meetings_recorded,
                count(*) filter (where attendance_recorded and present_lived_experience > 0)
                    as meetings_with_lived_experience,
                count(*) filter (where attendance_recorded and present_service_users > 0)
                    as meetings_with_service_users,
                count(*) filter (where attendance_recorded and present_carers > 0) as meetings_with_carers,
                count(*) filter (where attendance_recorded and coalesce(best_le_rank, 0) >= $level_rank)
                    as meetings_with_meaningful_involvement
            from filtered_meetings($teams::integer[], $setting, $start::date, $end::date)
            group by grouping sets ((team_id, month), (team_id), ())
            order by grouping(team_id), team_name, team_id, grouping(month), month
            """,
            flt.sql_params() | {"level_rank": PARTICIPATION_RANK[level]},
        ).fetchdf()
