"""Opening study files: a busy file, a file that is not a study, and all-or-nothing writes."""

from __future__ import annotations

import inspect
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from observation import db
from observation.errors import ObservationError, StudyLockedError
from observation.store.postgres import Postgres
from observation.store.study_file import EncryptedStudyFile, StudyFile

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


# --- the seam: one Backend per way a study is kept -------------------------------------------

BACKEND_CLASSES = (StudyFile, EncryptedStudyFile, Postgres)


@pytest.mark.parametrize("kind", BACKEND_CLASSES, ids=lambda c: c.__name__)
def test_each_backend_implements_every_method_of_the_seam(kind: type[db.Backend]) -> None:
    # A method left to the interface would fail only when that backend is first asked for it.
    assert not inspect.isabstract(kind)
    assert db.Backend.__abstractmethods__ >= {
        "open", "prepare_cursor", "migrate", "begin_write", "after_write", "next_id", "sync_sequences", "data_version"
    }  # fmt: skip
    for name in db.Backend.__abstractmethods__:
        implemented = getattr(kind, name)
        assert implemented is not getattr(db.Backend, name), name
        assert not getattr(implemented, "__isabstractmethod__", False), name


def test_a_connection_and_its_cursors_know_their_backend(
    small: duckdb.DuckDBPyConnection, backend: str, tmp_path: Path
) -> None:
    # One typed lookup, whoever asks: the connection, a cursor, a transaction's cursor, or the
    # stand-in that db.cursor gives when it is used without ``with``.
    expected = Postgres if backend == "postgres" else StudyFile
    assert type(db.backend_of(small)) is expected
    with db.cursor(small) as cur:
        assert type(db.backend_of(cur)) is expected
    with db.transaction(small) as cur:
        assert type(db.backend_of(cur)) is expected
    stand_in = db.cursor(small)
    assert type(db.backend_of(stand_in)) is expected
    assert stand_in.execute("select count(*) from teams").fetchone() == (2,)
    stand_in.close()
    plain = duckdb.connect(str(tmp_path / "other.duckdb"))  # opened without db: a plain study file's
    assert db.backend_of(plain) is db.STUDY_FILE
    plain.close()


def test_an_encrypted_study_is_its_own_backend(small_path: Path, tmp_path: Path) -> None:
    path = tmp_path / "secret.duckdb"
    path.write_bytes(small_path.read_bytes())
    db.convert(path, None, "k")
    con = db.connect(path, key="k")
    try:
        assert type(db.backend_of(con)) is EncryptedStudyFile
        assert "k" not in repr(db.backend_of(con))
        with db.cursor(con) as cur:
            assert type(db.backend_of(cur)) is EncryptedStudyFile
            assert cur.execute("select count(*) from teams").fetchone() == (2,)
        assert db.data_version(con) == 0
    finally:
        con.close()


def test_a_read_that_fails_says_so_in_one_plain_line(small: duckdb.DuckDBPyConnection) -> None:
    # Read errors are translated once, at the cursor: callers (the CLI, the ui) catch
    # ObservationError alone, and never show DuckDB's or PostgreSQL's wrapping.
    with (
        pytest.raises(ObservationError, match=r"^the study could not be read: .*no_such_table") as caught,
        db.cursor(small) as cur,
    ):
        cur.execute("select * from no_such_table").fetchall()
    assert "\n" not in str(caught.value)
    assert "ERROR:" not in str(caught.value)
    with db.cursor(small) as cur:  # and the connection reads on
        assert cur.execute("select count(*) from teams").fetchone() == (2,)


def test_a_query_with_a_wrong_column_is_a_bug_not_an_unreadable_study(small: duckdb.DuckDBPyConnection) -> None:
    # A typo in our own SQL must fail loudly with DuckDB's error, not pass as "could not be read".
    with pytest.raises(duckdb.BinderException), db.cursor(small) as cur:
        cur.execute("select meeting_dat from meetings").fetchall()


def test_a_data_version_that_cannot_be_read_says_so_in_one_line(small: duckdb.DuckDBPyConnection, backend: str) -> None:
    # Every page asks the data version first: on PostgreSQL a failure there must not be a traceback.
    if backend != "postgres":
        pytest.skip("a study file's data version is not read from the study")
    with db.transaction(small) as cur:
        cur.execute("drop table study_changes")
    with pytest.raises(ObservationError, match=r"^the study could not be read: "):
        db.data_version(small)


def test_ids_and_the_data_version_come_from_the_backend(small: duckdb.DuckDBPyConnection, backend: str) -> None:
    before = db.data_version(small)
    with db.transaction(small) as cur:
        new = db.insert_row(
            cur, "teams", {"name": "Gamma", "service": "s", "setting": "other", "start_date": "2020-01-01"}
        )
        assert (
            db.insert_row(
                cur, "teams", {"name": "Delta", "service": "s", "setting": "other", "start_date": "2020-01-01"}
            )
            == new + 1
        )
    assert new == 3
    if backend == "postgres":
        assert db.data_version(small) > before  # every app server's caches are keyed on it
    else:
        assert db.data_version(small) == before == 0  # one process has the file, and clears its own caches


def test_a_write_keeps_the_meeting_facts_of_the_meetings_it_names(
    small: duckdb.DuckDBPyConnection, backend: str
) -> None:
    # An import names the meetings it wrote to, so that only theirs are computed again (on
    # PostgreSQL triggers have kept them already: asking changes nothing, and fails nothing).
    with db.transaction(small) as cur:
        cur.execute("update attendance set status = 'absent', participation = null where meeting_id = 1")
        db.keep_meeting_facts(cur, {1})
        if backend == "postgres":
            return
        kept = "select * from meeting_facts where meeting_id = 1"
        assert (
            cur.execute(kept).fetchall()
            == cur.execute(kept.replace("meeting_facts", "meeting_facts_computed")).fetchall()
        )
