"""The recruitment funnel on the small study (answers in tests/small_study.py)."""

from __future__ import annotations

import datetime as dt

import duckdb
import pytest

from observation import recruitment
from observation.filters import StudyFilter

pytestmark = pytest.mark.both_backends  # every measure read the same from PostgreSQL

ALL = StudyFilter()


def test_the_funnel_counts_people_at_each_stage_per_team(small: duckdb.DuckDBPyConnection) -> None:
    rows = recruitment.funnel(small, ALL)
    got = {(r["team_name"], r["stage"]): r["people"] for r in rows.to_dict("records")}
    assert [got[("Alpha", s)] for s in (*recruitment.FUNNEL, *recruitment.DROP_OUTS)] == [1, 1, 1, 1, 1, 0, 0]
    # B-SU1 agreed, came once and withdrew; B-SU2 was approached and declined
    assert [got[("Beta", s)] for s in (*recruitment.FUNNEL, *recruitment.DROP_OUTS)] == [2, 2, 1, 1, 0, 1, 1]


def test_the_funnel_follows_a_cohort_whose_recruitment_began_in_the_dates(small: duckdb.DuckDBPyConnection) -> None:
    rows = recruitment.funnel(small, StudyFilter(setting="community", end=dt.date(2019, 12, 31)))
    assert set(rows["team_name"]) == {"Alpha"}
    # A-SU1 was identified in December; every later stage counts, even those reached in 2020
    assert list(rows["people"]) == [1, 1, 1, 1, 1, 0, 0]
    beta = recruitment.funnel(small, StudyFilter(teams=(2,), start=dt.date(2020, 1, 1)))
    # only B-SU2's recruitment began in 2020: identified, approached, declined
    assert list(beta["people"]) == [1, 1, 0, 0, 0, 1, 0]
    times = recruitment.stage_times(small, StudyFilter(teams=(2,), start=dt.date(2020, 1, 1))).to_dict("records")
    assert [(r["from_stage"], r["to_stage"], r["people"]) for r in times] == [
        ("identified", "approached", 1),
        ("approached", "declined", 1),
    ]


def test_days_between_stages(small: duckdb.DuckDBPyConnection) -> None:
    rows = recruitment.stage_times(small, ALL).to_dict("records")
    got = {(r["team_name"], r["from_stage"], r["to_stage"]): (r["people"], r["median_days"]) for r in rows}
    assert got[("Alpha", "identified", "approached")] == (1, 4)
    assert got[("Beta", "identified", "approached")] == (2, 19)  # 23 and 15 days
    assert got[("Beta", "approached", "declined")] == (1, 5)
    assert got[("Beta", "first_attended", "withdrew")] == (1, 18)


def test_the_events_behind_a_bar_come_with_their_coded_reasons(small: duckdb.DuckDBPyConnection) -> None:
    rows = recruitment.events(small, ALL, team_id=2, stage="declined").to_dict("records")
    assert [(r["code"], str(r["event_date"])[:10], r["reason"]) for r in rows] == [
        ("B-SU2", "2020-01-25", "Complexity of mental illness")
    ]


def test_tension_notes_per_held_meeting_by_team_and_month(small: duckdb.DuckDBPyConnection) -> None:
    rows = recruitment.tension_by_month(small, ALL).to_dict("records")
    got = {(r["team_name"], str(r["month"])[:7]): (r["notes"], r["held"]) for r in rows}
    assert got == {
        ("Alpha", "2020-01"): (1, 2),
        ("Alpha", "2020-02"): (0, 1),
        ("Beta", "2020-01"): (1, 1),
        ("Beta", "2020-02"): (0, 1),
        ("Beta", "2020-03"): (0, 1),
    }
