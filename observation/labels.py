"""Every vocabulary's words for people: what the pages, the import's messages and the exports call
each value the study stores (a meeting's format, a team's setting, a recruitment stage…).

One place, so that a value reads the same everywhere and a new value is named once. Each is a
plain dict of the stored value to its words; tests/unit/test_labels.py checks that every value of
each vocabulary (the Literal types of observation.models) has its words, and nothing else does.
Nothing here reads the study or knows about Streamlit.
"""

from __future__ import annotations

import string
from typing import Final

SETTINGS: Final[dict[str, str]] = {"community": "Community", "inpatient": "Inpatient", "other": "Other"}
"""A team's setting."""

MEETING_STATUSES: Final[dict[str, str]] = {"held": "held", "cancelled": "cancelled", "postponed": "postponed"}
"""Whether a meeting took place."""

MEETING_FORMATS: Final[dict[str, str]] = {
    "service_base": "Service base",
    "ward": "Ward",
    "home": "Service user's home",
    "virtual": "Virtual",
    "other": "Other",
}
"""Where a meeting was held, as a choice names it."""

HELD_AT: Final[dict[str, str]] = {
    "service_base": "held at the service base",
    "ward": "held at the ward",
    "home": "held at the service user's home",
    "virtual": "held online",
    "other": "held elsewhere",
}
"""Where a meeting was held, as a sentence about it says it."""

MEETING_ROLES: Final[dict[str, str]] = {
    "leader": "Leader",
    "facilitator": "Facilitator",
    "timekeeper": "Timekeeper",
    "recorder": "Recorder",
}
"""The four roles of an improvement meeting."""

NOT_EXPECTED: Final = "not expected"
"""A team member with no attendance recorded at a meeting (the Record page's roster)."""

ATTENDANCE: Final[dict[str, str]] = {
    "present": "present",
    "apologies": "apologies",
    "absent": "absent",
    NOT_EXPECTED: "not expected",
}
"""Someone's attendance at a meeting."""

NOT_RECORDED: Final = "not recorded"
"""A value the study leaves empty: how far someone present took part, who filled a meeting role."""

NOT_PRESENT: Final = "\u2014"
"""How far someone took part who was not there (apologies, absent): a dash, as there is nothing to say."""

PARTICIPATION: Final[dict[str, str]] = {
    "observing": "observing",
    "contributing": "contributing",
    "co_leading": "co-leading",
}
"""How far someone present took part: the participation ladder, lowest first."""

PERSON_ROLES: Final[dict[str, str]] = {
    "service_user": "Service user",
    "carer": "Carer",
    "nurse": "Nurse",
    "therapist": "Therapist",
    "psychologist": "Psychologist",
    "doctor": "Doctor",
    "manager": "Manager",
    "administrator": "Administrator",
    "support_worker": "Support worker",
    "coach": "Coach",
    "observer": "Observer",
}
"""A participant's role in their team."""

CONTRIBUTIONS: Final[dict[str, str]] = {
    "spoke": "Spoke",
    "raised_item": "Raised an agenda item",
    "proposed_change": "Proposed a change",
    "challenged": "Challenged or questioned",
    "took_action": "Took an action",
}
"""What someone did at a meeting, as the observer taps it live (the capture page)."""

ANSWERS: Final[dict[int | None, str]] = {
    5: "Strongly agree",
    4: "Agree",
    3: "Neither agree nor disagree",
    2: "Disagree",
    1: "Strongly disagree",
    None: "Prefer not to say",
}
"""The five-point scale of the experience questionnaire, and "prefer not to say" (no answer kept)."""

FEEDBACK_VIA: Final[dict[str, str]] = {
    "review": "At the review, after the meeting",
    "phone": "On their phone, from a link",
    "paper": "On paper, typed in by the observer",
}
"""How an experience answer reached the study."""

IMPACT_KINDS: Final[dict[str, str]] = {
    "change_idea": "A change idea adopted",
    "measure_changed": "A measure changed",
    "meeting_changed": "How meetings run changed",
    "document_rewritten": "A document rewritten",
    "other": "Another change",
}
"""What a change to a team's improvement work was (the impact log)."""

IMPACT_ORIGINS: Final[dict[str, str]] = {
    "lived_experience": "People with lived experience",
    "both": "People with lived experience and staff together",
    "staff": "Staff",
}
"""Whom a change's idea came from (the impact log)."""

IMPACT_ORIGINS_SHORT: Final[dict[str, str]] = {"lived_experience": "Lived experience", "both": "Both", "staff": "Staff"}
"""The same, in a table's narrow column."""

INFORMANT_GROUPS: Final[dict[str, str]] = {
    "leader_manager": "Leaders and managers",
    "frontline_staff": "Front-line staff",
    "service_user": "Service users",
    "carer": "Carers",
}
"""The groups interviewed, as a chart's axis names them."""

INFORMANT: Final[dict[str, str]] = {
    "leader_manager": "leader or manager",
    "frontline_staff": "front-line staff",
    "service_user": "service user",
    "carer": "carer",
}
"""One informant of a group, as a quote's caption names them."""

RECRUITMENT_STAGES: Final[dict[str, str]] = {
    "identified": "Identified",
    "approached": "Approached",
    "agreed": "Agreed",
    "first_attended": "First attended",
    "still_attending": "Still attending",
    "declined": "Declined",
    "withdrew": "Withdrew",
}
"""A step of recruiting someone with lived experience."""

ANNOTATION_KINDS: Final[dict[str, str]] = {
    "home_meetings": "Meetings at home",
    "qi_training": "QI training",
    "recruitment_drive": "Recruitment drive",
    "service_change": "Service change",
    "other": "Other",
}
"""The kinds of change marked on the charts, as the Record page offers them and presenter mode shows them."""

COM_B: Final[dict[str, str]] = {
    "capability": "Capability",
    "opportunity": "Opportunity",
    "motivation": "Motivation",
    "behaviour": "Behaviour",
}
"""A code's COM-B component."""

VALENCE: Final[dict[str, str]] = {"barrier": "Barrier", "enabler": "Enabler"}
"""Whether a code names a barrier or an enabler."""

FOUR_PI: Final[dict[str, str]] = {"presence": "Presence", "process": "Process", "impact": "Impact"}
"""A code's 4Pi domain."""

AUDIT_ACTIONS: Final[dict[str, str]] = {
    "create": "Added",
    "change": "Changed",
    "delete": "Deleted",
    "import": "Imported",
    "export": "Exported",
    "restore": "Restored",
    "sign_in": "Signed in",
    "refused": "Refused",
    "grant": "Access given",
    "revoke": "Access taken away",
}
"""What an audit entry records, as the Audit trail names it."""

SOURCE_CHOICES: Final[dict[str, str]] = {
    "notes": "Field notes",
    "interviews": "Interviews",
    "both": "Both",
}
"""What the codes are counted in, as the pages' choice offers it."""

EXPORT_LEVELS: Final[dict[str, str]] = {
    "full": "Full (every record)",
    "deidentified": "De-identified",
    "aggregate": "Aggregate counts",
}
"""An export's level of disclosure, as the Export page offers it."""

EXPORT_FORMATS: Final[dict[str, str]] = {"csv": "CSV", "xlsx": "Excel (XLSX)", "parquet": "Parquet"}
"""An export's file format, as the Export page offers it."""

TABLES: Final[dict[str, str]] = {
    "teams": "teams",
    "participants": "participants",
    "meetings": "meetings",
    "attendance": "attendance",
    "contributions": "contributions",
    "feedback": "feedback answers",
    "field_notes": "field notes",
    "codes": "codes",
    "coded_segments": "coded segments",
    "recruitment_events": "recruitment events",
    "annotations": "annotations",
    "impact": "impact log",
    "interviews": "interviews",
    "register": "register",
}
"""Each kind of file an import reads (and the table it fills), in words; "register" is an
attendance register, one row per person and one column per meeting date."""

TABLE_ROWS: Final[dict[str, str]] = {
    "teams": "one row per team",
    "participants": "one row per person",
    "meetings": "one row per meeting",
    "attendance": "one row per person at a meeting",
    "contributions": "one row per contribution observed live: who, what, at which minute",
    "feedback": "one row per answer to an item of the experience questionnaire",
    "field_notes": "one row per note",
    "codes": "the codebook, one row per code",
    "coded_segments": "one row per code applied to a note",
    "recruitment_events": "one row per recruitment step",
    "annotations": "one row per dated event",
    "impact": "one row per change to a team's improvement work",
    "interviews": "a manifest, one row per interview naming its transcript (.txt, .md or .docx)",
    "register": "one row per person, one column per meeting date",
}
"""What each kind of file holds, as the import's mapping step offers it after the kind's name."""


AUDIT_ROWS: Final[dict[str, tuple[str, str]]] = {
    "teams": ("team", "teams"),
    "participants": ("participant", "participants"),
    "meetings": ("meeting", "meetings"),
    "attendance": ("attendance row", "attendance rows"),
    "contributions": ("contribution", "contributions"),
    "feedback": ("feedback answer", "feedback answers"),
    "field_notes": ("field note", "field notes"),
    "codes": ("code", "codes"),
    "coded_segments": ("coded segment", "coded segments"),
    "recruitment_events": ("recruitment event", "recruitment events"),
    "annotations": ("annotation", "annotations"),
    "impact": ("impact log entry", "impact log entries"),
    "interviews": ("interview", "interviews"),
    "register": ("register row", "register rows"),
    "meeting_roles": ("filled role", "filled roles"),
    "access": ("access entry", "access entries"),
    "memos": ("memo", "memos"),
}
"""A row of each table, one and many, as the Audit trail counts them ("3 attendance rows created"):
each table an import reads named as ``TABLES`` names it."""

AUDIT_FIELDS: Final[dict[str, str]] = {
    "status": "status", "participation": "took part", "format": "", "duration_minutes": "length (minutes)",
    "action_items": "action items", "evaluated": "evaluated", "meeting_date": "date", "team_id": "team",
    "start_date": "started", "qi_trained": "QI trained", "com_b": "COM-B", "four_pi": "4Pi",
    "valence": "barrier or enabler", "reason_code_id": "reason", "event_date": "date", "label": "label",
    "category": "kind", "parent_id": "under", "slug": "key", "role": "role", "setting": "setting", "code": "code",
    "name": "name", "service": "service", "coach": "coach", "definition": "definition", "body": "text",
    "minute": "minute", "author": "observer", "position": "position", "participant_id": "participant",
    "stage": "stage", "teams": "teams", "code_id": "code", "coder": "coder", "meeting_id": "meeting",
    "note_id": "note", "interview_id": "interview", "span_start": "from character", "span_end": "to character",
    "coding_id": "coding",
}  # fmt: skip
"""A stored field, as the Audit trail names it before its value ("took part co-leading"); where a
meeting was held has no name, as its words say it ("held online")."""


def letters(index: int) -> str:
    """The ``index``-th label from 0 of A, B, … Z, AA, AB, …: a team shown without its name."""
    label = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        label = string.ascii_uppercase[rest] + label
    return label


def counted(n: int, one: str, many: str | None = None) -> str:
    """``n`` things in words: "1 coded segment", "3 coded segments", "2 records were" (``many``
    when the plural is not ``one`` + "s")."""
    return f"{n:,} {one if n == 1 else many or one + 's'}"
