"""Exports that are only data (issue 20): no cell of an export is run by a spreadsheet, and no
character stops an export.

The small study is given text that a spreadsheet would run — a HYPERLINK formula, "+1", "@SUM(1)",
"-2+3", a formula after a tab or a carriage return — in note bodies, team names and services, a
coach, an observer's code (of a note, of a contribution), code names and definitions, a coder's
code, an annotation's label, a transcript and the study's description; and vertical tabs (text
pasted from Word) in a note, a team's service, a code's name and the study's name. Every level
is exported in every format and read back as a spreadsheet reads it: in CSV, a text that begins
like a formula starts with '; in XLSX, no cell is a formula (or an error value) and the text is
kept exactly as a text cell. Parquet keeps every character, and a full export in Parquet fills a
study again exactly.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from pathlib import Path

import duckdb
import openpyxl
import pandas as pd
import pytest

from observation import cells, db, export, ingest, notes
from observation.cli import main
from observation.filters import StudyFilter
from tests.small_study import add_interviews

pytestmark = pytest.mark.both_backends

HYPERLINK = '=HYPERLINK("http://x","y")'
PLUS = "+1"
AT = "@SUM(1)"
MINUS = "-2+3"
TAB = "\t=1+1"
CR = "\r=1+1"
VT = "\x0b"
"""A vertical tab: Word's line break, pasted with the text."""

NUMBER = re.compile(r"-?\d+(\.\d+)?")

KEPT: dict[str, set[str]] = {
    "full": {HYPERLINK, PLUS, AT, MINUS, TAB, CR},
    "deidentified": {AT, MINUS},  # the codebook; free text, team names and people's codes are gone
    "aggregate": {HYPERLINK, PLUS, AT},  # team names and services
}
"""The formula-like texts each level holds."""
CONTROLS = {"full": 5, "deidentified": 1, "aggregate": 2}
"""The vertical tabs each level holds: in its tables, and (full, aggregate) the study's name in its note."""


@pytest.fixture
def poisoned(small: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection:
    """The small study with formula-like text and vertical tabs wherever the schema takes text."""
    add_interviews(small)
    changes: list[tuple[str, list[object]]] = [
        ("update teams set name = ?, service = ?, coach = ? where id = 1", [HYPERLINK, f"Community{VT}service", TAB]),
        ("update teams set name = ?, service = ? where id = 2", [AT, PLUS]),
        ("update field_notes set body = ? where id = 1", [HYPERLINK]),
        ("update field_notes set body = ? where id = 2", [f"line one{VT}line two"]),
        ("update field_notes set author = ? where id = 3", [MINUS]),
        ("update codes set name = ? where id = 1", [AT]),
        ("update codes set definition = ? where id = 4", [MINUS]),
        ("update codes set name = ? where id = 5", [f"Service user{VT}absent"]),
        ("update coded_segments set coder = ? where id = 1", [PLUS]),
        ("update interviews set transcript = ? where id = 1", [CR]),
        ("update study set name = ?, description = ?", [f"Small{VT}study", AT]),
        ("insert into annotations (id, team_id, event_date, label) values (-1, 1, '2020-01-05', ?)", [HYPERLINK]),
        ("insert into contributions (meeting_id, participant_id, kind, minute, observer) values (1, 3, 'spoke', 4, ?)",
         [HYPERLINK]),
    ]  # fmt: skip
    for sql, values in changes:
        small.execute(sql, values)
    return small


def exported(con: duckdb.DuckDBPyConnection, tmp_path: Path, level: export.Level, fmt: str) -> Path:
    out = tmp_path / (f"{level}.xlsx" if fmt == "xlsx" else level)
    export.export(con, level, fmt, out)  # type: ignore[arg-type]
    return out


def csv_cells(out: Path) -> dict[str, list[list[str]]]:
    """Every table of a CSV export, row by row, as the text of each cell (the header row first)."""
    tables = {}
    for path in sorted(out.glob("*.csv")):
        with path.open(encoding="utf-8", newline="") as f:
            tables[path.stem] = list(csv.reader(f))
    return tables


def xlsx_cells(out: Path) -> list[openpyxl.cell.cell.Cell]:
    book = openpyxl.load_workbook(out)
    return [cell for sheet in book.worksheets for row in sheet.iter_rows() for cell in row]


@pytest.mark.parametrize("level", export.LEVELS)
def test_a_csv_export_quotes_every_text_a_spreadsheet_would_run(
    poisoned: duckdb.DuckDBPyConnection, tmp_path: Path, level: export.Level
) -> None:
    written = export.export(poisoned, level, "csv", tmp_path / level)
    texts = [cell for rows in csv_cells(tmp_path / level).values() for row in rows for cell in row]
    for cell in texts:
        if cell.startswith(cells.FORMULA_LEADS):
            assert NUMBER.fullmatch(cell), f"a spreadsheet would run {cell!r}"  # -1 is a number, never text
        assert not cells.CONTROL.search(cell), cell
    for payload in KEPT[level]:
        assert "'" + payload in texts, payload
    assert written.formula_cells == sum(1 for cell in texts if cell.startswith("'") and cell[1:2] in "=+-@\t\r")
    assert written.controls_replaced == CONTROLS[level]


@pytest.mark.parametrize("level", export.LEVELS)
def test_an_xlsx_export_writes_formula_like_text_as_text_cells_with_its_exact_value(
    poisoned: duckdb.DuckDBPyConnection, tmp_path: Path, level: export.Level
) -> None:
    written = exported(poisoned, tmp_path, level, "xlsx")
    found = xlsx_cells(written)
    assert [c.coordinate for c in found if c.data_type in ("f", "e")] == []
    texts = {c.value for c in found if c.data_type == "s"}
    assert KEPT[level] <= texts  # as it was: no quote added, since a text cell is never run
    for cell in found:
        if isinstance(cell.value, str) and cell.value.startswith(cells.FORMULA_LEADS):
            assert cell.data_type == "s"
            assert cell.quotePrefix  # and it stays text if someone edits it in Excel
        if isinstance(cell.value, str):
            assert not cells.CONTROL.search(cell.value)
    with zipfile.ZipFile(written) as archive:
        sheets = [n for n in archive.namelist() if n.startswith("xl/worksheets/")]
        assert sheets
        for name in sheets:
            xml = archive.read(name).decode()
            assert "<f>" not in xml
            assert "<f " not in xml


def test_numbers_stay_numbers_and_only_text_is_quoted(poisoned: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    export.export(poisoned, "full", "csv", tmp_path / "csv")
    annotations = csv_cells(tmp_path / "csv")["annotations"]
    header = annotations[0]
    row = next(r for r in annotations[1:] if r[header.index("id")] == "-1")
    assert row[header.index("label")] == "'" + HYPERLINK
    export.export(poisoned, "full", "xlsx", tmp_path / "full.xlsx")
    sheet = openpyxl.load_workbook(tmp_path / "full.xlsx")["annotations"]
    ids = [c for c in next(sheet.iter_cols(min_col=1, max_col=1)) if c.row > 1]
    negative = next(c for c in ids if c.value == -1)
    assert negative.data_type == "n"
    assert not negative.quotePrefix
    export.export(poisoned, "aggregate", "xlsx", tmp_path / "agg.xlsx")
    counts = openpyxl.load_workbook(tmp_path / "agg.xlsx")[export.COUNTS_TABLE]
    values = [c for row in counts.iter_rows(min_row=2) for c in row[2:]]
    assert {c.data_type for c in values if isinstance(c.value, int)} == {"n"}  # counts are numbers…
    assert {c.value for c in values if c.data_type == "s"} <= {"[c]"}  # …and a hidden one is "[c]"


def test_a_participant_code_can_never_begin_like_a_formula(poisoned: duckdb.DuckDBPyConnection) -> None:
    for code in (HYPERLINK, PLUS, AT, MINUS, "=A1"):
        with pytest.raises(duckdb.Error):
            poisoned.execute("insert into participants (code, team_id, role) values (?, 1, 'nurse')", [code])


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_control_characters_no_longer_stop_an_export_and_are_counted_and_said(
    poisoned: duckdb.DuckDBPyConnection, tmp_path: Path, fmt: str
) -> None:
    for level in export.LEVELS:
        out = exported(poisoned, tmp_path, level, fmt)
        note = (
            "\n".join(str(c.value or "") for c in openpyxl.load_workbook(out)[export.NOTES_SHEET]["A"])
            if fmt == "xlsx"
            else (out / export.NOTES_FILE).read_text(encoding="utf-8")
        )
        n = CONTROLS[level]
        said = f"{n} control character{'s' if n > 1 else ''} (such as a vertical tab in text pasted from Word) "
        assert said + f"{'were' if n > 1 else 'was'} replaced by U+FFFD" in note
        assert VT not in note
        if fmt == "csv":
            assert "starts with ' so that a spreadsheet shows it as text instead of running it as a formula" in note
    afters = [a for (a,) in poisoned.execute("select after from audit where action = 'export' order by id").fetchall()]
    replaced = [int(re.search(r'"control_characters_replaced":\s*(\d+)', a).group(1)) for a in afters]  # type: ignore[union-attr]
    assert replaced == [CONTROLS[level] for level in export.LEVELS]


def test_the_full_export_text_shows_the_replacement_where_the_control_was(
    poisoned: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    export.export(poisoned, "full", "csv", tmp_path / "csv")
    body = {r[0]: r[-1] for r in csv_cells(tmp_path / "csv")["field_notes"]}
    assert body["2"] == f"line one{cells.REPLACEMENT}line two"
    export.export(poisoned, "full", "xlsx", tmp_path / "full.xlsx")
    frame = pd.read_excel(tmp_path / "full.xlsx", sheet_name="field_notes")
    assert frame.set_index("id").loc[2, "body"] == f"line one{cells.REPLACEMENT}line two"


def test_the_command_line_says_how_many_control_characters_it_replaced(
    poisoned: duckdb.DuckDBPyConnection, small_location: Path | str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    poisoned.close()  # the command opens the study itself
    out = tmp_path / "full.xlsx"
    assert main(["export", "--db", str(small_location), "--level", "full", "--format", "xlsx", "--out", str(out)]) == 0
    said = capsys.readouterr()
    assert "5 control characters (such as a vertical tab in text pasted from Word) were replaced by U+FFFD" in said.out
    assert "begin with =" not in said.out  # XLSX keeps such text as it is, in text cells
    assert said.err == ""
    csv_out = tmp_path / "full-csv"
    assert (
        main(["export", "--db", str(small_location), "--level", "full", "--format", "csv", "--out", str(csv_out)]) == 0
    )
    assert re.search(r"\d+ text cells begin with =, \+, -, @, a tab or a carriage return", capsys.readouterr().out)


def test_parquet_keeps_the_exact_text_and_a_full_export_fills_a_study_again_exactly(
    poisoned: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    export.export(poisoned, "full", "parquet", tmp_path / "out")
    bodies = set(pd.read_parquet(tmp_path / "out" / "field_notes.parquet")["body"])
    assert {HYPERLINK, f"line one{VT}line two"} <= bodies
    fresh = db.connect(tmp_path / "fresh.duckdb")
    try:
        # Taken back in under the checks of any import: the control characters (which no import or
        # form lets into a study) are refused by table, row and column, and nothing is written.
        with pytest.raises(ingest.ImportProblems) as caught:
            export.load_full_export(fresh, tmp_path / "out")
        assert sorted((p.file, p.column) for p in caught.value.problems) == [
            ("codes.parquet", "name"), ("field_notes.parquet", "body"), ("study.parquet", "name"),
            ("teams.parquet", "coach"), ("teams.parquet", "service"),
        ]  # fmt: skip
        assert fresh.execute("select count(*) from teams").fetchone() == (0,)
        for sql in ("update teams set service = 'Community service', coach = null where id = 1",
                    "update field_notes set body = 'line one' where id = 2",
                    "update codes set name = 'Service user absent' where id = 5",
                    "update study set name = 'Small study'"):  # fmt: skip
            poisoned.execute(sql)
        export.export(poisoned, "full", "parquet", tmp_path / "again")
        assert "FOR THE STUDY TEAM ONLY" in (tmp_path / "again" / export.NOTES_FILE).read_text(encoding="utf-8")
        export.load_full_export(fresh, tmp_path / "again")  # its note beside the tables is no table
        for table in db.STUDY_TABLES:
            query = f"select * from {table} order by all"
            assert fresh.execute(query).fetchall() == poisoned.execute(query).fetchall(), table
        assert fresh.execute("select name from teams order by id").fetchall() == [(HYPERLINK,), (AT,)]
        assert fresh.execute("select transcript from interviews where id = 1").fetchone() == (CR,)
    finally:
        fresh.close()


def test_the_notes_download_quotes_formula_like_text_and_replaces_control_characters(
    poisoned: duckdb.DuckDBPyConnection,
) -> None:
    found = notes.excerpts(poisoned, StudyFilter(), notes.ExcerptQuery())
    data = notes.excerpts_csv(found, notes.codebook(poisoned)).decode("utf-8")
    rows = {(r["source"], r["note_id"]): r for r in csv.DictReader(io.StringIO(data, newline=""))}
    note, transcript = (lambda i: rows[("note", i)]), (lambda i: rows[("interview", i)])
    assert note("1")["body"] == "'" + HYPERLINK
    assert note("1")["team_name"] == "'" + HYPERLINK
    assert note("2")["body"] == f"line one{cells.REPLACEMENT}line two"
    assert note("3")["author"] == "'" + MINUS
    assert note("4")["team_name"] == "'" + AT
    assert transcript("1")["body"] == "'" + CR  # quoted, and its carriage return kept inside the cell
    every = [cell for row in csv.reader(io.StringIO(data, newline="")) for cell in row]
    assert not [c for c in every if c.startswith(cells.FORMULA_LEADS) and not NUMBER.fullmatch(c)]
    assert not [c for c in every if cells.CONTROL.search(c)]


def test_an_unexpected_failure_while_writing_says_its_kind_and_not_the_text(
    poisoned: duckdb.DuckDBPyConnection, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def fails(*args: object, **kwargs: object) -> None:
        raise ValueError(f"cannot write {HYPERLINK} from the note")

    monkeypatch.setattr(pd.DataFrame, "to_csv", fails)
    with pytest.raises(export.ObservationError) as caught:
        export.export(poisoned, "full", "csv", tmp_path / "full")
    assert str(caught.value) == f"{tmp_path / 'full'}: the export could not be written (ValueError)"
    assert caught.value.__cause__ is None
    assert caught.value.__suppress_context__
    assert not (tmp_path / "full").exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []  # no staging folder left


# The rules themselves (observation.cells).


@pytest.mark.parametrize("lead", cells.FORMULA_LEADS)
def test_text_beginning_like_a_formula_gets_a_quote_and_nothing_else_does(lead: str) -> None:
    assert cells.spreadsheet_safe(lead + "1+1") == "'" + lead + "1+1"
    assert cells.spreadsheet_safe("a" + lead + "1") == "a" + lead + "1"
    assert cells.spreadsheet_safe("") == ""


def test_control_characters_are_replaced_and_counted_but_tab_newline_and_return_are_kept() -> None:
    assert cells.replace_controls("a\x0bb\x0cc\x00d") == ("a\ufffdb\ufffdc\ufffdd", 3)
    assert cells.replace_controls("a\tb\nc\r\nd") == ("a\tb\nc\r\nd", 0)
    frame = pd.DataFrame(
        {
            "text": pd.Series([HYPERLINK, f"x{VT}y", None, "#N/A"], dtype="str"),
            "mixed": pd.Series([-1, "[c]", PLUS, 3], dtype=object),
            "count": [-1, 0, 2, 3],
        }
    )
    quoted = cells.for_spreadsheet(frame, quote=True)
    assert list(quoted.frame["text"].fillna("")) == ["'" + HYPERLINK, "x\ufffdy", "", "#N/A"]
    assert list(quoted.frame["mixed"]) == [-1, "[c]", "'" + PLUS, 3]
    assert list(quoted.frame["count"]) == [-1, 0, 2, 3]
    assert (quoted.controls, quoted.formulas) == (1, 2)
    kept = cells.for_spreadsheet(frame, quote=False)
    assert list(kept.frame["text"].fillna("")) == [HYPERLINK, "x\ufffdy", "", "#N/A"]
    assert sorted(kept.where) == [(0, 0), (2, 1), (3, 0)]  # the error-like "#N/A" is a text cell too
