"""Presenter mode's rules over random small studies: no share shown rests on a small count, and
no hidden share can be worked out from the overall figure, the other teams or a team's quarters
(checked with a rank test written here from the measures' own equations)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from observation import presenting
from observation.disclosure import Rule
from observation.queries import Measures, TeamMeasures

QUARTERS = [dt.date(2020, 1, 1), dt.date(2020, 4, 1), dt.date(2020, 7, 1), dt.date(2020, 10, 1)]

# Per team, per quarter: (meetings, meetings with someone present).
quarter = st.integers(0, 9).flatmap(lambda n: st.tuples(st.just(n), st.integers(0, n)))
studies = st.lists(st.lists(quarter, min_size=1, max_size=4), min_size=1, max_size=4)


def build(study: list[list[tuple[int, int]]]) -> tuple[Measures, list[TeamMeasures], pd.DataFrame]:
    teams, rows = [], []
    for team_id, quarters in enumerate(study, start=1):
        held = sum(n for n, _ in quarters)
        present = sum(p for _, p in quarters)
        share = present / held if held else None
        teams.append(TeamMeasures(team_id=team_id, team_name=f"T{team_id}", setting="community", meetings_held=held,
                                  presence_share=share, service_user_share=share, meaningful_share=share,
                                  mean_representation=share))  # fmt: skip
        rows += [
            {"team_id": team_id, "team_name": f"T{team_id}", "month": QUARTERS[q], "meetings": n,
             "presence_share": p / n, "meaningful_share": p / n}
            for q, (n, p) in enumerate(quarters) if n
        ]  # fmt: skip
    held = sum(t.meetings_held for t in teams)
    present = sum(round((t.presence_share or 0) * t.meetings_held) for t in teams)
    share = present / held if held else None
    overall = Measures(meetings_held=held, presence_share=share, service_user_share=share, meaningful_share=share,
                       mean_representation=share)  # fmt: skip
    columns = ["team_id", "team_name", "month", "meetings", "presence_share", "meaningful_share"]
    return overall, teams, pd.DataFrame(rows, columns=columns)


def determined(known: dict[Any, bool], equations: list[dict[Any, int]]) -> list[Any]:
    """The unknown variables that the equations (each: variable -> coefficient, summing to 0) fix."""
    unknown = [v for v, k in known.items() if not k]
    if not unknown:
        return []
    system = np.array([[eq.get(v, 0) for v in unknown] for eq in equations], dtype=float)
    rank = np.linalg.matrix_rank(system)
    fixed = []
    for k, v in enumerate(unknown):
        unit = np.zeros(len(unknown))
        unit[k] = 1
        if np.linalg.matrix_rank(np.vstack([system, unit])) == rank:
            fixed.append(v)
    return fixed


@settings(max_examples=200, deadline=None)
@given(study=studies, threshold=st.sampled_from([3, 5, 8]))
def test_presenter_mode_shows_no_small_count_and_gives_none_away(
    study: list[list[tuple[int, int]]], threshold: int
) -> None:
    rule = Rule(threshold)
    overall, teams, trend = build(study)
    guarded = presenting.guard_measures(overall, teams, rule, trend)

    for share in ("presence_share", "service_user_share"):  # one the trend shows, one it does not
        with_trend = share in presenting.TREND_SHARES
        known: dict[Any, bool] = {}
        equations: list[dict[Any, int]] = [{"overall": 1} | {t.team_id: -1 for t in teams}]
        counts: dict[Any, tuple[int, int]] = {"overall": (round((overall.presence_share or 0) * overall.meetings_held),
                                                          overall.meetings_held)}  # fmt: skip
        known["overall"] = not guarded.is_hidden(None, share)
        for t, quarters in zip(teams, study, strict=True):
            counts[t.team_id] = (round((t.presence_share or 0) * t.meetings_held), t.meetings_held)
            known[t.team_id] = not guarded.is_hidden(t.team_id, share)
            if with_trend:
                cells = {(t.team_id, QUARTERS[q]): (p, n) for q, (n, p) in enumerate(quarters) if n}
                counts |= cells
                known |= {c: not guarded.is_hidden(c, share) for c in cells}
                equations.append({t.team_id: 1} | {c: -1 for c in cells})
        for variable, shown in known.items():
            numerator, denominator = counts[variable]
            if shown and denominator:
                assert denominator >= threshold, (variable, share)
                assert not rule.hides(numerator), (variable, share)
        assert determined(known, equations) == [], share


def test_guarded_measures_say_hidden_not_missing() -> None:
    overall, teams, trend = build([[(10, 6)], [(2, 1)]])
    guarded = presenting.guard_measures(overall, teams, Rule(5), trend)
    assert guarded.is_hidden(2, "presence_share")  # 1 of 2
    assert guarded.is_hidden(1, "presence_share")  # else 7 - 6 = 1 gives team 2 away
    assert guarded.overall.presence_share == pytest.approx(7 / 12)
    assert guarded.teams[0].presence_share is None
    assert not guarded.is_hidden(None, "presence_share")
    shown = presenting.guard_trend(trend, guarded)
    assert shown["presence_share"].isna().all()


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


def test_a_shown_zero_does_not_give_a_hidden_share_away() -> None:
    # Team B had no service user at its meetings: its carers' share is its presence. If B showed
    # presence 70% and service users 0% while hiding carers, its carers (7) would be known, and
    # with the overall carer figure, so would Team A's small 2.
    a = TeamMeasures(
        team_id=1,
        team_name="A",
        setting="community",
        meetings_held=10,
        presence_share=0.5,
        service_user_share=0.4,
        carer_share=0.2,
        meaningful_share=0.5,
        mean_representation=0.2,
    )
    b = TeamMeasures(
        team_id=2,
        team_name="B",
        setting="community",
        meetings_held=10,
        presence_share=0.7,
        service_user_share=0.0,
        carer_share=0.7,
        meaningful_share=0.7,
        mean_representation=0.3,
    )
    overall = Measures(meetings_held=20, presence_share=0.6, service_user_share=0.2, carer_share=0.45,
                       meaningful_share=0.6, mean_representation=0.25)  # fmt: skip
    guarded = presenting.guard_measures(overall, [a, b], Rule(5))
    assert guarded.is_hidden(1, "carer_share")  # 2 of 10: small
    for key, m in ((1, a), (2, b), (None, overall)):
        for zero, other in presenting.PAIRS:
            if getattr(m, zero) == 0 and not guarded.is_hidden(key, zero):
                assert guarded.is_hidden(key, other) == guarded.is_hidden(key, "presence_share"), (key, other)
    # And by subtraction: A's carers are hidden, so B's or the overall's must be too.
    assert guarded.is_hidden(2, "carer_share") or guarded.is_hidden(None, "carer_share")


def test_a_shown_100_percent_does_not_give_a_hidden_presence_away() -> None:
    # Team 2 had service users (and meaningful involvement) at all 6 of its meetings, so its presence
    # was 6 of 6; with the overall 23 of 36 and team 3's 15, team 1's small 2 would follow.
    def team(i: int, n: int, presence: int, su: int, meaningful: int) -> TeamMeasures:
        return TeamMeasures(team_id=i, team_name=f"T{i}", setting="community", meetings_held=n,
                            presence_share=presence / n, service_user_share=su / n, carer_share=0.0,
                            meaningful_share=meaningful / n, mean_representation=presence / n / 2)  # fmt: skip

    teams = [team(1, 10, 2, 2, 0), team(2, 6, 6, 6, 6), team(3, 20, 15, 5, 5)]
    overall = Measures(meetings_held=36, presence_share=23 / 36, service_user_share=13 / 36, carer_share=0.0,
                       meaningful_share=11 / 36, mean_representation=0.3)  # fmt: skip
    guarded = presenting.guard_measures(overall, teams, Rule(5))
    assert guarded.is_hidden(1, "presence_share")
    if guarded.is_hidden(2, "presence_share"):
        assert guarded.is_hidden(2, "service_user_share")
        assert guarded.is_hidden(2, "meaningful_share")
    shown = [t for t in (1, 2, 3) if not guarded.is_hidden(t, "presence_share")]
    assert guarded.is_hidden(None, "presence_share") or len(shown) <= 1  # no subtraction leaves one unknown
