"""Capturing a meeting live (observation/capture.py): one clock per meeting shared by its
observers, who is present, contributions and notes tapped once however often a tap is sent, an
observer's own undo, the levels suggested for the review, and the review's save through the Record
page's, which keeps the contributions."""

from __future__ import annotations

import datetime as dt
from collections import Counter

import duckdb
import pytest

from observation import access, audit, capture, curate, db, integrity, record
from observation.errors import ObservationError

pytestmark = pytest.mark.both_backends  # storage, import, export, audit and access: on both backends

ALPHA, BETA = 1, 2
ST1, ST2, SU1, CA1, OB1, B_ST1 = 1, 2, 3, 4, 7, 5
DAY = dt.date(2020, 4, 1)  # no meeting of Alpha's yet
T0 = dt.datetime(2020, 4, 1, 9, 30, tzinfo=dt.UTC)


def at(minutes: float) -> dt.datetime:
    return T0 + dt.timedelta(minutes=minutes)


def everything(con: duckdb.DuckDBPyConnection) -> dict[str, list[tuple[object, ...]]]:
    """Every row of the tables capture writes, and the audit trail."""
    tables = ("meetings", "participants", "attendance", "contributions", "field_notes", "capture_clocks",
              "capture_taps", "meeting_versions", "audit")  # fmt: skip
    with db.cursor(con) as cur:
        return {t: sorted(cur.execute(f"select * from {t}").fetchall(), key=repr) for t in tables}


def started(con: duckdb.DuckDBPyConnection, *present: int, observer: str = "OB-A") -> capture.Live:
    live = capture.start(con, ALPHA, DAY, observer=observer, now=T0)
    for person in present:
        capture.mark(con, live.meeting_id, person, True, observer=observer)
    return live


# --- the clock ------------------------------------------------------------------------------------


def test_starting_a_new_day_records_a_held_meeting_and_starts_its_clock_once(small: duckdb.DuckDBPyConnection) -> None:
    live = capture.start(small, ALPHA, DAY, observer="OB-A", now=T0)
    assert (live.team_id, live.team_name, live.meeting_date, live.started_at) == (ALPHA, "Alpha", DAY, T0)
    assert small.execute(
        "select team_id, meeting_date, status, format from meetings where id = ?", [live.meeting_id]
    ).fetchone() == (ALPHA, DAY, "held", "service_base")
    assert record.version(small, live.meeting_id) == 1
    before = everything(small)
    # A second observer, later, and the same page opened again: the same clock, nothing written.
    assert capture.start(small, ALPHA, DAY, observer="OB-B", now=at(12)) == live
    assert capture.resume(small, live.meeting_id) == live
    assert everything(small) == before
    assert capture.live_meetings(small, ALPHA) == (live,)
    assert capture.live_meetings(small, BETA) == ()
    assert capture.resume(small, 1) is None  # a meeting never captured
    trail = small.execute("select actor, action, table_name from audit order by id").fetchall()
    assert trail[-2:] == [("OB-A", "create", "meetings"), ("OB-A", "create", "capture_clocks")]


def test_starting_a_day_with_a_meeting_held_captures_that_meeting(small: duckdb.DuckDBPyConnection) -> None:
    live = capture.start(small, ALPHA, dt.date(2020, 2, 21), observer="OB-A", now=T0)
    assert live.meeting_id == 4
    later = capture.start(small, ALPHA, dt.date(2020, 4, 20), observer="OB-A", now=at(60 * 24 * 19))
    assert capture.live_meetings(small, ALPHA) == (later, live)  # latest first


@pytest.mark.parametrize(("team", "day", "words"), [(ALPHA, dt.date(2020, 2, 7), "cancelled"),
                                                    (BETA, dt.date(2020, 2, 26), "postponed")])  # fmt: skip
def test_a_day_whose_meeting_was_called_off_is_refused_and_nothing_written(
    small: duckdb.DuckDBPyConnection, team: int, day: dt.date, words: str
) -> None:
    before = everything(small)
    with pytest.raises(ObservationError, match=f"recorded as {words}: if it is taking place after all"):
        capture.start(small, team, day, observer="OB-A", now=T0)
    assert everything(small) == before


def test_the_minute_is_whole_minutes_since_the_clock_started_within_eight_hours() -> None:
    live = capture.Live(1, 1, "Alpha", DAY, T0)
    assert [live.minute(at(m)) for m in (0, 0.99, 1, 59.5, 480, 481, 10_000, -5)] == [0, 0, 1, 59, 480, 480, 480, 0]
    assert live.minute(at(7).replace(tzinfo=None)) == 7  # a time without a zone is UTC
    assert live.minute(at(7).astimezone(dt.timezone(dt.timedelta(hours=2)))) == 7


# --- who is there ---------------------------------------------------------------------------------


def test_the_roster_lists_lived_experience_first_then_by_code_with_marks_and_counts(
    small: duckdb.DuckDBPyConnection,
) -> None:
    live = started(small, SU1, ST1)
    capture.contribute(small, live.meeting_id, SU1, "spoke", "t1", observer="OB-A", now=at(2))
    capture.contribute(small, live.meeting_id, SU1, "spoke", "t2", observer="OB-A", now=at(2))
    people = capture.roster(small, live.meeting_id)
    assert [(p.code, p.role_label, p.lived_experience, p.present, p.contributions) for p in people] == [
        ("A-CA1", "Carer", True, False, 0),
        ("A-SU1", "Service user", True, True, 2),
        ("A-OB1", "Observer", False, False, 0),
        ("A-ST1", "Nurse", False, True, 0),
        ("A-ST2", "Therapist", False, False, 0),
    ]
    assert (people[1].participant_id, people[1].role) == (SU1, "service_user")


def test_marking_present_and_back_changes_the_register_and_moves_the_version_on(
    small: duckdb.DuckDBPyConnection,
) -> None:
    live = started(small)
    meeting = live.meeting_id
    mark = "select status, participation from attendance where meeting_id = ? and participant_id = ?"
    capture.mark(small, meeting, SU1, True, observer="OB-A")
    assert small.execute(mark, [meeting, SU1]).fetchone() == ("present", None)
    assert record.version(small, meeting) == 2
    before = everything(small)
    capture.mark(small, meeting, SU1, True, observer="OB-B")  # already present: nothing written
    capture.mark(small, meeting, CA1, False, observer="OB-B")  # never marked: nothing to take away
    assert everything(small) == before
    capture.mark(small, meeting, SU1, False, observer="OB-A")
    assert small.execute(mark, [meeting, SU1]).fetchone() is None
    assert record.version(small, meeting) == 3
    changes = small.execute(
        "select before, after from audit where table_name = 'attendance' and actor = 'OB-A' order by id"
    ).fetchall()
    assert [tuple(map(bool, c)) for c in changes] == [(False, True), (True, False)]


def test_marking_present_keeps_a_level_already_recorded_and_turns_apologies_into_presence(
    small: duckdb.DuckDBPyConnection,
) -> None:
    capture.start(small, ALPHA, dt.date(2020, 2, 21), observer="OB-A", now=T0)  # m4: ST1 contributing, SU1 apologies
    capture.mark(small, 4, ST1, True, observer="OB-A")
    capture.mark(small, 4, SU1, True, observer="OB-A")
    rows = small.execute(
        "select participant_id, status, participation from attendance where meeting_id = 4 order by 1"
    ).fetchall()
    assert rows == [(ST1, "present", "contributing"), (ST2, "present", "contributing"), (SU1, "present", None)]


def test_someone_with_contributions_stays_present(small: duckdb.DuckDBPyConnection) -> None:
    live = started(small, SU1)
    capture.contribute(small, live.meeting_id, SU1, "spoke", "t1", observer="OB-A", now=at(1))
    before = everything(small)
    with pytest.raises(ObservationError, match="A-SU1 has 1 contribution logged at this meeting, so stays"):
        capture.mark(small, live.meeting_id, SU1, False, observer="OB-A")
    assert everything(small) == before


def test_someone_of_another_team_is_not_marked(small: duckdb.DuckDBPyConnection) -> None:
    live = started(small)
    with pytest.raises(ObservationError, match="B-ST1 is not in this meeting's team"):
        capture.mark(small, live.meeting_id, B_ST1, True, observer="OB-A")


def test_a_newcomer_joins_the_team_marked_present(small: duckdb.DuckDBPyConnection) -> None:
    live = started(small)
    person = capture.add_newcomer(small, live.meeting_id, " SU-07 ", "service_user", observer="OB-A")
    assert small.execute("select code, team_id, role from participants where id = ?", [person]).fetchone() == (
        "SU-07", ALPHA, "service_user",
    )  # fmt: skip
    assert [(p.code, p.present) for p in capture.roster(small, live.meeting_id)][:3] == [
        ("A-CA1", False), ("A-SU1", False), ("SU-07", True),
    ]  # fmt: skip
    assert record.version(small, live.meeting_id) == 2
    before = everything(small)
    with pytest.raises(ObservationError, match=r"B-ST1 is already a participant \(in Beta\)"):
        capture.add_newcomer(small, live.meeting_id, "B-ST1", "nurse", observer="OB-A")
    with pytest.raises(ObservationError, match="'Jane Doe' is not a participant code"):
        capture.add_newcomer(small, live.meeting_id, "Jane Doe", "carer", observer="OB-A")
    with pytest.raises(ObservationError, match="'chair' is not a role: choose one of Service user, Carer"):
        capture.add_newcomer(small, live.meeting_id, "SU-08", "chair", observer="OB-A")
    assert everything(small) == before


# --- taps -----------------------------------------------------------------------------------------


def test_a_contribution_is_stamped_with_the_clocks_minute_and_its_observer(small: duckdb.DuckDBPyConnection) -> None:
    live = started(small, SU1)
    entry = capture.contribute(small, live.meeting_id, SU1, "raised_item", "a1b2", observer="OB-A", now=at(17.8))
    assert (entry.kind, entry.minute, entry.observer, entry.recorded_at) == ("contribution", 17, "OB-A", at(17.8))
    assert (entry.participant_code, entry.role_label, entry.lived_experience) == ("A-SU1", "Service user", True)
    assert (entry.contribution, entry.body) == ("raised_item", None)
    stored = small.execute("select meeting_id, participant_id, kind, minute, observer, recorded_at from contributions")
    assert stored.fetchall() == [(live.meeting_id, SU1, "raised_item", 17, "OB-A", at(17.8).replace(tzinfo=None))]
    assert small.execute("select actor, action, row_key from audit where table_name = 'contributions'").fetchall() == [
        ("OB-A", "create", f"id={entry.ident}")
    ]


def test_a_tap_sent_twice_writes_once(small: duckdb.DuckDBPyConnection) -> None:
    live = started(small, SU1)
    first = capture.contribute(small, live.meeting_id, SU1, "spoke", "tap-1", observer="OB-A", now=at(3))
    before = everything(small)
    again = capture.contribute(small, live.meeting_id, SU1, "spoke", "tap-1", observer="OB-A", now=at(4))
    assert again == first
    assert everything(small) == before
    # Two taps of the same kind in the same minute are two contributions.
    capture.contribute(small, live.meeting_id, SU1, "spoke", "tap-2", observer="OB-A", now=at(3))
    assert small.execute("select count(*) from contributions where minute = 3").fetchone() == (2,)
    note = capture.note(small, live.meeting_id, "Chair asked A-SU1 first.", "tap-3", observer="OB-A", now=at(5))
    assert capture.note(small, live.meeting_id, "Chair asked A-SU1 first.", "tap-3", observer="OB-A") == note
    assert small.execute("select count(*) from field_notes where meeting_id = ?", [live.meeting_id]).fetchone() == (1,)
    with pytest.raises(ObservationError, match="already used for another entry"):
        capture.contribute(small, live.meeting_id, SU1, "spoke", "tap-3", observer="OB-A")


@pytest.mark.parametrize(
    ("why", "call", "words"),
    [
        ("not present", lambda con, m: capture.contribute(con, m, CA1, "spoke", "x1", "OB-A", at(1)),
         "A-CA1 is not marked present: mark them present first"),
        ("not a kind", lambda con, m: capture.contribute(con, m, SU1, "shouted", "x1", "OB-A", at(1)),
         "'shouted' is not a kind of contribution"),
        ("no key", lambda con, m: capture.contribute(con, m, SU1, "spoke", "", "OB-A", at(1)),
         "the tap came without its key"),
        ("an empty note", lambda con, m: capture.note(con, m, "   ", "x1", "OB-A", at(1)), "The note:"),
        ("no observer", lambda con, m: capture.contribute(con, m, SU1, "spoke", "x1", " ", at(1)), "Observer"),
        ("a clock never started", lambda con, m: capture.contribute(con, 1, ST1, "spoke", "x1", "OB-A", at(1)),
         "this meeting's capture has not started"),
        ("a meeting gone", lambda con, m: capture.note(con, 999, "Text.", "x1", "OB-A", at(1)),
         "meeting 999 no longer exists"),
        # A note's tap goes through the same steps as a contribution's, and is refused alike.
        ("a note without its key", lambda con, m: capture.note(con, m, "Text.", "", "OB-A", at(1)),
         "the tap came without its key"),
        ("a note without an observer", lambda con, m: capture.note(con, m, "Text.", "x1", " ", at(1)), "Observer"),
        ("a note before the clock", lambda con, m: capture.note(con, 1, "Text.", "x1", "OB-A", at(1)),
         "this meeting's capture has not started"),
        ("a contribution to a meeting gone", lambda con, m: capture.contribute(con, 999, SU1, "spoke", "x1", "OB-A"),
         "meeting 999 no longer exists"),
        ("a meeting called off", lambda con, m: capture.note(con, 3, "Text.", "x1", "OB-A", at(1)),
         "this meeting is now recorded as cancelled"),
    ],
)  # fmt: skip
def test_a_refused_tap_writes_nothing(small: duckdb.DuckDBPyConnection, why: str, call: object, words: str) -> None:
    live = started(small, SU1)
    before = everything(small)
    with pytest.raises(ObservationError, match=words):
        call(small, live.meeting_id)  # type: ignore[operator]
    assert everything(small) == before


def test_a_write_that_fails_midway_changes_nothing(
    small: duckdb.DuckDBPyConnection, monkeypatch: pytest.MonkeyPatch
) -> None:
    live = started(small, SU1)
    before = everything(small)

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("the disk is full")

    monkeypatch.setattr(audit, "record", broken)  # after the contribution, or the note, was written
    with pytest.raises(RuntimeError):
        capture.contribute(small, live.meeting_id, SU1, "spoke", "t1", observer="OB-A", now=at(1))
    with pytest.raises(RuntimeError):
        capture.note(small, live.meeting_id, "A note.", "t2", observer="OB-A", now=at(1))
    monkeypatch.undo()
    monkeypatch.setattr(capture, "_entry", broken)  # the last step: after the row, its audit and its tap
    with pytest.raises(RuntimeError):
        capture.contribute(small, live.meeting_id, SU1, "spoke", "t1", observer="OB-A", now=at(1))
    with pytest.raises(RuntimeError):
        capture.note(small, live.meeting_id, "A note.", "t2", observer="OB-A", now=at(1))
    monkeypatch.undo()
    assert everything(small) == before
    capture.contribute(small, live.meeting_id, SU1, "spoke", "t1", observer="OB-A", now=at(1))  # the retry goes in


def test_a_note_goes_after_the_meetings_last_stamped_and_signed(small: duckdb.DuckDBPyConnection) -> None:
    live = capture.start(small, ALPHA, dt.date(2020, 2, 21), observer="OB-A", now=T0)  # m4 has note 1
    entry = capture.note(small, 4, "  The chair was empty again.  ", "n1", observer="OB-A", now=at(22.5))
    assert (entry.kind, entry.minute, entry.observer, entry.body, entry.recorded_at) == (
        "note", 22, "OB-A", "The chair was empty again.", at(22.5),
    )  # fmt: skip
    assert small.execute(
        "select position, minute, author, written_at, body from field_notes where id = ?", [entry.ident]
    ).fetchone() == (2, 22, "OB-A", at(22.5).replace(tzinfo=None), "The chair was empty again.")
    assert live.meeting_id == 4


# --- two observers, and undo ----------------------------------------------------------------------


def test_two_observers_share_the_clock_and_each_undoes_only_their_own_latest(
    small: duckdb.DuckDBPyConnection,
) -> None:
    a = started(small, SU1, ST1, observer="OB-A")
    b = capture.start(small, ALPHA, DAY, observer="OB-B", now=at(30))
    assert b == a
    m = a.meeting_id
    first = capture.contribute(small, m, SU1, "raised_item", "a1", observer="OB-A", now=at(5))
    note = capture.note(small, m, "Agreed to phone the housing team.", "a2", observer="OB-A", now=at(6))
    theirs = capture.contribute(small, m, ST1, "spoke", "b1", observer="OB-B", now=at(7))
    assert theirs.minute == 7  # B's minute is on A's clock
    assert [(e.kind, e.observer, e.minute) for e in capture.timeline(small, m)] == [
        ("contribution", "OB-A", 5), ("note", "OB-A", 6), ("contribution", "OB-B", 7),
    ]  # fmt: skip
    version = record.version(small, m)
    assert capture.undo_last(small, m, observer="OB-A") == note  # A's latest, though B tapped after
    assert record.version(small, m) == version + 1  # a form still showing the note cannot write it back
    assert capture.undo_last(small, m, observer="OB-A") == first
    assert capture.undo_last(small, m, observer="OB-A") is None
    assert capture.timeline(small, m) == (theirs,)
    deleted = small.execute("select actor, table_name from audit where action = 'delete' order by id").fetchall()
    assert deleted == [("OB-A", "field_notes"), ("OB-A", "contributions")]


def test_undo_leaves_notes_typed_on_the_record_page_and_refuses_a_coded_note(
    small: duckdb.DuckDBPyConnection,
) -> None:
    live = capture.start(small, ALPHA, dt.date(2020, 1, 10), observer="OB-01", now=T0)  # m1: OB-01's notes 1, 2
    assert capture.undo_last(small, live.meeting_id, observer="OB-01") is None
    entry = capture.note(small, 1, "A-SU1 raised transport again.", "n1", observer="OB-01", now=at(3))
    with db.transaction(small) as cur:
        cur.execute("insert into coded_segments (note_id, code_id, coder) values (?, 6, 'R01')", [entry.ident])
    before = everything(small)
    with pytest.raises(ObservationError, match=r"Your last note \(minute 3\) has been coded since \(1 coding\)"):
        capture.undo_last(small, 1, observer="OB-01")
    assert everything(small) == before


def test_undo_is_the_acting_persons_by_default(small: duckdb.DuckDBPyConnection) -> None:
    live = started(small, SU1, observer=audit.actor())
    mine = capture.contribute(small, live.meeting_id, SU1, "spoke", "t1", now=at(1))
    assert mine.observer == audit.actor()
    capture.contribute(small, live.meeting_id, SU1, "spoke", "t2", observer="OB-B", now=at(2))
    assert capture.undo_last(small, live.meeting_id) == mine


# --- the review -----------------------------------------------------------------------------------


def test_levels_are_suggested_by_the_rules(small: duckdb.DuckDBPyConnection) -> None:
    live = started(small, SU1, CA1, ST1, ST2, OB1)
    taps = [(SU1, "raised_item"), (SU1, "took_action"), (SU1, "spoke"), (SU1, "spoke"),
            (CA1, "proposed_change"), (CA1, "challenged"),
            (ST1, "took_action")]  # fmt: skip
    for n, (person, kind) in enumerate(taps):
        capture.contribute(small, live.meeting_id, person, kind, f"t{n}", observer="OB-A", now=at(n))
    suggested = capture.suggested_levels(small, live.meeting_id)
    assert [(s.participant_id, s.level, s.reason) for s in suggested] == [
        (CA1, "contributing", "proposed a change and challenged or questioned"),
        (SU1, "co_leading", "raised an agenda item, took an action and spoke 2 times"),
        (OB1, "observing", "present, nothing logged"),
        (ST1, "contributing", "took an action"),
        (ST2, "observing", "present, nothing logged"),
    ]


@pytest.mark.parametrize(
    ("logged", "level"),
    [
        ({}, "observing"),
        ({"spoke": 1}, "contributing"),
        ({"took_action": 3}, "contributing"),
        ({"raised_item": 1, "proposed_change": 1}, "contributing"),
        ({"raised_item": 1, "took_action": 1}, "co_leading"),
        ({"proposed_change": 2, "took_action": 1, "spoke": 5}, "co_leading"),
    ],
)
def test_the_rule_for_each_level(logged: dict[str, int], level: str) -> None:
    assert capture.suggest(1, Counter(logged)).level == level


def test_a_captured_meeting_opens_and_saves_on_the_record_page_keeping_its_contributions(
    small: duckdb.DuckDBPyConnection,
) -> None:
    live = started(small, SU1, ST1)
    m = live.meeting_id
    capture.contribute(small, m, SU1, "raised_item", "t1", observer="OB-A", now=at(4))
    capture.contribute(small, m, SU1, "took_action", "t2", observer="OB-A", now=at(40))
    capture.note(small, m, "Good meeting.", "t3", observer="OB-A", now=at(41))
    opened = record.load(small, m)
    assert opened is not None
    assert opened.attendance == {SU1: ("present", None), ST1: ("present", None)}
    assert [(n.position, n.minute, n.author, n.body) for n in opened.notes] == [(1, 41, "OB-A", "Good meeting.")]
    levels = {s.participant_id: s.level for s in capture.suggested_levels(small, m)}
    review = [record.AttendanceEntry(participant_id=p, status="present", participation=levels[p]) for p in (SU1, ST1)]
    kept = small.execute("select * from contributions order by id").fetchall()
    details = opened.details.model_copy(update={"duration_minutes": 45})
    record.save_meeting(small, m, details, review, list(opened.notes), opened.version, who="OB-A")
    assert small.execute("select * from contributions order by id").fetchall() == kept
    assert small.execute(
        "select participant_id, participation from attendance where meeting_id = ? order by 1", [m]
    ).fetchall() == [(ST1, "observing"), (SU1, "co_leading")]


def test_the_review_cannot_take_a_contributor_off_the_register(small: duckdb.DuckDBPyConnection) -> None:
    live = started(small, SU1, ST1)
    m = live.meeting_id
    capture.contribute(small, m, SU1, "spoke", "t1", observer="OB-A", now=at(4))
    opened = record.load(small, m)
    assert opened is not None
    before = everything(small)
    for status in ("apologies", None):
        review = [record.AttendanceEntry(participant_id=SU1, status=status)]
        with pytest.raises(ObservationError, match=(
            "A-SU1 has 1 contribution logged at the meeting of Alpha on 01 Apr 2020 and would not be marked "
            "present there; keep them present, or undo their contributions"
        )):  # fmt: skip
            record.save_meeting(small, m, opened.details, review, [], opened.version, who="R01")
    assert everything(small) == before


def test_a_review_opened_before_a_mark_is_refused_as_stale(small: duckdb.DuckDBPyConnection) -> None:
    live = started(small, SU1)
    opened = record.load(small, live.meeting_id)
    assert opened is not None
    capture.mark(small, live.meeting_id, CA1, True, observer="OB-B")  # another observer, meanwhile
    review = [record.AttendanceEntry(participant_id=SU1, status="present", participation="observing")]
    with pytest.raises(record.Conflict, match="OB-B saved this meeting"):
        record.save_meeting(small, live.meeting_id, opened.details, review, [], opened.version, who="OB-A")


def test_deleting_a_captured_meeting_takes_its_contributions_and_capture_with_it(
    small: duckdb.DuckDBPyConnection,
) -> None:
    live = started(small, SU1)
    capture.contribute(small, live.meeting_id, SU1, "spoke", "t1", observer="OB-A", now=at(4))
    capture.note(small, live.meeting_id, "Noted.", "t2", observer="OB-A", now=at(5))
    removal = curate.meeting_removal(small, live.meeting_id)
    assert removal.rows["contributions"] == 1
    assert "1 contribution" in removal.describe()
    curate.delete_meeting(small, live.meeting_id, record.version(small, live.meeting_id), who="R01")
    for table in ("contributions", "capture_clocks", "capture_taps", "field_notes"):
        assert small.execute(f"select count(*) from {table} where meeting_id = ?", [live.meeting_id]).fetchone() == (
            0,
        ), table
    assert capture.live_meetings(small, ALPHA) == ()
    with db.cursor(small) as cur:
        assert integrity.dangling(cur) == []


def test_deleting_a_captured_note_forgets_its_tap(small: duckdb.DuckDBPyConnection) -> None:
    live = started(small)
    entry = capture.note(small, live.meeting_id, "Noted.", "t1", observer="OB-A", now=at(5))
    curate.delete_note(small, entry.ident, record.version(small, live.meeting_id), who="R01")
    assert small.execute("select count(*) from capture_taps").fetchone() == (0,)
    assert capture.undo_last(small, live.meeting_id, observer="OB-A") is None


# --- who may capture ------------------------------------------------------------------------------

CALLS = {
    "start": lambda con: capture.start(con, ALPHA, DAY, observer="OB-A", now=T0),
    "resume": lambda con: capture.resume(con, 1),
    "live_meetings": lambda con: capture.live_meetings(con, ALPHA),
    "roster": lambda con: capture.roster(con, 1),
    "mark": lambda con: capture.mark(con, 1, ST1, True),
    "add_newcomer": lambda con: capture.add_newcomer(con, 1, "SU-09", "service_user"),
    "contribute": lambda con: capture.contribute(con, 1, ST1, "spoke", "t1"),
    "note": lambda con: capture.note(con, 1, "A note.", "t1"),
    "_write_tap": lambda con: capture._write_tap(con, 1, "note", "t1", None, None, lambda *_: 1),  # their shared steps
    "undo_last": lambda con: capture.undo_last(con, 1),
    "timeline": lambda con: capture.timeline(con, 1),
    "suggested_levels": lambda con: capture.suggested_levels(con, 1),
}


@pytest.mark.parametrize(
    "who",
    [
        access.Identity(email="alpha.coach@example.org", role="coach", teams=frozenset({ALPHA})),
        access.Identity(email="presenter@example.org", role="presenter"),
    ],
    ids=lambda who: who.role,
)
def test_only_a_researcher_captures(small: duckdb.DuckDBPyConnection, who: access.Identity) -> None:
    before = {t: rows for t, rows in everything(small).items() if t != "audit"}
    with access.acting_as(who):
        for name, call in CALLS.items():
            with pytest.raises(access.AccessDenied, match=f"not allowed for a {who.role}"):
                call(small)
            assert name
    assert {t: rows for t, rows in everything(small).items() if t != "audit"} == before
    refused = small.execute("select count(*) from audit where action = 'refused' and actor = ?", [who.email])
    assert refused.fetchone() == (len(CALLS),)
    assert set(CALLS) == {n for n in vars(capture) if getattr(getattr(capture, n), "__access_roles__", None)}
