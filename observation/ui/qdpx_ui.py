"""The Export and Import pages' REFI-QDA project (.qdpx) parts: the study's coding as a download,
and a project from NVivo, ATLAS.ti, MAXQDA or QualCoder brought in through a mapping of its sources
the researcher checks in a table (docs/qdpx.md)."""

from __future__ import annotations

import hashlib
import tempfile
import uuid
from pathlib import Path
from typing import Any

import pandas as pd
import streamlit as st

from observation import access, labels, qdpx
from observation.errors import ObservationError
from observation.ui.state import plain
from observation.ui.study import connection, location, study_changed, team_names, version

FILE_NAME = "study-coding.qdpx"
UPLOAD_MEGABYTES = 200
PREPARED = "qdpx_prepared"
"""Session state: the prepared .qdpx, with the study's state it was made from (study_state)."""
READ = "qdpx_read"
"""Session state: the uploaded project as read (keyed on its bytes' digest) and its proposed mapping
(keyed on the study's state too), so that a rerun of the mapping table reads neither again."""
COLUMNS = {
    "source": "Source",
    "how": "Proposed from",
    "maps_to": "Goes to",
    "team": "Team",
    "date": "Date",
    "informant_code": "Informant",
    "informant_group": "Informant group",
}
HOW = {"recorded": "its record", "guessed from its text": "its text", "guessed from its name": "its name"}
"""Where a proposal came from, said short in the table (the CSV of the command line says it whole)."""


@st.cache_data(max_entries=4, show_spinner=False)
def _generation(where: str, version: int) -> str:
    """A token that lasts until this process writes to the study: study_changed clears every
    cached result, this one too, and the next call makes a new one."""
    return uuid.uuid4().hex


def study_state() -> tuple[str, int, str]:
    """The study as it stands: where it is, its data version (another server's change, on
    PostgreSQL) and the token of this process's writes (a study file's version is always 0)."""
    where = location()
    now = version(where)
    return where, now, _generation(where, now)


def _researcher() -> bool:
    if access.current().role != "researcher":
        st.info("Only researchers move the study's coding to and from QDA software.", icon=":material/lock:")
        return False
    return True


def export_section() -> None:
    """A download of the study's coding as a REFI-QDA project: prepared (and audited) on request,
    for researchers only."""
    if not _researcher():
        return
    st.subheader("Coding for NVivo, ATLAS.ti, MAXQDA or QualCoder", anchor=False)
    st.caption(
        "A REFI-QDA project (.qdpx): each meeting's field notes as one text source (a blank line between two "
        "notes), each interview as one, the codebook, one user per coder, every coded passage and the memos on "
        "codings and codes (as the project's notes). For the study team only: it holds the notes, transcripts "
        "and memos word for word. Written to the audit trail."
    )
    if st.button("Prepare the project", key="qdpx_prepare"):
        try:
            with st.spinner("Preparing the project…"), tempfile.TemporaryDirectory() as folder:
                out = Path(folder) / FILE_NAME
                state = study_state()
                written = qdpx.export_project(connection(), out)
                st.session_state[PREPARED] = (state, out.read_bytes(), written)
        except ObservationError as exc:
            st.error(plain(str(exc)), icon=":material/error:")
        except Exception as exc:  # its message may quote a note: only its kind is said
            st.error(
                f"The project could not be made ({type(exc).__name__}). Nothing was written.", icon=":material/error:"
            )
    prepared = st.session_state.get(PREPARED)
    if not isinstance(prepared, tuple) or prepared[0] != study_state():
        st.session_state.pop(PREPARED, None)  # made before the study changed: never offered
        return
    _, payload, written = prepared
    st.caption(plain(written.said(FILE_NAME).split("\n")[0]))
    for why in written.left_out:
        st.warning(plain(f"Left out: {why}"), icon=":material/warning:")
    st.download_button(
        f"Download {FILE_NAME}", payload, file_name=FILE_NAME, mime="application/zip", key="qdpx_download"
    )


def import_section() -> None:
    """Upload a .qdpx, check (and change) where each of its sources goes, then import its coding:
    every problem listed, or what was imported."""
    if not _researcher():
        return
    st.subheader("Coding from NVivo, ATLAS.ti, MAXQDA or QualCoder", anchor=False)
    upload = st.file_uploader(
        "A REFI-QDA project (.qdpx)",
        type=["qdpx"],
        key="qdpx_upload",
        max_upload_size=UPLOAD_MEGABYTES,
        help="Our own export's sources go back where they came from; say where each other source goes.",
    )
    if upload is None:
        st.session_state.pop(READ, None)  # the project read last is let go
        st.caption(
            "Choose a project to see where each of its text sources would go. Its coded passages come in, with "
            "the memos (notes) on them and on its codes: a memo on a coding only from the coding's coder."
        )
        return
    read = _read(upload)
    if isinstance(read, str):
        st.error(plain(read), icon=":material/error:")
        return
    project, proposal = read
    if not proposal:
        st.info(plain(f"{upload.name} holds no text source: nothing to import."), icon=":material/info:")
        return
    rows = _mapping_table(proposal, upload.file_id)
    if st.button("Import the coding", key="qdpx_import", type="primary"):
        _import(project, upload.name, rows)


def _read(upload: Any) -> tuple[qdpx.Project, list[qdpx.Mapping]] | str:
    """The uploaded project as read, and where each source would go; or why it was refused. Read
    once per upload (its bytes' digest), proposed once per study state, kept in session state."""
    data = upload.getvalue()
    digest = hashlib.sha256(data).hexdigest()
    kept = st.session_state.get(READ)
    if not (isinstance(kept, dict) and kept.get("digest") == digest and kept.get("name") == upload.name):
        try:
            with tempfile.TemporaryDirectory() as folder:
                path = Path(folder) / "project.qdpx"
                path.write_bytes(data)
                found: qdpx.Project | str = qdpx.read_project(path, name=upload.name)
        except ObservationError as exc:
            found = str(exc)
        kept = {"digest": digest, "name": upload.name, "project": found}
        st.session_state[READ] = kept
    project = kept["project"]
    if isinstance(project, str):
        return project
    state = study_state()
    if kept.get("state") != state:
        try:
            kept["proposal"] = qdpx.propose_mapping(connection(), project)
        except ObservationError as exc:
            return str(exc)
        kept["state"] = state
    return project, kept["proposal"]


def _mapping_table(proposal: list[qdpx.Mapping], file_id: str) -> list[qdpx.Mapping]:
    """The proposal in a table whose choices can be changed; the mapping as it stands."""
    st.caption(
        "Where each source goes: a meeting the study holds (its team and date), an interview it holds (its "
        "informant), a new interview (informant, group and date; team if any), or skip. A source must hold "
        "exactly the meeting's notes, or the interview's transcript, for its passages to land where they were coded."
    )
    frame = pd.DataFrame([{c: getattr(m, c) for c in COLUMNS} | {"how": _how(m.how)} for m in proposal])
    teams = sorted({*team_names().values(), *(m.team for m in proposal if m.team)})
    edited = st.data_editor(
        frame,
        hide_index=True,
        num_rows="fixed",
        disabled=["source", "how"],
        key=f"qdpx_map_{file_id}",
        column_config={
            "source": st.column_config.TextColumn(COLUMNS["source"]),
            "maps_to": st.column_config.SelectboxColumn(COLUMNS["maps_to"], options=list(qdpx.TARGETS)),
            "team": st.column_config.SelectboxColumn(COLUMNS["team"], options=teams),
            "date": st.column_config.TextColumn(COLUMNS["date"], help="31/01/2020 or 2020-01-31"),
            "informant_code": st.column_config.TextColumn(COLUMNS["informant_code"], help="A code such as KI-07"),
            "informant_group": st.column_config.SelectboxColumn(
                COLUMNS["informant_group"], options=list(labels.INFORMANT_GROUPS)
            ),
            "how": st.column_config.TextColumn(COLUMNS["how"], help="Where the proposal came from: check it"),
        },
    )
    chosen: list[dict[Any, Any]] = edited.to_dict("records")
    return [
        qdpx.Mapping(
            source=m.source,
            source_guid=m.source_guid,
            maps_to=_text(row.get("maps_to")),  # type: ignore[arg-type]
            team=_text(row.get("team")),
            date=_text(row.get("date")),
            informant_code=_text(row.get("informant_code")),
            informant_group=_text(row.get("informant_group")),
            how=m.how,
        )
        for m, row in zip(proposal, chosen, strict=True)
    ]


def _how(how: str) -> str:
    return next((short for start, short in HOW.items() if how.startswith(start)), "no guess: say it")


def _text(value: object) -> str:
    return "" if value is None or (isinstance(value, float) and pd.isna(value)) else str(value).strip()


def _import(project: qdpx.Project, name: str, rows: list[qdpx.Mapping]) -> None:
    try:
        with st.spinner("Importing the coding…"):
            imported = qdpx.import_project(connection(), project, rows, name=name)
    except qdpx.ProjectProblems as exc:
        st.error(
            plain(f"{len(exc.problems):,} problem(s), all listed below; nothing was imported."),
            icon=":material/error:",
        )
        st.dataframe(
            pd.DataFrame(
                [{"source": p.source, "item": p.item, "value": p.value, "reason": p.reason} for p in exc.problems]
            ),
            hide_index=True,
            key="qdpx_problems",
            column_config={
                "source": st.column_config.TextColumn("Source", width="medium"),
                "item": st.column_config.TextColumn("Where", width="small"),
                "value": st.column_config.TextColumn("Value", width="small"),
                "reason": st.column_config.TextColumn("Reason", width="large"),
            },
        )
        return
    except ObservationError as exc:
        st.error(plain(str(exc)), icon=":material/error:")
        return
    except Exception as exc:  # its message may quote a note: only its kind is said
        st.error(
            f"The coding could not be imported ({type(exc).__name__}). Nothing was written.", icon=":material/error:"
        )
        return
    if imported.wrote:
        study_changed()
    lines = imported.said(name).split("\n")
    st.success(plain(lines[0]), icon=":material/check_circle:")
    for line in lines[1:]:
        st.info(plain(line), icon=":material/info:")
