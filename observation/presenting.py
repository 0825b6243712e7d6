"""Presenter mode: what a room may see. The choice comes from the URL or the sidebar; the rules
come from observation.disclosure; nothing here knows about Streamlit.

In presenter mode every count of people, attendances or coded segments below the threshold is
hidden, a share is hidden when it would reveal one, teams may be shown as Team A, Team B…, and
nothing typed about a person (notes, participant codes, the wording of chart annotations) is shown.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, cast

import duckdb
import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field

from observation import access, charts, feedback, profile, queries, voice
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
    neighbour, as ``observation.disclosure.whole_percent``: ``np.rint`` rounds the same product
    the same way, a column at once), as a nullable integer array; none stays none."""
    values = pd.to_numeric(pd.Series(list(shares) if not isinstance(shares, pd.Series) else shares), errors="raise")
    return pd.array(np.rint(values.to_numpy(dtype="float64", na_value=np.nan) * 100), dtype="Int64")


def percent(share: float | None, hidden: bool = False) -> str:
    """A share as a whole percentage; "—" when there is none, "hidden" when presenter mode hid it."""
    if hidden:
        return "hidden"
    return "—" if share is None else f"{whole_percent(share)}%"


def score_text(score: float | None) -> str:
    """An experience score as every screen shows it: "4.2 of 5"; "—" where nobody answered on the scale."""
    return "—" if score is None or pd.isna(score) else f"{score:.1f} of 5"


@dataclass(frozen=True, slots=True)
class ExperienceShown:
    """The experience and impact measures as a room sees them (``experience_shown``)."""

    score: str
    response_rate: str
    impact_share: str


def experience_shown(found: feedback.Totals, rule: Rule | None = None) -> ExperienceShown:
    """The experience score, response rate and share of changes from lived experience of ``found``;
    under presenter mode's ``rule``, each "hidden" where a count it rests on is one the rule hides
    (the score's responses on the scale; the rate's responses or attendances; the share's changes
    from lived experience or changes logged). No count is shown beside them."""

    def hides(*counts: int) -> bool:
        return rule is not None and any(rule.hides(c) for c in counts)

    return ExperienceShown(
        score="hidden" if hides(found.scored) else score_text(found.score),
        response_rate=percent(found.response_rate, hides(found.responded, found.attended)),
        impact_share=percent(found.impact_share, hides(found.with_lived_experience, found.changes)),
    )


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
    lower: frozenset[Any]
    """What the floor threshold hid (a part of ``hidden``): the figures voice is checked against at the floor."""
    system: System
    """The figures the shares were checked as (presence_system), for voice's checks to build on."""

    def is_hidden(self, team_id: Any, share: str) -> bool:
        return (team_id, share) in self.hidden


def guard(
    found: Overview,
    kinds: pd.DataFrame,
    rule: Rule,
    floor: Rule | None = None,
    spoken: Collection[tuple[int, pd.Timestamp]] = (),
) -> Guarded:
    """The Overview's shares — overall, per team, and per team and quarter on the trend — with
    every one hidden that is a small count, rests on few meetings, or would let a small count be
    worked out from the others (observation.disclosure), and every one the ``floor`` threshold
    hides. ``kinds`` is queries.meeting_kinds over the same meetings, by the trend's period;
    ``spoken``, the months a reader of the aggregate export knows had someone with lived
    experience present (ExportTells)."""
    system = presence_system(found, kinds, spoken)
    lower = suppress(system, floor) if floor is not None else frozenset()
    hidden = frozenset(suppress(system, rule, lower))
    teams = tuple(t.model_copy(update={s: None for s in SHARES if (t.team_id, s) in hidden}) for t in found.teams)
    overall = found.overall.model_copy(update={s: None for s in SHARES if (None, s) in hidden})
    return Guarded(overall, teams, hidden, lower, system)  # type: ignore[arg-type]


Leaf = tuple[Any, int, np.ndarray]
"""A cell of meeting kinds: its key (a team, or a team's quarter), its team, and its meetings of each kind."""
_COLUMN = {k: j for j, k in enumerate(queries.MEETING_KINDS)}


def _leaves(found: Overview, kinds: pd.DataFrame) -> tuple[list[Leaf], dict[Any, list[int]]]:
    """Each team's meeting kinds — by quarter for the teams on the trend, in one sum for the rest —
    and, by what a figure is about (None for the study, a team, a team's quarter), its leaves."""
    if kinds.empty:  # no meeting held with its attendance recorded yet
        return [], {None: []}
    charted = set(found.trend["team_id"].astype(int))
    kinds = kinds.sort_values("team_id", kind="stable")
    team_ids = kinds["team_id"].to_numpy(dtype=np.int64)
    periods = kinds["period"].tolist()
    counts = kinds[list(queries.MEETING_KINDS)].to_numpy(dtype=np.int64)
    teams, first = np.unique(team_ids, return_index=True)
    leaves: list[Leaf] = []
    for team, begin, end in zip(teams.tolist(), first, [*first[1:], team_ids.size], strict=True):
        if team in charted:
            leaves += [((team, periods[r]), team, counts[r]) for r in range(begin, end)]
        else:
            leaves.append((team, team, counts[begin:end].sum(axis=0)))
    cells: dict[Any, list[int]] = {None: list(range(len(leaves)))}
    for i, (key, team_id, _) in enumerate(leaves):
        cells.setdefault(team_id, []).append(i)
        if isinstance(key, tuple):
            cells[key] = [i]
    return leaves, cells


def _atoms(of: Sequence[int], names: Sequence[str]) -> tuple[int, ...]:
    """The atoms of ``names`` (meeting kinds) in the leaves ``of``."""
    width = len(_COLUMN)
    return tuple(i * width + _COLUMN[n] for i in of for n in names)


def presence_system(found: Overview, kinds: pd.DataFrame, spoken: Collection[tuple[int, pd.Timestamp]] = ()) -> System:
    """What the Overview shows, as figures over each team's meeting kinds — by quarter for the
    teams on the trend, in one sum for the rest — with the meetings of each as known, and, as
    known too, that each cell had at least as many meetings with lived experience present as it
    has months ``spoken`` (team id, month's first day)."""
    width = len(_COLUMN)
    leaves, cells = _leaves(found, kinds)
    truth = np.concatenate([c for _, _, c in leaves]) if leaves else np.zeros(0, dtype=np.int64)
    blocks = np.repeat([t for _, t, _ in leaves], width)
    atoms = _atoms
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
    index = {key: i for i, (key, _, _) in enumerate(leaves)}
    heard: dict[int, int] = {}
    for team_id, month in spoken:
        i = index.get((team_id, pd.Timestamp(month).to_period("Q").start_time), index.get(team_id))
        if i is not None:
            heard[i] = heard.get(i, 0) + 1
    for i, months in heard.items():
        lived = atoms([i], LIVED_EXPERIENCE)
        known.append(Figure(("spoken", leaves[i][0]), lived, int(truth[list(lived)].sum()), at_least=months))
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
    found, kinds, labels, tells = _whole_study(con, everything, level, mode)
    return present_overview(found, kinds, mode, labels, guard(found, kinds, mode.rule, mode.floor_rule, tells.spoken))


def _whole_study(
    con: duckdb.DuckDBPyConnection, everything: StudyFilter, level: ParticipationLevel, mode: Presenting
) -> tuple[Overview, pd.DataFrame, dict[int, str], ExportTells]:
    """What presenter mode works out from: the Overview by quarter (the first teams by id on the
    trend), its meeting kinds by quarter, the teams' letters (empty when names are kept), and what
    the aggregate export's monthly counts tell a reader who holds it too."""
    found = queries.overview(
        con, everything, level, trend_teams=charts.MAX_SMALL_MULTIPLES, period="quarter", first_by_id=True
    )
    kinds = queries.meeting_kinds(con, everything, level, "quarter")
    labels = team_letters(t.id for t in queries.teams(con)) if mode.letters else {}
    tells = export_tells(voice.by_month(con, everything), queries.meeting_kinds(con, everything, level, "month"))
    return found, kinds, labels, tells


def present_overview(
    found: Overview, kinds: pd.DataFrame, mode: Presenting, labels: Mapping[int, str], guarded: Guarded | None = None
) -> Overview:
    """The Overview as presenter mode shows it: every share that could reveal a small count taken
    out, teams relabelled (``labels``, empty to keep names) in label order, annotations shown by
    their kind rather than their wording (which may name someone), and no per-meeting series.
    ``guarded``: ``guard``'s answer for these figures and ``mode``, if it was already worked out."""
    guarded = guarded or guard(found, kinds, mode.rule, mode.floor_rule)
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


VOICE_FIGURES = ("mean_voice_share", "items_raised", "actions_owned")
"""What presenter mode may hide of voice at the meetings observed live (meetings observed live are
shown as they are: they say nothing of anyone's attendance)."""
TOOK_PART = "lived_experience_took_part"
"""What an item raised or an action owned says of presence: someone with lived experience was there."""
CONTRIBUTED = ("items_raised", "actions_owned", "rest")
"""The contributions of service users and carers per team, as atoms: items raised, actions owned and the rest."""


@dataclass(frozen=True)
class Room:
    """What presenter mode shows of the whole study: the Overview (room_overview's) and voice at the
    meetings observed live, their disclosure worked out together (voice is checked against the
    shares the Overview shows, so the Overview's checks are done once for both)."""

    overview: Overview
    voice: voice.Voice


def room(con: duckdb.DuckDBPyConnection, level: ParticipationLevel, mode: Presenting) -> Room:
    """The Overview and voice as presenter mode shows them, worked out over the whole study."""
    worked = _worked_out(con, level, mode)
    return Room(
        present_overview(worked.found, worked.kinds, mode, worked.labels, worked.guarded),
        present_voice(worked.found, worked.kinds, worked.counts, mode, worked.labels, worked.guarded, worked.localised),
    )


@dataclass(frozen=True)
class _Worked:
    """What room and room_figures work out from, for one presenter mode."""

    found: Overview
    kinds: pd.DataFrame
    labels: dict[int, str]
    counts: pd.DataFrame
    guarded: Guarded
    localised: frozenset[int]


def _worked_out(con: duckdb.DuckDBPyConnection, level: ParticipationLevel, mode: Presenting) -> _Worked:
    """The study's Overview, meeting kinds, letters and voice counts, and the Overview's shares guarded."""
    everything = access.readable(StudyFilter(), "presenter mode's overview and voice", con)
    found, kinds, labels, tells = _whole_study(con, everything, level, mode)
    guarded = guard(found, kinds, mode.rule, mode.floor_rule, tells.spoken)
    return _Worked(found, kinds, labels, voice.counts(con, everything), guarded, tells.localised)


@dataclass(frozen=True)
class ExportTells:
    """What the aggregate export's monthly counts tell a reader who holds it beside presenter mode:
    each month's contributions (by service users and carers among them, where shown) and recorded
    meetings are there (export_tells)."""

    spoken: frozenset[tuple[int, pd.Timestamp]]
    """The months (team id, first day) in which someone with lived experience contributed at one of
    more than one recorded meeting, which had then someone with lived experience present (the
    export takes it that a reader knows it: a month with one meeting it keeps quiet instead)."""
    localised: frozenset[int]
    """The teams whose voice figures would place someone with lived experience at a month's only
    recorded meeting: contributions by service users and carers more than every contribution of the
    team's months observed live with more than one recorded meeting must have been made in a month
    with one, whose one meeting then had them present (a count of 1, which the export hides)."""


def export_tells(months: pd.DataFrame, kinds: pd.DataFrame) -> ExportTells:
    """ExportTells from voice.by_month and queries.meeting_kinds by month, over the same meetings."""
    recorded = kinds.assign(
        recorded=kinds[list(queries.MEETING_KINDS)].sum(axis=1),
        lived=kinds[list(LIVED_EXPERIENCE)].sum(axis=1),
        month=pd.to_datetime(kinds["period"]),
    )
    said = months[["raised", "action", "other"]].sum(axis=1)
    joined = months.assign(
        month=pd.to_datetime(months["month"]),
        contributions=said + months["staff"],
        contributions_lived_experience=said,
    ).merge(recorded[["team_id", "month", "recorded", "lived"]], how="left", on=["team_id", "month"])
    roomy = joined[joined["recorded"] > 1]
    spoke = roomy[(roomy["contributions_lived_experience"] > 0) & (roomy["lived"] > 0)]
    lived = joined.groupby("team_id")["contributions_lived_experience"].sum()
    over = lived[lived > roomy.groupby("team_id")["contributions"].sum().reindex(lived.index, fill_value=0)]
    return ExportTells(
        frozenset((int(t), pd.Timestamp(m)) for t, m in zip(spoke["team_id"], spoke["month"], strict=True)),
        frozenset(int(t) for t in over.index),
    )


@dataclass(frozen=True)
class RoomFigures:
    """What presenter mode shows of the whole study at one threshold, as its disclosure checks saw
    it: for the aggregate export to be checked against (observation.across)."""

    presence: System
    """presence_system: the Overview's figures over each team's meeting kinds (by quarter, the teams on the trend)."""
    presence_hidden: frozenset[Any]
    leaves: tuple[Any, ...]
    """Each of ``presence``'s cells (its leaves, in order): (team id, quarter's first day) or a team id."""
    voice: tuple[dict[str, Any], ...]
    """voice.counts' rows (team_id None for the study)."""
    voice_hidden: frozenset[Any]


def room_figures(con: duckdb.DuckDBPyConnection, level: ParticipationLevel, threshold: int, floor: int) -> RoomFigures:
    """What presenter mode at ``threshold`` (the study's lowest being ``floor``) shows of the whole
    study, as ``room`` works it out."""
    mode = Presenting(on=True, threshold=threshold, floor=floor, letters=False)
    worked = _worked_out(con, level, mode)
    said = present_voice(
        worked.found, worked.kinds, worked.counts, mode, worked.labels, worked.guarded, worked.localised
    )
    leaves, _ = _leaves(worked.found, worked.kinds)
    records = worked.counts.to_dict("records")
    rows = tuple({str(k): (None if pd.isna(v) else v) for k, v in r.items()} for r in records)
    return RoomFigures(
        worked.guarded.system, worked.guarded.hidden, tuple(key for key, _, _ in leaves), rows, said.hidden
    )


def present_voice(
    found: Overview,
    kinds: pd.DataFrame,
    counts: pd.DataFrame,
    mode: Presenting,
    labels: Mapping[int, str],
    guarded: Guarded | None = None,
    localised: frozenset[int] = frozenset(),
) -> voice.Voice:
    """``counts`` (voice.counts over the study) with every figure that could reveal a small count
    taken out (guard_voice, at the floor and then at the threshold, as ``guard`` does), teams
    relabelled (``labels``, empty to keep names) in label order. ``found`` and ``kinds`` are
    room_overview's, before guarding: the presence that voice implies is checked against them;
    ``guarded`` is ``guard``'s answer for them and ``mode``, if it was already worked out. The
    teams ``localised`` (ExportTells) have every voice figure hidden, and the study with
    them (less the other teams', it would give theirs)."""
    guarded = guarded or guard(found, kinds, mode.rule, mode.floor_rule)
    system = guarded.system
    _, cells = _leaves(found, kinds)
    floor = mode.floor_rule
    told = {(key, name) for key in (*localised, None) if localised for name in VOICE_FIGURES}
    lower: frozenset[Any] = frozenset()
    if floor is not None:
        lower = guard_voice(system, cells, guarded.lower, counts, floor, told)
    hidden = guard_voice(system, cells, guarded.hidden, counts, mode.rule, {*lower, *told})
    measured = voice.measures(counts)

    def out(measures: Any, key: int | None) -> Any:
        return measures.model_copy(update={name: None for name in VOICE_FIGURES if (key, name) in hidden})

    teams = [
        out(t, t.team_id).model_copy(update={"team_name": labels.get(t.team_id, t.team_name)}) for t in measured.teams
    ]
    return voice.Voice(
        out(measured.overall, None),
        tuple(sorted(teams, key=lambda t: t.team_id)) if labels else tuple(teams),
        hidden,
    )


def guard_voice(
    presence: System,
    cells: Mapping[Any, Sequence[int]],
    presence_hidden: Iterable[Any],
    counts: pd.DataFrame,
    rule: Rule,
    also: Iterable[Any] = (),
) -> frozenset[Any]:
    """The keys, (team id or None for the study, one of VOICE_FIGURES), of the voice figures to
    hide, besides those ``also`` names, so that no small count can be worked out from them and
    what the Overview shows (``presence``, less ``presence_hidden``) together.

    Two links are checked, each as disclosure checks the Overview's own figures. To presence: a
    voice share above 0% says that the meetings with lived experience present are at least that
    share of the meetings observed live (as representation does), and an item raised or an action
    owned says they are at least 1; those bounds join the figures the Overview shows, and only
    voice figures are hidden to keep every small count of meeting kinds loose. Then between
    themselves: the contributions of service users and carers per team (CONTRIBUTED) are the
    atoms, a team's items raised and actions owned counts over them, the study's their sums, and
    a voice share says their total is at least its share of the meetings observed live and,
    printed as 0%, that it is none (contribution_system)."""
    hidden, also = set(presence_hidden), set(also)
    rows: list[dict[str, Any]] = [
        {str(k): (None if pd.isna(v) else v) for k, v in row.items()} for row in counts.to_dict("records")
    ]
    if not any(r["team_id"] is not None for r in rows):  # no meeting observed live: nothing shown but zeros
        return frozenset()
    links: list[Figure] = []
    for row in rows:
        key = None if row["team_id"] is None else int(row["team_id"])
        atoms = _atoms(cells.get(key, ()), LIVED_EXPERIENCE)
        present = int(presence.truth[list(atoms)].sum())
        shown: list[Figure] = []
        if row["mean_voice_share"] is not None:
            shown.append(
                Figure((key, "mean_voice_share"), atoms, int(row["meetings_with_voice"]),
                       int(row["meetings_observed_live"]), float(row["mean_voice_share"]), cost=1)
            )  # fmt: skip
        if row["items_raised"] or row["actions_owned"]:
            shown.append(Figure((key, TOOK_PART), atoms, present, at_least=1))
        # A bound the truth does not meet (someone contributed at a meeting where nobody with lived
        # experience was recorded present) would mislead a reader, and the check: hide the figure.
        also |= {f.key for f in shown if f.bounds()[0] > present}
        links += [f for f in shown if atoms]
    if links:
        linked = System(
            presence.truth,
            links,
            known=[*(f for f in presence.figures if f.key not in hidden), *presence.known],
            secrets=[*presence.secrets, *(Secret(f.key, f.atoms, f.count) for f in presence.figures
                                          if f.key in hidden and f.is_count)],
            blocks=presence.blocks,
            leaves=presence.leaves,
        )  # fmt: skip
        for figure in suppress(linked, rule, also):
            key, name = cast(tuple[Any, str], figure)
            if name != TOOK_PART:
                also.add((key, name))
                continue
            # The items and actions that say a team had someone there go, and the study's with them:
            # the study's less the other teams' would say it again. The study's say it of every team.
            cover = [key, None] if key is not None else [None, *(r["team_id"] for r in rows)]
            also |= {(k, n) for k in cover for n in ("items_raised", "actions_owned")}
    hides = suppress(contribution_system(rows), rule, also) | also
    return frozenset(k for k in hides if isinstance(k, tuple) and len(k) == 2 and k[1] in VOICE_FIGURES)


def contribution_system(rows: Sequence[Mapping[str, Any]]) -> System:
    """Voice's figures over the contributions of service users and carers per team (CONTRIBUTED):
    each team's and the study's items raised and actions owned, each at most those contributions
    (the rest is an atom of at least 0), and their mean voice share, which says the contributions
    are at least its share of the meetings observed live — so at least one above 0% — and, printed
    as 0%, that there were none (or a rounding's worth: at most what they are). Their totals are
    the counts to keep from being worked out. (A team's 0% beside the study's items and another
    team's would otherwise give a third team's hidden items away by subtraction.)"""
    teams = [r for r in rows if r["team_id"] is not None]
    width = len(CONTRIBUTED)
    truth = np.array(
        [[r["items_raised"], r["actions_owned"],
          r["contributions_lived_experience"] - r["items_raised"] - r["actions_owned"]] for r in teams],
        dtype=np.int64,
    ).reshape(-1)  # fmt: skip
    of = {int(r["team_id"]): i for i, r in enumerate(teams)}
    figures: list[Figure] = []
    secrets: list[Secret] = []
    for row in rows:
        key = None if row["team_id"] is None else int(row["team_id"])
        mine = list(of.values()) if key is None else [of[key]]
        every = tuple(i * width + j for i in mine for j in range(width))
        figures += [
            Figure((key, "items_raised"), tuple(i * width for i in mine), int(row["items_raised"])),
            Figure((key, "actions_owned"), tuple(i * width + 1 for i in mine), int(row["actions_owned"])),
        ]
        if row["mean_voice_share"] is not None:
            share, contributed = float(row["mean_voice_share"]), int(row["contributions_lived_experience"])
            figures.append(
                Figure((key, "mean_voice_share"), every, contributed, int(row["meetings_observed_live"]), share,
                       cost=1, at_most=contributed if whole_percent(share) == 0 else None)
            )  # fmt: skip
        secrets.append(
            Secret((key, "contributions_lived_experience"), every, int(row["contributions_lived_experience"]))
        )
    return System(truth, figures, secrets=secrets, blocks=np.repeat(np.arange(len(teams)), width))


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
