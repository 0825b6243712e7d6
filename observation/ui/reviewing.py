"""Streamlit glue for the end of Capture a meeting: finish and review. Everyone's attendance to
confirm and each level to keep or change (as recorded, else as tapped and suggested, the
suggestion and its rule beside), the meeting's length, and the save through
``record.save_meeting`` against the version seen when the review opened; then the meeting on the
Record page. No SQL: everything is read and written through observation.capture and
observation.record.

The review is held in the session under ``capturing.REVIEWING`` (the meeting and the version seen).
"""

from __future__ import annotations

from dataclasses import dataclass

import streamlit as st

from observation import capture, definitions, labels, record
from observation.errors import ObservationError
from observation.ui import recording
from observation.ui.capturing import LIVED, REVIEWING
from observation.ui.state import plain
from observation.ui.study import connection, guarded, study_changed

SAVED_WORDS = "Saved as the meeting's record: who came and how far each person took part. Every page counts it now."
STATUSES = ["present", "apologies", "absent", labels.NOT_EXPECTED]
LEVELS = list(labels.PARTICIPATION)


def is_open(live: capture.Live) -> bool:
    """The review of this meeting is open (not the meeting's capture)."""
    held = st.session_state.get(REVIEWING)
    return bool(held and held[0] == live.meeting_id)


def open_review(live: capture.Live) -> None:
    """Open the review, remembering the meeting's version now: the save is checked against it."""
    seen = guarded(lambda: record.version(connection(), live.meeting_id))
    st.session_state[REVIEWING] = (live.meeting_id, seen)
    st.rerun()


def back_to_capture() -> None:
    """Close the review: back to the meeting's capture."""
    st.session_state.pop(REVIEWING, None)
    st.rerun()


@dataclass(frozen=True)
class Review:
    """What the review holds: each person's attendance and level as chosen, and the meeting's length."""

    statuses: dict[int, str]
    levels: dict[int, str]
    duration: int
    seen: int


def review(live: capture.Live) -> Review:
    """Everyone's attendance to confirm (as recorded, else here or not expected), each person here
    with their level (as recorded, else the suggested one) to keep or change, the suggestion and
    its rule beside, and the meeting's length."""
    con = connection()
    loaded = guarded(lambda: record.load(con, live.meeting_id))
    people = guarded(lambda: capture.roster(con, live.meeting_id))
    suggested = {s.participant_id: s for s in guarded(lambda: capture.suggested_levels(con, live.meeting_id))}
    recorded = loaded.attendance if loaded else {}
    st.markdown("**Who came** — confirm each person; a level for each person here")
    st.info(definitions.SUGGESTED_LEVEL, icon=":material/lightbulb:")
    statuses: dict[int, str] = {}
    levels: dict[int, str] = {}
    for p in people:
        key = f"capture_review_{live.meeting_id}_{p.participant_id}"
        before = recorded.get(p.participant_id, (None, None))[0]
        # Someone not tapped is not expected (no row), as on the Record page: never absent by default,
        # which would count a member who withdrew, or is on leave, as missing the meeting.
        st.session_state.setdefault(f"{key}_status", "present" if p.present else before or labels.NOT_EXPECTED)
        status, level = st.columns([4, 2], vertical_alignment="bottom")
        chosen = status.segmented_control(
            plain(f"{p.code}{' ' + LIVED if p.lived_experience else ''} · {p.role_label}"),
            STATUSES,
            key=f"{key}_status",
            format_func=labels.ATTENDANCE.__getitem__,
            required=True,
        )
        statuses[p.participant_id] = str(chosen or labels.NOT_EXPECTED)
        if chosen != "present":
            continue
        tip = suggested.get(p.participant_id)
        # The level saved already (a review saved before, or the Record page) is the observer's
        # judgement: it stays, and the suggestion is said beside it.
        kept = recorded.get(p.participant_id, (None, None))[1]
        st.session_state.setdefault(f"{key}_level", kept or (tip.level if tip else "observing"))
        levels[p.participant_id] = str(
            level.selectbox("Took part", LEVELS, key=f"{key}_level", format_func=labels.PARTICIPATION.__getitem__)
        )
        st.caption(plain(suggestion(p, tip, kept)))
    held = loaded.details.duration_minutes if loaded and loaded.details.duration_minutes else None
    st.session_state.setdefault(f"capture_review_{live.meeting_id}_minutes", held or min(max(live.minute(), 1), 480))
    duration = int(st.number_input("Minutes long", 1, 480, key=f"capture_review_{live.meeting_id}_minutes"))
    return Review(statuses, levels, duration, st.session_state[REVIEWING][1])


def suggestion(person: capture.RosterPerson, tip: capture.Suggestion | None, kept: str | None) -> str:
    """The level the rules suggest for someone here, and why; the level recorded before, when it differs."""
    said = (
        f"Suggested for {person.code}: {labels.PARTICIPATION[tip.level]} — {tip.reason}"
        if tip
        else f"Suggested for {person.code}: observing — marked here at the review, nothing logged"
    )
    if kept and kept != (tip.level if tip else "observing"):
        said += f" (recorded before: {labels.PARTICIPATION.get(kept, kept)}, kept unless you change it)"
    return said


def save(live: capture.Live, chosen: Review) -> bool:
    """Save the meeting as reviewed, with the version seen when the review opened: refused, and
    said, when someone changed it since."""
    con = connection()
    loaded = guarded(lambda: record.load(con, live.meeting_id))
    if loaded is None:
        st.error(f"Meeting {live.meeting_id} is no longer in the study.", icon=":material/error:")
        return False
    details = loaded.details.model_copy(update={"status": "held", "duration_minutes": chosen.duration})
    entries = [
        record.AttendanceEntry(
            participant_id=pid,
            status=None if status == labels.NOT_EXPECTED else status,
            participation=chosen.levels.get(pid) if status == "present" else None,
        )
        for pid, status in chosen.statuses.items()
    ]
    try:
        record.save_meeting(con, live.meeting_id, details, entries, list(loaded.notes), chosen.seen)
    except ObservationError as exc:  # a Conflict among them: someone saved it since the review opened
        st.error(plain(str(exc)), icon=":material/sync_problem:")
        return False
    study_changed()
    st.session_state[REVIEWING] = (live.meeting_id, guarded(lambda: record.version(con, live.meeting_id)))
    return True


def open_on_record_page(live: capture.Live) -> None:
    """The Record page, with this meeting open."""
    st.session_state[recording.TEAM] = live.team_id
    st.session_state[recording.OPEN] = (live.team_id, live.meeting_id)
    st.switch_page("pages/record.py")
