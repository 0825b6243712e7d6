"""Presenter mode's choices (link, letters) and what it hides of a study: a hidden share says so,
and the cases the old rules missed — a shown 0% or 100% tying shares together — leave no small count
to be worked out (tests/unit/test_disclosure.py checks random studies the same way)."""

from __future__ import annotations

import dataclasses

import pandas as pd
import pytest

from observation import presenting
from observation.disclosure import Rule, whole_percent
from observation.profile import Tension
from tests.disclosure_check import pinned
from tests.unit.test_disclosure import kinds_of, overview_of, reader_atoms, what_is_seen


def test_guarded_measures_say_hidden_not_missing() -> None:
    # Team 1: 2 meetings with service users of 12; team 2: 1 of 2 — both small.
    kinds = kinds_of([[[2, 0, 0, 0, 0, 0, 10]], [[1, 0, 0, 0, 0, 0, 1]]])
    found = overview_of(kinds)
    guarded = presenting.guard(found, kinds, Rule(5))
    assert guarded.is_hidden(2, "presence_share")
    assert guarded.teams[1].presence_share is None
    assert guarded.is_hidden(1, "presence_share")
    shown = presenting.guard_trend(found.trend, guarded)
    assert shown["presence_share"].isna().all()


@pytest.mark.parametrize(
    "study",
    [
        # Team 2 had no service user: its carers' share is its presence; with the overall carers,
        # team 1's small 2 would follow.
        [[[3, 0, 2, 0, 0, 0, 5]], [[0, 0, 7, 0, 0, 0, 3]]],
        # Team 2 had service users (meaningfully) at all 6 of its meetings: 100% fixes presence.
        [[[2, 0, 0, 0, 0, 0, 8]], [[0, 6, 0, 0, 0, 0, 0]], [[5, 5, 0, 5, 0, 0, 5]]],
    ],
)
def test_a_shown_zero_or_hundred_percent_gives_nothing_away(study: list[list[list[int]]]) -> None:
    kinds = kinds_of(study)
    found = overview_of(kinds, charted=0)
    guarded = presenting.guard(found, kinds, Rule(5))
    assert pinned(reader_atoms(kinds), what_is_seen(found, guarded, found.trend.iloc[0:0]), 5) == []


def test_teams_by_letter_keep_their_letter_whatever_the_order() -> None:
    assert presenting.team_letters([7, 3, 12]) == {3: "Team A", 7: "Team B", 12: "Team C"}
    assert presenting.team_letters(range(28))[26] == "Team AA"


@pytest.mark.parametrize(
    ("params", "on", "threshold", "letters", "notices"),
    [
        ({}, False, 5, True, 0),
        ({"mode": "present"}, True, 5, True, 0),
        ({"mode": "present", "threshold": "8", "labels": "names"}, True, 8, False, 0),
        ({"mode": "present", "threshold": "101"}, True, 5, True, 1),
        # Under the floor (5 by default): the room would see counts the study does not show.
        ({"mode": "present", "threshold": "2"}, True, 5, True, 1),
        ({"mode": "slides"}, False, 5, True, 1),
    ],
)
def test_the_link_round_trips(params: dict[str, str], on: bool, threshold: int, letters: bool, notices: int) -> None:
    chosen, said = presenting.from_query_params(params)
    assert (chosen.on, chosen.threshold, chosen.letters, len(said)) == (on, threshold, letters, notices)
    if not said:
        assert presenting.to_query_params(chosen) == params


def test_a_study_with_a_higher_floor_refuses_a_link_under_it() -> None:
    chosen, said = presenting.from_query_params({"mode": "present", "threshold": "6"}, minimum=8)
    assert chosen.threshold == 8
    assert said == ["Ignored threshold='6' in the link: use a whole number from 8 to 100."]


def test_a_higher_threshold_hides_all_the_floor_hides() -> None:
    # A room shown the Overview at the floor (5) and handed a deck made at 8 must learn nothing the
    # Overview at 5 did not show: at 8, every share hidden at 5 stays hidden.
    kinds = kinds_of([[[3, 2, 1, 4, 0, 6, 9], [1, 5, 0, 2, 3, 1, 7]], [[6, 0, 4, 0, 2, 2, 8]], [[2, 7, 1, 1, 5, 0, 3]]])
    found = overview_of(kinds)
    at_floor = presenting.guard(found, kinds, Rule(5)).hidden
    stricter = presenting.guard(found, kinds, Rule(8), floor=Rule(5)).hidden
    assert at_floor <= stricter
    assert presenting.Presenting(on=True, threshold=8, floor=5).floor_rule == Rule(5)
    assert presenting.Presenting(on=True, threshold=5, floor=5).floor_rule is None


def test_a_threshold_in_a_link_without_presenter_mode_says_it_does_nothing_yet() -> None:
    chosen, said = presenting.from_query_params({"threshold": "8"})
    assert not chosen.on
    assert said == [
        "threshold='8' in the link applies in presenter mode only: this page shows every figure until presenter "
        "mode is on (add mode=present to the link, or turn it on in the sidebar)."
    ]


def room_of(study: list[list[list[int]]], threshold: int = 5) -> tuple[presenting.Presenting, presenting.Overview]:
    """The Overview as presenter mode shows it, for a study of meeting kinds, with a change marked
    for the whole study and one for each team, each worded with a name."""
    kinds = kinds_of(study)
    events = pd.DataFrame(
        {
            "team_id": [None, 1, 2],
            "event_date": pd.to_datetime(["2020-02-01", "2020-03-01", "2020-05-01"]),
            "label": ["Dr Smith's training", "Ann's first home meeting", "Bob joined"],
            "category": ["qi_training", "home_meetings", "other"],
        }
    )
    found = dataclasses.replace(overview_of(kinds), events=events)
    mode = presenting.Presenting(on=True, threshold=threshold)
    return mode, presenting.present_overview(found, kinds, mode, presenting.team_letters([1, 2]))


STUDY = [[[2, 0, 0, 0, 0, 0, 10], [1, 0, 0, 0, 0, 0, 5]], [[6, 3, 2, 1, 0, 0, 8], [4, 4, 0, 3, 0, 0, 6]]]
"""Team 1: meetings with service users in 3 of 18, a small count; team 2: enough of each kind."""


def test_the_team_in_the_room_comes_suppressed() -> None:
    mode, room = room_of(STUDY)
    tensions = [Tension(1, "Stigma", notes=3), Tension(2, "No time", notes=7, interviews=2)]
    view = presenting.team_in_the_room(room, tensions, 1, mode)
    assert view is not None
    assert view.team.team_name == "Team A"
    assert view.team.presence_share is None
    assert (None, "presence_share") in view.hidden
    assert view.trend["presence_share"].isna().all()  # and so do its quarters
    # Each source's counts apart, each small one hidden on its own: no total to subtract from.
    assert view.tensions == (
        ("In the field notes", ("Stigma: <5 notes", "No time: 7 notes")),
        ("In the interviews", ("No time: <5 interview transcripts",)),
    )
    # Annotations by their kind, never their wording (which names people).
    assert list(view.events["label"]) == ["QI training", "Meetings at home"]


def test_the_team_in_the_room_shows_nothing_the_room_overview_hides() -> None:
    # The room overview is guarded over the whole study (tests/unit/test_disclosure.py checks no
    # small count can be worked out from it); the team's view must show exactly its figures for
    # the team, so that nothing hidden there can be recovered by setting the two side by side.
    for team_id in (1, 2):
        mode, room = room_of(STUDY)
        view = presenting.team_in_the_room(room, (), team_id, mode)
        assert view is not None
        team = next(t for t in room.teams if t.team_id == team_id)
        for share in presenting.SHARES:
            in_room = presenting.percent(getattr(team, share), (team_id, share) in room.hidden)
            assert presenting.percent(getattr(view.team, share), (None, share) in view.hidden) == in_room
        pd.testing.assert_frame_equal(view.trend, room.trend[room.trend["team_id"] == team_id])
        overall = room.overall
        assert view.study_line == (
            f"All teams: presence {presenting.percent(overall.presence_share, (None, 'presence_share') in room.hidden)}"
            f", meaningful involvement "
            f"{presenting.percent(overall.meaningful_share, (None, 'meaningful_share') in room.hidden)}."
        )
        assert view.tensions == ()


def test_a_team_without_meetings_has_no_view() -> None:
    mode, room = room_of(STUDY)
    assert presenting.team_in_the_room(room, (), 99, mode) is None


def test_every_table_prints_shares_as_the_same_whole_percents() -> None:
    """One rounding for every table (the Overview's teams, the views' tables): a half to the even
    neighbour, none left empty rather than 0."""
    from observation.ui import exporting, tables, widgets

    assert tables.whole_percents is widgets.whole_percents is presenting.whole_percents
    assert presenting.whole_percents(pd.Series([0.125, 0.135, None, 2 / 3])).tolist() == [12, 14, pd.NA, 67]
    # a column at once rounds as the one-share function does, halves included
    shares = [k / d for d in (8, 40, 200, 400, 1000, 3, 7, 9) for k in range(d + 1)]
    assert presenting.whole_percents(shares).tolist() == [whole_percent(s) for s in shares]
    assert not hasattr(exporting, "audit_rows")  # the trail is read through observation.ui.study, cached
