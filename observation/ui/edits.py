"""Changing the study from a form or a grid: the grid's rows validated (a problem named by table,
row and column, in the grid's words), the change attempted, and what it did said after the rerun."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import pandas as pd
import streamlit as st
from pydantic import BaseModel, ValidationError

from observation.errors import ObservationError
from observation.ui.state import plain
from observation.ui.study import study_changed

M = TypeVar("M", bound=BaseModel)
FLASH = "curate_flash"
FIELDS = {
    "label": "What changed", "category": "Kind", "participant_id": "Participant", "stage": "Stage",
    "reason_code_id": "Recruitment tension", "name": "Name", "service": "Service", "setting": "Setting",
    "start_date": "Started", "coach": "Coach", "code": "Participant (code)", "team_id": "Team", "role": "Role",
    "qi_trained": "QI trained", "definition": "Definition", "com_b": "COM-B", "valence": "Barrier or enabler",
    "four_pi": "4Pi",
}  # fmt: skip
"""Each field of a grid's rows (the Record page's and Study setup's), as a problem names it."""


class RowProblem(ValueError):
    """A row of a form's table that cannot be saved, named by table and row."""


def filled_rows(table: pd.DataFrame) -> list[tuple[int, dict[str, Any]]]:
    """The table's rows that have anything in them, numbered from 1 as on screen, empty cells left out."""
    rows: list[dict[str, Any]] = table.to_dict("records")  # type: ignore[assignment]
    filled = [{k: v for k, v in row.items() if not pd.isna(v) and v != ""} for row in rows]
    return [(i, row) for i, row in enumerate(filled, start=1) if row]


def validated(model: type[M], row: dict[str, Any], where: str) -> M:
    """``row`` as a ``model``, or a RowProblem saying ``where`` and which field, in the grid's words."""
    try:
        return model.model_validate(row)
    except ValidationError as exc:
        error = exc.errors()[0]
        field = FIELDS.get(str(error["loc"][0]), str(error["loc"][0])) if error["loc"] else "row"
        message = "must be filled in" if error["type"] in ("missing", "string_too_short") else error["msg"]
        raise RowProblem(f"{where}: {field} {message}") from None


def flash() -> None:
    """Say what the last change did, once, after the rerun that shows it."""
    message = st.session_state.pop(FLASH, None)
    if message:
        st.success(plain(message), icon=":material/check:")


def attempt(change: Callable[[], str]) -> None:
    """Run a change; on success show what it did after a rerun (every page reads the change),
    otherwise say why nothing was written."""
    try:
        message = change()
    except (RowProblem, ObservationError) as exc:
        said = str(exc)
        st.error(plain(f"Nothing was saved. {said[:1].upper()}{said[1:]}"), icon=":material/error:")
        return
    study_changed()
    st.session_state[FLASH] = message
    st.rerun()
