"""Roles: every write and export refuses a coach or presenter itself, whatever the screen shows."""

from __future__ import annotations

import ast
import importlib
import inspect
import json
import pkgutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import duckdb
import pytest

import observation
from observation import access, db, export, notes, trail
from observation.errors import ObservationError
from observation.filters import StudyFilter

pytestmark = pytest.mark.both_backends  # storage, import, export, audit and access: on both backends

PACKAGE = Path(observation.__file__).parent
COACH_OF_ALPHA = access.Identity(email="coach@example.org", role="coach", teams=frozenset({1}))
PRESENTER = access.Identity(email="presenter@example.org", role="presenter")

# Functions that open a write transaction without a role check, and why that is safe.
UNGUARDED = {
    "observation/db.py:migrate": "brings the file's shape up to date on opening; no one's data",
    "observation/db.py:_transaction": "the transaction itself",
    "observation/db.py:begin": "starts the transaction the caller guards",
    "observation/access.py:refuse": "records a refusal: must work for every role",
    "observation/access.py:record_sign_in": "records a sign-in: before anyone has a role",
    "observation/demo/__init__.py:write_tables": "fills only an empty study (it checks), with the demo's data",
    "observation/feedback.py:answer_by_link": "a phone link's holder answers for the one person and meeting the "
    "link is for, once: its token (made by a researcher, kept only as its hash) is the authority",
}


def functions_opening_write_transactions() -> list[tuple[str, ast.FunctionDef]]:
    """Every function in the package whose body opens a transaction (db.transaction, db.begin or a
    literal 'begin transaction'), with whether it is decorated with access.requires."""
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if not isinstance(node, ast.FunctionDef):
                continue
            opens = any(
                (isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute | ast.Name)
                 and (n.func.attr if isinstance(n.func, ast.Attribute) else n.func.id) in {"transaction", "begin"})
                or (isinstance(n, ast.Constant) and isinstance(n.value, str) and n.value.lower() == "begin transaction")
                for n in ast.walk(node)
            )  # fmt: skip
            if opens:
                found.append((f"{path.relative_to(PACKAGE.parent).as_posix()}:{node.name}", node))
    return found


def is_guarded(node: ast.FunctionDef) -> bool:
    return any(
        isinstance(d, ast.Call)
        and (d.func.attr if isinstance(d.func, ast.Attribute) else getattr(d.func, "id", "")) == "requires"
        for d in node.decorator_list
    )


def test_every_function_that_writes_checks_the_role_itself() -> None:
    found = functions_opening_write_transactions()
    assert len(found) > 15  # the scan sees the writers (record, curate, ingest, export, access…)
    missing = [name for name, node in found if not is_guarded(node) and name not in UNGUARDED]
    assert missing == [], f"these write without @access.requires: {missing}"
    assert set(UNGUARDED) <= {name for name, _ in found}, "an allowed exception no longer exists: remove it"


def guarded_functions() -> list[tuple[str, Callable[..., Any]]]:
    """Every function carrying @access.requires, found by importing the package (ui aside)."""
    found: dict[str, Callable[..., Any]] = {}
    for info in pkgutil.walk_packages(observation.__path__, "observation."):
        if info.name.startswith("observation.ui") or info.name == "observation.__main__":
            continue
        module = importlib.import_module(info.name)
        for name, value in vars(module).items():
            if inspect.isfunction(value) and hasattr(value, "__access_roles__") and value.__module__ == module.__name__:
                found[f"{module.__name__}.{name}"] = value
    return sorted(found.items())


GUARDED = guarded_functions()


def test_the_guarded_functions_are_found() -> None:
    names = {name for name, _ in GUARDED}
    assert {"observation.record.save_meeting", "observation.ingest.import_files", "observation.export.export",
            "observation.curate.delete_meeting", "observation.access.grant", "observation.notes.excerpts_download",
            "observation.deck.overview_deck", "observation.export.convert"} <= names  # fmt: skip


def call_with_nothing_but(func: Callable[..., Any], con: duckdb.DuckDBPyConnection) -> Any:
    """Call ``func`` with the study as ``con`` and None for everything else: the role check comes
    before anything reads an argument."""
    params = inspect.signature(func).parameters
    needed = [name for name, p in params.items() if p.default is inspect.Parameter.empty]
    args = {name: (con if name == "con" else None) for name in needed}
    return func(**args)


FORBIDDEN = [
    (who, name, func)
    for who in (COACH_OF_ALPHA, PRESENTER)
    for name, func in GUARDED
    if who.role not in func.__access_roles__  # type: ignore[attr-defined]
]  # the rest (a coach's notes download, a presenter's deck) are allowed: the notes' team check is tested below


@pytest.mark.parametrize(("who", "name", "func"), FORBIDDEN, ids=[f"{w.role}-{n}" for w, n, _ in FORBIDDEN])
def test_a_role_without_the_right_is_refused_and_nothing_changes(
    small: duckdb.DuckDBPyConnection, who: access.Identity, name: str, func: Callable[..., Any]
) -> None:
    before = db.table_counts(small)
    refusals = small.execute("select count(*) from audit where action = 'refused'").fetchone()
    with access.acting_as(who), pytest.raises(access.AccessDenied, match=f"not allowed for a {who.role}"):
        call_with_nothing_but(func, small)
    assert db.table_counts(small) == before
    if "con" in inspect.signature(func).parameters:
        after = small.execute("select actor, row_key from audit where action = 'refused' order by id desc").fetchone()
        assert small.execute("select count(*) from audit where action = 'refused'").fetchone() != refusals
        assert after == (who.email, func.__qualname__)


def test_nobody_acting_is_refused(small: duckdb.DuckDBPyConnection) -> None:
    import contextvars

    def attempt() -> None:
        access.grant(small, "someone@example.org", "researcher")

    with pytest.raises(access.AccessDenied, match="nobody is signed in"):
        contextvars.Context().run(attempt)  # a fresh context, as a new thread has
    assert access.grants(small) == []


def test_a_coach_downloads_only_their_own_teams_notes(
    small: duckdb.DuckDBPyConnection, local_researcher: access.Identity
) -> None:
    query = notes.ExcerptQuery()
    book = notes.codebook(small)
    with access.acting_as(COACH_OF_ALPHA):
        mine = notes.excerpts_download(small, StudyFilter(), query, book).decode()
        with pytest.raises(access.AccessDenied, match="teams not assigned"):
            notes.excerpts_download(small, StudyFilter(teams=(1, 2)), query, book)
    everyone = notes.excerpts_download(small, StudyFilter(), query, book).decode()
    assert "Beta" in everyone
    assert "Beta" not in mine
    assert "Alpha" in mine
    exports = small.execute("select actor from audit where action = 'export' order by id").fetchall()
    assert [a for (a,) in exports] == [COACH_OF_ALPHA.email, local_researcher.email]


def test_granting_checks_everything_and_is_audited(small: duckdb.DuckDBPyConnection) -> None:
    given = access.grant(small, "  Coach@Example.org ", "coach", [1])
    assert given == access.Grant(email="Coach@Example.org", role="coach", teams=(1,))
    assert access.identity_of(small, "coach@example.org") == access.Identity(
        email="Coach@Example.org", role="coach", teams=frozenset({1})
    )
    for email, role, teams, reason in (
        ("not an email", "researcher", [], "access email 'not an email'"),
        ("a@example.org", "admin", [], "access role 'admin'"),
        ("a@example.org", "coach", [], "a coach needs at least one team"),
        ("a@example.org", "coach", [99], "no team with id 99"),
    ):
        with pytest.raises(ObservationError, match=reason):
            access.grant(small, email, role, teams)
    access.grant(small, "coach@example.org", "presenter")  # replaces the coach role, whatever the case
    assert [(g.email, g.role) for g in access.grants(small)] == [("coach@example.org", "presenter")]
    assert access.revoke(small, "COACH@example.org") is True
    assert access.revoke(small, "coach@example.org") is False
    trail = small.execute("select action, row_key from audit where table_name = 'access' order by id").fetchall()
    assert trail == [("grant", "Coach@Example.org"), ("grant", "coach@example.org"), ("revoke", "coach@example.org")]


def test_a_researcher_cannot_lock_themselves_out(small: duckdb.DuckDBPyConnection) -> None:
    me = access.Identity(email="lead@example.org", role="researcher")
    access.grant(small, me.email, "researcher")
    with access.acting_as(me):
        with pytest.raises(ObservationError, match="your own access"):
            access.revoke(small, "LEAD@example.org")
        with pytest.raises(ObservationError, match="your own role"):
            access.grant(small, "Lead@example.org", "coach", [1])
    assert access.identity_of(small, me.email) == me


def test_a_coach_without_teams_is_no_one(small: duckdb.DuckDBPyConnection) -> None:
    """An empty team list must never read as "every team", even after a hand edit of the table."""
    with pytest.raises(ValueError, match="a coach, and only a coach, has teams"):
        access.Identity(email="c@example.org", role="coach", teams=frozenset())
    access.grant(small, "c@example.org", "coach", [1])
    small.execute("update access set teams = [] where email = 'c@example.org'")
    assert access.identity_of(small, "c@example.org") is None


def test_a_coach_filter_never_widens_to_the_whole_study() -> None:
    with access.acting_as(COACH_OF_ALPHA):
        assert access.require_teams((), "a read") == (1,)
        assert access.require_teams((1,), "a read") == (1,)
        with pytest.raises(access.AccessDenied):
            access.require_teams((1, 2), "a read")
    with access.acting_as(PRESENTER):
        assert access.require_teams((), "a read") == ()


def test_every_page_has_its_roles_and_every_role_a_page() -> None:
    pages = {p.stem for p in (PACKAGE.parent / "pages").glob("*.py")}
    assert set(access.PAGES) == pages
    for role in access.EVERYONE:
        teams = frozenset({1}) if role == "coach" else None
        assert access.Identity(email="x@example.org", role=role, teams=teams).may_open("overview")


def test_the_audit_trail_survives_the_access_migration(tmp_path: Path) -> None:
    con = duckdb.connect(str(tmp_path / "old.duckdb"))
    db.migrate(con, db.MIGRATIONS[:5])  # a study from before sign-in
    con.execute("insert into audit (actor, action, table_name) values ('R01', 'create', 'teams')")
    assert db.migrate(con) == [
        "0006_access",
        "0007_audit_access_actions",
        "0008_meeting_facts_table",
        "0009_memos",
        "0010_live_capture",
        "0011_experience_and_impact",
    ]
    con.execute("insert into audit (actor, action) values ('x@example.org', 'sign_in')")
    rows = con.execute("select id, actor, action from audit order by id").fetchall()
    assert rows == [(1, "R01", "create"), (2, "x@example.org", "sign_in")]
    con.close()


def test_every_guarded_function_names_the_study_its_refusals_are_audited_in() -> None:
    for name, func in GUARDED:
        study = func.__access_study__  # type: ignore[attr-defined]
        assert study in inspect.signature(func).parameters, f"{name}: a refusal would be audited nowhere"


@pytest.mark.parametrize(("who", "name", "func"), FORBIDDEN, ids=[f"{w.role}-{n}" for w, n, _ in FORBIDDEN])
def test_every_refusal_is_audited_in_the_study_given(
    small: duckdb.DuckDBPyConnection,
    small_location: Path | str,
    who: access.Identity,
    name: str,
    func: Callable[..., Any],
) -> None:
    """Whether the study came as a connection or as a location (backup, restore, encrypt, copy:
    the study is opened to record it), the refusal is in its audit trail."""
    study = func.__access_study__  # type: ignore[attr-defined]
    params = inspect.signature(func).parameters
    given = small if params[study].annotation != "db.Location" else small_location
    args = {p: (given if p == study else None) for p, v in params.items() if v.default is inspect.Parameter.empty}
    with access.acting_as(who), pytest.raises(access.AccessDenied, match=f"not allowed for a {who.role}") as caught:
        func(**args)
    assert "could not be recorded" not in str(caught.value)
    refusals = small.execute("select actor, row_key, after from audit where action = 'refused'").fetchall()
    assert [(actor, key) for actor, key, _ in refusals] == [(who.email, func.__qualname__)]
    assert json.loads(refusals[0][2]) == {"role": who.role}


def test_a_coach_refused_notes_of_another_team_is_audited(small: duckdb.DuckDBPyConnection) -> None:
    query = notes.ExcerptQuery()
    with access.acting_as(COACH_OF_ALPHA), pytest.raises(access.AccessDenied, match="teams not assigned"):
        notes.excerpts_download(small, StudyFilter(teams=(1, 2)), query, notes.codebook(small))
    refusals = small.execute("select actor, row_key, after from audit where action = 'refused'").fetchall()
    assert [(actor, key) for actor, key, _ in refusals] == [(COACH_OF_ALPHA.email, "a notes download")]
    assert json.loads(refusals[0][2]) == {"role": "coach", "asked": {"teams": [1, 2]}}
    assert small.execute("select count(*) from audit where action = 'export'").fetchone() == (0,)


def test_a_refusal_that_cannot_be_recorded_says_so(tmp_path: Path) -> None:
    """A file that does not open as a study cannot take the record: the refusal stands, and says so."""
    (tmp_path / "other.duckdb").write_bytes(b"not a study")
    with access.acting_as(PRESENTER), pytest.raises(access.AccessDenied) as caught:
        export.backup(tmp_path / "other.duckdb", tmp_path / "out.duckdb")
    assert str(caught.value).startswith("not allowed for a presenter: backup (the refusal could not be recorded: ")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["other.duckdb"]


def test_every_caller_of_require_teams_gives_it_the_study() -> None:
    """require_teams audits a refusal in the study it is given: a call without it would refuse unaudited."""
    calls = [
        (path.name, node)
        for path in sorted(PACKAGE.rglob("*.py"))
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "require_teams"
    ]
    assert calls, "the scan sees the calls"
    assert [name for name, node in calls if "con" not in {k.arg for k in node.keywords}] == []


def test_the_audit_trail_reads_back_newest_first_with_long_values_cut(small: duckdb.DuckDBPyConnection) -> None:
    access.grant(small, "a@example.org", "researcher")
    access.grant(small, "b@example.org", "coach", [1])
    rows = trail.entries(small, ["grant"], longest=12)
    assert list(rows["row_key"]) == ["b@example.org", "a@example.org"]
    assert list(rows.columns) == ["id", "written_at", "actor", "action", "table_name", "row_key", "before", "after"]
    assert rows["after"].str.endswith("characters in all)").all()
    assert len(trail.entries(small, [], limit=1)) == 1
