"""What presenter mode shows of voice at the meetings observed live gives no small count away by
subtraction, read by a reader who knows what a voice share says.

The reader here is built apart from observation.disclosure: per team, the contributions by
service users and carers split three ways (items raised, actions owned, the rest), every one a
whole number from 0 to MANY, so that a team's items raised and actions owned are each at most its
contributions. What is shown bounds them: a count shown is itself; a voice share printed as p%
over n meetings observed live says, for p above 0, that the contributions are at least
(p - 0.5)% of n (each meeting's share is at most 1, and above 0 only where someone contributed),
so at least one; printed as 0%, that there were none (or a rounding's worth: the reader is
taken to know it is at most what it is). A count from 1 to threshold - 1 (a team's
or the study's items raised, actions owned or contributions) is pinned when an integer programme
(scipy's HiGHS) finds it can take one value only.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pandas as pd
import pytest
from scipy.optimize import Bounds, LinearConstraint, milp

from observation import db, presenting, voice
from observation.disclosure import Rule, whole_percent
from observation.filters import StudyFilter
from tests.unit.test_disclosure import kinds_of, overview_of

PARTS = ("items_raised", "actions_owned", "rest")
MANY = 10_000
"""More of anything than a test's study holds: an atom's bound, so that a largest value exists."""


@dataclass(frozen=True)
class Team:
    team_id: int
    meetings: int
    share: float
    items: int
    actions: int
    contributions: int
    """By service users and carers: items and actions among them."""
    voiced: int
    """Meetings with a contribution by a service user or carer."""


def counts_of(teams: Sequence[Team]) -> pd.DataFrame:
    """voice.counts' frame for ``teams``: the study first, then each team."""
    rows = [[t.team_id, f"T{t.team_id}", t.meetings, t.share, t.items, t.actions, t.contributions, t.voiced]
            for t in teams]  # fmt: skip
    n = sum(t.meetings for t in teams)
    study = [None, None, n, sum(t.share * t.meetings for t in teams) / n,
             *(sum(getattr(t, c) for t in teams) for c in ("items", "actions", "contributions", "voiced"))]  # fmt: skip
    return pd.DataFrame([study, *rows], columns=list(voice.COUNTS)).astype({"team_id": "Int64"})


def plenty_of_meetings(teams: int) -> pd.DataFrame:
    """Meeting kinds with many meetings of every kind in every team: nothing voice says of
    presence can pin a count of meetings, so only the contributions themselves are at stake."""
    return kinds_of([[[9, 9, 9, 9, 9, 9, 9]] for _ in range(teams)])


def shown_voice(teams: Sequence[Team], threshold: int) -> voice.Voice:
    kinds = plenty_of_meetings(len(teams))
    mode = presenting.Presenting(on=True, threshold=threshold, floor=threshold)
    return presenting.present_voice(overview_of(kinds), kinds, counts_of(teams), mode, {})


def share_bounds(printed: int, meetings: int, contributions: int) -> tuple[float, float]:
    """What a voice share printed as ``printed``% over ``meetings`` says of the ``contributions``:
    at 0%, none, or a rounding's worth, which the reader is taken to know is at most what it is."""
    if printed == 0:
        return 0, contributions
    return max(1, math.ceil((printed - 0.5) * meetings / 100)), math.inf


def pinned(teams: Sequence[Team], shown: voice.Voice, rule: Rule) -> list[str]:
    """Every small count a reader of ``shown`` can work out exactly."""
    width = len(PARTS)
    truth = np.array([[t.items, t.actions, t.contributions - t.items - t.actions] for t in teams]).ravel()
    place = {t.team_id: i for i, t in enumerate(teams)}

    def vector(team_ids: Sequence[int], parts: Sequence[int]) -> np.ndarray:
        v = np.zeros(truth.size)
        for t in team_ids:
            for j in parts:
                v[place[t] * width + j] = 1
        return v

    rows, low, high = [], [], []
    every = [t.team_id for t in teams]
    for ids, measures in [(every, shown.overall), *(([t.team_id], t) for t in shown.teams)]:
        for j, count in ((0, measures.items_raised), (1, measures.actions_owned)):
            if count is not None:
                rows.append(vector(ids, [j]))
                low.append(count)
                high.append(count)
        if measures.mean_voice_share is not None:
            rows.append(vector(ids, range(width)))
            printed = whole_percent(measures.mean_voice_share)
            bounds = share_bounds(printed, measures.meetings_observed_live, int(vector(ids, range(width)) @ truth))
            low.append(bounds[0])
            high.append(bounds[1])
    constraints = [LinearConstraint(np.array(rows), low, high)] if rows else []
    pins = []
    for name, ids in [("study", every), *((f"team {t}", [t]) for t in every)]:
        for what, parts in (("items", [0]), ("actions", [1]), ("contributions", [0, 1, 2])):
            v = vector(ids, parts)
            value = int(v @ truth)
            if not rule.hides(value):
                continue
            ends = []
            for sign in (1, -1):
                found = milp(sign * v, constraints=constraints, integrality=np.ones(truth.size), bounds=Bounds(0, MANY))
                assert found.status == 0, f"what was shown fits no study at all: {found.message}"
                ends.append(round(sign * found.fun))
            if ends[0] == ends[1]:
                pins.append(f"{name} {what} = {value}")
    return pins


# Issue 24's walk-through on the demo with three teams, at the default threshold of 5: the study's
# items raised 6 and actions owned 12 were shown, Team A's 5 and 8; Team B's were hidden, and Team
# C's, but C's voice share read 0%, so C's were none and B's exactly 1 and 4.
WALK_THROUGH = (
    Team(1, meetings=8, share=0.10, items=5, actions=8, contributions=20, voiced=6),
    Team(2, meetings=8, share=0.06, items=1, actions=4, contributions=7, voiced=3),
    Team(3, meetings=9, share=0.0, items=0, actions=0, contributions=0, voiced=0),
)


def test_a_voice_share_of_none_does_not_give_another_teams_hidden_count_away() -> None:
    rule = Rule(5)
    shown = shown_voice(WALK_THROUGH, 5)
    b = shown.of_team(2)
    assert b.items_raised is None  # small: hidden for themselves
    assert b.actions_owned is None
    assert pinned(WALK_THROUGH, shown, rule) == []
    study, a, c = shown.overall, shown.of_team(1), shown.of_team(3)
    # Spelled out: with C's 0% on screen, the study's count, A's and C's cannot all be shown.
    for name in ("items_raised", "actions_owned"):
        assert None in (getattr(study, name), getattr(a, name)) or (
            c.mean_voice_share is None and getattr(c, name) is None
        ), name


def test_a_reader_who_takes_0_percent_for_none_pins_b_in_the_walk_through_when_c_shows_0_percent() -> None:
    # The reader can fail: shown every figure but B's items and actions, it pins both.
    every = voice.measures(counts_of(WALK_THROUGH))
    shown = voice.Voice(
        every.overall,
        tuple(t.model_copy(update={"items_raised": None, "actions_owned": None}) if t.team_id in (2, 3) else t
              for t in every.teams),
    )  # fmt: skip
    assert pinned(WALK_THROUGH, shown, Rule(5)) == ["team 2 items = 1", "team 2 actions = 4"]


def random_teams(rng: random.Random) -> list[Team]:
    teams = []
    for team_id in range(1, rng.randint(2, 4) + 1):
        meetings = rng.randint(2, 9)
        silent = rng.random() < 0.35
        items, actions = (0, 0) if silent else (rng.randint(0, 6), rng.randint(0, 9))
        contributions = 0 if silent else items + actions + rng.randint(0 if items + actions else 1, 12)
        voiced = min(meetings, contributions, rng.randint(1, meetings)) if contributions else 0
        # Each meeting's share is at most 1 and above 0 only where someone contributed: a mean at
        # most voiced / meetings (and, seldom, small enough to print as 0%).
        share = 0.0 if not contributions else rng.uniform(0.001, voiced / meetings)
        teams.append(Team(team_id, meetings, share, items, actions, contributions, voiced))
    return teams


@pytest.mark.parametrize("seed", range(30))
@pytest.mark.parametrize("threshold", [3, 5])
def test_no_small_count_of_voice_can_be_worked_out_from_what_presenter_mode_shows(seed: int, threshold: int) -> None:
    teams = random_teams(random.Random(seed))
    rule = Rule(threshold)
    shown = shown_voice(teams, threshold)
    assert pinned(teams, shown, rule) == []
    for measures in (shown.overall, *shown.teams):  # and no small count is shown at all
        for count in (measures.items_raised, measures.actions_owned):
            assert count is None or not rule.hides(count)


def test_nothing_presenter_mode_shows_of_the_demos_voice_gives_a_small_count_away(
    demo: duckdb.DuckDBPyConnection,
) -> None:
    found = voice.counts(demo, StudyFilter())
    records: list[dict[str, Any]] = found[found["team_id"].notna()].to_dict("records")
    teams = [
        Team(int(r["team_id"]), int(r["meetings_observed_live"]), float(r["mean_voice_share"]), int(r["items_raised"]),
             int(r["actions_owned"]), int(r["contributions_lived_experience"]), int(r["meetings_with_voice"]))
        for r in records
    ]  # fmt: skip
    for threshold in (5, 8):
        mode = presenting.Presenting(on=True, threshold=threshold, letters=False)
        shown = presenting.room(demo, "contributing", mode).voice
        assert pinned(teams, shown, Rule(threshold)) == [], threshold


@pytest.mark.parametrize("threshold", [5, 8])
def test_the_room_shows_what_the_overview_and_voice_worked_out_apart_show(
    demo: duckdb.DuckDBPyConnection, threshold: int
) -> None:
    # presenting.room checks the Overview's shares once for both (half a presenter's first wait at
    # national scale); what it shows must be what each shows worked out on its own
    mode = presenting.Presenting(on=True, threshold=threshold)
    shown = presenting.room(demo, "contributing", mode)
    alone = presenting.room_overview(demo, "contributing", mode)
    assert shown.overview.hidden  # something is hidden: the comparison has something to compare
    assert shown.overview.hidden == alone.hidden
    assert shown.overview.teams == alone.teams
    assert shown.overview.overall == alone.overall
    everything = StudyFilter()
    found = presenting.queries.overview(
        demo, everything, "contributing", trend_teams=presenting.charts.MAX_SMALL_MULTIPLES, period="quarter",
        first_by_id=True,
    )  # fmt: skip
    kinds = presenting.queries.meeting_kinds(demo, everything, "contributing", "quarter")
    labels = presenting.team_letters(t.id for t in presenting.queries.teams(demo))
    apart = presenting.present_voice(found, kinds, voice.counts(demo, everything), mode, labels)
    assert shown.voice == apart


def test_a_study_with_no_meeting_recorded_yet_is_shown_in_the_room_with_nothing_to_hide(tmp_path: Path) -> None:
    con = db.connect(tmp_path / "new.duckdb")
    try:
        for threshold in (5, 8):
            shown = presenting.room(con, "contributing", presenting.Presenting(on=True, threshold=threshold))
            assert shown.overview.hidden == frozenset()
            assert shown.overview.teams == ()
    finally:
        con.close()
