"""References between tables are checked by observation.integrity (the schema declares no foreign
keys, see schema.sql): each one is found when it dangles, and every writer refuses to commit one."""

from __future__ import annotations

import contextvars
import shutil
import threading
from pathlib import Path
from typing import Any

import duckdb
import pytest

from observation import db, integrity, record
from observation.errors import ObservationError
from tests.small_study import build_small_study

pytestmark = pytest.mark.both_backends  # storage, import, export, audit and access: on both backends

FIXTURES = Path(__file__).parents[1] / "fixtures"
FOREIGN_KEYS = "select count(*) from duckdb_constraints() where constraint_type = 'FOREIGN KEY'"


# A row whose references all hold, for each table the demo may leave empty: a meeting's live
# capture (its clock, a tap and the contribution it wrote, by someone present).
_PRESENT = "(select meeting_id, participant_id from attendance where status = 'present' order by all limit 1)"
A_ROW = {
    "contributions": "insert into contributions (meeting_id, participant_id, kind, minute, observer, recorded_at) "
    f"select meeting_id, participant_id, 'spoke', 3, 'OB-1', timestamp '2024-01-01 10:03' from {_PRESENT}",
    "capture_clocks": "insert into capture_clocks select min(id), timestamp '2024-01-01 10:00', 'OB-1' from meetings",
    "capture_taps": "insert into capture_taps select 'a1', min(id), 'note', 1, 'OB-1', timestamp '2024-01-01 10:03' "
    "from meetings",
    "feedback_responses": "insert into feedback_items (item_key, version, wording, sort_order, active) "
    "values ('heard', 1, 'I felt heard', 90, true); "
    "insert into feedback_responses (meeting_id, participant_id, item_id, answer, via) "
    f"select meeting_id, participant_id, (select max(id) from feedback_items), 4, 'review' from {_PRESENT}",
    "impact_entries": "insert into impact_entries (team_id, entry_date, meeting_id, kind, description, origin) "
    "select team_id, meeting_date, id, 'change_idea', 'A change', 'both' from meetings order by id limit 1",
    "feedback_links": "insert into feedback_links select 'h1', meeting_id, participant_id, 'OB-1', "
    f"timestamp '2024-01-01 11:00', timestamp '2024-01-03 11:00', null from {_PRESENT}",
}


@pytest.mark.parametrize("ref", integrity.REFERENCES, ids=lambda r: f"{r.table}.{r.column}")
def test_each_dangling_reference_is_found(demo_path: Path, tmp_path: Path, ref: integrity.Reference) -> None:
    path = tmp_path / "study.duckdb"
    shutil.copy(demo_path, path)
    con = db.connect(path)
    cur = con.cursor()
    assert integrity.dangling(cur) == []
    nowhere = "nowhere" if ref.target_column == "code" else 999_999
    if cur.execute(f"select count(*) from {ref.table} where {ref.column} is not null").fetchone() == (0,):
        cur.execute(A_ROW[ref.table])  # a table the demo leaves empty
    assert integrity.dangling(cur) == []
    (row,) = cur.execute(f"select rowid from {ref.table} where {ref.column} is not null limit 1").fetchone()  # type: ignore[misc]
    cur.execute(f"update {ref.table} set {ref.column} = ? where rowid = ?", [nowhere, row])

    (found,) = integrity.dangling(cur)
    assert (found.reference, found.rows, found.example) == (ref, 1, str(nowhere))
    assert integrity.dangling(cur, tables={"study"}) == []  # a write that touched nothing related
    with pytest.raises(ObservationError, match=f"1 row\\(s\\) of {ref.table} name a {ref.column} that is not in"):
        integrity.require_intact(cur, tables={ref.target})
    con.close()


def test_a_write_that_names_the_rows_it_wrote_has_their_references_checked_alone(small_path: Path) -> None:
    """An import checks the references of the attendance rows it wrote (up to millions of them:
    _imported_attendance), not of every attendance row: a dangling one among them is found, with
    its example; one in a row it did not write is the business of the write that made it."""
    con = db.connect(small_path)
    cur = con.cursor()
    cur.execute("create temp table written as select meeting_id, participant_id, participation from attendance limit 2")
    written = {"attendance": "written"}
    assert integrity.dangling(cur, {"attendance"}, written) == []
    cur.execute("update written set participant_id = 999999 where rowid = 1")
    (found,) = integrity.dangling(cur, {"attendance"}, written)
    assert (found.reference.column, found.rows, found.example) == ("participant_id", 1, "999999")
    with pytest.raises(ObservationError, match="1 row\\(s\\) of attendance name a participant_id"):
        integrity.require_intact(cur, {"attendance"}, written)
    cur.execute("update written set participant_id = (select min(id) from participants)")
    cur.execute("update attendance set meeting_id = 999999 where rowid = (select max(rowid) from attendance)")
    assert integrity.dangling(cur, {"attendance"}, written) == []
    assert [d.reference.column for d in integrity.dangling(cur, {"attendance"})] == ["meeting_id"]
    con.close()


def test_a_study_made_with_foreign_keys_loses_them_and_keeps_every_row(tmp_path: Path) -> None:
    """Studies made before migration 0005 declared foreign keys (and a check on codes that made any
    update of a code in use fail); opening one rebuilds its tables with the same rows."""
    new = tmp_path / "new.duckdb"
    build_small_study(new)
    with db.connect(new) as con:
        wanted = {t: con.execute(f"select * from {t} order by all").fetchall() for t in db.STUDY_TABLES}
    old = tmp_path / "old.duckdb"
    with duckdb.connect(str(old)) as raw:
        raw.execute((FIXTURES / "schema_with_foreign_keys.sql").read_text(encoding="utf-8"))
        raw.execute(f"attach '{new}' as new (read_only)")
        later = ("contributions", "feedback_items", "feedback_responses", "impact_entries")
        then = [t for t in db.STUDY_TABLES if t not in later]  # the tables of a study then
        for table in then:
            raw.execute(f"delete from {table}")
        for table in then:  # parents first, as the foreign keys demand
            if table != "codes":
                raw.execute(f"insert into {table} by name select * from new.{table}")
                continue
            for depth in range(4):  # and within the codebook, each level after its parents'
                raw.execute("insert into codes by name select * from new.codes "
                            "where length(slug) - length(replace(slug, '.', '')) = ?", [depth])  # fmt: skip
        raw.execute("detach new")
        db.sync_sequences(raw, tuple(t for t in db.ID_TABLES if t in then))  # as every writer of a real study did
        for name in ("0001_initial", "0002_audit", "0003_deidentify", "0004_meeting_versions"):
            raw.execute("insert into migrations (name) values (?)", [name])
        raw.execute(_duckdb_half("0002_audit"))
        raw.execute(_duckdb_half("0003_deidentify"))
        raw.execute(_duckdb_half("0004_meeting_versions"))
        assert raw.execute(FOREIGN_KEYS).fetchone() != (0,)

    with db.connect(old) as con:
        assert con.execute(
            "select count(*) from duckdb_constraints() where constraint_type = 'FOREIGN KEY'"
        ).fetchone() == (0,)
        assert {t: con.execute(f"select * from {t} order by all").fetchall() for t in db.STUDY_TABLES} == wanted
        # What the foreign keys refused: a code in use renamed, a meeting deleted with its rows.
        con.execute("update codes set name = 'Renamed' where id = (select min(code_id) from coded_segments)")
        con.execute(
            "begin; delete from attendance where meeting_id = 1; delete from meeting_roles where meeting_id = 1;"
            "delete from coded_segments where note_id in (select id from field_notes where meeting_id = 1);"
            "delete from field_notes where meeting_id = 1; delete from meetings where id = 1; commit"
        )
        assert integrity.dangling(con.cursor()) == []
        # New rows still get fresh ids: the sequences survived the rebuild.
        (team,) = con.execute(
            "insert into teams (name, service, setting, start_date) values "
            "('New', 's', 'other', '2020-01-01') returning id"
        ).fetchone()  # type: ignore[misc]
        assert team > max(r[0] for r in wanted["teams"])


def test_writes_take_turns_so_a_reference_cannot_slip_past_a_delete(small_path: Path) -> None:
    """Two sessions of one app share its connection. While one removes a code (not yet committed),
    another saving a recruitment step that gives the code as its reason waits for it, then sees
    the code gone and is refused — rather than both checking their own snapshot and committing a
    dangling reference."""
    con = db.connect(small_path)
    (code,) = con.execute("insert into codes (slug, name) values ('spare', 'Spare') returning id").fetchone()  # type: ignore[misc]
    loaded = record.load(con, 1)
    assert loaded is not None
    outcome: list[str] = []

    def save_a_step() -> None:
        step = record.RecruitmentStep(participant_id=3, stage="withdrew", reason_code_id=code)
        try:
            record.save_meeting(con, 1, loaded.details, [], list(loaded.notes), loaded.version,
                                recruitment=[*loaded.recruitment, step])  # fmt: skip
            outcome.append("saved")
        except ObservationError as exc:
            outcome.append(str(exc))

    other = threading.Thread(target=contextvars.copy_context().run, args=(save_a_step,))
    with db.transaction(con) as cur:
        cur.execute("delete from codes where id = ?", [code])
        other.start()
        other.join(timeout=2)
        assert other.is_alive()  # it waits for this write to finish
    other.join(timeout=30)
    (said,) = outcome
    assert "pointing at nothing" in said
    assert "recruitment_events name a reason_code_id that is not in codes" in said
    assert integrity.dangling(con.cursor()) == []
    con.close()


def _duckdb_half(name: str) -> str:
    (sql,) = [m.duckdb for m in db.MIGRATIONS if m.name == name]
    assert isinstance(sql, str)
    return sql


def save_as_opened(con: duckdb.DuckDBPyConnection, meeting_id: int) -> None:
    """Save a meeting on the Record page as it opened, attendance and notes unchanged."""
    opened = record.load(con, meeting_id)
    assert opened is not None
    attendance = [
        record.AttendanceEntry(participant_id=p, status=status, participation=level)
        for p, (status, level) in opened.attendance.items()
    ]
    record.save_meeting(con, meeting_id, opened.details, attendance, list(opened.notes), opened.version)


def test_a_contribution_of_someone_absent_is_the_business_of_the_writes_at_its_meeting(
    small: duckdb.DuckDBPyConnection,
) -> None:
    """A contribution by someone not marked present (A-SU1's at m4, where they sent apologies:
    written here past every check) refuses a save of m4 and the whole study's check, but not the
    Record page's save of another meeting, nor an import whose attendance rows are elsewhere: one bad
    row must not block every save, and checking the whole study on each took about 0.1 s at national
    scale."""
    said = "A-SU1 has 1 contribution logged at the meeting of Alpha on 21 Feb 2020 and would not be marked present"

    def check(*args: Any, written_at: tuple[int, ...] | None = None, **kwargs: Any) -> None:
        with db.transaction(small) as cur:
            if written_at is not None:  # an import's attendance rows, at these meetings
                cur.execute(
                    "create temp table written as select meeting_id, participant_id, participation from attendance "
                    "where list_contains(?::integer[], meeting_id)",
                    [list(written_at)],
                )
            try:
                integrity.require_intact(cur, *args, **kwargs)
            finally:
                if written_at is not None:
                    cur.execute("drop table written")

    with db.transaction(small) as cur:
        cur.execute(
            "insert into contributions (meeting_id, participant_id, kind, minute, observer) "
            "values (4, 3, 'spoke', 5, 'R1')"
        )
    with pytest.raises(ObservationError, match=said):
        check()  # the whole study (a copy, a restore, a full export loaded)
    save_as_opened(small, 1)  # m1's save touches m1 only
    with pytest.raises(ObservationError, match=said):
        save_as_opened(small, 4)
    check({"attendance", "contributions"}, {"attendance": "written"}, written_at=(2,))
    with pytest.raises(ObservationError, match=said):
        check({"attendance", "contributions"}, {"attendance": "written"}, written_at=(2, 4))
    with pytest.raises(ObservationError, match=said):
        check({"attendance"}, meetings=(2, 4))
    check({"attendance"}, meetings=())  # a write that touched no meeting's
