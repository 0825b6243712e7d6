"""Importing contributions observed live: one row per contribution (team, date, minute, participant,
kind, observer), checked like every kind's rows and matched to the study as a multiset.

The small study (tests/small_study.py): Alpha's held meetings are 10/01/2020 (A-ST1, A-ST2, A-SU1 and
A-OB1 present; A-CA1 absent) and 24/01/2020 (A-ST1, A-SU1, A-CA1 present; A-ST2 apologies); 07/02/2020
was cancelled; 21/02/2020 held (A-ST1, A-ST2). Beta's B-ST1 is present at 15/01/2020.
"""

from __future__ import annotations

import subprocess
import sys
from collections import Counter
from pathlib import Path

import duckdb
import pytest

from observation import db, ingest, voice
from observation.filters import StudyFilter

pytestmark = pytest.mark.both_backends  # storage, import, export, audit and access: on both backends

ROOT = Path(__file__).resolve().parents[2]
HEADER = "team,date,minute,participant,kind,observer\n"


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def held(con: duckdb.DuckDBPyConnection) -> Counter[tuple[object, ...]]:
    """The study's contributions as a multiset: (date, code, kind, minute, observer, recorded_at)."""
    return Counter(
        con.execute(
            "select m.meeting_date::varchar, p.code, c.kind, c.minute, c.observer, c.recorded_at from contributions c "
            "join meetings m on m.id = c.meeting_id join participants p on p.id = c.participant_id"
        ).fetchall()
    )


def snapshot(con: duckdb.DuckDBPyConnection) -> dict[str, list[tuple[object, ...]]]:
    return {t: con.execute(f"select * from {t} order by all").fetchall() for t in (*db.STUDY_TABLES, "audit")}


def test_a_file_read_by_its_headers_imports_once_and_again_changes_nothing(
    small: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    # headers as researchers write them, kinds by their words or their stored value, in any case
    file = write(tmp_path, "live.csv", (
        "Team name,Date of meeting,Minute,Participant code,Contribution,Observed by\n"
        "Alpha,10/01/2020,3,A-SU1,RAISED AN AGENDA ITEM,OB-01\n"
        "alpha,2020-01-10,3,a-su1,spoke,OB-01\n"
        "Alpha,10/01/2020,3,A-SU1,Spoke,OB-01\n"
        "Alpha,10/01/2020,41,A-ST1,took_action,OB-01\n"
        "Alpha,24/01/2020,0,A-CA1,Challenged or questioned,OB-02\n"
    ))  # fmt: skip
    first = ingest.import_files(small, [file])
    assert first.read_as["live.csv"] == (
        "contributions (Team name as team, Date of meeting as date, Participant code as participant, "
        "Contribution as kind, Observed by as observer)"
    )
    assert first.counts["contributions"]["created"] == 5
    assert held(small) == Counter({
        ("2020-01-10", "A-SU1", "raised_item", 3, "OB-01", None): 1,
        ("2020-01-10", "A-SU1", "spoke", 3, "OB-01", None): 2,  # spoke twice in one minute: two contributions
        ("2020-01-10", "A-ST1", "took_action", 41, "OB-01", None): 1,
        ("2020-01-24", "A-CA1", "challenged", 0, "OB-02", None): 1,
    })  # fmt: skip
    before = snapshot(small)
    again = ingest.import_files(small, [file])
    assert (again.counts["contributions"]["created"], again.counts["contributions"]["skipped"]) == (0, 5)
    assert snapshot(small) == before  # not even an audit entry


def test_identical_rows_are_matched_as_a_multiset(small: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    row = "Alpha,10/01/2020,12,A-ST2,spoke,OB-01\n"
    ingest.import_files(small, [write(tmp_path, "one.csv", HEADER + row)])
    # three such rows where the study holds one: two more, however the rows are ordered among others
    three = write(tmp_path, "three.csv", HEADER + row + "Alpha,10/01/2020,12,A-ST2,challenged,OB-01\n" + row * 2)
    assert ingest.import_files(small, [three]).counts["contributions"]["created"] == 3  # 2 spoke, 1 challenged
    assert ingest.import_files(small, [three]).counts["contributions"]["created"] == 0
    # fewer than the study holds removes nothing; the same contribution seen by another observer is another
    other = write(tmp_path, "other.csv", HEADER + row + row.replace("OB-01", "OB-02"))
    assert dict(ingest.import_files(small, [other]).counts["contributions"]) == {"created": 1, "skipped": 1}
    assert held(small) == Counter({
        ("2020-01-10", "A-ST2", "spoke", 12, "OB-01", None): 3,
        ("2020-01-10", "A-ST2", "challenged", 12, "OB-01", None): 1,
        ("2020-01-10", "A-ST2", "spoke", 12, "OB-02", None): 1,
    })  # fmt: skip
    # two files of one import that both hold a row add it once: each is matched against the study so far
    twice = [write(tmp_path, f"{n}.csv", HEADER + "Alpha,24/01/2020,5,A-SU1,proposed change,OB-01\n") for n in "ab"]
    assert ingest.import_files(small, twice).counts["contributions"]["created"] == 1


def test_every_problem_is_named_and_nothing_is_written(small: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    bad = write(tmp_path, "live.csv", HEADER + (
        "Alpha,10/01/2020,5,A-SU1,spoke,OB-01\n"  # a good row: not written either
        "Alpha,07/02/2020,5,A-ST1,spoke,OB-01\n"
        "Alpha,10/01/2020,481,A-SU1,shouted,\n"
        "Alpha,10/01/2020,-1,A-SU1,spoke,OB-01\n"
        "Alpha,10/01/2020,5,B-ST1,spoke,OB-01\n"
        "Alpha,10/01/2020,5,A-CA1,spoke,OB-01\n"
        "Alpha,24/01/2020,5,A-ST2,spoke,OB-01\n"
        "Alpha,21/02/2020,5,A-SU9,spoke,OB-01\n"
        "Gamma,10/01/2020,5,A-ST1,spoke,OB-01\n"
        "Alpha,11/01/2020,5,A-ST1,spoke,OB-01\n"
        "Alpha,10/01/2020,five,alice,spoke,OB-01\n"
    ))  # fmt: skip
    before = snapshot(small)
    with pytest.raises(ingest.ImportProblems) as caught:
        ingest.import_files(small, [bad])
    assert [str(p) for p in caught.value.problems] == [
        "live.csv:3:date: '07/02/2020' — that meeting was cancelled: contributions are recorded at a held meeting",
        "live.csv:4:minute: '481' — must be from 0 to 480",
        "live.csv:4:kind: 'shouted' — not a known kind of contribution; use one of: Spoke, Raised an agenda item, "
        "Proposed a change, Challenged or questioned, Took an action",
        "live.csv:4:observer: '' — must not be empty",
        "live.csv:5:minute: '-1' — must be from 0 to 480",
        "live.csv:6:participant: 'B-ST1' — a member of Beta, not of Alpha",
        "live.csv:7:participant: 'A-CA1' — not marked present at that meeting (recorded as absent): record them "
        "present, in the study or in this import",
        "live.csv:8:participant: 'A-ST2' — not marked present at that meeting (recorded as apologies): record them "
        "present, in the study or in this import",
        "live.csv:9:participant: 'A-SU9' — no such participant in the study or in this import",
        "live.csv:10:team: 'Gamma' — no such team in the study or in this import",
        "live.csv:11:date: '11/01/2020' — no meeting of that team on that date",
        "live.csv:12:minute: 'five' — not a whole number",
        "live.csv:12:participant: 'alice' — not a pseudonymous code (letters, digits, '-' or '_', with at least one "
        "digit)",
    ]
    assert snapshot(small) == before


def test_someone_not_in_the_attendance_is_refused_until_the_same_import_marks_them_present(
    small: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    """The attendance, meetings and register of the same import are read first, as a note's meeting is."""
    live = write(tmp_path, "live.csv", HEADER + (
        "Beta,15/01/2020,10,B-SU1,raised an agenda item,OB-01\n"  # B-SU1 absent at it in the study
        "Beta,26/02/2020,20,B-ST1,spoke,OB-01\n"  # postponed in the study
    ))  # fmt: skip
    with pytest.raises(ingest.ImportProblems) as caught:
        ingest.import_files(small, [live])
    assert [p.column for p in caught.value.problems] == ["participant", "date"]
    attendance = write(tmp_path, "attendance.csv", (
        "team,date,participant,status,participation\n"
        "Beta,15/01/2020,B-SU1,present,contributing\n"
        "Beta,26/02/2020,B-ST1,present,contributing\n"
    ))  # fmt: skip
    meetings = write(tmp_path, "meetings.csv", "team,date,status\nBeta,26/02/2020,held\n")
    outcome = ingest.import_files(small, [live, attendance, meetings])
    assert outcome.counts["contributions"]["created"] == 2
    assert held(small) == Counter({
        ("2020-01-15", "B-SU1", "raised_item", 10, "OB-01", None): 1,
        ("2020-02-26", "B-ST1", "spoke", 20, "OB-01", None): 1,
    })  # fmt: skip
    # what the import wrote is observed live, read as the voice measures read it (docs/MEASURES.md)
    beta = voice.voice(small, StudyFilter()).of_team(2)
    assert (beta.meetings_observed_live, beta.items_raised, beta.actions_owned) == (2, 1, 0)
    assert beta.mean_voice_share == pytest.approx(0.5)  # (1/1 + 0/1) / 2


def test_a_dry_run_reports_and_writes_nothing(small: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    file = write(tmp_path, "live.csv", HEADER + "Alpha,21/02/2020,7,A-ST1,proposed_change,OB-02\n")
    before = snapshot(small)
    outcome = ingest.import_files(small, [file], dry_run=True)
    assert outcome.counts["contributions"]["created"] == 1
    assert snapshot(small) == before


def test_an_import_is_audited_per_contribution_and_changes_the_meetings_version(
    small: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    """A capture or Record page opened before the import must not save over it unseen."""
    version = "select coalesce(max(version), 0) from meeting_versions where meeting_id = 4"
    (before,) = small.execute(version).fetchone() or (0,)
    file = write(tmp_path, "live.csv", HEADER + "Alpha,21/02/2020,7,A-ST1,proposed_change,OB-02\n" * 2)
    ingest.import_files(small, [file])
    created = ("create", "contributions", "meeting_id=4, participant_id=1",
               '{"kind": "proposed_change", "minute": 7, "observer": "OB-02"}')  # fmt: skip
    imported = (
        "import",
        None,
        None,
        '{"counts": {"contributions": {"created": 2, "skipped": 0}}, "files": ["live.csv"]}',
    )
    assert small.execute("select action, table_name, row_key, after from audit order by id").fetchall() == [
        created,
        created,
        imported,
    ]
    assert small.execute(version).fetchone() == (before + 1,)


def test_the_command_line_imports_a_file_of_contributions(small_location: Path | str, tmp_path: Path) -> None:
    file = write(tmp_path, "taps.csv", HEADER + "Alpha,10/01/2020,2,A-SU1,spoke,OB-01\n" * 2)
    command = [sys.executable, "-m", "observation", "import", "--db", str(small_location), "--kind", "contributions"]
    for created, unchanged in ((2, 0), (0, 2)):
        result = subprocess.run([*command, str(file)], capture_output=True, text=True, cwd=ROOT, check=False)
        assert result.returncode == 0, result.stderr
        assert f"  contributions: {created} created, 0 changed, {unchanged} unchanged" in result.stdout.splitlines()
    bad = write(tmp_path, "bad.csv", HEADER + "Alpha,10/01/2020,2,A-CA1,spoke,OB-01\n")
    result = subprocess.run([*command, str(bad)], capture_output=True, text=True, cwd=ROOT, check=False)
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        "error: 1 problem(s); nothing was imported:",
        "bad.csv:2:participant: 'A-CA1' — not marked present at that meeting (recorded as absent): record them "
        "present, in the study or in this import",
    ]
