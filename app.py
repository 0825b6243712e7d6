"""Router only: page config and navigation. Each page opens the study and draws the shared sidebar."""

import streamlit as st

from observation import ui

st.set_page_config(page_title="Microsystem involvement", page_icon="👥", layout="wide")
overview = st.Page("pages/overview.py", title="Overview", icon=":material/dashboard:", default=True)
pages = [
    overview,
    st.Page("pages/presence.py", title="Presence and absence", icon=":material/groups:"),
    st.Page("pages/attendance.py", title="Attendance over time", icon=":material/timeline:"),
    st.Page("pages/recruitment.py", title="Recruitment tensions", icon=":material/person_search:"),
    st.Page("pages/notes.py", title="Notes and themes", icon=":material/sticky_note_2:"),
    st.Page("pages/agreement.py", title="Coder agreement", icon=":material/rule:"),
    profile := st.Page("pages/team_profile.py", title="Team profile", icon=":material/badge:"),
    st.Page("pages/record.py", title="Record a meeting", icon=":material/edit_note:"),
    st.Page("pages/study_setup.py", title="Study setup", icon=":material/tune:"),
    st.Page("pages/data_import.py", title="Import", icon=":material/upload_file:"),
    st.Page("pages/data_export.py", title="Export", icon=":material/download:"),
    st.Page("pages/audit.py", title="Audit trail", icon=":material/history:"),
]
# Presenter mode lists only the pages that apply its disclosure rules; the others answer "page not found".
presentable = [overview, profile]
st.navigation(presentable if ui.presenting().on else pages).run()
