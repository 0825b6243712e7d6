"""The study, read through Streamlit's caches: the one connection, the data version, and every
cached read the pages make (a failure stops the page with one line, never a traceback).

A cached result is keyed on the study, its data version, and the teams the acting person may
read and their role (``readable()``): the core narrows every read to those teams (observation.access.readable),
so a result read for a coach is never served to a researcher, nor the reverse. Never name a key
parameter with a leading underscore: Streamlit leaves such parameters out of the key.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Concatenate, NamedTuple, ParamSpec, TypeVar, cast

import duckdb
import pandas as pd
import streamlit as st
from pydantic import ValidationError

from observation import (
    access,
    agreement,
    charts,
    db,
    feedback,
    meetings,
    notes,
    profile,
    queries,
    recruitment,
    trail,
    voice,
)
from observation import presenting as presenting_rules
from observation.errors import ObservationError
from observation.filters import StudyFilter
from observation.models import ParticipationLevel
from observation.ui.state import presenting, settings, stop_with

P = ParamSpec("P")
T = TypeVar("T")


class Readable(NamedTuple):
    """Who reads: the role (researcher-only reads refuse the others) and the teams they may read,
    sorted (None: every team)."""

    role: access.Role
    teams: tuple[int, ...] | None


CACHED = 64
"""Results each cached read keeps: an edit elsewhere (a new data version) leaves the older ones unused."""
VERSION = "data_version_this_run"
"""Where a run keeps the data version it asked (PostgreSQL); shared_sidebar forgets it each run."""


@st.cache_resource(show_spinner=False)
def _connection(path: str) -> duckdb.DuckDBPyConnection:
    if st.secrets.load_if_toml_exists() and "db_key" in st.secrets:  # an encrypted study's key, kept secret
        return db.connect(path, key=str(st.secrets["db_key"]))
    return db.connect(path)  # OBSERVATION_DB_KEY's, if set


def connection() -> duckdb.DuckDBPyConnection:
    """The configured study's one connection (writes and the reads no cache keeps go through it)."""
    where = location()
    return guarded(lambda: _connection(where))


def location() -> str:
    """The configured study (a file's path or a PostgreSQL connection string); the page stops with
    a one-line explanation when a study file is not there (the connection would create an empty one)."""
    where = settings().db_path
    if db.missing_file(where):
        stop_with(
            f"There is no study file at {where}. Create the synthetic demo study with "
            f"`python -m observation demo --db {where}`, or set OBSERVATION_DB to your study."
        )
    return str(where)


def version(where: str) -> int:
    """The study's data version (db.data_version), part of every cached read's key; 0 for a study
    file without asking (this process alone writes it, and clears the caches when it does). On
    PostgreSQL it is asked once per run (shared_sidebar forgets the last run's), not once per
    cached read: a page of nine reads spent 20 ms a rerun on the same round trip. A run reads the
    study as it was when the run began; an edit made meanwhile on another server shows on the next
    rerun, and this process's own writes call study_changed."""
    if not db.is_postgres(where):
        return 0
    asked = st.session_state.get(VERSION)
    if asked is None or asked[0] != where:
        asked = (where, guarded(lambda: db.data_version(_connection(where))))
        st.session_state[VERSION] = asked
    return int(asked[1])


def readable() -> Readable:
    """The acting person's role and the teams they may read, part of every cached read's key, so a
    researcher's result never reaches a presenter or a coach."""
    me = access.current()
    return Readable(me.role, None if me.teams is None else tuple(sorted(me.teams)))


def study_changed() -> None:
    """After this process wrote to the study: every read from here on, in this run too, reads the
    study afresh (the cached results dropped, and on PostgreSQL the data version asked again)."""
    st.cache_data.clear()
    st.session_state.pop(VERSION, None)


def guarded(read: Callable[[], T]) -> T:
    """Run a read; a failure stops the page with one line instead of a traceback. The core says
    what failed as an ObservationError (a read error of the database is translated once, at
    db.cursor); a row the core could not make into its typed result is said here."""
    try:
        return read()
    except ObservationError as exc:
        stop_with(str(exc))
    except ValidationError as exc:
        stop_with(f"The study could not be read: {db.shown(str(exc).strip().splitlines()[0])}")


# --- the headline reads ---------------------------------------------------------------------------


def open_study() -> queries.StudyInfo:
    """Open the configured study or stop the page with a one-line explanation."""
    info = study_info()
    if info is None:
        stop_with(f"{db.shown(location())} holds no study yet.")
    return info


def study_info() -> queries.StudyInfo | None:
    where = location()
    return guarded(lambda: _study_info(where, version(where), readable()))


def team_names() -> dict[int, str]:
    """The study's teams the acting person may read, id -> name, by name; in presenter mode with
    letters on, Team A, Team B… in letter order. A plain dict: the sidebar reads it from the cache
    on every rerun, which must be cheap for a thousand teams."""
    names = _all_team_names()
    mine = access.current().teams
    if mine is not None:  # a coach: their teams, and no other team's name
        names = {i: name for i, name in names.items() if i in mine}
    mode = presenting()
    if not (mode.on and mode.letters):
        return names
    labels = presenting_rules.team_letters(_all_team_names())
    return {i: labels[i] for i in sorted(names)}


def _all_team_names() -> dict[int, str]:
    where = location()
    return guarded(lambda: _team_names(where, version(where), readable()))


def overview(flt: StudyFilter) -> queries.Overview:
    """The Overview's measures. In presenter mode: by quarter, teams relabelled, every share that
    could reveal a small count taken out, annotations shown by their kind rather than their
    wording (which may name someone), and no per-meeting series."""
    level, mode, where = settings().meaningful_level, presenting(), location()
    if mode.on:
        return guarded(lambda: _room(where, version(where), readable(), level, mode)).overview
    return guarded(lambda: _overview(where, version(where), readable(), flt, level))


def team_in_the_room(flt: StudyFilter, team_id: int) -> presenting_rules.TeamInTheRoom | None:
    """The Team profile as presenter mode shows it (presenting.team_in_the_room), from the cached
    room overview and the team's tensions; None when the team has no meetings."""
    found = team_profile(flt, team_id, settings().meaningful_level)
    return presenting_rules.team_in_the_room(overview(flt), found.tensions if found else (), team_id, presenting())


def voice_measures(flt: StudyFilter) -> voice.Voice:
    """Voice at the meetings observed live (observation.voice). In presenter mode: over the whole
    study, every figure that could reveal a small count taken out (presenting.room)."""
    level, mode, where = settings().meaningful_level, presenting(), location()
    if mode.on:
        return guarded(lambda: _room(where, version(where), readable(), level, mode)).voice
    return _voice(flt)


@st.cache_data(show_spinner="Working out what can be shown without revealing a small count…", max_entries=CACHED)
def _room(
    path: str, version: int, readable: Readable, level: ParticipationLevel, mode: presenting_rules.Presenting
) -> presenting_rules.Room:
    return presenting_rules.room(_connection(path), level, mode)


def qi_subgroups(flt: StudyFilter, teams: tuple[int, ...], by: queries.SubgroupKind, block: int) -> pd.DataFrame:
    """The QI chart's subgroups (queries.qi_subgroups) of ``teams``."""
    level, where = settings().meaningful_level, location()
    return guarded(lambda: _qi_subgroups(where, version(where), readable(), flt, level, teams, by, block))


@st.cache_data(show_spinner=False, max_entries=CACHED)
def _study_info(path: str, version: int, readable: Readable) -> queries.StudyInfo | None:
    return queries.study_info(_connection(path), readable.teams)


@st.cache_data(show_spinner=False, max_entries=CACHED)
def _team_names(path: str, version: int, readable: Readable) -> dict[int, str]:
    return {t.id: t.name for t in queries.teams(_connection(path))}


@st.cache_data(show_spinner="Counting meetings…", max_entries=CACHED)
def _overview(
    path: str, version: int, readable: Readable, flt: StudyFilter, level: ParticipationLevel
) -> queries.Overview:
    return queries.overview(_connection(path), flt, level, trend_teams=charts.MAX_SMALL_MULTIPLES)


@st.cache_data(show_spinner=False, max_entries=CACHED)
def _qi_subgroups(
    path: str,
    version: int,
    readable: Readable,
    flt: StudyFilter,
    level: ParticipationLevel,
    teams: tuple[int, ...],
    by: queries.SubgroupKind,
    block: int,
) -> pd.DataFrame:
    return queries.qi_subgroups(_connection(path), flt, level, teams, by, block)


# --- the Audit trail -------------------------------------------------------------------------------


def audit_told(actions: tuple[str, ...]) -> pd.DataFrame:
    """The Audit trail's latest entries in words (trail.told), cached on the study, its data
    version, the reader and the newest entry (a sign-in or a refusal adds one without a new data
    version): asking for the newest entry is the researchers' check, run on every rerun."""
    where = location()
    newest = guarded(lambda: trail.latest(_connection(where)))
    return guarded(lambda: _audit_told(where, version(where), readable(), newest, actions))


def audit_csv(actions: tuple[str, ...]) -> bytes:
    """The same entries as stored, as the CSV to download (trail.entries_csv), cached the same way."""
    where = location()
    newest = guarded(lambda: trail.latest(_connection(where)))
    return guarded(lambda: _audit_csv(where, version(where), readable(), newest, actions))


@st.cache_data(show_spinner="Reading the audit trail…", max_entries=CACHED)
def _audit_told(path: str, version: int, readable: Readable, newest: int, actions: tuple[str, ...]) -> pd.DataFrame:
    return trail.told(_connection(path), actions)


@st.cache_data(show_spinner=False, max_entries=CACHED)
def _audit_csv(path: str, version: int, readable: Readable, newest: int, actions: tuple[str, ...]) -> bytes:
    return trail.entries_csv(_connection(path), actions)


# --- the views' reads ------------------------------------------------------------------------------


def cached(query: Callable[Concatenate[duckdb.DuckDBPyConnection, P], T]) -> Callable[P, T]:
    """A query, cached on the study, its data version, the teams the acting person may read and
    the arguments; a failure stops the page in one line."""
    name = f"{query.__module__}.{query.__qualname__}"

    def call(*args: P.args, **kwargs: P.kwargs) -> T:
        where = location()
        keyed = (where, version(where), readable(), name)
        return cast(T, guarded(lambda: _run_cached(*keyed, query, args, tuple(sorted(kwargs.items())))))

    return call


@st.cache_data(show_spinner="Reading the study…", max_entries=CACHED * 16)  # one cache for every query
def _run_cached(
    path: str,
    version: int,
    readable: Readable,
    name: str,
    _query: Callable[..., Any],
    args: tuple[Any, ...],
    kwargs: tuple[Any, ...],
) -> Any:
    # ``name`` keys the cache (``_query`` is left out of the key, as its underscore tells Streamlit);
    # ``version`` and ``readable`` only key it.
    return _query(_connection(path), *args, **dict(kwargs))


meeting_rows = cached(meetings.meetings)
attendance_matrix = cached(meetings.attendance_matrix)
meeting_detail = cached(meetings.meeting_detail)
attendance_by_role = cached(meetings.attendance_by_role)
meeting_effectiveness = cached(meetings.meeting_effectiveness)
continuity = cached(meetings.continuity)
funnel = cached(recruitment.funnel)
stage_times = cached(recruitment.stage_times)
recruitment_events = cached(recruitment.events)
recruitment_tables = cached(recruitment.recruitment)
tension_by_month = cached(recruitment.tension_by_month)
excerpts = cached(notes.excerpts)
code_team_matrix = cached(notes.code_team_matrix)
cooccurrence = cached(notes.cooccurrence)
codes_per_document = cached(notes.codes_per_document)
code_frequency = cached(notes.code_frequency)
code_group_matrix = cached(notes.code_group_matrix)
codebook = cached(notes.codebook)
coders = cached(agreement.coders)
coder_agreement = cached(agreement.agreement)
span_agreement = cached(agreement.span_agreement)
team_profile = cached(profile.team_profile)
_voice = cached(voice.voice)
voice_by_meeting = cached(voice.by_meeting)
meeting_timeline = cached(voice.timeline)
experience_by_month = cached(feedback.experience_by_month)
item_scores = cached(feedback.item_scores)
impact_by_month = cached(feedback.impact_by_month)
impact_log = cached(feedback.impact_log)
