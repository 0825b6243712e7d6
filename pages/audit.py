"""Audit: every write, import, export, restore, sign-in, refusal and access change, newest first.
Nothing edits or deletes these rows."""

import streamlit as st

from observation import audit, ui
from observation.ui import exporting

ui.shared_sidebar("audit", filtered=False)
st.title("Audit trail", help="Who did what and when (UTC), to which rows, with the values before and after.")
actions = st.multiselect(
    "Actions",
    audit.ACTIONS,
    key="audit_actions",
    placeholder="Every action",
)
rows = exporting.audit_rows(actions)
if rows.empty:
    st.info("Nothing recorded yet.")
else:
    st.caption(f"The latest {len(rows)} entries.")
    st.dataframe(rows, hide_index=True, key="audit_table")
