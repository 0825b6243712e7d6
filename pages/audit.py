"""Audit: every write, import, export, restore, sign-in, refusal and access change, newest first, in
words. Nothing edits or deletes these rows."""

import streamlit as st

from observation import labels, ui
from observation.ui import tables

ui.shared_sidebar("audit", filtered=False)
st.title(
    "Audit trail",
    help="Who did what and when (UTC), in words: teams, meetings and participants by name, date and code. "
    "The download has each entry as the study keeps it.",
)
actions = st.multiselect(
    "Actions",
    list(labels.AUDIT_ACTIONS),
    format_func=labels.AUDIT_ACTIONS.__getitem__,
    key="audit_actions",
    placeholder="Every action",
)
tables.audit_entries(actions)
