"""Presenter mode: what a room may see. The choice comes from the URL or the sidebar; the rules
come from observation.disclosure; nothing here knows about Streamlit.

In presenter mode every count of people, attendances or coded segments below the threshold is
hidden, a share is hidden when it would reveal one, teams may be shown as Team A, Team B…, and
nothing typed about a person (notes, participant codes, the wording of chart annotations) is shown.
"""

from __future__ import annotations

import dataclasses
import string
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import duckdb
import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field

from observation import charts, queries
from observation.definitions import ANNOTATION_KINDS
from observation.disclosure import DEFAULT_THRESHOLD, Rule, protect
from observation.filters import StudyFilter
from observation.models import ParticipationLevel
from observation.queries import Measures, Overview, TeamMeasures

PARAM_MODE, PARAM_THRESHOLD, PARAM_LABELS = "mode", "threshold", "labels"
PRESENT = "present"
PARAMS = (PARAM_MODE, PARAM_THRESHOLD, PARAM_LABELS)


class Presenting(BaseModel):
    """Whether presenter mode is on, its threshold, and whether teams are shown by letter."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    on: bool = False
    threshold: int = Field(default=DEFAULT_THRESHOLD, ge=2, le=100)
    letters: bool = True

    @property
    def rule(self) -> Rule:
        return Rule(self.threshold)

    def badge(self) -> str:
        return f"Presenter mode · counts under {self.threshold} hidden"


def percent(share: float | None, hidden: bool = False) -> str:
    """A share as a whole percentage; "—" when there is none, "hidden" when presenter mode hid it."""
    if hidden:
        return "hidden"
    return "—" if share is None else f"{round(share * 100)}%"


def from_query_params(
    params: Mapping[str, str], minimum: int = DEFAULT_THRESHOLD
) -> tuple[Presenting, list[str]]:
    """Presenter mode from the URL (``?mode=present&threshold=8&labels=names``) and a notice per
    parameter that made no sense (ignored, never an error). A threshold under ``minimum`` (the
    study's configured floor) is refused: a link cannot show what the room may not see."""
    notices: list[str] = []
    on = params.get(PARAM_MODE) == PRESENT
    if PARAM_MODE in params and not on:
        notices.append(f"Ignored mode={params[PARAM_MODE]!r} in the link: the only mode is 'present'.")
    threshold = max(DEFAULT_THRESHOLD, minimum)
    raw = params.get(PARAM_THRESHOLD)
    if raw is not None:
        if raw.isdigit() and minimum <= int(raw) <= 100:
            threshold = int(raw)
        else:
            notices.append(f"Ignored threshold={raw!r} in the link: use a whole number from {minimum} to 100.")
    letters = params.get(PARAM_LABELS, "letters") != "names"
    return Presenting(on=on, threshold=threshold, letters=letters), notices


def to_query_params(presenting: Presenting) -> dict[str, str]:
    if not presenting.on:
        return {}
    params = {PARAM_MODE: PRESENT}
    if presenting.threshold != DEFAULT_THRESHOLD:
        params[PARAM_THRESHOLD] = str(presenting.threshold)
    if not presenting.letters:
        params[PARAM_LABELS] = "names"
    return params


def team_letters(team_ids: Iterable[int]) -> dict[int, str]:
    """Team A, Team B… by team id, so a team keeps its letter on every page, whatever the filter."""
    return {team_id: f"Team {_letters(i)}" for i, team_id in enumerate(sorted(team_ids))}


def _letters(index: int) -> str:
    """A, B, … Z, AA, AB, …"""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = string.ascii_uppercase[rest] + letters
    return letters


SHARES = ("presence_share", "service_user_share", "carer_share", "meaningful_share", "mean_representation")


@dataclass(frozen=True)
class Guarded:
    """Overall and per-team measures with every share that could reveal a small count taken out
    (None), and which were taken out, so that a page can say "hidden" rather than "no data"."""

    overall: Measures
    teams: tuple[TeamMeasures, ...]
    hidden: frozenset[tuple[Any, str]]
    """(team id, None for overall, or (team id, period) for a trend point; share name)."""

    def is_hidden(self, team_id: int | None, share: str) -> bool:
        return (team_id, share) in self.hidden


def guard_measures(
    overall: Measures, teams: Sequence[TeamMeasures], rule: Rule, trend: pd.DataFrame | None = None
) -> Guarded:
    """Each share per team and overall is hidden when its meetings (the denominator) or the
    meetings with someone present (its numerator) are a small count, and then further ones until
    nothing hidden can be worked out from what is shown: the overall figure, the other teams', and
    — for the shares the trend shows — each team's periods (``trend``'s rows)."""
    # Shares tie together where a reader can see it (a shown 0% or 100% fixes another share
    # exactly, see _linked): such a share is hidden with the one it would give away, and the tables
    # are protected again until nothing more goes.
    forced: set[tuple[Any, str]] = set()
    while True:
        hidden: set[tuple[Any, str]] = set(forced)
        for share in SHARES:
            periods = trend if trend is not None and share in TREND_SHARES else None
            hidden |= _hidden_for(overall, teams, share, rule, periods, forced)
        more = _linked(hidden, overall, teams, trend) - hidden
        if not more:
            break
        forced |= hidden | more
    guarded_teams = tuple(t.model_copy(update={s: None for s in SHARES if (t.team_id, s) in hidden}) for t in teams)
    guarded_overall = overall.model_copy(update={s: None for s in SHARES if (None, s) in hidden})
    return Guarded(guarded_overall, guarded_teams, frozenset(hidden))


TREND_SHARES = ("presence_share", "meaningful_share")
PAIRS = (("service_user_share", "carer_share"), ("carer_share", "service_user_share"))
"""(a share, the other): where the first is 0, the other equals presence."""
ALL_BUT_PRESENCE = ("service_user_share", "carer_share", "meaningful_share", "mean_representation")
IMPLIES: dict[tuple[str, int], tuple[str, ...]] = {
    ("service_user_share", 1): ("presence_share",),  # service users at every meeting: presence at every one
    ("carer_share", 1): ("presence_share",),
    ("meaningful_share", 1): ("presence_share",),
    ("presence_share", 0): ALL_BUT_PRESENCE,  # nobody with lived experience: every other share is 0
    ("mean_representation", 0): ("presence_share", "service_user_share", "carer_share", "meaningful_share"),
}
"""(a share, a value of 0 or 1): the shares that value fixes exactly."""


def _linked(
    hidden: set[tuple[Any, str]], overall: Measures, teams: Sequence[TeamMeasures], trend: pd.DataFrame | None
) -> set[tuple[Any, str]]:
    """Shown shares that would give a hidden one away exactly: a shown 100% of service users,
    carers or meaningful involvement (presence was 100%), a shown 0% of presence or
    representation (everything else was 0), a shown 0% of service users (carers' share is
    presence) — each is hidden too, and likewise for a team's quarters."""
    linked: set[tuple[Any, str]] = set()
    cells: list[tuple[Any, dict[str, int | None], int]] = []
    for key, m in ((None, overall), *((t.team_id, t) for t in teams)):
        recorded = m.meetings_held - m.meetings_unrecorded
        counts = {s: _count(getattr(m, s), recorded) for s in SHARES}
        representation = m.mean_representation  # a mean of ratios, not a count: only its 0 is exact
        counts["mean_representation"] = None if representation is None else 0 if representation == 0 else -1
        cells.append((key, counts, recorded))
    if trend is not None:
        for team_id, period, n, presence, meaningful in trend[
            ["team_id", "month", "meetings", "presence_share", "meaningful_share"]
        ].itertuples(index=False):
            counts = {"presence_share": _count(presence, int(n)), "meaningful_share": _count(meaningful, int(n))}
            cells.append(((int(team_id), period), counts, int(n)))
    for key, counts, whole in cells:
        for share, count in counts.items():
            if count is None or (key, share) in hidden:
                continue
            value = 1 if count == whole and whole else 0 if count == 0 else None
            fixed = IMPLIES.get((share, value), ()) if value is not None else ()
            if any((key, other) in hidden for other in fixed if other in counts):
                linked.add((key, share))
        for zero, other in PAIRS:
            if counts.get(zero) == 0 and (key, zero) not in hidden:
                pair = {(key, other), (key, "presence_share")}
                if pair & hidden:
                    linked |= pair
    return linked


def _count(share: float | None, meetings: int) -> int | None:
    return None if share is None or pd.isna(share) else round(float(share) * meetings)


def _hidden_for(
    overall: Measures,
    teams: Sequence[TeamMeasures],
    share: str,
    rule: Rule,
    trend: pd.DataFrame | None,
    forced: set[tuple[Any, str]],
) -> set[tuple[Any, str]]:
    """One share's hidden cells, from a table of numerators: a row per team, a column per trend
    period plus one for the meetings no period shows, with the teams' figures as row totals and
    the overall figure as the grand total. What no output shows counts as hidden (unknown); the
    cells ``forced`` names for this share are hidden to begin with."""
    periods = sorted(trend["month"].unique()) if trend is not None else []
    column = {p: j for j, p in enumerate(periods)}
    row = {t.team_id: i for i, t in enumerate(teams)}
    shape = (len(teams) + 1, len(periods) + 2)  # + the rest, + totals
    numerators = np.zeros(shape, dtype=np.int64)
    meetings = np.zeros(shape, dtype=np.int64)
    if trend is not None:
        for team_id, period, n, value in zip(
            trend["team_id"], trend["month"], trend["meetings"], trend[share], strict=True
        ):
            if int(team_id) in row:
                i, j = row[int(team_id)], column[period]
                meetings[i, j], numerators[i, j] = int(n), round(float(value) * int(n))
    for i, team in enumerate(teams):
        recorded = team.meetings_held - team.meetings_unrecorded
        value = getattr(team, share)
        total = recorded if share == "mean_representation" else (0 if value is None else round(value * recorded))
        meetings[i, -2] = recorded - meetings[i, :-2].sum()
        numerators[i, -2] = total - numerators[i, :-2].sum()
        meetings[i, -1] = recorded
    meetings[-1, -1] = overall.meetings_held - overall.meetings_unrecorded
    small = (meetings > 0) & (meetings < rule.threshold)  # a small denominator
    unseen = np.zeros(shape, dtype=bool)
    unseen[:-1, -2] = meetings[:-1, -2] > 0  # meetings outside the trend's teams or periods
    unseen[-1, :-1] = True  # a period's figure over all teams
    for i, t in enumerate(teams):
        small[i, -1] |= (t.team_id, share) in forced
        small[i, :-2] |= np.array([((t.team_id, p), share) in forced for p in periods], dtype=bool)
    small[-1, -1] |= (None, share) in forced
    small &= ~unseen
    empty = meetings == 0  # no meetings, no point on a chart: a reader knows its count is 0
    empty[-1, :-1] = False
    hidden = protect(pd.DataFrame(numerators[:-1, :-1]), rule, hide=small, unseen=unseen, known=empty).hidden.to_numpy()
    found: set[tuple[Any, str]] = {(t.team_id, share) for i, t in enumerate(teams) if hidden[i, -1]}
    found |= {(None, share)} if hidden[-1, -1] else set()
    found |= {((t.team_id, periods[j]), share) for i, t in enumerate(teams)
              for j in range(len(periods)) if hidden[i, j]}  # fmt: skip
    return found


def guard_trend(trend: pd.DataFrame, guarded: Guarded) -> pd.DataFrame:
    """The trend (one row per team and period) with each share blanked where ``guard_measures``
    hid it."""
    shown = trend.copy()
    for share in TREND_SHARES:
        keep = [
            ((int(t), p), share) not in guarded.hidden for t, p in zip(shown["team_id"], shown["month"], strict=True)
        ]
        shown[share] = shown[share].where(pd.Series(keep, index=shown.index, dtype=bool))
    return shown


def room_overview(con: duckdb.DuckDBPyConnection, level: ParticipationLevel, mode: Presenting) -> Overview:
    """The Overview as presenter mode shows it, worked out over the whole study (views of
    different teams or dates could otherwise give a hidden figure away by difference): by quarter,
    the first teams by id (the order of their letters), then ``present_overview``."""
    found = queries.overview(
        con, StudyFilter(), level, trend_teams=charts.MAX_SMALL_MULTIPLES, period="quarter", first_by_id=True
    )
    labels = team_letters(t.id for t in queries.teams(con)) if mode.letters else {}
    return present_overview(found, mode, labels)


def present_overview(found: Overview, mode: Presenting, labels: Mapping[int, str]) -> Overview:
    """The Overview as presenter mode shows it: every share that could reveal a small count taken
    out, teams relabelled (``labels``, empty to keep names) in label order, annotations shown by
    their kind rather than their wording (which may name someone), and no per-meeting series."""
    guarded = guard_measures(found.overall, found.teams, mode.rule, found.trend)
    teams = [t.model_copy(update={"team_name": labels.get(t.team_id, t.team_name)}) for t in guarded.teams]
    return dataclasses.replace(
        found,
        overall=guarded.overall,
        teams=tuple(sorted(teams, key=lambda t: t.team_id)) if labels else tuple(teams),
        trend=_relabelled(guard_trend(found.trend, guarded), labels),
        series=found.series.iloc[0:0],
        events=found.events.assign(label=found.events["category"].map(ANNOTATION_KINDS).fillna("Change")),
        hidden=guarded.hidden,
    )


def _relabelled(frame: pd.DataFrame, labels: Mapping[int, str]) -> pd.DataFrame:
    """Teams by letter, in letter order (the order of their real names would say something)."""
    if not labels:
        return frame
    return frame.assign(team_name=frame["team_id"].map(labels)).sort_values(["team_id", "month"], kind="stable")
