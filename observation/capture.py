"""Capturing a meeting live: an observer starts the meeting's clock, marks who is present, taps
each contribution someone makes (minute stamped) and writes field notes as it happens; the review
at the end saves the meeting through ``record.save_meeting``, as the Record page does.

Capture is an observer's job, a researcher's role: every function here carries
``@access.requires("researcher")``. Each write is one small transaction, audited. The observer
is the acting person (``audit.actor()``: the signed-in email, or the observer's code in local
mode) unless one is given.

The clock: a meeting's capture clock starts once (``start``), and every observer of the meeting,
or a page opened again, gets the same clock (``resume``); a minute is whole minutes since it
started, 0 to 480 (``Live.minute``). Times are UTC (timezone-aware in what is returned, stored
without a zone).

Taps: the page makes a key for each tap (a uuid4's hex) and sends it with the contribution or
note. A tap sent twice (a retry after a lost answer) writes once and gets the same entry back.
The keys are the study's bookkeeping (``capture_taps``, with each meeting's clock in
``capture_clocks``), not study data; ``undo_last`` takes back an observer's latest tap.

Contributions and presence: a contribution is logged only for someone marked present, and the
study never keeps a contribution of someone not present at its meeting
(``integrity.require_intact`` refuses any write that would leave one). So ``mark(..., False)`` is
refused while the person has contributions logged, and so is a save of the meeting
(``record.save_meeting``, the review's save) that marks them anything but present or takes them
off the register: the message names them; keep them present, or undo their contributions first.
A save that keeps them present keeps their contributions as they are.

``mark`` and ``add_newcomer`` change the register, so they move the meeting's version on
(``record.bump_version``): a Record page opened before them can no longer save over them. So does
undoing a capture note (a form still showing it would write it back). A contribution or a new
note changes nothing a Record page's form holds, and leaves the version alone.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final, Literal, get_args

import duckdb
from pydantic import TypeAdapter, ValidationError

from observation import access, audit, db, labels, queries, record
from observation.errors import ObservationError
from observation.models import (
    ContributionKind,
    Observer,
    ParticipantCode,
    ParticipationLevel,
    Passage,
    RoleCategory,
)

LONGEST_MINUTE: Final = 480
"""The last minute a contribution or a note is stamped with (a meeting is at most 8 hours)."""
KINDS: Final[tuple[ContributionKind, ...]] = get_args(ContributionKind)
LEADING: Final[frozenset[str]] = frozenset({"raised_item", "proposed_change"})
"""The contributions that, with an action taken, make someone co-leading."""

_OBSERVER: TypeAdapter[str] = TypeAdapter(Observer)
_CODE: TypeAdapter[str] = TypeAdapter(ParticipantCode)
_PASSAGE: TypeAdapter[str] = TypeAdapter(Passage)
_TAP = re.compile(r"[0-9A-Za-z_-]{1,64}")


def _utc(moment: dt.datetime | None) -> dt.datetime:
    """``moment`` (now when None) as an aware UTC time; a naive time is taken to be UTC already."""
    if moment is None:
        return dt.datetime.now(dt.UTC)
    return moment.replace(tzinfo=dt.UTC) if moment.tzinfo is None else moment.astimezone(dt.UTC)


def _stored(moment: dt.datetime) -> dt.datetime:
    """An aware time as the study stores it: UTC, without a zone."""
    return moment.astimezone(dt.UTC).replace(tzinfo=None)


def minute_between(started_at: dt.datetime, now: dt.datetime) -> int:
    """Whole minutes from ``started_at`` to ``now``, held within 0..LONGEST_MINUTE (a clock read
    before it started reads 0; one left running past eight hours reads 480)."""
    seconds = (_utc(now) - _utc(started_at)).total_seconds()
    return max(0, min(LONGEST_MINUTE, int(seconds // 60)))


@dataclass(frozen=True)
class Live:
    """A meeting being captured."""

    meeting_id: int
    team_id: int
    team_name: str
    meeting_date: dt.date
    started_at: dt.datetime
    """When its clock started, UTC (timezone-aware)."""

    def minute(self, now: dt.datetime | None = None) -> int:
        """Whole minutes since the clock started (at ``now``, by default the present), 0..480."""
        return minute_between(self.started_at, _utc(now))


@dataclass(frozen=True)
class RosterPerson:
    """One of the team's people as the capture page lists them."""

    participant_id: int
    code: str
    role: str
    role_label: str
    lived_experience: bool
    present: bool
    contributions: int
    """Contributions logged for them at this meeting so far."""


@dataclass(frozen=True)
class Entry:
    """A contribution or a field note on the meeting's timeline."""

    kind: Literal["contribution", "note"]
    ident: int
    """The contribution's id, or the field note's."""
    minute: int
    observer: str
    """Who logged the contribution, or wrote the note."""
    recorded_at: dt.datetime | None
    """When it was tapped, UTC (timezone-aware); None when it came from an import."""
    participant_code: str | None
    role_label: str | None
    lived_experience: bool
    contribution: str | None
    """The contribution's kind (a key of labels.CONTRIBUTIONS); None for a note."""
    body: str | None
    """The note's text; None for a contribution."""


@dataclass(frozen=True)
class Suggestion:
    """The participation level the contributions logged suggest for someone present."""

    participant_id: int
    level: ParticipationLevel
    reason: str
    """Why, in words: "raised an agenda item and took an action"."""


# --- the clock ------------------------------------------------------------------------------------


@access.requires("researcher")
def start(
    con: duckdb.DuckDBPyConnection,
    team_id: int,
    day: dt.date,
    observer: str | None = None,
    now: dt.datetime | None = None,
) -> Live:
    """Start capturing the team's meeting on ``day``: the meeting recorded for that day, or a new
    one (held, at the service base) when there is none; refused when that day's meeting is
    recorded as cancelled or postponed. Its clock starts at ``now`` unless it already started, when
    the same clock is given back (a second observer, a page opened again): calling it again
    changes nothing."""
    who = _observer(observer)
    started = _stored(_utc(now))
    touched: list[int] = []  # read when the transaction ends: the facts of the meeting made here
    with db.transaction(con, touched) as cur:
        team = cur.execute("select name from teams where id = ?", [team_id]).fetchone()
        if team is None:
            raise ObservationError(f"team {team_id} no longer exists; reload the page")
        found = cur.execute(
            "select id, status from meetings where team_id = ? and meeting_date = ?", [team_id, day]
        ).fetchone()
        if found is None:
            fields = {"team_id": team_id, "meeting_date": day, "status": "held", "format": "service_base"}
            meeting_id = db.insert_row(cur, "meetings", fields)
            touched.append(meeting_id)
            audit.record(cur, "create", "meetings", f"id={meeting_id}", after=fields, who=who)
            record.bump_version(cur, meeting_id, who)
        else:
            meeting_id, status = int(found[0]), str(found[1])
            if status != "held":
                raise ObservationError(
                    f"{team[0]}'s meeting on {day:%d %b %Y} is recorded as {labels.MEETING_STATUSES[status]}: "
                    "if it is taking place after all, record it as held on the Record page first"
                )
        clock = cur.execute("select started_at from capture_clocks where meeting_id = ?", [meeting_id]).fetchone()
        if clock is None:
            cur.execute("insert into capture_clocks values (?, ?, ?)", [meeting_id, started, who])
            audit.record(cur, "create", "capture_clocks", f"meeting_id={meeting_id}",
                         after={"started_at": started}, who=who)  # fmt: skip
    live = resume(con, meeting_id)
    assert live is not None  # started just now, or before
    return live


@access.requires("researcher")
def resume(con: duckdb.DuckDBPyConnection, meeting_id: int) -> Live | None:
    """The meeting being captured, if its clock was started; else None."""
    with db.cursor(con) as cur:
        found = _live(cur, "m.id = ?", [meeting_id])
    return found[0] if found else None


@access.requires("researcher")
def live_meetings(con: duckdb.DuckDBPyConnection, team_id: int) -> tuple[Live, ...]:
    """The team's meetings whose capture clock was started, latest first."""
    with db.cursor(con) as cur:
        return _live(cur, "m.team_id = ?", [team_id])


def _live(cur: duckdb.DuckDBPyConnection, where: str, given: list[object]) -> tuple[Live, ...]:
    rows = cur.execute(
        f"""
        select m.id, m.team_id, t.name, m.meeting_date, c.started_at
        from capture_clocks as c
        join meetings as m on m.id = c.meeting_id
        join teams as t on t.id = m.team_id
        where {where}
        order by m.meeting_date desc, c.started_at desc, m.id desc
        """,  # noqa: S608 - a condition of this module
        given,
    ).fetchall()
    return tuple(Live(int(i), int(t), str(n), d, _utc(s)) for i, t, n, d, s in rows)


# --- who is there ---------------------------------------------------------------------------------


@access.requires("researcher")
def roster(con: duckdb.DuckDBPyConnection, meeting_id: int) -> tuple[RosterPerson, ...]:
    """The team's people (and anyone else on the meeting's register), lived experience first,
    then by code: who is marked present, and how many contributions each has so far."""
    with db.cursor(con) as cur:
        _meeting(cur, meeting_id)
        rows = cur.execute(
            """
            with m as (select id, team_id from meetings where id = $meeting)
            select p.id, p.code, p.role, r.label, r.lived_experience,
                   coalesce(a.status = 'present', false),
                   (select count(*) from contributions as c where c.meeting_id = $meeting and c.participant_id = p.id)
            from participants as p
            join role_categories as r on r.code = p.role
            left join attendance as a on a.meeting_id = $meeting and a.participant_id = p.id
            where p.team_id = (select team_id from m) or a.participant_id is not null
            order by not r.lived_experience, p.code
            """,
            {"meeting": meeting_id},
        ).fetchall()
    return tuple(RosterPerson(int(i), str(c), str(r), str(lb), bool(le), bool(pr), int(n))
                 for i, c, r, lb, le, pr, n in rows)  # fmt: skip


@access.requires("researcher")
def mark(
    con: duckdb.DuckDBPyConnection, meeting_id: int, participant_id: int, present: bool, observer: str | None = None
) -> None:
    """Mark someone present (their attendance 'present', the participation level they had kept,
    or none) or not (their 'present' mark removed; refused while they have contributions logged
    at the meeting). Marking them as they already are changes nothing; a change moves the
    meeting's version on."""
    who = _observer(observer)
    with db.transaction(con, (meeting_id,)) as cur:
        team_id, _ = _held(cur, meeting_id)
        code = _person(cur, participant_id, team_id, meeting_id)
        row = cur.execute(
            "select status, participation from attendance where meeting_id = ? and participant_id = ?",
            [meeting_id, participant_id],
        ).fetchone()
        before = None if row is None else {"status": row[0], "participation": row[1]}
        if present:
            if row is not None and row[0] == "present":
                return
            if row is None:
                cur.execute("insert into attendance values (?, ?, 'present', null)", [meeting_id, participant_id])
            else:
                cur.execute(
                    "update attendance set status = 'present' where meeting_id = ? and participant_id = ?",
                    [meeting_id, participant_id],
                )
            after: dict[str, object] | None = {"status": "present", "participation": None}
        else:
            if row is None or row[0] != "present":
                return
            (logged,) = cur.execute(  # type: ignore[misc]
                "select count(*) from contributions where meeting_id = ? and participant_id = ?",
                [meeting_id, participant_id],
            ).fetchone()
            if logged:
                raise ObservationError(
                    f"{code} has {labels.counted(int(logged), 'contribution')} logged at this meeting, so stays "
                    "marked present: undo their contributions first if they were logged by mistake"
                )
            if cur.execute(
                "select 1 from feedback_responses where meeting_id = ? and participant_id = ? limit 1",
                [meeting_id, participant_id],
            ).fetchone():
                raise ObservationError(
                    f"{code} answered the experience questionnaire about this meeting, so stays marked present"
                )
            cur.execute(
                "delete from attendance where meeting_id = ? and participant_id = ?", [meeting_id, participant_id]
            )
            after = None
        audit.record(cur, "change", "attendance", f"meeting_id={meeting_id}, participant_id={participant_id}",
                     before=before, after=after, who=who)  # fmt: skip
        record.bump_version(cur, meeting_id, who)


@access.requires("researcher")
def add_newcomer(
    con: duckdb.DuckDBPyConnection, meeting_id: int, code: str, role: str, observer: str | None = None
) -> int:
    """Add someone new to the meeting's team, with their pseudonymous ``code`` and ``role`` (one
    of the role categories), marked present; their participant id. A code the study already has
    is refused by name."""
    who = _observer(observer)
    try:
        code = _CODE.validate_python(code)
    except ValidationError:
        raise ObservationError(
            f"{code.strip()[:40]!r} is not a participant code: a code is upper-case letters, digits, '-' or '_' "
            "with at least one digit, such as SU-07, never a name"
        ) from None
    if role not in get_args(RoleCategory):
        raise ObservationError(f"{role!r} is not a role: choose one of {', '.join(labels.PERSON_ROLES.values())}")
    with db.transaction(con, (meeting_id,)) as cur:
        team_id, _ = _held(cur, meeting_id)
        taken = cur.execute(
            "select t.name from participants as p left join teams as t on t.id = p.team_id where p.code = ?", [code]
        ).fetchone()
        if taken is not None:
            raise ObservationError(
                f"{code} is already a participant (in {taken[0] or 'another team'}): choose them from the list, "
                "or give the newcomer another code"
            )
        fields = {"code": code, "team_id": team_id, "role": role}
        participant_id = db.insert_row(cur, "participants", fields)
        audit.record(cur, "create", "participants", f"code={code}", after={"role": role}, who=who)
        cur.execute("insert into attendance values (?, ?, 'present', null)", [meeting_id, participant_id])
        audit.record(cur, "change", "attendance", f"meeting_id={meeting_id}, participant_id={participant_id}",
                     after={"status": "present", "participation": None}, who=who)  # fmt: skip
        record.bump_version(cur, meeting_id, who)
    return participant_id


# --- taps -----------------------------------------------------------------------------------------


@access.requires("researcher")
def contribute(
    con: duckdb.DuckDBPyConnection,
    meeting_id: int,
    participant_id: int,
    kind: str,
    tap: str,
    observer: str | None = None,
    now: dt.datetime | None = None,
) -> Entry:
    """Log one contribution of ``kind`` (a key of labels.CONTRIBUTIONS) by someone marked
    present, stamped with the clock's minute at ``now``. ``tap``: the page's key for this tap; the
    same key sent again writes nothing and gives back the same entry."""
    if kind not in KINDS:
        raise ObservationError(f"{kind!r} is not a kind of contribution: one of {', '.join(KINDS)}")

    def write(cur: duckdb.DuckDBPyConnection, who: str, minute: int, moment: dt.datetime) -> int:
        present = cur.execute(
            """
            select p.code, a.status = 'present'
            from participants as p
            left join attendance as a on a.meeting_id = ? and a.participant_id = p.id
            where p.id = ?
            """,
            [meeting_id, participant_id],
        ).fetchone()
        if present is None:
            raise ObservationError(f"participant {participant_id} no longer exists; reload the page")
        if not present[1]:
            raise ObservationError(f"{present[0]} is not marked present: mark them present first")
        fields = {
            "meeting_id": meeting_id,
            "participant_id": participant_id,
            "kind": kind,
            "minute": minute,
            "observer": who,
            "recorded_at": _stored(moment),
        }
        ident = db.insert_row(cur, "contributions", fields)
        audit.record(cur, "create", "contributions", f"id={ident}", after=fields, who=who)
        return ident

    return _write_tap(con, meeting_id, "contribution", tap, observer, now, write)


@access.requires("researcher")
def note(
    con: duckdb.DuckDBPyConnection,
    meeting_id: int,
    body: str,
    tap: str,
    observer: str | None = None,
    now: dt.datetime | None = None,
) -> Entry:
    """Write a field note at the meeting's next position, stamped with the clock's minute at
    ``now``, by the observer, written at ``now``. The same ``tap`` sent again writes nothing and
    gives back the same entry."""
    try:
        text = _PASSAGE.validate_python(body)
    except ValidationError as exc:
        raise ObservationError(f"The note: {exc.errors()[0]['msg']}") from None

    def write(cur: duckdb.DuckDBPyConnection, who: str, minute: int, moment: dt.datetime) -> int:
        (last,) = cur.execute(  # type: ignore[misc]
            "select coalesce(max(position), 0) from field_notes where meeting_id = ?", [meeting_id]
        ).fetchone()
        fields = {
            "meeting_id": meeting_id,
            "position": int(last) + 1,
            "minute": minute,
            "author": who,
            "written_at": _stored(moment),
            "body": text,
        }
        ident = db.insert_row(cur, "field_notes", fields)
        audit.record(cur, "create", "field_notes", f"meeting_id={meeting_id}, position={fields['position']}",
                     after={"body": text}, who=who)  # fmt: skip
        return ident

    return _write_tap(con, meeting_id, "note", tap, observer, now, write)


_Write = Callable[[duckdb.DuckDBPyConnection, str, int, dt.datetime], int]
"""Writes a tap's row, given (cursor, observer, minute, moment); its id."""


@access.requires("researcher")
def _write_tap(
    con: duckdb.DuckDBPyConnection,
    meeting_id: int,
    kind: Literal["contribution", "note"],
    tap: str,
    observer: str | None,
    now: dt.datetime | None,
    write: _Write,
) -> Entry:
    """What every tap does around its own row: the observer and the tap's key checked; then, in
    one transaction, the entry the key already wrote given back (the same tap sent again), or else
    the row ``write`` writes, stamped with the clock's minute at ``now`` (refused when the meeting
    is not held or its clock never started), kept with the key. The entry written."""
    who = _observer(observer)
    key = _tap(tap)
    moment = _utc(now)
    with db.transaction(con, ()) as cur:
        if (done := _tapped(cur, key, meeting_id, kind)) is not None:
            return done
        minute = minute_between(_clock(cur, meeting_id), moment)
        ident = write(cur, who, minute, moment)
        _keep_tap(cur, key, meeting_id, kind, ident, who, moment)
        return _entry(cur, kind, ident)


@access.requires("researcher")
def undo_last(con: duckdb.DuckDBPyConnection, meeting_id: int, observer: str | None = None) -> Entry | None:
    """Take back the observer's latest tap in this meeting (by when it was recorded): the
    contribution or the capture note it wrote; None when they have nothing left to undo. Another
    observer's entries, and notes typed on the Record page, are never touched. A note coded since
    is refused (remove its codings on the Coding page first)."""
    who = _observer(observer)
    with db.transaction(con, ()) as cur:
        latest = cur.execute(
            """
            select t.tap, t.entry, t.row_id
            from capture_taps as t
            where t.meeting_id = ? and t.observer = ?
              and (t.entry = 'contribution' and exists (select 1 from contributions as c where c.id = t.row_id)
                   or t.entry = 'note' and exists (select 1 from field_notes as n where n.id = t.row_id))
            order by t.recorded_at desc, t.row_id desc
            limit 1
            """,
            [meeting_id, who],
        ).fetchone()
        if latest is None:
            return None
        tap, kind, ident = str(latest[0]), latest[1], int(latest[2])
        entry = _entry(cur, kind, ident)
        if kind == "note":
            (codings,) = cur.execute(  # type: ignore[misc]
                "select count(*) from coded_segments where note_id = ?", [ident]
            ).fetchone()
            if codings:
                raise ObservationError(
                    f"Your last note (minute {entry.minute}) has been coded since "
                    f"({labels.counted(int(codings), 'coding')}): remove those on the Coding page first, "
                    "or delete the note on the Study setup page"
                )
            record.bump_version(cur, meeting_id, who)  # a form still showing the note would write it back
        table = "field_notes" if kind == "note" else "contributions"
        before = queries.records(cur.execute(f"select * from {table} where id = ?", [ident]))  # noqa: S608 - one of two names
        cur.execute(f"delete from {table} where id = ?", [ident])  # noqa: S608
        audit.record(cur, "delete", table, f"id={ident}", before=before[0], who=who)
        cur.execute("delete from capture_taps where tap = ?", [tap])
    return entry


# --- what was captured ----------------------------------------------------------------------------

_ENTRIES = """
    select 'contribution' as kind, c.id as ident, c.minute, c.observer, c.recorded_at,
           p.code, r.label, coalesce(r.lived_experience, false), c.kind as contribution, null::varchar as body
    from contributions as c
    left join participants as p on p.id = c.participant_id
    left join role_categories as r on r.code = p.role
    where {contributions}
    union all
    select 'note', n.id, n.minute, n.author, n.written_at, null, null, false, null, n.body
    from field_notes as n
    where n.minute is not null and {notes}
"""
"""Contributions and minute-stamped field notes as entries (the conditions filled in per use)."""


@access.requires("researcher")
def timeline(con: duckdb.DuckDBPyConnection, meeting_id: int) -> tuple[Entry, ...]:
    """The meeting's contributions and its minute-stamped field notes, by minute, then by when they
    were recorded (imported ones, with no time, first within their minute)."""
    with db.cursor(con) as cur:
        _meeting(cur, meeting_id)
        sql = _ENTRIES.format(contributions="c.meeting_id = $meeting", notes="n.meeting_id = $meeting")
        rows = cur.execute(
            f"{sql} order by minute, recorded_at nulls first, kind, ident", {"meeting": meeting_id}
        ).fetchall()
    return tuple(_as_entry(row) for row in rows)


@access.requires("researcher")
def suggested_levels(con: duckdb.DuckDBPyConnection, meeting_id: int) -> tuple[Suggestion, ...]:
    """The participation level suggested for each person marked present, in roster order:
    co-leading when they raised an agenda item or proposed a change and took an action;
    contributing with any contribution logged; observing when present with nothing logged. The
    observer may choose another level in the review; the saved level is what counts."""
    with db.cursor(con) as cur:
        _meeting(cur, meeting_id)
        rows = cur.execute(
            """
            select a.participant_id, c.kind, count(c.id)
            from attendance as a
            join participants as p on p.id = a.participant_id
            join role_categories as r on r.code = p.role
            left join contributions as c on c.meeting_id = a.meeting_id and c.participant_id = a.participant_id
            where a.meeting_id = ? and a.status = 'present'
            group by all
            order by not any_value(r.lived_experience), any_value(p.code), c.kind
            """,
            [meeting_id],
        ).fetchall()
    logged: dict[int, Counter[str]] = {}
    for person, kind, n in rows:
        counts = logged.setdefault(int(person), Counter())
        if kind is not None:
            counts[str(kind)] = int(n)
    return tuple(suggest(person, counts) for person, counts in logged.items())


_DONE: Final[dict[str, tuple[str, str]]] = {
    "raised_item": ("raised an agenda item", "raised {n} agenda items"),
    "proposed_change": ("proposed a change", "proposed {n} changes"),
    "took_action": ("took an action", "took {n} actions"),
    "challenged": ("challenged or questioned", "challenged or questioned {n} times"),
    "spoke": ("spoke", "spoke {n} times"),
}
"""What someone did, once and ``n`` times, in the order a reason lists it."""


def suggest(participant_id: int, logged: Counter[str]) -> Suggestion:
    """The level the rules give someone present with the contributions ``logged`` (kind -> count),
    with the reason in words."""
    if not sum(logged.values()):
        return Suggestion(participant_id, "observing", "present, nothing logged")
    done = [one if logged[k] == 1 else many.format(n=logged[k]) for k, (one, many) in _DONE.items() if logged[k]]
    reason = done[0] if len(done) == 1 else f"{', '.join(done[:-1])} and {done[-1]}"
    leading = any(logged[k] for k in LEADING) and logged["took_action"] > 0
    return Suggestion(participant_id, "co_leading" if leading else "contributing", reason)


# --- helpers --------------------------------------------------------------------------------------


def _observer(given: str | None) -> str:
    name = given if given is not None else audit.actor()
    try:
        return _OBSERVER.validate_python(name)
    except ValidationError as exc:
        raise ObservationError(f"Observer {name[:60]!r}: {exc.errors()[0]['msg']}") from None


def _tap(tap: str) -> str:
    if not isinstance(tap, str) or not _TAP.fullmatch(tap):
        raise ObservationError("the tap came without its key (the page's): reload the page and tap again")
    return tap


def _meeting(cur: duckdb.DuckDBPyConnection, meeting_id: int) -> tuple[int, str]:
    """The meeting's team and status; refused when it no longer exists."""
    row = cur.execute("select team_id, status from meetings where id = ?", [meeting_id]).fetchone()
    if row is None:
        raise ObservationError(f"meeting {meeting_id} no longer exists; reload the page")
    return int(row[0]), str(row[1])


def _held(cur: duckdb.DuckDBPyConnection, meeting_id: int) -> tuple[int, str]:
    """The meeting's team and status, refused unless it is recorded as held."""
    team_id, status = _meeting(cur, meeting_id)
    if status != "held":
        raise ObservationError(
            f"this meeting is now recorded as {labels.MEETING_STATUSES[status]}: "
            "record it as held on the Record page to capture it"
        )
    return team_id, status


def _person(cur: duckdb.DuckDBPyConnection, participant_id: int, team_id: int, meeting_id: int) -> str:
    """The participant's code; refused unless they are in the meeting's team or on its register."""
    row = cur.execute(
        "select code, team_id = ? or exists (select 1 from attendance where meeting_id = ? and participant_id = ?) "
        "from participants where id = ?",
        [team_id, meeting_id, participant_id, participant_id],
    ).fetchone()
    if row is None:
        raise ObservationError(f"participant {participant_id} no longer exists; reload the page")
    if not row[1]:
        raise ObservationError(f"{row[0]} is not in this meeting's team: add a newcomer with a code of their own")
    return str(row[0])


def _clock(cur: duckdb.DuckDBPyConnection, meeting_id: int) -> dt.datetime:
    """When the meeting's capture clock started; refused when it has not (or the meeting is not held)."""
    _held(cur, meeting_id)
    row = cur.execute("select started_at from capture_clocks where meeting_id = ?", [meeting_id]).fetchone()
    if row is None:
        raise ObservationError("this meeting's capture has not started: start it on the Capture page first")
    return _utc(row[0])


def _tapped(
    cur: duckdb.DuckDBPyConnection, tap: str, meeting_id: int, kind: Literal["contribution", "note"]
) -> Entry | None:
    """The entry a tap already wrote (the same tap sent again); None for a new tap."""
    row = cur.execute("select meeting_id, entry, row_id from capture_taps where tap = ?", [tap]).fetchone()
    if row is None:
        return None
    if (int(row[0]), row[1]) != (meeting_id, kind):
        raise ObservationError("this tap's key was already used for another entry: reload the page and tap again")
    return _entry(cur, kind, int(row[2]))


def _keep_tap(
    cur: duckdb.DuckDBPyConnection,
    tap: str,
    meeting_id: int,
    kind: Literal["contribution", "note"],
    ident: int,
    who: str,
    moment: dt.datetime,
) -> None:
    cur.execute("insert into capture_taps values (?, ?, ?, ?, ?, ?)", [tap, meeting_id, kind, ident, who,
                                                                      _stored(moment)])  # fmt: skip


def _entry(cur: duckdb.DuckDBPyConnection, kind: str, ident: int) -> Entry:
    sql = _ENTRIES.format(
        contributions="$kind = 'contribution' and c.id = $ident", notes="$kind = 'note' and n.id = $ident"
    )
    row = cur.execute(sql, {"kind": kind, "ident": ident}).fetchone()
    if row is None:
        raise ObservationError(f"that {kind} no longer exists; reload the page")
    return _as_entry(row)


def _as_entry(row: tuple[object, ...]) -> Entry:
    kind, ident, minute, observer, recorded_at, code, role_label, lived, contribution, body = row
    return Entry(
        kind="note" if kind == "note" else "contribution",
        ident=int(ident),  # type: ignore[call-overload]
        minute=int(minute),  # type: ignore[call-overload]
        observer=str(observer),
        recorded_at=_utc(recorded_at) if isinstance(recorded_at, dt.datetime) else None,
        participant_code=None if code is None else str(code),
        role_label=None if role_label is None else str(role_label),
        lived_experience=bool(lived),
        contribution=None if contribution is None else str(contribution),
        body=None if body is None else str(body),
    )
