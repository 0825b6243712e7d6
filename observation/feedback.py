"""Experience feedback and the impact log: what people with lived experience say about the
meetings they came to, and what the improvement work changed because of them.

The questionnaire: a short bank of items (DEFAULT_ITEMS until a researcher edits it in Study
setup), each answered on a five-point scale (1 strongly disagree … 5 strongly agree) or "prefer not
to say" (kept as an answer with no value). An edit adds a version of the item and retires the one
before; every answer keeps the version it was given against, so a reworded item never inherits
old answers' meaning. Only a service user or carer present at a held meeting answers about it,
once per item (a second answer replaces the first).

Answers reach the study three ways (``via``): typed in at the Capture page's review with the person
beside the observer ("review"), typed in from a paper form ("paper"), or given by the person on their
own phone from a link the observer shows as a QR code ("phone"). A link is for one person and one
meeting, used once, and expires LINK_HOURS after it was made. It carries a random token and nothing
else (no participant code, no meeting); the study keeps only the token's SHA-256 (``feedback_links``).
The token lets its holder read the questionnaire's wording and answer it, once: nothing of the study
is read back through it.

The impact log: a team's changes to its improvement work (labels.IMPACT_KINDS), each dated, with whom
its idea came from (people with lived experience, staff, or both together) and the meeting where it
arose when there was one.

The measures (docs/MEASURES.md; definitions.EXPERIENCE_SCORE, RESPONSE_RATE, IMPACT_SHARE) are
counted per team and month in DuckDB (``experience_by_month``, ``impact_by_month``) and totalled by
``totals``. Writes are a researcher's, but for the one a phone link makes, which its token
authorises; reads narrow the filter with ``access.readable``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Final, Literal, get_args

import duckdb
import pandas as pd
from pydantic import TypeAdapter, ValidationError

from observation import access, audit, db, labels
from observation.errors import ObservationError
from observation.filters import StudyFilter
from observation.models import ChangeDescription, ImpactKind, ImpactOrigin, ItemWording

DEFAULT_ITEMS: Final[tuple[tuple[str, str], ...]] = (
    ("listened", "I felt listened to"),
    ("understood", "I understood what was discussed"),
    ("influence", "I could influence what was decided"),
    ("come_again", "I would come again"),
)
"""The questionnaire of a study whose researchers have not edited it: (key, wording), in order."""
LINK_HOURS: Final = 48
"""How long a phone link stays usable after it was made."""
KINDS: Final[tuple[ImpactKind, ...]] = get_args(ImpactKind)
ORIGINS: Final[tuple[ImpactOrigin, ...]] = get_args(ImpactOrigin)
WITH_LIVED_EXPERIENCE: Final[tuple[ImpactOrigin, ...]] = ("lived_experience", "both")
"""The origins that count as a change from, or with, people with lived experience."""

_TOKEN = re.compile(r"[A-Za-z0-9_-]{32,64}")
_WORDING: TypeAdapter[str] = TypeAdapter(ItemWording)
_DESCRIPTION: TypeAdapter[str] = TypeAdapter(ChangeDescription)
Answers = Mapping[str, int | None]
"""One person's answers about one meeting: item key → 1..5, or None for "prefer not to say"."""


class LinkRefused(ObservationError):
    """A phone link that cannot be used; says nothing about why beyond what its holder can act on."""

    def __init__(self) -> None:
        super().__init__(
            "This link cannot be used: it has been used already, it has expired, or it was copied wrongly. "
            "Ask the observer for a new one."
        )


@dataclass(frozen=True)
class Item:
    """One item of the questionnaire as it is asked now."""

    key: str
    version: int
    wording: str
    item_id: int | None
    """None: one of DEFAULT_ITEMS in a study that has not saved its questionnaire yet."""
    asked_again: bool = False
    """True where add_item asked an item no longer asked again, its answers with it."""


@dataclass(frozen=True)
class Respondent:
    """A service user or carer present at a meeting, who may answer about it."""

    participant_id: int
    code: str
    role_label: str
    answered: bool
    """Their answers about this meeting are recorded (any item, "prefer not to say" included)."""
    by_phone: bool
    """They answered on their own phone: their answers are theirs, never shown or typed over."""


@dataclass(frozen=True)
class Link:
    """A phone link just made: its token is shown once (in the link and its QR code), never stored."""

    token: str
    expires_at: dt.datetime
    """UTC, timezone-aware."""


@dataclass(frozen=True)
class Totals:
    """The experience and impact measures of a set of teams over a period (``totals``)."""

    attended: int
    """Service users and carers present at held meetings, once per person and meeting."""
    responded: int
    """Of them, those whose answers about that meeting are recorded."""
    scored: int
    """Of them, those who gave at least one answer on the scale (not only "prefer not to say")."""
    score: float | None
    """The experience score: the mean of the ``scored`` person-meeting means; None with none."""
    changes: int
    """Changes recorded in the impact log."""
    with_lived_experience: int
    """Of them, those whose idea came from people with lived experience, alone or with staff."""

    @property
    def response_rate(self) -> float | None:
        return self.responded / self.attended if self.attended else None

    @property
    def impact_share(self) -> float | None:
        return self.with_lived_experience / self.changes if self.changes else None


def _now(now: dt.datetime | None) -> dt.datetime:
    """``now`` (the present when None) as the study stores times: UTC, without a zone."""
    moment = dt.datetime.now(dt.UTC) if now is None else now
    return moment.astimezone(dt.UTC).replace(tzinfo=None) if moment.tzinfo else moment


def _who(observer: str | None) -> str:
    return observer.strip() if observer and observer.strip() else audit.actor()


# --- the questionnaire ---------------------------------------------------------------------------------


def items(con: duckdb.DuckDBPyConnection) -> tuple[Item, ...]:
    """The questionnaire as it is asked now, in order: the active version of each item, or
    DEFAULT_ITEMS (with no ids) while the study has not saved it."""
    with db.cursor(con) as cur:
        return _items(cur)


def _items(cur: duckdb.DuckDBPyConnection) -> tuple[Item, ...]:
    if cur.execute("select count(*) from feedback_items").fetchone() == (0,):
        return tuple(Item(key, 1, wording, None) for key, wording in DEFAULT_ITEMS)
    rows = cur.execute(
        "select item_key, version, wording, id from feedback_items where active order by sort_order, item_key"
    ).fetchall()
    return tuple(Item(str(k), int(v), str(w), int(i)) for k, v, w, i in rows)


def _saved_items(cur: duckdb.DuckDBPyConnection, who: str) -> tuple[Item, ...]:
    """The questionnaire, DEFAULT_ITEMS saved first when the study has none (inside a write)."""
    found = _items(cur)
    if found and found[0].item_id is None:
        for order, item in enumerate(found, start=1):
            fields = {"item_key": item.key, "version": 1, "wording": item.wording, "sort_order": order, "active": True}
            new_id = db.insert_row(cur, "feedback_items", fields)
            audit.record(cur, "create", "feedback_items", f"id={new_id}", after=fields, who=who)
        found = _items(cur)
    return found


def _wording(wording: str) -> str:
    try:
        return _WORDING.validate_python(wording)
    except ValidationError:
        raise ObservationError(f"word the item in 1 to 200 characters (this is {len(wording.strip()):,})") from None


@access.requires("researcher")
def reword(con: duckdb.DuckDBPyConnection, key: str, wording: str, observer: str | None = None) -> Item:
    """Ask item ``key`` in new words from now on: a new version, the one before retired (its
    answers keep it). The same words again change nothing."""
    who, wording = _who(observer), _wording(wording)
    with db.transaction(con, ()) as cur:
        current = {i.key: i for i in _saved_items(cur, who)}
        if key not in current:
            raise ObservationError(f"the questionnaire has no item {key!r} (it may have been removed); reload the page")
        item = current[key]
        if item.wording == wording:
            return item
        (order,) = cur.execute("select sort_order from feedback_items where id = ?", [item.item_id]).fetchone()  # type: ignore[misc]
        cur.execute("update feedback_items set active = false where id = ?", [item.item_id])
        fields = {"item_key": key, "version": item.version + 1, "wording": wording, "sort_order": order, "active": True}
        new_id = db.insert_row(cur, "feedback_items", fields)
        audit.record(cur, "change", "feedback_items", f"item_key={key}",
                     before={"version": item.version, "wording": item.wording}, after=fields, who=who)  # fmt: skip
    return Item(key, item.version + 1, wording, new_id)


def _key_of(wording: str) -> str:
    """A new item's key: the wording's first words, lower case, joined by "_", at most 30 characters."""
    words = re.findall(r"[a-z0-9]+", wording.casefold()) or ["item"]
    stem = words[0][:30]
    for word in words[1:]:
        if len(stem) + 1 + len(word) > 30:
            break
        stem = f"{stem}_{word}"
    return stem if stem[0].isalpha() else f"item_{stem}"[:30]


@access.requires("researcher")
def add_item(con: duckdb.DuckDBPyConnection, wording: str, observer: str | None = None) -> Item:
    """Ask a new item, last, from now on; or, in the words of an item no longer asked, that item again
    (its answers, and its place, are its own again)."""
    who, wording = _who(observer), _wording(wording)
    with db.transaction(con, ()) as cur:
        _saved_items(cur, who)
        taken = {str(k) for (k,) in cur.execute("select distinct item_key from feedback_items").fetchall()}
        if wording.casefold() in {i.wording.casefold() for i in _items(cur)}:
            raise ObservationError(f"the questionnaire already asks {wording!r}")
        removed = cur.execute(  # each item no longer asked, as it was last worded
            """
            select id, item_key, version, wording from feedback_items as f
            where version = (select max(version) from feedback_items as v where v.item_key = f.item_key)
              and not exists (select 1 from feedback_items as a where a.item_key = f.item_key and a.active)
            """
        ).fetchall()
        again = next((r for r in removed if str(r[3]).casefold() == wording.casefold()), None)
        if again is not None:
            cur.execute("update feedback_items set active = true where id = ?", [again[0]])
            audit.record(cur, "change", "feedback_items", f"item_key={again[1]}",
                         before={"active": False, "wording": again[3]}, after={"active": True}, who=who)  # fmt: skip
            return Item(str(again[1]), int(again[2]), str(again[3]), int(again[0]), asked_again=True)
        stem = _key_of(wording)
        key = next(k for k in (stem, *(f"{stem}_{n}" for n in range(2, 1000))) if k not in taken)
        (order,) = cur.execute("select coalesce(max(sort_order), 0) + 1 from feedback_items").fetchone()  # type: ignore[misc]
        fields = {"item_key": key, "version": 1, "wording": wording, "sort_order": int(order), "active": True}
        new_id = db.insert_row(cur, "feedback_items", fields)
        audit.record(cur, "create", "feedback_items", f"id={new_id}", after=fields, who=who)
    return Item(key, 1, wording, new_id)


@access.requires("researcher")
def retire(con: duckdb.DuckDBPyConnection, key: str, observer: str | None = None) -> None:
    """Stop asking item ``key`` (its answers stay, with the version they were given against);
    refused for the last item asked."""
    who = _who(observer)
    with db.transaction(con, ()) as cur:
        current = {i.key: i for i in _saved_items(cur, who)}
        if key not in current:
            return
        if len(current) == 1:
            raise ObservationError("the questionnaire needs at least one item: add another before removing this one")
        cur.execute("update feedback_items set active = false where id = ?", [current[key].item_id])
        audit.record(cur, "change", "feedback_items", f"item_key={key}",
                     before={"active": True, "wording": current[key].wording}, after={"active": False},
                     who=who)  # fmt: skip


# --- who answers, and their answers ---------------------------------------------------------------------


@access.requires("researcher")
def respondents(con: duckdb.DuckDBPyConnection, meeting_id: int) -> tuple[Respondent, ...]:
    """The service users and carers present at the meeting, by code, and whether each has answered."""
    with db.cursor(con) as cur:
        rows = cur.execute(
            """
            select p.id, p.code, r.label,
                   exists (select 1 from feedback_responses as f where f.meeting_id = a.meeting_id
                           and f.participant_id = p.id),
                   exists (select 1 from feedback_responses as f where f.meeting_id = a.meeting_id
                           and f.participant_id = p.id and f.via = 'phone')
            from attendance as a
            join meetings as m on m.id = a.meeting_id
            join participants as p on p.id = a.participant_id
            join role_categories as r on r.code = p.role
            where a.meeting_id = ? and a.status = 'present' and r.lived_experience and m.status = 'held'
            order by p.code
            """,
            [meeting_id],
        ).fetchall()
    return tuple(Respondent(int(i), str(c), str(r), bool(a), bool(f)) for i, c, r, a, f in rows)


def _require_respondent(cur: duckdb.DuckDBPyConnection, meeting_id: int, participant_id: int) -> str:
    """The person's code, when they are a service user or carer present at the held meeting."""
    found = cur.execute(
        """
        select m.status, t.name, m.meeting_date, p.code, r.lived_experience, a.status
        from meetings as m
        join teams as t on t.id = m.team_id
        left join participants as p on p.id = $person
        left join role_categories as r on r.code = p.role
        left join attendance as a on a.meeting_id = m.id and a.participant_id = $person
        where m.id = $meeting
        """,
        {"meeting": meeting_id, "person": participant_id},
    ).fetchone()
    if found is None:
        raise ObservationError(f"meeting {meeting_id} no longer exists; reload the page")
    status, team, day, code, lived, present = found
    meeting = f"{team}'s meeting on {day:%d %b %Y}"
    if code is None:
        raise ObservationError(f"participant {participant_id} no longer exists; reload the page")
    if status != "held":
        raise ObservationError(f"{meeting} is recorded as {labels.MEETING_STATUSES[status]}: nobody answers about it")
    if not lived:
        raise ObservationError(f"{code} is not a service user or carer: the questionnaire is for them alone")
    if present != "present":
        raise ObservationError(f"{code} is not marked present at {meeting}: mark them present first")
    return str(code)


def _checked(answers: Answers, asked: tuple[Item, ...]) -> list[tuple[Item, int | None]]:
    by_key = {i.key: i for i in asked}
    if not answers:
        raise ObservationError("choose an answer to at least one item, or 'prefer not to say'")
    checked = []
    for key, answer in answers.items():
        if key not in by_key:
            raise ObservationError(f"the questionnaire no longer asks {key!r}; reload the page and answer again")
        if answer is not None and (isinstance(answer, bool) or not isinstance(answer, int) or not 1 <= answer <= 5):
            raise ObservationError(
                f"{by_key[key].wording!r}: {answer!r} is not an answer; choose 1 (strongly disagree) to 5 "
                "(strongly agree), or prefer not to say"
            )
        checked.append((by_key[key], answer))
    return checked


def _write_answers(
    cur: duckdb.DuckDBPyConnection,
    meeting_id: int,
    participant_id: int,
    answers: Answers,
    via: Literal["review", "phone", "paper"],
    when: dt.datetime,
    who: str,
) -> int:
    checked = _checked(answers, _saved_items(cur, who))
    ids = [item.item_id for item, _ in checked]  # the versions asked now: an earlier one's answer stays
    before = cur.execute(
        """
        select i.item_key, f.answer from feedback_responses as f join feedback_items as i on i.id = f.item_id
        where f.meeting_id = ? and f.participant_id = ? and list_contains(?, f.item_id) order by i.item_key
        """,
        [meeting_id, participant_id, ids],
    ).fetchall()
    cur.execute(
        "delete from feedback_responses where meeting_id = ? and participant_id = ? and list_contains(?, item_id)",
        [meeting_id, participant_id, ids],
    )
    for item, answer in checked:
        cur.execute(
            "insert into feedback_responses (meeting_id, participant_id, item_id, answer, via, recorded_at) "
            "values (?, ?, ?, ?, ?, ?)",
            [meeting_id, participant_id, item.item_id, answer, via, when],
        )
    # The audit says which items were answered and how, never the answers: an entry names its person.
    audit.record(cur, "change" if before else "create", "feedback_responses",
                 f"meeting_id={meeting_id}, participant_id={participant_id}",
                 before={"items": [k for k, _ in before]} if before else None,
                 after={"via": via, "items": sorted(i.key for i, _ in checked)}, who=who)  # fmt: skip
    return len(checked)


@access.requires("researcher")
def record_answers(
    con: duckdb.DuckDBPyConnection,
    meeting_id: int,
    participant_id: int,
    answers: Answers,
    via: Literal["review", "paper"],
    observer: str | None = None,
    now: dt.datetime | None = None,
) -> int:
    """Keep a service user's or carer's answers about a meeting they were present at, typed in by the
    observer at the review or from paper; an item answered before is answered again, and a phone link
    given them for it and not used stops working. The number of answers kept."""
    if via not in ("review", "paper"):
        raise ObservationError(f"{via!r}: answers are typed in at the review or from paper")
    who = _who(observer)
    with db.transaction(con, ()) as cur:
        code = _require_respondent(cur, meeting_id, participant_id)
        if cur.execute(
            "select 1 from feedback_responses where meeting_id = ? and participant_id = ? and via = 'phone' limit 1",
            [meeting_id, participant_id],
        ).fetchone():
            raise ObservationError(f"{code} answered on their own phone: their answers stay theirs")
        _close_links(cur, [(meeting_id, participant_id)])
        return _write_answers(cur, meeting_id, participant_id, answers, via, _now(now), who)


def _close_links(cur: duckdb.DuckDBPyConnection, answered: list[tuple[int, int]]) -> None:
    """Unused phone links for these (meeting, person) pairs stop working: their answers were typed in,
    and a phone opened later must not replace them without a word."""
    for meeting_id, participant_id in answered:
        cur.execute(
            "delete from feedback_links where meeting_id = ? and participant_id = ? and used_at is null",
            [meeting_id, participant_id],
        )


# --- answering on a phone ---------------------------------------------------------------------------------


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode("ascii")).hexdigest()


@access.requires("researcher")
def issue_link(
    con: duckdb.DuckDBPyConnection,
    meeting_id: int,
    participant_id: int,
    observer: str | None = None,
    now: dt.datetime | None = None,
) -> Link:
    """A link for the person to answer about the meeting on their own phone: once, within LINK_HOURS.
    A link made before for them and this meeting, unused, stops working."""
    who, issued = _who(observer), _now(now)
    token = secrets.token_urlsafe(32)
    expires = issued + dt.timedelta(hours=LINK_HOURS)
    with db.transaction(con, ()) as cur:
        _require_respondent(cur, meeting_id, participant_id)
        _saved_items(cur, who)  # the phone is asked the questionnaire of now, saved
        cur.execute(
            "delete from feedback_links where meeting_id = ? and participant_id = ? and used_at is null",
            [meeting_id, participant_id],
        )
        cur.execute(
            "insert into feedback_links values (?, ?, ?, ?, ?, ?, null)",
            [_hash(token), meeting_id, participant_id, who, issued, expires],
        )
        audit.record(cur, "create", "feedback_links", f"meeting_id={meeting_id}, participant_id={participant_id}",
                     after={"expires_at": expires}, who=who)  # fmt: skip
    return Link(token, expires.replace(tzinfo=dt.UTC))


def _open_link(cur: duckdb.DuckDBPyConnection, token: str, now: dt.datetime) -> tuple[int, int]:
    if not isinstance(token, str) or not _TOKEN.fullmatch(token):
        raise LinkRefused
    found = cur.execute(
        "select meeting_id, participant_id from feedback_links where token_hash = ? and used_at is null "
        "and expires_at > ?",
        [_hash(token), now],
    ).fetchone()
    if found is None:
        raise LinkRefused
    return int(found[0]), int(found[1])


def questions(con: duckdb.DuckDBPyConnection, token: str, now: dt.datetime | None = None) -> tuple[Item, ...]:
    """What a phone link's holder is asked: the questionnaire's items, nothing else (no meeting, no
    code). Refused (LinkRefused) for a link used, expired or unknown."""
    with db.cursor(con) as cur:
        _open_link(cur, token, _now(now))
        return _items(cur)


def answer_by_link(con: duckdb.DuckDBPyConnection, token: str, answers: Answers, now: dt.datetime | None = None) -> int:
    """Keep the answers a phone link's holder gave, and use the link up: the token is the only
    authority needed (the person holding it was given it by the observer). The number of answers kept."""
    when = _now(now)
    with db.transaction(con, ()) as cur:
        meeting_id, participant_id = _open_link(cur, token, when)
        try:
            _require_respondent(cur, meeting_id, participant_id)
        except ObservationError:
            raise LinkRefused from None  # the meeting's record changed since: the holder is told nothing more
        kept = _write_answers(cur, meeting_id, participant_id, answers, "phone", when, "phone link")
        cur.execute("update feedback_links set used_at = ? where token_hash = ?", [when, _hash(token)])
    return kept


# --- the impact log -----------------------------------------------------------------------------------------


@access.requires("researcher")
def record_impact(
    con: duckdb.DuckDBPyConnection,
    team_id: int,
    entry_date: dt.date,
    kind: str,
    description: str,
    origin: str | None,
    meeting_id: int | None = None,
    observer: str | None = None,
    today: dt.date | None = None,
) -> int:
    """Log a change to the team's improvement work; its id. The meeting, when given, is one of the
    team's on or before the change's date; a change is logged once it has happened (not after today)."""
    who = _who(observer)
    if kind not in KINDS:
        raise ObservationError(
            f"{kind!r} is not a kind of change: choose one of {', '.join(labels.IMPACT_KINDS.values())}"
        )
    if origin is None:
        raise ObservationError("choose whom the idea came from: people with lived experience, staff, or both")
    if origin not in ORIGINS:
        raise ObservationError(f"{origin!r} is not where an idea came from: choose one of "
                               f"{', '.join(labels.IMPACT_ORIGINS.values())}")  # fmt: skip
    try:
        description = _DESCRIPTION.validate_python(description)
    except ValidationError:
        raise ObservationError(
            f"say what changed in 1 to 2,000 characters (this is {len(description.strip()):,})"
        ) from None
    if entry_date > (today or dt.date.today()):
        raise ObservationError(f"{entry_date:%d %b %Y} is in the future: log a change once it has happened")
    with db.transaction(con, ()) as cur:
        team = cur.execute("select name from teams where id = ?", [team_id]).fetchone()
        if team is None:
            raise ObservationError(f"team {team_id} no longer exists; reload the page")
        if meeting_id is not None:
            found = cur.execute("select team_id, meeting_date from meetings where id = ?", [meeting_id]).fetchone()
            if found is None or int(found[0]) != team_id:
                raise ObservationError(f"that meeting is not one of {team[0]}'s; choose one of theirs, or none")
            if found[1] > entry_date:
                raise ObservationError(
                    f"the change is dated {entry_date:%d %b %Y}, before the meeting where it arose "
                    f"({found[1]:%d %b %Y}): date it on or after the meeting"
                )
        fields = {"team_id": team_id, "entry_date": entry_date, "meeting_id": meeting_id, "kind": kind,
                  "description": description, "origin": origin}  # fmt: skip
        new_id = db.insert_row(cur, "impact_entries", fields)
        audit.record(cur, "create", "impact_entries", f"id={new_id}", after=fields, who=who)
    return new_id


@access.requires("researcher")
def delete_impact(con: duckdb.DuckDBPyConnection, entry_id: int, observer: str | None = None) -> None:
    """Take a change out of the impact log (logged by mistake); one already gone changes nothing."""
    who = _who(observer)
    with db.transaction(con, ()) as cur:
        found = cur.execute(
            "select team_id, entry_date, meeting_id, kind, description, origin from impact_entries where id = ?",
            [entry_id],
        ).fetchone()
        if found is None:
            return
        cur.execute("delete from impact_entries where id = ?", [entry_id])
        before = dict(zip(("team_id", "entry_date", "meeting_id", "kind", "description", "origin"), found, strict=True))
        audit.record(cur, "delete", "impact_entries", f"id={entry_id}", before=before, who=who)


@access.requires(*access.READERS)  # the log's words, not counts: never a presenter's
def impact_log(con: duckdb.DuckDBPyConnection, flt: StudyFilter) -> pd.DataFrame:
    """The changes logged by the filter's teams within its dates, latest first: id, team_id,
    team_name, entry_date, kind, description, origin, meeting_date (of the meeting where it arose)."""
    flt = access.readable(flt, "the impact log", con)
    with db.cursor(con) as cur:
        return cur.execute(
            f"""
            select e.id, e.team_id, t.name as team_name, e.entry_date, e.kind, e.description, e.origin,
                   m.meeting_date
            from ({_IMPACT}) as e
            join teams as t on t.id = e.team_id
            left join meetings as m on m.id = e.meeting_id
            order by e.entry_date desc, t.name, e.id desc
            """,  # noqa: S608 - a constant of this module
            flt.sql_params(),
        ).fetchdf()


def log_table(log: pd.DataFrame, escape: Callable[[str], str] = str) -> pd.DataFrame:
    """``impact_log``'s rows as the Team profile shows them: date, what changed (through ``escape``:
    the screen's cells are Markdown), the kind of change and whom the idea came from in words, and
    the meeting where it arose; a date as "7 Oct 2019", "—" for no meeting."""

    def day(value: object) -> str:
        return "—" if value is None or pd.isna(value) else f"{pd.Timestamp(value).day} {pd.Timestamp(value):%b %Y}"  # type: ignore[arg-type, call-overload]

    return pd.DataFrame(
        {
            "Date": log["entry_date"].map(day),
            "What changed": log["description"].map(escape),
            "Kind of change": log["kind"].map(labels.IMPACT_KINDS),
            "Idea from": log["origin"].map(labels.IMPACT_ORIGINS_SHORT),
            "Meeting": log["meeting_date"].map(day),
        }
    )


# --- the measures -------------------------------------------------------------------------------------------

_IMPACT = """
select e.*
from impact_entries as e
join teams as t on t.id = e.team_id
where ($teams::integer[] is null or list_contains($teams::integer[], e.team_id))
  and ($setting is null or t.setting = $setting)
  and ($start::date is null or e.entry_date >= $start::date)
  and ($end::date is null or e.entry_date <= $end::date)
"""
"""The impact log's entries the filter selects: by the team's id and setting, and the change's date."""

EXPERIENCE_COLUMNS = ("team_id", "team_name", "month", "attended", "responded", "scored", "score")


def experience_by_month(con: duckdb.DuckDBPyConnection, flt: StudyFilter) -> pd.DataFrame:
    """Per team and month with a service user or carer present at a held meeting, by team name and
    month: attended, responded, scored and score, as ``Totals`` defines them for that month."""
    flt = access.readable(flt, "the experience feedback", con)
    with db.cursor(con) as cur:
        return cur.execute(
            """
            with held as (  -- the service users and carers present, counted per meeting in meeting_facts
                select team_id, team_name, meeting_id, date_trunc('month', meeting_date)::date as month,
                       present_lived_experience as attended
                from filtered_meetings($teams::integer[], $setting, $start::date, $end::date)
                where status = 'held' and present_lived_experience > 0
            ),
            answered as (  -- each person's mean about a meeting (integrity keeps them present at it)
                select r.meeting_id, r.participant_id, avg(r.answer) as person_mean
                from feedback_responses as r
                semi join held as h on h.meeting_id = r.meeting_id
                group by r.meeting_id, r.participant_id
            ),
            per_meeting as (
                select meeting_id, count(*) as responded, count(person_mean) as scored, sum(person_mean) as total
                from answered
                group by meeting_id
            )
            select h.team_id, any_value(h.team_name) as team_name, h.month,
                   sum(h.attended)::bigint as attended,
                   coalesce(sum(p.responded), 0)::bigint as responded,
                   coalesce(sum(p.scored), 0)::bigint as scored,
                   sum(p.total) / nullif(sum(p.scored), 0) as score
            from held as h
            left join per_meeting as p using (meeting_id)
            group by h.team_id, h.month
            order by team_name, h.team_id, h.month
            """,
            flt.sql_params(),
        ).fetchdf()


ITEM_COLUMNS = ("item_key", "version", "wording", "asked", "state", "answers", "prefer_not", "mean")


def item_scores(con: duckdb.DuckDBPyConnection, flt: StudyFilter) -> pd.DataFrame:
    """Per version of each item, in the questionnaire's order (those asked now first, then each
    item's earlier versions): its wording, whether it is asked now and its state (asked; reworded:
    a later version is asked instead; removed: no longer asked at all), the answers on the scale given
    against it about the filter's held meetings, those who preferred not to say, and the mean answer
    (None with none). A version no longer asked and never answered is left out."""
    flt = access.readable(flt, "the experience feedback", con)
    with db.cursor(con) as cur:
        return cur.execute(
            """
            with given as (
                select r.item_id, r.answer
                from feedback_responses as r
                join filtered_meetings($teams::integer[], $setting, $start::date, $end::date) as f
                    on f.meeting_id = r.meeting_id and f.status = 'held'
            )
            select i.item_key, i.version, i.wording, i.active as asked,
                   case when i.active then 'asked'
                        when i.version < max(i.version) over (partition by i.item_key) then 'reworded'
                        else 'removed' end as state,
                   count(g.answer) as answers,
                   count(g.item_id) - count(g.answer) as prefer_not, avg(g.answer) as mean
            from feedback_items as i
            left join given as g on g.item_id = i.id
            group by i.id, i.item_key, i.version, i.wording, i.active, i.sort_order
            having i.active or count(g.item_id) > 0
            order by not i.active, i.sort_order, i.item_key, i.version desc
            """,
            flt.sql_params(),
        ).fetchdf()


IMPACT_COLUMNS = ("team_id", "team_name", "month", "changes", "with_lived_experience")


def impact_by_month(con: duckdb.DuckDBPyConnection, flt: StudyFilter) -> pd.DataFrame:
    """Per team and month with a change logged, by team name and month: the changes, and those
    from or with people with lived experience."""
    flt = access.readable(flt, "the impact log", con)
    with db.cursor(con) as cur:
        return cur.execute(
            f"""
            select e.team_id, any_value(t.name) as team_name, date_trunc('month', e.entry_date)::date as month,
                   count(*) as changes,
                   count(*) filter (where e.origin in ('lived_experience', 'both')) as with_lived_experience
            from ({_IMPACT}) as e
            join teams as t on t.id = e.team_id
            group by e.team_id, month
            order by team_name, e.team_id, month
            """,  # noqa: S608 - a constant of this module
            flt.sql_params(),
        ).fetchdf()


def totals(experience: pd.DataFrame, impact: pd.DataFrame) -> Totals:
    """The measures over all the rows of ``experience_by_month`` and ``impact_by_month`` given (a
    team's, a period's): counts summed; the score the mean of every person-meeting mean, which is
    the months' scores weighted by the person-meetings each rests on."""
    scored = int(experience["scored"].sum()) if len(experience) else 0
    weighted = (experience["score"].fillna(0) * experience["scored"]).sum() if scored else 0.0
    return Totals(
        attended=int(experience["attended"].sum()) if len(experience) else 0,
        responded=int(experience["responded"].sum()) if len(experience) else 0,
        scored=scored,
        score=float(weighted) / scored if scored else None,
        changes=int(impact["changes"].sum()) if len(impact) else 0,
        with_lived_experience=int(impact["with_lived_experience"].sum()) if len(impact) else 0,
    )
