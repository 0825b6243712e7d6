"""Generates the demo study's rows, team by team, from seeded random streams."""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field

import pandas as pd

from observation.demo.content import (
    CANCELLED,
    CARER,
    CLOSING,
    CODEBOOK,
    HOME,
    INTERVIEW_SNIPPETS,
    POSTPONED,
    PROCESS,
    SU_ABSENT,
    SU_PRESENT,
    TENSION_COMMUNITY,
    TENSION_INPATIENT,
    TRAINED,
    Fact,
    NoteTemplate,
    TeamFact,
)
from observation.demo.experience import experience_and_impact
from observation.demo.spec import LIVE_MONTHS, STAFF_ROLES, DemoSpec, TeamProfile, team_profile
from observation.models import (
    ContributionKind,
    InformantGroup,
    MeetingFormat,
    MeetingRole,
    ParticipationLevel,
    RoleCategory,
    Setting,
)

CODERS = ("R01", "R02")
NUMBER_WORDS = {2: "Two", 3: "Three", 4: "Four", 5: "Five"}


def demo_study_name(teams: int) -> str:
    count = "three" if teams == 3 else f"{teams:,}"
    return f"Synthetic demo study: service-user involvement in {count} microsystem team{'s' if teams > 1 else ''}"


OBSERVERS = ("OB-01", "OB-02")
LEADS: tuple[ContributionKind, ...] = ("raised_item", "proposed_change")
TALK: tuple[ContributionKind, ...] = ("spoke", "spoke", "challenged", "raised_item", "proposed_change")
ANY: tuple[ContributionKind, ...] = ("spoke", "spoke", "challenged", "raised_item", "proposed_change", "took_action")


@dataclass
class _Columns:
    """Rows of one table, gathered column by column (fast enough for a million rows)."""

    names: tuple[str, ...]
    data: dict[str, list[object]] = field(default_factory=dict)

    def add(self, *values: object) -> None:
        for name, value in zip(self.names, values, strict=True):
            self.data.setdefault(name, []).append(value)

    def __len__(self) -> int:
        return len(self.data.get(self.names[0], []))

    def frame(self) -> pd.DataFrame:
        return pd.DataFrame({name: self.data.get(name, []) for name in self.names})


@dataclass
class _Person:
    id: int
    code: str
    role: RoleCategory
    qi_trained: bool = False
    approached: dt.date | None = None
    decided: dt.date | None = None  # the day they agreed or declined
    agreed: dt.date | None = None
    withdrew: dt.date | None = None


@dataclass
class _SoFar:
    """What a team's earlier meetings recorded, for the notes that refer back to them. Notes
    draw from their own random stream, so what they say never changes who came."""

    notes_rng: random.Random
    live_rng: random.Random
    """Its own stream too: the contributions observed live never change who came or what notes say."""
    su_last_time: bool | None = None  # whether a service user came to the previous held meeting
    recorders: set[int] = field(default_factory=set)
    at_base: set[int] = field(default_factory=set)  # came to a meeting at the service base


@dataclass(frozen=True)
class _Held:
    """The records of one held meeting, for the notes written about it."""

    id: int
    day: dt.date
    fmt: MeetingFormat
    duration: int
    action_items: int
    evaluated: bool
    levels: dict[int, ParticipationLevel]  # of everyone present
    held_by: dict[MeetingRole, int]
    staff: list[_Person]  # present
    su_present: list[_Person]
    carer_present: list[_Person]


_Said = dict[int, list[tuple[int, ContributionKind]]]
"""What a meeting's notes say each person did (by participant id): (the note's minute, the contribution)."""


class _Generator:
    def __init__(self, spec: DemoSpec) -> None:
        self.spec = spec
        self.teams = _Columns(("id", "name", "service", "setting", "start_date", "coach"))
        self.participants = _Columns(("id", "code", "team_id", "role", "qi_trained"))
        self.meetings = _Columns(
            ("id", "team_id", "meeting_date", "duration_minutes", "status", "format", "action_items", "evaluated")
        )
        self.roles = _Columns(("meeting_id", "role", "participant_id"))
        self.attendance = _Columns(("meeting_id", "participant_id", "status", "participation"))
        self.notes = _Columns(("id", "meeting_id", "position", "minute", "author", "written_at", "body"))
        self.contributions = _Columns(
            ("id", "meeting_id", "participant_id", "kind", "minute", "observer", "recorded_at")
        )
        self.live_from = self.month_start(max(0, spec.months - LIVE_MONTHS))
        self.interviews = _Columns(
            ("id", "informant_code", "informant_group", "team_id", "interview_date", "transcript")
        )
        self.codes = _Columns(("id", "slug", "parent_id", "name", "definition", "com_b", "valence", "four_pi"))
        self.segments = _Columns(("id", "note_id", "interview_id", "code_id", "coder", "span_start", "span_end"))
        self.recruitment = _Columns(("id", "participant_id", "stage", "event_date", "reason_code_id"))
        self.annotations = _Columns(("id", "team_id", "event_date", "label", "category"))
        self.code_ids: dict[str, int] = {}
        # Where the coders' passages fall: its own stream, so that spans never change what else is drawn.
        self.spans_rng = random.Random(f"{spec.seed}-spans")
        # per team, for the interviews: its setting, its first held home meeting, its QI training
        self.settings: dict[int, Setting] = {}
        self.first_home: dict[int, dt.date] = {}
        self.trained_from: dict[int, dt.date] = {}
        self._codebook()

    def _codebook(self) -> None:
        for i, code in enumerate(CODEBOOK, start=1):
            self.code_ids[code.slug] = i
            parent = self.code_ids.get(code.slug.rpartition(".")[0]) if "." in code.slug else None
            self.codes.add(i, code.slug, parent, code.name, code.definition, code.com_b, code.valence, code.four_pi)

    def month_start(self, index: int) -> dt.date:
        year, month = divmod(self.spec.start.month - 1 + index, 12)
        return dt.date(self.spec.start.year + year, month + 1, 1)

    def run(self) -> dict[str, pd.DataFrame]:
        for index in range(self.spec.teams):
            self.team(index, team_profile(self.spec.seed, self.spec.months, index))
        self.interviews_and_study_annotation()
        tables = {
            "study": pd.DataFrame(
                [
                    {
                        "id": 1,
                        "name": demo_study_name(self.spec.teams),
                        "is_demo": True,
                        "description": (
                            f"Invented data: {self.spec.teams} teams, {self.spec.months} months from "
                            f"{self.spec.start:%B %Y}, seed {self.spec.seed}. No real person, team or place."
                        ),
                        "created_at": dt.datetime.combine(self.spec.end, dt.time(18, 0)),
                    }
                ]
            ),
            "teams": self.teams.frame(),
            "participants": self.participants.frame(),
            "meetings": self.meetings.frame(),
            "meeting_roles": self.roles.frame(),
            "attendance": self.attendance.frame(),
            "contributions": self.contributions.frame(),
            "field_notes": self.notes.frame(),
            "interviews": self.interviews.frame(),
            "codes": self.codes.frame(),
            "coded_segments": self.segments.frame(),
            "recruitment_events": self.recruitment.frame(),
            "annotations": self.annotations.frame(),
        }
        return tables | experience_and_impact(self.spec, tables)

    # --- one team ---------------------------------------------------------------------------

    def person(self, team_id: int, prefix: str, number: int, role: RoleCategory) -> _Person:
        pid = len(self.participants) + 1
        code = f"{prefix}{team_id:03d}-{number:02d}" if self.spec.teams > 9 else f"{prefix}{team_id}-{number:02d}"
        self.participants.add(pid, code, team_id, role, False)
        return _Person(pid, code, role)

    def team(self, index: int, p: TeamProfile) -> None:
        rng = random.Random(f"{self.spec.seed}-team-{index}")
        team_id = index + 1
        self.teams.add(team_id, p.name, p.service, p.setting, self.spec.start, f"CO-{(index // 4) + 1:02d}")
        staff = [self.person(team_id, "ST", n, role) for n, role in enumerate(STAFF_ROLES[p.setting], start=1)]
        staff = staff[: rng.randint(6, len(staff))]
        change = self.month_start(p.change_month) if p.change_month is not None else None
        training = self.month_start(p.training_month) if p.training_month is not None else None
        if change is not None:
            self.annotate(team_id, change, "Home microsystem meetings began", "home_meetings")
        if training is not None:
            self.annotate(team_id, training, "QI training for service users", "qi_training")
        if p.setting == "inpatient" and self.spec.months >= 4:
            self.annotate(team_id, self.month_start(2), "Recruitment drive on the ward", "recruitment_drive")

        service_users = self.recruit(rng, team_id, p, change)
        carers = [self.person(team_id, "CA", n, "carer") for n in range(1, rng.randint(1, 2) + 1)]
        for c in carers:
            c.agreed = self.spec.start
        if training is not None:
            for su in service_users:
                if su.agreed is not None and su.withdrew is None:
                    su.qi_trained = True
                    self.participants.data["qi_trained"][su.id - 1] = True
                    self.trained_from[team_id] = training
        self.settings[team_id] = p.setting

        so_far = _SoFar(
            random.Random(f"{self.spec.seed}-notes-{index}"), random.Random(f"{self.spec.seed}-live-{index}")
        )
        day = self.spec.start + dt.timedelta(days=rng.randint(1, 3))
        while day <= self.spec.end:
            self.meeting(rng, so_far, team_id, p, day, staff, service_users, carers, change, training)
            day += dt.timedelta(days=14)
        self.withdrawals(rng, service_users)

    def recruit(self, rng: random.Random, team_id: int, p: TeamProfile, change: dt.date | None) -> list[_Person]:
        """Identify, approach and (maybe) sign up the team's service users; record each step."""
        people = []
        for n in range(1, p.su_candidates + 1):
            su = self.person(team_id, "SU", n, "service_user")
            people.append(su)
            # Home meetings bring a second wave of recruitment with it.
            wave_start = change - dt.timedelta(days=30) if change is not None and n > 2 else self.spec.start
            identified = wave_start + dt.timedelta(days=rng.randint(0, 40))
            approached = identified + dt.timedelta(days=rng.randint(5, 30))
            if approached > self.spec.end:
                self.event(su.id, "identified", identified, None)
                continue
            self.event(su.id, "identified", identified, None)
            self.event(su.id, "approached", approached, None)
            su.approached = approached
            agree_rate = 0.95 if change is not None and n > 2 else p.su_agree_rate
            decided = approached + dt.timedelta(days=rng.randint(3, 21))
            if decided <= self.spec.end:
                su.decided = decided
            if rng.random() < agree_rate and decided <= self.spec.end:
                su.agreed = decided
                self.event(su.id, "agreed", decided, None)
                if p.setting == "inpatient" and rng.random() < 0.7:
                    su.withdrew = decided + dt.timedelta(days=rng.randint(40, 90))
            elif decided <= self.spec.end:
                reasons = (
                    ("recruitment_tension.complexity_of_illness", "recruitment_tension.well_enough")
                    if p.setting == "inpatient"
                    else ("recruitment_tension.staff_time", "recruitment_tension.right_service_user")
                )
                self.event(su.id, "declined", decided, self.code_ids[rng.choice(reasons)])
        return people

    def meeting(
        self,
        rng: random.Random,
        so_far: _SoFar,
        team_id: int,
        p: TeamProfile,
        day: dt.date,
        staff: list[_Person],
        service_users: list[_Person],
        carers: list[_Person],
        change: dt.date | None,
        training: dt.date | None,
    ) -> None:
        """Add one meeting with its attendance, roles and notes."""
        mid = len(self.meetings) + 1
        roll = rng.random()
        if roll < p.cancel_rate:
            status = "cancelled"
        elif roll < p.cancel_rate + 0.03:
            status = "postponed"
        else:
            status = "held"
        active = [s for s in service_users if s.agreed and s.agreed <= day and not (s.withdrew and s.withdrew <= day)]
        after_change = change is not None and day >= change
        base: MeetingFormat = "ward" if p.setting == "inpatient" else "service_base"
        fmt = base
        if after_change and rng.random() < 0.5:
            fmt = "home" if active else base  # a meeting at home needs someone to be at home with
        elif rng.random() < 0.05:
            fmt = "virtual"
        if status != "held":
            self.meetings.add(mid, team_id, day, None, status, fmt, None, None)
            nrng = so_far.notes_rng
            room: frozenset[Fact] = frozenset({"booked_room"}) if fmt in ("ward", "service_base") else frozenset()
            if nrng.random() < 0.5:
                fitting = [t for t in (CANCELLED if status == "cancelled" else POSTPONED) if t.fits(room)]
                template = nrng.choice(fitting)
                self.note(nrng, mid, day, 1, template, template.text, None, {})
            return
        evaluated = rng.random() < (0.75 if after_change else 0.5)
        duration = rng.choice((45, 50, 60, 60, 75))
        action_items = rng.randint(0, 5)
        self.meetings.add(mid, team_id, day, duration, "held", fmt, action_items, evaluated)

        # Attendance is written once the roles are known: whoever leads or facilitates co-leads.
        rows: list[tuple[int, str]] = []
        levels: dict[int, ParticipationLevel] = {}
        present: list[_Person] = []
        for person in staff:
            r = rng.random()
            status_ = "present" if r < 0.78 else "apologies" if r < 0.92 else "absent"
            rows.append((person.id, status_))
            if status_ == "present":
                present.append(person)
                levels[person.id] = rng.choices(("observing", "contributing", "co_leading"), (1, 7, 2))[0]

        rate = p.su_rate_after if after_change else p.su_rate
        if fmt == "home":
            rate = 1.0  # a meeting at a service user's home has them in it
        coming = set()
        if active and rng.random() < rate:
            coming = {rng.choice(active).id}
            if len(active) > 1 and rng.random() < 0.3:
                coming.add(rng.choice(active).id)
        trained_now = training is not None and day >= training
        su_present = []
        for su in active:
            if su.id in coming:
                weights = (1, 5, 4) if trained_now and su.qi_trained else (5, 4, 1)
                levels[su.id] = rng.choices(("observing", "contributing", "co_leading"), weights)[0]
                rows.append((su.id, "present"))
                su_present.append(su)
            else:
                rows.append((su.id, "apologies" if rng.random() < 0.5 else "absent"))
        carer_present = []
        for carer in carers:
            if rng.random() < p.carer_rate:
                levels[carer.id] = rng.choice(("observing", "contributing"))
                rows.append((carer.id, "present"))
                carer_present.append(carer)
            elif rng.random() < 0.2:
                rows.append((carer.id, "apologies"))

        held_by = self.fill_roles(rng, mid, present, su_present, trained_now)
        for role in ("leader", "facilitator"):
            if role in held_by:
                levels[held_by[role]] = "co_leading"
        for pid, status_ in rows:
            self.attendance.add(mid, pid, status_, levels.get(pid) if status_ == "present" else None)

        held = _Held(
            mid, day, fmt, duration, action_items, evaluated, levels, held_by, present, su_present, carer_present
        )
        first_note = len(self.notes)
        said = self.meeting_notes(so_far, p, held, trained_now, self.facts(held, so_far, service_users))
        if day >= self.live_from:
            self.observed_live(so_far.live_rng, held, str(self.notes.data["author"][first_note]), said)
        if fmt == "home":
            self.first_home.setdefault(team_id, day)
        so_far.su_last_time = bool(su_present)
        if "recorder" in held_by:
            so_far.recorders.add(held_by["recorder"])
        if fmt == "service_base":
            so_far.at_base.update(levels)

    def observed_live(self, rng: random.Random, held: _Held, observer: str, said: _Said) -> None:
        """The contributions the meeting's observer (the author of its first note) tapped, each
        person's agreeing with the level recorded for them (the capture page's suggestion):
        observing, none; contributing, at least one, never both an item raised or a change
        proposed and an action taken; co-leading, both. What the notes ``said`` someone did is
        among them, at the minute of its note (a note saying they suggested a change has the change
        proposed). Staff say more than service users and carers; items are raised in the first half,
        actions taken in the second."""
        lived = {p.id for p in (*held.su_present, *held.carer_present)}
        tapped: list[tuple[int, int, ContributionKind]] = []
        for person, level in held.levels.items():
            if level == "observing":
                continue
            noted = said.get(person, [])
            leads = [kind for _, kind in noted if kind in LEADS]
            extra = rng.randint(0, 3) if person in lived else rng.randint(1, 4)
            if level == "co_leading":
                lead = rng.choice(LEADS)
                kinds, free = [leads[0] if leads else lead, "took_action", *rng.choices(ANY, k=extra)], 2
            elif rng.random() < 0.3 and not leads:  # an action taken, no item raised nor change proposed
                kinds, free = ["took_action", *rng.choices(("spoke", "challenged", "took_action"), k=extra)], 1
            else:
                kinds, free = [rng.choice(("spoke", "spoke", *LEADS)), *rng.choices(TALK, k=extra)], 0
            drawn = [(self.minute(rng, held.duration, kind), kind) for kind in kinds]
            tapped += [(minute, person, kind) for minute, kind in self.as_noted(drawn, free, noted)]
        start = dt.datetime.combine(held.day, dt.time(10, 0))
        for minute, person, kind in sorted(tapped):
            at = start + dt.timedelta(minutes=minute, seconds=rng.randint(0, 59))
            self.contributions.add(len(self.contributions) + 1, held.id, person, kind, minute, observer, at)

    @staticmethod
    def as_noted(
        drawn: list[tuple[int, ContributionKind]], free: int, noted: list[tuple[int, ContributionKind]]
    ) -> list[tuple[int, ContributionKind]]:
        """Someone's contributions ``drawn`` at random, (minute, kind), of which the first ``free``
        make their level, with what the notes say they did (``noted``) among them: a noted kind
        they lack is added at its note's minute, in place of a drawn one not needed, so that people
        named in notes say no more than the others."""
        fixed, spare = drawn[:free], drawn[free:]
        needed = {kind for _, kind in noted}
        for minute, kind in noted:
            has = [k for _, k in (*fixed, *spare)]
            if kind in has:
                continue
            unneeded = [i for i, (_, k) in enumerate(spare) if k not in needed or has.count(k) > 1]
            if unneeded:
                del spare[unneeded[-1]]
            fixed.append((minute, kind))
        return [*fixed, *spare]

    @staticmethod
    def minute(rng: random.Random, duration: int, kind: ContributionKind) -> int:
        """When in the meeting: an agenda item early, an action late, the rest at any time."""
        half = duration // 2
        if kind == "raised_item":
            return rng.randint(0, half)
        if kind == "took_action":
            return rng.randint(half, duration - 1)
        return rng.randint(0, duration - 1)

    @staticmethod
    def facts(held: _Held, so_far: _SoFar, service_users: list[_Person]) -> frozenset[Fact]:
        """What the records of a held meeting show, for the notes that say so (content.Fact)."""
        facts: set[Fact] = set()
        if "leader" in held.held_by:
            facts.add("leader")
        if "timekeeper" in held.held_by:
            facts.add("timekeeper")
        if "recorder" in held.held_by and held.held_by["recorder"] not in so_far.recorders:
            facts.add("new_recorder")
        if held.evaluated:
            facts.add("evaluated")
        if held.action_items in NUMBER_WORDS:
            facts.add("actions")
        if not held.su_present and not held.carer_present:
            facts.add("staff_only")
        if so_far.su_last_time is False:
            facts.add("absent_last_time")
        if sum(s.role == "nurse" for s in held.staff) >= 2:
            facts.add("two_nurses")
        if any(s.role == "manager" for s in held.staff):
            facts.add("manager")
        if any(su.approached and su.approached <= held.day < (su.decided or dt.date.max) for su in service_users):
            facts.add("someone_waiting")
        return frozenset(facts)

    def fill_roles(
        self, rng: random.Random, mid: int, staff: list[_Person], su_present: list[_Person], trained_now: bool
    ) -> dict[MeetingRole, int]:
        """Give the meeting's roles to people present; return who holds each role filled."""
        held_by: dict[MeetingRole, int] = {}
        pool = staff[:]
        rng.shuffle(pool)
        roles: tuple[tuple[MeetingRole, float], ...] = (
            ("leader", 0.95),
            ("facilitator", 0.8),
            ("timekeeper", 0.65),
            ("recorder", 0.85),
        )
        for role, chance in roles:
            trained = [s for s in su_present if s.qi_trained]
            if role == "facilitator" and trained_now and trained and rng.random() < 0.6:
                held_by[role] = trained[0].id
            elif pool and rng.random() < chance:
                held_by[role] = pool.pop().id
        for role, pid in held_by.items():
            self.roles.add(mid, role, pid)
        return held_by

    def meeting_notes(
        self, so_far: _SoFar, p: TeamProfile, held: _Held, trained_now: bool, facts: frozenset[Fact]
    ) -> _Said:
        """The observer's notes, in the order of the meeting, each one true of its records: a note
        about a person is one of the templates tied to the level recorded for them, and any note
        is written only where the facts it states hold. Returns what the notes say each person
        did (their template's ``implies``), at the note's minute, for the contributions observed live."""
        rng = so_far.notes_rng
        chosen: list[tuple[NoteTemplate, _Person | None]] = []

        def about(templates: tuple[NoteTemplate, ...], person: _Person) -> None:
            known = set(facts)
            if held.held_by.get("facilitator") == person.id:
                known.add("facilitator")
            if person.id in so_far.at_base:
                known.add("been_at_base")
            fitting = [t for t in templates if t.fits(frozenset(known), held.levels[person.id])]
            if fitting:
                chosen.append((rng.choice(fitting), person))

        def general(templates: tuple[NoteTemplate, ...], k: int = 1) -> None:
            fitting = [t for t in templates if t.fits(facts)]
            chosen.extend((t, None) for t in rng.sample(fitting, min(k, len(fitting))))

        if held.su_present:
            about(SU_PRESENT, held.su_present[0])
        else:
            general(SU_ABSENT)
        if held.carer_present:
            about(CARER, held.carer_present[0])
        if held.fmt == "home" and held.su_present:
            about(HOME, held.su_present[0])
        trained = [s for s in held.su_present if s.qi_trained]
        if trained_now and trained:
            about(TRAINED, trained[0])
        if rng.random() < p.tension_rate:
            general(TENSION_INPATIENT if p.setting == "inpatient" else TENSION_COMMUNITY)
        general(PROCESS, rng.randint(1, 2))
        if rng.random() < 0.4:
            general(CLOSING)
        step = held.duration // len(chosen)  # every note within the meeting's minutes
        said: _Said = {}
        for position, (template, who) in enumerate(chosen, start=1):
            values = {"who": "" if who is None else who.code, "actions": NUMBER_WORDS.get(held.action_items, "")}
            minute = (position - 1) * step + rng.randint(0, step - 1)
            self.note(rng, held.id, held.day, position, template, template.text.format(**values), minute, values)
            if who is not None:
                said.setdefault(who.id, []).extend((minute, kind) for kind in template.implies)
        return said

    def note(
        self,
        rng: random.Random,
        mid: int,
        day: dt.date,
        position: int,
        template: NoteTemplate,
        text: str,
        minute: int | None,
        values: dict[str, str],
    ) -> None:
        nid = len(self.notes) + 1
        written = dt.datetime.combine(day, dt.time(10, 0)) + dt.timedelta(minutes=minute or 0)
        self.notes.add(nid, mid, position, minute, rng.choice(OBSERVERS), written, text)
        carried = template.spans(**values)
        for slug, span in zip(template.codes, carried, strict=True):
            self.segment(nid, None, slug, CODERS[0], self.first_coder(span))
        # About one note in five is coded again by a second coder, who mostly agrees.
        if rng.random() < 0.2:
            for slug, span in zip(template.codes, carried, strict=True):
                if rng.random() < 0.85:
                    self.segment(nid, None, slug, CODERS[1], self.second_coder(text, span))
            if rng.random() < 0.1:
                self.segment(nid, None, rng.choice(CODEBOOK).slug, CODERS[1])  # a code of their own, the whole note

    def first_coder(self, span: tuple[int, int]) -> tuple[int, int] | None:
        """The first coder codes the passage that carries the code; now and then the whole note."""
        return None if self.spans_rng.random() < 0.05 else span

    def second_coder(self, text: str, span: tuple[int, int]) -> tuple[int, int] | None:
        """The second coder mostly codes the same passage, often a word more or less of it, and
        now and then the whole note."""
        roll = self.spans_rng.random()
        if roll < 0.1:
            return None
        return span if roll < 0.6 else nudged(text, span, self.spans_rng)

    def segment(
        self, note_id: int | None, interview_id: int | None, slug: str, coder: str, span: tuple[int, int] | None = None
    ) -> None:
        start, end = span if span is not None else (None, None)
        self.segments.add(len(self.segments) + 1, note_id, interview_id, self.code_ids[slug], coder, start, end)

    def event(self, participant_id: int, stage: str, day: dt.date, reason: int | None) -> None:
        self.recruitment.add(len(self.recruitment) + 1, participant_id, stage, day, reason)

    def annotate(self, team_id: int | None, day: dt.date, label: str, category: str) -> None:
        self.annotations.add(len(self.annotations) + 1, team_id, day, label, category)

    def withdrawals(self, rng: random.Random, service_users: list[_Person]) -> None:
        """Record who withdrew within the period, with a coded reason. First attended and still
        attending are not recorded: they are read from attendance. A person stops coming on the
        day they withdraw, so it is dated after their last present attendance."""
        for person in service_users:
            if person.withdrew is not None and person.withdrew <= self.spec.end:
                reason = rng.choice(("recruitment_tension.complexity_of_illness", "recruitment_tension.well_enough"))
                self.event(person.id, "withdrew", person.withdrew, self.code_ids[reason])

    def interviews_and_study_annotation(self) -> None:
        """25 key-informant interviews, as in the study: each says only what its informant group
        could say and its team's records bear out (content.InterviewSnippet)."""
        rng = random.Random(f"{self.spec.seed}-interviews")
        groups: tuple[InformantGroup, ...] = ("leader_manager",) * 8 + ("frontline_staff",) * 12 + ("service_user",) * 5
        interview_day = self.spec.end - dt.timedelta(days=40)
        for n, group in enumerate(groups, start=1):
            team_id = rng.randint(1, self.spec.teams)
            day = interview_day + dt.timedelta(days=rng.randint(0, 40))
            facts: set[TeamFact] = set()
            if self.settings[team_id] == "inpatient":
                facts.add("inpatient")
            if self.first_home.get(team_id, dt.date.max) <= day:
                facts.add("home_meetings")
            if self.trained_from.get(team_id, dt.date.max) <= day:
                facts.add("qi_training")
            fitting = [s for s in INTERVIEW_SNIPPETS if group in s.groups and s.needs <= facts]
            picks = rng.sample(fitting, min(3, len(fitting)))
            iid = n
            self.interviews.add(iid, f"KI-{n:02d}", group, team_id, day, " ".join(s.text for s in picks))
            start = 0
            for snippet in picks:  # each code on the snippet that carries it
                for slug in snippet.codes:
                    self.segment(None, iid, slug, CODERS[0], (start, start + len(snippet.text)))
                start += len(snippet.text) + 1
        winters = [self.month_start(i) for i in range(self.spec.months) if self.month_start(i).month == 12]
        if winters:
            self.annotate(None, winters[0], "Winter pressures across the trust", "service_change")


def nudged(text: str, span: tuple[int, int], rng: random.Random) -> tuple[int, int]:
    """``span`` of ``text`` a word longer or shorter at one end (as it was when no word is left to take)."""
    lo, hi = span
    move = rng.randrange(4)
    if move == 0:  # from a word earlier
        space = text.rfind(" ", 0, max(lo - 1, 0))
        lo = space + 1 if space >= 0 else 0
    elif move == 1:  # from a word later
        space = text.find(" ", lo, hi)
        lo = space + 1 if 0 <= space < hi - 1 else lo
    elif move == 2:  # to a word later
        space = text.find(" ", hi + 1)
        hi = len(text) if space < 0 else space
    else:  # to a word earlier
        space = text.rfind(" ", lo, hi - 1)
        hi = space if space > lo else hi
    return lo, hi


def generate(spec: DemoSpec | None = None) -> dict[str, pd.DataFrame]:
    """Every table of the demo study as a DataFrame whose columns are the table's columns."""
    return _Generator(spec or DemoSpec()).run()
