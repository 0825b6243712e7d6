"""Who may do what: roles, the people given them, and the check every write and export makes.

Three roles (docs/access.md, Roles):

- **researcher**: everything;
- **coach**: reads only, and only the teams assigned to them (their notes included);
- **presenter**: presenter mode only, aggregates only.

Whoever is acting is set once per run (``act_as``: the signed-in user in the app, the local
account in the command line) and read by ``current()``. Every function that writes to the study
or hands its data out as a file carries ``@requires(...)``, which refuses anyone else and records
the refusal in the audit trail; a test fails when a function that opens a write transaction lacks
it. Every read of the study's rows narrows its filter with ``readable`` (and checks a team or a
meeting it is asked for with ``require_teams``), or, when only a researcher's page reads it,
carries ``@requires("researcher")``: tests/unit/test_read_scope.py calls every read as a coach of
one team and fails on a row of another. Hiding a button, or narrowing a filter in a page, is never
the only guard.
"""

from __future__ import annotations

import contextvars
import functools
import getpass
import inspect
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Literal, NoReturn, ParamSpec, Self, TypeVar

import duckdb
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from observation import audit, db
from observation.errors import ObservationError
from observation.filters import StudyFilter

Role = Literal["researcher", "coach", "presenter"]
ROLES: dict[Role, str] = {
    "researcher": "Researcher: everything, including the Access page",
    "coach": "Coach: reads the teams assigned to them, notes included; changes nothing",
    "presenter": "Presenter: presenter mode only (aggregates, small counts hidden)",
}
EVERYONE: tuple[Role, ...] = ("researcher", "coach", "presenter")
READERS: tuple[Role, ...] = ("researcher", "coach")

# Each page (its file under pages/) and the roles that may open it. app.py registers only these.
PAGES: dict[str, tuple[Role, ...]] = {
    "overview": EVERYONE,
    "presence": READERS,
    "attendance": READERS,
    "recruitment": READERS,
    "notes": READERS,
    "agreement": ("researcher",),
    "team_profile": EVERYONE,
    "capture": ("researcher",),
    "record": ("researcher",),
    "coding": ("researcher",),
    "study_setup": ("researcher",),
    "data_import": ("researcher",),
    "data_export": ("researcher",),
    "audit": ("researcher",),
    "access": ("researcher",),
}


class AccessDenied(ObservationError):
    """The acting person's role does not allow this; nothing was written or handed out."""


class Identity(BaseModel):
    """Someone acting on the study. ``teams`` None: every team (researchers, presenters)."""

    model_config = ConfigDict(frozen=True)

    email: str = Field(min_length=1)
    role: Role
    teams: frozenset[int] | None = None

    @model_validator(mode="after")
    def _a_coach_has_teams(self) -> Self:
        # An empty team list must never read as "no restriction".
        if (self.role == "coach") != (self.teams is not None) or self.teams == frozenset():
            raise ValueError("a coach, and only a coach, has teams: at least one")
        return self

    def may_open(self, page: str) -> bool:
        return self.role in PAGES.get(page, ())


def local_researcher() -> Identity:
    """The one person using a study on their own computer (no sign-in configured, or the CLI)."""
    try:
        name = getpass.getuser()
    except (KeyError, OSError):  # pragma: no cover - no account name in this environment
        name = "local"
    return Identity(email=f"{name} (local)", role="researcher")


_CURRENT: contextvars.ContextVar[Identity | None] = contextvars.ContextVar("observation_identity", default=None)


def act_as(identity: Identity) -> None:
    """Make ``identity`` the one acting in this thread from now on (the app, at every run's start)."""
    _CURRENT.set(identity)
    audit.act_as(identity.email)


@contextmanager
def acting_as(identity: Identity) -> Iterator[Identity]:
    """``identity`` acts for the block, then whoever acted before (the CLI, tests)."""
    token, name = _CURRENT.set(identity), audit.act_as(identity.email)
    try:
        yield identity
    finally:
        _CURRENT.reset(token)
        audit.act_as(name)


def current() -> Identity:
    """Who is acting; refuses when nobody was set, so a forgotten ``act_as`` never grants anything."""
    found = _CURRENT.get()
    if found is None:
        raise AccessDenied("nobody is signed in: sign in again")
    return found


P = ParamSpec("P")
R = TypeVar("R")


def requires(*roles: Role, study: str | None = None) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Refuse the call unless the acting person has one of ``roles``, and audit the refusal in the
    study the function was given: its parameter ``study`` names, by default ``con`` or else the
    first one typed as a connection or a study location (a study file is opened to record it,
    with the function's ``key`` if it has one)."""

    def decorate(func: Callable[P, R]) -> Callable[P, R]:
        signature = inspect.signature(func)
        where = study or _study_parameter(signature)
        if where not in signature.parameters:
            raise TypeError(f"{func.__qualname__}: no parameter names the study to audit a refusal in")

        @functools.wraps(func)
        def checked(*args: P.args, **kwargs: P.kwargs) -> R:
            who = _CURRENT.get()
            if who is None or who.role not in roles:
                given = signature.bind_partial(*args, **kwargs).arguments
                key = given.get("key") if "key" in signature.parameters else db.FROM_ENVIRONMENT
                refuse(given.get(where), who, func.__qualname__, key=key)
            return func(*args, **kwargs)

        checked.__access_roles__ = roles  # type: ignore[attr-defined]
        checked.__access_study__ = where  # type: ignore[attr-defined]
        return checked

    return decorate


_STUDY_TYPES = ("duckdb.DuckDBPyConnection", "db.Location")


def _study_parameter(signature: inspect.Signature) -> str:
    if "con" in signature.parameters:
        return "con"
    typed = [name for name, p in signature.parameters.items() if str(p.annotation) in _STUDY_TYPES]
    return typed[0] if typed else ""


def refuse(
    study: object,
    who: Identity | None,
    what: str,
    *,
    reason: str | None = None,
    asked: object = None,
    key: db.StudyKey = db.FROM_ENVIRONMENT,
) -> NoReturn:
    """Audit in ``study`` (a connection, or a study file or PostgreSQL location, opened for it)
    that ``who`` was refused ``what`` (``asked``: what they asked for, if more than the call), and
    raise AccessDenied with ``reason`` (by default: not allowed for their role). A refusal that
    cannot be recorded (a study file in use elsewhere, or encrypted without its key) says so."""
    if who is None:
        message = "nobody is signed in: sign in again"
    else:
        message = reason or f"not allowed for a {who.role}: {what.strip('_').replace('_', ' ')}"
    after: dict[str, object] = {"role": who.role if who else None}
    if asked is not None:
        after["asked"] = asked
    con, opened, unrecorded = _study_to_record_in(study, key)
    try:
        if con is not None:
            with db.transaction(con, meetings=()) as cur:
                audit.record(cur, "refused", row_key=what, after=after, who=who.email if who else "nobody signed in")
    except ObservationError as exc:
        unrecorded = str(exc)
    finally:
        if opened is not None:
            opened.close()
    raise AccessDenied(message + (f" (the refusal could not be recorded: {unrecorded})" if unrecorded else ""))


def _study_to_record_in(
    study: object, key: db.StudyKey
) -> tuple[duckdb.DuckDBPyConnection | None, duckdb.DuckDBPyConnection | None, str | None]:
    """The connection to record a refusal with, the one opened for it (to close), and why there is
    none if the study could not be opened. No study (or no file there yet): nothing to record in."""
    if isinstance(study, duckdb.DuckDBPyConnection):
        return study, None, None
    if isinstance(study, str | Path) and not db.missing_file(study):
        try:
            opened = db.connect(study, key=key)
        except ObservationError as exc:
            return None, None, str(exc)
        return opened, opened, None
    return None, None, None


def require_teams(team_ids: Iterable[int], what: str, con: duckdb.DuckDBPyConnection | None = None) -> tuple[int, ...]:
    """The teams a read or export covers, checked against the acting person's: a coach's filter
    with no team chosen means their own teams, never the whole study. A refusal is audited in
    ``con`` (every caller that hands data out passes it; a test checks)."""
    who = current()
    asked = tuple(sorted(set(team_ids)))
    if who.teams is None:
        return asked
    if not asked:
        return tuple(sorted(who.teams))  # never empty: Identity refuses a coach without teams
    if not set(asked) <= who.teams:
        reason = f"not allowed for this coach: {what} of teams not assigned to them"
        refuse(con, who, what, reason=reason, asked={"teams": list(asked)})
    return asked


def readable(flt: StudyFilter, what: str, con: duckdb.DuckDBPyConnection) -> StudyFilter:
    """``flt`` narrowed to the teams the acting person may read: every query and export function
    calls this first, so a page that forgets to narrow its filter still shows a coach only their
    own teams. A coach asking for another team's rows is refused and the refusal audited in ``con``."""
    teams = require_teams(flt.teams, what, con=con)
    return flt if teams == flt.teams else flt.model_copy(update={"teams": teams})


# --- the people given roles, kept in the study ------------------------------------------------


class Grant(BaseModel):
    """One person's role, and for a coach the teams assigned to them."""

    model_config = ConfigDict(frozen=True)

    email: str = Field(pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$", max_length=254)
    role: Role
    teams: tuple[int, ...] = ()

    def identity(self) -> Identity:
        return Identity(email=self.email, role=self.role, teams=frozenset(self.teams) if self.role == "coach" else None)


def identity_of(con: duckdb.DuckDBPyConnection, email: str) -> Identity | None:
    """The role given to ``email`` (matched without regard to case), or None."""
    with db.cursor(con) as cur:
        row = cur.execute("select email, role, teams from access where lower(email) = lower(?)", [email]).fetchone()
    if row is None:
        return None
    try:
        return Grant(email=row[0], role=row[1], teams=tuple(row[2])).identity()
    except ValidationError:  # edited by hand into something no role allows (a coach without teams)
        return None


@requires("researcher")  # who may read which teams: the Access page's, a researcher's
def grants(con: duckdb.DuckDBPyConnection) -> list[Grant]:
    with db.cursor(con) as cur:
        rows = cur.execute("select email, role, teams from access order by role, email").fetchall()
    return [Grant(email=e, role=r, teams=tuple(t)) for e, r, t in rows]


@requires("researcher")
def grant(con: duckdb.DuckDBPyConnection, email: str, role: str, teams: Iterable[int] = ()) -> Grant:
    """Give ``email`` a role (replacing any they had), checked; audited."""
    try:
        given = Grant.model_validate({"email": email.strip(), "role": role, "teams": sorted(set(teams))})
    except ValidationError as exc:
        first = exc.errors()[0]
        raise ObservationError(f"access {first['loc'][0]} {_shown(first['input'])}: {first['msg']}") from None
    if given.role == "coach" and not given.teams:
        raise ObservationError(f"access for {given.email}: a coach needs at least one team")
    if given.email.lower() == current().email.lower() and given.role != "researcher":
        raise ObservationError("you cannot change your own role: ask another researcher")
    with db.transaction(con, meetings=()) as cur:
        unknown = sorted(
            set(given.teams)
            - {i for (i,) in cur.execute("select id from teams where id in ?", [given.teams]).fetchall()}
        )
        if unknown:
            raise ObservationError(f"access for {given.email}: no team with id {', '.join(map(str, unknown))}")
        before = cur.execute("select role, teams from access where lower(email) = lower(?)", [given.email]).fetchone()
        cur.execute("delete from access where lower(email) = lower(?)", [given.email])
        cur.execute(
            "insert into access (email, role, teams, granted_by) values (?, ?, ?, ?)",
            [given.email, given.role, list(given.teams), audit.actor()],
        )
        after = {"role": given.role, "teams": list(given.teams)}
        audit.record(cur, "grant", "access", given.email, before=_row(before), after=after)
    return given


@requires("researcher")
def revoke(con: duckdb.DuckDBPyConnection, email: str) -> bool:
    """Take every role away from ``email``; False when they had none. A researcher cannot revoke
    themselves (someone must be left to manage access)."""
    if email.strip().lower() == current().email.lower():
        raise ObservationError("you cannot take your own access away: ask another researcher")
    with db.transaction(con, meetings=()) as cur:
        found = cur.execute(
            "select email, role, teams from access where lower(email) = lower(?)", [email.strip()]
        ).fetchone()
        if found is None:
            return False
        cur.execute("delete from access where email = ?", [found[0]])
        audit.record(cur, "revoke", "access", found[0], before=_row(found[1:]))
    return True


def record_sign_in(con: duckdb.DuckDBPyConnection, who: Identity | None, email: str) -> None:
    """Audit a sign-in: granted with the role found, or turned away (no role in this study)."""
    with db.transaction(con, meetings=()) as cur:
        after = {"role": who.role, "teams": sorted(who.teams) if who.teams is not None else "all"} if who else None
        audit.record(cur, "sign_in", row_key="granted" if who else "no access", after=after, who=email)


def _row(row: tuple[object, ...] | None) -> dict[str, object] | None:
    return None if row is None else {"role": row[0], "teams": list(row[1])}  # type: ignore[call-overload]


def _shown(value: object) -> str:
    return repr(value) if isinstance(value, str) else ""
