"""The invented words of the synthetic demo study: codebook, note and interview templates.

Nothing here describes a real person, team or place. Templates may name a participant only by
the pseudonymous code ``{who}``, and mark the words that carry each of their codes (the passages
the demo's coders code). A note template says what must be true of the meeting's records for it
to be written (the participation level of the person it names, roles, format, ...), so the
generator writes only notes that agree with the records it wrote.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, get_args

from observation.models import ComB, ContributionKind, FourPi, ImpactKind, InformantGroup, ParticipationLevel, Valence


@dataclass(frozen=True)
class CodeSpec:
    slug: str
    name: str
    definition: str
    com_b: ComB | None = None
    valence: Valence | None = None
    four_pi: FourPi | None = None


RECRUITMENT_TENSION = "recruitment_tension"

CODEBOOK: tuple[CodeSpec, ...] = (
    CodeSpec(
        RECRUITMENT_TENSION,
        "Recruitment tension",
        "Difficulties, disagreements or trade-offs in bringing people with lived experience into QI work.",
        valence="barrier",
        four_pi="presence",
    ),
    CodeSpec(
        "recruitment_tension.right_service_user",
        'Finding the "right" service user',
        "Talk of whether a particular person is suitable, representative or the right fit.",
        com_b="opportunity",
        valence="barrier",
        four_pi="presence",
    ),
    CodeSpec(
        "recruitment_tension.complexity_of_illness",
        "Complexity of mental illness",
        "Acuity, fluctuating capacity or diagnosis cited as a reason not to involve someone.",
        com_b="capability",
        valence="barrier",
        four_pi="presence",
    ),
    CodeSpec(
        "recruitment_tension.well_enough",
        'Judged "well enough"',
        "Staff deciding whether a person is well enough or stable enough to take part.",
        com_b="capability",
        valence="barrier",
        four_pi="presence",
    ),
    CodeSpec(
        "recruitment_tension.professional_patient",
        'The "professional patient"',
        "Worry that a frequently involved person no longer represents current service users.",
        com_b="motivation",
        valence="barrier",
        four_pi="presence",
    ),
    CodeSpec(
        "recruitment_tension.gatekeeping",
        "Who gets asked",
        "Staff choosing whom to approach; people included or excluded before they are asked.",
        com_b="opportunity",
        valence="barrier",
        four_pi="presence",
    ),
    CodeSpec(
        "recruitment_tension.staff_time",
        "No time to recruit",
        "Recruitment left undone because of workload, rotas or turnover.",
        com_b="opportunity",
        valence="barrier",
        four_pi="process",
    ),
    CodeSpec("presence", "Lived-experience presence", "Who with lived experience was or was not in the room."),
    CodeSpec(
        "presence.service_user_present",
        "Service user present",
        "A service user took part in the meeting.",
        valence="enabler",
        four_pi="presence",
    ),
    CodeSpec(
        "presence.service_user_absent",
        "Service user absent",
        "No service user was present, or an expected one did not come.",
        valence="barrier",
        four_pi="presence",
    ),
    CodeSpec(
        "presence.carer_present",
        "Carer present",
        "A carer or family member took part in the meeting.",
        valence="enabler",
        four_pi="presence",
    ),
    CodeSpec("involvement", "Involvement practice", "Ways the team made involvement possible or meaningful."),
    CodeSpec(
        "involvement.home_meeting",
        "Home microsystem meeting",
        "A meeting held where the service user is, such as their home.",
        com_b="opportunity",
        valence="enabler",
        four_pi="process",
    ),
    CodeSpec(
        "involvement.qi_training",
        "QI training for service users",
        "Service users trained in improvement methods, or using that training.",
        com_b="capability",
        valence="enabler",
        four_pi="process",
    ),
    CodeSpec(
        "involvement.voice",
        "Service-user voice in decisions",
        "A service user or carer shaping what the team decided.",
        com_b="behaviour",
        valence="enabler",
        four_pi="impact",
    ),
    CodeSpec(
        "involvement.feedback",
        "Feedback to those involved",
        "The team telling service users or carers what happened to their input.",
        com_b="behaviour",
        valence="enabler",
        four_pi="process",
    ),
    CodeSpec("meeting", "Meeting process", "How the microsystem meeting was run."),
    CodeSpec("meeting.agenda", "Agenda used", "The meeting followed a written agenda.", four_pi="process"),
    CodeSpec(
        "meeting.roles_rotated",
        "Roles rotated",
        "Leader, facilitator, timekeeper and recorder roles taken in turn.",
        four_pi="process",
    ),
    CodeSpec("meeting.action_items", "Action items agreed", "Actions with owners and dates agreed.", four_pi="process"),
    CodeSpec(
        "meeting.evaluated", "Meeting evaluated", "A short evaluation at the end of the meeting.", four_pi="process"
    ),
    CodeSpec("meeting.cancelled", "Meeting cancelled", "The meeting did not take place.", valence="barrier"),
    CodeSpec("com_b", "Barriers and enablers (COM-B)", "Influences on involvement coded with the COM-B model."),
    CodeSpec(
        "com_b.qi_knowledge",
        "Capability: QI knowledge",
        "Knowing, or not knowing, improvement methods.",
        com_b="capability",
    ),
    CodeSpec(
        "com_b.time_staffing",
        "Opportunity: time and staffing",
        "Workload, rotas and staffing shaping involvement.",
        com_b="opportunity",
        valence="barrier",
    ),
    CodeSpec(
        "com_b.venue_timing", "Opportunity: venue and timing", "Where and when meetings happen.", com_b="opportunity"
    ),
    CodeSpec(
        "com_b.belief_in_involvement",
        "Motivation: belief in involvement",
        "Staff or service users valuing involvement.",
        com_b="motivation",
        valence="enabler",
    ),
    CodeSpec(
        "com_b.tokenism",
        "Motivation: tokenism concerns",
        "Worry that involvement is for show.",
        com_b="motivation",
        valence="barrier",
        four_pi="impact",
    ),
)


# What the records of a meeting can show, for a note that says so to be written about it.
Fact = Literal[
    "leader",  # the meeting had a leader
    "timekeeper",  # ... a timekeeper
    "new_recorder",  # ... a recorder who had not been one at the team's earlier meetings
    "evaluated",  # the meeting was evaluated
    "actions",  # two or more action items were agreed (the note gives the number)
    "staff_only",  # nobody with lived experience was present
    "absent_last_time",  # no service user came to the team's previous held meeting either
    "two_nurses",  # two or more nurses were present
    "manager",  # a manager was present
    "someone_waiting",  # a service user of the team had been approached and had not yet decided
    "facilitator",  # the person the note names held the facilitator role
    "been_at_base",  # ... had come to an earlier meeting at the service base
    "booked_room",  # the meeting was to be in a room at the service base or on the ward
]
ANY_LEVEL: frozenset[ParticipationLevel] = frozenset(get_args(ParticipationLevel))
SPOKE: frozenset[ParticipationLevel] = frozenset(("contributing", "co_leading"))
OBSERVED: frozenset[ParticipationLevel] = frozenset(("observing",))
LED: frozenset[ParticipationLevel] = frozenset(("co_leading",))


@dataclass(frozen=True)
class NoteTemplate:
    """A field note, its codes, and what must be true of the meeting for it to be written.

    A note naming a person (``{who}``) says how they took part: ``levels`` are the participation
    levels they can have been recorded at for the note to be true (every level when it says only
    that they were there). ``needs`` are the facts of the meeting's records the note states.
    ``passages`` are the words that carry each code, in the order of ``codes`` (a coder codes that
    passage); with none given, the whole note carries each code. ``implies`` are the contributions
    the note says the person made (asked why: challenged), which a meeting observed live must hold
    (the generator logs them); a note about someone observing says they listened, never that they spoke.
    """

    text: str
    codes: tuple[str, ...]
    levels: frozenset[ParticipationLevel] | None = None
    needs: frozenset[Fact] = frozenset()
    passages: tuple[str, ...] = ()
    implies: tuple[ContributionKind, ...] = ()

    def spans(self, **values: str) -> tuple[tuple[int, int], ...]:
        """Where each code's passage lies in the note written with ``values`` ({who}, {actions}):
        (start, end) in characters, one per code."""
        written = self.text.format(**values)
        carried = [p.format(**values) for p in self.passages] or [written] * len(self.codes)
        return tuple((written.index(p), written.index(p) + len(p)) for p in carried)

    def fits(self, facts: frozenset[Fact], level: ParticipationLevel | None = None) -> bool:
        """Whether the note would be true of a meeting with these facts (about a person at ``level``)."""
        return self.needs <= facts and (level is None or self.levels is None or level in self.levels)


def by_level(templates: tuple[NoteTemplate, ...]) -> dict[ParticipationLevel, tuple[NoteTemplate, ...]]:
    """Each participation level, and the templates that can describe a person recorded at it."""
    return {
        level: tuple(t for t in templates if t.levels is not None and level in t.levels)
        for level in get_args(ParticipationLevel)
    }


SU_PRESENT = (
    NoteTemplate(
        "{who} joined the meeting and was welcomed by the leader.",
        ("presence.service_user_present",),
        ANY_LEVEL,
        frozenset({"leader"}),
        passages=("{who} joined the meeting",),
    ),
    NoteTemplate(
        "{who} asked why the waiting-list item kept coming back; the team agreed to look at it.",
        ("presence.service_user_present", "involvement.voice"),
        SPOKE,
        passages=(
            "{who} asked why the waiting-list item kept coming back",
            "{who} asked why the waiting-list item kept coming back; the team agreed to look at it",
        ),
        implies=("challenged",),
    ),
    NoteTemplate(
        "{who} suggested changing the order of the discharge checklist; the team tried it.",
        ("presence.service_user_present", "involvement.voice"),
        SPOKE,
        passages=(
            "{who} suggested changing the order of the discharge checklist",
            "{who} suggested changing the order of the discharge checklist; the team tried it",
        ),
        implies=("proposed_change",),
    ),
    NoteTemplate(
        "{who} listened throughout and followed the item on appointment letters closely.",
        ("presence.service_user_present",),
        OBSERVED,
        passages=("{who} listened throughout",),
    ),
    NoteTemplate(
        "{who} sat in on the meeting and chose to listen this time.",
        ("presence.service_user_present",),
        OBSERVED,
        passages=("{who} sat in on the meeting",),
    ),
    NoteTemplate(
        "{who} raised the item on appointment letters, led the discussion and summed up what the team would test next.",
        ("presence.service_user_present", "involvement.voice"),
        LED,
        passages=("{who} raised the item on appointment letters", "summed up what the team would test next"),
        implies=("raised_item", "spoke"),
    ),
)
SU_ABSENT = (
    NoteTemplate(
        "No service user at the meeting today; nobody mentioned it.",
        ("presence.service_user_absent",),
        passages=("No service user at the meeting today",),
    ),
    NoteTemplate(
        "The service-user chair was empty again. The leader said they would follow up.",
        ("presence.service_user_absent",),
        needs=frozenset({"absent_last_time", "leader"}),
        passages=("The service-user chair was empty again.",),
    ),
    NoteTemplate(
        "Staff-only meeting. Discussion of patient experience without anyone with lived experience.",
        ("presence.service_user_absent", "com_b.tokenism"),
        needs=frozenset({"staff_only"}),
        passages=("Staff-only meeting.", "Discussion of patient experience without anyone with lived experience."),
    ),
)
CARER = (
    NoteTemplate(
        "A carer ({who}) attended and described the evening handover from a family's side.",
        ("presence.carer_present", "involvement.voice"),
        SPOKE,
        passages=("A carer ({who}) attended", "described the evening handover from a family's side"),
        implies=("spoke",),
    ),
    NoteTemplate(
        "{who}, a carer, spoke briefly and left a written comment.",
        ("presence.carer_present",),
        SPOKE,
        passages=("{who}, a carer",),
        implies=("spoke",),
    ),
    NoteTemplate(
        "{who}, a carer, sat in for the first half and listened.",
        ("presence.carer_present",),
        OBSERVED,
        passages=("{who}, a carer, sat in for the first half",),
    ),
)
TENSION_COMMUNITY = (
    NoteTemplate(
        "Discussion of who to invite next: 'we need someone who can see the bigger picture'.",
        ("recruitment_tension.right_service_user",),
        passages=("'we need someone who can see the bigger picture'",),
    ),
    NoteTemplate(
        "The leader worried that the same person is always asked and may not speak for others.",
        ("recruitment_tension.professional_patient",),
        needs=frozenset({"leader"}),
        passages=("the same person is always asked and may not speak for others",),
    ),
    NoteTemplate(
        "Nobody had time to contact the people on the list; recruitment moved to next month.",
        ("recruitment_tension.staff_time", "com_b.time_staffing"),
        passages=(
            "Nobody had time to contact the people on the list; recruitment moved to next month",
            "Nobody had time",
        ),
    ),
    NoteTemplate(
        "Staff agreed to ask only people 'further along in rehab', which rules out most of the caseload.",
        ("recruitment_tension.gatekeeping", "recruitment_tension.right_service_user"),
        passages=(
            "Staff agreed to ask only people 'further along in rehab'",
            "'further along in rehab', which rules out most of the caseload",
        ),
    ),
)
TENSION_INPATIENT = (
    NoteTemplate(
        "'Most of our patients are too unwell to sit through an hour of this' - said by two nurses.",
        ("recruitment_tension.complexity_of_illness", "recruitment_tension.well_enough"),
        needs=frozenset({"two_nurses"}),
        passages=("'Most of our patients are too unwell", "too unwell to sit through an hour of this'"),
    ),
    NoteTemplate(
        "Debate about whether anyone on the ward now is 'the right person' to join.",
        ("recruitment_tension.right_service_user",),
        passages=("whether anyone on the ward now is 'the right person' to join",),
    ),
    NoteTemplate(
        "A patient had been approached but the team decided to wait until they were 'more settled'.",
        ("recruitment_tension.well_enough", "recruitment_tension.gatekeeping"),
        needs=frozenset({"someone_waiting"}),
        passages=("wait until they were 'more settled'", "the team decided to wait"),
    ),
    NoteTemplate(
        "The ward manager said involving patients in QI is right in principle but hard with acute admissions.",
        ("recruitment_tension.complexity_of_illness", "com_b.belief_in_involvement"),
        needs=frozenset({"manager"}),
        passages=("hard with acute admissions", "involving patients in QI is right in principle"),
    ),
    NoteTemplate(
        "Suggestion to invite a former patient instead; concern they would be a 'professional patient'.",
        ("recruitment_tension.professional_patient", "recruitment_tension.right_service_user"),
        passages=("concern they would be a 'professional patient'", "Suggestion to invite a former patient instead"),
    ),
    NoteTemplate(
        "Shift patterns mean whoever started on recruitment is often off the ward; it keeps being handed over.",
        ("recruitment_tension.staff_time", "com_b.time_staffing"),
        passages=(
            "whoever started on recruitment is often off the ward; it keeps being handed over",
            "Shift patterns mean whoever started on recruitment is often off the ward",
        ),
    ),
)
HOME = (
    NoteTemplate(
        "Meeting held at {who}'s home. Shorter agenda; more time on their own goals.",
        ("involvement.home_meeting", "com_b.venue_timing"),
        ANY_LEVEL,
        passages=("Meeting held at {who}'s home.", "Meeting held at {who}'s home. Shorter agenda"),
    ),
    NoteTemplate(
        "Home meeting: staff noticed {who} spoke far more than at the base.",
        ("involvement.home_meeting", "involvement.voice"),
        SPOKE,
        frozenset({"been_at_base"}),
        passages=("Home meeting", "{who} spoke far more than at the base"),
        implies=("spoke",),
    ),
    NoteTemplate(
        "Home meeting: {who} spoke far more than staff had expected.",
        ("involvement.home_meeting", "involvement.voice"),
        SPOKE,
        passages=("Home meeting", "{who} spoke far more than staff had expected"),
        implies=("spoke",),
    ),
    NoteTemplate(
        "Home meeting: {who} stayed in the background while staff went through their goals.",
        ("involvement.home_meeting",),
        OBSERVED,
    ),
)
TRAINED = (
    NoteTemplate(
        "{who} used the fishbone diagram from the QI course to lead the discussion.",
        ("involvement.qi_training", "involvement.voice"),
        LED,
        passages=("{who} used the fishbone diagram from the QI course", "to lead the discussion"),
        implies=("spoke",),
    ),
    NoteTemplate(
        "{who} facilitated the test-of-change review after the QI training.",
        ("involvement.qi_training", "com_b.qi_knowledge"),
        LED,
        frozenset({"facilitator"}),
        passages=("after the QI training", "{who} facilitated the test-of-change review"),
        implies=("spoke",),
    ),
    NoteTemplate(
        "{who} brought a run chart they had drawn on the QI course to the discussion of waiting times.",
        ("involvement.qi_training", "com_b.qi_knowledge"),
        SPOKE,
        passages=("a run chart they had drawn on the QI course", "{who} brought a run chart"),
        implies=("spoke",),
    ),
)
PROCESS = (
    NoteTemplate(
        "Agenda circulated and followed; timekeeper kept items to time.",
        ("meeting.agenda",),
        needs=frozenset({"timekeeper"}),
        passages=("Agenda circulated and followed",),
    ),
    NoteTemplate(
        "Roles rotated this week; a new recorder took the notes.",
        ("meeting.roles_rotated",),
        needs=frozenset({"new_recorder"}),
        passages=("Roles rotated this week",),
    ),
    NoteTemplate(
        "{actions} actions agreed with named owners and dates.", ("meeting.action_items",), needs=frozenset({"actions"})
    ),
    NoteTemplate("Feedback given on last month's suggestion from the service-user group.", ("involvement.feedback",)),
    NoteTemplate(
        "Long discussion of the run chart for waiting times; no decision.",
        ("com_b.qi_knowledge",),
        passages=("the run chart for waiting times",),
    ),
)
# Written at the close of the meeting: its last note.
CLOSING = (
    NoteTemplate("Closing evaluation: 'useful but rushed'.", ("meeting.evaluated",), needs=frozenset({"evaluated"})),
)
CANCELLED = (
    NoteTemplate(
        "Meeting cancelled at short notice: staffing.",
        ("meeting.cancelled", "com_b.time_staffing"),
        passages=("Meeting cancelled at short notice", "staffing"),
    ),
    NoteTemplate(
        "Meeting cancelled: room double-booked.",
        ("meeting.cancelled", "com_b.venue_timing"),
        needs=frozenset({"booked_room"}),
        passages=("Meeting cancelled", "room double-booked"),
    ),
)
POSTPONED = (
    NoteTemplate(
        "Meeting postponed at short notice: too few staff on shift.",
        ("meeting.cancelled", "com_b.time_staffing"),
        passages=("Meeting postponed at short notice", "too few staff on shift"),
    ),
    NoteTemplate(
        "Meeting postponed: the room was needed at short notice.",
        ("meeting.cancelled", "com_b.venue_timing"),
        needs=frozenset({"booked_room"}),
        passages=("Meeting postponed", "the room was needed at short notice"),
    ),
)

# What a team's records must show for an interview from it to say something.
TeamFact = Literal[
    "inpatient",  # the team is a ward
    "home_meetings",  # it had held a meeting at a service user's home before the interview
    "qi_training",  # its service users had had QI training before the interview
]
STAFF: frozenset[InformantGroup] = frozenset(("leader_manager", "frontline_staff"))
SERVICE_USERS: frozenset[InformantGroup] = frozenset(("service_user",))
ANYONE: frozenset[InformantGroup] = frozenset(get_args(InformantGroup))


@dataclass(frozen=True)
class InterviewSnippet:
    """A passage of a key-informant interview: who could have said it, and what the records of
    the informant's team must show for it to be true."""

    text: str
    codes: tuple[str, ...]
    groups: frozenset[InformantGroup]
    needs: frozenset[TeamFact] = frozenset()


INTERVIEW_SNIPPETS = (
    InterviewSnippet(
        "Everyone says service users should be at the table, but in the day-to-day they just are not there.",
        ("presence.service_user_absent", "com_b.belief_in_involvement"),
        STAFF,
    ),
    InterviewSnippet(
        "You want someone who can represent others, not just talk about their own care.",
        ("recruitment_tension.right_service_user",),
        STAFF,
    ),
    InterviewSnippet(
        "On the ward people are often too unwell, and when they are well they are discharged.",
        ("recruitment_tension.complexity_of_illness",),
        STAFF,
        frozenset({"inpatient"}),
    ),
    InterviewSnippet(
        "Going to people's homes changed it. They were hosts, not guests.",
        ("involvement.home_meeting",),
        ANYONE,
        frozenset({"home_meetings"}),
    ),
    InterviewSnippet(
        "After the training I knew what a PDSA cycle was and could say when I disagreed.",
        ("involvement.qi_training", "involvement.voice"),
        SERVICE_USERS,
        frozenset({"qi_training"}),
    ),
    InterviewSnippet("We never have the time to phone round and recruit.", ("recruitment_tension.staff_time",), STAFF),
    InterviewSnippet("I worried it would be a tick-box exercise.", ("com_b.tokenism",), ANYONE),
    InterviewSnippet(
        "As a manager I back it, but nobody owns the recruiting.",
        ("recruitment_tension.staff_time", "com_b.belief_in_involvement"),
        frozenset(("leader_manager",)),
    ),
    InterviewSnippet(
        "It was months before anyone asked me; I hadn't known the team had these meetings.",
        ("recruitment_tension.gatekeeping",),
        SERVICE_USERS,
    ),
    InterviewSnippet(
        "It helped when they told me what had happened to my idea.", ("involvement.feedback",), SERVICE_USERS
    ),
    InterviewSnippet(
        "In a room full of staff you wait to be asked before you speak.", ("com_b.venue_timing",), SERVICE_USERS
    ),
    InterviewSnippet(
        "On the ward they decide for you whether you're well enough to go.",
        ("recruitment_tension.well_enough", "recruitment_tension.gatekeeping"),
        SERVICE_USERS,
        frozenset({"inpatient"}),
    ),
)


# --- Experience feedback and the impact log ----------------------------------------------------

REWORDED_ITEM = ("understood", "I understood what was discussed and what was decided")
"""The questionnaire's one item reworded part-way through the demo (key, new wording): a second
version, the first retired with its answers kept (observation/feedback.py)."""

# A change to a team's improvement work, by kind: words for a change whose idea came from people
# with lived experience (alone or with staff), naming them by role alone ({who}: "a service user",
# "a carer", "a service user and a carer" at the meeting it arose in; "service users" when it arose
# outside one), and words for a change from staff. Nothing setting-specific: any team can make any.

IMPACT_FROM_LIVED_EXPERIENCE: dict[ImpactKind, tuple[str, ...]] = {
    "change_idea": (
        "Appointment reminders now go out by text as well as by letter, as {who} suggested.",
        "A quiet room is offered before review appointments, after {who} described the waiting area.",
        "First appointments now start with what the person wants from the service, as {who} proposed.",
    ),
    "measure_changed": (
        "Waiting-time measure now counts the first call back, as {who} asked.",
        "The run chart now tracks whether people were told their next appointment, after {who} raised it.",
        "Experience measure now asks whether people knew who to call, as {who} suggested.",
    ),
    "meeting_changed": (
        "Agenda sent a week ahead in plain English, as {who} asked.",
        "Meetings moved to the early afternoon so that {who} can get there by bus.",
        "Jargon is now explained as it comes up, after {who} said the meetings were hard to follow.",
    ),
    "document_rewritten": (
        "Discharge leaflet rewritten in plain English after comments from {who}.",
        "Appointment letter rewritten with the time and place first, as {who} suggested.",
        "Welcome sheet for new service users redrafted after comments from {who}.",
    ),
    "other": (
        "Travel costs for coming to meetings now paid on the day, after {who} raised it.",
        "Service users and carers now invited to the team's quarterly review, as {who} proposed.",
    ),
}
IMPACT_FROM_STAFF: dict[ImpactKind, tuple[str, ...]] = {
    "change_idea": (
        "Discharge checklist reordered so that the follow-up call is booked before the person leaves.",
        "A shared diary for home visits is being tested for a month.",
    ),
    "measure_changed": (
        "Missed-appointment measure split into first and follow-up appointments.",
        "Waiting-time measure now counts from referral rather than from assessment.",
    ),
    "meeting_changed": (
        "Meetings cut to forty-five minutes, with a timekeeper for each item.",
        "Actions are now read back, with their owners, at the end of every meeting.",
    ),
    "document_rewritten": (
        "Referral form shortened to two pages.",
        "Handover template redrafted to put risks first.",
    ),
    "other": ("New staff are shown the team's run charts at induction.",),
}
