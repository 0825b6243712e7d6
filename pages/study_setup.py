"""Study setup: the teams, their participants, the codebook (edit, add, and merge codes) and the
experience questionnaire."""

import streamlit as st

from observation import ui
from observation.ui import choices, curating, edits, experience

flt = ui.shared_sidebar("study_setup")
st.title(
    "Study setup",
    help="Edit a row in a grid, or add one at the bottom, then save: everything is checked first and saved in "
    "one go, and the audit trail records what changed. Participants are pseudonymous codes, never names.",
)
edits.flash()
teams_tab, people_tab, codebook_tab, questionnaire_tab = st.tabs(
    ["Teams", "Participants", "Codebook", "Experience questionnaire"], key="setup_tabs"
)  # keyed: the tab read stays open when a save adds its message above
with teams_tab:
    curating.teams_grid()
with people_tab:
    team_id = choices.choose_team("setup_team", "team_view", flt)
    if team_id is None:
        st.info("No teams match the filters in the sidebar.")
    else:
        curating.participants_grid(team_id, ui.team_names())
with codebook_tab:
    codebook = curating.codebook_grid()
    st.subheader("Add a code")
    curating.add_code(codebook)
    st.subheader("Merge two codes", help="The first code's coded segments and recruitment reasons follow it.")
    curating.merge_codes(codebook)
with questionnaire_tab:
    experience.questionnaire_editor()
