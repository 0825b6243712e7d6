"""Record: create or edit a meeting — details, roles, who came and at what level, field notes, and the
changes to mark on the charts at its date."""

import streamlit as st

from observation import ui
from observation.ui import curating, edits, recording

flt = ui.shared_sidebar("record")
st.title(
    "Record a meeting",
    help="Everything is checked before anything is written, and saved in one go. If someone else saved the same "
    "meeting after you opened it, your save is refused and says who and when.",
)
team_id = recording.choose_team(flt)
if team_id is None:
    st.info("No teams match the filters in the sidebar.")
    st.stop()
edits.flash()
meeting_id = recording.choose_meeting(team_id)
form = recording.editor(team_id, meeting_id)
if st.button("Save the meeting", key="record_save", type="primary"):
    saved = recording.save(meeting_id, form)
    if saved is not None and meeting_id == recording.NEW:
        recording.open_saved(team_id, saved)  # it opens, to add the changes to mark and the recruitment steps
    elif saved is not None:
        st.success(recording.SAVED, icon=":material/check:")
if st.button("Reload the meeting as saved", key="record_reload"):
    recording.forget(team_id, meeting_id)
    st.rerun()
if meeting_id != recording.NEW:
    with st.expander("Delete this meeting, or one of its notes"):
        curating.delete_meeting_or_note(team_id, meeting_id, form.seen, lambda: recording.forget(team_id, meeting_id))
