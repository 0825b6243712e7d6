"""Access: who may sign in, as researcher, coach (and for which teams) or presenter. Researchers only."""

import streamlit as st

from observation import ui
from observation.ui import access_page

ui.shared_sidebar("access", filtered=False)
st.title(
    "Access",
    help="Researchers see and change everything; coaches read their own teams only; presenters see presenter "
    "mode only. Every change here is in the audit trail.",
)
given = access_page.people()
left, right = st.columns(2)
with left:
    access_page.give()
with right:
    access_page.take_away(given)
