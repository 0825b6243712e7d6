"""The checks a spreadsheet import makes, made on whole study tables (a full export taken back in
with ``import --full-export``): text without control characters and within its length, names on
one line, dates in the study's window, numbers in range. Values are checked, never changed, so a
full export round-trips exactly."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from typing import Any

import pandas as pd

from observation.ingest import values as v
from observation.ingest.read import Problem
from observation.labels import CONTRIBUTIONS, FEEDBACK_VIA, IMPACT_KINDS, IMPACT_ORIGINS
from observation.models import DEFINITION_MAX, LABEL_MAX, NAME_MAX, NOTE_MAX, PERSON_MAX


def _line(most: int) -> Callable[[str], object]:
    def check(text: str) -> object:
        if any(c in text for c in "\t\r\n"):
            raise ValueError("must be one line: no tab or line break")
        return v.passage(text, most)

    return check


def _whole(least: int, most: int) -> Callable[[str], object]:
    return lambda text: v.whole(text, least, most)


def _date(text: str) -> object:
    return v.date(text)


def _stored(options: Mapping[str, str], what: str) -> Callable[[str], object]:
    """One of ``options``' stored values, exactly (a table holds the value, not its words)."""

    def check(text: str) -> object:
        if text not in options:
            raise ValueError(f"not a known {what}; use one of: {', '.join(options)}")
        return text

    return check


CHECKS: dict[str, dict[str, Callable[[str], object]]] = {
    "study": {"name": _line(NAME_MAX), "description": lambda s: v.passage(s, DEFINITION_MAX)},
    "teams": {"name": _line(NAME_MAX), "service": _line(NAME_MAX), "coach": _line(254), "start_date": _date},
    "participants": {"code": _line(PERSON_MAX)},
    "meetings": {"meeting_date": _date, "duration_minutes": _whole(1, 480), "action_items": _whole(0, 1_000)},
    "field_notes": {"author": _line(PERSON_MAX), "body": lambda s: v.passage(s, NOTE_MAX),
                    "position": _whole(1, 10_000), "minute": _whole(0, 1_440)},
    "interviews": {"informant_code": _line(PERSON_MAX), "transcript": lambda s: v.passage(s, NOTE_MAX),
                   "interview_date": _date},
    "codes": {"slug": _line(NAME_MAX), "name": _line(NAME_MAX), "definition": lambda s: v.passage(s, DEFINITION_MAX)},
    "contributions": {"observer": _line(PERSON_MAX), "minute": _whole(0, 480),
                      "kind": _stored(CONTRIBUTIONS, "kind of contribution")},
    "coded_segments": {"coder": _line(PERSON_MAX)},
    "recruitment_events": {"event_date": _date},
    "annotations": {"label": _line(LABEL_MAX), "event_date": _date},
    "feedback_items": {"wording": lambda s: v.passage(s, 200)},
    "feedback_responses": {"answer": _whole(1, 5), "via": _stored(FEEDBACK_VIA, "way the answer came")},
    "impact_entries": {"entry_date": _date, "kind": _stored(IMPACT_KINDS, "kind of change"),
                       "description": lambda s: v.passage(s, 2_000),
                       "origin": _stored(IMPACT_ORIGINS, "origin (whom the idea came from)")},
}  # fmt: skip
"""Per table, the columns checked and how (a blank value is left to the schema)."""


def check(frames: Mapping[str, pd.DataFrame], file: Callable[[str], str]) -> list[Problem]:
    """Every problem in ``frames`` (study tables), as FILE:ROW:COLUMN (``file(table)`` names the
    file; a row is the table's, from 1)."""
    problems = []
    for table, columns in CHECKS.items():
        frame = frames.get(table)
        if frame is None:
            continue
        for column, parse in columns.items():
            if column not in frame.columns:
                continue
            for row, value in enumerate(frame[column].tolist(), start=1):
                text = _as_text(value)
                if text is None:
                    continue
                try:
                    parse(text)
                except ValueError as exc:
                    problems.append(Problem(file(table), row, column, text, str(exc)))
    return problems


def _as_text(value: Any) -> str | None:
    """A table's value as an import would read it: None when blank."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    if isinstance(value, dt.datetime | pd.Timestamp):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    text = str(value)
    return text if text.strip() else None
