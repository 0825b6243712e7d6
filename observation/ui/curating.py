"""Streamlit glue for keeping the study in shape: the teams, participants and codebook grids, adding
and merging codes, and deleting a meeting or a note — each delete or merge says what it takes with
it and waits for a confirmation."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pandas as pd
import streamlit as st

from observation import curate, labels
from observation.errors import ObservationError
from observation.ui.edits import attempt, filled_rows, validated
from observation.ui.state import plain
from observation.ui.study import connection

CODE_HELP = "a pseudonymous code such as SU-07: upper case, digits, '-' or '_'; never a name"


def teams_grid() -> None:
    table = curate.teams(connection())
    edited = st.data_editor(
        table, key="setup_teams", num_rows="add", hide_index=True, placeholder="",
        column_config={
            "id": None,
            "name": st.column_config.TextColumn("Name", required=True),
            "service": st.column_config.TextColumn("Service", required=True),
            "setting": st.column_config.SelectboxColumn("Setting", options=list(labels.SETTINGS), required=True,
                                                        format_func=lambda s: labels.SETTINGS.get(str(s), str(s))),
            "start_date": st.column_config.DateColumn("Started", format="DD/MM/YYYY", required=True),
            "coach": st.column_config.TextColumn("Coach", help="the microsystem coach's code or role, never a name"),
        },
    )  # fmt: skip
    if st.button("Save the teams", key="setup_teams_save", type="primary"):
        attempt(lambda: _saved("teams", _rows(edited, curate.TeamEntry, "Teams")))


def participants_grid(team_id: int, teams: dict[int, str]) -> None:
    table = curate.participants(connection(), team_id)
    edited = st.data_editor(
        table, key=f"setup_participants_{team_id}", num_rows="add", hide_index=True, placeholder="",
        column_config={
            "id": None,
            "code": st.column_config.TextColumn("Participant (code)", required=True, help=CODE_HELP),
            "team_id": st.column_config.SelectboxColumn("Team", options=list(teams), required=True, default=team_id,
                                                        format_func=lambda t: teams.get(int(t), str(t)), width=300),
            "role": st.column_config.SelectboxColumn("Role", options=list(labels.PERSON_ROLES), required=True,
                                                     format_func=lambda r: labels.PERSON_ROLES.get(str(r), str(r))),
            "qi_trained": st.column_config.CheckboxColumn("QI trained", default=False),
        },
    )  # fmt: skip
    if st.button("Save the participants", key=f"setup_participants_save_{team_id}", type="primary"):
        attempt(lambda: _saved("participants", _rows(edited, curate.ParticipantEntry, "Participants")))


def codebook_grid() -> pd.DataFrame:
    """The codebook, names and definitions editable; returns it as shown (for the add and merge choices)."""
    table = curate.codes(connection())
    edited = st.data_editor(
        table, key="setup_codes", num_rows="fixed", hide_index=True, disabled=["slug", "segments"], placeholder="",
        column_config={
            "id": None,
            "slug": st.column_config.TextColumn("Key", help="stable: exports and QDA packages know the code by it"),
            "name": st.column_config.TextColumn("Name", required=True, width=180),
            "definition": st.column_config.TextColumn("Definition", width=200,
                                                      help="Click a cell to read or edit the whole definition"),
            "com_b": _words("COM-B", labels.COM_B, 100),
            "valence": _words("Barrier or enabler", labels.VALENCE, 145),
            "four_pi": _words("4Pi", labels.FOUR_PI, 80),
            "segments": st.column_config.NumberColumn("Segments", width=85, help="Coded segments with this code"),
        },
    )  # fmt: skip
    if st.button("Save the codebook", key="setup_codes_save", type="primary"):

        def save() -> str:
            rows = _rows(edited.drop(columns=["slug", "segments"]), curate.CodeEntry, "Codebook")
            changed = curate.save_codes(connection(), [(int(i), e) for i, e in rows if i is not None])
            return f"{labels.counted(changed, 'code')} changed; their coded segments stay with them."

        attempt(save)
    return table


def _words(label: str, words: dict[str, str], width: int) -> Any:
    """A grid column choosing one of a vocabulary's stored values, each shown in its words."""
    return st.column_config.SelectboxColumn(
        label, options=list(words), format_func=lambda v: words.get(str(v), str(v)), width=width
    )


def add_code(table: pd.DataFrame) -> None:
    themes = {int(i): f"{n} ({s})" for i, n, s in zip(table["id"], table["name"], table["slug"], strict=True)}
    with st.form("setup_add_code", clear_on_submit=True, border=False):
        parent = st.selectbox(
            "Under",
            [None, *themes],
            format_func=lambda i: "a new theme" if i is None else themes[i],
            key="setup_parent",
        )
        name = st.text_input("Name of the new code", key="setup_code_name")
        definition = st.text_area("Definition", height=80, key="setup_code_definition")
        if st.form_submit_button("Add the code", key="setup_add"):
            attempt(lambda: _added(parent, {"name": name, "definition": definition}))


def _added(parent: int | None, values: dict[str, Any]) -> str:
    entry = validated(curate.CodeEntry, values, "New code")
    curate.add_code(connection(), parent, entry)
    return f"{entry.name!r} added to the codebook."


def merge_codes(table: pd.DataFrame) -> None:
    names = {int(i): f"{n} ({s})" for i, n, s in zip(table["id"], table["name"], table["slug"], strict=True)}
    if len(names) < 2:
        st.caption("Merging needs two codes.")
        return
    st.caption("A theme can be merged once each of its sub-codes has been merged into another code.")
    left, right = st.columns(2)
    parents = {str(slug).rpartition(".")[0] for slug in table["slug"]}
    leaves = [i for i, slug in zip(table["id"], table["slug"], strict=True) if slug not in parents]  # no sub-codes
    source = left.selectbox("Merge this code", leaves, format_func=lambda i: names[i], key="setup_merge_source")
    targets = [i for i in names if i != source]
    target = right.selectbox("into this one", targets, format_func=lambda i: names[i], key="setup_merge_target")
    try:
        preview = curate.merge_preview(connection(), source, target)
    except ObservationError as exc:
        st.info(plain(str(exc)))
        return
    moved = preview.segments - preview.repeats
    segments = f"{labels.counted(moved, 'coded segment')} {'moves' if moved == 1 else 'move'}"
    steps = f"{labels.counted(preview.reasons, 'recruitment step')} {'gives' if preview.reasons == 1 else 'give'}"
    st.warning(
        plain(
            f"{preview.source!r} goes from the codebook. {segments} to {preview.target!r}"
            + (f", {preview.repeats} that repeat a segment it already has are removed" if preview.repeats else "")
            + f", and {steps} it as their reason instead."
            + _memos_moving(preview)
        ),
        icon=":material/merge:",
    )
    if _confirmed(f"setup_merge_{source}_{target}", "Merge them"):  # a new pair asks again
        attempt(lambda: _merged(source, target))


def _memos_moving(merge: curate.Merge, done: bool = False) -> str:
    """The memos a merge moves, in words (" 3 memos on it or on its repeated segments move to 'T'
    (1 added to the memo its author already has there, after “(from S)”)."); nothing for none."""
    if not merge.memos:
        return ""
    one = merge.memos == 1
    verb = "moved" if done else "moves" if one else "move"
    said = f" {labels.counted(merge.memos, 'memo')} on it or on its repeated segments {verb} to {merge.target!r}"
    if merge.joined:
        whose = "its author" if merge.joined == 1 else "their authors"
        has = "had" if done else "has" if merge.joined == 1 else "have"
        said += f" ({merge.joined} added to the memo {whose} already {has} there, after “(from {merge.source})”)"
    return said + "."


def _merged(source: int, target: int) -> str:
    merge = curate.merge_codes(connection(), source, target)
    return f"{merge.source!r} merged into {merge.target!r}." + _memos_moving(merge, done=True)


def delete_meeting_or_note(team_id: int, meeting_id: int, seen: int, forget: Callable[[], None]) -> None:
    """On the Record page: delete the meeting or one of its notes, after saying what goes with it."""
    notes = curate.notes_of(connection(), meeting_id)
    choices: dict[int | None, str] = {None: "the whole meeting"} | dict(notes)
    target = st.selectbox("What to delete", list(choices), format_func=lambda c: choices[c], key="record_delete_what")
    if target not in choices:
        return
    removal = (
        curate.meeting_removal(connection(), meeting_id)
        if target is None
        else curate.note_removal(connection(), target)
    )
    st.warning(plain(removal.describe() + " The audit trail keeps a copy of every row."), icon=":material/delete:")
    if not _confirmed(f"record_delete_{meeting_id}_{target}", "Delete"):
        return

    def delete() -> str:
        if target is None:
            curate.delete_meeting(connection(), meeting_id, seen)
            st.session_state["record_reset_meeting"] = team_id  # the meeting list starts again at "new"
        else:
            curate.delete_note(connection(), target, seen)
        forget()
        return f"Deleted {removal.what}."

    attempt(delete)


def _confirmed(key: str, label: str) -> bool:
    sure = st.checkbox("Yes, I mean it", key=f"{key}_sure")
    return st.button(label, key=f"{key}_go", disabled=not sure)


def _rows(table: pd.DataFrame, model: type[Any], title: str) -> list[tuple[int | None, Any]]:
    """The grid's filled rows, validated, each with its id (None for a row added in the grid)."""
    rows: list[tuple[int | None, Any]] = []
    for number, row in filled_rows(table):
        row_id = row.pop("id", None)
        values = {k: (v.date() if isinstance(v, pd.Timestamp | dt.datetime) else v) for k, v in row.items()}
        rows.append((None if row_id is None else int(row_id), validated(model, values, f"{title}, row {number}")))
    return rows


def _saved(table: str, rows: list[tuple[int | None, Any]]) -> str:
    created, changed = curate.save_rows(connection(), table, rows)
    return f"{created} added, {changed} changed."
