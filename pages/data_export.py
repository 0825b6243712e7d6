"""Export: the study for R, Excel or NVivo, at the level of disclosure the use allows."""

import streamlit as st

from observation import export, ui
from observation.ui import data_io

flt = ui.shared_sidebar("data_export")
st.title(
    "Export",
    help="Full: every table. De-identified: free text dropped, participant and observer codes replaced, every "
    "date shifted by one offset per study. Aggregate: no row about a person (teams, and meetings with their "
    "counts), for the teams and dates in the sidebar. Every export is written to the audit trail.",
)
level_col, format_col = st.columns(2)
level = level_col.segmented_control("Level", export.LEVELS, key="export_level", required=True, default="aggregate")
fmt = format_col.segmented_control("Format", export.FORMATS, key="export_format", required=True, default="csv")
if st.button("Prepare the export", key="export_prepare"):
    data_io.prepare_export(level, fmt, flt)
if prepared := data_io.prepared(level, fmt, flt):  # only the file made for these very choices
    name, payload = prepared
    st.download_button(f"Download {name}", payload, file_name=name, key="export_download")
