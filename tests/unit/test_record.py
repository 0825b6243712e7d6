"""Recording a meeting: details, roles, attendance and notes in one save, audited, with conflicts refused."""

from __future__ import annotations

import contextvars
import datetime as dt
import itertools
import json
import math
import statistics
import threading
from pathlib import Path

import duckdb
import pytest
from pydantic import ValidationError

from observation import record
from observation.errors import ObservationError

pytestmark = pytest.mark.both_backends  # storage, import, export, audit and access: on both backends

ALPHA_DETAILS = record.MeetingDetails(
    team_id=1, meeting_date=dt.date(2020, 4, 1), status="held", format="home", action_items=2, evaluated=True,
    roles={"leader": 1, "recorder": None},
)  # fmt: skip
ROSTER = [
    record.AttendanceEntry(participant_id=1, status="present", participation="contributing"),
    record.AttendanceEntry(participant_id=3, status="present", participation="co_leading"),
    record.AttendanceEntry(participant_id=4, status="apologies"),
    record.AttendanceEntry(new_code="A-SU2", new_role="service_user", status="present"),
]
NOTES = [record.NoteEntry(minute=5, author="OB-01", body="A-SU2 came for the first time.")]


def test_a_new_meeting_is_saved_whole_and_audited(small: duckdb.DuckDBPyConnection) -> None:
    meeting_id = record.save_meeting(small, None, ALPHA_DETAILS, ROSTER, NOTES, seen_version=0, who="R01")
    assert small.execute("select format, action_items from meetings where id = ?", [meeting_id]).fetchone() == (
        "home",
        2,
    )
    assert small.execute("select role, participant_id from meeting_roles where meeting_id = ? order by role",
                         [meeting_id]).fetchall() == [("leader", 1), ("recorder", None)]  # fmt: skip
    attended = small.execute(
        "select p.code, a.status from attendance a join participants p on p.id = a.participant_id "
        "where meeting_id = ? order by p.code", [meeting_id]
    ).fetchall()  # fmt: skip
    assert attended == [("A-CA1", "apologies"), ("A-ST1", "present"), ("A-SU1", "present"), ("A-SU2", "present")]
    assert record.version(small, meeting_id) == 1
    actions = small.execute("select action, table_name from audit where actor = 'R01' order by id").fetchall()
    assert ("create", "meetings") in actions
    assert ("create", "participants") in actions


def test_a_level_changed_on_its_own_is_audited_with_the_one_it_replaced(small: duckdb.DuckDBPyConnection) -> None:
    meeting_id = record.save_meeting(small, None, ALPHA_DETAILS, ROSTER, NOTES, seen_version=0, who="R01")
    observing = [ROSTER[0], ROSTER[1].model_copy(update={"participation": "observing"}), *ROSTER[2:3]]
    version = record.version(small, meeting_id)
    record.save_meeting(small, meeting_id, ALPHA_DETAILS, observing, NOTES, version, who="R02")
    (before, after) = small.execute(
        "select before, after from audit where actor = 'R02' and table_name = 'attendance'"
    ).fetchone()  # type: ignore[misc]
    assert json.loads(before)["3"] == {"participation": "co_leading", "status": "present"}
    assert json.loads(after)["3"] == {"participation": "observing", "status": "present"}


def test_a_second_save_from_an_old_version_is_refused_and_says_who(small: duckdb.DuckDBPyConnection) -> None:
    meeting_id = record.save_meeting(small, None, ALPHA_DETAILS, ROSTER, NOTES, seen_version=0, who="R01")
    record.save_meeting(small, meeting_id, ALPHA_DETAILS.model_copy(update={"action_items": 5}), ROSTER[:3], NOTES,
                        seen_version=1, who="R02")  # fmt: skip
    with pytest.raises(record.Conflict, match="R02 saved this meeting") as caught:
        record.save_meeting(small, meeting_id, ALPHA_DETAILS.model_copy(update={"action_items": 9}), ROSTER[:3], NOTES,
                            seen_version=1, who="R01")  # fmt: skip
    assert caught.value.saved_by == "R02"
    assert small.execute("select action_items from meetings where id = ?", [meeting_id]).fetchone() == (5,)


def test_notes_are_kept_by_position_with_their_codes(small: duckdb.DuckDBPyConnection) -> None:
    details = record.MeetingDetails(team_id=1, meeting_date=dt.date(2020, 1, 10))
    roster = [record.AttendanceEntry(participant_id=1, status="present")]
    # positions need not run 1, 2, 3: an import may leave a gap
    small.execute("insert into field_notes (meeting_id, position, author, body) values (1, 5, 'OB-02', 'Later.')")
    notes = [
        record.NoteEntry(position=1, minute=7, author="OB-01", body="Rewritten."),
        record.NoteEntry(
            position=2,
            minute=20,
            author="OB-01",
            body="Who should we invite next? Someone who sees the bigger picture.",
        ),
        record.NoteEntry(position=5, author="OB-02", body="Later."),
        record.NoteEntry(author="OB-01", body="A new note."),
    ]
    record.save_meeting(small, 1, details, roster, notes, seen_version=0)
    rows = small.execute(
        "select position, minute, body from field_notes where meeting_id = 1 order by position"
    ).fetchall()
    assert rows == [(1, 7, "Rewritten."), (2, 20, notes[1].body), (5, None, "Later."), (6, None, "A new note.")]
    assert small.execute("select count(*) from coded_segments where note_id = 1").fetchone() == (2,)  # codes kept


def test_a_recorded_meeting_keeps_its_team_and_date(small: duckdb.DuckDBPyConnection) -> None:
    moved = record.MeetingDetails(team_id=1, meeting_date=dt.date(2021, 1, 1))
    with pytest.raises(ObservationError, match="keeps its team and date"):
        record.save_meeting(small, 1, moved, [], [], seen_version=0)


@pytest.mark.parametrize(
    ("entry", "reason"),
    [
        ({"participant_id": 1, "status": "absent", "participation": "observing"}, "only for people present"),
        ({"new_code": "Alice", "new_role": "carer", "status": "present"}, "String should match pattern"),
        ({"new_code": "A-NEW1", "status": "present"}, "needs a role"),
        ({"participant_id": 1, "new_code": "A-NEW1", "new_role": "carer"}, "not both"),
    ],
)
def test_bad_entries_are_refused_before_anything_is_written(entry: dict[str, object], reason: str) -> None:
    with pytest.raises(ValidationError, match=reason):
        record.AttendanceEntry.model_validate(entry)


def test_a_save_that_fails_writes_nothing(small: duckdb.DuckDBPyConnection) -> None:
    before = small.execute("select count(*) from meetings").fetchone()
    clash = ALPHA_DETAILS.model_copy(update={"meeting_date": dt.date(2020, 1, 10)})  # Alpha already met that day
    with pytest.raises(ObservationError, match="not saved"):
        record.save_meeting(small, None, clash, ROSTER, NOTES, seen_version=0)
    assert small.execute("select count(*) from meetings").fetchone() == before
    assert small.execute("select count(*) from participants where code = 'A-SU2'").fetchone() == (0,)


def test_an_import_that_changes_a_meeting_outdates_a_form_opened_before_it(
    small: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    from observation import ingest

    opened = record.load(small, 1)
    assert opened is not None
    (tmp_path / "meetings.csv").write_text("team,date,status,action_items\nAlpha,2020-01-10,held,8\n")
    ingest.import_files(small, [tmp_path / "meetings.csv"])
    with pytest.raises(record.Conflict, match="import by"):
        record.save_meeting(small, 1, opened.details, [], list(opened.notes), opened.version)
    assert small.execute("select action_items from meetings where id = 1").fetchone() == (8,)


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("annotations.csv", "team,date,label,category\nAlpha,2020-01-10,Imported mark,other\n"),
        ("recruitment_events.csv", "participant,stage,date\nA-CA1,approached,2020-01-10\n"),
    ],
)
def test_an_import_of_marks_or_steps_on_a_meetings_date_outdates_a_form_opened_before_it(
    small: duckdb.DuckDBPyConnection, tmp_path: Path, name: str, content: str
) -> None:
    """Otherwise the older form, which does not show the imported row, would delete it on save."""
    from observation import ingest

    opened = record.load(small, 1)
    assert opened is not None
    (tmp_path / name).write_text(content)
    ingest.import_files(small, [tmp_path / name])
    with pytest.raises(record.Conflict, match="import by"):
        record.save_meeting(small, 1, opened.details, [], list(opened.notes), opened.version,
                            annotations=list(opened.annotations), recruitment=list(opened.recruitment))  # fmt: skip
    reopened = record.load(small, 1)
    assert reopened is not None
    assert len(reopened.annotations) + len(reopened.recruitment) == 2  # the imported row and A-SU1's first attendance


def race_two_saves(con: duckdb.DuckDBPyConnection, meeting_id: int, saves: dict[str, int]) -> dict[str, str]:
    """Start one save per actor (setting action_items) from the same seen version at the same moment."""
    seen, start, outcome = record.version(con, meeting_id), threading.Barrier(len(saves)), {}

    def save(who: str, items: int) -> None:
        details = ALPHA_DETAILS.model_copy(update={"action_items": items})
        start.wait()
        try:
            record.save_meeting(con, meeting_id, details, ROSTER[:3], NOTES, seen_version=seen, who=who)
            outcome[who] = "saved"
        except ObservationError as exc:
            outcome[who] = f"refused: {exc}"

    threads = [threading.Thread(target=contextvars.copy_context().run, args=(save, *item)) for item in saves.items()]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcome


def test_two_sessions_saving_one_meeting_at_once_never_both_win(small: duckdb.DuckDBPyConnection) -> None:
    """Two browser sessions share the app's one connection, each saving from its own cursor. However
    the two saves interleave, exactly one is kept whole and the other is refused with a readable error."""
    meeting_id = record.save_meeting(small, None, ALPHA_DETAILS, ROSTER[:3], NOTES, seen_version=0, who="R00")
    for round_ in range(10):
        seen = record.version(small, meeting_id)
        saves = {f"R01-{round_}": 11, f"R02-{round_}": 22}
        outcome = race_two_saves(small, meeting_id, saves)
        winners = [who for who, result in outcome.items() if result == "saved"]
        assert len(winners) == 1, (round_, outcome)
        (loser,) = set(saves) - set(winners)
        assert "not saved" in outcome[loser]
        assert small.execute("select action_items from meetings where id = ?", [meeting_id]).fetchone() == (
            saves[winners[0]],
        )
        assert record.version(small, meeting_id) == seen + 1
        assert small.execute("select count(*) from attendance where meeting_id = ?", [meeting_id]).fetchone() == (3,)
        assert small.execute("select count(*) from audit where actor = ?", [loser]).fetchone() == (0,)


def test_changes_marked_at_a_meeting_are_saved_edited_and_removed_with_the_audit_saying_so(
    small: duckdb.DuckDBPyConnection,
) -> None:
    marks = [
        record.AnnotationEntry(label="First meeting at a service user's home", category="home_meetings"),
        record.AnnotationEntry(label="New ward manager"),
    ]
    meeting_id = record.save_meeting(small, None, ALPHA_DETAILS, ROSTER[:3], [], 0, who="R01", annotations=marks)
    loaded = record.load(small, meeting_id)
    assert loaded is not None
    assert loaded.annotations == tuple(marks)
    on_day = "select label, category from annotations where team_id = 1 and event_date = '2020-04-01' order by label"
    assert small.execute(on_day).fetchall() == [
        ("First meeting at a service user's home", "home_meetings"),
        ("New ward manager", "other"),
    ]
    # Saved without touching the marks (annotations=None): they stay as they are.
    record.save_meeting(small, meeting_id, ALPHA_DETAILS, ROSTER[:3], [], 1, who="R02")
    assert len(small.execute(on_day).fetchall()) == 2
    # One removed, one re-categorised.
    recategorised = [record.AnnotationEntry(label="New ward manager", category="service_change")]
    record.save_meeting(small, meeting_id, ALPHA_DETAILS, ROSTER[:3], [], 2, who="R03", annotations=recategorised)
    assert small.execute(on_day).fetchall() == [("New ward manager", "service_change")]
    audited = small.execute(
        "select action from audit where table_name = 'annotations' and actor = 'R03' order by action"
    ).fetchall()
    assert audited == [("change",), ("delete",)]


def test_a_mark_without_words_or_with_an_unknown_kind_is_refused() -> None:
    with pytest.raises(ValidationError, match="label"):
        record.AnnotationEntry(label="  ")
    with pytest.raises(ValidationError, match="category"):
        record.AnnotationEntry(label="New lead", category="holiday")


def test_recruitment_steps_at_a_meeting_are_loaded_saved_and_removed_with_the_audit_saying_so(
    small: duckdb.DuckDBPyConnection,
) -> None:
    loaded = record.load(small, 1)  # A-SU1 first attended on 10 Jan 2020, the date of meeting 1
    assert loaded is not None
    assert loaded.recruitment == (record.RecruitmentStep(participant_id=3, stage="first_attended"),)
    assert record.reasons(small) == {3: "Complexity of mental illness", 2: 'Finding the "right" service user'}
    roster = [record.AttendanceEntry(participant_id=p, status=s, participation=lv)
              for p, (s, lv) in loaded.attendance.items()]  # fmt: skip
    steps = [
        record.RecruitmentStep(participant_id=3, stage="first_attended"),
        record.RecruitmentStep(participant_id=4, stage="declined", reason_code_id=3),
    ]
    record.save_meeting(small, 1, loaded.details, roster, [], loaded.version, who="R01", recruitment=steps)
    on_day = "select participant_id, stage, reason_code_id from recruitment_events where event_date = '2020-01-10'"
    other_team = (6, "agreed", None)  # B-SU1's step the same day: another team's, left alone
    assert sorted(small.execute(on_day).fetchall()) == [(3, "first_attended", None), (4, "declined", 3), other_team]
    again = record.load(small, 1)
    assert again is not None
    assert again.recruitment == tuple(steps)
    now_for_fit = [record.RecruitmentStep(participant_id=4, stage="declined", reason_code_id=2)]
    record.save_meeting(small, 1, loaded.details, roster, [], again.version, who="R02", recruitment=now_for_fit)
    assert sorted(small.execute(on_day).fetchall()) == [(4, "declined", 2), other_team]
    audited = small.execute(
        "select actor, action from audit where table_name = 'recruitment_events' order by actor, action"
    ).fetchall()
    assert audited == [("R01", "create"), ("R02", "change"), ("R02", "delete")]


def test_a_recruitment_step_for_someone_outside_the_team_writes_nothing(small: duckdb.DuckDBPyConnection) -> None:
    loaded = record.load(small, 1)
    assert loaded is not None
    before = small.execute("select * from recruitment_events order by id").fetchall()
    outsider = [record.RecruitmentStep(participant_id=6, stage="approached")]  # B-SU1, of team B
    with pytest.raises(ObservationError, match="B-SU1 is not a member of this team"):
        record.save_meeting(small, 1, loaded.details, [], [], loaded.version, who="R01", recruitment=outsider)
    assert small.execute("select * from recruitment_events order by id").fetchall() == before
    assert record.version(small, 1) == loaded.version


@pytest.mark.parametrize(
    ("marks", "steps", "message"),
    [
        ([record.AnnotationEntry(label="New lead"), record.AnnotationEntry(label="New lead", category="qi_training")],
         None, "a change marked twice: New lead; keep one row for each"),
        (None, [record.RecruitmentStep(participant_id=4, stage="declined", reason_code_id=3),
                record.RecruitmentStep(participant_id=4, stage="declined")],
         "a recruitment step given twice: A-CA1 declined; keep one row for each"),
    ],
)  # fmt: skip
def test_a_row_given_twice_is_refused_by_name_and_nothing_is_written(
    small: duckdb.DuckDBPyConnection,
    marks: list[record.AnnotationEntry] | None,
    steps: list[record.RecruitmentStep] | None,
    message: str,
) -> None:
    loaded = record.load(small, 1)
    assert loaded is not None
    before = {
        t: small.execute(f"select * from {t} order by all").fetchall() for t in ("annotations", "recruitment_events")
    }
    with pytest.raises(ObservationError, match=message):
        record.save_meeting(small, 1, loaded.details, [], [], loaded.version, annotations=marks, recruitment=steps)
    assert before == {t: small.execute(f"select * from {t} order by all").fetchall() for t in before}


def test_two_stored_marks_with_one_label_are_both_removed_when_the_form_clears_it(
    small: duckdb.DuckDBPyConnection,
) -> None:
    small.execute("insert into annotations (team_id, event_date, label) values (1, '2020-01-10', 'Twice'), "
                  "(1, '2020-01-10', 'Twice')")  # fmt: skip
    loaded = record.load(small, 1)
    assert loaded is not None
    assert [a.label for a in loaded.annotations] == ["Twice", "Twice"]
    record.save_meeting(small, 1, loaded.details, [], [], loaded.version, annotations=[])
    assert small.execute("select count(*) from annotations where team_id = 1").fetchone() == (0,)


def test_the_meetings_to_choose_from_are_the_teams_latest_first(small: duckdb.DuckDBPyConnection) -> None:
    chosen = record.meetings_of(small, 2)
    assert [(m.id, m.status) for m in chosen] == [(8, "held"), (7, "postponed"), (6, "held"), (5, "held")]
    assert chosen[0].meeting_date == dt.date(2020, 3, 11)


# The next expected meeting, a new meeting's date on the Record page. The usual gaps are worked out
# in DuckDB (record.next_meeting); each answer is worked out here another way: the gaps' median by
# statistics.median, rounded down, added by ordinal day numbers.
LATER = dt.date(2030, 1, 1)  # a "today" long after every meeting below


def worked(dates: list[dt.date], gap: int) -> dt.date:
    return dt.date.fromordinal(max(dates).toordinal() + gap)


def median_gap(dates: list[dt.date]) -> int:
    days = sorted(d.toordinal() for d in dates)
    return math.floor(statistics.median(days[i + 1] - days[i] for i in range(len(days) - 1)))


def new_team_meeting_on(con: duckdb.DuckDBPyConnection, dates: list[dt.date]) -> int:
    """A team 9 added to the small study, with a meeting held on each of ``dates``."""
    con.execute(
        "insert into teams (id, name, service, setting, start_date) values (9, 'Iota', 'A', 'community', '2019-01-01')"
    )
    for day in dates:
        con.execute("insert into meetings (team_id, meeting_date, status) values (9, ?, 'held')", [day])
    return 9


def test_a_team_meeting_monthly_is_expected_a_month_after_its_last_meeting(small: duckdb.DuckDBPyConnection) -> None:
    dates = [dt.date(2025, month, 12) for month in range(1, 7)]  # gaps 31, 28, 31, 30, 31 days
    assert median_gap(dates) == 31
    nxt = record.next_meeting(small, new_team_meeting_on(small, dates), dt.date(2025, 7, 20))
    assert (nxt.offered, nxt.expected, nxt.last, nxt.gap_days, nxt.basis, nxt.overdue) == (
        worked(dates, 31), dt.date(2025, 7, 13), dt.date(2025, 6, 12), 31, "team", False
    )  # fmt: skip
    assert nxt.reason() == (
        "The team's next expected meeting: 13/07/2025, 31 days after its last one (12/06/2025), "
        "its usual gap between meetings."
    )


def test_an_irregular_team_takes_the_median_gap_halfway_between_the_middle_two_rounded_down(
    small: duckdb.DuckDBPyConnection,
) -> None:
    dates = [dt.date(2025, 5, 10), dt.date(2025, 3, 8), dt.date(2025, 3, 1), dt.date(2025, 4, 12), dt.date(2025, 3, 29)]
    # in order: gaps of 7, 21, 14 and 28 days; the middle two, 14 and 21, give 17.5, so 17
    assert median_gap(dates) == 17
    nxt = record.next_meeting(small, new_team_meeting_on(small, dates), LATER)  # its own gaps win over the study's
    assert (nxt.expected, nxt.gap_days, nxt.basis) == (worked(dates, 17), 17, "team")
    assert nxt.expected == dt.date(2025, 5, 27)


def test_a_long_gap_among_fortnightly_ones_does_not_move_the_teams_median(small: duckdb.DuckDBPyConnection) -> None:
    fortnightly = [dt.date(2025, 1, 6) + dt.timedelta(days=14 * i) for i in (0, 1, 2, 3, 6, 7, 8)]
    assert record.next_meeting(small, new_team_meeting_on(small, fortnightly), LATER).gap_days == 14
    assert median_gap(fortnightly) == 14


def test_a_team_with_one_meeting_takes_the_median_of_every_teams_gaps(small: duckdb.DuckDBPyConnection) -> None:
    # Iota meets at 10, 30 and 60 day gaps; Alpha and Beta's gaps are 14, 14, 14, 28, 14, 14.
    new_team_meeting_on(small, [dt.date(2021, 1, 1), dt.date(2021, 1, 11), dt.date(2021, 2, 10), dt.date(2021, 4, 11)])
    small.execute(
        "insert into teams (id, name, service, setting, start_date) values (3, 'Gamma', 'A', 'community', '2020-03-01')"
    )
    small.execute("insert into meetings (team_id, meeting_date, status) values (3, '2020-03-02', 'held')")
    by_team: dict[int, list[int]] = {}
    for team, day in small.execute("select team_id, meeting_date from meetings").fetchall():
        by_team.setdefault(team, []).append(day.toordinal())
    every_gap = [b - a for days in by_team.values() for a, b in itertools.pairwise(sorted(days))]
    assert sorted(every_gap) == [10, 14, 14, 14, 14, 14, 28, 30, 60]
    study = math.floor(statistics.median(every_gap))
    gamma = record.next_meeting(small, 3, LATER)
    assert (gamma.gap_days, gamma.basis, gamma.expected) == (study, "study", dt.date(2020, 3, 16))


def test_a_team_with_one_meeting_and_no_study_gap_takes_four_weeks() -> None:
    one = dt.date(2025, 3, 12)
    from_study = record.next_expected_meeting(one, dt.date(2025, 3, 20), study_gap=14)
    assert (from_study.expected, from_study.basis) == (dt.date(2025, 3, 26), "study")
    assumed = record.next_expected_meeting(one, dt.date(2025, 4, 9))
    assert (assumed.expected, assumed.gap_days, assumed.basis) == (dt.date(2025, 4, 9), 28, "assumed")
    assert assumed.reason() == (
        "The team's next expected meeting: 09/04/2025, 4 weeks after its last one (12/03/2025), "
        "the gap assumed until a team has two meetings recorded."
    )


def test_a_team_with_no_meeting_starts_at_today() -> None:
    today = dt.date(2025, 6, 3)
    nxt = record.next_expected_meeting(None, today, study_gap=14)
    assert (nxt.offered, nxt.expected, nxt.last) == (today, None, None)
    assert nxt.reason() == "The team has no meeting recorded yet, so the date starts at today."


def test_a_next_meeting_still_to_come_is_offered_as_today_unless_the_last_one_is_today() -> None:
    last = dt.date(2025, 6, 16)  # fortnightly
    today = dt.date(2025, 6, 20)  # the next is expected on 30 June: a meeting being recorded has taken place
    nxt = record.next_expected_meeting(last, today, team_gap=14)
    assert (nxt.offered, nxt.expected) == (today, dt.date(2025, 6, 30))
    assert nxt.reason().endswith("That is still to come, so the date starts at today.")
    on_the_day = record.next_expected_meeting(last, last, team_gap=14)  # today would repeat the last one
    assert on_the_day.offered == on_the_day.expected == dt.date(2025, 6, 30)
    on_time = record.next_expected_meeting(last, dt.date(2025, 6, 30), team_gap=14)
    assert on_time.offered == dt.date(2025, 6, 30)


def test_a_team_that_has_lapsed_is_said_to_be_overdue_and_offered_the_date_its_next_was_due() -> None:
    last = dt.date(2020, 3, 12)
    due = dt.date(2020, 4, 9)  # 4 weeks on
    # up to one gap after it was due, a meeting is still "expected"
    in_time = record.next_expected_meeting(last, dt.date.fromordinal(due.toordinal() + 28), team_gap=28)
    assert (in_time.offered, in_time.overdue) == (due, False)
    assert in_time.reason().startswith("The team's next expected meeting: 09/04/2020")
    # more than one gap after it: the team has lapsed, and the date offered is still the one due
    lapsed = record.next_expected_meeting(last, dt.date.fromordinal(due.toordinal() + 29), team_gap=28)
    assert (lapsed.offered, lapsed.expected, lapsed.overdue) == (due, due, True)
    assert lapsed.reason() == (
        "The team's meetings are overdue: its last meeting was 12/03/2020; at its usual gap of 4 weeks the next "
        "was due 09/04/2020. The date starts there, for a missed meeting being typed in."
    )
    assert "next expected" not in lapsed.reason()
    from_study = record.next_expected_meeting(last, LATER, study_gap=14)
    assert from_study.overdue
    assert (
        "at the study's usual gap of 2 weeks (the team has only one meeting recorded) the next was due 26/03/2020"
        in (from_study.reason())
    )


def test_the_next_meeting_counts_cancelled_and_postponed_meetings_as_dates_of_the_schedule(
    small: duckdb.DuckDBPyConnection,
) -> None:
    # Alpha: held 10 and 24 Jan, cancelled 7 Feb, held 21 Feb; Beta: held 15 Jan and 12 Feb,
    # postponed 26 Feb, held 11 Mar. Both fortnightly; every gap in the study: 14, 14, 14, 28, 14, 14.
    alpha = record.next_meeting(small, 1, LATER)
    assert (alpha.expected, alpha.gap_days, alpha.basis) == (dt.date(2020, 3, 6), 14, "team")
    beta = record.next_meeting(small, 2, LATER)
    assert (beta.expected, beta.last) == (dt.date(2020, 3, 25), dt.date(2020, 3, 11))
    small.execute(
        "insert into teams (id, name, service, setting, start_date) values (3, 'Gamma', 'A', 'community', '2020-03-01')"
    )
    small.execute("insert into meetings (team_id, meeting_date, status) values (3, '2020-03-02', 'held')")
    gamma = record.next_meeting(small, 3, LATER)
    assert (gamma.expected, gamma.basis) == (dt.date(2020, 3, 16), "study")
