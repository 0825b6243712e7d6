"""Router only: page config and navigation. Each page opens the study and draws the shared sidebar."""

import streamlit as st

st.set_page_config(page_title="Microsystem involvement", page_icon="👥", layout="wide")
page = st.navigation([st.Page("pages/overview.py", title="Overview", icon=":material/dashboard:", default=True)])
page.run()
