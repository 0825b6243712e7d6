"""Import: upload spreadsheets (and the interview transcripts a manifest names), see how each is
read and what they would change, then import them all or nothing. A file whose kind its headers do
not tell is read as the user says."""

import streamlit as st

from observation import ui
from observation.ui import importing, qdpx_ui, upload

ui.shared_sidebar("data_import", filtered=False)
st.title(
    "Import",
    help="CSV or XLSX: one row per record for teams, participants, meetings, attendance, field notes, codes, "
    "coded segments, recruitment events or annotations, or an attendance register (one row per person, one "
    "column per meeting date). Interview transcripts (.txt, .md or .docx) come with a manifest, one row per "
    "interview: file, team, date, informant code and group; upload the manifest and the transcripts together, "
    "matched by file name. Each file's kind is told by its headers, in the words people usually use; "
    "when they do not tell, you say what the file holds and which column each header is. Every problem in "
    "every file is listed as file, row, column, value and reason; nothing is written unless there are none. "
    "Importing the same file again changes nothing.",
)
files, project = st.tabs(["Spreadsheets and transcripts", "A QDA project (.qdpx)"])
with project:  # drawn first: the files' tab stops the run until there is something to import
    qdpx_ui.import_section()
with files:
    uploads = st.file_uploader(
        "Spreadsheets and interview transcripts",
        type=["csv", "xlsx", *(suffix.lstrip(".") for suffix in upload.TRANSCRIPTS)],
        accept_multiple_files=True,
        key="import_files",
        max_upload_size=upload.UPLOAD_MEGABYTES,
        help="Examples of every kind are in data/examples (an interview manifest and its transcripts in "
        "data/examples/interviews; upload data/examples/teams.csv with them, for their teams).",
    )
    st.caption(
        f"Up to {upload.UPLOAD_MEGABYTES} MB a file, the most an import takes (from the command line too): split a "
        "bigger file into smaller ones, by team or by year, and upload them together."
    )
    if not uploads:
        st.info("Choose one or more files to see what they would change.")
        st.stop()
    with upload.unexpected_as_one_line():
        plans = upload.plans_for(uploads)
        if st.session_state.get("import_confirm"):  # confirmed on the preview just shown: import, say what was done
            importing.show_outcome(
                importing.run_import(uploads, dry_run=False, plans=plans), done=True, uploads=uploads
            )
        elif importing.show_outcome(
            importing.run_import(uploads, dry_run=True, plans=plans), done=False, uploads=uploads
        ):
            st.button("Import these files", key="import_confirm", type="primary")
