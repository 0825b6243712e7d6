"""One typed function per question the pages ask. SQL is parameterised and aggregates in DuckDB.

Every function takes the process's connection, opens its own cursor, and reads its result
completely before returning.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import duckdb
import pandas as pd
from pydantic import BaseModel, ConfigDict

from observation.filters import StudyFilter
from observation.models import PARTICIPATION_RANK, ParticipationLevel, Study, Team


class Measures(BaseModel):
    """DOMAIN.md's measures over a set of meetings. A share is None when no meeting was held."""

    model_config = ConfigDict(frozen=True)

    meetings_held: int
    meetings_cancelled: int
    meetings_postponed: int
    presence_share: float | None
    service_user_share: float | None
    carer_share: float | None
    mean_representation: float | None
    meaningful_share: float | None


class TeamMeasures(Measures):
    team_id: int
    team_name: str
    setting: str


@dataclass(frozen=True)
class Overview:
    overall: Measures
    teams: tuple[TeamMeasures, ...]
    trend: pd.DataFrame
    """One row per team and month with held meetings, for the first teams by name: team_id,
    team_name, month, meetings_held, presence_share, meaningful_share."""
    events: pd.DataFrame
    """Annotations within the period for the trend's teams and the whole study: team_id (null for
    the whole study), event_date, label, category."""

    @property
    def has_meetings(self) -> bool:
        o = self.overall
        return o.meetings_held + o.meetings_cancelled + o.meetings_postponed > 0


@dataclass(frozen=True)
class StudyInfo:
    study: Study
    first_meeting: dt.date | None
    last_meeting: dt.date | None


def study_info(con: duckdb.DuckDBPyConnection) -> StudyInfo | None:
    """The study's name and period, or None for a file that holds no study yet."""
    with con.cursor() as cur:
        row = cur.execute("select * from study").fetchdf()
        span = cur.execute("select min(meeting_date), max(meeting_date) from meetings").fetchone()
    if row.empty:
        return None
    first, last = span if span else (None, None)
    return StudyInfo(Study.model_validate(row.iloc[0].to_dict()), first, last)


def teams(con: duckdb.DuckDBPyConnection) -> tuple[Team, ...]:
    with con.cursor() as cur:
        rows = cur.execute("select * from teams order by name").fetchdf()
    return tuple(Team.model_validate(r) for r in rows.to_dict("records"))


def overview(
    con: duckdb.DuckDBPyConnection, flt: StudyFilter, level: ParticipationLevel, trend_teams: int = 12
) -> Overview:
    """Measures overall and per team, and the month-by-month trend of the first ``trend_teams``
    teams by name (as many as a chart draws side by side)."""
    params = flt.sql_params() | {"level_rank": PARTICIPATION_RANK[level]}
    with con.cursor() as cur:
        grouped = cur.execute(
            """
            select
                team_id,
                any_value(team_name) as team_name,
                any_value(setting) as setting,
                count(*) filter (where status = 'held') as meetings_held,
                count(*) filter (where status = 'cancelled') as meetings_cancelled,
                count(*) filter (where status = 'postponed') as meetings_postponed,
                avg(if(present_service_users + present_carers > 0, 1.0, 0.0))
                    filter (where status = 'held') as presence_share,
                avg(if(present_service_users > 0, 1.0, 0.0)) filter (where status = 'held') as service_user_share,
                avg(if(present_carers > 0, 1.0, 0.0)) filter (where status = 'held') as carer_share,
                avg((present_service_users + present_carers) / present_total)
                    filter (where status = 'held' and present_total > 0) as mean_representation,
                avg(if(coalesce(best_le_rank, 0) >= $level_rank, 1.0, 0.0))
                    filter (where status = 'held') as meaningful_share
            from filtered_meetings($all_teams, $teams, $setting, $start, $end)
            group by grouping sets ((team_id), ())
            order by grouping(team_id) desc, team_name
            """,
            params,
        ).fetchdf()
        trend = cur.execute(
            """
            select
                team_id,
                any_value(team_name) as team_name,
                date_trunc('month', meeting_date)::date as month,
                count(*) as meetings_held,
                avg(if(present_service_users + present_carers > 0, 1.0, 0.0)) as presence_share,
                avg(if(coalesce(best_le_rank, 0) >= $level_rank, 1.0, 0.0)) as meaningful_share
            from filtered_meetings($all_teams, $teams, $setting, $start, $end)
            where status = 'held'
              and team_id in (
                  select team_id
                  from filtered_meetings($all_teams, $teams, $setting, $start, $end)
                  where status = 'held'
                  group by team_id, team_name
                  order by team_name
                  limit $trend_teams
              )
            group by team_id, month
            order by team_name, month
            """,
            params | {"trend_teams": trend_teams},
        ).fetchdf()
        events = cur.execute(
            """
            select team_id, event_date, label, category
            from annotations
            where (team_id is null or list_contains($shown, team_id))
              and ($start is null or event_date >= $start)
              and ($end is null or event_date <= $end)
            order by event_date, id
            """,
            {"shown": [int(t) for t in trend["team_id"].unique()] or [0], "start": flt.start, "end": flt.end},
        ).fetchdf()
    records = grouped.astype(object).where(grouped.notna(), None).to_dict("records")
    overall = Measures.model_validate(records[0] if records and records[0]["team_id"] is None else _no_meetings())
    per_team = tuple(TeamMeasures.model_validate(r) for r in records if r["team_id"] is not None)
    return Overview(overall, per_team, trend, events)


def _no_meetings() -> dict[str, object]:
    return {
        "meetings_held": 0,
        "meetings_cancelled": 0,
        "meetings_postponed": 0,
        "presence_share": None,
        "service_user_share": None,
        "carer_share": None,
        "mean_representation": None,
        "meaningful_share": None,
    }
