"""Importing spreadsheets: the example files, broken files, all-or-nothing, re-imports, damage."""

from __future__ import annotations

import io
import json
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import duckdb
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from observation import db, ingest
from observation.demo import DemoSpec, build_demo
from observation.errors import ObservationError
from observation.ingest.values import LEVELS

pytestmark = pytest.mark.both_backends  # storage, import, export, audit and access: on both backends

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "data" / "examples"


def _plain_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("hello.txt", "not a workbook")
    return buffer.getvalue()


PLAIN_ZIP = _plain_zip()
ALL_EXAMPLES = [*sorted(EXAMPLES.glob("*.csv")), EXAMPLES / "register.xlsx"]


def snapshot(con: duckdb.DuckDBPyConnection) -> dict[str, list[tuple[object, ...]]]:
    return {t: con.execute(f"select * from {t} order by all").fetchall() for t in (*db.STUDY_TABLES, "audit")}


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_the_examples_import_and_a_second_import_changes_nothing(small: duckdb.DuckDBPyConnection) -> None:
    first = ingest.import_files(small, ALL_EXAMPLES)
    assert first.counts["teams"]["created"] == 2
    assert first.counts["field_notes"]["created"] == 3
    assert small.execute("select count(*) from participants where code like 'EL-%'").fetchone() == (4,)
    assert small.execute(
        "select a.status from attendance a join participants p on p.id = a.participant_id "
        "join meetings m on m.id = a.meeting_id where p.code = 'EL-SU01' and m.meeting_date = '2023-10-17'"
    ).fetchone() == ("apologies",)  # "Apols" in the register
    before = snapshot(small)
    again = ingest.import_files(small, ALL_EXAMPLES)
    assert all(c["created"] == 0 and c["changed"] == 0 for c in again.counts.values())
    after = snapshot(small)
    assert {t: rows for t, rows in after.items() if t != "audit"} == {
        t: rows for t, rows in before.items() if t != "audit"
    }


def test_the_examples_import_into_the_tiny_demo_the_docs_start_from(tmp_path: Path) -> None:
    # docs/data.md, "Try the example files": `observation demo --teams 1 --months 1`, then every file.
    # The demo rewords a questionnaire item part-way: the examples name items as it asks them now.
    path = tmp_path / "try.duckdb"
    build_demo(path, DemoSpec(teams=1, months=1))
    con = db.connect(path)
    try:
        counts = ingest.import_files(con, ALL_EXAMPLES).counts
    finally:
        con.close()
    assert counts["feedback"]["created"] == 6
    assert counts["impact"]["created"] == 3


def test_every_write_of_an_import_is_audited(small: duckdb.DuckDBPyConnection) -> None:
    ingest.import_files(small, [EXAMPLES / "teams.csv"])
    rows = small.execute("select action, table_name, row_key from audit order by id").fetchall()
    assert rows == [
        ("create", "teams", "name=Elm community team"),
        ("create", "teams", "name=Ash ward"),
        ("import", None, None),
    ]


def test_a_dry_run_reports_and_writes_nothing(small: duckdb.DuckDBPyConnection) -> None:
    before = snapshot(small)
    outcome = ingest.import_files(small, ALL_EXAMPLES, dry_run=True)
    assert outcome.counts["teams"]["created"] == 2
    assert snapshot(small) == before


def test_progress_is_told_in_order_through_every_file_up_to_all_rows(
    small: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    rows = "\n".join(f"Team {i},community,Adult mental health,2020-01-01" for i in range(120))
    teams = write(tmp_path, "many_teams.csv", f"name,setting,service,start_date\n{rows}\n")
    heard: list[tuple[float, str]] = []
    ingest.import_files(small, [*ALL_EXAMPLES, teams], dry_run=True, progress=lambda s, w: heard.append((s, w)))
    shares = [share for share, _ in heard]
    assert shares == sorted(shares)
    assert shares[-1] == 1.0
    assert len(heard) <= 101  # at whole percents, not once per row
    assert any(re.fullmatch(r"many_teams\.csv, row \d+ of 121", where) for _, where in heard)  # header is row 1
    assert any(where.startswith("register.xlsx, row ") for _, where in heard)


def test_every_problem_in_every_file_is_listed_and_nothing_is_written(
    small: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    register = write(
        tmp_path,
        "register.csv",
        "Team,Participant,Role,05/09/2023,31/02/2023\nAlpha,A-ST1,Nurse,P,\nAlpha,alice,Wizard,maybe,\n",
    )
    attendance = write(tmp_path, "attendance.csv", "team,date,participant,status\nNowhere,99/99/2023,A-ST1,here\n")
    good = EXAMPLES / "teams.csv"
    before = snapshot(small)
    with pytest.raises(ingest.ImportProblems) as caught:
        ingest.import_files(small, [good, register, attendance])
    assert [str(p) for p in caught.value.problems] == [
        "attendance.csv:2:date: '99/99/2023' — no such date",
        "attendance.csv:2:status: 'here' — not a known attendance status; use one of: present, apologies, absent",
        "register.csv:1:31/02/2023: '31/02/2023' — no such date (a register's columns besides team, participant "
        "and role are meeting dates; leave this one out if it is not)",
        "register.csv:3:Participant: 'alice' — not a pseudonymous code (letters, digits, '-' or '_', with at least "
        "one digit)",
        "register.csv:3:Role: 'Wizard' — not a known role; use one of: Service user, Carer, Nurse, Therapist, "
        "Psychologist, Doctor, Manager, Administrator, Support worker, Coach, Observer",
    ]
    assert snapshot(small) == before  # not even the good teams file


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "the file is empty"),
        (b"\x89PNG\r\n\x1a\n\x00\x00binary", "not a CSV or XLSX spreadsheet that can be read"),
        (b"not,a,known,header\n1,2,3,4\n", "cannot tell what kind of file this is"),
        (b"\n\n\n", "there is no header row"),  # blank lines only
        (b",,,\n,,,\n", "there is no header row"),
    ],
)
def test_a_file_that_cannot_be_imported_gets_a_clear_message(
    small: duckdb.DuckDBPyConnection, tmp_path: Path, content: bytes, message: str
) -> None:
    path = tmp_path / "upload.csv"
    path.write_bytes(content)
    with pytest.raises(ObservationError, match=message):
        ingest.import_files(small, [path])


def test_spreadsheet_leftovers_are_tolerated(small: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    # a byte-order mark, mixed-case headers with spaces, stray spaces, empty trailing rows and columns
    path = tmp_path / "teams.csv"
    path.write_bytes(
        "\ufeff Name , SERVICE,Setting ,Start Date,Coach,,\n"
        "  Gamma ,Community service, COMMUNITY ,2023-01-02,,,\n"
        ",,,,,,\n".encode()
    )
    outcome = ingest.import_files(small, [path])
    assert outcome.counts["teams"]["created"] == 1
    assert small.execute("select setting from teams where name = 'Gamma'").fetchone() == ("community",)


def test_a_cell_over_two_lines_and_a_blank_row_keep_the_rows_a_spreadsheet_shows(
    small: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    # A note written over two lines is one spreadsheet row; a blank row still counts as a row.
    path = write(
        tmp_path,
        "field_notes.csv",
        'team,date,position,author,body\nAlpha,2020-01-10,3,OB-01,"First line\nsecond line"\n\n'
        "Alpha,2020-01-10,4,OB-01,\n",
    )
    with pytest.raises(ingest.ImportProblems) as refused:
        ingest.import_files(small, [path])
    assert [str(p) for p in refused.value.problems] == ["field_notes.csv:4:body: '' — must not be empty"]
    fixed = write(tmp_path, "field_notes.csv", path.read_text().replace("OB-01,\n", "OB-01,Third\n"))
    ingest.import_files(small, [fixed])
    assert small.execute("select body from field_notes where meeting_id = 1 and position = 3").fetchone() == (
        "First line\nsecond line",
    )


def test_a_note_longer_than_a_megabyte_is_read(small: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    # Arrow's reader works in 1 MB blocks; Python's takes such a file, with no 128 KB cell limit.
    long = "wörd " * 199_999  # 1.2 MB, under the 1,000,000 characters a note may have
    path = write(tmp_path, "field_notes.csv", f'team,date,position,author,body\nAlpha,2020-01-10,3,OB-01,"{long}"\n')
    ingest.import_files(small, [path])
    assert small.execute("select length(body) from field_notes where meeting_id = 1 and position = 3").fetchone() == (
        len(long.strip()),
    )


def test_a_register_in_xlsx_with_real_dates(small: duckdb.DuckDBPyConnection) -> None:
    ingest.import_files(small, [EXAMPLES / "teams.csv", EXAMPLES / "register.xlsx"])
    rows = small.execute(
        "select p.code, m.meeting_date::varchar, a.status from attendance a "
        "join participants p on p.id = a.participant_id join meetings m on m.id = a.meeting_id "
        "join teams t on t.id = m.team_id where t.name = 'Ash ward' order by all"
    ).fetchall()
    assert rows == [
        ("AS-ST01", "2023-09-21", "present"),
        ("AS-ST01", "2023-10-05", "present"),
        ("AS-SU01", "2023-09-21", "apologies"),
        ("AS-SU01", "2023-10-05", "absent"),
    ]


@pytest.mark.parametrize(
    ("mark", "status"),
    [("P", "present"), ("✓", "present"), ("present", "present"), ("A", "absent"), ("absent", "absent"),
     ("DNA", "absent"), ("apologies", "apologies"), ("Apols", "apologies"), ("", None)],
)  # fmt: skip
def test_every_register_mark(small: duckdb.DuckDBPyConnection, tmp_path: Path, mark: str, status: str | None) -> None:
    path = write(tmp_path, "register.csv", f"team,participant,role,01/04/2020\nAlpha,A-ST9,nurse,{mark}\n")
    ingest.import_files(small, [path])
    found = small.execute(
        "select a.status from attendance a join participants p on p.id = a.participant_id where p.code = 'A-ST9'"
    ).fetchone()
    assert (found[0] if found else None) == status


def test_the_cli_lists_problems_and_exits_non_zero(small_path: Path, tmp_path: Path) -> None:
    bad = write(tmp_path, "attendance.csv", "team,date,participant,status\nAlpha,2020-01-10,A-ST1,maybe\n")
    result = subprocess.run(
        [sys.executable, "-m", "observation", "import", "--db", str(small_path), str(bad)],
        capture_output=True, text=True, cwd=ROOT, check=False,
    )  # fmt: skip
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        "error: 1 problem(s); nothing was imported:",
        "attendance.csv:2:status: 'maybe' — not a known attendance status; use one of: present, apologies, absent",
    ]


def test_killing_an_import_midway_leaves_the_study_as_it_was(small_path: Path, tmp_path: Path) -> None:
    # a large register, killed with SIGKILL while it is being written
    dates = ",".join(f"{d:02d}/0{m}/2021" for m in range(1, 10) for d in range(1, 29))
    rows = "\n".join(f"Alpha,K-{i:04d},nurse," + ",".join("P" for _ in range(9 * 28)) for i in range(400))
    big = write(tmp_path, "register.csv", f"team,participant,role,{dates}\n{rows}\n")
    con = db.connect(small_path)
    before = snapshot(con)
    con.close()
    process = subprocess.Popen(
        [sys.executable, "-m", "observation", "import", "--db", str(small_path), str(big)],
        cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        process.wait(timeout=3)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
    con = db.connect(small_path)
    after = snapshot(con)
    con.close()
    if process.returncode == 0:
        pytest.skip("the import finished before it could be killed on this machine")
    assert after == before


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    st.sampled_from(sorted(EXAMPLES.glob("*.csv"))),
    st.lists(st.tuples(st.integers(0, 400), st.binary(min_size=1, max_size=5)), max_size=4),
)
def test_damaged_files_never_raise_anything_else_and_never_write_part_of_an_import(
    small_path: Path, tmp_path: Path, example: Path, damage: list[tuple[int, bytes]]
) -> None:
    data = bytearray(example.read_bytes())
    for at, junk in damage:
        data[at % max(1, len(data)) : at % max(1, len(data))] = junk
    path = tmp_path / example.name
    path.write_bytes(bytes(data))
    con = db.connect(small_path)
    try:
        before = snapshot(con)
        try:
            ingest.import_files(con, [path])
        except ObservationError:
            assert snapshot(con) == before
    finally:
        con.close()


def test_a_file_without_an_optional_column_leaves_that_column_alone(
    small: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    # m1 has 3 action items and was evaluated; a meetings file without those columns changes neither
    path = write(tmp_path, "meetings.csv", "team,date,status\nAlpha,2020-01-10,held\n")
    outcome = ingest.import_files(small, [path])
    assert outcome.counts["meetings"]["skipped"] == 1
    assert small.execute("select action_items, evaluated from meetings where id = 1").fetchone() == (3, True)


def test_a_team_is_the_same_team_whatever_the_case_of_its_name(
    small: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    path = write(
        tmp_path, "teams.csv", "name,service,setting,start_date\nALPHA,Community service,community,2020-01-01\n"
    )
    ingest.import_files(small, [path])
    assert small.execute("select count(*) from teams where lower(name) = 'alpha'").fetchone() == (1,)


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        (
            "upload.csv",
            b"team,date,Status,status\nAlpha,2020-01-10,held,held\n",
            "names the column status more than once",
        ),
        ("upload.xlsx", PLAIN_ZIP, "not a CSV or XLSX spreadsheet that can be read"),  # a zip that is no workbook
        ("upload.xlsx", b"team,date,status\n", "not an XLSX workbook that can be read"),  # CSV named .xlsx
        ("upload.xls", b"\xd0\xcf\x11\xe0 old Excel", "an .xls from an old Excel"),
        ("upload.csv", "team,date,status\nCafé,2020-01-10,held\n".encode("latin-1"), "not UTF-8 text"),
    ],
)
def test_more_files_that_cannot_be_imported(
    small: duckdb.DuckDBPyConnection, tmp_path: Path, name: str, content: bytes, message: str
) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(ObservationError, match=message):
        ingest.import_files(small, [path])


def test_an_import_does_not_move_a_participant_with_a_history(small: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    before = snapshot(small)
    moved = write(tmp_path, "participants.csv", "code,team,role\nA-SU1,Beta,service_user\nB-SU1,Beta,service_user\n")
    with pytest.raises(ingest.ImportProblems) as caught:
        ingest.import_files(small, [moved])
    (problem,) = caught.value.problems
    assert str(problem).startswith("participants.csv:2:team: 'Beta' — A-SU1 has attendance or recruitment steps")
    assert snapshot(small) == before


def test_long_attendance_creates_changes_and_keeps_rows_audited(
    small: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    # Long-format attendance is written set-based (ingest/bulk.py); what it writes, counts and
    # audits is what the row-by-row writer did, but the rows it creates are one audit entry that names
    # each (an entry per row cost as much as the row). No participation column: present people keep theirs.
    path = write(
        tmp_path,
        "attendance.csv",
        "team,date,participant,status\n"
        "Alpha,2020-01-10,A-SU1,present\n"  # as recorded: observing, kept
        "Alpha,2020-01-10,A-CA1,present\n"  # was absent
        "alpha,10/01/2020,a-st2,apologies\n"  # was present, contributing: the level goes
        ",,,\n"
        "Alpha,2020-02-07,A-ST1,present\n",  # new
    )
    versions = dict(small.execute("select meeting_id, version from meeting_versions").fetchall())
    outcome = ingest.import_files(small, [path])
    assert dict(outcome.counts["attendance"]) == {"created": 1, "changed": 2, "skipped": 1}
    assert small.execute(
        "select p.code, a.status, a.participation from attendance a join participants p on p.id = a.participant_id "
        "where a.meeting_id in (1, 3) and p.code in ('A-SU1', 'A-CA1', 'A-ST2', 'A-ST1') order by a.meeting_id, p.code"
    ).fetchall() == [
        ("A-CA1", "present", None),
        ("A-ST1", "present", "contributing"),
        ("A-ST2", "apologies", None),
        ("A-SU1", "present", "observing"),
        ("A-ST1", "present", None),
    ]
    audited = small.execute(
        "select action, row_key, before, after from audit where table_name = 'attendance' order by id"
    ).fetchall()
    ids = dict(small.execute("select code, id from participants").fetchall())

    def dumped(values: dict[str, str | None] | None) -> str | None:
        return None if values is None else json.dumps(values, sort_keys=True)

    assert audited == [
        ("change", f"meeting_id=1, participant_id={ids['A-CA1']}", dumped({"status": "absent"}),
         dumped({"status": "present"})),
        ("change", f"meeting_id=1, participant_id={ids['A-ST2']}",
         dumped({"participation": "contributing", "status": "present"}),
         dumped({"participation": None, "status": "apologies"})),
        ("create", "every row created from attendance.csv", None,
         json.dumps({"file": "attendance.csv", "rows": 1, "participant_ids by meeting_id": {"3": [ids["A-ST1"]]}},
                    sort_keys=True)),
    ]  # fmt: skip
    bumped = dict(small.execute("select meeting_id, version from meeting_versions").fetchall())
    assert {m for m in bumped if bumped[m] != versions.get(m)} == {1, 3}


def test_every_problem_of_long_attendance_is_named_and_nothing_is_written(
    small: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    path = write(
        tmp_path,
        "attendance.csv",
        "team,date,participant,status,participation\n"
        "Nowhere,2020-01-10,A-SU1,present,\n"
        "Alpha,2020-01-10,Z-XX9,present,\n"
        "Alpha,2020-01-11,A-SU1,present,\n"
        "Alpha,2020-01-10,A-ST1,absent,contributing\n"
        "Alpha,2020-01-24,A-SU1,present,\n"
        "Alpha,24/01/2020,a-su1,absent,\n"
        ",,,,\n"
        "Alpha,2020-01-10,A-SU1,present,shouting\n"
        ",2020-13-01,nobody,maybe,\n",
    )
    before = snapshot(small)
    with pytest.raises(ingest.ImportProblems) as refused:
        ingest.import_files(small, [path])
    found = [str(p) for p in refused.value.problems]
    assert found == [
        "attendance.csv:2:team: 'Nowhere' — no such team in the study or in this import",
        "attendance.csv:3:participant: 'Z-XX9' — no such participant in the study or in this import",
        "attendance.csv:4:date: '2020-01-11' — no meeting of that team on that date",
        "attendance.csv:5:participation: 'contributing' — a level is recorded only for people present",
        "attendance.csv:7:participant: 'A-SU1' — this person is already on row 6 for this meeting; keep one row",
        "attendance.csv:9:participation: 'shouting' — not a known participation level; use one of: "
        + ", ".join(LEVELS.values()),
        # a row's problems column by column, as a row-by-row import listed them
        "attendance.csv:10:team: '' — must not be empty",
        "attendance.csv:10:date: '2020-13-01' — no such date",
        "attendance.csv:10:participant: 'nobody' — not a pseudonymous code (letters, digits, '-' or '_', "
        "with at least one digit)",
        "attendance.csv:10:status: 'maybe' — not a known attendance status; use one of: present, apologies, absent",
    ]
    assert snapshot(small) == before


def test_rows_keep_their_spreadsheet_numbers_after_a_blank_line(
    small: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    for kind, text in (
        (
            "attendance.csv",
            "team,date,participant,status\nAlpha,2020-01-10,A-SU1,present\n\nAlpha,2020-01-10,A-ST1,maybe\n",
        ),
        ("meetings.csv", "team,date,status\nAlpha,2020-01-10,held\n\nAlpha,2020-01-10,maybe\n"),
    ):
        with pytest.raises(ingest.ImportProblems) as refused:
            ingest.import_files(small, [write(tmp_path, kind, text)])
        assert [(p.row, p.column) for p in refused.value.problems] == [(4, "status")], kind


def test_a_row_longer_than_the_header_is_read_not_refused(small: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    # a stray trailing comma (or a cell beyond the headers) is a spreadsheet leftover, not a broken file
    path = write(tmp_path, "attendance.csv", "team,date,participant,status\nAlpha,2020-01-10,A-CA1,present,\n")
    outcome = ingest.import_files(small, [path])
    assert dict(outcome.counts["attendance"]) == {"changed": 1}
