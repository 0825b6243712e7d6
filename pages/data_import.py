"""Import: upload spreadsheets, see what they would change, then import them all or nothing."""

import streamlit as st

from observation import ingest, ui
from observation.ui import data_io

ui.shared_sidebar("data_import", filtered=False)
st.title(
    "Import",
    help="CSV or XLSX: one row per record for teams, participants, meetings, attendance, field notes, codes, "
    "coded segments, recruitment events or annotations, or an attendance register (one row per person, one "
    "column per meeting date). Every problem is listed as file, row, column, value and reason; nothing is "
    "written unless there are none. Importing the same file again changes nothing.",
)
uploads = st.file_uploader(
    "Spreadsheets",
    type=["csv", "xlsx"],
    accept_multiple_files=True,
    key="import_files",
    help="Up to 20 MB each. Examples of every kind are in data/examples.",
)
kind = st.selectbox("What the files hold", [data_io.ANY_KIND, *ingest.KIND_NAMES], key="import_kind")
if not uploads:
    st.info("Choose one or more files to see what they would change.")
    st.stop()
if data_io.show_outcome(data_io.run_import(uploads, kind, dry_run=True), done=False) and st.button(
    "Import these files", key="import_confirm", type="primary"
):
    data_io.show_outcome(data_io.run_import(uploads, kind, dry_run=False), done=True)
