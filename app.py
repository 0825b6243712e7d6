"""Router only: page config, and the pages the signed-in person's role may open (observation.access
says which). A page left out answers "page not found" at its address."""

import streamlit as st

from observation import ui

st.set_page_config(page_title="Microsystem involvement", page_icon="👥", layout="wide")
PAGES = {
    "overview": ("Overview", ":material/dashboard:"),
    "presence": ("Presence and absence", ":material/groups:"),
    "attendance": ("Attendance over time", ":material/timeline:"),
    "recruitment": ("Recruitment tensions", ":material/person_search:"),
    "notes": ("Notes and themes", ":material/sticky_note_2:"),
    "agreement": ("Coder agreement", ":material/rule:"),
    "team_profile": ("Team profile", ":material/badge:"),
    "record": ("Record a meeting", ":material/edit_note:"),
    "study_setup": ("Study setup", ":material/tune:"),
    "data_import": ("Import", ":material/upload_file:"),
    "data_export": ("Export", ":material/download:"),
    "audit": ("Audit trail", ":material/history:"),
    "access": ("Access", ":material/admin_panel_settings:"),
}
open_to_me = ui.pages_open_to(ui.signed_in())
pages = [
    st.Page(f"pages/{page}.py", title=title, icon=icon, default=page == open_to_me[0])
    for page, (title, icon) in PAGES.items()
    if page in open_to_me
]
st.navigation(pages or [st.Page(ui.sign_in_screen, title="Sign in", icon=":material/login:")]).run()
