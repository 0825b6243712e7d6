"""One team's story for its coach: its measures against the other teams', where its recruitment
stalls, the recruitment tensions its notes and interviews return to most, and a short plain-language
summary of what the numbers say (the page puts the QI chart's own reading first, in the words under
the chart chosen there)."""

from __future__ import annotations

from dataclasses import dataclass

import duckdb
import pandas as pd

from observation import access, db, notes, queries, recruitment, voice
from observation.filters import StudyFilter
from observation.models import ParticipationLevel


@dataclass(frozen=True, slots=True)
class Stall:
    """The step of the recruitment funnel that loses the most people."""

    before: str
    after: str
    people_before: int
    people_after: int

    def sentence(self) -> str:
        b, a = recruitment.STAGE_LABELS[self.before].lower(), recruitment.STAGE_LABELS[self.after].lower()
        return (
            f"Recruitment stalls most between {b} and {a}: {self.people_before} "
            f"{'person' if self.people_before == 1 else 'people'} {b}, {self.people_after} {a}."
        )


@dataclass(frozen=True, slots=True)
class Tension:
    """A recruitment-tension code and the documents coded with it, each counted once however many
    coders or segments: field notes and interview transcripts, side by side and never added
    (definitions.CODE_COUNTS)."""

    code_id: int
    name: str
    notes: int
    interviews: int = 0
    """Interview transcripts coded with it."""

    def counted(self) -> str:
        """What the count rests on, source by source: "4 notes, 2 interview transcripts"."""
        parts = [f"{self.notes} note{'' if self.notes == 1 else 's'}"] if self.notes else []
        if self.interviews:
            parts.append(f"{self.interviews} interview transcript{'' if self.interviews == 1 else 's'}")
        return ", ".join(parts) or "0 notes"


TENSION_RANKING = (
    "Ranked by the team's field notes first, as they record its own meetings; a tie is broken by its "
    "interview transcripts, then by name. Notes and transcripts are counted side by side, never added."
)
"""How the profile ranks a team's recruitment tensions, as its page's help says."""


@dataclass(frozen=True)
class Profile:
    team: queries.TeamMeasures
    others: queries.Measures
    """All the other teams in the filter, pooled; empty when there are none."""
    home_meetings: int
    stall: Stall | None
    tensions: tuple[Tension, ...]
    """The recruitment-tension codes in the team's documents (at most three): in the most field notes
    first, a tie broken by interview transcripts, then by name (TENSION_RANKING)."""
    summary: tuple[str, ...]
    team_voice: voice.VoiceMeasures
    """Voice at the team's meetings observed live."""
    others_voice: voice.VoiceMeasures
    """Voice at the other teams' meetings observed live, pooled."""


def team_filter(flt: StudyFilter, team_id: int) -> StudyFilter:
    return flt.model_copy(update={"teams": (team_id,), "setting": None})


def team_profile(
    con: duckdb.DuckDBPyConnection,
    flt: StudyFilter,
    team_id: int,
    level: ParticipationLevel,
) -> Profile | None:
    """The team's profile within the filter's dates (the filter's teams are the comparison), or
    None when the team has no meetings there. A coach's comparison is their other teams."""
    flt = access.readable(flt, "a team's profile", con)
    access.require_teams((team_id,), "a team's profile", con=con)
    mine = team_filter(flt, team_id)
    found = queries.overview(con, mine, level)
    if not found.teams:
        return None
    team = found.teams[0]
    comparison = [t for t in (flt.teams or _all_teams(con)) if t != team_id]
    others = (
        queries.overview(con, flt.model_copy(update={"teams": tuple(comparison)}), level).overall
        if comparison
        else queries.Measures()
    )
    heard = voice.voice(con, mine).overall
    heard_others = (
        voice.voice(con, flt.model_copy(update={"teams": tuple(comparison)})).overall
        if comparison
        else voice.VoiceMeasures()
    )
    home = _home_meetings(con, mine)
    stall = _stall(recruitment.funnel(con, mine))
    tensions = _tensions(con, mine)
    sentences = [_presence_sentence(team, others)]
    if heard.meetings_observed_live:
        sentences.append(_voice_sentence(heard))
    if home:
        sentences.append(f"{home} of its {team.meetings_held} held meetings were at a service user's home.")
    if stall is not None:
        sentences.append(stall.sentence())
    if tensions:
        sentences.append(
            f"The recruitment tension its notes and interviews return to most: {tensions[0].name} "
            f"({tensions[0].counted()})."
        )
    return Profile(team, others, home, stall, tensions, tuple(sentences), heard, heard_others)


def _all_teams(con: duckdb.DuckDBPyConnection) -> tuple[int, ...]:
    return tuple(t.id for t in queries.teams(con))


def _presence_sentence(team: queries.TeamMeasures, others: queries.Measures) -> str:
    recorded = team.meetings_held - team.meetings_unrecorded
    if team.presence_share is None or recorded == 0:
        return f"{team.team_name} has no held meeting with attendance recorded in this period."
    present = round(team.presence_share * recorded)
    sentence = (
        f"A service user or carer was present at {present} of {team.team_name}'s {recorded} meetings "
        f"with attendance recorded ({team.presence_share:.0%})"
    )
    if others.presence_share is not None:
        sentence += f"; across the other teams, {others.presence_share:.0%}"
    return sentence + "."


def _voice_sentence(heard: voice.VoiceMeasures) -> str:
    n = heard.meetings_observed_live
    share = "—" if heard.mean_voice_share is None else f"{heard.mean_voice_share:.0%}"
    # A mean of each meeting's share, never "made 45% of the contributions": the QI chart's sentence
    # pools the contributions, and the two differ when meetings differ in size (definitions.VOICE_SHARE).
    return (
        f"Service users and carers had a mean voice share of {share} over its {n} meeting{'' if n == 1 else 's'} "
        f"observed live (each meeting's share of its contributions, averaged), raised {heard.items_raised} agenda "
        f"item{'' if heard.items_raised == 1 else 's'} and took on {heard.actions_owned} "
        f"action{'' if heard.actions_owned == 1 else 's'}."
    )


def _home_meetings(con: duckdb.DuckDBPyConnection, flt: StudyFilter) -> int:
    with db.cursor(con) as cur:
        (count,) = cur.execute(  # type: ignore[misc]
            "select count(*) from filtered_meetings($teams::integer[], $setting, $start::date, $end::date) "
            "where status = 'held' and format = 'home'",
            flt.sql_params(),
        ).fetchone()
    return int(count)


def _stall(funnel: pd.DataFrame) -> Stall | None:
    people = dict(zip(funnel["stage"], funnel["people"].astype(int), strict=True))
    steps = [
        (a, b, people.get(a, 0), people.get(b, 0))
        for a, b in zip(recruitment.FUNNEL, recruitment.FUNNEL[1:], strict=False)
    ]
    losing = [s for s in steps if s[2] > s[3]]
    if not losing:
        return None
    before, after, n_before, n_after = max(losing, key=lambda s: s[2] - s[3])
    return Stall(before, after, n_before, n_after)


def _tensions(
    con: duckdb.DuckDBPyConnection, flt: StudyFilter, most: int = 3, source: notes.Source = "both"
) -> tuple[Tension, ...]:
    """The ``most`` recruitment-tension codes of ``source`` (field notes and interview transcripts, by
    default), ranked as TENSION_RANKING says."""
    counts = notes.code_counts(con, flt, recruitment.TENSION_THEME, source).head(most)
    rows = counts[["code_id", "code_name", "notes", "interviews"]].itertuples(index=False, name=None)
    return tuple(Tension(int(c), str(n), int(k), int(i)) for c, n, k, i in rows)
