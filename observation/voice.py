"""Voice at the meetings observed live (docs/MEASURES.md): who spoke up, raised items and took on
actions, from the contributions recorded as a meeting happened.

A held meeting is observed live when it has at least one contribution by someone other than an
observer (definitions.OBSERVED_LIVE; observers' contributions are not counted); voice share, items
raised and actions owned are taken over those meetings only. Every read narrows its filter with
``access.readable`` and aggregates in DuckDB.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import duckdb
import pandas as pd
from pydantic import BaseModel, ConfigDict

from observation import access, db, labels
from observation.filters import StudyFilter

# Each held meeting of the filter observed live, with its contributions counted. Observers (the
# researchers watching) are left out, as they are of representation's people present.
_BY_MEETING = """
with held as (
    select meeting_id, team_id, team_name, meeting_date
    from filtered_meetings($teams::integer[], $setting, $start::date, $end::date)
    where status = 'held'
),
counted as (
    select
        c.meeting_id,
        count(*) as contributions,
        count(*) filter (where r.lived_experience) as contributions_lived_experience,
        count(*) filter (where r.lived_experience and c.kind = 'raised_item') as items_raised,
        count(*) filter (where r.lived_experience and c.kind = 'took_action') as actions_owned
    from contributions as c
    join held as h on h.meeting_id = c.meeting_id
    join participants as p on p.id = c.participant_id
    join role_categories as r on r.code = p.role
    where p.role <> 'observer'
    group by c.meeting_id
)
select
    h.team_id,
    h.team_name,
    h.meeting_id,
    h.meeting_date,
    k.contributions,
    k.contributions_lived_experience,
    k.items_raised,
    k.actions_owned,
    k.contributions_lived_experience / k.contributions as voice_share
from held as h
join counted as k on k.meeting_id = h.meeting_id
"""


class VoiceMeasures(BaseModel):
    """Voice at the meetings observed live of a set of meetings. In presenter mode a figure that
    could reveal a small count is None (and named in the result's ``hidden``)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    meetings_observed_live: int = 0
    mean_voice_share: float | None = None
    """The mean over the meetings observed live of each one's voice share; None with none."""
    items_raised: int | None = 0
    actions_owned: int | None = 0

    @property
    def items_per_meeting(self) -> float | None:
        return _per_meeting(self.items_raised, self.meetings_observed_live)

    @property
    def actions_per_meeting(self) -> float | None:
        return _per_meeting(self.actions_owned, self.meetings_observed_live)


def _per_meeting(count: int | None, meetings: int) -> float | None:
    return None if count is None or meetings == 0 else count / meetings


class TeamVoice(VoiceMeasures):
    team_id: int
    team_name: str


@dataclass(frozen=True)
class Voice:
    overall: VoiceMeasures
    teams: tuple[TeamVoice, ...]
    """The teams with a meeting observed live, by name."""
    hidden: frozenset[tuple[Any, str]] = frozenset()
    """In presenter mode, the figures taken out: (team id, or None for the study; figure name)."""

    def of_team(self, team_id: int) -> VoiceMeasures:
        """The team's measures; none observed live when it has no meeting observed live."""
        return next((t for t in self.teams if t.team_id == team_id), VoiceMeasures())


@access.requires(*access.READERS)  # rows, not counts: never a presenter's
def by_meeting(con: duckdb.DuckDBPyConnection, flt: StudyFilter, max_teams: int = 12) -> pd.DataFrame:
    """One row per held meeting observed live, for the first ``max_teams`` teams by name with any (as
    many as a chart draws side by side), by team name and date: team_id, team_name, meeting_id,
    meeting_date, contributions (everyone's but observers'), contributions_lived_experience (by
    service users and carers), items_raised and actions_owned (theirs), voice_share."""
    flt = access.readable(flt, "voice at the meetings observed live", con)
    with db.cursor(con) as cur:
        return cur.execute(
            f"""
            with observed as ({_BY_MEETING})
            select *
            from observed
            where team_id in (
                select team_id
                from observed
                group by team_id, team_name
                order by team_name, team_id
                limit $max_teams
            )
            order by team_name, team_id, meeting_date, meeting_id
            """,  # noqa: S608 - a constant of this module
            flt.sql_params() | {"max_teams": max_teams},
        ).fetchdf()


def by_month(con: duckdb.DuckDBPyConnection, flt: StudyFilter) -> pd.DataFrame:
    """Per team and calendar month (its first day) with a meeting observed live: those meetings
    (meetings_observed_live) and their contributions, observers' left out, split four ways: by
    service users and carers, the agenda items raised (raised), the actions taken (action) and the
    rest (other); and everyone else's (staff). What the aggregate export counts, and what presenter
    mode takes it to tell (observation.presenting.ExportTells)."""
    flt = access.readable(flt, "the contributions by month", con)
    with db.cursor(con) as cur:
        return cur.execute(
            """
            with counted as (
                select
                    h.team_id,
                    date_trunc('month', h.meeting_date)::date as month,
                    c.meeting_id,
                    count(*) filter (where r.lived_experience and c.kind = 'raised_item') as raised,
                    count(*) filter (where r.lived_experience and c.kind = 'took_action') as action,
                    count(*) filter (where r.lived_experience and c.kind not in ('raised_item', 'took_action'))
                        as other,
                    count(*) filter (where not r.lived_experience) as staff
                from contributions as c
                join filtered_meetings($teams::integer[], $setting, $start::date, $end::date) as h
                    on h.meeting_id = c.meeting_id
                join participants as p on p.id = c.participant_id
                join role_categories as r on r.code = p.role
                where h.status = 'held' and p.role <> 'observer'
                group by all
            )
            select
                team_id,
                month,
                count(*) as meetings_observed_live,
                sum(raised)::bigint as raised,
                sum(action)::bigint as action,
                sum(other)::bigint as other,
                sum(staff)::bigint as staff
            from counted
            group by team_id, month
            order by team_id, month
            """,
            flt.sql_params(),
        ).fetchdf()


def voice(con: duckdb.DuckDBPyConnection, flt: StudyFilter) -> Voice:
    """Voice over the filter's meetings observed live, for the study and per team."""
    return measures(counts(con, flt))


MEASURES = ("meetings_observed_live", "mean_voice_share", "items_raised", "actions_owned")
COUNTS = (
    "team_id", "team_name", *MEASURES, "contributions_lived_experience", "meetings_with_voice",
)  # fmt: skip


def counts(con: duckdb.DuckDBPyConnection, flt: StudyFilter) -> pd.DataFrame:
    """Per team with a meeting observed live, by name, and for the study (team_id null, first): the
    measures (MEASURES), and what presenter mode's disclosure control reasons about besides
    (observation.presenting): contributions_lived_experience (by service users and carers) and
    meetings_with_voice (meetings observed live with one of those)."""
    flt = access.readable(flt, "voice at the meetings observed live", con)
    with db.cursor(con) as cur:
        result = cur.execute(
            f"""
            with observed as ({_BY_MEETING})
            select
                team_id,
                if(grouping(team_id) = 1, null, any_value(team_name)) as team_name,
                count(*) as meetings_observed_live,
                avg(voice_share) as mean_voice_share,
                coalesce(sum(items_raised), 0)::integer as items_raised,
                coalesce(sum(actions_owned), 0)::integer as actions_owned,
                coalesce(sum(contributions_lived_experience), 0)::integer as contributions_lived_experience,
                count(*) filter (where contributions_lived_experience > 0) as meetings_with_voice
            from observed
            group by grouping sets ((team_id), ())
            order by grouping(team_id) desc, team_name, team_id
            """,  # noqa: S608 - a constant of this module
            flt.sql_params(),
        )
        rows = result.fetchall()
    return pd.DataFrame(rows, columns=list(COUNTS)).astype({"team_id": "Int64"})


def measures(found: pd.DataFrame) -> Voice:
    """The typed measures of ``counts``' rows (a study with no meeting observed live: zero of each)."""
    overall, teams = VoiceMeasures(), []
    for row in found.to_dict("records"):
        values = {
            "meetings_observed_live": int(row["meetings_observed_live"]),
            "mean_voice_share": None if pd.isna(row["mean_voice_share"]) else float(row["mean_voice_share"]),
            "items_raised": int(row["items_raised"]),
            "actions_owned": int(row["actions_owned"]),
        }
        if pd.isna(row["team_id"]):
            overall = VoiceMeasures.model_validate(values)
        else:
            teams.append(TeamVoice(**values, team_id=int(row["team_id"]), team_name=str(row["team_name"])))
    return Voice(overall, tuple(teams))


TIMELINE_COLUMNS = ("minute", "code", "role", "lived_experience", "observer", "kind", "contribution")


@access.requires(*access.READERS)  # who contributed when: never a presenter's
def timeline(con: duckdb.DuckDBPyConnection, meeting_id: int) -> pd.DataFrame:
    """A meeting's contributions in the order they came: minute, code (the participant's), role
    (in words), lived_experience, observer (an observer's contribution, not counted: observed_live), kind
    and contribution (the kind in words); one row per contribution, observers' included (the timeline
    is what the observer recorded). Empty when the
    meeting has none or there is no such meeting; a coach asking for another team's meeting is
    refused (and the refusal audited)."""
    with db.cursor(con) as cur:
        team = cur.execute("select team_id from meetings where id = ?", [meeting_id]).fetchone()
        if team is None:
            return pd.DataFrame(columns=list(TIMELINE_COLUMNS))
        access.require_teams((int(team[0]),), f"meeting {meeting_id}", con=con)
        found = cur.execute(
            """
            select c.minute, p.code, r.label as role, r.lived_experience, p.role = 'observer' as observer, c.kind
            from contributions as c
            join participants as p on p.id = c.participant_id
            join role_categories as r on r.code = p.role
            where c.meeting_id = ?
            order by c.minute, c.id
            """,
            [meeting_id],
        ).fetchdf()
    found["contribution"] = found["kind"].map(labels.CONTRIBUTIONS)
    return found[list(TIMELINE_COLUMNS)]


def observed_live(timeline: pd.DataFrame) -> bool:
    """Whether a held meeting's ``timeline`` makes it observed live (definitions.OBSERVED_LIVE): a
    contribution by someone other than an observer, as _BY_MEETING counts them. A meeting whose only
    contributions are observers' has a timeline and is not observed live."""
    return bool((~timeline["observer"].astype(bool)).any())
