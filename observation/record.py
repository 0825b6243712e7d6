"""Recording a meeting in the app: its details, roles, attendance, notes and the changes it marks
on the charts (annotations), saved in one transaction, audited, and refused when someone else
saved the same meeting in the meantime."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal, Self

import duckdb
import pyarrow as pa
from pydantic import BaseModel, ConfigDict, Field, model_validator

from observation import access, audit, db, integrity
from observation.errors import ObservationError
from observation.models import (
    AnnotationCategory,
    AttendanceStatus,
    Label,
    MeetingFormat,
    MeetingRole,
    MeetingStatus,
    Observer,
    ParticipantCode,
    ParticipationLevel,
    Passage,
    RecruitmentStage,
    RoleCategory,
)

MEETING_TABLES = ("meetings", "meeting_roles", "attendance", "participants", "field_notes", "annotations",
                  "recruitment_events")  # fmt: skip
"""The tables a meeting's save writes."""


class MeetingDetails(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    team_id: int
    meeting_date: dt.date
    status: MeetingStatus = "held"
    format: MeetingFormat = "service_base"
    duration_minutes: int | None = Field(default=None, ge=1, le=480)
    action_items: int | None = Field(default=None, ge=0)
    evaluated: bool | None = None
    roles: dict[MeetingRole, int | None] = Field(default_factory=dict)
    """Each filled role and the participant who filled it (None: filled, by whom not recorded)."""


class AttendanceEntry(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    participant_id: int | None = None
    new_code: ParticipantCode | None = None
    """A person added in place: their pseudonymous code (and ``new_role``)."""
    new_role: RoleCategory | None = None
    status: AttendanceStatus | None = None
    """None: not expected at this meeting."""
    participation: ParticipationLevel | None = None

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if (self.participant_id is None) == (self.new_code is None):
            raise ValueError("give an existing participant or a new code, not both")
        if self.new_code is not None and self.new_role is None:
            raise ValueError(f"{self.new_code}: a new participant needs a role")
        if self.participation is not None and self.status != "present":
            raise ValueError("a participation level is recorded only for people present")
        return self


class NoteEntry(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    position: int | None = Field(default=None, ge=1)
    """The note's place in the meeting; None for a new note (it goes after the last)."""
    minute: int | None = Field(default=None, ge=0)
    author: Observer
    body: Passage


class AnnotationEntry(BaseModel):
    """A change the team made, marked on the run and SPC charts at this meeting's date."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    label: Label
    category: AnnotationCategory = "other"


class RecruitmentStep(BaseModel):
    """A step of a team member's recruitment funnel taken on this meeting's date."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    participant_id: int
    stage: RecruitmentStage
    reason_code_id: int | None = None
    """The recruitment tension behind a withdrawal or a refusal, from the codebook."""


class Conflict(ObservationError):
    """Someone else saved the meeting since it was opened."""

    def __init__(self, saved_by: str, saved_at: dt.datetime) -> None:
        self.saved_by, self.saved_at = saved_by, saved_at
        super().__init__(
            f"{saved_by} saved this meeting at {saved_at:%H:%M on %d %b %Y} (UTC), after you opened it. "
            "Your changes were not saved: reload the meeting to see theirs, then make yours again."
        )


@access.requires("researcher")
def version(con: duckdb.DuckDBPyConnection, meeting_id: int) -> int:
    """The meeting's version: 0 until it is first saved in the app."""
    with db.cursor(con) as cur:
        row = cur.execute("select version from meeting_versions where meeting_id = ?", [meeting_id]).fetchone()
    return int(row[0]) if row else 0


@access.requires("researcher")
def save_meeting(
    con: duckdb.DuckDBPyConnection,
    meeting_id: int | None,
    details: MeetingDetails,
    attendance: list[AttendanceEntry],
    notes: list[NoteEntry],
    seen_version: int,
    who: str | None = None,
    annotations: list[AnnotationEntry] | None = None,
    recruitment: list[RecruitmentStep] | None = None,
) -> int:
    """Create (``meeting_id`` None) or replace a meeting's details, roles, attendance, notes and
    (unless None) the team's annotations and its members' recruitment steps on its date, in one
    transaction. Refused with Conflict when its version is no longer ``seen_version``."""
    who = who or audit.actor()
    with db.transaction(con) as cur:
        if meeting_id is not None:
            refuse_if_changed(cur, meeting_id, seen_version)
        fields = details.model_dump(exclude={"roles"})
        if meeting_id is None:
            meeting_id = db.insert_row(cur, "meetings", fields)
            audit.record(cur, "create", "meetings", f"id={meeting_id}", after=fields, who=who)
        else:
            before = cur.execute(
                f"select {', '.join(fields)} from meetings where id = ?",  # noqa: S608 - MeetingDetails' fields
                [meeting_id],
            ).fetchone()
            if before is None:
                raise ObservationError(f"meeting {meeting_id} no longer exists")
            old = dict(zip(fields, before, strict=True))
            if (old["team_id"], old["meeting_date"]) != (fields["team_id"], fields["meeting_date"]):
                raise ObservationError("a recorded meeting keeps its team and date; record a new meeting instead")
            changed = {k: val for k, val in fields.items() if old[k] != val}
            if changed:  # only what changed: DuckDB refuses to rewrite a row that others point at
                cur.execute(
                    f"update meetings set {', '.join(f'{k} = ?' for k in changed)} where id = ?",  # noqa: S608
                    [*changed.values(), meeting_id],
                )
            audit.record(cur, "change", "meetings", f"id={meeting_id}", before=old, after=fields, who=who)
        cur.execute("delete from meeting_roles where meeting_id = ?", [meeting_id])
        for role, person in details.roles.items():
            cur.execute("insert into meeting_roles values (?, ?, ?)", [meeting_id, role, person])
        _save_attendance(cur, meeting_id, details.team_id, attendance, who)
        _save_notes(cur, meeting_id, notes, who)
        if annotations is not None:
            _save_annotations(cur, details.team_id, details.meeting_date, annotations, who)
        if recruitment is not None:
            _save_recruitment(cur, details.team_id, details.meeting_date, recruitment, who)
        integrity.require_intact(cur, MEETING_TABLES, meetings=(meeting_id,))
        bump_version(cur, meeting_id, who)
    return meeting_id


def refuse_if_changed(cur: duckdb.DuckDBPyConnection, meeting_id: int, seen_version: int) -> None:
    """Raise Conflict when someone saved the meeting since the form showing ``seen_version`` opened."""
    row = cur.execute(
        "select version, saved_at, saved_by from meeting_versions where meeting_id = ?", [meeting_id]
    ).fetchone()
    if row is not None and int(row[0]) != seen_version:
        raise Conflict(str(row[2]), row[1])


def bump_version(cur: duckdb.DuckDBPyConnection, meeting_id: int, who: str) -> None:
    """Note that ``who`` just saved the meeting: a form opened before this may no longer save."""
    bump_versions(cur, [meeting_id], who)


def bump_versions(cur: duckdb.DuckDBPyConnection, meeting_ids: Sequence[int], who: str) -> None:
    """``bump_version`` for many meetings in one statement (an import touches thousands: handed to
    DuckDB as an Arrow column, which it scans, where a list parameter is converted value by value)."""
    cur.register("_bumped", pa.table({"meeting_id": pa.array(meeting_ids, pa.int32())}))
    try:
        cur.execute(
            """
            insert into meeting_versions
            select meeting_id, 1, current_timestamp at time zone 'UTC', ? from _bumped
            on conflict (meeting_id) do update set
                version = meeting_versions.version + 1, saved_at = excluded.saved_at, saved_by = excluded.saved_by
            """,
            [who],
        )
    finally:
        cur.unregister("_bumped")


def _save_attendance(
    cur: duckdb.DuckDBPyConnection, meeting_id: int, team_id: int, entries: list[AttendanceEntry], who: str
) -> None:
    before = _marks(cur, meeting_id)
    # Only the people on the form: attendance recorded for anyone else (an import may) stays.
    on_form = [e.participant_id for e in entries if e.participant_id is not None]
    cur.execute(
        "delete from attendance where meeting_id = ? and list_contains(?, participant_id)", [meeting_id, on_form]
    )
    for entry in entries:
        person = entry.participant_id
        if person is None:
            person = db.insert_row(
                cur, "participants", {"code": entry.new_code, "team_id": team_id, "role": entry.new_role}
            )
            audit.record(
                cur, "create", "participants", f"code={entry.new_code}", after={"role": entry.new_role}, who=who
            )
        if entry.status is not None:
            cur.execute(
                "insert into attendance values (?, ?, ?, ?)", [meeting_id, person, entry.status, entry.participation]
            )
    after = _marks(cur, meeting_id)
    if after != before:
        audit.record(cur, "change", "attendance", f"meeting_id={meeting_id}", before=before, after=after, who=who)


def _marks(cur: duckdb.DuckDBPyConnection, meeting_id: int) -> dict[int, dict[str, str | None]]:
    """Each person's status and participation level at the meeting, as the audit trail keeps them
    (a level changed on its own is a change too)."""
    rows = cur.execute(
        "select participant_id, status, participation from attendance where meeting_id = ?", [meeting_id]
    ).fetchall()
    return {person: {"status": status, "participation": level} for person, status, level in rows}


def _save_notes(cur: duckdb.DuckDBPyConnection, meeting_id: int, notes: list[NoteEntry], who: str) -> None:
    """Each note keeps its position: a changed note is updated (its codes stay), a new one goes
    after the last. Notes are not removed here (DuckDB cannot delete a note and its codes in one
    transaction); edit a note's text instead."""
    existing = {
        int(p): (int(i), m, a, b)
        for i, p, m, a, b in cur.execute(
            "select id, position, minute, author, body from field_notes where meeting_id = ?", [meeting_id]
        ).fetchall()
    }
    last = max(existing, default=0)
    for note in notes:
        if note.position is not None and note.position in existing:
            note_id, minute, author, body = existing[note.position]
            if (minute, author, body) != (note.minute, note.author, note.body):
                if body != note.body:  # coded passages are positions in the text: they must not move
                    integrity.refuse_moved_spans(cur, "field_notes", note_id, note.body)
                cur.execute(
                    "update field_notes set minute = ?, author = ?, body = ? where id = ?",
                    [note.minute, note.author, note.body, note_id],
                )
                audit.record(cur, "change", "field_notes", f"id={note_id}", before={"body": body},
                             after={"body": note.body}, who=who)  # fmt: skip
            continue
        last += 1
        cur.execute(
            "insert into field_notes (meeting_id, position, minute, author, body) values (?, ?, ?, ?, ?)",
            [meeting_id, last, note.minute, note.author, note.body],
        )
        audit.record(cur, "create", "field_notes", f"meeting_id={meeting_id}, position={last}",
                     after={"body": note.body}, who=who)  # fmt: skip


def _save_annotations(
    cur: duckdb.DuckDBPyConnection, team_id: int, day: dt.date, wanted: list[AnnotationEntry], who: str
) -> None:
    """The team's annotations on ``day`` become ``wanted``: labels no longer there are removed
    (nothing refers to an annotation), new ones added, a changed category updated."""
    refuse_repeats([a.label for a in wanted], "a change marked twice")
    keep = {a.label: a.category for a in wanted}
    existing: set[str] = set()
    for annotation_id, label, category in cur.execute(
        "select id, label, category from annotations where team_id = ? and event_date = ? order by id", [team_id, day]
    ).fetchall():
        if label not in keep or label in existing:  # gone from the form, or a second row with the same label
            cur.execute("delete from annotations where id = ?", [annotation_id])
            audit.record(cur, "delete", "annotations", f"id={annotation_id}",
                         before={"label": label, "category": category}, who=who)  # fmt: skip
        elif keep[label] != category:
            cur.execute("update annotations set category = ? where id = ?", [keep[label], annotation_id])
            audit.record(cur, "change", "annotations", f"id={annotation_id}", before={"category": category},
                         after={"category": keep[label]}, who=who)  # fmt: skip
        existing.add(label)
    for label, category in keep.items():
        if label not in existing:
            cur.execute(
                "insert into annotations (team_id, event_date, label, category) values (?, ?, ?, ?)",
                [team_id, day, label, category],
            )
            audit.record(cur, "create", "annotations", f"team_id={team_id}, event_date={day}",
                         after={"label": label, "category": category}, who=who)  # fmt: skip


def _save_recruitment(
    cur: duckdb.DuckDBPyConnection, team_id: int, day: dt.date, wanted: list[RecruitmentStep], who: str
) -> None:
    """The recruitment steps of the team's members on ``day`` become ``wanted`` (nothing refers
    to a recruitment event, so one no longer wanted is removed)."""
    codes = dict(cur.execute("select id, code from participants").fetchall())
    members = {int(i) for (i,) in cur.execute("select id from participants where team_id = ?", [team_id]).fetchall()}
    for step in wanted:
        if step.participant_id not in members:
            code = codes.get(step.participant_id, f"participant {step.participant_id}")
            raise ObservationError(f"{code} is not a member of this team: record their recruitment in their own team")
    existing = {
        (int(p), str(stage)): (int(i), r)
        for i, p, stage, r in cur.execute(
            "select e.id, e.participant_id, e.stage, e.reason_code_id from recruitment_events as e "
            "join participants as p on p.id = e.participant_id where p.team_id = ? and e.event_date = ?",
            [team_id, day],
        ).fetchall()
    }
    refuse_repeats([f"{codes[s.participant_id]} {s.stage}" for s in wanted], "a recruitment step given twice")
    keep: dict[tuple[int, str], int | None] = {(s.participant_id, s.stage): s.reason_code_id for s in wanted}
    for (person, stage), (event_id, reason) in existing.items():
        row = {"participant_id": person, "stage": stage, "event_date": str(day), "reason_code_id": reason}
        if (person, stage) not in keep:
            cur.execute("delete from recruitment_events where id = ?", [event_id])
            audit.record(cur, "delete", "recruitment_events", f"id={event_id}", before=row, who=who)
        elif (new_reason := keep[person, stage]) != reason:
            cur.execute("update recruitment_events set reason_code_id = ? where id = ?", [new_reason, event_id])
            audit.record(cur, "change", "recruitment_events", f"id={event_id}", before=row,
                         after=row | {"reason_code_id": new_reason}, who=who)  # fmt: skip
    for (person, stage), reason in keep.items():
        if (person, stage) not in existing:
            cur.execute(
                "insert into recruitment_events (participant_id, stage, event_date, reason_code_id) "
                "values (?, ?, ?, ?)",
                [person, stage, day, reason],
            )
            audit.record(cur, "create", "recruitment_events", f"participant_id={person}, stage={stage}",
                         after={"event_date": str(day), "reason_code_id": reason}, who=who)  # fmt: skip


def refuse_repeats(given: list[str], what: str) -> None:
    """Refuse a form that gives the same row twice, naming it (which of the two to keep is the user's call)."""
    repeated = sorted({g for g in given if given.count(g) > 1})
    if repeated:
        raise ObservationError(f"{what}: {', '.join(repeated)}; keep one row for each")


@dataclass(frozen=True)
class Recorded:
    """A meeting as the Record page opens it."""

    details: MeetingDetails
    attendance: dict[int, tuple[str | None, str | None]]
    """participant_id -> (status, participation) for everyone recorded."""
    notes: tuple[NoteEntry, ...]
    version: int
    annotations: tuple[AnnotationEntry, ...] = ()
    recruitment: tuple[RecruitmentStep, ...] = ()


@dataclass(frozen=True)
class MeetingChoice:
    """A meeting the Record page offers to edit."""

    id: int
    meeting_date: dt.date
    status: str


@access.requires("researcher")
def meetings_of(con: duckdb.DuckDBPyConnection, team_id: int) -> tuple[MeetingChoice, ...]:
    """The team's meetings, latest first, to choose one to edit."""
    with db.cursor(con) as cur:
        rows = cur.execute(
            "select id, meeting_date, status from meetings where team_id = ? order by meeting_date desc, id desc",
            [team_id],
        ).fetchall()
    return tuple(MeetingChoice(int(i), d, str(s)) for i, d, s in rows)


USUAL_GAP_DAYS = 28
"""The gap taken between meetings while no team has two meetings recorded to take one from."""


@dataclass(frozen=True)
class NextMeeting:
    """When a team's next meeting is expected, and why: the date a new meeting's form starts at."""

    offered: dt.date
    """The date the form starts at: ``expected``, or today when that is still to come (or nothing is recorded)."""
    expected: dt.date | None
    """The team's last recorded meeting plus ``gap_days``; None when it has no meeting recorded."""
    last: dt.date | None
    """The team's last recorded meeting, held or not."""
    gap_days: int
    basis: Literal["team", "study", "assumed"]
    """Where ``gap_days`` comes from: the team's meetings, the study's, or USUAL_GAP_DAYS."""
    overdue: bool = False
    """``expected`` is more than one gap before today: the team has lapsed (or its meetings since are
    not recorded yet), and the date is when the next was due, not one still expected."""

    def reason(self) -> str:
        """The rule, in a sentence, for beside the date."""
        if self.expected is None or self.last is None:
            return "The team has no meeting recorded yet, so the date starts at today."
        gap = f"{self.gap_days // 7} week" if self.gap_days % 7 == 0 else f"{self.gap_days} day"
        gap += "" if gap.startswith("1 ") else "s"
        if self.overdue:
            at = {
                "team": f"at its usual gap of {gap}",
                "study": f"at the study's usual gap of {gap} (the team has only one meeting recorded)",
                "assumed": f"at the gap of {gap} assumed until a team has two meetings recorded",
            }[self.basis]
            return (
                f"The team's meetings are overdue: its last meeting was {self.last:%d/%m/%Y}; {at} the next "
                f"was due {self.expected:%d/%m/%Y}. The date starts there, for a missed meeting being typed in."
            )
        why = {
            "team": "its usual gap between meetings",
            "study": "the usual gap between meetings in this study (the team has only one meeting recorded)",
            "assumed": "the gap assumed until a team has two meetings recorded",
        }[self.basis]
        since = f"{gap} after its last one ({self.last:%d/%m/%Y})"
        sentence = f"The team's next expected meeting: {self.expected:%d/%m/%Y}, {since}, {why}."
        if self.offered != self.expected:
            sentence += " That is still to come, so the date starts at today."
        return sentence


def next_expected_meeting(
    last: dt.date | None, today: dt.date, team_gap: int | None = None, study_gap: int | None = None
) -> NextMeeting:
    """The date a team's next meeting is expected: its ``last`` recorded meeting plus its usual gap.

    The gaps are ``next_meeting``'s (one query works out both): ``team_gap``, the team's usual gap,
    or, for a team with one meeting recorded, ``study_gap``, the study's; 4 weeks (USUAL_GAP_DAYS)
    when neither is known. An expected date after ``today`` is offered as today (a meeting is
    recorded once it has taken place) unless the last recorded meeting is not before today; a team
    with no meeting recorded is offered today. An expected date more than one gap before today is
    still offered (a researcher typing in a missed meeting wants it), and said to be overdue.
    """
    basis: Literal["team", "study", "assumed"]
    if team_gap is not None and team_gap > 0:
        gap, basis = team_gap, "team"
    elif study_gap is not None and study_gap > 0:
        gap, basis = study_gap, "study"
    else:
        gap, basis = USUAL_GAP_DAYS, "assumed"
    if last is None:
        return NextMeeting(today, None, None, gap, basis)
    expected = last + dt.timedelta(days=gap)
    overdue = (today - expected).days > gap
    return NextMeeting(today if last < today < expected else expected, expected, last, gap, basis, overdue)


@access.requires("researcher")
def next_meeting(con: duckdb.DuckDBPyConnection, team_id: int, today: dt.date) -> NextMeeting:
    """When the team's next meeting is expected (``next_expected_meeting``), from its last meeting
    and the usual gaps between meetings, the team's and the study's, worked out here alone: the
    median number of days between a team's consecutive meetings (with an even number of gaps,
    halfway between the middle two, rounded down to a whole day), over the team's gaps or over every
    team's. Meetings cancelled or postponed count: they were dates in the team's schedule (one
    fortnightly team's three meetings held and one cancelled would otherwise make its usual gap
    three weeks)."""
    with db.cursor(con) as cur:
        row = cur.execute(
            """
            with dates as (select distinct team_id, meeting_date from meetings),
            gaps as (
                select team_id, meeting_date,
                       meeting_date - lag(meeting_date) over (partition by team_id order by meeting_date) as days
                from dates
            )
            select max(meeting_date) filter (where team_id = ?),
                   floor(median(days) filter (where team_id = ?)),
                   floor(median(days))
            from gaps
            """,
            [team_id, team_id],
        ).fetchone()
    last, team_gap, study_gap = row if row is not None else (None, None, None)
    return next_expected_meeting(
        last,
        today,
        None if team_gap is None else int(team_gap),
        None if study_gap is None else int(study_gap),
    )


@dataclass(frozen=True)
class Person:
    id: int
    code: str
    role: str


@access.requires("researcher")
def team_people(con: duckdb.DuckDBPyConnection, team_id: int) -> tuple[Person, ...]:
    with db.cursor(con) as cur:
        rows = cur.execute(
            """
            select p.id, p.code, r.label
            from participants as p join role_categories as r on r.code = p.role
            where p.team_id = ?
            order by not r.lived_experience, r.sort_order, p.code
            """,
            [team_id],
        ).fetchall()
    return tuple(Person(int(i), str(c), str(r)) for i, c, r in rows)


@access.requires("researcher")
def reasons(con: duckdb.DuckDBPyConnection, also: Sequence[int | None] = ()) -> dict[int, str]:
    """Code id -> name of the recruitment tensions in the codebook (and of the codes in ``also``,
    so a reason recorded with another code still shows)."""
    with db.cursor(con) as cur:
        rows = cur.execute(
            "select id, name from codes where slug like 'recruitment\\_tension.%' escape '\\' "
            "or list_contains($also, id) order by name",
            {"also": [i for i in also if i is not None]},
        ).fetchall()
    return {int(i): str(n) for i, n in rows}


@access.requires("researcher")
def load(con: duckdb.DuckDBPyConnection, meeting_id: int) -> Recorded | None:
    with db.cursor(con) as cur:
        row = cur.execute(
            "select team_id, meeting_date, status, format, duration_minutes, action_items, evaluated "
            "from meetings where id = ?",
            [meeting_id],
        ).fetchone()
        if row is None:
            return None
        roles = dict(
            cur.execute("select role, participant_id from meeting_roles where meeting_id = ?", [meeting_id]).fetchall()
        )
        attendance = {
            int(p): (s, lv)
            for p, s, lv in cur.execute(
                "select participant_id, status, participation from attendance where meeting_id = ?", [meeting_id]
            ).fetchall()
        }
        notes = cur.execute(
            "select position, minute, author, body from field_notes where meeting_id = ? order by position",
            [meeting_id],
        ).fetchall()
        annotations = cur.execute(
            "select label, category from annotations where team_id = ? and event_date = ? order by id", row[:2]
        ).fetchall()
        steps = cur.execute(
            "select e.participant_id, e.stage, e.reason_code_id from recruitment_events as e "
            "join participants as p on p.id = e.participant_id where p.team_id = ? and e.event_date = ? order by e.id",
            row[:2],
        ).fetchall()
    names = ("team_id", "meeting_date", "status", "format", "duration_minutes", "action_items", "evaluated")
    details = MeetingDetails.model_validate(dict(zip(names, row, strict=True)) | {"roles": roles})
    entries = tuple(NoteEntry(position=p, minute=m, author=a, body=b) for p, m, a, b in notes)
    marked = tuple(AnnotationEntry(label=label, category=c) for label, c in annotations)
    taken = tuple(RecruitmentStep(participant_id=p, stage=st, reason_code_id=r) for p, st, r in steps)
    return Recorded(details, attendance, entries, version(con, meeting_id), marked, taken)
