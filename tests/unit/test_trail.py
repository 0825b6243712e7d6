"""The Audit trail in words (observation.trail.told): each entry says who did what, its ids resolved
to a team's name, a meeting's team and date, a participant's code, a note's place or a code's name
— a meeting, note or code since deleted named from the copy the trail kept — with no id and no
JSON; the entries as stored stay available (``entries``, ``entries_csv``), on both backends."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
from pathlib import Path

import duckdb
import pytest

from observation import access, audit, curate, db, feedback, ingest, labels, record, trail
from tests.app.test_words_not_codes import RAW, make_busy

pytestmark = pytest.mark.both_backends


def said(con: duckdb.DuckDBPyConnection, *actions: str) -> list[str]:
    return list(trail.told(con, actions)["what"])


def import_csv(con: duckdb.DuckDBPyConnection, tmp_path: Path, name: str, text: str) -> None:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    ingest.import_files(con, [path])


def test_an_attendance_import_is_told_with_its_meetings_teams_and_people(
    small: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    # A-ST2 at m2 (Alpha, 24/01/2020) was sent apologies: now present; B-SU2 (no attendance yet)
    # comes to m5 and m6 (Beta), A-OB1 to m2 (Alpha): three rows created for three meetings of two teams.
    import_csv(small, tmp_path, "attendance.csv", (
        "team,date,participant,status,participation\n"
        "Alpha,24/01/2020,A-ST2,present,co-leading\n"
        "Beta,15/01/2020,B-SU2,present,observing\n"
        "Beta,12/02/2020,B-SU2,absent,\n"
        "Alpha,24/01/2020,A-OB1,present,\n"
    ))  # fmt: skip
    assert said(small) == [
        "Imported attendance.csv: 3 attendance rows created, 1 changed",
        "Imported attendance.csv: 3 attendance rows created for 3 meetings of Alpha, Beta",
        "Changed the attendance of A-ST2 at Alpha, 24/01/2020: apologies → present (co-leading)",
    ]
    stored = trail.entries(small)
    assert '"participant_ids by meeting_id": {"2": [7], "5": [8], "6": [8]}' in stored["after"][1]
    # A national import's rows span hundreds of teams: past a few, how many.
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(trail, "MOST_TEAMS_NAMED", 1)
        assert said(small, "create") == ["Imported attendance.csv: 3 attendance rows created for 3 meetings of 2 teams"]
    assert '"status": "apologies"' in stored["before"][2]


def test_a_meeting_saved_from_the_record_page_is_told_mark_by_mark(small: duckdb.DuckDBPyConnection) -> None:
    marks = [
        record.AttendanceEntry(participant_id=1, status="absent"),  # was present (contributing)
        record.AttendanceEntry(participant_id=2, status="present", participation="co_leading"),  # was apologies
        record.AttendanceEntry(participant_id=3, status="present", participation="co_leading"),  # unchanged
        record.AttendanceEntry(participant_id=4, status="present", participation="contributing"),  # unchanged
        record.AttendanceEntry(new_code="A-SU9", new_role="service_user", status="present"),
    ]
    details = record.MeetingDetails(team_id=1, meeting_date="2020-01-24", format="virtual", action_items=2)
    record.save_meeting(
        small, 2, details, marks, [record.NoteEntry(author="R01", body="They met online.")], 0,
        annotations=[record.AnnotationEntry(label="First online meeting", category="other")],
        recruitment=[record.RecruitmentStep(participant_id=4, stage="approached", reason_code_id=2)],
    )  # fmt: skip
    assert said(small) == [
        'Recorded the recruitment step Approached of A-CA1 on 24/01/2020 (reason: “Finding the "right" service user”)',
        "Marked “First online meeting” (Other) on the charts of Alpha at 24/01/2020",
        "Added note 1 of the meeting of Alpha, 24/01/2020: “They met online.”",
        "Changed the attendance at Alpha, 24/01/2020: A-ST1 present (contributing) → absent; "
        "A-ST2 apologies → present (co-leading); A-SU9 added as present",
        "Added participant A-SU9 as a service user",
        "Changed the meeting of Alpha, 24/01/2020: action items 1 → 2; evaluated no → not recorded; "
        "held at the service user's home → held online",
    ]


def test_what_was_deleted_is_named_from_the_trails_own_copy(small: duckdb.DuckDBPyConnection) -> None:
    curate.delete_note(small, 2, 0)  # n2: note 2 of m1 (Alpha, 10/01/2020), with its coded segments
    curate.delete_meeting(small, 4, 0)  # m4 (Alpha, 21/02/2020): its marks, its note and the note's segment
    curate.merge_codes(small, 3, 2)  # code 3 goes, into code 2
    gone, kept = "“Complexity of mental illness”", '“Finding the "right" service user”'
    assert said(small) == [
        f"Merged code {gone} into {kept}: {gone} left the codebook",
        f"Merged code {gone} into {kept}: 2 recruitment events given {kept} as their reason",
        f"Merged code {gone} into {kept}: 1 coded segment moved to {kept}",
        f"Merged code {gone} into {kept}: 1 coded segment removed as repeats of segments {kept} already had",
        "Deleted the meeting of Alpha, 21/02/2020",
        "Deleted 3 attendance rows with the meeting of Alpha, 21/02/2020",
        "Deleted 1 field note with the meeting of Alpha, 21/02/2020",
        "Deleted 2 coded segments with the meeting of Alpha, 21/02/2020",
        "Deleted note 2 of the meeting of Alpha, 10/01/2020: "
        "“Who should we invite next? Someone who sees the bigger pict…”",
        "Deleted 3 coded segments with note 2 of the meeting of Alpha, 10/01/2020",
    ]


def test_access_sign_ins_refusals_and_exports_are_told(small: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    access.grant(small, "coach@example.org", "coach", [1, 2])
    access.grant(small, "coach@example.org", "coach", [2])
    access.revoke(small, "coach@example.org")
    access.record_sign_in(small, None, "stranger@example.org")
    with (
        pytest.raises(access.AccessDenied),
        access.acting_as(access.Identity(email="c@example.org", role="coach", teams=frozenset({1}))),
    ):
        curate.teams(small)
    assert said(small, "grant", "revoke", "sign_in", "refused") == [
        "Refused: teams (not allowed for a coach)",
        "Tried to sign in, and was turned away: no role in this study",
        "Took away the access of coach@example.org (was a coach of Beta)",
        "Changed the access of coach@example.org: a coach of Alpha, Beta → a coach of Beta",
        "Gave coach@example.org access as a coach of Alpha, Beta",
    ]


def test_an_entry_of_an_unknown_shape_is_still_told_without_json(small: duckdb.DuckDBPyConnection) -> None:
    with db.transaction(small, meetings=()) as cur:
        audit.record(cur, "change", "teams", "id=1", before={"coach": None, "service_user": 3},
                     after={"coach": "CO-07", "service_user": [1, 2]})  # fmt: skip
        audit.record(cur, "create", "gadgets", "gadget_id=4", after={"participation": "co_leading"})
    assert said(small) == [
        "Added gadgets (4): took part co-leading",
        "Changed team Alpha: coach empty → CO-07; service user 3 → 2 items",
    ]


def test_the_experience_questionnaire_and_the_impact_log_are_told_and_no_answer_is_kept_against_a_person(
    small: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    # small_study: A-SU1 (id 3) and A-CA1 (id 4) were present at Alpha's meeting of 24/01/2020 (id 2)
    feedback.record_answers(small, 2, 3, {"listened": 4, "understood": 5, "come_again": None}, "review")
    feedback.record_answers(small, 2, 3, {"listened": 2}, "review")
    import_csv(small, tmp_path, "answers.csv", "team,date,participant,item,answer\nAlpha,24/01/2020,A-CA1,listened,3\n")
    feedback.issue_link(small, 2, 4)
    feedback.reword(small, "influence", "I could change what was decided")
    feedback.retire(small, "come_again")
    feedback.add_item(small, "The papers came in time")
    feedback.add_item(small, "I would come again")
    day = dt.date(2020, 1, 30)
    feedback.record_impact(small, 1, day, "change_idea", "Agenda in plain English", "both", 2, today=day)
    import_csv(small, tmp_path, "impact.csv", (
        "team,date,kind,description,origin\nAlpha,30/01/2020,measure changed,Agenda in plain English,staff\n"
    ))  # fmt: skip
    twice = feedback.record_impact(small, 1, day, "other", "Logged twice", "staff", today=day)
    feedback.delete_impact(small, twice)
    told = said(small)
    for sentence in (
        "Recorded A-SU1's answers to the experience questionnaire about the meeting of Alpha, 24/01/2020: 3 items, "
        "at the review",
        "Changed A-SU1's answers to the experience questionnaire about the meeting of Alpha, 24/01/2020: 1 item, "
        "at the review",
        "Recorded A-CA1's answers to the experience questionnaire about the meeting of Alpha, 24/01/2020: 1 item, "
        "on paper",
        "Added the questionnaire item “I felt listened to”",
        "Reworded the questionnaire item “I could influence what was decided” as “I could change what was decided” "
        "(version 2)",
        "Stopped asking the questionnaire item “I would come again”",
        "Added the questionnaire item “The papers came in time”",
        "Asked again the questionnaire item “I would come again”",
        "Logged the change “Agenda in plain English” of Alpha on 30/01/2020: a change idea adopted, the idea from "
        "people with lived experience and staff together, arising at the meeting of Alpha, 24/01/2020",
        "Changed the change “Agenda in plain English” of Alpha on 30/01/2020 in the impact log: a change idea "
        "adopted, the idea from people with lived experience and staff together → a measure changed, the idea from "
        "staff",
        "Removed the change “Logged twice” of Alpha on 30/01/2020 from the impact log",
    ):
        assert sentence in told, sentence
    assert any(
        w.startswith("Gave A-CA1 a link to answer about the meeting of Alpha, 24/01/2020 on their phone") for w in told
    )
    assert [w for w in told if RAW.search(w) or "=" in w] == []
    # the audit says which items were answered, never an answer: its entries name the person
    stored = small.execute(
        "select before, after from audit where table_name = 'feedback_responses' order by id"
    ).fetchall()
    assert [tuple(json.loads(v) if v else None for v in row) for row in stored] == [
        (None, {"items": ["come_again", "listened", "understood"], "via": "review"}),
        ({"items": ["listened"]}, {"items": ["listened"], "via": "review"}),
        (None, {"items": ["listened"], "via": "paper"}),
    ]


BARE = re.compile(r"“”|[(,] ?\d+[,)]|: \d+$")
"""An entry told with a label lost (empty quotes) or an id left as a bare number ("(167, ...")."""

EXAMPLES = Path(__file__).resolve().parents[2] / "data" / "examples"


def test_every_example_file_imported_is_told_from_its_rows(small: duckdb.DuckDBPyConnection) -> None:
    """Each file of data/examples imported: each kind of row told with its label, date and people."""
    ingest.import_files(small, sorted(EXAMPLES.glob("*.csv")))
    told = said(small)
    for sentence in (
        "Marked “Home microsystem meetings began” (Meetings at home) on the charts of Elm community team at 19/09/2023",
        "Recorded the recruitment step Identified of EL-SU01 on 01/08/2023",
        "Coded note 1 of the meeting of Elm community team, 19/09/2023 as “Home microsystem meeting” (coder R03)",
        "Added participant EL-SU01 to Elm community team as a service user, QI trained",
        "Added team Elm community team: coach CO-09; service Community brain-injury service; setting Community; "
        "started 01/09/2023",
    ):
        assert sentence in told
    assert [what for what in told if BARE.search(what) or RAW.search(what) or "=" in what] == []


def test_a_key_value_with_commas_and_brackets_is_read_whole(small: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    import_csv(small, tmp_path, "annotations.csv", (
        "date,label,team,category\n"
        '24/01/2020,"Started, then stopped (again)",Alpha,other\n'
    ))  # fmt: skip
    assert "Marked “Started, then stopped (again)” (Other) on the charts of Alpha at 24/01/2020" in said(small)


def test_free_text_that_happens_to_be_a_vocabulary_value_is_kept_as_typed(small: duckdb.DuckDBPyConnection) -> None:
    with db.transaction(small, meetings=()) as cur:
        audit.record(cur, "change", "teams", "id=1", before={"service": "community"}, after={"service": "register"})
        audit.record(cur, "create", "field_notes", "meeting_id=1, position=9", after={"body": "home"})
        audit.record(cur, "change", "field_notes", "id=1", before={"body": "create"}, after={"body": "virtual"})
    assert said(small) == [
        "Changed note 1 of the meeting of Alpha, 10/01/2020: text “create” → “virtual”",
        "Added note 9 of the meeting of Alpha, 10/01/2020: “home”",
        "Changed team Alpha: service community → register",
    ]


def test_every_kind_of_entry_is_told_without_an_id_or_json(small_location: Path | str, tmp_path: Path) -> None:
    """A month of use on the small study (every writer of the product), read back in words."""
    make_busy(small_location, tmp_path)  # type: ignore[arg-type]
    con = db.connect(small_location)
    try:
        told = trail.told(con)
        stored = trail.entries(con)
        download = trail.entries_csv(con)
    finally:
        con.close()
    assert len(told) == len(stored) > 30
    assert set(told["action"]) <= set(labels.AUDIT_ACTIONS.values())
    problems = [
        what
        for what in told["what"]
        if RAW.search(what) or re.search(r"\b(?:\w+_)?id\b|=|\{|\[|no longer in the", what) or BARE.search(what)
    ]
    assert problems == []
    # The entries as stored are one download away, ids and JSON as the study keeps them.
    rows = list(csv.DictReader(io.StringIO(download.decode("utf-8"))))
    assert [int(r["id"]) for r in rows] == list(told["id"])
    assert any('"participant_ids by meeting_id"' in r["after"] for r in rows)


def test_the_trail_is_a_researchers(small: duckdb.DuckDBPyConnection) -> None:
    for role, teams in (("coach", frozenset({1})), ("presenter", None)):
        with access.acting_as(access.Identity(email=f"{role}@example.org", role=role, teams=teams)):  # type: ignore[arg-type]
            for read in (trail.told, trail.entries, trail.entries_csv, trail.latest):
                with pytest.raises(access.AccessDenied, match=f"not allowed for a {role}"):
                    read(small)


def test_every_audit_action_has_its_words() -> None:
    assert set(labels.AUDIT_ACTIONS) == set(audit.ACTIONS)


def test_the_download_keeps_a_long_value_whole_up_to_its_limit(small: duckdb.DuckDBPyConnection) -> None:
    """An import's created-rows entry lists every row's key: at national scale, megabytes."""
    with db.transaction(small, meetings=()) as cur:
        audit.record(cur, "create", "attendance", "every row created from big.csv", after={"keys": "k" * 150_000})
        audit.record(cur, "create", "attendance", "every row created from small.csv", after={"keys": "k" * 90_000})
    rows = list(csv.DictReader(io.StringIO(trail.entries_csv(small).decode("utf-8"))))
    whole, cut = rows[0]["after"], rows[1]["after"]
    assert whole == '{"keys": "' + "k" * 90_000 + '"}'
    assert cut.endswith(f" … ({150_000 + 12:,} characters in all)")
    assert len(cut) < 100_100
