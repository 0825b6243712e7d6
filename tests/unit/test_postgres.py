"""A study in PostgreSQL shared by several app servers (issue 9): each connection here is its own
DuckDB, as each app server's process would have, on one PostgreSQL database. The storage,
import, export, audit and access tests run on both backends besides (both_backends modules)."""

from __future__ import annotations

import ast
import datetime as dt
import re
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import duckdb
import pytest
from streamlit.testing.v1 import AppTest

from observation import access, curate, db, export, ingest, integrity, queries, record, transfer
from observation.errors import ObservationError
from tests import postgres
from tests.small_study import build_small_study
from tests.unit.test_record import ALPHA_DETAILS, NOTES, ROSTER

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def shared(postgres_server: postgres.Server) -> str:
    """The small study in a PostgreSQL database of its own."""
    url = postgres_server.new_database()
    build_small_study(url)
    return url


@pytest.fixture
def two_servers(shared: str) -> Iterator[tuple[duckdb.DuckDBPyConnection, duckdb.DuckDBPyConnection]]:
    one, two = db.connect(shared), db.connect(shared)
    yield one, two
    one.close()
    two.close()


def everything(con: duckdb.DuckDBPyConnection) -> dict[str, list[tuple[object, ...]]]:
    with db.cursor(con) as cur:
        return {t: sorted(cur.execute(f"select * from {t}").fetchall(), key=repr) for t in db.ALL_TABLES}


def shape(con: duckdb.DuckDBPyConnection) -> dict[str, list[tuple[str, str]]]:
    """Each table's columns and types as DuckDB sees them (json is text either way)."""
    with db.cursor(con) as cur:
        rows = cur.execute(
            "select table_name, column_name, data_type from duckdb_columns() "
            "where database_name = current_database() and schema_name = current_schema() order by column_index"
        ).fetchall()
    found: dict[str, list[tuple[str, str]]] = {}
    for table, column, kind in rows:
        found.setdefault(table, []).append((column, "VARCHAR" if kind == "JSON" else kind))
    return found


def test_a_postgresql_study_has_the_shape_of_a_study_file(shared: str, tmp_path: Path) -> None:
    build_small_study(tmp_path / "small.duckdb")
    file, pg = db.connect(tmp_path / "small.duckdb"), db.connect(shared)
    try:
        on_file, on_postgres = shape(file), shape(pg)
        # Only PostgreSQL's change counter (the app servers' cache key) is its own, and the file's
        # view that its meeting_facts table is kept from (PostgreSQL keeps it by triggers).
        assert on_postgres.pop("study_changes") == [("id", "INTEGER"), ("version", "BIGINT")]
        assert on_file.pop("meeting_facts_computed") == on_file["meeting_facts"]
        assert on_postgres == on_file
        with db.cursor(file) as a, db.cursor(pg) as b:
            applied = "select name from migrations order by name"
            assert a.execute(applied).fetchall() == b.execute(applied).fetchall()
    finally:
        file.close()
        pg.close()


def test_a_new_migration_reaches_postgresql_by_its_own_half_and_a_failed_one_leaves_it_as_it_was(
    shared: str, tmp_path: Path
) -> None:
    # Each migration is written once as a pair: the PostgreSQL half runs in PostgreSQL itself, in
    # the transaction that records it, and both backends still end in one shape.
    build_small_study(tmp_path / "small.duckdb")
    file, pg = db.connect(tmp_path / "small.duckdb"), db.connect(shared)
    try:
        colour = db.Migration(
            "0099_team_colour",
            duckdb="alter table teams add column colour varchar",
            postgres="alter table teams add column colour varchar",
        )
        broken = db.Migration("0100_broken", duckdb="select 1", postgres="alter table no_such_table add column x int")
        with pytest.raises(ObservationError, match="no_such_table"):
            db.migrate(pg, (*db.MIGRATIONS, colour, broken))
        with db.cursor(pg) as cur:
            assert cur.execute("select count(*) from migrations where name like '0099%'").fetchone() == (0,)
        assert db.migrate(pg, (*db.MIGRATIONS, colour)) == ["0099_team_colour"]
        assert db.migrate(file, (*db.MIGRATIONS, colour)) == ["0099_team_colour"]
        on_file, on_postgres = shape(file), shape(pg)
        assert ("colour", "VARCHAR") in on_postgres["teams"]
        on_postgres.pop("study_changes")
        on_file.pop("meeting_facts_computed")
        assert on_postgres == on_file
    finally:
        file.close()
        pg.close()


def test_an_edit_through_one_server_is_read_by_the_other(
    two_servers: tuple[duckdb.DuckDBPyConnection, duckdb.DuckDBPyConnection],
) -> None:
    one, two = two_servers
    before = db.data_version(two)
    assert queries.study_info(two) is not None
    assert db.data_version(two) == before  # reading changes nothing
    access.record_sign_in(one, access.local_researcher(), "someone@example.org")
    assert db.data_version(two) == before  # nor does the audit trail of a sign-in
    record.save_meeting(one, None, ALPHA_DETAILS, ROSTER, NOTES, seen_version=0, who="R01")
    assert db.data_version(two) > before  # the other server's caches are keyed on this
    with db.cursor(two) as cur:
        assert cur.execute(
            "select count(*) from meetings where meeting_date = ?", [ALPHA_DETAILS.meeting_date]
        ).fetchone() == (1,)


def save_in_another_process(
    url: str, meeting_id: int, seen: int, who: str, *, items: int = 0, step_reason: int | None = None
) -> subprocess.Popen[str]:
    """Another app server's process, connected and with the meeting loaded when this returns: it
    saves meeting ``meeting_id`` (setting action_items, or adding a recruitment step with
    ``step_reason``) from ``seen`` when told to (``go``), then prints "saved" or why not."""
    process = subprocess.Popen(
        [sys.executable, "-c", "from tests.unit.test_postgres import _save; _save()",
         url, str(meeting_id), str(seen), who, str(items), str(step_reason or "")],
        cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert process.stdout is not None
    assert process.stdout.readline().strip() == "ready", process.stderr.read() if process.stderr else ""
    return process


def go(process: subprocess.Popen[str]) -> None:
    assert process.stdin is not None
    process.stdin.write("go\n")
    process.stdin.flush()


def _save() -> None:
    url, meeting_id, seen, who, items, reason = sys.argv[1:]
    con = db.connect(url)
    with access.acting_as(access.local_researcher()):
        loaded = record.load(con, int(meeting_id))
        assert loaded is not None
        details, recruitment = loaded.details, list(loaded.recruitment)
        if reason:
            recruitment.append(record.RecruitmentStep(participant_id=3, stage="withdrew", reason_code_id=int(reason)))
        else:
            details = details.model_copy(update={"action_items": int(items)})
        print("ready", flush=True)
        sys.stdin.readline()
        try:
            record.save_meeting(con, int(meeting_id), details, ROSTER[:3] if not reason else [], list(loaded.notes),
                                int(seen), who=who, recruitment=recruitment)  # fmt: skip
            print("saved")
        except ObservationError as exc:
            print(exc)
    con.close()


def waiting_for_the_write_lock(url: str, count: int) -> None:
    """Wait until ``count`` other connections wait for the write lock (db.begin's advisory lock)."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        found = postgres.psql(url, "select count(*) from pg_locks where locktype = 'advisory' and not granted")
        if int(found) == count:
            return
        time.sleep(0.2)
    raise AssertionError(f"{count} writers never waited for the write lock")


def test_two_servers_saving_one_meeting_at_once_never_both_win(shared: str) -> None:
    """Two server processes save the same meeting from the same version. This process holds the
    write lock until both are waiting for it, so they go at once whatever the machine's speed:
    one is saved, the other refused with who saved it."""
    con = db.connect(shared)
    meeting_id = record.save_meeting(con, None, ALPHA_DETAILS, ROSTER[:3], NOTES, seen_version=0, who="R00")
    for round_ in range(3):
        seen = record.version(con, meeting_id)
        saves = {f"R01-{round_}": 11, f"R02-{round_}": 22}
        running = {who: save_in_another_process(shared, meeting_id, seen, who, items=n) for who, n in saves.items()}
        with db.transaction(con):
            for process in running.values():
                go(process)
            waiting_for_the_write_lock(shared, 2)
        outcome = {who: p.communicate(timeout=120)[0].strip() for who, p in running.items()}
        winners = [who for who, said in outcome.items() if said == "saved"]
        assert len(winners) == 1, outcome
        (loser,) = set(saves) - set(winners)
        assert "saved this meeting" in outcome[loser]  # the Conflict, naming who, not a database error
        with db.cursor(con) as cur:
            assert cur.execute("select action_items from meetings where id = ?", [meeting_id]).fetchone() == (
                saves[winners[0]],
            )
            assert cur.execute("select count(*) from audit where actor = ?", [loser]).fetchone() == (0,)
        assert record.version(con, meeting_id) == seen + 1
    con.close()


def test_writes_of_two_servers_take_turns_so_a_reference_cannot_slip_past_a_delete(shared: str) -> None:
    """As test_integrity's two sessions of one app, but from two app servers: one removes a code
    (not yet committed) while the other saves a recruitment step giving that code as its reason.
    The second waits for the first, sees the code gone and is refused."""
    con = db.connect(shared)
    code = curate.add_code(con, None, curate.CodeEntry(name="Spare"), who="R01")
    other = save_in_another_process(shared, 1, record.version(con, 1), "R02", step_reason=code)
    with db.transaction(con) as cur:
        cur.execute("delete from codes where id = ?", [code])
        go(other)
        waiting_for_the_write_lock(shared, 1)  # its save waits for this write to finish
    said, problems = other.communicate(timeout=120)
    assert "recruitment_events name a reason_code_id that is not in codes" in said, problems
    with db.cursor(con) as cur:
        assert integrity.dangling(cur) == []
    con.close()


def test_a_refused_import_on_postgresql_writes_nothing_and_a_good_one_is_seen_by_both(
    two_servers: tuple[duckdb.DuckDBPyConnection, duckdb.DuckDBPyConnection], tmp_path: Path
) -> None:
    one, two = two_servers
    good = tmp_path / "attendance.csv"
    good.write_text("team,date,participant,status\nAlpha,2020-01-10,A-CA1,present\n")
    bad = tmp_path / "more.csv"
    bad.write_text("team,date,participant,status\nAlpha,2020-01-10,A-SU1,maybe\n")
    before = everything(two)
    with pytest.raises(ingest.ImportProblems):
        ingest.import_files(one, [good, bad])
    assert everything(two) == before
    ingest.import_files(one, [good])
    with db.cursor(two) as cur:
        assert cur.execute(
            "select a.status from attendance as a join participants as p on p.id = a.participant_id "
            "where p.code = 'A-CA1' and a.meeting_id = 1"
        ).fetchone() == ("present",)


def test_a_study_goes_to_postgresql_and_back_with_every_row(
    postgres_server: postgres.Server, small_path: Path, tmp_path: Path
) -> None:
    con = db.connect(small_path)
    record.save_meeting(con, None, ALPHA_DETAILS, ROSTER, NOTES, seen_version=0, who="R01")  # audit, versions
    access.grant(con, "coach@example.org", "coach", [1])
    original = everything(con)
    con.close()
    url = postgres_server.new_database()

    copied = transfer.copy_study(small_path, url)
    back = tmp_path / "back.duckdb"
    transfer.copy_study(url, back)

    assert copied["attendance"] == len(original["attendance"])
    for there in (url, back):
        con = db.connect(there)
        try:
            found = everything(con)
            trail = found.pop("audit")
            assert found == {t: rows for t, rows in original.items() if t != "audit"}
            assert trail[: len(original["audit"])] == original["audit"]  # then the copy itself, audited
            assert [row[3] for row in trail[len(original["audit"]) :]] == ["import"] * (1 if there == url else 2)
            # new rows get ids after the copied ones
            new_id = record.save_meeting(
                con, None, ALPHA_DETAILS.model_copy(update={"meeting_date": dt.date(2021, 1, 1)}), [], [], 0, who="R02"
            )
            assert new_id > max(row[0] for row in original["meetings"])  # type: ignore[operator]
        finally:
            con.close()


def test_a_copy_goes_only_into_an_empty_database_or_a_new_file(shared: str, small_path: Path) -> None:
    con = db.connect(shared)
    before = everything(con)
    con.close()
    with pytest.raises(ObservationError, match="already holds study"):
        transfer.copy_study(small_path, shared)
    with pytest.raises(ObservationError, match="already exists"):
        transfer.copy_study(shared, small_path)
    with pytest.raises(ObservationError, match="the same study"):
        transfer.copy_study(shared, shared)
    con = db.connect(shared)
    assert everything(con) == before
    con.close()


def test_a_password_in_the_location_never_shows() -> None:
    port = postgres.free_port()  # nothing listens there
    with pytest.raises(ObservationError) as caught:
        db.connect(f"postgresql://someone:s3cret-w0rd@127.0.0.1:{port}/study")
    assert "s3cret-w0rd" not in str(caught.value)
    assert f"postgresql://someone:***@127.0.0.1:{port}/study" in str(caught.value)
    with pytest.raises(ObservationError, match="backup works on study files") as caught:
        export.backup("postgresql://u:s3cret-w0rd@127.0.0.1/x", Path("out.duckdb"))
    assert "s3cret-w0rd" not in str(caught.value)
    with pytest.raises(ValueError, match="is not a study location") as refused:  # a mistyped scheme
        db.location("postgresq://u:s3cret-w0rd@127.0.0.1/x")
    assert "s3cret-w0rd" not in str(refused.value)


def test_opening_a_postgresql_study_again_changes_nothing(shared: str) -> None:
    """Every app server and command opens the study (and brings its shape up to date): that must
    not rewrite the meeting facts nor tell the other servers to drop their caches."""
    con = db.connect(shared)
    version = db.data_version(con)
    facts = everything_in(con, "meeting_facts")
    db.connect(shared).close()
    db.connect(shared, read_only=True).close()
    assert db.data_version(con) == version
    assert everything_in(con, "meeting_facts") == facts
    con.close()


def everything_in(con: duckdb.DuckDBPyConnection, table: str) -> list[tuple[object, ...]]:
    with db.cursor(con) as cur:
        return cur.execute(f"select * from {table} order by all").fetchall()


def test_every_cached_read_is_keyed_on_the_data_version() -> None:
    """Streamlit leaves a parameter named with a leading underscore out of a cache's key: the data
    version must not be one, or an edit made through another server would never be read."""
    found = []
    for path in (Path(db.__file__).parent / "ui").glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef) and any("cache_data" in ast.unparse(d) for d in node.decorator_list):
                found.append((node.name, [a.arg for a in node.args.args]))
    assert len(found) >= 5
    assert all("version" in arguments for _, arguments in found), found


def test_a_database_with_other_tables_is_not_taken_for_a_study(postgres_server: postgres.Server) -> None:
    url = postgres_server.new_database()
    postgres.psql(url, "create table invoices (id integer)")
    with pytest.raises(ObservationError, match="is a PostgreSQL database but not a study"):
        db.connect(url)
    postgres.psql(url, "select 1 from invoices")  # still there, and nothing of ours beside it


def test_reading_an_empty_database_says_it_holds_no_study(postgres_server: postgres.Server) -> None:
    url = postgres_server.new_database()
    with pytest.raises(ObservationError, match="holds no study yet: copy one in with python -m observation migrate"):
        db.connect(url, read_only=True)
    assert postgres.psql(url, "select count(*) from pg_tables where schemaname = 'public'").strip() == "0"


@pytest.mark.parametrize(
    ("given", "shown"),
    [
        ("postgresql://u:pw@h:5432/db", "postgresql://u:***@h:5432/db"),
        ("postgres://u:p@ss/w@h/db", "postgres://u:***@h/db"),  # an unencoded '@' and '/' in the password
        ("postgresql://u@h/db?password=pw&sslmode=require", "postgresql://u@h/db?password=***&sslmode=require"),
        ('Unable to connect to Postgres at "postgresql://u:pw@h/db": failed', 'Unable to connect to Postgres at '
         '"postgresql://u:***@h/db": failed'),
        ("postgresql://u@h/db", "postgresql://u@h/db"),
        ("data/study.duckdb", "data/study.duckdb"),
    ],
)  # fmt: skip
def test_a_password_is_hidden_wherever_a_location_is_shown(given: str, shown: str) -> None:
    assert db.shown(given) == shown


LIVE_FACTS = re.search(r"create or replace view meeting_facts_computed as(.*?);", db.SCHEMA_SQL, re.S).group(1)  # type: ignore[union-attr]


def facts_differ(con: duckdb.DuckDBPyConnection) -> int:
    """Rows where PostgreSQL's kept meeting_facts and the study file's view, computed afresh from
    the same rows, disagree (either way)."""
    with db.cursor(con) as cur:
        (differ,) = cur.execute(  # type: ignore[misc]
            f"with live as ({LIVE_FACTS}) select count(*) from ("
            "(from live except all from meeting_facts) union all (from meeting_facts except all from live))"
        ).fetchone()
    return int(differ)


def test_postgresql_keeps_the_meeting_facts_right_whoever_writes(shared: str) -> None:
    # The app's own writes are checked on both backends in tests/unit/test_meeting_facts.py; here,
    # writes made straight into PostgreSQL, which its triggers alone see.
    con = db.connect(shared)
    assert facts_differ(con) == 0
    steps: list[tuple[str, Callable[[], object]]] = [
        ("a level's rank changed", lambda: postgres.psql(shared, "update participation_levels set rank = 9 "
                                                                 "where code = 'observing'")),
        ("a role no longer counted as lived experience", lambda: postgres.psql(
            shared, "update role_categories set lived_experience = false where code = 'carer'")),
        ("someone's marks and then they removed", lambda: postgres.psql(
            shared, "delete from attendance where participant_id = 5; delete from participants where id = 5")),
        ("a meeting's attendance removed", lambda: postgres.psql(
            shared, "delete from attendance where meeting_id = 1")),
    ]  # fmt: skip
    for what, step in steps:
        step()
        assert facts_differ(con) == 0, what
    with db.cursor(con) as cur:  # and the steps did change facts, so the check had something to catch
        assert cur.execute("select attendance_recorded from meeting_facts where meeting_id = 1").fetchone() == (False,)
    con.close()


@pytest.fixture
def version_asks(shared: str, monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The app on the shared study, with every time it asks PostgreSQL for the data version noted."""
    asked: list[int] = []
    real = db.data_version

    def counted(con: duckdb.DuckDBPyConnection) -> int:
        asked.append(1)
        return real(con)

    monkeypatch.setattr(db, "data_version", counted)
    monkeypatch.setenv("OBSERVATION_DB", shared)
    return asked


def test_a_page_asks_for_the_data_version_once_a_run_and_reads_an_edit_on_the_next(
    shared: str, version_asks: list[int]
) -> None:
    """Every cached read is keyed on the data version, a round trip to PostgreSQL: a rerun asks
    once, however many reads it makes, and the next rerun asks again and reads another server's edit."""
    at = AppTest.from_file(str(ROOT / "pages" / "overview.py"), default_timeout=60).run()
    held = int(next(m.value for m in at.metric if m.label == "Meetings held"))
    version_asks.clear()
    at.run()
    assert len(version_asks) == 1
    first_held = "select min(id) from meetings where status = 'held'"
    postgres.psql(shared, f"update meetings set status = 'cancelled' where id = ({first_held})")  # another server
    at.run()
    assert not at.exception
    assert int(next(m.value for m in at.metric if m.label == "Meetings held")) == held - 1


def test_a_write_makes_the_rest_of_its_run_ask_for_the_data_version_again(version_asks: list[int]) -> None:
    """After this process writes (ui.study_changed, as every page's save does), a read later in the
    same run must not reuse the version asked before the write: another session may have cached
    the old rows under it meanwhile."""

    def page() -> None:
        from observation import ui

        ui.shared_sidebar("overview")
        ui.study_info()
        ui.study_info()
        ui.study_changed()
        ui.study_info()

    at = AppTest.from_function(page, default_timeout=60).run()
    version_asks.clear()
    at.run()
    assert not at.exception
    assert len(version_asks) == 2
