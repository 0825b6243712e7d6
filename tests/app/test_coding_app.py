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


def table_key(at: AppTest, kind: str, doc: int) -> str:
    """The codings table's key as the page gives it now (a new one after each remove or change)."""
    round_ = at.session_state["coding_table_round"] if "coding_table_round" in at.session_state else 0  # noqa: SIM401
    return f"coding_table_{kind}_{doc}_{round_}"


def choose_row(at: AppTest, row: int, kind: str = "note", doc: int = 6) -> AppTest:
    at.session_state[table_key(at, kind, doc)] = {"selection": {"rows": [row], "columns": [], "cells": []}}
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
    # The title is the picker's, said once: not again as a caption.
    assert at.selectbox(key="coding_document").format_func("note:2").startswith("Alpha, 10/01/2020 — note 2 (OB-01)")
    assert not [c for c in said(at.caption) if "note 2 (OB-01)" in c]
    listed = at.dataframe(key=table_key(at, "note", 2)).value
    mine = rows(study, "select count(*) from coded_segments where note_id = 2 and coder = 'R01'")[0][0]
    assert len(listed) == mine  # only the coder's own, by default
    # A code's own name in its own column (never cut off by its parents'), then where it sits, in words.
    assert list(listed["code"]) == ['Finding the "right" service user']
    assert list(listed["under"]) == ["Recruitment tension"]
    assert at.subheader[0].value == f"Your codings of this field note ({mine})"
    assert raw_values(at) == []
    assert at.query_params["note"] == "2"


def test_a_passage_chosen_and_coded_is_saved_and_the_notes_page_counts_it_at_once(app: App, study: Path) -> None:
    before = notes_count(app, study, 5)
    at = coding_page(app, study, note="2")
    assert at.button(key="coding_save").disabled  # nothing chosen yet
    start = NOTE_2.index("Someone")
    at = select(at, "coding_passage_note_2_0", NOTE_2, start, len(NOTE_2))
    # The widget quotes the passage; the page gives only where it is (said once).
    assert f"The chosen passage: characters {start} to {len(NOTE_2)} of {len(NOTE_2)}." in said(at.caption)
    assert not [m for m in said(at.markdown) if "Someone who sees" in m]
    at.multiselect(key="coding_codes_note_2").set_value([5]).run()
    assert not at.button(key="coding_save").disabled
    at.button(key="coding_save").click().run()
    assert not at.exception
    assert [s.value for s in at.success] == ["Coded with 1 code\\."]
    # Said just below Save (where the user is), not at the top of the page.
    order = [getattr(e, "key", None) or type(e).__name__ for e in at.main]
    assert order.index("Success") == order.index("coding_save") + 1, order
    assert at.multiselect(key="coding_codes_note_2").value == []  # empty again, for the next passage
    assert not [c for c in said(at.caption) if c.startswith("The chosen passage")]  # and no passage chosen
    assert rows(study, "select code_id, coder, span_start, span_end from coded_segments where note_id = 2 "
                "and code_id = 5") == [(5, "R01", start, len(NOTE_2))]  # fmt: skip
    after = notes_count(app, study, 5)
    (n,) = rows(study, "select count(distinct note_id) - 1 from coded_segments where code_id = 5")[0]
    assert before.startswith(f"{n} note")
    assert after.startswith(f"{n + 1} notes")
    # Saving the same again adds nothing and says so (the passage chosen again: a save lets go of it).
    at = select(at, "coding_passage_note_2_1", NOTE_2, start, len(NOTE_2))
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
    assert said(at.success) == ["Memo saved."]
    assert at.text_area(key=f"coding_memo_{first}").value == "Read as a cancellation, not absence."
    assert not [c for c in said(at.caption) if "Memo by" in c]  # the coder's own memo is in its box, not said again
    choose_row(at, 1)
    at.button(key=f"coding_remove_{second}").click().run()
    assert [s.value for s in at.success] == ["Removed the coding Service\\-user voice\\."]
    assert rows(study, "select id from coded_segments where note_id = 6") == [(first,)]
    # The choice is let go of: no coding is open, so the next one's Remove is not under the pointer.
    assert not [b for b in at.button if b.key and b.key.startswith("coding_remove_")]
    choose_row(at, 0)
    at.selectbox(key=f"coding_recode_{first}").set_value(5).run()
    at.button(key=f"coding_change_{first}").click().run()
    assert rows(study, "select code_id from coded_segments where id = ?", [first]) == [(5,)]
    assert not [b for b in at.button if b.key and b.key.startswith("coding_remove_")]
    assert raw_values(at) == []


def test_a_new_coder_is_checked_before_anything_can_be_saved(app: App, study: Path) -> None:
    at = coding_page(app, study, note="6")
    at.selectbox(key="coding_coder").set_value("A new coder…").run()
    at.text_input(key="coding_new_coder").input("R\t7").run()
    assert any("must be one line" in e for e in said(at.error)), said(at.error)
    at.multiselect(key="coding_codes_note_6").set_value([4]).run()
    at.toggle(key="coding_whole_note_6").set_value(True).run()
    assert at.button(key="coding_save").disabled
    at.text_input(key="coding_new_coder").input("Ana Ruiz").run()  # a coder as an import names one
    assert not at.error
    at.button(key="coding_save").click().run()
    assert rows(study, "select coder from coded_segments where note_id = 6") == [("Ana Ruiz",)]


def test_a_note_is_found_by_its_words_and_a_bad_link_is_ignored_with_a_notice(app: App, study: Path) -> None:
    at = coding_page(app, study, q="unwell")
    options = at.selectbox(key="coding_document").options
    assert len(options) == 1
    assert options[0].startswith("Beta, 15/01/2020 — note 1 (OB-01)")
    for bad, words in (
        ({"interview": "abc"}, "There is no interview transcript abc in this study: choose another. The link's "
         "interview=abc was ignored."),
        ({"note": "2", "interview": "3"}, "The link names a note and an interview: choose one."),
        ({"note": "-4"}, "There is no field note -4 in this study"),
    ):  # fmt: skip
        at = coding_page(app, study, **bad)
        assert not at.exception
        assert any(words in w for w in said(at.warning)), (bad, said(at.warning))
        assert at.selectbox(key="coding_document").value is None
    gone = coding_page(app, study, note="999999")  # never in the study: not said to be deleted
    assert said(gone.warning) == ["There is no field note 999999 in this study: choose another."]


def test_an_interview_transcript_is_coded_from_its_link(app: App, study: Path) -> None:
    con = db.connect(study)
    with db.transaction(con) as cur:
        cur.execute("insert into interviews values (4, 'KI-04', 'frontline_staff', 1, '2020-02-10', "
                    "'We run the meeting on the ward at handover.')")  # fmt: skip
    con.close()
    at = coding_page(app, study, interview="4")
    assert at.selectbox(key="coding_document").value == "interview:4"
    assert (
        at.selectbox(key="coding_document")
        .format_func("interview:4")
        .startswith("Interview KI-04, front-line staff, 10/02/2020")
    )
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


def test_the_codes_box_never_offers_select_all(app: App, study: Path) -> None:
    at = coding_page(app, study, note="6")
    box = at.multiselect(key="coding_codes_note_6")
    assert box.proto.select_all == 0  # Enter adds the one code highlighted, never "Select all" or "Select N matches"


def test_other_coders_codings_are_hidden_until_asked_and_then_read_only(app: App, study: Path) -> None:
    at = coding_page(app, study, note="2")  # R01 chosen; R02 coded this note twice
    assert len(at.dataframe) == 1
    at.toggle(key="coding_others").set_value(True).run()
    theirs = rows(study, "select count(*) from coded_segments where note_id = 2 and coder <> 'R01'")[0][0]
    assert [s.value for s in at.subheader if "coders'" in s.value] == [f"Other coders' codings ({theirs})"]
    (table,) = [d for d in at.dataframe if d.key is None or not d.key.startswith("coding_table_")]
    assert set(table.value["coder"]) == {"R02"}
    assert not table.proto.selection_mode  # read-only: no row can be chosen
    alone = coding_page(app, study, note="6")  # a note nobody else coded: the switch says so
    alone.toggle(key="coding_others").set_value(True).run()
    assert "No other coder has coded this field note." in said(alone.caption)


def test_each_control_has_its_own_name(app: App, study: Path) -> None:
    at = coding_page(app, study, note="6")
    at.multiselect(key="coding_codes_note_6").set_value([4]).run()
    at.toggle(key="coding_whole_note_6").set_value(True).run()
    at.button(key="coding_save").click().run()
    choose_row(at, 0)
    at.selectbox(key="coding_memo_code").set_value(4).run()
    labels = [w.label for w in [*at.selectbox, *at.text_area, *at.multiselect, *at.toggle, *at.text_input]]
    assert len(labels) == len(set(labels)), labels
    assert not [w.help for w in at.text_area if w.help]  # no help button named like its box
