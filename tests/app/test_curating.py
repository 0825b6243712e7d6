"""Study setup and deletions in AppTest: merge codes and add one from the page, delete a note and a
meeting from the Record page after the confirmation, and see every change in the study file."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from pathlib import Path
from typing import get_args

import streamlit as st
from streamlit.testing.v1 import AppTest

from observation import coding, db, filters, labels, models
from tests.app.test_record_page import open_record

App = Callable[..., AppTest]


def shown(elements: object) -> list[str]:
    """The text of the page's messages as a reader sees it (markdown escapes removed)."""
    return [e.value.replace("\\", "") for e in elements]  # type: ignore[attr-defined]


def setup_page(app: App, small_path: Path) -> AppTest:
    return app(small_path).switch_page("pages/study_setup.py").run()


def test_the_setup_page_shows_teams_participants_and_the_codebook(app: App, small_path: Path) -> None:
    at = setup_page(app, small_path)
    assert not at.exception
    teams, people, codes = (frame.value for frame in at.dataframe)  # st.data_editor shows as a dataframe
    assert list(teams["name"]) == ["Alpha", "Beta"]
    assert list(people["code"]) == ["A-CA1", "A-OB1", "A-ST1", "A-ST2", "A-SU1"]
    assert dict(zip(codes["slug"], codes["segments"], strict=True))["presence.voice"] == 3


def test_the_setup_grids_show_words_and_leave_an_empty_cell_empty(app: App, small_path: Path) -> None:
    """Beta has no coach and most codes no COM-B: a cell showed "None"; the codebook's COM-B, barrier
    or enabler and 4Pi showed their stored values ("capability")."""
    at = setup_page(app, small_path)
    teams, people, codes = at.dataframe
    assert teams.value["coach"].isna().any()
    assert all(grid.proto.placeholder == "" for grid in (teams, people, codes))
    config = json.loads(codes.proto.columns)
    for column, words in (("com_b", labels.COM_B), ("valence", labels.VALENCE), ("four_pi", labels.FOUR_PI)):
        options = config[column]["type_config"]["options"]
        assert [(o["value"], o["label"]) for o in options] == list(words.items())
    assert set(labels.COM_B) == set(get_args(models.ComB))
    assert set(labels.VALENCE) == set(get_args(models.Valence))
    assert set(labels.FOUR_PI) == set(get_args(models.FourPi))


def asked_to_merge(at: AppTest, source: int, target: int) -> str:
    """Choose to merge code ``source`` into ``target``: the one warning the page gives."""
    at.selectbox(key="setup_merge_source").set_value(source).run()
    at.selectbox(key="setup_merge_target").set_value(target).run()
    (warning,) = shown(at.warning)
    return warning


def confirm_merge(at: AppTest, source: int, target: int) -> None:
    """Tick "sure" and merge: the page runs without an error."""
    at.checkbox(key=f"setup_merge_{source}_{target}_sure").check().run()
    at.button(key=f"setup_merge_{source}_{target}_go").click().run()
    assert not at.exception
    assert not at.error


def test_merging_codes_from_the_page_waits_for_the_confirmation(app: App, small_path: Path) -> None:
    at = setup_page(app, small_path)
    warning = asked_to_merge(at, 3, 2)
    # Code 3 has three segments; two repeat a segment code 2 already has on the same note by the same coder.
    assert "1 coded segment moves to" in warning
    assert "2 that repeat a segment it already has are removed" in warning
    assert "2 recruitment steps" in warning
    assert at.button(key="setup_merge_3_2_go").disabled
    confirm_merge(at, 3, 2)
    (done,) = at.success
    assert "merged into" in done.value
    con = db.connect(small_path)
    assert con.execute("select count(*) from codes where id = 3").fetchone() == (0,)
    assert con.execute("select count(*) from coded_segments where code_id = 2").fetchone() == (4,)
    assert con.execute("select count(*) from audit where action = 'delete' and table_name = 'codes'").fetchone() == (1,)
    # The next pair the page offers asks for its own confirmation.
    source, target = at.selectbox(key="setup_merge_source").value, at.selectbox(key="setup_merge_target").value
    assert at.button(key=f"setup_merge_{source}_{target}_go").disabled


def test_a_merge_says_which_memos_move_and_which_are_added_to_one_already_there(app: App, small_path: Path) -> None:
    con = db.connect(small_path)
    coding.write_memo(con, code_id=3, body="Acuity shapes who is asked.", author="R01")
    coding.write_memo(con, code_id=2, body="Fit is a judgement.", author="R01")  # R01's memo on code 2: joined
    coding.write_memo(con, coding_id=5, body="Both readings apply.", author="R02")  # segment 5 repeats segment 4
    con.close()
    at = setup_page(app, small_path)
    warning = asked_to_merge(at, 3, 2)
    assert "2 memos on it or on its repeated segments move to 'Finding" in warning
    assert "(1 added to the memo its author already has there, after “(from Complexity of mental illness)”)" in warning
    confirm_merge(at, 3, 2)
    (done,) = shown(at.success)
    assert "2 memos on it or on its repeated segments moved to" in done
    assert "(1 added to the memo its author already had there" in done
    con = db.connect(small_path)
    assert con.execute("select coding_id, code_id, body from memos order by id").fetchall() == [
        (None, 2, "Fit is a judgement.\n\n(from Complexity of mental illness) Acuity shapes who is asked."),
        (4, None, "Both readings apply."),
    ]  # fmt: skip


def test_a_new_code_goes_under_its_theme_and_a_nameless_one_is_refused(app: App, small_path: Path) -> None:
    at = setup_page(app, small_path)
    at.button(key="setup_add").click().run()
    (error,) = shown(at.error)
    assert "New code: Name must be filled in" in error
    at.selectbox(key="setup_parent").set_value(1)
    at.text_input(key="setup_code_name").input("Staff turnover")
    at.button(key="setup_add").click().run()
    assert not at.error
    con = db.connect(small_path)
    assert con.execute("select parent_id from codes where slug = 'recruitment_tension.staff_turnover'").fetchone() == (
        1,
    )


def test_a_note_and_then_its_meeting_are_deleted_after_saying_what_goes(app: App, small_path: Path) -> None:
    at = open_record(app, small_path, 1)
    at.selectbox(key="record_delete_what").set_value(2).run()  # note 2 of m1
    assert any("Deleting note 2 also deletes 3 coded segments." in w for w in shown(at.warning))
    at.checkbox(key="record_delete_1_2_sure").check().run()
    at.button(key="record_delete_1_2_go").click().run()
    assert not at.exception
    assert not at.error
    con = db.connect(small_path)
    assert con.execute("select id from field_notes where meeting_id = 1").fetchall() == [(1,)]
    con.close()
    # The form opens again as saved (one note left), and the meeting can still be saved.
    assert len(at.dataframe[2].value) == 1
    at.button(key="record_save").click().run()
    assert not at.error

    at.selectbox(key="record_delete_what").set_value(None).run()
    assert any(
        "Deleting the meeting of Alpha on 10 Jan 2020 also deletes 5 attendance marks" in w for w in shown(at.warning)
    )
    at.checkbox(key="record_delete_1_None_sure").check().run()
    at.button(key="record_delete_1_None_go").click().run()
    assert not at.exception
    assert not at.error
    assert at.selectbox(key="record_meeting_1").value == 0  # back to "a new meeting"
    assert "10 Jan 2020 (held)" not in at.selectbox(key="record_meeting_1").options
    con = db.connect(small_path)
    assert con.execute("select count(*) from meetings where id = 1").fetchone() == (0,)
    assert con.execute("select count(*) from attendance where meeting_id = 1").fetchone() == (0,)


def test_the_date_filter_follows_the_study_when_its_first_or_last_meeting_moves(app: App, small_path: Path) -> None:
    at = app(small_path)
    assert at.session_state["flt_dates"] == (dt.date(2020, 1, 10), dt.date(2020, 3, 11))
    con = db.connect(small_path)  # an import adds a later meeting; a delete removes the first
    con.execute("insert into meetings (team_id, meeting_date, status) values (1, '2020-06-01', 'cancelled')")
    con.execute("delete from attendance where meeting_id = 1; delete from meeting_roles where meeting_id = 1")
    con.execute("delete from coded_segments where note_id in (1, 2); delete from field_notes where meeting_id = 1")
    con.execute("delete from meetings where id = 1")
    st.cache_data.clear()
    at.run()
    assert not at.exception
    # The whole study is still shown, not the old range cut short at March.
    assert at.session_state["flt_dates"] == (dt.date(2020, 1, 15), dt.date(2020, 6, 1))
    assert not set(at.query_params) & set(filters.FILTER_PARAMS)  # the URL says "all dates", as it did
