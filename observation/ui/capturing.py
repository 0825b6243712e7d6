"""Streamlit glue for Capture a meeting: the meeting in the page's address, with who observes it
without sign-in (``?meeting=ID&observer=CODE``: the link an observer reopens is theirs), a team's
live meetings to resume or today's to start, who is here, each contribution and quick note as it
is tapped, and the timeline (the review at the end is observation.ui.reviewing). No SQL:
everything is read and written through observation.capture.

A tap is sent with a key of its own (``capture.contribute``'s ``tap``), made when the button is
pressed and kept in the session until the core has acknowledged it: a run interrupted after the
write (a second tap arrives at once) sends the same key again, which the core writes once.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Annotated

import streamlit as st
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from observation import access, capture, labels
from observation.errors import ObservationError
from observation.filters import StudyFilter
from observation.models import Observer
from observation.ui import choices
from observation.ui.signin import sign_in_configured, signed_in
from observation.ui.state import keep, plain, stop_with, write_query_params
from observation.ui.study import connection, guarded, study_changed

PARAM, OBSERVER_PARAM = "meeting", "observer"
TEAM = "capture_team"
DAY = "capture_day"
OBSERVER = "capture_observer"
OBSERVER_FOR = "capture_observer_for"
"""The meeting (None: the start) whose Observer box was last set up from the address."""
TAPS = "capture_taps"
"""The taps sent and not yet acknowledged, in the order they were made (``Tap``)."""
SAID = "capture_said"
"""What the last tap did, per meeting, said on the line above the buttons."""
PROBLEM = "capture_problem"
"""Why the last tap was not kept: (meeting, words), said once."""
NOTE = "capture_note"
NEW_CODE, NEW_ROLE = "capture_new_code", "capture_new_role"
NEWCOMER_PROBLEM = "capture_newcomer_problem"
REVIEWING = "capture_reviewing"
"""The meeting whose review is open (observation.ui.reviewing), and the version of it seen when it
opened: (meeting, version). Leaving the meeting closes it."""
KINDS = labels.CONTRIBUTIONS
SHORT: dict[str, str] = {
    "spoke": "Spoke",
    "raised_item": "Item",
    "proposed_change": "Change",
    "challenged": "Challenge",
    "took_action": "Action",
}
"""Each kind of contribution on its button: a word that fits a row of five beside the sidebar at 1024 pixels."""
LEGEND = " · ".join(f"**{SHORT[k]}**: {KINDS[k].lower()}" for k in KINDS if SHORT[k] != KINDS[k])
LIVED = "★"
"""Beside the code of someone with lived experience (a service user or carer)."""
RESUMABLE = 3
"""The team's captured meetings offered to resume, latest first."""


class MeetingLink(BaseModel):
    """What the page's address may name (``?meeting=ID&observer=CODE``): the meeting being captured,
    and who observes it without sign-in, by the core's rule for an observer. Each is read on its
    own: a bad one is said and dropped, the other kept."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    meeting: Annotated[int, Field(ge=1, le=2**31 - 1)] | None = None
    observer: Observer | None = None


@dataclass(frozen=True)
class Tap:
    """A button pressed: a contribution (``kind``, of ``participant_id``) or a quick note (``body``)."""

    key: str
    meeting_id: int
    observer: str
    participant_id: int | None = None
    kind: str | None = None
    body: str | None = None


# --- who observes, and which meeting ---------------------------------------------------------------


def choose_observer(live: capture.Live | None = None) -> str | None:
    """Who the entries are saved under: the signed-in person's email when sign-in is configured; on
    one's own computer, the observer code typed here, kept in the meeting's address (so the link
    an observer reopens goes on as them, whoever else taps). Opening a meeting, the box starts
    from the address, else from what was typed in this session, else from the meeting's only
    observer so far; else it is empty, and asked for: None until it is typed (never a guess, which
    would save one observer's entries under another's name, and undo theirs)."""
    me = access.current()
    if sign_in_configured():
        st.caption(plain(f"You observe as {me.email}."))
        return me.email
    keep(OBSERVER)
    meeting = live.meeting_id if live else None
    if OBSERVER not in st.session_state or st.session_state.get(OBSERVER_FOR) != meeting:
        typed_before = str(st.session_state.get(OBSERVER) or "").strip()
        st.session_state[OBSERVER] = linked_observer() or typed_before or (sole_observer(live) if live else None) or ""
        st.session_state[OBSERVER_FOR] = meeting
    typed = st.text_input(
        "Observer",
        key=OBSERVER,
        max_chars=100,
        placeholder="Your observer code, such as R01",
        help="Who the contributions and notes are saved under, such as R01: the same code each time you observe "
        "(it is each quick note's observer, and what **Undo my last entry** undoes). It is kept in the page's "
        "address: the link you reopen goes on as you.",
    )
    observer = _valid_observer(typed)
    if live is not None:
        write_query_params({OBSERVER_PARAM: observer} if observer else {}, (OBSERVER_PARAM,))
    return observer


def _valid_observer(typed: str) -> str | None:
    """The code typed, by the core's rule; None, and asked for or refused in words, without one."""
    if not typed.strip():
        st.info(
            "Type your observer code (such as R01) and press Enter: every contribution and note is saved under it, "
            "and **Undo my last entry** takes back only yours.",
            icon=":material/badge:",
        )
        return None
    try:
        return MeetingLink.model_validate({OBSERVER_PARAM: typed}).observer
    except ValidationError as exc:
        st.error(plain(f"Observer {typed[:60]!r}: {_reason(exc)}."), icon=":material/error:")
        return None


def linked_observer() -> str | None:
    """Who the address names as observing (None: nobody); a bad one is said and taken out of it."""
    raw = st.query_params.get(OBSERVER_PARAM)
    if raw is None:
        return None
    try:
        return MeetingLink.model_validate({OBSERVER_PARAM: raw}).observer
    except ValidationError as exc:
        st.warning(plain(f"The link's observer={raw[:60]!r} was ignored: {_reason(exc)}."), icon=":material/link_off:")
        del st.query_params[OBSERVER_PARAM]
        return None


def _reason(exc: ValidationError) -> str:
    return str(exc.errors()[0]["msg"]).removeprefix("Value error, ")


def sole_observer(live: capture.Live) -> str | None:
    """The meeting's observer when only one has tapped an entry so far; None before the first, or
    once there are two (the page cannot tell which one is opening it)."""
    tapped = {e.observer for e in guarded(lambda: capture.timeline(connection(), live.meeting_id)) if e.recorded_at}
    return tapped.pop() if len(tapped) == 1 else None


def linked_meeting() -> capture.Live | None:
    """The meeting the address names, when it is one being captured; a bad or unknown one is said
    and taken out of the address."""
    raw = st.query_params.get(PARAM)
    if raw is None:
        return None
    try:
        meeting_id = MeetingLink.model_validate({PARAM: raw}).meeting or 0
    except ValidationError:
        meeting_id = 0
    if not meeting_id:
        _drop_link(f"The link's meeting={raw!r} was ignored: a meeting is named by its number, such as meeting=12.")
        return None
    live = guarded(lambda: capture.resume(connection(), meeting_id))
    if live is None:
        _drop_link(
            f"The link's meeting={meeting_id} was ignored: no meeting {meeting_id} is being captured. "
            "Start it, or resume one, below."
        )
    return live


def _drop_link(why: str) -> None:
    st.warning(plain(why), icon=":material/link_off:")
    del st.query_params[PARAM]


def open_meeting(meeting_id: int, observer: str | None) -> None:
    """Capture this meeting: its number, and who observes it, in the address (a refresh, or the
    link reopened, resumes it as them)."""
    wanted = {PARAM: str(meeting_id)} | ({OBSERVER_PARAM: observer} if observer and not sign_in_configured() else {})
    write_query_params(wanted, (PARAM, OBSERVER_PARAM))
    st.rerun()


def leave_meeting() -> None:
    """Back to choosing a team's meeting."""
    write_query_params({}, (PARAM, OBSERVER_PARAM))
    st.session_state.pop(REVIEWING, None)
    st.rerun()


def start_or_resume(team_id: int, observer: str | None) -> None:
    """The team's latest meetings being captured, each to resume, and a meeting to start (today's,
    or the date chosen): a choice opens it."""
    con = connection()
    live = guarded(lambda: capture.live_meetings(con, team_id))
    for meeting in live[:RESUMABLE]:
        if st.button(
            f"Resume the meeting of {meeting.meeting_date:%d %b %Y}",
            key=f"capture_resume_{meeting.meeting_id}",
            icon=":material/play_circle:",
        ):
            open_meeting(meeting.meeting_id, observer)
    if len(live) > RESUMABLE:
        st.caption(
            f"{len(live) - RESUMABLE} earlier captured meetings of this team are not listed: start one again by "
            "its date below (its clock goes on), or edit it on the Record page."
        )
    left, right = st.columns([1, 2], vertical_alignment="bottom")
    keep(DAY)
    st.session_state.setdefault(DAY, dt.date.today())
    day = left.date_input("Meeting date", key=DAY, format="DD/MM/YYYY")
    if right.button("Start the meeting", key="capture_start", type="primary", icon=":material/timer:"):
        if day is None:
            st.error("Choose the meeting's date first.", icon=":material/error:")
            return
        if observer is None:
            st.error("Type your observer code first, above.", icon=":material/error:")
            return
        try:
            started = capture.start(con, team_id, day, observer=observer)
        except ObservationError as exc:
            st.error(plain(str(exc)), icon=":material/error:")
            return
        study_changed()
        open_meeting(started.meeting_id, observer)
    st.caption(
        "Starting opens the team's meeting on that date (recorded already, or new) and starts its clock: every "
        "contribution and note is stamped with the minute since."
    )


def choose_team(flt: StudyFilter) -> int | None:
    """One of the teams in the filter (kept for the session), or None when the filter has none."""
    return choices.choose_team(TEAM, None, flt)


def header(live: capture.Live) -> str | None:
    """Which meeting, the minute it is at (kept up to date every half a minute), and who observes
    (returned; None while it is asked for)."""
    st.subheader(plain(f"{live.team_name}, {live.meeting_date:%d %b %Y}"))
    left, right = st.columns([3, 1], vertical_alignment="bottom")
    with left:
        observer = choose_observer(live)
    with right:
        clock(live)
    return observer


@st.fragment(run_every=30)
def clock(live: capture.Live) -> None:
    st.metric("Minute", live.minute(), help="Whole minutes since the meeting's clock started.")


# --- during the meeting ----------------------------------------------------------------------------


def acting() -> None:
    """Make the signed-in person the one acting again: a fragment's rerun runs on a fresh thread,
    which knows nobody until told (every write checks who is acting)."""
    me = signed_in()
    if me is None or not me.may_open("capture"):
        stop_with("Sign in again to go on capturing.")


def roster(live: capture.Live) -> tuple[capture.RosterPerson, ...]:
    """The team's people, and who of them is here."""
    return guarded(lambda: capture.roster(connection(), live.meeting_id))


def arrivals(live: capture.Live, people: tuple[capture.RosterPerson, ...], observer: str) -> None:
    """The team's people as large buttons: tap as each arrives (filled: here), tap again to undo; a
    newcomer is added below."""
    here = sum(p.present for p in people)
    st.markdown(f"**Who is here** ({here} of {len(people)}) — tap each person as they arrive; tap again to undo")
    with st.container(horizontal=True, gap="small"):
        for p in people:
            st.button(
                f"{p.code}{' ' + LIVED if p.lived_experience else ''} · {p.role_label}",
                key=f"capture_here_{p.participant_id}",
                type="primary" if p.present else "secondary",
                icon=":material/check_circle:" if p.present else ":material/radio_button_unchecked:",
                on_click=_mark,
                args=(live.meeting_id, p.participant_id, p.code, not p.present, observer),
            )
    st.caption(f"{LIVED} lived experience (service users and carers)")
    with (
        st.expander("Add a newcomer", icon=":material/person_add:"),
        st.form("capture_newcomer", border=False),
    ):
        problem = st.session_state.pop(NEWCOMER_PROBLEM, None)
        if problem:
            st.error(plain(problem), icon=":material/error:")
        code_box, role_box, add = st.columns([2, 2, 1], vertical_alignment="bottom")
        code_box.text_input("Code", key=NEW_CODE, placeholder="e.g. SU-12, never a name", max_chars=40)
        role_box.selectbox("Role", list(labels.PERSON_ROLES), key=NEW_ROLE, format_func=labels.PERSON_ROLES.__getitem__)
        add.form_submit_button(
            "Add", key="capture_new_add", icon=":material/person_add:", width="stretch",
            on_click=_add_newcomer, args=(live.meeting_id, observer),
        )  # fmt: skip


def _mark(meeting_id: int, participant_id: int, code: str, present: bool, observer: str) -> None:
    acting()
    try:
        capture.mark(connection(), meeting_id, participant_id, present, observer=observer)
    except ObservationError as exc:
        _say(meeting_id, f"Not marked: {exc}", failed=True)
        return
    # Said like every tap: a mistaken tap on the roster shows at once, and another tap undoes it.
    _say(meeting_id, f"{code} marked here." if present else f"{code} marked not here (tap again to undo).")
    study_changed()


def _add_newcomer(meeting_id: int, observer: str) -> None:
    acting()
    code = str(st.session_state.get(NEW_CODE) or "").strip()
    try:
        capture.add_newcomer(connection(), meeting_id, code, str(st.session_state.get(NEW_ROLE)), observer=observer)
    except ObservationError as exc:
        st.session_state[NEWCOMER_PROBLEM] = f"Not added: {exc}"
        return
    study_changed()
    st.session_state[NEW_CODE] = ""
    _say(meeting_id, f"{code} added, and marked here.")


def _tapped(tap: Tap) -> None:
    st.session_state.setdefault(TAPS, []).append(tap)


def _contributed(meeting_id: int, observer: str, participant_id: int, kind: str) -> None:
    # The key is made here, when the button is pressed: two quick presses are two contributions.
    _tapped(Tap(uuid.uuid4().hex, meeting_id, observer, participant_id, kind))


def send_taps() -> None:
    """Send every tap not yet acknowledged, in order; say what the last one did (or why it was not kept)."""
    pending: list[Tap] = st.session_state.get(TAPS, [])
    while pending:
        tap = pending[0]
        words, refused = _send(tap)
        _say(tap.meeting_id, words, refused)
        if refused and tap.body:
            _give_back(tap.body)
        pending.pop(0)  # acknowledged (or refused, and said): never sent again


def _send(tap: Tap) -> tuple[str, bool]:
    con = connection()
    try:
        if tap.participant_id is not None and tap.kind is not None:
            entry = capture.contribute(
                con,
                tap.meeting_id,
                tap.participant_id,
                tap.kind,
                tap=tap.key,
                observer=tap.observer,
            )
        else:
            entry = capture.note(con, tap.meeting_id, tap.body or "", tap=tap.key, observer=tap.observer)
    except ObservationError as exc:
        return f"Not saved: {exc}" + (". The note is back in its box." if tap.body else ""), True
    study_changed()
    return (f"Note saved at minute {entry.minute}." if entry.kind == "note" else f"{said(entry)}."), False


def said(entry: capture.Entry) -> str:
    """One entry in words: "SU-07 raised an agenda item at minute 12", "a note at minute 14"."""
    if entry.kind == "note":
        return f"a note at minute {entry.minute}"
    what = KINDS.get(str(entry.contribution), str(entry.contribution))
    return f"{entry.participant_code} {what[:1].lower()}{what[1:]} at minute {entry.minute}"


def acknowledgement(live: capture.Live) -> None:
    """What the last tap did, on a line of its own that is always there (the buttons below never
    move when it changes); why one was refused, once."""
    problem = st.session_state.pop(PROBLEM, None)
    if problem and problem[0] == live.meeting_id:
        st.error(plain(problem[1]), icon=":material/error:")
    last = st.session_state.get(SAID, {}).get(live.meeting_id)
    st.markdown(f":material/check: {plain(last)}" if last else ":material/touch_app: Each tap is confirmed here.")


def _say(meeting_id: int, words: str, failed: bool = False) -> None:
    if failed:
        st.session_state[PROBLEM] = (meeting_id, words)
    else:
        st.session_state.setdefault(SAID, {})[meeting_id] = words


def contributions(live: capture.Live, people: tuple[capture.RosterPerson, ...], observer: str) -> None:
    """A row per person here: one tap logs what they did, stamped with the minute."""
    here = [p for p in people if p.present]
    st.markdown("**Contributions** — one tap logs what the person did, at this minute")
    if not here:
        st.caption("Tap each person under **Who is here**, above, as they arrive: each gets a row of buttons here.")
        return
    st.caption(LEGEND)
    for p in here:
        who, *buttons = st.columns([1.1, 1, 1, 1, 1, 1], vertical_alignment="center", gap="xsmall")
        who.markdown(plain(f"{p.code}{' ' + LIVED if p.lived_experience else ''}") + f"  \n{plain(p.role_label)}")
        for column, kind in zip(buttons, KINDS, strict=True):
            column.button(
                SHORT[kind],
                key=f"capture_{kind}_{p.participant_id}",
                width="stretch",
                on_click=_contributed,
                args=(live.meeting_id, observer, p.participant_id, kind),
            )


def note_and_undo(live: capture.Live, observer: str) -> None:
    """A quick note (Enter saves it, stamped with the minute), and undoing one's own last entry."""
    with st.form("capture_note_form", border=False, enter_to_submit=True):
        box, save = st.columns([3, 1], vertical_alignment="bottom")
        box.text_input("Quick note", key=NOTE, max_chars=2000, placeholder="What happened — Enter saves it")
        save.form_submit_button(
            "Save",
            key="capture_note_save",
            icon=":material/sticky_note_2:",
            width="stretch",
            on_click=_noted,
            args=(live, observer),
        )
    st.button("Undo my last entry", key="capture_undo", icon=":material/undo:", on_click=_undo, args=(live, observer))


def _undo(live: capture.Live, observer: str) -> None:
    acting()
    try:
        undone = capture.undo_last(connection(), live.meeting_id, observer=observer)
    except ObservationError as exc:
        _say(live.meeting_id, f"Nothing undone: {exc}", failed=True)
        return
    study_changed()
    _say(live.meeting_id, "Nothing of yours to undo." if undone is None else f"Undone: {said(undone)}.")


def _give_back(body: str) -> None:
    """A refused note's text back in its box (before anything typed since): typed as it happened,
    it is kept to save again once the refusal is dealt with. Called before the box is drawn."""
    typed = str(st.session_state.get(NOTE) or "").strip()
    st.session_state[NOTE] = f"{body} {typed}".strip()


def _noted(live: capture.Live, observer: str) -> None:
    body = str(st.session_state.get(NOTE) or "").strip()
    st.session_state[NOTE] = ""
    if body:
        _tapped(Tap(uuid.uuid4().hex, live.meeting_id, observer, body=body))


def timeline(live: capture.Live) -> None:
    """The meeting so far, most recent first."""
    entries = guarded(lambda: capture.timeline(connection(), live.meeting_id))
    st.markdown(f"**The meeting so far** ({len(entries)} {'entry' if len(entries) == 1 else 'entries'})")
    if not entries:
        st.caption("Nothing recorded yet.")
        return
    lines = [_timeline_line(e) for e in reversed(entries)]
    # One plain text, never a grid: a note is read whole (a grid's cell cuts it), and no Markdown is
    # read in it; the box scrolls once the meeting is long.
    with st.container(height=320 if len(lines) > 8 else "content", key="capture_timeline"):
        st.text("\n".join(lines))


def _timeline_line(entry: capture.Entry) -> str:
    """One entry as a line: "12 min · SU1-01 (Service user) · Raised an agenda item · R01"; a note's
    further lines indented under it."""
    if entry.kind == "note":
        what = "Note: " + str(entry.body).strip().replace("\n", "\n        ")
        return f"{entry.minute} min · {what} · {entry.observer}"
    kind = KINDS.get(str(entry.contribution), str(entry.contribution))
    return f"{entry.minute} min · {entry.participant_code} ({entry.role_label}) · {kind} · {entry.observer}"
