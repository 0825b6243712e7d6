"""Pydantic models that mirror observation/schema.sql, used wherever data crosses a boundary.

Field names are the column names, so a row read with ``cursor.fetchdf()`` validates with
``Model.model_validate(row)``; a test checks every demo row against these models.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Literal, Self

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints, model_validator

Setting = Literal["community", "inpatient", "other"]
RoleCategory = Literal[
    "service_user",
    "carer",
    "nurse",
    "therapist",
    "psychologist",
    "doctor",
    "manager",
    "administrator",
    "support_worker",
    "coach",
    "observer",
]
MeetingStatus = Literal["held", "cancelled", "postponed"]
MeetingFormat = Literal["ward", "service_base", "home", "virtual", "other"]
MeetingRole = Literal["leader", "facilitator", "timekeeper", "recorder"]
AttendanceStatus = Literal["present", "apologies", "absent"]
ParticipationLevel = Literal["observing", "contributing", "co_leading"]
PARTICIPATION_RANK: dict[ParticipationLevel, int] = {"observing": 1, "contributing": 2, "co_leading": 3}
InformantGroup = Literal["leader_manager", "frontline_staff", "service_user", "carer"]
ComB = Literal["capability", "opportunity", "motivation", "behaviour"]
Valence = Literal["barrier", "enabler"]
FourPi = Literal["presence", "process", "impact"]
RecruitmentStage = Literal[
    "identified", "approached", "agreed", "first_attended", "still_attending", "withdrew", "declined"
]
ContributionKind = Literal["spoke", "raised_item", "proposed_change", "challenged", "took_action"]
"""What someone did that an observer tapped during a meeting (observation/capture.py)."""
FeedbackVia = Literal["review", "phone", "paper"]
"""How an experience answer reached the study: the capture page's review, a phone link, or paper typed in."""
ItemWording = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
"""How an item of the experience questionnaire is worded."""
ChangeDescription = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]
"""What a change logged in the impact log was, in words."""
ImpactKind = Literal["change_idea", "measure_changed", "meeting_changed", "document_rewritten", "other"]
ImpactOrigin = Literal["lived_experience", "staff", "both"]
"""Whom a change's idea came from: people with lived experience, staff, or both together."""
AnnotationCategory = Literal["home_meetings", "qi_training", "recruitment_drive", "service_change", "other"]


# A pseudonymous code: upper-case letters, digits, '-' or '_', at least one digit. Never a name.
def _has_a_digit(code: str) -> str:
    if not any(ch.isdigit() for ch in code):
        raise ValueError("a participant code needs at least one digit (a code such as SU-01, never a name)")
    return code


ParticipantCode = Annotated[
    str,
    StringConstraints(strip_whitespace=True, pattern=r"^[A-Z0-9][A-Z0-9_-]{1,23}$"),
    AfterValidator(_has_a_digit),
]
NonEmpty = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]

NAME_MAX, PERSON_MAX, LABEL_MAX, DEFINITION_MAX, NOTE_MAX = 200, 100, 500, 10_000, 1_000_000
"""The longest name (team, service, role, code), observer or coder, event label, code definition
and note the study takes, in characters, from a form or an import."""
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
"""Characters no text may hold (tab, line feed and carriage return are allowed in notes)."""


def _no_control(text: str) -> str:
    if bad := CONTROL.search(text):
        raise ValueError(f"holds a control character ({bad[0]!r}), not text; paste it again as plain text")
    return text


def _one_line(text: str) -> str:
    if any(c in text for c in "\t\r\n"):
        raise ValueError("must be one line: no tab or line break")
    return _no_control(text)


Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=NAME_MAX),
                 AfterValidator(_one_line)]  # fmt: skip
Observer = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=PERSON_MAX),
                   AfterValidator(_one_line)]  # fmt: skip
Label = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=LABEL_MAX),
                  AfterValidator(_one_line)]  # fmt: skip
Definition = Annotated[str, StringConstraints(strip_whitespace=True, max_length=DEFINITION_MAX),
                       AfterValidator(_no_control)]  # fmt: skip
Passage = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=NOTE_MAX),
                    AfterValidator(_no_control)]  # fmt: skip
"""Text typed in a form or imported: a name, an observer's code, a label, a definition, a note."""
Slug = Annotated[str, StringConstraints(pattern=r"^[a-z0-9_]+(\.[a-z0-9_]+)*$")]


class Row(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Study(Row):
    id: Literal[1] = 1
    name: NonEmpty
    is_demo: bool = False
    description: str | None = None
    created_at: dt.datetime | None = None


class Team(Row):
    id: int
    name: NonEmpty
    service: str
    setting: Setting
    start_date: dt.date
    coach: str | None = None


class Participant(Row):
    id: int
    code: ParticipantCode
    team_id: int
    role: RoleCategory
    qi_trained: bool = False


class Meeting(Row):
    id: int
    team_id: int
    meeting_date: dt.date
    duration_minutes: int | None = Field(default=None, ge=1, le=480)
    status: MeetingStatus
    format: MeetingFormat = "service_base"
    action_items: int | None = Field(default=None, ge=0)
    evaluated: bool | None = None


class MeetingRoleFilled(Row):
    meeting_id: int
    role: MeetingRole
    participant_id: int | None = None


class Attendance(Row):
    meeting_id: int
    participant_id: int
    status: AttendanceStatus
    participation: ParticipationLevel | None = None

    @model_validator(mode="after")
    def _level_only_when_present(self) -> Self:
        if self.participation is not None and self.status != "present":
            raise ValueError("a participation level is recorded only for people present")
        return self


class Contribution(Row):
    """One contribution someone made at a meeting, observed live: minute stamped, with its observer
    and when it was tapped (UTC; None when imported)."""

    id: int
    meeting_id: int
    participant_id: int
    kind: ContributionKind
    minute: int = Field(ge=0, le=480)
    observer: NonEmpty
    recorded_at: dt.datetime | None = None


class FeedbackItem(Row):
    """One version of one item of the experience questionnaire (observation/feedback.py): an edit
    adds a version, and answers keep the version they were given against."""

    id: int
    item_key: Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,39}$")]
    version: int = Field(ge=1)
    wording: ItemWording
    sort_order: int
    active: bool


class FeedbackResponse(Row):
    """One answer of a service user or carer to one item about one meeting they attended: 1
    (strongly disagree) to 5 (strongly agree), or None for "prefer not to say"."""

    id: int
    meeting_id: int
    participant_id: int
    item_id: int
    answer: int | None = Field(default=None, ge=1, le=5)
    via: FeedbackVia
    recorded_at: dt.datetime | None = None


class FieldNote(Row):
    id: int
    meeting_id: int
    position: int = Field(ge=1)
    minute: int | None = Field(default=None, ge=0)
    author: NonEmpty
    written_at: dt.datetime | None = None
    body: NonEmpty


class Interview(Row):
    id: int
    informant_code: ParticipantCode
    informant_group: InformantGroup
    team_id: int | None = None
    interview_date: dt.date
    transcript: NonEmpty


class Code(Row):
    id: int
    slug: Slug
    parent_id: int | None = None
    name: NonEmpty
    definition: str = ""
    com_b: ComB | None = None
    valence: Valence | None = None
    four_pi: FourPi | None = None


class CodedSegment(Row):
    id: int
    note_id: int | None = None
    interview_id: int | None = None
    code_id: int
    coder: NonEmpty
    span_start: int | None = Field(default=None, ge=0)
    span_end: int | None = None

    @model_validator(mode="after")
    def _one_source_and_a_whole_span(self) -> Self:
        if (self.note_id is None) == (self.interview_id is None):
            raise ValueError("a segment belongs to exactly one field note or one interview")
        if (self.span_start is None) != (self.span_end is None):
            raise ValueError("a span needs both a start and an end")
        if self.span_start is not None and self.span_end is not None and self.span_end <= self.span_start:
            raise ValueError("a span must end after it starts")
        return self


class RecruitmentEvent(Row):
    id: int
    participant_id: int
    stage: RecruitmentStage
    event_date: dt.date
    reason_code_id: int | None = None


class Annotation(Row):
    id: int
    team_id: int | None = None
    event_date: dt.date
    label: NonEmpty
    category: AnnotationCategory = "other"


class ImpactEntry(Row):
    """A change to a team's improvement work, dated, with whom its idea came from and the meeting
    where it arose when there was one."""

    id: int
    team_id: int
    entry_date: dt.date
    meeting_id: int | None = None
    kind: ImpactKind
    description: ChangeDescription
    origin: ImpactOrigin


TABLE_MODELS: dict[str, type[Row]] = {
    "study": Study,
    "teams": Team,
    "participants": Participant,
    "meetings": Meeting,
    "meeting_roles": MeetingRoleFilled,
    "attendance": Attendance,
    "contributions": Contribution,
    "feedback_items": FeedbackItem,
    "feedback_responses": FeedbackResponse,
    "field_notes": FieldNote,
    "interviews": Interview,
    "codes": Code,
    "coded_segments": CodedSegment,
    "recruitment_events": RecruitmentEvent,
    "annotations": Annotation,
    "impact_entries": ImpactEntry,
}
"""Each study table and the model its rows satisfy, in an order that respects foreign keys."""
