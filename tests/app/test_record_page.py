"""The Record page in AppTest: edit a meeting, record a new one, and be refused after someone else saved."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from observation import db, record
from observation.ui import recording

App = Callable[..., AppTest]


def open_record(app: App, small_path: Path, meeting_id: int) -> AppTest:
    at = app(small_path).switch_page("pages/record.py").run()
    at.selectbox(key="record_team").set_value(1).run()
    return at.selectbox(key="record_meeting_1").set_value(meeting_id).run()


def test_editing_a_meeting_saves_it_and_the_audit_says_so(app: App, small_path: Path) -> None:
    at = open_record(app, small_path, 1)
    assert at.number_input(key="record_1_1_actions").value == 3
    at.number_input(key="record_1_1_actions").set_value(7).run()
    at.button(key="record_save").click().run()
    assert not at.exception
    assert [s.value for s in at.success] == ["Saved. Every page now shows it; the audit trail records what changed."]
    con = db.connect(small_path)
    assert con.execute("select action_items from meetings where id = 1").fetchone() == (7,)
    assert con.execute("select count(*) from audit where table_name = 'meetings'").fetchone() == (1,)


def test_a_save_after_someone_else_saved_is_refused_with_who_and_when(app: App, small_path: Path) -> None:
    at = open_record(app, small_path, 1)
    con = db.connect(small_path)  # another researcher, saving the same meeting meanwhile
    other = record.load(con, 1)
    assert other is not None
    entries = [
        record.AttendanceEntry(participant_id=p, status=s, participation=lv) for p, (s, lv) in other.attendance.items()
    ]  # type: ignore[arg-type]
    record.save_meeting(con, 1, other.details, entries, list(other.notes), other.version, who="R02")
    at.number_input(key="record_1_1_actions").set_value(9).run()
    at.button(key="record_save").click().run()
    (error,) = at.error
    assert "R02 saved this meeting at" in error.value.replace("\\", "")
    assert con.execute("select action_items from meetings where id = 1").fetchone() == (3,)
    at.button(key="record_reload").click().run()  # see their version, then change it again
    assert at.number_input(key="record_1_1_actions").value == 3
    at.number_input(key="record_1_1_actions").set_value(9).run()
    at.button(key="record_save").click().run()
    assert not at.error
    assert con.execute("select action_items from meetings where id = 1").fetchone() == (9,)


def test_a_new_meeting_is_recorded_and_keeps_the_marks_already_on_its_date(app: App, small_path: Path) -> None:
    con = db.connect(small_path)
    con.execute("insert into annotations (team_id, event_date, label) values (2, '2020-03-25', 'Imported before')")
    con.close()
    at = app(small_path).switch_page("pages/record.py").run()
    at.selectbox(key="record_team").set_value(2).run()
    at.date_input(key="record_2_0_date").set_value(dt.date(2020, 3, 25)).run()
    at.button(key="record_save").click().run()
    assert not at.exception
    assert [s.value for s in at.success]
    con = db.connect(small_path)
    assert con.execute("select status from meetings where team_id = 2 and meeting_date = '2020-03-25'").fetchone() == (
        "held",
    )
    assert con.execute("select label from annotations where team_id = 2").fetchall() == [("Imported before",)]


def test_saving_a_meeting_keeps_the_changes_and_recruitment_steps_at_its_date(app: App, small_path: Path) -> None:
    con = db.connect(small_path)
    con.execute("insert into annotations (team_id, event_date, label, category) "
                "values (1, '2020-01-10', 'Met at a service user''s home', 'home_meetings')")  # fmt: skip
    con.close()
    at = open_record(app, small_path, 1)
    at.number_input(key="record_1_1_actions").set_value(4).run()
    at.button(key="record_save").click().run()
    assert not at.error
    con = db.connect(small_path)
    assert con.execute("select label, category from annotations where team_id = 1").fetchall() == [
        ("Met at a service user's home", "home_meetings")
    ]
    assert con.execute("select action_items from meetings where id = 1").fetchone() == (4,)
    assert con.execute(
        "select participant_id, stage from recruitment_events where event_date = '2020-01-10' order by all"
    ).fetchall() == [(3, "first_attended"), (6, "agreed")]


def test_a_grid_row_that_cannot_be_saved_is_named_by_table_row_and_column() -> None:
    from observation.ui import edits

    grid = pd.DataFrame(
        [{"participant_id": 3, "stage": "agreed", "reason_code_id": None},
         {"participant_id": None, "stage": None, "reason_code_id": None},  # an empty row, as the grid leaves them
         {"participant_id": None, "stage": "declined", "reason_code_id": 2}],
        columns=["participant_id", "stage", "reason_code_id"],
    )  # fmt: skip
    rows = edits.filled_rows(grid)
    assert [i for i, _ in rows] == [1, 3]
    assert edits.validated(record.RecruitmentStep, rows[0][1], "Recruitment steps, row 1") == (
        record.RecruitmentStep(participant_id=3, stage="agreed")
    )
    with pytest.raises(edits.RowProblem, match=r"^Recruitment steps, row 3: Participant must be filled in$"):
        edits.validated(record.RecruitmentStep, rows[1][1], "Recruitment steps, row 3")


def caption_words(at: AppTest) -> str:
    return " ".join(c.value.replace("\\", "") for c in at.caption)


def test_a_new_meeting_starts_at_the_teams_next_expected_meeting_and_moves_with_the_team(
    app: App, small_path: Path
) -> None:
    # Alpha met fortnightly (10 and 24 Jan, cancelled 7 Feb, 21 Feb 2020); Beta too (15 Jan, 12 Feb,
    # postponed 26 Feb, 11 Mar): each is next expected two weeks after its last meeting. Years ago:
    # the date offered is still that one (a missed meeting being typed in), said to be overdue.
    at = app(small_path).switch_page("pages/record.py").run()
    assert at.selectbox(key="record_team").value == 1
    assert at.date_input(key="record_1_0_date").value == dt.date(2020, 3, 6)
    assert (
        "The team's meetings are overdue: its last meeting was 21/02/2020; at its usual gap of 2 weeks the next "
        "was due 06/03/2020." in caption_words(at)
    )
    assert "next expected" not in caption_words(at)
    at.selectbox(key="record_team").set_value(2).run()
    assert at.date_input(key="record_2_0_date").value == dt.date(2020, 3, 25)
    assert "its last meeting was 11/03/2020; at its usual gap of 2 weeks the next was due 25/03/2020" in caption_words(
        at
    )
    at.selectbox(key="record_team").set_value(1).run()  # and back
    assert at.date_input(key="record_1_0_date").value == dt.date(2020, 3, 6)
    assert not at.exception


def test_a_date_the_user_gave_a_new_meeting_is_kept_when_they_change_team(app: App, small_path: Path) -> None:
    at = app(small_path).switch_page("pages/record.py").run()
    at.date_input(key="record_1_0_date").set_value(dt.date(2020, 3, 4)).run()
    at.selectbox(key="record_team").set_value(2).run()  # the wrong team first: the date is what they know
    assert at.date_input(key="record_2_0_date").value == dt.date(2020, 3, 4)
    assert "25/03/2020" in caption_words(at)  # Beta's expected meeting is still said beside it
    at.button(key="record_save").click().run()
    assert not at.error
    con = db.connect(small_path)
    assert con.execute("select team_id from meetings where meeting_date = '2020-03-04'").fetchall() == [(2,)]


def test_a_saved_new_meeting_opens_and_the_next_new_one_starts_after_it(app: App, small_path: Path) -> None:
    at = app(small_path).switch_page("pages/record.py").run()
    at.button(key="record_save").click().run()  # Alpha's meeting of 6 March 2020, as offered
    assert not at.exception
    assert not at.error
    assert [s.value.replace("\\", "") for s in at.success] == [recording.SAVED]
    con = db.connect(small_path)
    (saved,) = con.execute("select id from meetings where team_id = 1 and meeting_date = '2020-03-06'").fetchone()
    con.close()
    assert at.selectbox(key="record_meeting_1").value == saved  # open: its marks and steps can be added now
    at.selectbox(key="record_meeting_1").set_value(recording.NEW).run()
    assert at.date_input(key="record_1_0_date").value == dt.date(2020, 3, 20)


def test_the_record_page_keeps_no_team_in_its_link(app: App, small_path: Path) -> None:
    # The page once put team_view= in the address, a parameter nothing read back usefully: the team
    # being recorded is kept for the session instead, and a link that still carries it is cleaned.
    at = app(small_path, team_view="2").switch_page("pages/record.py").run()
    assert "team_view" not in at.query_params
    assert at.selectbox(key="record_team").value == 1
    at.selectbox(key="record_team").set_value(2).run()
    at.number_input(key="record_2_0_actions").set_value(2).run()
    assert "team_view" not in at.query_params
    at.switch_page("pages/overview.py").run()
    at.switch_page("pages/record.py").run()
    assert at.selectbox(key="record_team").value == 2  # the team is kept when the user comes back
    assert "team_view" not in at.query_params
