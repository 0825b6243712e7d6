"""The Coding page (pages/coding.py) run headless: a note opened from a link, a passage chosen,
codes given and saved, the counts of the Notes page moving at once, codings removed and given
memos, the coder chosen in local mode, and links that name nothing."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from observation import db
from observation.ui.passage import text_digest
from tests.app.test_words_not_codes import raw_values
from tests.small_study import build_small_study

App = Callable[..., AppTest]
NOTE_2 = "Who should we invite next? Someone who sees the bigger picture."


@pytest.fixture
def study(tmp_path: Path) -> Path:
    path = tmp_path / "study.duckdb"
    build_small_study(path)
    return path


def rows(path: Path, sql: str, params: list[object] | None = None) -> list[tuple[object, ...]]:
    """Read the study as it is now (the app's own connection is open in this process: one like it)."""
    con = db.connect(path)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


def coding_page(app: App, study: Path, **params: str) -> AppTest:
    at = app(study, **params)
    return at.switch_page("pages/coding.py").run()


def select(at: AppTest, key: str, text: str, start: int, end: int, seq: int = 1) -> AppTest:
    """What the passage widget sends when a passage is selected (its offsets in UTF-16 units)."""
    at.session_state[key] = {"selection": {"digest": text_digest(text), "start": start, "end": end, "seq": seq}}
    return at.run()


def choose_row(at: AppTest, row: int) -> AppTest:
    at.session_state["coding_table"] = {"selection": {"rows": [row], "columns": [], "cells": []}}
    return at.run()


def said(elements: object) -> list[str]:
    """What elements show, without the backslashes that keep study text from reading as Markdown."""
    return [str(e.value).replace("\\", "") for e in elements]  # type: ignore[attr-defined]


def notes_count(app: App, study: Path, code_id: int) -> str:
    """What the Notes page says it finds for a code: its search's first line."""
    at = app(study, codes=str(code_id), source="notes")
    at.switch_page("pages/notes.py").run()
    assert not at.exception
    return str(at.subheader[0].value)


def test_a_note_from_a_link_is_shown_with_its_codings_in_words(app: App, study: Path) -> None:
    at = coding_page(app, study, note="2")
    assert not at.exception, [e.value for e in at.exception]
    assert at.title[0].value == "Code notes and transcripts"
    assert at.selectbox(key="coding_document").value == "note:2"
    assert "Alpha, 10/01/2020 — note 2 \\(OB\\-01\\)" in [c.value for c in at.caption]
    listed = at.dataframe(key="coding_table").value
    codings = rows(study, "select count(*) from coded_segments where note_id = 2")[0][0]
    assert len(listed) == codings
    assert all(code.startswith("Recruitment tension › ") for code in listed["code"])  # a code's path, in words
    assert at.subheader[0].value == f"Codings of this field note ({codings})"
    assert raw_values(at) == []
    assert at.query_params["note"] == "2"


def test_a_passage_chosen_and_coded_is_saved_and_the_notes_page_counts_it_at_once(app: App, study: Path) -> None:
    before = notes_count(app, study, 5)
    at = coding_page(app, study, note="2")
    assert at.button(key="coding_save").disabled  # nothing chosen yet
    start = NOTE_2.index("Someone")
    at = select(at, "coding_passage_note_2", NOTE_2, start, len(NOTE_2))
    assert "> “Someone who sees the bigger picture.”" in said(at.markdown)
    at.multiselect(key="coding_codes_note_2").set_value([5]).run()
    assert not at.button(key="coding_save").disabled
    at.button(key="coding_save").click().run()
    assert not at.exception
    assert [s.value for s in at.success] == ["Coded with 1 code\\."]
    assert at.multiselect(key="coding_codes_note_2").value == []  # empty again, for the next passage
    assert rows(study, "select code_id, coder, span_start, span_end from coded_segments where note_id = 2 "
                "and code_id = 5") == [(5, "R01", start, len(NOTE_2))]  # fmt: skip
    after = notes_count(app, study, 5)
    (n,) = rows(study, "select count(distinct note_id) - 1 from coded_segments where code_id = 5")[0]
    assert before.startswith(f"{n} note")
    assert after.startswith(f"{n + 1} notes")
    # Saving the same again adds nothing and says so.
    at.multiselect(key="coding_codes_note_2").set_value([5]).run()
    at.button(key="coding_save").click().run()
    assert "you had already coded this passage" in " ".join(s.value for s in at.success)


def test_the_whole_note_is_coded_and_a_coding_removed_and_given_a_memo(app: App, study: Path) -> None:
    at = coding_page(app, study, note="6")
    at.multiselect(key="coding_codes_note_6").set_value([4, 6]).run()
    at.toggle(key="coding_whole_note_6").set_value(True).run()
    at.button(key="coding_save").click().run()
    assert rows(study, "select code_id, span_start from coded_segments where note_id = 6 order by code_id") == [
        (4, None), (6, None)]  # fmt: skip
    (first, second) = (i for (i,) in rows(study, "select id from coded_segments where note_id = 6 order by code_id"))
    choose_row(at, 0)
    at.text_area(key=f"coding_memo_{first}").input("Read as a cancellation, not absence.").run()
    at.button(key=f"coding_memo_{first}_save").click().run()
    assert rows(study, "select coding_id, author, body from memos") == [
        (first, "R01", "Read as a cancellation, not absence.")]  # fmt: skip
    assert "Memo by R01: Read as a cancellation, not absence." in said(at.caption)
    choose_row(at, 1)
    at.button(key=f"coding_remove_{second}").click().run()
    assert [s.value for s in at.success] == ["Removed the coding Service\\-user voice\\."]
    assert rows(study, "select id from coded_segments where note_id = 6") == [(first,)]
    choose_row(at, 0)
    at.selectbox(key=f"coding_recode_{first}").set_value(5).run()
    at.button(key=f"coding_change_{first}").click().run()
    assert rows(study, "select code_id from coded_segments where id = ?", [first]) == [(5,)]
    assert raw_values(at) == []


def test_a_new_coder_is_checked_before_anything_can_be_saved(app: App, study: Path) -> None:
    at = coding_page(app, study, note="6")
    at.selectbox(key="coding_coder").set_value("A new coder…").run()
    at.text_input(key="coding_new_coder").input("R 7").run()
    assert any("use letters, digits and '-' only" in e for e in said(at.error)), said(at.error)
    at.multiselect(key="coding_codes_note_6").set_value([4]).run()
    at.toggle(key="coding_whole_note_6").set_value(True).run()
    assert at.button(key="coding_save").disabled
    at.text_input(key="coding_new_coder").input("R-07").run()
    assert not at.error
    at.button(key="coding_save").click().run()
    assert rows(study, "select coder from coded_segments where note_id = 6") == [("R-07",)]


def test_a_note_is_found_by_its_words_and_a_bad_link_is_ignored_with_a_notice(app: App, study: Path) -> None:
    at = coding_page(app, study, q="unwell")
    options = at.selectbox(key="coding_document").options
    assert len(options) == 1
    assert options[0].startswith("Beta, 15/01/2020 — note 1 (OB-01)")
    for bad in ({"note": "abc"}, {"note": "2", "interview": "3"}, {"note": "-4"}):
        at = coding_page(app, study, **bad)
        assert not at.exception
        assert any("Ignored" in w.value for w in at.warning), bad
        assert at.selectbox(key="coding_document").value is None
    gone = coding_page(app, study, note="999")
    assert any("no longer in the study" in w.value for w in gone.warning)


def test_an_interview_transcript_is_coded_from_its_link(app: App, study: Path) -> None:
    con = db.connect(study)
    with db.transaction(con) as cur:
        cur.execute("insert into interviews values (4, 'KI-04', 'frontline_staff', 1, '2020-02-10', "
                    "'We run the meeting on the ward at handover.')")  # fmt: skip
    con.close()
    at = coding_page(app, study, interview="4")
    assert at.selectbox(key="coding_document").value == "interview:4"
    assert "Interview KI\\-04, front\\-line staff, 10/02/2020" in [c.value for c in at.caption]
    at.multiselect(key="coding_codes_interview_4").set_value([6]).run()
    at.toggle(key="coding_whole_interview_4").set_value(True).run()
    at.button(key="coding_save").click().run()
    assert said(at.success) == ["Coded with 1 code."], said(at.error)
    assert rows(study, "select code_id from coded_segments where interview_id = 4") == [(6,)]


def test_presenter_mode_never_lists_the_page_and_a_link_to_it_shows_no_note(app: App, study: Path) -> None:
    at = app(study, mode="present")
    assert not at.exception
    at = at.switch_page("pages/coding.py").run()
    shown = " ".join(said([*at.markdown, *at.caption, *at.info, *at.warning, *at.error]))
    assert NOTE_2 not in shown
    assert not at.dataframe
    assert "presenter mode" in shown.lower()


def test_signed_in_the_coder_is_the_persons_email(monkeypatch: pytest.MonkeyPatch, study: Path) -> None:
    import time

    from observation import access
    from tests.app.conftest import APP
    from tests.app.test_access_app import AUTH

    con = db.connect(study)
    with access.acting_as(access.local_researcher()):
        access.grant(con, "lead@example.org", "researcher")
    con.close()
    monkeypatch.setenv("OBSERVATION_DB", str(study))
    at = AppTest.from_file(APP, default_timeout=60)
    at.secrets["auth"] = AUTH
    at.user = {"is_logged_in": True, "email": "lead@example.org", "email_verified": True, "iat": time.time()}
    at.query_params["note"] = "6"
    at.run()
    at = at.switch_page("pages/coding.py").run()
    assert not at.exception
    assert "You code as lead@\u200bexample.org." in said(at.caption)  # an address shown is never a live link
    assert not [s for s in at.selectbox if s.label == "Coder"]
    at.multiselect(key="coding_codes_note_6").set_value([4]).run()
    at.toggle(key="coding_whole_note_6").set_value(True).run()
    at.button(key="coding_save").click().run()
    assert rows(study, "select coder from coded_segments where note_id = 6") == [("lead@example.org",)]
