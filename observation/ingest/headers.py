"""Headers as people write them: each column of each kind of file under the names researchers
give it ("Participant code", "Date of meeting", "Team name"…), in any case, spacing or
punctuation (headers are compared after ``read.normalise``).

A name counts for a column only in a kind that has the column: "code" is a participant's code in
an attendance file and a code's slug in a file of coded segments.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

_PERSON = ("participant", "participant_code", "participant_id", "participant_number", "person", "person_code",
           "pseudonym", "code", "id", "who")  # fmt: skip
_COMMON: dict[str, tuple[str, ...]] = {
    "team": ("team_name", "which_team", "microsystem", "team_microsystem", "service_team"),
    "date": ("meeting_date", "date_of_meeting", "day", "event_date", "date_of_event", "when"),
    "participant": _PERSON,
    "status": ("meeting_status", "attendance", "attendance_status", "attended"),
    "participation": ("participation_level", "level", "involvement", "level_of_involvement"),
    "position": ("note_position", "note_number", "order", "number", "no"),
    "author": ("observer", "written_by", "researcher", "note_author"),
    "body": ("note", "notes", "text", "field_note", "note_text", "observation"),
    "minute": ("minute_of_meeting", "at_minute", "time"),
    "duration_minutes": ("duration", "length", "minutes", "length_minutes", "duration_mins", "mins"),
    "action_items": ("actions", "action_count", "number_of_actions"),
    "evaluated": ("evaluation", "meeting_evaluated"),
    "format": ("meeting_format", "venue_type", "mode"),
    "service": ("service_name", "service_line"),
    "setting": ("care_setting",),
    "start_date": ("start", "started", "date_started", "first_meeting"),
    "coach": ("coach_email", "microsystem_coach"),
    "role": ("role_category", "job_role", "staff_role"),
    "qi_trained": ("qi_training", "trained", "trained_in_qi"),
    "definition": ("description", "meaning"),
    "com_b": ("comb", "com_b_component"),
    "valence": ("barrier_or_enabler",),
    "four_pi": ("fourpi", "4pi", "4pi_domain"),
    "coder": ("coded_by",),
    "stage": ("recruitment_stage", "step"),
    "reason": ("reason_code", "why"),
    "label": ("event", "what_happened", "event_label"),
    "category": ("event_category", "type"),
}
_BY_KIND: dict[tuple[str, str], tuple[str, ...]] = {
    ("teams", "name"): ("team", "team_name"),
    ("participants", "code"): _PERSON,
    ("codes", "slug"): ("code", "code_slug", "code_id"),
    ("codes", "name"): ("code_name", "label", "title"),
    ("coded_segments", "code"): ("code_slug", "slug"),
    ("annotations", "label"): ("description",),
    ("contributions", "kind"): ("contribution", "contribution_kind", "contribution_type", "type", "what",
                                "what_they_did"),
    ("contributions", "observer"): ("observed_by", "recorded_by", "researcher", "author", "coder"),
    ("feedback", "item"): ("item_key", "question", "questionnaire_item", "statement", "item_wording"),
    ("feedback", "answer"): ("response", "score", "rating", "answer_given"),
    ("feedback", "via"): ("answered_via", "how_answered", "collected_via", "collected_by", "source"),
    ("impact", "date"): ("entry_date", "date_of_change", "change_date", "changed_on", "logged_on", "day", "when"),
    ("impact", "kind"): ("kind_of_change", "change_kind", "type_of_change", "change_type", "type", "category"),
    ("impact", "description"): ("change", "the_change", "what_changed", "change_description", "details",
                                "summary"),
    ("impact", "origin"): ("from", "idea_from", "idea_came_from", "came_from", "whose_idea", "source"),
    ("impact", "meeting_date"): ("meeting", "date_of_meeting", "arose_at", "arose_at_meeting",
                                 "meeting_where_it_arose"),
    ("interviews", "file"): ("transcript", "transcript_file", "transcript_file_name", "file_name", "filename",
                             "document", "path"),
    ("interviews", "date"): ("interview_date", "date_of_interview", "interviewed", "interviewed_on", "day", "when"),
    ("interviews", "informant_code"): ("informant", "informant_id", "interviewee", "interviewee_code",
                                       "participant", "participant_code", "code", "pseudonym"),
    ("interviews", "informant_group"): ("group", "informant_type", "interviewee_group", "stakeholder_group"),
}  # fmt: skip


def names(kind: str, column: str) -> tuple[str, ...]:
    """Every header (normalised) read as ``column`` in a file of ``kind``, the column's own name first."""
    return (column, *_BY_KIND.get((kind, column), _COMMON.get(column, ())))


@dataclass(frozen=True)
class Match:
    """How a file's headers read as one kind's columns."""

    columns: dict[str, str]
    """Normalised header -> the kind's column it is read as."""
    clashes: tuple[tuple[str, tuple[str, ...]], ...] = ()
    """A column that two or more headers could be, none of them its own name: (column, headers)."""
    dropped: frozenset[str] = frozenset()
    """Headers a person chose to leave out (a plan's "")."""

    def missing(self, required: Iterable[str]) -> list[str]:
        return [c for c in required if c not in self.columns.values()]


def match(kind: str, wanted: Sequence[str], headers: Sequence[str]) -> Match:
    """Read ``headers`` (normalised) as the ``wanted`` columns of ``kind``: a header that is the
    column's own name first, else the one header among its other names."""
    columns: dict[str, str] = {}
    clashes = []
    for column in wanted:
        if column in headers:
            columns[column] = column
            continue
        found = [h for h in headers if h in names(kind, column)[1:] and h not in columns and h not in wanted]
        if len(found) == 1:
            columns[found[0]] = column
        elif found:
            clashes.append((column, tuple(found)))
    return Match(columns, tuple(clashes))


def given(mapping: Mapping[str, str], headers: Sequence[str], wanted: Sequence[str]) -> Match:
    """A mapping chosen by hand (normalised header -> column, "" to leave a header out), checked to
    name only ``wanted`` columns, each at most once."""
    columns = {h: c for h, c in mapping.items() if c and h in headers}
    unknown = sorted({c for c in columns.values() if c not in wanted})
    if unknown:
        raise ValueError(f"not a column of this kind of file: {', '.join(unknown)}")
    twice = sorted({c for c in columns.values() if list(columns.values()).count(c) > 1})
    if twice:
        raise ValueError(f"more than one column chosen as {', '.join(twice)}")
    return Match(columns, dropped=frozenset(h for h, c in mapping.items() if not c and h in headers))
