"""Who was in the room, on the small study (answers in tests/small_study.py)."""

from __future__ import annotations

import re
from dataclasses import astuple
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from observation import db, definitions, meetings
from observation.filters import StudyFilter

pytestmark = pytest.mark.both_backends  # every measure read the same from PostgreSQL

ALL = StudyFilter()


def test_the_matrix_by_person_says_present_apologies_absent_not_expected_and_not_held(
    small: duckdb.DuckDBPyConnection,
) -> None:
    m = meetings.attendance_matrix(small, ALL, 1, "person")
    cells = {(r["row_label"], r["meeting_id"]): r["cell"] for r in m.to_dict("records")}
    assert [cells[("A-SU1 (Service user)", i)] for i in (1, 2, 3, 4)] == [
        "present",
        "present",
        "cancelled",
        "apologies",
    ]
    assert [cells[("A-CA1 (Carer)", i)] for i in (1, 2, 3, 4)] == ["absent", "present", "cancelled", "not_expected"]
    assert [cells[("A-ST2 (Therapist)", i)] for i in (1, 2, 3, 4)] == ["present", "apologies", "cancelled", "present"]
    # people with lived experience come first
    assert list(dict.fromkeys(m["row_label"]))[:2] == ["A-SU1 (Service user)", "A-CA1 (Carer)"]


def test_the_matrix_by_role_takes_the_best_of_its_people(small: duckdb.DuckDBPyConnection) -> None:
    m = meetings.attendance_matrix(small, ALL, 1, "role")
    carer = m[m["row_label"] == "Carer"]
    assert list(carer["cell"]) == ["absent", "present", "cancelled", "not_expected"]
    assert list(m[m["row_label"] == "Nurse"]["present"]) == [1, 1, 0, 1]


def test_one_meeting_in_full_in_words(small: duckdb.DuckDBPyConnection) -> None:
    # The walk-through read "co_leading" and "None" in a meeting's detail: stored values, not words.
    with db.transaction(small) as cur:
        cur.execute("insert into meeting_roles values (2, 'recorder', null)")  # filled, by nobody recorded
    detail = meetings.meeting_detail(small, 2)
    assert detail is not None
    assert (detail.team_name, str(detail.meeting_date), detail.at_home) == ("Alpha", "2020-01-24", True)
    assert detail.facts == ("held at the service user's home", "length not recorded", "1 action item", "not evaluated")
    assert [astuple(p) for p in detail.people] == [
        ("A-SU1", "Service user", "present", "co-leading"),
        ("A-CA1", "Carer", "present", "contributing"),
        ("A-ST1", "Nurse", "present", "contributing"),
        ("A-ST2", "Therapist", "apologies", "\u2014"),  # not there: nothing to say
    ]
    assert [astuple(r) for r in detail.roles] == [
        ("Leader", "A-ST1"),
        ("Facilitator", "A-SU1"),
        ("Recorder", "not recorded"),
    ]
    assert meetings.meeting_detail(small, 999) is None


def test_a_meeting_with_values_left_empty_says_so(small: duckdb.DuckDBPyConnection) -> None:
    first = meetings.meeting_detail(small, 1)
    assert first is not None
    assert first.facts == ("held at the service base", "length not recorded", "3 action items", "evaluated")
    took_part = {p.code: (p.attendance, p.took_part) for p in first.people}
    assert took_part["A-OB1"] == ("present", "not recorded")  # present, with no level recorded
    assert took_part["A-CA1"] == ("absent", "\u2014")
    cancelled = meetings.meeting_detail(small, 3)
    assert cancelled is not None
    assert cancelled.facts == ("cancelled", "was to be held at the service base")
    assert not cancelled.at_home
    assert (cancelled.people, cancelled.roles) == ((), ())
    shown = [first.facts, cancelled.facts, *(astuple(p) for p in first.people), *(astuple(r) for r in first.roles)]
    assert not any(
        word is None or word in {"None", "co_leading", "service_user", ""} for words in shown for word in words
    )


def test_attendance_by_role_per_month(small: duckdb.DuckDBPyConnection) -> None:
    rows = meetings.attendance_by_role(small, StudyFilter(teams=(1,)), "month")
    got = {(str(r["period"])[:7], r["role"]): (r["present"], r["meetings"]) for r in rows.to_dict("records")}
    # January's two meetings with anyone present: the mean a meeting, as the per-meeting chart reads
    assert got == {
        ("2020-01", "Service user"): (1.0, 2), ("2020-01", "Carer"): (0.5, 2), ("2020-01", "Nurse"): (1.0, 2),
        ("2020-01", "Therapist"): (0.5, 2), ("2020-01", "Observer"): (0.5, 2),
        ("2020-02", "Nurse"): (1.0, 1), ("2020-02", "Therapist"): (1.0, 1),
    }  # fmt: skip


@pytest.mark.parametrize("period", ["meeting", "month"])
def test_people_present_by_role_are_counted_as_their_definition_says(
    small: duckdb.DuckDBPyConnection, period: str
) -> None:
    """definitions.PRESENT_BY_ROLE worked out again in pandas from the meetings, attendance and roles."""
    raw = small.execute(
        """
        select m.id as meeting_id, m.team_id, m.meeting_date, m.status, a.status as attended, r.label as role
        from meetings as m
        join attendance as a on a.meeting_id = m.id
        join participants as p on p.id = a.participant_id
        join role_categories as r on r.code = p.role
        """
    ).df()
    present = raw[(raw["status"] == "held") & (raw["attended"] == "present")].copy()
    present["period"] = pd.to_datetime(present["meeting_date"])
    if period == "month":
        present["period"] = present["period"].dt.to_period("M").dt.to_timestamp()
    meetings_with_anyone = present.groupby(["team_id", "period"])["meeting_id"].nunique()
    people = present.groupby(["team_id", "period", "role"]).size()
    expected = {key: n / meetings_with_anyone[key[:2]] for key, n in people.items()}
    found = meetings.attendance_by_role(small, ALL, period)  # type: ignore[arg-type]
    got = {(r.team_id, pd.Timestamp(r.period), r.role): r.present for r in found.itertuples()}
    assert got == pytest.approx(expected)


def test_the_measures_page_words_people_present_by_role_as_the_definitions_do() -> None:
    measures = (Path(__file__).parents[2] / "docs" / "MEASURES.md").read_text(encoding="utf-8")
    flat = re.sub(r"\s+", " ", measures.replace("**", ""))
    assert flat.count(definitions.PRESENT_BY_ROLE) == 1


def test_meeting_effectiveness_per_month(small: duckdb.DuckDBPyConnection) -> None:
    rows = meetings.meeting_effectiveness(small, StudyFilter(teams=(1,)), "month").to_dict("records")
    january, february = rows
    assert (january["held"], january["not_held"], january["roles_filled"], january["action_items"]) == (2, 0, 2.0, 4)
    assert january["evaluated"] == pytest.approx(0.5)
    assert (february["held"], february["not_held"], february["roles_filled"]) == (1, 1, 0.0)
    assert pd.isna(february["evaluated"])  # m4's evaluation was not recorded: unknown, not "no"


def test_continuity_counts_consecutive_recorded_meetings(small: duckdb.DuckDBPyConnection) -> None:
    rows = meetings.continuity(small, ALL).to_dict("records")
    assert [(r["code"], r["meetings_attended"], r["longest_streak"]) for r in rows] == [
        ("A-SU1", 2, 2),  # m1 and m2 in a row, apologies at m4
        ("A-CA1", 1, 1),  # came once
        ("B-SU1", 1, 1),
    ]


def test_meetings_carry_the_shares_per_meeting(small: duckdb.DuckDBPyConnection) -> None:
    rows = meetings.meetings(small, StudyFilter(teams=(1,)), "contributing").to_dict("records")
    assert [(r["status"], r["meaningful"]) for r in rows] == [("held", 0), ("held", 1), ("cancelled", 0), ("held", 0)]
    assert rows[1]["su_share"] == pytest.approx(1 / 3)
    assert rows[1]["carer_share"] == pytest.approx(1 / 3)


def test_meetings_come_for_as_many_teams_as_a_chart_draws(small: duckdb.DuckDBPyConnection) -> None:
    rows = meetings.meetings(small, ALL, "contributing", max_teams=1)
    assert set(rows["team_name"]) == {"Alpha"}  # the first team by name
    assert len(meetings.meetings(small, ALL, "contributing")) == 8


def test_attendance_by_role_keeps_the_first_teams_and_says_how_many_there_are(
    small: duckdb.DuckDBPyConnection,
) -> None:
    rows = meetings.attendance_by_role(small, StudyFilter(), "month", max_teams=1)
    assert set(rows["team_name"]) == {"Alpha"}
    assert set(rows["teams_in_filter"]) == {2}


def test_meetings_say_which_were_held_with_nobody_with_lived_experience_present(
    small: duckdb.DuckDBPyConnection,
) -> None:
    rows = meetings.meetings(small, StudyFilter(), "contributing")
    flagged = rows[rows["no_lived_experience"].astype(bool)]
    # m4 (Alpha) and m5 (Beta) were held with staff alone; m8 was held with nobody recorded present
    assert sorted(flagged["meeting_id"]) == [4, 5]
    assert (flagged["status"] == "held").all()
    assert flagged["attendance_recorded"].all()


@pytest.mark.parametrize("period", ["meeting", "month"])
def test_how_the_meetings_ran_is_counted_as_its_definition_says(small: duckdb.DuckDBPyConnection, period: str) -> None:
    """definitions.MEETINGS_RAN worked out again in pandas from the meetings and their roles."""
    raw = small.execute(
        """
        select m.team_id, m.meeting_date, m.status, m.action_items, m.evaluated,
               (select count(*) from meeting_roles as r where r.meeting_id = m.id) as roles
        from meetings as m
        """
    ).df()
    raw["period"] = pd.to_datetime(raw["meeting_date"])
    if period == "month":
        raw["period"] = raw["period"].dt.to_period("M").dt.to_timestamp()
    expected = {}
    for (team, when), group in raw.groupby(["team_id", "period"]):
        held = group[group["status"] == "held"]
        evaluated = held["evaluated"].dropna().astype(float)
        expected[(team, when)] = (
            len(held),
            len(group) - len(held),
            held["roles"].mean() if len(held) else None,
            held["action_items"].sum() if len(held) and held["action_items"].notna().any() else None,
            evaluated.mean() if len(evaluated) else None,
        )
    found = meetings.meeting_effectiveness(small, ALL, period)  # type: ignore[arg-type]
    got = {
        (r.team_id, pd.Timestamp(r.period)): (r.held, r.not_held, r.roles_filled, r.action_items, r.evaluated)
        for r in found.itertuples()
    }
    assert got.keys() == expected.keys()
    for key, values in expected.items():
        for mine, theirs in zip(values, got[key], strict=True):
            if mine is None:
                assert pd.isna(theirs), key
            else:
                assert theirs == pytest.approx(mine), key


def test_the_measures_page_words_how_the_meetings_ran_as_the_definitions_do() -> None:
    measures = (Path(__file__).parents[2] / "docs" / "MEASURES.md").read_text(encoding="utf-8")
    flat = re.sub(r"\s+", " ", measures.replace("**", ""))
    assert flat.count(definitions.MEETINGS_RAN) == 1
