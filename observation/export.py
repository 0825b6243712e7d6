"""Getting data out: exports for R, Excel and NVivo at three levels of disclosure, and backups.

- **full**: every study table as it is.
- **deidentified**: free text dropped (notes, transcripts, annotation labels, memos), participant and
  observer codes replaced by fresh ones, and every date shifted by one offset per study (so every
  interval is kept). The offset and the new codes stay the same from one export to the next. Still
  rows about people, under pseudonyms: its note says it is not for publication.
- **aggregate**: the level for sharing. Counts of meetings per team and calendar month, per team
  over the whole period and for the study, over the whole study (two exports of different teams
  or dates could give a hidden count away by difference, so the filter does not apply), of the
  contributions recorded at the meetings observed live, of the experience feedback (attendances
  by service users and carers, their responses, those on the scale, and the experience score)
  and of the impact log (changes logged, those from or with lived experience). The counts that
  tell about people with lived experience are hidden under the rules of presenter mode
  (observation.disclosure): a count from 1 to the threshold − 1, and any further count that would
  let one be worked out from the rest, shown as "[c]"; a score, wherever its count of responses
  on the scale is. Contributions and meetings are linked: a contribution by someone with lived
  experience says one was present, so those contributions bound the meetings with lived
  experience from below, and a month without anyone with lived experience present holds none of
  their contributions. So are attendances and meetings (hidden_figures): someone present says a
  meeting had them, and the attendances are at least the meetings with service users plus those
  with carers; so a month's feedback is shown only where its counts of those meetings are, and
  the meetings are checked against each team's attendances. The impact log is linked to nothing.
  Every check takes in what presenter mode and the deck show as well (observation.across), so that
  a reader holding both outputs learns no small count.

Every export carries a note (README.txt beside the tables, or a Notes sheet in a workbook) saying
what it holds, how it may be shared and what was done to its text for a spreadsheet. Every export
and restore is written to the audit trail.

CSV and XLSX are opened in spreadsheets, so their text is made safe there (observation.cells):
text that a spreadsheet could run as a formula (beginning with =, +, -, @, a tab or a carriage
return) starts with ' in CSV, and is kept exactly but written as a text cell in XLSX; control
characters no spreadsheet can hold become U+FFFD in both, and the export says how many (its note,
what ``export`` returns, the audit entry). Parquet keeps the exact text: a full export in Parquet
fills a study again with every character.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import hashlib
import hmac
import os
import secrets
import shutil
import tempfile
from collections.abc import Callable, Collection, Hashable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import duckdb
import numpy as np
import pandas as pd
from scipy import sparse
from scipy.optimize import Bounds, LinearConstraint, milp

from observation import access, across, audit, cells, config, db, feedback, integrity, presenting, queries, voice
from observation.demo import insert_table
from observation.disclosure import (
    ACROSS_OUTPUTS,
    CONFIDENTIAL,
    DEFAULT_THRESHOLD,
    Figure,
    Rule,
    Secret,
    System,
    suppress,
)
from observation.errors import ObservationError
from observation.filters import StudyFilter
from observation.ingest import ImportProblems
from observation.ingest import tables as table_checks
from observation.labels import letters
from observation.models import ParticipationLevel
from observation.presenting import COST, KINDS, LIVED_EXPERIENCE, SECRETS

Level = Literal["full", "deidentified", "aggregate"]
Format = Literal["csv", "xlsx", "parquet"]
LEVELS: tuple[Level, ...] = ("full", "deidentified", "aggregate")
FORMATS: tuple[Format, ...] = ("csv", "xlsx", "parquet")

DATE_COLUMNS = {
    "teams": ["start_date"],
    "meetings": ["meeting_date"],
    "field_notes": ["written_at"],
    "interviews": ["interview_date"],
    "recruitment_events": ["event_date"],
    "annotations": ["event_date"],
    "study": ["created_at"],
    "memos": ["written_at"],
    "contributions": ["recorded_at"],
}
MEMOS = "memos"
"""The researchers' memos on codings and codes (observation/coding.py): in a full export, and without
their text in a de-identified one, when the study has any (so that the export of a study without
memos holds the same tables as it always has)."""

ADDED_LATER = ("contributions", "feedback_items", "feedback_responses", "impact_entries")
"""Study tables a full export made before they existed does not hold (the contributions came with
live capture; the experience feedback and the impact log after it): such an export is loaded back
with none of their rows."""
NOTES_FILE = "README.txt"
"""The note beside the tables of a folder export (CSV or Parquet): a CSV reader reads no comment."""
NOTES_SHEET = "Notes"
"""The note in a workbook: its first sheet, one line a row."""
COUNTS_TABLE = "counts"
STUDY_ROW = "All teams"
WHOLE_PERIOD = "all"
OPEN_COLUMNS = ("meetings_held", "meetings_cancelled", "meetings_postponed", "meetings_recorded")
"""Counts of meetings that say nothing about anyone with lived experience: always shown."""
HIDEABLE: dict[str, str] = {
    "meetings_with_lived_experience": "presence_share",
    "meetings_with_service_users": "service_user_share",
    "meetings_with_carers": "carer_share",
    "meetings_with_meaningful_involvement": "meaningful_share",
}
"""The counts that may be hidden, each as the presenter-mode share over the same meetings (its
kinds in presenting.KINDS, its cost in presenting.COST)."""
LIVE_OPEN = ("meetings_observed_live", "contributions")
"""Counts of the contributions recorded live that say nothing about anyone with lived experience:
always shown."""
LIVE_ATOMS = ("raised", "action", "other", "staff")
"""A month's contributions split four ways: by service users and carers, agenda items raised,
actions taken and the rest; and everyone else's (observers' aside)."""
LIVE_HIDEABLE: dict[str, tuple[str, ...]] = {
    "contributions_by_lived_experience": ("raised", "action", "other"),
    "items_raised_by_lived_experience": ("raised",),
    "actions_owned_by_lived_experience": ("action",),
}
"""The counts of contributions that may be hidden, as the atoms each sums."""
LIVE_COST = {
    "items_raised_by_lived_experience": 0,
    "actions_owned_by_lived_experience": 0,
    "contributions_by_lived_experience": 3,
}
"""Which goes first when one more must be hidden: the breakdown before the headline."""
LIVE_SECRETS: dict[str, tuple[str, ...]] = {"their_other_contributions": ("other",)}
"""Their contributions neither an item raised nor an action taken: shown by no column, but the
headline minus its breakdown."""
SCOPE_COST = {"month": 0, "team": 10, "study": 20}
"""Which figure goes first when one more must be hidden: a month's before a team's total, a
team's before the study's."""
EXPERIENCE_ATOMS = ("scored", "unscored", "silent", "spare")
"""A month's attendances by service users and carers at held meetings split three ways: those whose
answers on the scale are recorded, those who answered only "prefer not to say", those with no answer;
and ``spare``, a made-up room for more (the four sum to ROOM more than the month's attendances, as
if known): it lets a check move one attendance into or out of a month without an integer programme
(observation.disclosure's leaves), and only ever makes the check stricter."""
EXPERIENCE_HIDEABLE: dict[str, tuple[str, ...]] = {
    "attendances_by_lived_experience": ("scored", "unscored", "silent"),
    "responses_by_lived_experience": ("scored", "unscored"),
    "scored_responses_by_lived_experience": ("scored",),
}
"""The counts of the experience feedback, as the atoms each sums: each may be hidden."""
EXPERIENCE_COST = {
    "responses_by_lived_experience": 0,
    "scored_responses_by_lived_experience": 1,
    "attendances_by_lived_experience": 3,
}
"""Which goes first when one more must be hidden: the responses before the score's count, both before
the attendances the response rate divides by."""
EXPERIENCE_SECRETS: dict[str, tuple[str, ...]] = {
    "attendances_without_a_response": ("silent",),
    "responses_only_prefer_not_to_say": ("unscored",),
}
"""Counts of service users and carers no column shows, but one column less another does: kept from
being worked out when small."""
RESPONDED = "responses_by_lived_experience"
SCORED = "scored_responses_by_lived_experience"
SCORE = "experience_score"
"""The experience score of a month, a team or the study: shown where its scored responses are."""
SCORE_DECIMALS = 2
IMPACT_ATOMS = ("lived", "staff", "spare")
"""A month's changes logged, split by where the idea came from: from or with people with lived
experience, from staff alone; and ``spare``, as EXPERIENCE_ATOMS' (ROOM more than the changes)."""
IMPACT_HIDEABLE: dict[str, tuple[str, ...]] = {
    "changes_logged": ("lived", "staff"),
    "changes_with_lived_experience": ("lived",),
}
"""The counts of the impact log, as the atoms each sums: each may be hidden."""
IMPACT_COST = {"changes_with_lived_experience": 0, "changes_logged": 1}
ROOM = 100
"""How many more attendances or changes than it had a month is taken to have room for (``spare``)."""
TELLING = ("meetings_with_lived_experience", "meetings_with_service_users", "meetings_with_carers")
"""The counts of a month's meetings its feedback could tell about: its feedback is shown only with them."""
SINGLE_SLOT = ("service_users_only", "service_users_only_meaningful", "carers_only", "carers_only_meaningful")
"""The meeting kinds with service users or carers but not both: a meeting of one of these had at least
one service user or carer present, one of "both" at least two (a service user and a carer)."""


@dataclass(frozen=True)
class Contents:
    """What an export holds: its tables, its note and, for the aggregate level, the threshold
    under which counts were hidden. Once written (``export``): how many control characters were
    replaced (CSV, XLSX; in the tables and the note) and how many text cells begin like a formula
    (quoted with ' in CSV, written as text cells in XLSX)."""

    tables: dict[str, pd.DataFrame]
    notes: str | None = None
    threshold: int | None = None
    controls_replaced: int = 0
    formula_cells: int = 0


def threshold_floor(settings: config.Settings | None = None) -> int:
    """The lowest threshold anyone may choose: presenter mode's floor, the study's setting."""
    chosen = settings if settings is not None else config.load_settings()
    return int(getattr(chosen, "presenter_minimum", DEFAULT_THRESHOLD))


def default_threshold(settings: config.Settings | None = None) -> int:
    """The threshold of an aggregate export when none is asked for (presenter mode's default)."""
    return max(DEFAULT_THRESHOLD, threshold_floor(settings))


@access.requires("researcher")
def tables(
    con: duckdb.DuckDBPyConnection,
    level: Level,
    threshold: int | None = None,
    settings: config.Settings | None = None,
) -> Contents:
    """The tables an export at ``level`` holds, as DataFrames, with its note. ``threshold``
    (aggregate only) hides counts under it: never under the study's floor (threshold_floor)."""
    settings = settings if settings is not None else config.load_settings()
    if level == "aggregate":
        return _aggregate(con, _rule(threshold, settings), settings.meaningful_level)
    with db.cursor(con) as cur:
        frames = {t: cur.execute(f"select * from {t} order by all").fetchdf() for t in db.STUDY_TABLES}  # noqa: S608
        memos = cur.execute("select * from memos order by id").fetchdf()
        if not memos.empty:
            frames[MEMOS] = memos
        if level == "full":
            return Contents(frames, _full_notes(con))
        return Contents(_deidentify(cur, frames), _deidentified_notes(con))


def _rule(threshold: int | None, settings: config.Settings) -> Rule:
    floor = threshold_floor(settings)
    chosen = default_threshold(settings) if threshold is None else threshold
    if not floor <= chosen <= 100:
        raise ObservationError(
            f"threshold {chosen}: use a whole number from {floor} to 100 (counts under the study's floor, "
            f"{floor}, are always hidden)"
        )
    return Rule(chosen)


def _aggregate(con: duckdb.DuckDBPyConnection, rule: Rule, level: ParticipationLevel) -> Contents:
    whole = StudyFilter()  # the whole study, always (see the module's notes)
    counts = queries.monthly_counts(con, whole, level)
    kinds = queries.meeting_kinds(con, whole, level, "month")
    live = voice.by_month(con, whole)
    experience = feedback.experience_by_month(con, whole)
    impact = feedback.impact_by_month(con, whole)
    system, hidden = hidden_figures(kinds, live, experience, impact, rule, _room(con, level))
    counts = _with_change_months(counts, impact)
    keys = _cell_keys(counts)
    shown: dict[Hashable, int] = {f.key: f.count for f in system.figures}
    for key, row in zip(keys, counts.itertuples(index=False), strict=True):
        for column in HIDEABLE:
            expected = shown.get((key, column), 0)
            if int(getattr(row, column)) != expected:  # two reads a moment apart saw different studies
                raise ObservationError("the study changed while the export was being made: export again")
    said = _live_values(live)
    felt = _sums(_experience_columns(experience))
    unscored = scores_hidden(felt, hidden.experience, rule)
    changed = _sums(_impact_columns(impact))

    def hideable(
        columns: Collection[str], values: dict[Hashable, dict[str, Any]], gone: Collection[Hashable]
    ) -> dict[str, pd.Series]:
        return {
            c: pd.Series([CONFIDENTIAL if (k, c) in gone else values.get(k, {}).get(c, 0) for k in keys], dtype=object)
            for c in columns
        }

    table = pd.DataFrame(
        {
            "team": counts["team_name"].fillna(STUDY_ROW),
            "month": [WHOLE_PERIOD if pd.isna(m) else f"{pd.Timestamp(m):%Y-%m}" for m in counts["month"]],
            **{c: counts[c].astype("int64") for c in OPEN_COLUMNS},
            **{
                c: pd.Series(
                    [
                        CONFIDENTIAL if (k, c) in hidden.meetings else int(v)
                        for k, v in zip(keys, counts[c], strict=True)
                    ],
                    dtype=object,
                )
                for c in HIDEABLE
            },
            **{c: pd.Series([said.get(k, {}).get(c, 0) for k in keys], dtype="int64") for c in LIVE_OPEN},
            **hideable(LIVE_HIDEABLE, said, hidden.contributions),
            **hideable(EXPERIENCE_HIDEABLE, felt, hidden.experience),
            SCORE: pd.Series([_score(felt.get(k, {}), k in unscored) for k in keys], dtype=object),
            **hideable(IMPACT_HIDEABLE, changed, hidden.impact),
        }
    )
    with db.cursor(con) as cur:
        teams = cur.execute(
            "select name as team, service, setting from teams where list_contains(?::varchar[], name) order by name",
            [sorted(set(counts["team_name"].dropna()))],
        ).fetchdf()
    info = queries.study_info(con)
    notes = _aggregate_notes(info, rule, level)
    return Contents({"teams": teams, COUNTS_TABLE: table}, notes, rule.threshold)


def _room(con: duckdb.DuckDBPyConnection, level: ParticipationLevel) -> Callable[[Rule], presenting.RoomFigures]:
    """What presenter mode shows at each threshold the export's checks run at (the study's floor,
    then the one chosen), worked out once each."""
    floor = threshold_floor()

    @functools.cache
    def at(chosen: Rule) -> presenting.RoomFigures:
        return presenting.room_figures(con, level, chosen.threshold, floor)

    return at


@dataclass(frozen=True)
class Hidden:
    """The figures the aggregate export hides, keyed (cell, column) as counts_system keys them."""

    meetings: frozenset[Hashable]
    contributions: frozenset[Hashable]
    experience: frozenset[Hashable]
    """Among them every count of a month whose counts of meetings are hidden (_tells), even of a month
    with nobody with lived experience there: its 0 would say so."""
    impact: frozenset[Hashable]


def hidden_figures(
    kinds: pd.DataFrame,
    live: pd.DataFrame,
    experience: pd.DataFrame,
    impact: pd.DataFrame,
    rule: Rule,
    room: Callable[[Rule], presenting.RoomFigures] | None = None,
) -> tuple[System, Hidden]:
    """What the aggregate export hides under ``rule``, from the meetings of each kind per team and
    month (queries.meeting_kinds by month), the contributions observed live (voice.by_month), the
    experience feedback (feedback.experience_by_month) and the impact log (feedback.impact_by_month);
    and counts_system, whose counts the export shows. First the meetings, checked with what the
    attendances by service users and carers tell of them (_attendance_links); then the contributions;
    then the feedback, checked with what the meetings shown tell of it, and shown only for the
    months whose counts of meetings are (_open_months, _tells); then the changes. Each is checked
    against what presenter mode shows at the same threshold too (``room``; observation.across), so
    that a reader holding both learns no small count."""
    attended = _attended(experience, kinds)
    opened = _open_months(kinds, rule)
    spoken, fragile = _spoken(live, kinds)
    system = counts_system(kinds, spoken, attended, opened)
    meetings = _layout(kinds, "period", queries.MEETING_KINDS)
    hidden = _hide(
        lambda r: system if room is None else _joined(system, *across.meeting_links(room(r), meetings, r)), rule
    )
    live_hidden: frozenset[Hashable] = frozenset()
    if len(live):
        thin = {(month, column) for month in fragile for column in LIVE_HIDEABLE}
        said = contributions_system(live, kinds)
        contributed = _layout(live, "month", LIVE_ATOMS)
        live_hidden = _hide(
            lambda r: said if room is None else _joined(said, across.contribution_links(room(r), contributed)),
            rule,
            thin,
            _quiet_atoms(live, fragile),
            said,
        )
    # A month's feedback is shown only where its meetings with service users, with carers and with
    # anyone with lived experience are: else it would tell them (nobody there, or at most so many).
    months = set(_months(kinds, queries.MEETING_KINDS))
    closed = {m for m in months if (m in attended and m not in opened) or _tells(hidden, m)}
    shut = {(m, column) for m in closed for column in EXPERIENCE_HIDEABLE}
    experience_hidden: frozenset[Hashable] = frozenset()
    if len(experience):
        slots = _slots_shown(system, hidden)
        felt = _experience_rows(experience)
        heard = _heard(experience["team_id"], experience, impact)

        def feedback_system(fixed: Collection[str], r: Rule) -> System:
            built = experience_system(experience, kinds, opened, slots, fixed)
            return built if room is None else _joined(built, across.experience_links(room(r), felt, heard, r))

        experience_hidden = _hide_past_the_study(feedback_system, rule, shut & _keys_of(attended))
    impact_hidden: frozenset[Hashable] = frozenset()
    if len(impact):
        changed, told = _impact_rows(impact), _heard(impact["team_id"], experience, impact)

        def impact_checked(fixed: Collection[str], r: Rule) -> System:
            built = impact_system(impact, fixed)
            return built if room is None else _joined(built, across.impact_links(changed, told, r))

        impact_hidden = _hide_past_the_study(impact_checked, rule)
    return system, Hidden(hidden, live_hidden, experience_hidden | shut, impact_hidden)


def _keys_of(attended: Mapping[Month, int]) -> set[Hashable]:
    """The experience figures of the months ``attended``."""
    return {(m, column) for m in attended for column in EXPERIENCE_HIDEABLE}


def _joined(system: System, known: Sequence[Figure], secrets_: Sequence[Secret] = ()) -> System:
    """``system`` with more figures known to a reader (another output's) and more counts to keep loose."""
    return System(
        system.truth,
        system.figures,
        [*system.known, *known],
        [*system.secrets, *secrets_],
        system.blocks,
        system.leaves,
    )


def _experience_table(experience: pd.DataFrame) -> pd.DataFrame:
    """feedback.experience_by_month with a column per EXPERIENCE_ATOMS."""
    return experience.assign(
        unscored=experience["responded"] - experience["scored"],
        silent=experience["attended"] - experience["responded"],
        spare=ROOM,
    )


def _impact_table(impact: pd.DataFrame) -> pd.DataFrame:
    """feedback.impact_by_month with a column per IMPACT_ATOMS."""
    return impact.assign(
        lived=impact["with_lived_experience"], staff=impact["changes"] - impact["with_lived_experience"], spare=ROOM
    )


def _experience_rows(experience: pd.DataFrame) -> across.Rows:
    """The experience feedback's atoms as experience_system lays them out."""
    return _layout(_experience_table(experience), "month", EXPERIENCE_ATOMS)


def _impact_rows(impact: pd.DataFrame) -> across.Rows:
    """The impact log's atoms as impact_system lays them out."""
    return _layout(_impact_table(impact), "month", IMPACT_ATOMS)


def _heard(teams: pd.Series, experience: pd.DataFrame, impact: pd.DataFrame) -> dict[Hashable, bool]:
    """Whose experience and impact measures presenter mode shows, of ``teams``: every team's (its
    Team profile), and the study's where anyone answered or a change is logged (the Overview's row)."""
    anything = bool(experience["responded"].sum()) or bool(impact["changes"].sum())
    return {None: anything} | {int(t): True for t in teams.unique()}


def _hide(
    build: Callable[[Rule], System],
    rule: Rule,
    also: Collection[Hashable] = (),
    quiet: tuple[int, ...] = (),
    alone: System | None = None,
) -> frozenset[Hashable]:
    """The figures of the system ``build`` makes to hide under ``rule``, ``also`` among them, and those
    that must be hidden besides for the atoms ``quiet`` to be all 0 as far as a reader can tell
    (_silenced): what the study's floor hides stays hidden at a stricter threshold, so exports at both
    tell no more. ``build`` is given the rule a check runs at: presenter mode at that threshold is
    part of what a reader holds. Where presenter mode itself says the quiet atoms were not all 0,
    they are kept quiet against the export ``alone``."""

    def at(chosen: Rule, given: Collection[Hashable]) -> frozenset[Hashable]:
        system = build(chosen)
        found = suppress(system, chosen, given)
        if not quiet:
            return found
        silenced = _silenced(system, found, quiet)
        if silenced is None and alone is not None:
            silenced = _silenced(alone, found, quiet)
        return silenced if silenced is not None else found | _touching(system, quiet)

    floor = Rule(threshold_floor())
    return at(rule, {*also, *at(floor, also)} if floor.threshold < rule.threshold else also)


def _hide_past_the_study(
    build: Callable[[Collection[str], Rule], System], rule: Rule, also: Collection[Hashable] = ()
) -> frozenset[Hashable]:
    """What _hide hides of the system ``build`` makes, the study's figures kept shown where they can
    be. Hiding one figure at a time, the search frees a team's small count by hiding the study's
    whenever no one figure of the other teams does on its own (two are needed: a team's responses
    and scored responses, say); so it runs first with the study's figures that are not small fixed
    (``build``'s columns given are known, always shown; nothing then frees a count that only the
    study's figures tell, which that run leaves out), hiding the teams' and months' in pairs as it
    must; then again with every figure, what it hid the first time hidden: it hides more, the
    study's at last, only where that did not protect every count."""
    whole = build((), rule)
    study = {key[1]: f.count for f in whole.figures if isinstance(key := f.key, tuple) and key[0] is None}
    fixed = [column for column, count in study.items() if not rule.hides(count)]
    first = _hide(lambda r: build(fixed, r), rule, also) if fixed else frozenset()
    return _hide(lambda r: build((), r), rule, {*also, *first})


INFEASIBLE = 2
"""scipy.optimize.milp's status when no solution fits the constraints."""
SILENCE_SECONDS = 20.0
"""How long _silenced's search for the cheapest figures to hide may take before it hides, instead,
every figure of the teams and the study that the thin months' contributions are part of."""


def _silenced(system: System, hidden: frozenset[Hashable], quiet: tuple[int, ...]) -> frozenset[Hashable] | None:
    """``hidden`` and the cheapest figures of ``system`` besides (by their costs: a month's before a
    team's total, a team's before the study's) whose hiding leaves a reader unable to rule out that
    every atom of ``quiet`` is 0, all at once. One integer programme chooses them: the atoms, whole
    and at least 0, fit every figure shown and every known one, with ``quiet`` at 0; a figure may
    be left unfitted only by hiding it. (Every atom is at most the contributions of its month, always
    shown, so no figure can be off by more than all the contributions together.) None where what is
    known besides the figures rules it out (no hiding would do)."""
    figures, known = list(system.figures), list(system.known)
    n, k = system.truth.size, len(figures)
    big = float(system.truth.sum()) + 1

    def matrix(rows: list[Figure]) -> sparse.csr_array:
        cols = [a for f in rows for a in f.atoms]
        which = [i for i, f in enumerate(rows) for _ in f.atoms]
        return sparse.csr_array((np.ones(len(cols)), (which, cols)), shape=(len(rows), n))

    low, high = (np.array(side, dtype=np.float64) for side in zip(*(f.bounds() for f in figures), strict=True))
    slack = sparse.diags_array(np.full(k, big))
    constraints = [
        # a figure shown is fitted; a hidden one (h = 1) may be off by up to ``big``
        LinearConstraint(sparse.hstack([matrix(figures), slack]), np.where(np.isinf(low), -np.inf, low), np.inf),
        LinearConstraint(sparse.hstack([matrix(figures), -slack]), -np.inf, high),
    ]
    if known:
        kl, kh = (np.array(side, dtype=np.float64) for side in zip(*(f.bounds() for f in known), strict=True))
        constraints.append(LinearConstraint(sparse.hstack([matrix(known), sparse.csr_array((len(known), k))]), kl, kh))
    upper = np.full(n, big)
    upper[list(quiet)] = 0
    already = np.array([f.key in hidden for f in figures], dtype=np.float64)
    found = milp(
        np.concatenate([np.zeros(n), [f.cost + 1.0 for f in figures]]),  # hide nothing free for nothing
        constraints=constraints,
        integrality=np.ones(n + k),
        bounds=Bounds(np.concatenate([np.zeros(n), already]), np.concatenate([upper, np.ones(k)])),
        options={"time_limit": SILENCE_SECONDS},
    )
    if found.status == INFEASIBLE:
        return None
    if found.status != 0:  # no time to choose: every figure their sums are part of (the quiet atoms' own too)
        return hidden | _touching(system, quiet)
    chosen = found.x[n:] > 0.5
    return hidden | {f.key for f, h in zip(figures, chosen, strict=True) if h}


def _touching(system: System, atoms: tuple[int, ...]) -> frozenset[Hashable]:
    """The figures of ``system`` that sum any of ``atoms``."""
    touched = set(atoms)
    return frozenset(f.key for f in system.figures if touched & set(f.atoms))


def _quiet_atoms(live: pd.DataFrame, months: Collection[Month]) -> tuple[int, ...]:
    """The atoms of contributions_system that are the contributions by people with lived experience
    in ``months``."""
    layout = _layout(live, "month", LIVE_ATOMS)
    rows = [i for i, cell in enumerate(zip(layout.team_ids, layout.months, strict=True)) if cell in months]
    return layout.atoms(rows, LIVE_HIDEABLE["contributions_by_lived_experience"])


def _live_values(live: pd.DataFrame) -> dict[Hashable, dict[str, int]]:
    """The LIVE_OPEN and LIVE_HIDEABLE counts of every cell (as _cell_keys keys them) with a meeting
    observed live: each month, each team's whole period, the study."""
    sums = live.assign(
        contributions=live[list(LIVE_ATOMS)].sum(axis=1),
        **{column: live[list(atoms)].sum(axis=1) for column, atoms in LIVE_HIDEABLE.items()},
    )
    columns = [*LIVE_OPEN, *LIVE_HIDEABLE]
    values: dict[Hashable, dict[str, int]] = {}
    for team_id, month, *counts in sums[["team_id", "month", *columns]].itertuples(index=False):
        values[(int(team_id), pd.Timestamp(month).date())] = dict(zip(columns, map(int, counts), strict=True))
    teams = sums.groupby("team_id")[columns].sum()
    for team_id, sums_of_team in zip(teams.index, teams.to_numpy(), strict=True):
        values[int(team_id)] = dict(zip(columns, map(int, sums_of_team), strict=True))
    values[None] = {c: int(sums[c].sum()) for c in columns}
    return values


def _months(kinds: pd.DataFrame, names: tuple[str, ...]) -> dict[tuple[int, dt.date], int]:
    """Each team's month (queries.meeting_kinds by month): its recorded meetings of the kinds ``names``."""
    counts = kinds[list(names)].to_numpy(dtype=np.int64).sum(axis=1)
    return {
        (int(t), pd.Timestamp(m).date()): int(n)
        for t, m, n in zip(kinds["team_id"], kinds["period"], counts, strict=True)
    }


Month = tuple[int, dt.date]
"""A team's calendar month: team id, first day."""


def _spoken(live: pd.DataFrame, kinds: pd.DataFrame) -> tuple[frozenset[Month], frozenset[Month]]:
    """The months in which someone with lived experience contributed, and so was present, in two:
    those where a reader may be told it (by the contributions shown, or worked out from them and
    the contributions of each month, which bound theirs from above): counts_system takes it that
    a reader knows it of every one; and the *fragile* ones, whose one recorded meeting was that
    one, where knowing it tells the meetings with lived experience exactly (1), which no hiding
    of counts of meetings could keep: their contributions are hidden instead, in the month, and
    the figures that would tell them (a team's total less its other months, say) are hidden
    besides, so that nothing rules out that they were none (_silenced).
    (A month whose contributions outlived the attendance they were recorded at is in neither.)"""
    presence = _months(kinds, LIVED_EXPERIENCE)
    recorded = _months(kinds, queries.MEETING_KINDS)
    lived = live[list(LIVE_HIDEABLE["contributions_by_lived_experience"])].to_numpy(dtype=np.int64).sum(axis=1)
    cells = [(int(t), pd.Timestamp(m).date()) for t, m in zip(live["team_id"], live["month"], strict=True)]
    spoke = [cell for cell, n in zip(cells, lived, strict=True) if n > 0 and presence.get(cell, 0) > 0]
    fragile = frozenset(cell for cell in spoke if recorded[cell] == 1)
    return frozenset(spoke) - fragile, fragile


def _cell_keys(counts: pd.DataFrame) -> list[Hashable]:
    """Each row's key in counts_system: (team id, month's first day), team id, or None (the study)."""
    keys: list[Hashable] = []
    for team_id, month in zip(counts["team_id"], counts["month"], strict=True):
        if pd.isna(team_id):
            keys.append(None)
        elif pd.isna(month):
            keys.append(int(team_id))
        else:
            keys.append((int(team_id), pd.Timestamp(month).date()))
    return keys


@dataclass(frozen=True)
class _Layout(across.Rows):
    """Atoms laid out as a system of observation.disclosure wants them: per row of a table (a team's
    month), its counts ``names`` in order, consecutively (across.Rows). ``cells`` are what the export
    shows a row of: each month, each team's whole period and the study, keyed as _cell_keys keys
    them, with its scope (SCOPE_COST) and the rows it sums."""

    cells: dict[Hashable, tuple[str, list[int]]]

    def figure(self, key: Hashable, atoms: tuple[int, ...], cost: int = 0) -> Figure:
        return Figure(key, atoms, self.total(atoms), cost=cost)

    def system(
        self, figures: list[Figure], known: list[Figure], secrets_: list[Secret], sizes: Mapping[int, int] | None = None
    ) -> System:
        """The system of these atoms, each row a leaf and each team's a block (disclosure.System); given
        ``sizes`` (a count per team), the teams in blocks of TEAMS_A_BLOCK, the smallest together
        (_blocks)."""
        width = len(self.names)
        block = _blocks(sizes) if sizes is not None else {t: t for t in self.team_ids}
        blocks = np.repeat(np.array([block[t] for t in self.team_ids], dtype=np.int64), width)
        return System(self.truth, figures, known, secrets_, blocks, np.repeat(np.arange(len(self.team_ids)), width))


TEAMS_A_BLOCK = 4
"""How many teams the experience feedback's and the impact log's checks change at once above
disclosure.EXACT_ATOMS. One team's alone, a team's own total under the threshold could be kept from
being worked out only by hiding the study's (the other teams held at their true values, the study
less them gives it); with three more teams of about its size, by hiding one of theirs instead (the
hiding of a cell's complement, as statistical offices do it)."""


def _blocks(sizes: Mapping[int, int]) -> dict[int, int]:
    """Each team's block: the teams in order of ``sizes`` (then id), TEAMS_A_BLOCK at a time, so
    that teams with small totals protect one another."""
    ranked = sorted(sizes, key=lambda t: (sizes[t], t))
    blocks = {team_id: i // TEAMS_A_BLOCK for i, team_id in enumerate(ranked)}
    if len(ranked) > TEAMS_A_BLOCK and len(ranked) % TEAMS_A_BLOCK == 1:  # no team alone in a block
        blocks[ranked[-1]] -= 1
    return blocks


def _layout(table: pd.DataFrame, month: str, names: tuple[str, ...]) -> _Layout:
    """``table``'s rows (team_id, the month's first day in ``month``, a count per name) laid out."""
    team_ids = [int(t) for t in table["team_id"]]
    months = [pd.Timestamp(m).date() for m in table[month]]
    cells: dict[Hashable, tuple[str, list[int]]] = {}
    for i, (team_id, first) in enumerate(zip(team_ids, months, strict=True)):
        cells[(team_id, first)] = ("month", [i])
        cells.setdefault(team_id, ("team", []))[1].append(i)
    cells[None] = ("study", list(range(len(team_ids))))
    return _Layout(team_ids, months, names, table[list(names)].to_numpy(dtype=np.int64).ravel(), cells)


def counts_system(
    kinds: pd.DataFrame,
    spoken: Collection[Month] = (),
    attended: Mapping[Month, int] | None = None,
    opened: Collection[Month] = (),
) -> System:
    """What the aggregate export shows, as figures over the atoms ``kinds`` (queries.meeting_kinds
    by month: each team's held meetings with attendance recorded of each kind, per month). Each
    HIDEABLE count is a figure, shown exactly, of every month, every team's whole period and the
    study (keyed (cell, column), the cell (team id, month's first day), team id or None); the
    recorded meetings of each month are known (always shown); and presenting.SECRETS of every cell
    (service users only, carers only, both, not meaningful) must not be worked out when small.
    In the months ``spoken`` (team id, first day), someone with lived experience contributed: known
    to a reader, as far as the export goes, so those months had at least one meeting with lived
    experience present. ``attended``: the service users and carers present at each month's held
    meetings (the experience feedback's attendances), which tell a reader of the meetings too
    (_attendance_links; ``opened``, the months whose feedback may be shown)."""
    layout = _layout(kinds, "period", queries.MEETING_KINDS)
    figures: list[Figure] = []
    secrets_: list[Secret] = []
    for key, (scope, rows) in layout.cells.items():
        for name, share in HIDEABLE.items():
            figures.append(
                layout.figure((key, name), layout.atoms(rows, KINDS[share]), COST[share] + SCOPE_COST[scope])
            )
        for name, names in SECRETS.items():
            sums = layout.atoms(rows, names)
            secrets_.append(Secret((key, name), sums, layout.total(sums)))
    known: list[Figure] = []
    for i, cell in enumerate(zip(layout.team_ids, layout.months, strict=True)):
        known.append(layout.figure((cell, "meetings_recorded"), layout.atoms([i], queries.MEETING_KINDS)))
        if cell in spoken:
            sums = layout.atoms([i], LIVED_EXPERIENCE)
            known.append(Figure((cell, "spoken_by_lived_experience"), sums, layout.total(sums), at_least=1))
    if attended is not None:
        known += _attendance_links(layout, attended, opened)
    return layout.system(figures, known, secrets_)


def _attendance_links(layout: _Layout, attended: Mapping[Month, int], opened: Collection[Month]) -> list[Figure]:
    """What the attendances by service users and carers tell a reader of the meetings (``layout``'s,
    counts_system's): a month with one had a meeting with lived experience present, one without had
    none; and a meeting with a service user or a carer present had one attendance at least, one
    with both two, so the meetings with service users plus those with carers are at most the
    attendances. A month's feedback is shown only where its own counts of meetings are (``opened``:
    the months where they may be): there the reader is taken to know its attendances; of a team's
    other months, only their sum (the team's, less those months'), as the export shows it, with
    the team's attendances taken as known even where they are hidden."""
    links: list[Figure] = []
    teams: dict[int, list[int]] = {}
    for i, team_id in enumerate(layout.team_ids):
        teams.setdefault(team_id, []).append(i)
    for team_id, rows in teams.items():
        near = [i for i in rows if (team_id, layout.months[i]) in opened]
        rest = [i for i in rows if (team_id, layout.months[i]) not in opened]
        for i in near:
            cell = (team_id, layout.months[i])
            links += _presence_link(layout, (cell, "attended"), [i], attended.get(cell, 0))
        left = sum(attended.get((team_id, layout.months[i]), 0) for i in rest)
        if rest:
            links += _presence_link(layout, (team_id, "attended_in_months_not_shown"), rest, left)
    return links


def _presence_link(layout: _Layout, key: Hashable, rows: list[int], attended: int) -> list[Figure]:
    """What ``attended`` attendances in ``rows`` tell of their meetings: none with lived experience
    present (none); or one at least, and the meetings with service users plus those with carers at
    most ``attended``, written as its complement (twice the meetings recorded less that, at least
    twice the meetings less ``attended``: each kind of meeting counts 2 less its service-user and
    carer slots, so "nobody" counts twice)."""
    presence = layout.atoms(rows, LIVED_EXPERIENCE)
    if attended == 0:
        return [Figure((key, "nobody"), presence, 0)]
    links = [Figure((key, "somebody"), presence, layout.total(presence), at_least=1)]
    least = 2 * layout.total(layout.atoms(rows, queries.MEETING_KINDS)) - attended
    if least > 0:
        slots = layout.atoms(rows, SINGLE_SLOT) + 2 * layout.atoms(rows, ("nobody",))
        links.append(Figure((key, "at_most_attended"), slots, layout.total(slots), at_least=least))
    return links


def experience_system(
    experience: pd.DataFrame,
    kinds: pd.DataFrame,
    opened: Collection[Month] = (),
    slots: Mapping[Hashable, int] | None = None,
    fixed: Collection[str] = (),
) -> System:
    """What the aggregate export shows of the experience feedback, as figures over the atoms of
    ``experience`` (feedback.experience_by_month: per team and month with a service user or carer
    present, split as EXPERIENCE_ATOMS). Each EXPERIENCE_HIDEABLE count is a figure of every month,
    team and the study, keyed as counts_system's; EXPERIENCE_SECRETS of every cell must not be worked
    out when small. What the meetings (``kinds``, as counts_system reads them) tell a reader is known:
    a month with more than one recorded meeting and someone with lived experience at one had one
    attendance at least (in a month with one recorded meeting, that it had one is the very count
    a month's feedback must not tell: nothing is known of it); in the months ``opened`` (their counts
    of meetings may be shown) the attendances are at least the meetings with service users plus
    those with carers, and so in each cell of ``slots`` (a team id, or None for the study: those
    meetings, shown). The study's counts of the columns ``fixed`` are known, and then its own
    EXPERIENCE_SECRETS left out (_hide_past_the_study)."""
    layout = _layout(_experience_table(experience), "month", EXPERIENCE_ATOMS)
    figures: list[Figure] = []
    secrets_: list[Secret] = []
    known: list[Figure] = []
    for key, (scope, rows) in layout.cells.items():
        for name, names in EXPERIENCE_HIDEABLE.items():
            cost = EXPERIENCE_COST[name] + SCOPE_COST[scope]
            (known if key is None and name in fixed else figures).append(
                layout.figure((key, name), layout.atoms(rows, names), cost)
            )
        for name, names in EXPERIENCE_SECRETS.items():
            if key is None and fixed:
                continue  # the study's own: only hiding one of its figures frees it (_hide_past_the_study)
            sums = layout.atoms(rows, names)
            secrets_.append(Secret((key, name), sums, layout.total(sums)))
    recorded = _months(kinds, queries.MEETING_KINDS)
    both = _months(kinds, ("both", "both_meaningful"))
    single = _months(kinds, SINGLE_SLOT)
    everyone = EXPERIENCE_HIDEABLE["attendances_by_lived_experience"]
    for i, cell in enumerate(zip(layout.team_ids, layout.months, strict=True)):
        known.append(layout.figure((cell, "room"), layout.atoms([i], EXPERIENCE_ATOMS)))
        least = single.get(cell, 0) + 2 * both.get(cell, 0) if cell in opened else int(recorded.get(cell, 0) > 1)
        if least:
            sums = layout.atoms([i], everyone)
            known.append(Figure((cell, "present"), sums, layout.total(sums), at_least=least))
    for key, least in (slots or {}).items():
        if key in layout.cells and least > 0:
            sums = layout.atoms(layout.cells[key][1], everyone)
            known.append(Figure((key, "present"), sums, layout.total(sums), at_least=least))
    return layout.system(figures, known, secrets_, _team_sizes(layout, EXPERIENCE_HIDEABLE[RESPONDED]))


def impact_system(impact: pd.DataFrame, fixed: Collection[str] = ()) -> System:
    """What the aggregate export shows of the impact log, as figures over the atoms of ``impact``
    (feedback.impact_by_month: per team and month with a change logged, split as IMPACT_ATOMS). Each
    IMPACT_HIDEABLE count is a figure of every month, team and the study, keyed as counts_system's
    (the study's of the columns ``fixed`` known instead: _hide_past_the_study). Nothing links them
    to the meetings: a change is logged on its own date, whoever's idea it was. A month's changes
    hidden are known to be 1 at least: a month with none has none to hide, and shows 0."""
    layout = _layout(_impact_table(impact), "month", IMPACT_ATOMS)
    figures: list[Figure] = []
    known: list[Figure] = []
    for i, cell in enumerate(zip(layout.team_ids, layout.months, strict=True)):
        known.append(layout.figure((cell, "room"), layout.atoms([i], IMPACT_ATOMS)))
        logged = layout.atoms([i], IMPACT_HIDEABLE["changes_logged"])
        known.append(Figure((cell, "some_change"), logged, layout.total(logged), at_least=1))
    for key, (scope, rows) in layout.cells.items():
        for name, names in IMPACT_HIDEABLE.items():
            figure = layout.figure((key, name), layout.atoms(rows, names), IMPACT_COST[name] + SCOPE_COST[scope])
            (known if key is None and name in fixed else figures).append(figure)
    return layout.system(figures, known, [], _team_sizes(layout, IMPACT_HIDEABLE["changes_with_lived_experience"]))


def _team_sizes(layout: _Layout, names: tuple[str, ...]) -> dict[int, int]:
    """Each team's sum of ``names``."""
    cells = layout.cells.items()
    return {key: layout.total(layout.atoms(rows, names)) for key, (_, rows) in cells if isinstance(key, int)}


def _attended(experience: pd.DataFrame, kinds: pd.DataFrame) -> dict[Month, int]:
    """The attendances by service users and carers of each month with any (experience_by_month), which
    are the months with a recorded meeting with lived experience present (meeting_kinds): read a
    moment apart, they must agree."""
    attended = {
        (int(t), pd.Timestamp(m).date()): int(n)
        for t, m, n in zip(experience["team_id"], experience["month"], experience["attended"], strict=True)
    }
    lived = {cell for cell, n in _months(kinds, LIVED_EXPERIENCE).items() if n > 0}
    if set(attended) != lived:
        raise ObservationError("the study changed while the export was being made: export again")
    return attended


def _open_months(kinds: pd.DataFrame, rule: Rule) -> frozenset[Month]:
    """The months with someone with lived experience present whose meetings with them, with service
    users and with carers are all counts ``rule`` shows (0, or at least the threshold): only there
    may the month's feedback be shown."""
    counts = [_months(kinds, KINDS[HIDEABLE[column]]) for column in TELLING]
    return frozenset(
        cell for cell, lived in counts[0].items() if lived > 0 and not any(rule.hides(c[cell]) for c in counts)
    )


def _tells(hidden: Collection[Hashable], key: Hashable) -> bool:
    """Whether any of the month's TELLING counts is hidden: its feedback, even none, would tell it."""
    return any((key, column) in hidden for column in TELLING)


def _slots_shown(system: System, hidden: Collection[Hashable]) -> dict[Hashable, int]:
    """Each team's and the study's meetings with service users plus those with carers, where both are
    shown (``system``'s, counts_system's): the attendances there are at least that many."""
    counted = {f.key: f.count for f in system.figures}
    cells = {f.key[0] for f in system.figures if isinstance(f.key, tuple) and not isinstance(f.key[0], tuple)}
    return {
        cell: counted[(cell, "meetings_with_service_users")] + counted[(cell, "meetings_with_carers")]
        for cell in cells
        if not _tells(hidden, cell)
    }


def _with_change_months(counts: pd.DataFrame, impact: pd.DataFrame) -> pd.DataFrame:
    """``counts`` (queries.monthly_counts) with a row of no meetings for each team and month with a
    change logged and no meeting (and for a team with changes and no meeting at all), in its order."""
    have = set(_cell_keys(counts))
    extra: list[dict[str, Any]] = []
    for team_id, name, month in impact[["team_id", "team_name", "month"]].itertuples(index=False):
        for key, first in (((int(team_id), pd.Timestamp(month).date()), pd.Timestamp(month)), (int(team_id), pd.NaT)):
            if key not in have:
                have.add(key)
                extra.append({"team_id": int(team_id), "team_name": name, "month": first})
    if not extra:
        return counts
    rows = pd.DataFrame(extra).assign(**{c: 0 for c in (*OPEN_COLUMNS, *HIDEABLE)})
    joined = pd.concat([counts, rows.astype({"month": counts["month"].dtype})], ignore_index=True)
    order = joined.assign(study=joined["team_id"].isna(), whole=joined["month"].isna())
    order = order.sort_values(["study", "team_name", "team_id", "whole", "month"], kind="stable")
    return joined.loc[order.index].reset_index(drop=True)


def _experience_columns(experience: pd.DataFrame) -> pd.DataFrame:
    """experience_by_month's counts under the export's names, and each month's score times its
    scored responses (the sum of their person-meeting means, which adds up over months)."""
    return pd.DataFrame(
        {
            "team_id": experience["team_id"],
            "month": experience["month"],
            "attendances_by_lived_experience": experience["attended"].astype("int64"),
            "responses_by_lived_experience": experience["responded"].astype("int64"),
            SCORED: experience["scored"].astype("int64"),
            "score_total": experience["score"].astype("float64").fillna(0.0) * experience["scored"],
        }
    )


def _impact_columns(impact: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "team_id": impact["team_id"],
            "month": impact["month"],
            "changes_logged": impact["changes"].astype("int64"),
            "changes_with_lived_experience": impact["with_lived_experience"].astype("int64"),
        }
    )


def _sums(table: pd.DataFrame) -> dict[Hashable, dict[str, Any]]:
    """Each column of ``table`` (team_id, month, then what adds up) for every cell as _cell_keys keys
    them: each month, each team's whole period, the study."""
    columns = [c for c in table.columns if c not in ("team_id", "month")]
    values: dict[Hashable, dict[str, Any]] = {}
    for team_id, month, *sums in table[["team_id", "month", *columns]].itertuples(index=False):
        values[(int(team_id), pd.Timestamp(month).date())] = dict(zip(columns, map(_plain, sums), strict=True))
    for team_id, *sums in table.groupby("team_id")[columns].sum().itertuples():
        values[int(team_id)] = dict(zip(columns, map(_plain, sums), strict=True))
    values[None] = {c: _plain(table[c].sum()) for c in columns}
    return values


def _plain(value: Any) -> Any:
    """A NumPy number as Python's (a count as int, a sum of means as float)."""
    return value.item() if isinstance(value, np.generic) else value


def scores_hidden(
    felt: Mapping[Hashable, Mapping[str, Any]], hidden: Collection[Hashable], rule: Rule
) -> frozenset[Hashable]:
    """The cells (keyed as _sums keys them) whose experience score is hidden: each whose scored
    responses are (``hidden``), and each team's and the study's that would give away the mean of the
    responses under it whose scores are hidden. A score shown with its count is a sum shown: a team's
    less its months' shown is the sum of its other months', and their count (known, or not) is the
    team's less theirs; so where those months' scored responses number 1 to the threshold − 1, the
    team's score is hidden too. The study's likewise over the months hidden in its teams whose own
    score is hidden (a team's shown score makes its months one known sum)."""
    out = {figure[0] for figure in hidden if isinstance(figure, tuple) and figure[1:] == (SCORED,)}
    under: dict[int, int] = {}  # each team's scored responses in its months whose score is hidden
    for key, values in felt.items():
        if isinstance(key, tuple) and key in out:
            under[key[0]] = under.get(key[0], 0) + int(values.get(SCORED, 0))
    for team_id, n in under.items():
        if rule.hides(n):
            out.add(team_id)
    rest = sum(n for team_id, n in under.items() if team_id in out)
    if rule.hides(rest):
        out.add(None)
    return frozenset(out)


def _score(values: Mapping[str, Any], hidden: bool) -> object:
    """The experience score of a cell: hidden with its scored responses, none without any."""
    if hidden:
        return CONFIDENTIAL
    scored = int(values.get(SCORED, 0))
    return round(float(values["score_total"]) / scored, SCORE_DECIMALS) if scored else None


def contributions_system(live: pd.DataFrame, kinds: pd.DataFrame) -> System:
    """What the aggregate export shows of the contributions, as figures over the atoms ``live``
    (voice.by_month: per team and month, contributions split as LIVE_ATOMS). Each LIVE_HIDEABLE count
    is a figure of every month, team and the study, keyed as counts_system's; each month's
    contributions are known (always shown); LIVE_SECRETS of every cell must not be worked out when
    small; and in a month with nobody with lived experience present at a recorded meeting
    (``kinds``, as counts_system reads them), their contributions are known to be none."""
    layout = _layout(live, "month", LIVE_ATOMS)
    figures: list[Figure] = []
    secrets_: list[Secret] = []
    for key, (scope, rows) in layout.cells.items():
        for name, names in LIVE_HIDEABLE.items():
            figures.append(layout.figure((key, name), layout.atoms(rows, names), LIVE_COST[name] + SCOPE_COST[scope]))
        for name, names in LIVE_SECRETS.items():
            sums = layout.atoms(rows, names)
            secrets_.append(Secret((key, name), sums, layout.total(sums)))
    presence = _months(kinds, LIVED_EXPERIENCE)
    lived = LIVE_HIDEABLE["contributions_by_lived_experience"]
    known: list[Figure] = []
    for i, cell in enumerate(zip(layout.team_ids, layout.months, strict=True)):
        known.append(layout.figure((cell, "contributions"), layout.atoms([i], LIVE_ATOMS)))
        if presence.get(cell, 0) == 0 and layout.total(layout.atoms([i], lived)) == 0:
            known.append(Figure((cell, "nobody_with_lived_experience"), layout.atoms([i], lived), 0))
    return layout.system(figures, known, secrets_)


def _demo_line(info: queries.StudyInfo | None) -> list[str]:
    if info is not None and info.study.is_demo:
        return ["SYNTHETIC DEMO DATA: invented people, teams and notes. Nothing here is real.", ""]
    return []


def _aggregate_notes(info: queries.StudyInfo | None, rule: Rule, level: ParticipationLevel) -> str:
    t = rule.threshold
    first, last = (info.first_meeting, info.last_meeting) if info else (None, None)
    period = f"{first:%d %B %Y} to {last:%d %B %Y}, every team" if first and last else "none (no meetings yet)"
    lines = [
        "Aggregate export: counts of meetings, of contributions, of the experience feedback and of the impact log "
        "by team and month",
        "",
        *_demo_line(info),
        f"Study: {info.study.name}" if info else "Study: (none)",
        f"Period: {period} (the whole study: the dashboard's filter does not apply, since two "
        "exports of different teams or dates could give a hidden count away by difference).",
        f"Made: {dt.datetime.now(dt.UTC):%Y-%m-%d}.",
        "",
        f"HIDDEN COUNTS: threshold {t}",
        f"{CONFIDENTIAL} means hidden: a count from 1 to {t - 1}, or a count that would let one from 1 to {t - 1} "
        "be worked out from the rest of this table (by subtraction from a team's or the study's total, or "
        "between columns: the meetings with lived experience minus those with service users are the meetings "
        f"with carers only). A {CONFIDENTIAL} says nothing about its value: it may stand for any count, 0 "
        "included. Zero is shown as 0.",
        "Only the four meetings_with_... columns, the ..._by_lived_experience columns, experience_score and the "
        "two changes_... columns are ever hidden; meetings held, cancelled, postponed, recorded and observed live, "
        "and the contributions column (all contributions), say nothing about anyone and are always shown. Rows may "
        "be left out when sharing this table.",
        ACROSS_OUTPUTS,
        "",
        "TABLES",
        "teams: each team's name, service and setting.",
        f"{COUNTS_TABLE}: one row per team and calendar month in which the team had a meeting or logged a change; "
        "one row per team "
        f"for the whole period (month '{WHOLE_PERIOD}'); and one row for the study (team '{STUDY_ROW}', "
        f"month '{WHOLE_PERIOD}').",
        "",
        f"COLUMNS OF {COUNTS_TABLE.upper()}",
        f"team: the team's name ('{STUDY_ROW}' for the whole study).",
        f"month: the calendar month, YYYY-MM ('{WHOLE_PERIOD}' for the whole period).",
        "meetings_held, meetings_cancelled, meetings_postponed: meetings with that status.",
        "meetings_recorded: held meetings with attendance recorded (at least one person recorded present, "
        "researchers observing aside). A held meeting with nobody recorded present is left out of the counts "
        "below, so a register never filled in does not read as absence.",
        "meetings_with_lived_experience: of the recorded meetings, those with at least one service user or carer "
        "(a person with lived experience) present.",
        "meetings_with_service_users: of the recorded meetings, those with at least one service user present.",
        "meetings_with_carers: of the recorded meetings, those with at least one carer present.",
        "meetings_with_meaningful_involvement: of the recorded meetings, those with a service user or carer "
        f"present at '{level}' or above on the participation ladder (observing, contributing, co-leading); "
        "someone present with no level recorded does not count.",
        "A share (lived-experience presence, meaningful involvement…) is one of these counts divided by "
        "meetings_recorded.",
        "meetings_observed_live: held meetings with at least one contribution by someone other than an observer, "
        "recorded as it happened (on Capture a meeting, or imported): who spoke, raised an agenda item, proposed a "
        "change, challenged or questioned, or took an action. Only these meetings have contributions; the others "
        "are left out of the counts below, never read as silence.",
        "contributions: every contribution recorded at those meetings, each one counted (someone who spoke "
        "twice counts twice); contributions by observers, the researchers watching, are left out.",
        "contributions_by_lived_experience: of those, the contributions of service users and carers (people "
        "with lived experience). Voice share, the mean over meetings observed live of each one's "
        "contributions_by_lived_experience divided by its contributions, cannot be worked out from these "
        "monthly sums.",
        "items_raised_by_lived_experience: the agenda items service users and carers raised at those meetings.",
        "actions_owned_by_lived_experience: the actions service users and carers took on at those meetings.",
        "Like the meetings_with_... columns, these three ..._by_lived_experience columns are hidden as "
        f"{CONFIDENTIAL} under the same threshold, and also where they would let a hidden count of meetings be "
        "worked out: a contribution by someone with lived experience says that one was present that month.",
        "attendances_by_lived_experience: the service users and carers present at the held meetings, each "
        "person counted once per meeting (the experience questionnaire is theirs to answer).",
        "responses_by_lived_experience: of those, the ones whose answers about that meeting are recorded (any "
        "item, 'prefer not to say' included). The response rate is this divided by "
        "attendances_by_lived_experience.",
        "scored_responses_by_lived_experience: of those, the ones who answered at least one item on the "
        "five-point scale (not only 'prefer not to say').",
        f"{SCORE}: the experience score, out of 5: each of those people's mean answer about the meeting, averaged; "
        f"to {SCORE_DECIMALS} decimals. Empty where nobody answered on the scale; {CONFIDENTIAL} wherever "
        "scored_responses_by_lived_experience is hidden, so that it never rests on fewer responses than the "
        "threshold; and a team's (or the study's) wherever it, less the scores shown under it, would give the "
        "mean of fewer responses than the threshold (a score times its count is a sum).",
        "changes_logged: the changes to the team's improvement work logged in the impact log, by the month of "
        "their date.",
        "changes_with_lived_experience: of those, the ones whose idea came from people with lived experience, "
        "alone or with staff. Their share is this divided by changes_logged.",
        "The feedback and changes counts are hidden as the others are, under the same threshold (for the three "
        "..._by_lived_experience feedback columns also the people none of them counts: attendances without a "
        "response, responses with only 'prefer not to say'). A month's feedback counts are shown only where its "
        "meetings_with_lived_experience, meetings_with_service_users and meetings_with_carers are: someone "
        "present says a meeting had them, nobody present that none did, and the attendances are at least the "
        "meetings with service users plus those with carers.",
        f"In Parquet, the meetings_with_..., ..._by_lived_experience and changes_... columns and {SCORE} are "
        f"text, since they can hold {CONFIDENTIAL}.",
    ]
    return "\n".join(lines) + "\n"


CONTRIBUTIONS_NOTE = (
    "contributions: one row per contribution recorded at a meeting as it happened (on Capture a meeting, or "
    "imported), two identical rows being two contributions. meeting_id is the meeting's id in meetings (its "
    "team_id and meeting_date); participant_id the person's id in participants (their code and role); kind "
    "what they did: spoke, raised_item (raised an agenda item), proposed_change, challenged (challenged or "
    "questioned), took_action (took on an action); minute the minutes from the meeting's start, 0 to 480; "
    "observer who recorded it; recorded_at when it was recorded (UTC), empty when it was imported.",
)
"""The contributions table in words, for the note of a full or de-identified export."""


def _full_notes(con: duckdb.DuckDBPyConnection) -> str:
    info = queries.study_info(con)
    lines = [
        "Full export: FOR THE STUDY TEAM ONLY, NEVER FOR SHARING",
        "",
        *_demo_line(info),
        f"Study: {info.study.name}" if info else "Study: (none)",
        f"Made: {dt.datetime.now(dt.UTC):%Y-%m-%d}.",
        "",
        "This export holds every table of the study as it is: field notes and interview transcripts word for "
        "word, dated events' labels, team names and coaches, and participants, observers, coders and informants "
        "under the study's own pseudonymous codes, which the study team can link to the people. Keep it as the "
        "study's own data is kept, and give it to no one outside the study team: do not share or publish it or "
        "any table of it. For analysis by others under the study's data agreement, use the de-identified "
        "export; for sharing, the aggregate export.",
        "",
        "TABLES",
        "One per table of the study, as it is: " + ", ".join(db.STUDY_TABLES) + "; and memos, the researchers' "
        "memos on codings and codes, when the study has any.",
        *CONTRIBUTIONS_NOTE,
        "",
        "TEXT",
        "In CSV, a text cell that a spreadsheet would run as a formula (one beginning with =, +, -, @, a tab or a "
        "carriage return) starts with an added ', so that it is shown as text: remove that first ' to get the text "
        "as it was. In a workbook (XLSX), such text is kept as it was, in a text cell.",
        "In CSV and XLSX, control characters that a spreadsheet cannot hold (such as a vertical tab in text pasted "
        "from Word) are replaced by U+FFFD, the replacement character; how many, when there were any, is said at "
        "the end of this note.",
        "Parquet keeps the exact text, every character: a full export in Parquet fills an empty study again "
        "(python -m observation import --db NEW.duckdb --full-export FOLDER).",
    ]
    return "\n".join(lines) + "\n"


def _deidentified_notes(con: duckdb.DuckDBPyConnection) -> str:
    lines = [
        "De-identified export: NOT FOR PUBLICATION",
        "",
        *_demo_line(queries.study_info(con)),
        "This export holds pseudonymous rows about people: the participants, their attendance and "
        "participation at each meeting, coded segments of notes and interviews, recruitment steps and "
        "interviews. Participant, observer, coder and informant codes are replaced by fresh ones, free text "
        "(field notes, transcripts, annotation labels, memos) is dropped, teams are Team A, Team B…, and every date "
        "is shifted by one number of days for the whole study (intervals are kept; the dates are not the "
        "real ones) and kept to the day: times of day are dropped (a contribution's recorded_at or a note's "
        "written_at with its minute would tell when a meeting started). People can still be recognised from "
        "such rows, alone or with what else is known (a small team, a rare role, the pattern of someone's "
        "attendance).",
        "",
        "Share it only under the study's data agreement, with those it names, and keep it as the study's own "
        "data is kept. Do not publish it or any table of it. For sharing, use the aggregate export: counts "
        "of meetings and of contributions by team and month with small counts hidden.",
        "",
        *CONTRIBUTIONS_NOTE,
        "Here the observer is a fresh code, the same one a field note's author is given, and recorded_at is "
        "shifted with every other date and kept to its day, without the time of day.",
    ]
    return "\n".join(lines) + "\n"


def _deidentify(cur: duckdb.DuckDBPyConnection, frames: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    offset_days, salt = _study_key(cur)
    offset = pd.Timedelta(days=offset_days)

    def fresh(prefix: str, code: object) -> object:
        """The same new code for the same old one in every export, whatever else the study holds."""
        if code is None or (isinstance(code, float) and pd.isna(code)):
            return code
        return prefix + hmac.new(salt.encode(), f"{prefix}:{code}".encode(), hashlib.sha256).hexdigest()[:10].upper()

    out = {t: f.copy() for t, f in frames.items()}
    out["participants"]["code"] = out["participants"]["code"].map(lambda c: fresh("P", c))
    out["field_notes"]["author"] = out["field_notes"]["author"].map(lambda c: fresh("O", c))
    # an observer's contributions under the code their notes have
    out["contributions"]["observer"] = out["contributions"]["observer"].map(lambda c: fresh("O", c))
    out["field_notes"] = out["field_notes"].drop(columns=["body"])
    out["interviews"]["informant_code"] = out["interviews"]["informant_code"].map(lambda c: fresh("K", c))
    out["interviews"] = out["interviews"].drop(columns=["transcript"])
    out["coded_segments"]["coder"] = out["coded_segments"]["coder"].map(lambda c: fresh("C", c))
    out["annotations"] = out["annotations"].drop(columns=["label"])
    if MEMOS in out:  # which coding or code has a memo, by whom (a fresh code, as a coder's): not what it says
        out[MEMOS] = out[MEMOS].drop(columns=["body"])
        out[MEMOS]["author"] = out[MEMOS]["author"].map(lambda c: fresh("C", c))
    teams = out["teams"].sort_values("id")
    labels = {int(t): f"Team {letters(i)}" for i, t in enumerate(teams["id"])}
    out["teams"] = teams.assign(name=teams["id"].map(labels)).drop(columns=["coach", "service"])
    out["study"] = out["study"].assign(name="De-identified study").drop(columns=["description"])
    # Dates only: a time of day would say when a meeting started (a contribution's recorded_at, or a
    # note's written_at, less its minute), and with it which meeting of a known diary a row is.
    for table, columns in DATE_COLUMNS.items():
        for column in columns:
            if table in out and column in out[table]:
                out[table][column] = (pd.to_datetime(out[table][column]) + offset).dt.normalize()
    return out


@access.requires("researcher")
def _study_key(cur: duckdb.DuckDBPyConnection) -> tuple[int, str]:
    """The study's date offset and code salt for de-identified exports, made once and kept (made
    as a write like any other: one at a time, so two first exports agree on it)."""
    row = cur.execute("select date_offset_days, code_salt from deidentify").fetchone()
    if row is None:
        with db.transaction(cur) as write:
            offset = -secrets.randbelow(3 * 365) - 30
            write.execute(
                "insert into deidentify values (1, ?, ?) on conflict do nothing", [offset, secrets.token_hex(16)]
            )
        row = cur.execute("select date_offset_days, code_salt from deidentify").fetchone()
    assert row is not None
    return int(row[0]), str(row[1])


@access.requires("researcher")
def export(
    con: duckdb.DuckDBPyConnection,
    level: Level,
    fmt: Format,
    out: Path,
    threshold: int | None = None,
    settings: config.Settings | None = None,
) -> Contents:
    """Write the export to ``out`` (a folder for csv and parquet, a workbook for xlsx), whole or
    not at all, with its note, and audit it. ``threshold``: see ``tables``. Returns what it
    wrote, with how many control characters it replaced and text cells it kept from running
    (see the module's notes).

    It is written in a hidden staging folder beside ``out`` (``.{out.name}.exporting-…``, 0700,
    its files 0600, as ``out`` stays) and moved into place when whole: an export killed midway
    leaves only that folder, which the next export to the same name removes."""
    out = Path(out)
    if out.exists():
        raise ObservationError(f"{out} already exists: choose a new name for the export")
    contents = tables(con, level, threshold, settings)
    frames = contents.tables
    out.parent.mkdir(parents=True, exist_ok=True)
    try:
        with _staging(out) as staging:
            target = staging / out.name
            written = _write(contents, fmt, target)
            os.replace(target, out)
    except OSError as exc:
        raise ObservationError(f"{out}: the export could not be written ({exc.strerror or exc})") from None
    except ObservationError:
        raise
    except Exception as exc:  # a writer's message may quote a cell: only its kind is said
        raise ObservationError(f"{out}: the export could not be written ({type(exc).__name__})") from None
    after: dict[str, object] = {"level": level, "format": fmt, "tables": list(frames)}
    if contents.threshold is not None:
        after["threshold"] = contents.threshold
    after["control_characters_replaced"] = written.controls_replaced
    after["formula_cells"] = written.formula_cells
    with db.transaction(con, meetings=()) as cur:
        audit.record(cur, "export", row_key=str(out), after=after)
    return written


@contextmanager
def _staging(out: Path) -> Iterator[Path]:
    """A new, empty staging folder beside ``out`` (hidden, 0700), held by this process until the
    block ends (db.held: the lock goes with the process however it ends), then removed. What
    interrupted exports, backups and conversions left in that folder is removed first."""
    db.sweep_leftovers(out)
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}{db.EXPORTING}", dir=out.parent))
    try:
        with db.held(staging):
            yield staging
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _write(contents: Contents, fmt: Format, target: Path) -> Contents:
    """Write ``contents`` to ``target`` as ``fmt``; what was written, with its counts."""
    frames, notes = contents.tables, contents.notes
    if fmt == "parquet":  # data for R and the way back in: the exact text
        target.mkdir(mode=0o700)
        if notes is not None:
            _private_text(target / NOTES_FILE, notes)
        for name, frame in frames.items():
            _parquet_ready(frame).to_parquet(target / f"{name}.parquet", index=False)
            os.chmod(target / f"{name}.parquet", 0o600)
        return contents
    ready = {
        name: cells.for_spreadsheet(_excel_ready(frame) if fmt == "xlsx" else frame, quote=fmt == "csv")
        for name, frame in frames.items()
    }
    controls = sum(r.controls for r in ready.values())
    formulas = sum(r.formulas for r in ready.values())
    if notes is not None:
        notes, in_notes = cells.replace_controls(notes)
        controls += in_notes
        said = made_safe(Contents({}, controls_replaced=controls, formula_cells=formulas), fmt)
        notes += "".join(f"\n{line}\n" for line in said)
    if fmt == "xlsx":
        _refuse_too_long(frames)
        with pd.ExcelWriter(target, engine="openpyxl") as book:
            if notes is not None:
                lines = pd.DataFrame({NOTES_SHEET: notes.splitlines()}, dtype=object)
                _sheet(book, NOTES_SHEET, cells.for_spreadsheet(lines, quote=False))
            for name, cleaned in ready.items():
                _sheet(book, name[:31], cleaned)
        os.chmod(target, 0o600)
    else:
        target.mkdir(mode=0o700)
        if notes is not None:
            _private_text(target / NOTES_FILE, notes)
        for name, cleaned in ready.items():
            cells.to_csv(cleaned.frame, target / f"{name}.csv")
            os.chmod(target / f"{name}.csv", 0o600)
    return dataclasses.replace(contents, controls_replaced=controls, formula_cells=formulas)


XLSX_CELL = 32_767
"""The most characters a spreadsheet cell holds (Excel's limit; openpyxl cuts longer text)."""


def _refuse_too_long(frames: dict[str, pd.DataFrame]) -> None:
    """A workbook would cut a text longer than a cell holds: refuse, naming the longest, and point
    to the formats that keep it whole."""
    long = [
        (len(text), table, column, row)
        for table, frame in frames.items()
        for column in frame.columns
        if frame[column].dtype == object or pd.api.types.is_string_dtype(frame[column])
        for row, text in enumerate(frame[column].tolist(), start=2)
        if isinstance(text, str) and len(text) > XLSX_CELL
    ]
    if long:
        size, table, column, row = max(long)
        raise ObservationError(
            f"{len(long):,} text(s) are longer than the {XLSX_CELL:,} characters a spreadsheet cell holds, so a "
            f"workbook would cut them (the longest: {table}, row {row}, {column}, {size:,} characters); "
            "export as CSV or Parquet, which keep them whole"
        )


def _private_text(path: Path, text: str) -> None:
    path.write_text(text, encoding="utf-8")
    os.chmod(path, 0o600)


def _sheet(book: pd.ExcelWriter, name: str, cleaned: cells.Cleaned) -> None:
    """One sheet of the workbook; text that openpyxl would store as a formula ("=…") or an error
    ("#N/A") is stored as a text cell instead, with Excel's quote prefix so that it stays text
    when edited. Its value is the text as it is."""
    cleaned.frame.to_excel(book, sheet_name=name, index=False)
    sheet = book.sheets[name]
    for row, column in cleaned.where:
        cell = sheet.cell(row=row + 2, column=column + 1)  # below the header row; openpyxl counts from 1
        cell.data_type = "s"
        cell.quotePrefix = True


def made_safe(written: Contents, fmt: Format) -> list[str]:
    """What an export made safe for a spreadsheet, said in a sentence each (nothing when nothing was)."""
    said = []
    if n := written.controls_replaced:
        said.append(
            f"{_count(n, 'control character')} (such as a vertical tab in text pasted from Word) "
            f"{'was' if n == 1 else 'were'} replaced by U+FFFD, the replacement character: a spreadsheet "
            f"cannot hold {'it' if n == 1 else 'them'}. The study keeps the text as it was."
        )
    if (n := written.formula_cells) and fmt == "csv":
        said.append(
            f"{_count(n, 'text cell')} {'begins' if n == 1 else 'begin'} with =, +, -, @, a tab or a carriage "
            f"return: {'it starts' if n == 1 else 'each starts'} with ' so that a spreadsheet shows it as text "
            "instead of running it as a formula (remove that first ' to get the text as it was)."
        )
    return said


def _count(n: int, thing: str) -> str:
    return f"{n:,} {thing}{'' if n == 1 else 's'}"


def _parquet_ready(frame: pd.DataFrame) -> pd.DataFrame:
    """A Parquet column has one type: a count column that holds "[c]" is written as text."""
    hideable = [
        c for c in (*HIDEABLE, *LIVE_HIDEABLE, *EXPERIENCE_HIDEABLE, SCORE, *IMPACT_HIDEABLE) if c in frame.columns
    ]
    return frame.astype(dict.fromkeys(hideable, "string")) if hideable else frame


def _excel_ready(frame: pd.DataFrame) -> pd.DataFrame:
    """Excel cannot hold lists: they become text (control characters and formulas: see _write)."""
    ready = frame.copy()
    for column in ready.columns:
        if ready[column].dtype == object and any(isinstance(x, list) for x in ready[column]):
            ready[column] = ready[column].map(lambda x: ", ".join(map(str, x)) if isinstance(x, list) else x)
    return ready


@access.requires("researcher")
def backup(path: db.Location, out: Path) -> None:
    """Copy the study at ``path`` to ``out`` as one consistent file (checkpointed first)."""
    path, out = db.require_file(path, "backup"), Path(out)
    if not path.exists():
        raise ObservationError(f"{path}: no study file here")
    if out.exists():
        raise ObservationError(f"{out} already exists: choose a new name for the backup")
    con = db.connect(path)
    try:
        con.execute("checkpoint")
        _copy_into_place(path, out)
    finally:
        con.close()


@access.requires("researcher")
def convert(path: db.Location, key: str | None, new_key: str | None) -> bool:
    """Encrypt, decrypt or re-key the study at ``path`` (see db.convert): a researcher's act.
    False when it already was as asked (nothing changed)."""
    return db.convert(db.require_file(path, "encryption"), key, new_key)


@access.requires("researcher", study="path")
def restore(backup_file: db.Location, path: db.Location) -> Path | None:
    """Replace the study at ``path`` with ``backup_file``, after checking that the backup holds a
    study and that no program has either file open. The study it replaces is kept beside it
    (returned); the restore is audited in the restored study."""
    backup_file, path = db.require_file(backup_file, "restore"), db.require_file(path, "restore")
    if not backup_file.exists():
        raise ObservationError(f"{backup_file}: no backup file here")
    check = db.connect(backup_file)  # busy or foreign files stop here; checkpointing folds in its WAL
    try:
        if check.execute("select count(*) from study").fetchone() != (1,):
            raise ObservationError(f"{backup_file}: holds no study, so it cannot be restored")
        check.execute("checkpoint")
    finally:
        check.close()
    kept = None
    if path.exists():
        con = db.connect(path)  # the study must not be open elsewhere; fold in its WAL before the copy
        con.execute("checkpoint")
        con.close()
        kept = path.with_name(f"{path.name}.before-restore-{dt.datetime.now(dt.UTC):%Y%m%d-%H%M%S}")
        _copy_into_place(path, kept)
    Path(f"{path}.wal").unlink(missing_ok=True)
    _copy_into_place(backup_file, path)
    con = db.connect(path)
    try:
        with db.transaction(con) as cur:
            audit.record(cur, "restore", row_key=str(backup_file), after={"kept": str(kept) if kept else None})
    finally:
        con.close()
    return kept


def _copy_into_place(source: Path, target: Path) -> None:
    """Copy ``source`` to ``target`` whole or not at all: written first to ``.TARGET.XXXXXXXX.partial``
    beside it, created 0600 (whatever the umask; so is ``target``) and held by this process, then
    moved into place. Stopped by an error, Ctrl-C, SIGTERM or SIGHUP, the partial copy is removed;
    killed outright, the next backup, restore or opening of a study in that folder removes it
    and says so (db.sweep_leftovers)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    db.sweep_leftovers(target)
    with db.cleanup_on_signals():
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=db.PARTIAL, dir=target.parent)
        try:
            db.hold(fd)
            with open(source, "rb", buffering=0) as src, open(fd, "wb", buffering=0, closefd=False) as dst:
                shutil.copyfileobj(src, dst, 1 << 20)
            os.replace(tmp, target)
        except OSError as exc:
            raise ObservationError(f"{target}: could not be written ({exc.strerror or exc})") from None
        finally:
            Path(tmp).unlink(missing_ok=True)
            os.close(fd)


@access.requires("researcher")
def load_full_export(con: duckdb.DuckDBPyConnection, folder: Path) -> list[str]:
    """Fill an empty study from a full export in Parquet (one file per table), in one transaction:
    every file is read and checked first, then every table (the memos too) goes in with its audit
    entry, or nothing does (a retry after a refusal finds the study still empty). The round trip
    gives back every table as it was exported (an export made before a table of ADDED_LATER
    existed, without its rows). (CSV cannot tell an empty text from a missing
    value, so only Parquet is taken back in.)"""
    folder = Path(folder)
    if not folder.is_dir():
        raise ObservationError(f"{folder}: not a folder of exported tables")
    with db.cursor(con) as cur:
        db.require_empty(cur, "a full export")
    frames: dict[str, pd.DataFrame] = {}
    for table in db.STUDY_TABLES:
        parquet = folder / f"{table}.parquet"
        if not parquet.exists() and table in ADDED_LATER:
            continue  # an export made before the study had the table: none of its rows
        if not parquet.exists():
            raise ObservationError(f"{folder}: the {table} table is missing; is this a full export in Parquet?")
        frames[table] = _read_parquet(parquet)
    problems = table_checks.check(frames, lambda table: f"{table}.parquet")
    if problems:  # the checks a spreadsheet import makes: nothing is written
        raise ImportProblems(problems)
    memos = folder / f"{MEMOS}.parquet"
    if memos.exists():  # read before anything is written: a file that cannot be read stops the whole load
        frames[MEMOS] = _read_parquet(memos)
    with db.transaction(con) as cur:
        db.require_empty(cur, "a full export", (*db.STUDY_TABLES, MEMOS))
        for table in db.STUDY_TABLES:
            if table in frames:
                _insert_frame(cur, table, frames[table])
        integrity.require_intact(cur)
        db.sync_sequences(cur)
        if MEMOS in frames:
            try:
                _insert_frame(cur, MEMOS, frames[MEMOS])
            except duckdb.Error as exc:
                reason = str(exc).splitlines()[0]
                raise ObservationError(f"{memos.name}: its memos cannot go into the study ({reason})") from None
            integrity.require_intact(cur, {MEMOS})
        audit.record(cur, "import", row_key=str(folder), after={"full_export": list(frames)})
    return list(frames)


def _read_parquet(parquet: Path) -> pd.DataFrame:
    try:
        return pd.read_parquet(parquet)
    except Exception as exc:
        raise ObservationError(f"{parquet.name}: cannot be read as Parquet ({type(exc).__name__})") from None


def _insert_frame(cur: duckdb.DuckDBPyConnection, table: str, frame: pd.DataFrame) -> None:
    """Insert one exported table as it is, as the demo's write_tables does; a refusal (a codebook's
    cycle) names the table's file."""
    try:
        insert_table(cur, table, frame)
    except ObservationError as exc:
        raise ObservationError(f"{table}.parquet: {exc}") from None
