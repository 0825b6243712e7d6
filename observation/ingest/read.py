"""Reading spreadsheets as researchers keep them: CSV or XLSX, forgiving of spreadsheet leftovers
(a byte-order mark, empty trailing rows and columns, stray spaces, mixed case in headers) but never
of a cell it would lose: a row with more cells than the header row names (a comma inside a note
left unquoted) and a quote that runs into the rows after it are problems, not silent cuts."""

from __future__ import annotations

import csv
import datetime as dt
import itertools
import re
import zipfile
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv

from observation.errors import ObservationError

MAX_BYTES = 20 * 2**20
csv.field_size_limit(max(csv.field_size_limit(), MAX_BYTES))  # a cell as long as a whole file may be


@dataclass(frozen=True)
class Problem:
    """One problem, where a researcher finds it: file, spreadsheet row (1 is the header row; 0 is
    the file as a whole), column, the value as written and the reason."""

    file: str
    row: int
    column: str
    value: str
    reason: str

    def __str__(self) -> str:
        if not self.row:
            return f"{self.file}: {self.reason}"
        return f"{self.file}:{self.row}:{self.column}: '{self.value}' — {self.reason}"


class Unreadable(ObservationError):
    """The file cannot be read as rows at all; ``problem`` says where and why."""

    def __init__(self, problem: Problem) -> None:
        self.problem = problem
        super().__init__(str(problem) if problem.row else f"{problem.file}: {problem.reason}")


def shown(value: str, longest: int = 80) -> str:
    """A cell's value for a message, on one line: control characters, tabs and line breaks made
    visible (\\x0b, \\t, \\n), a long value cut with its length said (a reason is never cut)."""
    visible = _INVISIBLE.sub(lambda m: repr(m[0])[1:-1], value)
    if len(visible) <= longest:
        return visible
    said = f"… ({len(value):,} characters)"
    return visible[: longest - len(said)] + said


_INVISIBLE = re.compile(r"[\x00-\x1f\x7f]")


@dataclass(frozen=True)
class Sheet:
    """One file's rows as text. Row ``i`` of ``table`` (and ``rows[i]``) is spreadsheet row ``i + 2``
    (the header is row 1)."""

    name: str
    columns: tuple[str, ...]
    """Normalised headers: stripped, lower case, spaces as underscores (dates stay as written)."""
    headers: tuple[str, ...]
    """The headers as the file wrote them, for messages."""
    table: pa.Table
    """The body, one text column per header (named by ``columns``), stripped, blank for empty."""
    problems: tuple[Problem, ...] = ()
    """Cells the file would lose or misread: beyond its header row, in a column without a header,
    missing from a short row, an error or unsaved formula in a workbook, a quote left open."""
    hidden: tuple[str, ...] = ()
    """A workbook's hidden sheets, left out (and said)."""

    @cached_property
    def rows(self) -> tuple[dict[str, str], ...]:
        return tuple(self.table.to_pylist())

    def samples(self, count: int, among: int = 1_000) -> tuple[tuple[str, ...], ...]:
        """Per column, up to ``count`` different non-empty values from its first ``among`` rows."""
        return tuple(
            tuple(pc.unique(pc.filter(c, pc.not_equal(c, ""))).slice(0, count).to_pylist())
            for c in self.table.slice(0, among).columns
        )

    def headers_only(self) -> Sheet:
        """The sheet without its rows (or problems): what tells how it is read."""
        empty = pa.table([pa.array([], pa.string()) for _ in self.columns], names=list(self.columns))
        return Sheet(self.name, self.columns, self.headers, empty, (), self.hidden)


def normalise(header: str) -> str:
    """A header as a column name: lower case, words joined by '_' ("Date of meeting" is
    date_of_meeting, "Participant ID" participant_id, "COM-B" com_b)."""
    return "_".join(re.findall(r"[^\W_]+", header.lower()))


def read_sheet(path: Path, name: str | None = None) -> Sheet:
    """Read a CSV file or an XLSX workbook's one visible sheet; a problem with the file itself is
    one clear ObservationError, a problem with a cell a Problem in ``Sheet.problems``."""
    label = name or path.name
    if path.is_dir():
        raise ObservationError(f"{label}: a folder, not a spreadsheet")
    if not path.is_file():
        raise ObservationError(f"{label}: no such file")
    size = path.stat().st_size
    if size == 0:
        raise ObservationError(f"{label}: the file is empty")
    if size > MAX_BYTES:
        raise ObservationError(
            f"{label}: {size / 2**20:.0f} MB is more than the {MAX_BYTES // 2**20} MB an import takes; "
            "split it into smaller files"
        )
    workbook = zipfile.is_zipfile(path)
    if not workbook and Path(label).suffix.lower() in {".xlsx", ".xlsm", ".xls"}:
        raise ObservationError(
            f"{label}: not an XLSX workbook that can be read (an .xls from an old Excel? Save it as .xlsx or CSV)"
        )
    found: list[Problem] = []
    hidden: tuple[str, ...] = ()
    try:
        if workbook:
            body, hidden = _read_workbook(path, label, found)
        else:
            body = _read_csv(path, label, found)
    except ObservationError:
        raise
    except csv.Error as exc:
        raise Unreadable(_where_quote_opens(path, label, exc)) from None
    except UnicodeDecodeError:
        if b"\x00" in path.read_bytes()[:4096]:
            raise ObservationError(f"{label}: not a CSV or XLSX spreadsheet that can be read (a binary file)") from None
        raise ObservationError(
            f"{label}: not UTF-8 text, so its accented letters would be read wrong; in Excel, save it as "
            "'CSV UTF-8 (Comma delimited)' or as .xlsx"
        ) from None
    except Exception as exc:  # any file the readers choke on is one clear message, never a traceback
        raise ObservationError(
            f"{label}: not a CSV or XLSX spreadsheet that can be read ({_first_line(exc)})"
        ) from None
    body = pa.table([pc.utf8_trim_whitespace(pc.fill_null(c.cast(pa.string()), "")) for c in body.columns],
                    names=[str(i) for i in range(body.num_columns)])  # fmt: skip
    if body.num_rows == 0 or not any(body.slice(0, 1).to_pylist()[0].values()):
        raise ObservationError(f"{label}: there is no header row")
    headers = list(body.slice(0, 1).to_pylist()[0].values())
    if any(_INVISIBLE.search(h.replace("\t", "")) for h in headers):
        raise ObservationError(f"{label}: the header row holds control characters, so this is not a CSV or XLSX "
                               "spreadsheet that can be read (a binary file?)")  # fmt: skip
    while headers and not headers[-1]:
        headers.pop()  # empty trailing columns
    if len(headers) == 1 and ";" in headers[0]:
        raise ObservationError(f"{label}: its columns are separated by semicolons (as Excel writes CSV in some "
                               "languages); save it as 'CSV UTF-8 (Comma delimited)' or as .xlsx")  # fmt: skip
    columns = tuple(normalise(h) for h in headers)
    repeated = sorted({c for c in columns if c and columns.count(c) > 1})
    if repeated:
        raise ObservationError(f"{label}: row 1 names the column {', '.join(repeated)} more than once")
    table = body.slice(1).select(list(range(len(columns)))).rename_columns(list(columns))
    problems = (*found, *_beyond_headers(label, body, len(columns)), *_without_header(label, table, headers))
    return Sheet(label, columns, tuple(headers), table, tuple(problems), hidden)


def _without_header(label: str, table: pa.Table, headers: list[str]) -> list[Problem]:
    """A problem for each column with values but no header (they would be lost)."""
    problems = []
    for i, header in enumerate(headers):
        if not header:
            filled = pc.filter(table.column(i), pc.not_equal(table.column(i), ""))
            if len(filled):
                problems.append(Problem(label, 1, f"column {i + 1} (no header)", filled[0].as_py(),
                                        "this column has values but no header, so they would be lost: name it, "
                                        "or delete the column"))  # fmt: skip
    return problems


def _beyond_headers(label: str, body: pa.Table, width: int) -> tuple[Problem, ...]:
    """A problem for each row with a non-empty cell right of the last header."""
    if body.num_columns <= width:
        return ()
    problems = []
    for i, row in enumerate(body.slice(1).select(list(range(width, body.num_columns))).to_pylist()):
        filled = [(n, cell) for n, cell in enumerate(row.values(), start=width + 1) if cell]
        if filled:
            where = ", ".join(str(n) for n, _ in filled)
            problems.append(
                Problem(
                    label, i + 2, f"column{'s' if len(filled) > 1 else ''} {where} (no header)",
                    ", ".join(cell for _, cell in filled),
                    f"this row has {len(filled)} more cell(s) than the header row names, so a value would be "
                    "lost: a comma inside a text left unquoted? Put that text in double quotes",
                )
            )  # fmt: skip
    return tuple(problems)


def _read_csv(path: Path, label: str, problems: list[Problem]) -> pa.Table:
    """Every cell as text, in file order: blank lines kept (so rows keep their spreadsheet numbers)
    and long rows padded to the widest (a stray trailing comma is not worth a refusal). Arrow's
    reader for speed (it reads in parallel), unless a quote has text on both sides or a quoted
    cell runs over lines; then Python's strict reader, which refuses a quote left open or text
    after a closing quote (Arrow takes the rows after it into the cell, or drops the quote). Found on the way, into
    ``problems``: a row shorter than the header row (its missing cells would clear what the study
    holds), and a cell over several lines shaped like rows of this file (a quote left open that a
    later stray quote closed)."""
    data = path.read_bytes()
    if not _mid_cell_quote(data):
        try:
            table = pa_csv.read_csv(
                pa.BufferReader(data),
                read_options=pa_csv.ReadOptions(autogenerate_column_names=True),
                parse_options=pa_csv.ParseOptions(ignore_empty_lines=False, newlines_in_values=True),
                convert_options=pa_csv.ConvertOptions(
                    column_types=_AS_TEXT, strings_can_be_null=False, quoted_strings_can_be_null=False
                ),
            )
            if (
                b'"' not in data
                or _one_line_a_row(data, table.num_rows)
                or not any(pc.any(pc.match_substring_regex(c, "[\r\n]")).as_py() for c in table.columns)
            ):
                return table
        except pa.ArrowInvalid:
            pass  # rows of different widths
    with path.open(newline="", encoding="utf-8-sig") as handle:
        rows = list(csv.reader(handle, strict=True))
    header = len(rows[0]) if rows else 0
    while header and not rows[0][header - 1].strip():
        header -= 1
    short = [(n, row) for n, row in enumerate(rows[1:], start=2) if 0 < len(row) < header and any(map(str.strip, row))]
    for number, row in short:
        problems.append(Problem(label, number, f"columns {len(row) + 1}–{header}", ",".join(row),
                                f"this row has {len(row)} cell(s) where the header row names {header}, so the "
                                "missing ones would clear what the study holds: add the empty cells (commas), "
                                "or fill them"))  # fmt: skip
    columns = list(itertools.zip_longest(*rows, fillvalue=""))
    multiline = [(i, column) for i, column in enumerate(columns) if any("\n" in c or "\r" in c for c in column)]
    if multiline and header > 1:
        starts = {cell.strip() for cell in columns[0][1:] if cell.strip()}
        for i, column in multiline:
            for number, cell in enumerate(column[1:], start=2):
                if any(_row_shaped(line, header, starts) for line in cell.splitlines()[1:]):
                    problems.append(Problem(label, number, rows[0][i] if i < header else f"column {i + 1}", cell,
                                            "this cell runs over lines shaped like rows of this file: a quote left "
                                            "open takes the rows after it into the cell; close the quote where the "
                                            "cell ends"))  # fmt: skip
    return pa.table({str(i): pa.array(column, pa.string()) for i, column in enumerate(columns)})


_ROW_OR_CELL_START = np.zeros(256, dtype=bool)
_ROW_OR_CELL_START[list(b",\r\n")] = True
_CELL_EDGE = _ROW_OR_CELL_START.copy()
_CELL_EDGE[ord('"')] = True  # a quote beside a quote: doubled inside a quoted cell, or one closing it


def _mid_cell_quote(data: bytes) -> bool:
    """Whether a quote has text on both sides: inside a cell (Arrow drops it when it closes a quoted
    cell); or an empty quoted cell has text after it (``""=``: Arrow takes the text, Python's strict
    reader refuses it). Looked at quote by quote in numpy: a regular expression over the whole file
    takes ten times as long."""
    body = np.frombuffer(data, dtype=np.uint8)
    quotes = np.flatnonzero(body == ord('"'))
    inner = quotes[(quotes > 0) & (quotes < len(body) - 1)]
    if np.any(~_CELL_EDGE[body[inner - 1]] & ~_CELL_EDGE[body[inner + 1]]):
        return True
    pairs = quotes[quotes < len(body) - 2]
    pairs = pairs[body[pairs + 1] == ord('"')]
    opens = (pairs == 0) | _ROW_OR_CELL_START[body[np.maximum(pairs - 1, 0)]]
    return bool(np.any(opens & ~_CELL_EDGE[body[pairs + 2]]))


def _one_line_a_row(data: bytes, rows: int) -> bool:
    """Whether no cell of a file Arrow read as ``rows`` rows holds a line break: a line end inside a
    quoted cell would be one more than the rows, unless the quote is left open at the end of the
    file (an odd number of quotes then: the file has no quote inside a cell, and a quoted cell holds
    its own quotes doubled). A bare carriage return is not counted: False."""
    if data.count(b"\n") != rows - (not data.endswith(b"\n")) or data.count(b'"') % 2:
        return False
    returns = data.count(b"\r")
    return not returns or returns == data.count(b"\r\n")


def _row_shaped(line: str, width: int, starts: set[str]) -> bool:
    """Whether a line inside a cell reads as a row of the file: as many cells as the header row,
    the first of them one that begins another row (a team's name, a date...)."""
    cells = next(csv.reader([line]), [])
    return len(cells) >= width and cells[0].strip() in starts


def _read_workbook(path: Path, label: str, problems: list[Problem]) -> tuple[pa.Table, tuple[str, ...]]:
    """A workbook's one visible sheet as text, and the names of its hidden sheets (left out). An
    error cell (#DIV/0!, #REF!…) and a formula with no saved value are problems: read as blanks,
    they would clear what the study holds."""
    with zipfile.ZipFile(path) as archive:
        unpacked = sum(item.file_size for item in archive.infolist())
    if unpacked > 10 * MAX_BYTES:
        raise ObservationError(f"{label}: this workbook unpacks to {unpacked / 2**20:.0f} MB, too large to import")
    values = openpyxl.load_workbook(path, read_only=True, data_only=True)
    formulas = openpyxl.load_workbook(path, read_only=True, data_only=False)
    try:
        visible = [ws.title for ws in values.worksheets if ws.sheet_state == "visible"]
        hidden = tuple(ws.title for ws in values.worksheets if ws.sheet_state != "visible")
        if len(visible) != 1:
            raise ObservationError(
                f"{label}: {len(visible)} sheets ({', '.join(visible)}), and an import reads one sheet a file; "
                "save each sheet as its own file, or delete the sheets not to import"
            )
        rows: list[list[str]] = []
        headers: list[str] = []
        for number, (cells, written) in enumerate(
            zip(values[visible[0]].iter_rows(), formulas[visible[0]].iter_rows(), strict=True), start=1
        ):
            row = [_text(c.value) for c in cells]
            headers = headers or row
            for i, (cell, formula) in enumerate(zip(cells, written, strict=True)):
                column = headers[i] if i < len(headers) and headers[i] else f"column {i + 1}"
                if cell.data_type == "e":
                    problems.append(Problem(label, number, column, str(cell.value), "the spreadsheet shows an "
                                            "error here; fix the formula, or type the value"))  # fmt: skip
                elif cell.value is None and formula.data_type == "f":
                    problems.append(Problem(label, number, column, str(formula.value), "a formula with no value "
                                            "saved with it (the file was not saved by a spreadsheet program); open "
                                            "and save it in Excel, or type the value"))  # fmt: skip
            rows.append(row)
    finally:
        values.close()
        formulas.close()
    width = max((len(row) for row in rows), default=0)
    return pa.table({str(i): [row[i] if i < len(row) else "" for row in rows] for i in range(width)}), hidden


def _where_quote_opens(path: Path, label: str, exc: csv.Error) -> Problem:
    """Where Python's strict reader stopped: the row (a row over several lines counts once) and
    the column of the first cell still open at the end of its first line."""
    with path.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.reader(handle, strict=True)
        starts, row = 1, 1
        try:
            for _ in reader:
                starts, row = reader.line_num + 1, row + 1
        except csv.Error:
            pass
    with path.open(newline="", encoding="utf-8-sig") as handle:
        lines = handle.read().splitlines()
    header = next(csv.reader([lines[0]])) if lines else []
    text = lines[starts - 1] if starts - 1 < len(lines) else ""
    column, quoted, cell = 0, False, 0
    for i, ch in enumerate(text):
        if ch == '"' and (quoted or i == 0 or text[i - 1] == ","):
            quoted = not quoted
            cell = column
        elif ch == "," and not quoted:
            column += 1
    at = header[cell] if cell < len(header) else f"column {cell + 1}"
    if "expected after" in str(exc):
        why = ("a quoted cell goes on after its closing quote; put the whole cell in quotes, with each quote "
               'inside it doubled ("")')  # fmt: skip
    else:
        why = ("a quote opens a cell on this row and is never closed, so the rows after it would be read into "
               "this cell; close the quote or remove it")  # fmt: skip
    return Problem(label, row, at, shown(text), why)


# Arrow names the columns f0, f1, ...; every one is read as text (a code like 0012 stays 0012).
_AS_TEXT = {f"f{i}": pa.string() for i in range(10_000)}


def _text(value: object) -> str:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return ""
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time(0, 0) else value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
