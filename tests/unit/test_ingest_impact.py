"""Importing the impact log: one row per change to a team's improvement work (team, date, kind,
description, origin, [meeting_date]), checked like every kind's rows and matched to the study by
team, date and description.

The small study (tests/small_study.py): Alpha's held meetings are 10/01/2020, 24/01/2020 and
21/02/2020 (07/02/2020 was cancelled); Beta's 15/01/2020, 12/02/2020 and 11/03/2020.
"""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from observation import feedback, ingest
from observation.filters import StudyFilter
from tests.unit.test_ingest_feedback import counted, snapshot, write

pytestmark = pytest.mark.both_backends  # storage, import and audit: on both backends

ROOT = Path(__file__).resolve().parents[2]
HEADER = "team,date,kind,description,origin,meeting_date\n"


def logged(con: duckdb.DuckDBPyConnection) -> list[tuple[object, ...]]:
    """The impact log as the Team profile reads it: (team, date, kind, description, origin, meeting date)."""
    log = feedback.impact_log(con, StudyFilter())
    return [
        (r.team_name, r.entry_date.date().isoformat(), r.kind, r.description, r.origin,
         None if pd.isna(r.meeting_date) else r.meeting_date.date().isoformat())
        for r in log.sort_values(["team_name", "entry_date", "description"]).itertuples()
    ]  # fmt: skip


def test_a_file_read_by_its_headers_imports_once_and_again_changes_nothing(
    small: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    # headers as researchers write them; kinds and origins by their short words, as stored or as the log words them
    file = write(tmp_path, "changes.csv", (
        "Team name,Date of change,Type of change,What changed,From,Meeting\n"
        "Alpha,24/01/2020,change idea,Agenda sent a week before,lived experience,10/01/2020\n"
        "alpha,2020-02-21,MEASURE_CHANGED,Waiting time counted from referral,People with lived experience and "
        "staff together,21/02/2020\n"
        "Beta,01/03/2020,How meetings run changed,Meetings moved to the afternoon,staff,\n"
        "Beta,02/03/2020,other,\"A leaflet,\nrewritten with carers\",Both,12/02/2020\n"
    ))  # fmt: skip
    first = ingest.import_files(small, [file])
    assert first.read_as["changes.csv"] == (
        "impact (Team name as team, Date of change as date, Type of change as kind, What changed as description, "
        "From as origin, Meeting as meeting_date)"
    )
    assert dict(first.counts["impact"]) == {"created": 4}
    assert logged(small) == [
        ("Alpha", "2020-01-24", "change_idea", "Agenda sent a week before", "lived_experience", "2020-01-10"),
        ("Alpha", "2020-02-21", "measure_changed", "Waiting time counted from referral", "both", "2020-02-21"),
        ("Beta", "2020-03-01", "meeting_changed", "Meetings moved to the afternoon", "staff", None),
        ("Beta", "2020-03-02", "other", "A leaflet,\nrewritten with carers", "both", "2020-02-12"),
    ]
    totals = feedback.totals(feedback.experience_by_month(small, StudyFilter()),
                             feedback.impact_by_month(small, StudyFilter()))  # fmt: skip
    assert (totals.changes, totals.with_lived_experience) == (4, 3)
    before = snapshot(small)
    again = ingest.import_files(small, [file])
    assert dict(again.counts["impact"]) == {"skipped": 4}
    assert not again.changed
    assert snapshot(small) == before  # not even an audit entry


def test_every_problem_is_named_and_nothing_is_written(small: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    tomorrow = dt.date.today() + dt.timedelta(days=1)
    bad = write(tmp_path, "changes.csv", HEADER + (
        "Alpha,24/01/2020,change idea,Agenda sent a week before,lived experience,10/01/2020\n"  # good: not written
        "Gamma,24/01/2020,change idea,A,staff,\n"
        f"Alpha,{tomorrow:%d/%m/%Y},change idea,B,staff,\n"
        "Alpha,24/01/2020,change idea,,staff,\n"
        f"Alpha,24/01/2020,change idea,{'x' * 2001},staff,\n"
        "Alpha,24/01/2020,change idea,C,staff,21/02/2020\n"
        "Alpha,24/01/2020,change idea,D,staff,12/02/2020\n"
        "Alpha,24/02/2020,change idea,E,staff,07/02/2020\n"
        "Alpha,24/01/2020,a new rota,F,staff,\n"
        "Alpha,24/01/2020,other,G,the patients,\n"
        "ALPHA,24/01/2020,other,agenda sent a week before,staff,\n"
    ))  # fmt: skip
    before, rows = snapshot(small), counted(small)
    with pytest.raises(ingest.ImportProblems) as caught:
        ingest.import_files(small, [bad])
    assert [str(p) for p in caught.value.problems] == [
        "changes.csv:3:team: 'Gamma' — no such team in the study or in this import",
        f"changes.csv:4:date: '{tomorrow:%d/%m/%Y}' — after today: log a change once it has happened",
        "changes.csv:5:description: '' — must not be empty",
        f"changes.csv:6:description: '{'x' * 60}… (2,001 characters)' — 2,001 characters; at most 2,000",
        "changes.csv:7:meeting_date: '2020-02-21' — after the change (24/01/2020): the meeting where a change arose "
        "is on or before the change's date",
        "changes.csv:8:meeting_date: '2020-02-12' — no meeting of that team on that date",  # Beta's
        "changes.csv:9:meeting_date: '2020-02-07' — that meeting was cancelled: a change arises at a held meeting",
        "changes.csv:10:kind: 'a new rota' — not a known kind of change; use one of: change idea, measure changed, "
        "meeting changed, document rewritten, other (or the impact log's words: A change idea adopted, A measure "
        "changed, How meetings run changed, A document rewritten, Another change)",
        "changes.csv:11:origin: 'the patients' — not a known origin (whom the idea came from); use one of: lived "
        "experience, both, staff (or the impact log's words: People with lived experience, People with lived "
        "experience and staff together, Staff)",
        "changes.csv:12:team: 'ALPHA' — the same change (team, date and description) as row 2; keep one row",
    ]
    assert counted(small) == rows
    assert snapshot(small) == before


@pytest.mark.parametrize(
    ("row", "column", "value", "reason"),
    [
        ("Gamma,24/01/2020,other,A,staff,", "team", "Gamma", "no such team"),
        ("Alpha,24/01/2020,other,A,staff,21/02/2020", "meeting_date", "2020-02-21", "after the change"),
        ("Alpha,24/01/2020,other,A,staff,12/02/2020", "meeting_date", "2020-02-12", "no meeting of that team"),
        ("Alpha,24/01/2020,other,,staff,", "description", "", "must not be empty"),
        ("Alpha,24/01/2020,other,Agenda,staff,", "team", "Alpha", "the same change (team, date and description)"),
    ],
    ids=["unknown team", "meeting after", "meeting of another team", "empty description", "repeated"],
)
def test_one_bad_row_is_one_problem_naming_file_row_column_and_value_and_changes_nothing(
    small: duckdb.DuckDBPyConnection, tmp_path: Path, row: str, column: str, value: str, reason: str
) -> None:
    good = "Alpha,24/01/2020,change idea,Agenda,staff,\n"
    before = counted(small)
    with pytest.raises(ingest.ImportProblems) as caught:
        ingest.import_files(small, [write(tmp_path, "one.csv", HEADER + good + row + "\n")])
    (problem,) = caught.value.problems
    assert (problem.file, problem.row, problem.column, problem.value) == ("one.csv", 3, column, value)
    assert problem.reason.startswith(reason)
    assert counted(small) == before


def test_a_future_date_is_refused_and_a_change_of_today_is_not(
    small: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    today, later = dt.date.today(), dt.date.today() + dt.timedelta(days=30)
    with pytest.raises(ingest.ImportProblems) as caught:
        ingest.import_files(small, [write(tmp_path, "later.csv", HEADER + f"Alpha,{later:%d/%m/%Y},other,A,staff,\n")])
    assert [(p.column, p.value, p.reason) for p in caught.value.problems] == [
        ("date", f"{later:%d/%m/%Y}", "after today: log a change once it has happened")
    ]
    now = write(tmp_path, "today.csv", HEADER + f"Alpha,{today:%d/%m/%Y},other,A,staff,21/02/2020\n")
    assert dict(ingest.import_files(small, [now]).counts["impact"]) == {"created": 1}


def test_a_change_held_otherwise_is_changed_and_listed(small: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    feedback.record_impact(small, 1, dt.date(2020, 1, 24), "change_idea", "Agenda sent a week before", "staff", 1)
    # the same team, date and description: the kind, origin and meeting the file gives replace the log's
    file = write(tmp_path, "changes.csv", HEADER + (
        "alpha,24/01/2020,meeting changed,Agenda sent a week before,lived experience,24/01/2020\n"
    ))  # fmt: skip
    outcome = ingest.import_files(small, [file])
    assert dict(outcome.counts["impact"]) == {"changed": 1}
    assert [(c.column, c.before, c.after) for c in outcome.changes] == [
        ("kind", "A change idea adopted", "How meetings run changed"),
        ("origin", "Staff", "People with lived experience"),
        ("meeting", "10/01/2020", "24/01/2020"),
    ]
    assert {c.record for c in outcome.changes} == {"alpha, 24/01/2020, Agenda sent a week before"}
    assert logged(small) == [
        ("Alpha", "2020-01-24", "meeting_changed", "Agenda sent a week before", "lived_experience", "2020-01-24")
    ]
    (entry,) = small.execute("select id from impact_entries").fetchone() or ()
    assert small.execute(
        "select action, row_key, before, after from audit where table_name = 'impact_entries' order by id desc limit 1"
    ).fetchall() == [
        (
            "change",
            f"id={entry}",
            '{"kind": "change_idea", "meeting_id": 1, "origin": "staff"}',
            '{"kind": "meeting_changed", "meeting_id": 2, "origin": "lived_experience"}',
        )
    ]
    # a file without the meeting column leaves the meeting alone; a blank cell says there was none
    without = write(tmp_path, "without.csv", (
        "team,date,kind,description,origin\n"
        "Alpha,24/01/2020,meeting changed,Agenda sent a week before,lived experience\n"
    ))  # fmt: skip
    assert dict(ingest.import_files(small, [without]).counts["impact"]) == {"skipped": 1}
    blank = write(tmp_path, "blank.csv", HEADER + (
        "Alpha,24/01/2020,meeting changed,Agenda sent a week before,lived experience,\n"
    ))  # fmt: skip
    assert dict(ingest.import_files(small, [blank]).counts["impact"]) == {"changed": 1}
    assert logged(small)[0][-1] is None


def test_a_meeting_of_the_same_import_may_be_named(small: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    changes = write(tmp_path, "changes.csv", HEADER + "Beta,27/02/2020,other,Rota,both,26/02/2020\n")
    with pytest.raises(ingest.ImportProblems) as caught:
        ingest.import_files(small, [changes])
    (problem,) = caught.value.problems
    assert problem.reason == "that meeting was postponed: a change arises at a held meeting"
    meetings = write(tmp_path, "meetings.csv", "team,date,status\nBeta,26/02/2020,held\n")
    assert dict(ingest.import_files(small, [changes, meetings]).counts["impact"]) == {"created": 1}


def test_a_dry_run_reports_and_writes_nothing(small: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    file = write(tmp_path, "changes.csv", HEADER + "Alpha,24/01/2020,other,Rota,both,\n")
    before = snapshot(small)
    assert dict(ingest.import_files(small, [file], dry_run=True).counts["impact"]) == {"created": 1}
    assert snapshot(small) == before


def test_the_command_line_imports_a_file_of_changes(small_location: Path | str, tmp_path: Path) -> None:
    file = write(tmp_path, "log.csv", HEADER + "Alpha,24/01/2020,other,Rota,both,\nBeta,01/03/2020,other,Rota,staff,\n")
    command = [sys.executable, "-m", "observation", "import", "--db", str(small_location), "--kind", "impact"]
    for created, unchanged in ((2, 0), (0, 2)):
        result = subprocess.run([*command, str(file)], capture_output=True, text=True, cwd=ROOT, check=False)
        assert result.returncode == 0, result.stderr
        assert f"  impact: {created} created, 0 changed, {unchanged} unchanged" in result.stdout.splitlines()
