"""Router: page config, the study and shared sidebar, then the chosen page."""

import streamlit as st

from observation import ui

st.set_page_config(page_title="Microsystem involvement", page_icon="👥", layout="wide")

page = st.navigation([st.Page("pages/overview.py", title="Overview", icon=":material/dashboard:", default=True)])
study = ui.open_study()
ui.sidebar_filter(study)
ui.demo_badge(study)
page.run()
