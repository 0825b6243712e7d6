"""Export: the study for R, Excel or NVivo, at the level of disclosure the use allows."""

import streamlit as st

from observation import disclosure, export, labels, ui
from observation.ui import exporting, qdpx_ui

ui.shared_sidebar("data_export", filtered=False)
st.title(
    "Export",
    help="Full: every table as it is, for the study team only. De-identified: free text dropped, participant and "
    "observer codes replaced, every date shifted by one offset per study; rows about people under pseudonyms, not "
    "for publication. Aggregate: the level for sharing — counts of meetings by team and month, per team and for "
    "the study, with small counts hidden. Every export says what it holds in a note (README.txt, or a Notes "
    "sheet) and is written to the audit trail.",
)
level = st.segmented_control(  # one above the other: side by side, "Full (every record)" is cut
    "Level",
    export.LEVELS,
    format_func=labels.EXPORT_LEVELS.get,
    key="export_level",
    required=True,
    default="aggregate",
)
fmt = st.segmented_control(
    "Format", export.FORMATS, format_func=labels.EXPORT_FORMATS.get, key="export_format", required=True, default="csv"
)
threshold: int | None = None
if level == "aggregate":
    floor = exporting.threshold_floor()
    threshold = int(
        st.number_input(
            "Hide counts under",
            min_value=floor,
            max_value=100,
            value=exporting.default_threshold(),
            step=1,
            key="export_threshold",
            help=f"Counts about service users and carers from 1 to this − 1 are written [c], and so is any count "
            f"that would let one be worked out from the rest, and a score resting on fewer responses (the study's "
            f"floor is {floor}).",
        )
    )
    st.caption(
        "Counts per team and month, per team and for the whole study, of meetings, of the contributions "
        "observed live, of the experience feedback (with its score) and of the changes logged — every team and "
        "month, whatever the filter on other pages: two exports of different teams or dates could give a hidden "
        "count away by difference. Meetings held, cancelled, postponed and recorded are always shown."
    )
    st.caption(disclosure.ACROSS_OUTPUTS)
elif level == "deidentified":
    st.caption("Not for publication: pseudonymous rows about people. Share it only under the study's data agreement.")
else:
    st.caption(
        "For the study team only, never for sharing: every table as it is, notes and transcripts word for word "
        "and people under the study's pseudonymous codes. Its note says so, and why a text in a CSV may start "
        "with '."
    )
if st.button("Prepare the export", key="export_prepare"):
    exporting.prepare_export(level, fmt, threshold)
if prepared := exporting.prepared(level, fmt, threshold):  # only the file made for these very choices
    name, payload = prepared
    st.download_button(f"Download {name}", payload, file_name=name, key="export_download")
st.divider()
qdpx_ui.export_section()
