"""meeting_facts, the one row per meeting every page reads, is kept equal to what the rows give
(schema.sql's view meeting_facts_computed) through every kind of write: on a study file by each
write transaction before it commits (db.keep_meeting_facts), on PostgreSQL by triggers."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import duckdb
import pytest

from observation import access, curate, db, ingest, record
from tests.unit.test_ingest import write
from tests.unit.test_postgres import facts_differ
from tests.unit.test_record import ALPHA_DETAILS, NOTES, ROSTER


@pytest.mark.both_backends
def test_the_facts_follow_every_write_the_app_makes(small: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    con = small
    assert facts_differ(con) == 0
    away = [e.model_copy(update={"status": "absent", "participation": None}) for e in ROSTER[:2]]
    steps: list[tuple[str, Callable[[], object]]] = [
        ("a new meeting saved", lambda: record.save_meeting(con, None, ALPHA_DETAILS, ROSTER, NOTES, 0, who="R01")),
        ("its attendance changed", lambda: record.save_meeting(con, 9, ALPHA_DETAILS, away, NOTES,
                                                               record.version(con, 9), who="R01")),
        ("attendance imported", lambda: ingest.import_files(con, [write(tmp_path, "attendance.csv",
            "team,date,participant,status,participation\nAlpha,2020-01-10,A-CA1,present,co_leading\n"
            "Beta,2020-03-11,B-SU1,present,observing\n")])),
        ("someone's role changed", lambda: curate.save_rows(
            con, "participants", [(2, curate.ParticipantEntry(code="A-ST2", team_id=1, role="carer"))], who="R01")),
        ("a meeting deleted", lambda: curate.delete_meeting(con, 2, record.version(con, 2), who="R01")),
        ("a meeting's status changed", lambda: ingest.import_files(con, [write(tmp_path, "meetings.csv",
            "team,date,status\nAlpha,2020-01-10,cancelled\n")])),
    ]  # fmt: skip
    for what, step in steps:
        before = facts(con)
        step()
        assert facts_differ(con) == 0, what
        assert facts(con) != before, what  # the step changed facts: the check had something to catch
    with db.cursor(con) as cur:
        assert cur.execute("select count(*) from meeting_facts").fetchone() == (8,)  # 8 meetings: +1, -1


@pytest.mark.both_backends
def test_a_refused_write_leaves_the_facts_as_they_were(small: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    before = facts(small)
    broken = write(tmp_path, "attendance.csv", "team,date,participant,status\nAlpha,2020-01-10,A-CA1,present\n"
                 "Alpha,2020-01-10,Z-XX9,present\n")  # fmt: skip
    with pytest.raises(ingest.ImportProblems):
        ingest.import_files(small, [broken])
    assert facts(small) == before


@pytest.mark.both_backends
def test_an_import_rewrites_the_facts_of_the_meetings_it_wrote_and_no_others(
    small: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    """An import keeps the facts of the meetings it wrote to alone (facts.refresh over their range
    of ids), not every meeting's: a scope too narrow would leave a meeting it wrote stale, so each
    case here changes the facts at the ends of the range, and the meetings outside it must not move."""
    before = meeting_facts(small)
    # one meeting: B-SU1's level at m6 recorded
    ingest.import_files(small, [write(tmp_path, "one.csv", "team,date,participant,status,participation\n"
                                      "Beta,2020-02-12,B-SU1,present,co_leading\n")])  # fmt: skip
    after = meeting_facts(small)
    assert facts_differ(small) == 0
    assert after[6] != before[6]
    assert {m: f for m, f in after.items() if m != 6} == {m: f for m, f in before.items() if m != 6}

    # a person moved between meetings by a second file: away from m5 (present, now absent) and to
    # m8 (held, nobody recorded): both meetings' facts change, m5 and m8 the ends of the range
    moved_csv = "team,date,participant,status,participation\nBeta,2020-01-15,B-ST1,absent,\n" \
                "Beta,2020-03-11,B-ST1,present,contributing\n"  # fmt: skip
    ingest.import_files(small, [write(tmp_path, "moved.csv", moved_csv)])
    moved = meeting_facts(small)
    assert facts_differ(small) == 0
    assert moved[5] != after[5]
    assert moved[8] != after[8]
    assert moved[8][-1] is True  # m8's attendance is recorded now
    assert {m: f for m, f in moved.items() if m not in {5, 8}} == {m: f for m, f in after.items() if m not in {5, 8}}


@pytest.mark.both_backends
def test_an_import_that_changes_a_role_counts_every_meeting_of_that_person_again(
    small: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    # A role is counted in the facts of every meeting the person attended, which the import wrote
    # none of: its scope cannot be the meetings it wrote.
    before = meeting_facts(small)
    ingest.import_files(small, [write(tmp_path, "participants.csv", "code,team,role\nA-ST2,Alpha,carer\n")])
    assert facts_differ(small) == 0
    assert meeting_facts(small)[1] != before[1]


def test_rows_changed_outside_the_app_are_counted_again_when_the_file_is_next_opened(
    small_location: Path | str,
) -> None:
    # A study file only: on PostgreSQL, triggers keep the facts whoever writes (tests/unit/test_postgres.py).
    outside = duckdb.connect(str(small_location))  # someone's own DuckDB session, not the app
    outside.execute("update attendance set status = 'absent', participation = null where meeting_id = 2")
    outside.close()
    con = db.connect(small_location)
    try:
        assert facts_differ(con) == 0
        with db.cursor(con) as cur:
            assert cur.execute("select present_total from meeting_facts where meeting_id = 2").fetchone() == (0,)
    finally:
        con.close()


def facts(con: duckdb.DuckDBPyConnection) -> list[tuple[object, ...]]:
    with db.cursor(con) as cur:
        return cur.execute("from meeting_facts order by meeting_id").fetchall()


def meeting_facts(con: duckdb.DuckDBPyConnection) -> dict[object, tuple[object, ...]]:
    """Each meeting's facts, by its id."""
    return {row[0]: row[1:] for row in facts(con)}


def test_a_write_of_an_audit_entry_alone_recomputes_no_meeting(small: duckdb.DuckDBPyConnection) -> None:
    # A refusal, a sign-in or a download's audit entry touches no meeting: recomputing every
    # meeting's facts for it (a tenth of a second at national scale) would be spent on every click.
    small.execute("delete from meeting_facts where meeting_id = 1")  # out of step, on purpose
    with pytest.raises(access.AccessDenied), access.acting_as(COACH):
        access.require_teams((2,), "a read", small)  # refused: an audit entry written
    assert small.execute("select count(*) from meeting_facts where meeting_id = 1").fetchone() == (0,)
    with db.transaction(small) as cur:  # a write that may touch any meeting brings them all up to date
        cur.execute("update teams set service = service")
    assert small.execute("select count(*) from meeting_facts where meeting_id = 1").fetchone() == (1,)


COACH = access.Identity(email="coach@example.org", role="coach", teams=frozenset({1}))
