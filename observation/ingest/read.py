"""Reading spreadsheets as researchers keep them: CSV or XLSX, forgiving of spreadsheet leftovers
(a byte-order mark, empty trailing rows and columns, stray spaces, mixed case in headers)."""

from __future__ import annotations

import datetime as dt
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from observation.errors import ObservationError

MAX_BYTES = 20 * 2**20


@dataclass(frozen=True)
class Sheet:
    """One file's rows as text. ``rows[i]`` is spreadsheet row ``i + 2`` (the header is row 1)."""

    name: str
    columns: tuple[str, ...]
    """Normalised headers: stripped, lower case, spaces as underscores (dates stay as written)."""
    headers: tuple[str, ...]
    """The headers as the file wrote them, for messages."""
    rows: tuple[dict[str, str], ...]


def normalise(header: str) -> str:
    return "_".join(header.strip().lower().split())


def read_sheet(path: Path, name: str | None = None) -> Sheet:
    """Read a CSV or XLSX file; any problem with the file itself is one clear ObservationError."""
    label = name or path.name
    if not path.is_file():
        raise ObservationError(f"{label}: no such file")
    size = path.stat().st_size
    if size == 0:
        raise ObservationError(f"{label}: the file is empty")
    if size > MAX_BYTES:
        raise ObservationError(
            f"{label}: {size / 2**20:.0f} MB is more than the {MAX_BYTES // 2**20} MB an import takes"
        )
    try:
        if zipfile.is_zipfile(path):
            with zipfile.ZipFile(path) as archive:
                unpacked = sum(item.file_size for item in archive.infolist())
            if unpacked > 10 * MAX_BYTES:
                raise ObservationError(
                    f"{label}: this workbook unpacks to {unpacked / 2**20:.0f} MB, too large to import"
                )
            frame = pd.read_excel(path, dtype=object, header=None, engine="openpyxl")
        else:
            frame = pd.read_csv(
                path, dtype=str, header=None, keep_default_na=False, encoding="utf-8-sig", skip_blank_lines=False
            )
    except ObservationError:
        raise
    except Exception as exc:  # any file the readers choke on is one clear message, never a traceback
        raise ObservationError(
            f"{label}: not a CSV or XLSX spreadsheet that can be read ({_first_line(exc)})"
        ) from None
    cells = [[_text(v) for v in row] for row in frame.itertuples(index=False)]
    while cells and not any(cells[-1]):
        cells.pop()  # empty trailing rows
    if not cells or not any(cells[0]):
        raise ObservationError(f"{label}: there is no header row")
    width = max((i + 1 for row in cells for i, v in enumerate(row) if v), default=0)
    headers = [h for h in cells[0][:width]]
    while headers and not headers[-1]:
        headers.pop()  # empty trailing columns
    columns = tuple(normalise(h) for h in headers)
    repeated = sorted({c for c in columns if c and columns.count(c) > 1})
    if repeated:
        raise ObservationError(f"{label}: row 1 names the column {', '.join(repeated)} more than once")
    rows = tuple(dict(zip(columns, (row + [""] * len(columns))[: len(columns)], strict=True)) for row in cells[1:])
    return Sheet(label, columns, tuple(headers), rows)


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
