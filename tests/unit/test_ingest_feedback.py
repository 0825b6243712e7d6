"""Importing experience feedback: one row per answer (team, date, participant, item, answer, [via]),
checked like every kind's rows and matched to the study by meeting, participant and item.

The small study (tests/small_study.py): Alpha's held meetings are 10/01/2020 (m1: A-SU1 present,
A-CA1 absent) and 24/01/2020 (m2: A-SU1 and A-CA1 present); 07/02/2020 was cancelled; 21/02/2020
held (A-SU1 sent apologies). Beta's 12/02/2020 (m6) is held with B-SU1 present. A-ST1 is a nurse.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from observation import db, feedback, ingest

pytestmark = pytest.mark.both_backends  # storage, import and audit: on both backends

ROOT = Path(__file__).resolve().parents[2]
HEADER = "team,date,participant,item,answer\n"
SU1, CA1, B_SU1 = 3, 4, 6  # participant ids
SNAPSHOT = (*db.STUDY_TABLES, "audit")


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def snapshot(con: duckdb.DuckDBPyConnection) -> dict[str, list[tuple[object, ...]]]:
    return {t: con.execute(f"select * from {t} order by all").fetchall() for t in SNAPSHOT}


def counted(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    return {t: con.execute(f"select count(*) from {t}").fetchone()[0] for t in SNAPSHOT}  # type: ignore[index]


def answers_of(con: duckdb.DuckDBPyConnection, meeting_id: int, participant_id: int) -> dict[str, int | None]:
    """The person's answers about the meeting, by item key (to the items as they are asked now)."""
    found = con.execute(
        "select i.item_key, r.answer from feedback_responses as r join feedback_items as i on i.id = r.item_id "
        "where r.meeting_id = ? and r.participant_id = ? and i.active",
        [meeting_id, participant_id],
    ).fetchall()
    return {str(k): a for k, a in found}


def answers(con: duckdb.DuckDBPyConnection) -> list[tuple[object, ...]]:
    """The study's answers: (date, code, item key, version, answer, via, recorded_at)."""
    return con.execute(
        "select m.meeting_date::varchar, p.code, i.item_key, i.version, f.answer, f.via, f.recorded_at "
        "from feedback_responses as f join meetings as m on m.id = f.meeting_id "
        "join participants as p on p.id = f.participant_id join feedback_items as i on i.id = f.item_id order by all"
    ).fetchall()


def test_a_file_read_by_its_headers_imports_once_and_again_changes_nothing(
    small: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    # headers as researchers write them; an item by its key or its wording, answers as numbers or words
    file = write(tmp_path, "answers.csv", (
        "Team name,Date of meeting,Participant code,Question,Response\n"
        "Alpha,10/01/2020,A-SU1,listened,4\n"
        "alpha,2020-01-10,a-su1,I UNDERSTOOD what was discussed,Strongly agree\n"
        "Alpha,24/01/2020,A-CA1,come again,PNTS\n"
        "Alpha,24/01/2020,A-CA1,Influence,prefer not to say\n"
        "Beta,12/02/2020,B-SU1,come_again,  2 \n"
    ))  # fmt: skip
    assert small.execute("select count(*) from feedback_items").fetchone() == (0,)
    first = ingest.import_files(small, [file])
    assert first.read_as["answers.csv"] == (
        "feedback (Team name as team, Date of meeting as date, Participant code as participant, Question as item, "
        "Response as answer)"
    )
    assert dict(first.counts["feedback"]) == {"created": 5, "changed": 0, "skipped": 0}
    assert answers(small) == [
        ("2020-01-10", "A-SU1", "listened", 1, 4, "paper", None),
        ("2020-01-10", "A-SU1", "understood", 1, 5, "paper", None),
        ("2020-01-24", "A-CA1", "come_again", 1, None, "paper", None),
        ("2020-01-24", "A-CA1", "influence", 1, None, "paper", None),
        ("2020-02-12", "B-SU1", "come_again", 1, 2, "paper", None),
    ]
    # the default questionnaire was saved first, in the same transaction, and is asked as before
    assert [(i.key, i.wording) for i in feedback.items(small)] == list(feedback.DEFAULT_ITEMS)
    # read back as the pages read them
    assert answers_of(small, 1, SU1) == {"listened": 4, "understood": 5}
    assert [r.code for r in feedback.respondents(small, 2) if r.answered] == ["A-CA1"]
    before = snapshot(small)
    again = ingest.import_files(small, [file])
    assert dict(again.counts["feedback"]) == {"created": 0, "changed": 0, "skipped": 5}
    assert not again.changed
    assert snapshot(small) == before  # not even an audit entry


def test_every_problem_is_named_and_nothing_is_written(small: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    bad = write(tmp_path, "answers.csv", "team,date,participant,item,answer,via\n" + (
        "Alpha,10/01/2020,A-SU1,listened,4,\n"  # a good row: not written either
        "Gamma,10/01/2020,A-SU1,listened,4,\n"
        "Alpha,11/01/2020,A-SU1,listened,4,\n"
        "Alpha,07/02/2020,A-SU1,listened,4,\n"
        "Alpha,10/01/2020,A-ST1,listened,4,\n"
        "Alpha,10/01/2020,A-CA1,listened,4,\n"
        "Alpha,21/02/2020,A-SU1,listened,4,\n"
        "Alpha,10/01/2020,B-SU1,listened,4,\n"
        "Alpha,10/01/2020,A-SU9,listened,4,\n"
        "Alpha,10/01/2020,A-SU1,happy,4,\n"
        "Alpha,10/01/2020,A-SU1,understood,6,\n"
        "Alpha,10/01/2020,A-SU1,understood,,\n"
        "Alpha,10/01/2020,A-SU1,influence,3,email\n"
        "Alpha,10/01/2020,A-SU1,I felt listened to,5,phone\n"
    ))  # fmt: skip
    before, rows = snapshot(small), counted(small)
    with pytest.raises(ingest.ImportProblems) as caught:
        ingest.import_files(small, [bad])
    answer = (
        "not an answer: write 1 (strongly disagree) to 5 (strongly agree), or the scale's words (agree, neither "
        "agree nor disagree…), or prefer not to say (also 'prefer not' or PNTS); leave out the row of an item not "
        "answered"
    )
    assert [str(p) for p in caught.value.problems] == [
        "answers.csv:3:team: 'Gamma' — no such team in the study or in this import",
        "answers.csv:4:date: '11/01/2020' — no meeting of that team on that date",
        "answers.csv:5:date: '07/02/2020' — that meeting was cancelled: only a held meeting is answered about",
        "answers.csv:6:participant: 'A-ST1' — their role is nurse, not service user or carer: the questionnaire is "
        "for service users and carers alone",
        "answers.csv:7:participant: 'A-CA1' — not marked present at that meeting (recorded as absent): only those "
        "present answer about it; record them present, in the study or in this import",
        "answers.csv:8:participant: 'A-SU1' — not marked present at that meeting (recorded as apologies): only "
        "those present answer about it; record them present, in the study or in this import",
        "answers.csv:9:participant: 'B-SU1' — a member of Beta, not of Alpha",
        "answers.csv:10:participant: 'A-SU9' — no such participant in the study or in this import",
        "answers.csv:11:item: 'happy' — not an item the questionnaire asks; use one of: listened, understood, "
        "influence, come_again (by its key, or its wording as asked now)",
        f"answers.csv:12:answer: '6' — {answer}",
        f"answers.csv:13:answer: '' — {answer}",
        "answers.csv:14:via: 'email' — not a known way the answer came; use one of: review, phone, paper",
        "answers.csv:15:item: 'I felt listened to' — the same person's answer to the same item about the same "
        "meeting as row 2; keep one row",
    ]
    assert counted(small) == rows
    assert snapshot(small) == before  # the default items were not saved either


@pytest.mark.parametrize(
    ("row", "column", "reason"),
    [
        ("Gamma,10/01/2020,A-SU1,listened,4", "team", "no such team in the study or in this import"),
        ("Alpha,11/01/2020,A-SU1,listened,4", "date", "no meeting of that team on that date"),
        ("Alpha,10/01/2020,A-ST1,listened,4", "participant", "their role is nurse, not service user or carer"),
        ("Alpha,10/01/2020,A-CA1,listened,4", "participant", "not marked present at that meeting (recorded as absent)"),
        ("Alpha,10/01/2020,A-SU1,happy,4", "item", "not an item the questionnaire asks"),
        ("Alpha,10/01/2020,A-SU1,listened,6", "answer", "not an answer: write 1 (strongly disagree) to 5"),
    ],
    ids=["unknown team", "no meeting", "staff", "absent", "unknown item", "answer 6"],
)
def test_one_bad_row_is_one_problem_naming_file_row_column_and_value_and_changes_nothing(
    small: duckdb.DuckDBPyConnection, tmp_path: Path, row: str, column: str, reason: str
) -> None:
    good = "Alpha,24/01/2020,A-SU1,listened,5\n"
    before = counted(small)
    with pytest.raises(ingest.ImportProblems) as caught:
        ingest.import_files(small, [write(tmp_path, "one.csv", HEADER + good + row + "\n")])
    (problem,) = caught.value.problems
    value = row.split(",")[HEADER.strip().split(",").index(column)]
    assert (problem.file, problem.row, problem.column, problem.value) == ("one.csv", 3, column, value)
    assert problem.reason.startswith(reason)
    assert counted(small) == before


def test_the_same_answer_twice_in_one_import_names_both_rows_in_one_file_or_two(
    small: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    one = write(tmp_path, "one.csv", HEADER + "Alpha,24/01/2020,A-SU1,listened,5\n")
    two = write(tmp_path, "two.csv", HEADER + "Alpha,24/01/2020,A-CA1,listened,5\nalpha,24/01/2020,A-SU1,LISTENED,5\n")
    with pytest.raises(ingest.ImportProblems) as caught:
        ingest.import_files(small, [one, two])
    assert [str(p) for p in caught.value.problems] == [
        "two.csv:3:item: 'LISTENED' — the same person's answer to the same item about the same meeting as row 2 of "
        "one.csv; keep one row"
    ]
    assert small.execute("select count(*) from feedback_responses").fetchone() == (0,)


def test_a_different_answer_replaces_the_one_held_and_is_listed_as_changed(
    small: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    feedback.record_answers(small, 2, SU1, {"listened": 4, "influence": None}, "review")
    ingest.import_files(small, [write(tmp_path, "a.csv", HEADER + "Beta,12/02/2020,B-SU1,listened,3\n")])
    file = write(tmp_path, "b.csv", HEADER + (
        "Alpha,24/01/2020,A-SU1,listened,2\n"  # was 4: changed, still "review" (the file does not say)
        "Alpha,24/01/2020,A-SU1,influence,prefer not\n"  # the same: unchanged
        "Alpha,24/01/2020,A-CA1,listened,5\n"  # new
    ))  # fmt: skip
    preview = ingest.import_files(small, [file], dry_run=True)
    outcome = ingest.import_files(small, [file])
    for o in (preview, outcome):
        assert dict(o.counts["feedback"]) == {"created": 1, "changed": 1, "skipped": 1}
        assert [(c.table, c.record, c.column, c.before, c.after) for c in o.changes] == [
            ("feedback", "Alpha, 24/01/2020, A-SU1, listened", "answer", "the answer recorded", "the file's")
        ]
    # an answer's values are never listed against a person's code
    assert "  feedback, Alpha, 24/01/2020, A-SU1, listened: answer the answer recorded → the file's" in outcome.lines()
    assert answers_of(small, 2, SU1) == {"listened": 2, "influence": None}
    assert answers_of(small, 2, CA1) == {"listened": 5}
    assert answers_of(small, 6, B_SU1) == {"listened": 3}
    assert small.execute(
        "select via from feedback_responses where meeting_id = 2 and participant_id = ? order by item_id", [SU1]
    ).fetchall() == [("review",), ("review",)]
    # audited as the pages audit an answer: per person and meeting, the items answered, never an answer
    assert small.execute(
        "select action, row_key, before, after from audit where table_name = 'feedback_responses' order by id desc "
        "limit 2"
    ).fetchall() == [
        ("create", "meeting_id=2, participant_id=4", None, '{"items": ["listened"], "via": "paper"}'),
        (
            "change",
            "meeting_id=2, participant_id=3",
            '{"items": ["listened"]}',
            '{"items": ["listened"], "via": "review"}',
        ),
    ]
    # a via the file names is a change too
    phone = write(tmp_path, "c.csv", "team,date,participant,item,answer,via\nAlpha,24/01/2020,A-SU1,listened,2,Phone\n")
    assert dict(ingest.import_files(small, [phone]).counts["feedback"]) == {"created": 0, "changed": 1, "skipped": 0}
    assert dict(ingest.import_files(small, [phone]).counts["feedback"]) == {"created": 0, "changed": 0, "skipped": 1}


def test_items_are_those_asked_now_and_an_answer_to_an_earlier_wording_stays_as_it_is(
    small: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    """As observation.feedback keeps them: an answer keeps the version of the item it was given against."""
    feedback.record_answers(small, 1, SU1, {"listened": 4, "come_again": 5}, "paper")
    feedback.reword(small, "listened", "People listened to me")
    feedback.retire(small, "come_again")
    file = write(tmp_path, "a.csv", HEADER + "Alpha,10/01/2020,A-SU1,listened,4\n")
    assert dict(ingest.import_files(small, [file]).counts["feedback"]) == {"created": 1, "changed": 0, "skipped": 0}
    assert dict(ingest.import_files(small, [file]).counts["feedback"]) == {"created": 0, "changed": 0, "skipped": 1}
    # the current wording names it too; a different answer changes the answer to the item as asked now
    changed = write(tmp_path, "b.csv", HEADER + "Alpha,10/01/2020,A-SU1,people listened to me,3\n")
    assert dict(ingest.import_files(small, [changed]).counts["feedback"])["changed"] == 1
    assert [a[:6] for a in answers(small) if a[2] == "listened"] == [
        ("2020-01-10", "A-SU1", "listened", 1, 4, "paper"),  # the earlier wording's answer, as it was
        ("2020-01-10", "A-SU1", "listened", 2, 3, "paper"),
    ]
    # the old wording and a retired item are refused
    old = write(tmp_path, "c.csv", HEADER + (
        "Alpha,10/01/2020,A-SU1,I felt listened to,3\n"
        "Alpha,10/01/2020,A-SU1,come_again,5\n"
    ))  # fmt: skip
    with pytest.raises(ingest.ImportProblems) as caught:
        ingest.import_files(small, [old])
    assert [str(p) for p in caught.value.problems] == [
        "c.csv:2:item: 'I felt listened to' — an earlier wording of listened, asked now as “People listened to me”: "
        "write listened, or the wording as asked now",
        "c.csv:3:item: 'come_again' — the questionnaire no longer asks this item; use one of: listened, understood, "
        "influence",
    ]


def test_answers_given_on_a_phone_are_never_typed_over(small: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    link = feedback.issue_link(small, 2, SU1)
    feedback.answer_by_link(small, link.token, {"listened": 5})
    same = write(
        tmp_path, "same.csv", "team,date,participant,item,answer,via\n" + "Alpha,24/01/2020,A-SU1,listened,5,phone\n"
    )
    assert dict(ingest.import_files(small, [same]).counts["feedback"]) == {"created": 0, "changed": 0, "skipped": 1}
    before = snapshot(small)
    other = write(tmp_path, "other.csv", HEADER + (
        "Alpha,24/01/2020,A-SU1,listened,2\n"
        "Alpha,24/01/2020,A-SU1,influence,3\n"
        "Alpha,24/01/2020,A-CA1,influence,3\n"  # someone else: fine, but not written either
    ))  # fmt: skip
    with pytest.raises(ingest.ImportProblems) as caught:
        ingest.import_files(small, [other])
    said = "answered about that meeting on their own phone: their answers stay theirs, never typed over"
    assert [str(p) for p in caught.value.problems] == [
        f"other.csv:2:participant: 'A-SU1' — {said}",
        f"other.csv:3:participant: 'A-SU1' — {said}",
    ]
    assert snapshot(small) == before


def test_someone_absent_is_refused_until_the_same_import_marks_them_present(
    small: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    """The meetings, attendance and register of the same import are read first."""
    answered = write(tmp_path, "answers.csv", HEADER + "Alpha,10/01/2020,A-CA1,listened,5\n")
    with pytest.raises(ingest.ImportProblems):
        ingest.import_files(small, [answered])
    attendance = write(tmp_path, "attendance.csv", "team,date,participant,status\nAlpha,10/01/2020,A-CA1,present\n")
    outcome = ingest.import_files(small, [answered, attendance])
    assert outcome.counts["feedback"]["created"] == 1
    assert answers_of(small, 1, CA1) == {"listened": 5}


def test_a_dry_run_reports_and_writes_nothing(small: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    file = write(tmp_path, "answers.csv", HEADER + "Alpha,24/01/2020,A-SU1,listened,5\n")
    before = snapshot(small)
    outcome = ingest.import_files(small, [file], dry_run=True)
    assert outcome.counts["feedback"]["created"] == 1
    assert snapshot(small) == before


def test_the_import_is_audited_with_its_counts(small: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    ingest.import_files(small, [write(tmp_path, "answers.csv", HEADER + "Alpha,24/01/2020,A-SU1,listened,5\n")])
    assert small.execute("select action, table_name from audit order by id").fetchall() == [
        *[("create", "feedback_items")] * len(feedback.DEFAULT_ITEMS),
        ("create", "feedback_responses"),
        ("import", None),
    ]
    assert small.execute("select after from audit where action = 'import'").fetchone() == (
        '{"counts": {"feedback": {"changed": 0, "created": 1, "skipped": 0}}, "files": ["answers.csv"]}',
    )


def test_the_command_line_imports_a_file_of_answers(small_location: Path | str, tmp_path: Path) -> None:
    rows = "Alpha,24/01/2020,A-SU1,listened,5\nAlpha,24/01/2020,A-CA1,listened,4\n"
    file = write(tmp_path, "paper.csv", HEADER + rows)
    command = [sys.executable, "-m", "observation", "import", "--db", str(small_location), "--kind", "feedback"]
    for created, unchanged in ((2, 0), (0, 2)):
        result = subprocess.run([*command, str(file)], capture_output=True, text=True, cwd=ROOT, check=False)
        assert result.returncode == 0, result.stderr
        assert f"  feedback: {created} created, 0 changed, {unchanged} unchanged" in result.stdout.splitlines()
    bad = write(tmp_path, "bad.csv", HEADER + "Alpha,24/01/2020,A-ST1,listened,5\n")
    result = subprocess.run([*command, str(bad)], capture_output=True, text=True, cwd=ROOT, check=False)
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        "error: 1 problem(s); nothing was imported:",
        "bad.csv:2:participant: 'A-ST1' — their role is nurse, not service user or carer: the questionnaire is for "
        "service users and carers alone",
    ]
