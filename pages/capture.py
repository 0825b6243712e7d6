"""Capture a meeting: as it happens, on a tablet or a laptop — each contribution with a tap, quick
notes, who is here, the timeline so far; then the attendance and levels reviewed and saved as the
meeting's record, with each service user's and carer's view of it (typed in, or on their own phone).
The meeting is in the page's address, with who observes it when nobody signs in, so a
refresh or the link reopened resumes it as the same observer."""

import streamlit as st

from observation import capture, ui
from observation.ui import capturing, experience, reviewing

flt = ui.shared_sidebar("capture")
st.title(
    "Capture a meeting",
    help="Each tap is saved at once, stamped with the minute of the meeting; at the end, confirm who came and how "
    "far each person took part, and save it as the meeting's record (the Record page shows it).",
)
live = capturing.linked_meeting()
if live is None:
    observer = capturing.choose_observer()
    team_id = capturing.choose_team(flt)
    if team_id is None:
        st.info("No teams match the filters in the sidebar.")
        st.stop()
    capturing.start_or_resume(team_id, observer)
    st.stop()

observer = capturing.header(live)
if observer is None:
    st.stop()  # who observes is asked for, above: nothing is saved under a guess
if reviewing.is_open(live):
    chosen = reviewing.review(live)
    save, back = st.columns(2)
    saving = save.button(
        "Save the meeting", key="capture_save", type="primary", icon=":material/save:", width="stretch"
    )
    if saving and reviewing.save(live, chosen):
        st.success(reviewing.SAVED_WORDS, icon=":material/check:")
    if back.button("Back to the meeting", key="capture_back", icon=":material/arrow_back:", width="stretch"):
        reviewing.back_to_capture()
    if st.button("Open it on the Record page", key="capture_open_record", icon=":material/edit_note:"):
        reviewing.open_on_record_page(live)
    experience.collect(live.meeting_id)
    st.stop()


@st.fragment
def during_the_meeting(live: capture.Live, observer: str) -> None:
    """Reruns alone on each tap: the sidebar and the meeting's choice are not drawn again."""
    capturing.acting()
    capturing.send_taps()
    people = capturing.roster(live)
    capturing.acknowledgement(live)
    capturing.arrivals(live, people, observer)  # above the rows that grow as people arrive: it never moves
    capturing.contributions(live, people, observer)
    capturing.note_and_undo(live, observer)
    capturing.timeline(live)


during_the_meeting(live, observer)
finish, leave = st.columns(2)
if finish.button(
    "Finish and review", key="capture_finish", type="primary", icon=":material/fact_check:", width="stretch"
):
    reviewing.open_review(live)
if leave.button("Another meeting", key="capture_leave", icon=":material/swap_horiz:", width="stretch"):
    capturing.leave_meeting()
