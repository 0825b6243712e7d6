"""The slide deck's story under presenter mode's rules: the measures' lines for the speaker notes,
each team's QI chart reading from the quarters presenter mode shows, the recruitment funnel of the
whole study, and the recruitment tensions by name — each protected with observation.disclosure so
that no count under the threshold can be worked out from the deck, alone or beside the screens.

Pure functions of what presenter mode already shows (observation.presenting.room_overview), save
the funnel and the tensions, which read the study once each. Nothing here draws a slide."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import duckdb
import numpy as np
import pandas as pd
import plotly.graph_objects as go

from observation import charts, notes, presenting, qi, recruitment
from observation.disclosure import Figure, Rule, Secret, System, suppress
from observation.filters import StudyFilter
from observation.queries import Measures, Overview

HIDDEN = "hidden"
LIMIT_VALUES = re.compile(r" \([-+.\de]+ [<>] [-+.\de]+\)")
"""A point's value against a limit, as a reason for a signal says it ("below the lower limit (0 <
0.142)"): a limit is no figure presenter mode shows, so the deck's reading leaves the numbers out."""
READING = qi.ChartChoice(measure="presence", chart="p", subgroup="quarter")
"""The chart a coach reads presence with, by quarter: the only subgroup presenter mode shows."""
PROFILE_TENSIONS = 3
"""How many recruitment tensions a team's profile names (observation.profile): the deck's counts
are protected against what those profiles show."""

MEASURE_WORDS = (
    ("presence_share", "presence"),
    ("service_user_share", "service users"),
    ("carer_share", "carers"),
    ("meaningful_share", "meaningful involvement"),
    ("mean_representation", "mean representation"),
)
"""Each share of the Overview as a notes line words it, in the order the line gives them."""


def shown_share(measures: Measures, key: Any, share: str, hidden: frozenset[tuple[Any, str]]) -> str:
    """A share as presenter mode shows it: a whole percentage, "hidden", or "—" where there is none."""
    return presenting.percent(getattr(measures, share), (key, share) in hidden)


def measures_line(name: str, measures: Measures, key: Any, hidden: frozenset[tuple[Any, str]]) -> str:
    """One line of the speaker notes: "Team A: 16 meetings held; presence 56%; service users hidden;
    carers hidden; meaningful involvement hidden; mean representation 12%." ``key`` is the share's
    key in ``hidden`` (None for all teams, else the team's id)."""
    shares = "; ".join(f"{words} {shown_share(measures, key, share, hidden)}" for share, words in MEASURE_WORDS)
    return f"{name}: {measures.meetings_held} meetings held; {shares}."


def quarter_lines(trend: pd.DataFrame) -> list[str]:
    """A line per team and quarter of the guarded trend: "Team A, 2019 Q4: 7 meetings; presence
    71%; meaningful involvement hidden." (a share presenter mode hid is blank in the trend)."""
    columns = ["team_name", "month", "meetings", "presence_share", "meaningful_share"]
    return [
        f"{team}, {quarter_name(month)}: {meetings} meetings; presence {_trend_percent(presence)}; "
        f"meaningful involvement {_trend_percent(meaningful)}."
        for team, month, meetings, presence, meaningful in trend[columns].itertuples(index=False)
    ]


def quarter_name(day: object) -> str:
    """ "2019 Q4", as the trend chart's axis names a quarter."""
    when = pd.Timestamp(day)  # type: ignore[arg-type]
    return f"{when.year} Q{when.quarter}"


def _trend_percent(value: float) -> str:
    return presenting.percent(None, hidden=True) if pd.isna(value) else presenting.percent(value)


# --- the QI chart reading ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Reading:
    """What a team's chart of presence by quarter says, in words that state no number presenter
    mode does not show: the team's period share (or that it is hidden), never a count."""

    team_id: int
    team_name: str
    sentence: str


def readings(shown: Overview, threshold: int) -> tuple[Reading, ...]:
    """Each charted team's quarterly presence (the guarded trend of ``room_overview``) read with
    the QI charts' rules (observation.qi: a p-chart by quarter, with limits and signals only where
    there are enough quarters of enough meetings). Only the quarters whose share is shown are read,
    each as the count its whole percentage stands for; a hidden quarter is named as left out."""
    teams = {t.team_id: t for t in shown.teams}
    found = []
    trend = shown.trend
    for team_id in dict.fromkeys(trend["team_id"].astype(int).tolist()):
        team = teams.get(team_id)
        if team is None:
            continue
        rows = trend[trend["team_id"] == team_id]
        overall = _period_words(shown_share(team, team.team_id, "presence_share", shown.hidden), threshold)
        visible = rows[rows["presence_share"].notna()]
        if visible.empty:
            sentence = (
                f"{team.team_name}: every quarter's share is hidden in presenter mode, so there is no chart to read. "
                f"Over the period, {overall}."
            )
        else:
            (panel,) = qi.subgroup_panels(_quarters(visible), shown.events, READING)
            (sentence,) = qi.signal_sentences((panel,), READING, None, {team.team_id: overall})
            sentence = LIMIT_VALUES.sub("", sentence)
            hidden = rows.loc[rows["presence_share"].isna(), "month"]
            left_out = [qi.quarter_label(pd.Timestamp(m).date()) for m in hidden]
            if left_out:
                sentence += (
                    f" {_listed(left_out)} {'is' if len(left_out) == 1 else 'are'} hidden in presenter mode and "
                    "not read."
                )
        found.append(Reading(team.team_id, team.team_name, sentence))
    return tuple(found)


def _period_words(share: str, threshold: int) -> str:
    having = READING.spec.having
    if share.endswith("%"):
        return f"{share} of held meetings had {having}"
    if share == HIDDEN:
        return f"the share of held meetings with {having} is hidden (it could reveal a count under {threshold})"
    return f"no held meeting with attendance recorded had {having}"


def _quarters(trend: pd.DataFrame) -> pd.DataFrame:
    """The shown quarters as qi's subgroups: each quarter's count is the one its shown whole
    percentage of its meetings stands for (exactly the count, for up to 100 meetings)."""
    start = pd.to_datetime(trend["month"])
    return pd.DataFrame(
        {
            "team_id": trend["team_id"].astype(int).to_numpy(),
            "team_name": trend["team_name"].to_numpy(),
            "subgroup_start": start.to_numpy(),
            "first_day": start.to_numpy(),
            "last_day": (start + pd.offsets.QuarterEnd(0)).to_numpy(),
            "first_nth": 0,
            "last_nth": 0,
            "meetings": trend["meetings"].astype(int).to_numpy(),
            "presence": (trend["presence_share"].astype(float) * trend["meetings"]).round().astype(int).to_numpy(),
        }
    )


def _listed(items: list[str]) -> str:
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} and {items[-1]}"


# --- the recruitment funnel ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Stage:
    stage: str
    label: str
    people: int | None
    """None: hidden."""

    @property
    def shown(self) -> str:
        return HIDDEN if self.people is None else f"{self.people:,}"


def funnel(con: duckdb.DuckDBPyConnection, rule: Rule, floor: Rule | None = None) -> tuple[Stage, ...]:
    """The whole study's people at each stage of recruitment.FUNNEL (every team's, by
    recruitment.funnel), with the stages hidden that ``suppress`` says must be. A later stage
    implies the earlier ones, so the counts are nested: each is the sum of the people whose
    furthest stage is it or one beyond it (the atoms), and a stage minus any later one is the people
    who stopped in between — a small one of those must no more be worked out than a small stage.
    What the ``floor`` threshold hides stays hidden."""
    found = recruitment.funnel(con, StudyFilter())
    people = found.groupby("stage")["people"].sum()
    counts = [int(people.get(s, 0)) for s in recruitment.FUNNEL]
    stopped = np.array([c - nxt for c, nxt in zip(counts, [*counts[1:], 0], strict=True)], dtype=np.int64)
    if (stopped < 0).any():
        raise ValueError("the funnel's stages are not nested: a later stage counts someone an earlier one does not")
    n = len(counts)
    figures = [Figure(stage, tuple(range(i, n)), counts[i]) for i, stage in enumerate(recruitment.FUNNEL)]
    # Checked from the first stage on (the engine takes the last first), so that where two stages
    # together give a small difference away, the later one goes and the earlier ones stay.
    secrets = [
        Secret(("stopped between", first, last), tuple(range(first, last + 1)), int(stopped[first : last + 1].sum()))
        for first in range(n)
        for last in range(first, n)
    ]
    secrets.reverse()
    system = System(stopped, figures, secrets=secrets)
    hidden = suppress(system, rule, suppress(system, floor) if floor is not None else ())
    return tuple(
        Stage(stage, recruitment.STAGE_LABELS[stage], None if stage in hidden else counts[i])
        for i, stage in enumerate(recruitment.FUNNEL)
    )


def funnel_chart(stages: Iterable[Stage]) -> go.Figure:
    """The study's recruitment funnel as bars, one per stage in order; a hidden stage has no bar
    and says "hidden" where its bar would stand."""
    stages = tuple(stages)
    labels = [s.label for s in stages]
    fig = go.Figure(
        go.Bar(
            x=labels,
            y=[s.people for s in stages],
            marker={"color": charts.PRESENCE_COLOUR},
            text=[s.shown if s.people is not None else "" for s in stages],
            textposition="outside",
            cliponaxis=False,
            hovertemplate="%{x}: %{y} people<extra></extra>",
            name="People",
        )
    )
    for s in stages:
        if s.people is None:
            fig.add_annotation(x=s.label, y=0, yref="y", text=HIDDEN, showarrow=False, yanchor="bottom")
    most = max((s.people or 0 for s in stages), default=0)
    fig.update_yaxes(title_text="People", rangemode="tozero", range=[0, max(1, most) * 1.15])
    fig.update_layout(
        title={"text": "Recruitment funnel, all teams together<br><sup>people at each stage; a later stage "
                       "implies the earlier ones</sup>"},
        showlegend=False,
        height=560,
        margin={"t": 110, "l": 80, "r": 20, "b": 80},
    )  # fmt: skip
    return fig


# --- the recruitment tensions --------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TensionCount:
    """A recruitment-tension code and the documents coded with it over the whole study, field notes
    and interview transcripts side by side (never added), as presenter mode shows them."""

    name: str
    notes: str
    interviews: str


@dataclass(frozen=True, slots=True)
class _Between(Figure):
    """A number a reader already knows to lie between ``low`` and ``high``: a count a team's profile
    shows as "<5", or one its ranking bounds (a code it does not name has no more notes than the
    third it does)."""

    low: float = 0
    high: float = 0

    def bounds(self) -> tuple[float, float]:
        return self.low, self.high


def tensions(con: duckdb.DuckDBPyConnection, rule: Rule, floor: Rule | None = None) -> tuple[TensionCount, ...]:
    """Every code under recruitment.TENSION_THEME with the study's field notes and interview
    transcripts coded with it (definitions.CODE_COUNTS), in the order a team's profile ranks them:
    a small count shown as "<5", and any other hidden ("hidden") that would let a small one be
    worked out beside what the teams' profiles show in presenter mode (each team's three tensions
    with their counts, small ones as "<5"): the study's count minus the teams' is the rest. No
    total over codes or sources is given.

    Each code's count in each source is a sum of the teams' (and, for interviews, of those with no
    team), and no figure shown links one code or source to another: each is protected on its own,
    by observation.disclosure, with what the profiles tell of its terms — as they show them at the
    ``floor`` threshold, the most they can tell — and what the floor hides stays hidden."""
    matrix = notes.code_team_matrix(con, StudyFilter(), "both")
    matrix = matrix[matrix["slug"].str.startswith(recruitment.TENSION_THEME + ".")]
    if matrix.empty:
        return ()
    codes = (
        matrix.groupby(["code_id", "code_name"], as_index=False)[["notes", "interviews"]]
        .sum()
        .sort_values(["notes", "interviews", "code_name", "code_id"], ascending=[False, False, True, True])
    )
    names = {int(c): str(n) for c, n in zip(codes["code_id"], codes["code_name"], strict=True)}
    teams = sorted(int(t) for t in matrix["team_id"].dropna().unique())
    counts: dict[tuple[int | None, int, str], int] = {}
    rows = zip(matrix["team_id"].tolist(), matrix["code_id"].tolist(), matrix["notes"].tolist(),
               matrix["interviews"].tolist(), strict=True)  # fmt: skip
    for team_id, code_id, in_notes, in_interviews in rows:
        holder = None if pd.isna(team_id) else int(team_id)
        for source, value in (("notes", in_notes), ("interviews", in_interviews)):
            key = (holder, int(code_id), source)
            counts[key] = counts.get(key, 0) + int(value)
    known: dict[tuple[int | None, int, str], tuple[int, int]] = {}
    for team in teams:
        known |= _profile_shows(team, names, counts, floor or rule)

    def shown(code: int, source: str) -> str:
        holders: list[int | None] = [*teams, None] if source == "interviews" else list(teams)
        truth = np.array([counts.get((h, code, source), 0) for h in holders], dtype=np.int64)
        total = int(truth.sum())
        if rule.hides(total):
            return rule.small
        every = tuple(range(len(holders)))
        said = [
            _Between(h, (i,), int(truth[i]), low=known[(h, code, source)][0], high=known[(h, code, source)][1])
            for i, h in enumerate(holders)
            if (h, code, source) in known
        ]
        secrets = [Secret(h, (i,), int(truth[i])) for i, h in enumerate(holders)]
        system = System(truth, [Figure("study", every, total)], said, secrets)
        hidden = suppress(system, rule, suppress(system, floor) if floor is not None else ())
        return HIDDEN if hidden else f"{total:,}"

    return tuple(TensionCount(names[c], shown(c, "notes"), shown(c, "interviews")) for c in names)


def _profile_shows(
    team: int, names: Mapping[int, str], counts: Mapping[tuple[int | None, int, str], int], rule: Rule
) -> dict[tuple[int | None, int, str], tuple[int, int]]:
    """What a team's profile in presenter mode tells a reader of its counts, as the range each lies
    in: its first PROFILE_TENSIONS codes by field notes (a tie broken by transcripts, then by name),
    each count as the rule shows it (1 to 4 for "<5"); every other code has no more notes than the
    last it names — or none at all, in either source, where it names fewer."""

    def count(code: int, source: str) -> int:
        return counts.get((team, code, source), 0)

    held = [c for c in names if count(c, "notes") or count(c, "interviews")]
    named = sorted(held, key=lambda c: (-count(c, "notes"), -count(c, "interviews"), names[c], c))[:PROFILE_TENSIONS]
    said: dict[tuple[int | None, int, str], tuple[int, int]] = {}
    for code in names:
        for source in ("notes", "interviews"):
            value = count(code, source)
            if code in named:
                said[(team, code, source)] = (1, rule.threshold - 1) if rule.hides(value) else (value, value)
            elif len(named) < PROFILE_TENSIONS:  # it names every code it has
                said[(team, code, source)] = (0, 0)
            elif source == "notes":
                ceiling = count(named[-1], "notes")
                said[(team, code, source)] = (0, rule.threshold - 1 if rule.hides(ceiling) else ceiling)
    return said
