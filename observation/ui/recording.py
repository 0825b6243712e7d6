"""Streamlit glue for the Record page: choose a meeting, edit it in a form, save or be told why not."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, TypeVar

import pandas as pd
import streamlit as st
from pydantic import BaseModel, ValidationError

from observation import labels, record
from observation.errors import ObservationError
from observation.filters import StudyFilter
from observation.ui import choices
from observation.ui.edits import FLASH, RowProblem, filled_rows, validated
from observation.ui.state import plain
from observation.ui.study import connection, study_changed

NEW = 0
NOT_FILLED, UNKNOWN = -2, -1  # role choices besides a participant's id
STATUSES = list(labels.MEETING_STATUSES)
FORMATS = labels.MEETING_FORMATS
ATTENDANCE = list(labels.ATTENDANCE)
LEVELS = list(labels.PARTICIPATION.values())
"""The participation levels in words: the grid's values, so that its text for screen readers is words too."""
LEVEL_CODES = {words: level for level, words in labels.PARTICIPATION.items()}
STAGES = labels.RECRUITMENT_STAGES
CATEGORIES = labels.ANNOTATION_KINDS
MEETING_ROLES = labels.MEETING_ROLES
PERSON_ROLES = labels.PERSON_ROLES
TEAM = "record_team"
TYPED_DATE = "record_new_date"
"""The date the user gave a new meeting, when it is not the one offered: kept when they change team."""
OPEN = "record_open_meeting"
"""(team, meeting) to open on the next run: a new meeting just saved."""
OLD_TEAM_PARAM = "team_view"
"""What the page once put in its link; a link that still carries it has it removed."""
SAVED = "Saved. Every page now shows it; the audit trail records what changed."
GRID_HINT = (
    "To change a cell, double-click it, or click it once and start typing; Enter keeps the change and Esc "
    "cancels it. Nothing is written until you press **Save the meeting**."
)


def choose_team(flt: StudyFilter) -> int | None:
    """One of the teams in the filter, or None when it has none. Kept for the session when the user
    goes to another page and back, but not in the link: the page is a form, and its address stays
    /record (a meeting being recorded is not a view to share)."""
    if OLD_TEAM_PARAM in st.query_params:
        del st.query_params[OLD_TEAM_PARAM]
    return choices.choose_team(TEAM, None, flt)


def choose_meeting(team_id: int) -> int:
    """A meeting of the team to edit, or NEW."""
    meetings = record.meetings_of(connection(), team_id)
    labels = {NEW: "A new meeting"} | {m.id: f"{m.meeting_date:%d %b %Y} ({m.status})" for m in meetings}
    key = f"record_meeting_{team_id}"
    opened = st.session_state.pop(OPEN, None)
    if opened is not None and opened[0] == team_id and opened[1] in labels:
        st.session_state[key] = opened[1]
    # After this team's meeting was deleted, or when the chosen one is gone: start at "new".
    if st.session_state.pop("record_reset_meeting", None) == team_id or st.session_state.get(key, NEW) not in labels:
        st.session_state[key] = NEW
    chosen: int = st.selectbox("Meeting", list(labels), format_func=lambda m: labels[m], key=key)
    return chosen


@dataclass(frozen=True)
class Form:
    """What the Record form holds, not yet validated, and the meeting version it was opened at."""

    values: dict[str, Any]
    roster: pd.DataFrame
    notes: pd.DataFrame
    annotations: pd.DataFrame | None
    recruitment: pd.DataFrame | None
    """None for a new meeting: marks and steps are recorded once it is saved."""
    seen: int


def editor(team_id: int, meeting_id: int) -> Form:
    """The form for one meeting: details and roles, the attendance roster, the notes and the changes
    marked on the charts, filled with what is recorded."""
    loaded = record.load(connection(), meeting_id) if meeting_id != NEW else None
    people = record.team_people(connection(), team_id)
    key = f"record_{team_id}_{meeting_id}"
    expected = None if loaded else record.next_meeting(connection(), team_id, dt.date.today())
    details = loaded.details if loaded else record.MeetingDetails(team_id=team_id, meeting_date=dt.date.today())
    left, middle, right = st.columns(3)
    formats = list(FORMATS)
    evaluated: list[bool | None] = [None, True, False]
    evaluated_words = {None: "not recorded", True: "yes", False: "no"}
    values: dict[str, Any] = {
        "team_id": team_id,
        "meeting_date": (
            _new_meeting_date(left, f"{key}_date", expected)
            if expected is not None
            else left.date_input("Date", details.meeting_date, key=f"{key}_date", disabled=True, format="DD/MM/YYYY")
        ),
        "status": middle.selectbox("Status", STATUSES, STATUSES.index(details.status), key=f"{key}_status"),
        "format": right.selectbox(
            "Held at", formats, formats.index(details.format), format_func=lambda f: FORMATS[f], key=f"{key}_format"
        ),
    }
    if expected is not None:
        st.caption(plain(expected.reason()))
    left, middle, right = st.columns(3)
    values |= {
        "duration_minutes": left.number_input("Minutes long", 1, 480, details.duration_minutes, key=f"{key}_duration"),
        "action_items": middle.number_input("Action items agreed", 0, None, details.action_items, key=f"{key}_actions"),
        "evaluated": right.selectbox(
            "Evaluated at the end",
            evaluated,
            evaluated.index(details.evaluated),
            format_func=lambda e: evaluated_words[e],
            key=f"{key}_evaluated",
        ),
    }
    by_id = {p.id: f"{p.code} ({p.role})" for p in people}
    words = {NOT_FILLED: "not filled", UNKNOWN: "filled, by whom not recorded"} | by_id
    roles: dict[str, Any] = {}
    for column, role in zip(st.columns(4), MEETING_ROLES, strict=True):
        options: list[int] = [NOT_FILLED, UNKNOWN, *by_id]
        filled_by = details.roles.get(role)  # type: ignore[call-overload]
        current = NOT_FILLED if role not in details.roles else UNKNOWN if filled_by is None else int(filled_by)
        picked: int = column.selectbox(
            MEETING_ROLES[role], options, options.index(current), key=f"{key}_{role}", format_func=lambda o: words[o]
        )
        if picked != NOT_FILLED:
            roles[role] = None if picked == UNKNOWN else picked
    values["roles"] = roles
    recorded = loaded.attendance if loaded else {}
    roster = pd.DataFrame(
        [{"participant_id": p.id, "code": p.code, "role": p.role,
          "attendance": recorded.get(p.id, ("not expected", None))[0] or "not expected",
          "participation": labels.PARTICIPATION.get(str(recorded.get(p.id, (None, None))[1]))} for p in people],
        columns=["participant_id", "code", "role", "attendance", "participation"],
    )  # fmt: skip
    took_part = st.column_config.SelectboxColumn("Took part", options=LEVELS)
    st.caption(GRID_HINT)  # above the heading: a grid's toolbar, shown on hover, covers the line over the grid
    st.markdown("**Who came**")
    roster = st.data_editor(
        roster, key=f"{key}_roster", hide_index=True, disabled=["code", "role"], placeholder="", alt="Who came",
        column_config={
            "participant_id": None,
            "code": st.column_config.TextColumn("Participant (code)"),
            "role": st.column_config.TextColumn("Role"),
            "attendance": st.column_config.SelectboxColumn("Attendance", options=ATTENDANCE, required=True),
            "participation": took_part,
        },
    )  # fmt: skip
    st.markdown("**Someone new to the team** — a pseudonymous code such as SU-07, never a name")
    newcomers = st.data_editor(
        pd.DataFrame(columns=["code", "role", "attendance", "participation"]), key=f"{key}_newcomers",
        num_rows="dynamic", hide_index=True, placeholder="", alt="Someone new to the team",
        column_config={
            "code": st.column_config.TextColumn("Participant (code)", help="upper case letters, digits, '-' or '_'"),
            "role": st.column_config.SelectboxColumn("Role", options=list(PERSON_ROLES), required=True,
                                                     format_func=lambda r: PERSON_ROLES.get(str(r), str(r))),
            "attendance": st.column_config.SelectboxColumn("Attendance", options=ATTENDANCE, required=True),
            "participation": took_part,
        },
    )  # fmt: skip
    roster = pd.concat([roster, newcomers.assign(participant_id=None)], ignore_index=True)
    notes = pd.DataFrame(
        [n.model_dump() for n in (loaded.notes if loaded else ())], columns=["position", "minute", "author", "body"]
    )
    st.markdown("**Field notes**, in order — add rows at the bottom; edit a note's text to change it")
    notes = st.data_editor(
        notes, key=f"{key}_notes", num_rows="add", hide_index=True, placeholder="", alt="Field notes",
        column_config={"position": None, "minute": st.column_config.NumberColumn("Minute", min_value=0),
                       "author": st.column_config.TextColumn("Observer (code)"),
                       "body": st.column_config.TextColumn("Note", width="large")},
    )  # fmt: skip
    annotations = recruitment = None
    if loaded is None:
        st.caption("Once the meeting is saved, the changes to mark on the charts and the recruitment steps taken "
                   "at its date can be recorded here too.")  # fmt: skip
    else:
        annotations, recruitment = _marks_and_steps(loaded, people, key)
    # The version the user opened: a save is checked against it, not against a fresh read.
    seen: int = st.session_state.setdefault(f"{key}_seen", loaded.version if loaded else 0)
    return Form(values, roster, notes, annotations, recruitment, seen)


def _new_meeting_date(column: Any, key: str, expected: record.NextMeeting) -> dt.date | None:
    """A new meeting's date: the team's next expected meeting, or the date the user gave a new
    meeting before (kept when they change team: the date is what they know)."""
    if key not in st.session_state:
        st.session_state[key] = st.session_state.get(TYPED_DATE) or expected.offered
    chosen: dt.date | None = column.date_input("Date", key=key, format="DD/MM/YYYY")
    if chosen is None or chosen == expected.offered:
        st.session_state.pop(TYPED_DATE, None)
    else:
        st.session_state[TYPED_DATE] = chosen
    return chosen


def _marks_and_steps(
    loaded: record.Recorded, people: tuple[record.Person, ...], key: str
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The grids of the changes marked at the meeting's date and of the recruitment steps taken then."""
    st.markdown('**Changes to mark on the charts** at this meeting\'s date — e.g. "first meeting held at home"')
    kind = st.column_config.SelectboxColumn(
        "Kind", options=list(CATEGORIES), format_func=lambda c: CATEGORIES[str(c)], default="other"
    )
    annotations = st.data_editor(
        pd.DataFrame([a.model_dump() for a in loaded.annotations], columns=["label", "category"]),
        key=f"{key}_annotations", num_rows="dynamic", hide_index=True, placeholder="", alt="Changes to mark",
        column_config={"label": st.column_config.TextColumn("What changed", width="large"), "category": kind},
    )  # fmt: skip
    tensions = record.reasons(connection(), [s.reason_code_id for s in loaded.recruitment])
    codes = {p.id: p.code for p in people}
    st.markdown("**Recruitment steps** taken at this meeting's date — who was approached, agreed, withdrew…")
    recruitment = st.data_editor(
        pd.DataFrame([s.model_dump() for s in loaded.recruitment], columns=list(record.RecruitmentStep.model_fields)),
        key=f"{key}_recruitment", num_rows="dynamic", hide_index=True, placeholder="", alt="Recruitment steps",
        column_config={
            "participant_id": st.column_config.SelectboxColumn(
                "Participant (code)", options=list(codes), format_func=lambda i: codes.get(int(i), str(i))),
            "stage": st.column_config.SelectboxColumn(
                "Stage", options=list(STAGES), format_func=lambda s: STAGES.get(str(s), str(s))),
            "reason_code_id": st.column_config.SelectboxColumn(
                "Recruitment tension behind it", options=list(tensions),
                format_func=lambda i: tensions.get(int(i), str(i))),
        },
    )  # fmt: skip
    return annotations, recruitment


def forget(team_id: int, meeting_id: int) -> None:
    """Drop the form's edits and the version seen, so the meeting opens again as saved."""
    prefix = f"record_{team_id}_{meeting_id}_"
    for key in [k for k in st.session_state if str(k).startswith(prefix)]:
        del st.session_state[key]
    if meeting_id == NEW:
        st.session_state.pop(TYPED_DATE, None)


def open_saved(team_id: int, meeting_id: int) -> None:
    """After a new meeting is saved: open it (its changes to mark and recruitment steps can be
    recorded now), say it was saved, and let the next new meeting start at the date after it."""
    forget(team_id, NEW)
    st.session_state[OPEN] = (team_id, meeting_id)
    st.session_state[FLASH] = SAVED
    st.rerun()


def save(meeting_id: int, form: Form) -> int | None:
    """Validate everything, then save in one transaction; say exactly what is wrong otherwise."""
    try:
        details = record.MeetingDetails.model_validate(form.values)
        rows: list[dict[str, Any]] = form.roster.to_dict("records")  # type: ignore[assignment]
        entries = [_entry(row) for row in rows if row.get("code") or row.get("participant_id")]
        note_entries = [
            record.NoteEntry.model_validate({k: (None if pd.isna(v) else v) for k, v in row.items()})
            for row in form.notes.to_dict("records")
            if any(not pd.isna(v) and v != "" for k, v in row.items() if k != "position")
        ]
        marked = _grid(record.AnnotationEntry, form.annotations, "Changes to mark")
        steps = _grid(record.RecruitmentStep, form.recruitment, "Recruitment steps")
    except RowProblem as exc:
        st.error(plain(str(exc)), icon=":material/error:")
        return None
    except ValidationError as exc:
        for error in exc.errors():
            where = " ".join(str(part) for part in error["loc"]) or "form"
            st.error(plain(f"{where}: {error['msg']}"), icon=":material/error:")
        return None
    try:
        saved = record.save_meeting(connection(), None if meeting_id == NEW else meeting_id, details, entries,
                                    note_entries, form.seen, annotations=marked, recruitment=steps)  # fmt: skip
    except record.Conflict as exc:
        st.error(plain(str(exc)), icon=":material/sync_problem:")
        return None
    except ObservationError as exc:
        st.error(plain(str(exc)), icon=":material/error:")
        return None
    study_changed()
    if meeting_id != NEW:
        st.session_state[f"record_{details.team_id}_{meeting_id}_seen"] = record.version(connection(), saved)
    return saved


M = TypeVar("M", bound=BaseModel)


def _grid(model: type[M], table: pd.DataFrame | None, title: str) -> list[M] | None:
    """The grid's filled rows as ``model``s (None when the form has no such grid)."""
    if table is None:
        return None
    return [validated(model, row, f"{title}, row {i}") for i, row in filled_rows(table)]


def _entry(row: dict[str, Any]) -> record.AttendanceEntry:
    row = {k: (None if not isinstance(v, str) and pd.isna(v) else v) for k, v in row.items()}  # empty cells
    status = None if row["attendance"] in (None, "not expected") else row["attendance"]
    level = LEVEL_CODES.get(row.get("participation") or "", row.get("participation") or None)
    if pd.notna(row.get("participant_id")):
        return record.AttendanceEntry(participant_id=int(row["participant_id"]), status=status, participation=level)
    return record.AttendanceEntry.model_validate(
        {"new_code": row["code"], "new_role": row.get("role"), "status": status, "participation": level}
    )
