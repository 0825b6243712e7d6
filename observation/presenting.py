"""Presenter mode: what a room may see. The choice comes from the URL or the sidebar; the rules
come from observation.disclosure; nothing here knows about Streamlit.

In presenter mode every count of people, attendances or coded segments below the threshold is
hidden, a share is hidden when it would reveal one, teams may be shown as Team A, Team B…, and
nothing typed about a person (notes, participant codes, the wording of chart annotations) is shown.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import duckdb
import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field

from observation import access, charts, profile, queries
from observation.disclosure import DEFAULT_THRESHOLD, Figure, Rule, Secret, System, suppress, whole_percent
from observation.filters import StudyFilter
from observation.labels import ANNOTATION_KINDS, letters
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
    floor: int = Field(default=DEFAULT_THRESHOLD, ge=2, le=100)
    """The study's lowest threshold (OBSERVATION_PRESENTER_MINIMUM): what it hides stays hidden at
    any higher one, so that a room shown the floor and handed a stricter deck learns nothing more."""

    @property
    def rule(self) -> Rule:
        return Rule(self.threshold)

    @property
    def floor_rule(self) -> Rule | None:
        """The floor's rule, where it is lower than the threshold."""
        return Rule(self.floor) if self.floor < self.threshold else None

    def badge(self) -> str:
        return f"Presenter mode · counts under {self.threshold} hidden"


def whole_percents(shares: Iterable[Any]) -> Any:
    """Shares from 0 to 1 as the whole percentages every page prints (a half to the even
    neighbour, as ``observation.disclosure.whole_percent``), as a nullable integer array; none stays none."""
    return pd.array([None if pd.isna(v) else whole_percent(float(v)) for v in shares], dtype="Int64")


def percent(share: float | None, hidden: bool = False) -> str:
    """A share as a whole percentage; "—" when there is none, "hidden" when presenter mode hid it."""
    if hidden:
        return "hidden"
    return "—" if share is None else f"{whole_percent(share)}%"


def from_query_params(params: Mapping[str, str], minimum: int = DEFAULT_THRESHOLD) -> tuple[Presenting, list[str]]:
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
    for name in (PARAM_THRESHOLD, PARAM_LABELS):
        if name in params and not on:
            notices.append(
                f"{name}={params[name]!r} in the link applies in presenter mode only: this page shows every "
                f"figure until presenter mode is on (add mode={PRESENT} to the link, or turn it on in the sidebar)."
            )
    return Presenting(on=on, threshold=threshold, letters=letters, floor=minimum), notices


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
    return {team_id: f"Team {letters(i)}" for i, team_id in enumerate(sorted(team_ids))}


SHARES = ("presence_share", "service_user_share", "carer_share", "meaningful_share", "mean_representation")
TREND_SHARES = ("presence_share", "meaningful_share")
LIVED_EXPERIENCE = queries.MEETING_KINDS[:-1]
KINDS: dict[str, tuple[str, ...]] = {
    "presence_share": LIVED_EXPERIENCE,
    "service_user_share": ("service_users_only", "service_users_only_meaningful", "both", "both_meaningful"),
    "carer_share": ("carers_only", "carers_only_meaningful", "both", "both_meaningful"),
    "meaningful_share": tuple(k for k in LIVED_EXPERIENCE if k.endswith("_meaningful")),
    "mean_representation": LIVED_EXPERIENCE,  # a mean of ratios: it bounds presence from below
}
"""Each share's numerator, as the kinds of meeting (queries.MEETING_KINDS) it counts."""
SECRETS: dict[str, tuple[str, ...]] = {
    "service_users_only": ("service_users_only", "service_users_only_meaningful"),
    "carers_only": ("carers_only", "carers_only_meaningful"),
    "both": ("both", "both_meaningful"),
    "not_meaningful": ("service_users_only", "carers_only", "both"),
}
"""Counts no figure shows but differences of shown ones could: presence minus service users is the
meetings with carers only; presence minus meaningful involvement, those without it."""
COST = {"service_user_share": 0, "carer_share": 0, "mean_representation": 1, "meaningful_share": 2, "presence_share": 3}
"""Which share goes first when one more must be hidden: the breakdown before the headline."""


@dataclass(frozen=True)
class Guarded:
    """Overall and per-team measures with every share that could reveal a small count taken out
    (None), and which were taken out, so that a page can say "hidden" rather than "no data"."""

    overall: Measures
    teams: tuple[TeamMeasures, ...]
    hidden: frozenset[tuple[Any, str]]
    """(team id, None for overall, or (team id, period) for a trend point; share name)."""

    def is_hidden(self, team_id: Any, share: str) -> bool:
        return (team_id, share) in self.hidden


def guard(found: Overview, kinds: pd.DataFrame, rule: Rule, floor: Rule | None = None) -> Guarded:
    """The Overview's shares — overall, per team, and per team and quarter on the trend — with
    every one hidden that is a small count, rests on few meetings, or would let a small count be
    worked out from the others (observation.disclosure), and every one the ``floor`` threshold
    hides. ``kinds`` is queries.meeting_kinds over the same meetings, by the trend's period."""
    system = presence_system(found, kinds)
    lower = suppress(system, floor) if floor is not None else frozenset()
    hidden = frozenset(suppress(system, rule, lower))
    teams = tuple(t.model_copy(update={s: None for s in SHARES if (t.team_id, s) in hidden}) for t in found.teams)
    overall = found.overall.model_copy(update={s: None for s in SHARES if (None, s) in hidden})
    return Guarded(overall, teams, hidden)  # type: ignore[arg-type]


def presence_system(found: Overview, kinds: pd.DataFrame) -> System:
    """What the Overview shows, as figures over each team's meeting kinds — by quarter for the
    teams on the trend, in one sum for the rest — with the meetings of each as known."""
    charted = set(found.trend["team_id"].astype(int))
    column = {k: j for j, k in enumerate(queries.MEETING_KINDS)}
    width = len(column)
    leaves: list[tuple[Any, int, np.ndarray]] = []  # (cell key, team id, counts)
    for _, rows in kinds.groupby("team_id", sort=True):
        team_id = int(rows["team_id"].iloc[0])
        counts = rows[list(queries.MEETING_KINDS)].to_numpy(dtype=np.int64)
        if team_id in charted:
            periods = zip(rows["period"], counts, strict=True)
            leaves += [((team_id, period), team_id, c) for period, c in periods]
        else:
            leaves.append((team_id, team_id, counts.sum(axis=0)))
    truth = np.concatenate([c for _, _, c in leaves]) if leaves else np.zeros(0, dtype=np.int64)
    blocks = np.repeat([t for _, t, _ in leaves], width)

    def atoms(of: Sequence[int], names: Sequence[str]) -> tuple[int, ...]:
        return tuple(i * width + column[n] for i in of for n in names)

    cells: dict[Any, list[int]] = {None: list(range(len(leaves)))}
    for i, (key, team_id, _) in enumerate(leaves):
        cells.setdefault(team_id, []).append(i)
        if isinstance(key, tuple):
            cells[key] = [i]
    means = {None: found.overall.mean_representation} | {t.team_id: t.mean_representation for t in found.teams}
    figures: list[Figure] = []
    secrets: list[Secret] = []
    for key, of in cells.items():
        meetings = int(truth[list(atoms(of, queries.MEETING_KINDS))].sum())
        shares = TREND_SHARES if isinstance(key, tuple) else SHARES
        for share in shares if meetings else ():
            numerator = atoms(of, KINDS[share])
            mean = means.get(key) if share == "mean_representation" else None
            if share == "mean_representation" and mean is None:
                continue
            figures.append(
                Figure((key, share), numerator, int(truth[list(numerator)].sum()), meetings, mean, COST[share])
            )
        for name, names in SECRETS.items():
            secret = atoms(of, names)
            secrets.append(Secret((key, name), secret, int(truth[list(secret)].sum())))
    known = [
        Figure(("meetings", key), atoms([i], queries.MEETING_KINDS), int(c.sum()))
        for i, (key, _, c) in enumerate(leaves)
    ]
    return System(truth, figures, known, secrets, blocks, np.repeat(np.arange(len(leaves)), width))


def guard_trend(trend: pd.DataFrame, guarded: Guarded) -> pd.DataFrame:
    """The trend (one row per team and period) with each share blanked where ``guard`` hid it and
    the rest rounded to the whole percentage the hover shows, so that the chart's data says no
    more than its labels."""
    shown = trend.copy()
    for share in TREND_SHARES:
        keep = [
            ((int(t), p), share) not in guarded.hidden for t, p in zip(shown["team_id"], shown["month"], strict=True)
        ]
        shown[share] = [None if pd.isna(v) else whole_percent(float(v)) / 100 for v in shown[share]]
        shown[share] = shown[share].where(pd.Series(keep, index=shown.index, dtype=bool))
    return shown


def room_overview(con: duckdb.DuckDBPyConnection, level: ParticipationLevel, mode: Presenting) -> Overview:
    """The Overview as presenter mode shows it, worked out over the whole study (views of
    different teams or dates could otherwise give a hidden figure away by difference): by quarter,
    the first teams by id (the order of their letters), then ``present_overview``."""
    everything = access.readable(StudyFilter(), "presenter mode's overview", con)
    found = queries.overview(
        con, everything, level, trend_teams=charts.MAX_SMALL_MULTIPLES, period="quarter", first_by_id=True
    )
    kinds = queries.meeting_kinds(con, everything, level, "quarter")
    labels = team_letters(t.id for t in queries.teams(con)) if mode.letters else {}
    return present_overview(found, kinds, mode, labels)


def present_overview(found: Overview, kinds: pd.DataFrame, mode: Presenting, labels: Mapping[int, str]) -> Overview:
    """The Overview as presenter mode shows it: every share that could reveal a small count taken
    out, teams relabelled (``labels``, empty to keep names) in label order, annotations shown by
    their kind rather than their wording (which may name someone), and no per-meeting series."""
    guarded = guard(found, kinds, mode.rule, mode.floor_rule)
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


LEFT_OUT_OF_THE_TEAM = (
    "Presenter mode leaves out what follows one person — the recruitment funnel, who kept coming, the notes "
    "themselves — and how the meetings ran month by month: a month's meetings beside a quarter's share of "
    "100% would say how many of them had someone with lived experience."
)
"""What the Team profile in presenter mode leaves out, and why."""


@dataclass(frozen=True)
class TeamInTheRoom:
    """One team as presenter mode shows it on the Team profile, every small count and every share
    that could reveal one already hidden: its measures beside the whole study's, its quarters, and
    its recruitment tensions by name. Nothing that follows one person (the funnel, who kept
    coming, the notes themselves) is in it."""

    team: TeamMeasures
    """The team's measures from the room's overview (a hidden share is None)."""
    hidden: frozenset[tuple[None, str]]
    """The team's hidden shares, as the headline takes them: (None, share name)."""
    study_line: str
    """The whole study's presence and meaningful involvement, in one sentence."""
    trend: pd.DataFrame
    """The team's quarters, guarded as the Overview's chart shows them."""
    events: pd.DataFrame
    """The changes marked for the whole study or for this team, shown by their kind."""
    tensions: tuple[tuple[str, tuple[str, ...]], ...]
    """Per source with any (field notes, then interviews): a heading and a line per tension, each
    count shown as the rule shows it ("<5" for a small one), each source's counts apart."""


def team_in_the_room(
    room: Overview, tensions: Sequence[profile.Tension], team_id: int, mode: Presenting
) -> TeamInTheRoom | None:
    """``team_id`` as presenter mode shows it, from ``room`` (room_overview: already guarded over
    the whole study, so this view can give nothing away by difference with the Overview) and the
    team's recruitment ``tensions`` (profile.team_profile's), each count hidden on its own when
    small; None when the team has no meetings in the room's overview."""
    team = next((t for t in room.teams if t.team_id == team_id), None)
    if team is None:
        return None
    overall = room.overall
    study_line = (
        f"All teams: presence {percent(overall.presence_share, (None, 'presence_share') in room.hidden)}, "
        f"meaningful involvement {percent(overall.meaningful_share, (None, 'meaningful_share') in room.hidden)}."
    )
    by_source = (
        ("In the field notes", "notes", [(t.name, t.notes) for t in tensions if t.notes]),
        ("In the interviews", "interview transcripts", [(t.name, t.interviews) for t in tensions if t.interviews]),
    )
    return TeamInTheRoom(
        team=team,
        hidden=frozenset((None, name) for key, name in room.hidden if key == team_id),
        study_line=study_line,
        trend=room.trend[room.trend["team_id"] == team_id],
        events=room.events[room.events["team_id"].isna() | (room.events["team_id"] == team_id)],
        tensions=tuple(
            (heading, tuple(f"{name}: {mode.rule.count(n)} {unit}" for name, n in counts))
            for heading, unit, counts in by_source
            if counts
        ),
    )
