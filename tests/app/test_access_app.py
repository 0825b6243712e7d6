"""Sign-in and roles in the running app: each role reaches exactly its pages, a coach sees only
their teams, a presenter sees no person, and hostile links never raise."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from streamlit.testing.v1 import AppTest

from observation import access, db
from tests.app.conftest import APP, each_tab
from tests.small_study import build_small_study

AUTH = {
    "redirect_uri": "http://localhost:8501/oauth2callback",
    "cookie_secret": "a-test-cookie-secret-of-some-length",
    "client_id": "dashboard",
    "client_secret": "not-a-real-secret",
    "server_metadata_url": "http://127.0.0.1:9/.well-known/openid-configuration",
}
RESEARCHER, COACH, PRESENTER = "lead@example.org", "coach@example.org", "presenter@example.org"
# Team 2 of the small study, made easy to spot: its name, a participant code and a note's words.
CANARIES = ("Beta Canaryward", "B-SU1", "CANARY-NOTE-TEXT")
SignIn = Callable[..., AppTest]


@pytest.fixture
def study(new_location: Path | str) -> Path | str:
    """The small study with canaries, on a file (or on PostgreSQL for tests marked both_backends)."""
    build_small_study(new_location)
    con = db.connect(new_location)
    con.execute("update teams set name = 'Beta Canaryward' where id = 2")
    con.execute("update field_notes set body = body || ' CANARY-NOTE-TEXT' where meeting_id in (5, 6)")
    access.grant(con, RESEARCHER, "researcher")
    access.grant(con, COACH, "coach", [1])
    access.grant(con, PRESENTER, "presenter")
    con.close()
    return new_location


@pytest.fixture
def sign_in(monkeypatch: pytest.MonkeyPatch, study: Path | str) -> SignIn:
    """The app with sign-in configured, as ``email`` (None: signed out), on ``page``, already run."""

    def start(
        email: str | None,
        page: str | None = None,
        signed_in_at: float | None = None,
        params: dict[str, str] | None = None,
    ) -> AppTest:
        monkeypatch.setenv("OBSERVATION_DB", str(study))
        at = AppTest.from_file(APP, default_timeout=60)
        at.secrets["auth"] = AUTH
        at.user = (
            {"is_logged_in": False}
            if email is None
            else {"is_logged_in": True, "email": email, "email_verified": True, "iat": signed_in_at or time.time()}
        )
        for name, value in (params or {}).items():
            at.query_params[name] = value
        at.run()
        return at.switch_page(f"pages/{page}.py").run() if page else at

    return start


def page_alone(email: str, page: str, params: dict[str, str] | None = None) -> AppTest:
    """A page file run without app.py (as a fresh server's first deep link runs it), with its URL
    parameters: they reach the page itself, where the router would drop them on the way."""
    at = AppTest.from_file(str(Path(APP).parent / "pages" / f"{page}.py"), default_timeout=60)
    at.secrets["auth"] = AUTH
    at.user = {"is_logged_in": True, "email": email, "email_verified": True, "iat": time.time()}
    for name, value in (params or {}).items():
        at.query_params[name] = value
    return at.run()


def shown(at: AppTest) -> str:
    """Everything the page sent to the browser, as text: every element's message, sidebar included
    (tables as their Arrow bytes, charts as their JSON), in each of its tabs where it draws only the
    open one."""
    return "\n".join(_sent(opened) for opened in each_tab(at))


def _sent(at: AppTest) -> str:
    parts: list[str] = []

    def walk(node: Any) -> None:
        proto = getattr(node, "proto", None)
        if proto is not None:
            parts.append(str(proto))
        for child in getattr(node, "children", {}).values():
            walk(child)

    walk(at._tree)
    return "\n".join(parts).replace("\\", "")  # Markdown escapes (B\-SU1) and the protos' own


def page_not_found(at: AppTest) -> bool:
    return any("Page not found" in e.value for e in at.error)


ROLES = [(RESEARCHER, "researcher"), (COACH, "coach"), (PRESENTER, "presenter")]


@pytest.mark.both_backends  # every page, as every role, on PostgreSQL too
@pytest.mark.parametrize(("email", "role"), ROLES)
def test_each_role_reaches_exactly_its_pages(sign_in: SignIn, email: str, role: access.Role) -> None:
    for page, roles in access.PAGES.items():
        if role in roles:
            for at in each_tab(sign_in(email, page)):
                assert not at.exception, f"{role} on {page}: {at.exception}"
                assert not page_not_found(at), f"{role} should reach {page}"
                assert not at.error, f"{role} on {page}: {[e.value for e in at.error]}"
        else:  # not registered in st.navigation: its address answers "page not found"
            with pytest.raises(ValueError, match="Could not find a navigation page"):
                sign_in(email, page)


@pytest.mark.parametrize(("email", "role"), ROLES)
def test_a_page_run_without_the_router_guards_itself(
    monkeypatch: pytest.MonkeyPatch, study: Path, email: str, role: access.Role
) -> None:
    """A fresh server's first deep link can run a page file without app.py: the page refuses too."""
    monkeypatch.setenv("OBSERVATION_DB", str(study))
    for page, roles in access.PAGES.items():
        at = page_alone(email, page)
        assert not at.exception, f"{role} on {page}: {at.exception}"
        assert page_not_found(at) == (role not in roles), f"{role} on {page}"
        if role not in roles:
            assert "Alpha" not in shown(at)


def test_signed_out_sees_only_the_sign_in_button(sign_in: SignIn) -> None:
    at = sign_in(None)
    assert not at.exception
    assert [b.label for b in at.button] == ["Sign in"]
    assert not any(c in shown(at) for c in (*CANARIES, "Alpha"))
    for page in access.PAGES:  # no page is registered until someone signs in
        with pytest.raises(ValueError, match="Could not find a navigation page"):
            sign_in(None, page)


def test_someone_without_a_role_is_turned_away_and_audited(sign_in: SignIn, study: Path) -> None:
    at = sign_in("stranger@example.org")
    assert any("has not given you access" in w.value for w in at.warning)
    assert [b.label for b in at.button] == ["Sign out"]
    assert "Alpha" not in shown(at)
    con = db.connect(study)
    assert con.execute("select actor, row_key from audit where action = 'sign_in'").fetchall() == [
        ("stranger@example.org", "no access")
    ]
    con.close()


def test_an_unverified_email_is_not_taken_on_trust(monkeypatch: pytest.MonkeyPatch, study: Path) -> None:
    """Some providers let people edit their email (Microsoft Entra ID's "nOAuth"): only an address
    the provider marks verified, or the organisation's user principal name, is matched."""
    monkeypatch.setenv("OBSERVATION_DB", str(study))
    for claims, let_in in (
        ({"email": RESEARCHER}, False),
        ({"email": RESEARCHER, "email_verified": False}, False),
        ({"email": "edited@example.org", "preferred_username": RESEARCHER}, True),
    ):
        at = AppTest.from_file(APP, default_timeout=60)
        at.secrets["auth"] = AUTH
        at.user = {"is_logged_in": True, "iat": time.time(), **claims}
        at.run()
        assert not at.exception
        assert ("Alpha" in shown(at)) == let_in, claims


def test_a_study_file_is_never_created_by_signing_in(
    sign_in: SignIn, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    missing = tmp_path / "typo.duckdb"
    monkeypatch.setenv("OBSERVATION_DB", str(missing))
    at = AppTest.from_file(APP, default_timeout=60)
    at.secrets["auth"] = AUTH
    at.user = {"is_logged_in": True, "email": RESEARCHER, "email_verified": True, "iat": time.time()}
    at.run()
    assert any("There is no study file" in e.value for e in at.error)
    assert not missing.exists()


def test_a_sign_in_is_audited_once_per_session(sign_in: SignIn, study: Path) -> None:
    at = sign_in(COACH, "notes")
    at.run()
    con = db.connect(study)
    rows = con.execute("select actor, row_key, after from audit where action = 'sign_in'").fetchall()
    con.close()
    assert rows == [(COACH, "granted", '{"role": "coach", "teams": [1]}')]


def test_a_session_ends_after_the_configured_hours(sign_in: SignIn, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OBSERVATION_SESSION_HOURS", "2")
    fresh = sign_in(RESEARCHER, "overview", signed_in_at=time.time() - 3600)
    assert not fresh.button or "Sign in" not in [b.label for b in fresh.button]
    assert fresh.title[0].value == "Overview"
    stale = sign_in(RESEARCHER, signed_in_at=time.time() - 3 * 3600)
    assert "Sign in" in [b.label for b in stale.button]  # st.logout() ended the session
    assert "Alpha" not in shown(stale)
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        stale.switch_page("pages/overview.py")


def test_local_mode_says_so_and_is_the_one_researcher(app: Callable[..., AppTest], study: Path) -> None:
    at = app(study)
    assert any("Local mode" in c.value for c in at.sidebar.caption)
    at.switch_page("pages/access.py").run()
    assert not at.exception
    assert not page_not_found(at)
    assert any("Sign-in is not configured" in i.value for i in at.info)


def test_local_mode_refuses_to_serve_other_computers(
    app: Callable[..., AppTest], study: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import streamlit

    real = streamlit.get_option
    monkeypatch.setattr(streamlit, "get_option", lambda key: "0.0.0.0" if key == "server.address" else real(key))
    at = app(study)
    assert any("serves only this computer" in e.value for e in at.error)
    assert "Alpha" not in shown(at)


COACH_PAGES = [page for page, roles in access.PAGES.items() if "coach" in roles]


@pytest.mark.both_backends  # every page, as every role, on PostgreSQL too
@pytest.mark.parametrize("page", COACH_PAGES)
def test_a_coach_never_sees_another_teams_data(sign_in: SignIn, page: str) -> None:
    researcher = shown(sign_in(RESEARCHER, page))
    assert "Alpha" in researcher
    for params in ({}, {"team": "2"}, {"team": "1,2"}, {"profile": "2"}, {"meeting": "5"}):
        at = sign_in(COACH, page, params=params) if not params else page_alone(COACH, page, params)
        assert not at.exception
        seen = shown(at)
        assert "Alpha" in seen, f"{page} {params}: the coach's own team is shown"
        leaked = [c for c in CANARIES if c in seen]
        assert leaked == [], f"{page} {params}: a coach of Alpha saw {leaked}"
        assert "Make a slide deck" not in [b.label for b in at.button]  # a deck covers the whole study


def test_a_coach_sees_their_own_teams_dates_only(sign_in: SignIn) -> None:
    """The filter's dates span the coach's teams' meetings: Beta's, up to 11 March, stay unknown."""
    import datetime as dt

    coach, researcher = sign_in(COACH, "overview"), sign_in(RESEARCHER, "overview")
    assert [coach.text_input(key=k).value for k in ("flt_from", "flt_to")] == ["10/01/2020", "21/02/2020"]
    assert [researcher.text_input(key=k).value for k in ("flt_from", "flt_to")] == ["10/01/2020", "11/03/2020"]
    assert coach.session_state["flt_dates"] == (dt.date(2020, 1, 10), dt.date(2020, 2, 21))


@pytest.mark.both_backends  # every page, as every role, on PostgreSQL too
def test_the_canaries_can_be_seen_by_a_researcher(sign_in: SignIn) -> None:
    """The check above could pass by looking in the wrong place: a researcher does see them."""
    seen = {page: shown(sign_in(RESEARCHER, page)) for page in COACH_PAGES}
    where = {c: [p for p in COACH_PAGES if c in seen[p]] for c in CANARIES}
    assert all(where.values()), where
    assert "notes" in where["CANARY-NOTE-TEXT"]


@pytest.mark.both_backends  # every page, as every role, on PostgreSQL too
@pytest.mark.parametrize("page", ["overview", "team_profile"])
def test_a_presenter_sees_no_person_and_no_note(sign_in: SignIn, page: str) -> None:
    for params in ({}, {"present": "0"}, {"threshold": "1"}, {"team": "2"}):
        at = sign_in(PRESENTER, page) if not params else page_alone(PRESENTER, page, params)
        assert not at.exception
        seen = shown(at)
        assert [c for c in ("B-SU1", "A-SU1", "CANARY-NOTE-TEXT") if c in seen] == []
        assert any("Presenter mode" in b.proto.label for b in at.get("badge")) or "Presenter mode" in seen
        assert all(t.disabled for t in at.toggle if t.label == "Presenter mode")


HOSTILE = st.dictionaries(
    st.sampled_from(["team", "setting", "from", "to", "present", "threshold", "letters", "measure", "chart",
                     "rules", "rebase", "profile", "meeting", "q", "code", "page", "embed", "note", "interview"]),
    st.one_of(
        st.text(max_size=40),
        st.sampled_from(["<script>alert(1)</script>", "javascript:alert(1)", "1;drop table teams", "-1", "1e309",
                         "../../etc/passwd", "\x00", "9" * 400, "2020-02-30", ",,,", "NaN"]),
    ),
    max_size=4,
)  # fmt: skip


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(params=HOSTILE, page=st.sampled_from(sorted(access.PAGES)))
def test_hostile_links_never_raise(sign_in: SignIn, params: dict[str, str], page: str) -> None:
    for at in (sign_in(RESEARCHER, params=params), page_alone(RESEARCHER, page, params)):
        assert not at.exception, f"{page} {params}: {at.exception}"
    for at in each_tab(page_alone(RESEARCHER, page, params)):  # each tab of a page that draws only the open one
        assert not at.exception, f"{page} {params}: {at.exception}"


def test_an_encrypted_study_opens_with_its_key_and_says_why_not_without(
    app: Callable[..., AppTest], study: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db.convert(study, None, "the study key")
    monkeypatch.delenv("OBSERVATION_DB_KEY", raising=False)
    without = app(study)
    assert not without.exception
    assert any("is encrypted: set OBSERVATION_DB_KEY" in e.value for e in without.error)
    monkeypatch.setenv("OBSERVATION_DB_KEY", "the study key")
    import streamlit

    streamlit.cache_resource.clear()
    opened = app(study)
    assert not opened.exception
    assert not opened.error
    assert "Alpha" in shown(opened)


def test_a_read_cached_for_a_researcher_is_never_served_to_a_coach(
    study: Path | str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Streamlit's caches are the process's, shared by every session: a result read for a
    researcher must not answer the same question asked by a coach, whom the core refuses another
    team's meeting. Every cached read is keyed on the teams the acting person may read."""
    monkeypatch.setenv("OBSERVATION_DB", str(study))

    def page() -> None:
        import streamlit as st

        from observation import access
        from observation.ui import study

        coach = st.session_state.get("as_coach", False)
        access.act_as(access.Identity(email="someone", role="coach", teams=frozenset({1})) if coach
                      else access.Identity(email="someone", role="researcher"))  # fmt: skip
        detail = study.meeting_detail(5)  # a meeting of team 2
        st.write(detail.team_name if detail else "none")

    at = AppTest.from_function(page, default_timeout=60).run()
    assert not at.exception
    assert [m.value for m in at.markdown] == ["Beta Canaryward"]
    at.session_state["as_coach"] = True
    at.run()
    assert not at.exception
    assert "Beta Canaryward" not in shown(at)
    assert [e.value for e in at.error] == ["not allowed for this coach: meeting 5 of teams not assigned to them"]


def test_a_researcher_only_read_cached_for_a_researcher_is_refused_to_a_presenter(
    study: Path | str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Researchers and presenters both read every team, so the teams alone cannot tell their
    cached results apart: the key carries the role too, or the coders a researcher's Agreement
    page read would be handed to a presenter whom the core refuses them."""
    monkeypatch.setenv("OBSERVATION_DB", str(study))

    def page() -> None:
        import streamlit as st

        from observation import access
        from observation.ui import study

        role = "presenter" if st.session_state.get("as_presenter", False) else "researcher"
        access.act_as(access.Identity(email="someone", role=role))
        st.write(f"{len(study.coders())} coders")

    at = AppTest.from_function(page, default_timeout=60).run()
    assert not at.exception
    assert [m.value for m in at.markdown] != []
    at.session_state["as_presenter"] = True
    at.run()
    assert not at.exception
    assert not [m.value for m in at.markdown if m.value.endswith("coders")]
    assert [e.value for e in at.error] == ["not allowed for a presenter: coders"]
