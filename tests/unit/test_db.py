"""Opening study files: a busy file, a file that is not a study, and all-or-nothing writes."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from observation import db
from observation.errors import ObservationError, StudyLockedError

pytestmark = pytest.mark.both_backends  # opening a study, and all-or-nothing writes, on both backends

HOLD = """
import sys, duckdb
con = duckdb.connect(sys.argv[1])
print("holding", flush=True)
sys.stdin.read()
"""


@pytest.fixture
def held_by_another_process(small_path: Path) -> Iterator[Path]:
    """The small study opened (and so locked) by a second Python process until the test ends."""
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(small_path)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    assert holder.stdout is not None
    assert holder.stdout.readline().strip() == "holding"
    yield small_path
    holder.communicate("", timeout=30)


def test_a_study_open_elsewhere_gives_one_line_naming_the_file(held_by_another_process: Path) -> None:
    with pytest.raises(StudyLockedError) as caught:
        db.connect(held_by_another_process)
    message = str(caught.value)
    assert str(held_by_another_process) in message
    assert "already open in another program" in message
    assert "\n" not in message


def test_the_cli_says_the_same_without_a_traceback(held_by_another_process: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "observation", "info", "--db", str(held_by_another_process)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 2
    assert result.stderr.startswith(f"error: {held_by_another_process} is already open in another program")
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_a_file_that_is_not_a_study_is_named_in_the_error(tmp_path: Path) -> None:
    bogus = tmp_path / "notes.duckdb"
    bogus.write_text("these are not the droids")
    with pytest.raises(ObservationError, match=r"notes\.duckdb"):
        db.connect(bogus)


NEW_TEAM = "insert into teams (name, service, setting, start_date) values ('New', 's', 'other', '2020-01-01')"


def add_team_twice(con: db.duckdb.DuckDBPyConnection) -> None:
    with db.transaction(con) as cur:
        cur.execute(NEW_TEAM)
        cur.execute(NEW_TEAM)


def add_team_then_fail(con: db.duckdb.DuckDBPyConnection) -> None:
    with db.transaction(con) as cur:
        cur.execute(NEW_TEAM)
        raise ValueError("changed my mind")


def test_a_failed_transaction_writes_nothing(small: db.duckdb.DuckDBPyConnection) -> None:
    before = db.table_counts(small)
    # DuckDB's words on a file; PostgreSQL's own on PostgreSQL, without the extension's wrapping
    refused = r'duplicate key ("New"|value violates unique constraint "teams_name_key")'
    with pytest.raises(ObservationError, match=rf"not saved.*{refused}") as caught:
        add_team_twice(small)
    assert "ERROR:" not in str(caught.value)
    assert db.table_counts(small) == before


def test_an_error_in_python_inside_a_transaction_also_rolls_back(small: db.duckdb.DuckDBPyConnection) -> None:
    before = db.table_counts(small)
    with pytest.raises(ValueError, match="changed my mind"):
        add_team_then_fail(small)
    assert db.table_counts(small) == before


def test_rows_added_after_explicit_ids_get_fresh_ids(small: db.duckdb.DuckDBPyConnection) -> None:
    # The small study is written with explicit ids; sync_sequences must have moved every sequence on.
    with db.transaction(small) as cur:
        cur.execute(
            "insert into teams (name, service, setting, start_date) values ('Gamma', 's', 'other', '2020-01-01')"
        )
        cur.execute("insert into meetings (team_id, meeting_date, status) values (1, '2021-01-01', 'held')")
    assert small.execute("select max(id) from teams").fetchone() == (3,)
    assert small.execute("select max(id) from meetings").fetchone() == (9,)


def test_a_duckdb_file_of_someone_elses_is_refused_and_left_untouched(tmp_path: Path) -> None:
    other = tmp_path / "other.duckdb"
    con = db.duckdb.connect(str(other))
    con.execute("create table meeting_facts (x integer)")
    con.close()
    with pytest.raises(ObservationError, match="is a DuckDB file but not a study"):
        db.connect(other)
    con = db.duckdb.connect(str(other), read_only=True)
    assert con.execute("select table_name from duckdb_tables()").fetchall() == [("meeting_facts",)]
    con.close()
