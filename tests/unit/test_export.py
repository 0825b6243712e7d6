"""Exports at three levels and formats, and backup and restore.

The aggregate export is checked on the demo by a reader with a solver, built apart from
observation.disclosure (as tests/disclosure_check.py does for presenter mode, here by month): the
truth comes from the raw tables through pandas, what is shown is read back from the files as text,
and every count of meetings a careful reader might want is bounded by integer programming over
each team's meetings of each kind per month, given everything the export shows at once.
"""

from __future__ import annotations

import fcntl
import os
import stat
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

import duckdb
import numpy as np
import pandas as pd
import pytest
from scipy.optimize import Bounds, LinearConstraint, milp

from observation import coding as coding_memo
from observation import db, disclosure, export
from observation.cli import main
from observation.errors import ObservationError
from tests.disclosure_check import COUNTS, KINDS, truth

pytestmark = pytest.mark.both_backends  # storage, import, export, audit and access: on both backends

DATA_SUFFIXES = {".csv", ".parquet"}


def read_back(out: Path, fmt: str) -> dict[str, pd.DataFrame]:
    """The tables of an export (its note aside), as a reader's program reads them."""
    if fmt == "xlsx":
        return {n: f for n, f in pd.read_excel(out, sheet_name=None).items() if n != export.NOTES_SHEET}
    reader = pd.read_csv if fmt == "csv" else pd.read_parquet
    return {p.stem: reader(p) for p in sorted(out.iterdir()) if p.suffix in DATA_SUFFIXES}


def read_text(out: Path, fmt: str) -> dict[str, pd.DataFrame]:
    """The tables of an export with every cell as the text it shows ("[c]", "3", "")."""
    if fmt == "xlsx":
        frames = pd.read_excel(out, sheet_name=None, dtype=str, keep_default_na=False)
        return {n: f for n, f in frames.items() if n != export.NOTES_SHEET}
    if fmt == "csv":
        return {p.stem: pd.read_csv(p, dtype=str, keep_default_na=False) for p in out.glob("*.csv")}
    return {p.stem: pd.read_parquet(p).astype(str) for p in out.glob("*.parquet")}


def read_notes(out: Path, fmt: str) -> str:
    if fmt == "xlsx":
        sheet = pd.read_excel(out, sheet_name=export.NOTES_SHEET, dtype=str, keep_default_na=False)
        return "\n".join([str(sheet.columns[0]), *sheet.iloc[:, 0]])
    return (out / export.NOTES_FILE).read_text(encoding="utf-8")


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


def test_an_aggregate_export_counts_meetings_by_team_and_month_with_small_counts_hidden(
    small: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    written = export.export(small, "aggregate", "csv", tmp_path / "agg")
    assert written.threshold == 5
    frames = read_text(tmp_path / "agg", "csv")
    assert set(frames) == {"teams", "counts"}
    assert list(frames["teams"]["team"]) == ["Alpha", "Beta"]
    counts = frames["counts"]
    assert list(counts.columns) == [
        "team", "month", "meetings_held", "meetings_cancelled", "meetings_postponed", "meetings_recorded",
        "meetings_with_lived_experience", "meetings_with_service_users", "meetings_with_carers",
        "meetings_with_meaningful_involvement", "meetings_observed_live", "contributions",
        "contributions_by_lived_experience", "items_raised_by_lived_experience", "actions_owned_by_lived_experience",
        "attendances_by_lived_experience", "responses_by_lived_experience", "scored_responses_by_lived_experience",
        "experience_score", "changes_logged", "changes_with_lived_experience",
    ]  # fmt: skip
    # tests/small_study.py: held, cancelled, postponed and recorded are never hidden
    assert counts.iloc[:, :6].values.tolist() == [
        ["Alpha", "2020-01", "2", "0", "0", "2"],
        ["Alpha", "2020-02", "1", "1", "0", "1"],
        ["Alpha", "all", "3", "1", "0", "3"],
        ["Beta", "2020-01", "1", "0", "0", "1"],
        ["Beta", "2020-02", "1", "0", "1", "1"],
        ["Beta", "2020-03", "1", "0", "0", "0"],
        ["Beta", "all", "3", "0", "1", "2"],
        ["All teams", "all", "6", "1", "1", "5"],
    ]
    lived = counts.iloc[:, 6:10]
    assert set(lived.to_numpy().ravel()) <= {"0", "[c]"}  # every count of the small study is under 5
    assert set(counts.iloc[:, 10:15].to_numpy().ravel()) == {
        "0"
    }  # no meeting observed live (see test_export_contributions)
    assert list(lived.iloc[0]) == ["[c]"] * 4  # Alpha's January: 2, 2, 1, 1
    assert list(lived.iloc[5]) == ["0"] * 4  # nothing recorded: nothing to hide


def test_an_export_never_overwrites_and_is_audited(small: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    (tmp_path / "taken").mkdir()
    with pytest.raises(ObservationError, match="already exists"):
        export.export(small, "full", "csv", tmp_path / "taken")
    export.export(small, "aggregate", "parquet", tmp_path / "ok")
    assert small.execute("select action, row_key from audit").fetchall() == [("export", str(tmp_path / "ok"))]


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.mark.parametrize("fmt", export.FORMATS)
def test_an_export_is_staged_hidden_and_private_and_stays_private(
    small: duckdb.DuckDBPyConnection, tmp_path: Path, fmt: export.Format, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[tuple[str, int]] = []
    write = export._write

    def watched(contents: export.Contents, fmt: export.Format, target: Path) -> export.Contents:
        seen.append((target.parent.name, mode(target.parent)))
        an_hour_ago = time.time() - 3600
        os.utime(target.parent, (an_hour_ago, an_hour_ago))
        db.sweep_leftovers(target)  # as another export to the same name would, however old
        assert target.parent.exists()  # this export holds it
        return write(contents, fmt, target)

    monkeypatch.setattr(export, "_write", watched)
    out = tmp_path / "exports" / ("agg.xlsx" if fmt == "xlsx" else "agg")
    export.export(small, "aggregate", fmt, out)
    ((staging, staged_mode),) = seen
    assert staging.startswith(f".{out.name}.exporting-")
    assert staged_mode == 0o700
    assert [p.name for p in out.parent.iterdir()] == [out.name]  # the staging folder is gone
    if fmt == "xlsx":
        assert mode(out) == 0o600
    else:
        assert mode(out) == 0o700
        assert {mode(p) for p in out.iterdir()} == {0o600}


def test_the_next_export_removes_the_staging_folders_that_killed_ones_left(
    small: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    def left(name: str, age: float) -> Path:
        folder = tmp_path / name
        (folder / "agg").mkdir(parents=True)
        (folder / "agg" / "counts.csv").write_text("team,month\n")  # half an export
        os.utime(folder, (time.time() - age, time.time() - age))
        return folder

    stale = left(".agg.exporting-k1ll3d00", age=3600)
    killed_now = left(".agg.exporting-n0w00000", age=0)  # it holds a file but no lock: its export is gone
    young = tmp_path / ".agg.exporting-y0ung000"
    young.mkdir()  # empty and just made: perhaps an export that has not yet taken its lock
    held = left(".agg.exporting-h3ld0000", age=3600)
    other = left(".agg.elsewhere", age=3600)  # not an export's
    lock = os.open(held, os.O_RDONLY)
    try:
        fcntl.flock(lock, fcntl.LOCK_EX)  # an export still writing it holds this lock
        export.export(small, "aggregate", "csv", tmp_path / "agg")
    finally:
        os.close(lock)
    assert not stale.exists()
    assert not killed_now.exists()
    assert young.exists()
    assert held.exists()
    assert other.exists()
    assert (tmp_path / "agg" / "README.txt").exists()


KILLED = """
import sys, time
from pathlib import Path
from observation import access, cells, db, export
write = cells.to_csv
def slowly(frame, target):
    write(frame, target)
    print("half written", flush=True)
    time.sleep(120)
cells.to_csv = slowly
with access.acting_as(access.local_researcher()):
    export.export(db.connect(sys.argv[1]), "full", "csv", Path(sys.argv[2]))
"""


def test_an_export_killed_midway_leaves_nothing_taken_for_an_export(small_path: Path, tmp_path: Path) -> None:
    folder = tmp_path / "exports"
    folder.mkdir()
    root = Path(__file__).resolve().parents[2]
    process = subprocess.Popen(
        [sys.executable, "-c", KILLED, str(small_path), str(folder / "full")],
        cwd=root, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert process.stdout is not None
        assert process.stdout.readline() == "half written\n", process.stderr.read() if process.stderr else ""
    finally:
        process.kill()
        process.communicate(timeout=30)
    (left,) = list(folder.iterdir())
    assert left.name.startswith(".full.exporting-")  # hidden, and named as what it is
    assert mode(left) == 0o700
    assert not (folder / "full").exists()
    os.utime(left, (time.time() - 3600, time.time() - 3600))  # a while later
    con = db.connect(small_path)
    try:
        export.export(con, "full", "csv", folder / "full")
    finally:
        con.close()
    assert [p.name for p in folder.iterdir()] == ["full"]


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


def _nothing_loaded(con: duckdb.DuckDBPyConnection) -> None:
    for table in (*db.STUDY_TABLES, "memos"):
        assert con.execute(f"select count(*) from {table}").fetchone() == (0,), table
    assert con.execute("select count(*) from audit where action = 'import'").fetchone() == (0,)


@pytest.mark.parametrize("spoil", ["not parquet", "a memo without a body"])
def test_a_full_export_whose_memos_cannot_go_in_writes_nothing_and_can_be_retried(
    small: duckdb.DuckDBPyConnection, tmp_path: Path, spoil: str
) -> None:
    (coding,) = small.execute("select min(id) from coded_segments").fetchone() or (None,)
    coding_memo.write_memo(small, coding_id=coding, body="why this passage", author="R01")
    out = tmp_path / "out"
    export.export(small, "full", "parquet", out)
    good = pd.read_parquet(out / "memos.parquet")
    if spoil == "not parquet":
        (out / "memos.parquet").write_bytes(b"not parquet")
    else:  # read well, refused by the table (a memo's body is required): only the insert can find it
        good.assign(body=None).to_parquet(out / "memos.parquet")
    fresh = db.connect(tmp_path / "fresh.duckdb")
    with pytest.raises(ObservationError, match=r"memos\.parquet"):
        export.load_full_export(fresh, out)
    _nothing_loaded(fresh)
    good.to_parquet(out / "memos.parquet")  # mended, the same export goes in whole
    export.load_full_export(fresh, out)
    query = "select coding_id, author, body from memos"
    assert fresh.execute(query).fetchall() == small.execute(query).fetchall() == [(coding, "R01", "why this passage")]
    assert fresh.execute("select count(*) from audit where action = 'import'").fetchone() == (1,)
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


# The aggregate export on the demo, read by a reader with a solver.

HIDEABLE_WORDS = ("service_user", "carer", "lived_experience", "meaningful")
"""A column whose name says it counts service users or carers, or meetings with them (in this layout
or the per-meeting one before it: present_service_users, lived_experience_present…)."""
SHOWN: dict[str, tuple[str, ...]] = {
    "meetings_recorded": KINDS,
    "meetings_with_lived_experience": COUNTS["presence"],
    "meetings_with_service_users": COUNTS["service_users"],
    "meetings_with_carers": COUNTS["carers"],
    "meetings_with_meaningful_involvement": COUNTS["meaningful"],
}
"""Each column of the counts table as the meeting kinds it sums."""
Cell = tuple[Any, ...]
"""("all",), ("team", team id) or ("month", team id, the month's first day)."""


def month_truth(con: duckdb.DuckDBPyConnection, level: str = "contributing") -> pd.DataFrame:
    """One row per team and month: its held meetings with attendance recorded of each kind (KINDS),
    from the raw tables."""
    return truth(con, level, "M")


class MonthReader:
    """The integer programme a reader sets up: unknown whole numbers of meetings of each kind (NAMES)
    per team and month, at least 0, with every count the export shows as an equation, and what else
    they know as lower bounds (``at_least``). It looks for the counts COUNTED pins down.
    (test_export_contributions' reader adds the contributions to the unknowns.)"""

    NAMES: ClassVar[tuple[str, ...]] = KINDS
    COUNTED: ClassVar[dict[str, tuple[str, ...]]] = COUNTS
    """The four columns and their differences (service users only, carers only, both, not meaningful)."""

    def __init__(self, atoms: pd.DataFrame) -> None:
        self.atoms = atoms.reset_index(drop=True)
        self.values = self.atoms[list(self.NAMES)].to_numpy(dtype=np.int64).ravel()
        self.rows: list[np.ndarray] = []
        self.shown: list[int] = []
        self.bounds: list[np.ndarray] = []
        self.least: list[int] = []

    def vector(self, cell: Cell, names: tuple[str, ...]) -> np.ndarray:
        mine = np.ones(len(self.atoms), dtype=bool)
        if cell[0] != "all":
            mine &= (self.atoms["team_id"] == cell[1]).to_numpy()
        if cell[0] == "month":
            mine &= (self.atoms["month"] == pd.Timestamp(cell[2])).to_numpy()
        vector = np.zeros(self.values.size)
        for i in np.flatnonzero(mine):
            for name in names:
                vector[i * len(self.NAMES) + self.NAMES.index(name)] = 1
        return vector

    def true(self, cell: Cell, names: tuple[str, ...]) -> int:
        return int(self.vector(cell, names) @ self.values)

    def see(self, cell: Cell, names: tuple[str, ...], value: int) -> None:
        self.rows.append(self.vector(cell, names))
        self.shown.append(value)

    def at_least(self, cell: Cell, names: tuple[str, ...], value: int) -> None:
        self.bound(self.vector(cell, names), value)

    def bound(self, vector: np.ndarray, least: int) -> None:
        """What the reader knows besides: ``vector`` times the unknowns is at least ``least``."""
        self.bounds.append(vector)
        self.least.append(least)

    def range_of(self, vector: np.ndarray) -> tuple[int, int]:
        shown = np.array(self.shown, dtype=np.float64)
        constraints = [LinearConstraint(np.array(self.rows), shown, shown)]
        if self.bounds:
            constraints.append(LinearConstraint(np.array(self.bounds), np.array(self.least, dtype=np.float64), np.inf))
        ends = []
        for sign in (1, -1):
            found = milp(
                sign * vector, constraints=constraints, integrality=np.ones(vector.size), bounds=Bounds(0, np.inf)
            )
            assert found.status == 0, f"what was shown fits no study at all: {found.message}"
            ends.append(round(sign * found.fun))
        return ends[0], ends[1]

    def pins(self, threshold: int) -> Iterator[tuple[Cell, str, int]]:
        """Every count of COUNTED from 1 to ``threshold - 1`` of a month, a team or the study that what
        was shown pins down."""
        cells: list[Cell] = [("all",)]
        for team_id, month in self.atoms[["team_id", "month"]].itertuples(index=False):
            cells += [("team", int(team_id)), ("month", int(team_id), pd.Timestamp(month))]
        for cell in dict.fromkeys(cells):
            for name, names in self.COUNTED.items():
                value = self.true(cell, names)
                if 1 <= value < threshold and self.range_of(self.vector(cell, names)) == (value, value):
                    yield cell, name, value


def cell_of(team: str, month: str, team_ids: dict[str, int]) -> Cell:
    if team == export.STUDY_ROW:
        return ("all",)
    if month == export.WHOLE_PERIOD:
        return ("team", team_ids[team])
    return ("month", team_ids[team], pd.Timestamp(f"{month}-01"))


def read_into(reader: MonthReader, counts: pd.DataFrame, team_ids: dict[str, int]) -> int:
    """Every count the table shows, as an equation; checks each is true. Returns how many were hidden."""
    hidden = 0
    for row in counts.to_dict("records"):
        cell = cell_of(row["team"], row["month"], team_ids)
        for column, kinds in SHOWN.items():
            text = row[column]
            if text == "[c]":
                hidden += 1
                continue
            assert int(text) == reader.true(cell, kinds), (cell, column, text)
            reader.see(cell, kinds, int(text))
    return hidden


def small_counts_shown(frames: dict[str, pd.DataFrame], threshold: int) -> list[tuple[str, str, int, str]]:
    """(table, column, row, text) of every count of people with lived experience from 1 to
    ``threshold - 1`` that the export shows, in any table."""
    found = []
    for name, frame in frames.items():
        for column in frame.columns:
            if not any(word in column for word in HIDEABLE_WORDS):
                continue
            for i, text in enumerate(frame[column]):
                number = pd.to_numeric(text, errors="coerce")
                if not pd.isna(number) and float(number).is_integer() and 1 <= number < threshold:
                    found.append((name, column, i, text))
    return found


@pytest.mark.parametrize("threshold", [5, 8])
@pytest.mark.parametrize("fmt", export.FORMATS)
def test_the_aggregate_export_shows_no_small_count_of_people(
    demo_copy: duckdb.DuckDBPyConnection, tmp_path: Path, threshold: int, fmt: export.Format
) -> None:
    out = tmp_path / ("agg.xlsx" if fmt == "xlsx" else "agg")
    export.export(demo_copy, "aggregate", fmt, out, threshold=threshold)
    frames = read_text(out, fmt)
    assert small_counts_shown(frames, threshold) == []
    counts = frames["counts"]
    assert (counts[list(export.OPEN_COLUMNS)] != "[c]").all().all()  # meetings held… recorded: always shown
    assert (counts[list(export.HIDEABLE)] == "[c]").any().all()  # the demo has small counts in every column


@pytest.mark.parametrize("threshold", [5, 8])
def test_no_small_count_can_be_worked_out_from_the_aggregate_export(
    demo_copy: duckdb.DuckDBPyConnection, tmp_path: Path, threshold: int
) -> None:
    export.export(demo_copy, "aggregate", "csv", tmp_path / "agg", threshold=threshold)
    counts = read_text(tmp_path / "agg", "csv")["counts"]
    team_ids = {name: int(i) for i, name in demo_copy.execute("select id, name from teams").fetchall()}
    reader = MonthReader(month_truth(demo_copy))
    hidden = read_into(reader, counts, team_ids)
    assert hidden > 0
    assert sum(1 for r in counts.to_dict("records") for c in export.HIDEABLE if r[c] not in ("[c]", "0")) > 0
    assert list(reader.pins(threshold)) == []


@pytest.mark.parametrize("fmt", export.FORMATS)
def test_the_aggregate_export_carries_a_note_with_its_threshold(
    demo_copy: duckdb.DuckDBPyConnection, tmp_path: Path, fmt: export.Format
) -> None:
    out = tmp_path / ("agg.xlsx" if fmt == "xlsx" else "agg")
    export.export(demo_copy, "aggregate", fmt, out, threshold=8)
    notes = read_notes(out, fmt)
    assert "threshold 8" in notes
    assert "[c] means hidden: a count from 1 to 7, or a count that would let one from 1 to 7" in notes
    assert "SYNTHETIC DEMO DATA" in notes
    assert "Period: 02 July 2019 to 27 February 2020" in notes
    assert "at 'contributing' or above" in notes
    # checked against presenter mode and the deck as well: someone holding both learns no small count
    assert disclosure.ACROSS_OUTPUTS in notes
    for column in (*export.OPEN_COLUMNS, *export.HIDEABLE):
        assert f"{column}:" in notes or f"{column}," in notes, column
    if fmt == "xlsx":
        assert pd.ExcelFile(out).sheet_names[0] == export.NOTES_SHEET
    if fmt == "parquet":
        assert pd.read_parquet(out / "counts.parquet")["meetings_with_carers"].dtype == "string"


def test_a_note_says_not_synthetic_where_the_study_is_real(small: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    export.export(small, "aggregate", "csv", tmp_path / "agg")
    notes = read_notes(tmp_path / "agg", "csv")
    assert "SYNTHETIC" not in notes
    assert "Study: Small hand-built study" in notes
    assert "threshold 5" in notes


@pytest.mark.parametrize("fmt", export.FORMATS)
def test_a_deidentified_export_says_it_is_not_for_publication(
    small: duckdb.DuckDBPyConnection, tmp_path: Path, fmt: export.Format
) -> None:
    out = tmp_path / ("d.xlsx" if fmt == "xlsx" else "d")
    export.export(small, "deidentified", fmt, out)
    notes = read_notes(out, fmt)
    assert "NOT FOR PUBLICATION" in notes
    assert "data agreement" in notes
    assert "2020" not in notes  # nothing of the real dates
    assert "Small hand-built study" not in notes


@pytest.mark.parametrize("fmt", export.FORMATS)
def test_a_full_export_says_what_it_holds_and_that_it_is_for_the_study_team_only(
    small: duckdb.DuckDBPyConnection, tmp_path: Path, fmt: export.Format
) -> None:
    """A full export had no note: once the file was shared, nothing said it holds the notes word for
    word, nor why a text in a CSV starts with '."""
    out = tmp_path / ("f.xlsx" if fmt == "xlsx" else "f")
    written = export.export(small, "full", fmt, out)
    notes = read_notes(out, fmt)
    assert written.notes is not None
    first = notes.removeprefix(f"{export.NOTES_SHEET}\n") if fmt == "xlsx" else notes  # the sheet's header
    assert first.startswith("Full export: FOR THE STUDY TEAM ONLY, NEVER FOR SHARING")
    assert "Study: Small hand-built study" in notes
    assert "field notes and interview transcripts word for word" in notes
    assert "pseudonymous codes" in notes
    assert "do not share or publish it" in notes
    assert "starts with an added '" in notes
    assert "remove that first '" in notes
    assert "replaced by U+FFFD" in notes
    assert "Parquet keeps the exact text" in notes
    assert all(table in notes for table in db.STUDY_TABLES)
    assert set(read_back(out, fmt)) == set(db.STUDY_TABLES)  # the note is no table
    if fmt == "xlsx":
        assert pd.ExcelFile(out).sheet_names[0] == export.NOTES_SHEET


def test_the_threshold_is_never_under_the_studys_floor(
    small: duckdb.DuckDBPyConnection, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with pytest.raises(ObservationError, match="from 5 to 100"):
        export.export(small, "aggregate", "csv", tmp_path / "a", threshold=4)
    monkeypatch.setenv("OBSERVATION_PRESENTER_MINIMUM", "7")
    with pytest.raises(ObservationError, match="from 7 to 100"):
        export.export(small, "aggregate", "csv", tmp_path / "b", threshold=6)
    assert export.export(small, "aggregate", "csv", tmp_path / "c").threshold == 7
    assert not (tmp_path / "a").exists()
    assert not (tmp_path / "b").exists()
    (after,) = small.execute("select after from audit where action = 'export'").fetchone()  # type: ignore[misc]
    assert '"threshold": 7' in after or '"threshold":7' in after


def test_the_command_line_takes_a_threshold_and_refuses_one_under_the_floor(
    small_location: Path | str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    base = ["export", "--db", str(small_location), "--level", "aggregate", "--format", "csv"]
    assert main([*base, "--out", str(tmp_path / "a"), "--threshold", "3"]) == 2
    assert "threshold 3: use a whole number from 5 to 100" in capsys.readouterr().err
    assert main([*base, "--out", str(tmp_path / "b"), "--threshold", "8"]) == 0
    out = capsys.readouterr().out
    assert "counts under 8 hidden as [c]; read README.txt" in out
    assert "threshold 8" in (tmp_path / "b" / "README.txt").read_text(encoding="utf-8")
    full = ["export", "--db", str(small_location), "--level", "full", "--format", "csv", "--out", str(tmp_path / "c")]
    assert main([*full, "--threshold", "8"]) == 2
    assert "aggregate level only" in capsys.readouterr().err
