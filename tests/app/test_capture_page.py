"""Capture a meeting in AppTest: start a team's meeting, mark who is here, tap contributions, write
a quick note, undo, review the suggested levels and save; a stale save is refused; the meeting's
link resumes it, and a bad one says why it was ignored; a coach cannot open the page."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from observation import access, capture, db
from observation.ui import capturing, reviewing
from tests.app.conftest import APP

App = Callable[..., AppTest]
DAY = dt.date(2020, 3, 6)  # Alpha (team 1) has no meeting that day: starting makes one
ST1, SU1, CA1 = 1, 3, 4  # Alpha's A-ST1 (nurse), A-SU1 (service user), A-CA1 (carer)


def words(at: AppTest) -> str:
    return " ".join(m.value for m in at.markdown).replace("\\", "")


def started(app: App, small_path: Path, team: int = 1, day: dt.date = DAY) -> tuple[AppTest, int]:
    """The page, with the team's meeting of ``day`` (Alpha's of DAY) started by observer R01; its id."""
    at = app(small_path).switch_page("pages/capture.py").run()
    at.text_input(key=capturing.OBSERVER).input("R01").run()
    at.selectbox(key="capture_team").set_value(team).run()
    at.date_input(key="capture_day").set_value(day).run()
    at.button(key="capture_start").click().run()
    assert not at.exception
    return at, linked(at)


def timeline(at: AppTest) -> list[str]:
    """The meeting so far as the page shows it, one entry a line, most recent first."""
    (shown,) = [t.value for t in at.text if " min · " in t.value]
    return shown.splitlines()


def linked(at: AppTest) -> int:
    """The meeting the page's address names."""
    (given,) = at.query_params["meeting"]
    return int(given)


def rows(small_path: Path, sql: str, *params: object) -> list[tuple[object, ...]]:
    con = db.connect(small_path)
    try:
        return con.execute(sql, list(params)).fetchall()
    finally:
        con.close()


def test_a_meeting_is_started_marked_tapped_noted_and_undone(app: App, small_path: Path) -> None:
    at, meeting_id = started(app, small_path)
    assert rows(small_path, "select team_id, meeting_date, status from meetings where id = ?", meeting_id) == [
        (1, DAY, "held")
    ]
    assert "Tap each person under **Who is here**" in " ".join(c.value for c in at.caption)
    at.button(key=f"capture_here_{SU1}").click().run()
    at.button(key=f"capture_here_{ST1}").click().run()
    assert rows(small_path, "select participant_id, status from attendance where meeting_id = ? order by 1",
                meeting_id) == [(ST1, "present"), (SU1, "present")]  # fmt: skip
    assert "**Who is here** (2 of 5)" in words(at)
    at.button(key=f"capture_raised_item_{SU1}").click().run()
    assert "A-SU1 raised an agenda item at minute 0." in words(at)
    # Two taps of the same button are two contributions (someone may speak twice in a minute).
    at.button(key=f"capture_spoke_{ST1}").click().run()
    at.button(key=f"capture_spoke_{ST1}").click().run()
    assert sorted(rows(small_path, "select participant_id, kind from contributions where meeting_id = ?",
                       meeting_id)) == [(ST1, "spoke"), (ST1, "spoke"), (SU1, "raised_item")]  # fmt: skip
    at.text_input(key=capturing.NOTE).input("Waiting list raised by A-SU1")
    at.button(key="capture_note_save").click().run()
    assert "Note saved at minute 0." in words(at)
    assert at.text_input(key=capturing.NOTE).value == ""  # emptied, for the next note
    assert timeline(at) == [
        "0 min · Note: Waiting list raised by A-SU1 · R01",
        "0 min · A-ST1 (Nurse) · Spoke · R01",
        "0 min · A-ST1 (Nurse) · Spoke · R01",
        "0 min · A-SU1 (Service user) · Raised an agenda item · R01",
    ]
    at.button(key="capture_undo").click().run()
    assert "Undone: a note at minute 0." in words(at)
    assert rows(small_path, "select count(*) from field_notes where meeting_id = ?", meeting_id) == [(0,)]
    at.button(key="capture_undo").click().run()
    assert "Undone: A-ST1 spoke at minute 0." in words(at)
    assert len(timeline(at)) == 2
    assert not at.exception
    assert not at.error


def test_a_tap_sent_again_is_saved_once(app: App, small_path: Path) -> None:
    # A run interrupted after the write (another tap arriving at once) leaves the tap unacknowledged:
    # the next run sends it again, with its key, and the core writes it once.
    at, meeting_id = started(app, small_path)
    at.button(key=f"capture_here_{SU1}").click().run()
    at.button(key=f"capture_took_action_{SU1}").click().run()
    ((key,),) = rows(small_path, "select tap from capture_taps where meeting_id = ?", meeting_id)
    observer = at.text_input(key=capturing.OBSERVER).value
    at.session_state[capturing.TAPS] = [capturing.Tap(str(key), meeting_id, observer, SU1, "took_action")]
    at.run()
    assert rows(small_path, "select count(*) from contributions where meeting_id = ?", meeting_id) == [(1,)]
    assert at.session_state[capturing.TAPS] == []


def test_a_refused_note_is_given_back_to_its_box(app: App, small_path: Path) -> None:
    # The observer typed it as it happened: a refusal must not lose it.
    at, meeting_id = started(app, small_path)
    rows(small_path, "update meetings set status = 'postponed' where id = ?", meeting_id)  # on another device
    at.text_input(key=capturing.NOTE).input("A-SU1 asked who chairs next time")
    at.button(key="capture_note_save").click().run()
    (error,) = at.error
    assert error.value.replace("\\", "").startswith("Not saved: this meeting is now recorded as postponed")
    assert error.value.replace("\\", "").endswith("The note is back in its box.")
    assert at.text_input(key=capturing.NOTE).value == "A-SU1 asked who chairs next time"
    assert rows(small_path, "select count(*) from field_notes where meeting_id = ?", meeting_id) == [(0,)]
    assert not at.exception


def test_unmarking_someone_with_contributions_is_refused_in_words(app: App, small_path: Path) -> None:
    at, _ = started(app, small_path)
    at.button(key=f"capture_here_{SU1}").click().run()
    at.button(key=f"capture_spoke_{SU1}").click().run()
    at.button(key=f"capture_here_{SU1}").click().run()  # tapped again by mistake
    (error,) = at.error
    assert error.value.replace("\\", "").startswith("Not marked: A-SU1 has 1 contribution logged")
    assert not at.exception


def test_each_mark_is_confirmed_so_a_mistaken_tap_shows(app: App, small_path: Path) -> None:
    """The roster's taps are said on the confirmation line like every other tap: a tablet's
    mistaken tap that takes someone off shows at once, and says how to put it right."""
    at, _ = started(app, small_path)
    at.button(key=f"capture_here_{ST1}").click().run()
    assert "A-ST1 marked here." in words(at)
    at.button(key=f"capture_here_{ST1}").click().run()
    assert "A-ST1 marked not here (tap again to undo)." in words(at)


def open_review(at: AppTest) -> AppTest:
    return at.button(key="capture_finish").click().run()


def test_the_review_suggests_levels_and_the_save_records_the_meeting(app: App, small_path: Path) -> None:
    at, meeting_id = started(app, small_path)
    for person in (SU1, ST1):
        at.button(key=f"capture_here_{person}").click().run()
    for kind in ("raised_item", "took_action"):
        at.button(key=f"capture_{kind}_{SU1}").click().run()
    open_review(at)
    key = f"capture_review_{meeting_id}"
    assert at.selectbox(key=f"{key}_{SU1}_level").value == "co_leading"
    assert at.selectbox(key=f"{key}_{ST1}_level").value == "observing"
    captions = " ".join(c.value for c in at.caption).replace("\\", "")
    assert "Suggested for A-SU1: co-leading — raised an agenda item and took an action" in captions
    assert "Suggested for A-ST1: observing — present, nothing logged" in captions
    assert any("co-leading when they raised an agenda item" in i.value for i in at.info)  # the rule, beside
    at.segmented_control(key=f"{key}_{CA1}_status").set_value("apologies").run()
    at.selectbox(key=f"{key}_{ST1}_level").set_value("contributing").run()  # the observer's judgement
    at.number_input(key=f"{key}_minutes").set_value(55).run()
    at.button(key="capture_save").click().run()
    assert not at.error
    assert not at.exception
    assert [s.value for s in at.success] == [reviewing.SAVED_WORDS]
    # A-ST2 and A-OB1, never tapped nor chosen, are not expected (no row), as on the Record page.
    assert rows(small_path, "select participant_id, status, participation from attendance where meeting_id = ? "
                "order by 1", meeting_id) == [
        (ST1, "present", "contributing"), (SU1, "present", "co_leading"), (CA1, "apologies", None),
    ]  # fmt: skip
    assert rows(small_path, "select duration_minutes from meetings where id = ?", meeting_id) == [(55,)]
    at.button(key="capture_open_record").click().run()  # the meeting, open on the Record page
    assert at.selectbox(key="record_team").value == 1
    assert at.selectbox(key="record_meeting_1").value == meeting_id
    assert at.number_input(key=f"record_1_{meeting_id}_duration").value == 55


def test_a_level_saved_is_kept_when_the_review_opens_again(app: App, small_path: Path) -> None:
    # The observer's judgement is what counts: reopening the review must not put the suggestion
    # back in its place, or a second save would overwrite it unseen.
    at, meeting_id = started(app, small_path)
    at.button(key=f"capture_here_{SU1}").click().run()
    for kind in ("raised_item", "took_action"):
        at.button(key=f"capture_{kind}_{SU1}").click().run()
    open_review(at)
    level = f"capture_review_{meeting_id}_{SU1}_level"
    at.selectbox(key=level).set_value("contributing").run()
    at.button(key="capture_save").click().run()
    at.button(key="capture_back").click().run()
    open_review(at)
    assert at.selectbox(key=level).value == "contributing"
    captions = " ".join(c.value for c in at.caption).replace("\\", "")
    assert (
        "Suggested for A-SU1: co-leading — raised an agenda item and took an action "
        "(recorded before: contributing, kept unless you change it)"
    ) in captions
    at.button(key="capture_save").click().run()
    assert rows(small_path, "select participation from attendance where meeting_id = ? and participant_id = ?",
                meeting_id, SU1) == [("contributing",)]  # fmt: skip


def test_a_capture_of_a_meeting_recorded_already_keeps_its_levels(app: App, small_path: Path) -> None:
    # Alpha's meeting of 24 Jan 2020 was recorded on the Record page: A-ST1 and A-CA1 contributing,
    # A-SU1 co-leading, A-ST2 apologies. Captured, with nothing tapped, and saved: it stays so.
    before = "select participant_id, status, participation from attendance where meeting_id = 2 order by 1"
    recorded = rows(small_path, before)
    at, meeting_id = started(app, small_path, day=dt.date(2020, 1, 24))
    assert meeting_id == 2
    open_review(at)
    levels = {p: at.selectbox(key=f"capture_review_2_{p}_level").value for p in (ST1, SU1, CA1)}
    assert levels == {ST1: "contributing", SU1: "co_leading", CA1: "contributing"}
    at.button(key="capture_save").click().run()
    assert not at.error
    assert rows(small_path, before) == recorded


def test_the_team_s_people_not_tapped_are_not_expected_and_get_no_row(app: App, small_path: Path) -> None:
    # Beta's B-SU1 withdrew on 1 Mar 2020 and B-SU2 declined: a meeting after that must not count
    # them absent (a service user absent lowers the meeting's presence), nor anyone not tapped.
    at, meeting_id = started(app, small_path, team=2, day=dt.date(2020, 3, 25))
    at.button(key="capture_here_5").click().run()  # B-ST1
    open_review(at)
    for person in (6, 8):
        assert at.segmented_control(key=f"capture_review_{meeting_id}_{person}_status").value == "not expected"
    at.button(key="capture_save").click().run()
    assert not at.error
    assert rows(small_path, "select participant_id, status from attendance where meeting_id = ?", meeting_id) == [
        (5, "present")
    ]


def test_a_save_that_would_leave_contributions_of_someone_absent_is_refused_in_words(
    app: App, small_path: Path
) -> None:
    at, meeting_id = started(app, small_path)
    at.button(key=f"capture_here_{SU1}").click().run()
    at.button(key=f"capture_spoke_{SU1}").click().run()
    open_review(at)
    at.segmented_control(key=f"capture_review_{meeting_id}_{SU1}_status").set_value("absent").run()
    at.button(key="capture_save").click().run()
    assert not at.exception
    (error,) = at.error
    assert "A-SU1" in error.value.replace("\\", "")
    assert not at.success
    assert rows(small_path, "select status from attendance where meeting_id = ? and participant_id = ?",
                meeting_id, SU1) == [("present",)]  # fmt: skip


def test_a_save_after_someone_changed_the_register_is_refused(app: App, small_path: Path) -> None:
    at, meeting_id = started(app, small_path)
    at.button(key=f"capture_here_{SU1}").click().run()
    open_review(at)
    con = db.connect(small_path)  # another observer, on another device, marks a late arrival meanwhile
    try:
        with access.acting_as(access.Identity(email="R02", role="researcher")):
            capture.mark(con, meeting_id, ST1, True, observer="R02")
    finally:
        con.close()
    at.button(key="capture_save").click().run()
    (error,) = at.error
    assert "R02 saved this meeting at" in error.value.replace("\\", "")
    assert not at.success
    assert rows(small_path, "select participant_id, participation from attendance where meeting_id = ? order by 1",
                meeting_id) == [(ST1, None), (SU1, None)]  # fmt: skip
    at.button(key="capture_back").click().run()  # back, and the review again shows theirs
    open_review(at)
    assert at.segmented_control(key=f"capture_review_{meeting_id}_{ST1}_status").value == "present"
    at.button(key="capture_save").click().run()
    assert not at.error
    present = "select participant_id, participation from attendance where meeting_id = ? and status = 'present'"
    assert rows(small_path, f"{present} order by 1", meeting_id) == [(ST1, "observing"), (SU1, "observing")]


def test_the_meetings_link_resumes_it_where_it_was(app: App, small_path: Path) -> None:
    at, meeting_id = started(app, small_path)
    assert at.query_params["observer"] == "R01"  # the link is the observer's own
    at.button(key=f"capture_here_{SU1}").click().run()
    at.button(key=f"capture_challenged_{SU1}").click().run()
    again = app(small_path, meeting=str(meeting_id)).switch_page("pages/capture.py").run()
    assert linked(again) == meeting_id
    assert again.button(key=f"capture_spoke_{SU1}")  # A-SU1 is still here, with their row of buttons
    assert timeline(again) == ["0 min · A-SU1 (Service user) · Challenged or questioned · R01"]
    assert again.subheader[0].value == "Alpha, 06 Mar 2020"
    # A link without its observer: the meeting's only observer so far is offered.
    assert again.text_input(key=capturing.OBSERVER).value == "R01"


def test_each_observer_goes_on_as_themselves_from_their_own_link(app: App, small_path: Path) -> None:
    # Two observers of one meeting, on two devices, without sign-in: a page reopened must not take
    # on whoever tapped last, or its entries go under the other's name and Undo takes back theirs.
    at, meeting_id = started(app, small_path)
    at.button(key=f"capture_here_{SU1}").click().run()
    at.button(key=f"capture_spoke_{SU1}").click().run()
    second = app(small_path, meeting=str(meeting_id)).switch_page("pages/capture.py").run()
    second.text_input(key=capturing.OBSERVER).set_value("R02").run()  # offered R01, the only one so far
    assert second.query_params["observer"] == "R02"
    second.button(key=f"capture_challenged_{SU1}").click().run()
    first = app(small_path, meeting=str(meeting_id), observer="R01").switch_page("pages/capture.py").run()
    assert first.text_input(key=capturing.OBSERVER).value == "R01"
    first.button(key=f"capture_raised_item_{SU1}").click().run()
    first.button(key="capture_undo").click().run()  # R01's own last entry, not R02's later one
    assert "Undone: A-SU1 raised an agenda item at minute 0." in words(first)
    assert sorted(rows(small_path, "select kind, observer from contributions where meeting_id = ?", meeting_id)) == [
        ("challenged", "R02"), ("spoke", "R01")
    ]  # fmt: skip
    # Opened without an observer, now that there are two: asked, with nothing to tap until answered.
    third = app(small_path, meeting=str(meeting_id)).switch_page("pages/capture.py").run()
    assert third.text_input(key=capturing.OBSERVER).value == ""
    assert any(i.value.startswith("Type your observer code (such as R01)") for i in third.info)
    assert f"capture_spoke_{SU1}" not in [b.key for b in third.button]
    assert "observer" not in third.query_params
    assert not third.exception


def test_a_link_naming_a_bad_observer_says_so_and_asks(app: App, small_path: Path) -> None:
    at = app(small_path, observer="R" * 101).switch_page("pages/capture.py").run()
    (warning,) = at.warning
    assert warning.value.replace("\\", "") == (
        f"The link's observer={'R' * 60!r} was ignored: String should have at most 100 characters."
    )
    assert at.text_input(key=capturing.OBSERVER).value == ""
    at.selectbox(key="capture_team").set_value(1).run()
    at.button(key="capture_start").click().run()  # not without an observer
    assert [e.value for e in at.error] == ["Type your observer code first, above."]
    assert "meeting" not in at.query_params
    assert not at.exception


def test_signed_in_the_observer_is_the_email_whatever_the_link_says(
    monkeypatch: pytest.MonkeyPatch, small_path: Path
) -> None:
    from tests.app.test_access_app import AUTH

    con = db.connect(small_path)
    try:
        access.grant(con, "lead@example.org", "researcher")
        with access.acting_as(access.Identity(email="lead@example.org", role="researcher")):
            meeting_id = capture.start(con, 1, DAY).meeting_id
    finally:
        con.close()
    monkeypatch.setenv("OBSERVATION_DB", str(small_path))
    at = AppTest.from_file(str(Path(APP).parent / "pages" / "capture.py"), default_timeout=60)
    at.secrets["auth"] = AUTH
    at.user = {"is_logged_in": True, "email": "lead@example.org", "email_verified": True, "iat": time.time()}
    at.query_params["meeting"] = str(meeting_id)
    at.query_params["observer"] = "R09"
    at.run()
    assert "You observe as lead@example.org." in [c.value.replace("\u200b", "").replace("\\", "") for c in at.caption]
    assert capturing.OBSERVER not in [t.key for t in at.text_input]  # nothing to type: sign-in says who observes
    at.button(key=f"capture_here_{SU1}").click().run()
    at.button(key=f"capture_spoke_{SU1}").click().run()
    assert rows(small_path, "select observer from contributions where meeting_id = ?", meeting_id) == [
        ("lead@example.org",)
    ]


def test_a_team_s_meeting_being_captured_is_offered_to_resume(app: App, small_path: Path) -> None:
    at, meeting_id = started(app, small_path)
    at.button(key=f"capture_here_{SU1}").click().run()
    at.button(key="capture_leave").click().run()  # another meeting, then back to this one
    assert "meeting" not in at.query_params
    resume = at.button(key=f"capture_resume_{meeting_id}")
    assert resume.label == "Resume the meeting of 06 Mar 2020"
    resume.click().run()
    assert linked(at) == meeting_id
    assert at.button(key=f"capture_here_{SU1}").proto.type == "primary"  # still marked here


@pytest.mark.parametrize(
    ("given", "said"),
    [
        ("abc", "The link's meeting='abc' was ignored: a meeting is named by its number, such as meeting=12."),
        ("0", "The link's meeting='0' was ignored: a meeting is named by its number, such as meeting=12."),
        ("1", "The link's meeting=1 was ignored: no meeting 1 is being captured. Start it, or resume one, below."),
    ],
)
def test_a_link_naming_no_meeting_being_captured_says_so(app: App, small_path: Path, given: str, said: str) -> None:
    at = app(small_path, meeting=given).switch_page("pages/capture.py").run()
    assert [w.value.replace("\\", "") for w in at.warning] == [said]
    assert not at.exception
    assert not at.error
    assert at.button(key="capture_start")  # the page goes on, to start or resume one
    assert "meeting" not in at.query_params


def test_a_coach_cannot_open_the_page(monkeypatch: pytest.MonkeyPatch, small_path: Path) -> None:
    from tests.app.test_access_app import AUTH

    con = db.connect(small_path)
    access.grant(con, "coach@example.org", "coach", [1])
    con.close()
    monkeypatch.setenv("OBSERVATION_DB", str(small_path))
    # The page file run on its own, as a fresh server's first deep link runs it: app.py lists no
    # Capture page for a coach, and the page itself refuses too.
    at = AppTest.from_file(str(Path(APP).parent / "pages" / "capture.py"), default_timeout=60)
    at.secrets["auth"] = AUTH
    at.user = {"is_logged_in": True, "email": "coach@example.org", "email_verified": True, "iat": time.time()}
    at.query_params["meeting"] = "1"
    at.run()
    assert [e.value for e in at.error] == ["Page not found."]
    assert not at.button


def test_a_long_note_is_shown_whole_in_the_timeline(app: App, small_path: Path) -> None:
    """A note is never cut in the meeting so far: the observer reads back what was typed, every word."""
    at, _ = started(app, small_path)
    body = "The carer asked why the waiting-list item was moved again; " * 6 + "end of note."
    at.text_input(key=capturing.NOTE).input(body)
    at.button(key="capture_note_save").click().run()
    assert timeline(at) == [f"0 min · Note: {body.strip()} · R01"]
