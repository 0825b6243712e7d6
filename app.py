"""Router only: page config, and the pages the signed-in person's role may open (observation.access
says which), in four groups. A page left out answers "page not found" at its address; one that
presenter mode leaves out is kept off the list but still answers, with a notice. A phone link's
address (``?answer=…``) opens the experience questionnaire and nothing else, before any sign-in."""

import streamlit as st

from observation import ui

st.set_page_config(page_title="Microsystem involvement", page_icon="👥", layout="wide")
if ui.answering():  # a phone link: its questionnaire alone, for whoever holds it, signed in or not
    st.navigation([st.Page(ui.answer_screen, title="Your view of the meeting")], position="hidden").run()
    st.stop()
ui.load_scripts_early()
SECTIONS = {
    "Explore": {
        "overview": ("Overview", ":material/dashboard:"),
        "presence": ("Presence and absence", ":material/groups:"),
        "attendance": ("Attendance over time", ":material/timeline:"),
        "recruitment": ("Recruitment tensions", ":material/person_search:"),
        "notes": ("Notes and themes", ":material/sticky_note_2:"),
        "agreement": ("Coder agreement", ":material/rule:"),
        "team_profile": ("Team profile", ":material/badge:"),
    },
    "Record": {
        "capture": ("Capture a meeting", ":material/touch_app:"),
        "record": ("Record a meeting", ":material/edit_note:"),
        "coding": ("Code notes and transcripts", ":material/format_ink_highlighter:"),
        "study_setup": ("Study setup", ":material/tune:"),
    },
    "Data": {
        "data_import": ("Import", ":material/upload_file:"),
        "data_export": ("Export", ":material/download:"),
    },
    "Admin": {
        "audit": ("Audit trail", ":material/history:"),
        "access": ("Access", ":material/admin_panel_settings:"),
    },
}
open_to_me = ui.pages_open_to(ui.signed_in())  # each page the role may open, and whether it is listed
first = next(iter(open_to_me), None)
pages = {
    section: [
        st.Page(f"pages/{page}.py", title=title, icon=icon, default=page == first,
                visibility="visible" if open_to_me[page] else "hidden")
        for page, (title, icon) in section_pages.items()
        if page in open_to_me
    ]
    for section, section_pages in SECTIONS.items()
    if open_to_me.keys() & section_pages.keys()
}  # fmt: skip
sign_in = {"": [st.Page(ui.sign_in_screen, title="Sign in", icon=":material/login:")]}
ui.carry_shared_params()  # the filter in the next page's address before Streamlit pushes it: one Back per page
st.navigation(pages or sign_in, expanded=True).run()
