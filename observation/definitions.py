"""The measures' definitions, worded once (as docs/MEASURES.md defines them) and shown in every page's help."""

from __future__ import annotations

from observation import labels
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
OBSERVED_LIVE_MEETING = "a held meeting with at least one contribution by someone other than an observer"
"""What makes a meeting observed live, in the words every page and document uses (docs/MEASURES.md, docs/data.md)."""
OBSERVED_LIVE = (
    f"Observed live: {OBSERVED_LIVE_MEETING}, recorded as it happened (on Capture a meeting, or imported). Voice "
    "share, items raised and actions owned are taken over these meetings only: a meeting without such a "
    "contribution is left out, never read as silence. Contributions by observers, the researchers watching, are "
    "not counted: a meeting whose only contributions are observers' shows them on its timeline and is not observed "
    "live."
)
VOICE_SHARE = (
    "Voice share of a meeting observed live: contributions by service users and carers ÷ all its contributions "
    "(each one recorded counts: spoke, raised an agenda item, proposed a change, challenged or questioned, took "
    "an action). Shown as the mean voice share: each meeting's share, averaged over the meetings observed live, so "
    "a short meeting weighs as much as a long one. The QI chart's sentence instead pools the contributions of the "
    "meetings it charts (those by service users and carers ÷ all of them), which differs when meetings differ in size."
)
ITEMS_RAISED = (
    "Items raised: the agenda items service users and carers raised at the meetings observed live. Shown as the "
    "total and as the mean per meeting observed live."
)
ACTIONS_OWNED = (
    "Actions owned: the actions service users and carers took on at the meetings observed live. Shown as the "
    "total and as the mean per meeting observed live."
)
EXPERIENCE_SCORE = (
    "Experience score: each service user's or carer's answers about a meeting they attended, on the five-point "
    "scale (1 strongly disagree to 5 strongly agree; 'prefer not to say' left out), are averaged into their score "
    "for that meeting; those scores are averaged over the team's meetings in the period, so someone who answered "
    "two items weighs as much as someone who answered four. Shown out of 5 with the number of responses it rests "
    "on. Each item's score is the mean of its answers, per version of its wording: a reworded item starts afresh."
)
RESPONSE_RATE = (
    "Response rate: the service users and carers present at held meetings whose answers about that meeting are "
    "recorded (any item, 'prefer not to say' included) ÷ all service users and carers present at held meetings, "
    "each person counted once per meeting."
)
IMPACT_SHARE = (
    "Changes from lived experience: of the changes to its improvement work a team logged in the period (a change "
    "idea adopted, a measure changed, how meetings run, a document rewritten, another change), the share whose "
    "idea came from people with lived experience, alone or with staff. Shown with the number of changes logged."
)
SUGGESTED_LEVEL = (
    "Suggested participation level, from what was recorded of someone present: observing when nothing was "
    "recorded, contributing with at least one contribution, co-leading when they raised an agenda item or "
    "proposed a change and also took an action; the observer may change it, and the level saved is the one "
    "that counts."
)
HELD_AND_CANCELLED = (
    "Meetings held, cancelled and postponed are counted by the status recorded for each meeting. "
    "Every share is over held meetings with attendance recorded: a held meeting with nobody "
    "recorded present is counted as held 'without attendance' and left out of the shares."
)
PRESENT_BY_ROLE = (
    "People present by role: at a held meeting, the people recorded present, by their role's category (service "
    "users and carers hatched); for a month, the mean a meeting, those of each role recorded present at the month's "
    "held meetings divided by how many of them had anyone recorded present."
)
MEETINGS_RAN = (
    "How the meetings ran, per team and meeting or month: held, and not held (cancelled or postponed), by the "
    "status recorded; roles filled, how many of the four meeting roles (leader, facilitator, timekeeper, "
    "recorder) someone filled at a held meeting, and for a month the mean over its held meetings; action items "
    "agreed at its held meetings, added up; evaluated, for a held meeting yes or no, and for a month the share of "
    "its held meetings evaluated at the end, a meeting whose evaluation was not recorded left out."
)
CHART_KINDS = (
    "Presence and meaningful involvement are a yes or no for each held meeting, so they are charted as "
    "the share of held meetings per subgroup (a month, a quarter or a block of meetings). A p-chart "
    "plots each subgroup's share against the pooled share, with limits of ± 3 standard errors from "
    "that subgroup's own number of meetings (n). An XmR chart of the shares uses their mean ± 2.66 "
    "mean moving ranges; it suits subgroups of about one size. A run chart uses the median and no "
    "limits. A g-chart counts the held meetings without a yes between two meetings with one; it reads "
    "rare presence best (limits: mean + 3 × √(mean × (mean + 1)); centre: the median; a longer gap is "
    "worse). Representation, a share of the people present, is charted meeting by meeting (p-chart "
    "with n = people present, XmR or run chart), and so is voice share at the meetings observed live "
    "(n = contributions). Items raised and actions owned are counts at each meeting observed live, charted as "
    "a run chart or an XmR chart: a count has no n, so no p-chart. With fewer than 12 subgroups, gaps or "
    "meetings observed live, most subgroups of fewer than 3 meetings, p-chart limits of 0-100% everywhere, or a "
    "run chart with most points on its median, no limits are drawn and no signal is tested: the chart says so."
)
SUBGROUPS = (
    "Which held meetings make one point: the calendar month or quarter they fell in, or consecutive "
    "blocks of a chosen number of the team's meetings (the last block may be shorter). Only held "
    "meetings with attendance recorded count."
)
RULE_SETS = (
    "Making Data Count (NHS): a point outside the limits; 7 points rising or falling; 2 of 3 near a "
    "limit; 7 points on one side of the centre. Anhøj: an unusually long run or unusually few "
    "crossings of the centre line. Classic run-chart rules: a shift of 6 on one side of the median, "
    "a trend of 5. A run chart has a median and no limits: its rules are the runs and trends. On a control "
    "chart (p, XmR or g), limits worked out from a phase of fewer than 12 points are trial limits."
)
REBASE = (
    "Start a new phase, with its own centre line and limits, at each of the team's own dated events "
    "(study-wide events are drawn but start no phase)."
)
FUNNEL = (
    "Recruitment funnel: people per team at each stage, identified → approached → agreed → first attended "
    "→ still attending, with those who declined or withdrew. First attended is the person's first present "
    "attendance at a held meeting; still attending at the end of the period is being present at one or more "
    "of the team's last three held meetings with attendance recorded, up to the period's end (with no end "
    "date, up to the team's last such meeting). Both come from the attendance records, never from a recorded "
    "recruitment event. Everyone with lived experience who attended is counted, carers too, with or without "
    "recorded recruitment steps, and a later stage implies the earlier ones: someone who attended was "
    "identified, approached and agreed; someone who declined had been approached; someone who withdrew had "
    "agreed. A funnel follows a cohort: the people whose recruitment began (their earliest recorded step or "
    "first present attendance) within the period, at every stage they reached by its end; nothing dated "
    "after the end is counted."
)
LEVEL_LABELS: dict[str, str] = labels.PARTICIPATION


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
    items = (
        LIVED_EXPERIENCE, PRESENCE, REPRESENTATION, meaningful(level, target), HELD_AND_CANCELLED,
        OBSERVED_LIVE, VOICE_SHARE, ITEMS_RAISED, ACTIONS_OWNED, EXPERIENCE_SCORE, RESPONSE_RATE, IMPACT_SHARE,
    )  # fmt: skip
    return "\n".join(f"- {item}" for item in items)


ANNOTATION_KINDS = labels.ANNOTATION_KINDS
"""The kinds of change marked on the charts, as the Record page offers them and presenter mode shows them."""

CODE_COUNTS = (
    "Codes are counted per source document: a field note or an interview transcript counts once for a code, "
    "however many coders applied it and in however many segments, and once for a theme, however many of its codes "
    "it carries. Choose the source: field notes, interviews or both (the default). A note falls in its meeting's "
    "team and month; a transcript in the interviewee's team and the month of the interview. Interviews with no "
    "team (a trust leader's, say) are counted under 'No team (interviews)' and left out once teams or a setting "
    "are chosen; the sidebar's teams, setting and dates apply to interviews as to notes. With both, notes and "
    "transcripts are shown side by side and never added where the units differ (a transcript carries more codes "
    "than a note, and interviews come in bursts): recruitment tensions per held meeting in the notes and as "
    "transcripts per month in the interviews, codes over time in a panel for each source (every month from the "
    "source's first coded document to its last, a month without the code at 0), and a team's tensions ranked by "
    "its field notes, a tie broken by its transcripts. Where a chart counts documents (codes by team, codes "
    "together), its hover says how many are notes and how many transcripts. The comparison by informant group "
    "counts interview transcripts only."
)
"""How the Notes, Recruitment and Team profile pages count codes, and from which source."""

SPAN_AGREEMENT = (
    "Span agreement of two coders on a code: over the notes and interview transcripts both coded (each applied at "
    "least one code), the characters each coder coded with the code, A and B, and those both coded; span agreement "
    "is 2 × |A ∩ B| ÷ (|A| + |B|), the character-level Dice coefficient: 1 when they coded the same passages, 0 when "
    "no character coded by one was coded by the other. A coding of a whole document covers all of its characters; "
    "a coder's own segments that overlap or touch are merged into one passage, so a character counts once however "
    "many of their segments hold it. Pooled over the codes, the characters of every code are added up before "
    "dividing. A passage only one coder coded is one of their merged passages of which the other coder coded no "
    "character with that code. The page lists where the coders differ, by stretch: each coder's passages joined "
    'with the other\'s that share a character with them; a stretch is "only A" or "only B" (a passage only one '
    'coder coded, so these count as above) or "different extent" (both coded some of it, but not one and the same '
    "passage: A the whole sentence, B three words of it), and a stretch of one passage each, the same characters, "
    "agrees and is not listed. Characters are counted as Python counts them (code points). Dice rather than "
    "kappa: kappa needs the decisions on which both coders said no, and for passages those are the characters "
    "neither coded, whose number depends on how long the documents are rather than on the coders; Dice counts "
    "only what at least one coder coded."
)
"""How the Coder agreement page compares the passages two coders coded (docs/MEASURES.md)."""
