"""Reads scoped in the core: a coach of one team calls every public read of the package directly —
no page narrowing the filter for them — and finds no row of another team; asking for another team
(or its meeting) is refused, and the refusal audited.

The reads are found, not listed: every public function of the package outside observation/ui whose
signature takes a study (a connection or a location), less the writers and plumbing in NOT_READS.
A new read that forgets ``access.readable`` fails here twice over: it consults nobody's teams, and
it shows Beta's rows to Alpha's coach.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import importlib
import inspect
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pandas as pd
import pytest
from pydantic import BaseModel

import observation
from observation import access, config, db, meetings, notes, presenting, profile, queries
from observation.filters import StudyFilter
from tests.small_study import add_interviews

pytestmark = pytest.mark.both_backends  # storage, import, export, audit and access: on both backends

PACKAGE = Path(observation.__file__).parent
COACH_OF_ALPHA = access.Identity(email="alpha.coach@example.org", role="coach", teams=frozenset({1}))

# Modules that take a study only to store it: opening, migrating, transactions, sequences, counts
# of rows per table (the command line's `info`, a researcher's).
NOT_READ_MODULES = ("observation.db", "observation.store")
# Functions that take a study but hand out no team's rows, and why. Anything else that takes one is
# a read, and must scope itself (or carry @access.requires without the coach's role).
NOT_READS = {
    "observation.access.require_teams": "the scoping itself",
    "observation.access.readable": "the scoping itself",
    "observation.access.identity_of": "the sign-in's look-up of the person's own role, before anyone acts",
    "observation.access.record_sign_in": "writes a sign-in to the audit trail",
    "observation.audit.record": "appends to the audit trail inside a write",
    "observation.facts.refresh": "upkeep inside a write",
    "observation.integrity.dangling": "a write's check",
    "observation.integrity.require_intact": "a write's check",
    "observation.integrity.moved_spans": "a write's check (inside the transaction that changes a text)",
    "observation.integrity.refuse_moved_spans": "a write's check (inside the transaction that changes a text)",
    "observation.demo.build_demo": "builds a new study",
    "observation.demo.write_tables": "fills a new, empty study",
    "observation.demo.insert_table": "a write inside the caller's transaction (the demo's, a full export loaded back)",
    "observation.coding.insert_memo": "a write inside the caller's transaction, checked and audited by its caller",
    "observation.ingest.bulk.attendance": "an import's write",
    "observation.ingest.contributions.contributions": "an import's write",
    "observation.record.refuse_if_changed": "a save's check, inside its transaction",
    "observation.record.bump_version": "a save's write",
    "observation.record.bump_versions": "a save's write",
    "observation.queries.records": "turns a result the caller read into dicts",
    "observation.notes.codebook": "the study's coding scheme, shared by every team: no team's data",
    "observation.feedback.items": "the questionnaire's wording, shared by every team: no team's data",
    "observation.feedback.questions": "the questionnaire's wording, for a phone link's holder: no team's data",
    "observation.feedback.answer_by_link": "a write its link's token authorises, for one person and meeting",
}

_STUDY_TYPES = ("duckdb.DuckDBPyConnection", "db.Location", "Location")


def _core_modules() -> Iterator[str]:
    """The package's modules outside observation/ui, found without importing the ui (and streamlit)."""
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        if parts[1] == "ui" or parts[-1] == "__main__":
            continue
        yield ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def study_functions() -> dict[str, Callable[..., Any]]:
    """Every public function of the core whose signature takes a study."""
    found = {}
    for name in _core_modules():
        module = importlib.import_module(name)
        for attr, value in vars(module).items():
            if attr.startswith("_") or not inspect.isfunction(value) or value.__module__ != name:
                continue
            params = inspect.signature(value).parameters.values()
            if any(str(p.annotation).split(" | ")[0] in _STUDY_TYPES for p in params):
                found[f"{name}.{attr}"] = value
    return dict(sorted(found.items()))


FOUND = study_functions()


def _storage(func: Callable[..., Any]) -> bool:
    return any(func.__module__ == m or func.__module__.startswith(f"{m}.") for m in NOT_READ_MODULES)


READS = {name: func for name, func in FOUND.items() if name not in NOT_READS and not _storage(func)}
"""Every other function taking a study: the reads, and the writers (which carry @access.requires
and so are refused to a coach before anything else)."""


def refused_to_a_coach(func: Callable[..., Any]) -> bool:
    return "coach" not in getattr(func, "__access_roles__", ("coach",))


# Beta (team 2) and what only Beta's rows, or interviews with no team, would show.
BETA_ID = 2
BETA_MEETINGS = {5, 6, 7, 8}
BETA_WORDS = (
    "Beta", "B-ST1", "B-SU1", "B-SU2", "Mental-health inpatient", "ward manager", "left early",
    "KI-01", "KI-03", "KI-05", "Every team asks", "Nobody told me", "felt listened", notes.NO_TEAM,
    "Beta's ward moved",
)  # fmt: skip
ALPHA_WORDS = ("Alpha", "A-SU1")


def values(found: object, key: str = "") -> Iterator[tuple[str, object]]:
    """Every (name, value) a result holds: a frame's cells by column, a record's fields by name."""
    if isinstance(found, pd.DataFrame):
        for column in found.columns:
            for value in found[column].tolist():
                yield from values(value, str(column))
    elif isinstance(found, BaseModel):
        for name in type(found).model_fields:
            yield from values(getattr(found, name), name)
    elif dataclasses.is_dataclass(found) and not isinstance(found, type):
        for field in dataclasses.fields(found):
            yield from values(getattr(found, field.name), field.name)
    elif isinstance(found, dict):
        for name, value in found.items():
            yield from values(name, key)
            yield from values(value, str(name))
    elif isinstance(found, list | tuple | set | frozenset | np.ndarray | pd.Series):
        for value in found:
            yield from values(value, key)
    elif isinstance(found, bytes):
        yield key, found.decode("utf-8", errors="replace")
    else:
        yield key, found


def leaks(found: object) -> list[str]:
    """What in ``found`` names Beta: its id as a team, one of its meetings, a word only it has."""
    seen = []
    for key, value in values(found):
        if isinstance(value, str) and any(word in value for word in BETA_WORDS):
            seen.append(f"{key}={value[:60]!r}")
        elif isinstance(value, int | np.integer) and (
            (key == "team_id" and value == BETA_ID) or (key == "meeting_id" and value in BETA_MEETINGS)
        ):
            seen.append(f"{key}={value}")
    return seen


def arguments(func: Callable[..., Any], con: duckdb.DuckDBPyConnection, tmp: Path) -> dict[str, Any]:
    """What a call needs, by parameter name: the coach's own team and meeting, a filter asking for
    no team. A parameter not known here fails the test: add it, with a value a page would pass."""
    mode = presenting.Presenting()
    known: dict[str, Callable[[], Any]] = {
        "con": lambda: con,
        "flt": StudyFilter,
        "level": lambda: "contributing",
        "team_id": lambda: 1,
        "meeting_id": lambda: 1,
        "note_id": lambda: 1,
        "teams": lambda: (1,),
        "rows": lambda: "person",
        "period": lambda: "month",
        "query": notes.ExcerptQuery,
        "book": lambda: notes.codebook(con),
        "theme": lambda: "recruitment_tension",
        "source": lambda: "both",
        "settings": config.load_settings,
        "mode": lambda: mode,
        "rule": lambda: mode.rule,
        "threshold": lambda: mode.threshold,
        "floor": lambda: mode.floor,
        "coder_a": lambda: "R01",
        "coder_b": lambda: "R02",
        "out": lambda: tmp / "out",
    }
    needed = [n for n, p in inspect.signature(func).parameters.items() if p.default is inspect.Parameter.empty]
    unknown = [n for n in needed if n not in known]
    assert not unknown, f"{func.__module__}.{func.__qualname__}: say in arguments() what to pass as {unknown}"
    return {n: known[n]() for n in needed}


def nothing_but_the_study(func: Callable[..., Any], con: duckdb.DuckDBPyConnection) -> dict[str, Any]:
    """The study, and None for everything else: the role check comes before anything reads them."""
    params = inspect.signature(func).parameters
    study = func.__access_study__  # type: ignore[attr-defined]
    return {n: (con if n == study else None) for n, p in params.items() if p.default is inspect.Parameter.empty}


# How a read asks for another team, by parameter: every read that takes one of these is asked.
OTHER_TEAM: dict[str, Any] = {
    "flt": StudyFilter(teams=(BETA_ID,)),
    "team_id": BETA_ID,
    "teams": (BETA_ID,),
    "meeting_id": 5,
    "query": notes.ExcerptQuery(team_id=BETA_ID),
}


@pytest.fixture
def study(small: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection:
    """The small study with its interviews (one of them with no team) and a change marked on Beta's chart."""
    add_interviews(small)
    with db.transaction(small) as cur:
        cur.execute(
            "insert into annotations (team_id, event_date, label) values (2, ?, 'Beta''s ward moved')",
            [dt.date(2020, 2, 1)],
        )
    return small


@pytest.fixture
def consulted(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The ``what`` of every team check made (access.readable goes through require_teams)."""
    made: list[str] = []
    check = access.require_teams

    def spy(team_ids: Any, what: str, con: duckdb.DuckDBPyConnection | None = None) -> tuple[int, ...]:
        made.append(what)
        return check(team_ids, what, con=con)

    monkeypatch.setattr(access, "require_teams", spy)
    return made


def test_the_reads_are_found() -> None:
    assert {"observation.queries.overview", "observation.queries.teams", "observation.meetings.meeting_detail",
            "observation.notes.excerpts", "observation.recruitment.events", "observation.profile.team_profile",
            "observation.export.tables", "observation.trail.entries", "observation.trail.told",
            "observation.trail.entries_csv", "observation.record.meetings_of",
            "observation.presenting.room_overview", "observation.story.funnel"} <= set(READS)  # fmt: skip
    assert set(NOT_READS) <= set(FOUND), f"no longer found, take out of NOT_READS: {set(NOT_READS) - set(FOUND)}"


def test_a_coach_reads_no_other_teams_rows(
    study: duckdb.DuckDBPyConnection, consulted: list[str], tmp_path: Path
) -> None:
    problems = []
    with access.acting_as(COACH_OF_ALPHA):
        for name, func in READS.items():
            consulted.clear()
            if refused_to_a_coach(func):  # a researcher's (or presenter's) read, or a writer: refused first
                with pytest.raises(access.AccessDenied, match="not allowed for a coach"):
                    func(**nothing_but_the_study(func, study))
                continue
            found = func(**arguments(func, study, tmp_path))
            if not consulted:
                problems.append(f"{name}: never asks which teams the acting person may read (access.readable)")
            if shown := leaks(found):
                problems.append(f"{name} shows Alpha's coach {', '.join(shown[:3])}")
    assert problems == [], "\n".join(problems)


def test_a_coach_sees_exactly_what_a_researcher_sees_of_the_coachs_teams(
    study: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    """The leak check above finds another team's names and numbers; a read that asked which teams
    the coach may read and then counted every team anyway would show no name, only larger counts.
    So every read taking a filter must give the coach, asking for no team, what it gives a
    researcher asking for the coach's team."""
    researcher = access.local_researcher()
    differ = []
    for name, func in READS.items():
        if refused_to_a_coach(func) or "flt" not in inspect.signature(func).parameters:
            continue
        given = arguments(func, study, tmp_path)
        with access.acting_as(COACH_OF_ALPHA):
            as_coach = list(map(repr, values(func(**given))))
        with access.acting_as(researcher):
            as_researcher = list(map(repr, values(func(**(given | {"flt": StudyFilter(teams=(1,))})))))
        if as_coach != as_researcher:
            differ.append(name)
    assert differ == [], f"a coach's result differs from the researcher's of the coach's team: {differ}"


# The reads a presenter may make: counts and shares over meetings, codes and recruitment, which
# presenter mode suppresses before they are shown. Every other read hands out rows (a note, a
# person's attendance, a meeting's detail) and must refuse a presenter in the core.
PRESENTER_READS = {
    "observation.queries.overview", "observation.queries.meeting_kinds", "observation.queries.qi_subgroups",
    "observation.queries.monthly_counts", "observation.queries.study_info", "observation.queries.teams",
    "observation.presenting.room_overview", "observation.profile.team_profile",
    "observation.presenting.room", "observation.presenting.room_figures", "observation.voice.voice",
    "observation.voice.counts", "observation.voice.by_month",
    "observation.deck.overview_deck", "observation.deck.overview_slides",
    "observation.story.funnel", "observation.story.tensions",
    "observation.recruitment.funnel", "observation.recruitment.stage_times", "observation.recruitment.tension_by_month",
    "observation.meetings.attendance_by_role", "observation.meetings.meeting_effectiveness",
    "observation.notes.code_counts", "observation.notes.code_frequency", "observation.notes.code_group_matrix",
    "observation.notes.code_team_matrix", "observation.notes.codes_per_document", "observation.notes.cooccurrence",
    "observation.feedback.experience_by_month", "observation.feedback.item_scores",
    "observation.feedback.impact_by_month",
}  # fmt: skip


def test_a_presenter_gets_no_rows_from_the_core(study: duckdb.DuckDBPyConnection) -> None:
    """Presenter mode shows aggregates only; hiding the Notes page is not the guard."""
    presenter = access.Identity(email="presenter@example.org", role="presenter")
    open_to_presenters = []
    with access.acting_as(presenter):
        for name, func in READS.items():
            if name in PRESENTER_READS:
                continue
            if "presenter" in getattr(func, "__access_roles__", ("presenter",)):
                open_to_presenters.append(name)
                continue
            with pytest.raises(access.AccessDenied, match="not allowed for a presenter"):
                func(**nothing_but_the_study(func, study))
    assert open_to_presenters == [], f"reads of rows open to a presenter: {open_to_presenters}"
    assert set(PRESENTER_READS) <= set(READS)


def test_a_researcher_reads_every_team(study: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    """The check above sees a leak where there is one: the same calls show a researcher Beta."""
    checked = ("observation.queries.teams", "observation.queries.overview", "observation.meetings.meetings",
               "observation.notes.excerpts", "observation.notes.code_team_matrix", "observation.recruitment.funnel",
               "observation.recruitment.events", "observation.export.tables", "observation.trail.entries",
               "observation.trail.told", "observation.trail.entries_csv")  # fmt: skip
    # An entry naming Beta: as stored, in words and in the download alike.
    study.execute(
        "insert into audit (actor, action, table_name, row_key) values ('R01', 'change', 'teams', 'name=Beta')"
    )
    assert [name for name in checked if not leaks(READS[name](**arguments(READS[name], study, tmp_path)))] == []


def test_a_coach_asking_for_another_team_is_refused_and_audited(
    study: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    asked = [
        (name, func, param)
        for name, func in READS.items()
        if not refused_to_a_coach(func)
        for param in inspect.signature(func).parameters
        if param in OTHER_TEAM
    ]
    assert len(asked) > 20  # the filters, teams, meetings and excerpt queries of every read
    granted = []
    with access.acting_as(COACH_OF_ALPHA):
        for name, func, param in asked:
            args = arguments(func, study, tmp_path) | {param: OTHER_TEAM[param]}
            before = study.execute("select count(*) from audit where action = 'refused'").fetchone()
            try:
                func(**args)
            except access.AccessDenied as exc:
                refusal = str(exc)
            else:
                granted.append(f"{name}({param}=Beta's)")
                continue
            assert "teams not assigned" in refusal, name
            after = study.execute("select count(*) from audit where action = 'refused'").fetchone()
            assert after != before, f"{name}: refused without a record in the audit trail"
    assert granted == [], "these handed a coach another team's rows: " + ", ".join(granted)


def test_a_coach_cannot_open_another_teams_meeting_by_its_number(study: duckdb.DuckDBPyConnection) -> None:
    with access.acting_as(COACH_OF_ALPHA):
        assert meetings.meeting_detail(study, 1) is not None
        assert meetings.meeting_detail(study, 999) is None
        with pytest.raises(access.AccessDenied, match="meeting 6 of teams not assigned"):
            meetings.meeting_detail(study, 6)
        only_mine = notes.excerpts(study, StudyFilter(), notes.ExcerptQuery(meeting_id=5))
    assert only_mine.total == 0  # within the coach's teams, Beta's meeting finds nothing


def test_a_coach_learns_only_their_teams_and_period(study: duckdb.DuckDBPyConnection) -> None:
    with access.acting_as(COACH_OF_ALPHA):
        assert [t.name for t in queries.teams(study)] == ["Alpha"]
        info = queries.study_info(study)
    assert info is not None
    assert (info.first_meeting, info.last_meeting) == (dt.date(2020, 1, 10), dt.date(2020, 2, 21))
    assert queries.study_info(study) == dataclasses.replace(info, last_meeting=dt.date(2020, 3, 11))


def test_a_coachs_team_profile_compares_only_with_their_other_teams(study: duckdb.DuckDBPyConnection) -> None:
    """A page passing the whole study's filter still gets no comparison with a team the coach does not read."""
    everyone = profile.team_profile(study, StudyFilter(), 1, "contributing")
    with access.acting_as(COACH_OF_ALPHA):
        mine = profile.team_profile(study, StudyFilter(), 1, "contributing")
    assert everyone is not None
    assert mine is not None
    assert everyone.others.meetings_held == 3  # Beta's
    assert mine.others == queries.Measures()  # Alpha is the coach's only team
    assert mine.team == everyone.team
