"""The schema enforces what it can, is idempotent, and upgrades existing files in place."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import duckdb
import pytest

from observation import db
from observation.errors import ObservationError
from tests import postgres

pytestmark = pytest.mark.both_backends  # every measure read the same from PostgreSQL


def test_opening_a_study_twice_changes_nothing(small_path: Path) -> None:
    con = db.connect(small_path)
    before = db.table_counts(con)
    assert db.migrate(con) == []  # nothing left to apply
    db.migrate(con)
    assert db.table_counts(con) == before
    con.close()


def test_a_new_migration_upgrades_an_existing_file_in_place(small_path: Path) -> None:
    con = db.connect(small_path)
    room = "alter table meetings add column room varchar"
    later = (*db.MIGRATIONS, db.Migration("0099_meeting_room", duckdb=room, postgres=room))
    assert db.migrate(con, later) == ["0099_meeting_room"]
    assert db.migrate(con, later) == []  # recorded: never applied twice
    assert con.execute("select count(*) from meetings where room is null").fetchone() == (8,)
    names = [n for (n,) in con.execute("select name from migrations order by name").fetchall()]
    assert names == [*(m.name for m in db.MIGRATIONS), "0099_meeting_room"]
    con.close()


def test_a_failed_migration_leaves_the_file_as_it_was(small_path: Path) -> None:
    con = db.connect(small_path)
    region = "alter table teams add column region varchar"
    broken = (*db.MIGRATIONS, db.Migration("0099_ok", region, region), db.Migration("0100_bad", "select x", "select x"))
    with pytest.raises(ObservationError):
        db.migrate(con, broken)
    columns = [
        c for (c,) in con.execute("select column_name from duckdb_columns() where table_name = 'teams'").fetchall()
    ]
    assert "region" not in columns
    assert con.execute("select count(*) from migrations").fetchone() == (len(db.MIGRATIONS),)
    con.close()


def test_every_migration_is_written_for_both_backends() -> None:
    # A migration is one change made twice, once in each dialect: a study file and a PostgreSQL
    # study must end in the same shape (test_postgres.py compares them), so neither half may be
    # left out, nor left blank.
    for migration in db.MIGRATIONS:
        for half in (migration.duckdb, migration.postgres):
            assert callable(half) or half is db.IN_POSTGRES_BASELINE or (isinstance(half, str) and half.strip())
    with pytest.raises(TypeError):
        db.Migration("0099_colour", "alter table teams add column colour varchar")  # type: ignore[call-arg]
    with pytest.raises(ValueError, match="0099_colour: its postgres half is missing"):
        db.Migration("0099_colour", "alter table teams add column colour varchar", " ")


def test_only_the_migrations_before_postgresql_studies_existed_are_in_its_baseline() -> None:
    # schema_postgres.sql starts in the shape of 0007: a later migration that claimed to be in it
    # would never reach a PostgreSQL study.
    baseline = [m.name for m in db.MIGRATIONS if m.postgres is db.IN_POSTGRES_BASELINE]
    assert baseline == [m.name for m in db.MIGRATIONS[: len(baseline)]]
    assert baseline[-1] == "0007_audit_access_actions"
    assert "0007_audit_access_actions" in db.POSTGRES_SCHEMA_SQL  # named there as its starting shape
    assert len({m.name for m in db.MIGRATIONS}) == len(db.MIGRATIONS)
    assert [m.name for m in db.MIGRATIONS] == sorted(m.name for m in db.MIGRATIONS)


@pytest.mark.parametrize(
    ("why", "sql", "reason"),
    [
        (
            "a name is not a pseudonymous code",
            "insert into participants (code, team_id, role) values ('Alice', 1, 'carer')",
            "table participants with expression CHECK((regexp_full_match(code",
        ),
        (
            "codes are upper case",
            "insert into participants (code, team_id, role) values ('su-09', 1, 'carer')",
            "table participants with expression CHECK((regexp_full_match(code",
        ),
        (
            "codes are unique in the study",
            "insert into participants (code, team_id, role) values ('A-SU1', 2, 'carer')",
            'Duplicate key "code: A-SU1"',
        ),
        (
            "setting is from a fixed list",
            "insert into teams (name, service, setting, start_date) values ('G', 's', 'mars', '2020-01-01')",
            "table teams with expression CHECK((setting IN",
        ),
        (
            "one meeting per team per day",
            "insert into meetings (team_id, meeting_date, status) values (1, '2020-01-10', 'held')",
            'Duplicate key "team_id: 1, meeting_date: 2020-01-10"',
        ),
        (
            "status is from a fixed list",
            "insert into meetings (team_id, meeting_date, status) values (1, '2021-01-10', 'maybe')",
            "table meetings with expression CHECK((status IN",
        ),
        (
            "format is from a fixed list",
            "insert into meetings (team_id, meeting_date, status, format) values (1, '2021-01-10', 'held', 'pub')",
            "table meetings with expression CHECK((format IN",
        ),
        (
            "only present people have a participation level",
            "update attendance set participation = 'observing' where meeting_id = 1 and participant_id = 4",
            "table attendance with expression CHECK(((participation IS NULL)",
        ),
        (
            "attendance is once per person per meeting",
            "insert into attendance values (1, 1, 'present', null)",
            'Duplicate key "meeting_id: 1, participant_id: 1"',
        ),
        (
            "a role is filled once per meeting",
            "insert into meeting_roles values (4, 'leader', 1), (4, 'leader', 2)",
            'duplicate key "4, leader"',
        ),
        (
            "roles are the four meeting roles",
            "insert into meeting_roles values (1, 'chair', 1)",
            'table meeting_roles with expression CHECK(("role" IN',
        ),
        (
            "a note has text",
            "insert into field_notes (meeting_id, position, author, body) values (1, 9, 'OB-1', '  ')",
            "table field_notes with expression CHECK((length(",
        ),
        (
            "a segment codes a note or an interview, not neither",
            "insert into codes (slug, name) values ('x', 'X');"
            "insert into coded_segments (code_id, coder) values (currval('codes_id_seq'), 'R1')",
            "table coded_segments with expression CHECK(((note_id IS NULL)",
        ),
        (
            "a span ends after it starts",
            "insert into field_notes (meeting_id, position, author, body) values (1, 9, 'OB-1', 'text');"
            "insert into codes (slug, name) values ('x', 'X');"
            "insert into coded_segments (note_id, code_id, coder, span_start, span_end)"
            " values (currval('field_notes_id_seq'), currval('codes_id_seq'), 'R1', 5, 2)",
            "table coded_segments with expression CHECK(((span_end IS NULL)",
        ),
        (
            "code slugs are dotted lower-case keys",
            "insert into codes (slug, name) values ('Bad Slug', 'X')",
            "table codes with expression CHECK(regexp_full_match(slug",
        ),
        (
            "recruitment stages are from a fixed list",
            "insert into recruitment_events (participant_id, stage, event_date) values (3, 'hired', '2020-01-01')",
            "table recruitment_events with expression CHECK((stage IN",
        ),
        (
            "annotations need a label",
            "insert into annotations (event_date, label) values ('2020-01-01', '')",
            "table annotations with expression CHECK((length(",
        ),
        (
            "a memo is on a coding or on a code, not both",
            "insert into memos values (1, 1, 1, 'R01', 'Both at once.', '2020-01-01')",
            "table memos with expression CHECK(((coding_id IS NULL)",
        ),
        (
            "a memo has text",
            "insert into memos values (1, null, 1, 'R01', '   ', '2020-01-01')",
            "table memos with expression CHECK((length(",
        ),
    ],
)
def test_the_schema_refuses_bad_rows(
    small: duckdb.DuckDBPyConnection, small_location: Path | str, backend: str, why: str, sql: str, reason: str
) -> None:
    # The reason is matched too, so a case cannot pass because some other constraint refused it.
    if backend == "postgres":  # PostgreSQL enforces them; its refusal names the constraint
        with pytest.raises(subprocess.CalledProcessError) as caught:
            postgres.psql(str(small_location), sql)
        assert f'constraint "{POSTGRES_CONSTRAINTS[why]}"' in caught.value.stderr
        return
    with pytest.raises(duckdb.ConstraintException, match=re.escape(reason)):
        small.execute(sql)


# The same refusals in schema_postgres.sql, by PostgreSQL's names for the constraints.
POSTGRES_CONSTRAINTS = {
    "a name is not a pseudonymous code": "participants_code_check",
    "codes are upper case": "participants_code_check",
    "codes are unique in the study": "participants_code_key",
    "setting is from a fixed list": "teams_setting_check",
    "one meeting per team per day": "meetings_team_id_meeting_date_key",
    "status is from a fixed list": "meetings_status_check",
    "format is from a fixed list": "meetings_format_check",
    "only present people have a participation level": "attendance_check",
    "attendance is once per person per meeting": "attendance_pkey",
    "a role is filled once per meeting": "meeting_roles_pkey",
    "roles are the four meeting roles": "meeting_roles_role_check",
    "a note has text": "field_notes_body_check",
    "a segment codes a note or an interview, not neither": "coded_segments_check",
    "a span ends after it starts": "coded_segments_check2",
    "code slugs are dotted lower-case keys": "codes_slug_check",
    "recruitment stages are from a fixed list": "recruitment_events_stage_check",
    "annotations need a label": "annotations_label_check",
    "a memo is on a coding or on a code, not both": "memos_check",
    "a memo has text": "memos_body_check",
}


def test_there_is_no_column_for_a_participant_name(small: duckdb.DuckDBPyConnection) -> None:
    columns = {
        c
        for (c,) in small.execute(
            "select column_name from duckdb_columns() where table_name = 'participants'"
        ).fetchall()
    }
    assert columns == {"id", "code", "team_id", "role", "qi_trained"}
