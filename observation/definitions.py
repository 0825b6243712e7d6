"""The measures' definitions, worded once (from DOMAIN.md) and shown in every page's help."""

from __future__ import annotations

from observation.models import PARTICIPATION_RANK, ParticipationLevel

LIVED_EXPERIENCE = "People with lived experience are service users and carers."

PRESENCE = (
    "Lived-experience presence: a held meeting has it when at least one service user or carer was "
    "present. Shown as the share of held meetings; service users and carers are also counted separately."
)
REPRESENTATION = (
    "Representation of a meeting: service users and carers present ÷ everyone present (observers, "
    "the researchers watching, are not counted). Shown as the mean over held meetings."
)
HELD_AND_CANCELLED = (
    "Meetings held, cancelled and postponed are counted by the status recorded for each meeting. "
    "Every share is over held meetings with attendance recorded: a held meeting with nobody "
    "recorded present is counted as held 'without attendance' and left out of the shares."
)
CHART_KINDS = (
    "A p-chart plots each meeting's proportion against the pooled proportion, with limits of ± 3 "
    "standard errors from that meeting's own count. An XmR chart uses the mean ± 2.66 mean moving "
    "ranges. A run chart uses the median and no limits."
)
RULE_SETS = (
    "Making Data Count (NHS): a point outside the limits; 7 points rising or falling; 2 of 3 near a "
    "limit; 7 points on one side of the centre. Anhøj: an unusually long run or unusually few "
    "crossings of the centre line. Classic run-chart rules: a shift of 6 on one side of the median, "
    "a trend of 5. Series under 12 meetings have trial limits."
)
REBASE = (
    "Start a new phase, with its own centre line and limits, at each of the team's own dated events "
    "(study-wide events are drawn but start no phase)."
)
LEVEL_LABELS: dict[ParticipationLevel, str] = {
    "observing": "observing",
    "contributing": "contributing",
    "co_leading": "co-leading",
}


def meaningful(level: ParticipationLevel, target: float) -> str:
    """The definition of meaningful involvement for the configured level and target."""
    ladder = " → ".join(LEVEL_LABELS[lv] for lv in PARTICIPATION_RANK)
    return (
        f"Meaningful involvement: a service user or carer was present and took part at "
        f"'{LEVEL_LABELS[level]}' or above on the participation ladder ({ladder}). Shown as the share of "
        f"held meetings with meaningful involvement, against a target of {target:.0%}. A person present "
        "with no level recorded does not count."
    )


def all_definitions(level: ParticipationLevel, target: float) -> str:
    """Every definition as a Markdown list, for a page's "How these are measured" section."""
    items = (LIVED_EXPERIENCE, PRESENCE, REPRESENTATION, meaningful(level, target), HELD_AND_CANCELLED)
    return "\n".join(f"- {item}" for item in items)


ANNOTATION_KINDS = {
    "home_meetings": "Meetings at home",
    "qi_training": "QI training",
    "recruitment_drive": "Recruitment drive",
    "service_change": "Service change",
    "other": "Other",
}
"""The kinds of change marked on the charts, as the Record page offers them and presenter mode shows them."""
