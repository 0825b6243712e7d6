"""Exports at three levels and formats, and backup and restore."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd
import pytest

from observation import db, export
from observation.errors import ObservationError
from observation.filters import StudyFilter

pytestmark = pytest.mark.both_backends  # storage, import, export, audit and access: on both backends


def read_back(out: Path, fmt: str) -> dict[str, pd.DataFrame]:
    if fmt == "xlsx":
        return pd.read_excel(out, sheet_name=None)
    reader = pd.read_csv if fmt == "csv" else pd.read_parquet
    return {p.stem: reader(p) for p in sorted(out.iterdir())}


@pytest.mark.parametrize("fmt", export.FORMATS)
def test_a_full_export_holds_every_table_in_every_format(
    small: duckdb.DuckDBPyConnection, tmp_path: Path, fmt: export.Format
) -> None:
    out = tmp_path / ("study.xlsx" if fmt == "xlsx" else "study")
    export.export(small, "full", fmt, out)
    frames = read_back(out, fmt)
    assert set(frames) == set(db.STUDY_TABLES)
    assert len(frames["attendance"]) == 16
    assert "A-SU1" in set(frames["participants"]["code"])


def test_a_deidentified_export_has_no_original_code_no_free_text_and_keeps_every_interval(
    small: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    export.export(small, "deidentified", "csv", tmp_path / "a")
    export.export(small, "deidentified", "csv", tmp_path / "b")
    first, second = read_back(tmp_path / "a", "csv"), read_back(tmp_path / "b", "csv")
    codes = {c for (c,) in small.execute("select code from participants").fetchall()}
    bodies = [b for (b,) in small.execute("select body from field_notes").fetchall()]
    text = "\n".join(p.read_text() for p in (tmp_path / "a").iterdir())
    assert not any(code in text for code in codes)
    assert not any(body in text for body in bodies)
    assert "body" not in first["field_notes"].columns
    original = small.execute("select meeting_date from meetings order by id").fetchdf()["meeting_date"]
    shifted = pd.to_datetime(first["meetings"].sort_values("id")["meeting_date"])
    gaps = (shifted.reset_index(drop=True) - pd.to_datetime(original)).unique()
    assert len(gaps) == 1  # one offset for every date
    assert gaps[0] != pd.Timedelta(0)
    pd.testing.assert_frame_equal(first["participants"], second["participants"])  # the same codes every time


def test_an_aggregate_export_has_no_row_about_a_person(small: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    export.export(small, "aggregate", "csv", tmp_path / "agg", StudyFilter(teams=(1,)))
    frames = read_back(tmp_path / "agg", "csv")
    assert set(frames) == {"teams", "meetings"}
    meetings = frames["meetings"]
    assert list(meetings.columns)[:8] == [
        "team", "meeting_date", "status", "present_total", "present_service_users", "present_carers",
        "lived_experience_present", "representation",
    ]  # fmt: skip
    assert list(meetings["representation"].round(4).fillna(-1)) == [0.3333, 0.6667, -1, 0.0]
    assert set(frames["teams"]["team"]) == {"Alpha"}


def test_an_export_never_overwrites_and_is_audited(small: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    (tmp_path / "taken").mkdir()
    with pytest.raises(ObservationError, match="already exists"):
        export.export(small, "full", "csv", tmp_path / "taken")
    export.export(small, "aggregate", "parquet", tmp_path / "ok")
    assert small.execute("select action, row_key from audit").fetchall() == [("export", str(tmp_path / "ok"))]


def test_a_restore_refuses_an_empty_database_and_keeps_the_study_it_replaces(small_path: Path, tmp_path: Path) -> None:
    empty = tmp_path / "empty.duckdb"
    db.connect(empty).close()  # a study file with no study in it
    before = small_path.read_bytes()
    with pytest.raises(ObservationError, match="holds no study"):
        export.restore(empty, small_path)
    assert small_path.read_bytes() == before
    export.backup(small_path, tmp_path / "backup.duckdb")
    kept = export.restore(tmp_path / "backup.duckdb", small_path)
    assert kept is not None
    assert kept.exists()


def test_backup_and_restore_give_back_every_table(small_path: Path, tmp_path: Path) -> None:
    def contents(path: Path) -> dict[str, list[tuple[object, ...]]]:
        con = db.connect(path, read_only=True)
        try:
            return {t: con.execute(f"select * from {t} order by all").fetchall() for t in db.STUDY_TABLES}
        finally:
            con.close()

    export.backup(small_path, tmp_path / "backup.duckdb")
    con = db.connect(small_path)
    con.execute("delete from coded_segments")
    con.close()
    export.restore(tmp_path / "backup.duckdb", small_path)
    assert contents(small_path) == contents(tmp_path / "backup.duckdb")
    con = db.connect(small_path, read_only=True)
    assert [a for (a,) in con.execute("select action from audit").fetchall()] == ["restore"]
    con.close()


def test_restore_refuses_a_file_that_is_not_a_study(small_path: Path, tmp_path: Path) -> None:
    bogus = tmp_path / "bogus.duckdb"
    bogus.write_text("not a database")
    before = small_path.read_bytes()
    with pytest.raises(ObservationError):
        export.restore(bogus, small_path)
    assert small_path.read_bytes() == before


def test_a_full_export_fills_an_empty_study_with_identical_contents(
    small: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    export.export(small, "full", "parquet", tmp_path / "out")
    fresh = db.connect(tmp_path / "fresh.duckdb")
    export.load_full_export(fresh, tmp_path / "out")
    for table in db.STUDY_TABLES:
        query = f"select * from {table} order by all"
        assert fresh.execute(query).fetchall() == small.execute(query).fetchall(), table
    fresh.close()


def test_a_full_export_goes_only_into_an_empty_study(small: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    export.export(small, "full", "parquet", tmp_path / "out")
    with pytest.raises(ObservationError, match="goes into an empty study"):
        export.load_full_export(small, tmp_path / "out")
    (tmp_path / "out" / "teams.parquet").unlink()
    fresh = db.connect(tmp_path / "fresh.duckdb")
    with pytest.raises(ObservationError, match="the teams table is missing"):
        export.load_full_export(fresh, tmp_path / "out")
    fresh.close()


def test_a_deidentified_export_relabels_teams_and_coders_and_keeps_codes_stable(
    small: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    export.export(small, "deidentified", "csv", tmp_path / "a")
    first = read_back(tmp_path / "a", "csv")
    assert list(first["teams"]["name"]) == ["Team A", "Team B"]
    assert not {"R01", "R02"} & set(first["coded_segments"]["coder"])
    assert set(first["study"]["name"]) == {"De-identified study"}
    small.execute("insert into participants (code, team_id, role) values ('A-AAA1', 1, 'carer')")
    export.export(small, "deidentified", "csv", tmp_path / "b")
    second = read_back(tmp_path / "b", "csv")
    kept = second["participants"][second["participants"]["id"].isin(first["participants"]["id"])]
    # a new participant does not renumber the others
    assert list(kept["code"]) == list(first["participants"]["code"])
